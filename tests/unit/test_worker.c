/* test_worker.c — parse workers (daemon/event/worker.c): jobs run off the
 * loop thread and come back through the loop; a cancelled job is released,
 * never done; worker_free() does not wait for a running job.  Jobs block on
 * pipes the test writes to, so nothing depends on timing. */
#include "testutil.h"

#include <unistd.h>

#include "bidbroker/loop.h"
#include "bidbroker/worker.h"

struct tjob {
        struct worker_job  wj;          /* first */
        int                gate;        /* run() reads a byte from it first; -1: none */
        int                released_fd; /* release() writes a byte to it; -1: none */
        int                ran, done, released;
};

static void
t_run(struct worker_job *wj)
{
        struct tjob *j = (struct tjob *)(void *)wj;
        char c;

        if (j->gate >= 0)
                assert_int_equal(read(j->gate, &c, 1), 1);
        j->ran++;
}

static void
t_done(struct worker_job *wj)
{
        ((struct tjob *)(void *)wj)->done++;
}

static void
t_release(struct worker_job *wj)
{
        struct tjob *j = (struct tjob *)(void *)wj;

        j->released++;
        if (j->released_fd >= 0)
                assert_int_equal(write(j->released_fd, "r", 1), 1);
}

static void
init_job(struct tjob *j, int gate)
{
        memset(j, 0, sizeof(*j));
        j->wj.run = t_run;
        j->wj.done = t_done;
        j->wj.release = t_release;
        j->gate = gate;
        j->released_fd = -1;
}

static void
t_jobs_come_back(void **state)
{
        struct loop *l;
        struct worker *w;
        struct tjob j[3];
        int left = 3;

        (void)state;
        assert_int_equal(loop_new(&l, NULL), 0);
        assert_int_equal(worker_new(l, &w, NULL), 0);
        for (int i = 0; i < 3; i++) {
                init_job(&j[i], -1);
                worker_submit(w, &j[i].wj);
        }
        while (left > 0) {
                assert_int_equal(loop_run_once(l, -1), 0);      /* the eventfd wakes it */
                left = 3;
                for (int i = 0; i < 3; i++)
                        left -= j[i].done;
        }
        for (int i = 0; i < 3; i++) {
                assert_int_equal(j[i].ran, 1);
                assert_int_equal(j[i].done, 1);
                assert_int_equal(j[i].released, 0);
        }
        worker_free(w);
        loop_free(l);
}

static void
t_cancel(void **state)
{
        struct loop *l;
        struct worker *w;
        struct tjob busy[4], queued, running;
        int gate[2], rel[2], left;
        char c;

        (void)state;
        assert_int_equal(pipe(gate), 0);
        assert_int_equal(pipe(rel), 0);
        assert_int_equal(loop_new(&l, NULL), 0);
        assert_int_equal(worker_new(l, &w, NULL), 0);
        /* four jobs hold the four threads; a fifth waits in the queue */
        for (int i = 0; i < 4; i++) {
                init_job(&busy[i], gate[0]);
                worker_submit(w, &busy[i].wj);
        }
        init_job(&queued, -1);
        worker_submit(w, &queued.wj);
        worker_cancel(w, &queued.wj);           /* not started (or done): released now */
        assert_int_equal(queued.released, 1);
        /* a running one is released by its thread after its run (or now, if
         * no thread took it yet), never done */
        busy[0].released_fd = rel[1];
        worker_cancel(w, &busy[0].wj);
        assert_int_equal(write(gate[1], "gggg", 4), 4);
        assert_int_equal(read(rel[0], &c, 1), 1);
        left = 3;
        while (left > 0) {
                assert_int_equal(loop_run_once(l, -1), 0);
                left = 3 - busy[1].done - busy[2].done - busy[3].done;
        }
        assert_int_equal(busy[0].done, 0);
        assert_int_equal(busy[0].released, 1);
        assert_int_equal(queued.ran + queued.done, 0);
        /* worker_free() while a job runs: it returns at once, the job is
         * released on the worker's thread once its run ends */
        init_job(&running, gate[0]);
        running.released_fd = rel[1];
        worker_submit(w, &running.wj);
        worker_free(w);
        assert_int_equal(write(gate[1], "g", 1), 1);
        assert_int_equal(read(rel[0], &c, 1), 1);
        assert_int_equal(running.done, 0);
        assert_int_equal(running.released, 1);
        loop_free(l);
        close(gate[0]), close(gate[1]), close(rel[0]), close(rel[1]);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(t_jobs_come_back),
                cmocka_unit_test(t_cancel),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
