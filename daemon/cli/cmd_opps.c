/*
 * cmd_opps.c — the opportunity commands: ingest OCDS files into the store,
 * list stored opportunities (table or JSON lines) and show one in full.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bidbroker/cli.h"
#include "bidbroker/config.h"
#include "bidbroker/err.h"
#include "bidbroker/filter.h"
#include "bidbroker/human.h"
#include "bidbroker/json.h"
#include "bidbroker/links.h"
#include "bidbroker/ocds.h"
#include "bidbroker/oppjson.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/region.h"
#include "bidbroker/scale.h"
#include "bidbroker/store.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"
#include "bidbroker/termsafe.h"

#include "term.h"

#define INGEST_MAX_FILE (256u << 20)

/* ======== ingest ======== */

struct ingest_counts {
        size_t new, updated, unchanged, rejected, linked;
};

/* Store every accepted opportunity of one parsed file in one transaction. */
static int
store_page(struct store *st, const struct ocds_page *page, struct ingest_counts *n,
           struct err *err)
{
        uint64_t links = store_links_made(st);
        int r;

        r = store_begin(st, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < page->n; i++) {
                enum store_put_result res;

                r = store_put(st, &page->opps[i], &res, NULL, err);
                if (r < 0) {
                        store_rollback(st);
                        return r;
                }
                if (res == STORE_NEW)
                        n->new++;
                else if (res == STORE_UPDATED)
                        n->updated++;
                else
                        n->unchanged++;
        }
        n->linked = (size_t)(store_links_made(st) - links);
        return store_commit(st, err);
}

static int
ingest_file(struct store *st, const char *path, struct ingest_counts *total)
{
        struct ingest_counts n = { 0 };
        struct ocds_page page;
        struct err err = { 0 };
        char *data = NULL;
        size_t len = 0;
        int r;

        r = read_file(path, INGEST_MAX_FILE, &data, &len);
        if (r < 0) {
                cli_error("ingest", "%s: cannot read: %s", path,
                          r == -EFBIG ? "file larger than 256 MiB" : strerror(-r));
                return r;
        }
        ocds_page_init(&page);
        r = ocds_parse(path, data, len, &page, &err);
        free(data);
        if (r < 0) {
                cli_error("ingest", "%s", err.msg);
                ocds_page_done(&page);
                return r;
        }
        n.rejected = diag_count(&page.rejected);
        r = store_page(st, &page, &n, &err);
        if (r < 0) {
                cli_error("ingest", "%s: nothing stored: %s", path, err.msg);
                ocds_page_done(&page);
                return r;
        }
        printf("%s: %zu new, %zu updated, %zu unchanged, %zu rejected, %zu linked\n", path,
               n.new, n.updated, n.unchanged, n.rejected, n.linked);
        for (size_t i = 0; i < page.rejected.n; i++) {  /* they quote the file */
                fputs("  rejected: ", stdout);
                termsafe_fputs(page.rejected.msg[i], stdout, TERMSAFE_TAB);
                putchar('\n');
        }
        if (page.rejected.dropped)
                printf("  (%zu more rejected releases not shown)\n", page.rejected.dropped);
        total->new += n.new;
        total->updated += n.updated;
        total->unchanged += n.unchanged;
        total->rejected += n.rejected;
        total->linked += n.linked;
        ocds_page_done(&page);
        return 0;
}

int
cmd_ingest(struct cli *cli, int argc, char **argv)
{
        static const struct option opts[] = {
                { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
        };
        struct ingest_counts total = { 0 };
        struct store *st = NULL;
        struct err err = { 0 };
        int c, failed = 0;

        cli_getopt_reset();
        while ((c = cli_getopt(argv[0], argc, argv, "h", opts)) != -1) {
                if (c == 'h') {
                        printf("usage: bidbroker ingest FILE...\n\n"
                               "Read OCDS JSON files (Contracts Finder search pages or releases,\n"
                               "Find a Tender release packages) into the store.  Prints, per file,\n"
                               "how many notices were new, updated, unchanged and rejected (with\n"
                               "the reason and where), and how many were linked to the same\n"
                               "tender on the other source (Contracts Finder and Find a Tender).\n"
                               "Each file is stored in one transaction.\n"
                               "Exit 0 unless a file could not be read or parsed at all.\n");
                        return 0;
                }
                return EXIT_USAGE;
        }
        if (optind >= argc) {
                cli_error("ingest", "no files given (see bidbroker ingest --help)");
                return EXIT_USAGE;
        }
        if (store_open_mode(cli->state_dir, STORE_READ_WRITE, cli->cfg->busy_timeout_ms, &st,
                            &err) < 0) {
                cli_error("ingest", "%s", err.msg);
                return 1;
        }
        store_set_now(st, cli->now);
        for (int i = optind; i < argc; i++)
                if (ingest_file(st, argv[i], &total) < 0)
                        failed++;
        if (argc - optind > 1)
                printf("total: %zu new, %zu updated, %zu unchanged, %zu rejected, "
                       "%zu linked%s\n", total.new, total.updated, total.unchanged,
                       total.rejected, total.linked, failed ? " (some files failed)" : "");
        store_close(st);
        return failed ? 1 : 0;
}

/* ======== list ======== */

struct list_opts {
        struct store *st;
        struct err  err;                /* a failed link lookup */
        bool        open, low_value, json;
        struct strv regions;            /* --region, region_normalise()d */
        const char *cpv;
        struct filter filter;
        int64_t     now;
        size_t      shown;
        struct table *table;            /* the text form */
};

static const struct table_col list_cols[] = {
        { "ID", TABLE_RIGHT | TABLE_KEEP, 0 },
        { "DEADLINE (UK)", TABLE_KEEP, 0 },
        { "VALUE", TABLE_RIGHT | TABLE_KEEP, 0 },
        { "REGION", 0, 6 },
        { "TITLE", TABLE_FLEX, 20 },
};

static bool
list_wants(const struct list_opts *lo, const struct opportunity *o)
{
        if (lo->open && !opportunity_is_open(o, lo->now))
                return false;
        if (lo->low_value && !filter_low_value(&lo->filter, o))
                return false;
        if (lo->regions.n > 0) {
                struct filter f = lo->filter;

                f.regions = &lo->regions;
                if (!filter_region(&f, o))
                        return false;
        }
        if (lo->cpv != NULL) {
                size_t i;

                for (i = 0; i < o->cpv.n; i++)
                        if (str_startswith(o->cpv.v[i], lo->cpv))
                                break;
                if (i == o->cpv.n)
                        return false;
        }
        return true;
}

/* "£24,999", "£2,000.50" or "not stated"; buf HUMAN_MONEY_MAX bytes. */
static const char *
money_short(const struct opportunity *o, char *buf, size_t len)
{
        if (!o->value_stated || o->value_max == VALUE_NONE)
                return "not stated";
        return human_money(o->value_max, o->currency, buf, len);
}

/* A short label for a notice's regions: "anywhere", "England", "UK", "UKG",
 * "UKG+2".  buf at least 16 bytes. */
static const char *
region_label(const struct opportunity *o, char *buf, size_t len)
{
        static const char england[] = "UKCUKDUKEUKFUKGUKHUKIUKJUKK";
        char all[64] = "";
        size_t used = 0;

        if (o->anywhere)
                return "anywhere";
        if (o->regions.n == 0)
                return "-";
        if (o->regions.n == 1)
                return o->regions.v[0];
        for (size_t i = 0; i < o->regions.n && used + 6 < sizeof(all); i++)
                used += (size_t)snprintf(all + used, sizeof(all) - used, "%s", o->regions.v[i]);
        if (strcmp(all, england) == 0)
                return "England";
        if (strcmp(all, "UKCUKDUKEUKFUKGUKHUKIUKJUKKUKLUKMUKN") == 0)
                return "UK";
        snprintf(buf, len, "%s+%zu", o->regions.v[0], o->regions.n - 1);
        return buf;
}

/* "likely_over_cap": the scale signals of a notice that states no value
 * (docs/parsing.md), or null. */
static void
add_likely_over_cap(json_t *j, const struct filter *f, const struct opportunity *o)
{
        char buf[SCALE_REASON_MAX];
        const char *why = filter_likely_over_cap(f, o, buf, sizeof(buf));

        json_object_set_new(j, "likely_over_cap", json_str_or_null(why));
}

/* "also": the other source's record of the same tender (links.h), [] when
 * there is none. */
static void
add_also(json_t *j, const struct store_link *l, int linked)
{
        json_t *a = json_array();

        if (linked > 0)
                json_array_append_new(a, json_pack("{s:I,s:s,s:s,s:s,s:b}",
                                                   "id", (json_int_t)l->id,
                                                   "source", l->source,
                                                   "notice_id", l->notice_id,
                                                   "rule", l->rule,
                                                   "canonical", l->other_is_canonical));
        json_object_set_new(j, "also", a);
}

static int
list_row(const struct opportunity *o, void *arg)
{
        struct list_opts *lo = arg;
        char dl[32], val[48], rl[16], id[24];
        const char *cells[ARRAY_SIZE(list_cols)];
        struct store_link l;
        char *title = NULL;
        int linked;

        if (!list_wants(lo, o))
                return 0;
        store_link_init(&l);
        linked = store_link_get(lo->st, o->id, &l, &lo->err);
        if (linked < 0)
                return linked;
        if (linked > 0 && l.other_is_canonical) {
                store_link_done(&l);    /* shown once, as its canonical record */
                return 0;
        }
        lo->shown++;
        if (lo->json) {
                json_t *j = opportunity_to_json(o, false);

                add_likely_over_cap(j, &lo->filter, o);
                add_also(j, &l, linked);
                json_print(stdout, j, JSON_DUMP_FLAGS);
                json_decref(j);
                store_link_done(&l);
                return 0;
        }
        /* a tender on both sources: "[cf+fts] Title" */
        if (linked > 0)
                title = xasprintf("[%s+%s] %s", o->source, l.source,
                                  o->title ? o->title : "(untitled)");
        store_link_done(&l);
        snprintf(id, sizeof(id), "%lld", (long long)o->id);
        time_format_uk(o->deadline, dl, sizeof(dl));
        cells[0] = id;
        cells[1] = dl[0] ? dl : "-";
        cells[2] = money_short(o, val, sizeof(val));
        cells[3] = region_label(o, rl, sizeof(rl));
        cells[4] = title ? title : o->title ? o->title : "(untitled)";
        table_row(lo->table, cells, 0);
        free(title);
        return 0;
}

int
cmd_list(struct cli *cli, int argc, char **argv)
{
        static const struct option opts[] = {
                { "open", no_argument, NULL, 'o' },
                { "low-value", no_argument, NULL, 'l' },
                { "region", required_argument, NULL, 'r' },
                { "cpv", required_argument, NULL, 'p' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        struct list_opts lo = { 0 };
        struct store_query q;
        struct store *st = NULL;
        struct err err = { 0 };
        int c, r;

        cli_getopt_reset();
        while ((c = cli_getopt(argv[0], argc, argv, "olr:p:jh", opts)) != -1) {
                switch (c) {
                case 'o': lo.open = true; break;
                case 'l': lo.low_value = true; break;
                case 'r': {
                        const char *why = NULL;

                        if (region_normalise(optarg, &lo.regions, &why) < 0) {
                                cli_error("list", "--region: '%s' is %s", optarg, why);
                                strv_done(&lo.regions);
                                return EXIT_USAGE;
                        }
                        break;
                }
                case 'p': lo.cpv = optarg; break;
                case 'j': lo.json = true; break;
                case 'h':
                        printf("usage: bidbroker list [--open] [--low-value] [--region R] "
                               "[--cpv PREFIX] [--json]\n\n"
                               "List stored opportunities, soonest deadline first.  A tender\n"
                               "published on both Contracts Finder and Find a Tender is listed\n"
                               "once, as its Contracts Finder record, marked [cf+fts].\n"
                               "  --open        at tender stage, not closed, deadline ahead\n"
                               "  --low-value   stated value <= [filter] max_value, or no value\n"
                               "                stated (kept and flagged unless\n"
                               "                keep_value_not_stated = no)\n"
                               "  --region R    deliverable in region R: an ITL code (UKG, ukg31),\n"
                               "                a region name (\"West Midlands\") or a postcode\n"
                               "                area (B); repeat for several\n"
                               "  --cpv PREFIX  a CPV code starting with PREFIX\n"
                               "  --json        one JSON object per line (\"also\": the other\n"
                               "                source's record of the same tender)\n");
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        }
        if (cli_no_args("list", argc, argv) < 0) {
                strv_done(&lo.regions);
                return EXIT_USAGE;
        }
        store_query_init(&q);
        q.skip_raw = true;              /* list never shows the raw record */
        filter_from_config(&lo.filter, cli->cfg);
        lo.now = cli->now;
        if (store_open_mode(cli->state_dir, STORE_READ_ONLY, cli->cfg->busy_timeout_ms, &st,
                            &err) < 0) {
                cli_error("list", "%s", err.msg);
                strv_done(&lo.regions);
                return 1;
        }
        if (!lo.json)
                lo.table = table_new(list_cols, ARRAY_SIZE(list_cols));
        lo.st = st;
        r = store_each(st, &q, list_row, &lo, &err);
        store_close(st);
        strv_done(&lo.regions);
        if (r < 0) {
                cli_error("list", "%s", lo.err.msg[0] ? lo.err.msg : err.msg);
                table_free(lo.table);
                return 1;
        }
        if (lo.table != NULL)
                table_print(lo.table, stdout, (size_t)cli->cols, cli->color);
        table_free(lo.table);
        if (!lo.json && isatty(STDOUT_FILENO))
                printf("(%zu opportunit%s)\n", lo.shown, lo.shown == 1 ? "y" : "ies");
        return 0;
}

/* ======== show ======== */

static void
show_list(FILE *out, const char *label, const struct strv *v)
{
        fprintf(out, "%-14s ", label);
        if (v->n == 0)
                fprintf(out, "-");
        for (size_t i = 0; i < v->n; i++)
                fprintf(out, "%s%s", i ? ", " : "", v->v[i]);
        fprintf(out, "\n");
}

static const char *
tri(enum tristate t)
{
        return t == TRI_YES ? "yes" : t == TRI_NO ? "no" : "not stated";
}

/* One line per lot (lots.h): id, title, value, CPV codes, status when not
 * open; then how many lots one supplier may bid for or win. */
static void
show_lots(FILE *out, const struct opportunity *o)
{
        char money[HUMAN_MONEY_MAX];

        for (size_t i = 0; i < o->nlots; i++) {
                const struct opp_lot *lot = &o->lots[i];

                fprintf(out, "%-14s %s: %s, %s", i ? "" : "lots", lot->id,
                        lot->title ? lot->title : "(untitled)", lot->value == VALUE_NONE
                        ? "value not stated" : human_money(lot->value, o->currency[0]
                                                           ? o->currency : "GBP", money,
                                                           sizeof(money)));
                for (size_t k = 0; k < lot->cpv.n; k++)
                        fprintf(out, "%s%s", k ? ", " : ", CPV ", lot->cpv.v[k]);
                if (!lot->active)
                        fprintf(out, " (%s)", lot->status ? lot->status : "closed");
                fputc('\n', out);
        }
        if (o->max_lots_bid > 0 || o->max_lots_awarded > 0) {
                fprintf(out, "%-14s", "lot limits");
                if (o->max_lots_bid > 0)
                        fprintf(out, " a supplier may bid for %d", o->max_lots_bid);
                if (o->max_lots_awarded > 0)
                        fprintf(out, "%s may win %d", o->max_lots_bid > 0 ? "," : " a supplier",
                                o->max_lots_awarded);
                fputc('\n', out);
        }
}

static void
show_text(FILE *out, const struct opportunity *o, const struct filter *f,
          const struct store_link *l, int linked)
{
        char t1[48], t2[32], t3[32], money[HUMAN_MONEY_MAX], scale[SCALE_REASON_MAX];
        const char *over = filter_likely_over_cap(f, o, scale, sizeof(scale));

        fprintf(out, "%s\n", o->title ? o->title : "(untitled)");
        fprintf(out, "%-14s %lld\n", "id", (long long)o->id);
        fprintf(out, "%-14s %s %s\n", "source", o->source, o->notice_id);
        if (linked > 0)
                fprintf(out, "%-14s %s %s (id %lld, the same tender by %s); matched as %s\n",
                        "also published as", l->source, l->notice_id, (long long)l->id,
                        l->rule, l->other_is_canonical ? "that record" : "this record");
        fprintf(out, "%-14s %s\n", "ocid", o->ocid ? o->ocid : "-");
        fprintf(out, "%-14s %s, %s%s\n", "stage", opp_stage_name(o->stage), opp_status_name(o->status),
               o->amended ? " (amended)" : "");
        fprintf(out, "%-14s %s\n", "notice type", o->notice_type ? o->notice_type : "-");
        fprintf(out, "%-14s %s%s%s%s\n", "buyer", o->buyer_name ? o->buyer_name : "-",
               o->buyer_id ? " (" : "", o->buyer_id ? o->buyer_id : "", o->buyer_id ? ")" : "");
        fprintf(out, "%-14s %s", "value", money_short(o, money, sizeof(money)));
        if (o->value_stated && o->value_min != VALUE_NONE)
                fprintf(out, " (from %s)", human_money(o->value_min, o->currency, t1, sizeof(t1)));
        if (o->value_gross != VALUE_NONE)
                fprintf(out, " ex VAT, %s inc VAT",
                       human_money(o->value_gross, o->currency, t1, sizeof(t1)));
        fprintf(out, "\n");
        if (over != NULL)
                fprintf(out, "%-14s likely over the value cap: %s\n", "scale", over);
        fprintf(out, "%-14s %s\n", "deadline", o->deadline == TIME_UNKNOWN ? "not stated" :
               time_format_uk(o->deadline, t1, sizeof(t1)));
        fprintf(out, "%-14s %s\n", "published", time_format_uk(o->published, t2, sizeof(t2)));
        fprintf(out, "%-14s %s\n", "updated", time_format_uk(o->updated, t3, sizeof(t3)));
        show_list(out, "cpv", &o->cpv);
        if (o->anywhere)
                fprintf(out, "%-14s anywhere\n", "regions");
        else
                show_list(out, "regions", &o->regions);
        show_list(out, "postcodes", &o->postcodes);
        fprintf(out, "%-14s %s\n", "above thresh.", tri(o->above_threshold));
        fprintf(out, "%-14s %s%s%s\n", "procedure", o->procurement_method ? o->procurement_method : "-",
               o->procurement_method_details ? ": " : "",
               o->procurement_method_details ? o->procurement_method_details : "");
        fprintf(out, "%-14s SME %s, VCSE %s\n", "suitable", tri(o->suitable_sme), tri(o->suitable_vcse));
        fprintf(out, "%-14s %s\n", "url", o->url ? o->url : "-");
        if (o->nlots > 1)               /* one lot is the notice itself */
                show_lots(out, o);
        else if (o->lot_titles.n)
                show_list(out, "lots", &o->lot_titles);
        fprintf(out, "\n%s\n", o->description ? o->description : "");
}

struct show {
        const struct opportunity *o;
        const struct filter      *f;
        const struct store_link  *l;
        int                       linked;
};

static void
write_show(FILE *out, const void *arg)
{
        const struct show *sh = arg;

        show_text(out, sh->o, sh->f, sh->l, sh->linked);
}

int
cmd_show(struct cli *cli, int argc, char **argv)
{
        static const struct option opts[] = {
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        struct opportunity o;
        struct store_link l;
        struct store *st = NULL;
        struct err err = { 0 };
        struct filter f;
        bool json = false;
        int linked = 0;
        long id;
        int c, r;

        cli_getopt_reset();
        while ((c = cli_getopt(argv[0], argc, argv, "jh", opts)) != -1) {
                if (c == 'j') {
                        json = true;
                } else if (c == 'h') {
                        printf("usage: bidbroker show ID [--json]\n\n"
                               "Show one stored opportunity in full (ID from bidbroker list),\n"
                               "and the other source's record of the same tender if there is\n"
                               "one (\"also published as\").\n"
                               "--json adds the raw record as received.\n");
                        return 0;
                } else {
                        return EXIT_USAGE;
                }
        }
        if (optind + 1 != argc || parse_long(argv[optind], 1, LONG_MAX, &id) < 0) {
                cli_error("show", "expected one opportunity ID, a number from bidbroker list "
                          "(see bidbroker show --help)");
                return EXIT_USAGE;
        }
        if (store_open_mode(cli->state_dir, STORE_READ_ONLY, cli->cfg->busy_timeout_ms, &st,
                            &err) < 0) {
                cli_error("show", "%s", err.msg);
                return 1;
        }
        filter_from_config(&f, cli->cfg);
        opportunity_init(&o);
        store_link_init(&l);
        r = store_get(st, id, &o, &err);
        if (r == 0 && (linked = store_link_get(st, id, &l, &err)) < 0)
                r = linked;
        store_close(st);
        if (r < 0) {
                if (r == -ENOENT)
                        cli_error("show", "no opportunity with id %ld", id);
                else
                        cli_error("show", "%s", err.msg);
                opportunity_done(&o);
                store_link_done(&l);
                return 1;
        }
        if (json) {
                json_t *j = opportunity_to_json(&o, true);

                add_likely_over_cap(j, &f, &o);
                add_also(j, &l, linked);
                json_print(stdout, j, JSON_DUMP_INDENTED);
                json_decref(j);
        } else {
                struct show sh = { &o, &f, &l, linked };

                if (term_wrapped(stdout, (size_t)cli->cols, write_show, &sh) < 0) {
                        cli_error("show", "out of memory");
                        opportunity_done(&o);
                        store_link_done(&l);
                        return 1;
                }
        }
        opportunity_done(&o);
        store_link_done(&l);
        return 0;
}
