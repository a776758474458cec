/* select.c - one thread, one select(2) loop.
 *
 * What it is.  The oldest multiplexing call (4.2BSD): the server builds a
 * bit set of every descriptor it watches, select() sleeps until some are
 * readable and hands back the set with only those bits left.  Each call
 * copies the sets into the kernel and back and checks every descriptor
 * up to the highest one, so a wait costs O(highest fd), and the set has
 * a fixed size: descriptors >= FD_SETSIZE (1024) cannot be watched at all
 * (1024 clients: the row is n/a).  Choose it for a handful of
 * descriptors in code that must run on any POSIX system.
 *
 * Copies.  Two each way, as for any socket: the request into the kernel
 * and out to the server, the reply the same way back (TCP or Unix).
 *
 * Kernel objects.  The listening socket and the connected sockets; the
 * fd_set lives in user memory and is rebuilt before every call.
 *
 * Who accepts, reads and waits where:
 *
 *      load (C clients)         server: one thread
 *      connect, request ----->  FD_SET listener, stop, every conn
 *                               select(maxfd + 1, &readable)
 *                               listener set: accept (fd < FD_SETSIZE)
 *                               conn set: read once; whole? write
 *      close ---------------->  read 0: close, forget
 *      stop pipe ------------>  stop set: close all, return
 *
 * See select(2), select_tut(2).
 * Usage: bin/server_select --clients 1,64 (or: ipclab run server/select)
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/select.h>
#include <unistd.h>

#include "../../bench/util.h"
#include "server.h"

struct sel {
    struct srv_conn *conn[FD_SETSIZE];  /* by fd */
    int maxfd;
};

static int select_accept(struct srv *s, struct sel *t, char *err)
{
    int fd = srv_accept(s->listen_fd, 0, err);

    if (fd == -1)
        return -1;
    if (fd >= FD_SETSIZE) {
        close(fd);
        return err_set(err, "descriptor %d is over FD_SETSIZE %d", fd,
                       FD_SETSIZE);
    }
    t->conn[fd] = srv_conn_new(fd, s->msg_bytes, err);
    if (t->conn[fd] == NULL) {
        close(fd);
        return -1;
    }
    if (fd > t->maxfd)
        t->maxfd = fd;
    return 0;
}

static int select_loop(struct srv *s, struct sel *t, char *err)
{
    for (;;) {
        fd_set rd;
        int n;

        FD_ZERO(&rd);           /* select overwrote the last one */
        FD_SET(s->listen_fd, &rd);
        FD_SET(s->stop_fd, &rd);
        for (int fd = 0; fd <= t->maxfd; fd++)
            if (t->conn[fd] != NULL)
                FD_SET(fd, &rd);
        n = select(t->maxfd + 1, &rd, NULL, NULL, NULL);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            return err_sys(err, "select");
        if (FD_ISSET(s->stop_fd, &rd))
            return 0;
        if (FD_ISSET(s->listen_fd, &rd) && select_accept(s, t, err) == -1)
            return -1;
        for (int fd = 0; fd <= t->maxfd; fd++) {
            int r;

            if (t->conn[fd] == NULL || !FD_ISSET(fd, &rd))
                continue;
            r = srv_conn_readable(t->conn[fd], s->msg_bytes, 0, err);
            if (r == -1)
                return -1;
            if (r == 0) {
                srv_conn_free(t->conn[fd]);
                t->conn[fd] = NULL;
            }
        }
    }
}

static int select_serve(struct srv *s, char *err)
{
    struct sel *t = calloc(1, sizeof(*t));
    int rc;

    if (t == NULL)
        return err_sys(err, "calloc");
    t->maxfd = s->listen_fd > s->stop_fd ? s->listen_fd : s->stop_fd;
    rc = select_loop(s, t, err);
    for (int fd = 0; fd < FD_SETSIZE; fd++)
        srv_conn_free(t->conn[fd]);
    free(t);
    return rc;
}

#define select_model_summary "one thread, select(2), fds < FD_SETSIZE"
static const struct srv_model select_model = {
    .name = "select", .summary = select_model_summary,
    .serve = select_serve, .below_fd_setsize = 1,
};
SRV_TRANSPORTS(select);
TRANSPORT_REGISTER(select_tcp);
TRANSPORT_REGISTER(select_unix);
