/*
 * mime.c — building an email message: header fields (RFC 5322, RFC 2047
 * encoded-words, folding), a multipart/alternative body (RFC 2046) with
 * text/plain first and text/html last, quoted-printable (RFC 2045), CRLF.
 *
 * A header value with CR, LF or another control character is refused, so a
 * feed value can never inject a header field.  QP lines are at most 76
 * characters including the soft-break '=', never end in whitespace, use
 * uppercase hex, and a line starting "From " is written "=46rom " so an mbox
 * on the way cannot change the body (and break the DKIM body hash).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "bidbroker/err.h"
#include "bidbroker/mime.h"
#include "bidbroker/text.h"
#include "bidbroker/utf8.h"
#include "bidbroker/util.h"

#define LINE_MAX_COLS   78      /* RFC 5322 2.1.1: SHOULD */
#define QP_MAX_COLS     76      /* RFC 2045 6.7 (5), the '=' included */
#define EW_MAX          75      /* RFC 2047 2: one encoded-word */

struct mime_field {
        char *name, *value;     /* value already encoded and folded */
};

struct mime_msg {
        struct mime_field *f;
        size_t             n, cap;
        char              *text, *html;
};

struct mime_msg *
mime_new(void)
{
        return xcalloc(1, sizeof(struct mime_msg));
}

void
mime_free(struct mime_msg *m)
{
        if (!m)
                return;
        for (size_t i = 0; i < m->n; i++) {
                free(m->f[i].name);
                free(m->f[i].value);
        }
        free(m->f);
        free(m->text);
        free(m->html);
        free(m);
}

static void
add_field(struct mime_msg *m, const char *name, char *value)
{
        if (m->n == m->cap) {
                m->cap = m->cap ? m->cap * 2 : 16;
                m->f = xreallocarray(m->f, m->cap, sizeof *m->f);
        }
        m->f[m->n].name = xstrdup(name);
        m->f[m->n++].value = value;
}

static bool
name_ok(const char *name)
{
        if (!name || !*name)
                return false;
        for (const char *p = name; *p; p++)
                if (*p <= ' ' || *p >= 127 || *p == ':')
                        return false;
        return true;
}

/* 0, or an error naming the field: no control characters, valid UTF-8 */
static int
check_value(const char *name, const char *value, bool ascii_only, struct err *e)
{
        if (!name_ok(name))
                return err_set(e, -EINVAL, "bad header field name \"%s\"", name ? name : "");
        if (!value)
                return err_set(e, -EINVAL, "header %s: no value", name);
        for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
                if (*p == '\r' || *p == '\n')
                        return err_set(e, -EINVAL, "header %s: the value holds a line break "
                                       "(refused: it could add a header field)", name);
                if ((*p < ' ' && *p != '\t') || *p == 127)
                        return err_set(e, -EINVAL, "header %s: the value holds control "
                                       "character 0x%02x", name, *p);
                if (ascii_only && *p >= 128)
                        return err_set(e, -EINVAL, "header %s: the value must be ASCII", name);
        }
        if (!utf8_valid(value, strlen(value)))
                return err_set(e, -EINVAL, "header %s: the value is not valid UTF-8", name);
        return 0;
}

static bool
is_ascii(const char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s >= 128)
                        return false;
        return true;
}

/* ASCII words folded at the spaces between them, the line starting at col */
static void
fold_ascii(const char *value, size_t col, struct buf *out)
{
        const char *p = value;
        bool first = true;

        while (*p) {
                const char *sp = strchr(p, ' ');
                size_t n = sp ? (size_t)(sp - p) : strlen(p);

                if (!first) {
                        if (col + 1 + n > LINE_MAX_COLS) {
                                buf_adds(out, "\r\n");
                                col = 0;
                        }
                        buf_addc(out, ' ');
                        col++;
                }
                buf_add(out, p, n);
                col += n;
                first = false;
                p += n;
                if (*p == ' ')
                        p++;
        }
}

/* Q-encoding (RFC 2047 4.2) of one byte, as it may stand in a phrase too */
static size_t
q_byte(unsigned char c, char out[4])
{
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '!' || c == '*' || c == '+' || c == '-' || c == '/') {
                out[0] = (char)c;
                return 1;
        }
        if (c == ' ') {
                out[0] = '_';
                return 1;
        }
        snprintf(out, 4, "=%02X", c);
        return 3;
}

void
mime_encode_word(const char *text, size_t first_col, struct buf *out)
{
        static const char open[] = "=?UTF-8?Q?";
        const unsigned char *p = (const unsigned char *)text;
        size_t room = EW_MAX - (sizeof open - 1) - 2;
        size_t used = 0;

        /* the first word shares its line with "Name: " */
        if (first_col + EW_MAX > LINE_MAX_COLS && first_col < LINE_MAX_COLS - 20)
                room -= first_col + EW_MAX - LINE_MAX_COLS;
        buf_adds(out, open);
        while (*p) {
                /* one whole character (UTF-8 sequence) per step: never split */
                size_t clen = 1, need = 0;
                char enc[16];

                if (*p >= 0xf0)
                        clen = 4;
                else if (*p >= 0xe0)
                        clen = 3;
                else if (*p >= 0xc0)
                        clen = 2;
                for (size_t i = 0; i < clen && p[i]; i++)
                        need += q_byte(p[i], enc + need);
                if (used + need > room) {
                        buf_adds(out, "?=\r\n ");
                        buf_adds(out, open);
                        used = 0;
                        room = EW_MAX - (sizeof open - 1) - 2;
                }
                buf_add(out, enc, need);
                used += need;
                for (size_t i = 0; i < clen && *p; i++)
                        p++;
        }
        buf_adds(out, "?=");
}

/* a word that cannot be folded onto a line of its own (or the first line) */
static bool
has_long_word(const char *value, size_t first_col)
{
        size_t col = first_col;

        for (const char *p = value; *p; ) {
                size_t n = strcspn(p, " ");

                if (col + n > LINE_MAX_COLS)
                        return true;
                col = 1;
                p += n;
                p += strspn(p, " ");
        }
        return false;
}

int
mime_header_text(struct mime_msg *m, const char *name, const char *value, struct err *e)
{
        struct buf b;
        int r = check_value(name, value, false, e);

        if (r < 0)
                return r;
        buf_init(&b);
        if (is_ascii(value) && !strstr(value, "=?") &&
            !has_long_word(value, strlen(name) + 2))
                fold_ascii(value, strlen(name) + 2, &b);
        else
                mime_encode_word(value, strlen(name) + 2, &b);
        add_field(m, name, buf_steal(&b));
        return 0;
}

int
mime_header_raw(struct mime_msg *m, const char *name, const char *value, struct err *e)
{
        struct buf b;
        int r = check_value(name, value, true, e);

        if (r < 0)
                return r;
        buf_init(&b);
        fold_ascii(value, strlen(name) + 2, &b);
        add_field(m, name, buf_steal(&b));
        return 0;
}

int
mime_header_addr(struct mime_msg *m, const char *name, const char *display,
                 const char *addr, struct err *e)
{
        struct buf b;
        int r;

        r = check_value(name, addr, true, e);
        if (r < 0)
                return r;
        if (!strchr(addr, '@') || strpbrk(addr, " \t<>\",;()[]\\"))
                return err_set(e, -EINVAL, "header %s: \"%s\" is not an email address", name,
                               addr);
        if (display && *display && (r = check_value(name, display, false, e)) < 0)
                return r;
        buf_init(&b);
        if (!display || !*display) {
                buf_adds(&b, addr);
        } else if (!is_ascii(display) || strstr(display, "=?")) {
                mime_encode_word(display, strlen(name) + 2, &b);
                buf_printf(&b, "\r\n <%s>", addr);
        } else if (strpbrk(display, "()<>[]:;@\\,.\"")) {
                buf_addc(&b, '"');
                for (const char *p = display; *p; p++) {
                        if (*p == '"' || *p == '\\')
                                buf_addc(&b, '\\');
                        buf_addc(&b, *p);
                }
                buf_printf(&b, "\" <%s>", addr);
        } else {
                buf_printf(&b, "%s <%s>", display, addr);
        }
        add_field(m, name, buf_steal(&b));
        return 0;
}

void
mime_header_date(struct mime_msg *m, int64_t t)
{
        static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
        static const char *const mo[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
        time_t tt = (time_t)t;
        struct tm tm;

        gmtime_r(&tt, &tm);
        add_field(m, "Date", xasprintf("%s, %02d %s %04d %02d:%02d:%02d +0000", wd[tm.tm_wday],
                                       tm.tm_mday, mo[tm.tm_mon], tm.tm_year + 1900,
                                       tm.tm_hour, tm.tm_min, tm.tm_sec));
}

static int
set_body(char **dst, const char *what, const char *s, struct err *e)
{
        if (!s || !utf8_valid(s, strlen(s)))
                return err_set(e, -EINVAL, "the %s part is not valid UTF-8", what);
        free(*dst);
        *dst = xstrdup(s);
        return 0;
}

int
mime_set_text(struct mime_msg *m, const char *text, struct err *e)
{
        return set_body(&m->text, "text/plain", text, e);
}

int
mime_set_html(struct mime_msg *m, const char *html, struct err *e)
{
        return set_body(&m->html, "text/html", html, e);
}

/* whether a byte may stand for itself in QP (a space or tab only before the
 * line's last byte) */
static bool
qp_plain(unsigned char c)
{
        return (c >= 33 && c <= 126 && c != '=') || c == ' ' || c == '\t';
}

static bool
from_at(const unsigned char *s, size_t len, size_t i)
{
        return s[i] == 'F' && len - i >= 5 && memcmp(s + i, "From ", 5) == 0;
}

/* one input line (no line end) as QP lines, soft breaks included, and its
 * CRLF; each output line is made in a local array and appended whole */
static void
qp_line(const unsigned char *s, size_t len, struct buf *out)
{
        static const char hex[] = "0123456789ABCDEF";
        char line[QP_MAX_COLS + 8];
        size_t col = 0;

        for (size_t i = 0; i < len; i++) {
                unsigned char c = s[i];
                bool last = i + 1 == len;
                size_t n, j, lim;

                /* a run of bytes that stand for themselves, up to the line's last
                 * byte and the soft break's column: copied whole */
                if (col > 0 || c != 'F') {
                        lim = len - 1 - i < QP_MAX_COLS - 1 - col ? len - 1
                                                                  : i + QP_MAX_COLS - 1 - col;
                        for (j = i; j < lim && qp_plain(s[j]); j++)
                                ;
                        if (j > i) {
                                memcpy(line + col, s + i, j - i);
                                col += j - i;
                                i = j - 1;
                                continue;
                        }
                }
                n = qp_plain(c) && !(last && (c == ' ' || c == '\t')) ? 1 : 3;

                /* "From " at the start of an output line: mbox would quote it */
                if (col == 0 && from_at(s, len, i))
                        n = 3;
                /* room for the soft-break '=' unless this is the line's end */
                if (col + n > (last ? QP_MAX_COLS : QP_MAX_COLS - 1)) {
                        memcpy(line + col, "=\r\n", 3);
                        buf_add(out, line, col + 3);
                        col = 0;
                        if (from_at(s, len, i))
                                n = 3;
                }
                if (n == 1) {
                        line[col++] = (char)c;
                } else {                /* "From ": 'F' is =46 */
                        line[col] = '=';
                        line[col + 1] = hex[c >> 4];
                        line[col + 2] = hex[c & 15];
                        col += 3;
                }
        }
        memcpy(line + col, "\r\n", 2);
        buf_add(out, line, col + 2);
}

void
mime_qp_encode(const char *text, size_t len, struct buf *out)
{
        size_t pos = 0;

        while (pos < len) {
                const char *nl = memchr(text + pos, '\n', len - pos);
                size_t llen = nl ? (size_t)(nl - (text + pos)) : len - pos;
                size_t clen = llen;

                if (clen > 0 && text[pos + clen - 1] == '\r')
                        clen--;
                qp_line((const unsigned char *)text + pos, clen, out);
                pos += llen + (nl ? 1 : 0);
        }
}

/* HTML for a value from a feed: markup characters escaped, controls and line
 * breaks as spaces (in HTML they are whitespace anyway); text_html_escape */
void
mime_html_escape(const char *text, struct buf *out)
{
        text_html_escape(text, out);
}

static void
add_part(struct buf *out, const char *boundary, const char *type, const char *body)
{
        buf_printf(out, "--%s\r\nContent-Type: %s; charset=UTF-8\r\n"
                   "Content-Transfer-Encoding: quoted-printable\r\n\r\n", boundary, type);
        mime_qp_encode(body, strlen(body), out);
}

int
mime_render(const struct mime_msg *m, struct buf *out, struct err *e)
{
        unsigned char h[12];
        char hex[sizeof h * 2 + 1], boundary[64];
        crypto_generichash_state st;

        if (!m->text || !m->html)
                return err_set(e, -EINVAL, "a message needs both its text and HTML parts");
        crypto_generichash_init(&st, NULL, 0, sizeof h);
        crypto_generichash_update(&st, (const unsigned char *)m->text, strlen(m->text) + 1);
        crypto_generichash_update(&st, (const unsigned char *)m->html, strlen(m->html));
        crypto_generichash_final(&st, h, sizeof h);
        sodium_bin2hex(hex, sizeof hex, h, sizeof h);
        snprintf(boundary, sizeof boundary, "=_bidbroker_%s", hex);

        for (size_t i = 0; i < m->n; i++)
                buf_printf(out, "%s: %s\r\n", m->f[i].name, m->f[i].value);
        buf_printf(out, "MIME-Version: 1.0\r\nContent-Type: multipart/alternative;\r\n"
                   " boundary=\"%s\"\r\n\r\n", boundary);
        add_part(out, boundary, "text/plain", m->text);
        add_part(out, boundary, "text/html", m->html);
        buf_printf(out, "--%s--\r\n", boundary);
        return 0;
}

/* a title from a feed on one line of plain text */
static char *
one_line(const char *s)
{
        char *t = xstrdup(s);

        for (char *p = t; *p; p++)
                if (*p == '\r' || *p == '\n' || *p == '\t')
                        *p = ' ';
        return t;
}

int
mime_sample(const char *from, const char *to, const char *title, int64_t t,
            struct buf *out, struct err *e)
{
        struct mime_msg *m = mime_new();
        const char *at = from ? strchr(from, '@') : NULL;
        const char *dom = at ? at + 1 : "example.org";
        struct buf text, html;
        char *line = one_line(title), *v;
        int r;

        buf_init(&text);
        buf_init(&html);
        r = mime_header_addr(m, "From", "Bidbroker digests", from, e);
        if (r == 0)
                r = mime_header_addr(m, "To", NULL, to, e);
        if (r == 0)
                r = mime_header_text(m, "Subject", "Your weekly digest: 1 opportunity under "
                                     "£25,000, closing soon", e);
        if (r == 0) {
                mime_header_date(m, t);
                v = xasprintf("<sample-%lld@%s>", (long long)t, dom);
                r = mime_header_raw(m, "Message-ID", v, e);
                free(v);
        }
        if (r == 0) {
                v = xasprintf("Bidbroker digests <digest.%s>", dom);
                r = mime_header_raw(m, "List-Id", v, e);
                free(v);
        }
        if (r == 0) {
                v = xasprintf("<https://%s/u/sample-token>, <mailto:unsubscribe@%s"
                              "?subject=unsubscribe>", dom, dom);
                r = mime_header_raw(m, "List-Unsubscribe", v, e);
                free(v);
        }
        if (r == 0)
                r = mime_header_raw(m, "List-Unsubscribe-Post", "List-Unsubscribe=One-Click",
                                    e);
        if (r < 0)
                goto out;
        buf_printf(&text, "Your weekly digest\n\n1. %s\n   Value: £12,000\n"
                   "   Why it matched: the capability \"grounds maintenance\" and the "
                   "region; this sentence is long enough to need a soft line break in "
                   "quoted-printable.\nFrom the brokerage, with thanks.\n", line);
        buf_adds(&html, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><meta "
                 "name=\"viewport\" content=\"width=device-width\"></head><body>\n<h1>Your "
                 "weekly digest</h1>\n<h2>");
        mime_html_escape(title, &html);
        buf_adds(&html, "</h2>\n<p>Value: £12,000</p>\n</body></html>\n");
        r = mime_set_text(m, text.data, e);
        if (r == 0)
                r = mime_set_html(m, html.data, e);
        if (r == 0)
                r = mime_render(m, out, e);
out:
        free(line);
        buf_done(&text);
        buf_done(&html);
        mime_free(m);
        return r;
}
