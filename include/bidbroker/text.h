/*
 * text.h — turn the text found in feeds into plain, bounded UTF-8.
 *
 * Feed text arrives as HTML fragments with entities (&amp; &pound; &#163;),
 * with Windows line ends, with bytes in ISO-8859-1/Windows-1252 where UTF-8
 * was promised, and with mojibake (UTF-8 read as Windows-1252 and encoded
 * again: "Â£" for "£", "â€™" for "’").  text_clean() undoes all of that.
 * Every function here accepts arbitrary bytes and never fails; results are
 * newly allocated and owned by the caller.  Never logs.
 */
#ifndef BIDBROKER_TEXT_H
#define BIDBROKER_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TEXT_TITLE_MAX          1024            /* titles, names, lot titles */
#define TEXT_DESCRIPTION_MAX    65536           /* descriptions */

enum text_flags {
        TEXT_SINGLE_LINE = 1 << 0,      /* line breaks become spaces (titles, names) */
        TEXT_PLAIN       = 1 << 1,      /* not HTML: tags and entities stay as written */
};

/*
 * Clean len bytes of s into plain UTF-8 of at most max bytes (cut at a
 * character boundary, max 0 means no cap), in this order: invalid UTF-8
 * bytes read as Windows-1252; mojibake repaired; tags of HTML elements
 * stripped (<p>, <br>, <div>, <li> ... become line breaks, <td>, <img> ...
 * a space, <b>, <span>, <a> ... nothing, <script> and <style> go with their
 * content; comments, <!DOCTYPE> and <?...?> vanish; anything else with a
 * '<' stays, see text_html_tag()); entities
 * decoded once; \r\n and \r become \n; control characters, the BOM, soft
 * hyphens and zero-width joiners removed; runs of blanks collapsed to one
 * space, blanks (and no-break spaces) at line starts and ends dropped, at
 * most one empty line in a row; leading and trailing space trimmed.  With
 * TEXT_PLAIN the tag and entity steps are skipped.
 * Never NULL (s NULL gives "").  Caller frees.
 */
char *text_clean(const char *s, size_t len, size_t max, unsigned flags);

/* The same for a NUL-terminated string. */
char *text_clean_str(const char *s, size_t max, unsigned flags);

/* How text_clean() treats an HTML element. */
enum text_tag {
        TEXT_TAG_NONE,          /* not an element it knows: "<foo>" stays as text */
        TEXT_TAG_INLINE,        /* the tag vanishes, text flows on (b, i, span, a, ...) */
        TEXT_TAG_SPACE,         /* the tag becomes a space (td, th, img, input, ...) */
        TEXT_TAG_BLOCK,         /* the tag becomes a line break (p, br, div, li, tr, ...) */
        TEXT_TAG_HIDDEN,        /* the element vanishes with its content (script, style) */
};

/* The treatment of the element called name (case-insensitive, no prefix). */
enum text_tag text_html_tag(const char *name);

/* True when the len bytes of s contain a tag of an element text_clean()
 * would strip: text that plainly is HTML rather than plain text which
 * happens to hold a '<' ("a < b", "<foo>"). */
bool text_looks_like_html(const char *s, size_t len);

/* Copy s with every byte that is not part of a valid UTF-8 sequence read as
 * Windows-1252 (its five undefined bytes as their Latin-1 C1 code points).
 * Returns the copy (NUL-terminated, length in *ret_len); caller frees. */
char *text_utf8_repair(const char *s, size_t len, size_t *ret_len);

/* Repair mojibake in valid UTF-8: a run of characters that, written back as
 * Windows-1252 bytes, forms one complete and valid UTF-8 sequence is
 * replaced by that sequence ("Â£" -> "£", "â€¯" -> U+202F).  Runs that do
 * not decode cleanly are left alone.  Caller frees. */
char *text_fix_mojibake(const char *s, size_t len);

/* Decode HTML character references: named (&amp; &pound; &nbsp; &rsquo; and
 * the HTML 4 set) and numeric (&#163; &#xA3;).  Unknown or unterminated
 * references stay as they are.  Caller frees. */
char *text_decode_entities(const char *s, size_t len);

/* The code point a Windows-1252 byte stands for (its five undefined bytes
 * as the Latin-1 C1 code points). */
uint32_t text_cp1252_char(unsigned char c);

struct buf;

/* Text for an HTML page or message, appended to out: & < > " ' as
 * entities (safe in element content and quoted attribute values), controls
 * and line breaks as spaces.  The one HTML escape: the mail builder
 * (mime_html_escape) and the HTTP pages use it. */
void text_html_escape(const char *text, struct buf *out);
/* The same for text whose line breaks matter (a <textarea>, a hidden
 * field, a pre-line block): \n kept, \r dropped. */
void text_html_escape_lines(const char *text, struct buf *out);

#endif
