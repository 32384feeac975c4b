/*
 * consortstore_int.h — what the match pass (matchstore.c) writes into the
 * consortium tables (private to daemon/store/; the read side is
 * include/bidbroker/consortstore.h).  Every function works inside the
 * caller's transaction.
 */
#ifndef BIDBROKER_STORE_CONSORTSTORE_INT_H
#define BIDBROKER_STORE_CONSORTSTORE_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct err;
struct store;

/* Is an active suggestion stored for opp with this fingerprint? */
int consortstore_fresh(struct store *s, int64_t opp, const char *fp, bool *fresh,
                       struct err *err);

/* Store doc (consort_suggestion_json) as opp's suggestion: the row and one
 * consortium_member row per member of each set of 2+ members.  `computed`
 * keeps its time while the doc is the same. */
int consortstore_put(struct store *s, int64_t opp, const char *hash, const char *fp,
                     const json_t *doc, int64_t now, struct err *err);

/* Withdraw opp's active suggestion (why: the filter's reason, ...). */
int consortstore_withdraw(struct store *s, int64_t opp, const char *why, int64_t now,
                          struct err *err);

/* Withdraw the suggestions of every linked duplicate ("same tender as N"). */
int consortstore_withdraw_duplicates(struct store *s, int64_t now, struct err *err);

/* The members of opp's rank-1 set, if it is open (consortstore_load), into
 * fn: each id, and whether the set is a single member (it does not count
 * against max_open_bids). */
int consortstore_first(struct store *s, int64_t opp, int64_t now,
                       void (*fn)(const char *member, bool single, void *arg), void *arg,
                       struct err *err);

/* Record that member was proposed first `count` times in all. */
int consortstore_proposed(struct store *s, const char *member, double count, int64_t now,
                          struct err *err);

#endif
