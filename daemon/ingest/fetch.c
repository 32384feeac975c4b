/*
 * fetch.c — libcurl easy-handle setup and response handling for the poller
 * (see fetch.h): every request tagged, bounded in time and size, its error
 * text collected.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bidbroker/err.h"
#include "bidbroker/fetch.h"
#include "bidbroker/util.h"

#ifndef BIDBROKER_VERSION
#define BIDBROKER_VERSION "0.1.0"
#endif

#define RETRY_AFTER_MAX_MS (86400LL * 1000)
#define HEADER_VALUE_MAX   1024

struct fetch {
        CURL               *easy;
        struct curl_slist  *headers;
        void               *owner;
        char               *url;
        char                errbuf[CURL_ERROR_SIZE];
        struct buf          body;
        long                max_body;
        int64_t             total_timeout_ms;
        bool                too_big;
        char               *retry_after;
        char               *etag;
        char               *last_modified;
        struct fetch_result res;
};

static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
        struct fetch *f = arg;
        size_t n = size * nmemb;

        /* Content-Length may be absent or lie: the body's cap holds while reading. */
        if (buf_add(&f->body, ptr, n) < 0) {
                f->too_big = true;
                return 0;               /* CURLE_WRITE_ERROR */
        }
        return n;
}

/* Copy a header value (trimmed) if the line is "name: value". */
static void
take_header(char **dst, const char *name, const char *line, size_t len)
{
        size_t nl = strlen(name);
        const char *v, *end;

        if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
                return;
        v = line + nl + 1;
        end = line + len;
        while (v < end && (*v == ' ' || *v == '\t'))
                v++;
        while (end > v && isspace((unsigned char)end[-1]))
                end--;
        if ((size_t)(end - v) > HEADER_VALUE_MAX)
                return;
        free(*dst);
        *dst = xstrndup(v, (size_t)(end - v));
}

static size_t
header_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
        struct fetch *f = arg;
        size_t n = size * nmemb;

        /* A new status line (redirect, 100-continue): forget earlier headers. */
        if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
                free(f->retry_after);
                free(f->etag);
                free(f->last_modified);
                f->retry_after = f->etag = f->last_modified = NULL;
                return n;
        }
        take_header(&f->retry_after, "Retry-After", ptr, n);
        take_header(&f->etag, "ETag", ptr, n);
        take_header(&f->last_modified, "Last-Modified", ptr, n);
        return n;
}

char *
fetch_user_agent(const char *contact)
{
        if (contact != NULL && *contact)
                return xasprintf("bidbroker/%s (+%s)", BIDBROKER_VERSION, contact);
        return xasprintf("bidbroker/%s", BIDBROKER_VERSION);
}

#define SETOPT(h, opt, val)                                                     \
        do {                                                                    \
                CURLcode c_ = curl_easy_setopt((h), (opt), (val));              \
                if (c_ != CURLE_OK) {                                           \
                        r = err_set(err, -EINVAL, "curl option %s: %s", #opt,   \
                                    curl_easy_strerror(c_));                    \
                        goto fail;                                              \
                }                                                               \
        } while (0)

int
fetch_new(const struct fetch_opts *o, struct fetch **ret, struct err *err)
{
        struct fetch *f = xcalloc(1, sizeof(*f));
        long lst;
        int r;

        buf_init(&f->body);
        f->owner = o->owner;
        f->url = xstrdup(o->url);
        f->max_body = o->max_body_bytes > 0 ? o->max_body_bytes : 32L << 20;
        buf_set_max(&f->body, (size_t)f->max_body);
        f->easy = curl_easy_init();
        if (f->easy == NULL) {
                r = err_set(err, -ENOMEM, "curl_easy_init failed");
                goto fail;
        }
        SETOPT(f->easy, CURLOPT_URL, f->url);
        SETOPT(f->easy, CURLOPT_PRIVATE, (void *)f);
        SETOPT(f->easy, CURLOPT_ERRORBUFFER, f->errbuf);
        SETOPT(f->easy, CURLOPT_NOSIGNAL, 1L);
        SETOPT(f->easy, CURLOPT_PROTOCOLS_STR, "http,https");
        SETOPT(f->easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        SETOPT(f->easy, CURLOPT_FOLLOWLOCATION, 1L);
        SETOPT(f->easy, CURLOPT_MAXREDIRS, 5L);
        SETOPT(f->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)o->connect_timeout_ms);
        SETOPT(f->easy, CURLOPT_LOW_SPEED_LIMIT, o->low_speed_limit);
        lst = (long)((o->low_speed_time_ms + 999) / 1000);
        SETOPT(f->easy, CURLOPT_LOW_SPEED_TIME, lst < 1 ? 1L : lst);
        if (o->total_timeout_ms > 0)
                SETOPT(f->easy, CURLOPT_TIMEOUT_MS, (long)o->total_timeout_ms);
        f->total_timeout_ms = o->total_timeout_ms;
        SETOPT(f->easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->max_body);
        SETOPT(f->easy, CURLOPT_ACCEPT_ENCODING, "");          /* all built-in: gzip, ... */
        SETOPT(f->easy, CURLOPT_USERAGENT, o->user_agent);
        SETOPT(f->easy, CURLOPT_WRITEFUNCTION, write_cb);
        SETOPT(f->easy, CURLOPT_WRITEDATA, (void *)f);
        SETOPT(f->easy, CURLOPT_HEADERFUNCTION, header_cb);
        SETOPT(f->easy, CURLOPT_HEADERDATA, (void *)f);
        SETOPT(f->easy, CURLOPT_HTTPGET, 1L);
        f->headers = curl_slist_append(f->headers, "Accept: application/json, "
                                       "application/atom+xml, application/rss+xml, "
                                       "application/xml;q=0.9, */*;q=0.5");
        if (o->if_none_match != NULL && *o->if_none_match) {
                char *h = xasprintf("If-None-Match: %s", o->if_none_match);

                f->headers = curl_slist_append(f->headers, h);
                free(h);
        }
        if (o->if_modified_since != NULL && *o->if_modified_since) {
                char *h = xasprintf("If-Modified-Since: %s", o->if_modified_since);

                f->headers = curl_slist_append(f->headers, h);
                free(h);
        }
        if (f->headers == NULL) {
                r = err_set(err, -ENOMEM, "curl_slist_append failed");
                goto fail;
        }
        SETOPT(f->easy, CURLOPT_HTTPHEADER, f->headers);
        *ret = f;
        return 0;
fail:
        fetch_free(f);
        return r;
}

struct fetch *
fetch_free(struct fetch *f)
{
        if (f == NULL)
                return NULL;
        if (f->easy != NULL)
                curl_easy_cleanup(f->easy);
        curl_slist_free_all(f->headers);
        buf_done(&f->body);
        free(f->url);
        free(f->retry_after);
        free(f->etag);
        free(f->last_modified);
        free(f);
        return NULL;
}

CURL *
fetch_handle(struct fetch *f)
{
        return f->easy;
}

void *
fetch_owner(const struct fetch *f)
{
        return f->owner;
}

const char *
fetch_url(const struct fetch *f)
{
        return f->url;
}

const struct fetch_result *
fetch_finish(struct fetch *f, CURLcode code)
{
        struct fetch_result *r = &f->res;
        char *eff = NULL;

        memset(r, 0, sizeof(*r));
        r->code = code;
        (void)curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &r->status);
        (void)curl_easy_getinfo(f->easy, CURLINFO_EFFECTIVE_URL, &eff);
        r->effective_url = eff ? eff : f->url;
        r->too_big = f->too_big || code == CURLE_FILESIZE_EXCEEDED;
        r->total_timeout_ms = f->total_timeout_ms;
        if (code == CURLE_OPERATION_TIMEDOUT && f->total_timeout_ms > 0) {
                curl_off_t us = 0;

                /* The connect and low-speed limits time out with the same
                 * code: only a transfer that lasted the whole bound is ours
                 * (libcurl checks its timers to the millisecond). */
                (void)curl_easy_getinfo(f->easy, CURLINFO_TOTAL_TIME_T, &us);
                r->timed_out = us / 1000 + 10 >= f->total_timeout_ms;
        }
        if (code == CURLE_OK)
                r->error = "";
        else
                r->error = f->errbuf[0] ? f->errbuf : curl_easy_strerror(code);
        buf_add(&f->body, "", 0);               /* make sure data is non-NULL */
        r->body = f->body.data ? f->body.data : "";
        r->len = f->body.len;
        r->retry_after = f->retry_after;
        r->etag = f->etag;
        r->last_modified = f->last_modified;
        return r;
}

char *
fetch_take_body(struct fetch *f, size_t *len)
{
        char *data;

        buf_add(&f->body, "", 0);               /* make sure data is non-NULL */
        data = f->body.data;
        *len = f->body.len;
        buf_init(&f->body);
        f->res.body = "";
        return data;
}

enum fetch_class
fetch_classify(const struct fetch_result *r)
{
        /* The status counts even when reading the body then failed: a 429
         * with a slow or cut body still means "come back later". */
        if (r->status == 429 || r->status == 503)
                return FETCH_RETRY_LATER;
        if (r->status == 403)
                return FETCH_FORBIDDEN;
        if (r->code != CURLE_OK || r->too_big)
                return FETCH_ERROR;
        if (r->status == 304)
                return FETCH_NOT_MODIFIED;
        if (r->status >= 200 && r->status < 300)
                return FETCH_OK;
        return FETCH_ERROR;
}

const char *
fetch_describe(const struct fetch_result *r, char *buf, size_t len)
{
        if (r->too_big)
                snprintf(buf, len, "response larger than the size cap (max_body_bytes)");
        else if (r->timed_out)
                snprintf(buf, len, "no complete response within total_timeout (%gs): %s",
                         (double)r->total_timeout_ms / 1000, r->error);
        else if (r->code != CURLE_OK && r->status >= 400)
                snprintf(buf, len, "HTTP %ld (%s)", r->status, r->error);
        else if (r->code != CURLE_OK)
                snprintf(buf, len, "%s", r->error);
        else
                snprintf(buf, len, "HTTP %ld", r->status);
        return buf;
}

int
fetch_parse_retry_after(const char *value, int64_t now_ms, int64_t *ret_ms)
{
        const char *p;
        int64_t ms;

        if (value == NULL)
                return -EINVAL;
        while (*value == ' ' || *value == '\t')
                value++;
        if (*value == '\0')
                return -EINVAL;
        for (p = value; isdigit((unsigned char)*p); p++)
                ;
        if (p != value) {
                long long s;

                while (*p == ' ' || *p == '\t')
                        p++;
                if (*p != '\0' || p - value > 12)
                        return -EINVAL;
                s = strtoll(value, NULL, 10);
                ms = s > RETRY_AFTER_MAX_MS / 1000 ? RETRY_AFTER_MAX_MS : (int64_t)s * 1000;
        } else {
                time_t t = curl_getdate(value, NULL);

                if (t == (time_t)-1)
                        return -EINVAL;
                ms = (int64_t)t * 1000 - now_ms;
                if (ms < 0)
                        ms = 0;
        }
        if (ms > RETRY_AFTER_MAX_MS)
                ms = RETRY_AFTER_MAX_MS;
        *ret_ms = ms;
        return 0;
}

static bool
scheme_ok(const char *s)
{
        return s != NULL && (strcasecmp(s, "http") == 0 || strcasecmp(s, "https") == 0);
}

char *
fetch_url_host(const char *url)
{
        CURLU *u = curl_url();
        char *scheme = NULL, *host = NULL, *ret = NULL;

        if (u == NULL)
                return NULL;
        if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
                goto out;
        if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK || !scheme_ok(scheme))
                goto out;
        if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
                goto out;
        ret = xstrdup(host);
        for (char *c = ret; *c; c++)
                *c = (char)tolower((unsigned char)*c);
out:
        curl_free(scheme);
        curl_free(host);
        curl_url_cleanup(u);
        return ret;
}

char *
fetch_url_resolve(const char *base, const char *ref)
{
        CURLU *u = curl_url();
        char *scheme = NULL, *full = NULL, *ret = NULL;

        if (u == NULL)
                return NULL;
        if (curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK)
                goto out;
        /* With a base already set, curl resolves a relative reference. */
        if (curl_url_set(u, CURLUPART_URL, ref, 0) != CURLUE_OK)
                goto out;
        if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK || !scheme_ok(scheme))
                goto out;
        if (curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK)
                goto out;
        ret = xstrdup(full);
out:
        curl_free(scheme);
        curl_free(full);
        curl_url_cleanup(u);
        return ret;
}
