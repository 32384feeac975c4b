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

#include "bidbroker/ocds.h"     /* struct ocds_page: a page of opportunities */

/* Parse an Atom or RSS document into page (initialised by the caller).
 * source names the feed ("feed:NAME").  0, or -EINVAL with err set when the
 * document is unusable (not XML, a DTD/entity declaration, too large). */
int feed_parse(const char *name, const char *source, const char *data, size_t len,
               struct ocds_page *page, struct err *err);

#endif
