/* tcp.c - TCP over loopback.
 *
 * What it is.  A reliable, ordered byte stream between two sockets
 * addressed by IP address and port: the same API whether the peer is in
 * this machine or across the world.  Choose it when the peer may one day
 * live on another host; between processes that will always share a
 * machine a Unix socket (ipc/socketpair.c) does the same with less work.
 * See tcp(7), ip(7), ipv6(7), socket(7).
 *
 * Kernel objects.  A listening socket bound to 127.0.0.1 (or ::1 with
 * --ipv6) on port 0, so the kernel picks a free port, read back with
 * getsockname(); then one connected socket per side, each with a send
 * and a receive queue of sk_buffs.  Nothing has a file name: closing the
 * descriptors ends everything (the side that closes first keeps a
 * TIME_WAIT entry for a minute, which holds no resource of ours).
 *
 * The path of a byte, and how it differs from a Unix socket.  write()
 * copies the bytes into sk_buffs on the sender's socket (copy 1); TCP
 * cuts them into segments (up to the loopback MTU of 64 KiB), adds TCP and
 * IP headers and checksums (offloaded on lo), keeps each segment queued
 * until it is acknowledged, and hands it to the loopback device, whose
 * "transmit" is a receive: the packet goes back up through IP and TCP
 * (softirq), lands on the receiver's queue, and an ACK travels the same
 * way back.  read() copies it out (copy 2).  A Unix stream socket also
 * copies twice, but puts the sk_buff straight on the peer's queue: no
 * headers, no segmentation, no ACKs, no congestion and flow control -
 * that protocol work is what this transport measures on top of it.
 *
 * Waiting.  Blocking I/O: read() sleeps on an empty receive queue, write()
 * sleeps when the send buffer (SO_SNDBUF, autotuned unless --sockbuf) or
 * the receiver's advertised window is full.  In latency mode TCP_NODELAY
 * is set on both sides (the row notes it): otherwise Nagle's algorithm
 * may hold a small message back while an earlier one is unacknowledged.
 *
 * Protocol:
 *
 *      parent: socket, bind 127.0.0.1:0, listen, getsockname -> port
 *      producer                           consumer
 *      --------                           --------
 *      socket, connect(port) ----SYN--->  accept
 *      write(msg) ---------------ping---> read(msg)      (loops: a stream)
 *      read(msg)  <--------------pong---- write(msg)     (latency mode)
 *      close                              close
 *
 * Two hosts.  With --connect HOST[:PORT] the consumer is `ipclab serve`
 * on HOST: net/remote/tcp_remote.c makes the connection and the functions
 * below move the bytes; the last section of this file is the only place
 * that chooses.  Read the rest as if it were not there.
 *
 * Usage: bin/tcp [--size 64K] [--mode latency] [--ipv6] [--sockbuf 1M]
 *                [--connect HOST[:PORT]]     (or: ipclab run tcp ...)
 */
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../bench/transport.h"
#include "../bench/util.h"
#include "inet.h"               /* struct tcp_priv; shared with net/remote/ */
#include "netopt.h"
#include "remote/remote.h"      /* --connect: the last section only */

int tcp_nodelay(int fd, char *err)
{
    int on = 1;

    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1)
        return err_sys(err, "setsockopt TCP_NODELAY");
    return 0;
}

struct tcp_priv *tcp_priv_new(struct tp_channel *ch, char *err)
{
    struct tcp_priv *p = calloc(1, sizeof(*p));

    if (p == NULL) {
        err_sys(err, "calloc");
        return NULL;
    }
    p->listen_fd = p->fd = -1;
    ch->priv = p;
    if (ch->mode == MODE_LATENCY)
        net_note_add(ch->note, "TCP_NODELAY");
    net_note_options(ch->note);
    return p;
}

static int tcp_create(struct tp_channel *ch, char *err)
{
    struct tcp_priv *p = tcp_priv_new(ch, err);
    struct addrinfo hints, *ai;
    int rc;

    if (p == NULL)
        return -1;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = net_opt_ipv6 ? AF_INET6 : AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    rc = getaddrinfo(net_opt_ipv6 ? "::1" : "127.0.0.1", "0", &hints, &ai);
    if (rc != 0)
        return err_set(err, "getaddrinfo: %s", gai_strerror(rc));
    p->listen_fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (p->listen_fd == -1) {
        freeaddrinfo(ai);
        return err_sys(err, "socket");
    }
    rc = bind(p->listen_fd, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    if (rc == -1)
        return err_sys(err, net_opt_ipv6 ? "bind [::1]:0" : "bind 127.0.0.1:0");
    /* before listen(): accepted sockets inherit the buffer sizes, and the
     * window scale is chosen from SO_RCVBUF at connection time */
    if (net_apply_sockbuf(p->listen_fd, err) == -1)
        return -1;
    if (listen(p->listen_fd, 1) == -1)
        return err_sys(err, "listen");
    p->addr_len = sizeof(p->addr);
    if (getsockname(p->listen_fd, (struct sockaddr *)&p->addr,
                    &p->addr_len) == -1)    /* the port the kernel chose */
        return err_sys(err, "getsockname");
    return 0;
}

static int tcp_attach(struct tp_channel *ch, char *err)
{
    struct tcp_priv *p = ch->priv;

    if (ch->role == ROLE_PRODUCER) {
        close_fd(&p->listen_fd);
        p->fd = socket(p->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (p->fd == -1)
            return err_sys(err, "socket");
        if (net_apply_sockbuf(p->fd, err) == -1)
            return -1;
        if (connect(p->fd, (struct sockaddr *)&p->addr, p->addr_len) == -1)
            return err_sys(err, "connect");
    } else {
        p->fd = accept(p->listen_fd, NULL, NULL);
        if (p->fd == -1)
            return err_sys(err, "accept");
        close_fd(&p->listen_fd);    /* one connection is all we take */
    }
    if (ch->mode == MODE_LATENCY && tcp_nodelay(p->fd, err) == -1)
        return -1;
    return 0;
}

/* Parent, both sides attached: our copies of the listener (and, remotely,
 * of the connection) go, so a dead child's end closes for real. */
static int tcp_ready(struct tp_channel *ch, char *err)
{
    struct tcp_priv *p = ch->priv;

    (void)err;
    close_fd(&p->listen_fd);
    close_fd(&p->fd);
    return 0;
}

static int tcp_send(struct tp_channel *ch, const void *buf, size_t len,
                    char *err)
{
    struct tcp_priv *p = ch->priv;

    return write_full(p->fd, buf, len, err);    /* loops on short writes */
}

static int tcp_recv(struct tp_channel *ch, void *buf, size_t len,
                    const void **msg, char *err)
{
    struct tcp_priv *p = ch->priv;

    *msg = buf;
    return read_full(p->fd, buf, len, err);     /* loops on short reads */
}

static void tcp_detach(struct tp_channel *ch)
{
    struct tcp_priv *p = ch->priv;

    close_fd(&p->fd);
    close_fd(&p->listen_fd);
}

static void tcp_destroy(struct tp_channel *ch)
{
    struct tcp_priv *p = ch->priv;

    if (p == NULL)
        return;
    close_fd(&p->fd);
    close_fd(&p->listen_fd);
    free(p);
    ch->priv = NULL;
}

/* ---- two hosts ----------------------------------------------------------
 * With --connect the consumer is `ipclab serve` on another host, and
 * net/remote/ takes the steps that differ: check the size against the
 * server, connect and say hello instead of listening, nothing to attach,
 * and read the server's result at the end (the harness reads the clock
 * after finish(), so a throughput run ends when the server has received
 * and verified everything).  Everything else is the code above. */

static int tcp_check_size(const struct transport *tp, enum tp_mode mode,
                          size_t msg_bytes, char *err)
{
    (void)tp;
    (void)mode;
    return net_opt_connect != NULL ? remote_check_size(msg_bytes, err) : 0;
}

static int tcp_create_either(struct tp_channel *ch, char *err)
{
    return net_opt_connect != NULL ? remote_tcp_create(ch, err)
                                   : tcp_create(ch, err);
}

static int tcp_attach_either(struct tp_channel *ch, char *err)
{
    return net_opt_connect != NULL ? 0 : tcp_attach(ch, err);
}

static int tcp_finish(struct tp_channel *ch, char *err)
{
    struct tcp_priv *p = ch->priv;

    return net_opt_connect != NULL ? remote_client_result(p->fd, ch, err)
                                   : 0;
}

static const struct transport tcp = {
    .name = "tcp",
    .family = TP_NET,
    .summary = "TCP over loopback (127.0.0.1, or ::1 with --ipv6), or to "
               "`ipclab serve` with --connect",
    .caps = TP_STREAM | TP_DUPLEX,
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(1, 1),
    .check_size = tcp_check_size,
    .create = tcp_create_either,
    .attach = tcp_attach_either,
    .ready = tcp_ready,
    .send = tcp_send,
    .recv = tcp_recv,
    .finish = tcp_finish,
    .detach = tcp_detach,
    .destroy = tcp_destroy,
};
TRANSPORT_REGISTER(tcp);
