/*
 * cmd_poll.c — `bidbroker poll`: fetch every enabled source (or one) up to
 * now (or --now), then exit.  A progress bar on a terminal, plain log lines
 * per window otherwise, a summary per source on stdout.  SIGINT/SIGTERM stop
 * it between transactions.  It runs on the daemon's event loop and transfers
 * (loop.h, transfers.h): the signals arrive on the loop's signalfd.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bidbroker/cli.h"
#include "bidbroker/config.h"
#include "bidbroker/err.h"
#include "bidbroker/log.h"
#include "bidbroker/loop.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/poller.h"
#include "bidbroker/statelock.h"
#include "bidbroker/termsafe.h"
#include "bidbroker/store.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/transfers.h"
#include "bidbroker/util.h"
#include "bidbroker/worker.h"

#include "term.h"

#define POLL_MAX_SOURCES 64
#define DEFAULT_MAX_WAIT_MS (2 * 60 * 1000)
#define DEFAULT_RETRIES 5
#define BAR_MAX 30                      /* the progress bar's widest */

static void
poll_usage(FILE *f)
{
        fprintf(f,
                "usage: bidbroker [--now TIME] poll [--source NAME] [--since DATE] [--once]\n"
                "                 [--max-wait DURATION] [--retries N] [--no-progress]\n"
                "\n"
                "Fetch new and changed notices from the configured sources up to now (or\n"
                "--now), store them, and exit.  Sources are read in windows (Find a Tender\n"
                "6h, Contracts Finder 1d) from each source's watermark minus 'overlap'.\n"
                "\n"
                "  --source NAME        poll only this source (even if disabled)\n"
                "  --since DATE         backfill from DATE (ISO 8601) instead of the watermark\n"
                "  --once               one pass (the default: poll always stops when caught up;\n"
                "                       'bidbroker run' is the daemon)\n"
                "  --max-wait DURATION  give a source up rather than wait longer than this for\n"
                "                       a back-off or Retry-After (default 2m)\n"
                "  --retries N          give a source up after N failures in a row (default 5)\n"
                "  --no-progress        plain log lines even on a terminal\n"
                "\n"
                "One poll or run at a time per state directory: another one holding\n"
                "STATE/bidbroker.lock makes poll exit 1 at once, naming its PID.\n"
                "\n"
                "Exit status: 0 every source reached the end, 1 a source gave up or failed\n"
                "or --source names no source or another poll or run holds the state\n"
                "directory, 2 usage error.\n");
}

struct bar {
        bool     on;
        bool     drawn;
        int64_t  started;
        int64_t  last;
};

static void
bar_clear(struct bar *b)
{
        if (b->on && b->drawn) {
                fputs("\r\033[K", stderr);
                fflush(stderr);
                b->drawn = false;
        }
}

static void
bar_draw(struct bar *b, const struct pollset *ps, bool force)
{
        struct pollset_progress p[POLL_MAX_SOURCES];
        size_t n = pollset_progress(ps, p, POLL_MAX_SOURCES), done = 0, total = 0, notices = 0;
        size_t errors = 0;
        int64_t now = time_mono_ms();
        char eta[32] = "--:--", fill[BAR_MAX + 1], tail[160], line[sizeof(tail) + BAR_MAX + 8];
        int width, cols, k;

        if (!b->on || (!force && b->drawn && now - b->last < 100))
                return;
        if (n > POLL_MAX_SOURCES)
                n = POLL_MAX_SOURCES;
        for (size_t i = 0; i < n; i++) {
                done += p[i].windows_done;
                total += p[i].windows_total > p[i].windows_done ? p[i].windows_total
                                                                 : p[i].windows_done;
                notices += p[i].notices;
                errors += p[i].errors;
        }
        if (done > 0 && total > done) {
                int64_t left = (now - b->started) * (int64_t)(total - done) / (int64_t)done / 1000;

                snprintf(eta, sizeof(eta), "%lld:%02lld", (long long)(left / 60),
                         (long long)(left % 60));
        } else if (total > 0 && done >= total) {
                snprintf(eta, sizeof(eta), "0:00");
        }
        /* the bar takes what the counts leave of the terminal's width (the
         * last column stays free: writing there wraps some terminals) */
        snprintf(tail, sizeof(tail), " %zu/%zu windows  %zu notices  %zu errors  ETA %s",
                 done, total, notices, errors, eta);
        cols = term_width(STDERR_FILENO) - 1;
        width = cols - (int)strlen("poll []") - (int)strlen(tail);
        if (width > BAR_MAX)
                width = BAR_MAX;
        if (width < 5)
                width = 0;
        k = total ? (int)((double)done / (double)total * width) : 0;
        for (int i = 0; i < width; i++)
                fill[i] = i < k ? '#' : '.';
        fill[width] = '\0';
        snprintf(line, sizeof(line), "poll%s%s%s%s", width ? " [" : "", fill, width ? "]" : "",
                 tail);
        fputs("\r\033[K", stderr);
        term_cell(stderr, line, (size_t)cols, false, false);
        fflush(stderr);
        b->drawn = true;
        b->last = now;
}

static void
print_summary(const struct pollset *ps)
{
        struct pollset_progress p[POLL_MAX_SOURCES];
        size_t n = pollset_progress(ps, p, POLL_MAX_SOURCES);

        if (n > POLL_MAX_SOURCES)
                n = POLL_MAX_SOURCES;
        for (size_t i = 0; i < n; i++) {
                char wm[32], until[32], *last = text_for_terminal(p[i].last_error, 0);

                time_format_utc(p[i].watermark, wm, sizeof(wm));
                time_format_utc(p[i].until, until, sizeof(until));
                printf("%s: %s; %zu/%zu windows, %zu pages, %zu requests, %zu errors; "
                       "%zu new, %zu updated, %zu linked; watermark %s (until %s)%s%s\n",
                       p[i].source, p[i].failed ? "FAILED" : p[i].done ? "ok" : "stopped",
                       p[i].windows_done, p[i].windows_total, p[i].pages, p[i].requests,
                       p[i].errors, p[i].news, p[i].updates, p[i].linked, wm[0] ? wm : "none",
                       until,
                       last ? "; last error: " : "", last ? last : "");
                free(last);     /* it quotes what a server sent */
        }
        fflush(stdout);
}

static void
on_signal(void *arg, int signo)
{
        (void)signo;
        *(bool *)arg = true;
}

int
cmd_poll(struct cli *cli, int argc, char **argv)
{
        static const struct option opts[] = {
                { "source", required_argument, NULL, 's' },
                { "since", required_argument, NULL, 'S' },
                { "once", no_argument, NULL, '1' },
                { "max-wait", required_argument, NULL, 'w' },
                { "retries", required_argument, NULL, 'r' },
                { "no-progress", no_argument, NULL, 'P' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        struct pollset_opts po = { 0 };
        struct pollset *ps = NULL;
        struct loop *loop = NULL;
        struct transfers *tx = NULL;
        struct worker *wk = NULL;
        static const int stop_signals[] = { SIGINT, SIGTERM };
        struct store *st = NULL;
        struct statelock *lock = NULL;
        struct err err = { 0 };
        struct bar bar = { 0 };
        sigset_t mask, old;
        bool progress = true, interrupted = false, masked = false;
        long retries = DEFAULT_RETRIES;
        int c, rc = 1, r;

        po.since = TIME_UNKNOWN;
        po.max_wait_ms = DEFAULT_MAX_WAIT_MS;
        cli_getopt_reset();
        while ((c = cli_getopt(argv[0], argc, argv, "s:S:1w:r:Ph", opts)) != -1) {
                switch (c) {
                case 's':
                        po.only_source = optarg;
                        break;
                case 'S':
                        if (time_parse_iso8601(optarg, &po.since) < 0) {
                                cli_error("poll", "--since: '%s' is not an ISO 8601 date or "
                                          "time (e.g. 2025-01-20)", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case '1':
                        break;          /* poll always stops when caught up */
                case 'w':
                        if (parse_duration_ms(optarg, &po.max_wait_ms) < 0 ||
                            po.max_wait_ms < 0) {
                                cli_error("poll", "--max-wait: '%s' is not a duration "
                                          "(e.g. 30s, 5m)", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case 'r':
                        if (parse_long(optarg, 1, 1000, &retries) < 0) {
                                cli_error("poll", "--retries: '%s' is not a number from 1 "
                                          "to 1000", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case 'P':
                        progress = false;
                        break;
                case 'h':
                        poll_usage(stdout);
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        }
        if (cli_no_args("poll", argc, argv) < 0) {
                return EXIT_USAGE;
        }
        if (po.only_source != NULL && config_source(cli->cfg, po.only_source) == NULL) {
                cli_error("poll", "no source named '%s' in the configuration",
                          po.only_source);
                return 1;               /* not found, like an unknown member */
        }
        if (po.since != TIME_UNKNOWN && po.since >= cli->now) {
                cli_error("poll", "--since must be before now (or --now)");
                return EXIT_USAGE;
        }
        po.until = cli->now;
        po.fixed_clock = cli->now_fixed;
        po.once = true;
        po.max_failures = (unsigned)retries;
        bar.on = progress && term_can_redraw(STDERR_FILENO);
        po.quiet_windows = bar.on;

        /* Signals are read from the loop's signalfd.  Blocked before
         * libcurl can start a resolver thread. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        if (sigprocmask(SIG_BLOCK, &mask, &old) == 0)
                masked = true;
        if (loop_new(&loop, &err) < 0 || transfers_new(loop, &tx, &err) < 0 ||
            worker_new(loop, &wk, &err) < 0) {
                cli_error("poll", "%s", err.msg);
                goto out;
        }
        r = loop_signals(loop, stop_signals, ARRAY_SIZE(stop_signals), on_signal, &interrupted);
        if (r < 0)
                log_warnx("signalfd: %s", strerror(-r));

        r = mkdir_p(cli->state_dir, 0750);
        if (r < 0) {
                cli_error("poll", "%s: %s", cli->state_dir, strerror(-r));
                goto out;
        }
        if (statelock_take(cli->state_dir, "poll", &lock, &err) < 0) {
                cli_error("poll", "%s", err.msg);
                goto out;
        }
        if (store_open_mode(cli->state_dir, STORE_READ_WRITE, cli->cfg->busy_timeout_ms, &st,
                            &err) < 0) {
                cli_error("poll", "%s", err.msg);
                goto out;
        }
        if (cli->now_fixed)
                store_set_now(st, cli->now);
        if (pollset_new(cli->cfg->sources, cli->cfg->nsources, st, tx, wk, &po, &ps, &err) < 0) {
                cli_error("poll", "%s", err.msg);
                goto out;
        }
        bar.started = time_mono_ms();
        for (;;) {
                int64_t wait;

                bar_clear(&bar);
                if (pollset_step(ps, &err) < 0) {
                        bar_clear(&bar);
                        cli_error("poll", "store: %s", err.msg);
                        goto summary;
                }
                if (pollset_done(ps))
                        break;
                bar_draw(&bar, ps, false);
                wait = pollset_next_due_ms(ps);
                if (bar.on && (wait < 0 || wait > 250))
                        wait = 250;
                r = loop_run_once(loop, wait);
                if (r < 0)
                        log_warnx("epoll_wait: %s", strerror(-r));
                if (interrupted)
                        break;
        }
        bar_draw(&bar, ps, true);
        if (bar.on)
                fputc('\n', stderr);
        bar.drawn = false;
        if (interrupted)
                log_notice("interrupted; what was committed is kept, the next poll resumes "
                           "from the watermark");
        else
                rc = pollset_had_errors(ps) ? 1 : 0;
        /* A source that recovered after errors still reached the end. */
        if (!interrupted && rc == 1) {
                struct pollset_progress p[POLL_MAX_SOURCES];
                size_t n = pollset_progress(ps, p, POLL_MAX_SOURCES);

                rc = 0;
                for (size_t i = 0; i < n && i < POLL_MAX_SOURCES; i++)
                        if (!p[i].done)
                                rc = 1;
        }
summary:
        bar_clear(&bar);
        print_summary(ps);
out:
        pollset_free(ps);
        transfers_free(tx);
        worker_free(wk);
        loop_free(loop);
        store_close(st);
        statelock_release(lock);
        if (masked)
                sigprocmask(SIG_SETMASK, &old, NULL);
        return rc;
}
