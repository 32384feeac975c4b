/*
 * ocds_fixture.h — parse a real page from tests/fixtures/ocds/ for the unit
 * tests (test_ocds, test_scale): the one loader they share.
 */
#ifndef BIDBROKER_OCDS_FIXTURE_H
#define BIDBROKER_OCDS_FIXTURE_H

#include <stdlib.h>

#include "testutil.h"

#include "bidbroker/err.h"
#include "bidbroker/ocds.h"
#include "bidbroker/util.h"

/* Parse tests/fixtures/ocds/FILE into p (ocds_page_init'ed here; the caller
 * frees it with ocds_page_done).  Fails the test on any error. */
static inline void
ocds_fixture_load(const char *file, struct ocds_page *p)
{
        char *path = xasprintf("%s/ocds/%s", fixtures_dir(), file);
        char *data;
        size_t len;
        struct err e = { 0 };

        assert_int_equal(read_file(path, 16u << 20, &data, &len), 0);
        ocds_page_init(p);
        if (ocds_parse(file, data, len, p, &e) != 0)
                fail_msg("%s: %s", path, e.msg);
        free(data);
        free(path);
}

#endif
