/* transport: sysv_shm/spin
 *
 * sysv_shm.c - System V shared memory and a tiny ring: the producer copies
 * each message into memory the consumer sees, with no system call per
 * message at all.  A producer sends BYTES to a consumer in SIZE-byte
 * messages; ipc/sysv_shm.c + ipc/ring.c do the same inside ipclab (with
 * variable-length records and three ways to wait).  The ring is the one of
 * examples/posix_shm.c: only the way the memory is obtained differs.
 *
 * usage: sysv_shm [SIZE [BYTES [CPU_PRODUCER CPU_CONSUMER]]]
 *        defaults: 64K 64M, not pinned (CPU -1: not pinned)
 * prints: sysv_shm: N messages of SIZE bytes in S s (M msg/s): R MB/s
 *
 * How it works.  shmget(IPC_PRIVATE) makes a new segment that no key can
 * find (0600); shmat() maps it.  The children inherit the attachment
 * through fork, so the parent marks the segment for removal at once
 * (IPC_RMID): the kernel frees it when the last process detaches, and
 * nothing can be left behind, even if the parent is killed.  A segment is
 * at most shmmax bytes (/proc/sys/kernel/shmmax).  See sysvipc(7).
 *
 * The ring: NSLOTS slots of SIZE bytes and two counters on their own cache
 * lines.  Only the producer writes `head` (messages written), only the
 * consumer writes `tail` (messages read), so no lock is needed: a release
 * store publishes a slot's bytes with its counter, an acquire load sees
 * both.  A side with nothing to do spins (the `pause` instruction), or
 * yields the CPU when both sides share one: ipclab's sysv_shm/spin.
 *
 *      parent: id = shmget(IPC_PRIVATE, 0600); p = shmat(id);
 *              shmctl(id, IPC_RMID)
 *
 *      producer                          consumer
 *      --------                          --------
 *      read(ready[0]) <----- "go" ----   write(ready[1])
 *      t0 = now
 *      wait while head - tail == NSLOTS  wait while tail == head
 *      memcpy(slot[head % NSLOTS], msg)  memcpy(msg, slot[tail % NSLOTS])
 *      store-release head + 1   ------>  store-release tail + 1
 *                                        (N messages) t1 = now
 */
#include "example.h"       /* first: it defines _GNU_SOURCE */

#include <stdatomic.h>
#include <sys/shm.h>

#define RING_BYTES (2u << 20)   /* ipclab's default --ring-size */

struct ring {
    _Alignas(128) _Atomic uint64_t head;    /* written by the producer */
    _Alignas(128) _Atomic uint64_t tail;    /* written by the consumer */
    _Alignas(128) char slot[];              /* nslots * size bytes */
};

static int id = -1;

static void cleanup(void)
{
    if (id != -1)
        shmctl(id, IPC_RMID, NULL);
}

static void relax(int same_cpu)
{
    if (same_cpu)
        sched_yield();          /* spinning would only delay the other */
    else
        __builtin_ia32_pause(); /* tells the core we are spinning */
}

int main(int argc, char **argv)
{
    struct ex_args a;
    struct ring *r;
    size_t nslots, bytes;
    int ready[2], same_cpu;
    pid_t pid[2];
    uint64_t *t;
    char *buf, go = 'g';

    ex_args(argc, argv, "sysv_shm", 64 << 10, 64 << 20, &a);
    ex_catch_signals();
    t = ex_clock();
    same_cpu = a.cpu[0] == a.cpu[1] && a.cpu[0] >= 0;
    nslots = RING_BYTES / a.size > 2 ? RING_BYTES / a.size : 2;
    bytes = sizeof(struct ring) + nslots * a.size;
    buf = malloc(a.size);
    if (buf == NULL)
        errExit("malloc");
    memset(buf, 'x', a.size);
    if (pipe(ready) == -1)
        errExit("pipe");
    id = shmget(IPC_PRIVATE, bytes, IPC_CREAT | 0600);
    if (id == -1)
        errExit("shmget");
    atexit(cleanup);
    r = shmat(id, NULL, 0);
    if (r == (void *)-1)
        errExit("shmat");
    if (shmctl(id, IPC_RMID, NULL) == -1)   /* gone with the last detach */
        errExit("shmctl IPC_RMID");
    id = -1;

    for (int role = 1; role >= 0; role--) {     /* consumer first */
        pid[role] = fork();
        if (pid[role] == -1)
            errExit("fork");
        if (pid[role] != 0)
            continue;
        ex_child(a.cpu[role]);
        for (size_t off = 0; off < bytes; off += 4096)
            (void)*(volatile char *)((char *)r + off); /* map the pages */
        if (role == 1) {                        /* consumer */
            if (write(ready[1], &go, 1) != 1)
                errExit("write ready");
            for (uint64_t i = 0; i < a.count; i++) {
                while (atomic_load_explicit(&r->head,
                                            memory_order_acquire) == i)
                    relax(same_cpu);
                memcpy(buf, r->slot + (i % nslots) * a.size, a.size);
                atomic_store_explicit(&r->tail, i + 1, memory_order_release);
            }
            t[1] = ex_now_ns();
        } else {                                /* producer */
            if (read(ready[0], &go, 1) != 1)
                errExit("read ready");
            t[0] = ex_now_ns();
            for (uint64_t i = 0; i < a.count; i++) {
                while (i - atomic_load_explicit(&r->tail,
                                                memory_order_acquire) == nslots)
                    relax(same_cpu);
                memcpy(r->slot + (i % nslots) * a.size, buf, a.size);
                atomic_store_explicit(&r->head, i + 1, memory_order_release);
            }
        }
        _exit(0);
    }
    free(buf);  /* the parent moves no data */
    if (ex_reap(pid) == -1)
        return 1;
    ex_report(&a, a.count, t);
    return 0;
}
