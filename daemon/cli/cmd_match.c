/*
 * cmd_match.c — the matching commands: match, matches, explain, replay and
 * members (list, show, import).  See docs/matching.md.
 *
 * explain and replay build their answer as one JSON document and print it
 * either as JSON (--json) or as readable text from that same document, so
 * both forms always say the same thing.
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
#include "bidbroker/register.h"
#include "bidbroker/store.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"

/* ---- shared helpers -------------------------------------------------------------- */

static int
load_engine(struct cli *cli, const char *cmd, struct engine **ret)
{
        struct diag d;
        int r;

        diag_init(&d);
        r = matchconf_load(cli->cfg, ret, &d);
        if (r < 0) {
                diag_print(&d, stderr);
                cli_error(cmd, "the capability taxonomy or member register has errors "
                          "(bidbroker check-config lists them)");
        }
        diag_done(&d);
        return r;
}

static struct cpvref *
load_cpvref_quiet(const struct config *cfg)
{
        struct cpvref *ref = NULL;
        struct diag d;

        diag_init(&d);
        (void)matchconf_cpvref(cfg, &ref, &d);  /* labels only: optional */
        diag_done(&d);
        return ref;
}

static int
parse_since(const char *cmd, const char *arg, int64_t *ret)
{
        if (time_parse_iso8601(arg, ret) < 0) {
                cli_error(cmd, "--since: '%s' is not an ISO 8601 date or time "
                          "(e.g. 2025-01-20)", arg);
                return -EINVAL;
        }
        return 0;
}

static int
parse_id(const char *cmd, const char *arg, int64_t *ret)
{
        long v;

        if (parse_long(arg, 1, LONG_MAX, &v) < 0) {
                cli_error(cmd, "'%s' is not an opportunity id (the number `bidbroker list` "
                          "shows)", arg);
                return -EINVAL;
        }
        *ret = v;
        return 0;
}

static json_t *
money_json(int64_t pence)
{
        return pence == VALUE_NONE ? json_null() : json_real((double)pence / 100.0);
}

static json_t *
time_json(int64_t t)
{
        char buf[32];

        if (t == TIME_UNKNOWN)
                return json_null();
        return json_string(time_format_utc(t, buf, sizeof(buf)));
}

static void
print_json(json_t *j)
{
        char *s = json_dumps(j, JSON_COMPACT);

        if (s != NULL) {
                puts(s);
                free(s);
        }
}

static const char *
jstr(const json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

static const char *
field_phrase(const char *field)
{
        if (field == NULL)
                return "";
        if (strcmp(field, "lots") == 0)
                return "a lot title";
        if (strcmp(field, "items") == 0)
                return "an item description";
        return field;
}

/* One reason, readable: "catering: CPV 55524000 (School catering services) is
 * under 555 (Canteen and catering services)". */
static void
print_reason(const json_t *r, const struct cpvref *ref, const char *indent)
{
        const char *kind = jstr(r, "kind"), *cap = jstr(r, "capability");
        const char *rule = jstr(r, "rule"), *field = jstr(r, "field");
        const char *m = jstr(r, "matched");
        double w = json_number_value(json_object_get(r, "weight"));

        printf("%s", indent);
        if (cap)
                printf("%s: ", cap);
        if (kind == NULL) {
                printf("?");
        } else if (strcmp(kind, "cpv") == 0) {
                const char *name = cpvref_name(ref, m), *plabel = cpvref_prefix_label(ref, rule);

                printf("CPV %s%s%s%s is under %s%s%s%s", m ? m : "?", name ? " (" : "",
                       name ? name : "", name ? ")" : "", rule ? rule : "?",
                       plabel ? " (" : "", plabel ? plabel : "", plabel ? ")" : "");
        } else if (strcmp(kind, "rule") == 0 || strcmp(kind, "member_rule") == 0) {
                printf("%s'%s' matched \"%s\" in %s", strcmp(kind, "member_rule") == 0 ?
                       "own rule " : "rule ", rule ? rule : "?", m ? m : "",
                       field_phrase(field));
        } else if (strcmp(kind, "exclusion") == 0) {
                if (field && strcmp(field, "cpv") == 0)
                        printf("excluded: CPV %s is under %s", m ? m : "?", rule ? rule : "?");
                else
                        printf("excluded: '%s' matched \"%s\" in %s", rule ? rule : "?",
                               m ? m : "", field_phrase(field));
        } else if (strcmp(kind, "value_not_stated") == 0) {
                printf("value not stated (matched, labelled)");
        } else {
                printf("%s%s%s", kind, m ? ": " : "", m ? m : "");
        }
        if (w != 0)
                printf("  (+%g)", w);
        putchar('\n');
}

static void
print_reasons(const json_t *arr, const struct cpvref *ref, const char *indent)
{
        size_t i;
        json_t *r;

        json_array_foreach(arr, i, r)
                print_reason(r, ref, indent);
}

static json_t *
member_match_json(const struct member_match *mm)
{
        json_t *o = json_object();

        json_object_set_new(o, "member", json_string(mm->member->id));
        json_object_set_new(o, "name", json_string(mm->member->name));
        json_object_set_new(o, "score", json_real(mm->score));
        json_object_set_new(o, "reasons", reasons_to_json(mm->reasons, mm->nreasons));
        return o;
}

static json_t *
requirement_json(const struct requirement *rq)
{
        json_t *o = json_object();

        json_object_set_new(o, "capability", json_string(rq->cap->id));
        json_object_set_new(o, "label", json_string(rq->cap->label));
        json_object_set_new(o, "score", json_real(rq->score));
        json_object_set_new(o, "reasons", reasons_to_json(rq->reasons, rq->nreasons));
        return o;
}

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
        if (store_open(cli->state_dir, &st, &err) < 0) {
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
        if (store_open_readonly(cli->state_dir, &ctx.st, &err) < 0) {
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

/* ---- explain ------------------------------------------------------------------------ */

static json_t *
explain_json(const struct config *cfg, const struct engine *e, const struct opportunity *o,
             const struct match_result *res, const char *member, int64_t now)
{
        json_t *j = json_object(), *a;
        struct filter f;
        const char *why;

        filter_from_config(&f, cfg);
        why = filter_reject_reason(&f, o, now);

        json_object_set_new(j, "opportunity", opportunity_to_json(o, false));
        json_object_set_new(j, "filter", json_pack("{s:b,s:o}", "eligible", why == NULL,
                                                   "reason", why ? json_string(why) :
                                                   json_null()));
        a = json_array();
        for (size_t i = 0; i < res->nrequires; i++)
                json_array_append_new(a, requirement_json(&res->requires[i]));
        json_object_set_new(j, "requires", a);
        a = json_array();
        for (size_t i = 0; i < res->nexcluded; i++)
                json_array_append_new(a, requirement_json(&res->excluded[i]));
        json_object_set_new(j, "excluded", a);
        a = json_array();
        for (size_t i = 0; i < res->nmatches; i++)
                if (member == NULL || strcmp(res->matches[i].member->id, member) == 0)
                        json_array_append_new(a, member_match_json(&res->matches[i]));
        json_object_set_new(j, "matches", a);
        a = json_array();
        for (size_t i = 0; i < res->nmisses; i++) {
                const struct member_miss *mm = &res->misses[i];

                if (member != NULL && strcmp(mm->member->id, member) != 0)
                        continue;
                json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "member", mm->member->id,
                                                   "name", mm->member->name,
                                                   "reason", mm->reason ? mm->reason : ""));
        }
        json_object_set_new(j, "misses", a);
        (void)e;
        return j;
}

static void
explain_text(const json_t *j, const struct cpvref *ref)
{
        const json_t *o = json_object_get(j, "opportunity");
        const json_t *f = json_object_get(j, "filter");
        const json_t *v, *x;
        size_t i;

        printf("Opportunity %lld: %s\n", (long long)json_integer_value(json_object_get(o, "id")),
               jstr(o, "title") ? jstr(o, "title") : "(no title)");
        if (jstr(o, "buyer"))
                printf("  buyer     %s\n", jstr(o, "buyer"));
        v = json_object_get(o, "value_max");
        if (json_is_number(v))
                printf("  value     £%.0f\n", json_number_value(v));
        else
                printf("  value     not stated\n");
        printf("  deadline  %s\n", jstr(o, "deadline") ? jstr(o, "deadline") : "not given");
        printf("  regions   ");
        json_array_foreach(json_object_get(o, "regions"), i, x)
                printf("%s%s", i ? ", " : "", json_string_value(x));
        if (json_is_true(json_object_get(o, "anywhere")))
                printf("%sanywhere", json_array_size(json_object_get(o, "regions")) ? ", " : "");
        if (json_array_size(json_object_get(o, "regions")) == 0 &&
            !json_is_true(json_object_get(o, "anywhere")))
                printf("none stated");
        putchar('\n');
        json_array_foreach(json_object_get(o, "cpv"), i, x) {
                const char *name = cpvref_name(ref, json_string_value(x));

                printf("  %s %s%s%s\n", i ? "         " : "CPV      ", json_string_value(x),
                       name ? "  " : "", name ? name : "");
        }
        if (json_is_true(json_object_get(f, "eligible")))
                printf("  filter    passes (open, low value or value not stated)\n");
        else
                printf("  filter    would not be matched by `bidbroker match`: %s\n",
                       jstr(f, "reason"));

        printf("\nRequires:\n");
        if (json_array_size(json_object_get(j, "requires")) == 0)
                printf("  nothing: no capability fired\n");
        json_array_foreach(json_object_get(j, "requires"), i, x) {
                printf("  %s (%s), score %g\n", jstr(x, "capability"), jstr(x, "label"),
                       json_number_value(json_object_get(x, "score")));
                print_reasons(json_object_get(x, "reasons"), ref, "      ");
        }
        if (json_array_size(json_object_get(j, "excluded")) > 0) {
                printf("\nExcluded (would have fired, but an exclusion vetoed it):\n");
                json_array_foreach(json_object_get(j, "excluded"), i, x) {
                        printf("  %s (%s)\n", jstr(x, "capability"), jstr(x, "label"));
                        print_reasons(json_object_get(x, "reasons"), ref, "      ");
                }
        }
        printf("\nMatches:\n");
        if (json_array_size(json_object_get(j, "matches")) == 0)
                printf("  none\n");
        json_array_foreach(json_object_get(j, "matches"), i, x) {
                printf("  %s (%s), score %.2f\n", jstr(x, "member"), jstr(x, "name"),
                       json_number_value(json_object_get(x, "score")));
                print_reasons(json_object_get(x, "reasons"), ref, "      ");
        }
        if (json_array_size(json_object_get(j, "misses")) > 0) {
                printf("\nNot matched (nearest miss):\n");
                json_array_foreach(json_object_get(j, "misses"), i, x)
                        printf("  %s: %s\n", jstr(x, "member"), jstr(x, "reason"));
        }
}

int
cmd_explain(struct cli *cli, int argc, char **argv)
{
        static const struct option opts[] = {
                { "member", required_argument, NULL, 'm' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        const char *member = NULL;
        struct engine *e = NULL;
        struct engine_scratch *s = NULL;
        struct store *st = NULL;
        struct cpvref *ref = NULL;
        struct opportunity o;
        struct match_result res;
        struct err err = { 0 };
        bool json = false;
        int64_t id;
        int c, r, rc = 1;

        cli_getopt_reset();
        while ((c = getopt_long(argc, argv, "m:jh", opts, NULL)) != -1) {
                switch (c) {
                case 'm':
                        member = optarg;
                        break;
                case 'j':
                        json = true;
                        break;
                case 'h':
                        printf("usage: bidbroker explain ID [--member M] [--json]\n\n"
                               "Run the matching engine on one stored opportunity and show what\n"
                               "it requires, why each member matched and, for the others, the\n"
                               "nearest miss.\n\n"
                               "  -m, --member M  only this member\n"
                               "  -j, --json      {\"opportunity\", \"filter\", \"requires\", \"excluded\",\n"
                               "                  \"matches\": [{\"member\", \"score\", \"reasons\"}],\n"
                               "                  \"misses\": [{\"member\", \"reason\"}]}\n");
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        }
        if (optind + 1 != argc) {
                cli_error("explain", optind < argc ? "one opportunity id, please" :
                          "which opportunity? (bidbroker explain ID)");
                return EXIT_USAGE;
        }
        if (parse_id("explain", argv[optind], &id) < 0)
                return EXIT_USAGE;
        opportunity_init(&o);
        match_result_init(&res);
        if (load_engine(cli, "explain", &e) < 0)
                goto out;
        if (member != NULL && members_find(engine_members(e), member) == NULL) {
                cli_error("explain", "no member '%s' in the register", member);
                goto out;
        }
        if (store_open_readonly(cli->state_dir, &st, &err) < 0) {
                cli_error("explain", "%s", err.msg);
                goto out;
        }
        r = store_get(st, id, &o, &err);
        if (r < 0) {
                if (r == -ENOENT)
                        cli_error("explain", "no opportunity %lld", (long long)id);
                else
                        cli_error("explain", "%s", err.msg);
                goto out;
        }
        s = engine_scratch_new(e);
        if (engine_match(e, s, &o, ENGINE_EXPLAIN, &res) < 0) {
                cli_error("explain", "matching failed");
                goto out;
        }
        {
                json_t *j = explain_json(cli->cfg, e, &o, &res, member, cli->now);

                if (json) {
                        print_json(j);
                } else {
                        ref = load_cpvref_quiet(cli->cfg);
                        explain_text(j, ref);
                }
                json_decref(j);
        }
        rc = 0;
out:
        match_result_done(&res);
        opportunity_done(&o);
        engine_scratch_free(s);
        store_close(st);
        engine_free(e);
        cpvref_free(ref);
        return rc;
}

/* ---- replay ------------------------------------------------------------------------- */

struct replay {
        const struct config   *cfg;
        const struct engine   *live, *cand;
        struct engine_scratch *sl, *sc;
        struct filter          f;
        int64_t                now;
        json_t                *members;      /* id -> {"gained": [], "lost": []} */
        size_t                 considered, eligible, gained, lost, rescored;
};

static json_t *
replay_member(struct replay *rp, const struct member *m)
{
        json_t *o = json_object_get(rp->members, m->id);

        if (o == NULL) {
                o = json_pack("{s:s,s:s,s:[],s:[]}", "member", m->id, "name",
                              m->name ? m->name : "", "gained", "lost");
                json_object_set_new(rp->members, m->id, o);
        }
        return o;
}

static const struct member_match *
find_match(const struct match_result *r, const char *id)
{
        for (size_t i = 0; i < r->nmatches; i++)
                if (strcmp(r->matches[i].member->id, id) == 0)
                        return &r->matches[i];
        return NULL;
}

static json_t *
opp_brief(const struct opportunity *o)
{
        return json_pack("{s:I,s:o,s:o}", "opportunity", (json_int_t)o->id,
                         "title", o->title ? json_string(o->title) : json_null(),
                         "deadline", time_json(o->deadline));
}

static int
replay_each(const struct opportunity *o, void *arg)
{
        struct replay *rp = arg;
        struct match_result rl, rc, rx;
        bool explained = false;

        rp->considered++;
        if (!filter_accept(&rp->f, o, rp->now))
                return 0;
        rp->eligible++;
        match_result_init(&rl);
        match_result_init(&rc);
        match_result_init(&rx);
        engine_match(rp->live, rp->sl, o, 0, &rl);
        engine_match(rp->cand, rp->sc, o, 0, &rc);
        for (size_t i = 0; i < rc.nmatches; i++) {
                const struct member_match *mm = &rc.matches[i];
                const struct member_match *old = find_match(&rl, mm->member->id);
                json_t *g;

                if (old != NULL) {
                        rp->rescored += old->score != mm->score;
                        continue;
                }
                g = opp_brief(o);
                json_object_set_new(g, "score", json_real(mm->score));
                json_object_set_new(g, "reasons", reasons_to_json(mm->reasons, mm->nreasons));
                json_array_append_new(json_object_get(replay_member(rp, mm->member), "gained"),
                                      g);
                rp->gained++;
        }
        for (size_t i = 0; i < rl.nmatches; i++) {
                const struct member_match *mm = &rl.matches[i];
                const struct member *cm;
                const char *why = NULL;
                json_t *l;

                if (find_match(&rc, mm->member->id) != NULL)
                        continue;
                cm = members_find(engine_members(rp->cand), mm->member->id);
                if (cm == NULL) {
                        why = "member is not in the candidate register";
                } else {
                        if (!explained) {
                                engine_match(rp->cand, rp->sc, o, ENGINE_EXPLAIN, &rx);
                                explained = true;
                        }
                        for (size_t k = 0; k < rx.nmisses; k++)
                                if (strcmp(rx.misses[k].member->id, mm->member->id) == 0)
                                        why = rx.misses[k].reason;
                }
                l = opp_brief(o);
                json_object_set_new(l, "score", json_real(mm->score));
                json_object_set_new(l, "reason", json_string(why ? why : "no longer matches"));
                json_array_append_new(json_object_get(replay_member(rp, mm->member), "lost"),
                                      l);
                rp->lost++;
        }
        match_result_done(&rl);
        match_result_done(&rc);
        match_result_done(&rx);
        return 0;
}

static void
replay_text(const json_t *j, const struct cpvref *ref)
{
        const json_t *m, *x;
        size_t i, k;

        printf("Replayed %lld stored opportunities (%lld open and low value): live "
               "configuration against %s\n",
               (long long)json_integer_value(json_object_get(j, "opportunities")),
               (long long)json_integer_value(json_object_get(j, "eligible")),
               jstr(j, "conf"));
        json_array_foreach(json_object_get(j, "members"), i, m) {
                printf("\n%s (%s): %zu gained, %zu lost\n", jstr(m, "member"), jstr(m, "name"),
                       json_array_size(json_object_get(m, "gained")),
                       json_array_size(json_object_get(m, "lost")));
                json_array_foreach(json_object_get(m, "gained"), k, x) {
                        printf("  + %lld  %s\n",
                               (long long)json_integer_value(json_object_get(x, "opportunity")),
                               jstr(x, "title") ? jstr(x, "title") : "");
                        print_reasons(json_object_get(x, "reasons"), ref, "        ");
                }
                json_array_foreach(json_object_get(m, "lost"), k, x)
                        printf("  - %lld  %s\n        %s\n",
                               (long long)json_integer_value(json_object_get(x, "opportunity")),
                               jstr(x, "title") ? jstr(x, "title") : "", jstr(x, "reason"));
        }
        printf("\n%lld gained, %lld lost, %lld rescored (same members, other score)%s\n",
               (long long)json_integer_value(json_object_get(j, "gained")),
               (long long)json_integer_value(json_object_get(j, "lost")),
               (long long)json_integer_value(json_object_get(j, "rescored")),
               json_array_size(json_object_get(j, "members")) ? "" :
               ": the candidate matches exactly what the live configuration does");
}

int
cmd_replay(struct cli *cli, int argc, char **argv)
{
        static const struct option opts[] = {
                { "conf", required_argument, NULL, 'c' },
                { "since", required_argument, NULL, 's' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        struct replay rp = { .cfg = cli->cfg, .now = cli->now };
        struct engine *live = NULL, *cand = NULL;
        struct store *st = NULL;
        struct cpvref *ref = NULL;
        struct store_query q;
        struct err err = { 0 };
        const char *dir = NULL;
        int64_t since = TIME_UNKNOWN;
        bool json = false;
        struct diag d;
        int c, rc = 1;

        cli_getopt_reset();
        while ((c = getopt_long(argc, argv, "c:s:jh", opts, NULL)) != -1) {
                switch (c) {
                case 'c':
                        dir = optarg;
                        break;
                case 's':
                        if (parse_since("replay", optarg, &since) < 0)
                                return EXIT_USAGE;
                        break;
                case 'j':
                        json = true;
                        break;
                case 'h':
                        printf("usage: bidbroker replay --conf DIR [--since DATE] [--json]\n\n"
                               "Try a rule change before it goes live: build a second engine from\n"
                               "DIR/capabilities.conf and DIR/members/ (a copy of the conf\n"
                               "directory with the changes), run the live and the candidate\n"
                               "configuration over the stored open low-value opportunities, and\n"
                               "show per member the matches gained and lost.  Read-only: nothing\n"
                               "stored changes.\n\n"
                               "  -c, --conf DIR    the candidate configuration\n"
                               "  -s, --since DATE  only notices whose latest release is this recent\n"
                               "  -j, --json        one JSON object\n");
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        }
        if (optind < argc || dir == NULL) {
                cli_error("replay", dir ? "unexpected argument" : "--conf DIR is required");
                return EXIT_USAGE;
        }
        if (load_engine(cli, "replay", &live) < 0)
                goto out;
        diag_init(&d);
        if (matchconf_load_dir(cli->cfg, dir, &cand, &d) < 0) {
                diag_print(&d, stderr);
                cli_error("replay", "the candidate configuration in %s has %zu error%s", dir,
                          diag_count(&d), diag_count(&d) == 1 ? "" : "s");
                diag_done(&d);
                goto out;
        }
        diag_done(&d);
        if (store_open_readonly(cli->state_dir, &st, &err) < 0) {
                cli_error("replay", "%s", err.msg);
                goto out;
        }
        rp.live = live;
        rp.cand = cand;
        rp.sl = engine_scratch_new(live);
        rp.sc = engine_scratch_new(cand);
        rp.members = json_object();
        filter_from_config(&rp.f, cli->cfg);
        store_query_init(&q);
        q.updated_since = since;
        q.skip_raw = true;
        if (store_each(st, &q, replay_each, &rp, &err) < 0) {
                cli_error("replay", "%s", err.msg);
                goto out;
        }
        {
                json_t *j = json_object(), *arr = json_array(), *v;
                const char *key;
                struct strv ids;

                /* members in id order */
                strv_init(&ids);
                json_object_foreach(rp.members, key, v)
                        strv_add(&ids, key);
                strv_sort(&ids);
                for (size_t i = 0; i < ids.n; i++)
                        json_array_append(arr, json_object_get(rp.members, ids.v[i]));
                strv_done(&ids);
                json_object_set_new(j, "conf", json_string(dir));
                json_object_set_new(j, "opportunities", json_integer((json_int_t)rp.considered));
                json_object_set_new(j, "eligible", json_integer((json_int_t)rp.eligible));
                json_object_set_new(j, "gained", json_integer((json_int_t)rp.gained));
                json_object_set_new(j, "lost", json_integer((json_int_t)rp.lost));
                json_object_set_new(j, "rescored", json_integer((json_int_t)rp.rescored));
                json_object_set_new(j, "members", arr);
                if (json) {
                        print_json(j);
                } else {
                        ref = load_cpvref_quiet(cli->cfg);
                        replay_text(j, ref);
                }
                json_decref(j);
        }
        rc = 0;
out:
        json_decref(rp.members);
        engine_scratch_free(rp.sl);
        engine_scratch_free(rp.sc);
        store_close(st);
        engine_free(live);
        engine_free(cand);
        cpvref_free(ref);
        return rc;
}

/* ---- members -------------------------------------------------------------------------- */

static json_t *
member_json(const struct member *m)
{
        json_t *o = json_object(), *rules = json_array();

        json_object_set_new(o, "id", json_string(m->id));
        json_object_set_new(o, "name", json_string(m->name));
        json_object_set_new(o, "email", strv_to_json(&m->emails));
        json_object_set_new(o, "cluster", m->cluster ? json_string(m->cluster) : json_null());
        json_object_set_new(o, "postcode", m->postcode ? json_string(m->postcode) :
                            json_null());
        json_object_set_new(o, "regions", strv_to_json(&m->regions));
        json_object_set_new(o, "capabilities", strv_to_json(&m->capabilities));
        for (size_t i = 0; i < m->nrules; i++) {
                const struct rule *r = &m->rules[i];
                struct buf f;

                buf_init(&f);
                rule_fields_format(r->fields, &f);
                json_array_append_new(rules, json_pack("{s:s,s:s,s:s,s:f,s:b}",
                                                       "key", rule_key(r), "text", r->text,
                                                       "fields", f.data ? f.data : "",
                                                       "weight", r->weight,
                                                       "exclude", r->exclude));
                buf_done(&f);
        }
        json_object_set_new(o, "rules", rules);
        json_object_set_new(o, "min_value", money_json(m->min_value));
        json_object_set_new(o, "max_value", money_json(m->max_value));
        json_object_set_new(o, "capacity", money_json(m->capacity));
        json_object_set_new(o, "consortium", json_boolean(m->consortium));
        json_object_set_new(o, "accreditations", m->accreditations ?
                            json_string(m->accreditations) : json_null());
        json_object_set_new(o, "digest_day", json_string(weekday_name(m->digest_day)));
        json_object_set_new(o, "file", m->file ? json_string(m->file) : json_null());
        return o;
}

static void
print_money(const char *label, int64_t pence)
{
        if (pence == VALUE_NONE)
                return;
        printf("  %-15s £%.2f\n", label, (double)pence / 100.0);
}

static void
print_list(const char *label, const struct strv *v)
{
        printf("  %-15s ", label);
        for (size_t i = 0; i < v->n; i++)
                printf("%s%s", i ? ", " : "", v->v[i]);
        printf("%s\n", v->n ? "" : "-");
}

static void
member_text(const struct member *m, const struct taxonomy *tx)
{
        printf("%s: %s\n", m->id, m->name ? m->name : "");
        print_list("email", &m->emails);
        printf("  %-15s %s\n", "cluster", m->cluster ? m->cluster : "-");
        printf("  %-15s %s\n", "postcode", m->postcode ? m->postcode : "-");
        print_list("regions", &m->regions);
        printf("  %-15s ", "capabilities");
        for (size_t i = 0; i < m->capabilities.n; i++) {
                const struct capability *c = taxonomy_find(tx, m->capabilities.v[i]);

                printf("%s%s%s%s%s", i ? ", " : "", m->capabilities.v[i],
                       c ? " (" : "", c ? c->label : "", c ? ")" : "");
        }
        printf("%s\n", m->capabilities.n ? "" : "-");
        for (size_t i = 0; i < m->nrules; i++) {
                struct buf f;

                buf_init(&f);
                rule_fields_format(m->rules[i].fields, &f);
                printf("  %-15s %s  [%s]\n", rule_key(&m->rules[i]), m->rules[i].text, f.data);
                buf_done(&f);
        }
        print_money("min_value", m->min_value);
        print_money("max_value", m->max_value);
        print_money("capacity", m->capacity);
        printf("  %-15s %s\n", "consortium", m->consortium ? "yes" : "no");
        if (m->accreditations)
                printf("  %-15s %s\n", "accreditations", m->accreditations);
        printf("  %-15s %s\n", "digest_day", weekday_name(m->digest_day));
        printf("  %-15s %s\n", "file", m->file ? m->file : "-");
}

/* Load the taxonomy (when configured) and the register; errors printed. */
static int
load_register(struct cli *cli, const char *cmd, struct taxonomy **tx,
              struct member_register **reg)
{
        struct cpvref *ref = NULL;
        struct diag d;
        int r = 0;

        *tx = NULL;
        if (reg != NULL)
                *reg = NULL;
        if (cli->cfg->members == NULL) {
                cli_error(cmd, "[match] members (the member directory) is not set in %s",
                          cli->cfg->path ? cli->cfg->path : "the configuration");
                return -EINVAL;
        }
        diag_init(&d);
        if (cli->cfg->taxonomy != NULL) {
                (void)matchconf_cpvref(cli->cfg, &ref, &d);
                r = taxonomy_load_ref(cli->cfg->taxonomy, ref, tx, &d);
                cpvref_free(ref);
        }
        if (r == 0 && reg != NULL)
                r = members_load(cli->cfg->members, *tx, reg, &d);
        if (r < 0 || diag_count(&d) > 0) {
                diag_print(&d, stderr);
                cli_error(cmd, "the register has errors");
                taxonomy_free(*tx);
                *tx = NULL;
                if (reg != NULL)
                        *reg = members_free(*reg);
                r = r < 0 ? r : -EINVAL;
        }
        diag_done(&d);
        return r;
}

static int
members_list(struct cli *cli, bool json)
{
        struct taxonomy *tx = NULL;
        struct member_register *reg = NULL;

        if (load_register(cli, "members", &tx, &reg) < 0 || reg == NULL)
                return 1;
        if (!json && reg->n > 0)
                printf("%-22s %-30s %-12s %-20s %s\n", "ID", "NAME", "CLUSTER", "REGIONS",
                       "CAPABILITIES");
        for (size_t i = 0; i < reg->n; i++) {
                const struct member *m = &reg->members[i];

                if (json) {
                        json_t *j = member_json(m);

                        print_json(j);
                        json_decref(j);
                } else {
                        struct buf rg, cp;

                        buf_init(&rg);
                        buf_init(&cp);
                        for (size_t k = 0; k < m->regions.n; k++)
                                buf_printf(&rg, "%s%s", k ? "," : "", m->regions.v[k]);
                        for (size_t k = 0; k < m->capabilities.n; k++)
                                buf_printf(&cp, "%s%s", k ? "," : "", m->capabilities.v[k]);
                        printf("%-22s %-30.30s %-12.12s %-20.20s %s\n", m->id,
                               m->name ? m->name : "", m->cluster ? m->cluster : "-",
                               rg.data ? rg.data : "anywhere", cp.data ? cp.data : "-");
                        buf_done(&rg);
                        buf_done(&cp);
                }
        }
        if (!json)
                fprintf(stderr, "%zu member%s\n", reg->n, reg->n == 1 ? "" : "s");
        members_free(reg);
        taxonomy_free(tx);
        return 0;
}

static int
members_show(struct cli *cli, const char *id, bool json)
{
        struct taxonomy *tx = NULL;
        struct member_register *reg = NULL;
        const struct member *m;
        int rc = 1;

        if (load_register(cli, "members", &tx, &reg) < 0)
                return 1;
        m = members_find(reg, id);
        if (m == NULL) {
                cli_error("members", "no member '%s' in %s", id, cli->cfg->members);
        } else if (json) {
                json_t *j = member_json(m);

                print_json(j);
                json_decref(j);
                rc = 0;
        } else {
                member_text(m, tx);
                rc = 0;
        }
        members_free(reg);
        taxonomy_free(tx);
        return rc;
}

static int
members_import(struct cli *cli, const char *csv)
{
        struct taxonomy *tx = NULL;
        struct import_counts n;
        struct diag d;
        int r;

        if (cli->cfg->taxonomy == NULL) {
                cli_error("members", "[match] taxonomy is not set: capabilities cannot be "
                          "checked");
                return 1;
        }
        if (load_register(cli, "members", &tx, NULL) < 0)
                return 1;
        diag_init(&d);
        r = members_import_csv(csv, cli->cfg->members, tx, &n, &d);
        diag_print(&d, stderr);
        diag_done(&d);
        taxonomy_free(tx);
        if (r < 0) {
                cli_error("members", "%s: nothing imported", csv);
                return 1;
        }
        printf("%s: %zu created, %zu updated, %zu unchanged, %zu rejected\n", csv, n.created,
               n.updated, n.unchanged, n.rejected);
        return n.rejected > 0 ? 1 : 0;
}

int
cmd_members(struct cli *cli, int argc, char **argv)
{
        static const struct option opts[] = {
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        bool json = false;
        const char *sub;
        int c;

        cli_getopt_reset();
        while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
                switch (c) {
                case 'j':
                        json = true;
                        break;
                case 'h':
                        printf("usage: bidbroker members list [--json]\n"
                               "       bidbroker members show ID [--json]\n"
                               "       bidbroker members import FILE.csv\n\n"
                               "The member register: one file per member in [match] members.\n"
                               "import creates or updates member files from a spreadsheet export\n"
                               "(header row: id, name, email, cluster, postcode, regions,\n"
                               "capabilities, keywords, exclusions, min_value, max_value, capacity,\n"
                               "consortium, digest_day; lists in a cell separated by ';'); every\n"
                               "bad row is reported as FILE:LINE and skipped; exit 1 when any row\n"
                               "was rejected.\n");
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        }
        if (optind >= argc) {
                cli_error("members", "list, show ID or import FILE.csv?");
                return EXIT_USAGE;
        }
        sub = argv[optind];
        if (strcmp(sub, "list") == 0 && optind + 1 == argc)
                return members_list(cli, json);
        if (strcmp(sub, "show") == 0 && optind + 2 == argc)
                return members_show(cli, argv[optind + 1], json);
        if (strcmp(sub, "import") == 0 && optind + 2 == argc)
                return members_import(cli, argv[optind + 1]);
        cli_error("members", "usage: members list | show ID | import FILE.csv");
        return EXIT_USAGE;
}
