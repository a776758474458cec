/* test_paced.c - paced mode: latency with a pause before each round trip
 * (--mode paced --interval T), which is what makes the CPU price of each
 * way of waiting visible. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../bench/util.h"
#include "json_check.h"
#include "test_util.h"

/* ---- --interval: parsing and printing ---------------------------------- */

struct interval_case {
    char text[32];              /* arrays: see test_stream.c */
    int ok;
    unsigned long long ns;
};

ParameterizedTestParameters(paced, parse_interval_accepts_and_refuses)
{
    static struct interval_case cases[] = {
        { "250ns", 1, 250 }, { "100us", 1, 100000 }, { "5ms", 1, 5000000 },
        { "2s", 1, 2000000000 }, { "100 us", 1, 100000 },
        { "0us", 0, 0 }, { "5", 0, 0 }, { "us", 0, 0 }, { "1.5ms", 0, 0 },
        { "5m", 0, 0 }, { "-5us", 0, 0 }, { "5us ", 0, 0 }, { "", 0, 0 },
        { "99999999999s", 0, 0 }, { "5  us", 0, 0 },
    };
    return cr_make_param_array(struct interval_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct interval_case *c, paced,
                  parse_interval_accepts_and_refuses)
{
    uint64_t ns = 0;
    int rc = parse_interval(c->text, &ns);

    cr_expect_eq(rc, c->ok ? 0 : -1, "'%s'", c->text);
    if (c->ok)
        cr_expect_eq(ns, c->ns, "'%s' -> %llu", c->text,
                     (unsigned long long)ns);
}

Test(paced, format_interval_uses_the_largest_exact_unit)
{
    static const struct { uint64_t ns; const char *text; } cases[] = {
        { 100000, "100 us" }, { 1500000, "1500 us" }, { 2000000000, "2 s" },
        { 999, "999 ns" }, { 5000000, "5 ms" }, { 1001, "1001 ns" },
    };
    char out[32];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        format_interval(cases[i].ns, out, sizeof(out));
        cr_expect_str_eq(out, cases[i].text);
    }
}

/* ---- the harness ------------------------------------------------------- */

static double mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The pause is real: 100 round trips (+10 warm-up) one per 2 ms cannot
 * finish in less than 220 ms, whereas back to back they take well under
 * 50 ms.  Only a lower bound is asserted: a busy machine is slower, never
 * faster. */
Test(paced, round_trips_are_spaced_by_the_interval, .timeout = 60)
{
    struct bench_config cfg = tu_config();
    struct bench_result res;
    double t0, ms;

    cfg.paced_iterations = 100;
    cfg.interval_ns = 2000000;
    t0 = mono_ms();
    tu_run_cfg(&cfg, "pipe", MODE_PACED, 64, &res);
    ms = mono_ms() - t0;
    cr_assert_eq(res.status, RES_OK, "%s", res.reason);
    cr_expect_eq(res.verified, 1);
    cr_expect_eq(res.mode, MODE_PACED);
    cr_expect_eq(res.messages, 100);
    cr_expect_geq(ms, 218.0, "110 round trips at 2 ms took %.1f ms", ms);
    cr_expect(strncmp(res.note, "paced: one round trip every 2 ms",
                      strlen("paced: one round trip every 2 ms")) == 0,
              "note: '%s'", res.note);
    /* the round trip is timed from its send, not from the last reply:
     * a pipe round trip on an idle slot takes far less than the 2 ms */
    cr_expect_lt(res.rtt_ns[LAT_P50], 2e6, "p50 %.0f ns includes the pause",
                 res.rtt_ns[LAT_P50]);
    cr_expect_gt(res.rtt_ns[LAT_P50], 0);
    /* msgs/s is the pace achieved: never above one per interval (a slot
     * can start late, never early; 1 % for the first slot's start) */
    cr_expect_gt(res.msgs_per_s, 0);
    cr_expect_leq(res.msgs_per_s, 500.0 * 1.02, "pace %.1f/s above 500/s",
                  res.msgs_per_s);
}

Test(paced, reference_rows_and_self_timed_transports_do_not_apply,
     .timeout = 30)
{
    static const char *const names[] = { "cacheline", "memcpy",
                                         "sigchld/reap-many" };
    struct bench_config cfg = tu_config();

    cfg.paced_iterations = 10;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct bench_result res;

        tu_run_cfg(&cfg, names[i], MODE_PACED, 64, &res);
        cr_expect_eq(res.status, RES_NA, "%s: status %d", names[i],
                     res.status);
        cr_expect(strstr(res.reason, "mode does not apply") != NULL,
                  "%s: '%s'", names[i], res.reason);
    }
}

/* ---- the command line -------------------------------------------------- */

Test(paced, command_line_runs_latency_and_paced_rows, .timeout = 60)
{
    char out[16384];
    char *argv[] = { "ipclab", "run", "pipe", "--mode", "latency,paced",
                     "--size", "64", "--iterations", "50", "--interval",
                     "200us", "--reps", "1", "--warmup", "0", "--placement",
                     "os", "--format", "json", "--quiet", NULL };
    size_t where;

    cr_assert_eq(tu_cli("ipclab", argv, out, sizeof(out)), 0, "%s", out);
    cr_expect_eq(json_check(out, &where), 0, "invalid at %zu: %s", where,
                 out);
    cr_expect(strstr(out, "\"mode\": \"latency\"") != NULL, "%s", out);
    cr_expect(strstr(out, "\"mode\": \"paced\"") != NULL, "%s", out);
    cr_expect(strstr(out, "\"interval_ns\": 200000") != NULL, "%s", out);
    cr_expect(strstr(out, "paced: one round trip every 200 us") != NULL,
              "%s", out);
    cr_expect(strstr(out, "\"metric\": \"throughput") == NULL, "%s", out);
}

/* Every way of waiting in shared memory survives sleeping between round
 * trips: futex and sem really go to sleep here, spin polls through. */
Test(paced, every_shared_memory_wait_moves_every_byte, .timeout = 90)
{
    char out[16384];
    char *argv[] = { "ipclab", "run", "posix_shm", "mmap_anon", "--wait",
                     "all", "--mode", "paced", "--size", "4095",
                     "--iterations", "40", "--interval", "300us", "--verify",
                     "full", "--reps", "1", "--warmup", "0", "--placement",
                     "spread", "--format", "csv", "--quiet", NULL };
    static const char *const rows[] = {
        "posix_shm/spin,ipc,paced,4095,", "posix_shm/futex,ipc,paced,4095,",
        "posix_shm/sem,ipc,paced,4095,", "mmap_anon/spin,ipc,paced,4095,",
        "mmap_anon/futex,ipc,paced,4095,", "mmap_anon/sem,ipc,paced,4095,",
    };
    struct tu_leftovers before;

    tu_exclusive_begin();       /* machine-wide counts: no one else runs */
    tu_leftovers(&before);
    cr_assert_eq(tu_cli("ipclab", argv, out, sizeof(out)), 0, "%s", out);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const char *r = strstr(out, rows[i]);
        const char *eol = r != NULL ? strchr(r, '\n') : NULL;
        char line[1024];

        cr_assert_not_null(r, "no row %s in %s", rows[i], out);
        snprintf(line, sizeof(line), "%.*s", (int)(eol - r), r);
        cr_expect(strstr(line, ",ok,") != NULL, "%s", line);
        cr_expect(strstr(line, ",yes,") != NULL, "not verified: %s", line);
    }
    tu_expect_no_leftovers(&before);
    tu_exclusive_end();
}
