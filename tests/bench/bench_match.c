/*
 * bench_match.c — `make bench`: the matching engine at register scale.
 *
 * A deterministic generator (fixed seed) makes a register of 10,000 members
 * with about 50,000 rules of their own (trade keywords and phrases, phrases
 * and rare words from the real notices, true regexes with alternations,
 * optional parts and classes, exclusions, a few patterns without any
 * literal) on top of the taxonomy (conf/capabilities.conf, or a built-in
 * copy when it is missing), and 100,000 notices recombined from the real
 * fixture notices' titles, descriptions, buyers, CPV codes, regions and
 * values.  It writes them to --out (notices.jsonl in the `list --json` shape
 * plus description, register.csv in the `members import` format, notices.txt
 * and literals.txt for grep), then measures:
 *
 *   engine_s     engine_match() over every notice (one core)
 *   tokenize_s   the same text only normalised and tokenised
 *   brute_s      engine_match_brute() on a sample, scaled to every notice
 *   grep_s       LC_ALL=C grep -F -o -f literals.txt notices.txt
 *   read_s       one plain read of notices.txt
 *   build_s      engine_build(), and rebuild_s a second build beside the first
 *
 * and checks engine against brute force on every (notice, member) pair of
 * the sample (>= 10^6 pairs).  Prints one JSON line.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "bidbroker/engine.h"
#include "bidbroker/err.h"
#include "bidbroker/members.h"
#include "bidbroker/oppjson.h"
#include "bidbroker/region.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/rule.h"
#include "bidbroker/textnorm.h"
#include "bidbroker/util.h"
#include "bench_consortium.h"
#include "bench_digest.h"
#include "../unit/engine_corpus.h"
#include "../unit/engine_fixture.h"

#define SEED 0xb1db20c3u

struct opts {
        const char *out;
        const char *taxonomy;
        const char *fixtures;
        size_t      notices, members, sample, explain_sample;
        bool        grep;
};

static double
now(void)
{
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* ---- what members write ----------------------------------------------------------- */

/* Trade words and phrases per capability (index = the conf's order). */
static const char *const lexicon[12][16] = {
        { "window cleaning", "office cleaning", "deep clean", "carpet cleaning",
          "janitorial", "cleaning operatives", "washroom services", "jet washing",
          "graffiti removal", "hygiene services", "school cleaning", "void cleaning",
          "housekeeping", "cleansing", "pressure washing", "communal areas" },
        { "school meals", "catering", "buffet", "hot meals", "meals on wheels",
          "breakfast club", "refreshments", "canteen", "packed lunches", "hospitality",
          "food provision", "kitchen staff", "cafe", "coffee", "lunch club", "tea" },
        { "minor works", "repairs", "painting and decorating", "plastering", "joinery",
          "roofing", "refurbishment", "handyman", "flooring", "glazing", "brickwork",
          "plumbing", "electrical works", "kitchen refit", "damp proofing", "fencing" },
        { "grounds maintenance", "grass cutting", "landscaping", "tree surgery",
          "hedge cutting", "horticulture", "gardening", "weed control", "allotments",
          "green spaces", "planting", "verge maintenance", "parks", "playing fields",
          "arboriculture", "litter picking" },
        { "training", "apprenticeships", "workshops", "coaching", "mentoring",
          "employability", "first aid training", "skills", "courses", "tuition",
          "e-learning", "safeguarding training", "learning", "qualifications",
          "facilitation", "curriculum" },
        { "domiciliary care", "supported living", "befriending", "respite",
          "care home", "home care", "reablement", "day services", "advocacy",
          "social prescribing", "carers", "wellbeing", "mental health", "dementia",
          "youth work", "outreach" },
        { "events", "conference", "festival", "exhibition", "event management",
          "community events", "venue", "ceremony", "workshop facilitation", "stalls",
          "marquee", "launch event", "celebration", "summer programme", "fun day",
          "awards" },
        { "printing", "graphic design", "leaflets", "brochures", "signage", "branding",
          "design services", "posters", "photography", "video production", "banners",
          "publications", "illustration", "web design", "marketing materials",
          "annual report" },
        { "recycling", "waste collection", "removals", "clearance", "house clearance",
          "furniture reuse", "bulky waste", "skip hire", "waste management",
          "food waste", "composting", "reuse", "disposal", "office move", "scrap",
          "litter" },
        { "security guards", "security services", "cctv", "door supervision",
          "stewarding", "key holding", "alarm response", "concierge", "patrols",
          "manned guarding", "access control", "site security", "mobile patrols",
          "lock up", "event security", "reception" },
        { "transport", "minibus", "community transport", "school transport",
          "taxi", "courier", "delivery", "passenger transport", "home to school",
          "dial a ride", "vehicle hire", "logistics", "drivers", "travel",
          "patient transport", "escort" },
        { "it support", "computer repair", "laptops", "helpdesk", "network",
          "device refurbishment", "digital inclusion", "broadband", "software",
          "website", "cyber security", "data recovery", "hardware", "printers",
          "telephony", "it equipment" },
};

/* How members write their own patterns around a trade word or phrase. */
static const char *const regex_templates[] = {
        "\\b%s(?:s|es|ing|ed)?\\b", "\\b%s\\w*", "%s", "\\b(?:local|community|school)\\s+%s\\b",
        "%s(?:\\s+services?)?", "\\b%s\\b", "%s[- ]?(?:work|works|services)",
        "\\b%s(?:er|ers)?\\b",
};

static const char *const exclusion_words[] = {
        "asbestos", "framework", "demolition", "consultancy", "feasibility", "insurance",
        "legal services", "pharmaceutical", "aviation", "nuclear", "defence", "vehicles",
        "construction works", "design and build", "software licences", "\\bPFI\\b",
        "\\bmajor\\s+works\\b", "\\b(?:HGV|LGV)\\b", "dredging", "oil",
};

static const char *const no_literal[] = {
        "\\b[A-Z]{2,4}\\d{2,}\\b", "£\\s?\\d{1,3}(?:,\\d{3})+", "\\b\\d{1,2}/\\d{1,2}/\\d{4}\\b",
        "\\p{Lu}{5,}",
};

static const char *const stop[] = {
        "the", "and", "for", "with", "this", "that", "will", "from", "services", "service",
        "contract", "council", "provision", "which", "their", "there", "other", "under",
        "within", "tender", "supply", "works", "about", "these", "shall", "would", "should",
        "into", "have", "been", "being", "more", "also", "must", "each", "such", "over",
        "value", "project", "period", "years", "provide", "support", "delivery", "details",
        "required", "requirement", "requirements", "procurement", "contracts", "suppliers",
        "provider", "providers", "including", "notice",
};

static bool
is_stop(const char *w)
{
        for (size_t i = 0; i < ARRAY_SIZE(stop); i++)
                if (strcasecmp(stop[i], w) == 0)
                        return true;
        return false;
}

static bool
useful_word(const char *w)
{
        size_t n = strlen(w);

        if (n < 5)
                return false;
        for (size_t i = 0; i < ARRAY_SIZE(stop); i++)
                if (strcasecmp(stop[i], w) == 0)
                        return false;
        for (size_t i = 0; i < n; i++)
                if (!((w[i] >= 'a' && w[i] <= 'z') || (w[i] >= 'A' && w[i] <= 'Z')))
                        return false;
        return true;
}

static char *
lower_dup(const char *s)
{
        char *t = xstrdup(s);

        for (char *p = t; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                        *p = (char)(*p + 32);
        return t;
}

/* Words of the notices that occur in at most two of the corpus texts, the
 * kind of specific word a member adds by hand (the notices' everyday words
 * would fire on a large share of notices recombined from 300 sources). */
struct rare {
        struct strv words;              /* rare, useful words */
        size_t     *df;                 /* per corpus type */
};

static int
type_index(const struct corpus *c, const char *w)
{
        size_t lo = 0, hi = c->types.n;

        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                int k = strcmp(c->types.v[mid], w);

                if (k == 0)
                        return (int)mid;
                if (k < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return -1;
}

static size_t
word_df(const struct rare *rw, const struct corpus *c, const char *w)
{
        char *l = lower_dup(w);
        int i = type_index(c, l);

        free(l);
        return i < 0 ? 0 : rw->df[i];
}

static void
rare_init(struct rare *rw, const struct corpus *c)
{
        size_t *last = xcalloc(c->types.n + 1, sizeof(*last)), start = 0;

        strv_init(&rw->words);
        rw->df = xcalloc(c->types.n + 1, sizeof(*rw->df));
        for (size_t t = 0; t < c->ntexts; t++) {
                for (size_t i = start; i < c->text_end[t]; i++) {
                        char *l = lower_dup(c->words.v[i]);
                        int k = type_index(c, l);

                        free(l);
                        if (k >= 0 && last[k] != t + 1) {
                                last[k] = t + 1;
                                rw->df[k]++;
                        }
                }
                start = c->text_end[t];
        }
        for (size_t k = 0; k < c->types.n; k++)
                if (rw->df[k] <= 2 && useful_word(c->types.v[k]))
                        strv_add(&rw->words, c->types.v[k]);
        free(last);
}

static void
rare_done(struct rare *rw)
{
        strv_done(&rw->words);
        free(rw->df);
}

static char *
fixture_word(struct rng *r, const struct rare *rw)
{
        if (rw->words.n == 0)
                return xstrdup("cleaning");
        return xstrdup(rw->words.v[rng_below(r, rw->words.n)]);
}

/* Two consecutive words of a notice that make a specific phrase: both
 * alphabetic, not function words, one of them rare. */
static char *
fixture_phrase(struct rng *r, const struct corpus *c, const struct rare *rw)
{
        for (int i = 0; i < 500; i++) {
                char *p = corpus_phrase(c, r, 2, " "), *sp, *q;
                bool ok;

                if (p == NULL)
                        continue;
                sp = strchr(p, ' ');
                *sp = '\0';
                ok = strlen(p) >= 4 && strlen(sp + 1) >= 4 && !is_stop(p) && !is_stop(sp + 1) &&
                     (word_df(rw, c, p) <= 2 || word_df(rw, c, sp + 1) <= 2);
                for (char *x = p; ok && *x; x++)
                        ok = (*x | 0x20) >= 'a' && (*x | 0x20) <= 'z';
                for (char *x = sp + 1; ok && *x; x++)
                        ok = (*x | 0x20) >= 'a' && (*x | 0x20) <= 'z';
                *sp = ' ';
                if (!ok) {
                        free(p);
                        continue;
                }
                q = lower_dup(p);
                free(p);
                return q;
        }
        return fixture_word(r, rw);
}

/* One rule of a member with capabilities caps (indices).  The mix: 8 %
 * exclusions, 37 % trade keywords and phrases, 16 % specific phrases and
 * words from notices, 38 % true regexes (trade stems with alternatives,
 * optional parts, classes; a quarter with a rare word as an alternative),
 * 0.3 % patterns without any literal. */
static void
member_rule(struct rng *r, const struct corpus *c, const struct rare *rw, struct member *m,
            const size_t *caps, size_t ncaps)
{
        unsigned k = (unsigned)rng_below(r, 100);
        size_t cap = ncaps ? caps[rng_below(r, ncaps)] % 12 : rng_below(r, 12);
        char *text = NULL;
        enum rule_kind kind = RULE_KEYWORD;
        bool exclude = false;

        if (k < 8) {                    /* exclusions */
                const char *x = exclusion_words[rng_below(r, ARRAY_SIZE(exclusion_words))];

                exclude = true;
                kind = strchr(x, '\\') ? RULE_REGEX : RULE_KEYWORD;
                text = xstrdup(x);
        } else if (k < 45) {            /* trade words of their own capabilities */
                text = xstrdup(lexicon[cap][rng_below(r, 16)]);
        } else if (k < 53) {            /* specific phrases they saw in notices */
                text = fixture_phrase(r, c, rw);
        } else if (k < 61) {            /* specific words */
                text = fixture_word(r, rw);
        } else if (k < 99 || rng_chance(r, 70)) {       /* true regexes */
                const char *t = regex_templates[rng_below(r, ARRAY_SIZE(regex_templates))];
                char *w = rng_chance(r, 65) ? xstrdup(lexicon[cap][rng_below(r, 16)])
                                            : fixture_word(r, rw);

                kind = RULE_REGEX;
                if (rng_chance(r, 25)) {        /* an alternation of two */
                        char *w2 = fixture_word(r, rw), *alt = xasprintf("(?:%s|%s)", w, w2);

                        free(w);
                        free(w2);
                        w = alt;
                }
                {
                        struct buf b;   /* "grass cutting" -> "grass\s+cutting" */

                        buf_init(&b);
                        for (char *p = w; *p; p++) {
                                if (*p == ' ')
                                        buf_adds(&b, "\\s+");
                                else
                                        buf_addc(&b, *p);
                        }
                        free(w);
                        w = buf_steal(&b);
                }
                text = xasprintf(t, w);
                free(w);
        } else {                        /* no literal at all (0.3 %): the always list */
                kind = RULE_REGEX;
                text = xstrdup(no_literal[rng_below(r, ARRAY_SIZE(no_literal))]);
        }
        fx_rule(&m->rules, &m->nrules, kind, text, FIELD_TEXT, exclude, 1.0);
        free(text);
}

static const char *const pc_areas[] = {
        "B", "CV", "WS", "WV", "DY", "ST", "M", "L", "LS", "S", "NE", "BS", "E", "N", "SE",
        "SW", "NW", "W", "CF", "G", "EH", "BT", "NG", "LE", "DE", "NR", "CB", "OX", "RG",
        "SO", "PO", "BN", "EX", "PL", "HU", "YO", "BD", "OL", "PR", "CH",
};

static const char *const itl1[] = {
        "UKC", "UKD", "UKE", "UKF", "UKG", "UKH", "UKI", "UKJ", "UKK", "UKL", "UKM", "UKN",
};

/* ITL2/ITL3 codes from the ONS lookup in the fixtures. */
static void
load_itl_codes(const char *fixtures, struct strv *codes)
{
        char *path = xasprintf("%s/reference/ref-ons-lad18-nuts3-nuts2-nuts1-2018.csv",
                               fixtures), *data = NULL, *line, *save = NULL;
        size_t len;

        if (read_file(path, 1u << 22, &data, &len) == 0) {
                for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                        struct strv f;

                        strv_init(&f);
                        /* names may hold quoted commas: take every field
                         * that is an ITL2 or ITL3 code */
                        str_split(line, ',', &f);
                        for (size_t i = 0; i < f.n; i++)
                                if (region_code_valid(f.v[i]) && strlen(f.v[i]) >= 4)
                                        strv_add_unique(codes, f.v[i]);
                        strv_done(&f);
                }
        }
        if (codes->n == 0)
                for (size_t i = 0; i < ARRAY_SIZE(itl1); i++)
                        strv_add(codes, itl1[i]);
        free(data);
        free(path);
}

static struct member_register *
gen_register(const struct opts *op, const struct taxonomy *tx, const struct corpus *c,
             const struct rare *rw, const struct strv *itl23)
{
        struct member_register *reg = fx_register();
        struct rng r = { SEED };

        for (size_t i = 0; i < op->members; i++) {
                char id[32];
                struct member *m;
                size_t caps[3], ncaps = 1 + rng_below(&r, 3), nrules = rng_below(&r, 11);
                unsigned k = (unsigned)rng_below(&r, 100);
                int64_t lo = VALUE_NONE, hi = VALUE_NONE;

                snprintf(id, sizeof(id), "se-%05zu", i);
                if (rng_chance(&r, 40))
                        lo = (int64_t)rng_below(&r, 6) * 100000;      /* £0..£5,000 */
                if (rng_chance(&r, 85))
                        hi = (int64_t)(10 + rng_below(&r, 240)) * 100000;
                m = fx_member(reg, id, NULL, NULL, lo, hi);
                m->name = (free(m->name), xasprintf("Social Enterprise %zu", i));
                strv_take(&m->emails, xasprintf("bids@se-%05zu.example", i));
                m->cluster = xstrdup(pc_areas[i % ARRAY_SIZE(pc_areas)]);
                for (size_t j = 0; j < ncaps; j++) {
                        /* cleaning, catering and building works are the most common */
                        size_t cap = rng_chance(&r, 40) ? rng_below(&r, 3)
                                                        : rng_below(&r, tx->ncaps);

                        caps[j] = cap;
                        strv_add_unique(&m->capabilities, tx->caps[cap].id);
                }
                if (k < 10) {
                        for (size_t j = 0, n = 1 + rng_below(&r, 2); j < n; j++)
                                strv_add_unique(&m->regions, itl1[rng_below(&r, 12)]);
                } else if (k < 60) {
                        for (size_t j = 0, n = 1 + rng_below(&r, 4); j < n; j++)
                                strv_add_unique(&m->regions,
                                                itl23->v[rng_below(&r, itl23->n)]);
                } else if (k < 92) {
                        for (size_t j = 0, n = 1 + rng_below(&r, 3); j < n; j++) {
                                char *a = xasprintf("PC:%s", pc_areas[rng_below(&r,
                                                            ARRAY_SIZE(pc_areas))]);

                                strv_add_unique(&m->regions, a);
                                free(a);
                        }
                } else if (k < 97) {
                        strv_add(&m->regions, "UK");
                }                               /* else: no regions, everywhere */
                for (size_t j = 0; j < nrules; j++)
                        member_rule(&r, c, rw, m, caps, ncaps);
        }
        fx_register_sort(reg);
        return reg;
}

/* ---- built-in taxonomy (when conf/capabilities.conf is missing) ----------------------- */

static struct taxonomy *
builtin_taxonomy(void)
{
        static const struct {
                const char *id, *cpv, *rx, *excl;
        } caps[] = {
                { "cleaning", "9091;9061;9831", "\\bcleaners?\\b;cleaning;\\bwindow\\s+clean",
                  "\\basbestos\\b" },
                { "catering", "555;5532;5533", "\\bcater(?:ing|er|ers)\\b;\\bschool\\s+meals?\\b",
                  "\\bkitchens?\\s+refit" },
                { "building-works", "454;45261;5071", "\\brepairs?\\b;\\brefurbish\\w*",
                  "\\bframework\\b" },
                { "grounds", "77310;77313;7734", "\\bgrounds\\s+maintenance\\b;\\blandscap\\w+",
                  NULL },
                { "training", "805;8053", "\\btraining\\b;\\bcourses?\\b", "\\bsoftware\\b" },
                { "care", "853;8531", "\\bcare\\b;\\bsupported\\s+living\\b", NULL },
                { "events", "7995;55120", "\\bevents?\\b;\\bconferences?\\b", NULL },
                { "print-design", "798;22", "\\bprinting\\b;\\bgraphic\\s+design\\b", NULL },
                { "waste-recycling", "905;9812", "\\brecycling\\b;\\bremovals?\\b", NULL },
                { "security", "7971;7972", "\\bsecurity\\s+(?:guards?|services)\\b", "\\bcyber\\b" },
                { "transport", "601;6017", "\\btransport\\b;\\bminibus", NULL },
                { "it-support", "5031;7254", "\\bit\\s+support\\b;\\bhelpdesk\\b", NULL },
        };
        struct taxonomy *tx = fx_taxonomy();

        for (size_t i = 0; i < ARRAY_SIZE(caps); i++) {
                struct capability *c = fx_cap(tx, caps[i].id, 1.0);
                struct strv rx;

                fx_list(&c->cpv, caps[i].cpv);
                strv_init(&rx);
                fx_list(&rx, caps[i].rx);
                for (size_t k = 0; k < rx.n; k++)
                        fx_rule(&c->rules, &c->nrules, strchr(rx.v[k], '\\') ? RULE_REGEX
                                                                             : RULE_KEYWORD,
                                rx.v[k], FIELD_TEXT, false, 1.0);
                strv_done(&rx);
                if (caps[i].excl)
                        fx_rule(&c->rules, &c->nrules, RULE_REGEX, caps[i].excl, FIELD_TEXT,
                                true, 1.0);
        }
        return tx;
}

static struct taxonomy *
get_taxonomy(const struct opts *op, const char **which)
{
        struct taxonomy *tx = NULL;
        struct diag d;

        diag_init(&d);
        if (access(op->taxonomy, R_OK) == 0 && taxonomy_load(op->taxonomy, &tx, &d) == 0) {
                *which = op->taxonomy;
        } else {
                if (diag_count(&d))
                        diag_print(&d, stderr);
                tx = builtin_taxonomy();
                *which = "built-in";
        }
        diag_done(&d);
        return tx;
}

/* ---- notices ------------------------------------------------------------------------ */

/* Notices borrow their text from the corpus: free with notices_free(). */
struct notices {
        struct opportunity *v;
        size_t              n;
        size_t              text_bytes;
};

static void
strv_borrow(struct strv *v, const char *s)
{
        if (v->n == v->cap) {
                v->cap = v->cap ? 2 * v->cap : 4;
                v->v = xreallocarray(v->v, v->cap, sizeof(*v->v));
        }
        v->v[v->n++] = (char *)s;
}

static const char *const extra_regions[] = {
        "UKG31", "UKG32", "UKG33", "UKI31", "UKI44", "UKE42", "UKD33", "UKJ22", "UKK11",
        "UKM82", "UKL22", "UKF14", "UKC22", "UKH12", "UKN06",
};
static const char *const bench_postcodes[] = {
        "B5 5SE", "CV1 2GT", "WS1 1AA", "M4 1HN", "LS2 7EE", "BS1 5TR", "E1 6AN", "NE1 4ST",
};

static void
gen_notices(const struct opts *op, const struct corpus *c, struct notices *ns)
{
        struct rng r = { SEED ^ 0x9u };

        ns->v = xcalloc(op->notices, sizeof(*ns->v));
        ns->n = op->notices;
        ns->text_bytes = 0;
        for (size_t i = 0; i < op->notices; i++) {
                struct opportunity *o = &ns->v[i];
                const struct opportunity *a = &c->opps[rng_below(&r, c->n)];
                const struct opportunity *b = &c->opps[rng_below(&r, c->n)];
                const struct opportunity *src = rng_chance(&r, 75) ? a : b;

                opportunity_init(o);
                o->id = (int64_t)i + 1;
                o->stage = STAGE_TENDER;
                o->status = STATUS_ACTIVE;
                /* text: title of one notice, description of another */
                o->title = a->title;
                o->description = b->description;
                o->buyer_name = (rng_chance(&r, 50) ? a : b)->buyer_name;
                for (size_t k = 0; k < b->lot_titles.n; k++)
                        strv_borrow(&o->lot_titles, b->lot_titles.v[k]);
                for (size_t k = 0; k < b->item_descriptions.n; k++)
                        strv_borrow(&o->item_descriptions, b->item_descriptions.v[k]);
                /* CPV codes mostly of the title's notice, sometimes another's */
                for (size_t k = 0; k < src->cpv.n; k++)
                        strv_borrow(&o->cpv, src->cpv.v[k]);
                if (rng_chance(&r, 5)) {
                        o->anywhere = true;
                } else if (rng_chance(&r, 30)) {
                        strv_borrow(&o->regions, extra_regions[rng_below(&r,
                                                         ARRAY_SIZE(extra_regions))]);
                } else {
                        const struct opportunity *g = rng_chance(&r, 50) ? a : b;

                        o->anywhere = g->anywhere;
                        for (size_t k = 0; k < g->regions.n; k++)
                                strv_borrow(&o->regions, g->regions.v[k]);
                }
                if (rng_chance(&r, 10))
                        strv_borrow(&o->postcodes, bench_postcodes[rng_below(&r,
                                                          ARRAY_SIZE(bench_postcodes))]);
                if (rng_chance(&r, 25)) {
                        o->value_stated = false;
                } else if (rng_chance(&r, 50) && a->value_stated) {
                        o->value_stated = true;
                        o->value_max = a->value_max;
                        o->value_min = a->value_min;
                } else {
                        o->value_stated = true;
                        o->value_max = (int64_t)(1 + rng_below(&r, 500)) * 10000 * 10;
                        if (rng_chance(&r, 15))
                                o->value_min = o->value_max / 2;
                }
                if (o->value_stated)
                        memcpy(o->currency, "GBP", 4);
                o->suitable_sme = a->suitable_sme;
                o->suitable_vcse = a->suitable_vcse;
                o->deadline = a->deadline;
                o->published = a->published;
                ns->text_bytes += (o->title ? strlen(o->title) : 0) +
                                  (o->description ? strlen(o->description) : 0) +
                                  (o->buyer_name ? strlen(o->buyer_name) : 0);
                for (size_t k = 0; k < o->lot_titles.n; k++)
                        ns->text_bytes += strlen(o->lot_titles.v[k]);
                for (size_t k = 0; k < o->item_descriptions.n; k++)
                        ns->text_bytes += strlen(o->item_descriptions.v[k]);
        }
}

static void
notices_free(struct notices *ns)
{
        for (size_t i = 0; i < ns->n; i++) {
                struct opportunity *o = &ns->v[i];

                free(o->lot_titles.v);
                free(o->item_descriptions.v);
                free(o->cpv.v);
                free(o->regions.v);
                free(o->postcodes.v);
        }
        free(ns->v);
}

/* ---- output files ---------------------------------------------------------------------- */

static void
csv_cell(FILE *f, const char *s, bool last)
{
        if (s && strpbrk(s, ",\"\n\r")) {
                fputc('"', f);
                for (; *s; s++) {
                        if (*s == '"')
                                fputc('"', f);
                        fputc(*s, f);
                }
                fputc('"', f);
        } else if (s) {
                fputs(s, f);
        }
        fputc(last ? '\n' : ',', f);
}

static void
csv_list(FILE *f, const struct strv *v, const char *strip)
{
        struct buf b;

        buf_init(&b);
        buf_adds(&b, "");
        for (size_t i = 0; i < v->n; i++) {
                const char *s = v->v[i];

                if (strip && strncmp(s, strip, strlen(strip)) == 0)
                        s += strlen(strip);
                if (i)
                        buf_addc(&b, ';');
                buf_adds(&b, s);
        }
        csv_cell(f, b.data, false);
        buf_done(&b);
}

static void
csv_money(FILE *f, int64_t pence)
{
        if (pence == VALUE_NONE)
                fputc(',', f);
        else
                fprintf(f, "%" PRId64 ",", pence / 100);
}

static int
write_register(const char *path, const struct member_register *reg)
{
        FILE *f = fopen(path, "we");

        if (f == NULL)
                return -errno;
        fputs("id,name,email,cluster,postcode,regions,capabilities,keywords,exclusions,"
              "min_value,max_value,capacity,consortium,digest_day\n", f);
        for (size_t i = 0; i < reg->n; i++) {
                const struct member *m = &reg->members[i];
                struct strv kw, ex;

                strv_init(&kw);
                strv_init(&ex);
                /* the import format's keywords/exclusions are PCRE2 patterns */
                for (size_t k = 0; k < m->nrules; k++) {
                        const struct rule *r = &m->rules[k];
                        char *t = r->kind == RULE_KEYWORD ? xasprintf("\\b%s\\b", r->text)
                                                          : xstrdup(r->text);

                        strv_take(r->exclude ? &ex : &kw, t);
                }
                csv_cell(f, m->id, false);
                csv_cell(f, m->name, false);
                csv_list(f, &m->emails, NULL);
                csv_cell(f, m->cluster, false);
                csv_cell(f, m->postcode, false);
                csv_list(f, &m->regions, NULL);
                csv_list(f, &m->capabilities, NULL);
                csv_list(f, &kw, NULL);
                csv_list(f, &ex, NULL);
                csv_money(f, m->min_value);
                csv_money(f, m->max_value);
                csv_money(f, m->capacity);
                csv_cell(f, m->consortium ? "yes" : "no", false);
                csv_cell(f, "monday", true);
                strv_done(&kw);
                strv_done(&ex);
        }
        return fclose(f) == 0 ? 0 : -errno;
}

static void
put_text_line(FILE *f, const char *s)
{
        if (s == NULL)
                return;
        for (; *s; s++)
                fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
        fputc(' ', f);
}

static int
write_notices(const char *jpath, const char *tpath, const struct notices *ns)
{
        FILE *j = fopen(jpath, "we"), *t = fopen(tpath, "we");
        int r = 0;

        if (j == NULL || t == NULL) {
                r = -errno;
                goto out;
        }
        for (size_t i = 0; i < ns->n; i++) {
                const struct opportunity *o = &ns->v[i];
                struct opportunity tmp = *o;
                char nid[32];
                json_t *js;

                snprintf(nid, sizeof(nid), "bench-%06zu", i + 1);
                tmp.source = (char *)"bench";
                tmp.notice_id = nid;
                js = opportunity_to_json(&tmp, true);
                json_dumpf(js, j, JSON_COMPACT);
                fputc('\n', j);
                json_decref(js);
                put_text_line(t, o->title);
                put_text_line(t, o->description);
                put_text_line(t, o->buyer_name);
                for (size_t k = 0; k < o->lot_titles.n; k++)
                        put_text_line(t, o->lot_titles.v[k]);
                for (size_t k = 0; k < o->item_descriptions.n; k++)
                        put_text_line(t, o->item_descriptions.v[k]);
                fputc('\n', t);
        }
out:
        if (j && fclose(j) != 0 && r == 0)
                r = -errno;
        if (t && fclose(t) != 0 && r == 0)
                r = -errno;
        return r;
}

/* The rules' literals: keyword words/phrases, and the atoms of regexes. */
static size_t
write_literals(const char *path, const struct taxonomy *tx, const struct member_register *reg)
{
        FILE *f = fopen(path, "we");
        struct strv seen;
        size_t n = 0;

        if (f == NULL)
                return 0;
        strv_init(&seen);
        for (size_t pass = 0; pass < 2; pass++) {
                size_t owners = pass ? reg->n : tx->ncaps;

                for (size_t i = 0; i < owners; i++) {
                        const struct rule *rules = pass ? reg->members[i].rules : tx->caps[i].rules;
                        size_t nr = pass ? reg->members[i].nrules : tx->caps[i].nrules;

                        for (size_t k = 0; k < nr; k++) {
                                if (rules[k].kind == RULE_KEYWORD) {
                                        strv_take(&seen, tn_fold_words(rules[k].text));
                                } else {
                                        struct rule_atoms ra;

                                        rule_atoms_init(&ra);
                                        rule_regex_atoms(rules[k].text, &ra);
                                        for (size_t c = 0; c < ra.n; c++)
                                                for (size_t a = 0; a < ra.conj[c].n; a++)
                                                        strv_add(&seen, ra.conj[c].v[a].text);
                                        rule_atoms_done(&ra);
                                }
                        }
                }
        }
        strv_sort(&seen);
        for (size_t i = 0; i < seen.n; i++) {
                if (i && strcmp(seen.v[i], seen.v[i - 1]) == 0)
                        continue;
                if (seen.v[i][0] == '\0')
                        continue;
                fprintf(f, "%s\n", seen.v[i]);
                n++;
        }
        strv_done(&seen);
        fclose(f);
        return n;
}

/* ---- the measurements --------------------------------------------------------------------- */

static int
dcmp(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return x < y ? -1 : x > y;
}

static bool
same_str(const char *a, const char *b)
{
        return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}

static bool
same_reasons(const struct reason *a, size_t na, const struct reason *b, size_t nb)
{
        if (na != nb)
                return false;
        for (size_t i = 0; i < na; i++)
                if (a[i].kind != b[i].kind || !same_str(a[i].capability, b[i].capability) ||
                    !same_str(a[i].rule, b[i].rule) || !same_str(a[i].field, b[i].field) ||
                    !same_str(a[i].matched, b[i].matched) || a[i].weight != b[i].weight)
                        return false;
        return true;
}

/* Differences between two results: per member (matched or not, score,
 * reasons, miss text), plus one for differing requirements. */
static size_t
count_differences(const struct engine *e, const struct match_result *a,
                  const struct match_result *b, int32_t *ia, int32_t *ib)
{
        const struct member_register *reg = engine_members(e);
        size_t diff = 0;

        if (a->nrequires != b->nrequires || a->nexcluded != b->nexcluded)
                diff++;
        else
                for (size_t i = 0; i < a->nrequires; i++)
                        if (a->requires[i].cap != b->requires[i].cap ||
                            a->requires[i].score != b->requires[i].score ||
                            !same_reasons(a->requires[i].reasons, a->requires[i].nreasons,
                                          b->requires[i].reasons, b->requires[i].nreasons)) {
                                diff++;
                                break;
                        }
        for (size_t m = 0; m < reg->n; m++)
                ia[m] = ib[m] = -1;
        for (size_t i = 0; i < a->nmatches; i++)
                ia[a->matches[i].member - reg->members] = (int32_t)i;
        for (size_t i = 0; i < b->nmatches; i++)
                ib[b->matches[i].member - reg->members] = (int32_t)i;
        for (size_t m = 0; m < reg->n; m++) {
                const struct member_match *x, *y;

                if (ia[m] < 0 && ib[m] < 0)
                        continue;
                if (ia[m] < 0 || ib[m] < 0) {
                        diff++;
                        continue;
                }
                x = &a->matches[ia[m]];
                y = &b->matches[ib[m]];
                if (x->score != y->score ||
                    !same_reasons(x->reasons, x->nreasons, y->reasons, y->nreasons))
                        diff++;
        }
        if (a->nmisses != b->nmisses) {
                diff++;
        } else {
                for (size_t i = 0; i < a->nmisses; i++)
                        if (a->misses[i].member != b->misses[i].member ||
                            !same_str(a->misses[i].reason, b->misses[i].reason))
                                diff++;
        }
        return diff;
}

/* GNU grep -F -o -f LITERALS TEXT, its output read through a pipe and
 * counted (grep stops at the first match when its output is /dev/null). */
static double
run_grep(const char *lit, const char *txt, int *status, size_t *out_lines)
{
        double t0 = now();
        int fds[2];
        pid_t pid;
        char buf[65536];
        ssize_t n;

        *out_lines = 0;
        if (pipe2(fds, O_CLOEXEC) < 0) {
                *status = -1;
                return -1;
        }
        pid = fork();
        if (pid == 0) {
                dup2(fds[1], 1);
                setenv("LC_ALL", "C", 1);
                execlp("grep", "grep", "-F", "-o", "-f", lit, txt, (char *)NULL);
                _exit(127);
        }
        close(fds[1]);
        while ((n = read(fds[0], buf, sizeof(buf))) > 0)
                for (ssize_t i = 0; i < n; i++)
                        *out_lines += buf[i] == '\n';
        close(fds[0]);
        if (pid < 0 || waitpid(pid, status, 0) < 0) {
                *status = -1;
                return -1;
        }
        return now() - t0;
}

static double
read_once(const char *path)
{
        double t0 = now();
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        static char chunk[1 << 20];
        ssize_t n;
        uint64_t sum = 0;

        if (fd < 0)
                return -1;
        while ((n = read(fd, chunk, sizeof(chunk))) > 0)
                sum += (unsigned char)chunk[n - 1];
        close(fd);
        if (sum == 1)   /* keep the loop */
                fputc(' ', stderr);
        return now() - t0;
}

static void
cpu_name(char *buf, size_t size)
{
        FILE *f = fopen("/proc/cpuinfo", "re");
        char line[256];

        snprintf(buf, size, "unknown");
        if (f == NULL)
                return;
        while (fgets(line, sizeof(line), f)) {
                char *c = strchr(line, ':');

                if (strncmp(line, "model name", 10) == 0 && c) {
                        snprintf(buf, size, "%s", c + 2);
                        buf[strcspn(buf, "\n")] = '\0';
                        break;
                }
        }
        fclose(f);
}

static void
usage(void)
{
        fprintf(stderr, "usage: bench_match [--out DIR] [--notices N] [--members N] "
                "[--sample N] [--taxonomy FILE] [--no-grep]\n");
}

int
main(int argc, char **argv)
{
        struct opts op = {
                .out = "bench-out", .taxonomy = "conf/capabilities.conf",
                .notices = 100000, .members = 10000, .sample = 120, .explain_sample = 10,
                .grep = true,
        };
        struct corpus c;
        struct strv itl23;
        struct rare rw;
        struct taxonomy *tx;
        struct member_register *reg;
        struct notices ns;

        if (argc == 2 && strcmp(argv[1], "--digest") == 0)
                return bench_digest();          /* the digest line alone */
        struct engine *e = NULL, *e2 = NULL;
        struct engine_scratch *s;
        struct match_result res, res2;
        struct diag d;
        const char *which;
        char *jpath, *tpath, *lpath, *cpath, cpu[128];
        double t0, build_s, rebuild_s, tok_s = 0, eng_s = 0, brute_s = 0, grep_s = -1, read_s;
        double *lat;
        size_t verified = 0, cands = 0, nmatches = 0, nlit, diffs = 0, pairs = 0, brute_n = 0;
        size_t grep_lines = 0;
        int32_t *ia, *ib;
        struct rusage ru;
        int gst = 0;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
                        op.out = argv[++i];
                else if (strcmp(argv[i], "--notices") == 0 && i + 1 < argc)
                        op.notices = strtoul(argv[++i], NULL, 10);
                else if (strcmp(argv[i], "--members") == 0 && i + 1 < argc)
                        op.members = strtoul(argv[++i], NULL, 10);
                else if (strcmp(argv[i], "--sample") == 0 && i + 1 < argc)
                        op.sample = strtoul(argv[++i], NULL, 10);
                else if (strcmp(argv[i], "--taxonomy") == 0 && i + 1 < argc)
                        op.taxonomy = argv[++i];
                else if (strcmp(argv[i], "--no-grep") == 0)
                        op.grep = false;
                else {
                        usage();
                        return 2;
                }
        }
        if (op.notices == 0 || op.members == 0) {
                usage();
                return 2;
        }
        op.fixtures = getenv("FIXTURES") ? getenv("FIXTURES") : "tests/fixtures";
        if (mkdir_p(op.out, 0755) < 0) {
                fprintf(stderr, "bench_match: cannot create %s\n", op.out);
                return 1;
        }
        if (corpus_load(&c, op.fixtures) < 0) {
                fprintf(stderr, "bench_match: no fixture notices under %s\n", op.fixtures);
                return 1;
        }
        strv_init(&itl23);
        load_itl_codes(op.fixtures, &itl23);
        rare_init(&rw, &c);

        /* data */
        tx = get_taxonomy(&op, &which);
        reg = gen_register(&op, tx, &c, &rw, &itl23);
        gen_notices(&op, &c, &ns);
        jpath = xasprintf("%s/notices.jsonl", op.out);
        tpath = xasprintf("%s/notices.txt", op.out);
        lpath = xasprintf("%s/literals.txt", op.out);
        cpath = xasprintf("%s/register.csv", op.out);
        if (write_register(cpath, reg) < 0 || write_notices(jpath, tpath, &ns) < 0) {
                fprintf(stderr, "bench_match: cannot write to %s\n", op.out);
                return 1;
        }
        nlit = write_literals(lpath, tx, reg);

        /* build */
        diag_init(&d);
        t0 = now();
        if (engine_build(tx, reg, &e, &d) < 0) {
                diag_print(&d, stderr);
                return 1;
        }
        build_s = now() - t0;
        diag_done(&d);
        s = engine_scratch_new(e);
        match_result_init(&res);
        match_result_init(&res2);

        /* tokenize only: the same fields through the same normaliser */
        {
                struct tn_text tn;

                tn_init(&tn);
                t0 = now();
                for (size_t i = 0; i < ns.n; i++) {
                        const struct opportunity *o = &ns.v[i];
                        uint32_t pos = 0;

                        tn_reset(&tn);
                        if (o->title)
                                tn_tokenize(&tn, o->title, strlen(o->title), 0, &pos);
                        if (o->description)
                                tn_tokenize(&tn, o->description, strlen(o->description), 0,
                                            &pos);
                        if (o->buyer_name)
                                tn_tokenize(&tn, o->buyer_name, strlen(o->buyer_name), 0, &pos);
                        for (size_t k = 0; k < o->lot_titles.n; k++)
                                tn_tokenize(&tn, o->lot_titles.v[k], strlen(o->lot_titles.v[k]),
                                            (uint32_t)k, &pos);
                        for (size_t k = 0; k < o->item_descriptions.n; k++)
                                tn_tokenize(&tn, o->item_descriptions.v[k],
                                            strlen(o->item_descriptions.v[k]), (uint32_t)k, &pos);
                }
                tok_s = now() - t0;
                tn_done(&tn);
        }

        /* the engine */
        lat = xcalloc(ns.n, sizeof(*lat));
        t0 = now();
        for (size_t i = 0; i < ns.n; i++) {
                double a = now();

                engine_match(e, s, &ns.v[i], 0, &res);
                lat[i] = now() - a;
                verified += engine_scratch_verified(s);
                cands += engine_scratch_candidates(s);
                nmatches += res.nmatches;
        }
        eng_s = now() - t0;

        /* brute force on a sample, and the differential check on it */
        ia = xcalloc(op.members, sizeof(*ia));
        ib = xcalloc(op.members, sizeof(*ib));
        {
                struct rng r = { SEED ^ 0x77u };

                for (size_t k = 0; k < op.sample; k++) {
                        const struct opportunity *o = &ns.v[rng_below(&r, ns.n)];
                        double a;

                        engine_match(e, s, o, 0, &res);
                        a = now();
                        engine_match_brute(e, s, o, 0, &res2);
                        brute_s += now() - a;
                        brute_n++;
                        diffs += count_differences(e, &res, &res2, ia, ib);
                        pairs += op.members;
                }
                for (size_t k = 0; k < op.explain_sample; k++) {
                        const struct opportunity *o = &ns.v[rng_below(&r, ns.n)];

                        engine_match(e, s, o, ENGINE_EXPLAIN, &res);
                        engine_match_brute(e, s, o, ENGINE_EXPLAIN, &res2);
                        diffs += count_differences(e, &res, &res2, ia, ib);
                        pairs += op.members;
                }
        }

        /* grep -F and one plain read of the same text */
        if (op.grep)
                grep_s = run_grep(lpath, tpath, &gst, &grep_lines);
        read_s = read_once(tpath);

        /* a rebuild beside the live engine, as a reload does */
        {
                struct taxonomy *tx2 = get_taxonomy(&op, &which);
                struct member_register *reg2 = gen_register(&op, tx2, &c, &rw, &itl23);

                diag_init(&d);
                t0 = now();
                if (engine_build(tx2, reg2, &e2, &d) < 0) {
                        diag_print(&d, stderr);
                        return 1;
                }
                rebuild_s = now() - t0;
                diag_done(&d);
        }
        getrusage(RUSAGE_SELF, &ru);
        qsort(lat, ns.n, sizeof(*lat), dcmp);
        cpu_name(cpu, sizeof(cpu));

        {
                double n = (double)ns.n, brute_full = brute_s / (double)brute_n * n;
                size_t npat = engine_pattern_count(e);

                printf("{\"notices\": %zu, \"members\": %zu, \"rules\": %zu, \"patterns\": %zu, "
                       "\"always_patterns\": %zu, \"taxonomy\": \"%s\", \"text_mb\": %.2f, "
                       "\"engine_s\": %.3f, \"notices_per_s\": %.0f, \"tokenize_s\": %.3f, "
                       "\"engine_vs_tokenize\": %.2f, "
                       "\"brute_s\": %.2f, \"brute_sample\": %zu, \"brute_scaled\": true, "
                       "\"brute_vs_engine\": %.1f, "
                       "\"grep_s\": %.3f, \"grep_literals\": %zu, \"grep_status\": %d, "
                       "\"grep_hits\": %zu, "
                       "\"read_s\": %.4f, "
                       "\"verified_rule_ratio\": %.5f, \"candidate_rule_ratio\": %.5f, "
                       "\"verified_per_notice\": %.1f, \"candidates_per_notice\": %.1f, "
                       "\"matches_per_notice\": %.1f, "
                       "\"p50_ms\": %.4f, \"p99_ms\": %.4f, \"max_ms\": %.3f, "
                       "\"build_s\": %.3f, \"rebuild_s\": %.3f, \"rss_mb\": %.1f, "
                       "\"diff_pairs\": %zu, \"differences\": %zu, \"cpu\": \"%s\"}\n",
                       ns.n, engine_members(e)->n, engine_rule_count(e), npat,
                       engine_always_count(e), which, (double)ns.text_bytes / 1e6,
                       eng_s, n / eng_s, tok_s, eng_s / tok_s,
                       brute_full, brute_n, brute_full / eng_s,
                       grep_s, nlit, WIFEXITED(gst) ? WEXITSTATUS(gst) : -1, grep_lines,
                       read_s,
                       (double)verified / n / (double)npat, (double)cands / n / (double)npat,
                       (double)verified / n, (double)cands / n, (double)nmatches / n,
                       lat[ns.n / 2] * 1e3, lat[(size_t)(n * 0.99)] * 1e3,
                       lat[ns.n - 1] * 1e3,
                       build_s, rebuild_s, (double)ru.ru_maxrss / 1024.0,
                       pairs, diffs, cpu);
        }
        free(ia);
        free(ib);
        free(lat);
        match_result_done(&res);
        match_result_done(&res2);
        engine_scratch_free(s);
        engine_free(e);
        engine_free(e2);
        notices_free(&ns);
        strv_done(&itl23);
        rare_done(&rw);
        corpus_done(&c);
        free(jpath);
        free(tpath);
        free(lpath);
        free(cpath);
        return bench_consortium() | bench_digest() | (diffs ? 1 : 0);
}
