/* test_ocds.c — OCDS parsing and normalisation on every real fixture, and on
 * malformed input (daemon/ingest/ocds.c). */
#include "testutil.h"
#include "ocds_fixture.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>

#include <jansson.h>

#include "bidbroker/ocds.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/text.h"
#include "bidbroker/utf8.h"
#include "bidbroker/util.h"

/* ---- helpers ---- */

/* Parse a string; returns the result, err in *e. */
static int
parse_str(const char *s, size_t len, struct ocds_page *p, struct err *e)
{
        ocds_page_init(p);
        memset(e, 0, sizeof(*e));
        return ocds_parse("t.json", s, len, p, e);
}

static const struct opportunity *
by_release(const struct ocds_page *p, const char *release_id)
{
        for (size_t i = 0; i < p->n; i++)
                if (strcmp(p->opps[i].release_id, release_id) == 0)
                        return &p->opps[i];
        fail_msg("release %s not found", release_id);
        return NULL;
}

static void
assert_strv(const struct strv *v, const char *joined)
{
        struct buf b;

        buf_init(&b);
        buf_add(&b, "", 0);
        for (size_t i = 0; i < v->n; i++) {
                if (i)
                        buf_addc(&b, ',');
                buf_adds(&b, v->v[i]);
        }
        assert_string_equal(b.data, joined);
        buf_done(&b);
}

static bool
has_rejected(const struct ocds_page *p, const char *needle)
{
        for (size_t i = 0; i < p->rejected.n; i++)
                if (strstr(p->rejected.msg[i], needle))
                        return true;
        return false;
}

static size_t
count_stage(const struct ocds_page *p, enum opp_stage s)
{
        size_t n = 0;

        for (size_t i = 0; i < p->n; i++)
                n += p->opps[i].stage == s;
        return n;
}

#define ALL_UK "UKC,UKD,UKE,UKF,UKG,UKH,UKI,UKJ,UKK,UKL,UKM,UKN"
#define ENGLAND "UKC,UKD,UKE,UKF,UKG,UKH,UKI,UKJ,UKK"

/* A Contracts Finder package of releases built from tender JSON. */
static char *
cf_package(const char *releases)
{
        return xasprintf("{\"uri\":\"https://www.contractsfinder.service.gov.uk/x\","
                         "\"releases\":[%s]}", releases);
}

static char *
cf_release(const char *guid, const char *tender)
{
        return xasprintf("{\"ocid\":\"ocds-b5fd17-%s\",\"id\":\"%s-100001\","
                         "\"tag\":[\"tender\"],\"date\":\"2025-01-23T10:00:00Z\","
                         "\"buyer\":{\"id\":\"B1\",\"name\":\"Buyer\"},\"tender\":%s}",
                         guid, guid, tender);
}

#define G1 "11111111-1111-1111-1111-111111111111"
#define G2 "22222222-2222-2222-2222-222222222222"
#define G3 "33333333-3333-3333-3333-333333333333"
#define G4 "44444444-4444-4444-4444-444444444444"
#define G5 "55555555-5555-5555-5555-555555555555"

/* Parse one CF release with this tender; it must be accepted. */
static void
one(const char *tender, struct ocds_page *p)
{
        char *r = cf_release(G1, tender);
        char *doc = cf_package(r);
        struct err e;

        assert_int_equal(parse_str(doc, strlen(doc), p, &e), 0);
        if (p->n != 1)
                fail_msg("rejected: %s", p->rejected.n ? p->rejected.msg[0] : "?");
        free(doc);
        free(r);
}

/* ---- Find a Tender ---- */

static void
t_fts_uk4(void **state)
{
        struct ocds_page p;
        const struct opportunity *o;

        (void)state;
        ocds_fixture_load("fts-release-032703-2026-UK4-below-threshold.json", &p);
        assert_int_equal(p.n, 1);
        assert_int_equal(p.nreleases, 1);
        assert_int_equal(p.rejected.n, 0);
        assert_null(p.next);
        o = &p.opps[0];
        assert_string_equal(o->source, "fts");
        assert_string_equal(o->notice_id, "032703-2026");
        assert_string_equal(o->ocid, "ocds-h6vhtk-067fb8");
        assert_string_equal(o->release_id, "032703-2026");
        assert_int_equal(o->stage, STAGE_TENDER);
        assert_string_equal(o->notice_type, "UK4");
        assert_string_equal(o->title, "HARROGATE TOWN DISTRICT HEATING PROJECT - Feasibility Study");
        assert_non_null(strstr(o->description, "estimated total value of the contract is "
                                               "\u00a333,721 (excluding VAT)."));
        assert_null(strchr(o->description, '\r'));
        assert_string_equal(o->buyer_name, "Harrogate Town Council");
        assert_string_equal(o->buyer_id, "GB-PPON-PDTL-7248-GWZW");
        assert_true(o->value_stated);
        assert_int_equal(o->value_max, 3372100);
        assert_int_equal(o->value_min, VALUE_NONE);
        assert_int_equal(o->value_gross, 4046520);
        assert_string_equal(o->currency, "GBP");
        assert_strv(&o->cpv, "09323000,79314000");
        assert_strv(&o->regions, "UKE2");
        assert_false(o->anywhere);
        assert_int_equal(o->postcodes.n, 0);
        assert_int_equal(o->above_threshold, TRI_NO);
        assert_int_equal(o->deadline, 1778281199);      /* 2026-05-08T22:59:59Z */
        assert_int_equal(o->published, 1775814613);     /* 2026-04-10T09:50:13Z */
        assert_int_equal(o->updated, 1775814613);
        assert_string_equal(o->procurement_method, "open");
        assert_string_equal(o->procurement_method_details, "Below threshold - open competition");
        assert_int_equal(o->suitable_sme, TRI_UNKNOWN);
        assert_int_equal(o->suitable_vcse, TRI_UNKNOWN);
        assert_string_equal(o->url, "https://www.find-tender.service.gov.uk/Notice/032703-2026");
        assert_int_equal(o->status, STATUS_ACTIVE);
        assert_false(o->amended);
        /* raw: compact, keys sorted, reals as written */
        assert_non_null(o->raw);
        assert_true(str_startswith(o->raw, "{\"buyer\":{\"id\":\"GB-PPON-PDTL-7248-GWZW\""));
        assert_non_null(strstr(o->raw, "\"amount\":33721,\"amountGross\":40465.2,"));
        assert_null(strstr(o->raw, ": "));
        assert_true(opportunity_is_open(o, 1775814613));
        assert_false(opportunity_is_open(o, 1778281200));
        ocds_page_done(&p);
}

static void
t_fts_uk1(void **state)
{
        struct ocds_page p;
        const struct opportunity *o;

        (void)state;
        ocds_fixture_load("fts-release-037689-2026-UK1-pipeline.json", &p);
        assert_int_equal(p.n, 1);
        o = &p.opps[0];
        assert_string_equal(o->source, "fts");
        assert_string_equal(o->notice_id, "037689-2026");
        assert_int_equal(o->stage, STAGE_PLANNING);
        assert_string_equal(o->notice_type, "UK1");
        assert_int_equal(o->status, STATUS_PLANNED);
        assert_string_equal(o->title, "Northumberland County Council Heat Networks");
        assert_string_equal(o->buyer_name, "Northumberland County Council");
        assert_strv(&o->cpv, "09000000,31000000,39715000,42000000,45000000,50700000,"
                             "65000000,71300000,71500000,79400000,79900000,90700000");
        assert_strv(&o->regions, "UKC2");
        assert_true(o->value_stated);
        assert_int_equal(o->value_max, 3000000000LL);
        assert_int_equal(o->value_gross, 3600000000LL);
        assert_int_equal(o->deadline, TIME_UNKNOWN);
        assert_int_equal(o->published, 1777040913);
        assert_int_equal(o->above_threshold, TRI_UNKNOWN);
        assert_null(o->procurement_method);
        assert_string_equal(o->url, "https://www.find-tender.service.gov.uk/Notice/037689-2026");
        assert_false(opportunity_is_open(o, 0));        /* planning, not open */
        ocds_page_done(&p);
}

/* ---- Contracts Finder legacy release ---- */

static void
t_cf_legacy(void **state)
{
        struct ocds_page p;
        const struct opportunity *o;

        (void)state;
        ocds_fixture_load("cf-legacy-2020-release-minor-building-works.json", &p);
        assert_int_equal(p.n, 1);
        o = &p.opps[0];
        assert_string_equal(o->source, "cf");
        assert_string_equal(o->ocid, "ocds-b5fd17raw-f74ba4b2-99ef-4359-951b-67445b338dfb");
        assert_string_equal(o->notice_id, "f74ba4b2-99ef-4359-951b-67445b338dfb");
        assert_string_equal(o->release_id,
                            "ocds-b5fd17-f74ba4b2-99ef-4359-951b-67445b338dfb-359468-bip494072446");
        assert_int_equal(o->stage, STAGE_TENDER);
        assert_string_equal(o->notice_type, "tender");
        assert_string_equal(o->title, "Minor Building Works");
        assert_string_equal(o->buyer_name, "Telford & Wrekin Council");
        assert_string_equal(o->buyer_id, "af914006dd3e72d7e4c16c582b2e8e27");
        assert_non_null(strstr(o->description, "valued up to \u00a3800,000 (although"));
        assert_null(strstr(o->description, "&pound;"));
        assert_null(strchr(o->description, '\r'));
        assert_non_null(strstr(o->description, "procured separately.\nThe nature"));
        /* value 0 is a placeholder: not stated, and the minValue goes with it */
        assert_false(o->value_stated);
        assert_int_equal(o->value_max, VALUE_NONE);
        assert_int_equal(o->value_min, VALUE_NONE);
        assert_int_equal(o->value_gross, VALUE_NONE);
        assert_string_equal(o->currency, "");
        /* CPV only in items[] */
        assert_strv(&o->cpv, "45210000");
        assert_strv(&o->item_descriptions, "See description of related tender.");
        /* no delivery address: the buyer's postcode TF3 (Telford) */
        assert_strv(&o->regions, "UKG");
        assert_int_equal(o->postcodes.n, 0);
        assert_int_equal(o->deadline, 1588204800);
        assert_int_equal(o->published, 1581552000);
        assert_int_equal(o->status, STATUS_COMPLETE);
        assert_int_equal(o->suitable_sme, TRI_YES);     /* xClassifications */
        assert_int_equal(o->suitable_vcse, TRI_NO);
        assert_string_equal(o->procurement_method_details, "Restricted procedure");
        assert_string_equal(o->url, "https://www.contractsfinder.service.gov.uk/Notice/"
                                    "f74ba4b2-99ef-4359-951b-67445b338dfb");
        ocds_page_done(&p);
}

/* ---- Contracts Finder search pages ---- */

static void
check_cf_page_common(const struct ocds_page *p)
{
        for (size_t i = 0; i < p->n; i++) {
                const struct opportunity *o = &p->opps[i];

                assert_string_equal(o->source, "cf");
                assert_int_equal(strlen(o->notice_id), 36);
                assert_true(str_startswith(o->url, "https://www.contractsfinder.service.gov.uk/Notice/"));
                assert_non_null(strstr(o->url, o->notice_id));
                assert_true(str_startswith(o->release_id, o->notice_id));
                assert_null(strchr(o->description, '\r'));
                assert_null(strchr(o->title, '\n'));
                assert_true(utf8_valid(o->description, strlen(o->description)));
                assert_true(o->cpv.n >= 1);
                assert_true(o->regions.n > 0 || o->anywhere);
                assert_true(o->updated != TIME_UNKNOWN);
                assert_true(o->published != TIME_UNKNOWN);
                for (size_t k = 0; k < o->cpv.n; k++)
                        assert_int_equal(strlen(o->cpv.v[k]), 8);
                if (!o->value_stated) {
                        assert_int_equal(o->value_max, VALUE_NONE);
                        assert_int_equal(o->value_min, VALUE_NONE);
                } else {
                        assert_true(o->value_max > 100);
                        assert_string_equal(o->currency, "GBP");
                }
                assert_non_null(o->raw);
        }
}

static void
t_cf_search_2022_10_20(void **state)
{
        struct ocds_page p;
        const struct opportunity *o;
        size_t under = 0;

        (void)state;
        ocds_fixture_load("cf-search-2022-10-20-page1.json", &p);
        assert_int_equal(p.nreleases, 100);
        assert_int_equal(p.n, 100);
        assert_int_equal(p.rejected.n, 0);
        assert_string_equal(p.next, "https://www.contractsfinder.service.gov.uk/Published/Notices/"
                            "OCDS/Search?publishedTo=2022-10-20T09:43:52+01:00&limit=100&cursor="
                            "cHVibGlzaGVkVG89MjAyMi0xMC0yMFQwOTo0Mzo1MiswMTowMHxsaW1pdD0xMDB8bmV4"
                            "dEN1cnNvcj00ODA3NjE=");
        /* tags: award 44 + awardUpdate 9, tender 29 + tenderAmendment 15, planning 3 */
        assert_int_equal(count_stage(&p, STAGE_AWARD), 53);
        assert_int_equal(count_stage(&p, STAGE_TENDER), 44);
        assert_int_equal(count_stage(&p, STAGE_PLANNING), 3);
        check_cf_page_common(&p);
        for (size_t i = 0; i < p.n; i++)
                under += p.opps[i].value_stated && p.opps[i].value_max <= 2500000;
        assert_int_equal(under, 32);                    /* the fixture README's count */

        /* the first release: +01:00 dates, a range, an award */
        o = &p.opps[0];
        assert_string_equal(o->release_id, "7d005747-1320-456e-b1fb-79919a74e44f-582356");
        assert_string_equal(o->notice_id, "7d005747-1320-456e-b1fb-79919a74e44f");
        assert_string_equal(o->notice_type, "awardUpdate");
        assert_int_equal(o->updated, 1666255333);       /* 2022-10-20T09:42:13+01:00 */
        assert_int_equal(o->stage, STAGE_AWARD);
        assert_int_equal(o->status, STATUS_AWARDED);
        assert_int_equal(o->value_max, 14501780);
        assert_int_equal(o->value_min, 3625440);
        assert_strv(&o->regions, "UKI");
        assert_strv(&o->cpv, "48000000");
        assert_int_equal(o->suitable_sme, TRI_YES);
        assert_int_equal(o->suitable_vcse, TRI_NO);

        /* the cleaning tender */
        o = by_release(&p, "132d2575-3fa2-4596-afb8-1015c20e6549-582270");
        assert_string_equal(o->title, "St George's Academy ~ Cleaning Services Tender");
        assert_strv(&o->cpv, "90919300");
        assert_true(o->value_stated);
        assert_int_equal(o->value_max, 84000000);
        assert_strv(&o->regions, "UKF");
        assert_int_equal(o->deadline, 1668211199);
        assert_int_equal(o->published, 1666194003);
        assert_int_equal(o->status, STATUS_ACTIVE);
        assert_string_equal(o->buyer_name, "St George's Academy");

        /* "West Midlands" -> UKG */
        o = by_release(&p, "2f63dd0b-77c1-4484-82b2-6bfe6bcc34e0-582341");
        assert_strv(&o->regions, "UKG");
        assert_string_equal(o->buyer_name, "Shropshire Council");

        /* the 245-country "any region" list collapses to anywhere */
        o = by_release(&p, "2bd165e2-aff6-4ea9-9236-d8948bb9dca4-582345");
        assert_true(o->anywhere);
        assert_int_equal(o->regions.n, 0);
        o = by_release(&p, "2bd165e2-aff6-4ea9-9236-d8948bb9dca4-582339");
        assert_true(o->anywhere);
        assert_string_equal(o->notice_id, "2bd165e2-aff6-4ea9-9236-d8948bb9dca4");

        /* a postcode-only delivery address: CV34 (Warwick) -> UKG */
        o = by_release(&p, "5ff46773-9399-4151-b5df-2fec8f11215c-582332");
        assert_strv(&o->postcodes, "CV34 5BW");
        assert_strv(&o->regions, "UKG");

        /* value 150m with a minValue of 1: the min is a placeholder */
        o = by_release(&p, "8b8ce674-fb0e-4c4c-b82c-4f1455fd3206-581922");
        assert_true(o->value_stated);
        assert_int_equal(o->value_max, 15000000000LL);
        assert_int_equal(o->value_min, VALUE_NONE);
        assert_int_equal(o->above_threshold, TRI_YES);  /* "(above threshold)" */

        /* &apos; decoded */
        o = by_release(&p, "cbe8c5c5-929b-4fe1-9dc2-87125e4ad652-582276");
        assert_string_equal(o->title, "HMPPS Norwich-A'Wing Refurbishment-BPRN No.580/20/6189");

        /* two amendments of one notice share its notice_id */
        assert_string_equal(by_release(&p, "21c21591-9f65-4468-a4f4-a187ecc0411e-582355")->notice_id,
                            by_release(&p, "21c21591-9f65-4468-a4f4-a187ecc0411e-582336")->notice_id);
        ocds_page_done(&p);
}

static void
t_cf_search_2022_10_22(void **state)
{
        struct ocds_page p;
        const struct opportunity *o;
        size_t under = 0;

        (void)state;
        ocds_fixture_load("cf-search-2022-10-22-page1.json", &p);
        assert_int_equal(p.nreleases, 100);
        assert_int_equal(p.n, 100);
        assert_non_null(p.next);
        assert_int_equal(count_stage(&p, STAGE_TENDER), 69);
        assert_int_equal(count_stage(&p, STAGE_AWARD), 27);
        assert_int_equal(count_stage(&p, STAGE_PLANNING), 4);
        check_cf_page_common(&p);
        for (size_t i = 0; i < p.n; i++)
                under += p.opps[i].value_stated && p.opps[i].value_max <= 2500000;
        assert_int_equal(under, 6);

        /* the smallest value: £5,000 */
        o = by_release(&p, "d4d9a189-8dff-4dc5-bd94-5df79e62c2ab-583129");
        assert_int_equal(o->value_max, 500000);
        /* postcode only: SO22 (Winchester) -> UKJ */
        o = by_release(&p, "2af91d46-fdb1-471c-bd78-71d8e9575a09-583168");
        assert_strv(&o->postcodes, "SO22 4NR");
        assert_strv(&o->regions, "UKJ");
        assert_strv(&o->cpv, "37400000");
        /* a tender and its amendments: one notice id */
        assert_string_equal(by_release(&p, "c70c230f-8626-41b0-aab1-2cd223f5c852-583172")->notice_id,
                            "c70c230f-8626-41b0-aab1-2cd223f5c852");
        assert_string_equal(by_release(&p, "c70c230f-8626-41b0-aab1-2cd223f5c852-583093")->notice_id,
                            "c70c230f-8626-41b0-aab1-2cd223f5c852");
        assert_int_equal(by_release(&p, "c70c230f-8626-41b0-aab1-2cd223f5c852-583093")->stage,
                         STAGE_TENDER);
        ocds_page_done(&p);
}

static void
t_cf_search_2025(void **state)
{
        struct ocds_page p;
        const struct opportunity *o, *a;

        (void)state;
        ocds_fixture_load("cf-search-2025-01-20to23-page1.json", &p);
        assert_int_equal(p.nreleases, 100);
        assert_int_equal(p.n, 100);
        assert_true(str_startswith(p.next, "https://www.contractsfinder.service.gov.uk/Published/"
                                           "Notices/OCDS/Search?publishedFrom=2025-01-20T23:00:00"));
        /* award 56 + awardUpdate 3, tender 33 + tenderAmendment 5, planning 3 */
        assert_int_equal(count_stage(&p, STAGE_AWARD), 59);
        assert_int_equal(count_stage(&p, STAGE_TENDER), 38);
        assert_int_equal(count_stage(&p, STAGE_PLANNING), 3);
        check_cf_page_common(&p);
        for (size_t i = 0; i < p.n; i++) {
                /* every mojibake run repaired */
                assert_null(strstr(p.opps[i].description, "\u00c2\u00a3"));
                assert_null(strstr(p.opps[i].description, "\u00e2\u20ac"));
        }

        /* the school-catering tender: no value stated */
        o = by_release(&p, "b8c14041-9e33-4f4c-8c08-398d0c8ada2c-819943");
        assert_string_equal(o->title, "Hampshire Primary Cluster 4 Catering Tender");
        assert_strv(&o->cpv, "55524000");
        assert_false(o->value_stated);
        assert_int_equal(o->value_max, VALUE_NONE);
        assert_strv(&o->regions, "UKJ");
        assert_int_equal(o->deadline, 1741352400);
        assert_int_equal(o->published, 1737654304);
        assert_string_equal(o->buyer_name, "Barton Stacey Primary School");
        assert_true(opportunity_is_open(o, 1737654304));

        /* range (minValue) and mojibake "â€¯" -> U+202F */
        o = by_release(&p, "2a1e3359-87a0-4fdd-ac61-20d5e6520a13-819950");
        assert_int_equal(o->value_min, 9300700);
        assert_int_equal(o->value_max, 37203200);
        assert_non_null(strstr(o->description, "ESPO 509_23 framework.\u202f The initial"));
        assert_non_null(strstr(o->description, "pilot scheme.\u202fThe recommendation"));
        assert_strv(&o->regions, ENGLAND);

        /* "Â£" -> "£" */
        o = by_release(&p, "59c088a2-2eb0-4f32-8888-a4d0297d19dd-819947");
        assert_non_null(strstr(o->description, "a total of \u00a33 million"));
        o = by_release(&p, "306fb694-922b-4fe9-bbf5-943cf55d1ef0-819539");
        assert_non_null(strstr(o->description, "Programme:\n\n\u2022 Children, Young People"));

        /* a tender and its amendment: one notice, same ocid */
        o = by_release(&p, "8f124d5d-fa11-457c-a0ed-431674a867c1-819842");
        a = by_release(&p, "8f124d5d-fa11-457c-a0ed-431674a867c1-819916");
        assert_string_equal(o->notice_id, "8f124d5d-fa11-457c-a0ed-431674a867c1");
        assert_string_equal(a->notice_id, o->notice_id);
        assert_string_equal(a->ocid, o->ocid);
        assert_string_equal(o->notice_type, "tender");
        assert_string_equal(a->notice_type, "tenderAmendment");
        assert_int_equal(a->stage, STAGE_TENDER);
        assert_true(a->updated > o->updated);
        assert_int_equal(a->published, o->published);
        assert_strv(&o->postcodes, "OX9 3DP");
        assert_strv(&o->regions, "UKJ");                 /* Thame, from the postcode */

        /* an award with value 0 and no tender value: not stated */
        o = by_release(&p, "1d151cb0-5da7-4a1f-b831-5b2485109d08-819868");
        assert_int_equal(o->stage, STAGE_AWARD);
        assert_false(o->value_stated);
        assert_int_equal(o->status, STATUS_AWARDED);
        ocds_page_done(&p);
}

/* Parsing twice gives byte-identical raw records (the store hashes them). */
static void
t_raw_stable(void **state)
{
        struct ocds_page a, b;

        (void)state;
        ocds_fixture_load("cf-search-2025-01-20to23-page1.json", &a);
        ocds_fixture_load("cf-search-2025-01-20to23-page1.json", &b);
        assert_int_equal(a.n, b.n);
        for (size_t i = 0; i < a.n; i++)
                assert_string_equal(a.opps[i].raw, b.opps[i].raw);
        ocds_page_done(&a);
        ocds_page_done(&b);
}

/* ---- rules on small documents ---- */

static void
t_values(void **state)
{
        struct ocds_page p;

        (void)state;
        one("{\"value\":{\"amount\":0.1,\"currency\":\"GBP\"}}", &p);
        assert_false(p.opps[0].value_stated);
        ocds_page_done(&p);
        one("{\"value\":{\"amount\":1,\"currency\":\"GBP\"}}", &p);
        assert_false(p.opps[0].value_stated);
        ocds_page_done(&p);
        one("{\"value\":{\"amount\":0}}", &p);
        assert_false(p.opps[0].value_stated);
        ocds_page_done(&p);
        one("{\"value\":{\"amount\":-5}}", &p);
        assert_false(p.opps[0].value_stated);
        ocds_page_done(&p);
        one("{\"value\":{\"amount\":2}}", &p);          /* low, but stated */
        assert_true(p.opps[0].value_stated);
        assert_int_equal(p.opps[0].value_max, 200);
        assert_string_equal(p.opps[0].currency, "");
        ocds_page_done(&p);
        one("{\"value\":{\"amount\":24999.99,\"currency\":\"gbp\"}}", &p);
        assert_int_equal(p.opps[0].value_max, 2499999);
        assert_string_equal(p.opps[0].currency, "GBP");
        ocds_page_done(&p);
        /* min > max is not a range */
        one("{\"value\":{\"amount\":100},\"minValue\":{\"amount\":500}}", &p);
        assert_int_equal(p.opps[0].value_max, 10000);
        assert_int_equal(p.opps[0].value_min, VALUE_NONE);
        ocds_page_done(&p);
        /* only the gross */
        one("{\"value\":{\"amountGross\":1200}}", &p);
        assert_int_equal(p.opps[0].value_max, 120000);
        assert_int_equal(p.opps[0].value_gross, 120000);
        ocds_page_done(&p);
        /* no tender value: the lots' total when every lot states one */
        one("{\"lots\":[{\"id\":\"1\",\"title\":\"Lot &amp; one\",\"value\":{\"amount\":1000}},"
            "{\"id\":\"2\",\"title\":\"Lot two\",\"value\":{\"amount\":500}}]}", &p);
        assert_int_equal(p.opps[0].value_max, 150000);
        assert_strv(&p.opps[0].lot_titles, "Lot & one,Lot two");
        ocds_page_done(&p);
        one("{\"lots\":[{\"id\":\"1\",\"value\":{\"amount\":1000}},{\"id\":\"2\"}]}", &p);
        assert_false(p.opps[0].value_stated);
        ocds_page_done(&p);
}

static void
t_cpv_and_regions(void **state)
{
        struct ocds_page p;
        const struct opportunity *o;

        (void)state;
        one("{\"classification\":{\"scheme\":\"CPV\",\"id\":\"90911200-8\"},"
            "\"additionalClassifications\":[{\"scheme\":\"CPV\",\"id\":\"90911200\"},"
            "{\"scheme\":\"CPVS\",\"id\":\"PA01-7\"},{\"scheme\":\"CPV\",\"id\":\"1234\"},"
            "{\"scheme\":\"CPV\",\"id\":\"9091120X\"},{\"id\":55524000}],"
            "\"items\":[{\"classification\":{\"scheme\":\"cpv\",\"id\":\"45000000-7\"},"
            "\"deliveryAddresses\":[{\"region\":\"TLG31\"},{\"region\":\"UKG\"},"
            "{\"postalCode\":\"b5 5se\"}]}],"
            "\"lots\":[{\"id\":\"1\",\"classification\":{\"scheme\":\"CPV\",\"id\":\"77310000\"}}]}",
            &p);
        o = &p.opps[0];
        assert_strv(&o->cpv, "90911200,55524000,45000000,77310000");
        assert_strv(&o->regions, "UKG");                /* UKG31 folded into UKG */
        assert_strv(&o->postcodes, "B5 5SE");
        ocds_page_done(&p);

        /* "United Kingdom" alone: all of the UK */
        one("{\"items\":[{\"deliveryAddresses\":[{\"countryName\":\"United Kingdom\"}]}]}", &p);
        assert_strv(&p.opps[0].regions, ALL_UK);
        assert_false(p.opps[0].anywhere);
        ocds_page_done(&p);
        /* "England" as a region */
        one("{\"items\":[{\"deliveryAddresses\":[{\"region\":\"England\","
            "\"countryName\":\"United Kingdom\"}]}]}", &p);
        assert_strv(&p.opps[0].regions, ENGLAND);
        ocds_page_done(&p);
        /* the UK plus places outside it: anywhere */
        one("{\"items\":[{\"deliveryAddresses\":[{\"countryName\":\"United Kingdom\"},"
            "{\"countryName\":\"Europe\"},{\"countryName\":\"Rest of the World\"},"
            "{\"postalCode\":\"LS1 1UR\"}]}]}", &p);
        assert_true(p.opps[0].anywhere);
        assert_int_equal(p.opps[0].regions.n, 0);
        assert_strv(&p.opps[0].postcodes, "LS1 1UR");
        ocds_page_done(&p);
        /* a postcode and the bare country: the postcode is more precise */
        one("{\"items\":[{\"deliveryAddresses\":[{\"postalCode\":\"LS1 1UR\"},"
            "{\"countryName\":\"United Kingdom\"}]}]}", &p);
        assert_strv(&p.opps[0].regions, "UKE");
        ocds_page_done(&p);
        /* a region beats a postcode elsewhere */
        one("{\"items\":[{\"deliveryAddresses\":[{\"postalCode\":\"LS1 1UR\"},"
            "{\"region\":\"London\"}]}]}", &p);
        assert_strv(&p.opps[0].regions, "UKI");
        ocds_page_done(&p);
        /* outside the UK only: no region, not anywhere, no buyer fallback */
        one("{\"items\":[{\"deliveryAddresses\":[{\"countryName\":\"France\"}]}]}", &p);
        assert_int_equal(p.opps[0].regions.n, 0);
        assert_false(p.opps[0].anywhere);
        ocds_page_done(&p);
}

static void
t_stage_status(void **state)
{
        static const struct {
                const char *tag, *status;
                enum opp_stage stage;
                enum opp_status st;
        } cases[] = {
                { "planning", "planned", STAGE_PLANNING, STATUS_PLANNED },
                { "planningUpdate", NULL, STAGE_PLANNING, STATUS_PLANNED },
                { "tender", "active", STAGE_TENDER, STATUS_ACTIVE },
                { "tenderAmendment", "active", STAGE_TENDER, STATUS_ACTIVE },
                { "tenderUpdate", "active", STAGE_TENDER, STATUS_ACTIVE },
                { "tenderCancellation", "active", STAGE_TENDER, STATUS_CANCELLED },
                { "tender", "cancelled", STAGE_TENDER, STATUS_CANCELLED },
                { "tender", "withdrawn", STAGE_TENDER, STATUS_CANCELLED },
                { "tender", "unsuccessful", STAGE_TENDER, STATUS_COMPLETE },
                { "award", "complete", STAGE_AWARD, STATUS_AWARDED },
                { "awardUpdate", "active", STAGE_AWARD, STATUS_AWARDED },
                { "contract", NULL, STAGE_AWARD, STATUS_AWARDED },
                { "award", "unsuccessful", STAGE_AWARD, STATUS_COMPLETE },
                { "compiled", NULL, STAGE_UNKNOWN, STATUS_UNKNOWN },
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                char *doc = cases[i].status
                        ? xasprintf("{\"releases\":[{\"ocid\":\"ocds-h6vhtk-1\",\"id\":\"000001-2026\","
                                    "\"tag\":[\"%s\"],\"tender\":{\"status\":\"%s\"}}]}",
                                    cases[i].tag, cases[i].status)
                        : xasprintf("{\"releases\":[{\"ocid\":\"ocds-h6vhtk-1\",\"id\":\"000001-2026\","
                                    "\"tag\":\"%s\"}]}", cases[i].tag);
                struct ocds_page p;
                struct err e;

                assert_int_equal(parse_str(doc, strlen(doc), &p, &e), 0);
                assert_int_equal(p.n, 1);
                if (p.opps[0].stage != cases[i].stage || p.opps[0].status != cases[i].st)
                        fail_msg("%s/%s: stage %d status %d", cases[i].tag,
                                 cases[i].status ? cases[i].status : "-",
                                 p.opps[0].stage, p.opps[0].status);
                ocds_page_done(&p);
                free(doc);
        }
}

static void
t_fts_uk12(void **state)
{
        static const char doc[] =
                "{\"uri\":\"https://www.find-tender.service.gov.uk/api/1.0/ocdsReleasePackages/x\","
                "\"releases\":[{\"ocid\":\"ocds-h6vhtk-0abc12\",\"id\":\"040000-2026\","
                "\"tag\":[\"tenderUpdate\"],\"date\":\"2026-04-30T12:00:00+01:00\","
                "\"tender\":{\"status\":\"active\",\"documents\":["
                "{\"id\":\"039000-2026\",\"noticeType\":\"UK4\","
                "\"url\":\"https://www.find-tender.service.gov.uk/Notice/039000-2026\"},"
                "{\"id\":\"040000-2026\",\"documentType\":\"tenderNotice\",\"noticeType\":\"UK12\","
                "\"url\":\"https://www.find-tender.service.gov.uk/Notice/040000-2026\"}]}}]}";
        struct ocds_page p;
        struct err e;

        (void)state;
        assert_int_equal(parse_str(doc, sizeof(doc) - 1, &p, &e), 0);
        assert_int_equal(p.n, 1);
        assert_string_equal(p.opps[0].notice_type, "UK12");
        assert_int_equal(p.opps[0].status, STATUS_CANCELLED);
        assert_string_equal(p.opps[0].url, "https://www.find-tender.service.gov.uk/Notice/040000-2026");
        assert_int_equal(p.opps[0].updated, 1777546800);
        assert_string_equal(p.opps[0].title, "");
        ocds_page_done(&p);
}

/* ---- malformed input ---- */

static void
t_empty_and_not_a_package(void **state)
{
        struct ocds_page p;
        struct err e;

        (void)state;
        assert_int_equal(parse_str("", 0, &p, &e), -EINVAL);
        assert_string_equal(e.msg, "t.json: empty document");
        assert_int_equal(parse_str(" \n\t", 3, &p, &e), -EINVAL);
        assert_string_equal(e.msg, "t.json: empty document");
        assert_int_equal(parse_str(NULL, 5, &p, &e), -EINVAL);
        assert_int_equal(parse_str("[]", 2, &p, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "t.json: not an OCDS release package"));
        assert_int_equal(parse_str("{}", 2, &p, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "no \"releases\""));
        assert_int_equal(parse_str("{\"releases\":{}}", 15, &p, &e), -EINVAL);
        assert_string_equal(e.msg, "t.json: \"releases\" is not an array");
        assert_int_equal(parse_str("{\"releases\":[]}", 15, &p, &e), 0);
        assert_int_equal(p.n, 0);
        assert_int_equal(p.nreleases, 0);
        ocds_page_done(&p);
        assert_int_equal(parse_str("42", 2, &p, &e), -EINVAL);
        assert_int_equal(p.n, 0);
}

static void
t_truncated(void **state)
{
        char *path = xasprintf("%s/ocds/fts-release-032703-2026-UK4-below-threshold.json",
                               fixtures_dir());
        char *data;
        size_t len;
        struct ocds_page p;
        struct err e;

        (void)state;
        assert_int_equal(read_file(path, 1u << 20, &data, &len), 0);
        for (size_t cut = 1; cut < len - 2; cut += len / 37) {
                assert_int_equal(parse_str(data, cut, &p, &e), -EINVAL);
                assert_true(str_startswith(e.msg, "t.json: line "));
                assert_non_null(strstr(e.msg, " column "));
                assert_int_equal(p.n, 0);
        }
        free(data);
        free(path);

        /* the line and column point at the fault, also after a repaired byte */
        assert_int_equal(parse_str("{\n  \"releases\": [\n    {\"a\": }\n", 31, &p, &e), -EINVAL);
        assert_true(str_startswith(e.msg, "t.json: line 3 column "));
        {
                static const char doc[] = "{\"x\": \"\xa3\t\", \"n\": 000,\n\"releases\": [ x ]}";

                assert_int_equal(parse_str(doc, sizeof(doc) - 1, &p, &e), -EINVAL);
                assert_true(str_startswith(e.msg, "t.json: line 2 column 15: "));
        }
}

static void
t_wrong_types(void **state)
{
        char *r[7], *doc;
        struct ocds_page p;
        struct err e;

        (void)state;
        r[0] = cf_release(G1, "{\"title\":\"good\"}");
        r[1] = cf_release(G2, "{\"title\":5}");
        r[2] = cf_release(G3, "{\"value\":{\"amount\":\"1000\"}}");
        r[3] = xstrdup("\"not a release\"");
        r[4] = xstrdup("{\"ocid\":\"ocds-b5fd17-x\",\"tag\":[\"tender\"]}");
        r[5] = cf_release(G4, "[1,2]");
        r[6] = cf_release(G5, "{\"items\":[{\"deliveryAddresses\":[{\"region\":7}]}]}");
        {
                char *joined = xasprintf("%s,%s,%s,%s,%s,%s,%s", r[0], r[1], r[2], r[3], r[4],
                                         r[5], r[6]);

                doc = cf_package(joined);
                free(joined);
        }
        assert_int_equal(parse_str(doc, strlen(doc), &p, &e), 0);
        assert_int_equal(p.nreleases, 7);
        assert_int_equal(p.n, 1);
        assert_string_equal(p.opps[0].title, "good");
        assert_int_equal(p.rejected.n, 6);
        assert_string_equal(p.rejected.msg[0],
                            "t.json: release 1 (id " G2 "-100001): tender.title is not a string");
        assert_string_equal(p.rejected.msg[1],
                            "t.json: release 2 (id " G3 "-100001): tender.value.amount is not a number");
        assert_string_equal(p.rejected.msg[2], "t.json: release 3: not an object");
        assert_string_equal(p.rejected.msg[3], "t.json: release 4: id is missing");
        assert_true(has_rejected(&p, "release 5 (id " G4 "-100001): tender is not an object"));
        assert_true(has_rejected(&p, "release 6 (id " G5 "-100001): "
                                     "tender.items[0].deliveryAddresses[0].region is not a string"));
        ocds_page_done(&p);
        free(doc);
        for (size_t i = 0; i < ARRAY_SIZE(r); i++)
                free(r[i]);

        /* an unknown publisher is rejected, not guessed */
        {
                static const char d[] = "{\"releases\":[{\"ocid\":\"ocds-zzzzzz-1\",\"id\":\"1\"}]}";

                assert_int_equal(parse_str(d, sizeof(d) - 1, &p, &e), 0);
                assert_int_equal(p.n, 0);
                assert_true(has_rejected(&p, "release 0 (id 1): unknown publisher"));
                ocds_page_done(&p);
        }
}

static void
t_bad_numbers(void **state)
{
        static const char doc[] =
                "{\"uri\":\"https://www.find-tender.service.gov.uk/x\",\"releases\":["
                "{\"ocid\":\"ocds-h6vhtk-1\",\"id\":\"000001-2026\",\"tag\":[\"tender\"],"
                "\"weird\":[1e9999,-1E+9999,000,-007,00.5,0e0,123456789012345678901234567890,"
                "NaN,Infinity,-Infinity,1e-9999],"
                "\"tender\":{\"title\":\"costs 1e9999 and 000\","
                "\"value\":{\"amount\":012.50,\"amountGross\":1e9999}}},"
                "{\"ocid\":\"ocds-h6vhtk-2\",\"id\":\"000002-2026\",\"tag\":[\"tender\"],"
                "\"tender\":{\"value\":{\"amount\":000}}}]}";
        struct ocds_page p;
        struct err e;
        const struct opportunity *o;

        (void)state;
        assert_int_equal(parse_str(doc, sizeof(doc) - 1, &p, &e), 0);
        assert_int_equal(p.n, 2);
        o = &p.opps[0];
        assert_string_equal(o->title, "costs 1e9999 and 000");     /* strings untouched */
        assert_true(o->value_stated);
        assert_int_equal(o->value_max, 1250);
        assert_int_equal(o->value_gross, VALUE_NONE);
        assert_non_null(strstr(o->raw, "\"weird\":[null,null,0,-7,0.5,0.0,1.23456789012346e29,"
                                       "null,null,null,0.0]"));
        assert_false(p.opps[1].value_stated);                       /* 000 is 0: not stated */
        ocds_page_done(&p);
}

static void
t_invalid_utf8(void **state)
{
        /* ISO-8859-1 bytes in a CF body: £ (A3), é (E9), a raw tab */
        static const char doc[] =
                "{\"releases\":[{\"ocid\":\"ocds-b5fd17-" G1 "\",\"id\":\"" G1 "-1\","
                "\"tag\":[\"tender\"],\"tender\":{\"title\":\"Caf\xe9 \xa3" "500\t\x93quote\x94\","
                "\"description\":\"a\xc3\x82\xc2\xa3" "5 &amp; \xff\"}}]}";
        struct ocds_page p;
        struct err e;

        (void)state;
        assert_int_equal(parse_str(doc, sizeof(doc) - 1, &p, &e), 0);
        assert_int_equal(p.n, 1);
        assert_string_equal(p.opps[0].title, "Caf\u00e9 \u00a3" "500 \u201cquote\u201d");
        assert_string_equal(p.opps[0].description, "a\u00a3" "5 & \u00ff");
        assert_true(utf8_valid(p.opps[0].raw, strlen(p.opps[0].raw)));
        ocds_page_done(&p);
}

static void
t_huge_string(void **state)
{
        size_t n = 10u << 20;
        struct buf b;
        struct ocds_page p;
        struct err e;
        const struct opportunity *o;

        (void)state;
        buf_init(&b);
        buf_adds(&b, "{\"releases\":[{\"ocid\":\"ocds-b5fd17-" G1 "\",\"id\":\"" G1 "-1\","
                     "\"tag\":[\"tender\"],\"tender\":{\"title\":\"");
        for (size_t i = 0; i < n / 64; i++)
                buf_adds(&b, "Title words and more title words and more title words and more ");
        buf_adds(&b, "\",\"description\":\"");
        for (size_t i = 0; i < n / 64; i++)
                buf_adds(&b, "Description &amp; text \\r\\n with \\u00a3 signs and more text ..");
        buf_adds(&b, "\"}}]}");
        assert_int_equal(parse_str(b.data, b.len, &p, &e), 0);
        assert_int_equal(p.n, 1);
        o = &p.opps[0];
        assert_true(strlen(o->title) <= TEXT_TITLE_MAX);
        assert_true(strlen(o->title) > TEXT_TITLE_MAX - 10);
        assert_true(strlen(o->description) <= TEXT_DESCRIPTION_MAX);
        assert_true(utf8_valid(o->description, strlen(o->description)));
        assert_true(strlen(o->raw) < (2u << 20));      /* long strings cut in the raw copy */
        ocds_page_done(&p);
        buf_done(&b);
}

static void
t_deep_nesting(void **state)
{
        struct buf b;
        struct ocds_page p;
        struct err e;

        (void)state;
        /* far deeper than jansson's limit: refused, no stack overflow */
        buf_init(&b);
        for (int i = 0; i < 200000; i++)
                buf_addc(&b, '[');
        for (int i = 0; i < 200000; i++)
                buf_addc(&b, ']');
        assert_int_equal(parse_str(b.data, b.len, &p, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "depth"));
        buf_done(&b);

        /* nested 1000 deep inside a release: kept, raw re-serialised */
        buf_init(&b);
        buf_adds(&b, "{\"releases\":[{\"ocid\":\"ocds-b5fd17-" G1 "\",\"id\":\"" G1 "-1\","
                     "\"tag\":[\"tender\"],\"x\":");
        for (int i = 0; i < 1000; i++)
                buf_addc(&b, '[');
        for (int i = 0; i < 1000; i++)
                buf_addc(&b, ']');
        buf_adds(&b, "}]}");
        assert_int_equal(parse_str(b.data, b.len, &p, &e), 0);
        assert_int_equal(p.n, 1);
        assert_non_null(strstr(p.opps[0].raw, "[[[[[[[[]]]]]]]]"));
        ocds_page_done(&p);
        buf_done(&b);
}

static void
t_bare_release_and_bom(void **state)
{
        static const char doc[] =
                "\xef\xbb\xbf{\"ocid\":\"ocds-h6vhtk-1\",\"id\":\"000009-2026\",\"tag\":[\"tender\"],"
                "\"tender\":{\"title\":\"Bare\\u0000 release\"}}";
        struct ocds_page p;
        struct err e;

        (void)state;
        assert_int_equal(parse_str(doc, sizeof(doc) - 1, &p, &e), 0);
        assert_int_equal(p.n, 1);
        assert_string_equal(p.opps[0].title, "Bare release");
        assert_string_equal(p.opps[0].notice_id, "000009-2026");
        ocds_page_done(&p);
}

/* ---- one release at a time ---- */

/* jansson's allocations, counted (json_set_alloc_funcs).  Strings that
 * json_dumps() returns are released by the parser with free(), which this
 * does not see: they stay counted, as if never freed. */
static size_t jlive, jpeak;

static void *
counting_malloc(size_t n)
{
        void *p = malloc(n);

        if (p != NULL) {
                jlive += malloc_usable_size(p);
                if (jlive > jpeak)
                        jpeak = jlive;
        }
        return p;
}

static void
counting_free(void *p)
{
        if (p != NULL)
                jlive -= malloc_usable_size(p);
        free(p);
}

static void
t_one_release_at_a_time(void **state)
{
        struct buf b;
        struct ocds_page p;
        struct err e;
        char *one;

        (void)state;
        /* 3,000 releases, each with a 1 KB description */
        buf_init(&b);
        buf_adds(&b, "{\"uri\": \"https://www.contractsfinder.service.gov.uk/x\",\n"
                 " \"releases\": [");
        for (int i = 0; i < 3000; i++) {
                char guid[40];

                snprintf(guid, sizeof(guid), "%08d-1111-1111-1111-111111111111", i);
                one = cf_release(guid, "{\"title\":\"Cleaning\",\"description\":\""
                                 "Office cleaning, twice a week, five sites. "
                                 "Office cleaning, twice a week, five sites. "
                                 "Office cleaning, twice a week, five sites. "
                                 "Office cleaning, twice a week, five sites. "
                                 "Office cleaning, twice a week, five sites. "
                                 "Office cleaning, twice a week, five sites. "
                                 "Office cleaning, twice a week, five sites. "
                                 "Office cleaning, twice a week, five sites. \","
                                 "\"items\":[{\"id\":\"1\",\"classification\":"
                                 "{\"scheme\":\"CPV\",\"id\":\"90919200\"}}]}");
                buf_printf(&b, "%s\n  %s", i ? "," : "", one);
                free(one);
        }
        buf_adds(&b, "],\n \"links\": {\"next\": \"https://x.example/page2\"}}");
        jlive = jpeak = 0;
        json_set_alloc_funcs(counting_malloc, counting_free);
        assert_int_equal(parse_str(b.data, b.len, &p, &e), 0);
        json_set_alloc_funcs(malloc, free);
        assert_int_equal(p.n, 3000);
        assert_int_equal(p.nreleases, 3000);
        assert_string_equal(p.next, "https://x.example/page2");
        assert_string_equal(p.opps[2999].notice_id, "00002999-1111-1111-1111-111111111111");
        /* a tree of the whole document is 6.3 times its size (12.4 MB for
         * these 2.0 MB); one release at a time, jansson holds one release
         * and the raw strings handed to the page (counted, never seen
         * freed): about the size of the document */
        if (jpeak > 2 * b.len)
                fail_msg("jansson held %zu bytes at once for a %zu-byte document", jpeak, b.len);
        ocds_page_done(&p);
        buf_done(&b);
}

/* The streaming reader and the whole-tree reader agree: members before or
 * after "releases", a repeated "releases" (the last wins), escapes in keys;
 * and an error anywhere, even after the releases, rejects the document
 * with nothing added to a page that already held releases. */
static void
t_streaming_edges(void **state)
{
        char *r1 = cf_release(G1, "{\"title\":\"one\"}");
        char *r2 = cf_release(G2, "{\"title\":\"two\"}");
        char *doc;
        struct ocds_page p;
        struct err e = { 0 };

        (void)state;
        doc = xasprintf("{\"links\":{\"next\":\"n\"},\"releases\":[%s],\"rel\\u0065ases\":"
                        "[ %s , %s ] ,\"uri\":null}", r1, r1, r2);
        assert_int_equal(parse_str(doc, strlen(doc), &p, &e), 0);
        assert_int_equal(p.n, 2);
        assert_string_equal(p.opps[1].title, "two");
        assert_string_equal(p.next, "n");
        free(doc);
        /* a page that holds one release already; the next document fails
         * after its releases: the page is as it was */
        doc = xasprintf("{\"releases\":[%s,%s],\n\"links\":{\"next\": nope}}", r1, r2);
        assert_int_equal(ocds_parse("t.json", doc, strlen(doc), &p, &e), -EINVAL);
        if (strncmp(e.msg, "t.json: line 2 column ", 22) != 0)
                fail_msg("message: %s", e.msg);
        assert_int_equal(p.n, 2);
        assert_int_equal(p.nreleases, 2);
        ocds_page_done(&p);
        free(doc);
        /* one bad release in the middle: the whole document, as before */
        doc = xasprintf("{\"releases\":[%s,{\"a\":},%s]}", r1, r2);
        assert_int_equal(parse_str(doc, strlen(doc), &p, &e), -EINVAL);
        assert_int_equal(p.n, 0);
        assert_int_equal(p.rejected.n, 0);
        ocds_page_done(&p);
        free(doc);
        free(r1);
        free(r2);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(t_fts_uk4),
                cmocka_unit_test(t_fts_uk1),
                cmocka_unit_test(t_cf_legacy),
                cmocka_unit_test(t_cf_search_2022_10_20),
                cmocka_unit_test(t_cf_search_2022_10_22),
                cmocka_unit_test(t_cf_search_2025),
                cmocka_unit_test(t_raw_stable),
                cmocka_unit_test(t_values),
                cmocka_unit_test(t_cpv_and_regions),
                cmocka_unit_test(t_stage_status),
                cmocka_unit_test(t_fts_uk12),
                cmocka_unit_test(t_empty_and_not_a_package),
                cmocka_unit_test(t_truncated),
                cmocka_unit_test(t_wrong_types),
                cmocka_unit_test(t_bad_numbers),
                cmocka_unit_test(t_invalid_utf8),
                cmocka_unit_test(t_huge_string),
                cmocka_unit_test(t_deep_nesting),
                cmocka_unit_test(t_bare_release_and_bom),
                cmocka_unit_test(t_one_release_at_a_time),
                cmocka_unit_test(t_streaming_edges),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
