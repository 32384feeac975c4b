/*
 * engine.c — the matching engine (see engine.h): build, the prefilter, and
 * the brute-force oracle.  The common final stage is in engine_result.c.
 *
 * Build: every capability and member rule becomes an eref; rules written
 * the same way (kind, fields, text) share one pattern, compiled once (PCRE2
 * with JIT for regexes, folded words for keywords).  The rule compiler
 * (rule.h) reduces each pattern to an OR of atoms; the atoms go into a term
 * dictionary (hash table over a string arena) with postings lists of
 * pattern ids, by atom kind.  A pattern without atoms is on the always list.
 *
 * Per notice (engine_match): the fields are tokenised once; each distinct
 * token is resolved through a per-scratch cache to the patterns whose atoms
 * it satisfies (dictionary look-ups of the token, its prefixes, suffixes and
 * substrings of the lengths atoms have); those patterns whose fields the
 * token is in become candidates (an epoch array, never cleared).  Only
 * candidates are verified: keywords by walking the notice's occurrences of
 * the atom word, regexes by PCRE2.  CPV codes are looked up by prefix in a
 * sorted table.  Candidate members are (members of the fired capabilities
 * OR members whose own rule fired) AND the members whose regions can fit,
 * as bitsets; the final stage checks each exactly.
 *
 * engine_match_brute: every rule of every owner is evaluated by its plain
 * definition (keywords by comparing folded words position by position,
 * regexes with pcre2_match, CPV prefixes by string prefix), every member is
 * evaluated.  No dictionary, no cache, no bitsets.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "bidbroker/cpvcover.h"
#include "bidbroker/err.h"
#include "bidbroker/region.h"
#include "bidbroker/util.h"

#define MATCH_LIMIT     200000u         /* PCRE2 backtracking limit per match */
#define DEPTH_LIMIT     5000u
#define TC_MAX_ENT      (1u << 18)      /* token cache: flushed beyond this */
#define TC_MAX_STR      (8u << 20)
#define TC_MAX_POST     (8u << 20)
#define WINDOWS_MAX     6               /* then one search to the string's end */
#define WINDOW_JIT      128             /* bytes: a longer window runs the JIT code */
#define CONJ_KEEP_COST  0.25            /* extra conditions kept up to this cost */

/* ---- dictionary (build side) ------------------------------------------------ */

static int32_t
dict_find(const struct engine *e, const char *s, uint32_t len, uint64_t h)
{
        size_t i = (size_t)h & e->slot_mask;

        for (;;) {
                uint32_t t = e->slots[i];
                const struct term *tm;

                if (t == 0)
                        return -1;
                tm = &e->terms[t - 1];
                if (tm->hash == h && tm->len == len &&
                    memcmp(e->terms_str + tm->off, s, len) == 0)
                        return (int32_t)(t - 1);
                i = (i + 1) & e->slot_mask;
        }
}

static void
dict_rehash(struct engine *e, size_t nslots)
{
        free(e->slots);
        e->slots = xcalloc(nslots, sizeof(*e->slots));
        e->slot_mask = nslots - 1;
        for (size_t t = 0; t < e->nterms; t++) {
                size_t i = (size_t)e->terms[t].hash & e->slot_mask;

                while (e->slots[i])
                        i = (i + 1) & e->slot_mask;
                e->slots[i] = (uint32_t)t + 1;
        }
}

static uint32_t
dict_add(struct engine *e, const char *s, uint32_t len, size_t *term_cap, size_t *str_cap)
{
        uint64_t h = tn_hash(s, len);
        int32_t t = dict_find(e, s, len, h);
        struct term *tm;
        size_t i;

        if (t >= 0)
                return (uint32_t)t;
        if (e->nterms == *term_cap) {
                *term_cap = *term_cap ? 2 * *term_cap : 1024;
                e->terms = xreallocarray(e->terms, *term_cap, sizeof(*e->terms));
        }
        if (e->terms_len + len > *str_cap) {
                while (e->terms_len + len > *str_cap)
                        *str_cap = *str_cap ? 2 * *str_cap : 16384;
                e->terms_str = xrealloc(e->terms_str, *str_cap);
        }
        memcpy(e->terms_str + e->terms_len, s, len);
        tm = &e->terms[e->nterms];
        memset(tm, 0, sizeof(*tm));
        tm->hash = h;
        tm->off = (uint32_t)e->terms_len;
        tm->len = len;
        e->terms_len += len;
        e->nterms++;
        if (2 * e->nterms > e->slot_mask + 1) {
                dict_rehash(e, 2 * (e->slot_mask + 1));
        } else {
                i = (size_t)h & e->slot_mask;
                while (e->slots[i])
                        i = (i + 1) & e->slot_mask;
                e->slots[i] = (uint32_t)e->nterms;
        }
        return (uint32_t)e->nterms - 1;
}

/* ---- build ------------------------------------------------------------------- */

struct posting {
        uint32_t term;
        uint32_t kind;
        uint32_t pat;
};

static int
posting_cmp(const void *pa, const void *pb)
{
        const struct posting *a = pa, *b = pb;

        if (a->term != b->term)
                return a->term < b->term ? -1 : 1;
        if (a->kind != b->kind)
                return a->kind < b->kind ? -1 : 1;
        return a->pat < b->pat ? -1 : a->pat > b->pat;
}

static int
cpvent_cmp(const void *pa, const void *pb)
{
        const struct cpvent *a = pa, *b = pb;
        int c = strcmp(a->prefix, b->prefix);

        if (c)
                return c;
        if (a->cap != b->cap)
                return a->cap < b->cap ? -1 : 1;
        if (a->exclude != b->exclude)
                return a->exclude ? 1 : -1;
        return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int
regkey_cmp(const void *pa, const void *pb)
{
        return strcmp(((const struct regkey *)pa)->key, ((const struct regkey *)pb)->key);
}

static unsigned
rule_fields(const struct rule *r)
{
        unsigned f = r->fields & ((1u << NFIELDS) - 1);

        return f ? f : FIELD_TEXT;
}

/* Pattern table for dedupe: (kind, fields, text) -> pattern id. */
struct pattab {
        uint32_t *slots;
        size_t    mask;
};

static uint64_t
pat_key(enum rule_kind kind, unsigned fields, const char *text)
{
        return tn_hash(text, strlen(text)) ^ ((uint64_t)kind << 56) ^ ((uint64_t)fields << 48);
}

static uint32_t
pat_intern(struct engine *e, struct pattab *pt, size_t *cap, const struct rule *r,
           unsigned fields)
{
        uint64_t h = pat_key(r->kind, fields, r->text);
        size_t i = (size_t)h & pt->mask;
        struct pat *p;

        for (;;) {
                uint32_t v = pt->slots[i];

                if (v == 0)
                        break;
                p = &e->pats[v - 1];
                if (p->kind == r->kind && p->fields == fields && strcmp(p->text, r->text) == 0)
                        return v - 1;
                i = (i + 1) & pt->mask;
        }
        if (e->npats == *cap) {
                *cap = *cap ? 2 * *cap : 256;
                e->pats = xreallocarray(e->pats, *cap, sizeof(*e->pats));
        }
        p = &e->pats[e->npats];
        memset(p, 0, sizeof(*p));
        p->kind = r->kind;
        p->fields = fields;
        p->text = r->text;
        rule_atoms_init(&p->atoms);
        pt->slots[i] = (uint32_t)++e->npats;
        return (uint32_t)e->npats - 1;
}

static void
add_ref(struct engine *e, size_t *cap, const struct rule *r, int32_t capi, int32_t mi,
        unsigned fields, bool weak, int32_t twin)
{
        if (e->nrefs == *cap) {
                *cap = *cap ? 2 * *cap : 1024;
                e->refs = xreallocarray(e->refs, *cap, sizeof(*e->refs));
        }
        e->refs[e->nrefs].rule = r;
        e->refs[e->nrefs].cap = capi;
        e->refs[e->nrefs].member = mi;
        e->refs[e->nrefs].pat = 0;
        e->refs[e->nrefs].exclude = r->exclude;
        e->refs[e->nrefs].text = r->text;
        e->refs[e->nrefs].weight = r->weight;
        e->refs[e->nrefs].fields = fields;
        e->refs[e->nrefs].weak = weak;
        e->refs[e->nrefs].twin = twin;
        e->nrefs++;
}

static bool
cpv_prefix_ok(const char *p)
{
        size_t n = strlen(p);

        if (n < 2 || n > 8)
                return false;
        for (size_t i = 0; i < n; i++)
                if (p[i] < '0' || p[i] > '9')
                        return false;
        return true;
}

static const char *
where_file(const struct rule *r, const char *fallback)
{
        return r->file ? r->file : fallback;
}

/* An "opening" rule, ^[^STOP]{0,N}?REST (STOP a few ASCII punctuation
 * characters, REST with no top-level '|' and nothing that depends on where
 * the search started): the REST after the prefix, with STOP and N filled
 * in; else NULL.  Such a rule matches at the string's start when REST
 * matches at a character position no further than N characters and before
 * the first STOP, and its first match there is REST's leftmost one (the
 * lazy prefix tries the positions in order, REST alone does the same). */
static const char *
lead_split(const char *t, char *stop, size_t stopcap, uint32_t *nmax)
{
        static const char *const unsafe[] = {
                "\\G", "\\K", "\\g", "\\Q", "(*", "(?R", "(?0", "(?C", "(?(",
        };
        size_t i = 3, ns = 0;
        unsigned long n = 0;
        const char *rest;
        int depth = 0;

        if (strncmp(t, "^[^", 3) != 0)
                return NULL;
        for (; t[i] && t[i] != ']'; i++) {
                unsigned char c = (unsigned char)t[i];

                if (c <= 0x20 || c >= 0x7f || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
                    (c >= '0' && c <= '9') || strchr("\\]^-[", c) ||
                    ns + 1 >= stopcap)
                        return NULL;
                stop[ns++] = (char)c;
        }
        stop[ns] = '\0';
        if (ns == 0 || strncmp(t + i, "]{0,", 4) != 0)
                return NULL;
        for (i += 4; t[i] >= '0' && t[i] <= '9' && n <= 100000; i++)
                n = n * 10 + (unsigned long)(t[i] - '0');
        if (n == 0 || n > 100000 || t[i] != '}' || t[i + 1] != '?')
                return NULL;
        rest = t + i + 2;
        if (*rest == '\0' || strchr("*+?{", *rest))
                return NULL;
        for (size_t k = 0; k < ARRAY_SIZE(unsafe); k++)
                if (strstr(rest, unsafe[k]))
                        return NULL;
        for (const char *q = rest; *q; q++) {
                if (*q == '\\') {
                        if (*++q == '\0')
                                return NULL;
                } else if (*q == '[') {                 /* a class: skip it */
                        q++;
                        if (*q == '^')
                                q++;
                        if (*q == ']')
                                q++;
                        for (; *q && *q != ']'; q++) {
                                if (*q == '\\' && q[1])
                                        q++;
                                else if (*q == '[' && q[1] == ':') {
                                        const char *e = strstr(q, ":]");

                                        if (e == NULL)
                                                return NULL;
                                        q = e + 1;
                                }
                        }
                        if (*q == '\0')
                                return NULL;
                } else if (*q == '(') {
                        depth++;
                } else if (*q == ')') {
                        if (--depth < 0)
                                return NULL;
                } else if (*q == '|' && depth == 0) {
                        return NULL;
                }
        }
        *nmax = (uint32_t)n;
        return depth == 0 ? rest : NULL;
}

/* Compile one pattern; problems go to d with the first owner's place. */
static void
pat_compile(struct engine *e, struct pat *p, const struct eref *owner, size_t *term_cap,
            size_t *str_cap, struct diag *d)
{
        const struct rule *r = owner->rule;
        const char *file = where_file(r, owner->cap >= 0 ? e->tx->caps[owner->cap].file
                                                         : e->reg->members[owner->member].file);

        if (p->kind == RULE_KEYWORD) {
                struct strv w;

                strv_init(&w);
                if (rule_keyword_words(p->text, &w) == 0) {
                        diag_add(d, file, r->line, "keyword '%s' has no letters or digits the "
                                 "matcher can use (write it as a regex)", p->text);
                        strv_done(&w);
                        return;
                }
                p->nwords = (uint32_t)w.n;
                p->words = xcalloc(w.n, sizeof(*p->words));
                p->wordstr = xcalloc(w.n, sizeof(*p->wordstr));
                for (size_t i = 0; i < w.n; i++) {
                        p->words[i] = dict_add(e, w.v[i], (uint32_t)strlen(w.v[i]),
                                               term_cap, str_cap);
                        p->wordstr[i] = w.v[i];
                        w.v[i] = NULL;
                }
                {
                        struct strv tmp = { .v = p->wordstr, .n = p->nwords };

                        rule_keyword_atoms(&tmp, &p->atoms);
                }
                rule_atoms_prune(&p->atoms, CONJ_KEEP_COST);
                for (uint32_t i = 0; i < p->nwords; i++)
                        if (strcmp(p->wordstr[i], p->atoms.conj[0].v[0].text) == 0) {
                                p->atom_word = i;
                                break;
                        }
                strv_done(&w);
                return;
        }
        {
                int ec;
                PCRE2_SIZE eoff;

                p->re = pcre2_compile((PCRE2_SPTR)p->text, PCRE2_ZERO_TERMINATED,
                                      PCRE2_CASELESS | PCRE2_UTF | PCRE2_UCP |
                                      PCRE2_MATCH_INVALID_UTF | PCRE2_USE_OFFSET_LIMIT,
                                      &ec, &eoff, NULL);
                if (p->re == NULL) {
                        PCRE2_UCHAR msg[160];

                        pcre2_get_error_message(ec, msg, sizeof(msg));
                        diag_add(d, file, r->line, "regex '%s' error at offset %zu: %s",
                                 p->text, (size_t)eoff, (const char *)msg);
                        return;
                }
                /* no JIT for this copy: it only serves invalid UTF-8 */
                rule_regex_atoms(p->text, &p->atoms);
                rule_atoms_prune(&p->atoms, CONJ_KEEP_COST);
                p->wconj = -1;
                for (size_t c = 0; c < p->atoms.n; c++)
                        if (p->atoms.conj[c].lmax >= 0) {
                                p->wconj = (int)c;
                                break;
                        }
                /* PCRE2 checks the whole subject's UTF-8 on every call when
                 * MATCH_INVALID_UTF is set (and NO_UTF_CHECK cannot stop it):
                 * 0.5 us per KB per call.  The text is checked once per notice
                 * while tokenising; valid strings (nearly all) use this copy
                 * with NO_UTF_CHECK.  On valid UTF-8 both give the same
                 * results. */
                p->re_valid = pcre2_compile((PCRE2_SPTR)p->text, PCRE2_ZERO_TERMINATED,
                                            PCRE2_CASELESS | PCRE2_UTF | PCRE2_UCP |
                                            PCRE2_USE_OFFSET_LIMIT, &ec, &eoff, NULL);
                if (p->re_valid)
                        (void)pcre2_jit_compile(p->re_valid, PCRE2_JIT_COMPLETE);
                /* an opening rule: its REST alone, searched up to the
                 * opening's end (regex_lead) instead of a lazy loop over
                 * up to N positions */
                {
                        const char *rest = lead_split(p->text, p->lead_stop,
                                                      sizeof(p->lead_stop), &p->lead_max);

                        if (rest && p->re_valid)
                                p->re_lead = pcre2_compile((PCRE2_SPTR)rest,
                                                           PCRE2_ZERO_TERMINATED,
                                                           PCRE2_CASELESS | PCRE2_UTF |
                                                           PCRE2_UCP | PCRE2_USE_OFFSET_LIMIT,
                                                           &ec, &eoff, NULL);
                        if (p->re_lead)
                                (void)pcre2_jit_compile(p->re_lead, PCRE2_JIT_COMPLETE);
                        p->lead_lmax = -1;
                        if (p->re_lead && p->wconj >= 0) {
                                /* REST's bound for the window condition's atoms */
                                struct rule_atoms ra;
                                char *want = atom_set_format(&p->atoms.conj[p->wconj]);

                                rule_atoms_init(&ra);
                                rule_regex_atoms(rest, &ra);
                                for (size_t c = 0; c < ra.n && p->lead_lmax < 0; c++) {
                                        char *one = atom_set_format(&ra.conj[c]);

                                        if (ra.conj[c].lmax >= 0 && strcmp(one, want) == 0)
                                                p->lead_lmax = ra.conj[c].lmax;
                                        free(one);
                                }
                                free(want);
                                rule_atoms_done(&ra);
                        }
                }
        }
}

static uint64_t *
bitset(const struct engine *e, uint32_t off)
{
        return e->bits + off;
}

static int
build_members(struct engine *e, struct diag *d)
{
        const struct member_register *reg = e->reg;
        size_t nkeys = 0, nbits, nrk = 0;
        struct regkey *keys = NULL;
        size_t ncapent = 0;

        (void)d;
        e->nmembers = reg->n;
        e->nwords = (reg->n + 63) / 64;
        if (e->nwords == 0)
                e->nwords = 1;
        /* distinct region keys */
        for (size_t m = 0; m < reg->n; m++)
                nkeys += reg->members[m].regions.n;
        keys = xcalloc(nkeys ? nkeys : 1, sizeof(*keys));
        nkeys = 0;
        for (size_t m = 0; m < reg->n; m++)
                for (size_t i = 0; i < reg->members[m].regions.n; i++)
                        keys[nkeys++].key = reg->members[m].regions.v[i];
        if (nkeys > 1)
                qsort(keys, nkeys, sizeof(*keys), regkey_cmp);
        {
                size_t u = 0;

                for (size_t i = 0; i < nkeys; i++)
                        if (u == 0 || strcmp(keys[u - 1].key, keys[i].key) != 0)
                                keys[u++] = keys[i];
                nkeys = u;
        }
        for (size_t i = 0; i < nkeys; i++)
                keys[i].keylen = strlen(keys[i].key);
        e->regkeys = keys;
        e->nregkeys = nkeys;
        nbits = (e->tx->ncaps + 1 + nkeys) * e->nwords;
        e->bits = xcalloc(nbits ? nbits : 1, sizeof(*e->bits));
        e->cap_bits = xcalloc(e->tx->ncaps + 1, sizeof(*e->cap_bits));
        for (size_t c = 0; c < e->tx->ncaps; c++)
                e->cap_bits[c] = (uint32_t)(c * e->nwords);
        e->everywhere_bits = (uint32_t)(e->tx->ncaps * e->nwords);
        for (size_t k = 0; k < nkeys; k++) {
                keys[k].bits = (uint32_t)((e->tx->ncaps + 1 + k) * e->nwords);
                if (strncmp(keys[k].key, "PC:", 3) == 0) {
                        e->has_pc_keys = true;
                        keys[k].is_pc = true;
                        keys[k].itl1 = postcode_area_region(keys[k].key + 3);
                }
        }
        /* member -> capability indices, capability bitsets, region bitsets */
        {
                size_t total = 0;

                for (size_t m = 0; m < reg->n; m++)
                        total += reg->members[m].regions.n;
                e->mem_regkey = xcalloc(total ? total : 1, sizeof(*e->mem_regkey));
                e->mem_regkey_off = xcalloc(reg->n + 1, sizeof(*e->mem_regkey_off));
        }
        e->mem_caps_off = xcalloc(reg->n + 1, sizeof(*e->mem_caps_off));
        for (size_t m = 0; m < reg->n; m++)
                ncapent += reg->members[m].capabilities.n;
        e->mem_caps = xcalloc(ncapent ? ncapent : 1, sizeof(*e->mem_caps));
        ncapent = 0;
        for (size_t m = 0; m < reg->n; m++) {
                const struct member *mb = &reg->members[m];
                uint64_t bit = 1ull << (m % 64);

                e->mem_caps_off[m] = (uint32_t)ncapent;
                /* in taxonomy order, without duplicates */
                for (size_t c = 0; c < e->tx->ncaps; c++) {
                        if (!strv_contains(&mb->capabilities, e->tx->caps[c].id))
                                continue;
                        e->mem_caps[ncapent++] = (uint32_t)c;
                        bitset(e, e->cap_bits[c])[m / 64] |= bit;
                }
                if (mb->regions.n == 0)
                        bitset(e, e->everywhere_bits)[m / 64] |= bit;
                e->mem_regkey_off[m] = (uint32_t)nrk;
                for (size_t i = 0; i < mb->regions.n; i++) {
                        struct regkey k = { .key = mb->regions.v[i] }, *f;

                        f = bsearch(&k, keys, nkeys, sizeof(*keys), regkey_cmp);
                        bitset(e, f->bits)[m / 64] |= bit;
                        e->mem_regkey[nrk++] = (uint32_t)(f - keys);
                }
        }
        e->mem_caps_off[reg->n] = (uint32_t)ncapent;
        e->mem_regkey_off[reg->n] = (uint32_t)nrk;
        e->mem_min = xcalloc(reg->n ? reg->n : 1, sizeof(*e->mem_min));
        e->mem_max = xcalloc(reg->n ? reg->n : 1, sizeof(*e->mem_max));
        e->mem_paused = xcalloc(reg->n ? reg->n : 1, sizeof(*e->mem_paused));
        for (size_t m = 0; m < reg->n; m++) {
                e->mem_min[m] = reg->members[m].min_value;
                e->mem_max[m] = reg->members[m].max_value;
                e->mem_paused[m] = reg->members[m].paused;
        }
        e->mem_band = xcalloc(reg->n ? reg->n : 1, sizeof(*e->mem_band));
        for (size_t m = 0; m < reg->n; m++)
                e->mem_band[m] = engine_band_string(&reg->members[m]);
        return 0;
}

/* ---- build, phase by phase ------------------------------------------------------ */

/* A capability's positive rule that is not strong and looks at both kinds of
 * fields becomes two erefs: its strong fields (title, lots, items: a hit
 * makes the capability required) and its weak ones (description, buyer: a
 * hit alone makes it incidental).  Exclusions and members' rules stay whole. */
static void
add_cap_rule(struct engine *e, size_t *cap, const struct rule *r, int32_t capi)
{
        unsigned f = rule_fields(r);

        if (r->exclude || r->strong) {
                add_ref(e, cap, r, capi, -1, f, false, -1);
        } else if ((f & FIELD_STRONG) && (f & ~FIELD_STRONG)) {
                add_ref(e, cap, r, capi, -1, f & FIELD_STRONG, false, -1);
                add_ref(e, cap, r, capi, -1, f & ~FIELD_STRONG, true, (int32_t)e->nrefs - 1);
                e->ntwins++;
        } else {
                add_ref(e, cap, r, capi, -1, f, !(f & FIELD_STRONG), -1);
        }
}

/* Phase 1: the erefs in canonical order (capabilities' rules, then members'). */
static void
build_refs(struct engine *e)
{
        const struct taxonomy *tx = e->tx;
        const struct member_register *reg = e->reg;
        size_t refcap = 0;

        e->cap_ref = xcalloc(tx->ncaps + 1, sizeof(*e->cap_ref));
        e->mem_ref = xcalloc(reg->n + 1, sizeof(*e->mem_ref));
        for (size_t c = 0; c < tx->ncaps; c++) {
                e->cap_ref[c] = (uint32_t)e->nrefs;
                for (size_t i = 0; i < tx->caps[c].nrules; i++)
                        add_cap_rule(e, &refcap, &tx->caps[c].rules[i], (int32_t)c);
        }
        e->cap_ref[tx->ncaps] = (uint32_t)e->nrefs;
        for (size_t m = 0; m < reg->n; m++) {
                e->mem_ref[m] = (uint32_t)e->nrefs;
                for (size_t i = 0; i < reg->members[m].nrules; i++)
                        add_ref(e, &refcap, &reg->members[m].rules[i], -1, (int32_t)m,
                                rule_fields(&reg->members[m].rules[i]), false, -1);
        }
        e->mem_ref[reg->n] = (uint32_t)e->nrefs;
}

/* Phase 2: rules written alike share one pattern, compiled once.  Every
 * compile error goes to d. */
static void
build_patterns(struct engine *e, size_t *term_cap, size_t *str_cap, struct diag *d)
{
        struct pattab pt = { 0 };
        size_t patcap = 0, n = 64;

        while (n < 2 * e->nrefs + 2)
                n *= 2;
        pt.slots = xcalloc(n, sizeof(*pt.slots));
        pt.mask = n - 1;
        e->slots = xcalloc(1024, sizeof(*e->slots));
        e->slot_mask = 1023;
        for (size_t i = 0, errs = diag_count(d); i < e->nrefs; i++) {
                const struct rule *ru = e->refs[i].rule;
                size_t old = e->npats;
                /* the weak part of a split rule whose strong part failed: said once */
                bool quiet = e->refs[i].twin >= 0 && diag_count(d) > errs;

                errs = diag_count(d);
                if (ru->text == NULL) {
                        diag_add(d, NULL, 0, "a rule without text");
                        continue;
                }
                e->refs[i].pat = pat_intern(e, &pt, &patcap, ru, e->refs[i].fields);
                if (e->npats > old && !quiet)
                        pat_compile(e, &e->pats[e->refs[i].pat], &e->refs[i], term_cap,
                                    str_cap, d);
        }
        free(pt.slots);
}

/* Phase 3: the owners of each pattern (its erefs), and who they are. */
static void
build_owners(struct engine *e)
{
        uint32_t *count;

        e->pat_own_off = xcalloc(e->npats + 1, sizeof(*e->pat_own_off));
        e->pat_own = xcalloc(e->nrefs ? e->nrefs : 1, sizeof(*e->pat_own));
        count = xcalloc(e->npats + 1, sizeof(*count));
        for (size_t i = 0; i < e->nrefs; i++)
                count[e->refs[i].pat + 1]++;
        for (size_t p = 0; p < e->npats; p++)
                count[p + 1] += count[p];
        memcpy(e->pat_own_off, count, (e->npats + 1) * sizeof(*count));
        for (size_t i = 0; i < e->nrefs; i++)
                e->pat_own[count[e->refs[i].pat]++] = (uint32_t)i;
        free(count);
        e->pat_own_mem = xcalloc(e->nrefs ? e->nrefs : 1, sizeof(*e->pat_own_mem));
        for (size_t j = 0; j < e->nrefs; j++) {
                const struct eref *er = &e->refs[e->pat_own[j]];

                /* -1: a capability's; -2 - m: member m's exclusion */
                e->pat_own_mem[j] = er->member < 0 ? -1 : er->exclude ? -2 - er->member
                                                                      : er->member;
        }
}

static void
push_posting(struct posting **posts, size_t *n, size_t *cap, uint32_t term,
             enum atom_kind kind, uint32_t pat)
{
        if (*n == *cap) {
                *cap = *cap ? 2 * *cap : 4096;
                *posts = xreallocarray(*posts, *cap, sizeof(**posts));
        }
        (*posts)[*n].term = term;
        (*posts)[*n].kind = kind;
        (*posts)[*n].pat = pat;
        (*n)++;
}

/* Phase 4: every pattern's atoms into the term dictionary and postings; a
 * pattern without atoms goes to the always-check list. */
static void
build_postings(struct engine *e, size_t *term_cap, size_t *str_cap)
{
        struct posting *posts = NULL;
        size_t nposts = 0, postcap = 0;
        size_t np = e->npats ? e->npats : 1;

        e->pat_fields = xcalloc(np, 1);
        e->pat_full = xcalloc(np, 1);
        e->pat_wconj = xcalloc(np, 1);
        e->pat_capown = xcalloc(np, 1);
        for (size_t i = 0; i < e->nrefs; i++)
                if (e->refs[i].cap >= 0)
                        e->pat_capown[e->refs[i].pat] = 1;
        for (size_t p = 0; p < e->npats; p++) {
                struct pat *pa = &e->pats[p];

                e->pat_fields[p] = (uint8_t)pa->fields;
                e->pat_full[p] = (uint8_t)((1u << pa->atoms.n) - 1);
                e->pat_wconj[p] = pa->kind == RULE_REGEX && pa->wconj >= 0 ? (uint8_t)pa->wconj
                                                                            : 0xFF;
                if (pa->atoms.n == 0) {
                        pa->always = true;
                        e->always = xreallocarray(e->always, e->nalways + 1,
                                                  sizeof(*e->always));
                        e->always[e->nalways++] = (uint32_t)p;
                        continue;
                }
                for (size_t c = 0; c < pa->atoms.n; c++) {
                        for (size_t k = 0; k < pa->atoms.conj[c].n; k++) {
                                const struct atom *a = &pa->atoms.conj[c].v[k];
                                uint32_t len = (uint32_t)strlen(a->text);

                                push_posting(&posts, &nposts, &postcap,
                                             dict_add(e, a->text, len, term_cap, str_cap),
                                             a->kind, (uint32_t)(p << 2 | c));
                                if (a->kind != ATOM_WORD && len < 64)
                                        e->lenmask[a->kind] |= 1ull << len;
                        }
                }
        }
        if (nposts > 1)         /* qsort(NULL, 0) is undefined */
                qsort(posts, nposts, sizeof(*posts), posting_cmp);
        e->post = xcalloc(nposts ? nposts : 1, sizeof(*e->post));
        for (size_t i = 0; i < nposts; i++) {
                struct term *tm = &e->terms[posts[i].term];

                if (i == 0 || posts[i - 1].term != posts[i].term ||
                    posts[i - 1].kind != posts[i].kind)
                        tm->post[posts[i].kind] = (uint32_t)i;
                tm->npost[posts[i].kind]++;
                e->post[i] = posts[i].pat;
        }
        e->npost = nposts;
        free(posts);
}

/* Phase 5: the sorted table of every capability's CPV prefixes (the coverage
 * table is looked up as it is). */
static void
build_cpv(struct engine *e, struct diag *d)
{
        const struct taxonomy *tx = e->tx;
        size_t ncpv = 0;

        for (size_t c = 0; c < tx->ncaps; c++)
                ncpv += tx->caps[c].cpv.n + tx->caps[c].cpv_exclude.n;
        e->cpv = xcalloc(ncpv ? ncpv : 1, sizeof(*e->cpv));
        for (size_t c = 0; c < tx->ncaps; c++) {
                for (int ex = 0; ex < 2; ex++) {
                        const struct strv *l = ex ? &tx->caps[c].cpv_exclude : &tx->caps[c].cpv;

                        for (size_t i = 0; i < l->n; i++) {
                                struct cpvent *ce = &e->cpv[e->ncpv];

                                if (!cpv_prefix_ok(l->v[i]) || i >= CPV_COVER_IDX) {
                                        diag_add(d, tx->caps[c].file, tx->caps[c].line,
                                                 "capability %s: CPV prefix '%s' is not 2 to "
                                                 "8 digits", tx->caps[c].id, l->v[i]);
                                        continue;
                                }
                                memcpy(ce->prefix, l->v[i], strlen(l->v[i]) + 1);
                                ce->len = (uint8_t)strlen(l->v[i]);
                                ce->exclude = ex;
                                ce->idx = (uint16_t)i;
                                ce->cap = (uint32_t)c;
                                e->ncpv++;
                        }
                }
        }
        if (e->ncpv > 1)
                qsort(e->cpv, e->ncpv, sizeof(*e->cpv), cpvent_cmp);
}

static int
build(struct engine *e, struct diag *d)
{
        size_t term_cap = 0, str_cap = 0, before = diag_count(d);

        build_refs(e);
        build_patterns(e, &term_cap, &str_cap, d);
        if (diag_count(d) > before)
                return -EINVAL;
        build_owners(e);
        build_postings(e, &term_cap, &str_cap);
        build_cpv(e, d);
        if (diag_count(d) > before)
                return -EINVAL;
        return build_members(e, d);
}

int
engine_build(struct taxonomy *tx, struct member_register *reg, struct engine **ret,
             struct diag *d)
{
        struct engine *e;
        int r;

        if (tx == NULL || reg == NULL || ret == NULL) {
                taxonomy_free(tx);
                members_free(reg);
                return -EINVAL;
        }
        e = xcalloc(1, sizeof(*e));
        e->tx = tx;
        e->reg = reg;
        r = build(e, d);
        if (r < 0) {
                engine_free(e);
                return r;
        }
        *ret = e;
        return 0;
}

struct engine *
engine_free(struct engine *e)
{
        if (e == NULL)
                return NULL;
        for (size_t p = 0; p < e->npats; p++) {
                struct pat *pa = &e->pats[p];

                for (uint32_t i = 0; i < pa->nwords; i++)
                        free(pa->wordstr ? pa->wordstr[i] : NULL);
                free(pa->wordstr);
                free(pa->words);
                pcre2_code_free(pa->re);
                pcre2_code_free(pa->re_valid);
                pcre2_code_free(pa->re_lead);
                rule_atoms_done(&pa->atoms);
        }
        free(e->pats);
        free(e->refs);
        free(e->cap_ref);
        free(e->mem_ref);
        free(e->pat_own);
        free(e->pat_own_off);
        free(e->pat_own_mem);
        free(e->pat_fields);
        free(e->pat_full);
        free(e->pat_wconj);
        free(e->pat_capown);
        free(e->terms);
        free(e->terms_str);
        free(e->slots);
        free(e->post);
        free(e->always);
        free(e->cpv);
        free(e->bits);
        free(e->cap_bits);
        free(e->regkeys);
        free(e->mem_caps);
        free(e->mem_caps_off);
        free(e->mem_regkey);
        free(e->mem_regkey_off);
        free(e->mem_min);
        free(e->mem_max);
        free(e->mem_paused);
        for (size_t m = 0; e->mem_band && m < e->nmembers; m++)
                free(e->mem_band[m]);
        free(e->mem_band);
        taxonomy_free(e->tx);
        members_free(e->reg);
        free(e);
        return NULL;
}

const struct taxonomy *
engine_taxonomy(const struct engine *e)
{
        return e->tx;
}

const struct member_register *
engine_members(const struct engine *e)
{
        return e->reg;
}

size_t
engine_rule_count(const struct engine *e)
{
        return e->nrefs - e->ntwins;    /* a split rule is still one rule */
}

size_t
engine_pattern_count(const struct engine *e)
{
        return e->npats;
}

size_t
engine_always_count(const struct engine *e)
{
        return e->nalways;
}

char *
engine_rule_atoms(const struct engine *e, const struct rule *r)
{
        for (size_t i = 0; i < e->nrefs; i++)
                if (e->refs[i].rule == r)
                        return rule_atoms_format(&e->pats[e->refs[i].pat].atoms);
        return NULL;
}

/* ---- scratch ----------------------------------------------------------------- */

struct engine_scratch *
engine_scratch_new(const struct engine *e)
{
        struct engine_scratch *s = xcalloc(1, sizeof(*s));
        size_t np = e->npats ? e->npats : 1, nr = e->nrefs ? e->nrefs : 1;
        size_t nt = e->nterms ? e->nterms : 1, nc = e->tx->ncaps ? e->tx->ncaps : 1;

        s->e = e;
        tn_init(&s->tn);
        tn_init(&s->kw);
        s->ps = xcalloc(np, sizeof(*s->ps));
        s->pat_fired = xcalloc(np, sizeof(uint32_t));
        s->pat_hit = xcalloc(np, sizeof(uint32_t));
        s->ref_fired = xcalloc(nr, sizeof(uint32_t));
        s->ref_hit = xcalloc(nr, sizeof(uint32_t));
        s->term_epoch = xcalloc(nt, sizeof(uint32_t));
        s->term_head = xcalloc(nt, sizeof(uint32_t));
        s->term_tail = xcalloc(nt, sizeof(uint32_t));
        s->mbits = xcalloc(e->nwords, sizeof(uint64_t));
        s->rbits = xcalloc(e->nwords, sizeof(uint64_t));
        s->mlist = xcalloc(e->nmembers ? e->nmembers : 1, sizeof(uint32_t));
        s->mem_fired = xcalloc(e->nmembers ? e->nmembers : 1, sizeof(uint32_t));
        s->cap_any = xcalloc(nc, 1);
        s->cap_req = xcalloc(nc, sizeof(int32_t));
        s->cap_excl = xcalloc(nc, sizeof(int32_t));
        s->cap_inc = xcalloc(nc, sizeof(int32_t));
        s->rq_wsum = xcalloc(nc, sizeof(double));
        s->rk_epoch = xcalloc(e->nregkeys ? e->nregkeys : 1, sizeof(*s->rk_epoch));
        s->rk_place = xcalloc(e->nregkeys ? e->nregkeys : 1, sizeof(*s->rk_place));
        s->tc_mask = (1u << 12) - 1;
        s->tc_slots = xcalloc(s->tc_mask + 1, sizeof(uint32_t));
        s->md = pcre2_match_data_create(1, NULL);
        s->mctx = pcre2_match_context_create(NULL);
        s->mctx_lim = pcre2_match_context_create(NULL);
        if (s->md == NULL || s->mctx == NULL || s->mctx_lim == NULL) {
                fprintf(stderr, "bidbroker: out of memory (pcre2)\n");
                abort();
        }
        pcre2_set_match_limit(s->mctx, MATCH_LIMIT);
        pcre2_set_depth_limit(s->mctx, DEPTH_LIMIT);
        pcre2_set_match_limit(s->mctx_lim, MATCH_LIMIT);
        pcre2_set_depth_limit(s->mctx_lim, DEPTH_LIMIT);
        s->jit = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
        if (s->jit) {
                pcre2_jit_stack_assign(s->mctx, NULL, s->jit);
                pcre2_jit_stack_assign(s->mctx_lim, NULL, s->jit);
        }
        if (0) {
                fprintf(stderr, "bidbroker: out of memory (pcre2)\n");
                abort();
        }
        return s;
}

struct engine_scratch *
engine_scratch_free(struct engine_scratch *s)
{
        if (s == NULL)
                return NULL;
        tn_done(&s->tn);
        tn_done(&s->kw);
        free(s->tok_field);
        free(s->tok_term);
        free(s->occ_next);
        free(s->occ2_next);
        free(s->wtok);
        for (int f = 0; f < NFIELDS; f++) {
                free(s->segs[f]);
                free(s->seglen[f]);
                free(s->segtok[f]);
                free(s->segvalid[f]);
        }
        free(s->tc_slots);
        free(s->tc_ent);
        free(s->tc_str);
        free(s->tc_post);
        free(s->term_epoch);
        free(s->term_head);
        free(s->term_tail);
        free(s->ps);
        free(s->wocc);
        free(s->pat_fired);
        free(s->pat_hit);
        free(s->ref_fired);
        free(s->ref_hit);
        free(s->cands);
        free(s->fired);
        free(s->hits);
        free(s->cpvhits);
        free(s->mbits);
        free(s->rbits);
        for (size_t i = 0; i < RCACHE_SLOTS; i++) {
                free(s->rcache[i].key);
                free(s->rcache[i].bits);
        }
        free(s->mlist);
        free(s->mem_fired);
        free(s->cap_any);
        free(s->cap_req);
        free(s->cap_excl);
        free(s->cap_inc);
        free(s->reg_len);
        free(s->pc_itl1);
        free(s->pc_itl1_len);
        free(s->rq_wsum);
        free(s->rk_epoch);
        free(s->rk_place);
        free(s->mm);
        free(s->mkey);
        free(s->mbucket);
        free(s->reg_c);
        free(s->pc_c);
        pcre2_match_data_free(s->md);
        pcre2_match_context_free(s->mctx);
        pcre2_match_context_free(s->mctx_lim);
        pcre2_jit_stack_free(s->jit);
        free(s);
        return NULL;
}

size_t
engine_scratch_verified(const struct engine_scratch *s)
{
        return s->verified;
}

size_t
engine_scratch_candidates(const struct engine_scratch *s)
{
        return s->candidates;
}

static void tc_flush(struct engine_scratch *s);

/* A new notice: a new epoch (arrays are cleared only when it wraps). */
static void
new_epoch(struct engine_scratch *s)
{
        const struct engine *e = s->e;

        if (++s->epoch == 0) {
                memset(s->ps, 0, (e->npats ? e->npats : 1) * sizeof(*s->ps));
                memset(s->pat_fired, 0, (e->npats ? e->npats : 1) * sizeof(uint32_t));
                memset(s->ref_fired, 0, (e->nrefs ? e->nrefs : 1) * sizeof(uint32_t));
                memset(s->term_epoch, 0, (e->nterms ? e->nterms : 1) * sizeof(uint32_t));
                memset(s->rk_epoch, 0, (e->nregkeys ? e->nregkeys : 1) * sizeof(uint32_t));
                memset(s->mem_fired, 0, (e->nmembers ? e->nmembers : 1) * sizeof(uint32_t));
                tc_flush(s);            /* entries carry epochs too */
                s->epoch = 1;
        }
        s->ncands = s->nfired = s->nhits = s->ncpvhits = s->nwocc = 0;
        s->verified = s->candidates = 0;
}

static void
seg_add(struct engine_scratch *s, unsigned f, const char *str)
{
        if (str == NULL || str[0] == '\0')
                return;
        if (s->nsegs[f] == s->segcap[f]) {
                s->segcap[f] = s->segcap[f] ? 2 * s->segcap[f] : 4;
                s->segs[f] = xreallocarray(s->segs[f], s->segcap[f], sizeof(*s->segs[f]));
                s->seglen[f] = xreallocarray(s->seglen[f], s->segcap[f],
                                             sizeof(*s->seglen[f]));
                s->segtok[f] = xreallocarray(s->segtok[f], s->segcap[f],
                                             sizeof(*s->segtok[f]));
                s->segvalid[f] = xreallocarray(s->segvalid[f], s->segcap[f],
                                               sizeof(*s->segvalid[f]));
        }
        s->segs[f][s->nsegs[f]] = str;
        s->seglen[f][s->nsegs[f]] = strlen(str);
        s->nsegs[f]++;
}

/* Fields -> segments -> tokens (shared by both paths: it is the definition
 * of the text the rules see). */
static void
normalise(struct engine_scratch *s, const struct opportunity *o)
{
        uint32_t pos = 0;

        tn_reset(&s->tn);
        s->present = 0;
        for (int f = 0; f < NFIELDS; f++)
                s->nsegs[f] = 0;
        seg_add(s, 0, o->title);
        seg_add(s, 1, o->description);
        seg_add(s, 2, o->buyer_name);
        for (size_t i = 0; i < o->lot_titles.n; i++)
                seg_add(s, 3, o->lot_titles.v[i]);
        for (size_t i = 0; i < o->item_descriptions.n; i++)
                seg_add(s, 4, o->item_descriptions.v[i]);
        for (unsigned f = 0; f < NFIELDS; f++) {
                s->fstart[f] = (uint32_t)s->tn.n;
                if (s->nsegs[f])
                        s->present |= 1u << f;
                for (size_t k = 0; k < s->nsegs[f]; k++) {
                        size_t bad = s->tn.invalid;

                        s->segtok[f][k] = (uint32_t)s->tn.n;
                        tn_tokenize(&s->tn, s->segs[f][k], s->seglen[f][k], (uint32_t)k, &pos);
                        s->segvalid[f][k] = s->tn.invalid == bad;
                }
        }
        s->fstart[NFIELDS] = (uint32_t)s->tn.n;
        if (s->tn.n > s->tok_cap) {
                s->tok_cap = s->tn.cap;
                s->tok_field = xrealloc(s->tok_field, s->tok_cap);
                s->tok_term = xreallocarray(s->tok_term, s->tok_cap, sizeof(*s->tok_term));
                s->occ_next = xreallocarray(s->occ_next, s->tok_cap, sizeof(*s->occ_next));
                s->occ2_next = xreallocarray(s->occ2_next, s->tok_cap, sizeof(*s->occ2_next));
        }
        for (unsigned f = 0; f < NFIELDS; f++)
                for (uint32_t i = s->fstart[f]; i < s->fstart[f + 1]; i++)
                        s->tok_field[i] = (uint8_t)f;
}

static void
push_hit(struct engine_scratch *s, const struct hit *h, uint32_t *ret)
{
        if (s->nhits == s->hit_cap) {
                s->hit_cap = s->hit_cap ? 2 * s->hit_cap : 256;
                s->hits = xreallocarray(s->hits, s->hit_cap, sizeof(*s->hits));
        }
        s->hits[s->nhits] = *h;
        s->hits[s->nhits].words = NULL;
        *ret = (uint32_t)s->nhits++;
}

/* Run pattern pa on string k of field f from byte start (the JIT copy for
 * valid UTF-8, the MATCH_INVALID_UTF one otherwise); on a match fill h. */
static bool
seg_match(struct engine_scratch *s, const struct pat *pa, unsigned f, size_t k,
          size_t start, struct hit *h)
{
        bool valid = s->segvalid[f][k] && pa->re_valid;
        int rc = pcre2_match(valid ? pa->re_valid : pa->re, (PCRE2_SPTR)s->segs[f][k],
                             s->seglen[f][k], start, valid ? PCRE2_NO_UTF_CHECK : 0, s->md,
                             s->mctx);
        PCRE2_SIZE *ov;

        if (rc < 0)
                return false;           /* no match, or a limit: no match */
        ov = pcre2_get_ovector_pointer(s->md);
        h->field = (uint8_t)f;
        h->seg = (uint32_t)k;
        h->start = (uint32_t)ov[0];
        h->end = (uint32_t)(ov[1] >= ov[0] ? ov[1] : ov[0]);
        return true;
}

/* Regex: the first match, fields in order, strings in order. */
static bool
regex_first(struct engine_scratch *s, const struct pat *pa, unsigned fields, struct hit *h)
{
        for (unsigned f = 0; f < NFIELDS; f++) {
                if (!(fields & (1u << f)))
                        continue;
                for (size_t k = 0; k < s->nsegs[f]; k++)
                        if (seg_match(s, pa, f, k, 0, h))
                                return true;
        }
        return false;
}

/* Regex of candidate p, started no earlier than it must be: in a string
 * where every condition's first token lies, a match begins at most lmax
 * bytes before that token; a string before any token of some condition
 * cannot match at all.  Same first match as regex_first(). */
static bool
regex_hinted(struct engine_scratch *s, const struct pat *pa, uint32_t p, unsigned fields,
             struct hit *h)
{
        const struct rule_atoms *ra = &pa->atoms;

        for (unsigned f = 0; f < NFIELDS; f++) {
                if (!(fields & (1u << f)))
                        continue;
                for (size_t k = 0; k < s->nsegs[f]; k++) {
                        uint32_t ts = s->segtok[f][k];
                        uint32_t te = k + 1 < s->nsegs[f] ? s->segtok[f][k + 1] : s->fstart[f + 1];
                        const char *text = s->segs[f][k];
                        size_t start = 0;
                        bool skip = false;

                        for (size_t c = 0; c < ra->n; c++) {
                                uint32_t t = s->ps[p].first[c];
                                size_t src, lo;

                                if (t >= te) {
                                        skip = true;
                                        break;
                                }
                                if (t < ts || ra->conj[c].lmax < 0)
                                        continue;
                                src = s->tn.tok[t].src;
                                lo = src > (size_t)ra->conj[c].lmax ? src - (size_t)ra->conj[c].lmax
                                                                    : 0;
                                if (lo > start)
                                        start = lo;
                        }
                        if (skip)
                                continue;
                        while (start > 0 && ((unsigned char)text[start] & 0xC0) == 0x80)
                                start--;
                        if (seg_match(s, pa, f, k, start, h))
                                return true;
                }
        }
        return false;
}

static int
u32cmp(const void *a, const void *b)
{
        uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

        return x < y ? -1 : x > y;
}

/* Regex of candidate p whose window condition c has a bound lmax: every
 * match starts within [src - lmax, src + len] of a token meeting c, so
 * PCRE2 runs only in those windows (merged, in text order) with an offset
 * limit; after WINDOWS_MAX windows in one string, one search to its end.
 * Same first match as regex_first(). */
static bool
regex_windows(struct engine_scratch *s, const struct pat *pa, uint32_t p, unsigned fields,
              struct hit *h)
{
        size_t lmax = (size_t)pa->atoms.conj[pa->wconj].lmax, n = 0;
        unsigned nwin = 0;

        /* the tokens of the entries meeting the condition, in text order */
        for (uint32_t w = s->ps[p].whead; w != NONE32; w = s->wocc[w].next)
                for (uint32_t t = s->tc_ent[s->wocc[w].ent].ohead; t != NONE32;
                     t = s->occ2_next[t]) {
                        if (!(fields & (1u << s->tok_field[t])))
                                continue;
                        if (n == s->wtok_cap) {
                                s->wtok_cap = s->wtok_cap ? 2 * s->wtok_cap : 256;
                                s->wtok = xreallocarray(s->wtok, s->wtok_cap, sizeof(*s->wtok));
                        }
                        s->wtok[n++] = t;
                }
        if (n > 1 && s->wocc[s->ps[p].whead].next != NONE32)
                qsort(s->wtok, n, sizeof(*s->wtok), u32cmp);
        for (size_t i = 0; i < n;) {
                const struct tn_token *tk = &s->tn.tok[s->wtok[i]];
                unsigned f = s->tok_field[s->wtok[i]];
                uint32_t seg = tk->seg;
                size_t a = tk->src > lmax ? tk->src - lmax : 0, b = tk->src + tk->srclen;
                const char *text;
                size_t len;
                PCRE2_SIZE *ov;
                bool valid;
                int rc;

                /* merge the following windows of the same string */
                for (i++; i < n; i++) {
                        const struct tn_token *nx = &s->tn.tok[s->wtok[i]];
                        size_t na = nx->src > lmax ? nx->src - lmax : 0;

                        if (s->tok_field[s->wtok[i]] != f || nx->seg != seg || na > b)
                                break;
                        if (nx->src + nx->srclen > b)
                                b = nx->src + nx->srclen;
                }
                text = seg_text(s, f, seg, &len);
                while (a > 0 && ((unsigned char)text[a] & 0xC0) == 0x80)
                        a--;
                valid = s->segvalid[f][seg] && pa->re_valid;
                if (++nwin > WINDOWS_MAX) {
                        /* many windows (a common atom): one search from here
                         * to the end of the string is cheaper */
                        rc = pcre2_match(valid ? pa->re_valid : pa->re, (PCRE2_SPTR)text, len,
                                         a, valid ? PCRE2_NO_UTF_CHECK : 0, s->md, s->mctx);
                        while (rc < 0 && i < n && s->tok_field[s->wtok[i]] == f &&
                               s->tn.tok[s->wtok[i]].seg == seg)
                                i++;            /* this string is done */
                        nwin = 0;
                } else {
                        /* the interpreter is faster on a few bytes than cold JIT
                         * code; a long window (a large lmax, as in "the opening
                         * of the description" rules) is not a few bytes */
                        uint32_t jit = valid && b - a > WINDOW_JIT ? 0 : PCRE2_NO_JIT;

                        pcre2_set_offset_limit(s->mctx_lim, b);
                        rc = pcre2_match(valid ? pa->re_valid : pa->re, (PCRE2_SPTR)text,
                                         len, a, jit | (valid ? PCRE2_NO_UTF_CHECK : 0),
                                         s->md, s->mctx_lim);
                }
                if (rc < 0)
                        continue;
                ov = pcre2_get_ovector_pointer(s->md);
                h->field = (uint8_t)f;
                h->seg = seg;
                h->start = (uint32_t)ov[0];
                h->end = (uint32_t)(ov[1] >= ov[0] ? ov[1] : ov[0]);
                return true;
        }
        return false;
}

/* The end of string text's opening for an opening rule (lead_split): the
 * bytes before its lead_max-th character or its first STOP character,
 * whichever comes first.  The twelve opening rules of the shipped taxonomy
 * share one (a cache of the last string). */
static size_t
lead_end(struct engine_scratch *s, const struct pat *pa, const char *text, size_t len)
{
        size_t i = 0, nch = 0, nstop = strlen(pa->lead_stop);

        if (s->lead_epoch == s->epoch && s->lead_text == text &&
            s->lead_max == pa->lead_max && strcmp(s->lead_stop, pa->lead_stop) == 0)
                return s->lead_end;
        while (i < len && nch < pa->lead_max) {
                unsigned char c = (unsigned char)text[i];

                if (c != 0 && c < 0x80 && memchr(pa->lead_stop, c, nstop))
                        break;
                i++;
                while (i < len && ((unsigned char)text[i] & 0xC0) == 0x80)
                        i++;
                nch++;
        }
        s->lead_epoch = s->epoch;
        s->lead_text = text;
        s->lead_max = pa->lead_max;
        memcpy(s->lead_stop, pa->lead_stop, sizeof(s->lead_stop));
        s->lead_end = (uint32_t)i;
        return i;
}

/* Does a token meeting candidate p's window condition begin in string k of
 * field f no later than byte lim? */
static bool
lead_token(const struct engine_scratch *s, uint32_t p, unsigned f, uint32_t k, size_t lim)
{
        for (uint32_t w = s->ps[p].whead; w != NONE32; w = s->wocc[w].next)
                for (uint32_t t = s->tc_ent[s->wocc[w].ent].ohead; t != NONE32;
                     t = s->occ2_next[t])
                        if (s->tok_field[t] == f && s->tn.tok[t].seg == k &&
                            s->tn.tok[t].src <= lim)
                                return true;
        return false;
}

/* An opening rule (pa->re_lead): in each string of fields, REST searched
 * from the start with the opening's end as the offset limit; the match
 * runs from the string's start, as the whole pattern's would.  A string
 * that is not valid UTF-8 runs the whole pattern.  Same first match as
 * regex_first(). */
static bool
regex_lead(struct engine_scratch *s, const struct pat *pa, uint32_t p, unsigned fields,
           struct hit *h)
{
        for (unsigned f = 0; f < NFIELDS; f++) {
                if (!(fields & (1u << f)))
                        continue;
                for (size_t k = 0; k < s->nsegs[f]; k++) {
                        const char *text = s->segs[f][k];
                        size_t len = s->seglen[f][k], end;
                        PCRE2_SIZE *ov;
                        int rc;

                        if (!s->segvalid[f][k]) {
                                if (seg_match(s, pa, f, k, 0, h))
                                        return true;
                                continue;
                        }
                        end = lead_end(s, pa, text, len);
                        if (pa->lead_lmax >= 0 &&
                            !lead_token(s, p, f, (uint32_t)k, end + (size_t)pa->lead_lmax))
                                continue;       /* no atom where a match could have it */
                        pcre2_set_offset_limit(s->mctx_lim, end);
                        rc = pcre2_match(pa->re_lead, (PCRE2_SPTR)text, len, 0,
                                         PCRE2_NO_UTF_CHECK, s->md, s->mctx_lim);
                        if (rc < 0)
                                continue;
                        ov = pcre2_get_ovector_pointer(s->md);
                        h->field = (uint8_t)f;
                        h->seg = (uint32_t)k;
                        h->start = 0;
                        h->end = (uint32_t)ov[1];
                        return true;
                }
        }
        return false;
}

/* ---- CPV --------------------------------------------------------------------- */

static void
push_cpvhit(struct engine_scratch *s, uint32_t cap, bool exclude, uint32_t code,
            uint16_t idx, const char *prefix)
{
        struct cpvhit *h;

        if (s->ncpvhits == s->cpvhit_cap) {
                s->cpvhit_cap = s->cpvhit_cap ? 2 * s->cpvhit_cap : 64;
                s->cpvhits = xreallocarray(s->cpvhits, s->cpvhit_cap, sizeof(*s->cpvhits));
        }
        h = &s->cpvhits[s->ncpvhits++];
        h->cap = cap;
        h->exclude = exclude;
        h->code = code;
        h->idx = idx;
        h->prefix = prefix;
}

/* The capabilities the coverage table's line l places code ci under. */
static void
cover_hits(struct engine_scratch *s, const struct cpvcover_line *l, uint32_t ci)
{
        for (size_t k = 0; l != NULL && k < l->ncaps; k++)
                push_cpvhit(s, l->caps[k], false, ci, CPV_COVER_IDX, l->prefix);
}

/* Prefix table: every prefix (2..8 digits) of every code, binary search;
 * the coverage table's longest-prefix lookup. */
static void
cpv_table(const struct engine *e, struct engine_scratch *s, const struct opportunity *o)
{
        for (size_t ci = 0; ci < o->cpv.n; ci++) {
                const char *code = o->cpv.v[ci];
                size_t n = strnlen(code, 9);

                for (size_t l = 2; l <= 8 && l <= n; l++) {
                        char key[9];
                        size_t lo = 0, hi = e->ncpv;

                        memcpy(key, code, l);
                        key[l] = '\0';
                        while (lo < hi) {
                                size_t mid = (lo + hi) / 2;

                                if (strcmp(e->cpv[mid].prefix, key) < 0)
                                        lo = mid + 1;
                                else
                                        hi = mid;
                        }
                        for (; lo < e->ncpv && strcmp(e->cpv[lo].prefix, key) == 0; lo++) {
                                const struct cpvent *ce = &e->cpv[lo];
                                const struct capability *c = &e->tx->caps[ce->cap];

                                push_cpvhit(s, ce->cap, ce->exclude, (uint32_t)ci, ce->idx,
                                            ce->exclude ? c->cpv_exclude.v[ce->idx]
                                                        : c->cpv.v[ce->idx]);
                        }
                }
                cover_hits(s, cpvcover_lookup(e->tx->cover, code), (uint32_t)ci);
        }
}

/* ---- token cache ---------------------------------------------------------------- */

static void
tc_flush(struct engine_scratch *s)
{
        memset(s->tc_slots, 0, (s->tc_mask + 1) * sizeof(*s->tc_slots));
        s->tc_n = s->tc_slen = s->tc_plen = 0;
}

static void
tc_post_add(struct engine_scratch *s, const struct engine *e, const struct term *tm,
            enum atom_kind k)
{
        uint32_t n = tm->npost[k];

        if (n == 0)
                return;
        if (s->tc_plen + n > s->tc_pcap) {
                while (s->tc_plen + n > s->tc_pcap)
                        s->tc_pcap = s->tc_pcap ? 2 * s->tc_pcap : 4096;
                s->tc_post = xreallocarray(s->tc_post, s->tc_pcap, sizeof(*s->tc_post));
        }
        memcpy(s->tc_post + s->tc_plen, e->post + tm->post[k], n * sizeof(uint32_t));
        s->tc_plen += n;
}

/* The patterns whose atoms the token t satisfies, appended to tc_post;
 * returns its dictionary term or -1. */
static int32_t
resolve(struct engine_scratch *s, const char *t, uint32_t len, uint64_t h)
{
        const struct engine *e = s->e;
        int32_t term = dict_find(e, t, len, h), x;
        uint64_t m;

        if (term >= 0)
                tc_post_add(s, e, &e->terms[term], ATOM_WORD);
        if ((m = e->lenmask[ATOM_PREFIX]) != 0) {
                uint64_t hh = 0xcbf29ce484222325ull;

                for (uint32_t l = 1; l <= len && l < 64; l++) {
                        hh = (hh ^ (unsigned char)t[l - 1]) * 0x100000001b3ull;
                        if ((m >> l) & 1 && (x = dict_find(e, t, l, hh)) >= 0)
                                tc_post_add(s, e, &e->terms[x], ATOM_PREFIX);
                }
        }
        if ((m = e->lenmask[ATOM_SUFFIX]) != 0) {
                for (uint32_t l = 1; l <= len && l < 64; l++) {
                        if (!((m >> l) & 1))
                                continue;
                        x = dict_find(e, t + len - l, l, tn_hash(t + len - l, l));
                        if (x >= 0)
                                tc_post_add(s, e, &e->terms[x], ATOM_SUFFIX);
                }
        }
        if ((m = e->lenmask[ATOM_INFIX]) != 0) {
                for (uint32_t st = 0; st < len; st++) {
                        uint64_t hh = 0xcbf29ce484222325ull;

                        for (uint32_t l = 1; st + l <= len && l < 64; l++) {
                                hh = (hh ^ (unsigned char)t[st + l - 1]) * 0x100000001b3ull;
                                if ((m >> l) & 1 && (x = dict_find(e, t + st, l, hh)) >= 0)
                                        tc_post_add(s, e, &e->terms[x], ATOM_INFIX);
                                if ((m >> l) == 0)
                                        break;
                        }
                }
        }
        return term;
}

static void
tc_grow(struct engine_scratch *s)
{
        size_t n = 2 * (s->tc_mask + 1);

        free(s->tc_slots);
        s->tc_slots = xcalloc(n, sizeof(*s->tc_slots));
        s->tc_mask = n - 1;
        for (size_t i = 0; i < s->tc_n; i++) {
                size_t j = (size_t)s->tc_ent[i].hash & s->tc_mask;

                while (s->tc_slots[j])
                        j = (j + 1) & s->tc_mask;
                s->tc_slots[j] = (uint32_t)i + 1;
        }
}

/* The cache entry of a token (created on first sight). */
static struct tcent *
tc_get(struct engine_scratch *s, const char *t, uint32_t len, uint64_t h)
{
        size_t j = (size_t)h & s->tc_mask;
        struct tcent *ce;

        for (;;) {
                uint32_t v = s->tc_slots[j];

                if (v == 0)
                        break;
                ce = &s->tc_ent[v - 1];
                if (ce->hash == h && ce->len == len && memcmp(s->tc_str + ce->off, t, len) == 0)
                        return ce;
                j = (j + 1) & s->tc_mask;
        }
        if (s->tc_n == s->tc_cap) {
                s->tc_cap = s->tc_cap ? 2 * s->tc_cap : 4096;
                s->tc_ent = xreallocarray(s->tc_ent, s->tc_cap, sizeof(*s->tc_ent));
        }
        if (s->tc_slen + len > s->tc_scap) {
                while (s->tc_slen + len > s->tc_scap)
                        s->tc_scap = s->tc_scap ? 2 * s->tc_scap : 65536;
                s->tc_str = xrealloc(s->tc_str, s->tc_scap);
        }
        ce = &s->tc_ent[s->tc_n];
        ce->hash = h;
        ce->off = (uint32_t)s->tc_slen;
        ce->len = len;
        memcpy(s->tc_str + s->tc_slen, t, len);
        s->tc_slen += len;
        ce->post = (uint32_t)s->tc_plen;
        ce->epoch = 0;
        ce->term = resolve(s, t, len, h);
        ce = &s->tc_ent[s->tc_n];       /* resolve() does not move tc_ent; be safe */
        ce->npost = (uint32_t)(s->tc_plen - ce->post);
        s->tc_slots[j] = (uint32_t)++s->tc_n;
        if (2 * s->tc_n > s->tc_mask + 1)
                tc_grow(s);
        return ce;
}

/* ---- the prefilter path ---------------------------------------------------------- */

static void
push_cand(struct engine_scratch *s, uint32_t p)
{
        if (s->ncands == s->cand_cap) {
                s->cand_cap = s->cand_cap ? 2 * s->cand_cap : 1024;
                s->cands = xreallocarray(s->cands, s->cand_cap, sizeof(*s->cands));
                s->fired = xreallocarray(s->fired, s->cand_cap, sizeof(*s->fired));
        }
        s->cands[s->ncands++] = p;
}

/* Condition pc & 3 of pattern pc >> 2 is met by token tok (cache entry
 * ent, seen for the first time in the fields fbits); when all its
 * conditions are met the pattern is a candidate.  Kept for verification:
 * the fields of condition 0 (a regex can only match in a string that holds
 * one of its atoms), each condition's first token, and the cache entries
 * meeting the window condition (their tokens are the windows). */
static inline void
mark(struct engine_scratch *s, const uint8_t *full, uint32_t pc, uint8_t fbits, uint32_t tok,
     uint32_t ent)
{
        uint32_t p = pc >> 2;
        unsigned m, bit = 1u << (pc & 3);

        if (s->ps[p].cand != s->epoch) {
                s->ps[p].cand = s->epoch;
                s->ps[p].mask = 0;
                s->ps[p].cfields = 0;
        }
        if ((pc & 3) == 0)
                s->ps[p].cfields |= fbits;
        if ((pc & 3) == s->e->pat_wconj[p]) {
                if (!(s->ps[p].mask & bit) || s->wocc[s->ps[p].wtail].ent != ent) {
                        if (s->nwocc == s->wocc_cap) {
                                s->wocc_cap = s->wocc_cap ? 2 * s->wocc_cap : 4096;
                                s->wocc = xreallocarray(s->wocc, s->wocc_cap, sizeof(*s->wocc));
                        }
                        s->wocc[s->nwocc].ent = ent;
                        s->wocc[s->nwocc].next = NONE32;
                        if (!(s->ps[p].mask & bit))
                                s->ps[p].whead = (uint32_t)s->nwocc;
                        else
                                s->wocc[s->ps[p].wtail].next = (uint32_t)s->nwocc;
                        s->ps[p].wtail = (uint32_t)s->nwocc++;
                }
        }
        m = s->ps[p].mask;
        if (!(m & bit)) {
                s->ps[p].first[pc & 3] = tok;
                m |= bit;
                if ((m & 0x7f) == full[p]) {
                        m |= 0x80;
                        push_cand(s, p);
                }
                s->ps[p].mask = (uint8_t)m;
        }
}

/* Tokens -> cache -> candidate patterns, and each term's occurrences. */
static void
candidates(struct engine_scratch *s)
{
        const struct engine *e = s->e;
        const uint8_t *pf = e->pat_fields, *full = e->pat_full;

        if (s->tc_n > TC_MAX_ENT || s->tc_slen > TC_MAX_STR || s->tc_plen > TC_MAX_POST)
                tc_flush(s);
        for (size_t i = 0; i < s->tn.n; i++) {
                const struct tn_token *tk = &s->tn.tok[i];
                unsigned fbit = 1u << s->tok_field[i];
                struct tcent *ce;

                /* the cache is large and probed in text order: fetch ahead */
                if (i + 16 < s->tn.n)
                        __builtin_prefetch(&s->tc_slots[s->tn.tok[i + 16].hash & s->tc_mask]);
                if (i + 8 < s->tn.n) {
                        uint32_t v = s->tc_slots[s->tn.tok[i + 8].hash & s->tc_mask];

                        if (v)
                                __builtin_prefetch(&s->tc_ent[v - 1]);
                }
                ce = tc_get(s, s->tn.fold + tk->off, tk->len, tk->hash);
                uint32_t ent = (uint32_t)(ce - s->tc_ent);
                int32_t term = ce->term;

                /* the entry's tokens in this notice */
                s->occ2_next[i] = NONE32;
                if (ce->epoch != s->epoch) {
                        ce->epoch = s->epoch;
                        ce->fields = 0;
                        ce->ohead = (uint32_t)i;
                } else {
                        s->occ2_next[ce->otail] = (uint32_t)i;
                }
                ce->otail = (uint32_t)i;
                /* its postings, once per field */
                if (!(ce->fields & fbit)) {
                        const uint32_t *post = s->tc_post + ce->post;

                        ce->fields |= (uint8_t)fbit;
                        for (uint32_t k = 0; k < ce->npost; k++)
                                if (pf[post[k] >> 2] & fbit)
                                        mark(s, full, post[k], (uint8_t)fbit, (uint32_t)i, ent);
                }
                s->tok_term[i] = term;
                s->occ_next[i] = NONE32;
                if (term >= 0) {
                        if (s->term_epoch[term] != s->epoch) {
                                s->term_epoch[term] = s->epoch;
                                s->term_head[term] = (uint32_t)i;
                        } else {
                                s->occ_next[s->term_tail[term]] = (uint32_t)i;
                        }
                        s->term_tail[term] = (uint32_t)i;
                }
        }
        for (size_t k = 0; k < e->nalways; k++) {
                uint32_t p = e->always[k];

                if (!(pf[p] & s->present))
                        continue;
                s->ps[p].cand = s->epoch;
                s->ps[p].mask = 0x80;
                s->ps[p].cfields = (uint8_t)s->present;
                push_cand(s, p);
        }
}

/* Keyword via the occurrences of its atom word. */
static bool
keyword_occ(const struct engine_scratch *s, const struct pat *p, struct hit *h)
{
        uint32_t aw = p->atom_word, w = p->words[aw], n = p->nwords;

        if (s->term_epoch[w] != s->epoch)
                return false;
        for (uint32_t i = s->term_head[w]; i != NONE32; i = s->occ_next[i]) {
                unsigned f = s->tok_field[i];
                uint32_t st, j;

                if (!(p->fields & (1u << f)) || i < aw || i - aw < s->fstart[f] ||
                    i - aw + n > s->fstart[f + 1])
                        continue;
                st = i - aw;
                if (s->tn.tok[st + n - 1].pos - s->tn.tok[st].pos != n - 1)
                        continue;
                for (j = 0; j < n; j++)
                        if (s->tok_term[st + j] != (int32_t)p->words[j])
                                break;
                if (j < n)
                        continue;
                h->field = (uint8_t)f;
                h->seg = s->tn.tok[st].seg;
                h->start = s->tn.tok[st].src;
                h->end = s->tn.tok[st + n - 1].src + s->tn.tok[st + n - 1].srclen;
                return true;
        }
        return false;
}

static void
verify_one(struct engine_scratch *s, uint32_t p)
{
        const struct pat *pa = &s->e->pats[p];
        struct hit h;
        bool ok;

        if (pa->kind == RULE_KEYWORD) {
                ok = keyword_occ(s, pa, &h);
                if (pa->nwords > 1)
                        s->verified++;
        } else {
                bool timed = rule_budget_applies(s->e, &s->budget, p);

                if (timed && !rule_budget_begin(&s->budget))
                        return;
                if (pa->re_lead)
                        ok = regex_lead(s, pa, p, pa->fields & s->ps[p].cfields, &h);
                else if (pa->wconj >= 0)
                        ok = regex_windows(s, pa, p, pa->fields, &h);
                else
                        ok = regex_hinted(s, pa, p, pa->fields & s->ps[p].cfields, &h);
                s->verified++;
                if (timed && rule_budget_end(&s->budget, p))
                        return;
        }
        if (!ok)
                return;
        s->pat_fired[p] = s->epoch;
        push_hit(s, &h, &s->pat_hit[p]);
        s->fired[s->nfired++] = p;
}

/* Phase 1: the candidates a capability owns (the requirements need them);
 * with all set, every candidate. */
static void
verify_caps(struct engine_scratch *s, bool all)
{
        s->candidates = s->ncands;
        for (size_t k = 0; k < s->ncands; k++)
                if (all || s->e->pat_capown[s->cands[k]])
                        verify_one(s, s->cands[k]);
}

/* Can member mi still match, as far as region and value go?  (A filter: the
 * final stage checks exactly.) */
static bool
member_eligible(const struct engine *e, const struct engine_scratch *s, uint32_t mi)
{
        if (s->rfilter && !(s->rbits[mi / 64] & (1ull << (mi % 64))))
                return false;
        return member_band_fits(e, s, mi);
}

/* Phase 2: member-only candidates, verified only when one of their owners
 * can still match (its own rules cannot change anything for the others). */
static void
verify_members(const struct engine *e, struct engine_scratch *s)
{
        for (size_t k = 0; k < s->ncands; k++) {
                uint32_t p = s->cands[k];
                bool need = false;

                if (e->pat_capown[p])
                        continue;
                for (uint32_t j = e->pat_own_off[p]; j < e->pat_own_off[p + 1] && !need; j++) {
                        int32_t m = e->pat_own_mem[j];

                        need = member_eligible(e, s, (uint32_t)(m >= 0 ? m : -2 - m));
                }
                if (need)
                        verify_one(s, p);
        }
}

static void
bits_or(uint64_t *dst, const uint64_t *src, size_t n)
{
        for (size_t i = 0; i < n; i++)
                dst[i] |= src[i];
}

static int
regkey_find(const struct engine *e, const char *key, size_t len)
{
        size_t lo = 0, hi = e->nregkeys;

        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                int c = strncmp(e->regkeys[mid].key, key, len);

                if (c == 0 && e->regkeys[mid].key[len] != '\0')
                        c = 1;
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (lo < e->nregkeys && strncmp(e->regkeys[lo].key, key, len) == 0 &&
            e->regkeys[lo].key[len] == '\0')
                return (int)lo;
        return -1;
}

/* Members whose regions can fit the notice's ITL region code nr. */
static void
region_bits_code(const struct engine *e, uint64_t *rb, const char *nr)
{
        size_t n = strlen(nr), lo = 0, hi = e->nregkeys;
        int k;

        if (n == 0)
                return;
        /* member codes that are prefixes of nr */
        for (size_t l = 1; l < n; l++)
                if ((k = regkey_find(e, nr, l)) >= 0)
                        bits_or(rb, e->bits + e->regkeys[k].bits, e->nwords);
        /* member codes that nr is a prefix of (nr itself included) */
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;

                if (strcmp(e->regkeys[mid].key, nr) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        for (; lo < e->nregkeys && strncmp(e->regkeys[lo].key, nr, n) == 0; lo++)
                bits_or(rb, e->bits + e->regkeys[lo].bits, e->nwords);
        /* postcode areas whose ITL1 region lies within nr */
        if (e->has_pc_keys && n <= 3) {
                for (size_t i = 0; i < e->nregkeys; i++) {
                        const char *itl1 = e->regkeys[i].itl1;

                        if (itl1 && strncmp(itl1, nr, n) == 0)
                                bits_or(rb, e->bits + e->regkeys[i].bits, e->nwords);
                }
        }
}

static void region_bits_compute(const struct engine *e, uint64_t *rb,
                                const struct opportunity *o);

/* The region bitset of the notice; false when every member may fit. */
static bool
region_bits(const struct engine *e, struct engine_scratch *s, const struct opportunity *o)
{
        uint64_t *rb = s->rbits, h = 0xcbf29ce484222325ull;
        struct rcache *rc;
        struct buf key;

        if (s->anywhere || (o->regions.n == 0 && o->postcodes.n == 0))
                return false;
        /* notices share few region lists: remember the last bitsets */
        buf_init(&key);
        for (size_t i = 0; i < o->regions.n; i++) {
                buf_adds(&key, o->regions.v[i]);
                buf_addc(&key, ',');
        }
        buf_addc(&key, '|');
        for (size_t i = 0; i < o->postcodes.n; i++) {
                buf_adds(&key, o->postcodes.v[i]);
                buf_addc(&key, ',');
        }
        h = tn_hash(key.data, key.len);
        rc = &s->rcache[h % RCACHE_SLOTS];
        if (rc->key && strcmp(rc->key, key.data) == 0) {
                memcpy(rb, rc->bits, e->nwords * sizeof(*rb));
                buf_done(&key);
                return true;
        }
        region_bits_compute(e, rb, o);
        free(rc->key);
        rc->key = buf_steal(&key);
        if (rc->bits == NULL)
                rc->bits = xcalloc(e->nwords, sizeof(*rc->bits));
        memcpy(rc->bits, rb, e->nwords * sizeof(*rb));
        return true;
}

static void
region_bits_compute(const struct engine *e, uint64_t *rb, const struct opportunity *o)
{
        memcpy(rb, e->bits + e->everywhere_bits, e->nwords * sizeof(*rb));
        for (size_t i = 0; i < o->regions.n; i++)
                region_bits_code(e, rb, o->regions.v[i]);
        for (size_t i = 0; i < o->postcodes.n; i++) {
                char key[8], area[3];
                const char *itl1 = postcode_region(o->postcodes.v[i]);
                int k;

                if (postcode_area(o->postcodes.v[i], area) == 0) {
                        snprintf(key, sizeof(key), "PC:%s", area);
                        if ((k = regkey_find(e, key, strlen(key))) >= 0)
                                bits_or(rb, e->bits + e->regkeys[k].bits, e->nwords);
                }
                if (itl1 != NULL) {
                        /* ITL member codes overlapping the postcode's ITL1 */
                        size_t n = strlen(itl1), lo = 0, hi = e->nregkeys;

                        for (size_t l = 1; l < n; l++)
                                if ((k = regkey_find(e, itl1, l)) >= 0)
                                        bits_or(rb, e->bits + e->regkeys[k].bits, e->nwords);
                        while (lo < hi) {
                                size_t mid = (lo + hi) / 2;

                                if (strcmp(e->regkeys[mid].key, itl1) < 0)
                                        lo = mid + 1;
                                else
                                        hi = mid;
                        }
                        for (; lo < e->nregkeys && strncmp(e->regkeys[lo].key, itl1, n) == 0;
                             lo++)
                                bits_or(rb, e->bits + e->regkeys[lo].bits, e->nwords);
                }
        }
}

/* Candidate members: (fired capabilities' members | members whose own rule
 * fired) & region bits & value band, as an ascending list. */
static void
member_candidates(const struct engine *e, struct engine_scratch *s)
{
        uint64_t *mb = s->mbits;
        bool rfilter = s->rfilter;

        memset(mb, 0, e->nwords * sizeof(*mb));
        for (size_t c = 0; c < e->tx->ncaps; c++)
                if (s->cap_req[c] >= 0)
                        bits_or(mb, e->bits + e->cap_bits[c], e->nwords);
        for (size_t k = 0; k < s->nfired; k++) {
                uint32_t p = s->fired[k];

                for (uint32_t j = e->pat_own_off[p]; j < e->pat_own_off[p + 1]; j++) {
                        int32_t m = e->pat_own_mem[j];

                        if (m >= 0)
                                mb[m / 64] |= 1ull << (m % 64);
                }
        }
        s->nmlist = 0;
        for (size_t w = 0; w < e->nwords; w++) {
                uint64_t x = rfilter ? mb[w] & s->rbits[w] : mb[w];

                while (x) {
                        uint32_t m = (uint32_t)(w * 64 + (unsigned)__builtin_ctzll(x));

                        /* the value band is checked here too: outside it a
                         * member cannot match (no need to evaluate it) */
                        if (member_eligible(e, s, m))
                                s->mlist[s->nmlist++] = m;
                        x &= x - 1;
                }
        }
}

int
engine_match(const struct engine *e, struct engine_scratch *s, const struct opportunity *o,
             unsigned flags, struct match_result *out)
{
        if (e == NULL || s == NULL || o == NULL || out == NULL || s->e != e)
                return -EINVAL;
        engine_result_reset(out);
        new_epoch(s);
        s->brute = false;
        rule_budget_start(&s->budget, e->rule_budget_ms);
        normalise(s, o);
        candidates(s);
        if (flags & ENGINE_EXPLAIN) {           /* every member: every rule */
                verify_caps(s, true);
                cpv_table(e, s, o);
                engine_finish_caps(e, s, o, out);
                engine_finish_members(e, s, o, flags, NULL, 0, true, out);
                rule_budget_report(e, &s->budget, o, out);
                return 0;
        }
        verify_caps(s, false);
        cpv_table(e, s, o);
        engine_finish_caps(e, s, o, out);
        s->rfilter = region_bits(e, s, o);
        verify_members(e, s);
        member_candidates(e, s);
        engine_finish_members(e, s, o, flags, s->mlist, s->nmlist, false, out);
        rule_budget_report(e, &s->budget, o, out);
        return 0;
}

/* ---- the oracle ------------------------------------------------------------------ */

/* Keyword by its definition: the folded words, consecutive, in one string
 * of a field it names; the first such place. */
static bool
keyword_plain(struct engine_scratch *s, const struct rule *r, unsigned fields, struct hit *h)
{
        const struct tn_text *kw = &s->kw;
        const struct tn_text *tn = &s->tn;
        uint32_t pos = 0;

        tn_reset(&s->kw);
        tn_tokenize(&s->kw, r->text, strlen(r->text), 0, &pos);
        if (kw->n == 0)
                return false;
        for (unsigned f = 0; f < NFIELDS; f++) {
                if (!(fields & (1u << f)))
                        continue;
                for (uint32_t i = s->fstart[f]; i + kw->n <= s->fstart[f + 1]; i++) {
                        size_t j;

                        for (j = 0; j < kw->n; j++) {
                                const struct tn_token *a = &tn->tok[i + j], *b = &kw->tok[j];

                                if (a->pos != tn->tok[i].pos + j || a->len != b->len ||
                                    memcmp(tn->fold + a->off, kw->fold + b->off, a->len) != 0)
                                        break;
                        }
                        if (j < kw->n)
                                continue;
                        h->field = (uint8_t)f;
                        h->seg = tn->tok[i].seg;
                        h->start = tn->tok[i].src;
                        h->end = tn->tok[i + kw->n - 1].src + tn->tok[i + kw->n - 1].srclen;
                        return true;
                }
        }
        return false;
}

int
engine_match_brute(const struct engine *e, struct engine_scratch *s,
                   const struct opportunity *o, unsigned flags, struct match_result *out)
{
        if (e == NULL || s == NULL || o == NULL || out == NULL || s->e != e)
                return -EINVAL;
        engine_result_reset(out);
        new_epoch(s);
        s->brute = true;
        normalise(s, o);
        for (size_t r = 0; r < e->nrefs; r++) {
                const struct rule *ru = e->refs[r].rule;
                struct hit h;
                bool ok;

                if (ru->kind == RULE_KEYWORD)
                        ok = keyword_plain(s, ru, e->refs[r].fields, &h);
                else
                        ok = regex_first(s, &e->pats[e->refs[r].pat], e->refs[r].fields, &h);
                s->verified++;
                if (!ok)
                        continue;
                s->ref_fired[r] = s->epoch;
                push_hit(s, &h, &s->ref_hit[r]);
        }
        for (size_t c = 0; c < e->tx->ncaps; c++) {
                const struct capability *cap = &e->tx->caps[c];

                for (int ex = 0; ex < 2; ex++) {
                        const struct strv *l = ex ? &cap->cpv_exclude : &cap->cpv;

                        for (size_t i = 0; i < l->n; i++)
                                for (size_t ci = 0; ci < o->cpv.n; ci++)
                                        if (str_startswith(o->cpv.v[ci], l->v[i]))
                                                push_cpvhit(s, (uint32_t)c, ex, (uint32_t)ci,
                                                            (uint16_t)i, l->v[i]);
                }
        }
        /* the coverage table: the line with the longest prefix, by scanning */
        for (size_t ci = 0; ci < o->cpv.n; ci++) {
                const struct cpvcover_line *best = NULL;

                for (size_t i = 0; i < cpvcover_count(e->tx->cover); i++) {
                        const struct cpvcover_line *l = cpvcover_line(e->tx->cover, i);

                        if (str_startswith(o->cpv.v[ci], l->prefix) &&
                            (best == NULL || strlen(l->prefix) > strlen(best->prefix)))
                                best = l;
                }
                cover_hits(s, best, (uint32_t)ci);
        }
        engine_finish_caps(e, s, o, out);
        engine_finish_members(e, s, o, flags, NULL, 0, true, out);
        s->brute = false;
        return 0;
}
