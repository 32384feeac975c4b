/*
 * cmd_report.c — `bidbroker report [--period P] [--cluster C] [--format F]`:
 * how much was brokered, who won what, which capabilities are missing
 * (docs/impact.md).  Runs `awards match` first, then impact_measure() per
 * scope: overall, each cluster, each anchor.  Wins of members without
 * report_name = yes are counted, never named.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bidbroker/awards.h"
#include "bidbroker/cli.h"
#include "bidbroker/config.h"
#include "bidbroker/csv.h"
#include "bidbroker/engine.h"
#include "bidbroker/err.h"
#include "bidbroker/human.h"
#include "bidbroker/impact.h"
#include "bidbroker/json.h"
#include "bidbroker/members.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/store.h"
#include "bidbroker/taxonomy.h"
#include "bidbroker/termsafe.h"
#include "bidbroker/timeutil.h"

#include "matchcli.h"

static const char report_usage[] =
        "usage: bidbroker report [--period 2026-Q3|2026-11|2026] [--cluster C] [--monthly]\n"
        "                        [--format text|csv|json]\n\n"
        "The brokerage's measures for a quarter, month or year (default: the quarter of\n"
        "now), overall, per cluster and per [anchor]: opportunities found by source and\n"
        "those of low value; value brokered (matched, or sent once digests are recorded)\n"
        "against [impact] target; members alerted; feedback; consortium suggestions;\n"
        "awards, wins and value won by members; each buyer's low-value spend and the share\n"
        "members won; capability gaps; low-value awards by capability.  --cluster C: that\n"
        "cluster only.  --monthly: also each month of a quarter or year (brokered so far\n"
        "against the target; CSV rows with the month in 'period').  Wins are named only\n"
        "for members with report_name = yes.\n"
        "CSV columns (docs/impact.md): period,scope,name,measure,key,count,value,share,basis\n";

enum fmt { FMT_TEXT, FMT_CSV, FMT_JSON };

struct capsctx {
        struct store *st;
        const struct engine *e;
        struct engine_scratch *scratch;
        struct match_result res;
};

/* The capabilities an opportunity requires, by the engine (impact_caps_fn). */
static int
opp_caps(void *arg, int64_t id, struct strv *caps)
{
        struct capsctx *c = arg;
        struct opportunity o;
        struct err err = { 0 };
        int r;

        opportunity_init(&o);
        if ((r = store_get(c->st, id, &o, &err)) == 0 &&
            (r = engine_match(c->e, c->scratch, &o, 0, &c->res)) == 0)
                for (size_t i = 0; i < c->res.nrequires; i++)
                        if (c->res.requires[i].required)
                                strv_add_unique(caps, c->res.requires[i].cap->id);
        opportunity_done(&o);
        return r;
}

/* One scope's measures, and what the report needs to print them. */
struct section {
        char *kind, *name;
        struct strv members;
        struct impact_measures m;
};

static void
section_done(struct section *s)
{
        free(s->kind);
        free(s->name);
        strv_done(&s->members);
        impact_measures_done(&s->m);
}

static char *
money(int64_t pence, char buf[HUMAN_MONEY_MAX])
{
        return human_money(pence, NULL, buf, HUMAN_MONEY_MAX);
}

/* pence as plain pounds for CSV: 21500, 1350.5 -> "1350.50" */
static void
pounds(FILE *f, int64_t pence)
{
        if (pence == VALUE_NONE)
                return;
        if (pence % 100 == 0)
                fprintf(f, "%lld", (long long)(pence / 100));
        else
                fprintf(f, "%lld.%02lld", (long long)(pence / 100), (long long)(pence % 100));
}

static double
share(int64_t part, int64_t whole)
{
        return whole > 0 ? 100.0 * (double)part / (double)whole : 0.0;
}

/* ---- text ---- */

/* "3 Oct 2022": the UK date of t, without the time (award dates are days). */
static void
uk_date(int64_t t, char *buf, size_t len)
{
        char *p;
        int spaces = 0;

        time_format_uk(t, buf, len);
        for (p = buf; *p; p++)
                if (*p == ' ' && ++spaces == 3) {
                        *p = '\0';
                        break;
                }
}

static void
tprint(const char *label, const char *s)
{
        char *safe = text_for_terminal(s, 0);

        printf("    %-40s %s\n", label, safe);
        free(safe);
}

static void
text_section(const struct section *s, const struct impact_period *p, bool first)
{
        const struct impact_measures *m = &s->m;
        char a[HUMAN_MONEY_MAX], b[HUMAN_MONEY_MAX], d[40], how[96];
        size_t unnamed = 0;

        (void)p;
        if (!first)
                putchar('\n');
        if (s->name) {
                char *n = text_for_terminal(s->name, 0);

                printf("%s %s\n", strcmp(s->kind, "cluster") == 0 ? "Cluster" : "Anchor", n);
                free(n);
        } else {
                printf("Overall\n");
        }
        printf("  Opportunities found: %lld", (long long)m->found);
        for (size_t i = 0; i < m->nby_source; i++)
                printf("%s%s %lld", i ? ", " : " (", m->by_source[i].key,
                       (long long)m->by_source[i].n);
        printf("%s\n", m->nby_source ? ")" : "");
        printf("  Low value: %lld, %s stated\n", (long long)m->low_value,
               money(m->low_value_value, a));
        printf("  Brokered (%s): %lld opportunit%s, %s of the period's target %s (%.1f %%)\n",
               m->basis, (long long)m->brokered, m->brokered == 1 ? "y" : "ies",
               money(m->brokered_value, a), money(m->target, b),
               share(m->brokered_value, m->target));
        if (!m->have_sent)
                printf("    (no digests recorded in this store: brokered counts matches, "
                       "not sends)\n");
        printf("  Members alerted (%s): %lld\n", m->have_sent ? "sent a digest" : "matched",
               (long long)m->members_alerted);
        if (m->have_feedback) {
                printf("  Feedback:");
                if (m->nfeedback == 0)
                        printf(" none");
                for (size_t i = 0; i < m->nfeedback; i++)
                        printf("%s %s %lld", i ? "," : "", m->feedback[i].key,
                               (long long)m->feedback[i].n);
                printf("\n");
        } else {
                printf("  Feedback: not recorded in this store\n");
        }
        if (m->have_consortia)
                printf("  Consortium suggestions: %lld\n", (long long)m->consortium_suggestions);
        else
                printf("  Consortium suggestions: not recorded in this store\n");
        printf("  Awards: %lld, %s (low value: %lld, %s)\n", (long long)m->awards,
               money(m->awards_value, a), (long long)m->low_awards,
               money(m->low_awards_value, b));
        printf("  Wins by members: %lld, %s (low value: %lld, %s); %lld after a tender, "
               "%lld without one (direct awards)", (long long)m->wins,
               money(m->wins_value, a), (long long)m->low_wins, money(m->low_wins_value, b),
               (long long)m->wins_tendered, (long long)m->wins_direct);
        printf("; %lld of them matched to the member before", (long long)m->wins_matched);
        if (m->have_sent)
                printf(", %lld sent", (long long)m->wins_sent);
        printf("\n");
        if (m->nbuyers)
                printf("  Low-value awards by buyer, and the share members won:\n");
        for (size_t i = 0; i < m->nbuyers; i++) {
                const struct impact_row *r = &m->buyers[i];
                char *label = xasprintf("%.40s", r->key);
                char *line = xasprintf("%s of %s (%.1f %%), %lld of %lld awards",
                                       money(r->value2, a), money(r->value, b),
                                       share(r->value2, r->value), (long long)r->n2,
                                       (long long)r->n);

                tprint(label, line);
                free(label);
                free(line);
        }
        if (m->gap_opps || m->ngaps) {
                printf("  Capability gaps: %lld low-value opportunit%s no member matched\n",
                       (long long)m->gap_opps, m->gap_opps == 1 ? "y" : "ies");
                for (size_t i = 0; i < m->ngaps; i++)
                        printf("    %-40s %lld, %s\n", m->gaps[i].key, (long long)m->gaps[i].n,
                               money(m->gaps[i].value, a));
        }
        if (m->naward_caps) {
                printf("  Low-value awards by capability (awards, value; to members; to SMEs; "
                       "to VCSEs):\n");
                for (size_t i = 0; i < m->naward_caps; i++) {
                        const struct impact_row *r = &m->award_caps[i];

                        printf("    %-40s %lld, %s; %lld, %s; %lld; %lld\n", r->key,
                               (long long)r->n, money(r->value, a), (long long)r->n2,
                               money(r->value2, b), (long long)r->n3, (long long)r->n4);
                }
        }
        for (size_t i = 0; i < m->nwins; i++) {
                const struct impact_win *w = &m->winlist[i];
                char *line, *safe;

                if (!w->named) {
                        unnamed++;
                        continue;
                }
                uk_date(w->date, d, sizeof(d));
                if (w->tender)
                        snprintf(how, sizeof(how), "after tender #%lld%s%s", (long long)w->tender,
                                 w->matched_at != TIME_UNKNOWN ? ", matched to them" : "",
                                 w->sent_at != TIME_UNKNOWN ? ", sent to them" : "");
                else
                        snprintf(how, sizeof(how), "direct award");
                line = xasprintf("%s (%s) won %s from %s: %s [%s]", w->member_id, w->supplier,
                                 w->value == VALUE_NONE ? "a value not stated" :
                                 money(w->value, a), w->buyer, w->title ? w->title : "", how);
                if (i == unnamed)
                        printf("  Wins named with the member's consent (report_name):\n");
                safe = text_for_terminal(line, 0);
                printf("    %-12s %s\n", d, safe);
                free(safe);
                free(line);
        }
        if (unnamed)
                printf("    and %zu win%s by members who have not agreed to be named "
                       "(report_name), counted above\n", unnamed, unnamed == 1 ? "" : "s");
}

/* ---- CSV ---- */

static void
csv_str(FILE *f, const char *s)
{
        struct buf b;

        if (s == NULL)
                return;
        buf_init(&b);
        csv_put_cell(&b, s);
        if (b.len)
                fwrite(b.data, 1, b.len, f);
        buf_done(&b);
}

static void
csv_row(const struct impact_period *p, const struct section *s, const char *measure,
        const char *key, int64_t count, int64_t value, double pct, bool has_share,
        const char *basis)
{
        printf("%s,%s,", p->label, s->kind);
        csv_str(stdout, s->name);
        printf(",%s,", measure);
        csv_str(stdout, key);
        printf(",%lld,", (long long)count);
        pounds(stdout, value);
        putchar(',');
        if (has_share)
                printf("%.1f", pct);
        putchar(',');
        csv_str(stdout, basis);
        putchar('\n');
}

#define NOVALUE VALUE_NONE

static void
csv_section(const struct section *s, const struct impact_period *p)
{
        const struct impact_measures *m = &s->m;

        for (size_t i = 0; i < m->nby_source; i++)
                csv_row(p, s, "opportunities_found", m->by_source[i].key, m->by_source[i].n,
                        NOVALUE, 0, false, "");
        csv_row(p, s, "opportunities_found", "", m->found, NOVALUE, 0, false, "");
        for (size_t i = 0; i < m->nby_source; i++)
                csv_row(p, s, "low_value_opportunities", m->by_source[i].key,
                        m->by_source[i].n2, m->by_source[i].value2, 0, false, "");
        csv_row(p, s, "low_value_opportunities", "", m->low_value, m->low_value_value, 0,
                false, "");
        csv_row(p, s, "brokered", "", m->brokered, m->brokered_value,
                share(m->brokered_value, m->target), true, m->basis);
        csv_row(p, s, "target", "", 0, m->target, 0, false, "");
        csv_row(p, s, "members_alerted", "", m->members_alerted, NOVALUE, 0, false, m->basis);
        if (m->have_feedback)
                for (size_t i = 0; i < m->nfeedback; i++)
                        csv_row(p, s, "feedback", m->feedback[i].key, m->feedback[i].n,
                                NOVALUE, 0, false, "");
        if (m->have_consortia)
                csv_row(p, s, "consortium_suggestions", "", m->consortium_suggestions, NOVALUE,
                        0, false, "");
        csv_row(p, s, "awards", "", m->awards, m->awards_value, 0, false, "");
        csv_row(p, s, "low_value_awards", "", m->low_awards, m->low_awards_value, 0, false, "");
        csv_row(p, s, "wins", "", m->wins, m->wins_value, 0, false, "");
        csv_row(p, s, "low_value_wins", "", m->low_wins, m->low_wins_value,
                share(m->low_wins_value, m->low_awards_value), true, "");
        csv_row(p, s, "wins_after_tender", "", m->wins_tendered, NOVALUE, 0, false, "");
        csv_row(p, s, "wins_direct", "", m->wins_direct, NOVALUE, 0, false, "");
        csv_row(p, s, "wins_matched_before", "", m->wins_matched, NOVALUE, 0, false, "");
        if (m->have_sent)
                csv_row(p, s, "wins_sent_before", "", m->wins_sent, NOVALUE, 0, false, "");
        for (size_t i = 0; i < m->nbuyers; i++) {
                const struct impact_row *r = &m->buyers[i];

                csv_row(p, s, "buyer_low_value_awards", r->key, r->n, r->value, 0, false, "");
                csv_row(p, s, "buyer_low_value_won", r->key, r->n2, r->value2,
                        share(r->value2, r->value), true, "");
        }
        if (m->gap_opps || m->ngaps)
                csv_row(p, s, "capability_gap", "", m->gap_opps, NOVALUE, 0, false, "");
        for (size_t i = 0; i < m->ngaps; i++)
                csv_row(p, s, "capability_gap", m->gaps[i].key, m->gaps[i].n, m->gaps[i].value,
                        0, false, "");
        for (size_t i = 0; i < m->naward_caps; i++) {
                const struct impact_row *r = &m->award_caps[i];

                csv_row(p, s, "award_capability", r->key, r->n, r->value, 0, false, "");
                csv_row(p, s, "award_capability_members", r->key, r->n2, r->value2, 0, false,
                        "");
                csv_row(p, s, "award_capability_sme", r->key, r->n3, NOVALUE, 0, false, "");
                csv_row(p, s, "award_capability_vcse", r->key, r->n4, NOVALUE, 0, false, "");
        }
        for (size_t i = 0; i < m->nwins; i++) {
                const struct impact_win *w = &m->winlist[i];
                char basis[96];

                if (!w->named)
                        continue;
                snprintf(basis, sizeof(basis), "%s%s%s", w->tender ? "after tender" : "direct",
                         w->matched_at != TIME_UNKNOWN ? "; matched" : "",
                         w->sent_at != TIME_UNKNOWN ? "; sent" : "");
                csv_row(p, s, "win", w->member_id, 1, w->value, 0, false, basis);
        }
}

/* ---- JSON ---- */

static json_t *
rows_json(const struct impact_row *v, size_t n, const char *k, const char *k2,
          const char *k3, const char *k4)
{
        json_t *a = json_array();

        for (size_t i = 0; i < n; i++) {
                json_t *o = json_object();

                json_object_set_new(o, "key", json_string(v[i].key));
                json_object_set_new(o, "count", json_integer(v[i].n));
                json_object_set_new(o, "value", json_money(v[i].value));
                if (k)
                        json_object_set_new(o, k, json_integer(v[i].n2));
                if (k2)
                        json_object_set_new(o, k2, json_money(v[i].value2));
                if (k3)
                        json_object_set_new(o, k3, json_integer(v[i].n3));
                if (k4)
                        json_object_set_new(o, k4, json_integer(v[i].n4));
                json_array_append_new(a, o);
        }
        return a;
}

static json_t *
json_section(const struct section *s)
{
        const struct impact_measures *m = &s->m;
        json_t *j = json_object(), *src = json_object(), *x, *wins = json_array();
        size_t unnamed = 0;

        json_object_set_new(j, "scope", json_string(s->kind));
        json_object_set_new(j, "name", json_str_or_null(s->name));
        for (size_t i = 0; i < m->nby_source; i++)
                json_object_set_new(src, m->by_source[i].key, json_integer(m->by_source[i].n));
        x = json_object();
        json_object_set_new(x, "found", json_integer(m->found));
        json_object_set_new(x, "by_source", src);
        json_object_set_new(x, "low_value", json_integer(m->low_value));
        json_object_set_new(x, "low_value_value", json_money(m->low_value_value));
        json_object_set_new(j, "opportunities", x);
        x = json_object();
        json_object_set_new(x, "basis", json_string(m->basis));
        json_object_set_new(x, "count", json_integer(m->brokered));
        json_object_set_new(x, "value", json_money(m->brokered_value));
        json_object_set_new(x, "target", json_money(m->target));
        json_object_set_new(x, "share_of_target", json_real(share(m->brokered_value, m->target)));
        json_object_set_new(x, "matched", json_integer(m->matched));
        json_object_set_new(x, "matched_value", json_money(m->matched_value));
        json_object_set_new(x, "sent", m->have_sent ? json_integer(m->sent) : json_null());
        json_object_set_new(x, "sent_value", m->have_sent ? json_money(m->sent_value) : json_null());
        json_object_set_new(j, "brokered", x);
        json_object_set_new(j, "members_alerted", json_integer(m->members_alerted));
        if (m->have_feedback) {
                x = json_object();
                for (size_t i = 0; i < m->nfeedback; i++)
                        json_object_set_new(x, m->feedback[i].key, json_integer(m->feedback[i].n));
                json_object_set_new(j, "feedback", x);
        } else {
                json_object_set_new(j, "feedback", json_null());
        }
        json_object_set_new(j, "consortium_suggestions", m->have_consortia ?
                            json_integer(m->consortium_suggestions) : json_null());
        x = json_object();
        json_object_set_new(x, "count", json_integer(m->awards));
        json_object_set_new(x, "value", json_money(m->awards_value));
        json_object_set_new(x, "low_value", json_integer(m->low_awards));
        json_object_set_new(x, "low_value_value", json_money(m->low_awards_value));
        json_object_set_new(j, "awards", x);
        for (size_t i = 0; i < m->nwins; i++) {
                const struct impact_win *w = &m->winlist[i];
                json_t *o;

                if (!w->named) {
                        unnamed++;
                        continue;
                }
                o = json_object();
                json_object_set_new(o, "member", json_string(w->member_id));
                json_object_set_new(o, "cluster", json_str_or_null(w->cluster));
                json_object_set_new(o, "supplier", json_str_or_null(w->supplier));
                json_object_set_new(o, "matched_by", json_str_or_null(w->how));
                json_object_set_new(o, "buyer", json_str_or_null(w->buyer));
                json_object_set_new(o, "title", json_str_or_null(w->title));
                json_object_set_new(o, "award_id", json_str_or_null(w->award_id));
                json_object_set_new(o, "value", json_money(w->value));
                json_object_set_new(o, "date", json_time(w->date));
                json_object_set_new(o, "award_notice", json_integer(w->award_notice));
                json_object_set_new(o, "tender", w->tender ? json_integer(w->tender) : json_null());
                json_object_set_new(o, "matched_at", json_time(w->matched_at));
                json_object_set_new(o, "sent_at", json_time(w->sent_at));
                json_object_set_new(o, "sme", json_boolean(w->sme));
                json_object_set_new(o, "vcse", json_boolean(w->vcse));
                json_array_append_new(wins, o);
        }
        x = json_object();
        json_object_set_new(x, "count", json_integer(m->wins));
        json_object_set_new(x, "value", json_money(m->wins_value));
        json_object_set_new(x, "low_value", json_integer(m->low_wins));
        json_object_set_new(x, "low_value_value", json_money(m->low_wins_value));
        json_object_set_new(x, "after_tender", json_integer(m->wins_tendered));
        json_object_set_new(x, "direct", json_integer(m->wins_direct));
        json_object_set_new(x, "matched_before", json_integer(m->wins_matched));
        json_object_set_new(x, "sent_before", m->have_sent ? json_integer(m->wins_sent) : json_null());
        json_object_set_new(x, "named", wins);
        json_object_set_new(x, "not_named", json_integer((json_int_t)unnamed));
        json_object_set_new(j, "wins", x);
        json_object_set_new(j, "buyers", rows_json(m->buyers, m->nbuyers, "won_count",
                                                   "won_value", NULL, NULL));
        json_object_set_new(j, "gap_opportunities", json_integer(m->gap_opps));
        json_object_set_new(j, "gaps", rows_json(m->gaps, m->ngaps, NULL, NULL, NULL, NULL));
        json_object_set_new(j, "award_capabilities",
                            rows_json(m->award_caps, m->naward_caps, "members_count",
                                      "members_value", "sme_count", "vcse_count"));
        return j;
}

/* ---- the command ---- */

static int
add_section(struct section **v, size_t *n, const char *kind, const char *name)
{
        struct section *s;

        *v = xreallocarray(*v, *n + 1, sizeof(**v));
        s = &(*v)[(*n)++];
        memset(s, 0, sizeof(*s));
        s->kind = xstrdup(kind);
        s->name = xstrdup(name);
        strv_init(&s->members);
        return 0;
}

static void
sections_free(struct section *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                section_done(&v[i]);
        free(v);
}

struct month {
        struct impact_period period;
        struct section *secs;
        size_t nsecs;
};

/* The month that starts at p->from. */
static void
month_period(const struct impact_period *p, struct impact_period *ret)
{
        char buf[40];

        /* p->from is UK midnight on the 1st: noon that day is safely inside */
        time_format_utc(p->from + 12 * 3600, buf, sizeof(buf));
        buf[7] = '\0';
        if (impact_period_parse(buf, ret) < 0)
                *ret = *p;
}

/* The sections of one period: overall, each cluster, each anchor (or the
 * one cluster asked for).  cc NULL: no capability breakdowns.  Errors said. */
static int
measure_period(struct cli *cli, struct store *st, const struct member_register *reg,
               const struct strv *named, const struct strv *clusters, const char *cluster,
               const struct impact_period *period, struct capsctx *cc,
               struct section **ret, size_t *nret)
{
        struct section *secs = NULL;
        size_t nsecs = 0;
        struct err err = { 0 };
        int rc = 0;

        if (cluster == NULL) {
                add_section(&secs, &nsecs, "overall", NULL);
                for (size_t i = 0; i < clusters->n; i++)
                        add_section(&secs, &nsecs, "cluster", clusters->v[i]);
                for (size_t i = 0; i < cli->cfg->nanchors; i++)
                        add_section(&secs, &nsecs, "anchor", cli->cfg->anchors[i].name);
        } else {
                add_section(&secs, &nsecs, "cluster", cluster);
        }
        for (size_t i = 0; rc == 0 && i < nsecs; i++) {
                struct section *s = &secs[i];
                struct impact_query q = {
                        .period = *period,
                        .low_value_cap = cli->cfg->max_value,
                        .year_target = cli->cfg->impact_target,
                        .named = named,
                };
                char *src = NULL;

                q.scope.kind = s->kind;
                q.scope.name = s->name;
                if (strcmp(s->kind, "cluster") == 0) {
                        for (size_t k = 0; k < reg->n; k++)
                                if (reg->members[k].cluster &&
                                    strcmp(reg->members[k].cluster, s->name) == 0)
                                        strv_add(&s->members, reg->members[k].id);
                        q.scope.members = &s->members;
                } else if (cc != NULL) {
                        q.caps = opp_caps;
                        q.caps_arg = cc;
                }
                if (strcmp(s->kind, "anchor") == 0) {
                        const struct anchor_conf *a = config_anchor(cli->cfg, s->name);

                        src = xasprintf("anchor:%s", s->name);
                        q.scope.anchor_source = src;
                        q.scope.buyer_id = a ? a->buyer_id : NULL;
                        q.scope.buyer_name = a && a->display_name ? a->display_name : s->name;
                }
                if ((rc = impact_measure(st, &q, &s->m, &err)) < 0)
                        cli_error("report", "%s", err.msg);
                free(src);
        }
        *ret = secs;
        *nret = nsecs;
        return rc;
}

/* Month by month, overall: the figures a chart of the period draws. */
static void
text_months(const struct month *v, size_t n, const struct impact_period *whole,
            int64_t year_target)
{
        char a[HUMAN_MONEY_MAX], b[HUMAN_MONEY_MAX], c[HUMAN_MONEY_MAX];
        int64_t cum = 0;

        printf("\nBy month (overall; brokered so far against the period's target)\n");
        printf("  %-8s %6s %6s %24s %24s %20s\n", "month", "found", "low", "brokered",
               "so far", "wins");
        for (size_t k = 0; k < n; k++) {
                const struct impact_measures *m = &v[k].secs[0].m;
                char br[64], so[64], wi[64];

                cum += m->brokered_value;
                snprintf(br, sizeof(br), "%lld, %s", (long long)m->brokered,
                         money(m->brokered_value, a));
                snprintf(so, sizeof(so), "%s (%.1f %%)", money(cum, b),
                         share(cum, impact_target_for(whole, year_target)));
                snprintf(wi, sizeof(wi), "%lld, %s", (long long)m->wins, money(m->wins_value, c));
                printf("  %-8s %6lld %6lld %24s %24s %20s\n", v[k].period.label,
                       (long long)m->found, (long long)m->low_value, br, so, wi);
        }
}

int
cmd_report(struct cli *cli, int argc, char **argv)
{
        static const struct option opts[] = {
                { "period", required_argument, NULL, 'p' },
                { "cluster", required_argument, NULL, 'C' },
                { "format", required_argument, NULL, 'f' },
                { "monthly", no_argument, NULL, 'm' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        struct engine *e = NULL;
        const struct member_register *reg;
        struct store *st = NULL;
        struct err err = { 0 };
        struct impact_period period;
        struct section *secs = NULL;
        struct month *months = NULL;
        size_t nmonths = 0;
        bool monthly = false;
        struct capsctx cc = { 0 };
        struct strv named, clusters;
        const char *cluster = NULL;
        enum fmt fmt = FMT_TEXT;
        size_t nsecs = 0;
        int c, rc = 1;

        impact_period_quarter_of(cli->now, &period);
        cli_getopt_reset();
        while ((c = cli_getopt(argv[0], argc, argv, "h", opts)) != -1) {
                switch (c) {
                case 'p':
                        if (impact_period_parse(optarg, &period) < 0) {
                                cli_error("report", "--period: '%s' is not a year (2026), "
                                          "quarter (2026-Q3) or month (2026-11)", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case 'C':
                        cluster = optarg;
                        break;
                case 'm':
                        monthly = true;
                        break;
                case 'f':
                        if (strcmp(optarg, "text") == 0)
                                fmt = FMT_TEXT;
                        else if (strcmp(optarg, "csv") == 0)
                                fmt = FMT_CSV;
                        else if (strcmp(optarg, "json") == 0)
                                fmt = FMT_JSON;
                        else {
                                cli_error("report", "--format: '%s' is not text, csv or json",
                                          optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case 'h':
                        fputs(report_usage, stdout);
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        }
        if (cli_no_args("report", argc, argv) < 0)
                return EXIT_USAGE;
        if (load_engine(cli, "report", &e) < 0)
                return 1;
        reg = engine_members(e);
        strv_init(&named);
        strv_init(&clusters);
        for (size_t i = 0; i < reg->n; i++) {
                if (reg->members[i].report_name)
                        strv_add(&named, reg->members[i].id);
                if (reg->members[i].cluster)
                        strv_add_unique(&clusters, reg->members[i].cluster);
        }
        strv_sort(&clusters);
        if (cluster != NULL && !strv_contains(&clusters, cluster)) {
                cli_error("report", "--cluster: no member has cluster = %s (clusters: %s%s)",
                          cluster, clusters.n ? clusters.v[0] : "none",
                          clusters.n > 1 ? ", ..." : "");
                goto out;
        }
        if (store_open(cli->state_dir, &st, &err) < 0 ||
            awards_match(st, reg, cli->now, NULL, &err) < 0) {
                cli_error("report", "%s", err.msg);
                goto out;
        }
        cc.st = st;
        cc.e = e;
        cc.scratch = engine_scratch_new(e);
        match_result_init(&cc.res);
        if (measure_period(cli, st, reg, &named, &clusters, cluster, &period, &cc, &secs,
                           &nsecs) < 0)
                goto out;
        if (monthly && period.kind != PERIOD_MONTH) {
                struct impact_period mp = period;

                while (mp.from < period.to) {
                        struct month *mo;

                        months = xreallocarray(months, nmonths + 1, sizeof(*months));
                        mo = &months[nmonths++];
                        memset(mo, 0, sizeof(*mo));
                        month_period(&mp, &mo->period);
                        if (measure_period(cli, st, reg, &named, &clusters, cluster,
                                           &mo->period, NULL, &mo->secs, &mo->nsecs) < 0)
                                goto out;
                        mp.from = mo->period.to;
                }
        }
        if (fmt == FMT_CSV) {
                printf("period,scope,name,measure,key,count,value,share,basis\n");
                for (size_t i = 0; i < nsecs; i++)
                        csv_section(&secs[i], &period);
                for (size_t k = 0; k < nmonths; k++)
                        for (size_t i = 0; i < months[k].nsecs; i++)
                                csv_section(&months[k].secs[i], &months[k].period);
        } else if (fmt == FMT_JSON) {
                json_t *j = json_object(), *arr = json_array(), *p = json_object();

                json_object_set_new(p, "label", json_string(period.label));
                json_object_set_new(p, "from", json_time(period.from));
                json_object_set_new(p, "to", json_time(period.to));
                json_object_set_new(j, "period", p);
                json_object_set_new(j, "low_value_cap", json_money(cli->cfg->max_value));
                json_object_set_new(j, "year_target", json_money(cli->cfg->impact_target));
                for (size_t i = 0; i < nsecs; i++)
                        json_array_append_new(arr, json_section(&secs[i]));
                json_object_set_new(j, "scopes", arr);
                if (monthly) {
                        json_t *ms = json_array();

                        for (size_t k = 0; k < nmonths; k++) {
                                json_t *mo = json_object(), *sc = json_array();

                                json_object_set_new(mo, "period",
                                                    json_string(months[k].period.label));
                                for (size_t i = 0; i < months[k].nsecs; i++)
                                        json_array_append_new(sc,
                                                              json_section(&months[k].secs[i]));
                                json_object_set_new(mo, "scopes", sc);
                                json_array_append_new(ms, mo);
                        }
                        json_object_set_new(j, "months", ms);
                }
                json_print(stdout, j, JSON_DUMP_INDENTED);
                json_decref(j);
        } else {
                char f[40], t[40];

                time_format_uk(period.from, f, sizeof(f));
                time_format_uk(period.to - 1, t, sizeof(t));
                printf("bidbroker report %s (%s to %s); low value: up to %s\n\n", period.label,
                       f, t, money(cli->cfg->max_value, (char[HUMAN_MONEY_MAX]){ 0 }));
                for (size_t i = 0; i < nsecs; i++)
                        text_section(&secs[i], &period, i == 0);
                if (nmonths)
                        text_months(months, nmonths, &period, cli->cfg->impact_target);
        }
        rc = 0;
out:
        sections_free(secs, nsecs);
        for (size_t k = 0; k < nmonths; k++)
                sections_free(months[k].secs, months[k].nsecs);
        free(months);
        match_result_done(&cc.res);
        engine_scratch_free(cc.scratch);
        strv_done(&named);
        strv_done(&clusters);
        store_close(st);
        engine_free(e);
        return rc;
}
