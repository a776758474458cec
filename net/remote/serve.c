/* serve.c - `ipclab serve`, the entry point and the session server: the
 * consumer side of the net transports, for measurements between two hosts.
 *
 *      host B$ ipclab serve --listen 10.0.0.2
 *      host A$ ipclab run tcp --connect 10.0.0.2 --sizes 64K,1M
 *
 * One session per run (the client connects once per warm-up run and rep),
 * until interrupted.  No client can hold the server:
 *
 *      parent (one poll loop)                  session child (one per run)
 *      ----------------------                  ---------------------------
 *      accept; up to 64 connections saying
 *        hello, each with a deadline for the
 *        whole hello; the oldest gives way
 *        when a 65th arrives
 *      read hello bytes as they come; check
 *        garbage/too big: refuse, close
 *        probe: answer, close
 *        --max-sessions running: "busy", close
 *        else fork ----------------------->   answer; bench_consume() with a
 *      close its copy                          deadline for the run and an
 *      SIGCHLD: reap (ppoll, so none is        idle limit on every read and
 *        missed), log abnormal ends            write; result; _exit
 *
 * The parent never blocks on a client: its only wait is ppoll(), with
 * SIGCHLD, SIGINT and SIGTERM blocked everywhere else, so a child's end
 * or a stop request is seen at once.  A child that outlives every deadline
 * anyway is killed by an alarm; a parent that dies takes its children
 * along (PR_SET_PDEATHSIG); SIGINT/SIGTERM stop the children and reap
 * them before exiting.  One line per connection on stderr, written with
 * one write() so lines from concurrent sessions never mix.  Binds
 * loopback unless --listen says otherwise: listening on a real interface
 * is a decision to make out loud.
 *
 * --daemon (daemon.c) detaches the classic way, after listening and
 * before serving; --model M (serve_model.c) serves with a server model
 * instead of sessions; the command line is serve_opts.c.
 *
 * This is a program entry point: it prints and returns an exit status.
 */
#define _GNU_SOURCE             /* accept4, ppoll */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "../../bench/command.h"
#include "../../bench/util.h"
#include "daemon.h"
#include "remote.h"
#include "serve.h"

#define SERVE_MAX_GREETING 64   /* connections still saying hello */

struct greeter {                /* a connection still saying hello */
    int fd;
    size_t got;
    uint8_t hello[REMOTE_HELLO_BYTES];
    int64_t deadline_ms;
    char peer[96];
};

struct kid {                    /* a session child */
    pid_t pid;
    char peer[96];
};

struct server {
    struct serve_opts o;
    int lfd;
    struct greeter g[SERVE_MAX_GREETING];
    unsigned ng;
    struct kid *kids;
    unsigned nkids;
    unsigned long accepted;
    int64_t accept_again_ms;    /* out of descriptors: pause accept */
};

static volatile sig_atomic_t got_chld, got_stop, got_hup;

static void on_signal(int sig)
{
    if (sig == SIGCHLD)
        got_chld = 1;
    else if (sig == SIGHUP)
        got_hup = 1;
    else
        got_stop = sig;
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- listening and starting --------------------------------------------- */

int serve_listen(const char *spec, char *shown, size_t shownlen, char *err)
{
    char host[256], port[16];
    struct addrinfo hints, *res;
    struct sockaddr_storage addr;
    socklen_t len = sizeof(addr);
    int fd, rc, on = 1;

    if (remote_split_hostport(spec, host, sizeof(host), port, sizeof(port),
                              REMOTE_DEFAULT_PORT, 1, err) == -1)
        return -1;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0)
        return err_set(err, "--listen %s: %s", spec, gai_strerror(rc));
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        freeaddrinfo(res);
        return err_sys(err, "socket");
    }
    /* a restarted server may bind while old sessions sit in TIME_WAIT */
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1) {
        err_sys(err, "setsockopt SO_REUSEADDR");
        goto fail;
    }
    if (bind(fd, res->ai_addr, res->ai_addrlen) == -1) {
        err_sys_ctx(err, "bind", spec);
        goto fail;
    }
    if (listen(fd, SOMAXCONN) == -1 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) == -1) {
        err_sys(err, "listen/getsockname");
        goto fail;
    }
    freeaddrinfo(res);
    remote_addr_string((struct sockaddr *)&addr, len, shown, shownlen);
    return fd;
fail:
    freeaddrinfo(res);
    close(fd);
    return -1;
}

/* Listening: say so, or (--daemon) detach, write the pid file and say so
 * through the starting process.  0 go on serving (foreground or the
 * daemon); 1 + an exit status for the starting process; -1 the daemon
 * could not start (said to the starting process and syslog). */
int serve_start(const struct serve_opts *o, int lfd, const char *shown,
                void (*in_daemon)(void))
{
    char err[ERR_LEN] = "", ready[160];
    int notify = -1, status = 1, rc;

    if (!o->daemon) {
        fprintf(stderr, "ipclab serve: listening on %s%s\n", shown,
                o->model == NULL ? "" : o->http ? " (http)" : " (echo)");
        fflush(stderr);
        return 0;
    }
    rc = serve_daemonize(lfd, &notify, &status, in_daemon, err);
    if (rc == -1)
        fprintf(stderr, "ipclab serve: %s\n", err);
    if (rc != 0)
        return rc == -1 ? 2 : 1 + status;
    if (o->pidfile != NULL && pidfile_write(o->pidfile, err) == -1) {
        syslog(LOG_ERR, "%s", err);
        serve_notify(&notify, 0, err);
        return -1;
    }
    snprintf(ready, sizeof(ready), "listening on %s%s (daemon, pid %d)",
             shown, o->model == NULL ? "" : o->http ? " (http)" : " (echo)",
             (int)getpid());
    serve_log("-", ready);
    serve_notify(&notify, 1, ready);
    return 0;
}

/* ---- the parent: greetings ---------------------------------------------- */

static void greeter_drop(struct server *s, unsigned i)
{
    close_fd(&s->g[i].fd);
    s->g[i] = s->g[--s->ng];
}

static void answer_and_close(struct server *s, unsigned i, unsigned status,
                             const char *why)
{
    struct remote_reply r;

    memset(&r, 0, sizeof(r));
    r.status = status;
    snprintf(r.msg, sizeof(r.msg), "%.*s", REMOTE_MSG_LEN - 1, why);
    /* a fresh connection's send buffer is empty: 128 bytes go at once */
    (void)remote_send_reply(s->g[i].fd, &r, 0);
    greeter_drop(s, i);
}

static void start_session(struct server *s, unsigned i,
                          const struct remote_hello *h)
{
    struct greeter g = s->g[i];
    sigset_t none;
    pid_t parent = getpid(), pid;

    pid = fork();
    if (pid == -1) {
        serve_logf(g.peer, "failed: fork: %s", strerror(errno));
        answer_and_close(s, i, 1, "the server cannot start a session now");
        return;
    }
    if (pid == 0) {
        unsigned backstop_s = (unsigned)((3 * (int64_t)s->o.lim.hello_ms +
                                          s->o.lim.run_ms) / 1000) + 5;
        int rc;

        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGCHLD, SIG_DFL);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        /* the parent gone (even by SIGKILL): so are we */
        if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != parent)
            _exit(1);
        close(s->lfd);
        for (unsigned k = 0; k < s->ng; k++)
            if (k != i)
                close(s->g[k].fd);
        alarm(backstop_s);      /* every deadline failed: SIGALRM ends it */
        rc = remote_session_run(g.fd, h, &s->o.lim, g.peer, serve_log);
        _exit(rc == 0 ? 0 : 1);
    }
    s->kids[s->nkids].pid = pid;
    snprintf(s->kids[s->nkids].peer, sizeof(s->kids[0].peer), "%s", g.peer);
    s->nkids++;
    greeter_drop(s, i);
}

/* A whole hello arrived: refuse it, answer a probe, say busy, or start. */
static void hello_complete(struct server *s, unsigned i)
{
    struct remote_hello h;
    char err[ERR_LEN], busy[REMOTE_MSG_LEN];

    remote_hello_decode(s->g[i].hello, &h);
    if (remote_hello_check(&h, err) == -1) {
        serve_logf(s->g[i].peer, "refused: %s", err);
        answer_and_close(s, i, 1, err);
    } else if (h.messages == 0) {
        serve_log(s->g[i].peer, "probe: ok");
        answer_and_close(s, i, 0, "");
    } else if (s->nkids >= s->o.max_sessions) {
        snprintf(busy, sizeof(busy), "busy: %u runs in progress, the most "
                                     "this server takes; try again later",
                 s->nkids);
        serve_logf(s->g[i].peer, "%s", busy);
        answer_and_close(s, i, 1, busy);
    } else {
        start_session(s, i, &h);
    }
}

static void greeter_read(struct server *s, unsigned i)
{
    struct greeter *g = &s->g[i];
    ssize_t n = read(g->fd, g->hello + g->got, sizeof(g->hello) - g->got);

    if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
                    errno == EINTR))
        return;
    if (n <= 0) {
        serve_logf(g->peer, "dropped: %s after %zu of %d bytes of hello",
                   n == 0 ? "closed" : strerror(errno), g->got,
                   REMOTE_HELLO_BYTES);
        greeter_drop(s, i);
        return;
    }
    g->got += (size_t)n;
    if (g->got == sizeof(g->hello))
        hello_complete(s, i);
}

static void serve_accept(struct server *s)
{
    struct sockaddr_storage from;
    socklen_t from_len = sizeof(from);
    struct greeter *g;
    int fd = accept4(s->lfd, (struct sockaddr *)&from, &from_len,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (fd == -1) {
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
            errno == ENOMEM) {
            serve_logf("-", "accept: %s (pausing 100 ms)", strerror(errno));
            s->accept_again_ms = now_ms() + 100;
        }
        return;                 /* EAGAIN, ECONNABORTED, EINTR: next time */
    }
    s->accepted++;
    if (s->ng == SERVE_MAX_GREETING) {  /* the oldest gives way */
        unsigned oldest = 0;

        for (unsigned k = 1; k < s->ng; k++)
            if (s->g[k].deadline_ms < s->g[oldest].deadline_ms)
                oldest = k;
        serve_logf(s->g[oldest].peer, "dropped: still no hello after %d "
                   "newer connections", SERVE_MAX_GREETING);
        greeter_drop(s, oldest);
    }
    g = &s->g[s->ng++];
    memset(g, 0, sizeof(*g));
    g->fd = fd;
    g->deadline_ms = now_ms() + s->o.lim.hello_ms;
    remote_addr_string((struct sockaddr *)&from, from_len, g->peer,
                       sizeof(g->peer));
}

static void greeters_expire(struct server *s)
{
    int64_t now = now_ms();

    for (unsigned i = 0; i < s->ng;)
        if (s->g[i].deadline_ms <= now) {
            serve_logf(s->g[i].peer, "dropped: no whole hello in %d ms "
                       "(%zu of %d bytes)", s->o.lim.hello_ms, s->g[i].got,
                       REMOTE_HELLO_BYTES);
            greeter_drop(s, i);
        } else {
            i++;
        }
}

/* ---- the parent: children ----------------------------------------------- */

static void reap(struct server *s, int hang)
{
    int status;
    pid_t pid;

    while ((pid = waitpid(-1, &status, hang ? 0 : WNOHANG)) > 0) {
        for (unsigned k = 0; k < s->nkids; k++) {
            if (s->kids[k].pid != pid)
                continue;
            if (WIFSIGNALED(status))
                serve_logf(s->kids[k].peer, "session (pid %d) killed by "
                           "signal %d (%s)", (int)pid, WTERMSIG(status),
                           strsignal(WTERMSIG(status)));
            s->kids[k] = s->kids[--s->nkids];
            break;
        }
        if (hang && s->nkids == 0)
            break;
    }
}

static void stop_children(struct server *s)
{
    for (unsigned k = 0; k < s->nkids; k++)
        kill(s->kids[k].pid, SIGTERM);
    while (s->nkids > 0)
        reap(s, 1);
}

/* ---- the loop ----------------------------------------------------------- */

static int serve_loop(struct server *s, const sigset_t *waitmask)
{
    struct pollfd pfd[SERVE_MAX_GREETING + 1];

    for (;;) {
        int64_t now = now_ms(), wait_ms = -1;
        int accepting = (s->o.sessions == 0 || s->accepted < s->o.sessions)
                        && now >= s->accept_again_ms;
        nfds_t n = 0;
        struct timespec ts, *tsp = NULL;
        int rc;

        if (got_chld) {
            got_chld = 0;
            reap(s, 0);
        }
        if (got_hup) {          /* the daemon: a new log (rotated) */
            got_hup = 0;
            serve_log_reopen();
            serve_log("-", "SIGHUP: log reopened");
        }
        if (got_stop) {
            stop_children(s);
            while (s->ng > 0)
                greeter_drop(s, 0);
            return 128 + got_stop;
        }
        greeters_expire(s);
        if (s->o.sessions != 0 && s->accepted >= s->o.sessions &&
            s->ng == 0 && s->nkids == 0)
            return 0;
        for (unsigned i = 0; i < s->ng; i++) {
            pfd[n].fd = s->g[i].fd;
            pfd[n++].events = POLLIN;
            if (wait_ms == -1 || s->g[i].deadline_ms - now < wait_ms)
                wait_ms = s->g[i].deadline_ms - now;
        }
        if (accepting) {
            pfd[n].fd = s->lfd;
            pfd[n++].events = POLLIN;
        } else if (s->accept_again_ms > now &&
                   (wait_ms == -1 || s->accept_again_ms - now < wait_ms)) {
            wait_ms = s->accept_again_ms - now;
        }
        if (wait_ms >= 0) {
            ts.tv_sec = wait_ms / 1000;
            ts.tv_nsec = (wait_ms % 1000) * 1000000;
            tsp = &ts;
        }
        /* signals are blocked except inside ppoll: none slips between the
         * flag checks above and the wait */
        rc = ppoll(pfd, n, tsp, waitmask);
        if (rc == -1 && errno != EINTR) {
            fprintf(stderr, "ipclab serve: ppoll: %s\n", strerror(errno));
            stop_children(s);
            return 1;
        }
        if (rc <= 0)
            continue;
        if (accepting && pfd[n - 1].revents != 0)
            serve_accept(s);
        /* greeters in reverse: dropping one moves the last into its slot */
        for (unsigned i = s->ng; i-- > 0;) {
            int fd = s->g[i].fd;

            for (nfds_t k = 0; k < n; k++)
                if (pfd[k].fd == fd && pfd[k].revents != 0)
                    greeter_read(s, i);
        }
    }
}

static int serve_main(int argc, char **argv)
{
    static struct server s;     /* 64 greeters: not on the stack */
    struct sigaction sa;
    sigset_t block, waitmask;
    char err[ERR_LEN] = "", shown[96];
    int rc;
    pid_t holder;

    memset(&s, 0, sizeof(s));
    serve_parse(argc, argv, &s.o);
    if (serve_pidfile_absolute(&s.o, err) == -1)
        serve_usage_error("%s", err);
    if (s.o.pidfile != NULL && (holder = pidfile_holder(s.o.pidfile)) != 0)
        serve_usage_error("--pidfile %s: held by running process %d; stop "
                          "it first (kill -TERM %d)", s.o.pidfile,
                          (int)holder, (int)holder);
    if (s.o.model != NULL)
        return serve_model(&s.o);
    s.kids = calloc(s.o.max_sessions, sizeof(*s.kids));
    if (s.kids == NULL) {
        fprintf(stderr, "ipclab serve: calloc: %s\n", strerror(errno));
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);   /* a vanished client gives EPIPE */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_NOCLDSTOP;
    sigemptyset(&sa.sa_mask);
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    if (s.o.daemon)             /* SIGHUP: reopen the log */
        sigaddset(&block, SIGHUP);
    /* handlers before the daemon announces itself: a SIGTERM right after
     * the pid file appears still stops it cleanly */
    if (sigprocmask(SIG_BLOCK, &block, &waitmask) == -1 ||
        sigaction(SIGCHLD, &sa, NULL) == -1 ||
        sigaction(SIGINT, &sa, NULL) == -1 ||
        sigaction(SIGTERM, &sa, NULL) == -1 ||
        (s.o.daemon && sigaction(SIGHUP, &sa, NULL) == -1)) {
        fprintf(stderr, "ipclab serve: sigaction: %s\n", strerror(errno));
        free(s.kids);
        return 1;
    }
    sigdelset(&waitmask, SIGCHLD);  /* ppoll() waits with these open */
    sigdelset(&waitmask, SIGINT);
    sigdelset(&waitmask, SIGTERM);
    sigdelset(&waitmask, SIGHUP);
    s.lfd = serve_listen(s.o.listen, shown, sizeof(shown), err);
    if (s.lfd == -1 || fcntl(s.lfd, F_SETFL, O_NONBLOCK) == -1) {
        fprintf(stderr, "ipclab serve: %s\n", s.lfd == -1 ? err
                                                          : strerror(errno));
        free(s.kids);
        return 2;
    }
    rc = serve_start(&s.o, s.lfd, shown, NULL);
    if (rc != 0) {              /* the starting process, or no daemon */
        close_fd(&s.lfd);
        free(s.kids);
        return rc == -1 ? 1 : rc - 1;
    }
    rc = serve_loop(&s, &waitmask);
    close_fd(&s.lfd);
    free(s.kids);
    if (s.o.daemon) {
        pidfile_remove(s.o.pidfile);
        serve_logf("-", "stopped (%s)", rc > 128 ? strsignal(rc - 128)
                                                 : "done");
        closelog();
    }
    return rc;
}

static const struct ipclab_command serve_command = {
    .name = "serve",
    .usage = "serve [--listen ADDR[:PORT]] [--daemon [--pidfile FILE]]",
    .summary = "remote side of the net transports",
    .main = serve_main,
};
COMMAND_REGISTER(serve_command);
