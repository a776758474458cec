/* test_serve.c - two-host mode on one machine: `ipclab serve` in the
 * background and --connect to it runs tcp and udp verified like a local
 * consumer; hostile hellos, bad addresses and clients that never read,
 * trickle or idle cannot hold the server; beyond --max-sessions it answers
 * busy.  Across two network namespaces: tests/test_netns.c.
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

