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

/* A new directory /tmp/NAME.XXXXXX in dir (64 bytes), and its removal with
 * everything in it. */
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>

static inline void
test_tmpdir(char dir[64], const char *name)
{
        snprintf(dir, 64, "/tmp/%s.XXXXXX", name);
        assert_non_null(mkdtemp(dir));
}

static inline int
test_rm_one_(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
        (void)sb; (void)flag; (void)ftw;
        return remove(p);
}

static inline void
test_rmtree(const char *dir)
{
        nftw(dir, test_rm_one_, 8, FTW_DEPTH | FTW_PHYS);
}

#endif
