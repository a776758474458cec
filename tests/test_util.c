/* test_util.c - helpers shared by the Criterion tests (see test_util.h). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"

#ifndef IPCLAB_BINDIR
#define IPCLAB_BINDIR "bin"
#endif

/* ---- the lock that keeps leftover checks honest under --jobs 2 -------- */

static int lock_fd = -1;
static int lock_exclusive;

/* The lock is on the directory /dev/shm, which every machine has and
 * every test binary opens alike: two checkouts testing at once (or the
 * normal and the sanitized build) then wait for each other's leftover
 * checks too, which a lock on each binary did not do.  Where /dev/shm
 * cannot be opened, the test binary itself. */
static void lock_take(int op)
{
    if (lock_fd < 0)
        lock_fd = open("/dev/shm", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (lock_fd < 0) {
        lock_fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        cr_assert(lock_fd >= 0, "open /proc/self/exe: %s", strerror(errno));
    }
    while (flock(lock_fd, op) == -1)
        cr_assert(errno == EINTR, "flock: %s", strerror(errno));
}

static void lock_shared_begin(void)
{
    if (!lock_exclusive)
        lock_take(LOCK_SH);
}

static void lock_shared_end(void)
{
    if (!lock_exclusive)
        lock_take(LOCK_UN);
}

void *tu_option_value(const char *name)
{
    for (size_t i = 0; i < tp_options_count(); i++) {
        const struct tp_option *o = tp_options_begin()[i];

        if (strcmp(o->name, name) == 0)
            return o->value;
    }
    cr_assert_fail("no option --%s", name);
    return NULL;
}

void tu_shared_begin(void)
{
    lock_shared_begin();
}

void tu_shared_end(void)
{
    lock_shared_end();
}

void tu_exclusive_begin(void)
{
    lock_take(LOCK_EX);
    lock_exclusive = 1;
}

void tu_exclusive_end(void)
{
    lock_exclusive = 0;
    lock_take(LOCK_UN);
}

/* ---- running cells ----------------------------------------------------- */

struct bench_config tu_config(void)
{
    struct bench_config cfg;

    bench_config_defaults(&cfg);
    cfg.placement = PLACE_OS;
    cfg.warmup = 0;
    cfg.reps = 1;
    cfg.bytes = 1u << 20;
    cfg.iterations = 64;
    cfg.timeout_s = 30;
    return cfg;
}

void tu_run_cfg(const struct bench_config *cfg, const char *transport,
                enum tp_mode mode, size_t size, struct bench_result *res)
{
    const struct transport *tp = transport_find(transport);
    struct bench_config c = *cfg;
    char err[ERR_LEN] = "";
    int rc;

    cr_assert_not_null(tp, "transport %s is not linked in", transport);
    if (mode == MODE_THROUGHPUT && c.bytes < 16 * (uint64_t)size)
        c.bytes = 16 * (uint64_t)size;      /* at least 16 messages */
    lock_shared_begin();
    rc = bench_run(&c, tp, mode, size, res, err);
    lock_shared_end();
    cr_assert_eq(rc, 0, "bench_run(%s): %s", transport, err);
}

void tu_run(const char *transport, enum tp_mode mode, size_t size,
            struct bench_result *res)
{
    struct bench_config cfg = tu_config();

    tu_run_cfg(&cfg, transport, mode, size, res);
}

void tu_assert_moves_every_byte(const char *transport, size_t size)
{
    struct bench_config cfg = tu_config();
    struct bench_result res;
    uint64_t bytes = (uint64_t)size * 256;

    /* few messages, whatever the mechanism costs per message: 256 of them,
     * at least 64 KiB in all (1-byte messages), at most 4 MiB; 64 round
     * trips, 16 above 1 MiB */
    cfg.verify = VERIFY_FULL;
    cfg.bytes = bytes < (64u << 10) ? 64u << 10
                : bytes > (4u << 20) ? 4u << 20 : bytes;
    cfg.iterations = size > (1u << 20) ? 16 : 64;
    cfg.timeout_s = 60;
    for (int m = 0; m < 2; m++) {
        tu_run_cfg(&cfg, transport, (enum tp_mode)m, size, &res);
        cr_assert_eq(res.status, RES_OK, "%s %s size %zu: %s", transport,
                     bench_mode_name((enum tp_mode)m), size, res.reason);
        cr_assert_eq(res.verified, 1, "%s %s size %zu: not verified",
                     transport, bench_mode_name((enum tp_mode)m), size);
        cr_assert_gt(res.messages, 0);
    }
}

/* ---- leftovers --------------------------------------------------------- */

static int count_lines_after(const char *path, int skip)
{
    FILE *f = fopen(path, "r");
    char line[512];
    int n = 0;

    if (f == NULL)
        return 0;
    while (fgets(line, sizeof(line), f) != NULL)
        n++;
    fclose(f);
    return n > skip ? n - skip : 0;
}

static int count_entries(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (prefix == NULL || strncmp(e->d_name, prefix, strlen(prefix)) == 0)
            n++;
    }
    closedir(d);
    return n;
}

void tu_leftovers(struct tu_leftovers *now)
{
    const char *tmp = getenv("TMPDIR");

    now->sysv_shm = count_lines_after("/proc/sysvipc/shm", 1);
    now->sysv_msg = count_lines_after("/proc/sysvipc/msg", 1);
    now->sysv_sem = count_lines_after("/proc/sysvipc/sem", 1);
    /* Only ours: every name ipclab makes starts "ipclab-" (unique_name);
     * Criterion's own workers come and go in /dev/shm as "bxfi_PID". */
    now->dev_shm = count_entries("/dev/shm", "ipclab-");
    now->dev_mqueue = count_entries("/dev/mqueue", "ipclab-");
    now->tmp_dirs = count_entries(tmp != NULL && tmp[0] ? tmp : "/tmp",
                                  "ipclab-");
    now->open_fds = count_entries("/proc/self/fd", NULL);
}

void tu_expect_no_leftovers(const struct tu_leftovers *before)
{
    struct tu_leftovers now;
    int status;

    tu_leftovers(&now);
    cr_expect_eq(now.sysv_shm, before->sysv_shm, "SysV shm segments: %d -> %d",
                 before->sysv_shm, now.sysv_shm);
    cr_expect_eq(now.sysv_msg, before->sysv_msg, "SysV msg queues: %d -> %d",
                 before->sysv_msg, now.sysv_msg);
    cr_expect_eq(now.sysv_sem, before->sysv_sem, "SysV semaphores: %d -> %d",
                 before->sysv_sem, now.sysv_sem);
    cr_expect_eq(now.dev_shm, before->dev_shm, "/dev/shm entries: %d -> %d",
                 before->dev_shm, now.dev_shm);
    cr_expect_eq(now.dev_mqueue, before->dev_mqueue,
                 "/dev/mqueue entries: %d -> %d", before->dev_mqueue,
                 now.dev_mqueue);
    cr_expect_eq(now.tmp_dirs, before->tmp_dirs,
                 "ipclab-* temp dirs: %d -> %d", before->tmp_dirs,
                 now.tmp_dirs);
    cr_expect_eq(now.open_fds, before->open_fds, "open fds: %d -> %d",
                 before->open_fds, now.open_fds);
    errno = 0;
    cr_expect(waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD,
              "a child process is left (zombie or running)");
}

/* ---- driving the programs ---------------------------------------------- */

const char *tu_bin(const char *prog)
{
    static __thread char path[4096];

    snprintf(path, sizeof(path), "%s/%s", IPCLAB_BINDIR, prog);
    return path;
}

static int decode_status(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

int tu_cli(const char *prog, char *const argv[], char *out, size_t outlen)
{
    int pfd[2], status;
    size_t used = 0;
    pid_t pid;

    cr_assert_eq(pipe(pfd), 0, "pipe: %s", strerror(errno));
    lock_shared_begin();
    pid = fork();
    cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
    if (pid == 0) {
        dup2(pfd[1], 1);
        dup2(pfd[1], 2);
        close(pfd[0]);
        close(pfd[1]);
        execv(tu_bin(prog), argv);
        _exit(127);
    }
    close(pfd[1]);
    for (;;) {
        char sink[4096];
        ssize_t n;

        if (used + 1 < outlen)
            n = read(pfd[0], out + used, outlen - 1 - used);
        else
            n = read(pfd[0], sink, sizeof(sink));
        if (n > 0 && used + 1 < outlen)
            used += (size_t)n;
        else if (n == 0 || (n < 0 && errno != EINTR))
            break;
    }
    if (outlen > 0)
        out[used] = '\0';
    close(pfd[0]);
    while (waitpid(pid, &status, 0) == -1)
        cr_assert_eq(errno, EINTR, "waitpid: %s", strerror(errno));
    lock_shared_end();
    return decode_status(status);
}

pid_t tu_spawn(const char *prog, char *const argv[])
{
    pid_t pid = fork();

    cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);

        dup2(null, 1);
        dup2(null, 2);
        execv(tu_bin(prog), argv);
        _exit(127);
    }
    return pid;
}

int tu_wait_status(pid_t pid)
{
    int status;

    while (waitpid(pid, &status, 0) == -1)
        cr_assert_eq(errno, EINTR, "waitpid: %s", strerror(errno));
    return decode_status(status);
}

static int read_children(pid_t pid, pid_t *out, int max)
{
    char path[64], buf[4096];
    int n = 0, fd;
    ssize_t len;

    snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid,
             (int)pid);
    fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    len = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (len <= 0)
        return 0;
    buf[len] = '\0';
    for (char *p = buf; *p != '\0' && n < max;) {
        char *end;
        long v = strtol(p, &end, 10);

        if (end == p)
            break;
        out[n++] = (pid_t)v;
        p = end;
    }
    return n;
}

int tu_children(pid_t pid, pid_t *out, int max, int want, int timeout_ms)
{
    int n = 0;

    for (int waited = 0; waited <= timeout_ms; waited += 10) {
        struct timespec ts = { 0, 10 * 1000 * 1000 };

        n = read_children(pid, out, max);
        if (n >= want)
            break;
        nanosleep(&ts, NULL);
    }
    return n;
}
