/* verdict.h - the answer after the table: for each mode, size and
 * placement of a run, the best transport, how many times the baseline
 * (pipe unless --baseline says) it is, and what it costs in CPU.
 *
 *   VERDICT  (the best of each cell; x = times the baseline's figure)
 *     latency    64 B   spread  posix_shm/spin: RTT p50 260 ns, 170x
 *                               faster than pipe; CPU 1.2 us per round trip
 *
 * Only cells where two transports or more have an ok row; server rows
 * (a client dimension of their own) and limit rows (references, not
 * choices) are left out. */
#ifndef IPCLAB_VERDICT_H
#define IPCLAB_VERDICT_H

#include <stdio.h>

#include "harness.h"

#define VERDICT_CELLS 64

struct verdict_cell {
    enum tp_mode mode;
    size_t size_bytes;
    char placement[32];
    unsigned ok;                        /* ok rows seen */
    const struct transport *best;       /* NULL: none yet */
    double best_figure, best_cpu;       /* its main figure, CPU/msg */
    double base_figure, base_cpu;       /* the baseline's; 0 = not run */
};

struct verdict {
    const char *baseline;               /* transport name; NULL: "pipe" */
    unsigned ncells;
    struct verdict_cell cell[VERDICT_CELLS];
};

/* Take one row into account (any status; only ok rows count). */
void verdict_add(struct verdict *v, const struct bench_result *r);
/* Print the verdict lines; nothing when no cell had two ok rows. */
void verdict_print(FILE *fp, const struct verdict *v);

#endif
