/* session.c - the server's side of one two-host session, after a valid
 * hello (serve.c reads and checks that): the answer, the run, the result.
 *
 * The run is bench_consume(), the very loop and verification of a local
 * consumer, on a channel whose send and recv are below: the accepted TCP
 * connection, or for UDP a connected data socket (udp_recv_until_done()
 * from net/udp.c, with the connection as the "done" signal).
 *
 * No client may hold a session for as long as it likes.  Every descriptor
 * is non-blocking and every wait is a poll() bounded twice: by the idle
 * limit (no byte moved for idle_ms) and by the deadline of the phase it
 * belongs to - the answer and the result get hello_ms each, the whole
 * data phase run_ms.  A deadline is a point in time, not a time-out per
 * call, so a client trickling one byte every few seconds ends its phase
 * as surely as a silent one, and writes are bounded like reads: a latency
 * client that never reads its echoes fills its receive window, and the
 * server's send waits at most the idle limit, then gives up.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../bench/util.h"
#include "../inet.h"
#include "remote.h"

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "250 ms", "30 s" */
static const char *ms_string(int ms, char *buf, size_t len)
{
    if (ms % 1000 == 0)
        snprintf(buf, len, "%d s", ms / 1000);
    else
        snprintf(buf, len, "%d ms", ms);
    return buf;
}

static int set_nonblock(int fd, char *err)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags == -1 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
        return err_sys(err, "fcntl O_NONBLOCK");
    return 0;
}

/* A phase: when it must end, and how long one wait may last. */
struct phase {
    const char *name;           /* "the run", "the answer", "the result" */
    int64_t deadline_ms;        /* CLOCK_MONOTONIC */
    int limit_ms;               /* the phase's length, for messages */
    int idle_ms;                /* one wait; -1: up to the deadline */
};

static void phase_start(struct phase *ph, const char *name, int limit_ms,
                        int idle_ms)
{
    ph->name = name;
    ph->limit_ms = limit_ms;
    ph->deadline_ms = now_ms() + limit_ms;
    ph->idle_ms = idle_ms;
}

/* How long the next wait may be: the idle limit or what is left of the
 * phase, whichever is less; 0 when the phase is over. */
static int phase_wait_ms(const struct phase *ph, int *is_idle)
{
    int64_t left = ph->deadline_ms - now_ms();

    *is_idle = ph->idle_ms >= 0 && ph->idle_ms < left;
    if (left <= 0)
        return 0;
    return *is_idle ? ph->idle_ms : (int)left;
}

static int phase_over(const struct phase *ph, char *err)
{
    char t[32];

    return err_set(err, "%s took longer than its %s", ph->name,
                   ms_string(ph->limit_ms, t, sizeof(t)));
}

/* Wait for fd to be ready for events within the phase.  -1 with a reason
 * when the phase is over or the client was idle for too long. */
static int phase_wait(const struct phase *ph, int fd, short events,
                      char *err)
{
    char t[32];

    for (;;) {
        struct pollfd pfd = { .fd = fd, .events = events };
        int idle, ms = phase_wait_ms(ph, &idle), n;

        if (ms == 0)
            return phase_over(ph, err);
        n = poll(&pfd, 1, ms);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            return err_sys(err, "poll");
        if (n > 0)
            return 0;
        if (idle)
            return err_set(err, "the client %s nothing for %s",
                           events == POLLOUT ? "took" : "sent",
                           ms_string(ph->idle_ms, t, sizeof(t)));
    }
}

/* read_full/write_full on a non-blocking socket, within the phase. */
static int phase_read(const struct phase *ph, int fd, void *buf, size_t len,
                      char *err)
{
    char *p = buf;

    while (len > 0) {
        ssize_t n = read(fd, p, len);

        if (n > 0) {
            p += n;
            len -= (size_t)n;
        } else if (n == 0) {
            return err_set(err, "read: unexpected end of file (the client "
                                "closed its end)");
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (phase_wait(ph, fd, POLLIN, err) == -1)
                return -1;
        } else if (errno != EINTR) {
            return err_sys(err, "read");
        }
    }
    return 0;
}

static int phase_write(const struct phase *ph, int fd, const void *buf,
                       size_t len, char *err)
{
    const char *p = buf;

    while (len > 0) {
        /* MSG_NOSIGNAL: a vanished client is EPIPE, not SIGPIPE */
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

        if (n >= 0) {
            p += n;
            len -= (size_t)n;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (phase_wait(ph, fd, POLLOUT, err) == -1)
                return -1;
        } else if (errno != EINTR) {
            return err_sys(err, "send");
        }
    }
    return 0;
}

int remote_send_reply(int fd, struct remote_reply *r, int timeout_ms)
{
    uint8_t wire[REMOTE_REPLY_BYTES];
    struct phase ph;
    char err[ERR_LEN];
    int flags = fcntl(fd, F_GETFL);

    if (flags == -1 ||
        (!(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags | O_NONBLOCK)))
        return -1;
    r->magic = REMOTE_MAGIC;
    remote_reply_encode(r, wire);
    phase_start(&ph, "the reply", timeout_ms, -1);
    return phase_write(&ph, fd, wire, sizeof(wire), err);
}

static void send_error(int fd, struct remote_reply *r, const char *why,
                       int timeout_ms)
{
    r->status = 1;
    snprintf(r->msg, sizeof(r->msg), "%.*s", REMOTE_MSG_LEN - 1, why);
    (void)remote_send_reply(fd, r, timeout_ms);     /* it may be gone */
}

/* After a failed throughput run: stop writing and read (and discard) what
 * the client still sends until it closes, for at most timeout_ms. */
static void drain(int fd, int timeout_ms)
{
    static char sink[65536];
    struct phase ph;
    char ignored[ERR_LEN];

    if (shutdown(fd, SHUT_WR) == -1)
        return;
    phase_start(&ph, "the drain", timeout_ms, -1);
    for (;;) {
        ssize_t n = read(fd, sink, sizeof(sink));

        if (n == 0 || (n == -1 && errno != EINTR && errno != EAGAIN &&
                       errno != EWOULDBLOCK))
            return;
        if (n == -1 && errno != EINTR &&
            phase_wait(&ph, fd, POLLIN, ignored) == -1)
            return;
    }
}

/* ---- the channel bench_consume() runs on -------------------------------- */

struct srv_priv {
    int ctl_fd;                 /* the accepted TCP connection */
    int udp_fd;                 /* UDP runs: connected to the client */
    int done;                   /* UDP: the client said "done" */
    struct phase run;           /* the data phase */
};

static int srv_tcp_send(struct tp_channel *ch, const void *buf, size_t len,
                        char *err)
{
    struct srv_priv *p = ch->priv;

    return phase_write(&p->run, p->ctl_fd, buf, len, err);
}

static int srv_tcp_recv(struct tp_channel *ch, void *buf, size_t len,
                        const void **msg, char *err)
{
    struct srv_priv *p = ch->priv;

    *msg = buf;
    return phase_read(&p->run, p->ctl_fd, buf, len, err);
}

static int srv_udp_send(struct tp_channel *ch, const void *buf, size_t len,
                        char *err)
{
    struct srv_priv *p = ch->priv;

    for (;;) {
        ssize_t n = send(p->udp_fd, buf, len, 0);

        if (n >= 0 && (size_t)n != len)
            return err_set(err, "send: %zd of %zu bytes", n, len);
        if (n >= 0)
            return 0;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (phase_wait(&p->run, p->udp_fd, POLLOUT, err) == -1)
                return -1;
        } else if (errno != EINTR) {
            return err_sys(err, "send");
        }
    }
}

static int srv_udp_recv(struct tp_channel *ch, void *buf, size_t len,
                        const void **msg, char *err)
{
    struct srv_priv *p = ch->priv;
    int idle, ms = phase_wait_ms(&p->run, &idle), rc;
    char t[32];

    *msg = buf;
    if (ms == 0)
        return phase_over(&p->run, err);
    rc = udp_recv_until_done(p->udp_fd, p->ctl_fd, buf, len, &p->done, ms,
                             REMOTE_LINGER_MS, err);
    if (rc == -1 && !p->done && strncmp(err, "nothing received", 16) == 0)
        return idle ? err_set(err, "the client sent nothing for %s",
                              ms_string(p->run.idle_ms, t, sizeof(t)))
                    : phase_over(&p->run, err);
    return rc;
}

static const struct transport srv_tcp = {
    .name = "tcp",
    .family = TP_NET,
    .summary = "served TCP consumer",
    .caps = TP_STREAM | TP_DUPLEX,
    .send = srv_tcp_send,
    .recv = srv_tcp_recv,
};

static const struct transport srv_udp = {
    .name = "udp",
    .family = TP_NET,
    .summary = "served UDP consumer",
    .caps = TP_MESSAGES | TP_DUPLEX | TP_LOSSY,
    .send = srv_udp_send,
    .recv = srv_udp_recv,
};

/* The UDP data socket of a session: on our address of the connection,
 * any port, connected to the port the client named. */
static int udp_socket_for(int ctl, const struct remote_hello *h,
                            unsigned *port, char *err)
{
    struct sockaddr_storage mine, peer;
    socklen_t mine_len = sizeof(mine), peer_len = sizeof(peer);
    int fd;

    if (getsockname(ctl, (struct sockaddr *)&mine, &mine_len) == -1 ||
        getpeername(ctl, (struct sockaddr *)&peer, &peer_len) == -1)
        return err_sys(err, "getsockname/getpeername");
    if (mine.ss_family == AF_INET6) {
        ((struct sockaddr_in6 *)&mine)->sin6_port = 0;
        ((struct sockaddr_in6 *)&peer)->sin6_port = htons(h->udp_port);
    } else {
        ((struct sockaddr_in *)&mine)->sin_port = 0;
        ((struct sockaddr_in *)&peer)->sin_port = htons(h->udp_port);
    }
    fd = socket(mine.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd == -1)
        return err_sys(err, "socket");
    mine_len = sizeof(mine);
    if (bind(fd, (struct sockaddr *)&mine, mine_len < sizeof(mine)
                                               ? mine_len : sizeof(mine)) ==
            -1 ||
        getsockname(fd, (struct sockaddr *)&mine, &mine_len) == -1 ||
        connect(fd, (struct sockaddr *)&peer, peer_len) == -1) {
        err_sys(err, "bind/getsockname/connect (UDP)");
        close(fd);
        return -1;
    }
    *port = mine.ss_family == AF_INET6
                ? ntohs(((struct sockaddr_in6 *)&mine)->sin6_port)
                : ntohs(((struct sockaddr_in *)&mine)->sin_port);
    return fd;
}

static void describe(const struct remote_hello *h, char *out, size_t len)
{
    char size[32];

    format_size((size_t)h->msg_bytes, size, sizeof(size));
    snprintf(out, len, "%s %s %s x %llu",
             h->proto == REMOTE_UDP ? "udp" : "tcp",
             bench_mode_name((enum tp_mode)h->mode), size,
             (unsigned long long)h->messages);
}

/* Every outcome is logged before the client hears it, so the log is
 * complete once the client has its answer. */
int remote_session_run(int fd, const struct remote_hello *h,
                       const struct remote_limits *lim, const char *peer,
                       remote_log_fn *log)
{
    struct remote_reply reply;
    struct srv_priv p = { .ctl_fd = fd, .udp_fd = -1 };
    struct tp_channel ch;
    struct consume_stats st;
    char err[ERR_LEN], what[96], line[ERR_LEN + 256];
    unsigned udp_port = 0;
    int on = 1, rc = -1;

    memset(&reply, 0, sizeof(reply));
    describe(h, what, sizeof(what));
    if (set_nonblock(fd, err) == -1 ||
        /* the echo must not wait for Nagle, as on the client (tcp.c) */
        (h->proto == REMOTE_TCP && h->mode == MODE_LATENCY &&
         setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1 &&
         err_sys(err, "setsockopt TCP_NODELAY")) ||
        (h->proto == REMOTE_UDP &&
         ((p.udp_fd = udp_socket_for(fd, h, &udp_port, err)) == -1 ||
          set_nonblock(p.udp_fd, err) == -1))) {
        snprintf(line, sizeof(line), "%s: failed: %s", what, err);
        log(peer, line);
        send_error(fd, &reply, err, lim->hello_ms);
        goto out;
    }
    reply.udp_port = udp_port;
    if (remote_send_reply(fd, &reply, lim->hello_ms) == -1) {
        snprintf(line, sizeof(line), "%s: failed: the client took no "
                                     "answer", what);
        log(peer, line);
        goto out;
    }

    memset(&ch, 0, sizeof(ch));
    ch.tp = h->proto == REMOTE_UDP ? &srv_udp : &srv_tcp;
    ch.mode = (enum tp_mode)h->mode;
    ch.msg_bytes = (size_t)h->msg_bytes;
    ch.messages = h->messages;
    ch.role = ROLE_CONSUMER;
    ch.solo = 1;
    ch.priv = &p;
    phase_start(&p.run, "the run", lim->run_ms, lim->idle_ms);
    if (bench_consume(&ch, (enum verify_level)h->verify, &st, err) == -1) {
        /* Throughput: the client reads a result only at the end, so say
         * why, stop writing, and swallow what it still sends (closing
         * with unread data would reset the connection, reply and all).
         * Latency: the client waits for an echo; closing tells it. */
        snprintf(line, sizeof(line), "%s: failed: %s", what, err);
        log(peer, line);
        if (h->mode == MODE_THROUGHPUT) {
            send_error(fd, &reply, err, lim->hello_ms);
            drain(fd, lim->hello_ms);
        }
        goto out;
    }
    reply.verified = (uint32_t)st.verified;
    reply.received = st.received;
    reply.lost = st.lost;
    reply.duplicated = st.duplicated;
    reply.reordered = st.reordered;
    snprintf(line, sizeof(line), "%s: %s, %llu received, %llu lost, %llu "
                                 "duplicated, %llu reordered", what,
             st.verified ? "verified" : "NOT VERIFIED",
             (unsigned long long)st.received, (unsigned long long)st.lost,
             (unsigned long long)st.duplicated,
             (unsigned long long)st.reordered);
    log(peer, line);
    rc = remote_send_reply(fd, &reply, lim->hello_ms) == 0 && st.verified
             ? 0 : -1;
out:
    close_fd(&p.udp_fd);
    return rc;
}
