/*
 * dkim.c — DKIM signatures (RFC 6376) with relaxed/relaxed canonicalisation:
 * ed25519-sha256 (RFC 8463) with libsodium, rsa-sha256 with OpenSSL.
 *
 * What verifiers accept (../shared/tools/MAIL-NOTES.md, tested with dkimpy):
 * Ed25519 signs SHA-256(header hash input), 32 bytes, with the one-shot
 * PureEdDSA crypto_sign_detached (never the multi-part API: that is
 * Ed25519ph); the DKIM-Signature field is hashed exactly as emitted, folds
 * included, b= empty, without its final CRLF; folds go only where whitespace
 * may be (after ';', after ':' in h=, inside b=).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "bidbroker/dkim.h"
#include "bidbroker/err.h"
#include "bidbroker/util.h"

#define KEY_FILE_MAX 16384

struct dkim_key {
        enum dkim_alg  alg;
        char          *domain, *selector;
        unsigned char  sk[crypto_sign_SECRETKEYBYTES];  /* Ed25519: seed || pk */
        EVP_PKEY      *pkey;                            /* RSA */
        EVP_MD_CTX    *md;      /* RSA: signing set up once (EVP_DigestSignInit);
                                 * each message signs with a copy of it */
};

/* the signed header fields, in h= order; the bottom-most instance of each */
static const char *const signed_fields[] = {
        "From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type",
        "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post",
};

static bool
is_wsp(char c)
{
        return c == ' ' || c == '\t';
}

/* ---- canonicalisation ------------------------------------------------------ */

/* whitespace in a header field's value: WSP and the CRLF of a fold */
static bool
is_fold_space(char c)
{
        return is_wsp(c) || c == '\r' || c == '\n';
}

void
dkim_canon_header(const char *field, size_t len, struct buf *out)
{
        const char *colon = memchr(field, ':', len);
        size_t i, nlen, start;
        bool space = false, any = false;

        if (!colon)
                return;
        nlen = (size_t)(colon - field);
        while (nlen > 0 && (is_wsp(field[nlen - 1]) || field[nlen - 1] == '\r' ||
                            field[nlen - 1] == '\n'))
                nlen--;
        for (i = 0; i < nlen; i++)
                buf_addc(out, (char)tolower((unsigned char)field[i]));
        buf_addc(out, ':');
        start = (size_t)(colon - field) + 1;
        /* the value in runs of non-whitespace, one space between them */
        for (i = start; i < len; ) {
                size_t j = i;

                while (j < len && !is_fold_space(field[j]))
                        j++;
                if (j > i) {
                        if (space)
                                buf_addc(out, ' ');
                        buf_add(out, field + i, j - i);
                        any = true;
                }
                while (j < len && is_fold_space(field[j]))
                        j++;
                space = any;    /* leading whitespace dropped */
                i = j;
        }
}

/*
 * The body is canonicalised in spans: a line with no tab, no run of spaces and
 * no space at its end is already canonical, and so are the empty lines between
 * two lines with text.  Canonical bytes go to a sink (a buffer, or the
 * SHA-256 of bh=) and spans that follow each other in the body are passed on
 * as one, so a plain body is one copy or one hash update, not a call per byte.
 */
struct canon_sink {
        struct buf *out;        /* dkim_canon_body */
        EVP_MD_CTX *md;         /* or the body hash */
        const char *p;          /* body bytes not passed on yet */
        size_t      n;
        bool        failed;     /* EVP_DigestUpdate failed */
};

static void
sink_write(struct canon_sink *s, const char *p, size_t n)
{
        if (n == 0)
                return;
        if (s->out)
                buf_add(s->out, p, n);
        else if (EVP_DigestUpdate(s->md, p, n) != 1)
                s->failed = true;
}

static void
sink_flush(struct canon_sink *s)
{
        sink_write(s, s->p, s->n);
        s->n = 0;
}

/* bytes of the body itself: joined to the pending span when they follow it */
static void
sink_body(struct canon_sink *s, const char *p, size_t n)
{
        if (s->n > 0 && s->p + s->n == p) {
                s->n += n;
                return;
        }
        sink_flush(s);
        s->p = p;
        s->n = n;
}

/* bytes that are not in the body (a space for a run, a CRLF it lacks) */
static void
sink_other(struct canon_sink *s, const char *p, size_t n)
{
        sink_flush(s);
        sink_write(s, p, n);
}

/* The end of the line at p: its CR of a CRLF, or end. */
static const char *
line_end(const char *p, const char *end)
{
        while (p < end) {
                const char *cr = memchr(p, '\r', (size_t)(end - p));

                if (cr == NULL)
                        break;
                if (cr + 1 < end && cr[1] == '\n')
                        return cr;
                p = cr + 1;
        }
        return end;
}

/* No tab, no run of spaces, no space at its end, not empty: canonical as is. */
static bool
line_plain(const char *p, const char *eol)
{
        if (p == eol || eol[-1] == ' ')
                return false;
        for (const char *q = p; q < eol; q++)
                if (*q == '\t' || (*q == ' ' && q[1] == ' '))
                        return false;
        return true;
}

/* A line with text (not only whitespace) [p, eol): runs of WSP as one space,
 * the WSP at its end dropped. */
static void
canon_line(const char *p, const char *eol, struct canon_sink *s)
{
        while (p < eol) {
                const char *w = p, *r;

                while (w < eol && !is_wsp(*w))
                        w++;
                if (w > p)
                        sink_body(s, p, (size_t)(w - p));
                for (r = w; r < eol && is_wsp(*r); r++)
                        ;
                if (r == eol)
                        break;
                if (r - w == 1 && *w == ' ')
                        sink_body(s, w, 1);
                else if (r > w)
                        sink_other(s, " ", 1);
                p = r;
        }
}

static void
canon_body(const char *body, size_t len, struct canon_sink *s)
{
        const char *p = body, *end = body + len, *held = NULL;
        size_t empty = 0;               /* empty lines held back from held on */
        bool held_plain = true;         /* ... all of them bare CRLFs */

        while (p < end) {
                const char *eol = line_end(p, end);
                const char *next = eol < end ? eol + 2 : end;
                const char *q = p;

                while (q < eol && is_wsp(*q))
                        q++;
                if (q == eol) {         /* empty: written only if text follows */
                        if (empty++ == 0) {
                                held = p;
                                held_plain = true;
                        }
                        held_plain = held_plain && eol == p;
                        p = next;
                        continue;
                }
                if (empty > 0 && held_plain) {
                        sink_body(s, held, 2 * empty);
                } else {
                        for (size_t k = 0; k < empty; k++)
                                sink_other(s, "\r\n", 2);
                }
                empty = 0;
                if (line_plain(p, eol))
                        sink_body(s, p, (size_t)(eol - p));
                else
                        canon_line(p, eol, s);
                if (eol < end)
                        sink_body(s, eol, 2);
                else
                        sink_other(s, "\r\n", 2);
                p = next;
        }
        sink_flush(s);
}

void
dkim_canon_body(const char *body, size_t len, struct buf *out)
{
        struct canon_sink s = { .out = out };

        canon_body(body, len, &s);
}

/* ---- keys ------------------------------------------------------------------ */

static void
ossl_error(struct err *e, int code, const char *what)
{
        char msg[256];
        unsigned long l = ERR_get_error();

        if (l)
                ERR_error_string_n(l, msg, sizeof msg);
        else
                snprintf(msg, sizeof msg, "unknown error");
        ERR_clear_error();
        err_set(e, code, "%s: %s", what, msg);
}

/* no passphrase prompts: an encrypted PEM is refused */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
        (void)buf, (void)size, (void)rwflag, (void)u;
        return -1;
}

static bool
name_ok(const char *s)
{
        if (!s || !*s || strlen(s) > 253)
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char)*s) && *s != '.' && *s != '-' && *s != '_')
                        return false;
        return true;
}

/* Read a private key file, refusing one that group or others can read. */
static int
read_key_file(const char *path, unsigned char *data, size_t *len, struct err *e)
{
        struct stat sb;
        size_t n = 0;
        int fd, r = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return err_set(e, -errno, "%s: %s", path, strerror(errno));
        if (fstat(fd, &sb) < 0) {
                r = err_set(e, -errno, "%s: %s", path, strerror(errno));
                goto out;
        }
        if (!S_ISREG(sb.st_mode)) {
                r = err_set(e, -EINVAL, "%s: not a regular file", path);
                goto out;
        }
        if (sb.st_mode & (S_IRWXG | S_IRWXO)) {
                r = err_set(e, -EPERM, "%s: private key is accessible by group or others "
                            "(mode %04o); chmod 600 it", path, (unsigned)(sb.st_mode & 07777));
                goto out;
        }
        for (;;) {
                ssize_t got = read(fd, data + n, KEY_FILE_MAX - n);

                if (got < 0 && errno == EINTR)
                        continue;
                if (got < 0) {
                        r = err_set(e, -errno, "%s: %s", path, strerror(errno));
                        goto out;
                }
                if (got == 0)
                        break;
                n += (size_t)got;
                if (n == KEY_FILE_MAX) {
                        r = err_set(e, -EFBIG, "%s: too large for a private key", path);
                        goto out;
                }
        }
        *len = n;
out:
        close(fd);
        return r;
}

/* PEM: Ed25519 (seed kept for libsodium) or RSA of at least DKIM_RSA_BITS */
static int
load_pem(struct dkim_key *k, const char *path, const unsigned char *data, size_t len,
         struct err *e)
{
        BIO *bio = BIO_new_mem_buf(data, (int)len);
        EVP_PKEY *pkey = NULL;
        unsigned char seed[crypto_sign_SEEDBYTES], pk[crypto_sign_PUBLICKEYBYTES];
        size_t slen = sizeof seed;
        int r = 0;

        if (!bio)
                return err_set(e, -ENOMEM, "%s: out of memory", path);
        pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
        if (!pkey) {
                char what[300];

                snprintf(what, sizeof what, "%s: not a readable (unencrypted) PEM private key",
                         path);
                ossl_error(e, -EINVAL, what);
                r = -EINVAL;
                goto out;
        }
        switch (EVP_PKEY_get_base_id(pkey)) {
        case EVP_PKEY_ED25519:
                if (EVP_PKEY_get_raw_private_key(pkey, seed, &slen) != 1 ||
                    slen != sizeof seed) {
                        r = err_set(e, -EINVAL, "%s: cannot read the Ed25519 key", path);
                        goto out;
                }
                crypto_sign_seed_keypair(pk, k->sk, seed);
                k->alg = DKIM_ED25519;
                break;
        case EVP_PKEY_RSA:
                if (EVP_PKEY_get_bits(pkey) < DKIM_RSA_BITS) {
                        r = err_set(e, -EINVAL, "%s: RSA key of %d bits; DKIM needs at least %d",
                                    path, EVP_PKEY_get_bits(pkey), DKIM_RSA_BITS);
                        goto out;
                }
                k->alg = DKIM_RSA;
                k->pkey = pkey;
                pkey = NULL;
                k->md = EVP_MD_CTX_new();
                if (k->md == NULL ||
                    EVP_DigestSignInit(k->md, NULL, EVP_sha256(), NULL, k->pkey) != 1) {
                        ossl_error(e, -EIO, "DKIM: setting up RSA signing");
                        r = -EIO;
                        goto out;
                }
                break;
        default:
                r = err_set(e, -EINVAL, "%s: neither an Ed25519 nor an RSA key", path);
                goto out;
        }
out:
        sodium_memzero(seed, sizeof seed);
        EVP_PKEY_free(pkey);
        BIO_free(bio);
        return r;
}

int
dkim_key_load(const char *path, const char *domain, const char *selector,
              struct dkim_key **ret, struct err *e)
{
        unsigned char *data = xmalloc(KEY_FILE_MAX);
        unsigned char seed[crypto_sign_SEEDBYTES + 1], pk[crypto_sign_PUBLICKEYBYTES];
        struct dkim_key *k = xcalloc(1, sizeof *k);
        size_t len = 0, slen = 0;
        int r;

        *ret = NULL;
        if (!name_ok(domain) || !name_ok(selector)) {
                r = err_set(e, -EINVAL, "%s: bad DKIM domain or selector", path);
                goto out;
        }
        k->domain = xstrdup(domain);
        k->selector = xstrdup(selector);
        r = read_key_file(path, data, &len, e);
        if (r < 0)
                goto out;
        if (len >= 10 && memcmp(data, "-----BEGIN", 10) == 0) {
                r = load_pem(k, path, data, len, e);
        } else if (sodium_base642bin(seed, sizeof seed, (const char *)data, len, " \t\r\n",
                                     &slen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
                   slen != crypto_sign_SEEDBYTES) {
                r = err_set(e, -EINVAL, "%s: neither a PEM private key nor the base64 of a "
                            "32-byte Ed25519 seed", path);
        } else {
                crypto_sign_seed_keypair(pk, k->sk, seed);
                k->alg = DKIM_ED25519;
        }
out:
        sodium_memzero(seed, sizeof seed);
        sodium_memzero(data, KEY_FILE_MAX);
        free(data);
        if (r < 0) {
                dkim_key_free(k);
                return r;
        }
        *ret = k;
        return 0;
}

void
dkim_key_free(struct dkim_key *k)
{
        if (!k)
                return;
        sodium_memzero(k->sk, sizeof k->sk);
        EVP_MD_CTX_free(k->md);
        EVP_PKEY_free(k->pkey);
        free(k->domain);
        free(k->selector);
        free(k);
}

enum dkim_alg
dkim_key_alg(const struct dkim_key *k)
{
        return k->alg;
}

static char *
b64(const unsigned char *bin, size_t len)
{
        size_t n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
        char *s = xmalloc(n);

        sodium_bin2base64(s, n, bin, len, sodium_base64_VARIANT_ORIGINAL);
        return s;
}

static int
keygen_rsa(char **ret_file, char **ret_p, struct err *e)
{
        EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)DKIM_RSA_BITS);
        BIO *bio = NULL;
        unsigned char *der = NULL;
        char *mem;
        long mlen;
        int dlen, r = 0;

        if (!pkey) {
                ossl_error(e, -EIO, "RSA key generation");
                return -EIO;
        }
        bio = BIO_new(BIO_s_secmem());
        if (!bio || PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) != 1) {
                ossl_error(e, -EIO, "writing the RSA key");
                r = -EIO;
                goto out;
        }
        mlen = BIO_get_mem_data(bio, &mem);
        dlen = i2d_PUBKEY(pkey, &der);
        if (mlen <= 0 || dlen <= 0) {
                ossl_error(e, -EIO, "encoding the RSA key");
                r = -EIO;
                goto out;
        }
        *ret_file = xstrndup(mem, (size_t)mlen);
        *ret_p = b64(der, (size_t)dlen);
out:
        OPENSSL_free(der);
        BIO_free(bio);          /* secure memory: cleared when freed */
        EVP_PKEY_free(pkey);
        return r;
}

int
dkim_keygen(enum dkim_alg alg, char **ret_file, char **ret_p, struct err *e)
{
        unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
        char *seed;
        size_t n;

        *ret_file = *ret_p = NULL;
        if (alg == DKIM_RSA)
                return keygen_rsa(ret_file, ret_p, e);
        crypto_sign_keypair(pk, sk);
        seed = b64(sk, crypto_sign_SEEDBYTES);
        sodium_memzero(sk, sizeof sk);
        n = strlen(seed);
        *ret_file = xmalloc(n + 2);
        memcpy(*ret_file, seed, n);
        memcpy(*ret_file + n, "\n", 2);
        sodium_memzero(seed, n);
        free(seed);
        *ret_p = b64(pk, sizeof pk);
        return 0;
}

char *
dkim_txt_record(enum dkim_alg alg, const char *p)
{
        return xasprintf("v=DKIM1; k=%s; p=%s", alg == DKIM_RSA ? "rsa" : "ed25519", p);
}

/* ---- signing --------------------------------------------------------------- */

struct field {
        const char *p;
        size_t      len;        /* without the final CRLF */
};

/* The header fields of msg (up to the empty line); returns the body offset. */
static size_t
split_header(const char *msg, size_t len, struct field **ret, size_t *n)
{
        struct field *f = NULL;
        size_t pos = 0, cap = 0;

        *n = 0;
        while (pos < len) {
                const char *crlf = memmem(msg + pos, len - pos, "\r\n", 2);
                size_t llen = crlf ? (size_t)(crlf - (msg + pos)) : len - pos;
                size_t next = pos + llen + (crlf ? 2 : 0);

                if (llen == 0) {        /* the empty line */
                        pos = next;
                        break;
                }
                if (is_wsp(msg[pos]) && *n > 0) {
                        f[*n - 1].len = pos + llen - (size_t)(f[*n - 1].p - msg);
                } else {
                        if (*n == cap) {
                                cap = cap ? cap * 2 : 16;
                                f = xreallocarray(f, cap, sizeof *f);
                        }
                        f[*n].p = msg + pos;
                        f[(*n)++].len = llen;
                }
                pos = next;
        }
        *ret = f;
        return pos;
}

static bool
field_is(const struct field *f, const char *name)
{
        size_t nl = strlen(name);

        return f->len > nl && strncasecmp(f->p, name, nl) == 0 &&
               (f->p[nl] == ':' || is_wsp(f->p[nl]));
}

/* Append s to the field being built, folding before it when the line would
 * pass 76 columns (only where whitespace is allowed: the caller says). */
static void
add_folded(struct buf *out, size_t *col, const char *s, bool may_fold)
{
        size_t n = strlen(s);

        if (may_fold && *col + n > 76) {
                buf_adds(out, "\r\n ");
                *col = 1;
        }
        buf_adds(out, s);
        *col += n;
}

/* What every signature of one message shares: its header fields and the
 * hash of its canonical body (bh=), worked out once. */
struct signing {
        struct field *f;
        size_t        nf;
        char         *bh64;
};

static int
signing_init(struct signing *sg, const char *msg, size_t len, struct err *e)
{
        unsigned char bh[EVP_MAX_MD_SIZE];
        unsigned int bhlen = 0;
        struct canon_sink s = { 0 };
        size_t body;
        int r = 0;

        sg->f = NULL;
        sg->bh64 = NULL;
        body = split_header(msg, len, &sg->f, &sg->nf);
        /* OpenSSL's SHA-256 (SHA extensions, AVX2) over the canonical body as
         * it is produced: no copy of the body */
        s.md = EVP_MD_CTX_new();
        if (s.md == NULL || EVP_DigestInit_ex(s.md, EVP_sha256(), NULL) != 1) {
                r = -ENOMEM;
                goto out;
        }
        canon_body(msg + body, len - body, &s);
        if (s.failed || EVP_DigestFinal_ex(s.md, bh, &bhlen) != 1 || bhlen != 32) {
                r = -EIO;
                goto out;
        }
        sg->bh64 = b64(bh, bhlen);
out:
        if (r < 0)
                ossl_error(e, r, "DKIM: body hash");
        EVP_MD_CTX_free(s.md);
        return r;
}

static void
signing_done(struct signing *sg)
{
        free(sg->f);
        free(sg->bh64);
}

static int
sign_one(const struct dkim_key *k, const struct signing *sg, int64_t t, char **ret,
         struct err *e)
{
        const struct field *f = sg->f;
        struct buf sigf, hin;
        unsigned char hash[crypto_hash_sha256_BYTES];
        unsigned char sig[512];
        size_t nf = sg->nf, siglen = 0, col, i;
        char *b64sig = NULL, tmp[600];
        EVP_MD_CTX *md = NULL;
        bool first = true, from = false;
        int r = 0;

        *ret = NULL;
        buf_init(&sigf);
        buf_init(&hin);

        buf_printf(&sigf, "DKIM-Signature: v=1; a=%s; c=relaxed/relaxed; d=%s; s=%s;",
                   k->alg == DKIM_RSA ? "rsa-sha256" : "ed25519-sha256", k->domain,
                   k->selector);
        buf_printf(&sigf, "\r\n t=%lld; h=", (long long)t);
        col = 4 + (size_t)snprintf(NULL, 0, "%lld", (long long)t) + 5;
        for (i = 0; i < ARRAY_SIZE(signed_fields); i++) {
                size_t j = nf;

                while (j > 0 && !field_is(&f[j - 1], signed_fields[i]))
                        j--;
                if (j == 0)
                        continue;
                from |= i == 0;
                dkim_canon_header(f[j - 1].p, f[j - 1].len, &hin);
                buf_add(&hin, "\r\n", 2);
                snprintf(tmp, sizeof tmp, "%s", signed_fields[i]);
                for (char *c = tmp; *c; c++)
                        *c = (char)tolower((unsigned char)*c);
                /* fold only after a ':' */
                if (!first) {
                        buf_addc(&sigf, ':');
                        col++;
                }
                add_folded(&sigf, &col, tmp, !first);
                first = false;
        }
        if (!from) {
                r = err_set(e, -EINVAL, "DKIM: the message has no From field");
                goto out;
        }
        buf_printf(&sigf, ";\r\n bh=%s;\r\n b=", sg->bh64);
        dkim_canon_header(sigf.data, sigf.len, &hin);

        if (k->alg == DKIM_ED25519) {
                crypto_hash_sha256(hash, (const unsigned char *)hin.data, hin.len);
                crypto_sign_detached(sig, NULL, hash, sizeof hash, k->sk);
                siglen = crypto_sign_BYTES;
        } else {
                siglen = sizeof sig;
                md = EVP_MD_CTX_new();
                if (md == NULL || EVP_MD_CTX_copy_ex(md, k->md) != 1) {
                        ossl_error(e, -EIO, "DKIM: RSA signing");
                        r = -EIO;
                        goto out;
                }
                /* the copy is used once: its final step need not copy it again */
                EVP_MD_CTX_set_flags(md, EVP_MD_CTX_FLAG_FINALISE);
                if (EVP_DigestSign(md, sig, &siglen, (const unsigned char *)hin.data,
                                   hin.len) != 1) {
                        ossl_error(e, -EIO, "DKIM: RSA signing");
                        r = -EIO;
                        goto out;
                }
        }
        b64sig = b64(sig, siglen);
        /* b= folded inside its value: verifiers strip whitespace there */
        col = 3;
        for (const char *p = b64sig, *end = p + strlen(p); p < end; ) {
                size_t n;

                if (col >= 76) {
                        buf_adds(&sigf, "\r\n ");
                        col = 1;
                }
                n = (size_t)(end - p) < 76 - col ? (size_t)(end - p) : 76 - col;
                buf_add(&sigf, p, n);
                p += n;
                col += n;
        }
        buf_adds(&sigf, "\r\n");
        *ret = buf_steal(&sigf);
out:
        EVP_MD_CTX_free(md);
        free(b64sig);
        buf_done(&sigf);
        buf_done(&hin);
        return r;
}

int
dkim_sign(const struct dkim_key *k, const char *msg, size_t len, int64_t t,
          char **ret, struct err *e)
{
        struct signing sg;
        int r = signing_init(&sg, msg, len, e);

        *ret = NULL;
        if (r == 0)
                r = sign_one(k, &sg, t, ret, e);
        signing_done(&sg);
        return r;
}

int
dkim_sign_all(struct dkim_key *const *keys, size_t n, const char *msg, size_t len,
              int64_t t, struct buf *out, struct err *e)
{
        struct signing sg;
        int r = signing_init(&sg, msg, len, e);

        for (size_t i = 0; i < n && r == 0; i++) {
                char *sig = NULL;

                if ((r = sign_one(keys[i], &sg, t, &sig, e)) == 0)
                        buf_adds(out, sig);
                free(sig);
        }
        signing_done(&sg);
        return r;
}
