/*
 * cmd_feedback.c — what members said from their digests, for staff:
 *   bidbroker feedback [--member M] [--json]   per rule, then every answer,
 *                                              then the unsubscribed
 *   bidbroker link MEMBER OPP ACTION | link MEMBER unsubscribe [--expires D]
 *                                              a signed link (linktoken.h),
 *                                              to resend one or to test
 *   bidbroker members unsubscribe|resubscribe ID   (members_subscription)
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "bidbroker/cli.h"
#include "bidbroker/config.h"
#include "bidbroker/err.h"
#include "bidbroker/feedback.h"
#include "bidbroker/json.h"
#include "bidbroker/linktoken.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/store.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"

#include "matchcli.h"
#include "term.h"

/* ---- feedback ------------------------------------------------------------------- */

static const char feedback_usage[] =
        "usage: bidbroker feedback [--member ID] [--json]\n\n"
        "What members answered from their digests (the interested / not relevant links):\n"
        "  per rule   each rule (CPV prefix, taxonomy rule, member rule) among the reasons\n"
        "             of the matches members answered: how many said interested and how\n"
        "             many not relevant (a noisy rule has many of the latter)\n"
        "  answers    every answer, newest first: the last click of a member on an\n"
        "             opportunity wins; CLICKS counts them all\n"
        "  unsubscribed   members who unsubscribed: when and how (one-click from the\n"
        "             mail client, the page's button, or staff)\n"
        "  --member ID    only this member's\n"
        "  --json         one JSON object: {\"rules\": [...], \"answers\": [...],\n"
        "                 \"unsubscribed\": [...]}\n";

struct fb_out {
        json_t       *arr;              /* --json */
        struct table *t;                /* text */
};

static const struct table_col rule_cols[] = {
        { "KIND", 0, 4 },
        { "CAPABILITY", 0, 8 },
        { "RULE", TABLE_FLEX, 12 },
        { "INTERESTED", TABLE_RIGHT, 3 },
        { "NOT RELEVANT", TABLE_RIGHT, 3 },
        { "PRECISION", TABLE_RIGHT, 4 },
};

static int
rule_row(const struct feedback_rule *r, void *arg)
{
        struct fb_out *o = arg;
        int64_t all = r->interested + r->not_relevant;

        if (o->arr != NULL) {
                json_array_append_new(o->arr, json_pack(
                        "{s:s,s:o,s:o,s:I,s:I,s:f}", "kind", r->kind,
                        "capability", json_str_or_null(r->capability),
                        "rule", json_str_or_null(r->rule),
                        "interested", (json_int_t)r->interested,
                        "not_relevant", (json_int_t)r->not_relevant,
                        "precision", all ? (double)r->interested / (double)all : 0.0));
        } else {
                char in[24], nr[24], pr[16];
                const char *cells[6] = { r->kind, r->capability, r->rule, in, nr, pr };

                snprintf(in, sizeof(in), "%" PRId64, r->interested);
                snprintf(nr, sizeof(nr), "%" PRId64, r->not_relevant);
                snprintf(pr, sizeof(pr), "%.0f%%", all ? 100.0 * (double)r->interested /
                                                         (double)all : 0.0);
                table_row(o->t, cells, 0);
        }
        return 0;
}

static const struct table_col answer_cols[] = {
        { "WHEN", 0, 10 },
        { "MEMBER", TABLE_KEEP, 0 },
        { "ID", TABLE_KEEP | TABLE_RIGHT, 0 },
        { "ANSWER", 0, 8 },
        { "CLICKS", TABLE_RIGHT, 2 },
        { "TITLE", TABLE_FLEX, 12 },
};

static int
answer_row(const struct feedback_row *r, void *arg)
{
        struct fb_out *o = arg;
        char at[32], first[32];

        if (o->arr != NULL) {
                json_array_append_new(o->arr, json_pack(
                        "{s:s,s:I,s:s,s:s,s:s,s:I,s:o}", "member", r->member,
                        "opportunity", (json_int_t)r->opportunity, "action", r->action,
                        "at", time_format_utc(r->at, at, sizeof(at)),
                        "first_at", time_format_utc(r->first_at, first, sizeof(first)),
                        "clicks", (json_int_t)r->clicks, "title", json_str_or_null(r->title)));
        } else {
                char id[24], clicks[24];
                const char *cells[6] = { time_format_uk(r->at, at, sizeof(at)), r->member, id,
                                         r->action, clicks, r->title };

                snprintf(id, sizeof(id), "%" PRId64, r->opportunity);
                snprintf(clicks, sizeof(clicks), "%" PRId64, r->clicks);
                table_row(o->t, cells, 0);
        }
        return 0;
}

static const struct table_col unsub_cols[] = {
        { "MEMBER", TABLE_KEEP, 0 },
        { "UNSUBSCRIBED", 0, 10 },
        { "HOW", 0, 4 },
        { "RESUBSCRIBED", 0, 10 },
};

static int
unsub_row(const struct unsubscribe_row *r, void *arg)
{
        struct fb_out *o = arg;
        char at[32], re[32];

        if (o->arr != NULL) {
                json_array_append_new(o->arr, json_pack(
                        "{s:s,s:s,s:s,s:o}", "member", r->member,
                        "at", time_format_utc(r->at, at, sizeof(at)), "how", r->how,
                        "resubscribed", r->resubscribed ? json_string(time_format_utc(
                                r->resubscribed, re, sizeof(re))) : json_null()));
        } else {
                const char *cells[4] = { r->member, time_format_uk(r->at, at, sizeof(at)),
                                         r->how, r->resubscribed ? time_format_uk(
                                                 r->resubscribed, re, sizeof(re)) : "-" };

                table_row(o->t, cells, 0);
        }
        return 0;
}

/* One section: a heading and its table (text), or a key of j (--json). */
static int
section(struct cli *cli, json_t *j, const char *key, const char *heading,
        const struct table_col *cols, size_t ncols,
        int (*each)(struct store *s, const char *member, void *arg, struct err *e),
        struct store *st, const char *member, struct err *err)
{
        struct fb_out o = { NULL, NULL };
        int r;

        if (j != NULL)
                o.arr = json_array();
        else
                o.t = table_new(cols, ncols);
        r = each(st, member, &o, err);
        if (r == 0 && j != NULL) {
                json_object_set(j, key, o.arr);
        } else if (r == 0) {
                printf("%s%s\n", cli->color ? "\033[1m" : "", heading);
                if (cli->color)
                        fputs("\033[0m", stdout);
                if (table_rows(o.t) > 0)
                        table_print(o.t, stdout, (size_t)cli->cols, cli->color);
                else
                        printf("  (none)\n");
        }
        json_decref(o.arr);
        table_free(o.t);
        return r;
}

/* feedback.h's iterators with one signature, for section() */
static int
each_rule(struct store *s, const char *m, void *arg, struct err *e)
{
        return feedback_by_rule(s, m, rule_row, arg, e);
}

static int
each_answer(struct store *s, const char *m, void *arg, struct err *e)
{
        return feedback_each(s, m, answer_row, arg, e);
}

static int
each_unsub(struct store *s, const char *m, void *arg, struct err *e)
{
        return unsubscribe_each(s, m, unsub_row, arg, e);
}

int
cmd_feedback(struct cli *cli, int argc, char **argv)
{
        static const struct option opts[] = {
                { "member", required_argument, NULL, 'm' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        const char *member = NULL;
        struct store *st = NULL;
        struct err err = { 0 };
        json_t *j = NULL;
        bool json = false;
        int c, rc = 1;

        cli_getopt_reset();
        while ((c = cli_getopt(argv[0], argc, argv, "m:jh", opts)) != -1) {
                switch (c) {
                case 'm':
                        member = optarg;
                        break;
                case 'j':
                        json = true;
                        break;
                case 'h':
                        fputs(feedback_usage, stdout);
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        }
        if (cli_no_args("feedback", argc, argv) < 0)
                return EXIT_USAGE;
        if (store_open_mode(cli->state_dir, STORE_READ_ONLY, cli->cfg->busy_timeout_ms, &st,
                            &err) < 0) {
                cli_error("feedback", "%s", err.msg);
                return 1;
        }
        if (json)
                j = json_object();
        if (section(cli, j, "rules", "Per rule", rule_cols, ARRAY_SIZE(rule_cols), each_rule,
                    st, member, &err) < 0 ||
            section(cli, j, "answers", "\nAnswers", answer_cols, ARRAY_SIZE(answer_cols),
                    each_answer, st, member, &err) < 0 ||
            section(cli, j, "unsubscribed", "\nUnsubscribed", unsub_cols,
                    ARRAY_SIZE(unsub_cols), each_unsub, st, member, &err) < 0) {
                cli_error("feedback", "%s", err.msg);
                goto out;
        }
        if (j != NULL)
                json_print(stdout, j, JSON_DUMP_INDENTED);
        rc = 0;
out:
        json_decref(j);
        store_close(st);
        return rc;
}

/* ---- link ----------------------------------------------------------------------- */

static const char link_usage[] =
        "usage: bidbroker link MEMBER OPPORTUNITY interested|not-relevant [--expires D]\n"
        "       bidbroker link MEMBER unsubscribe [--expires D]\n\n"
        "Print a signed link, as a digest carries it: PUBLIC_URL/l/TOKEN or\n"
        "PUBLIC_URL/unsubscribe/TOKEN ([http] public_url), signed with STATE/link.key\n"
        "(made on first use).  For staff who resend a link by hand, and for tests.\n"
        "  --expires D   valid for D from now (--now moves now; default 90d):\n"
        "                e.g. 30d, 12h\n";

int
cmd_link(struct cli *cli, int argc, char **argv)
{
        static const struct option opts[] = {
                { "expires", required_argument, NULL, 'e' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        const char *member, *public_url;
        struct linkkey *key = NULL;
        struct store *st = NULL;
        struct err err = { 0 };
        enum link_action a;
        int64_t opp = 0, ttl_ms = 90LL * 86400 * 1000;
        char *tok = NULL;
        int c, n, rc = 1;

        cli_getopt_reset();
        while ((c = cli_getopt(argv[0], argc, argv, "e:h", opts)) != -1) {
                switch (c) {
                case 'e':
                        if (parse_duration_ms(optarg, &ttl_ms) < 0 || ttl_ms < 1000) {
                                cli_error("link", "--expires '%s': not a duration "
                                          "(e.g. 30d, 12h)", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case 'h':
                        fputs(link_usage, stdout);
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        }
        n = argc - optind;
        if (n == 2 && strcmp(argv[optind + 1], "unsubscribe") == 0) {
                a = LINK_UNSUBSCRIBE;
        } else if (n == 3 && ((a = link_action_parse(argv[optind + 2])) == LINK_INTERESTED ||
                              a == LINK_NOT_RELEVANT)) {
                if (parse_id("link", argv[optind + 1], &opp) < 0)
                        return EXIT_USAGE;
        } else {
                cli_error("link", "usage: bidbroker link MEMBER OPPORTUNITY "
                          "interested|not-relevant, or bidbroker link MEMBER unsubscribe "
                          "(see bidbroker link --help)");
                return EXIT_USAGE;
        }
        member = argv[optind];
        public_url = cli->cfg->public_url;     /* no config before the options: --help */
        if (public_url == NULL) {
                cli_error("link", "no [http] public_url in %s: set it to the address members "
                          "reach the server at (https://...)",
                          cli->config_path ? cli->config_path : "the configuration");
                return 1;
        }
        if (cli->cfg->members != NULL && !member_known(cli, "link", member))
                return 1;
        /* read-write: a new state directory is made (link.key lives there) */
        if (store_open_mode(cli->state_dir, STORE_READ_WRITE, cli->cfg->busy_timeout_ms, &st,
                            &err) < 0) {
                cli_error("link", "%s", err.msg);
                return 1;
        }
        if (opp > 0) {
                struct opportunity o;
                int r;

                opportunity_init(&o);
                r = store_get(st, opp, &o, &err);
                opportunity_done(&o);
                if (r == -ENOENT) {
                        cli_error("link", "no opportunity %" PRId64 " in the store", opp);
                        goto out;
                }
                if (r < 0) {
                        cli_error("link", "%s", err.msg);
                        goto out;
                }
        }
        if (linkkey_open(cli->state_dir, true, &key, &err) < 0 ||
            linktoken_make(key, member, opp, a, cli->now + ttl_ms / 1000, &tok, &err) < 0) {
                cli_error("link", "%s", err.msg);
                goto out;
        }
        printf("%s%s%s/%s\n", public_url,
               public_url[0] && public_url[strlen(public_url) - 1] == '/' ? "" : "/",
               a == LINK_UNSUBSCRIBE ? "unsubscribe" : "l", tok);
        rc = 0;
out:
        free(tok);
        linkkey_free(key);
        store_close(st);
        return rc;
}

/* ---- members unsubscribe|resubscribe -------------------------------------------- */

int
members_subscription(struct cli *cli, const char *id, bool unsubscribe)
{
        struct store *st = NULL;
        struct err err = { 0 };
        bool b = false;
        int r, rc = 1;

        if (store_open(cli->state_dir, &st, &err) < 0) {
                cli_error("members", "%s", err.msg);
                return 1;
        }
        r = unsubscribe ? member_unsubscribe(st, id, UNSUB_STAFF, cli->now, &b, &err)
                        : member_resubscribe(st, id, cli->now, &b, &err);
        if (r < 0) {
                cli_error("members", "%s", err.msg);
                goto out;
        }
        if (unsubscribe)
                printf(b ? "%s was unsubscribed already\n"
                         : "unsubscribed %s: it gets no more digests\n", id);
        else
                printf(b ? "resubscribed %s: it gets digests again\n"
                         : "%s was not unsubscribed: nothing to do\n", id);
        rc = 0;
out:
        store_close(st);
        return rc;
}
