/*
 * fuzz_config.c — config_load() of arbitrary bytes as bidbroker.conf (the
 * whole path: ini reading, every section's schema, source defaults and
 * checks).  The input is an anonymous memory file named /proc/self/fd/N.
 * Invariants: a config is returned exactly when no error was reported.
 */
#include "bidbroker/config.h"
#include "bidbroker/err.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct config *c = NULL;
        struct diag d;
        char path[64];
        int fd, r;

        fd = fuzz_memfile(data, size, path, sizeof(path));
        if (fd < 0)
                return 0;
        diag_init(&d);
        r = config_load(path, &c, &d);
        if (r == 0) {
                fuzz_assert(c != NULL);
                fuzz_assert(diag_count(&d) == 0);
                for (size_t i = 0; i < c->nsources; i++)
                        fuzz_assert(config_source(c, c->sources[i].name) != NULL);
        } else {
                fuzz_assert(c == NULL);
                fuzz_assert(diag_count(&d) > 0);
        }
        config_free(c);
        diag_done(&d);
        close(fd);
        return 0;
}
