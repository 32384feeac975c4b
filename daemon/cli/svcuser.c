/* svcuser.c — file access as the service account (see svcuser.h). */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bidbroker/util.h"

#include "svcuser.h"

int
svcuser_lookup(const char *name, struct svcuser *u)
{
        struct passwd *pw;
        int n = 16;

        memset(u, 0, sizeof(*u));
        errno = 0;
        pw = getpwnam(name);
        if (pw == NULL)
                return -ENOENT;
        u->name = xstrdup(name);
        u->uid = pw->pw_uid;
        u->gid = pw->pw_gid;
        for (;;) {
                int got = n;

                u->groups = xreallocarray(u->groups, (size_t)n, sizeof(*u->groups));
                if (getgrouplist(name, pw->pw_gid, u->groups, &got) >= 0) {
                        u->ngroups = (size_t)got;
                        break;
                }
                if (got <= n || n > 65536)
                        break;
                n = got;
        }
        return 0;
}

void
svcuser_done(struct svcuser *u)
{
        free(u->name);
        free(u->groups);
        memset(u, 0, sizeof(*u));
}

static bool
in_group(const struct svcuser *u, gid_t g)
{
        if (g == u->gid)
                return true;
        for (size_t i = 0; i < u->ngroups; i++)
                if (u->groups[i] == g)
                        return true;
        return false;
}

/* The permission bits (of 7: r=4, w=2, x=1) that apply to u for st. */
static unsigned
bits_for(const struct svcuser *u, const struct stat *st)
{
        if (u->uid == 0)
                return 7;                       /* root: permission bits do not bind */
        if (st->st_uid == u->uid)
                return (st->st_mode >> 6) & 7;
        if (in_group(u, st->st_gid))
                return (st->st_mode >> 3) & 7;
        return st->st_mode & 7;
}

static void
describe(const char *path, const struct stat *st, char *why, size_t len)
{
        static const char rwx[] = "rwxrwxrwx";
        char mode[11], owner[32], group[32];
        struct passwd *pw = getpwuid(st->st_uid);
        struct group *gr = getgrgid(st->st_gid);

        mode[0] = S_ISDIR(st->st_mode) ? 'd' : '-';
        for (int i = 0; i < 9; i++)
                mode[i + 1] = (st->st_mode & (0400u >> i)) ? rwx[i] : '-';
        mode[10] = '\0';
        if (pw)
                snprintf(owner, sizeof(owner), "%s", pw->pw_name);
        else
                snprintf(owner, sizeof(owner), "%u", (unsigned)st->st_uid);
        if (gr)
                snprintf(group, sizeof(group), "%s", gr->gr_name);
        else
                snprintf(group, sizeof(group), "%u", (unsigned)st->st_gid);
        snprintf(why, len, "%s is %s %s:%s", path, mode, owner, group);
}

bool
svcuser_can_read(const struct svcuser *u, const char *path, bool want_dir, char *why,
                 size_t whylen)
{
        char *abs = NULL, *p;
        struct stat st;
        bool ok = false;

        abs = realpath(path, NULL);
        if (abs == NULL) {
                snprintf(why, whylen, "%s cannot be resolved (%s)", path, strerror(errno));
                return false;
        }
        if (geteuid() == u->uid && getegid() == u->gid) {
                /* we are the account: ask the kernel (ACLs included) */
                ok = access(abs, want_dir ? R_OK | X_OK : R_OK) == 0;
                if (!ok && stat(abs, &st) == 0)
                        describe(abs, &st, why, whylen);
                else if (!ok)
                        snprintf(why, whylen, "%s: %s", abs, strerror(errno));
                goto out;
        }
        /* every directory above needs search (x) permission */
        for (p = strchr(abs + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
                *p = '\0';
                if (stat(abs, &st) == 0 && !(bits_for(u, &st) & 1)) {
                        describe(abs, &st, why, whylen);
                        goto out;
                }
                *p = '/';
        }
        if (stat(abs, &st) < 0) {
                snprintf(why, whylen, "%s: %s", abs, strerror(errno));
                goto out;
        }
        if (!(bits_for(u, &st) & 4) || (want_dir && !(bits_for(u, &st) & 1))) {
                describe(abs, &st, why, whylen);
                goto out;
        }
        ok = true;
out:
        free(abs);
        return ok;
}
