/* shm_ring.h - what the four shared-memory transports have in common: the
 * layout of the shared region, send/recv through the ring (ipc/ring.h),
 * and the --wait/--ring-size/--in-place/--spins options; how a side waits
 * is ipc/shm_wait.h.  Each memory file (sysv_shm.c, posix_shm.c,
 * mmap_file.c, mmap_anon.c) only obtains the region, maps it, and lists
 * its eight transports in a table of its own.
 *
 * How a memory file uses it:
 *
 *      create()   shm_ring_setup(ch, &priv->sr)  settings, note
 *                 map shm_ring_region_bytes(&priv->sr) bytes
 *                 shm_ring_format(&priv->sr, base)  rings + waits
 *      attach()   shm_ring_open(ch, &priv->sr, base) in each child
 *      send/recv/release: shm_ring_send(&priv->sr, ...), shm_ring_recv,
 *                 shm_ring_release
 *      destroy()  shm_ring_close(&priv->sr)   the eventfds, if any
 */
#ifndef IPCLAB_SHM_RING_H
#define IPCLAB_SHM_RING_H

#include <stddef.h>

#include "../bench/transport.h"
#include "ring.h"
#include "shm_wait.h"

#define SHM_IN_PLACE 0x10       /* struct transport.variant: wait | this */

struct shm_ctl;                 /* the control block in shared memory */

struct shm_ring {
    /* fixed in create() (parent), inherited by both children */
    struct shm_wait how;        /* spin, futex, sem, eventfd (shm_wait.h) */
    int in_place;               /* consumer verifies in the ring */
    size_t ring_bytes;          /* each ring's data area */
    size_t chunk_bytes;         /* copy mode: largest record */
    size_t region_bytes;        /* what the memory must provide */
    int lanes;                  /* 1 (throughput) or 2 (latency) */
    /* this process's view, after shm_ring_open() */
    struct shm_ctl *ctl;
    struct ring tx, rx;         /* rings this side writes / reads */
    int tx_lane, rx_lane;       /* -1 when unused */
    int holding;                /* in-place: a record awaits release */
    int efds[4];                /* --wait eventfd: the doorbells' fds */
    int nefds;                  /* how many of efds are open */
};

/* Parent, first thing in create(): read the options for ch->tp's
 * variant, size the region, set ch->note when the placement changes how
 * it waits. */
int shm_ring_setup(struct tp_channel *ch, struct shm_ring *sr, char *err);
size_t shm_ring_region_bytes(const struct shm_ring *sr);
/* Parent: lay out the control block and rings in a fresh region (any
 * content), mapped at base. */
int shm_ring_format(struct shm_ring *sr, void *base, char *err);
/* Parent, for memory backed by a file (tmpfs or disk): give the file
 * behind fd its len bytes and allocate every block now, so that a full
 * file system is a refusal here ("no space in WHERE (need N bytes)", an
 * n/a row) instead of a SIGBUS at the first store into a hole. */
int shm_ring_reserve(struct tp_channel *ch, int fd, size_t len,
                     const char *where, char *err);
/* Each child, once the region is mapped at base in that process. */
int shm_ring_open(struct tp_channel *ch, struct shm_ring *sr, void *base,
                  char *err);

/* The struct transport functions every variant shares, and what each
 * variant's send/recv/release calls with the ring of its channel. */
int shm_ring_selected(const struct transport *tp);
int shm_ring_check_size(const struct transport *tp, enum tp_mode mode,
                        size_t msg_bytes, char *err);
int shm_ring_send(struct shm_ring *sr, const void *buf, size_t len,
                  char *err);
int shm_ring_recv(struct shm_ring *sr, void *buf, size_t len,
                  const void **msg, char *err);
void shm_ring_release(struct shm_ring *sr);
/* destroy() (and may be detach()): close the eventfds shm_ring_format()
 * made for --wait eventfd; idempotent, a no-op for the other waits and
 * for a ring never formatted (calloc'd: nefds 0). */
void shm_ring_close(struct shm_ring *sr);

#endif
