/* shm_wait.h - how a side of a shared-memory ring waits for the other
 * (spin, futex, sem, eventfd) and wakes it; see ipc/shm_wait.c. */
#ifndef IPCLAB_SHM_WAIT_H
#define IPCLAB_SHM_WAIT_H

#include <semaphore.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "ring.h"

enum shm_wait_kind { SHM_WAIT_SPIN, SHM_WAIT_FUTEX, SHM_WAIT_SEM,
                     SHM_WAIT_EVENTFD };

/* How this run waits: fixed in create(), inherited by both children. */
struct shm_wait {
    enum shm_wait_kind kind;
    int yield;                  /* same CPU: spin yields instead */
    unsigned long spins;        /* futex, eventfd: polls before sleeping */
};

/* One side's doorbell, in shared memory.  `sleeping` is the futex word:
 * 1 while its owner sleeps or is about to.  Each sits on its own cache
 * lines: the waker reads it after every commit or pop. */
struct shm_waiter {
    _Alignas(RING_ALIGN) _Atomic uint32_t sleeping;
    sem_t sem;                  /* --wait sem: the semaphore slept on */
    int efd;                    /* --wait eventfd: the descriptor slept on
                                   (made before fork: the same number in
                                   both processes), else -1 */
};

/* Parent: a doorbell in fresh shared memory; --wait eventfd also makes
 * its eventfd (w->efd), which the caller closes (shm_ring_close). */
int shm_waiter_init(struct shm_waiter *w, enum shm_wait_kind kind,
                    char *err);
/* Wait until ready(r, need) is true, as `how` says, sleeping on w. */
int shm_wait_until(const struct shm_wait *how, struct shm_waiter *w,
                   int (*ready)(struct ring *, size_t), struct ring *r,
                   size_t need, char *err);
/* After a commit or a pop: wake the owner of w if it said it sleeps (no
 * system call otherwise). */
int shm_wake(const struct shm_wait *how, struct shm_waiter *w, char *err);

#endif
