/*
 * fuzz_member.c — member_load_file() of arbitrary bytes as one member file
 * ([member] section: contacts, regions, capabilities, rules, values,
 * digest day).  It takes a path: the input is an anonymous memory file
 * named /proc/self/fd/1000 (so a valid file says id = 1000).  It is loaded
 * twice: without a taxonomy (as check-config does when the taxonomy itself
 * is broken), and against the capability ids of conf/capabilities.conf.
 * Invariants: a member is returned exactly when no error was reported; the
 * canonical text member_format() writes of a member loaded against the
 * taxonomy loads back as an equal member (what `members import` relies on).
 */
#include <errno.h>

#include "bidbroker/err.h"
#include "bidbroker/members.h"
#include "bidbroker/util.h"
#include "fuzz.h"

static void
load(int fd, const char *path, const struct taxonomy *tx)
{
        struct member *m = NULL, *again = NULL, copy;
        struct diag d;

        diag_init(&d);
        if (member_load_file(path, tx, &m, &d) == 0) {
                fuzz_assert(m != NULL && diag_count(&d) == 0);
                member_copy(&copy, m);
                fuzz_assert(member_equal(&copy, m));
                member_done(&copy);
        } else {
                fuzz_assert(m == NULL && diag_count(&d) > 0);
        }
        if (m != NULL && tx != NULL) {
                struct buf b;

                /* write the canonical text over the same file and load it again */
                buf_init(&b);
                member_format(m, &b);
                if (ftruncate(fd, 0) < 0 || pwrite(fd, b.data, b.len, 0) != (ssize_t)b.len)
                        abort();
                if (member_load_file(path, tx, &again, &d) != 0) {
                        fprintf(stderr, "%s---\n", b.data);
                        diag_print(&d, stderr);
                        fuzz_fail("member_format() output does not load");
                }
                if (!member_equal(m, again)) {
                        fprintf(stderr, "%s", b.data);
                        fuzz_fail("member_format() output loads as a different member");
                }
                buf_done(&b);
        }
        member_free(again);
        member_free(m);
        diag_done(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* the ids of conf/capabilities.conf; only ids are looked at here */
        struct capability caps[] = {
                { .id = (char *)"cleaning" }, { .id = (char *)"catering" },
                { .id = (char *)"building-works" }, { .id = (char *)"grounds" },
                { .id = (char *)"training" }, { .id = (char *)"care" },
                { .id = (char *)"events" }, { .id = (char *)"print-design" },
                { .id = (char *)"waste-recycling" }, { .id = (char *)"security" },
                { .id = (char *)"transport" }, { .id = (char *)"it-support" },
        };
        struct taxonomy tx = { .caps = caps, .ncaps = ARRAY_SIZE(caps) };
        char path[64];
        int fd;

        if (size > 65536)
                return 0;
        fd = fuzz_memfile(data, size, path, sizeof(path));
        if (fd < 0)
                return 0;
        load(fd, path, NULL);
        load(fd, path, &tx);
        close(fd);
        return 0;
}
