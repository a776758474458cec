/* time_wait.c - the lesson of TIME_WAIT: who keeps it, and why a server
 * that restarts needs SO_REUSEADDR.
 *
 * What it shows.  The side of a TCP connection that closes first (the
 * active close) keeps the connection's four-tuple in TIME_WAIT for 2 MSL
 * (60 s on Linux), so that a late segment of the old connection cannot be
 * taken for part of a new one.  Two consequences, one row each:
 *   time_wait/reuseaddr  a server that closed its connections first and
 *                        exits holds its port in TIME_WAIT: binding the
 *                        port again fails with EADDRINUSE, unless both
 *                        the old and the new socket set SO_REUSEADDR
 *                        before bind.  Both facts are checked every
 *                        iteration; the note states them.
 *   time_wait/burst      a burst of 100 connections that the client
 *                        closes first leaves 100 TIME_WAIT entries, all
 *                        on the client's side (counted in /proc/net/tcp
 *                        by the exact port pairs, so other programs'
 *                        entries never count); the server holds none.
 * Either row is ok only when the kernel did what is documented; its run
 * fails otherwise, with what happened.  Throughput rows: msgs/s is
 * experiments (reuseaddr) or connections (burst) per second, a by-product;
 * the lesson is the note.  Per run: --iterations experiments, at most 20
 * (reuseaddr) or 3 bursts.
 *
 * Kernel objects.  Listeners on 127.0.0.1 port 0 (the kernel picks, read
 * back), connections, and the TIME_WAIT entries they leave: these are
 * the kernel's, hold no descriptor, and expire by themselves after 60 s.
 * Every descriptor is closed before the iteration ends.
 *
 * Copies, waiting.  None; one process plays both ends (TP_SOLO): connect()
 * completes in the kernel, accept() then takes the connection at once.
 *
 * Protocol (reuseaddr, one experiment with and one without the option):
 *
 *      server                               client
 *      ------                               ------
 *      bind 127.0.0.1:0 -> port P, listen
 *      accept()  <------- handshake ------  connect(P)
 *      close()   -------- FIN ----------->  close()   server: TIME_WAIT
 *      close(listener)                      (the "server exits")
 *      bind(P) again: EADDRINUSE / with SO_REUSEADDR: ok
 *
 * See tcp(7) (tcp_fin_timeout, tcp_tw_reuse), socket(7) (SO_REUSEADDR),
 * RFC 9293 section 3.6.1.
 *
 * Usage: ipclab run time_wait  (or bin/time_wait)
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/transport.h"
#include "../bench/util.h"
#include "loopback.h"

enum tw_kind { TW_REUSEADDR, TW_BURST };

#define TW_MAX_RUNS 20u         /* experiments per run (reuseaddr) */
#define TW_MAX_BURSTS 3u        /* bursts per run: each leaves 100 entries
                                   holding ephemeral ports for 60 s */
#define TW_BURST_N 100u         /* connections per burst */

struct tw_priv {
    unsigned ports[TW_BURST_N];     /* burst: the clients' ports */
};

/* The server restarts on its port P after an active close: returns the
 * errno of the second bind (0 when it succeeded) in *bind_errno. */
static int tw_restart(int reuse, int *bind_errno, char *err)
{
    struct sockaddr_in addr;
    int lfd = -1, client = -1, server = -1, fd = -1, rc = -1;

    if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
        return err_sys(err, "socket");
    if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof(reuse))) {
        err_sys(err, "setsockopt SO_REUSEADDR");
        goto out;
    }
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) == -1 ||
        listen(lfd, 1) == -1 ||
        getsockname(lfd, (struct sockaddr *)&addr,
                    &(socklen_t){ sizeof(addr) }) == -1) {
        err_sys(err, "bind/listen 127.0.0.1:0");
        goto out;
    }
    if (loop_pair(lfd, &addr, &client, &server, err) == -1)
        goto out;
    close_fd(&server);          /* active close: TIME_WAIT is the server's */
    close_fd(&client);
    close_fd(&lfd);             /* the old server is gone */
    if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
        err_sys(err, "socket");
        goto out;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof(reuse))) {
        err_sys(err, "setsockopt SO_REUSEADDR");
        goto out;
    }
    *bind_errno = bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0
                      ? 0 : errno;
    rc = 0;
out:
    close_fd(&fd);
    close_fd(&client);
    close_fd(&server);
    close_fd(&lfd);
    return rc;
}

/* Both halves of the fact; -1 with what happened unless documented. */
static int tw_reuseaddr_once(char *err)
{
    int without = 0, with = 0;

    if (tw_restart(0, &without, err) == -1 || tw_restart(1, &with, err) == -1)
        return -1;
    if (without != EADDRINUSE || with != 0)
        return err_set(err, "rebinding a port in TIME_WAIT: without "
                            "SO_REUSEADDR %s, with it %s (expected "
                            "EADDRINUSE, then success)",
                       without ? strerror(without) : "succeeded",
                       with ? strerror(with) : "succeeded");
    return 0;
}

/* A burst of TW_BURST_N connections the client closes first; counts the
 * TIME_WAIT entries each side keeps. */
static int tw_burst_once(struct tw_priv *p, unsigned *client_side,
                         unsigned *server_side, char *err)
{
    struct sockaddr_in addr;
    int lfd = loop_listen(&addr, (int)TW_BURST_N, err), client, server;
    int rc = -1;

    if (lfd == -1)
        return -1;
    for (unsigned i = 0; i < TW_BURST_N; i++) {
        if (loop_pair(lfd, &addr, &client, &server, err) == -1)
            goto out;
        p->ports[i] = loop_local_port(client);
        close_fd(&client);      /* active close: the client's TIME_WAIT */
        close_fd(&server);
    }
    rc = loop_count_time_wait(ntohs(addr.sin_port), p->ports, TW_BURST_N,
                              client_side, server_side, err);
out:
    close_fd(&lfd);
    return rc;
}

static int tw_burst_check(struct tw_priv *p, char *err)
{
    unsigned client_side, server_side;

    if (tw_burst_once(p, &client_side, &server_side, err) == -1)
        return -1;
    if (client_side != TW_BURST_N || server_side != 0)
        return err_set(err, "after %u client-closed connections: %u "
                            "TIME_WAIT on the client side, %u on the "
                            "server's (expected %u and 0)", TW_BURST_N,
                       client_side, server_side, TW_BURST_N);
    return 0;
}

/* Parent: the experiment once, for the note (and to refuse early). */
static int tw_create(struct tp_channel *ch, char *err)
{
    struct tw_priv *p = calloc(1, sizeof(*p));

    if (p == NULL)
        return err_sys(err, "calloc");
    ch->priv = p;
    if (ch->tp->variant == TW_REUSEADDR) {
        if (tw_reuseaddr_once(err) == -1)
            return -1;
        snprintf(ch->note, NOTE_LEN, "port in TIME_WAIT: bind EADDRINUSE "
                 "without SO_REUSEADDR, ok with it");
    } else {
        if (tw_burst_check(p, err) == -1)
            return -1;
        snprintf(ch->note, NOTE_LEN, "burst of %u, client closes first: "
                 "%u TIME_WAIT on the client side, 0 on the server",
                 TW_BURST_N, TW_BURST_N);
    }
    return 0;
}

static int tw_attach(struct tp_channel *ch, char *err)
{
    (void)ch;
    (void)err;
    return 0;
}

static int tw_custom(struct tp_channel *ch, struct tp_counts *counts,
                     char *err)
{
    uint64_t max = ch->tp->variant == TW_BURST ? TW_MAX_BURSTS : TW_MAX_RUNS;
    uint64_t n = ch->messages < max ? ch->messages : max;
    uint64_t per = ch->tp->variant == TW_BURST ? TW_BURST_N : 1;

    for (uint64_t i = 0; i < n; i++) {
        if ((ch->tp->variant == TW_BURST ? tw_burst_check(ch->priv, err)
                                         : tw_reuseaddr_once(err)) == -1)
            return -1;
        counts->sent = counts->received = (i + 1) * per;
    }
    return 0;
}

static void tw_destroy(struct tp_channel *ch)
{
    free(ch->priv);
    ch->priv = NULL;
}

static const struct transport time_wait_reuseaddr = {
    .name = "time_wait/reuseaddr",
    .family = TP_NET,
    .summary = "rebind a port in TIME_WAIT: EADDRINUSE, then SO_REUSEADDR",
    .caps = TP_SOLO | TP_NO_SIZE | TP_NO_PAYLOAD | TP_NO_LATENCY,
    .syscalls = TP_SYSCALLS_NOT_A_CHANNEL,
    .variant = TW_REUSEADDR,
    .create = tw_create,
    .attach = tw_attach,
    .custom = tw_custom,
    .destroy = tw_destroy,
};
TRANSPORT_REGISTER(time_wait_reuseaddr);

static const struct transport time_wait_burst = {
    .name = "time_wait/burst",
    .family = TP_NET,
    .summary = "100 client-closed connections: who keeps the TIME_WAITs",
    .caps = TP_SOLO | TP_NO_SIZE | TP_NO_PAYLOAD | TP_NO_LATENCY,
    .syscalls = TP_SYSCALLS_NOT_A_CHANNEL,
    .variant = TW_BURST,
    .create = tw_create,
    .attach = tw_attach,
    .custom = tw_custom,
    .destroy = tw_destroy,
};
TRANSPORT_REGISTER(time_wait_burst);
