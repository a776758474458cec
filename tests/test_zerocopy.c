/* test_zerocopy.c - TCP MSG_ZEROCOPY (net/zerocopy.c) beside plain send:
 * every byte in order in both modes at the awkward sizes, no pool buffer
 * rewritten before its completion (long runs under full verification where
 * the pool is smallest), a refused SO_ZEROCOPY an n/a row with the reason,
 * and nothing left behind after a run or a SIGKILL of the consumer. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <sys/syscall.h>

#include "test_copies.h"
#include "test_ipc.h"

ParameterizedTestParameters(zerocopy, moves_every_byte_in_order)
{
    static size_t sizes[] = { 1, 4095, 65536 + 1, 1u << 20 };

    return cr_make_param_array(size_t, sizes,
                               sizeof(sizes) / sizeof(sizes[0]));
}

ParameterizedTest(size_t *size, zerocopy, moves_every_byte_in_order,
                  .timeout = 120)
{
    tu_assert_moves_every_byte("zerocopy/msg", *size);
    tu_assert_moves_every_byte("zerocopy/plain", *size);
}

/* 4 MiB messages get the smallest pool (4 buffers), 16 KiB the largest
 * window of calls in flight: a buffer reused before the kernel released it
 * would show as a corrupted message here (every byte compared). */
ParameterizedTestParameters(zerocopy, pool_buffers_wait_for_their_completion)
{
    static size_t sizes[] = { 16384, 4u << 20 };

    return cr_make_param_array(size_t, sizes,
                               sizeof(sizes) / sizeof(sizes[0]));
}

ParameterizedTest(size_t *size, zerocopy,
                  pool_buffers_wait_for_their_completion, .timeout = 120)
{
    struct bench_config cfg = tu_config();
    struct bench_result res;

    cfg.verify = VERIFY_FULL;
    cfg.bytes = 64u << 20;
    cfg.timeout_s = 100;
    cfg.placement = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? PLACE_SPREAD
                                                      : PLACE_SAME;
    tu_run_cfg(&cfg, "zerocopy/msg", MODE_THROUGHPUT, *size, &res);
    cr_assert_eq(res.status, RES_OK, "size %zu: %s", *size, res.reason);
    cr_assert_eq(res.verified, 1, "size %zu: not verified", *size);
}

/* On loopback the kernel copies at delivery and says so: the row's note
 * carries what the one probing send was told. */
Test(zerocopy, the_row_says_whether_the_kernel_copied, .timeout = 60)
{
    struct bench_config cfg = tu_config();
    struct bench_result res;

    cfg.bytes = 1u << 20;
    tu_run_cfg(&cfg, "zerocopy/msg", MODE_THROUGHPUT, 65536, &res);
    cr_assert_eq(res.status, RES_OK, "%s", res.reason);
    cr_expect_not_null(strstr(res.note, "loopback"), "note: \"%s\"",
                       res.note);
}

/* A seccomp filter refusing setsockopt: SO_ZEROCOPY is refused with
 * EPERM, and the row is n/a with the reason. */
Test(zerocopy, a_refused_so_zerocopy_is_an_na_row_with_the_reason,
     .timeout = 60)
{
    static const int nrs[] = { SYS_setsockopt };

    copies_expect_na("zerocopy/msg", MODE_THROUGHPUT, nrs, 1,
                     "SO_ZEROCOPY refused");
    copies_expect_na("zerocopy/msg", MODE_LATENCY, nrs, 1,
                     "SO_ZEROCOPY refused");
}

Test(zerocopy, a_run_leaves_nothing_behind, .timeout = 120)
{
    tu_exclusive_begin();
    ipc_run_leaves_nothing("zerocopy/msg", 65536);
    ipc_run_leaves_nothing("zerocopy/plain", 65536);
    tu_exclusive_end();
}

Test(zerocopy, sigkill_of_the_consumer_leaves_nothing_behind, .timeout = 120)
{
    tu_exclusive_begin();
    ipc_kill_run("zerocopy/msg", "throughput", "1M", IPC_KILL_CONSUMER, 150);
    ipc_kill_run("zerocopy/msg", "latency", "1M", IPC_KILL_CONSUMER, 150);
    tu_exclusive_end();
}
