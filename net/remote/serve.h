/* serve.h - what the files of `ipclab serve` share: the options
 * (serve_opts.c parses them), listening and starting (serve.c), and the
 * --model server (serve_model.c).  Entry-point code: these print, and
 * serve_parse() and serve_usage_error() exit. */
#ifndef IPCLAB_REMOTE_SERVE_H
#define IPCLAB_REMOTE_SERVE_H

#include <stddef.h>

#include "remote.h"

#define SERVE_MAX_SESSIONS 4    /* default --max-sessions */
#define SERVE_HELLO_S 10        /* default --hello-timeout */
#define SERVE_IDLE_S 30         /* default --idle-timeout */
#define SERVE_RUN_S 300         /* default --run-timeout */

struct serve_opts {
    const char *listen;         /* ADDR[:PORT] */
    struct remote_limits lim;
    unsigned max_sessions;
    unsigned long sessions;     /* stop after this many (0: never) */
    int daemon;                 /* --daemon: detach, log to syslog */
    const char *model;          /* --model: serve with a server model */
    int http;                   /* --proto http */
    unsigned long size;         /* --size: request (echo) or body (http) */
    unsigned long workers;      /* --workers: prefork, pool, epoll_threads */
    const char *pidfile;        /* --pidfile: absolute once parsed */
};

/* ---- the command line (serve_opts.c) ------------------------------------ */

/* "ipclab serve: MESSAGE" on stderr, exit 2. */
void serve_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
/* Fill o from argv, or exit: 0 after --help, 2 with one line on bad input
 * (also --pidfile without --daemon, --model unknown, --proto http alone). */
void serve_parse(int argc, char **argv, struct serve_opts *o);
/* --pidfile as an absolute path: the daemon's cwd is /. */
int serve_pidfile_absolute(struct serve_opts *o, char *err);

/* ---- listening and starting (serve.c) ----------------------------------- */

/* A listening TCP socket on spec (ADDR[:PORT]); shown gets the address
 * it is bound to.  -1 with err. */
int serve_listen(const char *spec, char *shown, size_t shownlen, char *err);
/* Listening: say so, or (--daemon) detach, write the pid file and say so
 * through the starting process; in_daemon as for serve_daemonize().  0 go
 * on serving (foreground or the daemon); 1 + an exit status for the
 * starting process; -1 the daemon could not start. */
int serve_start(const struct serve_opts *o, int lfd, const char *shown,
                void (*in_daemon)(void));

/* ---- --model (serve_model.c) -------------------------------------------- */

/* Serve with the server model o->model until SIGINT or SIGTERM; the exit
 * status of the command. */
int serve_model(struct serve_opts *o);

#endif
