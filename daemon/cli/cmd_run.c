/*
 * cmd_run.c — `bidbroker run`: the daemon in the foreground (see daemon.h).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "bidbroker/cli.h"
#include "bidbroker/config.h"
#include "bidbroker/daemon.h"
#include "bidbroker/err.h"
#include "bidbroker/log.h"
#include "bidbroker/statelock.h"

static void
run_usage(FILE *f)
{
        fprintf(f,
                "usage: bidbroker [--config FILE] [--state DIR] [-v] run\n"
                "\n"
                "Run the daemon in the foreground: poll every enabled source on its\n"
                "interval (jittered), store new and changed notices, until SIGTERM or\n"
                "SIGINT (exit 0).  Logs go to stderr, with journald priority prefixes\n"
                "under systemd.  Signals:\n"
                "  SIGHUP           re-read and validate the configuration; on any error\n"
                "                   keep the running one and log every error (FILE:LINE)\n"
                "  SIGTERM, SIGINT  finish the current store transaction and exit 0\n"
                "With NOTIFY_SOCKET set (Type=notify) it sends READY=1, STATUS=...,\n"
                "RELOADING=1, STOPPING=1 and, with WatchdogSec=, WATCHDOG=1.\n"
                "\n"
                "One run or poll at a time per state directory: the daemon holds\n"
                "STATE/bidbroker.lock (its PID in it) while it runs.\n"
                "\n"
                "Exit status: 0 stopped by a signal, 1 could not start (also: another run\n"
                "or poll holds the state directory) or a store error.\n");
}

int
cmd_run(struct cli *cli, int argc, char **argv)
{
        static const struct option opts[] = {
                { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
        };
        struct daemon_opts dopts = { 0 };
        struct statelock *lock = NULL, *outlock = NULL;
        struct err err = { 0 };
        struct config *cfg;
        sigset_t set;
        int c, rc;

        cli_getopt_reset();
        while ((c = cli_getopt(argv[0], argc, argv, "h", opts)) != -1) {
                if (c == 'h') {
                        run_usage(stdout);
                        return 0;
                }
                return EXIT_USAGE;
        }
        if (cli_no_args("run", argc, argv) < 0) {
                return EXIT_USAGE;
        }
        if (cli->now_fixed) {
                cli_error("run", "--now cannot be used with run: the daemon follows the "
                          "clock (use 'bidbroker poll --now')");
                return EXIT_USAGE;
        }
        /*
         * The signals the loop reads from a signalfd are blocked before any
         * thread exists (libcurl's resolver threads are created later and
         * inherit the mask), so none is delivered anywhere else.  A closed
         * peer must not kill the daemon: SIGPIPE is ignored.
         */
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) {
                log_warn("sigprocmask");
                return 1;
        }
        signal(SIGPIPE, SIG_IGN);

        if (statelock_take(cli->state_dir, "run", &lock, &err) < 0) {
                cli_error("run", "%s", err.msg);
                return 1;
        }
        /* the outbox service delivers: one deliverer per state directory */
        if (statelock_take_file(cli->state_dir, STATELOCK_OUTBOX, "run", "delivering mail from",
                                "wait for it to end, then start the daemon", &outlock,
                                &err) < 0) {
                cli_error("run", "%s", err.msg);
                statelock_release(lock);
                return 1;
        }
        dopts.config_path = cli->config_path;
        dopts.state_dir = cli->state_dir != cli->cfg->state_dir ? cli->state_dir : NULL;
        dopts.verbose = cli->verbose;
        cfg = cli->cfg;
        cli->cfg = NULL;                /* daemon_run owns it now */
        rc = daemon_run(&dopts, cfg);
        statelock_release(outlock);
        statelock_release(lock);
        return rc;
}
