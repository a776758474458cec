/* daemon.c - `ipclab serve --daemon`: detaching the classic way, the pid
 * file, and where messages go.
 *
 * serve_daemonize() takes the steps of daemon(7), "SysV Daemons", each
 * commented where it is made: fork, setsid, fork again, umask, chdir /,
 * fds 0-2 on /dev/null, other inherited fds closed, syslog.  The process
 * that ran the command waits on a pipe for the daemon's word (serve_notify:
 * ready, or why not) and exits with it, so `ipclab serve --daemon && next`
 * is safe.  The pid file (--pidfile) is written atomically (a temporary
 * file renamed over it), refused while the pid in it is alive, taken over
 * from a dead one, and removed at the end if it still names us.
 *
 * serve_log(): one line per message, on stderr in one write() (sessions
 * share it), or to syslog once detached.
 *
 * Entry-point code of `ipclab serve` (serve.c): it may _exit in the
 * daemon's children; the rest returns -1 with a message. */
#define _GNU_SOURCE             /* close_range, mkostemp */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "../../bench/util.h"
#include "daemon.h"

static int log_to_syslog;       /* --daemon: stderr is /dev/null */

/* One line, one write(): concurrent sessions share stderr. */
void serve_log(const char *peer, const char *msg)
{
    char when[32], line[1024];
    time_t now = time(NULL);
    struct tm tm;
    int n;

    if (log_to_syslog) {        /* the daemon: syslog stamps the time */
        syslog(LOG_INFO, "%s: %s", peer, msg);
        return;
    }
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S",
             localtime_r(&now, &tm));
    n = snprintf(line, sizeof(line), "ipclab serve: %s %s: %s\n", when, peer,
                 msg);
    if (n >= (int)sizeof(line)) {
        n = (int)sizeof(line) - 1;
        line[n - 1] = '\n';
    }
    (void)!write(STDERR_FILENO, line, (size_t)n);
}

void serve_logf(const char *peer, const char *fmt, ...)
{
    char msg[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    serve_log(peer, msg);
}

void serve_log_reopen(void)
{
    closelog();
    openlog("ipclab-serve", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* ---- the pid file ------------------------------------------------------- */

/* The pid a pid file names if that process is alive, else 0 (no file,
 * garbage, or a dead process: a file left by a crash is taken over). */
pid_t pidfile_holder(const char *path)
{
    char buf[32], *end;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;
    long pid;

    if (fd == -1)
        return 0;
    while ((n = read(fd, buf, sizeof(buf) - 1)) == -1 && errno == EINTR)
        ;
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    pid = strtol(buf, &end, 10);
    if (pid <= 0 || pid > INT32_MAX || (*end != '\n' && *end != '\0'))
        return 0;
    if (kill((pid_t)pid, 0) == 0 || errno == EPERM)
        return (pid_t)pid;
    return 0;
}

/* Write our pid atomically: a temporary file beside it, complete and on
 * disk, then rename(2) over the name, so a reader sees either no file or
 * a whole one, never half a number. */
int pidfile_write(const char *path, char *err)  /* err: "" */
{
    char tmp[PATH_MAX + 16], line[32];
    int fd, len = snprintf(line, sizeof(line), "%d\n", (int)getpid());
    pid_t holder;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp))
        return err_set(err, "--pidfile %s: name too long", path);
    fd = mkostemp(tmp, O_CLOEXEC);      /* mode 0600 ... */
    if (fd == -1)
        return err_sys_ctx(err, "mkostemp", tmp);
    if (fchmod(fd, 0644) == -1)         /* ... readable by all, as usual */
        err_sys_ctx(err, "fchmod", tmp);
    else if (write_full(fd, line, (size_t)len, err) == 0 && fsync(fd) == -1)
        err_sys_ctx(err, "fsync", tmp);
    if (err[0] != '\0') {
        close(fd);
        unlink(tmp);
        return -1;
    }
    close(fd);
    holder = pidfile_holder(path);      /* one started meanwhile? */
    if (holder != 0 && holder != getpid()) {
        unlink(tmp);
        return err_set(err, "--pidfile %s: held by running process %d",
                       path, (int)holder);
    }
    if (rename(tmp, path) == -1) {
        err_sys_ctx(err, "rename", path);
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* Remove the pid file if it is still ours. */
void pidfile_remove(const char *path)
{
    if (path != NULL && pidfile_holder(path) == getpid())
        unlink(path);
}

/* ---- detaching ---------------------------------------------------------- */

/* Close every descriptor above 2 but the two kept (close_range(2) over
 * the gaps). */
static void close_others(int keep1, int keep2)
{
    int lo = keep1 < keep2 ? keep1 : keep2, hi = keep1 < keep2 ? keep2 : keep1;

    if (lo > 3)
        close_range(3, (unsigned)lo - 1, 0);
    if (hi > lo + 1)
        close_range((unsigned)lo + 1, (unsigned)hi - 1, 0);
    close_range((unsigned)hi + 1, ~0u, 0);
}

/* The starting process: wait for the daemon's word on rfd (it ends when
 * the daemon closes its end), reap the middle process, say the word. */
static void daemon_wait_word(int rfd, pid_t middle, int *status)
{
    char msg[ERR_LEN + 64];
    size_t got = 0;
    ssize_t n;

    while (got < sizeof(msg) - 1 &&
           ((n = read(rfd, msg + got, sizeof(msg) - 1 - got)) > 0 ||
            (n == -1 && errno == EINTR)))
        got += n > 0 ? (size_t)n : 0;
    msg[got] = '\0';
    close(rfd);
    while (waitpid(middle, NULL, 0) == -1 && errno == EINTR)
        ;                       /* the middle process: gone at once */
    if (got == 0)
        snprintf(msg, sizeof(msg), "the daemon ended before it was "
                 "ready (see syslog)");
    fprintf(stderr, "ipclab serve: %s\n", msg + (msg[0] == '+'));
    *status = msg[0] == '+' ? 0 : 1;
}

/* Detach from the terminal the classic way (see daemon(7), "SysV
 * Daemons").  Returns 0 in the daemon, with *notify the pipe on which it
 * says "ready" (or why not) to the process that ran the command; that
 * process waits for the word and returns 1 with *status its exit status
 * (0 ready, 1 not), so `ipclab serve --daemon && next` is safe.  -1 with
 * err on failure before anything detached. */
int serve_daemonize(int lfd, int *notify, int *status, void (*in_daemon)(void),
                    char *err)
{
    int pfd[2], fd;
    pid_t pid;

    if (pipe2(pfd, O_CLOEXEC) == -1)
        return err_sys(err, "pipe2");
    /* 1. fork: the child is not a process-group leader, so setsid works;
     *    the parent stays to report the daemon's word */
    pid = fork();
    if (pid == -1) {
        close(pfd[0]);
        close(pfd[1]);
        return err_sys(err, "fork");
    }
    if (pid > 0) {
        close(pfd[1]);
        daemon_wait_word(pfd[0], pid, status);
        return 1;
    }
    close(pfd[0]);
    /* 2. setsid: a new session and process group, led by us, with no
     *    controlling terminal: a hang-up or ^C there no longer reaches us */
    if (setsid() == -1)
        _exit(1);
    /* 3. fork again: the session leader leaves, and its child, not a
     *    leader, can never acquire a controlling terminal by opening one */
    pid = fork();
    if (pid == -1)
        _exit(1);
    if (pid > 0)
        _exit(0);
    if (in_daemon != NULL)
        in_daemon();            /* --model: the process that serves */
    /* 4. umask: files we create get the modes we ask for, minus group and
     *    other write, whatever the shell's umask was */
    umask(022);
    /* 5. chdir /: we hold no directory busy (a mount point can unmount) */
    if (chdir("/") == -1)
        _exit(1);
    /* 6. stdin, stdout, stderr on /dev/null: a stray printf or a library's
     *    message goes nowhere instead of into someone's socket or file */
    fd = open("/dev/null", O_RDWR);
    if (fd == -1 || dup2(fd, STDIN_FILENO) == -1 ||
        dup2(fd, STDOUT_FILENO) == -1 || dup2(fd, STDERR_FILENO) == -1)
        _exit(1);
    if (fd > STDERR_FILENO)
        close(fd);
    /* 7. no descriptor of whoever started us but the listener and the
     *    pipe: a terminal, a pipe someone waits on to end, a file */
    close_others(lfd, pfd[1]);
    /* 8. messages to syslog from now on */
    openlog("ipclab-serve", LOG_PID | LOG_NDELAY, LOG_DAEMON);
    log_to_syslog = 1;
    *notify = pfd[1];
    return 0;
}

/* The daemon's word to the process that started it: '+' ready, else why
 * not.  Closing the pipe ends that process's wait either way. */
void serve_notify(int *fd, int ok, const char *msg)
{
    char line[ERR_LEN + 64];
    int n = snprintf(line, sizeof(line), "%s%s", ok ? "+" : "", msg);

    if (*fd < 0)
        return;
    if (n >= (int)sizeof(line))
        n = (int)sizeof(line) - 1;
    (void)!write(*fd, line, (size_t)n);
    close_fd(fd);
}
