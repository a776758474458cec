/* test_copies_file.c - serving a file to a socket (net/sendfile.c): every
 * byte in order in both modes at the awkward sizes for every way (rw,
 * mmap, sendfile, splice) over TCP and a Unix socket, the file's odd
 * tail and an empty range, --cold where it works and its n/a where it
 * cannot, a file too big for its file system, --dir shared with
 * mmap_file, and nothing left behind after a run, a SIGKILL of the
 * consumer or a SIGINT of the harness. */
#define _GNU_SOURCE             /* unshare, CLONE_NEWNS (test_ns.h) */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/vfs.h>

#include "../bench/cli_run.h"
#include "test_copies.h"
#include "test_ipc.h"
#include "test_ns.h"

#define COPIES_SIZES { 1, 4095, 65536 + 1, 1u << 20 }

static const char *const file_names[] = {
    "file/tcp/rw", "file/tcp/mmap", "file/tcp/sendfile", "file/tcp/splice",
    "file/unix/rw", "file/unix/mmap", "file/unix/sendfile",
    "file/unix/splice",
};
#define FILE_N (sizeof(file_names) / sizeof(file_names[0]))

/* Set --dir or --cold in every table that registers it, as the command
 * line does. */
static void file_set_option(const char *name, const char *dir, int flag)
{
    const struct tp_option *const *o = tp_options_begin();
    int found = 0;

    for (size_t i = 0; i < tp_options_count(); i++) {
        if (strcmp(o[i]->name, name) != 0)
            continue;
        found = 1;
        if (o[i]->type == OPT_STRING || o[i]->type == OPT_DIR)
            *(const char **)o[i]->value = dir;
        else
            *(int *)o[i]->value = flag;
    }
    cr_assert(found, "option --%s is not registered", name);
}

static int file_on_tmpfs(const char *dir)
{
    struct statfs sf;

    cr_assert_eq(statfs(dir, &sf), 0, "statfs %s: %s", dir, strerror(errno));
    return sf.f_type == TMPFS_MAGIC || sf.f_type == RAMFS_MAGIC;
}

/* ---- every byte ---------------------------------------------------------- */

ParameterizedTestParameters(file, moves_every_byte_in_order)
{
    static size_t sizes[] = COPIES_SIZES;

    return cr_make_param_array(size_t, sizes,
                               sizeof(sizes) / sizeof(sizes[0]));
}

ParameterizedTest(size_t *size, file, moves_every_byte_in_order,
                  .timeout = 240)
{
    for (size_t i = 0; i < FILE_N; i++)
        tu_assert_moves_every_byte(file_names[i], *size);
}

/* The file is a message plus 255 * 64 bytes: never a multiple of the
 * page size, even for a message that is one (4096, 8192); 256 messages
 * use every window, the last of which ends at the file's last byte, in
 * the middle of a page. */
Test(file, serves_a_file_that_is_not_a_multiple_of_the_page_size,
     .timeout = 120)
{
    for (size_t i = 0; i < FILE_N; i++) {
        tu_assert_moves_every_byte(file_names[i], 4096);
        tu_assert_moves_every_byte(file_names[i], 8192);
    }
}

/* A message of 8 bytes or less is all sequence number: the range served
 * from the file is empty (the 0-length file; the harness has no size 0,
 * since the sequence number must travel). */
Test(file, serves_an_empty_range_when_the_message_is_its_header,
     .timeout = 120)
{
    for (size_t i = 0; i < FILE_N; i++) {
        tu_assert_moves_every_byte(file_names[i], 8);
        tu_assert_moves_every_byte(file_names[i], 9);     /* 1 byte served */
    }
}

/* ---- --cold ------------------------------------------------------------- */

Test(file, cold_cache_moves_every_byte_on_a_disk, .timeout = 120)
{
    if (file_on_tmpfs("/var/tmp"))
        cr_skip_test("/var/tmp is tmpfs here: no disk to be cold on");
    file_set_option("dir", "/var/tmp", 0);
    file_set_option("cold", NULL, 1);
    for (size_t i = 0; i < FILE_N; i++)
        tu_assert_moves_every_byte(file_names[i], 65536 + 1);
    file_set_option("cold", NULL, 0);
    file_set_option("dir", NULL, 0);
}

Test(file, cold_cache_on_tmpfs_is_an_na_row_with_the_reason, .timeout = 60)
{
    struct bench_result res;

    if (!file_on_tmpfs("/dev/shm"))
        cr_skip_test("/dev/shm is not tmpfs here");
    file_set_option("dir", "/dev/shm", 0);
    file_set_option("cold", NULL, 1);
    tu_run("file/tcp/sendfile", MODE_THROUGHPUT, 4096, &res);
    file_set_option("cold", NULL, 0);
    file_set_option("dir", NULL, 0);
    cr_expect_eq(res.status, RES_NA, "status %s: %s",
                 bench_status_name(res.status), res.reason);
    cr_expect_eq(res.code, CODE_NOT_PERMITTED, "code %s",
                 bench_code_name(res.code));
    cr_expect_not_null(strstr(res.reason, "tmpfs"), "reason: %s",
                       res.reason);
}

/* ---- a file too big ------------------------------------------------------ */

struct big_case {
    int rc, status, left;
    char reason[ERR_LEN];
};

/* In the namespace: /tmp is a 64 MiB tmpfs, the 64 MiB file (plus the
 * windows' 16 KiB) does not fit. */
static int big_run(void *arg)
{
    struct big_case *c = arg;
    struct bench_config cfg = tu_config();
    struct bench_result res;
    char err[ERR_LEN] = "";
    struct ipc_ns_counts left;

    c->rc = bench_run(&cfg, transport_find("file/unix/sendfile"),
                      MODE_THROUGHPUT, 64u << 20, &res, err);
    c->status = res.status;
    snprintf(c->reason, sizeof(c->reason), "%s", c->rc ? err : res.reason);
    ipc_ns_count(&left);
    c->left = ipc_ns_total(&left);
    return 0;
}

Test(file, a_file_too_big_for_its_file_system_is_an_na_row, .timeout = 60)
{
    struct big_case *c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE,
                              MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    cr_assert_neq(c, MAP_FAILED);
    memset(c, 0, sizeof(*c));
    cr_assert_eq(ipc_in_private_ns(big_run, c, "64k"), 0);
    cr_expect_eq(c->rc, 0, "%s", c->reason);
    cr_expect_eq(c->status, RES_NA, "status %s: %s",
                 bench_status_name(c->status), c->reason);
    cr_expect_not_null(strstr(c->reason, "does not fit in /tmp"),
                       "reason: %s", c->reason);
    cr_expect_eq(c->left, 0, "%d object(s) left", c->left);
    munmap(c, sizeof(*c));
}

/* ---- --dir is one option for mmap_file and the file rows ---------------- */

Test(file, dir_option_reaches_mmap_file_and_the_file_rows, .timeout = 60)
{
    char *argv[] = { "ipclab", "--dir", "/var/tmp", "file/unix/rw", NULL };
    const struct tp_option *const *o = tp_options_begin();
    struct run_opts opts;
    int tables = 0;

    run_options_parse(4, argv, &opts, 0);
    for (size_t i = 0; i < tp_options_count(); i++)
        if (strcmp(o[i]->name, "dir") == 0) {
            tables++;
            cr_expect_str_eq(*(const char **)o[i]->value, "/var/tmp",
                             "table %zu (%s)", i, o[i]->help);
            *(const char **)o[i]->value = NULL;
        }
    run_options_free(&opts);
    cr_expect_geq(tables, 2, "mmap_file and file/* each register --dir");
}

/* ---- nothing left behind ------------------------------------------------- */

Test(file, a_run_leaves_nothing_behind, .timeout = 120)
{
    char dir[] = "/tmp/ipclab-file-test-XXXXXX";

    tu_exclusive_begin();
    for (size_t i = 0; i < FILE_N; i++)
        ipc_run_leaves_nothing(file_names[i], 4096);
    cr_assert_not_null(mkdtemp(dir));       /* --dir: nothing left in it */
    file_set_option("dir", dir, 0);
    ipc_run_leaves_nothing("file/tcp/splice", 65536);
    file_set_option("dir", NULL, 0);
    cr_expect_eq(rmdir(dir), 0, "%s is not empty after the run: %s", dir,
                 strerror(errno));
    tu_exclusive_end();
}

Test(file, sigkill_of_the_consumer_leaves_nothing_behind, .timeout = 90)
{
    tu_exclusive_begin();
    ipc_kill_run("file/tcp/rw", "throughput", "64K", IPC_KILL_CONSUMER, 150);
    ipc_kill_run("file/unix/splice", "latency", "4K", IPC_KILL_CONSUMER,
                 150);
    tu_exclusive_end();
}

Test(file, sigint_of_the_harness_leaves_nothing_behind, .timeout = 90)
{
    tu_exclusive_begin();
    ipc_kill_run("file/tcp/sendfile", "throughput", "64K", IPC_INT_HARNESS,
                 150);
    ipc_kill_run("file/unix/mmap", "latency", "4K", IPC_INT_HARNESS, 150);
    tu_exclusive_end();
}
