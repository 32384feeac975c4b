/*
 * transfers.h — the one libcurl multi handle, driven by the event loop.
 *
 * libcurl tells which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to
 * call it back (CURLMOPT_TIMERFUNCTION); both go into the loop (loop.h), and
 * curl_multi_socket_action() runs when a socket is ready or the timer is due.
 * So feed transfers now, and mail transfers later, wake the same loop as
 * signals and timers, and nothing else polls.
 *
 * A caller sets up an easy handle (fetch.h does it for the poller), submits
 * it with a completion callback and keeps owning it: the callback runs from
 * the loop once the transfer finished, after the handle was taken off the
 * multi.  At most one connection per host (CURLMOPT_MAX_HOST_CONNECTIONS),
 * kept for reuse.  libcurl is initialised once, in main().
 */
#ifndef BIDBROKER_TRANSFERS_H
#define BIDBROKER_TRANSFERS_H

#include <stddef.h>

#include <curl/curl.h>

struct err;
struct loop;
struct transfers;

int transfers_new(struct loop *l, struct transfers **ret, struct err *err);
/* NULL-safe.  Transfers still running are aborted without their callbacks. */
struct transfers *transfers_free(struct transfers *tx);

/* Called from the loop when easy's transfer ended; result is libcurl's
 * (CURLE_OK or the error).  easy is off the multi: the callback may free it,
 * or submit it (or another) again. */
typedef void (*transfer_done_fn)(void *arg, CURL *easy, CURLcode result);

/* Start easy.  0, or <0 with err set. */
int transfers_submit(struct transfers *tx, CURL *easy, transfer_done_fn fn, void *arg,
                     struct err *err);
/* Stop easy if it is running; its callback is not called.  The caller still
 * owns easy. */
void transfers_abort(struct transfers *tx, CURL *easy);
/* Transfers submitted and not yet done. */
size_t transfers_running(const struct transfers *tx);

#endif
