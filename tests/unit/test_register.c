/*
 * test_register.c — the capability taxonomy, member files, the CPV reference
 * list, the CSV reader and `members import`: good input parsed to the right
 * values, and every error reported with its FILE:LINE.
 */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bidbroker/cpvcover.h"
#include "bidbroker/cpvref.h"
#include "bidbroker/csv.h"
#include "bidbroker/err.h"
#include "bidbroker/members.h"
#include "bidbroker/members_csv.h"
#include "bidbroker/members_write.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/region.h"
#include "bidbroker/utf8.h"
#include "bidbroker/util.h"

/* ---- helpers --------------------------------------------------------------------- */

/* import that writes, files in the caller's group */
static const struct import_opts wr = { .dry_run = false, .gid = (unsigned)-1 };

struct tmp {
        char dir[64];
};

static int
tmp_setup(void **state)
{
        struct tmp *t = calloc(1, sizeof(*t));

        snprintf(t->dir, sizeof(t->dir), "/tmp/test_register.XXXXXX");
        assert_non_null(mkdtemp(t->dir));
        *state = t;
        return 0;
}

static void
rm_rf(const char *dir)
{
        DIR *dh = opendir(dir);
        struct dirent *de;

        if (dh == NULL)
                return;
        while ((de = readdir(dh)) != NULL) {
                char *p;
                struct stat st;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                p = xasprintf("%s/%s", dir, de->d_name);
                if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
                        rm_rf(p);
                else
                        unlink(p);
                free(p);
        }
        closedir(dh);
        rmdir(dir);
}

static int
tmp_teardown(void **state)
{
        struct tmp *t = *state;

        rm_rf(t->dir);
        free(t);
        return 0;
}

/* Write text to DIR/name; returns the path (caller frees). */
static char *
put(const struct tmp *t, const char *name, const char *text)
{
        char *path = xasprintf("%s/%s", t->dir, name);
        char *slash = strrchr(path, '/');

        *slash = '\0';
        mkdir_p(path, 0755);
        *slash = '/';
        assert_int_equal(write_file_atomic(path, text, strlen(text), 0644), 0);
        return path;
}

/* Does d hold a message "PATH:LINE: ...needle..."? */
static bool
has_diag(const struct diag *d, const char *path, unsigned line, const char *needle)
{
        char *prefix = line ? xasprintf("%s:%u: ", path, line) : xasprintf("%s: ", path);
        bool found = false;

        for (size_t i = 0; i < d->n && !found; i++)
                found = str_startswith(d->msg[i], prefix) && strstr(d->msg[i], needle);
        free(prefix);
        return found;
}

#define assert_diag(d, path, line, needle) do {                                         \
        if (!has_diag(d, path, line, needle)) {                                         \
                diag_print(d, stderr);                                                  \
                fail_msg("no diagnostic %s:%u: ...%s...", path, (unsigned)(line), needle); \
        }                                                                               \
} while (0)

static struct cpvref *
load_ref(void)
{
        char *path = xasprintf("%s/reference/ref-cpv2008-xterr-cpvCodes.json", fixtures_dir());
        struct cpvref *ref = NULL;
        struct err e = { 0 };

        assert_int_equal(cpvref_load(path, &ref, &e), 0);
        free(path);
        return ref;
}

/* ---- CPV reference ------------------------------------------------------------------ */

static void
t_cpvref(void **state)
{
        struct cpvref *ref = load_ref();
        struct cpvref *bad = NULL;
        struct err e = { 0 };

        (void)state;
        assert_int_equal(cpvref_count(ref), 9454);     /* the version 2 entries */
        assert_string_equal(cpvref_name(ref, "90911200"), "Building-cleaning services");
        assert_string_equal(cpvref_name(ref, "09322000"), "Steam");
        assert_null(cpvref_name(ref, "90911201"));
        assert_true(cpvref_has_prefix(ref, "9091"));
        assert_true(cpvref_has_prefix(ref, "09"));
        assert_false(cpvref_has_prefix(ref, "99"));
        assert_false(cpvref_has_prefix(ref, "909999"));
        assert_string_equal(cpvref_prefix_label(ref, "9091"), "Cleaning services");
        assert_null(cpvref_prefix_label(ref, "99"));
        cpvref_free(ref);
        assert_int_equal(cpvref_load("/nonexistent/cpv.json", &bad, &e), -ENOENT);
        assert_null(bad);
        assert_non_null(strstr(e.msg, "/nonexistent/cpv.json"));
}

/* ---- taxonomy ----------------------------------------------------------------------- */

static void
t_taxonomy_good(void **state)
{
        struct tmp *t = *state;
        struct cpvref *ref = load_ref();
        char *p = put(t, "tax.conf",
                "# test taxonomy\n"
                "[capability cleaning]\n"
                "label = Cleaning services\n"
                "weight = 1.5\n"
                "cpv = 9091; 90919300-5; 909\n"           /* ';' or ',' separate */
                "cpv = 90910000\n"                          /* trailing zeros dropped */
                "cpv_exclude = 90650000\n"
                "keyword = office cleaning\n"
                "regex = title,lots: \\bclean(?:ing|ers)\\b\n"
                "fields = title\n"
                "rule_weight = 2\n"
                "keyword = window cleaning\n"
                "exclude = asbestos\n"
                "exclude_regex = description: \\bdeep clean of (?:sewers|drains)\n"
                "keyword = note: not a field list\n"
                "\n"
                "[capability it-support]\n"
                "cpv = 7231\n");
        struct taxonomy *tx = NULL;
        struct diag d;
        const struct capability *c;

        diag_init(&d);
        assert_int_equal(taxonomy_load_ref(p, ref, &tx, &d), 0);
        assert_int_equal(diag_count(&d), 0);
        assert_int_equal(tx->ncaps, 2);
        c = taxonomy_find(tx, "cleaning");
        assert_non_null(c);
        assert_string_equal(c->label, "Cleaning services");
        assert_true(c->weight == 1.5);
        /* a code with its check digit, and an 8-digit code, stand for their
         * subtree: trailing zeros are dropped; duplicates are kept once */
        assert_int_equal(c->cpv.n, 3);
        assert_string_equal(c->cpv.v[1], "909193");
        assert_true(strv_contains(&c->cpv, "9091"));
        assert_int_equal(c->cpv_exclude.n, 1);
        assert_string_equal(c->cpv_exclude.v[0], "9065");
        assert_int_equal(c->nrules, 6);
        assert_int_equal(c->rules[0].kind, RULE_KEYWORD);
        assert_int_equal(c->rules[0].fields, FIELD_TEXT);
        assert_string_equal(c->rules[0].text, "office cleaning");
        assert_true(c->rules[0].weight == 1.0);
        assert_int_equal(c->rules[0].line, 8);
        assert_int_equal(c->rules[1].kind, RULE_REGEX);
        assert_int_equal(c->rules[1].fields, FIELD_TITLE | FIELD_LOTS);
        assert_string_equal(c->rules[1].text, "\\bclean(?:ing|ers)\\b");
        assert_int_equal(c->rules[2].fields, FIELD_TITLE);
        assert_true(c->rules[2].weight == 2.0);
        assert_true(c->rules[3].exclude);
        assert_int_equal(c->rules[3].kind, RULE_KEYWORD);
        assert_int_equal(c->rules[4].kind, RULE_REGEX);
        assert_true(c->rules[4].exclude);
        assert_int_equal(c->rules[4].fields, FIELD_DESCRIPTION);
        assert_string_equal(c->rules[5].text, "note: not a field list");
        c = taxonomy_find(tx, "it-support");
        assert_string_equal(c->label, "it-support");
        assert_null(taxonomy_find(tx, "catering"));
        taxonomy_free(tx);
        diag_done(&d);
        cpvref_free(ref);
        free(p);
}

static void
t_taxonomy_errors(void **state)
{
        struct tmp *t = *state;
        struct cpvref *ref = load_ref();
        char *p = put(t, "bad.conf",
                "stray = 1\n"                                   /* 1 */
                "[capability cleaning]\n"                       /* 2 */
                "cpv = 9091\n"                                  /* 3 */
                "regex = \\bclean(ing\n"                        /* 4 */
                "cpv = 9x91\n"                                  /* 5 */
                "cpv = 9\n"                                     /* 6 */
                "cpv = 9999\n"                                  /* 7 */
                "cpv = 90911201\n"                              /* 8 */
                "colour = blue\n"                               /* 9 */
                "weight = -1\n"                                 /* 10 */
                "regex = x*\n"                                  /* 11 */
                "fields = title, price\n"                       /* 12 */
                "keyword = ***\n"                               /* 13 */
                "label = A\n"                                   /* 14 */
                "label = B\n"                                   /* 15 */
                "[capability cleaning]\n"                       /* 16 */
                "cpv = 9091\n"                                  /* 17 */
                "[capability empty]\n"                          /* 18 */
                "label = Nothing here\n"                        /* 19 */
                "[capability Bad_Id]\n"                         /* 20 */
                "[rules]\n"                                     /* 21 */
                "exclude_regex = (?<n\n");                      /* 22 */
        struct taxonomy *tx = NULL;
        struct diag d;

        diag_init(&d);
        assert_int_equal(taxonomy_load_ref(p, ref, &tx, &d), -EINVAL);
        assert_null(tx);
        assert_diag(&d, p, 1, "'stray' is outside any [capability ID] section");
        assert_diag(&d, p, 4, "regex '\\bclean(ing' error at offset 11: missing closing "
                    "parenthesis");
        assert_diag(&d, p, 5, "CPV prefix '9x91' must be 2 to 8 digits");
        assert_diag(&d, p, 6, "CPV prefix '9' must be 2 to 8 digits");
        assert_diag(&d, p, 7, "CPV prefix '9999' is not the start of any CPV 2008 code");
        assert_diag(&d, p, 8, "CPV code '90911201' is not in the CPV 2008 list");
        assert_diag(&d, p, 9, "unknown key 'colour' in [capability cleaning]");
        assert_diag(&d, p, 10, "'weight' must be a number above 0");
        assert_diag(&d, p, 11, "regex 'x*' matches empty text");
        assert_diag(&d, p, 12, "'fields' must list title, description");
        assert_diag(&d, p, 13, "'keyword' needs at least one letter or digit");
        assert_diag(&d, p, 15, "'label' given twice");
        assert_diag(&d, p, 16, "[capability cleaning] defined twice (first at line 2)");
        assert_diag(&d, p, 18, "[capability empty] has no 'keyword' or 'regex'");
        assert_diag(&d, p, 20, "[capability Bad_Id] needs an id of lower-case letters");
        assert_diag(&d, p, 21, "unknown section [rules]");
        diag_done(&d);

        /* without the reference, only the syntax of CPV prefixes is checked */
        free(p);
        p = put(t, "noref.conf", "[capability x]\ncpv = 9999\n");
        diag_init(&d);
        assert_int_equal(taxonomy_load(p, &tx, &d), 0);
        taxonomy_free(tx);
        tx = NULL;
        diag_done(&d);

        /* a missing file */
        diag_init(&d);
        assert_int_equal(taxonomy_load("/nonexistent/tax.conf", &tx, &d), -ENOENT);
        assert_int_equal(diag_count(&d), 1);
        diag_done(&d);
        cpvref_free(ref);
        free(p);
}

/* The CPV coverage table: the longest prefix places a code; every error has
 * its FILE:LINE; the taxonomy loads it relative to itself. */
static void
t_cpv_coverage(void **state)
{
        struct tmp *t = *state;
        struct cpvref *ref = load_ref();
        struct strv caps;
        struct cpvcover *c = NULL;
        const struct cpvcover_line *l;
        struct taxonomy *tx = NULL;
        struct diag d;
        char *p, *bad, *tax;

        strv_init(&caps);
        strv_add(&caps, "cleaning");
        strv_add(&caps, "building-works");
        strv_add(&caps, "grounds");
        p = put(t, "cover.conf",
                "# a comment\n"
                "45          building-works\n"
                "\n"
                "4511        out-of-scope: demolition for large works\n"
                "45112700-2  grounds, building-works, grounds\n"
                "  90910000  cleaning\n"
                "90911200    out-of-scope: a reason with: colons\n");
        diag_init(&d);
        assert_int_equal(cpvcover_load(p, &caps, ref, &c, &d), 0);
        assert_int_equal(diag_count(&d), 0);
        assert_int_equal(cpvcover_count(c), 5);
        /* sorted by prefix; 8-digit codes stand for their subtree */
        assert_string_equal(cpvcover_line(c, 0)->prefix, "45");
        assert_string_equal(cpvcover_line(c, 2)->prefix, "451127");
        assert_string_equal(cpvcover_line(c, 3)->prefix, "9091");
        /* the longest prefix wins */
        l = cpvcover_lookup(c, "45331110");
        assert_non_null(l);
        assert_string_equal(l->prefix, "45");
        assert_int_equal(l->ncaps, 1);
        assert_int_equal(l->caps[0], 1);
        assert_null(l->reason);
        assert_int_equal(l->line, 2);
        l = cpvcover_lookup(c, "45111000");
        assert_string_equal(l->reason, "demolition for large works");
        l = cpvcover_lookup(c, "45112710");
        assert_int_equal(l->ncaps, 2);          /* duplicates dropped, order kept */
        assert_int_equal(l->caps[0], 2);
        assert_int_equal(l->caps[1], 1);
        assert_int_equal(l->line, 5);
        assert_string_equal(cpvcover_lookup(c, "90911200")->reason, "a reason with: colons");
        assert_string_equal(cpvcover_lookup(c, "90919300")->prefix, "9091");
        assert_null(cpvcover_lookup(c, "90900000"));
        assert_null(cpvcover_lookup(c, "55524000"));
        assert_null(cpvcover_lookup(NULL, "45000000"));
        cpvcover_free(c);
        c = NULL;
        diag_done(&d);

        bad = put(t, "bad-cover.conf",
                "45 building-works\n"                           /* 1 */
                "9x91 cleaning\n"                               /* 2 */
                "9999 cleaning\n"                               /* 3 */
                "9091 cleanin\n"                                /* 4 */
                "9092\n"                                        /* 5 */
                "9071 out-of-scope:\n"                          /* 6 */
                "45000000 grounds\n"                            /* 7 */
                "9061 cleaning # streets\n");                   /* 8 */
        diag_init(&d);
        assert_int_equal(cpvcover_load(bad, &caps, ref, &c, &d), -EINVAL);
        assert_null(c);
        assert_diag(&d, bad, 2, "'9x91' is not a CPV prefix");
        assert_diag(&d, bad, 3, "CPV prefix '9999' is not the start of any CPV 2008 code");
        assert_diag(&d, bad, 4, "unknown capability 'cleanin'");
        assert_diag(&d, bad, 5, "the prefix needs a placement");
        assert_diag(&d, bad, 6, "'out-of-scope:' needs a reason");
        assert_diag(&d, bad, 7, "prefix 45 placed twice (also at line 1)");
        assert_diag(&d, bad, 8, "'#' after the placement is not a comment");
        diag_done(&d);

        /* the taxonomy names it relative to its own file */
        tax = put(t, "tax.conf", "[taxonomy]\ncpv_coverage = cover.conf\n"
                  "[capability cleaning]\nkeyword = cleaning\n"
                  "[capability building-works]\nkeyword = plastering\n"
                  "[capability grounds]\nkeyword = mowing\n");
        diag_init(&d);
        assert_int_equal(taxonomy_load_ref(tax, ref, &tx, &d), 0);
        assert_non_null(tx->cover);
        assert_string_equal(cpvcover_lookup(tx->cover, "90919300")->prefix, "9091");
        taxonomy_free(tx);
        tx = NULL;
        diag_done(&d);
        free(tax);
        /* its errors come through the taxonomy loader, and a missing file too */
        tax = put(t, "tax2.conf", "[taxonomy]\ncpv_coverage = bad-cover.conf\ncolour = x\n"
                  "[capability cleaning]\nkeyword = cleaning\n");
        diag_init(&d);
        assert_int_equal(taxonomy_load_ref(tax, ref, &tx, &d), -EINVAL);
        assert_diag(&d, tax, 3, "unknown key 'colour' in [taxonomy]");
        diag_done(&d);
        free(tax);
        tax = put(t, "tax3.conf", "[taxonomy]\ncpv_coverage = none.conf\n"
                  "[capability cleaning]\nkeyword = cleaning\n");
        diag_init(&d);
        assert_int_equal(taxonomy_load_ref(tax, ref, &tx, &d), -EINVAL);
        assert_int_equal(diag_count(&d), 1);
        diag_done(&d);
        free(tax);
        free(bad);
        free(p);
        strv_done(&caps);
        cpvref_free(ref);
}

/* The shipped taxonomy and its coverage table load cleanly against the real
 * CPV list and have the ids. */
static void
t_shipped_taxonomy(void **state)
{
        static const char *const ids[] = {
                "cleaning", "catering", "building-works", "grounds", "training", "care",
                "events", "print-design", "waste-recycling", "security", "transport",
                "it-support",
        };
        struct cpvref *ref = load_ref();
        struct taxonomy *tx = NULL;
        char *path = xasprintf("%s/../../conf/capabilities.conf", fixtures_dir());
        struct diag d;

        (void)state;
        diag_init(&d);
        if (taxonomy_load_ref(path, ref, &tx, &d) < 0)
                diag_print(&d, stderr);
        assert_int_equal(diag_count(&d), 0);
        assert_int_equal(tx->ncaps, ARRAY_SIZE(ids));
        for (size_t i = 0; i < ARRAY_SIZE(ids); i++) {
                const struct capability *c = taxonomy_find(tx, ids[i]);

                size_t placed = 0;

                assert_non_null(c);
                /* CPV codes come from the coverage table only */
                assert_int_equal(c->cpv.n, 0);
                assert_true(c->nrules > 0);
                for (size_t j = 0; j < cpvcover_count(tx->cover); j++) {
                        const struct cpvcover_line *l = cpvcover_line(tx->cover, j);

                        for (size_t k = 0; k < l->ncaps; k++)
                                placed += strcmp(tx->caps[l->caps[k]].id, ids[i]) == 0;
                }
                assert_true(placed > 0);        /* some CPV code means each capability */
        }
        taxonomy_free(tx);
        diag_done(&d);
        cpvref_free(ref);
        free(path);
}

/* ---- members ------------------------------------------------------------------------ */

static struct taxonomy *
small_taxonomy(const struct tmp *t)
{
        char *p = put(t, "tax.conf",
                "[capability cleaning]\ncpv = 9091\nkeyword = cleaning\n"
                "[capability catering]\ncpv = 555\nkeyword = catering\n"
                "[capability grounds]\ncpv = 7731\n");
        struct taxonomy *tx = NULL;
        struct diag d;

        diag_init(&d);
        assert_int_equal(taxonomy_load(p, &tx, &d), 0);
        diag_done(&d);
        free(p);
        return tx;
}

static void
t_member_good(void **state)
{
        struct tmp *t = *state;
        struct taxonomy *tx = small_taxonomy(t);
        char *p = put(t, "members/digbeth-clean.conf",
                "[member]\n"
                "id = digbeth-clean\n"
                "name = Digbeth Clean CIC\n"
                "email = ops@digbeth.example, jo@digbeth.example\n"
                "cluster = Digbeth\n"
                "postcode = b5 5se\n"
                "regions = West Midlands, ukg31, WS, PC:wv\n"
                "regions = England\n"
                "capabilities = cleaning, grounds\n"
                "keyword = deep clean\n"
                "regex = title: \\bjet ?wash\n"
                "exclude = asbestos\n"
                "exclude_regex = \\bsewer\n"
                "min_value = £1,000\n"
                "max_value = 25k\n"
                "capacity = 40000.50\n"
                "consortium = yes\n"
                "accreditations = CHAS, ISO 9001\n"
                "digest_day = Thu\n");
        struct member *m = NULL;
        struct diag d;

        diag_init(&d);
        assert_int_equal(member_load_file(p, tx, &m, &d), 0);
        assert_int_equal(diag_count(&d), 0);
        assert_string_equal(m->id, "digbeth-clean");
        assert_string_equal(m->name, "Digbeth Clean CIC");
        assert_int_equal(m->emails.n, 2);
        assert_string_equal(m->postcode, "B5 5SE");
        assert_string_equal(m->regions.v[0], "UKG");
        assert_string_equal(m->regions.v[1], "UKG31");
        assert_string_equal(m->regions.v[2], "PC:WS");
        assert_string_equal(m->regions.v[3], "PC:WV");
        assert_true(strv_contains(&m->regions, "UKC"));         /* England */
        assert_true(strv_contains(&m->regions, "UKK"));
        assert_false(strv_contains(&m->regions, "UKL"));        /* not Wales */
        assert_int_equal(m->regions.n, 4 + 8);                  /* UKG once */
        assert_int_equal(m->capabilities.n, 2);
        assert_int_equal(m->nrules, 4);
        assert_int_equal(m->rules[1].fields, FIELD_TITLE);
        assert_true(m->rules[2].exclude);
        assert_int_equal(m->min_value, 100000);
        assert_int_equal(m->max_value, 2500000);
        assert_int_equal(m->capacity, 4000050);
        assert_true(m->consortium);
        assert_string_equal(m->accreditations, "CHAS, ISO 9001");
        assert_int_equal(m->digest_day, DAY_THU);

        /* the canonical form reads back to the same member */
        {
                struct buf b;
                struct member *m2 = NULL;
                char *p2;

                buf_init(&b);
                member_format(m, &b);
                p2 = put(t, "round/digbeth-clean.conf", b.data);
                assert_int_equal(member_load_file(p2, tx, &m2, &d), 0);
                assert_true(member_equal(m, m2));
                member_free(m2);
                buf_done(&b);
                free(p2);
        }
        member_free(m);
        taxonomy_free(tx);
        diag_done(&d);
        free(p);
}

static void
t_member_errors(void **state)
{
        struct tmp *t = *state;
        struct taxonomy *tx = small_taxonomy(t);
        char *p = put(t, "members/acme.conf",
                "[member]\n"                                    /* 1 */
                "id = acme-ltd\n"                               /* 2 */
                "capabilities = cleaning, cleanin\n"            /* 3 */
                "regions = UKG, Narnia, PC:QQ, Isle of Man\n"   /* 4 */
                "min_value = lots\n"                            /* 5 */
                "max_value = 10\n"                              /* 6 */
                "email = not-an-address\n"                      /* 7 */
                "digest_day = someday\n"                        /* 8 */
                "consortium = maybe\n"                          /* 9 */
                "regex = (?:open\n"                             /* 10 */
                "postcode = 12345\n"                            /* 11 */
                "id = acme\n"                                   /* 12 */
                "colour = red\n"                                /* 13 */
                "[extra]\n");                                   /* 14 */
        struct member *m = NULL;
        struct diag d;

        diag_init(&d);
        assert_int_equal(member_load_file(p, tx, &m, &d), -EINVAL);
        assert_null(m);
        assert_diag(&d, p, 2, "'id' is 'acme-ltd' but the file is named acme.conf");
        assert_diag(&d, p, 3, "unknown capability 'cleanin' (the taxonomy has: cleaning, "
                    "catering, grounds)");
        assert_diag(&d, p, 4, "'regions': 'Narnia' is not a region bidbroker knows; use an ITL code");
        assert_diag(&d, p, 4, "'regions': 'PC:QQ' is not a UK postcode area");
        assert_diag(&d, p, 4, "'regions': 'Isle of Man' is outside the UK");
        assert_diag(&d, p, 5, "'min_value' must be an amount in pounds");
        assert_diag(&d, p, 7, "'email': 'not-an-address' is not an email address");
        assert_diag(&d, p, 8, "'digest_day' must be a day");
        assert_diag(&d, p, 9, "'consortium' must be yes or no, not 'maybe'");
        assert_diag(&d, p, 10, "regex '(?:open' error at offset 7: missing closing "
                    "parenthesis");
        assert_diag(&d, p, 11, "'postcode' must be a UK postcode");
        assert_diag(&d, p, 12, "'id' given twice");
        assert_diag(&d, p, 13, "unknown key 'colour' in [member]");
        assert_diag(&d, p, 14, "unknown section [extra]");
        assert_diag(&d, p, 1, "[member] needs 'name'");
        diag_done(&d);

        /* min above max; no capabilities and no rules */
        free(p);
        p = put(t, "members2/x.conf", "[member]\nid = x\nname = X\nmin_value = 500\n"
                "max_value = 100\n");
        diag_init(&d);
        assert_int_equal(member_load_file(p, tx, &m, &d), -EINVAL);
        assert_diag(&d, p, 1, "'min_value' is above 'max_value'");
        assert_diag(&d, p, 1, "no 'capabilities' and no 'keyword'/'regex'");
        diag_done(&d);
        taxonomy_free(tx);
        free(p);
}

/* Taxonomy and member files saved "UTF-8 with BOM" load; a BOM further
 * down is an error naming FILE:LINE (the reader is daemon/base/ini.c). */
static void
t_bom_files(void **state)
{
        struct tmp *t = *state;
        char *tp = put(t, "bomtax.conf", "\xef\xbb\xbf[capability cleaning]\ncpv = 9091\n");
        char *mp = put(t, "bom/m.conf", "\xef\xbb\xbf[member]\nid = m\nname = M\n"
                       "capabilities = cleaning\n");
        char *bp = put(t, "bom/b.conf", "[member]\nid = b\n\xef\xbb\xbfname = B\n"
                       "capabilities = cleaning\n");
        struct taxonomy *tx = NULL;
        struct member *m = NULL;
        struct diag d;

        (void)state;
        diag_init(&d);
        assert_int_equal(taxonomy_load(tp, &tx, &d), 0);
        assert_int_equal(member_load_file(mp, tx, &m, &d), 0);
        assert_int_equal(diag_count(&d), 0);
        assert_string_equal(m->id, "m");
        member_free(m);
        m = NULL;
        assert_int_equal(member_load_file(bp, tx, &m, &d), -EINVAL);
        assert_diag(&d, bp, 3, "a byte order mark (U+FEFF) is allowed only at the very "
                    "start of the file");
        diag_done(&d);
        taxonomy_free(tx);
        free(tp);
        free(mp);
        free(bp);
}

static void
t_members_dir(void **state)
{
        struct tmp *t = *state;
        struct taxonomy *tx = small_taxonomy(t);
        struct member_register *reg = NULL;
        char *dir = xasprintf("%s/reg", t->dir);
        char *p1 = put(t, "reg/zeta.conf", "[member]\nid = zeta\nname = Z\n"
                       "capabilities = catering\n");
        char *p2 = put(t, "reg/alpha.conf", "[member]\nid = alpha\nname = A\n"
                       "keyword = bicycle repair\n");
        char *p3 = put(t, "reg/README.txt", "not a member file\n");
        char *p4 = put(t, "reg/.hidden.conf", "junk\n");
        struct diag d;

        diag_init(&d);
        assert_int_equal(members_load(dir, tx, &reg, &d), 0);
        assert_int_equal(reg->n, 2);
        assert_string_equal(reg->members[0].id, "alpha");        /* sorted by id */
        assert_string_equal(reg->members[1].id, "zeta");
        assert_non_null(members_find(reg, "zeta"));
        assert_null(members_find(reg, "beta"));
        members_free(reg);
        reg = NULL;

        /* one bad file: the whole register is refused, every error listed */
        free(p1);
        p1 = put(t, "reg/beta.conf", "[member]\nid = beta\nname = B\ncapabilities = x\n"
                 "regions = Mordor\n");
        assert_int_equal(members_load(dir, tx, &reg, &d), -EINVAL);
        assert_null(reg);
        assert_diag(&d, p1, 4, "unknown capability 'x'");
        assert_diag(&d, p1, 5, "'regions': 'Mordor'");
        diag_done(&d);
        diag_init(&d);
        assert_true(members_load("/nonexistent/members", tx, &reg, &d) < 0);
        assert_int_equal(diag_count(&d), 1);
        diag_done(&d);
        taxonomy_free(tx);
        free(dir);
        free(p1);
        free(p2);
        free(p3);
        free(p4);
}

static void
t_weekday_region(void **state)
{
        enum weekday w;
        struct strv s;
        const char *why = NULL;

        (void)state;
        assert_int_equal(weekday_parse("mon", &w), 0);
        assert_int_equal(w, DAY_MON);
        assert_int_equal(weekday_parse("SUNDAY", &w), 0);
        assert_int_equal(w, DAY_SUN);
        assert_int_equal(weekday_parse("mo", &w), -EINVAL);
        assert_string_equal(weekday_name(DAY_WED), "wednesday");
        strv_init(&s);
        assert_int_equal(region_normalise("anywhere", &s, &why), 0);
        assert_int_equal(region_normalise("United Kingdom", &s, &why), 0);
        assert_int_equal(s.n, 1);
        assert_string_equal(s.v[0], "UK");
        assert_int_equal(region_normalise("London", &s, &why), 0);
        assert_string_equal(s.v[1], "UKI");
        assert_int_equal(region_normalise("tlg31", &s, &why), 0);
        assert_string_equal(s.v[2], "UKG31");
        assert_int_equal(region_normalise("PC:", &s, &why), -EINVAL);
        assert_int_equal(region_normalise("UKZ", &s, &why), -EINVAL);
        strv_done(&s);
}

/* ---- CSV ---------------------------------------------------------------------------- */

static void
t_csv(void **state)
{
        /* BOM, CRLF, quotes with "" and a comma, a quoted field over two lines,
         * a blank line, a lone-LF line, an empty last field */
        static const char text[] =
                "\xef\xbb\xbfid,name,note\r\n"
                "a,\"Smith, \"\"Jo\"\"\",x\r\n"
                "b,\"two\r\nlines\",\r\n"
                "\r\n"
                "c,plain,\n"
                "d,\"bad\"x,y\n"
                "e,\xff\xfe,z\n"
                "f,\"never closed,\n";
        struct csv *c = NULL;
        struct diag d;

        (void)state;
        diag_init(&d);
        assert_int_equal(csv_parse("t.csv", text, sizeof(text) - 1, &c, &d), 0);
        assert_int_equal(c->nrows, 7);
        assert_string_equal(c->rows[0].cells[0], "id");         /* BOM gone */
        assert_int_equal(c->rows[0].n, 3);
        assert_string_equal(c->rows[1].cells[1], "Smith, \"Jo\"");
        assert_int_equal(c->rows[1].line, 2);
        assert_string_equal(c->rows[2].cells[1], "two\r\nlines");
        assert_string_equal(c->rows[2].cells[2], "");
        assert_int_equal(c->rows[2].line, 3);
        assert_int_equal(c->rows[3].line, 6);                   /* after the blank line */
        assert_string_equal(c->rows[3].cells[0], "c");
        assert_int_equal(c->rows[3].n, 3);
        assert_false(c->rows[3].bad);
        assert_true(c->rows[4].bad);
        assert_int_equal(c->rows[4].line, 7);
        assert_true(c->rows[5].bad);
        assert_int_equal(c->rows[5].line, 8);
        assert_true(c->rows[6].bad);
        assert_diag(&d, "t.csv", 7, "text after a closing quote");
        assert_diag(&d, "t.csv", 8, "not valid UTF-8");
        assert_diag(&d, "t.csv", 9, "quoted field opened on line 9 is never closed");
        assert_int_equal(diag_count(&d), 3);
        csv_free(c);
        diag_done(&d);
        assert_true(utf8_valid("caf\xc3\xa9", 5));
        assert_false(utf8_valid("\xc0\xaf", 2));                 /* overlong */
        assert_false(utf8_valid("\xed\xa0\x80", 3));             /* surrogate */
}

static size_t
count_files(const char *dir)
{
        DIR *dh = opendir(dir);
        struct dirent *de;
        size_t n = 0;

        if (dh == NULL)
                return 0;
        while ((de = readdir(dh)) != NULL)
                n += de->d_name[0] != '.';
        closedir(dh);
        return n;
}

static void
t_import(void **state)
{
        struct tmp *t = *state;
        struct taxonomy *tx = small_taxonomy(t);
        char *dir = xasprintf("%s/imported", t->dir);
        char *csv = put(t, "members.csv",
                "\xef\xbb\xbfId,Name,Email,Cluster,Postcode,Regions,Capabilities,Keywords,"
                "Exclusions,Min value,Max value,Capacity,Consortium (yes/no),Digest day\r\n"
                /* 2: good, everything set */
                "kitchen-co,\"Kitchen Co, CIC\",a@k.example;b@k.example,Digbeth,B5 5SE,"
                "West Midlands;B,catering,\"\\bbuffets?\\b;canap(e|é)s\",\\bprison\\b,"
                "1000,25000,50000,yes,fri\r\n"
                /* 3: good, minimal */
                "green-hands,Green Hands,,,,UKG31,grounds,,,,,,,\r\n"
                /* 4: bad: unknown capability and bad money */
                "bad-one,Bad One,,,,UKG,gardening,,,abc,,,,\r\n"
                /* 5: bad regex in keywords, reported with its offset */
                "bad-two,Bad Two,,,,UKG,cleaning,\"ok;(?:oops\",,,,,,\r\n"
                /* 6: wrong number of fields */
                "short,Short\r\n"
                /* 7 and 8: the same id twice */
                "dup,Dup A,,,,UKG,cleaning,,,,,,,\r\n"
                "dup,Dup B,,,,UKG,cleaning,,,,,,,\r\n"
                /* 9: bad id */
                "Not Valid,X,,,,UKG,cleaning,,,,,,,\r\n"
                /* 10: blank row from the spreadsheet */
                ",,,,,,,,,,,,,\r\n"
                /* 11: bad region and bad day */
                "bad-three,B3,,,,Atlantis,cleaning,,,,,,no,someday\r\n");
        struct import_counts n;
        struct member *m = NULL;
        struct diag d;
        char *path;

        diag_init(&d);
        assert_int_equal(members_import_csv(csv, dir, tx, &wr, &n, &d), 0);
        import_counts_done(&n);
        assert_int_equal(n.created, 2);
        assert_int_equal(n.updated, 0);
        assert_int_equal(n.unchanged, 0);
        assert_int_equal(n.rejected, 7);
        assert_diag(&d, csv, 4, "unknown capability 'gardening'");
        assert_diag(&d, csv, 4, "'min_value' must be an amount in pounds");
        assert_diag(&d, csv, 5, "regex '(?:oops' error at offset 7: missing closing "
                    "parenthesis");
        assert_diag(&d, csv, 6, "row has 2 fields but the header has 14");
        assert_diag(&d, csv, 7, "id 'dup' is also on line 8");
        assert_diag(&d, csv, 8, "id 'dup' is also on line 7");
        assert_diag(&d, csv, 9, "'id' must be lower-case letters");
        assert_diag(&d, csv, 11, "'regions': 'Atlantis'");
        assert_diag(&d, csv, 11, "'digest_day' must be a day");
        assert_int_equal(count_files(dir), 2);
        diag_done(&d);

        path = xasprintf("%s/kitchen-co.conf", dir);
        diag_init(&d);
        assert_int_equal(member_load_file(path, tx, &m, &d), 0);
        assert_string_equal(m->name, "Kitchen Co, CIC");
        assert_int_equal(m->emails.n, 2);
        assert_string_equal(m->regions.v[0], "UKG");
        assert_string_equal(m->regions.v[1], "PC:B");
        assert_int_equal(m->nrules, 3);
        assert_int_equal(m->rules[0].kind, RULE_REGEX);
        assert_string_equal(m->rules[0].text, "\\bbuffets?\\b");
        assert_string_equal(m->rules[1].text, "canap(e|é)s");
        assert_true(m->rules[2].exclude);
        assert_int_equal(m->capacity, 5000000);
        assert_true(m->consortium);
        assert_int_equal(m->digest_day, DAY_FRI);
        member_free(m);
        m = NULL;
        diag_done(&d);

        /* the same file again: nothing changes */
        diag_init(&d);
        assert_int_equal(members_import_csv(csv, dir, tx, &wr, &n, &d), 0);
        import_counts_done(&n);
        assert_int_equal(n.created, 0);
        assert_int_equal(n.unchanged, 2);
        assert_int_equal(n.rejected, 7);
        diag_done(&d);

        /* a sheet with fewer columns updates only those columns */
        free(csv);
        csv = put(t, "update.csv", "id,capabilities,digest_day\n"
                  "kitchen-co,catering;cleaning,monday\n"
                  "green-hands,grounds,\n"
                  "new-one,cleaning,tue\n");
        diag_init(&d);
        assert_int_equal(members_import_csv(csv, dir, tx, &wr, &n, &d), 0);
        import_counts_done(&n);
        assert_int_equal(n.updated, 1);
        assert_int_equal(n.unchanged, 1);
        assert_int_equal(n.rejected, 1);                        /* new-one has no name */
        assert_diag(&d, csv, 4, "[member] needs 'name'");
        diag_done(&d);
        diag_init(&d);
        assert_int_equal(member_load_file(path, tx, &m, &d), 0);
        assert_string_equal(m->name, "Kitchen Co, CIC");         /* kept */
        assert_int_equal(m->capabilities.n, 2);
        assert_int_equal(m->digest_day, DAY_MON);
        assert_int_equal(m->nrules, 3);                          /* kept */
        member_free(m);
        diag_done(&d);

        /* header problems refuse the whole file */
        free(csv);
        csv = put(t, "header.csv", "id,name,capabilites\nx,X,cleaning\n");
        diag_init(&d);
        assert_int_equal(members_import_csv(csv, dir, tx, &wr, &n, &d), -EINVAL);
        import_counts_done(&n);
        assert_diag(&d, csv, 1, "unknown column 'capabilites'");
        diag_done(&d);
        free(csv);
        csv = put(t, "noid.csv", "name\nX\n");
        diag_init(&d);
        assert_int_equal(members_import_csv(csv, dir, tx, &wr, &n, &d), -EINVAL);
        import_counts_done(&n);
        assert_diag(&d, csv, 1, "no 'id' column");
        diag_done(&d);

        taxonomy_free(tx);
        free(path);
        free(csv);
        free(dir);
}

/* ---- the register as a spreadsheet ------------------------------------------------ */

/* A member file using everything a file can hold (rules with fields and
 * weights, keyword and regex, exclusions, two emails, paused), with a hand
 * comment. */
static const char rich_member[] =
        "# Digbeth Clean: the brokerage's notes\n"
        "[member]\n"
        "id = digbeth-clean\n"
        "name = Digbeth Clean, CIC \"the best\"\n"
        "email = ops@digbeth.example, jo@digbeth.example\n"
        "cluster = Digbeth\n"
        "postcode = B5 5SE\n"
        "regions = UKG, PC:B\n"
        "capabilities = cleaning\n"
        "min_value = 1000.50\n"
        "max_value = 25000\n"
        "consortium = yes\n"
        "accreditations = ISO 9001; SafeContractor\n"
        "digest_day = friday\n"
        "paused = yes\n"
        "keyword = deep clean\n"
        "# the next one only in titles\n"
        "regex = title: \\bjanitor(?:ial)?\\b\n"
        "rule_weight = 2\n"
        "keyword = note: a colon\n"
        "exclude = \"asbestos # not a comment\"\n"
        "exclude_regex = \\bprison;s?\\b\n";

static char *
slurp(const char *path)
{
        char *text = NULL;
        size_t len = 0;

        assert_int_equal(read_file(path, 1u << 20, &text, &len), 0);
        return text;
}

static struct member_register *
load_dir(const char *dir, const struct taxonomy *tx)
{
        struct member_register *reg = NULL;
        struct diag d;

        diag_init(&d);
        if (members_load(dir, tx, &reg, &d) < 0) {
                diag_print(&d, stderr);
                fail_msg("register %s does not load", dir);
        }
        diag_done(&d);
        return reg;
}

static void
t_export_roundtrip(void **state)
{
        struct tmp *t = *state;
        struct taxonomy *tx = small_taxonomy(t);
        char *a = put(t, "members/digbeth-clean.conf", rich_member);
        char *b = put(t, "members/green-hands.conf",
                      "[member]\nid = green-hands\nname = Green Hands\ncapabilities = grounds\n");
        char *dir = xasprintf("%s/members", t->dir), *dir2 = xasprintf("%s/fresh", t->dir);
        char *before_a = slurp(a), *before_b = slurp(b), *csv;
        struct member_register *reg = load_dir(dir, tx), *reg2;
        struct import_counts n;
        struct buf out;
        struct diag d;

        buf_init(&out);
        members_export_csv(reg, &out);
        assert_true(str_startswith(out.data, "id,name,email,cluster,postcode,regions,"
                                   "capabilities,min_value,max_value,capacity,consortium,"
                                   "lead,digest_day,accreditations,paused,companies_house,"
                                   "charity_number,ppon,report_name,max_open_bids,works_with,"
                                   "avoid,rules\n"));
        assert_non_null(strstr(out.data, ",ops@digbeth.example; jo@digbeth.example,"));
        assert_non_null(strstr(out.data, ",\"Digbeth Clean, CIC \"\"the best\"\"\","));
        csv = put(t, "export.csv", out.data);

        /* export -> import over the same register: nothing written */
        diag_init(&d);
        assert_int_equal(members_import_csv(csv, dir, tx, &wr, &n, &d), 0);
        if (diag_count(&d) > 0)
                diag_print(&d, stderr);
        assert_int_equal(diag_count(&d), 0);
        assert_int_equal(n.unchanged, 2);
        assert_int_equal(n.updated + n.created + n.rejected, 0);
        assert_int_equal(n.changes.n, 0);
        import_counts_done(&n);
        diag_done(&d);
        {
                char *x = slurp(a), *y = slurp(b);

                assert_string_equal(x, before_a);
                assert_string_equal(y, before_b);
                free(x);
                free(y);
        }

        /* into an empty directory: the same members, field for field */
        diag_init(&d);
        assert_int_equal(members_import_csv(csv, dir2, tx, &wr, &n, &d), 0);
        assert_int_equal(n.created, 2);
        import_counts_done(&n);
        diag_done(&d);
        reg2 = load_dir(dir2, tx);
        assert_int_equal(reg2->n, 2);
        for (size_t i = 0; i < reg->n; i++)
                assert_true(member_equal(&reg->members[i], &reg2->members[i]));
        assert_true(reg2->members[0].paused);
        members_free(reg2);
        members_free(reg);
        buf_done(&out);
        taxonomy_free(tx);
        free(before_a);
        free(before_b);
        free(a);
        free(b);
        free(csv);
        free(dir);
        free(dir2);
}

static void
t_import_dry_run(void **state)
{
        struct tmp *t = *state;
        struct taxonomy *tx = small_taxonomy(t);
        char *a = put(t, "members/digbeth-clean.conf", rich_member);
        char *dir = xasprintf("%s/members", t->dir), *before = slurp(a), *after, *csv;
        struct member_register *reg = load_dir(dir, tx);
        const struct import_opts dry = { .dry_run = true, .gid = (unsigned)-1 };
        struct import_counts n;
        struct buf out;
        struct diag d;
        char *cell;

        buf_init(&out);
        members_export_csv(reg, &out);
        /* edit one cell: the digest day */
        cell = strstr(out.data, ",friday,");
        assert_non_null(cell);
        memcpy(cell, ",monday,", 8);
        csv = put(t, "edited.csv", out.data);
        diag_init(&d);
        assert_int_equal(members_import_csv(csv, dir, tx, &dry, &n, &d), 0);
        assert_int_equal(diag_count(&d), 0);
        assert_int_equal(n.updated, 1);
        assert_int_equal(n.changes.n, 1);
        assert_string_equal(n.changes.v[0], "digbeth-clean: digest_day: friday → monday");
        import_counts_done(&n);
        after = slurp(a);
        assert_string_equal(after, before);             /* a dry run writes nothing */
        free(after);

        /* the import itself: the change, the comments kept */
        assert_int_equal(members_import_csv(csv, dir, tx, &wr, &n, &d), 0);
        assert_int_equal(n.updated, 1);
        import_counts_done(&n);
        diag_done(&d);
        after = slurp(a);
        assert_non_null(strstr(after, "digest_day = monday\n"));
        assert_non_null(strstr(after, "# Digbeth Clean: the brokerage's notes\n"));
        assert_non_null(strstr(after, "# the next one only in titles\n"));
        free(after);

        members_free(reg);
        buf_done(&out);
        taxonomy_free(tx);
        free(before);
        free(a);
        free(csv);
        free(dir);
}

/* An older sheet (keywords/exclusions columns of regexes) re-imported after a
 * hand edit keeps the rule lines those columns cannot express. */
static void
t_import_keeps_rules(void **state)
{
        struct tmp *t = *state;
        struct taxonomy *tx = small_taxonomy(t);
        char *a = put(t, "members/kitchen-co.conf",
                      "[member]\nid = kitchen-co\nname = Kitchen Co\n"
                      "email = a@k.example, b@k.example\ncapabilities = catering\n"
                      "regex = \\bbuffets?\\b\n"
                      "keyword = wedding breakfast\n"
                      "exclude = asbestos\n"
                      "regex = title: \\bcanapes\\b\n");
        char *dir = xasprintf("%s/members", t->dir), *csv;
        struct member *m = NULL;
        struct import_counts n;
        struct diag d;

        csv = put(t, "old.csv", "id,name,keywords,exclusions\n"
                  "kitchen-co,Kitchen Co,\\bbuffets?\\b;\\bhog roast\\b,\\bprison\\b\n");
        diag_init(&d);
        assert_int_equal(members_import_csv(csv, dir, tx, &wr, &n, &d), 0);
        assert_int_equal(diag_count(&d), 0);
        assert_int_equal(n.updated, 1);
        assert_int_equal(n.changes.n, 2);
        assert_string_equal(n.changes.v[0], "kitchen-co: rules: + regex = \\bhog roast\\b");
        assert_string_equal(n.changes.v[1], "kitchen-co: rules: + exclude_regex = \\bprison\\b");
        import_counts_done(&n);
        assert_int_equal(member_load_file(a, tx, &m, &d), 0);
        diag_done(&d);
        assert_int_equal(m->emails.n, 2);
        assert_int_equal(m->nrules, 6);
        assert_string_equal(m->rules[0].text, "\\bbuffets?\\b");
        assert_string_equal(rule_key(&m->rules[1]), "keyword");
        assert_string_equal(m->rules[1].text, "wedding breakfast");
        assert_string_equal(rule_key(&m->rules[2]), "exclude");
        assert_int_equal(m->rules[3].fields, FIELD_TITLE);
        member_free(m);

        /* a 'rules' cell: errors name the sheet's line; '#' after a value refused */
        free(csv);
        csv = put(t, "rules.csv", "id,rules\n"
                  "kitchen-co,\"keyword = buffets\nexclude = asbestos  # by hand\n"
                  "colour = red\"\n");
        diag_init(&d);
        assert_int_equal(members_import_csv(csv, dir, tx, &wr, &n, &d), 0);
        assert_int_equal(n.rejected, 1);
        assert_diag(&d, csv, 3, "'rules' cell: '#' after the value of 'exclude' is not a "
                    "comment");
        assert_diag(&d, csv, 4, "'rules' cell: 'colour' is not a rule line");
        import_counts_done(&n);
        diag_done(&d);
        free(csv);
        csv = put(t, "both.csv", "id,rules,keywords\nkitchen-co,,\n");
        diag_init(&d);
        assert_int_equal(members_import_csv(csv, dir, tx, &wr, &n, &d), -EINVAL);
        assert_diag(&d, csv, 1, "either a 'rules' column or 'keywords'");
        import_counts_done(&n);
        diag_done(&d);

        taxonomy_free(tx);
        free(a);
        free(csv);
        free(dir);
}

/* Files are written 0640 whatever the umask, and member_remove deletes. */
static void
t_write_mode_remove(void **state)
{
        struct tmp *t = *state;
        struct taxonomy *tx = small_taxonomy(t);
        char *dir = xasprintf("%s/new/members", t->dir), *path;
        char *csv = put(t, "m.csv", "id,name,capabilities\nwalsall-wash,Walsall Wash,cleaning\n");
        struct import_counts n;
        struct err e = { 0 };
        struct diag d;
        struct stat st;
        mode_t old = umask(077);

        diag_init(&d);
        assert_int_equal(members_import_csv(csv, dir, tx, &wr, &n, &d), 0);
        umask(old);
        assert_int_equal(n.created, 1);
        import_counts_done(&n);
        diag_done(&d);
        path = xasprintf("%s/walsall-wash.conf", dir);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0640);
        assert_int_equal(stat(dir, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0750);
        assert_int_equal(member_remove(dir, "nobody-here", &e), -ENOENT);
        assert_non_null(strstr(e.msg, "no member 'nobody-here'"));
        assert_int_equal(member_remove(dir, "../x", &e), -EINVAL);
        assert_int_equal(member_remove(dir, "walsall-wash", &e), 0);
        assert_int_equal(access(path, F_OK), -1);
        taxonomy_free(tx);
        free(path);
        free(csv);
        free(dir);
}

/* '#' after a value: an error with FILE:LINE in member and taxonomy files
 * (it used to be stored as part of the value and the rule never fired); a
 * quoted value keeps its '#'. */
static void
t_hash_after_value(void **state)
{
        struct tmp *t = *state;
        struct taxonomy *tx = small_taxonomy(t), *tx2 = NULL;
        char *m1 = put(t, "members/a.conf", "[member]\nid = a\nname = A\n"
                       "capabilities = cleaning\nexclude = asbestos  # added by hand\n");
        char *m2 = put(t, "members2/b.conf", "[member]\nid = b\nname = B\n"
                       "capabilities = cleaning\nexclude = \"C # sharp\"\nkeyword = c#\n");
        char *tf = put(t, "tax2.conf", "[capability x]\ncpv = 9091\t# cleaning\n");
        struct member *m = NULL;
        struct diag d;

        diag_init(&d);
        assert_int_equal(member_load_file(m1, tx, &m, &d), -EINVAL);
        assert_diag(&d, m1, 5, "'#' after the value of 'exclude' is not a comment");
        diag_done(&d);
        diag_init(&d);
        assert_int_equal(member_load_file(m2, tx, &m, &d), 0);
        assert_string_equal(m->rules[0].text, "C # sharp");
        assert_string_equal(m->rules[1].text, "c#");
        member_free(m);
        assert_int_equal(taxonomy_load(tf, &tx2, &d), -EINVAL);
        assert_diag(&d, tf, 2, "'#' after the value of 'cpv' is not a comment");
        diag_done(&d);
        taxonomy_free(tx);
        free(m1);
        free(m2);
        free(tf);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(t_cpvref),
                cmocka_unit_test_setup_teardown(t_taxonomy_good, tmp_setup, tmp_teardown),
                cmocka_unit_test_setup_teardown(t_taxonomy_errors, tmp_setup, tmp_teardown),
                cmocka_unit_test(t_shipped_taxonomy),
                cmocka_unit_test_setup_teardown(t_member_good, tmp_setup, tmp_teardown),
                cmocka_unit_test_setup_teardown(t_member_errors, tmp_setup, tmp_teardown),
                cmocka_unit_test_setup_teardown(t_members_dir, tmp_setup, tmp_teardown),
                cmocka_unit_test(t_weekday_region),
                cmocka_unit_test(t_csv),
                cmocka_unit_test_setup_teardown(t_import, tmp_setup, tmp_teardown),
                cmocka_unit_test_setup_teardown(t_export_roundtrip, tmp_setup, tmp_teardown),
                cmocka_unit_test_setup_teardown(t_import_dry_run, tmp_setup, tmp_teardown),
                cmocka_unit_test_setup_teardown(t_import_keeps_rules, tmp_setup, tmp_teardown),
                cmocka_unit_test_setup_teardown(t_write_mode_remove, tmp_setup, tmp_teardown),
                cmocka_unit_test_setup_teardown(t_hash_after_value, tmp_setup, tmp_teardown),
                cmocka_unit_test_setup_teardown(t_cpv_coverage, tmp_setup, tmp_teardown),
                cmocka_unit_test_setup_teardown(t_bom_files, tmp_setup, tmp_teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
