/* cli_trace.c - a suite program run under ptrace(2), stdout and stderr in
 * memfds; see cli_trace.h.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_trace.h"
#include "test_util.h"

/* Read what a memfd holds into buf (NUL-terminated, truncated). */
static void memfd_slurp(int fd, char *buf, size_t len)
{
    ssize_t n;
    size_t used = 0;

    cr_assert_neq(lseek(fd, 0, SEEK_SET), -1, "lseek: %s", strerror(errno));
    while (used + 1 < len && (n = read(fd, buf + used, len - 1 - used)) != 0) {
        cr_assert(n > 0 || errno == EINTR, "read: %s", strerror(errno));
        if (n > 0)
            used += (size_t)n;
    }
    buf[used] = '\0';
    close(fd);
}

long trace_fsize;                       /* cli_trace.h */
int trace_off;

/* Run a suite program under ptrace(2) (cli_trace.h). */
int run_traced(char *const argv[], char *out, size_t outlen, char *err,
               size_t errlen, int *forks)
{
    int fo = memfd_create("stdout", 0), fe = memfd_create("stderr", 0);
    int status, first = 1;
    pid_t pid, w;

    cr_assert(fo >= 0 && fe >= 0, "memfd_create: %s", strerror(errno));
    *forks = 0;
    pid = fork();
    cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
    if (pid == 0) {
        const char *asan = getenv("ASAN_OPTIONS");
        char opts[1024];

        /* LeakSanitizer ptraces the process at exit: not under a tracer */
        snprintf(opts, sizeof(opts), "%s%sdetect_leaks=0", asan ? asan : "",
                 asan ? ":" : "");
        if (!trace_off)
            setenv("ASAN_OPTIONS", opts, 1);
        if (trace_fsize > 0) {          /* writes past it fail with EFBIG */
            struct rlimit rl = { (rlim_t)trace_fsize, (rlim_t)trace_fsize };

            if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR ||
                setrlimit(RLIMIT_FSIZE, &rl) == -1)
                _exit(125);
        }
        if (dup2(fo, 1) == -1 || dup2(fe, 2) == -1 ||
            (!trace_off && ptrace(PTRACE_TRACEME, 0, NULL, NULL) == -1))
            _exit(126);
        execv(tu_bin(argv[0]), argv);
        _exit(127);
    }
    for (;;) {
        int sig = 0, event;

        w = waitpid(-1, &status, __WALL);
        if (w == -1) {
            cr_assert_eq(errno, EINTR, "waitpid: %s", strerror(errno));
            continue;
        }
        if (w != pid) {                 /* a child it forked: end it */
            if (WIFSTOPPED(status))
                kill(w, SIGKILL);
            continue;
        }
        if (WIFEXITED(status) || WIFSIGNALED(status))
            break;
        cr_assert(!trace_off, "stopped while not traced");
        event = status >> 16;
        if (first) {                    /* the stop after execv */
            cr_assert_eq(ptrace(PTRACE_SETOPTIONS, pid, NULL,
                                PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
                                PTRACE_O_EXITKILL), 0,
                         "PTRACE_SETOPTIONS: %s", strerror(errno));
            first = 0;
        } else if (event == PTRACE_EVENT_FORK ||
                   event == PTRACE_EVENT_VFORK) {
            (*forks)++;
        } else if (WSTOPSIG(status) != SIGTRAP) {
            sig = WSTOPSIG(status);     /* pass real signals on */
        }
        ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
    }
    while (waitpid(-1, NULL, __WALL | WNOHANG) > 0)
        ;                               /* any killed grandchild */
    memfd_slurp(fo, out, outlen);
    memfd_slurp(fe, err, errlen);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
