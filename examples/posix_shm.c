/* transport: posix_shm/spin
 *
 * posix_shm.c - POSIX shared memory and a tiny ring: the producer copies
 * each message into memory the consumer sees, with no system call per
 * message at all.  A producer sends BYTES to a consumer in SIZE-byte
 * messages; ipc/posix_shm.c + ipc/ring.c do the same inside ipclab (with
 * variable-length records and three ways to wait).
 *
 * usage: posix_shm [SIZE [BYTES [CPU_PRODUCER CPU_CONSUMER]]]
 *        defaults: 64K 64M, not pinned (CPU -1: not pinned)
 * prints: posix_shm: N messages of SIZE bytes in S s (M msg/s): R MB/s
 *
 * How it works.  shm_open() makes a file in /dev/shm (tmpfs) under a name
 * nobody can guess (O_EXCL, 0600); posix_fallocate() reserves its memory,
 * so a full /dev/shm is an error here instead of a SIGBUS later; mmap()
 * maps it MAP_SHARED.  The children inherit the mapping through fork, so
 * the name goes at once (shm_unlink): nothing can be left behind.  See
 * shm_overview(7).
 *
 * The ring: NSLOTS slots of SIZE bytes and two counters on their own cache
 * lines.  Only the producer writes `head` (messages written), only the
 * consumer writes `tail` (messages read), so no lock is needed: a release
 * store publishes a slot's bytes with its counter, an acquire load sees
 * both.  A side with nothing to do spins (the `pause` instruction), or
 * yields the CPU when both sides share one: ipclab's posix_shm/spin.
 *
 *      parent: fd = shm_open(name); posix_fallocate(fd); p = mmap(fd);
 *              shm_unlink(name); close(fd)
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

#include <fcntl.h>
#include <stdatomic.h>
#include <sys/stat.h>

#define RING_BYTES (2u << 20)   /* ipclab's default --ring-size */

struct ring {
    _Alignas(128) _Atomic uint64_t head;    /* written by the producer */
    _Alignas(128) _Atomic uint64_t tail;    /* written by the consumer */
    _Alignas(128) char slot[];              /* nslots * size bytes */
};

static char name[64];

static void cleanup(void)
{
    if (name[0] != '\0')
        shm_unlink(name);
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
    int fd, ready[2], same_cpu, e;
    pid_t pid[2];
    uint64_t *t;
    char *buf, go = 'g';

    ex_args(argc, argv, "posix_shm", 64 << 10, 64 << 20, &a);
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
    ex_unique_name(name, sizeof(name));
    fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd == -1) {
        name[0] = '\0';         /* not ours: leave it alone */
        errExit("shm_open");
    }
    atexit(cleanup);
    e = posix_fallocate(fd, 0, (off_t)bytes);   /* returns the error */
    if (e != 0) {
        errno = e;
        errExit("posix_fallocate");
    }
    r = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (r == MAP_FAILED)
        errExit("mmap");
    if (shm_unlink(name) == -1)     /* nameless from now on */
        errExit("shm_unlink");
    name[0] = '\0';
    close(fd);                      /* the mapping keeps it */

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
