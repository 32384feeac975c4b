/* test_config.c — INI reader, config schema and the number parsers. */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "bidbroker/config.h"
#include "bidbroker/err.h"
#include "bidbroker/ini.h"
#include "bidbroker/util.h"

/* Write text to a fresh temp dir; *dir receives the directory (caller frees). */
static char *
write_conf(const char *text, char **dir)
{
        char tmpl[] = "/tmp/bb-config-XXXXXX";
        char *d = mkdtemp(tmpl);
        char *path;

        assert_non_null(d);
        *dir = xstrdup(d);
        path = xasprintf("%s/bidbroker.conf", d);
        assert_int_equal(write_file_atomic(path, text, strlen(text), 0600), 0);
        return path;
}

static void
cleanup(char *path, char *dir)
{
        unlink(path);
        rmdir(dir);
        free(path);
        free(dir);
}

static bool
has_msg(const struct diag *d, const char *needle)
{
        for (size_t i = 0; i < d->n; i++)
                if (strstr(d->msg[i], needle))
                        return true;
        return false;
}

static void
t_defaults(void **state)
{
        struct config *c = NULL;
        struct diag d;

        (void)state;
        diag_init(&d);
        assert_int_equal(config_load(NULL, &c, &d), 0);
        assert_int_equal(diag_count(&d), 0);
        assert_int_equal(c->max_value, 2500000);
        assert_true(c->keep_value_not_stated);
        assert_int_equal(c->nsources, 2);
        assert_string_equal(c->sources[0].name, "fts");
        assert_int_equal(c->sources[0].type, SOURCE_FTS);
        assert_true(str_startswith(c->sources[0].url, "https://www.find-tender.service.gov.uk/"));
        assert_int_equal(c->sources[0].window_ms, 6 * 3600 * 1000LL);
        assert_int_equal(c->sources[1].type, SOURCE_CF);
        assert_int_equal(c->sources[1].window_ms, 86400 * 1000LL);
        assert_int_equal(c->sources[1].min_interval_ms, 10000);
        config_free(c);
        diag_done(&d);
}

static void
t_good_file(void **state)
{
        char *dir, *path;
        struct config *c = NULL;
        struct diag d;

        (void)state;
        path = write_conf("# comment\n"
                          "[bidbroker]\nstate_dir = state\nlog_level = debug\n\n"
                          "[filter]\nmax_value = £20,000\nkeep_value_not_stated = no\n"
                          "regions = West Midlands, ukf, b\n"
                          "[match]\ntaxonomy = /etc/x.conf\nmembers = members\n"
                          "[source portal]\ntype = feed\nurl = \"http://127.0.0.1:1/feed.xml\"\n"
                          "min_interval = 0.5\ninterval = 5m\n", &dir);
        diag_init(&d);
        assert_int_equal(config_load(path, &c, &d), 0);
        assert_int_equal(diag_count(&d), 0);
        {
                char *want = xasprintf("%s/state", dir);

                assert_string_equal(c->state_dir, want);        /* relative to the file */
                free(want);
        }
        assert_string_equal(c->taxonomy, "/etc/x.conf");        /* absolute kept */
        assert_int_equal(c->log_level, LOG_LVL_DEBUG);
        assert_int_equal(c->max_value, 2000000);
        assert_false(c->keep_value_not_stated);
        assert_int_equal(c->regions.n, 3);                      /* one vocabulary */
        assert_string_equal(c->regions.v[0], "UKG");
        assert_string_equal(c->regions.v[1], "UKF");
        assert_string_equal(c->regions.v[2], "PC:B");
        assert_int_equal(c->nsources, 1);                       /* file replaces built-ins */
        assert_string_equal(c->sources[0].url, "http://127.0.0.1:1/feed.xml");
        assert_int_equal(c->sources[0].min_interval_ms, 500);
        assert_int_equal(c->sources[0].interval_ms, 300000);
        assert_non_null(config_source(c, "portal"));
        assert_null(config_source(c, "fts"));
        config_free(c);
        diag_done(&d);
        cleanup(path, dir);
}

static void
t_every_error_reported(void **state)
{
        char *dir, *path;
        struct config *c = (struct config *)0x1;        /* must stay untouched */
        struct diag d;
        char *p;

        (void)state;
        path = write_conf("[bidbroker]\n"                       /* 1 */
                          "bogus = 1\n"                         /* 2 unknown key */
                          "log_level = loud\n"                  /* 3 bad level */
                          "[filter]\n"                          /* 4 */
                          "max_value = lots\n"                  /* 5 bad money */
                          "max_value = 3\n"                     /* 6 duplicate */
                          "just words\n"                        /* 7 no '=' */
                          "[nonsense]\n"                        /* 8 unknown section */
                          "[source fts]\n"                      /* 9 */
                          "type = fts\nwindow = 12h\n"          /* 10, 11 window too long */
                          "[source x]\n"                        /* 12 no type */
                          "interval = 1s\n"                     /* 13 too short */
                          "[source fts]\ntype = fts\n"          /* 14 defined twice */
                          "[broken\n", &dir);                   /* 16 bad header */
        diag_init(&d);
        assert_int_equal(config_load(path, &c, &d), -EINVAL);
        assert_ptr_equal(c, (struct config *)0x1);
        p = xasprintf("%s:", path);
        for (size_t i = 0; i < d.n; i++)
                assert_true(str_startswith(d.msg[i], p));        /* FILE:LINE: everywhere */
        free(p);
        assert_true(has_msg(&d, ":2: unknown key 'bogus' in [bidbroker]"));
        assert_true(has_msg(&d, ":3: 'log_level' must be"));
        assert_true(has_msg(&d, ":5: 'max_value' must be an amount"));
        assert_true(has_msg(&d, ":6: 'max_value' given twice"));
        assert_true(has_msg(&d, ":7: expected 'key = value'"));
        assert_true(has_msg(&d, ":8: unknown section [nonsense]"));
        assert_true(has_msg(&d, ":9: [source fts]: window may be at most 21600s"));
        assert_true(has_msg(&d, ":12: [source x] needs 'type'"));
        assert_true(has_msg(&d, ":13: 'interval' must be a duration"));
        assert_true(has_msg(&d, ":14: [source fts] defined twice"));
        assert_true(has_msg(&d, ":16: section header must end with ']'"));
        assert_int_equal(diag_count(&d), 11);
        diag_done(&d);
        cleanup(path, dir);
}

static void
t_filter_regions_unknown(void **state)
{
        char *dir, *path;
        struct config *c = NULL;
        struct diag d;

        (void)state;
        path = write_conf("[filter]\nregions = UKG, Narnia\n", &dir);
        diag_init(&d);
        assert_int_equal(config_load(path, &c, &d), -EINVAL);
        assert_null(c);
        assert_int_equal(diag_count(&d), 1);
        assert_true(has_msg(&d, ":2: [filter] regions: 'Narnia' is not a region"));
        assert_true(strstr(d.msg[0], "West Midlands") != NULL);        /* the accepted forms */
        assert_true(strstr(d.msg[0], "postcode area") != NULL);
        diag_done(&d);
        cleanup(path, dir);
}

static void
t_missing_file(void **state)
{
        struct config *c = NULL;
        struct diag d;

        (void)state;
        diag_init(&d);
        assert_int_equal(config_load("/nonexistent/bidbroker.conf", &c, &d), -ENOENT);
        assert_null(c);
        assert_true(has_msg(&d, "/nonexistent/bidbroker.conf: cannot read"));
        diag_done(&d);
}

static void
t_ini_quoting_and_outside(void **state)
{
        struct ini *ini = NULL;
        struct diag d;
        const char *text = "top = 1\n[a b]\nk = \"  spaced # not a comment \"\n"
                           "q = \"unterminated\n[bad name!]\n";

        (void)state;
        diag_init(&d);
        assert_int_equal(ini_parse("t.ini", text, strlen(text), &ini, &d), 0);
        assert_int_equal(ini->nsections, 3);
        assert_string_equal(ini->sections[0].type, "");
        assert_string_equal(ini->sections[1].type, "a");
        assert_string_equal(ini->sections[1].name, "b");
        assert_string_equal(ini_get(&ini->sections[1], "k")->value, "  spaced # not a comment ");
        assert_true(has_msg(&d, "t.ini:4: unterminated quoted value for 'q'"));
        assert_true(has_msg(&d, "t.ini:5: bad name 'name!'"));
        ini_free(ini);
        diag_done(&d);
}

/* A UTF-8 byte order mark opens the file: accepted (config, and through the
 * same reader the taxonomy and member files); anywhere else: FILE:LINE. */
static void
t_bom(void **state)
{
        struct ini *ini = NULL;
        struct config *c = NULL;
        struct diag d;
        char *dir, *path;
        const char *start = "\xef\xbb\xbf[a]\nk = v\n";
        const char *later = "[a]\nk = v\n\xef\xbb\xbfj = w\n# \xef\xbb\xbf in a comment\n"
                            "l = x\xef\xbb\xbf\n";

        (void)state;
        diag_init(&d);
        assert_int_equal(ini_parse("t.ini", start, strlen(start), &ini, &d), 0);
        assert_int_equal(diag_count(&d), 0);
        assert_int_equal(ini->nsections, 1);
        assert_string_equal(ini->sections[0].type, "a");
        assert_string_equal(ini_get(&ini->sections[0], "k")->value, "v");
        ini = ini_free(ini);

        assert_int_equal(ini_parse("t.ini", later, strlen(later), &ini, &d), 0);
        assert_int_equal(diag_count(&d), 3);
        assert_true(has_msg(&d, "t.ini:3: a byte order mark (U+FEFF) is allowed only at "
                            "the very start of the file"));
        assert_true(has_msg(&d, "t.ini:4: a byte order mark"));
        assert_true(has_msg(&d, "t.ini:5: a byte order mark"));
        assert_null(ini_get(&ini->sections[0], "j"));
        assert_null(ini_get(&ini->sections[0], "l"));
        ini = ini_free(ini);
        diag_done(&d);

        /* a whole configuration file saved with a BOM */
        path = write_conf("\xef\xbb\xbf[filter]\nmax_value = 10000\n", &dir);
        diag_init(&d);
        assert_int_equal(config_load(path, &c, &d), 0);
        assert_int_equal(diag_count(&d), 0);
        assert_int_equal(c->max_value, 1000000);
        config_free(c);
        diag_done(&d);
        cleanup(path, dir);
}

static void
t_numbers(void **state)
{
        int64_t v;
        long l;
        bool b;
        struct strv sv;

        (void)state;
        assert_int_equal(parse_money("25000", &v), 0);
        assert_int_equal(v, 2500000);
        assert_int_equal(parse_money("£24,999.99", &v), 0);
        assert_int_equal(v, 2499999);
        assert_int_equal(parse_money("25k", &v), 0);
        assert_int_equal(v, 2500000);
        assert_int_equal(parse_money("1.5m", &v), 0);
        assert_int_equal(v, 150000000);
        assert_true(parse_money("-5", &v) < 0);
        assert_true(parse_money("abc", &v) < 0);
        assert_true(parse_money("", &v) < 0);
        assert_int_equal(parse_duration_ms("10", &v), 0);
        assert_int_equal(v, 10000);
        assert_int_equal(parse_duration_ms("0.25", &v), 0);
        assert_int_equal(v, 250);
        assert_int_equal(parse_duration_ms("6h", &v), 0);
        assert_int_equal(v, 21600000);
        assert_int_equal(parse_duration_ms("150ms", &v), 0);
        assert_int_equal(v, 150);
        assert_true(parse_duration_ms("5 minutes", &v) < 0);
        assert_int_equal(parse_long("42", 0, 100, &l), 0);
        assert_int_equal(parse_long("420", 0, 100, &l), -ERANGE);
        assert_int_equal(parse_long("4x", 0, 100, &l), -EINVAL);
        assert_int_equal(parse_long(" 4", 0, 100, &l), -EINVAL);
        assert_int_equal(parse_bool("Yes", &b), 0);
        assert_true(b);
        assert_int_equal(parse_bool("off", &b), 0);
        assert_false(b);
        assert_true(parse_bool("maybe", &b) < 0);
        strv_init(&sv);
        str_split(" a ; b;;c ", ';', &sv);
        assert_int_equal(sv.n, 3);
        assert_string_equal(sv.v[2], "c");
        strv_done(&sv);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(t_defaults),
                cmocka_unit_test(t_good_file),
                cmocka_unit_test(t_every_error_reported),
                cmocka_unit_test(t_filter_regions_unknown),
                cmocka_unit_test(t_missing_file),
                cmocka_unit_test(t_ini_quoting_and_outside),
                cmocka_unit_test(t_numbers),
                cmocka_unit_test(t_bom),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
