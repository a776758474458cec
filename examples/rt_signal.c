/* transport: rt_signal
 *
 * rt_signal.c - realtime signals as a data channel: sigqueue() sends a
 * signal with a 4-byte value, and realtime signals (SIGRTMIN..SIGRTMAX),
 * unlike standard ones, are queued one per send and delivered in order.  A
 * producer sends BYTES to a consumer, 4 bytes per signal, as
 * signals/rt_signal.c does inside ipclab, without the harness.
 *
 * usage: rt_signal [4 [BYTES [CPU_PRODUCER CPU_CONSUMER]]]
 *        defaults: 4 400K, not pinned (CPU -1: not pinned)
 * prints: rt_signal: N messages of 4 bytes in S s (M msg/s): R MB/s
 *
 * How it works.  The parent blocks both signals before fork, so the
 * children inherit the mask and no signal is delivered to a handler: each
 * side takes them from its queue with sigwaitinfo().  A user may have at
 * most RLIMIT_SIGPENDING signals queued (`ulimit -i`); past that sigqueue()
 * fails with EAGAIN.  So the producer keeps at most W signals in flight
 * (W = min(4096, RLIMIT_SIGPENDING / 4)) and the consumer acknowledges
 * every W/2 with a second signal carrying its count.  See signal(7),
 * sigqueue(3).
 *
 *      parent: sigprocmask(SIG_BLOCK, {DATA, ACK})
 *
 *      producer                          consumer
 *      --------                          --------
 *      read(ready[0]) <----- "go" ----   write(ready[1])
 *      t0 = now
 *      sigqueue(consumer, DATA, i) ---->  sigwaitinfo(DATA): value == i?
 *      (i - acked == W:                   (every W/2 and the last:
 *       sigwaitinfo(ACK) -> acked) <----- sigqueue(producer, ACK, count))
 *      wait for the last ACK             (N signals) t1 = now
 *
 * Nothing to clean up: pending signals vanish with their process.
 */
#include "example.h"       /* first: it defines _GNU_SOURCE */

#include <sys/resource.h>

static void take(const sigset_t *set, siginfo_t *si)
{
    while (sigwaitinfo(set, si) == -1)
        if (errno != EINTR)
            errExit("sigwaitinfo");
}

/* sigqueue(); EAGAIN means the user's RLIMIT_SIGPENDING is full (other
 * processes of the same user count too): wait a little, up to a second. */
static void queue_signal(pid_t to, int sig, int value)
{
    for (int tries = 0;; tries++) {
        if (sigqueue(to, sig, (union sigval){ .sival_int = value }) == 0)
            return;
        if (errno != EAGAIN || tries == 1000)
            errExit("sigqueue");
        usleep(1000);
    }
}

int main(int argc, char **argv)
{
    struct ex_args a;
    struct rlimit rl;
    sigset_t data, ack, both;
    siginfo_t si;
    uint64_t *t, window = 4096;
    int ready[2];
    pid_t pid[2];
    char go = 'g';

    ex_args(argc, argv, "rt_signal", 4, 400 << 10, &a);
    if (a.size != 4)
        usageErr("SIZE %zu: a realtime signal carries 4 bytes (SIZE 4)",
                 a.size);
    if (a.count > INT32_MAX)
        usageErr("BYTES: at most %ld signals in a run", (long)INT32_MAX);
    if (getrlimit(RLIMIT_SIGPENDING, &rl) == -1)
        errExit("getrlimit");
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur / 4 < window)
        window = rl.rlim_cur / 4;
    if (window < 2)
        usageErr("RLIMIT_SIGPENDING %lu is too low; raise it with ulimit -i",
                 (unsigned long)rl.rlim_cur);
    ex_catch_signals();
    t = ex_clock();
    if (pipe(ready) == -1)
        errExit("pipe");
    sigemptyset(&data);
    sigaddset(&data, SIGRTMIN);
    sigemptyset(&ack);
    sigaddset(&ack, SIGRTMIN + 1);
    sigemptyset(&both);
    sigaddset(&both, SIGRTMIN);
    sigaddset(&both, SIGRTMIN + 1);
    if (sigprocmask(SIG_BLOCK, &both, NULL) == -1)  /* inherited by both */
        errExit("sigprocmask");

    for (int role = 1; role >= 0; role--) {     /* consumer first */
        pid[role] = fork();
        if (pid[role] == -1)
            errExit("fork");
        if (pid[role] != 0)
            continue;
        ex_child(a.cpu[role]);
        if (role == 1) {                        /* consumer */
            if (write(ready[1], &go, 1) != 1)
                errExit("write ready");
            for (uint64_t i = 0; i < a.count; i++) {
                take(&data, &si);
                if (si.si_value.sival_int != (int)i) {
                    errno = EPROTO;             /* cannot happen: queued */
                    errExit("sigwaitinfo (out of order)");
                }
                if ((i + 1) % (window / 2) == 0 || i + 1 == a.count)
                    queue_signal(si.si_pid, SIGRTMIN + 1, (int)(i + 1));
            }
            t[1] = ex_now_ns();
        } else {                                /* producer */
            uint64_t acked = 0;

            if (read(ready[0], &go, 1) != 1)
                errExit("read ready");
            t[0] = ex_now_ns();
            for (uint64_t i = 0; i < a.count; i++) {
                while (i - acked >= window) {   /* wait for the consumer */
                    take(&ack, &si);
                    acked = (uint64_t)si.si_value.sival_int;
                }
                queue_signal(pid[1], SIGRTMIN, (int)i);
            }
            while (acked < a.count) {           /* the last one is in */
                take(&ack, &si);
                acked = (uint64_t)si.si_value.sival_int;
            }
        }
        _exit(0);
    }
    if (ex_reap(pid) == -1)
        return 1;
    ex_report(&a, a.count, t);
    return 0;
}
