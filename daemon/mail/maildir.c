/*
 * maildir.c — one message into a maildir (maildir.h): tmp/, fsync, rename
 * into new/, fsync new/; idempotent by the caller's key.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bidbroker/err.h"
#include "bidbroker/maildir.h"
#include "bidbroker/util.h"

/* This host's name with '/' and ':' escaped as the maildir spec says. */
static void
host_part(struct buf *b)
{
        char host[256] = "localhost";

        if (gethostname(host, sizeof(host) - 1) < 0 || host[0] == '\0')
                strcpy(host, "localhost");
        host[sizeof(host) - 1] = '\0';
        for (const char *p = host; *p; p++)
                if (*p == '/')
                        buf_adds(b, "\\057");
                else if (*p == ':')
                        buf_adds(b, "\\072");
                else
                        buf_addc(b, *p);
}

/* Is NAME in cur/, as NAME or NAME:2,FLAGS? */
static int
in_cur(const char *cur, const char *name, bool *found)
{
        size_t n = strlen(name);
        struct dirent *de;
        DIR *d = opendir(cur);

        *found = false;
        if (d == NULL)
                return -errno;
        while ((de = readdir(d)) != NULL)
                if (strncmp(de->d_name, name, n) == 0 &&
                    (de->d_name[n] == '\0' || de->d_name[n] == ':')) {
                        *found = true;
                        break;
                }
        closedir(d);
        return 0;
}

static int
write_all(int fd, const char *p, size_t len)
{
        while (len > 0) {
                ssize_t n = write(fd, p, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

static int
sync_dir(const char *dir)
{
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;

        if (fd < 0)
                return -errno;
        if (fsync(fd) < 0)
                r = -errno;
        close(fd);
        return r;
}

int
maildir_deliver(const char *dir, int64_t created, const char *key, const char *msg,
                size_t len, bool *already, char **ret_path, struct err *e)
{
        static const char *const subs[] = { "tmp", "new", "cur" };
        char *name = NULL, *tmp = NULL, *dst = NULL, *sub = NULL;
        struct buf b;
        bool found = false;
        int fd = -1, r = 0;

        if (already)
                *already = false;
        for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
                sub = xasprintf("%s/%s", dir, subs[i]);
                r = mkdir_p(sub, 0750);
                if (r < 0) {
                        r = err_set(e, r, "maildir %s: cannot create %s: %s", dir, sub,
                                    strerror(-r));
                        goto out;
                }
                free(sub);
                sub = NULL;
        }
        buf_init(&b);
        buf_printf(&b, "%lld.B%s.", (long long)created, key);
        host_part(&b);
        name = buf_steal(&b);
        dst = xasprintf("%s/new/%s", dir, name);
        sub = xasprintf("%s/cur", dir);
        if (access(dst, F_OK) == 0) {
                found = true;
        } else if ((r = in_cur(sub, name, &found)) < 0) {
                r = err_set(e, r, "maildir %s: reading cur/: %s", dir, strerror(-r));
                goto out;
        }
        if (found) {
                if (already)
                        *already = true;
                goto out;
        }
        tmp = xasprintf("%s/tmp/%s", dir, name);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
        if (fd < 0) {
                r = err_set(e, -errno, "maildir: %s: %s", tmp, strerror(errno));
                goto out;
        }
        if ((r = write_all(fd, msg, len)) < 0 || (fsync(fd) < 0 && (r = -errno) < 0)) {
                r = err_set(e, r, "maildir: writing %s: %s", tmp, strerror(-r));
                goto out;
        }
        if (close(fd) < 0) {
                fd = -1;
                r = err_set(e, -errno, "maildir: writing %s: %s", tmp, strerror(errno));
                goto out;
        }
        fd = -1;
        if (rename(tmp, dst) < 0) {
                r = err_set(e, -errno, "maildir: moving %s into new/: %s", tmp,
                            strerror(errno));
                goto out;
        }
        free(sub);
        sub = xasprintf("%s/new", dir);
        if ((r = sync_dir(sub)) < 0)
                r = err_set(e, r, "maildir: syncing %s: %s", sub, strerror(-r));
out:
        if (fd >= 0)
                close(fd);
        if (r < 0 && tmp != NULL)
                unlink(tmp);
        if (r == 0 && ret_path != NULL) {
                *ret_path = dst;
                dst = NULL;
        }
        free(name);
        free(tmp);
        free(dst);
        free(sub);
        return r;
}
