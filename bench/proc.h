/* proc.h - process control for one run: signals, CPU placement, fork,
 * the ready/go barrier, reaping, the timeout, and saying which child
 * failed.  Library code: returns errors, never prints, never exits. */
#ifndef IPCLAB_PROC_H
#define IPCLAB_PROC_H

#include <signal.h>

#include "figures.h"
#include "harness.h"

/* SIGCHLD reaps, SIGINT/SIGTERM interrupt: installed around a cell. */
struct proc_signals {
    struct sigaction chld, intr, term;
    sigset_t mask;
};
int proc_signals_install(struct proc_signals *s, char *err);
void proc_signals_restore(const struct proc_signals *s);
/* The interrupting signal seen so far, 0 if none. */
int proc_interrupted(void);

/* How one run went, besides its figures. */
struct proc_outcome {
    int ok;                     /* both children did their part */
    enum bench_code code;       /* when not ok */
    enum tp_refusal refused;    /* create() said: not possible here */
    char why[ERR_LEN];          /* when not ok */
    char note[NOTE_LEN];        /* the transport's, from create() */
    struct tp_facts facts;      /* the transport's, from create() */
};

/* One run: create, fork the producer (and consumer), barrier, wait,
 * reap, destroy - always destroy.  Fills *fig when out->ok; `counting`:
 * each side also reads its perf counters (bench/counters.h), which slows
 * it, so only an unmeasured run should.  Returns 0
 * when the run was handled (out says how it went), -1 on a harness
 * failure (err), BENCH_INTERRUPTED on SIGINT/SIGTERM. */
int proc_run(const struct bench_config *cfg, const struct transport *tp,
             enum tp_mode mode, size_t size, const int cpu[2], int counting,
             struct run_figures *fig, struct proc_outcome *out, char *err);

#endif
