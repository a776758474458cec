/* backlog.c - the lesson of the listen backlog: what happens to connects
 * when a server does not accept() fast enough.
 *
 * What it shows.  The kernel completes TCP handshakes for a listening
 * socket on its own and parks the finished connections in an accept
 * queue until the program calls accept().  listen(fd, n) bounds that
 * queue: Linux holds n + 1 connections (the check is "more than n",
 * capped by net.core.somaxconn, 4096 by default).  When the queue is
 * full, a new SYN is dropped, not refused: the client's connect() does
 * not fail, it hangs, retransmitting its SYN after 1 s, 3 s, 7 s ... and
 * completes only if the server accepts in time (or fails with ETIMEDOUT
 * after about two minutes).  Set net.ipv4.tcp_abort_on_overflow to 1 and
 * the server answers with RST instead (ECONNREFUSED).  SYN cookies
 * (net.ipv4.tcp_syncookies) are about the other queue, the half-open
 * connections of a SYN flood: they do not make room in a full accept
 * queue.  One row, backlog/full:
 *   for n = 1, 4 and 16, a listener that never accepts gets n + 3
 *   non-blocking connects, one after the other; each either completes
 *   within 50 ms (writable, no error) or is still pending: the run checks
 *   that exactly min(n, somaxconn) + 1 completed, that the rest hang and
 *   that none was refused, and fails otherwise, saying what happened.
 * Throughput row: sent = connects tried, received = completed, lost =
 * hanging; the note states the counts for each n.  One experiment per run.
 *
 * Kernel objects.  Per n, a listener on 127.0.0.1 port 0 (the kernel
 * picks, read back) and the client sockets; all closed before the next n
 * (closing the listener resets the queued connections; a pending client
 * socket just disappears).
 *
 * Copies, waiting.  None; poll() for writability, at most 50 ms per
 * connect.  One process plays both ends (TP_SOLO).
 *
 * Protocol (one n):
 *
 *      client                                 listener (never accepts)
 *      ------                                 ------------------------
 *      connect #1 .. #n+1 --- SYN ----------> SYN-ACK, queued: complete
 *      connect #n+2, #n+3 --- SYN ----------> queue full: dropped
 *      (pending, SYN retransmitted after 1 s)
 *      close all                              close: queued ones reset
 *
 * See listen(2) (the backlog and somaxconn), tcp(7) (tcp_abort_on_overflow,
 * tcp_syncookies, tcp_max_syn_backlog).
 *
 * Usage: ipclab run backlog  (or bin/backlog)
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../bench/transport.h"
#include "../bench/util.h"
#include "loopback.h"

#define BL_OVER 2               /* connects tried beyond the queue */
#define BL_WAIT_MS 50           /* a connect that completes does so in us */
#define BL_MAX_N 16

static const int bl_backlogs[] = { 1, 4, 16 };
#define BL_NBACKLOGS (sizeof(bl_backlogs) / sizeof(bl_backlogs[0]))

struct bl_result {
    unsigned tried, completed, pending, refused;
};

/* One non-blocking connect: 1 if it completed, 0 if still pending after
 * BL_WAIT_MS, -1 with err on error; *refused set on ECONNREFUSED. */
static int bl_connect_one(const struct sockaddr_in *addr, int *fd,
                          int *refused, char *err)
{
    struct pollfd pfd;
    int soerr = 0, n;
    socklen_t len = sizeof(soerr);

    *refused = 0;
    *fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (*fd == -1)
        return err_sys(err, "socket");
    if (connect(*fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0)
        return 1;
    if (errno != EINPROGRESS)
        return err_sys(err, "connect");
    pfd.fd = *fd;
    pfd.events = POLLOUT;
    while ((n = poll(&pfd, 1, BL_WAIT_MS)) == -1 && errno == EINTR)
        ;
    if (n == -1)
        return err_sys(err, "poll");
    if (n == 0)
        return 0;               /* SYN dropped: the connect hangs */
    if (getsockopt(*fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
        return err_sys(err, "getsockopt SO_ERROR");
    if (soerr == ECONNREFUSED) {
        *refused = 1;
        return 0;
    }
    if (soerr != 0) {
        errno = soerr;
        return err_sys(err, "connect (SO_ERROR)");
    }
    return 1;
}

/* A listener with backlog n that never accepts, and n + 1 + BL_OVER
 * connects to it. */
static int bl_experiment(int n, struct bl_result *r, char *err)
{
    int fds[BL_MAX_N + 1 + BL_OVER], lfd, rc = 0, refused;
    struct sockaddr_in addr;
    unsigned k = 0;

    memset(r, 0, sizeof(*r));
    lfd = loop_listen(&addr, n, err);
    if (lfd == -1)
        return -1;
    for (; k < (unsigned)n + 1 + BL_OVER; k++) {
        rc = bl_connect_one(&addr, &fds[k], &refused, err);
        if (rc == -1) {
            k++;                /* close this one too */
            break;
        }
        r->tried++;
        r->completed += (unsigned)rc;
        r->refused += (unsigned)refused;
        r->pending += (unsigned)(rc == 0 && !refused);
        rc = 0;
    }
    while (k > 0)
        close_fd(&fds[--k]);
    close_fd(&lfd);
    return rc;
}

/* All three backlogs; -1 unless each behaved as documented. */
static int bl_all(struct bl_result *r, unsigned long somaxconn, char *err)
{
    for (size_t i = 0; i < BL_NBACKLOGS; i++) {
        unsigned want = (unsigned)bl_backlogs[i] + 1;

        if ((unsigned long)bl_backlogs[i] > somaxconn)
            want = (unsigned)somaxconn + 1;
        if (bl_experiment(bl_backlogs[i], &r[i], err) == -1)
            return -1;
        if (r[i].completed != want || r[i].refused != 0)
            return err_set(err, "listen backlog %d: %u of %u connects "
                                "completed, %u refused (expected %u "
                                "completed, none refused)", bl_backlogs[i],
                           r[i].completed, r[i].tried, r[i].refused, want);
    }
    return 0;
}

static int bl_create(struct tp_channel *ch, char *err)
{
    struct bl_result r[BL_NBACKLOGS];
    unsigned long *somaxconn = calloc(1, sizeof(*somaxconn));

    if (somaxconn == NULL)
        return err_sys(err, "calloc");
    ch->priv = somaxconn;
    if (read_proc_ulong("/proc/sys/net/core/somaxconn", somaxconn,
                        err) == -1 ||
        bl_all(r, *somaxconn, err) == -1)
        return -1;
    snprintf(ch->note, NOTE_LEN, "backlog 1/4/16: %u/%u/%u connects "
             "completed, %u/%u/%u hang, none refused; somaxconn %lu",
             r[0].completed, r[1].completed, r[2].completed, r[0].pending,
             r[1].pending, r[2].pending, *somaxconn);
    return 0;
}

static int bl_attach(struct tp_channel *ch, char *err)
{
    (void)ch;
    (void)err;
    return 0;
}

static int bl_custom(struct tp_channel *ch, struct tp_counts *counts,
                     char *err)
{
    struct bl_result r[BL_NBACKLOGS];
    unsigned long *somaxconn = ch->priv;

    if (bl_all(r, *somaxconn, err) == -1)
        return -1;
    for (size_t i = 0; i < BL_NBACKLOGS; i++) {
        counts->sent += r[i].tried;
        counts->received += r[i].completed;
        counts->lost += r[i].pending;
    }
    return 0;
}

static void bl_destroy(struct tp_channel *ch)
{
    free(ch->priv);
    ch->priv = NULL;
}

static const struct transport backlog_full = {
    .name = "backlog/full",
    .family = TP_NET,
    .summary = "listen(n) and never accept: n + 1 connects complete, the "
               "rest hang",
    .caps = TP_SOLO | TP_NO_SIZE | TP_NO_PAYLOAD | TP_NO_LATENCY,
    .syscalls = TP_SYSCALLS_NOT_A_CHANNEL,
    .create = bl_create,
    .attach = bl_attach,
    .custom = bl_custom,
    .destroy = bl_destroy,
};
TRANSPORT_REGISTER(backlog_full);
