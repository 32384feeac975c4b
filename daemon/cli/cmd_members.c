/*
 * cmd_members.c — the members command: list, show ID, import FILE.csv.  See docs/matching.md.
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
#include "bidbroker/human.h"
#include "bidbroker/matchconf.h"
#include "bidbroker/matchstore.h"
#include "bidbroker/oppjson.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/register.h"
#include "bidbroker/store.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"

#include "matchcli.h"

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
        char b[HUMAN_MONEY_MAX];

        printf("  %-15s %s\n", label, human_money(pence, NULL, b, sizeof(b)));
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

