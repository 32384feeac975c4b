/*
 * svcuser.h — can the service account read a file?  For check-config: the
 * daemon runs as `bidbroker` (systemd/bidbroker.service), but staff run
 * check-config as root, who can read anything.  Private to daemon/cli/.
 */
#ifndef BIDBROKER_CLI_SVCUSER_H
#define BIDBROKER_CLI_SVCUSER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SVCUSER_DEFAULT "bidbroker"

struct svcuser {
        char   *name;
        uid_t   uid;
        gid_t   gid;
        gid_t  *groups;                 /* supplementary groups, and gid */
        size_t  ngroups;
};

/* Look name up (getpwnam + its groups).  0, or -ENOENT when there is no
 * such account.  Free with svcuser_done(). */
int svcuser_lookup(const char *name, struct svcuser *u);
void svcuser_done(struct svcuser *u);

/*
 * Could u open path for reading (want_dir: list and enter it), judged by the
 * permission bits, owner and group of path and of every directory above it
 * (search permission), as the kernel would without ACLs?  True when it
 * could; otherwise false with why (caller's buffer) saying which path and
 * its mode and owner, e.g. "/etc/bidbroker/members/a.conf is -rw------- root:root".
 */
bool svcuser_can_read(const struct svcuser *u, const char *path, bool want_dir,
                      char *why, size_t whylen);

#endif
