/* serve_opts.c - the command line of `ipclab serve`: the usage text, the
 * options and their bounds, and every refusal made before anything starts
 * (one line on stderr, exit 2).  Entry-point code: it prints and exits. */
#define _GNU_SOURCE
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../bench/util.h"
#include "../servers/server.h"
#include "serve.h"

static void serve_usage(FILE *fp)
{
    fprintf(fp,
"usage: ipclab serve [--listen ADDR[:PORT]] [--max-sessions N]\n"
"                    [--hello-timeout T] [--idle-timeout T] [--run-timeout T]\n"
"                    [--sessions N] [--daemon [--pidfile FILE]]\n"
"       ipclab serve --model M [--proto echo|http] [--size N] [--workers N]\n"
"                    [--listen ADDR[:PORT]] [--daemon [--pidfile FILE]]\n"
"\n"
"Run the receiving side of the net transports (tcp, udp) for a client\n"
"`ipclab run tcp --connect HOST[:PORT]` on another host, until interrupted;\n"
"one line per connection on stderr.\n"
"\n"
"  --listen ADDR[:PORT]  address to listen on   [127.0.0.1:%d]\n"
"                        (0.0.0.0 or [::] for every interface; port 0:\n"
"                        any free port, printed on stderr)\n"
"  --max-sessions N      runs served at once; more get \"busy\"  [%d]\n"
"  --hello-timeout T     the whole hello; also the answer and the result\n"
"                        [%d s]\n"
"  --idle-timeout T      drop a client that moves no byte this long  [%d s]\n"
"  --run-timeout T       the whole data phase of one run  [%d s]\n"
"  --sessions N          exit after N connections   [0: never]\n"
"  --daemon              detach (double fork, setsid, fds 0-2 on /dev/null,\n"
"                        cwd /), log to syslog; SIGTERM stops it, SIGHUP\n"
"                        reopens the log\n"
"  --pidfile FILE        with --daemon: write the daemon's pid to FILE\n"
"                        (atomically); refused while a live process holds it\n"
"  --model M             serve with the server model M instead (epoll, fork,\n"
"                        ...: the code `ipclab run server/M` measures), until\n"
"                        SIGINT or SIGTERM\n"
"  --proto echo|http     --model: echo --size-byte requests, or answer GET\n"
"                        with a fixed HTTP/1.1 response  [echo]\n"
"  --size N              --model: request (echo) or body (http) bytes  [64]\n"
"  --workers N           --model: workers of prefork, pool, epoll_threads [4]\n"
"\n"
"T is seconds, or a number with a unit: 500ms, 2s.  Exit status: 0 after\n"
"--sessions connections, 2 bad usage or cannot listen, 128+signal when\n"
"stopped by SIGINT or SIGTERM.\n",
            REMOTE_DEFAULT_PORT, SERVE_MAX_SESSIONS, SERVE_HELLO_S,
            SERVE_IDLE_S, SERVE_RUN_S);
}

void serve_usage_error(const char *fmt, ...)
{
    va_list ap;

    fputs("ipclab serve: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

/* "30" (seconds) or "500ms", "2s": 1 ms to a day, in ms. */
static int parse_ms(const char *opt, const char *arg)
{
    unsigned long s;
    uint64_t ns;

    if (parse_ulong(arg, &s) == 0 && s >= 1 && s <= 86400)
        return (int)s * 1000;
    if (parse_interval(arg, &ns) == 0 && ns >= 1000000 &&
        ns <= (uint64_t)86400 * 1000000000)
        return (int)(ns / 1000000);
    serve_usage_error("%s: '%s' is not a duration from 1ms to 86400 s (a "
                      "number of seconds, or 500ms, 2s)", opt, arg);
}

static void serve_defaults(struct serve_opts *o)
{
    static char default_listen[32];

    snprintf(default_listen, sizeof(default_listen), "127.0.0.1:%d",
             REMOTE_DEFAULT_PORT);
    o->listen = default_listen;
    o->lim.hello_ms = SERVE_HELLO_S * 1000;
    o->lim.idle_ms = SERVE_IDLE_S * 1000;
    o->lim.run_ms = SERVE_RUN_S * 1000;
    o->max_sessions = SERVE_MAX_SESSIONS;
    o->sessions = 0;
    o->size = 64;
    o->workers = 4;
}

/* One option (getopt_long's c, with optarg), or exit. */
static void serve_option(int c, char **argv, struct serve_opts *o)
{
    unsigned long v;
    size_t sz;

    switch (c) {
    case 'l':
        o->listen = optarg;
        break;
    case 't':
        o->lim.idle_ms = parse_ms("--idle-timeout", optarg);
        break;
    case 'H':
        o->lim.hello_ms = parse_ms("--hello-timeout", optarg);
        break;
    case 'r':
        o->lim.run_ms = parse_ms("--run-timeout", optarg);
        break;
    case 'm':
        if (parse_ulong(optarg, &v) == -1 || v == 0 || v > 1024)
            serve_usage_error("--max-sessions: '%s' is not a number from 1 "
                              "to 1024", optarg);
        o->max_sessions = (unsigned)v;
        break;
    case 'n':
        if (parse_ulong(optarg, &v) == -1)
            serve_usage_error("--sessions: '%s' is not a whole number",
                              optarg);
        o->sessions = v;
        break;
    case 'd':
        o->daemon = 1;
        break;
    case 'M':
        o->model = optarg;
        break;
    case 'P':
        if (strcmp(optarg, "http") != 0 && strcmp(optarg, "echo") != 0)
            serve_usage_error("--proto: '%s' is not echo or http", optarg);
        o->http = strcmp(optarg, "http") == 0;
        break;
    case 'S':
        if (parse_size(optarg, &sz) == -1 || sz == 0 || sz > 65536)
            serve_usage_error("--size: '%s' is not a size from 1 to 64K",
                              optarg);
        o->size = sz;
        break;
    case 'W':
        if (parse_ulong(optarg, &v) == -1 || v == 0 ||
            v > SRV_MAX_LISTENERS)
            serve_usage_error("--workers: '%s' is not a number from 1 to %d",
                              optarg, SRV_MAX_LISTENERS);
        o->workers = v;
        break;
    case 'p':
        if (optarg[0] == '\0')
            serve_usage_error("--pidfile: an empty file name");
        o->pidfile = optarg;
        break;
    case 'h':
        serve_usage(stdout);
        exit(0);
    default:
        serve_usage_error("unknown option or missing value: '%s' (see ipclab "
                          "serve --help)", argv[optind - 1]);
    }
}

/* What the options ask for together. */
static void serve_check(const struct serve_opts *o)
{
    if (o->pidfile != NULL && !o->daemon)
        serve_usage_error("--pidfile goes with --daemon");
    if (o->model != NULL) {
        const struct srv_model *m = srv_model_find(o->model);
        char names[512];

        srv_model_names(names, sizeof(names));
        if (m == NULL)
            serve_usage_error("--model: '%s' is not a server model (%s)",
                              o->model, names);
        if (m->reuseport)
            serve_usage_error("--model %s: one listener per worker is not "
                              "available here; use prefork", o->model);
    } else if (o->http) {
        serve_usage_error("--proto http goes with --model");
    }
}

void serve_parse(int argc, char **argv, struct serve_opts *o)
{
    static const struct option longopts[] = {
        { "listen", required_argument, NULL, 'l' },
        { "idle-timeout", required_argument, NULL, 't' },
        { "hello-timeout", required_argument, NULL, 'H' },
        { "run-timeout", required_argument, NULL, 'r' },
        { "max-sessions", required_argument, NULL, 'm' },
        { "sessions", required_argument, NULL, 'n' },
        { "daemon", no_argument, NULL, 'd' },
        { "pidfile", required_argument, NULL, 'p' },
        { "model", required_argument, NULL, 'M' },
        { "proto", required_argument, NULL, 'P' },
        { "size", required_argument, NULL, 'S' },
        { "workers", required_argument, NULL, 'W' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    serve_defaults(o);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+l:t:H:r:m:n:dp:M:P:S:W:h",
                            longopts, NULL)) != -1)
        serve_option(c, argv, o);
    if (optind < argc)
        serve_usage_error("unexpected argument '%s'", argv[optind]);
    serve_check(o);
}

/* --pidfile as an absolute path: the daemon's cwd is /. */
int serve_pidfile_absolute(struct serve_opts *o, char *err)
{
    static char abs[PATH_MAX];
    char cwd[PATH_MAX];

    if (o->pidfile == NULL || o->pidfile[0] == '/')
        return 0;
    if (getcwd(cwd, sizeof(cwd)) == NULL)
        return err_sys(err, "getcwd");
    if ((size_t)snprintf(abs, sizeof(abs), "%s/%s", cwd, o->pidfile) >=
        sizeof(abs))
        return err_set(err, "--pidfile %s: name too long", o->pidfile);
    o->pidfile = abs;
    return 0;
}
