/* load.c - the load generator of the server family.
 *
 * What it is.  The clients of every server model: s->clients connections,
 * spread over a few load processes (--load-procs, default 2), never one
 * process per client, so that the load's own scheduling does not become
 * what is measured.  Each load process drives its connections with one
 * level-triggered epoll loop (a process with a single client in a closed
 * loop waits in read() instead, as a lone client would: one wait per
 * reply, like the tcp row it is compared with; load_client.c holds the
 * steps of one client); each connection is a closed loop: send a
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
#include "load_client.h"

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

/* A lone client in a closed loop (p->blocking): it waits in read() itself,
 * as a client with one connection would, instead of in epoll_pwait2()
 * then read(): one wait per reply, like the consumer of the tcp and unix
 * rows, so that a one-client row compares the server frame alone with
 * them.  Its deadline: the read gives up every scan_ns (SO_RCVTIMEO, set
 * by client_connect) and lproc_timeouts() fails the request once
 * t_deadline is past. */
static int lproc_wait_one(struct lproc *p, int *active, char *err)
{
    struct client *c = &p->cl[0];

    while (*active > 0) {
        int r = client_readable(p, c, active, err);

        if (r != 2) {
            if (r == -1)
                return -1;
            continue;
        }
        if (lproc_timeouts(p, load_now_ns(), active, err) == -1)
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
    t0 = load_now_ns();
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
    if (p->blocking)
        return lproc_wait_one(p, &active, err);
    while (active > 0) {
        struct timespec ts;
        uint64_t now = load_now_ns(), next;
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
            now = load_now_ns();     /* lproc_due may have taken a while */
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
    uint64_t t0 = load_now_ns(), failed = 0;

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

        p.blocking = p.n == 1 && p.period_ns == 0 && s->slow_ns == 0;
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
    s->load->elapsed_ns = load_now_ns() - t0;
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
