/*
 * loop.h — the event loop: one epoll instance, monotonic timers, fd watches
 * and a signalfd, dispatched from one thread.
 *
 * Everything the daemon (and `bidbroker poll`) waits for wakes the same
 * loop: signals, transfers (transfers.h puts libcurl's sockets and timer
 * here), the parse worker's eventfd and the services' timers.  Callbacks run
 * from loop_run_once(), never in signal context; they may add and remove
 * timers and watches, including their own.
 *
 * Timers are on time_mono_ms() (timeutil.h).  A watch removed while its
 * event is already fetched is not called: each watch has a serial, and an
 * event whose serial is gone is ignored.
 */
#ifndef BIDBROKER_LOOP_H
#define BIDBROKER_LOOP_H

#include <stddef.h>
#include <stdint.h>

struct err;
struct loop;

int loop_new(struct loop **ret, struct err *err);
struct loop *loop_free(struct loop *l);         /* NULL-safe; closes the signalfd */

/*
 * A timer: fn runs once the monotonic clock reaches due_ms and returns its
 * next due time (monotonic ms), or LOOP_TIMER_STOP to remove itself.  name is
 * for debug logs (not copied).  Returns the timer's id (never 0).
 */
#define LOOP_TIMER_STOP (-1)
typedef int64_t (*loop_timer_fn)(void *arg, int64_t now_ms);
uint64_t loop_timer_add(struct loop *l, const char *name, int64_t due_ms, loop_timer_fn fn,
                        void *arg);
/* Move a timer to due_ms.  No-op for an id that is gone. */
void loop_timer_set(struct loop *l, uint64_t id, int64_t due_ms);
/* Remove a timer.  No-op for 0 or an id that is gone. */
void loop_timer_cancel(struct loop *l, uint64_t id);

/*
 * Watch fd for events (EPOLLIN, EPOLLOUT): fn is called from the loop with
 * the ready events.  The loop does not own fd; remove the watch before
 * closing it.  0 or -errno (-EEXIST: fd is watched already).
 */
typedef void (*loop_fd_fn)(void *arg, int fd, uint32_t events);
int loop_fd_add(struct loop *l, int fd, uint32_t events, loop_fd_fn fn, void *arg);
int loop_fd_modify(struct loop *l, int fd, uint32_t events);
void loop_fd_remove(struct loop *l, int fd);

/*
 * Read SIGTERM, SIGINT and SIGHUP (those of them in sigs) from a signalfd:
 * they are blocked for the calling thread (the caller blocks them earlier,
 * before any thread exists, so threads inherit the mask), and fn is called
 * from the loop with each signal number.  Once per loop.  0 or -errno.
 */
typedef void (*loop_signal_fn)(void *arg, int signo);
int loop_signals(struct loop *l, const int *sigs, size_t n, loop_signal_fn fn, void *arg);

/*
 * One turn: sleep until the next timer, a ready fd or max_wait_ms (-1: no
 * bound but the timers; 0: do not sleep; no sleep when a timer is due), then
 * call the ready fds' callbacks and the due timers, and return: the caller
 * looks at what they did before the next turn.  0, or -errno when
 * epoll_wait fails (EINTR is not a failure).
 */
int loop_run_once(struct loop *l, int64_t max_wait_ms);

/* Milliseconds until the next timer is due (0: due now, -1: no timer). */
int64_t loop_next_timer_ms(const struct loop *l);

#endif
