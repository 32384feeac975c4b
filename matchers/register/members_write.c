/*
 * members_write.c — writing and removing member files: an exact mode, the
 * service's group, atomic replacement (see members_write.h).
 */
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bidbroker/err.h"
#include "bidbroker/members.h"
#include "bidbroker/members_write.h"
#include "bidbroker/util.h"

int
members_group(const char *name, unsigned *gid, struct err *e)
{
        const struct group *g;

        errno = 0;
        g = getgrnam(name ? name : MEMBER_SERVICE_GROUP);
        if (g != NULL) {
                *gid = (unsigned)g->gr_gid;
                return 0;
        }
        if (name != NULL)
                return err_set(e, errno ? -errno : -ENOENT, "[bidbroker] group: no group "
                               "called '%s' on this system", name);
        *gid = (unsigned)getegid();
        return 0;
}

int
member_write_file(const char *dir, const struct member *m, const char *header,
                  unsigned gid, struct err *e)
{
        char *path;
        struct buf b;
        int r;

        if (m->id == NULL || !member_id_valid(m->id))
                return err_set(e, -EINVAL, "bad member id '%s'", m->id ? m->id : "");
        path = xasprintf("%s/%s.conf", dir, m->id);
        buf_init(&b);
        if (header != NULL)
                buf_adds(&b, header);
        member_format(m, &b);
        r = write_file_atomic_group(path, b.data, b.len, MEMBER_FILE_MODE, gid);
        if (r == -EPERM && gid != (unsigned)-1)
                err_set(e, r, "%s: cannot give the file to group %u (run as root, or as a "
                        "member of that group): %s", path, gid, strerror(-r));
        else if (r < 0)
                err_set(e, r, "%s: cannot write: %s", path, strerror(-r));
        buf_done(&b);
        free(path);
        return r;
}

int
member_remove(const char *dir, const char *id, struct err *e)
{
        char *path;
        int r = 0;

        if (!member_id_valid(id))
                return err_set(e, -EINVAL, "'%s' is not a member id (lower-case letters, "
                               "digits and '-')", id);
        path = xasprintf("%s/%s.conf", dir, id);
        if (unlink(path) < 0) {
                r = -errno;
                if (r == -ENOENT)
                        err_set(e, r, "no member '%s' in %s", id, dir);
                else
                        err_set(e, r, "%s: cannot remove: %s", path, strerror(-r));
        }
        free(path);
        return r;
}

/* Is line (up to its end) a "paused = ..." line? */
static bool
is_paused_line(const char *line)
{
        while (*line == ' ' || *line == '\t')
                line++;
        if (strncmp(line, "paused", 6) != 0)
                return false;
        line += 6;
        while (*line == ' ' || *line == '\t')
                line++;
        return *line == '=';
}

int
member_set_paused(const char *dir, const struct member *m, bool paused, unsigned gid,
                  struct err *e)
{
        char *path, *text = NULL;
        size_t len = 0;
        struct buf b;
        int r;

        if (m->paused == paused)
                return 1;
        path = xasprintf("%s/%s.conf", dir, m->id);
        r = read_file(path, 1u << 20, &text, &len);
        if (r < 0) {
                err_set(e, r, "%s: cannot read: %s", path, strerror(-r));
                goto out;
        }
        buf_init(&b);
        for (char *p = text, *nl; p != NULL && *p; p = nl ? nl + 1 : NULL) {
                nl = strchr(p, '\n');
                if (nl)
                        *nl = '\0';
                if (!is_paused_line(p))
                        buf_printf(&b, "%s\n", p);
        }
        if (paused)
                buf_adds(&b, "paused = yes\n");
        r = write_file_atomic_group(path, b.data ? b.data : "", b.len, MEMBER_FILE_MODE, gid);
        if (r == -EPERM && gid != (unsigned)-1)
                err_set(e, r, "%s: cannot give the file to group %u (run as root, or as a "
                        "member of that group): %s", path, gid, strerror(-r));
        else if (r < 0)
                err_set(e, r, "%s: cannot write: %s", path, strerror(-r));
        buf_done(&b);
out:
        free(text);
        free(path);
        return r;
}
