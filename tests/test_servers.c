/* test_servers.c - the server family (net/servers/): every model serves
 * 1 and 8 clients over TCP and a Unix socket with every byte of every
 * reply verified by the load, and leaves no child, zombie, descriptor or
 * directory behind; the fork model reaps every child it forked; a client
 * that resets mid-request neither kills nor wedges any model; the rows
 * that cannot run here are n/a with the reason (select at FD_SETSIZE,
 * SO_REUSEPORT over a Unix socket); bad --clients values exit 2 with one
 * line.  Small on purpose: a few clients, a few round trips each. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../bench/figures.h"
#include "../net/servers/server.h"
#include "test_servers.h"

ParameterizedTestParameters(servers, every_model_serves_every_client)
{
    static struct model_case cases[] = {
        EVERY_MODEL_CASE(8),
    };
    return cr_make_param_array(struct model_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

/* 8 clients x 8 round trips of 100 bytes (not a multiple of 8: the
 * request pattern's tail is checked too), and nothing left after. */
ParameterizedTest(struct model_case *c, servers,
                  every_model_serves_every_client, .timeout = 120)
{
    struct bench_config cfg = tu_config();
    struct tu_leftovers before;
    struct bench_result res;

    set_clients(c->clients);
    cfg.iterations = 8 * c->clients;
    tu_exclusive_begin();
    tu_leftovers(&before);
    tu_run_cfg(&cfg, c->transport, MODE_LATENCY, 100, &res);
    cr_assert_eq(res.status, RES_OK, "%s, %u clients: %s", c->transport,
                 c->clients, res.reason);
    cr_expect_eq(res.verified, 1, "every reply compared byte by byte");
    cr_expect_eq(res.facts.clients, c->clients);
    cr_expect_eq(res.lost, 0);
    cr_expect_gt(res.msgs_per_s, 0);
    cr_expect_gt(res.rtt_ns[LAT_P50], 0);
    cr_expect_gt(res.consumer_cpu_ns_per_msg, 0, "the server's CPU time");
    tu_expect_no_leftovers(&before);
    tu_exclusive_end();
}

/* The fork model forks one child per connection and checks, before it
 * returns, that its SIGCHLD handler reaped every one (waitpid says
 * ECHILD); a run of 16 connections is ok only if so, and the test
 * process has no child or zombie after it either. */
Test(servers, fork_model_leaves_no_zombie, .timeout = 120)
{
    struct bench_config cfg = tu_config();
    struct tu_leftovers before;
    struct bench_result res;

    set_clients(16);
    cfg.iterations = 32;
    cfg.reps = 2;
    tu_exclusive_begin();
    tu_leftovers(&before);
    tu_run_cfg(&cfg, "server/fork/tcp", MODE_LATENCY, 64, &res);
    cr_assert_eq(res.status, RES_OK, "%s", res.reason);
    cr_expect_eq(waitpid(-1, NULL, WNOHANG), -1);
    cr_expect_eq(errno, ECHILD);
    tu_expect_no_leftovers(&before);
    tu_exclusive_end();
}

Test(servers, select_is_na_at_fd_setsize, .timeout = 60)
{
    struct bench_config cfg = tu_config();
    struct bench_result res;

    set_clients(1024);
    cfg.iterations = 2048;
    tu_run_cfg(&cfg, "server/select/tcp", MODE_LATENCY, 64, &res);
    cr_expect_eq(res.status, RES_NA, "%s", res.reason);
    cr_expect_eq(res.code, CODE_OVER_LIMIT);
    cr_expect(strstr(res.reason, "FD_SETSIZE") != NULL, "%s", res.reason);
}

Test(servers, reuseport_is_na_over_unix_sockets, .timeout = 60)
{
    struct bench_config cfg = tu_config();
    struct bench_result res;

    set_clients(1);
    tu_run_cfg(&cfg, "server/prefork_reuseport/unix", MODE_LATENCY, 64,
               &res);
    cr_expect_eq(res.status, RES_NA, "%s", res.reason);
    cr_expect(strstr(res.reason, "SO_REUSEPORT") != NULL, "%s", res.reason);
}

/* ---- the row's arithmetic ------------------------------------------------ */

static int fake_custom(struct tp_channel *ch, struct tp_counts *c, char *err)
{
    (void)ch; (void)c; (void)err;
    return 0;
}

/* A server row: many round trips overlap, so requests/s is the replies
 * over the whole time (not 1 / mean round trip, which would say 1000/s
 * here), the percentiles are those of the samples, the server's CPU is
 * reported apart, and the load's word decides `verified`. */
Test(servers, row_counts_requests_over_the_run_not_one_round_trip)
{
    static const struct transport fake = {
        .name = "fake/server", .family = TP_NET, .custom = fake_custom,
    };
    uint64_t s[4] = { 1000000, 1000000, 1000000, 1000000 };
    struct run_counts c = { .t_start_ns = 0, .t_end_ns = 100000000,
                            .sent = 400, .received = 400, .verified = 1 };
    struct run_input in = {
        .tp = &fake, .mode = MODE_LATENCY, .size_bytes = 64,
        .verify = VERIFY_SUM, .messages = 400, .cpu_ns = 4e6,
        .consumer_cpu_ns = 1e6, .counts = &c, .samples_ns = s,
        .nsamples = 4,
    };
    struct run_figures f;
    enum bench_code code;
    char why[ERR_LEN];

    cr_assert_eq(figures_run(&in, &f, &code, why), 0, "%s", why);
    cr_expect_float_eq(f.msgs_per_s, 4000, 1e-6);   /* 400 in 0.1 s */
    cr_expect_float_eq(f.rtt_ns[LAT_P50], 1e6, 1e-6);
    cr_expect_float_eq(f.cpu_ns_per_msg, 1e4, 1e-6);
    cr_expect_float_eq(f.consumer_cpu_ns_per_msg, 2500, 1e-6);
    cr_expect_eq(f.verified, 1);
    c.verified = 0;             /* the load found a wrong reply */
    cr_expect_eq(figures_run(&in, &f, &code, why), -1);
    cr_expect_eq(code, CODE_VERIFICATION_FAILED);
}

/* ---- a client that resets mid-request ---------------------------------- */

static int connect_to(const struct srv *s)
{
    int fd = socket(s->addr.ss_family, SOCK_STREAM, 0);

    cr_assert_geq(fd, 0);
    cr_assert_eq(connect(fd, (const struct sockaddr *)&s->addr, s->addrlen),
                 0, "connect: %s", strerror(errno));
    return fd;
}

/* Half a request, then close with SO_LINGER 0: the server sees a reset. */
static void reset_mid_request(const struct srv *s)
{
    struct linger lg = { .l_onoff = 1, .l_linger = 0 };
    char half[32] = { 1 };
    int fd = connect_to(s);

    cr_assert_eq(write(fd, half, sizeof(half)), (ssize_t)sizeof(half));
    usleep(20000);              /* let the server read the half */
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(fd);
}

/* A well-behaved client: three round trips, each echo compared. */
static void good_client(const struct srv *s, size_t len)
{
    char req[64], rep[64];
    int fd = connect_to(s);

    for (int k = 0; k < 3; k++) {
        size_t got = 0;

        memset(req, 'a' + k, len);
        cr_assert_eq(write(fd, req, len), (ssize_t)len);
        while (got < len) {
            ssize_t n = read(fd, rep + got, len - got);

            cr_assert_gt(n, 0, "round trip %d: the server stopped "
                         "answering", k);
            got += (size_t)n;
        }
        cr_assert_eq(memcmp(req, rep, len), 0);
    }
    close(fd);
}

ParameterizedTestParameters(servers, survives_a_reset_mid_request)
{
    static struct model_case cases[] = {
        { "server/iterative/tcp", 4 }, { "server/fork/tcp", 4 },
        { "server/prefork/tcp", 4 }, { "server/prefork_reuseport/tcp", 4 },
        { "server/thread/tcp", 4 }, { "server/pool/tcp", 4 },
        { "server/select/tcp", 4 }, { "server/poll/tcp", 4 },
        { "server/epoll/tcp", 4 }, { "server/epoll_et/tcp", 4 },
        { "server/epoll_threads/tcp", 4 }, { "server/epoll/unix", 4 },
    };
    return cr_make_param_array(struct model_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

/* Drive the transport by hand: the server (serve() in a child, as the
 * harness's consumer) gets a client that resets half-way through a
 * request, then good clients; it must answer them and end cleanly at the
 * stop. */
ParameterizedTest(struct model_case *c, servers, survives_a_reset_mid_request,
                  .timeout = 60)
{
    const struct transport *tp = transport_find(c->transport);
    struct tp_channel ch = { .tp = tp, .mode = MODE_LATENCY, .msg_bytes = 64,
                             .messages = 64 };
    char err[ERR_LEN] = "";
    struct srv *s;
    int st;
    pid_t pid;

    cr_assert_not_null(tp);
    set_clients(c->clients);
    tu_shared_begin();          /* its objects are no leftover check's */
    cr_assert_eq(tp->create(&ch, err), 0, "%s", err);
    s = ch.priv;
    pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        ch.role = ROLE_CONSUMER;
        signal(SIGPIPE, SIG_IGN);
        _exit(tp->attach(&ch, err) == 0 && tp->serve(&ch, err) == 0 ? 0
                                                                     : 1);
    }
    /* prefork_reuseport: a reset and a good client per listener, so that
     * every worker meets one whatever the hash */
    for (unsigned k = 0; k < (s->nlisten > 1 ? 8u : 1u); k++) {
        reset_mid_request(s);
        good_client(s, 64);
    }
    good_client(s, 64);
    cr_assert_eq(write(s->stop_wfd, "s", 1), 1);
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    tp->destroy(&ch);
    tu_shared_end();
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0,
              "the server failed after a reset (status 0x%x)", st);
}

/* ---- a slow client ------------------------------------------------------ */

/* Is fd readable within ms milliseconds? */
static int readable_within(int fd, int ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };

    return poll(&p, 1, ms) == 1;
}

ParameterizedTestParameters(servers, a_slow_client_blocks_only_iterative)
{
    static struct model_case cases[] = {
        { "server/iterative/tcp", 4 }, { "server/fork/tcp", 4 },
        { "server/prefork/tcp", 4 }, { "server/thread/tcp", 4 },
        { "server/pool/tcp", 4 }, { "server/select/tcp", 4 },
        { "server/poll/tcp", 4 }, { "server/epoll/tcp", 4 },
        { "server/epoll_et/tcp", 4 }, { "server/epoll_threads/tcp", 4 },
    };
    return cr_make_param_array(struct model_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

/* Client A connects first and stalls half-way through a request; client
 * B then sends a whole one.  Every model but the iterative one answers B
 * while A stalls.  The iterative server is still inside A's connection:
 * B's reply cannot come (asserted as an absence, whatever the machine's
 * speed) until A finishes and closes - head-of-line blocking. */
ParameterizedTest(struct model_case *c, servers,
                  a_slow_client_blocks_only_iterative, .timeout = 60)
{
    const struct transport *tp = transport_find(c->transport);
    struct tp_channel ch = { .tp = tp, .mode = MODE_LATENCY, .msg_bytes = 64,
                             .messages = 64 };
    int iterative = strstr(c->transport, "iterative") != NULL;
    char err[ERR_LEN] = "", req[64] = { 7 }, rep[64];
    struct srv *s;
    int a, b, st;
    pid_t pid;

    cr_assert_not_null(tp);
    set_clients(c->clients);
    tu_shared_begin();          /* its objects are no leftover check's */
    cr_assert_eq(tp->create(&ch, err), 0, "%s", err);
    s = ch.priv;
    pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        ch.role = ROLE_CONSUMER;
        signal(SIGPIPE, SIG_IGN);
        _exit(tp->attach(&ch, err) == 0 && tp->serve(&ch, err) == 0 ? 0
                                                                     : 1);
    }
    a = connect_to(s);
    cr_assert_eq(write(a, req, 32), 32);        /* half, then nothing */
    usleep(100000);             /* the server has accepted A */
    b = connect_to(s);
    cr_assert_eq(write(b, req, 64), 64);
    if (iterative) {
        cr_expect_not(readable_within(b, 300), "B was answered while the "
                      "iterative server was inside A's connection");
    } else {
        cr_expect(readable_within(b, 20000), "B was not answered while A "
                  "stalled");
    }
    cr_assert_eq(write(a, req + 32, 32), 32);   /* A finishes, leaves */
    cr_assert_eq(read(a, rep, 64), 64);
    close(a);
    cr_expect(readable_within(b, 20000), "B never answered");
    close(b);
    cr_assert_eq(write(s->stop_wfd, "s", 1), 1);
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    tp->destroy(&ch);
    tu_shared_end();
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status 0x%x", st);
}

/* ---- interrupted --------------------------------------------------------- */

/* pid and every process below it, depth first, into out. */
static int descendants(pid_t pid, pid_t *out, int max)
{
    pid_t kids[256];
    int n = tu_children(pid, kids, 256, 0, 0), k = 0;

    for (int i = 0; i < n && k < max; i++) {
        out[k++] = kids[i];
        k += descendants(kids[i], out + k, max - k);
    }
    return k;
}

static int gone_within(pid_t pid, int ms)
{
    struct timespec ts = { 0, 10 * 1000 * 1000 };

    for (int t = 0; t <= ms; t += 10) {
        if (kill(pid, 0) == -1 && errno == ESRCH)
            return 1;
        nanosleep(&ts, NULL);
    }
    return 0;
}

ParameterizedTestParameters(servers, sigint_leaves_no_process_or_file)
{
    static struct model_case cases[] = {
        { "server/fork/unix", 8 }, { "server/prefork/tcp", 8 },
        { "server/thread/unix", 8 }, { "server/epoll/unix", 8 },
    };
    return cr_make_param_array(struct model_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

/* SIGINT in the middle of a long run: ipclab exits 130 and nothing it
 * started lives on - not the harness's two children, not the load
 * processes, not the server's children - and the Unix socket's
 * directory is gone. */
ParameterizedTest(struct model_case *c, servers,
                  sigint_leaves_no_process_or_file, .timeout = 60)
{
    char *argv[] = { "ipclab", "run", c->transport, "--mode", "latency",
                     "--clients", "8", "--iterations", "10000000",
                     "--reps", "1", "--warmup", "0", "--size", "64",
                     "--placement", "os", "--quiet", NULL };
    struct tu_leftovers before;
    pid_t pid, all[64], kids[4];
    int n;

    tu_exclusive_begin();
    tu_leftovers(&before);
    pid = tu_spawn("ipclab", argv);
    cr_assert_eq(tu_children(pid, kids, 4, 2, 10000), 2);
    usleep(500000);             /* clients connected, server serving */
    n = descendants(pid, all, 64);
    cr_expect_geq(n, 4, "harness children + load processes: %d", n);
    kill(pid, SIGINT);
    cr_expect_eq(tu_wait_status(pid), 130);
    for (int i = 0; i < n; i++)
        cr_expect(gone_within(all[i], 5000), "process %d still alive",
                  (int)all[i]);
    tu_expect_no_leftovers(&before);
    tu_exclusive_end();
}

/* ---- the command line ------------------------------------------------- */

struct bad_case {
    char arg[16];
};

ParameterizedTestParameters(servers, bad_clients_exit_2_with_one_line)
{
    static struct bad_case cases[] = { { "3" }, { "0" }, { "-4" },
                                       { "4,x" }, { "" } };
    return cr_make_param_array(struct bad_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_case *c, servers,
                  bad_clients_exit_2_with_one_line, .timeout = 30)
{
    char out[1024];
    int rc = tu_cli("ipclab", (char *[]){ "ipclab", "run", "server/epoll",
                                          "--clients", c->arg, NULL },
                    out, sizeof(out));

    cr_expect_eq(rc, 2, "--clients '%s': status %d: %s", c->arg, rc, out);
    cr_expect_eq(strchr(out, '\n'), out + strlen(out) - 1, "one line: %s",
                 out);
}
