/* test_vmsplice.c - the vmsplice pipe: every byte in order in both modes
 * at the awkward sizes, a lent page never rewritten while the pipe still
 * holds it (long runs under full verification at the sizes where the ring
 * is smallest), and nothing left behind after a run, a SIGKILL of the
 * consumer or a SIGINT of the harness. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "test_ipc.h"

ParameterizedTestParameters(vmsplice, moves_every_byte_in_order)
{
    /* a pipe has no message size limit: 4 MiB stands for "large" */
    static size_t sizes[] = { 1, 4095, PIPE_BUF + 1, 65536 + 1, 1u << 20,
                              4u << 20 };

    return cr_make_param_array(size_t, sizes,
                               sizeof(sizes) / sizeof(sizes[0]));
}

ParameterizedTest(size_t *size, vmsplice, moves_every_byte_in_order,
                  .timeout = 60)
{
    tu_assert_moves_every_byte("vmsplice", *size);
}

/* The ring holds 1 + ceil(pipe slots / pages per message) buffers: two
 * for 64 KiB and larger messages in a 64 KiB pipe, where a reuse one
 * message too early would show at once.  Run long enough for the ring to
 * wrap thousands of times, both processes busy on two CPUs (or one), with
 * every byte compared. */
ParameterizedTestParameters(vmsplice, lent_pages_are_not_reused_early)
{
    static size_t sizes[] = { 4096, 4097, 65536, 65536 + 4096, 1u << 20 };

    return cr_make_param_array(size_t, sizes,
                               sizeof(sizes) / sizeof(sizes[0]));
}

ParameterizedTest(size_t *size, vmsplice, lent_pages_are_not_reused_early,
                  .timeout = 60)
{
    struct bench_config cfg = tu_config();
    struct bench_result res;

    cfg.verify = VERIFY_FULL;
    cfg.bytes = 32u << 20;
    cfg.placement = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? PLACE_SPREAD
                                                      : PLACE_SAME;
    tu_run_cfg(&cfg, "vmsplice", MODE_THROUGHPUT, *size, &res);
    cr_assert_eq(res.status, RES_OK, "size %zu: %s", *size, res.reason);
    cr_assert_eq(res.verified, 1, "size %zu: not verified", *size);
}

/* ---- nothing left behind ----------------------------------------------- */

Test(vmsplice, a_run_leaves_nothing_behind, .timeout = 60)
{
    tu_exclusive_begin();
    ipc_run_leaves_nothing("vmsplice", 65536);
    tu_exclusive_end();
}

Test(vmsplice, sigkill_of_the_consumer_leaves_nothing_behind, .timeout = 60)
{
    tu_exclusive_begin();
    ipc_kill_run("vmsplice", "throughput", "64K", IPC_KILL_CONSUMER, 150);
    ipc_kill_run("vmsplice", "latency", "64K", IPC_KILL_CONSUMER, 150);
    tu_exclusive_end();
}

Test(vmsplice, sigint_of_the_harness_leaves_nothing_behind, .timeout = 60)
{
    tu_exclusive_begin();
    ipc_kill_run("vmsplice", "throughput", "64K", IPC_INT_HARNESS, 150);
    ipc_kill_run("vmsplice", "latency", "64K", IPC_INT_HARNESS, 150);
    tu_exclusive_end();
}
