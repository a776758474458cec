/* rt_signal.c - a data channel made of realtime signals, 4 bytes at a time.
 *
 * What it is.  Realtime signals (SIGRTMIN..SIGRTMAX) differ from the
 * standard ones in the two ways that matter for data: they are queued (N
 * sends give N deliveries, in order, instead of one) and sigqueue(3) can
 * attach a value, `union sigval`.  So a stream of sigqueue() calls is a
 * message channel - with a 4-byte payload (sival_int, the portable member)
 * and a system call plus a wake-up per 4 bytes.  It exists to be measured,
 * not chosen: the figures show why nobody moves data this way.  Choose
 * realtime signals to notify with a small value (an index, a file
 * descriptor number, a timer id); see signal(7), sigqueue(3).
 *
 * Kernel objects.  One struct sigqueue per pending signal, counted
 * against RLIMIT_SIGPENDING (ulimit -i), a limit per real user ID shared
 * by all that user's processes.  When it is reached sigqueue() fails with
 * EAGAIN: a realtime signal is refused, never silently dropped; this file
 * then pauses and retries, as other processes of the user may hold the
 * slots.  Nothing outlives the processes: pending signals are freed when
 * the receiver exits.
 *
 * Copies.  The 4 payload bytes are copied twice: into the pending entry by
 * sigqueue(), out of it into the siginfo_t by sigwaitinfo().  The message
 * size is therefore exactly 4 (check_size refuses any other).
 *
 * Waiting and flow control.  Both sides block their incoming signal in
 * attach(), before the harness's start barrier, so nothing arrives
 * unblocked; the consumer sleeps in sigwaitinfo(2).  Nothing in the kernel
 * slows the producer down until RLIMIT_SIGPENDING, so throughput mode adds
 * a window: at most `window` signals in flight, the consumer acknowledges
 * every window/2 (and the last one) with a SIGRTMIN+1 carrying its count,
 * and a producer with a full window waits for that acknowledgement; at the
 * end it waits for the last one (finish()).  The window is at most a
 * quarter of RLIMIT_SIGPENDING (--rt-window sets it).
 *
 * Protocol (DATA = SIGRTMIN, BACK = SIGRTMIN+1, v = the 4 message bytes):
 *
 *      throughput
 *      producer                           consumer
 *      block BACK                         block DATA
 *      sigqueue(DATA, v) ---------------> sigwaitinfo(DATA): v
 *      (window full) sigwaitinfo(BACK) <- every window/2 and at the end:
 *                                           sigqueue(BACK, count)
 *      finish(): wait for the last BACK
 *
 *      latency
 *      sigqueue(DATA, v) ---------------> sigwaitinfo(DATA): v
 *      sigwaitinfo(BACK): v  <----------- sigqueue(BACK, v)
 *
 * Every signal taken is checked: si_code SI_QUEUE and the peer's pid.
 *
 * Usage: bin/rt_signal --size 4 [--mode latency] [--rt-window N]
 *        (or: ipclab run rt_signal --size 4)
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "../bench/transport.h"
#include "../bench/util.h"

#define RT_PAYLOAD_BYTES sizeof(int)    /* sival_int */
#define RT_WINDOW_MAX    4096u          /* enough to hide the ack cost */
#define RT_EAGAIN_TRIES  20000u         /* x 50 us: about a second */

static unsigned long rt_window_opt;     /* --rt-window, 0 = automatic */
static const struct tp_option rt_window_option = {
    .name = "rt-window",
    .type = OPT_UINT,
    .value = &rt_window_opt,
    .arg = "N",
    .help = "rt_signal: signals in flight before the producer waits for "
            "an ack, 2..4096 (default min(4096, RLIMIT_SIGPENDING/4))",
    .min = 2, .max = RT_WINDOW_MAX, .applies = "rt_signal",
};
TRANSPORT_OPTION(rt_window_option);

struct rt_priv {
    uint64_t window;            /* signals in flight, at most */
    uint64_t ack_every;         /* consumer acknowledges every ack_every */
    int sig_data, sig_back;     /* SIGRTMIN, SIGRTMIN+1 */
    sigset_t in_set;            /* what this process waits for */
    sigset_t old_mask;
    int blocked;
    uint64_t sent, acked;       /* producer, throughput */
    uint64_t received;          /* consumer */
};

static int rt_check_size(const struct transport *tp, enum tp_mode mode,
                         size_t msg_bytes, char *err)
{
    (void)tp;
    (void)mode;
    if (msg_bytes != RT_PAYLOAD_BYTES)
        return err_set(err, "a realtime signal carries %zu bytes (sival_int);"
                            " run it with --size %zu",
                       RT_PAYLOAD_BYTES, RT_PAYLOAD_BYTES);
    return 0;
}

static int rt_create(struct tp_channel *ch, char *err)
{
    struct rt_priv *p = calloc(1, sizeof(*p));
    struct rlimit rl;
    uint64_t limit_window;

    if (p == NULL)
        return err_sys(err, "calloc");
    ch->priv = p;
    p->sig_data = SIGRTMIN;
    p->sig_back = SIGRTMIN + 1;
    if (ch->mode == MODE_LATENCY) {     /* one signal in flight: no window */
        snprintf(ch->note, NOTE_LEN, "4 B per signal (sival_int)");
        return 0;
    }
    if (rt_window_opt == 1)
        return err_set(err, "--rt-window must be at least 2 (the consumer "
                            "acknowledges every window/2)");
    if (getrlimit(RLIMIT_SIGPENDING, &rl) == -1)
        return err_sys(err, "getrlimit RLIMIT_SIGPENDING");
    limit_window = rl.rlim_cur == RLIM_INFINITY ? RT_WINDOW_MAX
                                                : (uint64_t)rl.rlim_cur / 4;
    p->window = rt_window_opt != 0 ? rt_window_opt : RT_WINDOW_MAX;
    if (p->window > limit_window)       /* the note shows what was used */
        p->window = limit_window;
    if (p->window < 2)
        return err_set(err, "RLIMIT_SIGPENDING is %llu: too low for a "
                            "window of 2 signals; raise it with ulimit -i",
                       (unsigned long long)rl.rlim_cur);
    p->ack_every = p->window / 2;
    snprintf(ch->note, NOTE_LEN, "4 B per signal (sival_int); window %llu, "
             "ack every %llu", (unsigned long long)p->window,
             (unsigned long long)p->ack_every);
    return 0;
}

static int rt_attach(struct tp_channel *ch, char *err)
{
    struct rt_priv *p = ch->priv;

    sigemptyset(&p->in_set);
    sigaddset(&p->in_set,
              ch->role == ROLE_PRODUCER ? p->sig_back : p->sig_data);
    if (sigprocmask(SIG_BLOCK, &p->in_set, &p->old_mask) == -1)
        return err_sys(err, "sigprocmask");
    p->blocked = 1;
    return 0;
}

/* Take one signal of in_set; check it came from the peer by sigqueue. */
static int rt_take(struct tp_channel *ch, int *value, char *err)
{
    struct rt_priv *p = ch->priv;
    siginfo_t si;

    while (sigwaitinfo(&p->in_set, &si) == -1)
        if (errno != EINTR)
            return err_sys(err, "sigwaitinfo");
    if (si.si_code != SI_QUEUE || si.si_pid != ch->peer_pid)
        return err_set(err, "unexpected signal %d: si_code %d from pid %d",
                       si.si_signo, si.si_code, (int)si.si_pid);
    *value = si.si_value.sival_int;
    return 0;
}

/* Producer: wait for one acknowledgement; it carries the consumer's count
 * modulo 2^32, which is enough to advance a 64-bit count. */
static int rt_wait_ack(struct tp_channel *ch, char *err)
{
    struct rt_priv *p = ch->priv;
    int v;

    if (rt_take(ch, &v, err) == -1)
        return -1;
    p->acked += (uint32_t)((uint32_t)v - (uint32_t)p->acked);
    if (p->acked > p->sent)
        return err_set(err, "acknowledgement for %llu signals, only %llu "
                            "sent", (unsigned long long)p->acked,
                       (unsigned long long)p->sent);
    return 0;
}

/* sigqueue, and on EAGAIN - RLIMIT_SIGPENDING reached, which the window
 * prevents unless other processes of this user hold pending signals too -
 * give the receiver time to take some, then retry: the signal is delayed,
 * never dropped.  After RT_EAGAIN_TRIES failures in a row, give up. */
static int rt_queue(struct tp_channel *ch, int sig, int value, char *err)
{
    static const struct timespec pause_50us = { 0, 50 * 1000 };
    union sigval val;
    unsigned tries = 0;

    memset(&val, 0, sizeof(val));
    val.sival_int = value;
    while (sigqueue(ch->peer_pid, sig, val) == -1) {
        if (errno != EAGAIN)
            return err_sys(err, "sigqueue");
        if (++tries == RT_EAGAIN_TRIES)
            return err_sys(err, "sigqueue (RLIMIT_SIGPENDING stayed full: "
                                "this user's other processes hold pending "
                                "signals; ulimit -i)");
        nanosleep(&pause_50us, NULL);   /* not a clock read: a pause */
    }
    return 0;
}

static int rt_send(struct tp_channel *ch, const void *buf, size_t len,
                   char *err)
{
    struct rt_priv *p = ch->priv;
    int value;

    memcpy(&value, buf, len);           /* len == 4: check_size */
    if (ch->role == ROLE_CONSUMER)      /* latency: the pong */
        return rt_queue(ch, p->sig_back, value, err);
    if (ch->mode == MODE_THROUGHPUT)
        while (p->sent - p->acked >= p->window)
            if (rt_wait_ack(ch, err) == -1)
                return -1;
    if (rt_queue(ch, p->sig_data, value, err) == -1)
        return -1;
    p->sent++;
    return 0;
}

static int rt_recv(struct tp_channel *ch, void *buf, size_t len,
                   const void **msg, char *err)
{
    struct rt_priv *p = ch->priv;
    int value;

    if (rt_take(ch, &value, err) == -1)
        return -1;
    memcpy(buf, &value, len);
    *msg = buf;
    if (ch->role == ROLE_CONSUMER && ch->mode == MODE_THROUGHPUT) {
        p->received++;
        /* The last signal is always acknowledged: the producer waits
         * for it in finish(), so no acknowledgement is left pending in a
         * process that stopped listening. */
        if (p->received % p->ack_every == 0 || p->received == ch->messages)
            return rt_queue(ch, p->sig_back, (int)(uint32_t)p->received,
                            err);
    }
    return 0;
}

/* Producer, after its last send: wait until everything is acknowledged.
 * Acknowledgements are queued in order, so after the last one none is
 * pending: unblocking SIGRTMIN+1 in detach() cannot kill the process. */
static int rt_finish(struct tp_channel *ch, char *err)
{
    struct rt_priv *p = ch->priv;

    if (ch->mode != MODE_THROUGHPUT)
        return 0;
    while (p->acked < p->sent)
        if (rt_wait_ack(ch, err) == -1)
            return -1;
    return 0;
}

/* Unblock again, with the incoming signal left ignored: after an error
 * signals may still be pending or on their way (the peer goes on sending
 * until the harness stops it), and a realtime signal's default action
 * terminates.  Ignoring discards them, so the process exits reporting its
 * own error instead of dying of the peer's next signal. */
static void rt_detach(struct tp_channel *ch)
{
    struct rt_priv *p = ch->priv;
    int sig = ch->role == ROLE_PRODUCER ? p->sig_back : p->sig_data;
    struct sigaction ign;

    if (!p->blocked)
        return;
    memset(&ign, 0, sizeof(ign));
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    if (sigaction(sig, &ign, NULL) == 0)
        (void)sigprocmask(SIG_SETMASK, &p->old_mask, NULL);
    p->blocked = 0;
}

static void rt_destroy(struct tp_channel *ch)
{
    free(ch->priv);
    ch->priv = NULL;
}

static const struct transport rt_signal_transport = {
    .name = "rt_signal",
    .family = TP_SIGNALS,
    .summary = "realtime signals as a data channel: sigqueue, 4 B in "
               "sival_int, sigwaitinfo",
    .caps = TP_MESSAGES,
    /* sigqueue: getpid, getuid, rt_sigqueueinfo; sigwaitinfo */
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(3, 1),
    .check_size = rt_check_size,
    .create = rt_create,
    .attach = rt_attach,
    .send = rt_send,
    .recv = rt_recv,
    .finish = rt_finish,
    .detach = rt_detach,
    .destroy = rt_destroy,
};
TRANSPORT_REGISTER(rt_signal_transport);
