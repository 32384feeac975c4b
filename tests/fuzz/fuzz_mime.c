/*
 * fuzz_mime.c — a feed value through the message builder: as the Subject
 * (mime_header_text), as the text part, HTML-escaped into the HTML part;
 * then DKIM body canonicalisation of the rendered body.
 * Invariants (mime.h, dkim.h): a value is refused exactly when it holds a
 * control character (CR, LF…) or is not UTF-8; otherwise the message has
 * CRLF line ends only, header lines of at most 78 columns, one field per
 * added header (nothing injected), body lines of at most 76, and the escaped
 * HTML holds no markup character; the canonical body has no trailing
 * whitespace on a line and no empty lines at its end.
 */
#include <errno.h>

#include "bidbroker/dkim.h"
#include "bidbroker/err.h"
#include "bidbroker/mime.h"
#include "bidbroker/utf8.h"
#include "bidbroker/util.h"
#include "fuzz.h"

static bool
has_control(const char *s)
{
        for (; *s; s++)
                if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
                        return true;
        return false;
}

static void
check_message(const char *msg, size_t len)
{
        const char *end = strstr(msg, "\r\n\r\n");
        size_t fields = 0;

        fuzz_assert(end != NULL);
        for (const char *p = msg; p < msg + len; ) {
                const char *crlf = strstr(p, "\r\n");
                size_t n;

                if (!crlf)
                        fuzz_fail("message does not end in CRLF");
                n = (size_t)(crlf - p);
                if (memchr(p, '\n', n) || memchr(p, '\r', n))
                        fuzz_fail("bare CR or LF in a line");
                if (p < end) {
                        if (n > 78)
                                fuzz_fail("header line of %zu columns", n);
                        if (*p != ' ' && *p != '\t')
                                fields++;
                } else if (p > end && n > 76) {
                        fuzz_fail("body line of %zu columns", n);
                }
                p = crlf + 2;
        }
        /* From, Subject, MIME-Version, Content-Type: nothing injected */
        if (fields != 4)
                fuzz_fail("%zu header fields, not 4", fields);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = xstrndup((const char *)data, size);
        bool bad = has_control(s) || !utf8_valid(s, strlen(s));
        struct mime_msg *m = mime_new();
        struct buf html, out, canon;
        struct err e = { 0 };
        int r;

        buf_init(&html);
        buf_init(&out);
        buf_init(&canon);
        r = mime_header_text(m, "Subject", s, &e);
        if ((r < 0) != bad)
                fuzz_fail("mime_header_text returned %d for a value that is %s", r,
                          bad ? "bad" : "fine");
        mime_html_escape(s, &html);
        if (strpbrk(html.data ? html.data : "", "<>\"'\r\n"))
                fuzz_fail("markup or a line break left in escaped HTML");
        if (r == 0) {
                fuzz_assert(mime_header_addr(m, "From", NULL, "a@example.org", &e) == 0);
                fuzz_assert(mime_set_text(m, s, &e) == 0);
                fuzz_assert(mime_set_html(m, html.data ? html.data : "", &e) == 0);
                fuzz_assert(mime_render(m, &out, &e) == 0);
                check_message(out.data, out.len);
                dkim_canon_body(out.data, out.len, &canon);
                if (canon.len > 0 && (canon.len < 2 ||
                                      memcmp(canon.data + canon.len - 2, "\r\n", 2) != 0))
                        fuzz_fail("canonical body does not end in CRLF");
                if (canon.len >= 4 && memcmp(canon.data + canon.len - 4, "\r\n\r\n", 4) == 0)
                        fuzz_fail("canonical body ends in an empty line");
                if (canon.len > 0 && strstr(canon.data, " \r\n"))
                        fuzz_fail("trailing whitespace in the canonical body");
        }
        buf_done(&html);
        buf_done(&out);
        buf_done(&canon);
        mime_free(m);
        free(s);
        return 0;
}
