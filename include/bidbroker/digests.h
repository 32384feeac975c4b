/*
 * digests.h — the digests sent and what each carried (daemon/store/digests.c,
 * tables digest and digest_item, migration 12; docs/digest.md).
 *
 * One digest row per (member, period) at most (UNIQUE): composing it,
 * recording its items and queueing the message are one transaction
 * (store_begin ... store_commit), so a member never gets two different
 * digests for one period; a second attempt finds the row and reuses it.  A
 * digest_item row is what that digest said about one opportunity (title,
 * deadline, value as sent): the next digest compares with the last one to
 * say what changed.  An opportunity with a digest_item row for a member was
 * "alerted" to it.
 */
#ifndef BIDBROKER_DIGESTS_H
#define BIDBROKER_DIGESTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct err;
struct store;

struct digest_row {
        int64_t  id;
        char    *member;
        char    *period;                /* "YYYY-MM-DD" */
        char    *message_id;            /* NULL: an empty digest, nothing sent */
        int64_t  outbox_id;             /* 0: not queued */
        int64_t  items, overflow, infeasible;
        char    *message;               /* the signed message (CRLF), or NULL */
        size_t   len;
        int64_t  created;
};
void digest_row_init(struct digest_row *d);
void digest_row_done(struct digest_row *d);     /* frees; reusable after init */

/* 1 with *d filled (freed first) when member has a digest for period, 0
 * when not, or -errno with err set. */
int digest_find(struct store *s, const char *member, const char *period,
                struct digest_row *d, struct err *err);
/* Insert d (its id is ignored); *ret_id the new row's.  -EEXIST when the
 * member already has a digest for that period. */
int digest_insert(struct store *s, const struct digest_row *d, int64_t *ret_id,
                  struct err *err);
/* Record the outbox row that carries digest id. */
int digest_set_outbox(struct store *s, int64_t id, int64_t outbox_id, struct err *err);

/* What a digest said about one opportunity. */
struct digest_item_row {
        int64_t     opportunity_id;
        const char *kind;               /* "new", "changed" */
        const char *section;            /* "closing-soon", "main" */
        const char *title;
        int64_t     deadline;           /* TIME_UNKNOWN: not given */
        bool        value_stated;
        int64_t     value_max;          /* pence, VALUE_NONE */
};
int digest_item_put(struct store *s, int64_t digest_id, const char *member,
                    const struct digest_item_row *it, int64_t now, struct err *err);

/* The last digest item member was sent about opportunity: 1 with *title
 * (caller frees), *deadline, *value_stated, *value_max filled; 0 when never
 * sent; -errno. */
int digest_item_last(struct store *s, const char *member, int64_t opportunity,
                     char **title, int64_t *deadline, bool *value_stated, int64_t *value_max,
                     struct err *err);

#endif
