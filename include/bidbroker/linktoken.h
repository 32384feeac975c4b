/*
 * linktoken.h — signed links in digests.
 *
 * A digest carries links a member acts on without signing in: "interested",
 * "not relevant" for one opportunity, and "unsubscribe".  Each link holds a
 * token: (member, opportunity, action, expiry) and a MAC over them under a
 * key only this installation has (STATE/link.key, 32 random bytes, mode
 * 0600, made on first use).  The digest writes tokens, the HTTP service
 * checks them; nothing else is stored, so a link works until it expires or
 * the key is replaced.
 *
 * Tokens are URL-safe base64 without padding (RFC 4648 section 5):
 *   version 1 | action 1 | expires 8 | opportunity 8 | member length 1 |
 *   member | MAC 16
 * the integers big-endian; the MAC is HMAC-SHA-512-256 (libsodium
 * crypto_auth) of everything before it, truncated to 128 bits.
 * URLs: PUBLIC_URL/l/TOKEN (interested, not relevant) and
 * PUBLIC_URL/unsubscribe/TOKEN (opportunity 0).
 */
#ifndef BIDBROKER_LINKTOKEN_H
#define BIDBROKER_LINKTOKEN_H

#include <stdbool.h>
#include <stdint.h>

struct err;

enum link_action {
        LINK_INTERESTED   = 1,
        LINK_NOT_RELEVANT = 2,
        LINK_UNSUBSCRIBE  = 3,
};

#define LINKKEY_FILE       "link.key"
#define LINK_MEMBER_MAX    255          /* bytes of a member id in a token */

struct linkkey;                         /* opaque; wiped when freed */

/* Read STATE/link.key; when absent and create is true, make it (0600, owned
 * like the state directory when run as root; two processes racing agree on
 * one key).  -ENOENT when absent and !create; -EPERM when others can read it. */
int linkkey_open(const char *state_dir, bool create, struct linkkey **ret, struct err *e);
void linkkey_free(struct linkkey *k);   /* NULL is fine */

struct linktoken {
        char            *member;        /* owned */
        int64_t          opportunity;   /* 0: none (unsubscribe) */
        enum link_action action;
        int64_t          expires;       /* Unix seconds */
};

void linktoken_clear(struct linktoken *t);

/* A new token in *ret (caller frees).  -EINVAL for an empty or too long
 * member, an unknown action, or a negative opportunity. */
int linktoken_make(const struct linkkey *k, const char *member, int64_t opportunity,
                   enum link_action a, int64_t expires, char **ret, struct err *e);

/* Check token at time now and decode it into *t (cleared first; the caller
 * clears it after).  0: valid.  -EBADMSG: malformed or tampered (t left
 * empty).  -ETIMEDOUT: authentic but expired (t filled all the same, so the
 * page can say what the link was for). */
int linktoken_check(const struct linkkey *k, const char *token, int64_t now,
                    struct linktoken *t, struct err *e);

/* "interested", "not-relevant", "unsubscribe"; NULL for anything else. */
const char *link_action_name(enum link_action a);
/* The inverse of link_action_name; 0 when unknown. */
enum link_action link_action_parse(const char *name);

#endif
