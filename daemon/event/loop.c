/*
 * loop.c — the event loop (see loop.h): epoll for fds and the signalfd, a
 * small unordered table of monotonic timers (a handful at most: a linear
 * scan beats a heap here).
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "bidbroker/err.h"
#include "bidbroker/log.h"
#include "bidbroker/loop.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"

#define LOOP_MAX_EVENTS 32

struct ltimer {
        uint64_t       id;
        const char    *name;
        int64_t        due;
        loop_timer_fn  fn;
        void          *arg;
};

struct lwatch {
        int         fd;
        uint64_t    serial;     /* in the epoll event: a removed watch's is gone */
        loop_fd_fn  fn;
        void       *arg;
};

struct loop {
        int              epfd;
        struct ltimer   *timers;
        size_t           ntimers, captimers;
        struct lwatch   *watches;
        size_t           nwatches, capwatches;
        uint64_t         next_id;       /* timer ids and watch serials */
        int              sigfd;
        loop_signal_fn   sigfn;
        void            *sigarg;
};

int
loop_new(struct loop **ret, struct err *err)
{
        struct loop *l = xcalloc(1, sizeof(*l));

        l->sigfd = -1;
        l->next_id = 1;
        l->epfd = epoll_create1(EPOLL_CLOEXEC);
        if (l->epfd < 0) {
                int r = err_set(err, -errno, "epoll_create1: %s", strerror(errno));

                free(l);
                return r;
        }
        *ret = l;
        return 0;
}

struct loop *
loop_free(struct loop *l)
{
        if (l == NULL)
                return NULL;
        if (l->sigfd >= 0)
                close(l->sigfd);
        close(l->epfd);
        free(l->timers);
        free(l->watches);
        free(l);
        return NULL;
}

/* ---- timers ---------------------------------------------------------------- */

static struct ltimer *
find_timer(const struct loop *l, uint64_t id)
{
        for (size_t i = 0; i < l->ntimers; i++)
                if (l->timers[i].id == id)
                        return &l->timers[i];
        return NULL;
}

uint64_t
loop_timer_add(struct loop *l, const char *name, int64_t due_ms, loop_timer_fn fn, void *arg)
{
        if (l->ntimers == l->captimers) {
                l->captimers = l->captimers ? l->captimers * 2 : 8;
                l->timers = xreallocarray(l->timers, l->captimers, sizeof(*l->timers));
        }
        l->timers[l->ntimers++] = (struct ltimer){ l->next_id, name, due_ms, fn, arg };
        return l->next_id++;
}

void
loop_timer_set(struct loop *l, uint64_t id, int64_t due_ms)
{
        struct ltimer *t = find_timer(l, id);

        if (t != NULL)
                t->due = due_ms;
}

void
loop_timer_cancel(struct loop *l, uint64_t id)
{
        struct ltimer *t = id ? find_timer(l, id) : NULL;

        if (t != NULL)
                *t = l->timers[--l->ntimers];
}

int64_t
loop_next_timer_ms(const struct loop *l)
{
        int64_t now = time_mono_ms(), next = -1;

        for (size_t i = 0; i < l->ntimers; i++) {
                int64_t t = l->timers[i].due > now ? l->timers[i].due - now : 0;

                if (next < 0 || t < next)
                        next = t;
        }
        return next;
}

/* Run every timer due now.  A callback may add, move or cancel timers (its
 * own too), so each is looked up again by id after its call. */
static void
run_timers(struct loop *l)
{
        int64_t now = time_mono_ms();
        uint64_t limit = l->next_id;    /* timers added by a callback wait a turn */

        for (;;) {
                struct ltimer *t = NULL;
                uint64_t id;
                int64_t due;

                for (size_t i = 0; i < l->ntimers; i++)
                        if (l->timers[i].due <= now && l->timers[i].id < limit &&
                            (t == NULL || l->timers[i].due < t->due))
                                t = &l->timers[i];
                if (t == NULL)
                        return;
                id = t->id;
                /* not due again in this turn unless the callback says so */
                t->due = INT64_MAX;
                due = t->fn(t->arg, now);
                t = find_timer(l, id);
                if (t == NULL)
                        continue;               /* cancelled itself */
                if (due < 0) {
                        log_debug("timer %s removed", t->name);
                        *t = l->timers[--l->ntimers];
                } else if (t->due == INT64_MAX) {
                        t->due = due > now ? due : now + 1;
                }
        }
}

/* ---- fds --------------------------------------------------------------------- */

static struct lwatch *
find_watch(const struct loop *l, int fd)
{
        for (size_t i = 0; i < l->nwatches; i++)
                if (l->watches[i].fd == fd)
                        return &l->watches[i];
        return NULL;
}

int
loop_fd_add(struct loop *l, int fd, uint32_t events, loop_fd_fn fn, void *arg)
{
        struct epoll_event ev = { .events = events, .data.u64 = l->next_id };

        if (find_watch(l, fd) != NULL)
                return -EEXIST;
        if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
                return -errno;
        if (l->nwatches == l->capwatches) {
                l->capwatches = l->capwatches ? l->capwatches * 2 : 8;
                l->watches = xreallocarray(l->watches, l->capwatches, sizeof(*l->watches));
        }
        l->watches[l->nwatches++] = (struct lwatch){ fd, l->next_id++, fn, arg };
        return 0;
}

int
loop_fd_modify(struct loop *l, int fd, uint32_t events)
{
        struct lwatch *w = find_watch(l, fd);
        struct epoll_event ev = { .events = events };

        if (w == NULL)
                return -ENOENT;
        ev.data.u64 = w->serial;
        return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

void
loop_fd_remove(struct loop *l, int fd)
{
        struct lwatch *w = find_watch(l, fd);

        if (w == NULL)
                return;
        /* the fd may be closed already (libcurl closes before it says so) */
        (void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
        *w = l->watches[--l->nwatches];
}

/* ---- signals ------------------------------------------------------------------- */

static void
on_signalfd(void *arg, int fd, uint32_t events)
{
        struct loop *l = arg;
        struct signalfd_siginfo si;

        (void)events;
        for (;;) {
                ssize_t n = read(fd, &si, sizeof(si));

                if (n != (ssize_t)sizeof(si)) {
                        if (n < 0 && errno != EAGAIN && errno != EINTR)
                                log_warn("signalfd read");
                        return;
                }
                l->sigfn(l->sigarg, (int)si.ssi_signo);
        }
}

int
loop_signals(struct loop *l, const int *sigs, size_t n, loop_signal_fn fn, void *arg)
{
        sigset_t set;
        int r;

        if (l->sigfd >= 0)
                return -EBUSY;
        sigemptyset(&set);
        for (size_t i = 0; i < n; i++)
                sigaddset(&set, sigs[i]);
        /* the caller blocked them before any thread; again for this thread */
        if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
                return -errno;
        l->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
        if (l->sigfd < 0)
                return -errno;
        l->sigfn = fn;
        l->sigarg = arg;
        r = loop_fd_add(l, l->sigfd, EPOLLIN, on_signalfd, l);
        if (r < 0) {
                close(l->sigfd);
                l->sigfd = -1;
        }
        return r;
}

/* ---- one turn ----------------------------------------------------------------- */

int
loop_run_once(struct loop *l, int64_t max_wait_ms)
{
        struct epoll_event evs[LOOP_MAX_EVENTS];
        int64_t wait;
        int n;

        /* Timers run after the wait, not before: what their callbacks do
         * (a transfer that finished) must reach the caller before it sleeps. */
        wait = loop_next_timer_ms(l);
        if (max_wait_ms >= 0 && (wait < 0 || max_wait_ms < wait))
                wait = max_wait_ms;
        if (wait > INT32_MAX)
                wait = INT32_MAX;
        n = epoll_wait(l->epfd, evs, LOOP_MAX_EVENTS, (int)wait);
        if (n < 0) {
                if (errno != EINTR)
                        return -errno;
                n = 0;
        }
        for (int i = 0; i < n; i++) {
                uint64_t serial = evs[i].data.u64;
                struct lwatch *w = NULL;

                for (size_t k = 0; k < l->nwatches; k++)
                        if (l->watches[k].serial == serial)
                                w = &l->watches[k];
                if (w == NULL)
                        continue;               /* removed by an earlier callback */
                w->fn(w->arg, w->fd, evs[i].events);
        }
        run_timers(l);
        return 0;
}
