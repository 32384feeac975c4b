/*
 * awards.c — awards, suppliers, wins and supplier aliases (see
 * include/bidbroker/awards.h and docs/impact.md).
 *
 * awards_note() runs inside store_put()'s savepoint for every notice
 * written: the notice's awards are replaced by those of its newest release,
 * so an awardUpdate supersedes its award, and a notice's awards are never
 * counted twice.  Wins are derived data: awards_match() rewrites table win
 * from the register and the aliases.  Never logs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidbroker/award.h"
#include "bidbroker/awards.h"
#include "bidbroker/err.h"
#include "bidbroker/members.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/store.h"
#include "bidbroker/textnorm.h"
#include "bidbroker/util.h"

#include "awards_int.h"
#include "db.h"
#include "links_int.h"

/* ---- names ---------------------------------------------------------------- */

static bool
word_is(const char *w, size_t n, const char *s)
{
        return strlen(s) == n && memcmp(w, s, n) == 0;
}

/* Trailing legal forms, longest first; each a sequence of words. */
static const char *const legal_forms[] = {
        "charitable incorporated organisation", "community interest company",
        "public limited company", "limited liability partnership", "company limited",
        "limited", "ltd", "plc", "llp", "lp", "cic", "cio", "inc", "incorporated",
};

/* Does words[from..n) end with the phrase?  Returns its word count or 0. */
static size_t
ends_with_phrase(struct strv *w, size_t n, const char *phrase)
{
        struct strv p;
        size_t k = 0;

        strv_init(&p);
        str_split(phrase, ' ', &p);
        if (p.n <= n) {
                k = p.n;
                for (size_t i = 0; i < p.n; i++)
                        if (strcmp(w->v[n - p.n + i], p.v[i]) != 0)
                                k = 0;
        }
        strv_done(&p);
        return k;
}

char *
supplier_name_key(const char *name)
{
        struct buf pre, out;
        struct strv w, joined;
        char *folded;
        size_t n, start = 0;
        bool cut;

        /* '&' and '+' between words read "and"; apostrophes join (O'Brien). */
        buf_init(&pre);
        buf_adds(&pre, "");
        for (const char *p = name ? name : ""; *p; p++) {
                if (*p == '&' || *p == '+')
                        buf_adds(&pre, " and ");
                else if (*p == '\'')
                        continue;
                else if (strncmp(p, "\xe2\x80\x99", 3) == 0)    /* ’ */
                        p += 2;
                else
                        buf_addc(&pre, *p);
        }
        folded = tn_fold_words(pre.data);
        buf_done(&pre);
        strv_init(&w);
        strv_init(&joined);
        str_split(folded, ' ', &w);
        free(folded);
        /* runs of single letters are one word: "c i c" -> "cic", "u k" -> "uk" */
        for (size_t i = 0; i < w.n; i++) {
                if (w.v[i][0] == '\0')
                        continue;
                if (strlen(w.v[i]) == 1 && i + 1 < w.n && strlen(w.v[i + 1]) == 1) {
                        struct buf run;

                        buf_init(&run);
                        while (i < w.n && strlen(w.v[i]) == 1)
                                buf_adds(&run, w.v[i++]);
                        i--;
                        strv_take(&joined, buf_steal(&run));
                        buf_done(&run);
                } else {
                        strv_add(&joined, w.v[i]);
                }
        }
        n = joined.n;
        if (n > 1 && strcmp(joined.v[0], "the") == 0)
                start = 1;
        do {                    /* "Acme (UK) Ltd", "Acme Ltd UK", "Acme UK Limited CIC" */
                cut = false;
                if (n - start > 1 && strcmp(joined.v[n - 1], "uk") == 0) {
                        n--;
                        cut = true;
                }
                for (size_t i = 0; i < ARRAY_SIZE(legal_forms) && !cut; i++) {
                        size_t k = ends_with_phrase(&joined, n, legal_forms[i]);

                        if (k > 0 && n - start > k) {
                                n -= k;
                                cut = true;
                        }
                }
                if (n - start > 1 && (word_is(joined.v[n - 1], strlen(joined.v[n - 1]), "and") ||
                                      word_is(joined.v[n - 1], strlen(joined.v[n - 1]), "the"))) {
                        n--;
                        cut = true;
                }
        } while (cut);
        buf_init(&out);
        buf_adds(&out, "");
        for (size_t i = start; i < n; i++) {
                if (out.len)
                        buf_addc(&out, ' ');
                buf_adds(&out, joined.v[i]);
        }
        strv_done(&w);
        strv_done(&joined);
        return buf_steal(&out);
}

/* ---- recording a notice's awards ------------------------------------------ */

static const char *const sql[ST__N] = {
        [ST_AWARD_DEL] = "DELETE FROM award WHERE opportunity_id = ?1",
        [ST_AWARD_PUT] =
                "INSERT INTO award (opportunity_id, position, award_id, status, title, value,"
                " currency, award_date, published, contract_start)"
                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        [ST_AWARD_SUP_PUT] =
                "INSERT INTO award_supplier (award_row, position, name, name_key, party_id,"
                " companies_house, charity_number, ppon, scale, vcse)"
                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
};

static int
start(struct store *s, enum stmt_id id, struct binder *b, struct err *err, const char *op)
{
        sqlite3_stmt *st;
        int r = db_stmt(s, id, sql[id], &st, err, op);

        if (r < 0)
                return r;
        *b = binder_of(st);
        return 0;
}

static int
put_supplier(struct store *s, int64_t award_row, size_t pos, const struct award_supplier *sp,
             struct err *err)
{
        static const char op[] = "store an award supplier";
        char *key = supplier_name_key(sp->name);
        struct binder b;
        int r;

        if ((r = start(s, ST_AWARD_SUP_PUT, &b, err, op)) == 0) {
                bind_int(&b, 1, award_row);
                bind_int(&b, 2, (int64_t)pos);
                bind_str(&b, 3, sp->name);
                bind_str(&b, 4, key);
                bind_str(&b, 5, sp->party_id);
                bind_str(&b, 6, sp->companies_house);
                bind_str(&b, 7, sp->charity_number);
                bind_str(&b, 8, sp->ppon);
                bind_str(&b, 9, sp->scale);
                bind_tri(&b, 10, sp->vcse);
                r = db_run(s, &b, err, op);
        }
        free(key);
        return r;
}

static int
put_award(struct store *s, int64_t id, size_t pos, const struct award *a, struct err *err)
{
        static const char op[] = "store an award";
        struct binder b;
        int64_t row;
        int r;

        if ((r = start(s, ST_AWARD_PUT, &b, err, op)) < 0)
                return r;
        bind_int(&b, 1, id);
        bind_int(&b, 2, (int64_t)pos);
        bind_str(&b, 3, a->award_id);
        bind_str(&b, 4, a->status);
        bind_str(&b, 5, a->title);
        bind_opt(&b, 6, a->value);
        bind_str(&b, 7, a->currency[0] ? a->currency : NULL);
        bind_opt(&b, 8, a->date);
        bind_opt(&b, 9, a->published);
        bind_opt(&b, 10, a->contract_start);
        if ((r = db_run(s, &b, err, op)) < 0)
                return r;
        row = sqlite3_last_insert_rowid(s->db);
        for (size_t i = 0; i < a->nsuppliers && r == 0; i++)
                r = put_supplier(s, row, i, &a->suppliers[i], err);
        return r;
}

/* Does the raw record hold awards at all?  A cheap test before parsing. */
static bool
may_have_awards(const struct opportunity *o)
{
        return o->raw != NULL && (o->source != NULL &&
                                  (strcmp(o->source, "cf") == 0 || strcmp(o->source, "fts") == 0)) &&
               strstr(o->raw, "\"awards\"") != NULL;
}

int
awards_note(struct store *s, int64_t id, const struct opportunity *o, struct err *err)
{
        struct award_list l;
        struct binder b;
        struct err perr = { 0 };
        int r;

        if ((r = start(s, ST_AWARD_DEL, &b, err, "replace a notice's awards")) < 0)
                return r;
        bind_int(&b, 1, id);
        if ((r = db_run(s, &b, err, "replace a notice's awards")) < 0)
                return r;
        if (!may_have_awards(o))
                return 0;
        /* A release whose awards cannot be read keeps the notice: the
         * notice is what the parser accepted; its awards are left out. */
        if (award_parse_release(o->raw, strlen(o->raw), &l, &perr) < 0)
                return 0;
        for (size_t i = 0; i < l.n && r == 0; i++)
                r = put_award(s, id, i, &l.v[i], err);
        award_list_done(&l);
        return r;
}

int
awards_fill(struct store *s, struct err *err)
{
        static const char op[] = "migration: awards of stored notices";
        sqlite3_stmt *st = NULL;
        int rc, r = 0;

        rc = sqlite3_prepare_v2(s->db, "SELECT id, source, raw FROM opportunity"
                                " WHERE source IN ('cf', 'fts') AND raw LIKE '%\"awards\"%'",
                                -1, &st, NULL);
        if (rc != SQLITE_OK)
                return db_err(s, rc, err, op);
        while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
                struct opportunity o;

                opportunity_init(&o);
                o.source = col_str(st, 1);
                o.raw = col_str(st, 2);
                r = awards_note(s, sqlite3_column_int64(st, 0), &o, err);
                opportunity_done(&o);
        }
        if (r == 0 && rc != SQLITE_DONE)
                r = db_err(s, rc, err, op);
        sqlite3_finalize(st);
        return r;
}

/* ---- matching suppliers to members ------------------------------------------ */

struct mkey {                           /* one member, as compared */
        const struct member *m;
        char *coh, *chc, *ppon, *key;
};

struct matcher {
        struct mkey *v;
        size_t n;
};

static void
matcher_init(struct matcher *mt, const struct member_register *reg)
{
        mt->n = reg ? reg->n : 0;
        mt->v = xcalloc(mt->n ? mt->n : 1, sizeof(*mt->v));
        for (size_t i = 0; i < mt->n; i++) {
                const struct member *m = &reg->members[i];

                mt->v[i].m = m;
                mt->v[i].coh = award_ident_normalise("GB-COH", m->companies_house);
                mt->v[i].chc = award_ident_normalise("GB-CHC", m->charity_number);
                mt->v[i].ppon = award_ident_normalise("GB-PPON", m->ppon);
                mt->v[i].key = supplier_name_key(m->name);
        }
}

static void
matcher_done(struct matcher *mt)
{
        for (size_t i = 0; i < mt->n; i++) {
                free(mt->v[i].coh);
                free(mt->v[i].chc);
                free(mt->v[i].ppon);
                free(mt->v[i].key);
        }
        free(mt->v);
}

static bool
same(const char *a, const char *b)
{
        return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* Both state the identifier and they differ: certainly not the same body. */
static bool
differ(const char *a, const char *b)
{
        return a != NULL && b != NULL && strcmp(a, b) != 0;
}

struct supplier_row {
        int64_t     id;
        const char *name_key, *coh, *chc, *ppon;
};

/* The member a supplier is, and how; NULL when none. */
static const struct mkey *
match_supplier(const struct matcher *mt, const struct supplier_row *sr, const char *alias_member,
               const char **how)
{
        for (size_t i = 0; i < mt->n; i++) {
                const struct mkey *k = &mt->v[i];

                if (same(k->coh, sr->coh)) {
                        *how = WIN_BY_COMPANIES_HOUSE;
                        return k;
                }
                if (same(k->chc, sr->chc)) {
                        *how = WIN_BY_CHARITY;
                        return k;
                }
                if (same(k->ppon, sr->ppon)) {
                        *how = WIN_BY_PPON;
                        return k;
                }
        }
        if (alias_member != NULL)
                for (size_t i = 0; i < mt->n; i++)
                        if (strcmp(mt->v[i].m->id, alias_member) == 0) {
                                *how = WIN_BY_ALIAS;
                                return &mt->v[i];
                        }
        if (sr->name_key[0] == '\0')
                return NULL;
        for (size_t i = 0; i < mt->n; i++) {
                const struct mkey *k = &mt->v[i];

                if (same(k->key, sr->name_key) && !differ(k->coh, sr->coh) &&
                    !differ(k->chc, sr->chc) && !differ(k->ppon, sr->ppon)) {
                        *how = WIN_BY_NAME;
                        return k;
                }
        }
        return NULL;
}

#define SUPPLIER_SQL \
        "SELECT s.id, s.name_key, s.companies_house, s.charity_number, s.ppon," \
        " (SELECT member_id FROM member_alias a WHERE a.name_key = s.name_key" \
        "  AND a.status = 'confirmed'), s.name" \
        " FROM award_supplier s ORDER BY s.id"

/* Levenshtein distance of a and b, or max + 1 when it is above max. */
static size_t
distance(const char *a, const char *b, size_t max)
{
        size_t la = strlen(a), lb = strlen(b), *row, d;

        if ((la > lb ? la - lb : lb - la) > max)
                return max + 1;
        row = xcalloc(lb + 1, sizeof(*row));
        for (size_t j = 0; j <= lb; j++)
                row[j] = j;
        for (size_t i = 1; i <= la; i++) {
                size_t prev = row[0], lo;

                row[0] = i;
                lo = row[0];
                for (size_t j = 1; j <= lb; j++) {
                        size_t cur = row[j];
                        size_t best = prev + (a[i - 1] != b[j - 1]);

                        if (row[j] + 1 < best)
                                best = row[j] + 1;
                        if (row[j - 1] + 1 < best)
                                best = row[j - 1] + 1;
                        row[j] = best;
                        prev = cur;
                        if (best < lo)
                                lo = best;
                }
                if (lo > max) {
                        free(row);
                        return max + 1;
                }
        }
        d = row[lb];
        free(row);
        return d;
}

static size_t
first_word_len(const char *s)
{
        return strcspn(s, " ");
}

/* A near match worth a person's look: not the same key (that is a match),
 * the same first word, and either one's words all within the other's or a
 * spelling at most 2 letters off (keys of 8 letters or more). */
static char *
near(const char *skey, const char *mkey)
{
        size_t fs = first_word_len(skey), fm = first_word_len(mkey), d, max;

        if (skey[0] == '\0' || mkey[0] == '\0' || strcmp(skey, mkey) == 0)
                return NULL;
        if (fs != fm || memcmp(skey, mkey, fs) != 0) {
                /* a misspelt first word: only the distance rule */
                if (strlen(skey) < 8 || strlen(mkey) < 8 || skey[0] != mkey[0])
                        return NULL;
        } else {
                if (words_within(skey, mkey) || words_within(mkey, skey))
                        return xasprintf("the words of '%s' are all in '%s'",
                                         strlen(skey) < strlen(mkey) ? skey : mkey,
                                         strlen(skey) < strlen(mkey) ? mkey : skey);
        }
        max = strlen(skey) / 6 > 2 ? strlen(skey) / 6 : 2;
        if (strlen(skey) >= 8 && strlen(mkey) >= 8 && (d = distance(skey, mkey, max)) <= max)
                return xasprintf("'%s' and '%s' are %zu letter%s apart", skey, mkey, d,
                                 d == 1 ? "" : "s");
        return NULL;
}

int
awards_match(struct store *s, const struct member_register *reg, int64_t now,
             struct awards_match_stats *st, struct err *err)
{
        static const char op[] = "match award suppliers to members";
        struct awards_match_stats dummy;
        struct matcher mt;
        sqlite3_stmt *q = NULL, *ins = NULL;
        bool own_txn = sqlite3_get_autocommit(s->db) != 0;
        bool suggest = st != NULL;
        int rc, r;

        if (st == NULL)
                st = &dummy;
        memset(st, 0, sizeof(*st));
        if (own_txn && (r = store_begin(s, err)) < 0)
                return r;
        matcher_init(&mt, reg);
        if ((r = db_exec_sql(s, "DELETE FROM win", err, op)) < 0)
                goto out;
        rc = sqlite3_prepare_v2(s->db, SUPPLIER_SQL, -1, &q, NULL);
        if (rc == SQLITE_OK)
                rc = sqlite3_prepare_v2(s->db, "INSERT INTO win (supplier_id, member_id,"
                                        " cluster, how, matched_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                                        -1, &ins, NULL);
        if (rc != SQLITE_OK) {
                r = db_err(s, rc, err, op);
                goto out;
        }
        while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
                struct supplier_row sr = {
                        sqlite3_column_int64(q, 0), (const char *)sqlite3_column_text(q, 1),
                        (const char *)sqlite3_column_text(q, 2),
                        (const char *)sqlite3_column_text(q, 3),
                        (const char *)sqlite3_column_text(q, 4),
                };
                const char *how = NULL;
                const struct mkey *k;
                struct binder b;

                st->suppliers++;
                if (sr.name_key == NULL)
                        sr.name_key = "";
                k = match_supplier(&mt, &sr, (const char *)sqlite3_column_text(q, 5), &how);
                if (k == NULL)
                        continue;
                b = binder_of(ins);
                bind_int(&b, 1, sr.id);
                bind_str(&b, 2, k->m->id);
                bind_str(&b, 3, k->m->cluster);
                bind_str(&b, 4, how);
                bind_int(&b, 5, now);
                if ((r = db_run(s, &b, err, op)) < 0)
                        goto out;
                st->wins++;
                if (strcmp(how, WIN_BY_ALIAS) == 0)
                        st->by_alias++;
                else if (strcmp(how, WIN_BY_NAME) == 0)
                        st->by_name++;
                else
                        st->by_ident++;
        }
        if (rc != SQLITE_DONE) {
                r = db_err(s, rc, err, op);
                goto out;
        }
        r = 0;
out:
        sqlite3_finalize(q);
        sqlite3_finalize(ins);
        matcher_done(&mt);
        if (r == 0) {
                struct award_suggestions sg = { 0 };

                if (own_txn)
                        r = store_commit(s, err);
                if (r == 0 && suggest && awards_suggest(s, reg, &sg, NULL) == 0)
                        st->suggestions = sg.n;
                award_suggestions_done(&sg);
        } else if (own_txn) {
                store_rollback(s);
        }
        return r;
}

void
award_suggestions_done(struct award_suggestions *l)
{
        for (size_t i = 0; i < l->n; i++) {
                free(l->v[i].supplier);
                free(l->v[i].name_key);
                free(l->v[i].member_id);
                free(l->v[i].member_name);
                free(l->v[i].why);
        }
        free(l->v);
        l->v = NULL;
        l->n = 0;
}

int
awards_suggest(struct store *s, const struct member_register *reg,
               struct award_suggestions *out, struct err *err)
{
        static const char op[] = "suggest supplier aliases";
        struct matcher mt;
        sqlite3_stmt *q = NULL;
        size_t cap = 0;
        int rc, r = 0;

        out->v = NULL;
        out->n = 0;
        /* distinct unmatched names, not already rejected for that member */
        rc = sqlite3_prepare_v2(s->db,
                                "SELECT s.name_key, min(s.name), count(DISTINCT s.award_row)"
                                " FROM award_supplier s LEFT JOIN win w ON w.supplier_id = s.id"
                                " WHERE w.supplier_id IS NULL AND s.name_key <> ''"
                                " GROUP BY s.name_key ORDER BY min(s.name), s.name_key",
                                -1, &q, NULL);
        if (rc != SQLITE_OK)
                return db_err(s, rc, err, op);
        matcher_init(&mt, reg);
        while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
                const char *key = (const char *)sqlite3_column_text(q, 0);

                for (size_t i = 0; i < mt.n; i++) {
                        char *why = near(key, mt.v[i].key);
                        int64_t rejected = 0;
                        char *qs;

                        if (why == NULL)
                                continue;
                        qs = sqlite3_mprintf("SELECT count(*) FROM member_alias WHERE"
                                             " name_key = %Q AND member_id = %Q", key,
                                             mt.v[i].m->id);
                        r = db_query_int(s, qs, &rejected, err, op);
                        sqlite3_free(qs);
                        if (r < 0 || rejected) {
                                free(why);
                                if (r < 0)
                                        goto out;
                                continue;
                        }
                        if (out->n == cap) {
                                cap = cap ? cap * 2 : 16;
                                out->v = xreallocarray(out->v, cap, sizeof(*out->v));
                        }
                        out->v[out->n++] = (struct award_suggestion){
                                .supplier = xstrdup((const char *)sqlite3_column_text(q, 1)),
                                .name_key = xstrdup(key),
                                .member_id = xstrdup(mt.v[i].m->id),
                                .member_name = xstrdup(mt.v[i].m->name),
                                .why = why,
                                .awards = (size_t)sqlite3_column_int64(q, 2),
                        };
                }
        }
        if (rc != SQLITE_DONE)
                r = db_err(s, rc, err, op);
out:
        sqlite3_finalize(q);
        matcher_done(&mt);
        if (r < 0)
                award_suggestions_done(out);
        return r;
}

/* ---- aliases ------------------------------------------------------------- */

int
awards_alias_put(struct store *s, const char *supplier_name, const char *member_id,
                 bool confirmed, int64_t now, struct err *err)
{
        static const char op[] = "store a supplier alias";
        char *key = supplier_name_key(supplier_name);
        char *q = NULL;
        int r;

        if (key[0] == '\0') {
                free(key);
                return err_set(err, -EINVAL, "supplier name '%s' has no words to match on",
                               supplier_name);
        }
        if (confirmed) {
                q = sqlite3_mprintf("DELETE FROM member_alias WHERE name_key = %Q AND"
                                    " status = 'confirmed';", key);
                if ((r = db_exec_sql(s, q, err, op)) < 0)
                        goto out;
                sqlite3_free(q);
        }
        q = sqlite3_mprintf("INSERT INTO member_alias (name_key, member_id, name, status, at)"
                            " VALUES (%Q, %Q, %Q, %Q, %lld) ON CONFLICT (name_key, member_id)"
                            " DO UPDATE SET name = excluded.name, status = excluded.status,"
                            " at = excluded.at", key, member_id, supplier_name,
                            confirmed ? "confirmed" : "rejected", (long long)now);
        r = db_exec_sql(s, q, err, op);
out:
        sqlite3_free(q);
        free(key);
        return r;
}

int
awards_alias_remove(struct store *s, const char *supplier_name, struct err *err)
{
        char *key = supplier_name_key(supplier_name);
        char *q = sqlite3_mprintf("DELETE FROM member_alias WHERE name_key = %Q", key);
        int r = db_exec_sql(s, q, err, "remove a supplier alias");

        sqlite3_free(q);
        if (r == 0 && sqlite3_changes(s->db) == 0)
                r = err_set(err, -ENOENT, "no alias for '%s' (compared as '%s')", supplier_name,
                            key);
        free(key);
        return r;
}

int
awards_alias_each(struct store *s, award_alias_fn fn, void *arg, struct err *err)
{
        static const char op[] = "read supplier aliases";
        sqlite3_stmt *q = NULL;
        int rc, r = 0;

        rc = sqlite3_prepare_v2(s->db, "SELECT name, name_key, member_id, status, at FROM"
                                " member_alias ORDER BY name_key, member_id", -1, &q, NULL);
        if (rc != SQLITE_OK)
                return db_err(s, rc, err, op);
        while (r == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
                struct award_alias a = {
                        (char *)sqlite3_column_text(q, 0), (char *)sqlite3_column_text(q, 1),
                        (char *)sqlite3_column_text(q, 2), col_is(q, 3, "confirmed"),
                        sqlite3_column_int64(q, 4),
                };

                r = fn(&a, arg);
        }
        if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
                r = db_err(s, rc, err, op);
        sqlite3_finalize(q);
        return r;
}
