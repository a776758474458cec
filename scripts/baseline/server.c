/* server.c - the referee loop of the server family: one epoll server and
 * C clients on 127.0.0.1, in a bare loop with no harness, so that
 * scripts/baseline-check --servers can show that server/epoll/tcp's
 * requests/s stays within 10 % of it.
 *
 *   server connect|keepalive C N [SIZE [CPU_SERVER CPU_LOAD [PROCS]]]
 *
 * C clients (power of two or not) make N requests in all (N/C each) of
 * SIZE bytes (default 64): `connect` opens a connection per request and
 * closes it after the reply (the accept/close loop: connections/s),
 * `keepalive` keeps one connection per client.  PROCS load processes
 * (default 2) drive the clients with one epoll loop each, on CPU_LOAD;
 * the server is one process on CPU_SERVER (-1: not pinned).  Prints
 * "server: MODE, C clients, N requests in S s: R requests/s", timed from
 * the first load process's fork to the last one's reap, as
 * net/servers/load.c times a run.
 *
 *      parent: listen on 127.0.0.1:0, fork the server
 *      server (one process)              load process k (C/PROCS clients)
 *      epoll_wait                        connect, send a request each
 *        listener: accept, add    <----  connect
 *        client: read; a whole    <----  request
 *        request: write it back   ---->  epoll_wait: a whole reply:
 *        EOF: close               <----    close (connect), next request
 *      parent: reap the load, SIGTERM the server, reap it
 *
 * What it leaves out, on purpose: the harness (reps, statistics,
 * placement checks), comparing the reply with the request, and the
 * clock per request - the costs ipclab adds, which the ratio shows.
 * Every call is checked; errors exit 1 with the call and errno.  Built
 * by scripts/baseline-check with cc -O2; not part of the suite's
 * programs.  See epoll(7), tcp(7).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_FD 65536
#define MAX_SIZE 65536

static struct sockaddr_in addr;
static size_t size = 64;
static int per_conn;            /* connect: a connection per request */
static char buf[MAX_SIZE];      /* the bytes are never looked at */

static void die(const char *call)
{
    fprintf(stderr, "server: %s: %s\n", call, strerror(errno));
    exit(1);
}

static uint64_t now_ns(void)
{
    struct timespec t;

    if (clock_gettime(CLOCK_MONOTONIC, &t) == -1)
        die("clock_gettime");
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void pin(int cpu)
{
    cpu_set_t set;

    if (cpu < 0)
        return;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) == -1)
        die("sched_setaffinity");
}

static void add(int ep, int fd)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1)
        die("epoll_ctl");
}

static void write_all(int fd, size_t len)
{
    for (size_t done = 0; done < len;) {
        ssize_t n = write(fd, buf, len - done);

        if (n == -1 && errno != EINTR)
            die("write");
        done += n > 0 ? (size_t)n : 0;
    }
}

/* The server: accept, echo each whole request, close on EOF. */
static void serve(int l)
{
    static size_t got[MAX_FD];  /* bytes of each connection's request */
    struct epoll_event ev[64];
    int ep = epoll_create1(0);

    if (ep == -1)
        die("epoll_create1");
    add(ep, l);
    for (;;) {
        int n = epoll_wait(ep, ev, 64, -1);

        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            die("epoll_wait");
        for (int i = 0; i < n; i++) {
            int fd = ev[i].data.fd;
            ssize_t r;

            if (fd == l) {
                int c = accept4(l, NULL, NULL, 0);

                if (c == -1 && errno != ECONNABORTED && errno != EINTR)
                    die("accept4");
                if (c >= MAX_FD)
                    die("accept4 (descriptor too large)");
                if (c >= 0) {
                    got[c] = 0;
                    add(ep, c);
                }
                continue;
            }
            r = read(fd, buf, size - got[fd]);
            if (r == -1 && errno == EINTR)
                continue;
            if (r <= 0) {       /* EOF or reset: the client is gone */
                close(fd);
                continue;
            }
            got[fd] += (size_t)r;
            if (got[fd] == size) {
                got[fd] = 0;
                write_all(fd, size);
            }
        }
    }
}

static int client_connect(int ep)
{
    int on = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd == -1)
        die("socket");
    if (fd >= MAX_FD)
        die("socket (descriptor too large)");
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == -1)
        die("connect");
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1)
        die("setsockopt TCP_NODELAY");
    add(ep, fd);
    write_all(fd, size);
    return fd;
}

/* One load process: nc clients, per requests each. */
static void load(long nc, long per)
{
    static size_t got[MAX_FD];
    static long left[MAX_FD];   /* requests still to make, by descriptor */
    struct epoll_event ev[64];
    int ep = epoll_create1(0);
    long active = nc;

    if (ep == -1)
        die("epoll_create1");
    for (long i = 0; i < nc; i++) {
        int fd = client_connect(ep);

        got[fd] = 0;
        left[fd] = per;
    }
    while (active > 0) {
        int n = epoll_wait(ep, ev, 64, -1);

        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            die("epoll_wait");
        for (int i = 0; i < n; i++) {
            int fd = ev[i].data.fd, nfd;
            ssize_t r = read(fd, buf, size - got[fd]);
            long more;

            if (r == -1 && errno == EINTR)
                continue;
            if (r == -1)
                die("read");
            if (r == 0) {
                errno = ECONNRESET;
                die("read (the server closed)");
            }
            if ((got[fd] += (size_t)r) < size)
                continue;
            got[fd] = 0;
            more = --left[fd];
            if (more > 0 && !per_conn) {
                write_all(fd, size);
                continue;
            }
            close(fd);          /* first: the TIME_WAIT is the client's */
            if (more == 0) {
                active--;
                continue;
            }
            nfd = client_connect(ep);   /* may reuse fd's number */
            got[nfd] = 0;
            left[nfd] = more;
        }
    }
}

int main(int argc, char **argv)
{
    long c = argc > 2 ? atol(argv[2]) : 0, n = argc > 3 ? atol(argv[3]) : 0;
    int cpu_srv = argc > 5 ? atoi(argv[5]) : -1;
    int cpu_load = argc > 6 ? atoi(argv[6]) : -1;
    long procs = argc > 7 ? atol(argv[7]) : 2;
    socklen_t len = sizeof(addr);
    pid_t srv, pid[64];
    uint64_t t0, dt;
    int l;

    if (argc > 4)
        size = (size_t)atol(argv[4]);
    if (argc < 4 || argc > 8 || c <= 0 || n < c || size == 0 ||
        size > MAX_SIZE || procs <= 0 || procs > 64 ||
        (strcmp(argv[1], "connect") && strcmp(argv[1], "keepalive"))) {
        fprintf(stderr, "usage: server connect|keepalive CLIENTS REQUESTS "
                        "[SIZE [CPU_SERVER CPU_LOAD [PROCS]]]\n"
                        "  REQUESTS >= CLIENTS, SIZE 1..64K, PROCS 1..64\n");
        return 2;
    }
    per_conn = strcmp(argv[1], "connect") == 0;
    if (procs > c)
        procs = c;
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((l = socket(AF_INET, SOCK_STREAM, 0)) == -1)
        die("socket");
    if (bind(l, (struct sockaddr *)&addr, sizeof(addr)) == -1 ||
        listen(l, (int)c + 64) == -1 ||
        getsockname(l, (struct sockaddr *)&addr, &len) == -1)
        die("bind/listen 127.0.0.1:0");
    if ((srv = fork()) == -1)
        die("fork");
    if (srv == 0) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
            die("prctl");
        pin(cpu_srv);
        serve(l);
    }
    close(l);
    t0 = now_ns();
    for (long k = 0; k < procs; k++) {
        long nc = c / procs + (k < c % procs);

        if ((pid[k] = fork()) == -1)
            die("fork");
        if (pid[k] == 0) {
            if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
                die("prctl");
            pin(cpu_load);
            load(nc, n / c);
            _exit(0);
        }
    }
    for (long k = 0; k < procs; k++) {
        int st;

        while (waitpid(pid[k], &st, 0) == -1)
            if (errno != EINTR)
                die("waitpid");
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "server: load process %ld failed\n", k);
            kill(srv, SIGKILL);
            return 1;
        }
    }
    dt = now_ns() - t0;
    if (kill(srv, SIGTERM) == -1 || waitpid(srv, NULL, 0) == -1)
        die("kill/waitpid server");
    n = n / c * c;              /* what was made: N/C per client */
    printf("server: %s, %ld clients, %ld requests in %.3f s: %.0f "
           "requests/s\n", argv[1], c, n, (double)dt / 1e9,
           (double)n * 1e9 / (double)dt);
    return 0;
}
