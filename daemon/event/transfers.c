/*
 * transfers.c — libcurl's multi socket interface on the event loop (see
 * transfers.h).  The pattern of curl's ephiperfifo example: the socket
 * callback adds, changes and removes the loop's fd watches, the timer
 * callback moves one loop timer, and both hand control back to
 * curl_multi_socket_action(); finished transfers are read with
 * curl_multi_info_read() after every action.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "bidbroker/err.h"
#include "bidbroker/log.h"
#include "bidbroker/loop.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/transfers.h"
#include "bidbroker/util.h"

struct running {
        CURL             *easy;
        transfer_done_fn  fn;
        void             *arg;
};

struct transfers {
        struct loop     *loop;
        CURLM           *multi;
        struct running  *run;
        size_t           nrun, caprun;
        uint64_t         timer;         /* the loop timer, 0: none */
        bool             in_timer;      /* inside on_timer: it re-arms itself */
        int64_t          timer_due;     /* what libcurl asked for in on_timer; -1 none */
};

static struct running *
find_running(const struct transfers *tx, CURL *easy)
{
        for (size_t i = 0; i < tx->nrun; i++)
                if (tx->run[i].easy == easy)
                        return &tx->run[i];
        return NULL;
}

/* Call the callbacks of the transfers that ended. */
static void
check_done(struct transfers *tx)
{
        CURLMsg *m;
        int left;

        while ((m = curl_multi_info_read(tx->multi, &left)) != NULL) {
                CURL *easy = m->easy_handle;
                CURLcode code = m->data.result;
                struct running *r, done;

                if (m->msg != CURLMSG_DONE)
                        continue;
                /* m is invalid after remove_handle: take what we need first */
                curl_multi_remove_handle(tx->multi, easy);
                r = find_running(tx, easy);
                if (r == NULL)
                        continue;
                done = *r;
                *r = tx->run[--tx->nrun];
                done.fn(done.arg, easy, code);
        }
}

static void
action(struct transfers *tx, curl_socket_t s, int what)
{
        int running;
        CURLMcode mc = curl_multi_socket_action(tx->multi, s, what, &running);

        if (mc != CURLM_OK)
                log_warnx("curl_multi_socket_action: %s", curl_multi_strerror(mc));
        check_done(tx);
}

static void
on_socket_ready(void *arg, int fd, uint32_t events)
{
        struct transfers *tx = arg;
        int what = 0;

        if (events & EPOLLIN)
                what |= CURL_CSELECT_IN;
        if (events & EPOLLOUT)
                what |= CURL_CSELECT_OUT;
        if (events & (EPOLLERR | EPOLLHUP))
                what |= CURL_CSELECT_ERR;
        action(tx, fd, what);
}

static int64_t
on_timer(void *arg, int64_t now)
{
        struct transfers *tx = arg;

        (void)now;
        tx->in_timer = true;
        tx->timer_due = -1;
        action(tx, CURL_SOCKET_TIMEOUT, 0);
        tx->in_timer = false;
        if (tx->timer_due < 0) {
                tx->timer = 0;
                return LOOP_TIMER_STOP;
        }
        return tx->timer_due;
}

/* CURLMOPT_SOCKETFUNCTION: watch s for what libcurl waits for. */
static int
socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
        struct transfers *tx = userp;
        uint32_t ev = 0;
        int r;

        (void)easy, (void)socketp;
        if (what == CURL_POLL_REMOVE) {
                loop_fd_remove(tx->loop, s);
                return 0;
        }
        if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
                ev |= EPOLLIN;
        if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
                ev |= EPOLLOUT;
        r = loop_fd_modify(tx->loop, s, ev);
        if (r == -ENOENT) {
                /* new, or a closed fd whose number came back: watch it afresh */
                loop_fd_remove(tx->loop, s);
                r = loop_fd_add(tx->loop, s, ev, on_socket_ready, tx);
        }
        if (r < 0) {
                log_warnx("watching a transfer's socket %d: %s", s, strerror(-r));
                return -1;
        }
        return 0;
}

/* CURLMOPT_TIMERFUNCTION: call curl_multi_socket_action in timeout_ms (-1: never). */
static int
timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
        struct transfers *tx = userp;
        int64_t due = timeout_ms < 0 ? -1 : time_mono_ms() + timeout_ms;

        (void)multi;
        if (tx->in_timer) {
                tx->timer_due = due;            /* on_timer returns it */
                return 0;
        }
        if (due < 0) {
                loop_timer_cancel(tx->loop, tx->timer);
                tx->timer = 0;
        } else if (tx->timer != 0) {
                loop_timer_set(tx->loop, tx->timer, due);
        } else {
                tx->timer = loop_timer_add(tx->loop, "transfers", due, on_timer, tx);
        }
        return 0;
}

int
transfers_new(struct loop *l, struct transfers **ret, struct err *err)
{
        struct transfers *tx = xcalloc(1, sizeof(*tx));

        tx->loop = l;
        tx->multi = curl_multi_init();
        if (tx->multi == NULL) {
                free(tx);
                return err_set(err, -ENOMEM, "curl_multi_init failed");
        }
        curl_multi_setopt(tx->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
        curl_multi_setopt(tx->multi, CURLMOPT_SOCKETDATA, (void *)tx);
        curl_multi_setopt(tx->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
        curl_multi_setopt(tx->multi, CURLMOPT_TIMERDATA, (void *)tx);
        /* One connection per host is all we use; keep them for reuse. */
        curl_multi_setopt(tx->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 1L);
        *ret = tx;
        return 0;
}

struct transfers *
transfers_free(struct transfers *tx)
{
        if (tx == NULL)
                return NULL;
        for (size_t i = 0; i < tx->nrun; i++)
                curl_multi_remove_handle(tx->multi, tx->run[i].easy);
        /* closes the kept connections: the socket callback removes their watches */
        curl_multi_cleanup(tx->multi);
        loop_timer_cancel(tx->loop, tx->timer);
        free(tx->run);
        free(tx);
        return NULL;
}

int
transfers_submit(struct transfers *tx, CURL *easy, transfer_done_fn fn, void *arg,
                 struct err *err)
{
        CURLMcode mc;

        if (tx->nrun == tx->caprun) {
                tx->caprun = tx->caprun ? tx->caprun * 2 : 8;
                tx->run = xreallocarray(tx->run, tx->caprun, sizeof(*tx->run));
        }
        mc = curl_multi_add_handle(tx->multi, easy);
        if (mc != CURLM_OK)
                return err_set(err, -EIO, "curl_multi_add_handle: %s", curl_multi_strerror(mc));
        tx->run[tx->nrun++] = (struct running){ easy, fn, arg };
        return 0;
}

void
transfers_abort(struct transfers *tx, CURL *easy)
{
        struct running *r = find_running(tx, easy);

        if (r == NULL)
                return;
        curl_multi_remove_handle(tx->multi, easy);
        *r = tx->run[--tx->nrun];
}

size_t
transfers_running(const struct transfers *tx)
{
        return tx->nrun;
}
