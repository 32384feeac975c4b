/*
 * cmd_members.c — the members command: list, show ID, export, import FILE.csv,
 * remove ID.  See docs/matching.md.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidbroker/checks.h"
#include "bidbroker/cli.h"
#include "bidbroker/config.h"
#include "bidbroker/cpvref.h"
#include "bidbroker/engine.h"
#include "bidbroker/err.h"
#include "bidbroker/filter.h"
#include "bidbroker/human.h"
#include "bidbroker/json.h"
#include "bidbroker/matchconf.h"
#include "bidbroker/matchstore.h"
#include "bidbroker/members.h"
#include "bidbroker/members_csv.h"
#include "bidbroker/members_write.h"
#include "bidbroker/oppjson.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/store.h"
#include "bidbroker/termsafe.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"

#include "matchcli.h"
#include "term.h"

/* ---- members -------------------------------------------------------------------------- */

static json_t *
member_json(const struct member *m)
{
        json_t *o = json_object(), *rules = json_array();

        json_object_set_new(o, "id", json_string(m->id));
        json_object_set_new(o, "name", json_string(m->name));
        json_object_set_new(o, "email", json_strv(&m->emails));
        json_object_set_new(o, "cluster", json_str_or_null(m->cluster));
        json_object_set_new(o, "postcode", json_str_or_null(m->postcode));
        json_object_set_new(o, "regions", json_strv(&m->regions));
        json_object_set_new(o, "capabilities", json_strv(&m->capabilities));
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
        json_object_set_new(o, "min_value", json_money(m->min_value));
        json_object_set_new(o, "max_value", json_money(m->max_value));
        json_object_set_new(o, "capacity", json_money(m->capacity));
        json_object_set_new(o, "consortium", json_boolean(m->consortium));
        json_object_set_new(o, "lead", json_boolean(m->lead));
        json_object_set_new(o, "accreditations", json_str_or_null(m->accreditations));
        json_object_set_new(o, "max_open_bids", json_integer(m->max_open_bids));
        json_object_set_new(o, "works_with", json_strv(&m->works_with));
        json_object_set_new(o, "avoid", json_strv(&m->avoid));
        json_object_set_new(o, "digest_day", json_string(weekday_name(m->digest_day)));
        json_object_set_new(o, "paused", json_boolean(m->paused));
        json_object_set_new(o, "companies_house", json_str_or_null(m->companies_house));
        json_object_set_new(o, "charity_number", json_str_or_null(m->charity_number));
        json_object_set_new(o, "ppon", json_str_or_null(m->ppon));
        json_object_set_new(o, "report_name", json_boolean(m->report_name));
        json_object_set_new(o, "file", json_str_or_null(m->file));
        return o;
}

static void
print_money(FILE *out, const char *label, int64_t pence)
{
        if (pence == VALUE_NONE)
                return;
        char b[HUMAN_MONEY_MAX];

        fprintf(out, "  %-15s %s\n", label, human_money(pence, NULL, b, sizeof(b)));
}

static void
print_list(FILE *out, const char *label, const struct strv *v)
{
        fprintf(out, "  %-15s ", label);
        for (size_t i = 0; i < v->n; i++)
                fprintf(out, "%s%s", i ? ", " : "", v->v[i]);
        fprintf(out, "%s\n", v->n ? "" : "-");
}

/* The checks its accreditations hold, as the readiness checklist reads
 * them (checks.h), and the entries no [check] recognises. */
static void
checks_text(FILE *out, const struct member *m, const struct taxonomy *tx)
{
        struct check_holds h;
        struct strv unknown;

        if (tx == NULL || tx->checker == NULL)
                return;
        check_holds_init(&h);
        strv_init(&unknown);
        checker_member(tx->checker, m->accreditations, &h, &unknown);
        fprintf(out, "  %-15s ", "checks held");
        for (size_t i = 0; i < h.n; i++) {
                char lv[32] = "";

                if (h.v[i].level != CHECK_LEVEL_NONE) {
                        lv[0] = ' ';
                        check_level_text(h.v[i].level, lv + 1, sizeof(lv) - 1);
                }
                fprintf(out, "%s%s%s", i ? ", " : "", h.v[i].def->label, lv);
        }
        fprintf(out, "%s\n", h.n ? "" : "none the taxonomy's [check]s recognise");
        if (unknown.n > 0) {
                fprintf(out, "  %-15s ", "free text");
                for (size_t i = 0; i < unknown.n; i++)
                        fprintf(out, "%s%s", i ? ", " : "", unknown.v[i]);
                fputc('\n', out);
        }
        strv_done(&unknown);
        check_holds_done(&h);
}

static void
member_text(FILE *out, const struct member *m, const struct taxonomy *tx)
{
        fprintf(out, "%s: %s\n", m->id, m->name ? m->name : "");
        print_list(out, "email", &m->emails);
        fprintf(out, "  %-15s %s\n", "cluster", m->cluster ? m->cluster : "-");
        fprintf(out, "  %-15s %s\n", "postcode", m->postcode ? m->postcode : "-");
        print_list(out, "regions", &m->regions);
        fprintf(out, "  %-15s ", "capabilities");
        for (size_t i = 0; i < m->capabilities.n; i++) {
                const struct capability *c = taxonomy_find(tx, m->capabilities.v[i]);

                fprintf(out, "%s%s%s%s%s", i ? ", " : "", m->capabilities.v[i],
                       c ? " (" : "", c ? c->label : "", c ? ")" : "");
        }
        fprintf(out, "%s\n", m->capabilities.n ? "" : "-");
        for (size_t i = 0; i < m->nrules; i++) {
                struct buf f;

                buf_init(&f);
                rule_fields_format(m->rules[i].fields, &f);
                fprintf(out, "  %-15s %s  [%s]\n", rule_key(&m->rules[i]), m->rules[i].text, f.data);
                buf_done(&f);
        }
        print_money(out, "min_value", m->min_value);
        print_money(out, "max_value", m->max_value);
        print_money(out, "capacity", m->capacity);
        fprintf(out, "  %-15s %s\n", "consortium", m->consortium ? "yes" : "no");
        if (m->lead)
                fprintf(out, "  %-15s %s\n", "lead", "yes");
        if (m->accreditations) {
                fprintf(out, "  %-15s %s\n", "accreditations", m->accreditations);
                checks_text(out, m, tx);
        }
        fprintf(out, "  %-15s %d\n", "max_open_bids", m->max_open_bids);
        if (m->works_with.n)
                print_list(out, "works_with", &m->works_with);
        if (m->avoid.n)
                print_list(out, "avoid", &m->avoid);
        fprintf(out, "  %-15s %s\n", "digest_day", weekday_name(m->digest_day));
        if (m->paused)
                fprintf(out, "  %-15s %s\n", "paused", "yes: not matched until paused = no");
        if (m->companies_house)
                fprintf(out, "  %-15s %s\n", "companies_house", m->companies_house);
        if (m->charity_number)
                fprintf(out, "  %-15s %s\n", "charity_number", m->charity_number);
        if (m->ppon)
                fprintf(out, "  %-15s %s\n", "ppon", m->ppon);
        fprintf(out, "  %-15s %s\n", "report_name", m->report_name ?
                "yes: wins named in reports" : "no: wins counted, not named");
        fprintf(out, "  %-15s %s\n", "file", m->file ? m->file : "-");
}

struct member_show {
        const struct member   *m;
        const struct taxonomy *tx;
};

static void
write_member(FILE *out, const void *arg)
{
        const struct member_show *ms = arg;

        member_text(out, ms->m, ms->tx);
}

static const struct table_col members_cols[] = {
        { "ID", TABLE_KEEP, 0 },
        { "NAME", TABLE_FLEX, 20 },
        { "CLUSTER", 0, 7 },
        { "REGIONS", 0, 8 },
        { "CAPABILITIES", 0, 12 },
};

static int
members_list(struct cli *cli, bool json)
{
        struct taxonomy *tx = NULL;
        struct member_register *reg = NULL;
        struct table *t;
        size_t npaused = 0;

        if (load_register(cli, "members", &tx, &reg) < 0 || reg == NULL)
                return 1;
        t = table_new(members_cols, ARRAY_SIZE(members_cols));
        for (size_t i = 0; i < reg->n; i++) {
                const struct member *m = &reg->members[i];

                if (json) {
                        json_t *j = member_json(m);

                        json_print(stdout, j, JSON_DUMP_FLAGS);
                        json_decref(j);
                } else {
                        const char *cells[ARRAY_SIZE(members_cols)];
                        struct buf nm, rg, cp;

                        buf_init(&nm);
                        buf_init(&rg);
                        buf_init(&cp);
                        buf_printf(&nm, "%s%s", m->paused ? "(paused) " : "",
                                   m->name ? m->name : "");
                        for (size_t k = 0; k < m->regions.n; k++)
                                buf_printf(&rg, "%s%s", k ? "," : "", m->regions.v[k]);
                        for (size_t k = 0; k < m->capabilities.n; k++)
                                buf_printf(&cp, "%s%s", k ? "," : "", m->capabilities.v[k]);
                        cells[0] = m->id;
                        cells[1] = nm.data ? nm.data : "";
                        cells[2] = m->cluster ? m->cluster : "-";
                        cells[3] = rg.data ? rg.data : "anywhere";
                        cells[4] = cp.data ? cp.data : "-";
                        table_row(t, cells, m->paused ? TABLE_ROW_DIM : 0);
                        npaused += m->paused;
                        buf_done(&nm);
                        buf_done(&rg);
                        buf_done(&cp);
                }
        }
        if (!json) {
                if (reg->n > 0)
                        table_print(t, stdout, (size_t)cli->cols, cli->color);
                fprintf(stderr, "%zu member%s%s%.0zu%s\n", reg->n, reg->n == 1 ? "" : "s",
                        npaused ? " (" : "", npaused, npaused ? " paused)" : "");
        }
        table_free(t);
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

                json_print(stdout, j, JSON_DUMP_FLAGS);
                json_decref(j);
                rc = 0;
        } else {
                struct member_show ms = { m, tx };

                rc = term_wrapped(stdout, (size_t)cli->cols, write_member, &ms) < 0 ? 1 : 0;
        }
        members_free(reg);
        taxonomy_free(tx);
        return rc;
}

/* The group member files are given ([bidbroker] group, else "bidbroker" if it
 * exists, else ours); -1 after printing the error. */
static int
file_group(struct cli *cli, unsigned *gid)
{
        struct err e = { 0 };

        if (members_group(cli->cfg->group, gid, &e) < 0) {
                cli_error("members", "%s", e.msg);
                return -1;
        }
        return 0;
}

static int
members_import(struct cli *cli, const char *csv, bool dry_run, bool force)
{
        struct import_opts o = { .dry_run = dry_run, .force = force, .gid = (unsigned)-1 };
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
        if (!dry_run && file_group(cli, &o.gid) < 0) {
                taxonomy_free(tx);
                return 1;
        }
        diag_init(&d);
        r = members_import_csv(csv, cli->cfg->members, tx, &o, &n, &d);
        diag_print(&d, stderr);
        diag_done(&d);
        taxonomy_free(tx);
        if (r < 0) {
                import_counts_done(&n);
                cli_error("members", "%s: nothing imported", csv);
                return 1;
        }
        for (size_t i = 0; i < n.changes.n; i++) {      /* they quote the sheet */
                termsafe_fputs(n.changes.v[i], stdout, TERMSAFE_TAB);
                putchar('\n');
        }
        if (dry_run)
                printf("%s (dry run, nothing written): would create %zu, update %zu; "
                       "%zu unchanged, %zu rejected\n", csv, n.created, n.updated,
                       n.unchanged, n.rejected);
        else
                printf("%s: %zu created, %zu updated, %zu unchanged, %zu rejected\n", csv,
                       n.created, n.updated, n.unchanged, n.rejected);
        import_counts_done(&n);
        return n.rejected > 0 ? 1 : 0;
}

static int
members_export(struct cli *cli, bool json)
{
        struct taxonomy *tx = NULL;
        struct member_register *reg = NULL;
        struct buf out;

        if (load_register(cli, "members", &tx, &reg) < 0 || reg == NULL)
                return 1;
        if (json) {
                for (size_t i = 0; i < reg->n; i++) {
                        json_t *j = member_json(&reg->members[i]);

                        json_print(stdout, j, JSON_DUMP_FLAGS);
                        json_decref(j);
                }
        } else {
                buf_init(&out);
                members_export_csv(reg, &out);
                fwrite(out.data, 1, out.len, stdout);
                buf_done(&out);
        }
        fprintf(stderr, "%zu member%s exported\n", reg->n, reg->n == 1 ? "" : "s");
        members_free(reg);
        taxonomy_free(tx);
        return 0;
}

static int
members_remove(struct cli *cli, const char *id)
{
        struct err e = { 0 };

        if (cli->cfg->members == NULL) {
                cli_error("members", "[match] members (the member directory) is not set in %s",
                          cli->cfg->path ? cli->cfg->path : "the configuration");
                return 1;
        }
        if (member_remove(cli->cfg->members, id, &e) < 0) {
                cli_error("members", "%s", e.msg);
                return 1;
        }
        printf("removed member %s (%s/%s.conf); its matches are withdrawn at the next "
               "match run or reload\n", id, cli->cfg->members, id);
        return 0;
}

static int
members_pause(struct cli *cli, const char *id, bool paused)
{
        struct taxonomy *tx = NULL;
        struct member_register *reg = NULL;
        const struct member *m;
        struct err e = { 0 };
        unsigned gid = (unsigned)-1;
        int r, rc = 1;

        if (load_register(cli, "members", &tx, &reg) < 0 || reg == NULL)
                return 1;
        m = members_find(reg, id);
        if (m == NULL) {
                cli_error("members", "no member '%s' in %s", id, cli->cfg->members);
                goto out;
        }
        if (file_group(cli, &gid) < 0)
                goto out;
        r = member_set_paused(cli->cfg->members, m, paused, gid, &e);
        if (r < 0) {
                cli_error("members", "%s", e.msg);
                goto out;
        }
        if (r > 0)
                printf("%s is already %s\n", id, paused ? "paused" : "active (not paused)");
        else
                printf("%s %s (%s); the daemon applies it at its next reload "
                       "(systemctl reload bidbroker)\n", id,
                       paused ? "paused: not matched until resumed" : "resumed: matched again",
                       m->file);
        rc = 0;
out:
        members_free(reg);
        taxonomy_free(tx);
        return rc;
}

static const char members_usage[] =
        "usage: bidbroker members list [--json]\n"
        "       bidbroker members show ID [--json]\n"
        "       bidbroker members export [--csv | --json]\n"
        "       bidbroker members import [--dry-run] [--force] FILE.csv\n"
        "       bidbroker members pause ID | resume ID\n"
        "       bidbroker members remove ID\n"
        "       bidbroker members unsubscribe ID | resubscribe ID\n\n"
        "The member register: one file per member in [match] members.\n\n"
        "  list             one line per member\n"
        "  show ID          one member in full\n"
        "  export           every member as CSV on stdout (columns id, name, email,\n"
        "                   cluster, postcode, regions, capabilities, min_value,\n"
        "                   max_value, capacity, consortium, lead, digest_day,\n"
        "                   accreditations, paused, companies_house, charity_number,\n"
        "                   ppon, report_name, max_open_bids, works_with, avoid,\n"
        "                   rules; lists joined with '; ', rules one line each);\n"
        "                   --json: one object per member\n"
        "  import FILE.csv  create or update member files from such a sheet (older\n"
        "                   sheets' keywords/exclusions columns too); prints each change\n"
        "                   per member and field; every bad row is reported as FILE:LINE\n"
        "                   and skipped; exit 1 when any row was rejected\n"
        "      --dry-run    show what import would change, write nothing\n"
        "      --force      also import rows over member files changed after the\n"
        "                   sheet was saved (by default refused: it would undo\n"
        "                   those edits)\n"
        "  pause ID         stop matching the member (holidays, a full order book):\n"
        "                   adds paused = yes to its file, nothing else changes\n"
        "  resume ID        match it again (removes the paused line)\n"
        "  remove ID        delete the member's file (to stop matching for a while,\n"
        "                   pause it instead)\n"
        "  unsubscribe ID   send it no more digests (as its unsubscribe link does;\n"
        "                   recorded as by staff)\n"
        "  resubscribe ID   digests again, after the member asked for them (see\n"
        "                   bidbroker feedback for who unsubscribed, when and how)\n\n"
        "Files are written atomically with mode 0640, group [bidbroker] group (default\n"
        "bidbroker when that group exists); see docs/matching.md.\n";

int
cmd_members(struct cli *cli, int argc, char **argv)
{
        static const struct option opts[] = {
                { "json", no_argument, NULL, 'j' },
                { "csv", no_argument, NULL, 'c' },
                { "dry-run", no_argument, NULL, 'n' },
                { "force", no_argument, NULL, 'f' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        bool json = false, csv = false, dry_run = false, force = false;
        const char *sub;
        int c, nargs;

        cli_getopt_reset();
        while ((c = cli_getopt(argv[0], argc, argv, "jcnfh", opts)) != -1) {
                switch (c) {
                case 'j':
                        json = true;
                        break;
                case 'c':
                        csv = true;
                        break;
                case 'n':
                        dry_run = true;
                        break;
                case 'f':
                        force = true;
                        break;
                case 'h':
                        fputs(members_usage, stdout);
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        }
        if (optind >= argc) {
                cli_error("members", "list, show ID, export, import FILE.csv, pause ID, resume ID, "
                          "remove ID, unsubscribe ID or resubscribe ID? (see bidbroker "
                          "members --help)");
                return EXIT_USAGE;
        }
        sub = argv[optind];
        nargs = argc - optind - 1;
        if ((csv && strcmp(sub, "export") != 0) || (csv && json) ||
            ((dry_run || force) && strcmp(sub, "import") != 0)) {
                cli_error("members", "--csv goes with export (not with --json), --dry-run "
                          "and --force with import");
                return EXIT_USAGE;
        }
        if (strcmp(sub, "list") == 0 && nargs == 0)
                return members_list(cli, json);
        if (strcmp(sub, "show") == 0 && nargs == 1)
                return members_show(cli, argv[optind + 1], json);
        if (strcmp(sub, "export") == 0 && nargs == 0)
                return members_export(cli, json);
        if (strcmp(sub, "import") == 0 && nargs == 1 && !json)
                return members_import(cli, argv[optind + 1], dry_run, force);
        if (strcmp(sub, "remove") == 0 && nargs == 1 && !json)
                return members_remove(cli, argv[optind + 1]);
        if ((strcmp(sub, "pause") == 0 || strcmp(sub, "resume") == 0) && nargs == 1 && !json)
                return members_pause(cli, argv[optind + 1], sub[0] == 'p');
        if ((strcmp(sub, "unsubscribe") == 0 || strcmp(sub, "resubscribe") == 0) &&
            nargs == 1 && !json)
                return members_subscription(cli, argv[optind + 1], sub[0] == 'u');
        cli_error("members", "usage: members list | show ID | export [--csv|--json] | "
                  "import [--dry-run] [--force] FILE.csv | pause ID | resume ID | remove ID | "
                  "unsubscribe ID | resubscribe ID "
                  "(see bidbroker members --help)");
        return EXIT_USAGE;
}
