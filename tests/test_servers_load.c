/* test_servers_load.c - the server family's load shapes: connect per
 * request (--workload connect) and the open loop (--rate).  Every model
 * serves 1 and 16 clients that each connect, send one request, check the
 * reply and close, over TCP and a Unix socket; the row says how many
 * sockets the run left in TIME_WAIT (TCP) or that there are none (Unix);
 * an open-loop run paces its requests, says so in the row and still
 * verifies every reply, and counts a server's stall in every request
 * that came due during it (coordinated omission); a slow client
 * (--slow-client) pauses mid-request and is left out of the
 * percentiles; bad --rate, --clients, --workload and --slow-client
 * values exit 2 with one line before anything starts.  Small on
 * purpose: a few clients, two requests each. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../bench/harness.h"
#include "../bench/transport.h"
#include "../net/servers/server.h"
#include "test_servers.h"

static void set_workload_connect(void)
{
    *(int *)tu_option_value("workload") = 1;   /* choices: keepalive, connect */
}

static void set_rate(unsigned long rate)
{
    *(unsigned long *)tu_option_value("rate") = rate;
}

ParameterizedTestParameters(servers_load,
                            connect_per_request_serves_every_client)
{
    static struct model_case cases[] = {
        EVERY_MODEL_CASE(16),
    };
    return cr_make_param_array(struct model_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

/* C clients x 2 connections, one request of 100 bytes each (not a
 * multiple of 8: the pattern's tail is checked too), every reply
 * compared by the load; the note counts the TIME_WAIT sockets: the
 * client closes first, so over TCP every connection leaves one. */
ParameterizedTest(struct model_case *c, servers_load,
                  connect_per_request_serves_every_client, .timeout = 120)
{
    struct bench_config cfg = tu_config();
    struct bench_result res;
    int tcp = strstr(c->transport, "/tcp") != NULL;
    const char *tw;

    set_clients(c->clients);
    set_workload_connect();
    cfg.iterations = 2 * c->clients;
    tu_run_cfg(&cfg, c->transport, MODE_LATENCY, 100, &res);
    cr_assert_eq(res.status, RES_OK, "%s, %u clients: %s", c->transport,
                 c->clients, res.reason);
    cr_expect_eq(res.verified, 1, "every reply compared byte by byte");
    cr_expect_eq(res.lost, 0);
    cr_expect_eq(res.facts.clients, c->clients);
    cr_expect_gt(res.msgs_per_s, 0);
    cr_expect(strstr(res.note, "connect per request") != NULL, "%s",
              res.note);
    cr_expect(strstr(res.note, "conn/s") != NULL, "%s", res.note);
    if (tcp) {
        tw = strstr(res.note, " TIME_WAIT after");
        cr_assert_not_null(tw, "%s", res.note);
        while (tw > res.note && tw[-1] >= '0' && tw[-1] <= '9')
            tw--;
        cr_expect_geq(atol(tw), 1, "the clients close first: %s", res.note);
    } else {
        cr_expect(strstr(res.note, "no TIME_WAIT (unix)") != NULL, "%s",
                  res.note);
    }
}

/* The fork model forks per connection here: 32 children in one run, all
 * reaped, nothing left behind. */
Test(servers_load, connect_per_request_fork_leaves_nothing, .timeout = 120)
{
    struct bench_config cfg = tu_config();
    struct tu_leftovers before;
    struct bench_result res;

    set_clients(16);
    set_workload_connect();
    cfg.iterations = 32;
    tu_exclusive_begin();
    tu_leftovers(&before);
    tu_run_cfg(&cfg, "server/fork/unix", MODE_LATENCY, 64, &res);
    cr_assert_eq(res.status, RES_OK, "%s", res.reason);
    tu_expect_no_leftovers(&before);
    tu_exclusive_end();
}

/* ---- the open loop ------------------------------------------------------- */

/* --rate R: requests leave on a schedule, R per second over all clients,
 * whatever the replies do, so a run can never be faster than the
 * schedule: the last of a client's N requests is due (N-1) periods after
 * its first, so requests/s <= R * N / (N-1).  (A bound the machine's
 * speed cannot break: a slow machine only lowers the rate.)  Every reply
 * is still verified, and the row says it was an open loop. */
Test(servers_load, open_loop_keeps_to_the_schedule, .timeout = 60)
{
    struct bench_config cfg = tu_config();
    struct bench_result res;
    const unsigned clients = 4, per = 50;
    const unsigned long rate = 2000;

    set_clients(clients);
    set_rate(rate);
    cfg.iterations = clients * per;
    tu_run_cfg(&cfg, "server/epoll/tcp", MODE_LATENCY, 64, &res);
    cr_assert_eq(res.status, RES_OK, "%s", res.reason);
    cr_expect_eq(res.verified, 1);
    cr_expect_eq(res.lost, 0);
    cr_expect(strstr(res.note, "open loop 2000 req/s") != NULL, "%s",
              res.note);
    cr_expect_leq(res.msgs_per_s, (double)rate * per / (per - 1) * 1.001,
                  "%.0f req/s, over the schedule of %lu/s", res.msgs_per_s,
                  rate);
}

Test(servers_load, closed_loop_says_so, .timeout = 60)
{
    struct bench_config cfg = tu_config();
    struct bench_result res;

    set_clients(2);
    cfg.iterations = 8;
    tu_run_cfg(&cfg, "server/poll/unix", MODE_LATENCY, 64, &res);
    cr_assert_eq(res.status, RES_OK, "%s", res.reason);
    cr_expect(strstr(res.note, "keep-alive, closed loop") != NULL, "%s",
              res.note);
}

/* Both loops in connect-per-request, open loop: the same schedule, a
 * connection per request. */
Test(servers_load, open_loop_connect_per_request, .timeout = 60)
{
    struct bench_config cfg = tu_config();
    struct bench_result res;

    set_clients(4);
    set_rate(4000);
    set_workload_connect();
    cfg.iterations = 64;
    tu_run_cfg(&cfg, "server/thread/tcp", MODE_LATENCY, 64, &res);
    cr_assert_eq(res.status, RES_OK, "%s", res.reason);
    cr_expect(strstr(res.note, "connect per request, open loop 4000 req/s")
              != NULL, "%s", res.note);
}

/* ---- the command line ------------------------------------------------- */

struct bad_case {
    char opt[16];
    char arg[24];
};

ParameterizedTestParameters(servers_load, bad_values_exit_2_with_one_line)
{
    static struct bad_case cases[] = {
        { "--rate", "x" }, { "--rate", "-5" }, { "--rate", "1.5" },
        { "--rate", "" },
        { "--rate", "99999999999999999999999" },
        { "--clients", "3" }, { "--clients", "0" }, { "--clients", "4096" },
        { "--workload", "close" }, { "--workload", "" },
        { "--slow-client", "x" }, { "--slow-client", "10001" },
        { "--slow-client", "-1" },
    };
    return cr_make_param_array(struct bad_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

/* Exit 2 and one line, and nothing run: no row reached stdout. */
ParameterizedTest(struct bad_case *c, servers_load,
                  bad_values_exit_2_with_one_line, .timeout = 30)
{
    char out[1024];
    int rc = tu_cli("ipclab", (char *[]){ "ipclab", "run", "server/epoll",
                                          c->opt, c->arg, "--iterations",
                                          "64", NULL },
                    out, sizeof(out));

    cr_expect_eq(rc, 2, "%s '%s': status %d: %s", c->opt, c->arg, rc, out);
    cr_expect_eq(strchr(out, '\n'), out + strlen(out) - 1, "one line: %s",
                 out);
    cr_expect(strstr(out, "server/epoll/tcp ") == NULL, "a row: %s", out);
}

/* ---- coordinated omission ------------------------------------------------ */

/* The test is the server: it accepts the one client, reads its first
 * request, then stalls 300 ms before echoing anything.  At --rate 1000
 * the load's requests k = 0..299 came due during the stall, 1 ms apart;
 * the open loop measures each from when it was due, so request k's
 * latency is at least 300 - k ms: at least 150 of them are 150 ms or
 * more.  (A closed loop would show one slow request: the others would
 * only have been sent after the stall.)  A lower bound: a slow machine
 * only makes latencies longer. */
Test(servers_load, open_loop_counts_a_stall_for_every_request_due,
     .timeout = 60)
{
    const struct transport *tp = transport_find("server/epoll/tcp");
    const uint64_t n = 400;
    struct tp_channel ch = { .tp = tp, .mode = MODE_LATENCY, .msg_bytes = 64,
                             .messages = n };
    uint64_t *samples = mmap(NULL, n * sizeof(uint64_t),
                             PROT_READ | PROT_WRITE,
                             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    char err[ERR_LEN] = "", buf[64];
    struct srv *s;
    unsigned slow = 0;
    int fd, st;
    pid_t pid;

    cr_assert_neq(samples, MAP_FAILED);
    set_clients(1);
    set_rate(1000);
    tu_shared_begin();          /* its objects are no leftover check's */
    cr_assert_eq(tp->create(&ch, err), 0, "%s", err);
    s = ch.priv;
    pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {             /* the load, as the harness's producer */
        struct tp_counts c = { .samples_ns = samples, .max_samples = n };

        ch.role = ROLE_PRODUCER;
        _exit(tp->attach(&ch, err) == 0 && tp->custom(&ch, &c, err) == 0 &&
              c.nsamples == n ? 0 : 1);
    }
    fd = accept(s->listen_fd, NULL, NULL);
    cr_assert_geq(fd, 0, "accept: %s", strerror(errno));
    cr_assert_eq(read(fd, buf, 1), 1);          /* the load has started */
    usleep(300000);                             /* the stall */
    for (size_t got = 1;;) {                    /* then echo everything */
        ssize_t r = read(fd, buf + got, sizeof(buf) - got);

        if (r <= 0)
            break;
        got += (size_t)r;
        if (got == sizeof(buf)) {
            cr_assert_eq(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
            got = 0;
        }
    }
    close(fd);
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    tp->destroy(&ch);
    tu_shared_end();
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the load failed "
              "(status 0x%x)", st);
    for (uint64_t i = 0; i < n; i++)
        slow += samples[i] >= 150000000u;
    cr_expect_geq(slow, 150, "only %u of %llu requests show the stall",
                  slow, (unsigned long long)n);
    munmap(samples, n * sizeof(uint64_t));
}

/* ---- a slow client (--slow-client) --------------------------------------- */

/* Every model serves 4 clients, the last of which sends half of each
 * request and the rest 30 ms later: every reply still verified, the note
 * says so, and the run lasts at least the slow client's 2 x 30 ms (a
 * lower bound: a slow machine only makes it longer).  Whether the
 * others wait for it is the model's affair: the test
 * servers/a_slow_client_blocks_only_iterative shows which do. */
ParameterizedTestParameters(servers_load, a_slow_client_pauses_mid_request)
{
    static struct model_case cases[] = {
        { "server/iterative/tcp", 4 }, { "server/epoll/tcp", 4 },
        { "server/thread/unix", 4 }, { "server/pool/tcp", 4 },
    };
    return cr_make_param_array(struct model_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct model_case *c, servers_load,
                  a_slow_client_pauses_mid_request, .timeout = 60)
{
    struct bench_config cfg = tu_config();
    struct bench_result res;

    set_clients(c->clients);
    set_workload_connect();
    *(unsigned long *)tu_option_value("slow-client") = 30;
    cfg.iterations = 2 * c->clients;
    tu_run_cfg(&cfg, c->transport, MODE_LATENCY, 100, &res);
    cr_assert_eq(res.status, RES_OK, "%s: %s", c->transport, res.reason);
    cr_expect_eq(res.verified, 1);
    cr_expect_eq(res.lost, 0);
    cr_expect(strstr(res.note, "1 slow (30 ms)") != NULL, "%s", res.note);
    cr_expect_leq(res.msgs_per_s, (double)cfg.iterations / 0.060,
                  "%s: the slow client's two 30 ms pauses did not happen",
                  c->transport);
}

/* One client cannot be both the slow one and the one measured: n/a. */
Test(servers_load, a_slow_client_needs_another_client, .timeout = 30)
{
    struct bench_config cfg = tu_config();
    struct bench_result res;

    set_clients(1);
    *(unsigned long *)tu_option_value("slow-client") = 10;
    cfg.iterations = 4;
    tu_run_cfg(&cfg, "server/epoll/tcp", MODE_LATENCY, 64, &res);
    cr_expect_eq(res.status, RES_NA, "%s", res.reason);
    cr_expect(strstr(res.reason, "2 clients") != NULL, "%s", res.reason);
}
