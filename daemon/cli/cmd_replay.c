/*
 * cmd_replay.c — the replay command: what a candidate rule or register change
 * would gain and lose against the stored notices, the live state untouched.
 * Like explain, one JSON document printed as JSON or as text.  See docs/matching.md.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
#include "bidbroker/members.h"
#include "bidbroker/oppjson.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/store.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"

#include "matchcli.h"
#include "term.h"

/* ---- replay ------------------------------------------------------------------------- */

struct replay {
        const struct config   *cfg;
        const struct engine   *live, *cand;
        struct engine_scratch *sl, *sc;
        struct filter          f, fc;         /* live and candidate [filter] */
        int64_t                now;
        json_t                *members;      /* id -> {"gained", "lost", "rescored": []} */
        size_t                 considered, eligible, cand_eligible, gained, lost, rescored;
        struct consort_opts    co;            /* [consortium], without rotation */
        json_t                *consortia;    /* per notice: sets gained and lost */
        size_t                 cgained, clost;
};

static json_t *opp_brief(const struct opportunity *o);

/* The suggested sets of res as "a + b" strings (and the verdict), or none. */
static const char *
suggested_sets(const struct replay *rp, const struct match_result *res,
               const struct opportunity *o, struct strv *out)
{
        struct consort_suggestion sg;
        const char *verdict = NULL;
        struct buf b;

        if (consort_suggest(res, o, &rp->co, NULL, &sg) < 0 || sg.res == NULL) {
                consort_suggestion_done(&sg);
                return NULL;
        }
        verdict = consort_verdict_name(consort_verdict(sg.res));
        buf_init(&b);
        for (size_t i = 0; i < consort_count(sg.res); i++) {
                size_t n;
                const uint32_t *m = consort_set(sg.res, i, &n);
                struct strv ids;

                strv_init(&ids);
                for (size_t k = 0; k < n; k++)
                        strv_add(&ids, sg.members[m[k]]->id);
                strv_sort(&ids);
                buf_reset(&b);
                for (size_t k = 0; k < ids.n; k++)
                        buf_printf(&b, "%s%s", k ? " + " : "", ids.v[k]);
                strv_add(out, b.data);
                strv_done(&ids);
        }
        buf_done(&b);
        consort_suggestion_done(&sg);
        return verdict;
}

/* Consortia the candidate suggests for o that the live one does not
 * (gained), and the other way (lost). */
static void
replay_consortia(struct replay *rp, const struct opportunity *o, const struct match_result *rl,
                 const struct match_result *rc, bool live_ok, bool cand_ok)
{
        struct strv ls, cs;
        const char *lv = NULL, *cv = NULL;
        json_t *g = json_array(), *l = json_array(), *x;

        strv_init(&ls);
        strv_init(&cs);
        if (live_ok)
                lv = suggested_sets(rp, rl, o, &ls);
        if (cand_ok)
                cv = suggested_sets(rp, rc, o, &cs);
        for (size_t i = 0; i < cs.n; i++)
                if (!strv_contains(&ls, cs.v[i]))
                        json_array_append_new(g, json_string(cs.v[i]));
        for (size_t i = 0; i < ls.n; i++)
                if (!strv_contains(&cs, ls.v[i]))
                        json_array_append_new(l, json_string(ls.v[i]));
        if (json_array_size(g) || json_array_size(l) || (lv != cv && (lv == NULL || cv == NULL
                                                                  || strcmp(lv, cv) != 0))) {
                x = opp_brief(o);
                json_object_set_new(x, "live_verdict", json_str_or_null(lv));
                json_object_set_new(x, "verdict", json_str_or_null(cv));
                json_object_set_new(x, "gained", json_incref(g));
                json_object_set_new(x, "lost", json_incref(l));
                json_array_append_new(rp->consortia, x);
                rp->cgained += json_array_size(g);
                rp->clost += json_array_size(l);
        }
        json_decref(g);
        json_decref(l);
        strv_done(&ls);
        strv_done(&cs);
}

static json_t *
replay_member(struct replay *rp, const struct member *m)
{
        json_t *o = json_object_get(rp->members, m->id);

        if (o == NULL) {
                o = json_pack("{s:s,s:s,s:[],s:[],s:[]}", "member", m->id, "name",
                              m->name ? m->name : "", "gained", "lost", "rescored");
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
                         "title", json_str_or_null(o->title),
                         "deadline", json_time(o->deadline));
}

static int
replay_each(const struct opportunity *o, void *arg)
{
        struct replay *rp = arg;
        struct match_result rl, rc, rx;
        const char *cand_drop = filter_reject_reason(&rp->fc, o, rp->now);
        bool live_ok = filter_accept(&rp->f, o, rp->now), explained = false;

        rp->considered++;
        if (!live_ok && cand_drop != NULL)
                return 0;
        rp->eligible += live_ok;
        rp->cand_eligible += cand_drop == NULL;
        match_result_init(&rl);
        match_result_init(&rc);
        match_result_init(&rx);
        if (live_ok)
                engine_match(rp->live, rp->sl, o, 0, &rl);
        if (cand_drop == NULL)
                engine_match(rp->cand, rp->sc, o, 0, &rc);
        for (size_t i = 0; i < rc.nmatches; i++) {
                const struct member_match *mm = &rc.matches[i];
                const struct member_match *old = find_match(&rl, mm->member->id);
                json_t *g;

                if (old != NULL) {
                        if (old->score != mm->score) {
                                g = opp_brief(o);
                                json_object_set_new(g, "old_score", json_real(old->score));
                                json_object_set_new(g, "score", json_real(mm->score));
                                json_array_append_new(json_object_get(replay_member(rp,
                                                      mm->member), "rescored"), g);
                                rp->rescored++;
                        }
                        continue;
                }
                g = opp_brief(o);
                json_object_set_new(g, "score", json_real(mm->score));
                if (!live_ok)
                        json_object_set_new(g, "live_filter",
                                            json_string(filter_reject_reason(&rp->f, o, rp->now)));
                json_object_set_new(g, "reasons", reasons_to_json(mm->reasons, mm->nreasons));
                json_array_append_new(json_object_get(replay_member(rp, mm->member), "gained"),
                                      g);
                rp->gained++;
        }
        for (size_t i = 0; i < rl.nmatches; i++) {
                const struct member_match *mm = &rl.matches[i];
                const struct member *cm;
                const char *why = NULL;
                char dropped[96];
                json_t *l;

                if (find_match(&rc, mm->member->id) != NULL)
                        continue;
                cm = members_find(engine_members(rp->cand), mm->member->id);
                if (cand_drop != NULL) {
                        snprintf(dropped, sizeof(dropped), "the candidate [filter] drops it: %s",
                                 cand_drop);
                        why = dropped;
                } else if (cm == NULL) {
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
        replay_consortia(rp, o, &rl, &rc, live_ok, cand_drop == NULL);
        match_result_done(&rl);
        match_result_done(&rc);
        match_result_done(&rx);
        return 0;
}

static const char *
title_of(const json_t *x)
{
        return jstr(x, "title") ? jstr(x, "title") : "(untitled)";
}

static void
replay_text(FILE *out, const json_t *j, const struct cpvref *ref)
{
        const json_t *m, *x;
        size_t i, k;

        fprintf(out, "Replayed %lld stored opportunities (%lld open and low value): live "
               "configuration against %s\n",
               (long long)json_integer_value(json_object_get(j, "opportunities")),
               (long long)json_integer_value(json_object_get(j, "eligible")),
               jstr(j, "conf"));
        if (jstr(j, "filter_conf"))
                fprintf(out, "Candidate [filter] from %s: %lld open and low value\n",
                       jstr(j, "filter_conf"),
                       (long long)json_integer_value(json_object_get(j, "candidate_eligible")));
        json_array_foreach(json_object_get(j, "members"), i, m) {
                fprintf(out, "\n%s (%s): %zu gained, %zu lost, %zu rescored\n", jstr(m, "member"),
                       jstr(m, "name"), json_array_size(json_object_get(m, "gained")),
                       json_array_size(json_object_get(m, "lost")),
                       json_array_size(json_object_get(m, "rescored")));
                json_array_foreach(json_object_get(m, "gained"), k, x) {
                        fprintf(out, "  + %lld  %s  (score %.2f)\n",
                               (long long)json_integer_value(json_object_get(x, "opportunity")),
                               title_of(x), json_number_value(json_object_get(x, "score")));
                        if (jstr(x, "live_filter"))
                                fprintf(out, "        the live [filter] drops it: %s\n",
                                       jstr(x, "live_filter"));
                        print_reasons(out, json_object_get(x, "reasons"), ref, "        ");
                }
                json_array_foreach(json_object_get(m, "lost"), k, x)
                        fprintf(out, "  - %lld  %s  (was %.2f)\n        %s\n",
                               (long long)json_integer_value(json_object_get(x, "opportunity")),
                               title_of(x), json_number_value(json_object_get(x, "score")),
                               jstr(x, "reason"));
                json_array_foreach(json_object_get(m, "rescored"), k, x)
                        fprintf(out, "  ~ %lld  %s  (score %.2f \xe2\x86\x92 %.2f)\n",
                               (long long)json_integer_value(json_object_get(x, "opportunity")),
                               title_of(x), json_number_value(json_object_get(x, "old_score")),
                               json_number_value(json_object_get(x, "score")));
        }
        if (json_array_size(json_object_get(j, "consortia")) > 0)
                fprintf(out, "\nConsortia (explain --consortia):\n");
        json_array_foreach(json_object_get(j, "consortia"), i, m) {
                fprintf(out, "  %lld  %s: %s \xe2\x86\x92 %s\n",
                        (long long)json_integer_value(json_object_get(m, "opportunity")),
                        title_of(m), jstr(m, "live_verdict") ? jstr(m, "live_verdict") : "-",
                        jstr(m, "verdict") ? jstr(m, "verdict") : "-");
                json_array_foreach(json_object_get(m, "gained"), k, x) {
                        fputs("    + ", out);
                        fputs(json_string_value(x), out);       /* ids: [a-z0-9-] */
                        fputc('\n', out);
                }
                json_array_foreach(json_object_get(m, "lost"), k, x) {
                        fputs("    - ", out);
                        fputs(json_string_value(x), out);
                        fputc('\n', out);
                }
        }
        fprintf(out, "\n%lld gained, %lld lost, %lld rescored (same members, other score)%s\n",
               (long long)json_integer_value(json_object_get(j, "gained")),
               (long long)json_integer_value(json_object_get(j, "lost")),
               (long long)json_integer_value(json_object_get(j, "rescored")),
               json_array_size(json_object_get(j, "members")) ? "" :
               ": the candidate matches exactly what the live configuration does");
        fprintf(out, "consortia: %lld gained, %lld lost\n",
                (long long)json_integer_value(json_object_get(j, "consortia_gained")),
                (long long)json_integer_value(json_object_get(j, "consortia_lost")));
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
        struct config *fcfg = NULL;             /* DIR/bidbroker.conf, for its [filter] */
        char *fconf = NULL;
        int64_t since = TIME_UNKNOWN;
        bool json = false;
        struct diag d;
        struct stat sb;
        int c, rc = 1;

        cli_getopt_reset();
        while ((c = cli_getopt(argv[0], argc, argv, "c:s:jh", opts)) != -1) {
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
                               "Try a change before it goes live: build a second engine from\n"
                               "DIR/capabilities.conf and DIR/members/ (a copy of the conf\n"
                               "directory with the changes; what DIR lacks is the live one's),\n"
                               "and when DIR/bidbroker.conf exists, take its [filter] as the\n"
                               "candidate filter (the rest of that file is ignored).  Run the\n"
                               "live and the candidate configuration over the stored\n"
                               "opportunities and show per member the notices gained, lost\n"
                               "(with why) and rescored (old -> new score), and per notice\n"
                               "the consortia (explain --consortia) gained and lost.  Read-only:\n"
                               "nothing stored changes.\n\n"
                               "  -c, --conf DIR    the candidate configuration\n"
                               "  -s, --since DATE  only notices whose latest release is this recent\n"
                               "  -j, --json        one JSON object\n");
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        }
        if (cli_no_args("replay", argc, argv) < 0)
                return EXIT_USAGE;
        if (dir == NULL) {
                cli_error("replay", "--conf DIR is required (see bidbroker replay --help)");
                return EXIT_USAGE;
        }
        /* a mistyped DIR is an error, not a candidate that changes nothing */
        if (stat(dir, &sb) < 0) {
                cli_error("replay", "--conf %s: %s", dir, strerror(errno));
                return 1;
        }
        if (!S_ISDIR(sb.st_mode)) {
                cli_error("replay", "--conf %s: not a directory", dir);
                return 1;
        }
        if (load_engine(cli, "replay", &live) < 0)
                goto out;
        fconf = path_join(dir, "bidbroker.conf");
        if (access(fconf, F_OK) == 0) {
                diag_init(&d);
                if (config_load(fconf, &fcfg, &d) < 0) {
                        diag_print(&d, stderr);
                        cli_error("replay", "the candidate %s has %zu error%s", fconf,
                                  diag_count(&d), diag_count(&d) == 1 ? "" : "s");
                        diag_done(&d);
                        goto out;
                }
                diag_done(&d);
        }
        diag_init(&d);
        if (matchconf_load_dir(cli->cfg, dir, &cand, &d) < 0) {
                diag_print(&d, stderr);
                cli_error("replay", "the candidate configuration in %s has %zu error%s", dir,
                          diag_count(&d), diag_count(&d) == 1 ? "" : "s");
                diag_done(&d);
                goto out;
        }
        diag_done(&d);
        if (store_open_mode(cli->state_dir, STORE_READ_ONLY, cli->cfg->busy_timeout_ms, &st,
                            &err) < 0) {
                cli_error("replay", "%s", err.msg);
                goto out;
        }
        rp.live = live;
        rp.cand = cand;
        rp.sl = engine_scratch_new(live);
        rp.sc = engine_scratch_new(cand);
        rp.members = json_object();
        rp.consortia = json_array();
        matchconf_consort_opts(cli->cfg, live, &rp.co);
        rp.co.rotate = false;
        filter_from_config(&rp.f, cli->cfg);
        filter_from_config(&rp.fc, fcfg ? fcfg : cli->cfg);
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
                json_object_set_new(j, "filter_conf", fcfg ? json_string(fconf) : json_null());
                json_object_set_new(j, "candidate_eligible",
                                    json_integer((json_int_t)rp.cand_eligible));
                json_object_set_new(j, "gained", json_integer((json_int_t)rp.gained));
                json_object_set_new(j, "lost", json_integer((json_int_t)rp.lost));
                json_object_set_new(j, "rescored", json_integer((json_int_t)rp.rescored));
                json_object_set_new(j, "members", arr);
                json_object_set_new(j, "consortia", json_incref(rp.consortia));
                json_object_set_new(j, "consortia_gained", json_integer((json_int_t)rp.cgained));
                json_object_set_new(j, "consortia_lost", json_integer((json_int_t)rp.clost));
                if (json) {
                        json_print(stdout, j, JSON_DUMP_FLAGS);
                } else {
                        ref = load_cpvref_quiet(cli->cfg);
                        if (print_fitted(cli, replay_text, j, ref) < 0) {
                                json_decref(j);
                                goto out;
                        }
                }
                json_decref(j);
        }
        rc = 0;
out:
        json_decref(rp.members);
        json_decref(rp.consortia);
        engine_scratch_free(rp.sl);
        engine_scratch_free(rp.sc);
        store_close(st);
        engine_free(live);
        engine_free(cand);
        cpvref_free(ref);
        config_free(fcfg);
        free(fconf);
        return rc;
}

