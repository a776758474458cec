/* cma.c - cross-memory attach: one process copies straight into (or out
 * of) another's memory with process_vm_writev(2) / process_vm_readv(2).
 *
 * What it is.  The kernel pins the peer's pages (as ptrace would) and
 * copies between the two address spaces in one step: one copy per byte,
 * and no mapping shared between the processes, no kernel buffer in the
 * middle.  MPI libraries use it for large intra-node messages.  Choose it
 * when two cooperating processes of one user move large buffers and a
 * shared mapping is unwelcome (each side keeps its own private memory, a
 * corrupt peer cannot scribble on a ring both trust).  Compare with
 * ipc/pipe.c (two copies) and ipc/vmsplice.c.  Two transports:
 *
 *      cma/writev  the sender pushes: process_vm_writev from its buffer
 *                  into a free slot of the receiver's receive area; the
 *                  receiver reads the message in place (1 copy)
 *      cma/readv   the receiver pulls: the sender announces the address
 *                  of its buffer, the receiver process_vm_readv()s it into
 *                  its own and says "done"; the sender's buffer is busy
 *                  until then, so every message costs a round trip of
 *                  tokens (1 copy, no pipelining)
 *
 * Permission.  Both calls need ptrace access to the peer in
 * PTRACE_MODE_ATTACH_REALCREDS mode (see ptrace(2)): the same real uid as
 * the target's, the target dumpable, or CAP_SYS_PTRACE.  With the Yama LSM,
 * /proc/sys/kernel/yama/ptrace_scope adds: 0 no more; 1 only a descendant,
 * or a process the target named with prctl(PR_SET_PTRACER) - attach() names
 * the harness parent, whose descendants (the peer) may then attach; 2 only
 * CAP_SYS_PTRACE; 3 nobody.  A seccomp filter (containers) may refuse the
 * calls outright.  create() checks what it can - scope 3, scope 2 without
 * CAP_SYS_PTRACE, the call refused to the process itself - and makes the
 * row n/a with the reason.
 *
 * Kernel objects.  Two pipes per direction carry tokens: "ready" (sender to
 * receiver: slot filled; cma/readv: the 8-byte address to pull from) and
 * "free" (receiver to sender: slot released; cma/readv: pulled).  They
 * vanish with their descriptors.  The receive area is mapped by the parent
 * in create() (MAP_PRIVATE|MAP_ANONYMOUS), so after fork each child holds
 * its own private copy at the same address: the sender knows where to
 * write in the receiver without being told.  destroy() unmaps the parent's.
 *
 * Copies.  One per byte: from the sender's buffer straight into the
 * receiver's pages (writev), or from the sender's into the receiver's
 * buffer (readv).
 *
 * Waiting.  Both sides sleep in read() on a token pipe: the receiver for a
 * "ready", the writev sender only when all CMA_SLOTS slots are in use (it
 * reads every "free" token queued at once), the readv sender after every
 * message until it is pulled.
 *
 * Protocol (cma/writev; latency mode runs the same the other way back):
 *
 *      producer                              consumer
 *      --------                              --------
 *      (no free slot: read(free))
 *      process_vm_writev(consumer, slot k)
 *      write(ready, 1 byte) -------------->  read(ready)
 *                                            verify slot k in place
 *      (credits += tokens read)  <---------  write(free, 1 byte)
 *
 * Protocol (cma/readv):
 *
 *      write(ready, &buf) ----------------->  read(ready) -> addr
 *                                             process_vm_readv(producer,
 *                                                  addr -> own buffer)
 *      read(free) <-------------------------  write(free, 1 byte)
 *
 * See process_vm_readv(2), ptrace(2) "Ptrace access mode checking",
 * prctl(2) PR_SET_PTRACER, and the kernel's Documentation/admin-guide/LSM/
 * Yama.rst.
 *
 * Usage: bin/cma [--size 1M] ...   (or: ipclab run cma)
 */
#define _GNU_SOURCE             /* process_vm_writev */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../bench/transport.h"
#include "../bench/util.h"

#define CMA_SLOTS 4             /* receive slots per direction (writev) */
#define CAP_SYS_PTRACE_BIT 19

enum cma_kind { CMA_WRITEV, CMA_READV };

/* One direction: d = 0 producer -> consumer, d = 1 back (latency). */
struct cma_dir {
    int ready[2];               /* sender -> receiver */
    int freed[2];               /* receiver -> sender */
};

struct cma_priv {
    struct cma_dir dir[2];
    int ready_out, ready_in;    /* this process's ends after attach */
    int free_out, free_in;
    unsigned char *area;        /* CMA_SLOTS slots of stride bytes */
    size_t stride, area_bytes;
    unsigned credits;           /* writev sender: free slots in the peer */
    unsigned pending;           /* receiver: "ready" tokens read, unused */
    unsigned tx_slot, rx_slot;  /* next slot to fill / to read */
};

/* ---- permission ------------------------------------------------------ */

static int cma_has_cap_ptrace(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long long caps = 0;

    if (f == NULL)
        return 0;
    while (fgets(line, sizeof(line), f) != NULL)
        if (sscanf(line, "CapEff: %llx", &caps) == 1)
            break;
    fclose(f);
    return (int)((caps >> CAP_SYS_PTRACE_BIT) & 1);
}

/* Is cross-memory attach between two sibling processes of this user
 * possible here?  0, or -1 with ch->refused and the reason. */
static int cma_permitted(struct tp_channel *ch, char *err)
{
    unsigned long scope = 0;
    char probe = 0, dst = 1, why[ERR_LEN];
    struct iovec l = { &dst, 1 }, r = { &probe, 1 };

    if (read_proc_ulong("/proc/sys/kernel/yama/ptrace_scope", &scope,
                        why) == -1)
        scope = 0;              /* no Yama: only the ptrace(2) rules */
    ch->refused = TP_REFUSED_NOT_PERMITTED;
    if (scope >= 3)
        return err_set(err, "process_vm_writev needs ptrace access to the "
                       "peer; Yama ptrace_scope is 3 (no attach at all, "
                       "until reboot)");
    if (scope == 2 && !cma_has_cap_ptrace())
        return err_set(err, "process_vm_writev needs ptrace access to the "
                       "peer; Yama ptrace_scope is 2: only with "
                       "CAP_SYS_PTRACE (or set "
                       "/proc/sys/kernel/yama/ptrace_scope to 1)");
    if (process_vm_readv(getpid(), &l, 1, &r, 1, 0) == -1 &&
        (errno == EPERM || errno == ENOSYS || errno == EACCES))
        return err_set(err, "process_vm_readv refused to this very process "
                       "(%s): a seccomp filter or a kernel without "
                       "CONFIG_CROSS_MEMORY_ATTACH", strerror(errno));
    ch->refused = TP_REFUSED_NO;
    return 0;
}

/* ---- setting up ------------------------------------------------------- */

static int cma_create(struct tp_channel *ch, char *err)
{
    struct cma_priv *p = calloc(1, sizeof(*p));
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    int ndirs = ch->mode == MODE_LATENCY ? 2 : 1;

    if (p == NULL)
        return err_sys(err, "calloc");
    for (int d = 0; d < 2; d++)
        p->dir[d].ready[0] = p->dir[d].ready[1] = p->dir[d].freed[0] =
            p->dir[d].freed[1] = -1;
    p->ready_out = p->ready_in = p->free_out = p->free_in = -1;
    ch->priv = p;
    if (cma_permitted(ch, err) == -1)
        return -1;
    for (int d = 0; d < ndirs; d++)
        if (pipe2(p->dir[d].ready, O_CLOEXEC) == -1 ||
            pipe2(p->dir[d].freed, O_CLOEXEC) == -1)
            return err_sys(err, "pipe2");
    if (ch->tp->variant == CMA_READV)
        return 0;               /* pulls into the harness's own buffer */
    p->stride = (ch->msg_bytes + page - 1) / page * page;
    p->area_bytes = CMA_SLOTS * p->stride;
    p->area = mmap(NULL, p->area_bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p->area == MAP_FAILED) {
        p->area = NULL;
        return err_sys(err, "mmap");
    }
    return 0;
}

static int cma_attach(struct tp_channel *ch, char *err)
{
    struct cma_priv *p = ch->priv;
    int out = ch->role == ROLE_PRODUCER ? 0 : 1;   /* direction we send */
    struct cma_dir *tx = &p->dir[out], *rx = &p->dir[1 - out];

    p->ready_out = tx->ready[1];
    p->free_in = tx->freed[0];
    p->ready_in = rx->ready[0];
    p->free_out = rx->freed[1];
    close_fd(&tx->ready[0]);    /* the peer's ends: EOF if it dies */
    close_fd(&tx->freed[1]);
    close_fd(&rx->ready[1]);
    close_fd(&rx->freed[0]);
    p->credits = CMA_SLOTS;
    /* Yama ptrace_scope 1: let the harness parent's descendants (our
     * peer) attach to us.  EINVAL: no Yama, nothing to declare. */
    if (prctl(PR_SET_PTRACER, (unsigned long)getppid(), 0, 0, 0) == -1 &&
        errno != EINVAL)
        return err_sys(err, "prctl(PR_SET_PTRACER)");
    return 0;
}

/* ---- tokens ----------------------------------------------------------- */

/* Read at least one token byte, up to max; returns how many. */
static int cma_tokens(int fd, unsigned max, unsigned *got, char *err)
{
    unsigned char t[CMA_SLOTS];
    ssize_t n;

    do
        n = read(fd, t, max);
    while (n == -1 && errno == EINTR);
    if (n == -1)
        return err_sys(err, "read token");
    if (n == 0)
        return err_set(err, "the peer closed its token pipe");
    *got = (unsigned)n;
    return 0;
}

static int cma_token_out(int fd, char *err)
{
    unsigned char t = 1;

    return write_full(fd, &t, 1, err);
}

/* ---- cma/writev ------------------------------------------------------- */

static int cma_w_send(struct tp_channel *ch, const void *buf, size_t len,
                      char *err)
{
    struct cma_priv *p = ch->priv;
    unsigned char *slot = p->area + p->tx_slot * p->stride;
    size_t done = 0;

    if (p->credits == 0) {      /* every slot of the peer is in use */
        unsigned got;

        if (cma_tokens(p->free_in, CMA_SLOTS, &got, err) == -1)
            return -1;
        p->credits += got;
    }
    while (done < len) {        /* it may copy less than asked */
        struct iovec l = { (unsigned char *)buf + done, len - done };
        struct iovec r = { slot + done, len - done };
        ssize_t n = process_vm_writev(ch->peer_pid, &l, 1, &r, 1, 0);

        if (n == -1) {
            if (errno == EINTR)
                continue;
            return err_sys(err, "process_vm_writev");
        }
        done += (size_t)n;
    }
    p->credits--;
    p->tx_slot = (p->tx_slot + 1) % CMA_SLOTS;
    return cma_token_out(p->ready_out, err);
}

static int cma_w_recv(struct tp_channel *ch, void *buf, size_t len,
                      const void **msg, char *err)
{
    struct cma_priv *p = ch->priv;

    (void)buf;
    (void)len;
    if (p->pending == 0 &&
        cma_tokens(p->ready_in, CMA_SLOTS, &p->pending, err) == -1)
        return -1;
    p->pending--;
    *msg = p->area + p->rx_slot * p->stride;    /* read in place */
    return 0;
}

/* The harness is done with the slot: give it back to the sender.  No
 * error channel here; a lost token shows as the sender's read failing. */
static void cma_w_release(struct tp_channel *ch)
{
    struct cma_priv *p = ch->priv;
    char err[ERR_LEN];

    p->rx_slot = (p->rx_slot + 1) % CMA_SLOTS;
    (void)cma_token_out(p->free_out, err);
}

/* ---- cma/readv -------------------------------------------------------- */

static int cma_r_send(struct tp_channel *ch, const void *buf, size_t len,
                      char *err)
{
    struct cma_priv *p = ch->priv;
    uint64_t addr = (uint64_t)(uintptr_t)buf;
    unsigned got;

    (void)len;
    if (write_full(p->ready_out, &addr, sizeof(addr), err) == -1)
        return -1;
    return cma_tokens(p->free_in, 1, &got, err);    /* pulled: buf free */
}

static int cma_r_recv(struct tp_channel *ch, void *buf, size_t len,
                      const void **msg, char *err)
{
    struct cma_priv *p = ch->priv;
    uint64_t addr;
    size_t done = 0;

    if (read_full(p->ready_in, &addr, sizeof(addr), err) == -1)
        return -1;
    while (done < len) {
        struct iovec l = { (unsigned char *)buf + done, len - done };
        struct iovec r = { (void *)(uintptr_t)(addr + done), len - done };
        ssize_t n = process_vm_readv(ch->peer_pid, &l, 1, &r, 1, 0);

        if (n == -1) {
            if (errno == EINTR)
                continue;
            return err_sys(err, "process_vm_readv");
        }
        done += (size_t)n;
    }
    *msg = buf;
    return cma_token_out(p->free_out, err);
}

/* ---- tearing down ----------------------------------------------------- */

static void cma_close_all(struct cma_priv *p)
{
    close_fd(&p->ready_out);    /* aliases of dir[] ends */
    close_fd(&p->ready_in);
    close_fd(&p->free_out);
    close_fd(&p->free_in);
    for (int d = 0; d < 2; d++) {
        close_fd(&p->dir[d].ready[0]);
        close_fd(&p->dir[d].ready[1]);
        close_fd(&p->dir[d].freed[0]);
        close_fd(&p->dir[d].freed[1]);
    }
}

static void cma_detach(struct tp_channel *ch)
{
    struct cma_priv *p = ch->priv;

    cma_close_all(p);
    if (p->area != NULL)
        (void)munmap(p->area, p->area_bytes);
    p->area = NULL;
}

static void cma_destroy(struct tp_channel *ch)
{
    struct cma_priv *p = ch->priv;

    if (p == NULL)
        return;
    cma_detach(ch);
    free(p);
    ch->priv = NULL;
}

static const struct transport cma_writev = {
    .name = "cma/writev",
    .family = TP_IPC,
    .summary = "process_vm_writev(2) into the peer's slots: one copy, no "
               "shared mapping",
    .caps = TP_MESSAGES,
    .variant = CMA_WRITEV,
    .copies = TP_COPIES(1),
    /* sender: writev + "ready" (its "free" tokens are read in batches);
     * receiver: read "ready" + write "free" (fewer when it finds several
     * "ready" tokens at once: 1.0-2.0 measured at 64 KiB, one CPU) */
    .syscalls = TP_SYSCALLS(2, 2),
    .create = cma_create,
    .attach = cma_attach,
    .send = cma_w_send,
    .recv = cma_w_recv,
    .release = cma_w_release,
    .detach = cma_detach,
    .destroy = cma_destroy,
};
TRANSPORT_REGISTER(cma_writev);

static const struct transport cma_readv = {
    .name = "cma/readv",
    .family = TP_IPC,
    .summary = "process_vm_readv(2) from the sender's buffer: one copy, "
               "one token round trip per message",
    .caps = TP_MESSAGES,
    .variant = CMA_READV,
    .copies = TP_COPIES(1),
    .syscalls = TP_SYSCALLS(2, 3),  /* token out, back; token, readv, ack */
    .create = cma_create,
    .attach = cma_attach,
    .send = cma_r_send,
    .recv = cma_r_recv,
    .detach = cma_detach,
    .destroy = cma_destroy,
};
TRANSPORT_REGISTER(cma_readv);
