/* human.c — money for people (see include/bidbroker/human.h). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "bidbroker/human.h"

char *
human_money(int64_t pence, const char *currency, char *buf, size_t len)
{
        char digits[24], out[HUMAN_MONEY_MAX + 8];
        uint64_t abs = pence < 0 ? (uint64_t)0 - (uint64_t)pence : (uint64_t)pence;
        uint64_t pounds = abs / 100, p = abs % 100;
        size_t n, o;

        if (len == 0)
                return buf;
        n = (size_t)snprintf(digits, sizeof(digits), "%" PRIu64, pounds);
        if (currency == NULL || currency[0] == '\0' || strcmp(currency, "GBP") == 0)
                o = (size_t)snprintf(out, sizeof(out), "%s\xc2\xa3", pence < 0 ? "-" : "");
        else
                o = (size_t)snprintf(out, sizeof(out), "%s%.3s ", pence < 0 ? "-" : "",
                                     currency);
        for (size_t i = 0; i < n; i++) {
                if (i > 0 && (n - i) % 3 == 0)
                        out[o++] = ',';
                out[o++] = digits[i];
        }
        out[o] = '\0';
        if (p != 0)
                snprintf(out + o, sizeof(out) - o, ".%02u", (unsigned)p);
        snprintf(buf, len, "%s", out);
        return buf;
}
