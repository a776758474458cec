/* mmap_anon.c - an anonymous shared mapping inherited through fork.
 *
 * What it is.  mmap(NULL, len, ..., MAP_SHARED | MAP_ANONYMOUS, -1, 0)
 * makes memory backed by no file at all; because it is MAP_SHARED, a child
 * created by fork(2) shares those very pages with its parent instead of
 * getting copy-on-write copies.  The simplest shared memory there is: no
 * name, no descriptor, no permissions to get wrong - but only for related
 * processes, and only if the mapping exists before fork.  See mmap(2)
 * (MAP_SHARED, MAP_ANONYMOUS) and fork(2).
 *
 * Kernel objects.  An unnamed shmem object behind the mapping (Linux backs
 * shared anonymous memory with an internal tmpfs file called "/dev/zero
 * (deleted)" in /proc/PID/maps).  It disappears with the last mapping, so
 * nothing can leak; destroy() unmaps the parent's copy.
 *
 * Copies, waiting, protocol: those of the shared ring (ipc/shm_ring.c).
 *
 *      parent                  producer              consumer
 *      ------                  --------              --------
 *      mmap(MAP_SHARED|
 *           MAP_ANONYMOUS)
 *      format
 *      fork, fork -----------> (mapping inherited)   (mapping inherited)
 *                              ring messages ------> ring messages
 *                              munmap                munmap
 *      munmap
 *
 * Usage: bin/mmap_anon [--wait spin,futex,sem,eventfd] [--ring-size 2M] ...
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "../bench/transport.h"
#include "../bench/util.h"
#include "shm_ring.h"

struct manon_priv {
    struct shm_ring sr;         /* settings and this side's rings */
    void *addr;                 /* the mapping (inherited), or NULL */
};

static int manon_create(struct tp_channel *ch, char *err)
{
    struct manon_priv *p = calloc(1, sizeof(*p));

    if (p == NULL)
        return err_sys(err, "calloc");
    ch->priv = p;
    if (shm_ring_setup(ch, &p->sr, err) == -1)
        return -1;
    p->addr = mmap(NULL, shm_ring_region_bytes(&p->sr),
                   PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
                   0);
    if (p->addr == MAP_FAILED) {
        p->addr = NULL;
        return err_sys(err, "mmap");
    }
    return shm_ring_format(&p->sr, p->addr, err);
}

static int manon_attach(struct tp_channel *ch, char *err)
{
    struct manon_priv *p = ch->priv;

    return shm_ring_open(ch, &p->sr, p->addr, err);  /* fork shared it */
}

static void manon_unmap(struct tp_channel *ch)
{
    struct manon_priv *p = ch->priv;

    if (p->addr != NULL)
        (void)munmap(p->addr, shm_ring_region_bytes(&p->sr));
    p->addr = NULL;
}

static void manon_detach(struct tp_channel *ch)
{
    manon_unmap(ch);
}

static void manon_destroy(struct tp_channel *ch)
{
    if (ch->priv == NULL)
        return;
    manon_unmap(ch);
    /* --wait eventfd: the parent's fds */
    shm_ring_close(&((struct manon_priv *)ch->priv)->sr);
    free(ch->priv);
    ch->priv = NULL;
}

/* The ring's calls, with this file's ring. */
static int manon_send(struct tp_channel *ch, const void *buf, size_t len,
                      char *err)
{
    struct manon_priv *p = ch->priv;

    return shm_ring_send(&p->sr, buf, len, err);
}

static int manon_recv(struct tp_channel *ch, void *buf, size_t len,
                      const void **msg, char *err)
{
    struct manon_priv *p = ch->priv;

    return shm_ring_recv(&p->sr, buf, len, msg, err);
}

static void manon_release(struct tp_channel *ch)
{
    struct manon_priv *p = ch->priv;

    shm_ring_release(&p->sr);
}

/* Eight variants: four waits, each copying out or in place (the linker
 * section lists them in reverse, so `ipclab list` shows spin first).
 * System calls per message: none (a sleeping side is woken once, not
 * per message), but sem posts every record, a futex call whenever the
 * consumer sleeps in sem_wait - on one CPU nearly always. */
static const struct transport manon_eventfd_ip = {
    .name = "mmap_anon/eventfd/in-place", .family = TP_IPC,
    .summary = "MAP_SHARED|MAP_ANONYMOUS before fork, ring, eventfd,"
                " no copy out",
    .caps = TP_MESSAGES | TP_DUPLEX,
    .variant = SHM_WAIT_EVENTFD | SHM_IN_PLACE,
    /* on one CPU (the declaration test's case) each message finds the
     * other side asleep: a write wakes it, a read sleeps - about one call
     * a side (1.05 measured at 64 KiB); none when nobody waits */
    .copies = TP_COPIES(1), .syscalls = TP_SYSCALLS(1, 1),
    .selected = shm_ring_selected, .check_size = shm_ring_check_size,
    .create = manon_create, .attach = manon_attach,
    .send = manon_send, .recv = manon_recv,
    .release = manon_release,
    .detach = manon_detach, .destroy = manon_destroy,
};
TRANSPORT_REGISTER(manon_eventfd_ip);

static const struct transport manon_eventfd = {
    .name = "mmap_anon/eventfd", .family = TP_IPC,
    .summary = "MAP_SHARED|MAP_ANONYMOUS before fork, ring,"
                " polls then sleeps on an eventfd",
    .caps = TP_MESSAGES | TP_DUPLEX, .variant = SHM_WAIT_EVENTFD,
    /* on one CPU (the declaration test's case) each message finds the
     * other side asleep: a write wakes it, a read sleeps - about one call
     * a side (1.05 measured at 64 KiB); none when nobody waits */
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(1, 1),
    .selected = shm_ring_selected, .check_size = shm_ring_check_size,
    .create = manon_create, .attach = manon_attach,
    .send = manon_send, .recv = manon_recv,
    .detach = manon_detach, .destroy = manon_destroy,
};
TRANSPORT_REGISTER(manon_eventfd);

static const struct transport manon_sem_ip = {
    .name = "mmap_anon/sem/in-place", .family = TP_IPC,
    .summary = "MAP_SHARED|MAP_ANONYMOUS before fork, ring, semaphores,"
                " no copy out",
    .caps = TP_MESSAGES | TP_DUPLEX,
    .variant = SHM_WAIT_SEM | SHM_IN_PLACE,
    .copies = TP_COPIES(1), .syscalls = TP_SYSCALLS(1, 0),
    .selected = shm_ring_selected, .check_size = shm_ring_check_size,
    .create = manon_create, .attach = manon_attach,
    .send = manon_send, .recv = manon_recv,
    .release = manon_release,
    .detach = manon_detach, .destroy = manon_destroy,
};
TRANSPORT_REGISTER(manon_sem_ip);

static const struct transport manon_futex_ip = {
    .name = "mmap_anon/futex/in-place", .family = TP_IPC,
    .summary = "MAP_SHARED|MAP_ANONYMOUS before fork, ring, futex,"
                " no copy out",
    .caps = TP_MESSAGES | TP_DUPLEX,
    .variant = SHM_WAIT_FUTEX | SHM_IN_PLACE,
    .copies = TP_COPIES(1), .syscalls = TP_SYSCALLS(0, 0),
    .selected = shm_ring_selected, .check_size = shm_ring_check_size,
    .create = manon_create, .attach = manon_attach,
    .send = manon_send, .recv = manon_recv,
    .release = manon_release,
    .detach = manon_detach, .destroy = manon_destroy,
};
TRANSPORT_REGISTER(manon_futex_ip);

static const struct transport manon_spin_ip = {
    .name = "mmap_anon/spin/in-place", .family = TP_IPC,
    .summary = "MAP_SHARED|MAP_ANONYMOUS before fork, ring, busy-polls,"
                " no copy out",
    .caps = TP_MESSAGES | TP_DUPLEX,
    .variant = SHM_WAIT_SPIN | SHM_IN_PLACE,
    .copies = TP_COPIES(1), .syscalls = TP_SYSCALLS(0, 0),
    .selected = shm_ring_selected, .check_size = shm_ring_check_size,
    .create = manon_create, .attach = manon_attach,
    .send = manon_send, .recv = manon_recv,
    .release = manon_release,
    .detach = manon_detach, .destroy = manon_destroy,
};
TRANSPORT_REGISTER(manon_spin_ip);

static const struct transport manon_sem = {
    .name = "mmap_anon/sem", .family = TP_IPC,
    .summary = "MAP_SHARED|MAP_ANONYMOUS before fork, ring, POSIX semaphores",
    .caps = TP_MESSAGES | TP_DUPLEX, .variant = SHM_WAIT_SEM,
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(1, 0),
    .selected = shm_ring_selected, .check_size = shm_ring_check_size,
    .create = manon_create, .attach = manon_attach,
    .send = manon_send, .recv = manon_recv,
    .detach = manon_detach, .destroy = manon_destroy,
};
TRANSPORT_REGISTER(manon_sem);

static const struct transport manon_futex = {
    .name = "mmap_anon/futex", .family = TP_IPC,
    .summary = "MAP_SHARED|MAP_ANONYMOUS before fork, ring,"
                " polls then sleeps on a futex",
    .caps = TP_MESSAGES | TP_DUPLEX, .variant = SHM_WAIT_FUTEX,
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(0, 0),
    .selected = shm_ring_selected, .check_size = shm_ring_check_size,
    .create = manon_create, .attach = manon_attach,
    .send = manon_send, .recv = manon_recv,
    .detach = manon_detach, .destroy = manon_destroy,
};
TRANSPORT_REGISTER(manon_futex);

static const struct transport manon_spin = {
    .name = "mmap_anon/spin", .family = TP_IPC,
    .summary = "MAP_SHARED|MAP_ANONYMOUS before fork, ring, busy-polls",
    .caps = TP_MESSAGES | TP_DUPLEX, .variant = SHM_WAIT_SPIN,
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(0, 0),
    .selected = shm_ring_selected, .check_size = shm_ring_check_size,
    .create = manon_create, .attach = manon_attach,
    .send = manon_send, .recv = manon_recv,
    .detach = manon_detach, .destroy = manon_destroy,
};
TRANSPORT_REGISTER(manon_spin);
