/* shm_ring.c - one ring, four ways to wait: the part of every
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
 * The copies are copy_bytes() (bench/copy.h), not memcpy(): glibc's
 * memcpy made a run fast or slow by the luck of its addresses here (11.7
 * or 25 GB/s at 64 KiB in alternate runs on the reference machine).
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
 * Waiting: ipc/shm_wait.c (--wait spin,futex,sem,eventfd; the default is
 * futex).  With eventfd the parent makes four eventfds (two per lane)
 * that both children inherit; shm_ring_close() closes a process's.
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
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../bench/copy.h"
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
#define SHM_FUTEX_SPINS_MAX 10000000        /* a second or so of polling */
/* The transports built on this ring: what its options apply to. */
#define SHM_RING_USERS "sysv_shm/*,posix_shm/*,mmap_file/*,mmap_anon/*"

/* ---- options (set in the parent, inherited by the children) ------------ */

static const char *const wait_names[] = { "spin", "futex", "sem", "eventfd",
                                          NULL };
static unsigned opt_wait = 1u << SHM_WAIT_FUTEX;    /* a bit per kind */
static size_t opt_ring_bytes = SHM_RING_DEFAULT_BYTES;
static int opt_in_place;
static unsigned long opt_spins = SHM_FUTEX_SPINS_DEFAULT;

static const struct tp_option wait_option = {
    "wait", OPT_LIST, &opt_wait, wait_names, "LIST",
    "shared memory: how a side waits, a list or all [futex]",
    .applies = SHM_RING_USERS,
};
static const struct tp_option ring_size_option = {
    "ring-size", OPT_SIZE, &opt_ring_bytes, NULL, "BYTES",
    "shared memory: ring data area, a power of two, 256..1G [2M]",
    .min = RING_MIN_BYTES, .max = RING_MAX_BYTES, .applies = SHM_RING_USERS,
};
static const struct tp_option in_place_option = {
    "in-place", OPT_FLAG, &opt_in_place, NULL, NULL,
    "shared memory: run the /in-place variants (no copy out)",
    .applies = SHM_RING_USERS,
};
static const struct tp_option spins_option = {
    "spins", OPT_UINT, &opt_spins, NULL, "N",
    "shared memory, futex/eventfd wait: polls before sleeping, 0..10000000 "
    "[1000]",
    .max = SHM_FUTEX_SPINS_MAX, .applies = SHM_RING_USERS,
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
    sr->how.kind = (enum shm_wait_kind)(ch->tp->variant & 0xf);
    sr->in_place = (ch->tp->variant & SHM_IN_PLACE) != 0;
    sr->how.yield = ch->same_cpu;
    /* On one CPU the peer cannot move while we poll: sleep at once. */
    sr->how.spins = ch->same_cpu ? 0 : opt_spins;
    sr->ring_bytes = opt_ring_bytes;
    sr->chunk_bytes = sr->ring_bytes / 4;
    sr->lanes = ch->mode == MODE_LATENCY ? 2 : 1;
    sr->region_bytes = align_up(sizeof(struct shm_ctl), RING_ALIGN) +
                       (size_t)sr->lanes *
                           align_up(ring_region_bytes(sr->ring_bytes),
                                    RING_ALIGN);
    format_size(sr->ring_bytes, ring, sizeof(ring));
    ch->facts.ring_bytes = sr->ring_bytes;
    ch->facts.wait = wait_names[sr->how.kind];
    ch->facts.records_per_msg =
        sr->in_place || ch->msg_bytes <= sr->chunk_bytes
            ? 1 : (ch->msg_bytes + sr->chunk_bytes - 1) / sr->chunk_bytes;
    if (ch->same_cpu && sr->how.kind == SHM_WAIT_SPIN)
        snprintf(ch->note, NOTE_LEN, "same CPU: spin yields "
                                     "(sched_yield), no busy-poll");
    else if (ch->same_cpu && (sr->how.kind == SHM_WAIT_FUTEX ||
                              sr->how.kind == SHM_WAIT_EVENTFD))
        snprintf(ch->note, NOTE_LEN, "same CPU: %s sleeps at once, "
                                     "no polling",
                 sr->how.kind == SHM_WAIT_FUTEX ? "futex" : "eventfd");
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

    /* Only the control block and the ring headers are written: the data
     * areas need no content, and each child maps every page in
     * shm_ring_open() before the clock starts.  (Zeroing a 1 GiB region
     * here took seconds, with SIGINT waiting.) */
    memset(ctl, 0, sizeof(*ctl));
    for (int i = 0; i < sr->lanes; i++) {
        struct shm_lane *l = &ctl->lane[i];

        if (shm_waiter_init(&l->data, sr->how.kind, err) == -1)
            return -1;
        if (l->data.efd != -1)
            sr->efds[sr->nefds++] = l->data.efd;
        if (shm_waiter_init(&l->space, sr->how.kind, err) == -1)
            return -1;
        if (l->space.efd != -1)
            sr->efds[sr->nefds++] = l->space.efd;
        l->ring_offset = off;
        ring_init((char *)base + off, sr->ring_bytes);
        off += align_up(ring_region_bytes(sr->ring_bytes), RING_ALIGN);
    }
    return 0;
}

int shm_ring_reserve(struct tp_channel *ch, int fd, size_t len,
                     const char *where, char *err)
{
    int e;

    do                          /* allocates the blocks, zeroed */
        e = posix_fallocate(fd, 0, (off_t)len);
    while (e == EINTR);
    if (e == ENOSPC || e == EFBIG || e == ENOMEM) {
        ch->refused = TP_REFUSED_OVER_LIMIT;
        return err_set(err, "no space in %s (need %zu bytes)", where, len);
    }
    if (e != 0) {
        errno = e;
        return err_sys_ctx(err, "posix_fallocate", where);
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

/* ---- producer ---------------------------------------------------------- */

/* Write one record of len bytes from buf (NULL: a pad) into sr->tx. */
static int put_record(struct shm_ring *sr, const void *buf, size_t len,
                      unsigned flags, char *err)
{
    struct shm_lane *l = &sr->ctl->lane[sr->tx_lane];
    void *p;

    while ((p = ring_reserve(&sr->tx, len)) == NULL)
        if (shm_wait_until(&sr->how, &l->space, can_write, &sr->tx, len,
                           err) == -1)
            return -1;
    if (buf != NULL)
        copy_bytes(p, buf, len);
    ring_commit(&sr->tx, len, flags);
    if (sr->how.kind == SHM_WAIT_SEM) {     /* textbook: one post per record */
        if (sem_post(&l->data.sem) == -1)
            return err_sys(err, "sem_post");
        return 0;
    }
    return shm_wake(&sr->how, &l->data, err);
}

int shm_ring_send(struct shm_ring *sr, const void *buf, size_t len,
                  char *err)
{
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

        if (sr->how.kind == SHM_WAIT_SEM) { /* textbook: a wait a record */
            while (sem_wait(&l->data.sem) == -1)
                if (errno != EINTR)
                    return err_sys(err, "sem_wait");
        }
        r = ring_peek(&sr->rx, p, n, flags);
        if (r == -1)
            return err_set(err, "ring: impossible record header (shared "
                                "memory corrupted)");
        if (r == 0) {
            if (sr->how.kind == SHM_WAIT_SEM)
                return err_set(err, "ring: semaphore posted but no record");
            if (shm_wait_until(&sr->how, &l->data, can_read, &sr->rx, 0,
                               err) == -1)
                return -1;
            continue;
        }
        if (!(*flags & RING_PAD))
            return 0;
        ring_pop(&sr->rx);      /* skip the filler at the end */
        if (shm_wake(&sr->how, &l->space, err) == -1)
            return -1;
    }
}

int shm_ring_recv(struct shm_ring *sr, void *buf, size_t len,
                  const void **msg, char *err)
{
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
        copy_bytes((char *)buf + off, p, n);
        off += n;
        ring_pop(&sr->rx);
        if (shm_wake(&sr->how, &l->space, err) == -1)
            return -1;
    } while (flags & RING_MORE);
    if (off != len)
        return err_set(err, "ring: message of %zu bytes, expected %zu", off,
                       len);
    *msg = buf;
    return 0;
}

void shm_ring_close(struct shm_ring *sr)
{
    for (int i = 0; i < sr->nefds; i++)
        close_fd(&sr->efds[i]);
    sr->nefds = 0;
}

void shm_ring_release(struct shm_ring *sr)
{
    char err[ERR_LEN];

    if (!sr->holding)
        return;
    sr->holding = 0;
    ring_pop(&sr->rx);
    /* release() cannot report an error; a failed wake-up (EFAULT on our
     * own mapping) would show as a timeout of the run. */
    (void)shm_wake(&sr->how, &sr->ctl->lane[sr->rx_lane].space, err);
}
