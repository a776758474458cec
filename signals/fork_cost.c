/* fork_cost.c - the lesson of what creating a process costs, and why it
 * grows with the size of the parent for fork() but not for posix_spawn().
 *
 * What it shows.  fork() gives the child a copy of the parent's address
 * space.  The pages themselves are shared copy-on-write, but the page
 * tables are copied: one 8-byte entry per 4 KiB page the parent has
 * touched, 2 MiB of page tables for 1 GiB, and the child's exit tears them
 * down again.  So fork() of a big process is slow even when the child does
 * nothing but exit or exec.  vfork() and posix_spawn() (glibc: clone with
 * CLONE_VM | CLONE_VFORK) borrow the parent's address space instead:
 * nothing is copied, and their cost does not depend on the parent's size.
 * Rows, each at a parent of 1 MiB, 64 MiB and 1 GiB of touched memory
 * (4 KiB pages: MADV_NOHUGEPAGE, as with transparent huge pages a 1 GiB
 * parent has only 512 page-table entries to copy):
 *   fork_cost/fork-SIZE         fork, the child _exit(0)s, waitpid
 *   fork_cost/vfork-SIZE        vfork, the child _exit(0)s, waitpid
 *   fork_cost/fork-exec-SIZE    fork, the child execs /bin/true, waitpid
 *   fork_cost/posix_spawn-SIZE  posix_spawn /bin/true, waitpid
 * Latency rows: one round trip = one process created and reaped (the
 * figure is us per process).  fork-exec and posix_spawn run the same
 * program, so their difference is the cost of copying the parent.  At
 * most 200 round trips per run.  The parent's memory is mapped and
 * touched in attach(), before the clock starts.
 *
 * Kernel objects.  The anonymous mapping (munmap in detach) and one child
 * per round trip, reaped before the next one starts.  This transport
 * forks: process creation is its subject (as signals/sigchld.c).
 *
 * Copies.  None (TP_NO_PAYLOAD); the parent checks each child's exit
 * status (0).
 *
 * Waiting.  waitpid() sleeps until the child is a zombie; vfork and
 * posix_spawn additionally suspend the parent until the child has exec'd
 * or exited.
 *
 * Protocol (one round trip):
 *
 *      parent (harness's producer, SIZE touched)    child
 *      -----------------------------------------    -----
 *      fork()     copy page tables ------------->   _exit(0) / exec true
 *      waitpid()  <---------- exit status 0 ------  (zombie, reaped)
 *
 * See fork(2), vfork(2), posix_spawn(3), madvise(2) (MADV_NOHUGEPAGE).
 *
 * Usage: ipclab run fork_cost --mode latency
 */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../bench/transport.h"
#include "../bench/util.h"

extern char **environ;

enum fork_kind { FK_FORK, FK_VFORK, FK_FORK_EXEC, FK_POSIX_SPAWN };

#define FORK_ROUND_TRIPS 200    /* per run; 1 GiB parents: 10 */
#define FORK_ROUND_TRIPS_1G 10
#define FORK_PROGRAM "/bin/true"

/* The variant packs the kind and the parent's size in MiB. */
#define FORK_VARIANT(kind, mib) ((kind) | ((mib) << 4))
#define FORK_KIND(v) ((v) & 0xf)
#define FORK_MIB(v) ((size_t)(v) >> 4)

struct fork_priv {
    void *mem;
    size_t mem_bytes;
    pid_t child;
};

static int fork_create(struct tp_channel *ch, char *err)
{
    struct fork_priv *p = calloc(1, sizeof(*p));
    int kind = FORK_KIND(ch->tp->variant);

    if (p == NULL)
        return err_sys(err, "calloc");
    ch->priv = p;
    p->mem_bytes = FORK_MIB(ch->tp->variant) << 20;
    if ((kind == FK_FORK_EXEC || kind == FK_POSIX_SPAWN) &&
        access(FORK_PROGRAM, X_OK) == -1)
        return err_sys(err, "access " FORK_PROGRAM);
    snprintf(ch->note, NOTE_LEN, "parent %zu MiB touched, 4 KiB pages; "
             "round trip = one process created and reaped", p->mem_bytes >> 20);
    return 0;
}

/* The producer becomes a parent of the given size: map, touch every page. */
static int fork_attach(struct tp_channel *ch, char *err)
{
    struct fork_priv *p = ch->priv;
    long page = sysconf(_SC_PAGESIZE);

    p->mem = mmap(NULL, p->mem_bytes, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p->mem == MAP_FAILED) {
        p->mem = NULL;
        return err_sys(err, "mmap");
    }
    if (madvise(p->mem, p->mem_bytes, MADV_NOHUGEPAGE) == -1)
        return err_sys(err, "madvise MADV_NOHUGEPAGE");
#ifdef MADV_POPULATE_WRITE
    /* one call that faults every page in (Linux 5.14): much faster than
     * a page fault per page, and the same page tables in the end */
    if (madvise(p->mem, p->mem_bytes, MADV_POPULATE_WRITE) == 0)
        return 0;
    if (errno != EINVAL)
        return err_sys(err, "madvise MADV_POPULATE_WRITE");
#endif
    for (size_t off = 0; off < p->mem_bytes; off += (size_t)page)
        ((volatile char *)p->mem)[off] = 1;     /* a page-table entry each */
    return 0;
}

/* vfork apart: the child shares our stack until _exit, so nothing else
 * happens in this frame. */
static pid_t fork_vfork(void)
{
    pid_t pid = vfork();

    if (pid == 0)
        _exit(0);
    return pid;
}

static int fork_send(struct tp_channel *ch, const void *buf, size_t len,
                     char *err)
{
    static char *const argv[] = { FORK_PROGRAM, NULL };
    struct fork_priv *p = ch->priv;
    int rc;

    (void)buf;
    (void)len;
    switch (FORK_KIND(ch->tp->variant)) {
    case FK_VFORK:
        p->child = fork_vfork();
        break;
    case FK_POSIX_SPAWN:
        rc = posix_spawn(&p->child, FORK_PROGRAM, NULL, NULL, argv, environ);
        if (rc != 0) {
            errno = rc;         /* returned, not set */
            return err_sys(err, "posix_spawn " FORK_PROGRAM);
        }
        return 0;
    default:
        p->child = fork();
        if (p->child == 0 && FORK_KIND(ch->tp->variant) == FK_FORK_EXEC) {
            execve(FORK_PROGRAM, argv, environ);
            _exit(127);         /* exec failed: the parent sees 127 */
        }
        if (p->child == 0)
            _exit(0);
    }
    return p->child == -1 ? err_sys(err, "fork") : 0;
}

static int fork_recv(struct tp_channel *ch, void *buf, size_t len,
                     const void **msg, char *err)
{
    struct fork_priv *p = ch->priv;
    int status;

    (void)len;
    *msg = buf;
    while (waitpid(p->child, &status, 0) == -1)
        if (errno != EINTR)
            return err_sys(err, "waitpid");
    p->child = 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return err_set(err, "the child ended with status 0x%x, expected "
                            "exit 0", (unsigned)status);
    return 0;
}

static void fork_detach(struct tp_channel *ch)
{
    struct fork_priv *p = ch->priv;

    if (p->child > 0)           /* an error between send and recv */
        (void)waitpid(p->child, NULL, 0);
    p->child = 0;
    if (p->mem != NULL)
        (void)munmap(p->mem, p->mem_bytes);
    p->mem = NULL;
}

static void fork_destroy(struct tp_channel *ch)
{
    free(ch->priv);
    ch->priv = NULL;
}

#define FORK_TRANSPORT(id, tp_name, kind, mib, text, trips)                \
    static const struct transport id = {                                   \
        .name = tp_name,                                                   \
        .family = TP_SIGNALS,                                              \
        .summary = text,                                                   \
        .caps = TP_SOLO | TP_NO_SIZE | TP_NO_PAYLOAD | TP_NO_THROUGHPUT |  \
                TP_NOT_ONE_WAY,                                            \
        .syscalls = TP_SYSCALLS_NOT_A_CHANNEL,                             \
        .variant = FORK_VARIANT(kind, mib),                                \
        .create = fork_create,                                             \
        .attach = fork_attach,                                             \
        .send = fork_send,                                                 \
        .recv = fork_recv,                                                 \
        .detach = fork_detach,                                             \
        .destroy = fork_destroy,                                           \
        .max_round_trips = trips,                                          \
    };                                                                     \
    TRANSPORT_REGISTER(id)

#define FORK_SIZES(kind, word, text)                                       \
    FORK_TRANSPORT(fork_cost_##kind##_1m, "fork_cost/" word "-1M", kind,   \
                   1, text ", 1 MiB parent", FORK_ROUND_TRIPS);            \
    FORK_TRANSPORT(fork_cost_##kind##_64m, "fork_cost/" word "-64M", kind, \
                   64, text ", 64 MiB parent", FORK_ROUND_TRIPS);          \
    FORK_TRANSPORT(fork_cost_##kind##_1g, "fork_cost/" word "-1G", kind,   \
                   1024, text ", 1 GiB parent", FORK_ROUND_TRIPS_1G)

FORK_SIZES(FK_FORK, "fork", "fork + _exit + waitpid");
FORK_SIZES(FK_VFORK, "vfork", "vfork + _exit + waitpid");
FORK_SIZES(FK_FORK_EXEC, "fork-exec", "fork + exec /bin/true + waitpid");
FORK_SIZES(FK_POSIX_SPAWN, "posix_spawn", "posix_spawn /bin/true + waitpid");
