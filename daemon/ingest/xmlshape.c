/*
 * xmlshape.c — a linear pre-scan of an XML document's shape (see xmlshape.h).
 *
 * Every byte is looked at a bounded number of times: text runs and the
 * insides of comments, CDATA sections, processing instructions and quoted
 * values are skipped with memchr/memmem, tags are read byte by byte once.
 * The first limit passed stops the scan; line numbers are counted only
 * then, from the start, once.
 */
#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bidbroker/err.h"
#include "bidbroker/util.h"

#include "xmlshape.h"

#define NAME_SHOWN 60                   /* bytes of an element name in a message */

struct scan {
        const char *start, *end;
        const char *p;
        const struct xml_limits *lim;
        const char *name;               /* the document's name, for messages */
        struct err *err;
        size_t elements, depth;
};

static bool
is_ws(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
starts(const struct scan *s, const char *p, const char *lit)
{
        size_t n = strlen(lit);

        return (size_t)(s->end - p) >= n && memcmp(p, lit, n) == 0;
}

/* Just past the first occurrence of lit at or after p, or NULL. */
static const char *
past(const struct scan *s, const char *p, const char *lit)
{
        size_t n = strlen(lit);
        const char *q = memmem(p, (size_t)(s->end - p), lit, n);

        return q ? q + n : NULL;
}

static size_t
line_of(const struct scan *s, const char *at)
{
        size_t line = 1;

        for (const char *p = s->start; (p = memchr(p, '\n', (size_t)(at - p))) != NULL; p++)
                line++;
        return line;
}

/* The element name at p (up to white space, '/' or '>'), printable: bytes
 * that are control characters are shown as '?'. */
static void
element_name(const struct scan *s, const char *p, char out[NAME_SHOWN + 1])
{
        size_t n = 0;

        while (p < s->end && n < NAME_SHOWN && !is_ws(*p) && *p != '/' && *p != '>') {
                unsigned char c = (unsigned char)*p++;

                out[n++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
        }
        out[n] = '\0';
}

__attribute__((format(printf, 2, 3)))
static int
refuse(struct scan *s, const char *fmt, ...)
{
        char what[300];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        return err_set(s->err, -EINVAL, "%s: refused: %s", s->name, what);
}

static int
check_text(struct scan *s, const char *at, size_t n, const char *what)
{
        if (n > s->lim->max_text)
                return refuse(s, "%s at line %zu is longer than %zu bytes", what,
                              line_of(s, at), s->lim->max_text);
        return 0;
}

/* Skip a DOCTYPE declaration starting at s->p ("<!DOCTYPE"), its internal
 * subset included (quoted literals, comments and processing instructions
 * may hold ']' and '>').  false when it does not end. */
static bool
skip_doctype(struct scan *s)
{
        const char *p = s->p + 9;
        bool subset = false;

        while (p < s->end) {
                char c = *p;

                if (c == '"' || c == '\'') {
                        p = memchr(p + 1, c, (size_t)(s->end - p - 1));
                        if (p == NULL)
                                return false;
                        p++;
                } else if (subset && starts(s, p, "<!--")) {
                        if ((p = past(s, p + 4, "-->")) == NULL)
                                return false;
                } else if (subset && starts(s, p, "<?")) {
                        if ((p = past(s, p + 2, "?>")) == NULL)
                                return false;
                } else if (c == '[' && !subset) {
                        subset = true, p++;
                } else if (c == ']' && subset) {
                        subset = false, p++;
                } else if (c == '>' && !subset) {
                        s->p = p + 1;
                        return true;
                } else {
                        p++;
                }
        }
        return false;
}

enum step { STEP_ON, STEP_STOP, STEP_REFUSED };

/* A start tag at s->p ('<' then a name): count it, its attributes and the
 * lengths of their values, and the depth it opens. */
static enum step
start_tag(struct scan *s)
{
        const char *lt = s->p, *p = s->p + 1;
        size_t attrs = 0;
        char nm[NAME_SHOWN + 1];

        if (++s->elements > s->lim->max_elements) {
                element_name(s, p, nm);
                refuse(s, "more than %zu elements (element <%s> at line %zu)",
                       s->lim->max_elements, nm, line_of(s, lt));
                return STEP_REFUSED;
        }
        while (p < s->end && !is_ws(*p) && *p != '/' && *p != '>')
                p++;
        if (p == lt + 1)
                return STEP_STOP;
        for (;;) {
                const char *q;

                while (p < s->end && is_ws(*p))
                        p++;
                if (p >= s->end)
                        return STEP_STOP;
                if (*p == '>' || starts(s, p, "/>")) {
                        if (*p == '>' && ++s->depth > s->lim->max_depth) {
                                element_name(s, lt + 1, nm);
                                refuse(s, "element <%s> at line %zu is nested more than %zu deep",
                                       nm, line_of(s, lt), s->lim->max_depth);
                                return STEP_REFUSED;
                        }
                        s->p = p + (*p == '>' ? 1 : 2);
                        return STEP_ON;
                }
                /* an attribute: name, '=', a quoted value */
                q = p;
                while (p < s->end && !is_ws(*p) && *p != '=' && *p != '>' && *p != '/')
                        p++;
                if (p == q)
                        return STEP_STOP;
                while (p < s->end && is_ws(*p))
                        p++;
                if (p >= s->end || *p != '=')
                        return STEP_STOP;
                p++;
                while (p < s->end && is_ws(*p))
                        p++;
                if (p >= s->end || (*p != '"' && *p != '\''))
                        return STEP_STOP;
                q = memchr(p + 1, *p, (size_t)(s->end - p - 1));
                if (q == NULL)
                        return STEP_STOP;
                if (++attrs > s->lim->max_attrs) {
                        element_name(s, lt + 1, nm);
                        refuse(s, "element <%s> at line %zu has more than %zu attributes", nm,
                               line_of(s, lt), s->lim->max_attrs);
                        return STEP_REFUSED;
                }
                if ((size_t)(q - p - 1) > s->lim->max_text) {
                        element_name(s, lt + 1, nm);
                        refuse(s, "element <%s> at line %zu has an attribute value longer "
                               "than %zu bytes", nm, line_of(s, lt), s->lim->max_text);
                        return STEP_REFUSED;
                }
                p = q + 1;
        }
}

/* One markup construct at s->p ('<'). */
static enum step
markup(struct scan *s)
{
        const char *p = s->p, *q;

        if (starts(s, p, "<!--")) {
                q = past(s, p + 4, "-->");
        } else if (starts(s, p, "<![CDATA[")) {
                q = past(s, p + 9, "]]>");
                if (q != NULL && check_text(s, p, (size_t)(q - p - 12), "a CDATA section") < 0)
                        return STEP_REFUSED;
        } else if (starts(s, p, "<?")) {
                q = past(s, p + 2, "?>");
        } else if (starts(s, p, "<!DOCTYPE")) {
                return skip_doctype(s) ? STEP_ON : STEP_STOP;
        } else if (starts(s, p, "</")) {
                q = memchr(p, '>', (size_t)(s->end - p));
                if (q != NULL) {
                        q++;
                        if (s->depth > 0)
                                s->depth--;
                }
        } else if (starts(s, p, "<!")) {
                return STEP_STOP;       /* not XML: libxml2 says so */
        } else {
                return start_tag(s);
        }
        if (q == NULL)
                return STEP_STOP;
        s->p = q;
        return STEP_ON;
}

static int
scan(const char *name, const char *data, size_t len, const struct xml_limits *lim,
     struct err *err)
{
        struct scan s = { .start = data, .end = data + len, .p = data, .lim = lim,
                          .name = name, .err = err };

        while (s.p < s.end) {
                const char *lt = memchr(s.p, '<', (size_t)(s.end - s.p));
                size_t run = (size_t)((lt ? lt : s.end) - s.p);

                if (check_text(&s, s.p, run, "text") < 0)
                        return -EINVAL;
                if (lt == NULL)
                        break;
                s.p = lt;
                switch (markup(&s)) {
                case STEP_ON:
                        break;
                case STEP_STOP:
                        return 0;
                case STEP_REFUSED:
                        return -EINVAL;
                }
        }
        return 0;
}

/* ---- encodings --------------------------------------------------------- */

/* The value of encoding="..." in an XML declaration at the start of data,
 * into out; false when there is none. */
static bool
declared_encoding(const char *data, size_t len, char *out, size_t outsz)
{
        const char *end, *p, *q;

        if (len < 6 || memcmp(data, "<?xml", 5) != 0 || !is_ws(data[5]))
                return false;
        end = memmem(data, len < 1024 ? len : 1024, "?>", 2);
        if (end == NULL)
                return false;
        p = memmem(data, (size_t)(end - data), "encoding", 8);
        if (p == NULL)
                return false;
        for (p += 8; p < end && is_ws(*p); p++)
                ;
        if (p >= end || *p++ != '=')
                return false;
        while (p < end && is_ws(*p))
                p++;
        if (p >= end || (*p != '"' && *p != '\''))
                return false;
        q = memchr(p + 1, *p, (size_t)(end - p - 1));
        if (q == NULL || (size_t)(q - p - 1) >= outsz)
                return false;
        memcpy(out, p + 1, (size_t)(q - p - 1));
        out[q - p - 1] = '\0';
        return true;
}

/* Encodings in which '<', '>', '=', quotes and white space are the ASCII
 * bytes and no other byte is one of them: the scan reads those. */
static bool
ascii_compatible(const char *enc)
{
        static const char *const prefixes[] = {
                "utf-8", "utf8", "us-ascii", "ascii", "iso-8859-", "iso8859-", "iso_8859-",
                "latin", "l1", "windows-", "cp", "shift_jis", "sjis", "euc-", "euc_",
                "gb", "big5", "koi8", "tis-620",
                "utf-16", "utf16",      /* in an 8-bit document libxml2 refuses it */
        };

        if (strncasecmp(enc, "cp", 2) == 0 && strncasecmp(enc, "cp125", 5) != 0 &&
            strncasecmp(enc, "cp8", 3) != 0 && strncasecmp(enc, "cp9", 3) != 0)
                return false;           /* cp037, cp500...: EBCDIC */
        for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
                if (strncasecmp(enc, prefixes[i], strlen(prefixes[i])) == 0)
                        return true;
        return false;
}

/* data (UTF-16, without its byte order mark) as UTF-8, into *ret (owned by
 * the caller), as far as it converts. */
static size_t
utf16_to_utf8(const char *data, size_t len, bool big_endian, char **ret)
{
        size_t cap = len / 2 * 3 + 16, in_left = len, out_left = cap;
        char *out = xmalloc(cap), *in = (char *)data, *o = out;
        iconv_t cd = iconv_open("UTF-8", big_endian ? "UTF-16BE" : "UTF-16LE");

        if (cd != (iconv_t)-1) {
                (void)iconv(cd, &in, &in_left, &o, &out_left);  /* stops at a bad unit */
                iconv_close(cd);
        }
        *ret = out;
        return (size_t)(o - out);
}

int
xml_shape_check(const char *name, const char *data, size_t len,
                const struct xml_limits *lim, struct err *err)
{
        const unsigned char *u = (const unsigned char *)data;
        char enc[64], *conv = NULL;
        size_t n;
        int r;

        if (len >= 4 && ((u[0] == 0 && u[1] == 0) || (u[2] == 0 && u[3] == 0) ||
                         (u[0] == 0x4c && u[1] == 0x6f && u[2] == 0xa7 && u[3] == 0x94)))
                return err_set(err, -EINVAL, "%s: refused: the document is in UCS-4 or "
                               "EBCDIC (feeds must be UTF-8, an ASCII-compatible encoding "
                               "or UTF-16)", name);
        if (len >= 2 && ((u[0] == 0xfe && u[1] == 0xff) || (u[0] == 0xff && u[1] == 0xfe))) {
                n = utf16_to_utf8(data + 2, len - 2, u[0] == 0xfe, &conv);
        } else if (len >= 4 && ((u[0] == 0 && u[1] == '<' && u[2] == 0 && u[3] == '?') ||
                                (u[0] == '<' && u[1] == 0 && u[2] == '?' && u[3] == 0))) {
                n = utf16_to_utf8(data, len, u[0] == 0, &conv);
        } else {
                if (len >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf)
                        data += 3, len -= 3;
                if (declared_encoding(data, len, enc, sizeof(enc)) && !ascii_compatible(enc)) {
                        for (char *c = enc; *c; c++)
                                if ((unsigned char)*c < 0x20 || *c == 0x7f)
                                        *c = '?';
                        return err_set(err, -EINVAL, "%s: refused: the XML declaration names "
                                       "encoding '%s', which bidbroker does not read (feeds "
                                       "must be UTF-8, an ASCII-compatible encoding or "
                                       "UTF-16)", name, enc);
                }
                return scan(name, data, len, lim, err);
        }
        r = scan(name, conv, n, lim, err);
        free(conv);
        return r;
}
