/* ring.h - a single-producer/single-consumer ring of variable-length
 * records, living in memory that two processes share.
 *
 * Used by every shared-memory transport (ipc/sysv_shm.c, ipc/posix_shm.c,
 * ipc/mmap_file.c, ipc/mmap_anon.c through ipc/shm_ring.c) and tested
 * alone in tests/test_ring.c.  It knows nothing about processes, waiting
 * or the kernel: it is bytes and two counters.
 *
 * Layout in the shared mapping (offsets from the start of the ring):
 *
 *      0    head       bytes ever published by the producer
 *      128  tail       bytes ever freed by the consumer
 *      256  capacity   bytes of the data area (a power of two)
 *      384  data[capacity] ... records, one after the other:
 *
 *           +--------+--------+---------------------+---------+
 *           | len 4B | flags  | payload (len bytes) | padding |
 *           +--------+--------+---------------------+---------+
 *           a record starts on a multiple of 8 and never wraps past the
 *           end of the data area; RING_PAD records fill the end.
 *
 * head and tail only grow (2^64 bytes will not be reached); a position in
 * the data area is `counter & (capacity - 1)`.  The ring holds
 * `head - tail` bytes, so it is empty when they are equal and full when
 * the difference is the capacity.  No slot is wasted to tell the two apart.
 *
 * Why head and tail sit 128 bytes apart: each is written by one side only.
 * If both shared a cache line, every write by one side would steal the line
 * from the other ("false sharing"), and the line would bounce between the
 * CPUs on every message.  128 rather than 64 because some CPUs prefetch
 * cache lines in adjacent pairs.  For the same reason each side keeps a
 * private copy of the other side's counter (struct ring.peer) and reads
 * the shared one only when its copy says "full" (producer) or "empty"
 * (consumer).
 *
 * Memory ordering, for a reader who has never written a lock-free queue.
 * A CPU and a compiler may both reorder memory accesses as long as the
 * program running on that one CPU cannot tell.  Another CPU can tell: it
 * could see the new head before the bytes of the record it covers, and
 * read garbage.  C11 atomics say what order must be kept:
 *
 *   producer                                consumer
 *   --------                                --------
 *   write header and payload (plain)        h = load_acquire(&head)
 *   store_release(&head, new_head)  ----->  read header and payload (plain)
 *                                           store_release(&tail, new_tail)
 *   t = load_acquire(&tail)  <------------  (the consumer is done with
 *   overwrite the freed bytes (plain)        those bytes)
 *
 * A store-release publishes: every write before it (the record) becomes
 * visible to another CPU no later than the store itself.  A load-acquire
 * subscribes: every read after it happens after the load, so a consumer
 * that sees the new head also sees the record behind it.  The pair forms
 * a "happens-before" edge between the two processes.  The same edge the
 * other way round (tail) guarantees the producer never overwrites bytes
 * the consumer is still reading.  On x86 both compile to plain moves
 * (its stores are not reordered with other stores, nor loads with other
 * loads) - the atomics then only stop the compiler from reordering - but
 * on ARM or POWER they emit the barriers that make the ring correct.
 * Nothing stronger (no locked instruction, no seq_cst fence) is needed:
 * each counter has one writer.
 */
#ifndef IPCLAB_RING_H
#define IPCLAB_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define RING_ALIGN 128              /* bytes between the shared counters */
#define RING_HDR_BYTES 8            /* record header: len + flags */
#define RING_MIN_BYTES 256          /* smallest data area */
#define RING_MAX_BYTES (1ul << 30)  /* largest data area (a record's length
                                       is 32-bit) */

#define RING_MORE 0x1u              /* the message goes on in the next
                                       record */
#define RING_PAD  0x2u              /* filler up to the end of the data area */

/* The part in shared memory.  Zero-filled memory is not a valid ring:
 * ring_init() writes the capacity. */
struct ring_shared {
    _Alignas(RING_ALIGN) _Atomic uint64_t head;   /* producer writes */
    _Alignas(RING_ALIGN) _Atomic uint64_t tail;   /* consumer writes */
    _Alignas(RING_ALIGN) uint64_t capacity_bytes; /* constant after init */
    _Alignas(RING_ALIGN) unsigned char data[];
};

/* One side's private handle (each process has its own). */
struct ring {
    struct ring_shared *shared;
    unsigned char *data;
    uint64_t capacity_bytes, mask;
    uint64_t pos;       /* producer: next write; consumer: next read */
    uint64_t peer;      /* last value seen of the other side's counter */
    uint64_t held;      /* consumer: bytes of the record ring_peek gave */
};

/* 1 if capacity_bytes is usable: a power of two in
 * [RING_MIN_BYTES, RING_MAX_BYTES]. */
int ring_capacity_ok(size_t capacity_bytes);
/* Bytes of shared memory a ring of capacity_bytes occupies. */
size_t ring_region_bytes(size_t capacity_bytes);
/* Creator, once, before anyone opens it: an empty ring at mem (aligned to
 * RING_ALIGN).  capacity_bytes must pass ring_capacity_ok(). */
void ring_init(void *mem, size_t capacity_bytes);
/* Each side: a private handle on the ring at mem (in its own mapping). */
void ring_open(struct ring *r, void *mem);
/* The largest payload one record can carry. */
size_t ring_max_payload(const struct ring *r);

/* ---- producer ---- */
/* Payload bytes a record can hold between the write position and the end
 * of the data area (0 when only a header fits). */
size_t ring_contiguous(const struct ring *r);
/* Room for a record of len payload bytes at the write position: a pointer
 * to where the payload goes, or NULL while the consumer has not freed
 * enough.  len must be <= ring_contiguous(r).  Nothing is visible to the
 * consumer until ring_commit(). */
void *ring_reserve(struct ring *r, size_t len);
/* Publish the record reserved last (len payload bytes, flags RING_MORE /
 * RING_PAD) with a store-release of head. */
void ring_commit(struct ring *r, size_t len, unsigned flags);

/* ---- consumer ---- */
/* The next record: 1 with *payload, *len and *flags set (the bytes stay
 * valid until ring_pop); 0 when the ring is empty; -1 when the header is
 * impossible (memory corrupted by the other process). */
int ring_peek(struct ring *r, const void **payload, size_t *len,
              unsigned *flags);
/* Free the record ring_peek returned (store-release of tail). */
void ring_pop(struct ring *r);

#endif
