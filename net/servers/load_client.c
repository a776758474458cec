/* load_client.c - the clients of one load process of the server family:
 * each a closed (or, with --rate, open) loop of request, verified reply,
 * next request, with its errors counted by kind and its deadlines.  The
 * processes and the loops that drive these clients are in load.c, whose
 * header says what the load does and decides; this file is how one client
 * does it.  See load.c, epoll(7), socket(7).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "../../bench/util.h"
#include "load_client.h"
uint64_t load_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Request `seq` of client `client`: splitmix64 from both numbers. */
static void fill_request(uint8_t *buf, size_t len, uint64_t client,
                         uint64_t seq)
{
    uint64_t x = client << 32 ^ seq ^ 0x9e3779b97f4a7c15u;

    for (size_t i = 0; i < len; i += 8) {
        uint64_t z = (x += 0x9e3779b97f4a7c15u);

        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
        z ^= z >> 31;
        memcpy(buf + i, &z, len - i < 8 ? len - i : 8);
    }
}

/* The kind of a failed request's errno (enum tp_error_kind), or -1 when
 * the error is not the connection's but the load's own: fatal. */
static int load_error_kind(int e)
{
    switch (e) {
    case ECONNREFUSED:
        return TP_ERR_REFUSED;
    case ECONNRESET:
    case EPIPE:
    case ECONNABORTED:
        return TP_ERR_RESET;
    case ETIMEDOUT:
        return TP_ERR_TIMEOUT;
    default:
        return -1;
    }
}

/* Request c->seq failed with an error of `kind`: count it (the first one
 * of this process also in words), leave its sample at 0 (figures.c drops
 * it), drop the connection.  The caller goes on with client_advance(). */
void client_failed(struct lproc *p, struct client *c, int kind,
                   const char *what)
{
    p->slot->errors[kind]++;
    if (p->slot->first_err[0] == '\0')
        snprintf(p->slot->first_err, ERR_LEN, "client %u, request %llu: "
                 "%s", c->id, (unsigned long long)c->seq, what);
    if (c->seq >= p->warm)
        p->samples[(uint64_t)c->id * p->per + c->seq - p->warm] = 0;
    close_fd(&c->fd);           /* close: out of the epoll set too */
    c->rest_len = 0;
    c->got = 0;
}

/* 0 connected, 1 failed with an error of *kind (counted by the caller),
 * -1 the load's own failure. */
int client_connect(struct lproc *p, struct client *c, int *kind,
                   char *err)
{
    int on = 1;
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
    int domain = p->s->via == SRV_TCP ? p->s->addr.ss_family : AF_UNIX;
    struct timeval tv = {
        .tv_sec = (time_t)(p->s->timeout_ns / 1000000000u),
        .tv_usec = (suseconds_t)(p->s->timeout_ns % 1000000000u / 1000u),
    };

    c->fd = socket(domain, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd == -1)
        return err_sys(err, "socket");
    /* a blocking connect or send waits at most the request's timeout: a
     * full accept queue stalls this load process no longer than that */
    if (setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1)
        return err_sys(err, "setsockopt SO_SNDTIMEO");
    /* a lone client waits in read(): it looks at its deadline every
     * scan_ns, like the epoll loop */
    if (p->blocking) {
        tv.tv_sec = (time_t)(p->scan_ns / 1000000000u);
        tv.tv_usec = (suseconds_t)(p->scan_ns % 1000000000u / 1000u);
        if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))
            == -1)
            return err_sys(err, "setsockopt SO_RCVTIMEO");
    }
    if (connect(c->fd, (const struct sockaddr *)&p->s->addr,
                p->s->addrlen) == -1) {
        int e = errno;

        close_fd(&c->fd);
        errno = e;              /* for the caller's message */
        *kind = e == EINPROGRESS || e == EAGAIN ? TP_ERR_TIMEOUT
                                                : load_error_kind(e);
        if (*kind >= 0)         /* SO_SNDTIMEO: EINPROGRESS (TCP), EAGAIN
                                   (Unix) */
            return 1;
        return err_set(err, "client %u, request %llu: connect: %s%s", c->id,
                       (unsigned long long)c->seq, strerror(e),
                       e == EADDRNOTAVAIL ? " (local ports used up, "
                       "in TIME_WAIT: fewer --iterations)" : "");
    }
    p->slot->connects++;
    if (p->s->via == SRV_TCP &&
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1)
        return err_sys(err, "setsockopt TCP_NODELAY");
    if (!p->blocking && epoll_ctl(p->epfd, EPOLL_CTL_ADD, c->fd, &ev) == -1)
        return err_sys(err, "epoll_ctl");
    return 0;
}

/* Send buf whole: 0 sent, 1 the request failed (counted), -1 error. */
static int client_write(struct lproc *p, struct client *c,
                        const uint8_t *buf, size_t len, char *err)
{
    while (len > 0) {
        ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
        int kind;

        if (n >= 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (errno == EINTR)
            continue;
        kind = errno == EAGAIN ? TP_ERR_TIMEOUT     /* SO_SNDTIMEO */
                               : load_error_kind(errno);
        if (kind < 0)
            return err_set(err, "client %u, request %llu: send: %s", c->id,
                           (unsigned long long)c->seq, strerror(errno));
        client_failed(p, c, kind, strerror(errno));
        return 1;
    }
    return 0;
}

/* Start request c->seq: its clock starts now (closed loop) or at its due
 * time (open loop, even when late: the wait is the server's); connect
 * first when it has no connection (connect per request, or a keep-alive
 * connection that failed).  0 sent, 1 it failed (counted), -1 error. */
static int client_start(struct lproc *p, struct client *c, char *err)
{
    size_t len = p->s->msg_bytes;
    uint64_t t;
    int kind;

    if (p->s->http)             /* the path names the client and request */
        len = (size_t)snprintf((char *)c->req, LOAD_HTTP_REQ,
                               "GET /%u/%llu HTTP/1.1\r\nHost: ipclab\r\n"
                               "\r\n", c->id, (unsigned long long)c->seq);
    else
        fill_request(c->req, len, c->id, c->seq);
    c->got = 0;
    c->idle = 0;
    c->t_send = p->period_ns != 0 ? c->t_due : load_now_ns();
    if (c->conn_err != 0) {     /* keep-alive: its first connect failed */
        kind = c->conn_err - 1;
        c->conn_err = 0;
        client_failed(p, c, kind, "connect failed");
        return 1;
    }
    if (c->fd == -1) {
        int r = client_connect(p, c, &kind, err);

        if (r == 1)
            client_failed(p, c, kind, strerror(errno));
        if (r != 0)
            return r;
    }
    /* the deadline: from now, or, closed loop, from t_send, read just
     * before (connect per request: the connect is part of the wait) */
    t = p->period_ns != 0 ? load_now_ns() : c->t_send;
    c->t_deadline = t + p->s->timeout_ns;
    if (p->s->slow_ns != 0 && c->id == p->s->clients - 1) {
        c->rest_off = len / 2;  /* half now, the rest when due */
        c->rest_len = len - len / 2;
        c->t_rest = t + p->s->slow_ns;
        c->t_deadline += p->s->slow_ns;
        len /= 2;
    }
    return client_write(p, c, c->req, len, err);
}

/* Request c->seq is over, answered at t or failed: on to the next one -
 * sent, scheduled (open loop), or the client done when none is left.  A
 * request that fails at once (a refused connect) is counted and the next
 * one tried, so a server that is gone costs no wait.  0, or -1 error. */
int client_advance(struct lproc *p, struct client *c, uint64_t t,
                   int *active, char *err)
{
    for (;;) {
        int r;

        if (++c->seq == p->warm + p->per) {
            close_fd(&c->fd);   /* the server sees EOF */
            c->done = 1;
            (*active)--;
            return 0;
        }
        if (p->period_ns != 0) {
            c->t_due += p->period_ns;
            if (c->t_due > t) {
                c->idle = 1;    /* sent when due (lproc_due) */
                return 0;
            }
        }
        if ((r = client_start(p, c, err)) != 1)
            return r;
        t = load_now_ns();
    }
}

/* Start request c->seq, and the next ones while they fail at once. */
int client_go(struct lproc *p, struct client *c, int *active,
              char *err)
{
    int r = client_start(p, c, err);

    return r == 1 ? client_advance(p, c, load_now_ns(), active, err) : r;
}

/* c's socket is readable: read; a whole reply is compared, recorded and
 * followed by the next request.  A reset or an early EOF fails the
 * request (counted).  0, or -1 error (a wrong byte is one). */
int client_readable(struct lproc *p, struct client *c, int *active,
                    char *err)
{
    /* http: every response is the same bytes, header and body */
    size_t len = p->s->http ? p->resp_len : p->s->msg_bytes;
    const uint8_t *want = p->s->http ? p->resp : c->req;
    ssize_t n = read(c->fd, c->reply + c->got, len - c->got);
    uint64_t t;

    if (n == -1 && (errno == EINTR || errno == EAGAIN))
        return 2;
    if (n <= 0) {
        int kind = n == 0 ? TP_ERR_RESET : load_error_kind(errno);

        if (kind < 0)
            return err_set(err, "client %u, request %llu: read: %s", c->id,
                           (unsigned long long)c->seq, strerror(errno));
        if (c->idle) {          /* between requests: none lost, the next
                                   one reconnects */
            close_fd(&c->fd);
            return 0;
        }
        client_failed(p, c, kind, n == 0 ? "the server closed the "
                      "connection before the reply" : strerror(errno));
        return client_advance(p, c, load_now_ns(), active, err);
    }
    c->got += (size_t)n;
    if (c->got < len)
        return 0;
    t = load_now_ns();
    if (memcmp(c->reply, want, len) != 0) {
        size_t k = 0;

        while (c->reply[k] == want[k])
            k++;
        return err_set(err, "client %u, request %llu: reply byte %zu is "
                       "0x%02x, expected 0x%02x", c->id,
                       (unsigned long long)c->seq, k, c->reply[k],
                       want[k]);
    }
    p->slot->replies++;
    if (c->seq >= p->warm)
        p->samples[(uint64_t)c->id * p->per + c->seq - p->warm] =
            t > c->t_send ? t - c->t_send : 1;
    if (p->s->connect_per_req)
        close_fd(&c->fd);       /* the server sees EOF; TIME_WAIT is ours */
    return client_advance(p, c, t, active, err);
}

/* Open loop, slow client: send what is due, and lower *next to when the
 * next thing is due. */
int lproc_due(struct lproc *p, uint64_t *next, int *active,
              char *err)
{
    uint64_t now = load_now_ns();

    for (unsigned i = 0; i < p->n; i++) {
        struct client *c = &p->cl[i];
        int r = 0;

        if (c->rest_len != 0 && c->t_rest <= now) {
            size_t len = c->rest_len;

            c->rest_len = 0;
            r = client_write(p, c, c->req + c->rest_off, len, err);
        } else if (c->idle && c->t_due <= now) {
            r = client_start(p, c, err);
        }
        if (r == 1)
            r = client_advance(p, c, load_now_ns(), active, err);
        if (r == -1)
            return -1;
        if (c->rest_len != 0 && c->t_rest < *next)
            *next = c->t_rest;
        if (c->idle && c->t_due < *next)
            *next = c->t_due;
    }
    return 0;
}

/* Every request in flight past its deadline fails (timed out): its
 * connection is closed, a late reply cannot be taken for the next one. */
int lproc_timeouts(struct lproc *p, uint64_t now, int *active,
                   char *err)
{
    for (unsigned i = 0; i < p->n; i++) {
        struct client *c = &p->cl[i];

        if (c->done || c->idle || c->fd == -1 || c->t_deadline > now)
            continue;
        client_failed(p, c, TP_ERR_TIMEOUT, "no reply in time "
                      "(--request-timeout)");
        if (client_advance(p, c, now, active, err) == -1)
            return -1;
    }
    return 0;
}
