/* err.c — error values and diagnostics lists (see include/bidbroker/err.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidbroker/err.h"
#include "bidbroker/termsafe.h"
#include "bidbroker/util.h"

int
err_set(struct err *e, int code, const char *fmt, ...)
{
        va_list ap;

        if (e == NULL)
                return code;
        e->code = code;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
        va_end(ap);
        return code;
}

void
diag_init(struct diag *d)
{
        memset(d, 0, sizeof(*d));
}

void
diag_done(struct diag *d)
{
        for (size_t i = 0; i < d->n; i++)
                free(d->msg[i]);
        free(d->msg);
        diag_init(d);
}

static void
diag_push(struct diag *d, char *m)
{
        size_t max = d->max ? d->max : 1000;

        if (d->n >= max) {
                d->dropped++;
                free(m);
                return;
        }
        if (d->n == d->cap) {
                d->cap = d->cap ? d->cap * 2 : 8;
                d->msg = xreallocarray(d->msg, d->cap, sizeof(*d->msg));
        }
        d->msg[d->n++] = m;
}

void
diag_add(struct diag *d, const char *file, unsigned line, const char *fmt, ...)
{
        struct buf b;
        va_list ap;
        char tmp[1024];

        buf_init(&b);
        if (file != NULL && line > 0)
                buf_printf(&b, "%s:%u: ", file, line);
        else if (file != NULL)
                buf_printf(&b, "%s: ", file);
        va_start(ap, fmt);
        vsnprintf(tmp, sizeof(tmp), fmt, ap);
        va_end(ap);
        buf_adds(&b, tmp);
        diag_push(d, buf_steal(&b));
}

void
diag_merge(struct diag *dst, const struct diag *src)
{
        for (size_t i = 0; i < src->n; i++)
                diag_push(dst, xstrdup(src->msg[i]));
        dst->dropped += src->dropped;
}

size_t
diag_count(const struct diag *d)
{
        return d->n + d->dropped;
}

/* Split "FILE:LINE: msg" into the file part's length and the line number. */
static void
diag_key(const char *m, size_t *flen, unsigned long *line)
{
        const char *c = strstr(m, ": ");
        const char *p;

        *flen = c ? (size_t)(c - m) : strlen(m);
        *line = 0;
        /* walk back over the digits of a ":LINE" just before ": " */
        for (p = m + *flen; p > m && p[-1] >= '0' && p[-1] <= '9'; p--)
                ;
        if (p > m && p < m + *flen && p[-1] == ':') {
                *line = strtoul(p, NULL, 10);
                *flen = (size_t)(p - 1 - m);
        }
}

void
diag_sort(struct diag *d)
{
        /* insertion sort: stable, and lists are short */
        for (size_t i = 1; i < d->n; i++) {
                char *m = d->msg[i];
                size_t fl, j = i;
                unsigned long ln;

                diag_key(m, &fl, &ln);
                while (j > 0) {
                        size_t pfl;
                        unsigned long pln;
                        int c;

                        diag_key(d->msg[j - 1], &pfl, &pln);
                        c = strncmp(d->msg[j - 1], m, pfl < fl ? pfl : fl);
                        if (c == 0)
                                c = (pfl > fl) - (pfl < fl);
                        if (c < 0 || (c == 0 && pln <= ln))
                                break;
                        d->msg[j] = d->msg[j - 1];
                        j--;
                }
                d->msg[j] = m;
        }
}

void
diag_print(const struct diag *d, void *stream)
{
        FILE *f = stream;

        for (size_t i = 0; i < d->n; i++) {     /* messages quote the input */
                termsafe_fputs(d->msg[i], f, TERMSAFE_TAB);
                fputc('\n', f);
        }
        if (d->dropped)
                fprintf(f, "(%zu more errors not shown)\n", d->dropped);
}
