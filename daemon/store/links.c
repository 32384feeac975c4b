/*
 * links.c — the same tender on Contracts Finder and Find a Tender (see
 * include/bidbroker/links.h and docs/store.md "Links").
 *
 * Three tables (migration 4): link_key holds what the text rule compares
 * (folded title and buyer, deadline) for every tender-stage cf/fts row;
 * link_ref the ids of the other source a row cites; link one row per pair,
 * keyed by the duplicate (the Find a Tender record) with the canonical one
 * (the Contracts Finder record).  links_note() runs inside store_put()'s
 * savepoint for every new or changed notice, so a link is made whichever of
 * the two arrives first, and the end state does not depend on the order.
 * Never logs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidbroker/err.h"
#include "bidbroker/links.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/store.h"
#include "bidbroker/textnorm.h"
#include "bidbroker/util.h"

#include "db.h"
#include "links_int.h"

#define TEXT_WINDOW     3600    /* deadlines within an hour: the text rule */
#define IDS_WINDOW      86400   /* within a day (or unknown): the id rule */
#define MAX_REFS        32      /* ids of the other source kept per notice */

#define CF_OCID_PREFIX  "ocds-b5fd17-"
#define FTS_OCID_PREFIX "ocds-h6vhtk-"

static const char *const sql[ST__N] = {
        [ST_LINK_KEY_PUT] =
                "INSERT OR REPLACE INTO link_key (opportunity_id, source, notice_id,"
                " title_key, buyer_key, deadline) VALUES (?1, ?2,"
                " (SELECT notice_id FROM opportunity WHERE id = ?1), ?3, ?4, ?5)",
        [ST_LINK_KEY_DEL] = "DELETE FROM link_key WHERE opportunity_id = ?1",
        [ST_LINK_KEY_GET] =
                "SELECT source, title_key, buyer_key, deadline FROM link_key"
                " WHERE opportunity_id = ?1",
        [ST_LINK_REF_DEL] = "DELETE FROM link_ref WHERE opportunity_id = ?1",
        [ST_LINK_REF_PUT] =
                "INSERT OR IGNORE INTO link_ref (opportunity_id, source, kind, ref)"
                " VALUES (?1, ?2, ?3, ?4)",
        [ST_LINK_OF] =
                "SELECT opportunity_id, canonical_id, rule FROM link"
                " WHERE opportunity_id = ?1 OR canonical_id = ?1",
        /* the tender-stage rows that row ?1 cites: by notice id or alias (a
         * Find a Tender award or amendment cited: the tender of its ocid),
         * or by ocid */
        [ST_LINK_OUT] =
                "WITH hit(id) AS ("
                " SELECT o.id FROM link_ref r JOIN opportunity o"
                "  ON o.source = r.source AND o.notice_id = r.ref"
                "  WHERE r.opportunity_id = ?1 AND r.kind = 'notice'"
                " UNION SELECT a.opportunity_id FROM link_ref r JOIN notice_alias a"
                "  ON a.source = r.source AND a.notice_id = r.ref"
                "  WHERE r.opportunity_id = ?1 AND r.kind = 'notice'),"
                " ocids(source, ocid) AS ("
                " SELECT o.source, o.ocid FROM hit JOIN opportunity o ON o.id = hit.id"
                "  WHERE o.source = 'fts' AND o.ocid IS NOT NULL"
                " UNION SELECT r.source, r.ref FROM link_ref r"
                "  WHERE r.opportunity_id = ?1 AND r.kind = 'ocid')"
                " SELECT o.id, o.source, o.notice_id, o.deadline FROM hit"
                "  JOIN opportunity o ON o.id = hit.id WHERE o.stage = 'tender'"
                " UNION SELECT o.id, o.source, o.notice_id, o.deadline FROM ocids c"
                "  JOIN opportunity o ON o.source = c.source AND o.ocid = c.ocid"
                "  WHERE o.stage = 'tender'",
        /* the tender-stage rows that cite row ?1: its notice id, aliases,
         * ocid, and (Find a Tender: one ocid is one procurement) the notice
         * ids and aliases of the other notices of its ocid.  Run for every
         * put: UNION ALL of plain joins, no temporary b-trees (a duplicate
         * candidate is harmless). */
#define CITER " SELECT o.id, o.source, o.notice_id, o.deadline FROM"
#define CITER_END " JOIN opportunity o ON o.id = r.opportunity_id AND o.stage = 'tender'"
        [ST_LINK_IN] =
                CITER " opportunity me JOIN link_ref r ON r.source = me.source"
                "  AND r.kind = 'notice' AND r.ref = me.notice_id" CITER_END
                "  WHERE me.id = ?1"
                " UNION ALL" CITER " notice_alias a JOIN link_ref r ON r.source = a.source"
                "  AND r.kind = 'notice' AND r.ref = a.notice_id" CITER_END
                "  WHERE a.opportunity_id = ?1"
                " UNION ALL" CITER " opportunity me JOIN link_ref r ON r.source = me.source"
                "  AND r.kind = 'ocid' AND r.ref = me.ocid" CITER_END
                "  WHERE me.id = ?1"
                /* CROSS JOIN: this order (else SQLite scans link_ref) */
                " UNION ALL" CITER " opportunity me CROSS JOIN opportunity p"
                "  ON p.source = me.source AND p.ocid = me.ocid AND p.id <> me.id"
                "  CROSS JOIN link_ref r ON r.source = p.source AND r.kind = 'notice'"
                "  AND r.ref = p.notice_id" CITER_END
                "  WHERE me.id = ?1 AND me.source = 'fts'"
                " UNION ALL" CITER " opportunity me JOIN opportunity p ON p.source = me.source"
                "  AND p.ocid = me.ocid AND p.id <> me.id"
                "  JOIN notice_alias a ON a.opportunity_id = p.id"
                "  JOIN link_ref r ON r.source = a.source AND r.kind = 'notice'"
                "  AND r.ref = a.notice_id" CITER_END
                "  WHERE me.id = ?1 AND me.source = 'fts'",
        [ST_LINK_TEXT] =
                /* link_key holds tender-stage rows only: no need to read
                 * opportunity (random rows of a large table) */
                "SELECT k.opportunity_id, k.source, k.notice_id, k.deadline, k.buyer_key"
                " FROM link_key k"
                " WHERE k.title_key = ?1 AND k.deadline BETWEEN ?2 AND ?3"
                " AND k.source = ?4"
                /* only rows not linked already */
                " AND NOT EXISTS (SELECT 1 FROM link l WHERE l.opportunity_id = k.opportunity_id)"
                " AND NOT EXISTS (SELECT 1 FROM link l WHERE l.canonical_id = k.opportunity_id)",
        [ST_LINK_INSERT] =
                "INSERT INTO link (opportunity_id, canonical_id, rule, linked_at)"
                " VALUES (?1, ?2, ?3, ?4)",
        [ST_LINK_DELETE] = "DELETE FROM link WHERE opportunity_id = ?1 OR canonical_id = ?1",
        [ST_LINK_RULE] =
                "UPDATE link SET rule = ?2 WHERE opportunity_id = ?1 OR canonical_id = ?1",
        [ST_LINK_GET] =
                "SELECT o.id, l.opportunity_id = ?1, l.rule, o.source, o.notice_id"
                " FROM link l JOIN opportunity o ON o.id = CASE WHEN l.opportunity_id = ?1"
                "  THEN l.canonical_id ELSE l.opportunity_id END"
                " WHERE l.opportunity_id = ?1 OR l.canonical_id = ?1",
        [ST_LINK_CITED] =
                "SELECT 1 FROM link_ref WHERE source = ?1 AND kind = 'notice' AND ref = ?2"
                " LIMIT 1",
        [ST_LINK_CLOSED] =
                "SELECT 1 FROM opportunity WHERE id = ?1"
                " AND status IN ('cancelled', 'awarded', 'complete')",
        [ST_LINK_SIBLINGS] =
                "SELECT k.opportunity_id FROM opportunity o"
                " JOIN link_key k ON k.opportunity_id = o.id"
                " WHERE o.source = ?1 AND o.ocid = ?2 AND o.stage = 'tender' ORDER BY o.id",
};

/* The statement of slot id, ready for binding into *b. */
static int
start(struct store *s, enum stmt_id id, struct binder *b, struct err *err, const char *op)
{
        int r = db_stmt(s, id, sql[id], &b->st, err, op);

        b->rc = SQLITE_OK;
        return r;
}

/* Run the query of slot (one parameter: the row id) to its first row: 1
 * with *ret on that row (the caller reads it, then db_reset()s), 0 when
 * there is none, or -errno. */
static int
first_row(struct store *s, enum stmt_id slot, int64_t id, sqlite3_stmt **ret,
          struct err *err, const char *op)
{
        struct binder b;
        int r;

        if ((r = start(s, slot, &b, err, op)) < 0)
                return r;
        bind_int(&b, 1, id);
        if ((r = db_bound(s, &b, err, op)) < 0)
                return r;
        *ret = b.st;
        r = sqlite3_step(b.st);
        if (r == SQLITE_ROW)
                return 1;
        db_reset(b.st);
        return r == SQLITE_DONE ? 0 : db_err(s, r, err, op);
}

/* ---- keys ------------------------------------------------------------------ */

static bool
is_cf(const char *source)
{
        return source != NULL && strcmp(source, "cf") == 0;
}

static bool
is_fts(const char *source)
{
        return source != NULL && strcmp(source, "fts") == 0;
}

/* Only tender-stage notices of the two sources that publish the same
 * tenders are ever linked. */
static bool
linkable(const struct opportunity *o)
{
        return o->stage == STAGE_TENDER && o->status != STATUS_CANCELLED &&
               (is_cf(o->source) || is_fts(o->source));
}

/* Words that say what kind of body a buyer is, not which one. */
static bool
buyer_noise(const char *w, size_t n)
{
        static const char *const noise[] = {
                "the", "ltd", "limited", "plc", "llp", "council", "and",
        };

        for (size_t i = 0; i < ARRAY_SIZE(noise); i++)
                if (strlen(noise[i]) == n && memcmp(noise[i], w, n) == 0)
                        return true;
        return false;
}

/* The buyer's name folded to words (textnorm), noise words dropped. */
static char *
buyer_key(const char *name)
{
        char *w = tn_fold_words(name ? name : "");
        struct buf b;

        buf_init(&b);
        buf_adds(&b, "");
        for (const char *p = w; *p;) {
                size_t n = strcspn(p, " ");

                if (!buyer_noise(p, n)) {
                        if (b.len)
                                buf_addc(&b, ' ');
                        buf_add(&b, p, n);
                }
                p += n;
                while (*p == ' ')
                        p++;
        }
        free(w);
        return buf_steal(&b);
}

bool
words_within(const char *small, const char *big)
{
        for (const char *p = small; *p;) {
                size_t n = strcspn(p, " ");
                bool found = false;

                for (const char *q = big; *q && !found;) {
                        size_t m = strcspn(q, " ");

                        found = m == n && memcmp(p, q, n) == 0;
                        q += m;
                        while (*q == ' ')
                                q++;
                }
                if (!found)
                        return false;
                p += n;
                while (*p == ' ')
                        p++;
        }
        return true;
}

/* Two buyer keys name the same body: equal, or one's words all in the
 * other's ("camden" and "london borough of camden"). */
static bool
buyers_agree(const char *a, const char *b)
{
        if (a[0] == '\0' || b[0] == '\0')
                return false;
        return strcmp(a, b) == 0 || words_within(a, b) || words_within(b, a);
}

static int
put_key(struct store *s, int64_t id, const struct opportunity *o, struct err *err)
{
        static const char op[] = "store link keys";
        char *title = tn_fold_words(o->title ? o->title : "");
        char *buyer = buyer_key(o->buyer_name);
        struct binder b;
        int r;

        if ((r = start(s, ST_LINK_KEY_PUT, &b, err, op)) == 0) {
                bind_int(&b, 1, id);
                bind_str(&b, 2, o->source);
                bind_str(&b, 3, title);
                bind_str(&b, 4, buyer);
                bind_opt(&b, 5, o->deadline);
                r = db_run(s, &b, err, op);
        }
        free(title);
        free(buyer);
        return r;
}

/* ---- cited ids ----------------------------------------------------------------- */

/* text lower-cased (ASCII), with JSON's optional "\/" read as "/" */
static char *
scan_text(const char *s)
{
        char *t = xmalloc(strlen(s) + 1), *q = t;

        for (const char *p = s; *p; p++) {
                if (*p == '\\' && p[1] == '/')
                        continue;
                *q++ = (char)((*p >= 'A' && *p <= 'Z') ? *p - 'A' + 'a' : *p);
        }
        *q = '\0';
        return t;
}

static bool
digits(const char *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (p[i] < '0' || p[i] > '9')
                        return false;
        return true;
}

static bool
hexchar(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* A lower-case GUID at p (36 characters, not followed by more hex). */
static bool
guid_at(const char *p)
{
        for (int i = 0; i < 36; i++) {
                if (i == 8 || i == 13 || i == 18 || i == 23) {
                        if (p[i] != '-')
                                return false;
                } else if (!hexchar(p[i])) {
                        return false;
                }
        }
        return !hexchar(p[36]);
}

struct refs {
        struct strv notice, ocid;       /* of the cited source */
};

static void
add_ref(struct refs *r, struct strv *v, char *ref)
{
        if (r->notice.n + r->ocid.n < MAX_REFS && !strv_contains(v, ref))
                strv_take(v, ref);
        else
                free(ref);
}

/* Find a Tender ids in a Contracts Finder notice: notice page URLs, the
 * "2022/S 000-029179" publication reference (notice 029179-2022), ocids. */
static void
scan_fts(const char *t, struct refs *r)
{
        static const char url[] = "find-tender.service.gov.uk/notice/";
        const char *p;

        for (p = t; (p = strstr(p, url)) != NULL; p++) {
                const char *q = p + sizeof(url) - 1;

                if (digits(q, 6) && q[6] == '-' && digits(q + 7, 4) && !digits(q + 11, 1))
                        add_ref(r, &r->notice, xstrndup(q, 11));
        }
        for (p = t; (p = strstr(p, "/s ")) != NULL; p++) {
                const char *y = p - 4, *q = p + 3;

                if (p - t < 4 || !digits(y, 4) || (y > t && digits(y - 1, 1)) ||
                    !digits(q, 3) || q[3] != '-' || !digits(q + 4, 6) || digits(q + 10, 1))
                        continue;
                add_ref(r, &r->notice, xasprintf("%.6s-%.4s", q + 4, y));
        }
        for (p = t; (p = strstr(p, FTS_OCID_PREFIX)) != NULL; p++) {
                const char *q = p + sizeof(FTS_OCID_PREFIX) - 1;
                size_t n = 0;

                while (hexchar(q[n]) && n < 16)
                        n++;
                if (n >= 6 && !hexchar(q[n]))
                        add_ref(r, &r->ocid, xstrndup(p, (size_t)(q - p) + n));
        }
}

/* Contracts Finder ids in a Find a Tender notice: notice page URLs, ocids. */
static void
scan_cf(const char *t, struct refs *r)
{
        static const char url[] = "contractsfinder.service.gov.uk/notice/";
        const char *p;

        for (p = t; (p = strstr(p, url)) != NULL; p++) {
                const char *q = p + sizeof(url) - 1;

                if (guid_at(q))
                        add_ref(r, &r->notice, xstrndup(q, 36));
        }
        for (p = t; (p = strstr(p, CF_OCID_PREFIX)) != NULL; p++) {
                const char *q = p + sizeof(CF_OCID_PREFIX) - 1;

                if (guid_at(q))
                        add_ref(r, &r->ocid, xstrndup(p, (size_t)(q - p) + 36));
        }
}

static int
put_ref(struct store *s, int64_t id, const char *source, const char *kind, const char *ref,
        struct err *err)
{
        static const char op[] = "store cited ids";
        struct binder b;
        int r;

        if ((r = start(s, ST_LINK_REF_PUT, &b, err, op)) < 0)
                return r;
        bind_int(&b, 1, id);
        bind_str(&b, 2, source);
        bind_str(&b, 3, kind);
        bind_str(&b, 4, ref);
        return db_run(s, &b, err, op);
}

static int
del_by_id(struct store *s, enum stmt_id slot, int64_t id, struct err *err, const char *op)
{
        struct binder b;
        int r;

        if ((r = start(s, slot, &b, err, op)) < 0)
                return r;
        bind_int(&b, 1, id);
        return db_run(s, &b, err, op);
}

/* Replace the ids of the other source that row id (notice o) cites; how
 * many, or -errno. */
static int
put_refs(struct store *s, int64_t id, const struct opportunity *o, struct err *err)
{
        const char *cited = is_cf(o->source) ? "fts" : "cf";
        struct refs refs;
        char *t;
        int r;

        if ((r = del_by_id(s, ST_LINK_REF_DEL, id, err, "store cited ids")) < 0)
                return r;
        strv_init(&refs.notice);
        strv_init(&refs.ocid);
        t = scan_text(o->raw ? o->raw : o->description ? o->description : "");
        if (is_cf(o->source))
                scan_fts(t, &refs);
        else
                scan_cf(t, &refs);
        free(t);
        for (size_t i = 0; r == 0 && i < refs.notice.n; i++)
                r = put_ref(s, id, cited, "notice", refs.notice.v[i], err);
        for (size_t i = 0; r == 0 && i < refs.ocid.n; i++)
                r = put_ref(s, id, cited, "ocid", refs.ocid.v[i], err);
        if (r == 0)
                r = (int)(refs.notice.n + refs.ocid.n);
        strv_done(&refs.notice);
        strv_done(&refs.ocid);
        return r;
}

/* ---- links ------------------------------------------------------------------ */

struct pair {
        int64_t dup, canonical;         /* 0: no link */
        bool    ids;                    /* made by the id rule */
};

static int
link_of(struct store *s, int64_t id, struct pair *p, struct err *err)
{
        sqlite3_stmt *st;
        int r;

        memset(p, 0, sizeof(*p));
        if ((r = first_row(s, ST_LINK_OF, id, &st, err, "read links")) <= 0)
                return r;
        p->dup = sqlite3_column_int64(st, 0);
        p->canonical = sqlite3_column_int64(st, 1);
        p->ids = col_is(st, 2, LINK_RULE_IDS);
        db_reset(st);
        return 0;
}

static int64_t
other_of(const struct pair *p, int64_t id)
{
        return p->dup == 0 ? 0 : p->dup == id ? p->canonical : p->dup;
}

int
store_link_verdict(struct store *s, int64_t id, char why[LINK_WHY_MAX], struct err *err)
{
        sqlite3_stmt *st;
        struct pair p;
        int r;

        why[0] = '\0';
        if ((r = link_of(s, id, &p, err)) < 0 || p.dup == 0)
                return r;
        if (p.dup == id) {
                snprintf(why, LINK_WHY_MAX, "same tender as %lld", (long long)p.canonical);
                return LINK_DUPLICATE;
        }
        if ((r = first_row(s, ST_LINK_CLOSED, p.dup, &st, err, "read links")) <= 0)
                return r;
        db_reset(st);
        snprintf(why, LINK_WHY_MAX, "closed on the other source (%lld)", (long long)p.dup);
        return LINK_OTHER_CLOSED;
}

struct key {
        char    *source, *title, *buyer;
        int64_t  deadline;
};

static void
key_done(struct key *k)
{
        free(k->source);
        free(k->title);
        free(k->buyer);
        memset(k, 0, sizeof(*k));
}

/* 1 with *k filled, 0 when row id has no key. */
static int
load_key(struct store *s, int64_t id, struct key *k, struct err *err)
{
        sqlite3_stmt *st;
        int r;

        memset(k, 0, sizeof(*k));
        if ((r = first_row(s, ST_LINK_KEY_GET, id, &st, err, "read link keys")) <= 0)
                return r;
        k->source = col_str(st, 0);
        k->title = col_str(st, 1);
        k->buyer = col_str(st, 2);
        k->deadline = col_opt(st, 3);
        db_reset(st);
        return 1;
}

struct cand {
        int64_t  id, deadline;
        char    *source, *notice_id, *buyer;
};

struct cands {
        struct cand *v;
        size_t       n;
};

static void
cands_done(struct cands *c)
{
        for (size_t i = 0; i < c->n; i++) {
                free(c->v[i].source);
                free(c->v[i].notice_id);
                free(c->v[i].buyer);
        }
        free(c->v);
        memset(c, 0, sizeof(*c));
}

/* Run a bound candidate query (id, source, notice_id, deadline[, buyer_key])
 * and append its rows to *c. */
static int
gather(struct store *s, struct binder *b, struct cands *c, struct err *err, const char *op)
{
        int r;

        if ((r = db_bound(s, b, err, op)) < 0)
                return r;
        while ((r = sqlite3_step(b->st)) == SQLITE_ROW) {
                struct cand *x;

                c->v = xreallocarray(c->v, c->n + 1, sizeof(*c->v));
                x = &c->v[c->n++];
                x->id = sqlite3_column_int64(b->st, 0);
                x->source = col_str(b->st, 1);
                x->notice_id = col_str(b->st, 2);
                x->deadline = col_opt(b->st, 3);
                x->buyer = sqlite3_column_count(b->st) > 4 ? col_str(b->st, 4) : NULL;
        }
        db_reset(b->st);
        return r == SQLITE_DONE ? 0 : db_err(s, r, err, op);
}

static int
gather_ids(struct store *s, int64_t id, bool cites, struct cands *c, struct err *err)
{
        static const char op[] = "find cited notices";
        enum stmt_id slots[] = { ST_LINK_OUT, ST_LINK_IN };
        int r = 0;

        /* ST_LINK_OUT only for a notice that cites something: most do not */
        for (size_t i = cites ? 0 : 1; r == 0 && i < ARRAY_SIZE(slots); i++) {
                struct binder b;

                if ((r = start(s, slots[i], &b, err, op)) < 0)
                        break;
                bind_int(&b, 1, id);
                r = gather(s, &b, c, err, op);
        }
        return r;
}

static int
gather_text(struct store *s, const struct key *k, struct cands *c, struct err *err)
{
        static const char op[] = "find the same tender";
        struct binder b;
        int r;

        if ((r = start(s, ST_LINK_TEXT, &b, err, op)) < 0)
                return r;
        bind_str(&b, 1, k->title);
        bind_int(&b, 2, k->deadline - TEXT_WINDOW);
        bind_int(&b, 3, k->deadline + TEXT_WINDOW);
        bind_str(&b, 4, is_cf(k->source) ? "fts" : "cf");
        return gather(s, &b, c, err, op);
}

static int64_t
gap(int64_t a, int64_t b)
{
        if (a == TIME_UNKNOWN || b == TIME_UNKNOWN)
                return -1;
        return a > b ? a - b : b - a;
}

/* Is x a better candidate than best (closer deadline, then notice id: an
 * order that does not depend on when the rows arrived)? */
static bool
better(const struct cand *x, int64_t xgap, const struct cand *best, int64_t bgap)
{
        if (best == NULL)
                return true;
        if (xgap != bgap)
                return (uint64_t)xgap < (uint64_t)bgap;    /* unknown (-1) last */
        return strcmp(x->notice_id ? x->notice_id : "",
                      best->notice_id ? best->notice_id : "") < 0;
}

/* The best candidate of c for row id (key k) under a rule, or NULL.
 * ids: any deadline within a day or unknown, the candidate not already
 * linked by ids to another row; text: deadline within the query's hour,
 * buyers agree, the candidate not linked at all. */
static int
choose(struct store *s, int64_t id, const struct key *k, const struct cands *c, bool ids,
       const struct cand **ret, struct err *err)
{
        const struct cand *best = NULL;
        int64_t bgap = 0;

        *ret = NULL;
        for (size_t i = 0; i < c->n; i++) {
                const struct cand *x = &c->v[i];
                int64_t g = gap(k->deadline, x->deadline);
                struct pair p;
                int r;

                if (x->id == id || x->source == NULL || strcmp(x->source, k->source) == 0)
                        continue;
                if (ids ? g > IDS_WINDOW : (g < 0 || g > TEXT_WINDOW ||
                                            !buyers_agree(k->buyer, x->buyer ? x->buyer : "")))
                        continue;
                /* text candidates are unlinked (ST_LINK_TEXT); an id
                 * candidate may be linked, but not by ids to another row */
                if (ids && (r = link_of(s, x->id, &p, err)) < 0)
                        return r;
                if (ids && p.dup != 0 && p.ids && other_of(&p, x->id) != id)
                        continue;
                if (better(x, g, best, bgap)) {
                        best = x;
                        bgap = g;
                }
        }
        *ret = best;
        return 0;
}

static int
set_link(struct store *s, int64_t id, const struct key *k, int64_t other, const char *rule,
         struct err *err)
{
        static const char op[] = "link the same tender";
        struct binder b;
        int r;

        if ((r = start(s, ST_LINK_INSERT, &b, err, op)) < 0)
                return r;
        /* the Contracts Finder record is the canonical one */
        bind_int(&b, 1, is_cf(k->source) ? other : id);
        bind_int(&b, 2, is_cf(k->source) ? id : other);
        bind_str(&b, 3, rule);
        bind_int(&b, 4, db_now(s));
        return db_run(s, &b, err, op);
}

static int
set_rule(struct store *s, int64_t id, const char *rule, struct err *err)
{
        static const char op[] = "link the same tender";
        struct binder b;
        int r;

        if ((r = start(s, ST_LINK_RULE, &b, err, op)) < 0)
                return r;
        bind_int(&b, 1, id);
        bind_str(&b, 2, rule);
        return db_run(s, &b, err, op);
}

/* Link row id (which has a key; cites: it cites ids of the other source)
 * to its counterpart, if any.  An id link is
 * never undone; an id cross-reference replaces a text link; a text link is
 * kept when the notices stop agreeing. */
static int
decide(struct store *s, int64_t id, bool cites, bool *linked, struct err *err)
{
        static const char op[] = "unlink";
        struct cands c = { 0 };
        const struct cand *best = NULL;
        struct pair cur;
        struct key k;
        int64_t other;
        int r;

        if ((r = load_key(s, id, &k, err)) <= 0)
                return r;
        if ((r = link_of(s, id, &cur, err)) < 0 || (cur.dup != 0 && cur.ids))
                goto out;
        other = other_of(&cur, id);
        if ((r = gather_ids(s, id, cites, &c, err)) < 0 ||
            (r = choose(s, id, &k, &c, true, &best, err)) < 0)
                goto out;
        if (best != NULL) {
                if (best->id == other) {
                        r = set_rule(s, id, LINK_RULE_IDS, err);
                        goto out;
                }
                if ((other != 0 && (r = del_by_id(s, ST_LINK_DELETE, id, err, op)) < 0) ||
                    (r = del_by_id(s, ST_LINK_DELETE, best->id, err, op)) < 0 ||
                    (r = set_link(s, id, &k, best->id, LINK_RULE_IDS, err)) < 0)
                        goto out;
                *linked = true;
                goto out;
        }
        if (other != 0 || k.title[0] == '\0' || k.buyer[0] == '\0' ||
            k.deadline == TIME_UNKNOWN)
                goto out;
        cands_done(&c);
        if ((r = gather_text(s, &k, &c, err)) < 0 ||
            (r = choose(s, id, &k, &c, false, &best, err)) < 0)
                goto out;
        if (best != NULL) {
                if ((r = set_link(s, id, &k, best->id, LINK_RULE_TEXT, err)) < 0)
                        goto out;
                *linked = true;
        }
out:
        cands_done(&c);
        key_done(&k);
        return r < 0 ? r : 0;
}

/* A Find a Tender notice that is not a tender (an award, a cancellation)
 * but is cited by a Contracts Finder notice: the tenders of its ocid may
 * now be linked by that citation. */
static int
recheck_siblings(struct store *s, const struct opportunity *o, bool *linked, struct err *err)
{
        static const char op[] = "find cited notices";
        int64_t *ids = NULL;
        size_t n = 0;
        struct binder b;
        int r;

        if ((r = start(s, ST_LINK_CITED, &b, err, op)) < 0)
                return r;
        bind_str(&b, 1, o->source);
        bind_str(&b, 2, o->notice_id);
        if ((r = db_bound(s, &b, err, op)) < 0)
                return r;
        r = sqlite3_step(b.st);
        db_reset(b.st);
        if (r == SQLITE_DONE)
                return 0;
        if (r != SQLITE_ROW)
                return db_err(s, r, err, op);
        if ((r = start(s, ST_LINK_SIBLINGS, &b, err, op)) < 0)
                return r;
        bind_str(&b, 1, o->source);
        bind_str(&b, 2, o->ocid);
        if ((r = db_bound(s, &b, err, op)) < 0)
                return r;
        while ((r = sqlite3_step(b.st)) == SQLITE_ROW) {
                ids = xreallocarray(ids, n + 1, sizeof(*ids));
                ids[n++] = sqlite3_column_int64(b.st, 0);
        }
        db_reset(b.st);
        r = r == SQLITE_DONE ? 0 : db_err(s, r, err, op);
        for (size_t i = 0; r == 0 && i < n; i++)
                r = decide(s, ids[i], true, linked, err);
        free(ids);
        return r;
}

int
links_note(struct store *s, int64_t id, const struct opportunity *o, bool *linked,
           struct err *err)
{
        int r;

        *linked = false;
        if (!is_cf(o->source) && !is_fts(o->source))
                return 0;
        if (!linkable(o)) {
                if ((r = del_by_id(s, ST_LINK_KEY_DEL, id, err, "forget link keys")) < 0 ||
                    (r = del_by_id(s, ST_LINK_REF_DEL, id, err, "forget cited ids")) < 0)
                        return r;
                if (is_fts(o->source) && o->ocid != NULL)
                        return recheck_siblings(s, o, linked, err);
                return 0;
        }
        if ((r = put_key(s, id, o, err)) < 0 || (r = put_refs(s, id, o, err)) < 0)
                return r;
        return decide(s, id, r > 0, linked, err);
}

int
links_fill(struct store *s, struct err *err)
{
        static const char op[] = "link the stored notices";
        sqlite3_stmt *st = NULL;
        int64_t *ids = NULL;
        size_t n = 0;
        int r, rc;

        rc = sqlite3_prepare_v2(s->db, "SELECT id FROM opportunity"
                                " WHERE source IN ('cf', 'fts') AND stage = 'tender'"
                                " ORDER BY id", -1, &st, NULL);
        if (rc != SQLITE_OK)
                return db_err(s, rc, err, op);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                ids = xreallocarray(ids, n + 1, sizeof(*ids));
                ids[n++] = sqlite3_column_int64(st, 0);
        }
        sqlite3_finalize(st);
        r = rc == SQLITE_DONE ? 0 : db_err(s, rc, err, op);
        for (size_t i = 0; r == 0 && i < n; i++) {
                struct opportunity o;
                bool linked = false;

                opportunity_init(&o);
                r = store_get(s, ids[i], &o, err);
                if (r == 0)
                        r = links_note(s, ids[i], &o, &linked, err);
                opportunity_done(&o);
        }
        free(ids);
        return r;
}

/* ---- reading ------------------------------------------------------------------- */

void
store_link_init(struct store_link *l)
{
        memset(l, 0, sizeof(*l));
}

void
store_link_done(struct store_link *l)
{
        free(l->source);
        free(l->notice_id);
        free(l->rule);
        store_link_init(l);
}

int
store_link_get(struct store *s, int64_t id, struct store_link *l, struct err *err)
{
        sqlite3_stmt *st;
        int r;

        store_link_done(l);
        if ((r = first_row(s, ST_LINK_GET, id, &st, err, "read links")) <= 0)
                return r;
        l->id = sqlite3_column_int64(st, 0);
        l->other_is_canonical = sqlite3_column_int(st, 1) != 0;
        l->rule = col_str(st, 2);
        l->source = col_str(st, 3);
        l->notice_id = col_str(st, 4);
        db_reset(st);
        return 1;
}

uint64_t
store_links_made(const struct store *s)
{
        return s->links_made;
}
