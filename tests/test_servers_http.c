/* test_servers_http.c - --proto http.  Every model answers the load's
 * GETs with the fixed HTTP/1.1 response, every byte of every response
 * checked by the load, keep-alive and connect per request; `ipclab serve
 * --model M --proto http --daemon` answers a real client: two pipelined
 * GETs on one connection get two whole responses with the right
 * Content-Length, anything but GET is closed, and SIGTERM stops it and
 * removes its pid file; bad --model/--proto values exit 2 with one
 * line. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../bench/harness.h"
#include "../bench/transport.h"
#include "test_util.h"

struct model_case {
    char transport[40];
    unsigned clients;
    int connect;                /* --workload connect */
};

ParameterizedTestParameters(servers_http, every_model_speaks_http)
{
    static struct model_case cases[] = {
        { "server/iterative/tcp", 16, 0 }, { "server/fork/tcp", 16, 0 },
        { "server/prefork/tcp", 16, 0 }, { "server/thread/tcp", 16, 0 },
        { "server/pool/tcp", 16, 0 }, { "server/select/tcp", 16, 0 },
        { "server/poll/tcp", 16, 0 }, { "server/epoll/tcp", 16, 0 },
        { "server/epoll_et/tcp", 16, 0 },
        { "server/epoll_threads/tcp", 16, 0 },
        { "server/prefork_reuseport/tcp", 16, 0 },
        { "server/epoll/unix", 1, 0 }, { "server/epoll/tcp", 16, 1 },
        { "server/fork/unix", 16, 1 },
    };
    return cr_make_param_array(struct model_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

/* 4 GETs per client; the body (1000 bytes) and the whole header are
 * compared byte by byte with the response the load expects. */
ParameterizedTest(struct model_case *c, servers_http, every_model_speaks_http,
                  .timeout = 120)
{
    struct bench_config cfg = tu_config();
    struct bench_result res;

    *(unsigned *)tu_option_value("clients") = c->clients;
    *(int *)tu_option_value("proto") = 1;          /* echo, http */
    *(int *)tu_option_value("workload") = c->connect;
    cfg.iterations = 4 * c->clients;
    tu_run_cfg(&cfg, c->transport, MODE_LATENCY, 1000, &res);
    cr_assert_eq(res.status, RES_OK, "%s: %s", c->transport, res.reason);
    cr_expect_eq(res.verified, 1);
    cr_expect_eq(res.lost, 0);
    cr_expect(strstr(res.note, "http") != NULL, "%s", res.note);
}

/* ---- ipclab serve --model ----------------------------------------------- */

static char dir[64] = "";
static char pidfile[128];
static pid_t daemon_pid;

static void make_dir(void)
{
    snprintf(dir, sizeof(dir), "/tmp/servers-http-XXXXXX");
    cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
    snprintf(pidfile, sizeof(pidfile), "%s/serve.pid", dir);
}

static void cleanup(void)
{
    if (daemon_pid > 0)
        kill(daemon_pid, SIGKILL);
    if (dir[0] != '\0') {
        unlink(pidfile);
        rmdir(dir);
    }
}

static int connect_port(unsigned port)
{
    struct sockaddr_in in = { .sin_family = AF_INET,
                              .sin_port = htons((uint16_t)port) };
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_geq(fd, 0);
    cr_assert_eq(connect(fd, (struct sockaddr *)&in, sizeof(in)), 0,
                 "connect: %s", strerror(errno));
    return fd;
}

/* Read until n bytes or EOF; the count. */
static size_t read_upto(int fd, char *buf, size_t n)
{
    size_t got = 0;

    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);

        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return got;
}

static int gone_within(pid_t pid, int ms)
{
    struct timespec ts = { 0, 10 * 1000 * 1000 };
    char path[64], buf[256], *p;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    for (int t = 0; t <= ms; t += 10) {
        FILE *fp = fopen(path, "r");
        size_t n;

        if (fp == NULL)
            return 1;
        n = fread(buf, 1, sizeof(buf) - 1, fp);
        fclose(fp);
        buf[n] = '\0';
        p = strrchr(buf, ')');
        if (p != NULL && p[2] == 'Z')
            return 1;           /* a zombie of an init that does not reap */
        nanosleep(&ts, NULL);
    }
    return 0;
}

struct serve_case {
    char model[24];
};

ParameterizedTestParameters(servers_http, serve_model_answers_a_real_client)
{
    static struct serve_case cases[] = {
        { "iterative" }, { "fork" }, { "prefork" }, { "thread" }, { "pool" },
        { "select" }, { "poll" }, { "epoll" }, { "epoll_et" },
        { "epoll_threads" },
    };
    return cr_make_param_array(struct serve_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

/* Every model, as `ipclab serve --model M --proto http --daemon`. */
ParameterizedTest(struct serve_case *c, servers_http,
                  serve_model_answers_a_real_client, .init = make_dir,
                  .fini = cleanup, .timeout = 60)
{
    char *argv[] = { "ipclab", "serve", "--model", c->model, "--proto",
                     "http", "--size", "100", "--daemon", "--pidfile",
                     pidfile, "--listen", "127.0.0.1:0", NULL };
    static const char get[] = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
    char out[1024], req[2 * sizeof(get)], resp[2048], *p;
    unsigned port = 0;
    int pid = 0, fd, rc;
    size_t one, got;

    rc = tu_cli("ipclab", argv, out, sizeof(out));
    cr_assert_eq(rc, 0, "status %d: %s", rc, out);
    p = strstr(out, "127.0.0.1:");
    cr_assert_not_null(p, "%s", out);
    cr_assert_eq(sscanf(p, "127.0.0.1:%u", &port), 1, "%s", out);
    p = strstr(out, "pid ");
    cr_assert_not_null(p, "%s", out);
    cr_assert_eq(sscanf(p, "pid %d", &pid), 1, "%s", out);
    daemon_pid = pid;

    /* two GETs in one write (pipelined), on one kept-alive connection */
    fd = connect_port(port);
    memcpy(req, get, sizeof(get) - 1);
    memcpy(req + sizeof(get) - 1, get, sizeof(get) - 1);
    cr_assert_eq(write(fd, req, 2 * (sizeof(get) - 1)),
                 (ssize_t)(2 * (sizeof(get) - 1)));
    got = read_upto(fd, resp, 1);
    p = NULL;
    for (int i = 0; i < 100 && p == NULL; i++) {   /* the first header */
        got += read_upto(fd, resp + got, 1);
        resp[got] = '\0';
        p = strstr(resp, "\r\n\r\n");
    }
    cr_assert_not_null(p, "no header: %s", resp);
    cr_expect(strncmp(resp, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", resp);
    cr_expect(strstr(resp, "Content-Length: 100\r\n") != NULL, "%s", resp);
    one = (size_t)(p + 4 - resp) + 100;
    got += read_upto(fd, resp + got, 2 * one - got);
    cr_expect_eq(got, 2 * one, "two whole responses");
    cr_expect_eq(memcmp(resp, resp + one, one), 0, "the same bytes twice");
    close(fd);

    /* not a GET: the connection is closed, not answered */
    fd = connect_port(port);
    cr_assert_eq(write(fd, "POST / HTTP/1.1\r\n\r\n", 19), 19);
    cr_expect_eq(read_upto(fd, resp, sizeof(resp)), 0);
    close(fd);

    cr_assert_eq(kill(daemon_pid, SIGTERM), 0);
    cr_expect(gone_within(daemon_pid, 10000), "%s: still running after "
              "SIGTERM", c->model);
    cr_expect_eq(access(pidfile, F_OK), -1, "%s: the pid file is still "
                 "there", c->model);
    if (gone_within(daemon_pid, 0))
        daemon_pid = 0;         /* else the fixture kills it */
}

struct bad_case {
    char a[16], b[24], c[16], d[16];
};

ParameterizedTestParameters(servers_http, bad_serve_values_exit_2)
{
    static struct bad_case cases[] = {
        { "--model", "nope", "", "" },
        { "--proto", "http", "", "" },
        { "--model", "epoll", "--proto", "gopher" },
        { "--model", "epoll", "--size", "0" },
        { "--model", "epoll", "--size", "1M" },
        { "--model", "epoll", "--workers", "0" },
        { "--model", "prefork_reuseport", "", "" },
    };
    return cr_make_param_array(struct bad_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_case *c, servers_http, bad_serve_values_exit_2,
                  .timeout = 30)
{
    char out[1024];
    char *argv[] = { "ipclab", "serve", "--listen", "127.0.0.1:0", c->a,
                     c->b, c->c[0] ? c->c : NULL, c->d, NULL };
    int rc = tu_cli("ipclab", argv, out, sizeof(out));

    cr_expect_eq(rc, 2, "%s %s %s %s: status %d: %s", c->a, c->b, c->c, c->d,
                 rc, out);
    cr_expect_eq(strchr(out, '\n'), out + strlen(out) - 1, "one line: %s",
                 out);
}
