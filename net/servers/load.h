/* load.h - the load generator of the server family: C client connections
 * driven by a few load processes, each client a closed loop of request,
 * verified reply, next request. */
#ifndef IPCLAB_LOAD_H
#define IPCLAB_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "../../bench/transport.h"
#include "server.h"

/* The load's shared state (one MAP_SHARED mapping, made in create()). */
struct load *load_new(unsigned nprocs, char *err);
void load_free(struct load *l);

/* The whole load of one run, in the harness's producer: fork the load
 * processes, connect s->clients clients to s->addr, let each make `warm`
 * unrecorded then `per` recorded round trips of s->msg_bytes, every
 * reply compared byte by byte with its request; reap them, then make
 * s->stop_fd readable.  Fills c (sent, received, samples).  The load
 * processes are children of the caller, so their CPU time counts as the
 * producer's. */
int load_run(struct srv *s, unsigned nprocs, uint64_t warm, uint64_t per,
             struct tp_counts *c, char *err);

/* After load_run, read in any process: the connections the clients
 * opened, and the load's time from the first fork to the last reap. */
uint64_t load_connections(const struct load *l);
uint64_t load_elapsed_ns(const struct load *l);

#endif
