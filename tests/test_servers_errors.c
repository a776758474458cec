/* test_servers_errors.c - what the server family's load does when a
 * request fails, and the pool model under more clients than it holds.
 *
 * The load counts failed requests by kind and goes on: a refused connect
 * (a closed port, a socket file nobody listens on), a reset (the server
 * closes with SO_LINGER 0 half-way through a request), a timeout (the
 * server never answers, --request-timeout).  Each fault is caused by the
 * test playing the server, so the counts are exact, not timing-dependent.
 * A row with failed requests stays ok while every answered one was
 * verified, says how many failed in its note and in the errors_* columns;
 * a wrong byte still fails it.  --via picks the socket, a bad value exits
 * 2 with one line.  The pool (workers 1, queue 1) under four clients does
 * what net/servers/pool.c's header says: nothing refused, the others wait,
 * served one after the other in order.  No timed assertion: a poll with
 * a timeout only asserts an absence, which a slow machine cannot break. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../bench/figures.h"
#include "../bench/output.h"
#include "../net/servers/server.h"
#include "test_servers.h"

/* ---- the load, driven by hand against a server the test plays ---------- */

struct load_out {
    int rc;
    char err[ERR_LEN];
    struct tp_counts c;
    uint64_t samples[64];
};

struct rig {
    struct tp_channel ch;
    struct srv *s;
    struct load_out *out;
    pid_t pid;
};

/* create() the transport (its listener is the test's to accept on), then
 * only the load: custom() in a child, as the harness's producer, with
 * `per` requests for each of `clients` clients. */
static void rig_create(struct rig *r, const char *transport, unsigned per)
{
    const struct transport *tp = transport_find(transport);
    char err[ERR_LEN] = "";

    cr_assert_not_null(tp, "%s", transport);
    memset(r, 0, sizeof(*r));
    set_clients(1);
    r->ch = (struct tp_channel){ .tp = tp, .mode = MODE_LATENCY,
                                 .msg_bytes = 64, .messages = per };
    r->out = mmap(NULL, sizeof(*r->out), PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(r->out, MAP_FAILED);
    r->out->c.samples_ns = r->out->samples;
    r->out->c.max_samples = per;
    tu_shared_begin();          /* its objects are no leftover check's */
    cr_assert_eq(tp->create(&r->ch, err), 0, "%s", err);
    r->s = r->ch.priv;
}

static void rig_start_load(struct rig *r)
{
    r->pid = fork();
    cr_assert_geq(r->pid, 0);
    if (r->pid == 0) {
        r->ch.role = ROLE_PRODUCER;
        r->out->rc = r->ch.tp->attach(&r->ch, r->out->err) == 0
                         ? r->ch.tp->custom(&r->ch, &r->out->c, r->out->err)
                         : -1;
        _exit(0);
    }
}

/* Wait for the load, remove everything; the load's counts in r->out. */
static void rig_end(struct rig *r)
{
    int st;

    cr_assert_eq(waitpid(r->pid, &st, 0), r->pid);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the load died "
              "(status 0x%x)", st);
    r->ch.tp->destroy(&r->ch);
    tu_shared_end();
}

static void rig_free(struct rig *r)
{
    munmap(r->out, sizeof(*r->out));
}

/* Read exactly n bytes (the test's server side); 0 at EOF first. */
static size_t read_n(int fd, void *buf, size_t n)
{
    size_t got = 0;

    while (got < n) {
        ssize_t k = read(fd, (char *)buf + got, n - got);

        if (k == -1 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    return got;
}

/* Echo 64-byte requests on fd until the client closes, then close it. */
static void echo_until_eof(int fd)
{
    char buf[64];

    while (read_n(fd, buf, sizeof(buf)) == sizeof(buf))
        cr_assert_eq(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
    close(fd);
}

static int accept_one(const struct srv *s)
{
    int fd = accept(s->listen_fd, NULL, NULL);

    cr_assert_geq(fd, 0, "accept: %s", strerror(errno));
    return fd;
}

/* Connect per request, 1 client, 4 requests: the test echoes the first
 * two, and closes its listener after reading the second request and
 * before answering it - so the third connect finds nobody listening, and
 * so does the fourth.  Over TCP the kernel answers the SYN with a reset,
 * over a Unix socket the file has no listener: ECONNREFUSED both ways. */
static void refused_after_two(const char *transport)
{
    struct rig r;
    char buf[64];
    int fd;

    *(int *)tu_option_value("workload") = 1;    /* connect */
    rig_create(&r, transport, 4);
    rig_start_load(&r);
    echo_until_eof(accept_one(r.s));
    fd = accept_one(r.s);
    cr_assert_eq(read_n(fd, buf, 64), 64u);
    close(r.s->listen_fd);      /* the next connect is refused */
    r.s->listen_fd = r.s->listen_fds[0] = -1;
    cr_assert_eq(write(fd, buf, 64), 64);
    close(fd);
    rig_end(&r);
    cr_expect_eq(r.out->rc, 0, "%s", r.out->err);
    cr_expect_eq(r.out->c.sent, 4);
    cr_expect_eq(r.out->c.received, 2);
    cr_expect_eq(r.out->c.errors[TP_ERR_REFUSED], 2);
    cr_expect_eq(r.out->c.errors[TP_ERR_RESET], 0);
    cr_expect_eq(r.out->c.errors[TP_ERR_TIMEOUT], 0);
    cr_expect_eq(r.out->c.lost, 0);
    cr_expect_gt(r.out->samples[1], 0, "an answered request: a sample");
    cr_expect_eq(r.out->samples[2], 0, "a failed one: none");
    rig_free(&r);
}

Test(servers_errors, refused_connects_are_counted_over_tcp, .timeout = 60)
{
    refused_after_two("server/epoll/tcp");
}

Test(servers_errors, refused_connects_are_counted_over_unix, .timeout = 60)
{
    refused_after_two("server/epoll/unix");
}

/* Nothing listens at all (a TCP port bound but not listening: refused,
 * and held, so no other test can take it): every request is refused,
 * counted, and the run fails saying so - nothing was measured. */
Test(servers_errors, every_request_refused_fails_the_run_with_the_count,
     .timeout = 60)
{
    struct sockaddr_in in = { .sin_family = AF_INET };
    socklen_t len = sizeof(in);
    struct rig r;
    int held = socket(AF_INET, SOCK_STREAM, 0);

    cr_assert_geq(held, 0);
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(held, (struct sockaddr *)&in, sizeof(in)), 0);
    cr_assert_eq(getsockname(held, (struct sockaddr *)&in, &len), 0);
    rig_create(&r, "server/poll/tcp", 3);   /* keep-alive */
    memcpy(&r.s->addr, &in, sizeof(in));
    r.s->addrlen = sizeof(in);
    rig_start_load(&r);
    rig_end(&r);
    close(held);
    cr_expect_eq(r.out->rc, -1);
    cr_expect(strstr(r.out->err, "every request failed: 3 refused") != NULL,
              "%s", r.out->err);
    cr_expect_eq(r.out->c.received, 0);
    cr_expect_eq(r.out->c.errors[TP_ERR_REFUSED], 3);
    rig_free(&r);
}

/* Keep-alive, 1 client, 3 requests: the test reads half of the first
 * request and closes with SO_LINGER {1, 0} - a reset.  The load counts
 * it, opens a new connection for the next request (a dead keep-alive
 * connection is replaced, not the end of the client), and the test
 * echoes the other two there. */
Test(servers_errors, a_reset_mid_request_is_counted_and_the_client_goes_on,
     .timeout = 60)
{
    struct linger lg = { .l_onoff = 1, .l_linger = 0 };
    struct rig r;
    char buf[32];
    int fd;

    rig_create(&r, "server/epoll/tcp", 3);
    rig_start_load(&r);
    fd = accept_one(r.s);
    cr_assert_eq(read_n(fd, buf, 32), 32u);     /* half a request */
    cr_assert_eq(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
    close(fd);                                  /* RST */
    echo_until_eof(accept_one(r.s));
    rig_end(&r);
    cr_expect_eq(r.out->rc, 0, "%s", r.out->err);
    cr_expect_eq(r.out->c.received, 2);
    cr_expect_eq(r.out->c.errors[TP_ERR_RESET], 1);
    cr_expect_eq(r.out->c.errors[TP_ERR_REFUSED], 0);
    cr_expect_eq(r.out->c.errors[TP_ERR_TIMEOUT], 0);
    rig_free(&r);
}

/* --request-timeout 50: the test reads the first request and never
 * answers it; the load gives up on it (timed out), closes that
 * connection - the test sees EOF - and makes the second request on a new
 * one, which the test echoes.  The count does not depend on the
 * machine's speed: that first reply never comes. */
Test(servers_errors, a_request_never_answered_times_out_and_is_counted,
     .timeout = 60)
{
    struct rig r;
    char buf[64];
    int fd;

    *(unsigned long *)tu_option_value("request-timeout") = 50;
    rig_create(&r, "server/epoll/unix", 2);
    rig_start_load(&r);
    fd = accept_one(r.s);
    cr_assert_eq(read_n(fd, buf, 64), 64u);
    cr_assert_eq(read_n(fd, buf, 64), 0u, "the load closed it at its "
                 "timeout");
    close(fd);
    echo_until_eof(accept_one(r.s));
    rig_end(&r);
    cr_expect_eq(r.out->rc, 0, "%s", r.out->err);
    cr_expect_eq(r.out->c.received, 1);
    cr_expect_eq(r.out->c.errors[TP_ERR_TIMEOUT], 1);
    cr_expect_eq(r.out->c.errors[TP_ERR_RESET], 0);
    rig_free(&r);
}

/* A wrong byte is not an error to count: the run fails on it. */
Test(servers_errors, a_wrong_byte_still_fails_the_run, .timeout = 60)
{
    struct rig r;
    char buf[64];
    int fd;

    rig_create(&r, "server/epoll/tcp", 2);
    rig_start_load(&r);
    fd = accept_one(r.s);
    cr_assert_eq(read_n(fd, buf, 64), 64u);
    buf[10] ^= 1;
    cr_assert_eq(write(fd, buf, 64), 64);
    read_n(fd, buf, 64);        /* until the load gives up: EOF */
    close(fd);
    rig_end(&r);
    cr_expect_eq(r.out->rc, -1);
    cr_expect(strstr(r.out->err, "reply byte 10") != NULL, "%s",
              r.out->err);
    rig_free(&r);
}

/* ---- the row ----------------------------------------------------------- */

static int fake_custom(struct tp_channel *ch, struct tp_counts *c, char *err)
{
    (void)ch; (void)c; (void)err;
    return 0;
}

/* 400 requests, 3 failed: the row is ok (the 397 answered were verified),
 * the samples of the failed ones (0) are left out of the percentiles,
 * and the note and the errors_* columns say what failed; the load's word
 * that a reply was wrong still fails the row. */
Test(servers_errors, a_row_with_failed_requests_is_ok_and_says_so)
{
    static const struct transport fake = {
        .name = "fake/server", .family = TP_NET, .custom = fake_custom,
    };
    uint64_t s[4] = { 1000000, 0, 3000000, 2000000 };
    struct run_counts c = { .t_start_ns = 0, .t_end_ns = 100000000,
                            .sent = 400, .received = 397,
                            .errors = { 1, 1, 1 }, .verified = 1 };
    struct run_input in = {
        .tp = &fake, .mode = MODE_LATENCY, .size_bytes = 64,
        .verify = VERIFY_SUM, .messages = 400, .cpu_ns = 4e6,
        .consumer_cpu_ns = 1e6, .counts = &c, .samples_ns = s,
        .nsamples = 4,
    };
    struct bench_result res = { .tp = &fake, .mode = MODE_LATENCY,
                                .status = RES_OK };
    struct run_figures f;
    enum bench_code code;
    char why[ERR_LEN];

    cr_assert_eq(figures_run(&in, &f, &code, why), 0, "%s", why);
    cr_expect_eq(f.verified, 1);
    cr_expect_float_eq(f.rtt_ns[LAT_MIN], 1e6, 1e-6, "the 0 left out");
    cr_expect_float_eq(f.msgs_per_s, 3970, 1e-6, "answered ones only");
    figures_aggregate(&res, &f, 1);
    res.facts.clients = 4;
    cr_expect_eq(res.errors[TP_ERR_REFUSED], 1);
    cr_expect_eq(res.errors[TP_ERR_TIMEOUT], 1);
    figures_note(&res, "4 clients", VERIFY_SUM);
    cr_expect_str_eq(res.note, "4 clients; 3 requests failed (1 refused, "
                     "1 reset, 1 timed out)");
    c.verified = 0;             /* the load found a wrong reply */
    cr_expect_eq(figures_run(&in, &f, &code, why), -1);
    cr_expect_eq(code, CODE_VERIFICATION_FAILED);
}

/* The three columns are the last ones, after flags. */
Test(servers_errors, errors_columns_come_last)
{
    unsigned n = output_ncolumns;

    cr_expect_str_eq(output_columns[n - 4], "flags");
    cr_expect_str_eq(output_columns[n - 3], "errors_refused");
    cr_expect_str_eq(output_columns[n - 2], "errors_reset");
    cr_expect_str_eq(output_columns[n - 1], "errors_timeout");
}

/* A real run with nothing failing: the columns say 0, not empty (a
 * server row counts its errors). */
Test(servers_errors, a_clean_run_counts_zero_errors, .timeout = 120)
{
    char out[16384], *hdr, *row;
    int rc = tu_cli("ipclab", (char *[]){ "ipclab", "run",
                                          "server/epoll/unix", "--mode",
                                          "latency", "--clients", "2",
                                          "--iterations", "16", "--reps",
                                          "1", "--warmup", "0", "--size",
                                          "64", "--placement", "os",
                                          "--format", "csv", "--quiet",
                                          NULL },
                    out, sizeof(out));

    cr_assert_eq(rc, 0, "%s", out);
    hdr = strstr(out, "transport,");
    cr_assert_not_null(hdr, "%s", out);
    row = strstr(hdr, "\nserver/epoll/unix,net,latency");
    cr_assert_not_null(row, "%s", out);
    cr_expect(strstr(hdr, ",errors_refused,errors_reset,errors_timeout\n")
              != NULL, "%s", hdr);
    row = strtok(row + 1, "\n");
    cr_assert_gt(strlen(row), 6);
    cr_expect_str_eq(row + strlen(row) - 6, ",0,0,0", "%s", row);
}

/* ---- --via ------------------------------------------------------------- */

Test(servers_errors, via_picks_the_socket, .timeout = 120)
{
    char out[16384];
    int rc = tu_cli("ipclab", (char *[]){ "ipclab", "run", "server/epoll",
                                          "--via", "unix", "--mode",
                                          "latency", "--clients", "1",
                                          "--iterations", "8", "--reps",
                                          "1", "--warmup", "0", "--size",
                                          "64", "--placement", "os",
                                          "--format", "csv", "--quiet",
                                          NULL },
                    out, sizeof(out));

    cr_assert_eq(rc, 0, "%s", out);
    cr_expect(strstr(out, "\nserver/epoll/unix,") != NULL, "%s", out);
    cr_expect(strstr(out, "server/epoll/tcp") == NULL, "%s", out);
}

Test(servers_errors, bad_via_exits_2_with_one_line, .timeout = 30)
{
    static const char *const bad[] = { "udp", "", "tcp,x", "sctp" };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char out[1024];
        int rc = tu_cli("ipclab", (char *[]){ "ipclab", "run",
                                              "server/epoll", "--via",
                                              (char *)bad[i], "--iterations",
                                              "64", NULL },
                        out, sizeof(out));

        cr_expect_eq(rc, 2, "--via '%s': status %d: %s", bad[i], rc, out);
        cr_expect_eq(strchr(out, '\n'), out + strlen(out) - 1, "one line: %s",
                     out);
    }
}

/* ---- the pool's full queue ----------------------------------------------- */

static int connect_to(const struct srv *s)
{
    int fd = socket(s->addr.ss_family, SOCK_STREAM, 0);

    cr_assert_geq(fd, 0);
    cr_assert_eq(connect(fd, (const struct sockaddr *)&s->addr, s->addrlen),
                 0, "connect: %s (the pool refuses nobody)", strerror(errno));
    return fd;
}

static int readable_within(int fd, int ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };

    return poll(&p, 1, ms) == 1;
}

static void round_trip(int fd, char tag)
{
    char req[64], rep[64];

    memset(req, tag, sizeof(req));
    cr_assert_eq(write(fd, req, 64), 64);
    cr_assert_eq(read_n(fd, rep, 64), 64u, "client %c: no reply", tag);
    cr_assert_eq(memcmp(req, rep, 64), 0);
}

/* pool.c: "When all N workers are busy and the queue is full, the
 * acceptor BLOCKS ... Nothing is refused or dropped by the server itself
 * ... at most N clients are served at once; the others wait for a worker
 * to finish a whole session."  With 1 worker and a queue of 1, four
 * keep-alive clients (more than workers + queue): all four connect, only
 * the first is answered while it stays; each later one is answered once
 * the one before it leaves, in the order they came. */
Test(servers_errors, pool_full_queue_blocks_the_acceptor_and_refuses_nobody,
     .timeout = 60)
{
    const struct transport *tp = transport_find("server/pool/tcp");
    struct tp_channel ch = { .tp = tp, .mode = MODE_LATENCY, .msg_bytes = 64,
                             .messages = 64 };
    char err[ERR_LEN] = "", req[64];
    struct srv *s;
    int fd[4], st;
    pid_t pid;

    cr_assert_not_null(tp);
    set_clients(4);
    *(unsigned long *)tu_option_value("workers") = 1;
    *(unsigned long *)tu_option_value("pool-queue") = 1;
    tu_shared_begin();
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
    fd[0] = connect_to(s);
    round_trip(fd[0], 'A');     /* A holds the one worker */
    for (int k = 1; k < 4; k++) {
        fd[k] = connect_to(s);  /* queued, held by the acceptor, backlog */
        memset(req, 'A' + k, sizeof(req));
        cr_assert_eq(write(fd[k], req, 64), 64);
    }
    for (int k = 1; k < 4; k++)
        cr_expect_not(readable_within(fd[k], 200), "client %c answered "
                      "while the one worker was busy with A", 'A' + k);
    for (int k = 1; k < 4; k++) {
        char rep[64];

        close(fd[k - 1]);       /* the worker is free for the next */
        cr_assert_eq(read_n(fd[k], rep, 64), 64u, "client %c never "
                     "answered", 'A' + k);
        cr_expect_eq(rep[0], 'A' + k);
        for (int j = k + 1; j < 4; j++)
            cr_expect_not(readable_within(fd[j], 50), "client %c answered "
                          "before client %c left", 'A' + j, 'A' + k);
    }
    close(fd[3]);
    cr_assert_eq(write(s->stop_wfd, "s", 1), 1);
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    tp->destroy(&ch);
    tu_shared_end();
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status 0x%x", st);
}

/* The same policy under the real load: 16 keep-alive clients on 1
 * worker with a queue of 1, both sockets - every request answered and
 * verified, none failed (back pressure, not errors). */
Test(servers_errors, pool_full_queue_fails_no_request, .timeout = 120)
{
    static const char *const via[] = { "server/pool/tcp",
                                       "server/pool/unix" };

    set_clients(16);
    *(unsigned long *)tu_option_value("workers") = 1;
    *(unsigned long *)tu_option_value("pool-queue") = 1;
    for (int i = 0; i < 2; i++) {
        struct bench_config cfg = tu_config();
        struct bench_result res;

        cfg.iterations = 64;
        tu_run_cfg(&cfg, via[i], MODE_LATENCY, 64, &res);
        cr_assert_eq(res.status, RES_OK, "%s: %s", via[i], res.reason);
        cr_expect_eq(res.verified, 1);
        for (int k = 0; k < TP_ERR_N; k++)
            cr_expect_eq(res.errors[k], 0, "%s: %s", via[i], res.note);
        cr_expect(strstr(res.note, "failed") == NULL, "%s", res.note);
    }
}
