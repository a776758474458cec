/* test_uring.c - the io_uring transports (ipc/uring.c): every byte in
 * order in both modes at the awkward sizes, one message per request and
 * many (--uring-batch), a refused io_uring_setup an n/a row with the
 * reason, and nothing left behind (ring, descriptor, SQ thread, child)
 * after a run or a SIGKILL of the consumer. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "test_copies.h"
#include "test_ipc.h"

static const char *const uring_names[] = { "uring/pipe", "uring/unix",
                                           "uring/unix/sqpoll" };
#define URING_N (sizeof(uring_names) / sizeof(uring_names[0]))

static void uring_set_batch(unsigned long n)
{
    const struct tp_option *const *o = tp_options_begin();

    for (size_t i = 0; i < tp_options_count(); i++)
        if (strcmp(o[i]->name, "uring-batch") == 0) {
            *(unsigned long *)o[i]->value = n;
            return;
        }
    cr_assert_fail("no --uring-batch option");
}

/* Skip (with the reason) where this machine refuses io_uring: that case
 * has a test of its own below. */
static void uring_skip_if_refused(const char *name)
{
    struct bench_config cfg = tu_config();
    struct bench_result res;

    cfg.bytes = 4096;
    cfg.iterations = 4;
    tu_run_cfg(&cfg, name, MODE_THROUGHPUT, 4096, &res);
    if (res.status == RES_NA)
        cr_skip_test("%s: %s", name, res.reason);
}

ParameterizedTestParameters(uring, moves_every_byte_in_order)
{
    static size_t sizes[] = { 1, 4095, 65536 + 1, 1u << 20 };

    return cr_make_param_array(size_t, sizes,
                               sizeof(sizes) / sizeof(sizes[0]));
}

ParameterizedTest(size_t *size, uring, moves_every_byte_in_order,
                  .timeout = 120)
{
    for (size_t i = 0; i < URING_N; i++) {
        uring_skip_if_refused(uring_names[i]);
        tu_assert_moves_every_byte(uring_names[i], *size);
    }
}

/* Many messages a request: the producer's two batch buffers, the
 * consumer's messages handed out in place, a last batch that is not full
 * (batches of 20: 256 messages of 1 byte, 1024 of 4095, 63 of 64 KiB+1),
 * and at 1 MiB a batch cut to 16 by the 16 MiB cap. */
ParameterizedTestParameters(uring, batches_move_every_byte_in_order)
{
    static size_t sizes[] = { 1, 4095, 65536 + 1, 1u << 20 };

    return cr_make_param_array(size_t, sizes,
                               sizeof(sizes) / sizeof(sizes[0]));
}

ParameterizedTest(size_t *size, uring, batches_move_every_byte_in_order,
                  .timeout = 120)
{
    struct bench_config cfg = tu_config();
    struct bench_result res;

    uring_set_batch(20);        /* throughput only: latency sends one */
    cfg.verify = VERIFY_FULL;
    cfg.bytes = *size * 256 < (4u << 20) ? *size * 256 : 4u << 20;
    cfg.timeout_s = 60;
    for (size_t i = 0; i < URING_N; i++) {
        uring_skip_if_refused(uring_names[i]);
        tu_run_cfg(&cfg, uring_names[i], MODE_THROUGHPUT, *size, &res);
        cr_assert_eq(res.status, RES_OK, "%s size %zu: %s", uring_names[i],
                     *size, res.reason);
        cr_assert_eq(res.verified, 1, "%s size %zu: not verified",
                     uring_names[i], *size);
        if (*size == 1u << 20)
            cr_expect_not_null(strstr(res.note, "16 MiB cap"), "note: %s",
                               res.note);
    }
}

Test(uring, a_batch_of_zero_is_refused_before_anything_starts)
{
    const struct transport *tp = transport_find("uring/pipe");
    char err[ERR_LEN];

    cr_assert_not_null(tp);
    uring_set_batch(0);
    cr_expect_eq(tp->check_size(tp, MODE_THROUGHPUT, 64, err), -1);
    cr_expect_eq(err[0], '-', "an option error names the option: %s", err);
    uring_set_batch(16);
    cr_expect_eq(tp->check_size(tp, MODE_THROUGHPUT, 64, err), 0, "%s", err);
}

/* A seccomp filter refusing io_uring_setup (what a container's default
 * profile does) makes every row n/a with the reason, never a failure. */
Test(uring, a_refused_io_uring_is_an_na_row_with_the_reason, .timeout = 60)
{
    static const int nrs[] = { SYS_io_uring_setup };

    for (size_t i = 0; i < URING_N; i++) {
        copies_expect_na(uring_names[i], MODE_THROUGHPUT, nrs, 1,
                         "io_uring refused");
        copies_expect_na(uring_names[i], MODE_LATENCY, nrs, 1,
                         "io_uring refused");
    }
}

/* A kernel that refuses SQPOLL alone (before 5.11 without CAP_SYS_ADMIN),
 * simulated: the sqpoll row is n/a with that sentence, the others run. */
Test(uring, a_refused_sqpoll_is_an_na_row_with_the_reason, .timeout = 60)
{
    struct bench_config cfg = tu_config();
    struct bench_result res;

    uring_skip_if_refused("uring/unix");
    cfg.bytes = 1u << 20;
    cfg.iterations = 64;
    cr_assert_eq(setenv("IPCLAB_TEST_URING_NO_SQPOLL", "1", 1), 0);
    tu_run_cfg(&cfg, "uring/unix/sqpoll", MODE_THROUGHPUT, 4096, &res);
    cr_expect_eq(res.status, RES_NA, "status %s: %s",
                 bench_status_name(res.status), res.reason);
    cr_expect_eq(res.code, CODE_NOT_PERMITTED, "code %s",
                 bench_code_name(res.code));
    cr_expect_not_null(strstr(res.reason, "SQPOLL refused"), "reason: %s",
                       res.reason);
    tu_run_cfg(&cfg, "uring/unix", MODE_THROUGHPUT, 4096, &res);
    cr_expect_eq(res.status, RES_OK, "uring/unix: %s", res.reason);
    unsetenv("IPCLAB_TEST_URING_NO_SQPOLL");
}

Test(uring, a_run_leaves_nothing_behind, .timeout = 120)
{
    uring_skip_if_refused("uring/unix/sqpoll");
    tu_exclusive_begin();
    for (size_t i = 0; i < URING_N; i++)
        ipc_run_leaves_nothing(uring_names[i], 65536);
    tu_exclusive_end();
}

Test(uring, sigkill_of_the_consumer_leaves_nothing_behind, .timeout = 120)
{
    uring_skip_if_refused("uring/unix/sqpoll");
    tu_exclusive_begin();
    ipc_kill_run("uring/pipe", "throughput", "64K", IPC_KILL_CONSUMER, 150);
    ipc_kill_run("uring/unix/sqpoll", "latency", "64K", IPC_KILL_CONSUMER,
                 150);
    tu_exclusive_end();
}
