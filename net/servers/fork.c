/* fork.c - a child process per connection, reaped by a SIGCHLD handler.
 *
 * What it is.  The classic Unix server: the parent only accepts; for each
 * connection it forks a child that serves that one client and exits.  A
 * child that crashes takes one connection with it, never the server;
 * the price is a fork (page tables copied, copy-on-write faults after)
 * and an exit per connection.  Choose it for long, independent sessions
 * that must be isolated (sshd, the classic inetd "nowait" services).
 *
 * Reaping, done right (see sigaction(2), waitpid(2), signal(7)): a
 * SIGCHLD handler installed with sigaction and SA_RESTART (accept is
 * restarted; poll is not and returns EINTR, which the loop retries) and
 * SA_NOCLDSTOP (no signal when a child merely stops); the handler loops
 * on waitpid(-1, WNOHANG) because SIGCHLD is a standard signal: children
 * ending together may raise it once; it saves errno (its last waitpid
 * leaves ECHILD behind) and touches only volatile sig_atomic_t counters.
 * At the stop the parent waits in sigsuspend until every child it forked
 * has been reaped, then checks with waitpid that none is left: no zombie,
 * ever, or the run fails.
 *
 * Copies.  Two each way, as for any socket: the request into the kernel
 * and out to the server, the reply the same way back (TCP or Unix).
 *
 * Kernel objects.  The listening socket; per connection a child process
 * holding the connected socket (the parent closes its copy at once).
 * Children die with the server (PR_SET_PDEATHSIG).
 *
 * Who accepts, reads and waits where:
 *
 *      load (C clients)         parent                  child (one per client)
 *      connect --------------> poll, accept
 *                               fork -----------------> close listener
 *                               close(conn)             read/write until EOF
 *      close ------------------------------------------> _exit(0)
 *                               SIGCHLD: handler reaps
 *      stop pipe -------------> sigsuspend until all reaped; return
 *
 * Usage: bin/server_fork --clients 1,16 (or: ipclab run server/fork)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../bench/util.h"
#include "server.h"

static volatile sig_atomic_t fork_reaped;      /* children reaped */
static volatile sig_atomic_t fork_failed;      /* of them, not _exit(0) */

static void fork_on_sigchld(int sig)
{
    int saved_errno = errno;    /* the loop ends with ECHILD */
    int status;

    (void)sig;
    while (waitpid(-1, &status, WNOHANG) > 0) {
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fork_failed++;
        fork_reaped++;
    }
    errno = saved_errno;
}

/* The child: one client, then _exit. */
static void fork_child(struct srv *s, int fd)
{
    char err[ERR_LEN];

    if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
        _exit(1);
    close(s->listen_fd);
    close(s->stop_fd);
    _exit(srv_serve_blocking(fd, s->msg_bytes, err) == 0 ? 0 : 1);
}

/* After the stop: sleep until the handler has reaped every child. */
static int fork_wait_children(sig_atomic_t forked, char *err)
{
    sigset_t chld, old;
    int status;

    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &chld, &old) == -1)
        return err_sys(err, "sigprocmask");
    while (fork_reaped < forked)
        sigsuspend(&old);       /* unblocks SIGCHLD and sleeps, atomically */
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (waitpid(-1, &status, WNOHANG) != -1 || errno != ECHILD)
        return err_set(err, "a child is left after the stop (zombie)");
    if (fork_failed > 0)
        return err_set(err, "%d of %d children failed", (int)fork_failed,
                       (int)forked);
    return 0;
}

static int fork_serve(struct srv *s, char *err)
{
    struct sigaction sa;
    sig_atomic_t forked = 0;
    int r;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = fork_on_sigchld;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigemptyset(&sa.sa_mask);
    fork_reaped = fork_failed = 0;
    if (sigaction(SIGCHLD, &sa, NULL) == -1)
        return err_sys(err, "sigaction SIGCHLD");
    while ((r = srv_wait_accept(s, s->listen_fd, err)) == 1) {
        int fd = srv_accept(s->listen_fd, 0, err);
        pid_t pid;

        if (fd == -1)
            break;
        pid = fork();
        if (pid == 0)
            fork_child(s, fd);
        close(fd);              /* the child has its own copy */
        if (pid == -1) {
            r = err_sys(err, "fork");
            break;
        }
        forked++;
    }
    if (fork_wait_children(forked, r == -1 ? (char[ERR_LEN]){ 0 } : err)
        == -1)
        r = -1;
    return r == -1 ? -1 : 0;
}

#define fork_model_summary "fork a child per connection, SIGCHLD reaper"
static const struct srv_model fork_model = {
    .name = "fork", .summary = fork_model_summary, .serve = fork_serve,
};
SRV_TRANSPORTS(fork);
TRANSPORT_REGISTER(fork_tcp);
TRANSPORT_REGISTER(fork_unix);
