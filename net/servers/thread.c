/* thread.c - a detached thread per connection.
 *
 * What it is.  The acceptor thread accepts; for each connection it starts
 * a detached thread that serves that client until EOF and ends.  Cheaper
 * than a process per connection (no address space to copy, no exit to
 * reap), simple blocking code per client, but every connection costs a
 * thread - its stack, a scheduler entity, and context switches between
 * them all.  Choose it for a moderate number of long sessions whose code
 * is easiest written blocking (Java's thread-per-request servers).
 *
 * Detached threads cannot be joined, so the acceptor counts the live ones
 * (mutex + condition variable) and at the stop waits until none is
 * left: no thread outlives serve().  Stacks are 256 KiB, so 1024 clients
 * reserve 256 MiB of address space, not 8 GiB.
 *
 * Copies.  Two each way, as for any socket: the request into the kernel
 * and out to the server, the reply the same way back (TCP or Unix).
 *
 * Kernel objects.  The listening socket; per connection a thread (a task)
 * and its connected socket, closed by the thread at EOF.
 *
 * Who accepts, reads and waits where:
 *
 *      load (C clients)       acceptor thread         thread per client
 *      connect -------------> poll, accept
 *                             live++, pthread_create -> read/write to EOF
 *      close ------------------------------------------> close; live--,
 *                                                        signal; return
 *      stop pipe -----------> wait until live == 0; return
 *
 * See pthread_create(3), pthread_attr_setdetachstate(3).
 * Usage: bin/server_thread --clients 1,64 (or: ipclab run server/thread)
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../bench/util.h"
#include "server.h"

struct thr_shared {
    pthread_mutex_t lock;
    pthread_cond_t idle;        /* signalled when live drops */
    unsigned live;
    char err[ERR_LEN];          /* the first thread's failure */
    size_t msg_bytes;
};

struct thr_arg {
    struct thr_shared *sh;
    int fd;
};

static void *thr_main(void *p)
{
    struct thr_arg *a = p;
    struct thr_shared *sh = a->sh;
    char err[ERR_LEN];
    int rc = srv_serve_blocking(a->fd, sh->msg_bytes, err);

    free(a);
    pthread_mutex_lock(&sh->lock);
    if (rc == -1 && sh->err[0] == '\0')
        memcpy(sh->err, err, ERR_LEN);
    sh->live--;
    pthread_cond_signal(&sh->idle);
    pthread_mutex_unlock(&sh->lock);
    return NULL;
}

static int thr_start(struct thr_shared *sh, pthread_attr_t *attr, int fd,
                     char *err)
{
    struct thr_arg *a = malloc(sizeof(*a));
    pthread_t t;
    int e;

    if (a == NULL) {
        close(fd);
        return err_sys(err, "malloc");
    }
    a->sh = sh;
    a->fd = fd;
    pthread_mutex_lock(&sh->lock);
    sh->live++;
    pthread_mutex_unlock(&sh->lock);
    e = pthread_create(&t, attr, thr_main, a);
    if (e != 0) {
        pthread_mutex_lock(&sh->lock);
        sh->live--;
        pthread_mutex_unlock(&sh->lock);
        close(fd);
        free(a);
        errno = e;
        return err_sys(err, "pthread_create");
    }
    return 0;
}

static int thread_serve(struct srv *s, char *err)
{
    struct thr_shared sh = { .lock = PTHREAD_MUTEX_INITIALIZER,
                             .idle = PTHREAD_COND_INITIALIZER,
                             .msg_bytes = s->msg_bytes };
    pthread_attr_t attr;
    int r;

    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256u << 10);
    while ((r = srv_wait_accept(s, s->listen_fd, err)) == 1) {
        int fd = srv_accept(s->listen_fd, 0, err);

        if (fd == -1 || thr_start(&sh, &attr, fd, err) == -1) {
            r = -1;
            break;
        }
    }
    pthread_attr_destroy(&attr);
    pthread_mutex_lock(&sh.lock);
    while (sh.live > 0)         /* no thread outlives serve() */
        pthread_cond_wait(&sh.idle, &sh.lock);
    pthread_mutex_unlock(&sh.lock);
    if (r == 0 && sh.err[0] != '\0')
        return err_set(err, "a client thread: %s", sh.err);
    return r == -1 ? -1 : 0;
}

#define thread_model_summary "a detached thread per connection"
static const struct srv_model thread_model = {
    .name = "thread", .summary = thread_model_summary,
    .serve = thread_serve,
};
SRV_TRANSPORTS(thread);
TRANSPORT_REGISTER(thread_tcp);
TRANSPORT_REGISTER(thread_unix);
