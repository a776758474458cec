/* test_lessons_signals.c - the signal and process lessons (signals/
 * sigpipe.c, timers.c, fork_cost.c, urgent.c) assert what they teach:
 * signal numbers, errno values, that a timer never fires early, orders of
 * magnitude - never a timed threshold a loaded machine could cross. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "../bench/harness.h"
#include "../bench/transport.h"
#include "test_util.h"

/* ---- sigpipe ------------------------------------------------------------ */

/* The rows fail unless every iteration saw the documented outcome; the
 * notes state the observed signal number and errno. */
Test(lessons_sigpipe, killed_by_13_then_epipe_when_ignored_or_nosignal,
     .timeout = 60)
{
    static const struct {
        const char *name, *says;
    } rows[] = {
        { "sigpipe/killed", "killed by signal 13" },
        { "sigpipe/ignored", "EPIPE (errno 32)" },
        { "sigpipe/nosignal", "no SIGPIPE raised" },
    };
    struct tu_leftovers before;
    struct bench_config cfg = tu_config();
    struct bench_result res;

    cr_assert_eq(SIGPIPE, 13, "the lesson's number");
    cr_assert_eq(EPIPE, 32);
    cfg.iterations = 16;
    tu_exclusive_begin();       /* opens the lock: counted before */
    tu_leftovers(&before);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        tu_run_cfg(&cfg, rows[i].name, MODE_THROUGHPUT, 0, &res);
        cr_expect_eq(res.status, RES_OK, "%s: %s", rows[i].name, res.reason);
        cr_expect(strstr(res.note, rows[i].says) != NULL, "%s: %s",
                  rows[i].name, res.note);
        cr_expect_gt(res.msgs_per_s, 0);
    }
    tu_expect_no_leftovers(&before);    /* no child, no descriptor */
    tu_exclusive_end();
}

/* ---- timers ------------------------------------------------------------- */

/* A timer may fire late, never early: every round trip (arm + wait) is at
 * least the interval, for every interface, at the three intervals
 * (100 us, 1 ms, 10 ms; fewer round trips at the longer ones), and the
 * row's interval_ns holds the interval it ran.  alarm is 1 s whatever
 * --timer-us says, one round trip. */
Test(lessons_timers, no_timer_fires_early, .timeout = 120)
{
    static const char *const rows[] = {
        "timers/nanosleep", "timers/nanosleep-slack1",
        "timers/clock_nanosleep", "timers/timerfd", "timers/posix",
        "timers/setitimer", "timers/alarm",
    };
    static const unsigned long intervals_us[] = { 100, 1000, 10000 };
    unsigned long *timer_us = tu_option_value("timer-us");
    unsigned long saved = *timer_us;
    struct tu_leftovers before;
    struct bench_config cfg = tu_config();
    struct bench_result res;

    tu_exclusive_begin();
    tu_leftovers(&before);
    for (size_t k = 0; k < sizeof(intervals_us) / sizeof(intervals_us[0]);
         k++) {
        *timer_us = intervals_us[k];
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
            int alarm_row = strcmp(rows[i], "timers/alarm") == 0;
            double interval_ns = alarm_row ? 1e9 : intervals_us[k] * 1e3;

            if (alarm_row && k > 0)
                continue;       /* 1 s whatever the interval: once */
            cfg.iterations = alarm_row ? 1 : (unsigned)(32 >> (2 * k));
            tu_run_cfg(&cfg, rows[i], MODE_LATENCY, 0, &res);
            cr_assert_eq(res.status, RES_OK, "%s: %s", rows[i], res.reason);
            cr_expect_geq(res.rtt_ns[LAT_MIN], interval_ns,
                          "%s fired early at %lu us: %.0f ns < %.0f",
                          rows[i], intervals_us[k], res.rtt_ns[LAT_MIN],
                          interval_ns);
            cr_expect_eq(res.interval_ns, (uint64_t)interval_ns,
                         "%s: interval_ns %llu", rows[i],
                         (unsigned long long)res.interval_ns);
            cr_expect(strstr(res.note, "timer slack") != NULL, "%s",
                      res.note);
        }
    }
    *timer_us = saved;
    tu_expect_no_leftovers(&before);    /* the timerfd closed, no timer */
    tu_exclusive_end();
}

/* The slack the row states is the one in force: PR_SET_TIMERSLACK 1 ns
 * for the slack1 row, the process default (50 us unless changed) else. */
Test(lessons_timers, note_states_the_slack_in_force, .timeout = 60)
{
    struct bench_config cfg = tu_config();
    struct bench_result res;

    cfg.iterations = 4;
    tu_run_cfg(&cfg, "timers/nanosleep-slack1", MODE_LATENCY, 0, &res);
    cr_assert_eq(res.status, RES_OK, "%s", res.reason);
    cr_expect(strstr(res.note, "timer slack 1 ns") != NULL, "%s", res.note);
    tu_run("timers/timerfd", MODE_THROUGHPUT, 0, &res);
    cr_expect_eq(res.status, RES_NA, "a round-trip lesson only");
}

/* ---- fork_cost ---------------------------------------------------------- */

static double lessons_fork_p50(const char *name)
{
    struct bench_config cfg = tu_config();
    struct bench_result res;

    cfg.iterations = 8;
    tu_run_cfg(&cfg, name, MODE_LATENCY, 0, &res);
    cr_assert_eq(res.status, RES_OK, "%s: %s", name, res.reason);
    cr_expect_eq(res.lost, 0);
    return res.rtt_ns[LAT_P50];
}

/* Copy-on-write still copies the page tables: fork of a 1 GiB parent
 * costs more than of a 1 MiB one, and more than posix_spawn (which
 * borrows the address space) running the same program, at 1 GiB.  Orders
 * of magnitude apart on any machine (about 10x here), compared within
 * one test, never against a fixed time. */
Test(lessons_fork_cost, fork_grows_with_the_parent_and_posix_spawn_does_not,
     .timeout = 240)
{
    struct tu_leftovers before;
    double fork_1m, fork_1g, fork_exec_1g, spawn_1g;

    tu_exclusive_begin();
    tu_leftovers(&before);
    fork_1m = lessons_fork_p50("fork_cost/fork-1M");
    fork_1g = lessons_fork_p50("fork_cost/fork-1G");
    fork_exec_1g = lessons_fork_p50("fork_cost/fork-exec-1G");
    spawn_1g = lessons_fork_p50("fork_cost/posix_spawn-1G");
    cr_expect_gt(fork_1g, fork_1m, "fork: 1 GiB %.0f ns, 1 MiB %.0f ns",
                 fork_1g, fork_1m);
    cr_expect_gt(fork_exec_1g, spawn_1g, "1 GiB parent: fork+exec %.0f ns, "
                 "posix_spawn %.0f ns", fork_exec_1g, spawn_1g);
    cr_expect_gt(fork_1g, spawn_1g, "1 GiB: fork %.0f ns, posix_spawn "
                 "%.0f ns", fork_1g, spawn_1g);
    tu_expect_no_leftovers(&before);    /* every child reaped */
    tu_exclusive_end();
}

Test(lessons_fork_cost, vfork_children_exit_zero, .timeout = 60)
{
    cr_expect_gt(lessons_fork_p50("fork_cost/vfork-1M"), 0);
}

/* ---- urgent ------------------------------------------------------------- */

/* Every round trip checks the ping's value; urgent/oob also that SIGURG
 * woke the consumer and that sockatmark() is 1 after the in-band data
 * sent before the urgent byte: a run that completes shows all of it. */
Test(lessons_urgent, oob_ping_arrives_by_sigurg_ahead_of_queued_data,
     .timeout = 60)
{
    static const char *const rows[] = { "urgent/oob", "urgent/inband" };
    struct tu_leftovers before;
    struct bench_result res;

    tu_exclusive_begin();
    tu_leftovers(&before);
    for (size_t i = 0; i < 2; i++) {
        tu_run(rows[i], MODE_LATENCY, 0, &res);
        cr_assert_eq(res.status, RES_OK, "%s: %s", rows[i], res.reason);
        cr_expect_eq(res.messages, 64);
        cr_expect_gt(res.rtt_ns[LAT_P50], 0);
    }
    tu_expect_no_leftovers(&before);
    tu_exclusive_end();
}
