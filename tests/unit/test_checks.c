/*
 * test_checks.c — [check ID] sections of the taxonomy (checks.h): the
 * shipped rules on notice wording (what they must and must not find), money
 * levels next to insurance, members' accreditations normalised to the same
 * checks, and the loader's errors with FILE:LINE.
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "bidbroker/checks.h"
#include "bidbroker/err.h"
#include "bidbroker/members.h"
#include "bidbroker/readiness.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/taxonomy.h"
#include "bidbroker/util.h"

static struct taxonomy *
shipped(void)
{
        struct taxonomy *t = NULL;
        struct diag d;

        diag_init(&d);
        if (taxonomy_load("conf/capabilities.conf", &t, &d) < 0) {
                diag_print(&d, stderr);
                fail_msg("the shipped taxonomy does not load");
        }
        diag_done(&d);
        assert_non_null(t->checker);
        return t;
}

/* The checks a description asks for, as "id[=level] id ..." (levels in
 * pounds; "a|b": either-or). */
static char *
asks(const struct taxonomy *t, const char *title, const char *desc)
{
        struct opportunity o;
        struct check_asks a;
        struct buf b;

        opportunity_init(&o);
        o.title = xstrdup(title);
        o.description = xstrdup(desc);
        check_asks_init(&a);
        checker_asks(t->checker, &o, &a);
        buf_init(&b);
        buf_adds(&b, "");
        for (size_t i = 0; i < a.n; i++) {
                /* "a|b": b is an alternative of a */
                buf_printf(&b, "%s%s", i == 0 ? "" : a.v[i].alt != i ? "|" : " ",
                           a.v[i].def->id);
                if (a.v[i].level != CHECK_LEVEL_NONE)
                        buf_printf(&b, "=%lld", (long long)(a.v[i].level / 100));
                assert_non_null(a.v[i].text);
        }
        check_asks_done(&a);
        opportunity_done(&o);
        return buf_steal(&b);
}

#define assert_asks(t, title, desc, want) do {                                          \
        char *got_ = asks(t, title, desc);                                              \
        if (strcmp(got_, want) != 0)                                                    \
                fail_msg("%s\n  asks '%s', want '%s'", desc, got_, want);               \
        free(got_);                                                                     \
} while (0)

static void
t_notice_wording(void **state)
{
        struct taxonomy *t = shipped();

        (void)state;
        /* DBS in the words notices use */
        assert_asks(t, "Youth work", "All staff must hold an enhanced DBS check.", "dbs");
        assert_asks(t, "Tutoring", "Tutors will be DBS-checked before starting.", "dbs");
        assert_asks(t, "Mentoring", "Staff require an Enhanced Disclosure with barred list "
                    "check.", "dbs");
        assert_asks(t, "Mentoring", "A Disclosure and Barring Service check is needed.", "dbs");
        /* ... and not where it is not an ask */
        assert_asks(t, "Office move", "Bidders sign a non-disclosure agreement (NDA).", "");
        assert_asks(t, "Office move", "No DBS check is required for this work.", "");
        assert_asks(t, "Office move", "DBS checks are not required as no children are "
                    "present.", "");
        assert_asks(t, "Office move", "The DBSA framework applies.", "");
        /* SSIP schemes; not "purchase", not the name Chas */
        assert_asks(t, "Roof repairs", "Contractors must be CHAS accredited.", "chas");
        assert_asks(t, "Roof repairs", "SafeContractor or Constructionline Gold required.",
                    "safecontractor|constructionline");
        /* either-or: any one of them will do; "and", "/" and sentences keep them apart */
        assert_asks(t, "Roof repairs", "Contractors must hold CHAS, SafeContractor or "
                    "Constructionline accreditation.", "chas|safecontractor|constructionline");
        assert_asks(t, "Roof repairs", "Hold an SSIP scheme such as CHAS and/or "
                    "SafeContractor.", "ssip|chas|safecontractor");
        assert_asks(t, "Roof repairs", "Hold CHAS and be Gas Safe registered.", "chas gas-safe");
        assert_asks(t, "IT support", "Hold CHAS accreditation. Cyber Essentials or "
                    "ISO 27001 is needed.", "chas iso-27001|cyber-essentials");
        assert_asks(t, "Roof repairs", "Hold CHAS/SafeContractor.", "chas safecontractor");
        assert_asks(t, "Events", "Public liability / employer's liability insurance of £5m.",
                    "public-liability=5000000 employers-liability=5000000");
        assert_asks(t, "Roof repairs", "An SSIP accreditation is essential.", "ssip");
        assert_asks(t, "Stationery", "The purchase of chairs; contact Chas Smith.", "");
        /* food hygiene rating */
        assert_asks(t, "School meals", "Kitchens must hold a 5 star food hygiene rating.",
                    "food-hygiene");
        assert_asks(t, "School meals", "Caterers need an FHRS score of 4 or above.",
                    "food-hygiene");
        assert_asks(t, "School meals", "Staff hold Level 2 Food Safety certificates.", "");
        /* insurance, with the level */
        assert_asks(t, "Events", "Public Liability Insurance of £5,000,000 is required.",
                    "public-liability=5000000");
        assert_asks(t, "Events", "Suppliers need £10m public liability and £5m employers' "
                    "liability.", "public-liability=10000000 employers-liability=5000000");
        assert_asks(t, "Events", "Insurance: Public Liability - £5 million; Employer's "
                    "Liability - £10 million; Professional Indemnity - £1m.",
                    "public-liability=5000000 employers-liability=10000000 "
                    "professional-indemnity=1000000");
        assert_asks(t, "Events", "Public liability insurance is required.", "public-liability");
        assert_asks(t, "Events", "The contract value is £50,000. Public liability cover "
                    "is required.", "public-liability");
        /* a notice buying insurance asks for none */
        assert_asks(t, "Insurance services 2025", "Lot 1 public liability; lot 2 property.", "");
        /* ISO: the numbers, never "isolation" */
        assert_asks(t, "Consultancy", "Suppliers should hold ISO 9001:2015 and ISO14001.",
                    "iso-9001 iso-14001");
        assert_asks(t, "Cleaning", "Isolation rooms and ISO-standard containers.", "");
        assert_asks(t, "Consultancy", "ISO 9001/14001 certification.", "iso-9001 iso-14001");
        assert_asks(t, "Consultancy", "OHSAS 18001 or ISO 45001.", "iso-45001");
        /* Cyber Essentials and Plus */
        assert_asks(t, "IT support", "Cyber Essentials certification is mandatory.",
                    "cyber-essentials");
        assert_asks(t, "IT support", "Suppliers must hold Cyber Essentials Plus.",
                    "cyber-essentials-plus");
        /* security, trades */
        assert_asks(t, "Door supervision", "SIA licensed door supervisors for events.", "sia");
        assert_asks(t, "Door supervision", "An SIA Approved Contractor is preferred.",
                    "sia sia-acs");
        assert_asks(t, "Travel", "Flights to Asia and Siam.", "");
        assert_asks(t, "Boiler servicing", "Engineers must be Gas Safe registered.", "gas-safe");
        assert_asks(t, "Rewiring", "We are seeking to appoint a NICEIC registered "
                    "contractor.", "niceic");
        assert_asks(t, "Home care", "Providers must be registered with the CQC.", "cqc");
        assert_asks(t, "Clearance", "A registered waste carrier must remove the waste.",
                    "waste-carrier");
        assert_asks(t, "Cleaning", "Bidders must pay the Real Living Wage.", "living-wage");
        assert_asks(t, "Cleaning", "Staff are paid at least the national living wage.", "");
        taxonomy_free(t);
}

/* The buyer's name is not looked at: the Disclosure and Barring Service buys. */
static void
t_fields(void **state)
{
        struct taxonomy *t = shipped();
        struct opportunity o;
        struct check_asks a;

        (void)state;
        opportunity_init(&o);
        o.title = xstrdup("Office furniture");
        o.description = xstrdup("Desks and chairs.");
        o.buyer_name = xstrdup("Disclosure and Barring Service (DBS)");
        strv_add(&o.lot_titles, "Lot 2: CHAS accredited installers");
        check_asks_init(&a);
        checker_asks(t->checker, &o, &a);
        assert_int_equal(a.n, 1);                       /* not dbs: the buyer's name */
        assert_string_equal(a.v[0].def->id, "chas");    /* implies is for members only */
        assert_int_equal(a.v[0].field, FIELD_LOTS);
        assert_string_equal(a.v[0].text, "Lot 2: CHAS accredited installers");
        check_asks_done(&a);
        opportunity_done(&o);
        taxonomy_free(t);
}

static char *
holds(const struct taxonomy *t, const char *acc, char **unknown)
{
        struct check_holds h;
        struct strv u;
        struct buf b, ub;

        check_holds_init(&h);
        strv_init(&u);
        checker_member(t->checker, acc, &h, &u);
        buf_init(&b);
        buf_init(&ub);
        buf_adds(&b, "");
        buf_adds(&ub, "");
        for (size_t i = 0; i < h.n; i++) {
                buf_printf(&b, "%s%s", i ? " " : "", h.v[i].def->id);
                if (h.v[i].level != CHECK_LEVEL_NONE)
                        buf_printf(&b, "=%lld", (long long)(h.v[i].level / 100));
        }
        for (size_t i = 0; i < u.n; i++)
                buf_printf(&ub, "%s%s", i ? "|" : "", u.v[i]);
        *unknown = buf_steal(&ub);
        strv_done(&u);
        check_holds_done(&h);
        return buf_steal(&b);
}

#define assert_holds(t, acc, want, want_unknown) do {                                   \
        char *u_, *got_ = holds(t, acc, &u_);                                           \
        if (strcmp(got_, want) != 0 || strcmp(u_, want_unknown) != 0)                   \
                fail_msg("%s\n  holds '%s' (unknown '%s'), want '%s' ('%s')", acc,      \
                         got_, u_, want, want_unknown);                                 \
        free(got_);                                                                     \
        free(u_);                                                                       \
} while (0)

static void
t_member_accreditations(void **state)
{
        struct taxonomy *t = shipped();

        (void)state;
        /* the register's own wording */
        assert_holds(t, "CHAS, SafeContractor, Living Wage employer",
                     "ssip chas safecontractor living-wage", "");
        assert_holds(t, "Enhanced DBS; SIA; CHAS accredited; Food Hygiene 5",
                     "dbs ssip chas food-hygiene sia", "");
        assert_holds(t, "SIA Approved Contractor Scheme, enhanced DBS, public liability "
                     "£10m, employer's liability £10,000,000",
                     "dbs public-liability=10000000 employers-liability=10000000 sia sia-acs",
                     "");
        assert_holds(t, "Cyber Essentials Plus, ISO 27001, professional indemnity £1m",
                     "professional-indemnity=1000000 iso-27001 cyber-essentials "
                     "cyber-essentials-plus", "");
        /* commas inside amounts do not split; unknown entries are kept */
        assert_holds(t, "Public liability £5,000,000, Matrix standard\nTrustMark",
                     "public-liability=5000000", "Matrix standard|TrustMark");
        assert_holds(t, "Gas Safe, NICEIC, Constructionline Gold, ISO 9001 and ISO 14001",
                     "constructionline iso-9001 iso-14001 gas-safe niceic", "");
        assert_holds(t, "", "", "");
        taxonomy_free(t);
}

static void
t_levels(void **state)
{
        int64_t p;
        char b[32];

        (void)state;
        assert_true(check_amount("£5m", &p));
        assert_int_equal(p, 500000000);
        assert_true(check_amount("cover of GBP 2.5 million", &p));
        assert_int_equal(p, 250000000);
        assert_true(check_amount("£500k", &p));
        assert_int_equal(p, 50000000);
        assert_true(check_amount("£10,000,000.", &p));
        assert_int_equal(p, 1000000000);
        assert_false(check_amount("5 million", &p));
        assert_false(check_amount("£", &p));
        check_level_text(500000000, b, sizeof(b));
        assert_string_equal(b, "£5m");
        check_level_text(250000000, b, sizeof(b));
        assert_string_equal(b, "£2.5m");
        check_level_text(50000000, b, sizeof(b));
        assert_string_equal(b, "£500k");
        check_level_text(1234500, b, sizeof(b));
        assert_string_equal(b, "£12345");
}

static void
t_errors(void **state)
{
        char dir[64], *path;
        struct taxonomy *t = NULL;
        struct diag d;
        const char *text =
                "[capability cleaning]\n"               /* 1 */
                "keyword = cleaning\n"
                "[check dbs]\n"                         /* 3 */
                "label = DBS check\n"
                "keyword = DBS\n"                       /* 5 */
                "scope = some\n"                        /* 6 */
                "amount = maybe\n"                      /* 7 */
                "colour = red\n"                        /* 8 */
                "implies = nothing\n"
                "[check empty]\n"                       /* 10 */
                "label = Nothing\n"
                "[check dbs]\n"                         /* 12 */
                "keyword = DBS\n"
                "[check Bad_Id]\n"                      /* 14 */
                "keyword = x\n"
                "[check re]\n"                          /* 16 */
                "regex = (a\n";                         /* 17 */

        (void)state;
        test_tmpdir(dir, "test_checks");
        path = xasprintf("%s/capabilities.conf", dir);
        assert_int_equal(write_file_atomic(path, text, strlen(text), 0644), 0);
        diag_init(&d);
        assert_int_equal(taxonomy_load(path, &t, &d), -EINVAL);
        assert_null(t);
#define HAS(line, needle) do {                                                          \
        char *w_ = xasprintf("%s:%u: ", path, (unsigned)(line));                        \
        bool f_ = false;                                                                \
        for (size_t i_ = 0; i_ < d.n; i_++)                                             \
                f_ = f_ || (str_startswith(d.msg[i_], w_) && strstr(d.msg[i_], needle));\
        if (!f_) { diag_print(&d, stderr); fail_msg("no %s...%s", w_, needle); }        \
        free(w_);                                                                       \
} while (0)
        HAS(6, "'scope' must be any");
        HAS(7, "'amount' must be yes or no");
        HAS(8, "unknown key 'colour' in [check dbs]");
        HAS(3, "implies 'nothing', which is no [check ID]");
        HAS(10, "[check empty] has no 'keyword' or 'regex'");
        HAS(12, "[check dbs] defined twice (first at line 3)");
        HAS(14, "[check Bad_Id] needs an id");
        HAS(17, "missing closing parenthesis");
#undef HAS
        diag_done(&d);
        free(path);
        test_rmtree(dir);
}

/* A set's checklist: held by whom, what is missing and why, the summary. */
static json_t *
checklist(const struct taxonomy *t, const char *desc, const char *const *acc, size_t n)
{
        struct opportunity o;
        struct check_asks a;
        struct member m[4];
        const struct member *mp[4];
        struct check_holds h[4];
        json_t *j;
        char id[24];                    /* "m" and any size_t */

        opportunity_init(&o);
        o.title = xstrdup("Community events");
        o.description = xstrdup(desc);
        check_asks_init(&a);
        checker_asks(t->checker, &o, &a);
        for (size_t i = 0; i < n; i++) {
                member_init(&m[i]);
                snprintf(id, sizeof(id), "m%zu", i + 1);
                m[i].id = xstrdup(id);
                m[i].accreditations = xstrdup(acc[i]);
                mp[i] = &m[i];
                check_holds_init(&h[i]);
                checker_member(t->checker, acc[i], &h[i], NULL);
        }
        j = readiness_json(&a, mp, h, n);
        for (size_t i = 0; i < n; i++) {
                check_holds_done(&h[i]);
                member_done(&m[i]);
        }
        check_asks_done(&a);
        opportunity_done(&o);
        return j;
}

static void
t_checklist(void **state)
{
        struct taxonomy *t = shipped();
        const char *desc = "Stewards must be SIA licensed and hold an enhanced DBS check. "
                           "Suppliers need public liability insurance of £10m, and CHAS "
                           "or equivalent.";
        const char *two[] = { "SIA licences for all stewards, public liability £10m",
                              "Enhanced DBS; public liability £5m" };
        const char *ready[] = { "SIA, public liability £10,000,000, CHAS",
                                "enhanced DBS, Public Liability £10m" };
        json_t *j, *miss;

        (void)state;
        j = checklist(t, desc, two, 2);
        assert_false(json_is_true(json_object_get(j, "ready")));
        /* scope any: one partner is enough */
        assert_string_equal(json_string_value(json_array_get(json_object_get(
                json_object_get(j, "held"), "sia"), 0)), "m1");
        assert_string_equal(json_string_value(json_array_get(json_object_get(
                json_object_get(j, "held"), "dbs"), 0)), "m2");
        /* scope each at a level: m2's £5m is below; nobody holds CHAS */
        miss = json_object_get(j, "missing");
        assert_int_equal(json_array_size(miss), 2);
        assert_string_equal(json_string_value(json_object_get(json_array_get(miss, 0),
                                                              "check")), "chas");
        assert_string_equal(json_string_value(json_object_get(json_array_get(miss, 0),
                                                              "why")), "no partner holds it");
        assert_string_equal(json_string_value(json_object_get(json_array_get(miss, 1),
                                                              "check")), "public-liability");
        assert_int_equal(json_integer_value(json_object_get(json_array_get(miss, 1), "level")),
                         10000000);
        assert_string_equal(json_string_value(json_array_get(json_object_get(
                json_array_get(miss, 1), "members"), 0)), "m2");
        assert_string_equal(json_string_value(json_object_get(j, "summary")),
                            "Still needed: CHAS; Public liability insurance £10m "
                            "(m2 holds £5m)");
        json_decref(j);

        /* held by every partner at the level, CHAS by one: ready */
        j = checklist(t, desc, ready, 2);
        assert_true(json_is_true(json_object_get(j, "ready")));
        assert_int_equal(json_array_size(json_object_get(j, "missing")), 0);
        assert_string_equal(json_string_value(json_object_get(j, "summary")),
                            "Ready: the partners hold all 4 checks the notice asks for");
        json_decref(j);

        /* a level asked, an entry without an amount: not held, and says so */
        j = checklist(t, desc, (const char *[]){ "SIA, DBS, CHAS, public liability" }, 1);
        assert_string_equal(json_string_value(json_object_get(j, "summary")),
                            "Still needed: Public liability insurance £10m (m1: no amount "
                            "stated)");
        json_decref(j);

        /* either-or: one alternative held is enough */
        j = checklist(t, "CHAS or SafeContractor accreditation.",
                      (const char *[]){ "SafeContractor" }, 1);
        assert_true(json_is_true(json_object_get(j, "ready")));
        json_decref(j);
        j = checklist(t, "CHAS or SafeContractor accreditation.", two, 2);
        miss = json_object_get(j, "missing");
        assert_int_equal(json_array_size(miss), 1);
        assert_string_equal(json_string_value(json_object_get(json_array_get(miss, 0),
                                                              "label")), "CHAS or SafeContractor");
        assert_string_equal(json_string_value(json_array_get(json_object_get(
                json_array_get(miss, 0), "or"), 0)), "safecontractor");
        assert_string_equal(json_string_value(json_object_get(j, "summary")),
                            "Still needed: CHAS or SafeContractor");
        json_decref(j);

        /* nothing asked: no summary */
        j = checklist(t, "Grass cutting.", two, 2);
        assert_true(json_is_null(json_object_get(j, "summary")));
        assert_true(json_is_true(json_object_get(j, "ready")));
        json_decref(j);
        taxonomy_free(t);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(t_notice_wording),
                cmocka_unit_test(t_fields),
                cmocka_unit_test(t_member_accreditations),
                cmocka_unit_test(t_levels),
                cmocka_unit_test(t_checklist),
                cmocka_unit_test(t_errors),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
