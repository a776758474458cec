/* socketpair.c - a connected pair of Unix domain sockets, in the three
 * socket types AF_UNIX offers.
 *
 * What it is.  socketpair(AF_UNIX, type, 0, sv) returns two connected
 * sockets.  Unlike a pipe each end both reads and writes, so one pair
 * carries a round trip.  Like a pipe it has no name and passes to a child
 * through fork.  Choose it for a duplex channel between related processes,
 * or when you will later need what only sockets do (passing descriptors
 * with SCM_RIGHTS, credentials); see unix(7), socketpair(2).  Three
 * transports, one per type:
 *
 *      socketpair/stream     SOCK_STREAM: a byte stream, like a pipe
 *      socketpair/dgram      SOCK_DGRAM: messages, boundaries kept
 *      socketpair/seqpacket  SOCK_SEQPACKET: messages, boundaries kept,
 *                            connection semantics (EOF when the peer
 *                            closes, as for a stream)
 *
 * Kernel objects.  Two sockets (struct unix_sock) joined to each other,
 * each with a receive queue of sk_buffs.  Nothing has a name; the pair is
 * gone when the last descriptor on it is closed.
 *
 * Copies.  Two per byte: send()/write() copies the producer's bytes into
 * an sk_buff queued directly on the peer's receive queue (no protocol
 * stack, no loopback device), read() copies them out.  The sender's
 * SO_SNDBUF bounds how much may wait unread.
 *
 * Waiting.  Blocking I/O: a reader sleeps on an empty queue, a writer
 * sleeps when its send buffer allowance is used up.  SOCK_STREAM keeps no
 * message boundaries, so both sides loop on short transfers.  The two
 * message types move one whole message per call or fail: a short or
 * truncated datagram is reported as an error, never glued back together.
 *
 * Limits (message types only).  One datagram is one sk_buff, so it must
 * fit the sender's SO_SNDBUF less 32 bytes (EMSGSIZE otherwise).  create()
 * raises SO_SNDBUF when the message needs it; the kernel doubles the value
 * asked for and caps it at /proc/sys/net/core/wmem_max, so a message over
 * 2 * wmem_max - 32 is refused up front.  The sk_buff's linear part is one
 * kmalloc, which caps a datagram near 4 MiB whatever the sysctls say
 * (ENOBUFS); messages over 4 MiB are refused as well.
 *
 * Protocol:
 *
 *      producer (sv[0])                   consumer (sv[1])
 *      ----------------                   ----------------
 *      close(sv[1])                       close(sv[0])
 *      write(sv[0], msg) -----ping---->   read(sv[1], msg)
 *      read(sv[0], msg)  <----pong-----   write(sv[1], msg)
 *      close(sv[0])                       close(sv[1])
 *
 * Usage: bin/socketpair [--size 4K] ...   (or: ipclab run socketpair)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../bench/transport.h"
#include "../bench/util.h"
#include "unix_dgram.h"

struct sp_priv {
    int sv[2];
    int fd;                     /* this process's end after attach */
};

/* Datagram size limits: unix_dgram.c (shared with unix_socket.c). */
static int sp_check_size(const struct transport *tp, enum tp_mode mode,
                         size_t msg_bytes, char *err)
{
    (void)tp;
    (void)mode;
    return unix_dgram_check_size(msg_bytes, err);
}

/* ---- the transport ---------------------------------------------------- */

static int sp_create(struct tp_channel *ch, char *err)
{
    struct sp_priv *p = calloc(1, sizeof(*p));
    int i, sndbuf;
    socklen_t optlen = sizeof(sndbuf);

    if (p == NULL)
        return err_sys(err, "calloc");
    p->sv[0] = p->sv[1] = p->fd = -1;
    ch->priv = p;
    if (socketpair(AF_UNIX, ch->tp->variant | SOCK_CLOEXEC, 0, p->sv) == -1)
        return err_sys(err, "socketpair");
    if (ch->tp->variant == SOCK_STREAM)
        return 0;
    for (i = 0; i < 2; i++)     /* both ends send in latency mode */
        if (unix_dgram_fit_sndbuf(p->sv[i], ch->msg_bytes, err) == -1)
            return -1;
    if (getsockopt(p->sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, &optlen) == -1)
        return err_sys(err, "getsockopt SO_SNDBUF");
    snprintf(ch->note, sizeof(ch->note), "SO_SNDBUF %d", sndbuf);
    return 0;
}

static int sp_attach(struct tp_channel *ch, char *err)
{
    struct sp_priv *p = ch->priv;
    int mine = ch->role == ROLE_PRODUCER ? 0 : 1;

    (void)err;
    p->fd = p->sv[mine];
    p->sv[mine] = -1;
    close_fd(&p->sv[1 - mine]); /* the peer's end: EOF if it dies */
    return 0;
}

static int sp_send(struct tp_channel *ch, const void *buf, size_t len,
                   char *err)
{
    struct sp_priv *p = ch->priv;

    return write_full(p->fd, buf, len, err);
}

static int sp_recv(struct tp_channel *ch, void *buf, size_t len,
                   const void **msg, char *err)
{
    struct sp_priv *p = ch->priv;

    *msg = buf;
    return read_full(p->fd, buf, len, err);
}

/* One datagram per call: it goes whole or not at all. */
static int sp_send_msg(struct tp_channel *ch, const void *buf, size_t len,
                       char *err)
{
    struct sp_priv *p = ch->priv;

    return send_whole(p->fd, buf, len, err);
}

/* Receive one datagram and check that it is exactly one message. */
static int sp_recv_msg(struct tp_channel *ch, void *buf, size_t len,
                       const void **msg, char *err)
{
    struct sp_priv *p = ch->priv;

    *msg = buf;
    return recv_whole(p->fd, buf, len, err);
}

static void sp_detach(struct tp_channel *ch)
{
    struct sp_priv *p = ch->priv;

    close_fd(&p->fd);
}

static void sp_destroy(struct tp_channel *ch)
{
    struct sp_priv *p = ch->priv;

    if (p == NULL)
        return;
    close_fd(&p->sv[0]);
    close_fd(&p->sv[1]);
    free(p);
    ch->priv = NULL;
}

static const struct transport socketpair_stream = {
    .name = "socketpair/stream",
    .family = TP_IPC,
    .summary = "socketpair(AF_UNIX, SOCK_STREAM): one duplex byte stream",
    .caps = TP_STREAM | TP_DUPLEX,
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(1, 1),
    .variant = SOCK_STREAM,
    .create = sp_create,
    .attach = sp_attach,
    .send = sp_send,
    .recv = sp_recv,
    .detach = sp_detach,
    .destroy = sp_destroy,
};
TRANSPORT_REGISTER(socketpair_stream);

static const struct transport socketpair_dgram = {
    .name = "socketpair/dgram",
    .family = TP_IPC,
    .summary = "socketpair(AF_UNIX, SOCK_DGRAM): duplex, one message per "
               "datagram",
    .caps = TP_MESSAGES | TP_DUPLEX,
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(1, 1),
    .variant = SOCK_DGRAM,
    .check_size = sp_check_size,
    .create = sp_create,
    .attach = sp_attach,
    .send = sp_send_msg,
    .recv = sp_recv_msg,
    .detach = sp_detach,
    .destroy = sp_destroy,
};
TRANSPORT_REGISTER(socketpair_dgram);

static const struct transport socketpair_seqpacket = {
    .name = "socketpair/seqpacket",
    .family = TP_IPC,
    .summary = "socketpair(AF_UNIX, SOCK_SEQPACKET): duplex, messages on a "
               "connection",
    .caps = TP_MESSAGES | TP_DUPLEX,
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(1, 1),
    .variant = SOCK_SEQPACKET,
    .check_size = sp_check_size,
    .create = sp_create,
    .attach = sp_attach,
    .send = sp_send_msg,
    .recv = sp_recv_msg,
    .detach = sp_detach,
    .destroy = sp_destroy,
};
TRANSPORT_REGISTER(socketpair_seqpacket);
