/*
 * hash.h — BLAKE2b-256 (libsodium) over a canonical, unambiguous
 * serialisation: every value is tagged, strings and lists are
 * length-prefixed, NULL differs from "".  Used for the store's content hash,
 * the matcher's content hash and the configuration fingerprint.
 * Changing the encoding changes every stored hash: don't, or bump the
 * domain string of the user.
 */
#ifndef BIDBROKER_HASH_H
#define BIDBROKER_HASH_H

#include <sodium.h>
#include <stdint.h>

struct strv;

#define HASH_BYTES   32                 /* BLAKE2b-256 */
#define HASH_HEX_LEN (HASH_BYTES * 2 + 1) /* its hex digits and a NUL: 65 */

struct hasher {
        crypto_generichash_state st;
};

void hasher_init(struct hasher *h, const char *domain);
void hasher_str(struct hasher *h, const char *s);
void hasher_int(struct hasher *h, int64_t v);
void hasher_num(struct hasher *h, double v);
void hasher_strv(struct hasher *h, const struct strv *v);
/* Finish and write the digest as hex; h is spent. */
void hasher_hex(struct hasher *h, char out[HASH_HEX_LEN]);
/* The hex digest of one string under domain (init, str, hex). */
void hash_str_hex(const char *domain, const char *s, char out[HASH_HEX_LEN]);

#endif
