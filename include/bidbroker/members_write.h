/*
 * members_write.h — writing and removing member files: mode, the service's
 * group, atomic replacement.
 */
#ifndef BIDBROKER_MEMBERS_WRITE_H
#define BIDBROKER_MEMBERS_WRITE_H

#include <stdbool.h>

struct err;
struct member;

/* Mode of every member file written: the service's group may read it. */
#define MEMBER_FILE_MODE        0640
/* The service account's group (systemd/bidbroker.sysusers). */
#define MEMBER_SERVICE_GROUP    "bidbroker"

/*
 * The group member files are given: the group called name when name is set
 * (-ENOENT with a message in e when there is none), else MEMBER_SERVICE_GROUP
 * when it exists, else the caller's own group.
 */
int members_group(const char *name, unsigned *gid, struct err *e);

/*
 * Write DIR/ID.conf for m: header (comment lines, each ending in '\n'; may be
 * NULL), then member_format(m); mode MEMBER_FILE_MODE whatever the umask,
 * group gid, atomically (temporary file, fsync, rename, fsync of DIR), so a
 * crash leaves the old file or the new one.  0 or -errno with e set.
 */
int member_write_file(const char *dir, const struct member *m, const char *header,
                      unsigned gid, struct err *e);
/*
 * Pause or resume member m (loaded from DIR/ID.conf) by editing its file as
 * text: every "paused = ..." line goes, "paused = yes" is appended when
 * pausing; comments and every other line stay where they are.  Written like
 * member_write_file().  1 when m already is in that state (nothing written),
 * 0, or -errno with e set.
 */
int member_set_paused(const char *dir, const struct member *m, bool paused, unsigned gid,
                      struct err *e);
/* Delete DIR/ID.conf.  0, -ENOENT (no such member) or -errno, with e set. */
int member_remove(const char *dir, const char *id, struct err *e);

#endif
