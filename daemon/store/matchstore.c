/* matchstore.c — stored matches and the matching pass (see matchstore.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidbroker/consortlots.h"
#include "bidbroker/consortmatch.h"
#include "bidbroker/consortstore.h"
#include "bidbroker/engine.h"
#include "bidbroker/err.h"
#include "bidbroker/filter.h"
#include "bidbroker/lots.h"
#include "bidbroker/json.h"
#include "bidbroker/matchstore.h"
#include "bidbroker/members.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/hash.h"
#include "bidbroker/links.h"
#include "bidbroker/store.h"
#include "bidbroker/util.h"

#include "consortstore_int.h"
#include "db.h"

/* ---- content hash ------------------------------------------------------------ */

void
match_content_hash(const struct opportunity *o, char out[HASH_HEX_LEN])
{
        struct hasher h;

        hasher_init(&h, "bidbroker/match-content/v1");
        hasher_str(&h, o->title);
        hasher_str(&h, o->description);
        hasher_str(&h, o->buyer_name);
        hasher_strv(&h, &o->lot_titles);
        hasher_strv(&h, &o->item_descriptions);
        hasher_strv(&h, &o->cpv);
        hasher_strv(&h, &o->regions);
        hasher_int(&h, o->anywhere);
        hasher_strv(&h, &o->postcodes);
        hasher_int(&h, o->value_stated);
        hasher_int(&h, o->value_max);
        hasher_int(&h, o->value_min);
        hasher_str(&h, o->currency);
        hasher_int(&h, o->suitable_sme);
        hasher_int(&h, o->suitable_vcse);
        hasher_hex(&h, out);
}

/* ---- reasons as JSON ------------------------------------------------------------ */

json_t *
reasons_to_json(const struct reason *r, size_t n)
{
        json_t *a = json_array();

        for (size_t i = 0; i < n; i++) {
                json_t *o = json_object();

                json_object_set_new(o, "kind", json_string(reason_kind_name(r[i].kind)));
                json_object_set_new(o, "capability", json_str_or_null(r[i].capability));
                json_object_set_new(o, "rule", json_str_or_null(r[i].rule));
                json_object_set_new(o, "field", json_str_or_null(r[i].field));
                json_object_set_new(o, "matched", json_str_or_null(r[i].matched));
                json_object_set_new(o, "weight", json_real(r[i].weight));
                json_array_append_new(a, o);
        }
        return a;
}

/* ---- statements -------------------------------------------------------------------- */

static const char *const sql[ST__N] = {
        [ST_MATCH_RUN_GET] = "SELECT content_hash, fingerprint, eligible FROM match_run"
                             " WHERE opportunity_id = ?1",
        [ST_MATCH_RUN_PUT] = "INSERT INTO match_run (opportunity_id, content_hash, fingerprint,"
                             " eligible, matched_at) VALUES (?1, ?2, ?3, ?4, ?5)"
                             " ON CONFLICT (opportunity_id) DO UPDATE SET"
                             " content_hash = excluded.content_hash,"
                             " fingerprint = excluded.fingerprint, eligible = excluded.eligible,"
                             " matched_at = excluded.matched_at",
        [ST_MATCH_ROWS] = "SELECT member_id, score, reasons, content_hash, fingerprint, status"
                          " FROM match WHERE opportunity_id = ?1 AND kind = 'single'",
        [ST_MATCH_INSERT] = "INSERT INTO match (opportunity_id, member_id, kind, score, reasons,"
                            " content_hash, fingerprint, status, withdrawn_reason, first_matched,"
                            " updated) VALUES (?1, ?2, 'single', ?3, ?4, ?5, ?6, 'active', NULL,"
                            /* a match the member had on the duplicate of this
                             * tender (the other source's record, matched
                             * before the two were linked) keeps its date */
                            " coalesce((SELECT min(m.first_matched) FROM link l JOIN match m"
                            "  ON m.opportunity_id = l.opportunity_id"
                            "  WHERE l.canonical_id = ?1 AND m.member_id = ?2), ?7), ?7)",
        [ST_MATCH_UPDATE] = "UPDATE match SET"
                            " updated = CASE WHEN score IS NOT ?3 OR reasons IS NOT ?4"
                            "  OR status IS NOT 'active' THEN ?7 ELSE updated END,"
                            " score = ?3, reasons = ?4, content_hash = ?5, fingerprint = ?6,"
                            " status = 'active', withdrawn_reason = NULL"
                            " WHERE opportunity_id = ?1 AND member_id = ?2 AND kind = 'single'",
        [ST_MATCH_WITHDRAW] = "UPDATE match SET status = 'withdrawn', withdrawn_reason = ?3,"
                              " updated = ?4 WHERE opportunity_id = ?1 AND member_id = ?2"
                              " AND kind = 'single' AND status = 'active'",
};

struct run {
        struct store            *st;
        const struct engine     *e;
        struct engine_scratch   *scratch;
        const char              *fingerprint;
        const struct filter     *f;
        int64_t                  now;
        struct match_counts     *c;
        struct err              *err;
        struct verdict          *v;             /* what the walk decided, to write */
        size_t                   nv;
        const struct consort_opts *co;          /* NULL: no consortium suggestions */
        char                     cfp[HASH_HEX_LEN];     /* consort_fingerprint */
        /* fairness, per member of the register (by index) */
        const struct member_register *reg;
        double                  *proposed;      /* times proposed first */
        long                    *open;          /* open suggestions proposed first in */
        bool                    *bumped;        /* proposed count changed: to write */
        struct strv              first;         /* the notice's old first set */
};

static long
reg_index(const struct run *r, const char *id)
{
        const struct member *m = members_find(r->reg, id);

        return m ? (long)(m - r->reg->members) : -1;
}

static void
load_get(void *arg, const struct member *m, double *proposed, long *open)
{
        const struct run *r = arg;
        long i = reg_index(r, m->id);

        *proposed = i >= 0 ? r->proposed[i] : 0;
        *open = i >= 0 ? r->open[i] : 0;
}

/* consortstore_first: the old first set leaves the open counts */
static void
old_first(const char *member, bool single, void *arg)
{
        struct run *r = arg;
        long i = reg_index(r, member);

        strv_add(&r->first, member);
        if (i >= 0 && !single && r->open[i] > 0)
                r->open[i]--;
}

/* The statement of slot id, ready for binding into *b. */
static int
start(struct run *r, enum stmt_id id, struct binder *b, const char *op)
{
        int rc = db_stmt(r->st, id, sql[id], &b->st, r->err, op);

        b->rc = SQLITE_OK;
        return rc;
}

struct old_row {
        char   *member;
        double  score;
        char   *reasons;
        char   *hash, *fp;
        bool    active;
        bool    seen;
};

static int
load_rows(struct run *r, int64_t opp, struct old_row **ret, size_t *n)
{
        static const char op[] = "read matches";
        struct old_row *rows = NULL;
        struct binder b;
        int rc;

        *n = 0;
        *ret = NULL;
        if ((rc = start(r, ST_MATCH_ROWS, &b, op)) < 0)
                return rc;
        bind_int(&b, 1, opp);
        if ((rc = db_bound(r->st, &b, r->err, op)) < 0)
                return rc;
        while ((rc = sqlite3_step(b.st)) == SQLITE_ROW) {
                struct old_row *o;

                rows = xreallocarray(rows, *n + 1, sizeof(*rows));
                o = &rows[(*n)++];
                o->member = col_str(b.st, 0);
                o->score = sqlite3_column_double(b.st, 1);
                o->reasons = col_str(b.st, 2);
                o->hash = col_str(b.st, 3);
                o->fp = col_str(b.st, 4);
                o->active = col_is(b.st, 5, "active");
                o->seen = false;
        }
        db_reset(b.st);
        *ret = rows;
        return rc == SQLITE_DONE ? 0 : db_err(r->st, rc, r->err, op);
}

static void
free_rows(struct old_row *rows, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(rows[i].member);
                free(rows[i].reasons);
                free(rows[i].hash);
                free(rows[i].fp);
        }
        free(rows);
}

static int
withdraw(struct run *r, int64_t opp, const char *member, const char *why)
{
        static const char op[] = "withdraw a match";
        struct binder b;
        int rc;

        if ((rc = start(r, ST_MATCH_WITHDRAW, &b, op)) < 0)
                return rc;
        bind_int(&b, 1, opp);
        bind_str(&b, 2, member);
        bind_str(&b, 3, why);
        bind_int(&b, 4, r->now);
        return db_run(r->st, &b, r->err, op);
}

/* Insert or update the row of one member's match; counts what changed. */
static int
put_match(struct run *r, int64_t opp, const char *hash, const struct member_match *mm,
          struct old_row *rows, size_t nrows)
{
        static const char op[] = "store a match";
        json_t *js = reasons_to_json(mm->reasons, mm->nreasons);
        char *reasons = json_dumps(js, JSON_DUMP_FLAGS);
        struct old_row *old = NULL;
        struct binder b;
        int rc;

        json_decref(js);
        for (size_t j = 0; j < nrows; j++)
                if (strcmp(rows[j].member, mm->member->id) == 0)
                        old = &rows[j];
        if (old == NULL) {
                r->c->added++;
        } else {
                old->seen = true;
                if (!old->active)
                        r->c->added++;
                else if (old->score != mm->score ||
                         strcmp(old->reasons ? old->reasons : "", reasons) != 0)
                        r->c->changed++;
                else
                        r->c->unchanged++;
        }
        rc = start(r, old == NULL ? ST_MATCH_INSERT : ST_MATCH_UPDATE, &b, op);
        if (rc == 0) {
                bind_int(&b, 1, opp);
                bind_str(&b, 2, mm->member->id);
                bind_double(&b, 3, mm->score);
                bind_str(&b, 4, reasons);
                bind_str(&b, 5, hash);
                bind_str(&b, 6, r->fingerprint);
                bind_int(&b, 7, r->now);
                rc = db_run(r->st, &b, r->err, op);
        }
        free(reasons);
        return rc;
}

static bool
in_result(const struct match_result *res, const struct member *m)
{
        for (size_t i = 0; i < res->nmatches; i++)
                if (res->matches[i].member == m)
                        return true;
        return false;
}

/* A member who matches a lot but not the whole notice (its value band fits
 * the lot's value, not the notice's): matched with its best lot's match,
 * once (consortlots.h). */
static int
put_lot_matches(struct run *r, int64_t opp, const char *hash, const struct match_result *res,
                const struct lots_suggestion *ls, struct old_row *rows, size_t nrows)
{
        int rc = 0;

        for (size_t i = 0; rc == 0 && i < ls->n; i++)
                for (size_t k = 0; rc == 0 && k < ls->v[i].res.nmatches; k++) {
                        const struct member_match *best = &ls->v[i].res.matches[k];
                        bool earlier = false;

                        if (in_result(res, best->member))
                                continue;
                        for (size_t j = 0; j < i; j++)
                                earlier = earlier || in_result(&ls->v[j].res, best->member);
                        if (earlier)
                                continue;       /* put with the lot it was first in */
                        for (size_t j = i + 1; j < ls->n; j++)
                                for (size_t q = 0; q < ls->v[j].res.nmatches; q++)
                                        if (ls->v[j].res.matches[q].member == best->member
                                            && ls->v[j].res.matches[q].score > best->score)
                                                best = &ls->v[j].res.matches[q];
                        rc = put_match(r, opp, hash, best, rows, nrows);
                }
        return rc;
}

/* Bring the rows of one evaluated opportunity in line with res (and the
 * lot-only matches of ls). */
static int
sync_rows(struct run *r, int64_t opp, const char *hash, const struct match_result *res,
          const struct lots_suggestion *ls)
{
        struct old_row *rows = NULL;
        size_t nrows = 0;
        int rc;

        rc = load_rows(r, opp, &rows, &nrows);
        for (size_t i = 0; rc == 0 && i < res->nmatches; i++)
                rc = put_match(r, opp, hash, &res->matches[i], rows, nrows);
        if (rc == 0)
                rc = put_lot_matches(r, opp, hash, res, ls, rows, nrows);
        for (size_t j = 0; rc == 0 && j < nrows; j++) {
                if (rows[j].seen || !rows[j].active)
                        continue;
                rc = withdraw(r, opp, rows[j].member, "no longer matches");
                r->c->withdrawn++;
        }
        free_rows(rows, nrows);
        return rc;
}

static int
withdraw_all(struct run *r, int64_t opp, const char *why)
{
        struct old_row *rows = NULL;
        size_t nrows = 0;
        int rc = load_rows(r, opp, &rows, &nrows);

        for (size_t j = 0; rc == 0 && j < nrows; j++) {
                if (!rows[j].active)
                        continue;
                rc = withdraw(r, opp, rows[j].member, why);
                r->c->withdrawn++;
        }
        free_rows(rows, nrows);
        return rc;
}

/* Was o matched before with the same content, engine and filter verdict? */
static int
same_as_last_run(struct run *r, int64_t id, const char *hash, bool eligible, bool *same)
{
        static const char op[] = "read match state";
        struct binder b;
        int rc;

        *same = false;
        if ((rc = start(r, ST_MATCH_RUN_GET, &b, op)) < 0)
                return rc;
        bind_int(&b, 1, id);
        if ((rc = db_bound(r->st, &b, r->err, op)) < 0)
                return rc;
        rc = sqlite3_step(b.st);
        if (rc == SQLITE_ROW)
                *same = col_is(b.st, 0, hash) && col_is(b.st, 1, r->fingerprint) &&
                        sqlite3_column_int(b.st, 2) == eligible;
        db_reset(b.st);
        return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_err(r->st, rc, r->err, op);
}

static int
record_run(struct run *r, int64_t id, const char *hash, bool eligible)
{
        static const char op[] = "record the match run";
        struct binder b;
        int rc;

        if ((rc = start(r, ST_MATCH_RUN_PUT, &b, op)) < 0)
                return rc;
        bind_int(&b, 1, id);
        bind_str(&b, 2, hash);
        bind_str(&b, 3, r->fingerprint);
        bind_int(&b, 4, eligible);
        bind_int(&b, 5, r->now);
        return db_run(r->st, &b, r->err, op);
}

/* What the pass decided for one opportunity that changed since its last run.
 * The walk over the store only reads (store_each's contract); the verdicts
 * are written after it. */
struct verdict {
        int64_t             id;
        char                hash[HASH_HEX_LEN];
        char               *why;                /* owned; NULL: eligible */
        struct match_result res;                /* eligible: what it matches */
        struct lots_suggestion ls;              /* eligible, separable lots: each lot's */
        json_t             *consortia;          /* eligible: the suggestion, or NULL */
};

static void
verdicts_free(struct run *r)
{
        for (size_t i = 0; i < r->nv; i++) {
                free(r->v[i].why);
                match_result_done(&r->v[i].res);
                lots_suggestion_done(&r->v[i].ls);
                json_decref(r->v[i].consortia);
        }
        free(r->v);
        r->v = NULL;
        r->nv = 0;
}

/* Why o is not eligible (written into linkwhy when a link decides), or NULL. */
static int
opp_verdict(struct run *r, const struct opportunity *o, char linkwhy[LINK_WHY_MAX],
            const char **why)
{
        int rc = store_link_verdict(r->st, o->id, linkwhy, r->err);

        /* the other source's record of a tender is matched as that one; a
         * tender its other record closes is closed */
        if (rc < 0)
                return rc;
        *why = rc == LINK_DUPLICATE ? linkwhy : filter_reject_reason(r->f, o, r->now);
        if (rc == LINK_DUPLICATE)
                r->c->duplicates++;
        else if (*why == NULL && rc == LINK_OTHER_CLOSED)
                *why = linkwhy;
        return 0;
}

/* The consortium suggestion of an evaluated notice (consortmatch.h). */
static int
suggest(struct run *r, const struct opportunity *o, struct verdict *v)
{
        struct consort_load load = { load_get, r };
        struct consort_suggestion sg;
        int rc = consort_suggest(&v->res, o, r->co, &load, &sg);
        bool same;
        size_t n;

        if (rc < 0)
                return err_set(r->err, rc, "consortia of opportunity %lld: %s", (long long)o->id,
                               rc == -E2BIG ? "more required capabilities than the search "
                               "takes (64)" : strerror(-rc));
        v->consortia = consort_suggestion_json(&sg);
        /* a notice of separable lots: each lot's own search and the bundle */
        if (v->ls.n > 0)
                lots_consortia_json(v->consortia, o, &v->ls, &sg);
        /* the new first set (2+ members) joins the open counts; a first set
         * other than the old one is a new proposal for each of its members
         * (a single member too: rotation counts every proposal) */
        if (sg.res != NULL && consort_count(sg.res) > 0) {
                const uint32_t *m = consort_set(sg.res, 0, &n);

                same = n == r->first.n;
                for (size_t k = 0; n >= 2 && k < n; k++) {
                        long i = reg_index(r, sg.members[m[k]]->id);

                        same = same && strv_contains(&r->first, sg.members[m[k]]->id);
                        if (i >= 0)
                                r->open[i]++;
                }
                for (size_t k = 0; !same && k < n; k++) {
                        long i = reg_index(r, sg.members[m[k]]->id);

                        if (i >= 0) {
                                r->proposed[i]++;
                                r->bumped[i] = true;
                        }
                }
        }
        consort_suggestion_done(&sg);
        return 0;
}

/* store_each callback: decide, match, and keep the verdict (no writes). */
static int
each_opp(const struct opportunity *o, void *arg)
{
        struct run *r = arg;
        char hash[HASH_HEX_LEN], linkwhy[LINK_WHY_MAX];
        const char *why;
        struct verdict *v;
        bool same;
        int rc;

        if ((rc = opp_verdict(r, o, linkwhy, &why)) < 0)
                return rc;
        r->c->considered++;
        if (why == NULL)
                r->c->eligible++;
        match_content_hash(o, hash);
        if ((rc = same_as_last_run(r, o->id, hash, why == NULL, &same)) < 0)
                return rc;
        /* an eligible notice whose suggestion is missing or from another
         * [consortium] is evaluated again (its matches come out unchanged) */
        if (same && why == NULL && r->co != NULL
            && (rc = consortstore_fresh(r->st, o->id, r->cfp, &same, r->err)) < 0)
                return rc;
        if (same) {
                r->c->skipped++;
                return 0;
        }
        strv_done(&r->first);
        if (r->co != NULL
            && (rc = consortstore_first(r->st, o->id, r->now, old_first, r, r->err)) < 0)
                return rc;
        r->v = xreallocarray(r->v, r->nv + 1, sizeof(*r->v));
        v = &r->v[r->nv++];
        v->id = o->id;
        memcpy(v->hash, hash, sizeof(hash));
        v->why = xstrdup(why);
        v->consortia = NULL;
        match_result_init(&v->res);
        memset(&v->ls, 0, sizeof(v->ls));
        if (why != NULL)
                return 0;
        r->c->evaluated++;
        rc = engine_match(r->e, r->scratch, o, 0, &v->res);
        if (rc < 0)
                return err_set(r->err, rc, "matching opportunity %lld failed: %s",
                               (long long)o->id, strerror(-rc));
        /* a notice of separable lots: each lot matched (and searched) on its
         * own (consortlots.h); nothing for one lot or none */
        if (opp_lots_separable(o)) {
                struct consort_load load = { load_get, r };

                rc = lots_suggest(r->e, r->scratch, o, 0, r->co, r->co ? &load : NULL, &v->ls);
                if (rc < 0)
                        return err_set(r->err, rc, "matching the lots of opportunity %lld: %s",
                                       (long long)o->id, rc == -E2BIG ? "more required "
                                       "capabilities than the search takes (64)" : strerror(-rc));
        }
        return r->co ? suggest(r, o, v) : 0;
}

/* Write the verdicts of the walk: matches, withdrawals and each run's state. */
static int
write_verdicts(struct run *r)
{
        int rc = 0;

        for (size_t i = 0; rc == 0 && i < r->nv; i++) {
                const struct verdict *v = &r->v[i];

                if (v->why != NULL)
                        rc = withdraw_all(r, v->id, v->why);
                else
                        rc = sync_rows(r, v->id, v->hash, &v->res, &v->ls);
                if (rc == 0 && r->co != NULL && v->why != NULL)
                        rc = consortstore_withdraw(r->st, v->id, v->why, r->now, r->err);
                if (rc == 0 && v->consortia != NULL) {
                        rc = consortstore_put(r->st, v->id, v->hash, r->cfp, v->consortia,
                                              r->now, r->err);
                        r->c->consortia++;
                }
                if (rc == 0)
                        rc = record_run(r, v->id, v->hash, v->why == NULL);
        }
        return rc;
}

/* Active matches of duplicates the pass did not look at (with --since, a
 * record linked after it was matched): withdrawn, the canonical record
 * carries them. */
static int
withdraw_duplicates(struct run *r)
{
        static const char op[] = "withdraw matches of duplicates";
        sqlite3_stmt *st = NULL;
        struct { int64_t opp, canonical; char *member; } *w = NULL;
        size_t n = 0;
        int rc;

        rc = sqlite3_prepare_v2(r->st->db, "SELECT m.opportunity_id, l.canonical_id, m.member_id"
                                " FROM link l JOIN match m ON m.opportunity_id = l.opportunity_id"
                                " WHERE m.status = 'active' AND m.kind = 'single'", -1, &st, NULL);
        if (rc != SQLITE_OK)
                return db_err(r->st, rc, r->err, op);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                w = xreallocarray(w, n + 1, sizeof(*w));
                w[n].opp = sqlite3_column_int64(st, 0);
                w[n].canonical = sqlite3_column_int64(st, 1);
                w[n++].member = col_str(st, 2);
        }
        sqlite3_finalize(st);
        rc = rc == SQLITE_DONE ? 0 : db_err(r->st, rc, r->err, op);
        for (size_t i = 0; i < n; i++) {
                char why[64];

                snprintf(why, sizeof(why), "same tender as %lld", (long long)w[i].canonical);
                if (rc == 0 && (rc = withdraw(r, w[i].opp, w[i].member, why)) == 0)
                        r->c->withdrawn++;
                free(w[i].member);
        }
        free(w);
        return rc;
}

int
matchstore_run(struct store *st, const struct engine *e, const char *fingerprint,
               const struct consort_opts *co, const struct filter *f, int64_t now,
               int64_t since, struct match_counts *counts, struct err *err)
{
        struct run r = { .st = st, .e = e, .fingerprint = fingerprint, .f = f,
                         .now = now, .c = counts, .err = err, .co = co };
        struct store_query q;
        int rc;

        memset(counts, 0, sizeof(*counts));
        r.scratch = engine_scratch_new(e);
        strv_init(&r.first);
        if (co != NULL) {
                size_t n;

                consort_fingerprint(fingerprint, co, r.cfp);
                r.reg = engine_members(e);
                n = r.reg->n ? r.reg->n : 1;
                r.proposed = xcalloc(n, sizeof(*r.proposed));
                r.open = xcalloc(n, sizeof(*r.open));
                r.bumped = xcalloc(n, sizeof(*r.bumped));
        }
        store_query_init(&q);
        q.updated_since = since;
        q.skip_raw = true;
        rc = store_begin(st, err);
        if (rc < 0)
                goto out;
        if (co != NULL
            && (rc = consortstore_load(st, r.reg, now, r.proposed, r.open, err)) < 0) {
                store_rollback(st);
                goto out;
        }
        rc = store_each(st, &q, each_opp, &r, err);
        if (rc == 0)
                rc = write_verdicts(&r);
        if (rc == 0)
                rc = withdraw_duplicates(&r);
        if (rc == 0 && co != NULL)
                rc = consortstore_withdraw_duplicates(st, now, err);
        for (size_t i = 0; rc == 0 && co != NULL && i < r.reg->n; i++)
                if (r.bumped[i])
                        rc = consortstore_proposed(st, r.reg->members[i].id, r.proposed[i], now,
                                                   err);
        if (rc == 0)
                rc = store_commit(st, err);
        else
                store_rollback(st);
out:
        verdicts_free(&r);
        engine_scratch_free(r.scratch);
        strv_done(&r.first);
        free(r.proposed);
        free(r.open);
        free(r.bumped);
        return rc < 0 ? rc : 0;
}

int
matchstore_each(struct store *st, const char *member, bool all, matchstore_each_fn fn,
                void *arg, struct err *err)
{
        static const char op[] = "list matches";
        static const char sql_each[] =
                "SELECT opportunity_id, member_id, kind, score, reasons, content_hash,"
                " fingerprint, status, withdrawn_reason, first_matched, updated FROM match"
                " WHERE (?1 IS NULL OR member_id = ?1) AND (?2 OR status = 'active')"
                " ORDER BY member_id, score DESC, opportunity_id";
        sqlite3_stmt *s = NULL;
        struct binder b;
        int64_t tables = 0;
        int rc, r;

        r = db_query_int(st, "SELECT count(*) FROM sqlite_schema"
                         " WHERE type = 'table' AND name = 'match'", &tables, err, op);
        if (r < 0)
                return r;
        if (tables == 0)
                return err_set(err, -ENOENT, "no matches are stored yet (run bidbroker match)");
        rc = sqlite3_prepare_v2(st->db, sql_each, -1, &s, NULL);
        if (rc != SQLITE_OK)
                return db_err(st, rc, err, op);
        b = binder_of(s);
        bind_str(&b, 1, member);
        bind_int(&b, 2, all);
        if ((r = db_bound(st, &b, err, op)) < 0)
                goto out;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
                struct stored_match m = {
                        .opportunity_id = sqlite3_column_int64(s, 0),
                        .member = (const char *)sqlite3_column_text(s, 1),
                        .kind = (const char *)sqlite3_column_text(s, 2),
                        .score = sqlite3_column_double(s, 3),
                        .reasons = (const char *)sqlite3_column_text(s, 4),
                        .content_hash = (const char *)sqlite3_column_text(s, 5),
                        .fingerprint = (const char *)sqlite3_column_text(s, 6),
                        .status = (const char *)sqlite3_column_text(s, 7),
                        .withdrawn_reason = (const char *)sqlite3_column_text(s, 8),
                        .first_matched = sqlite3_column_int64(s, 9),
                        .updated = sqlite3_column_int64(s, 10),
                };

                r = fn(&m, arg);
                if (r != 0)
                        break;
        }
        if (r == 0 && rc != SQLITE_DONE)
                r = db_err(st, rc, err, op);
out:
        sqlite3_finalize(s);
        return r;
}
