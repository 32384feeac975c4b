/*
 * util.h — memory, strings and small containers shared by every module.
 *
 * Allocation failure is not recoverable in this daemon: the x*() wrappers
 * abort with a message instead of returning NULL (as chrony's Malloc does),
 * so callers never carry unchecked NULLs.
 */
#ifndef BIDBROKER_UTIL_H
#define BIDBROKER_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);                   /* NULL in, NULL out */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable byte buffer, always NUL-terminated.  Owns data.  It may have a
 * size cap (buf_set_max): an addition that would make len exceed max adds
 * nothing and returns -EFBIG; an addition returns 0 otherwise (buf_printf
 * -EINVAL when the format fails). */
struct buf {
        char   *data;
        size_t  len, cap;
        size_t  max;                            /* 0: no cap */
};
void buf_init(struct buf *b);                   /* empty, no cap */
void buf_done(struct buf *b);                   /* frees; b reusable, as after buf_init */
void buf_reset(struct buf *b);                  /* len = 0, keeps memory and cap */
void buf_set_max(struct buf *b, size_t max);    /* max bytes (0: no cap); max >= len */
int buf_add(struct buf *b, const void *p, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_addc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *buf_steal(struct buf *b);                 /* caller owns the result; b emptied, keeps its cap */

/* A growable vector of owned strings. */
struct strv {
        char  **v;
        size_t  n, cap;
};
void strv_init(struct strv *s);
void strv_done(struct strv *s);                 /* frees every string */
void strv_add(struct strv *s, const char *str); /* copies str */
void strv_take(struct strv *s, char *str);      /* takes ownership of str */
bool strv_contains(const struct strv *s, const char *str);
void strv_add_unique(struct strv *s, const char *str);
void strv_sort(struct strv *s);                 /* byte order, for stable output */
void strv_copy(struct strv *dst, const struct strv *src);  /* dst initialised */

/* Trim ASCII white space at both ends in place; returns s. */
char *str_trim(char *s);
bool str_startswith(const char *s, const char *prefix);
/* True when s holds an ASCII control character (below 0x20, or DEL). */
bool str_has_control(const char *s);
/* Split s on sep (e.g. ';' or ','), trimming items, skipping empty ones. */
void str_split(const char *s, char sep, struct strv *out);
/* Split a config list: items separated by ',' or ';' (either, or both). */
void str_split_list(const char *s, struct strv *out);

/* Strict number parsing: the whole string, with range checks. 0 or -EINVAL/-ERANGE. */
int parse_long(const char *s, long min, long max, long *ret);
int parse_double(const char *s, double *ret);
int parse_bool(const char *s, bool *ret);        /* yes/no true/false on/off 1/0 */
/* Money "25000", "25,000", "£25k", "1.5m" -> pence. */
int parse_money(const char *s, int64_t *ret_pence);
/* Durations "30", "30s", "5m", "6h", "1d", "1.5" (seconds) -> milliseconds. */
int parse_duration_ms(const char *s, int64_t *ret_ms);

/* Read a whole file (at most max bytes) into *ret (NUL-terminated). */
int read_file(const char *path, size_t max, char **ret, size_t *ret_len);
/* Write atomically: temp file in the same directory, fsync, rename. */
int write_file_atomic(const char *path, const void *data, size_t len, unsigned mode);
/* The same, giving the file group gid ((unsigned)-1: the creator's); the mode
 * is set exactly (the umask does not apply) and the directory is synced after
 * the rename, so a crash leaves either the old or the new file. */
int write_file_atomic_group(const char *path, const void *data, size_t len, unsigned mode,
                            unsigned gid);
/* mkdir -p with mode. */
int mkdir_p(const char *path, unsigned mode);
/* Join dir and a relative path; absolute paths are returned as a copy. */
char *path_join(const char *dir, const char *rel);
/* Directory part of a path ("." when none).  Caller frees. */
char *path_dirname(const char *path);

#endif
