/* placement.h - the CPUs of a run's two processes (bench_placement_cpus in
 * harness.h chooses them) and pinning the calling process to one. */
#ifndef IPCLAB_PLACEMENT_H
#define IPCLAB_PLACEMENT_H

/* Pin the calling process to `cpu` (-1: leave it where it is).  0, or -1
 * with err (ERR_LEN) naming the call. */
int placement_pin(int cpu, char *err);

#endif
