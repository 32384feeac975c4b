/*
 * maildir.h — delivering a message into a maildir (daemon/mail/maildir.c).
 *
 * The maildir rules (https://cr.yp.to/proto/maildir.html): the message is
 * written to tmp/NAME, fsynced, then renamed into new/NAME and the
 * directory fsynced, so a reader sees the whole message or nothing.  NAME is
 * "CREATED.BKEY.HOST": the time the message was queued, the caller's unique
 * key for it (bidbroker: its outbox id and a hash of its Message-ID) and
 * this host's name ('/' and ':' written as \057 and \072).  The same message
 * delivered again (after a crash between the rename and the outbox's
 * update) finds its file in new/, or in cur/ with a reader's ":2,FLAGS"
 * suffix, and writes nothing.
 */
#ifndef BIDBROKER_MAILDIR_H
#define BIDBROKER_MAILDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct err;

/* Create DIR with tmp/, new/ and cur/ (mode 0750) if missing, then deliver
 * msg as above.  key: letters and digits only.  *already (may be NULL) says
 * the message was there already; *ret_path (may be NULL; caller frees) is
 * its file. */
int maildir_deliver(const char *dir, int64_t created, const char *key, const char *msg,
                    size_t len, bool *already, char **ret_path, struct err *e);

#endif
