/*
 * cmd_outbox.c — `bidbroker outbox [--json] [--state S] | --retry ID | --send`:
 * the messages waiting for delivery and their state (outbox.h), staff's
 * "send it again" and a foreground delivery (sender.h) on a loop of its own.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "bidbroker/cli.h"
#include "bidbroker/config.h"
#include "bidbroker/err.h"
#include "bidbroker/json.h"
#include "bidbroker/log.h"
#include "bidbroker/loop.h"
#include "bidbroker/outbox.h"
#include "bidbroker/sender.h"
#include "bidbroker/smtp.h"
#include "bidbroker/statelock.h"
#include "bidbroker/store.h"
#include "bidbroker/termsafe.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"

#include "outboxcli.h"
#include "term.h"

static const char outbox_usage[] =
        "usage: bidbroker outbox [--json] [--only STATE]\n"
        "       bidbroker outbox --retry ID\n"
        "       bidbroker outbox --send\n\n"
        "The outbox: every message bidbroker queued (digests), one recipient each, and\n"
        "what became of it: queued, sending, sent, retry (a temporary failure: tried\n"
        "again later, waits doubling up to [mail] retry_max) or failed (the server\n"
        "refused it for good, or [mail] retry_max_age passed).\n\n"
        "  (no option)   list: id, member, recipient, state, attempts, next attempt (UK\n"
        "                time), last reply code and error\n"
        "  --json        the same as JSON, one object per line\n"
        "  --only S      only messages in state S (queued, sending, sent, retry, failed)\n"
        "  --retry ID    queue a failed or retry message again, due now (the daemon, or\n"
        "                --send, delivers it; the same bytes and Message-ID)\n"
        "  --send        deliver every message due now over [mail] transport, in the\n"
        "                foreground, and print what came of each; when the daemon runs\n"
        "                it delivers them instead, and this says so.  Exit 1 when any\n"
        "                message is left waiting for a retry or failed.\n";

struct lister {
        bool           json;
        bool           filter;
        enum outbox_state only;
        struct table  *t;
        size_t         n;
};

static json_t *
msg_json(const struct outbox_msg *m)
{
        json_t *j = json_pack("{s:I,s:s,s:s,s:s,s:s,s:I,s:o,s:I}", "id", (json_int_t)m->id,
                              "member", m->member, "rcpt", m->rcpt, "message_id",
                              m->message_id, "state", outbox_state_name(m->state),
                              "attempts", (json_int_t)m->attempts, "created",
                              json_time(m->created), "bytes", (json_int_t)m->len);

        json_object_set_new(j, "next_attempt", m->state == OUTBOX_QUEUED ||
                            m->state == OUTBOX_RETRY ? json_time(m->next_attempt) : json_null());
        json_object_set_new(j, "sent_at", m->sent_at ? json_time(m->sent_at) : json_null());
        json_object_set_new(j, "last_code", m->last_code ? json_integer(m->last_code)
                                                         : json_null());
        json_object_set_new(j, "last_error", json_str_or_null(m->last_error));
        json_object_set_new(j, "updated", json_time(m->updated));
        return j;
}

static const struct table_col outbox_cols[] = {
        { "id", TABLE_RIGHT | TABLE_KEEP, 0 },
        { "member", 0, 8 },
        { "recipient", 0, 10 },
        { "state", TABLE_KEEP, 0 },
        { "tries", TABLE_RIGHT, 0 },
        { "next / sent (UK)", 0, 10 },
        { "code", TABLE_RIGHT, 0 },
        { "last error", TABLE_FLEX, 10 },
};

static int
list_one(const struct outbox_msg *m, void *arg)
{
        struct lister *l = arg;
        char id[24], tries[24], when[40] = "-", code[16] = "-";
        const char *cells[ARRAY_SIZE(outbox_cols)];

        if (l->filter && m->state != l->only)
                return 0;
        l->n++;
        if (l->json) {
                json_t *j = msg_json(m);

                json_print(stdout, j, JSON_DUMP_FLAGS);
                json_decref(j);
                return 0;
        }
        snprintf(id, sizeof(id), "%lld", (long long)m->id);
        snprintf(tries, sizeof(tries), "%lld", (long long)m->attempts);
        if (m->state == OUTBOX_SENT)
                time_format_uk(m->sent_at, when, sizeof(when));
        else if (m->state == OUTBOX_QUEUED || m->state == OUTBOX_RETRY)
                time_format_uk(m->next_attempt, when, sizeof(when));
        if (m->last_code)
                snprintf(code, sizeof(code), "%ld", m->last_code);
        cells[0] = id;
        cells[1] = m->member;
        cells[2] = m->rcpt;
        cells[3] = outbox_state_name(m->state);
        cells[4] = tries;
        cells[5] = when;
        cells[6] = code;
        cells[7] = m->last_error ? m->last_error : "-";
        table_row(l->t, cells, m->state == OUTBOX_SENT ? TABLE_ROW_DIM : 0);
        return 0;
}

static int
list(struct cli *cli, struct lister *l)
{
        struct store *st = NULL;
        struct err err = { 0 };
        int64_t n[OUTBOX__N];
        int rc = 1;

        if (store_open_mode(cli->state_dir, STORE_READ_ONLY, cli->cfg->busy_timeout_ms, &st,
                            &err) < 0) {
                cli_error("outbox", "%s", err.msg);
                return 1;
        }
        if (!l->json)
                l->t = table_new(outbox_cols, ARRAY_SIZE(outbox_cols));
        if (outbox_each(st, list_one, l, &err) < 0 || outbox_counts(st, n, &err) < 0) {
                cli_error("outbox", "%s", err.msg);
                goto out;
        }
        if (!l->json) {
                if (l->n > 0)
                        table_print(l->t, stdout, (size_t)cli->cols, cli->color);
                printf("%lld queued, %lld sending, %lld sent, %lld retry, %lld failed\n",
                       (long long)n[OUTBOX_QUEUED], (long long)n[OUTBOX_SENDING],
                       (long long)n[OUTBOX_SENT], (long long)n[OUTBOX_RETRY],
                       (long long)n[OUTBOX_FAILED]);
        }
        rc = 0;
out:
        table_free(l->t);
        store_close(st);
        return rc;
}

static int
retry(struct cli *cli, const char *arg)
{
        struct store *st = NULL;
        struct err err = { 0 };
        long id;
        int rc = 1;

        if (parse_long(arg, 1, LONG_MAX, &id) < 0) {
                cli_error("outbox", "--retry takes an outbox id (a number), not '%s'", arg);
                return EXIT_USAGE;
        }
        if (store_open_mode(cli->state_dir, STORE_READ_WRITE, cli->cfg->busy_timeout_ms, &st,
                            &err) < 0) {
                cli_error("outbox", "%s", err.msg);
                return 1;
        }
        if (outbox_requeue(st, id, (int64_t)time(NULL), &err) < 0) {
                cli_error("outbox", "%s", err.msg);
        } else {
                printf("outbox %ld queued again: the daemon (or outbox --send) delivers it now\n",
                       id);
                rc = 0;
        }
        store_close(st);
        return rc;
}

/* ---- --send ------------------------------------------------------------- */

struct sendrun {
        size_t sent, retry, failed;
};

static void
on_result(void *arg, const struct outbox_msg *m, const struct mail_result *res)
{
        struct sendrun *s = arg;
        const char *what = res->verdict == MAIL_SENT ? "sent"
                         : res->verdict == MAIL_RETRY ? "retry later" : "failed";

        if (res->verdict == MAIL_SENT)
                s->sent++;
        else if (res->verdict == MAIL_RETRY)
                s->retry++;
        else
                s->failed++;
        printf("outbox %lld  %s  %s  %s", (long long)m->id, m->member, m->rcpt, what);
        if (res->verdict != MAIL_SENT) {
                fputs(": ", stdout);
                termsafe_fputs(res->error, stdout, 0);
        }
        fputc('\n', stdout);
        fflush(stdout);
}

static void
on_signal(void *arg, int signo)
{
        (void)signo;
        *(bool *)arg = true;
}

int
outbox_deliver_due(struct cli *cli, const char *cmd)
{
        static const int stop_signals[] = { SIGINT, SIGTERM };
        struct loop *loop = NULL;
        struct store *st = NULL;
        struct sender *sd = NULL;
        struct statelock *lock = NULL;
        struct sendrun run = { 0 };
        struct err err = { 0 };
        sigset_t mask, old;
        bool interrupted = false, masked = false;
        int64_t n = 0;
        int rc = 1, r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        if (sigprocmask(SIG_BLOCK, &mask, &old) == 0)
                masked = true;
        r = statelock_take_file(cli->state_dir, STATELOCK_OUTBOX, cmd, "delivering mail from",
                                "it delivers the queued messages", &lock, &err);
        if (r == -EWOULDBLOCK) {
                fprintf(stderr, "bidbroker: %s: ", cmd);
                termsafe_fputs(err.msg, stderr, 0);
                fputc('\n', stderr);
                rc = 0;
                goto out;
        }
        if (r < 0 || loop_new(&loop, &err) < 0 ||
            store_open_mode(cli->state_dir, STORE_READ_WRITE, cli->cfg->busy_timeout_ms, &st,
                            &err) < 0 ||
            sender_new(cli->cfg, cli->state_dir, st, loop, &sd, &err) < 0) {
                cli_error(cmd, "%s", err.msg);
                goto out;
        }
        r = loop_signals(loop, stop_signals, ARRAY_SIZE(stop_signals), on_signal, &interrupted);
        if (r < 0)
                log_warnx("signalfd: %s", strerror(-r));
        sender_on_result(sd, on_result, &run);
        if (sender_recover(sd, &n, &err) < 0) {
                cli_error(cmd, "%s", err.msg);
                goto out;
        }
        /* deliver what is due now; what a retry puts off is the daemon's (or the
         * next --send's) */
        for (;;) {
                int64_t wait;

                if (sender_kick(sd, &err) < 0) {
                        cli_error(cmd, "%s", err.msg);
                        if (err.code != -EBUSY)
                                goto out;
                }
                wait = sender_next_ms(sd);
                if (sender_running(sd) == 0 && wait != 0)
                        break;
                r = loop_run_once(loop, wait < 0 || wait > 1000 ? 1000 : wait);
                if (r < 0)
                        log_warnx("epoll_wait: %s", strerror(-r));
                if (interrupted)
                        break;
        }
        printf("%zu sent, %zu to retry later, %zu failed%s\n", run.sent, run.retry, run.failed,
               interrupted ? " (interrupted: what was in flight is retried)" : "");
        rc = run.retry || run.failed || interrupted ? 1 : 0;
out:
        sender_free(sd);
        loop_free(loop);
        store_close(st);
        statelock_release(lock);
        if (masked)
                sigprocmask(SIG_SETMASK, &old, NULL);
        return rc;
}

int
cmd_outbox(struct cli *cli, int argc, char **argv)
{
        static const struct option opts[] = {
                { "json", no_argument, NULL, 'j' },
                { "only", required_argument, NULL, 'o' },
                { "retry", required_argument, NULL, 'r' },
                { "send", no_argument, NULL, 'S' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        struct lister l = { 0 };
        const char *retry_id = NULL;
        bool send = false;
        int c;

        cli_getopt_reset();
        while ((c = cli_getopt(argv[0], argc, argv, "h", opts)) != -1) {
                switch (c) {
                case 'j':
                        l.json = true;
                        break;
                case 'o':
                        if (outbox_state_parse(optarg, &l.only) < 0) {
                                cli_error("outbox", "--only: '%s' is not a state (queued, "
                                          "sending, sent, retry, failed)", optarg);
                                return EXIT_USAGE;
                        }
                        l.filter = true;
                        break;
                case 'r':
                        retry_id = optarg;
                        break;
                case 'S':
                        send = true;
                        break;
                case 'h':
                        fputs(outbox_usage, stdout);
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        }
        if (cli_no_args("outbox", argc, argv) < 0)
                return EXIT_USAGE;
        if ((retry_id != NULL) + send + (l.json || l.filter) > 1) {
                cli_error("outbox", "--retry, --send and listing (--json, --only) go alone "
                          "(see bidbroker outbox --help)");
                return EXIT_USAGE;
        }
        if (retry_id != NULL)
                return retry(cli, retry_id);
        if (send)
                return outbox_deliver_due(cli, "outbox");
        return list(cli, &l);
}
