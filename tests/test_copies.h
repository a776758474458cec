/* test_copies.h - helpers shared by the tests of the copy-avoiding
 * mechanisms (test_copies*.c): a run in a child whose system calls a
 * seccomp filter refuses, to see a refusal become an n/a row. */
#ifndef IPCLAB_TEST_COPIES_H
#define IPCLAB_TEST_COPIES_H

#include <criterion/criterion.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_util.h"

/* Make the listed system calls fail with EPERM in this process and its
 * children (seccomp(2), a BPF filter: the architecture, then the number). */
static inline int copies_refuse_syscalls(const int *nrs, int n)
{
    struct sock_filter f[32];
    struct sock_fprog prog;
    int k = 0;

    if (n > 24)
        return -1;
    f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
        offsetof(struct seccomp_data, arch));
    f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
        AUDIT_ARCH_X86_64, 1, 0);
    f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
        SECCOMP_RET_ALLOW);
    f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
        offsetof(struct seccomp_data, nr));
    for (int i = 0; i < n; i++)         /* match: jump to the EPERM below */
        f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
            (unsigned)nrs[i], (unsigned char)(n - i), 0);
    f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
        SECCOMP_RET_ALLOW);
    f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
        SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA));
    prog.len = (unsigned short)k;
    prog.filter = f;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
        return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/* One run of transport in a child where the system calls nrs[0..n) are
 * refused; the child's result comes back through a pipe. */
static inline void copies_run_refused(const char *transport,
                                      enum tp_mode mode, size_t size,
                                      const int *nrs, int n,
                                      struct bench_result *res)
{
    const struct transport *tp = transport_find(transport);
    int fds[2], status;
    pid_t pid;

    cr_assert_not_null(tp, "%s is not linked in", transport);
    cr_assert_eq(pipe(fds), 0);
    pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        struct bench_config cfg = tu_config();
        struct bench_result r;
        char err[ERR_LEN];

        close(fds[0]);
        if (copies_refuse_syscalls(nrs, n) == -1 ||
            bench_run(&cfg, tp, mode, size, &r, err) != 0)
            _exit(1);
        _exit(write(fds[1], &r, sizeof(r)) == (ssize_t)sizeof(r) ? 0 : 1);
    }
    close(fds[1]);
    cr_assert_eq(read(fds[0], res, sizeof(*res)), (ssize_t)sizeof(*res),
                 "%s: the refused run's child reported nothing", transport);
    close(fds[0]);
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A refused run is an n/a row, not_permitted, whose reason has `words`. */
static inline void copies_expect_na(const char *transport, enum tp_mode mode,
                                    const int *nrs, int n, const char *words)
{
    struct bench_result res;

    copies_run_refused(transport, mode, 4096, nrs, n, &res);
    cr_expect_eq(res.status, RES_NA, "%s refused: status %s, %s", transport,
                 bench_status_name(res.status), res.reason);
    cr_expect_eq(res.code, CODE_NOT_PERMITTED, "%s refused: code %s",
                 transport, bench_code_name(res.code));
    cr_expect_not_null(strstr(res.reason, words), "%s: reason \"%s\" "
                       "does not say \"%s\"", transport, res.reason, words);
}

#endif
