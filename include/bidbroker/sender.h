/*
 * sender.h — delivering the outbox (daemon/sender.c; docs/outbox.md): claims
 * due messages (outbox.h), hands each to the configured transport (a maildir,
 * or SMTP with libcurl on worker threads: smtp.h) and records what
 * came of it: sent, retry with a doubling, jittered, capped wait, or failed
 * (5xx, or [mail] retry_max_age passed).  Used by the outbox service (the
 * daemon) and by `bidbroker outbox --send` / `digest --send`, on their loop.
 * Only one process delivers from a state directory: it holds the state lock.
 */
#ifndef BIDBROKER_SENDER_H
#define BIDBROKER_SENDER_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct err;
struct loop;
struct mail_result;
struct outbox_msg;
struct store;

struct sender;

struct sender_counts {
        uint64_t sent, retried, failed; /* outcomes recorded by this sender */
};

/* Build from cfg's [mail] (the credentials file is read now, its mode
 * checked).  state_dir: for the default maildir.  Starts nothing.  loop
 * NULL (and s NULL): only check the settings (check-config). */
int sender_new(const struct config *cfg, const char *state_dir, struct store *s,
               struct loop *loop, struct sender **ret, struct err *e);
/* Deliveries in flight are stopped and their messages set to retry, due
 * now (the same bytes go again).  NULL-safe. */
void sender_free(struct sender *sd);

/* At the delivering process's start: messages left sending by one that died
 * become retry, due now; *n how many. */
int sender_recover(struct sender *sd, int64_t *n, struct err *e);

/* Record finished deliveries and start due ones, up to [mail] parallel.
 * 0, or <0 for a store error (-EBUSY: locked by another process; call again
 * later, nothing is lost). */
int sender_kick(struct sender *sd, struct err *e);
/* ms until sender_kick has work (0: now), -1 when nothing is planned.
 * Messages queued by others are seen at the next sender_kick. */
int64_t sender_next_ms(struct sender *sd);
/* Deliveries in flight. */
size_t sender_running(const struct sender *sd);
void sender_counts(const struct sender *sd, struct sender_counts *c);

/* Optional: fn called after each outcome is recorded (m is the message,
 * without bytes once recorded; valid during the call). */
typedef void (*sender_result_fn)(void *arg, const struct outbox_msg *m,
                                 const struct mail_result *res);
void sender_on_result(struct sender *sd, sender_result_fn fn, void *arg);

#endif
