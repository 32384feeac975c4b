/*
 * digesttpl.c — the digest's tiny template language (digesttpl.h).
 *
 * Parsed once into segments (literal text, or a value by index) with the
 * line each starts; rendering walks them, so a digest of ten items costs a
 * few dozen appends, no lookups by name.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bidbroker/digesttpl.h"
#include "bidbroker/err.h"
#include "bidbroker/mime.h"
#include "bidbroker/util.h"

enum seg_kind { SEG_TEXT, SEG_VALUE, SEG_RAW, SEG_COND, SEG_EOL };

struct seg {
        enum seg_kind kind;
        size_t        off, len;         /* SEG_TEXT: in t->text */
        size_t        var;              /* SEG_VALUE, SEG_RAW, SEG_COND */
};

struct tpl {
        char       *text;
        struct seg *seg;
        size_t      n, cap;
        bool        html;
};

static void
add(struct tpl *t, struct seg s)
{
        if (t->n == t->cap) {
                t->cap = t->cap ? t->cap * 2 : 32;
                t->seg = xreallocarray(t->seg, t->cap, sizeof(*t->seg));
        }
        t->seg[t->n++] = s;
}

static void
add_text(struct tpl *t, size_t off, size_t len)
{
        size_t end = off + len;

        /* lines end in their own segment, so a left-out line is easy to find */
        while (off < end) {
                const char *nl = memchr(t->text + off, '\n', end - off);
                size_t n = nl ? (size_t)(nl - (t->text + off)) : end - off;

                if (n > 0)
                        add(t, (struct seg){ SEG_TEXT, off, n, 0 });
                if (nl == NULL)
                        break;
                add(t, (struct seg){ SEG_EOL, 0, 0, 0 });
                off += n + 1;
        }
}

int
tpl_parse(const char *name, const char *text, const char *const *names, size_t nnames,
          bool html, struct tpl **ret, struct err *e)
{
        struct tpl *t = xcalloc(1, sizeof(*t));
        const char *p;
        unsigned line = 1;
        size_t lit = 0;

        t->text = xstrdup(text);
        t->html = html;
        for (p = t->text; *p; ) {
                enum seg_kind kind = SEG_VALUE;
                const char *start = p, *q, *close;
                size_t i, nlen;

                if (p[0] != '{' || p[1] != '{') {
                        line += *p == '\n';
                        p++;
                        continue;
                }
                q = p + 2;
                if (*q == '{') {
                        kind = SEG_RAW;
                        q++;
                } else if (*q == '?') {
                        kind = SEG_COND;
                        q++;
                }
                close = kind == SEG_RAW ? strstr(q, "}}}") : strstr(q, "}}");
                nlen = close ? (size_t)(close - q) : 0;
                if (close == NULL || nlen == 0 || memchr(q, '\n', nlen) != NULL) {
                        err_set(e, -EINVAL, "%s:%u: a placeholder is not closed ({{name}}, "
                                "{{{name}}} or {{?name}})", name, line);
                        goto fail;
                }
                for (i = 0; i < nnames; i++)
                        if (strlen(names[i]) == nlen && memcmp(names[i], q, nlen) == 0)
                                break;
                if (i == nnames) {
                        struct buf known;

                        buf_init(&known);
                        for (size_t k = 0; k < nnames; k++)
                                buf_printf(&known, "%s%s", k ? ", " : "", names[k]);
                        err_set(e, -EINVAL, "%s:%u: unknown placeholder '%.*s' (known: %s)",
                                name, line, (int)nlen, q, known.data ? known.data : "");
                        buf_done(&known);
                        goto fail;
                }
                add_text(t, lit, (size_t)(start - t->text) - lit);
                add(t, (struct seg){ kind, 0, 0, i });
                p = close + (kind == SEG_RAW ? 3 : 2);
                lit = (size_t)(p - t->text);
        }
        add_text(t, lit, strlen(t->text) - lit);
        *ret = t;
        return 0;
fail:
        tpl_free(t);
        return -EINVAL;
}

int
tpl_load(const char *path, const char *const *names, size_t nnames, bool html,
         struct tpl **ret, struct err *e)
{
        char *text = NULL;
        size_t len;
        int r = read_file(path, 1 << 20, &text, &len);

        if (r < 0)
                return err_set(e, r, "%s: %s", path, strerror(-r));
        if (strlen(text) != len) {
                free(text);
                return err_set(e, -EINVAL, "%s: holds a NUL byte", path);
        }
        r = tpl_parse(path, text, names, nnames, html, ret, e);
        free(text);
        return r;
}

void
tpl_free(struct tpl *t)
{
        if (t == NULL)
                return;
        free(t->text);
        free(t->seg);
        free(t);
}

void
tpl_render(const struct tpl *t, const char *const *values, struct buf *out)
{
        size_t line_start = out->len;
        bool vars = false, shown = false, cond_empty = false;

        for (size_t i = 0; i < t->n; i++) {
                const struct seg *s = &t->seg[i];
                const char *v = s->kind == SEG_VALUE || s->kind == SEG_RAW ||
                                s->kind == SEG_COND ? values[s->var] : NULL;

                switch (s->kind) {
                case SEG_TEXT:
                        buf_add(out, t->text + s->off, s->len);
                        break;
                case SEG_COND:
                        if (v == NULL || *v == '\0')
                                cond_empty = true;
                        break;
                case SEG_VALUE:
                case SEG_RAW:
                        vars = true;
                        if (v == NULL || *v == '\0')
                                break;
                        shown = true;
                        if (s->kind == SEG_VALUE && t->html)
                                mime_html_escape(v, out);
                        else
                                buf_adds(out, v);
                        break;
                case SEG_EOL:
                        if (cond_empty || (vars && !shown)) {
                                out->len = line_start;          /* leave the line out */
                                if (out->data)
                                        out->data[out->len] = '\0';
                        } else {
                                buf_addc(out, '\n');
                        }
                        line_start = out->len;
                        vars = shown = cond_empty = false;
                        break;
                }
        }
        if (cond_empty || (vars && !shown)) {
                out->len = line_start;
                if (out->data)
                        out->data[out->len] = '\0';
        }
}
