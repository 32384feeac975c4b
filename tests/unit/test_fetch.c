/* test_fetch.c — Retry-After parsing, URL checks, classification, User-Agent. */
#include "testutil.h"

#include <errno.h>

#include "bidbroker/err.h"
#include "bidbroker/fetch.h"

static void
t_retry_after_seconds(void **state)
{
        int64_t ms = -1;

        (void)state;
        assert_int_equal(fetch_parse_retry_after("120", 0, &ms), 0);
        assert_int_equal(ms, 120000);
        assert_int_equal(fetch_parse_retry_after(" 0 ", 0, &ms), 0);
        assert_int_equal(ms, 0);
        /* capped at a day */
        assert_int_equal(fetch_parse_retry_after("99999999", 0, &ms), 0);
        assert_int_equal(ms, 86400000);
        assert_int_equal(fetch_parse_retry_after("", 0, &ms), -EINVAL);
        assert_int_equal(fetch_parse_retry_after(NULL, 0, &ms), -EINVAL);
        assert_int_equal(fetch_parse_retry_after("12abc", 0, &ms), -EINVAL);
        assert_int_equal(fetch_parse_retry_after("-5", 0, &ms), -EINVAL);
        assert_int_equal(fetch_parse_retry_after("soon", 0, &ms), -EINVAL);
}

static void
t_retry_after_date(void **state)
{
        /* Wed, 21 Oct 2015 07:28:00 GMT = 1445412480 */
        int64_t now = 1445412480LL * 1000 - 30500, ms = -1;

        (void)state;
        assert_int_equal(fetch_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now, &ms), 0);
        assert_int_equal(ms, 30500);
        /* a date in the past: no wait */
        assert_int_equal(fetch_parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT",
                                                 1445412480LL * 1000, &ms), 0);
        assert_int_equal(ms, 0);
        /* far future: capped */
        assert_int_equal(fetch_parse_retry_after("Fri, 01 Jan 2100 00:00:00 GMT", now, &ms), 0);
        assert_int_equal(ms, 86400000);
}

static void
t_url_host(void **state)
{
        char *h;

        (void)state;
        h = fetch_url_host("https://WWW.Find-Tender.service.gov.uk/api/1.0/x?y=1");
        assert_string_equal(h, "www.find-tender.service.gov.uk");
        free(h);
        h = fetch_url_host("http://127.0.0.1:8080/a");
        assert_string_equal(h, "127.0.0.1");
        free(h);
        assert_null(fetch_url_host("ftp://example.org/"));
        assert_null(fetch_url_host("file:///etc/passwd"));
        assert_null(fetch_url_host("not a url"));
}

static void
t_url_resolve(void **state)
{
        char *u;

        (void)state;
        u = fetch_url_resolve("http://h:1/api/search?a=1", "/api/search?cursor=abc&limit=5");
        assert_string_equal(u, "http://h:1/api/search?cursor=abc&limit=5");
        free(u);
        u = fetch_url_resolve("http://h:1/api/search?a=1", "https://h/other?x=2");
        assert_string_equal(u, "https://h/other?x=2");
        free(u);
        assert_null(fetch_url_resolve("http://h/", "file:///etc/passwd"));
        assert_null(fetch_url_resolve("http://h/", "javascript:alert(1)"));
}

static void
t_classify(void **state)
{
        struct fetch_result r = { 0 };
        char buf[256];

        (void)state;
        r.code = CURLE_OK;
        r.status = 200;
        assert_int_equal(fetch_classify(&r), FETCH_OK);
        r.status = 304;
        assert_int_equal(fetch_classify(&r), FETCH_NOT_MODIFIED);
        r.status = 429;
        assert_int_equal(fetch_classify(&r), FETCH_RETRY_LATER);
        r.status = 503;
        assert_int_equal(fetch_classify(&r), FETCH_RETRY_LATER);
        r.status = 403;
        assert_int_equal(fetch_classify(&r), FETCH_FORBIDDEN);
        r.status = 500;
        assert_int_equal(fetch_classify(&r), FETCH_ERROR);
        assert_string_equal(fetch_describe(&r, buf, sizeof(buf)), "HTTP 500");
        r.status = 504;
        assert_int_equal(fetch_classify(&r), FETCH_ERROR);
        r.status = 404;
        assert_int_equal(fetch_classify(&r), FETCH_ERROR);
        /* a 200 whose body was cut or too slow is an error */
        r.status = 200;
        r.code = CURLE_PARTIAL_FILE;
        r.error = "transfer closed with 100 bytes remaining to read";
        assert_int_equal(fetch_classify(&r), FETCH_ERROR);
        assert_string_equal(fetch_describe(&r, buf, sizeof(buf)),
                            "transfer closed with 100 bytes remaining to read");
        r.code = CURLE_OK;
        r.too_big = true;
        assert_int_equal(fetch_classify(&r), FETCH_ERROR);
        assert_non_null(strstr(fetch_describe(&r, buf, sizeof(buf)), "max_body_bytes"));
}

static void
t_user_agent(void **state)
{
        char *ua;

        (void)state;
        ua = fetch_user_agent(NULL);
        assert_true(strncmp(ua, "bidbroker/", 10) == 0);
        assert_null(strchr(ua, '('));
        free(ua);
        ua = fetch_user_agent("mailto:ops@example.org");
        assert_non_null(strstr(ua, " (+mailto:ops@example.org)"));
        free(ua);
}

static void
t_new_free(void **state)
{
        struct fetch_opts o = { 0 };
        struct fetch *f = NULL;
        struct err err = { 0 };

        (void)state;
        curl_global_init(CURL_GLOBAL_DEFAULT);
        o.url = "http://127.0.0.1:9/x";
        o.user_agent = "bidbroker/test";
        o.connect_timeout_ms = 1000;
        o.low_speed_limit = 10;
        o.low_speed_time_ms = 1500;
        o.max_body_bytes = 4096;
        o.if_none_match = "\"abc\"";
        o.owner = &o;
        assert_int_equal(fetch_new(&o, &f, &err), 0);
        assert_non_null(fetch_handle(f));
        assert_ptr_equal(fetch_owner(f), &o);
        assert_string_equal(fetch_url(f), "http://127.0.0.1:9/x");
        assert_null(fetch_free(f));
        assert_null(fetch_free(NULL));
        curl_global_cleanup();
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(t_retry_after_seconds),
                cmocka_unit_test(t_retry_after_date),
                cmocka_unit_test(t_url_host),
                cmocka_unit_test(t_url_resolve),
                cmocka_unit_test(t_classify),
                cmocka_unit_test(t_user_agent),
                cmocka_unit_test(t_new_free),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
