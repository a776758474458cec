/* test_copies.c - the mechanisms that move memory with fewer copies
 * between two processes (ipc/cma.c ...): every byte in order in both
 * modes at the awkward sizes, a refusal of the system call an n/a row with
 * its reason, and nothing left behind after a run, a SIGKILL of the
 * consumer or a SIGINT of the harness. */
#define _GNU_SOURCE             /* memfd_create, F_ADD_SEALS */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <sys/syscall.h>

#include "test_copies.h"
#include "test_ipc.h"

#define COPIES_SIZES { 1, 4095, 65536 + 1, 1u << 20 }

/* ---- cross-memory attach (ipc/cma.c) ------------------------------------ */

ParameterizedTestParameters(cma, moves_every_byte_in_order)
{
    static size_t sizes[] = COPIES_SIZES;

    return cr_make_param_array(size_t, sizes,
                               sizeof(sizes) / sizeof(sizes[0]));
}

ParameterizedTest(size_t *size, cma, moves_every_byte_in_order,
                  .timeout = 120)
{
    tu_assert_moves_every_byte("cma/writev", *size);
    tu_assert_moves_every_byte("cma/readv", *size);
}

Test(cma, a_refused_call_is_an_na_row_with_the_reason, .timeout = 60)
{
    static const int nrs[] = { SYS_process_vm_readv, SYS_process_vm_writev };

    copies_expect_na("cma/writev", MODE_THROUGHPUT, nrs, 2, "seccomp");
    copies_expect_na("cma/readv", MODE_LATENCY, nrs, 2, "seccomp");
}

Test(cma, a_run_leaves_nothing_behind, .timeout = 60)
{
    tu_exclusive_begin();
    ipc_run_leaves_nothing("cma/writev", 65536);
    ipc_run_leaves_nothing("cma/readv", 65536);
    tu_exclusive_end();
}

Test(cma, sigkill_of_the_consumer_leaves_nothing_behind, .timeout = 90)
{
    tu_exclusive_begin();
    ipc_kill_run("cma/writev", "throughput", "64K", IPC_KILL_CONSUMER, 150);
    ipc_kill_run("cma/readv", "latency", "64K", IPC_KILL_CONSUMER, 150);
    tu_exclusive_end();
}

Test(cma, sigint_of_the_harness_leaves_nothing_behind, .timeout = 90)
{
    tu_exclusive_begin();
    ipc_kill_run("cma/writev", "latency", "64K", IPC_INT_HARNESS, 150);
    ipc_kill_run("cma/readv", "throughput", "64K", IPC_INT_HARNESS, 150);
    tu_exclusive_end();
}

/* ---- handing over a memfd (ipc/memfd.c) --------------------------------- */

#include <fcntl.h>
#include <sys/mman.h>

#include "../ipc/memfd_seals.h"

/* Mappings of an ipclab memfd in this process ("/memfd:ipclab"). */
static int copies_memfd_maps(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    int n = 0;

    cr_assert_not_null(f);
    while (fgets(line, sizeof(line), f) != NULL)
        n += strstr(line, "/memfd:ipclab") != NULL;
    fclose(f);
    return n;
}

ParameterizedTestParameters(memfd, moves_every_byte_in_order)
{
    static size_t sizes[] = COPIES_SIZES;

    return cr_make_param_array(size_t, sizes,
                               sizeof(sizes) / sizeof(sizes[0]));
}

ParameterizedTest(size_t *size, memfd, moves_every_byte_in_order,
                  .timeout = 120)
{
    tu_assert_moves_every_byte("memfd/message", *size);
    tu_assert_moves_every_byte("memfd/pool", *size);
}

/* Above 1 MiB the pool has fewer buffers (at most 4 MiB in flight): 3 at
 * 1 MiB + 1 byte (whole pages: 1 MiB + 4 KiB), 2 from 2 MiB; the buffer
 * numbers wrap at that count on both sides. */
Test(memfd, a_pool_of_fewer_big_buffers_moves_every_byte, .timeout = 120)
{
    tu_assert_moves_every_byte("memfd/pool", (1u << 20) + 1);
    tu_assert_moves_every_byte("memfd/pool", 3u << 20);
}

Test(memfd, a_sealed_copy_refuses_every_change)
{
    static const char text[] = "sealed bytes";
    char err[ERR_LEN], back[sizeof(text)];
    int fd = memfd_sealed_copy(text, sizeof(text), err);

    cr_assert_neq(fd, -1, "%s", err);
    cr_expect_eq(pread(fd, back, sizeof(back), 0), (ssize_t)sizeof(back));
    cr_expect_eq(memcmp(back, text, sizeof(text)), 0);
    errno = 0;
    cr_expect_eq(pwrite(fd, "X", 1, 0), -1, "a sealed memfd took a write");
    cr_expect_eq(errno, EPERM);
    cr_expect_eq(mmap(NULL, sizeof(text), PROT_READ | PROT_WRITE,
                      MAP_SHARED, fd, 0), MAP_FAILED,
                 "a sealed memfd was mapped writable");
    cr_expect_eq(ftruncate(fd, 1), -1, "a sealed memfd shrank");
    cr_expect_eq(ftruncate(fd, 1 << 20), -1, "a sealed memfd grew");
    cr_expect_eq(fcntl(fd, F_ADD_SEALS, 0), -1, "seals could still change");
    cr_expect_eq(memfd_seals_check(fd, F_SEAL_WRITE | F_SEAL_SHRINK |
                                   F_SEAL_GROW, sizeof(text), err), 0,
                 "%s", err);
    close(fd);
}

Test(memfd, the_receiver_refuses_a_memfd_without_its_seals)
{
    char err[ERR_LEN] = "";
    int fd = memfd_create("ipclab-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);

    cr_assert_neq(fd, -1);
    cr_assert_eq(ftruncate(fd, 4096), 0);
    cr_assert_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
    cr_expect_eq(memfd_seals_check(fd, F_SEAL_SHRINK | F_SEAL_GROW, 4096,
                                   err), 0, "%s", err);
    cr_expect_eq(memfd_seals_check(fd, F_SEAL_WRITE | F_SEAL_SHRINK,
                                   4096, err), -1,
                 "a writable memfd passed as write-sealed");
    cr_expect_not_null(strstr(err, "seals"), "%s", err);
    cr_expect_eq(memfd_seals_check(fd, F_SEAL_SHRINK, 8192, err), -1,
                 "a 4 KiB memfd passed for an 8 KiB message");
    close(fd);
}

Test(memfd, a_run_leaves_nothing_behind, .timeout = 60)
{
    tu_exclusive_begin();
    ipc_run_leaves_nothing("memfd/message", 65536);
    ipc_run_leaves_nothing("memfd/pool", 65536);
    cr_expect_eq(copies_memfd_maps(), 0, "a memfd is still mapped");
    tu_exclusive_end();
}

Test(memfd, sigkill_of_the_consumer_leaves_nothing_behind, .timeout = 90)
{
    tu_exclusive_begin();
    ipc_kill_run("memfd/message", "throughput", "64K", IPC_KILL_CONSUMER,
                 150);
    ipc_kill_run("memfd/pool", "latency", "64K", IPC_KILL_CONSUMER, 150);
    tu_exclusive_end();
}

Test(memfd, sigint_of_the_harness_leaves_nothing_behind, .timeout = 90)
{
    tu_exclusive_begin();
    ipc_kill_run("memfd/message", "latency", "64K", IPC_INT_HARNESS, 150);
    ipc_kill_run("memfd/pool", "throughput", "64K", IPC_INT_HARNESS, 150);
    tu_exclusive_end();
}

/* ---- eventfd as a doorbell (ipc/eventfd.c) ------------------------------ */

Test(eventfd, round_trips_every_sequence_number, .timeout = 60)
{
    static const char *const names[] = { "eventfd/block", "eventfd/poll" };

    for (int i = 0; i < 2; i++) {
        struct bench_config cfg = tu_config();
        struct bench_result res;

        cfg.iterations = 2000;
        tu_run_cfg(&cfg, names[i], MODE_LATENCY, 64, &res);
        cr_expect_eq(res.status, RES_OK, "%s: %s", names[i], res.reason);
        cr_expect_eq(res.verified, 1, "%s: not verified", names[i]);
        cr_expect_eq(res.size_bytes, 0, "%s: size does not apply",
                     names[i]);
        tu_run(names[i], MODE_THROUGHPUT, 64, &res);
        cr_expect_eq(res.status, RES_NA, "%s: throughput must be n/a",
                     names[i]);
    }
}

Test(eventfd, a_run_leaves_nothing_behind, .timeout = 60)
{
    struct ipc_before before;
    struct bench_result res;

    tu_exclusive_begin();
    ipc_before(&before);
    tu_run("eventfd/block", MODE_LATENCY, 64, &res);
    cr_expect_eq(res.status, RES_OK, "%s", res.reason);
    tu_run("eventfd/poll", MODE_LATENCY, 64, &res);
    cr_expect_eq(res.status, RES_OK, "%s", res.reason);
    ipc_expect_nothing_left(&before, getpid(), NULL, 0);
    tu_exclusive_end();
}

Test(eventfd, sigkill_or_sigint_leaves_nothing_behind, .timeout = 90)
{
    tu_exclusive_begin();
    ipc_kill_run("eventfd/block", "latency", "4", IPC_KILL_CONSUMER, 150);
    ipc_kill_run("eventfd/poll", "latency", "4", IPC_INT_HARNESS, 150);
    tu_exclusive_end();
}
