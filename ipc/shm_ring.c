/* shm_ring.c - one ring, three ways to wait: the part of every
 * shared-memory transport that does not depend on where the memory comes
 * from.
 *
 * The region.  One shared mapping holds a control block and one ring per
 * direction ("lane"): lane 0 carries producer -> consumer; in latency mode
 * lane 1 carries the echo back.
 *
 *      +-------------+--------------------+--------------------+
 *      | shm_ctl     | ring, lane 0       | ring, lane 1       |
 *      | waiters     | (ring.h layout)    | (latency only)     |
 *      +-------------+--------------------+--------------------+
 *
 * Copies.  By default two per byte, like a pipe: the producer copies its
 * message into the ring, the consumer copies it out into its own buffer.
 * The kernel is not involved at all once the mapping exists: no system
 * call per message unless someone has to sleep.  With --in-place the
 * consumer checks the message where it lies and frees it afterwards
 * (release()): one copy.
 *
 * The copies do not call memcpy().  glibc's memcpy (2.36, Debian 12)
 * copies 8 KiB..1 MiB with the `rep movsb` instruction, and on AMD Zen 3
 * and 4 that instruction slows down several-fold when the distance
 * between destination and source, modulo 4096, is small (glibc bug
 * 30994).  Here the distance changes from message to message, because
 * the 8-byte record headers shift every payload, so a run was fast or
 * slow by the luck of its addresses: 11.7 or 25 GB/s at 64 KiB on the
 * reference machine, in alternate runs.  ring_copy() below is a plain
 * loop of 32-byte loads and stores that runs at the same speed whatever
 * the addresses (27 GB/s in the same runs), and at the speed of memcpy
 * where nothing crosses CPUs.
 *
 * Messages larger than a record.  In copy mode a message is cut into
 * records of at most ring/4 bytes, each but the last flagged RING_MORE,
 * so any size passes through any ring and the consumer starts copying
 * before the producer has finished; a message also splits where the data
 * area ends, so it "straddles" the end in two records.  In-place needs the
 * message whole in one record: it must fit in ring - 8 bytes, and
 * check_size() refuses anything larger, naming the --ring-size to use.
 * A RING_PAD record skips the end of the data area when it is too short.
 * An in-place message over half the ring leaves no room for the next one:
 * producer and consumer then take turns instead of overlapping (the row
 * says so; a larger --ring-size fixes it).
 *
 * Three ways to wait (--wait spin,futex,sem; the default is futex).  The
 * consumer waits while its ring is empty, the producer while it is full.
 *
 *   spin   poll the other side's counter in a loop with the CPU's pause
 *          instruction.  Reacts within ~100 ns but burns the CPU the whole
 *          time: the CPU column shows it.  When both processes share one
 *          CPU, polling only wastes the time slice the other side needs
 *          to make progress (milliseconds per message), so there the loop
 *          calls sched_yield() instead and the row says so.
 *   futex  poll a little (--spins times), then sleep in futex(2) on a word
 *          in the shared mapping.  A sleeper first sets its word to 1 and
 *          checks the ring once more; the other side, after each commit
 *          or pop, looks at the word and calls FUTEX_WAKE only if it is 1.
 *          So no system call is made while both sides keep up.  The word
 *          is shared between processes: plain FUTEX_WAIT/WAKE, not the
 *          _PRIVATE ones (those key on the address space).  See futex(2).
 *   sem    the textbook way: process-shared POSIX semaphores in the
 *          mapping (sem_init(&s, 1, 0)).  The producer posts `data` after
 *          every record and the consumer sem_waits before every record,
 *          so each record costs a post and a wait (an atomic operation,
 *          and a futex call in glibc when the count is 0).  A ring of
 *          variable-length records has no fixed slot count for the usual
 *          second "free slots" semaphore, so a producer that finds the ring
 *          full announces itself like the futex sleeper and sem_waits on
 *          `space`, which the consumer posts.  See sem_overview(7).
 *
 * The announce-then-recheck order matters.  Sleeper: word = 1, then look
 * at the ring.  Waker: update the ring, then look at the word.  Each side
 * writes one location and reads the other; without a full fence between
 * the write and the read, x86 may let the read overtake the write, both
 * sides miss each other's news, and the sleeper sleeps forever.  The
 * atomic_thread_fence(memory_order_seq_cst) on each side (an mfence or a
 * locked instruction) forbids that: at least one of them sees the other.
 *
 * Protocol (latency; throughput uses lane 0 only):
 *
 *      producer                              consumer
 *      --------                              --------
 *      reserve room in lane 0 (wait: full)
 *      copy message in, commit, wake ------> wait: lane 0 empty
 *                                            copy out (or look in place)
 *                                            pop, wake producer if it waits
 *      wait: lane 1 empty  <---------------- copy echo into lane 1, commit
 *      copy out, pop
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../bench/util.h"
#include "shm_ring.h"

#define SHM_RING_DEFAULT_BYTES (2u << 20)   /* holds a 1 MiB message whole */
/* Polls before a futex waiter sleeps.  One poll is a pause instruction
 * plus a load, 20-50 ns on current x86, so 1000 polls wait some 20-50 us:
 * about what a sleep and a wake-up cost in CPU time on a virtual machine
 * (measured here: ~20 us per round trip through pipe or futex).  Spinning
 * that long, then sleeping, never costs more than twice the better of the
 * two choices - and a round trip that answers within the window (a few
 * hundred ns across two CPUs) never sleeps at all.  --spins changes it. */
#define SHM_FUTEX_SPINS_DEFAULT 1000

/* ---- options (set in the parent, inherited by the children) ------------ */

static const char *const wait_names[] = { "spin", "futex", "sem", NULL };
static unsigned opt_wait = 1u << SHM_WAIT_FUTEX;    /* a bit per kind */
static size_t opt_ring_bytes = SHM_RING_DEFAULT_BYTES;
static int opt_in_place;
static unsigned long opt_spins = SHM_FUTEX_SPINS_DEFAULT;

static const struct tp_option wait_option = {
    "wait", OPT_LIST, &opt_wait, wait_names, "LIST",
    "shared memory: how a side waits, a list or all [futex]"
};
static const struct tp_option ring_size_option = {
    "ring-size", OPT_SIZE, &opt_ring_bytes, NULL, "BYTES",
    "shared memory: ring data area, a power of two [2M]"
};
static const struct tp_option in_place_option = {
    "in-place", OPT_FLAG, &opt_in_place, NULL, NULL,
    "shared memory: run the /in-place variants (no copy out)"
};
static const struct tp_option spins_option = {
    "spins", OPT_UINT, &opt_spins, NULL, "N",
    "shared memory, futex wait: polls before sleeping [1000]"
};
TRANSPORT_OPTION(wait_option);
TRANSPORT_OPTION(ring_size_option);
TRANSPORT_OPTION(in_place_option);
TRANSPORT_OPTION(spins_option);

int shm_ring_selected(const struct transport *tp)
{
    int in_place = (tp->variant & SHM_IN_PLACE) != 0;

    return (opt_wait & (1u << (tp->variant & 0xf))) &&
           in_place == !!opt_in_place;
}

int shm_ring_check_size(const struct transport *tp, enum tp_mode mode,
                        size_t msg_bytes, char *err)
{
    char have[32], want[32];
    size_t need = RING_MIN_BYTES;

    (void)mode;
    if (!ring_capacity_ok(opt_ring_bytes))
        return err_set(err, "--ring-size %zu: must be a power of two from "
                            "%d to 1G", opt_ring_bytes, RING_MIN_BYTES);
    if ((tp->variant & SHM_IN_PLACE) &&
        msg_bytes > opt_ring_bytes - RING_HDR_BYTES) {
        while (need < msg_bytes + RING_HDR_BYTES && need < RING_MAX_BYTES)
            need <<= 1;
        format_size(opt_ring_bytes, have, sizeof(have));
        format_size(need, want, sizeof(want));
        if (msg_bytes > RING_MAX_BYTES - RING_HDR_BYTES)
            return err_set(err, "in-place needs the message whole in the "
                                "ring; %zu bytes is over the largest ring "
                                "(1G)", msg_bytes);
        return err_set(err, "in-place needs the message whole in one "
                            "record; it does not fit in the %s ring: use "
                            "--ring-size %s", have, want);
    }
    return 0;
}

/* ---- the control block ------------------------------------------------- */

/* One side's doorbell.  `sleeping` is the futex word: 1 while its owner
 * sleeps or is about to.  Each sits on its own cache lines: the waker
 * reads it after every commit or pop. */
struct shm_waiter {
    _Alignas(RING_ALIGN) _Atomic uint32_t sleeping;
    sem_t sem;                  /* --wait sem: the semaphore slept on */
};

struct shm_lane {
    struct shm_waiter data;     /* its consumer waits here for records */
    struct shm_waiter space;    /* its producer waits here for room */
    uint64_t ring_offset;       /* from the start of the region */
};

struct shm_ctl {
    struct shm_lane lane[2];
};

static size_t align_up(size_t n, size_t a)
{
    return (n + a - 1) / a * a;
}

int shm_ring_setup(struct tp_channel *ch, struct shm_ring *sr, char *err)
{
    char ring[32];

    memset(sr, 0, sizeof(*sr));
    sr->tx_lane = sr->rx_lane = -1;
    if (shm_ring_check_size(ch->tp, ch->mode, ch->msg_bytes, err) == -1)
        return -1;
    sr->wait = (enum shm_wait_kind)(ch->tp->variant & 0xf);
    sr->in_place = (ch->tp->variant & SHM_IN_PLACE) != 0;
    sr->yield = ch->same_cpu;
    /* On one CPU the peer cannot move while we poll: sleep at once. */
    sr->spins = ch->same_cpu ? 0 : opt_spins;
    sr->ring_bytes = opt_ring_bytes;
    sr->chunk_bytes = sr->ring_bytes / 4;
    sr->lanes = ch->mode == MODE_LATENCY ? 2 : 1;
    sr->region_bytes = align_up(sizeof(struct shm_ctl), RING_ALIGN) +
                       (size_t)sr->lanes *
                           align_up(ring_region_bytes(sr->ring_bytes),
                                    RING_ALIGN);
    format_size(sr->ring_bytes, ring, sizeof(ring));
    if (ch->same_cpu && sr->wait == SHM_WAIT_SPIN)
        snprintf(ch->note, NOTE_LEN, "same CPU: spin yields "
                                     "(sched_yield), no busy-poll");
    else if (ch->same_cpu && sr->wait == SHM_WAIT_FUTEX)
        snprintf(ch->note, NOTE_LEN, "same CPU: futex sleeps at once, "
                                     "no polling");
    else if (!sr->in_place && ch->msg_bytes > sr->chunk_bytes)
        snprintf(ch->note, NOTE_LEN, "%s ring; message sent in records "
                                     "of <= %zu bytes", ring,
                 sr->chunk_bytes);
    else if (sr->in_place &&
             ch->msg_bytes + RING_HDR_BYTES > sr->ring_bytes / 2)
        /* a second whole message never fits beside the first: the two
         * sides take turns instead of overlapping */
        snprintf(ch->note, NOTE_LEN, "%s ring holds one message at a "
                                     "time; a bigger --ring-size overlaps "
                                     "them", ring);
    return 0;
}

size_t shm_ring_region_bytes(const struct shm_ring *sr)
{
    return sr->region_bytes;
}

int shm_ring_format(struct shm_ring *sr, void *base, char *err)
{
    struct shm_ctl *ctl = base;
    size_t off = align_up(sizeof(*ctl), RING_ALIGN);

    /* Touch every page now, in the parent, so that the first run does not
     * pay for zero-filling the memory inside the timed part. */
    memset(base, 0, sr->region_bytes);
    for (int i = 0; i < sr->lanes; i++) {
        struct shm_lane *l = &ctl->lane[i];

        atomic_init(&l->data.sleeping, 0);
        atomic_init(&l->space.sleeping, 0);
        /* pshared = 1: the semaphore lives in memory several processes
         * map; value 0: nothing to take yet. */
        if (sem_init(&l->data.sem, 1, 0) == -1 ||
            sem_init(&l->space.sem, 1, 0) == -1)
            return err_sys(err, "sem_init");
        l->ring_offset = off;
        ring_init((char *)base + off, sr->ring_bytes);
        off += align_up(ring_region_bytes(sr->ring_bytes), RING_ALIGN);
    }
    return 0;
}

int shm_ring_open(struct tp_channel *ch, struct shm_ring *sr, void *base,
                  char *err)
{
    int out = ch->role == ROLE_PRODUCER ? 0 : 1;  /* lane I write */

    /* Map every page of the region into this process now, before the
     * clock starts.  Otherwise the first pass over a 2 MiB ring takes 512
     * page faults inside the measurement: at 64 KiB a sweep run of 40 MB
     * lasts about 2 ms, and the faults were a fifth of it.  A long-lived
     * program pays them once; a benchmark should not charge them to every
     * message.  The page contents are not touched. */
    if (madvise(base, sr->region_bytes, MADV_POPULATE_WRITE) == -1 &&
        errno != EINVAL)        /* EINVAL: a kernel before 5.14 */
        return err_sys(err, "madvise(MADV_POPULATE_WRITE)");
    sr->ctl = base;
    sr->tx_lane = sr->rx_lane = -1;
    if (out < sr->lanes)
        sr->tx_lane = out;
    if (1 - out < sr->lanes)
        sr->rx_lane = 1 - out;
    if (sr->tx_lane >= 0)
        ring_open(&sr->tx, (char *)base +
                               sr->ctl->lane[sr->tx_lane].ring_offset);
    if (sr->rx_lane >= 0)
        ring_open(&sr->rx, (char *)base +
                               sr->ctl->lane[sr->rx_lane].ring_offset);
    return 0;
}

/* ---- copying ----------------------------------------------------------- */

typedef unsigned char v32 __attribute__((vector_size(32), aligned(1)));

/* Copy n bytes in 64-byte steps with two 32-byte vectors (AVX2 registers
 * where the CPU has them), then the tail with memcpy (under 64 bytes: no
 * rep movsb).  aligned(1) makes the vector loads and stores unaligned-safe. */
__attribute__((target("avx2")))
static void copy_avx2(unsigned char *d, const unsigned char *s, size_t n)
{
    size_t k = 0;

    for (; k + 64 <= n; k += 64) {
        v32 a = *(const v32 *)(s + k), b = *(const v32 *)(s + k + 32);

        *(v32 *)(d + k) = a;
        *(v32 *)(d + k + 32) = b;
    }
    memcpy(d + k, s + k, n - k);
}

/* Every copy into and out of the ring (see "The copies" above). */
static void ring_copy(void *dst, const void *src, size_t n)
{
    static int use_avx2 = -1;   /* decided once; a benign race */

    if (use_avx2 < 0)
        use_avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
    if (use_avx2)
        copy_avx2(dst, src, n);
    else
        memcpy(dst, src, n);
}

/* ---- waiting and waking ------------------------------------------------ */

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();     /* tells the core we are spinning */
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

static long futex(_Atomic uint32_t *word, int op, uint32_t val)
{
    return syscall(SYS_futex, word, op, val, NULL, NULL, 0);
}

/* What a side waits for: records to read, or room for `need` bytes. */
static int can_read(struct ring *r, size_t need)
{
    const void *p;
    size_t n;
    unsigned flags;

    (void)need;
    return ring_peek(r, &p, &n, &flags) != 0;   /* -1 too: go and see */
}

static int can_write(struct ring *r, size_t need)
{
    return ring_reserve(r, need) != NULL;
}

/* Wait until ready(r, need).  spin: poll forever; futex: poll sr->spins
 * times, then sleep on w->sleeping; sem: sleep on w->sem. */
static int wait_until(const struct shm_ring *sr, struct shm_waiter *w,
                      int (*ready)(struct ring *, size_t), struct ring *r,
                      size_t need, char *err)
{
    unsigned long polls = sr->wait == SHM_WAIT_FUTEX ? sr->spins : 0;

    if (sr->wait == SHM_WAIT_SPIN) {
        while (!ready(r, need))
            if (sr->yield)
                sched_yield();  /* same CPU: let the other side run */
            else
                cpu_relax();
        return 0;
    }
    for (unsigned long i = 0; i < polls; i++) {
        if (ready(r, need))
            return 0;
        cpu_relax();
    }
    for (;;) {
        /* Announce, then look once more (see the header comment). */
        atomic_store_explicit(&w->sleeping, 1, memory_order_relaxed);
        atomic_thread_fence(memory_order_seq_cst);
        if (ready(r, need)) {
            atomic_store_explicit(&w->sleeping, 0, memory_order_relaxed);
            return 0;
        }
        if (sr->wait == SHM_WAIT_FUTEX) {
            /* Sleeps only if the word is still 1: a wake-up between our
             * check and this call makes it return EAGAIN at once. */
            if (futex(&w->sleeping, FUTEX_WAIT, 1) == -1 &&
                errno != EAGAIN && errno != EINTR)
                return err_sys(err, "futex(FUTEX_WAIT)");
        } else if (sem_wait(&w->sem) == -1 && errno != EINTR) {
            return err_sys(err, "sem_wait");
        }
    }
}

/* After a commit or a pop: wake the other side if it said it sleeps. */
static int wake(const struct shm_ring *sr, struct shm_waiter *w, char *err)
{
    if (sr->wait == SHM_WAIT_SPIN)
        return 0;               /* nobody sleeps: they poll */
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&w->sleeping, memory_order_relaxed) == 0)
        return 0;               /* the common case: no system call */
    atomic_store_explicit(&w->sleeping, 0, memory_order_relaxed);
    if (sr->wait == SHM_WAIT_FUTEX) {
        if (futex(&w->sleeping, FUTEX_WAKE, 1) == -1)
            return err_sys(err, "futex(FUTEX_WAKE)");
    } else if (sem_post(&w->sem) == -1) {
        return err_sys(err, "sem_post");
    }
    return 0;
}

/* ---- producer ---------------------------------------------------------- */

/* Write one record of len bytes from buf (NULL: a pad) into sr->tx. */
static int put_record(struct shm_ring *sr, const void *buf, size_t len,
                      unsigned flags, char *err)
{
    struct shm_lane *l = &sr->ctl->lane[sr->tx_lane];
    void *p;

    while ((p = ring_reserve(&sr->tx, len)) == NULL)
        if (wait_until(sr, &l->space, can_write, &sr->tx, len, err) == -1)
            return -1;
    if (buf != NULL)
        ring_copy(p, buf, len);
    ring_commit(&sr->tx, len, flags);
    if (sr->wait == SHM_WAIT_SEM) {     /* textbook: one post per record */
        if (sem_post(&l->data.sem) == -1)
            return err_sys(err, "sem_post");
        return 0;
    }
    return wake(sr, &l->data, err);
}

int shm_ring_send(struct tp_channel *ch, const void *buf, size_t len,
                  char *err)
{
    struct shm_ring *sr = ch->priv;
    const char *p = buf;
    size_t off = 0;

    if (sr->in_place) {         /* whole, in one record */
        size_t room = ring_contiguous(&sr->tx);

        if (room < len && put_record(sr, NULL, room, RING_PAD, err) == -1)
            return -1;
        return put_record(sr, buf, len, 0, err);
    }
    do {                        /* in records of <= chunk_bytes */
        size_t n = len - off;

        if (n > ring_contiguous(&sr->tx))
            n = ring_contiguous(&sr->tx);       /* the rest after the end */
        if (n > sr->chunk_bytes)
            n = sr->chunk_bytes;
        if (put_record(sr, p + off, n, off + n < len ? RING_MORE : 0,
                       err) == -1)
            return -1;
        off += n;
    } while (off < len);
    return 0;
}

/* ---- consumer ---------------------------------------------------------- */

/* The next record that is not a pad, waiting for it as --wait says. */
static int take_record(struct shm_ring *sr, const void **p, size_t *n,
                       unsigned *flags, char *err)
{
    struct shm_lane *l = &sr->ctl->lane[sr->rx_lane];

    for (;;) {
        int r;

        if (sr->wait == SHM_WAIT_SEM) {  /* textbook: one wait per record */
            while (sem_wait(&l->data.sem) == -1)
                if (errno != EINTR)
                    return err_sys(err, "sem_wait");
        }
        r = ring_peek(&sr->rx, p, n, flags);
        if (r == -1)
            return err_set(err, "ring: impossible record header (shared "
                                "memory corrupted)");
        if (r == 0) {
            if (sr->wait == SHM_WAIT_SEM)
                return err_set(err, "ring: semaphore posted but no record");
            if (wait_until(sr, &l->data, can_read, &sr->rx, 0, err) == -1)
                return -1;
            continue;
        }
        if (!(*flags & RING_PAD))
            return 0;
        ring_pop(&sr->rx);      /* skip the filler at the end */
        if (wake(sr, &l->space, err) == -1)
            return -1;
    }
}

int shm_ring_recv(struct tp_channel *ch, void *buf, size_t len,
                  const void **msg, char *err)
{
    struct shm_ring *sr = ch->priv;
    struct shm_lane *l = &sr->ctl->lane[sr->rx_lane];
    const void *p;
    size_t n, off = 0;
    unsigned flags;

    if (sr->in_place) {
        if (take_record(sr, &p, &n, &flags, err) == -1)
            return -1;
        if (n != len || (flags & RING_MORE))
            return err_set(err, "ring: a record of %zu bytes, expected one "
                                "message of %zu", n, len);
        *msg = p;               /* valid until shm_ring_release() */
        sr->holding = 1;
        return 0;
    }
    do {
        if (take_record(sr, &p, &n, &flags, err) == -1)
            return -1;
        if (n > len - off)
            return err_set(err, "ring: message longer than the %zu bytes "
                                "expected", len);
        ring_copy((char *)buf + off, p, n);
        off += n;
        ring_pop(&sr->rx);
        if (wake(sr, &l->space, err) == -1)
            return -1;
    } while (flags & RING_MORE);
    if (off != len)
        return err_set(err, "ring: message of %zu bytes, expected %zu", off,
                       len);
    *msg = buf;
    return 0;
}

void shm_ring_release(struct tp_channel *ch)
{
    struct shm_ring *sr = ch->priv;
    char err[ERR_LEN];

    if (!sr->holding)
        return;
    sr->holding = 0;
    ring_pop(&sr->rx);
    /* release() cannot report an error; a failed wake-up (EFAULT on our
     * own mapping) would show as a timeout of the run. */
    (void)wake(sr, &sr->ctl->lane[sr->rx_lane].space, err);
}
