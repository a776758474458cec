/* test_shm.c - the four shared-memory transports x three waits: every byte
 * arrives in order at the awkward sizes, through tiny rings too; options
 * choose the variants; one CPU is not busy-polled blindly; a full /dev/shm
 * is an n/a row, not a SIGBUS.  The kernel objects (0600, unnamed or
 * unguessable) and nothing left behind, also after SIGKILL of the consumer
 * and SIGINT of the harness: tests/test_shm_objects.c. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../bench/harness.h"
#include "../bench/transport.h"
#include "test_ns.h"
#include "test_util.h"

/* ---- helpers ----------------------------------------------------------- */

/* Set a transport option the way the command line would. */
static void set_option(const char *name, const void *value)
{
    const struct tp_option *const *o = tp_options_begin();
    int found = 0;

    /* every registration of the name: --dir is mmap_file's and file's */
    for (size_t i = 0; i < tp_options_count(); i++)
        if (strcmp(o[i]->name, name) == 0) {
            found = 1;
            switch (o[i]->type) {
            case OPT_FLAG:
            case OPT_CHOICE:
                *(int *)o[i]->value = *(const int *)value;
                break;
            case OPT_SIZE:
                *(size_t *)o[i]->value = *(const size_t *)value;
                break;
            case OPT_UINT:
                *(unsigned long *)o[i]->value =
                    *(const unsigned long *)value;
                break;
            case OPT_LIST:
                *(unsigned *)o[i]->value = *(const unsigned *)value;
                break;
            case OPT_STRING:
            case OPT_DIR:
                *(const char **)o[i]->value = (const char *)value;
                break;
            }
        }
    cr_assert(found, "option --%s is not registered", name);
}

static void set_ring_bytes(size_t bytes)
{
    set_option("ring-size", &bytes);
}

/* ---- every byte, in order ---------------------------------------------- */

#define MEMORY_WAITS(mem)                                                  \
    { mem "/spin", 0 }, { mem "/futex", 0 }, { mem "/sem", 0 }

ParameterizedTestParameters(shm, moves_every_byte_in_order)
{
    static struct tu_move_case cases[] = {
        MEMORY_WAITS("sysv_shm"), MEMORY_WAITS("posix_shm"),
        MEMORY_WAITS("mmap_file"), MEMORY_WAITS("mmap_anon"),
    };
    return cr_make_param_array(struct tu_move_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

/* The sizes: 1, 63, 64, 4095, 64 KiB + 1, 1 MiB, both modes. */
ParameterizedTest(struct tu_move_case *c, shm, moves_every_byte_in_order,
                  .timeout = 120)
{
    static const size_t sizes[] = { 1, 63, 64, 4095, 65536 + 1, 1 << 20 };

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        tu_assert_moves_every_byte(c->transport, sizes[i]);
}

ParameterizedTestParameters(shm, in_place_moves_every_byte_in_order)
{
    static struct tu_move_case cases[] = {
        { "posix_shm/spin/in-place", 0 }, { "sysv_shm/futex/in-place", 0 },
        { "mmap_anon/sem/in-place", 0 },
    };
    return cr_make_param_array(struct tu_move_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct tu_move_case *c, shm,
                  in_place_moves_every_byte_in_order, .timeout = 60)
{
    static const size_t sizes[] = { 1, 63, 4095, 65536 + 1, 1 << 20 };

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        tu_assert_moves_every_byte(c->transport, sizes[i]);
}

/* A 4 KiB ring: messages larger than it are cut into records, records
 * straddle the end of the data area, in-place messages need pads. */
Test(shm, tiny_ring_chunks_messages_across_its_end, .timeout = 60)
{
    static const char *const names[] = { "mmap_anon/spin", "sysv_shm/futex",
                                         "posix_shm/sem" };
    static const size_t sizes[] = { 1000, 4095, 4096, 5000, 65536 + 1 };

    set_ring_bytes(4096);
    for (size_t n = 0; n < 3; n++)
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
            tu_assert_moves_every_byte(names[n], sizes[i]);
}

/* The row says what ring it ran on (#11's data contract): ring_bytes, the
 * wait, and how many records a message took (5000 B in a 4 KiB ring:
 * records of at most a quarter of it, 1 KiB, so 5; in place: 1). */
Test(shm, the_row_states_its_ring_wait_and_records, .timeout = 60)
{
    struct bench_result res;

    set_ring_bytes(4096);
    tu_run("sysv_shm/sem", MODE_THROUGHPUT, 5000, &res);
    cr_assert_eq(res.status, RES_OK, "%s", res.reason);
    cr_expect_eq(res.facts.ring_bytes, 4096);
    cr_expect_str_eq(res.facts.wait, "sem");
    cr_expect_eq(res.facts.records_per_msg, 5);
    tu_run("mmap_anon/futex/in-place", MODE_THROUGHPUT, 1500, &res);
    cr_assert_eq(res.status, RES_OK, "%s", res.reason);
    cr_expect_str_eq(res.facts.wait, "futex");
    cr_expect_eq(res.facts.records_per_msg, 1);
}

Test(shm, tiny_ring_in_place_pads_the_end, .timeout = 60)
{
    set_ring_bytes(4096);
    tu_assert_moves_every_byte("mmap_anon/spin/in-place", 1500);   /* pads */
    tu_assert_moves_every_byte("posix_shm/sem/in-place", 3000);
    tu_assert_moves_every_byte("sysv_shm/futex/in-place", 4096 - 8);
}

Test(shm, in_place_refuses_a_message_larger_than_the_ring, .timeout = 10)
{
    const struct transport *tp = transport_find("posix_shm/spin/in-place");
    const struct transport *copy = transport_find("posix_shm/spin");
    char err[ERR_LEN] = "";

    cr_assert_not_null(tp);
    set_ring_bytes(4096);
    cr_expect_eq(tp->check_size(tp, MODE_THROUGHPUT, 4096 - 8, err), 0,
                 "%s", err);
    cr_expect_eq(tp->check_size(tp, MODE_THROUGHPUT, 4096 - 7, err), -1);
    cr_expect(strstr(err, "--ring-size 8K") != NULL, "message: %s", err);
    cr_expect_eq(copy->check_size(copy, MODE_THROUGHPUT, 1 << 20, err), 0,
                 "copy mode chunks, it does not refuse: %s", err);
}

Test(shm, ring_size_must_be_a_power_of_two, .timeout = 10)
{
    const struct transport *tp = transport_find("sysv_shm/futex");
    char err[ERR_LEN] = "";

    set_ring_bytes(3000);
    cr_expect_eq(tp->check_size(tp, MODE_LATENCY, 64, err), -1);
    cr_expect(strstr(err, "power of two") != NULL, "message: %s", err);
    set_ring_bytes(4096);
    cr_expect_eq(tp->check_size(tp, MODE_LATENCY, 64, err), 0, "%s", err);
}

/* ---- variants and options ---------------------------------------------- */

static int sel(const char *name)
{
    const struct transport *tp = transport_find(name);

    cr_assert_not_null(tp, "%s not registered", name);
    return tp->selected(tp);
}

Test(shm, futex_is_the_default_wait, .timeout = 10)
{
    cr_expect(sel("sysv_shm/futex"));
    cr_expect(!sel("sysv_shm/spin"));
    cr_expect(!sel("sysv_shm/sem"));
    cr_expect(!sel("sysv_shm/futex/in-place"));
}

Test(shm, wait_option_picks_the_variants, .timeout = 10)
{
    int on = 1;
    unsigned spin_sem = 1u << 0 | 1u << 2;  /* choices: spin, futex, sem */

    set_option("wait", &spin_sem);
    cr_expect(sel("posix_shm/spin"));
    cr_expect(!sel("posix_shm/futex"));
    cr_expect(sel("posix_shm/sem"));
    set_option("in-place", &on);
    cr_expect(sel("mmap_file/spin/in-place"));
    cr_expect(!sel("mmap_file/spin"), "--in-place runs in-place variants");
    cr_expect(!sel("mmap_file/futex/in-place"));
}

Test(shm, cli_runs_the_waits_asked_for, .timeout = 60)
{
    char out[8192];
    int st = tu_cli("ipclab", (char *[]){ "ipclab", "run", "--wait",
                                          "spin,sem", "--mode", "latency",
                                          "--size", "64", "--iterations",
                                          "50", "--reps", "1", "--warmup",
                                          "0", "--placement", "os",
                                          "--format", "csv", "--quiet",
                                          "sysv_shm", NULL },
                    out, sizeof(out));

    cr_assert_eq(st, 0, "status %d: %s", st, out);
    cr_expect(strstr(out, "sysv_shm/spin,") != NULL, "%s", out);
    cr_expect(strstr(out, "sysv_shm/sem,") != NULL, "%s", out);
    cr_expect(strstr(out, "sysv_shm/futex,") == NULL, "%s", out);
}

/* ---- one CPU: no blind busy-polling ------------------------------------- */

Test(shm, same_cpu_spin_yields_and_says_so, .timeout = 60)
{
    struct bench_config cfg = tu_config();
    struct bench_result res;

    cfg.placement = PLACE_SAME;
    tu_run_cfg(&cfg, "posix_shm/spin", MODE_LATENCY, 64, &res);
    cr_assert_eq(res.status, RES_OK, "%s", res.reason);
    cr_expect(strstr(res.note, "sched_yield") != NULL, "note: %s", res.note);
    /* yielding, 64 round trips take milliseconds, not 64 time slices */
    cr_expect_lt(res.rtt_ns[LAT_P50], 2e6, "p50 %.0f ns: busy-polling?",
                 res.rtt_ns[LAT_P50]);
    tu_run_cfg(&cfg, "mmap_anon/futex", MODE_THROUGHPUT, 4096, &res);
    cr_assert_eq(res.status, RES_OK, "%s", res.reason);
    cr_expect(strstr(res.note, "same CPU") != NULL, "note: %s", res.note);
}

/* ---- a full /dev/shm --------------------------------------------------- */

struct full_case {
    const char *transport, *dir;        /* dir: --dir, or NULL */
    int rc;                             /* bench_run() */
    enum bench_status status;
    char reason[ERR_LEN];
    int left;                           /* objects left in the namespace */
};

/* In the namespace (64K /dev/shm): each run and what it left. */
static int full_runs(void *arg)
{
    struct full_case *c = arg;

    if (mkdir("/tmp/tiny", 0700) == -1 ||
        mount("tmpfs", "/tmp/tiny", "tmpfs", 0, "size=64k") == -1)
        return 3;
    for (; c->transport != NULL; c++) {
        struct bench_config cfg = tu_config();
        struct bench_result res;
        struct ipc_ns_counts left;
        char err[ERR_LEN] = "";

        cfg.timeout_s = 20;
        set_option("dir", c->dir);
        c->rc = bench_run(&cfg, transport_find(c->transport),
                          MODE_THROUGHPUT, 4096, &res, err);
        c->status = res.status;
        snprintf(c->reason, sizeof(c->reason), "%s", c->rc ? err :
                 res.reason);
        ipc_ns_count(&left);
        c->left = ipc_ns_total(&left) + ipc_ns_count_dir("/tmp/tiny", "");
    }
    set_option("dir", NULL);
    return 0;
}

/* A sparse file on a full tmpfs used to kill the harness with SIGBUS at
 * the first store, silently, leaving the /dev/shm name behind.  The space
 * is reserved first now: the row is n/a and says why. */
Test(shm, full_dev_shm_is_an_na_row_not_a_sigbus, .timeout = 60)
{
    struct full_case *c = mmap(NULL, 4 * sizeof(*c), PROT_READ |
                               PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                               -1, 0);
    static const char *const want[] = { "no space in /dev/shm (need ",
                                        "no space in /tmp/tiny (need " };

    cr_assert_neq(c, MAP_FAILED);
    memset(c, 0, 4 * sizeof(*c));
    c[0].transport = "posix_shm/futex";
    c[1].transport = "mmap_file/futex";
    c[1].dir = "/tmp/tiny";
    cr_assert_eq(ipc_in_private_ns(full_runs, c, "64k"), 0,
                 "could not mount the small tmpfs");
    for (int i = 0; i < 2; i++) {
        cr_expect_eq(c[i].rc, 0, "%s: %s", c[i].transport, c[i].reason);
        cr_expect_eq(c[i].status, RES_NA, "%s: %s, not n/a (%s)",
                     c[i].transport, bench_status_name(c[i].status),
                     c[i].reason);
        cr_expect(strstr(c[i].reason, want[i]) != NULL, "%s: reason '%s'",
                  c[i].transport, c[i].reason);
        cr_expect_eq(c[i].left, 0, "%s: %d object(s) left",
                     c[i].transport, c[i].left);
    }
    munmap(c, 4 * sizeof(*c));
}
