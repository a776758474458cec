/* zerocopy.c - TCP with MSG_ZEROCOPY: send(2) pins the sender's pages
 * instead of copying them into socket buffers, and says later, through the
 * socket's error queue, when it is done with them.
 *
 * What it is.  After setsockopt(SO_ZEROCOPY, 1), send(fd, buf, n,
 * MSG_ZEROCOPY) builds the packets around references to buf's pages.  The
 * call returns at once, but buf belongs to the kernel until a completion
 * notification arrives: recvmsg(fd, MSG_ERRQUEUE) returns a sock_extended_err
 * with ee_origin SO_EE_ORIGIN_ZEROCOPY and a range [ee_info, ee_data] of
 * send calls (numbered 0, 1, 2 ... per socket, one number per call that
 * sent something) whose pages are released; poll() reports POLLERR while
 * notifications wait.  Choose it for large sends to a real network device
 * from buffers the program can leave alone for a while (the kernel's
 * selftest msg_zerocopy, Google's use for bulk transfers).  See
 * Documentation/networking/msg_zerocopy.rst in the kernel, tcp(7),
 * socket(7) SO_ZEROCOPY, ip(7) IP_RECVERR.  Two transports, same socket:
 *
 *      zerocopy/msg     send(MSG_ZEROCOPY) from a pool of page-aligned
 *                       buffers, completions read from the error queue
 *      zerocopy/plain   send(2) from the harness's buffer: the twin
 *
 * The rule this transport keeps: the producer never writes a pool buffer
 * whose last send call has not completed.  Each message goes into the
 * next of P buffers (P = 16 MiB / message, 4 to 64), remembering the
 * number of its last send call; before reusing a buffer, send() reads
 * notifications (sleeping in poll for POLLERR if need be) until every call
 * up to that number has completed.  Ranges may come out of order: those
 * that do not extend the completed prefix wait in a small list.  The
 * producer's finish() waits for every completion and checks that the
 * ranges add up to the calls made.
 *
 * Why small sizes lose.  Pinning pages, the notification skb, and reading
 * it back cost a fixed amount per call (a few microseconds: page-table
 * walks, get_user_pages, a recvmsg); a copy of 4 KiB costs well under one.
 * The kernel documentation puts the break-even around 10 KiB; from 16 KiB
 * up the saved copy may pay, and at 1-4 MiB it is what remains.
 *
 * Loopback copies anyway.  Pages lent by the sender cannot be handed to a
 * local receiver's socket (it could keep them forever): on delivery the
 * kernel copies them (skb_copy_ubufs) and the notification says so with
 * ee_code SO_EE_CODE_ZEROCOPY_COPIED.  create() tries one send on a
 * loopback pair and puts what the kernel said in the row's note.  So on
 * 127.0.0.1 the copy is moved, not removed, and the notifications come
 * on top: expect zerocopy/msg at or below zerocopy/plain here, and the
 * comparison to mean something only across a real NIC (--connect is not
 * offered: the remote server does not read the error queue).
 *
 * Kernel objects.  A listener on 127.0.0.1:0 (made in create(), closed once
 * both sides hold their socket) and one TCP connection; the pool is each
 * side's private memory.
 *
 * Copies.  Two per byte on loopback, as for send (the kernel's copy at
 * delivery, then recv's); across a NIC one (recv's; the NIC reads the
 * pages by DMA).  This harness rewrites its message buffer after each
 * send(), so zerocopy/msg first copies the message into the pool: a copy
 * in user space that a producer building its data in the pool saves (as
 * for ipc/vmsplice.c).
 *
 * Waiting.  recv() sleeps in read(); send() sleeps when the socket buffer
 * is full, and zerocopy/msg also in poll() when the buffer it needs has
 * not completed.
 *
 * Protocol (latency mode: the consumer echoes the same way):
 *
 *      producer                              consumer
 *      --------                              --------
 *      (buffer k busy: poll POLLERR,
 *       recvmsg(MSG_ERRQUEUE) -> ranges)
 *      memcpy(pool[k], msg)
 *      send(pool[k], MSG_ZEROCOPY) -------->  read(msg)
 *      ... later: notification [lo, hi]
 *
 * Usage: bin/zerocopy --size 16K,1M,4M ...   (or: ipclab run zerocopy)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../bench/transport.h"
#include "../bench/util.h"

#ifndef SO_EE_ORIGIN_ZEROCOPY
#define SO_EE_ORIGIN_ZEROCOPY 5
#endif
#ifndef SO_EE_CODE_ZEROCOPY_COPIED
#define SO_EE_CODE_ZEROCOPY_COPIED 1
#endif

enum zc_kind { ZC_MSG, ZC_PLAIN };

#define ZC_POOL_BYTES (16u << 20)
#define ZC_POOL_MIN 4
#define ZC_POOL_MAX 64
#define ZC_PENDING 64           /* out-of-order ranges kept aside */

struct zc_range {
    uint32_t lo, hi;            /* inclusive, as the kernel reports */
};

struct zc_priv {
    int listen_fd;              /* until both sides attach */
    struct sockaddr_in addr;
    int fd;                     /* this side's connection */
    /* zerocopy/msg, a side that sends */
    unsigned char *pool;
    size_t stride, nbufs, next;
    uint64_t *last_call;        /* per buffer: its last call + 1, 0 none */
    uint64_t calls;             /* send calls that sent something */
    uint64_t done;              /* calls 0 .. done-1 have completed */
    struct zc_range pending[ZC_PENDING];
    int npending;
    uint64_t ranges, copied;    /* notifications, of them COPIED */
};

/* ---- what the kernel does on loopback --------------------------------- */

/* Read one notification; 1 if one was read, 0 if none waits (nonblock). */
static int zc_read_note(int fd, int nonblock, struct zc_range *r,
                        int *copied, char *err)
{
    char control[CMSG_SPACE(sizeof(struct sock_extended_err)) + 64];
    struct msghdr mh;
    struct cmsghdr *cm;
    ssize_t n;

    for (;;) {
        memset(&mh, 0, sizeof(mh));
        mh.msg_control = control;
        mh.msg_controllen = sizeof(control);
        n = recvmsg(fd, &mh, MSG_ERRQUEUE | (nonblock ? MSG_DONTWAIT : 0));
        if (n != -1)
            break;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN) {
            struct pollfd pfd = { .fd = fd, .events = 0 };

            if (nonblock)
                return 0;
            /* POLLERR is reported whatever events asks for */
            if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
                return err_sys(err, "poll");
            continue;
        }
        return err_sys(err, "recvmsg(MSG_ERRQUEUE)");
    }
    for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
        struct sock_extended_err ee;

        if (!((cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_RECVERR) ||
              (cm->cmsg_level == SOL_IPV6 && cm->cmsg_type == IPV6_RECVERR)))
            continue;
        memcpy(&ee, CMSG_DATA(cm), sizeof(ee));
        if (ee.ee_errno != 0 || ee.ee_origin != SO_EE_ORIGIN_ZEROCOPY)
            return err_set(err, "error queue: origin %u errno %u, not a "
                                "zerocopy completion", ee.ee_origin,
                           ee.ee_errno);
        r->lo = ee.ee_info;
        r->hi = ee.ee_data;
        *copied = (ee.ee_code & SO_EE_CODE_ZEROCOPY_COPIED) != 0;
        return 1;
    }
    return err_set(err, "recvmsg(MSG_ERRQUEUE): no IP_RECVERR message");
}

/* One MSG_ZEROCOPY send on a fresh loopback pair: is it permitted, and
 * did the kernel copy?  Sets the note; -1 with ch->refused when refused. */
static int zc_probe(struct tp_channel *ch, struct zc_priv *p, char *err)
{
    static char page[4096], back[4096];    /* sent (lent), received */
    int cfd = -1, sfd = -1, on = 1, copied = 0, ret = -1;
    struct zc_range r;

    cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (cfd == -1)
        return err_sys(err, "socket");
    if (setsockopt(cfd, SOL_SOCKET, SO_ZEROCOPY, &on, sizeof(on)) == -1) {
        if (errno == ENOPROTOOPT || errno == EOPNOTSUPP) {
            ch->refused = TP_REFUSED_NOT_PERMITTED;
            err_set(err, "SO_ZEROCOPY refused (%s): a kernel before 4.14 "
                         "has no MSG_ZEROCOPY", strerrorname_np(errno));
        } else if (errno == EPERM || errno == EACCES) {
            ch->refused = TP_REFUSED_NOT_PERMITTED;
            err_set(err, "SO_ZEROCOPY refused (%s): a seccomp filter or a "
                         "security module forbids it",
                    strerrorname_np(errno));
        } else {
            err_sys(err, "setsockopt SO_ZEROCOPY");
        }
        goto out;
    }
    if (connect(cfd, (struct sockaddr *)&p->addr, sizeof(p->addr)) == -1) {
        err_sys(err, "connect");
        goto out;
    }
    sfd = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (sfd == -1) {
        err_sys(err, "accept4");
        goto out;
    }
    if (send(cfd, page, sizeof(page), MSG_ZEROCOPY) != (ssize_t)sizeof(page)) {
        err_sys(err, "send(MSG_ZEROCOPY)");
        goto out;
    }
    if (read_full(sfd, back, sizeof(back), err) == -1 ||
        zc_read_note(cfd, 0, &r, &copied, err) == -1)
        goto out;
    snprintf(ch->note, NOTE_LEN, "%s", copied ?
             "loopback: the kernel copied (ZEROCOPY_COPIED)" :
             "loopback: pages not copied");
    ret = 0;
out:
    close_fd(&sfd);
    close_fd(&cfd);
    return ret;
}

/* ---- set-up ------------------------------------------------------------ */

static int zc_create(struct tp_channel *ch, char *err)
{
    struct zc_priv *p = calloc(1, sizeof(*p));
    socklen_t len = sizeof(p->addr);

    if (p == NULL)
        return err_sys(err, "calloc");
    p->listen_fd = p->fd = -1;
    ch->priv = p;
    p->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (p->listen_fd == -1)
        return err_sys(err, "socket");
    p->addr.sin_family = AF_INET;
    p->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  /* port 0: any */
    if (bind(p->listen_fd, (struct sockaddr *)&p->addr, len) == -1)
        return err_sys(err, "bind 127.0.0.1:0");
    if (listen(p->listen_fd, 2) == -1)
        return err_sys(err, "listen");
    if (getsockname(p->listen_fd, (struct sockaddr *)&p->addr, &len) == -1)
        return err_sys(err, "getsockname");
    if (ch->tp->variant == ZC_MSG)
        return zc_probe(ch, p, err);
    return 0;
}

static int zc_pool_map(struct zc_priv *p, size_t msg_bytes, char *err)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);

    p->stride = (msg_bytes + page - 1) / page * page;
    p->nbufs = ZC_POOL_BYTES / p->stride;
    if (p->nbufs < ZC_POOL_MIN)
        p->nbufs = ZC_POOL_MIN;
    if (p->nbufs > ZC_POOL_MAX)
        p->nbufs = ZC_POOL_MAX;
    p->last_call = calloc(p->nbufs, sizeof(*p->last_call));
    if (p->last_call == NULL)
        return err_sys(err, "calloc");
    p->pool = mmap(NULL, p->nbufs * p->stride, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p->pool == MAP_FAILED) {
        p->pool = NULL;
        return err_sys(err, "mmap");
    }
    return 0;
}

static int zc_attach(struct tp_channel *ch, char *err)
{
    struct zc_priv *p = ch->priv;
    int on = 1, sends;

    if (ch->role == ROLE_PRODUCER) {
        close_fd(&p->listen_fd);
        p->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (p->fd == -1)
            return err_sys(err, "socket");
        if (connect(p->fd, (struct sockaddr *)&p->addr,
                    sizeof(p->addr)) == -1)
            return err_sys(err, "connect");
    } else {
        p->fd = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (p->fd == -1)
            return err_sys(err, "accept4");
        close_fd(&p->listen_fd);
    }
    if (ch->mode == MODE_LATENCY &&
        setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1)
        return err_sys(err, "setsockopt TCP_NODELAY");
    sends = ch->role == ROLE_PRODUCER || ch->mode == MODE_LATENCY;
    if (ch->tp->variant != ZC_MSG || !sends)
        return 0;
    if (setsockopt(p->fd, SOL_SOCKET, SO_ZEROCOPY, &on, sizeof(on)) == -1)
        return err_sys(err, "setsockopt SO_ZEROCOPY");
    return zc_pool_map(p, ch->msg_bytes, err);
}

/* Parent, once both children hold their sockets: the listener goes. */
static int zc_ready(struct tp_channel *ch, char *err)
{
    struct zc_priv *p = ch->priv;

    (void)err;
    close_fd(&p->listen_fd);
    return 0;
}

/* ---- completions ------------------------------------------------------- */

/* Account one range: extend the completed prefix, or keep it aside. */
static int zc_complete(struct zc_priv *p, struct zc_range r, char *err)
{
    int merged = 1;

    if (r.hi < r.lo)            /* 32-bit numbers wrapped: not in a run */
        return err_set(err, "zerocopy range %u-%u wraps", r.lo, r.hi);
    if (p->npending == ZC_PENDING)
        return err_set(err, "more than %d zerocopy ranges out of order",
                       ZC_PENDING);
    p->pending[p->npending++] = r;
    while (merged) {            /* fold every range that now fits */
        merged = 0;
        for (int i = 0; i < p->npending; i++) {
            if (p->pending[i].lo > p->done)
                continue;
            if ((uint64_t)p->pending[i].hi + 1 > p->done)
                p->done = (uint64_t)p->pending[i].hi + 1;
            p->pending[i] = p->pending[--p->npending];
            merged = 1;
            break;
        }
    }
    return 0;
}

/* Read notifications until calls 0 .. upto-1 have all completed. */
static int zc_wait_done(struct zc_priv *p, uint64_t upto, char *err)
{
    struct zc_range r;
    int copied, got;

    while (p->done < upto) {
        got = zc_read_note(p->fd, 0, &r, &copied, err);
        if (got == -1 || zc_complete(p, r, err) == -1)
            return -1;
        p->ranges++;
        p->copied += copied;
    }
    return 0;
}

/* ---- moving a message -------------------------------------------------- */

static int zc_send_msg(struct zc_priv *p, const void *buf, size_t len,
                       char *err)
{
    unsigned char *b = p->pool + p->next * p->stride;
    size_t off = 0;
    ssize_t n;

    /* the buffer's previous message must be released by the kernel */
    if (zc_wait_done(p, p->last_call[p->next], err) == -1)
        return -1;
    memcpy(b, buf, len);
    while (off < len) {
        n = send(p->fd, b + off, len - off, MSG_ZEROCOPY);
        if (n == -1) {
            struct zc_range r;
            int copied;

            if (errno == EINTR)
                continue;
            if (errno != ENOBUFS)   /* ENOBUFS: notifications pile up */
                return err_sys(err, "send(MSG_ZEROCOPY)");
            if (zc_read_note(p->fd, 0, &r, &copied, err) == -1 ||
                zc_complete(p, r, err) == -1)
                return -1;
            p->ranges++;
            p->copied += copied;
            continue;
        }
        p->calls++;             /* this call has its number */
        off += (size_t)n;
    }
    p->last_call[p->next] = p->calls;
    p->next = (p->next + 1) % p->nbufs;
    return 0;
}

static int zc_send(struct tp_channel *ch, const void *buf, size_t len,
                   char *err)
{
    struct zc_priv *p = ch->priv;

    if (ch->tp->variant == ZC_PLAIN)
        return write_full(p->fd, buf, len, err);
    return zc_send_msg(p, buf, len, err);
}

static int zc_recv(struct tp_channel *ch, void *buf, size_t len,
                   const void **msg, char *err)
{
    struct zc_priv *p = ch->priv;

    *msg = buf;
    return read_full(p->fd, buf, len, err);
}

/* Producer, after its last message: every call completed, ranges add up. */
static int zc_finish(struct tp_channel *ch, char *err)
{
    struct zc_priv *p = ch->priv;

    if (p->pool == NULL)
        return 0;
    if (zc_wait_done(p, p->calls, err) == -1)
        return -1;
    if (p->done != p->calls || p->npending != 0)
        return err_set(err, "zerocopy: %llu calls but %llu completed",
                       (unsigned long long)p->calls,
                       (unsigned long long)p->done);
    return 0;
}

/* ---- tear-down --------------------------------------------------------- */

static void zc_detach(struct tp_channel *ch)
{
    struct zc_priv *p = ch->priv;

    close_fd(&p->fd);
    if (p->pool != NULL)        /* queued packets hold their own page pins */
        (void)munmap(p->pool, p->nbufs * p->stride);
    p->pool = NULL;
    free(p->last_call);
    p->last_call = NULL;
}

static void zc_destroy(struct tp_channel *ch)
{
    struct zc_priv *p = ch->priv;

    if (p == NULL)
        return;
    close_fd(&p->listen_fd);
    close_fd(&p->fd);
    free(p);
    ch->priv = NULL;
}

/* zerocopy/msg: one send a message, and about one recvmsg(MSG_ERRQUEUE)
 * per notification, which the kernel coalesces over consecutive calls
 * (measured at 64 KiB on one CPU: see the README); recv: one read. */
static const struct transport zerocopy_msg = {
    .name = "zerocopy/msg", .family = TP_NET,
    .summary = "TCP send(MSG_ZEROCOPY), completions from the error queue",
    .caps = TP_STREAM | TP_DUPLEX, .variant = ZC_MSG,
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(1, 1),
    .create = zc_create, .attach = zc_attach, .ready = zc_ready,
    .send = zc_send, .recv = zc_recv, .finish = zc_finish,
    .detach = zc_detach, .destroy = zc_destroy,
};
TRANSPORT_REGISTER(zerocopy_msg);

static const struct transport zerocopy_plain = {
    .name = "zerocopy/plain", .family = TP_NET,
    .summary = "TCP send(2), the copying twin of zerocopy/msg",
    .caps = TP_STREAM | TP_DUPLEX, .variant = ZC_PLAIN,
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(1, 1),
    .create = zc_create, .attach = zc_attach, .ready = zc_ready,
    .send = zc_send, .recv = zc_recv, .finish = zc_finish,
    .detach = zc_detach, .destroy = zc_destroy,
};
TRANSPORT_REGISTER(zerocopy_plain);
