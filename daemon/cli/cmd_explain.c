/*
 * cmd_explain.c — the explain command: why an opportunity matches each member, or not.
 *
 * explain builds its answer as one JSON document and prints it either as
 * JSON (--json) or as readable text from that same document, so both forms
 * always say the same thing.  See docs/matching.md.
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
#include "bidbroker/consortlots.h"
#include "bidbroker/consortmatch.h"
#include "bidbroker/consortstore.h"
#include "bidbroker/cpvref.h"
#include "bidbroker/engine.h"
#include "bidbroker/err.h"
#include "bidbroker/filter.h"
#include "bidbroker/human.h"
#include "bidbroker/json.h"
#include "bidbroker/members.h"
#include "bidbroker/scale.h"
#include "bidbroker/matchconf.h"
#include "bidbroker/matchstore.h"
#include "bidbroker/oppjson.h"
#include "bidbroker/links.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/store.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"

#include "consortcli.h"
#include "lotscli.h"
#include "matchcli.h"
#include "term.h"

/* ---- explain ------------------------------------------------------------------------ */

static json_t *
explain_json(const struct config *cfg, const struct engine *e, const struct opportunity *o,
             const struct match_result *res, const struct lots_suggestion *ls,
             const char *member, int64_t now, enum link_verdict lv, const char *linkwhy)
{
        json_t *j = json_object(), *a;
        struct filter f;
        char scale[SCALE_REASON_MAX];
        const char *why, *over;

        filter_from_config(&f, cfg);
        /* as the match pass has it (links.h): the other source's record of a
         * tender is matched as that one; a tender its other record closes
         * is closed */
        why = lv == LINK_DUPLICATE ? linkwhy : filter_reject_reason(&f, o, now);
        if (why == NULL && lv == LINK_OTHER_CLOSED)
                why = linkwhy;
        over = filter_likely_over_cap(&f, o, scale, sizeof(scale));

        json_object_set_new(j, "opportunity", opportunity_to_json(o, false));
        json_object_set_new(j, "filter", json_pack("{s:b,s:o,s:o}", "eligible", why == NULL,
                                                   "reason", json_str_or_null(why),
                                                   "likely_over_cap", json_str_or_null(over)));
        a = json_array();
        for (size_t i = 0; i < res->nrequires; i++) {
                json_t *rq = requirement_json(&res->requires[i]);

                /* required (CPV, title, lots, items, a strong rule) or incidental
                 * (named only in the description): members match on required ones */
                json_object_set_new(rq, "required", json_boolean(res->requires[i].required));
                json_array_append_new(a, rq);
        }
        json_object_set_new(j, "requires", a);
        /* which region rule applied: on-site work at its delivery place, or the
         * notice's own regions */
        json_object_set_new(j, "place", res->place ? json_string(res->place) : json_null());
        a = json_array();
        for (size_t i = 0; i < res->nexcluded; i++)
                json_array_append_new(a, requirement_json(&res->excluded[i]));
        json_object_set_new(j, "excluded", a);
        a = json_array();
        for (size_t i = 0; i < res->nmatches; i++)
                if (member == NULL || strcmp(res->matches[i].member->id, member) == 0)
                        json_array_append_new(a, member_match_json(&res->matches[i]));
        json_object_set_new(j, "matches", a);
        /* separable lots: each matched on its own (consortlots.h) */
        if (ls->n > 0)
                json_object_set_new(j, "lots", lots_match_json(o, ls, member));
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
        if (res->budget.member != NULL)
                json_object_set_new(j, "rule_budget", json_pack(
                        "{s:s,s:s,s:I,s:I,s:I}", "member", res->budget.member->id,
                        "rule", res->budget.rule, "budget_ms", (json_int_t)res->budget.budget_ms,
                        "rule_ms", (json_int_t)res->budget.rule_ms,
                        "skipped", (json_int_t)res->budget.skipped));
        else
                json_object_set_new(j, "rule_budget", json_null());
        (void)e;
        return j;
}

/* The opportunity's facts and the filter's verdict (o and f of explain's JSON). */
static void
opportunity_text(FILE *out, const json_t *o, const json_t *f, const struct cpvref *ref)
{
        const json_t *v, *x;
        size_t i;

        fprintf(out, "Opportunity %lld: %s\n", (long long)json_integer_value(json_object_get(o, "id")),
               jstr(o, "title") ? jstr(o, "title") : "(no title)");
        if (jstr(o, "buyer"))
                fprintf(out, "  buyer     %s\n", jstr(o, "buyer"));
        v = json_object_get(o, "value_max");
        if (json_is_number(v)) {
                char b[HUMAN_MONEY_MAX];

                fprintf(out, "  value     %s\n", human_money(llround(json_number_value(v) * 100),
                                                     jstr(o, "currency"), b, sizeof(b)));
        } else {
                fprintf(out, "  value     not stated\n");
        }
        {
                int64_t t;
                char b[32];

                if (jstr(o, "deadline") && time_parse_iso8601(jstr(o, "deadline"), &t) == 0)
                        fprintf(out, "  deadline  %s\n", time_format_uk(t, b, sizeof(b)));
                else
                        fprintf(out, "  deadline  not given\n");
        }
        fprintf(out, "  regions   ");
        json_array_foreach(json_object_get(o, "regions"), i, x)
                fprintf(out, "%s%s", i ? ", " : "", json_string_value(x));
        if (json_is_true(json_object_get(o, "anywhere")))
                fprintf(out, "%sanywhere", json_array_size(json_object_get(o, "regions")) ? ", " : "");
        if (json_array_size(json_object_get(o, "regions")) == 0 &&
            !json_is_true(json_object_get(o, "anywhere")))
                fprintf(out, "none stated");
        fputc('\n', out);
        json_array_foreach(json_object_get(o, "cpv"), i, x) {
                const char *name = cpvref_name(ref, json_string_value(x));

                fprintf(out, "  %s %s%s%s\n", i ? "         " : "CPV      ", json_string_value(x),
                       name ? "  " : "", name ? name : "");
        }
        if (json_is_true(json_object_get(f, "eligible")))
                fprintf(out, "  filter    passes (open, low value or value not stated)\n");
        else
                fprintf(out, "  filter    would not be matched by `bidbroker match`: %s\n",
                       jstr(f, "reason"));
        if (jstr(f, "likely_over_cap"))
                fprintf(out, "  scale     likely over the value cap: %s%s\n", jstr(f, "likely_over_cap"),
                       json_is_true(json_object_get(f, "eligible")) ?
                       " (kept: keep_likely_over_cap = yes)" : "");
}

/* What the notice requires, and what an exclusion vetoed. */
static void
requires_text(FILE *out, const json_t *j, const struct cpvref *ref)
{
        const json_t *x;
        size_t i;

        fprintf(out, "\nRequires:\n");
        if (json_array_size(json_object_get(j, "requires")) == 0)
                fprintf(out, "  nothing: no capability fired\n");
        json_array_foreach(json_object_get(j, "requires"), i, x) {
                fprintf(out, "  %s (%s), score %g%s\n", jstr(x, "capability"), jstr(x, "label"),
                       json_number_value(json_object_get(x, "score")),
                       json_is_false(json_object_get(x, "required"))
                       ? " (incidental: named only in passing, no member matches on it)" : "");
                print_reasons(out, json_object_get(x, "reasons"), ref, "      ");
        }
        if (json_array_size(json_object_get(j, "excluded")) > 0) {
                fprintf(out, "\nExcluded (would have fired, but an exclusion vetoed it):\n");
                json_array_foreach(json_object_get(j, "excluded"), i, x) {
                        fprintf(out, "  %s (%s)\n", jstr(x, "capability"), jstr(x, "label"));
                        print_reasons(out, json_object_get(x, "reasons"), ref, "      ");
                }
        }
}

/* The members it matches, the nearest misses, a spent rule budget. */
static void
matches_text(FILE *out, const json_t *j, const struct cpvref *ref)
{
        const json_t *x;
        size_t i;

        fprintf(out, "\nMatches:\n");
        if (json_array_size(json_object_get(j, "matches")) == 0)
                fprintf(out, "  none\n");
        json_array_foreach(json_object_get(j, "matches"), i, x) {
                fprintf(out, "  %s (%s), score %.2f\n", jstr(x, "member"), jstr(x, "name"),
                       json_number_value(json_object_get(x, "score")));
                print_reasons(out, json_object_get(x, "reasons"), ref, "      ");
        }
        if (json_array_size(json_object_get(j, "misses")) > 0) {
                fprintf(out, "\nNot matched (nearest miss):\n");
                json_array_foreach(json_object_get(j, "misses"), i, x)
                        fprintf(out, "  %s: %s\n", jstr(x, "member"), jstr(x, "reason"));
        }
        if ((x = json_object_get(j, "rule_budget")) != NULL && json_is_object(x))
                fprintf(out, "\nTime budget: member %s's regex '%s' spent this notice's member "
                        "rule budget (%lld ms; it took %lld ms): it and %lld further member "
                        "regexes were skipped for this notice\n",
                        jstr(x, "member"), jstr(x, "rule"),
                        (long long)json_integer_value(json_object_get(x, "budget_ms")),
                        (long long)json_integer_value(json_object_get(x, "rule_ms")),
                        (long long)json_integer_value(json_object_get(x, "skipped")));
}

/* ---- consortia: stored, or computed now ------------------------------------- */

/* The members' load as the store has it (fairness), for a suggestion
 * computed now. */
struct live_load {
        const struct member_register *reg;
        double *proposed;
        long   *open;
};

static void
live_get(void *arg, const struct member *m, double *proposed, long *open)
{
        const struct live_load *l = arg;
        size_t i = (size_t)(m - l->reg->members);

        *proposed = i < l->reg->n ? l->proposed[i] : 0;
        *open = i < l->reg->n ? l->open[i] : 0;
}

struct stored_ctx {
        json_t     *doc;                /* the stored suggestion */
        json_t     *about;              /* "consortia_stored" */
        const char *hash, *fp;          /* now */
};

static int
got_stored(const struct stored_consortia *c, void *arg)
{
        struct stored_ctx *x = arg;
        const char *why = NULL;

        if (strcmp(c->status, "active") != 0) {
                x->about = json_pack("{s:s,s:o}", "status", c->status, "withdrawn_reason",
                                     json_str_or_null(c->withdrawn_reason));
                return 0;
        }
        x->doc = json_loads(c->doc, 0, NULL);
        if (x->doc == NULL)
                return -EINVAL;
        if (strcmp(c->content_hash, x->hash) != 0)
                why = "the notice changed since";
        else if (strcmp(c->fingerprint, x->fp) != 0)
                why = "the register, the taxonomy or [consortium] changed since";
        x->about = json_pack("{s:s,s:o,s:o,s:b,s:o}", "status", "active",
                             "computed", json_time(c->computed), "updated", json_time(c->updated),
                             "stale", why != NULL, "stale_why", json_str_or_null(why));
        return 0;
}

/* The consortium keys of explain's JSON: the stored suggestion when the
 * match pass stored one (with whether it is stale), else sg computed now. */
static int
consortia_keys(struct cli *cli, struct store *st, const struct engine *e,
               const struct opportunity *o, const struct consort_suggestion *sg,
               const struct lots_suggestion *ls, json_t *j)
{
        char hash[HASH_HEX_LEN], efp[HASH_HEX_LEN], cfp[HASH_HEX_LEN];
        struct consort_opts co;
        struct stored_ctx x = { .hash = hash, .fp = cfp };
        struct err err = { 0 };
        int r;

        matchconf_consort_opts(cli->cfg, e, &co);
        match_content_hash(o, hash);
        matchconf_fingerprint(e, efp);
        consort_fingerprint(efp, &co, cfp);
        r = consortstore_get(st, o->id, got_stored, &x, &err);
        if (r < 0 && r != -ENOENT) {
                cli_error("explain", "%s", r == -EINVAL ? "stored consortia: not JSON" : err.msg);
                json_decref(x.about);
                return r;
        }
        if (x.doc == NULL) {
                x.doc = json_object();
                consortia_json(x.doc, sg);
                if (ls->n > 0)
                        lots_consortia_json(x.doc, o, ls, sg);
        }
        lots_merge(j, x.doc);
        json_decref(x.doc);
        json_object_set_new(j, "consortia_stored", x.about ? x.about : json_null());
        return 0;
}

static void
explain_text(FILE *out, const json_t *j, const struct cpvref *ref)
{
        opportunity_text(out, json_object_get(j, "opportunity"), json_object_get(j, "filter"), ref);
        if (jstr(j, "place"))
                fprintf(out, "  where     %s\n", jstr(j, "place"));
        requires_text(out, j, ref);
        matches_text(out, j, ref);
        lots_text(out, j);
        consortia_text(out, j);
        lots_consortia_text(out, j);
}

int
cmd_explain(struct cli *cli, int argc, char **argv)
{
        static const struct option opts[] = {
                { "member", required_argument, NULL, 'm' },
                { "json", no_argument, NULL, 'j' },
                { "consortia", no_argument, NULL, 'c' },
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
        bool json = false, consortia = false;
        struct consort_suggestion sg = { 0 };
        struct lots_suggestion ls = { 0 };
        struct consort_opts co;
        struct live_load ll = { 0 };
        struct consort_load load = { live_get, &ll };
        enum link_verdict lv = LINK_NONE;
        char linkwhy[LINK_WHY_MAX];
        int64_t id;
        int c, r, rc = 1;

        cli_getopt_reset();
        while ((c = cli_getopt(argv[0], argc, argv, "m:jch", opts)) != -1) {
                switch (c) {
                case 'c':
                        consortia = true;
                        break;
                case 'm':
                        member = optarg;
                        break;
                case 'j':
                        json = true;
                        break;
                case 'h':
                        printf("usage: bidbroker explain ID [--member M] [--consortia] [--json]\n\n"
                               "Run the matching engine on one stored opportunity and show what\n"
                               "it requires, why each member matched and, for the others, the\n"
                               "nearest miss.\n\n"
                               "  -m, --member M  only this member\n"
                               "  -c, --consortia also who could bid together: a single member\n"
                               "                  covering every required capability, or the\n"
                               "                  best minimal consortia (docs/consortium.md);\n"
                               "                  JSON adds \"verdict\", \"missing\", \"consortia\":\n"
                               "                  [{\"members\", \"lead\", \"covers\", \"score\",\n"
                               "                  \"balance\", \"reasons\", \"readiness\": {\"ready\",\n"
                               "                  \"held\", \"missing\", \"summary\"}}], \"asks\" (the\n"
                               "                  checks, accreditations and insurance the notice\n"
                               "                  asks for), \"consortium_search\"; a notice of\n"
                               "                  several lots: each lot's own, and \"lot_bundle\"\n"
                               "                  (one set per lot)\n"
                               "  -j, --json      {\"opportunity\", \"filter\": {\"eligible\", \"reason\",\n"
                               "                  \"likely_over_cap\"}, \"requires\", \"excluded\",\n"
                               "                  \"matches\": [{\"member\", \"score\", \"reasons\"}],\n"
                               "                  \"misses\": [{\"member\", \"reason\"}],\n"
                               "                  \"rule_budget\": null or {\"member\", \"rule\",\n"
                               "                  \"budget_ms\", \"rule_ms\", \"skipped\"},\n"
                               "                  \"lots\": [{\"id\", \"title\", \"value\", \"requires\",\n"
                               "                  \"matches\"}] for a notice of two or more lots,\n"
                               "                  each matched on its own}\n");
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        }
        if (optind + 1 != argc) {
                cli_error("explain", "%s (see bidbroker explain --help)",
                          optind < argc ? "one opportunity id, please" :
                          "which opportunity? bidbroker explain ID");
                return EXIT_USAGE;
        }
        if (parse_id("explain", argv[optind], &id) < 0)
                return EXIT_USAGE;
        opportunity_init(&o);
        match_result_init(&res);
        if (load_engine(cli, "explain", &e) < 0)
                goto out;
        if (member != NULL && members_find(engine_members(e), member) == NULL) {
                cli_error("explain", "no member '%s' in %s", member, cli->cfg->members);
                goto out;
        }
        if (store_open_mode(cli->state_dir, STORE_READ_ONLY, cli->cfg->busy_timeout_ms, &st,
                            &err) < 0) {
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
        if ((r = store_link_verdict(st, id, linkwhy, &err)) < 0) {
                cli_error("explain", "%s", err.msg);
                goto out;
        }
        lv = (enum link_verdict)r;
        s = engine_scratch_new(e);
        if (engine_match(e, s, &o, ENGINE_EXPLAIN, &res) < 0) {
                cli_error("explain", "matching failed");
                goto out;
        }
        matchconf_consort_opts(cli->cfg, e, &co);
        if (consortia) {
                size_t n = engine_members(e)->n ? engine_members(e)->n : 1;

                ll.reg = engine_members(e);
                ll.proposed = xcalloc(n, sizeof(*ll.proposed));
                ll.open = xcalloc(n, sizeof(*ll.open));
                if (consortstore_load(st, ll.reg, cli->now, ll.proposed, ll.open, &err) < 0) {
                        cli_error("explain", "%s", err.msg);
                        goto out;
                }
        }
        if (consortia && (r = consort_suggest(&res, &o, &co, &load, &sg)) < 0) {
                cli_error("explain", "consortia: %s", r == -E2BIG
                          ? "more required capabilities than the search takes (64)"
                          : "the search failed");
                goto out;
        }
        if ((r = lots_suggest(e, s, &o, 0, consortia ? &co : NULL, &load, &ls)) < 0) {
                cli_error("explain", "lots: %s", r == -E2BIG
                          ? "more required capabilities than the search takes (64)"
                          : "the search failed");
                goto out;
        }
        {
                json_t *j = explain_json(cli->cfg, e, &o, &res, &ls, member, cli->now, lv,
                                         linkwhy);

                if (consortia && consortia_keys(cli, st, e, &o, &sg, &ls, j) < 0) {
                        json_decref(j);
                        goto out;
                }

                if (json) {
                        json_print(stdout, j, JSON_DUMP_FLAGS);
                } else {
                        ref = load_cpvref_quiet(cli->cfg);
                        if (print_fitted(cli, explain_text, j, ref) < 0) {
                                json_decref(j);
                                goto out;
                        }
                }
                json_decref(j);
        }
        rc = 0;
out:
        free(ll.proposed);
        free(ll.open);
        consort_suggestion_done(&sg);
        lots_suggestion_done(&ls);
        match_result_done(&res);
        opportunity_done(&o);
        engine_scratch_free(s);
        store_close(st);
        engine_free(e);
        cpvref_free(ref);
        return rc;
}

