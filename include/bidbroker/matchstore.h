/*
 * matchstore.h — stored match results (table `match`, with `match_run`
 * recording when each opportunity was last evaluated; migration 2 in
 * daemon/store/schema.c) and the matching pass over the store that fills them.
 *
 * A match row is one (opportunity, member) pair: score, kind ("single"),
 * reasons as a JSON array, the content hash of the opportunity's matching
 * fields at match time, the engine fingerprint (matchconf.h), first_matched
 * and updated.  Matches that stop holding are marked withdrawn (with the
 * reason), not deleted: first_matched survives a withdrawal and a return,
 * so a digest never announces the same match twice.
 *
 * Never logs; errors come back in struct err.
 */
#ifndef BIDBROKER_MATCHSTORE_H
#define BIDBROKER_MATCHSTORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bidbroker/hash.h"

struct consort_opts;
struct engine;
struct err;
struct filter;
struct opportunity;
struct reason;
struct store;

/* BLAKE2b-256 (hex) of the fields of o that matching reads: title,
 * description, buyer, lots, items, CPV, regions, anywhere, postcodes, value,
 * suitability.  An opportunity whose hash changed is matched again. */
void match_content_hash(const struct opportunity *o, char out[HASH_HEX_LEN]);

/* [{"kind", "capability", "rule", "field", "matched", "weight"}, ...] (kind
 * is reason_kind_name() of engine.h): a new reference owned by the caller. */
json_t *reasons_to_json(const struct reason *r, size_t n);

struct match_counts {
        size_t considered;      /* opportunities looked at */
        size_t eligible;        /* of those, open and low value (the filter) */
        size_t evaluated;       /* run through the engine (new or changed) */
        size_t skipped;         /* same content and engine as last time */
        size_t added;           /* new match rows (or withdrawn ones back) */
        size_t changed;         /* score or reasons changed */
        size_t unchanged;
        size_t withdrawn;       /* no longer hold */
        size_t duplicates;      /* of those considered, the other source's record of
                                 * a tender stored twice (links.h): not matched */
        size_t consortia;       /* consortium suggestions computed and stored */
};

/*
 * Match the stored opportunities (those whose latest release is dated since
 * or later; TIME_UNKNOWN: all) and bring the match table up to date, in one
 * transaction.  An opportunity the filter rejects at now has its active
 * matches withdrawn ("closed", "over the value cap", ...); so has a
 * duplicate (links.h: "same tender as N"), matched as its canonical record.
 * co non-NULL: each evaluated eligible opportunity's consortium suggestion
 * is computed and stored too (consortstore.h), and one whose stored
 * suggestion is missing or from another configuration is evaluated again.
 */
int matchstore_run(struct store *st, const struct engine *e, const char *fingerprint,
                   const struct consort_opts *co, const struct filter *f, int64_t now,
                   int64_t since, struct match_counts *counts, struct err *err);

struct stored_match {
        int64_t     opportunity_id;
        const char *member;
        const char *kind;
        double      score;
        const char *reasons;            /* JSON array text */
        const char *content_hash;
        const char *fingerprint;
        const char *status;             /* "active" or "withdrawn" */
        const char *withdrawn_reason;   /* or NULL */
        int64_t     first_matched;
        int64_t     updated;
};

/* Stored matches, by member then score (descending); member NULL: all;
 * withdrawn ones too when all.  fn returns non-zero to stop.  -ENOENT when
 * the store has no match table yet (nothing was ever matched). */
typedef int (*matchstore_each_fn)(const struct stored_match *m, void *arg);
int matchstore_each(struct store *st, const char *member, bool all,
                    matchstore_each_fn fn, void *arg, struct err *err);

#endif
