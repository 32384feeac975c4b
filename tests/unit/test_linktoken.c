/* test_linktoken.c — signed digest links (daemon/base/linktoken.c): a token
 * round-trips; every altered byte, another key, another member, action or
 * opportunity is refused; expiry; the key file's making, mode and sharing. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "bidbroker/err.h"
#include "bidbroker/linktoken.h"
#include "bidbroker/util.h"

#define NOW     1780000000              /* 2026-05-28 */
#define WEEK    (7 * 86400)

struct fx {
        char            dir[64];
        struct linkkey *k;
};

static int
setup(void **state)
{
        struct fx *f = xcalloc(1, sizeof(*f));
        struct err err = { 0 };

        assert_true(sodium_init() >= 0);
        test_tmpdir(f->dir, "test_linktoken");
        assert_int_equal(linkkey_open(f->dir, true, &f->k, &err), 0);
        *state = f;
        return 0;
}

static int
teardown(void **state)
{
        struct fx *f = *state;

        linkkey_free(f->k);
        test_rmtree(f->dir);
        free(f);
        return 0;
}

static char *
make(const struct linkkey *k, const char *member, int64_t opp, enum link_action a,
     int64_t expires)
{
        struct err err = { 0 };
        char *tok = NULL;

        assert_int_equal(linktoken_make(k, member, opp, a, expires, &tok, &err), 0);
        return tok;
}

static void
t_round_trip(void **state)
{
        struct fx *f = *state;
        struct linktoken t;
        struct err err = { 0 };
        char *tok = make(f->k, "digbeth-cleaning-coop", 4242, LINK_NOT_RELEVANT,
                         NOW + WEEK);

        /* URL-safe as it stands: no '+', '/', '=' */
        assert_null(strpbrk(tok, "+/=%?&#"));
        assert_int_equal(linktoken_check(f->k, tok, NOW, &t, &err), 0);
        assert_string_equal(t.member, "digbeth-cleaning-coop");
        assert_int_equal(t.opportunity, 4242);
        assert_int_equal(t.action, LINK_NOT_RELEVANT);
        assert_int_equal(t.expires, NOW + WEEK);
        linktoken_clear(&t);
        assert_null(t.member);
        free(tok);

        tok = make(f->k, "m", 0, LINK_UNSUBSCRIBE, NOW + 365 * 86400);
        assert_int_equal(linktoken_check(f->k, tok, NOW, &t, &err), 0);
        assert_int_equal(t.opportunity, 0);
        assert_int_equal(t.action, LINK_UNSUBSCRIBE);
        linktoken_clear(&t);
        free(tok);
}

/* Changing any one character of a token (to another base64url character)
 * gives a token that is refused: the MAC covers every field. */
static void
t_every_byte_signed(void **state)
{
        struct fx *f = *state;
        static const char alphabet[] =
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        struct linktoken t;
        struct err err = { 0 };
        char *tok = make(f->k, "fixit-futures", 17, LINK_INTERESTED, NOW + WEEK);
        size_t n = strlen(tok);

        for (size_t i = 0; i < n; i++) {
                char saved = tok[i];

                for (const char *c = alphabet; *c; c++) {
                        if (*c == saved)
                                continue;
                        tok[i] = *c;
                        int r = linktoken_check(f->k, tok, NOW, &t, &err);
                        /* the last character carries 2 spare bits in a 4-bit
                         * tail; a strict decoder refuses those too */
                        assert_int_equal(r, -EBADMSG);
                        assert_null(t.member);
                }
                tok[i] = saved;
        }
        free(tok);
}

/* A token made for one member, action or opportunity never passes for
 * another: the fields are spliced from two valid tokens. */
static void
t_splice(void **state)
{
        struct fx *f = *state;
        struct linktoken t;
        struct err err = { 0 };
        unsigned char a[512], b[512];
        size_t la, lb;
        char *ta = make(f->k, "alpha", 1, LINK_INTERESTED, NOW + WEEK);
        char *tb = make(f->k, "bravo", 2, LINK_NOT_RELEVANT, NOW + WEEK);
        char mixed[1024];

        assert_int_equal(sodium_base642bin(a, sizeof(a), ta, strlen(ta), NULL, &la, NULL,
                         sodium_base64_VARIANT_URLSAFE_NO_PADDING), 0);
        assert_int_equal(sodium_base642bin(b, sizeof(b), tb, strlen(tb), NULL, &lb, NULL,
                         sodium_base64_VARIANT_URLSAFE_NO_PADDING), 0);
        assert_int_equal(la, lb);
        /* b's fields with a's MAC; then each field of b alone in a */
        for (size_t cut = 1; cut < la; cut++) {
                unsigned char m[512];

                memcpy(m, a, la);
                memcpy(m, b, cut);
                /* a itself, or b whole (a's last MAC bytes equal to b's: it
                 * happens with a random key, 1 in 256 for the last byte) */
                if (memcmp(m, a, la) == 0 || memcmp(m, b, la) == 0)
                        continue;
                sodium_bin2base64(mixed, sizeof(mixed), m, la,
                                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
                assert_int_equal(linktoken_check(f->k, mixed, NOW, &t, &err), -EBADMSG);
        }
        free(ta);
        free(tb);
}

static void
t_expired(void **state)
{
        struct fx *f = *state;
        struct linktoken t;
        struct err err = { 0 };
        char *tok = make(f->k, "m", 9, LINK_INTERESTED, NOW);

        assert_int_equal(linktoken_check(f->k, tok, NOW, &t, &err), 0);
        linktoken_clear(&t);
        /* expired: refused, but still says what it was for */
        assert_int_equal(linktoken_check(f->k, tok, NOW + 1, &t, &err), -ETIMEDOUT);
        assert_string_equal(t.member, "m");
        assert_int_equal(t.opportunity, 9);
        linktoken_clear(&t);
        free(tok);
}

static void
t_garbage(void **state)
{
        struct fx *f = *state;
        struct linktoken t;
        struct err err = { 0 };
        static const char *const bad[] = {
                "", "x", "====", "AAAA", "not a token", "%2e%2e", "AQ", "../../etc",
        };
        char *tok = make(f->k, "m", 1, LINK_INTERESTED, NOW + WEEK);
        char *longer = xasprintf("%sAAAA", tok);
        char *shorter = xstrndup(tok, strlen(tok) - 2);
        char *padded = xasprintf("%s=", tok);

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
                assert_int_equal(linktoken_check(f->k, bad[i], NOW, &t, &err), -EBADMSG);
        assert_int_equal(linktoken_check(f->k, NULL, NOW, &t, &err), -EBADMSG);
        assert_int_equal(linktoken_check(f->k, longer, NOW, &t, &err), -EBADMSG);
        assert_int_equal(linktoken_check(f->k, shorter, NOW, &t, &err), -EBADMSG);
        assert_int_equal(linktoken_check(f->k, padded, NOW, &t, &err), -EBADMSG);
        free(tok);
        free(longer);
        free(shorter);
        free(padded);
}

static void
t_make_refuses(void **state)
{
        struct fx *f = *state;
        struct err err = { 0 };
        char member[LINK_MEMBER_MAX + 2];
        char *tok = NULL;

        memset(member, 'm', sizeof(member) - 1);
        member[sizeof(member) - 1] = '\0';
        assert_int_equal(linktoken_make(f->k, member, 1, LINK_INTERESTED, NOW, &tok, &err),
                         -EINVAL);
        assert_int_equal(linktoken_make(f->k, "", 1, LINK_INTERESTED, NOW, &tok, &err),
                         -EINVAL);
        assert_int_equal(linktoken_make(f->k, "m", 1, 7, NOW, &tok, &err), -EINVAL);
        assert_int_equal(linktoken_make(f->k, "m", -1, LINK_INTERESTED, NOW, &tok, &err),
                         -EINVAL);
        assert_null(tok);
        /* the longest member id still makes a valid token */
        member[LINK_MEMBER_MAX] = '\0';
        tok = make(f->k, member, INT64_MAX, LINK_UNSUBSCRIBE, INT64_MAX);
        struct linktoken t;
        assert_int_equal(linktoken_check(f->k, tok, NOW, &t, &err), 0);
        assert_int_equal(strlen(t.member), LINK_MEMBER_MAX);
        assert_int_equal(t.opportunity, INT64_MAX);
        linktoken_clear(&t);
        free(tok);
}

/* The key file: made once, 0600, 32 bytes; opened again it is the same key
 * (tokens from the first open pass the second); another state directory's
 * key refuses them; a key others can read is refused. */
static void
t_key_file(void **state)
{
        struct fx *f = *state;
        struct linkkey *again = NULL, *other = NULL;
        struct linktoken t;
        struct err err = { 0 };
        char other_dir[64], *path = path_join(f->dir, LINKKEY_FILE);
        struct stat sb;
        char *tok = make(f->k, "m", 5, LINK_INTERESTED, NOW + WEEK);

        assert_int_equal(stat(path, &sb), 0);
        assert_int_equal(sb.st_mode & 07777, 0600);
        assert_int_equal(sb.st_size, 32);

        assert_int_equal(linkkey_open(f->dir, false, &again, &err), 0);
        assert_int_equal(linktoken_check(again, tok, NOW, &t, &err), 0);
        linktoken_clear(&t);
        linkkey_free(again);

        test_tmpdir(other_dir, "test_linktoken");
        assert_int_equal(linkkey_open(other_dir, false, &other, &err), -ENOENT);
        assert_int_equal(linkkey_open(other_dir, true, &other, &err), 0);
        assert_int_equal(linktoken_check(other, tok, NOW, &t, &err), -EBADMSG);
        linkkey_free(other);
        test_rmtree(other_dir);

        assert_int_equal(chmod(path, 0644), 0);
        assert_int_equal(linkkey_open(f->dir, false, &again, &err), -EPERM);
        assert_non_null(strstr(err.msg, "chmod 600"));
        assert_int_equal(chmod(path, 0600), 0);
        /* a truncated key is an error naming the file, not a weaker key */
        assert_int_equal(truncate(path, 16), 0);
        assert_int_equal(linkkey_open(f->dir, true, &again, &err), -EINVAL);
        assert_non_null(strstr(err.msg, LINKKEY_FILE));
        free(path);
        free(tok);
}

static void
t_action_names(void **state)
{
        (void)state;
        assert_string_equal(link_action_name(LINK_INTERESTED), "interested");
        assert_string_equal(link_action_name(LINK_NOT_RELEVANT), "not-relevant");
        assert_string_equal(link_action_name(LINK_UNSUBSCRIBE), "unsubscribe");
        assert_null(link_action_name(0));
        assert_null(link_action_name(4));
        assert_int_equal(link_action_parse("not-relevant"), LINK_NOT_RELEVANT);
        assert_int_equal(link_action_parse("unsubscribe"), LINK_UNSUBSCRIBE);
        assert_int_equal(link_action_parse("Interested"), 0);
        assert_int_equal(link_action_parse(NULL), 0);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        const struct CMUnitTest tests[] = {
                T(t_round_trip),
                T(t_every_byte_signed),
                T(t_splice),
                T(t_expired),
                T(t_garbage),
                T(t_make_refuses),
                T(t_key_file),
                T(t_action_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
