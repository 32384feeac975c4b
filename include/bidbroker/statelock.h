/*
 * statelock.h — one poller per state directory.
 *
 * `run` and `poll` write poll state (watermarks, cursors, back-off) and must
 * not do so twice at once on one store.  Each holds DIR/bidbroker.lock with
 * flock(LOCK_EX | LOCK_NB) for its whole life, with its PID and command
 * written in the file for people.  The kernel drops the lock when the process
 * ends, however it ends (kill -9 included), so a stale file never blocks.
 * The file itself is never removed (removing it would let a third process
 * lock a new inode while a second still waits on the old one).
 *
 * Commands that only read, or write in short transactions SQLite serialises
 * (ingest, match, members), do not take it.
 */
#ifndef BIDBROKER_STATELOCK_H
#define BIDBROKER_STATELOCK_H

struct err;
struct statelock;

#define STATELOCK_NAME "bidbroker.lock"

/*
 * Create DIR (0750) if missing and take DIR/bidbroker.lock for the command
 * `cmd` ("run", "poll").  -EWOULDBLOCK when another process holds it, with a
 * message naming that process's PID and command and the file; another
 * negative errno when the file cannot be opened.
 */
int statelock_take(const char *dir, const char *cmd, struct statelock **ret, struct err *err);
/* The same with another lock file in DIR: name, and what its holder is
 * doing and the rule, for the message ("delivering mail from", "one
 * delivering process per state directory").  The outbox's deliverer (`run`,
 * `outbox --send`) holds STATELOCK_OUTBOX. */
#define STATELOCK_OUTBOX "outbox.lock"
int statelock_take_file(const char *dir, const char *name, const char *cmd, const char *doing,
                        const char *rule, struct statelock **ret, struct err *err);
/* Release (empties the file, closes it); NULL-safe, returns NULL. */
struct statelock *statelock_release(struct statelock *l);

#endif
