/* test_termsafe.c — text made safe for a terminal (termsafe.h). */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "bidbroker/termsafe.h"

static void
expect(const char *in, unsigned keep, const char *want)
{
        char *got = text_for_terminal(in, keep);

        assert_string_equal(got, want);
        free(got);
}

static void
t_controls(void **state)
{
        (void)state;
        expect("plain £12,000 café", 0, "plain £12,000 café");
        expect("a\x1b[31mred\x1b[0m", 0, "a<U+001B>[31mred<U+001B>[0m");
        expect("bell\a del\x7f", 0, "bell<U+0007> del<U+007F>");
        expect("csi \xc2\x9b" "31m nel \xc2\x85", 0, "csi <U+009B>31m nel <U+0085>");
        expect("two\nlines\tx", 0, "two<U+000A>lines<U+0009>x");
        expect("two\nlines\tx", TERMSAFE_NEWLINE | TERMSAFE_TAB, "two\nlines\tx");
        expect("cr\rover", TERMSAFE_NEWLINE, "cr<U+000D>over");
        expect("", 0, "");
        assert_null(text_for_terminal(NULL, 0));
}

static void
t_format_chars(void **state)
{
        (void)state;
        /* bidirectional overrides, embeddings, isolates, marks */
        expect("invoice \xe2\x80\xaegpj.exe", 0, "invoice <U+202E>gpj.exe");
        expect("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad", 0,
               "<U+202A><U+202B><U+202C><U+202D>");
        expect("\xe2\x81\xa6x\xe2\x81\xa7y\xe2\x81\xa8z\xe2\x81\xa9", 0,
               "<U+2066>x<U+2067>y<U+2068>z<U+2069>");
        expect("\xe2\x80\x8e\xe2\x80\x8f", 0, "<U+200E><U+200F>");
        /* zero width, BOM, soft hyphen, Arabic letter mark, tags, separators */
        expect("a\xe2\x80\x8b" "b\xef\xbb\xbf" "c\xc2\xad" "d", 0,
               "a<U+200B>b<U+FEFF>c<U+00AD>d");
        expect("\xd8\x9c\xf3\xa0\x80\x81\xe2\x80\xa8\xe2\x80\xa9", 0,
               "<U+061C><U+E0001><U+2028><U+2029>");
        /* not format characters: letters, symbols, NBSP, the ellipsis */
        expect("\xc2\xa0\xe2\x80\xa6\xe2\x82\xac\xe4\xb8\xad", 0, "\xc2\xa0\xe2\x80\xa6\xe2\x82\xac\xe4\xb8\xad");
}

static void
t_invalid_utf8(void **state)
{
        (void)state;
        expect("x\x9b" "31m", 0, "x<0x9B>31m");
        expect("\xff\xfe", 0, "<0xFF><0xFE>");
        expect("cut \xe2\x80", 0, "cut <0xE2><0x80>");
}

static void
t_copy_bounded(void **state)
{
        char out[16];

        (void)state;
        assert_int_equal(termsafe_copy(out, sizeof(out), "ok\x1b" "x", 0), 11);
        assert_string_equal(out, "ok<U+001B>x");
        /* an escape that does not fit is left out whole, never cut */
        assert_int_equal(termsafe_copy(out, 10, "abc\x1b", 0), 3);
        assert_string_equal(out, "abc");
        /* a character is never cut in half */
        assert_int_equal(termsafe_copy(out, 5, "ab\xc3\xa9\xc3\xa9", 0), 4);
        assert_string_equal(out, "ab\xc3\xa9");
        assert_int_equal(termsafe_copy(out, 1, "abc", 0), 0);
        assert_string_equal(out, "");
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(t_controls),
                cmocka_unit_test(t_format_chars),
                cmocka_unit_test(t_invalid_utf8),
                cmocka_unit_test(t_copy_bounded),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
