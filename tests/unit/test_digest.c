/* test_digest.c — digests: slots in Europe/London across both clock changes,
 * working days with England's bank holidays, the template language, what
 * changed, [mail]/[dkim] config, and a composed message (hostile feed values,
 * a consortium, the overflow counted). */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "bidbroker/config.h"
#include "bidbroker/digest.h"
#include "bidbroker/digestsched.h"
#include "bidbroker/digesttpl.h"
#include "bidbroker/err.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"

static int64_t
at(const char *iso)
{
        int64_t t;

        assert_int_equal(time_parse_iso8601(iso, &t), 0);
        return t;
}

enum { MON = 1, TUE, WED, THU, FRI, SAT, SUN };

static void
t_slot_spring_forward(void **state)
{
        char period[DIGEST_PERIOD_LEN];
        int64_t slot;

        (void)state;
        /* Monday 07:00 London: GMT on 23 March 2026, BST from 29 March */
        digest_slot_at(at("2026-03-30T05:59:00Z"), MON, 7 * 60, &slot, period);
        assert_string_equal(period, "2026-03-23");
        assert_int_equal(slot, at("2026-03-23T07:00:00Z"));
        digest_slot_at(at("2026-03-30T06:00:00Z"), MON, 7 * 60, &slot, period);
        assert_string_equal(period, "2026-03-30");
        assert_int_equal(slot, at("2026-03-30T06:00:00Z"));
        assert_int_equal(digest_slot_next(at("2026-03-23T07:00:00Z"), MON, 7 * 60),
                         at("2026-03-30T06:00:00Z"));
        /* the change day itself: 07:00 is BST already; 01:30 does not exist and
         * is read as GMT (02:30 BST) */
        digest_slot_at(at("2026-03-29T12:00:00Z"), SUN, 7 * 60, &slot, period);
        assert_string_equal(period, "2026-03-29");
        assert_int_equal(slot, at("2026-03-29T06:00:00Z"));
        digest_slot_at(at("2026-03-29T12:00:00Z"), SUN, 90, &slot, period);
        assert_int_equal(slot, at("2026-03-29T01:30:00Z"));
        /* just before 07:00 BST on the Sunday: last week's slot */
        digest_slot_at(at("2026-03-29T05:59:59Z"), SUN, 7 * 60, &slot, period);
        assert_string_equal(period, "2026-03-22");
        assert_int_equal(slot, at("2026-03-22T07:00:00Z"));
}

static void
t_slot_fall_back(void **state)
{
        char period[DIGEST_PERIOD_LEN];
        int64_t slot;

        (void)state;
        /* Monday 07:00 London: BST on 19 October 2026, GMT from 25 October */
        digest_slot_at(at("2026-10-26T06:30:00Z"), MON, 7 * 60, &slot, period);
        assert_string_equal(period, "2026-10-19");
        assert_int_equal(slot, at("2026-10-19T06:00:00Z"));
        digest_slot_at(at("2026-10-26T07:00:00Z"), MON, 7 * 60, &slot, period);
        assert_string_equal(period, "2026-10-26");
        assert_int_equal(slot, at("2026-10-26T07:00:00Z"));
        assert_int_equal(digest_slot_next(at("2026-10-19T06:00:00Z"), MON, 7 * 60),
                         at("2026-10-26T07:00:00Z"));
        /* 01:30 on 25 October happens twice: the first (BST) one */
        digest_slot_at(at("2026-10-25T12:00:00Z"), SUN, 90, &slot, period);
        assert_string_equal(period, "2026-10-25");
        assert_int_equal(slot, at("2026-10-25T00:30:00Z"));
        /* Sunday 23:30 GMT is still Sunday in London, 00:30 BST on Monday is Monday */
        digest_slot_at(at("2026-10-25T23:30:00Z"), SUN, 23 * 60 + 30, &slot, period);
        assert_string_equal(period, "2026-10-25");
        digest_slot_at(at("2026-10-18T23:30:00Z"), MON, 30, &slot, period);
        assert_string_equal(period, "2026-10-19");
        assert_int_equal(slot, at("2026-10-18T23:30:00Z"));
}

static void
t_working_days(void **state)
{
        (void)state;
        assert_true(uk_bank_holiday(time_days_from_civil(2026, 4, 3)));   /* Good Friday */
        assert_true(uk_bank_holiday(time_days_from_civil(2026, 12, 28))); /* substitute */
        assert_false(uk_bank_holiday(time_days_from_civil(2026, 12, 26))); /* a Saturday */
        assert_true(uk_bank_holiday(time_days_from_civil(2025, 8, 25)));
        assert_true(uk_bank_holiday(time_days_from_civil(2027, 3, 29)));
        assert_true(uk_bank_holiday(time_days_from_civil(2027, 12, 27)));
        assert_false(uk_working_day(time_days_from_civil(2026, 12, 5)));   /* Saturday */
        assert_true(uk_working_day(time_days_from_civil(2026, 12, 2)));
        /* Thursday before Easter 2026: Fri, Mon are holidays -> Tue, Wed */
        assert_int_equal(uk_working_days_between(at("2026-04-02T12:00:00Z"),
                                                 at("2026-04-08T12:00:00Z")), 2);
        /* Christmas 2026: 25th, 28th holidays -> 29, 30, 31 */
        assert_int_equal(uk_working_days_between(at("2026-12-24T09:00:00Z"),
                                                 at("2026-12-31T12:00:00Z")), 3);
        /* same day, earlier: none */
        assert_int_equal(uk_working_days_between(at("2026-12-02T12:00:00Z"),
                                                 at("2026-12-02T18:00:00Z")), 0);
        assert_int_equal(uk_working_days_between(at("2026-12-02T12:00:00Z"),
                                                 at("2026-11-30T18:00:00Z")), 0);
        /* a deadline at 23:30 UTC on 1 June 2026 is 00:30 BST on 2 June in London */
        assert_int_equal(uk_working_days_between(at("2026-06-01T08:00:00Z"),
                                                 at("2026-06-01T23:30:00Z")), 1);
        assert_true(uk_bank_holidays_first_year() <= 2025);
        assert_true(uk_bank_holidays_last_year() >= 2027);
}

static void
t_template(void **state)
{
        static const char *const names[] = { "a", "b", "html" };
        const char *vals[] = { "<x&y>", NULL, "<b>bold</b>" };
        struct tpl *t = NULL;
        struct err e = { 0 };
        struct buf out;

        (void)state;
        buf_init(&out);
        assert_int_equal(tpl_parse("t.html", "A: {{a}}\nB: {{b}}\n{{?b}}only with b\n"
                                   "{{?a}}with a {{{html}}}\nplain\nlast {{b}}", names, 3,
                                   true, &t, &e), 0);
        tpl_render(t, vals, &out);
        assert_string_equal(out.data, "A: &lt;x&amp;y&gt;\nwith a <b>bold</b>\nplain\n");
        tpl_free(t);
        assert_int_equal(tpl_parse("t.txt", "x {{a}} {{{html}}}\n", names, 3, false, &t, &e), 0);
        buf_reset(&out);
        tpl_render(t, vals, &out);
        assert_string_equal(out.data, "x <x&y> <b>bold</b>\n");
        tpl_free(t);
        assert_int_equal(tpl_parse("t.txt", "ok\nthen {{nope}}\n", names, 3, false, &t, &e),
                         -EINVAL);
        assert_non_null(strstr(e.msg, "t.txt:2: unknown placeholder 'nope'"));
        assert_int_equal(tpl_parse("t.txt", "{{a}\n", names, 3, false, &t, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "t.txt:1: a placeholder is not closed"));
        buf_done(&out);
}

static void
t_change_text(void **state)
{
        struct opportunity o;
        char *s;

        (void)state;
        opportunity_init(&o);
        o.title = xstrdup("Grounds maintenance");
        o.deadline = at("2026-12-10T12:00:00Z");
        o.value_stated = false;
        /* nothing changed */
        assert_null(digest_change_text(&o, "Grounds maintenance", o.deadline, false, VALUE_NONE));
        /* the deadline moved */
        s = digest_change_text(&o, "Grounds maintenance", at("2026-12-08T12:00:00Z"), false,
                               VALUE_NONE);
        assert_string_equal(s, "deadline moved to 10 Dec 2026 12:00 GMT (was 8 Dec 2026 "
                            "12:00 GMT)");
        free(s);
        /* the value is now stated */
        o.value_stated = true;
        o.value_max = 1200000;
        strcpy(o.currency, "GBP");
        s = digest_change_text(&o, "Grounds maintenance", o.deadline, false, VALUE_NONE);
        assert_string_equal(s, "value now stated: £12,000");
        free(s);
        s = digest_change_text(&o, "Grounds care", o.deadline, true, 1000000);
        assert_string_equal(s, "value now £12,000 (was £10,000); title changed (was "
                            "\"Grounds care\")");
        free(s);
        opportunity_done(&o);
}

/* The body of a message with its quoted-printable soft breaks and escapes undone. */
static char *
qp_decoded(const char *s)
{
        struct buf b;

        buf_init(&b);
        while (*s) {
                if (s[0] == '=' && s[1] == '\r' && s[2] == '\n') {
                        s += 3;
                } else if (s[0] == '=' && s[1] && s[2]) {
                        char hex[3] = { s[1], s[2], 0 };

                        buf_addc(&b, (char)strtol(hex, NULL, 16));
                        s += 3;
                } else {
                        buf_addc(&b, *s++);
                }
        }
        return buf_steal(&b);
}

static struct config *
load(const char *text, struct diag *d, char **dir)
{
        char tmpl[] = "/tmp/bb-digest-XXXXXX";
        char *path;
        struct config *c = NULL;

        assert_non_null(mkdtemp(tmpl));
        *dir = xstrdup(tmpl);
        path = xasprintf("%s/bidbroker.conf", tmpl);
        assert_int_equal(write_file_atomic(path, text, strlen(text), 0600), 0);
        (void)config_load(path, &c, d);
        unlink(path);
        free(path);
        return c;
}

static bool
has(const struct diag *d, const char *needle)
{
        for (size_t i = 0; i < d->n; i++)
                if (strstr(d->msg[i], needle))
                        return true;
        return false;
}

/* a feed value on one line: controls and runs of spaces as one space, none
 * at either end, UTF-8 kept; nothing left is NULL */
static void
t_one_line(void **state)
{
        char *s;

        (void)state;
        s = digest_one_line("  Grounds\r\n maintenance\t\x7f(Lot\x01 2) caf\xc3\xa9  ");
        assert_string_equal(s, "Grounds maintenance (Lot 2) caf\xc3\xa9");
        free(s);
        s = digest_one_line("x");
        assert_string_equal(s, "x");
        free(s);
        assert_null(digest_one_line(" \t\r\n\x7f "));
        assert_null(digest_one_line(""));
        assert_null(digest_one_line(NULL));
}

static void
t_config(void **state)
{
        struct config *c;
        struct diag d;
        char *dir;

        (void)state;
        diag_init(&d);
        c = load("[mail]\nfrom = digest@example.org\nfrom_name = Brokerage\n"
                 "digest_time = 06:45\nmin_working_days = 5\nmax_items = 3\n"
                 "closing_soon = 3d\nsend_empty = yes\n"
                 "[dkim]\ndomain = example.org\ned25519_selector = ed\ned25519_key = ed.key\n"
                 "rsa_selector = rsa\nrsa_key = /k/rsa.key\n", &d, &dir);
        assert_int_equal(diag_count(&d), 0);
        assert_string_equal(c->mail_from, "digest@example.org");
        assert_int_equal(c->mail_digest_minute, 6 * 60 + 45);
        assert_int_equal(c->mail_min_working_days, 5);
        assert_int_equal(c->mail_max_items, 3);
        assert_int_equal(c->mail_closing_soon_ms, 3 * 86400 * 1000LL);
        assert_true(c->mail_send_empty);
        assert_string_equal(c->dkim_rsa_key, "/k/rsa.key");
        assert_true(str_startswith(c->dkim_ed25519_key, dir));   /* relative to the file */
        config_free(c);
        rmdir(dir);
        free(dir);

        diag_done(&d);
        diag_init(&d);
        c = load("[mail]\nfrom = Brokerage <digest@example.org>\n"      /* 2 */
                 "reply_to = nobody\n"                                  /* 3 */
                 "digest_time = 7am\n"                                  /* 4 */
                 "max_items = 0\n"                                      /* 5 */
                 "list_id = not a list\n"                               /* 6 */
                 "[dkim]\n"                                             /* 7 */
                 "ed25519_selector = bad.selector\n", &d, &dir);        /* 8 */
        assert_null(c);
        assert_true(has(&d, "bidbroker.conf:2: [mail] from: 'Brokerage <digest@example.org>' "
                        "is not an address"));
        assert_true(has(&d, ":3: [mail] reply_to"));
        assert_true(has(&d, ":4: [mail] digest_time must be HH:MM"));
        assert_true(has(&d, ":5: 'max_items' must be a whole number from 1 to 200"));
        assert_true(has(&d, ":6: [mail] list_id"));
        assert_true(has(&d, ":7: [dkim] needs 'domain'"));
        assert_true(has(&d, ":7: [dkim] ed25519_selector and ed25519_key go together"));
        assert_true(has(&d, ":8: [dkim] ed25519_selector: 'bad.selector' is not a DNS label"));
        rmdir(dir);
        free(dir);
        diag_done(&d);
}

/* A composed digest: feed values escaped in HTML and never a header; the
 * consortium's partners with contacts and what each covers; overflow and
 * infeasible counted; Subject with the counts and "£" (RFC 2047). */
static void
t_compose(void **state)
{
        char *top = getcwd(NULL, 0), *text, *body, *html, *dec;
        struct config *c;
        struct digest_env *env = NULL;
        struct digest_view v;
        struct digest_entry *it;
        struct err e = { 0 };
        struct diag d;
        struct buf out;
        char *dir;

        (void)state;
        diag_init(&d);
        text = xasprintf("[mail]\nfrom = digest@example.org\nfrom_name = The Brokerage\n"
                         "templates = %s/conf/digest\n", top);
        c = load(text, &d, &dir);
        assert_non_null(c);
        assert_int_equal(digest_env_new(c, NULL, 0, &env, &e), 0);
        digest_view_init(&v);
        v.member = xstrdup("green-hands");
        v.member_name = xstrdup("Green Hands");
        v.to = xstrdup("bids@greenhands.example");
        strcpy(v.period, "2026-12-02");
        v.now = at("2026-12-02T07:00:00Z");
        v.overflow = 2;
        v.infeasible = 1;
        it = digest_view_add(&v);
        it->opportunity_id = 7;
        it->title = xstrdup("<script>alert(1)</script>\r\nBcc: victim@example.org");
        it->buyer = xstrdup("Parks & Gardens");
        it->deadline = at("2026-12-04T12:00:00Z");
        it->closing_soon = true;
        it->change = xstrdup("deadline moved to 4 Dec 2026 12:00 GMT");
        strv_add(&it->why, "Grounds: \"grass <cutting>\" in the title");
        it->lead = xstrdup("Green Hands");
        it->own_covers = xstrdup("Grounds maintenance");
        it->partners = xcalloc(1, sizeof(*it->partners));
        it->npartners = 1;
        it->partners[0].id = xstrdup("digbeth");
        it->partners[0].name = xstrdup("Digbeth Cleaning");
        it->partners[0].email = xstrdup("ops@digbeth.example");
        it->partners[0].covers = xstrdup("Cleaning");
        it = digest_view_add(&v);
        it->opportunity_id = 8;
        it->title = xstrdup("Café refit");
        it->value_stated = true;
        it->value_max = 1200000;
        v.closing = 1;
        v.changed = 1;
        buf_init(&out);
        assert_int_equal(digest_compose(env, &v, &out, &e), 0);
        body = strstr(out.data, "\r\n\r\n");
        assert_non_null(body);
        *body = '\0';                   /* the header */
        assert_null(strstr(out.data, "\nBcc:"));
        *body = '\r';
        html = strstr(out.data, "Content-Type: text/html");
        assert_non_null(html);
        assert_null(strstr(html, "<script>"));
        /* RFC 2047, folded between encoded words */
        assert_non_null(strstr(out.data, "Subject: =?UTF-8?Q?Your_digest=3A_2_opportunities_"));
        assert_non_null(strstr(out.data, "=C2=A325=2C000"));
        assert_non_null(strstr(out.data, "closing_soon"));
        assert_non_null(strstr(out.data, "Message-ID: <digest.2026-12-02.green-hands@"
                               "example.org>"));
        dec = qp_decoded(strstr(html, "\r\n\r\n"));
        assert_non_null(strstr(dec, "&lt;script&gt;alert(1)&lt;/script&gt; Bcc: "));
        assert_non_null(strstr(dec, "Digbeth Cleaning"));
        assert_non_null(strstr(dec, "ops@digbeth.example"));
        assert_non_null(strstr(dec, "covers Cleaning"));
        assert_non_null(strstr(dec, "you cover Grounds maintenance"));
        assert_non_null(strstr(dec, "2 more matched opportunities"));
        assert_non_null(strstr(dec, "1 matched opportunity closing in fewer than 3 working"));
        assert_non_null(strstr(dec, "grass &lt;cutting&gt;"));
        assert_non_null(strstr(dec, "Parks &amp; Gardens"));
        assert_non_null(strstr(dec, "Value:</strong> £12,000"));
        assert_non_null(strstr(dec, "Value:</strong> value not stated"));
        assert_non_null(strstr(dec, "deadline moved to 4 Dec 2026 12:00 GMT"));
        /* closing soon first, under its heading, then the rest */
        assert_true(strstr(dec, "Closing soon") < strstr(dec, "1. &lt;script"));
        assert_true(strstr(dec, "1. &lt;script") < strstr(dec, "New and changed"));
        assert_true(strstr(dec, "New and changed") < strstr(dec, "2. Café refit"));
        free(dec);
        assert_non_null(strstr(out.data, "List-Unsubscribe: <mailto:digest@example.org"
                               "?subject=unsubscribe%20green-hands>"));
        /* no https URL, so no one-click header (RFC 8058 needs one) */
        assert_null(strstr(out.data, "List-Unsubscribe-Post"));
        buf_done(&out);
        digest_view_done(&v);
        digest_env_free(env);
        config_free(c);
        rmdir(dir);
        free(dir);
        free(text);
        free(top);
        diag_done(&d);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(t_slot_spring_forward),
                cmocka_unit_test(t_slot_fall_back),
                cmocka_unit_test(t_working_days),
                cmocka_unit_test(t_template),
                cmocka_unit_test(t_change_text),
                cmocka_unit_test(t_one_line),
                cmocka_unit_test(t_config),
                cmocka_unit_test(t_compose),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
