/*
 * matchcli.c — helpers shared by the matching commands (matchcli.h).  See docs/matching.md.
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
#include "bidbroker/members.h"
#include "bidbroker/oppjson.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/store.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"

#include "matchcli.h"
#include "term.h"

/* ---- shared helpers -------------------------------------------------------------- */

/* Load the taxonomy (when configured) and the register; errors printed. */
int
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

bool
member_known(struct cli *cli, const char *cmd, const char *id)
{
        struct taxonomy *tx = NULL;
        struct member_register *reg = NULL;
        bool known;

        if (load_register(cli, cmd, &tx, &reg) < 0)
                return false;
        known = members_find(reg, id) != NULL;
        if (!known)
                cli_error(cmd, "no member '%s' in %s", id, cli->cfg->members);
        members_free(reg);
        taxonomy_free(tx);
        return known;
}


int
load_engine(struct cli *cli, const char *cmd, struct engine **ret)
{
        struct diag d;
        int r;

        if (cli->cfg->taxonomy == NULL && cli->cfg->members == NULL) {
                cli_error(cmd, "matching is not configured: set [match] taxonomy (the "
                          "capability file) and members (the member directory) in %s",
                          cli->cfg->path ? cli->cfg->path : CONFIG_DEFAULT_PATH);
                return -EINVAL;
        }
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

struct cpvref *
load_cpvref_quiet(const struct config *cfg)
{
        struct cpvref *ref = NULL;
        struct diag d;

        diag_init(&d);
        (void)matchconf_cpvref(cfg, &ref, &d);  /* labels only: optional */
        diag_done(&d);
        return ref;
}

int
parse_since(const char *cmd, const char *arg, int64_t *ret)
{
        if (time_parse_iso8601(arg, ret) < 0) {
                cli_error(cmd, "--since: '%s' is not an ISO 8601 date or time "
                          "(e.g. 2025-01-20)", arg);
                return -EINVAL;
        }
        return 0;
}

int
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

const char *
jstr(const json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

const char *
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
void
print_reason(FILE *f, const json_t *r, const struct cpvref *ref, const char *indent)
{
        const char *kind = jstr(r, "kind"), *cap = jstr(r, "capability");
        const char *rule = jstr(r, "rule"), *field = jstr(r, "field");
        const char *m = jstr(r, "matched");
        double w = json_number_value(json_object_get(r, "weight"));

        fprintf(f, "%s", indent);
        if (cap)
                fprintf(f, "%s: ", cap);
        if (kind == NULL) {
                fprintf(f, "?");
        } else if (strcmp(kind, "cpv") == 0) {
                const char *name = cpvref_name(ref, m), *plabel = cpvref_prefix_label(ref, rule);

                fprintf(f, "CPV %s%s%s%s is under %s%s%s%s", m ? m : "?", name ? " (" : "",
                       name ? name : "", name ? ")" : "", rule ? rule : "?",
                       plabel ? " (" : "", plabel ? plabel : "", plabel ? ")" : "");
        } else if (strcmp(kind, "rule") == 0 || strcmp(kind, "member_rule") == 0) {
                fprintf(f, "%s'%s' matched \"%s\" in %s", strcmp(kind, "member_rule") == 0 ?
                       "own rule " : "rule ", rule ? rule : "?", m ? m : "",
                       field_phrase(field));
        } else if (strcmp(kind, "exclusion") == 0) {
                if (field && strcmp(field, "cpv") == 0)
                        fprintf(f, "excluded: CPV %s is under %s", m ? m : "?", rule ? rule : "?");
                else
                        fprintf(f, "excluded: '%s' matched \"%s\" in %s", rule ? rule : "?",
                               m ? m : "", field_phrase(field));
        } else if (strcmp(kind, "value_not_stated") == 0) {
                fprintf(f, "value not stated (matched, labelled)");
        } else {
                fprintf(f, "%s%s%s", kind, m ? ": " : "", m ? m : "");
        }
        if (w != 0)
                fprintf(f, "  (+%g)", w);
        fputc('\n', f);
}

void
print_reasons(FILE *f, const json_t *arr, const struct cpvref *ref, const char *indent)
{
        size_t i;
        json_t *r;

        json_array_foreach(arr, i, r)
                print_reason(f, r, ref, indent);
}

struct fitted {
        text_fn              *text;
        const json_t         *j;
        const struct cpvref  *ref;
};

static void
write_fitted(FILE *f, const void *arg)
{
        const struct fitted *x = arg;

        x->text(f, x->j, x->ref);
}

int
print_fitted(struct cli *cli, text_fn *text, const json_t *j, const struct cpvref *ref)
{
        struct fitted x = { text, j, ref };

        if (term_wrapped(stdout, (size_t)cli->cols, write_fitted, &x) < 0) {
                cli_error(NULL, "out of memory");
                return -ENOMEM;
        }
        return 0;
}

json_t *
member_match_json(const struct member_match *mm)
{
        json_t *o = json_object();

        json_object_set_new(o, "member", json_string(mm->member->id));
        json_object_set_new(o, "name", json_string(mm->member->name));
        json_object_set_new(o, "score", json_real(mm->score));
        json_object_set_new(o, "reasons", reasons_to_json(mm->reasons, mm->nreasons));
        return o;
}

json_t *
requirement_json(const struct requirement *rq)
{
        json_t *o = json_object();

        json_object_set_new(o, "capability", json_string(rq->cap->id));
        json_object_set_new(o, "label", json_string(rq->cap->label));
        json_object_set_new(o, "score", json_real(rq->score));
        json_object_set_new(o, "reasons", reasons_to_json(rq->reasons, rq->nreasons));
        return o;
}

