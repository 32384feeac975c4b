/*
 * fuzz_text.c — the feed text cleaner: text_clean() with a cap and flags
 * taken from the first input byte, then text_utf8_repair(),
 * text_fix_mojibake(), text_decode_entities(), utf8_cut() and
 * utf8_decode() over the rest.
 * Invariants (text.h): results are valid UTF-8 within the cap, without
 * carriage returns or other control characters (a single-line result has no
 * line breaks either), trimmed; repairs of valid input stay valid.
 */
#include "bidbroker/text.h"
#include "bidbroker/utf8.h"
#include "fuzz.h"

static void
check_clean(const char *out, size_t max, unsigned flags)
{
        size_t len = strlen(out);

        if (!utf8_valid(out, len))
                fuzz_fail("text_clean result is not valid UTF-8");
        if (max != 0 && len > max)
                fuzz_fail("text_clean result is %zu bytes, over the cap %zu", len, max);
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)out[i];

                if ((c < 0x20 && c != '\n') || c == 0x7f)
                        fuzz_fail("control character 0x%02x at %zu", c, i);
                if (c == '\n' && (flags & TEXT_SINGLE_LINE))
                        fuzz_fail("line break in a single-line result at %zu", i);
        }
        if (len > 0 && (out[0] == ' ' || out[0] == '\n' ||
                        out[len - 1] == ' ' || out[len - 1] == '\n'))
                fuzz_fail("text_clean result is not trimmed");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const size_t caps[] = { 0, 1, 2, 3, 5, 16, 64, TEXT_TITLE_MAX };
        const char *s;
        size_t len, max, rlen, cut;
        unsigned flags;
        char *out, *rep, *moj, *ent;
        uint32_t cp;

        if (size < 1)
                return 0;
        max = caps[data[0] & 7];
        flags = ((data[0] & 8) ? TEXT_SINGLE_LINE : 0) | ((data[0] & 16) ? TEXT_PLAIN : 0);
        s = (const char *)data + 1;
        len = size - 1;

        out = text_clean(s, len, max, flags);
        fuzz_assert(out != NULL);
        check_clean(out, max, flags);
        free(out);
        (void)text_looks_like_html(s, len);     /* must not crash on any bytes */

        rep = text_utf8_repair(s, len, &rlen);
        fuzz_assert(rep != NULL && rep[rlen] == '\0');
        if (!utf8_valid(rep, rlen))
                fuzz_fail("text_utf8_repair result is not valid UTF-8");

        cut = utf8_cut(rep, rlen, max);
        fuzz_assert(cut <= max && cut <= rlen);
        fuzz_assert(utf8_valid(rep, cut));

        moj = text_fix_mojibake(rep, rlen);
        fuzz_assert(moj != NULL);
        if (!utf8_valid(moj, strlen(moj)))
                fuzz_fail("text_fix_mojibake of valid UTF-8 is not valid UTF-8");
        free(moj);

        ent = text_decode_entities(rep, rlen);
        fuzz_assert(ent != NULL);
        if (!utf8_valid(ent, strlen(ent)))
                fuzz_fail("text_decode_entities of valid UTF-8 is not valid UTF-8");
        free(ent);
        free(rep);

        for (size_t i = 0; i < len; ) {
                size_t n = utf8_decode(s + i, len - i, &cp);

                fuzz_assert(n <= 4 && n <= len - i);
                if (n > 0)
                        fuzz_assert(cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff));
                i += n ? n : 1;
        }
        return 0;
}
