/* harness.c - the one timing harness.
 *
 * One run:
 *
 *      parent (this code)          producer child         consumer child
 *      create()                    |                      |
 *      fork consumer, producer --> reset signals, pin CPU, attach(),
 *                                  pattern and buffers (struct side)
 *      read 2 x "ready" <--------- write "ready"          write "ready"
 *      ready()
 *      write 2 x "go" -----------> read "go"              read "go"
 *                                  t0; send ... send      recv ... recv; t1
 *                                  detach, _exit          detach, _exit
 *      reap (SIGCHLD + wait4: exit status and CPU time)
 *      destroy()                   always, also after a timeout, a crash
 *                                  or SIGINT/SIGTERM
 *
 * The children publish what they measured in a small shared mapping made
 * before fork (struct run_shared).  Only the producer reads the clock in
 * latency mode (once per round trip; paced, also after each pause); in
 * throughput mode the producer reads
 * it before its first send and the consumer after its last receive - both
 * CLOCK_MONOTONIC, one clock for the whole machine.
 *
 * Paced mode is latency mode with a pause: the producer sleeps until the
 * next multiple of --interval before each round trip (clock_nanosleep on
 * an absolute CLOCK_MONOTONIC time, so the pauses do not drift), and times
 * the round trip from its send.  Both sides are then idle most of the
 * time, and what a transport costs to wait shows in the CPU column: a
 * spinning side burns its CPU for the whole interval, a sleeping one pays
 * for the system calls and the wake-up instead.  A late round trip is not
 * made up for: the next one starts at once, never two back to back.
 *
 * A cell is warm-up runs (discarded) + reps runs; the row reports the
 * median across reps of every figure, and min/max/CV of the main one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "stats.h"
#include "util.h"
#include "verify.h"

#define LAT_WARMUP_MAX 1000     /* warm-up round trips inside each run */
#define CORRUPT_AT 3            /* FAULT_CORRUPT: this message is hit */

/* ---- what the children report ------------------------------------------ */

struct run_shared {
    pid_t pid[2];
    uint64_t t_start_ns, t_end_ns;
    struct timeval base_cpu[2];     /* user+sys at the start barrier */
    char err[2][ERR_LEN];
    uint64_t received, lost, duplicated, reordered;
    uint64_t sent;                  /* custom(): counts.sent */
    int verified;
    uint64_t nsamples;
    uint64_t interval_ns;           /* paced: the pause; 0 back to back */
    uint64_t paced_start_ns, paced_end_ns;  /* paced: the measured slots */
    uint64_t samples_ns[];          /* latency: one round trip each */
};

/* What one run yields, before aggregation. */
struct run_figures {
    double mb_per_s, msgs_per_s, main;
    double rtt_ns[LAT_N];
    double cpu_ns_per_msg;          /* both processes, measured part */
    double cpu_ms_per_mb;
    uint64_t lost, duplicated, reordered;
    uint64_t sent;                  /* messages (custom: events) sent */
    int verified;
};

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Sleep until CLOCK_MONOTONIC reads t_ns (paced mode). */
static int sleep_until(uint64_t t_ns, char *err)
{
    struct timespec ts = { .tv_sec = (time_t)(t_ns / 1000000000u),
                           .tv_nsec = (long)(t_ns % 1000000000u) };
    int e;

    /* Returns the error number instead of setting errno. */
    while ((e = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
                                NULL)) == EINTR)
        ;
    if (e != 0) {
        errno = e;
        return err_sys(err, "clock_nanosleep");
    }
    return 0;
}

/* ---- signals: SIGCHLD reaps, SIGINT/SIGTERM interrupt ------------------ */

static volatile sig_atomic_t child_exited;
static volatile sig_atomic_t interrupted;   /* the signal number */

static void on_sigchld(int sig)
{
    (void)sig;
    child_exited = 1;
}

static void on_interrupt(int sig)
{
    interrupted = sig;
}

int bench_interrupt_signal(void)
{
    return interrupted;
}

struct saved_signals {
    struct sigaction chld, intr, term;
    sigset_t mask;
};

/* Install the handlers and block the three signals; they are delivered
 * only inside ppoll(), so no wake-up is lost between check and wait. */
static int signals_install(struct saved_signals *s, char *err)
{
    struct sigaction sa;
    sigset_t block;

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_NOCLDSTOP;
    sa.sa_handler = on_sigchld;
    if (sigaction(SIGCHLD, &sa, &s->chld) == -1)
        return err_sys(err, "sigaction SIGCHLD");
    sa.sa_flags = 0;
    sa.sa_handler = on_interrupt;
    if (sigaction(SIGINT, &sa, &s->intr) == -1 ||
        sigaction(SIGTERM, &sa, &s->term) == -1)
        return err_sys(err, "sigaction SIGINT/SIGTERM");
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &block, &s->mask) == -1)
        return err_sys(err, "sigprocmask");
    return 0;
}

/* Put back exactly what the caller had: no handler or mask leaks out. */
static void signals_restore(const struct saved_signals *s)
{
    sigaction(SIGCHLD, &s->chld, NULL);
    sigaction(SIGINT, &s->intr, NULL);
    sigaction(SIGTERM, &s->term, NULL);
    sigprocmask(SIG_SETMASK, &s->mask, NULL);
}

/* ---- placement ---------------------------------------------------------- */

const char *bench_placement_name(enum placement p)
{
    switch (p) {
    case PLACE_SPREAD: return "spread";
    case PLACE_SAME: return "same";
    case PLACE_OS: return "os";
    case PLACE_CPUS: return "cpus";
    }
    return "?";
}

const char *bench_mode_name(enum tp_mode mode)
{
    return mode == MODE_THROUGHPUT ? "throughput"
           : mode == MODE_PACED    ? "paced"
                                   : "latency";
}

const char *bench_status_name(enum bench_status s)
{
    switch (s) {
    case RES_OK: return "ok";
    case RES_FAILED: return "failed";
    case RES_NA: return "n/a";
    }
    return "?";
}

int bench_placement_cpus(const struct bench_config *cfg, int cpu[2],
                         char *err)
{
    cpu_set_t set;
    int first = -1, second = -1;

    cpu[0] = cpu[1] = -1;
    if (cfg->placement == PLACE_OS)
        return 0;
    if (sched_getaffinity(0, sizeof(set), &set) == -1)
        return err_sys(err, "sched_getaffinity");
    if (cfg->placement == PLACE_CPUS) {
        for (int i = 0; i < 2; i++)
            if (cfg->cpu[i] < 0 || cfg->cpu[i] >= CPU_SETSIZE ||
                !CPU_ISSET(cfg->cpu[i], &set))
                return err_set(err, "--cpus: CPU %d is not available to "
                                    "this process", cfg->cpu[i]);
        cpu[0] = cfg->cpu[0];
        cpu[1] = cfg->cpu[1];
        return 0;
    }
    for (int i = 0; i < CPU_SETSIZE && second < 0; i++)
        if (CPU_ISSET(i, &set)) {
            if (first < 0)
                first = i;
            else
                second = i;
        }
    if (first < 0)
        return err_set(err, "no CPU available");
    if (cfg->placement == PLACE_SPREAD && second < 0)
        return err_set(err, "--placement spread needs two CPUs; this "
                            "process may use only CPU %d", first);
    cpu[0] = first;                             /* producer */
    cpu[1] = cfg->placement == PLACE_SAME ? first : second;
    return 0;
}

void bench_config_defaults(struct bench_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->bytes = 256u << 20;
    cfg->iterations = 100000;
    cfg->paced_iterations = 2000;
    cfg->interval_ns = 100000;
    cfg->warmup = 1;
    cfg->reps = 5;
    cfg->timeout_s = 60;
    cfg->verify = VERIFY_SUM;
    cfg->placement = PLACE_SPREAD;
    cfg->cpu[0] = cfg->cpu[1] = -1;
    cfg->fault = FAULT_NONE;
}

/* Messages one throughput run sends: --bytes worth, or --iterations events
 * for a transport whose message size does not apply. */
static uint64_t run_messages(const struct bench_config *cfg,
                             const struct transport *tp, size_t size)
{
    uint64_t n;

    if ((tp->caps & TP_NO_SIZE) || size == 0)
        return cfg->iterations;
    n = cfg->bytes / size;
    return n > 0 ? n : 1;
}

/* ---- the consumer's loop (also `ipclab serve`'s) ---------------------- */

/* Lossy transports: a bitmap of sequence numbers seen gives exact counts of
 * losses, duplicates and reordering. */
struct seen_map {
    uint8_t *bits;
    uint64_t n, distinct, max_seen;
    int any;
};

static void seen_record(struct seen_map *m, uint64_t seq,
                        struct consume_stats *st)
{
    if (seq >= m->n) {          /* not a sequence number we sent */
        st->verified = 0;
        return;
    }
    if (m->bits[seq / 8] & (1u << (seq % 8))) {
        st->duplicated++;
        return;
    }
    m->bits[seq / 8] |= (uint8_t)(1u << (seq % 8));
    m->distinct++;
    if (m->any && seq < m->max_seen)
        st->reordered++;
    if (!m->any || seq > m->max_seen)
        m->max_seen = seq;
    m->any = 1;
}

/* What a side needs besides the transport: the pattern and its checksum,
 * buffers with their pages already mapped.  Made before the side says
 * "ready", so that none of it (computing the pattern of a 4 MiB message
 * takes milliseconds) falls inside the measured interval, which starts
 * with the producer's first send. */
struct side {
    struct verify_ctx v;
    uint8_t *buf, *rbuf;        /* rbuf: the producer's echo buffer */
    struct seen_map seen;       /* consumer of a lossy transport */
};

static void side_free(struct side *s)
{
    free(s->seen.bits);
    free(s->rbuf);
    free(s->buf);
    verify_free(&s->v);
    memset(s, 0, sizeof(*s));
}

static int side_init(struct side *s, const struct tp_channel *ch,
                     enum tp_role role, enum verify_level level, char *err)
{
    size_t alloc = (ch->msg_bytes + 63) / 64 * 64 + 64;
    int echo = role == ROLE_PRODUCER && ch->mode == MODE_LATENCY;

    memset(s, 0, sizeof(*s));
    if (verify_init(&s->v, ch->msg_bytes, level, err) == -1)
        return -1;
    s->buf = aligned_alloc(64, alloc);
    if (echo)
        s->rbuf = aligned_alloc(64, alloc);
    if (s->buf == NULL || (echo && s->rbuf == NULL)) {
        err_sys(err, "aligned_alloc");
        side_free(s);
        return -1;
    }
    memset(s->buf, 0, alloc);           /* map the pages now */
    if (role == ROLE_PRODUCER)
        memcpy(s->buf, s->v.pattern, ch->msg_bytes);
    if (s->rbuf != NULL)
        memset(s->rbuf, 0, alloc);
    if (role == ROLE_CONSUMER && (ch->tp->caps & TP_LOSSY)) {
        s->seen.n = ch->messages;
        s->seen.bits = calloc(ch->messages / 8 + 1, 1);
        if (s->seen.bits == NULL) {
            err_sys(err, "calloc");
            side_free(s);
            return -1;
        }
    }
    return 0;
}

/* The consumer's loop: receive (and in latency mode echo) up to `limit`
 * messages, checking each. */
static int consume_loop(struct side *s, struct tp_channel *ch,
                        uint64_t limit, struct consume_stats *st, char *err)
{
    const struct transport *tp = ch->tp;
    int lossy = (tp->caps & TP_LOSSY) != 0;
    int payload = (tp->caps & TP_NO_PAYLOAD) == 0;
    const void *msg;
    char why[ERR_LEN];

    memset(st, 0, sizeof(*st));
    st->verified = payload;
    for (uint64_t i = 0; lossy ? s->seen.distinct < limit : i < limit;
         i++) {
        int r = tp->recv(ch, s->buf, ch->msg_bytes, &msg, err);

        if (r == -1)
            return -1;
        if (r == TP_RECV_END)
            break;
        if (payload) {
            uint64_t seq = verify_seq(&s->v, msg);

            if (lossy) {
                seen_record(&s->seen, seq, st);
            } else if (seq != verify_seq_mask(&s->v, i)) {
                return err_set(err, "message %llu arrived as number %llu: "
                                    "out of order or lost",
                               (unsigned long long)i,
                               (unsigned long long)seq);
            }
            if (verify_body(&s->v, msg, why) == -1)
                return err_set(err, "message %llu: %s",
                               (unsigned long long)i, why);
        }
        st->received++;
        if (ch->mode == MODE_LATENCY &&
            tp->send(ch, msg, ch->msg_bytes, err) == -1)
            return -1;
        if (tp->release != NULL)
            tp->release(ch);
    }
    if (lossy)
        st->lost = limit - s->seen.distinct;
    return 0;
}

int bench_consume(struct tp_channel *ch, enum verify_level level,
                  struct consume_stats *st, char *err)
{
    struct side s;
    int rc;

    if (side_init(&s, ch, ROLE_CONSUMER, level, err) == -1)
        return -1;
    rc = consume_loop(&s, ch, ch->messages, st, err);
    side_free(&s);
    return rc;
}

/* ---- the producer's loops --------------------------------------------- */

static int produce_throughput(struct tp_channel *ch,
                              const struct bench_config *cfg,
                              struct verify_ctx *v, uint8_t *buf,
                              struct run_shared *sh, char *err)
{
    const struct transport *tp = ch->tp;
    size_t len = ch->msg_bytes;

    sh->t_start_ns = now_ns();
    for (uint64_t i = 0; i < ch->messages; i++) {
        verify_stamp(v, buf, i);
        if (cfg->fault == FAULT_CORRUPT && i == CORRUPT_AT && len > 0)
            buf[len - 1] ^= 0x40;
        if (tp->send(ch, buf, len, err) == -1)
            return -1;
        if (cfg->fault == FAULT_CORRUPT && i == CORRUPT_AT && len > 0)
            buf[len - 1] ^= 0x40;
    }
    if (tp->finish != NULL && tp->finish(ch, err) == -1)
        return -1;
    if (ch->solo)
        sh->t_end_ns = now_ns();
    if (ch->solo && ch->peer_reported) {    /* the remote consumer's */
        sh->received = ch->peer_received;
        sh->lost = ch->peer_lost;
        sh->duplicated = ch->peer_duplicated;
        sh->reordered = ch->peer_reordered;
        sh->verified = ch->peer_verified;
    }
    return 0;
}

static int produce_latency(struct tp_channel *ch,
                           const struct bench_config *cfg,
                           struct verify_ctx *v, uint8_t *buf,
                           uint8_t *rbuf, struct run_shared *sh, char *err)
{
    const struct transport *tp = ch->tp;
    size_t len = ch->msg_bytes;
    uint64_t warm = ch->messages - sh->nsamples, t_prev, t;
    int payload = (tp->caps & TP_NO_PAYLOAD) == 0;
    const void *msg;
    char why[ERR_LEN];
    uint64_t next;

    /* Paced: wake on time.  A normal thread's timers may fire up to 50 us
     * late by default (timer slack, to batch wake-ups); that would make a
     * 100 us pace 150 us.  See prctl(2), PR_SET_TIMERSLACK. */
    if (sh->interval_ns > 0 && prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0) == -1)
        return err_sys(err, "prctl(PR_SET_TIMERSLACK)");
    t_prev = next = now_ns();
    for (uint64_t i = 0; i < ch->messages; i++) {
        int r;

        if (sh->interval_ns > 0) {  /* paced: wait for the next slot */
            if (i == warm)
                sh->paced_start_ns = now_ns();
            next += sh->interval_ns;
            if (sleep_until(next, err) == -1)
                return -1;
            t_prev = now_ns();      /* the round trip starts now */
            if (t_prev > next)
                next = t_prev;      /* late: no catching up in a burst */
        }
        verify_stamp(v, buf, i);
        if (cfg->fault == FAULT_CORRUPT && i == CORRUPT_AT && len > 0)
            buf[len - 1] ^= 0x40;
        if (tp->send(ch, buf, len, err) == -1)
            return -1;
        if (cfg->fault == FAULT_CORRUPT && i == CORRUPT_AT && len > 0)
            buf[len - 1] ^= 0x40;
        r = tp->recv(ch, rbuf, len, &msg, err);
        if (r == -1)
            return -1;
        if (r == TP_RECV_END) {     /* lossy: this round trip was lost */
            sh->lost++;
            t_prev = now_ns();
            continue;
        }
        if (payload) {
            if (verify_seq(v, msg) != verify_seq_mask(v, i))
                return err_set(err, "reply %llu carries sequence number "
                                    "%llu", (unsigned long long)i,
                               (unsigned long long)verify_seq(v, msg));
            if (verify_body(v, msg, why) == -1)
                return err_set(err, "reply %llu: %s",
                               (unsigned long long)i, why);
        }
        if (tp->release != NULL)
            tp->release(ch);
        t = now_ns();               /* the one clock read per round trip */
        if (i >= warm)
            sh->samples_ns[i - warm] = t - t_prev;
        t_prev = t;
    }
    if (sh->interval_ns > 0)
        sh->paced_end_ns = now_ns();
    if (tp->finish != NULL && tp->finish(ch, err) == -1)
        return -1;
    if (ch->solo && ch->peer_reported) {    /* lost: ours, per round trip */
        sh->duplicated = ch->peer_duplicated;
        sh->reordered = ch->peer_reordered;
        sh->verified = ch->peer_verified;
    }
    return 0;
}

static int produce(struct tp_channel *ch, const struct bench_config *cfg,
                   struct side *s, struct run_shared *sh, char *err)
{
    const struct transport *tp = ch->tp;
    int rc;

    if (tp->custom != NULL) {       /* the transport's own whole action */
        struct tp_counts counts = { 0 };

        sh->t_start_ns = now_ns();
        rc = tp->custom(ch, &counts, err);
        sh->t_end_ns = now_ns();
        sh->sent = counts.sent;
        sh->received = counts.received;
        sh->lost = counts.lost;
        sh->verified = rc == 0 && counts.received + counts.lost ==
                                      counts.sent;
        return rc;
    }
    if (ch->mode == MODE_THROUGHPUT)
        return produce_throughput(ch, cfg, &s->v, s->buf, sh, err);
    return produce_latency(ch, cfg, &s->v, s->buf, s->rbuf, sh, err);
}

static int consume(struct tp_channel *ch, const struct bench_config *cfg,
                   struct side *s, struct run_shared *sh, char *err)
{
    struct consume_stats st;

    if (cfg->fault == FAULT_HANG || cfg->fault == FAULT_CRASH ||
        cfg->fault == FAULT_EXIT) {
        /* take half the messages, then misbehave */
        if (consume_loop(s, ch, ch->messages / 2, &st, err) == -1)
            return -1;
        if (cfg->fault == FAULT_HANG)
            for (;;)
                pause();
        if (cfg->fault == FAULT_CRASH) {
            signal(SIGSEGV, SIG_DFL);   /* past any sanitizer's handler */
            raise(SIGSEGV);
        }
        _exit(3);
    }
    if (consume_loop(s, ch, ch->messages, &st, err) == -1)
        return -1;
    sh->t_end_ns = now_ns();
    sh->received = st.received;
    if (ch->mode == MODE_THROUGHPUT)    /* latency: the producer counts */
        sh->lost = st.lost;             /* the round trips it lost */
    sh->duplicated = st.duplicated;
    sh->reordered = st.reordered;
    sh->verified = st.verified;
    return 0;
}

/* ---- the children ------------------------------------------------------ */

static void child_fail(struct run_shared *sh, enum tp_role role,
                       const char *msg)
{
    memcpy(sh->err[role], msg, ERR_LEN);
    sh->err[role][ERR_LEN - 1] = '\0';
}

static int pin_cpu(int cpu, char *err)
{
    cpu_set_t set;

    if (cpu < 0)
        return 0;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) == -1)
        return err_sys(err, "sched_setaffinity");
    return 0;
}

/* Never returns.  Exit status 0: done; 1: error written to sh->err. */
static void child_main(struct tp_channel *ch, enum tp_role role,
                       const struct bench_config *cfg, const int cpu[2],
                       struct run_shared *sh, int ready_fd, int go_fd,
                       pid_t parent)
{
    char err[ERR_LEN] = "";
    struct rusage ru;
    struct side side = { 0 };
    sigset_t none;
    char c = 'r';
    int rc;

    /* A clean signal state: the harness's handlers and mask are not the
     * transport's business. */
    signal(SIGCHLD, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);   /* a dead peer gives EPIPE, not a kill */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
        _exit(1);               /* parent gone already: never outlive it */
    ch->role = role;
    if (pin_cpu(cpu[role], err) == -1 || ch->tp->attach(ch, err) == -1 ||
        (ch->tp->custom == NULL &&
         side_init(&side, ch, role, cfg->verify, err) == -1)) {
        child_fail(sh, role, err);
        _exit(1);
    }
    if (write_full(ready_fd, &c, 1, err) == -1 ||
        read_full(go_fd, &c, 1, err) == -1) {
        child_fail(sh, role, err);
        _exit(1);
    }
    ch->peer_pid = ch->solo ? 0 : sh->pid[1 - role];
    getrusage(RUSAGE_SELF, &ru);
    timeradd(&ru.ru_utime, &ru.ru_stime, &sh->base_cpu[role]);
    if (role == ROLE_PRODUCER)
        rc = produce(ch, cfg, &side, sh, err);
    else
        rc = consume(ch, cfg, &side, sh, err);
    if (rc == -1)
        child_fail(sh, role, err);
    side_free(&side);
    if (ch->tp->detach != NULL)
        ch->tp->detach(ch);
    _exit(rc == -1 ? 1 : 0);
}

/* ---- the parent: one run ---------------------------------------------- */

struct run_state {
    pid_t pid[2];               /* 0 = not running */
    int status[2];
    struct rusage ru[2];
    int nchildren;
};

/* Reap whatever has exited; returns how many are still running. */
static int reap(struct run_state *rs)
{
    for (int i = 0; i < 2; i++) {
        pid_t r;

        if (rs->pid[i] <= 0)
            continue;
        do
            r = wait4(rs->pid[i], &rs->status[i], WNOHANG, &rs->ru[i]);
        while (r == -1 && errno == EINTR);
        if (r == rs->pid[i] || (r == -1 && errno == ECHILD))
            rs->pid[i] = -rs->pid[i];   /* reaped; keep it for messages */
    }
    return (rs->pid[0] > 0) + (rs->pid[1] > 0);
}

static void kill_all(struct run_state *rs)
{
    for (int i = 0; i < 2; i++)
        if (rs->pid[i] > 0)
            kill(rs->pid[i], SIGKILL);
    while (reap(rs) > 0) {
        sigset_t none;

        sigemptyset(&none);
        /* SIGKILL cannot be ignored: wait for the SIGCHLD */
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        ppoll(NULL, 0, &ts, &none);
    }
}

static int child_ok(const struct run_state *rs, int i);

static int any_failed(const struct run_state *rs)
{
    for (int i = 0; i < 2; i++)
        if (rs->pid[i] < 0 && !child_ok(rs, i))
            return 1;
    return 0;
}

/* Wait until fd is readable (fd >= 0), or every child exited (fd < 0),
 * or the deadline.  Returns 1 ready, 0 timeout, -2 interrupted, -3 a child
 * ended before fd became readable. */
static int wait_event(struct run_state *rs, int fd, uint64_t deadline_ns,
                      const sigset_t *unblocked)
{
    for (;;) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        uint64_t now = now_ns();
        struct timespec ts;
        int n;

        if (interrupted)
            return -2;
        child_exited = 0;
        if (fd < 0 && reap(rs) == 0)
            return 1;
        if (fd < 0 && any_failed(rs))
            return -3;          /* the other one may wait forever */
        if (now >= deadline_ns)
            return 0;
        ts.tv_sec = (time_t)((deadline_ns - now) / 1000000000u);
        ts.tv_nsec = (long)((deadline_ns - now) % 1000000000u);
        n = ppoll(fd >= 0 ? &pfd : NULL, fd >= 0 ? 1 : 0, &ts, unblocked);
        if (n > 0)
            return 1;
        if (fd >= 0 && child_exited && reap(rs) < rs->nchildren)
            return -3;
    }
}

static void describe_exit(const struct run_state *rs, enum tp_role role,
                          const struct run_shared *sh, char *err)
{
    const char *who = role == ROLE_PRODUCER ? "producer" : "consumer";
    int st = rs->status[role];

    if (WIFSIGNALED(st))
        err_set(err, "%s (pid %d) killed by signal %d (%s)", who,
                (int)-rs->pid[role], WTERMSIG(st), strsignal(WTERMSIG(st)));
    else if (WIFEXITED(st) && WEXITSTATUS(st) == 1 && sh->err[role][0])
        err_set(err, "%s: %s", who, sh->err[role]);
    else if (WIFEXITED(st))
        err_set(err, "%s exited with status %d", who, WEXITSTATUS(st));
}

static int child_ok(const struct run_state *rs, int i)
{
    return rs->pid[i] == 0 ||
           (WIFEXITED(rs->status[i]) && WEXITSTATUS(rs->status[i]) == 0);
}

/* Say why a run failed, naming the child that started it: one killed by
 * a signal (not our SIGKILL) first, then one that reported an error, the
 * consumer before the producer (a dead consumer makes the producer fail
 * too, with a less useful EPIPE). */
static void blame(const struct run_state *rs, const struct run_shared *sh,
                  char *why)
{
    for (int i = 1; i >= 0; i--)
        if (rs->pid[i] != 0 && WIFSIGNALED(rs->status[i]) &&
            WTERMSIG(rs->status[i]) != SIGKILL) {
            describe_exit(rs, (enum tp_role)i, sh, why);
            return;
        }
    for (int i = 1; i >= 0; i--)
        if (rs->pid[i] != 0 && sh->err[i][0] != '\0') {
            describe_exit(rs, (enum tp_role)i, sh, why);
            return;
        }
    for (int i = 1; i >= 0; i--)
        if (!child_ok(rs, i)) {
            describe_exit(rs, (enum tp_role)i, sh, why);
            return;
        }
}

static double cpu_ns(const struct run_state *rs, const struct run_shared *sh)
{
    double total = 0;

    for (int i = 0; i < 2; i++) {
        struct timeval t, d;

        if (rs->pid[i] == 0)
            continue;
        timeradd(&rs->ru[i].ru_utime, &rs->ru[i].ru_stime, &t);
        timersub(&t, &sh->base_cpu[i], &d);
        total += (double)d.tv_sec * 1e9 + (double)d.tv_usec * 1e3;
    }
    return total;
}

/* Measured round trips per run of a latency or paced cell. */
static uint64_t round_trips(const struct bench_config *cfg, enum tp_mode mode)
{
    return mode == MODE_PACED ? cfg->paced_iterations : cfg->iterations;
}

/* Returns 0 done (ok says if the run succeeded; why when not), -1 harness
 * error, BENCH_INTERRUPTED. */
static int run_once(const struct bench_config *cfg,
                    const struct transport *tp, enum tp_mode mode,
                    size_t size, const int cpu[2], struct run_figures *fig,
                    int *ok, char *why, char *note, char *err)
{
    struct tp_channel ch;
    struct run_state rs;
    struct run_shared *sh;
    size_t shlen;
    uint64_t nsamples = 0, deadline;
    int ready_pipe[2] = { -1, -1 }, go_pipe[2] = { -1, -1 };
    sigset_t unblocked;
    pid_t parent = getpid();
    int rc = -1, w, created = 0;
    double cpu_total;
    char c[2] = { 'g', 'g' };

    *ok = 0;
    memset(&rs, 0, sizeof(rs));
    memset(&ch, 0, sizeof(ch));
    ch.tp = tp;
    ch.mode = tp_channel_mode(mode);
    ch.msg_bytes = size;
    ch.same_cpu = cpu[0] >= 0 && cpu[0] == cpu[1];
    ch.verify_full = cfg->verify == VERIFY_FULL;
    if (mode == MODE_THROUGHPUT) {
        ch.messages = run_messages(cfg, tp, size);
    } else {
        uint64_t iters = round_trips(cfg, mode);
        uint64_t warm = iters / 10;

        nsamples = iters;
        warm = warm > LAT_WARMUP_MAX ? LAT_WARMUP_MAX : warm;
        ch.messages = nsamples + warm;
    }
    shlen = sizeof(*sh) + nsamples * sizeof(uint64_t);
    sh = mmap(NULL, shlen, PROT_READ | PROT_WRITE,
              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        return err_sys(err, "mmap");
    sh->nsamples = nsamples;
    sh->interval_ns = mode == MODE_PACED ? cfg->interval_ns : 0;
    sigprocmask(SIG_SETMASK, NULL, &unblocked);
    sigdelset(&unblocked, SIGCHLD);
    sigdelset(&unblocked, SIGINT);
    sigdelset(&unblocked, SIGTERM);

    if (pipe(ready_pipe) == -1 || pipe(go_pipe) == -1) {
        err_sys(err, "pipe");
        goto out;
    }
    created = 1;
    if (tp->create(&ch, why) == -1) {
        rc = 0;                 /* the run failed; the harness is fine */
        goto out;
    }
    snprintf(note, NOTE_LEN, "%s", ch.note);
    rs.nchildren = ch.solo || (tp->caps & TP_SOLO) ? 1 : 2;
    for (int i = rs.nchildren - 1; i >= 0; i--) {   /* consumer first */
        pid_t pid = fork();

        if (pid == -1) {
            err_sys(err, "fork");
            goto out;
        }
        if (pid == 0) {
            close(ready_pipe[0]);
            close(go_pipe[1]);
            child_main(&ch, (enum tp_role)i, cfg, cpu, sh, ready_pipe[1],
                       go_pipe[0], parent);
        }
        rs.pid[i] = pid;
        sh->pid[i] = pid;
    }
    close_fd(&ready_pipe[1]);
    close_fd(&go_pipe[0]);
    deadline = now_ns() + (uint64_t)cfg->timeout_s * 1000000000u;

    for (int got = 0; got < rs.nchildren;) {
        w = wait_event(&rs, ready_pipe[0], deadline, &unblocked);
        if (w == 1) {
            char buf[2];
            ssize_t n = read(ready_pipe[0], buf, sizeof(buf));

            if (n > 0)
                got += (int)n;
            else if (n == 0)
                w = -3;                 /* every writer gone */
            else if (errno != EINTR)
                w = -3;
        }
        if (w == -2) {
            rc = BENCH_INTERRUPTED;
            goto out;
        }
        if (w == 0) {
            err_set(why, "timeout: not ready after %u s", cfg->timeout_s);
            rc = 0;
            goto out;
        }
        if (w == -3) {
            kill_all(&rs);
            blame(&rs, sh, why);
            if (why[0] == '\0')
                err_set(why, "a child ended before it was ready");
            rc = 0;
            goto out;
        }
    }
    if (tp->ready != NULL && tp->ready(&ch, why) == -1) {
        rc = 0;
        goto out;
    }
    if (write_full(go_pipe[1], c, (size_t)rs.nchildren, err) == -1)
        goto out;

    w = wait_event(&rs, -1, deadline, &unblocked);
    if (w == -3) {
        kill_all(&rs);
        blame(&rs, sh, why);
        rc = 0;
        goto out;
    }
    if (w == -2) {
        rc = BENCH_INTERRUPTED;
        goto out;
    }
    if (w == 0) {
        err_set(why, "timeout: run not finished after %u s (use "
                     "--timeout)", cfg->timeout_s);
        rc = 0;
        goto out;
    }
    rc = 0;
    if (!child_ok(&rs, 0) || !child_ok(&rs, 1)) {
        blame(&rs, sh, why);
        goto out;
    }

    /* Both ended well: compute this run's figures. */
    memset(fig, 0, sizeof(*fig));
    cpu_total = cpu_ns(&rs, sh);    /* warm-up round trips included */
    fig->sent = tp->custom != NULL ? sh->sent : ch.messages;
    fig->cpu_ns_per_msg = fig->sent > 0 ? cpu_total / (double)fig->sent : 0;
    fig->cpu_ms_per_mb = size > 0 && fig->sent > 0
        ? cpu_total / 1e6 / ((double)fig->sent * (double)size / 1e6) : 0;
    fig->lost = sh->lost;
    fig->duplicated = sh->duplicated;
    fig->reordered = sh->reordered;
    fig->verified = mode != MODE_THROUGHPUT && !(tp->caps & TP_LOSSY)
                        ? (tp->caps & TP_NO_PAYLOAD) == 0
                        : sh->verified;
    if (cfg->verify == VERIFY_NONE) {
        fig->verified = 0;      /* sequence checked, bytes not */
        snprintf(note, NOTE_LEN, "%.80s%sbytes not verified (--verify "
                 "none)", ch.note, ch.note[0] ? "; " : "");
    }
    if (mode == MODE_THROUGHPUT) {
        double secs = (double)(sh->t_end_ns - sh->t_start_ns) / 1e9;
        uint64_t got = tp->custom != NULL || (tp->caps & TP_LOSSY)
                           ? sh->received : ch.messages;

        if (sh->t_end_ns <= sh->t_start_ns) {
            err_set(why, "no time elapsed: clock readings out of order");
            goto out;
        }
        fig->msgs_per_s = (double)got / secs;
        fig->mb_per_s = (double)got * (double)size / secs / 1e6;
        fig->main = (tp->caps & TP_NO_SIZE) ? fig->msgs_per_s
                                            : fig->mb_per_s;
    } else {
        uint64_t n = nsamples - (sh->lost < nsamples ? sh->lost : nsamples);
        uint64_t *s = sh->samples_ns;

        /* lost round trips left their slots at 0: drop them */
        if (n < nsamples) {
            uint64_t k = 0;
            for (uint64_t i = 0; i < nsamples; i++)
                if (s[i] != 0)
                    s[k++] = s[i];
            n = k;
        }
        if (n == 0) {
            err_set(why, "no round trip completed");
            goto out;
        }
        stats_sort_u64(s, n);
        fig->rtt_ns[LAT_MIN] = (double)s[0];
        fig->rtt_ns[LAT_P50] = stats_percentile_u64(s, n, 50);
        fig->rtt_ns[LAT_P90] = stats_percentile_u64(s, n, 90);
        fig->rtt_ns[LAT_P99] = stats_percentile_u64(s, n, 99);
        fig->rtt_ns[LAT_P999] = stats_percentile_u64(s, n, 99.9);
        fig->rtt_ns[LAT_MAX] = (double)s[n - 1];
        fig->rtt_ns[LAT_MEAN] = stats_mean_u64(s, n);
        fig->rtt_ns[LAT_STDDEV] = stats_stddev_u64(s, n);
        fig->main = fig->rtt_ns[LAT_P50];
        fig->msgs_per_s = 1e9 / fig->rtt_ns[LAT_MEAN];
        if (mode == MODE_PACED && sh->paced_end_ns > sh->paced_start_ns)
            /* the pace achieved: below 1/interval when slots ran late */
            fig->msgs_per_s = (double)nsamples * 1e9 /
                              (double)(sh->paced_end_ns - sh->paced_start_ns);
        fig->mb_per_s = fig->msgs_per_s * (double)size / 1e6;
    }
    if (tp->custom != NULL && !fig->verified)
        err_set(why, "counts do not add up: sent %llu, received %llu, "
                     "lost %llu", (unsigned long long)sh->sent,
                (unsigned long long)sh->received,
                (unsigned long long)sh->lost);
    else if (!fig->verified && !(tp->caps & TP_NO_PAYLOAD) &&
             tp->custom == NULL && cfg->verify != VERIFY_NONE)
        err_set(why, "verification failed");
    else
        *ok = 1;
out:
    if (rs.pid[0] > 0 || rs.pid[1] > 0)
        kill_all(&rs);          /* timeout, interrupt or error */
    if (created)
        tp->destroy(&ch);
    close_fd(&ready_pipe[0]);
    close_fd(&ready_pipe[1]);
    close_fd(&go_pipe[0]);
    close_fd(&go_pipe[1]);
    munmap(sh, shlen);
    return rc;
}

/* ---- a cell: warm-up + reps, aggregated ------------------------------- */

static void aggregate(struct bench_result *res, const struct run_figures *f,
                      unsigned n)
{
    double v[64];

#define MEDIAN_OF(expr)                                                    \
    ({                                                                     \
        for (unsigned i_ = 0; i_ < n; i_++)                                \
            v[i_] = (expr);                                                \
        stats_median(v, n);                                                \
    })
    res->median = MEDIAN_OF(f[i_].main);
    stats_sort_double(v, n);
    res->min = v[0];
    res->max = v[n - 1];
    for (unsigned i = 0; i < n; i++)
        v[i] = f[i].main;
    res->cv_pct = stats_cv_pct(v, n);
    res->mb_per_s = MEDIAN_OF(f[i_].mb_per_s);
    res->msgs_per_s = MEDIAN_OF(f[i_].msgs_per_s);
    for (int k = 0; k < LAT_N; k++)
        res->rtt_ns[k] = MEDIAN_OF(f[i_].rtt_ns[k]);
    res->cpu_ns_per_msg = MEDIAN_OF(f[i_].cpu_ns_per_msg);
    res->cpu_ms_per_mb = MEDIAN_OF(f[i_].cpu_ms_per_mb);
#undef MEDIAN_OF
    res->verified = 1;
    if ((res->tp->caps & TP_NO_PAYLOAD) || res->tp->custom != NULL)
        res->verified = -1;     /* nothing to verify: n/a */
    for (unsigned i = 0; i < n; i++) {
        res->lost += f[i].lost;
        res->duplicated += f[i].duplicated;
        res->reordered += f[i].reordered;
        if (res->verified != -1)
            res->verified &= f[i].verified;
    }
}

int bench_run(const struct bench_config *cfg, const struct transport *tp,
              enum tp_mode mode, size_t size_bytes, struct bench_result *res,
              char *err)
{
    struct saved_signals saved;
    struct run_figures fig[64];
    unsigned total = cfg->warmup + cfg->reps;
    char why[ERR_LEN] = "";
    int rc = 0;

    memset(res, 0, sizeof(*res));
    res->tp = tp;
    res->mode = mode;
    res->status = RES_NA;
    if (tp->caps & TP_NO_SIZE)
        size_bytes = (tp->caps & TP_NO_PAYLOAD) ? 0 : 4;
    res->size_bytes = (tp->caps & TP_NO_SIZE) ? 0 : size_bytes;
    snprintf(res->placement, sizeof(res->placement), "%s",
             bench_placement_name(cfg->placement));
    if (interrupted)
        return BENCH_INTERRUPTED;
    if (cfg->reps == 0 || cfg->reps > 64 || cfg->warmup > 64)
        return err_set(err, "reps must be 1..64 and warmup 0..64");
    if (bench_placement_cpus(cfg, res->cpu, err) == -1)
        return -1;
    if ((mode == MODE_THROUGHPUT && (tp->caps & TP_NO_THROUGHPUT)) ||
        (mode != MODE_THROUGHPUT && (tp->caps & TP_NO_LATENCY))) {
        err_set(res->reason, "%s mode does not apply to %s",
                bench_mode_name(mode), tp->name);
        return 0;
    }
    if (mode == MODE_PACED && (tp->custom != NULL || tp->family == TP_LIMIT)) {
        err_set(res->reason, "paced mode does not apply to %s (%s)", tp->name,
                tp->family == TP_LIMIT
                    ? "a reference row for back-to-back transfers"
                    : "it times its own loop: no round trip to pace");
        return 0;
    }
    if (mode == MODE_PACED && cfg->interval_ns == 0)
        return err_set(err, "paced mode needs an interval above 0");
    if (mode == MODE_THROUGHPUT && (tp->caps & TP_SOLO) && !tp->custom) {
        err_set(res->reason, "throughput mode does not apply to %s",
                tp->name);
        return 0;
    }
    if (tp->check_size != NULL &&
        tp->check_size(tp, tp_channel_mode(mode), size_bytes,
                       res->reason) == -1)
        return 0;
    if (signals_install(&saved, err) == -1)
        return -1;
    res->status = RES_OK;
    for (unsigned r = 0; r < total; r++) {
        struct run_figures *f = &fig[r < cfg->warmup ? 0 : r - cfg->warmup];
        int ok;

        rc = run_once(cfg, tp, mode, size_bytes, res->cpu, f, &ok, why,
                      res->note, err);
        if (rc != 0)
            break;
        if (!ok) {
            res->status = RES_FAILED;
            snprintf(res->reason, sizeof(res->reason), "run %u: %s", r + 1,
                     why);
            break;
        }
        if (r >= cfg->warmup)
            res->reps++;
    }
    signals_restore(&saved);
    if (rc != 0) {
        res->status = RES_FAILED;
        return rc;
    }
    if (res->status == RES_OK) {
        if (mode == MODE_THROUGHPUT) {
            res->messages = run_messages(cfg, tp, size_bytes);
            if (tp->custom != NULL)     /* what custom() says it sent */
                res->messages = fig[0].sent;
        } else {
            res->messages = round_trips(cfg, mode);
        }
        res->bytes = res->messages * size_bytes;
        aggregate(res, fig, res->reps);
    }
    if (mode == MODE_PACED) {   /* say so first: the row reads alone */
        char every[32], note[2 * NOTE_LEN];

        format_interval(cfg->interval_ns, every, sizeof(every));
        snprintf(note, sizeof(note), "paced: one round trip every %s%s%s",
                 every, res->note[0] ? "; " : "", res->note);
        note[NOTE_LEN - 1] = '\0';         /* what fits in a row */
        memcpy(res->note, note, NOTE_LEN);
    }
    return 0;
}
