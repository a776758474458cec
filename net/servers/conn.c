/* conn.c - what every server model calls on a connection: waiting for
 * the next one (or the stop), accepting it, and answering its requests,
 * echo or HTTP/1.1.  server.c holds the rest of the family's shared code:
 * the options, the listening socket and the transport glue.
 *
 * Two ways to serve a connection, one per kind of model:
 *
 *      blocking models (iterative, fork,   event models (select, poll,
 *      prefork, thread, pool)              epoll, epoll_et, epoll_threads)
 *      srv_serve_blocking(fd):             srv_conn_new(fd), then on each
 *        read a whole request, echo it,      readiness srv_conn_readable():
 *        until EOF or reset, close           read what is there (or drain
 *                                            to EAGAIN), echo every whole
 *                                            request, keep the partial one
 *
 * A client that resets or closes mid-request ends only its own
 * connection; -1 means the server itself failed (a read or send error
 * that is not the client's doing, a failed allocation).  A reply to a
 * non-blocking socket whose buffer is full waits in poll(): one reply is
 * at most 64 KiB and the load reads it.  See accept(2), poll(2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../bench/util.h"
#include "server.h"

/* ---- helpers for the models ---------------------------------------------- */

int srv_stopped(const struct srv *s)
{
    struct pollfd p = { .fd = s->stop_fd, .events = POLLIN };

    return poll(&p, 1, 0) == 1;
}

int srv_wait_accept(const struct srv *s, int listen_fd, char *err)
{
    struct pollfd p[2] = { { .fd = listen_fd, .events = POLLIN },
                           { .fd = s->stop_fd, .events = POLLIN } };

    for (;;) {
        int n = poll(p, 2, -1);

        if (n == -1 && errno == EINTR)
            continue;           /* e.g. SIGCHLD: poll is not restarted */
        if (n == -1)
            return err_sys(err, "poll");
        if (p[0].revents & POLLIN)
            return 1;           /* serve what is queued before stopping */
        if (p[1].revents)
            return 0;
    }
}

int srv_accept(int listen_fd, int flags, char *err)
{
    for (;;) {
        int fd = accept4(listen_fd, NULL, NULL, flags | SOCK_CLOEXEC);

        if (fd >= 0)
            return fd;
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno != EAGAIN)
            err_sys(err, "accept4");
        return -1;
    }
}

/* Write a whole reply; a gone client is not the server's failure.  A
 * non-blocking socket whose buffer is full waits in poll: one reply is
 * at most 64 KiB and the client reads it, so the wait is short.
 * 1 written, 0 the client is gone, -1 error. */
static int srv_reply(int fd, const uint8_t *buf, size_t len, char *err)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = send(fd, buf + done, len - done, MSG_NOSIGNAL);

        if (n >= 0) {
            done += (size_t)n;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN) {
            struct pollfd p = { .fd = fd, .events = POLLOUT };

            if (poll(&p, 1, -1) == -1 && errno != EINTR)
                return err_sys(err, "poll");
            continue;
        }
        if (errno == EPIPE || errno == ECONNRESET)
            return 0;
        return err_sys(err, "send");
    }
    return 1;
}

/* ---- the HTTP/1.1 protocol (--proto http) --------------------------------
 *
 * Each request is a header block ending in an empty line (any method but
 * GET gets the connection closed); each response is the same bytes:
 *
 *      HTTP/1.1 200 OK\r\n
 *      Content-Length: N\r\n            N = --size
 *      Content-Type: application/octet-stream\r\n
 *      \r\n
 *      N bytes of a fixed pattern
 *
 * HTTP/1.1 keeps the connection open by default, so keep-alive clients
 * (wrk, the load with --proto http) make many requests per connection;
 * pipelined requests are answered in order.  Set once per serving
 * process, before any worker starts; the workers only read it. */
static int srv_http;
static uint8_t *srv_http_resp;
static size_t srv_http_resp_len;

uint8_t *srv_http_response(size_t body, size_t *len)
{
    char head[160];
    int n = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\n"
                     "Content-Length: %zu\r\n"
                     "Content-Type: application/octet-stream\r\n\r\n",
                     body);
    uint8_t *r = malloc((size_t)n + body + 1);

    if (r == NULL)
        return NULL;
    memcpy(r, head, (size_t)n);
    for (size_t i = 0; i < body; i++)   /* printable: curl shows it */
        r[n + i] = (uint8_t)('a' + (i % 26));
    *len = (size_t)n + body;
    return r;
}

int srv_proto_init(const struct srv *s, char *err)
{
    srv_http = s->http;
    if (!srv_http || srv_http_resp != NULL)
        return 0;
    srv_http_resp = srv_http_response(s->msg_bytes, &srv_http_resp_len);
    if (srv_http_resp == NULL)
        return err_sys(err, "malloc");
    return 0;
}

/* The end of the first header block in buf[0..len), or NULL. */
static const uint8_t *srv_http_end(const uint8_t *buf, size_t len)
{
    for (size_t i = 3; i < len; i++)
        if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' &&
            buf[i - 3] == '\r')
            return buf + i + 1;
    return NULL;
}

/* Like srv_conn_readable for HTTP: read, answer every whole GET. */
static int srv_http_readable(struct srv_conn *c, int drain, char *err)
{
    for (;;) {
        ssize_t n = read(c->fd, c->buf + c->got, SRV_HTTP_MAX_REQ - c->got);
        const uint8_t *end;

        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1 && errno == EAGAIN)
            return 1;
        if (n == -1 && errno == ECONNRESET)
            return 0;
        if (n == -1)
            return err_sys(err, "read");
        if (n == 0)
            return 0;
        c->got += (size_t)n;
        while ((end = srv_http_end(c->buf, c->got)) != NULL) {
            size_t used = (size_t)(end - c->buf);
            int r;

            if (memcmp(c->buf, "GET ", 4) != 0)
                return 0;       /* not ours to answer: close */
            r = srv_reply(c->fd, srv_http_resp, srv_http_resp_len, err);
            if (r <= 0)
                return r;
            memmove(c->buf, c->buf + used, c->got - used);
            c->got -= used;
        }
        if (c->got == SRV_HTTP_MAX_REQ)
            return 0;           /* a header block over 8 KiB: close */
        if (!drain)
            return 1;
    }
}

int srv_serve_blocking(int fd, size_t msg_bytes, char *err)
{
    struct srv_conn *c = srv_conn_new(fd, msg_bytes, err);
    int r;

    if (c == NULL) {
        close(fd);
        return -1;
    }
    while ((r = srv_conn_readable(c, msg_bytes, 0, err)) == 1)
        ;
    srv_conn_free(c);
    return r == -1 ? -1 : 0;
}

struct srv_conn *srv_conn_new(int fd, size_t msg_bytes, char *err)
{
    struct srv_conn *c = calloc(1, sizeof(*c));

    if (c != NULL)
        c->buf = malloc(srv_http ? SRV_HTTP_MAX_REQ : msg_bytes);
    if (c == NULL || c->buf == NULL) {
        err_sys(err, "malloc");
        free(c);
        return NULL;
    }
    c->fd = fd;
    return c;
}

void srv_conn_free(struct srv_conn *c)
{
    if (c == NULL)
        return;
    close_fd(&c->fd);
    free(c->buf);
    free(c);
}

int srv_conn_readable(struct srv_conn *c, size_t msg_bytes, int drain,
                      char *err)
{
    if (srv_http)
        return srv_http_readable(c, drain, err);
    for (;;) {
        ssize_t n = read(c->fd, c->buf + c->got, msg_bytes - c->got);

        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1 && errno == EAGAIN)
            return 1;           /* drained (edge-triggered) */
        if (n == -1 && errno == ECONNRESET)
            return 0;           /* the client reset: its loss only */
        if (n == -1)
            return err_sys(err, "read");
        if (n == 0)
            return 0;           /* EOF (mid-request: a client's loss) */
        c->got += (size_t)n;
        if (c->got == msg_bytes) {
            int r = srv_reply(c->fd, c->buf, msg_bytes, err);

            c->got = 0;
            if (r <= 0)
                return r;
        }
        if (!drain)
            return 1;
    }
}
