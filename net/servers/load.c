/* load.c - the load generator of the server family.
 *
 * What it is.  The clients of every server model: s->clients connections,
 * spread over a few load processes (--load-procs, default 2), never one
 * process per client, so that the load's own scheduling does not become
 * what is measured.  Each load process drives its connections with one
 * level-triggered epoll loop; each connection is a closed loop: send a
 * request of --size bytes, wait for the whole reply, compare it byte by
 * byte with the request, send the next.  --workload connect: a client
 * connects for each request and closes after its reply (so the TIME_WAIT
 * sockets are the clients').  --rate R: an open loop instead - client i
 * of C sends request k at t0 + (i + k*C)/R, all together R per second
 * evenly spaced, whether or not the server kept up; a request whose time
 * came while the previous one was still out goes as soon as its reply
 * is in, and its latency is counted from when it was due, not from when
 * it could go (coordinated omission: a stalled server cannot hide its
 * stall by slowing the load down).  --slow-client MS: the last client
 * (id C-1) sends the first half of each request, then the rest MS ms
 * later, without holding up the other clients of its load process (the
 * wait is a deadline in the same epoll loop); a server that serves one
 * connection at a time holds every other client behind it.  Its own
 * round trips, slow by design, are left out of the samples: the
 * percentiles are the others'.  A request's bytes depend on the
 * client and the request number, so an echo from the wrong connection or
 * a stale one is caught, not just a corrupt byte.
 *
 * Errors: counted, never dropped, and the load goes on.  A request fails
 * with one of three kinds (enum tp_error_kind), each counted in the
 * row's errors_refused, errors_reset, errors_timeout columns and its
 * note:
 *   refused  connect said ECONNREFUSED (nobody listens: a closed port, a
 *            socket file without a listener);
 *   reset    ECONNRESET, EPIPE or ECONNABORTED on a send or a read, or
 *            the server closed the connection before the whole reply;
 *   timeout  the reply was not whole --request-timeout after the request
 *            went out (the slow client: after its pause), or a connect or
 *            send blocked that long (SO_SNDTIMEO: a full accept queue
 *            stalls a load process no longer).  The deadlines are looked
 *            at every quarter of the timeout (at least every ms), so a
 *            request gives up between 1 and 1.25 timeouts.
 * What the load decided to do about each: the failed request is over
 * (its sample stays 0 and is left out of the percentiles, requests/s
 * counts answered ones only), its connection is closed (a late reply
 * cannot be taken for the next request's), and the client goes on with
 * its next request on a new connection - in both workloads: a dead
 * keep-alive connection is replaced, not the end of its client.  A
 * request whose connect is refused fails at once and the next is tried
 * (closed loop) or waits for its due time (open loop), so a server that
 * is gone costs no wait.  A keep-alive connection the server closes
 * between two requests (open loop, idle) loses no request: it is closed
 * here and the next request reconnects; if that is refused, that counts.
 * What is not counted but fatal: a reply with a wrong byte (the row
 * fails: verification stays strict) and the load's own failures (socket,
 * epoll, any other errno).  When every request failed, the run fails
 * with the counts and the first error, as there is nothing to measure.
 *
 * The clock.  Transports never read the clock - except here: many round
 * trips are in flight at once, so the harness cannot time them one by one.
 * Each load process reads CLOCK_MONOTONIC once when a request goes out (or
 * takes its due time, open loop) and once when its reply is complete, and
 * writes the difference into the harness's sample buffer (shared memory:
 * the producer's children see it), one slot per recorded round trip,
 * client by client; and once per epoll wakeup, for the deadlines.
 *
 *      producer (custom)        load process k        server (consumer)
 *      fork load processes ---> connect its clients   accept ...
 *                               send request 0 on each
 *                               epoll_wait <--------- echo
 *                               reply whole? compare,
 *                                 record, send next
 *                               last reply: close --> EOF: close
 *                               _exit
 *      reap them all
 *      write 1 byte to stop --------------------------> serve() returns
 *
 * Kernel objects.  One connected socket per client, one epoll instance
 * per load process; all closed before the process exits.  The load
 * processes die with the producer (PR_SET_PDEATHSIG) and are reaped by it.
 * See epoll(7), socket(7).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../bench/util.h"
#include "load.h"

struct load_slot {
    char err[ERR_LEN];
    uint64_t replies;           /* verified replies */
    uint64_t connects;          /* connections opened */
    uint64_t errors[TP_ERR_N];  /* failed requests, by kind */
    char first_err[ERR_LEN];    /* the first of them, in words */
};

struct load {
    size_t maplen;
    unsigned nprocs;
    uint64_t elapsed_ns;        /* load_run: first fork to last reap */
    struct load_slot slot[];
};

struct load *load_new(unsigned nprocs, char *err)
{
    size_t len = sizeof(struct load) + nprocs * sizeof(struct load_slot);
    struct load *l = mmap(NULL, len, PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    if (l == MAP_FAILED) {
        err_sys(err, "mmap");
        return NULL;
    }
    l->maplen = len;
    l->nprocs = nprocs;
    return l;
}

void load_free(struct load *l)
{
    if (l != NULL)
        munmap(l, l->maplen);
}

uint64_t load_connections(const struct load *l)
{
    uint64_t n = 0;

    for (unsigned k = 0; l != NULL && k < l->nprocs; k++)
        n += l->slot[k].connects;
    return n;
}

uint64_t load_elapsed_ns(const struct load *l)
{
    return l != NULL ? l->elapsed_ns : 0;
}

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Request `seq` of client `client`: splitmix64 from both numbers. */
static void fill_request(uint8_t *buf, size_t len, uint64_t client,
                         uint64_t seq)
{
    uint64_t x = client << 32 ^ seq ^ 0x9e3779b97f4a7c15u;

    for (size_t i = 0; i < len; i += 8) {
        uint64_t z = (x += 0x9e3779b97f4a7c15u);

        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
        z ^= z >> 31;
        memcpy(buf + i, &z, len - i < 8 ? len - i : 8);
    }
}

#define LOAD_HTTP_REQ 96         /* "GET /client/seq HTTP/1.1 ..." */

struct client {
    int fd;                     /* -1 between connections */
    unsigned id;                /* 0 .. clients-1, over all processes */
    uint64_t seq;               /* the request in flight */
    uint64_t t_send;            /* its start: sent (closed loop), or due
                                   (open loop: coordinated omission) */
    uint64_t t_deadline;        /* ... and when it times out */
    uint64_t t_due;             /* open loop: when the next one is due */
    int idle;                   /* open loop: waiting for t_due */
    int done;                   /* every request made */
    int conn_err;               /* keep-alive: the first connect failed
                                   with kind conn_err - 1 (0: it did not) */
    size_t rest_off, rest_len;  /* slow client: the part still to send */
    uint64_t t_rest;            /* ... and when */
    size_t got;
    uint8_t *req, *reply;
};

struct lproc {
    const struct srv *s;
    struct client *cl;
    unsigned first, n;          /* its clients: ids first .. first+n-1 */
    uint64_t warm, per;
    uint64_t period_ns;         /* open loop: one client's request spacing */
    uint64_t scan_ns;           /* how often the deadlines are looked at */
    const uint8_t *resp;        /* --proto http: the expected response */
    size_t resp_len;
    uint64_t *samples;
    struct load_slot *slot;
    int epfd;
};

/* The kind of a failed request's errno (enum tp_error_kind), or -1 when
 * the error is not the connection's but the load's own: fatal. */
static int load_error_kind(int e)
{
    switch (e) {
    case ECONNREFUSED:
        return TP_ERR_REFUSED;
    case ECONNRESET:
    case EPIPE:
    case ECONNABORTED:
        return TP_ERR_RESET;
    case ETIMEDOUT:
        return TP_ERR_TIMEOUT;
    default:
        return -1;
    }
}

/* Request c->seq failed with an error of `kind`: count it (the first one
 * of this process also in words), leave its sample at 0 (figures.c drops
 * it), drop the connection.  The caller goes on with client_advance(). */
static void client_failed(struct lproc *p, struct client *c, int kind,
                          const char *what)
{
    p->slot->errors[kind]++;
    if (p->slot->first_err[0] == '\0')
        snprintf(p->slot->first_err, ERR_LEN, "client %u, request %llu: "
                 "%s", c->id, (unsigned long long)c->seq, what);
    if (c->seq >= p->warm)
        p->samples[(uint64_t)c->id * p->per + c->seq - p->warm] = 0;
    close_fd(&c->fd);           /* close: out of the epoll set too */
    c->rest_len = 0;
    c->got = 0;
}

/* 0 connected, 1 failed with an error of *kind (counted by the caller),
 * -1 the load's own failure. */
static int client_connect(struct lproc *p, struct client *c, int *kind,
                          char *err)
{
    int on = 1;
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
    int domain = p->s->via == SRV_TCP ? p->s->addr.ss_family : AF_UNIX;
    struct timeval tv = {
        .tv_sec = (time_t)(p->s->timeout_ns / 1000000000u),
        .tv_usec = (suseconds_t)(p->s->timeout_ns % 1000000000u / 1000u),
    };

    c->fd = socket(domain, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd == -1)
        return err_sys(err, "socket");
    /* a blocking connect or send waits at most the request's timeout: a
     * full accept queue stalls this load process no longer than that */
    if (setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1)
        return err_sys(err, "setsockopt SO_SNDTIMEO");
    if (connect(c->fd, (const struct sockaddr *)&p->s->addr,
                p->s->addrlen) == -1) {
        int e = errno;

        close_fd(&c->fd);
        errno = e;              /* for the caller's message */
        *kind = e == EINPROGRESS || e == EAGAIN ? TP_ERR_TIMEOUT
                                                : load_error_kind(e);
        if (*kind >= 0)         /* SO_SNDTIMEO: EINPROGRESS (TCP), EAGAIN
                                   (Unix) */
            return 1;
        return err_set(err, "client %u, request %llu: connect: %s%s", c->id,
                       (unsigned long long)c->seq, strerror(e),
                       e == EADDRNOTAVAIL ? " (local ports used up, "
                       "in TIME_WAIT: fewer --iterations)" : "");
    }
    p->slot->connects++;
    if (p->s->via == SRV_TCP &&
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1)
        return err_sys(err, "setsockopt TCP_NODELAY");
    if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, c->fd, &ev) == -1)
        return err_sys(err, "epoll_ctl");
    return 0;
}

/* Send buf whole: 0 sent, 1 the request failed (counted), -1 error. */
static int client_write(struct lproc *p, struct client *c,
                        const uint8_t *buf, size_t len, char *err)
{
    while (len > 0) {
        ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
        int kind;

        if (n >= 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (errno == EINTR)
            continue;
        kind = errno == EAGAIN ? TP_ERR_TIMEOUT     /* SO_SNDTIMEO */
                               : load_error_kind(errno);
        if (kind < 0)
            return err_set(err, "client %u, request %llu: send: %s", c->id,
                           (unsigned long long)c->seq, strerror(errno));
        client_failed(p, c, kind, strerror(errno));
        return 1;
    }
    return 0;
}

/* Start request c->seq: its clock starts now (closed loop) or at its due
 * time (open loop, even when late: the wait is the server's); connect
 * first when it has no connection (connect per request, or a keep-alive
 * connection that failed).  0 sent, 1 it failed (counted), -1 error. */
static int client_start(struct lproc *p, struct client *c, char *err)
{
    size_t len = p->s->msg_bytes;
    uint64_t t;
    int kind;

    if (p->s->http)             /* the path names the client and request */
        len = (size_t)snprintf((char *)c->req, LOAD_HTTP_REQ,
                               "GET /%u/%llu HTTP/1.1\r\nHost: ipclab\r\n"
                               "\r\n", c->id, (unsigned long long)c->seq);
    else
        fill_request(c->req, len, c->id, c->seq);
    c->got = 0;
    c->idle = 0;
    c->t_send = p->period_ns != 0 ? c->t_due : now_ns();
    if (c->conn_err != 0) {     /* keep-alive: its first connect failed */
        kind = c->conn_err - 1;
        c->conn_err = 0;
        client_failed(p, c, kind, "connect failed");
        return 1;
    }
    if (c->fd == -1) {
        int r = client_connect(p, c, &kind, err);

        if (r == 1)
            client_failed(p, c, kind, strerror(errno));
        if (r != 0)
            return r;
    }
    /* the deadline: from now, or, closed loop, from t_send, read just
     * before (connect per request: the connect is part of the wait) */
    t = p->period_ns != 0 ? now_ns() : c->t_send;
    c->t_deadline = t + p->s->timeout_ns;
    if (p->s->slow_ns != 0 && c->id == p->s->clients - 1) {
        c->rest_off = len / 2;  /* half now, the rest when due */
        c->rest_len = len - len / 2;
        c->t_rest = t + p->s->slow_ns;
        c->t_deadline += p->s->slow_ns;
        len /= 2;
    }
    return client_write(p, c, c->req, len, err);
}

/* Request c->seq is over, answered at t or failed: on to the next one -
 * sent, scheduled (open loop), or the client done when none is left.  A
 * request that fails at once (a refused connect) is counted and the next
 * one tried, so a server that is gone costs no wait.  0, or -1 error. */
static int client_advance(struct lproc *p, struct client *c, uint64_t t,
                          int *active, char *err)
{
    for (;;) {
        int r;

        if (++c->seq == p->warm + p->per) {
            close_fd(&c->fd);   /* the server sees EOF */
            c->done = 1;
            (*active)--;
            return 0;
        }
        if (p->period_ns != 0) {
            c->t_due += p->period_ns;
            if (c->t_due > t) {
                c->idle = 1;    /* sent when due (lproc_due) */
                return 0;
            }
        }
        if ((r = client_start(p, c, err)) != 1)
            return r;
        t = now_ns();
    }
}

/* Start request c->seq, and the next ones while they fail at once. */
static int client_go(struct lproc *p, struct client *c, int *active,
                     char *err)
{
    int r = client_start(p, c, err);

    return r == 1 ? client_advance(p, c, now_ns(), active, err) : r;
}

/* c's socket is readable: read; a whole reply is compared, recorded and
 * followed by the next request.  A reset or an early EOF fails the
 * request (counted).  0, or -1 error (a wrong byte is one). */
static int client_readable(struct lproc *p, struct client *c, int *active,
                           char *err)
{
    /* http: every response is the same bytes, header and body */
    size_t len = p->s->http ? p->resp_len : p->s->msg_bytes;
    const uint8_t *want = p->s->http ? p->resp : c->req;
    ssize_t n = read(c->fd, c->reply + c->got, len - c->got);
    uint64_t t;

    if (n == -1 && (errno == EINTR || errno == EAGAIN))
        return 0;
    if (n <= 0) {
        int kind = n == 0 ? TP_ERR_RESET : load_error_kind(errno);

        if (kind < 0)
            return err_set(err, "client %u, request %llu: read: %s", c->id,
                           (unsigned long long)c->seq, strerror(errno));
        if (c->idle) {          /* between requests: none lost, the next
                                   one reconnects */
            close_fd(&c->fd);
            return 0;
        }
        client_failed(p, c, kind, n == 0 ? "the server closed the "
                      "connection before the reply" : strerror(errno));
        return client_advance(p, c, now_ns(), active, err);
    }
    c->got += (size_t)n;
    if (c->got < len)
        return 0;
    t = now_ns();
    if (memcmp(c->reply, want, len) != 0) {
        size_t k = 0;

        while (c->reply[k] == want[k])
            k++;
        return err_set(err, "client %u, request %llu: reply byte %zu is "
                       "0x%02x, expected 0x%02x", c->id,
                       (unsigned long long)c->seq, k, c->reply[k],
                       want[k]);
    }
    p->slot->replies++;
    if (c->seq >= p->warm)
        p->samples[(uint64_t)c->id * p->per + c->seq - p->warm] =
            t > c->t_send ? t - c->t_send : 1;
    if (p->s->connect_per_req)
        close_fd(&c->fd);       /* the server sees EOF; TIME_WAIT is ours */
    return client_advance(p, c, t, active, err);
}

/* Open loop, slow client: send what is due, and lower *next to when the
 * next thing is due. */
static int lproc_due(struct lproc *p, uint64_t *next, int *active,
                     char *err)
{
    uint64_t now = now_ns();

    for (unsigned i = 0; i < p->n; i++) {
        struct client *c = &p->cl[i];
        int r = 0;

        if (c->rest_len != 0 && c->t_rest <= now) {
            size_t len = c->rest_len;

            c->rest_len = 0;
            r = client_write(p, c, c->req + c->rest_off, len, err);
        } else if (c->idle && c->t_due <= now) {
            r = client_start(p, c, err);
        }
        if (r == 1)
            r = client_advance(p, c, now_ns(), active, err);
        if (r == -1)
            return -1;
        if (c->rest_len != 0 && c->t_rest < *next)
            *next = c->t_rest;
        if (c->idle && c->t_due < *next)
            *next = c->t_due;
    }
    return 0;
}

/* Every request in flight past its deadline fails (timed out): its
 * connection is closed, a late reply cannot be taken for the next one. */
static int lproc_timeouts(struct lproc *p, uint64_t now, int *active,
                          char *err)
{
    for (unsigned i = 0; i < p->n; i++) {
        struct client *c = &p->cl[i];

        if (c->done || c->idle || c->fd == -1 || c->t_deadline > now)
            continue;
        client_failed(p, c, TP_ERR_TIMEOUT, "no reply in time "
                      "(--request-timeout)");
        if (client_advance(p, c, now, active, err) == -1)
            return -1;
    }
    return 0;
}

static int lproc_loop(struct lproc *p, char *err)
{
    struct epoll_event ev[64];
    int active = (int)p->n;
    uint64_t t0, next_scan;

    if (!p->s->connect_per_req)
        for (unsigned i = 0; i < p->n; i++) {
            int kind, r = client_connect(p, &p->cl[i], &kind, err);

            if (r == -1)
                return -1;
            if (r == 1)         /* request 0 fails with it */
                p->cl[i].conn_err = kind + 1;
        }
    /* open loop: client i's requests are due every period from
     * t0 + i/R, so that together they are R per second, evenly spaced */
    t0 = now_ns();
    next_scan = t0 + p->scan_ns;
    for (unsigned i = 0; i < p->n; i++) {
        struct client *c = &p->cl[i];

        if (p->period_ns != 0) {
            c->t_due = t0 + p->period_ns * c->id / p->s->clients;
            c->idle = 1;
        } else if (client_go(p, c, &active, err) == -1) {
            return -1;
        }
    }
    while (active > 0) {
        struct timespec ts;
        uint64_t now = now_ns(), next;
        int n;

        if (now >= next_scan) { /* the deadlines, a few times per timeout */
            if (lproc_timeouts(p, now, &active, err) == -1)
                return -1;
            next_scan = now + p->scan_ns;
            if (active == 0)
                break;
        }
        next = next_scan;
        if (p->period_ns != 0 || p->s->slow_ns != 0) {
            if (lproc_due(p, &next, &active, err) == -1)
                return -1;
            if (active == 0)
                break;
            now = now_ns();     /* lproc_due may have taken a while */
        }
        next = next > now ? next - now : 0;
        ts.tv_sec = (time_t)(next / 1000000000u);
        ts.tv_nsec = (long)(next % 1000000000u);
        /* epoll_pwait2: a nanosecond timeout (epoll_wait's is in ms) */
        n = epoll_pwait2(p->epfd, ev, 64, &ts, NULL);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            return err_sys(err, "epoll_pwait2");
        for (int i = 0; i < n; i++)
            if (client_readable(p, ev[i].data.ptr, &active, err) == -1)
                return -1;
    }
    return 0;
}

/* One load process: never returns. */
static void lproc_main(struct lproc *p)
{
    char err[ERR_LEN] = "";
    size_t alloc = (p->s->msg_bytes + 7) / 8 * 8;
    int rc = -1;

    if (p->s->http) {
        p->resp = srv_http_response(p->s->msg_bytes, &p->resp_len);
        if (p->resp == NULL) {
            err_sys(err, "malloc");
            goto out;
        }
        alloc = p->resp_len > LOAD_HTTP_REQ ? p->resp_len : LOAD_HTTP_REQ;
    }

    if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1) {
        err_sys(err, "prctl");
        goto out;
    }
    p->cl = calloc(p->n, sizeof(*p->cl));
    p->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (p->cl == NULL || p->epfd == -1) {
        err_sys(err, p->cl == NULL ? "calloc" : "epoll_create1");
        goto out;
    }
    for (unsigned i = 0; i < p->n; i++) {
        p->cl[i].fd = -1;
        p->cl[i].id = p->first + i;
        p->cl[i].req = malloc(alloc);
        p->cl[i].reply = malloc(alloc);
        if (p->cl[i].req == NULL || p->cl[i].reply == NULL) {
            err_sys(err, "malloc");
            goto out;
        }
    }
    rc = lproc_loop(p, err);
out:
    if (rc == -1)
        memcpy(p->slot->err, err, ERR_LEN);
    _exit(rc == 0 ? 0 : 1);     /* the kernel closes what is left */
}

/* Reap the load processes; the first error any of them reported. */
static int reap_all(struct srv *s, const pid_t *pid, unsigned nprocs,
                    char *err)
{
    int failed = 0;

    for (unsigned k = 0; k < nprocs; k++) {
        int st;
        pid_t r;

        if (pid[k] <= 0)
            continue;
        while ((r = waitpid(pid[k], &st, 0)) == -1 && errno == EINTR)
            ;
        if (r == -1)
            return err_sys(err, "waitpid");
        if (failed || (WIFEXITED(st) && WEXITSTATUS(st) == 0))
            continue;
        failed = 1;
        if (s->load->slot[k].err[0] != '\0')
            err_set(err, "load process %u: %s", k, s->load->slot[k].err);
        else
            err_set(err, "load process %u died (status 0x%x)", k, st);
    }
    return failed ? -1 : 0;
}

/* Open loop: one client's spacing, C/R seconds (at least 1 ns: a rate
 * beyond that is as fast as the load goes, still timed from the
 * schedule); 0 closed loop. */
static uint64_t load_period_ns(const struct srv *s)
{
    uint64_t ns;

    if (s->rate == 0)
        return 0;
    ns = (uint64_t)s->clients * 1000000000u / s->rate;
    return ns > 0 ? ns : 1;
}

int load_run(struct srv *s, unsigned nprocs, uint64_t warm, uint64_t per,
             struct tp_counts *c, char *err)
{
    pid_t pid[SRV_MAX_LISTENERS] = { 0 };
    unsigned first = 0, bad = 0;
    char one = 's';
    int rc = 0;
    uint64_t t0 = now_ns(), failed = 0;

    if (nprocs > s->clients)
        nprocs = s->clients;
    s->load->elapsed_ns = 0;
    for (unsigned k = 0; k < nprocs; k++) {
        struct lproc p = {
            .s = s, .first = first, .warm = warm, .per = per,
            .period_ns = load_period_ns(s),
            .scan_ns = s->timeout_ns / 4 > 1000000u ? s->timeout_ns / 4
                                                     : 1000000u,
            .n = s->clients / nprocs + (k < s->clients % nprocs),
            .samples = c->samples_ns, .slot = &s->load->slot[k],
        };

        memset(p.slot, 0, sizeof(*p.slot));
        first += p.n;
        pid[k] = fork();
        if (pid[k] == -1) {
            rc = err_sys(err, "fork");
            break;
        }
        if (pid[k] == 0)
            lproc_main(&p);
    }
    if (rc == -1)               /* do not wait for clients never started */
        for (unsigned k = 0; k < nprocs; k++)
            if (pid[k] > 0)
                kill(pid[k], SIGKILL);
    if (reap_all(s, pid, nprocs, rc == -1 ? (char[ERR_LEN]){ 0 } : err)
        == -1)
        rc = -1;
    s->load->elapsed_ns = now_ns() - t0;
    c->sent = (uint64_t)s->clients * (warm + per);
    for (unsigned k = 0; k < nprocs; k++) {
        c->received += s->load->slot[k].replies;
        for (int e = 0; e < TP_ERR_N; e++) {
            c->errors[e] += s->load->slot[k].errors[e];
            failed += s->load->slot[k].errors[e];
        }
        if (bad == 0 && s->load->slot[k].first_err[0] != '\0')
            bad = k + 1;        /* the first process that saw one */
    }
    if (rc == 0 && c->received + failed < c->sent)
        c->lost = c->sent - c->received - failed;
    if (rc == 0 && c->received == 0 && failed > 0)
        rc = err_set(err, "every request failed: %llu refused, %llu reset, "
                     "%llu timed out (the first: %s)",
                     (unsigned long long)c->errors[TP_ERR_REFUSED],
                     (unsigned long long)c->errors[TP_ERR_RESET],
                     (unsigned long long)c->errors[TP_ERR_TIMEOUT],
                     s->load->slot[bad - 1].first_err);
    /* the slow client's samples are the last: left out */
    c->nsamples = (uint64_t)(s->clients - (s->slow_ns != 0)) * per;
    if (write_full(s->stop_wfd, &one, 1, err) == -1)    /* serve() ends */
        return -1;
    return rc;
}
