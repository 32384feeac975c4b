/*
 * worker.c — a few background threads for jobs, results handed back to the
 * loop through an eventfd (see worker.h).  Two lists under one mutex:
 * pending (FIFO) and finished (for the loop).  The threads are detached and
 * the struct is counted: the owner and each thread hold a reference, the
 * last one out frees it, so worker_free() never waits for a running job.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "bidbroker/err.h"
#include "bidbroker/log.h"
#include "bidbroker/loop.h"
#include "bidbroker/util.h"
#include "bidbroker/worker.h"

/* Threads at most: one slow or hostile body holds one of them, the other
 * sources' bodies are parsed by the others.  Started when needed. */
#define WORKER_THREADS 4

struct jobq {
        struct worker_job *head, *tail;
};

struct worker {
        struct loop        *loop;
        int                 efd;
        pthread_mutex_t     mu;
        pthread_cond_t      cv;
        struct jobq         pending, finished;
        size_t              nthreads;   /* alive */
        size_t              idle;       /* of them, waiting for a job */
        size_t              refs;       /* the owner (until worker_free) + each thread */
        bool                closing;    /* worker_free() was called */
};

static void
q_push(struct jobq *q, struct worker_job *j)
{
        j->next = NULL;
        if (q->tail != NULL)
                q->tail->next = j;
        else
                q->head = j;
        q->tail = j;
}

static struct worker_job *
q_pop(struct jobq *q)
{
        struct worker_job *j = q->head;

        if (j != NULL) {
                q->head = j->next;
                if (q->head == NULL)
                        q->tail = NULL;
                j->next = NULL;
        }
        return j;
}

/* Take j out of q; false if it is not there. */
static bool
q_unlink(struct jobq *q, struct worker_job *j)
{
        struct worker_job *prev = NULL;

        for (struct worker_job *k = q->head; k != NULL; prev = k, k = k->next) {
                if (k != j)
                        continue;
                if (prev != NULL)
                        prev->next = k->next;
                else
                        q->head = k->next;
                if (q->tail == k)
                        q->tail = prev;
                k->next = NULL;
                return true;
        }
        return false;
}

static void
release_all(struct worker_job *j)
{
        while (j != NULL) {
                struct worker_job *next = j->next;

                j->release(j);
                j = next;
        }
}

static void
destroy(struct worker *w)
{
        close(w->efd);
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        free(w);
}

/* Drop a reference under w->mu (which this unlocks); the last frees w. */
static void
unref_unlock(struct worker *w)
{
        bool last = --w->refs == 0;

        pthread_mutex_unlock(&w->mu);
        if (last)
                destroy(w);
}

static void *
thread_main(void *arg)
{
        struct worker *w = arg;

        pthread_mutex_lock(&w->mu);
        for (;;) {
                struct worker_job *j;

                w->idle++;
                while (w->pending.head == NULL && !w->closing)
                        pthread_cond_wait(&w->cv, &w->mu);
                w->idle--;
                if (w->closing)
                        break;
                j = q_pop(&w->pending);
                j->running = true;
                pthread_mutex_unlock(&w->mu);

                j->run(j);

                pthread_mutex_lock(&w->mu);
                j->running = false;
                if (j->abandoned || w->closing) {
                        pthread_mutex_unlock(&w->mu);
                        j->release(j);
                        pthread_mutex_lock(&w->mu);
                } else {
                        uint64_t one = 1;

                        q_push(&w->finished, j);
                        if (write(w->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
                                log_warn("worker: eventfd");
                }
        }
        w->nthreads--;
        unref_unlock(w);
        return NULL;
}

/* From the loop: hand finished jobs to their done(). */
static void
on_event(void *arg, int fd, uint32_t events)
{
        struct worker *w = arg;
        struct worker_job *list;
        uint64_t n;

        (void)events;
        if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
                log_warn("worker: eventfd read");
        pthread_mutex_lock(&w->mu);
        list = w->finished.head;
        w->finished.head = w->finished.tail = NULL;
        pthread_mutex_unlock(&w->mu);
        while (list != NULL) {
                struct worker_job *j = list;

                list = j->next;
                j->next = NULL;
                j->done(j);
        }
}

int
worker_new(struct loop *l, struct worker **ret, struct err *err)
{
        struct worker *w = xcalloc(1, sizeof(*w));
        int r;

        w->loop = l;
        w->refs = 1;
        w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (w->efd < 0) {
                r = err_set(err, -errno, "eventfd: %s", strerror(errno));
                free(w);
                return r;
        }
        pthread_mutex_init(&w->mu, NULL);
        pthread_cond_init(&w->cv, NULL);
        r = loop_fd_add(l, w->efd, EPOLLIN, on_event, w);
        if (r < 0) {
                err_set(err, r, "worker: watching its eventfd: %s", strerror(-r));
                destroy(w);
                return r;
        }
        *ret = w;
        return 0;
}

/* Under w->mu: one more thread if every one is busy (up to WORKER_THREADS). */
static void
maybe_spawn(struct worker *w)
{
        pthread_attr_t attr;
        pthread_t t;
        sigset_t all, old;
        int r;

        if (w->idle > 0 || w->nthreads >= WORKER_THREADS)
                return;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        /* No signal is ever delivered to a worker: the loop reads them. */
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        r = pthread_create(&t, &attr, thread_main, w);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        pthread_attr_destroy(&attr);
        if (r != 0) {
                /* the jobs wait for a thread that exists, if any */
                log_warnx("worker: pthread_create: %s", strerror(r));
                return;
        }
        w->nthreads++;
        w->refs++;
}

struct worker *
worker_free(struct worker *w)
{
        struct worker_job *pending, *finished;

        if (w == NULL)
                return NULL;
        loop_fd_remove(w->loop, w->efd);
        pthread_mutex_lock(&w->mu);
        w->closing = true;
        pending = w->pending.head;
        finished = w->finished.head;
        w->pending.head = w->pending.tail = NULL;
        w->finished.head = w->finished.tail = NULL;
        /* running jobs: their threads release them (abandoned, see worker_cancel) */
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
        release_all(pending);
        release_all(finished);
        pthread_mutex_lock(&w->mu);
        unref_unlock(w);                /* does not wait: the threads end by themselves */
        return NULL;
}

void
worker_submit(struct worker *w, struct worker_job *j)
{
        j->abandoned = false;
        j->running = false;
        pthread_mutex_lock(&w->mu);
        q_push(&w->pending, j);
        maybe_spawn(w);
        pthread_cond_signal(&w->cv);
        pthread_mutex_unlock(&w->mu);
}

void
worker_cancel(struct worker *w, struct worker_job *j)
{
        bool now;

        pthread_mutex_lock(&w->mu);
        if (j->running) {
                j->abandoned = true;            /* released after its run */
                now = false;
        } else {
                now = q_unlink(&w->pending, j) || q_unlink(&w->finished, j);
        }
        pthread_mutex_unlock(&w->mu);
        if (now)
                j->release(j);
}
