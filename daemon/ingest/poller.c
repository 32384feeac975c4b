/*
 * poller.c — the pollset: windowed, polite, fault-tolerant polling of the
 * configured sources, its transfers on the one multi of transfers.h (see
 * poller.h).
 *
 * Per source, a pass covers [start, until] in windows of at most 'window'
 * (FTS 6 h, Contracts Finder 1 d), oldest first; start is the watermark minus
 * 'overlap' (or until - 'start' on the first run, or --since).  Each window
 * is read page by page following links.next; each page is parsed whole, then
 * stored with the source state in one transaction, and the watermark moves to
 * the window's end with its last page.  A full page without a next link means
 * the service truncated the window: it is split in two and both halves are
 * re-read.  Cursor loops and repeated pages abort the window (retried later).
 *
 * Politeness: one request at a time per host, request starts at least
 * min_interval apart; Retry-After (429/503), Contracts Finder's 403 page
 * (rate_limit_wait) and errors (exponential back-off with jitter, capped at
 * backoff_max) delay the source; 429/503/403 also hold the host.  Waits use
 * CLOCK_MONOTONIC; windows use UTC wall time (or the fixed --now).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <curl/curl.h>

#include "bidbroker/err.h"
#include "bidbroker/feed.h"
#include "bidbroker/fetch.h"
#include "bidbroker/hash.h"
#include "bidbroker/links.h"
#include "bidbroker/log.h"
#include "bidbroker/ocds.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/poller.h"
#include "bidbroker/source.h"
#include "bidbroker/store.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/transfers.h"
#include "bidbroker/util.h"
#include "bidbroker/worker.h"

#define MIN_WINDOW_S            60      /* a truncated window is split down to this */
#define MAX_PAGES_PER_WINDOW    5000    /* a sanity bound beyond loop detection */
#define SPLIT_DEPTH_MAX         64

enum phase {
        PH_IDLE,                /* daemon: waiting for the next pass */
        PH_READY,               /* a request is to be made at 'due' */
        PH_BUSY,                /* a request is in flight (or done: 'completed') */
        PH_PARSING,             /* its body is being parsed (on the worker) */
        PH_DONE,                /* once: reached 'until' */
        PH_FAILED,              /* once: gave up */
};

struct window {
        int64_t from, to;       /* UTC seconds, inclusive bounds in the query */
};

struct host {
        char    *name;
        int64_t  next_ok;       /* monotonic ms: no request start before */
        int64_t  spacing_ms;    /* largest min_interval of its sources */
        bool     busy;          /* a request is in flight */
};

struct psource {
        struct pollset           *ps;
        const struct source_conf *sc;
        size_t                    host;         /* index into ps->hosts */
        struct source_state       st;
        enum phase                phase;
        int64_t                   due;          /* monotonic ms */
        int64_t                   started;      /* monotonic ms: fx submitted */
        bool                      first_pass;

        /* the current pass */
        int64_t                   until;
        int64_t                   pos;          /* next unplanned window start */
        struct window            *stack;        /* split halves to read, top = next */
        size_t                    nstack, capstack;
        struct window             cur;
        bool                      have_cur;
        char                     *page_url;     /* next page to fetch; NULL: first page */
        unsigned                  page_no;
        struct strv               seen_urls;    /* in this window */
        struct strv               prev_ids;     /* release ids of the previous page */
        struct strv               page_hashes;  /* page N's content hash is [N-1] */
        struct fetch             *fx;
        bool                      completed;    /* fx's transfer ended with 'code' */
        CURLcode                  code;
        struct parse_job         *job;          /* PH_PARSING: fx's body */
        bool                      parsed;       /* job is done */
        unsigned                  run_failures; /* consecutive, in this process */

        /* counters for this window (log line) and for the whole run */
        size_t                    w_pages, w_new, w_updated, w_seen, w_linked;
        size_t                    windows_done, windows_total, pages, news, updates;
        size_t                    linked;       /* to the other source's record (links.h) */
        size_t                    requests, errors;
};

struct pollset {
        struct store        *store;
        struct pollset_opts  opts;
        struct transfers    *tx;
        struct worker       *wk;                /* NULL: parse on this thread */
        struct psource      *src;
        size_t               nsrc;
        struct host         *hosts;
        size_t               nhosts;
        size_t               rr;                /* round-robin start for fairness */
        uint64_t             rng;
        size_t               ncompleted;        /* sources with 'completed' or 'parsed' */
};

/* ---- clocks and randomness ------------------------------------------------ */

static int64_t
wall_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* xorshift64*: good enough for jitter, no global state. */
static double
rand01(struct pollset *ps)
{
        uint64_t x = ps->rng;

        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        ps->rng = x;
        return (double)((x * 2685821657736338717ULL) >> 11) / (double)(1ULL << 53);
}

/* "2025-01-20T06:00:00", the query format of both services (UTC). */
static char *
fmt_query_time(int64_t t, char *buf, size_t len)
{
        time_t tt = (time_t)t;
        struct tm tm;

        if (gmtime_r(&tt, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
                snprintf(buf, len, "?");
        return buf;
}

static char *
fmt_ms(int64_t ms, char *buf, size_t len)
{
        if (ms < 10000)
                snprintf(buf, len, "%.2fs", (double)ms / 1000);
        else if (ms < 3600000)
                snprintf(buf, len, "%llds", (long long)(ms / 1000));
        else
                snprintf(buf, len, "%lldm", (long long)(ms / 60000));
        return buf;
}

/* "fts window 2025-01-20T00:00:00..2025-01-20T06:00:00" (or "feed NAME"). */
static char *
window_name(const struct psource *s)
{
        char a[32], b[32];

        if (s->sc->type == SOURCE_FEED)
                return xasprintf("%s feed", s->sc->name);
        return xasprintf("%s window %s..%s", s->sc->name,
                         fmt_query_time(s->cur.from, a, sizeof(a)),
                         fmt_query_time(s->cur.to, b, sizeof(b)));
}

/* ---- windows -------------------------------------------------------------- */

static void
push_window(struct psource *s, int64_t from, int64_t to)
{
        if (s->nstack == s->capstack) {
                s->capstack = s->capstack ? s->capstack * 2 : 8;
                s->stack = xreallocarray(s->stack, s->capstack, sizeof(*s->stack));
        }
        s->stack[s->nstack++] = (struct window){ from, to };
}

static void
reset_window_reading(struct psource *s)
{
        free(s->page_url);
        s->page_url = NULL;
        s->page_no = 0;
        strv_done(&s->seen_urls);
        strv_done(&s->prev_ids);
        strv_done(&s->page_hashes);
        s->w_pages = s->w_new = s->w_updated = s->w_seen = s->w_linked = 0;
}

/* Pick the next window to read; false when the pass is complete. */
static bool
next_window(struct psource *s)
{
        int64_t w = s->sc->window_ms / 1000;

        reset_window_reading(s);
        if (s->nstack > 0) {
                s->cur = s->stack[--s->nstack];
        } else if (s->pos < s->until) {
                s->cur.from = s->pos;
                s->cur.to = s->pos + w < s->until ? s->pos + w : s->until;
                s->pos = s->cur.to;
        } else {
                s->have_cur = false;
                return false;
        }
        s->have_cur = true;
        return true;
}

static int64_t
pass_until(const struct pollset *ps, const struct psource *s)
{
        if (s->first_pass && ps->opts.until != TIME_UNKNOWN)
                return ps->opts.until;
        if (ps->opts.fixed_clock && ps->opts.until != TIME_UNKNOWN)
                return ps->opts.until;
        return wall_ms() / 1000;
}

/* Plan a pass of s up to now/until, from the watermark. */
static void
begin_pass(struct pollset *ps, struct psource *s, int64_t now)
{
        int64_t start, w = s->sc->window_ms / 1000;

        s->until = pass_until(ps, s);
        if (s->first_pass && ps->opts.since != TIME_UNKNOWN)
                start = ps->opts.since;
        else if (s->st.watermark == TIME_UNKNOWN)
                start = s->until - s->sc->start_ms / 1000;
        else
                start = s->st.watermark - s->sc->overlap_ms / 1000;
        if (start > s->until)
                start = s->until;
        s->first_pass = false;
        s->pos = start;
        s->nstack = 0;
        s->windows_done = 0;
        if (s->sc->type == SOURCE_FEED) {
                s->windows_total = 1;
                s->cur = (struct window){ start, s->until };
                s->have_cur = true;
                reset_window_reading(s);
        } else {
                s->windows_total = (size_t)((s->until - start + w - 1) / w);
                s->have_cur = false;
                if (!next_window(s)) {
                        s->windows_total = 0;
                        s->phase = ps->opts.once ? PH_DONE : PH_IDLE;
                        s->due = now + s->sc->interval_ms;
                        return;
                }
        }
        s->phase = PH_READY;
        if (s->due < now)
                s->due = now;
}

static void
pass_complete(struct pollset *ps, struct psource *s, int64_t now)
{
        char wm[32];

        s->have_cur = false;
        if (ps->opts.once) {
                s->phase = PH_DONE;
                log_debug("%s: caught up to %s", s->sc->name,
                          time_format_utc(s->until, wm, sizeof(wm)));
                return;
        }
        /* The next pass after 'interval', jittered by +-10 % so sources drift apart. */
        s->phase = PH_IDLE;
        s->due = now + (int64_t)((double)s->sc->interval_ms * (0.9 + 0.2 * rand01(ps)));
}

/* ---- state persistence ------------------------------------------------------ */

static void
set_last_error(struct psource *s, const char *msg)
{
        free(s->st.last_error);
        s->st.last_error = msg ? xstrdup(msg) : NULL;
}

/* Write the source state in a transaction of its own.  <0: store failure. */
static int
persist_state(struct pollset *ps, struct psource *s, struct err *err)
{
        int r;

        r = store_begin(ps->store, err);
        if (r < 0)
                return r;
        r = store_source_put(ps->store, s->sc->name, &s->st, err);
        if (r < 0) {
                store_rollback(ps->store);
                return r;
        }
        r = store_commit(ps->store, err);
        if (r < 0)
                store_rollback(ps->store);
        return r;
}

/* ---- failures and back-off ---------------------------------------------------- */

enum fail_kind {
        FAIL_BACKOFF,           /* exponential back-off with jitter */
        FAIL_RETRY_AFTER,       /* 429/503: the given delay, or default_retry_after */
        FAIL_RATE_LIMIT,        /* Contracts Finder's 403: rate_limit_wait */
};

static int64_t
backoff_ms(struct pollset *ps, const struct psource *s)
{
        int64_t d = s->sc->backoff_initial_ms;
        int64_t cap = s->sc->backoff_max_ms;

        for (int64_t i = 1; i < s->st.failures && d < cap; i++)
                d *= 2;
        if (d > cap)
                d = cap;
        /* "Equal jitter": half fixed, half random, so retries spread out. */
        return d / 2 + (int64_t)((double)(d - d / 2) * rand01(ps));
}

/*
 * Record a failure of the current request: count it, choose the delay,
 * persist failures/last_error/next_attempt, and either schedule the retry or
 * (once) give the source up.  'restart' re-reads the window from its first
 * page.  Returns <0 only on a store failure.
 */
static int
source_fail(struct pollset *ps, struct psource *s, enum fail_kind kind, int64_t delay_ms,
            bool restart, const char *msg, struct err *err)
{
        struct host *h = &ps->hosts[s->host];
        int64_t now = time_mono_ms();
        char *where = window_name(s);
        char d[32];
        int r;

        s->errors++;
        s->run_failures++;
        s->st.failures++;
        if (kind == FAIL_BACKOFF)
                delay_ms = backoff_ms(ps, s);
        if (delay_ms < 0)
                delay_ms = 0;
        set_last_error(s, msg);
        s->st.next_attempt = (wall_ms() + delay_ms + 999) / 1000;
        if (kind != FAIL_BACKOFF && h->next_ok < now + delay_ms)
                h->next_ok = now + delay_ms;    /* the host asked everyone to wait */
        s->due = now + delay_ms;

        if (ps->opts.once && ((ps->opts.max_wait_ms > 0 && delay_ms > ps->opts.max_wait_ms) ||
                              (ps->opts.max_failures > 0 &&
                               s->run_failures >= ps->opts.max_failures))) {
                s->phase = PH_FAILED;
                log_err("%s page %u: %s; giving up for this run (%s: the next attempt "
                        "would be in %s; failure %" PRId64 ")", where, s->page_no + 1, msg,
                        delay_ms > ps->opts.max_wait_ms && ps->opts.max_wait_ms > 0 ?
                        "the wait exceeds --max-wait" : "too many failures in a row",
                        fmt_ms(delay_ms, d, sizeof(d)), s->st.failures);
        } else {
                s->phase = PH_READY;
                log_warnx("%s page %u: %s; retrying in %s (failure %" PRId64 ")", where,
                          s->page_no + 1, msg, fmt_ms(delay_ms, d, sizeof(d)),
                          s->st.failures);
        }
        free(where);
        if (restart)
                reset_window_reading(s);
        r = persist_state(ps, s, err);
        return r < 0 ? r : 0;
}

/* ---- requests ------------------------------------------------------------------ */

static char *
first_page_url(const struct psource *s)
{
        const char *url = s->sc->url;
        const char *sep = strchr(url, '?') ? "&" : "?";
        char a[32], b[32];

        if (s->sc->type == SOURCE_FEED)
                return xstrdup(url);
        fmt_query_time(s->cur.from, a, sizeof(a));
        fmt_query_time(s->cur.to, b, sizeof(b));
        /* No stages=: the services' stage filters have dropped releases. */
        if (s->sc->type == SOURCE_FTS)
                return xasprintf("%s%supdatedFrom=%s&updatedTo=%s&limit=%ld", url, sep, a, b,
                                 s->sc->page_limit);
        return xasprintf("%s%spublishedFrom=%s&publishedTo=%s&limit=%ld", url, sep, a, b,
                         s->sc->page_limit);
}

/* From the loop: the transfer ended; pollset_step() handles it. */
static void
transfer_done(void *arg, CURL *easy, CURLcode code)
{
        struct psource *s = arg;

        (void)easy;
        s->completed = true;
        s->code = code;
        s->ps->ncompleted++;
}

static int
start_request(struct pollset *ps, struct psource *s, int64_t now, struct err *err)
{
        struct host *h = &ps->hosts[s->host];
        struct fetch_opts fo = { 0 };
        char *ua;
        int r;

        if (s->page_url == NULL) {
                char *u = first_page_url(s);

                /* In the form links.next are compared in (resolved by curl). */
                s->page_url = fetch_url_resolve(u, u);
                if (s->page_url == NULL)
                        s->page_url = u;
                else
                        free(u);
                strv_add(&s->seen_urls, s->page_url);
        }
        ua = fetch_user_agent(s->sc->contact);
        fo.url = s->page_url;
        fo.user_agent = ua;
        fo.connect_timeout_ms = s->sc->connect_timeout_ms;
        fo.low_speed_limit = s->sc->low_speed_limit;
        fo.low_speed_time_ms = s->sc->low_speed_time_ms;
        fo.total_timeout_ms = s->sc->total_timeout_ms;
        fo.max_body_bytes = s->sc->max_body_bytes;
        fo.owner = s;
        if (s->sc->type == SOURCE_FEED) {
                fo.if_none_match = s->st.etag;
                fo.if_modified_since = s->st.last_modified;
        }
        r = fetch_new(&fo, &s->fx, err);
        free(ua);
        if (r < 0)
                return r;
        s->completed = false;
        r = transfers_submit(ps->tx, fetch_handle(s->fx), transfer_done, s, err);
        if (r < 0) {
                s->fx = fetch_free(s->fx);
                return r;
        }
        log_debug("%s: GET %s", s->sc->name, s->page_url);
        h->busy = true;
        h->next_ok = now + h->spacing_ms;       /* spacing between request starts */
        s->started = now;
        s->phase = PH_BUSY;
        s->requests++;
        return 0;
}

/* ---- parsing, off the loop thread ---------------------------------------------------- */

/*
 * A body to parse.  It owns everything the worker thread reads (the body,
 * the names) and what it writes (page, perr, rc), so a source that is freed
 * meanwhile (a reload, a stop) can give the job up (worker_cancel).
 */
struct parse_job {
        struct worker_job           wj;         /* first: the worker's view */
        struct psource             *s;          /* read on the loop thread only */
        const struct fetch_result  *res;        /* ditto: s->fx's, lives as long */
        bool                        feed;
        char                       *name;       /* "page N", or the feed's name */
        char                       *source;     /* "feed:NAME" */
        char                       *body;
        size_t                      len;
        struct ocds_page            page;
        struct err                  perr;
        int                         rc;
};

static void
parse_run(struct worker_job *wj)
{
        struct parse_job *j = (struct parse_job *)(void *)wj;

        if (j->feed)
                j->rc = feed_parse(j->name, j->source, j->body, j->len, &j->page, &j->perr);
        else
                j->rc = ocds_parse(j->name, j->body, j->len, &j->page, &j->perr);
        free(j->body);
        j->body = NULL;
}

static void
parse_release(struct worker_job *wj)
{
        struct parse_job *j = (struct parse_job *)(void *)wj;

        ocds_page_done(&j->page);
        free(j->body);
        free(j->name);
        free(j->source);
        free(j);
}

/* On the loop thread: the next pollset_step() stores the page. */
static void
parse_done(struct worker_job *wj)
{
        struct parse_job *j = (struct parse_job *)(void *)wj;

        j->s->parsed = true;
        j->s->ps->ncompleted++;
}

/* Hand a 2xx body to the worker (or parse it here without one). */
static void
start_parse(struct pollset *ps, struct psource *s, const struct fetch_result *res)
{
        struct parse_job *j = xcalloc(1, sizeof(*j));

        j->wj.run = parse_run;
        j->wj.done = parse_done;
        j->wj.release = parse_release;
        j->s = s;
        j->res = res;
        j->feed = s->sc->type == SOURCE_FEED;
        if (j->feed) {
                j->name = xstrdup(s->sc->name);
                j->source = xasprintf("feed:%s", s->sc->name);
        } else {
                j->name = xasprintf("page %u", s->page_no + 1);
        }
        j->body = fetch_take_body(s->fx, &j->len);
        ocds_page_init(&j->page);
        s->job = j;
        s->phase = PH_PARSING;
        if (ps->wk != NULL) {
                worker_submit(ps->wk, &j->wj);
        } else {
                parse_run(&j->wj);
                parse_done(&j->wj);
        }
}

/* ---- pages ------------------------------------------------------------------------ */

static bool
same_ids(const struct strv *a, const struct strv *b)
{
        if (a->n == 0 || a->n != b->n)
                return false;
        for (size_t i = 0; i < a->n; i++)
                if (strcmp(a->v[i], b->v[i]) != 0)
                        return false;
        return true;
}

/* What a page says, without its links: its releases, in order.  Two pages
 * of one walk with the same hash are a cursor cycle whatever their URLs. */
static void
page_hash(const struct ocds_page *page, char out[HASH_HEX_LEN])
{
        struct hasher h;

        hasher_init(&h, "bidbroker page content v1");
        hasher_int(&h, (int64_t)page->n);
        for (size_t i = 0; i < page->n; i++) {
                hasher_str(&h, page->opps[i].release_id);
                hasher_str(&h, page->opps[i].raw);
        }
        hasher_hex(&h, out);
}

/* The 1-based number of an earlier page of this walk with this content, or 0. */
static unsigned
earlier_page(const struct psource *s, const char *hash)
{
        for (size_t i = 0; i < s->page_hashes.n; i++)
                if (strcmp(s->page_hashes.v[i], hash) == 0)
                        return (unsigned)i + 1;
        return 0;
}

/*
 * Store every notice of page and the source state in one transaction.
 * window_done moves the watermark to the window's end.  Returns 0; 1 with
 * *msg set when a notice could not be stored (page rolled back, retried
 * later); <0 when the store itself failed.
 */
static int
commit_page(struct pollset *ps, struct psource *s, const struct ocds_page *page,
            bool window_done, const struct fetch_result *res, char **msg, struct err *err)
{
        size_t nnew = 0, nupd = 0, nlinked;
        uint64_t links = store_links_made(ps->store);
        struct err perr = { 0 };
        struct source_state nst;
        char *etag = NULL, *lm = NULL;
        int r;

        r = store_begin(ps->store, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < page->n; i++) {
                enum store_put_result pr;

                if (store_put(ps->store, &page->opps[i], &pr, NULL, &perr) < 0) {
                        store_rollback(ps->store);
                        *msg = xasprintf("notice %s not stored: %s",
                                         page->opps[i].notice_id ? page->opps[i].notice_id
                                                                 : "?", perr.msg);
                        return 1;
                }
                if (pr == STORE_NEW)
                        nnew++;
                else if (pr == STORE_UPDATED)
                        nupd++;
        }
        /* The new state goes to the store first; s->st follows only once it
         * is committed, so a store that fails (e.g. locked) leaves s->st as
         * it was and the page can be fetched and stored again. */
        nst = s->st;                    /* its strings are s->st's or etag/lm below */
        if (window_done && (nst.watermark == TIME_UNKNOWN || s->cur.to > nst.watermark))
                nst.watermark = s->cur.to;
        if (res != NULL && s->sc->type == SOURCE_FEED) {
                nst.etag = etag = xstrdup(res->etag);
                nst.last_modified = lm = xstrdup(res->last_modified);
        }
        nst.failures = 0;
        nst.next_attempt = TIME_UNKNOWN;
        nst.last_error = NULL;
        nst.last_success = wall_ms() / 1000;
        r = store_source_put(ps->store, s->sc->name, &nst, err);
        nlinked = (size_t)(store_links_made(ps->store) - links);
        if (r == 0)
                r = store_commit(ps->store, err);
        if (r < 0) {
                store_rollback(ps->store);
                free(etag);
                free(lm);
                return r;
        }
        if (res != NULL && s->sc->type == SOURCE_FEED) {
                free(s->st.etag);
                free(s->st.last_modified);
        }
        set_last_error(s, NULL);
        s->st = nst;
        s->run_failures = 0;
        s->w_linked += nlinked;
        s->linked += nlinked;
        s->w_new += nnew;
        s->w_updated += nupd;
        s->w_seen += page->n;
        s->w_pages++;
        s->news += nnew;
        s->updates += nupd;
        s->pages++;
        return 0;
}

static void
window_finished(struct pollset *ps, struct psource *s, const char *note)
{
        char *where = window_name(s);
        char line[256];

        snprintf(line, sizeof(line),
                 "%s: %zu page%s, %zu notices (%zu new, %zu updated, %zu linked)%s%s",
                 where, s->w_pages, s->w_pages == 1 ? "" : "s", s->w_seen, s->w_new,
                 s->w_updated, s->w_linked, note ? "; " : "", note ? note : "");
        if (ps->opts.quiet_windows)
                log_debug("%s", line);
        else
                log_info("%s", line);
        free(where);
        s->windows_done++;
}

/* Log the releases a parser rejected (they stay rejected; not retried). */
static void
log_rejected(const struct psource *s, const struct ocds_page *page)
{
        for (size_t i = 0; i < page->rejected.n; i++)
                log_warnx("%s: %s", s->sc->name, page->rejected.msg[i]);
        if (page->rejected.dropped)
                log_warnx("%s: and %zu more rejected releases", s->sc->name,
                          page->rejected.dropped);
}

/* A parsed 2xx body of an OCDS source: check, store, go on. */
static int
handle_ocds_page(struct pollset *ps, struct psource *s, struct parse_job *job, struct err *err)
{
        struct ocds_page *page = &job->page;
        struct strv ids;
        char *name = window_name(s), *msg = NULL, *next = NULL, hash[HASH_HEX_LEN];
        const char *base = fetch_url(s->fx);
        unsigned earlier;
        bool truncated, window_done = false, split = false;
        int r = 0, rc;

        strv_init(&ids);
        if (job->rc < 0) {
                msg = xasprintf("invalid body (%zu bytes): %s", job->len, job->perr.msg);
                r = source_fail(ps, s, FAIL_BACKOFF, 0, false, msg, err);
                goto out;
        }
        log_rejected(s, page);
        for (size_t i = 0; i < page->n; i++)
                strv_add(&ids, page->opps[i].release_id ? page->opps[i].release_id : "");
        if (same_ids(&ids, &s->prev_ids)) {
                msg = xasprintf("page %u repeats the previous page's %zu releases; "
                                "abandoning the window", s->page_no + 1, ids.n);
                r = source_fail(ps, s, FAIL_BACKOFF, 0, true, msg, err);
                goto out;
        }
        if (page->next != NULL && *page->next) {
                char *nh, *bh = fetch_url_host(base);

                next = fetch_url_resolve(base, page->next);
                nh = next ? fetch_url_host(next) : NULL;
                if (next == NULL || nh == NULL || bh == NULL || strcmp(nh, bh) != 0) {
                        msg = xasprintf("links.next '%.200s' is not an http(s) URL on %s; "
                                        "not following it", page->next, bh ? bh : "this host");
                        free(nh);
                        free(bh);
                        r = source_fail(ps, s, FAIL_BACKOFF, 0, true, msg, err);
                        goto out;
                }
                free(nh);
                free(bh);
                page_hash(page, hash);
                if ((earlier = earlier_page(s, hash)) > 0) {
                        msg = xasprintf("cursor cycle: the same %zu releases as page %u of "
                                        "this window, under a new cursor URL; abandoning "
                                        "the window", page->n, earlier);
                        r = source_fail(ps, s, FAIL_BACKOFF, 0, true, msg, err);
                        goto out;
                }
                if (strv_contains(&s->seen_urls, next)) {
                        msg = xasprintf("cursor loop: links.next repeats an earlier URL of "
                                        "this window (%.200s); abandoning the window", next);
                        r = source_fail(ps, s, FAIL_BACKOFF, 0, true, msg, err);
                        goto out;
                }
                if (s->page_no + 1 >= MAX_PAGES_PER_WINDOW) {
                        msg = xasprintf("more than %d pages in one window; abandoning it",
                                        MAX_PAGES_PER_WINDOW);
                        r = source_fail(ps, s, FAIL_BACKOFF, 0, true, msg, err);
                        goto out;
                }
        }
        truncated = next == NULL && page->nreleases >= (size_t)s->sc->page_limit;
        if (truncated && s->cur.to - s->cur.from > MIN_WINDOW_S && s->nstack < SPLIT_DEPTH_MAX)
                split = true;
        else
                window_done = next == NULL;

        rc = commit_page(ps, s, page, window_done, NULL, &msg, err);
        if (rc < 0) {
                r = rc;
                goto out;
        }
        if (rc > 0) {
                r = source_fail(ps, s, FAIL_BACKOFF, 0, false, msg, err);
                goto out;
        }
        s->phase = PH_READY;
        if (next != NULL) {
                free(s->page_url);
                s->page_url = next;
                next = NULL;
                strv_add(&s->seen_urls, s->page_url);
                strv_add(&s->page_hashes, hash);
                strv_done(&s->prev_ids);
                s->prev_ids = ids;
                strv_init(&ids);
                s->page_no++;
                goto out;
        }
        if (split) {
                int64_t mid = s->cur.from + (s->cur.to - s->cur.from) / 2;

                log_notice("%s page %u: a full page (%zu) without links.next: the service "
                           "truncated the window; splitting it and re-reading both halves",
                           name, s->page_no + 1, page->nreleases);
                push_window(s, mid, s->cur.to);
                push_window(s, s->cur.from, mid);
                s->windows_total++;     /* one window became two */
        } else if (truncated) {
                window_finished(ps, s, "full page without links.next at the minimum window "
                                "size; accepted, notices beyond it may be missing");
                log_warnx("%s: full page without links.next at the smallest window "
                          "(%d s); accepted as is", name, MIN_WINDOW_S);
        } else {
                window_finished(ps, s, NULL);
        }
        if (!next_window(s))
                pass_complete(ps, s, time_mono_ms());
out:
        free(next);
        free(msg);
        free(name);
        strv_done(&ids);
        return r;
}

/* A parsed 2xx feed, or a 304 (job NULL). */
static int
handle_feed(struct pollset *ps, struct psource *s, const struct fetch_result *res,
            struct parse_job *job, struct err *err)
{
        struct ocds_page empty, *page = job ? &job->page : &empty;
        bool not_modified = job == NULL;
        char *msg = NULL;
        int r = 0, rc;

        ocds_page_init(&empty);
        if (job != NULL && job->rc < 0) {
                msg = xasprintf("invalid feed (%zu bytes): %s", job->len, job->perr.msg);
                r = source_fail(ps, s, FAIL_BACKOFF, 0, false, msg, err);
                goto out;
        }
        log_rejected(s, page);
        rc = commit_page(ps, s, page, true, not_modified ? NULL : res, &msg, err);
        if (rc < 0) {
                r = rc;
                goto out;
        }
        if (rc > 0) {
                r = source_fail(ps, s, FAIL_BACKOFF, 0, false, msg, err);
                goto out;
        }
        window_finished(ps, s, not_modified ? "not modified" : NULL);
        pass_complete(ps, s, time_mono_ms());
out:
        free(msg);
        ocds_page_done(&empty);
        return r;
}

/* The worker parsed s->job's body: store it (or fail the request). */
static int
parse_finished(struct pollset *ps, struct psource *s, struct err *err)
{
        struct parse_job *job = s->job;
        int r;

        s->job = NULL;
        s->phase = PH_BUSY;             /* the handlers set what comes next */
        r = job->feed ? handle_feed(ps, s, job->res, job, err)
                      : handle_ocds_page(ps, s, job, err);
        parse_release(&job->wj);
        return r;
}

static int
request_done(struct pollset *ps, struct psource *s, CURLcode code, struct err *err)
{
        const struct fetch_result *res = fetch_finish(s->fx, code);
        enum fetch_class cls = fetch_classify(res);
        char desc[CURL_ERROR_SIZE + 64];
        int64_t ra;
        int r;

        fetch_describe(res, desc, sizeof(desc));
        switch (cls) {
        case FETCH_OK:
                start_parse(ps, s, res);        /* parse_finished() goes on */
                r = 0;
                break;
        case FETCH_NOT_MODIFIED:
                if (s->sc->type == SOURCE_FEED) {
                        r = handle_feed(ps, s, res, NULL, err);
                } else {
                        r = source_fail(ps, s, FAIL_BACKOFF, 0, false,
                                        "HTTP 304 to an unconditional request", err);
                }
                break;
        case FETCH_RETRY_LATER:
                if (fetch_parse_retry_after(res->retry_after, wall_ms(), &ra) == 0) {
                        char *m = xasprintf("HTTP %ld with Retry-After: %s", res->status,
                                            res->retry_after);

                        r = source_fail(ps, s, FAIL_RETRY_AFTER, ra, false, m, err);
                        free(m);
                } else {
                        char *m = xasprintf("HTTP %ld without a usable Retry-After; waiting "
                                            "default_retry_after", res->status);

                        r = source_fail(ps, s, FAIL_RETRY_AFTER,
                                        s->sc->default_retry_after_ms, false, m, err);
                        free(m);
                }
                break;
        case FETCH_FORBIDDEN:
                if (s->sc->type == SOURCE_CF)
                        r = source_fail(ps, s, FAIL_RATE_LIMIT, s->sc->rate_limit_wait_ms, false,
                                        "HTTP 403 (Contracts Finder's rate limit); waiting "
                                        "rate_limit_wait", err);
                else
                        r = source_fail(ps, s, FAIL_BACKOFF, 0, false, desc, err);
                break;
        default:
                r = source_fail(ps, s, FAIL_BACKOFF, 0, false, desc, err);
                break;
        }
        return r;
}

/* ---- the pollset ----------------------------------------------------------------- */

static size_t
host_index(struct pollset *ps, const char *url, const struct source_conf *sc)
{
        char *name = fetch_url_host(url);
        size_t i;

        if (name == NULL)
                name = xstrdup(url);            /* config validated the scheme */
        for (i = 0; i < ps->nhosts; i++)
                if (strcmp(ps->hosts[i].name, name) == 0)
                        break;
        if (i == ps->nhosts) {
                ps->hosts[i].name = name;
                ps->hosts[i].next_ok = 0;
                ps->hosts[i].spacing_ms = 0;
                ps->nhosts++;
        } else {
                free(name);
        }
        if (sc->min_interval_ms > ps->hosts[i].spacing_ms)
                ps->hosts[i].spacing_ms = sc->min_interval_ms;
        return i;
}

int
pollset_new(const struct source_conf *srcs, size_t n, struct store *st, struct transfers *tx,
            struct worker *wk, const struct pollset_opts *opts, struct pollset **ret,
            struct err *err)
{
        struct pollset *ps = xcalloc(1, sizeof(*ps));
        int64_t now = time_mono_ms(), wnow = wall_ms();
        int r;

        ps->store = st;
        ps->opts = *opts;
        if (getrandom(&ps->rng, sizeof(ps->rng), GRND_NONBLOCK) != sizeof(ps->rng))
                ps->rng = (uint64_t)wnow ^ ((uint64_t)now << 20);
        ps->rng |= 1;
        ps->tx = tx;
        ps->wk = wk;
        ps->src = xcalloc(n ? n : 1, sizeof(*ps->src));
        ps->hosts = xcalloc(n ? n : 1, sizeof(*ps->hosts));
        for (size_t i = 0; i < n; i++) {
                const struct source_conf *sc = &srcs[i];
                struct psource *s;

                if (opts->only_source ? strcmp(sc->name, opts->only_source) != 0 : !sc->enabled)
                        continue;
                s = &ps->src[ps->nsrc++];
                s->ps = ps;
                s->sc = sc;
                s->host = host_index(ps, sc->url, sc);
                s->first_pass = true;
                strv_init(&s->seen_urls);
                strv_init(&s->prev_ids);
                strv_init(&s->page_hashes);
                source_state_init(&s->st);
                r = store_source_get(st, sc->name, &s->st, err);
                if (r < 0)
                        goto fail;
                s->due = now;
                begin_pass(ps, s, now);
                /* Honour a back-off persisted by an earlier run. */
                if (s->phase == PH_READY && s->st.next_attempt != TIME_UNKNOWN &&
                    s->st.next_attempt * 1000 > wnow) {
                        int64_t wait = s->st.next_attempt * 1000 - wnow;
                        char ts[32];

                        time_format_utc(s->st.next_attempt, ts, sizeof(ts));
                        if (opts->once && opts->max_wait_ms > 0 && wait > opts->max_wait_ms) {
                                s->phase = PH_FAILED;
                                log_err("%s: backing off until %s after: %s; not polling it "
                                        "in this run", sc->name, ts,
                                        s->st.last_error ? s->st.last_error : "errors");
                        } else {
                                s->due = now + wait;
                                log_notice("%s: backing off until %s (last error: %s)",
                                           sc->name, ts, s->st.last_error ? s->st.last_error
                                                                          : "?");
                        }
                }
        }
        if (ps->nsrc == 0) {
                r = err_set(err, -ENOENT, opts->only_source ? "no source named '%s'"
                            : "no enabled sources%s", opts->only_source ? opts->only_source
                                                                          : "");
                goto fail;
        }
        *ret = ps;
        return 0;
fail:
        pollset_free(ps);
        return r;
}

struct pollset *
pollset_free(struct pollset *ps)
{
        if (ps == NULL)
                return NULL;
        for (size_t i = 0; i < ps->nsrc; i++) {
                struct psource *s = &ps->src[i];

                /* a job the worker handed back (parsed) is ours again */
                if (s->job != NULL && ps->wk != NULL && !s->parsed)
                        worker_cancel(ps->wk, &s->job->wj);     /* frees it */
                else if (s->job != NULL)
                        parse_release(&s->job->wj);
                s->job = NULL;
                if (s->fx != NULL) {
                        transfers_abort(ps->tx, fetch_handle(s->fx));
                        s->fx = fetch_free(s->fx);
                }
                reset_window_reading(s);
                free(s->stack);
                source_state_done(&s->st);
        }
        for (size_t i = 0; i < ps->nhosts; i++)
                free(ps->hosts[i].name);
        free(ps->src);
        free(ps->hosts);
        free(ps);
        return NULL;
}

/*
 * s's request to h ended.  The next request to h starts min_interval after
 * this one was really sent (libcurl's pre-transfer time: after the connect),
 * not merely submitted, so a slow connect or a busy machine never brings two
 * requests closer together than that at the server.
 */
static void
host_done(struct host *h, const struct psource *s)
{
        curl_off_t pre = 0;

        h->busy = false;
        if (curl_easy_getinfo(fetch_handle(s->fx), CURLINFO_PRETRANSFER_TIME_T, &pre) ==
            CURLE_OK && pre > 0 && s->started + pre / 1000 + h->spacing_ms > h->next_ok)
                h->next_ok = s->started + pre / 1000 + h->spacing_ms;
}

/* The store failed while s's page was being stored (nothing of it was: the
 * transaction was rolled back, s->st is unchanged): the same page is fetched
 * again when the caller steps again.  Returns r. */
static int
store_failed(struct psource *s, int r)
{
        if (s->phase == PH_BUSY) {
                s->phase = PH_READY;
                s->due = time_mono_ms();
        }
        return r;
}

int
pollset_step(struct pollset *ps, struct err *err)
{
        int64_t now;
        int r;

        for (size_t i = 0; i < ps->nsrc && ps->ncompleted > 0; i++) {
                struct psource *s = &ps->src[i];

                if (s->completed) {
                        s->completed = false;
                        ps->ncompleted--;
                        host_done(&ps->hosts[s->host], s);
                        r = request_done(ps, s, s->code, err);
                        if (s->phase != PH_PARSING)
                                s->fx = fetch_free(s->fx);
                        if (r < 0)
                                return store_failed(s, r);
                }
                if (s->parsed) {
                        s->parsed = false;
                        ps->ncompleted--;
                        r = parse_finished(ps, s, err);
                        s->fx = fetch_free(s->fx);
                        if (r < 0)
                                return store_failed(s, r);
                }
        }
        now = time_mono_ms();
        for (size_t k = 0; k < ps->nsrc; k++) {
                size_t i = (ps->rr + k) % ps->nsrc;
                struct psource *s = &ps->src[i];
                struct host *h = &ps->hosts[s->host];

                if (s->phase == PH_IDLE && s->due <= now)
                        begin_pass(ps, s, now);
                if (s->phase != PH_READY || s->due > now || h->busy || h->next_ok > now)
                        continue;
                r = start_request(ps, s, now, err);
                if (r < 0)
                        return r;
                ps->rr = i + 1;
        }
        return 0;
}

int64_t
pollset_next_due_ms(const struct pollset *ps)
{
        int64_t now = time_mono_ms(), best = -1;

        if (ps->ncompleted > 0)
                return 0;
        for (size_t i = 0; i < ps->nsrc; i++) {
                const struct psource *s = &ps->src[i];
                const struct host *h = &ps->hosts[s->host];
                int64_t t;

                if (s->phase == PH_IDLE)
                        t = s->due;
                else if (s->phase == PH_READY && !h->busy)
                        t = s->due > h->next_ok ? s->due : h->next_ok;
                else
                        continue;
                t = t > now ? t - now : 0;
                if (best < 0 || t < best)
                        best = t;
        }
        return best;
}

bool
pollset_done(const struct pollset *ps)
{
        if (!ps->opts.once)
                return false;
        for (size_t i = 0; i < ps->nsrc; i++)
                if (ps->src[i].phase != PH_DONE && ps->src[i].phase != PH_FAILED)
                        return false;
        return true;
}

size_t
pollset_progress(const struct pollset *ps, struct pollset_progress *out, size_t max)
{
        size_t i;

        for (i = 0; i < ps->nsrc && i < max; i++) {
                const struct psource *s = &ps->src[i];

                out[i] = (struct pollset_progress){
                        .source = s->sc->name,
                        .windows_done = s->windows_done,
                        .windows_total = s->windows_total,
                        .notices = s->news + s->updates,
                        .requests = s->requests,
                        .errors = s->errors,
                        .news = s->news,
                        .updates = s->updates,
                        .linked = s->linked,
                        .pages = s->pages,
                        .watermark = s->st.watermark,
                        .until = s->until,
                        .done = s->phase == PH_DONE,
                        .failed = s->phase == PH_FAILED,
                        .last_error = s->st.last_error,
                };
        }
        return ps->nsrc;
}

bool
pollset_had_errors(const struct pollset *ps)
{
        for (size_t i = 0; i < ps->nsrc; i++)
                if (ps->src[i].phase == PH_FAILED || ps->src[i].st.failures > 0)
                        return true;
        return false;
}
