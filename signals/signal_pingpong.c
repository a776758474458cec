/* signal_pingpong.c - a signal round trip between two processes, with the
 * three ways a process can wait for a signal.
 *
 * What it is.  A signal is the kernel's doorbell: one process asks the
 * kernel to mark a signal pending in another (kill, sigqueue) and the
 * kernel wakes the target.  It carries almost nothing - the signal number,
 * the sender's pid and uid, and with sigqueue(3) one `union sigval` - and a
 * standard signal that is already pending is not queued twice (see
 * signals/coalesce.c).  Choose it to notify ("a child died", "reload your
 * configuration", "stop"), never to move data; see signal(7).
 *
 * Variants (what the receiver does while it waits):
 *   signal/sigsuspend   a sigaction(2) handler; the signal stays blocked
 *                       except inside sigsuspend(2), which unblocks it and
 *                       sleeps in one atomic step.
 *   signal/sigwaitinfo  no handler: the signal stays blocked and
 *                       sigwaitinfo(2) takes it off the pending set.
 *   signal/signalfd     no handler: the blocked signal is read from a file
 *                       descriptor, signalfd(2), so it can sit in poll/epoll
 *                       next to sockets.
 *
 * Kernel objects.  None that outlive the processes: a pending-signal entry
 * (struct sigqueue, charged to RLIMIT_SIGPENDING) lives from sigqueue()
 * until it is taken; the signalfd variant adds one descriptor per process.
 *
 * Copies.  A signal carries no message, so the harness's message here is
 * its 4-byte sequence number (transport.h, TP_NO_SIZE), and it travels as
 * the one value a signal can carry: sigqueue() copies sival_int into the
 * pending entry, the receiver copies it out of its siginfo_t.  What recv()
 * hands back therefore really came through the kernel, and the harness
 * checks every one in order.  Message size does not apply: the row shows
 * size 0.
 *
 * Waiting, and why nothing is lost.  The harness forks both processes; each
 * blocks the signal it waits for in attach(), before it reports ready.  The
 * harness's start barrier lets neither side send until both are ready, so
 * no signal can arrive unblocked (the default action of SIGUSR1 would kill
 * the process).  From then on a signal sent early just stays pending until
 * the receiver waits: sigsuspend() swaps in the mask without it and sleeps
 * in one step, so a signal that lands between `while (!sigpp_got)` and the
 * sleep is delivered inside sigsuspend - the race that pause() loses.
 * sigwaitinfo() and signalfd read the pending set, so they cannot lose it
 * either.  create() runs in the harness's parent and leaves its signal
 * state alone: mask and handler change only in the children, which start
 * with an empty mask and default actions and exit after detach().
 *
 * Protocol (latency only):
 *
 *      producer                              consumer
 *      --------                              --------
 *      block SIGUSR2                         block SIGUSR1
 *      sigqueue(consumer, SIGUSR1, seq) ---> wait for SIGUSR1, take seq
 *      wait for SIGUSR2, take seq  <-------- sigqueue(producer, SIGUSR2, seq)
 *      ignore SIGUSR2, unblock               ignore SIGUSR1, unblock
 *
 * Each received signal is checked: right signal, si_code SI_QUEUE, sent by
 * the peer.
 *
 * Usage: bin/signal_pingpong [--mode latency]   (or: ipclab run signal)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "../bench/transport.h"
#include "../bench/util.h"

enum sigpp_wait { SIGPP_SUSPEND, SIGPP_WAITINFO, SIGPP_SIGNALFD };

#define SIGPP_PING SIGUSR1      /* producer -> consumer */
#define SIGPP_PONG SIGUSR2      /* consumer -> producer */

struct sigpp_priv {
    int sig_in, sig_out;        /* this process's signals, set in attach */
    sigset_t in_set;            /* {sig_in} */
    sigset_t old_mask;          /* mask before attach, restored in detach */
    sigset_t wait_mask;         /* sigsuspend: old_mask without sig_in */
    int blocked;                /* what detach must undo */
    int sfd;                    /* signalfd variant */
};

/* Written by the handler, read by the waiting loop.  Only the handler's
 * own process sees them: each child has its own copy. */
static volatile sig_atomic_t sigpp_got;         /* a signal arrived */
static volatile sig_atomic_t sigpp_value;       /* its sival_int */
static volatile sig_atomic_t sigpp_pid;         /* its si_pid */
static volatile sig_atomic_t sigpp_code;        /* its si_code */

static void sigpp_handler(int sig, siginfo_t *si, void *ucontext)
{
    sigpp_value = si->si_value.sival_int;
    sigpp_pid = si->si_pid;
    sigpp_code = si->si_code;
    sigpp_got = 1;
    (void)sig;
    (void)ucontext;
}

/* The message travels in sival_int: 4 bytes, the harness's sequence
 * number for a TP_NO_SIZE transport. */
static int sigpp_check_size(const struct transport *tp, enum tp_mode mode,
                            size_t msg_bytes, char *err)
{
    (void)tp;
    (void)mode;
    if (msg_bytes != sizeof(int))
        return err_set(err, "a signal carries one int (sival_int), not a "
                            "%zu-byte message", msg_bytes);
    return 0;
}

static int sigpp_create(struct tp_channel *ch, char *err)
{
    struct sigpp_priv *p = calloc(1, sizeof(*p));

    if (p == NULL)
        return err_sys(err, "calloc");
    p->sfd = -1;
    ch->priv = p;
    snprintf(ch->note, NOTE_LEN, "no payload: sival_int carries the "
             "sequence number");
    return 0;
}

/* Runs in each child before the start barrier: block first, then wait. */
static int sigpp_attach(struct tp_channel *ch, char *err)
{
    struct sigpp_priv *p = ch->priv;

    p->sig_in = ch->role == ROLE_PRODUCER ? SIGPP_PONG : SIGPP_PING;
    p->sig_out = ch->role == ROLE_PRODUCER ? SIGPP_PING : SIGPP_PONG;
    sigemptyset(&p->in_set);
    sigaddset(&p->in_set, p->sig_in);

    if (ch->tp->variant == SIGPP_SUSPEND) {
        struct sigaction sa;

        memset(&sa, 0, sizeof(sa));
        sa.sa_sigaction = sigpp_handler;
        sa.sa_flags = SA_SIGINFO;
        sigemptyset(&sa.sa_mask);
        if (sigaction(p->sig_in, &sa, NULL) == -1)
            return err_sys(err, "sigaction");
        sigpp_got = 0;
    }
    if (sigprocmask(SIG_BLOCK, &p->in_set, &p->old_mask) == -1)
        return err_sys(err, "sigprocmask");
    p->blocked = 1;
    p->wait_mask = p->old_mask;
    sigdelset(&p->wait_mask, p->sig_in);

    if (ch->tp->variant == SIGPP_SIGNALFD) {
        p->sfd = signalfd(-1, &p->in_set, SFD_CLOEXEC);
        if (p->sfd == -1)
            return err_sys(err, "signalfd");
    }
    return 0;
}

static int sigpp_send(struct tp_channel *ch, const void *buf, size_t len,
                      char *err)
{
    struct sigpp_priv *p = ch->priv;
    union sigval val;

    memset(&val, 0, sizeof(val));
    memcpy(&val.sival_int, buf, len);   /* len == 4: check_size */
    if (sigqueue(ch->peer_pid, p->sig_out, val) == -1)
        return err_sys(err, "sigqueue");
    return 0;
}

/* Wait for sig_in; return its sival_int, sender and si_code. */
static int sigpp_wait(struct tp_channel *ch, int *val, pid_t *pid,
                      int *code, char *err)
{
    struct sigpp_priv *p = ch->priv;

    switch (ch->tp->variant) {
    case SIGPP_SUSPEND:
        while (!sigpp_got)      /* sig_in blocked: no lost wake-up */
            sigsuspend(&p->wait_mask);  /* always -1/EINTR */
        sigpp_got = 0;          /* blocked again: the handler is quiet */
        *val = sigpp_value;
        *pid = sigpp_pid;
        *code = sigpp_code;
        return 0;
    case SIGPP_WAITINFO: {
        siginfo_t si;

        while (sigwaitinfo(&p->in_set, &si) == -1)
            if (errno != EINTR)
                return err_sys(err, "sigwaitinfo");
        *val = si.si_value.sival_int;
        *pid = si.si_pid;
        *code = si.si_code;
        return 0;
    }
    default: {
        struct signalfd_siginfo fdsi;

        if (read_full(p->sfd, &fdsi, sizeof(fdsi), err) == -1)
            return -1;
        *val = fdsi.ssi_int;
        *pid = (pid_t)fdsi.ssi_pid;
        *code = fdsi.ssi_code;
        return 0;
    }
    }
}

static int sigpp_recv(struct tp_channel *ch, void *buf, size_t len,
                      const void **msg, char *err)
{
    pid_t pid;
    int val, code;

    if (sigpp_wait(ch, &val, &pid, &code, err) == -1)
        return -1;
    if (code != SI_QUEUE || pid != ch->peer_pid)
        return err_set(err, "unexpected signal: si_code %d from pid %d "
                            "(expected SI_QUEUE from %d)",
                       code, (int)pid, (int)ch->peer_pid);
    memcpy(buf, &val, len);
    *msg = buf;
    return 0;
}

/* Unblock again, with the incoming signal left ignored: after an error a
 * signal may still be pending or on its way, and SIGUSR1's default action
 * terminates.  Ignoring discards it, so the process exits reporting its
 * own error instead of dying of the peer's signal. */
static void sigpp_detach(struct tp_channel *ch)
{
    struct sigpp_priv *p = ch->priv;
    struct sigaction ign;

    close_fd(&p->sfd);
    if (!p->blocked)
        return;
    memset(&ign, 0, sizeof(ign));
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    if (sigaction(p->sig_in, &ign, NULL) == 0)  /* replaces our handler */
        (void)sigprocmask(SIG_SETMASK, &p->old_mask, NULL);
    p->blocked = 0;
}

static void sigpp_destroy(struct tp_channel *ch)
{
    struct sigpp_priv *p = ch->priv;

    if (p == NULL)
        return;
    close_fd(&p->sfd);
    free(p);
    ch->priv = NULL;
}

#define SIGPP_TRANSPORT(var, tpname, v, text)                              \
    static const struct transport var = {                                  \
        .name = tpname,                                                    \
        .family = TP_SIGNALS,                                              \
        .summary = text,                                                   \
        .caps = TP_NO_SIZE | TP_NO_THROUGHPUT,                             \
        /* sigqueue: getpid, getuid, rt_sigqueueinfo; the wait: one call,  \
         * sigsuspend also the handler's rt_sigreturn */                   \
        .copies = TP_COPIES(2),                                            \
        .syscalls = TP_SYSCALLS(3, (v) == SIGPP_SUSPEND ? 2 : 1),          \
        .variant = v,                                                      \
        .check_size = sigpp_check_size,                                    \
        .create = sigpp_create,                                            \
        .attach = sigpp_attach,                                            \
        .send = sigpp_send,                                                \
        .recv = sigpp_recv,                                                \
        .detach = sigpp_detach,                                            \
        .destroy = sigpp_destroy,                                          \
    };                                                                     \
    TRANSPORT_REGISTER(var)

SIGPP_TRANSPORT(sigpp_suspend, "signal/sigsuspend", SIGPP_SUSPEND,
                "signal round trip: sigaction handler + sigsuspend");
SIGPP_TRANSPORT(sigpp_waitinfo, "signal/sigwaitinfo", SIGPP_WAITINFO,
                "signal round trip: blocked signal + sigwaitinfo");
SIGPP_TRANSPORT(sigpp_signalfd, "signal/signalfd", SIGPP_SIGNALFD,
                "signal round trip: blocked signal read from a signalfd");
