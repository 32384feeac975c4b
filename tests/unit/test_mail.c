/*
 * test_mail.c — the mail building blocks: DKIM relaxed canonicalisation
 * (RFC 6376 3.4.5's example), RFC 2047 encoded-words, quoted-printable line
 * lengths, header injection refused, HTML escaping, key files (mode, format).
 *
 * With MAIL_OUT set it also writes a sample message signed with the keys in
 * MAIL_KEY_ED25519 and MAIL_KEY_RSA (selectors MAIL_SEL_ED25519 and
 * MAIL_SEL_RSA, domain MAIL_DOMAIN) to that path, the title from MAIL_TITLE:
 * tests/integration/test_dkim.py verifies it with dkimpy.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "testutil.h"

#include "bidbroker/dkim.h"
#include "bidbroker/err.h"
#include "bidbroker/mime.h"
#include "bidbroker/util.h"

static void
test_canon_rfc6376_example(void **state)
{
        static const char hdr1[] = "A: X \r\n";
        static const char hdr2[] = "B : Y\t\r\n\tZ  \r\n";
        static const char body[] = " C \r\nD \t E\r\n\r\n\r\n";
        struct buf b;

        (void)state;
        buf_init(&b);
        dkim_canon_header(hdr1, sizeof hdr1 - 3, &b);
        buf_adds(&b, "\r\n");
        dkim_canon_header(hdr2, sizeof hdr2 - 3, &b);
        buf_adds(&b, "\r\n");
        assert_string_equal(b.data, "a:X\r\nb:Y Z\r\n");
        buf_reset(&b);
        dkim_canon_body(body, sizeof body - 1, &b);
        assert_string_equal(b.data, " C\r\nD E\r\n");
        buf_done(&b);
}

static void
test_canon_body_edges(void **state)
{
        struct buf b;

        (void)state;
        buf_init(&b);
        dkim_canon_body("", 0, &b);
        assert_int_equal(b.len, 0);
        dkim_canon_body(" \t\r\n\r\n  \r\n", 10, &b);   /* whitespace only: empty */
        assert_int_equal(b.len, 0);
        dkim_canon_body("last line", 9, &b);           /* a final CRLF added */
        assert_string_equal(b.data, "last line\r\n");
        buf_reset(&b);
        dkim_canon_body("a\r\n\r\nb  \r\n", 10, &b);    /* inner empty lines stay */
        assert_string_equal(b.data, "a\r\n\r\nb\r\n");
        buf_done(&b);
}

static char *
temp_key(enum dkim_alg alg, unsigned mode)
{
        char *file, *p, path[] = "/tmp/test_mail_keyXXXXXX";
        struct err e = { 0 };
        int fd;

        assert_int_equal(dkim_keygen(alg, &file, &p, &e), 0);
        fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, file, strlen(file)), (ssize_t)strlen(file));
        assert_int_equal(fchmod(fd, mode), 0);
        close(fd);
        free(file);
        free(p);
        return xstrdup(path);
}

/* an RSA key sets up its signing once and signs each message with a copy:
 * a message signed after others gets the signature a fresh key gives it */
static void
test_rsa_signing_reused(void **state)
{
        static const char m1[] = "From: a@example.org\r\nSubject: one\r\n\r\nfirst\r\n";
        static const char m2[] = "From: a@example.org\r\nSubject: two\r\n\r\nsecond\r\n";
        char *key = temp_key(DKIM_RSA, 0600), *a = NULL, *b = NULL, *c = NULL, *d = NULL;
        struct dkim_key *k = NULL, *fresh = NULL;
        struct err e = { 0 };

        (void)state;
        assert_int_equal(dkim_key_load(key, "example.org", "s2", &k, &e), 0);
        assert_int_equal(dkim_sign(k, m1, sizeof m1 - 1, 1, &a, &e), 0);
        assert_int_equal(dkim_sign(k, m2, sizeof m2 - 1, 1, &b, &e), 0);
        assert_int_equal(dkim_sign(k, m1, sizeof m1 - 1, 1, &c, &e), 0);
        assert_int_equal(dkim_key_load(key, "example.org", "s2", &fresh, &e), 0);
        assert_int_equal(dkim_sign(fresh, m1, sizeof m1 - 1, 1, &d, &e), 0);
        assert_string_equal(a, c);              /* PKCS #1 v1.5: deterministic */
        assert_string_equal(a, d);
        assert_string_not_equal(a, b);
        assert_non_null(strstr(a, "a=rsa-sha256"));
        free(a);
        free(b);
        free(c);
        free(d);
        dkim_key_free(k);
        dkim_key_free(fresh);
        unlink(key);
        free(key);
}

/* the body is canonicalised in spans (plain lines passed on whole): the
 * lines that are not plain, held-back empty lines and bare CRs around them */
static void
test_canon_body_spans(void **state)
{
        static const char body[] = "plain line\r\n  two  \t spaces\t\r\n\r\n \t\r\n"
                                   "a\rb \r\r\nend \r\n \r\n\r\n";
        struct buf b, in;

        (void)state;
        buf_init(&b);
        buf_init(&in);
        dkim_canon_body(body, sizeof body - 1, &b);
        assert_string_equal(b.data, "plain line\r\n two spaces\r\n\r\n\r\n"
                            "a\rb \r\r\nend\r\n");
        /* a long body: plain lines around one that is not, none lost or doubled */
        for (int i = 0; i < 300; i++)
                buf_printf(&in, "line %d of the body%s\r\n", i, i == 150 ? "  " : "");
        buf_reset(&b);
        dkim_canon_body(in.data, in.len, &b);
        assert_int_equal(b.len, in.len - 2);
        assert_non_null(strstr(b.data, "\r\nline 149 of the body\r\nline 150 of the body\r\n"
                               "line 151 of the body\r\n"));
        buf_done(&in);
        buf_done(&b);
}

/* bh= is the SHA-256 of what dkim_canon_body makes of the body */
static void
test_body_hash(void **state)
{
        static const char msg[] = "From: a@example.org\r\nSubject: hi\r\n\r\n"
                                  "text  with\truns \r\n\r\nFrom here\r\n\r\n\r\n";
        const char *body = strstr(msg, "\r\n\r\n") + 4;
        unsigned char h[crypto_hash_sha256_BYTES];
        char b64[sodium_base64_ENCODED_LEN(sizeof h, sodium_base64_VARIANT_ORIGINAL)];
        char *key = temp_key(DKIM_ED25519, 0600), *sig = NULL, *want;
        struct dkim_key *k = NULL;
        struct err e = { 0 };
        struct buf canon;

        (void)state;
        buf_init(&canon);
        dkim_canon_body(body, strlen(body), &canon);
        assert_string_equal(canon.data, "text with runs\r\n\r\nFrom here\r\n");
        crypto_hash_sha256(h, (const unsigned char *)canon.data, canon.len);
        sodium_bin2base64(b64, sizeof b64, h, sizeof h, sodium_base64_VARIANT_ORIGINAL);
        want = xasprintf(" bh=%s;", b64);
        assert_int_equal(dkim_key_load(key, "example.org", "s1", &k, &e), 0);
        assert_int_equal(dkim_sign(k, msg, sizeof msg - 1, 1, &sig, &e), 0);
        assert_non_null(strstr(sig, want));
        free(sig);
        dkim_key_free(k);
        unlink(key);
        free(key);
        free(want);
        buf_done(&canon);
}

/* every line of a rendered message: at most max columns, CRLF ends */
static void
assert_lines(const char *s, size_t max)
{
        const char *p = s;

        while (*p) {
                const char *crlf = strstr(p, "\r\n");

                assert_non_null(crlf);
                assert_true((size_t)(crlf - p) <= max);
                assert_null(memchr(p, '\n', (size_t)(crlf - p)));
                p = crlf + 2;
        }
}

static void
test_rfc2047(void **state)
{
        struct buf b;

        (void)state;
        buf_init(&b);
        mime_encode_word("£25,000 now", 9, &b);
        assert_string_equal(b.data, "=?UTF-8?Q?=C2=A325=2C000_now?=");
        buf_reset(&b);
        /* long text: several words, each at most 75, no character split */
        mime_encode_word("ééééééééééééééééééééééééééééééééééééééééé £", 9, &b);
        buf_adds(&b, "\r\n");
        assert_lines(b.data, 76);
        for (const char *w = b.data; (w = strstr(w, "=?UTF-8?Q?")); w++) {
                const char *end = strstr(w, "?=");

                assert_true(end - w + 2 <= 75);
                /* a word ends after a whole character, never after a lead byte */
                assert_true(strncmp(end - 3, "=C3", 3) != 0 && strncmp(end - 3, "=C2", 3) != 0);
        }
        buf_done(&b);
}

static void
test_qp_lines(void **state)
{
        struct buf in, out;

        (void)state;
        buf_init(&in);
        buf_init(&out);
        for (int i = 0; i < 40; i++)
                buf_adds(&in, "£ = x ");               /* ends in a space */
        buf_adds(&in, "\nFrom here\n.\ntrailing tab\t\n");
        mime_qp_encode(in.data, in.len, &out);
        assert_lines(out.data, 76);
        for (const char *p = out.data; (p = strstr(p, "\r\n")); p++)
                assert_true(p[-1] != ' ' && p[-1] != '\t');
        assert_non_null(strstr(out.data, "\r\n=46rom here\r\n.\r\ntrailing tab=09\r\n"));
        assert_non_null(strstr(out.data, "=C2=A3 =3D x"));
        assert_null(strstr(out.data, "=c2"));
        buf_done(&in);
        buf_done(&out);
}

/* runs of plain bytes are copied whole: the soft break still comes at column
 * 75, "From " after it is still =46rom, '=' at a line's end still fits 76 */
static void
test_qp_runs(void **state)
{
        struct buf in, out, want;

        (void)state;
        buf_init(&in);
        buf_init(&out);
        buf_init(&want);
        for (int i = 0; i < 75; i++)
                buf_addc(&in, 'a');
        buf_adds(&want, in.data);
        buf_adds(&in, "From x\n");
        buf_adds(&want, "=\r\n=46rom x\r\n");
        for (int i = 0; i < 72; i++) {
                buf_addc(&in, 'b');
                buf_addc(&want, 'b');
        }
        buf_adds(&in, "==\n");
        buf_adds(&want, "=3D=\r\n=3D\r\n");
        mime_qp_encode(in.data, in.len, &out);
        assert_string_equal(out.data, want.data);
        assert_lines(out.data, 76);
        buf_done(&in);
        buf_done(&out);
        buf_done(&want);
}

static void
test_header_injection_refused(void **state)
{
        struct mime_msg *m = mime_new();
        struct err e = { 0 };

        (void)state;
        assert_int_equal(mime_header_text(m, "Subject", "Grounds\r\nBcc: victim@example.org",
                                          &e), -EINVAL);
        assert_non_null(strstr(e.msg, "line break"));
        assert_int_equal(mime_header_text(m, "Subject", "x\nBcc: a@b", &e), -EINVAL);
        assert_int_equal(mime_header_text(m, "Subject", "x\rBcc: a@b", &e), -EINVAL);
        assert_int_equal(mime_header_raw(m, "List-Id", "a\r\n b", &e), -EINVAL);
        assert_int_equal(mime_header_addr(m, "To", "Name\r\nBcc: x@y", "a@b.org", &e),
                         -EINVAL);
        assert_int_equal(mime_header_addr(m, "To", NULL, "a@b.org>\r\nBcc: x@y", &e),
                         -EINVAL);
        assert_int_equal(mime_header_text(m, "Bad Name", "x", &e), -EINVAL);
        assert_int_equal(mime_header_text(m, "Subject", "\xc3", &e), -EINVAL);
        mime_free(m);
}

static void
test_html_escape(void **state)
{
        struct buf b;

        (void)state;
        buf_init(&b);
        mime_html_escape("<script>alert('x')</script> & \"q\"\x01", &b);
        assert_string_equal(b.data, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; "
                            "&quot;q&quot; ");
        buf_done(&b);
}

static void
test_render_sample(void **state)
{
        struct buf b;
        struct err e = { 0 };

        (void)state;
        buf_init(&b);
        assert_int_equal(mime_sample("digest@example.org", "member@example.net",
                                     "<script>x</script>\r\nBcc: victim@example.org", 0, &b,
                                     &e), 0);
        assert_lines(b.data, 78);
        assert_non_null(strstr(b.data, "Subject: =?UTF-8?Q?"));
        assert_null(strstr(b.data, "\r\nBcc:"));
        /* text/plain before text/html; the title escaped in the HTML */
        assert_true(strstr(b.data, "text/plain") < strstr(b.data, "text/html"));
        assert_null(strstr(strstr(b.data, "text/html"), "<script>"));
        assert_non_null(strstr(strstr(b.data, "text/html"), "&lt;script&gt;x&lt;/script&gt;"));
        buf_done(&b);
}

static void
test_key_files(void **state)
{
        struct dkim_key *k = NULL;
        struct err e = { 0 };
        char *ed = temp_key(DKIM_ED25519, 0600), *rsa = temp_key(DKIM_RSA, 0600);
        char *open_key = temp_key(DKIM_ED25519, 0640);
        char *sig = NULL;
        static const char msg[] = "From: a@example.org\r\nSubject: hi\r\n\r\nbody\r\n";

        (void)state;
        assert_int_equal(dkim_key_load(ed, "example.org", "s1", &k, &e), 0);
        assert_int_equal(dkim_key_alg(k), DKIM_ED25519);
        assert_int_equal(dkim_sign(k, msg, sizeof msg - 1, 1, &sig, &e), 0);
        assert_non_null(strstr(sig, "a=ed25519-sha256; c=relaxed/relaxed; d=example.org; "
                               "s=s1;\r\n t=1; h=from:subject;"));
        free(sig);
        dkim_key_free(k);
        assert_int_equal(dkim_key_load(rsa, "example.org", "s2", &k, &e), 0);
        assert_int_equal(dkim_key_alg(k), DKIM_RSA);
        dkim_key_free(k);
        assert_int_equal(dkim_key_load(open_key, "example.org", "s1", &k, &e), -EPERM);
        assert_non_null(strstr(e.msg, "chmod 600"));
        assert_int_equal(dkim_key_load(ed, "example.org", "s1;x", &k, &e), -EINVAL);
        unlink(ed);
        unlink(rsa);
        unlink(open_key);
        free(ed);
        free(rsa);
        free(open_key);
}

static void
sign_with(const char *key_env, const char *sel_env, const struct buf *msg, struct buf *out)
{
        struct dkim_key *k = NULL;
        struct err e = { 0 };
        char *sig = NULL;

        if (dkim_key_load(getenv(key_env), getenv("MAIL_DOMAIN"), getenv(sel_env), &k, &e) < 0)
                fail_msg("%s", e.msg);
        if (dkim_sign(k, msg->data, msg->len, 1796000000, &sig, &e) < 0)
                fail_msg("%s", e.msg);
        buf_adds(out, sig);
        free(sig);
        dkim_key_free(k);
}

/* the signed sample for tests/integration/test_dkim.py */
static void
test_write_signed_sample(void **state)
{
        const char *path = getenv("MAIL_OUT");
        const char *title = getenv("MAIL_TITLE");
        struct buf msg, out;
        struct err e = { 0 };
        char *from;

        (void)state;
        if (!path)
                skip();
        buf_init(&msg);
        buf_init(&out);
        from = xasprintf("digest@%s", getenv("MAIL_DOMAIN"));
        if (mime_sample(from, "member@example.net", title ? title : "a title", 1796000000,
                        &msg, &e) < 0)
                fail_msg("%s", e.msg);
        sign_with("MAIL_KEY_RSA", "MAIL_SEL_RSA", &msg, &out);
        sign_with("MAIL_KEY_ED25519", "MAIL_SEL_ED25519", &msg, &out);
        buf_add(&out, msg.data, msg.len);
        assert_int_equal(write_file_atomic(path, out.data, out.len, 0600), 0);
        free(from);
        buf_done(&msg);
        buf_done(&out);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_canon_rfc6376_example),
                cmocka_unit_test(test_canon_body_edges),
                cmocka_unit_test(test_canon_body_spans),
                cmocka_unit_test(test_body_hash),
                cmocka_unit_test(test_rsa_signing_reused),
                cmocka_unit_test(test_rfc2047),
                cmocka_unit_test(test_qp_lines),
                cmocka_unit_test(test_qp_runs),
                cmocka_unit_test(test_header_injection_refused),
                cmocka_unit_test(test_html_escape),
                cmocka_unit_test(test_render_sample),
                cmocka_unit_test(test_key_files),
                cmocka_unit_test(test_write_signed_sample),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
