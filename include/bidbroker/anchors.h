/*
 * anchors.h — anchors' API tokens and idempotency keys in the store
 * (daemon/store/anchors.c).  Only a token's hash is stored (anchor_token_hash:
 * BLAKE2b, keyed by nothing: the token itself is 256 random bits).
 */
#ifndef BIDBROKER_ANCHORS_H
#define BIDBROKER_ANCHORS_H

#include <stdbool.h>
#include <stdint.h>

#include "bidbroker/hash.h"

struct err;
struct store;

#define ANCHOR_TOKEN_LEN (4 + 64 + 1)   /* "bbt_", 64 hex digits, NUL */

/* The holder of staff tokens (`token issue --staff`, the /staff dashboard):
 * never an anchor's name, which has no '@'. */
#define ANCHOR_TOKEN_STAFF "@staff"

/* A new random token (libsodium randombytes). */
void anchor_token_new(char out[ANCHOR_TOKEN_LEN]);
void anchor_token_hash(const char *token, char out[HASH_HEX_LEN]);

int anchor_token_add(struct store *s, const char *anchor, const char *hash, int64_t now,
                     struct err *err);
/* Revoke every valid token of anchor; *n how many. */
int anchor_token_revoke(struct store *s, const char *anchor, int64_t now, int64_t *n,
                        struct err *err);
/* The anchor a token hash belongs to (*anchor owned by the caller) and
 * whether it was revoked; -ENOENT for none. */
int anchor_token_find(struct store *s, const char *hash, char **anchor, bool *revoked,
                      struct err *err);
typedef int (*anchor_token_fn)(const char *anchor, int64_t id, int64_t created,
                               int64_t revoked, void *arg);         /* revoked 0: valid */
int anchor_token_each(struct store *s, anchor_token_fn fn, void *arg, struct err *err);

/* An idempotency key seen before: the body's hash and the opportunity it made
 * (*body_hash owned by the caller); -ENOENT for a new key. */
int anchor_post_get(struct store *s, const char *anchor, const char *key, char **body_hash,
                    int64_t *opp_id, struct err *err);
int anchor_post_put(struct store *s, const char *anchor, const char *key,
                    const char *body_hash, int64_t opp_id, struct err *err);

/* An anchor's postings (opportunities of source "anchor:NAME"), newest
 * first: at most limit ids below before (0: from the newest) into *ids
 * (caller frees), *more when older ones remain. */
int anchor_postings(struct store *s, const char *source, int64_t before, size_t limit,
                    int64_t **ids, size_t *n, bool *more, struct err *err);

/* What became of a posting, as counts (never who): members with an active
 * match; members sent it in a digest (table digest_item) and members who
 * said they are interested (table feedback), -1 when this store has no such
 * table yet. */
struct posting_counts {
        int64_t matched;
        int64_t alerted;
        int64_t interested;
};
int anchor_posting_counts(struct store *s, int64_t opp, struct posting_counts *c,
                          struct err *err);

/* Sessions of the /post form: only the hash of the cookie's value is
 * stored, with the hash of the token signed in with.  find gives the
 * session's anchor (*anchor owned by the caller), -ENOENT when there is no
 * such session, it expired or its token was revoked. */
int anchor_session_add(struct store *s, const char *hash, const char *anchor,
                       const char *token_hash, int64_t now, int64_t expires, struct err *err);
int anchor_session_find(struct store *s, const char *hash, int64_t now, char **anchor,
                        struct err *err);
int anchor_session_delete(struct store *s, const char *hash, struct err *err);
/* Forget sessions that expired before now. */
int anchor_session_purge(struct store *s, int64_t now, struct err *err);

#endif
