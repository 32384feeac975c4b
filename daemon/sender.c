/*
 * sender.c — delivering the outbox (sender.h).
 *
 * A delivery is one claimed message (outbox_claim: now sending, attempts + 1)
 * and, for SMTP, one libcurl transfer on a thread of the sender's own worker
 * (smtp.h: libcurl blocks waiting for the final reply, so not on the loop's
 * multi; up to 4 threads, beside the parse workers so neither waits for the
 * other).  Its outcome is written back
 * with one statement (outbox_mark_*), so a crash anywhere leaves the message
 * queued, retry or sending, and sending is recovered at the next start
 * (sender_recover): never lost, sent again with the same bytes.  A maildir
 * delivery is local file I/O, done at once (tmp/, fsync, rename).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "bidbroker/config.h"
#include "bidbroker/err.h"
#include "bidbroker/hash.h"
#include "bidbroker/log.h"
#include "bidbroker/maildir.h"
#include "bidbroker/outbox.h"
#include "bidbroker/sender.h"
#include "bidbroker/smtp.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"
#include "bidbroker/worker.h"

#define CREDENTIALS_MAX 4096

struct delivery {
        struct sender      *sd;
        struct outbox_msg   m;
        struct smtp_job    *job;        /* NULL when not running */
        bool                done;       /* res holds the outcome, not yet recorded */
        struct mail_result  res;
};

struct sender {
        struct store       *store;
        struct loop        *loop;
        struct worker      *wk;         /* SMTP: the threads deliveries run on */
        struct smtp_pool   *pool;       /* and their jobs */
        struct mail_transport t;
        char               *maildir;    /* MAIL_MAILDIR: the directory */
        struct smtp_conf    sc;
        char               *helo, *user, *password, *return_path;
        int64_t             retry_ms, retry_max_ms, max_age_ms;
        size_t              parallel;
        struct delivery   **d;
        size_t              nd;
        int64_t             due;        /* Unix s of the next due message; -1: none */
        bool                want_kick;
        int64_t             hold_until; /* mono ms: the store was locked; 0: not */
        int64_t             busy_wait;  /* ms */
        struct sender_counts counts;
        sender_result_fn    fn;
        void               *fnarg;
};

/* USER:PASSWORD from the first line of path, refusing a file that group or
 * others may read (like the DKIM key files). */
static int
read_credentials(const char *path, char **user, char **password, struct err *e)
{
        char buf[CREDENTIALS_MAX];
        struct stat sb;
        ssize_t n = 0, got;
        char *colon, *eol;
        int fd, r = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return err_set(e, -errno, "[mail] credentials %s: %s", path, strerror(errno));
        if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
                r = err_set(e, -EINVAL, "[mail] credentials %s: not a regular file", path);
                goto out;
        }
        if (sb.st_mode & (S_IRWXG | S_IRWXO)) {
                r = err_set(e, -EPERM, "[mail] credentials %s: accessible by group or others "
                            "(mode %04o); chmod 600 it", path, (unsigned)(sb.st_mode & 07777));
                goto out;
        }
        while ((got = read(fd, buf + n, sizeof(buf) - 1 - (size_t)n)) != 0) {
                if (got < 0 && errno == EINTR)
                        continue;
                if (got < 0) {
                        r = err_set(e, -errno, "[mail] credentials %s: %s", path,
                                    strerror(errno));
                        goto out;
                }
                n += got;
                if ((size_t)n == sizeof(buf) - 1) {
                        r = err_set(e, -EFBIG, "[mail] credentials %s: too large", path);
                        goto out;
                }
        }
        buf[n] = '\0';
        eol = buf + strcspn(buf, "\r\n");
        *eol = '\0';
        colon = strchr(buf, ':');
        if (colon == NULL || colon == buf || str_has_control(buf)) {
                r = err_set(e, -EINVAL, "[mail] credentials %s: the first line must be "
                            "USER:PASSWORD", path);
                goto out;
        }
        *colon = '\0';
        *user = xstrdup(buf);
        *password = xstrdup(colon + 1);
out:
        sodium_memzero(buf, sizeof(buf));
        close(fd);
        return r;
}

int
sender_new(const struct config *cfg, const char *state_dir, struct store *s,
           struct loop *loop, struct sender **ret, struct err *e)
{
        struct sender *sd = xcalloc(1, sizeof(*sd));
        const char *why = NULL;
        char host[256];
        int r;

        sd->store = s;
        sd->loop = loop;
        sd->due = -1;
        sd->retry_ms = cfg->mail_retry_ms;
        sd->retry_max_ms = cfg->mail_retry_max_ms;
        sd->max_age_ms = cfg->mail_retry_max_age_ms;
        sd->parallel = cfg->mail_parallel > 0 ? (size_t)cfg->mail_parallel : 1;
        if (cfg->mail_transport == NULL) {
                sd->t.kind = MAIL_MAILDIR;
        } else if (mail_transport_parse(cfg->mail_transport, &sd->t, &why) < 0) {
                r = err_set(e, -EINVAL, "[mail] transport '%s': %s", cfg->mail_transport, why);
                goto fail;
        }
        if (sd->t.kind == MAIL_MAILDIR) {
                sd->maildir = config_mail_maildir(cfg, state_dir);
        } else {
                if (cfg->mail_credentials != NULL &&
                    (r = read_credentials(cfg->mail_credentials, &sd->user, &sd->password,
                                          e)) < 0)
                        goto fail;
                if (cfg->mail_helo != NULL) {
                        sd->helo = xstrdup(cfg->mail_helo);
                } else {
                        if (gethostname(host, sizeof(host) - 1) < 0 ||
                            mail_helo_check(host, &why) < 0)
                                strcpy(host, "localhost");
                        host[sizeof(host) - 1] = '\0';
                        sd->helo = xstrdup(host);
                }
                sd->return_path = xstrdup(cfg->mail_return_path);
                sd->sc = (struct smtp_conf){
                        .kind = sd->t.kind, .host = sd->t.host, .port = sd->t.port,
                        .helo = sd->helo, .starttls = cfg->mail_starttls,
                        .ca_file = cfg->mail_tls_ca, .user = sd->user,
                        .password = sd->password, .auth = cfg->mail_auth,
                        .connect_timeout_ms = cfg->mail_connect_timeout_ms,
                        .reply_timeout_ms = cfg->mail_reply_timeout_ms,
                        .timeout_ms = cfg->mail_timeout_ms,
                };
                /* the strings of cfg outlive the sender (service_env) or are
                 * the caller's for its whole run (the CLI) */
                if (loop != NULL) {
                        if ((r = worker_new(loop, &sd->wk, e)) < 0)
                                goto fail;
                        sd->pool = smtp_pool_new(sd->wk);
                }
        }
        sd->want_kick = true;
        *ret = sd;
        return 0;
fail:
        sender_free(sd);
        return r;
}

static void
delivery_free(struct delivery *d)
{
        if (d == NULL)
                return;
        smtp_cancel(d->job);
        outbox_msg_clear(&d->m);
        free(d);
}

/* The wait before attempt number attempts + 1: retry_ms doubled per attempt
 * made, capped at retry_max_ms, then 80 % to 120 % of it; in seconds, >= 1. */
static int64_t
backoff_s(const struct sender *sd, int64_t attempts)
{
        int64_t ms = sd->retry_ms;

        for (int64_t i = 1; i < attempts && ms < sd->retry_max_ms; i++)
                ms *= 2;
        if (ms > sd->retry_max_ms)
                ms = sd->retry_max_ms;
        ms = ms / 100 * (80 + (int64_t)randombytes_uniform(41));
        return ms < 1000 ? 1 : (ms + 999) / 1000;
}

/* res->error = the formatted text, cut to fit. */
static void __attribute__((format(printf, 2, 3)))
set_error(struct mail_result *res, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(res->error, sizeof(res->error), fmt, ap);
        va_end(ap);
}

/* Write d's outcome to the store.  0, or the store's error (d kept). */
static int
record(struct sender *sd, struct delivery *d, struct err *e)
{
        struct mail_result *res = &d->res;
        struct outbox_msg *m = &d->m;
        int64_t now = time(NULL), next = 0;
        int r;

        if (res->verdict == MAIL_RETRY && (now - m->created) * 1000 >= sd->max_age_ms) {
                char *last = xstrdup(res->error);

                set_error(res, "gave up after %lld attempts ([mail] retry_max_age): %s",
                          (long long)m->attempts, last);
                free(last);
                res->verdict = MAIL_FAILED;
        }
        switch (res->verdict) {
        case MAIL_SENT:
                r = outbox_mark_sent(sd->store, m->id, now, res->code, e);
                break;
        case MAIL_RETRY:
                next = now + backoff_s(sd, m->attempts);
                r = outbox_mark_retry(sd->store, m->id, now, next, res->code, res->error, e);
                break;
        default:
                r = outbox_mark_failed(sd->store, m->id, now, res->code, res->error, e);
                break;
        }
        if (r == -ESTALE) {
                log_warnx("outbox %lld: %s", (long long)m->id, e->msg);
                r = 0;          /* someone else decided: nothing to record */
        }
        if (r < 0)
                return r;
        if (res->verdict == MAIL_SENT) {
                sd->counts.sent++;
                log_notice("outbox %lld to %s (%s) %s: sent%s", (long long)m->id, m->rcpt,
                           m->member, m->message_id, m->attempts > 1 ? " (again)" : "");
        } else if (res->verdict == MAIL_RETRY) {
                sd->counts.retried++;
                log_warnx("outbox %lld to %s (%s): attempt %lld: %s; next attempt in %llds",
                          (long long)m->id, m->rcpt, m->member, (long long)m->attempts,
                          res->error, (long long)(next - now));
        } else {
                sd->counts.failed++;
                log_warnx("outbox %lld to %s (%s): failed: %s", (long long)m->id, m->rcpt,
                          m->member, res->error);
        }
        m->state = res->verdict == MAIL_SENT ? OUTBOX_SENT
                 : res->verdict == MAIL_RETRY ? OUTBOX_RETRY : OUTBOX_FAILED;
        if (sd->fn)
                sd->fn(sd->fnarg, m, res);
        return 0;
}

static void
on_smtp_done(void *arg, const struct mail_result *res)
{
        struct delivery *d = arg;

        d->job = NULL;                  /* smtp.c frees it after we return */
        d->res = *res;
        d->done = true;
        d->sd->want_kick = true;
}

/* A maildir name's key: the outbox id and 8 hex digits of the Message-ID. */
static void
maildir_key(const struct outbox_msg *m, char out[64])
{
        char h[HASH_HEX_LEN];
        struct hasher hs;

        hasher_init(&hs, "bidbroker maildir");
        hasher_str(&hs, m->message_id);
        hasher_hex(&hs, h);
        snprintf(out, 64, "%lldX%.8s", (long long)m->id, h);
}

/* Start delivering d (claimed); a result known at once is put in d->res. */
static void
start(struct sender *sd, struct delivery *d)
{
        struct err e = { 0 };
        char from[256], key[64];
        bool already = false;

        d->done = true;                 /* unless a job runs */
        memset(&d->res, 0, sizeof(d->res));
        if (sd->t.kind == MAIL_MAILDIR) {
                maildir_key(&d->m, key);
                if (maildir_deliver(sd->maildir, d->m.created, key, d->m.bytes, d->m.len,
                                    &already, NULL, &e) < 0) {
                        d->res.verdict = MAIL_RETRY;
                        set_error(&d->res, "%s", e.msg);
                } else if (already) {
                        log_info("outbox %lld: already in the maildir", (long long)d->m.id);
                }
                return;
        }
        if (sd->return_path != NULL) {
                snprintf(from, sizeof(from), "%s", sd->return_path);
        } else if (mail_from_address(d->m.bytes, d->m.len, from, sizeof(from)) < 0) {
                d->res.verdict = MAIL_FAILED;
                set_error(&d->res, "the message has no From address to send it from "
                          "(or set [mail] return_path)");
                return;
        }
        if (smtp_start(sd->pool, &sd->sc, from, d->m.rcpt, d->m.bytes, d->m.len, on_smtp_done,
                       d, &d->job, &e) < 0) {
                d->res.verdict = MAIL_RETRY;
                set_error(&d->res, "%s", e.msg);
                return;
        }
        d->done = false;
}

size_t
sender_running(const struct sender *sd)
{
        size_t n = 0;

        for (size_t i = 0; i < sd->nd; i++)
                n += sd->d[i]->job != NULL;
        return n;
}

/* Record every finished delivery; stop at the first store error. */
static int
record_done(struct sender *sd, struct err *e)
{
        for (size_t i = 0; i < sd->nd;) {
                struct delivery *d = sd->d[i];
                int r;

                if (!d->done) {
                        i++;
                        continue;
                }
                if ((r = record(sd, d, e)) < 0)
                        return r;
                delivery_free(d);
                sd->d[i] = sd->d[--sd->nd];
        }
        return 0;
}

static int
kick(struct sender *sd, struct err *e)
{
        int r;

        sd->want_kick = false;
        if ((r = record_done(sd, e)) < 0)
                return r;
        while (sender_running(sd) < sd->parallel) {
                struct delivery *d = xcalloc(1, sizeof(*d));

                d->sd = sd;
                r = outbox_claim(sd->store, time(NULL), &d->m, e);
                if (r < 0) {
                        free(d);
                        if (r == -ENOENT)
                                break;
                        return r;
                }
                sd->d = xreallocarray(sd->d, sd->nd + 1, sizeof(*sd->d));
                sd->d[sd->nd++] = d;
                start(sd, d);
                if (d->done && (r = record_done(sd, e)) < 0)
                        return r;
        }
        r = outbox_next_due(sd->store, &sd->due, e);
        if (r == -ENOENT) {
                sd->due = -1;
                r = 0;
        }
        return r;
}

int
sender_kick(struct sender *sd, struct err *e)
{
        int r = kick(sd, e);

        if (r == -EBUSY) {
                sd->busy_wait = sd->busy_wait <= 0 ? 2000
                              : sd->busy_wait * 2 > 60000 ? 60000 : sd->busy_wait * 2;
                sd->hold_until = time_mono_ms() + sd->busy_wait;
        } else if (r == 0) {
                sd->busy_wait = 0;
                sd->hold_until = 0;
        }
        return r;
}

int64_t
sender_next_ms(struct sender *sd)
{
        int64_t now;

        if (sd->hold_until > 0) {
                now = time_mono_ms();
                return sd->hold_until > now ? sd->hold_until - now : 0;
        }
        if (sd->want_kick)
                return 0;
        for (size_t i = 0; i < sd->nd; i++)
                if (sd->d[i]->done)
                        return 0;
        if (sd->due < 0 || sender_running(sd) >= sd->parallel)
                return -1;
        now = time(NULL);
        return sd->due > now ? (sd->due - now) * 1000 : 0;
}

int
sender_recover(struct sender *sd, int64_t *n, struct err *e)
{
        int r = outbox_recover(sd->store, time(NULL), n, e);

        if (r == 0 && *n > 0)
                log_warnx("outbox: %lld message%s left sending by a process that stopped: "
                          "sent again with the same Message-ID", (long long)*n,
                          *n == 1 ? " was" : "s were");
        sd->want_kick = true;
        return r;
}

void
sender_counts(const struct sender *sd, struct sender_counts *c)
{
        *c = sd->counts;
}

void
sender_on_result(struct sender *sd, sender_result_fn fn, void *arg)
{
        sd->fn = fn;
        sd->fnarg = arg;
}

void
sender_free(struct sender *sd)
{
        struct err e = { 0 };

        if (sd == NULL)
                return;
        for (size_t i = 0; i < sd->nd; i++) {
                struct delivery *d = sd->d[i];

                if (d->job != NULL) {
                        smtp_cancel(d->job);
                        d->job = NULL;
                        /* it may have got as far as the end of the data: same bytes again */
                        if (outbox_mark_retry(sd->store, d->m.id, time(NULL), time(NULL), 0,
                                              "interrupted (bidbroker stopped or reloaded): "
                                              "sent again with the same Message-ID", &e) < 0)
                                log_warnx("outbox %lld: %s (it is sent again at the next "
                                          "start)", (long long)d->m.id, e.msg);
                } else if (d->done && record(sd, d, &e) < 0) {
                        log_warnx("outbox %lld: %s (it is sent again at the next start)",
                                  (long long)d->m.id, e.msg);
                }
                delivery_free(d);
        }
        free(sd->d);
        /* the transfers given up stop within a second: let them, so none
         * outlives the process's libcurl (a reload waits that long at most) */
        smtp_pool_free(sd->pool, 2000);
        worker_free(sd->wk);
        mail_transport_clear(&sd->t);
        free(sd->maildir);
        free(sd->helo);
        free(sd->user);
        if (sd->password) {
                sodium_memzero(sd->password, strlen(sd->password));
                free(sd->password);
        }
        free(sd->return_path);
        free(sd);
}
