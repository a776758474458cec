/* test_shm_objects.c - the kernel objects of the shared-memory transports:
 * the System V segment is private and 0600, the POSIX object unguessable,
 * 0600 and nameless once both sides hold it, the mmap file 0600 and already
 * unlinked; and nothing is left behind, after a run, after SIGKILL of the
 * consumer and after SIGINT of the harness.  The data path and the options
 * are tested in tests/test_shm.c. */
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

static void ms_sleep(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

    nanosleep(&ts, NULL);
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

Test(shm_objects, sysv_segment_is_private_and_0600, .timeout = 10)
{
    struct tp_channel ch;
    long key = -1;
    unsigned perms = 0;

    tu_shared_begin();          /* a segment: keep leftover checks off */
    create_alone(&ch, "sysv_shm/futex");
    cr_expect_eq(find_sysv_segment(&key, &perms), 1);
    cr_expect_eq(key, 0, "key %ld: not IPC_PRIVATE", key);
    cr_expect_eq(perms & 0777, 0600, "mode %o", perms & 0777);
    ch.tp->destroy(&ch);
    cr_expect_eq(find_sysv_segment(&key, &perms), 0,
                 "destroy() left the segment");
    tu_shared_end();
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
Test(shm_objects, posix_object_is_unguessable_0600_and_nameless_after_create,
     .timeout = 10)
{
    struct tp_channel a, b;
    char paths[4][PATH_MAX], prefix[64];
    unsigned modes[4];

    snprintf(prefix, sizeof(prefix), "/dev/shm/ipclab-%ld-",
             (long)getpid());
    tu_shared_begin();          /* /dev/shm names: keep leftover checks off */
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
    tu_shared_end();
}

Test(shm_objects, mmap_file_is_0600_and_already_unlinked, .timeout = 10)
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

Test(shm_objects, a_run_leaves_nothing_behind, .timeout = 60)
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

Test(shm_objects, sigkill_of_the_consumer_leaves_nothing_behind, .timeout = 60)
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

Test(shm_objects, sigint_of_the_harness_leaves_nothing_behind, .timeout = 60)
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
