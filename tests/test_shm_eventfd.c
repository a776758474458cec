/* test_shm_eventfd.c - --wait eventfd for the shared-memory ring
 * (ipc/shm_wait.c): every byte in order in both modes at the awkward sizes
 * in each memory, copying out and in place; the doorbell is a pollable
 * descriptor that a wake-up makes readable; --wait picks the variants; and
 * no eventfd (or anything else) is left after a run or a SIGKILL. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../ipc/shm_wait.h"
#include "test_ipc.h"

struct efd_case {
    char transport[40];         /* arrays: Criterion re-execs workers */
};

ParameterizedTestParameters(shm_eventfd, moves_every_byte_in_order)
{
    static struct efd_case cases[] = {
        { "sysv_shm/eventfd" }, { "posix_shm/eventfd" },
        { "mmap_file/eventfd" }, { "mmap_anon/eventfd" },
        { "posix_shm/eventfd/in-place" },
    };
    return cr_make_param_array(struct efd_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct efd_case *c, shm_eventfd, moves_every_byte_in_order,
                  .timeout = 120)
{
    static const size_t sizes[] = { 1, 4095, 65536 + 1, 1 << 20 };

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        tu_assert_moves_every_byte(c->transport, sizes[i]);
}

/* One CPU: the sides must sleep and wake each other for every record. */
Test(shm_eventfd, same_cpu_sleeps_and_wakes_through_the_eventfd,
     .timeout = 60)
{
    struct bench_config cfg = tu_config();
    struct bench_result res;

    cfg.placement = PLACE_SAME;
    cfg.verify = VERIFY_FULL;
    for (int m = 0; m < 2; m++) {
        tu_run_cfg(&cfg, "mmap_anon/eventfd", (enum tp_mode)m, 65536, &res);
        cr_assert_eq(res.status, RES_OK, "%s", res.reason);
        cr_expect_eq(res.verified, 1);
        cr_expect_not_null(strstr(res.note, "eventfd sleeps at once"),
                           "note: \"%s\"", res.note);
    }
}

/* What makes it fit an event loop: the doorbell is a descriptor that
 * poll() reports readable once the other side rang it, and not before. */
Test(shm_eventfd, the_doorbell_is_pollable, .timeout = 10)
{
    struct shm_wait how = { .kind = SHM_WAIT_EVENTFD };
    struct shm_waiter *w;
    struct pollfd pfd;
    char err[ERR_LEN];

    w = mmap(NULL, sizeof(*w), PROT_READ | PROT_WRITE,
             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(w, MAP_FAILED);
    cr_assert_eq(shm_waiter_init(w, SHM_WAIT_EVENTFD, err), 0, "%s", err);
    cr_assert_geq(w->efd, 0);
    pfd = (struct pollfd){ .fd = w->efd, .events = POLLIN };
    cr_expect_eq(shm_wake(&how, w, err), 0, "%s", err);
    cr_expect_eq(poll(&pfd, 1, 0), 0, "nobody sleeps: no wake-up is sent");
    atomic_store(&w->sleeping, 1);      /* a sleeper announced itself */
    cr_expect_eq(shm_wake(&how, w, err), 0, "%s", err);
    cr_expect_eq(poll(&pfd, 1, 0), 1, "the wake-up makes it readable");
    cr_expect(pfd.revents & POLLIN);
    cr_expect_eq(atomic_load(&w->sleeping), 0, "the waker clears the word");
    close(w->efd);
    sem_destroy(&w->sem);
    munmap(w, sizeof(*w));
}

Test(shm_eventfd, wait_eventfd_picks_the_eventfd_variants, .timeout = 60)
{
    char out[8192];
    int st = tu_cli("ipclab", (char *[]){ "ipclab", "run", "--wait",
                                          "eventfd", "--mode", "latency",
                                          "--size", "64", "--iterations",
                                          "50", "--reps", "1", "--warmup",
                                          "0", "--placement", "os",
                                          "--format", "csv", "--quiet",
                                          "sysv_shm", NULL },
                    out, sizeof(out));

    cr_assert_eq(st, 0, "status %d: %s", st, out);
    cr_expect(strstr(out, "sysv_shm/eventfd,") != NULL, "%s", out);
    cr_expect(strstr(out, "sysv_shm/futex,") == NULL, "%s", out);
}

Test(shm_eventfd, a_run_leaves_nothing_behind, .timeout = 120)
{
    static const char *const names[] = { "sysv_shm/eventfd",
                                         "posix_shm/eventfd/in-place",
                                         "mmap_file/eventfd",
                                         "mmap_anon/eventfd" };
    struct tu_leftovers before;
    struct bench_result res;

    tu_exclusive_begin();
    tu_leftovers(&before);
    for (size_t i = 0; i < 4; i++)
        for (int m = 0; m < 2; m++) {
            tu_run(names[i], (enum tp_mode)m, 4096, &res);
            cr_expect_eq(res.status, RES_OK, "%s: %s", names[i],
                         res.reason);
        }
    tu_expect_no_leftovers(&before);    /* open fds: the eventfds too */
    tu_exclusive_end();
}

Test(shm_eventfd, sigkill_of_the_consumer_leaves_nothing_behind,
     .timeout = 120)
{
    tu_exclusive_begin();
    ipc_kill_run("posix_shm/eventfd", "latency", "64K", IPC_KILL_CONSUMER,
                 150);
    ipc_kill_run("mmap_anon/eventfd", "throughput", "64K",
                 IPC_KILL_CONSUMER, 150);
    tu_exclusive_end();
}
