/* test_smtp.c — the outbox's transports without a server: what libcurl's
 * results mean (the MAIL-NOTES table of CURLcode and reply codes), the
 * [mail] transport URL, EHLO names, envelope addresses, the From address of
 * a message, and maildir delivery (tmp/ then new/, idempotent by key). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "testutil.h"

#include "bidbroker/err.h"
#include "bidbroker/maildir.h"
#include "bidbroker/smtp.h"
#include "bidbroker/util.h"

static void
classify(CURLcode cc, long code, bool after_data, const char *cmd, const char *reply,
         enum mail_verdict want, bool ambiguous)
{
        struct mail_result r;

        smtp_classify(cc, code, after_data, cmd, reply, "", &r);
        if (r.verdict != want || r.ambiguous != ambiguous)
                fail_msg("curl %d, code %ld, after data %d: verdict %d (want %d), ambiguous %d "
                         "(%s)", cc, code, after_data, r.verdict, want, r.ambiguous, r.error);
}

/* MAIL-NOTES item 13, and the login codes. */
static void
t_classify(void **state)
{
        struct mail_result r;

        (void)state;
        classify(CURLE_OK, 250, true, "DATA", "250 ok", MAIL_SENT, false);
        classify(CURLE_SEND_ERROR, 451, false, "RCPT TO", "451 later", MAIL_RETRY, false);
        classify(CURLE_SEND_ERROR, 550, false, "RCPT TO", "550 no user", MAIL_FAILED, false);
        classify(CURLE_WEIRD_SERVER_REPLY, 452, false, "end of data", "452 full", MAIL_RETRY,
                 false);
        classify(CURLE_WEIRD_SERVER_REPLY, 554, false, "end of data", "554 no", MAIL_FAILED,
                 false);
        classify(CURLE_SEND_ERROR, 530, false, "MAIL FROM", "530 auth first", MAIL_RETRY,
                 false);
        classify(CURLE_LOGIN_DENIED, 535, false, "AUTH", "535 bad", MAIL_RETRY, false);
        /* the message went out, the reply never came: ambiguous */
        classify(CURLE_RECV_ERROR, 354, true, "DATA", "354 go on", MAIL_RETRY, true);
        classify(CURLE_OPERATION_TIMEDOUT, 354, true, "DATA", "354 go on", MAIL_RETRY, true);
        /* no connection at all */
        classify(CURLE_COULDNT_CONNECT, 0, false, "", "", MAIL_RETRY, false);
        classify(CURLE_USE_SSL_FAILED, 250, false, "EHLO", "250 HELP", MAIL_RETRY, false);
        smtp_classify(CURLE_SEND_ERROR, 550, false, "RCPT TO", "550 5.1.1 no such user", "",
                      &r);
        assert_string_equal(r.error, "RCPT TO: 550 5.1.1 no such user");
        smtp_classify(CURLE_USE_SSL_FAILED, 250, false, "EHLO", "", "", &r);
        assert_non_null(strstr(r.error, "STARTTLS"));
}

static void
t_transport(void **state)
{
        struct mail_transport t;
        const char *why = NULL;

        (void)state;
        assert_int_equal(mail_transport_parse("smtp://mail.example.org:587", &t, &why), 0);
        assert_int_equal(t.kind, MAIL_SMTP);
        assert_string_equal(t.host, "mail.example.org");
        assert_int_equal(t.port, 587);
        mail_transport_clear(&t);
        assert_int_equal(mail_transport_parse("smtps://[::1]", &t, &why), 0);
        assert_int_equal(t.kind, MAIL_SMTPS);
        assert_int_equal(t.port, 465);
        assert_true(mail_host_is_local(t.host));
        mail_transport_clear(&t);
        assert_int_equal(mail_transport_parse("smtp://127.0.0.1", &t, &why), 0);
        assert_int_equal(t.port, 25);
        mail_transport_clear(&t);
        assert_int_equal(mail_transport_parse("maildir:/var/mail/bb", &t, &why), 0);
        assert_int_equal(t.kind, MAIL_MAILDIR);
        assert_string_equal(t.path, "/var/mail/bb");
        mail_transport_clear(&t);
        assert_int_equal(mail_transport_parse("smtp://u:p@host", &t, &why), -EINVAL);
        assert_non_null(strstr(why, "credentials"));
        assert_int_equal(mail_transport_parse("smtp://host/helo.example", &t, &why), -EINVAL);
        assert_non_null(strstr(why, "helo"));
        assert_int_equal(mail_transport_parse("smtp://host?x=1", &t, &why), -EINVAL);
        assert_int_equal(mail_transport_parse("http://host", &t, &why), -EINVAL);
        assert_int_equal(mail_transport_parse("maildir:", &t, &why), -EINVAL);
        assert_int_equal(mail_transport_parse("smtp://", &t, &why), -EINVAL);
        assert_true(mail_host_is_local("localhost"));
        assert_true(mail_host_is_local("127.1.2.3"));
        assert_false(mail_host_is_local("128.0.0.1"));
        assert_false(mail_host_is_local("mail.example.org"));
        assert_false(mail_host_is_local("[::2]"));
}

static void
t_names(void **state)
{
        const char *why;

        (void)state;
        assert_int_equal(mail_helo_check("bids.example.org", &why), 0);
        assert_int_equal(mail_helo_check("[192.0.2.1]", &why), 0);
        assert_int_equal(mail_helo_check("[IPv6:2001:db8::1]", &why), 0);
        assert_int_equal(mail_helo_check("bad name", &why), -EINVAL);
        assert_int_equal(mail_helo_check("a\r\nMAIL FROM:<x>", &why), -EINVAL);
        assert_int_equal(mail_helo_check("", &why), -EINVAL);
        assert_int_equal(mail_address_check("bounces@example.org", &why), 0);
        assert_int_equal(mail_address_check("a b@example.org", &why), -EINVAL);
        assert_int_equal(mail_address_check("<a@example.org>", &why), -EINVAL);
        assert_int_equal(mail_address_check("example.org", &why), -EINVAL);
        assert_int_equal(mail_address_check("a@", &why), -EINVAL);
}

static void
from_is(const char *msg, const char *want)
{
        char out[256];
        int r = mail_from_address(msg, strlen(msg), out, sizeof(out));

        if (want == NULL) {
                assert_int_equal(r, -EINVAL);
        } else {
                assert_int_equal(r, 0);
                assert_string_equal(out, want);
        }
}

static void
t_from(void **state)
{
        (void)state;
        from_is("Subject: x\r\nFrom: \"Brokerage <b>\" <digests@example.org>\r\n\r\nbody",
                "digests@example.org");
        from_is("from: digests@example.org\r\n\r\n", "digests@example.org");
        from_is("From: =?utf-8?q?Cl=C2=A3uster?=\r\n <d@example.org>\r\nTo: x\r\n\r\n",
                "d@example.org");
        /* only the header counts */
        from_is("To: a@b\r\n\r\nFrom: d@example.org\r\n", NULL);
        from_is("From: nobody\r\n\r\n", NULL);
        from_is("", NULL);
}

static size_t
count(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;

        assert_non_null(d);
        while ((de = readdir(d)) != NULL)
                n += de->d_name[0] != '.';
        closedir(d);
        return n;
}

static void
t_maildir(void **state)
{
        static const char msg[] = "From: a@b\r\n\r\nhello\r\n";
        char dir[64], *md, *path = NULL, *sub, *moved, buf[64];
        struct err e = { 0 };
        bool already = true;
        FILE *f;

        (void)state;
        test_tmpdir(dir, "test_smtp");
        md = xasprintf("%s/maildir", dir);
        assert_int_equal(maildir_deliver(md, 1764680000, "7X0123abcd", msg, sizeof(msg) - 1,
                                         &already, &path, &e), 0);
        assert_false(already);
        assert_non_null(strstr(path, "/new/1764680000.B7X0123abcd."));
        f = fopen(path, "rb");
        assert_non_null(f);
        assert_int_equal(fread(buf, 1, sizeof(buf), f), sizeof(msg) - 1);
        assert_memory_equal(buf, msg, sizeof(msg) - 1);
        fclose(f);
        sub = xasprintf("%s/tmp", md);
        assert_int_equal(count(sub), 0);
        free(sub);
        /* again: found in new/, nothing written */
        assert_int_equal(maildir_deliver(md, 1764680000, "7X0123abcd", msg, sizeof(msg) - 1,
                                         &already, NULL, &e), 0);
        assert_true(already);
        /* read by a mail client: in cur/ with flags, still found */
        moved = xasprintf("%s/cur/%s:2,S", md, strrchr(path, '/') + 1);
        assert_int_equal(rename(path, moved), 0);
        already = false;
        assert_int_equal(maildir_deliver(md, 1764680000, "7X0123abcd", msg, sizeof(msg) - 1,
                                         &already, NULL, &e), 0);
        assert_true(already);
        sub = xasprintf("%s/new", md);
        assert_int_equal(count(sub), 0);
        free(sub);
        /* another key: a new file */
        assert_int_equal(maildir_deliver(md, 1764680000, "8X0123abcd", msg, sizeof(msg) - 1,
                                         &already, NULL, &e), 0);
        assert_false(already);
        free(moved);
        free(path);
        free(md);
        test_rmtree(dir);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(t_classify),
                cmocka_unit_test(t_transport),
                cmocka_unit_test(t_names),
                cmocka_unit_test(t_from),
                cmocka_unit_test(t_maildir),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
