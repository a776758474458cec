/* serve_model.c - `ipclab serve --model M`: one server model as a
 * standalone server.
 *
 * The model's own serve() (the very code `ipclab run server/MODEL`
 * measures, net/servers/) on the --listen socket, answering echo requests
 * of --size bytes or, with --proto http, GET with a fixed HTTP/1.1
 * response of a --size body, for any client (wrk, curl, `ipclab run server
 * --connect`) until SIGINT or SIGTERM: the handler writes the byte into the
 * stop pipe that every model watches, and the model ends its workers and
 * returns.  --daemon detaches first (daemon.c), as for the session server.
 *
 * Entry-point code of `ipclab serve` (serve.c): it prints and returns an
 * exit status. */
#define _GNU_SOURCE             /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "../../bench/util.h"
#include "../servers/server.h"
#include "daemon.h"
#include "serve.h"

static volatile sig_atomic_t model_got_stop;   /* the signal that stops */
static volatile sig_atomic_t model_stop_wfd = -1;  /* the stop pipe */
static volatile sig_atomic_t model_owner;      /* the process that serves */

static void on_model_stop(int sig)
{
    int saved = errno;

    if (getpid() != model_owner) {
        /* a child a model forked, hit before serve_model_child reset
         * its handler (prefork stops a worker it has just forked): the
         * handler is reset already (SA_RESETHAND), so this ends it */
        kill(getpid(), sig);
        errno = saved;
        return;
    }
    model_got_stop = sig;
    (void)!write(model_stop_wfd, "s", 1);
    errno = saved;
}

/* A child a model forks (fork, prefork) does not inherit the handler:
 * prefork stops its workers with SIGTERM, which must end them. */
static void serve_model_child(void)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
}

/* serve_daemonize() calls this in the daemon, right after the second fork:
 * from then on a signal there stops the model instead of ending it. */
static void model_set_owner(void)
{
    model_owner = getpid();
}

/* SIGINT, SIGTERM to on_model_stop; SIGPIPE, SIGHUP ignored.  -1 with
 * errno if sigaction fails. */
static int model_signals(void)
{
    struct sigaction sa;

    signal(SIGPIPE, SIG_IGN);   /* a vanished client gives EPIPE */
    signal(SIGHUP, SIG_IGN);    /* nothing to reopen: start and stop only */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_model_stop;
    /* the first signal asks the model to stop (it ends once its clients
     * have closed, as at the end of a run); a second one ends it at once */
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) == -1 ||
        sigaction(SIGTERM, &sa, NULL) == -1)
        return -1;
    return 0;
}

int serve_model(struct serve_opts *o)
{
    const struct srv_model *m = srv_model_find(o->model);
    struct srv s;
    char err[ERR_LEN] = "", shown[96];
    int pfd[2], rc;

    memset(&s, 0, sizeof(s));
    for (unsigned i = 0; i < SRV_MAX_LISTENERS; i++)
        s.listen_fds[i] = -1;
    s.via = SRV_TCP;
    s.msg_bytes = o->size;
    s.clients = 256;            /* a first size for the tables; they grow */
    s.workers = (unsigned)o->workers;
    s.queue = 8;
    s.http = o->http;
    s.listen_fd = serve_listen(o->listen, shown, sizeof(shown), err);
    if (s.listen_fd == -1) {
        fprintf(stderr, "ipclab serve: %s\n", err);
        return 2;
    }
    s.listen_fds[0] = s.listen_fd;
    s.nlisten = 1;
    s.stop_fd = s.stop_wfd = -1;
    if (model_signals() == -1) {
        fprintf(stderr, "ipclab serve: sigaction: %s\n", strerror(errno));
        rc = 1;
        goto out;
    }
    model_owner = getpid();     /* the daemon sets it again: its own */
    rc = serve_start(o, s.listen_fd, shown, model_set_owner);
    if (rc != 0) {
        rc = rc == -1 ? 1 : rc - 1;
        goto out;
    }
    /* after detaching: the daemon's own forks keep the handler */
    if ((errno = pthread_atfork(NULL, NULL, serve_model_child)) != 0) {
        serve_logf("-", "pthread_atfork: %s", strerror(errno));
        rc = 1;
        goto out;
    }
    /* the stop pipe after detaching (which closes what it does not know);
     * a signal that came before it is still seen */
    if (pipe2(pfd, O_CLOEXEC) == -1) {
        serve_logf("-", "pipe2: %s", strerror(errno));
        rc = 1;
        goto out;
    }
    s.stop_fd = pfd[0];
    s.stop_wfd = pfd[1];
    model_stop_wfd = pfd[1];
    if (model_got_stop != 0)
        (void)!write(s.stop_wfd, "s", 1);
    if (srv_proto_init(&s, err) == -1 || m->serve(&s, err) == -1) {
        serve_logf("-", "%s: %s", o->model, err);
        rc = 1;
    } else {
        rc = model_got_stop != 0 ? 128 + model_got_stop : 0;
    }
    if (o->daemon) {
        pidfile_remove(o->pidfile);
        serve_logf("-", "stopped (%s)", rc > 128 ? strsignal(rc - 128)
                                                 : "failed");
        closelog();
    }
out:
    close_fd(&s.listen_fd);
    close_fd(&s.stop_fd);
    close_fd(&s.stop_wfd);
    return rc;
}
