/* sigchld.c - a process's life cycle as IPC: fork, exit, SIGCHLD, waitpid.
 *
 * What it is.  When a child ends, the kernel keeps its exit status in a
 * zombie and sends the parent SIGCHLD; the parent collects the status with
 * waitpid(2), which frees the zombie.  Every harness run depends on it, and
 * so does every shell and server that starts processes.  The pattern done
 * right, see sigaction(2), waitpid(2), signal(7):
 *   - sigaction with SA_RESTART (system calls the handler interrupts are
 *     restarted) and SA_NOCLDSTOP (no SIGCHLD when a child merely stops);
 *   - the handler loops on waitpid(-1, &status, WNOHANG) until nothing is
 *     left, because SIGCHLD is a standard signal: ten children ending
 *     together may raise it once;
 *   - the handler saves and restores errno (the loop's last waitpid may
 *     set it to ECHILD under the feet of the interrupted code), and
 *     touches only volatile sig_atomic_t counters.
 *
 * Transports:
 *   sigchld/fork-reap   latency: one round trip = fork a child that
 *                       _exit()s at once, wait (sigsuspend) until the
 *                       handler has reaped it.  TP_SOLO: the harness's
 *                       producer is the parent.
 *   sigchld/reap-many   throughput (custom): fork N children (default
 *                       100, --children N) that wait on one pipe, close
 *                       it so they all exit together, reap them all.  Row:
 *                       sent = children that exited, received = SIGCHLD
 *                       deliveries (handler runs), lost = coalesced ones.
 *                       The run fails unless every child was reaped, each
 *                       with status 0, and no zombie is left.
 *
 * Kernel objects.  The children (task_struct, pid; a zombie until reaped)
 * and, for reap-many, one pipe.  Everything is reaped before the call
 * returns; a child that outlives a killed parent dies with it
 * (PR_SET_PDEATHSIG) or sees EOF on the pipe.
 *
 * Copies.  None: nothing but the event crosses (TP_NO_PAYLOAD, verified
 * n/a).  The parent still checks that the child reaped is the one it
 * forked and that it exited with the status it was told to.
 *
 * Waiting.  SIGCHLD is blocked in attach() (before any fork) and unblocked
 * only inside sigsuspend(), atomically with the sleep, so a child that dies
 * between `while (reaped < target)` and the sleep is not missed.
 *
 * Protocol (fork-reap, one round trip):
 *
 *      parent (harness's producer)           child
 *      ---------------------------           -----
 *      fork() ----------------------------->  _exit(i % 100)
 *      sigsuspend()  <------- SIGCHLD -------  (zombie)
 *        handler: waitpid(-1, WNOHANG) loop, count, save status
 *      check pid and status
 *
 * Usage: bin/sigchld [--mode latency] [--children N]
 *        (or: ipclab run sigchld)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../bench/transport.h"
#include "../bench/util.h"

enum sigchld_kind { SIGCHLD_FORK_REAP, SIGCHLD_REAP_MANY };

static unsigned long sigchld_children_opt = 100;    /* --children */
static const struct tp_option sigchld_children_option = {
    .name = "children",
    .type = OPT_UINT,
    .value = &sigchld_children_opt,
    .arg = "N",
    .help = "sigchld/reap-many: children exiting together, 1..1000 "
            "(default 100)",
    .min = 1, .max = 1000, .applies = "sigchld/reap-many",
};
TRANSPORT_OPTION(sigchld_children_option);

/* Written by the handler only (the main code reads them with SIGCHLD
 * blocked, or inside sigsuspend's return). */
static volatile sig_atomic_t sigchld_reaped;     /* children reaped */
static volatile sig_atomic_t sigchld_runs;       /* handler invocations */
static volatile sig_atomic_t sigchld_last_pid;   /* last one reaped */
static volatile sig_atomic_t sigchld_last_status;
static volatile sig_atomic_t sigchld_bad;        /* status != _exit(0) */

static void sigchld_handler(int sig)
{
    int saved_errno = errno;    /* waitpid ends the loop with ECHILD */
    int status;
    pid_t pid;

    (void)sig;
    sigchld_runs++;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        sigchld_last_pid = pid;
        sigchld_last_status = status;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            sigchld_bad++;      /* reap-many: every child exits 0 */
        sigchld_reaped++;
    }
    errno = saved_errno;
}

struct sigchld_priv {
    unsigned long children;     /* reap-many: N */
    struct sigaction old_action;
    sigset_t old_mask, wait_mask;
    int handled, blocked;
    pid_t child;                /* fork-reap: the child of this round */
    unsigned long rounds;       /* fork-reap: rounds done */
};

static int sigchld_create(struct tp_channel *ch, char *err)
{
    struct sigchld_priv *p = calloc(1, sizeof(*p));

    if (p == NULL)
        return err_sys(err, "calloc");
    ch->priv = p;
    p->children = sigchld_children_opt;
    if (ch->tp->variant == SIGCHLD_REAP_MANY) {
        if (p->children == 0 || p->children > 10000)
            return err_set(err, "--children must be 1..10000");
        snprintf(ch->note, NOTE_LEN, "per run %lu children exit, all "
                 "reaped; lost = SIGCHLDs coalesced, summed over reps",
                 p->children);
    } else {
        snprintf(ch->note, NOTE_LEN, "fork + exit + SIGCHLD + waitpid");
    }
    return 0;
}

/* In the harness's producer, before any fork: handler, then block. */
static int sigchld_attach(struct tp_channel *ch, char *err)
{
    struct sigchld_priv *p = ch->priv;
    struct sigaction sa;
    sigset_t chld;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = sigchld_handler;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigemptyset(&sa.sa_mask);
    sigchld_reaped = sigchld_runs = sigchld_bad = 0;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &chld, &p->old_mask) == -1)
        return err_sys(err, "sigprocmask");
    p->blocked = 1;
    p->wait_mask = p->old_mask;
    sigdelset(&p->wait_mask, SIGCHLD);
    if (sigaction(SIGCHLD, &sa, &p->old_action) == -1)
        return err_sys(err, "sigaction");
    p->handled = 1;
    return 0;
}

/* Fork a child that dies at once with exit status `code`. */
static int sigchld_spawn(pid_t *pid, int code, char *err)
{
    *pid = fork();
    if (*pid == -1)
        return err_sys(err, "fork");
    if (*pid == 0)
        _exit(code);            /* no atexit handlers, no stdio flush */
    return 0;
}

/* Sleep until the handler has reaped `target` children in total. */
static void sigchld_wait_reaped(struct sigchld_priv *p, long target)
{
    while (sigchld_reaped < target)     /* SIGCHLD blocked: no race */
        sigsuspend(&p->wait_mask);      /* always -1/EINTR */
}

/* fork-reap: "send" is the fork, "recv" is SIGCHLD + waitpid. */
static int sigchld_send(struct tp_channel *ch, const void *buf, size_t len,
                        char *err)
{
    struct sigchld_priv *p = ch->priv;

    (void)buf;
    (void)len;                  /* 0: TP_NO_PAYLOAD */
    return sigchld_spawn(&p->child, (int)(p->rounds % 100), err);
}

static int sigchld_recv(struct tp_channel *ch, void *buf, size_t len,
                        const void **msg, char *err)
{
    struct sigchld_priv *p = ch->priv;
    int want = (int)(p->rounds % 100);

    (void)len;
    sigchld_wait_reaped(p, (long)p->rounds + 1);
    p->rounds++;
    *msg = buf;
    if (sigchld_last_pid != p->child || !WIFEXITED(sigchld_last_status) ||
        WEXITSTATUS(sigchld_last_status) != want)
        return err_set(err, "reaped pid %d status 0x%x, expected pid %d "
                            "exit %d", (int)sigchld_last_pid,
                       (unsigned)sigchld_last_status, (int)p->child, want);
    return 0;
}

/* reap-many: N children block on a pipe; closing it releases them all. */
static int sigchld_custom(struct tp_channel *ch, struct tp_counts *counts,
                          char *err)
{
    struct sigchld_priv *p = ch->priv;
    pid_t parent = getpid(), pid;
    unsigned long forked = 0;
    int gate[2], ret = -1;
    char c;

    if (pipe(gate) == -1)
        return err_sys(err, "pipe");
    sigchld_reaped = sigchld_runs = sigchld_bad = 0;
    for (; forked < p->children; forked++) {
        pid = fork();
        if (pid == -1) {
            err_sys(err, "fork");
            goto release;
        }
        if (pid == 0) {
            close(gate[1]);
            if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
                getppid() != parent)
                _exit(2);
            while (read(gate[0], &c, 1) == -1 && errno == EINTR)
                ;               /* EOF: the parent closed the gate */
            _exit(0);
        }
    }
    ret = 0;
release:
    close_fd(&gate[0]);
    close_fd(&gate[1]);         /* every child sees EOF: all exit now */
    sigchld_wait_reaped(p, (long)forked);
    if (waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD) {
        ret = err_set(err, "a child is left after reaping %ld of %lu",
                      (long)sigchld_reaped, forked);
    } else if (ret == 0 && sigchld_bad != 0) {
        ret = err_set(err, "%ld children did not exit normally",
                      (long)sigchld_bad);
    }
    if (ret == 0) {
        counts->sent = forked;
        counts->received = (uint64_t)sigchld_runs;
        counts->lost = forked - (uint64_t)sigchld_runs;
    }
    return ret;
}

static void sigchld_detach(struct tp_channel *ch)
{
    struct sigchld_priv *p = ch->priv;

    if (p->handled)
        (void)sigaction(SIGCHLD, &p->old_action, NULL);
    if (p->blocked)
        (void)sigprocmask(SIG_SETMASK, &p->old_mask, NULL);
    p->handled = p->blocked = 0;
}

static void sigchld_destroy(struct tp_channel *ch)
{
    free(ch->priv);
    ch->priv = NULL;
}

static const struct transport sigchld_fork_reap = {
    .name = "sigchld/fork-reap",
    .family = TP_SIGNALS,
    .summary = "fork, child exits, SIGCHLD, waitpid: one round trip each",
    .caps = TP_SOLO | TP_NO_SIZE | TP_NO_PAYLOAD | TP_NO_THROUGHPUT |
            TP_NOT_ONE_WAY,
    /* clone, and the child's set_robust_list, exit_group; sigsuspend, 2 x
     * waitpid, sigreturn */
    .copies = TP_COPIES(0), .syscalls = TP_SYSCALLS(3, 4),
    .variant = SIGCHLD_FORK_REAP,
    .create = sigchld_create,
    .attach = sigchld_attach,
    .send = sigchld_send,
    .recv = sigchld_recv,
    .detach = sigchld_detach,
    .destroy = sigchld_destroy,
};
TRANSPORT_REGISTER(sigchld_fork_reap);

static const struct transport sigchld_reap_many = {
    .name = "sigchld/reap-many",
    .family = TP_SIGNALS,
    .summary = "N children exit together: SIGCHLDs coalesce, all reaped",
    .caps = TP_SOLO | TP_NO_SIZE | TP_NO_PAYLOAD | TP_NO_LATENCY,
    /* per child: clone; its set_robust_list, close, prctl, getppid, read,
     * exit_group; waitpid - plus, per SIGCHLD that did not coalesce, a
     * sigsuspend return, a sigreturn and the waitpid that finds none.
     * How many coalesce is what this row measures, so its calls per
     * child are not a property of a channel (8 when all coalesce; 9-11
     * seen on a loaded machine). */
    .copies = TP_COPIES(0), .syscalls = TP_SYSCALLS_NOT_A_CHANNEL,
    .variant = SIGCHLD_REAP_MANY,
    .create = sigchld_create,
    .attach = sigchld_attach,
    .custom = sigchld_custom,
    .detach = sigchld_detach,
    .destroy = sigchld_destroy,
};
TRANSPORT_REGISTER(sigchld_reap_many);
