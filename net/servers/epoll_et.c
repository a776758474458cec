/* epoll_et.c - one thread, one epoll loop, edge-triggered.
 *
 * What it is.  epoll.c with EPOLLET: epoll_wait reports a socket once
 * when new bytes arrive, not again while unread bytes remain.  So every
 * socket is non-blocking, and each report is drained to EAGAIN - the
 * listener (accept until EAGAIN) and each connection (read, echo every
 * whole request, until EAGAIN).  Forgetting to drain is the classic ET
 * bug: the bytes left behind are never reported again and the client
 * hangs.  In exchange epoll_wait hands back fewer events per byte; the
 * nginx way.  Choose it when you want the fewest wake-ups and are ready
 * for the non-blocking bookkeeping.
 *
 * Copies.  Two each way, as for any socket: the request into the kernel
 * and out to the server, the reply the same way back (TCP or Unix).
 *
 * Kernel objects.  As in epoll.c; the sockets are O_NONBLOCK (accept4
 * with SOCK_NONBLOCK).  A full send buffer while echoing waits in poll
 * for room (srv_reply): a reply is at most 64 KiB and its client reads.
 *
 * Who accepts, reads and waits where:
 *
 *      load (C clients)          server: one thread
 *      connect, request  ----->  epoll_wait (edge-triggered)
 *                                listener: accept4 until EAGAIN
 *                                conn: read until EAGAIN, echo each
 *                                      whole request
 *      close ----------------->  read 0: close
 *      stop pipe ------------->  return
 *
 * See epoll(7) (the edge-triggered section and its pitfalls).
 * Usage: bin/server_epoll_et --clients 1,64 (or: ipclab run server/epoll_et)
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../bench/util.h"
#include "server.h"

static int et_add(int epfd, int fd, void *ptr, char *err)
{
    struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.ptr = ptr };

    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == -1)
        return err_sys(err, "epoll_ctl ADD");
    return 0;
}

/* Listener reported: accept until nothing is left. */
static int et_accept_all(struct srv *s, int epfd, char *err)
{
    for (;;) {
        int fd = srv_accept(s->listen_fd, SOCK_NONBLOCK, err);
        struct srv_conn *c;

        if (fd == -1)
            return errno == EAGAIN ? 0 : -1;
        c = srv_conn_new(fd, s->msg_bytes, err);
        if (c == NULL || et_add(epfd, fd, c, err) == -1) {
            srv_conn_free(c);
            return -1;
        }
    }
}

static int et_loop(struct srv *s, int epfd, struct srv_conn *lc, char *err)
{
    struct epoll_event ev[64];

    for (;;) {
        int n = epoll_wait(epfd, ev, 64, -1);

        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            return err_sys(err, "epoll_wait");
        for (int i = 0; i < n; i++) {
            struct srv_conn *c = ev[i].data.ptr;
            int r;

            if (c == NULL)                      /* the stop pipe */
                return 0;
            if (c == lc) {
                if (et_accept_all(s, epfd, err) == -1)
                    return -1;
                continue;
            }
            r = srv_conn_readable(c, s->msg_bytes, 1, err);    /* drain */
            if (r == -1)
                return -1;
            if (r == 0)
                srv_conn_free(c);
        }
    }
}

static int et_serve(struct srv *s, char *err)
{
    struct srv_conn lc = { .fd = s->listen_fd };
    int epfd = epoll_create1(EPOLL_CLOEXEC), rc, fl;

    if (epfd == -1)
        return err_sys(err, "epoll_create1");
    fl = fcntl(s->listen_fd, F_GETFL);
    rc = fl == -1 || fcntl(s->listen_fd, F_SETFL, fl | O_NONBLOCK) == -1
             ? err_sys(err, "fcntl O_NONBLOCK") : 0;
    if (rc == 0)
        rc = et_add(epfd, s->listen_fd, &lc, err);
    if (rc == 0)
        rc = et_add(epfd, s->stop_fd, NULL, err);
    if (rc == 0)
        rc = et_loop(s, epfd, &lc, err);
    close(epfd);
    return rc;
}

#define epoll_et_model_summary \
    "one thread, epoll edge-triggered, drain to EAGAIN"
static const struct srv_model epoll_et_model = {
    .name = "epoll_et", .summary = epoll_et_model_summary,
    .serve = et_serve,
};
SRV_TRANSPORTS(epoll_et);
TRANSPORT_REGISTER(epoll_et_tcp);
TRANSPORT_REGISTER(epoll_et_unix);
