/* test_term.c — fitting output to the terminal (daemon/cli/term.c): display
 * widths, clipping with "…", wrapping, table layout, width and colour from
 * the environment. */
#include "testutil.h"

#include <locale.h>
#include <stdio.h>
#include <unistd.h>

#include "bidbroker/util.h"

#include "../../daemon/cli/term.h"

/* What fn wrote to a FILE, as a string (caller frees). */
static char *
captured(FILE *f, char **text)
{
        fclose(f);
        return *text;
}

static void
t_columns(void **state)
{
        (void)state;
        assert_int_equal(term_columns(""), 0);
        assert_int_equal(term_columns("abc"), 3);
        assert_int_equal(term_columns("Caf\xc3\xa9"), 4);              /* é: 2 bytes, 1 column */
        assert_int_equal(term_columns("\xe6\x9d\xb1\xe4\xba\xac"), 4);  /* 東京: wide */
        assert_int_equal(term_columns("e\xcc\x81"), 1);                /* e + combining acute */
        assert_int_equal(term_columns("\xe2\x80\xa6"), 1);             /* … */
        assert_int_equal(term_columns("a\xff" "b"), 3);                /* an invalid byte: one */
}

static void
t_clip(void **state)
{
        struct buf b;

        (void)state;
        buf_init(&b);
        assert_int_equal(term_clip(&b, "short", 10), 5);
        assert_string_equal(b.data, "short");
        buf_reset(&b);
        assert_int_equal(term_clip(&b, "exactly10!", 10), 10);
        assert_string_equal(b.data, "exactly10!");
        buf_reset(&b);
        assert_int_equal(term_clip(&b, "a longer title", 6), 6);
        assert_string_equal(b.data, "a lon\xe2\x80\xa6");
        buf_reset(&b);
        /* never half a character: é is 2 bytes, 東 two columns */
        assert_int_equal(term_clip(&b, "Caf\xc3\xa9 Z\xc3\xbcrich", 5), 5);
        assert_string_equal(b.data, "Caf\xc3\xa9\xe2\x80\xa6");
        buf_reset(&b);
        assert_int_equal(term_clip(&b, "\xe6\x9d\xb1\xe4\xba\xac\xe9\x83\xbd", 4), 3);
        assert_string_equal(b.data, "\xe6\x9d\xb1\xe2\x80\xa6");        /* 東… */
        buf_reset(&b);
        /* a combining mark stays with its letter */
        assert_int_equal(term_clip(&b, "e\xcc\x81tude", 2), 2);
        assert_string_equal(b.data, "e\xcc\x81\xe2\x80\xa6");
        buf_done(&b);
}

static void
t_wrap(void **state)
{
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        (void)state;
        term_wrap(f, "  label     one two three four five", 20, 12);
        term_wrap(f, "https://example.org/a/very/long/url/indeed", 20, 4);
        term_wrap(f, "a  b", 20, 0);
        captured(f, &text);
        assert_string_equal(text,
                            "  label     one two\n"
                            "          three four\n"    /* cont_indent <= cols - 10 */
                            "          five\n"
                            "https://example.org/a/very/long/url/indeed\n"
                            "a  b\n");
        free(text);
}

static const struct table_col cols[] = {
        { "ID", TABLE_RIGHT | TABLE_KEEP, 0 },
        { "WHO", 0, 4 },
        { "TITLE", TABLE_FLEX, 6 },
};

/* table_print(t) in width columns: what it writes */
static char *
printed(const struct table *t, size_t width, bool color)
{
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        table_print(t, f, width, color);
        return captured(f, &text);
}

static void
expect_table(const struct table *t, size_t width, const char *want)
{
        char *got = printed(t, width, false);

        assert_string_equal(got, want);
        free(got);
}

static void
t_table(void **state)
{
        const char *r1[] = { "7", "someone-long", "A title that is rather long" };
        const char *r2[] = { "123", "me", NULL };
        struct table *t = table_new(cols, 3);
        char *text;

        (void)state;
        table_row(t, r1, 0);
        table_row(t, r2, TABLE_ROW_DIM);
        assert_int_equal(table_rows(t), 2);
        /* wide enough: nothing clipped, the last column not padded */
        expect_table(t, 80, " ID WHO          TITLE\n"
                            "  7 someone-long A title that is rather long\n"
                            "123 me           -\n");
        /* 25 columns: the title gives way */
        expect_table(t, 25, " ID WHO          TITLE\n"
                            "  7 someone-long A title\xe2\x80\xa6\n"
                            "123 me           -\n");
        /* 20: the title to its min (6), then WHO */
        expect_table(t, 20, " ID WHO       TITLE\n"
                            "  7 someone-\xe2\x80\xa6 A tit\xe2\x80\xa6\n"
                            "123 me        -\n");
        /* colour: a bold header, a dim row */
        text = printed(t, 80, true);
        assert_non_null(strstr(text, "\033[1m ID"));
        assert_non_null(strstr(text, "\033[2m123"));
        free(text);
        table_free(t);
}

static void
t_environment(void **state)
{
        enum term_color m;

        (void)state;
        setenv("COLUMNS", "132", 1);
        assert_int_equal(term_width(STDOUT_FILENO), 132);
        setenv("COLUMNS", "5", 1);
        assert_int_equal(term_width(STDOUT_FILENO), TERM_MIN_WIDTH);
        setenv("COLUMNS", "wide", 1);
        assert_true(term_width(-1) == TERM_DEFAULT_WIDTH);      /* not a terminal: 80 */
        unsetenv("COLUMNS");
        assert_int_equal(term_width(-1), TERM_DEFAULT_WIDTH);

        assert_int_equal(term_parse_color("never", &m), 0);
        assert_int_equal(m, TERM_COLOR_NEVER);
        assert_int_equal(term_parse_color("always", &m), 0);
        assert_int_equal(m, TERM_COLOR_ALWAYS);
        assert_int_equal(term_parse_color("auto", &m), 0);
        assert_int_equal(m, TERM_COLOR_AUTO);
        assert_int_not_equal(term_parse_color("sometimes", &m), 0);
        setenv("TERM", "xterm", 1);
        unsetenv("NO_COLOR");
        assert_false(term_use_color(-1, TERM_COLOR_AUTO));      /* not a terminal */
        assert_true(term_use_color(-1, TERM_COLOR_ALWAYS));
        setenv("NO_COLOR", "1", 1);
        assert_false(term_use_color(-1, TERM_COLOR_AUTO));
        assert_true(term_use_color(-1, TERM_COLOR_ALWAYS));     /* asked for: yes */
        assert_false(term_use_color(-1, TERM_COLOR_NEVER));
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(t_columns),
                cmocka_unit_test(t_clip),
                cmocka_unit_test(t_wrap),
                cmocka_unit_test(t_table),
                cmocka_unit_test(t_environment),
        };

        setlocale(LC_CTYPE, "C.UTF-8");         /* as main() does */
        return cmocka_run_group_tests(tests, NULL, NULL);
}
