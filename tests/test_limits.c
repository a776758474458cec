/* test_limits.c - the reference rows: memcpy (throughput ceiling) and
 * cacheline (latency floor) run through the harness like any transport,
 * and say so when a mode or size does not apply. */
#include <criterion/criterion.h>
#include <string.h>

#include "../bench/harness.h"
#include "../bench/transport.h"
#include "test_util.h"

Test(limits, both_rows_are_in_the_limit_family, .timeout = 10)
{
    const struct transport *m = transport_find("memcpy");
    const struct transport *c = transport_find("cacheline");

    cr_assert_not_null(m);
    cr_assert_not_null(c);
    cr_expect_eq(m->family, TP_LIMIT);
    cr_expect_eq(c->family, TP_LIMIT);
}

Test(limits, memcpy_measures_bandwidth_at_every_size, .timeout = 60)
{
    static const size_t sizes[] = { 1, 63, 64, 4095, 65536 + 1, 1 << 20 };
    struct bench_result res;

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        tu_run("memcpy", MODE_THROUGHPUT, sizes[i], &res);
        cr_assert_eq(res.status, RES_OK, "size %zu: %s", sizes[i],
                     res.reason);
        cr_expect_gt(res.mb_per_s, 0, "size %zu: no bandwidth", sizes[i]);
        cr_expect_eq(res.size_bytes, sizes[i]);
        cr_expect_eq(res.verified, -1, "nothing crosses: verified is n/a");
    }
}

Test(limits, memcpy_has_no_latency_row, .timeout = 10)
{
    struct bench_result res;

    tu_run("memcpy", MODE_LATENCY, 64, &res);
    cr_expect_eq(res.status, RES_NA);
    cr_expect(strstr(res.reason, "latency") != NULL, "%s", res.reason);
}

Test(limits, cacheline_round_trip_carries_the_message, .timeout = 60)
{
    struct bench_result res;

    tu_run("cacheline", MODE_LATENCY, 64, &res);
    cr_assert_eq(res.status, RES_OK, "%s", res.reason);
    cr_expect_eq(res.verified, 1, "the 4 bytes were not verified");
    cr_expect_eq(res.size_bytes, 0, "size does not apply");
    cr_expect_gt(res.rtt_ns[LAT_P50], 0);
    cr_expect_leq(res.rtt_ns[LAT_MIN], res.rtt_ns[LAT_P50]);
}

Test(limits, cacheline_has_no_throughput_row, .timeout = 10)
{
    struct bench_result res;

    tu_run("cacheline", MODE_THROUGHPUT, 64, &res);
    cr_expect_eq(res.status, RES_NA);
}

Test(limits, cacheline_refuses_more_than_one_line, .timeout = 10)
{
    const struct transport *c = transport_find("cacheline");
    char err[ERR_LEN] = "";

    cr_expect_eq(c->check_size(c, MODE_LATENCY, 56, err), 0, "%s", err);
    cr_expect_eq(c->check_size(c, MODE_LATENCY, 57, err), -1);
    cr_expect(strstr(err, "cache line") != NULL, "%s", err);
}

Test(limits, cacheline_on_one_cpu_yields_and_says_so, .timeout = 60)
{
    struct bench_config cfg = tu_config();
    struct bench_result res;

    cfg.placement = PLACE_SAME;
    tu_run_cfg(&cfg, "cacheline", MODE_LATENCY, 0, &res);
    cr_assert_eq(res.status, RES_OK, "%s", res.reason);
    cr_expect(strstr(res.note, "sched_yield") != NULL, "note: %s", res.note);
    cr_expect_lt(res.rtt_ns[LAT_P50], 2e6, "p50 %.0f ns: busy-polling?",
                 res.rtt_ns[LAT_P50]);
}

Test(limits, runs_leave_nothing_behind, .timeout = 60)
{
    struct tu_leftovers before;
    struct bench_result res;

    tu_exclusive_begin();
    tu_leftovers(&before);
    tu_run("cacheline", MODE_LATENCY, 0, &res);
    cr_expect_eq(res.status, RES_OK, "%s", res.reason);
    tu_run("memcpy", MODE_THROUGHPUT, 4096, &res);
    cr_expect_eq(res.status, RES_OK, "%s", res.reason);
    tu_expect_no_leftovers(&before);
    tu_exclusive_end();
}

Test(limits, xcore_moves_and_verifies_every_byte_at_every_size,
     .timeout = 60)
{
    static const size_t sizes[] = { 1, 63, 4095, 65536 + 1, 1 << 20 };
    struct bench_config cfg = tu_config();
    struct bench_result res;

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        /* a few thousand messages: enough to cross both blocks many
         * times, few enough for a loaded machine */
        cfg.bytes = sizes[i] * 2000 < (8u << 20) ? sizes[i] * 2000
                                                 : (8u << 20);
        cfg.verify = VERIFY_FULL;
        tu_run_cfg(&cfg, "xcore", MODE_THROUGHPUT, sizes[i], &res);
        cr_assert_eq(res.status, RES_OK, "size %zu: %s", sizes[i],
                     res.reason);
        cr_expect_eq(res.verified, 1, "size %zu: not verified", sizes[i]);
        cr_expect_gt(res.mb_per_s, 0);
        cr_expect_eq(res.lost + res.duplicated + res.reordered, 0);
    }
}

Test(limits, xcore_catches_a_corrupted_byte, .timeout = 60)
{
    struct bench_config cfg = tu_config();
    struct bench_result res;

    cfg.fault = FAULT_CORRUPT;
    tu_run_cfg(&cfg, "xcore", MODE_THROUGHPUT, 4096, &res);
    cr_expect_eq(res.status, RES_FAILED, "a flipped byte went unseen");
}

Test(limits, xcore_is_throughput_only_and_in_the_limit_family,
     .timeout = 10)
{
    const struct transport *x = transport_find("xcore");
    struct bench_result res;

    cr_assert_not_null(x);
    cr_expect_eq(x->family, TP_LIMIT);
    tu_run("xcore", MODE_LATENCY, 64, &res);
    cr_expect_eq(res.status, RES_NA);
}

Test(limits, xcore_on_one_cpu_yields_and_leaves_nothing_behind,
     .timeout = 60)
{
    struct bench_config cfg = tu_config();
    struct tu_leftovers before;
    struct bench_result res;

    tu_exclusive_begin();
    tu_leftovers(&before);
    cfg.placement = PLACE_SAME;
    tu_run_cfg(&cfg, "xcore", MODE_THROUGHPUT, 65536, &res);
    cr_expect_eq(res.status, RES_OK, "%s", res.reason);
    cr_expect(strstr(res.note, "yields") != NULL, "note: %s", res.note);
    tu_expect_no_leftovers(&before);
    tu_exclusive_end();
}
