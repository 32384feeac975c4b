/*
 * smtp.c — one message to one recipient over SMTP with libcurl, one
 * curl_easy_perform on a worker thread (smtp.h says why not the loop's
 * multi), and the checks of the [mail] transport settings.
 *
 * libcurl does the protocol: EHLO (the URL's path is the EHLO name),
 * STARTTLS (CURLUSESSL_ALL: no TLS, no delivery), AUTH, MAIL FROM, one RCPT
 * TO, DATA with dot-stuffing.  The message is sent as stored (already CRLF;
 * CURLOPT_CRLF stays off, it would double the CRs).  A debug callback keeps
 * the last command verb sent and the last reply line received, so an error
 * names them ("RCPT TO: 550 5.1.1 no such user"); AUTH's arguments are never
 * kept.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "bidbroker/err.h"
#include "bidbroker/smtp.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/worker.h"
#include "bidbroker/util.h"

/* ---- settings ------------------------------------------------------------- */

void
mail_transport_clear(struct mail_transport *t)
{
        free(t->host);
        free(t->path);
        memset(t, 0, sizeof(*t));
}

/* A URL part, or NULL when it is absent. */
static char *
url_part(CURLU *u, CURLUPart what, unsigned flags)
{
        char *p = NULL, *copy;

        if (curl_url_get(u, what, &p, flags) != CURLUE_OK)
                return NULL;
        copy = xstrdup(p);
        curl_free(p);
        return copy;
}

int
mail_transport_parse(const char *spec, struct mail_transport *t, const char **why)
{
        CURLU *u = NULL;
        char *scheme = NULL, *user = NULL, *path = NULL, *query = NULL, *frag = NULL;
        char *port = NULL;
        int r = -EINVAL;

        memset(t, 0, sizeof(*t));
        if (str_startswith(spec, "maildir:")) {
                if (spec[8] == '\0' || str_has_control(spec + 8)) {
                        *why = "maildir: needs a directory, e.g. maildir:/var/mail/bidbroker";
                        return -EINVAL;
                }
                t->kind = MAIL_MAILDIR;
                t->path = xstrdup(spec + 8);
                return 0;
        }
        if (!str_startswith(spec, "smtp://") && !str_startswith(spec, "smtps://")) {
                *why = "use smtp://HOST:PORT (STARTTLS), smtps://HOST:PORT or maildir:PATH";
                return -EINVAL;
        }
        u = curl_url();
        if (u == NULL || curl_url_set(u, CURLUPART_URL, spec, 0) != CURLUE_OK) {
                *why = "not a valid URL";
                goto out;
        }
        scheme = url_part(u, CURLUPART_SCHEME, 0);
        t->host = url_part(u, CURLUPART_HOST, 0);
        user = url_part(u, CURLUPART_USER, 0);
        path = url_part(u, CURLUPART_PATH, 0);
        query = url_part(u, CURLUPART_QUERY, 0);
        frag = url_part(u, CURLUPART_FRAGMENT, 0);
        port = url_part(u, CURLUPART_PORT, CURLU_DEFAULT_PORT);
        if (t->host == NULL || t->host[0] == '\0')
                *why = "the URL names no host";
        else if (user != NULL)
                *why = "put the user name and password in the [mail] credentials file, "
                       "not in the URL";
        else if (path != NULL && strcmp(path, "/") != 0 && path[0] != '\0')
                *why = "the URL may not have a path (the EHLO name is [mail] helo)";
        else if (query != NULL || frag != NULL)
                *why = "the URL may not have a query or fragment";
        else if (port == NULL || parse_long(port, 1, 65535, &t->port) < 0)
                *why = "bad port";
        else
                r = 0;
        t->kind = scheme && strcmp(scheme, "smtps") == 0 ? MAIL_SMTPS : MAIL_SMTP;
out:
        if (r < 0)
                mail_transport_clear(t);
        curl_url_cleanup(u);
        free(scheme);
        free(user);
        free(path);
        free(query);
        free(frag);
        free(port);
        return r;
}

bool
mail_host_is_local(const char *host)
{
        unsigned char a[16];
        char buf[64];
        size_t n = strlen(host);

        if (strcmp(host, "localhost") == 0)
                return true;
        if (inet_pton(AF_INET, host, a) == 1)
                return a[0] == 127;
        if (n >= 2 && n < sizeof(buf) + 2 && host[0] == '[' && host[n - 1] == ']') {
                memcpy(buf, host + 1, n - 2);
                buf[n - 2] = '\0';
                host = buf;
        }
        return inet_pton(AF_INET6, host, a) == 1 && memcmp(a, &in6addr_loopback, 16) == 0;
}

int
mail_helo_check(const char *name, const char **why)
{
        size_t n = strlen(name);

        if (n == 0 || n > 255) {
                *why = "must be a host name of 1 to 255 characters";
                return -EINVAL;
        }
        if (name[0] == '[' && name[n - 1] == ']') {
                char buf[64];
                unsigned char a[16];

                if (n - 2 < sizeof(buf)) {
                        memcpy(buf, name + 1, n - 2);
                        buf[n - 2] = '\0';
                        if (inet_pton(AF_INET, buf, a) == 1 ||
                            (str_startswith(buf, "IPv6:") && inet_pton(AF_INET6, buf + 5, a) == 1))
                                return 0;
                }
                *why = "not an address literal ([192.0.2.1] or [IPv6:2001:db8::1])";
                return -EINVAL;
        }
        if (name[strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                        "0123456789-.")] != '\0' || name[0] == '.' || name[0] == '-' ||
            strstr(name, "..") != NULL) {
                *why = "a host name has only letters, digits, '-' and '.'";
                return -EINVAL;
        }
        return 0;
}

int
mail_address_check(const char *addr, const char **why)
{
        const char *at = strrchr(addr, '@');

        if (*addr == '\0' || strlen(addr) > 254 || at == NULL || at == addr || at[1] == '\0') {
                *why = "not an address of the form local@domain";
                return -EINVAL;
        }
        for (const char *p = addr; *p; p++)
                if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '<' || *p == '>' ||
                    *p == ',' || *p == '"' || *p == '(' || *p == ')') {
                        *why = "an address may not contain spaces, controls, <>, quotes, "
                               "commas or parentheses here";
                        return -EINVAL;
                }
        return 0;
}

int
mail_from_address(const char *msg, size_t len, char *out, size_t outlen)
{
        const char *end = msg + len, *p = msg;
        struct buf v;
        const char *why;
        char *val, *lt, *gt, *a;
        int r = -EINVAL;

        /* the header ends at the first empty line */
        while (p < end && !(p + 1 < end && p[0] == '\r' && p[1] == '\n')) {
                const char *eol = memchr(p, '\n', (size_t)(end - p));
                const char *next = eol ? eol + 1 : end;

                if ((size_t)(end - p) > 5 && strncasecmp(p, "From:", 5) == 0) {
                        /* the field with its continuation lines, unfolded */
                        buf_init(&v);
                        buf_add(&v, p + 5, (size_t)(next - p - 5));
                        while (next < end && (*next == ' ' || *next == '\t')) {
                                eol = memchr(next, '\n', (size_t)(end - next));
                                const char *n2 = eol ? eol + 1 : end;

                                buf_add(&v, next, (size_t)(n2 - next));
                                next = n2;
                        }
                        val = buf_steal(&v);
                        for (char *q = val; *q; q++)
                                if (*q == '\r' || *q == '\n' || *q == '\t')
                                        *q = ' ';
                        lt = strrchr(val, '<');
                        gt = lt ? strchr(lt, '>') : NULL;
                        if (lt && gt) {
                                *gt = '\0';
                                a = lt + 1;
                        } else {
                                a = str_trim(val);
                        }
                        if (mail_address_check(a, &why) == 0 && strlen(a) < outlen) {
                                memcpy(out, a, strlen(a) + 1);
                                r = 0;
                        }
                        free(val);
                        return r;
                }
                p = next;
        }
        return r;
}

/* ---- the result ----------------------------------------------------------------- */

/* The codes that mean our login, not the message: retried. */
static bool
auth_code(long code)
{
        return code == 530 || code == 534 || code == 535 || code == 538;
}

void
smtp_classify(CURLcode cc, long code, bool after_data, const char *cmd, const char *reply,
              const char *curl_error, struct mail_result *res)
{
        const char *what = curl_error && *curl_error ? curl_error : curl_easy_strerror(cc);
        const char *at = after_data ? "end of data" : cmd && *cmd ? cmd : "connect";

        memset(res, 0, sizeof(*res));
        res->code = code;
        if (cc == CURLE_OK) {
                res->verdict = MAIL_SENT;
                return;
        }
        if (code == 354 || (after_data && (code < 400 || code >= 600))) {
                /* the message went out; the reply to its end never came */
                res->verdict = MAIL_RETRY;
                res->ambiguous = true;
                snprintf(res->error, sizeof(res->error), "no reply after the message was "
                         "sent (%s); the server may have it: sent again with the same "
                         "Message-ID", what);
                return;
        }
        if (code >= 500 && code < 600) {
                res->verdict = auth_code(code) || cc == CURLE_LOGIN_DENIED ? MAIL_RETRY
                                                                           : MAIL_FAILED;
                snprintf(res->error, sizeof(res->error), "%s: %s%s", at,
                         reply && *reply ? reply : what,
                         res->verdict == MAIL_RETRY ? " (check [mail] credentials and auth)"
                                                    : "");
                return;
        }
        res->verdict = MAIL_RETRY;
        if (code >= 400 && code < 500)
                snprintf(res->error, sizeof(res->error), "%s: %s", at,
                         reply && *reply ? reply : what);
        else if (cc == CURLE_USE_SSL_FAILED)
                snprintf(res->error, sizeof(res->error), "the server does not offer STARTTLS "
                         "(required: [mail] starttls)");
        else
                snprintf(res->error, sizeof(res->error), "%s: %s", at, what);
}

/* ---- the pool ---------------------------------------------------------------------- */

struct smtp_pool {
        struct worker      *wk;
        pthread_mutex_t     mu;
        unsigned            live;               /* jobs not yet freed */
        bool                orphaned;           /* smtp_pool_free gave up waiting */
};

struct smtp_pool *
smtp_pool_new(struct worker *wk)
{
        struct smtp_pool *p = xcalloc(1, sizeof(*p));

        p->wk = wk;
        pthread_mutex_init(&p->mu, NULL);
        return p;
}

static void
pool_destroy(struct smtp_pool *p)
{
        pthread_mutex_destroy(&p->mu);
        free(p);
}

/* A job of p ended (on any thread); the last one frees an orphaned pool. */
static void
pool_leave(struct smtp_pool *p)
{
        bool last;

        pthread_mutex_lock(&p->mu);
        p->live--;
        last = p->orphaned && p->live == 0;
        pthread_mutex_unlock(&p->mu);
        if (last)
                pool_destroy(p);
}

void
smtp_pool_free(struct smtp_pool *p, int64_t wait_ms)
{
        int64_t end = time_mono_ms() + wait_ms;
        bool busy;

        if (p == NULL)
                return;
        for (;;) {
                pthread_mutex_lock(&p->mu);
                busy = p->live > 0;
                if (busy && time_mono_ms() >= end)
                        p->orphaned = true;     /* the last job frees it */
                pthread_mutex_unlock(&p->mu);
                if (!busy)
                        break;
                if (p->orphaned)
                        return;
                nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
        }
        pool_destroy(p);
}

/* ---- one delivery ----------------------------------------------------------------- */

struct smtp_job {
        struct worker_job   wj;                 /* first: the worker's view */
        struct smtp_pool   *pool;
        CURL               *easy;
        struct curl_slist  *rcpt;
        char               *msg;                /* our copy */
        size_t              len, off;
        smtp_done_fn        fn;
        void               *arg;
        atomic_bool         abort;              /* smtp_cancel: stop at the next tick */
        /* written by the worker thread, read by done() after it */
        CURLcode            cc;
        bool                after_data;         /* 354 seen: the message is going out */
        char                cmd[32];            /* the last command verb sent */
        char                reply[200];         /* the last reply line */
        char                bad_cmd[32];        /* the same, at the first 4xx/5xx reply */
        char                bad_reply[200];
        char                errbuf[CURL_ERROR_SIZE];
};

static size_t
read_cb(char *buf, size_t size, size_t n, void *arg)
{
        struct smtp_job *j = arg;
        size_t want = size * n, left = j->len - j->off;

        if (atomic_load(&j->abort))
                return CURL_READFUNC_ABORT;
        if (want > left)
                want = left;
        memcpy(buf, j->msg + j->off, want);
        j->off += want;
        return want;
}

/* Called about once a second, blocking waits included: the way to stop. */
static int
progress_cb(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
        struct smtp_job *j = arg;

        (void)dt, (void)dn, (void)ut, (void)un;
        return atomic_load(&j->abort) ? 1 : 0;
}

/* Copy one protocol line, without CR LF and controls, at most cap - 1 bytes;
 * words > 0: only that many words. */
static void
keep_line(char *dst, size_t cap, const char *src, size_t n, size_t words)
{
        size_t k = 0;

        for (size_t i = 0; i < n && k + 1 < cap; i++) {
                unsigned char c = (unsigned char)src[i];

                if (c == '\r' || c == '\n')
                        break;
                if (c == ' ' && words != 0 && --words == 0)
                        break;
                dst[k++] = c < ' ' || c == 0x7f ? '?' : (char)c;
        }
        dst[k] = '\0';
}

static int
debug_cb(CURL *easy, curl_infotype type, char *data, size_t n, void *arg)
{
        struct smtp_job *j = arg;

        (void)easy;
        if (type == CURLINFO_HEADER_IN) {
                keep_line(j->reply, sizeof(j->reply), data, n, 0);
                if (n >= 3 && memcmp(data, "354", 3) == 0)
                        j->after_data = true;
                /* the first refusal: libcurl may say QUIT after it */
                if (n >= 1 && (data[0] == '4' || data[0] == '5') && j->bad_reply[0] == '\0') {
                        memcpy(j->bad_reply, j->reply, sizeof(j->reply));
                        snprintf(j->bad_cmd, sizeof(j->bad_cmd), "%s",
                                 j->after_data ? "end of data" : j->cmd);
                }
        } else if (type == CURLINFO_HEADER_OUT) {
                /* the verb only: "MAIL FROM", "RCPT TO", "AUTH", never its arguments */
                bool two = n > 5 && (strncasecmp(data, "MAIL ", 5) == 0 ||
                                     strncasecmp(data, "RCPT ", 5) == 0);

                keep_line(j->cmd, sizeof(j->cmd), data, n, two ? 2 : 1);
                if (two)                /* "RCPT TO:<a@b>" -> "RCPT TO" */
                        j->cmd[strcspn(j->cmd, ":")] = '\0';
        }
        return 0;
}

static void
job_free(struct smtp_job *j)
{
        struct smtp_pool *p;

        if (j == NULL)
                return;
        p = j->pool;
        curl_easy_cleanup(j->easy);
        curl_slist_free_all(j->rcpt);
        free(j->msg);
        free(j);
        if (p != NULL)
                pool_leave(p);
}

/* On the worker thread: the whole SMTP transaction, blocking. */
static void
job_run(struct worker_job *wj)
{
        struct smtp_job *j = (struct smtp_job *)wj;

        j->cc = atomic_load(&j->abort) ? CURLE_ABORTED_BY_CALLBACK : curl_easy_perform(j->easy);
}

/* On the loop thread, after job_run. */
static void
job_done(struct worker_job *wj)
{
        struct smtp_job *j = (struct smtp_job *)wj;
        struct mail_result res;
        long code = 0;

        curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &code);
        if (j->bad_reply[0] != '\0')
                smtp_classify(j->cc, code, false, j->bad_cmd, j->bad_reply, j->errbuf, &res);
        else
                smtp_classify(j->cc, code, j->after_data, j->cmd, j->reply, j->errbuf, &res);
        j->fn(j->arg, &res);
        job_free(j);
}

static void
job_release(struct worker_job *wj)
{
        job_free((struct smtp_job *)wj);
}

int
smtp_start(struct smtp_pool *pool, const struct smtp_conf *c, const char *from,
           const char *rcpt, const char *msg, size_t len, smtp_done_fn fn, void *arg,
           struct smtp_job **ret, struct err *e)
{
        struct smtp_job *j = xcalloc(1, sizeof(*j));
        char *url, *v;
        CURLcode cc = CURLE_OK;
        int r;

        j->msg = xmalloc(len ? len : 1);
        memcpy(j->msg, msg, len);
        j->len = len;
        j->fn = fn;
        j->arg = arg;
        atomic_init(&j->abort, false);
        j->easy = curl_easy_init();
        if (j->easy == NULL) {
                job_free(j);
                return err_set(e, -ENOMEM, "curl_easy_init failed");
        }
        v = xasprintf("<%s>", rcpt);
        j->rcpt = curl_slist_append(NULL, v);
        free(v);
        /* the path is the EHLO name */
        url = xasprintf("%s://%s:%ld/%s", c->kind == MAIL_SMTPS ? "smtps" : "smtp", c->host,
                        c->port, c->helo);
        v = xasprintf("<%s>", from);
#define SET(opt, val) do { if (cc == CURLE_OK) cc = curl_easy_setopt(j->easy, opt, val); } while (0)
        SET(CURLOPT_URL, url);
        SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
        SET(CURLOPT_MAIL_FROM, v);
        SET(CURLOPT_MAIL_RCPT, j->rcpt);
        SET(CURLOPT_UPLOAD, 1L);
        SET(CURLOPT_READFUNCTION, read_cb);
        SET(CURLOPT_READDATA, (void *)j);
        SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
        SET(CURLOPT_USE_SSL, (long)(c->kind == MAIL_SMTPS || c->starttls ? CURLUSESSL_ALL
                                                                          : CURLUSESSL_NONE));
        SET(CURLOPT_SSL_VERIFYPEER, 1L);
        SET(CURLOPT_SSL_VERIFYHOST, 2L);
        if (c->ca_file)
                SET(CURLOPT_CAINFO, c->ca_file);
        if (c->user) {
                SET(CURLOPT_USERNAME, c->user);
                SET(CURLOPT_PASSWORD, c->password ? c->password : "");
                SET(CURLOPT_SASL_IR, 1L);
                if (c->auth) {
                        char *opt = xasprintf("AUTH=%s", c->auth);

                        SET(CURLOPT_LOGIN_OPTIONS, opt);
                        free(opt);
                }
        }
        SET(CURLOPT_CONNECTTIMEOUT_MS, (long)c->connect_timeout_ms);
        SET(CURLOPT_SERVER_RESPONSE_TIMEOUT, (long)((c->reply_timeout_ms + 999) / 1000));
        SET(CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
        SET(CURLOPT_NOSIGNAL, 1L);
        SET(CURLOPT_NOPROGRESS, 0L);
        SET(CURLOPT_XFERINFOFUNCTION, progress_cb);
        SET(CURLOPT_XFERINFODATA, (void *)j);
        SET(CURLOPT_ERRORBUFFER, j->errbuf);
        SET(CURLOPT_DEBUGFUNCTION, debug_cb);
        SET(CURLOPT_DEBUGDATA, (void *)j);
        SET(CURLOPT_VERBOSE, 1L);               /* into debug_cb only */
#undef SET
        free(url);
        free(v);
        if (cc != CURLE_OK) {
                r = err_set(e, -EINVAL, "setting up the SMTP transfer: %s",
                            curl_easy_strerror(cc));
                job_free(j);
                return r;
        }
        j->wj.run = job_run;
        j->wj.done = job_done;
        j->wj.release = job_release;
        j->pool = pool;
        pthread_mutex_lock(&pool->mu);
        pool->live++;
        pthread_mutex_unlock(&pool->mu);
        worker_submit(pool->wk, &j->wj);
        *ret = j;
        return 0;
}

void
smtp_cancel(struct smtp_job *j)
{
        if (j == NULL)
                return;
        atomic_store(&j->abort, true);
        worker_cancel(j->pool->wk, &j->wj);     /* frees it, now or when it stops */
}
