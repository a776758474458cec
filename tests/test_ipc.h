/* test_ipc.h - helpers shared by the tests of the kernel-buffered local
 * mechanisms (test_fifo.c, test_sockets.c, test_msgq.c, test_vmsplice.c).
 *
 * Leftover checks here are by owner, not by machine-wide count: every name
 * these transports make carries the pid of the process that ran create()
 * (the harness parent) - "ipclab-PID-*" directories in $TMPDIR (FIFOs,
 * sockets), "/ipclab-PID-*" POSIX queues - and /proc/sysvipc/msg records
 * each System V queue's creator pid.  So a run can be checked while other
 * programs on the machine create and remove their own objects.
 */
#ifndef IPCLAB_TEST_IPC_H
#define IPCLAB_TEST_IPC_H

#include <criterion/criterion.h>
#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"

#define IPC_SIZE_LARGEST 0      /* table entry: the largest allowed size */
/* The awkward sizes every "moves every byte" table of a kernel-buffered
 * mechanism runs: 1, one under a page, PIPE_BUF + 1, 64 KiB + 1, and the
 * largest the transport takes on this machine. */
#define IPC_MOVE_CASES(tp)                                                 \
    { tp, 1 }, { tp, 4095 }, { tp, PIPE_BUF + 1 }, { tp, 65536 + 1 },      \
    { tp, IPC_SIZE_LARGEST }
#define IPC_STREAM_LARGE (1u << 20) /* stands for "large" with no limit */
#define IPC_MQUEUE_MAGIC 0x19800202 /* linux/magic.h */

static inline void ipc_ms_sleep(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    nanosleep(&ts, NULL);
}

static inline unsigned long ipc_read_ulong(const char *path)
{
    FILE *f = fopen(path, "r");
    unsigned long v = 0;

    cr_assert_not_null(f, "%s", path);
    cr_assert_eq(fscanf(f, "%lu", &v), 1, "%s", path);
    fclose(f);
    return v;
}

/* CAP_SYS_RESOURCE (bit 24 of CapEff) lets the kernel go past some of the
 * limits (mq_msgsize, msg_qbytes). */
static inline int ipc_has_sys_resource(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long long caps = 0;

    cr_assert_not_null(f);
    while (fgets(line, sizeof(line), f) != NULL)
        if (sscanf(line, "CapEff: %llx", &caps) == 1)
            break;
    fclose(f);
    return (caps >> 24) & 1;
}

/* The largest size the transport's check_size() accepts in both modes,
 * found by bisection; check_size reads the limits at run time.  A stream
 * without a check has no limit: IPC_STREAM_LARGE stands for it. */
static inline size_t ipc_largest_size(const char *name)
{
    const struct transport *tp = transport_find(name);
    char err[ERR_LEN];
    size_t lo = 1, hi = 64u << 20;

    cr_assert_not_null(tp, "%s is not linked in", name);
    if (tp->check_size == NULL)
        return IPC_STREAM_LARGE;
    cr_assert_eq(tp->check_size(tp, MODE_LATENCY, 1, err), 0, "%s", err);
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;

        if (tp->check_size(tp, MODE_THROUGHPUT, mid, err) == 0 &&
            tp->check_size(tp, MODE_LATENCY, mid, err) == 0)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* ---- what a creator left ------------------------------------------------ */

/* Entries of dir whose name starts with "ipclab-PID-" (PID 0: any). */
static inline int ipc_count_named(const char *dir, pid_t pid)
{
    char prefix[64];
    struct dirent *e;
    DIR *d;
    int n = 0;

    if (pid > 0)
        snprintf(prefix, sizeof(prefix), "ipclab-%ld-", (long)pid);
    else
        snprintf(prefix, sizeof(prefix), "ipclab-");
    d = opendir(dir);
    cr_assert_not_null(d, "%s: %s", dir, strerror(errno));
    while ((e = readdir(d)) != NULL)
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

static inline const char *ipc_tmpdir(void)
{
    const char *tmp = getenv("TMPDIR");

    return tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp";
}

/* Private directories (FIFOs, sockets) made by pid. */
static inline int ipc_private_dirs(pid_t pid)
{
    return ipc_count_named(ipc_tmpdir(), pid);
}

/* System V queues: all of them (pids == NULL), or those a process of
 * pids[0..npids) last sent to or received from (lspid, lrpid: the queue
 * has no creator pid).  /proc/sysvipc/msg columns: key msqid perms cbytes
 * qnum lspid lrpid ... */
static inline int ipc_sysv_queues(const pid_t *pids, int npids)
{
    FILE *f = fopen("/proc/sysvipc/msg", "r");
    char line[512];
    int n = 0;

    cr_assert_not_null(f);
    cr_assert_not_null(fgets(line, sizeof(line), f));   /* header */
    while (fgets(line, sizeof(line), f) != NULL) {
        long key, id, lspid, lrpid;
        unsigned long perms, cbytes, qnum;

        if (sscanf(line, "%ld %ld %lo %lu %lu %ld %ld", &key, &id, &perms,
                   &cbytes, &qnum, &lspid, &lrpid) != 7)
            continue;
        if (pids == NULL) {
            n++;
            continue;
        }
        for (int i = 0; i < npids; i++)
            if (pids[i] > 0 && (lspid == pids[i] || lrpid == pids[i])) {
                n++;
                break;
            }
    }
    fclose(f);
    return n;
}

/* POSIX queues named "ipclab-PID-*" (PID 0: any) in the mqueue file
 * system: at /dev/mqueue when it is mounted there, else through a view
 * mounted just for the count (root).  -1 when neither is possible. */
static inline int ipc_mqueues(pid_t pid)
{
    char view[] = "/tmp/mqueue-view-XXXXXX";
    struct statfs sf;
    int n;

    if (statfs("/dev/mqueue", &sf) == 0 && sf.f_type == IPC_MQUEUE_MAGIC)
        return ipc_count_named("/dev/mqueue", pid);
    cr_assert_not_null(mkdtemp(view));
    if (mount("mqueue", view, "mqueue", 0, NULL) != 0) {
        rmdir(view);
        return -1;
    }
    n = ipc_count_named(view, pid);
    cr_assert_eq(umount2(view, MNT_DETACH), 0);
    cr_assert_eq(rmdir(view), 0);
    return n;
}

/* Before a leftover test: the counts that are not attributable. */
struct ipc_before {
    int sysv_queues;
    int open_fds;
};

static inline void ipc_before(struct ipc_before *b)
{
    struct tu_leftovers now;

    tu_leftovers(&now);
    b->open_fds = now.open_fds;
    b->sysv_queues = ipc_sysv_queues(NULL, 0);
}

/* Nothing of creator's runs (and of its children kids[0..nkids)) is left:
 * no private directory, no POSIX queue, no System V queue they used; the
 * machine's System V queue count back to `before` within 2 s (other
 * programs may be mid-run); no descriptor leaked in this process, no
 * child left. */
static inline void ipc_expect_nothing_left(const struct ipc_before *before,
                                           pid_t creator, const pid_t *kids,
                                           int nkids)
{
    struct tu_leftovers now;
    int mq = ipc_mqueues(creator), sysv = 0, status;

    cr_expect_eq(ipc_private_dirs(creator), 0,
                 "an ipclab-%ld-* directory is left in %s", (long)creator,
                 ipc_tmpdir());
    cr_expect(mq <= 0, "%d POSIX queue(s) /ipclab-%ld-* left", mq,
              (long)creator);
    if (nkids > 0)
        cr_expect_eq(ipc_sysv_queues(kids, nkids), 0,
                     "a System V queue the run used is left");
    for (int i = 0; i < 20; i++) {
        sysv = ipc_sysv_queues(NULL, 0);
        if (sysv <= before->sysv_queues)
            break;
        ipc_ms_sleep(100);
    }
    cr_expect_leq(sysv, before->sysv_queues, "System V queues: %d -> %d",
                  before->sysv_queues, sysv);
    tu_leftovers(&now);
    cr_expect_eq(now.open_fds, before->open_fds, "open fds: %d -> %d",
                 before->open_fds, now.open_fds);
    errno = 0;
    cr_expect(waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD,
              "a child process is left (zombie or running)");
}

/* ---- killing runs ----------------------------------------------------- */

/* `ipclab run` of one transport and mode, long enough to be killed. */
static inline char *const *ipc_run_argv(const char *transport,
                                        const char *mode, const char *size)
{
    static char name[64], m[16], sz[16];
    static char *argv[] = {
        "ipclab", "run", "--mode", m, "--size", sz, "--bytes", "64G",
        "--iterations", "100000000", "--reps", "1", "--warmup", "0",
        "--timeout", "60", "--placement", "os", "--quiet", name, NULL };

    snprintf(name, sizeof(name), "%s", transport);
    snprintf(m, sizeof(m), "%s", mode);
    snprintf(sz, sizeof(sz), "%s", size);
    return argv;
}

enum ipc_kill { IPC_KILL_CONSUMER, IPC_INT_HARNESS };

/* Start a run, let it get going (after_ms), then SIGKILL its consumer or
 * SIGINT the harness; check how it ended and that nothing is left. */
static inline void ipc_kill_run(const char *transport, const char *mode,
                                const char *size, enum ipc_kill how,
                                long after_ms)
{
    struct ipc_before before;
    pid_t kids[4], pid;
    int n, st;

    ipc_before(&before);
    pid = tu_spawn("ipclab", ipc_run_argv(transport, mode, size));
    n = tu_children(pid, kids, 4, 2, 10000);
    cr_assert_geq(n, 2, "%s %s: the run did not start", transport, mode);
    ipc_ms_sleep(after_ms);
    if (how == IPC_KILL_CONSUMER) {
        cr_assert_eq(kill(kids[0], SIGKILL), 0);    /* forked first */
        st = tu_wait_status(pid);
        cr_expect_neq(st, 0, "%s %s: a killed run reported success",
                      transport, mode);
        cr_expect_lt(st, 128, "%s %s: the harness died (status %d)",
                     transport, mode, st);
    } else {
        cr_assert_eq(kill(pid, SIGINT), 0);
        st = tu_wait_status(pid);
        cr_expect_eq(st, 130, "%s %s: SIGINT should end the run with "
                     "status 130, not %d", transport, mode, st);
    }
    ipc_expect_nothing_left(&before, pid, kids, n);
}

/* tu_run() in both modes, then nothing left. */
static inline void ipc_run_leaves_nothing(const char *transport, size_t size)
{
    struct ipc_before before;
    struct bench_result res;

    ipc_before(&before);
    for (int m = 0; m < 2; m++) {
        tu_run(transport, (enum tp_mode)m, size, &res);
        cr_expect_eq(res.status, RES_OK, "%s %s: %s", transport,
                     bench_mode_name((enum tp_mode)m), res.reason);
    }
    ipc_expect_nothing_left(&before, getpid(), NULL, 0);
}

#endif
