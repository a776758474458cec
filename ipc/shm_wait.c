/* shm_wait.c - four ways for one side of a shared-memory ring to wait
 * for the other, and to wake it: the part of the shared-memory transports
 * that is about sleeping, not about the ring (ipc/shm_ring.c) or the
 * memory (the memory files).
 *
 * Four ways to wait (--wait spin,futex,sem,eventfd; the default is futex).
 * The consumer waits while its ring is empty, the producer while it is
 * full.
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
 *   eventfd  the futex protocol (poll --spins times, announce, recheck)
 *          with an eventfd as the thing slept on: the sleeper read()s it,
 *          the waker write()s 1 to it.  The eventfds are made by the parent
 *          before fork, so both children hold them under the same numbers,
 *          which the doorbell in shared memory records.  What it buys: the
 *          descriptor is pollable, so a side that also waits for sockets
 *          or timers can put it in its poll/epoll set (an event loop: one
 *          more call, epoll_wait, per wake-up).  What it costs against a
 *          futex: a file descriptor per doorbell (4 per channel), a file
 *          lookup and the eventfd's spinlock and wait queue per call, and
 *          8 bytes copied each way - a fraction of a microsecond on a wake
 *          that costs several (a sleeping task to schedule).  A wake-up
 *          that races with a sleeper which found the ring ready by itself
 *          leaves the counter at 1: its next read() returns at once, and
 *          the loop looks at the ring again, as after a futex EAGAIN.
 *          See eventfd(2).
 *
 * The announce-then-recheck order matters.  Sleeper: word = 1, then look
 * at the ring.  Waker: update the ring, then look at the word.  Each side
 * writes one location and reads the other; without a full fence between
 * the write and the read, x86 may let the read overtake the write, both
 * sides miss each other's news, and the sleeper sleeps forever.  The
 * atomic_thread_fence(memory_order_seq_cst) on each side (an mfence or a
 * locked instruction) forbids that: at least one of them sees the other.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../bench/util.h"
#include "shm_wait.h"

int shm_waiter_init(struct shm_waiter *w, enum shm_wait_kind kind,
                    char *err)
{
    atomic_init(&w->sleeping, 0);
    w->efd = -1;
    if (kind == SHM_WAIT_EVENTFD) {
        w->efd = eventfd(0, EFD_CLOEXEC);
        if (w->efd == -1)
            return err_sys(err, "eventfd");
    }
    /* pshared = 1: the semaphore lives in memory several processes map;
     * value 0: nothing to take yet. */
    if (sem_init(&w->sem, 1, 0) == -1)
        return err_sys(err, "sem_init");
    return 0;
}

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

/* Wait until ready(r, need).  spin: poll forever; futex: poll how->spins
 * times, then sleep on w->sleeping; sem: sleep on w->sem. */
int shm_wait_until(const struct shm_wait *how, struct shm_waiter *w,
                   int (*ready)(struct ring *, size_t), struct ring *r,
                   size_t need, char *err)
{
    unsigned long polls = how->kind == SHM_WAIT_FUTEX ||
                          how->kind == SHM_WAIT_EVENTFD ? how->spins : 0;
    uint64_t count;
    ssize_t n;

    if (how->kind == SHM_WAIT_SPIN) {
        while (!ready(r, need))
            if (how->yield)
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
        if (how->kind == SHM_WAIT_FUTEX) {
            /* Sleeps only if the word is still 1: a wake-up between our
             * check and this call makes it return EAGAIN at once. */
            if (futex(&w->sleeping, FUTEX_WAIT, 1) == -1 &&
                errno != EAGAIN && errno != EINTR)
                return err_sys(err, "futex(FUTEX_WAIT)");
        } else if (how->kind == SHM_WAIT_EVENTFD) {
            /* Returns at once if a wake-up came since we announced. */
            n = read(w->efd, &count, sizeof(count));
            if (n == -1 && errno != EINTR)
                return err_sys(err, "read(eventfd)");
            if (n != -1 && n != (ssize_t)sizeof(count))
                return err_set(err, "read(eventfd): %zd bytes", n);
        } else if (sem_wait(&w->sem) == -1 && errno != EINTR) {
            return err_sys(err, "sem_wait");
        }
    }
}

/* After a commit or a pop: wake the other side if it said it sleeps. */
int shm_wake(const struct shm_wait *how, struct shm_waiter *w, char *err)
{
    if (how->kind == SHM_WAIT_SPIN)
        return 0;               /* nobody sleeps: they poll */
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&w->sleeping, memory_order_relaxed) == 0)
        return 0;               /* the common case: no system call */
    atomic_store_explicit(&w->sleeping, 0, memory_order_relaxed);
    if (how->kind == SHM_WAIT_FUTEX) {
        if (futex(&w->sleeping, FUTEX_WAKE, 1) == -1)
            return err_sys(err, "futex(FUTEX_WAKE)");
    } else if (how->kind == SHM_WAIT_EVENTFD) {
        uint64_t one = 1;
        ssize_t n;

        do
            n = write(w->efd, &one, sizeof(one));
        while (n == -1 && errno == EINTR);
        if (n != (ssize_t)sizeof(one))
            return err_sys(err, "write(eventfd)");
    } else if (sem_post(&w->sem) == -1) {
        return err_sys(err, "sem_post");
    }
    return 0;
}
