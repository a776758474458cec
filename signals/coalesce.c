/* coalesce.c - standard signals coalesce, realtime signals queue: counted.
 *
 * What it is.  The kernel keeps one pending bit per standard signal: while
 * SIGUSR1 is pending, sending it again changes nothing, so N sends may give
 * anything from 1 to N deliveries.  Realtime signals are queued one entry
 * per send (up to RLIMIT_SIGPENDING), so N sends give exactly N
 * deliveries, in order.  This file sends N of each back to back to a
 * receiver process and counts what arrived; the rows show sent, received
 * and lost.  The moral: a standard signal says "at least one event
 * happened", never "how many"; see signal(7), "Queueing and delivery
 * semantics for standard signals".
 *
 * Transports: coalesce/standard (kill SIGUSR1, end marker SIGUSR2) and
 * coalesce/realtime (sigqueue SIGRTMIN with the index as payload, end
 * marker SIGRTMIN+1).  Both are solo runs: the harness's producer process
 * does the whole experiment in custom() and forks the receiver itself,
 * because signal delivery between processes is the subject.
 *
 * Kernel objects.  A pipe that carries the receiver's count back; pending
 * signal entries.  The receiver is reaped before custom() returns.
 *
 * Waiting, and counting exactly.  The sender blocks both signals before
 * fork, so the receiver is born with them blocked (and cannot be killed by
 * an early SIGUSR1); the sender then restores its own mask.  The receiver
 * takes signals with sigwaitinfo().  The end marker is sent after the last
 * data signal, and after seeing it the receiver drains whatever data
 * signal is still pending with sigtimedwait() and a zero timeout, so the
 * count is exact whatever order the kernel delivers pending signals in.
 * The receiver inherits the sender's CPU pinning: with both on one CPU the
 * receiver runs only when the scheduler preempts the sender, which is
 * exactly when sends pile up - and coalesce.
 *
 * Protocol (inside custom()):
 *
 *      sender (harness's producer)           receiver (forked here)
 *      ---------------------------           ----------------------
 *      block DATA, END; pipe; fork --------> (inherits the blocked mask)
 *      restore mask                          loop: sigwaitinfo(DATA|END)
 *      N x send DATA  -------------------->    DATA: count (realtime:
 *      send END       -------------------->          check the index)
 *                                              END: drain DATA, stop
 *      read(count)    <------- pipe -------  write(count); _exit(0)
 *      waitpid(receiver)
 *
 * Usage: bin/coalesce [--sig-count N]   (or: ipclab run coalesce)
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../bench/transport.h"
#include "../bench/util.h"

enum coal_kind { COAL_STANDARD, COAL_REALTIME };

static unsigned long coal_signals_opt = 1000;  /* --sig-count */
static const struct tp_option coal_signals_option = {
    .name = "sig-count",
    .type = OPT_UINT,
    .value = &coal_signals_opt,
    .arg = "N",
    .help = "coalesce: signals sent back to back per run, 1..1000000 "
            "(default 1000)",
    .min = 1, .max = 1000000, .applies = "coalesce/*",
};
TRANSPORT_OPTION(coal_signals_option);

/* What the receiver writes back through the pipe. */
struct coal_report {
    uint64_t received;
    uint64_t misordered;        /* realtime: payload != arrival index */
};

struct coal_priv {
    uint64_t signals;           /* N */
};

static int coal_create(struct tp_channel *ch, char *err)
{
    struct coal_priv *p = calloc(1, sizeof(*p));
    struct rlimit rl;

    if (p == NULL)
        return err_sys(err, "calloc");
    ch->priv = p;
    p->signals = coal_signals_opt;
    if (p->signals == 0 || p->signals > INT32_MAX)
        return err_set(err, "--sig-count must be 1..%d",
                       (int)INT32_MAX);
    if (ch->tp->variant == COAL_REALTIME) {
        if (getrlimit(RLIMIT_SIGPENDING, &rl) == -1)
            return err_sys(err, "getrlimit RLIMIT_SIGPENDING");
        if (rl.rlim_cur != RLIM_INFINITY && p->signals + 1 > rl.rlim_cur / 2)
            return err_set(err, "%llu realtime signals may all be pending at "
                                "once: over half of RLIMIT_SIGPENDING %llu; "
                                "lower --sig-count or raise ulimit -i",
                           (unsigned long long)p->signals,
                           (unsigned long long)rl.rlim_cur);
    }
    snprintf(ch->note, NOTE_LEN, "per run %llu %s signals sent back to "
             "back; lost = coalesced, summed over reps",
             (unsigned long long)p->signals,
             ch->tp->variant == COAL_REALTIME ? "realtime" : "standard");
    return 0;
}

/* Nothing to open: the run forks its own receiver in custom(). */
static int coal_attach(struct tp_channel *ch, char *err)
{
    (void)ch;
    (void)err;
    return 0;
}

/* The receiver: count DATA until END, then drain DATA still pending.
 * Runs in the forked child; reports through the pipe and _exit()s. */
static void coal_receive(int kind, int sig_data, int sig_end, int fd)
{
    struct coal_report rep = { 0, 0 };
    static const struct timespec zero = { 0, 0 };
    char err[ERR_LEN];
    sigset_t set, data_only;
    siginfo_t si;
    int sig;

    sigemptyset(&set);
    sigaddset(&set, sig_data);
    sigaddset(&set, sig_end);
    sigemptyset(&data_only);
    sigaddset(&data_only, sig_data);
    for (;;) {
        sig = sigwaitinfo(&set, &si);
        if (sig == -1) {
            if (errno == EINTR)
                continue;
            _exit(2);
        }
        if (sig == sig_end)
            break;
        if (kind == COAL_REALTIME &&
            si.si_value.sival_int != (int)rep.received)
            rep.misordered++;     /* realtime: index = arrival order */
        rep.received++;
    }
    while ((sig = sigtimedwait(&data_only, &si, &zero)) == sig_data) {
        if (kind == COAL_REALTIME &&
            si.si_value.sival_int != (int)rep.received)
            rep.misordered++;
        rep.received++;
    }
    if (sig == -1 && errno != EAGAIN)
        _exit(2);
    if (write_full(fd, &rep, sizeof(rep), err) == -1)
        _exit(3);
    _exit(0);
}

static int coal_send(pid_t pid, int kind, int sig, int value, char *err)
{
    union sigval val;

    if (kind == COAL_STANDARD) {
        if (kill(pid, sig) == -1)
            return err_sys(err, "kill");
        return 0;
    }
    memset(&val, 0, sizeof(val));
    val.sival_int = value;
    if (sigqueue(pid, sig, val) == -1)
        return err_sys(err, errno == EAGAIN ? "sigqueue (RLIMIT_SIGPENDING "
                                              "reached; ulimit -i)"
                                            : "sigqueue");
    return 0;
}

static int coal_custom(struct tp_channel *ch, struct tp_counts *counts,
                       char *err)
{
    struct coal_priv *p = ch->priv;
    int kind = ch->tp->variant;
    int sig_data = kind == COAL_REALTIME ? SIGRTMIN : SIGUSR1;
    int sig_end = kind == COAL_REALTIME ? SIGRTMIN + 1 : SIGUSR2;
    struct coal_report rep;
    sigset_t set, old_mask;
    int fds[2], status, ret = -1;
    pid_t pid, sender = getpid();

    sigemptyset(&set);
    sigaddset(&set, sig_data);
    sigaddset(&set, sig_end);
    if (pipe(fds) == -1)
        return err_sys(err, "pipe");
    if (sigprocmask(SIG_BLOCK, &set, &old_mask) == -1) {
        err_sys(err, "sigprocmask");
        goto close_pipe;
    }
    pid = fork();               /* the child inherits the blocked mask */
    if (pid == -1) {
        err_sys(err, "fork");
        goto restore_mask;
    }
    if (pid == 0) {
        /* Die with the sender: a receiver left in sigwaitinfo() after
         * the harness killed the sender would wait forever. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != sender)
            _exit(4);
        close(fds[0]);
        coal_receive(kind, sig_data, sig_end, fds[1]);     /* no return */
    }
    (void)sigprocmask(SIG_SETMASK, &old_mask, NULL);  /* sender: as before */
    close_fd(&fds[1]);          /* EOF if the receiver dies */

    for (uint64_t i = 0; i < p->signals; i++)
        if (coal_send(pid, kind, sig_data, (int)i, err) == -1)
            goto kill_receiver;
    if (coal_send(pid, kind, sig_end, 0, err) == -1)
        goto kill_receiver;
    if (read_full(fds[0], &rep, sizeof(rep), err) == -1)
        goto kill_receiver;
    if (rep.misordered != 0) {
        err_set(err, "%llu realtime signals arrived out of order",
                (unsigned long long)rep.misordered);
        goto reap;
    }
    counts->sent = p->signals;
    counts->received = rep.received;
    counts->lost = p->signals - rep.received;
    ret = 0;
    goto reap;

kill_receiver:
    (void)kill(pid, SIGKILL);
reap:
    while (waitpid(pid, &status, 0) == -1)
        if (errno != EINTR) {
            ret = err_sys(err, "waitpid");
            goto close_pipe;
        }
    if (ret == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
        ret = err_set(err, "the receiver failed (status 0x%x)", status);
    goto close_pipe;
restore_mask:
    (void)sigprocmask(SIG_SETMASK, &old_mask, NULL);
close_pipe:
    close_fd(&fds[0]);
    close_fd(&fds[1]);
    return ret;
}

static void coal_destroy(struct tp_channel *ch)
{
    free(ch->priv);
    ch->priv = NULL;
}

#define COAL_TRANSPORT(var, tpname, v, c, text)                            \
    static const struct transport var = {                                  \
        .name = tpname,                                                    \
        .family = TP_SIGNALS,                                              \
        .summary = text,                                                   \
        .caps = TP_SOLO | TP_NO_SIZE | TP_NO_LATENCY | (c),                \
        /* realtime: sigqueue (getpid, getuid, rt_sigqueueinfo), then      \
         * sigwaitinfo; standard: kill, the coalesced rest not taken */    \
        .copies = TP_COPIES((v) == COAL_REALTIME ? 2 : 0),                 \
        .syscalls = TP_SYSCALLS((v) == COAL_REALTIME ? 3 : 1,              \
                                (v) == COAL_REALTIME ? 1 : 0),             \
        .variant = v,                                                      \
        .create = coal_create,                                             \
        .attach = coal_attach,                                             \
        .custom = coal_custom,                                             \
        .destroy = coal_destroy,                                           \
    };                                                                     \
    TRANSPORT_REGISTER(var)

COAL_TRANSPORT(coal_standard, "coalesce/standard", COAL_STANDARD, TP_LOSSY,
               "N standard signals back to back: pending ones coalesce");
COAL_TRANSPORT(coal_realtime, "coalesce/realtime", COAL_REALTIME, 0,
               "N realtime signals back to back: every one is queued");
