/* test_copies_io.c - the copy-avoiding ways of moving a stream (net/sg.c
 * ...): every byte in order in both modes at the awkward sizes, every
 * variant over every channel, and nothing left behind after a run, a
 * SIGKILL of the consumer or a SIGINT of the harness. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "test_copies.h"
#include "test_ipc.h"

#define COPIES_SIZES { 1, 4095, 65536 + 1, 1u << 20 }

/* ---- scatter-gather (net/sg.c) ------------------------------------------ */

static const char *const sg_names[] = {
    "sg/pipe/copy", "sg/pipe/write2", "sg/pipe/writev",
    "sg/unix/copy", "sg/unix/write2", "sg/unix/writev",
    "sg/tcp/copy", "sg/tcp/write2", "sg/tcp/writev",
};
#define SG_N (sizeof(sg_names) / sizeof(sg_names[0]))

ParameterizedTestParameters(sg, moves_every_byte_in_order)
{
    static size_t sizes[] = COPIES_SIZES;

    return cr_make_param_array(size_t, sizes,
                               sizeof(sizes) / sizeof(sizes[0]));
}

ParameterizedTest(size_t *size, sg, moves_every_byte_in_order,
                  .timeout = 240)
{
    for (size_t i = 0; i < SG_N; i++)
        tu_assert_moves_every_byte(sg_names[i], *size);
}

Test(sg, a_run_leaves_nothing_behind, .timeout = 120)
{
    tu_exclusive_begin();
    for (size_t i = 0; i < SG_N; i++)
        ipc_run_leaves_nothing(sg_names[i], 4096);
    tu_exclusive_end();
}

Test(sg, sigkill_of_the_consumer_leaves_nothing_behind, .timeout = 90)
{
    tu_exclusive_begin();
    ipc_kill_run("sg/pipe/writev", "throughput", "4K", IPC_KILL_CONSUMER,
                 150);
    ipc_kill_run("sg/tcp/write2", "latency", "4K", IPC_KILL_CONSUMER, 150);
    tu_exclusive_end();
}

Test(sg, sigint_of_the_harness_leaves_nothing_behind, .timeout = 90)
{
    tu_exclusive_begin();
    ipc_kill_run("sg/unix/copy", "latency", "4K", IPC_INT_HARNESS, 150);
    ipc_kill_run("sg/tcp/writev", "throughput", "4K", IPC_INT_HARNESS, 150);
    tu_exclusive_end();
}
