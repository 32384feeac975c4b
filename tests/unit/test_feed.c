/*
 * test_feed.c — Atom/RSS parsing (daemon/ingest/feed.c): fields, dates, HTML in
 * text, categories, stated values, and the refusals: XXE, billion laughs,
 * DTD declarations, not XML, too large, too many entries, and hostile
 * shapes (attributes per element, elements, depth, text, encodings the
 * shape scan could not read).
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>

#include "bidbroker/err.h"
#include "bidbroker/feed.h"
#include "bidbroker/ocds.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"

static char *
fixture(const char *name, size_t *len)
{
        char *path = xasprintf("%s/feeds/%s", fixtures_dir(), name);
        char *data = NULL;

        assert_int_equal(read_file(path, 1 << 20, &data, len), 0);
        free(path);
        return data;
}

static int
parse_str(const char *xml, struct ocds_page *page, struct err *err)
{
        return feed_parse("test", "feed:test", xml, strlen(xml), page, err);
}

static int64_t
iso(const char *s)
{
        int64_t t;

        assert_int_equal(time_parse_iso8601(s, &t), 0);
        return t;
}

static const struct opportunity *
find(const struct ocds_page *p, const char *id)
{
        for (size_t i = 0; i < p->n; i++)
                if (strcmp(p->opps[i].notice_id, id) == 0)
                        return &p->opps[i];
        fail_msg("no entry with id %s", id);
        return NULL;
}

/* ---- Atom ---------------------------------------------------------------- */

static void
test_atom(void **state)
{
        struct ocds_page p;
        struct err e = { 0 };
        const struct opportunity *o;
        size_t len;
        char *xml = fixture("atom-buyer.xml", &len);

        (void)state;
        ocds_page_init(&p);
        assert_int_equal(feed_parse("northshire", "feed:northshire", xml, len, &p, &e), 0);
        assert_int_equal(p.n, 2);
        assert_int_equal(p.nreleases, 2);
        assert_int_equal(p.rejected.n, 0);

        o = find(&p, "urn:northshire:tender:NS-2025-0042");
        assert_string_equal(o->source, "feed:northshire");
        assert_string_equal(o->notice_type, "atom");
        assert_int_equal(o->stage, STAGE_TENDER);
        assert_int_equal(o->status, STATUS_ACTIVE);
        /* type="html": markup and entities decoded once, "&amp;amp;" is "&" */
        assert_string_equal(o->title, "Office cleaning & window cleaning \xe2\x80\x93 Civic Centre");
        /* the alternate link, not rel="self" */
        assert_string_equal(o->url, "https://tenders.northshire.example/tender/NS-2025-0042");
        assert_int_equal(o->published, iso("2025-01-20T09:00:00Z"));
        assert_int_equal(o->updated, iso("2025-01-23T09:15:00Z"));
        /* HTML summary as plain text: blocks on lines, script dropped;
         * "&nbsp;" stays a no-break space (U+00A0) between words, as in
         * OCDS text (text_clean), where the feed parser once wrote a space */
        assert_string_equal(o->description,
                            "The Council seeks a provider for daily office cleaning at the "
                            "Civic Centre.\nBudget: \xc2\xa3" "18,000 a year\nStart: April\xc2\xa0"
                            "2025\nContact the team\xe2\x80\x99s buyer.");
        assert_null(strstr(o->description, "alert"));
        assert_null(strchr(o->description, '<'));
        /* CPV categories (with and without check digit), free ones as items */
        assert_int_equal(o->cpv.n, 2);
        assert_true(strv_contains(&o->cpv, "90910000"));
        assert_true(strv_contains(&o->cpv, "90911200"));
        assert_int_equal(o->item_descriptions.n, 1);
        assert_string_equal(o->item_descriptions.v[0], "Suitable for VCSEs");
        /* stated in an extension namespace */
        assert_int_equal(o->deadline, iso("2025-02-14T12:00:00Z"));
        assert_true(o->value_stated);
        assert_int_equal(o->value_max, 1800000);
        assert_string_equal(o->currency, "GBP");
        assert_string_equal(o->buyer_name, "Northshire Council");    /* feed author */
        assert_non_null(strstr(o->raw, "NS-2025-0042"));
        assert_true(strncmp(o->raw, "<entry", 6) == 0);
        assert_non_null(o->release_id);

        o = find(&p, "urn:northshire:tender:NS-2025-0043");
        assert_string_equal(o->title, "Grounds maintenance, parks in the north ward");
        assert_string_equal(o->url, "https://tenders.northshire.example/tender/NS-2025-0043");
        assert_string_equal(o->description, "Grass cutting and hedge trimming.\nThree sites.");
        assert_string_equal(o->buyer_name, "Northshire Parks Trust");        /* entry author */
        /* no <published>: both dates from <updated> */
        assert_int_equal(o->published, iso("2025-01-22T08:00:00Z"));
        assert_int_equal(o->updated, o->published);
        /* a 0 value is a placeholder, not a value */
        assert_false(o->value_stated);
        assert_true(o->value_max == VALUE_NONE);
        assert_int_equal(o->deadline, TIME_UNKNOWN);
        assert_int_equal(o->cpv.n, 0);
        ocds_page_done(&p);
        free(xml);
}

/* ---- RSS ----------------------------------------------------------------- */

static void
test_rss(void **state)
{
        struct ocds_page p;
        struct err e = { 0 };
        const struct opportunity *o;
        size_t len;
        char *xml = fixture("rss-buyer.xml", &len);

        (void)state;
        ocds_page_init(&p);
        assert_int_equal(feed_parse("southvale", "feed:southvale", xml, len, &p, &e), 0);
        assert_int_equal(p.n, 3);

        o = find(&p, "SH-101");                 /* guid, not a permalink */
        assert_string_equal(o->notice_type, "rss");
        assert_string_equal(o->title, "School catering & holiday meals");
        assert_string_equal(o->url, "https://southvale-housing.example/tenders/SH-101");
        assert_int_equal(o->published, iso("2025-01-21T09:30:00Z"));
        assert_int_equal(o->updated, o->published);
        assert_string_equal(o->description, "Hot meals for two primary schools & a holiday "
                            "club.\nValue up to \xc2\xa3" "24,000.");
        assert_int_equal(o->cpv.n, 1);
        assert_string_equal(o->cpv.v[0], "55524000");
        assert_int_equal(o->item_descriptions.n, 1);
        assert_string_equal(o->item_descriptions.v[0], "Catering");
        assert_string_equal(o->buyer_name, "Southvale Housing Association");
        /* a value in the text is not a stated value */
        assert_false(o->value_stated);

        /* no guid: the link is the id; content:encoded wins over description */
        o = find(&p, "https://southvale-housing.example/tenders/SH-102");
        assert_string_equal(o->description, "Scope\nReplace 40 slates and repair the gutter "
                            "at Elm Street hall.");
        assert_int_equal(o->published, iso("2025-01-22T13:05:00Z"));        /* "25", BST */
        assert_string_equal(o->buyer_name, "Southvale Housing Association");

        /* no link: a permalink guid is the URL; an unreadable date is unknown */
        o = find(&p, "https://southvale-housing.example/tenders/SH-103");
        assert_string_equal(o->url, "https://southvale-housing.example/tenders/SH-103");
        assert_int_equal(o->published, TIME_UNKNOWN);
        assert_null(o->description);
        ocds_page_done(&p);
        free(xml);
}

static void
test_rss_dc(void **state)
{
        struct ocds_page p;
        struct err e = { 0 };
        const struct opportunity *o;
        size_t len;
        char *xml = fixture("rss-dc.xml", &len);

        (void)state;
        ocds_page_init(&p);
        assert_int_equal(feed_parse("eastborough", "feed:eastborough", xml, len, &p, &e), 0);
        assert_int_equal(p.n, 1);
        o = &p.opps[0];
        assert_string_equal(o->notice_id, "https://eastborough.example/c/77");
        assert_int_equal(o->published, iso("2025-01-20T16:45:00Z"));
        assert_int_equal(o->cpv.n, 1);
        assert_string_equal(o->cpv.v[0], "85310000");
        assert_string_equal(o->item_descriptions.v[0], "Care and support");
        assert_string_equal(o->buyer_name, "Eastborough CCG");
        /* ISO-8859-1 converted to UTF-8 by libxml2 */
        assert_string_equal(o->description, "Budget \xc2\xa3" "9,500. Caf\xc3\xa9 sessions weekly.");
        ocds_page_done(&p);
        free(xml);
}

static void
test_rss10(void **state)
{
        struct ocds_page p;
        struct err e = { 0 };
        size_t len;
        char *xml = fixture("rss10-rdf.xml", &len);

        (void)state;
        ocds_page_init(&p);
        assert_int_equal(feed_parse("westfield", "feed:westfield", xml, len, &p, &e), 0);
        assert_int_equal(p.n, 1);
        assert_string_equal(p.opps[0].notice_id, "https://westfield.example/tenders/W-9");
        assert_string_equal(p.opps[0].title, "Event management for the summer fair");
        assert_string_equal(p.opps[0].buyer_name, "Westfield District Council");
        assert_int_equal(p.opps[0].published, iso("2025-01-19"));
        ocds_page_done(&p);
        free(xml);
}

/* ---- text: HTML, entities, caps ------------------------------------------- */

#define RSS_HEAD "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>"
#define RSS_TAIL "</channel></rss>"

static void
test_html_text(void **state)
{
        struct ocds_page p;
        struct err e = { 0 };
        const char *xml =
                RSS_HEAD
                "<item><guid>a</guid><title>Fish &amp; chips &lt; 5 &#38;amp;</title>"
                "<description>&lt;div&gt;&lt;style&gt;p{x:1}&lt;/style&gt;Caf&amp;eacute; "
                "&amp;#163;5 &amp;#x2019; &amp;#150; &amp;#0; &amp;#27;x &amp;unknown; "
                "&amp;lt;p&amp;gt; a &amp;amp; b&lt;br&gt;next   line&lt;/div&gt;"
                "&lt;table&gt;&lt;tr&gt;&lt;td&gt;A&lt;/td&gt;&lt;td&gt;B&lt;/td&gt;&lt;/tr&gt;"
                "&lt;/table&gt; &lt;a href=\"x\" title='&gt;'&gt;link&lt;/a&gt; 3 &lt; 4"
                "</description></item>"
                "<item><guid>b</guid><title>   spaced\n\t out   </title></item>"
                /* mojibake: UTF-8 read as Windows-1252 and encoded again */
                "<item><guid>c</guid><title>Caf\xc3\x83\xc2\xa9 \xc3\x82\xc2\xa3" "5k "
                "tenants\xc3\xa2\xe2\x82\xac\xe2\x84\xa2 hall</title></item>"
                RSS_TAIL;

        (void)state;
        ocds_page_init(&p);
        assert_int_equal(parse_str(xml, &p, &e), 0);
        assert_int_equal(p.n, 3);
        assert_string_equal(p.opps[2].title, "Caf\xc3\xa9 \xc2\xa3" "5k tenants\xe2\x80\x99 hall");
        /* "&#38;amp;" is "&amp;" after XML, then one HTML decode: "&" */
        assert_string_equal(p.opps[0].title, "Fish & chips < 5 &");
        assert_string_equal(p.opps[0].description,
                            "Caf\xc3\xa9 \xc2\xa3" "5 \xe2\x80\x99 \xe2\x80\x93 \xef\xbf\xbd x "
                            "&unknown; <p> a & b\nnext line\nA B\nlink 3 < 4");
        assert_string_equal(p.opps[1].title, "spaced out");
        /* no title: the text gives one; the title of b has no text at all */
        assert_null(p.opps[1].description);
        ocds_page_done(&p);
}

static void
test_field_caps(void **state)
{
        struct ocds_page p;
        struct err e = { 0 };
        struct buf b;

        (void)state;
        buf_init(&b);
        buf_adds(&b, RSS_HEAD "<item><guid>long</guid><title>");
        for (int i = 0; i < 3000; i++)
                buf_adds(&b, "\xc3\xa9");               /* 2 bytes each */
        buf_adds(&b, "</title><description>");
        for (int i = 0; i < 40000; i++)
                buf_adds(&b, "w\xe2\x82\xac ");         /* 5 bytes each */
        buf_adds(&b, "</description></item><item><guid>");
        for (int i = 0; i < FEED_MAX_ID + 10; i++)
                buf_addc(&b, 'i');
        buf_adds(&b, "</guid><title>id too long</title></item>" RSS_TAIL);
        ocds_page_init(&p);
        assert_int_equal(parse_str(b.data, &p, &e), 0);
        assert_int_equal(p.n, 1);
        assert_true(strlen(p.opps[0].title) <= FEED_MAX_TITLE);
        assert_true(strlen(p.opps[0].title) >= FEED_MAX_TITLE - 4);
        assert_true(strlen(p.opps[0].title) % 2 == 0);  /* not cut inside a character */
        assert_true(strlen(p.opps[0].description) <= FEED_MAX_DESCRIPTION);
        assert_true(strlen(p.opps[0].description) >= FEED_MAX_DESCRIPTION - 8);
        assert_int_equal(p.rejected.n, 1);
        assert_non_null(strstr(p.rejected.msg[0], "id longer than the limit"));
        ocds_page_done(&p);
        buf_done(&b);
}

/* ---- missing fields ----------------------------------------------------------- */

static void
test_missing_fields(void **state)
{
        struct ocds_page p;
        struct err e = { 0 };
        const char *xml =
                "<feed xmlns='http://www.w3.org/2005/Atom'><title>f</title>"
                "<entry><title>only a link</title><link href='https://b.example/1'/></entry>"
                "<entry><title>nothing to key it by</title></entry>"
                "<entry><id>urn:x:3</id><summary>Untitled entry with a summary that is "
                "rather long, long enough to be cut when it becomes a title for the list "
                "of opportunities that people read.</summary></entry>"
                "<entry><id>urn:x:4</id></entry>"
                "<entry><id>urn:x:5</id><title>bad link</title>"
                "<link href='javascript:alert(1)'/></entry>"
                "<entry><id>urn:x:6</id><title>relative</title><link href='/t/6'/>"
                "<category term='12345678-123'/><category term='1234567'/></entry>"
                "</feed>";

        (void)state;
        ocds_page_init(&p);
        assert_int_equal(parse_str(xml, &p, &e), 0);
        assert_int_equal(p.nreleases, 6);
        assert_int_equal(p.n, 4);
        assert_int_equal(p.rejected.n, 2);
        assert_non_null(strstr(p.rejected.msg[0], "entry 2"));
        assert_non_null(strstr(p.rejected.msg[0], "no id, guid or link"));
        assert_non_null(strstr(p.rejected.msg[1], "entry 4"));
        assert_non_null(strstr(p.rejected.msg[1], "no title and no text"));

        assert_string_equal(p.opps[0].notice_id, "https://b.example/1");
        assert_string_equal(p.opps[0].url, "https://b.example/1");
        assert_int_equal(p.opps[0].published, TIME_UNKNOWN);
        assert_int_equal(p.opps[0].updated, TIME_UNKNOWN);
        assert_null(p.opps[0].description);
        assert_null(p.opps[0].buyer_name);

        assert_true(strncmp(p.opps[1].title, "Untitled entry with a summary", 29) == 0);
        assert_true(strlen(p.opps[1].title) <= 120);
        assert_null(p.opps[2].url);             /* javascript: is not a URL we keep */
        assert_null(p.opps[3].url);             /* relative, no base */
        assert_int_equal(p.opps[3].cpv.n, 0);   /* not CPV shapes: kept as text */
        assert_int_equal(p.opps[3].item_descriptions.n, 2);
        ocds_page_done(&p);
}

/* ---- refusals --------------------------------------------------------------- */

static void
expect_refused(const char *file, const char *what)
{
        struct ocds_page p;
        struct err e = { 0 };
        size_t len;
        char *xml = fixture(file, &len);

        ocds_page_init(&p);
        assert_int_equal(feed_parse(file, "feed:evil", xml, len, &p, &e), -EINVAL);
        assert_int_equal(p.n, 0);
        assert_int_equal(p.nreleases, 0);
        if (strstr(e.msg, "refused") == NULL || strstr(e.msg, what) == NULL)
                fail_msg("unexpected message: %s", e.msg);
        assert_null(strstr(e.msg, "root:"));     /* nothing of /etc/passwd */
        assert_null(strstr(e.msg, "lollol"));
        ocds_page_done(&p);
        free(xml);
}

static void
test_xxe_refused(void **state)
{
        (void)state;
        expect_refused("xxe.xml", "entity declaration 'xxe'");
}

static void
test_billion_laughs_refused(void **state)
{
        (void)state;
        /* refused at the first declaration: no expansion ever starts */
        expect_refused("billion-laughs.xml", "entity declaration 'lol'");
}

static void
test_dtd_variants(void **state)
{
        static const char *const evil[] = {
                /* parameter-entity XXE (the out-of-band variant) */
                "<?xml version='1.0'?><!DOCTYPE rss [<!ENTITY % pe SYSTEM "
                "'file:///etc/passwd'> %pe;]><rss/>",
                /* external entity via a public id and an http URL (no network) */
                "<!DOCTYPE rss [<!ENTITY x PUBLIC '-//X//Y' 'http://127.0.0.1:1/x'>]>"
                "<rss><channel><item><title>&x;</title></item></channel></rss>",
                /* declarations that are not entities are refused too */
                "<!DOCTYPE rss [<!ELEMENT rss ANY>]><rss/>",
                "<!DOCTYPE rss [<!ATTLIST rss xmlns CDATA #FIXED 'urn:x'>]><rss/>",
                "<!DOCTYPE rss [<!NOTATION n SYSTEM 'x'>]><rss/>",
                "<!DOCTYPE rss [<!ENTITY u SYSTEM 'x' NDATA n>]><rss/>",
        };
        struct ocds_page p;
        struct err e;

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(evil); i++) {
                memset(&e, 0, sizeof(e));
                ocds_page_init(&p);
                if (parse_str(evil[i], &p, &e) != -EINVAL || strstr(e.msg, "refused") == NULL)
                        fail_msg("document %zu not refused: %s", i, e.msg);
                ocds_page_done(&p);
        }
}

static void
test_external_doctype_ok(void **state)
{
        /* RSS 0.91's public DOCTYPE: no internal subset, never loaded */
        const char *xml =
                "<?xml version='1.0'?><!DOCTYPE rss PUBLIC "
                "'-//Netscape Communications//DTD RSS 0.91//EN' "
                "'http://127.0.0.1:1/rss-0.91.dtd'>"
                "<rss version='0.91'><channel><title>c</title>"
                "<item><title>Old style</title><link>https://o.example/1</link></item>"
                "</channel></rss>";
        struct ocds_page p;
        struct err e = { 0 };

        (void)state;
        ocds_page_init(&p);
        assert_int_equal(parse_str(xml, &p, &e), 0);
        assert_int_equal(p.n, 1);
        assert_string_equal(p.opps[0].title, "Old style");
        ocds_page_done(&p);
}

static void
test_not_xml(void **state)
{
        static const struct { const char *doc, *msg; } cases[] = {
                { "{\"releases\": []}", "not well-formed XML: line 1" },
                { "<rss><channel><item><title>x</item></channel></rss>",
                  "not well-formed XML: line 1" },
                /* HTML's entities are not XML's: refused, not guessed */
                { "<rss>\n<channel><title>a&nbsp;b</title></channel></rss>",
                  "line 2: Entity 'nbsp' not defined" },
                { "<html><body>Service unavailable</body></html>",
                  "not an Atom or RSS feed (root element <html>)" },
                { "<feed><entry/></feed>", "not an Atom or RSS feed (root element <feed>)" },
                { "<rss version='2.0'/>", "RSS document without <channel>" },
                { "", "empty document" },
                { "<?xml version='1.0'?>", "not well-formed XML" },
                { "\xff\xfe<\x00r\x00", "not well-formed XML" },
        };
        struct ocds_page p;
        struct err e;

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                memset(&e, 0, sizeof(e));
                ocds_page_init(&p);
                if (parse_str(cases[i].doc, &p, &e) != -EINVAL ||
                    strstr(e.msg, cases[i].msg) == NULL)
                        fail_msg("case %zu: message '%s', want '%s'", i, e.msg, cases[i].msg);
                assert_int_equal(p.n, 0);
                ocds_page_done(&p);
        }
}

static void
test_deep_nesting(void **state)
{
        struct ocds_page p;
        struct err e = { 0 };
        struct buf b;

        (void)state;
        buf_init(&b);
        buf_adds(&b, RSS_HEAD "<item><guid>d</guid><title>deep</title><x:a xmlns:x='urn:x'>");
        for (int i = 0; i < 2000; i++)
                buf_adds(&b, "<x:a>");
        for (int i = 0; i < 2000; i++)
                buf_adds(&b, "</x:a>");
        buf_adds(&b, "</x:a></item>" RSS_TAIL);
        ocds_page_init(&p);
        /* refused by the shape scan (FEED_MAX_DEPTH) before libxml2's own
         * depth limit of 256 (XML_PARSE_HUGE is never set) is reached */
        assert_int_equal(parse_str(b.data, &p, &e), -EINVAL);
        if (strstr(e.msg, "element <x:a> at line 1 is nested more than 100 deep") == NULL)
                fail_msg("message: %s", e.msg);
        ocds_page_done(&p);
        buf_done(&b);
}

/* An Atom feed of one good entry and, before it, an <entry> with nattr
 * attributes (on line 3). */
static char *
many_attrs(size_t nattr)
{
        struct buf b;

        buf_init(&b);
        buf_adds(&b, "<?xml version='1.0'?>\n<feed xmlns='http://www.w3.org/2005/Atom'>\n<entry");
        for (size_t i = 0; i < nattr; i++)
                buf_printf(&b, " a%zu=\"\"", i);
        buf_adds(&b, "><id>evil</id><title>t</title></entry>"
                 "<entry><id>good</id><title>kept</title></entry></feed>");
        return buf_steal(&b);
}

static void
expect_shape_refused(const char *xml, size_t len, const char *msg)
{
        struct ocds_page p;
        struct err e = { 0 };

        ocds_page_init(&p);
        if (feed_parse("evil", "feed:evil", xml, len, &p, &e) != -EINVAL ||
            strstr(e.msg, msg) == NULL)
                fail_msg("message '%s', want '%s'", e.msg, msg);
        assert_int_equal(p.n, 0);
        ocds_page_done(&p);
}

static void
test_attribute_limit(void **state)
{
        struct ocds_page p;
        struct err e = { 0 };
        char *xml;

        (void)state;
        /* the shape that takes libxml2 2.9.14 37 s: refused in linear time */
        xml = many_attrs(60000);
        expect_shape_refused(xml, strlen(xml),
                             "evil: refused: element <entry> at line 3 has more than 256 "
                             "attributes");
        free(xml);
        xml = many_attrs(FEED_MAX_ATTRS + 1);
        expect_shape_refused(xml, strlen(xml), "has more than 256 attributes");
        free(xml);
        /* at the limit: parsed */
        xml = many_attrs(FEED_MAX_ATTRS);
        ocds_page_init(&p);
        assert_int_equal(parse_str(xml, &p, &e), 0);
        assert_int_equal(p.n, 2);
        ocds_page_done(&p);
        free(xml);
}

/* What the scan must skip without counting: attributes written inside a
 * comment, a CDATA section, a processing instruction, an attribute value,
 * a DOCTYPE (with ']' and '>' in quotes) are not attributes. */
static void
test_shape_scan_skips(void **state)
{
        const char *wrappers[][2] = {
                { "<!-- ", " -->" },
                { "<![CDATA[", "]]>" },
                { "<?pi ", "?>" },
                { "<t:x xmlns:t='urn:t' v='", "'/>" },
                { "<t:x xmlns:t='urn:t' v=\"", "\"/>" },
        };
        struct ocds_page p;
        struct err e;
        struct buf fake, b;

        (void)state;
        buf_init(&fake);
        buf_adds(&fake, "<entry");
        for (int i = 0; i < 300; i++)
                buf_printf(&fake, " a%d=%c%c", i, i % 2 ? '"' : '\'', i % 2 ? '"' : '\'');
        buf_adds(&fake, "> ]]");
        for (size_t w = 0; w < ARRAY_SIZE(wrappers); w++) {
                const char *inner = fake.data;

                buf_init(&b);
                buf_adds(&b, "<!DOCTYPE feed PUBLIC '-//X//a b//EN' \"x>]'<a b=''>\">\n"
                         "<feed xmlns='http://www.w3.org/2005/Atom'><entry><id>1</id>"
                         "<title>t</title>");
                buf_adds(&b, wrappers[w][0]);
                /* an attribute value cannot hold '<' or its own quote */
                for (const char *c = inner; *c; c++) {
                        if (w >= 3 && *c == '<')
                                buf_adds(&b, "&lt;");
                        else if (w == 3 && *c == '\'')
                                buf_adds(&b, "&apos;");
                        else if (w == 4 && *c == '"')
                                buf_adds(&b, "&quot;");
                        else if (w == 1 && *c == ']')
                                buf_addc(&b, ')');      /* no "]]>" inside CDATA */
                        else
                                buf_addc(&b, *c);
                }
                buf_adds(&b, wrappers[w][1]);
                buf_adds(&b, "</entry></feed>");
                memset(&e, 0, sizeof(e));
                ocds_page_init(&p);
                if (parse_str(b.data, &p, &e) != 0 || p.n != 1)
                        fail_msg("wrapper %zu: %s", w, e.msg);
                ocds_page_done(&p);
                buf_done(&b);
        }
        buf_done(&fake);
}

static void
test_element_depth_text_limits(void **state)
{
        struct buf b;
        size_t big = (size_t)FEED_MAX_TEXT + 1;
        char *filler = xmalloc(big + 1);

        (void)state;
        memset(filler, 'x', big);
        filler[big] = '\0';
        /* elements: FEED_MAX_ELEMENTS + 1 in all */
        buf_init(&b);
        buf_adds(&b, RSS_HEAD "<item><guid>g</guid><title>t</title>\n");
        for (int i = 0; i < FEED_MAX_ELEMENTS; i++)
                buf_adds(&b, "<x/>");
        buf_adds(&b, "</item>" RSS_TAIL);
        expect_shape_refused(b.data, b.len, "evil: refused: more than 250000 elements "
                             "(element <x> at line 2)");
        buf_done(&b);
        /* depth: one level over */
        buf_init(&b);
        buf_adds(&b, "<feed xmlns='http://www.w3.org/2005/Atom'>\n\n");
        for (int i = 1; i < FEED_MAX_DEPTH; i++)
                buf_adds(&b, "<d>");
        buf_adds(&b, "<deepest/>");
        for (int i = 1; i < FEED_MAX_DEPTH; i++)
                buf_adds(&b, "</d>");
        buf_adds(&b, "</feed>");
        {       /* FEED_MAX_DEPTH deep (feed + 99 d) is fine ... */
                struct ocds_page p;
                struct err e = { 0 };

                ocds_page_init(&p);
                assert_int_equal(parse_str(b.data, &p, &e), 0);
                ocds_page_done(&p);
        }
        buf_done(&b);
        buf_init(&b);
        buf_adds(&b, "<feed xmlns='http://www.w3.org/2005/Atom'>\n\n");
        for (int i = 0; i < FEED_MAX_DEPTH; i++)
                buf_adds(&b, "<d>");
        expect_shape_refused(b.data, b.len, "element <d> at line 3 is nested more than "
                             "100 deep");
        buf_done(&b);
        /* text, CDATA and an attribute value over FEED_MAX_TEXT */
        buf_init(&b);
        buf_printf(&b, RSS_HEAD "\n<item><title>%s</title></item>" RSS_TAIL, filler);
        expect_shape_refused(b.data, b.len, "refused: text at line 2 is longer than "
                             "4194304 bytes");
        buf_done(&b);
        buf_init(&b);
        buf_printf(&b, RSS_HEAD "<item><title><![CDATA[%s]]></title></item>" RSS_TAIL, filler);
        expect_shape_refused(b.data, b.len, "refused: a CDATA section at line 1 is longer");
        buf_done(&b);
        buf_init(&b);
        buf_printf(&b, RSS_HEAD "<item><category domain='%s'>c</category></item>" RSS_TAIL,
                   filler);
        expect_shape_refused(b.data, b.len, "element <category> at line 1 has an attribute "
                             "value longer than 4194304 bytes");
        buf_done(&b);
        free(filler);
}

/* The scan must see the tags whatever the encoding: UTF-16 is read,
 * encodings whose markup is not ASCII are refused. */
static void
test_shape_encodings(void **state)
{
        char *xml = many_attrs(300);
        size_t n = strlen(xml);
        char *u16 = xmalloc(2 * n + 2);

        (void)state;
        u16[0] = '\xff', u16[1] = '\xfe';
        for (size_t i = 0; i < n; i++)
                u16[2 + 2 * i] = xml[i], u16[3 + 2 * i] = '\0';
        expect_shape_refused(u16, 2 * n + 2, "element <entry> at line 3 has more than 256 "
                             "attributes");
        free(u16);
        free(xml);
        {
                const char *utf7 = "<?xml version='1.0' encoding='UTF-7'?><feed/>";
                const char *jis = "<?xml version=\"1.0\" encoding=\"ISO-2022-JP\"?><rss/>";

                expect_shape_refused(utf7, strlen(utf7),
                                     "names encoding 'UTF-7', which bidbroker does not read");
                expect_shape_refused(jis, strlen(jis), "encoding 'ISO-2022-JP'");
        }
        expect_shape_refused("<\0\0\0?\0\0\0x\0\0\0", 12, "UCS-4 or EBCDIC");
        {       /* an ASCII-compatible declaration is read as before */
                const char *ok = "<?xml version='1.0' encoding='windows-1252'?>"
                                 "<rss version='2.0'><channel><title>t</title><item><guid>g</guid><title>\xa3 5</title></item>"
                                 RSS_TAIL;
                struct ocds_page p;
                struct err e = { 0 };

                ocds_page_init(&p);
                assert_int_equal(parse_str(ok, &p, &e), 0);
                assert_int_equal(p.n, 1);
                assert_string_equal(p.opps[0].title, "\xc2\xa3 5");
                ocds_page_done(&p);
        }
}

/* Where the document stops being well-formed the scan stops; libxml2 must
 * stop there too and not read on into a shape nobody checked. */
static void
test_stops_at_first_error(void **state)
{
        char *xml = many_attrs(60000);
        struct buf b;

        (void)state;
        buf_init(&b);
        buf_adds(&b, "<?xml version='1.0'?>\n<feed xmlns='http://www.w3.org/2005/Atom'>"
                 "<entry bad></entry>\n");
        buf_adds(&b, strstr(xml, "<entry"));
        expect_shape_refused(b.data, b.len, "evil: not well-formed XML: line 2");
        buf_done(&b);
        free(xml);
}

static void
test_too_large(void **state)
{
        struct ocds_page p;
        struct err e = { 0 };
        size_t n = (size_t)FEED_MAX_BYTES + 1;
        char *big = xmalloc(n);

        (void)state;
        memset(big, ' ', n);
        memcpy(big, "<rss>", 5);
        ocds_page_init(&p);
        assert_int_equal(feed_parse("big", "feed:big", big, n, &p, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "feed too large"));
        assert_int_equal(p.n, 0);
        ocds_page_done(&p);
        free(big);
}

static void
test_too_many_entries(void **state)
{
        struct ocds_page p;
        struct err e = { 0 };
        struct buf b;

        (void)state;
        buf_init(&b);
        buf_adds(&b, RSS_HEAD);
        for (int i = 0; i < FEED_MAX_ENTRIES + 7; i++)
                buf_printf(&b, "<item><guid>g%d</guid><title>t</title></item>", i);
        buf_adds(&b, RSS_TAIL);
        ocds_page_init(&p);
        assert_int_equal(parse_str(b.data, &p, &e), 0);
        assert_int_equal(p.n, FEED_MAX_ENTRIES);
        assert_string_equal(p.opps[FEED_MAX_ENTRIES - 1].notice_id, "g4999");
        assert_int_equal(p.rejected.n, 1);
        assert_non_null(strstr(p.rejected.msg[0], "the rest are ignored"));
        ocds_page_done(&p);
        buf_done(&b);
}

static void
test_stated_values(void **state)
{
        const char *xml =
                "<feed xmlns='http://www.w3.org/2005/Atom' xmlns:t='urn:tender'>"
                "<entry><id>1</id><title>range</title>"
                "<t:value-min>5000</t:value-min><t:value-max>20,000.50</t:value-max>"
                "<t:closing_date>Fri, 14 Feb 2025 12:00:00 GMT</t:closing_date></entry>"
                "<entry><id>2</id><title>euro</title><t:value currency='eur'>9k</t:value></entry>"
                "<entry><id>3</id><title>junk</title><t:value>about 20k</t:value>"
                "<t:deadline>soon</t:deadline><t:cpv>72000000-5</t:cpv></entry>"
                "<entry><id>4</id><title>only a floor</title><t:minvalue>900</t:minvalue></entry>"
                "<entry><id>5</id><title>placeholder</title><t:value>1</t:value></entry>"
                "</feed>";
        struct ocds_page p;
        struct err e = { 0 };

        (void)state;
        ocds_page_init(&p);
        assert_int_equal(parse_str(xml, &p, &e), 0);
        assert_int_equal(p.n, 5);
        assert_true(p.opps[0].value_stated);
        assert_int_equal(p.opps[0].value_max, 2000050);
        assert_int_equal(p.opps[0].value_min, 500000);
        assert_int_equal(p.opps[0].deadline, iso("2025-02-14T12:00:00Z"));
        assert_true(p.opps[1].value_stated);
        assert_int_equal(p.opps[1].value_max, 900000);
        assert_string_equal(p.opps[1].currency, "EUR");
        assert_false(p.opps[2].value_stated);
        assert_int_equal(p.opps[2].deadline, TIME_UNKNOWN);
        assert_int_equal(p.opps[2].cpv.n, 1);
        assert_string_equal(p.opps[2].cpv.v[0], "72000000");
        assert_false(p.opps[3].value_stated);
        assert_false(p.opps[4].value_stated);
        assert_string_equal(p.opps[4].currency, "");
        ocds_page_done(&p);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_atom),
                cmocka_unit_test(test_rss),
                cmocka_unit_test(test_rss_dc),
                cmocka_unit_test(test_rss10),
                cmocka_unit_test(test_html_text),
                cmocka_unit_test(test_field_caps),
                cmocka_unit_test(test_missing_fields),
                cmocka_unit_test(test_xxe_refused),
                cmocka_unit_test(test_billion_laughs_refused),
                cmocka_unit_test(test_dtd_variants),
                cmocka_unit_test(test_external_doctype_ok),
                cmocka_unit_test(test_not_xml),
                cmocka_unit_test(test_deep_nesting),
                cmocka_unit_test(test_attribute_limit),
                cmocka_unit_test(test_shape_scan_skips),
                cmocka_unit_test(test_element_depth_text_limits),
                cmocka_unit_test(test_shape_encodings),
                cmocka_unit_test(test_stops_at_first_error),
                cmocka_unit_test(test_too_large),
                cmocka_unit_test(test_too_many_entries),
                cmocka_unit_test(test_stated_values),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
