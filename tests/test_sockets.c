/* test_sockets.c - AF_UNIX sockets, unnamed (socketpair/dgram,
 * socketpair/seqpacket) and named (unix/stream, unix/seqpacket,
 * unix/dgram): every byte in order in both modes at the awkward sizes and
 * at the largest datagram the machine allows, message boundaries kept, an
 * impossible size refused with the limit named, the socket names gone once
 * both sides are connected, and nothing left behind after a run, a SIGKILL
 * of the consumer or a SIGINT of the harness.  (socketpair/stream is in
 * test_stream.c.) */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_ipc.h"

ParameterizedTestParameters(sockets, moves_every_byte_in_order)
{
    static struct tu_move_case cases[] = {
        IPC_MOVE_CASES("socketpair/dgram"),
        IPC_MOVE_CASES("socketpair/seqpacket"),
        IPC_MOVE_CASES("unix/stream"), IPC_MOVE_CASES("unix/seqpacket"),
        IPC_MOVE_CASES("unix/dgram"),
    };
    return cr_make_param_array(struct tu_move_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct tu_move_case *c, sockets, moves_every_byte_in_order,
                  .timeout = 60)
{
    size_t size = c->size == IPC_SIZE_LARGEST ? ipc_largest_size(c->transport)
                                          : c->size;

    tu_assert_moves_every_byte(c->transport, size);
}

/* ---- message boundaries ------------------------------------------------ */

/* Drive the transport by hand: once both sides are attached, a child sends
 * two messages of `size` bytes ('a's then 'b's) and exits; then we ask for
 * twice that in one receive.
 * A message transport hands over one message (and says it is short); a
 * stream glues the two together.  Returns 1 when the boundaries held. */
static int boundaries_hold(const char *name, size_t size)
{
    const struct transport *tp = transport_find(name);
    struct tp_channel ch = { .tp = tp, .mode = MODE_THROUGHPUT,
                             .msg_bytes = size, .messages = 2 };
    char err[ERR_LEN] = "";
    unsigned char *out = malloc(size), *in = malloc(2 * size);
    const unsigned char *msg;
    const void *got;
    int rc, status, kept, attached, up[2], go[2];
    char c;
    pid_t pid;

    cr_assert(out != NULL && in != NULL);
    cr_assert(pipe(up) == 0 && pipe(go) == 0);
    cr_assert_not_null(tp, "%s is not linked in", name);
    cr_assert_eq(tp->create(&ch, err), 0, "%s create: %s", name, err);
    pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        int ok;

        ch.role = ROLE_PRODUCER;
        ok = tp->attach(&ch, err) == 0 && write(up[1], "a", 1) == 1 &&
             read(go[0], &c, 1) == 1;  /* both sides attached, as in a run */
        for (int i = 0; ok && i < 2; i++) {
            memset(out, 'a' + i, size);
            ok = tp->send(&ch, out, size, err) == 0;
        }
        tp->detach(&ch);
        _exit(ok ? 0 : 1);
    }
    /* from here on a failure still cleans up: no socket file left */
    ch.role = ROLE_CONSUMER;
    attached = read(up[0], &c, 1) == 1;
    cr_expect(attached, "%s: the producer did not attach", name);
    if (attached) {
        attached = tp->attach(&ch, err) == 0;
        cr_expect(attached, "%s attach: %s", name, err);
    }
    if (attached)
        attached = write(go[1], "g", 1) == 1;
    for (int i = 0; i < 2; i++) {   /* a waiting producer sees EOF */
        close(up[i]);
        close(go[i]);
    }
    cr_expect_eq(waitpid(pid, &status, 0), pid);    /* both messages sent */
    if (!attached || status != 0) {
        cr_expect_fail("%s: the producer failed", name);
        kept = 1;               /* whatever the caller expects: failed */
        goto out;
    }
    rc = tp->recv(&ch, in, 2 * size, &got, err);
    kept = rc == -1;
    if (kept) {                 /* the second message must be whole */
        cr_expect(strstr(err, "expected") != NULL, "%s: %s", name, err);
        rc = tp->recv(&ch, in, size, &got, err);
        cr_expect_eq(rc, 0, "%s: second message: %s", name, err);
        msg = got;
        for (size_t i = 0; rc == 0 && i < size; i++)
            if (msg[i] != 'b') {
                cr_expect_fail("%s: byte %zu of message 2 is %#x", name, i,
                               msg[i]);
                break;
            }
    }
    if (tp->ready != NULL)
        cr_expect_eq(tp->ready(&ch, err), 0, "%s ready: %s", name, err);
out:
    tp->detach(&ch);
    tp->destroy(&ch);
    free(out);
    free(in);
    return kept;
}

ParameterizedTestParameters(sockets, keeps_message_boundaries)
{
    static struct tu_move_case cases[] = {
        { "socketpair/dgram", 1 }, { "socketpair/dgram", 4097 },
        { "socketpair/seqpacket", 1 }, { "socketpair/seqpacket", 4097 },
        { "unix/seqpacket", 1 }, { "unix/seqpacket", 4097 },
        { "unix/dgram", 1 }, { "unix/dgram", 4097 },
    };
    return cr_make_param_array(struct tu_move_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct tu_move_case *c, sockets, keeps_message_boundaries,
                  .timeout = 20)
{
    cr_expect(boundaries_hold(c->transport, c->size),
              "%s glued two %zu-byte messages together", c->transport,
              c->size);
}

/* The control: the same probe on a stream must see the bytes glued, or
 * the test above could not fail. */
Test(sockets, stream_glues_messages_the_probe_sees_it, .timeout = 20)
{
    cr_expect(!boundaries_hold("unix/stream", 100),
              "unix/stream kept boundaries: the probe is broken");
    cr_expect(!boundaries_hold("socketpair/stream", 100),
              "socketpair/stream kept boundaries: the probe is broken");
}

/* ---- limits -------------------------------------------------------------- */

Test(sockets, largest_datagram_follows_wmem_max, .timeout = 10)
{
    unsigned long wmem_max = ipc_read_ulong("/proc/sys/net/core/wmem_max");
    size_t want = 2 * wmem_max - 32;
    const char *names[] = { "socketpair/dgram", "socketpair/seqpacket",
                            "unix/dgram", "unix/seqpacket" };

    if (want > (4u << 20))
        want = 4u << 20;        /* one sk_buff, one kmalloc */
    for (size_t i = 0; i < 4; i++)
        cr_expect_eq(ipc_largest_size(names[i]), want, "%s: largest %zu, "
                     "expected %zu", names[i], ipc_largest_size(names[i]),
                     want);
    cr_expect_eq(ipc_largest_size("unix/stream"), IPC_STREAM_LARGE);
}

Test(sockets, oversized_datagram_is_refused_with_the_limit, .timeout = 30)
{
    char size[32], out[4096];
    struct bench_result res;
    int st;

    snprintf(size, sizeof(size), "%zu",
             ipc_largest_size("socketpair/dgram") + 1);
    st = tu_cli("ipclab", (char *[]){ "ipclab", "run", "socketpair/dgram",
                                      "--size", size, "--quiet", NULL },
                out, sizeof(out));
    cr_expect_eq(st, 2, "exit status %d: %s", st, out);
    cr_expect(strstr(out, "over 4M") != NULL || strstr(out, "wmem_max"),
              "the refusal does not name the limit: %s", out);
    /* in a sweep the cell is n/a with the same sentence, not a failure */
    tu_run("unix/dgram", MODE_LATENCY, ipc_largest_size("unix/dgram") + 1,
           &res);
    cr_expect_eq(res.status, RES_NA, "status %d: %s", res.status,
                 res.reason);
    cr_expect(strstr(res.reason, "over ") != NULL, "%s", res.reason);
}

/* ---- names and leftovers ------------------------------------------------- */

/* After ready() no socket file and no directory remain, and the
 * connection still works. */
Test(sockets, named_socket_is_unlinked_once_connected, .timeout = 20)
{
    const char *names[] = { "unix/stream", "unix/seqpacket", "unix/dgram" };

    for (size_t t = 0; t < 3; t++) {
        const struct transport *tp = transport_find(names[t]);
        struct tp_channel ch = { .tp = tp, .mode = MODE_LATENCY,
                                 .msg_bytes = 64, .messages = 1 };
        char err[ERR_LEN] = "", buf[64], c;
        const void *got;
        int status, attached[2];
        pid_t pid;

        cr_assert_not_null(tp);
        cr_assert_eq(pipe(attached), 0);
        cr_assert_eq(tp->create(&ch, err), 0, "%s: %s", names[t], err);
        cr_expect_eq(ipc_private_dirs(getpid()), 1, "%s: no private directory",
                     names[t]);
        pid = fork();
        cr_assert_neq(pid, -1);
        if (pid == 0) {         /* producer: connect, then echo once */
            int ok;

            ch.role = ROLE_PRODUCER;
            ok = tp->attach(&ch, err) == 0 &&
                 write(attached[1], "a", 1) == 1 &&
                 tp->recv(&ch, buf, sizeof(buf), &got, err) == 0 &&
                 tp->send(&ch, got, sizeof(buf), err) == 0;
            tp->detach(&ch);
            _exit(ok ? 0 : 1);
        }
        close(attached[1]);
        ch.role = ROLE_CONSUMER;
        cr_assert_eq(tp->attach(&ch, err), 0, "%s: %s", names[t], err);
        cr_assert_eq(read(attached[0], &c, 1), 1, "%s: producer attach",
                     names[t]);
        close(attached[0]);
        cr_assert_eq(tp->ready(&ch, err), 0, "%s: %s", names[t], err);
        cr_expect_eq(ipc_private_dirs(getpid()), 0, "%s: the socket directory "
                     "outlived ready()", names[t]);
        memset(buf, 'q', sizeof(buf));
        cr_expect_eq(tp->send(&ch, buf, sizeof(buf), err), 0, "%s", err);
        cr_expect_eq(tp->recv(&ch, buf, sizeof(buf), &got, err), 0, "%s",
                     err);
        cr_expect_eq(memcmp(got, "qqqq", 4), 0);
        cr_expect_eq(waitpid(pid, &status, 0), pid);
        cr_expect_eq(status, 0, "%s: the producer failed", names[t]);
        tp->detach(&ch);
        tp->destroy(&ch);
    }
}

static const char *const leak_names[] = {
    "socketpair/dgram", "socketpair/seqpacket", "unix/stream",
    "unix/seqpacket", "unix/dgram",
};
#define NLEAK (sizeof(leak_names) / sizeof(leak_names[0]))

Test(sockets, a_run_leaves_nothing_behind, .timeout = 60)
{
    tu_exclusive_begin();
    for (size_t i = 0; i < NLEAK; i++)
        ipc_run_leaves_nothing(leak_names[i], 4096);
    tu_exclusive_end();
}

Test(sockets, sigkill_of_the_consumer_leaves_nothing_behind, .timeout = 60)
{
    tu_exclusive_begin();
    for (size_t i = 0; i < NLEAK; i++)
        ipc_kill_run(leak_names[i], i % 2 ? "latency" : "throughput", "4K",
                     IPC_KILL_CONSUMER, 150);
    tu_exclusive_end();
}

/* Also at once, while the children may still be connecting. */
Test(sockets, sigint_of_the_harness_leaves_nothing_behind, .timeout = 60)
{
    tu_exclusive_begin();
    for (size_t i = 0; i < NLEAK; i++) {
        ipc_kill_run(leak_names[i], "throughput", "4K", IPC_INT_HARNESS, 0);
        ipc_kill_run(leak_names[i], "latency", "4K", IPC_INT_HARNESS, 150);
    }
    tu_exclusive_end();
}
