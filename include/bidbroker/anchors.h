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

#endif
