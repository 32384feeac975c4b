/*
 * fuzz_member.c — member_load_file() of arbitrary bytes as one member file
 * ([member] section: contacts, regions, capabilities, rules, values,
 * digest day).  It takes a path: the input is an anonymous memory file
 * named /proc/self/fd/1000 (so a valid file says id = 1000).  No taxonomy is
 * given, so capability ids are not checked against one.
 * Invariants: a member is returned exactly when no error was reported; the
 * canonical text member_format() writes loads back as an equal member
 * (what `members import` relies on).
 */
#include <errno.h>

#include "bidbroker/err.h"
#include "bidbroker/register.h"
#include "bidbroker/util.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct member *m = NULL, *again = NULL, copy;
        struct diag d;
        char path[64];
        int fd;

        if (size > 65536)
                return 0;
        fd = fuzz_memfile(data, size, path, sizeof(path));
        if (fd < 0)
                return 0;
        diag_init(&d);
        if (member_load_file(path, NULL, &m, &d) == 0) {
                struct buf b;

                fuzz_assert(m != NULL && diag_count(&d) == 0);
                member_init(&copy);
                member_copy(&copy, m);
                fuzz_assert(member_equal(&copy, m));
                member_done(&copy);

                /* write the canonical text over the same file and load it again */
                buf_init(&b);
                member_format(m, &b);
                if (ftruncate(fd, 0) < 0 || pwrite(fd, b.data, b.len, 0) != (ssize_t)b.len)
                        abort();
                if (member_load_file(path, NULL, &again, &d) != 0) {
                        fprintf(stderr, "%s---\n", b.data);
                        diag_print(&d, stderr);
                        fuzz_fail("member_format() output does not load");
                }
                if (!member_equal(m, again)) {
                        fprintf(stderr, "%s", b.data);
                        fuzz_fail("member_format() output loads as a different member");
                }
                buf_done(&b);
        } else {
                fuzz_assert(m == NULL && diag_count(&d) > 0);
        }
        member_free(again);
        member_free(m);
        diag_done(&d);
        close(fd);
        return 0;
}
