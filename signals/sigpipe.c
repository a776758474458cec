/* sigpipe.c - the lesson of SIGPIPE: the process that writes to a pipe or
 * socket whose reader is gone is killed, unless it says otherwise.
 *
 * What it shows.  write(2) to a pipe with no reader, or to a stream socket
 * whose peer has closed, raises SIGPIPE in the writer, and SIGPIPE's
 * default action is to terminate: a server that writes a reply to a
 * client that just left dies silently, exit status "killed by signal 13".
 * Only when the signal is ignored, blocked or suppressed does the write
 * fail with EPIPE instead, which the program can handle.  Three rows:
 *   sigpipe/killed    a child with the default action writes to a pipe,
 *                     then another to a Unix stream socket, whose other
 *                     ends are closed: each is killed by SIGPIPE (13)
 *   sigpipe/ignored   signal(SIGPIPE, SIG_IGN): the same writes fail with
 *                     EPIPE, the process lives (what most servers do once
 *                     at start-up)
 *   sigpipe/nosignal  send(..., MSG_NOSIGNAL) on the socket, SIGPIPE left
 *                     at its default (blocked here, to check that nothing
 *                     was raised): EPIPE, no signal pending.  Per call,
 *                     sockets only: library code that must not change the
 *                     process's signal dispositions uses it (or
 *                     SO_NOSIGPIPE on the BSDs).
 * Each iteration checks the outcome (the termination signal, the errno,
 * the pending set) and the run fails with what happened otherwise; the
 * note states what was observed.  Throughput rows: msgs/s is writes (or,
 * for killed, children written to death) per second.  Per run:
 * --iterations, at most 1000 (killed: 200, two children each).
 * Over TCP the first write after the peer's close still succeeds (the
 * peer answers it with RST); the second gets EPIPE/SIGPIPE.
 *
 * Kernel objects.  A pipe and a socketpair per iteration, closed at its
 * end; for killed, two children per iteration, reaped with waitpid before
 * the next (this transport forks: its subject is a process's death).
 *
 * Copies.  None: no byte is ever delivered.
 *
 * Waiting.  killed: the parent sleeps in waitpid until the child is dead.
 *
 * Protocol (killed, one medium):
 *
 *      parent (harness's producer)          child
 *      ---------------------------          -----
 *      pipe(); close(read end)
 *      fork() ----------------------------> SIGPIPE default, unblocked
 *                                           write(write end)  -> SIGPIPE
 *      waitpid: WIFSIGNALED, WTERMSIG 13 <- killed
 *
 * See pipe(7) ("I/O on pipes and FIFOs"), signal(7), send(2) (MSG_NOSIGNAL),
 * write(2) (EPIPE).
 *
 * Usage: ipclab run sigpipe  (or bin/sigpipe)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../bench/transport.h"
#include "../bench/util.h"

enum sigpipe_kind { SIGPIPE_KILLED, SIGPIPE_IGNORED, SIGPIPE_NOSIGNAL };
enum sigpipe_medium { MEDIUM_PIPE, MEDIUM_SOCKET };

#define SIGPIPE_MAX 1000u       /* writes per run */
#define SIGPIPE_MAX_KILLED 200u /* iterations per run of killed: 2 forks */

/* A pipe or a socketpair with its reading end closed: the writable end. */
static int sigpipe_orphan(enum sigpipe_medium m, int *wfd, char *err)
{
    int fds[2];

    if (m == MEDIUM_PIPE ? pipe(fds)
                         : socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC,
                                      0, fds))
        return err_sys(err, m == MEDIUM_PIPE ? "pipe" : "socketpair");
    if (m == MEDIUM_PIPE) {
        close_fd(&fds[0]);      /* the reader is gone */
        *wfd = fds[1];
    } else {
        close_fd(&fds[1]);      /* the peer is gone */
        *wfd = fds[0];
    }
    return 0;
}

/* A child writes to the orphaned end with SIGPIPE at its default: the
 * termination signal it died of in *sig (0 if it was not killed). */
static int sigpipe_child_dies(enum sigpipe_medium m, int *sig, char *err)
{
    sigset_t pipe_set;
    int wfd, status;
    pid_t pid, parent = getpid();

    if (sigpipe_orphan(m, &wfd, err) == -1)
        return -1;
    pid = fork();
    if (pid == -1) {
        close_fd(&wfd);
        return err_sys(err, "fork");
    }
    if (pid == 0) {
        sigemptyset(&pipe_set);
        sigaddset(&pipe_set, SIGPIPE);
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent ||
            signal(SIGPIPE, SIG_DFL) == SIG_ERR ||
            sigprocmask(SIG_UNBLOCK, &pipe_set, NULL) == -1)
            _exit(2);
        (void)write(wfd, "x", 1);   /* never returns, if all is well */
        _exit(errno == EPIPE ? 3 : 4);
    }
    close_fd(&wfd);
    while (waitpid(pid, &status, 0) == -1)
        if (errno != EINTR)
            return err_sys(err, "waitpid");
    *sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    if (*sig != SIGPIPE)
        return err_set(err, "the writer to a %s without a reader %s %d, "
                            "expected killed by SIGPIPE (%d)",
                       m == MEDIUM_PIPE ? "pipe" : "socket",
                       *sig ? "was killed by signal" : "exited with status",
                       *sig ? *sig : WEXITSTATUS(status), SIGPIPE);
    return 0;
}

/* One write to the orphaned end, in this process: EPIPE expected, and no
 * SIGPIPE pending (it is blocked or ignored here, never fatal). */
static int sigpipe_write_epipe(enum sigpipe_medium m, int flags, char *err)
{
    sigset_t pending;
    ssize_t n;
    int wfd, e;

    if (sigpipe_orphan(m, &wfd, err) == -1)
        return -1;
    n = m == MEDIUM_SOCKET ? send(wfd, "x", 1, flags) : write(wfd, "x", 1);
    e = errno;
    close_fd(&wfd);
    if (n != -1 || e != EPIPE)
        return err_set(err, "write to a %s without a reader: %s, expected "
                            "EPIPE", m == MEDIUM_PIPE ? "pipe" : "socket",
                       n == -1 ? strerror(e) : "it succeeded");
    if (sigpending(&pending) == -1)
        return err_sys(err, "sigpending");
    if (sigismember(&pending, SIGPIPE))
        return err_set(err, "SIGPIPE was raised (and is pending) despite "
                            "%s", flags ? "MSG_NOSIGNAL" : "SIG_IGN");
    return 0;
}

struct sigpipe_priv {
    struct sigaction old_action;
    sigset_t old_mask;
    int changed;                /* old_action/old_mask to restore */
};

/* ignored: SIG_IGN; nosignal: default action but blocked, so a SIGPIPE
 * raised by mistake would show as pending instead of killing us. */
static int sigpipe_dispose(struct sigpipe_priv *p, int kind, char *err)
{
    struct sigaction sa;
    sigset_t pipe_set;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = kind == SIGPIPE_IGNORED ? SIG_IGN : SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    if (sigprocmask(kind == SIGPIPE_NOSIGNAL ? SIG_BLOCK : SIG_UNBLOCK,
                    &pipe_set, &p->old_mask) == -1)
        return err_sys(err, "sigprocmask");
    if (sigaction(SIGPIPE, &sa, &p->old_action) == -1) {
        (void)sigprocmask(SIG_SETMASK, &p->old_mask, NULL);
        return err_sys(err, "sigaction SIGPIPE");
    }
    p->changed = 1;
    return 0;
}

static void sigpipe_restore(struct sigpipe_priv *p)
{
    if (!p->changed)
        return;
    (void)sigaction(SIGPIPE, &p->old_action, NULL);
    (void)sigprocmask(SIG_SETMASK, &p->old_mask, NULL);
    p->changed = 0;
}

/* One iteration of the variant; *events = writes (or deaths) in it. */
static int sigpipe_once(struct sigpipe_priv *p, int kind, int *sig,
                        char *err)
{
    int rc;

    if (kind == SIGPIPE_KILLED)
        return sigpipe_child_dies(MEDIUM_PIPE, sig, err) == -1 ? -1
               : sigpipe_child_dies(MEDIUM_SOCKET, sig, err);
    if (sigpipe_dispose(p, kind, err) == -1)
        return -1;
    if (kind == SIGPIPE_IGNORED)
        rc = sigpipe_write_epipe(MEDIUM_PIPE, 0, err) == -1 ? -1
             : sigpipe_write_epipe(MEDIUM_SOCKET, 0, err);
    else
        rc = sigpipe_write_epipe(MEDIUM_SOCKET, MSG_NOSIGNAL, err);
    sigpipe_restore(p);
    return rc;
}

/* Parent: the lesson once, for the note: what this machine did. */
static int sigpipe_create(struct tp_channel *ch, char *err)
{
    struct sigpipe_priv *p = calloc(1, sizeof(*p));
    int sig = 0;

    if (p == NULL)
        return err_sys(err, "calloc");
    ch->priv = p;
    if (sigpipe_once(p, ch->tp->variant, &sig, err) == -1)
        return -1;
    if (ch->tp->variant == SIGPIPE_KILLED)
        snprintf(ch->note, NOTE_LEN, "pipe and socket writers killed by "
                 "signal %d (%s)", sig, strsignal(sig));
    else if (ch->tp->variant == SIGPIPE_IGNORED)
        snprintf(ch->note, NOTE_LEN, "SIGPIPE ignored: pipe and socket "
                 "writes fail with EPIPE (errno %d)", EPIPE);
    else
        snprintf(ch->note, NOTE_LEN, "send MSG_NOSIGNAL: EPIPE (errno %d), "
                 "no SIGPIPE raised", EPIPE);
    return 0;
}

static int sigpipe_attach(struct tp_channel *ch, char *err)
{
    (void)ch;
    (void)err;
    return 0;
}

static int sigpipe_custom(struct tp_channel *ch, struct tp_counts *counts,
                          char *err)
{
    int kind = ch->tp->variant, sig;
    uint64_t max = kind == SIGPIPE_KILLED ? SIGPIPE_MAX_KILLED : SIGPIPE_MAX;
    uint64_t n = ch->messages < max ? ch->messages : max;
    uint64_t per = kind == SIGPIPE_NOSIGNAL ? 1 : 2;

    for (uint64_t i = 0; i < n; i++) {
        if (sigpipe_once(ch->priv, kind, &sig, err) == -1)
            return -1;
        counts->sent = counts->received = (i + 1) * per;
    }
    return 0;
}

static void sigpipe_detach(struct tp_channel *ch)
{
    sigpipe_restore(ch->priv);
}

static void sigpipe_destroy(struct tp_channel *ch)
{
    if (ch->priv != NULL)
        sigpipe_restore(ch->priv);
    free(ch->priv);
    ch->priv = NULL;
}

#define SIGPIPE_TRANSPORT(id, tp_name, kind, text)                         \
    static const struct transport id = {                                   \
        .name = tp_name,                                                   \
        .family = TP_SIGNALS,                                              \
        .summary = text,                                                   \
        .caps = TP_SOLO | TP_NO_SIZE | TP_NO_PAYLOAD | TP_NO_LATENCY,      \
        .syscalls = TP_SYSCALLS_NOT_A_CHANNEL,                             \
        .variant = kind,                                                   \
        .create = sigpipe_create,                                          \
        .attach = sigpipe_attach,                                          \
        .custom = sigpipe_custom,                                          \
        .detach = sigpipe_detach,                                          \
        .destroy = sigpipe_destroy,                                        \
    };                                                                     \
    TRANSPORT_REGISTER(id)

SIGPIPE_TRANSPORT(sigpipe_killed, "sigpipe/killed", SIGPIPE_KILLED,
                  "write to a pipe/socket with no reader: killed by SIGPIPE");
SIGPIPE_TRANSPORT(sigpipe_ignored, "sigpipe/ignored", SIGPIPE_IGNORED,
                  "the same write with SIGPIPE ignored: EPIPE");
SIGPIPE_TRANSPORT(sigpipe_nosignal, "sigpipe/nosignal", SIGPIPE_NOSIGNAL,
                  "send(MSG_NOSIGNAL) to a closed socket: EPIPE, no signal");
