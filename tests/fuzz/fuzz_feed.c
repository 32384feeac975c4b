/*
 * fuzz_feed.c — feed_parse() (Atom, RSS 2.0, RSS 1.0/RDF through libxml2
 * with no entities, no DTD, size limits) over arbitrary bytes.
 * Invariants: at most FEED_MAX_ENTRIES entries; text fields valid UTF-8 and
 * within the documented caps.
 */
#include "bidbroker/err.h"
#include "bidbroker/feed.h"
#include "bidbroker/ocds.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/text.h"
#include "bidbroker/utf8.h"
#include "fuzz.h"

static void
check_text(const char *what, const char *s, size_t max)
{
        size_t len;

        if (s == NULL)
                return;
        len = strlen(s);
        if (!utf8_valid(s, len))
                fuzz_fail("%s is not valid UTF-8", what);
        if (len > max)
                fuzz_fail("%s is %zu bytes, over its cap of %zu", what, len, max);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct ocds_page page;
        struct err err = { 0 };

        ocds_page_init(&page);
        if (feed_parse("fuzz", "feed:fuzz", (const char *)data, size, &page, &err) == 0) {
                fuzz_assert(page.n <= FEED_MAX_ENTRIES);
                for (size_t i = 0; i < page.n; i++) {
                        const struct opportunity *o = &page.opps[i];

                        fuzz_assert(o->notice_id != NULL);
                        fuzz_assert(strlen(o->notice_id) <= FEED_MAX_ID);
                        check_text("title", o->title, FEED_MAX_TITLE);
                        check_text("description", o->description, FEED_MAX_DESCRIPTION);
                        check_text("buyer_name", o->buyer_name, FEED_MAX_TITLE);
                }
        } else {
                fuzz_assert(err.msg[0] != '\0');
        }
        ocds_page_done(&page);
        return 0;
}
