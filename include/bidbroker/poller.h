/*
 * poller.h — incremental, windowed, polite polling of the configured sources
 * over HTTP.
 *
 * A struct pollset drives every enabled source of a config: one request at a
 * time per host with a minimum spacing, per-source windows and back-off.  Its
 * transfers run on the caller's struct transfers (the one libcurl multi, on
 * the event loop).  It is non-blocking: the caller (bidbroker poll, or the
 * daemon's loop) calls pollset_step() after every turn of the loop and bounds
 * the loop's sleep by pollset_next_due_ms().
 *
 * A body is parsed on the worker thread (worker.h), so a large or hostile one
 * never holds the loop; then its notices are stored and the source's
 * watermark moved in one store transaction per page, on the loop thread: a
 * crash or error never skips a window.
 * Logs through log.h (it is daemon code).
 */
#ifndef BIDBROKER_POLLER_H
#define BIDBROKER_POLLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct source_conf;
struct err;
struct store;
struct pollset;
struct transfers;
struct worker;

struct pollset_opts {
        const char *only_source;        /* poll just this source (NULL: all enabled) */
        int64_t     since;              /* backfill from here (TIME_UNKNOWN: watermark) */
        int64_t     until;              /* poll up to here (the CLI's --now) */
        bool        once;               /* one pass up to 'until', then done */
        bool        fixed_clock;        /* 'until' is a fixed --now, not the wall clock */
        /* Added for bidbroker poll (0 = no limit; the daemon never gives up): */
        int64_t     max_wait_ms;        /* with once: give a source up rather than wait longer */
        unsigned    max_failures;       /* with once: give up after this many failures in a row */
        bool        quiet_windows;      /* per-window lines at debug level (progress bar shown) */
};

/* Progress, for bidbroker poll's progress bar / log lines. */
struct pollset_progress {
        const char *source;
        size_t      windows_done, windows_total;
        size_t      notices;            /* new + updated stored so far */
        size_t      requests, errors;
        /* additions */
        size_t      news, updates;      /* notices split into new and updated */
        size_t      linked;             /* of those, linked to the same tender on the
                                         * other source (links.h) */
        size_t      pages;
        int64_t     watermark;          /* UTC seconds, TIME_UNKNOWN: never completed a window */
        int64_t     until;              /* the current pass's upper bound */
        bool        done;               /* reached 'until' (once) */
        bool        failed;             /* gave up (once) */
        const char *last_error;         /* valid until the next pollset_step(); NULL if none */
};

/*
 * A new pollset over the enabled sources of the n in srcs (or
 * opts->only_source, enabled or not), reading and writing source state in
 * st, its transfers on tx, bodies parsed on wk (NULL: on the calling
 * thread).  srcs, st, tx and wk must outlive it.
 * opts->until TIME_UNKNOWN means the wall clock; without opts->once the
 * pollset runs forever: each source is polled again every 'interval'
 * (jittered) up to the wall clock, or the fixed 'until'.
 */
int pollset_new(const struct source_conf *srcs, size_t n, struct store *st,
                struct transfers *tx, struct worker *wk, const struct pollset_opts *opts,
                struct pollset **ret, struct err *err);
struct pollset *pollset_free(struct pollset *ps);       /* NULL-safe; aborts transfers */

/* Start what is due, finish what completed (parse, store, move watermark).
 * Never blocks.  Returns 0, or <0 on a store error (err says it; -EBUSY: the
 * store was locked by another process for longer than busy_timeout).  After
 * a store error nothing of the page was stored and the pollset can go on:
 * the page is fetched again at the next step (the daemon backs off first). */
int pollset_step(struct pollset *ps, struct err *err);
/* With opts.once: true when every source reached 'until' (or gave up). */
bool pollset_done(const struct pollset *ps);
/* Milliseconds until something is due (0: a finished transfer waits for
 * pollset_step(); -1: nothing scheduled). */
int64_t pollset_next_due_ms(const struct pollset *ps);
size_t pollset_progress(const struct pollset *ps, struct pollset_progress *out, size_t max);
/* True if any source has failed on its last attempt (for exit codes). */
bool pollset_had_errors(const struct pollset *ps);

#endif
