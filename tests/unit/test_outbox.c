/* test_outbox.c — the outbox table (outbox.h): queueing inside a caller's
 * transaction, idempotent and conflicting Message-IDs, claiming in due
 * order, every state transition and the ones refused, recovery of
 * interrupted deliveries, listing and counts. */
#include <errno.h>
#include <stdio.h>

#include "testutil.h"

#include "bidbroker/err.h"
#include "bidbroker/outbox.h"
#include "bidbroker/store.h"
#include "bidbroker/util.h"

#define T0 1764680000

struct fx {
        char  dir[64];
        struct store *s;
};

static int
setup(void **state)
{
        struct fx *f = xcalloc(1, sizeof(*f));
        struct err err = { 0 };

        test_tmpdir(f->dir, "test_outbox");
        if (store_open(f->dir, &f->s, &err) < 0) {
                fprintf(stderr, "%s\n", err.msg);
                return -1;
        }
        *state = f;
        return 0;
}

static int
teardown(void **state)
{
        struct fx *f = *state;

        store_close(f->s);
        test_rmtree(f->dir);
        free(f);
        return 0;
}

/* A message with CRLF and a NUL byte inside: stored and read back exactly. */
static const char msg1[] = "From: a@example.org\r\nMessage-ID: <1@x>\r\n\r\nbody\0tail\r\n";
#define MSG1_LEN (sizeof(msg1) - 1)

static int64_t
enqueue(struct store *s, const char *member, const char *mid, int64_t now)
{
        struct err e = { 0 };
        int64_t id = 0;
        char *bytes = xasprintf("Message-ID: %s\r\n\r\nfor %s\r\n", mid, member);

        assert_int_equal(outbox_enqueue(s, member, "m@example.org", mid, bytes,
                                        strlen(bytes), now, &id, &e), 0);
        free(bytes);
        assert_true(id > 0);
        return id;
}

static void
t_enqueue_in_transaction(void **state)
{
        struct fx *f = *state;
        struct outbox_msg m = { 0 };
        struct err e = { 0 };
        int64_t id = 0, n[OUTBOX__N];

        /* rolled back with the caller's transaction: nothing stays */
        assert_int_equal(store_begin(f->s, &e), 0);
        assert_int_equal(outbox_enqueue(f->s, "acme", "info@acme.example", "<1@x>", msg1,
                                        MSG1_LEN, T0, &id, &e), 0);
        assert_int_equal(store_rollback(f->s), 0);
        assert_int_equal(outbox_counts(f->s, n, &e), 0);
        assert_int_equal(n[OUTBOX_QUEUED], 0);

        assert_int_equal(store_begin(f->s, &e), 0);
        assert_int_equal(outbox_enqueue(f->s, "acme", "info@acme.example", "<1@x>", msg1,
                                        MSG1_LEN, T0, &id, &e), 0);
        assert_int_equal(store_commit(f->s, &e), 0);
        assert_int_equal(outbox_get(f->s, id, &m, &e), 0);
        assert_string_equal(m.member, "acme");
        assert_string_equal(m.rcpt, "info@acme.example");
        assert_string_equal(m.message_id, "<1@x>");
        assert_int_equal(m.len, MSG1_LEN);
        assert_memory_equal(m.bytes, msg1, MSG1_LEN);
        assert_int_equal(m.state, OUTBOX_QUEUED);
        assert_int_equal(m.attempts, 0);
        assert_int_equal(m.next_attempt, T0);
        assert_int_equal(m.created, T0);
        assert_int_equal(m.sent_at, 0);
        assert_null(m.last_error);
        outbox_msg_clear(&m);
}

static void
t_enqueue_same_and_conflicting(void **state)
{
        struct fx *f = *state;
        struct err e = { 0 };
        int64_t id = 0, again = 0, n[OUTBOX__N];

        assert_int_equal(outbox_enqueue(f->s, "acme", "a@x", "<1@x>", msg1, MSG1_LEN, T0,
                                        &id, &e), 0);
        /* the same message again (a caller's retry): the same row */
        assert_int_equal(outbox_enqueue(f->s, "acme", "a@x", "<1@x>", msg1, MSG1_LEN, T0 + 5,
                                        &again, &e), 0);
        assert_int_equal(again, id);
        /* other bytes, or another recipient, under the same Message-ID: refused */
        assert_int_equal(outbox_enqueue(f->s, "acme", "a@x", "<1@x>", msg1, MSG1_LEN - 1, T0,
                                        &again, &e), -EEXIST);
        assert_non_null(strstr(e.msg, "<1@x>"));
        assert_int_equal(outbox_enqueue(f->s, "acme", "b@x", "<1@x>", msg1, MSG1_LEN, T0,
                                        &again, &e), -EEXIST);
        assert_int_equal(outbox_counts(f->s, n, &e), 0);
        assert_int_equal(n[OUTBOX_QUEUED], 1);
}

static void
t_enqueue_refuses(void **state)
{
        struct fx *f = *state;
        struct err e = { 0 };
        int64_t id = 0;

        assert_int_equal(outbox_enqueue(f->s, "acme", "a@x", "<1@x>", msg1, 0, T0, &id, &e),
                         -EINVAL);
        assert_int_equal(outbox_enqueue(f->s, "acme", "a@x\r\nRCPT TO:<b@y>", "<1@x>", msg1,
                                        MSG1_LEN, T0, &id, &e), -EINVAL);
        assert_int_equal(outbox_enqueue(f->s, "acme", "", "<1@x>", msg1, MSG1_LEN, T0, &id,
                                        &e), -EINVAL);
        assert_int_equal(outbox_enqueue(f->s, "", "a@x", "<1@x>", msg1, MSG1_LEN, T0, &id,
                                        &e), -EINVAL);
        assert_int_equal(outbox_enqueue(f->s, "acme", "a@x", "", msg1, MSG1_LEN, T0, &id, &e),
                         -EINVAL);
}

static void
t_claim_in_due_order(void **state)
{
        struct fx *f = *state;
        struct outbox_msg m = { 0 };
        struct err e = { 0 };
        int64_t a = enqueue(f->s, "a", "<a@x>", T0 + 10);
        int64_t b = enqueue(f->s, "b", "<b@x>", T0);
        int64_t when = 0;

        assert_int_equal(outbox_next_due(f->s, &when, &e), 0);
        assert_int_equal(when, T0);
        /* nothing due before its time */
        assert_int_equal(outbox_claim(f->s, T0 - 1, &m, &e), -ENOENT);
        assert_int_equal(outbox_claim(f->s, T0 + 20, &m, &e), 0);
        assert_int_equal(m.id, b);                     /* due first */
        assert_int_equal(m.state, OUTBOX_SENDING);
        assert_int_equal(m.attempts, 1);
        assert_non_null(strstr(m.bytes, "for b"));
        outbox_msg_clear(&m);
        assert_int_equal(outbox_claim(f->s, T0 + 20, &m, &e), 0);
        assert_int_equal(m.id, a);
        outbox_msg_clear(&m);
        /* both are sending: nothing more to claim, nothing due */
        assert_int_equal(outbox_claim(f->s, T0 + 20, &m, &e), -ENOENT);
        assert_int_equal(outbox_next_due(f->s, &when, &e), -ENOENT);
}

static void
t_transitions(void **state)
{
        struct fx *f = *state;
        struct outbox_msg m = { 0 };
        struct err e = { 0 };
        int64_t id = enqueue(f->s, "a", "<a@x>", T0), n[OUTBOX__N];

        /* only a message being sent can end */
        assert_int_equal(outbox_mark_sent(f->s, id, T0, 250, &e), -ESTALE);
        assert_int_equal(outbox_claim(f->s, T0, &m, &e), 0);
        outbox_msg_clear(&m);
        /* 4xx: retry later; not claimable before then */
        assert_int_equal(outbox_mark_retry(f->s, id, T0 + 1, T0 + 300, 451, "451 try later",
                                           &e), 0);
        assert_int_equal(outbox_mark_retry(f->s, id, T0 + 1, T0 + 300, 451, "x", &e),
                         -ESTALE);
        assert_int_equal(outbox_get(f->s, id, &m, &e), 0);
        assert_int_equal(m.state, OUTBOX_RETRY);
        assert_int_equal(m.next_attempt, T0 + 300);
        assert_int_equal(m.last_code, 451);
        assert_string_equal(m.last_error, "451 try later");
        outbox_msg_clear(&m);
        assert_int_equal(outbox_claim(f->s, T0 + 299, &m, &e), -ENOENT);
        assert_int_equal(outbox_claim(f->s, T0 + 300, &m, &e), 0);
        assert_int_equal(m.attempts, 2);
        outbox_msg_clear(&m);
        /* 5xx: failed, never claimed again */
        assert_int_equal(outbox_mark_failed(f->s, id, T0 + 301, 550, "550 no such user", &e),
                         0);
        assert_int_equal(outbox_claim(f->s, T0 + 99999, &m, &e), -ENOENT);
        /* staff queue it again: due now, attempts kept */
        assert_int_equal(outbox_requeue(f->s, id, T0 + 400, &e), 0);
        assert_int_equal(outbox_requeue(f->s, id, T0 + 400, &e), -EINVAL);
        assert_int_equal(outbox_claim(f->s, T0 + 400, &m, &e), 0);
        assert_int_equal(m.attempts, 3);
        assert_int_equal(outbox_requeue(f->s, id, T0 + 400, &e), -EALREADY);
        assert_non_null(strstr(e.msg, "sending"));
        outbox_msg_clear(&m);
        assert_int_equal(outbox_mark_sent(f->s, id, T0 + 401, 250, &e), 0);
        assert_int_equal(outbox_get(f->s, id, &m, &e), 0);
        assert_int_equal(m.state, OUTBOX_SENT);
        assert_int_equal(m.sent_at, T0 + 401);
        assert_null(m.last_error);
        outbox_msg_clear(&m);
        assert_int_equal(outbox_requeue(f->s, id, T0 + 500, &e), -EALREADY);
        assert_non_null(strstr(e.msg, "sent"));
        assert_int_equal(outbox_requeue(f->s, 4242, T0 + 500, &e), -ENOENT);
        assert_int_equal(outbox_counts(f->s, n, &e), 0);
        assert_int_equal(n[OUTBOX_SENT], 1);
        assert_int_equal(n[OUTBOX_QUEUED] + n[OUTBOX_RETRY] + n[OUTBOX_FAILED], 0);
}

/* A sender that died while sending: the message is delivered again, as is. */
static void
t_recover(void **state)
{
        struct fx *f = *state;
        struct outbox_msg m = { 0 }, again = { 0 };
        struct err e = { 0 };
        int64_t id = enqueue(f->s, "a", "<a@x>", T0), n = 0;

        enqueue(f->s, "b", "<b@x>", T0 + 1000);
        assert_int_equal(outbox_claim(f->s, T0, &m, &e), 0);
        /* the process dies here; a new one starts */
        store_close(f->s);
        assert_int_equal(store_open(f->dir, &f->s, &e), 0);
        assert_int_equal(outbox_recover(f->s, T0 + 60, &n, &e), 0);
        assert_int_equal(n, 1);
        assert_int_equal(outbox_claim(f->s, T0 + 60, &again, &e), 0);
        assert_int_equal(again.id, id);
        assert_int_equal(again.attempts, 2);
        assert_string_equal(again.message_id, m.message_id);
        assert_int_equal(again.len, m.len);
        assert_memory_equal(again.bytes, m.bytes, m.len);
        assert_non_null(strstr(again.last_error, "delivery unknown"));
        outbox_msg_clear(&m);
        outbox_msg_clear(&again);
        /* nothing else was sending */
        assert_int_equal(outbox_mark_sent(f->s, id, T0 + 61, 250, &e), 0);
        assert_int_equal(outbox_recover(f->s, T0 + 62, &n, &e), 0);
        assert_int_equal(n, 0);
}

struct listed {
        int     n;
        int64_t ids[4];
        size_t  lens[4];
        bool    bytes_null;
};

static int
list_one(const struct outbox_msg *m, void *arg)
{
        struct listed *l = arg;

        if (l->n < 4) {
                l->ids[l->n] = m->id;
                l->lens[l->n] = m->len;
        }
        l->bytes_null = l->bytes_null && m->bytes == NULL;
        l->n++;
        return l->n == 2 ? 7 : 0;       /* stop after two: the value comes back */
}

static void
t_each_and_states(void **state)
{
        struct fx *f = *state;
        struct listed l = { .bytes_null = true };
        struct err e = { 0 };
        enum outbox_state st;
        int64_t a = enqueue(f->s, "a", "<a@x>", T0), b = enqueue(f->s, "b", "<b@x>", T0);

        enqueue(f->s, "c", "<c@x>", T0);
        assert_int_equal(outbox_each(f->s, list_one, &l, &e), 7);
        assert_int_equal(l.n, 2);
        assert_int_equal(l.ids[0], a);
        assert_int_equal(l.ids[1], b);
        assert_int_equal(l.lens[0], strlen("Message-ID: <a@x>\r\n\r\nfor a\r\n"));
        assert_true(l.bytes_null);
        for (int i = 0; i < OUTBOX__N; i++) {
                assert_int_equal(outbox_state_parse(outbox_state_name(i), &st), 0);
                assert_int_equal(st, i);
        }
        assert_int_equal(outbox_state_parse("delivered", &st), -EINVAL);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
                T(t_enqueue_in_transaction),
                T(t_enqueue_same_and_conflicting),
                T(t_enqueue_refuses),
                T(t_claim_in_due_order),
                T(t_transitions),
                T(t_recover),
                T(t_each_and_states),
#undef T
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
