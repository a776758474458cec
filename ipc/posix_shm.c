/* posix_shm.c - POSIX shared memory: shm_open, ftruncate, mmap.
 *
 * What it is.  A named shared memory object that behaves like a file: on
 * Linux it IS a file, in the tmpfs mounted at /dev/shm.  shm_open(3)
 * returns a descriptor, ftruncate(2) gives the object its size, mmap(2)
 * with MAP_SHARED maps it; from then on both processes load and store the
 * same pages with no system call.  Unrelated processes find it by name.
 * Choose it over System V shm in new code: descriptors, names and
 * permissions work like files.  See shm_overview(7), shm_open(3), mmap(2).
 *
 * Kernel objects.  One tmpfs file /dev/shm/ipclab-PID-RANDOM: a name no one
 * can guess (unique_name()), created with O_CREAT|O_EXCL (fail rather than
 * open somebody else's object) and mode 0600.  Named objects outlive the
 * processes, so the name must go before anything can kill us: the parent
 * shm_unlink()s it right after shm_open() - the descriptor keeps the
 * object - and the children inherit the parent's mapping through fork.
 * (Unrelated processes would each shm_open() the name and map it; the
 * name would then live until both had.)  For the few microseconds the
 * name exists it is in the run's journal (bench/journal.h), so even a
 * SIGKILL there leaves nothing that `ipclab clean` cannot remove.
 *
 * Space.  /dev/shm is a tmpfs of limited size, and a file made by
 * ftruncate is sparse: a store into a page the tmpfs cannot supply kills
 * the process with SIGBUS.  So every page is reserved first with
 * posix_fallocate(3); a full /dev/shm makes the row n/a, "no space in
 * /dev/shm (need N bytes)".
 *
 * Copies, waiting, protocol: those of the shared ring (ipc/shm_ring.c):
 * two copies per byte (one with --in-place), no system call per message
 * with --wait spin or futex while both sides keep up.
 *
 *      parent                  producer              consumer
 *      ------                  --------              --------
 *      shm_open(name, O_CREAT|
 *               O_EXCL, 0600)
 *      shm_unlink(name)
 *      posix_fallocate, mmap,
 *      close, format
 *      fork, fork -----------> (mapping inherited)   (mapping inherited)
 *                              ring messages ------> ring messages
 *                              munmap                munmap
 *      munmap
 *
 * Usage: bin/posix_shm [--wait spin,futex,sem,eventfd] [--ring-size 2M]
 *        [--in-place] ...          (or: ipclab run posix_shm/spin ...)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../bench/journal.h"
#include "../bench/transport.h"
#include "../bench/util.h"
#include "shm_ring.h"

struct pshm_priv {
    struct shm_ring sr;         /* settings and this side's rings */
    char name[64];              /* "" once unlinked */
    void *addr;                 /* this process's mapping, or NULL */
};

static void pshm_unlink(struct pshm_priv *p)
{
    if (p->name[0] == '\0')
        return;
    (void)shm_unlink(p->name);  /* ENOENT: never created */
    journal_forget(JOURNAL_POSIX_SHM, p->name);
    p->name[0] = '\0';
}

/* A new object, nameless at once: returns its descriptor, or -1. */
static int pshm_open(struct pshm_priv *p, char *err)
{
    int fd;

    if (unique_name(p->name, sizeof(p->name), err) == -1 ||
        journal_record(JOURNAL_POSIX_SHM, p->name, err) == -1) {
        p->name[0] = '\0';
        return -1;
    }
    fd = shm_open(p->name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd == -1) {
        err_sys_ctx(err, "shm_open", p->name);
        journal_forget(JOURNAL_POSIX_SHM, p->name);
        p->name[0] = '\0';     /* not ours: never unlink it */
        return -1;
    }
    if (shm_unlink(p->name) == -1) {
        err_sys_ctx(err, "shm_unlink", p->name);
        close_fd(&fd);
        return -1;              /* destroy() tries again */
    }
    journal_forget(JOURNAL_POSIX_SHM, p->name);
    p->name[0] = '\0';
    return fd;
}

static int pshm_create(struct tp_channel *ch, char *err)
{
    struct pshm_priv *p = calloc(1, sizeof(*p));
    size_t len;
    int fd;

    if (p == NULL)
        return err_sys(err, "calloc");
    ch->priv = p;
    if (shm_ring_setup(ch, &p->sr, err) == -1)
        return -1;
    len = shm_ring_region_bytes(&p->sr);
    fd = pshm_open(p, err);
    if (fd == -1)
        return -1;
    if (shm_ring_reserve(ch, fd, len, "/dev/shm", err) == -1) {
        close_fd(&fd);
        return -1;
    }
    p->addr = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close_fd(&fd);              /* the mapping keeps the object alive */
    if (p->addr == MAP_FAILED) {
        p->addr = NULL;
        return err_sys(err, "mmap");
    }
    return shm_ring_format(&p->sr, p->addr, err);
}

static int pshm_attach(struct tp_channel *ch, char *err)
{
    struct pshm_priv *p = ch->priv;

    return shm_ring_open(ch, &p->sr, p->addr, err);  /* fork shared it */
}

static void pshm_detach(struct tp_channel *ch)
{
    struct pshm_priv *p = ch->priv;

    if (p->addr != NULL)
        (void)munmap(p->addr, shm_ring_region_bytes(&p->sr));
    p->addr = NULL;
}

static void pshm_destroy(struct tp_channel *ch)
{
    struct pshm_priv *p = ch->priv;

    if (p == NULL)
        return;
    pshm_detach(ch);            /* the parent's mapping */
    pshm_unlink(p);             /* only if create() stopped half-way */
    shm_ring_close(&p->sr);    /* --wait eventfd: the parent's fds */
    free(p);
    ch->priv = NULL;
}

/* The ring's calls, with this file's ring. */
static int pshm_send(struct tp_channel *ch, const void *buf, size_t len,
                     char *err)
{
    struct pshm_priv *p = ch->priv;

    return shm_ring_send(&p->sr, buf, len, err);
}

static int pshm_recv(struct tp_channel *ch, void *buf, size_t len,
                     const void **msg, char *err)
{
    struct pshm_priv *p = ch->priv;

    return shm_ring_recv(&p->sr, buf, len, msg, err);
}

static void pshm_release(struct tp_channel *ch)
{
    struct pshm_priv *p = ch->priv;

    shm_ring_release(&p->sr);
}

/* Eight variants: four waits, each copying out or in place (the linker
 * section lists them in reverse, so `ipclab list` shows spin first).
 * System calls per message: none (a sleeping side is woken once, not
 * per message), but sem posts every record, a futex call whenever the
 * consumer sleeps in sem_wait - on one CPU nearly always. */
static const struct transport pshm_eventfd_ip = {
    .name = "posix_shm/eventfd/in-place", .family = TP_IPC,
    .summary = "POSIX shm_open object (O_EXCL, 0600), ring, eventfd,"
                " no copy out",
    .caps = TP_MESSAGES | TP_DUPLEX,
    .variant = SHM_WAIT_EVENTFD | SHM_IN_PLACE,
    /* on one CPU (the declaration test's case) each message finds the
     * other side asleep: a write wakes it, a read sleeps - about one call
     * a side (1.05 measured at 64 KiB); none when nobody waits */
    .copies = TP_COPIES(1), .syscalls = TP_SYSCALLS(1, 1),
    .selected = shm_ring_selected, .check_size = shm_ring_check_size,
    .create = pshm_create, .attach = pshm_attach,
    .send = pshm_send, .recv = pshm_recv,
    .release = pshm_release,
    .detach = pshm_detach, .destroy = pshm_destroy,
};
TRANSPORT_REGISTER(pshm_eventfd_ip);

static const struct transport pshm_eventfd = {
    .name = "posix_shm/eventfd", .family = TP_IPC,
    .summary = "POSIX shm_open object (O_EXCL, 0600), ring,"
                " polls then sleeps on an eventfd",
    .caps = TP_MESSAGES | TP_DUPLEX, .variant = SHM_WAIT_EVENTFD,
    /* on one CPU (the declaration test's case) each message finds the
     * other side asleep: a write wakes it, a read sleeps - about one call
     * a side (1.05 measured at 64 KiB); none when nobody waits */
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(1, 1),
    .selected = shm_ring_selected, .check_size = shm_ring_check_size,
    .create = pshm_create, .attach = pshm_attach,
    .send = pshm_send, .recv = pshm_recv,
    .detach = pshm_detach, .destroy = pshm_destroy,
};
TRANSPORT_REGISTER(pshm_eventfd);

static const struct transport pshm_sem_ip = {
    .name = "posix_shm/sem/in-place", .family = TP_IPC,
    .summary = "POSIX shm_open object (O_EXCL, 0600), ring, semaphores,"
                " no copy out",
    .caps = TP_MESSAGES | TP_DUPLEX,
    .variant = SHM_WAIT_SEM | SHM_IN_PLACE,
    .copies = TP_COPIES(1), .syscalls = TP_SYSCALLS(1, 0),
    .selected = shm_ring_selected, .check_size = shm_ring_check_size,
    .create = pshm_create, .attach = pshm_attach,
    .send = pshm_send, .recv = pshm_recv,
    .release = pshm_release,
    .detach = pshm_detach, .destroy = pshm_destroy,
};
TRANSPORT_REGISTER(pshm_sem_ip);

static const struct transport pshm_futex_ip = {
    .name = "posix_shm/futex/in-place", .family = TP_IPC,
    .summary = "POSIX shm_open object (O_EXCL, 0600), ring, futex,"
                " no copy out",
    .caps = TP_MESSAGES | TP_DUPLEX,
    .variant = SHM_WAIT_FUTEX | SHM_IN_PLACE,
    .copies = TP_COPIES(1), .syscalls = TP_SYSCALLS(0, 0),
    .selected = shm_ring_selected, .check_size = shm_ring_check_size,
    .create = pshm_create, .attach = pshm_attach,
    .send = pshm_send, .recv = pshm_recv,
    .release = pshm_release,
    .detach = pshm_detach, .destroy = pshm_destroy,
};
TRANSPORT_REGISTER(pshm_futex_ip);

static const struct transport pshm_spin_ip = {
    .name = "posix_shm/spin/in-place", .family = TP_IPC,
    .summary = "POSIX shm_open object (O_EXCL, 0600), ring, busy-polls,"
                " no copy out",
    .caps = TP_MESSAGES | TP_DUPLEX,
    .variant = SHM_WAIT_SPIN | SHM_IN_PLACE,
    .copies = TP_COPIES(1), .syscalls = TP_SYSCALLS(0, 0),
    .selected = shm_ring_selected, .check_size = shm_ring_check_size,
    .create = pshm_create, .attach = pshm_attach,
    .send = pshm_send, .recv = pshm_recv,
    .release = pshm_release,
    .detach = pshm_detach, .destroy = pshm_destroy,
};
TRANSPORT_REGISTER(pshm_spin_ip);

static const struct transport pshm_sem = {
    .name = "posix_shm/sem", .family = TP_IPC,
    .summary = "POSIX shm_open object (O_EXCL, 0600), ring, POSIX semaphores",
    .caps = TP_MESSAGES | TP_DUPLEX, .variant = SHM_WAIT_SEM,
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(1, 0),
    .selected = shm_ring_selected, .check_size = shm_ring_check_size,
    .create = pshm_create, .attach = pshm_attach,
    .send = pshm_send, .recv = pshm_recv,
    .detach = pshm_detach, .destroy = pshm_destroy,
};
TRANSPORT_REGISTER(pshm_sem);

static const struct transport pshm_futex = {
    .name = "posix_shm/futex", .family = TP_IPC,
    .summary = "POSIX shm_open object (O_EXCL, 0600), ring,"
                " polls then sleeps on a futex",
    .caps = TP_MESSAGES | TP_DUPLEX, .variant = SHM_WAIT_FUTEX,
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(0, 0),
    .selected = shm_ring_selected, .check_size = shm_ring_check_size,
    .create = pshm_create, .attach = pshm_attach,
    .send = pshm_send, .recv = pshm_recv,
    .detach = pshm_detach, .destroy = pshm_destroy,
};
TRANSPORT_REGISTER(pshm_futex);

static const struct transport pshm_spin = {
    .name = "posix_shm/spin", .family = TP_IPC,
    .summary = "POSIX shm_open object (O_EXCL, 0600), ring, busy-polls",
    .caps = TP_MESSAGES | TP_DUPLEX, .variant = SHM_WAIT_SPIN,
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(0, 0),
    .selected = shm_ring_selected, .check_size = shm_ring_check_size,
    .create = pshm_create, .attach = pshm_attach,
    .send = pshm_send, .recv = pshm_recv,
    .detach = pshm_detach, .destroy = pshm_destroy,
};
TRANSPORT_REGISTER(pshm_spin);
