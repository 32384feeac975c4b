/* test_buf.c — struct buf and its size cap (daemon/base/util.c). */
#include <errno.h>
#include <string.h>

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

/* buf_printf prints once into the buffer's room or a local array, and again
 * only for a longer text: every path gives the same text, the cap holds */
static void
t_printf_paths(void **state)
{
        struct buf b;
        char big[600];

        (void)state;
        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        buf_init(&b);
        assert_int_equal(buf_printf(&b, "%s-%d", "short", 1), 0);     /* no memory yet */
        assert_string_equal(b.data, "short-1");
        assert_int_equal(buf_printf(&b, "<%s>", big), 0);              /* longer than the room */
        assert_int_equal(b.len, 7 + 2 + 599);
        assert_int_equal(b.data[7], '<');
        assert_int_equal(b.data[b.len - 1], '>');
        assert_int_equal(b.data[b.len], '\0');
        buf_reset(&b);                                                  /* room now: printed in place */
        assert_int_equal(buf_printf(&b, "%d %s", 42, "in place"), 0);
        assert_string_equal(b.data, "42 in place");
        buf_done(&b);

        buf_init(&b);
        assert_int_equal(buf_printf(&b, "%s", big), 0);                /* first print, long */
        assert_int_equal(b.len, 599);
        buf_reset(&b);
        buf_set_max(&b, 8);                                             /* room, but a cap */
        assert_int_equal(buf_printf(&b, "%s", "123456789"), -EFBIG);
        assert_int_equal(b.len, 0);
        assert_string_equal(b.data, "");
        assert_int_equal(buf_printf(&b, "%s", "12345678"), 0);
        assert_string_equal(b.data, "12345678");
        buf_done(&b);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(t_uncapped),
                cmocka_unit_test(t_cap),
                cmocka_unit_test(t_printf_paths),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
