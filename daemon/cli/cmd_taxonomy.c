/*
 * cmd_taxonomy.c — the taxonomy command: `taxonomy coverage` reviews the CPV
 * coverage table (conf/cpv-coverage.conf, cpvcover.h) against the CPV 2008
 * list: which works and services codes no line places, and where a given
 * code is placed and why.  See docs/matching.md, "CPV coverage".
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidbroker/cli.h"
#include "bidbroker/config.h"
#include "bidbroker/cpvcover.h"
#include "bidbroker/cpvref.h"
#include "bidbroker/err.h"
#include "bidbroker/json.h"
#include "bidbroker/matchconf.h"
#include "bidbroker/taxonomy.h"
#include "bidbroker/util.h"

#include "matchcli.h"
#include "term.h"

/* Works and services: CPV divisions 45 to 98 (the supplies are 03 to 44). */
#define DIV_FIRST       45
#define DIV_LAST        98

static const char taxonomy_usage[] =
        "usage: bidbroker taxonomy coverage [--all] [--json] [CODE...]\n\n"
        "Review the CPV coverage table ([taxonomy] cpv_coverage in the taxonomy file,\n"
        "conf/cpv-coverage.conf): it places every CPV 2008 code under capabilities or\n"
        "out of scope with a reason; the line with the longest prefix that starts a\n"
        "code places it.\n\n"
        "Without CODE: print every works and services code (divisions 45 to 98) that\n"
        "no line places, one per line with its name; nothing when all are placed.\n"
        "With CODE (8 digits, a check digit may follow): where each code is placed,\n"
        "by which line, and why.\n\n"
        "Options:\n"
        "  --all    every CPV division, supplies (03 to 44) too\n"
        "  --json   one JSON object per code\n\n"
        "Needs [match] taxonomy and cpv_reference (the CPV 2008 list).  Exit status: 0,\n"
        "1 when a code is not placed or the files have errors, 2 on a usage error.\n";

struct tax_opts {
        bool   all, json;
        size_t cols;                    /* the terminal's width (term.h) */
};

static int
load(const struct config *cfg, struct cpvref **ref, struct taxonomy **tx)
{
        struct diag d;
        int r = -1;

        diag_init(&d);
        if (cfg->taxonomy == NULL || cfg->cpv_reference == NULL) {
                cli_error("taxonomy", "needs [match] taxonomy (the capability file) and "
                          "cpv_reference (the CPV 2008 list) in the configuration");
                goto out;
        }
        if (matchconf_cpvref(cfg, ref, &d) < 0 ||
            taxonomy_load_ref(cfg->taxonomy, *ref, tx, &d) < 0) {
                diag_print(&d, stderr);
                goto out;
        }
        if ((*tx)->cover == NULL) {
                cli_error("taxonomy", "%s names no CPV coverage table: add [taxonomy] "
                          "cpv_coverage = cpv-coverage.conf", cfg->taxonomy);
                goto out;
        }
        r = 0;
out:
        diag_done(&d);
        return r;
}

static json_t *
placement_json(const struct taxonomy *tx, const struct cpvref *ref, const char *code,
               const struct cpvcover_line *l)
{
        const char *name = cpvref_name(ref, code);
        json_t *j = json_pack("{s:s,s:o,s:b}", "code", code,
                              "name", name ? json_string(name) : json_null(),
                              "placed", l != NULL);
        json_t *caps;

        if (l == NULL)
                return j;
        caps = json_array();
        for (size_t k = 0; k < l->ncaps; k++)
                json_array_append_new(caps, json_string(tx->caps[l->caps[k]].id));
        json_object_set_new(j, "prefix", json_string(l->prefix));
        json_object_set_new(j, "file", json_string(l->file));
        json_object_set_new(j, "line", json_integer(l->line));
        json_object_set_new(j, "capabilities", caps);
        json_object_set_new(j, "out_of_scope", l->reason ? json_string(l->reason) : json_null());
        return j;
}

static void
print_placement(FILE *out, const struct taxonomy *tx, const struct cpvref *ref, const char *code,
                const struct cpvcover_line *l)
{
        const char *name = cpvref_name(ref, code);

        fprintf(out, "%s  %s\n", code, name ? name : "(not in the CPV 2008 list)");
        if (l == NULL) {
                fprintf(out, "    not placed: no line's prefix starts it\n");
                return;
        }
        if (l->reason) {
                fprintf(out, "    out of scope: %s\n", l->reason);
        } else {
                fprintf(out, "    ");
                for (size_t k = 0; k < l->ncaps; k++)
                        fprintf(out, "%s%s", k ? ", " : "", tx->caps[l->caps[k]].id);
                fprintf(out, "\n");
        }
        fprintf(out, "    by %s:%u (prefix %s: %s)\n", l->file, l->line, l->prefix,
               cpvref_prefix_label(ref, l->prefix) ? cpvref_prefix_label(ref, l->prefix) : "?");
}

struct placement {
        const struct taxonomy       *tx;
        const struct cpvref         *ref;
        const char                  *code;
        const struct cpvcover_line  *l;
};

static void
write_placement(FILE *out, const void *arg)
{
        const struct placement *p = arg;

        print_placement(out, p->tx, p->ref, p->code, p->l);
}

/* Where each code given is placed. */
static int
coverage_codes(const struct taxonomy *tx, const struct cpvref *ref, char **codes, int n,
               const struct tax_opts *o)
{
        int rc = 0;

        for (int i = 0; i < n; i++) {
                char code[9];
                size_t len = strspn(codes[i], "0123456789");
                const struct cpvcover_line *l;

                if (len != 8 || (codes[i][8] != '\0' &&
                                 !(codes[i][8] == '-' && codes[i][9] >= '0' &&
                                   codes[i][9] <= '9' && codes[i][10] == '\0'))) {
                        cli_error("taxonomy", "'%s' is not a CPV code: 8 digits, e.g. "
                                  "45331110 or 45331110-9", codes[i]);
                        return EXIT_USAGE;
                }
                memcpy(code, codes[i], 8);
                code[8] = '\0';
                l = cpvcover_lookup(tx->cover, code);
                if (l == NULL)
                        rc = 1;
                if (o->json) {
                        json_t *j = placement_json(tx, ref, code, l);

                        json_print(stdout, j, JSON_DUMP_FLAGS);
                        json_decref(j);
                } else {
                        struct placement p = { tx, ref, code, l };

                        term_wrapped(stdout, o->cols, write_placement, &p);
                }
        }
        return rc;
}

/* "CODE  NAME", a long name wrapped under itself. */
static void
print_gap(const char *code, const char *name, size_t cols)
{
        char *line = xasprintf("%s  %s", code, name ? name : "");

        term_wrap(stdout, line, cols, strlen(code) + 2);
        free(line);
}

/* Every code of the list (divisions 45..98 unless --all) no line places. */
static int
coverage_gaps(const struct taxonomy *tx, const struct cpvref *ref, const struct tax_opts *o)
{
        size_t total = 0, gaps = 0;

        for (size_t i = 0; i < cpvref_count(ref); i++) {
                const char *code = cpvref_code(ref, i);
                int div = (code[0] - '0') * 10 + (code[1] - '0');

                if (!o->all && (div < DIV_FIRST || div > DIV_LAST))
                        continue;
                total++;
                if (cpvcover_lookup(tx->cover, code) != NULL)
                        continue;
                gaps++;
                if (o->json) {
                        json_t *j = placement_json(tx, ref, code, NULL);

                        json_print(stdout, j, JSON_DUMP_FLAGS);
                        json_decref(j);
                } else {
                        print_gap(code, cpvref_name(ref, code), o->cols);
                }
        }
        fprintf(stderr, "%s: %zu lines; %zu of %zu CPV codes%s not placed\n",
                cpvcover_path(tx->cover), cpvcover_count(tx->cover), gaps, total,
                o->all ? "" : " in divisions 45-98");
        return gaps ? 1 : 0;
}

int
cmd_taxonomy(struct cli *cli, int argc, char **argv)
{
        static const struct option opts[] = {
                { "all", no_argument, NULL, 'a' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        struct tax_opts o = { 0 };
        struct cpvref *ref = NULL;
        struct taxonomy *tx = NULL;
        int c, rc;

        if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
                fputs(taxonomy_usage, stdout);
                return 0;
        }
        if (argc < 2 || strcmp(argv[1], "coverage") != 0) {
                cli_error("taxonomy", "%s%s%s; usage: bidbroker taxonomy coverage [--all] "
                          "[--json] [CODE...]", argc < 2 ? "which subcommand?" : "unknown "
                          "subcommand '", argc < 2 ? "" : argv[1], argc < 2 ? "" : "'");
                return EXIT_USAGE;
        }
        argc--;
        argv++;
        cli_getopt_reset();
        o.cols = (size_t)cli->cols;
        while ((c = cli_getopt("taxonomy", argc, argv, "h", opts)) != -1) {
                switch (c) {
                case 'a':
                        o.all = true;
                        break;
                case 'j':
                        o.json = true;
                        break;
                case 'h':
                        fputs(taxonomy_usage, stdout);
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        }
        if (load(cli->cfg, &ref, &tx) < 0) {
                rc = 1;
                goto out;
        }
        if (optind < argc)
                rc = coverage_codes(tx, ref, argv + optind, argc - optind, &o);
        else
                rc = coverage_gaps(tx, ref, &o);
out:
        taxonomy_free(tx);
        cpvref_free(ref);
        return rc;
}
