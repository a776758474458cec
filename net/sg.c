/* sg.c - scatter-gather: a 64-byte header and a body, sent three ways over
 * a pipe, a Unix stream socket and TCP, received with one readv(2).
 *
 * What it is.  Most protocols frame a body with a header (length, type,
 * checksum) that lives in another buffer.  Three ways to send the pair:
 *
 *      sg/KIND/copy    copy header and body into one buffer, one write():
 *                      one syscall, but an extra copy of the body in user
 *                      space (what a naive framing layer does)
 *      sg/KIND/write2  write(header), then write(body): no extra copy, but
 *                      two syscalls, two wake-ups of the reader, and for
 *                      TCP two segments
 *      sg/KIND/writev  writev(2) with two iovecs: one syscall, no extra
 *                      copy - the kernel gathers the pieces as it copies
 *                      them into its buffer
 *
 * and KIND is `pipe`, `unix` (socketpair(AF_UNIX, SOCK_STREAM)) or `tcp`
 * (loopback).  The receiver always uses readv(2): header into its own
 * buffer, body into the harness's, in one call.  Choose writev whenever
 * the pieces of one message are in different buffers; see readv(2).
 *
 * Why write2 is the slow one.  Twice the syscalls, and the reader may wake
 * for the header alone and sleep again for the body.  Over TCP it is
 * worse: with Nagle's algorithm (the default) a small segment is held back
 * while an earlier one is unacknowledged, so the body waits for the ACK of
 * the header - and the receiver may delay that ACK (up to 40 ms) hoping to
 * piggyback it on data.  That is the classic write-write-read stall.
 * TCP_NODELAY sends each write at once, which removes the stall but not
 * the extra segment; latency mode sets it on both sides as net/tcp.c does
 * (the row notes it), unless --sg-nagle leaves Nagle on to show the stall.
 *
 * The header is the transport's (the harness's message is the body): a
 * magic number, the body length and a per-direction message count, padded
 * to 64 bytes; the receiver checks all three, so a header that arrived
 * torn or out of step fails the run.
 *
 * Kernel objects.  A pipe per direction; or one socketpair; or a TCP
 * listener on 127.0.0.1 port 0 (read back with getsockname), then one
 * connection, the listener closed once both sides hold their socket.  All
 * vanish with their descriptors.
 *
 * Copies.  Two per byte, as for any kernel-buffered stream (copy adds a
 * third, in user space, on the sending side).
 *
 * Waiting.  Blocking I/O, as for the pipe, socketpair and TCP rows; every
 * call loops on short transfers and EINTR.
 *
 * Protocol (latency mode; throughput sends pings only):
 *
 *      producer                              consumer
 *      --------                              --------
 *      writev([hdr, body]) --------ping----> readv([hdr, body])
 *      readv([hdr, body]) <--------pong----- writev([hdr, body])
 *
 * Usage: bin/sg [--size 4K] [--mode latency] [--sg-nagle]
 *        (or: ipclab run sg/tcp sg/unix/writev ...)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../bench/transport.h"
#include "../bench/util.h"
#include "loopback.h"

#define SG_HDR_BYTES 64
#define SG_MAGIC 0x53474844u    /* "SGHD" */

enum sg_kind { SG_PIPE, SG_UNIX, SG_TCP };
enum sg_how { SG_COPY, SG_WRITE2, SG_WRITEV };
#define SG_VARIANT(kind, how) ((kind) * 4 + (how))
#define SG_KIND(v) ((enum sg_kind)((v) / 4))
#define SG_HOW(v) ((enum sg_how)((v) % 4))

struct sg_hdr {
    uint32_t magic;
    uint32_t body_len;
    uint64_t count;             /* messages sent in this direction so far */
    unsigned char pad[SG_HDR_BYTES - 16];
};

struct sg_priv {
    int ping[2], pong[2];       /* pipes; sockets use ping as the pair */
    int listen_fd;              /* tcp, until both sides attach */
    struct sockaddr_in addr;
    int rfd, wfd;               /* this process's, after attach */
    unsigned char *stage;       /* copy: header + body in one buffer */
    uint64_t sent, received;
};

static int opt_nagle;
static const struct tp_option nagle_option = {
    "sg-nagle", OPT_FLAG, &opt_nagle, NULL, NULL,
    "sg/tcp: leave Nagle's algorithm on in latency mode (no TCP_NODELAY)",
    .applies = "sg/tcp/*",
};
TRANSPORT_OPTION(nagle_option);

/* ---- full transfers over several buffers --------------------------------- */

/* Advance an iovec array past n bytes just transferred. */
static void sg_advance(struct iovec **iov, int *cnt, size_t n)
{
    while (*cnt > 0 && n >= (*iov)->iov_len) {
        n -= (*iov)->iov_len;
        (*iov)++;
        (*cnt)--;
    }
    if (*cnt > 0) {
        (*iov)->iov_base = (unsigned char *)(*iov)->iov_base + n;
        (*iov)->iov_len -= n;
    }
}

static int sg_writev_full(int fd, struct iovec *iov, int cnt, char *err)
{
    while (cnt > 0) {
        ssize_t n = writev(fd, iov, cnt);

        if (n == -1) {
            if (errno == EINTR)
                continue;
            return err_sys(err, "writev");
        }
        sg_advance(&iov, &cnt, (size_t)n);
    }
    return 0;
}

static int sg_readv_full(int fd, struct iovec *iov, int cnt, char *err)
{
    while (cnt > 0) {
        ssize_t n = readv(fd, iov, cnt);

        if (n == -1) {
            if (errno == EINTR)
                continue;
            return err_sys(err, "readv");
        }
        if (n == 0)
            return err_set(err, "readv: unexpected end of file");
        sg_advance(&iov, &cnt, (size_t)n);
    }
    return 0;
}

/* ---- setting up ---------------------------------------------------------- */

/* A listener on 127.0.0.1 with the port the kernel chose (loopback.h). */
static int sg_tcp_listen(struct sg_priv *p, char *err)
{
    p->listen_fd = loop_listen(&p->addr, 1, err);
    return p->listen_fd == -1 ? -1 : 0;
}

static int sg_create(struct tp_channel *ch, char *err)
{
    struct sg_priv *p = calloc(1, sizeof(*p));
    enum sg_kind kind = SG_KIND(ch->tp->variant);

    if (p == NULL)
        return err_sys(err, "calloc");
    p->ping[0] = p->ping[1] = p->pong[0] = p->pong[1] = -1;
    p->listen_fd = p->rfd = p->wfd = -1;
    ch->priv = p;
    if (kind == SG_TCP) {
        if (ch->mode == MODE_LATENCY && !opt_nagle)
            snprintf(ch->note, sizeof(ch->note), "TCP_NODELAY");
        else if (ch->mode == MODE_LATENCY)
            snprintf(ch->note, sizeof(ch->note), "Nagle on");
        return sg_tcp_listen(p, err);
    }
    if (kind == SG_UNIX)
        return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p->ping)
                   == -1 ? err_sys(err, "socketpair") : 0;
    if (pipe2(p->ping, O_CLOEXEC) == -1)
        return err_sys(err, "pipe2");
    if (ch->mode == MODE_LATENCY && pipe2(p->pong, O_CLOEXEC) == -1)
        return err_sys(err, "pipe2");
    return 0;
}

static int sg_tcp_attach(struct tp_channel *ch, struct sg_priv *p, char *err)
{
    int fd, on = 1;

    if (ch->role == ROLE_PRODUCER) {
        close_fd(&p->listen_fd);
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd == -1)
            return err_sys(err, "socket");
        p->rfd = p->wfd = fd;
        if (connect(fd, (struct sockaddr *)&p->addr, sizeof(p->addr)) == -1)
            return err_sys(err, "connect");
    } else {
        fd = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd == -1)
            return err_sys(err, "accept4");
        p->rfd = p->wfd = fd;
        close_fd(&p->listen_fd);
    }
    if (ch->mode == MODE_LATENCY && !opt_nagle &&
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1)
        return err_sys(err, "setsockopt TCP_NODELAY");
    return 0;
}

static int sg_attach(struct tp_channel *ch, char *err)
{
    struct sg_priv *p = ch->priv;
    enum sg_kind kind = SG_KIND(ch->tp->variant);
    int prod = ch->role == ROLE_PRODUCER;

    if (SG_HOW(ch->tp->variant) == SG_COPY) {
        p->stage = malloc(SG_HDR_BYTES + ch->msg_bytes);
        if (p->stage == NULL)
            return err_sys(err, "malloc");
    }
    if (kind == SG_TCP)
        return sg_tcp_attach(ch, p, err);
    if (kind == SG_UNIX) {
        p->rfd = p->wfd = p->ping[prod ? 0 : 1];
        p->ping[prod ? 0 : 1] = -1;
        close_fd(&p->ping[prod ? 1 : 0]);   /* the peer's end */
        return 0;
    }
    p->wfd = prod ? p->ping[1] : p->pong[1];
    p->rfd = prod ? p->pong[0] : p->ping[0];
    close_fd(prod ? &p->ping[0] : &p->ping[1]);  /* EOF if the peer dies */
    close_fd(prod ? &p->pong[1] : &p->pong[0]);
    if (prod)
        p->ping[1] = p->pong[0] = -1;       /* owned as wfd/rfd */
    else
        p->ping[0] = p->pong[1] = -1;
    return 0;
}

/* Parent, once both children hold their ends: the listener goes. */
static int sg_ready(struct tp_channel *ch, char *err)
{
    struct sg_priv *p = ch->priv;

    (void)err;
    close_fd(&p->listen_fd);
    return 0;
}

/* ---- moving a message ---------------------------------------------------- */

static int sg_send(struct tp_channel *ch, const void *buf, size_t len,
                   char *err)
{
    struct sg_priv *p = ch->priv;
    struct sg_hdr h = { SG_MAGIC, (uint32_t)len, p->sent++, { 0 } };
    struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)buf, len } };

    switch (SG_HOW(ch->tp->variant)) {
    case SG_COPY:               /* one buffer, one call, one more copy */
        memcpy(p->stage, &h, sizeof(h));
        memcpy(p->stage + sizeof(h), buf, len);
        return write_full(p->wfd, p->stage, sizeof(h) + len, err);
    case SG_WRITE2:             /* two calls */
        if (write_full(p->wfd, &h, sizeof(h), err) == -1)
            return -1;
        return write_full(p->wfd, buf, len, err);
    default:                    /* one call, the kernel gathers */
        return sg_writev_full(p->wfd, iov, 2, err);
    }
}

static int sg_recv(struct tp_channel *ch, void *buf, size_t len,
                   const void **msg, char *err)
{
    struct sg_priv *p = ch->priv;
    struct sg_hdr h;
    struct iovec iov[2] = { { &h, sizeof(h) }, { buf, len } };

    if (sg_readv_full(p->rfd, iov, 2, err) == -1)
        return -1;
    if (h.magic != SG_MAGIC || h.body_len != len || h.count != p->received)
        return err_set(err, "bad header: magic 0x%x, body %u bytes, count "
                       "%llu (expected 0x%x, %zu, %llu)", h.magic,
                       h.body_len, (unsigned long long)h.count, SG_MAGIC,
                       len, (unsigned long long)p->received);
    p->received++;
    *msg = buf;
    return 0;
}

/* ---- tearing down -------------------------------------------------------- */

static void sg_detach(struct tp_channel *ch)
{
    struct sg_priv *p = ch->priv;

    if (p->rfd == p->wfd)       /* sockets: one descriptor both ways */
        p->wfd = -1;
    close_fd(&p->rfd);
    close_fd(&p->wfd);
    free(p->stage);
    p->stage = NULL;
}

static void sg_destroy(struct tp_channel *ch)
{
    struct sg_priv *p = ch->priv;

    if (p == NULL)
        return;
    sg_detach(ch);
    close_fd(&p->ping[0]);
    close_fd(&p->ping[1]);
    close_fd(&p->pong[0]);
    close_fd(&p->pong[1]);
    close_fd(&p->listen_fd);
    free(p);
    ch->priv = NULL;
}

#define SG_TRANSPORT(var, tpname, fam, kind, how, text)                    \
    static const struct transport var = {                                  \
        .name = tpname,                                                    \
        .family = fam,                                                     \
        .summary = text,                                                   \
        .caps = TP_STREAM,                                                 \
        .variant = SG_VARIANT(kind, how),                                  \
        .copies = TP_COPIES(2),                                            \
        /* write2: two writes; a pipe's 64 KiB buffer holds less than    \
         * header + a 64 KiB body, so the reader's readv returns twice */ \
        .syscalls = TP_SYSCALLS((how) == SG_WRITE2 ? 2 : 1,                \
                                (kind) == SG_PIPE ? 2 : 1),                \
        .create = sg_create,                                               \
        .attach = sg_attach,                                               \
        .ready = sg_ready,                                                 \
        .send = sg_send,                                                   \
        .recv = sg_recv,                                                   \
        .detach = sg_detach,                                               \
        .destroy = sg_destroy,                                             \
    };                                                                     \
    TRANSPORT_REGISTER(var)

SG_TRANSPORT(sg_pipe_copy, "sg/pipe/copy", TP_IPC, SG_PIPE, SG_COPY,
             "pipe: 64 B header + body copied into one buffer, one write");
SG_TRANSPORT(sg_pipe_write2, "sg/pipe/write2", TP_IPC, SG_PIPE, SG_WRITE2,
             "pipe: 64 B header and body, two writes");
SG_TRANSPORT(sg_pipe_writev, "sg/pipe/writev", TP_IPC, SG_PIPE, SG_WRITEV,
             "pipe: 64 B header and body, one writev; readv");
SG_TRANSPORT(sg_unix_copy, "sg/unix/copy", TP_IPC, SG_UNIX, SG_COPY,
             "Unix stream: 64 B header + body copied into one buffer, "
             "one write");
SG_TRANSPORT(sg_unix_write2, "sg/unix/write2", TP_IPC, SG_UNIX, SG_WRITE2,
             "Unix stream: 64 B header and body, two writes");
SG_TRANSPORT(sg_unix_writev, "sg/unix/writev", TP_IPC, SG_UNIX, SG_WRITEV,
             "Unix stream: 64 B header and body, one writev; readv");
SG_TRANSPORT(sg_tcp_copy, "sg/tcp/copy", TP_NET, SG_TCP, SG_COPY,
             "TCP loopback: 64 B header + body copied into one buffer, "
             "one write");
SG_TRANSPORT(sg_tcp_write2, "sg/tcp/write2", TP_NET, SG_TCP, SG_WRITE2,
             "TCP loopback: 64 B header and body, two writes");
SG_TRANSPORT(sg_tcp_writev, "sg/tcp/writev", TP_NET, SG_TCP, SG_WRITEV,
             "TCP loopback: 64 B header and body, one writev; readv");
