/*
 * fuzz_csv.c — csv_parse() (RFC 4180 spreadsheet exports for `members
 * import`) over arbitrary bytes.
 * Invariants: at most CSV_MAX_COLS cells a row and CSV_MAX_CELL bytes a
 * cell; cells of rows not marked bad are valid UTF-8 without NUL; line
 * numbers never go backwards.
 */
#include "bidbroker/csv.h"
#include "bidbroker/err.h"
#include "bidbroker/utf8.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct csv *c = NULL;
        struct diag d;
        unsigned last = 0;

        diag_init(&d);
        (void)csv_parse("fuzz.csv", (const char *)data, size, &c, &d);
        fuzz_assert(c != NULL);     /* set even on -E2BIG */
        {
                for (size_t i = 0; i < c->nrows; i++) {
                        const struct csv_row *row = &c->rows[i];

                        fuzz_assert(row->n <= CSV_MAX_COLS);
                        fuzz_assert(row->line >= last);
                        last = row->line;
                        for (size_t k = 0; k < row->n; k++) {
                                const char *s = row->cells[k];

                                fuzz_assert(s != NULL);
                                if (row->bad)
                                        continue;
                                fuzz_assert(strlen(s) <= CSV_MAX_CELL);
                                fuzz_assert(utf8_valid(s, strlen(s)));
                        }
                }
        }
        csv_free(c);
        diag_done(&d);
        return 0;
}
