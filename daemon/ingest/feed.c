/*
 * feed.c — Atom 1.0, RSS 2.0 and RSS 1.0 (RDF, dc:) feeds into opportunities
 * (see include/bidbroker/feed.h).
 *
 * Safety.  The document comes from the network, so libxml2 is driven with a
 * private parser context per call and a SAX handler of our own on top of the
 * SAX2 tree builder:
 *  - options XML_PARSE_NONET | XML_PARSE_NOCDATA only: never NOENT (entity
 *    substitution), DTDLOAD, DTDATTR, DTDVALID, XINCLUDE or HUGE, so the
 *    built-in limits (depth 256, 10 MB text nodes) stay on;
 *  - any declaration in an internal DTD subset (<!ENTITY, <!ELEMENT,
 *    <!ATTLIST, <!NOTATION) stops the parser at once and the document is
 *    refused: an XXE or billion-laughs document never gets as far as its
 *    first entity reference, so nothing is expanded, read or allocated;
 *  - entity lookups only know the five predefined entities, the external
 *    subset is never loaded and external entities never resolved;
 *  - errors go to a structured handler on this context (nothing is printed,
 *    no global handler is changed; main() initialises libxml2 once and
 *    cleans it up at exit);
 *  - size limits: the input, the number of entries, every field;
 *  - shape limits, checked before libxml2 sees the document by a linear
 *    scan (xmlshape.c): attributes per element (libxml2 2.9.14 is
 *    quadratic in them), elements, depth, text; and libxml2 is stopped at
 *    its first fatal error, so it never goes on parsing (unchecked by the
 *    scan, which stops there too) after one.
 * Text.  Every field goes through text_clean() (text.h), the one cleaner
 * the OCDS parser uses too: text that carries HTML (RSS title, description
 * and content:encoded, Atom type="html", or "text" that plainly is HTML)
 * has its tags stripped and entities decoded there, once, from a fixed
 * table; plain text keeps its '<' and '&' (TEXT_PLAIN).  Only what needs
 * the tree stays here: collecting text nodes (entity references are never
 * resolved) and walking Atom type="xhtml" content.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/entities.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "bidbroker/err.h"
#include "bidbroker/feed.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/text.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/utf8.h"
#include "bidbroker/util.h"

#include "xmlshape.h"

#define NS_ATOM    "http://www.w3.org/2005/Atom"
#define NS_RSS10   "http://purl.org/rss/1.0/"
#define NS_RDF     "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#define NS_DC      "http://purl.org/dc/elements/1.1/"
#define NS_DCTERMS "http://purl.org/dc/terms/"
#define NS_CONTENT "http://purl.org/rss/1.0/modules/content/"

#define MAX_CATEGORIES  64
#define MAX_CATEGORY    256
#define MAX_CAT_LIST    4096            /* bytes of categories, per entry */
/* Ids are read up to this, so that one over FEED_MAX_ID stays over it and
 * is rejected (a cut would only trim it at a space). */
#define ID_CAP          (4 * FEED_MAX_ID)

/* ======================================================================
 * Parser context: refusal of DTD declarations, error capture
 * ====================================================================== */

struct xml_state {
        bool  refused;
        char  refusal[200];
        char  error[300];               /* the first error, "line N: message" */
};

static struct xml_state *
state_of(void *ctx)
{
        return ((xmlParserCtxtPtr)ctx)->_private;
}

static void
refuse(void *ctx, const char *what, const xmlChar *name)
{
        struct xml_state *st = state_of(ctx);

        if (!st->refused) {
                st->refused = true;
                snprintf(st->refusal, sizeof(st->refusal), "%s '%.60s'", what,
                         name ? (const char *)name : "?");
        }
        xmlStopParser((xmlParserCtxtPtr)ctx);
}

static void
sax_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
                const xmlChar *system_id, xmlChar *content)
{
        (void)type, (void)public_id, (void)system_id, (void)content;
        refuse(ctx, "an entity declaration", name);
}

static void
sax_unparsed_entity_decl(void *ctx, const xmlChar *name, const xmlChar *public_id,
                         const xmlChar *system_id, const xmlChar *notation)
{
        (void)public_id, (void)system_id, (void)notation;
        refuse(ctx, "an entity declaration", name);
}

static void
sax_element_decl(void *ctx, const xmlChar *name, int type, xmlElementContentPtr content)
{
        (void)type, (void)content;
        refuse(ctx, "an element declaration", name);
}

static void
sax_attribute_decl(void *ctx, const xmlChar *elem, const xmlChar *fullname, int type,
                   int def, const xmlChar *default_value, xmlEnumerationPtr tree)
{
        (void)elem, (void)type, (void)def, (void)default_value;
        xmlFreeEnumeration(tree);       /* the callback owns it */
        refuse(ctx, "an attribute-list declaration", fullname);
}

static void
sax_notation_decl(void *ctx, const xmlChar *name, const xmlChar *public_id,
                  const xmlChar *system_id)
{
        (void)public_id, (void)system_id;
        refuse(ctx, "a notation declaration", name);
}

static void
sax_external_subset(void *ctx, const xmlChar *name, const xmlChar *external_id,
                    const xmlChar *system_id)
{
        (void)ctx, (void)name, (void)external_id, (void)system_id;      /* never loaded */
}

static xmlParserInputPtr
sax_resolve_entity(void *ctx, const xmlChar *public_id, const xmlChar *system_id)
{
        (void)ctx, (void)public_id, (void)system_id;
        return NULL;
}

static xmlEntityPtr
sax_get_entity(void *ctx, const xmlChar *name)
{
        (void)ctx;
        return xmlGetPredefinedEntity(name);    /* &lt; &gt; &amp; &quot; &apos; only */
}

static xmlEntityPtr
sax_get_parameter_entity(void *ctx, const xmlChar *name)
{
        (void)ctx, (void)name;
        return NULL;
}

static void
sax_structured_error(void *ctx, xmlErrorPtr e)
{
        struct xml_state *st;
        size_t n;

        if (ctx == NULL || e == NULL || e->level < XML_ERR_ERROR)
                return;
        st = state_of(ctx);
        if (st == NULL || st->error[0] != '\0')
                return;
        snprintf(st->error, sizeof(st->error), "line %d: %s", e->line,
                 e->message ? e->message : "parse error");
        n = strlen(st->error);
        while (n > 0 && (st->error[n - 1] == '\n' || st->error[n - 1] == ' '))
                st->error[--n] = '\0';
        /* Not well-formed: go no further (libxml2 would otherwise read on,
         * without building anything, past where the shape scan stopped). */
        if (e->level >= XML_ERR_FATAL)
                xmlStopParser((xmlParserCtxtPtr)ctx);
}

/* Parse data into a tree.  On failure returns NULL with err set. */
static xmlDocPtr
parse_xml(const char *name, const char *data, size_t len, struct err *err)
{
        struct xml_state st = { 0 };
        xmlParserCtxtPtr ctxt;
        xmlDocPtr doc;
        xmlSAXHandlerPtr sax;
        bool ok;

        ctxt = xmlCreateMemoryParserCtxt(data, (int)len);
        if (ctxt == NULL) {
                err_set(err, -ENOMEM, "%s: cannot create an XML parser", name);
                return NULL;
        }
        ctxt->_private = &st;
        sax = ctxt->sax;                /* this context's own copy */
        sax->entityDecl = sax_entity_decl;
        sax->unparsedEntityDecl = sax_unparsed_entity_decl;
        sax->elementDecl = sax_element_decl;
        sax->attributeDecl = sax_attribute_decl;
        sax->notationDecl = sax_notation_decl;
        sax->externalSubset = sax_external_subset;
        sax->resolveEntity = sax_resolve_entity;
        sax->getEntity = sax_get_entity;
        sax->getParameterEntity = sax_get_parameter_entity;
        sax->serror = sax_structured_error;
        /* NEVER XML_PARSE_NOENT, DTDLOAD, DTDATTR, DTDVALID, XINCLUDE, HUGE. */
        xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOCDATA |
                                XML_PARSE_NOWARNING);
        xmlParseDocument(ctxt);
        doc = ctxt->myDoc;
        ok = ctxt->wellFormed && !st.refused && doc != NULL;
        ctxt->myDoc = NULL;
        ctxt->_private = NULL;
        xmlFreeParserCtxt(ctxt);

        /* Belt and braces: nothing may have been declared. */
        if (ok && doc->intSubset != NULL &&
            (doc->intSubset->children != NULL || doc->intSubset->entities != NULL ||
             doc->intSubset->pentities != NULL)) {
                st.refused = true;
                snprintf(st.refusal, sizeof(st.refusal), "DTD declarations");
                ok = false;
        }
        if (st.refused) {
                xmlFreeDoc(doc);
                err_set(err, -EINVAL, "%s: refused: the document contains %s in a DOCTYPE "
                        "(DTD declarations and entities are not accepted in feeds)",
                        name, st.refusal);
                return NULL;
        }
        if (!ok) {
                xmlFreeDoc(doc);
                err_set(err, -EINVAL, "%s: not well-formed XML: %s", name,
                        st.error[0] ? st.error : "parse error");
                return NULL;
        }
        return doc;
}

/* ======================================================================
 * Text: collecting it from the tree; cleaning is text_clean()'s (text.h)
 * ====================================================================== */

/* Append at most cap - b->len bytes of s, cut at a character boundary. */
static void
add_capped(struct buf *b, const xmlChar *s, size_t cap)
{
        size_t n = s ? strlen((const char *)s) : 0;

        if (b->len < cap)
                buf_add(b, s, utf8_cut((const char *)s, n, cap - b->len));
}

/* The characters of node's text and CDATA descendants (entity references
 * are skipped, never resolved), at most cap bytes. */
static void
collect_text(const xmlNode *node, struct buf *b, size_t cap)
{
        for (const xmlNode *c = node->children; c != NULL && b->len < cap; c = c->next) {
                if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)
                        add_capped(b, c->content, cap);
                else if (c->type == XML_ELEMENT_NODE)
                        collect_text(c, b, cap);
        }
}

/* What the start or end of an element of kind k adds, as its tags would
 * in text_clean(): a line break for a block (one for "</p><p>"), a space
 * for a cell or image (none after a space or break), else nothing. */
static void
add_separator(struct buf *b, enum text_tag k)
{
        char last = b->len > 0 ? b->data[b->len - 1] : '\n';

        if (k == TEXT_TAG_BLOCK && last != '\n')
                buf_addc(b, '\n');
        else if (k == TEXT_TAG_SPACE && last != '\n' && last != ' ')
                buf_addc(b, ' ');
}

/* Plain text of an XHTML content tree (Atom type="xhtml"), its elements
 * treated as text_clean() treats their tags (text_html_tag): script and
 * style dropped, blocks on lines of their own, cells apart by a space. */
static void
xhtml_text(const xmlNode *node, struct buf *b, size_t cap)
{
        for (const xmlNode *c = node->children; c != NULL && b->len < cap; c = c->next) {
                if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
                        add_capped(b, c->content, cap);
                } else if (c->type == XML_ELEMENT_NODE) {
                        enum text_tag k = text_html_tag((const char *)c->name);

                        if (k == TEXT_TAG_HIDDEN)
                                continue;
                        add_separator(b, k);
                        xhtml_text(c, b, cap);
                        add_separator(b, k);
                }
        }
}

enum content_kind {
        CONTENT_PLAIN,                  /* text as it is */
        CONTENT_HTML,                   /* an HTML fragment */
        CONTENT_XHTML,                  /* an XHTML tree */
        CONTENT_AUTO,                   /* HTML if it plainly is (text_looks_like_html) */
};

/* The plain text of an element, at most cap bytes, or NULL when it has
 * none.  Lines are kept when keep_lines, else joined. */
static char *
element_text(const xmlNode *node, enum content_kind kind, bool keep_lines, size_t cap)
{
        unsigned flags = keep_lines ? 0 : TEXT_SINGLE_LINE;
        struct buf raw;
        char *r;

        /* as much as text_clean() itself would look at */
        buf_init(&raw);
        buf_add(&raw, "", 0);
        if (kind == CONTENT_XHTML) {
                xhtml_text(node, &raw, 8 * cap + 4096);
                flags |= TEXT_PLAIN;    /* the tree's text is text, not markup */
        } else {
                collect_text(node, &raw, 8 * cap + 4096);
                if (kind == CONTENT_PLAIN ||
                    (kind == CONTENT_AUTO && !text_looks_like_html(raw.data, raw.len)))
                        flags |= TEXT_PLAIN;
        }
        r = text_clean(raw.data, raw.len, cap, flags);
        buf_done(&raw);
        if (*r == '\0') {
                free(r);
                return NULL;
        }
        return r;
}

/* Plain single-line text of a string that is not HTML (attributes,
 * fallbacks), at most cap bytes. */
static char *
plain_line(const char *s, size_t cap)
{
        return text_clean_str(s, cap, TEXT_PLAIN | TEXT_SINGLE_LINE);
}

/* ======================================================================
 * Dates
 * ====================================================================== */

/* ISO 8601 first (Atom, dc:date), then RFC 822 (RSS). */
static int64_t
parse_date_text(const char *s)
{
        int64_t t;

        if (s == NULL)
                return TIME_UNKNOWN;
        if (time_parse_iso8601(s, &t) == 0 || time_parse_rfc822(s, &t) == 0)
                return t;
        return TIME_UNKNOWN;
}

/* ======================================================================
 * Entries
 * ====================================================================== */

/* What one entry carries, before it becomes an opportunity. */
struct entry {
        char   *id, *title, *link, *summary, *content;
        char   *buyer;                  /* entry author / dc:publisher */
        char   *creator;                /* dc:creator: only when nothing better */
        int64_t published, updated, deadline;
        bool    value_stated;
        int64_t value_max, value_min;
        char    currency[4];
        struct strv cpv, categories;
        size_t  cat_bytes;
        const char *bad;                /* why the entry is rejected */
};

static void
entry_init(struct entry *e)
{
        memset(e, 0, sizeof(*e));
        e->published = e->updated = e->deadline = TIME_UNKNOWN;
        e->value_max = e->value_min = VALUE_NONE;
        strv_init(&e->cpv);
        strv_init(&e->categories);
}

static void
entry_done(struct entry *e)
{
        free(e->id);
        free(e->title);
        free(e->link);
        free(e->summary);
        free(e->content);
        free(e->buyer);
        free(e->creator);
        strv_done(&e->cpv);
        strv_done(&e->categories);
}

/* Keep the first value of a field. */
static void
set_once(char **field, char *value)
{
        if (*field == NULL)
                *field = value;
        else
                free(value);
}

static bool
ns_is(const xmlNode *n, const char *ns)
{
        if (ns == NULL)
                return n->ns == NULL || n->ns->href == NULL;
        return n->ns != NULL && n->ns->href != NULL &&
               strcmp((const char *)n->ns->href, ns) == 0;
}

static bool
is_el(const xmlNode *n, const char *ns, const char *name)
{
        return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0 &&
               ns_is(n, ns);
}

/* An attribute without namespace, as a new string (NULL if absent). */
static char *
attr(const xmlNode *n, const char *name)
{
        for (const xmlAttr *a = n->properties; a != NULL; a = a->next) {
                if (a->ns == NULL && strcmp((const char *)a->name, name) == 0) {
                        struct buf b;

                        buf_init(&b);
                        for (const xmlNode *c = a->children; c != NULL; c = c->next)
                                if (c->type == XML_TEXT_NODE && c->content)
                                        buf_adds(&b, (const char *)c->content);
                        if (b.data == NULL)
                                buf_adds(&b, "");
                        return buf_steal(&b);
                }
        }
        return NULL;
}

/* A URL we are willing to hand on: absolute http(s), no spaces/controls. */
static char *
clean_url(char *u)
{
        char *t;

        if (u == NULL)
                return NULL;
        t = str_trim(u);
        if ((strncasecmp(t, "http://", 7) != 0 && strncasecmp(t, "https://", 8) != 0) ||
            strlen(t) > FEED_MAX_URL) {
                free(u);
                return NULL;
        }
        for (const unsigned char *p = (const unsigned char *)t; *p; p++)
                if (*p <= 0x20 || *p == 0x7F) {
                        free(u);
                        return NULL;
                }
        t = xstrdup(t);
        free(u);
        return t;
}

/* An 8-digit CPV code at the start of s ("90910000", "90910000-9",
 * "90910000-9 Cleaning services") into code[9]. */
static bool
cpv_code(const char *s, char code[9])
{
        const char *start, *p;

        while (*s == ' ')
                s++;
        start = s;
        for (size_t i = 0; i < 8; i++)
                if (!isdigit((unsigned char)s[i]))
                        return false;
        p = s + 8;
        if (*p == '-' && isdigit((unsigned char)p[1]))
                p += 2;
        if (*p != '\0' && *p != ' ' && *p != ':' && *p != ';' && *p != ',')
                return false;
        memcpy(code, start, 8);
        code[8] = '\0';
        return true;
}

static void
add_category(struct entry *e, const char *term, const char *scheme)
{
        char code[9];
        char *t;

        if (term == NULL)
                return;
        t = plain_line(term, MAX_CATEGORY);
        if (*t != '\0' && cpv_code(t, code)) {
                if (e->cpv.n < MAX_CATEGORIES)
                        strv_add_unique(&e->cpv, code);
        } else if (*t != '\0' && scheme != NULL && strcasestr(scheme, "cpv") != NULL) {
                /* a CPV scheme with a term we cannot read: not a code, keep as text */
                if (e->categories.n < MAX_CATEGORIES && e->cat_bytes < MAX_CAT_LIST &&
                    !strv_contains(&e->categories, t)) {
                        e->cat_bytes += strlen(t);
                        strv_add(&e->categories, t);
                }
        } else if (*t != '\0' && e->categories.n < MAX_CATEGORIES &&
                   e->cat_bytes < MAX_CAT_LIST && !strv_contains(&e->categories, t)) {
                e->cat_bytes += strlen(t);
                strv_add(&e->categories, t);
        }
        free(t);
}

static bool
name_in(const char *name, const char *const *list, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(name, list[i]) == 0)
                        return true;
        return false;
}

/* Lower-case name without '-', '_' into out. */
static void
squash_name(const char *name, char *out, size_t len)
{
        size_t j = 0;

        for (; *name && j + 1 < len; name++)
                if (*name != '-' && *name != '_' && *name != '.')
                        out[j++] = (char)tolower((unsigned char)*name);
        out[j] = '\0';
}

/* A money amount as written in a feed: digits with , . £ and k/m only. */
static bool
money_text(const char *s, int64_t *pence)
{
        for (const char *p = s; *p; p++)
                if (!isdigit((unsigned char)*p) && !strchr(",._kKmM", *p) &&
                    !((unsigned char)*p == 0xC2 || (unsigned char)*p == 0xA3))
                        return false;
        return parse_money(s, pence) == 0;
}

/*
 * Extension elements (any namespace that is not Atom, RSS, RDF, DC or
 * content:) that state a deadline, a value or a CPV code.  Conservative: the
 * element name must say what it is, and the content must parse as a date /
 * money amount / code, else it is ignored.
 */
static void
extension(struct entry *e, const xmlNode *n)
{
        static const char *const deadline_names[] = {
                "deadline", "closingdate", "closedate", "closingdatetime", "tenderdeadline",
                "responsedeadline", "submissiondeadline", "tenderperiodenddate",
        };
        static const char *const value_names[] = {
                "value", "contractvalue", "estimatedvalue", "totalvalue", "valuemax",
                "maxvalue", "valuehigh", "amount",
        };
        static const char *const value_min_names[] = { "valuemin", "minvalue", "valuelow" };
        char name[48];
        char *txt;

        squash_name((const char *)n->name, name, sizeof(name));
        txt = element_text(n, CONTENT_PLAIN, false, 256);
        if (txt == NULL)
                return;
        if (name_in(name, deadline_names, ARRAY_SIZE(deadline_names))) {
                int64_t t = parse_date_text(txt);

                if (t != TIME_UNKNOWN && e->deadline == TIME_UNKNOWN)
                        e->deadline = t;
        } else if (name_in(name, value_names, ARRAY_SIZE(value_names)) ||
                   name_in(name, value_min_names, ARRAY_SIZE(value_min_names))) {
                bool is_min = name_in(name, value_min_names, ARRAY_SIZE(value_min_names));
                char *cur = attr(n, "currency");
                int64_t pence;

                if (cur == NULL || (strlen(cur) == 3 && isalpha((unsigned char)cur[0]) &&
                                    isalpha((unsigned char)cur[1]) &&
                                    isalpha((unsigned char)cur[2]))) {
                        /* 0, 0.1 and 1 are placeholders, not values */
                        if (money_text(txt, &pence) && pence > 100) {
                                int64_t *slot = is_min ? &e->value_min : &e->value_max;

                                if (*slot == VALUE_NONE) {
                                        *slot = pence;
                                        e->value_stated = true;
                                        for (int i = 0; i < 3; i++)
                                                e->currency[i] = cur ? (char)toupper(
                                                        (unsigned char)cur[i]) : "GBP"[i];
                                }
                        }
                }
                free(cur);
        } else if (strcmp(name, "cpv") == 0 || strcmp(name, "cpvcode") == 0) {
                add_category(e, txt, "cpv");
        }
        free(txt);
}

static enum content_kind
atom_kind(const xmlNode *n)
{
        char *t = attr(n, "type");
        enum content_kind k = CONTENT_AUTO;

        if (t != NULL) {
                if (strcmp(t, "html") == 0 || strcmp(t, "text/html") == 0)
                        k = CONTENT_HTML;
                else if (strcmp(t, "xhtml") == 0 || strcmp(t, "application/xhtml+xml") == 0)
                        k = CONTENT_XHTML;
                else if (strcmp(t, "text") == 0 || strcmp(t, "text/plain") == 0)
                        k = CONTENT_AUTO;
                else
                        k = CONTENT_PLAIN;
        }
        free(t);
        return k;
}

/* Text of the first <name> child of an author-like element. */
static char *
child_text(const xmlNode *n, const char *ns, const char *name, size_t cap)
{
        for (const xmlNode *c = n->children; c != NULL; c = c->next)
                if (is_el(c, ns, name))
                        return element_text(c, CONTENT_PLAIN, false, cap);
        return NULL;
}

static void
atom_link(struct entry *e, const xmlNode *c, int *best)
{
        char *rel = attr(c, "rel"), *type = attr(c, "type");
        char *href = clean_url(attr(c, "href"));
        int score = 0;

        if (href != NULL && (rel == NULL || strcmp(rel, "alternate") == 0))
                score = type == NULL || strcmp(type, "text/html") == 0 ? 3 : 2;
        else if (href != NULL && rel != NULL && strcmp(rel, "self") != 0 &&
                 strcmp(rel, "edit") != 0 && strcmp(rel, "enclosure") != 0)
                score = 1;
        if (score > *best) {
                free(e->link);
                e->link = href;
                href = NULL;
                *best = score;
        }
        free(href);
        free(rel);
        free(type);
}

static void
atom_entry(struct entry *e, const xmlNode *entry)
{
        int best_link = 0;

        for (const xmlNode *c = entry->children; c != NULL; c = c->next) {
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if (!ns_is(c, NS_ATOM)) {
                        if (ns_is(c, NS_DC) && strcmp((const char *)c->name, "subject") == 0) {
                                char *t = element_text(c, CONTENT_PLAIN, false, MAX_CATEGORY);

                                add_category(e, t, NULL);
                                free(t);
                        } else if (!ns_is(c, NULL)) {
                                extension(e, c);
                        }
                        continue;
                }
                if (is_el(c, NS_ATOM, "id")) {
                        set_once(&e->id, element_text(c, CONTENT_PLAIN, false, ID_CAP));
                } else if (is_el(c, NS_ATOM, "title")) {
                        set_once(&e->title, element_text(c, atom_kind(c), false,
                                                         FEED_MAX_TITLE));
                } else if (is_el(c, NS_ATOM, "link")) {
                        atom_link(e, c, &best_link);
                } else if (is_el(c, NS_ATOM, "summary")) {
                        set_once(&e->summary, element_text(c, atom_kind(c), true,
                                                           FEED_MAX_DESCRIPTION));
                } else if (is_el(c, NS_ATOM, "content")) {
                        char *src = attr(c, "src");

                        if (src == NULL)
                                set_once(&e->content, element_text(c, atom_kind(c), true,
                                                                   FEED_MAX_DESCRIPTION));
                        free(src);
                } else if (is_el(c, NS_ATOM, "published")) {
                        char *t = element_text(c, CONTENT_PLAIN, false, 64);

                        if (e->published == TIME_UNKNOWN)
                                e->published = parse_date_text(t);
                        free(t);
                } else if (is_el(c, NS_ATOM, "updated")) {
                        char *t = element_text(c, CONTENT_PLAIN, false, 64);

                        if (e->updated == TIME_UNKNOWN)
                                e->updated = parse_date_text(t);
                        free(t);
                } else if (is_el(c, NS_ATOM, "category")) {
                        char *term = attr(c, "term"), *label = attr(c, "label");
                        char *scheme = attr(c, "scheme");
                        char code[9];

                        /* a CPV term wins; otherwise the label reads better */
                        if (term != NULL && cpv_code(term, code))
                                add_category(e, term, scheme);
                        else
                                add_category(e, label && *label ? label : term, scheme);
                        free(term);
                        free(label);
                        free(scheme);
                } else if (is_el(c, NS_ATOM, "author") && e->buyer == NULL) {
                        e->buyer = child_text(c, NS_ATOM, "name", FEED_MAX_TITLE);
                }
        }
}

/* RSS 2.0 (core_ns NULL) or RSS 1.0 (core_ns NS_RSS10) <item>. */
static void
rss_item(struct entry *e, const xmlNode *item, const char *core_ns)
{
        char *guid = NULL, *dc_id = NULL;
        bool guid_permalink = true;
        int best_link = 0;

        if (core_ns != NULL) {          /* RSS 1.0: rdf:about is the id */
                for (const xmlAttr *a = item->properties; a != NULL; a = a->next)
                        if (a->ns && a->ns->href &&
                            strcmp((const char *)a->ns->href, NS_RDF) == 0 &&
                            strcmp((const char *)a->name, "about") == 0 &&
                            a->children && a->children->content)
                                set_once(&guid, plain_line(
                                        (const char *)a->children->content, ID_CAP));
        }
        for (const xmlNode *c = item->children; c != NULL; c = c->next) {
                const char *nm = (const char *)c->name;

                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if (ns_is(c, core_ns)) {
                        if (strcmp(nm, "title") == 0) {
                                set_once(&e->title, element_text(c, CONTENT_HTML, false,
                                                                 FEED_MAX_TITLE));
                        } else if (strcmp(nm, "link") == 0) {
                                set_once(&e->link, clean_url(element_text(
                                        c, CONTENT_PLAIN, false, FEED_MAX_URL + 1)));
                        } else if (strcmp(nm, "description") == 0) {
                                set_once(&e->summary, element_text(c, CONTENT_HTML, true,
                                                                   FEED_MAX_DESCRIPTION));
                        } else if (strcmp(nm, "guid") == 0 && guid == NULL) {
                                char *pl = attr(c, "isPermaLink");

                                guid_permalink = pl == NULL || strcmp(pl, "true") == 0;
                                free(pl);
                                guid = element_text(c, CONTENT_PLAIN, false, ID_CAP);
                        } else if (strcmp(nm, "pubDate") == 0) {
                                char *t = element_text(c, CONTENT_PLAIN, false, 64);

                                if (e->published == TIME_UNKNOWN)
                                        e->published = parse_date_text(t);
                                free(t);
                        } else if (strcmp(nm, "category") == 0) {
                                char *t = element_text(c, CONTENT_PLAIN, false, MAX_CATEGORY);
                                char *domain = attr(c, "domain");

                                add_category(e, t, domain);
                                free(t);
                                free(domain);
                        }
                } else if (ns_is(c, NS_DC)) {
                        char *t = element_text(c, CONTENT_PLAIN, false,
                                               strcmp(nm, "identifier") == 0 ?
                                               ID_CAP : FEED_MAX_TITLE);

                        if (strcmp(nm, "date") == 0) {
                                if (e->published == TIME_UNKNOWN)
                                        e->published = parse_date_text(t);
                        } else if (strcmp(nm, "subject") == 0) {
                                add_category(e, t, NULL);
                        } else if (strcmp(nm, "identifier") == 0) {
                                set_once(&dc_id, t), t = NULL;
                        } else if (strcmp(nm, "publisher") == 0) {
                                set_once(&e->buyer, t), t = NULL;
                        } else if (strcmp(nm, "creator") == 0) {
                                set_once(&e->creator, t), t = NULL;
                        }
                        free(t);
                } else if (ns_is(c, NS_DCTERMS)) {
                        char *t = element_text(c, CONTENT_PLAIN, false, 64);

                        if (strcmp(nm, "modified") == 0 && e->updated == TIME_UNKNOWN)
                                e->updated = parse_date_text(t);
                        else if ((strcmp(nm, "issued") == 0 || strcmp(nm, "created") == 0) &&
                                 e->published == TIME_UNKNOWN)
                                e->published = parse_date_text(t);
                        free(t);
                } else if (ns_is(c, NS_CONTENT)) {
                        if (strcmp(nm, "encoded") == 0)
                                set_once(&e->content, element_text(c, CONTENT_HTML, true,
                                                                   FEED_MAX_DESCRIPTION));
                } else if (ns_is(c, NS_ATOM)) {
                        if (strcmp(nm, "updated") == 0 || strcmp(nm, "published") == 0) {
                                char *t = element_text(c, CONTENT_PLAIN, false, 64);
                                int64_t *slot = nm[0] == 'u' ? &e->updated : &e->published;

                                if (*slot == TIME_UNKNOWN)
                                        *slot = parse_date_text(t);
                                free(t);
                        } else if (strcmp(nm, "link") == 0 && e->link == NULL) {
                                atom_link(e, c, &best_link);
                        }
                } else if (!ns_is(c, NS_RDF) && !ns_is(c, NULL)) {
                        extension(e, c);
                }
        }
        if (guid != NULL) {
                set_once(&e->id, guid);
                if (e->link == NULL && guid_permalink)
                        e->link = clean_url(xstrdup(e->id));
        }
        set_once(&e->id, dc_id);
}

/* Serialise node into *ret (NULL if larger than max). */
static char *
serialise(xmlDocPtr doc, const xmlNode *node, size_t max)
{
        xmlBufferPtr xb = xmlBufferCreate();
        char *r = NULL;
        int n;

        if (xb == NULL)
                return NULL;
        n = xmlNodeDump(xb, doc, (xmlNodePtr)node, 0, 0);
        if (n >= 0 && (size_t)xmlBufferLength(xb) <= max)
                r = xstrndup((const char *)xmlBufferContent(xb), (size_t)xmlBufferLength(xb));
        xmlBufferFree(xb);
        return r;
}

struct feed_meta {
        const char *name, *source, *kind;
        char       *buyer;              /* feed-level author / publisher */
        bool        capped;             /* FEED_MAX_ENTRIES reached */
};

/* Build the opportunity from e and append it to page, or reject it. */
static void
emit(struct ocds_page *page, const struct feed_meta *m, struct entry *e,
     xmlDocPtr doc, const xmlNode *node)
{
        struct opportunity o;
        const char *desc;
        size_t idx = page->nreleases++;
        char *raw;

        if (e->id == NULL && e->link != NULL)
                e->id = xstrdup(e->link);
        if (e->bad == NULL && e->id == NULL)
                e->bad = "no id, guid or link";
        if (e->bad == NULL && strlen(e->id) > FEED_MAX_ID)
                e->bad = "id longer than the limit";
        if (e->bad == NULL && e->title == NULL && e->summary == NULL && e->content == NULL)
                e->bad = "no title and no text";
        raw = e->bad == NULL ? serialise(doc, node, FEED_MAX_ENTRY_BYTES) : NULL;
        if (e->bad == NULL && raw == NULL)
                e->bad = "entry larger than the limit";
        if (e->bad != NULL) {
                diag_add(&page->rejected, NULL, 0, "%s: entry %zu (id %.200s): %s",
                         m->name, idx + 1, e->id ? e->id : "?", e->bad);
                free(raw);
                return;
        }
        opportunity_init(&o);
        o.source = xstrdup(m->source);
        o.notice_id = e->id, e->id = NULL;
        o.release_id = xstrdup(o.notice_id);
        o.notice_type = xstrdup(m->kind);
        o.stage = STAGE_TENDER;
        o.status = STATUS_ACTIVE;
        desc = e->content ? e->content : e->summary;
        o.title = e->title ? e->title : plain_line(desc, 120);
        e->title = NULL;
        o.description = xstrdup(desc);
        /* the buyer: the entry's publisher/author, the feed's, then dc:creator */
        if (e->buyer != NULL)
                o.buyer_name = e->buyer, e->buyer = NULL;
        else if (m->buyer != NULL)
                o.buyer_name = xstrdup(m->buyer);
        else
                o.buyer_name = e->creator, e->creator = NULL;
        o.url = e->link, e->link = NULL;
        o.published = e->published != TIME_UNKNOWN ? e->published : e->updated;
        o.updated = e->updated != TIME_UNKNOWN ? e->updated : e->published;
        o.deadline = e->deadline;
        /* a minimum alone bounds nothing from above: not a stated value */
        if (e->value_stated && e->value_max != VALUE_NONE) {
                o.value_stated = true;
                o.value_max = e->value_max;
                if (e->value_min != VALUE_NONE && e->value_min <= e->value_max)
                        o.value_min = e->value_min;
                memcpy(o.currency, e->currency, 4);
        }
        strv_copy(&o.cpv, &e->cpv);
        strv_copy(&o.item_descriptions, &e->categories);
        o.raw = raw;
        page->opps = xreallocarray(page->opps, page->n + 1, sizeof(*page->opps));
        page->opps[page->n++] = o;
}

static bool
room_for_entry(struct ocds_page *page, struct feed_meta *m)
{
        if (page->nreleases < FEED_MAX_ENTRIES)
                return true;
        if (!m->capped) {
                diag_add(&page->rejected, NULL, 0, "%s: more than %d entries: the rest "
                         "are ignored", m->name, FEED_MAX_ENTRIES);
                m->capped = true;
        }
        return false;
}

static void
parse_atom(const xmlNode *root, xmlDocPtr doc, struct feed_meta *m, struct ocds_page *page)
{
        for (const xmlNode *c = root->children; c != NULL; c = c->next)
                if (is_el(c, NS_ATOM, "author") && m->buyer == NULL)
                        m->buyer = child_text(c, NS_ATOM, "name", FEED_MAX_TITLE);
        for (const xmlNode *c = root->children; c != NULL; c = c->next) {
                struct entry e;

                if (!is_el(c, NS_ATOM, "entry"))
                        continue;
                if (!room_for_entry(page, m))
                        break;
                entry_init(&e);
                atom_entry(&e, c);
                emit(page, m, &e, doc, c);
                entry_done(&e);
        }
}

static void
rss_channel_meta(const xmlNode *channel, struct feed_meta *m)
{
        for (const xmlNode *c = channel->children; c != NULL; c = c->next)
                if (is_el(c, NS_DC, "publisher") || (m->buyer == NULL &&
                                                     is_el(c, NS_DC, "creator"))) {
                        free(m->buyer);
                        m->buyer = element_text(c, CONTENT_PLAIN, false, FEED_MAX_TITLE);
                }
}

static void
parse_rss_items(const xmlNode *parent, xmlDocPtr doc, const char *core_ns,
                struct feed_meta *m, struct ocds_page *page)
{
        for (const xmlNode *c = parent->children; c != NULL; c = c->next) {
                struct entry e;

                if (!is_el(c, core_ns, "item"))
                        continue;
                if (!room_for_entry(page, m))
                        break;
                entry_init(&e);
                rss_item(&e, c, core_ns);
                emit(page, m, &e, doc, c);
                entry_done(&e);
        }
}

static const struct xml_limits shape_limits = {
        .max_attrs = FEED_MAX_ATTRS, .max_elements = FEED_MAX_ELEMENTS,
        .max_depth = FEED_MAX_DEPTH, .max_text = FEED_MAX_TEXT,
};

int
feed_parse(const char *name, const char *source, const char *data, size_t len,
           struct ocds_page *page, struct err *err)
{
        struct feed_meta m = { .name = name ? name : "feed", .source = source };
        xmlDocPtr doc;
        xmlNodePtr root;
        int r = 0;

        if (source == NULL || data == NULL)
                return err_set(err, -EINVAL, "%s: no data", m.name);
        if (len > FEED_MAX_BYTES)
                return err_set(err, -EINVAL, "%s: feed too large (%zu bytes, the limit is "
                               "%d MiB)", m.name, len, FEED_MAX_BYTES >> 20);
        if (len == 0)
                return err_set(err, -EINVAL, "%s: empty document", m.name);
        if (xml_shape_check(m.name, data, len, &shape_limits, err) < 0)
                return -EINVAL;
        doc = parse_xml(m.name, data, len, err);
        if (doc == NULL)
                return -EINVAL;
        root = xmlDocGetRootElement(doc);
        if (root == NULL) {
                r = err_set(err, -EINVAL, "%s: no root element", m.name);
        } else if (is_el(root, NS_ATOM, "feed")) {
                m.kind = "atom";
                parse_atom(root, doc, &m, page);
        } else if (is_el(root, NULL, "rss")) {
                const xmlNode *ch = NULL;

                for (const xmlNode *c = root->children; c != NULL && ch == NULL; c = c->next)
                        if (is_el(c, NULL, "channel"))
                                ch = c;
                if (ch == NULL) {
                        r = err_set(err, -EINVAL, "%s: RSS document without <channel>",
                                    m.name);
                } else {
                        m.kind = "rss";
                        rss_channel_meta(ch, &m);
                        parse_rss_items(ch, doc, NULL, &m, page);
                }
        } else if (is_el(root, NS_RDF, "RDF")) {
                m.kind = "rss";
                for (const xmlNode *c = root->children; c != NULL; c = c->next)
                        if (is_el(c, NS_RSS10, "channel"))
                                rss_channel_meta(c, &m);
                parse_rss_items(root, doc, NS_RSS10, &m, page);
        } else {
                r = err_set(err, -EINVAL, "%s: not an Atom or RSS feed (root element <%.60s>%s%.100s%s)",
                            m.name, (const char *)root->name,
                            root->ns && root->ns->href ? " in namespace " : "",
                            root->ns && root->ns->href ? (const char *)root->ns->href : "",
                            "");
        }
        free(m.buyer);
        xmlFreeDoc(doc);
        return r;
}
