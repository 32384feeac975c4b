/*
 * worker.h — background threads for work that must not block the event
 * loop (parsing fetched bodies: a large or hostile one can take seconds).
 *
 * A job is a struct worker_job embedded in the caller's own allocation.
 * run() is called on the worker thread and must touch nothing but the job's
 * own data (no store, no loop, no log level changes); done() is then called
 * on the loop thread, from the loop (an eventfd wakes it).  Jobs start in
 * order, on up to a few threads (started when needed): one slow job does not
 * hold the others up.
 *
 * worker_cancel() gives a job up: its done() is never called, and release()
 * frees it — at once if it has not started, or on the worker thread as soon
 * as its run() returns.  So a job must own everything run() reads.
 * worker_free() gives every job up and does not wait for a running one: the
 * daemon stops within a moment even while a parse goes on; its thread ends
 * after that run().
 */
#ifndef BIDBROKER_WORKER_H
#define BIDBROKER_WORKER_H

#include <stdbool.h>

struct err;
struct loop;
struct worker;

struct worker_job {
        void (*run)(struct worker_job *j);      /* on the worker thread */
        void (*done)(struct worker_job *j);     /* on the loop thread */
        void (*release)(struct worker_job *j);  /* frees a job given up */
        /* the worker's own */
        struct worker_job *next;
        bool               running;
        bool               abandoned;
};

int worker_new(struct loop *l, struct worker **ret, struct err *err);
struct worker *worker_free(struct worker *w);   /* NULL-safe */

/* Queue j (its run, done and release set). */
void worker_submit(struct worker *w, struct worker_job *j);
/* Give j up (submitted, not yet done): see above. */
void worker_cancel(struct worker *w, struct worker_job *j);

#endif
