/* helper.h - a third process a transport forks for itself: the relay in
 * the middle of net/relay.c, the second consumer of ipc/tee.c.
 *
 * The harness forks two processes, a producer and a consumer.  A
 * mechanism whose subject needs a third (a proxy between the two, a
 * second reader of one stream) forks it from one side's attach() with
 * helper_start() instead of teaching the harness a new role: the third
 * process then belongs to that side, like a server's worker.  What that
 * side's row shows then includes it: its CPU time (the side reaps it
 * before _exit, and wait4() of the side counts reaped descendants) and
 * its perf counters (inherited).
 *
 *      side (attach)                       helper
 *      helper_start: pipe, fork ---------> prctl(PR_SET_PDEATHSIG, SIGKILL)
 *                                          fn(): set up, helper_ready()
 *      read 1 byte <---------------------- "r"
 *      first recv(): helper_go() --------> helper_await_go()
 *      ... the run ...                     fn(): the helper's work
 *      helper_wait: waitpid <------------- _exit(0), or its error in the
 *                                          shared slot and _exit(1)
 *
 * The helper waits for its "go" until the side that forked it starts its
 * measured loop (the side calls helper_go() in its first recv), so that
 * all its work falls inside that side's counters, opened after "go".
 *
 * Nothing is left behind: the helper dies with the side that forked it
 * (PR_SET_PDEATHSIG, checked against a parent that died before prctl),
 * and that side dies with the harness the same way; a side that ends
 * normally reaps it (helper_wait) and one that gives up kills and reaps
 * it (helper_kill).  It holds no named object, so the journal
 * (bench/journal.h) has nothing to record.  The error slot is a shared
 * anonymous page made in create(), so the harness parent, the producer
 * and the consumer can all read why a helper failed.
 *
 * Library code: returns -1 with a message; never prints or exits (the
 * helper itself leaves with _exit). */
#ifndef IPCLAB_HELPER_H
#define IPCLAB_HELPER_H

#include <sys/types.h>

#include "transport.h"

struct helper_slot {
    char err[ERR_LEN];          /* "" until the helper fails */
};

struct helper {
    pid_t pid;                  /* > 0 while running (in its parent) */
    int ready_fd;               /* in the helper until helper_ready() */
    int go_fd;                  /* write end in the parent until
                                   helper_go(); read end in the helper */
    struct helper_slot *slot;   /* shared with every process of the run */
};

/* Parent, in create(): the shared error slot.  0, or -1 with err. */
int helper_init(struct helper *h, char *err);
/* Parent, in destroy(): unmap the slot; idempotent. */
void helper_free(struct helper *h);

/* Fork the helper and run fn(arg) in it; fn must call helper_ready()
 * once it is set up (before that, the caller waits).  Returns 0 once the
 * helper said ready; -1 with err (the helper's own message when it failed
 * before being ready; it is reaped). */
int helper_start(struct helper *h, int (*fn)(struct helper *h, void *arg,
                                             char *err),
                 void *arg, char *err);
/* In the helper: set up, the caller may go on.  0, or -1 with err. */
int helper_ready(struct helper *h, char *err);

/* In the side that forked it, once its measured loop runs: the helper
 * may start its work.  Idempotent.  0, or -1 with err. */
int helper_go(struct helper *h, char *err);
/* In the helper: wait for helper_go().  0, or -1 with err when the side
 * gave up first. */
int helper_await_go(struct helper *h, char *err);

/* Wait for the helper to end.  0 if it ended well (or never ran), else
 * -1 with "WHO: its message" in err. */
int helper_wait(struct helper *h, const char *who, char *err);
/* SIGKILL and reap it, if it runs; for error paths.  Idempotent. */
void helper_kill(struct helper *h);
/* Has the helper failed (its message in the slot, or - in the process
 * that forked it - it has ended badly, then reaped)?  Then "WHO: why"
 * goes in err and -1 is returned, to blame it for an EOF or EPIPE on this
 * side; else 0 and err is left alone. */
int helper_failed(struct helper *h, const char *who, char *err);

#endif
