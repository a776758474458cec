/* example.h - the few helpers every program in examples/ needs, so that
 * each program shows only its mechanism.  Everything here is `static`: a
 * program is one file plus this header (cc -O2 pipe.c -lrt works).
 *
 * Every example has the same shape:
 *
 *      parent:   parse "SIZE BYTES CPU_PRODUCER CPU_CONSUMER"
 *                create the kernel object; atexit(cleanup)
 *                fork consumer, fork producer
 *                ex_reap(): wait for both (one fails or the run is
 *                interrupted: stop the other), then cleanup runs at exit
 *      consumer: ex_child(); open its side; tell "ready"; receive N
 *                messages; write the end time
 *      producer: ex_child(); open its side; wait for "ready"; write the
 *                start time; send N messages
 *
 * The two times go in a page shared by all three processes (ex_clock()),
 * and the parent prints one line ending in "MB/s" (10^6 bytes per
 * second).  The clock runs from the producer's first send to the
 * consumer's last receive, as in the ipclab harness.
 */
#ifndef IPCLAB_EXAMPLE_H
#define IPCLAB_EXAMPLE_H

#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *ex_name = "example";     /* the program, for messages */
static int ex_in_child;                     /* children leave with _exit */
static volatile sig_atomic_t ex_stop;       /* parent: SIGINT/TERM/HUP */

/* Print "NAME: CALL: strerror (ENAME)" and leave: exit(1) in the parent,
 * so atexit() clean-up runs; _exit(1) in a child, which owns nothing. */
__attribute__((unused, noreturn)) static void errExit(const char *call)
{
    int e = errno;
    const char *ename = strerrorname_np(e);

    fprintf(stderr, "%s: %s: %s (%s)\n", ex_name, call, strerror(e),
            ename != NULL ? ename : "?");
    if (ex_in_child)
        _exit(1);
    exit(1);
}

/* Bad input: one line, exit status 2, before anything is created. */
__attribute__((unused, noreturn, format(printf, 1, 2)))
static void usageErr(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", ex_name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

/* "64", "4K", "1M", "1G" (binary multiples); junk, 0 or overflow refused. */
static uint64_t ex_size(const char *what, const char *s)
{
    char *end;
    unsigned long long v;
    unsigned shift = 0;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (s[0] < '0' || s[0] > '9' || errno != 0 || end == s)
        usageErr("%s: not a size: '%s' (64, 4K, 1M, 1G)", what, s);
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    }
    if (*end != '\0' || v == 0 || v > (UINT64_MAX >> 1 >> shift))
        usageErr("%s: not a size: '%s' (64, 4K, 1M, 1G)", what, s);
    return (uint64_t)v << shift;
}

struct ex_args {
    size_t size;                /* bytes per message */
    uint64_t count;             /* messages: BYTES / SIZE, at least one */
    int cpu[2];                 /* producer, consumer; -1: not pinned */
};

/* usage: NAME [SIZE [BYTES [CPU_PRODUCER CPU_CONSUMER]]] */
__attribute__((unused)) static void ex_args(int argc, char **argv,
                                            const char *name,
                                            size_t default_size,
                                            uint64_t default_bytes,
                                            struct ex_args *a)
{
    uint64_t bytes = default_bytes;

    ex_name = name;
    if (argc > 5 || argc == 4 ||
        (argc > 1 && (strcmp(argv[1], "-h") == 0 ||
                      strcmp(argv[1], "--help") == 0)))
        usageErr("usage: %s [SIZE [BYTES [CPU_PRODUCER CPU_CONSUMER]]] "
                 "(defaults %zu %llu, not pinned)", name, default_size,
                 (unsigned long long)default_bytes);
    a->size = argc > 1 ? (size_t)ex_size("SIZE", argv[1]) : default_size;
    if (argc > 2)
        bytes = ex_size("BYTES", argv[2]);
    a->count = bytes / a->size > 0 ? bytes / a->size : 1;
    a->cpu[0] = a->cpu[1] = -1;
    for (int i = 0; argc == 5 && i < 2; i++) {
        char *end;
        long cpu = strtol(argv[3 + i], &end, 10);

        if (end == argv[3 + i] || *end != '\0' || cpu < -1 ||
            cpu >= CPU_SETSIZE)
            usageErr("not a CPU number (-1: not pinned): '%s'", argv[3 + i]);
        a->cpu[i] = (int)cpu;
    }
}

/* Move exactly len bytes through a stream (pipe, FIFO, stream socket):
 * a transfer may be short and a signal may interrupt it, so loop.  A read
 * that meets end of file before len means the writer is gone. */
__attribute__((unused)) static void ex_write_full(int fd, const char *buf,
                                                  size_t len)
{
    for (size_t done = 0; done < len;) {
        ssize_t n = write(fd, buf + done, len - done);

        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            errExit("write");
        done += (size_t)n;
    }
}

__attribute__((unused)) static void ex_read_full(int fd, char *buf,
                                                 size_t len)
{
    for (size_t done = 0; done < len;) {
        ssize_t n = read(fd, buf + done, len - done);

        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            errExit("read");
        if (n == 0) {
            errno = EPIPE;
            errExit("read (end of file: the writer is gone)");
        }
        done += (size_t)n;
    }
}

static uint64_t ex_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Numbers shared by parent and children: [0] start time, [1] end time,
 * [2] messages the consumer received (for a lossy mechanism). */
__attribute__((unused)) static uint64_t *ex_clock(void)
{
    uint64_t *t = mmap(NULL, 3 * sizeof(*t), PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    if (t == MAP_FAILED)
        errExit("mmap");
    return t;
}

/* A name nobody can predict, for shm_open/mq_open: "/ipclab-PID-RANDOM".
 * The pid says whose it is, O_EXCL refuses anyone else's. */
__attribute__((unused)) static void ex_unique_name(char *out, size_t len)
{
    snprintf(out, len, "/ipclab-%ld-%08lx", (long)getpid(),
             (unsigned long)(ex_now_ns() ^ ((uint64_t)rand() << 16)));
}

/* A private 0700 directory, "$TMPDIR/ipclab-PID-XXXXXX", for a FIFO or a
 * socket: nobody else can create or open names in it. */
__attribute__((unused)) static void ex_private_dir(char *out, size_t len)
{
    const char *tmp = getenv("TMPDIR");

    if (tmp == NULL || tmp[0] == '\0')
        tmp = "/tmp";
    snprintf(out, len, "%s/ipclab-%ld-XXXXXX", tmp, (long)getpid());
    if (mkdtemp(out) == NULL)
        errExit("mkdtemp");
}

static void ex_on_signal(int sig)
{
    ex_stop = sig;
}

/* Parent, before creating anything: SIGINT, SIGTERM and SIGHUP only set a
 * flag, so the parent stops its children and still runs its clean-up. */
__attribute__((unused)) static void ex_catch_signals(void)
{
    struct sigaction sa;
    const int sigs[] = { SIGINT, SIGTERM, SIGHUP };

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = ex_on_signal;   /* no SA_RESTART: wait() returns EINTR */
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        if (sigaction(sigs[i], &sa, NULL) == -1)
            errExit("sigaction");
}

/* First thing in each child: default signal actions, errors end the child
 * with _exit, and pin it to its CPU. */
__attribute__((unused)) static void ex_child(int cpu)
{
    cpu_set_t set;

    ex_in_child = 1;
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    if (cpu < 0)
        return;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) == -1)
        errExit("sched_setaffinity");
}

/* Parent: wait for both children.  When one fails, or the parent is asked
 * to stop, the other is killed (a consumer whose producer died would wait
 * for ever).  0 when both exited 0. */
__attribute__((unused)) static int ex_reap(const pid_t pid[2])
{
    int left = 2, failed = 0, status;

    while (left > 0) {
        pid_t done = waitpid(-1, &status, 0);

        if (done == -1 && errno == EINTR) {
            if (ex_stop && !failed) {
                failed = 1;
                kill(pid[0], SIGKILL);
                kill(pid[1], SIGKILL);
            }
            continue;
        }
        if (done == -1)
            errExit("waitpid");
        if (done != pid[0] && done != pid[1])
            continue;
        left--;
        if (status != 0 && !failed) {
            failed = 1;
            kill(done == pid[0] ? pid[1] : pid[0], SIGKILL);
        }
    }
    if (ex_stop)
        fprintf(stderr, "%s: interrupted by signal %d\n", ex_name,
                (int)ex_stop);
    return failed || ex_stop ? -1 : 0;
}

/* The result line:
 * "NAME: N messages of SIZE bytes in S s (M msg/s): R MB/s". */
__attribute__((unused)) static void ex_report(const struct ex_args *a,
                                              uint64_t received,
                                              const uint64_t *t)
{
    double s = t[1] > t[0] ? (double)(t[1] - t[0]) / 1e9 : 0.0;

    printf("%s: %llu messages of %zu bytes in %.3f s (%.0f msg/s): "
           "%.1f MB/s\n", ex_name, (unsigned long long)received, a->size, s,
           s > 0 ? (double)received / s : 0.0,
           s > 0 ? (double)received * (double)a->size / s / 1e6 : 0.0);
}

#endif
