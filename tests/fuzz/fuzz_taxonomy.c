/*
 * fuzz_taxonomy.c — taxonomy_load() of arbitrary bytes as the capability
 * taxonomy file ([capability ID] sections: labels, CPV prefixes, keywords,
 * PCRE2 regexes, exclusions, weights).  taxonomy_load() takes a path: the
 * input is an anonymous memory file named /proc/self/fd/N.
 * Invariants: a taxonomy is returned exactly when no error was reported;
 * every capability can be found by its id; rule fields round-trip through
 * rule_fields_format() / rule_fields_parse().
 */
#include "bidbroker/err.h"
#include "bidbroker/taxonomy.h"
#include "bidbroker/util.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct taxonomy *t = NULL;
        struct diag d;
        char path[64];
        int fd;

        if (size > 65536)
                return 0;
        fd = fuzz_memfile(data, size, path, sizeof(path));
        if (fd < 0)
                return 0;
        diag_init(&d);
        if (taxonomy_load(path, &t, &d) == 0) {
                fuzz_assert(t != NULL && diag_count(&d) == 0);
                for (size_t i = 0; i < t->ncaps; i++) {
                        const struct capability *c = &t->caps[i];

                        fuzz_assert(taxonomy_find(t, c->id) != NULL);
                        for (size_t k = 0; k < c->nrules; k++) {
                                struct buf b;
                                unsigned back = 0;
                                const char *bad = NULL;

                                buf_init(&b);
                                rule_fields_format(c->rules[k].fields, &b);
                                if (rule_fields_parse(b.data, &back, &bad) != 0 ||
                                    back != c->rules[k].fields)
                                        fuzz_fail("rule fields %#x format as '%s'",
                                                  c->rules[k].fields, b.data);
                                (void)rule_key(&c->rules[k]);
                                buf_done(&b);
                        }
                }
        } else {
                fuzz_assert(t == NULL && diag_count(&d) > 0);
        }
        taxonomy_free(t);
        diag_done(&d);
        close(fd);
        return 0;
}
