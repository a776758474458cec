/* test_msgq.c - System V and POSIX message queues: every byte in order in
 * both modes at the awkward sizes that fit and at the largest size the
 * machine allows, each size over the limit refused with the limit named
 * (exit 2 for a named transport, n/a in a sweep), boundaries kept, the
 * queues private, removed or unlinked when they should be, and nothing
 * left behind (ipcs -q, the mqueue file system) after a run, a SIGKILL of
 * the consumer or a SIGINT of the harness. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_ipc.h"

/* ---- every byte, or the limit named ------------------------------------ */

ParameterizedTestParameters(msgq, moves_every_byte_or_names_the_limit)
{
    static struct tu_move_case cases[] = {
        IPC_MOVE_CASES("sysv_msgq"), IPC_MOVE_CASES("posix_mq"),
    };
    return cr_make_param_array(struct tu_move_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

/* Sizes over this machine's limit (64 KiB + 1 with default sysctls) must
 * come back n/a with the limit in the reason, never clamped. */
ParameterizedTest(struct tu_move_case *c, msgq,
                  moves_every_byte_or_names_the_limit, .timeout = 60)
{
    size_t largest = ipc_largest_size(c->transport);
    size_t size = c->size == IPC_SIZE_LARGEST ? largest : c->size;
    struct bench_config cfg = tu_config();
    struct bench_result res;

    cfg.verify = VERIFY_FULL;
    if (size < 64)
        cfg.bytes = 64u << 10;  /* 1-byte messages: 64 Ki of them */
    for (int m = 0; m < 2; m++) {
        tu_run_cfg(&cfg, c->transport, (enum tp_mode)m, size, &res);
        if (size > largest) {
            cr_expect_eq(res.status, RES_NA, "%s size %zu over %zu: %s",
                         c->transport, size, largest, res.reason);
            cr_expect(strstr(res.reason, "over ") != NULL &&
                          strstr(res.reason, "raise") != NULL,
                      "%s: %s", c->transport, res.reason);
            continue;
        }
        cr_assert_eq(res.status, RES_OK, "%s %s size %zu: %s", c->transport,
                     bench_mode_name((enum tp_mode)m), size, res.reason);
        cr_assert_eq(res.verified, 1, "%s %s size %zu: not verified",
                     c->transport, bench_mode_name((enum tp_mode)m), size);
    }
}

/* ---- limits are read at run time and named ------------------------------ */

Test(msgq, sysv_limit_is_msgmax, .timeout = 10)
{
    unsigned long msgmax = ipc_read_ulong("/proc/sys/kernel/msgmax");
    unsigned long msgmnb = ipc_read_ulong("/proc/sys/kernel/msgmnb");
    unsigned long want = msgmax;

    if (msgmnb < want && !ipc_has_sys_resource())
        want = msgmnb;
    cr_expect_eq(ipc_largest_size("sysv_msgq"), want);
}

Test(msgq, posix_limit_is_msgsize_max, .timeout = 10)
{
    unsigned long msgsize_max =
        ipc_read_ulong("/proc/sys/fs/mqueue/msgsize_max");
    size_t largest = ipc_largest_size("posix_mq");

    if (ipc_has_sys_resource())     /* the kernel lets it go further */
        cr_expect_geq(largest, msgsize_max);
    else
        cr_expect_eq(largest, msgsize_max);
}

static void refused_by_cli(const char *name, const char *phrase)
{
    char size[32], out[4096];
    int st;

    snprintf(size, sizeof(size), "%zu", ipc_largest_size(name) + 1);
    st = tu_cli("ipclab", (char *[]){ "ipclab", "run", (char *)name,
                                      "--size", size, "--quiet", NULL },
                out, sizeof(out));
    cr_expect_eq(st, 2, "%s --size %s: exit status %d: %s", name, size, st,
                 out);
    cr_expect(strstr(out, phrase) != NULL, "%s: the refusal should say "
              "\"%s\": %s", name, phrase, out);
}

Test(msgq, oversized_sysv_message_is_refused_naming_msgmax, .timeout = 30)
{
    char phrase[128];
    unsigned long msgmax = ipc_read_ulong("/proc/sys/kernel/msgmax");

    if (ipc_largest_size("sysv_msgq") == msgmax)
        snprintf(phrase, sizeof(phrase), "over msgmax %lu; raise "
                 "/proc/sys/kernel/msgmax", msgmax);
    else
        snprintf(phrase, sizeof(phrase), "/proc/sys/kernel/msgmnb");
    refused_by_cli("sysv_msgq", phrase);
}

Test(msgq, oversized_posix_message_is_refused_naming_the_limit,
     .timeout = 30)
{
    refused_by_cli("posix_mq", ipc_has_sys_resource() ? "over "
                                                  : "over msgsize_max");
}

/* ---- boundaries ---------------------------------------------------------- */

/* A child sends two messages and exits; a receive asking for twice the
 * size gets one message (reported short), then the second comes whole. */
static void assert_keeps_boundaries(const char *name, size_t size)
{
    const struct transport *tp = transport_find(name);
    struct tp_channel ch = { .tp = tp, .mode = MODE_THROUGHPUT,
                             .msg_bytes = size, .messages = 2 };
    char err[ERR_LEN] = "";
    unsigned char *out = malloc(size), *in = malloc(2 * size);
    const unsigned char *msg;
    const void *got;
    int status;
    pid_t pid;

    cr_assert(out != NULL && in != NULL);
    cr_assert_not_null(tp);
    cr_assert_eq(tp->create(&ch, err), 0, "%s create: %s", name, err);
    pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        int ok;

        ch.role = ROLE_PRODUCER;
        ok = tp->attach(&ch, err) == 0;
        for (int i = 0; ok && i < 2; i++) {
            memset(out, 'a' + i, size);
            ok = tp->send(&ch, out, size, err) == 0;
        }
        tp->detach(&ch);
        _exit(ok ? 0 : 1);
    }
    ch.role = ROLE_CONSUMER;
    cr_assert_eq(tp->attach(&ch, err), 0, "%s attach: %s", name, err);
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert_eq(status, 0, "%s: the producer failed", name);
    cr_expect_eq(tp->recv(&ch, in, 2 * size, &got, err), -1,
                 "%s: one receive took two messages", name);
    cr_expect(strstr(err, "expected") != NULL, "%s: %s", name, err);
    cr_expect_eq(tp->recv(&ch, in, size, &got, err), 0, "%s: %s", name,
                 err);
    msg = got;
    for (size_t i = 0; i < size; i++)
        if (msg[i] != 'b') {
            cr_expect_fail("%s: byte %zu of message 2 is %#x", name, i,
                           msg[i]);
            break;
        }
    if (tp->ready != NULL)
        cr_expect_eq(tp->ready(&ch, err), 0, "%s ready: %s", name, err);
    tp->detach(&ch);
    tp->destroy(&ch);
    free(out);
    free(in);
}

Test(msgq, keeps_message_boundaries, .timeout = 20)
{
    size_t sizes[] = { 1, 100, 4000 };

    for (size_t i = 0; i < 3; i++) {
        assert_keeps_boundaries("sysv_msgq", sizes[i]);
        assert_keeps_boundaries("posix_mq", sizes[i]);
    }
}

/* ---- the queues themselves ----------------------------------------------- */

/* Key and permissions of the System V queue pid last sent to; 0 when
 * found. */
static int sysv_queue_of(pid_t pid, long *key, unsigned long *perms)
{
    FILE *f = fopen("/proc/sysvipc/msg", "r");
    char line[512];
    int rc = -1;

    cr_assert_not_null(f);
    cr_assert_not_null(fgets(line, sizeof(line), f));   /* header */
    while (rc == -1 && fgets(line, sizeof(line), f) != NULL) {
        long id, lspid;
        unsigned long cbytes, qnum;

        if (sscanf(line, "%ld %ld %lo %lu %lu %ld", key, &id, perms, &cbytes,
                   &qnum, &lspid) == 6 && lspid == pid)
            rc = 0;
    }
    fclose(f);
    return rc;
}

/* A child sends one message; the queue it used must be IPC_PRIVATE (key
 * 0) and 0600, and gone after destroy(). */
Test(msgq, sysv_queue_is_private_0600_and_removed_by_destroy, .timeout = 10)
{
    const struct transport *tp = transport_find("sysv_msgq");
    struct tp_channel ch = { .tp = tp, .mode = MODE_THROUGHPUT,
                             .msg_bytes = 64, .messages = 1 };
    char err[ERR_LEN] = "", buf[64] = "";
    unsigned long perms = 0;
    long key = -1;
    int status;
    pid_t pid;

    cr_assert_not_null(tp);
    cr_assert_eq(tp->create(&ch, err), 0, "%s", err);
    pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        int ok;

        ch.role = ROLE_PRODUCER;
        ok = tp->attach(&ch, err) == 0 &&
             tp->send(&ch, buf, sizeof(buf), err) == 0;
        tp->detach(&ch);
        _exit(ok ? 0 : 1);
    }
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert_eq(status, 0, "the producer failed");
    cr_assert_eq(sysv_queue_of(pid, &key, &perms), 0, "no queue found");
    cr_expect_eq(key, 0, "key %#lx: not IPC_PRIVATE", key);
    cr_expect_eq(perms & 0777, 0600, "queue mode %lo", perms & 0777);
    tp->destroy(&ch);
    cr_expect_eq(sysv_queue_of(pid, &key, &perms), -1, "queue left");
}

Test(msgq, posix_queues_are_unlinked_once_both_hold_them, .timeout = 20)
{
    const struct transport *tp = transport_find("posix_mq");
    struct tp_channel ch = { .tp = tp, .mode = MODE_LATENCY,
                             .msg_bytes = 64, .messages = 1 };
    char err[ERR_LEN] = "", buf[64];
    const void *got;
    int before, status, attached[2];
    char c;
    pid_t pid;

    cr_assert_not_null(tp);
    tu_exclusive_begin();
    before = ipc_mqueues(getpid());
    if (before == -1) {
        tu_exclusive_end();
        cr_skip_test("no mqueue file system to look at");
    }
    cr_assert_eq(pipe(attached), 0);
    cr_assert_eq(tp->create(&ch, err), 0, "%s", err);
    cr_expect_eq(ipc_mqueues(getpid()), before + 2, "ping and pong queues");
    pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        int ok;

        ch.role = ROLE_PRODUCER;
        memset(buf, 'm', sizeof(buf));
        ok = tp->attach(&ch, err) == 0 && write(attached[1], "a", 1) == 1 &&
             tp->send(&ch, buf, sizeof(buf), err) == 0 &&
             tp->recv(&ch, buf, sizeof(buf), &got, err) == 0;
        tp->detach(&ch);
        _exit(ok ? 0 : 1);
    }
    close(attached[1]);
    ch.role = ROLE_CONSUMER;
    cr_assert_eq(tp->attach(&ch, err), 0, "%s", err);
    cr_assert_eq(read(attached[0], &c, 1), 1, "producer attach");
    close(attached[0]);
    cr_assert_eq(tp->ready(&ch, err), 0, "%s", err);
    cr_expect_eq(ipc_mqueues(getpid()), before,
                 "a queue name outlived ready()");
    cr_expect_eq(tp->recv(&ch, buf, sizeof(buf), &got, err), 0, "%s", err);
    cr_expect_eq(tp->send(&ch, got, sizeof(buf), err), 0, "%s", err);
    cr_expect_eq(waitpid(pid, &status, 0), pid);
    cr_expect_eq(status, 0, "the producer failed");
    tp->detach(&ch);
    tp->destroy(&ch);
    tu_exclusive_end();
}

/* ---- nothing left behind ------------------------------------------------- */

Test(msgq, a_run_leaves_nothing_behind, .timeout = 60)
{
    tu_exclusive_begin();
    ipc_run_leaves_nothing("sysv_msgq", 4096);
    ipc_run_leaves_nothing("posix_mq", 4096);
    tu_exclusive_end();
}

Test(msgq, sigkill_of_the_consumer_leaves_nothing_behind, .timeout = 60)
{
    const char *names[] = { "sysv_msgq", "posix_mq" };

    tu_exclusive_begin();
    for (int i = 0; i < 2; i++) {
        ipc_kill_run(names[i], "throughput", "4K", IPC_KILL_CONSUMER, 150);
        ipc_kill_run(names[i], "latency", "4K", IPC_KILL_CONSUMER, 150);
    }
    tu_exclusive_end();
}

/* Also at once, before the POSIX names are unlinked. */
Test(msgq, sigint_of_the_harness_leaves_nothing_behind, .timeout = 60)
{
    const char *names[] = { "sysv_msgq", "posix_mq" };

    tu_exclusive_begin();
    for (int i = 0; i < 2; i++) {
        ipc_kill_run(names[i], "throughput", "4K", IPC_INT_HARNESS, 0);
        ipc_kill_run(names[i], "latency", "4K", IPC_INT_HARNESS, 150);
    }
    tu_exclusive_end();
}
