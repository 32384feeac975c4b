/* textnorm.c — folding and word tokens (see textnorm.h). */
#include <stdlib.h>
#include <string.h>

#include "bidbroker/textnorm.h"
#include "bidbroker/utf8.h"
#include "bidbroker/util.h"

/* ASCII: folded byte or 0 for a separator. */
static const char ascii_fold[128] = {
        ['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4',
        ['5'] = '5', ['6'] = '6', ['7'] = '7', ['8'] = '8', ['9'] = '9',
        ['A'] = 'a', ['B'] = 'b', ['C'] = 'c', ['D'] = 'd', ['E'] = 'e', ['F'] = 'f',
        ['G'] = 'g', ['H'] = 'h', ['I'] = 'i', ['J'] = 'j', ['K'] = 'k', ['L'] = 'l',
        ['M'] = 'm', ['N'] = 'n', ['O'] = 'o', ['P'] = 'p', ['Q'] = 'q', ['R'] = 'r',
        ['S'] = 's', ['T'] = 't', ['U'] = 'u', ['V'] = 'v', ['W'] = 'w', ['X'] = 'x',
        ['Y'] = 'y', ['Z'] = 'z',
        ['a'] = 'a', ['b'] = 'b', ['c'] = 'c', ['d'] = 'd', ['e'] = 'e', ['f'] = 'f',
        ['g'] = 'g', ['h'] = 'h', ['i'] = 'i', ['j'] = 'j', ['k'] = 'k', ['l'] = 'l',
        ['m'] = 'm', ['n'] = 'n', ['o'] = 'o', ['p'] = 'p', ['q'] = 'q', ['r'] = 'r',
        ['s'] = 's', ['t'] = 't', ['u'] = 'u', ['v'] = 'v', ['w'] = 'w', ['x'] = 'x',
        ['y'] = 'y', ['z'] = 'z',
};

/* U+00C0..U+017F: one folded letter, '_' for a separator (× ÷), '*' for the
 * two-letter folds handled in tn_fold_cp(). */
static const char latin_fold[] =
        "aaaaaa*ceeeeiiii" "dnooooo_ouuuuy**"          /* U+00C0..U+00DF */
        "aaaaaa*ceeeeiiii" "dnooooo_ouuuuy*y"          /* U+00E0..U+00FF */
        "aaaaaaccccccccdd" "ddeeeeeeeeeegggg"          /* U+0100..U+011F */
        "gggghhhhiiiiiiii" "ii**jjkkklllllll"          /* U+0120..U+013F */
        "lllnnnnnnnnnoooo" "oo**rrrrrrssssss"          /* U+0140..U+015F */
        "ssttttttuuuuuuuu" "uuuuwwyyyzzzzzzs";         /* U+0160..U+017F */

size_t
tn_fold_cp(uint32_t cp, char out[2])
{
        char c;

        if (cp < 0x80) {
                c = ascii_fold[cp];
                if (c == 0)
                        return 0;
                out[0] = c;
                return 1;
        }
        if (cp >= 0xC0 && cp <= 0x17F) {
                c = latin_fold[cp - 0xC0];
                if (c == '_')
                        return 0;
                if (c != '*') {
                        out[0] = c;
                        return 1;
                }
                switch (cp) {
                case 0xC6: case 0xE6:   out[0] = 'a'; out[1] = 'e'; return 2;
                case 0xDE: case 0xFE:   out[0] = 't'; out[1] = 'h'; return 2;
                case 0xDF:              out[0] = 's'; out[1] = 's'; return 2;
                case 0x132: case 0x133: out[0] = 'i'; out[1] = 'j'; return 2;
                case 0x152: case 0x153: out[0] = 'o'; out[1] = 'e'; return 2;
                default:                return 0;
                }
        }
        switch (cp) {
        case 0x1E9E: out[0] = 's'; out[1] = 's'; return 2;    /* ẞ */
        case 0x212A: out[0] = 'k'; return 1;                   /* Kelvin sign */
        case 0x212B: out[0] = 'a'; return 1;                   /* Angstrom sign */
        default:     return 0;
        }
}

void
tn_init(struct tn_text *t)
{
        memset(t, 0, sizeof(*t));
}

void
tn_done(struct tn_text *t)
{
        free(t->tok);
        free(t->fold);
        tn_init(t);
}

void
tn_reset(struct tn_text *t)
{
        t->n = 0;
        t->flen = 0;
        t->invalid = 0;
}

static void
fold_reserve(struct tn_text *t, size_t more)
{
        if (t->fold != NULL && t->flen + more <= t->fcap)
                return;
        t->fcap = t->fcap ? t->fcap : 4096;
        while (t->fcap < t->flen + more)
                t->fcap *= 2;
        t->fold = xrealloc(t->fold, t->fcap);
}

void
tn_tokenize(struct tn_text *t, const char *s, size_t len, uint32_t seg, uint32_t *pos)
{
        const unsigned char *p = (const unsigned char *)s;
        uint32_t next = *pos;
        size_t i = 0;

        /* Folding never grows the text by more than 2x (ß -> ss). */
        fold_reserve(t, 2 * len + 1);
        while (i < len) {
                struct tn_token *tk;
                size_t start, foff;
                uint64_t h;
                char f[2];
                size_t k;

                /* Skip separators. */
                while (i < len) {
                        if (p[i] < 0x80) {
                                if (ascii_fold[p[i]])
                                        break;
                                i++;
                        } else {
                                uint32_t cp;
                                size_t l = utf8_decode_lossy((const char *)p + i, len - i, &cp);

                                if (tn_fold_cp(cp, f))
                                        break;
                                if (l == 1)     /* only an invalid sequence is 1 byte */
                                        t->invalid++;
                                i += l;
                        }
                }
                if (i >= len)
                        break;
                /* One token. */
                start = i;
                foff = t->flen;
                h = 0xcbf29ce484222325ull;
                while (i < len) {
                        if (p[i] < 0x80) {
                                char c = ascii_fold[p[i]];

                                if (c == 0)
                                        break;
                                t->fold[t->flen++] = c;
                                h = (h ^ (unsigned char)c) * 0x100000001b3ull;
                                i++;
                        } else {
                                uint32_t cp;
                                size_t l = utf8_decode_lossy((const char *)p + i, len - i, &cp);

                                k = tn_fold_cp(cp, f);
                                if (k == 0) {
                                        if (l == 1)
                                                t->invalid++;
                                        i += l;
                                        break;
                                }
                                for (size_t j = 0; j < k; j++) {
                                        t->fold[t->flen++] = f[j];
                                        h = (h ^ (unsigned char)f[j]) * 0x100000001b3ull;
                                }
                                i += l;
                        }
                }
                if (t->n == t->cap) {
                        t->cap = t->cap ? 2 * t->cap : 256;
                        t->tok = xreallocarray(t->tok, t->cap, sizeof(*t->tok));
                }
                tk = &t->tok[t->n++];
                tk->hash = h;
                tk->off = (uint32_t)foff;
                tk->len = (uint32_t)(t->flen - foff);
                tk->src = (uint32_t)start;
                tk->srclen = (uint32_t)(i - start);
                tk->pos = next++;
                tk->seg = seg;
        }
        *pos = next + 1;
}

char *
tn_fold_words(const char *s)
{
        struct tn_text t;
        struct buf b;
        uint32_t pos = 0;

        tn_init(&t);
        buf_init(&b);
        buf_adds(&b, "");
        tn_tokenize(&t, s, strlen(s), 0, &pos);
        for (size_t i = 0; i < t.n; i++) {
                if (i)
                        buf_addc(&b, ' ');
                buf_add(&b, t.fold + t.tok[i].off, t.tok[i].len);
        }
        tn_done(&t);
        return buf_steal(&b);
}
