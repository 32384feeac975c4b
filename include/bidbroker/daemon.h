/*
 * daemon.h — `bidbroker run`: the long-running service.
 *
 * One thread, one event loop (loop.h): signals (a signalfd for SIGTERM,
 * SIGINT and SIGHUP), timers (the systemd watchdog, matching) and transfers
 * all wake the same loop; parsing runs on worker threads (worker.h).
 *
 * SIGHUP re-reads and validates the configuration and every service built
 * from it (service.h: the pollset, the match engine) as a whole: on any
 * error the running generation stays and every error is logged as FILE:LINE
 * at warning level; on success the new one replaces it.  SIGTERM/SIGINT stop the loop
 * between steps (a store transaction is never interrupted) and the daemon
 * exits 0.  sd_notify: READY, STATUS, WATCHDOG, RELOADING, STOPPING.
 *
 * The caller blocks SIGTERM, SIGINT and SIGHUP before any thread exists and
 * ignores SIGPIPE (cmd_run does).  The daemon logs through log.h.
 */
#ifndef BIDBROKER_DAEMON_H
#define BIDBROKER_DAEMON_H

#include <stdbool.h>

struct config;

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

#endif
