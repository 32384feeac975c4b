/*
 * text.c — plain, bounded UTF-8 from feed text (see include/bidbroker/text.h).
 *
 * Each step is a pass over the whole string into a new buffer.  The steps
 * are cheap (a few ns a byte) and the input is capped before any work is
 * done, so a hostile 10 MB description costs a bounded amount of time.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bidbroker/text.h"
#include "bidbroker/util.h"

#define REPLACEMENT 0xFFFDu

/* Windows-1252 bytes 0x80..0x9F; 0 marks the five undefined ones. */
static const uint16_t cp1252_high[32] = {
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
        0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

/* The code point a Windows-1252 (or, for its holes, Latin-1) byte stands for. */
static uint32_t
cp1252_to_unicode(unsigned char c)
{
        if (c >= 0x80 && c <= 0x9F && cp1252_high[c - 0x80] != 0)
                return cp1252_high[c - 0x80];
        return c;
}

/* The byte a code point would be in Windows-1252 (Latin-1 for U+0080..U+009F),
 * or -1 when it has none. */
static int
unicode_to_cp1252(uint32_t cp)
{
        if (cp <= 0xFF)
                return (int)cp;
        for (int i = 0; i < 32; i++)
                if (cp1252_high[i] == cp)
                        return 0x80 + i;
        return -1;
}

/* Length of the valid UTF-8 sequence at s (1..4) with its code point, or 0. */
static size_t
utf8_decode(const unsigned char *s, size_t len, uint32_t *ret)
{
        uint32_t cp;
        size_t n;

        if (len == 0)
                return 0;
        if (s[0] < 0x80) {
                *ret = s[0];
                return 1;
        }
        if (s[0] >= 0xC2 && s[0] <= 0xDF) {
                n = 2;
                cp = s[0] & 0x1F;
        } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
                n = 3;
                cp = s[0] & 0x0F;
        } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
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
text_utf8_decode(const char *s, size_t len, uint32_t *cp)
{
        return utf8_decode((const unsigned char *)s, len, cp);
}

uint32_t
text_cp1252_char(unsigned char c)
{
        return cp1252_to_unicode(c);
}

void
text_put_utf8(struct buf *b, uint32_t cp)
{
        char u[4];

        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                cp = REPLACEMENT;
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

bool
text_utf8_valid(const char *s, size_t len)
{
        const unsigned char *p = (const unsigned char *)s;
        uint32_t cp;

        for (size_t i = 0; i < len;) {
                size_t n;

                if (p[i] < 0x80) {
                        i++;
                        continue;
                }
                n = utf8_decode(p + i, len - i, &cp);
                if (n == 0)
                        return false;
                i += n;
        }
        return true;
}

char *
text_utf8_repair(const char *s, size_t len, size_t *ret_len)
{
        const unsigned char *p = (const unsigned char *)s;
        struct buf b;
        uint32_t cp;

        buf_init(&b);
        buf_add(&b, "", 0);
        for (size_t i = 0; i < len;) {
                size_t start = i, n;

                while (i < len && p[i] < 0x80)
                        i++;
                if (i > start)
                        buf_add(&b, s + start, i - start);
                if (i >= len)
                        break;
                n = utf8_decode(p + i, len - i, &cp);
                if (n > 0) {
                        buf_add(&b, s + i, n);
                        i += n;
                } else {
                        text_put_utf8(&b, cp1252_to_unicode(p[i]));
                        i++;
                }
        }
        if (ret_len)
                *ret_len = b.len;
        return buf_steal(&b);
}

size_t
text_utf8_cut(const char *s, size_t len, size_t max)
{
        size_t n;

        if (len <= max)
                return len;
        n = max;
        /* back off continuation bytes, then check the lead byte's sequence fits */
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80 && max - n < 4)
                n--;
        return n;
}

/* ---- mojibake ---- */

/* One pass; *changed tells whether anything was replaced. */
static char *
mojibake_pass(const char *s, size_t len, bool *changed)
{
        const unsigned char *p = (const unsigned char *)s;
        struct buf b;

        *changed = false;
        buf_init(&b);
        buf_add(&b, "", 0);
        for (size_t i = 0; i < len;) {
                uint32_t cp;
                size_t n = utf8_decode(p + i, len - i, &cp);
                int lead;

                if (n == 0) {           /* caller guarantees valid UTF-8; be safe */
                        text_put_utf8(&b, REPLACEMENT);
                        i++;
                        continue;
                }
                lead = cp >= 0x80 ? unicode_to_cp1252(cp) : -1;
                if (lead >= 0xC2 && lead <= 0xF4) {
                        unsigned char bytes[4];
                        size_t need = lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
                        size_t j = i + n, k;
                        uint32_t dummy;

                        bytes[0] = (unsigned char)lead;
                        for (k = 1; k < need; k++) {
                                uint32_t c2;
                                size_t n2 = utf8_decode(p + j, len - j, &c2);
                                int cont = n2 ? unicode_to_cp1252(c2) : -1;

                                if (cont < 0x80 || cont > 0xBF)
                                        break;
                                bytes[k] = (unsigned char)cont;
                                j += n2;
                        }
                        if (k == need && utf8_decode(bytes, need, &dummy) == need) {
                                buf_add(&b, bytes, need);
                                i = j;
                                *changed = true;
                                continue;
                        }
                }
                buf_add(&b, s + i, n);
                i += n;
        }
        return buf_steal(&b);
}

char *
text_fix_mojibake(const char *s, size_t len)
{
        bool changed;
        char *out = mojibake_pass(s, len, &changed);

        /* Text encoded twice ("Ã‚Â£") needs a second pass; stop there. */
        if (changed) {
                char *again = mojibake_pass(out, strlen(out), &changed);

                free(out);
                out = again;
        }
        return out;
}

/* ---- HTML entities ---- */

struct entity {
        const char *name;
        uint32_t    cp;
};

/* HTML 4 named references (Latin-1, symbols and the common typographic ones),
 * plus apos.  Sorted by name (strcmp) for bsearch. */
static const struct entity entities[] = {
        { "AElig", 0xC6 }, { "Aacute", 0xC1 }, { "Acirc", 0xC2 }, { "Agrave", 0xC0 },
        { "Alpha", 0x391 }, { "Aring", 0xC5 }, { "Atilde", 0xC3 }, { "Auml", 0xC4 },
        { "Beta", 0x392 }, { "Ccedil", 0xC7 }, { "Chi", 0x3A7 }, { "Dagger", 0x2021 },
        { "Delta", 0x394 }, { "ETH", 0xD0 }, { "Eacute", 0xC9 }, { "Ecirc", 0xCA },
        { "Egrave", 0xC8 }, { "Epsilon", 0x395 }, { "Eta", 0x397 }, { "Euml", 0xCB },
        { "Gamma", 0x393 }, { "Iacute", 0xCD }, { "Icirc", 0xCE }, { "Igrave", 0xCC },
        { "Iota", 0x399 }, { "Iuml", 0xCF }, { "Kappa", 0x39A }, { "Lambda", 0x39B },
        { "Mu", 0x39C }, { "Ntilde", 0xD1 }, { "Nu", 0x39D }, { "OElig", 0x152 },
        { "Oacute", 0xD3 }, { "Ocirc", 0xD4 }, { "Ograve", 0xD2 }, { "Omega", 0x3A9 },
        { "Omicron", 0x39F }, { "Oslash", 0xD8 }, { "Otilde", 0xD5 }, { "Ouml", 0xD6 },
        { "Phi", 0x3A6 }, { "Pi", 0x3A0 }, { "Prime", 0x2033 }, { "Psi", 0x3A8 },
        { "Rho", 0x3A1 }, { "Scaron", 0x160 }, { "Sigma", 0x3A3 }, { "THORN", 0xDE },
        { "Tau", 0x3A4 }, { "Theta", 0x398 }, { "Uacute", 0xDA }, { "Ucirc", 0xDB },
        { "Ugrave", 0xD9 }, { "Upsilon", 0x3A5 }, { "Uuml", 0xDC }, { "Xi", 0x39E },
        { "Yacute", 0xDD }, { "Yuml", 0x178 }, { "Zeta", 0x396 },
        { "aacute", 0xE1 }, { "acirc", 0xE2 }, { "acute", 0xB4 }, { "aelig", 0xE6 },
        { "agrave", 0xE0 }, { "alpha", 0x3B1 }, { "amp", 0x26 }, { "and", 0x2227 },
        { "ang", 0x2220 }, { "apos", 0x27 }, { "aring", 0xE5 }, { "asymp", 0x2248 },
        { "atilde", 0xE3 }, { "auml", 0xE4 }, { "bdquo", 0x201E }, { "beta", 0x3B2 },
        { "brvbar", 0xA6 }, { "bull", 0x2022 }, { "cap", 0x2229 }, { "ccedil", 0xE7 },
        { "cedil", 0xB8 }, { "cent", 0xA2 }, { "check", 0x2713 }, { "chi", 0x3C7 },
        { "circ", 0x2C6 }, { "clubs", 0x2663 }, { "copy", 0xA9 }, { "crarr", 0x21B5 },
        { "cup", 0x222A }, { "curren", 0xA4 }, { "dArr", 0x21D3 }, { "dagger", 0x2020 },
        { "darr", 0x2193 }, { "deg", 0xB0 }, { "delta", 0x3B4 }, { "diams", 0x2666 },
        { "divide", 0xF7 }, { "eacute", 0xE9 }, { "ecirc", 0xEA }, { "egrave", 0xE8 },
        { "empty", 0x2205 }, { "emsp", 0x2003 }, { "ensp", 0x2002 }, { "epsilon", 0x3B5 },
        { "equiv", 0x2261 }, { "eta", 0x3B7 }, { "eth", 0xF0 }, { "euml", 0xEB },
        { "euro", 0x20AC }, { "exist", 0x2203 }, { "fnof", 0x192 }, { "forall", 0x2200 },
        { "frac12", 0xBD }, { "frac14", 0xBC }, { "frac34", 0xBE }, { "frasl", 0x2044 },
        { "gamma", 0x3B3 }, { "ge", 0x2265 }, { "gt", 0x3E }, { "hArr", 0x21D4 },
        { "harr", 0x2194 }, { "hearts", 0x2665 }, { "hellip", 0x2026 }, { "iacute", 0xED },
        { "icirc", 0xEE }, { "iexcl", 0xA1 }, { "igrave", 0xEC }, { "infin", 0x221E },
        { "int", 0x222B }, { "iota", 0x3B9 }, { "iquest", 0xBF }, { "isin", 0x2208 },
        { "iuml", 0xEF }, { "kappa", 0x3BA }, { "lArr", 0x21D0 }, { "lambda", 0x3BB },
        { "laquo", 0xAB }, { "larr", 0x2190 }, { "lceil", 0x2308 }, { "ldquo", 0x201C },
        { "le", 0x2264 }, { "lfloor", 0x230A }, { "lowast", 0x2217 }, { "loz", 0x25CA },
        { "lrm", 0x200E }, { "lsaquo", 0x2039 }, { "lsquo", 0x2018 }, { "lt", 0x3C },
        { "macr", 0xAF }, { "mdash", 0x2014 }, { "micro", 0xB5 }, { "middot", 0xB7 },
        { "minus", 0x2212 }, { "mu", 0x3BC }, { "nabla", 0x2207 }, { "nbsp", 0xA0 },
        { "ndash", 0x2013 }, { "ne", 0x2260 }, { "ni", 0x220B }, { "not", 0xAC },
        { "notin", 0x2209 }, { "nsub", 0x2284 }, { "ntilde", 0xF1 }, { "nu", 0x3BD },
        { "oacute", 0xF3 }, { "ocirc", 0xF4 }, { "oelig", 0x153 }, { "ograve", 0xF2 },
        { "oline", 0x203E }, { "omega", 0x3C9 }, { "omicron", 0x3BF }, { "oplus", 0x2295 },
        { "or", 0x2228 }, { "ordf", 0xAA }, { "ordm", 0xBA }, { "oslash", 0xF8 },
        { "otilde", 0xF5 }, { "otimes", 0x2297 }, { "ouml", 0xF6 }, { "para", 0xB6 },
        { "part", 0x2202 }, { "permil", 0x2030 }, { "perp", 0x22A5 }, { "phi", 0x3C6 },
        { "pi", 0x3C0 }, { "piv", 0x3D6 }, { "plusmn", 0xB1 }, { "pound", 0xA3 },
        { "prime", 0x2032 }, { "prod", 0x220F }, { "prop", 0x221D }, { "psi", 0x3C8 },
        { "quot", 0x22 }, { "rArr", 0x21D2 }, { "radic", 0x221A }, { "raquo", 0xBB },
        { "rarr", 0x2192 }, { "rceil", 0x2309 }, { "rdquo", 0x201D }, { "reg", 0xAE },
        { "rfloor", 0x230B }, { "rho", 0x3C1 }, { "rlm", 0x200F }, { "rsaquo", 0x203A },
        { "rsquo", 0x2019 }, { "sbquo", 0x201A }, { "scaron", 0x161 }, { "sdot", 0x22C5 },
        { "sect", 0xA7 }, { "shy", 0xAD }, { "sigma", 0x3C3 }, { "sigmaf", 0x3C2 },
        { "sim", 0x223C }, { "spades", 0x2660 }, { "sub", 0x2282 }, { "sube", 0x2286 },
        { "sum", 0x2211 }, { "sup", 0x2283 }, { "sup1", 0xB9 }, { "sup2", 0xB2 },
        { "sup3", 0xB3 }, { "supe", 0x2287 }, { "szlig", 0xDF }, { "tau", 0x3C4 },
        { "there4", 0x2234 }, { "theta", 0x3B8 }, { "thetasym", 0x3D1 }, { "thinsp", 0x2009 },
        { "thorn", 0xFE }, { "tilde", 0x2DC }, { "times", 0xD7 }, { "trade", 0x2122 },
        { "uArr", 0x21D1 }, { "uacute", 0xFA }, { "uarr", 0x2191 }, { "ucirc", 0xFB },
        { "ugrave", 0xF9 }, { "uml", 0xA8 }, { "upsih", 0x3D2 }, { "upsilon", 0x3C5 },
        { "uuml", 0xFC }, { "weierp", 0x2118 }, { "xi", 0x3BE }, { "yacute", 0xFD },
        { "yen", 0xA5 }, { "yuml", 0xFF }, { "zeta", 0x3B6 }, { "zwj", 0x200D },
        { "zwnj", 0x200C },
};

static int
entity_cmp(const void *key, const void *elem)
{
        return strcmp(key, ((const struct entity *)elem)->name);
}

static bool
entity_lookup(const char *name, uint32_t *ret)
{
        const struct entity *e = bsearch(name, entities, ARRAY_SIZE(entities),
                                         sizeof(entities[0]), entity_cmp);
        /* HTML5 also knows the upper-case forms of the oldest five. */
        static const struct entity upper[] = {
                { "AMP", 0x26 }, { "LT", 0x3C }, { "GT", 0x3E }, { "QUOT", 0x22 },
                { "NBSP", 0xA0 }, { "POUND", 0xA3 },
        };

        if (e != NULL) {
                *ret = e->cp;
                return true;
        }
        for (size_t i = 0; i < ARRAY_SIZE(upper); i++)
                if (strcmp(name, upper[i].name) == 0) {
                        *ret = upper[i].cp;
                        return true;
                }
        return false;
}

/* Decode the reference at s[0] == '&'; return bytes consumed or 0. */
static size_t
entity_at(const char *s, size_t len, uint32_t *ret)
{
        size_t i = 1;

        if (i < len && s[i] == '#') {
                uint64_t v = 0;
                bool hex = false;
                size_t start;

                i++;
                if (i < len && (s[i] == 'x' || s[i] == 'X')) {
                        hex = true;
                        i++;
                }
                start = i;
                while (i < len && i - start < 8 &&
                       (hex ? isxdigit((unsigned char)s[i]) : isdigit((unsigned char)s[i]))) {
                        int d = isdigit((unsigned char)s[i]) ? s[i] - '0'
                                : tolower((unsigned char)s[i]) - 'a' + 10;

                        v = v * (hex ? 16 : 10) + (uint64_t)d;
                        i++;
                }
                if (i == start || i >= len || s[i] != ';')
                        return 0;
                if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
                        *ret = REPLACEMENT;
                else if (v >= 0x80 && v <= 0x9F)
                        *ret = cp1252_to_unicode((unsigned char)v);     /* as browsers do */
                else
                        *ret = (uint32_t)v;
                return i + 1;
        } else {
                char name[16];
                size_t n = 0;

                while (i < len && n < sizeof(name) - 1 && isalnum((unsigned char)s[i]))
                        name[n++] = s[i++];
                name[n] = '\0';
                if (n == 0 || i >= len || s[i] != ';' || !entity_lookup(name, ret))
                        return 0;
                return i + 1;
        }
}

char *
text_decode_entities(const char *s, size_t len)
{
        struct buf b;

        buf_init(&b);
        buf_add(&b, "", 0);
        for (size_t i = 0; i < len;) {
                const char *amp = memchr(s + i, '&', len - i);
                uint32_t cp;
                size_t n;

                if (amp == NULL) {
                        buf_add(&b, s + i, len - i);
                        break;
                }
                buf_add(&b, s + i, (size_t)(amp - (s + i)));
                i = (size_t)(amp - s);
                n = entity_at(s + i, len - i, &cp);
                if (n == 0) {
                        buf_addc(&b, '&');
                        i++;
                } else {
                        text_put_utf8(&b, cp);
                        i += n;
                }
        }
        return buf_steal(&b);
}

/* ---- HTML tags ---- */

/* Tags that end a line of text when stripped; every other known tag vanishes. */
static const char *const block_tags[] = {
        "address", "article", "blockquote", "br", "dd", "div", "dl", "dt", "footer",
        "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre",
        "section", "table", "tbody", "thead", "tfoot", "tr", "ul",
};
static const char *const inline_tags[] = {
        "a", "abbr", "b", "big", "center", "cite", "code", "col", "colgroup", "del",
        "em", "font", "i", "img", "ins", "mark", "s", "small", "span", "strike",
        "strong", "sub", "sup", "td", "th", "u",
};

static bool
in_list(const char *name, const char *const *list, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (strcasecmp(name, list[i]) == 0)
                        return true;
        return false;
}

/*
 * If s[0] == '<' starts a tag we strip, return its length and whether it
 * breaks the line; 0 otherwise.  A tag is '<', optional '/', a known name
 * (or any name with a ':' such as Word's <o:p>), then white space, '/' or
 * '>', and a '>' within 512 bytes with no '<' before it.  Comments
 * "<!-- ... -->" go too.
 */
static size_t
tag_at(const char *s, size_t len, bool *block)
{
        char name[24];
        size_t i = 1, n = 0;
        bool colon = false;

        *block = false;
        if (len >= 4 && memcmp(s, "<!--", 4) == 0) {
                for (i = 4; i + 2 < len; i++)
                        if (memcmp(s + i, "-->", 3) == 0)
                                return i + 3;
                return 0;
        }
        if (i < len && s[i] == '/')
                i++;
        if (i >= len || !isalpha((unsigned char)s[i]))
                return 0;
        while (i < len && (isalnum((unsigned char)s[i]) || s[i] == ':')) {
                if (n >= sizeof(name) - 1)
                        return 0;
                if (s[i] == ':')
                        colon = true;
                name[n++] = s[i++];
        }
        name[n] = '\0';
        if (i >= len || !(isspace((unsigned char)s[i]) || s[i] == '/' || s[i] == '>'))
                return 0;
        if (in_list(name, block_tags, ARRAY_SIZE(block_tags)))
                *block = true;
        else if (!colon && !in_list(name, inline_tags, ARRAY_SIZE(inline_tags)))
                return 0;
        for (; i < len && i < 512; i++) {
                if (s[i] == '<')
                        return 0;
                if (s[i] == '>')
                        return i + 1;
        }
        return 0;
}

static char *
strip_tags(const char *s, size_t len)
{
        struct buf b;

        buf_init(&b);
        buf_add(&b, "", 0);
        for (size_t i = 0; i < len;) {
                const char *lt = memchr(s + i, '<', len - i);
                size_t n;
                bool block;

                if (lt == NULL) {
                        buf_add(&b, s + i, len - i);
                        break;
                }
                buf_add(&b, s + i, (size_t)(lt - (s + i)));
                i = (size_t)(lt - s);
                n = tag_at(s + i, len - i, &block);
                if (n == 0) {
                        buf_addc(&b, '<');
                        i++;
                } else {
                        /* inline tags may separate words ("a<td>b"): keep a
                         * space; comments vanish */
                        if (s[i + 1] == '!')
                                ;
                        else if (!block)
                                buf_addc(&b, ' ');
                        else if (b.len == 0 || b.data[b.len - 1] != '\n')
                                buf_addc(&b, '\n');    /* "</p><p>": one break */
                        i += n;
                }
        }
        return buf_steal(&b);
}

/* ---- white space and control characters ---- */

static char *
normalise_space(const char *s, size_t len, unsigned flags)
{
        const unsigned char *p = (const unsigned char *)s;
        bool single = flags & TEXT_SINGLE_LINE;
        struct buf b;
        int pending_nl = 0;             /* line breaks seen since the last text */
        bool pending_sp = false;

        buf_init(&b);
        buf_add(&b, "", 0);
        for (size_t i = 0; i < len;) {
                uint32_t cp;
                size_t n = utf8_decode(p + i, len - i, &cp);

                if (n == 0) {
                        cp = REPLACEMENT;
                        n = 1;
                }
                if (cp == '\r') {
                        if (i + 1 < len && p[i + 1] == '\n')
                                n = 2;
                        cp = '\n';
                } else if (cp == 0x2028 || cp == 0x2029) {
                        cp = '\n';
                }
                i += n;
                if (cp == '\n' && single)
                        cp = ' ';
                if (cp == '\n') {
                        pending_nl++;
                        pending_sp = false;
                        continue;
                }
                if (cp == ' ' || cp == '\t' || cp == '\v' || cp == '\f') {
                        pending_sp = true;
                        continue;
                }
                if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0xFEFF)
                        continue;               /* controls, C1, BOM: dropped */
                if (b.len > 0) {
                        if (pending_nl)
                                buf_add(&b, "\n\n", pending_nl > 1 ? 2 : 1);
                        else if (pending_sp)
                                buf_addc(&b, ' ');
                }
                pending_nl = 0;
                pending_sp = false;
                text_put_utf8(&b, cp);
        }
        return buf_steal(&b);
}

/* Remove NUL bytes in place (the later passes work on C strings). */
static size_t
drop_nul(char *s, size_t len)
{
        size_t k = 0;

        for (size_t i = 0; i < len; i++)
                if (s[i] != '\0')
                        s[k++] = s[i];
        s[k] = '\0';
        return k;
}

char *
text_clean(const char *s, size_t len, size_t max, unsigned flags)
{
        char *a, *t;
        size_t n;

        if (s == NULL)
                return xstrdup("");
        /* Bound the work: tags and entities shrink text, but never by more
         * than this much in real feeds. */
        if (max > 0 && len > max * 8 + 4096)
                len = max * 8 + 4096;
        a = text_utf8_repair(s, len, &n);
        n = drop_nul(a, n);
        t = text_fix_mojibake(a, n);
        free(a);
        a = strip_tags(t, strlen(t));
        free(t);
        t = text_decode_entities(a, strlen(a));
        free(a);
        a = normalise_space(t, strlen(t), flags);
        free(t);
        n = strlen(a);
        if (max > 0 && n > max) {
                n = text_utf8_cut(a, n, max);
                while (n > 0 && (a[n - 1] == ' ' || a[n - 1] == '\n'))
                        n--;
                a[n] = '\0';
        }
        return a;
}

char *
text_clean_str(const char *s, size_t max, unsigned flags)
{
        return text_clean(s, s ? strlen(s) : 0, max, flags);
}
