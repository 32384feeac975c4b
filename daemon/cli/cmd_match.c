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
#include "bidbroker/consortmatch.h"
#include "bidbroker/cpvref.h"
#include "bidbroker/engine.h"
#include "bidbroker/err.h"
#include "bidbroker/filter.h"
#include "bidbroker/json.h"
#include "bidbroker/matchconf.h"
#include "bidbroker/matchstore.h"
#include "bidbroker/oppjson.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/store.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"

#include "matchcli.h"
#include "term.h"

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
        struct consort_opts co;
        struct err err = { 0 };
        char fp[HASH_HEX_LEN];
        bool json = false;
        int c, rc = 1;

        cli_getopt_reset();
        while ((c = cli_getopt(argv[0], argc, argv, "s:jh", opts)) != -1) {
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
        if (cli_no_args("match", argc, argv) < 0) {
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
        matchconf_consort_opts(cli->cfg, e, &co);
        if (matchstore_run(st, e, fp, &co, &f, cli->now, since, &n, &err) < 0) {
                cli_error("match", "%s", err.msg);
                goto out;
        }
        if (json) {
                json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s}",
                                      "considered", (json_int_t)n.considered,
                                      "duplicates", (json_int_t)n.duplicates,
                                      "eligible", (json_int_t)n.eligible,
                                      "evaluated", (json_int_t)n.evaluated,
                                      "skipped", (json_int_t)n.skipped,
                                      "added", (json_int_t)n.added,
                                      "changed", (json_int_t)n.changed,
                                      "unchanged", (json_int_t)n.unchanged,
                                      "withdrawn", (json_int_t)n.withdrawn,
                                      "consortia", (json_int_t)n.consortia,
                                      "fingerprint", fp);

                json_print(stdout, o, JSON_DUMP_FLAGS);
                json_decref(o);
        } else {
                printf("%zu opportunities", n.considered);
                if (n.duplicates)
                        printf(" (%zu the other source's record of a tender, matched "
                               "once as that)", n.duplicates);
                printf(", %zu open and low value; %zu matched now, "
                       "%zu unchanged since the last run\n", n.eligible,
                       n.evaluated, n.skipped);
                printf("matches: %zu new, %zu changed, %zu unchanged, %zu withdrawn\n",
                       n.added, n.changed, n.unchanged, n.withdrawn);
                if (n.consortia)
                        printf("consortium suggestions: %zu computed and stored "
                               "(bidbroker explain ID --consortia)\n", n.consortia);
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
        struct table *table;            /* the text form */
};

static const struct table_col matches_cols[] = {
        { "MEMBER", TABLE_KEEP, 0 },
        { "OPP", TABLE_RIGHT | TABLE_KEEP, 0 },
        { "SCORE", TABLE_RIGHT | TABLE_KEEP, 0 },
        { "DEADLINE", TABLE_KEEP, 0 },
        { "CAPABILITIES", 0, 8 },
        { "TITLE", TABLE_FLEX, 16 },
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
                json_object_set_new(j, "withdrawn_reason", json_str_or_null(m->withdrawn_reason));
                json_object_set_new(j, "title", json_str_or_null(have ? o.title : NULL));
                json_object_set_new(j, "buyer", json_str_or_null(have ? o.buyer_name : NULL));
                json_object_set_new(j, "deadline", have ? json_time(o.deadline) : json_null());
                json_object_set_new(j, "value_max", have && o.value_stated ?
                                    json_money(o.value_max) : json_null());
                json_object_set_new(j, "url", json_str_or_null(have ? o.url : NULL));
                json_object_set_new(j, "first_matched", json_time(m->first_matched));
                json_object_set_new(j, "updated", json_time(m->updated));
                json_object_set_new(j, "content_hash", json_string(m->content_hash));
                json_object_set_new(j, "fingerprint", json_string(m->fingerprint));
                json_print(stdout, j, JSON_DUMP_FLAGS);
                json_decref(j);
        } else {
                char dl[64], id[24], score[24];
                const char *cells[ARRAY_SIZE(matches_cols)];
                bool active = strcmp(m->status ? m->status : "active", "active") == 0;
                size_t i;
                json_t *r;
                struct strv seen;
                struct buf caps, title;

                buf_init(&caps);
                buf_init(&title);
                strv_init(&seen);
                json_array_foreach(reasons, i, r) {
                        const char *cap = jstr(r, "capability");

                        if (cap && !strv_contains(&seen, cap)) {
                                strv_add(&seen, cap);
                                buf_printf(&caps, "%s%s", caps.len ? "," : "", cap);
                        }
                }
                strv_done(&seen);
                if (!active)            /* first: a clipped title keeps it */
                        buf_printf(&title, "(withdrawn: %s) ", m->withdrawn_reason ?
                                   m->withdrawn_reason : m->status);
                buf_adds(&title, have && o.title ? o.title : "?");
                snprintf(id, sizeof(id), "%lld", (long long)m->opportunity_id);
                snprintf(score, sizeof(score), "%.2f", m->score);
                cells[0] = m->member;
                cells[1] = id;
                cells[2] = score;
                cells[3] = have && o.deadline != TIME_UNKNOWN ?
                           time_format_uk(o.deadline, dl, sizeof(dl)) : "-";
                cells[4] = caps.data ? caps.data : "-";
                cells[5] = title.data;
                table_row(c->table, cells, active ? 0 : TABLE_ROW_DIM);
                buf_done(&caps);
                buf_done(&title);
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
        while ((c = cli_getopt(argv[0], argc, argv, "m:ajh", opts)) != -1) {
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
        if (cli_no_args("matches", argc, argv) < 0) {
                return EXIT_USAGE;
        }
        if (store_open_mode(cli->state_dir, STORE_READ_ONLY, cli->cfg->busy_timeout_ms, &ctx.st,
                            &err) < 0) {
                cli_error("matches", "%s", err.msg);
                return 1;
        }
        if (!ctx.json)
                ctx.table = table_new(matches_cols, ARRAY_SIZE(matches_cols));
        r = matchstore_each(ctx.st, member, all, each_match, &ctx, &err);
        store_close(ctx.st);
        if (r < 0 && r != -ENOENT) {
                cli_error("matches", "%s", err.msg);
                table_free(ctx.table);
                return 1;
        }
        /* an unknown member is an error, not an empty list (a member
         * removed since keeps its stored matches) */
        if (ctx.n == 0 && member != NULL && !member_known(cli, "matches", member)) {
                table_free(ctx.table);
                return 1;
        }
        if (r == -ENOENT) {
                if (!ctx.json)
                        fprintf(stderr, "bidbroker: matches: %s\n", err.msg);
        } else if (ctx.table != NULL && ctx.n > 0) {
                table_print(ctx.table, stdout, (size_t)cli->cols, cli->color);
        } else if (!ctx.json && ctx.n == 0) {
                fprintf(stderr, "no matches%s%s\n", member ? " for " : "", member ? member : "");
        }
        table_free(ctx.table);
        return 0;
}

