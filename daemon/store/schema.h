/*
 * schema.h — the store's numbered migrations (private to daemon/store/).
 *
 * schema.c holds the append-only list of migrations; PRAGMA user_version is
 * the last one applied and PRAGMA application_id marks the file as ours.
 */
#ifndef BIDBROKER_STORE_SCHEMA_H
#define BIDBROKER_STORE_SCHEMA_H

#include <stdint.h>

struct err;
struct store;

#define STORE_APPLICATION_ID 1114195010        /* 0x42694442, "BiDB" in the file header */

/* The version the last migration brings a database to. */
int schema_latest(void);
/* Is the open file ours (or empty)?  Reads application_id, user_version and
 * whether it has tables, in one read transaction; *ret_version is the
 * version found.  -EINVAL for another program's file, -EPROTO for a newer
 * bidbroker's. */
int schema_check(struct store *s, int64_t *ret_version, struct err *err);
/* Apply the missing migrations, each in its own BEGIN IMMEDIATE transaction. */
int schema_migrate(struct store *s, struct err *err);
/* Migration 16's fill (notices.c): the lots of the notices already stored. */
int notices_lots_fill(struct store *s, struct err *err);

#endif
