/*
 * engine_corpus.h — the real fixture notices as material for the engine's
 * differential test and the benchmark: every .json file in tests/fixtures/ocds
 * parsed with ocds_parse(), plus a deterministic random generator.
 */
#ifndef BIDBROKER_ENGINE_CORPUS_H
#define BIDBROKER_ENGINE_CORPUS_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidbroker/err.h"
#include "bidbroker/ocds.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/util.h"

/* splitmix64: a fixed seed gives the same data everywhere. */
struct rng {
        uint64_t s;
};

static inline uint64_t
rng_next(struct rng *r)
{
        uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
}

static inline size_t
rng_below(struct rng *r, size_t n)
{
        return n ? (size_t)(rng_next(r) % n) : 0;
}

static inline bool
rng_chance(struct rng *r, unsigned percent)
{
        return rng_next(r) % 100 < percent;
}

struct corpus {
        struct opportunity *opps;       /* every parsed notice (owned) */
        size_t              n;
        struct strv         words;      /* word tokens of titles/descriptions, in order */
        size_t             *text_end;   /* words index where each text ends */
        size_t              ntexts;
        struct strv         types;      /* distinct words, lower-case, sorted */
        struct strv         cpv;        /* every CPV code seen */
        struct strv         titles, descs, buyers;
};

static int
corpus_name_cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Split text into words (ASCII letters/digits and any non-ASCII bytes). */
static inline void
corpus_add_words(struct corpus *c, const char *text)
{
        const unsigned char *p = (const unsigned char *)text;

        if (text == NULL)
                return;
        while (*p) {
                const unsigned char *st;

                while (*p && !(*p >= 0x80 || (*p >= '0' && *p <= '9') ||
                               ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z')))
                        p++;
                st = p;
                while (*p && (*p >= 0x80 || (*p >= '0' && *p <= '9') ||
                              ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z')))
                        p++;
                if (p > st && p - st < 40)
                        strv_take(&c->words, xstrndup((const char *)st, (size_t)(p - st)));
        }
        c->text_end = xreallocarray(c->text_end, c->ntexts + 1, sizeof(*c->text_end));
        c->text_end[c->ntexts++] = c->words.n;
}

/* Load every fixture notice; 0, or -1 when none could be read. */
static inline int
corpus_load(struct corpus *c, const char *fixtures)
{
        char *dir = xasprintf("%s/ocds", fixtures);
        struct strv names;
        DIR *d;
        struct dirent *de;

        memset(c, 0, sizeof(*c));
        strv_init(&c->words);
        strv_init(&c->types);
        strv_init(&c->cpv);
        strv_init(&c->titles);
        strv_init(&c->descs);
        strv_init(&c->buyers);
        strv_init(&names);
        d = opendir(dir);
        if (d == NULL) {
                free(dir);
                return -1;
        }
        while ((de = readdir(d)) != NULL) {
                size_t l = strlen(de->d_name);

                if (l > 5 && strcmp(de->d_name + l - 5, ".json") == 0)
                        strv_add(&names, de->d_name);
        }
        closedir(d);
        qsort(names.v, names.n, sizeof(*names.v), corpus_name_cmp);
        for (size_t i = 0; i < names.n; i++) {
                char *path = xasprintf("%s/%s", dir, names.v[i]), *data = NULL;
                size_t len = 0;
                struct ocds_page page;
                struct err err = { 0 };

                if (read_file(path, 64u << 20, &data, &len) < 0) {
                        free(path);
                        continue;
                }
                ocds_page_init(&page);
                if (ocds_parse(path, data, len, &page, &err) == 0) {
                        c->opps = xreallocarray(c->opps, c->n + page.n, sizeof(*c->opps));
                        for (size_t k = 0; k < page.n; k++) {
                                struct opportunity *o = &page.opps[k];

                                c->opps[c->n++] = *o;   /* moved */
                                opportunity_init(o);
                        }
                }
                ocds_page_done(&page);
                free(data);
                free(path);
        }
        strv_done(&names);
        free(dir);
        for (size_t i = 0; i < c->n; i++) {
                const struct opportunity *o = &c->opps[i];

                corpus_add_words(c, o->title);
                corpus_add_words(c, o->description);
                if (o->title && o->title[0])
                        strv_add(&c->titles, o->title);
                if (o->description && o->description[0])
                        strv_add(&c->descs, o->description);
                if (o->buyer_name && o->buyer_name[0])
                        strv_add(&c->buyers, o->buyer_name);
                for (size_t k = 0; k < o->cpv.n; k++)
                        strv_add_unique(&c->cpv, o->cpv.v[k]);
        }
        for (size_t i = 0; i < c->words.n; i++) {
                char *w = xstrdup(c->words.v[i]);

                for (char *p = w; *p; p++)
                        if (*p >= 'A' && *p <= 'Z')
                                *p = (char)(*p + 32);
                strv_take(&c->types, w);
        }
        strv_sort(&c->types);
        {
                size_t u = 0;

                for (size_t i = 0; i < c->types.n; i++) {
                        if (u && strcmp(c->types.v[u - 1], c->types.v[i]) == 0)
                                free(c->types.v[i]);
                        else
                                c->types.v[u++] = c->types.v[i];
                }
                c->types.n = u;
        }
        return c->n ? 0 : -1;
}

static inline void
corpus_done(struct corpus *c)
{
        for (size_t i = 0; i < c->n; i++)
                opportunity_done(&c->opps[i]);
        free(c->opps);
        strv_done(&c->words);
        strv_done(&c->types);
        free(c->text_end);
        strv_done(&c->cpv);
        strv_done(&c->titles);
        strv_done(&c->descs);
        strv_done(&c->buyers);
        memset(c, 0, sizeof(*c));
}

/* n consecutive words of one text, joined by sep; NULL if none fits. */
static inline char *
corpus_phrase(const struct corpus *c, struct rng *r, size_t n, const char *sep)
{
        for (int tries = 0; tries < 20 && c->words.n; tries++) {
                size_t i = rng_below(r, c->words.n), t = 0, hi = c->ntexts;
                struct buf b;

                /* the text holding word i: the first with text_end > i */
                while (t < hi) {
                        size_t mid = (t + hi) / 2;

                        if (c->text_end[mid] <= i)
                                t = mid + 1;
                        else
                                hi = mid;
                }
                if (t >= c->ntexts || i + n > c->text_end[t])
                        continue;
                buf_init(&b);
                for (size_t k = 0; k < n; k++) {
                        if (k)
                                buf_adds(&b, sep);
                        buf_adds(&b, c->words.v[i + k]);
                }
                return buf_steal(&b);
        }
        return NULL;
}

static inline const char *
corpus_word(const struct corpus *c, struct rng *r)
{
        return c->words.n ? c->words.v[rng_below(r, c->words.n)] : "cleaning";
}

#endif
