/* cacheline.c - reference row: one cache line bouncing between two CPUs.
 *
 * What it is.  Not IPC: the least two processes can do to tell each other
 * something.  They share one 64-byte cache line (in a MAP_SHARED anonymous
 * mapping); a "message" is a few bytes written into the line plus a turn
 * counter stored with release ordering; the other side polls the counter
 * with acquire loads.  Each one-way trip moves the line from one CPU's
 * cache to the other's (the cache-coherence protocol invalidates one copy
 * and ships the line), so the round trip is two line transfers plus the
 * polling: the floor for any cross-CPU latency on this machine, measured
 * by the same harness, with the same placement.  A mechanism's round trip
 * divided by this one says how much the mechanism itself costs.
 *
 * With both processes on one CPU (--placement same) there is no transfer
 * to measure: polling would only burn the time slice the other side needs,
 * so the loop yields (sched_yield) and the row says so; what is measured
 * then is the scheduler's switch between the two processes.
 *
 * Kernel objects: one anonymous shared mapping, gone with the last unmap.
 * Copies: the message's 4 bytes into the line and out.  Latency mode only;
 * the message size does not apply (TP_NO_SIZE: the harness sends 4 bytes).
 *
 *      producer                           consumer
 *      --------                           --------
 *      data = msg; turn = 2k+1 (release)  wait turn == 2k+1 (acquire)
 *                                         copy data out, verify
 *      wait turn == 2k+2 (acquire)  <---- data = msg; turn = 2k+2 (release)
 *
 * Usage: bin/cacheline [--placement spread] (or: ipclab run cacheline)
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../transport.h"
#include "../util.h"

#define CL_DATA_BYTES 56        /* what fits beside the 8-byte counter */

/* Exactly one cache line; aligned to 128 so no neighbour shares it (nor
 * its prefetch pair). */
struct cl_line {
    _Alignas(128) _Atomic uint64_t turn;
    unsigned char data[CL_DATA_BYTES];
};

struct cl_priv {
    struct cl_line *line;       /* the shared mapping */
    uint64_t turn;              /* this side's count of sends + receives */
    int yield;                  /* same CPU */
};

static int cl_check_size(const struct transport *tp, enum tp_mode mode,
                         size_t msg_bytes, char *err)
{
    (void)tp;
    (void)mode;
    if (msg_bytes > CL_DATA_BYTES)
        return err_set(err, "cacheline carries at most %d bytes: it is one "
                            "cache line", CL_DATA_BYTES);
    return 0;
}

static int cl_create(struct tp_channel *ch, char *err)
{
    struct cl_priv *p = calloc(1, sizeof(*p));

    if (p == NULL)
        return err_sys(err, "calloc");
    ch->priv = p;
    p->yield = ch->same_cpu;
    if (ch->same_cpu)
        snprintf(ch->note, NOTE_LEN, "same CPU: yields (sched_yield), no "
                                     "line transfer");
    p->line = mmap(NULL, sizeof(*p->line), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p->line == MAP_FAILED) {
        p->line = NULL;
        return err_sys(err, "mmap");
    }
    atomic_init(&p->line->turn, 0);
    return 0;
}

static int cl_attach(struct tp_channel *ch, char *err)
{
    (void)ch;                   /* the mapping came with fork */
    (void)err;
    return 0;
}

static void cl_wait_turn(struct cl_priv *p, uint64_t want)
{
    while (atomic_load_explicit(&p->line->turn, memory_order_acquire) !=
           want) {
        if (p->yield)
            sched_yield();
        else
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();     /* we are spinning: spare the core */
#else
            atomic_signal_fence(memory_order_seq_cst);
#endif
    }
}

static int cl_send(struct tp_channel *ch, const void *buf, size_t len,
                   char *err)
{
    struct cl_priv *p = ch->priv;

    (void)err;
    memcpy(p->line->data, buf, len);
    /* Publish the data with the turn (pairs with cl_wait_turn). */
    atomic_store_explicit(&p->line->turn, ++p->turn, memory_order_release);
    return 0;
}

static int cl_recv(struct tp_channel *ch, void *buf, size_t len,
                   const void **msg, char *err)
{
    struct cl_priv *p = ch->priv;

    (void)err;
    cl_wait_turn(p, ++p->turn);
    memcpy(buf, p->line->data, len);
    *msg = buf;
    return 0;
}

static void cl_unmap(struct tp_channel *ch)
{
    struct cl_priv *p = ch->priv;

    if (p != NULL && p->line != NULL)
        (void)munmap(p->line, sizeof(*p->line));
    if (p != NULL)
        p->line = NULL;
}

static void cl_destroy(struct tp_channel *ch)
{
    cl_unmap(ch);
    free(ch->priv);
    ch->priv = NULL;
}

static const struct transport cacheline_transport = {
    .name = "cacheline",
    .family = TP_LIMIT,
    .summary = "reference: round trip of one cache line between the CPUs "
               "(the latency floor)",
    .caps = TP_MESSAGES | TP_DUPLEX | TP_NO_SIZE | TP_NO_THROUGHPUT,
    /* a store, a load in place */
    .copies = TP_COPIES(1), .syscalls = TP_SYSCALLS(0, 0),
    .check_size = cl_check_size,
    .create = cl_create,
    .attach = cl_attach,
    .send = cl_send,
    .recv = cl_recv,
    .detach = cl_unmap,
    .destroy = cl_destroy,
};
TRANSPORT_REGISTER(cacheline_transport);
