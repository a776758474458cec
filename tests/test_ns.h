/* test_ns.h - run part of a test in private IPC and mount namespaces, and
 * count everything a run can leave there.  Inside, the whole namespace is
 * the test's own: counts are exact whatever else runs on the machine, and
 * /dev/shm can be made as small as a test needs.  Include it from a file
 * that defines _GNU_SOURCE first (unshare, CLONE_NEWNS).
 */
#ifndef IPCLAB_TEST_NS_H
#define IPCLAB_TEST_NS_H

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_util.h"

/* Counts of everything a run can leave in the namespace. */
struct ipc_ns_counts {
    int sysv_shm, sysv_msg, dev_shm, mqueue, tmp_dirs, journals;
};

#define IPC_NS_MQ "/tmp/.ipclab-test-mqueue"  /* the namespace's mqueue fs */

/* bin/ipclab, opened before the fresh tmpfs hides /tmp: a tree cloned
 * under /tmp (git clone . /tmp/fresh) must still run it inside. */
static int ipc_ns_ipclab_fd = -1;

static inline int ipc_ns_count_dir(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.' &&
             strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

static inline int ipc_ns_count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[512];
    int n = -1;                 /* the header line */

    if (f == NULL)
        return 0;
    while (fgets(line, sizeof(line), f) != NULL)
        n++;
    fclose(f);
    return n < 0 ? 0 : n;
}

/* No cr_assert here: it runs in the namespace's child. */
static inline void ipc_ns_count(struct ipc_ns_counts *c)
{
    char journal[64];

    snprintf(journal, sizeof(journal), "/tmp/.ipclab-journal-%ld",
             (long)geteuid());
    c->sysv_shm = ipc_ns_count_lines("/proc/sysvipc/shm");
    c->sysv_msg = ipc_ns_count_lines("/proc/sysvipc/msg");
    c->dev_shm = ipc_ns_count_dir("/dev/shm", "");
    c->mqueue = ipc_ns_count_dir(IPC_NS_MQ, "");
    c->tmp_dirs = ipc_ns_count_dir("/tmp", "ipclab-");
    c->journals = ipc_ns_count_dir(journal, "");
}

/* Kernel objects and directories (journals apart). */
static inline int ipc_ns_total(const struct ipc_ns_counts *c)
{
    return c->sysv_shm + c->sysv_msg + c->dev_shm + c->mqueue + c->tmp_dirs;
}

/* Run fn(arg) in a child with private IPC and mount namespaces: a fresh
 * tmpfs of shm_size on /dev/shm and of 64M on /tmp, the namespace's mqueue
 * file system at IPC_NS_MQ (ipc_ns_spawn() runs bin/ipclab through a
 * descriptor opened before, so a tree under /tmp works).  Returns fn's
 * result (the child's exit status, 0..125), or skips the test, saying why,
 * where the namespaces or mounts are not permitted. */
static inline int ipc_in_private_ns(int (*fn)(void *), void *arg,
                                    const char *shm_size)
{
    char *why = mmap(NULL, 256, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pid_t pid;
    int st;

    cr_assert_neq(why, MAP_FAILED);
    why[0] = '\0';
    if (ipc_ns_ipclab_fd == -1)     /* -1 if absent: execv then says so */
        ipc_ns_ipclab_fd = open(tu_bin("ipclab"), O_RDONLY | O_CLOEXEC);
    pid = fork();
    cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
    if (pid == 0) {
        char opts[64];
        const char *step = "unshare(CLONE_NEWNS|CLONE_NEWIPC)";

        snprintf(opts, sizeof(opts), "size=%s,mode=1777", shm_size);
        if (unshare(CLONE_NEWNS | CLONE_NEWIPC) == 0 &&
            (step = "make / private",
             mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) == 0 &&
            (step = "mount tmpfs on /dev/shm",
             mount("tmpfs", "/dev/shm", "tmpfs", 0, opts)) == 0 &&
            (step = "mount tmpfs on /tmp",
             mount("tmpfs", "/tmp", "tmpfs", 0, "size=64M,mode=1777")) == 0 &&
            (step = "mount mqueue", mkdir(IPC_NS_MQ, 0700)) == 0 &&
            mount("mqueue", IPC_NS_MQ, "mqueue", 0, NULL) == 0)
            _exit(fn(arg));
        snprintf(why, 256, "%s: %s", step, strerror(errno));
        _exit(126);
    }
    while (waitpid(pid, &st, 0) == -1)
        cr_assert_eq(errno, EINTR);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 126) {
        char reason[256];

        snprintf(reason, sizeof(reason), "%s", why);
        munmap(why, 256);
        cr_skip_test("private namespaces not permitted here (%s)", reason);
    }
    munmap(why, 256);
    cr_assert(WIFEXITED(st), "the namespace's child died of signal %d",
              WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    return WEXITSTATUS(st);
}

/* Start bin/ipclab with output to /dev/null, without the tests' lock (for
 * the namespace's child: no cr_assert).  -1 when fork fails. */
static inline pid_t ipc_ns_spawn(char *const argv[])
{
    pid_t pid = fork();

    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);

        dup2(null, 1);
        dup2(null, 2);
        if (ipc_ns_ipclab_fd != -1)
            fexecve(ipc_ns_ipclab_fd, argv, environ);
        execv(tu_bin("ipclab"), argv);
        _exit(127);
    }
    return pid;
}

/* Its exit status, 128 + signal when killed; -1 on error. */
static inline int ipc_ns_wait(pid_t pid)
{
    int st;

    while (waitpid(pid, &st, 0) == -1)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#endif
