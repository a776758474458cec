/* relay.c - a process in the middle relays a stream socket to another:
 * with splice(2) through a pipe, or with read(2) + write(2).
 *
 * What it is.  A proxy's inner loop (a TCP forwarder, a sidecar, a
 * splice echo server): bytes arrive on one socket and leave on another.
 * Read + write copies each byte into the relay's buffer and out again;
 * splice moves the socket's page references into a pipe the relay owns
 * and from the pipe into the other socket, so the relay never touches the
 * bytes.  Three processes:
 *
 *      relay/KIND/rw       read(in, buf) + write(out, buf)
 *      relay/KIND/splice   splice(in -> pipe) + splice(pipe -> out)
 *
 * and KIND is `tcp` (loopback: the producer connects to the relay, the
 * relay to the consumer) or `unix` (two socketpair(AF_UNIX, SOCK_STREAM)).
 * Choose splice for a relay that forwards without looking at the bytes;
 * read + write when it must inspect or change them.  Compare the rows with
 * `tcp` and `socketpair/stream` (no relay): the difference is what the
 * relay costs, each way (latency relays the echo back too).  See
 * splice(2), pipe(7).
 *
 * Why a helper process and not a third harness role.  The consumer forks
 * the relay in its attach() (bench/helper.h): the relay is the consumer's
 * front end, as a proxy on the serving host is.  The harness keeps its two
 * sides, its barrier and its clock unchanged; the row's consumer CPU and
 * counters include the relay's (the consumer reaps it before it exits),
 * which is the cost the rows are about.  The relay starts relaying when
 * the consumer's first recv() says so, so that all its work falls inside
 * the consumer's counters.  It runs on the consumer's CPU (it inherits
 * the pinning); `--placement same` puts all three on one.
 *
 * The relay forwards message by message (it is told the size, as a proxy
 * that reads a length-prefixed framing is): it moves what has arrived of
 * the message, up to RELAY_BYTES at a time, at once, and in latency mode
 * turns round after each message to carry the echo back.  So its calls
 * per message are fixed (two when a message arrives whole) and its cost
 * shows against size; a relay that forwards whatever bytes are there
 * would batch small messages.
 *
 * Kernel objects.  unix: two socketpairs made in create(), whose parent
 * copies are closed in ready() (else the relay never sees EOF).  tcp: two
 * listeners on 127.0.0.1 port 0 (read back) made in create(), closed once
 * both sides and the relay hold their sockets (ready()).  splice: a pipe
 * in the relay, grown to RELAY_BYTES (F_SETPIPE_SZ) when the limits allow,
 * else the default 64 KiB.  create() first splices one byte between two
 * pipes of its own: where a seccomp filter refuses splice(2) the row is
 * n/a with that reason.  The relay dies with the consumer
 * (PR_SET_PDEATHSIG) and is reaped by it; nothing has a name.
 *
 * Copies per byte, producer's buffer to consumer's: rw 4 (producer ->
 * socket, socket -> relay, relay -> socket, socket -> consumer); splice 2
 * (the relay moves page references: only the producer's write and the
 * consumer's read copy; the few bytes a socket keeps in a buffer's head
 * are copied into a page on the way).
 *
 * Waiting.  Blocking calls everywhere, each looping on short transfers and
 * EINTR: the relay sleeps in read/splice on the incoming socket, and in
 * write/splice on the outgoing one when it is full.
 *
 * Protocol (throughput; latency: the consumer writes each message back
 * and the relay carries it to the producer the same way):
 *
 *      producer          relay (the consumer's child)      consumer
 *      --------          ----------------------------      --------
 *      [tcp: connect]    [tcp: connect, accept]            [tcp: accept]
 *      write(up, msg) -> rw:     read(up, buf)
 *                                write(down, buf) -------> read(down, msg)
 *                        splice: splice(up -> pipe)
 *                                splice(pipe -> down) ---> read(down, msg)
 *      ...
 *      close(up) ------> EOF: close, _exit                 waitpid(relay)
 *
 * Usage: bin/relay [--sizes 64,64K,1M] [--mode latency]
 *        (or: ipclab run relay, relay/tcp, relay/unix/splice ...)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../bench/helper.h"
#include "../bench/transport.h"
#include "../bench/util.h"
#include "loopback.h"

#define RELAY_BYTES (1u << 20)  /* at most this much a relay call moves */

enum relay_kind { RELAY_TCP, RELAY_UNIX };
enum relay_how { RELAY_RW, RELAY_SPLICE };
#define RELAY_VARIANT(kind, how) ((kind) * 2 + (how))
#define RELAY_KIND(v) ((enum relay_kind)((v) / 2))
#define RELAY_HOW(v) ((enum relay_how)((v) % 2))

struct relay_priv {
    int up[2];                  /* unix: producer [0] <-> relay [1] */
    int down[2];                /* unix: relay [0] <-> consumer [1] */
    int listen_up, listen_down; /* tcp, until everyone is connected */
    struct sockaddr_in addr_up, addr_down;
    int sock;                   /* this side's, after attach */
    uint64_t received;          /* consumer: messages it has read */
    struct helper relay;        /* the consumer's child */
};

/* The relay process's own state. */
struct relay_path {
    int in, out;                /* from the producer, to the consumer */
    int pipe_fd[2];             /* splice */
    size_t chunk;               /* most bytes one call moves */
    uint8_t *buf;               /* rw */
};

static int relay_nodelay(int fd, char *err)
{
    int on = 1;

    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1)
        return err_sys(err, "setsockopt TCP_NODELAY");
    return 0;
}

static void relay_close2(int fd[2])
{
    close_fd(&fd[0]);
    close_fd(&fd[1]);
}

/* ---- the relay process --------------------------------------------------- */

/* Everything in the pipe (n bytes) into out. */
static int relay_drain(struct relay_path *r, int out, size_t n, int more,
                       char *err)
{
    while (n > 0) {
        ssize_t m = splice(r->pipe_fd[0], NULL, out, NULL, n,
                           SPLICE_F_MOVE | (more ? SPLICE_F_MORE : 0));

        if (m == -1) {
            if (errno == EINTR)
                continue;
            return err_sys(err, "splice pipe -> socket");
        }
        if (m == 0)
            return err_set(err, "splice pipe -> socket: moved nothing");
        n -= (size_t)m;
    }
    return 0;
}

/* Move one message of len bytes from `from` to `to`, what has arrived at
 * a time.  0 moved; 1 the stream ended before it (eof_ok: cleanly, at a
 * message boundary); -1 error. */
static int relay_message(struct relay_path *r, enum relay_how how, int from,
                         int to, size_t len, int eof_ok, char *err)
{
    for (size_t left = len; left > 0;) {
        size_t want = left < r->chunk ? left : r->chunk;
        ssize_t n = how == RELAY_SPLICE
                        ? splice(from, NULL, r->pipe_fd[1], NULL, want,
                                 SPLICE_F_MOVE)
                        : read(from, r->buf, want);

        if (n == -1) {
            if (errno == EINTR)
                continue;
            return err_sys(err, how == RELAY_SPLICE ? "splice socket -> "
                                                      "pipe" : "read");
        }
        if (n == 0) {
            if (eof_ok && left == len)
                return 1;
            return err_set(err, "the stream ended inside a message");
        }
        left -= (size_t)n;
        if ((how == RELAY_SPLICE
                 ? relay_drain(r, to, (size_t)n, left > 0, err)
                 : write_full(to, r->buf, (size_t)n, err)) == -1)
            return -1;
    }
    return 0;
}

/* The relay's sockets: its ends of the pairs, or tcp connections. */
static int relay_connect(struct tp_channel *ch, struct relay_path *r,
                         char *err)
{
    struct relay_priv *p = ch->priv;

    if (RELAY_KIND(ch->tp->variant) == RELAY_UNIX) {
        r->in = p->up[1];
        r->out = p->down[0];
        close_fd(&p->up[0]);    /* the producer's and the consumer's */
        close_fd(&p->down[1]);
        return 0;
    }
    r->out = loop_connect(&p->addr_down, err);
    if (r->out == -1)
        return -1;
    r->in = loop_accept(p->listen_up, err);
    if (r->in == -1)
        return -1;
    close_fd(&p->listen_up);
    close_fd(&p->listen_down);
    if (ch->mode == MODE_LATENCY &&
        (relay_nodelay(r->in, err) == -1 || relay_nodelay(r->out, err) == -1))
        return -1;
    return 0;
}

/* splice: the pipe; rw: the buffer, the size the pipe is asked for. */
static int relay_tools(enum relay_how how, struct relay_path *r, char *err)
{
    int got;

    if (how == RELAY_RW) {
        r->chunk = RELAY_BYTES;
        r->buf = malloc(r->chunk);
        return r->buf == NULL ? err_sys(err, "malloc") : 0;
    }
    if (pipe2(r->pipe_fd, O_CLOEXEC) == -1)
        return err_sys(err, "pipe2");
    /* Over fs.pipe-max-size or the user's pipe pages: keep 64 KiB. */
    if (fcntl(r->pipe_fd[1], F_SETPIPE_SZ, (int)RELAY_BYTES) == -1 &&
        errno != EPERM && errno != EBUSY)
        return err_sys(err, "fcntl(F_SETPIPE_SZ)");
    got = fcntl(r->pipe_fd[1], F_GETPIPE_SZ);
    if (got == -1)
        return err_sys(err, "fcntl(F_GETPIPE_SZ)");
    r->chunk = (size_t)got;
    return 0;
}

/* The relay: forward each message, in latency mode carry its echo back,
 * until the producer closes.  Runs in the consumer's child (helper.h). */
static int relay_main(struct helper *h, void *arg, char *err)
{
    struct tp_channel *ch = arg;
    enum relay_how how = RELAY_HOW(ch->tp->variant);
    struct relay_path r = { -1, -1, { -1, -1 }, 0, NULL };
    int rc;

    if (relay_connect(ch, &r, err) == -1 || relay_tools(how, &r, err) == -1 ||
        helper_ready(h, err) == -1 || helper_await_go(h, err) == -1)
        return -1;              /* _exit closes what is open */
    for (;;) {
        rc = relay_message(&r, how, r.in, r.out, ch->msg_bytes, 1, err);
        if (rc != 0)
            break;
        if (ch->mode == MODE_LATENCY &&
            (rc = relay_message(&r, how, r.out, r.in, ch->msg_bytes, 0,
                                err)) != 0)
            break;
    }
    return rc == 1 ? 0 : -1;    /* the producer closed: done */
}

/* ---- the producer and the consumer --------------------------------------- */

/* splice: may this process splice at all?  A seccomp filter (a container)
 * can refuse the call: the row is then n/a with the reason.  0, or -1. */
static int relay_probe_splice(struct tp_channel *ch, char *err)
{
    int a[2], b[2], e;
    ssize_t n = -1;

    if (pipe2(a, O_CLOEXEC) == -1)
        return err_sys(err, "pipe2");
    if (pipe2(b, O_CLOEXEC) == -1) {
        e = errno;
        relay_close2(a);
        errno = e;
        return err_sys(err, "pipe2");
    }
    if (write(a[1], "x", 1) == 1)
        n = splice(a[0], NULL, b[1], NULL, 1, SPLICE_F_NONBLOCK);
    e = errno;
    relay_close2(a);
    relay_close2(b);
    if (n == 1)
        return 0;
    errno = e;
    if (e == EPERM || e == ENOSYS) {
        ch->refused = TP_REFUSED_NOT_PERMITTED;
        return err_set(err, "splice(2) is refused here (%s): a seccomp "
                       "filter?", strerror(e));
    }
    return err_sys(err, "splice");
}

static int relay_create(struct tp_channel *ch, char *err)
{
    struct relay_priv *p = calloc(1, sizeof(*p));

    if (p == NULL)
        return err_sys(err, "calloc");
    p->up[0] = p->up[1] = p->down[0] = p->down[1] = -1;
    p->listen_up = p->listen_down = p->sock = -1;
    ch->priv = p;
    if (helper_init(&p->relay, err) == -1 ||
        (RELAY_HOW(ch->tp->variant) == RELAY_SPLICE &&
         relay_probe_splice(ch, err) == -1))
        return -1;
    if (RELAY_KIND(ch->tp->variant) == RELAY_UNIX) {
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p->up) == -1 ||
            socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p->down) == -1)
            return err_sys(err, "socketpair");
        return 0;
    }
    if (ch->mode == MODE_LATENCY)
        snprintf(ch->note, sizeof(ch->note), "TCP_NODELAY");
    p->listen_up = loop_listen(&p->addr_up, 1, err);
    if (p->listen_up == -1)
        return -1;
    p->listen_down = loop_listen(&p->addr_down, 1, err);
    return p->listen_down == -1 ? -1 : 0;
}

static int relay_attach(struct tp_channel *ch, char *err)
{
    struct relay_priv *p = ch->priv;
    int unix_kind = RELAY_KIND(ch->tp->variant) == RELAY_UNIX;

    if (ch->role == ROLE_CONSUMER &&
        helper_start(&p->relay, relay_main, ch, err) == -1)
        return -1;
    if (unix_kind) {            /* keep one end, close the other three */
        int *mine = ch->role == ROLE_PRODUCER ? &p->up[0] : &p->down[1];

        p->sock = *mine;
        *mine = -1;
        close_fd(&p->up[0]);
        close_fd(&p->up[1]);
        close_fd(&p->down[0]);
        close_fd(&p->down[1]);
        return 0;
    }
    if (ch->role == ROLE_PRODUCER)
        p->sock = loop_connect(&p->addr_up, err);
    else
        p->sock = loop_accept(p->listen_down, err);
    close_fd(&p->listen_up);
    close_fd(&p->listen_down);
    if (p->sock == -1)
        return -1;
    return ch->mode == MODE_LATENCY ? relay_nodelay(p->sock, err) : 0;
}

/* Parent, once everyone holds a socket: the listeners go, and the
 * parent's ends of the pairs, or the relay would never see EOF. */
static int relay_ready(struct tp_channel *ch, char *err)
{
    struct relay_priv *p = ch->priv;

    (void)err;
    close_fd(&p->listen_up);
    close_fd(&p->listen_down);
    close_fd(&p->up[0]);
    close_fd(&p->up[1]);
    close_fd(&p->down[0]);
    close_fd(&p->down[1]);
    return 0;
}

/* A failed call on either side: blame the relay when it failed first. */
static int relay_send(struct tp_channel *ch, const void *buf, size_t len,
                      char *err)
{
    struct relay_priv *p = ch->priv;

    if (write_full(p->sock, buf, len, err) == -1) {
        helper_failed(&p->relay, "relay", err);
        return -1;
    }
    return 0;
}

static int relay_recv(struct tp_channel *ch, void *buf, size_t len,
                      const void **msg, char *err)
{
    struct relay_priv *p = ch->priv;

    if (ch->role == ROLE_CONSUMER && helper_go(&p->relay, err) == -1)
        return -1;              /* the first: the relay may start */
    if (read_full(p->sock, buf, len, err) == -1) {
        helper_failed(&p->relay, "relay", err);
        return -1;
    }
    p->received++;
    *msg = buf;
    return 0;
}

static void relay_detach(struct tp_channel *ch)
{
    struct relay_priv *p = ch->priv;
    char err[ERR_LEN];

    close_fd(&p->sock);
    if (ch->role != ROLE_CONSUMER)
        return;
    if (p->received == ch->messages)    /* it ends with the producer */
        helper_wait(&p->relay, "relay", err);
    else                                /* the run failed: do not wait */
        helper_kill(&p->relay);
}

static void relay_destroy(struct tp_channel *ch)
{
    struct relay_priv *p = ch->priv;

    if (p == NULL)
        return;
    close_fd(&p->sock);
    close_fd(&p->up[0]);
    close_fd(&p->up[1]);
    close_fd(&p->down[0]);
    close_fd(&p->down[1]);
    close_fd(&p->listen_up);
    close_fd(&p->listen_down);
    helper_free(&p->relay);
    free(p);
    ch->priv = NULL;
}

/* System calls per 64 KiB message: the producer writes once; the
 * consumer's side counts its read and the relay's two calls (read +
 * write, or splice + splice), since the relay is its child.  Over TCP
 * loopback a 64 KiB message is two segments (the MSS is 65483 bytes), and
 * the rw relay's read often returns them apart: 4 there. */
#define RELAY_TRANSPORT(var, tpname, fam, kind, how, nrecv, text)          \
    static const struct transport var = {                                  \
        .name = tpname,                                                    \
        .family = fam,                                                     \
        .summary = text,                                                   \
        .caps = TP_STREAM | TP_DUPLEX,                                     \
        .variant = RELAY_VARIANT(kind, how),                               \
        .copies = TP_COPIES((how) == RELAY_RW ? 4 : 2),                    \
        .syscalls = TP_SYSCALLS(1, nrecv),                                 \
        .create = relay_create,                                            \
        .attach = relay_attach,                                            \
        .ready = relay_ready,                                              \
        .send = relay_send,                                                \
        .recv = relay_recv,                                                \
        .detach = relay_detach,                                            \
        .destroy = relay_destroy,                                          \
    };                                                                     \
    TRANSPORT_REGISTER(var)

RELAY_TRANSPORT(relay_tcp_rw, "relay/tcp/rw", TP_NET, RELAY_TCP, RELAY_RW, 4,
                "TCP loopback through a relay process: read + write");
RELAY_TRANSPORT(relay_tcp_splice, "relay/tcp/splice", TP_NET, RELAY_TCP,
                RELAY_SPLICE, 3,
                "TCP loopback through a relay process: splice via a pipe");
RELAY_TRANSPORT(relay_unix_rw, "relay/unix/rw", TP_IPC, RELAY_UNIX,
                RELAY_RW, 3,
                "Unix stream through a relay process: read + write");
RELAY_TRANSPORT(relay_unix_splice, "relay/unix/splice", TP_IPC, RELAY_UNIX,
                RELAY_SPLICE, 3,
                "Unix stream through a relay process: splice via a pipe");
