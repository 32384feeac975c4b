/*
 * fuzz_region.c — regions and postcodes as notices and members write them:
 * region_parse(), region_code_normalise(), region_name(),
 * region_list_simplify() / region_list_matches(), the postcode functions,
 * and the register's region_normalise().  The input is one string (up to
 * the first NUL); inputs with a ',' are split and each item tried.
 * Invariants: region_parse() adds only valid ITL codes, no duplicates, and
 * only for REGION_CODES; a normalised code is valid; a postcode's region is
 * its area's region.
 */
#include "bidbroker/members.h"
#include "bidbroker/region.h"
#include "bidbroker/util.h"
#include "fuzz.h"

static void
one(const char *s)
{
        struct strv out, mine;
        char code[REGION_CODE_MAX], area[3];
        enum region_kind k;
        const char *why = NULL, *pr;
        char *norm;

        strv_init(&out);
        k = region_parse(s, &out);
        if (k != REGION_CODES && out.n != 0)
                fuzz_fail("region_parse added %zu codes for kind %d", out.n, (int)k);
        for (size_t i = 0; i < out.n; i++) {
                if (!region_code_valid(out.v[i]))
                        fuzz_fail("region_parse added invalid code '%s'", out.v[i]);
                for (size_t j = 0; j < i; j++)
                        if (strcmp(out.v[i], out.v[j]) == 0)
                                fuzz_fail("region_parse added '%s' twice", out.v[i]);
                (void)region_name(out.v[i]);
                (void)region_overlaps(out.v[i], out.v[0]);
        }
        (void)region_list_matches(&out, false, "UKG");
        if (out.n > 0)
                (void)region_list_matches(&out, false, out.v[out.n - 1]);
        region_list_simplify(&out);
        strv_done(&out);

        if (region_code_normalise(s, code) == 0) {
                fuzz_assert(memchr(code, '\0', sizeof(code)) != NULL);
                if (!region_code_valid(code))
                        fuzz_fail("region_code_normalise gave invalid '%s'", code);
        }
        (void)region_code_valid(s);
        (void)region_name(s);

        (void)postcode_valid(s);
        if (postcode_area(s, area) == 0) {
                fuzz_assert(memchr(area, '\0', sizeof(area)) != NULL);
                pr = postcode_region(s);
                if (pr != postcode_area_region(area))
                        fuzz_fail("postcode_region('%s') is not its area's region", s);
        } else {
                (void)postcode_region(s);
        }
        (void)postcode_area_region(s);
        norm = postcode_normalise(s);
        free(norm);

        strv_init(&mine);
        if (region_normalise(s, &mine, &why) == 0) {
                fuzz_assert(mine.n > 0);
        } else {
                fuzz_assert(why != NULL);
        }
        strv_done(&mine);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s;

        if (size > 4096)
                return 0;
        s = fuzz_strndup(data, size);
        one(s);
        if (strchr(s, ',') != NULL) {
                struct strv items;

                strv_init(&items);
                str_split(s, ',', &items);
                for (size_t i = 0; i < items.n; i++)
                        one(items.v[i]);
                strv_done(&items);
        }
        free(s);
        return 0;
}
