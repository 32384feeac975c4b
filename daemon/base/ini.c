/* ini.c — INI reader and schema-driven section parsing (see ini.h). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bidbroker/err.h"
#include "bidbroker/ini.h"
#include "bidbroker/util.h"

#define INI_MAX_BYTES   (16u << 20)
#define INI_MAX_LINE    65536
#define UTF8_BOM        "\xef\xbb\xbf"   /* U+FEFF, as editors save it */

static struct ini_section *
add_section(struct ini *ini, const char *type, const char *name, unsigned line)
{
        struct ini_section *s;

        ini->sections = xreallocarray(ini->sections, ini->nsections + 1,
                                      sizeof(*ini->sections));
        s = &ini->sections[ini->nsections++];
        memset(s, 0, sizeof(*s));
        s->type = xstrdup(type);
        s->name = name ? xstrdup(name) : NULL;
        s->line = line;
        return s;
}

static void
add_pair(struct ini_section *s, const char *key, const char *value, unsigned line)
{
        struct ini_pair *p;

        s->pairs = xreallocarray(s->pairs, s->npairs + 1, sizeof(*s->pairs));
        p = &s->pairs[s->npairs++];
        p->key = xstrdup(key);
        p->value = xstrdup(value);
        p->line = line;
}

static bool
valid_ident(const char *s)
{
        if (*s == '\0')
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
                        return false;
        return true;
}

/* Parse one "[type name]" header; returns false (with a diag) when bad. */
static bool
parse_header(char *line, const char *file, unsigned lineno, struct ini *ini,
             struct ini_section **cur, struct diag *d)
{
        char *end = strrchr(line, ']');
        char *type, *name;

        if (end == NULL || str_trim(end + 1)[0] != '\0') {
                diag_add(d, file, lineno, "section header must end with ']'");
                return false;
        }
        *end = '\0';
        type = str_trim(line + 1);
        name = type;
        while (*name && !isspace((unsigned char)*name))
                name++;
        if (*name) {
                *name++ = '\0';
                name = str_trim(name);
        }
        if (!valid_ident(type)) {
                diag_add(d, file, lineno, "bad section name '%s'", type);
                return false;
        }
        if (*name && !valid_ident(name)) {
                diag_add(d, file, lineno,
                         "bad name '%s' in [%s]: use letters, digits, '-', '_', '.'",
                         name, type);
                return false;
        }
        *cur = add_section(ini, type, *name ? name : NULL, lineno);
        return true;
}

/* Unquote a "..." value in place (\" \\ \n \t escapes). */
static bool
unquote(char *v)
{
        size_t n = strlen(v);
        char *w = v;

        if (n < 2 || v[n - 1] != '"')
                return false;
        v[n - 1] = '\0';
        for (char *r = v + 1; *r; r++) {
                if (*r == '\\' && r[1]) {
                        r++;
                        *w++ = *r == 'n' ? '\n' : *r == 't' ? '\t' : *r;
                } else {
                        *w++ = *r;
                }
        }
        *w = '\0';
        return true;
}

/* "asbestos  # added by hand": a '#' after a space in an unquoted value is
 * almost always a comment the writer expected to be ignored. */
static bool
trailing_comment(const char *v)
{
        for (const char *p = strchr(v, '#'); p != NULL; p = strchr(p + 1, '#'))
                if (p > v && (p[-1] == ' ' || p[-1] == '\t'))
                        return true;
        return false;
}

int
ini_parse(const char *name, const char *text, size_t len, struct ini **ret,
          struct diag *d)
{
        struct ini *ini = xcalloc(1, sizeof(*ini));
        struct ini_section *cur = NULL;
        const char *p = text, *end = text + len;
        unsigned lineno = 0;

        ini->path = xstrdup(name);
        ini->dir = path_dirname(name);
        /* A byte order mark opening the file (Notepad's "UTF-8 with BOM") is
         * accepted; anywhere else it is an invisible character in a key,
         * value or header, refused below. */
        if (len >= 3 && memcmp(p, UTF8_BOM, 3) == 0)
                p += 3;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
                char *raw, *line, *eq;

                lineno++;
                if (n > INI_MAX_LINE) {
                        diag_add(d, name, lineno, "line too long (%zu bytes)", n);
                        p = nl ? nl + 1 : end;
                        continue;
                }
                if (memmem(p, n, UTF8_BOM, 3) != NULL) {
                        diag_add(d, name, lineno, "a byte order mark (U+FEFF) is allowed "
                                 "only at the very start of the file: remove it from "
                                 "this line");
                        p = nl ? nl + 1 : end;
                        continue;
                }
                raw = xstrndup(p, n);
                if (memchr(p, '\0', n) != NULL)
                        diag_add(d, name, lineno, "NUL byte in line");
                p = nl ? nl + 1 : end;
                line = str_trim(raw);
                if (*line == '\0' || *line == '#' || *line == ';') {
                        free(raw);
                        continue;
                }
                if (*line == '[') {
                        if (!parse_header(line, name, lineno, ini, &cur, d))
                                cur = add_section(ini, "!invalid", NULL, lineno);
                        free(raw);
                        continue;
                }
                eq = strchr(line, '=');
                if (eq == NULL) {
                        diag_add(d, name, lineno, "expected 'key = value', got '%.60s'", line);
                        free(raw);
                        continue;
                }
                *eq = '\0';
                {
                        char *key = str_trim(line), *val = str_trim(eq + 1);

                        if (!valid_ident(key)) {
                                diag_add(d, name, lineno, "bad key '%.60s'", key);
                        } else if (*val != '"' && trailing_comment(val)) {
                                diag_add(d, name, lineno, "'#' after the value of '%s' is "
                                         "not a comment: put the comment on a line of its "
                                         "own, or quote the value (\"...\") to keep the '#'",
                                         key);
                        } else if (*val == '"' && !unquote(val)) {
                                diag_add(d, name, lineno, "unterminated quoted value for '%s'", key);
                        } else {
                                if (cur == NULL)
                                        cur = add_section(ini, "", NULL, 0);
                                add_pair(cur, key, val, lineno);
                        }
                }
                free(raw);
        }
        *ret = ini;
        return 0;
}

int
ini_load(const char *path, struct ini **ret, struct diag *d)
{
        char *text = NULL;
        size_t len = 0;
        int r;

        r = read_file(path, INI_MAX_BYTES, &text, &len);
        if (r < 0) {
                diag_add(d, path, 0, "cannot read: %s", r == -EFBIG ?
                         "file too large" : strerror(-r));
                return r;
        }
        r = ini_parse(path, text, len, ret, d);
        free(text);
        return r;
}

struct ini *
ini_free(struct ini *ini)
{
        if (ini == NULL)
                return NULL;
        for (size_t i = 0; i < ini->nsections; i++) {
                struct ini_section *s = &ini->sections[i];

                for (size_t j = 0; j < s->npairs; j++) {
                        free(s->pairs[j].key);
                        free(s->pairs[j].value);
                }
                free(s->pairs);
                free(s->type);
                free(s->name);
        }
        free(ini->sections);
        free(ini->path);
        free(ini->dir);
        free(ini);
        return NULL;
}

const struct ini_pair *
ini_get(const struct ini_section *sec, const char *key)
{
        for (size_t i = sec->npairs; i-- > 0;)
                if (strcmp(sec->pairs[i].key, key) == 0)
                        return &sec->pairs[i];
        return NULL;
}

static const struct ini_key *
find_key(const struct ini_key *keys, size_t nkeys, const char *name, size_t *idx)
{
        for (size_t i = 0; i < nkeys; i++)
                if (strcmp(keys[i].name, name) == 0) {
                        *idx = i;
                        return &keys[i];
                }
        return NULL;
}

/* Store one value; returns false after reporting when it is bad. */
static bool
apply_one(const struct ini *ini, const struct ini_key *k, const struct ini_pair *p,
          void *target, struct diag *d)
{
        char *field = (char *)target + k->off;
        const char *v = p->value;

        switch (k->type) {
        case INI_STR:
        case INI_PATH: {
                char **dst = (char **)(void *)field;

                if (*v == '\0') {
                        diag_add(d, ini->path, p->line, "'%s' must not be empty", k->name);
                        return false;
                }
                free(*dst);
                *dst = k->type == INI_PATH ? path_join(ini->dir, v) : xstrdup(v);
                return true;
        }
        case INI_BOOL:
                if (parse_bool(v, (bool *)(void *)field) < 0) {
                        diag_add(d, ini->path, p->line,
                                 "'%s' must be yes or no, not '%s'", k->name, v);
                        return false;
                }
                return true;
        case INI_LONG: {
                long n;

                if (parse_long(v, k->min, k->max, &n) < 0) {
                        diag_add(d, ini->path, p->line,
                                 "'%s' must be a whole number from %ld to %ld, not '%s'",
                                 k->name, k->min, k->max, v);
                        return false;
                }
                *(long *)(void *)field = n;
                return true;
        }
        case INI_MONEY: {
                int64_t pence;

                if (parse_money(v, &pence) < 0 || pence < (int64_t)k->min * 100 ||
                    pence > (int64_t)k->max * 100) {
                        diag_add(d, ini->path, p->line,
                                 "'%s' must be an amount in pounds from %ld to %ld, not '%s'",
                                 k->name, k->min, k->max, v);
                        return false;
                }
                *(int64_t *)(void *)field = pence;
                return true;
        }
        case INI_DURATION: {
                int64_t ms;

                if (parse_duration_ms(v, &ms) < 0 || ms < k->min || ms > k->max) {
                        diag_add(d, ini->path, p->line,
                                 "'%s' must be a duration from %gs to %gs (e.g. 30s, 5m, 6h), not '%s'",
                                 k->name, (double)k->min / 1000, (double)k->max / 1000, v);
                        return false;
                }
                *(int64_t *)(void *)field = ms;
                return true;
        }
        case INI_LIST: {
                struct strv *sv = (struct strv *)(void *)field;

                str_split_list(v, sv);
                return true;
        }
        }
        return false;
}

size_t
ini_apply(const struct ini *ini, const struct ini_section *sec,
          const struct ini_key *keys, size_t nkeys, void *target,
          unsigned long long *seen, struct diag *d)
{
        unsigned long long got = 0;
        size_t errors = 0;

        for (size_t i = 0; i < sec->npairs; i++) {
                const struct ini_pair *p = &sec->pairs[i];
                const struct ini_key *k;
                size_t idx = 0;

                k = find_key(keys, nkeys, p->key, &idx);
                if (k == NULL) {
                        diag_add(d, ini->path, p->line, "unknown key '%s' in [%s%s%s]",
                                 p->key, sec->type, sec->name ? " " : "",
                                 sec->name ? sec->name : "");
                        errors++;
                        continue;
                }
                if (idx < 64 && (got & (1ULL << idx))) {
                        diag_add(d, ini->path, p->line, "'%s' given twice in [%s%s%s]",
                                 p->key, sec->type, sec->name ? " " : "",
                                 sec->name ? sec->name : "");
                        errors++;
                        continue;
                }
                if (idx < 64)
                        got |= 1ULL << idx;
                if (!apply_one(ini, k, p, target, d))
                        errors++;
        }
        if (seen)
                *seen = got;
        return errors;
}
