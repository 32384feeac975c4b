/*
 * dkim.h — DKIM signing (RFC 6376): relaxed/relaxed canonicalisation,
 * ed25519-sha256 (RFC 8463, libsodium) and rsa-sha256 (OpenSSL libcrypto).
 *
 * A message is signed once per key; a digest carries two signatures (Ed25519
 * and RSA 2048) so receivers that do not check Ed25519 still see a valid one.
 * Private key files (README, [dkim]):
 *   - Ed25519: the base64 of the raw 32-byte seed on one line (what dkimpy's
 *     dknewkey writes; `bidbroker keygen` writes this), or a PKCS#8 PEM
 *     ("-----BEGIN PRIVATE KEY-----", `openssl genpkey -algorithm ed25519`);
 *   - RSA: a PEM private key (PKCS#8 or PKCS#1), at least 2048 bits.
 * A key file readable by group or others is refused.  Key bytes are wiped
 * (sodium_memzero / OPENSSL_cleanse) once loaded and when the key is freed.
 */
#ifndef BIDBROKER_DKIM_H
#define BIDBROKER_DKIM_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct err;

enum dkim_alg { DKIM_ED25519, DKIM_RSA };

#define DKIM_RSA_BITS 2048

struct dkim_key;        /* opaque: the private key, its domain and selector */

/* Load a private key file for signing as d=domain, s=selector. */
int dkim_key_load(const char *path, const char *domain, const char *selector,
                  struct dkim_key **ret, struct err *e);
void dkim_key_free(struct dkim_key *k);     /* wipes the key; NULL is fine */
enum dkim_alg dkim_key_alg(const struct dkim_key *k);

/*
 * Sign msg (len bytes, CRLF line ends, headers then an empty line then the
 * body) at time t.  *ret is the whole "DKIM-Signature: ..." field, folded,
 * ending in CRLF, to be put in front of the message; the caller frees it.
 * h= lists the present ones of From, To, Subject, Date, Message-ID,
 * MIME-Version, Content-Type, List-Id, List-Unsubscribe, List-Unsubscribe-Post
 * (the bottom-most instance of each).
 */
int dkim_sign(const struct dkim_key *k, const char *msg, size_t len, int64_t t,
              char **ret, struct err *e);
/* The signature fields of every key in keys, in that order, appended to out
 * (to be put in front of the message): the body is canonicalised and hashed
 * once for all of them. */
int dkim_sign_all(struct dkim_key *const *keys, size_t n, const char *msg, size_t len,
                  int64_t t, struct buf *out, struct err *e);

/* Make a new key: *ret_file is the private key file's text (see above),
 * *ret_p the DNS p= value (base64 of the raw Ed25519 public key, or of the
 * RSA SubjectPublicKeyInfo DER).  The caller frees both (wipe ret_file). */
int dkim_keygen(enum dkim_alg alg, char **ret_file, char **ret_p, struct err *e);

/* The DNS TXT record text for a key: "v=DKIM1; k=ed25519; p=..." */
char *dkim_txt_record(enum dkim_alg alg, const char *p);

/* Relaxed canonicalisation (RFC 6376 3.4.2, 3.4.4), exposed for the tests:
 * one header field (name, colon, value with its folds, no final CRLF
 * needed) appended as "name:value" without CRLF; a body appended whole. */
void dkim_canon_header(const char *field, size_t len, struct buf *out);
void dkim_canon_body(const char *body, size_t len, struct buf *out);

#endif
