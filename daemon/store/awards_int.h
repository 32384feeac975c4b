/*
 * awards_int.h — what awards.c shares with the other store modules (private
 * to daemon/store/; the public side is include/bidbroker/awards.h).
 */
#ifndef BIDBROKER_STORE_AWARDS_INT_H
#define BIDBROKER_STORE_AWARDS_INT_H

#include <stdint.h>

struct err;
struct opportunity;
struct store;

/* After store_put() wrote row id with the content of o: replace the row's
 * awards with those of o's raw release (none when it has none). */
int awards_note(struct store *s, int64_t id, const struct opportunity *o, struct err *err);

/* The migration's fill: the awards of the notices already stored. */
int awards_fill(struct store *s, struct err *err);

#endif
