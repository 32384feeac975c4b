/*
 * engine_fixture.h — build taxonomies, member registers and opportunities in
 * memory for the engine tests and the benchmark (no loaders, no files).
 * Everything is allocated the way taxonomy_free()/members_free()/
 * opportunity_done() free it.
 */
#ifndef BIDBROKER_ENGINE_FIXTURE_H
#define BIDBROKER_ENGINE_FIXTURE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bidbroker/members.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/util.h"

static inline struct taxonomy *
fx_taxonomy(void)
{
        struct taxonomy *t = xcalloc(1, sizeof(*t));

        t->path = xstrdup("test-taxonomy.conf");
        return t;
}

/* Add a capability; the pointer is valid until the next fx_cap(). */
static inline struct capability *
fx_cap(struct taxonomy *t, const char *id, double weight)
{
        struct capability *c;

        t->caps = xreallocarray(t->caps, t->ncaps + 1, sizeof(*t->caps));
        c = &t->caps[t->ncaps++];
        memset(c, 0, sizeof(*c));
        c->id = xstrdup(id);
        c->label = xstrdup(id);
        strv_init(&c->cpv);
        strv_init(&c->cpv_exclude);
        c->weight = weight;
        c->file = xstrdup("test-taxonomy.conf");
        c->line = (unsigned)t->ncaps;
        return c;
}

/* ';'-separated list into a strv. */
static inline void
fx_list(struct strv *v, const char *list)
{
        if (list != NULL)
                str_split(list, ';', v);
}

static inline struct rule *
fx_rule(struct rule **v, size_t *n, enum rule_kind kind, const char *text, unsigned fields,
        bool exclude, double weight)
{
        struct rule *r;

        *v = xreallocarray(*v, *n + 1, sizeof(**v));
        r = &(*v)[(*n)++];
        memset(r, 0, sizeof(*r));
        r->kind = kind;
        r->text = xstrdup(text);
        r->fields = fields;
        r->weight = weight;
        r->exclude = exclude;
        r->file = xstrdup("test-rules.conf");
        r->line = (unsigned)*n;
        return r;
}

static inline struct member_register *
fx_register(void)
{
        struct member_register *r = xcalloc(1, sizeof(*r));

        r->dir = xstrdup("test-members");
        return r;
}

/* Add a member (add them in id order); valid until the next fx_member(). */
static inline struct member *
fx_member(struct member_register *r, const char *id, const char *caps, const char *regions,
          int64_t min_value, int64_t max_value)
{
        struct member *m;

        r->members = xreallocarray(r->members, r->n + 1, sizeof(*r->members));
        m = &r->members[r->n++];
        memset(m, 0, sizeof(*m));
        strv_init(&m->emails);
        strv_init(&m->regions);
        strv_init(&m->capabilities);
        m->id = xstrdup(id);
        m->name = xstrdup(id);
        m->file = xasprintf("test-members/%s.conf", id);
        m->line = 1;
        fx_list(&m->capabilities, caps);
        fx_list(&m->regions, regions);
        m->min_value = min_value;
        m->max_value = max_value;
        m->capacity = VALUE_NONE;
        m->digest_day = DAY_MON;
        return m;
}

static int
fx_member_cmp(const void *a, const void *b)
{
        return strcmp(((const struct member *)a)->id, ((const struct member *)b)->id);
}

static inline void
fx_register_sort(struct member_register *r)
{
        if (r->n > 1)
                qsort(r->members, r->n, sizeof(*r->members), fx_member_cmp);
}

/* An open tender notice with the given text, CPV codes and regions. */
static inline void
fx_opp(struct opportunity *o, const char *title, const char *desc, const char *cpv,
       const char *regions, int64_t value_pence)
{
        opportunity_init(o);
        o->source = xstrdup("test");
        o->notice_id = xstrdup("n1");
        o->title = xstrdup(title);
        o->description = xstrdup(desc);
        fx_list(&o->cpv, cpv);
        fx_list(&o->regions, regions);
        o->stage = STAGE_TENDER;
        o->status = STATUS_ACTIVE;
        if (value_pence != VALUE_NONE) {
                o->value_stated = true;
                o->value_max = value_pence;
                memcpy(o->currency, "GBP", 4);
        }
}

#endif
