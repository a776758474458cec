/* mmap_file.c - a shared mapping of an ordinary file: open, mmap.
 *
 * What it is.  mmap(2) of a file with MAP_SHARED maps the file's page-cache
 * pages into the process; every process that maps the same file sees the
 * same pages, so the file becomes shared memory.  It is how processes
 * share a persistent data structure (databases, caches) and how shared
 * memory worked before shm_open existed.  See mmap(2), msync(2).
 *
 * Kernel objects.  A file of the region's size in a private directory
 * (private_dir(): mode 0700, under $TMPDIR or /tmp, or under --dir) created
 * with O_CREAT|O_EXCL and mode 0600.  It is unlinked, and its directory
 * removed, right after create() opened it; the parent maps it, closes the
 * descriptor, and the children inherit the mapping through fork.  The
 * inode is freed with the last mapping, so nothing can leak, even after
 * SIGKILL; for the microseconds the directory exists it is in the run's
 * journal (bench/journal.h).  destroy() unmaps the parent's view and
 * removes the directory in case create() stopped half-way.
 *
 * Space.  The file's blocks are reserved with posix_fallocate(3) before
 * anything touches them: on a full file system (a small tmpfs given as
 * --dir) a store into a hole would be a SIGBUS; here the row is n/a, "no
 * space in DIR (need N bytes)".
 *
 * Page cache and writeback.  The pages are the file's page cache: stores
 * dirty them, and on a disk file system the kernel's writeback threads
 * write dirty pages to the disk in the background (after
 * /proc/sys/vm/dirty_expire_centisecs, or sooner under memory pressure),
 * even though nobody will read them back - the file is already unlinked.
 * A ring rewritten millions of times per second stays dirty, so the cost
 * is an occasional write of the ring's few MiB, plus block allocation on
 * first touch.  On tmpfs (often /tmp, always /dev/shm) there is no disk:
 * it then behaves exactly like posix_shm.  Use --dir to compare: e.g.
 * `--dir /var/tmp` for a real disk.
 *
 * Copies, waiting, protocol: those of the shared ring (ipc/shm_ring.c).
 *
 *      parent                  producer              consumer
 *      ------                  --------              --------
 *      mkdtemp(dir, 0700)
 *      open(dir/ring, O_CREAT|
 *           O_EXCL, 0600)
 *      unlink, rmdir
 *      posix_fallocate, mmap,
 *      close, format
 *      fork, fork -----------> (mapping inherited)   (mapping inherited)
 *                              ring messages ------> ring messages
 *                              munmap                munmap
 *      munmap
 *
 * Usage: bin/mmap_file [--dir /var/tmp] [--wait spin,futex,sem,eventfd] ...
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../bench/transport.h"
#include "../bench/util.h"
#include "shm_ring.h"

static const char *opt_dir;     /* NULL: $TMPDIR or /tmp */
static const struct tp_option dir_option = {
    "dir", OPT_DIR, &opt_dir, NULL, "DIR",
    "mmap_file: make the file in a private directory under DIR",
    .applies = "mmap_file/*",
};
TRANSPORT_OPTION(dir_option);

struct mfile_priv {
    struct shm_ring sr;         /* settings and this side's rings */
    char dir[PATH_MAX];         /* "" once removed */
    void *addr;                 /* the mapping (inherited), or NULL */
};

/* Where the file goes, for messages. */
static const char *mfile_base(void)
{
    const char *tmp = getenv("TMPDIR");

    if (opt_dir != NULL)
        return opt_dir;
    return tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp";
}

/* The file, nameless: returns its descriptor, or -1. */
static int mfile_open(struct mfile_priv *p, char *err)
{
    char path[PATH_MAX + 8];
    int fd;

    if (private_dir(p->dir, sizeof(p->dir), opt_dir, err) == -1) {
        p->dir[0] = '\0';
        return -1;
    }
    snprintf(path, sizeof(path), "%s/ring", p->dir);
    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd == -1)
        return err_sys_ctx(err, "open", path);
    if (unlink(path) == -1) {   /* nameless from now on */
        err_sys_ctx(err, "unlink", path);
        close_fd(&fd);
        return -1;
    }
    private_dir_remove(p->dir);
    p->dir[0] = '\0';
    return fd;
}

static int mfile_create(struct tp_channel *ch, char *err)
{
    struct mfile_priv *p = calloc(1, sizeof(*p));
    size_t len;
    int fd;

    if (p == NULL)
        return err_sys(err, "calloc");
    ch->priv = p;
    if (shm_ring_setup(ch, &p->sr, err) == -1)
        return -1;
    len = shm_ring_region_bytes(&p->sr);
    fd = mfile_open(p, err);
    if (fd == -1)
        return -1;
    if (shm_ring_reserve(ch, fd, len, mfile_base(), err) == -1) {
        close_fd(&fd);
        return -1;
    }
    p->addr = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close_fd(&fd);              /* the mapping keeps the inode */
    if (p->addr == MAP_FAILED) {
        p->addr = NULL;
        return err_sys(err, "mmap");
    }
    return shm_ring_format(&p->sr, p->addr, err);
}

static int mfile_attach(struct tp_channel *ch, char *err)
{
    struct mfile_priv *p = ch->priv;

    return shm_ring_open(ch, &p->sr, p->addr, err);  /* fork shared it */
}

static void mfile_detach(struct tp_channel *ch)
{
    struct mfile_priv *p = ch->priv;

    if (p->addr != NULL)
        (void)munmap(p->addr, shm_ring_region_bytes(&p->sr));
    p->addr = NULL;
}

static void mfile_destroy(struct tp_channel *ch)
{
    struct mfile_priv *p = ch->priv;

    if (p == NULL)
        return;
    mfile_detach(ch);           /* the parent's mapping: the inode goes */
    private_dir_remove(p->dir); /* only if create() stopped half-way */
    shm_ring_close(&p->sr);    /* --wait eventfd: the parent's fds */
    free(p);
    ch->priv = NULL;
}

/* The ring's calls, with this file's ring. */
static int mfile_send(struct tp_channel *ch, const void *buf, size_t len,
                      char *err)
{
    struct mfile_priv *p = ch->priv;

    return shm_ring_send(&p->sr, buf, len, err);
}

static int mfile_recv(struct tp_channel *ch, void *buf, size_t len,
                      const void **msg, char *err)
{
    struct mfile_priv *p = ch->priv;

    return shm_ring_recv(&p->sr, buf, len, msg, err);
}

static void mfile_release(struct tp_channel *ch)
{
    struct mfile_priv *p = ch->priv;

    shm_ring_release(&p->sr);
}

/* Eight variants: four waits, each copying out or in place (the linker
 * section lists them in reverse, so `ipclab list` shows spin first).
 * System calls per message: none (a sleeping side is woken once, not
 * per message), but sem posts every record, a futex call whenever the
 * consumer sleeps in sem_wait - on one CPU nearly always. */
static const struct transport mfile_eventfd_ip = {
    .name = "mmap_file/eventfd/in-place", .family = TP_IPC,
    .summary = "MAP_SHARED file, unlinked at once, ring, eventfd, no copy out",
    .caps = TP_MESSAGES | TP_DUPLEX,
    .variant = SHM_WAIT_EVENTFD | SHM_IN_PLACE,
    /* on one CPU (the declaration test's case) each message finds the
     * other side asleep: a write wakes it, a read sleeps - about one call
     * a side (1.05 measured at 64 KiB); none when nobody waits */
    .copies = TP_COPIES(1), .syscalls = TP_SYSCALLS(1, 1),
    .selected = shm_ring_selected, .check_size = shm_ring_check_size,
    .create = mfile_create, .attach = mfile_attach,
    .send = mfile_send, .recv = mfile_recv,
    .release = mfile_release,
    .detach = mfile_detach, .destroy = mfile_destroy,
};
TRANSPORT_REGISTER(mfile_eventfd_ip);

static const struct transport mfile_eventfd = {
    .name = "mmap_file/eventfd", .family = TP_IPC,
    .summary = "MAP_SHARED file, unlinked at once, ring,"
                " polls then sleeps on an eventfd",
    .caps = TP_MESSAGES | TP_DUPLEX, .variant = SHM_WAIT_EVENTFD,
    /* on one CPU (the declaration test's case) each message finds the
     * other side asleep: a write wakes it, a read sleeps - about one call
     * a side (1.05 measured at 64 KiB); none when nobody waits */
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(1, 1),
    .selected = shm_ring_selected, .check_size = shm_ring_check_size,
    .create = mfile_create, .attach = mfile_attach,
    .send = mfile_send, .recv = mfile_recv,
    .detach = mfile_detach, .destroy = mfile_destroy,
};
TRANSPORT_REGISTER(mfile_eventfd);

static const struct transport mfile_sem_ip = {
    .name = "mmap_file/sem/in-place", .family = TP_IPC,
    .summary = "MAP_SHARED file, unlinked at once, ring, semaphores,"
                " no copy out",
    .caps = TP_MESSAGES | TP_DUPLEX,
    .variant = SHM_WAIT_SEM | SHM_IN_PLACE,
    .copies = TP_COPIES(1), .syscalls = TP_SYSCALLS(1, 0),
    .selected = shm_ring_selected, .check_size = shm_ring_check_size,
    .create = mfile_create, .attach = mfile_attach,
    .send = mfile_send, .recv = mfile_recv,
    .release = mfile_release,
    .detach = mfile_detach, .destroy = mfile_destroy,
};
TRANSPORT_REGISTER(mfile_sem_ip);

static const struct transport mfile_futex_ip = {
    .name = "mmap_file/futex/in-place", .family = TP_IPC,
    .summary = "MAP_SHARED file, unlinked at once, ring, futex, no copy out",
    .caps = TP_MESSAGES | TP_DUPLEX,
    .variant = SHM_WAIT_FUTEX | SHM_IN_PLACE,
    .copies = TP_COPIES(1), .syscalls = TP_SYSCALLS(0, 0),
    .selected = shm_ring_selected, .check_size = shm_ring_check_size,
    .create = mfile_create, .attach = mfile_attach,
    .send = mfile_send, .recv = mfile_recv,
    .release = mfile_release,
    .detach = mfile_detach, .destroy = mfile_destroy,
};
TRANSPORT_REGISTER(mfile_futex_ip);

static const struct transport mfile_spin_ip = {
    .name = "mmap_file/spin/in-place", .family = TP_IPC,
    .summary = "MAP_SHARED file, unlinked at once, ring, busy-polls,"
                " no copy out",
    .caps = TP_MESSAGES | TP_DUPLEX,
    .variant = SHM_WAIT_SPIN | SHM_IN_PLACE,
    .copies = TP_COPIES(1), .syscalls = TP_SYSCALLS(0, 0),
    .selected = shm_ring_selected, .check_size = shm_ring_check_size,
    .create = mfile_create, .attach = mfile_attach,
    .send = mfile_send, .recv = mfile_recv,
    .release = mfile_release,
    .detach = mfile_detach, .destroy = mfile_destroy,
};
TRANSPORT_REGISTER(mfile_spin_ip);

static const struct transport mfile_sem = {
    .name = "mmap_file/sem", .family = TP_IPC,
    .summary = "MAP_SHARED file, unlinked at once, ring, POSIX semaphores",
    .caps = TP_MESSAGES | TP_DUPLEX, .variant = SHM_WAIT_SEM,
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(1, 0),
    .selected = shm_ring_selected, .check_size = shm_ring_check_size,
    .create = mfile_create, .attach = mfile_attach,
    .send = mfile_send, .recv = mfile_recv,
    .detach = mfile_detach, .destroy = mfile_destroy,
};
TRANSPORT_REGISTER(mfile_sem);

static const struct transport mfile_futex = {
    .name = "mmap_file/futex", .family = TP_IPC,
    .summary = "MAP_SHARED file, unlinked at once, ring,"
                " polls then sleeps on a futex",
    .caps = TP_MESSAGES | TP_DUPLEX, .variant = SHM_WAIT_FUTEX,
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(0, 0),
    .selected = shm_ring_selected, .check_size = shm_ring_check_size,
    .create = mfile_create, .attach = mfile_attach,
    .send = mfile_send, .recv = mfile_recv,
    .detach = mfile_detach, .destroy = mfile_destroy,
};
TRANSPORT_REGISTER(mfile_futex);

static const struct transport mfile_spin = {
    .name = "mmap_file/spin", .family = TP_IPC,
    .summary = "MAP_SHARED file, unlinked at once, ring, busy-polls",
    .caps = TP_MESSAGES | TP_DUPLEX, .variant = SHM_WAIT_SPIN,
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(0, 0),
    .selected = shm_ring_selected, .check_size = shm_ring_check_size,
    .create = mfile_create, .attach = mfile_attach,
    .send = mfile_send, .recv = mfile_recv,
    .detach = mfile_detach, .destroy = mfile_destroy,
};
TRANSPORT_REGISTER(mfile_spin);
