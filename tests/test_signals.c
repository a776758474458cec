/* test_signals.c - signals/: round trips, realtime data, coalescing,
 * SIGCHLD reaping, and that nothing leaks into the harness.
 *
 * Two kinds of tests.  Runs through the real harness (tu_run) check what a
 * user sees.  Direct tests drive one transport's own functions (found by
 * name in the registry) inside a forked child, to put a signal exactly in
 * the window a property is about; the child reports through its exit
 * status or a pipe, alarm() turns a lost wake-up into a failure instead of
 * a hang, and only the parent asserts.  One test reads the handlers'
 * source, as a reviewer would, for what a handler may touch. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../bench/harness.h"
#include "../bench/transport.h"
#include "../bench/util.h"
#include "test_util.h"

static const char *const sig_pingpong_variants[] = {
    "signal/sigsuspend", "signal/sigwaitinfo", "signal/signalfd",
};
#define NVARIANTS                                                          \
    (sizeof(sig_pingpong_variants) / sizeof(sig_pingpong_variants[0]))

/* Every signals transport and the mode it runs in. */
static const struct {
    const char *name;
    enum tp_mode mode;
    size_t size;
} sig_all[] = {
    { "signal/sigsuspend", MODE_LATENCY, 0 },
    { "signal/sigwaitinfo", MODE_LATENCY, 0 },
    { "signal/signalfd", MODE_LATENCY, 0 },
    { "rt_signal", MODE_THROUGHPUT, 4 },
    { "rt_signal", MODE_LATENCY, 4 },
    { "coalesce/standard", MODE_THROUGHPUT, 0 },
    { "coalesce/realtime", MODE_THROUGHPUT, 0 },
    { "sigchld/fork-reap", MODE_LATENCY, 0 },
    { "sigchld/reap-many", MODE_THROUGHPUT, 0 },
};
#define NALL (sizeof(sig_all) / sizeof(sig_all[0]))

/* Child exit codes of the direct tests. */
enum { SIG_OK = 0, SIG_SETUP = 10, SIG_CALL = 11, SIG_WRONG = 12 };

static pid_t sig_fork(void)
{
    pid_t pid = fork();

    cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
    if (pid == 0)
        alarm(20);              /* a lost signal: SIGALRM, not a hang */
    return pid;
}

static int sig_wait(pid_t pid)
{
    int status;

    cr_assert_eq(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

/* A channel for calling one transport's functions by hand. */
static void sig_channel(struct tp_channel *ch, const char *name,
                        enum tp_mode mode, enum tp_role role)
{
    memset(ch, 0, sizeof(*ch));
    ch->tp = transport_find(name);
    ch->mode = mode;
    ch->msg_bytes = 4;
    ch->messages = 1;
    ch->role = role;
}

/* ---- signal round trips ------------------------------------------------ */

Test(signals, pingpong_variants_round_trip_every_sequence_number,
     .timeout = 30)
{
    for (size_t i = 0; i < NVARIANTS; i++) {
        struct bench_result res;

        tu_run(sig_pingpong_variants[i], MODE_LATENCY, 64, &res);
        cr_expect_eq(res.status, RES_OK, "%s: %s", sig_pingpong_variants[i],
                     res.reason);
        cr_expect_eq(res.verified, 1, "%s: sequence numbers not verified",
                     sig_pingpong_variants[i]);
        cr_expect_eq(res.size_bytes, 0, "%s: size does not apply",
                     sig_pingpong_variants[i]);
        cr_expect_gt(res.rtt_ns[LAT_P50], 0);

        tu_run(sig_pingpong_variants[i], MODE_THROUGHPUT, 64, &res);
        cr_expect_eq(res.status, RES_NA, "%s: throughput must be n/a",
                     sig_pingpong_variants[i]);
    }
}

/* The sigsuspend race: a signal that arrives after attach() blocked it and
 * before recv() waits must be delivered by the wait, not lost.  The
 * consumer sends the ping to itself in exactly that window. */
Test(signals, signal_arriving_before_the_wait_is_not_lost, .timeout = 30)
{
    for (size_t i = 0; i < NVARIANTS; i++) {
        pid_t pid = sig_fork();

        if (pid == 0) {
            struct tp_channel ch;
            char err[ERR_LEN];
            char buf[8];
            const void *msg;
            union sigval val = { .sival_int = 0x5eed };

            sig_channel(&ch, sig_pingpong_variants[i], MODE_LATENCY,
                        ROLE_CONSUMER);
            if (ch.tp == NULL || ch.tp->create(&ch, err) == -1 ||
                ch.tp->attach(&ch, err) == -1)
                _exit(SIG_SETUP);
            ch.peer_pid = getpid();
            if (sigqueue(getpid(), SIGUSR1, val) == -1)    /* the window */
                _exit(SIG_SETUP);
            if (ch.tp->recv(&ch, buf, 4, &msg, err) == -1)
                _exit(SIG_CALL);
            if (memcmp(msg, &val.sival_int, 4) != 0)
                _exit(SIG_WRONG);
            ch.tp->detach(&ch);
            ch.tp->destroy(&ch);
            _exit(SIG_OK);
        }
        int status = sig_wait(pid);

        cr_expect_eq(status, SIG_OK, "%s: status %d (142 = SIGALRM: the "
                     "signal was lost)", sig_pingpong_variants[i], status);
    }
}

/* What recv() returns really crossed the kernel: a sequence number the
 * producer corrupts (harness fault injection) is caught, for the signal
 * round trip and for the realtime data channel. */
Test(signals, corrupted_sequence_number_fails_the_run, .timeout = 30)
{
    static const struct {
        const char *name;
        enum tp_mode mode;
        size_t size;
    } cells[] = {
        { "signal/sigsuspend", MODE_LATENCY, 0 },
        { "signal/sigwaitinfo", MODE_LATENCY, 0 },
        { "signal/signalfd", MODE_LATENCY, 0 },
        { "rt_signal", MODE_LATENCY, 4 },
        { "rt_signal", MODE_THROUGHPUT, 4 },
    };

    for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
        struct bench_config cfg = tu_config();
        struct bench_result res;

        cfg.fault = FAULT_CORRUPT;
        cfg.bytes = 64 * 4;
        tu_run_cfg(&cfg, cells[i].name, cells[i].mode, cells[i].size, &res);
        cr_expect_eq(res.status, RES_FAILED, "%s %s: corruption not seen",
                     cells[i].name, bench_mode_name(cells[i].mode));
        cr_expect(strstr(res.reason, "number") != NULL,
                  "%s: reason \"%s\"", cells[i].name, res.reason);
    }
}

/* ---- realtime signals as data ------------------------------------------ */

static struct bench_config sig_rt_config(void)
{
    struct bench_config cfg = tu_config();

    cfg.bytes = 16384 * 4;      /* 16384 signals */
    return cfg;
}

Test(signals, rt_signal_delivers_every_payload_in_order, .timeout = 60)
{
    struct bench_config cfg = sig_rt_config();
    struct bench_result res;

    tu_run_cfg(&cfg, "rt_signal", MODE_THROUGHPUT, 4, &res);
    cr_assert_eq(res.status, RES_OK, "%s", res.reason);
    cr_expect_eq(res.verified, 1);
    cr_expect_eq(res.lost, 0);
    cr_expect_eq(res.messages, 16384);
    cr_expect_gt(res.msgs_per_s, 0);

    tu_run("rt_signal", MODE_LATENCY, 4, &res);
    cr_assert_eq(res.status, RES_OK, "%s", res.reason);
    cr_expect_eq(res.verified, 1);
}

Test(signals, rt_signal_refuses_sizes_other_than_4, .timeout = 30)
{
    static const size_t sizes[] = { 1, 3, 5, 8, 64, 4096 };

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        struct bench_result res;

        tu_run("rt_signal", MODE_THROUGHPUT, sizes[i], &res);
        cr_expect_eq(res.status, RES_NA, "size %zu accepted", sizes[i]);
        cr_expect(strstr(res.reason, "--size 4") != NULL,
                  "size %zu: reason \"%s\" does not say what to do",
                  sizes[i], res.reason);
    }
}

/* How many signals this user has pending right now (SigQ: used/limit). */
static unsigned long sig_pending_now(void)
{
    char line[256];
    unsigned long used = 0, limit;
    FILE *f = fopen("/proc/self/status", "r");

    cr_assert_not_null(f);
    while (fgets(line, sizeof(line), f) != NULL)
        if (sscanf(line, "SigQ: %lu/%lu", &used, &limit) == 2)
            break;
    fclose(f);
    return used;
}

/* 16384 signals through a limit of 64 pending: flow control, not EAGAIN
 * and not loss.  The limit counts every pending signal of this user, so
 * other harness runs wait (exclusive lock) and the limit leaves room for
 * what is pending already. */
Test(signals, rt_signal_flow_control_stays_under_rlimit_sigpending,
     .timeout = 60)
{
    struct bench_config cfg = sig_rt_config();
    struct bench_result res;
    struct rlimit old, low;
    char want[64];

    tu_exclusive_begin();
    cr_assert_eq(getrlimit(RLIMIT_SIGPENDING, &old), 0);
    low = old;
    low.rlim_cur = sig_pending_now() + 64;
    cr_assert_eq(setrlimit(RLIMIT_SIGPENDING, &low), 0);
    tu_run_cfg(&cfg, "rt_signal", MODE_THROUGHPUT, 4, &res);
    cr_assert_eq(setrlimit(RLIMIT_SIGPENDING, &old), 0);
    tu_exclusive_end();
    cr_assert_eq(res.status, RES_OK, "%s", res.reason);
    cr_expect_eq(res.verified, 1);
    cr_expect_eq(res.lost, 0);
    snprintf(want, sizeof(want), "window %llu,",
             (unsigned long long)low.rlim_cur / 4);
    cr_expect(strstr(res.note, want) != NULL, "note \"%s\" lacks \"%s\"",
              res.note, want);
}

/* ---- standard vs realtime ---------------------------------------------- */

/* Run a custom() transport directly in a child; counts come back by pipe. */
static int sig_custom(const char *name, struct tp_counts *counts)
{
    int fds[2], status;
    pid_t pid;

    cr_assert_eq(pipe(fds), 0);
    pid = sig_fork();
    if (pid == 0) {
        struct tp_channel ch;
        struct tp_counts c = { 0 };
        char err[ERR_LEN];
        int rc = SIG_OK;

        close(fds[0]);
        sig_channel(&ch, name, MODE_THROUGHPUT, ROLE_PRODUCER);
        if (ch.tp == NULL || ch.tp->create(&ch, err) == -1 ||
            ch.tp->attach(&ch, err) == -1)
            _exit(SIG_SETUP);
        if (ch.tp->custom(&ch, &c, err) == -1)
            rc = SIG_CALL;
        if (ch.tp->detach != NULL)
            ch.tp->detach(&ch);
        ch.tp->destroy(&ch);
        if (waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD)
            rc = SIG_WRONG;     /* a child (zombie) was left */
        if (write_full(fds[1], &c, sizeof(c), err) == -1)
            rc = SIG_SETUP;
        _exit(rc);
    }
    close(fds[1]);
    cr_assert_eq(read(fds[0], counts, sizeof(*counts)),
                 (ssize_t)sizeof(*counts));
    close(fds[0]);
    status = sig_wait(pid);
    return status;
}

Test(signals, standard_signals_coalesce_realtime_signals_queue,
     .timeout = 60)
{
    struct tp_counts c;

    cr_assert_eq(sig_custom("coalesce/standard", &c), SIG_OK);
    cr_expect_eq(c.sent, 1000);
    cr_expect_geq(c.received, 1, "at least the first one arrives");
    cr_expect_leq(c.received, c.sent);
    cr_expect_eq(c.lost, c.sent - c.received);

    cr_assert_eq(sig_custom("coalesce/realtime", &c), SIG_OK);
    cr_expect_eq(c.sent, 1000);
    cr_expect_eq(c.received, 1000, "every realtime signal is queued");
    cr_expect_eq(c.lost, 0);
}

Test(signals, coalesce_rows_show_sent_received_lost, .timeout = 60)
{
    static const char *const names[] = { "coalesce/standard",
                                         "coalesce/realtime" };

    for (int i = 0; i < 2; i++) {
        struct bench_result res;

        tu_run(names[i], MODE_THROUGHPUT, 0, &res);
        cr_assert_eq(res.status, RES_OK, "%s: %s", names[i], res.reason);
        cr_expect_eq(res.verified, -1, "%s: a count is not a verified "
                     "payload: n/a", names[i]);
        cr_expect_eq(res.messages, 1000, "%s: the row shows what was sent",
                     names[i]);
        cr_expect_lt(res.lost, 1000, "%s: nothing received", names[i]);
        if (i == 1)
            cr_expect_eq(res.lost, 0, "realtime signals lost");
        tu_run(names[i], MODE_LATENCY, 0, &res);
        cr_expect_eq(res.status, RES_NA);
    }
}

/* ---- SIGCHLD ----------------------------------------------------------- */

Test(signals, sigchld_fork_reap_round_trips, .timeout = 30)
{
    struct bench_result res;

    tu_run("sigchld/fork-reap", MODE_LATENCY, 0, &res);
    cr_assert_eq(res.status, RES_OK, "%s", res.reason);
    cr_expect_neq(res.verified, 1, "nothing crosses: verified is n/a");
    cr_expect_gt(res.rtt_ns[LAT_P50], 0);
}

Test(signals, sigchld_reaps_100_children_exiting_together, .timeout = 60)
{
    struct tp_counts c;
    struct bench_result res;

    cr_assert_eq(sig_custom("sigchld/reap-many", &c), SIG_OK,
                 "a child left unreaped, or custom() failed");
    cr_expect_eq(c.sent, 100);
    cr_expect_geq(c.received, 1);
    cr_expect_leq(c.received, 100);
    cr_expect_eq(c.lost, c.sent - c.received);

    tu_run("sigchld/reap-many", MODE_THROUGHPUT, 0, &res);
    cr_assert_eq(res.status, RES_OK, "%s", res.reason);
    cr_expect_eq(res.messages, 100, "the row shows the children");
    cr_expect_lt(res.lost, 100, "at least one SIGCHLD is delivered");
}

/* The handler must restore errno (its waitpid loop ends in ECHILD) and be
 * installed with SA_RESTART | SA_NOCLDSTOP.  The child is made a zombie
 * with SIGCHLD blocked, errno set, then SIGCHLD unblocked: the handler
 * runs on the way out of sigprocmask, which itself leaves errno alone. */
Test(signals, sigchld_handler_restores_errno_and_restarts, .timeout = 30)
{
    pid_t pid = sig_fork();

    if (pid == 0) {
        struct tp_channel ch;
        struct sigaction sa;
        char err[ERR_LEN];
        sigset_t chld;
        siginfo_t si;
        pid_t kid;

        sig_channel(&ch, "sigchld/fork-reap", MODE_LATENCY, ROLE_PRODUCER);
        if (ch.tp == NULL || ch.tp->create(&ch, err) == -1 ||
            ch.tp->attach(&ch, err) == -1)
            _exit(SIG_SETUP);
        if (sigaction(SIGCHLD, NULL, &sa) == -1 ||
            (sa.sa_flags & (SA_RESTART | SA_NOCLDSTOP)) !=
                (SA_RESTART | SA_NOCLDSTOP))
            _exit(SIG_WRONG);
        kid = fork();
        if (kid == -1)
            _exit(SIG_SETUP);
        if (kid == 0)
            _exit(0);
        if (waitid(P_PID, (id_t)kid, &si, WEXITED | WNOWAIT) == -1)
            _exit(SIG_SETUP);   /* now a zombie, SIGCHLD pending */
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        errno = EDOM;
        if (sigprocmask(SIG_UNBLOCK, &chld, NULL) == -1)
            _exit(SIG_SETUP);
        if (errno != EDOM)
            _exit(SIG_CALL);    /* the handler clobbered errno */
        if (waitpid(kid, NULL, WNOHANG) != -1 || errno != ECHILD)
            _exit(SIG_WRONG);   /* the handler did not reap it */
        ch.tp->detach(&ch);
        ch.tp->destroy(&ch);
        _exit(SIG_OK);
    }
    cr_expect_eq(sig_wait(pid), SIG_OK,
                 "11: errno clobbered, 12: flags or reaping wrong");
}

/* ---- nothing left behind ----------------------------------------------- */

static const int sig_watched[] = { SIGUSR1, SIGUSR2, SIGCHLD, 0, 0 };

Test(signals, runs_leave_no_mask_handler_or_child_behind, .timeout = 60)
{
    int watched[5];
    struct sigaction before[5], after;
    sigset_t mask_before, mask_after;
    struct tu_leftovers left;

    memcpy(watched, sig_watched, sizeof(watched));
    watched[3] = SIGRTMIN;
    watched[4] = SIGRTMIN + 1;
    for (int i = 0; i < 5; i++)
        cr_assert_eq(sigaction(watched[i], NULL, &before[i]), 0);
    cr_assert_eq(sigprocmask(SIG_SETMASK, NULL, &mask_before), 0);
    tu_exclusive_begin();
    tu_leftovers(&left);

    for (size_t i = 0; i < NALL; i++) {
        struct bench_config cfg = sig_rt_config();
        struct bench_result res;

        tu_run_cfg(&cfg, sig_all[i].name, sig_all[i].mode, sig_all[i].size,
                   &res);
        cr_expect_eq(res.status, RES_OK, "%s: %s", sig_all[i].name,
                     res.reason);
        cr_assert_eq(sigprocmask(SIG_SETMASK, NULL, &mask_after), 0);
        for (int s = 1; s < SIGRTMAX; s++)
            cr_expect_eq(sigismember(&mask_before, s),
                         sigismember(&mask_after, s),
                         "%s: signal %d's blocked state leaked",
                         sig_all[i].name, s);
        for (int k = 0; k < 5; k++) {
            cr_assert_eq(sigaction(watched[k], NULL, &after), 0);
            cr_expect(after.sa_handler == before[k].sa_handler,
                      "%s: a handler for signal %d was left installed",
                      sig_all[i].name, watched[k]);
        }
    }
    cr_expect_eq(waitpid(-1, NULL, WNOHANG), -1, "a child is left");
    tu_expect_no_leftovers(&left);
    tu_exclusive_end();
}
