/* test_text.c — feed text into plain, bounded UTF-8 (daemon/base/text.c). */
#include "testutil.h"

#include "bidbroker/text.h"
#include "bidbroker/utf8.h"
#include "bidbroker/util.h"

/* Clean s with flags and max and compare with want. */
static void
check(const char *s, size_t max, unsigned flags, const char *want)
{
        char *got = text_clean_str(s, max, flags);

        assert_string_equal(got, want);
        free(got);
}

static void
t_entities(void **state)
{
        (void)state;
        check("Telford &amp; Wrekin Council", 0, 0, "Telford & Wrekin Council");
        check("up to &pound;800,000", 0, 0, "up to \u00a3800,000");
        check("&#163;5 &#xA3;6 &#XA3;7", 0, 0, "\u00a35 \u00a36 \u00a37");
        check("St Bede&apos;s &rsquo;x&lsquo; &ldquo;q&rdquo;", 0, 0,
              "St Bede's \u2019x\u2018 \u201cq\u201d");
        check("a&nbsp;b", 0, 0, "a\u00a0b");
        check("&euro;1 &hellip; &ndash; &mdash; &eacute;", 0, 0,
              "\u20ac1 \u2026 \u2013 \u2014 \u00e9");
        check("&AMP; &lt;p&gt;", 0, 0, "& <p>");
        /* numeric C1 references mean Windows-1252, as in browsers */
        check("&#146;", 0, 0, "\u2019");
        /* unknown, unterminated, out of range */
        check("&bogus; &amp &#; &#xZZ; AT&T", 0, 0, "&bogus; &amp &#; &#xZZ; AT&T");
        check("&#0;x&#xD800;y&#x110000;", 0, 0, "\ufffdx\ufffdy\ufffd");
        /* decoded once only */
        check("&amp;pound;", 0, 0, "&pound;");
}

static void
t_tags(void **state)
{
        (void)state;
        check("<p>First</p><p>Second<br/>third</p>", 0, 0, "First\nSecond\nthird");
        check("<P CLASS=\"x\">a</P>", 0, 0, "a");
        check("<b>bold</b> and <span style=\"x\">span</span>", 0, 0, "bold and span");
        check("<ul><li>one</li><li>two</li></ul>", 0, 0, "one\ntwo");
        check("a<!-- hidden -->b", 0, 0, "ab");
        check("Word<o:p></o:p> text", 0, 0, "Word text");
        /* not tags: comparisons, unknown names, unterminated */
        check("value < 5000 and > 100", 0, 0, "value < 5000 and > 100");
        check("x <foo> y", 0, 0, "x <foo> y");
        check("a <b unterminated", 0, 0, "a <b unterminated");
        check("<br>", 0, TEXT_SINGLE_LINE, "");
}

static void
t_newlines_and_space(void **state)
{
        (void)state;
        check("one\r\ntwo\rthree\nfour", 0, 0, "one\ntwo\nthree\nfour");
        check("  a   b\t\tc  ", 0, 0, "a b c");
        check("para\r\n\r\n\r\n\r\nnext", 0, 0, "para\n\nnext");
        check("line  \n      indented", 0, 0, "line\nindented");
        check("title\r\nsplit", 0, TEXT_SINGLE_LINE, "title split");
        check("\n\n  \n", 0, 0, "");
        check("", 0, 0, "");
        {
                char *s = text_clean(NULL, 0, 10, 0);

                assert_string_equal(s, "");
                free(s);
        }
}

static void
t_controls(void **state)
{
        (void)state;
        check("a\x01\x02" "b\x7f" "c\x1b[0m", 0, 0, "abc[0m");
        check("\xef\xbb\xbfstart", 0, 0, "start");                  /* BOM */
        check("x\xc2\x85y", 0, 0, "xy");                            /* C1 NEL */
        check("p\xe2\x80\xa8q", 0, 0, "p\nq");                      /* LINE SEPARATOR */
        /* NUL inside the buffer */
        {
                char *s = text_clean("a\0b", 3, 0, 0);

                assert_string_equal(s, "ab");
                free(s);
        }
}

static void
t_mojibake(void **state)
{
        (void)state;
        check("total of \xc3\x82\xc2\xa3" "3 million", 0, 0, "total of \u00a33 million");
        /* â€™ -> ’ ; â€¯ -> narrow no-break space ; â€¢ -> • ; Â® -> ® */
        check("it\xc3\xa2\xe2\x82\xac\xe2\x84\xa2s", 0, 0, "it\u2019s");
        check("framework.\xc3\xa2\xe2\x82\xac\xc2\xaf The", 0, 0, "framework.\u202f The");
        check("\xc3\xa2\xe2\x82\xac\xc2\xa2\titem", 0, 0, "\u2022 item");
        check("Brand\xc3\x82\xc2\xae", 0, 0, "Brand\u00ae");
        check("caf\xc3\x83\xc2\xa9", 0, 0, "caf\u00e9");
        /* UTF-8 read as Latin-1 (C1 code points instead of Windows-1252) */
        check("it\xc3\xa2\xc2\x80\xc2\x99s", 0, 0, "it\u2019s");
        /* encoded twice */
        check("\xc3\x83\xe2\x80\x9a\xc3\x82\xc2\xa3" "5", 0, 0, "\u00a35");
        /* legitimate text is left alone */
        check("caf\u00e9 na\u00efve \u00c2ge \u00a35 \u00e2\u00e9", 0, 0,
              "caf\u00e9 na\u00efve \u00c2ge \u00a35 \u00e2\u00e9");
        /* incomplete sequence: only part of a mojibake run */
        check("\u00e2\u20ac end", 0, 0, "\u00e2\u20ac end");
}

static void
t_invalid_utf8(void **state)
{
        char *s;
        size_t n;

        (void)state;
        /* ISO-8859-1 pound sign and Windows-1252 quotes become UTF-8 */
        check("\xa3" "500 \x93quoted\x94 caf\xe9", 0, 0,
              "\u00a3" "500 \u201cquoted\u201d caf\u00e9");
        /* truncated sequence, stray continuation, overlong, surrogate, > U+10FFFF */
        {
                static const char bad[] = "a\xe2\x82" "b\x80" "c\xc0\xaf" "d\xed\xa0\x80"
                                          "e\xf4\x90\x80\x80";

                s = text_clean(bad, sizeof(bad) - 1, 0, 0);
                assert_true(utf8_valid(s, strlen(s)));
                assert_non_null(strstr(s, "a\u00e2"));         /* E2 read as Windows-1252 */
                free(s);
        }
        assert_true(utf8_valid("\xe2\x82\xac", 3));
        assert_false(utf8_valid("\xe2\x82", 2));
        assert_false(utf8_valid("\xc0\xaf", 2));
        assert_false(utf8_valid("\xed\xa0\x80", 3));
        s = text_utf8_repair("x\xa3y", 3, &n);
        assert_string_equal(s, "x\u00a3y");
        assert_int_equal(n, 4);
        free(s);
        /* every byte value, alone and in pairs: always valid output */
        for (unsigned a = 0; a < 256; a++) {
                for (unsigned b = 0; b < 256; b += 17) {
                        char in[3] = { (char)a, (char)b, 'z' };

                        s = text_clean(in, 3, 16, 0);
                        assert_true(utf8_valid(s, strlen(s)));
                        free(s);
                }
        }
}

static void
t_cap(void **state)
{
        char *big, *s;
        size_t n = 10u << 20;

        (void)state;
        /* cut at a character boundary: "é" is two bytes */
        check("\u00e9\u00e9\u00e9", 5, 0, "\u00e9\u00e9");
        check("abcdef", 3, 0, "abc");
        check("ab cdef", 3, 0, "ab");                   /* no trailing space */
        assert_int_equal(utf8_cut("\xe2\x82\xac\xe2\x82\xac", 6, 4), 3);
        assert_int_equal(utf8_cut("abc", 3, 10), 3);
        /* a 10 MB string is capped quickly */
        big = xmalloc(n + 1);
        for (size_t i = 0; i < n; i++)
                big[i] = (char)("\xc2\xa3" "ab &amp; <p>"[i % 14]);
        big[n] = '\0';
        s = text_clean(big, n, TEXT_DESCRIPTION_MAX, 0);
        assert_true(strlen(s) <= TEXT_DESCRIPTION_MAX);
        assert_true(strlen(s) > TEXT_DESCRIPTION_MAX - 16);
        assert_true(utf8_valid(s, strlen(s)));
        free(s);
        s = text_clean(big, n, TEXT_TITLE_MAX, TEXT_SINGLE_LINE);
        assert_true(strlen(s) <= TEXT_TITLE_MAX);
        assert_null(strchr(s, '\n'));
        free(s);
        free(big);
}

static void
t_helpers(void **state)
{
        char *s;

        (void)state;
        s = text_decode_entities("a&amp;b", 7);
        assert_string_equal(s, "a&b");
        free(s);
        s = text_fix_mojibake("\xc3\x82\xc2\xa3", 4);
        assert_string_equal(s, "\u00a3");
        free(s);
        assert_int_equal(text_cp1252_char(0x80), 0x20AC);
        assert_int_equal(text_cp1252_char(0x81), 0x81);
        assert_int_equal(text_cp1252_char(0xA3), 0xA3);
}

static void
t_html_elements(void **state)
{
        (void)state;
        /* script and style go with their content; unterminated: the rest */
        check("a <script type=\"x\">alert('<p>')</script>b<STYLE>p{x:1}</Style >c",
              0, 0, "a bc");
        check("before<script>var s = \"</p>\";</SCRIPT>after", 0, 0, "beforeafter");
        check("<p>kept</p><script>all the rest", 0, 0, "kept");
        check("<script src=\"x.js\"/>kept", 0, 0, "kept");
        check("</script>kept", 0, 0, "kept");
        /* formatting tags vanish, cells and images are a space */
        check("<b>W</b>ord, <a href=\"x\">link</a>. m<sup>2</sup>", 0, 0, "Word, link. m2");
        check("<table><tr><th>A</th><td>B</td><td>C</td></tr></table>", 0, 0, "A B C");
        check("a<img src=\"x.png\">b", 0, 0, "a b");
        check("<ul><li>one</li></ul><img src=x><p>two</p>", 0, 0, "one\ntwo");
        /* more elements: document and form structure */
        check("<html><head><title>T</title></head><body><p>b</p></body></html>", 0, 0, "T\nb");
        check("<table><caption>Cap</caption></table><form><label>L</label>"
              "<input type=text></form>", 0, 0, "Cap\nL");
        /* quoted attribute values may hold '>' and '<' */
        check("<a href=\"x\" title='>'>link</a> 3 < 4", 0, 0, "link 3 < 4");
        check("<span title=\"a<b\">x</span>", 0, 0, "x");
        /* a quote that never closes: the first '>' ends the tag */
        check("a <p class=\"open>text</p> b", 0, 0, "a\ntext\nb");
        /* declarations and processing instructions (Word) vanish */
        check("<!DOCTYPE html><?xml:namespace prefix = o ns = \"urn:x\" />"
              "<![if !supportLists]>1.<![endif]>Item", 0, 0, "1.Item");
        check("<![CDATA[x]]> <? y", 0, 0, "<![CDATA[x]]> <? y");
        /* still text: unknown names, an apostrophe is no quote */
        check("<foo>x</foo> <time", 0, 0, "<foo>x</foo> <time");
        check("<p class=x don't>y</p>", 0, 0, "y");
}

static void
t_plain(void **state)
{
        (void)state;
        /* TEXT_PLAIN: tags and entities stay, the rest is cleaned */
        check("a <b>x</b> &amp; &lt;  y\r\nz", 0, TEXT_PLAIN, "a <b>x</b> &amp; &lt; y\nz");
        check(" Caf\xc3\x83\xc2\xa9 \x01<p>", 0, TEXT_PLAIN | TEXT_SINGLE_LINE, "Caf\u00e9 <p>");
        check("<p>x</p>", 3, TEXT_PLAIN, "<p>");
}

static void
t_looks_like_html(void **state)
{
        static const char *const html[] = {
                "x <b>y</b>", "<P CLASS=\"a\">t", "a<br/>b", "Word<o:p></o:p>",
                "<script>x</script>", "line<br>",
        };
        static const char *const plain[] = {
                "a < b", "a > b", "x <foo> y", "<!-- c -->", "<b unterminated", "",
                "<!DOCTYPE x>", "AT&amp;T", "<<>>",
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(html); i++)
                if (!text_looks_like_html(html[i], strlen(html[i])))
                        fail_msg("'%s' not taken for HTML", html[i]);
        for (size_t i = 0; i < ARRAY_SIZE(plain); i++)
                if (text_looks_like_html(plain[i], strlen(plain[i])))
                        fail_msg("'%s' taken for HTML", plain[i]);
        assert_false(text_looks_like_html(NULL, 0));
        assert_int_equal(text_html_tag("P"), TEXT_TAG_BLOCK);
        assert_int_equal(text_html_tag("li"), TEXT_TAG_BLOCK);
        assert_int_equal(text_html_tag("Span"), TEXT_TAG_INLINE);
        assert_int_equal(text_html_tag("td"), TEXT_TAG_SPACE);
        assert_int_equal(text_html_tag("style"), TEXT_TAG_HIDDEN);
        assert_int_equal(text_html_tag("foo"), TEXT_TAG_NONE);
        assert_int_equal(text_html_tag("blockquoteblockquote"), TEXT_TAG_NONE);
        assert_int_equal(text_html_tag(""), TEXT_TAG_NONE);
        assert_int_equal(text_html_tag(NULL), TEXT_TAG_NONE);
}

static void
t_invisible_and_edge_spaces(void **state)
{
        (void)state;
        /* soft hyphen and zero-width (non-)joiners are dropped */
        check("ten&shy;der ten\xc2\xad" "der a&zwj;b&zwnj;c", 0, 0, "tender tender abc");
        /* no-break and other fixed spaces stay between words... */
        check("a&nbsp;b&ensp;c \xe2\x80\xaf" "d", 0, 0, "a\u00a0b\u2002c \u202fd");
        /* ...but go at line starts and ends: "<p>&nbsp;</p>" is an empty line */
        check("<p>a&nbsp;</p><p>&nbsp;</p><p>&nbsp; b &nbsp;</p>", 0, 0, "a\n\nb");
        check("&nbsp;x&nbsp;", 0, TEXT_SINGLE_LINE, "x");
        check("a&nbsp;\nb", 0, TEXT_SINGLE_LINE, "a\u00a0 b");
        /* noncharacters from references are invalid */
        check("&#xFFFE;&#65535;", 0, 0, "\ufffd\ufffd");
}

/* Hostile markup costs linear time: unclosed quotes, comments and scripts
 * repeated over a 512 KiB string.  (Scanning for "-->" from every "<!--",
 * as text.c once did, takes some 16 s on the first of the comment cases.) */
static void
t_hostile_markup(void **state)
{
        static const char *const units[] = {
                "<a title=\"", "<a title=\"<b>", "<!--", "<!-- x <p>", "<p x='>",
                "<script>", "<span ", "<a title=\"x\" ", "<![if ",
        };
        size_t n = 512u << 10;
        char *big = xmalloc(n + 1);

        (void)state;
        for (size_t u = 0; u < ARRAY_SIZE(units); u++) {
                size_t k = strlen(units[u]);
                char *s;

                for (size_t i = 0; i < n; i++)
                        big[i] = units[u][i % k];
                big[n] = '\0';
                s = text_clean(big, n, TEXT_DESCRIPTION_MAX, 0);
                assert_true(utf8_valid(s, strlen(s)));
                free(s);
                (void)text_looks_like_html(big, n);
        }
        free(big);
}

static void
t_html_escape(void **state)
{
        struct buf b;

        (void)state;
        buf_init(&b);
        text_html_escape("<a href=\"x\" onclick='y'>T&C</a>\r\nBcc: z\x7f", &b);
        assert_string_equal(b.data, "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;T&amp;C"
                            "&lt;/a&gt;  Bcc: z ");
        buf_reset(&b);
        text_html_escape("£ café", &b);              /* UTF-8 untouched */
        assert_string_equal(b.data, "£ café");
        buf_reset(&b);
        /* the multi-line form keeps \n, drops \r, other controls a space */
        text_html_escape_lines("<b>\r\nnext\tline\x01</b>", &b);
        assert_string_equal(b.data, "&lt;b&gt;\nnext line &lt;/b&gt;");
        buf_done(&b);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(t_entities),
                cmocka_unit_test(t_tags),
                cmocka_unit_test(t_newlines_and_space),
                cmocka_unit_test(t_controls),
                cmocka_unit_test(t_mojibake),
                cmocka_unit_test(t_invalid_utf8),
                cmocka_unit_test(t_cap),
                cmocka_unit_test(t_helpers),
                cmocka_unit_test(t_html_elements),
                cmocka_unit_test(t_plain),
                cmocka_unit_test(t_looks_like_html),
                cmocka_unit_test(t_invisible_and_edge_spaces),
                cmocka_unit_test(t_hostile_markup),
                cmocka_unit_test(t_html_escape),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
