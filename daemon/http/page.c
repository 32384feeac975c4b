/*
 * page.c — the HTML page shell of the server's pages (route.h): UTF-8, a
 * viewport for phones, a little inline CSS, no scripts.  The headers say so
 * to the browser: a Content-Security-Policy that allows no script, no
 * frame and forms only to this site, and no Referer onwards (a page's URL
 * may hold a member's token).
 */
#include <stdlib.h>

#include <microhttpd.h>

#include "bidbroker/text.h"
#include "bidbroker/util.h"

#include "route.h"

static const char style[] =
        "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
        "line-height:1.5;color:#1b1b1b;background:#fff;margin:0}"
        "main{max-width:36rem;margin:0 auto;padding:1rem 1.25rem 2rem}"
        "h1{font-size:1.4rem;line-height:1.3;margin:.5rem 0 1rem}"
        "dl{margin:1rem 0;padding:.75rem 1rem;background:#f3f5f8;border-radius:.5rem}"
        "dt{font-weight:600;font-size:.9rem;color:#444}dd{margin:0 0 .5rem}"
        "form{margin:1.25rem 0}"
        "button{font:inherit;font-size:1.05rem;width:100%;padding:.8rem 1rem;"
        "border-radius:.5rem;border:2px solid #1d4f91;background:#1d4f91;color:#fff;"
        "cursor:pointer}"
        "button.alt{background:#fff;color:#1d4f91}"
        ".note{color:#555;font-size:.95rem}.done{border-left:4px solid #2e7d32;"
        "padding-left:.75rem}.bad{border-left:4px solid #b3261e;padding-left:.75rem}"
        "a{color:#1d4f91;overflow-wrap:anywhere}";

static const char *const page_headers[] = {
        "Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; "
                                   "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        "Referrer-Policy", "no-referrer",
        "X-Frame-Options", "DENY",
        NULL,
};

enum MHD_Result
http_reply_page(struct http_server *h, struct req *rq, unsigned status, char *document,
                const char *const *extra)
{
        const char *hdr[ARRAY_SIZE(page_headers) + 8];
        size_t n = 0;

        for (size_t i = 0; page_headers[i] != NULL; i++)
                hdr[n++] = page_headers[i];
        for (size_t i = 0; extra != NULL && extra[i] != NULL && n + 3 <= ARRAY_SIZE(hdr);
             i += 2) {
                hdr[n++] = extra[i];
                hdr[n++] = extra[i + 1];
        }
        hdr[n] = NULL;
        return http_reply(h, rq, status, "text/html; charset=utf-8", document, hdr);
}

enum MHD_Result
http_reply_html(struct http_server *h, struct req *rq, unsigned status, const char *title,
                const char *body_html)
{
        struct buf b;

        buf_init(&b);
        buf_adds(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                 "<meta name=\"robots\" content=\"noindex\"><title>");
        text_html_escape(title, &b);
        buf_printf(&b, "</title><style>%s</style></head>\n<body><main>\n", style);
        buf_adds(&b, body_html);
        buf_adds(&b, "\n</main></body></html>\n");
        return http_reply_page(h, rq, status, buf_steal(&b), NULL);
}
