/* test_shm.c - the four shared-memory transports x three waits: every byte
 * arrives in order at the awkward sizes, through tiny rings too; objects
 * are 0600 and unnamed or unguessable; options choose the variants; and
 * nothing is left behind, also after SIGKILL of the consumer and SIGINT of
 * the harness. */
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

static void ms_sleep(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

    nanosleep(&ts, NULL);
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

ParameterizedTest(struct tu_move_case *c, shm, in_place_moves_every_byte_in_order,
                  .timeout = 60)
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

/* ---- kernel objects ---------------------------------------------------- */

static void create_alone(struct tp_channel *ch, const char *name)
{
    char err[ERR_LEN] = "";

    memset(ch, 0, sizeof(*ch));
    ch->tp = transport_find(name);
    cr_assert_not_null(ch->tp);
    ch->mode = MODE_LATENCY;
    ch->msg_bytes = 64;
    ch->messages = 1;
    cr_assert_eq(ch->tp->create(ch, err), 0, "create %s: %s", name, err);
}

/* Our segment in /proc/sysvipc/shm: key, perms (octal as text). */
static int find_sysv_segment(long *key, unsigned *perms)
{
    FILE *f = fopen("/proc/sysvipc/shm", "r");
    char line[512];
    int found = 0;

    cr_assert_not_null(f);
    if (fgets(line, sizeof(line), f) == NULL) { /* the header line */
        fclose(f);
        return 0;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        long k, id, size, cpid;
        unsigned p;

        if (sscanf(line, "%ld %ld %o %ld %ld", &k, &id, &p, &size, &cpid) ==
                5 && cpid == (long)getpid()) {
            *key = k;
            *perms = p;
            found++;
        }
    }
    fclose(f);
    return found;
}

Test(shm, sysv_segment_is_private_and_0600, .timeout = 10)
{
    struct tp_channel ch;
    long key = -1;
    unsigned perms = 0;

    create_alone(&ch, "sysv_shm/futex");
    cr_expect_eq(find_sysv_segment(&key, &perms), 1);
    cr_expect_eq(key, 0, "key %ld: not IPC_PRIVATE", key);
    cr_expect_eq(perms & 0777, 0600, "mode %o", perms & 0777);
    ch.tp->destroy(&ch);
    cr_expect_eq(find_sysv_segment(&key, &perms), 0,
                 "destroy() left the segment");
}

/* This process's shared mappings of files whose path contains `what`:
 * the path as /proc/self/maps shows it (ending in " (deleted)" once the
 * name is gone) and the file's mode. */
static int find_mappings(const char *what, char paths[][PATH_MAX],
                         unsigned *modes, int max)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[PATH_MAX + 128];
    int n = 0;

    cr_assert_not_null(f);
    while (fgets(line, sizeof(line), f) != NULL && n < max) {
        char range[64], perms[8], mf[128];
        unsigned long off, inode;
        struct stat st;
        char *path = strchr(line, '/');

        if (path == NULL || strstr(path, what) == NULL ||
            sscanf(line, "%63s %7s %lx %*s %lu", range, perms, &off,
                   &inode) != 4 || perms[3] != 's')
            continue;
        path[strcspn(path, "\n")] = '\0';
        snprintf(mf, sizeof(mf), "/proc/self/map_files/%s", range);
        cr_assert_eq(stat(mf, &st), 0, "%s: %s", mf, strerror(errno));
        snprintf(paths[n], PATH_MAX, "%.4000s", path);
        modes[n++] = st.st_mode & 0777;
    }
    fclose(f);
    return n;
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);

    return n >= t && strcmp(s + n - t, tail) == 0;
}

/* The name goes before the children exist: the parent maps the object
 * and shm_unlink()s it in create(), so a SIGKILL cannot leak it. */
Test(shm, posix_object_is_unguessable_0600_and_nameless_after_create,
     .timeout = 10)
{
    struct tp_channel a, b;
    char paths[4][PATH_MAX], prefix[64];
    unsigned modes[4];

    snprintf(prefix, sizeof(prefix), "/dev/shm/ipclab-%ld-",
             (long)getpid());
    create_alone(&a, "posix_shm/spin");
    create_alone(&b, "posix_shm/spin");
    cr_assert_eq(find_mappings(prefix, paths, modes, 4), 2);
    cr_expect_str_neq(paths[0], paths[1]);
    for (int i = 0; i < 2; i++) {
        cr_expect_eq(modes[i], 0600, "%s: mode %o", paths[i], modes[i]);
        cr_expect(ends_with(paths[i], " (deleted)"), "%s: still has a "
                  "name after create()", paths[i]);
        cr_expect_geq(strlen(paths[i]), strlen(prefix) + 16,
                      "%s: too short to be unguessable", paths[i]);
    }
    a.tp->destroy(&a);
    b.tp->destroy(&b);
    cr_expect_eq(find_mappings(prefix, paths, modes, 4), 0,
                 "destroy() left a mapping");
}

Test(shm, mmap_file_is_0600_and_already_unlinked, .timeout = 10)
{
    struct tp_channel ch;
    struct tu_leftovers before;
    char paths[4][PATH_MAX];
    unsigned modes[4];

    tu_exclusive_begin();       /* machine-wide counts: no one else runs */
    tu_leftovers(&before);
    create_alone(&ch, "mmap_file/futex");
    cr_assert_eq(find_mappings("/ipclab-", paths, modes, 4), 1,
                 "the parent should map one file");
    cr_expect_eq(modes[0], 0600, "%s: mode %o", paths[0], modes[0]);
    cr_expect(ends_with(paths[0], " (deleted)"), "%s: still has a name",
              paths[0]);
    ch.tp->destroy(&ch);
    cr_expect_eq(find_mappings("/ipclab-", paths, modes, 4), 0,
                 "destroy() left the mapping");
    tu_expect_no_leftovers(&before);
    tu_exclusive_end();
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

/* ---- nothing left behind ----------------------------------------------- */

static char *const *run_argv(const char *transport)
{
    static char name[64];
    static char *argv[] = {
        "ipclab", "run", "--mode", "throughput", "--size", "64K",
        "--bytes", "64G", "--reps", "1", "--warmup", "0", "--timeout", "60",
        "--placement", "os", "--quiet", name, NULL };

    snprintf(name, sizeof(name), "%s", transport);
    return argv;
}

/* What a given process left behind, precisely: SysV segments it created
 * (cpid), /dev/shm names and temp dirs carrying its pid.  Unlike the
 * machine-wide counts, other programs running meanwhile cannot disturb
 * this. */
static int count_entries_of(const char *dir, pid_t pid)
{
    char prefix[64];
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (d == NULL)
        return 0;
    snprintf(prefix, sizeof(prefix), "ipclab-%ld-", (long)pid);
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
            n++;
    closedir(d);
    return n;
}

static int count_segments_of(pid_t pid)
{
    FILE *f = fopen("/proc/sysvipc/shm", "r");
    char line[512];
    int n = 0;

    cr_assert_not_null(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        long k, id, size, cpid;
        unsigned perms;

        if (sscanf(line, "%ld %ld %o %ld %ld", &k, &id, &perms, &size,
                   &cpid) == 5 && cpid == (long)pid)
            n++;
    }
    fclose(f);
    return n;
}

static void expect_nothing_of(pid_t pid, const char *what)
{
    const char *tmp = getenv("TMPDIR");

    cr_expect_eq(count_segments_of(pid), 0, "%s: SysV segment left", what);
    cr_expect_eq(count_entries_of("/dev/shm", pid), 0,
                 "%s: /dev/shm object left", what);
    cr_expect_eq(count_entries_of(tmp != NULL && tmp[0] ? tmp : "/tmp",
                                  pid), 0, "%s: temp dir left", what);
}

static const char *const leak_names[] = { "sysv_shm/futex", "posix_shm/spin",
                                          "mmap_file/sem", "mmap_anon/futex" };

Test(shm, a_run_leaves_nothing_behind, .timeout = 60)
{
    struct tu_leftovers before;
    struct bench_result res;

    tu_exclusive_begin();
    tu_leftovers(&before);
    for (size_t i = 0; i < 4; i++) {
        tu_run(leak_names[i], MODE_LATENCY, 4096, &res);
        cr_expect_eq(res.status, RES_OK, "%s: %s", leak_names[i], res.reason);
        expect_nothing_of(getpid(), leak_names[i]);     /* we created */
    }
    tu_expect_no_leftovers(&before);
    tu_exclusive_end();
}

Test(shm, sigkill_of_the_consumer_leaves_nothing_behind, .timeout = 60)
{
    struct tu_leftovers before;

    tu_exclusive_begin();
    tu_leftovers(&before);
    for (size_t i = 0; i < 4; i++) {
        pid_t kids[4];
        pid_t pid = tu_spawn("ipclab", run_argv(leak_names[i]));
        int n = tu_children(pid, kids, 4, 2, 10000), st;

        cr_assert_geq(n, 2, "%s: the run did not start", leak_names[i]);
        ms_sleep(150);          /* well into the run */
        cr_assert_eq(kill(kids[0], SIGKILL), 0);    /* forked first */
        st = tu_wait_status(pid);
        cr_expect_neq(st, 0, "%s: a killed run reported success",
                      leak_names[i]);
        cr_expect_lt(st, 128, "%s: the harness died (status %d)",
                     leak_names[i], st);
        expect_nothing_of(pid, leak_names[i]);
    }
    tu_expect_no_leftovers(&before);
    tu_exclusive_end();
}

Test(shm, sigint_of_the_harness_leaves_nothing_behind, .timeout = 60)
{
    struct tu_leftovers before;

    tu_exclusive_begin();
    tu_leftovers(&before);
    for (size_t i = 0; i < 4; i++) {
        pid_t kids[4];
        pid_t pid = tu_spawn("ipclab", run_argv(leak_names[i]));
        int n = tu_children(pid, kids, 4, 2, 10000);

        cr_assert_geq(n, 2, "%s: the run did not start", leak_names[i]);
        ms_sleep(150);
        cr_assert_eq(kill(pid, SIGINT), 0);
        cr_expect_eq(tu_wait_status(pid), 130, "%s: SIGINT should end the "
                                               "run with status 130",
                     leak_names[i]);
        expect_nothing_of(pid, leak_names[i]);
    }
    tu_expect_no_leftovers(&before);
    tu_exclusive_end();
}
