/* xcore.c - reference row: the fastest a copying transport can move bytes
 * from one CPU to another.
 *
 * What it is.  Not IPC: the least two processes can do to hand a block of
 * bytes across.  The producer copies each message into a block of shared
 * memory and raises the block's flag; the consumer waits for the flag,
 * copies the block out into its own buffer and lowers the flag.  Two blocks
 * take turns, so the producer fills one while the consumer empties the
 * other.  There is no ring, no record header, no index arithmetic, no
 * wake-up: one flag per block, polled.
 *
 * Why it is the ceiling to read shared memory against.  `memcpy` copies a
 * buffer that stays hot in one core's cache; no cross-CPU transport can do
 * that, because every byte it delivers was last written by the other core
 * and must travel through the cache-coherence protocol (or memory).  This
 * row pays exactly that, and the same two copies a copying ring pays (into
 * the shared memory, out of it), with nothing else.  A spinning ring row
 * divided by this row at the same size and placement says how much the
 * ring's bookkeeping costs; `memcpy` stays the single-core ceiling.  Both
 * copies use the same loop as the ring (bench/copy.h).
 *
 * With both processes on one CPU (--placement same) polling would burn the
 * time slice the other side needs, so the waits yield (sched_yield) and the
 * row says so.
 *
 * Kernel objects: one anonymous shared mapping (MAP_SHARED|MAP_ANONYMOUS,
 * made before fork), gone with the last unmap: nothing can be left behind.
 * Copies: two per byte (into the block, out of it).  Throughput mode only.
 *
 *      producer                            consumer
 *      --------                            --------
 *      message k goes to block b = k % 2
 *      wait flag[b] == 0 (acquire)
 *      copy message into block b
 *      flag[b] = k + 1 (release)  ------>  wait flag[b] == k + 1 (acquire)
 *                                          copy block b into own buffer
 *                                 <------  flag[b] = 0 (release)
 *
 * Usage: bin/xcore [--sizes 64K,1M] [--placement spread] (or: ipclab run
 * xcore)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../copy.h"
#include "../transport.h"
#include "../util.h"

#define XC_BLOCKS 2
#define XC_PAGE 4096

/* Each flag alone in its cache line (and that line's prefetch pair). */
struct xc_flag {
    _Alignas(128) _Atomic uint64_t seq;   /* 0 empty, else message + 1 */
};

struct xc_priv {
    struct xc_flag *flag;       /* XC_BLOCKS flags, then the blocks */
    unsigned char *block[XC_BLOCKS];
    size_t map_bytes, block_bytes;
    uint64_t k;                 /* this side's message count */
    int yield;                  /* same CPU */
};

static size_t xc_round_page(size_t n)
{
    return (n + XC_PAGE - 1) / XC_PAGE * XC_PAGE;
}

static int xc_create(struct tp_channel *ch, char *err)
{
    struct xc_priv *p = calloc(1, sizeof(*p));
    unsigned char *base;

    if (p == NULL)
        return err_sys(err, "calloc");
    ch->priv = p;
    p->yield = ch->same_cpu;
    if (ch->same_cpu)
        snprintf(ch->note, NOTE_LEN, "same CPU: yields (sched_yield), no "
                                     "cross-CPU transfer");
    p->block_bytes = xc_round_page(ch->msg_bytes > 0 ? ch->msg_bytes : 1);
    p->map_bytes = XC_PAGE + XC_BLOCKS * p->block_bytes;
    base = mmap(NULL, p->map_bytes, PROT_READ | PROT_WRITE,
                MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED)
        return err_sys(err, "mmap");
    p->flag = (struct xc_flag *)base;
    for (int b = 0; b < XC_BLOCKS; b++) {
        atomic_init(&p->flag[b].seq, 0);
        p->block[b] = base + XC_PAGE + (size_t)b * p->block_bytes;
    }
    return 0;
}

/* Map the pages into this process before the clock starts, as the ring
 * does: a benchmark should not charge its first-touch page faults to the
 * messages.  The contents are not touched. */
static int xc_attach(struct tp_channel *ch, char *err)
{
    struct xc_priv *p = ch->priv;

    if (madvise(p->flag, p->map_bytes, MADV_POPULATE_WRITE) == -1 &&
        errno != EINVAL)        /* EINVAL: a kernel before 5.14 */
        return err_sys(err, "madvise(MADV_POPULATE_WRITE)");
    return 0;
}

static void xc_wait(const struct xc_priv *p, int b, uint64_t want)
{
    while (atomic_load_explicit(&p->flag[b].seq, memory_order_acquire) !=
           want) {
        if (p->yield)
            sched_yield();
        else
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();     /* spinning: spare the core */
#else
            atomic_signal_fence(memory_order_seq_cst);
#endif
    }
}

static int xc_send(struct tp_channel *ch, const void *buf, size_t len,
                   char *err)
{
    struct xc_priv *p = ch->priv;
    int b = (int)(p->k % XC_BLOCKS);

    (void)err;
    xc_wait(p, b, 0);                           /* the consumer is done */
    copy_bytes(p->block[b], buf, len);
    atomic_store_explicit(&p->flag[b].seq, ++p->k, memory_order_release);
    return 0;
}

static int xc_recv(struct tp_channel *ch, void *buf, size_t len,
                   const void **msg, char *err)
{
    struct xc_priv *p = ch->priv;
    int b = (int)(p->k % XC_BLOCKS);

    (void)err;
    xc_wait(p, b, ++p->k);
    copy_bytes(buf, p->block[b], len);
    atomic_store_explicit(&p->flag[b].seq, 0, memory_order_release);
    *msg = buf;
    return 0;
}

static void xc_unmap(struct tp_channel *ch)
{
    struct xc_priv *p = ch->priv;

    if (p != NULL && p->flag != NULL)
        (void)munmap(p->flag, p->map_bytes);
    if (p != NULL)
        p->flag = NULL;
}

static void xc_destroy(struct tp_channel *ch)
{
    xc_unmap(ch);
    free(ch->priv);
    ch->priv = NULL;
}

static const struct transport xcore_transport = {
    .name = "xcore",
    .family = TP_LIMIT,
    .summary = "reference: copy a block into shared memory and out on the "
               "other CPU (the cross-CPU copy ceiling)",
    .caps = TP_MESSAGES | TP_NO_LATENCY,
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(0, 0),
    .create = xc_create,
    .attach = xc_attach,
    .send = xc_send,
    .recv = xc_recv,
    .detach = xc_unmap,
    .destroy = xc_destroy,
};
TRANSPORT_REGISTER(xcore_transport);
