/* epoll.c - one thread, one epoll loop, level-triggered.
 *
 * What it is.  The event-driven server: one thread waits in epoll_wait on
 * the listener and every connection at once, and does whatever is ready:
 * accept a connection, read a request, echo it.  No process or thread per
 * client, so a thousand idle connections cost a thousand sockets and
 * nothing else, and the cost of one wait is proportional to what is
 * ready, not to how many are watched (unlike select and poll).  Choose it
 * for many connections with short work per request (nginx, redis,
 * memcached, node).  Its limit: one CPU - see epoll_threads.c.
 *
 * Level-triggered: epoll_wait reports a socket as long as it has unread
 * bytes, so one read per wake-up is enough (the next epoll_wait reports
 * what is left).  The sockets stay blocking; a reply is written whole
 * (srv_reply), which cannot stall long: the client is waiting for it.
 *
 * Copies.  Two each way, as for any socket: the request into the kernel
 * and out to the server, the reply the same way back (TCP or Unix).
 *
 * Kernel objects.  The listening socket, one epoll instance (a red-black
 * tree of watched fds and a ready list), the connected sockets; closing
 * a socket removes it from the epoll set.
 *
 * Who accepts, reads and waits where:
 *
 *      load (C clients)          server: one thread
 *      connect, request  ----->  epoll_wait(listener, stop, conns...)
 *                                listener ready: accept, EPOLL_CTL_ADD
 *                                conn ready: read once; whole? write
 *      reply complete    <-----  ... loop
 *      close ----------------->  read 0: close (leaves the set)
 *      stop pipe ------------->  stop ready: close all, return
 *
 * See epoll(7), epoll_ctl(2), epoll_wait(2).
 * Usage: bin/server_epoll --clients 1,64 (or: ipclab run server/epoll)
 */
#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "../../bench/util.h"
#include "server.h"

static int epoll_add(int epfd, int fd, void *ptr, char *err)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = ptr };

    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == -1)
        return err_sys(err, "epoll_ctl ADD");
    return 0;
}

static int epoll_loop(struct srv *s, int epfd, char *err)
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
            if (c->fd == s->listen_fd) {        /* a new client */
                int fd = srv_accept(s->listen_fd, 0, err);
                struct srv_conn *nc;

                if (fd == -1)
                    return -1;
                nc = srv_conn_new(fd, s->msg_bytes, err);
                if (nc == NULL || epoll_add(epfd, fd, nc, err) == -1) {
                    srv_conn_free(nc);
                    return -1;
                }
                continue;
            }
            r = srv_conn_readable(c, s->msg_bytes, 0, err);
            if (r == -1)
                return -1;
            if (r == 0)
                srv_conn_free(c);       /* close: it leaves the set */
        }
    }
}

static int epoll_serve(struct srv *s, char *err)
{
    struct srv_conn lc = { .fd = s->listen_fd };
    int epfd = epoll_create1(EPOLL_CLOEXEC), rc;

    if (epfd == -1)
        return err_sys(err, "epoll_create1");
    rc = epoll_add(epfd, s->listen_fd, &lc, err);
    if (rc == 0)
        rc = epoll_add(epfd, s->stop_fd, NULL, err);
    if (rc == 0)
        rc = epoll_loop(s, epfd, err);
    close(epfd);                /* connections left: the process exits */
    return rc;
}

#define epoll_model_summary "one thread, epoll level-triggered"
static const struct srv_model epoll_model = {
    .name = "epoll", .summary = epoll_model_summary, .serve = epoll_serve,
};
SRV_TRANSPORTS(epoll);
TRANSPORT_REGISTER(epoll_tcp);
TRANSPORT_REGISTER(epoll_unix);
