/* util.c — memory, strings, numbers and files (see include/bidbroker/util.h). */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bidbroker/util.h"

static _Noreturn void
oom(size_t n)
{
        fprintf(stderr, "bidbroker: out of memory (%zu bytes)\n", n);
        abort();
}

void *
xmalloc(size_t n)
{
        void *p = malloc(n ? n : 1);

        if (p == NULL)
                oom(n);
        return p;
}

void *
xcalloc(size_t n, size_t size)
{
        void *p = calloc(n ? n : 1, size ? size : 1);

        if (p == NULL)
                oom(n * size);
        return p;
}

void *
xrealloc(void *p, size_t n)
{
        void *q = realloc(p, n ? n : 1);

        if (q == NULL)
                oom(n);
        return q;
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
        if (size != 0 && n > SIZE_MAX / size)
                oom(SIZE_MAX);
        return xrealloc(p, n * size);
}

char *
xstrdup(const char *s)
{
        return s ? xstrndup(s, strlen(s)) : NULL;
}

char *
xstrndup(const char *s, size_t n)
{
        char *p;
        size_t len = strnlen(s, n);

        p = xmalloc(len + 1);
        memcpy(p, s, len);
        p[len] = '\0';
        return p;
}

static int buf_vprintf(struct buf *b, const char *fmt, va_list ap);

char *
xasprintf(const char *fmt, ...)
{
        struct buf b;
        va_list ap;
        int r;

        buf_init(&b);
        va_start(ap, fmt);
        r = buf_vprintf(&b, fmt, ap);
        va_end(ap);
        if (r < 0)
                oom(0);
        return buf_steal(&b);
}

/* ---- struct buf ---- */

void
buf_init(struct buf *b)
{
        b->data = NULL;
        b->len = b->cap = b->max = 0;
}

void
buf_done(struct buf *b)
{
        free(b->data);
        buf_init(b);
}

void
buf_reset(struct buf *b)
{
        b->len = 0;
        if (b->data)
                b->data[0] = '\0';
}

void
buf_set_max(struct buf *b, size_t max)
{
        assert(max == 0 || b->len <= max);
        b->max = max;
}

/* Whether n more bytes stay within the cap. */
static bool
buf_fits(const struct buf *b, size_t n)
{
        return b->max == 0 || n <= b->max - b->len;
}

static void
buf_grow_slow(struct buf *b, size_t need)
{
        size_t cap = b->cap ? b->cap : 64;

        while (cap < b->len + need + 1) {
                if (cap > SIZE_MAX / 2)
                        oom(SIZE_MAX);
                cap *= 2;
        }
        b->data = xrealloc(b->data, cap);
        b->cap = cap;
}

/* room for need more bytes and the NUL; the check inline, the growing not */
static inline void
buf_grow(struct buf *b, size_t need)
{
        if (b->len + need + 1 > b->cap)
                buf_grow_slow(b, need);
}

int
buf_add(struct buf *b, const void *p, size_t n)
{
        if (!buf_fits(b, n))
                return -EFBIG;
        buf_grow(b, n);
        if (n)
                memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
        return 0;
}

int
buf_adds(struct buf *b, const char *s)
{
        return buf_add(b, s, strlen(s));
}

int
buf_addc(struct buf *b, char c)
{
        if (!buf_fits(b, 1))
                return -EFBIG;
        buf_grow(b, 1);
        b->data[b->len++] = c;
        b->data[b->len] = '\0';
        return 0;
}

/* Printed once, straight into the buffer when it has room for most texts, or
 * else into a local array first; only a longer text is printed again, after
 * the buffer has grown for it. */
static int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
        char local[256];
        size_t room = b->cap - b->len;  /* the NUL's byte included */
        bool direct = room >= sizeof(local);
        char *dst = direct ? b->data + b->len : local;
        size_t dlen = direct ? room : sizeof(local);
        va_list again;
        int n;

        va_copy(again, ap);
        n = vsnprintf(dst, dlen, fmt, again);
        va_end(again);
        if (n >= 0 && (size_t)n < dlen && buf_fits(b, (size_t)n)) {
                if (!direct)
                        return buf_add(b, local, (size_t)n);
                b->len += (size_t)n;
                return 0;
        }
        if (direct)
                b->data[b->len] = '\0';        /* what was printed is not kept */
        if (n < 0)
                return -EINVAL;
        if (!buf_fits(b, (size_t)n))
                return -EFBIG;
        buf_grow(b, (size_t)n);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
        b->len += (size_t)n;
        return 0;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = buf_vprintf(b, fmt, ap);
        va_end(ap);
        return r;
}

char *
buf_steal(struct buf *b)
{
        char *p = b->data ? b->data : xstrdup("");
        size_t max = b->max;

        buf_init(b);
        b->max = max;
        return p;
}

/* ---- struct strv ---- */

void
strv_init(struct strv *s)
{
        s->v = NULL;
        s->n = s->cap = 0;
}

void
strv_done(struct strv *s)
{
        for (size_t i = 0; i < s->n; i++)
                free(s->v[i]);
        free(s->v);
        strv_init(s);
}

void
strv_take(struct strv *s, char *str)
{
        if (s->n == s->cap) {
                s->cap = s->cap ? s->cap * 2 : 4;
                s->v = xreallocarray(s->v, s->cap, sizeof(*s->v));
        }
        s->v[s->n++] = str;
}

void
strv_add(struct strv *s, const char *str)
{
        strv_take(s, xstrdup(str));
}

bool
strv_contains(const struct strv *s, const char *str)
{
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->v[i], str) == 0)
                        return true;
        return false;
}

void
strv_add_unique(struct strv *s, const char *str)
{
        if (!strv_contains(s, str))
                strv_add(s, str);
}

static int
cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

void
strv_sort(struct strv *s)
{
        if (s->n > 1)
                qsort(s->v, s->n, sizeof(*s->v), cmp_str);
}

void
strv_copy(struct strv *dst, const struct strv *src)
{
        for (size_t i = 0; i < src->n; i++)
                strv_add(dst, src->v[i]);
}

/* ---- strings ---- */

char *
str_trim(char *s)
{
        char *e;

        while (*s && isspace((unsigned char)*s))
                s++;
        e = s + strlen(s);
        while (e > s && isspace((unsigned char)e[-1]))
                e--;
        *e = '\0';
        return s;
}

bool
str_startswith(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool
str_has_control(const char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || *s == 0x7f)
                        return true;
        return false;
}

void
str_split(const char *s, char sep, struct strv *out)
{
        const char *p = s;

        while (p != NULL && *p) {
                const char *e = strchr(p, sep);
                size_t n = e ? (size_t)(e - p) : strlen(p);
                char *item = xstrndup(p, n);
                char *t = str_trim(item);

                if (*t)
                        strv_add(out, t);
                free(item);
                p = e ? e + 1 : NULL;
        }
}

void
str_split_list(const char *s, struct strv *out)
{
        char *copy = xstrdup(s);

        for (char *p = copy; *p; p++)
                if (*p == ';')
                        *p = ',';
        str_split(copy, ',', out);
        free(copy);
}

/* ---- numbers ---- */

int
parse_long(const char *s, long min, long max, long *ret)
{
        char *end;
        long v;

        if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
                return -EINVAL;
        errno = 0;
        v = strtol(s, &end, 10);
        if (*end != '\0')
                return -EINVAL;
        if (errno == ERANGE || v < min || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

int
parse_double(const char *s, double *ret)
{
        char *end;
        double v;

        if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
                return -EINVAL;
        errno = 0;
        v = strtod(s, &end);
        if (*end != '\0')
                return -EINVAL;
        if (errno == ERANGE || !isfinite(v))
                return -ERANGE;
        *ret = v;
        return 0;
}

int
parse_bool(const char *s, bool *ret)
{
        static const char *const yes[] = { "yes", "true", "on", "1", "y" };
        static const char *const no[] = { "no", "false", "off", "0", "n" };

        for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}

int
parse_money(const char *s, int64_t *ret_pence)
{
        char tmp[64];
        size_t j = 0;
        double v, mult = 1;
        const char *p = s;

        if (strncmp(p, "\xc2\xa3", 2) == 0)     /* £ */
                p += 2;
        for (; *p && j < sizeof(tmp) - 1; p++)
                if (*p != ',' && *p != '_')
                        tmp[j++] = *p;
        if (*p)
                return -EINVAL;
        tmp[j] = '\0';
        if (j > 0 && (tmp[j - 1] == 'k' || tmp[j - 1] == 'K'))
                mult = 1e3, tmp[--j] = '\0';
        else if (j > 0 && (tmp[j - 1] == 'm' || tmp[j - 1] == 'M'))
                mult = 1e6, tmp[--j] = '\0';
        if (parse_double(tmp, &v) < 0)
                return -EINVAL;
        v *= mult;
        if (v < 0 || v > 1e15)
                return -ERANGE;
        *ret_pence = (int64_t)llround(v * 100.0);
        return 0;
}

int
parse_duration_ms(const char *s, int64_t *ret_ms)
{
        char tmp[64];
        size_t n = strlen(s);
        double v, mult = 1000;

        if (n == 0 || n >= sizeof(tmp))
                return -EINVAL;
        memcpy(tmp, s, n + 1);
        if (n >= 2 && strcmp(tmp + n - 2, "ms") == 0)
                mult = 1, tmp[n - 2] = '\0';
        else switch (tmp[n - 1]) {
        case 's': mult = 1000; tmp[n - 1] = '\0'; break;
        case 'm': mult = 60e3; tmp[n - 1] = '\0'; break;
        case 'h': mult = 3600e3; tmp[n - 1] = '\0'; break;
        case 'd': mult = 86400e3; tmp[n - 1] = '\0'; break;
        default: break;
        }
        if (parse_double(tmp, &v) < 0)
                return -EINVAL;
        if (v < 0 || v * mult > 1e15)
                return -ERANGE;
        *ret_ms = (int64_t)llround(v * mult);
        return 0;
}

/* ---- files ---- */

int
read_file(const char *path, size_t max, char **ret, size_t *ret_len)
{
        struct buf b;
        char chunk[65536];
        int fd, r = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        buf_init(&b);
        buf_grow(&b, 0);
        for (;;) {
                ssize_t n = read(fd, chunk, sizeof(chunk));

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                if (n == 0)
                        break;
                if (b.len + (size_t)n > max) {
                        r = -EFBIG;
                        break;
                }
                buf_add(&b, chunk, (size_t)n);
        }
        close(fd);
        if (r < 0) {
                buf_done(&b);
                return r;
        }
        if (ret_len)
                *ret_len = b.len;
        *ret = buf_steal(&b);
        return 0;
}

int
write_file_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
        return write_file_atomic_group(path, data, len, mode, (unsigned)-1);
}

/* fsync the directory holding path, so a rename in it is durable. */
static void
sync_dir_of(const char *path)
{
        char *dir = path_dirname(path);
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd >= 0) {
                (void)fsync(fd);
                close(fd);
        }
        free(dir);
}

int
write_file_atomic_group(const char *path, const void *data, size_t len, unsigned mode,
                        unsigned gid)
{
        char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
        const char *p = data;
        int fd, r = 0;

        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) {
                r = -errno;
                goto out;
        }
        /* group first, then the exact mode (chown may clear set-id bits) */
        if (gid != (unsigned)-1 && fchown(fd, (uid_t)-1, (gid_t)gid) < 0)
                r = -errno;
        if (r == 0 && fchmod(fd, (mode_t)mode) < 0)
                r = -errno;
        while (r == 0 && len > 0) {
                ssize_t n = write(fd, p, len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                p += n;
                len -= (size_t)n;
        }
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                unlink(tmp);
        else
                sync_dir_of(path);
out:
        free(tmp);
        return r;
}

int
mkdir_p(const char *path, unsigned mode)
{
        char *p = xstrdup(path);
        int r = 0;

        for (char *s = p + (p[0] != '\0'); ; s++) {       /* "": no p[1] */
                if (*s == '/' || *s == '\0') {
                        char c = *s;

                        *s = '\0';
                        if (mkdir(p, mode) < 0 && errno != EEXIST) {
                                r = -errno;
                                break;
                        }
                        *s = c;
                        if (c == '\0')
                                break;
                }
        }
        free(p);
        return r;
}

char *
path_join(const char *dir, const char *rel)
{
        if (rel[0] == '/' || dir == NULL || dir[0] == '\0')
                return xstrdup(rel);
        return xasprintf("%s/%s", dir, rel);
}

char *
path_dirname(const char *path)
{
        const char *slash = strrchr(path, '/');

        if (slash == NULL)
                return xstrdup(".");
        if (slash == path)
                return xstrdup("/");
        return xstrndup(path, (size_t)(slash - path));
}
