/*
 * fetch.h — one defensive HTTP GET as a libcurl easy handle, for the poller's
 * multi handle: connect timeout and low-speed limits, and a total timeout
 * for a server that trickles just fast enough (total_timeout), gzip accepted, a body size cap (also enforced while reading, since
 * Content-Length may be absent), at most 5 redirects and only to http/https,
 * errors in an error buffer, conditional GET headers for feeds.  The response
 * status, body and the headers the poller needs are collected here; the
 * result is classified by fetch_classify().  Never logs.
 *
 * Ownership: struct fetch owns its easy handle, header list and body; the
 * caller adds fetch_handle() to a multi handle and must remove it before
 * fetch_free().
 */
#ifndef BIDBROKER_FETCH_H
#define BIDBROKER_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

struct err;
struct fetch;

struct fetch_opts {
        const char *url;
        const char *user_agent;
        int64_t     connect_timeout_ms;
        long        low_speed_limit;            /* bytes/s ... */
        int64_t     low_speed_time_ms;          /* ... for this long => abort */
        int64_t     total_timeout_ms;           /* the whole transfer; 0: no bound */
        long        max_body_bytes;             /* response size cap */
        const char *if_none_match;              /* ETag for conditional GET, or NULL */
        const char *if_modified_since;          /* Last-Modified, or NULL */
        void       *owner;                      /* returned by fetch_owner() */
};

/* The response, filled in by fetch_finish().  Strings are owned by the fetch. */
struct fetch_result {
        CURLcode    code;                       /* libcurl's result */
        long        status;                     /* HTTP status, 0 if none */
        const char *error;                      /* text for code != CURLE_OK, else "" */
        const char *body;                       /* NUL-terminated */
        size_t      len;
        bool        too_big;                    /* body exceeded max_body_bytes */
        bool        timed_out;                  /* not ended within total_timeout_ms */
        int64_t     total_timeout_ms;           /* as set, for the message */
        const char *retry_after;                /* header values, or NULL */
        const char *etag;
        const char *last_modified;
        const char *effective_url;              /* after redirects */
};

/* Set up a GET for opts->url.  On success *ret is owned by the caller. */
int fetch_new(const struct fetch_opts *opts, struct fetch **ret, struct err *err);
struct fetch *fetch_free(struct fetch *f);      /* NULL-safe, returns NULL */

CURL *fetch_handle(struct fetch *f);
void *fetch_owner(const struct fetch *f);
const char *fetch_url(const struct fetch *f);

/* Record libcurl's result for the transfer (from CURLMSG_DONE) and return
 * the response; valid until fetch_free(). */
const struct fetch_result *fetch_finish(struct fetch *f, CURLcode code);

/* Take the body (NUL-terminated, after fetch_finish) out of f: the caller
 * frees it; *len is its length.  f's result then has an empty body. */
char *fetch_take_body(struct fetch *f, size_t *len);

enum fetch_class {
        FETCH_OK,                       /* 2xx with a complete body */
        FETCH_NOT_MODIFIED,             /* 304 to a conditional GET */
        FETCH_RETRY_LATER,              /* 429 or 503: honour Retry-After */
        FETCH_FORBIDDEN,                /* 403 (Contracts Finder's rate-limit page) */
        FETCH_ERROR,                    /* anything else: back off and retry */
};
enum fetch_class fetch_classify(const struct fetch_result *r);

/* One line describing a failed result ("HTTP 500", "Timeout was reached",
 * "response larger than 1024 bytes") into buf; returns buf. */
const char *fetch_describe(const struct fetch_result *r, char *buf, size_t len);

/*
 * Parse a Retry-After value: delta seconds ("120") or an HTTP-date
 * ("Wed, 21 Oct 2015 07:28:00 GMT", via curl_getdate), relative to now_ms
 * (wall clock, Unix milliseconds).  A date in the past gives 0.  Capped at
 * one day.  0 with *ret_ms set, or -EINVAL when the value is unusable.
 */
int fetch_parse_retry_after(const char *value, int64_t now_ms, int64_t *ret_ms);

/* The User-Agent: "bidbroker/VERSION" plus " (+CONTACT)" when contact is set.
 * Caller frees. */
char *fetch_user_agent(const char *contact);

/* Host part of an http(s) URL, lower-cased, into a new string (caller frees);
 * NULL when url is not an absolute http:// or https:// URL. */
char *fetch_url_host(const char *url);
/* Resolve ref (absolute or relative) against base; NULL if that fails or the
 * result is not http/https.  Caller frees. */
char *fetch_url_resolve(const char *base, const char *ref);

#endif
