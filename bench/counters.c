/* counters.c - per-process event counters for the measured interval; see
 * counters.h.
 *
 * perf_event_open(2) with pid 0, cpu -1 counts the calling process on
 * whatever CPU it runs, and `inherit` carries the count into the threads
 * it creates.  Software events (context switches, migrations, faults) are
 * there on every kernel; the syscall count is the raw_syscalls:sys_enter
 * tracepoint, whose numeric id lives in tracefs
 * (events/raw_syscalls/sys_enter/id).  tracefs is often not mounted; the
 * id is the same in every mount namespace, so a short-lived child unshares
 * its mount namespace, mounts tracefs there, reads the id and exits:
 * nothing is mounted in ours.  Hardware events need a PMU, which most VMs
 * do not expose. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "counters.h"
#include "util.h"

static const char *const ctr_names[CTR_N] = {
    "ctxsw", "migrations", "faults", "syscalls", "cycles", "instructions",
    "cache_misses",
};

const char *counters_name(enum ctr_id id)
{
    return id < CTR_N ? ctr_names[id] : "?";
}

static unsigned probed_mask;
static int probed;
static uint64_t syscall_tp_id;  /* 0: not found */
static char probed_why[256];

static int perf_open(struct perf_event_attr *a)
{
    return (int)syscall(SYS_perf_event_open, a, 0, -1, -1,
                        PERF_FLAG_FD_CLOEXEC);
}

static void ctr_attr(enum ctr_id id, struct perf_event_attr *a)
{
    memset(a, 0, sizeof(*a));
    a->size = sizeof(*a);
    a->disabled = 1;
    a->inherit = 1;
    a->exclude_hv = 1;
    switch (id) {
    case CTR_CTXSW:
        a->type = PERF_TYPE_SOFTWARE;
        a->config = PERF_COUNT_SW_CONTEXT_SWITCHES;
        break;
    case CTR_MIGRATIONS:
        a->type = PERF_TYPE_SOFTWARE;
        a->config = PERF_COUNT_SW_CPU_MIGRATIONS;
        break;
    case CTR_FAULTS:
        a->type = PERF_TYPE_SOFTWARE;
        a->config = PERF_COUNT_SW_PAGE_FAULTS;
        break;
    case CTR_SYSCALLS:
        a->type = PERF_TYPE_TRACEPOINT;
        a->config = syscall_tp_id;
        break;
    case CTR_CYCLES:
        a->type = PERF_TYPE_HARDWARE;
        a->config = PERF_COUNT_HW_CPU_CYCLES;
        break;
    case CTR_INSTRUCTIONS:
        a->type = PERF_TYPE_HARDWARE;
        a->config = PERF_COUNT_HW_INSTRUCTIONS;
        break;
    case CTR_CACHE_MISSES:
        a->type = PERF_TYPE_HARDWARE;
        a->config = PERF_COUNT_HW_CACHE_MISSES;
        break;
    case CTR_N:
        break;
    }
}

static int read_tp_id(const char *tracefs, uint64_t *id)
{
    char path[256], err[ERR_LEN];
    unsigned long v;

    snprintf(path, sizeof(path), "%s/events/raw_syscalls/sys_enter/id",
             tracefs);
    if (read_proc_ulong(path, &v, err) == -1)
        return -1;
    *id = v;
    return 0;
}

/* The child: a private mount namespace, tracefs mounted in it, the id
 * written to fd.  Exits 0 with the id, 1 without. */
static void tp_id_child(int fd)
{
    uint64_t id;

    if (unshare(CLONE_NEWNS) == -1 ||
        mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1 ||
        mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) == -1 ||
        read_tp_id("/sys/kernel/tracing", &id) == -1)
        _exit(1);
    _exit(write(fd, &id, sizeof(id)) == (ssize_t)sizeof(id) ? 0 : 1);
}

static int find_tp_id_in_private_mount(uint64_t *id)
{
    int pfd[2], status;
    pid_t pid;
    ssize_t n;

    if (pipe2(pfd, O_CLOEXEC) == -1)
        return -1;
    pid = fork();
    if (pid == -1) {
        close(pfd[0]);
        close(pfd[1]);
        return -1;
    }
    if (pid == 0) {
        close(pfd[0]);
        tp_id_child(pfd[1]);
    }
    close(pfd[1]);
    do
        n = read(pfd[0], id, sizeof(*id));
    while (n == -1 && errno == EINTR);
    close(pfd[0]);
    while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
        continue;
    return n == (ssize_t)sizeof(*id) ? 0 : -1;
}

static void probe_syscall_tracepoint(void)
{
    if (read_tp_id("/sys/kernel/tracing", &syscall_tp_id) == 0 ||
        read_tp_id("/sys/kernel/debug/tracing", &syscall_tp_id) == 0)
        return;
    if (find_tp_id_in_private_mount(&syscall_tp_id) == -1)
        syscall_tp_id = 0;
}

static void why_add(const char *what)
{
    size_t n = strlen(probed_why);

    snprintf(probed_why + n, sizeof(probed_why) - n, "%s%s",
             n > 0 ? "; " : "", what);
}

unsigned counters_probe(char *why, unsigned long whylen)
{
    if (!probed) {
        probed = 1;
        probe_syscall_tracepoint();
        for (int i = 0; i < CTR_N; i++) {
            struct perf_event_attr a;
            int fd;

            if (i == CTR_SYSCALLS && syscall_tp_id == 0)
                continue;
            ctr_attr((enum ctr_id)i, &a);
            fd = perf_open(&a);
            if (fd >= 0) {
                probed_mask |= 1u << i;
                close(fd);
            }
        }
        if (!(probed_mask & (1u << CTR_CTXSW)))
            why_add("perf_event_open refused (see "
                    "/proc/sys/kernel/perf_event_paranoid)");
        else if (!(probed_mask & (1u << CTR_SYSCALLS)))
            why_add("no syscall count: the raw_syscalls tracepoint is not "
                    "readable (tracefs not mounted and not mountable here, "
                    "or not permitted)");
        if (!(probed_mask & (1u << CTR_CYCLES)))
            why_add("no hardware counters: this machine exposes no PMU "
                    "(usual on a VM)");
    }
    if (why != NULL && whylen > 0)
        snprintf(why, whylen, "%s", probed_why);
    return probed_mask;
}

void counters_open(struct counters *c)
{
    for (int i = 0; i < CTR_N; i++) {
        struct perf_event_attr a;

        c->fd[i] = -1;
        if (!(probed_mask & (1u << i)))
            continue;
        ctr_attr((enum ctr_id)i, &a);
        c->fd[i] = perf_open(&a);
    }
}

/* The syscall counter is enabled last and disabled first, so of the
 * ioctls that switch the set on and off it counts exactly one: the one
 * that disables it (sys_enter fires before the call does its work). */
static void ctr_ioctl(struct counters *c, unsigned long req, int syscalls_last)
{
    if (!syscalls_last && c->fd[CTR_SYSCALLS] >= 0)
        (void)ioctl(c->fd[CTR_SYSCALLS], req, 0);
    for (int i = 0; i < CTR_N; i++)
        if (c->fd[i] >= 0 && i != CTR_SYSCALLS)
            (void)ioctl(c->fd[i], req, 0);
    if (syscalls_last && c->fd[CTR_SYSCALLS] >= 0)
        (void)ioctl(c->fd[CTR_SYSCALLS], req, 0);
}

void counters_start(struct counters *c)
{
    ctr_ioctl(c, PERF_EVENT_IOC_RESET, 1);
    ctr_ioctl(c, PERF_EVENT_IOC_ENABLE, 1);
}

void counters_stop(struct counters *c)
{
    ctr_ioctl(c, PERF_EVENT_IOC_DISABLE, 0);
}

unsigned counters_read(const struct counters *c, uint64_t out[CTR_N])
{
    unsigned valid = 0;

    for (int i = 0; i < CTR_N; i++) {
        uint64_t v;

        out[i] = 0;
        if (c->fd[i] < 0)
            continue;
        if (read(c->fd[i], &v, sizeof(v)) == (ssize_t)sizeof(v)) {
            out[i] = v;
            valid |= 1u << i;
        }
    }
    return valid;
}

void counters_close(struct counters *c)
{
    for (int i = 0; i < CTR_N; i++)
        close_fd(&c->fd[i]);
}

void counters_rusage(const struct rusage *ru, uint64_t out[RU_N])
{
    out[RU_VCSW] = (uint64_t)ru->ru_nvcsw;
    out[RU_IVCSW] = (uint64_t)ru->ru_nivcsw;
    out[RU_MINFLT] = (uint64_t)ru->ru_minflt;
    out[RU_MAJFLT] = (uint64_t)ru->ru_majflt;
}
