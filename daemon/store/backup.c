/*
 * backup.c — a consistent copy of the store while the daemon runs, with
 * SQLite's online backup API (see store.h, store_backup()).
 *
 * The copy is made in one read transaction (WAL: the daemon's writes go on
 * and are not in the copy, which is one committed state), into DEST.tmp.PID,
 * checked with PRAGMA quick_check,
 * switched out of WAL so it is one self-contained file, fsynced and renamed
 * into place.  An existing DEST is never overwritten.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "bidbroker/err.h"
#include "bidbroker/store.h"
#include "bidbroker/util.h"

#include "db.h"

/* -1: the whole copy in one read transaction.  In WAL mode that never blocks
 * the daemon's writes, and the copy cannot be restarted by them forever. */
#define BACKUP_PAGES_PER_STEP   (-1)
#define BACKUP_BUSY_SLEEP_MS    50
#define BACKUP_BUSY_TRIES       1200            /* 60 s of a locked source */

/* Copy src into dst; SQLITE_OK or the failing code. */
static int
copy_pages(sqlite3 *dst, sqlite3 *src)
{
        sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
        int rc, busy = 0;

        if (b == NULL)
                return sqlite3_errcode(dst);
        do {
                rc = sqlite3_backup_step(b, BACKUP_PAGES_PER_STEP);
                if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && ++busy < BACKUP_BUSY_TRIES) {
                        sqlite3_sleep(BACKUP_BUSY_SLEEP_MS);
                        rc = SQLITE_OK;
                }
        } while (rc == SQLITE_OK);
        (void)sqlite3_backup_finish(b);
        return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* PRAGMA quick_check of the copy: 0, or -EIO with the first complaint. */
static int
check_copy(sqlite3 *db, struct err *err)
{
        sqlite3_stmt *st = NULL;
        int r = 0;

        if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK)
                return err_set(err, -EIO, "cannot check the copy: %s", sqlite3_errmsg(db));
        if (sqlite3_step(st) != SQLITE_ROW)
                r = err_set(err, -EIO, "cannot check the copy: %s", sqlite3_errmsg(db));
        else if (strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0)
                r = err_set(err, -EIO, "the copy fails its integrity check: %s",
                            (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        return r;
}

static int
sync_path(const char *path, int flags)
{
        int fd = open(path, flags | O_CLOEXEC), r = 0;

        if (fd < 0)
                return -errno;
        if (fsync(fd) < 0)
                r = -errno;
        close(fd);
        return r;
}

int
store_backup(struct store *s, const char *dest, struct err *err)
{
        char *tmp = xasprintf("%s.tmp.%ld", dest, (long)getpid());
        char *dir = path_dirname(dest);
        sqlite3 *dst = NULL;
        int fd, rc, r = 0;

        if (access(dest, F_OK) == 0) {
                r = err_set(err, -EEXIST, "%s exists: give a new file name (a backup never "
                            "overwrites)", dest);
                goto out;
        }
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) {
                r = err_set(err, -errno, "%s: cannot create: %s", tmp, strerror(errno));
                goto out;
        }
        close(fd);
        rc = sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL);
        if (rc == SQLITE_OK)
                rc = copy_pages(dst, s->db);
        if (rc != SQLITE_OK) {
                r = err_set(err, db_errno(rc), "backup of %s failed: %s", s->path,
                            dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
                goto out;
        }
        /* one self-contained file: no -wal beside it */
        rc = sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
                r = err_set(err, db_errno(rc), "%s: %s", tmp, sqlite3_errmsg(dst));
                goto out;
        }
        r = check_copy(dst, err);
        if (r < 0)
                goto out;
        rc = sqlite3_close(dst);
        dst = NULL;
        if (rc != SQLITE_OK) {
                r = err_set(err, db_errno(rc), "%s: cannot close: %s", tmp, sqlite3_errstr(rc));
                goto out;
        }
        r = sync_path(tmp, O_RDONLY);
        if (r == 0 && rename(tmp, dest) < 0)
                r = -errno;
        if (r < 0) {
                err_set(err, r, "%s: cannot write: %s", dest, strerror(-r));
                goto out;
        }
        (void)sync_path(dir, O_RDONLY | O_DIRECTORY);
out:
        if (dst != NULL)
                sqlite3_close(dst);
        if (r < 0)
                unlink(tmp);
        free(tmp);
        free(dir);
        return r;
}
