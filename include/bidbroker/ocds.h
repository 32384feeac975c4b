/*
 * ocds.h — parse OCDS JSON (jansson) into normalised opportunities.
 *
 * Reads the three real shapes: a Contracts Finder search page
 * ({"releases": [...], "links": {"next": ...}}), a legacy single Contracts
 * Finder release package, and Find a Tender release packages.  The source
 * ("cf" or "fts") is recognised from the ocid prefix / package uri.
 *
 * A document that is not JSON at all (truncated, invalid) is rejected whole,
 * with line and column.  A release that is malformed (wrong types, missing id)
 * is rejected on its own with its index, id and reason; the others are kept.
 * Never logs.
 */
#ifndef BIDBROKER_OCDS_H
#define BIDBROKER_OCDS_H

#include <stddef.h>

#include "bidbroker/err.h"

struct opportunity;

struct ocds_page {
        struct opportunity *opps;       /* one per accepted release, in document order */
        size_t              n;
        size_t              nreleases;  /* releases seen, accepted + rejected */
        struct diag         rejected;   /* "NAME: release 12 (id X): reason" */
        char               *next;       /* links.next, or NULL */
};

void ocds_page_init(struct ocds_page *p);
void ocds_page_done(struct ocds_page *p);       /* frees every opportunity */

/* Parse data (len bytes, need not be NUL-terminated).  name is used in
 * messages (a file name or "fts window 2026-04-10T00:00Z..06:00Z").
 * 0 on success (some releases may still be rejected: see page->rejected);
 * -EINVAL with err set when the document as a whole is unusable. */
int ocds_parse(const char *name, const char *data, size_t len,
               struct ocds_page *page, struct err *err);

#endif
