/* daemon.h - `ipclab serve --daemon` (daemon.c): detaching the classic way,
 * the pid file, the word to the starting process, and the log (stderr, or
 * syslog once detached).  Entry-point code: messages go to the log. */
#ifndef IPCLAB_REMOTE_DAEMON_H
#define IPCLAB_REMOTE_DAEMON_H

#include <sys/types.h>

/* One line, one write() (or one syslog message once detached): concurrent
 * sessions share stderr.  Fits remote_log_fn (remote.h). */
void serve_log(const char *peer, const char *msg);
void serve_logf(const char *peer, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* SIGHUP in the daemon: close and open syslog again (rotated logs). */
void serve_log_reopen(void);

/* Detach (fork, setsid, fork, umask, chdir /, fds 0-2 on /dev/null, other
 * fds closed, syslog).  0 in the daemon, with *notify the pipe for
 * serve_notify(); in_daemon(), if not NULL, runs in the daemon right after
 * the second fork.  1 in the starting process once the daemon said its
 * word, with *status its exit status (0 ready, 1 not).  -1 with err when
 * nothing detached.  lfd stays open in the daemon. */
int serve_daemonize(int lfd, int *notify, int *status, void (*in_daemon)(void),
                    char *err);
/* The daemon's word to the starting process ("ready" or why not); closes
 * *fd.  Does nothing once *fd is closed (-1). */
void serve_notify(int *fd, int ok, const char *msg);

/* The pid a pid file names if that process is alive, else 0. */
pid_t pidfile_holder(const char *path);
/* Write our pid to path atomically (err must start ""); refused if a live
 * process other than us holds it meanwhile. */
int pidfile_write(const char *path, char *err);
/* Remove the pid file if it still names us (path NULL: nothing). */
void pidfile_remove(const char *path);

#endif
