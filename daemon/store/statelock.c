/*
 * statelock.c — DIR/bidbroker.lock held with flock for the life of `run` or
 * `poll` (see statelock.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "bidbroker/err.h"
#include "bidbroker/statelock.h"
#include "bidbroker/util.h"

struct statelock {
        int fd;
};

/* The holder's "PID COMMAND" line, for the message; "" when unreadable (the
 * holder has locked the file but not written it yet). */
static void
read_holder(int fd, char *out, size_t len)
{
        ssize_t n = pread(fd, out, len - 1, 0);

        out[n > 0 ? n : 0] = '\0';
        out[strcspn(out, "\n")] = '\0';
        for (char *p = out; *p; p++)            /* a file someone edited */
                if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
                        *p = '?';
}

int
statelock_take(const char *dir, const char *cmd, struct statelock **ret, struct err *err)
{
        return statelock_take_file(dir, STATELOCK_NAME, cmd, "polling",
                                   "one 'run' or 'poll' per state directory", ret, err);
}

int
statelock_take_file(const char *dir, const char *name, const char *cmd, const char *doing,
                    const char *rule, struct statelock **ret, struct err *err)
{
        char *path = path_join(dir, name), holder[64], line[64], pid[32];
        int fd = -1, r, len;

        *ret = NULL;
        r = mkdir_p(dir, 0750);
        if (r < 0) {
                err_set(err, r, "%s: %s", dir, strerror(-r));
                goto out;
        }
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
        if (fd < 0) {
                r = -errno;
                err_set(err, r, "%s: %s", path, strerror(-r));
                goto out;
        }
        while ((r = flock(fd, LOCK_EX | LOCK_NB)) < 0 && errno == EINTR)
                ;
        if (r < 0) {
                r = -errno;
                if (r != -EWOULDBLOCK) {
                        err_set(err, r, "%s: flock: %s", path, strerror(-r));
                        goto out;
                }
                read_holder(fd, holder, sizeof(holder));
                len = (int)strspn(holder, "0123456789");
                snprintf(pid, sizeof(pid), "%.*s", len > 20 ? 20 : len, holder);
                err_set(err, r, "another bidbroker (pid %s%s%s) is already %s this state "
                        "directory: it holds %s; %s", len > 0 ? pid : "unknown",
                        holder[len] == ' ' ? ", " : "", holder[len] == ' ' ? holder + len + 1 : "",
                        doing, path, rule);
                goto out;
        }
        len = snprintf(line, sizeof(line), "%ld %s\n", (long)getpid(), cmd);
        errno = 0;
        if (ftruncate(fd, 0) < 0 || pwrite(fd, line, (size_t)len, 0) != len) {
                r = errno ? -errno : -EIO;
                err_set(err, r, "%s: %s", path, strerror(-r));
                goto out;
        }
        *ret = xcalloc(1, sizeof(**ret));
        (*ret)->fd = fd;
        fd = -1;
        r = 0;
out:
        if (fd >= 0)
                close(fd);
        free(path);
        return r;
}

struct statelock *
statelock_release(struct statelock *l)
{
        if (l == NULL)
                return NULL;
        if (ftruncate(l->fd, 0) < 0) {
                /* the PID stays in the file; harmless, the lock is what counts */
        }
        close(l->fd);
        free(l);
        return NULL;
}
