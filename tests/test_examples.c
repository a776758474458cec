/* test_examples.c - the programs of examples/: each one runs alone with
 * small arguments, prints its one result line and exits 0; refuses bad
 * arguments with exit 2; and leaves nothing behind, neither after a run nor
 * when one of its children is killed or it is told to stop (SIGTERM).
 *
 * Leftovers are counted exactly, not machine-wide: each example runs in a
 * child that first enters a new IPC namespace (its own System V objects and
 * POSIX queues, listed by /proc/sysvipc/ and a private mqueue mount) and a
 * new mount namespace with a fresh tmpfs on /dev/shm, and with TMPDIR set
 * to an empty directory.  After the run every one of these must be empty,
 * whatever other tests do meanwhile.  Where namespaces are not permitted
 * the test is skipped with the reason, never passed.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"

enum ex_kill { KILL_NONE, KILL_CHILD, KILL_PARENT };

struct ex_case {
    char name[24];              /* examples/NAME.c */
    char size[8], bytes[8];     /* arguments */
    enum ex_kill kill;
};

/* What the isolated child saw, in memory shared with the test. */
struct ex_seen {
    int setup_errno;            /* namespaces refused: skip */
    char setup_call[32];
    int status;                 /* the example's exit status, 128+signal */
    char out[512];              /* its stdout and stderr */
    int sysv_msg, sysv_shm, sysv_sem, mqueues, dev_shm, tmp_entries;
    int children_seen;          /* KILL_*: the example had its two children */
};

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static int count_lines_after_header(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[512];
    int n = -1;

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL)
        n++;
    fclose(f);
    return n;
}

static void ms_sleep(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    nanosleep(&ts, NULL);
}

/* The example's children (/proc/PID/task/PID/children), up to 2. */
static int children_of(pid_t pid, pid_t kids[2])
{
    char path[64];
    FILE *f;
    int n = 0;
    long k;

    snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children", (long)pid,
             (long)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return 0;
    while (n < 2 && fscanf(f, "%ld", &k) == 1)
        kids[n++] = (pid_t)k;
    fclose(f);
    return n;
}

/* In the isolated child: start the example with TMPDIR=tmp, capture its
 * output, kill what the case says, wait. */
static void run_example(const struct ex_case *c, const char *tmp,
                        struct ex_seen *seen)
{
    char *argv[] = { (char *)c->name, (char *)c->size, (char *)c->bytes,
                     NULL };
    char prog[64];
    int pfd[2], status;
    size_t used = 0;
    pid_t pid, kids[2];
    ssize_t n;

    snprintf(prog, sizeof(prog), "examples/%s", c->name);
    if (pipe(pfd) == -1)
        _exit(3);
    pid = fork();
    if (pid == -1)
        _exit(3);
    if (pid == 0) {
        dup2(pfd[1], 1);
        dup2(pfd[1], 2);
        close(pfd[0]);
        close(pfd[1]);
        setenv("TMPDIR", tmp, 1);
        execv(tu_bin(prog), argv);
        _exit(127);
    }
    close(pfd[1]);
    if (c->kill != KILL_NONE) {
        for (int i = 0; i < 500 && children_of(pid, kids) < 2; i++)
            ms_sleep(10);
        seen->children_seen = children_of(pid, kids) == 2;
        ms_sleep(30);                   /* mid-run */
        if (seen->children_seen)
            kill(c->kill == KILL_CHILD ? kids[0] : pid,
                 c->kill == KILL_CHILD ? SIGKILL : SIGTERM);
    }
    while ((n = read(pfd[0], seen->out + used,
                     sizeof(seen->out) - 1 - used)) > 0)
        used += (size_t)n;
    seen->out[used] = '\0';
    close(pfd[0]);
    if (waitpid(pid, &status, 0) == -1)
        _exit(3);
    seen->status = WIFEXITED(status) ? WEXITSTATUS(status)
                                     : 128 + WTERMSIG(status);
}

/* Fork a child that isolates itself, runs the example and counts what is
 * left in its namespaces. */
static void run_isolated(const struct ex_case *c, struct ex_seen *seen)
{
    char base[] = "/tmp/extest-XXXXXX", tmp[64], mq[64];
    int status;
    pid_t pid;

    memset(seen, 0, sizeof(*seen));
    cr_assert_not_null(mkdtemp(base), "mkdtemp: %s", strerror(errno));
    snprintf(tmp, sizeof(tmp), "%s/tmp", base);
    snprintf(mq, sizeof(mq), "%s/mq", base);
    cr_assert_eq(mkdir(tmp, 0700), 0);
    cr_assert_eq(mkdir(mq, 0700), 0);
    pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
#define SETUP(call, what)                                                  \
        if ((call) == -1) {                                                \
            seen->setup_errno = errno;                                     \
            snprintf(seen->setup_call, sizeof(seen->setup_call), what);    \
            _exit(0);                                                      \
        }
        SETUP(unshare(CLONE_NEWIPC | CLONE_NEWNS), "unshare");
        SETUP(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL),
              "mount private");
        SETUP(mount("tmpfs", "/dev/shm", "tmpfs", 0, "size=64m,mode=1777"),
              "mount tmpfs");
        SETUP(mount("mqueue", mq, "mqueue", 0, NULL), "mount mqueue");
        run_example(c, tmp, seen);
        seen->sysv_msg = count_lines_after_header("/proc/sysvipc/msg");
        seen->sysv_shm = count_lines_after_header("/proc/sysvipc/shm");
        seen->sysv_sem = count_lines_after_header("/proc/sysvipc/sem");
        seen->mqueues = count_entries(mq);
        seen->dev_shm = count_entries("/dev/shm");
        seen->tmp_entries = count_entries(tmp);
        _exit(0);       /* the namespaces and their mounts go with it */
    }
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    rmdir(tmp);
    rmdir(mq);
    rmdir(base);
    cr_assert_eq(status, 0, "the isolating child failed (%d)", status);
    if (seen->setup_errno != 0)
        cr_skip_test("no private namespaces here (%s: %s): the leftover "
                     "checks need them", seen->setup_call,
                     strerror(seen->setup_errno));
}

static void expect_nothing_left(const struct ex_case *c,
                                const struct ex_seen *s)
{
    cr_expect_eq(s->sysv_msg, 0, "%s: System V queues left: %d", c->name,
                 s->sysv_msg);
    cr_expect_eq(s->sysv_shm, 0, "%s: System V segments left: %d", c->name,
                 s->sysv_shm);
    cr_expect_eq(s->sysv_sem, 0, "%s: semaphore sets left: %d", c->name,
                 s->sysv_sem);
    cr_expect_eq(s->mqueues, 0, "%s: POSIX queues left: %d", c->name,
                 s->mqueues);
    cr_expect_eq(s->dev_shm, 0, "%s: /dev/shm entries left: %d", c->name,
                 s->dev_shm);
    cr_expect_eq(s->tmp_entries, 0, "%s: $TMPDIR entries left: %d", c->name,
                 s->tmp_entries);
}

static struct ex_seen *shared_seen(void)
{
    struct ex_seen *s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE,
                             MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    cr_assert_neq(s, MAP_FAILED);
    return s;
}

/* ---- every example runs alone and exits 0 ------------------------------ */

ParameterizedTestParameters(examples, run_alone_exit_0_and_leave_nothing)
{
    static struct ex_case cases[] = {
        { "pipe", "4K", "1M", KILL_NONE },
        { "fifo", "4K", "1M", KILL_NONE },
        { "socketpair", "4K", "1M", KILL_NONE },
        { "unix_socket", "4K", "1M", KILL_NONE },
        { "sysv_msgq", "1K", "1M", KILL_NONE },
        { "posix_mq", "1K", "1M", KILL_NONE },
        { "sysv_shm", "4K", "1M", KILL_NONE },
        { "posix_shm", "4K", "1M", KILL_NONE },
        { "tcp", "4K", "1M", KILL_NONE },
        { "udp", "1K", "1M", KILL_NONE },
        { "rt_signal", "4", "16K", KILL_NONE },
    };

    return cr_make_param_array(struct ex_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct ex_case *c, examples,
                  run_alone_exit_0_and_leave_nothing, .timeout = 60)
{
    struct ex_seen *s = shared_seen();
    char want[64];

    run_isolated(c, s);
    cr_expect_eq(s->status, 0, "%s %s %s: exit %d: %s", c->name, c->size,
                 c->bytes, s->status, s->out);
    snprintf(want, sizeof(want), "%s: ", c->name);
    cr_expect(strncmp(s->out, want, strlen(want)) == 0 &&
                  strstr(s->out, " MB/s\n") != NULL,
              "%s: no result line: %s", c->name, s->out);
    expect_nothing_left(c, s);
    munmap(s, sizeof(*s));
}

/* ---- a failure mid-run still cleans up ---------------------------------- */

ParameterizedTestParameters(examples,
                            clean_up_when_a_child_dies_or_told_to_stop)
{
    /* 64 GiB of small messages: far more than the ~40 ms before the kill */
    static struct ex_case cases[] = {
        { "fifo", "64", "64G", KILL_CHILD },
        { "unix_socket", "64", "64G", KILL_CHILD },
        { "sysv_msgq", "64", "64G", KILL_CHILD },
        { "posix_mq", "64", "64G", KILL_CHILD },
        { "sysv_shm", "64", "64G", KILL_CHILD },
        { "posix_shm", "64", "64G", KILL_CHILD },
        { "fifo", "64", "64G", KILL_PARENT },
        { "sysv_msgq", "64", "64G", KILL_PARENT },
        { "posix_shm", "64", "64G", KILL_PARENT },
    };

    return cr_make_param_array(struct ex_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct ex_case *c, examples,
                  clean_up_when_a_child_dies_or_told_to_stop, .timeout = 60)
{
    struct ex_seen *s = shared_seen();

    run_isolated(c, s);
    cr_assert(s->children_seen, "%s never had its two children: %s",
              c->name, s->out);
    cr_expect_eq(s->status, 1, "%s, %s killed: exit %d, not 1: %s", c->name,
                 c->kill == KILL_CHILD ? "a child" : "the parent",
                 s->status, s->out);
    expect_nothing_left(c, s);
    munmap(s, sizeof(*s));
}

/* ---- bad arguments: one line, exit 2 ----------------------------------- */

Test(examples, refuse_bad_arguments_with_exit_2, .timeout = 30)
{
    static const char *const bad[][3] = {
        { "pipe", "0", NULL },          /* size 0 */
        { "pipe", "4X", NULL },         /* junk */
        { "tcp", "-1", NULL },
        { "fifo", "64", "1Q" },
        { "udp", "65508", NULL },       /* over a datagram */
        { "rt_signal", "8", NULL },     /* a signal carries 4 bytes */
    };
    char out[512];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char prog[64];
        char *argv[] = { (char *)bad[i][0], (char *)bad[i][1],
                         (char *)bad[i][2], NULL };
        int st;

        snprintf(prog, sizeof(prog), "examples/%s", bad[i][0]);
        st = tu_cli(prog, argv, out, sizeof(out));
        cr_expect_eq(st, 2, "%s %s %s: exit %d: %s", bad[i][0], bad[i][1],
                     bad[i][2] ? bad[i][2] : "", st, out);
        cr_expect(strchr(out, '\n') != NULL &&
                      strchr(out, '\n')[1] == '\0',
                  "%s %s: not one line: %s", bad[i][0], bad[i][1], out);
    }
}
