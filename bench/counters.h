/* counters.h - what a process did while it was measured: context switches,
 * migrations, page faults, system calls and, where the machine has a PMU,
 * cycles, instructions and cache misses.
 *
 * Each measured process opens its own set (perf_event_open(2) on itself,
 * inherited by the threads it creates, created disabled), starts it at the
 * start barrier and stops it after its last message, so the figures cover
 * the measured interval only: not the fork, the attach, the pattern set-up
 * or the exit.  A counter the kernel refuses (no PMU on a VM, a
 * perf_event_paranoid setting, no tracefs for the syscall tracepoint) is
 * simply absent: its bit is clear in `valid`, and counters_probe() says
 * once, in a sentence, why.
 *
 * Library code: returns errors, never prints, never exits. */
#ifndef IPCLAB_COUNTERS_H
#define IPCLAB_COUNTERS_H

#include <stdint.h>

enum ctr_id {
    CTR_CTXSW,                  /* context switches (software event) */
    CTR_MIGRATIONS,             /* CPU migrations */
    CTR_FAULTS,                 /* page faults, minor and major */
    CTR_SYSCALLS,               /* raw_syscalls:sys_enter tracepoint */
    CTR_CYCLES,                 /* hardware: where a PMU is exposed */
    CTR_INSTRUCTIONS,
    CTR_CACHE_MISSES,
    CTR_N
};

/* What rusage counts, in this order everywhere: voluntary and involuntary
 * context switches, minor and major page faults. */
enum ru_id { RU_VCSW, RU_IVCSW, RU_MINFLT, RU_MAJFLT, RU_N };

struct rusage;
/* The counts of a struct rusage into out[RU_N]. */
void counters_rusage(const struct rusage *ru, uint64_t out[RU_N]);

struct counters {
    int fd[CTR_N];              /* -1: not counted */
};

/* What this machine lets a process count: a mask of (1u << enum ctr_id),
 * and, for what is missing, one sentence (empty when nothing is).  Looks
 * once and remembers; finding the syscall tracepoint may briefly fork a
 * child that mounts tracefs in a private mount namespace (nothing is
 * mounted for anyone else, nothing needs unmounting).  Call it in the
 * parent before forking the measured processes. */
unsigned counters_probe(char *why, unsigned long whylen);

/* Open every counter counters_probe() found, on the calling process,
 * disabled.  Never fails: a counter that cannot be opened stays -1. */
void counters_open(struct counters *c);
void counters_start(struct counters *c);
void counters_stop(struct counters *c);
/* Values into out[CTR_N]; returns the mask of those that are valid. */
unsigned counters_read(const struct counters *c, uint64_t out[CTR_N]);
void counters_close(struct counters *c);

/* Column-style name: "ctxsw", "migrations", "faults", "syscalls" ... */
const char *counters_name(enum ctr_id id);

#endif
