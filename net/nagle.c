/* nagle.c - the lesson of the 40 ms stall: Nagle's algorithm meets delayed
 * ACK in the write-write-read pattern.
 *
 * What it shows.  A client sends each request as two small writes (a
 * header, then the body) and waits for the reply.  Nagle's algorithm
 * (RFC 896) lets a small segment leave only when nothing sent earlier is
 * still unacknowledged: the header goes at once, the body waits for the
 * header's ACK.  The server cannot answer before it has the body, so it
 * has nothing to piggyback the ACK on, and it delays the ACK (delayed ACK,
 * RFC 1122: up to 40 ms minimum on Linux, TCP_ATO_MIN) hoping for data to
 * ride along.  Each side waits for the other until the delayed-ACK timer
 * fires: the round trip costs tens of milliseconds instead of tens of
 * microseconds.  Three cures, one row each:
 *   nagle/on        no option: the stall (tens of ms per round trip)
 *   nagle/nodelay   TCP_NODELAY: every write leaves at once (two segments)
 *   nagle/cork      TCP_CORK around the two writes: one segment, sent when
 *                   the cork is pulled
 *   nagle/more      send(header, MSG_MORE), then send(body): the same one
 *                   segment without the two extra setsockopt calls
 * The best cure is the one that sends one segment: build the request in
 * one buffer (or writev) - cork and MSG_MORE are that, done by the kernel.
 * Rows: round-trip percentiles (p50 is the figure); latency mode only.
 * Only 20 round trips per run, whatever --iterations says: nagle/on takes
 * a stall each.
 *
 * Kernel objects.  As net/tcp.c: a listener on 127.0.0.1 port 0 (the
 * kernel picks, read back), one connection; closing ends everything.
 *
 * Copies.  2, as any socket: into the sender's sk_buffs, out of the
 * receiver's.
 *
 * Waiting.  Blocking read/write.  With nagle/on the producer's body sits
 * in its send queue until the ACK; the consumer sleeps in read() with half
 * a message.
 *
 * Protocol (one round trip, message of N bytes, header = N/2 rounded down):
 *
 *      producer (client)                    consumer (server)
 *      -----------------                    -----------------
 *      [cork: setsockopt TCP_CORK 1]
 *      write(header)  --- segment 1 ----->  read_full(N) ... has N/2
 *      write(body)    (on: held by Nagle    (on: delays its ACK, 40 ms)
 *                      until the ACK)
 *      [cork: setsockopt TCP_CORK 0: one segment leaves]
 *                     --- segment 2 ----->  ... has N
 *      read_full(N)   <----- reply -------  write(N)
 *
 * See tcp(7) (TCP_NODELAY, TCP_CORK, TCP_QUICKACK), send(2) (MSG_MORE).
 *
 * Usage: ipclab run nagle --mode latency --size 64  (or bin/nagle ...)
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../bench/transport.h"
#include "../bench/util.h"
#include "loopback.h"

enum nagle_cure { NAGLE_ON, NAGLE_NODELAY, NAGLE_CORK, NAGLE_MORE };

#define NAGLE_MAX_BYTES (16u << 10) /* both halves well under one MSS */
#define NAGLE_ROUND_TRIPS 20        /* a stall each with nagle/on */

struct nagle_priv {
    int listen_fd, fd;
    struct sockaddr_in addr;
};

static int nagle_check_size(const struct transport *tp, enum tp_mode mode,
                            size_t msg_bytes, char *err)
{
    (void)tp;
    (void)mode;
    if (msg_bytes < 2 || msg_bytes > NAGLE_MAX_BYTES)
        return err_set(err, "the write-write-read pattern needs 2 to %u "
                            "bytes (a header and a body under one MSS)",
                       NAGLE_MAX_BYTES);
    return 0;
}

static int nagle_create(struct tp_channel *ch, char *err)
{
    static const char *const notes[] = {
        [NAGLE_ON] = "Nagle on: header and body in two writes",
        [NAGLE_NODELAY] = "TCP_NODELAY: two writes, two segments",
        [NAGLE_CORK] = "TCP_CORK around the two writes: one segment",
        [NAGLE_MORE] = "send(MSG_MORE) then send: one segment",
    };
    struct nagle_priv *p = calloc(1, sizeof(*p));

    if (p == NULL)
        return err_sys(err, "calloc");
    p->fd = -1;
    ch->priv = p;
    snprintf(ch->note, NOTE_LEN, "%s", notes[ch->tp->variant]);
    p->listen_fd = loop_listen(&p->addr, 1, err);
    return p->listen_fd == -1 ? -1 : 0;
}

static int nagle_setopt(int fd, int name, int on, char *err)
{
    if (setsockopt(fd, IPPROTO_TCP, name, &on, sizeof(on)) == -1)
        return err_sys(err, name == TCP_CORK ? "setsockopt TCP_CORK"
                                             : "setsockopt TCP_NODELAY");
    return 0;
}

static int nagle_attach(struct tp_channel *ch, char *err)
{
    struct nagle_priv *p = ch->priv;

    if (ch->role == ROLE_PRODUCER) {
        close_fd(&p->listen_fd);
        p->fd = loop_connect(&p->addr, err);
    } else {
        p->fd = loop_accept(p->listen_fd, err);
        close_fd(&p->listen_fd);
    }
    if (p->fd == -1)
        return -1;
    if (ch->tp->variant == NAGLE_NODELAY)   /* both sides, as net/tcp.c */
        return nagle_setopt(p->fd, TCP_NODELAY, 1, err);
    return 0;
}

static int nagle_ready(struct tp_channel *ch, char *err)
{
    struct nagle_priv *p = ch->priv;

    (void)err;
    close_fd(&p->listen_fd);    /* the children hold what they need */
    return 0;
}

/* send() with MSG_MORE ("more is coming: hold this"), looping on short
 * sends as write_full() does. */
static int nagle_send_more(int fd, const char *b, size_t len, char *err)
{
    while (len > 0) {
        ssize_t n = send(fd, b, len, MSG_MORE);

        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            return err_sys(err, "send MSG_MORE");
        b += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The producer's request in two writes; the consumer's reply in one. */
static int nagle_send(struct tp_channel *ch, const void *buf, size_t len,
                      char *err)
{
    struct nagle_priv *p = ch->priv;
    const char *b = buf;
    size_t head = len / 2;

    if (ch->role == ROLE_CONSUMER)
        return write_full(p->fd, buf, len, err);
    switch (ch->tp->variant) {
    case NAGLE_CORK:
        if (nagle_setopt(p->fd, TCP_CORK, 1, err) == -1 ||
            write_full(p->fd, b, head, err) == -1 ||
            write_full(p->fd, b + head, len - head, err) == -1)
            return -1;
        return nagle_setopt(p->fd, TCP_CORK, 0, err);   /* flushes */
    case NAGLE_MORE:
        if (nagle_send_more(p->fd, b, head, err) == -1)
            return -1;
        return write_full(p->fd, b + head, len - head, err);
    default:
        if (write_full(p->fd, b, head, err) == -1)
            return -1;
        return write_full(p->fd, b + head, len - head, err);
    }
}

static int nagle_recv(struct tp_channel *ch, void *buf, size_t len,
                      const void **msg, char *err)
{
    struct nagle_priv *p = ch->priv;

    *msg = buf;
    return read_full(p->fd, buf, len, err);     /* a stream: loops */
}

static void nagle_detach(struct tp_channel *ch)
{
    struct nagle_priv *p = ch->priv;

    close_fd(&p->fd);
    close_fd(&p->listen_fd);
}

static void nagle_destroy(struct tp_channel *ch)
{
    struct nagle_priv *p = ch->priv;

    if (p == NULL)
        return;
    close_fd(&p->fd);
    close_fd(&p->listen_fd);
    free(p);
    ch->priv = NULL;
}

#define NAGLE_TRANSPORT(id, tp_name, cure, text)                           \
    static const struct transport id = {                                   \
        .name = tp_name,                                                   \
        .family = TP_NET,                                                  \
        .summary = text,                                                   \
        .caps = TP_STREAM | TP_DUPLEX | TP_NO_THROUGHPUT,                  \
        .syscalls = TP_SYSCALLS_NOT_A_CHANNEL,                             \
        .variant = cure,                                                   \
        .copies = TP_COPIES(2),                                            \
        .check_size = nagle_check_size,                                    \
        .create = nagle_create,                                            \
        .attach = nagle_attach,                                            \
        .ready = nagle_ready,                                              \
        .send = nagle_send,                                                \
        .recv = nagle_recv,                                                \
        .detach = nagle_detach,                                            \
        .destroy = nagle_destroy,                                          \
        .max_round_trips = NAGLE_ROUND_TRIPS,                              \
    };                                                                     \
    TRANSPORT_REGISTER(id)

NAGLE_TRANSPORT(nagle_on, "nagle/on", NAGLE_ON,
                "write-write-read over TCP: Nagle meets delayed ACK");
NAGLE_TRANSPORT(nagle_nodelay, "nagle/nodelay", NAGLE_NODELAY,
                "write-write-read with TCP_NODELAY: no stall");
NAGLE_TRANSPORT(nagle_cork, "nagle/cork", NAGLE_CORK,
                "write-write-read under TCP_CORK: one segment");
NAGLE_TRANSPORT(nagle_more, "nagle/more", NAGLE_MORE,
                "write(MSG_MORE)-write-read: one segment");
