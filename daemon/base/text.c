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
#include "bidbroker/utf8.h"
#include "bidbroker/util.h"

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

uint32_t
text_cp1252_char(unsigned char c)
{
        return cp1252_to_unicode(c);
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
                n = utf8_decode(s + i, len - i, &cp);
                if (n > 0) {
                        buf_add(&b, s + i, n);
                        i += n;
                } else {
                        utf8_put(&b, cp1252_to_unicode(p[i]));
                        i++;
                }
        }
        if (ret_len)
                *ret_len = b.len;
        return buf_steal(&b);
}

/* ---- mojibake ---- */

/* One pass; *changed tells whether anything was replaced. */
static char *
mojibake_pass(const char *s, size_t len, bool *changed)
{
        struct buf b;

        *changed = false;
        buf_init(&b);
        buf_add(&b, "", 0);
        for (size_t i = 0; i < len;) {
                uint32_t cp;
                size_t n = utf8_decode(s + i, len - i, &cp);
                int lead;

                if (n == 0) {           /* caller guarantees valid UTF-8; be safe */
                        utf8_put(&b, UTF8_REPLACEMENT);
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
                                size_t n2 = utf8_decode(s + j, len - j, &c2);
                                int cont = n2 ? unicode_to_cp1252(c2) : -1;

                                if (cont < 0x80 || cont > 0xBF)
                                        break;
                                bytes[k] = (unsigned char)cont;
                                j += n2;
                        }
                        if (k == need && utf8_decode((const char *)bytes, need, &dummy) == need) {
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
                if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) ||
                    v == 0xFFFE || v == 0xFFFF)
                        *ret = UTF8_REPLACEMENT;
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
                        utf8_put(&b, cp);
                        i += n;
                }
        }
        return buf_steal(&b);
}

/* ---- HTML tags ---- */

#define TAG_SCAN_MAX    512     /* bytes a tag may span without quoted values */

struct html_element {
        const char   *name;
        enum text_tag kind;
};

/* The HTML element names text_clean() strips (HTML 4, HTML5 and the common
 * obsolete ones); any other name in angle brackets stays as text.  Sorted
 * by name (strcmp) for bsearch. */
static const struct html_element html_elements[] = {
        { "a", TEXT_TAG_INLINE }, { "abbr", TEXT_TAG_INLINE },
        { "acronym", TEXT_TAG_INLINE }, { "address", TEXT_TAG_BLOCK },
        { "area", TEXT_TAG_INLINE }, { "article", TEXT_TAG_BLOCK },
        { "aside", TEXT_TAG_BLOCK }, { "audio", TEXT_TAG_SPACE },
        { "b", TEXT_TAG_INLINE }, { "base", TEXT_TAG_INLINE },
        { "bdi", TEXT_TAG_INLINE }, { "bdo", TEXT_TAG_INLINE },
        { "big", TEXT_TAG_INLINE }, { "blockquote", TEXT_TAG_BLOCK },
        { "body", TEXT_TAG_BLOCK }, { "br", TEXT_TAG_BLOCK },
        { "button", TEXT_TAG_SPACE }, { "canvas", TEXT_TAG_SPACE },
        { "caption", TEXT_TAG_BLOCK }, { "center", TEXT_TAG_SPACE },
        { "cite", TEXT_TAG_INLINE }, { "code", TEXT_TAG_INLINE },
        { "col", TEXT_TAG_INLINE }, { "colgroup", TEXT_TAG_INLINE },
        { "data", TEXT_TAG_INLINE }, { "dd", TEXT_TAG_BLOCK },
        { "del", TEXT_TAG_INLINE }, { "details", TEXT_TAG_BLOCK },
        { "dfn", TEXT_TAG_INLINE }, { "dialog", TEXT_TAG_BLOCK },
        { "div", TEXT_TAG_BLOCK }, { "dl", TEXT_TAG_BLOCK },
        { "dt", TEXT_TAG_BLOCK }, { "em", TEXT_TAG_INLINE },
        { "embed", TEXT_TAG_SPACE }, { "fieldset", TEXT_TAG_BLOCK },
        { "figcaption", TEXT_TAG_BLOCK }, { "figure", TEXT_TAG_BLOCK },
        { "font", TEXT_TAG_INLINE }, { "footer", TEXT_TAG_BLOCK },
        { "form", TEXT_TAG_BLOCK }, { "h1", TEXT_TAG_BLOCK },
        { "h2", TEXT_TAG_BLOCK }, { "h3", TEXT_TAG_BLOCK },
        { "h4", TEXT_TAG_BLOCK }, { "h5", TEXT_TAG_BLOCK },
        { "h6", TEXT_TAG_BLOCK }, { "head", TEXT_TAG_BLOCK },
        { "header", TEXT_TAG_BLOCK }, { "hgroup", TEXT_TAG_BLOCK },
        { "hr", TEXT_TAG_BLOCK }, { "html", TEXT_TAG_BLOCK },
        { "i", TEXT_TAG_INLINE }, { "iframe", TEXT_TAG_SPACE },
        { "img", TEXT_TAG_SPACE }, { "input", TEXT_TAG_SPACE },
        { "ins", TEXT_TAG_INLINE }, { "kbd", TEXT_TAG_INLINE },
        { "label", TEXT_TAG_INLINE }, { "legend", TEXT_TAG_BLOCK },
        { "li", TEXT_TAG_BLOCK }, { "link", TEXT_TAG_INLINE },
        { "main", TEXT_TAG_BLOCK }, { "map", TEXT_TAG_INLINE },
        { "mark", TEXT_TAG_INLINE }, { "menu", TEXT_TAG_BLOCK },
        { "meta", TEXT_TAG_INLINE }, { "meter", TEXT_TAG_SPACE },
        { "nav", TEXT_TAG_BLOCK }, { "nobr", TEXT_TAG_INLINE },
        { "noscript", TEXT_TAG_INLINE }, { "object", TEXT_TAG_SPACE },
        { "ol", TEXT_TAG_BLOCK }, { "optgroup", TEXT_TAG_BLOCK },
        { "option", TEXT_TAG_BLOCK }, { "output", TEXT_TAG_INLINE },
        { "p", TEXT_TAG_BLOCK }, { "param", TEXT_TAG_INLINE },
        { "picture", TEXT_TAG_INLINE }, { "pre", TEXT_TAG_BLOCK },
        { "progress", TEXT_TAG_SPACE }, { "q", TEXT_TAG_INLINE },
        { "rp", TEXT_TAG_INLINE }, { "rt", TEXT_TAG_INLINE },
        { "ruby", TEXT_TAG_INLINE }, { "s", TEXT_TAG_INLINE },
        { "samp", TEXT_TAG_INLINE }, { "script", TEXT_TAG_HIDDEN },
        { "section", TEXT_TAG_BLOCK }, { "select", TEXT_TAG_SPACE },
        { "small", TEXT_TAG_INLINE }, { "source", TEXT_TAG_INLINE },
        { "span", TEXT_TAG_INLINE }, { "strike", TEXT_TAG_INLINE },
        { "strong", TEXT_TAG_INLINE }, { "style", TEXT_TAG_HIDDEN },
        { "sub", TEXT_TAG_INLINE }, { "summary", TEXT_TAG_BLOCK },
        { "sup", TEXT_TAG_INLINE }, { "table", TEXT_TAG_BLOCK },
        { "tbody", TEXT_TAG_BLOCK }, { "td", TEXT_TAG_SPACE },
        { "textarea", TEXT_TAG_SPACE }, { "tfoot", TEXT_TAG_BLOCK },
        { "th", TEXT_TAG_SPACE }, { "thead", TEXT_TAG_BLOCK },
        { "time", TEXT_TAG_INLINE }, { "title", TEXT_TAG_BLOCK },
        { "tr", TEXT_TAG_BLOCK }, { "track", TEXT_TAG_INLINE },
        { "tt", TEXT_TAG_INLINE }, { "u", TEXT_TAG_INLINE },
        { "ul", TEXT_TAG_BLOCK }, { "var", TEXT_TAG_INLINE },
        { "video", TEXT_TAG_SPACE }, { "wbr", TEXT_TAG_INLINE },
};

static int
element_cmp(const void *key, const void *elem)
{
        return strcmp(key, ((const struct html_element *)elem)->name);
}

enum text_tag
text_html_tag(const char *name)
{
        const struct html_element *e;
        char lower[16];
        size_t n = 0;

        if (name == NULL)
                return TEXT_TAG_NONE;
        for (; name[n] != '\0'; n++) {
                if (n >= sizeof(lower) - 1)
                        return TEXT_TAG_NONE;
                lower[n] = (char)tolower((unsigned char)name[n]);
        }
        lower[n] = '\0';
        e = bsearch(lower, html_elements, ARRAY_SIZE(html_elements),
                    sizeof(html_elements[0]), element_cmp);
        return e ? e->kind : TEXT_TAG_NONE;
}

/* What a scan of one text has learnt, so that the work stays linear. */
struct tag_scan {
        bool no_comment_end;    /* a "<!--" found no "-->": none will */
        bool short_tags;        /* a quoted tag ran long and failed: no more */
};

/* A tag found at '<'. */
struct tag {
        enum text_tag kind;     /* TEXT_TAG_NONE: a comment, declaration or PI */
        bool          closing;  /* </name> */
        bool          empty;    /* <name ... /> */
        char          name[24];
};

/* The first '>' from s[i] within TAG_SCAN_MAX bytes of s with no '<' before
 * it: the index after it, or 0. */
static size_t
tag_close_plain(const char *s, size_t len, size_t i)
{
        for (; i < len && i < TAG_SCAN_MAX; i++) {
                if (s[i] == '<')
                        return 0;
                if (s[i] == '>')
                        return i + 1;
        }
        return 0;
}

/* The end of a tag whose name ends at s[i]: the index after its '>', or 0.
 * Attribute values in quotes (a quote after '=') may hold '>' and '<' and
 * make the tag longer than TAG_SCAN_MAX; outside them a '<' means this is
 * no tag.  With a quote that never closes, the plain rule decides. */
static size_t
tag_close(const char *s, size_t len, size_t i, struct tag_scan *sc)
{
        size_t lim = sc->short_tags && len > TAG_SCAN_MAX ? TAG_SCAN_MAX : len;
        char quote = 0, prev = 0;       /* prev: the last non-blank outside quotes */
        bool quoted = false;
        size_t j;

        for (j = i; j < lim; j++) {
                char c = s[j];

                if (quote) {
                        if (c == quote)
                                quote = 0;
                } else if ((c == '"' || c == '\'') && prev == '=') {
                        quote = c;
                        quoted = true;
                } else if (c == '<') {
                        break;
                } else if (c == '>') {
                        return j + 1;
                } else if (!isspace((unsigned char)c)) {
                        prev = c;
                }
        }
        /* A failed scan past TAG_SCAN_MAX happens once per text: after it,
         * tags keep to TAG_SCAN_MAX, so no byte is scanned over and over. */
        if (j > TAG_SCAN_MAX)
                sc->short_tags = true;
        return quoted ? tag_close_plain(s, len, i) : 0;
}

/*
 * If s[0] == '<' starts a tag we strip, fill *t and return its length; 0
 * otherwise.  A tag is '<', optional '/', a known HTML element name (or any
 * name with a ':' such as Word's <o:p>), then white space, '/' or '>', and
 * its closing '>' (tag_close).  Comments "<!-- ... -->", declarations
 * ("<!DOCTYPE ...>", Word's "<![if ...]>") and processing instructions
 * ("<?xml:namespace ...>") go too.
 */
static size_t
tag_at(const char *s, size_t len, struct tag_scan *sc, struct tag *t)
{
        size_t i = 1, n = 0, end;
        bool colon = false;

        memset(t, 0, sizeof(*t));
        if (len >= 4 && memcmp(s, "<!--", 4) == 0) {
                const char *e = sc->no_comment_end ? NULL : memmem(s + 4, len - 4, "-->", 3);

                if (e == NULL) {
                        sc->no_comment_end = true;
                        return 0;
                }
                return (size_t)(e - s) + 3;
        }
        if (len >= 3 && (s[1] == '!' || s[1] == '?')) {
                i = s[1] == '!' && s[2] == '[' ? 3 : 2;
                if (i >= len || !isalpha((unsigned char)s[i]) ||
                    (len >= 9 && memcmp(s, "<![CDATA[", 9) == 0))
                        return 0;
                return tag_close_plain(s, len, i);
        }
        if (i < len && s[i] == '/') {
                t->closing = true;
                i++;
        }
        if (i >= len || !isalpha((unsigned char)s[i]))
                return 0;
        while (i < len && (isalnum((unsigned char)s[i]) || s[i] == ':')) {
                if (n >= sizeof(t->name) - 1)
                        return 0;
                if (s[i] == ':')
                        colon = true;
                t->name[n++] = s[i++];
        }
        t->name[n] = '\0';
        if (i >= len || !(isspace((unsigned char)s[i]) || s[i] == '/' || s[i] == '>'))
                return 0;
        t->kind = colon ? TEXT_TAG_INLINE : text_html_tag(t->name);
        if (t->kind == TEXT_TAG_NONE)
                return 0;
        end = tag_close(s, len, i, sc);
        t->empty = end >= 2 && s[end - 2] == '/';
        return end;
}

/* Bytes from s up to and including the end tag </name ...> (all of s when
 * there is none: a browser would hide the rest too). */
static size_t
hidden_body(const char *s, size_t len, const char *name)
{
        size_t nl = strlen(name);

        for (size_t i = 0; i < len;) {
                const char *lt = memchr(s + i, '<', len - i);

                if (lt == NULL)
                        break;
                i = (size_t)(lt - s);
                if (len - i >= nl + 3 && s[i + 1] == '/' &&
                    strncasecmp(s + i + 2, name, nl) == 0 &&
                    !isalnum((unsigned char)s[i + 2 + nl])) {
                        const char *gt = memchr(s + i, '>', len - i);

                        return gt ? (size_t)(gt - s) + 1 : len;
                }
                i++;
        }
        return len;
}

bool
text_looks_like_html(const char *s, size_t len)
{
        struct tag_scan sc = { 0 };
        struct tag t;

        if (s == NULL)
                return false;
        for (size_t i = 0; i < len;) {
                const char *lt = memchr(s + i, '<', len - i);

                if (lt == NULL)
                        break;
                i = (size_t)(lt - s);
                if (tag_at(s + i, len - i, &sc, &t) > 0 && t.kind != TEXT_TAG_NONE)
                        return true;
                i++;
        }
        return false;
}

static char *
strip_tags(const char *s, size_t len)
{
        struct tag_scan sc = { 0 };
        struct buf b;

        buf_init(&b);
        buf_add(&b, "", 0);
        for (size_t i = 0; i < len;) {
                const char *lt = memchr(s + i, '<', len - i);
                struct tag t;
                size_t n;

                if (lt == NULL) {
                        buf_add(&b, s + i, len - i);
                        break;
                }
                buf_add(&b, s + i, (size_t)(lt - (s + i)));
                i = (size_t)(lt - s);
                n = tag_at(s + i, len - i, &sc, &t);
                if (n == 0) {
                        buf_addc(&b, '<');
                        i++;
                        continue;
                }
                i += n;
                if (t.kind == TEXT_TAG_HIDDEN && !t.closing && !t.empty)
                        i += hidden_body(s + i, len - i, t.name);
                /* blocks: a line break, one for "</p><p>"; cells, images:
                 * a space ("a<td>b"), none after a space or break ("</li>
                 * <img><p>" is one line break, not an empty line) */
                if (t.kind == TEXT_TAG_BLOCK && (b.len == 0 || b.data[b.len - 1] != '\n'))
                        buf_addc(&b, '\n');
                else if (t.kind == TEXT_TAG_SPACE && b.len > 0 &&
                         b.data[b.len - 1] != '\n' && b.data[b.len - 1] != ' ')
                        buf_addc(&b, ' ');
        }
        return buf_steal(&b);
}

/* ---- white space and control characters ---- */

/* Unicode space separators other than U+0020 (no-break and fixed-width
 * spaces): kept between words, dropped at line starts and ends. */
static bool
is_space_separator(uint32_t cp)
{
        return cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
               cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* Invisible characters dropped like controls: the byte order mark, the
 * soft hyphen and the zero-width (non-)joiners ("ten&shy;der" is "tender"). */
static bool
is_invisible(uint32_t cp)
{
        return cp == 0xFEFF || cp == 0xAD || cp == 0x200C || cp == 0x200D;
}

static char *
normalise_space(const char *s, size_t len, unsigned flags)
{
        const unsigned char *p = (const unsigned char *)s;
        bool single = flags & TEXT_SINGLE_LINE;
        struct buf b, held;             /* held: space separators after the last text */
        int pending_nl = 0;             /* line breaks seen since the last text */
        bool pending_sp = false;

        buf_init(&b);
        buf_add(&b, "", 0);
        buf_init(&held);
        for (size_t i = 0; i < len;) {
                uint32_t cp;
                size_t n = utf8_decode_lossy(s + i, len - i, &cp);

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
                        buf_reset(&held);      /* at a line end: dropped */
                        continue;
                }
                if (cp == ' ' || cp == '\t' || cp == '\v' || cp == '\f') {
                        pending_sp = true;
                        continue;
                }
                if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || is_invisible(cp))
                        continue;               /* controls, C1, BOM, ...: dropped */
                if (is_space_separator(cp)) {
                        if (b.len == 0 || pending_nl)
                                continue;       /* at a line start: dropped */
                        if (pending_sp)
                                buf_addc(&held, ' ');
                        pending_sp = false;
                        utf8_put(&held, cp);
                        continue;
                }
                if (b.len > 0) {
                        if (pending_nl) {
                                buf_add(&b, "\n\n", pending_nl > 1 ? 2 : 1);
                        } else {
                                buf_add(&b, held.data, held.len);
                                if (pending_sp)
                                        buf_addc(&b, ' ');
                        }
                }
                buf_reset(&held);
                pending_nl = 0;
                pending_sp = false;
                utf8_put(&b, cp);
        }
        buf_done(&held);
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
        if (!(flags & TEXT_PLAIN)) {
                a = strip_tags(t, strlen(t));
                free(t);
                t = text_decode_entities(a, strlen(a));
                free(a);
        }
        a = normalise_space(t, strlen(t), flags);
        free(t);
        n = strlen(a);
        if (max > 0 && n > max) {
                n = utf8_cut(a, n, max);
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

/* one_line: line breaks as spaces; else \n kept and \r dropped. */
static void
html_escape(const char *text, bool one_line, struct buf *out)
{
        for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
                const unsigned char *q = p;

                /* a run of bytes that stay as they are: appended whole */
                while (*q >= ' ' && *q != 127 && *q != '&' && *q != '<' && *q != '>' &&
                       *q != '"' && *q != '\'')
                        q++;
                if (q > p) {
                        buf_add(out, p, (size_t)(q - p));
                        if (*q == '\0')
                                break;
                        p = q;
                }
                switch (*p) {
                case '&': buf_adds(out, "&amp;"); break;
                case '<': buf_adds(out, "&lt;"); break;
                case '>': buf_adds(out, "&gt;"); break;
                case '"': buf_adds(out, "&quot;"); break;
                case '\'': buf_adds(out, "&#39;"); break;
                case '\n':
                        buf_addc(out, one_line ? ' ' : '\n');
                        break;
                case '\r':
                        if (one_line)
                                buf_addc(out, ' ');
                        break;
                default:
                        /* other controls as a space */
                        buf_addc(out, *p < ' ' || *p == 127 ? ' ' : (char)*p);
                }
        }
}

void
text_html_escape(const char *text, struct buf *out)
{
        html_escape(text, true, out);
}

void
text_html_escape_lines(const char *text, struct buf *out)
{
        html_escape(text, false, out);
}
