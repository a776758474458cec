/* test_util.h - shared helpers for the Criterion tests.
 *
 * Tests run in parallel (criterion --jobs 2).  Tests that check "nothing
 * is left behind" compare machine-wide counts (ipcs, /dev/shm, /dev/mqueue),
 * so they hold an exclusive lock while every other harness run holds a
 * shared one: tu_run() and tu_cli() take the shared lock by themselves;
 * wrap a leftover check in tu_exclusive_begin()/tu_exclusive_end().  The
 * lock is flock(2) on the directory /dev/shm, the same for every test
 * binary on the machine (another checkout's included), and no lock file
 * to leave behind.
 */
#ifndef IPCLAB_TEST_UTIL_H
#define IPCLAB_TEST_UTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "../bench/harness.h"
#include "../bench/transport.h"

/* Small, fast settings: placement os, 0 warm-up, 1 rep, 1 MiB or 16
 * messages (whichever is more) in throughput, 64 round trips in latency,
 * timeout 30 s. */
struct bench_config tu_config(void);

/* Run a cell through the real harness; cr_assert()s that the transport
 * exists and that bench_run() did not fail as a harness.  The caller
 * asserts on res->status / res->verified. */
void tu_run_cfg(const struct bench_config *cfg, const char *transport,
                enum tp_mode mode, size_t size, struct bench_result *res);
void tu_run(const char *transport, enum tp_mode mode, size_t size,
            struct bench_result *res);
/* Both modes through the real harness with --verify full, few messages
 * (256, 64 KiB..4 MiB in all; 64 round trips, 16 above 1 MiB): cr_assert()s
 * status ok and verified.  The one "moves every byte" of the suite. */
void tu_assert_moves_every_byte(const char *transport, size_t size);

/* The one parameter of the "moves every byte" tables: arrays, not
 * pointers, because Criterion runs parameters in a re-exec'd worker. */
struct tu_move_case {
    char transport[40];
    size_t size;                /* 0: the test's own list of sizes */
};

/* What a run can leave behind, machine-wide and in this process. */
struct tu_leftovers {
    int sysv_shm, sysv_msg, sysv_sem;   /* ipcs counts */
    int dev_shm, dev_mqueue;            /* ipclab-* in /dev/shm, /dev/mqueue */
    int tmp_dirs;                       /* $TMPDIR/ipclab-* entries */
    int open_fds;                       /* in this process */
};
/* The variable of transport option --name (its first registration), to
 * set as the command line would; cr_assert()s that it exists. */
void *tu_option_value(const char *name);

/* A test that calls bench_run() itself (not through tu_run) holds the
 * shared lock around it, so that leftover checks do not count its objects. */
void tu_shared_begin(void);
void tu_shared_end(void);
void tu_exclusive_begin(void);
void tu_exclusive_end(void);
void tu_leftovers(struct tu_leftovers *now);
/* cr_expect()s every count equal to `before`, and that this process has
 * no child left (no zombie). */
void tu_expect_no_leftovers(const struct tu_leftovers *before);

/* Run a program of the suite: tu_cli("ipclab", (char *[]){"ipclab",
 * "run", "pipe", NULL}, out, sizeof out).  stdout+stderr (truncated) go
 * to out; returns the exit status, or 128+signal when killed. */
int tu_cli(const char *prog, char *const argv[], char *out, size_t outlen);
/* Start a program in the background with stdout+stderr to /dev/null;
 * returns its pid.  tu_wait_status() reaps it (128+signal when killed). */
pid_t tu_spawn(const char *prog, char *const argv[]);
int tu_wait_status(pid_t pid);
/* The pids of a process's children (from /proc/PID/task/ * /children);
 * waits up to timeout_ms for at least `want` of them.  Returns how many. */
int tu_children(pid_t pid, pid_t *out, int max, int want, int timeout_ms);

/* Full path of a suite program in the build being tested. */
const char *tu_bin(const char *prog);

#endif
