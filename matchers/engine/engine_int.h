/*
 * engine_int.h — the engine's internals, shared by engine.c (build, the
 * prefilter and the brute-force oracle) and engine_result.c (the common
 * final stage: capability states, region and value checks, scoring,
 * reasons and misses).  Not an interface for other modules.
 */
#ifndef BIDBROKER_ENGINE_INT_H
#define BIDBROKER_ENGINE_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bidbroker/engine.h"
#include "bidbroker/members.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/rule.h"
#include "bidbroker/textnorm.h"

#include "rulebudget.h"

#define NFIELDS         5       /* title, description, buyer, lots, items */
#define NONE32          UINT32_MAX
#define W_CPV           1.0     /* weight of a capability's first CPV match */
#define BOOST_SME       0.10    /* share added when the notice suits SMEs */
#define BOOST_VCSE      0.20    /* share added when it suits VCSEs */
#define MATCHED_MAX     120     /* bytes of matched text kept in a reason */
#define CPV_COVER_IDX   UINT16_MAX      /* cpvhit.idx of a coverage-table hit */

extern const char *const engine_field_names[NFIELDS];

/* A unique (kind, fields, text): rules written the same way share it and
 * are evaluated once per notice. */
struct pat {
        enum rule_kind kind;
        unsigned       fields;          /* never 0 (0 in a rule means FIELD_TEXT) */
        const char    *text;            /* the first owner's rule text */
        uint32_t      *words;           /* keyword: dictionary term ids */
        char         **wordstr;         /* keyword: folded words */
        uint32_t       nwords;
        uint32_t       atom_word;       /* keyword: index of the atom word */
        pcre2_code    *re;              /* regex (MATCH_INVALID_UTF: any subject) */
        pcre2_code    *re_valid;        /* the same without MATCH_INVALID_UTF, for
                                         * subjects known to be valid UTF-8 */
        pcre2_code    *re_lead;         /* "^[^STOP]{0,N}?REST" (an opening rule):
                                         * REST alone, for valid UTF-8, or NULL */
        uint32_t       lead_max;        /* N */
        int            lead_lmax;       /* in REST's matches a token meeting the window
                                         * condition begins at most this many bytes
                                         * after the start (-1: unknown) */
        char           lead_stop[8];    /* STOP, ASCII punctuation */
        struct rule_atoms atoms;        /* the prefilter's condition */
        bool           always;          /* no atom: checked on every notice */
        int            wconj;           /* regex: the condition whose lmax bounds
                                         * where matches start, or -1 */
};

/* One rule of a capability or a member, in canonical order: capability
 * 0's rules, capability 1's, ..., then member 0's, member 1's, ... */
struct eref {
        const struct rule *rule;
        const char *text;               /* rule->text and rule->weight, kept hot */
        double   weight;
        uint32_t pat;
        int32_t  cap;                   /* capability index or -1 */
        int32_t  member;                /* member index or -1 */
        unsigned fields;                /* the fields this eref looks at: the rule's,
                                         * or one part of a split capability rule */
        int32_t  twin;                  /* a weak part: the eref of its strong part
                                         * (a hit there makes this one redundant),
                                         * or -1 */
        bool     exclude;               /* rule->exclude, kept hot */
        bool     weak;                  /* a capability rule's hit here is incidental
                                         * (description or buyer, not a strong rule) */
};

/* Fields whose matches make a capability required; the others (description,
 * buyer) only make it incidental unless the rule is strong. */
#define FIELD_STRONG    (FIELD_TITLE | FIELD_LOTS | FIELD_ITEMS)

struct cpvent {                         /* one CPV prefix of one capability */
        char     prefix[9];
        uint8_t  len;
        bool     exclude;
        uint16_t idx;                   /* position in the capability's list */
        uint32_t cap;
};

struct term {
        uint64_t hash;
        uint32_t off, len;              /* in engine.terms_str */
        uint32_t post[4], npost[4];     /* by enum atom_kind, in engine.post */
};

struct regkey {                         /* a region members name, and who */
        const char *key;                /* "UKG31", "PC:B" */
        size_t      keylen;             /* strlen(key) */
        const char *itl1;               /* PC keys: the area's ITL1 region */
        bool        is_pc;              /* "PC:X" */
        uint32_t    bits;               /* offset of its member bitset */
};

struct engine {
        struct taxonomy        *tx;
        struct member_register *reg;

        struct pat   *pats;
        size_t        npats;
        struct eref  *refs;
        size_t        nrefs;
        size_t        ntwins;           /* erefs that are the weak part of a split rule */
        uint32_t     *cap_ref;          /* ncaps + 1 offsets into refs */
        uint32_t     *mem_ref;          /* nmembers + 1 offsets into refs */
        uint32_t     *pat_own, *pat_own_off;    /* pattern -> its erefs */
        int32_t      *pat_own_mem;      /* per pat_own entry: member, -1 capability,
                                         * -2 - member for a member's exclusion */
        uint8_t      *pat_fields;       /* copy of pats[].fields, hot */
        uint8_t      *pat_full;         /* bit per condition (rule_atoms.conj) */
        uint8_t      *pat_wconj;        /* pats[].wconj, 0xFF for none */
        uint8_t      *pat_capown;       /* a capability owns the pattern */

        /* term dictionary */
        struct term  *terms;
        size_t        nterms;
        char         *terms_str;
        size_t        terms_len;
        uint32_t     *slots;            /* open addressing: term + 1, 0 empty */
        size_t        slot_mask;
        uint32_t     *post;             /* postings: pattern << 2 | condition */
        size_t        npost;
        uint64_t      lenmask[4];       /* atom lengths present, by kind */
        uint32_t     *always;
        size_t        nalways;

        /* CPV prefixes, sorted by prefix */
        struct cpvent *cpv;
        size_t         ncpv;

        /* members */
        size_t        nmembers, nwords; /* nwords: 64-bit words per bitset */
        uint64_t     *bits;             /* all member bitsets */
        uint32_t     *cap_bits;         /* per capability: offset in bits */
        uint32_t      everywhere_bits;  /* members without regions */
        struct regkey *regkeys;         /* sorted by key */
        size_t        nregkeys;
        uint32_t     *mem_caps, *mem_caps_off;  /* member -> its capability indices */
        char        **mem_band;         /* member -> "£5,000–£25,000" */
        uint32_t     *mem_regkey, *mem_regkey_off;  /* member region i -> regkeys index */
        int64_t      *mem_min, *mem_max;        /* members' value bands, kept hot */
        bool         *mem_paused;               /* paused = yes, kept hot */
        bool          has_pc_keys;

        pcre2_match_context *mctx_proto;
        int64_t       rule_budget_ms;   /* engine_set_rule_budget(); 0: none */
};

struct hit {                            /* where a rule matched first */
        uint8_t  field;
        uint32_t seg;
        uint32_t start, end;            /* bytes in that segment's text */
        char    *words;                 /* the matched text in the result, once made */
};

struct cpvhit {
        uint32_t cap;
        bool     exclude;
        uint32_t code;                  /* index in o->cpv */
        uint16_t idx;                   /* prefix index in the capability's list */
        const char *prefix;
};

struct tcent {                          /* token cache entry */
        uint64_t hash;
        uint32_t off, len;
        int32_t  term;
        uint32_t post, npost;           /* in scratch tc_post */
        /* this notice: */
        uint32_t epoch;
        uint8_t  fields;                /* fields whose postings were marked */
        uint32_t ohead, otail;          /* its tokens, chained by occ2_next */
};

struct arena_blk;

struct engine_scratch {
        const struct engine *e;
        uint32_t epoch;

        /* normalised notice */
        struct tn_text tn;
        uint32_t  fstart[NFIELDS + 1];  /* token ranges per field */
        uint8_t  *tok_field;
        int32_t  *tok_term;
        uint32_t *occ_next;
        size_t    tok_cap;
        const char **segs[NFIELDS];     /* segment strings per field */
        size_t   *seglen[NFIELDS];
        uint32_t *segtok[NFIELDS];      /* first token of each segment */
        bool     *segvalid[NFIELDS];    /* the segment is valid UTF-8 */
        size_t    nsegs[NFIELDS], segcap[NFIELDS];
        unsigned  present;              /* field bits with any text */

        /* token cache */
        uint32_t     *tc_slots;
        size_t        tc_mask;
        struct tcent *tc_ent;
        size_t        tc_n, tc_cap;
        char         *tc_str;
        size_t        tc_slen, tc_scap;
        uint32_t     *tc_post;
        size_t        tc_plen, tc_pcap;

        /* per-term occurrences in this notice */
        uint32_t *term_epoch, *term_head, *term_tail;

        /* patterns (engine) and rules (brute) */
        struct pstate {                 /* per pattern, this notice (one cache line) */
                uint32_t cand;          /* epoch when a condition was first met */
                uint8_t  mask;          /* conditions met; 0x80: a candidate */
                uint8_t  cfields;       /* fields where condition 0 was met */
                uint32_t first[4];      /* first token meeting each condition */
                uint32_t whead, wtail;  /* cache entries meeting the window condition */
        } *ps;
        uint32_t *pat_fired, *pat_hit;
        struct wocc { uint32_t ent, next; } *wocc;
        size_t    nwocc, wocc_cap;
        uint32_t *occ2_next;            /* per token: next token of the same entry */
        uint32_t *wtok;                 /* verification: window tokens, sorted */
        size_t    wtok_cap;
        uint32_t *ref_fired, *ref_hit;
        bool      brute;                /* results are per eref, not per pattern */
        uint32_t *cands, *fired;
        size_t    ncands, nfired, cand_cap;
        struct tn_text kw;              /* brute: a keyword's words */
        struct hit *hits;
        size_t    nhits, hit_cap;

        struct cpvhit *cpvhits;
        size_t    ncpvhits, cpvhit_cap;

        /* members */
        uint64_t *mbits, *rbits;
#define RCACHE_SLOTS 64
        struct rcache {                 /* region list -> region bitset */
                char     *key;
                uint64_t *bits;
        } rcache[RCACHE_SLOTS];
        bool      rfilter;              /* rbits holds the region-eligible members */
        uint32_t *mem_fired;            /* per member: epoch when an own rule fired */
        uint32_t *mlist;
        size_t    nmlist;

        /* final stage */
        bool      anywhere;             /* the notice counts as deliverable anywhere:
                                         * its "any region", unless on-site work has a
                                         * delivery place (engine_finish_caps) */
        uint8_t  *cap_any;              /* capability -> one of its rules fired */
        int32_t  *cap_req;              /* capability -> index in requires, or -1 */
        int32_t  *cap_excl;             /* capability -> index in excluded, or -1 */
        double   *rq_wsum;              /* requirement -> its reasons' weights summed in
                                         * order from 0 */
        int32_t  *cap_inc;              /* capability -> index in requires when it is
                                         * incidental (cap_req is -1 then), or -1 */
        struct member_match *mm;
        size_t    mm_cap;
        /* sorting the matches: by distinct score (few per notice), else
         * a merge sort of (score, index) keys */
#define SCORE_BUCKETS 256
        struct mkey { double score; uint32_t idx; } *mkey;     /* mm_cap * 2 */
        uint16_t *mbucket;              /* per match: its score's bucket */
        struct sbucket { uint64_t bits; double score; uint32_t n; } sb[SCORE_BUCKETS];
        uint16_t  sb_slot[2 * SCORE_BUCKETS];  /* hash of score bits: bucket + 1 */
        uint16_t  sb_order[SCORE_BUCKETS];
        bool      vb_stated;            /* the notice's value band (notice_band()) */
        int64_t   vb_lo, vb_hi;
        char     *val_text;             /* the notice's value, in the result */
        uint32_t *rk_epoch;             /* per regkey: evaluated for this notice */
        const char **rk_place;          /* per regkey: where the notice fits, or NULL */
        char    **reg_c, **pc_c;        /* its regions/postcodes, in the result */
        size_t   *reg_len;              /* strlen of each of its regions */
        const char **pc_itl1;           /* each postcode's ITL1 region, or NULL */
        size_t   *pc_itl1_len;
        size_t    reg_c_cap, pc_c_cap;

        pcre2_match_data    *md;
        pcre2_match_context *mctx;
        pcre2_match_context *mctx_lim;  /* with an offset limit per window */
        pcre2_jit_stack     *jit;

        /* the opening of a string for "^[^STOP]{0,N}?" rules: bytes up to
         * the N-th character or the first STOP, whichever is first */
        const char *lead_text;
        uint32_t  lead_epoch, lead_max, lead_end;
        char      lead_stop[8];

        size_t verified, candidates;
        struct rule_budget budget;      /* this notice's member rules */
};

/* engine_result.c */
struct arena_blk {                      /* a match_result's memory */
        struct arena_blk *next;
        size_t used, cap;
        max_align_t data[];
};

void *result_alloc_new(struct match_result *r, size_t n);

/* n bytes in the result, 16-aligned, not zeroed */
static inline void *
result_alloc(struct match_result *r, size_t n)
{
        struct arena_blk *b = r->arena;
        void *p;

        n = (n + 15) & ~(size_t)15;
        if (b == NULL || b->cap - b->used < n)
                return result_alloc_new(r, n);
        p = (char *)b->data + b->used;
        b->used += n;
        return p;
}
char *result_strndup(struct match_result *r, const char *s, size_t n);
char *result_printf(struct match_result *r, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
void engine_result_reset(struct match_result *r);
void notice_band(struct engine_scratch *s, const struct opportunity *o);

/* Does member mi's value band allow the notice's (notice_band())? */
static inline bool
member_band_fits(const struct engine *e, const struct engine_scratch *s, uint32_t mi)
{
        int64_t mn = e->mem_min[mi], mx = e->mem_max[mi];

        return !s->vb_stated || (!(mx != VALUE_NONE && s->vb_lo > mx) &&
                                 !(mn != VALUE_NONE && s->vb_hi < mn));
}
char *engine_band_string(const struct member *m);            /* caller frees */

/* The common final stage.  _caps reads the fired rules (per pattern, or
 * per eref when s->brute) and s->cpvhits and fills requires/excluded and
 * s->cap_req (required ones: members match on these)/cap_inc/cap_excl; _members then evaluates the candidate members
 * (ascending member indices), or every member when all is true. */
void engine_finish_caps(const struct engine *e, struct engine_scratch *s,
                        const struct opportunity *o, struct match_result *out);
void engine_finish_members(const struct engine *e, struct engine_scratch *s,
                           const struct opportunity *o, unsigned flags,
                           const uint32_t *members, size_t nmembers, bool all,
                           struct match_result *out);

/* The notice's text for field f, segment k. */
static inline const char *
seg_text(const struct engine_scratch *s, unsigned f, size_t k, size_t *len)
{
        *len = s->seglen[f][k];
        return s->segs[f][k];
}

#endif
