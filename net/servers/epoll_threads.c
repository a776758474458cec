/* epoll_threads.c - N threads, one epoll instance each, all watching the
 * listener with EPOLLEXCLUSIVE.
 *
 * What it is.  epoll.c on --workers N CPUs: each thread runs its
 * own epoll loop over the connections it accepted, so a connection stays
 * with one thread (no locks on the request path, its bytes stay in one
 * CPU's cache).  The listening socket is non-blocking and in every
 * thread's epoll set with EPOLLEXCLUSIVE (Linux 4.5): a new connection
 * wakes one (or a few) waiting threads instead of all N - the thundering
 * herd that a shared listener in N plain epoll sets would cause.  A
 * thread woken for a connection another one already took gets EAGAIN
 * from accept4 and goes back to waiting.  Choose it when one epoll
 * thread saturates its CPU (memcached's worker threads, Seastar,
 * nginx's worker processes with the same idea in processes).
 *
 * Copies.  Two each way, as for any socket: the request into the kernel
 * and out to the server, the reply the same way back (TCP or Unix).
 *
 * Kernel objects.  The listening socket (O_NONBLOCK); N threads, N epoll
 * instances; the connected sockets, each in one instance.  The stop pipe
 * is in every set, so every thread sees it; serve() joins them all.
 *
 * Who accepts, reads and waits where:
 *
 *      load (C clients)       thread 1 .. thread N (each its own epoll)
 *      connect ------------>  one woken (EPOLLEXCLUSIVE): accept4 ->
 *                               add the conn to ITS epoll set
 *      request ------------>  the owning thread: read once; whole? write
 *      close --------------->  read 0: close
 *      stop pipe ----------->  every thread: close its conns, return
 *
 * See epoll_ctl(2) (EPOLLEXCLUSIVE), epoll(7), pthread_create(3).
 * Usage: bin/server_epoll_threads --clients 64 --workers 2
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "../../bench/util.h"
#include "server.h"

struct et_thread {
    struct srv *s;
    pthread_t tid;
    int epfd;
    struct srv_conn **conns;    /* the connections this thread owns */
    unsigned n, cap;
    char err[ERR_LEN];
    int rc;
};

static int mt_accept(struct et_thread *t, char *err)
{
    struct srv *s = t->s;
    int fd = srv_accept(s->listen_fd, 0, err);
    struct epoll_event ev = { .events = EPOLLIN };
    struct srv_conn *c;

    if (fd == -1)
        return errno == EAGAIN ? 0 : -1;   /* another thread took it */
    c = srv_conn_new(fd, s->msg_bytes, err);
    if (c == NULL) {
        close(fd);
        return -1;
    }
    if (t->n == t->cap) {       /* connect per request: old ones not yet
                                 * at EOF, new ones accepted: grow */
        struct srv_conn **more = realloc(t->conns, 2 * t->cap *
                                                       sizeof(*more));

        if (more == NULL) {
            srv_conn_free(c);
            return err_sys(err, "realloc");
        }
        t->conns = more;
        t->cap *= 2;
    }
    ev.data.ptr = c;
    if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
        srv_conn_free(c);
        return err_sys(err, "epoll_ctl ADD");
    }
    t->conns[t->n++] = c;
    return 0;
}

static void mt_drop(struct et_thread *t, struct srv_conn *c)
{
    for (unsigned i = 0; i < t->n; i++)
        if (t->conns[i] == c) {
            t->conns[i] = t->conns[--t->n];
            break;
        }
    srv_conn_free(c);
}

static int mt_loop(struct et_thread *t, struct srv_conn *lc, char *err)
{
    struct epoll_event ev[64];

    for (;;) {
        int n = epoll_wait(t->epfd, ev, 64, -1);

        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            return err_sys(err, "epoll_wait");
        for (int i = 0; i < n; i++) {
            struct srv_conn *c = ev[i].data.ptr;
            int r;

            if (c == NULL)
                return 0;
            if (c == lc) {
                if (mt_accept(t, err) == -1)
                    return -1;
                continue;
            }
            r = srv_conn_readable(c, t->s->msg_bytes, 0, err);
            if (r == -1)
                return -1;
            if (r == 0)
                mt_drop(t, c);
        }
    }
}

static void *mt_main(void *arg)
{
    struct et_thread *t = arg;
    struct srv_conn lc = { .fd = t->s->listen_fd };
    struct epoll_event le = { .events = EPOLLIN | EPOLLEXCLUSIVE,
                              .data.ptr = &lc };
    struct epoll_event se = { .events = EPOLLIN, .data.ptr = NULL };

    if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->s->listen_fd, &le) == -1 ||
        epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->s->stop_fd, &se) == -1)
        t->rc = err_sys(t->err, "epoll_ctl ADD");
    else
        t->rc = mt_loop(t, &lc, t->err);
    while (t->n > 0)
        srv_conn_free(t->conns[--t->n]);
    return NULL;
}

static int mt_serve(struct srv *s, char *err)
{
    struct et_thread *t = calloc(SRV_MAX_LISTENERS, sizeof(*t));
    unsigned started = 0;
    int fl = fcntl(s->listen_fd, F_GETFL), rc = 0, e;

    if (t == NULL)
        return err_sys(err, "calloc");
    if (fl == -1 || fcntl(s->listen_fd, F_SETFL, fl | O_NONBLOCK) == -1) {
        free(t);
        return err_sys(err, "fcntl O_NONBLOCK");
    }
    for (; started < s->workers; started++) {
        struct et_thread *w = &t[started];

        w->s = s;
        w->epfd = epoll_create1(EPOLL_CLOEXEC);
        w->cap = s->clients;
        w->conns = calloc(w->cap, sizeof(*w->conns));
        if (w->epfd == -1 || w->conns == NULL) {
            rc = err_sys(err, w->epfd == -1 ? "epoll_create1" : "calloc");
            break;
        }
        if ((e = pthread_create(&w->tid, NULL, mt_main, w)) != 0) {
            errno = e;
            rc = err_sys(err, "pthread_create");
            break;
        }
    }
    if (rc == -1)               /* t stays: the started threads use it */
        return -1;              /* until the process exits right after */
    for (unsigned i = 0; i < started; i++) {
        pthread_join(t[i].tid, NULL);
        close(t[i].epfd);
        free(t[i].conns);
        if (t[i].rc == -1 && rc == 0)
            rc = err_set(err, "thread %u: %s", i, t[i].err);
    }
    free(t);
    return rc;
}

#define epoll_threads_model_summary "N threads, an epoll each, EPOLLEXCLUSIVE"
static const struct srv_model epoll_threads_model = {
    .name = "epoll_threads", .summary = epoll_threads_model_summary,
    .serve = mt_serve,
};
SRV_TRANSPORTS(epoll_threads);
TRANSPORT_REGISTER(epoll_threads_tcp);
TRANSPORT_REGISTER(epoll_threads_unix);
