/* pool.c - an acceptor and a fixed pool of worker threads behind a
 * bounded queue.
 *
 * What it is.  --workers N threads are started up front; the
 * acceptor thread accepts connections and puts them into a queue of
 * --pool-queue slots (a ring under a mutex, two condition variables:
 * not-empty for the workers, not-full for the acceptor); a worker takes
 * a connection and serves it until EOF.  Thread creation is paid once,
 * the number of threads is bounded whatever the load.  Choose it when
 * the work per request is blocking and the number of clients is not
 * (database connection pools, Java executors).
 *
 * The full-queue decision.  When all N workers are busy and the queue is
 * full, the acceptor BLOCKS (waits on not-full) and accepts nothing
 * more: new clients then wait in the kernel's accept queue (the listen
 * backlog), and when that fills too, the kernel stops answering their
 * SYNs.  Nothing is refused or dropped by the server itself - back
 * pressure all the way to the client's connect.  (The alternative,
 * accept and close at once, would turn overload into errors.)  With
 * keep-alive clients this means at most N clients are served at once;
 * the others wait for a worker to finish a whole session.  (The test
 * servers_errors/pool_full_queue_blocks_the_acceptor_and_refuses_nobody
 * drives 1 worker and a queue of 1 with four clients and asserts this.)
 *
 * Copies.  Two each way, as for any socket: the request into the kernel
 * and out to the server, the reply the same way back (TCP or Unix).
 *
 * Kernel objects.  The listening socket; N + 1 threads; the connected
 * sockets, each closed by the worker at EOF.  At the stop the acceptor
 * sets `closing`, wakes every worker, and joins them all.
 *
 * Who accepts, reads and waits where:
 *
 *      load (C clients)      acceptor               workers 1..N
 *                                                   wait not-empty
 *      connect ------------> poll, accept
 *                            wait not-full; push -> pop; read/write to EOF
 *      close ------------------------------------> close; wait not-empty
 *      stop pipe ----------> closing = 1, broadcast, join all
 *
 * See pthread_cond_wait(3), pthread_mutex_lock(3).
 * Usage: bin/server_pool --clients 1,64 --workers 4 --pool-queue 8
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../bench/util.h"
#include "server.h"

struct pool {
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    int *ring;                  /* queue slots: accepted fds */
    unsigned cap, head, count;
    int closing;                /* the stop: workers leave when empty */
    size_t msg_bytes;
    char err[ERR_LEN];          /* the first worker's failure */
};

/* The acceptor: blocks while the queue is full (the stated policy). */
static void pool_push(struct pool *p, int fd)
{
    pthread_mutex_lock(&p->lock);
    while (p->count == p->cap)
        pthread_cond_wait(&p->not_full, &p->lock);
    p->ring[(p->head + p->count++) % p->cap] = fd;
    pthread_cond_signal(&p->not_empty);
    pthread_mutex_unlock(&p->lock);
}

/* A worker: the next connection, or -1 when closing and empty. */
static int pool_pop(struct pool *p)
{
    int fd = -1;

    pthread_mutex_lock(&p->lock);
    while (p->count == 0 && !p->closing)
        pthread_cond_wait(&p->not_empty, &p->lock);
    if (p->count > 0) {
        fd = p->ring[p->head];
        p->head = (p->head + 1) % p->cap;
        p->count--;
        pthread_cond_signal(&p->not_full);
    }
    pthread_mutex_unlock(&p->lock);
    return fd;
}

static void *pool_worker(void *arg)
{
    struct pool *p = arg;
    char err[ERR_LEN];
    int fd;

    while ((fd = pool_pop(p)) != -1)
        if (srv_serve_blocking(fd, p->msg_bytes, err) == -1) {
            pthread_mutex_lock(&p->lock);
            if (p->err[0] == '\0')
                memcpy(p->err, err, ERR_LEN);
            pthread_mutex_unlock(&p->lock);
        }
    return NULL;
}

static int pool_accept_loop(struct srv *s, struct pool *p, char *err)
{
    int r;

    while ((r = srv_wait_accept(s, s->listen_fd, err)) == 1) {
        int fd = srv_accept(s->listen_fd, 0, err);

        if (fd == -1)
            return -1;
        pool_push(p, fd);
    }
    return r;
}

static int pool_serve(struct srv *s, char *err)
{
    struct pool p = { .lock = PTHREAD_MUTEX_INITIALIZER,
                      .not_empty = PTHREAD_COND_INITIALIZER,
                      .not_full = PTHREAD_COND_INITIALIZER,
                      .cap = s->queue, .msg_bytes = s->msg_bytes };
    pthread_t t[SRV_MAX_LISTENERS];
    unsigned n = 0;
    int rc = 0, e;

    p.ring = calloc(p.cap, sizeof(int));
    if (p.ring == NULL)
        return err_sys(err, "calloc");
    for (; n < s->workers; n++)
        if ((e = pthread_create(&t[n], NULL, pool_worker, &p)) != 0) {
            errno = e;
            rc = err_sys(err, "pthread_create");
            break;
        }
    if (rc == 0)
        rc = pool_accept_loop(s, &p, err);
    pthread_mutex_lock(&p.lock);
    p.closing = 1;              /* workers finish the queue, then leave */
    pthread_cond_broadcast(&p.not_empty);
    pthread_mutex_unlock(&p.lock);
    for (unsigned i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    while (p.count > 0) {       /* an error left connections queued */
        close(p.ring[p.head]);
        p.head = (p.head + 1) % p.cap;
        p.count--;
    }
    free(p.ring);
    if (rc == 0 && p.err[0] != '\0')
        return err_set(err, "a worker: %s", p.err);
    return rc;
}

#define pool_model_summary "acceptor + N worker threads, bounded queue"
static const struct srv_model pool_model = {
    .name = "pool", .summary = pool_model_summary, .serve = pool_serve,
};
SRV_TRANSPORTS(pool);
TRANSPORT_REGISTER(pool_tcp);
TRANSPORT_REGISTER(pool_unix);
