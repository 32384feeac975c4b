/*
 * fuzz_cpvref.c — cpvref_load() of arbitrary bytes as the CPV 2008
 * reference list ([match] cpv_reference, a JSON array of {code, version,
 * name}), then lookups of a few codes and prefixes.  It takes a path: the
 * input is an anonymous memory file named /proc/self/fd/N.
 */
#include "bidbroker/cpvref.h"
#include "bidbroker/err.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const probes[] = { "9", "90", "9091", "90911200", "45000000",
                                              "", "0", "99999999", "909112001" };
        struct cpvref *r = NULL;
        struct err err = { 0 };
        char path[64];
        int fd;

        fd = fuzz_memfile(data, size, path, sizeof(path));
        if (fd < 0)
                return 0;
        if (cpvref_load(path, &r, &err) == 0) {
                fuzz_assert(r != NULL);
                (void)cpvref_count(r);
                for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
                        (void)cpvref_name(r, probes[i]);
                        (void)cpvref_has_prefix(r, probes[i]);
                        (void)cpvref_prefix_label(r, probes[i]);
                }
        } else {
                fuzz_assert(err.msg[0] != '\0');
        }
        cpvref_free(r);
        close(fd);
        return 0;
}
