/* test_award.c — awards (daemon/model/award.c, daemon/store/awards.c): the
 * awards of real and edited releases, supplier names as compared (the tricky
 * cases), and suppliers matched to members by identifier, name and alias,
 * near matches only suggested. */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "testutil.h"
#include "ocds_fixture.h"

#include "bidbroker/award.h"
#include "bidbroker/awards.h"
#include "bidbroker/err.h"
#include "bidbroker/members.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/store.h"
#include "bidbroker/util.h"

static void
key_is(const char *name, const char *want)
{
        char *k = supplier_name_key(name);

        if (strcmp(k, want) != 0)
                fail_msg("supplier_name_key(\"%s\") = \"%s\", want \"%s\"", name, k, want);
        free(k);
}

static void
t_name_key(void **state)
{
        (void)state;
        key_is("Smith & Sons Ltd", "smith and sons");
        key_is("SMITH AND SONS LIMITED", "smith and sons");
        key_is("The Riverside Trust C.I.C.", "riverside trust");
        key_is("Riverside Trust Community Interest Company", "riverside trust");
        key_is("Riverside Trust CIC Ltd", "riverside trust");
        key_is("Acme (UK) Ltd.", "acme");
        key_is("Acme Ltd UK", "acme");
        key_is("ACME U.K. LIMITED", "acme");
        key_is("UK Cleaning Ltd", "uk cleaning");          /* a leading UK stays */
        key_is("O'Brien Cleaning Ltd", "obrien cleaning");
        key_is("O\xe2\x80\x99" "Brien Cleaning", "obrien cleaning");
        key_is("Caf\xc3\xa9 Bloom CIC", "cafe bloom");
        key_is("Commonplace Digital Ltd.", "commonplace digital");
        key_is("Green Heat Co-operative Limited", "green heat co operative");
        key_is("Hope Community Charitable Incorporated Organisation", "hope community");
        key_is("Hope Community CIO", "hope community");
        key_is("  the   limited  ", "limited");            /* never empty for a name */
        key_is("Theatre Company Ltd", "theatre company");  /* 'the' only as a word */
        key_is("", "");
}

static void
t_ident(void **state)
{
        char *s;

        (void)state;
        s = award_ident_normalise("GB-COH", "115834");
        assert_string_equal(s, "00115834");
        free(s);
        s = award_ident_normalise("GB-COH", "sc394005");
        assert_string_equal(s, "SC394005");
        free(s);
        s = award_ident_normalise("GB-PPON", " pmzv-7732-xxtt ");
        assert_string_equal(s, "PMZV-7732-XXTT");
        free(s);
        assert_null(award_ident_normalise("GB-CHC", "   "));
}

/* The raw release (as the store keeps it) of the fixture's release id. */
static char *
raw_of(const char *file, const char *release_id)
{
        struct ocds_page p;
        char *raw = NULL;

        ocds_fixture_load(file, &p);
        for (size_t i = 0; i < p.n; i++)
                if (strcmp(p.opps[i].release_id, release_id) == 0)
                        raw = xstrdup(p.opps[i].raw);
        ocds_page_done(&p);
        if (raw == NULL)
                fail_msg("%s: no release %s", file, release_id);
        return raw;
}

static void
t_parse_cf(void **state)
{
        struct award_list l;
        struct err e = { 0 };
        char *raw;

        (void)state;
        /* Oakheart's awardUpdate: GB-COH in the party's identifier */
        raw = raw_of("cf-search-2022-10-20-page1.json",
                     "b5796912-1ffd-446f-abb4-82cc5e7654b3-582334");
        assert_int_equal(award_parse_release(raw, strlen(raw), &l, &e), 0);
        assert_int_equal(l.n, 1);
        assert_int_equal(l.v[0].value, 405000);
        assert_string_equal(l.v[0].currency, "GBP");
        assert_string_equal(l.v[0].status, "active");
        assert_int_equal(l.v[0].nsuppliers, 1);
        assert_string_equal(l.v[0].suppliers[0].name, "OAKHEART SERVICES LTD.");
        assert_string_equal(l.v[0].suppliers[0].companies_house, "09438364");
        assert_string_equal(l.v[0].suppliers[0].scale, "sme");
        assert_int_equal(l.v[0].suppliers[0].vcse, TRI_NO);
        assert_int_equal(l.v[0].date, 1664924400);      /* 2022-10-05T00:00:00+01:00 */
        award_list_done(&l);
        free(raw);
        /* the one VCSE supplier of the fixtures */
        raw = raw_of("cf-search-2025-01-20to23-page1.json",
                     "2623b830-47c8-4811-b3cc-d00e1d93f03c-804225");
        assert_int_equal(award_parse_release(raw, strlen(raw), &l, &e), 0);
        assert_int_equal(l.n, 1);
        assert_int_equal(l.v[0].value, 23260000);
        assert_string_equal(l.v[0].suppliers[0].name, "Asprey Management Solutions Ltd");
        assert_string_equal(l.v[0].suppliers[0].companies_house, "04482788");
        assert_int_equal(l.v[0].suppliers[0].vcse, TRI_YES);
        award_list_done(&l);
        free(raw);
}

static char *
read_fixture(const char *rel)
{
        char *path = xasprintf("%s/%s", fixtures_dir(), rel);
        char *data;
        size_t len;

        assert_int_equal(read_file(path, 1u << 20, &data, &len), 0);
        free(path);
        return data;
}

/* The release object of a one-release package, as text. */
static char *
only_release(const char *pkg)
{
        const char *r = strstr(pkg, "\"releases\"");
        const char *open, *end;

        assert_non_null(r);
        open = strchr(r, '{');
        end = strrchr(pkg, ']');
        assert_non_null(open);
        assert_non_null(end);
        return xasprintf("%.*s", (int)(end - open), open);
}

static void
t_parse_fts(void **state)
{
        struct award_list l;
        struct err e = { 0 };
        char *pkg = read_fixture("awards/fts-award-041234-2026-UK6-edited.json");
        char *rel = only_release(pkg);

        (void)state;
        assert_int_equal(award_parse_release(rel, strlen(rel), &l, &e), 0);
        assert_int_equal(l.n, 1);
        assert_int_equal(l.v[0].value, 2150000);        /* amount, ex VAT */
        assert_string_equal(l.v[0].suppliers[0].charity_number, "1123456");
        assert_string_equal(l.v[0].suppliers[0].ppon, "ABCD-1234-EFGH");
        assert_null(l.v[0].suppliers[0].companies_house);
        assert_int_equal(l.v[0].suppliers[0].vcse, TRI_YES);
        award_list_done(&l);
        free(rel);
        free(pkg);
        /* UK7: the value is the contract's of the same awardID */
        pkg = read_fixture("awards/fts-contract-043210-2026-UK7-edited.json");
        rel = only_release(pkg);
        assert_int_equal(award_parse_release(rel, strlen(rel), &l, &e), 0);
        assert_int_equal(l.n, 1);
        assert_int_equal(l.v[0].value, 2200000);
        award_list_done(&l);
        free(rel);
        free(pkg);
}

static void
t_parse_bad(void **state)
{
        struct award_list l;
        struct err e = { 0 };
        const char *bad = "{\"awards\": [{\"id\": \"1\", \"suppliers\": {\"name\": \"x\"}}]}";
        const char *bad2 = "{\"awards\": [{\"id\": \"1\", \"value\": {\"amount\": \"12\"}}]}";
        const char *none = "{\"tag\": [\"tender\"], \"awards\": null}";
        const char *ph = "{\"awards\": [{\"id\": 7, \"value\": {\"amount\": 0}}]}";

        (void)state;
        assert_int_equal(award_parse_release(bad, strlen(bad), &l, &e), -EINVAL);
        assert_string_equal(e.msg, "awards[0].suppliers is not an array");
        assert_int_equal(l.n, 0);
        assert_int_equal(award_parse_release(bad2, strlen(bad2), &l, &e), -EINVAL);
        assert_string_equal(e.msg, "awards[0].value.amount is not a number");
        assert_int_equal(award_parse_release(none, strlen(none), &l, &e), 0);
        assert_int_equal(l.n, 0);
        assert_int_equal(award_parse_release(ph, strlen(ph), &l, &e), 0);
        assert_int_equal(l.n, 1);
        assert_string_equal(l.v[0].award_id, "7");
        assert_true(l.v[0].value == VALUE_NONE);        /* 0 is a placeholder */
        award_list_done(&l);
        assert_int_equal(award_parse_release("{", 1, &l, &e), -EINVAL);
}

/* ---- matching, on a store --------------------------------------------------- */

struct fx {
        char dir[64];
        struct store *s;
        struct member_register reg;
};

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
        (void)sb; (void)flag; (void)ftw;
        return remove(p);
}

static void
add_member(struct member_register *r, const char *id, const char *name, const char *coh,
           const char *chc)
{
        struct member *m;

        r->members = xreallocarray(r->members, r->n + 1, sizeof(*r->members));
        m = &r->members[r->n++];
        member_init(m);
        m->id = xstrdup(id);
        m->name = xstrdup(name);
        m->cluster = xstrdup("Digbeth");
        m->companies_house = coh ? xstrdup(coh) : NULL;
        m->charity_number = chc ? xstrdup(chc) : NULL;
}

static int
setup(void **state)
{
        struct fx *f = xcalloc(1, sizeof(*f));
        struct err err = { 0 };
        struct ocds_page p;

        snprintf(f->dir, sizeof(f->dir), "/tmp/test_award.XXXXXX");
        if (mkdtemp(f->dir) == NULL || store_open(f->dir, &f->s, &err) < 0) {
                fprintf(stderr, "%s\n", err.msg);
                return -1;
        }
        ocds_fixture_load("cf-search-2022-10-20-page1.json", &p);
        for (size_t i = 0; i < p.n; i++)
                if (store_put(f->s, &p.opps[i], NULL, NULL, &err) < 0) {
                        fprintf(stderr, "%s\n", err.msg);
                        return -1;
                }
        ocds_page_done(&p);
        /* identifier: Oakheart's Companies House number, written short */
        add_member(&f->reg, "a-oak", "Oakheart Social Enterprise", "9438364", NULL);
        /* name: "The Sandhills Management Consultancy C.I.C." is the
         * published "SANDHILLS MANAGEMENT CONSULTANCY LTD" */
        add_member(&f->reg, "b-sand", "The Sandhills Management Consultancy C.I.C.", NULL, NULL);
        /* same name, another company: GENUS PLC is 02972325 */
        add_member(&f->reg, "c-genus", "Genus", "11111111", NULL);
        /* a near match only: "Anthony Consulting Ltd." */
        add_member(&f->reg, "d-anthony", "Anthony Consultancy", NULL, NULL);
        *state = f;
        return 0;
}

static int
teardown(void **state)
{
        struct fx *f = *state;

        store_close(f->s);
        for (size_t i = 0; i < f->reg.n; i++)
                member_done(&f->reg.members[i]);
        free(f->reg.members);
        nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        free(f);
        return 0;
}

static int64_t
wins_of(struct fx *f, const char *member, const char *how)
{
        char *q = xasprintf("SELECT count(*) FROM win WHERE member_id = '%s' AND how = '%s'",
                            member, how);
        int64_t n = -1;
        sqlite3_stmt *st;

        assert_int_equal(sqlite3_prepare_v2(store_db(f->s), q, -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        n = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        free(q);
        return n;
}

static void
t_match(void **state)
{
        struct fx *f = *state;
        struct awards_match_stats ms;
        struct award_suggestions sg = { 0 };
        struct err err = { 0 };

        assert_int_equal(awards_match(f->s, &f->reg, 100, &ms, &err), 0);
        /* Oakheart: 4 notices (an award and its awardUpdate are one notice) */
        assert_int_equal(wins_of(f, "a-oak", WIN_BY_COMPANIES_HOUSE), 4);
        assert_int_equal(wins_of(f, "b-sand", WIN_BY_NAME), 6);       /* no number of its own */
        assert_int_equal(wins_of(f, "c-genus", WIN_BY_NAME), 0);      /* CH numbers differ */
        assert_int_equal(wins_of(f, "d-anthony", WIN_BY_NAME), 0);
        assert_int_equal(ms.wins, 10);
        assert_int_equal(ms.by_ident, 4);
        assert_int_equal(ms.by_name, 6);
        /* the near match is suggested, never a win */
        assert_int_equal(awards_suggest(f->s, &f->reg, &sg, &err), 0);
        assert_true(sg.n >= 1);
        {
                bool anthony = false;

                for (size_t i = 0; i < sg.n; i++)
                        if (strcmp(sg.v[i].member_id, "d-anthony") == 0) {
                                anthony = true;
                                assert_string_equal(sg.v[i].supplier, "Anthony Consulting Ltd.");
                                assert_int_equal(sg.v[i].awards, 2);
                        }
                assert_true(anthony);
        }
        award_suggestions_done(&sg);
        /* staff confirm it: an alias, by any spelling of the name */
        assert_int_equal(awards_alias_put(f->s, "ANTHONY CONSULTING LIMITED", "d-anthony", true,
                                          200, &err), 0);
        assert_int_equal(awards_match(f->s, &f->reg, 300, &ms, &err), 0);
        assert_int_equal(wins_of(f, "d-anthony", WIN_BY_ALIAS), 2);
        assert_int_equal(ms.by_alias, 2);
        /* reject the rest: no longer suggested */
        assert_int_equal(awards_suggest(f->s, &f->reg, &sg, &err), 0);
        for (size_t i = 0; i < sg.n; i++) {
                assert_string_not_equal(sg.v[i].member_id, "d-anthony");
                assert_int_equal(awards_alias_put(f->s, sg.v[i].supplier, sg.v[i].member_id,
                                                  false, 400, &err), 0);
        }
        award_suggestions_done(&sg);
        assert_int_equal(awards_suggest(f->s, &f->reg, &sg, &err), 0);
        assert_int_equal(sg.n, 0);
        /* removing the alias removes the wins at the next match */
        assert_int_equal(awards_alias_remove(f->s, "Anthony Consulting Ltd", &err), 0);
        assert_int_equal(awards_alias_remove(f->s, "Anthony Consulting Ltd", &err), -ENOENT);
        assert_int_equal(awards_match(f->s, &f->reg, 500, &ms, &err), 0);
        assert_int_equal(wins_of(f, "d-anthony", WIN_BY_ALIAS), 0);
}

static void
t_match_name(void **state)
{
        struct fx *f = *state;
        struct awards_match_stats ms;
        struct err err = { 0 };

        /* without a number of its own, the same normalised name matches */
        free(f->reg.members[2].companies_house);
        f->reg.members[2].companies_house = NULL;
        assert_int_equal(awards_match(f->s, &f->reg, 100, &ms, &err), 0);
        assert_int_equal(wins_of(f, "c-genus", WIN_BY_NAME), 1);
        assert_int_equal(ms.by_name, 7);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(t_name_key),
                cmocka_unit_test(t_ident),
                cmocka_unit_test(t_parse_cf),
                cmocka_unit_test(t_parse_fts),
                cmocka_unit_test(t_parse_bad),
                T(t_match),
                T(t_match_name),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
