/* cpvcover.c — the CPV coverage table (see cpvcover.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bidbroker/cpvcover.h"
#include "bidbroker/cpvref.h"
#include "bidbroker/err.h"
#include "bidbroker/util.h"

#define COVER_MAX_BYTES         (4u << 20)
#define COVER_MAX_LINES         100000
#define COVER_REASON_MAX        300
#define OUT_OF_SCOPE            "out-of-scope:"

struct cline {
        char     prefix[9];
        uint32_t *caps;
        size_t   ncaps;
        char     *reason;
        unsigned line;
};

struct cpvcover {
        char                 *path;
        struct cline         *v;
        size_t                n;
        struct cpvcover_line *pub;      /* the public view of v, same order */
};

static int
cline_cmp(const void *a, const void *b)
{
        return strcmp(((const struct cline *)a)->prefix, ((const struct cline *)b)->prefix);
}

struct cpvcover *
cpvcover_free(struct cpvcover *c)
{
        if (c == NULL)
                return NULL;
        for (size_t i = 0; i < c->n; i++) {
                free(c->v[i].caps);
                free(c->v[i].reason);
        }
        free(c->v);
        free(c->pub);
        free(c->path);
        free(c);
        return NULL;
}

/* "90911200-8", "90911200", "9091" -> the prefix in out; false when it is
 * not 2..8 digits (an 8-digit code may carry its check digit). */
static bool
parse_prefix(const char *s, char out[9])
{
        size_t n = 0;

        while (s[n] >= '0' && s[n] <= '9' && n < 9)
                n++;
        if (n < 2 || n > 8)
                return false;
        if (s[n] == '-' && n == 8 && s[n + 1] >= '0' && s[n + 1] <= '9' && s[n + 2] == '\0')
                ;                               /* check digit */
        else if (s[n] != '\0')
                return false;
        memcpy(out, s, n);
        out[n] = '\0';
        if (n == 8)
                while (n > 2 && out[n - 1] == '0')
                        out[--n] = '\0';
        return true;
}

/* The capabilities "a, b" of a line into l; false (reported) on a bad id. */
static bool
parse_caps(const char *rest, const struct strv *caps, const char *path, unsigned line,
           struct cline *l, struct diag *d)
{
        struct strv ids;
        bool ok = true;

        strv_init(&ids);
        str_split_list(rest, &ids);
        for (size_t i = 0; i < ids.n; i++) {
                size_t k;

                for (k = 0; k < caps->n; k++)
                        if (strcmp(caps->v[k], ids.v[i]) == 0)
                                break;
                if (k == caps->n) {
                        diag_add(d, path, line, "unknown capability '%s' (the taxonomy has: "
                                 "%s%s; or write 'out-of-scope: REASON')", ids.v[i],
                                 caps->n ? caps->v[0] : "none", caps->n > 1 ? ", ..." : "");
                        ok = false;
                        continue;
                }
                for (size_t j = 0; j < l->ncaps; j++)
                        if (l->caps[j] == k)
                                goto next;
                l->caps = xreallocarray(l->caps, l->ncaps + 1, sizeof(*l->caps));
                l->caps[l->ncaps++] = (uint32_t)k;
next:;
        }
        if (ids.n == 0) {
                diag_add(d, path, line, "the prefix needs a placement: capability ids, or "
                         "'out-of-scope: REASON'");
                ok = false;
        }
        strv_done(&ids);
        return ok;
}

/* One non-comment line "PREFIX PLACEMENT" into l (zeroed); false on error. */
static bool
parse_line(char *s, const struct strv *caps, const struct cpvref *ref, const char *path,
           unsigned line, struct cline *l, struct diag *d)
{
        char *word = s, *rest = s;

        while (*rest && *rest != ' ' && *rest != '\t')
                rest++;
        if (*rest)
                *rest++ = '\0';
        while (*rest == ' ' || *rest == '\t')
                rest++;
        if (!parse_prefix(word, l->prefix)) {
                diag_add(d, path, line, "'%s' is not a CPV prefix: write 2 to 8 digits "
                         "(e.g. 9091 or 90910000) and then the placement", word);
                return false;
        }
        if (ref != NULL && !cpvref_has_prefix(ref, l->prefix)) {
                diag_add(d, path, line, "CPV prefix '%s' is not the start of any CPV 2008 "
                         "code", word);
                return false;
        }
        if (strncmp(rest, OUT_OF_SCOPE, strlen(OUT_OF_SCOPE)) == 0) {
                const char *why = rest + strlen(OUT_OF_SCOPE);

                while (*why == ' ' || *why == '\t')
                        why++;
                if (*why == '\0' || strlen(why) > COVER_REASON_MAX) {
                        diag_add(d, path, line, "'out-of-scope:' needs a reason (at most %d "
                                 "characters): why no capability takes this work",
                                 COVER_REASON_MAX);
                        return false;
                }
                l->reason = xstrdup(why);
                return true;
        }
        if (strchr(rest, '#') != NULL) {
                diag_add(d, path, line, "'#' after the placement is not a comment: put "
                         "comments on their own line");
                return false;
        }
        return parse_caps(rest, caps, path, line, l, d);
}

int
cpvcover_load(const char *path, const struct strv *caps, const struct cpvref *ref,
              struct cpvcover **ret, struct diag *d)
{
        struct cpvcover *c;
        size_t before = diag_count(d), len = 0, cap = 0;
        char *text = NULL, *p, *nl;
        unsigned line = 0;
        int r;

        r = read_file(path, COVER_MAX_BYTES, &text, &len);
        if (r < 0) {
                diag_add(d, path, 0, "cannot read the CPV coverage table: %s",
                         r == -EFBIG ? "file too large" : strerror(-r));
                return r;
        }
        c = xcalloc(1, sizeof(*c));
        c->path = xstrdup(path);
        for (p = text; p && *p; p = nl) {
                struct cline l = { 0 };
                char *e;

                nl = strchr(p, '\n');
                if (nl)
                        *nl++ = '\0';
                line++;
                e = p + strlen(p);
                while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
                        *--e = '\0';
                while (*p == ' ' || *p == '\t')
                        p++;
                if (*p == '\0' || *p == '#')
                        continue;
                if (str_has_control(p)) {
                        diag_add(d, path, line, "a control character in the line");
                        continue;
                }
                if (c->n >= COVER_MAX_LINES) {
                        diag_add(d, path, line, "too many lines (at most %d)", COVER_MAX_LINES);
                        break;
                }
                if (!parse_line(p, caps, ref, path, line, &l, d)) {
                        free(l.caps);
                        continue;
                }
                l.line = line;
                if (c->n == cap) {
                        cap = cap ? 2 * cap : 256;
                        c->v = xreallocarray(c->v, cap, sizeof(*c->v));
                }
                c->v[c->n++] = l;
        }
        free(text);
        if (c->n > 1)
                qsort(c->v, c->n, sizeof(*c->v), cline_cmp);
        for (size_t i = 1; i < c->n; i++)
                if (strcmp(c->v[i - 1].prefix, c->v[i].prefix) == 0)
                        diag_add(d, path, c->v[i - 1].line > c->v[i].line ? c->v[i - 1].line
                                                                          : c->v[i].line,
                                 "prefix %s placed twice (also at line %u)", c->v[i].prefix,
                                 c->v[i - 1].line < c->v[i].line ? c->v[i - 1].line
                                                                 : c->v[i].line);
        if (diag_count(d) > before) {
                cpvcover_free(c);
                return -EINVAL;
        }
        c->pub = xcalloc(c->n ? c->n : 1, sizeof(*c->pub));
        for (size_t i = 0; i < c->n; i++) {
                c->pub[i].prefix = c->v[i].prefix;
                c->pub[i].caps = c->v[i].caps;
                c->pub[i].ncaps = c->v[i].ncaps;
                c->pub[i].reason = c->v[i].reason;
                c->pub[i].file = c->path;
                c->pub[i].line = c->v[i].line;
        }
        *ret = c;
        return 0;
}

const char *
cpvcover_path(const struct cpvcover *c)
{
        return c ? c->path : NULL;
}

size_t
cpvcover_count(const struct cpvcover *c)
{
        return c ? c->n : 0;
}

const struct cpvcover_line *
cpvcover_line(const struct cpvcover *c, size_t i)
{
        return c && i < c->n ? &c->pub[i] : NULL;
}

const struct cpvcover_line *
cpvcover_lookup(const struct cpvcover *c, const char *code)
{
        size_t n;

        if (c == NULL || c->n == 0 || code == NULL)
                return NULL;
        n = strnlen(code, 8);
        for (size_t l = n; l >= 2; l--) {
                struct cline key = { 0 }, *f;

                memcpy(key.prefix, code, l);
                key.prefix[l] = '\0';
                f = bsearch(&key, c->v, c->n, sizeof(*c->v), cline_cmp);
                if (f != NULL)
                        return &c->pub[f - c->v];
        }
        return NULL;
}
