/*
 * outbox.h — messages waiting to be delivered, and their delivery state
 * (daemon/store/outbox.c, table outbox; docs/outbox.md).
 *
 * A message is stored whole (the signed bytes, CRLF) with its one recipient
 * and its Message-ID, so a resend after an ambiguous failure sends exactly
 * the same bytes.  Delivery is a state machine:
 *
 *      queued --claim--> sending --> sent
 *      retry  --claim--> sending --> retry (4xx, connection error, unknown)
 *                                --> failed (5xx, or retry_max_age passed)
 *      failed, retry --outbox_requeue (staff)--> queued
 *      sending (the sender died) --outbox_recover--> retry, due now
 *
 * Only one process delivers from a store at a time (the daemon, or a
 * foreground `outbox --send` / `digest --send`; they hold the state
 * directory's lock, statelock.h): outbox_recover must be called by that
 * process only, before it claims anything.
 *
 * outbox_enqueue works inside the caller's transaction (store_begin ...
 * store_commit), so a digest, its items and its message are stored together
 * or not at all.  The claim and transition functions run their own
 * statements (call them outside a transaction, or inside one you commit).
 */
#ifndef BIDBROKER_OUTBOX_H
#define BIDBROKER_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct err;
struct store;

enum outbox_state {
        OUTBOX_QUEUED = 0,
        OUTBOX_SENDING,
        OUTBOX_SENT,
        OUTBOX_RETRY,
        OUTBOX_FAILED,
        OUTBOX__N
};

/* "queued", "sending", "sent", "retry", "failed" */
const char *outbox_state_name(enum outbox_state st);
/* 0 and *ret, or -EINVAL for another name. */
int outbox_state_parse(const char *name, enum outbox_state *ret);

/* One row.  Strings and bytes are owned by the struct (outbox_msg_clear). */
struct outbox_msg {
        int64_t  id;
        char    *member;
        char    *rcpt;                  /* the one envelope recipient */
        char    *message_id;            /* as in the Message-ID header, with <> */
        char    *bytes;                 /* the message (NUL after len); NULL in lists */
        size_t   len;
        enum outbox_state state;
        int64_t  attempts;              /* deliveries started */
        int64_t  next_attempt;          /* Unix seconds: due from then (queued, retry) */
        char    *last_error;            /* NULL: none */
        long     last_code;             /* the server's last reply code; 0: none */
        int64_t  created, updated;      /* Unix seconds */
        int64_t  sent_at;               /* Unix seconds; 0 until sent */
};
void outbox_msg_clear(struct outbox_msg *m);    /* frees, zeroes; NULL-safe */

/*
 * Queue a message (state queued, due at now).  Inside the caller's
 * transaction.  The Message-ID is unique in the outbox: queueing the same
 * Message-ID with the same recipient and bytes again changes nothing and
 * gives the stored id (an idempotent retry of the caller's work); with
 * other bytes or recipient it fails with -EEXIST, so one Message-ID never
 * stands for two different messages.  Refuses (-EINVAL) an empty message,
 * a recipient or Message-ID with control characters or empty.
 */
int outbox_enqueue(struct store *s, const char *member, const char *rcpt,
                   const char *message_id, const char *bytes, size_t len, int64_t now,
                   int64_t *ret_id, struct err *e);

/*
 * Claim the next due message (queued or retry with next_attempt <= now,
 * oldest due first): it becomes sending, attempts + 1, and *m is filled with
 * it, bytes included.  -ENOENT when nothing is due.  One transaction.
 */
int outbox_claim(struct store *s, int64_t now, struct outbox_msg *m, struct err *e);

/* The end of a delivery of message id, which must be sending (-ESTALE if it
 * is not: someone else changed it).  code is the server's reply (0: none);
 * error says what went wrong, for people. */
int outbox_mark_sent(struct store *s, int64_t id, int64_t now, long code, struct err *e);
int outbox_mark_retry(struct store *s, int64_t id, int64_t now, int64_t next_attempt,
                      long code, const char *error, struct err *e);
int outbox_mark_failed(struct store *s, int64_t id, int64_t now, long code,
                       const char *error, struct err *e);

/* After a crash: every sending message (whose delivery may or may not have
 * happened) becomes retry, due now, with a last_error saying so; *n how many.
 * Only the one delivering process calls it, at its start. */
int outbox_recover(struct store *s, int64_t now, int64_t *n, struct err *e);

/* Staff: a failed or retry message is queued again, due now (attempts
 * kept).  -ENOENT for no such id, -EALREADY for one sent or being sent,
 * -EINVAL for one already queued; err says which. */
int outbox_requeue(struct store *s, int64_t id, int64_t now, struct err *e);

/* Message id with its bytes.  -ENOENT when there is none. */
int outbox_get(struct store *s, int64_t id, struct outbox_msg *m, struct err *e);

/* Every message in id order, without bytes (len is set).  fn returns 0 to go
 * on; another value stops and is returned.  m is valid during the call only.
 * Do not write to the store from fn. */
typedef int (*outbox_each_fn)(const struct outbox_msg *m, void *arg);
int outbox_each(struct store *s, outbox_each_fn fn, void *arg, struct err *e);

/* When the next queued or retry message is due (Unix seconds); -ENOENT when
 * there is none. */
int outbox_next_due(struct store *s, int64_t *when, struct err *e);

/* A number that moves whenever the store may have changed: a write on this
 * connection or a commit by another process (SQLite's data_version).  Cheap
 * enough to read at every turn of the loop. */
uint64_t outbox_stamp(struct store *s);

/* Messages per state. */
int outbox_counts(struct store *s, int64_t counts[OUTBOX__N], struct err *e);

#endif
