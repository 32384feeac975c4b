/*
 * feed.h — Atom and RSS 2.0 feeds of buyer portals (libxml2), parsed with no
 * network access, no entity expansion, no DTD loading and size limits.
 * Entries become opportunities with what the feed carries (title, link,
 * summary, dates, categories; value/deadline/CPV only when stated).
 * Never logs.
 */
#ifndef BIDBROKER_FEED_H
#define BIDBROKER_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "bidbroker/ocds.h"     /* struct ocds_page: a page of opportunities */

/* Limits on what a feed may carry.  Longer text fields are cut (at a UTF-8
 * character boundary); an entry over FEED_MAX_ENTRY_BYTES or with an id over
 * FEED_MAX_ID is rejected; entries past FEED_MAX_ENTRIES are ignored (noted
 * in page->rejected). */
#define FEED_MAX_BYTES          (16 << 20)      /* the whole document */
#define FEED_MAX_ENTRIES        5000
#define FEED_MAX_ENTRY_BYTES    (1 << 20)       /* one entry's serialised XML (raw) */
#define FEED_MAX_TITLE          1000
#define FEED_MAX_DESCRIPTION    (64 << 10)
#define FEED_MAX_ID             1024
#define FEED_MAX_URL            2048
/* The shape of the document, checked in one linear pass before libxml2
 * parses it (libxml2 is quadratic in attributes per element): a document
 * over any of these is refused as a whole.  Real feeds stay far below:
 * under 20 attributes on an element, a depth under 20, some 30 elements
 * per entry (FEED_MAX_ENTRIES of them would be 150,000), and text well
 * under FEED_MAX_ENTRY_BYTES. */
#define FEED_MAX_ATTRS          256             /* attributes of one element */
#define FEED_MAX_ELEMENTS       250000          /* elements in the document */
#define FEED_MAX_DEPTH          100             /* nesting of elements */
#define FEED_MAX_TEXT           (4 << 20)       /* one text run, CDATA section or attribute value */

/* Parse an Atom or RSS document into page (initialised by the caller).
 * source names the feed ("feed:NAME").  0, or -EINVAL with err set when the
 * document is unusable (not XML, a DTD/entity declaration, too large, a
 * shape over the limits above: "NAME: refused: element <entry> at line 3
 * has more than 256 attributes"). */
int feed_parse(const char *name, const char *source, const char *data, size_t len,
               struct ocds_page *page, struct err *err);

#endif
