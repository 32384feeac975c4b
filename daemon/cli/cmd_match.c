/*
 * cmd_match.c — the match and matches commands.  See docs/matching.md.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidbroker/cli.h"
#include "bidbroker/config.h"
#include "bidbroker/cpvref.h"
#include "bidbroker/engine.h"
#include "bidbroker/err.h"
#include "bidbroker/filter.h"
#include "bidbroker/matchconf.h"
#include "bidbroker/matchstore.h"
#include "bidbroker/oppjson.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/store.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"

#include "matchcli.h"

/* ---- match ------------------------------------------------------------------------- */

int
cmd_match(struct cli *cli, int argc, char **argv)
{
        static const struct option opts[] = {
                { "since", required_argument, NULL, 's' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        int64_t since = TIME_UNKNOWN;
        struct engine *e = NULL;
        struct store *st = NULL;
        struct match_counts n;
        struct filter f;
        struct err err = { 0 };
        char fp[MATCHCONF_FINGERPRINT_LEN];
        bool json = false;
        int c, rc = 1;

        cli_getopt_reset();
        while ((c = getopt_long(argc, argv, "s:jh", opts, NULL)) != -1) {
                switch (c) {
                case 's':
                        if (parse_since("match", optarg, &since) < 0)
                                return EXIT_USAGE;
                        break;
                case 'j':
                        json = true;
                        break;
                case 'h':
                        printf("usage: bidbroker match [--since DATE] [--json]\n\n"
                               "Match the stored open low-value opportunities to the members and\n"
                               "store the results.  Re-running changes nothing unless a notice,\n"
                               "the taxonomy or the register changed; matches that no longer hold\n"
                               "are marked withdrawn.\n\n"
                               "  -s, --since DATE  only notices whose latest release is this recent\n"
                               "  -j, --json        print the counts as one JSON object\n");
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        }
        if (optind < argc) {
                cli_error("match", "unexpected argument '%s'", argv[optind]);
                return EXIT_USAGE;
        }
        if (load_engine(cli, "match", &e) < 0)
                return 1;
        if (store_open_mode(cli->state_dir, STORE_READ_WRITE, cli->cfg->busy_timeout_ms, &st,
                            &err) < 0) {
                cli_error("match", "%s", err.msg);
                goto out;
        }
        filter_from_config(&f, cli->cfg);
        matchconf_fingerprint(e, fp);
        if (matchstore_run(st, e, fp, &f, cli->now, since, &n, &err) < 0) {
                cli_error("match", "%s", err.msg);
                goto out;
        }
        if (json) {
                json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s}",
                                      "considered", (json_int_t)n.considered,
                                      "eligible", (json_int_t)n.eligible,
                                      "evaluated", (json_int_t)n.evaluated,
                                      "skipped", (json_int_t)n.skipped,
                                      "added", (json_int_t)n.added,
                                      "changed", (json_int_t)n.changed,
                                      "unchanged", (json_int_t)n.unchanged,
                                      "withdrawn", (json_int_t)n.withdrawn,
                                      "fingerprint", fp);

                print_json(o);
                json_decref(o);
        } else {
                printf("%zu opportunities, %zu open and low value; %zu matched now, "
                       "%zu unchanged since the last run\n", n.considered, n.eligible,
                       n.evaluated, n.skipped);
                printf("matches: %zu new, %zu changed, %zu unchanged, %zu withdrawn\n",
                       n.added, n.changed, n.unchanged, n.withdrawn);
        }
        rc = 0;
out:
        store_close(st);
        engine_free(e);
        return rc;
}

/* ---- matches ----------------------------------------------------------------------- */

struct matches_ctx {
        struct store *st;
        bool          json;
        size_t        n;
};

static int
each_match(const struct stored_match *m, void *arg)
{
        struct matches_ctx *c = arg;
        struct opportunity o;
        struct err err = { 0 };
        json_t *reasons;
        bool have;

        opportunity_init(&o);
        have = store_get(c->st, m->opportunity_id, &o, &err) == 0;
        reasons = json_loads(m->reasons ? m->reasons : "[]", 0, NULL);
        if (reasons == NULL)
                reasons = json_array();
        if (c->json) {
                json_t *j = json_object();

                json_object_set_new(j, "opportunity", json_integer(m->opportunity_id));
                json_object_set_new(j, "member", json_string(m->member));
                json_object_set_new(j, "score", json_real(m->score));
                json_object_set_new(j, "kind", json_string(m->kind ? m->kind : "single"));
                json_object_set_new(j, "reasons", reasons);
                json_object_set_new(j, "status", json_string(m->status ? m->status : "active"));
                json_object_set_new(j, "withdrawn_reason", m->withdrawn_reason ?
                                    json_string(m->withdrawn_reason) : json_null());
                json_object_set_new(j, "title", have && o.title ? json_string(o.title) :
                                    json_null());
                json_object_set_new(j, "buyer", have && o.buyer_name ?
                                    json_string(o.buyer_name) : json_null());
                json_object_set_new(j, "deadline", have ? time_json(o.deadline) : json_null());
                json_object_set_new(j, "value_max", have && o.value_stated ?
                                    money_json(o.value_max) : json_null());
                json_object_set_new(j, "url", have && o.url ? json_string(o.url) : json_null());
                json_object_set_new(j, "first_matched", time_json(m->first_matched));
                json_object_set_new(j, "updated", time_json(m->updated));
                json_object_set_new(j, "content_hash", json_string(m->content_hash));
                json_object_set_new(j, "fingerprint", json_string(m->fingerprint));
                print_json(j);
                json_decref(j);
        } else {
                char dl[64];
                size_t i;
                json_t *r;
                struct strv seen;
                struct buf caps;

                buf_init(&caps);
                strv_init(&seen);
                json_array_foreach(reasons, i, r) {
                        const char *cap = jstr(r, "capability");

                        if (cap && !strv_contains(&seen, cap)) {
                                strv_add(&seen, cap);
                                buf_printf(&caps, "%s%s", caps.len ? "," : "", cap);
                        }
                }
                strv_done(&seen);
                if (c->n == 0)
                        printf("%-20s %6s %6s  %-17s %-16s %s\n", "MEMBER", "OPP", "SCORE",
                               "DEADLINE", "CAPABILITIES", "TITLE");
                printf("%-20s %6lld %6.2f  %-17s %-16s %s%s%s%s\n", m->member,
                       (long long)m->opportunity_id, m->score,
                       have && o.deadline != TIME_UNKNOWN ?
                       time_format_uk(o.deadline, dl, sizeof(dl)) : "-",
                       caps.data ? caps.data : "-", have && o.title ? o.title : "?",
                       strcmp(m->status ? m->status : "active", "active") ? " [withdrawn: " : "",
                       strcmp(m->status ? m->status : "active", "active") ?
                       (m->withdrawn_reason ? m->withdrawn_reason : "") : "",
                       strcmp(m->status ? m->status : "active", "active") ? "]" : "");
                buf_done(&caps);
                json_decref(reasons);
        }
        c->n++;
        opportunity_done(&o);
        return 0;
}

int
cmd_matches(struct cli *cli, int argc, char **argv)
{
        static const struct option opts[] = {
                { "member", required_argument, NULL, 'm' },
                { "all", no_argument, NULL, 'a' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        struct matches_ctx ctx = { 0 };
        const char *member = NULL;
        struct err err = { 0 };
        bool all = false;
        int c, r;

        cli_getopt_reset();
        while ((c = getopt_long(argc, argv, "m:ajh", opts, NULL)) != -1) {
                switch (c) {
                case 'm':
                        member = optarg;
                        break;
                case 'a':
                        all = true;
                        break;
                case 'j':
                        ctx.json = true;
                        break;
                case 'h':
                        printf("usage: bidbroker matches [--member M] [--all] [--json]\n\n"
                               "List the stored matches (bidbroker match stores them), by member\n"
                               "and score.\n\n"
                               "  -m, --member M  only this member's\n"
                               "  -a, --all       withdrawn matches too\n"
                               "  -j, --json      one JSON object per line: opportunity, member,\n"
                               "                  score, kind, reasons, status, title, deadline, ...\n");
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        }
        if (optind < argc) {
                cli_error("matches", "unexpected argument '%s'", argv[optind]);
                return EXIT_USAGE;
        }
        if (store_open_mode(cli->state_dir, STORE_READ_ONLY, cli->cfg->busy_timeout_ms, &ctx.st,
                            &err) < 0) {
                cli_error("matches", "%s", err.msg);
                return 1;
        }
        r = matchstore_each(ctx.st, member, all, each_match, &ctx, &err);
        store_close(ctx.st);
        if (r == -ENOENT) {
                if (!ctx.json)
                        fprintf(stderr, "bidbroker: matches: %s\n", err.msg);
                return 0;
        }
        if (r < 0) {
                cli_error("matches", "%s", err.msg);
                return 1;
        }
        if (!ctx.json && ctx.n == 0)
                fprintf(stderr, "no matches%s%s\n", member ? " for " : "", member ? member : "");
        return 0;
}

