/*
 * feedback.h — what members tell us from their digests
 * (daemon/store/feedback.c; tables feedback and unsubscribe, schema.c).
 *
 * Feedback: one row per (member, opportunity); the last click wins (action
 * and at), clicks counts every recorded click and first_at keeps the first.
 * Actions are "interested" and "not-relevant" (link_action_name()).
 *
 * Unsubscribe: one row per member who ever unsubscribed, with when and how
 * ("one-click": RFC 8058 POST from the mail client; "page": the confirm
 * button of GET /unsubscribe/TOKEN; "staff": `bidbroker members unsubscribe`).
 * A resubscription by staff keeps the row with its time, so the history of
 * the last unsubscription stays; a member is unsubscribed while the row has
 * no resubscription after it.  Every function works inside or outside the
 * caller's store_begin()/store_commit().
 */
#ifndef BIDBROKER_FEEDBACK_H
#define BIDBROKER_FEEDBACK_H

#include <stdbool.h>
#include <stdint.h>

struct err;
struct store;

#define FEEDBACK_INTERESTED   "interested"
#define FEEDBACK_NOT_RELEVANT "not-relevant"

enum feedback_result {
        FEEDBACK_NEW,                   /* first click on this opportunity */
        FEEDBACK_SAME,                  /* the same action again (idempotent) */
        FEEDBACK_CHANGED,               /* the other action replaced the last one */
};

/* Record a click; action FEEDBACK_INTERESTED or FEEDBACK_NOT_RELEVANT
 * (-EINVAL otherwise).  The row is written by one statement (an upsert);
 * res (may be NULL) is read just before it, for the log. */
int feedback_record(struct store *s, const char *member, int64_t opportunity,
                    const char *action, int64_t now, enum feedback_result *res,
                    struct err *err);

/* The member's recorded action on an opportunity: *action is one of the two
 * constants above (static), *at when; -ENOENT when none. */
int feedback_get(struct store *s, const char *member, int64_t opportunity,
                 const char **action, int64_t *at, struct err *err);

struct feedback_row {
        const char *member;
        int64_t     opportunity;
        const char *action;
        int64_t     at;                 /* the last click */
        int64_t     first_at;
        int64_t     clicks;
        const char *title;              /* the opportunity's; NULL if unknown */
};
typedef int (*feedback_fn)(const struct feedback_row *r, void *arg);
/* Every row (of member, or all when NULL), newest first; fn's non-zero
 * return stops and is returned.  Strings valid during the call only. */
int feedback_each(struct store *s, const char *member, feedback_fn fn, void *arg,
                  struct err *err);

/* Feedback per rule: each feedback row counted once for every distinct rule
 * (CPV prefix, taxonomy rule, member rule) among the reasons of the stored
 * match it answered.  Sorted by the most "not relevant" first. */
struct feedback_rule {
        const char *kind;               /* "cpv", "rule", "member_rule" */
        const char *capability;         /* or NULL */
        const char *rule;               /* rule text or CPV prefix; or NULL */
        int64_t     interested, not_relevant;
};
typedef int (*feedback_rule_fn)(const struct feedback_rule *r, void *arg);
int feedback_by_rule(struct store *s, const char *member, feedback_rule_fn fn, void *arg,
                     struct err *err);

/* Totals for /metrics (each an indexed count). */
struct feedback_totals {
        int64_t interested, not_relevant;
        int64_t unsubscribed;           /* members unsubscribed now */
};
int feedback_totals(struct store *s, struct feedback_totals *t, struct err *err);

/* ---- unsubscribe ---------------------------------------------------------------- */

#define UNSUB_ONE_CLICK "one-click"
#define UNSUB_PAGE      "page"
#define UNSUB_STAFF     "staff"

/* Unsubscribe member (how: one of the three above, else -EINVAL).
 * Idempotent: an unsubscribed member keeps its first time and way;
 * *already (may be NULL) says so. */
int member_unsubscribe(struct store *s, const char *member, const char *how, int64_t now,
                       bool *already, struct err *err);
/* Staff resubscribe member; *was (may be NULL): it was unsubscribed. */
int member_resubscribe(struct store *s, const char *member, int64_t now, bool *was,
                       struct err *err);
/* Is member unsubscribed now?  (The digest selection skips it.) */
int member_unsubscribed(struct store *s, const char *member, bool *ret, struct err *err);

struct unsubscribe_row {
        const char *member;
        int64_t     at;
        const char *how;
        int64_t     resubscribed;       /* 0: still unsubscribed */
};
typedef int (*unsubscribe_fn)(const struct unsubscribe_row *r, void *arg);
/* Every member who ever unsubscribed (of member, or all when NULL). */
int unsubscribe_each(struct store *s, const char *member, unsubscribe_fn fn, void *arg,
                     struct err *err);

#endif
