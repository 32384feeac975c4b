/*
 * linktoken.c — signed links in digests (linktoken.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bidbroker/err.h"
#include "bidbroker/linktoken.h"
#include "bidbroker/util.h"

#define KEY_BYTES       crypto_auth_KEYBYTES    /* 32 */
#define MAC_BYTES       16
#define TOKEN_VERSION   1
#define HEAD_BYTES      (1 + 1 + 8 + 8 + 1)     /* version, action, expires, opp, len */
#define TOKEN_MAX_BYTES (HEAD_BYTES + LINK_MEMBER_MAX + MAC_BYTES)

struct linkkey {
        unsigned char key[KEY_BYTES];
};

static const char *const action_names[] = {
        [LINK_INTERESTED]   = "interested",
        [LINK_NOT_RELEVANT] = "not-relevant",
        [LINK_UNSUBSCRIBE]  = "unsubscribe",
};

const char *
link_action_name(enum link_action a)
{
        if ((int)a <= 0 || (size_t)a >= ARRAY_SIZE(action_names))
                return NULL;
        return action_names[a];
}

enum link_action
link_action_parse(const char *name)
{
        for (size_t i = 1; name && i < ARRAY_SIZE(action_names); i++)
                if (strcmp(name, action_names[i]) == 0)
                        return (enum link_action)i;
        return 0;
}

/* ---- the key file ---------------------------------------------------------- */

static int
key_read(int fd, const char *path, struct linkkey *k, struct err *e)
{
        struct stat sb;
        ssize_t n;

        if (fstat(fd, &sb) < 0)
                return err_set(e, -errno, "%s: %s", path, strerror(errno));
        if (!S_ISREG(sb.st_mode))
                return err_set(e, -EINVAL, "%s: not a regular file", path);
        if (sb.st_mode & (S_IRWXG | S_IRWXO))
                return err_set(e, -EPERM, "%s: the link key is readable by others "
                               "(mode %04o); chmod 600 it", path,
                               (unsigned)(sb.st_mode & 07777));
        if (sb.st_size != KEY_BYTES)
                return err_set(e, -EINVAL, "%s: a link key is %d bytes, this file has %lld",
                               path, KEY_BYTES, (long long)sb.st_size);
        n = pread(fd, k->key, KEY_BYTES, 0);
        if (n != KEY_BYTES)
                return err_set(e, n < 0 ? -errno : -EIO, "%s: cannot read the link key",
                               path);
        return 0;
}

/* Write a new key beside path and publish it with link(2), which never
 * replaces a file: of two processes making the key at once, one wins and
 * both then read the winner's. */
static int
key_create(const char *state_dir, const char *path, struct err *e)
{
        unsigned char key[KEY_BYTES];
        struct stat dir_sb;
        char *tmp = xasprintf("%s.%ld.tmp", path, (long)getpid());
        int fd = -1, r = 0;

        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) {
                r = err_set(e, -errno, "%s: %s", tmp, strerror(errno));
                goto out;
        }
        /* a key made by root for a daemon running as the service user:
         * give it to whoever owns the state directory */
        if (geteuid() == 0 && stat(state_dir, &dir_sb) == 0 &&
            fchown(fd, dir_sb.st_uid, dir_sb.st_gid) < 0) {
                r = err_set(e, -errno, "%s: chown: %s", tmp, strerror(errno));
                goto out;
        }
        randombytes_buf(key, sizeof(key));
        if (write(fd, key, sizeof(key)) != (ssize_t)sizeof(key) || fsync(fd) < 0) {
                r = err_set(e, -EIO, "%s: cannot write the link key", tmp);
                goto out;
        }
        if (link(tmp, path) < 0 && errno != EEXIST)
                r = err_set(e, -errno, "%s: %s", path, strerror(errno));
out:
        sodium_memzero(key, sizeof(key));
        if (fd >= 0) {
                close(fd);
                unlink(tmp);
        }
        free(tmp);
        return r;
}

int
linkkey_open(const char *state_dir, bool create, struct linkkey **ret, struct err *e)
{
        char *path = path_join(state_dir, LINKKEY_FILE);
        struct linkkey *k = NULL;
        int fd = -1, r;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0 && errno == ENOENT && create) {
                if ((r = key_create(state_dir, path, e)) < 0)
                        goto out;
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        }
        if (fd < 0) {
                r = err_set(e, -errno, "%s: %s", path, strerror(errno));
                goto out;
        }
        k = sodium_malloc(sizeof(*k));
        if (!k) {
                r = err_set(e, -ENOMEM, "%s: out of memory", path);
                goto out;
        }
        if ((r = key_read(fd, path, k, e)) < 0)
                goto out;
        *ret = k;
        k = NULL;
out:
        if (fd >= 0)
                close(fd);
        linkkey_free(k);
        free(path);
        return r;
}

void
linkkey_free(struct linkkey *k)
{
        if (k)
                sodium_free(k);         /* zeroes the memory first */
}

/* ---- tokens ---------------------------------------------------------------- */

static void
put_be64(unsigned char *p, uint64_t v)
{
        for (int i = 7; i >= 0; i--, v >>= 8)
                p[i] = (unsigned char)(v & 0xff);
}

static uint64_t
get_be64(const unsigned char *p)
{
        uint64_t v = 0;

        for (int i = 0; i < 8; i++)
                v = (v << 8) | p[i];
        return v;
}

static void
mac(const struct linkkey *k, const unsigned char *msg, size_t len,
    unsigned char out[MAC_BYTES])
{
        unsigned char full[crypto_auth_BYTES];

        crypto_auth(full, msg, len, k->key);
        memcpy(out, full, MAC_BYTES);
        sodium_memzero(full, sizeof(full));
}

void
linktoken_clear(struct linktoken *t)
{
        free(t->member);
        memset(t, 0, sizeof(*t));
}

int
linktoken_make(const struct linkkey *k, const char *member, int64_t opportunity,
               enum link_action a, int64_t expires, char **ret, struct err *e)
{
        unsigned char raw[TOKEN_MAX_BYTES];
        size_t mlen = member ? strlen(member) : 0, len;
        char *out;

        if (mlen == 0 || mlen > LINK_MEMBER_MAX)
                return err_set(e, -EINVAL, "link: a member id is 1 to %d bytes",
                               LINK_MEMBER_MAX);
        if (!link_action_name(a))
                return err_set(e, -EINVAL, "link: unknown action %d", (int)a);
        if (opportunity < 0)
                return err_set(e, -EINVAL, "link: opportunity %lld",
                               (long long)opportunity);
        raw[0] = TOKEN_VERSION;
        raw[1] = (unsigned char)a;
        put_be64(raw + 2, (uint64_t)expires);
        put_be64(raw + 10, (uint64_t)opportunity);
        raw[18] = (unsigned char)mlen;
        memcpy(raw + HEAD_BYTES, member, mlen);
        len = HEAD_BYTES + mlen;
        mac(k, raw, len, raw + len);
        len += MAC_BYTES;
        out = xmalloc(sodium_base64_ENCODED_LEN(len,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING));
        sodium_bin2base64(out, sodium_base64_ENCODED_LEN(len,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                          raw, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        *ret = out;
        return 0;
}

int
linktoken_check(const struct linkkey *k, const char *token, int64_t now,
                struct linktoken *t, struct err *e)
{
        unsigned char raw[TOKEN_MAX_BYTES], want[MAC_BYTES];
        size_t tlen = token ? strlen(token) : 0, len = 0, mlen;
        const char *end = NULL;

        memset(t, 0, sizeof(*t));
        /* the longest valid token, encoded, and nothing after it */
        if (tlen == 0 || tlen > sodium_base64_ENCODED_LEN(TOKEN_MAX_BYTES,
                                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) ||
            sodium_base642bin(raw, sizeof(raw), token, tlen, NULL, &len, &end,
                              sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
            end != token + tlen)
                return err_set(e, -EBADMSG, "link: not a bidbroker link token");
        if (len < HEAD_BYTES + 1 + MAC_BYTES || raw[0] != TOKEN_VERSION)
                return err_set(e, -EBADMSG, "link: not a bidbroker link token");
        mlen = raw[18];
        if (len != HEAD_BYTES + mlen + MAC_BYTES || mlen == 0)
                return err_set(e, -EBADMSG, "link: not a bidbroker link token");
        mac(k, raw, HEAD_BYTES + mlen, want);
        if (sodium_memcmp(want, raw + HEAD_BYTES + mlen, MAC_BYTES) != 0)
                return err_set(e, -EBADMSG, "link: the token's signature does not match "
                               "(altered, or made with another key)");
        if (!link_action_name((enum link_action)raw[1]) ||
            memchr(raw + HEAD_BYTES, '\0', mlen))
                return err_set(e, -EBADMSG, "link: not a bidbroker link token");
        t->action = (enum link_action)raw[1];
        t->expires = (int64_t)get_be64(raw + 2);
        t->opportunity = (int64_t)get_be64(raw + 10);
        t->member = xstrndup((const char *)raw + HEAD_BYTES, mlen);
        if (now > t->expires)
                return err_set(e, -ETIMEDOUT, "link: expired");
        return 0;
}
