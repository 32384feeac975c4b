/* test_utf8.c — the one UTF-8 decoder, validator and encoder (daemon/base/utf8.c). */
#include "testutil.h"

#include "bidbroker/utf8.h"
#include "bidbroker/util.h"

/* utf8_decode(s) over all of s (strlen unless len given) */
static size_t
dec(const char *s, size_t len, uint32_t *cp)
{
        *cp = 0x12345;
        return utf8_decode(s, len, cp);
}

static void
t_valid(void **state)
{
        uint32_t cp;

        (void)state;
        assert_int_equal(dec("A", 1, &cp), 1);
        assert_int_equal(cp, 'A');
        assert_int_equal(dec("\0", 1, &cp), 1);                 /* NUL is UTF-8 */
        assert_int_equal(cp, 0);
        assert_int_equal(dec("\xc2\x80", 2, &cp), 2);           /* smallest 2-byte */
        assert_int_equal(cp, 0x80);
        assert_int_equal(dec("\xc2\xa3x", 3, &cp), 2);          /* £, rest ignored */
        assert_int_equal(cp, 0xA3);
        assert_int_equal(dec("\xdf\xbf", 2, &cp), 2);
        assert_int_equal(cp, 0x7FF);
        assert_int_equal(dec("\xe0\xa0\x80", 3, &cp), 3);       /* smallest 3-byte */
        assert_int_equal(cp, 0x800);
        assert_int_equal(dec("\xe2\x82\xac", 3, &cp), 3);       /* € */
        assert_int_equal(cp, 0x20AC);
        assert_int_equal(dec("\xed\x9f\xbf", 3, &cp), 3);       /* just below the surrogates */
        assert_int_equal(cp, 0xD7FF);
        assert_int_equal(dec("\xee\x80\x80", 3, &cp), 3);       /* just above them */
        assert_int_equal(cp, 0xE000);
        assert_int_equal(dec("\xef\xbf\xbf", 3, &cp), 3);
        assert_int_equal(cp, 0xFFFF);
        assert_int_equal(dec("\xf0\x90\x80\x80", 4, &cp), 4);   /* smallest 4-byte */
        assert_int_equal(cp, 0x10000);
        assert_int_equal(dec("\xf4\x8f\xbf\xbf", 4, &cp), 4);   /* U+10FFFF */
        assert_int_equal(cp, 0x10FFFF);
        assert_true(utf8_valid("", 0));
        assert_true(utf8_valid("caf\xc3\xa9 \xe2\x82\xac\xf0\x9f\x98\x80", 13));
        assert_true(utf8_valid("a\0b", 3));
}

static void
t_invalid(void **state)
{
        static const char *const bad[] = {
                "\xc0\xaf", "\xc1\xbf",                 /* overlong 2-byte ('/', DEL) */
                "\xe0\x80\xaf", "\xe0\x9f\xbf",         /* overlong 3-byte */
                "\xf0\x80\x80\xaf", "\xf0\x8f\xbf\xbf", /* overlong 4-byte */
                "\xed\xa0\x80", "\xed\xbf\xbf",         /* surrogates U+D800, U+DFFF */
                "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", /* above U+10FFFF */
                "\xf8\x88\x80\x80\x80", "\xff", "\xfe", /* no such lead bytes */
                "\x80", "\xbf",                         /* a lone continuation byte */
                "\xc3(", "\xe2\x82(", "\xf0\x9f\x98(",  /* a non-continuation inside */
        };
        uint32_t cp;

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                size_t len = strlen(bad[i]);

                assert_int_equal(dec(bad[i], len, &cp), 0);
                assert_int_equal(cp, 0x12345);                  /* untouched */
                assert_false(utf8_valid(bad[i], len));
                assert_int_equal(utf8_decode_lossy(bad[i], len, &cp), 1);
                assert_int_equal(cp, UTF8_REPLACEMENT);
        }
        assert_int_equal(dec("", 0, &cp), 0);
}

static void
t_truncated(void **state)
{
        uint32_t cp;

        (void)state;
        assert_int_equal(dec("\xc3\xa9", 1, &cp), 0);
        assert_int_equal(dec("\xe2\x82\xac", 2, &cp), 0);
        assert_int_equal(dec("\xf0\x9f\x98\x80", 3, &cp), 0);
        assert_false(utf8_valid("caf\xc3\xa9", 4));
        assert_false(utf8_valid("\xe2\x82", 2));
        assert_int_equal(utf8_decode_lossy("\xe2\x82", 2, &cp), 1);
        assert_int_equal(cp, UTF8_REPLACEMENT);
        assert_int_equal(utf8_decode_lossy("\xe2\x82\xac", 3, &cp), 3);
        assert_int_equal(cp, 0x20AC);
}

/* utf8_valid skips ASCII eight bytes at a time: a sequence is judged the same
 * at every offset from an 8-byte boundary, at the end too */
static void
t_valid_offsets(void **state)
{
        static const char *const seqs[] = { "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
                                            "\xc0\xaf", "\xed\xa0\x80", "\x80", "\xff",
                                            "\xe2\x82" };
        static const bool ok[] = { true, true, true, false, false, false, false, false };
        char s[64];

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(seqs); i++) {
                size_t n = strlen(seqs[i]);

                for (size_t off = 0; off < 20; off++) {
                        for (size_t tail = 0; tail < 12; tail += 11) {
                                memset(s, 'a', sizeof(s));
                                memcpy(s + off, seqs[i], n);
                                assert_int_equal(utf8_valid(s, off + n + tail), ok[i]);
                        }
                }
        }
        memset(s, 'a', sizeof(s));
        assert_true(utf8_valid(s, sizeof(s)));
        s[63] = (char)0x80;
        assert_false(utf8_valid(s, sizeof(s)));
}

static void
t_put(void **state)
{
        static const uint32_t cps[] = { 0, 'A', 0x7F, 0x80, 0xA3, 0x7FF, 0x800, 0x20AC,
                                        0xD7FF, 0xE000, 0xFFFD, 0xFFFF, 0x10000, 0x1F600,
                                        0x10FFFF };
        struct buf b;
        uint32_t cp;

        (void)state;
        buf_init(&b);
        for (size_t i = 0; i < ARRAY_SIZE(cps); i++) {      /* round trip */
                buf_reset(&b);
                utf8_put(&b, cps[i]);
                assert_true(utf8_valid(b.data, b.len));
                assert_int_equal(utf8_decode(b.data, b.len, &cp), b.len);
                assert_int_equal(cp, cps[i]);
        }
        buf_reset(&b);
        utf8_put(&b, 0xD800);                                   /* not a character */
        utf8_put(&b, 0xDFFF);
        utf8_put(&b, 0x110000);
        buf_add(&b, "", 0);
        assert_string_equal(b.data, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
        buf_done(&b);
}

static void
t_cut(void **state)
{
        const char *s = "a\xc3\xa9\xe2\x82\xac";                /* a é € : 1 + 2 + 3 bytes */

        (void)state;
        assert_int_equal(utf8_cut(s, 6, 10), 6);
        assert_int_equal(utf8_cut(s, 6, 6), 6);
        assert_int_equal(utf8_cut(s, 6, 5), 3);
        assert_int_equal(utf8_cut(s, 6, 4), 3);
        assert_int_equal(utf8_cut(s, 6, 3), 3);
        assert_int_equal(utf8_cut(s, 6, 2), 1);
        assert_int_equal(utf8_cut(s, 6, 1), 1);
        assert_int_equal(utf8_cut(s, 6, 0), 0);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(t_valid),
                cmocka_unit_test(t_invalid),
                cmocka_unit_test(t_truncated),
                cmocka_unit_test(t_valid_offsets),
                cmocka_unit_test(t_put),
                cmocka_unit_test(t_cut),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
