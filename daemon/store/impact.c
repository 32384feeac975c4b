/*
 * impact.c — the brokerage's measures (see include/bidbroker/impact.h and
 * docs/impact.md).  Read-only SQL over the store; the scope (a cluster's
 * members, an anchor's notices) is spliced into each query as a predicate
 * with quoted literals (sqlite3_mprintf %Q).  Tables other helpers own
 * (digest_item, feedback, consortium suggestions) are read only when they
 * exist, and a measure says when they do not.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "bidbroker/err.h"
#include "bidbroker/impact.h"
#include "bidbroker/json.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/store.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"

#include "db.h"

/* ---- periods ------------------------------------------------------------------- */

static void
set_period(struct impact_period *p, enum impact_period_kind k, int y, int first_month)
{
        int months = k == PERIOD_MONTH ? 1 : k == PERIOD_QUARTER ? 3 : 12;
        int end_m = first_month + months, end_y = y;

        if (end_m > 12) {
                end_m -= 12;
                end_y++;
        }
        p->kind = k;
        p->from = time_from_uk_local(y, first_month, 1, 0, 0, 0);
        p->to = time_from_uk_local(end_y, end_m, 1, 0, 0, 0);
        if (k == PERIOD_MONTH)
                snprintf(p->label, sizeof(p->label), "%04d-%02d", y, first_month);
        else if (k == PERIOD_QUARTER)
                snprintf(p->label, sizeof(p->label), "%04d-Q%d", y, (first_month - 1) / 3 + 1);
        else
                snprintf(p->label, sizeof(p->label), "%04d", y);
}

static bool
digits(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (s[i] < '0' || s[i] > '9')
                        return false;
        return true;
}

int
impact_period_parse(const char *s, struct impact_period *p)
{
        size_t n = s ? strlen(s) : 0;
        int y;

        if (n < 4 || !digits(s, 4))
                return -EINVAL;
        y = atoi(s);
        if (y < 1990 || y > 2200)
                return -EINVAL;
        if (n == 4) {
                set_period(p, PERIOD_YEAR, y, 1);
                return 0;
        }
        if (n == 7 && s[4] == '-' && (s[5] == 'Q' || s[5] == 'q') && s[6] >= '1' && s[6] <= '4') {
                set_period(p, PERIOD_QUARTER, y, (s[6] - '1') * 3 + 1);
                return 0;
        }
        if (n == 7 && s[4] == '-' && digits(s + 5, 2) && atoi(s + 5) >= 1 && atoi(s + 5) <= 12) {
                set_period(p, PERIOD_MONTH, y, atoi(s + 5));
                return 0;
        }
        return -EINVAL;
}

void
impact_period_quarter_of(int64_t t, struct impact_period *p)
{
        char buf[40];
        int y;

        time_format_utc(t, buf, sizeof(buf));
        y = atoi(buf);
        /* the UK quarter: its first hour may still be the previous UTC year */
        for (int yy = y - 1; yy <= y + 1; yy++)
                for (int q = 0; q < 4; q++) {
                        set_period(p, PERIOD_QUARTER, yy, q * 3 + 1);
                        if (t >= p->from && t < p->to)
                                return;
                }
}

int64_t
impact_target_for(const struct impact_period *p, int64_t year_target)
{
        return p->kind == PERIOD_YEAR ? year_target :
               p->kind == PERIOD_QUARTER ? year_target / 4 : year_target / 12;
}

/* ---- running queries ------------------------------------------------------------- */

struct ctx {
        struct store *s;
        const struct impact_query *q;
        struct err *err;
        char *opp;                      /* predicate on opportunity o */
        char *members;                  /* JSON array of the cluster's ids, or NULL */
};

typedef int (*row_fn)(sqlite3_stmt *st, void *arg);

/* Run sql (sqlite3_free'd here) and call fn per row.  optional: a prepare
 * error (a table or column that is not there) gives 1 instead of failing. */
static int
run(struct ctx *c, char *sql, row_fn fn, void *arg, bool optional)
{
        static const char op[] = "impact measures";
        sqlite3_stmt *st = NULL;
        int rc, r = 0;

        if (sql == NULL)
                return err_set(c->err, -ENOMEM, "impact: out of memory");
        rc = sqlite3_prepare_v2(c->s->db, sql, -1, &st, NULL);
        sqlite3_free(sql);
        if (rc != SQLITE_OK)
                return optional ? 1 : db_err(c->s, rc, c->err, op);
        while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
                r = fn(st, arg);
        if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
                r = db_err(c->s, rc, c->err, op);
        sqlite3_finalize(st);
        return r;
}

static int
get_ints(sqlite3_stmt *st, void *arg)
{
        int64_t **out = arg;

        for (int i = 0; out[i] != NULL; i++)
                *out[i] = sqlite3_column_int64(st, i);
        return 0;
}

/* A member-id column in scope. */
static char *
mem(struct ctx *c, const char *col)
{
        if (c->members == NULL)
                return sqlite3_mprintf("1");
        return sqlite3_mprintf("%s IN (SELECT value FROM json_each(%Q))", col, c->members);
}

static bool
table_exists(struct ctx *c, const char *name)
{
        int64_t n = 0;
        char *q = sqlite3_mprintf("SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                                  " AND name = %Q", name);

        (void)db_query_int(c->s, q, &n, NULL, "impact");
        sqlite3_free(q);
        return n > 0;
}

static bool
digests_composed(struct ctx *c)
{
        int64_t n = 0;

        (void)db_query_int(c->s, "SELECT EXISTS (SELECT 1 FROM digest)", &n, NULL, "impact");
        return n > 0;
}

/* What "brokered" counts: sent once digests go out (tables digest,
 * digest_item and a digest composed); before that, what was matched.  One
 * test for impact_measure, impact_brokered_each and impact_members_each. */
static bool
basis_sent(struct ctx *c)
{
        return table_exists(c, "digest_item") && table_exists(c, "digest") &&
               digests_composed(c);
}

struct rows {
        struct impact_row **v;
        size_t *n;
};

static struct impact_row *
row_add(struct impact_row **v, size_t *n, const char *key)
{
        struct impact_row *r;

        *v = xreallocarray(*v, *n + 1, sizeof(**v));
        r = &(*v)[(*n)++];
        memset(r, 0, sizeof(*r));
        r->key = xstrdup(key ? key : "");
        return r;
}

static struct impact_row *
row_find(struct impact_row **v, size_t *n, const char *key)
{
        for (size_t i = 0; i < *n; i++)
                if (strcmp((*v)[i].key, key) == 0)
                        return &(*v)[i];
        return row_add(v, n, key);
}

/* key, n, value, n2, value2 */
static int
get_row(sqlite3_stmt *st, void *arg)
{
        struct rows *rs = arg;
        struct impact_row *r = row_add(rs->v, rs->n, (const char *)sqlite3_column_text(st, 0));
        int cols = sqlite3_column_count(st);

        r->n = sqlite3_column_int64(st, 1);
        r->value = cols > 2 ? sqlite3_column_int64(st, 2) : 0;
        r->n2 = cols > 3 ? sqlite3_column_int64(st, 3) : 0;
        r->value2 = cols > 4 ? sqlite3_column_int64(st, 4) : 0;
        return 0;
}

#define PERIOD(col) col " >= %lld AND " col " < %lld"
#define NOT_DUP(id) "NOT EXISTS (SELECT 1 FROM link l WHERE l.opportunity_id = " id ")"
/* a match that counts as made: active, or withdrawn because the notice
 * closed (awarded, deadline passed) rather than because rules changed */
#define MATCH_MADE "(m.status = 'active' OR m.withdrawn_reason IS NULL" \
                   " OR m.withdrawn_reason <> 'no longer matches')"

/* ---- opportunities and brokerage ------------------------------------------------ */

static int
opportunities(struct ctx *c, struct impact_measures *m)
{
        const struct impact_query *q = c->q;
        char *mm = mem(c, "m.member_id");
        char *found = c->members ? sqlite3_mprintf("EXISTS (SELECT 1 FROM match m WHERE"
                                                   " m.opportunity_id = o.id AND %s AND "
                                                   MATCH_MADE ")", mm)
                                 : sqlite3_mprintf("1");
        struct rows rs = { &m->by_source, &m->nby_source };
        int r;

        r = run(c, sqlite3_mprintf(
                "SELECT o.source, count(*), 0, sum(o.low), sum(CASE WHEN o.low THEN"
                " o.value_max ELSE 0 END) FROM (SELECT o.source, o.value_max,"
                " (o.value_stated AND o.value_max <= %lld) AS low FROM opportunity o"
                " WHERE o.stage = 'tender' AND " NOT_DUP("o.id")
                " AND " PERIOD("coalesce(o.published, o.first_seen)") " AND %s AND %s) o"
                " GROUP BY o.source ORDER BY o.source",
                (long long)q->low_value_cap, (long long)q->period.from,
                (long long)q->period.to, c->opp, found), get_row, &rs, false);
        for (size_t i = 0; i < m->nby_source; i++) {
                m->by_source[i].value = 0;
                m->found += m->by_source[i].n;
                m->low_value += m->by_source[i].n2;
                m->low_value_value += m->by_source[i].value2;
        }
        sqlite3_free(found);
        if (r == 0) {
                int64_t *out[] = { &m->matched, &m->members_matched, &m->matched_value, NULL };

                r = run(c, sqlite3_mprintf(
                        "WITH mm AS (SELECT m.opportunity_id, m.member_id FROM match m"
                        " JOIN opportunity o ON o.id = m.opportunity_id WHERE " MATCH_MADE
                        " AND " NOT_DUP("o.id") " AND " PERIOD("m.first_matched")
                        " AND %s AND %s)"
                        " SELECT (SELECT count(DISTINCT opportunity_id) FROM mm),"
                        " (SELECT count(DISTINCT member_id) FROM mm),"
                        " (SELECT coalesce(sum(o.value_max), 0) FROM opportunity o WHERE"
                        "  o.value_stated AND o.id IN (SELECT opportunity_id FROM mm))",
                        (long long)q->period.from, (long long)q->period.to, c->opp, mm),
                        get_ints, out, false);
        }
        /* "sent" once digests go out (tables digest, digest_item: migration 12,
         * and a digest composed); before that, what was matched */
        m->have_sent = basis_sent(c);
        if (r == 0 && m->have_sent) {
                char *dm = mem(c, "di.member");
                int64_t *out[] = { &m->sent, &m->members_alerted, &m->sent_value, NULL };

                r = run(c, sqlite3_mprintf(
                        "WITH sd AS (SELECT di.opportunity_id, di.member FROM digest_item di"
                        " JOIN digest d ON d.id = di.digest_id JOIN opportunity o"
                        " ON o.id = di.opportunity_id WHERE " PERIOD("d.created")
                        " AND %s AND %s)"
                        " SELECT (SELECT count(DISTINCT opportunity_id) FROM sd),"
                        " (SELECT count(DISTINCT member) FROM sd),"
                        " (SELECT coalesce(sum(o.value_max), 0) FROM opportunity o WHERE"
                        "  o.value_stated AND o.id IN (SELECT opportunity_id FROM sd))",
                        (long long)q->period.from, (long long)q->period.to, c->opp, dm),
                        get_ints, out, true);
                sqlite3_free(dm);
                if (r == 1) {           /* not the columns agreed: say so, not guess */
                        m->have_sent = false;
                        r = 0;
                }
        }
        sqlite3_free(mm);
        m->basis = m->have_sent ? "sent" : "matched";
        m->brokered = m->have_sent ? m->sent : m->matched;
        m->brokered_value = m->have_sent ? m->sent_value : m->matched_value;
        if (!m->have_sent)
                m->members_alerted = m->members_matched;
        m->target = impact_target_for(&q->period, q->year_target);
        return r;
}

static int
feedback_and_consortia(struct ctx *c, struct impact_measures *m)
{
        const struct impact_query *q = c->q;
        int r = 0;

        m->have_feedback = table_exists(c, "feedback");
        if (m->have_feedback) {
                char *fm = mem(c, "f.member");
                struct rows rs = { &m->feedback, &m->nfeedback };

                r = run(c, sqlite3_mprintf(
                        "SELECT f.action, count(*) FROM feedback f JOIN opportunity o"
                        " ON o.id = f.opportunity_id WHERE " PERIOD("f.at") " AND %s AND %s"
                        " GROUP BY f.action ORDER BY f.action",
                        (long long)q->period.from, (long long)q->period.to, c->opp, fm),
                        get_row, &rs, true);
                sqlite3_free(fm);
                if (r == 1) {
                        m->have_feedback = false;
                        r = 0;
                }
        }
        /* the consortium helper's table: one row per opportunity, verdict
         * 'consortium' when a set of members was suggested (consortium_member) */
        m->have_consortia = table_exists(c, "consortium") &&
                            table_exists(c, "consortium_member");
        if (r == 0 && m->have_consortia) {
                char *cm = mem(c, "cm.member_id");
                int64_t *out[] = { &m->consortium_suggestions, NULL };

                r = run(c, sqlite3_mprintf(
                        "SELECT count(*) FROM consortium cs JOIN opportunity o"
                        " ON o.id = cs.opportunity_id WHERE cs.verdict = 'consortium' AND "
                        PERIOD("coalesce(o.published, o.first_seen)") " AND %s AND EXISTS"
                        " (SELECT 1 FROM consortium_member cm WHERE"
                        " cm.opportunity_id = cs.opportunity_id AND %s)",
                        (long long)q->period.from, (long long)q->period.to, c->opp, cm),
                        get_ints, out, true);
                sqlite3_free(cm);
                if (r == 1) {
                        m->have_consortia = false;
                        r = 0;
                }
        }
        return r;
}

/* ---- awards and wins --------------------------------------------------------------- */

/* The awards that count, one row per award: a Find a Tender award repeated
 * by a later notice of its procurement (UK6 then UK7) once, from the latest;
 * cancelled and unsuccessful ones left out.  Columns: aid, award_id, value,
 * d (award date, else publication), notice, source, ocid, buyer, title. */
#define AWARDS_CTE \
        "aw AS (SELECT a.id AS aid, a.award_id, a.value," \
        " coalesce(a.award_date, a.published, o.published, o.updated) AS d," \
        " o.id AS notice, o.source, o.ocid, coalesce(o.buyer_name, '(buyer not named)')" \
        " AS buyer, coalesce(a.title, o.title) AS title FROM award a" \
        " JOIN opportunity o ON o.id = a.opportunity_id" \
        " WHERE coalesce(a.status, 'active') NOT IN ('cancelled', 'unsuccessful')" \
        " AND NOT (o.source = 'fts' AND a.award_id <> '' AND EXISTS (SELECT 1 FROM award a2" \
        "  JOIN opportunity o2 ON o2.id = a2.opportunity_id WHERE a2.award_id = a.award_id" \
        "  AND o2.source = o.source AND o2.ocid = o.ocid AND (coalesce(o2.updated, 0) >" \
        "  coalesce(o.updated, 0) OR (coalesce(o2.updated, 0) = coalesce(o.updated, 0)" \
        "  AND o2.id > o.id)))) AND %s)"

/* The awards of aw that a member in scope (%s) won. */
#define WON_CTE "won AS (SELECT DISTINCT aw.aid FROM aw JOIN award_supplier s" \
        " ON s.award_row = aw.aid JOIN win w ON w.supplier_id = s.id WHERE %s)"

static char *
awards_cte(struct ctx *c)
{
        char *period = sqlite3_mprintf(PERIOD("coalesce(a.award_date, a.published, o.published,"
                                              " o.updated)") " AND %s",
                                       (long long)c->q->period.from, (long long)c->q->period.to,
                                       c->opp);
        char *cte = sqlite3_mprintf(AWARDS_CTE, period);

        sqlite3_free(period);
        return cte;
}

struct winctx {
        struct ctx *c;
        struct impact_measures *m;
};

static bool
named(const struct impact_query *q, const char *id)
{
        return q->named != NULL && strv_contains(q->named, id);
}

static int
get_win(sqlite3_stmt *st, void *arg)
{
        struct winctx *w = arg;
        struct impact_measures *m = w->m;
        struct impact_win *x;

        m->winlist = xreallocarray(m->winlist, m->nwins + 1, sizeof(*m->winlist));
        x = &m->winlist[m->nwins++];
        memset(x, 0, sizeof(*x));
        x->member_id = col_str(st, 0);
        x->cluster = col_str(st, 1);
        x->supplier = col_str(st, 2);
        x->how = col_str(st, 3);
        x->buyer = col_str(st, 4);
        x->title = col_str(st, 5);
        x->award_id = col_str(st, 6);
        x->value = col_opt(st, 7);
        x->date = col_opt(st, 8);
        x->award_notice = sqlite3_column_int64(st, 9);
        x->tender = sqlite3_column_int64(st, 10);
        x->matched_at = col_opt(st, 11);
        x->sme = sqlite3_column_int64(st, 12) != 0;
        x->vcse = sqlite3_column_int64(st, 13) != 0;
        x->sent_at = TIME_UNKNOWN;
        x->named = named(w->c->q, x->member_id);
        return 0;
}

static int
get_sent_at(sqlite3_stmt *st, void *arg)
{
        int64_t *t = arg;

        *t = col_opt(st, 0);
        return 0;
}

static int
awards(struct ctx *c, struct impact_measures *m)
{
        const struct impact_query *q = c->q;
        char *cte = awards_cte(c);
        char *wm = mem(c, "w.member_id");
        struct winctx wc = { c, m };
        int64_t *tot[] = { &m->awards, &m->awards_value, &m->low_awards, &m->low_awards_value,
                           &m->wins, &m->wins_value, &m->low_wins, &m->low_wins_value, NULL };
        struct rows rs = { &m->buyers, &m->nbuyers };
        int r;

        r = run(c, sqlite3_mprintf(
                "WITH %s, " WON_CTE
                " SELECT count(*), coalesce(sum(value), 0),"
                " sum(value <= %lld), coalesce(sum(CASE WHEN value <= %lld THEN value END), 0),"
                " sum(aid IN won), coalesce(sum(CASE WHEN aid IN won THEN value END), 0),"
                " sum(aid IN won AND value <= %lld),"
                " coalesce(sum(CASE WHEN aid IN won AND value <= %lld THEN value END), 0)"
                " FROM aw", cte, wm, (long long)q->low_value_cap, (long long)q->low_value_cap,
                (long long)q->low_value_cap, (long long)q->low_value_cap), get_ints, tot, false);
        /* each buyer's low-value awards, and the part members won */
        if (r == 0)
                r = run(c, sqlite3_mprintf(
                        "WITH %s, " WON_CTE
                        " SELECT buyer, count(*), sum(value), sum(aid IN won),"
                        " coalesce(sum(CASE WHEN aid IN won THEN value END), 0) FROM aw"
                        " WHERE value <= %lld GROUP BY buyer ORDER BY sum(value) DESC, buyer",
                        cte, wm, (long long)q->low_value_cap), get_row, &rs, false);
        /* the wins, one per award and member */
        if (r == 0)
                r = run(c, sqlite3_mprintf(
                        "WITH %s, t0 AS (SELECT aw.aid, (SELECT min(x.id) FROM opportunity x"
                        "  WHERE x.source = aw.source AND x.ocid = aw.ocid"
                        "  AND x.stage = 'tender') AS first FROM aw),"
                        " t AS (SELECT aid, coalesce((SELECT canonical_id FROM link"
                        "  WHERE opportunity_id = first), first) AS tender FROM t0)"
                        " SELECT w.member_id, w.cluster, min(s.name), min(w.how), aw.buyer,"
                        " aw.title, aw.award_id, aw.value, aw.d, aw.notice,"
                        " coalesce(t.tender, 0),"
                        " (SELECT min(m.first_matched) FROM match m WHERE m.member_id = w.member_id"
                        "  AND (m.opportunity_id = t.tender OR m.opportunity_id IN (SELECT"
                        "  opportunity_id FROM link WHERE canonical_id = t.tender))),"
                        " max(s.scale = 'sme'), max(coalesce(s.vcse, 0))"
                        " FROM aw JOIN t ON t.aid = aw.aid JOIN award_supplier s"
                        " ON s.award_row = aw.aid JOIN win w ON w.supplier_id = s.id WHERE %s"
                        " GROUP BY aw.aid, w.member_id ORDER BY aw.d, w.member_id, aw.aid",
                        cte, wm), get_win, &wc, false);
        sqlite3_free(cte);
        sqlite3_free(wm);
        for (size_t i = 0; r == 0 && i < m->nwins; i++) {
                struct impact_win *x = &m->winlist[i];

                if (x->tender != 0)
                        m->wins_tendered++;
                else
                        m->wins_direct++;
                if (x->matched_at != TIME_UNKNOWN)
                        m->wins_matched++;
                if (m->have_sent && x->tender != 0) {
                        r = run(c, sqlite3_mprintf(
                                "SELECT min(d.created) FROM digest_item di JOIN digest d"
                                " ON d.id = di.digest_id WHERE di.member = %Q AND"
                                " (di.opportunity_id = %lld OR di.opportunity_id IN (SELECT"
                                " opportunity_id FROM link WHERE canonical_id = %lld))",
                                x->member_id, (long long)x->tender, (long long)x->tender),
                                get_sent_at, &x->sent_at, true);
                        if (r == 1)
                                r = 0;
                        if (x->sent_at != TIME_UNKNOWN)
                                m->wins_sent++;
                }
        }
        return r;
}

/* ---- capabilities ------------------------------------------------------------------- */

struct idlist {
        int64_t *id, *value;
        int64_t *won, *sme, *vcse;
        size_t n;
};

static int
get_id(sqlite3_stmt *st, void *arg)
{
        struct idlist *l = arg;
        int cols = sqlite3_column_count(st);

        l->id = xreallocarray(l->id, l->n + 1, sizeof(*l->id));
        l->value = xreallocarray(l->value, l->n + 1, sizeof(*l->value));
        l->won = xreallocarray(l->won, l->n + 1, sizeof(*l->won));
        l->sme = xreallocarray(l->sme, l->n + 1, sizeof(*l->sme));
        l->vcse = xreallocarray(l->vcse, l->n + 1, sizeof(*l->vcse));
        l->id[l->n] = sqlite3_column_int64(st, 0);
        l->value[l->n] = sqlite3_column_int64(st, 1);
        l->won[l->n] = cols > 2 ? sqlite3_column_int64(st, 2) : 0;
        l->sme[l->n] = cols > 3 ? sqlite3_column_int64(st, 3) : 0;
        l->vcse[l->n] = cols > 4 ? sqlite3_column_int64(st, 4) : 0;
        l->n++;
        return 0;
}

static void
idlist_done(struct idlist *l)
{
        free(l->id);
        free(l->value);
        free(l->won);
        free(l->sme);
        free(l->vcse);
}

/* For each id: its capabilities (or "(none)"), each counted once. */
static int
by_capability(struct ctx *c, const struct idlist *l, struct impact_row **v, size_t *n)
{
        int r = 0;

        for (size_t i = 0; r == 0 && i < l->n; i++) {
                struct strv caps;

                strv_init(&caps);
                r = c->q->caps(c->q->caps_arg, l->id[i], &caps);
                if (r == 0 && caps.n == 0)
                        strv_add(&caps, "(none)");
                for (size_t k = 0; r == 0 && k < caps.n; k++) {
                        struct impact_row *row = row_find(v, n, caps.v[k]);

                        row->n++;
                        row->value += l->value[i];
                        if (l->won[i]) {
                                row->n2++;
                                row->value2 += l->value[i];
                        }
                        row->n3 += l->sme[i] != 0;
                        row->n4 += l->vcse[i] != 0;
                }
                strv_done(&caps);
        }
        if (r < 0 && c->err->code == 0)
                err_set(c->err, r, "impact: the capabilities of an opportunity: %s",
                        strerror(-r));
        return r;
}

static int
row_cmp(const void *a, const void *b)
{
        const struct impact_row *x = a, *y = b;

        if (x->n != y->n)
                return x->n > y->n ? -1 : 1;
        return strcmp(x->key, y->key);
}

static int
capabilities(struct ctx *c, struct impact_measures *m)
{
        const struct impact_query *q = c->q;
        struct idlist gaps = { 0 }, aws = { 0 };
        char *cte, *wm;
        int r;

        if (q->caps == NULL)
                return 0;
        /* low-value opportunities of the period that the matching pass found
         * eligible and no member matched */
        r = run(c, sqlite3_mprintf(
                "SELECT o.id, o.value_max FROM opportunity o JOIN match_run mr"
                " ON mr.opportunity_id = o.id WHERE mr.eligible AND o.stage = 'tender'"
                " AND " NOT_DUP("o.id") " AND o.value_stated AND o.value_max <= %lld AND "
                PERIOD("coalesce(o.published, o.first_seen)") " AND %s AND NOT EXISTS"
                " (SELECT 1 FROM match m WHERE m.opportunity_id = o.id AND " MATCH_MADE ")"
                " ORDER BY o.id", (long long)q->low_value_cap, (long long)q->period.from,
                (long long)q->period.to, c->opp), get_id, &gaps, false);
        m->gap_opps = (int64_t)gaps.n;
        if (r == 0)
                r = by_capability(c, &gaps, &m->gaps, &m->ngaps);
        cte = awards_cte(c);
        wm = mem(c, "w.member_id");
        if (r == 0)
                r = run(c, sqlite3_mprintf(
                        "WITH %s SELECT aw.notice, aw.value,"
                        " EXISTS (SELECT 1 FROM award_supplier s JOIN win w"
                        "  ON w.supplier_id = s.id WHERE s.award_row = aw.aid AND %s),"
                        " EXISTS (SELECT 1 FROM award_supplier s WHERE s.award_row = aw.aid"
                        "  AND s.scale = 'sme'),"
                        " EXISTS (SELECT 1 FROM award_supplier s WHERE s.award_row = aw.aid"
                        "  AND s.vcse = 1)"
                        " FROM aw WHERE aw.value <= %lld ORDER BY aw.aid", cte, wm,
                        (long long)q->low_value_cap), get_id, &aws, false);
        sqlite3_free(cte);
        sqlite3_free(wm);
        if (r == 0)
                r = by_capability(c, &aws, &m->award_caps, &m->naward_caps);
        if (m->ngaps > 1)
                qsort(m->gaps, m->ngaps, sizeof(*m->gaps), row_cmp);
        if (m->naward_caps > 1)
                qsort(m->award_caps, m->naward_caps, sizeof(*m->award_caps), row_cmp);
        idlist_done(&gaps);
        idlist_done(&aws);
        return r;
}

/* ---- the whole ---------------------------------------------------------------------- */

/* The scope's predicates into c: opp (on opportunity o) and members. */
static void
ctx_scope(struct ctx *c)
{
        const struct impact_scope *sc = &c->q->scope;

        if (sc->members != NULL) {
                json_t *j = json_strv(sc->members);

                c->members = json_dumps(j, JSON_COMPACT);
                json_decref(j);
        }
        if (sc->anchor_source != NULL)
                c->opp = sqlite3_mprintf("(o.source = %Q OR lower(o.buyer_name) = lower(%Q)"
                                         " OR (%Q IS NOT NULL AND o.buyer_id = %Q))",
                                         sc->anchor_source,
                                         sc->buyer_name ? sc->buyer_name : "",
                                         sc->buyer_id, sc->buyer_id);
        else
                c->opp = sqlite3_mprintf("1");
}

int
impact_measure(struct store *s, const struct impact_query *q, struct impact_measures *out,
               struct err *err)
{
        struct ctx c = { s, q, err, NULL, NULL };
        unsigned parts;
        int r = 0;

        memset(out, 0, sizeof(*out));
        out->basis = "matched";
        ctx_scope(&c);
        parts = q->parts ? q->parts : ~0u;
        if (parts & (IMPACT_OPPORTUNITIES | IMPACT_AWARDS))   /* awards need have_sent */
                r = opportunities(&c, out);
        if (r == 0 && parts & IMPACT_FEEDBACK)
                r = feedback_and_consortia(&c, out);
        if (r == 0 && parts & IMPACT_AWARDS)
                r = awards(&c, out);
        if (r == 0 && parts & IMPACT_CAPABILITIES)
                r = capabilities(&c, out);
        sqlite3_free(c.opp);
        free(c.members);
        if (r < 0)
                impact_measures_done(out);
        return r < 0 ? r : 0;
}

static void
rows_done(struct impact_row *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(v[i].key);
        free(v);
}

void
impact_measures_done(struct impact_measures *m)
{
        rows_done(m->by_source, m->nby_source);
        rows_done(m->feedback, m->nfeedback);
        rows_done(m->buyers, m->nbuyers);
        rows_done(m->gaps, m->ngaps);
        rows_done(m->award_caps, m->naward_caps);
        for (size_t i = 0; i < m->nwins; i++) {
                struct impact_win *x = &m->winlist[i];

                free(x->member_id);
                free(x->cluster);
                free(x->supplier);
                free(x->how);
                free(x->buyer);
                free(x->title);
                free(x->award_id);
        }
        free(m->winlist);
        memset(m, 0, sizeof(*m));
}

/* ---- what was brokered, each (the staff dashboard) ---------------------------------- */

/* "bk(id, member, t)": each brokering in q's period and scope, as
 * opportunities() counts them: a match made, or a digest item when the
 * digest tables exist. */
static char *
brokered_cte(struct ctx *c, bool sent)
{
        const struct impact_query *q = c->q;
        char *mm = mem(c, sent ? "di.member" : "m.member_id");
        char *cte = sent
                ? sqlite3_mprintf("bk AS (SELECT di.opportunity_id AS id, di.member AS member,"
                                  " d.created AS t FROM digest_item di JOIN digest d"
                                  " ON d.id = di.digest_id JOIN opportunity o"
                                  " ON o.id = di.opportunity_id WHERE " PERIOD("d.created")
                                  " AND %s AND %s)", (long long)q->period.from,
                                  (long long)q->period.to, c->opp, mm)
                : sqlite3_mprintf("bk AS (SELECT m.opportunity_id AS id, m.member_id AS member,"
                                  " m.first_matched AS t FROM match m JOIN opportunity o"
                                  " ON o.id = m.opportunity_id WHERE " MATCH_MADE " AND "
                                  NOT_DUP("o.id") " AND " PERIOD("m.first_matched")
                                  " AND %s AND %s)", (long long)q->period.from,
                                  (long long)q->period.to, c->opp, mm);

        sqlite3_free(mm);
        return cte;
}

struct each {
        void *fn, *arg;
};

static int
get_brokered(sqlite3_stmt *st, void *arg)
{
        struct each *e = arg;
        struct impact_brokered b = {
                .id = sqlite3_column_int64(st, 0),
                .title = (const char *)sqlite3_column_text(st, 1),
                .buyer = (const char *)sqlite3_column_text(st, 2),
                .source = (const char *)sqlite3_column_text(st, 3),
                .value = col_opt(st, 4),
                .first = sqlite3_column_int64(st, 5),
                .members = sqlite3_column_int64(st, 6),
                .member_ids = (const char *)sqlite3_column_text(st, 7),
        };

        return ((impact_brokered_fn)e->fn)(&b, e->arg);
}

int
impact_brokered_each(struct store *s, const struct impact_query *q, impact_brokered_fn fn,
                     void *arg, struct err *err)
{
        struct ctx c = { s, q, err, NULL, NULL };
        struct each e = { (void *)fn, arg };
        char *cte;
        int r;

        ctx_scope(&c);
        cte = brokered_cte(&c, basis_sent(&c));
        r = run(&c, sqlite3_mprintf(
                "WITH %s SELECT o.id, o.title, o.buyer_name, o.source,"
                " CASE WHEN o.value_stated THEN o.value_max END, min(bk.t),"
                " count(DISTINCT bk.member), (SELECT group_concat(member, ' ') FROM"
                "  (SELECT DISTINCT b2.member FROM bk b2 WHERE b2.id = o.id ORDER BY 1))"
                " FROM bk JOIN opportunity o ON o.id = bk.id GROUP BY o.id"
                " ORDER BY min(bk.t), o.id", cte), get_brokered, &e, false);
        sqlite3_free(cte);
        sqlite3_free(c.opp);
        free(c.members);
        return r;
}

static int
get_consortium(sqlite3_stmt *st, void *arg)
{
        struct each *e = arg;
        struct impact_consortium c = {
                .id = sqlite3_column_int64(st, 0),
                .title = (const char *)sqlite3_column_text(st, 1),
                .buyer = (const char *)sqlite3_column_text(st, 2),
                .value = col_opt(st, 3),
                .deadline = sqlite3_column_type(st, 4) == SQLITE_NULL ? TIME_UNKNOWN
                            : sqlite3_column_int64(st, 4),
                .verdict = (const char *)sqlite3_column_text(st, 5),
                .sets = sqlite3_column_int64(st, 6),
                .members = (const char *)sqlite3_column_text(st, 7),
                .lead = (const char *)sqlite3_column_text(st, 8),
                .missing = (const char *)sqlite3_column_text(st, 9),
                .still_needed = (const char *)sqlite3_column_text(st, 10),
        };

        return ((impact_consortium_fn)e->fn)(&c, e->arg);
}

int
impact_consortia_each(struct store *s, const struct impact_query *q, impact_consortium_fn fn,
                      void *arg, struct err *err)
{
        struct ctx c = { s, q, err, NULL, NULL };
        struct each e = { (void *)fn, arg };
        char *cm;
        int r = 0;

        ctx_scope(&c);
        cm = mem(&c, "cm.member_id");
        if (table_exists(&c, "consortium") && table_exists(&c, "consortium_member"))
                r = run(&c, sqlite3_mprintf(
                        "SELECT o.id, o.title, o.buyer_name,"
                        " CASE WHEN o.value_stated THEN o.value_max END, o.deadline,"
                        " cs.verdict, json_array_length(cs.doc, '$.consortia'),"
                        " (SELECT group_concat(value, ' ') FROM"
                        "  json_each(cs.doc, '$.consortia[0].members')),"
                        " json_extract(cs.doc, '$.consortia[0].lead'),"
                        " (SELECT group_concat(value, ' ') FROM json_each(cs.doc, '$.missing')),"
                        " CASE WHEN json_extract(cs.doc, '$.consortia[0].readiness.ready') = 0"
                        "  THEN json_extract(cs.doc, '$.consortia[0].readiness.summary') END"
                        " FROM consortium cs JOIN opportunity o ON o.id = cs.opportunity_id"
                        " WHERE cs.status = 'active' AND cs.verdict IN ('consortium', 'no cover')"
                        " AND json_valid(cs.doc) AND "
                        PERIOD("coalesce(o.published, o.first_seen)") " AND %s AND"
                        " (cs.verdict = 'no cover' OR EXISTS (SELECT 1 FROM consortium_member cm"
                        "  WHERE cm.opportunity_id = cs.opportunity_id AND %s))"
                        " ORDER BY o.deadline IS NULL, o.deadline, o.id",
                        (long long)q->period.from, (long long)q->period.to, c.opp, cm),
                        get_consortium, &e, false);
        sqlite3_free(cm);
        sqlite3_free(c.opp);
        free(c.members);
        return r;
}

struct members_acc {
        struct impact_member *v;
        char **ids;
        size_t n;
};

static struct impact_member *
member_acc(struct members_acc *a, const char *id)
{
        for (size_t i = 0; i < a->n; i++)
                if (strcmp(a->ids[i], id) == 0)
                        return &a->v[i];
        a->v = xreallocarray(a->v, a->n + 1, sizeof(*a->v));
        a->ids = xreallocarray(a->ids, a->n + 1, sizeof(*a->ids));
        a->ids[a->n] = xstrdup(id);
        a->v[a->n] = (struct impact_member){ .member = a->ids[a->n], .last = TIME_UNKNOWN };
        return &a->v[a->n++];
}

static int
get_member_brokered(sqlite3_stmt *st, void *arg)
{
        struct impact_member *m = member_acc(arg, (const char *)sqlite3_column_text(st, 0));

        m->brokered = sqlite3_column_int64(st, 1);
        m->value = sqlite3_column_int64(st, 2);
        m->last = sqlite3_column_int64(st, 3);
        return 0;
}

static int
get_member_feedback(sqlite3_stmt *st, void *arg)
{
        struct impact_member *m = member_acc(arg, (const char *)sqlite3_column_text(st, 0));

        m->interested = sqlite3_column_int64(st, 1);
        m->not_relevant = sqlite3_column_int64(st, 2);
        return 0;
}

int
impact_members_each(struct store *s, const struct impact_query *q, impact_member_fn fn,
                    void *arg, struct err *err)
{
        struct ctx c = { s, q, err, NULL, NULL };
        struct members_acc a = { 0 };
        char *cte, *fm;
        int r;

        ctx_scope(&c);
        cte = brokered_cte(&c, basis_sent(&c));
        r = run(&c, sqlite3_mprintf(
                "WITH %s, per AS (SELECT DISTINCT bk.member, bk.id FROM bk)"
                " SELECT per.member, count(*), coalesce(sum(CASE WHEN o.value_stated"
                " THEN o.value_max END), 0), (SELECT max(t) FROM bk WHERE bk.member = per.member)"
                " FROM per JOIN opportunity o ON o.id = per.id GROUP BY per.member", cte),
                get_member_brokered, &a, false);
        sqlite3_free(cte);
        fm = mem(&c, "f.member");
        if (r == 0 && table_exists(&c, "feedback"))
                r = run(&c, sqlite3_mprintf(
                        "SELECT f.member, sum(f.action = 'interested'),"
                        " sum(f.action = 'not-relevant') FROM feedback f JOIN opportunity o"
                        " ON o.id = f.opportunity_id WHERE " PERIOD("f.at") " AND %s AND %s"
                        " GROUP BY f.member", (long long)q->period.from,
                        (long long)q->period.to, c.opp, fm), get_member_feedback, &a, false);
        sqlite3_free(fm);
        for (size_t i = 0; r == 0 && i < a.n; i++)
                r = fn(&a.v[i], arg);
        for (size_t i = 0; i < a.n; i++)
                free(a.ids[i]);
        free(a.ids);
        free(a.v);
        sqlite3_free(c.opp);
        free(c.members);
        return r;
}
