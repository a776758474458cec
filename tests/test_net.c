/* test_net.c - tcp and udp over loopback: every byte moved in order, over
 * IPv6 and with small socket buffers, datagram sizes refused, losses and
 * duplicates counted exactly.  Two-host mode has its own suites:
 * `ipclab serve` and --connect in tests/test_serve.c, two network
 * namespaces in tests/test_netns.c.
 *
 * The net options (--connect, --ipv6, --sockbuf) are static variables in
 * net/netopt.c; each Criterion test runs in its own process, so a test
 * may set them directly. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <poll.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "../bench/util.h"
#include "../bench/verify.h"
#include "../net/netopt.h"
#include "../net/remote/remote.h"
#include "test_net.h"
#include "test_util.h"

/* ---- helpers -------------------------------------------------------- */

/* Run both modes with full verification: `messages` per throughput run,
 * `iterations` round trips (+ warm-up) in latency mode. */
void net_assert_moves(const char *transport, size_t size,
                      uint64_t messages, uint64_t iterations)
{
    struct bench_config cfg = tu_config();
    struct bench_result res;

    cfg.verify = VERIFY_FULL;
    cfg.bytes = messages * size;
    cfg.iterations = iterations;
    for (int m = 0; m < 2; m++) {
        tu_run_cfg(&cfg, transport, (enum tp_mode)m, size, &res);
        cr_assert_eq(res.status, RES_OK, "%s %s size %zu: %s", transport,
                     bench_mode_name((enum tp_mode)m), size, res.reason);
        cr_assert_eq(res.verified, 1, "%s %s size %zu: not verified",
                     transport, bench_mode_name((enum tp_mode)m), size);
        /* tu_run_cfg() sends at least 16 messages */
        cr_assert_eq(res.messages, m == 1 ? iterations
                                   : messages < 16 ? 16 : messages);
        if (strcmp(transport, "tcp") == 0)
            cr_assert_eq(res.lost + res.duplicated + res.reordered, 0);
    }
}

static int ipv6_loopback_works(void)
{
    struct sockaddr_in6 a = { .sin6_family = AF_INET6,
                              .sin6_addr = IN6ADDR_LOOPBACK_INIT };
    int fd = socket(AF_INET6, SOCK_STREAM, 0), ok;

    if (fd == -1)
        return 0;
    ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

/* ---- tcp over loopback ---------------------------------------------- */

struct size_case {
    size_t size;
    uint64_t messages, iterations;  /* few for the big sizes */
};

ParameterizedTestParameters(tcp, moves_every_byte_in_order)
{
    static struct size_case cases[] = {
        { 1, 512, 64 }, { 7, 256, 64 }, { 8, 256, 64 },
        { 1448, 128, 64 },          /* one loopback-free Ethernet MSS */
        { 65483 + 1, 32, 32 },      /* just over one 64 KiB lo segment */
        { 65536, 32, 32 }, { 65537, 32, 32 },
        { (1 << 20) + 1, 16, 8 },   /* larger than the socket buffers */
        { 16 << 20, 16, 2 },
    };
    return cr_make_param_array(struct size_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct size_case *c, tcp, moves_every_byte_in_order,
                  .timeout = 60)
{
    net_assert_moves("tcp", c->size, c->messages, c->iterations);
}

Test(tcp, moves_every_byte_over_ipv6, .timeout = 30)
{
    if (!ipv6_loopback_works())
        cr_skip_test("no IPv6 loopback (::1) on this machine");
    net_opt_ipv6 = 1;
    net_assert_moves("tcp", 4097, 64, 64);
}

Test(tcp, moves_every_byte_with_small_socket_buffers, .timeout = 30)
{
    struct bench_result res;

    net_opt_sockbuf = 4096;     /* many partial sends and receives */
    net_assert_moves("tcp", (1 << 18) + 3, 4, 4);
    tu_run("tcp", MODE_LATENCY, 64, &res);
    cr_expect(strstr(res.note, "SO_SNDBUF/SO_RCVBUF 4K") != NULL,
              "note: '%s'", res.note);
}

Test(tcp, latency_rows_say_tcp_nodelay, .timeout = 30)
{
    struct bench_result res;

    tu_run("tcp", MODE_LATENCY, 64, &res);
    cr_assert_eq(res.status, RES_OK, "%s", res.reason);
    cr_expect(strstr(res.note, "TCP_NODELAY") != NULL, "note: '%s'",
              res.note);
    tu_run("tcp", MODE_THROUGHPUT, 64, &res);
    cr_expect(strstr(res.note, "TCP_NODELAY") == NULL, "note: '%s'",
              res.note);
}

/* ---- udp over loopback ---------------------------------------------- */

ParameterizedTestParameters(udp, moves_and_accounts_for_every_datagram)
{
    static struct size_case cases[] = {
        { 8, 64, 64 }, { 9, 64, 64 }, { 1472, 64, 64 }, { 1473, 64, 64 },
        { 4096, 64, 64 }, { 65507, 16, 16 },
    };
    return cr_make_param_array(struct size_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

/* Throughput may lose datagrams (nothing slows the sender): what arrives
 * must check out, and received + lost must be what was sent. */
ParameterizedTest(struct size_case *c, udp,
                  moves_and_accounts_for_every_datagram, .timeout = 30)
{
    struct bench_config cfg = tu_config();
    struct bench_result res;

    cfg.verify = VERIFY_FULL;
    cfg.bytes = c->messages * c->size;
    cfg.iterations = c->iterations;
    for (int m = 0; m < 2; m++) {
        tu_run_cfg(&cfg, "udp", (enum tp_mode)m, c->size, &res);
        cr_assert_eq(res.status, RES_OK, "%s size %zu: %s",
                     bench_mode_name((enum tp_mode)m), c->size, res.reason);
        cr_assert_eq(res.verified, 1);
        cr_assert_leq(res.lost, m == 0 ? c->messages : 0,
                      "%s: lost %llu", bench_mode_name((enum tp_mode)m),
                      (unsigned long long)res.lost);
        cr_assert_eq(res.duplicated, 0);
    }
}

struct limit_case {
    size_t size;
    int ipv6;
    int ok;
    char says[24];
};

ParameterizedTestParameters(udp, refuses_sizes_outside_a_datagram)
{
    static struct limit_case cases[] = {
        { 1, 0, 0, "8-byte sequence" }, { 7, 0, 0, "8-byte sequence" },
        { 8, 0, 1, "" }, { 65507, 0, 1, "" },
        { 65508, 0, 0, "65507" }, { 1 << 20, 0, 0, "65507" },
        { 65527, 1, 1, "" }, { 65528, 1, 0, "65527" },
    };
    return cr_make_param_array(struct limit_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct limit_case *c, udp, refuses_sizes_outside_a_datagram)
{
    const struct transport *tp = transport_find("udp");
    char err[ERR_LEN] = "";

    cr_assert_not_null(tp);
    net_opt_ipv6 = c->ipv6;
    for (int m = 0; m < 2; m++) {
        int rc = tp->check_size(tp, (enum tp_mode)m, c->size, err);

        cr_expect_eq(rc, c->ok ? 0 : -1, "size %zu: rc %d", c->size, rc);
        if (!c->ok)
            cr_expect(strstr(err, c->says) != NULL, "size %zu: '%s'",
                      c->size, err);
    }
}

struct fault_case {
    char hook[32];              /* environment variable */
    char every[8];
    int mode;
    uint64_t messages;
    uint64_t lost, duplicated;
};

ParameterizedTestParameters(udp, counts_losses_and_duplicates_exactly)
{
    static struct fault_case cases[] = {
        { "IPCLAB_UDP_DROP_EVERY", "5", MODE_THROUGHPUT, 100, 20, 0 },
        { "IPCLAB_UDP_DROP_EVERY", "7", MODE_THROUGHPUT, 50, 7, 0 },
        { "IPCLAB_UDP_DROP_EVERY", "100", MODE_THROUGHPUT, 100, 1, 0 },
        { "IPCLAB_UDP_DUP_EVERY", "7", MODE_THROUGHPUT, 100, 0, 14 },
        /* latency: 32 + 3 warm-up pings; every 16th lost, 500 ms each */
        { "IPCLAB_UDP_DROP_EVERY", "16", MODE_LATENCY, 32, 2, 0 },
    };
    return cr_make_param_array(struct fault_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

/* Few small datagrams: they all fit the receive buffer, so the only
 * losses are the ones the test hook makes. */
ParameterizedTest(struct fault_case *c, udp,
                  counts_losses_and_duplicates_exactly, .timeout = 30)
{
    struct bench_config cfg = tu_config();
    struct bench_result res;

    cr_assert_eq(setenv(c->hook, c->every, 1), 0);
    cfg.bytes = c->messages * 64;
    cfg.iterations = c->messages;
    tu_run_cfg(&cfg, "udp", (enum tp_mode)c->mode, 64, &res);
    cr_assert_eq(res.status, RES_OK, "%s", res.reason);
    cr_expect_eq(res.verified, 1);
    cr_expect_eq(res.lost, c->lost, "lost %llu, want %llu",
                 (unsigned long long)res.lost, (unsigned long long)c->lost);
    cr_expect_eq(res.duplicated, c->duplicated, "duplicated %llu, want %llu",
                 (unsigned long long)res.duplicated,
                 (unsigned long long)c->duplicated);
    cr_expect_eq(res.reordered, 0);
    cr_expect(strstr(res.note, "test hook") != NULL, "note: '%s'", res.note);
}

