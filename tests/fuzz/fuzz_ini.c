/*
 * fuzz_ini.c — ini_parse() over arbitrary bytes, then ini_apply() of a
 * schema with one key of every type (string, path, bool, long, money,
 * duration, list) to every section, and ini_get() of each key.
 * Invariants: every pair has a key and a value; sections have a type.
 */
#include <stdbool.h>
#include <stddef.h>

#include "bidbroker/err.h"
#include "bidbroker/ini.h"
#include "bidbroker/util.h"
#include "fuzz.h"

struct target {
        char       *str;
        char       *path;
        bool        flag;
        long        count;
        int64_t     money;
        int64_t     duration;
        struct strv list;
};

static const struct ini_key keys[] = {
        { "str", INI_STR, offsetof(struct target, str), 0, 0, "a string" },
        { "path", INI_PATH, offsetof(struct target, path), 0, 0, "a path" },
        { "flag", INI_BOOL, offsetof(struct target, flag), 0, 0, "yes or no" },
        { "count", INI_LONG, offsetof(struct target, count), -5, 1000000, "a number" },
        { "money", INI_MONEY, offsetof(struct target, money), 0, 10000000, "pounds" },
        { "duration", INI_DURATION, offsetof(struct target, duration), 0, 86400000, "ms" },
        { "list", INI_LIST, offsetof(struct target, list), 0, 0, "a list" },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct ini *ini = NULL;
        struct diag d;

        diag_init(&d);
        if (ini_parse("dir/fuzz.conf", (const char *)data, size, &ini, &d) == 0) {
                fuzz_assert(ini != NULL);
                for (size_t i = 0; i < ini->nsections; i++) {
                        const struct ini_section *sec = &ini->sections[i];
                        struct target t = { 0 };
                        unsigned long long seen = 0;

                        fuzz_assert(sec->type != NULL);
                        for (size_t k = 0; k < sec->npairs; k++) {
                                fuzz_assert(sec->pairs[k].key != NULL);
                                fuzz_assert(sec->pairs[k].value != NULL);
                        }
                        strv_init(&t.list);
                        ini_apply(ini, sec, keys, ARRAY_SIZE(keys), &t, &seen, &d);
                        for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
                                (void)ini_get(sec, keys[k].name);
                        free(t.str);
                        free(t.path);
                        strv_done(&t.list);
                }
        }
        ini_free(ini);
        diag_done(&d);
        return 0;
}
