/* test_loop.c — the event loop (daemon/event/loop.c): fd watches, stale
 * events after a removal, timers (stop, cancel, re-arm), no sleeping. */
#include "testutil.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "bidbroker/loop.h"
#include "bidbroker/timeutil.h"

struct calls {
        struct loop *l;
        int          a_fd, b_fd;        /* each callback removes the other's watch */
        int          n_a, n_b;
        uint64_t     timer;
        int          n_t1, n_t2;
};

static void
on_a(void *arg, int fd, uint32_t events)
{
        struct calls *c = arg;
        char ch;

        (void)events;
        assert_int_equal(read(fd, &ch, 1), 1);
        c->n_a++;
        loop_fd_remove(c->l, c->b_fd);          /* its event may be fetched already */
}

static void
on_b(void *arg, int fd, uint32_t events)
{
        struct calls *c = arg;
        char ch;

        (void)events;
        assert_int_equal(read(fd, &ch, 1), 1);
        c->n_b++;
        loop_fd_remove(c->l, c->a_fd);
}

static void
t_watch_and_stale_events(void **state)
{
        struct calls c = { 0 };
        int p1[2], p2[2];

        (void)state;
        assert_int_equal(loop_new(&c.l, NULL), 0);
        assert_int_equal(pipe(p1), 0);
        assert_int_equal(pipe(p2), 0);
        assert_int_equal(loop_fd_add(c.l, p1[0], EPOLLIN, on_a, &c), 0);
        assert_int_equal(loop_fd_add(c.l, p2[0], EPOLLIN, on_b, &c), 0);
        assert_int_equal(loop_fd_add(c.l, p2[0], EPOLLIN, on_b, &c), -EEXIST);
        assert_int_equal(loop_run_once(c.l, 0), 0);     /* nothing ready */
        assert_int_equal(c.n_a + c.n_b, 0);
        /* both ready in one turn: whichever runs first removes the other */
        assert_int_equal(write(p1[1], "x", 1), 1);
        assert_int_equal(write(p2[1], "x", 1), 1);
        c.a_fd = p1[0];
        c.b_fd = p2[0];
        loop_fd_remove(c.l, -1);                        /* unknown: no-op */
        assert_int_equal(loop_run_once(c.l, 0), 0);
        /* the first one called removed the other, whose fetched event is ignored */
        assert_int_equal(c.n_a + c.n_b, 1);
        assert_int_equal(loop_fd_modify(c.l, p1[0], EPOLLIN), c.n_a ? 0 : -ENOENT);
        assert_int_equal(loop_fd_modify(c.l, p2[0], EPOLLIN), c.n_b ? 0 : -ENOENT);
        loop_fd_remove(c.l, p1[0]);
        loop_fd_remove(c.l, p2[0]);
        loop_free(c.l);
        close(p1[0]), close(p1[1]), close(p2[0]), close(p2[1]);
}

static int64_t
t1(void *arg, int64_t now)
{
        struct calls *c = arg;

        (void)now;
        c->n_t1++;
        return LOOP_TIMER_STOP;
}

static int64_t
t2(void *arg, int64_t now)
{
        struct calls *c = arg;

        c->n_t2++;
        return now + 3600 * 1000;       /* far away */
}

static void
t_timers(void **state)
{
        struct calls c = { 0 };
        int64_t now = time_mono_ms();
        uint64_t a, b, far;

        (void)state;
        assert_int_equal(loop_new(&c.l, NULL), 0);
        assert_int_equal(loop_next_timer_ms(c.l), -1);
        a = loop_timer_add(c.l, "t1", now, t1, &c);
        b = loop_timer_add(c.l, "t2", now, t2, &c);
        far = loop_timer_add(c.l, "far", now + 3600 * 1000, t1, &c);
        assert_true(a != 0 && b != 0 && a != b && far != b);
        assert_int_equal(loop_next_timer_ms(c.l), 0);
        assert_int_equal(loop_run_once(c.l, 0), 0);
        assert_int_equal(c.n_t1, 1);
        assert_int_equal(c.n_t2, 1);
        assert_int_equal(loop_run_once(c.l, 0), 0);
        assert_int_equal(c.n_t1, 1);                    /* removed itself */
        assert_int_equal(c.n_t2, 1);                    /* not due again */
        assert_true(loop_next_timer_ms(c.l) > 3500 * 1000);
        loop_timer_set(c.l, b, now);                    /* re-armed: due now */
        loop_timer_set(c.l, a, now);                    /* gone: no-op */
        assert_int_equal(loop_run_once(c.l, 0), 0);
        assert_int_equal(c.n_t2, 2);
        loop_timer_cancel(c.l, b);
        loop_timer_cancel(c.l, b);                      /* twice: no-op */
        loop_timer_cancel(c.l, 0);
        loop_timer_set(c.l, far, now);
        assert_int_equal(loop_run_once(c.l, 0), 0);
        assert_int_equal(c.n_t1, 2);
        assert_int_equal(c.n_t2, 2);
        assert_int_equal(loop_next_timer_ms(c.l), -1);
        loop_free(c.l);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(t_watch_and_stale_events),
                cmocka_unit_test(t_timers),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
