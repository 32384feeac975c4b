/* cpvref.c — the CPV 2008 reference list (see cpvref.h). */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "bidbroker/cpvref.h"
#include "bidbroker/err.h"
#include "bidbroker/util.h"

#define CPVREF_MAX_BYTES        (64u << 20)
#define CPVREF_MAX_CODES        100000

struct cpv_entry {
        char  code[9];
        char *name;
};

struct cpvref {
        struct cpv_entry *v;
        size_t            n;
};

static int
entry_cmp(const void *a, const void *b)
{
        return strcmp(((const struct cpv_entry *)a)->code, ((const struct cpv_entry *)b)->code);
}

/* "90911200-8" or "90911200" -> 8 digits in out; false when malformed. */
static bool
code_digits(const char *s, char out[9])
{
        for (int i = 0; i < 8; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                out[i] = s[i];
        }
        out[8] = '\0';
        return s[8] == '\0' || s[8] == '-';
}

int
cpvref_load(const char *path, struct cpvref **ret, struct err *err)
{
        struct cpvref *r = NULL;
        json_t *root = NULL;
        json_error_t je;
        char *text = NULL;
        size_t len = 0, i, w;
        int rc;

        rc = read_file(path, CPVREF_MAX_BYTES, &text, &len);
        if (rc < 0)
                return err_set(err, rc, "%s: cannot read: %s", path,
                               rc == -EFBIG ? "file too large" : strerror(-rc));
        root = json_loadb(text, len, 0, &je);
        free(text);
        if (root == NULL)
                return err_set(err, -EINVAL, "%s:%d: %s", path, je.line, je.text);
        if (!json_is_array(root) || json_array_size(root) > CPVREF_MAX_CODES) {
                rc = err_set(err, -EINVAL, "%s: expected an array of CPV codes", path);
                goto out;
        }
        r = xcalloc(1, sizeof(*r));
        r->v = xcalloc(json_array_size(root) + 1, sizeof(*r->v));
        for (i = 0; i < json_array_size(root); i++) {
                json_t *e = json_array_get(root, i);
                json_t *ver = json_object_get(e, "version");
                const char *code = json_string_value(json_object_get(e, "code"));
                const char *name = json_string_value(json_object_get(e, "name"));
                struct cpv_entry *ce = &r->v[r->n];

                /* version 1 is CPV 2003; only the 2008 list is current */
                if (ver != NULL && json_integer_value(ver) != 2)
                        continue;
                if (code == NULL || name == NULL || !code_digits(code, ce->code))
                        continue;
                ce->name = xstrdup(name);
                r->n++;
        }
        if (r->n == 0) {
                rc = err_set(err, -EINVAL, "%s: no CPV 2008 codes in the file", path);
                goto out;
        }
        qsort(r->v, r->n, sizeof(*r->v), entry_cmp);
        for (i = 1, w = 1; i < r->n; i++) {             /* drop duplicates */
                if (strcmp(r->v[i].code, r->v[w - 1].code) == 0) {
                        free(r->v[i].name);
                        continue;
                }
                r->v[w++] = r->v[i];
        }
        r->n = w;
        *ret = r;
        r = NULL;
        rc = 0;
out:
        json_decref(root);
        cpvref_free(r);
        return rc;
}

struct cpvref *
cpvref_free(struct cpvref *r)
{
        if (r == NULL)
                return NULL;
        for (size_t i = 0; i < r->n; i++)
                free(r->v[i].name);
        free(r->v);
        free(r);
        return NULL;
}

size_t
cpvref_count(const struct cpvref *r)
{
        return r ? r->n : 0;
}

/* Index of the first code >= key (lexicographic). */
static size_t
lower_bound(const struct cpvref *r, const char *key)
{
        size_t lo = 0, hi = r->n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (strcmp(r->v[mid].code, key) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

const char *
cpvref_name(const struct cpvref *r, const char *code)
{
        size_t i;

        if (r == NULL || code == NULL || strlen(code) != 8)
                return NULL;
        i = lower_bound(r, code);
        return i < r->n && strcmp(r->v[i].code, code) == 0 ? r->v[i].name : NULL;
}

bool
cpvref_has_prefix(const struct cpvref *r, const char *prefix)
{
        size_t i, n;

        if (r == NULL || prefix == NULL || (n = strlen(prefix)) == 0 || n > 8)
                return false;
        i = lower_bound(r, prefix);
        return i < r->n && strncmp(r->v[i].code, prefix, n) == 0;
}

const char *
cpvref_prefix_label(const struct cpvref *r, const char *prefix)
{
        char padded[9];
        const char *name;
        size_t n, i;

        if (r == NULL || prefix == NULL || (n = strlen(prefix)) == 0 || n > 8)
                return NULL;
        memcpy(padded, prefix, n);
        memset(padded + n, '0', 8 - n);
        padded[8] = '\0';
        name = cpvref_name(r, padded);
        if (name != NULL)
                return name;
        i = lower_bound(r, prefix);
        return i < r->n && strncmp(r->v[i].code, prefix, n) == 0 ? r->v[i].name : NULL;
}

const char *
cpvref_code(const struct cpvref *r, size_t i)
{
        return r != NULL && i < r->n ? r->v[i].code : NULL;
}
