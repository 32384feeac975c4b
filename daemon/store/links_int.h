/*
 * links_int.h — what links.c shares with the other store modules (private to
 * daemon/store/; the public side is include/bidbroker/links.h).
 */
#ifndef BIDBROKER_STORE_LINKS_INT_H
#define BIDBROKER_STORE_LINKS_INT_H

#include <stdbool.h>
#include <stdint.h>

struct err;
struct opportunity;
struct store;

/* After store_put() wrote row id with the content of o: refresh its link
 * keys and cited ids, and link it to its counterpart on the other source if
 * there is one.  *linked: a new link was made. */
int links_note(struct store *s, int64_t id, const struct opportunity *o, bool *linked,
               struct err *err);

/* Every word of small is a word of big (both folded "w w w"); also the
 * near-match rule of awards.c. */
bool words_within(const char *small, const char *big);

/* Migration 4: keys, cited ids and links of the notices already stored. */
int links_fill(struct store *s, struct err *err);

#endif
