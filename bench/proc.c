/* proc.c - process control for one run.
 *
 *      parent (this code)          producer child         consumer child
 *      create()                    |                      |
 *      fork consumer, producer --> reset signals, pin CPU, attach(),
 *                                  pattern and buffers (struct side)
 *      read 2 x "ready" <--------- write "ready"          write "ready"
 *      ready()
 *      write 2 x "go" -----------> read "go"              read "go"
 *                                  bench/loops.c: the measured loops
 *                                  detach, _exit          detach, _exit
 *      reap (SIGCHLD + wait4: exit status and CPU time)
 *      destroy()                   always, also after a timeout, a crash
 *                                  or SIGINT/SIGTERM
 *
 * The children publish what they measured in a small shared mapping made
 * before fork (struct run_shared); bench/figures.c turns it into figures.
 * A run with a --test-fault drives the wrapper of bench/fault.c instead
 * of the transport itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fault.h"
#include "loops.h"
#include "placement.h"
#include "proc.h"
#include "samples.h"
#include "util.h"

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
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

int proc_interrupted(void)
{
    return interrupted;
}

/* Install the handlers and block the three signals; they are delivered
 * only inside ppoll(), so no wake-up is lost between check and wait. */
int proc_signals_install(struct proc_signals *s, char *err)
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
void proc_signals_restore(const struct proc_signals *s)
{
    sigaction(SIGCHLD, &s->chld, NULL);
    sigaction(SIGINT, &s->intr, NULL);
    sigaction(SIGTERM, &s->term, NULL);
    sigprocmask(SIG_SETMASK, &s->mask, NULL);
}

/* ---- the children ------------------------------------------------------ */

static void child_fail(struct run_shared *sh, enum tp_role role,
                       const char *msg)
{
    memcpy(sh->err[role], msg, ERR_LEN);
    sh->err[role][ERR_LEN - 1] = '\0';
}

/* The measured part of a child, between its counters' start and stop:
 * opened before "ready", so that only the loops fall inside. */
static int child_measure(struct tp_channel *ch, enum tp_role role,
                         struct side *side, struct run_shared *sh,
                         struct counters *ctrs, char *err)
{
    struct rusage ru;
    int rc;

    getrusage(RUSAGE_SELF, &ru);
    timeradd(&ru.ru_utime, &ru.ru_stime, &sh->base_cpu[role]);
    counters_rusage(&ru, sh->counts.ru_base[role]);
    counters_start(ctrs);
    if (role == ROLE_PRODUCER)
        rc = loops_produce(ch, side, sh, err);
    else
        rc = loops_consume(ch, side, sh, err);
    counters_stop(ctrs);
    sh->counts.ctr_valid[role] = counters_read(ctrs, sh->counts.ctr[role]);
    counters_close(ctrs);
    return rc;
}

/* Never returns.  Exit status 0: done; 1: error written to sh->err. */
static void child_main(struct tp_channel *ch, enum tp_role role,
                       const struct bench_config *cfg, const int cpu[2],
                       struct run_shared *sh, int ready_fd, int go_fd,
                       pid_t parent)
{
    char err[ERR_LEN] = "";
    struct counters ctrs;
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
    for (int k = 0; k < CTR_N; k++)
        ctrs.fd[k] = -1;
    if (sh->counts.counting)    /* as counters_probe() found in the parent */
        counters_open(&ctrs);
    if (placement_pin(cpu[role], err) == -1 || ch->tp->attach(ch, err) == -1 ||
        (ch->tp->custom == NULL &&
         side_init(&side, ch, role, cfg->verify, err) == -1) ||
        write_full(ready_fd, &c, 1, err) == -1 ||
        read_full(go_fd, &c, 1, err) == -1) {
        child_fail(sh, role, err);
        _exit(1);
    }
    ch->peer_pid = ch->solo ? 0 : sh->pid[1 - role];
    rc = child_measure(ch, role, &side, sh, &ctrs, err);
    if (rc != 0) {
        child_fail(sh, role, err);
        sh->bad_data[role] = rc == LOOP_BAD_DATA;
    }
    side_free(&side);
    if (ch->tp->detach != NULL)
        ch->tp->detach(ch);
    _exit(rc != 0 ? 1 : 0);
}

/* ---- the parent: children ------------------------------------------------ */

struct run_state {
    pid_t pid[2];               /* > 0 running, < 0 reaped, 0 none */
    int status[2];
    struct rusage ru[2];
    int nchildren;
    int stopped[2];             /* the harness sent it SIGKILL */
    unsigned reaped_at[2];      /* order of reaping, from 1 */
    unsigned nreaped;
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
        if (r == rs->pid[i] || (r == -1 && errno == ECHILD)) {
            rs->pid[i] = -rs->pid[i];   /* reaped; keep it for messages */
            rs->reaped_at[i] = ++rs->nreaped;
        }
    }
    return (rs->pid[0] > 0) + (rs->pid[1] > 0);
}

static void kill_all(struct run_state *rs)
{
    for (int i = 0; i < 2; i++)
        if (rs->pid[i] > 0 && kill(rs->pid[i], SIGKILL) == 0)
            rs->stopped[i] = 1;
    while (reap(rs) > 0) {
        sigset_t none;
        struct timespec ts = { 0, 10 * 1000 * 1000 };

        sigemptyset(&none);
        /* SIGKILL cannot be ignored: wait for the SIGCHLD */
        ppoll(NULL, 0, &ts, &none);
    }
}

static int child_ok(const struct run_state *rs, int i)
{
    return rs->pid[i] == 0 ||
           (WIFEXITED(rs->status[i]) && WEXITSTATUS(rs->status[i]) == 0);
}

/* Killed by the harness's own SIGKILL, not by whatever it died of. */
static int stopped_by_us(const struct run_state *rs, int i)
{
    return rs->stopped[i] && WIFSIGNALED(rs->status[i]) &&
           WTERMSIG(rs->status[i]) == SIGKILL;
}

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

/* ---- blame --------------------------------------------------------------- */

static const char *role_name(int i)
{
    return i == ROLE_PRODUCER ? "producer" : "consumer";
}

static void describe_exit(const struct run_state *rs, int i,
                          const struct run_shared *sh,
                          struct proc_outcome *out)
{
    int st = rs->status[i];

    /* said why, then stopped by us on its way out (the other side saw
     * it leave and failed first): its own reason is the row's */
    int said = sh->err[i][0] != '\0' &&
               ((WIFEXITED(st) && WEXITSTATUS(st) == 1) ||
                stopped_by_us(rs, i));

    out->code = CODE_CHILD_DIED;
    if (WIFSIGNALED(st) && !said) {
        err_set(out->why, "%s (pid %d) killed by signal %d (%s)",
                role_name(i), (int)-rs->pid[i], WTERMSIG(st),
                strsignal(WTERMSIG(st)));
    } else if (said) {
        err_set(out->why, "%s: %s", role_name(i), sh->err[i]);
        out->code = sh->bad_data[i] ? CODE_VERIFICATION_FAILED : CODE_ERROR;
    } else if (WIFEXITED(st)) {
        err_set(out->why, "%s exited with status %d", role_name(i),
                WEXITSTATUS(st));
    }
    if (rs->pid[1 - i] != 0 && stopped_by_us(rs, 1 - i)) {
        size_t len = strlen(out->why);

        snprintf(out->why + len, ERR_LEN - len, "; the %s was stopped by "
                 "the harness", role_name(1 - i));
    }
}

/* The child that died of a signal the harness did not send, the first
 * one reaped (the consumer when both went in one pass); -1 if none. */
static int first_killed(const struct run_state *rs)
{
    int pick = -1;

    for (int i = 1; i >= 0; i--)
        if (rs->pid[i] != 0 && WIFSIGNALED(rs->status[i]) &&
            !stopped_by_us(rs, i) &&
            (pick < 0 || rs->reaped_at[i] < rs->reaped_at[pick]))
            pick = i;
    return pick;
}

/* Say why a run failed, naming the child that started it: one killed by
 * a signal the harness did not send first, then one that reported an
 * error, the consumer before the producer (a dead consumer makes the
 * producer fail too, with a less useful EPIPE), then any other. */
static void blame(const struct run_state *rs, const struct run_shared *sh,
                  struct proc_outcome *out)
{
    int i = first_killed(rs);

    if (i >= 0) {
        describe_exit(rs, i, sh, out);
        return;
    }
    for (i = 1; i >= 0; i--)
        if (rs->pid[i] != 0 && sh->err[i][0] != '\0') {
            describe_exit(rs, i, sh, out);
            return;
        }
    for (i = 1; i >= 0; i--)
        if (!child_ok(rs, i)) {
            describe_exit(rs, i, sh, out);
            return;
        }
}

/* user+sys of both children (roles = 3) or one (1 << role), from the
 * start barrier on; a child's reaped children count as its own. */
static double cpu_ns(const struct run_state *rs, const struct run_shared *sh,
                     unsigned roles)
{
    double total = 0;

    for (int i = 0; i < 2; i++) {
        if (!(roles & (1u << i)))
            continue;
        struct timeval t, d;

        if (rs->pid[i] == 0)
            continue;
        timeradd(&rs->ru[i].ru_utime, &rs->ru[i].ru_stime, &t);
        timersub(&t, &sh->base_cpu[i], &d);
        total += (double)d.tv_sec * 1e9 + (double)d.tv_usec * 1e3;
    }
    return total;
}

/* ---- one run ------------------------------------------------------------- */

struct run {
    const struct bench_config *cfg;
    enum tp_mode mode;          /* the cell's (paced stays paced) */
    struct tp_channel ch;
    struct run_state rs;
    struct run_shared *sh;
    size_t shlen;
    int ready_pipe[2], go_pipe[2];
    sigset_t unblocked;
    uint64_t deadline;
    int created;
    struct fault_transport ft;  /* --test-fault: the wrapper */
};

static int run_setup(struct run *r, const struct transport *tp, size_t size,
                     const int cpu[2], char *err)
{
    const struct bench_config *cfg = r->cfg;
    uint64_t nsamples = 0;

    r->ch.tp = cfg->fault != FAULT_NONE ? fault_wrap(&r->ft, tp, cfg->fault)
                                        : tp;
    r->ch.mode = tp_channel_mode(r->mode);
    r->ch.msg_bytes = size;
    r->ch.same_cpu = cpu[0] >= 0 && cpu[0] == cpu[1];
    r->ch.verify_full = cfg->verify == VERIFY_FULL;
    r->ch.point = cfg->point;
    if (r->mode == MODE_THROUGHPUT) {
        r->ch.messages = figures_run_messages(cfg, tp, size);
    } else {
        nsamples = figures_round_trips(cfg, tp, r->mode);
        r->ch.messages = nsamples + figures_warmup_trips(nsamples);
    }
    r->shlen = sizeof(*r->sh) + nsamples * sizeof(uint64_t);
    r->sh = mmap(NULL, r->shlen, PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (r->sh == MAP_FAILED) {
        r->sh = NULL;
        return err_sys(err, "mmap");
    }
    r->sh->nsamples = nsamples;
    r->sh->interval_ns = r->mode == MODE_PACED ? cfg->interval_ns : 0;
    sigprocmask(SIG_SETMASK, NULL, &r->unblocked);
    sigdelset(&r->unblocked, SIGCHLD);
    sigdelset(&r->unblocked, SIGINT);
    sigdelset(&r->unblocked, SIGTERM);
    if (pipe(r->ready_pipe) == -1 || pipe(r->go_pipe) == -1)
        return err_sys(err, "pipe");
    return 0;
}

/* create() and fork.  0 started, 1 the run failed (out), -1 harness. */
static int run_start(struct run *r, const int cpu[2], struct proc_outcome *out,
                     char *err)
{
    pid_t parent = getpid();

    r->created = 1;
    if (r->ch.tp->create(&r->ch, out->why) == -1) {
        out->refused = r->ch.refused;
        out->code = CODE_ERROR;
        return 1;               /* the run failed; the harness is fine */
    }
    snprintf(out->note, NOTE_LEN, "%s", r->ch.note);
    out->facts = r->ch.facts;
    r->rs.nchildren = r->ch.solo || (r->ch.tp->caps & TP_SOLO) ? 1 : 2;
    for (int i = r->rs.nchildren - 1; i >= 0; i--) {   /* consumer first */
        pid_t pid = fork();

        if (pid == -1)
            return err_sys(err, "fork");
        if (pid == 0) {
            close(r->ready_pipe[0]);
            close(r->go_pipe[1]);
            child_main(&r->ch, (enum tp_role)i, r->cfg, cpu, r->sh,
                       r->ready_pipe[1], r->go_pipe[0], parent);
        }
        r->rs.pid[i] = pid;
        r->sh->pid[i] = pid;
    }
    close_fd(&r->ready_pipe[1]);
    close_fd(&r->go_pipe[0]);
    r->deadline = now_ns() + (uint64_t)r->cfg->timeout_s * 1000000000u;
    return 0;
}

/* A child ended early: stop the other and say which one failed first. */
static int run_child_died(struct run *r, struct proc_outcome *out)
{
    kill_all(&r->rs);
    blame(&r->rs, r->sh, out);
    if (out->why[0] == '\0') {
        err_set(out->why, "a child ended before it was ready");
        out->code = CODE_CHILD_DIED;
    }
    return 1;
}

/* Until both children said "ready".  0, 1 the run failed, or
 * BENCH_INTERRUPTED. */
static int run_barrier(struct run *r, struct proc_outcome *out)
{
    for (int got = 0; got < r->rs.nchildren;) {
        int w = wait_event(&r->rs, r->ready_pipe[0], r->deadline,
                           &r->unblocked);

        if (w == 1) {
            char buf[2];
            ssize_t n = read(r->ready_pipe[0], buf, sizeof(buf));

            if (n > 0)
                got += (int)n;
            else if (n == 0 || errno != EINTR)
                w = -3;                 /* every writer gone */
        }
        if (w == -2)
            return BENCH_INTERRUPTED;
        if (w == 0) {
            out->code = CODE_TIMEOUT;
            err_set(out->why, "timeout: not ready after %u s",
                    r->cfg->timeout_s);
            return 1;
        }
        if (w == -3)
            return run_child_died(r, out);
    }
    return 0;
}

/* ready(), "go", and wait for both to finish.  0 both ended well, 1 the
 * run failed, -1 harness error, BENCH_INTERRUPTED. */
static int run_measure(struct run *r, struct proc_outcome *out, char *err)
{
    char c[2] = { 'g', 'g' };
    int w;

    if (r->ch.tp->ready != NULL && r->ch.tp->ready(&r->ch, out->why) == -1) {
        out->code = CODE_ERROR;
        return 1;
    }
    if (write_full(r->go_pipe[1], c, (size_t)r->rs.nchildren, err) == -1)
        return -1;
    w = wait_event(&r->rs, -1, r->deadline, &r->unblocked);
    if (w == -3)
        return run_child_died(r, out);
    if (w == -2)
        return BENCH_INTERRUPTED;
    if (w == 0) {
        out->code = CODE_TIMEOUT;
        err_set(out->why, "timeout: run not finished after %u s (use "
                          "--timeout)", r->cfg->timeout_s);
        return 1;
    }
    if (!child_ok(&r->rs, 0) || !child_ok(&r->rs, 1)) {
        blame(&r->rs, r->sh, out);
        return 1;
    }
    return 0;
}

static void run_cleanup(struct run *r)
{
    if (r->rs.pid[0] > 0 || r->rs.pid[1] > 0)
        kill_all(&r->rs);       /* timeout, interrupt or error */
    if (r->created)
        r->ch.tp->destroy(&r->ch);
    close_fd(&r->ready_pipe[0]);
    close_fd(&r->ready_pipe[1]);
    close_fd(&r->go_pipe[0]);
    close_fd(&r->go_pipe[1]);
    if (r->sh != NULL)
        munmap(r->sh, r->shlen);
}

int proc_run(const struct bench_config *cfg, const struct transport *tp,
             enum tp_mode mode, size_t size, const int cpu[2], int counting,
             struct run_figures *fig, struct proc_outcome *out, char *err)
{
    struct run r;
    int rc;

    memset(out, 0, sizeof(*out));
    memset(&r, 0, sizeof(r));
    r.cfg = cfg;
    r.mode = mode;
    r.ready_pipe[0] = r.ready_pipe[1] = r.go_pipe[0] = r.go_pipe[1] = -1;
    rc = run_setup(&r, tp, size, cpu, err);
    if (rc == 0)
        r.sh->counts.counting = counting;
    if (rc == 0)
        rc = run_start(&r, cpu, out, err);
    if (rc == 0)
        rc = run_barrier(&r, out);
    if (rc == 0)
        rc = run_measure(&r, out, err);
    if (rc == 0) {
        struct run_input in = {
            .tp = tp, .mode = mode, .size_bytes = size,
            .verify = cfg->verify, .messages = r.ch.messages,
            .cpu_ns = cpu_ns(&r.rs, r.sh, 3),   /* warm-up included */
            .consumer_cpu_ns = cpu_ns(&r.rs, r.sh, 1u << ROLE_CONSUMER),
            .counts = &r.sh->counts, .samples_ns = r.sh->samples_ns,
            .nsamples = r.sh->nsamples,
        };

        if (cfg->samples != NULL && cfg->samples_run > 0 &&
            samples_write(cfg->samples, tp->name, bench_mode_name(mode), size,
                          bench_placement_name(cfg->placement),
                          cfg->samples_run, r.sh->samples_ns,
                          r.sh->nsamples) == -1)
            rc = err_set(err, "--samples: write: %s", strerror(errno));
        for (int i = 0; i < 2; i++)
            if (r.rs.pid[i] != 0) {
                in.sides |= 1u << i;
                counters_rusage(&r.rs.ru[i], in.ru_end[i]);
            }

        out->ok = figures_run(&in, fig, &out->code, out->why) == 0;
    }
    run_cleanup(&r);
    if (out->ok)                /* destroy() may have added to the note */
        snprintf(out->note, NOTE_LEN, "%s", r.ch.note);
    return rc == 1 ? 0 : rc;
}
