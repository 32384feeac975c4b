/*
 * xmlshape.h — a linear pre-scan of an XML document's shape (private to
 * daemon/ingest/; used by feed.c before libxml2 sees a document).
 *
 * libxml2 2.9.14 spends time quadratic in the number of attributes of one
 * element (60,000 attributes: 37 s of CPU), so hostile shapes are refused
 * here, in one pass over the bytes, before any parser runs: attributes per
 * element, elements, depth, and the length of a text run or attribute
 * value.  The scan follows the XML grammar only as far as needed to find
 * tags (comments, CDATA, processing instructions, a DOCTYPE with its
 * internal subset, quoted attribute values); where the document stops being
 * well-formed the scan stops and says nothing, and libxml2, which feed.c
 * stops at its first fatal error, reports the problem.  Never logs.
 */
#ifndef BIDBROKER_XMLSHAPE_H
#define BIDBROKER_XMLSHAPE_H

#include <stddef.h>

struct err;

struct xml_limits {
        size_t max_attrs;               /* attributes (xmlns ones too) of one element */
        size_t max_elements;            /* elements in the document */
        size_t max_depth;               /* nesting of elements */
        size_t max_text;                /* bytes of one text run, CDATA section or attribute value */
};

/* 0 when data (len bytes) keeps within lim, or -EINVAL with err set to
 * "NAME: refused: element <entry> at line L has more than 256 attributes"
 * and the like.  Documents in UTF-16 (by their first bytes, as libxml2
 * detects them) are read as UTF-8 for the scan; UCS-4, EBCDIC and an XML
 * declaration naming an encoding that is not ASCII-compatible (UTF-7,
 * ISO-2022, ...) are refused, since the scan could not see their tags. */
int xml_shape_check(const char *name, const char *data, size_t len,
                    const struct xml_limits *lim, struct err *err);

#endif
