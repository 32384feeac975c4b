/* test_links.c — the same tender on Contracts Finder and Find a Tender
 * (daemon/store/links.c): the text rule's folding, the id rule's citations
 * in both directions, order independence, what a later release does to a
 * link, and the count store_put keeps. */
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "bidbroker/err.h"
#include "bidbroker/links.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/store.h"
#include "bidbroker/util.h"

#define T0      1737600000              /* 2025-01-23 02:40 UTC */
#define DL      (T0 + 30 * 86400)       /* the deadline of the notices below */
#define CF_GUID "b8c14041-9e33-4f4c-8c08-398d0c8ada2c"

struct fx {
        char  dir[64];
        struct store *s;
};

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
        (void)sb; (void)flag; (void)ftw;
        return remove(p);
}

static int
setup(void **state)
{
        struct fx *f = xcalloc(1, sizeof(*f));
        struct err err = { 0 };

        snprintf(f->dir, sizeof(f->dir), "/tmp/test_links.XXXXXX");
        if (mkdtemp(f->dir) == NULL || store_open(f->dir, &f->s, &err) < 0) {
                fprintf(stderr, "%s\n", err.msg);
                return -1;
        }
        store_set_now(f->s, T0);
        *state = f;
        return 0;
}

static int
teardown(void **state)
{
        struct fx *f = *state;

        store_close(f->s);
        nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        free(f);
        return 0;
}

/* A tender notice of source "cf" or "fts". */
static void
mk(struct opportunity *o, const char *source, const char *nid, const char *ocid,
   const char *buyer, const char *title, int64_t deadline, const char *raw)
{
        opportunity_init(o);
        o->source = xstrdup(source);
        o->notice_id = xstrdup(nid);
        o->release_id = xstrdup(nid);
        o->ocid = xstrdup(ocid);
        o->stage = STAGE_TENDER;
        o->notice_type = xstrdup("tender");
        o->buyer_name = xstrdup(buyer);
        o->title = xstrdup(title);
        o->status = STATUS_ACTIVE;
        o->published = T0;
        o->updated = T0;
        o->deadline = deadline;
        o->raw = xstrdup(raw ? raw : "{}");
}

/* Put o (freed), return its row id. */
static int64_t
put(struct store *s, struct opportunity *o)
{
        struct err err = { 0 };
        int64_t id = 0;

        if (store_put(s, o, NULL, &id, &err) < 0)
                fail_msg("store_put %s: %s", o->notice_id, err.msg);
        opportunity_done(o);
        return id;
}

/* The id of the record linked to id (0: none); *rule its rule. */
static int64_t
linked_to(struct store *s, int64_t id, char rule[32], bool *other_canonical)
{
        struct store_link l;
        struct err err = { 0 };
        int64_t other = 0;
        int r;

        store_link_init(&l);
        r = store_link_get(s, id, &l, &err);
        assert_true(r >= 0);
        if (r > 0) {
                other = l.id;
                if (rule)
                        snprintf(rule, 32, "%s", l.rule);
                if (other_canonical)
                        *other_canonical = l.other_is_canonical;
        }
        store_link_done(&l);
        return other;
}

/* Case, punctuation and spacing folded; "the", "Council", "Ltd" dropped;
 * one buyer's words within the other's; deadlines within the hour. */
static void
t_text_rule(void **state)
{
        struct fx *f = *state;
        struct opportunity o;
        char rule[32] = "";
        bool canon = false;
        int64_t cf, fts, a, b;
        uint64_t made = store_links_made(f->s);

        mk(&o, "fts", "000001-2025", "ocds-h6vhtk-000001", "LONDON BOROUGH OF CAMDEN",
           "GROUNDS MAINTENANCE - PARKS, LOT 1", DL + 3600, NULL);
        fts = put(f->s, &o);
        mk(&o, "cf", "11111111-1111-1111-1111-111111111111", "ocds-b5fd17-x",
           "The Camden Council", "Grounds maintenance: parks (lot 1)", DL, NULL);
        cf = put(f->s, &o);
        assert_int_equal(linked_to(f->s, cf, rule, &canon), fts);
        assert_string_equal(rule, LINK_RULE_TEXT);
        assert_false(canon);
        assert_int_equal(linked_to(f->s, fts, NULL, &canon), cf);
        assert_true(canon);                     /* the CF record is canonical */
        assert_int_equal(store_links_made(f->s), made + 1);

        /* another buyer, same title and deadline: not the same tender */
        mk(&o, "fts", "000002-2025", "ocds-h6vhtk-000002", "Leeds City Council",
           "Cleaning of offices", DL, NULL);
        a = put(f->s, &o);
        mk(&o, "cf", "22222222-2222-2222-2222-222222222222", "ocds-b5fd17-y",
           "Bradford Metropolitan District Council", "Cleaning of offices", DL, NULL);
        b = put(f->s, &o);
        assert_int_equal(linked_to(f->s, a, NULL, NULL), 0);
        assert_int_equal(linked_to(f->s, b, NULL, NULL), 0);

        /* an hour and a second apart: not linked */
        mk(&o, "fts", "000003-2025", "ocds-h6vhtk-000003", "Leeds City Council",
           "Window cleaning", DL + 3601, NULL);
        a = put(f->s, &o);
        mk(&o, "cf", "33333333-3333-3333-3333-333333333333", "ocds-b5fd17-z",
           "Leeds City Council", "Window cleaning", DL, NULL);
        b = put(f->s, &o);
        assert_int_equal(linked_to(f->s, b, NULL, NULL), 0);

        /* two notices of one source are never linked to each other */
        mk(&o, "cf", "44444444-4444-4444-4444-444444444444", "ocds-b5fd17-w",
           "Leeds City Council", "Window cleaning", DL, NULL);
        a = put(f->s, &o);
        assert_int_equal(linked_to(f->s, a, NULL, NULL), 0);
        assert_int_equal(store_links_made(f->s), made + 1);
}

/* A Find a Tender notice citing the Contracts Finder notice (URL with an
 * upper-case GUID and JSON's escaped slashes) is linked by ids whatever the
 * titles say, in either order; deadlines a day apart are too far. */
static void
t_ids_fts_cites_cf(void **state)
{
        static const char raw[] =
                "{\"documents\":[{\"url\":\"https:\\/\\/www.contractsfinder.service.gov.uk"
                "\\/Notice\\/B8C14041-9E33-4F4C-8C08-398D0C8ADA2C\"}]}";
        struct fx *f = *state;
        struct opportunity o;
        char rule[32] = "";
        int64_t cf, fts;

        mk(&o, "fts", "000010-2025", "ocds-h6vhtk-00000a", "Someone", "A title", DL + 7200,
           raw);
        fts = put(f->s, &o);
        mk(&o, "cf", CF_GUID, "ocds-b5fd17-8e9e80b5", "Barton Stacey Primary School",
           "Hampshire Primary Cluster 4 Catering Tender", DL, NULL);
        cf = put(f->s, &o);
        assert_int_equal(linked_to(f->s, fts, rule, NULL), cf);
        assert_string_equal(rule, LINK_RULE_IDS);

        /* the other order, in a second store; and a citation 2 days off */
        store_close(f->s);
        nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        {
                struct err err = { 0 };

                assert_int_equal(store_open(f->dir, &f->s, &err), 0);
        }
        mk(&o, "cf", CF_GUID, "ocds-b5fd17-8e9e80b5", "Barton Stacey Primary School",
           "Hampshire Primary Cluster 4 Catering Tender", DL, NULL);
        cf = put(f->s, &o);
        mk(&o, "fts", "000010-2025", "ocds-h6vhtk-00000a", "Someone", "A title", DL + 7200,
           raw);
        fts = put(f->s, &o);
        assert_int_equal(linked_to(f->s, cf, rule, NULL), fts);
        assert_string_equal(rule, LINK_RULE_IDS);
        mk(&o, "fts", "000011-2025", "ocds-h6vhtk-00000b", "Someone", "A title",
           DL + 2 * 86400, "{\"x\":\"contractsfinder.service.gov.uk/Notice/"
           "55555555-5555-5555-5555-555555555555\"}");
        fts = put(f->s, &o);
        mk(&o, "cf", "55555555-5555-5555-5555-555555555555", "ocds-b5fd17-v", "B", "T", DL,
           NULL);
        cf = put(f->s, &o);
        assert_int_equal(linked_to(f->s, cf, NULL, NULL), 0);
}

/* A Contracts Finder notice citing a Find a Tender award notice as
 * "2025/S 000-000021" is the tender of that award's ocid, whether the award
 * arrives before or after the tender. */
static void
t_ids_cf_cites_award(void **state)
{
        struct fx *f = *state;
        struct opportunity o;
        int64_t cf, fts;

        mk(&o, "cf", CF_GUID, "ocds-b5fd17-8e9e80b5", "Hertfordshire County Council",
           "Emergency placements", DL,
           "{\"description\":\"Award Notice 2025/S 000-000021\\r\\n\"}");
        cf = put(f->s, &o);
        mk(&o, "fts", "000020-2025", "ocds-h6vhtk-000020", "Herts CC", "Placements", DL, NULL);
        fts = put(f->s, &o);
        assert_int_equal(linked_to(f->s, cf, NULL, NULL), 0);   /* no citation of it yet */
        mk(&o, "fts", "000021-2025", "ocds-h6vhtk-000020", "Herts CC", "Placements", DL, NULL);
        o.stage = STAGE_AWARD;
        o.status = STATUS_COMPLETE;
        o.updated = T0 + 60;
        put(f->s, &o);
        assert_int_equal(linked_to(f->s, cf, NULL, NULL), fts);
}

/* A text link is kept when a later release changes the title; an id
 * citation of another record replaces it; an id link stays. */
static void
t_later_releases(void **state)
{
        struct fx *f = *state;
        struct opportunity o;
        char rule[32] = "";
        int64_t cf, x, y;

        mk(&o, "cf", CF_GUID, "ocds-b5fd17-8e9e80b5", "Leeds City Council", "Road gritting",
           DL, NULL);
        cf = put(f->s, &o);
        mk(&o, "fts", "000030-2025", "ocds-h6vhtk-000030", "Leeds City Council",
           "Road Gritting", DL, NULL);
        x = put(f->s, &o);
        assert_int_equal(linked_to(f->s, cf, NULL, NULL), x);

        mk(&o, "fts", "000030-2025", "ocds-h6vhtk-000030", "Leeds City Council",
           "Road gritting and snow clearance", DL + 86400 * 7, NULL);
        o.updated = T0 + 3600;
        x = put(f->s, &o);
        assert_int_equal(linked_to(f->s, cf, rule, NULL), x);
        assert_string_equal(rule, LINK_RULE_TEXT);

        mk(&o, "fts", "000031-2025", "ocds-h6vhtk-000031", "Leeds", "Gritting", DL,
           "{\"u\":\"https://www.contractsfinder.service.gov.uk/Notice/" CF_GUID "\"}");
        y = put(f->s, &o);
        assert_int_equal(linked_to(f->s, cf, rule, NULL), y);
        assert_string_equal(rule, LINK_RULE_IDS);
        assert_int_equal(linked_to(f->s, x, NULL, NULL), 0);

        /* x changes back to agreeing with cf: the id link stays */
        mk(&o, "fts", "000030-2025", "ocds-h6vhtk-000030", "Leeds City Council",
           "Road gritting", DL, NULL);
        o.updated = T0 + 7200;
        put(f->s, &o);
        assert_int_equal(linked_to(f->s, cf, NULL, NULL), y);
        assert_int_equal(linked_to(f->s, x, NULL, NULL), 0);
}

/* Ocids cite too: a Contracts Finder notice naming a Find a Tender ocid, a
 * Find a Tender notice naming a Contracts Finder ocid; a notice that says it
 * is cancelled is never linked. */
static void
t_ids_ocids(void **state)
{
        struct fx *f = *state;
        struct opportunity o;
        char rule[32] = "";
        int64_t cf, fts, a;

        mk(&o, "cf", "66666666-6666-6666-6666-666666666666", "ocds-b5fd17-u", "A", "One", DL,
           "{\"relatedProcesses\":[{\"identifier\":\"OCDS-H6VHTK-0000AA\"}]}");
        cf = put(f->s, &o);
        mk(&o, "fts", "000040-2025", "ocds-h6vhtk-0000aa", "B", "Two", DL, NULL);
        fts = put(f->s, &o);
        assert_int_equal(linked_to(f->s, cf, rule, NULL), fts);
        assert_string_equal(rule, LINK_RULE_IDS);

        mk(&o, "fts", "000041-2025", "ocds-h6vhtk-0000ab", "C", "Three", DL,
           "{\"x\":\"ocds-b5fd17-77777777-7777-7777-7777-777777777777\"}");
        fts = put(f->s, &o);
        mk(&o, "cf", "88888888-8888-8888-8888-888888888888",
           "ocds-b5fd17-77777777-7777-7777-7777-777777777777", "D", "Four", DL, NULL);
        cf = put(f->s, &o);
        assert_int_equal(linked_to(f->s, fts, NULL, NULL), cf);

        /* a cancellation notice agreeing with an unlinked tender: not linked */
        mk(&o, "cf", "99999999-9999-9999-9999-999999999999", "ocds-b5fd17-t", "Leeds",
           "Snow clearance", DL, NULL);
        a = put(f->s, &o);
        mk(&o, "fts", "000042-2025", "ocds-h6vhtk-0000ac", "Leeds", "Snow clearance", DL, NULL);
        o.status = STATUS_CANCELLED;
        put(f->s, &o);
        assert_int_equal(linked_to(f->s, a, NULL, NULL), 0);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        const struct CMUnitTest tests[] = {
                T(t_text_rule),
                T(t_ids_fts_cites_cf),
                T(t_ids_cf_cites_award),
                T(t_later_releases),
                T(t_ids_ocids),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
