/*
 * cmd_digest.c — the digest command: members' digests, as they would go now
 * (--preview: nothing written), composed and recorded, or (--send) composed
 * and recorded for every member that is due (docs/digest.md).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidbroker/cli.h"
#include "bidbroker/config.h"
#include "bidbroker/digest.h"
#include "bidbroker/engine.h"
#include "bidbroker/err.h"
#include "bidbroker/members.h"
#include "bidbroker/store.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"

#include "matchcli.h"
#include "outboxcli.h"

static const char digest_usage[] =
        "usage: bidbroker digest [--member M] [--preview | --send]\n\n"
        "Members' digests for the period due now: each member's digest_day at [mail]\n"
        "digest_time (Europe/London).  A period's digest is composed once: running\n"
        "again returns the same message (same Message-ID, same bytes).\n\n"
        "  -m, --member M  only this member\n"
        "  -p, --preview   print the message that would go now; write nothing\n"
        "  -s, --send      compose, record and queue every due digest; print one line\n"
        "                  per member (composed, composed before, nothing new, no\n"
        "                  address); then deliver what the outbox has due over the\n"
        "                  [mail] transport (as outbox --send; when the daemon runs,\n"
        "                  it delivers them)\n"
        "Without --preview or --send the digests are composed, recorded and queued\n"
        "like --send, and the messages printed.  Several messages are separated by a\n"
        "line \"==> MEMBER PERIOD\" on stderr.  Needs [mail] from; signed with the\n"
        "[dkim] keys when set.\n";

static const char *
outcome_name(enum digest_outcome o)
{
        switch (o) {
        case DIGEST_QUEUED: return "composed";
        case DIGEST_EXISTING: return "composed before";
        case DIGEST_EMPTY: return "nothing new (no digest sent)";
        case DIGEST_NO_ADDRESS: return "no email address in the member file";
        case DIGEST_UNSUBSCRIBED: return "unsubscribed (bidbroker members resubscribe ID "
                                         "sends digests again)";
        }
        return "?";
}

int
cmd_digest(struct cli *cli, int argc, char **argv)
{
        static const struct option opts[] = {
                { "member", required_argument, NULL, 'm' },
                { "preview", no_argument, NULL, 'p' },
                { "send", no_argument, NULL, 's' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        const char *member = NULL;
        bool preview = false, send = false, deliver = false;
        struct engine *e = NULL;
        struct store *st = NULL;
        struct digest_env *env = NULL;
        const struct member_register *reg;
        struct err err = { 0 };
        size_t done = 0, failed = 0;
        int c, rc = 1;

        cli_getopt_reset();
        while ((c = cli_getopt(argv[0], argc, argv, "m:psh", opts)) != -1) {
                switch (c) {
                case 'm': member = optarg; break;
                case 'p': preview = true; break;
                case 's': send = true; break;
                case 'h':
                        fputs(digest_usage, stdout);
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        }
        if (cli_no_args("digest", argc, argv) < 0)
                return EXIT_USAGE;
        if (preview && send) {
                cli_error("digest", "--preview writes nothing and --send records: one of them");
                return EXIT_USAGE;
        }
        if (load_engine(cli, "digest", &e) < 0)
                goto out;
        reg = engine_members(e);
        if (member != NULL && members_find(reg, member) == NULL) {
                cli_error("digest", "no member '%s' in %s", member, cli->cfg->members);
                goto out;
        }
        if (digest_env_new(cli->cfg, cli->state_dir, DIGEST_ENV_KEYS |
                           (preview ? DIGEST_ENV_LINKKEY_READ : DIGEST_ENV_LINKKEY), &env,
                           &err) < 0) {
                cli_error("digest", "%s", err.msg);
                goto out;
        }
        if (store_open_mode(cli->state_dir, preview ? STORE_READ_ONLY : STORE_READ_WRITE,
                            cli->cfg->busy_timeout_ms, &st, &err) < 0) {
                cli_error("digest", "%s", err.msg);
                goto out;
        }
        for (size_t i = 0; i < reg->n; i++) {
                const struct member *m = &reg->members[i];
                struct digest_result res;

                if (member != NULL && strcmp(m->id, member) != 0)
                        continue;
                digest_result_init(&res);
                if (digest_member(env, st, e, m, cli->now, preview, &res, &err) < 0) {
                        cli_error("digest", "%s: %s", m->id, err.msg);
                        failed++;
                        digest_result_done(&res);
                        continue;
                }
                if (send) {
                        printf("%s %s: %s", m->id, res.period, outcome_name(res.outcome));
                        if (res.outcome == DIGEST_QUEUED || res.outcome == DIGEST_EXISTING)
                                printf(" (%zu item%s, %zu more waiting, %zu too close to "
                                       "bid)", res.items, res.items == 1 ? "" : "s",
                                       res.overflow, res.infeasible);
                        putchar('\n');
                } else if (res.message.len > 0) {
                        if (member == NULL)
                                fprintf(stderr, "==> %s %s\n", m->id, res.period);
                        fwrite(res.message.data, 1, res.message.len, stdout);
                } else {
                        fprintf(stderr, "digest: %s %s: %s\n", m->id, res.period,
                                outcome_name(res.outcome));
                }
                done++;
                digest_result_done(&res);
        }
        if (fflush(stdout) != 0) {
                cli_error("digest", "writing the output: %s", strerror(errno));
                goto out;
        }
        rc = failed ? 1 : 0;
        (void)done;
        deliver = send;
out:
        digest_env_free(env);
        store_close(st);
        engine_free(e);
        /* --send: deliver what is due now, these digests among them, over
         * the [mail] transport (or leave it to the daemon when it runs) */
        if (deliver && outbox_deliver_due(cli, "digest") != 0)
                rc = 1;
        return rc;
}
