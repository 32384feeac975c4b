/*
 * consortstore.h — stored consortium suggestions (issue #10 item 4; tables
 * `consortium` and `consortium_member`, daemon/store/schema.c).
 *
 * The match pass (matchstore_run) computes them with the matches: for every
 * open low-value opportunity it evaluates, one `consortium` row holding the
 * suggestion as explain --consortia shows it (consortmatch.h,
 * consort_suggestion_json), with the content hash of the notice and the
 * fingerprint of the register, taxonomy and [consortium] it was computed
 * from.  An opportunity is evaluated again, and its suggestion recomputed,
 * when either changes (a member file edited, a notice amended).  An
 * opportunity that closes, goes over the value cap or turns out to be the
 * other source's record of a tender has its row withdrawn (kept, status
 * 'withdrawn', with the reason), like its matches.
 *
 * For the digest (#11): consortstore_member_each() gives each suggested
 * consortium a member belongs to, with the whole stored suggestion; the set
 * is doc.consortia[rank - 1]: "members" (ids), "lead", "covers"
 * {capability: member}, "score", "reasons" (sentences), "contacts"
 * {member: {"name", "emails"}} — the partners to show and how to reach
 * them.  Only sets of two or more members (a single member covering
 * everything is its match, nothing to add).
 *
 * Never logs; errors come back in struct err.
 */
#ifndef BIDBROKER_CONSORTSTORE_H
#define BIDBROKER_CONSORTSTORE_H

#include <stdbool.h>
#include <stdint.h>

struct err;
struct store;

struct stored_consortia {
        int64_t     opportunity_id;
        const char *verdict;            /* "single", "consortium", "no cover";
                                         * NULL: the notice requires nothing */
        const char *doc;                /* JSON object text (see above) */
        const char *content_hash;       /* of the notice (match_content_hash) */
        const char *fingerprint;        /* consort_fingerprint() when computed */
        const char *status;             /* "active" or "withdrawn" */
        const char *withdrawn_reason;   /* or NULL */
        int64_t     computed;           /* when first computed as it is now */
        int64_t     updated;            /* when last written */
};

/* The stored suggestion of one opportunity into fn (called at most once;
 * the strings live during the call).  -ENOENT: none stored (never matched,
 * or not eligible when it was).  fn's non-zero return is returned. */
typedef int (*consortstore_fn)(const struct stored_consortia *c, void *arg);
int consortstore_get(struct store *st, int64_t opportunity_id, consortstore_fn fn, void *arg,
                     struct err *err);

/* Every active suggested consortium (of 2+ members) that names member:
 * rank 1 is the set proposed first; role "lead" or "partner".  Ordered by
 * opportunity, then rank.  open_only: only notices whose deadline is after
 * now or unknown.  fn returns non-zero to stop (returned).  A store with no
 * consortium table yet: 0, nothing called. */
typedef int (*consortstore_member_fn)(const struct stored_consortia *c, unsigned rank,
                                      const char *role, void *arg);
int consortstore_member_each(struct store *st, const char *member, bool open_only, int64_t now,
                             consortstore_member_fn fn, void *arg, struct err *err);

/* Fairness (docs/consortium.md): for each member of reg (by index), how
 * often it was proposed first (table consortium_proposed) and how many open
 * suggestions it is proposed first in now (rank 1, active, deadline after
 * now or unknown).  Zeros on a store without the tables. */
struct member_register;
int consortstore_load(struct store *st, const struct member_register *reg, int64_t now,
                      double *proposed, long *open, struct err *err);

#endif
