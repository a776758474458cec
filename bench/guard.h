/* guard.h - `ipclab run --guard`: is the machine holding still?
 *
 * On a shared VM the host sometimes moves vCPUs, and for seconds every
 * cross-CPU figure drops 2-10x while single-core ones do not move.  The
 * guard measures a short calibration - the `cacheline` round trip at 64 B
 * and `xcore` at 64 KiB, both on two CPUs - before a transport's cells
 * and after them.  When it moved by more than 25 % the cells are run once
 * more; when it moves again, their rows get `unsteady` in `flags`.  The
 * sweep (scripts/bench) does the same per group of its plan.
 *
 * What it can catch: a change of the machine that moves both CPUs' shared
 * work (a migration, a noisy neighbour, frequency).  What it cannot: a
 * spell shorter than the cells and over before the next calibration, or
 * a change that leaves cache-line and copy speeds alone.
 *
 * IPCLAB_GUARD_DRIFT=F0,F1,... (tests) replaces calibration k's readings
 * by F_k ns and 1000 / F_k MB/s, to make the machine "move" on cue. */
#ifndef IPCLAB_GUARD_H
#define IPCLAB_GUARD_H

#include "harness.h"

#define GUARD_MOVED 0.25        /* more than this, either way: moved */

struct guard {
    double ns, mbs;             /* the last calibration */
    unsigned n;                 /* calibrations so far */
    unsigned reruns, unsteady;  /* for the summary line */
};

/* One calibration into g (ns, mbs).  0, -1 with err (the calibration
 * rows could not run: the guard is then off), BENCH_INTERRUPTED. */
int guard_calibrate(struct guard *g, char *err);
/* Did the machine move between two calibrations (ns, MB/s)? */
int guard_moved(double ns0, double mbs0, double ns1, double mbs1);

#endif
