/* matchconf.c — the matching engine from the configuration (see matchconf.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bidbroker/config.h"
#include "bidbroker/consortmatch.h"
#include "bidbroker/cpvcover.h"
#include "bidbroker/cpvref.h"
#include "bidbroker/engine.h"
#include "bidbroker/hash.h"
#include "bidbroker/err.h"
#include "bidbroker/matchconf.h"
#include "bidbroker/members.h"
#include "bidbroker/util.h"

int
matchconf_cpvref(const struct config *cfg, struct cpvref **ret, struct diag *d)
{
        struct err e = { 0 };
        int r;

        *ret = NULL;
        if (cfg->cpv_reference == NULL)
                return 0;
        r = cpvref_load(cfg->cpv_reference, ret, &e);
        if (r < 0)
                diag_add(d, NULL, 0, "[match] cpv_reference: %s", e.msg);
        return r;
}

static int
load_paths(const struct config *cfg, const char *taxonomy, const char *members,
           struct engine **ret, struct diag *d)
{
        struct cpvref *ref = NULL;
        struct taxonomy *tx = NULL;
        struct member_register *reg = NULL;
        size_t before = diag_count(d);
        int r;

        (void)matchconf_cpvref(cfg, &ref, d);
        if (taxonomy_load_ref(taxonomy, ref, &tx, d) == 0)
                (void)members_load(members, tx, &reg, d);
        else
                (void)members_load(members, NULL, &reg, d);  /* its errors too */
        cpvref_free(ref);
        if (diag_count(d) > before || tx == NULL || reg == NULL) {
                taxonomy_free(tx);
                members_free(reg);
                return -EINVAL;
        }
        r = engine_build(tx, reg, ret, d);      /* takes tx and reg */
        if (r == 0)
                engine_set_rule_budget(*ret, cfg->rule_budget_ms);
        if (r < 0 && diag_count(d) == before)
                diag_add(d, taxonomy, 0, "cannot build the matching engine (%s)",
                         strerror(-r));
        return r < 0 ? r : 0;
}

int
matchconf_load(const struct config *cfg, struct engine **ret, struct diag *d)
{
        const char *file = cfg->path ? cfg->path : "(built-in configuration)";

        if (cfg->taxonomy == NULL || cfg->members == NULL) {
                diag_add(d, file, 0, "[match] needs 'taxonomy' (the capability file) and "
                         "'members' (the member directory) to match");
                return -EINVAL;
        }
        return load_paths(cfg, cfg->taxonomy, cfg->members, ret, d);
}

int
matchconf_load_dir(const struct config *cfg, const char *dir, struct engine **ret,
                   struct diag *d)
{
        char *tax = path_join(dir, "capabilities.conf");
        char *mem = path_join(dir, "members");
        int r;

        /* what DIR does not hold is the live configuration's */
        if (access(tax, F_OK) != 0 && cfg->taxonomy != NULL) {
                free(tax);
                tax = xstrdup(cfg->taxonomy);
        }
        if (access(mem, F_OK) != 0 && cfg->members != NULL) {
                free(mem);
                mem = xstrdup(cfg->members);
        }
        r = load_paths(cfg, tax, mem, ret, d);

        free(tax);
        free(mem);
        return r;
}

/* ---- fingerprint ---------------------------------------------------------- */

static void
h_rules(struct hasher *h, const struct rule *r, size_t n)
{
        hasher_int(h, (int64_t)n);
        for (size_t i = 0; i < n; i++) {
                hasher_int(h, r[i].kind);
                hasher_str(h, r[i].text);
                hasher_int(h, r[i].fields);
                hasher_num(h, r[i].weight);
                hasher_int(h, r[i].exclude);
                hasher_int(h, r[i].strong);
        }
}

void
matchconf_fingerprint(const struct engine *e, char out[HASH_HEX_LEN])
{
        const struct taxonomy *tx = engine_taxonomy(e);
        const struct member_register *reg = engine_members(e);
        struct hasher h;

        hasher_init(&h, "bidbroker/match-config/v1");
        for (size_t i = 0; tx && i < tx->ncaps; i++) {
                const struct capability *c = &tx->caps[i];

                hasher_str(&h, c->id);
                hasher_str(&h, c->label);
                hasher_strv(&h, &c->cpv);
                hasher_strv(&h, &c->cpv_exclude);
                h_rules(&h, c->rules, c->nrules);
                hasher_num(&h, c->weight);
                hasher_int(&h, c->on_site);
        }
        /* the CPV coverage table: where each code is placed */
        for (size_t i = 0; tx && i < cpvcover_count(tx->cover); i++) {
                const struct cpvcover_line *l = cpvcover_line(tx->cover, i);

                hasher_str(&h, l->prefix);
                hasher_int(&h, (int64_t)l->ncaps);
                for (size_t k = 0; k < l->ncaps; k++)
                        hasher_str(&h, tx->caps[l->caps[k]].id);
                hasher_str(&h, l->reason ? l->reason : "");
        }
        for (size_t i = 0; reg && i < reg->n; i++) {
                const struct member *m = &reg->members[i];
                struct buf b;

                buf_init(&b);
                member_format(m, &b);
                hasher_str(&h, b.data);
                buf_done(&b);
        }
        hasher_hex(&h, out);
}

void
matchconf_consort_opts(const struct config *cfg, const struct engine *e,
                       struct consort_opts *out)
{
        *out = (struct consort_opts){
                .k = (unsigned)cfg->consortium_k,
                .top_n = (size_t)cfg->consortium_top,
                .node_budget = (size_t)cfg->consortium_node_budget,
                .rotate = cfg->consortium_rotate,
                .within = (double)cfg->consortium_rotate_within / 100.0,
                .checks = e ? engine_taxonomy(e)->checker : NULL,
        };
}
