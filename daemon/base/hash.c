/* hash.c — canonical BLAKE2b-256 hashing (see include/bidbroker/hash.h). */
#include <stdio.h>
#include <string.h>

#include "bidbroker/hash.h"
#include "bidbroker/util.h"

enum { TAG_NULL = 0, TAG_STR = 1, TAG_INT = 2, TAG_LIST = 3, TAG_NUM = 4 };

static void
put_bytes(struct hasher *h, const void *p, size_t n)
{
        crypto_generichash_update(&h->st, p, n);
}

static void
put_u64(struct hasher *h, uint64_t v)
{
        unsigned char b[8];

        for (int i = 0; i < 8; i++)
                b[i] = (unsigned char)(v >> (8 * i));
        put_bytes(h, b, sizeof(b));
}

static void
put_tag(struct hasher *h, unsigned char tag)
{
        put_bytes(h, &tag, 1);
}

void
hasher_init(struct hasher *h, const char *domain)
{
        /* sodium_init() is the documented first call (cheap after the first
         * time); BLAKE2b itself needs no CPU detection, so a failure (which
         * it cannot really have here) changes nothing */
        if (sodium_init() < 0)
                memset(&h->st, 0, sizeof(h->st));
        crypto_generichash_init(&h->st, NULL, 0, HASH_BYTES);
        put_bytes(h, domain, strlen(domain) + 1);
}

void
hasher_str(struct hasher *h, const char *s)
{
        if (s == NULL) {
                put_tag(h, TAG_NULL);
                return;
        }
        put_tag(h, TAG_STR);
        put_u64(h, strlen(s));
        put_bytes(h, s, strlen(s));
}

void
hasher_int(struct hasher *h, int64_t v)
{
        put_tag(h, TAG_INT);
        put_u64(h, (uint64_t)v);
}

void
hasher_num(struct hasher *h, double v)
{
        char tmp[64];
        int n = snprintf(tmp, sizeof(tmp), "%.17g", v);

        put_tag(h, TAG_NUM);
        put_bytes(h, tmp, (size_t)n);
}

void
hasher_strv(struct hasher *h, const struct strv *v)
{
        put_tag(h, TAG_LIST);
        put_u64(h, v->n);
        for (size_t i = 0; i < v->n; i++)
                hasher_str(h, v->v[i]);
}

void
hasher_hex(struct hasher *h, char out[HASH_HEX_LEN])
{
        unsigned char md[HASH_BYTES];

        crypto_generichash_final(&h->st, md, sizeof(md));
        sodium_bin2hex(out, HASH_HEX_LEN, md, sizeof(md));
}

void
hash_str_hex(const char *domain, const char *s, char out[HASH_HEX_LEN])
{
        struct hasher h;

        hasher_init(&h, domain);
        hasher_str(&h, s);
        hasher_hex(&h, out);
}
