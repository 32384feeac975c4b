/*
 * links.h — the same tender published on two sources (Contracts Finder and
 * Find a Tender) as one opportunity with two records (daemon/store/links.c,
 * tables link_key, link_ref and link; migration 4; docs/store.md "Links").
 *
 * store_put() links a new or changed tender-stage notice of source "cf" or
 * "fts" to its counterpart on the other source when
 *  - ids: one cites the other (a Find a Tender notice URL or "2022/S
 *    000-029179" reference, an ocid of the other source, a Contracts Finder
 *    notice URL) and their deadlines are within a day of each other (or one
 *    is unknown), or
 *  - buyer+title+deadline: the same title (case, punctuation and spacing
 *    folded), buyers that agree (folded, "Ltd"/"Council"/"the" dropped, one
 *    name's words all in the other) and deadlines within an hour.
 * The Contracts Finder record is the canonical one whatever the order they
 * arrive in; the Find a Tender record is its duplicate: the matching pass
 * skips it, list shows the canonical once; a cancellation or award of the
 * duplicate closes the canonical one for matching.  A notice that says it
 * is cancelled is never linked (it closes its tender instead).  A link is kept when a later
 * release changes title or deadline; only an id cross-reference to another
 * record replaces a link made by the text rule.
 */
#ifndef BIDBROKER_LINKS_H
#define BIDBROKER_LINKS_H

#include <stdbool.h>
#include <stdint.h>

struct err;
struct store;

#define LINK_RULE_IDS  "ids"
#define LINK_RULE_TEXT "buyer+title+deadline"

struct store_link {
        int64_t  id;            /* the other record of the same tender */
        char    *source;        /* its source ("cf", "fts") and notice id */
        char    *notice_id;
        char    *rule;          /* LINK_RULE_IDS or LINK_RULE_TEXT */
        bool     other_is_canonical;    /* the record asked about is the duplicate */
};
void store_link_init(struct store_link *l);
void store_link_done(struct store_link *l);     /* frees; l reusable after init */

/* 1 with *l filled (freed first) when opportunity id is linked to another
 * record, 0 when it is not, or -errno with err set. */
int store_link_get(struct store *s, int64_t id, struct store_link *l, struct err *err);

/* What a link says about matching opportunity id: LINK_NONE (nothing: the
 * filter decides), LINK_DUPLICATE (the other source's record of a tender:
 * matched as its canonical one; why = "same tender as N") or
 * LINK_OTHER_CLOSED (a canonical record whose duplicate is cancelled,
 * awarded or complete, e.g. by a Find a Tender UK12: the tender is closed;
 * why = "closed on the other source (N)").  why gets LINK_WHY_MAX bytes;
 * -errno with err set. */
enum link_verdict { LINK_NONE = 0, LINK_DUPLICATE, LINK_OTHER_CLOSED };
#define LINK_WHY_MAX 64
int store_link_verdict(struct store *s, int64_t id, char why[LINK_WHY_MAX], struct err *err);

/* How many links store_put() made on this connection so far; a caller takes
 * the difference around a batch to report "N linked". */
uint64_t store_links_made(const struct store *s);

#endif
