/* prefork.c - N worker processes started up front, all accepting.
 *
 * What it is.  The pre-forking server (Apache's prefork MPM, classic
 * preforked CGI servers): the parent forks --workers N processes
 * before any client comes; each loops on accept and serves the client it
 * got until EOF.  No fork per connection, the isolation of processes,
 * but at most N clients are served at once: with keep-alive clients,
 * client N+1 waits in the accept queue until a worker is free.
 *
 * Two variants:
 *   server/prefork/VIA          every worker blocks in accept() on the one
 *                               shared listening socket.  The thundering
 *                               herd: since Linux 2.6 a blocking accept()
 *                               waits exclusively (WQ_FLAG_EXCLUSIVE), so
 *                               a new connection wakes one worker, not N.
 *                               (poll/select/epoll on a shared listener
 *                               still wake everyone - see
 *                               epoll_threads.c for EPOLLEXCLUSIVE.)
 *   server/prefork_reuseport/tcp  one listening socket per worker, all
 *                               bound to one port with SO_REUSEPORT: the
 *                               kernel spreads connections over them by
 *                               a hash of the 4-tuple, so no worker ever
 *                               waits on a socket another one serves - but
 *                               a worker busy with a long session still
 *                               has new clients hashed to its queue.  TCP
 *                               only (n/a over a Unix socket).
 *
 * Copies.  Two each way, as for any socket: the request into the kernel
 * and out to the server, the reply the same way back (TCP or Unix).
 *
 * Kernel objects.  The listening socket(s) (made in the harness's parent;
 * a reuseport group must exist before any client connects); N worker
 * processes, which die with the server (PR_SET_PDEATHSIG) and are killed
 * (SIGTERM) and reaped by it at the stop.
 *
 * Who accepts, reads and waits where:
 *
 *      load (C clients)        parent               worker 1..N
 *                              fork N ------------> accept (one wakes)
 *      connect, request -------------------------> read/write until EOF
 *      close --------------------------------------> accept next
 *      stop pipe ------------> poll(stop) wakes
 *                              kill SIGTERM, waitpid each; return
 *
 * See accept(2), socket(7) (SO_REUSEPORT), fork(2).
 * Usage: bin/server_prefork --clients 1,16 --workers 4
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../bench/util.h"
#include "server.h"

/* One worker: accept on its listener until killed. */
static void prefork_worker(struct srv *s, int lfd)
{
    char err[ERR_LEN];

    if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
        _exit(1);
    for (;;) {
        int fd = srv_accept(lfd, 0, err);

        if (fd == -1 || srv_serve_blocking(fd, s->msg_bytes, err) == -1)
            _exit(1);
    }
}

/* Stop: SIGTERM every worker (they sit in accept, or finish an EOF),
 * reap each.  A worker that died of anything else failed the run. */
static int prefork_end(const pid_t *pid, unsigned n, char *err)
{
    int failed = 0;

    for (unsigned i = 0; i < n; i++)
        if (pid[i] > 0)
            kill(pid[i], SIGTERM);
    for (unsigned i = 0; i < n; i++) {
        int st;

        if (pid[i] <= 0)
            continue;
        while (waitpid(pid[i], &st, 0) == -1)
            if (errno != EINTR)
                return err_sys(err, "waitpid");
        if (!(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM) && !failed) {
            failed = 1;
            err_set(err, "worker %u ended before the stop (status 0x%x)",
                    i, st);
        }
    }
    return failed ? -1 : 0;
}

static int prefork_serve(struct srv *s, char *err)
{
    pid_t pid[SRV_MAX_LISTENERS] = { 0 };
    struct pollfd p = { .fd = s->stop_fd, .events = POLLIN };
    int rc = 0;

    for (unsigned i = 0; i < s->workers; i++) {
        pid[i] = fork();
        if (pid[i] == 0)
            prefork_worker(s, s->nlisten > 1 ? s->listen_fds[i]
                                             : s->listen_fd);
        if (pid[i] == -1) {
            rc = err_sys(err, "fork");
            break;
        }
    }
    while (rc == 0 && poll(&p, 1, -1) == -1)
        if (errno != EINTR)
            rc = err_sys(err, "poll");
    if (prefork_end(pid, s->workers, rc == -1 ? (char[ERR_LEN]){ 0 } : err)
        == -1)
        rc = -1;
    return rc;
}

#define prefork_model_summary "N processes forked up front, all in accept()"
static const struct srv_model prefork_model = {
    .name = "prefork", .summary = prefork_model_summary,
    .serve = prefork_serve,
};
SRV_TRANSPORTS(prefork);
TRANSPORT_REGISTER(prefork_tcp);
TRANSPORT_REGISTER(prefork_unix);

#define prefork_reuseport_model_summary \
    "N processes, one SO_REUSEPORT listener each"
static const struct srv_model prefork_reuseport_model = {
    .name = "prefork_reuseport", .summary = prefork_reuseport_model_summary,
    .serve = prefork_serve, .reuseport = 1,
};
SRV_TRANSPORTS(prefork_reuseport);
TRANSPORT_REGISTER(prefork_reuseport_tcp);
TRANSPORT_REGISTER(prefork_reuseport_unix);
