/* samples.h - --samples FILE: every measured round trip, for users to
 * plot their own distributions (a CDF, a histogram).
 *
 * One CSV line per round trip, in the order they happened:
 *   transport,mode,size_bytes,placement,run,index,rtt_ns
 * `run` counts the measured runs of a cell from 1 (warm-up and pilot runs
 * are not written); `index` the round trip within the run from 0.  Lost
 * round trips (a datagram that did not come back) are left out. */
#ifndef IPCLAB_SAMPLES_H
#define IPCLAB_SAMPLES_H

#include <stdint.h>
#include <stdio.h>

#define SAMPLES_HEADER "transport,mode,size_bytes,placement,run,index,rtt_ns\n"

/* Append one run's samples to fp.  0, or -1 when a write failed (the
 * caller names the file: it opened it). */
int samples_write(FILE *fp, const char *transport, const char *mode,
                  size_t size_bytes, const char *placement, unsigned run,
                  const uint64_t *samples_ns, uint64_t n);

#endif
