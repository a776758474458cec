/* test_copies_relay.c - the three-process rows: a relay in the middle
 * (net/relay.c: splice vs read + write, TCP and Unix) and one stream to
 * two consumers (ipc/tee.c: tee vs writing twice).  Every byte in order in
 * both modes at the awkward sizes (tee: both consumers check every byte);
 * the third process's failure fails the run; a refused splice or tee is an
 * n/a row; and nothing is left behind - no descriptor, no child, and no
 * relay or second consumer - after a run, a SIGKILL of the consumer, of the
 * third process itself, or a SIGINT of the harness. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <signal.h>

#include "test_copies.h"
#include "test_ipc.h"

#define COPIES_SIZES { 1, 4095, 65536 + 1, 1u << 20 }

static const char *const three_names[] = {
    "relay/tcp/rw", "relay/tcp/splice", "relay/unix/rw", "relay/unix/splice",
    "tee/tee", "tee/write-twice",
};
#define THREE_N (sizeof(three_names) / sizeof(three_names[0]))

/* ---- every byte ---------------------------------------------------------- */

ParameterizedTestParameters(relay, moves_every_byte_in_order)
{
    static size_t sizes[] = COPIES_SIZES;

    return cr_make_param_array(size_t, sizes,
                               sizeof(sizes) / sizeof(sizes[0]));
}

/* tee: the harness checks consumer A; the row is ok only if consumer B,
 * which checks its own copy the same way, ended well too. */
ParameterizedTest(size_t *size, relay, moves_every_byte_in_order,
                  .timeout = 240)
{
    for (size_t i = 0; i < THREE_N; i++)
        tu_assert_moves_every_byte(three_names[i], *size);
}

/* A message larger than the pipes (1 MiB where the limits allow, else
 * 64 KiB) goes a pipeful at a time, and tee may duplicate less than asked. */
Test(relay, moves_messages_larger_than_its_pipes, .timeout = 120)
{
    tu_assert_moves_every_byte("relay/unix/splice", (2u << 20) + 1);
    tu_assert_moves_every_byte("tee/tee", (2u << 20) + 1);
}

/* ---- refusals ------------------------------------------------------------ */

Test(relay, refused_splice_is_an_na_row_with_the_reason, .timeout = 60)
{
    int nrs[] = { SYS_splice };

    copies_expect_na("relay/unix/splice", MODE_THROUGHPUT, nrs, 1,
                     "splice(2) is refused");
    copies_expect_na("relay/tcp/splice", MODE_LATENCY, nrs, 1,
                     "splice(2) is refused");
}

Test(relay, refused_tee_is_an_na_row_with_the_reason, .timeout = 60)
{
    int nrs[] = { SYS_tee };

    copies_expect_na("tee/tee", MODE_THROUGHPUT, nrs, 1, "tee(2)");
}

/* ---- nothing left behind ------------------------------------------------- */

Test(relay, a_run_leaves_nothing_behind, .timeout = 120)
{
    tu_exclusive_begin();
    for (size_t i = 0; i < THREE_N; i++)
        ipc_run_leaves_nothing(three_names[i], 4096);
    tu_exclusive_end();
}

/* Is pid gone (or a zombie about to be reaped by whoever adopted it)?
 * Waits up to 2 s. */
static int relay_gone(pid_t pid)
{
    for (int i = 0; i < 200; i++) {
        char path[64], state = '?';
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
        f = fopen(path, "r");
        if (f == NULL)
            return 1;
        if (fscanf(f, "%*d (%*[^)]) %c", &state) != 1)
            state = '?';
        fclose(f);
        if (state == 'Z' || state == 'X')
            return 1;
        ipc_ms_sleep(10);
    }
    return 0;
}

enum relay_victim { VICTIM_CONSUMER, VICTIM_HELPER, VICTIM_HARNESS };

/* Start a run, find the consumer and its third process, kill one of them
 * (or SIGINT the harness); the run must end as a failure (130 for SIGINT)
 * and leave nothing behind, the third process included. */
static void relay_kill_run(const char *transport, const char *mode,
                           enum relay_victim victim)
{
    struct ipc_before before;
    pid_t kids[4], helper, pid;
    int n, st;

    ipc_before(&before);
    pid = tu_spawn("ipclab", ipc_run_argv(transport, mode, "4K"));
    n = tu_children(pid, kids, 4, 2, 10000);
    cr_assert_geq(n, 2, "%s %s: the run did not start", transport, mode);
    cr_assert_eq(tu_children(kids[0], &helper, 1, 1, 10000), 1,
                 "%s %s: the consumer forked no third process", transport,
                 mode);
    ipc_ms_sleep(150);
    if (victim == VICTIM_HARNESS) {
        cr_assert_eq(kill(pid, SIGINT), 0);
        st = tu_wait_status(pid);
        cr_expect_eq(st, 130, "%s %s: SIGINT should end the run with "
                     "status 130, not %d", transport, mode, st);
    } else {
        cr_assert_eq(kill(victim == VICTIM_CONSUMER ? kids[0] : helper,
                          SIGKILL), 0);
        st = tu_wait_status(pid);
        cr_expect_neq(st, 0, "%s %s: a killed run reported success",
                      transport, mode);
        cr_expect_lt(st, 128, "%s %s: the harness died (status %d)",
                     transport, mode, st);
    }
    cr_expect(relay_gone(helper), "%s %s: the third process (pid %ld) "
              "outlived the run", transport, mode, (long)helper);
    ipc_expect_nothing_left(&before, pid, kids, n);
}

Test(relay, sigkill_of_the_consumer_leaves_nothing_behind, .timeout = 90)
{
    tu_exclusive_begin();
    relay_kill_run("relay/tcp/splice", "throughput", VICTIM_CONSUMER);
    relay_kill_run("relay/unix/rw", "latency", VICTIM_CONSUMER);
    relay_kill_run("tee/tee", "throughput", VICTIM_CONSUMER);
    tu_exclusive_end();
}

Test(relay, sigkill_of_the_third_process_fails_the_run, .timeout = 90)
{
    tu_exclusive_begin();
    relay_kill_run("relay/unix/splice", "throughput", VICTIM_HELPER);
    relay_kill_run("relay/tcp/rw", "latency", VICTIM_HELPER);
    relay_kill_run("tee/tee", "latency", VICTIM_HELPER);
    relay_kill_run("tee/write-twice", "throughput", VICTIM_HELPER);
    tu_exclusive_end();
}

Test(relay, sigint_of_the_harness_leaves_nothing_behind, .timeout = 90)
{
    tu_exclusive_begin();
    relay_kill_run("relay/unix/splice", "latency", VICTIM_HARNESS);
    relay_kill_run("tee/write-twice", "throughput", VICTIM_HARNESS);
    tu_exclusive_end();
}
