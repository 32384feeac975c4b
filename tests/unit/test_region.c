/* test_region.c — region names, ITL codes, postcode areas (daemon/model/region.c). */
#include "testutil.h"

#include <errno.h>

#include "bidbroker/region.h"
#include "bidbroker/util.h"

/* Parse s; the codes joined with ',' must equal want (and the kind). */
static void
check_parse(const char *s, enum region_kind kind, const char *want)
{
        struct strv out;
        struct buf b;

        strv_init(&out);
        buf_init(&b);
        buf_add(&b, "", 0);
        assert_int_equal(region_parse(s, &out), kind);
        for (size_t i = 0; i < out.n; i++) {
                if (i)
                        buf_addc(&b, ',');
                buf_adds(&b, out.v[i]);
        }
        assert_string_equal(b.data, want);
        buf_done(&b);
        strv_done(&out);
}

static void
t_codes(void **state)
{
        char out[REGION_CODE_MAX];

        (void)state;
        assert_true(region_code_valid("UKG"));
        assert_true(region_code_valid("UKG31"));
        assert_true(region_code_valid("UKE2"));
        assert_true(region_code_valid("UKN0A"));
        assert_true(region_code_valid("UKM"));
        assert_false(region_code_valid("UK"));
        assert_false(region_code_valid("UKZ"));         /* extra-regio */
        assert_false(region_code_valid("UKB1"));
        assert_true(region_code_valid("UKG311"));      /* {0,3} after the letter */
        assert_false(region_code_valid("UKG3111"));
        assert_false(region_code_valid("ukg"));
        assert_false(region_code_valid("UKG-3"));
        assert_false(region_code_valid(""));
        assert_false(region_code_valid(NULL));
        assert_int_equal(region_code_normalise(" tlg31 ", out), 0);
        assert_string_equal(out, "UKG31");
        assert_int_equal(region_code_normalise("TLG", out), 0);
        assert_string_equal(out, "UKG");
        assert_int_equal(region_code_normalise("ukc2", out), 0);
        assert_string_equal(out, "UKC2");
        assert_int_equal(region_code_normalise("UKG 31", out), -EINVAL);
        assert_int_equal(region_code_normalise("London", out), -EINVAL);
        assert_int_equal(region_code_normalise("UKG3199999", out), -EINVAL);
}

static void
t_names(void **state)
{
        (void)state;
        check_parse("North East", REGION_CODES, "UKC");
        check_parse("North West", REGION_CODES, "UKD");
        check_parse("Yorkshire and the Humber", REGION_CODES, "UKE");
        check_parse("Yorkshire & The Humber", REGION_CODES, "UKE");
        check_parse("East Midlands", REGION_CODES, "UKF");
        check_parse("West Midlands", REGION_CODES, "UKG");
        check_parse("  west   MIDLANDS ", REGION_CODES, "UKG");
        check_parse("East of England", REGION_CODES, "UKH");
        check_parse("London", REGION_CODES, "UKI");
        check_parse("South East", REGION_CODES, "UKJ");
        check_parse("South-West", REGION_CODES, "UKK");
        check_parse("Wales", REGION_CODES, "UKL");
        check_parse("Scotland", REGION_CODES, "UKM");
        check_parse("Northern Ireland", REGION_CODES, "UKN");
        check_parse("England", REGION_CODES, "UKC,UKD,UKE,UKF,UKG,UKH,UKI,UKJ,UKK");
        check_parse("United Kingdom", REGION_CODES,
                    "UKC,UKD,UKE,UKF,UKG,UKH,UKI,UKJ,UKK,UKL,UKM,UKN");
        check_parse("UK", REGION_CODES, "UKC,UKD,UKE,UKF,UKG,UKH,UKI,UKJ,UKK,UKL,UKM,UKN");
        check_parse("GB", REGION_CODES, "UKC,UKD,UKE,UKF,UKG,UKH,UKI,UKJ,UKK,UKL,UKM,UKN");
        check_parse("Great Britain", REGION_CODES, "UKC,UKD,UKE,UKF,UKG,UKH,UKI,UKJ,UKK,UKL,UKM");
        check_parse("UKG31", REGION_CODES, "UKG31");
        check_parse("UKE2", REGION_CODES, "UKE2");
        check_parse("TLG", REGION_CODES, "UKG");
        check_parse("UKG31 - Birmingham", REGION_CODES, "UKG31");
        check_parse("Any region", REGION_ANYWHERE, "");
        check_parse("Rest of the World", REGION_ANYWHERE, "");
        check_parse("Isle of Man", REGION_OUTSIDE_UK, "");
        check_parse("Channel Islands", REGION_OUTSIDE_UK, "");
        check_parse("British Oversea Territories", REGION_OUTSIDE_UK, "");
        check_parse("Europe", REGION_OUTSIDE_UK, "");
        check_parse("Narnia", REGION_UNKNOWN, "");
        check_parse("", REGION_UNKNOWN, "");
        check_parse(NULL, REGION_UNKNOWN, "");
        check_parse("UKZ", REGION_UNKNOWN, "");
        assert_string_equal(region_name("UKG31"), "West Midlands");
        assert_string_equal(region_name("UKE"), "Yorkshire and the Humber");
        assert_null(region_name("XX"));
}

static void
t_overlaps(void **state)
{
        struct strv r;

        (void)state;
        assert_true(region_overlaps("UKG31", "UKG"));   /* notice in UKG31, filter UKG */
        assert_true(region_overlaps("UKG", "UKG31"));   /* all of UKG is deliverable in UKG31 */
        assert_true(region_overlaps("UKG", "UKG"));
        assert_false(region_overlaps("UKG31", "UKG32"));
        assert_false(region_overlaps("UKG", "UKH"));
        assert_false(region_overlaps("", "UKG"));
        assert_false(region_overlaps(NULL, "UKG"));

        strv_init(&r);
        assert_false(region_list_matches(&r, false, "UKG"));   /* nothing known */
        assert_true(region_list_matches(&r, true, "UKG"));     /* anywhere */
        strv_add(&r, "UKI");
        strv_add(&r, "UKG31");
        assert_true(region_list_matches(&r, false, "UKG"));
        assert_true(region_list_matches(&r, false, "UKG3"));
        assert_false(region_list_matches(&r, false, "UKG2"));
        assert_false(region_list_matches(&r, false, "UKM"));
        strv_done(&r);

        strv_init(&r);
        strv_add(&r, "UKG31");
        strv_add(&r, "UKI");
        strv_add(&r, "UKG");
        strv_add(&r, "UKI");
        strv_add(&r, "UKE2");
        region_list_simplify(&r);
        assert_int_equal(r.n, 3);
        assert_string_equal(r.v[0], "UKI");
        assert_string_equal(r.v[1], "UKG");
        assert_string_equal(r.v[2], "UKE2");
        strv_done(&r);
}

static void
check_area(const char *pc, const char *area, const char *region)
{
        char a[3];

        assert_int_equal(postcode_area(pc, a), 0);
        assert_string_equal(a, area);
        if (region)
                assert_string_equal(postcode_region(pc), region);
        else
                assert_null(postcode_region(pc));
}

static void
t_postcodes(void **state)
{
        char a[3];
        char *s;

        (void)state;
        check_area("B5 5SE", "B", "UKG");
        check_area("WV1 1AA", "WV", "UKG");
        check_area("ws1 1tp", "WS", "UKG");
        check_area("DY1 1HF", "DY", "UKG");
        check_area("CV34 5BW", "CV", "UKG");
        check_area("S702TA", "S", "UKE");
        check_area("SW1A 2BQ", "SW", "UKI");
        check_area("SW1A2BQ", "SW", "UKI");
        check_area("EC1A 1BB", "EC", "UKI");
        check_area("W1A 0AX", "W", "UKI");
        check_area("e16 2QU", "E", "UKI");
        check_area("HG1 5LT", "HG", "UKE");
        check_area("NE61 2EF", "NE", "UKC");
        check_area("TF3 4JA", "TF", "UKG");
        check_area("CF10 1AA", "CF", "UKL");
        check_area("EH1 1YZ", "EH", "UKM");
        check_area("BT1 1AA", "BT", "UKN");
        check_area("ZE1 0AA", "ZE", "UKM");
        check_area("JE2 3AB", "JE", NULL);              /* Jersey: no UK region */
        check_area("IM1 1AA", "IM", NULL);
        check_area("B5", "B", "UKG");                   /* outward code alone */
        check_area("SW1A", "SW", "UKI");
        assert_int_equal(postcode_area("QQ1 1AA", a), 0);       /* shape ok, unknown area */
        assert_null(postcode_region("QQ1 1AA"));

        assert_true(postcode_valid("B5 5SE"));
        assert_true(postcode_valid("s702ta"));
        assert_true(postcode_valid("EC1A 1BB"));
        assert_false(postcode_valid("B5"));             /* outward only */
        assert_false(postcode_valid("5B 5SE"));
        assert_false(postcode_valid("ABC1 1AA"));
        assert_false(postcode_valid("B5 5S"));
        assert_false(postcode_valid("B555 5SE"));
        assert_false(postcode_valid("n/a"));
        assert_false(postcode_valid(""));
        assert_false(postcode_valid(NULL));
        assert_int_equal(postcode_area("not a postcode", a), -EINVAL);
        assert_int_equal(postcode_area("1AA", a), -EINVAL);

        assert_string_equal(postcode_area_region("wv"), "UKG");
        assert_null(postcode_area_region("XYZ"));
        assert_null(postcode_area_region(""));

        s = postcode_normalise("  e16   2qu ");
        assert_string_equal(s, "E16 2QU");
        free(s);
        assert_null(postcode_normalise("   "));
}

/* The table covers every postcode area of the UK with an ITL1 region. */
static void
t_postcode_table(void **state)
{
        static const char *const areas[] = {
                "AB", "AL", "B", "BA", "BB", "BD", "BH", "BL", "BN", "BR", "BS", "BT", "CA",
                "CB", "CF", "CH", "CM", "CO", "CR", "CT", "CV", "CW", "DA", "DD", "DE", "DG",
                "DH", "DL", "DN", "DT", "DY", "E", "EC", "EH", "EN", "EX", "FK", "FY", "G",
                "GL", "GU", "HA", "HD", "HG", "HP", "HR", "HS", "HU", "HX", "IG", "IP", "IV",
                "KA", "KT", "KW", "KY", "L", "LA", "LD", "LE", "LL", "LN", "LS", "LU", "M",
                "ME", "MK", "ML", "N", "NE", "NG", "NN", "NP", "NR", "NW", "OL", "OX", "PA",
                "PE", "PH", "PL", "PO", "PR", "RG", "RH", "RM", "S", "SA", "SE", "SG", "SK",
                "SL", "SM", "SN", "SO", "SP", "SR", "SS", "ST", "SW", "SY", "TA", "TD", "TF",
                "TN", "TQ", "TR", "TS", "TW", "UB", "W", "WA", "WC", "WD", "WF", "WN", "WR",
                "WS", "WV", "YO", "ZE",
        };

        (void)state;
        assert_int_equal(ARRAY_SIZE(areas), 121);
        for (size_t i = 0; i < ARRAY_SIZE(areas); i++) {
                const char *r = postcode_area_region(areas[i]);

                assert_non_null(r);
                assert_true(region_code_valid(r));
                assert_int_equal(strlen(r), 3);
        }
        /* spot checks by nation */
        assert_string_equal(postcode_area_region("LL"), "UKL");
        assert_string_equal(postcode_area_region("SA"), "UKL");
        assert_string_equal(postcode_area_region("G"), "UKM");
        assert_string_equal(postcode_area_region("IV"), "UKM");
        assert_string_equal(postcode_area_region("BT"), "UKN");
        assert_string_equal(postcode_area_region("YO"), "UKE");
        assert_string_equal(postcode_area_region("NG"), "UKF");
        assert_string_equal(postcode_area_region("NR"), "UKH");
        assert_string_equal(postcode_area_region("RG"), "UKJ");
        assert_string_equal(postcode_area_region("TR"), "UKK");
        assert_string_equal(postcode_area_region("M"), "UKD");
        assert_string_equal(postcode_area_region("SR"), "UKC");
        assert_null(postcode_area_region("GY"));
        assert_null(postcode_area_region("BF"));
}

/* region_normalise() of s: the entries joined with ',', or "!" + why. */
static void
check_norm(const char *s, const char *want)
{
        struct strv out;
        struct buf b;
        const char *why = NULL;

        strv_init(&out);
        buf_init(&b);
        buf_add(&b, "", 0);
        if (region_normalise(s, &out, &why) < 0) {
                assert_non_null(why);
                assert_int_equal(out.n, 0);
                buf_printf(&b, "!%s", why);
        }
        for (size_t i = 0; i < out.n; i++)
                buf_printf(&b, "%s%s", i ? "," : "", out.v[i]);
        if (want[0] == '!')
                assert_true(str_startswith(b.data, want));
        else
                assert_string_equal(b.data, want);
        buf_done(&b);
        strv_done(&out);
}

static void
t_normalise(void **state)
{
        (void)state;
        /* ITL codes, any case and spelling */
        check_norm("UKG", "UKG");
        check_norm("ukg", "UKG");
        check_norm(" ukg31 ", "UKG31");
        check_norm("TLG3", "UKG3");
        check_norm("UKG31 - Birmingham", "UKG31");
        /* region names */
        check_norm("West Midlands", "UKG");
        check_norm("WEST  midlands", "UKG");
        check_norm("Yorkshire & the Humber", "UKE");
        check_norm("the North East", "UKC");
        check_norm("Scotland", "UKM");
        check_norm("England", "UKC,UKD,UKE,UKF,UKG,UKH,UKI,UKJ,UKK");
        /* the whole UK, however written */
        check_norm("UK", "UK");
        check_norm("United Kingdom", "UK");
        check_norm("gb", "UK");
        check_norm("anywhere", "UK");
        /* postcode areas */
        check_norm("B", "PC:B");
        check_norm("ws", "PC:WS");
        check_norm("PC:wv", "PC:WV");
        check_norm("NE", "PC:NE");              /* the area, not "North East" */
        /* garbage and places we do not serve */
        check_norm("Narnia", "!not a region bidbroker knows; use an ITL code");
        check_norm("UKZ", "!not a region");
        check_norm("UKG3199999", "!not a region");
        check_norm("", "!empty");
        check_norm("   ", "!empty");
        check_norm("PC:", "!not a postcode area");
        check_norm("PC:ZZ", "!not a UK postcode area");
        check_norm("ZZ", "!not a UK postcode area, ITL code or region name");
        check_norm("Isle of Man", "!outside the UK");
        check_norm("IM", "!not a UK postcode area");
        check_norm("B5 5SE", "!not a region");
        check_norm("West Midlandz", "!not a region");
}

static void
t_entry_holds(void **state)
{
        struct strv ukg, ukg31, none, pcb, pcws;

        (void)state;
        strv_init(&ukg);
        strv_init(&ukg31);
        strv_init(&none);
        strv_init(&pcb);
        strv_init(&pcws);
        strv_add(&ukg, "UKG");
        strv_add(&ukg31, "UKG31");
        strv_add(&pcb, "B5 5SE");
        strv_add(&pcws, "WS1 1AA");
        /* ITL entries: overlap both ways */
        assert_true(region_entry_holds("UKG", &ukg31, NULL, false));
        assert_true(region_entry_holds("UKG31", &ukg, NULL, false));
        assert_false(region_entry_holds("UKF", &ukg, NULL, false));
        assert_false(region_entry_holds("UKG", &none, NULL, false));
        assert_true(region_entry_holds("UKF", &none, NULL, true));     /* anywhere */
        /* the whole UK */
        assert_true(region_entry_holds("UK", &ukg31, NULL, false));
        assert_false(region_entry_holds("UK", &none, &none, false));
        /* postcode areas: by the notice's postcode, or a region holding all of it */
        assert_true(region_entry_holds("PC:B", &none, &pcb, false));
        assert_false(region_entry_holds("PC:WS", &none, &pcb, false));
        assert_true(region_entry_holds("PC:WS", &none, &pcws, false));
        assert_true(region_entry_holds("PC:B", &ukg, NULL, false));
        assert_false(region_entry_holds("PC:B", &ukg31, NULL, false));
        strv_done(&ukg);
        strv_done(&ukg31);
        strv_done(&none);
        strv_done(&pcb);
        strv_done(&pcws);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(t_codes),
                cmocka_unit_test(t_names),
                cmocka_unit_test(t_overlaps),
                cmocka_unit_test(t_postcodes),
                cmocka_unit_test(t_postcode_table),
                cmocka_unit_test(t_normalise),
                cmocka_unit_test(t_entry_holds),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
