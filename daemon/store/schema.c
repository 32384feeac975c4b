/*
 * schema.c — the store's schema as numbered migrations (see schema.h).
 *
 * Applied in order by store_open(), each in its own transaction together
 * with PRAGMA user_version = N.  Append new migrations at the end of
 * migrations[]; never edit a released one.  Number them consecutively; the
 * SQL may hold several statements.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "bidbroker/err.h"
#include "bidbroker/util.h"

#include "awards_int.h"
#include "db.h"
#include "links_int.h"
#include "schema.h"

struct migration {
        int         version;
        const char *sql;
};

static const struct migration migrations[] = {
        { 1,
          "PRAGMA application_id = 1114195010;"   /* STORE_APPLICATION_ID */
          "CREATE TABLE opportunity ("
          " id INTEGER PRIMARY KEY,"
          " source TEXT NOT NULL,"
          " notice_id TEXT NOT NULL,"
          " ocid TEXT,"
          " release_id TEXT,"
          " stage TEXT NOT NULL,"                 /* opp_stage_name() */
          " notice_type TEXT,"
          " title TEXT,"
          " description TEXT,"
          " buyer_name TEXT,"
          " buyer_id TEXT,"
          " value_stated INTEGER NOT NULL,"
          " value_max INTEGER,"                   /* pence; NULL: VALUE_NONE */
          " value_min INTEGER,"
          " value_gross INTEGER,"
          " currency TEXT,"
          " cpv TEXT NOT NULL,"                   /* JSON array of strings */
          " regions TEXT NOT NULL,"
          " anywhere INTEGER NOT NULL,"
          " postcodes TEXT NOT NULL,"
          " lot_titles TEXT NOT NULL,"
          " item_descriptions TEXT NOT NULL,"
          " published INTEGER,"                   /* Unix seconds; NULL: unknown */
          " updated INTEGER,"
          " deadline INTEGER,"
          " above_threshold INTEGER,"             /* NULL/0/1 */
          " procurement_method TEXT,"
          " procurement_method_details TEXT,"
          " suitable_sme INTEGER,"
          " suitable_vcse INTEGER,"
          " url TEXT,"
          " status TEXT NOT NULL,"                /* effective (closed by award/cancel) */
          " status_given TEXT NOT NULL,"          /* as the notice stated it */
          " amended INTEGER NOT NULL,"
          " orphan INTEGER NOT NULL DEFAULT 0,"   /* keyed by an amendment's id */
          " content_hash TEXT NOT NULL,"          /* BLAKE2b-256 hex */
          " first_seen INTEGER NOT NULL,"
          " last_changed INTEGER NOT NULL,"
          " raw TEXT,"                            /* last: large, read only when asked */
          " UNIQUE (source, notice_id)"
          ");"
          "CREATE INDEX opportunity_ocid ON opportunity (source, ocid);"
          "CREATE INDEX opportunity_deadline ON opportunity (deadline);"
          "CREATE INDEX opportunity_updated ON opportunity (updated);"
          "CREATE INDEX opportunity_changed ON opportunity (last_changed);"
          "CREATE TABLE notice_alias ("
          " source TEXT NOT NULL,"
          " notice_id TEXT NOT NULL,"
          " opportunity_id INTEGER NOT NULL"
          "  REFERENCES opportunity (id) ON DELETE CASCADE,"
          " PRIMARY KEY (source, notice_id)"
          ") WITHOUT ROWID;"
          "CREATE INDEX notice_alias_opp ON notice_alias (opportunity_id);"
          "CREATE TABLE source_state ("
          " source TEXT PRIMARY KEY,"
          " watermark INTEGER,"
          " etag TEXT,"
          " last_modified TEXT,"
          " failures INTEGER NOT NULL DEFAULT 0,"
          " next_attempt INTEGER,"
          " last_error TEXT,"
          " last_success INTEGER"
          ");"
          "CREATE TABLE meta ("
          " key TEXT PRIMARY KEY,"
          " value TEXT"
          ");" },
        { 2,    /* matches (matchstore.c) */
          "CREATE TABLE match ("
          " opportunity_id INTEGER NOT NULL"
          "  REFERENCES opportunity (id) ON DELETE CASCADE,"
          " member_id TEXT NOT NULL,"
          " kind TEXT NOT NULL DEFAULT 'single',"
          " score REAL NOT NULL,"
          " reasons TEXT NOT NULL,"               /* JSON array of reason objects */
          " content_hash TEXT NOT NULL,"          /* of the matching fields, then */
          " fingerprint TEXT NOT NULL,"           /* of the engine's configuration */
          " status TEXT NOT NULL DEFAULT 'active',"  /* active, withdrawn */
          " withdrawn_reason TEXT,"
          " first_matched INTEGER NOT NULL,"
          " updated INTEGER NOT NULL,"
          " UNIQUE (opportunity_id, member_id)"
          ");"
          "CREATE INDEX match_member ON match (member_id, status);"
          "CREATE TABLE match_run ("               /* when each notice was last matched */
          " opportunity_id INTEGER PRIMARY KEY"
          "  REFERENCES opportunity (id) ON DELETE CASCADE,"
          " content_hash TEXT NOT NULL,"
          " fingerprint TEXT NOT NULL,"
          " eligible INTEGER NOT NULL,"           /* the filter accepted it */
          " matched_at INTEGER NOT NULL"
          ");" },
        { 3,    /* scale facts of a notice (notices.c; docs/parsing.md "Scale signals") */
          "CREATE TABLE opportunity_scale ("
          " opportunity_id INTEGER PRIMARY KEY"
          "  REFERENCES opportunity (id) ON DELETE CASCADE,"
          " framework INTEGER,"                   /* NULL/0/1: techniques.hasFrameworkAgreement */
          " dps INTEGER,"                         /* NULL/0/1: ...hasDynamicPurchasingSystem */
          " term_days INTEGER"                    /* longest contractPeriod; NULL: unknown */
          ");"
          /* The facts of the OCDS notices already stored, read from their raw
           * records as the parser reads them (dates without an offset are
           * taken as UTC here, as UK time by the parser: at most a day's
           * difference in a term). */
          "INSERT INTO opportunity_scale (opportunity_id, framework, dps, term_days)"
          " SELECT o.id,"
          "  (SELECT max(t.atom) FROM json_tree(o.raw, '$.tender') t"
          "   WHERE t.key = 'hasFrameworkAgreement' AND t.type IN ('true', 'false')"
          "   AND (t.path = '$.tender.techniques' OR (t.path LIKE '$.tender.lots[%].techniques'"
          "   AND t.path NOT LIKE '$.tender.lots[%].%.techniques'))),"
          "  (SELECT max(t.atom) FROM json_tree(o.raw, '$.tender') t"
          "   WHERE t.key = 'hasDynamicPurchasingSystem' AND t.type IN ('true', 'false')"
          "   AND (t.path = '$.tender.techniques' OR (t.path LIKE '$.tender.lots[%].techniques'"
          "   AND t.path NOT LIKE '$.tender.lots[%].%.techniques'))),"
          "  (SELECT max(CASE"
          "    WHEN json_extract(p.value, '$.durationInDays') >= 1"
          "     AND json_extract(p.value, '$.durationInDays') < 36600"
          "    THEN CAST(round(json_extract(p.value, '$.durationInDays')) AS INTEGER)"
          "    ELSE CAST(round(max(coalesce(julianday(json_extract(p.value, '$.endDate')), 0),"
          "     coalesce(julianday(json_extract(p.value, '$.maxExtentDate')), 0))"
          "     - julianday(json_extract(p.value, '$.startDate'))) AS INTEGER) END)"
          "   FROM json_tree(o.raw, '$.tender') p"
          "   WHERE p.key = 'contractPeriod' AND p.type = 'object'"
          "   AND (p.path = '$.tender' OR (p.path LIKE '$.tender.lots[%]'"
          "   AND p.path NOT LIKE '$.tender.lots[%].%')))"
          " FROM opportunity o WHERE o.source IN ('cf', 'fts') AND json_valid(o.raw);"
          "UPDATE opportunity_scale SET term_days = NULL WHERE term_days <= 0;" },
        { 4,    /* same tender on two sources (links.c; docs/store.md "Links").
                 * IF NOT EXISTS: a file whose version was set back by hand
                 * (tests do, to simulate an old store) still migrates. */
          "CREATE TABLE IF NOT EXISTS link_key ("   /* what the text rule compares */
          " opportunity_id INTEGER PRIMARY KEY"
          "  REFERENCES opportunity (id) ON DELETE CASCADE,"
          " source TEXT NOT NULL,"
          " title_key TEXT NOT NULL,"             /* folded words */
          " buyer_key TEXT NOT NULL,"             /* folded words, noise dropped */
          " deadline INTEGER"                     /* Unix seconds; NULL: unknown */
          ");"
          "CREATE INDEX IF NOT EXISTS link_key_title ON link_key (title_key, deadline);"
          /* ids of the other source a notice cites; columns in key order
           * (SQLite 3.40's quick_check reports false NULLs in a WITHOUT
           * ROWID table whose key columns are not declared first) */
          "CREATE TABLE IF NOT EXISTS link_ref ("
          " source TEXT NOT NULL,"                /* the source cited: cf, fts */
          " kind TEXT NOT NULL,"                  /* notice, ocid */
          " ref TEXT NOT NULL,"
          " opportunity_id INTEGER NOT NULL"      /* the notice citing it */
          "  REFERENCES opportunity (id) ON DELETE CASCADE,"
          " PRIMARY KEY (source, kind, ref, opportunity_id)"
          ") WITHOUT ROWID;"
          "CREATE INDEX IF NOT EXISTS link_ref_opp ON link_ref (opportunity_id);"
          "CREATE TABLE IF NOT EXISTS link ("       /* a duplicate and its canonical */
          " opportunity_id INTEGER PRIMARY KEY"
          "  REFERENCES opportunity (id) ON DELETE CASCADE,"
          " canonical_id INTEGER NOT NULL UNIQUE"
          "  REFERENCES opportunity (id) ON DELETE CASCADE,"
          " rule TEXT NOT NULL,"                  /* ids, buyer+title+deadline */
          " linked_at INTEGER NOT NULL"
          ");" },
        { 5,    /* link_key with the notice id and a covering index for the text
                 * rule (links.c); derived data: rebuilt, then refilled by
                 * links_fill (links already made are kept) */
          "DROP TABLE IF EXISTS link_key;"
          "CREATE TABLE link_key ("
          " opportunity_id INTEGER PRIMARY KEY"
          "  REFERENCES opportunity (id) ON DELETE CASCADE,"
          " source TEXT NOT NULL,"
          " notice_id TEXT NOT NULL,"             /* the tie-break among candidates */
          " title_key TEXT NOT NULL,"             /* folded words */
          " buyer_key TEXT NOT NULL,"             /* folded words, noise dropped */
          " deadline INTEGER"                     /* Unix seconds; NULL: unknown */
          ");"
          /* covers the text rule's query: a title many notices share is
           * read from the index alone */
          "CREATE INDEX link_key_title ON link_key"
          " (title_key, source, deadline, buyer_key, notice_id);" },
        { 6,    /* anchors' API tokens (hashes only) and their idempotency keys
                 * (anchors.c; README "HTTP endpoints"); IF NOT EXISTS: tests
                 * downgrade a store by its user_version alone */
          "CREATE TABLE IF NOT EXISTS anchor_token ("
          " id INTEGER PRIMARY KEY,"
          " anchor TEXT NOT NULL,"
          " hash TEXT NOT NULL UNIQUE,"           /* BLAKE2b of the token, hex */
          " created INTEGER NOT NULL,"
          " revoked INTEGER"                      /* Unix seconds; NULL: valid */
          ");"
          "CREATE TABLE IF NOT EXISTS anchor_post ("
          " anchor TEXT NOT NULL,"
          " idem_key TEXT NOT NULL,"
          " body_hash TEXT NOT NULL,"
          " opportunity_id INTEGER NOT NULL,"
          " PRIMARY KEY (anchor, idem_key)"
          ");" },
        { 7,    /* members' feedback on digest items and unsubscriptions
                 * (feedback.c; README "HTTP endpoints") */
          "CREATE TABLE IF NOT EXISTS feedback ("
          " member TEXT NOT NULL,"
          " opportunity_id INTEGER NOT NULL"
          "  REFERENCES opportunity (id) ON DELETE CASCADE,"
          " action TEXT NOT NULL CHECK (action IN ('interested', 'not-relevant')),"
          " at INTEGER NOT NULL,"                 /* the last click wins */
          " first_at INTEGER NOT NULL,"
          " clicks INTEGER NOT NULL DEFAULT 1,"
          " PRIMARY KEY (member, opportunity_id)"
          ");"
          "CREATE INDEX IF NOT EXISTS feedback_opp ON feedback (opportunity_id, action);"
          "CREATE INDEX IF NOT EXISTS feedback_action ON feedback (action);"
          "CREATE TABLE IF NOT EXISTS unsubscribe ("
          " member TEXT PRIMARY KEY,"
          " at INTEGER NOT NULL,"
          " how TEXT NOT NULL CHECK (how IN ('one-click', 'page', 'staff')),"
          " resubscribed INTEGER"                 /* by staff, after at; NULL: not */
          ");"
          "CREATE INDEX IF NOT EXISTS unsubscribe_now ON unsubscribe (resubscribed);" },
        { 8,    /* awards, their suppliers, wins by members and supplier aliases
                 * (awards.c; docs/impact.md); filled from the notices already
                 * stored by awards_fill */
          "CREATE TABLE IF NOT EXISTS award ("
          " id INTEGER PRIMARY KEY,"
          " opportunity_id INTEGER NOT NULL"      /* the notice that published it */
          "  REFERENCES opportunity (id) ON DELETE CASCADE,"
          " position INTEGER NOT NULL,"           /* index in the release's awards[] */
          " award_id TEXT NOT NULL,"
          " status TEXT,"                         /* active, pending, cancelled, ... */
          " title TEXT,"
          " value INTEGER,"                       /* pence; NULL: not stated */
          " currency TEXT,"
          " award_date INTEGER,"                  /* Unix seconds; NULL: unknown */
          " published INTEGER,"
          " contract_start INTEGER,"
          " UNIQUE (opportunity_id, position)"
          ");"
          "CREATE INDEX IF NOT EXISTS award_date ON award (award_date);"
          "CREATE TABLE IF NOT EXISTS award_supplier ("
          " id INTEGER PRIMARY KEY,"
          " award_row INTEGER NOT NULL REFERENCES award (id) ON DELETE CASCADE,"
          " position INTEGER NOT NULL,"
          " name TEXT NOT NULL,"
          " name_key TEXT NOT NULL,"              /* supplier_name_key() */
          " party_id TEXT,"
          " companies_house TEXT,"
          " charity_number TEXT,"
          " ppon TEXT,"
          " scale TEXT,"                          /* details.scale: sme, large */
          " vcse INTEGER"                         /* details.vcse: NULL/0/1 */
          ");"
          "CREATE INDEX IF NOT EXISTS award_supplier_award ON award_supplier (award_row);"
          "CREATE INDEX IF NOT EXISTS award_supplier_key ON award_supplier (name_key);"
          "CREATE TABLE IF NOT EXISTS member_alias ("  /* staff's word on a supplier name */
          " name_key TEXT NOT NULL,"
          " member_id TEXT NOT NULL,"
          " name TEXT NOT NULL,"                  /* as staff typed it */
          " status TEXT NOT NULL,"                /* confirmed, rejected */
          " at INTEGER NOT NULL,"
          " PRIMARY KEY (name_key, member_id)"
          ");"
          "CREATE TABLE IF NOT EXISTS win ("       /* derived: awards_match() */
          " supplier_id INTEGER PRIMARY KEY"
          "  REFERENCES award_supplier (id) ON DELETE CASCADE,"
          " member_id TEXT NOT NULL,"
          " cluster TEXT,"                        /* the member's cluster then */
          " how TEXT NOT NULL,"                   /* companies_house, charity_number, ppon,
                                                   * alias, name */
          " matched_at INTEGER NOT NULL"
          ");"
          "CREATE INDEX IF NOT EXISTS win_member ON win (member_id);" },
        { 9,    /* /metrics counts opportunities by status from an index
                 * (storemetrics.c) */
          "CREATE INDEX IF NOT EXISTS opportunity_status ON opportunity (status);" },
        { 10,   /* consortium suggestions stored with the matches (consortstore.c,
                 * consortstore.h) */
          "CREATE TABLE IF NOT EXISTS consortium ("
          " opportunity_id INTEGER PRIMARY KEY"
          "  REFERENCES opportunity (id) ON DELETE CASCADE,"
          " verdict TEXT,"                        /* single, consortium, no cover; NULL */
          " doc TEXT NOT NULL,"                   /* JSON: explain --consortia's keys */
          " content_hash TEXT NOT NULL,"          /* of the notice, then */
          " fingerprint TEXT NOT NULL,"           /* of register, taxonomy, [consortium] */
          " status TEXT NOT NULL DEFAULT 'active',"  /* active, withdrawn */
          " withdrawn_reason TEXT,"
          " computed INTEGER NOT NULL,"
          " updated INTEGER NOT NULL"
          ");"
          "CREATE TABLE IF NOT EXISTS consortium_member ("  /* sets of 2+ members */
          " opportunity_id INTEGER NOT NULL"
          "  REFERENCES opportunity (id) ON DELETE CASCADE,"
          " rank INTEGER NOT NULL,"               /* 1: proposed first */
          " member_id TEXT NOT NULL,"
          " role TEXT NOT NULL,"                  /* lead, partner */
          " PRIMARY KEY (opportunity_id, rank, member_id)"
          ");"
          "CREATE INDEX IF NOT EXISTS consortium_member_id"
          " ON consortium_member (member_id, rank);" },
        { 11,   /* sessions of the /post form (anchors.c; docs/http.md): the
                 * cookie's hash only, tied to the token signed in with, so
                 * revoking the token ends its sessions */
          "CREATE TABLE IF NOT EXISTS anchor_session ("
          " hash TEXT PRIMARY KEY,"               /* BLAKE2b of the cookie value, hex */
          " anchor TEXT NOT NULL,"
          " token_hash TEXT NOT NULL,"            /* anchor_token.hash */
          " created INTEGER NOT NULL,"
          " expires INTEGER NOT NULL"
          ");"
          "CREATE INDEX IF NOT EXISTS anchor_session_expires ON anchor_session (expires);" },
        { 12,   /* digests and what each one carried (digests.c; docs/digest.md):
                 * "alerted" = has a digest_item row */
          "CREATE TABLE IF NOT EXISTS digest ("
          " id INTEGER PRIMARY KEY,"
          " member TEXT NOT NULL,"
          " period TEXT NOT NULL,"                /* London date of the slot, YYYY-MM-DD */
          " message_id TEXT,"                     /* NULL: nothing to send (empty) */
          " outbox_id INTEGER,"                   /* the queued message; NULL: none */
          " items INTEGER NOT NULL,"
          " overflow INTEGER NOT NULL,"           /* over max_items: wait for the next */
          " infeasible INTEGER NOT NULL,"         /* deadline too near: dropped */
          " message BLOB,"                        /* the signed message as queued */
          " created INTEGER NOT NULL,"
          " UNIQUE (member, period)"
          ");"
          "CREATE TABLE IF NOT EXISTS digest_item ("
          " digest_id INTEGER NOT NULL REFERENCES digest (id),"
          " member TEXT NOT NULL,"
          " opportunity_id INTEGER NOT NULL,"
          " kind TEXT NOT NULL,"                  /* "new", "changed" */
          " section TEXT NOT NULL,"               /* "closing-soon", "main" */
          " title TEXT,"                          /* as sent: what later changes compare to */
          " deadline INTEGER,"
          " value_stated INTEGER NOT NULL,"
          " value_max INTEGER,"
          " created INTEGER NOT NULL,"
          " PRIMARY KEY (digest_id, opportunity_id)"
          ");"
          "CREATE INDEX IF NOT EXISTS digest_item_member ON digest_item"
          " (member, opportunity_id, digest_id);" },
        { 13,   /* fairness: how often each member was proposed first
                 * (consortstore.c, docs/consortium.md "Fairness") */
          "CREATE TABLE IF NOT EXISTS consortium_proposed ("
          " member_id TEXT PRIMARY KEY,"
          " count INTEGER NOT NULL,"
          " updated INTEGER NOT NULL"
          ");" },
        { 14,   /* the outbox: messages stored whole and their delivery state
                 * (outbox.c; docs/outbox.md) */
          "CREATE TABLE IF NOT EXISTS outbox ("
          " id INTEGER PRIMARY KEY,"
          " member TEXT NOT NULL,"
          " rcpt TEXT NOT NULL,"                  /* the one envelope recipient */
          " message_id TEXT NOT NULL UNIQUE,"     /* <...>, as in the header */
          " bytes BLOB NOT NULL,"                 /* the signed message, CRLF */
          " state TEXT NOT NULL CHECK (state IN"
          "  ('queued', 'sending', 'sent', 'retry', 'failed')),"
          " attempts INTEGER NOT NULL DEFAULT 0,"
          " next_attempt INTEGER NOT NULL,"       /* Unix seconds */
          " last_error TEXT,"
          " last_code INTEGER,"                   /* the server's last reply code */
          " created INTEGER NOT NULL,"
          " updated INTEGER NOT NULL,"
          " sent_at INTEGER"
          ");"
          "CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, next_attempt);" },
        { 15,   /* who was alerted to an opportunity: anchors' counts (anchors.c)
                 * and the dashboard's measures (impact.c) look digest_item up by
                 * opportunity, which digest_item_member's order cannot serve */
          "CREATE INDEX IF NOT EXISTS digest_item_opportunity ON digest_item"
          " (opportunity_id, member);" },
        { 16,   /* the lots of a notice (notices.c, lots.h; docs/matching.md "Lots"),
                 * filled from the raw records by notices_lots_fill() */
          "CREATE TABLE IF NOT EXISTS opportunity_lots ("
          " opportunity_id INTEGER PRIMARY KEY"
          "  REFERENCES opportunity (id) ON DELETE CASCADE,"
          " lots TEXT NOT NULL"                   /* JSON: lots.h opp_lots_to_json() */
          ");" },
        /* append new migrations here; never edit a released one */
};

/* What SQL alone cannot fill: C run after a migration's SQL, in the same
 * transaction. */
static const struct {
        int   version;
        int (*fill)(struct store *s, struct err *err);
} fills[] = {
        /* link the notices already stored (links.c): keys, cited ids and
         * links of a store from before 4, keys rebuilt for one at 4 */
        { 5, links_fill },
        /* the awards of the notices already stored (awards.c) */
        { 8, awards_fill },
        /* the lots of the notices already stored (notices.c) */
        { 16, notices_lots_fill },
};

static int
migration_fill(struct store *s, int version, struct err *err)
{
        for (size_t i = 0; i < ARRAY_SIZE(fills); i++)
                if (fills[i].version == version)
                        return fills[i].fill(s, err);
        return 0;
}

int
schema_latest(void)
{
        return migrations[ARRAY_SIZE(migrations) - 1].version;
}

int
schema_check(struct store *s, int64_t *ret_version, struct err *err)
{
        int64_t app = 0, ver = 0, tables = 0;
        int r;

        char *op = xasprintf("open %s", s->path);

        /* One read transaction, so the three answers come from one snapshot:
         * another process may be creating the schema right now. */
        r = db_exec_sql(s, "BEGIN", err, op);
        if (r == 0)
                r = db_query_int(s, "PRAGMA application_id", &app, err, op);
        if (r == 0)
                r = db_query_int(s, "PRAGMA user_version", &ver, err, op);
        if (r == 0)
                r = db_query_int(s, "SELECT count(*) FROM sqlite_schema", &tables, err, op);
        if (!sqlite3_get_autocommit(s->db))
                (void)sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
        free(op);
        if (r < 0)
                return r;
        if (app != 0 && app != STORE_APPLICATION_ID)
                return err_set(err, -EINVAL, "store: %s is not a bidbroker database "
                               "(application_id %" PRId64 ")", s->path, app);
        if (app == 0 && tables > 0)
                return err_set(err, -EINVAL, "store: %s is not a bidbroker database "
                               "(it has tables but no bidbroker schema)", s->path);
        if (ver > schema_latest())
                return err_set(err, -EPROTO, "store: %s has schema version %" PRId64
                               ", newer than this bidbroker understands (%d)",
                               s->path, ver, schema_latest());
        *ret_version = ver;
        return 0;
}

int
schema_migrate(struct store *s, struct err *err)
{
        for (size_t i = 0; i < ARRAY_SIZE(migrations); i++) {
                const struct migration *m = &migrations[i];
                char op[64], pragma[64];
                int64_t ver = 0;
                int r;

                snprintf(op, sizeof(op), "migration %d", m->version);
                if ((r = db_exec_sql(s, "BEGIN IMMEDIATE", err, op)) < 0)
                        return r;
                /* Re-read inside the transaction: another process may have
                 * migrated while we waited for the lock. */
                if ((r = db_query_int(s, "PRAGMA user_version", &ver, err, op)) < 0)
                        goto fail;
                if (ver >= m->version) {
                        if ((r = db_exec_sql(s, "COMMIT", err, op)) < 0)
                                goto fail;
                        continue;
                }
                if (ver != m->version - 1) {
                        r = err_set(err, -EPROTO, "store: %s: schema version %" PRId64
                                    " cannot be migrated to %d", op, ver, m->version);
                        goto fail;
                }
                snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", m->version);
                if ((r = db_exec_sql(s, m->sql, err, op)) < 0 ||
                    (r = migration_fill(s, m->version, err)) < 0 ||
                    (r = db_exec_sql(s, pragma, err, op)) < 0 ||
                    (r = db_exec_sql(s, "COMMIT", err, op)) < 0)
                        goto fail;
                continue;
fail:
                if (!sqlite3_get_autocommit(s->db))
                        (void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
                return r;
        }
        return 0;
}

