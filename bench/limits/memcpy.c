/* memcpy.c - reference row: what one core can copy, at each message size.
 *
 * What it is.  Not IPC: one process copies a message-sized buffer into
 * another, ch->messages times, with memcpy(3).  Every transport that copies
 * its bytes (a pipe copies twice, the shared-memory ring copies twice, or
 * once with --in-place) cannot move them faster than this, so the row is
 * the ceiling to read the others against: "posix_shm/spin reaches 45% of
 * memcpy at 64K".  It is measured by the same harness, in the same run, at
 * the same size and placement (the producer's CPU) as the mechanisms.
 *
 * What it measures, exactly.  The same source and destination each time,
 * so they stay in the caches that fit them: small sizes run from L1,
 * 64K-1M from L2, bigger ones from L3 or memory.  A transport's copies go
 * to memory another CPU touched last, which costs more; that difference is
 * what the comparison shows.  There is no consumer process, no
 * verification per message (the harness marks the row "n/a"), and only
 * throughput mode: TP_SOLO with custom().
 *
 * Kernel objects: none.  Copies: one per byte.
 *
 *      harness (producer child)
 *      ------------------------
 *      t0; repeat ch->messages times: memcpy(dst, src, size); t1
 *      check dst == src once
 *
 * Usage: bin/memcpy [--sizes 64,4K,64K,1M] (or: ipclab run memcpy)
 */
#include <stdlib.h>
#include <string.h>

#include "../transport.h"
#include "../util.h"

struct memcpy_priv {
    unsigned char *src, *dst;
};

static int memcpy_create(struct tp_channel *ch, char *err)
{
    struct memcpy_priv *p = calloc(1, sizeof(*p));

    if (p == NULL)
        return err_sys(err, "calloc");
    ch->priv = p;
    return 0;
}

/* The producer allocates its buffers itself: pages first touched on its
 * own CPU (and NUMA node). */
static int memcpy_attach(struct tp_channel *ch, char *err)
{
    struct memcpy_priv *p = ch->priv;
    size_t len = (ch->msg_bytes + 63) / 64 * 64;

    p->src = aligned_alloc(64, len);
    p->dst = aligned_alloc(64, len);
    if (p->src == NULL || p->dst == NULL)
        return err_sys(err, "aligned_alloc");
    for (size_t i = 0; i < len; i++)
        p->src[i] = (unsigned char)(i * 131u + 1u);
    memset(p->dst, 0, len);     /* fault the pages in before the clock */
    return 0;
}

static int memcpy_custom(struct tp_channel *ch, struct tp_counts *counts,
                         char *err)
{
    struct memcpy_priv *p = ch->priv;

    for (uint64_t i = 0; i < ch->messages; i++) {
        memcpy(p->dst, p->src, ch->msg_bytes);
        /* The copy has an observer: the compiler may not drop or merge
         * the repeated copies of the same bytes. */
        __asm__ volatile("" : : "r"(p->dst) : "memory");
    }
    if (memcmp(p->dst, p->src, ch->msg_bytes) != 0)
        return err_set(err, "memcpy: the destination differs");
    counts->sent = counts->received = ch->messages;
    return 0;
}

static void memcpy_detach(struct tp_channel *ch)
{
    struct memcpy_priv *p = ch->priv;

    free(p->src);
    free(p->dst);
    p->src = p->dst = NULL;
}

static void memcpy_destroy(struct tp_channel *ch)
{
    free(ch->priv);             /* the parent never allocated buffers */
    ch->priv = NULL;
}

static const struct transport memcpy_transport = {
    .name = "memcpy",
    .family = TP_LIMIT,
    .summary = "reference: one core's memcpy of each message (the ceiling "
               "for copying transports)",
    .caps = TP_SOLO | TP_NO_LATENCY,
    .copies = TP_COPIES(1), .syscalls = TP_SYSCALLS(0, 0),
    .create = memcpy_create,
    .attach = memcpy_attach,
    .custom = memcpy_custom,
    .detach = memcpy_detach,
    .destroy = memcpy_destroy,
};
TRANSPORT_REGISTER(memcpy_transport);
