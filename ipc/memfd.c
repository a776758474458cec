/* memfd.c - handing memory over: the sender fills a memfd, seals it and
 * passes the descriptor over a Unix socket; the receiver maps it and reads
 * the message where the sender wrote it.
 *
 * What it is.  memfd_create(2) makes an anonymous file in RAM; its
 * descriptor travels to another process in an SCM_RIGHTS control message
 * (unix(7)); the receiver mmap()s it and sees the very pages the sender
 * filled.  No byte crosses the socket but a small token.  Wayland clients
 * hand their buffers to the compositor this way, and systemd and Android
 * (ashmem's successor) hand over memory they must be able to trust.
 * Choose it to give a peer a large buffer it cannot be tricked by, or when
 * the peers did not share memory from the start.  Two transports:
 *
 *      memfd/message  one new memfd per message, sealed read-only before
 *                     it is sent, mapped, read and unmapped by the
 *                     receiver: every message pays memfd_create, ftruncate,
 *                     two mmap/munmap pairs, the page faults of fresh pages
 *                     and the descriptor passing
 *      memfd/pool     4 memfds per direction (fewer above 1 MiB: at most
 *                     4 MiB in flight, 2 from 2 MiB), each sent
 *                     once and mapped once on each side; a message is then
 *                     a token naming the buffer, and the buffer goes back
 *                     with a "free" token: what remains is the cost of
 *                     shared memory plus a token round trip of syscalls
 *
 * Why seal.  A receiver that maps memory another process can still change
 * has two problems: the bytes may change after it checked them (a parser
 * validates a length, the sender rewrites it, the parser trusts it), and
 * the sender may ftruncate() the file so that the receiver's next access
 * to a page past the new end raises SIGBUS.  Seals (fcntl(2) F_ADD_SEALS)
 * are promises the kernel enforces for everybody, the sender included:
 * F_SEAL_SHRINK and F_SEAL_GROW fix the size, F_SEAL_WRITE forbids any
 * write and any writable shared mapping (so the sender must unmap its own
 * before sealing), F_SEAL_SEAL forbids changing the seals.  The receiver
 * checks them with F_GET_SEALS before it maps, so it trusts no one: a
 * memfd without the seals it needs is refused.  memfd/message seals all
 * four (the message can never change); memfd/pool can only seal the size,
 * since a reused buffer must stay writable: there the receiver is back to
 * trusting the sender not to write a buffer it has not got back.
 *
 * Kernel objects.  One SOCK_SEQPACKET socketpair per direction (tokens one
 * way, "free" tokens back), closed with the descriptors.  The memfds have
 * no name in any file system (the name is only a label in /proc/PID/fd);
 * each lives while a descriptor or a mapping refers to it, so a process
 * that dies frees its part, and a descriptor still queued in a socket is
 * freed with the socket.
 *
 * Copies.  One: the harness hands send() its own buffer, so send() copies
 * the message into the memfd (a producer that builds its data in the memfd
 * saves even that); the receiver reads the sender's pages in place.
 *
 * Waiting.  The receiver sleeps in recvmsg() for a token.  The sender may
 * run 4 messages ahead (memfd/pool: fewer above 1 MiB); then it sleeps in
 * recv() for a "free" token (this bounds the memory held in flight).
 *
 * Protocol (memfd/message; latency mode runs the same the other way back):
 *
 *      producer                              consumer
 *      --------                              --------
 *      fd = memfd_create(); ftruncate(len)
 *      mmap; memcpy(msg); munmap
 *      fcntl(F_ADD_SEALS, WRITE|SHRINK|GROW|SEAL)
 *      sendmsg(token, SCM_RIGHTS fd) ------> recvmsg(token, fd)
 *      close(fd)                             F_GET_SEALS: all there?
 *                                            mmap(PROT_READ); close(fd)
 *                                            read the message in place
 *      recv(free) <------------------------- munmap; send(free)
 *
 * memfd/pool: the first use of buffer k sends its descriptor (sealed
 * SHRINK|GROW|SEAL), both sides map it once; later messages are
 * memcpy(buffer k) + send(token k), and the same "free k" back.
 *
 * See memfd_create(2), fcntl(2) "File seals", unix(7) SCM_RIGHTS.
 *
 * Usage: bin/memfd [--size 1M] ...   (or: ipclab run memfd)
 */
#define _GNU_SOURCE             /* memfd_create, F_ADD_SEALS */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../bench/copy.h"
#include "../bench/transport.h"
#include "../bench/util.h"
#include "memfd_seals.h"

#define MFD_SLOTS 4             /* messages a sender may have in flight */
#define MFD_FLIGHT_BYTES (4u << 20) /* memfd/pool: at most this much memory
                                       in flight a direction, but 2 slots */
#define MFD_SEALS_ALL (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)
#define MFD_SEALS_SIZE (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

enum mfd_kind { MFD_MESSAGE, MFD_POOL };

struct mfd_token {
    uint32_t slot;              /* which buffer (pool) / which message */
    uint32_t has_fd;            /* an SCM_RIGHTS descriptor comes along */
    uint64_t len;
};

struct mfd_buf {
    int fd;                     /* pool, sender: kept; else -1 */
    int sent;                   /* pool, sender: the receiver has it */
    unsigned char *map;
    size_t map_bytes;
};

struct mfd_priv {
    int sv[2][2];               /* [direction][0 sender, 1 receiver] */
    int tx, rx;                 /* this process's sockets after attach */
    size_t stride;              /* pool buffer size: message, whole pages */
    unsigned nslots;            /* MFD_SLOTS, or fewer for big pool buffers */
    unsigned credits, tx_slot, rx_slot;
    struct mfd_buf out[MFD_SLOTS];  /* pool: the buffers we send in */
    struct mfd_buf in[MFD_SLOTS];   /* buffers we receive in */
};

/* ---- sealing (memfd_seals.h) ------------------------------------------ */

static int mfd_new(size_t len, char *err)
{
    int fd = memfd_create("ipclab", MFD_CLOEXEC | MFD_ALLOW_SEALING);

    if (fd == -1)
        return err_sys(err, "memfd_create");
    if (ftruncate(fd, (off_t)len) == -1) {
        err_sys(err, "ftruncate memfd");
        close(fd);
        return -1;
    }
    return fd;
}

int memfd_sealed_copy(const void *buf, size_t len, char *err)
{
    int fd = mfd_new(len, err);
    void *m;

    if (fd == -1)
        return -1;
    m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
        err_sys(err, "mmap memfd");
        goto fail;
    }
    memcpy(m, buf, len);
    if (munmap(m, len) == -1) { /* F_SEAL_WRITE: no writable mapping left */
        err_sys(err, "munmap memfd");
        goto fail;
    }
    if (fcntl(fd, F_ADD_SEALS, MFD_SEALS_ALL) == -1) {
        err_sys(err, "fcntl F_ADD_SEALS");
        goto fail;
    }
    return fd;
fail:
    close(fd);
    return -1;
}

int memfd_seals_check(int fd, unsigned need, size_t len, char *err)
{
    int seals = fcntl(fd, F_GET_SEALS);
    struct stat st;

    if (seals == -1)
        return err_sys(err, "fcntl F_GET_SEALS (not a memfd?)");
    if (((unsigned)seals & need) != need)
        return err_set(err, "memfd arrived with seals 0x%x, 0x%x needed: "
                       "refused", (unsigned)seals, need);
    if (fstat(fd, &st) == -1)
        return err_sys(err, "fstat memfd");
    if ((uint64_t)st.st_size < len)
        return err_set(err, "memfd of %lld bytes for a %zu-byte message",
                       (long long)st.st_size, len);
    return 0;
}

/* ---- setting up ------------------------------------------------------- */

static int mfd_create(struct tp_channel *ch, char *err)
{
    struct mfd_priv *p = calloc(1, sizeof(*p));
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    int ndirs = ch->mode == MODE_LATENCY ? 2 : 1;

    if (p == NULL)
        return err_sys(err, "calloc");
    p->sv[0][0] = p->sv[0][1] = p->sv[1][0] = p->sv[1][1] = -1;
    p->tx = p->rx = -1;
    for (int i = 0; i < MFD_SLOTS; i++)
        p->out[i].fd = p->in[i].fd = -1;
    ch->priv = p;
    p->stride = (ch->msg_bytes + page - 1) / page * page;
    /* memfd/pool: four 4 MiB buffers a direction are 16 MiB in flight,
     * out of the cache, where a ring of 2 MiB streams its chunks through
     * it: big buffers get fewer slots (2 at least, so that filling one
     * overlaps reading the other).  Both sides compute it before fork. */
    p->nslots = MFD_SLOTS;
    if (ch->tp->variant == MFD_POOL && p->stride * MFD_SLOTS > MFD_FLIGHT_BYTES)
        p->nslots = p->stride >= MFD_FLIGHT_BYTES / 2
                        ? 2 : (unsigned)(MFD_FLIGHT_BYTES / p->stride);
    for (int d = 0; d < ndirs; d++)
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
                       p->sv[d]) == -1)
            return err_sys(err, "socketpair");
    return 0;
}

static int mfd_attach(struct tp_channel *ch, char *err)
{
    struct mfd_priv *p = ch->priv;
    int out = ch->role == ROLE_PRODUCER ? 0 : 1;   /* direction we send */

    (void)err;
    p->tx = p->sv[out][0];
    p->rx = p->sv[1 - out][1];
    p->sv[out][0] = p->sv[1 - out][1] = -1;        /* now owned as tx/rx */
    close_fd(&p->sv[out][1]);   /* the peer's ends: EOF if it dies */
    close_fd(&p->sv[1 - out][0]);
    p->credits = p->nslots;
    return 0;
}

/* ---- tokens ------------------------------------------------------------- */

static int mfd_send_token(int sock, const struct mfd_token *t, int fd,
                          char *err)
{
    union {
        struct cmsghdr h;
        char space[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct iovec iov = { (void *)t, sizeof(*t) };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    ssize_t n;

    if (fd != -1) {
        memset(&ctl, 0, sizeof(ctl));
        mh.msg_control = ctl.space;
        mh.msg_controllen = sizeof(ctl.space);
        ctl.h.cmsg_level = SOL_SOCKET;
        ctl.h.cmsg_type = SCM_RIGHTS;
        ctl.h.cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(&ctl.h), &fd, sizeof(int));
    }
    do
        n = sendmsg(sock, &mh, MSG_NOSIGNAL);
    while (n == -1 && errno == EINTR);
    if (n == -1)
        return err_sys(err, "sendmsg");
    return 0;
}

/* One token, and the descriptor that came with it (or -1). */
static int mfd_recv_token(int sock, unsigned nslots, struct mfd_token *t,
                          int *fd, char *err)
{
    union {
        struct cmsghdr h;
        char space[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct iovec iov = { t, sizeof(*t) };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = ctl.space,
                         .msg_controllen = sizeof(ctl.space) };
    struct cmsghdr *c;
    ssize_t n;

    *fd = -1;
    do
        n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    while (n == -1 && errno == EINTR);
    if (n == -1)
        return err_sys(err, "recvmsg");
    if (n == 0)
        return err_set(err, "the peer closed its socket");
    for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
            memcpy(fd, CMSG_DATA(c), sizeof(int));
    if (n != (ssize_t)sizeof(*t) || (mh.msg_flags & MSG_CTRUNC) ||
        t->slot >= nslots || (t->has_fd != 0) != (*fd != -1)) {
        close_fd(fd);
        return err_set(err, "malformed token (%zd bytes)", n);
    }
    return 0;
}

/* ---- sending ------------------------------------------------------------ */

/* Pool buffer k on its first use: a memfd of stride bytes whose size is
 * sealed, mapped writable here for good. */
static int mfd_pool_buffer(struct mfd_priv *p, struct mfd_buf *b, char *err)
{
    b->fd = mfd_new(p->stride, err);
    if (b->fd == -1)
        return -1;
    if (fcntl(b->fd, F_ADD_SEALS, MFD_SEALS_SIZE) == -1)
        return err_sys(err, "fcntl F_ADD_SEALS");
    b->map = mmap(NULL, p->stride, PROT_READ | PROT_WRITE, MAP_SHARED,
                  b->fd, 0);
    if (b->map == MAP_FAILED) {
        b->map = NULL;
        return err_sys(err, "mmap memfd");
    }
    b->map_bytes = p->stride;
    return 0;
}

static int mfd_send(struct tp_channel *ch, const void *buf, size_t len,
                    char *err)
{
    struct mfd_priv *p = ch->priv;
    struct mfd_token t = { p->tx_slot, 0, len };
    struct mfd_buf *b = &p->out[p->tx_slot];
    int fd = -1, rc;

    if (p->credits == 0) {      /* nslots in flight: wait for one */
        struct mfd_token f;

        if (mfd_recv_token(p->tx, p->nslots, &f, &fd, err) == -1)
            return -1;
        close_fd(&fd);          /* a "free" token carries none */
        p->credits++;
    }
    if (ch->tp->variant == MFD_MESSAGE) {
        fd = memfd_sealed_copy(buf, len, err);
        if (fd == -1)
            return -1;
    } else {
        if (b->map == NULL && mfd_pool_buffer(p, b, err) == -1)
            return -1;
        copy_bytes(b->map, buf, len);   /* the rings' copy loop (copy.h) */
        if (!b->sent)           /* first use: the receiver maps it once */
            fd = b->fd;
        b->sent = 1;
    }
    t.has_fd = fd != -1;
    rc = mfd_send_token(p->tx, &t, fd, err);
    if (ch->tp->variant == MFD_MESSAGE)
        close_fd(&fd);          /* the receiver holds it now */
    p->credits--;
    p->tx_slot = (p->tx_slot + 1) % p->nslots;
    return rc;
}

/* ---- receiving ---------------------------------------------------------- */

/* Map a descriptor that came with a token, once its seals are checked. */
static int mfd_map_in(struct mfd_priv *p, struct mfd_buf *b, int *fd,
                      unsigned need, size_t bytes, char *err)
{
    int rc = memfd_seals_check(*fd, need, bytes, err);

    if (rc == 0) {
        b->map = mmap(NULL, bytes, PROT_READ, MAP_SHARED, *fd, 0);
        if (b->map == MAP_FAILED) {
            b->map = NULL;
            rc = err_sys(err, "mmap memfd");
        }
        b->map_bytes = bytes;
    }
    (void)p;
    close_fd(fd);               /* the mapping keeps the memfd alive */
    return rc;
}

static int mfd_recv(struct tp_channel *ch, void *buf, size_t len,
                    const void **msg, char *err)
{
    struct mfd_priv *p = ch->priv;
    struct mfd_token t;
    struct mfd_buf *b;
    int fd;

    (void)buf;
    if (mfd_recv_token(p->rx, p->nslots, &t, &fd, err) == -1)
        return -1;
    b = &p->in[t.slot];
    if (t.len != len || t.slot != p->rx_slot) {
        close_fd(&fd);
        return err_set(err, "token for buffer %u of %llu bytes, expected "
                       "buffer %u of %zu", t.slot,
                       (unsigned long long)t.len, p->rx_slot, len);
    }
    if (ch->tp->variant == MFD_MESSAGE) {
        if (fd == -1)
            return err_set(err, "a message came without its memfd");
        if (mfd_map_in(p, b, &fd, MFD_SEALS_ALL, len, err) == -1)
            return -1;
    } else if (fd != -1) {      /* a pool buffer's first use */
        if (b->map != NULL)
            return close_fd(&fd), err_set(err, "buffer %u sent twice",
                                          t.slot);
        if (mfd_map_in(p, b, &fd, MFD_SEALS_SIZE, p->stride, err) == -1)
            return -1;
    } else if (b->map == NULL) {
        return err_set(err, "buffer %u used before it was sent", t.slot);
    }
    *msg = b->map;              /* read in place */
    return 0;
}

/* The harness is done with the message: unmap it (memfd/message: the
 * memfd goes with its last mapping) and hand the buffer back.  No error
 * channel here; a lost token shows as the sender's recv failing. */
static void mfd_release(struct tp_channel *ch)
{
    struct mfd_priv *p = ch->priv;
    struct mfd_token t = { p->rx_slot, 0, 0 };
    struct mfd_buf *b = &p->in[p->rx_slot];
    char err[ERR_LEN];

    if (ch->tp->variant == MFD_MESSAGE && b->map != NULL) {
        (void)munmap(b->map, b->map_bytes);
        b->map = NULL;
    }
    p->rx_slot = (p->rx_slot + 1) % p->nslots;
    (void)mfd_send_token(p->rx, &t, -1, err);
}

/* ---- tearing down ------------------------------------------------------- */

static void mfd_buf_free(struct mfd_buf *b)
{
    if (b->map != NULL)
        (void)munmap(b->map, b->map_bytes);
    b->map = NULL;
    close_fd(&b->fd);
}

static void mfd_detach(struct tp_channel *ch)
{
    struct mfd_priv *p = ch->priv;

    close_fd(&p->tx);
    close_fd(&p->rx);
    for (int d = 0; d < 2; d++) {
        close_fd(&p->sv[d][0]);
        close_fd(&p->sv[d][1]);
    }
    for (int i = 0; i < MFD_SLOTS; i++) {
        mfd_buf_free(&p->out[i]);
        mfd_buf_free(&p->in[i]);
    }
}

static void mfd_destroy(struct tp_channel *ch)
{
    struct mfd_priv *p = ch->priv;

    if (p == NULL)
        return;
    mfd_detach(ch);
    free(p);
    ch->priv = NULL;
}

static const struct transport memfd_message = {
    .name = "memfd/message",
    .family = TP_IPC,
    .summary = "a sealed memfd per message, passed with SCM_RIGHTS and "
               "mapped by the receiver",
    .caps = TP_MESSAGES,
    .variant = MFD_MESSAGE,
    .copies = TP_COPIES(1),
    /* memfd_create, ftruncate, mmap, munmap, seal, sendmsg, close ...;
     * recvmsg, fstat, mmap, munmap, close ...: measured 8 and 7 */
    .syscalls = TP_SYSCALLS(8, 7),
    .create = mfd_create,
    .attach = mfd_attach,
    .send = mfd_send,
    .recv = mfd_recv,
    .release = mfd_release,
    .detach = mfd_detach,
    .destroy = mfd_destroy,
};
TRANSPORT_REGISTER(memfd_message);

static const struct transport memfd_pool = {
    .name = "memfd/pool",
    .family = TP_IPC,
    .summary = "a pool of size-sealed memfds, each passed and mapped once, "
               "then named by tokens",
    .caps = TP_MESSAGES,
    .variant = MFD_POOL,
    .copies = TP_COPIES(1),
    .syscalls = TP_SYSCALLS(2, 2),  /* a token each way on the socket */
    .create = mfd_create,
    .attach = mfd_attach,
    .send = mfd_send,
    .recv = mfd_recv,
    .release = mfd_release,
    .detach = mfd_detach,
    .destroy = mfd_destroy,
};
TRANSPORT_REGISTER(memfd_pool);
