/* sysv_shm.c - System V shared memory: shmget, shmat, shmdt.
 *
 * What it is.  The oldest way for processes to share memory: the kernel
 * keeps a segment of pages, identified by an integer id, that any process
 * with permission attaches into its address space with shmat(2).  After
 * that, sharing costs nothing: loads and stores reach the same physical
 * pages from both processes, with no system call.  Choose it for legacy
 * code or when unrelated processes must find a segment by id; new code
 * usually prefers POSIX shm (ipc/posix_shm.c).  See sysvipc(7), shmget(2),
 * shmat(2), shmctl(2).
 *
 * Kernel objects.  One segment (struct shmid_kernel, backed by shmem pages
 * like a tmpfs file) created with key IPC_PRIVATE - always a new segment,
 * never a guessable ftok() key - and mode 0600.  SysV objects outlive
 * every process that used them, so a crash would leak it (see `ipcs -m`)
 * unless it is marked for removal.  The parent attaches it and issues
 * IPC_RMID at once, before anything slow: Linux lets a segment marked for
 * removal stay attached (and the children inherit the attachment through
 * fork), and frees it when the last process detaches, which happens even
 * if they are killed.  The id is in the run's journal (bench/journal.h)
 * for the microseconds between shmget and IPC_RMID.  destroy() detaches
 * the parent and issues IPC_RMID again, for a create() that stopped
 * half-way.  (Unrelated processes would shmat() the id each; the segment
 * could be marked for removal only once both had.)
 *
 * Space.  A segment does not live in /dev/shm: its limits are shmmax and
 * shmall (checked by shmget) and memory.  Each child maps every page
 * with MADV_POPULATE_WRITE before the run, which fails with an error, not
 * a SIGBUS, when memory runs out.
 *
 * Copies, waiting, protocol: those of the shared ring (ipc/shm_ring.c):
 * two copies per byte (one with --in-place), no system call per message
 * with --wait spin or futex while both sides keep up.
 *
 *      parent                  producer              consumer
 *      ------                  --------              --------
 *      shmget(IPC_PRIVATE,
 *             0600)
 *      shmat, shmctl(IPC_RMID)
 *      format
 *      fork, fork -----------> (attachment           (attachment
 *                              inherited)            inherited)
 *                              ring messages ------> ring messages
 *                              shmdt                 shmdt
 *      shmdt                   (segment freed with the last detach)
 *
 * Usage: bin/sysv_shm [--wait spin,futex,sem,eventfd] [--ring-size 2M]
 *        [--in-place] ...          (or: ipclab run sysv_shm/spin ...)
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include "../bench/journal.h"
#include "../bench/transport.h"
#include "../bench/util.h"
#include "shm_ring.h"

struct sysv_priv {
    struct shm_ring sr;         /* settings and this side's rings */
    int shmid;                  /* -1: none, or marked for removal */
    void *addr;                 /* this process's attachment, or NULL */
};

/* Mark the segment for removal; fine if it is gone already. */
static int sysv_remove(struct sysv_priv *p, char *err)
{
    int rc = 0;

    if (p->shmid == -1)
        return 0;
    if (shmctl(p->shmid, IPC_RMID, NULL) == -1 && errno != EINVAL &&
        errno != EIDRM)
        rc = err_sys(err, "shmctl(IPC_RMID)");
    journal_forget_id(JOURNAL_SYSV_SHM, p->shmid);
    p->shmid = -1;
    return rc;
}

static int sysv_create(struct tp_channel *ch, char *err)
{
    struct sysv_priv *p = calloc(1, sizeof(*p));

    if (p == NULL)
        return err_sys(err, "calloc");
    p->shmid = -1;
    ch->priv = p;
    if (shm_ring_setup(ch, &p->sr, err) == -1)
        return -1;
    if (journal_prepare(err) == -1)     /* recording is one write now */
        return -1;
    p->shmid = shmget(IPC_PRIVATE, shm_ring_region_bytes(&p->sr),
                      IPC_CREAT | 0600);
    if (p->shmid == -1)
        return err_sys(err, "shmget");
    if (journal_record_id(JOURNAL_SYSV_SHM, p->shmid, err) == -1) {
        (void)sysv_remove(p, err);
        return -1;
    }
    p->addr = shmat(p->shmid, NULL, 0);
    if (p->addr == (void *)-1) {
        p->addr = NULL;
        return err_sys(err, "shmat");
    }
    if (sysv_remove(p, err) == -1)      /* dies with the last detach */
        return -1;
    return shm_ring_format(&p->sr, p->addr, err);
}

static int sysv_attach(struct tp_channel *ch, char *err)
{
    struct sysv_priv *p = ch->priv;

    return shm_ring_open(ch, &p->sr, p->addr, err);  /* fork shared it */
}

static void sysv_detach(struct tp_channel *ch)
{
    struct sysv_priv *p = ch->priv;

    if (p->addr != NULL)
        (void)shmdt(p->addr);   /* exit would detach too */
    p->addr = NULL;
}

static void sysv_destroy(struct tp_channel *ch)
{
    struct sysv_priv *p = ch->priv;
    char err[ERR_LEN];

    if (p == NULL)
        return;
    sysv_detach(ch);            /* the parent's attachment */
    (void)sysv_remove(p, err);  /* only if create() stopped half-way */
    shm_ring_close(&p->sr);    /* --wait eventfd: the parent's fds */
    free(p);
    ch->priv = NULL;
}

/* The ring's calls, with this file's ring. */
static int sysv_send(struct tp_channel *ch, const void *buf, size_t len,
                     char *err)
{
    struct sysv_priv *p = ch->priv;

    return shm_ring_send(&p->sr, buf, len, err);
}

static int sysv_recv(struct tp_channel *ch, void *buf, size_t len,
                     const void **msg, char *err)
{
    struct sysv_priv *p = ch->priv;

    return shm_ring_recv(&p->sr, buf, len, msg, err);
}

static void sysv_release(struct tp_channel *ch)
{
    struct sysv_priv *p = ch->priv;

    shm_ring_release(&p->sr);
}

/* Eight variants: four waits, each copying out or in place (the linker
 * section lists them in reverse, so `ipclab list` shows spin first).
 * System calls per message: none (a sleeping side is woken once, not
 * per message), but sem posts every record, a futex call whenever the
 * consumer sleeps in sem_wait - on one CPU nearly always. */
static const struct transport sysv_eventfd_ip = {
    .name = "sysv_shm/eventfd/in-place", .family = TP_IPC,
    .summary = "SysV shm segment (IPC_PRIVATE, 0600), ring, eventfd,"
                " no copy out",
    .caps = TP_MESSAGES | TP_DUPLEX,
    .variant = SHM_WAIT_EVENTFD | SHM_IN_PLACE,
    /* on one CPU (the declaration test's case) each message finds the
     * other side asleep: a write wakes it, a read sleeps - about one call
     * a side (1.05 measured at 64 KiB); none when nobody waits */
    .copies = TP_COPIES(1), .syscalls = TP_SYSCALLS(1, 1),
    .selected = shm_ring_selected, .check_size = shm_ring_check_size,
    .create = sysv_create, .attach = sysv_attach,
    .send = sysv_send, .recv = sysv_recv,
    .release = sysv_release,
    .detach = sysv_detach, .destroy = sysv_destroy,
};
TRANSPORT_REGISTER(sysv_eventfd_ip);

static const struct transport sysv_eventfd = {
    .name = "sysv_shm/eventfd", .family = TP_IPC,
    .summary = "SysV shm segment (IPC_PRIVATE, 0600), ring,"
                " polls then sleeps on an eventfd",
    .caps = TP_MESSAGES | TP_DUPLEX, .variant = SHM_WAIT_EVENTFD,
    /* on one CPU (the declaration test's case) each message finds the
     * other side asleep: a write wakes it, a read sleeps - about one call
     * a side (1.05 measured at 64 KiB); none when nobody waits */
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(1, 1),
    .selected = shm_ring_selected, .check_size = shm_ring_check_size,
    .create = sysv_create, .attach = sysv_attach,
    .send = sysv_send, .recv = sysv_recv,
    .detach = sysv_detach, .destroy = sysv_destroy,
};
TRANSPORT_REGISTER(sysv_eventfd);

static const struct transport sysv_sem_ip = {
    .name = "sysv_shm/sem/in-place", .family = TP_IPC,
    .summary = "SysV shm segment (IPC_PRIVATE, 0600), ring, semaphores,"
                " no copy out",
    .caps = TP_MESSAGES | TP_DUPLEX,
    .variant = SHM_WAIT_SEM | SHM_IN_PLACE,
    .copies = TP_COPIES(1), .syscalls = TP_SYSCALLS(1, 0),
    .selected = shm_ring_selected, .check_size = shm_ring_check_size,
    .create = sysv_create, .attach = sysv_attach,
    .send = sysv_send, .recv = sysv_recv,
    .release = sysv_release,
    .detach = sysv_detach, .destroy = sysv_destroy,
};
TRANSPORT_REGISTER(sysv_sem_ip);

static const struct transport sysv_futex_ip = {
    .name = "sysv_shm/futex/in-place", .family = TP_IPC,
    .summary = "SysV shm segment (IPC_PRIVATE, 0600), ring, futex,"
                " no copy out",
    .caps = TP_MESSAGES | TP_DUPLEX,
    .variant = SHM_WAIT_FUTEX | SHM_IN_PLACE,
    .copies = TP_COPIES(1), .syscalls = TP_SYSCALLS(0, 0),
    .selected = shm_ring_selected, .check_size = shm_ring_check_size,
    .create = sysv_create, .attach = sysv_attach,
    .send = sysv_send, .recv = sysv_recv,
    .release = sysv_release,
    .detach = sysv_detach, .destroy = sysv_destroy,
};
TRANSPORT_REGISTER(sysv_futex_ip);

static const struct transport sysv_spin_ip = {
    .name = "sysv_shm/spin/in-place", .family = TP_IPC,
    .summary = "SysV shm segment (IPC_PRIVATE, 0600), ring, busy-polls,"
                " no copy out",
    .caps = TP_MESSAGES | TP_DUPLEX,
    .variant = SHM_WAIT_SPIN | SHM_IN_PLACE,
    .copies = TP_COPIES(1), .syscalls = TP_SYSCALLS(0, 0),
    .selected = shm_ring_selected, .check_size = shm_ring_check_size,
    .create = sysv_create, .attach = sysv_attach,
    .send = sysv_send, .recv = sysv_recv,
    .release = sysv_release,
    .detach = sysv_detach, .destroy = sysv_destroy,
};
TRANSPORT_REGISTER(sysv_spin_ip);

static const struct transport sysv_sem = {
    .name = "sysv_shm/sem", .family = TP_IPC,
    .summary = "SysV shm segment (IPC_PRIVATE, 0600), ring, POSIX semaphores",
    .caps = TP_MESSAGES | TP_DUPLEX, .variant = SHM_WAIT_SEM,
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(1, 0),
    .selected = shm_ring_selected, .check_size = shm_ring_check_size,
    .create = sysv_create, .attach = sysv_attach,
    .send = sysv_send, .recv = sysv_recv,
    .detach = sysv_detach, .destroy = sysv_destroy,
};
TRANSPORT_REGISTER(sysv_sem);

static const struct transport sysv_futex = {
    .name = "sysv_shm/futex", .family = TP_IPC,
    .summary = "SysV shm segment (IPC_PRIVATE, 0600), ring,"
                " polls then sleeps on a futex",
    .caps = TP_MESSAGES | TP_DUPLEX, .variant = SHM_WAIT_FUTEX,
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(0, 0),
    .selected = shm_ring_selected, .check_size = shm_ring_check_size,
    .create = sysv_create, .attach = sysv_attach,
    .send = sysv_send, .recv = sysv_recv,
    .detach = sysv_detach, .destroy = sysv_destroy,
};
TRANSPORT_REGISTER(sysv_futex);

static const struct transport sysv_spin = {
    .name = "sysv_shm/spin", .family = TP_IPC,
    .summary = "SysV shm segment (IPC_PRIVATE, 0600), ring, busy-polls",
    .caps = TP_MESSAGES | TP_DUPLEX, .variant = SHM_WAIT_SPIN,
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(0, 0),
    .selected = shm_ring_selected, .check_size = shm_ring_check_size,
    .create = sysv_create, .attach = sysv_attach,
    .send = sysv_send, .recv = sysv_recv,
    .detach = sysv_detach, .destroy = sysv_destroy,
};
TRANSPORT_REGISTER(sysv_spin);
