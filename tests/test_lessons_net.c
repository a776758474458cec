/* test_lessons_net.c - the TCP lessons (net/nagle.c, net/connection.c,
 * net/time_wait.c, net/linger.c, net/backlog.c) assert the behaviour they
 * teach: orders of magnitude and errno values, never a timed threshold
 * that a loaded machine could cross by accident. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../bench/harness.h"
#include "../bench/transport.h"
#include "test_util.h"

/* ---- nagle -------------------------------------------------------------- */

/* The orders of magnitude: a stall over 10 ms with Nagle on (the
 * delayed-ACK timer is 40 ms), under 1 ms with any of the three cures
 * (tens of microseconds on an idle machine).  Each run is capped at 20
 * round trips by the transport. */
Test(lessons_nagle, stalls_tens_of_ms_on_and_not_with_a_cure, .timeout = 120)
{
    static const char *const cures[] = { "nagle/nodelay", "nagle/cork",
                                         "nagle/more" };
    struct bench_result res;

    tu_run("nagle/on", MODE_LATENCY, 64, &res);
    cr_assert_eq(res.status, RES_OK, "nagle/on: %s", res.reason);
    cr_expect_eq(res.messages, 20, "the transport caps its round trips");
    cr_expect_gt(res.rtt_ns[LAT_P50], 10e6, "nagle/on p50 %.0f ns: no stall",
                 res.rtt_ns[LAT_P50]);
    for (size_t i = 0; i < sizeof(cures) / sizeof(cures[0]); i++) {
        tu_run(cures[i], MODE_LATENCY, 64, &res);
        cr_assert_eq(res.status, RES_OK, "%s: %s", cures[i], res.reason);
        cr_expect_eq(res.verified, 1, "%s: reply not verified", cures[i]);
        cr_expect_lt(res.rtt_ns[LAT_P50], 1e6, "%s p50 %.0f ns: stalled",
                     cures[i], res.rtt_ns[LAT_P50]);
    }
}

Test(lessons_nagle, refuses_sizes_outside_the_pattern, .timeout = 30)
{
    struct bench_result res;

    tu_run("nagle/on", MODE_LATENCY, 1, &res);
    cr_expect_eq(res.status, RES_NA, "1 byte has no header and body");
    tu_run("nagle/nodelay", MODE_LATENCY, 1u << 20, &res);
    cr_expect_eq(res.status, RES_NA, "1 MiB is many segments anyway");
    tu_run("nagle/nodelay", MODE_THROUGHPUT, 64, &res);
    cr_expect_eq(res.status, RES_NA, "a round-trip lesson only");
}

/* ---- connection, time_wait, linger: runs that fail unless the kernel did
 * what the lesson says, checked on every iteration ------------------------ */

static void lessons_run_ok(const char *name, struct bench_result *res)
{
    tu_run(name, MODE_THROUGHPUT, 0, res);
    cr_assert_eq(res->status, RES_OK, "%s: %s", name, res->reason);
    cr_expect_gt(res->msgs_per_s, 0, "%s", name);
}

Test(lessons_connection, opens_and_closes_every_connection, .timeout = 60)
{
    struct bench_result res;
    struct tu_leftovers before;

    tu_exclusive_begin();      /* opens the lock: counted before */
    tu_leftovers(&before);
    lessons_run_ok("connection/open-close", &res);
    cr_expect_eq(res.messages, 64, "one connection per --iterations");
    lessons_run_ok("connection/one-request", &res);
    cr_expect_eq(res.messages, 64);
    cr_expect(strstr(res.note, "connections/s") != NULL, "%s", res.note);
    cr_expect_eq(res.lost, 0);
    tu_expect_no_leftovers(&before);
    tu_exclusive_end();
}

Test(lessons_time_wait, rebinding_fails_with_eaddrinuse_without_reuseaddr,
     .timeout = 60)
{
    struct bench_result res;
    struct tu_leftovers before;

    tu_exclusive_begin();      /* opens the lock: counted before */
    tu_leftovers(&before);
    lessons_run_ok("time_wait/reuseaddr", &res);
    cr_expect(strstr(res.note, "EADDRINUSE without SO_REUSEADDR") != NULL,
              "%s", res.note);
    tu_expect_no_leftovers(&before);
    tu_exclusive_end();
}

Test(lessons_time_wait, burst_leaves_time_wait_on_the_closing_side,
     .timeout = 60)
{
    struct bench_config cfg = tu_config();
    struct bench_result res;

    cfg.iterations = 1;         /* one burst of 100 */
    tu_run_cfg(&cfg, "time_wait/burst", MODE_THROUGHPUT, 0, &res);
    cr_assert_eq(res.status, RES_OK, "%s", res.reason);
    cr_expect_eq(res.messages, 100, "connections in the burst");
    cr_expect(strstr(res.note, "100 TIME_WAIT on the client side, 0 on the "
                               "server") != NULL, "%s", res.note);
}

Test(lessons_linger, linger_zero_resets_and_half_close_still_answers,
     .timeout = 60)
{
    struct bench_result res;
    struct tu_leftovers before;

    tu_exclusive_begin();      /* opens the lock: counted before */
    tu_leftovers(&before);
    lessons_run_ok("linger/reset", &res);
    cr_expect(strstr(res.note, "ECONNRESET") != NULL, "%s", res.note);
    cr_expect_eq(res.messages, 64);
    lessons_run_ok("linger/half-close", &res);
    cr_expect(strstr(res.note, "still answered") != NULL, "%s", res.note);
    tu_expect_no_leftovers(&before);
    tu_exclusive_end();
}

/* ---- backlog ------------------------------------------------------------ */

/* Linux keeps backlog + 1 finished connections for a listener that does
 * not accept; the next SYNs are dropped (the connects hang), not refused. */
Test(lessons_backlog, full_accept_queue_makes_connects_hang_not_fail,
     .timeout = 60)
{
    struct bench_result res;
    unsigned long somaxconn = 0;
    FILE *f = fopen("/proc/sys/net/core/somaxconn", "r");

    cr_assert_not_null(f);
    cr_assert_eq(fscanf(f, "%lu", &somaxconn), 1);
    fclose(f);
    cr_assert_geq(somaxconn, 16, "the experiment's n = 16 needs it");
    tu_run("backlog/full", MODE_THROUGHPUT, 0, &res);
    cr_assert_eq(res.status, RES_OK, "%s", res.reason);
    cr_expect(strstr(res.note, "backlog 1/4/16: 2/5/17 connects completed, "
                               "2/2/2 hang, none refused") != NULL,
              "%s", res.note);
    cr_expect_eq(res.lost, 6, "two hanging connects per backlog");
}
