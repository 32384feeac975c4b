/*
 * err.h — error values and diagnostics lists.
 *
 * Functions that can fail return 0 (or a non-negative count) on success and a
 * negative errno value on failure, and put a human-readable message into a
 * caller-supplied struct err.  Code that must report many problems at once
 * (config files, member registers, CSV imports) collects them in a struct diag,
 * each already formatted "FILE:LINE: message".
 */
#ifndef BIDBROKER_ERR_H
#define BIDBROKER_ERR_H

#include <stddef.h>

struct err {
        int  code;              /* negative errno, 0 when unset */
        char msg[512];
};

/* Fill e (may be NULL) and return code, so callers can "return err_set(...)". */
int err_set(struct err *e, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* A growable list of messages.  Owns its strings. */
struct diag {
        char  **msg;
        size_t  n, cap;
        size_t  max;            /* keep at most this many (0: 1000) */
        size_t  dropped;        /* how many were not kept past max */
};

void diag_init(struct diag *d);
void diag_done(struct diag *d);          /* frees the messages; d reusable */
/* Add "FILE:LINE: message" (line 0 omits the line, file NULL omits both). */
void diag_add(struct diag *d, const char *file, unsigned line, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* Append every message of src to dst. */
void diag_merge(struct diag *dst, const struct diag *src);
size_t diag_count(const struct diag *d);
/* Order messages by file, then line number (stable), for reading. */
void diag_sort(struct diag *d);
/* Write every message, one per line, to a stdio stream (FILE *). */
void diag_print(const struct diag *d, void *stream);

#endif
