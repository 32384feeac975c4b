/*
 * storemetrics.c — the store's gauges for /metrics (store.h): a few counts,
 * each answered from an index (opportunity_status, match_member,
 * feedback_action, unsubscribe_now; a count(*) reads the smallest index),
 * so a scrape stays cheap on a large store.
 */
#include <stdlib.h>

#include <sqlite3.h>

#include "bidbroker/err.h"
#include "bidbroker/store.h"
#include "bidbroker/util.h"

#include "db.h"

static const struct {
        enum stmt_id id;
        const char  *name, *help, *label, *sql;
} gauges[] = {
        { ST_METRIC_OPP, "bidbroker_opportunities_by_status",
          "Opportunities in the store, by status (active, complete, cancelled, ...).",
          "status", "SELECT status, count(*) FROM opportunity GROUP BY status ORDER BY status" },
        { ST_METRIC_MATCH, "bidbroker_matches",
          "Stored matches of members to opportunities, by status (active, withdrawn).",
          "status", "SELECT status, count(*) FROM match GROUP BY status ORDER BY status" },
        { ST_METRIC_FEEDBACK, "bidbroker_feedback",
          "Members' answers to digest items (the last per member and opportunity), by action.",
          "action", "SELECT column1, (SELECT count(*) FROM feedback WHERE action = column1)"
          " FROM (VALUES ('interested'), ('not-relevant'))" },
        { ST_METRIC_OUTBOX, "bidbroker_outbox_messages",
          "Messages in the outbox, by delivery state.",
          "state", "SELECT column1, (SELECT count(*) FROM outbox WHERE state = column1) FROM"
          " (VALUES ('queued'), ('sending'), ('sent'), ('retry'), ('failed'))" },
        { ST_METRIC_UNSUB, "bidbroker_members_unsubscribed",
          "Members unsubscribed from the digest now.",
          NULL, "SELECT NULL, count(*) FROM unsubscribe WHERE resubscribed IS NULL" },
        { ST_METRIC_DIGEST, "bidbroker_digests",
          "Digests recorded, one per member and period (empty ones too: nothing new).",
          NULL, "SELECT NULL, count(*) FROM digest" },
        { ST_METRIC_DIGEST_ITEMS, "bidbroker_digest_items",
          "Opportunities sent in digests (a digest_item each).",
          NULL, "SELECT NULL, count(*) FROM digest_item" },
};

int
store_metrics(struct store *s, store_metric_fn fn, void *arg, struct err *err)
{
        static const char op[] = "count for /metrics";

        for (size_t i = 0; i < ARRAY_SIZE(gauges); i++) {
                struct store_metric m = { gauges[i].name, gauges[i].help, "gauge",
                                          gauges[i].label, NULL, 0 };
                sqlite3_stmt *st;
                bool any = false;
                int r, rc;

                if ((r = db_stmt(s, gauges[i].id, gauges[i].sql, &st, err, op)) < 0)
                        return r;
                while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
                        m.value = (const char *)sqlite3_column_text(st, 0);
                        m.n = sqlite3_column_int64(st, 1);
                        r = fn(&m, arg);
                        m.help = NULL;
                        any = true;
                }
                if (r == 0 && rc != SQLITE_DONE)
                        r = db_err(s, rc, err, op);
                db_reset(st);
                if (r != 0)
                        return r;
                if (!any) {             /* no rows yet: the HELP and TYPE lines alone */
                        r = fn(&m, arg);
                        if (r != 0)
                                return r;
                }
        }
        return 0;
}
