/* utf8.c — the one UTF-8 decoder, validator and encoder (see utf8.h). */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "bidbroker/utf8.h"
#include "bidbroker/util.h"

size_t
utf8_decode(const char *str, size_t len, uint32_t *ret)
{
        const unsigned char *s = (const unsigned char *)str;
        uint32_t cp;
        size_t n;

        if (len == 0)
                return 0;
        if (s[0] < 0x80) {
                *ret = s[0];
                return 1;
        }
        if (s[0] >= 0xC2 && s[0] <= 0xDF) {             /* 0xC0, 0xC1: always overlong */
                n = 2;
                cp = s[0] & 0x1F;
        } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
                n = 3;
                cp = s[0] & 0x0F;
        } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {      /* above 0xF4: beyond U+10FFFF */
                n = 4;
                cp = s[0] & 0x07;
        } else {
                return 0;
        }
        if (len < n)
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xC0) != 0x80)
                        return 0;
                cp = cp << 6 | (s[i] & 0x3F);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
                return 0;
        *ret = cp;
        return n;
}

size_t
utf8_decode_lossy(const char *s, size_t len, uint32_t *cp)
{
        size_t n;

        assert(len > 0);
        n = utf8_decode(s, len, cp);
        if (n == 0) {
                *cp = UTF8_REPLACEMENT;
                n = 1;
        }
        return n;
}

bool
utf8_valid(const char *s, size_t len)
{
        const unsigned char *p = (const unsigned char *)s;
        uint32_t cp;

        for (size_t i = 0; i < len;) {
                uint64_t w;
                size_t n;

                /* ASCII eight bytes at a time */
                while (len - i >= 8 && (memcpy(&w, p + i, 8), (w & 0x8080808080808080u) == 0))
                        i += 8;
                if (i == len)
                        break;
                if (p[i] < 0x80) {
                        i++;
                        continue;
                }
                n = utf8_decode(s + i, len - i, &cp);
                if (n == 0)
                        return false;
                i += n;
        }
        return true;
}

void
utf8_put(struct buf *b, uint32_t cp)
{
        char u[4];

        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                cp = UTF8_REPLACEMENT;
        if (cp < 0x80) {
                buf_addc(b, (char)cp);
        } else if (cp < 0x800) {
                u[0] = (char)(0xC0 | cp >> 6);
                u[1] = (char)(0x80 | (cp & 0x3F));
                buf_add(b, u, 2);
        } else if (cp < 0x10000) {
                u[0] = (char)(0xE0 | cp >> 12);
                u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
                u[2] = (char)(0x80 | (cp & 0x3F));
                buf_add(b, u, 3);
        } else {
                u[0] = (char)(0xF0 | cp >> 18);
                u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
                u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
                u[3] = (char)(0x80 | (cp & 0x3F));
                buf_add(b, u, 4);
        }
}

size_t
utf8_cut(const char *s, size_t len, size_t max)
{
        size_t n;

        if (len <= max)
                return len;
        n = max;
        /* back off to the first byte of the character s[max] is part of */
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80 && max - n < 4)
                n--;
        return n;
}
