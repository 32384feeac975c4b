/* test_buf.c — struct buf and its size cap (daemon/base/util.c). */
#include <errno.h>

#include "testutil.h"

#include "bidbroker/util.h"

static void
t_uncapped(void **state)
{
        struct buf b;

        (void)state;
        buf_init(&b);
        for (int i = 0; i < 1000; i++)
                assert_int_equal(buf_adds(&b, "0123456789"), 0);
        assert_int_equal(b.len, 10000);
        assert_int_equal(b.data[b.len], '\0');
        assert_int_equal(buf_printf(&b, "%d", 42), 0);
        assert_string_equal(b.data + 10000, "42");
        buf_done(&b);
        assert_null(b.data);
}

static void
t_cap(void **state)
{
        struct buf b;
        char *s;

        (void)state;
        buf_init(&b);
        buf_set_max(&b, 8);
        assert_int_equal(buf_adds(&b, "abcde"), 0);
        assert_int_equal(buf_adds(&b, "fghi"), -EFBIG);        /* would be 9: nothing added */
        assert_string_equal(b.data, "abcde");
        assert_int_equal(buf_printf(&b, "%s", "xyzw"), -EFBIG);
        assert_string_equal(b.data, "abcde");
        assert_int_equal(buf_add(&b, "fgh", 3), 0);            /* exactly 8 */
        assert_string_equal(b.data, "abcdefgh");
        assert_int_equal(buf_addc(&b, 'i'), -EFBIG);
        assert_int_equal(buf_add(&b, "", 0), 0);               /* nothing always fits */
        assert_int_equal(b.len, 8);

        buf_reset(&b);                                          /* keeps the cap */
        assert_int_equal(buf_adds(&b, "123456789"), -EFBIG);
        assert_int_equal(buf_printf(&b, "%08d", 7), 0);
        s = buf_steal(&b);                                      /* so does steal */
        assert_string_equal(s, "00000007");
        free(s);
        assert_int_equal(buf_adds(&b, "123456789"), -EFBIG);
        assert_int_equal(b.len, 0);

        buf_set_max(&b, 0);                                     /* no cap */
        assert_int_equal(buf_adds(&b, "123456789"), 0);
        buf_done(&b);                                           /* as after buf_init */
        assert_int_equal(b.max, 0);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(t_uncapped),
                cmocka_unit_test(t_cap),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
