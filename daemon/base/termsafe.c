/*
 * termsafe.c — text made safe to show on a terminal (see termsafe.h).
 */
#include <stdlib.h>
#include <string.h>

#include "bidbroker/termsafe.h"
#include "bidbroker/utf8.h"
#include "bidbroker/util.h"

/* Unicode 15 general category Cf, and Zl/Zp (U+2028, U+2029). */
static const struct { uint32_t lo, hi; } format_chars[] = {
        { 0x00AD, 0x00AD }, { 0x0600, 0x0605 }, { 0x061C, 0x061C }, { 0x06DD, 0x06DD },
        { 0x070F, 0x070F }, { 0x0890, 0x0891 }, { 0x08E2, 0x08E2 }, { 0x180E, 0x180E },
        { 0x200B, 0x200F }, { 0x2028, 0x202E }, { 0x2060, 0x2064 }, { 0x2066, 0x206F },
        { 0xFEFF, 0xFEFF }, { 0xFFF9, 0xFFFB }, { 0x110BD, 0x110BD }, { 0x110CD, 0x110CD },
        { 0x13430, 0x1343F }, { 0x1BCA0, 0x1BCA3 }, { 0x1D173, 0x1D17A },
        { 0xE0001, 0xE0001 }, { 0xE0020, 0xE007F },
};

bool
termsafe_escaped(uint32_t cp, unsigned keep)
{
        if (cp == '\n')
                return !(keep & TERMSAFE_NEWLINE);
        if (cp == '\t')
                return !(keep & TERMSAFE_TAB);
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
                return true;
        if (cp < 0xAD)
                return false;
        for (size_t i = 0; i < sizeof(format_chars) / sizeof(format_chars[0]); i++)
                if (cp >= format_chars[i].lo && cp <= format_chars[i].hi)
                        return true;
        return false;
}

/*
 * The next piece of s (len > 0 bytes): its length in *n, and either NULL
 * (copy the n bytes as they are) or the escape to show instead in esc.
 */
static const char *
next_piece(const char *s, size_t len, unsigned keep, size_t *n, char esc[16])
{
        uint32_t cp;

        if ((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7F) {
                *n = 1;
                return NULL;
        }
        *n = utf8_decode(s, len, &cp);
        if (*n == 0) {
                *n = 1;
                snprintf(esc, 16, "<0x%02X>", (unsigned char)*s);
                return esc;
        }
        if (!termsafe_escaped(cp, keep))
                return NULL;
        snprintf(esc, 16, "<U+%04X>", (unsigned)cp);
        return esc;
}

void
termsafe_buf(struct buf *b, const char *s, size_t len, unsigned keep)
{
        char esc[16];

        while (len > 0) {
                size_t n;
                const char *e = next_piece(s, len, keep, &n, esc);

                if (e != NULL)
                        buf_adds(b, e);
                else
                        buf_add(b, s, n);
                s += n;
                len -= n;
        }
}

char *
text_for_terminal(const char *s, unsigned keep)
{
        struct buf b;

        if (s == NULL)
                return NULL;
        buf_init(&b);
        termsafe_buf(&b, s, strlen(s), keep);
        buf_addc(&b, '\0');
        return buf_steal(&b);
}

size_t
termsafe_copy(char *out, size_t size, const char *s, unsigned keep)
{
        size_t len = strlen(s), o = 0;
        char esc[16];

        while (len > 0) {
                size_t n, w;
                const char *e = next_piece(s, len, keep, &n, esc);
                const char *src = e ? e : s;

                w = e ? strlen(e) : n;
                if (o + w >= size)
                        break;
                memcpy(out + o, src, w);
                o += w;
                s += n;
                len -= n;
        }
        out[o] = '\0';
        return o;
}

int
termsafe_fputs(const char *s, FILE *f, unsigned keep)
{
        char *t = text_for_terminal(s, keep);
        int r = fputs(t, f);

        free(t);
        return r;
}
