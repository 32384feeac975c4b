/*
 * daemon.h — `bidbroker run`: the long-running service.
 *
 * One thread, one event loop.  An epoll instance holds every file
 * descriptor the daemon watches (first of all a signalfd for SIGTERM, SIGINT
 * and SIGHUP); the pollset (poller.h) sleeps in libcurl's multi wait with that
 * epoll fd as its extra fd, so signals, the daemon's own fds and timers, and
 * transfers all wake the same loop.  Timers (the systemd watchdog, the status
 * line; later the digest schedule and outbox retries) are kept by the daemon.
 *
 * SIGHUP re-reads and validates the configuration (and, once wired in, the
 * match engine) as a whole: on any error the running configuration stays and
 * every error is logged as FILE:LINE at warning level; on success the new one
 * replaces it and the pollset is rebuilt.  SIGTERM/SIGINT stop the loop
 * between steps (a store transaction is never interrupted) and the daemon
 * exits 0.  sd_notify: READY, STATUS, WATCHDOG, RELOADING, STOPPING.
 *
 * The caller blocks SIGTERM, SIGINT and SIGHUP before any thread exists and
 * ignores SIGPIPE (cmd_run does).  The daemon logs through log.h.
 */
#ifndef BIDBROKER_DAEMON_H
#define BIDBROKER_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

struct config;
struct daemon;
struct store;

struct daemon_opts {
        const char *config_path;        /* re-read on SIGHUP; NULL: built-in defaults */
        const char *state_dir;          /* --state; NULL: the config's state_dir */
        bool        verbose;            /* -v: debug logging, whatever the config says */
};

/*
 * Run until SIGTERM or SIGINT.  Takes ownership of cfg (the configuration
 * main() loaded and validated).  Returns the process exit status: 0 after a
 * stop signal, 1 when the daemon could not start (store) or a store error
 * stopped it.
 */
int daemon_run(const struct daemon_opts *opts, struct config *cfg);

/* ---- for modules the daemon runs (digests, outbox, HTTP service) ---------- */

/* Milliseconds on CLOCK_MONOTONIC: the clock of timers. */
int64_t daemon_mono_ms(void);

/*
 * A timer: fn is called once the monotonic clock reaches due_ms and returns
 * the next due time (monotonic ms), or -1 to remove the timer.  name is for
 * log messages (not copied).  0, or -ENOSPC when the table is full.
 */
typedef int64_t (*daemon_timer_fn)(struct daemon *d, void *arg, int64_t now_ms);
int daemon_timer_add(struct daemon *d, const char *name, int64_t due_ms,
                     daemon_timer_fn fn, void *arg);

/*
 * Watch fd (EPOLLIN/EPOLLOUT as events) in the daemon's epoll: fn is called
 * from the loop when it is ready.  The daemon does not own fd.  0 or -errno.
 */
typedef void (*daemon_fd_fn)(struct daemon *d, void *arg, int fd, uint32_t events);
int daemon_fd_add(struct daemon *d, int fd, uint32_t events, daemon_fd_fn fn, void *arg);
void daemon_fd_remove(struct daemon *d, int fd);

/* The running configuration (replaced by a successful reload: do not keep
 * pointers into it across loop iterations) and the store (open for the life
 * of the daemon). */
const struct config *daemon_config(const struct daemon *d);
struct store *daemon_store(const struct daemon *d);

/* Ask the loop to stop after the current step (exit status 0). */
void daemon_stop(struct daemon *d);

#endif
