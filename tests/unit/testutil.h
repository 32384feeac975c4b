/*
 * testutil.h — shared by the cmocka unit tests: cmocka's headers in the
 * order it needs them, and where the fixtures are.
 */
#ifndef BIDBROKER_TESTUTIL_H
#define BIDBROKER_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* The library's assert()s state its contracts: the tests run with them. */
#ifdef NDEBUG
#error "the tests are built without assert() (NDEBUG)"
#endif

/* Directory of tests/fixtures, from $FIXTURES or relative to the repo root. */
static inline const char *
fixtures_dir(void)
{
        const char *f = getenv("FIXTURES");

        return f ? f : "tests/fixtures";
}

#endif
