/* poll.c - one thread, one poll(2) loop.
 *
 * What it is.  select() without the fixed-size bit set: the server passes
 * an array of (fd, events) and poll() fills in what happened to each.
 * No FD_SETSIZE limit, but the same cost model: every call copies the
 * whole array into the kernel, which polls every socket in it, and back
 * - O(watched) per wake-up, however few are ready.  Choose it for tens
 * of descriptors, portably; for thousands use epoll.
 *
 * Copies.  Two each way, as for any socket: the request into the kernel
 * and out to the server, the reply the same way back (TCP or Unix).
 *
 * Kernel objects.  The listening socket and the connected sockets; the
 * pollfd array lives in user memory (slot 0 the stop pipe, 1 the
 * listener, then one per connection; a closed connection's slot is
 * refilled with the last one).
 *
 * Who accepts, reads and waits where:
 *
 *      load (C clients)         server: one thread
 *      connect, request ----->  poll(stop, listener, conn...)
 *                               listener: accept, append a slot
 *                               conn POLLIN: read once; whole? write
 *      close ---------------->  read 0: close, drop its slot
 *      stop pipe ------------>  slot 0: close all, return
 *
 * See poll(2).
 * Usage: bin/server_poll --clients 1,64 (or: ipclab run server/poll)
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../bench/util.h"
#include "server.h"

struct pl {
    struct pollfd *pfd;         /* [0] stop, [1] listener, then conns */
    struct srv_conn **conn;     /* parallel to pfd */
    unsigned n, cap;
};

/* Connect per request: a client's new connection may come before the
 * server has seen its last one's EOF, so C clients can hold more than C
 * connections for a moment.  Double the table. */
static int poll_grow(struct pl *t, char *err)
{
    struct pollfd *pfd = realloc(t->pfd, 2 * t->cap * sizeof(*pfd));
    struct srv_conn **conn;

    if (pfd == NULL)
        return err_sys(err, "realloc");
    t->pfd = pfd;
    conn = realloc(t->conn, 2 * t->cap * sizeof(*conn));
    if (conn == NULL)
        return err_sys(err, "realloc");
    t->conn = conn;
    t->cap *= 2;
    return 0;
}

static int poll_accept(struct srv *s, struct pl *t, char *err)
{
    int fd = srv_accept(s->listen_fd, 0, err);

    if (fd == -1)
        return -1;
    if (t->n == t->cap && poll_grow(t, err) == -1) {
        close(fd);
        return -1;
    }
    t->conn[t->n] = srv_conn_new(fd, s->msg_bytes, err);
    if (t->conn[t->n] == NULL) {
        close(fd);
        return -1;
    }
    t->pfd[t->n].fd = fd;
    t->pfd[t->n].events = POLLIN;
    t->n++;
    return 0;
}

static int poll_loop(struct srv *s, struct pl *t, char *err)
{
    for (;;) {
        int n = poll(t->pfd, t->n, -1);

        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            return err_sys(err, "poll");
        if (t->pfd[0].revents)
            return 0;
        for (unsigned i = 2; i < t->n; i++) {
            int r;

            if (t->pfd[i].revents == 0)
                continue;
            r = srv_conn_readable(t->conn[i], s->msg_bytes, 0, err);
            if (r == -1)
                return -1;
            if (r == 0) {       /* the last slot fills the hole */
                srv_conn_free(t->conn[i]);
                t->n--;
                t->conn[i] = t->conn[t->n];
                t->pfd[i] = t->pfd[t->n];
                i--;            /* the moved one may be ready too */
            }
        }
        if ((t->pfd[1].revents & POLLIN) && poll_accept(s, t, err) == -1)
            return -1;
    }
}

static int poll_serve(struct srv *s, char *err)
{
    struct pl t = { .cap = s->clients + 2, .n = 2 };
    int rc = -1;

    t.pfd = calloc(t.cap, sizeof(*t.pfd));
    t.conn = calloc(t.cap, sizeof(*t.conn));
    if (t.pfd == NULL || t.conn == NULL) {
        err_sys(err, "calloc");
        goto out;
    }
    t.pfd[0] = (struct pollfd){ .fd = s->stop_fd, .events = POLLIN };
    t.pfd[1] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
    rc = poll_loop(s, &t, err);
    for (unsigned i = 2; i < t.n; i++)
        srv_conn_free(t.conn[i]);
out:
    free(t.pfd);
    free(t.conn);
    return rc;
}

#define poll_model_summary "one thread, poll(2)"
static const struct srv_model poll_model = {
    .name = "poll", .summary = poll_model_summary, .serve = poll_serve,
};
SRV_TRANSPORTS(poll);
TRANSPORT_REGISTER(poll_tcp);
TRANSPORT_REGISTER(poll_unix);
