/* test_fifo.c - named pipes: every byte in order in both modes at the
 * awkward sizes, the FIFOs private (0600 in a 0700 directory) and unlinked
 * as soon as both sides hold them, and nothing left behind after a run, a
 * SIGKILL of the consumer or a SIGINT of the harness. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_ipc.h"

ParameterizedTestParameters(fifo, moves_every_byte_in_order)
{
    /* a FIFO is a stream with no size limit: 1 MiB stands for "large" */
    static size_t sizes[] = { 1, 4095, PIPE_BUF + 1, 65536 + 1,
                              IPC_STREAM_LARGE };

    return cr_make_param_array(size_t, sizes,
                               sizeof(sizes) / sizeof(sizes[0]));
}

ParameterizedTest(size_t *size, fifo, moves_every_byte_in_order,
                  .timeout = 60)
{
    tu_assert_moves_every_byte("fifo", *size);
}

/* The directory (and the FIFOs in it) this process made:
 * "ipclab-PID-*" in $TMPDIR; copies the first one's path to dir. */
static int my_private_dirs(char *dir, size_t dirlen)
{
    const char *tmp = getenv("TMPDIR");
    char prefix[64];
    struct dirent *e;
    DIR *d;
    int n = 0;

    if (tmp == NULL || tmp[0] == '\0')
        tmp = "/tmp";
    snprintf(prefix, sizeof(prefix), "ipclab-%ld-", (long)getpid());
    d = opendir(tmp);
    cr_assert_not_null(d);
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 && n++ == 0)
            snprintf(dir, dirlen, "%s/%s", tmp, e->d_name);
    closedir(d);
    return n;
}

/* Drive the transport by hand through one round trip, looking at the file
 * system at each step. */
Test(fifo, fifos_are_private_and_unlinked_once_open, .timeout = 20)
{
    const struct transport *tp = transport_find("fifo");
    struct tp_channel ch = { .tp = tp, .mode = MODE_LATENCY,
                             .msg_bytes = 100, .messages = 1 };
    char err[ERR_LEN] = "", dir[PATH_MAX], path[PATH_MAX + 8], buf[100];
    const char *names[] = { "ping", "pong" };
    const void *got;
    struct stat st;
    int status;
    pid_t pid;

    cr_assert_not_null(tp);
    cr_assert_eq(tp->create(&ch, err), 0, "%s", err);
    cr_assert_eq(my_private_dirs(dir, sizeof(dir)), 1);
    cr_assert_eq(stat(dir, &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0700, "directory mode %o",
                 st.st_mode & 0777);
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        cr_assert_eq(stat(path, &st), 0, "%s missing", path);
        cr_expect(S_ISFIFO(st.st_mode), "%s is not a FIFO", path);
        cr_expect_eq(st.st_mode & 0777, 0600, "%s: mode %o", path,
                     st.st_mode & 0777);
    }
    pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {             /* producer: ping, wait for the pong */
        int ok;

        ch.role = ROLE_PRODUCER;
        memset(buf, 'f', sizeof(buf));
        ok = tp->attach(&ch, err) == 0 &&
             tp->send(&ch, buf, sizeof(buf), err) == 0 &&
             tp->recv(&ch, buf, sizeof(buf), &got, err) == 0 &&
             memcmp(got, "ffff", 4) == 0;
        tp->detach(&ch);
        _exit(ok ? 0 : 1);
    }
    ch.role = ROLE_CONSUMER;
    /* returns only once the producer has opened both FIFOs too */
    cr_assert_eq(tp->attach(&ch, err), 0, "%s", err);
    cr_assert_eq(tp->ready(&ch, err), 0, "%s", err);
    cr_expect_eq(my_private_dirs(dir, sizeof(dir)), 0,
                 "the FIFO directory outlived ready()");
    cr_expect_eq(tp->recv(&ch, buf, sizeof(buf), &got, err), 0, "%s", err);
    cr_expect_eq(tp->send(&ch, got, sizeof(buf), err), 0, "%s", err);
    cr_expect_eq(waitpid(pid, &status, 0), pid);
    cr_expect_eq(status, 0, "the producer failed");
    tp->detach(&ch);
    tp->destroy(&ch);
}

/* destroy() alone (no fork, no attach: a run that failed early) removes
 * the FIFOs and their directory. */
Test(fifo, destroy_removes_fifos_never_opened, .timeout = 10)
{
    const struct transport *tp = transport_find("fifo");
    struct tp_channel ch = { .tp = tp, .mode = MODE_LATENCY,
                             .msg_bytes = 100, .messages = 1 };
    char err[ERR_LEN] = "", dir[PATH_MAX];

    cr_assert_not_null(tp);
    cr_assert_eq(tp->create(&ch, err), 0, "%s", err);
    cr_assert_eq(my_private_dirs(dir, sizeof(dir)), 1);
    tp->destroy(&ch);
    cr_expect_eq(my_private_dirs(dir, sizeof(dir)), 0, "%s is left", dir);
    tp->destroy(&ch);           /* idempotent */
}

/* ---- nothing left behind ----------------------------------------------- */

Test(fifo, a_run_leaves_nothing_behind, .timeout = 60)
{
    tu_exclusive_begin();
    ipc_run_leaves_nothing("fifo", 4096);
    tu_exclusive_end();
}

Test(fifo, sigkill_of_the_consumer_leaves_nothing_behind, .timeout = 60)
{
    tu_exclusive_begin();
    ipc_kill_run("fifo", "throughput", "4K", IPC_KILL_CONSUMER, 150);
    ipc_kill_run("fifo", "latency", "4K", IPC_KILL_CONSUMER, 150);
    tu_exclusive_end();
}

/* Also at once, while the children may still be meeting at open(). */
Test(fifo, sigint_of_the_harness_leaves_nothing_behind, .timeout = 60)
{
    tu_exclusive_begin();
    for (int i = 0; i < 2; i++) {
        ipc_kill_run("fifo", "throughput", "4K", IPC_INT_HARNESS, i * 150);
        ipc_kill_run("fifo", "latency", "4K", IPC_INT_HARNESS, i * 150);
    }
    tu_exclusive_end();
}
