/*
 * fuzz_ocds.c — ocds_parse() over arbitrary bytes (Contracts Finder search
 * pages, legacy releases, Find a Tender packages), then every accepted
 * opportunity through opportunity_to_json() as `list --json` would.
 * Invariants: accepted <= releases seen; text fields are valid UTF-8.
 */
#include <jansson.h>

#include "bidbroker/err.h"
#include "bidbroker/ocds.h"
#include "bidbroker/oppjson.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/text.h"
#include "bidbroker/utf8.h"
#include "fuzz.h"

static void
check_text(const char *what, const char *s)
{
        if (s != NULL && !utf8_valid(s, strlen(s)))
                fuzz_fail("%s is not valid UTF-8", what);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct ocds_page page;
        struct err err = { 0 };

        ocds_page_init(&page);
        if (ocds_parse("fuzz", (const char *)data, size, &page, &err) == 0) {
                fuzz_assert(page.n <= page.nreleases);
                for (size_t i = 0; i < page.n; i++) {
                        const struct opportunity *o = &page.opps[i];
                        json_t *j;
                        char *s;

                        check_text("title", o->title);
                        check_text("description", o->description);
                        check_text("buyer_name", o->buyer_name);
                        for (size_t k = 0; k < o->lot_titles.n; k++)
                                check_text("lot title", o->lot_titles.v[k]);
                        j = opportunity_to_json(o, true);
                        fuzz_assert(j != NULL);
                        s = json_dumps(j, JSON_COMPACT);
                        free(s);
                        json_decref(j);
                }
        } else {
                fuzz_assert(err.msg[0] != '\0');
        }
        ocds_page_done(&page);
        return 0;
}
