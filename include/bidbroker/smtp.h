/*
 * smtp.h — delivering one message to one recipient over SMTP with libcurl
 * (daemon/mail/smtp.c; docs/outbox.md), and the [mail] transport settings it
 * reads.
 *
 * A delivery never blocks the loop, and for SMTP that rules out the loop's
 * multi handle: libcurl (7.88 to 8.x) waits for the server's reply to the
 * end of the message inside its "done" step, blocking, even in the multi
 * interface (curl issue 8555, its TODO "More non-blocking"), and a slow
 * server may take minutes there (RFC 5321 allows 10).  So each delivery is
 * one curl_easy_perform on a worker thread (worker.h), the easy handle set
 * up on the loop thread and the outcome handed back to it; the callback runs
 * from the loop.  smtp_cancel makes a running transfer stop within a second
 * (its progress callback aborts it).
 * The result says what the outbox does with the message: the server's reply
 * code is read from CURLINFO_RESPONSE_CODE (libcurl's own result does not
 * tell a temporary failure from a permanent one), so
 *   - 2xx after the message: sent;
 *   - 5xx: failed, except a refused login or "authentication required"
 *     (530, 534, 535, 538), which is our configuration, not the message:
 *     retried, so the queue waits for staff to fix the credentials;
 *   - 4xx, a connection that could not be made or broke, TLS errors,
 *     timeouts: retry;
 *   - the connection lost, or the final reply not come, after the whole
 *     message was sent (the last reply seen was 354): retry, flagged
 *     ambiguous; the server may have the message, so it is sent again with
 *     the same bytes and Message-ID and receivers see a duplicate at worst.
 */
#ifndef BIDBROKER_SMTP_H
#define BIDBROKER_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

struct err;
struct worker;

/* ---- the transport setting ------------------------------------------------ */

enum mail_kind { MAIL_MAILDIR = 0, MAIL_SMTP, MAIL_SMTPS };

struct mail_transport {
        enum mail_kind kind;
        char *host;                     /* smtp(s): as in the URL ([::1] for IPv6) */
        long  port;                     /* smtp(s): 25 / 465 when not given */
        char *path;                     /* maildir: PATH as written */
};
/* "smtp://HOST[:PORT]", "smtps://HOST[:PORT]" or "maildir:PATH".  A URL may
 * not carry a user, password, path (the EHLO name is [mail] helo), query or
 * fragment.  0, or -EINVAL with *why saying what is wrong. */
int mail_transport_parse(const char *spec, struct mail_transport *t, const char **why);
void mail_transport_clear(struct mail_transport *t);
/* localhost, 127.0.0.0/8 or ::1: traffic that never leaves this machine. */
bool mail_host_is_local(const char *host);
/* A host name or an address literal ([192.0.2.1]) for EHLO. */
int mail_helo_check(const char *name, const char **why);
/* A bare address local@domain (no <>, spaces or controls) for the envelope. */
int mail_address_check(const char *addr, const char **why);
/* The address of the message's From header (the part in <> if any) into
 * out; -EINVAL when there is none that mail_address_check accepts. */
int mail_from_address(const char *msg, size_t len, char *out, size_t outlen);

/* ---- one delivery ------------------------------------------------------------ */

struct smtp_conf {
        enum mail_kind kind;            /* MAIL_SMTP or MAIL_SMTPS */
        const char *host;
        long        port;
        const char *helo;               /* EHLO name */
        bool        starttls;           /* MAIL_SMTP: require STARTTLS */
        const char *ca_file;            /* NULL: the system's CAs */
        const char *user, *password;    /* NULL: no AUTH */
        const char *auth;               /* NULL, "PLAIN" or "LOGIN" */
        int64_t     connect_timeout_ms;
        int64_t     reply_timeout_ms;   /* every reply, the final one included */
        int64_t     timeout_ms;         /* the whole delivery */
};

enum mail_verdict { MAIL_SENT = 0, MAIL_RETRY, MAIL_FAILED };

struct mail_result {
        enum mail_verdict verdict;
        long  code;                     /* the server's last reply code; 0: none */
        bool  ambiguous;                /* the server may have the message */
        char  error[600];               /* for people: what failed, the reply */
};

/* What libcurl said (result, CURLINFO_RESPONSE_CODE, the last command and
 * reply seen, curl's error text) as a result (see the top of this file). */
void smtp_classify(CURLcode cc, long code, bool after_data, const char *cmd,
                   const char *reply, const char *curl_error, struct mail_result *res);

/* The jobs of one sender: the worker threads they run on, and how many are
 * still running (a given-up job stops within a second). */
struct smtp_pool;
struct smtp_pool *smtp_pool_new(struct worker *wk);
/* Wait up to wait_ms for the pool's jobs to end (after smtp_cancel), so
 * that no transfer outlives its owner, then free the pool; one still
 * running then frees it when it ends.  NULL-safe. */
void smtp_pool_free(struct smtp_pool *p, int64_t wait_ms);

struct smtp_job;
/* Called from the loop once; the job is freed after it returns. */
typedef void (*smtp_done_fn)(void *arg, const struct mail_result *res);

/*
 * Deliver msg (len bytes, CRLF; copied) from the envelope sender from to
 * rcpt, on one of the pool's threads.  *ret is the job, for smtp_cancel.  0, or <0
 * with e set (nothing started, fn never called).
 */
int smtp_start(struct smtp_pool *pool, const struct smtp_conf *c, const char *from,
               const char *rcpt, const char *msg, size_t len, smtp_done_fn fn, void *arg,
               struct smtp_job **ret, struct err *e);
/* Give a job up: its callback is never called; a transfer in progress is
 * aborted within a second and the job freed when it has stopped.  The
 * server may have the message already.  NULL-safe. */
void smtp_cancel(struct smtp_job *j);

#endif
