/* timers.c - the lesson of timers that fire late: how long "sleep 1 ms"
 * really takes, through each of the kernel's timer interfaces.
 *
 * What it shows.  A Linux timer never fires early, but it fires late by
 * three things: the timer slack (a normal thread's timers may be delayed
 * up to 50 us by default so the kernel can batch wake-ups; PR_SET_TIMERSLACK
 * sets it, 1 ns being the least), the time from the expiry interrupt to
 * the woken thread running (scheduler wake-up latency, larger on a busy
 * CPU), and for the signal-based timers the delivery of a signal.  The
 * same one-shot interval through each interface, one row each:
 *   timers/nanosleep          nanosleep(interval), relative
 *   timers/nanosleep-slack1   the same after PR_SET_TIMERSLACK 1 ns
 *   timers/clock_nanosleep    clock_nanosleep(CLOCK_MONOTONIC,
 *                             TIMER_ABSTIME, now + interval): the drift-
 *                             free form for periodic work (this row reads
 *                             the clock to set its deadline: an absolute
 *                             deadline is its subject)
 *   timers/timerfd            timerfd_settime one-shot, then read(): a
 *                             timer as a file descriptor, for poll loops
 *   timers/posix              timer_create(SIGEV_SIGNAL), timer_settime,
 *                             sigwaitinfo: a POSIX per-process timer
 *   timers/setitimer          setitimer(ITIMER_REAL) one-shot, SIGALRM,
 *                             sigwaitinfo: the old interval timer
 *   timers/alarm              alarm(1): the same ITIMER_REAL, in whole
 *                             seconds only (two round trips per run; run
 *                             only when named in full, `ipclab run
 *                             timers/alarm`: 2 s a run is too slow for
 *                             the sweep)
 * Latency rows: one round trip = arm the timer and wait for it, so each
 * percentile is the interval plus the lateness: p50 - interval is the
 * typical lateness, p99 - interval the bad case.  The note states the
 * interval and the slack in force; the row's interval_ns column holds the
 * interval.  --timer-us N sets the interval
 * (default 1000 us; try 100 and 10000); alarm is always 1 s.  At most 500
 * round trips per run.  This is also the lateness that `--mode paced`
 * reports (it sets the slack to 1 ns for that reason).
 *
 * Kernel objects.  timerfd: one descriptor; posix: one timer (timer_delete
 * in detach); setitimer/alarm: the process's ITIMER_REAL, disarmed in
 * detach.  Signals are blocked while in use and the mask restored.
 *
 * Copies.  None: nothing but the expiry crosses (TP_NO_PAYLOAD).
 *
 * Waiting.  Each waits in its own call: nanosleep/clock_nanosleep sleep,
 * read() on the timerfd sleeps until expiry, sigwaitinfo sleeps until the
 * blocked signal is pending (so no handler runs at all).
 *
 * Protocol (one round trip, TP_SOLO: the harness's producer alone):
 *
 *      harness                    this transport            kernel
 *      -------                    --------------            ------
 *      clock ---------------->    send(): arm timer  ---->  hrtimer queued
 *                                 recv(): sleep in wait     expiry + slack
 *      clock <----------------    woken, returns     <----  wake-up
 *
 * See time(7) ("Timer slack"), prctl(2) (PR_SET_TIMERSLACK), nanosleep(2),
 * clock_nanosleep(2), timerfd_create(2), timer_create(2), setitimer(2),
 * alarm(2).
 *
 * Usage: ipclab run timers --mode latency [--timer-us 1000]
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "../bench/transport.h"
#include "../bench/util.h"

enum timer_kind { TM_NANOSLEEP, TM_NANOSLEEP_SLACK1, TM_CLOCK_NANOSLEEP,
                  TM_TIMERFD, TM_POSIX, TM_SETITIMER, TM_ALARM };

#define TIMER_ROUND_TRIPS 500   /* per run: 0.5 s at 1 ms */
#define TIMER_US_MAX 1000000ul  /* the interval: up to 1 s */

static unsigned long timer_us_opt = 1000;           /* --timer-us */
static const struct tp_option timer_us_option = {
    .name = "timer-us",
    .type = OPT_UINT,
    .value = &timer_us_opt,
    .arg = "N",
    .help = "timers: the interval in microseconds, 1..1000000 "
            "(default 1000)",
    .min = 1, .max = TIMER_US_MAX, .applies = "timers/*",
};
TRANSPORT_OPTION(timer_us_option);

struct timer_priv {
    struct timespec interval;
    int tfd;                    /* timerfd */
    timer_t timer;              /* posix */
    int have_timer, blocked;
    int sig;                    /* the signal waited for, 0 if none */
    sigset_t wait_set, old_mask;
};

static int timer_create_priv(struct tp_channel *ch, char *err)
{
    struct timer_priv *p = calloc(1, sizeof(*p));
    unsigned long us = ch->tp->variant == TM_ALARM ? 1000000 : timer_us_opt;
    int slack;
    char every[32];

    if (p == NULL)
        return err_sys(err, "calloc");
    p->tfd = -1;
    ch->priv = p;
    if (us == 0 || us > TIMER_US_MAX)
        return err_set(err, "--timer-us must be 1..%lu", TIMER_US_MAX);
    p->interval.tv_sec = (time_t)(us / 1000000);
    p->interval.tv_nsec = (long)(us % 1000000) * 1000;
    slack = ch->tp->variant == TM_NANOSLEEP_SLACK1
                ? 1 : prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
    if (slack == -1)
        return err_sys(err, "prctl(PR_GET_TIMERSLACK)");
    format_interval((uint64_t)us * 1000, every, sizeof(every));
    ch->facts.interval_ns = (uint64_t)us * 1000;
    snprintf(ch->note, NOTE_LEN, "interval %s, timer slack %d ns; "
             "rtt = interval + lateness", every, slack);
    return 0;
}

/* The signal-based timers: block the signal, wait for it synchronously. */
static int timer_block(struct timer_priv *p, int sig, char *err)
{
    sigemptyset(&p->wait_set);
    sigaddset(&p->wait_set, sig);
    if (sigprocmask(SIG_BLOCK, &p->wait_set, &p->old_mask) == -1)
        return err_sys(err, "sigprocmask");
    p->blocked = 1;
    p->sig = sig;
    return 0;
}

static int timer_attach(struct tp_channel *ch, char *err)
{
    struct timer_priv *p = ch->priv;
    struct sigevent sev;

    switch (ch->tp->variant) {
    case TM_NANOSLEEP_SLACK1:
        if (prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0) == -1)
            return err_sys(err, "prctl(PR_SET_TIMERSLACK)");
        return 0;
    case TM_TIMERFD:
        p->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
        return p->tfd == -1 ? err_sys(err, "timerfd_create") : 0;
    case TM_POSIX:
        if (timer_block(p, SIGRTMIN, err) == -1)
            return -1;
        memset(&sev, 0, sizeof(sev));
        sev.sigev_notify = SIGEV_SIGNAL;
        sev.sigev_signo = SIGRTMIN;
        if (timer_create(CLOCK_MONOTONIC, &sev, &p->timer) == -1)
            return err_sys(err, "timer_create");
        p->have_timer = 1;
        return 0;
    case TM_SETITIMER:
    case TM_ALARM:
        return timer_block(p, SIGALRM, err);
    default:
        return 0;
    }
}

/* "send": arm the timer (the sleeping calls arm and wait in one, in
 * recv). */
static int timer_send(struct tp_channel *ch, const void *buf, size_t len,
                      char *err)
{
    struct timer_priv *p = ch->priv;
    struct itimerspec its = { .it_value = p->interval };
    struct itimerval itv = { .it_value = { p->interval.tv_sec,
                                           p->interval.tv_nsec / 1000 } };

    (void)buf;
    (void)len;
    switch (ch->tp->variant) {
    case TM_TIMERFD:
        if (timerfd_settime(p->tfd, 0, &its, NULL) == -1)
            return err_sys(err, "timerfd_settime");
        return 0;
    case TM_POSIX:
        if (timer_settime(p->timer, 0, &its, NULL) == -1)
            return err_sys(err, "timer_settime");
        return 0;
    case TM_SETITIMER:
        if (setitimer(ITIMER_REAL, &itv, NULL) == -1)
            return err_sys(err, "setitimer");
        return 0;
    case TM_ALARM:
        alarm((unsigned)p->interval.tv_sec);    /* cannot fail */
        return 0;
    default:
        return 0;
    }
}

/* Sleep for the interval, restarting with what is left after EINTR. */
static int timer_nanosleep(const struct timespec *interval, char *err)
{
    struct timespec left = *interval;

    while (nanosleep(&left, &left) == -1)
        if (errno != EINTR)
            return err_sys(err, "nanosleep");
    return 0;
}

static int timer_abs_sleep(const struct timespec *interval, char *err)
{
    struct timespec t;
    int rc;

    if (clock_gettime(CLOCK_MONOTONIC, &t) == -1)
        return err_sys(err, "clock_gettime");
    t.tv_sec += interval->tv_sec;
    t.tv_nsec += interval->tv_nsec;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    while ((rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t,
                                 NULL)) == EINTR)
        ;                       /* absolute: just sleep again */
    if (rc != 0) {
        errno = rc;             /* returned, not set */
        return err_sys(err, "clock_nanosleep");
    }
    return 0;
}

static int timer_recv(struct tp_channel *ch, void *buf, size_t len,
                      const void **msg, char *err)
{
    struct timer_priv *p = ch->priv;
    uint64_t expirations;

    (void)len;
    *msg = buf;
    switch (ch->tp->variant) {
    case TM_NANOSLEEP:
    case TM_NANOSLEEP_SLACK1:
        return timer_nanosleep(&p->interval, err);
    case TM_CLOCK_NANOSLEEP:
        return timer_abs_sleep(&p->interval, err);
    case TM_TIMERFD:
        return read_full(p->tfd, &expirations, sizeof(expirations), err);
    default:
        while (sigwaitinfo(&p->wait_set, NULL) == -1)
            if (errno != EINTR)
                return err_sys(err, "sigwaitinfo");
        return 0;
    }
}

/* timers/alarm only when named in full: not by `timers` nor the sweep. */
static int timer_not_by_default(const struct transport *tp)
{
    (void)tp;
    return 0;
}

static void timer_detach(struct tp_channel *ch)
{
    struct timer_priv *p = ch->priv;
    struct itimerval off = { { 0, 0 }, { 0, 0 } };

    if (ch->tp->variant == TM_SETITIMER || ch->tp->variant == TM_ALARM)
        (void)setitimer(ITIMER_REAL, &off, NULL);   /* disarm, then */
    if (p->have_timer)
        (void)timer_delete(p->timer);
    p->have_timer = 0;
    if (p->blocked) {           /* a signal still pending stays blocked */
        struct timespec zero = { 0, 0 };

        while (sigtimedwait(&p->wait_set, NULL, &zero) > 0)
            ;                   /* drop an expiry nobody waited for */
        (void)sigprocmask(SIG_SETMASK, &p->old_mask, NULL);
        p->blocked = 0;
    }
    close_fd(&p->tfd);
}

static void timer_destroy(struct tp_channel *ch)
{
    struct timer_priv *p = ch->priv;

    if (p == NULL)
        return;
    close_fd(&p->tfd);
    free(p);
    ch->priv = NULL;
}

#define TIMER_TRANSPORT(id, tp_name, kind, text, trips, sel)               \
    static const struct transport id = {                                   \
        .name = tp_name,                                                   \
        .family = TP_SIGNALS,                                              \
        .summary = text,                                                   \
        .caps = TP_SOLO | TP_NO_SIZE | TP_NO_PAYLOAD | TP_NO_THROUGHPUT |  \
                TP_NOT_ONE_WAY,                                            \
        .syscalls = TP_SYSCALLS_NOT_A_CHANNEL,                             \
        .variant = kind,                                                   \
        .create = timer_create_priv,                                       \
        .attach = timer_attach,                                            \
        .send = timer_send,                                                \
        .recv = timer_recv,                                                \
        .detach = timer_detach,                                            \
        .destroy = timer_destroy,                                          \
        .max_round_trips = trips,                                          \
        .selected = sel,                                                   \
    };                                                                     \
    TRANSPORT_REGISTER(id)

TIMER_TRANSPORT(timers_nanosleep, "timers/nanosleep", TM_NANOSLEEP,
                "nanosleep(interval): how late it wakes", TIMER_ROUND_TRIPS,
                NULL);
TIMER_TRANSPORT(timers_nanosleep_slack1, "timers/nanosleep-slack1",
                TM_NANOSLEEP_SLACK1,
                "nanosleep with PR_SET_TIMERSLACK 1 ns", TIMER_ROUND_TRIPS,
                NULL);
TIMER_TRANSPORT(timers_clock_nanosleep, "timers/clock_nanosleep",
                TM_CLOCK_NANOSLEEP,
                "clock_nanosleep to an absolute deadline", TIMER_ROUND_TRIPS,
                NULL);
TIMER_TRANSPORT(timers_timerfd, "timers/timerfd", TM_TIMERFD,
                "one-shot timerfd, read() until it expires",
                TIMER_ROUND_TRIPS, NULL);
TIMER_TRANSPORT(timers_posix, "timers/posix", TM_POSIX,
                "timer_create(SIGEV_SIGNAL) one-shot, sigwaitinfo",
                TIMER_ROUND_TRIPS, NULL);
TIMER_TRANSPORT(timers_setitimer, "timers/setitimer", TM_SETITIMER,
                "setitimer(ITIMER_REAL) one-shot, SIGALRM, sigwaitinfo",
                TIMER_ROUND_TRIPS, NULL);
TIMER_TRANSPORT(timers_alarm, "timers/alarm", TM_ALARM,
                "alarm(1): whole seconds only, SIGALRM, sigwaitinfo", 2,
                timer_not_by_default);
