/* test_net.c - tcp and udp over loopback, `ipclab serve` and `--connect`,
 * and the two-namespace test (tests/netns-test).
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
#include "test_util.h"

/* ---- helpers -------------------------------------------------------- */

/* Run both modes with full verification: `messages` per throughput run,
 * `iterations` round trips (+ warm-up) in latency mode. */
static void net_assert_moves(const char *transport, size_t size,
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

/* `ipclab serve --listen 127.0.0.1:0 [EXTRA...]` in the background; its
 * stderr stays in a pipe so the test can read the port and the log. */
struct server {
    pid_t pid;
    int log_fd;
    unsigned port;
    char spec[64];              /* "127.0.0.1:PORT" for --connect */
    char log[16384];
    size_t used;
};

static void server_start_with(struct server *s, const char *const *extra)
{
    char *argv[24] = { "ipclab", "serve", "--listen", "127.0.0.1:0",
                       "--idle-timeout", "5" };
    int pfd[2], argc = 6;

    for (; extra != NULL && *extra != NULL && argc < 23; extra++)
        argv[argc++] = (char *)*extra;
    argv[argc] = NULL;
    memset(s, 0, sizeof(*s));
    cr_assert_eq(pipe(pfd), 0);
    s->pid = fork();
    cr_assert_neq(s->pid, -1);
    if (s->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);   /* a failed test kills it too */
        dup2(pfd[1], 2);
        close(pfd[0]);
        close(pfd[1]);
        execv(tu_bin("ipclab"), argv);
        _exit(127);
    }
    close(pfd[1]);
    s->log_fd = pfd[0];
    while (strchr(s->log, '\n') == NULL && s->used + 1 < sizeof(s->log)) {
        ssize_t n = read(s->log_fd, s->log + s->used, 1);   /* line only */

        if (n <= 0)
            break;
        s->used += (size_t)n;
    }
    cr_assert(sscanf(s->log, "ipclab serve: listening on 127.0.0.1:%u",
                     &s->port) == 1, "server did not start: %s", s->log);
    snprintf(s->spec, sizeof(s->spec), "127.0.0.1:%u", s->port);
}

static void server_start(struct server *s)
{
    server_start_with(s, NULL);
}

/* Read the log until it holds `needle` (1) or timeout_ms passed (0). */
static int server_wait_log(struct server *s, const char *needle,
                           int timeout_ms)
{
    for (int waited = 0; strstr(s->log, needle) == NULL; waited += 50) {
        struct pollfd pfd = { .fd = s->log_fd, .events = POLLIN };
        ssize_t n;

        if (waited >= timeout_ms || s->used + 1 >= sizeof(s->log))
            return 0;
        if (poll(&pfd, 1, 50) <= 0)
            continue;
        n = read(s->log_fd, s->log + s->used, sizeof(s->log) - 1 - s->used);
        if (n <= 0)
            return 0;
        s->used += (size_t)n;
        s->log[s->used] = '\0';
    }
    return 1;
}

/* Stop it; the rest of its log lands in s->log.  Returns 1 if it was
 * still running (it survived), 0 if it had died. */
static int server_stop(struct server *s)
{
    int status, alive = waitpid(s->pid, &status, WNOHANG) == 0;
    ssize_t n;

    if (alive) {
        kill(s->pid, SIGTERM);
        waitpid(s->pid, &status, 0);
    }
    while (s->used + 1 < sizeof(s->log) &&
           (n = read(s->log_fd, s->log + s->used,
                     sizeof(s->log) - 1 - s->used)) > 0)
        s->used += (size_t)n;
    s->log[s->used] = '\0';
    close(s->log_fd);
    return alive;
}

static int count_substr(const char *hay, const char *needle)
{
    int n = 0;

    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

static int connect_to(unsigned port)
{
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    cr_assert_neq(fd, -1);
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0,
                 "connect: %s", strerror(errno));
    return fd;
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

/* ---- two hosts: ipclab serve and --connect --------------------------- */

Test(serve, runs_tcp_and_udp_verified_like_a_local_consumer, .timeout = 60)
{
    static const size_t sizes[] = { 1, 65537, 1 << 20 };
    struct server s;
    struct bench_config cfg = tu_config();
    struct bench_result res;

    server_start(&s);
    net_opt_connect = s.spec;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        net_assert_moves("tcp", sizes[i], sizes[i] < 4096 ? 256 : 8, 16);
    /* udp: the server's loss count comes back to the row */
    cr_assert_eq(setenv("IPCLAB_UDP_DROP_EVERY", "10", 1), 0);
    cfg.bytes = 100 * 64;
    tu_run_cfg(&cfg, "udp", MODE_THROUGHPUT, 64, &res);
    cr_assert_eq(res.status, RES_OK, "%s", res.reason);
    cr_expect_eq(res.verified, 1);
    cr_expect_eq(res.lost, 10);
    cr_expect(strstr(res.note, s.spec) != NULL, "note: '%s'", res.note);
    cr_assert(server_stop(&s), "the server died: %s", s.log);
    cr_expect_eq(count_substr(s.log, ": verified,"), 7, "log:\n%s", s.log);
}

/* A run the server must refuse: the hello is checked before anything is
 * allocated or awaited. */
static void expect_refused(unsigned port, const struct remote_hello *h,
                           const char *says)
{
    uint8_t wire[REMOTE_HELLO_BYTES], back[REMOTE_REPLY_BYTES];
    struct remote_reply r;
    char err[ERR_LEN];
    int fd = connect_to(port);

    remote_hello_encode(h, wire);
    cr_assert_eq(write(fd, wire, sizeof(wire)), (ssize_t)sizeof(wire));
    cr_assert_eq(read_full(fd, back, sizeof(back), err), 0, "%s", err);
    cr_assert_eq(remote_reply_decode(back, &r, err), 0, "%s", err);
    cr_expect_eq(r.status, 1);
    cr_expect(strstr(r.msg, says) != NULL, "'%s' lacks '%s'", r.msg, says);
    close(fd);
}

Test(serve, survives_garbage_hostile_hellos_and_disconnects, .timeout = 60)
{
    const struct remote_hello good = {
        .magic = REMOTE_MAGIC, .version = REMOTE_VERSION,
        .proto = REMOTE_TCP, .mode = MODE_THROUGHPUT, .verify = VERIFY_SUM,
        .msg_bytes = 65536, .messages = 10,
    };
    struct remote_hello h;
    struct server s;
    char junk[64];
    uint8_t wire[REMOTE_HELLO_BYTES], back[REMOTE_REPLY_BYTES];
    char err[ERR_LEN];
    int fd;

    server_start(&s);
    /* garbage: an HTTP request is not an ipclab hello */
    memset(junk, 'x', sizeof(junk));
    memcpy(junk, "GET / HTTP/1.0\r\n\r\n", 18);
    fd = connect_to(s.port);
    cr_assert_eq(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
    cr_assert_eq(read_full(fd, back, sizeof(back), err), 0, "%s", err);
    close(fd);
    /* hostile or wrong hellos */
    h = good;
    h.msg_bytes = (uint64_t)1 << 40;                /* 1 TiB messages */
    expect_refused(s.port, &h, "message size");
    h = good;
    h.proto = REMOTE_UDP;
    h.msg_bytes = 64;
    h.udp_port = 9;
    h.messages = (uint64_t)1 << 50;                 /* a huge bitmap */
    expect_refused(s.port, &h, "count");
    h = good;
    h.version = 99;
    expect_refused(s.port, &h, "version");
    h = good;
    h.mode = 7;
    expect_refused(s.port, &h, "mode");
    /* half a hello, then gone */
    fd = connect_to(s.port);
    cr_assert_eq(write(fd, "IPLB", 4), 4);
    close(fd);
    /* a good hello, one and a half messages, then gone mid-message */
    fd = connect_to(s.port);
    remote_hello_encode(&good, wire);
    cr_assert_eq(write(fd, wire, sizeof(wire)), (ssize_t)sizeof(wire));
    cr_assert_eq(read_full(fd, back, sizeof(back), err), 0, "%s", err);
    {
        static uint8_t part[65536 + 32768];

        cr_assert_eq(write_full(fd, part, sizeof(part), err), 0, "%s", err);
    }
    close(fd);
    /* and it still serves a real run, verified */
    net_opt_connect = s.spec;
    net_assert_moves("tcp", 4096, 16, 16);
    cr_assert(server_stop(&s), "the server died: %s", s.log);
    cr_expect_eq(count_substr(s.log, "refused: "), 5, "log:\n%s", s.log);
    cr_expect_eq(count_substr(s.log, "dropped: "), 1, "log:\n%s", s.log);
    cr_expect_eq(count_substr(s.log, "failed: "), 1, "log:\n%s", s.log);
    cr_expect_eq(count_substr(s.log, ": verified,"), 2, "log:\n%s", s.log);
}

struct connect_case {
    char spec[48];              /* %u: a port where nobody listens */
    char says[40];
};

ParameterizedTestParameters(serve, bad_connect_exits_2_with_one_line)
{
    static struct connect_case cases[] = {
        /* unknown host: an invalid name (empty label) fails inside the
         * resolver, with no DNS query leaving the machine */
        { "nosuch..invalid", "Name or service not known" },
        { "127.0.0.1:99999", "bad port '99999'" },
        { "127.0.0.1:0", "bad port '0'" },
        { "127.0.0.1:http", "bad port 'http'" },
        { "[::1", "bad address" },
        { ":80", "missing host" },
        { "127.0.0.1:%u", "Connection refused" },
    };
    return cr_make_param_array(struct connect_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct connect_case *c, serve,
                  bad_connect_exits_2_with_one_line, .timeout = 30)
{
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    char spec[64], out[4096];
    /* bound but not listening: connecting to it is refused, and no
     * other test can take the port meanwhile */
    int holder = socket(AF_INET, SOCK_STREAM, 0), rc;

    cr_assert_eq(bind(holder, (struct sockaddr *)&a, sizeof(a)), 0);
    cr_assert_eq(getsockname(holder, (struct sockaddr *)&a, &len), 0);
    snprintf(spec, sizeof(spec), c->spec, (unsigned)ntohs(a.sin_port));
    for (int t = 0; t < 2; t++) {
        rc = tu_cli("ipclab", (char *[]){ "ipclab", "run", "--connect", spec,
                                          t == 0 ? "tcp" : "udp", NULL },
                    out, sizeof(out));
        cr_expect_eq(rc, 2, "%s: exit %d: %s", spec, rc, out);
        cr_expect_eq(count_substr(out, "\n"), 1, "%s: not one line: %s",
                     spec, out);
        cr_expect(strstr(out, c->says) != NULL, "%s: '%s' lacks '%s'", spec,
                  out, c->says);
    }
    close(holder);
}

Test(serve, bad_listen_exits_2, .timeout = 10)
{
    char out[1024];
    int rc = tu_cli("ipclab", (char *[]){ "ipclab", "serve", "--listen",
                                          "127.0.0.1:99999", NULL },
                    out, sizeof(out));

    cr_expect_eq(rc, 2, "exit %d: %s", rc, out);
    cr_expect(strstr(out, "bad port") != NULL, "%s", out);
}

/* ---- serve: no client can hold it ------------------------------------ */

static int count_fds(pid_t pid)
{
    char path[64];
    struct dirent *e;
    DIR *d;
    int n = 0;

    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    d = opendir(path);
    cr_assert_not_null(d, "%s: %s", path, strerror(errno));
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* The server's children all reaped (none, zombie or alive), and its
 * descriptors back to what it had before the clients came. */
static void expect_server_clean(const struct server *s, int fds_before)
{
    pid_t kids[8];
    int n = -1;

    for (int waited = 0; waited < 5000 && n != 0; waited += 20) {
        struct timespec ts = { 0, 20 * 1000 * 1000 };

        n = tu_children(s->pid, kids, 8, 0, 0);
        if (n != 0)
            nanosleep(&ts, NULL);
    }
    cr_expect_eq(n, 0, "the server still has %d children", n);
    /* the server closes a connection when it sees the client's EOF: give
     * a loaded machine a moment before counting */
    for (int waited = 0; waited < 5000 && count_fds(s->pid) != fds_before;
         waited += 20) {
        struct timespec ts = { 0, 20 * 1000 * 1000 };

        nanosleep(&ts, NULL);
    }
    cr_expect_eq(count_fds(s->pid), fds_before, "the server's descriptors");
}

static void send_hello(int fd, uint32_t mode, uint64_t size, uint64_t count)
{
    struct remote_hello h = {
        .magic = REMOTE_MAGIC, .version = REMOTE_VERSION,
        .proto = REMOTE_TCP, .mode = mode, .verify = VERIFY_SUM,
        .msg_bytes = size, .messages = count,
    };
    uint8_t wire[REMOTE_HELLO_BYTES];
    char err[ERR_LEN];

    remote_hello_encode(&h, wire);
    cr_assert_eq(write_full(fd, wire, sizeof(wire), err), 0, "%s", err);
}

static void read_answer(int fd, struct remote_reply *r)
{
    uint8_t back[REMOTE_REPLY_BYTES];
    char err[ERR_LEN];

    cr_assert_eq(read_full(fd, back, sizeof(back), err), 0, "%s", err);
    cr_assert_eq(remote_reply_decode(back, r, err), 0, "%s", err);
}

/* Echoes of 32 MiB cannot fit in the socket buffers: the server's send
 * waits on a client that never reads, and the idle limit ends it. */
Test(serve, a_client_that_never_reads_cannot_hold_a_write, .timeout = 30)
{
    static const char *const extra[] = { "--idle-timeout", "300ms", NULL };
    const size_t size = (size_t)32 << 20;
    struct server s;
    struct remote_reply r;
    struct verify_ctx v;
    char err[ERR_LEN];
    uint8_t *msg = calloc(1, size);
    int fd, fds;

    cr_assert_not_null(msg);
    /* message 0 as the producer makes it: the server checks it first */
    cr_assert_eq(verify_init(&v, size, VERIFY_SUM, err), 0, "%s", err);
    memcpy(msg, v.pattern, size);
    verify_stamp(&v, msg, 0);
    verify_free(&v);
    server_start_with(&s, extra);
    fds = count_fds(s.pid);
    fd = connect_to(s.port);
    send_hello(fd, MODE_LATENCY, size, 4);
    read_answer(fd, &r);
    cr_assert_eq(r.status, 0, "%s", r.msg);
    cr_assert_eq(write_full(fd, msg, size, err), 0, "%s", err);
    cr_expect(server_wait_log(&s, "failed: the client took nothing for "
                                  "300 ms", 10000), "log:\n%s", s.log);
    close(fd);
    free(msg);
    expect_server_clean(&s, fds);
    cr_assert(server_stop(&s), "the server died: %s", s.log);
}

/* One byte every 100 ms keeps every single read short of the idle limit;
 * the phase's deadline ends the hello after 300 ms, the run after 500. */
Test(serve, a_trickling_client_cannot_stretch_a_phase, .timeout = 30)
{
    static const char *const extra[] = { "--hello-timeout", "300ms",
                                         "--run-timeout", "500ms", NULL };
    struct remote_hello h = {
        .magic = REMOTE_MAGIC, .version = REMOTE_VERSION,
        .proto = REMOTE_TCP, .mode = MODE_THROUGHPUT, .verify = VERIFY_SUM,
        .msg_bytes = 65536, .messages = 4,
    };
    uint8_t wire[REMOTE_HELLO_BYTES];
    struct remote_reply r;
    struct server s;
    int fd, fds, sent, ended = 0;

    server_start_with(&s, extra);
    fds = count_fds(s.pid);
    /* the hello, a byte at a time */
    remote_hello_encode(&h, wire);
    fd = connect_to(s.port);
    for (sent = 0; sent < REMOTE_HELLO_BYTES && !ended; sent++) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };

        cr_assert_eq(send(fd, wire + sent, 1, MSG_NOSIGNAL), 1);
        ended = poll(&pfd, 1, 100) == 1;   /* EOF: the server hung up */
    }
    cr_expect(ended, "the server waited for the whole trickled hello");
    close(fd);
    cr_expect(server_wait_log(&s, "dropped: no whole hello in 300 ms",
                              5000), "log:\n%s", s.log);
    /* the run, a byte at a time after a good hello */
    fd = connect_to(s.port);
    send_hello(fd, MODE_THROUGHPUT, 65536, 4);
    read_answer(fd, &r);
    cr_assert_eq(r.status, 0, "%s", r.msg);
    ended = 0;
    for (int i = 0; i < 50 && !ended; i++) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };

        cr_assert_eq(send(fd, "x", 1, MSG_NOSIGNAL), 1);
        ended = poll(&pfd, 1, 100) == 1;   /* the result: failed */
    }
    cr_assert(ended, "the server let a trickle run on for 5 s");
    read_answer(fd, &r);
    cr_expect_eq(r.status, 1);
    cr_expect(strstr(r.msg, "longer than its 500 ms") != NULL, "%s", r.msg);
    close(fd);
    expect_server_clean(&s, fds);
    cr_assert(server_stop(&s), "the server died: %s", s.log);
}

/* 24 silent connections and 4 half hellos, all still open when a real
 * `tcp --connect` run (a probe and two sessions) has been served. */
Test(serve, idle_connections_do_not_delay_a_real_client, .timeout = 60)
{
    static const char *const extra[] = { "--hello-timeout", "60", NULL };
    struct server s;
    int idle[28], fds;

    server_start_with(&s, extra);
    fds = count_fds(s.pid);
    for (int i = 0; i < 28; i++) {
        idle[i] = connect_to(s.port);
        if (i >= 24)
            cr_assert_eq(write(idle[i], "IPLB\0\0\0\1\0\0", 10), 10);
    }
    net_opt_connect = s.spec;
    net_assert_moves("tcp", 4096, 16, 16);
    for (int i = 0; i < 28; i++) {
        char c;

        cr_expect_eq(recv(idle[i], &c, 1, MSG_DONTWAIT | MSG_PEEK), -1,
                     "idle connection %d was answered or closed", i);
        cr_expect_eq(errno, EAGAIN);
        close(idle[i]);
    }
    cr_expect(server_wait_log(&s, "dropped: closed after 10 of 40", 5000),
              "log:\n%s", s.log);
    expect_server_clean(&s, fds);
    cr_assert(server_stop(&s), "the server died: %s", s.log);
    cr_expect_eq(count_substr(s.log, ": verified,"), 2, "log:\n%s", s.log);
}

/* --max-sessions 1: a second run is told "busy" at once, a third is
 * served once the first has gone; SIGTERM ends a session in progress. */
Test(serve, answers_busy_beyond_max_sessions, .timeout = 30)
{
    static const char *const extra[] = { "--max-sessions", "1", NULL };
    struct remote_reply r;
    struct server s;
    pid_t kid;
    int a, b, fds;

    server_start_with(&s, extra);
    fds = count_fds(s.pid);
    a = connect_to(s.port);
    send_hello(a, MODE_THROUGHPUT, 65536, 1000);
    read_answer(a, &r);
    cr_assert_eq(r.status, 0, "%s", r.msg);
    b = connect_to(s.port);
    send_hello(b, MODE_THROUGHPUT, 65536, 1000);
    read_answer(b, &r);
    cr_expect_eq(r.status, 1);
    cr_expect(strncmp(r.msg, "busy: 1 runs in progress", 24) == 0, "%s",
              r.msg);
    close(b);
    close(a);                   /* the session fails and ends */
    expect_server_clean(&s, fds);
    a = connect_to(s.port);
    send_hello(a, MODE_THROUGHPUT, 65536, 1000);
    read_answer(a, &r);
    cr_expect_eq(r.status, 0, "not served after the first left: %s", r.msg);
    cr_assert_eq(tu_children(s.pid, &kid, 1, 1, 2000), 1);
    cr_assert(server_stop(&s), "the server died: %s", s.log);
    cr_expect(kill(kid, 0) == -1 && errno == ESRCH,
              "session %d outlived the server", (int)kid);
    close(a);
}

/* ---- two network namespaces ------------------------------------------- */

/* tests/netns-test WHAT: passed, or skipped with the script's reason. */
static void netns_script(const char *what)
{
    static const char *const scripts[] = {
        "../tests/netns-test",          /* from bin/ */
        "../../../tests/netns-test",    /* from build/san/bin/ */
    };
    const char *script = NULL;
    char out[32768], *last;
    size_t len;
    int rc;

    for (size_t i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++)
        if (access(tu_bin(scripts[i]), X_OK) == 0) {
            script = scripts[i];
            break;
        }
    cr_assert_not_null(script, "tests/netns-test not found");
    rc = tu_cli(script, (char *[]){ "netns-test", IPCLAB_BINDIR,
                                    (char *)what, NULL }, out, sizeof(out));
    len = strlen(out);
    while (len > 0 && out[len - 1] == '\n')
        out[--len] = '\0';
    last = strrchr(out, '\n');
    last = last != NULL ? last + 1 : out;   /* the reason is the last line */
    if (rc == 77)
        cr_skip_test("%s", last);
    cr_assert_eq(rc, 0, "netns-test %s exited %d:\n%s", what, rc, out);
    cr_expect(strstr(last, "netns-test: ok") != NULL, "%s", out);
}

Test(netns, serve_and_connect_across_a_veth_pair, .timeout = 120)
{
    netns_script("sessions");
}

/* `ipclab serve --model M` in one namespace, `ipclab run server/M/tcp
 * --connect` in the other: every row verified, keep-alive and connect
 * per request, echo and HTTP, and the server stops on SIGTERM. */
Test(netns, a_server_model_is_loaded_from_the_other_host, .timeout = 120)
{
    netns_script("servers");
}
