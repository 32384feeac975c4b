/*
 * page.c — the one HTML page shell of the server's pages (route.h): the
 * anchors' form (web.c), the members' link pages (member.c) and the staff
 * dashboard (staff.c).  UTF-8, a viewport for phones, one small inline
 * stylesheet, no scripts.  The headers say so to the browser: a
 * Content-Security-Policy that allows no script, no frame and forms only to
 * this site; Referer only to this site (a page's URL may hold a member's
 * token, so nothing leaves; same-origin rather than no-referrer because
 * browsers then send "Origin: null" with a form, and the sign-in forms
 * check Origin against cross-site posts).
 */
#include <stdlib.h>

#include <microhttpd.h>

#include "bidbroker/text.h"
#include "bidbroker/util.h"

#include "route.h"

static const char style[] =
        "*{box-sizing:border-box}"
        "body{font:17px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;"
        "color:#1b1b1b;background:#f4f5f7}"
        "header{background:#123f6d;color:#fff;padding:.8rem 1rem}"
        "header a{color:#fff}header p{margin:0}header form{display:inline}"
        "header button.link{color:#fff}"
        "main{max-width:44rem;margin:0 auto;padding:1rem;overflow-wrap:anywhere}"
        "body.wide main{max-width:66rem;overflow-wrap:normal}"
        "h1{font-size:1.5rem;line-height:1.3;margin:.5rem 0 1rem}"
        "h2{font-size:1.2rem;margin:1.5rem 0 .5rem}"
        "section>h2{margin-top:2.5rem;border-top:1px solid #d5d8dd;padding-top:1rem}"
        ".card{background:#fff;border-radius:8px;padding:1rem;margin:0 0 1rem;"
        "box-shadow:0 1px 3px rgba(0,0,0,.12)}"
        ".card>:first-child{margin-top:0}"
        "label{display:block;font-weight:600;margin:1rem 0 .25rem}"
        ".hint{display:block;font-weight:400;color:#555;font-size:.9rem}"
        "input,textarea,select{font:inherit;padding:.55rem;border:2px solid #6b7280;"
        "border-radius:6px;background:#fff}"
        "input,textarea{width:100%}textarea{min-height:6rem}"
        "input:focus,textarea:focus,select:focus,button:focus{outline:3px solid #ffbf47;"
        "outline-offset:1px}"
        ".row{display:flex;gap:.75rem;flex-wrap:wrap}.row>div{flex:1 1 10rem}"
        "button{font:inherit;font-weight:600;padding:.6rem 1.2rem;border:2px solid #00703c;"
        "border-radius:6px;background:#00703c;color:#fff;cursor:pointer;margin-top:1.2rem}"
        "button.alt{background:#fff;color:#00703c}"
        "button.link{background:none;color:inherit;text-decoration:underline;padding:0;"
        "margin:0;border:0;font-weight:400}"
        "button.danger{background:#b3261e;border-color:#b3261e;margin-top:.5rem}"
        "nav{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;margin:0 0 1rem}"
        "nav label{display:inline;margin:0}nav button{margin:0}"
        ".error{color:#b3261e;font-weight:600;display:block;margin:.2rem 0}"
        ".invalid{border-color:#b3261e}"
        ".alert,.bad{border-left:6px solid #b3261e}"
        ".ok,.done{border-left:6px solid #00703c}"
        ".done,.bad{padding-left:.75rem}"
        "dl{margin:0}dt{font-weight:600;margin-top:.6rem}dd{margin:0;overflow-wrap:anywhere}"
        ".status{display:inline-block;padding:0 .5rem;border-radius:4px;background:#e5e7eb;"
        "font-size:.9rem}"
        ".counts,.note{color:#444;font-size:.95rem}"
        ".figures{display:grid;grid-template-columns:repeat(auto-fit,minmax(12rem,1fr));"
        "gap:.5rem;padding:0;margin:0}.figures div{background:#fff;padding:.6rem;"
        "border-radius:6px;box-shadow:0 1px 3px rgba(0,0,0,.12)}"
        ".figures dt{font-size:.85rem;color:#555;margin:0;font-weight:400}"
        ".figures dd{font-size:1.3rem;font-weight:600}"
        ".scroll{overflow-x:auto}table{border-collapse:collapse;margin:.5rem 0;"
        "font-size:.9rem;background:#fff}th,td{padding:.25rem .6rem;"
        "border-bottom:1px solid #e3e3e3;text-align:left;vertical-align:top}"
        "td.n{text-align:right;font-variant-numeric:tabular-nums}"
        "svg.chart{max-width:100%;height:auto;background:#fff;border-radius:6px}"
        "a{color:#1d4f91}";

static const char *const page_headers[] = {
        "Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; "
                                   "img-src 'self'; form-action 'self'; "
                                   "frame-ancestors 'none'; base-uri 'none'",
        "Referrer-Policy", "same-origin",
        "X-Frame-Options", "DENY",
        NULL,
};

void
http_page_begin(struct buf *b, const char *title, const char *body_class,
                const char *header_html)
{
        buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\">"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                 "<meta name=\"robots\" content=\"noindex\"><title>");
        text_html_escape(title != NULL ? title : "", b);
        buf_printf(b, " — bidbroker</title><style>%s</style></head>\n<body", style);
        if (body_class != NULL)
                buf_printf(b, " class=\"%s\"", body_class);
        buf_adds(b, "><header>");
        buf_adds(b, header_html != NULL ? header_html :
                 "<p><strong>bidbroker</strong>: opportunities for local social enterprises"
                 "</p>");
        buf_adds(b, "</header><main>\n");
}

char *
http_page_end(struct buf *b)
{
        buf_adds(b, "\n</main></body></html>\n");
        return buf_steal(b);
}

void
http_page_alert(struct buf *b, const char *text)
{
        buf_adds(b, "<div class=\"card alert\" role=\"alert\"><p>");
        text_html_escape(text, b);
        buf_adds(b, "</p></div>");
}

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
        http_page_begin(&b, title, NULL, NULL);
        buf_adds(&b, body_html);
        return http_reply_page(h, rq, status, http_page_end(&b), NULL);
}
