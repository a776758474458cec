/* udp.c - UDP datagrams over loopback.
 *
 * What it is.  Connectionless, unreliable messages between two sockets
 * addressed by IP address and port.  Each send() is one datagram and each
 * recv() returns exactly one, boundaries kept; but nothing is
 * acknowledged, so a datagram may be lost, duplicated or overtaken, and
 * nothing slows the sender down when the receiver falls behind.  Choose it
 * when late data is worthless (media, games, telemetry) or to build your
 * own reliability; see udp(7), ip(7).
 *
 * Kernel objects.  Two sockets bound to 127.0.0.1 (or ::1) port 0 and
 * connect()ed to each other, which only fixes the default destination and
 * filters out datagrams from anyone else; plus a pipe on which the
 * producer says "I have sent everything" (see Losses).  No names: closing
 * the descriptors ends it all.
 *
 * The path of a byte, and how it differs from a Unix socket.  send()
 * copies the message into one sk_buff (copy 1) with UDP and IP headers;
 * the loopback device turns transmit into receive (softirq), IP and UDP
 * find the destination socket by address and port, and the sk_buff joins
 * its receive queue - or is dropped, silently, when that queue already
 * holds SO_RCVBUF worth (the "lost" column).  recv() copies it out (copy
 * 2).  A Unix datagram socket (socketpair/dgram) skips the protocol layers
 * and, crucially, blocks the sender when the receiver is full: it never
 * loses a message.  A datagram is at most 65507 bytes (65535 less the IPv4
 * and UDP headers; 65527 over IPv6); bigger sizes are refused.
 *
 * Losses.  Every message carries its sequence number in its first 8
 * bytes; the harness counts losses, duplicates and reordering from them
 * (so the smallest message is 8 bytes).  The consumer cannot wait for
 * "all" messages when some may never come: after its last send the
 * producer sends an empty datagram (the end marker, which may itself be
 * lost) and writes a byte into the pipe; once the pipe is readable the
 * consumer takes what is still queued, and gives up after 10 ms of
 * silence (200 ms remotely) - time the throughput figure then includes,
 * so a lost end marker costs that much.  In latency mode a round trip
 * without an answer within 500 ms (2 s remotely) counts as lost.
 *
 * Protocol:
 *
 *      parent: two sockets bound to 127.0.0.1:0, each connect()ed to the
 *              other's port (getsockname), one pipe
 *      producer                           consumer
 *      --------                           --------
 *      send(msg) ------datagram------->   recv(msg)   (or dropped)
 *      recv(msg) <-----datagram--------   send(msg)   (latency mode)
 *      send("") -------end marker----->   recv() == 0: end
 *      write(pipe, 1 byte) ------------>  poll(): drain, then end
 *
 * Two hosts.  With --connect HOST[:PORT] the consumer is `ipclab serve`
 * on HOST: net/remote/udp_remote.c sets up the sockets (the pipe becomes
 * a TCP connection) and the functions below run on them; the last section
 * of this file is the only place that chooses.
 *
 * Usage: bin/udp [--size 1K] [--mode latency] [--ipv6] [--sockbuf 4M]
 *                [--connect HOST[:PORT]]     (or: ipclab run udp ...)
 * Test hooks (environment, read in the parent): IPCLAB_UDP_DROP_EVERY=K
 * makes the producer skip every K-th message, IPCLAB_UDP_DUP_EVERY=K
 * sends every K-th twice.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../bench/transport.h"
#include "../bench/util.h"
#include "inet.h"               /* struct udp_priv; shared with net/remote/ */
#include "netopt.h"
#include "remote/remote.h"      /* --connect: the last section only */

#define UDP_PONG_TIMEOUT_MS 500         /* an answer is lost */
#define UDP_LINGER_MS 10                /* stragglers after done */

static int udp_check_datagram(size_t msg_bytes, char *err)
{
    unsigned max = net_opt_ipv6 ? UDP_MAX_PAYLOAD_V6 : UDP_MAX_PAYLOAD_V4;

    if (msg_bytes < UDP_MIN_PAYLOAD)
        return err_set(err, "a UDP message carries an 8-byte sequence "
                            "number to count losses: use --size 8 or more");
    if (msg_bytes > max && net_opt_ipv6)
        return err_set(err, "over the UDP datagram limit of %u bytes over "
                            "IPv6 (65535 less the 8-byte UDP header): use "
                            "tcp", max);
    if (msg_bytes > max)
        return err_set(err, "over the UDP datagram limit of %u bytes (65535 "
                            "less the 20-byte IPv4 and 8-byte UDP headers): "
                            "use tcp", max);
    return 0;
}

static unsigned long env_every(const char *name)
{
    const char *s = getenv(name);
    unsigned long v;

    return s != NULL && parse_ulong(s, &v) == 0 ? v : 0;
}

int udp_socket_bound(struct sockaddr_storage *addr, socklen_t *len,
                     char *err)
{
    int fd = socket(addr->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    if (fd == -1)
        return err_sys(err, "socket");
    if (bind(fd, (struct sockaddr *)addr, *len) == -1) {
        err_sys(err, "bind");
        close_fd(&fd);
        return -1;
    }
    *len = sizeof(*addr);
    if (getsockname(fd, (struct sockaddr *)addr, len) == -1) {
        err_sys(err, "getsockname");
        close_fd(&fd);
        return -1;
    }
    if (net_apply_sockbuf(fd, err) == -1) {
        close_fd(&fd);
        return -1;
    }
    return fd;
}

struct udp_priv *udp_priv_new(struct tp_channel *ch, char *err)
{
    struct udp_priv *p = calloc(1, sizeof(*p));

    if (p == NULL) {
        err_sys(err, "calloc");
        return NULL;
    }
    p->sock[0] = p->sock[1] = p->done_pipe[0] = p->done_pipe[1] = -1;
    p->fd = p->done_fd = -1;
    p->pong_timeout_ms = UDP_PONG_TIMEOUT_MS;
    p->drop_every = env_every("IPCLAB_UDP_DROP_EVERY");
    p->dup_every = env_every("IPCLAB_UDP_DUP_EVERY");
    ch->priv = p;
    net_note_options(ch->note);
    if (p->drop_every != 0 || p->dup_every != 0)
        net_note_add(ch->note, "test hook: drops/duplicates on purpose");
    return p;
}

static int udp_create(struct tp_channel *ch, char *err)
{
    struct udp_priv *p = udp_priv_new(ch, err);
    struct sockaddr_storage addr[2];
    socklen_t len[2];

    if (p == NULL)
        return -1;
    for (int i = 0; i < 2; i++) {
        memset(&addr[i], 0, sizeof(addr[i]));
        if (net_opt_ipv6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&addr[i];

            a->sin6_family = AF_INET6;
            a->sin6_addr = in6addr_loopback;
            len[i] = sizeof(*a);
        } else {
            struct sockaddr_in *a = (struct sockaddr_in *)&addr[i];

            a->sin_family = AF_INET;
            a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            len[i] = sizeof(*a);
        }
        p->sock[i] = udp_socket_bound(&addr[i], &len[i], err);
        if (p->sock[i] == -1)
            return -1;
    }
    /* each socket now hears only the other one */
    if (connect(p->sock[0], (struct sockaddr *)&addr[1], len[1]) == -1 ||
        connect(p->sock[1], (struct sockaddr *)&addr[0], len[0]) == -1)
        return err_sys(err, "connect");
    if (pipe(p->done_pipe) == -1)
        return err_sys(err, "pipe");
    return 0;
}

static int udp_attach(struct tp_channel *ch, char *err)
{
    struct udp_priv *p = ch->priv;

    (void)err;
    if (ch->role == ROLE_PRODUCER) {
        p->fd = p->sock[ROLE_PRODUCER];
        p->sock[ROLE_PRODUCER] = -1;
        close_fd(&p->done_pipe[0]);
    } else {
        p->fd = p->sock[ROLE_CONSUMER];
        p->sock[ROLE_CONSUMER] = -1;
        p->done_fd = p->done_pipe[0];
        p->done_pipe[0] = -1;
        close_fd(&p->done_pipe[1]); /* EOF, too, if the producer dies */
    }
    close_fd(&p->sock[0]);
    close_fd(&p->sock[1]);
    return 0;
}

/* Parent: both sides hold what they need; drop our copies so that a dead
 * producer's pipe end closes for real. */
static int udp_ready(struct tp_channel *ch, char *err)
{
    struct udp_priv *p = ch->priv;

    (void)err;
    close_fd(&p->sock[0]);
    close_fd(&p->sock[1]);
    close_fd(&p->done_pipe[0]);
    close_fd(&p->done_pipe[1]);
    return 0;
}

static int udp_send_one(int fd, const void *buf, size_t len, char *err)
{
    ssize_t n = send(fd, buf, len, 0);  /* one datagram, all or nothing */

    if (n == -1)
        return err_sys(err, "send");
    if ((size_t)n != len)
        return err_set(err, "send: %zd of %zu bytes", n, len);
    return 0;
}

static int udp_send(struct tp_channel *ch, const void *buf, size_t len,
                    char *err)
{
    struct udp_priv *p = ch->priv;

    p->sent++;
    if (ch->role == ROLE_PRODUCER) {
        memcpy(p->last_seq, buf, sizeof(p->last_seq));
        if (p->drop_every != 0 && p->sent % p->drop_every == 0)
            return 0;           /* test hook: "lost" on the way */
    }
    if (udp_send_one(p->fd, buf, len, err) == -1)
        return -1;
    if (ch->role == ROLE_PRODUCER && p->dup_every != 0 &&
        p->sent % p->dup_every == 0)
        return udp_send_one(p->fd, buf, len, err);  /* test hook */
    return 0;
}

/* Producer, latency mode: the answer to the ping in flight, skipping late
 * answers to earlier pings; TP_RECV_END after the timeout. */
static int udp_recv_pong(struct udp_priv *p, void *buf, size_t len,
                         char *err)
{
    for (;;) {
        struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
        int n = poll(&pfd, 1, p->pong_timeout_ms);
        ssize_t got;

        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            return err_sys(err, "poll");
        if (n == 0)
            return TP_RECV_END;         /* ping or pong lost */
        got = recv(p->fd, buf, len, MSG_TRUNC);
        if (got == -1 && errno == EINTR)
            continue;
        if (got == -1)
            return err_sys(err, "recv");
        if ((size_t)got != len)
            return err_set(err, "recv: a datagram of %zd bytes, expected "
                                "%zu", got, len);
        if (memcmp(buf, p->last_seq, sizeof(p->last_seq)) == 0)
            return 0;
        /* an answer that came after its timeout: not this round trip */
    }
}

/* The consumer's receive (inet.h; `ipclab serve` runs it too). */
int udp_recv_until_done(int data_fd, int done_fd, void *buf, size_t len,
                        int *done, int idle_ms, int linger_ms, char *err)
{
    for (;;) {
        struct pollfd pfd[2] = { { .fd = data_fd, .events = POLLIN },
                                 { .fd = done_fd, .events = POLLIN } };
        nfds_t nfds = (*done || done_fd < 0) ? 1 : 2;
        int n = poll(pfd, nfds, *done ? linger_ms : idle_ms);
        ssize_t got;

        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            return err_sys(err, "poll");
        if (n == 0 && !*done)
            return err_set(err, "nothing received for %d ms", idle_ms);
        if (n == 0)
            return TP_RECV_END; /* done, and nothing more arrived */
        if (pfd[0].revents != 0) {
            /* MSG_TRUNC: the datagram's real length, even if longer */
            got = recv(data_fd, buf, len, MSG_TRUNC);
            if (got == -1 && errno == EINTR)
                continue;
            if (got == -1)
                return err_sys(err, "recv");
            if (got == 0)
                return TP_RECV_END;     /* the end marker */
            if ((size_t)got != len)
                return err_set(err, "recv: a datagram of %zd bytes, "
                                    "expected %zu", got, len);
            return 0;
        }
        *done = 1;              /* done_fd readable (or closed): drain */
    }
}

static int udp_recv(struct tp_channel *ch, void *buf, size_t len,
                    const void **msg, char *err)
{
    struct udp_priv *p = ch->priv;

    *msg = buf;
    if (ch->role == ROLE_PRODUCER)
        return udp_recv_pong(p, buf, len, err);
    return udp_recv_until_done(p->fd, p->done_fd, buf, len, &p->done, -1,
                               UDP_LINGER_MS, err);
}

/* Producer, after the last message: the end marker, then "done" on the
 * reliable side channel. */
static int udp_finish(struct tp_channel *ch, char *err)
{
    struct udp_priv *p = ch->priv;
    char one = 'd';

    /* ECONNREFUSED: the consumer already has everything and has gone */
    if (send(p->fd, "", 0, 0) == -1 && errno != ECONNREFUSED)
        return err_sys(err, "send (end marker)");
    if (write(p->done_pipe[1], &one, 1) == -1 && errno != EPIPE)
        return err_sys(err, "write (done pipe)");
    return 0;
}

static void udp_detach(struct tp_channel *ch)
{
    struct udp_priv *p = ch->priv;

    close_fd(&p->fd);
    close_fd(&p->done_fd);
    close_fd(&p->done_pipe[1]);
}

static void udp_destroy(struct tp_channel *ch)
{
    struct udp_priv *p = ch->priv;

    if (p == NULL)
        return;
    udp_ready(ch, NULL);
    udp_detach(ch);
    free(p);
    ch->priv = NULL;
}

/* ---- two hosts ----------------------------------------------------------
 * With --connect the consumer is `ipclab serve` on another host, and
 * net/remote/ takes the steps that differ: ask the server about the size,
 * set up the sockets and say hello instead of making a pair here, and
 * read the server's result (its counts of what arrived) after "done".
 * Everything else is the code above. */

static int udp_check_size(const struct transport *tp, enum tp_mode mode,
                          size_t msg_bytes, char *err)
{
    (void)tp;
    (void)mode;
    if (udp_check_datagram(msg_bytes, err) == -1)
        return -1;
    return net_opt_connect != NULL ? remote_check_size(msg_bytes, err) : 0;
}

static int udp_create_either(struct tp_channel *ch, char *err)
{
    return net_opt_connect != NULL ? remote_udp_create(ch, err)
                                   : udp_create(ch, err);
}

static int udp_finish_either(struct tp_channel *ch, char *err)
{
    struct udp_priv *p = ch->priv;

    if (udp_finish(ch, err) == -1)
        return -1;
    return net_opt_connect != NULL
               ? remote_client_result(p->done_pipe[1], ch, err)
               : 0;
}

static const struct transport udp = {
    .name = "udp",
    .family = TP_NET,
    .summary = "UDP datagrams over loopback; losses, duplicates and "
               "reordering counted",
    .caps = TP_MESSAGES | TP_DUPLEX | TP_LOSSY,
    /* send; poll, recv */
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(1, 2),
    .check_size = udp_check_size,
    .create = udp_create_either,
    .attach = udp_attach,
    .ready = udp_ready,
    .send = udp_send,
    .recv = udp_recv,
    .finish = udp_finish_either,
    .detach = udp_detach,
    .destroy = udp_destroy,
};
TRANSPORT_REGISTER(udp);
