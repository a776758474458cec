/* connection.c - the lesson of what a TCP connection costs before the
 * first byte: connect + accept + close, and a one-request connection.
 *
 * What it shows.  Every TCP connection begins with a three-way handshake
 * (SYN, SYN-ACK, ACK), allocates a socket on each side, and ends with
 * FINs and a TIME_WAIT entry on the side that closed first.  On loopback
 * no wire is involved, yet opening and closing is still tens of
 * microseconds of kernel work - several times one request's round trip
 * on an open connection.  That is why HTTP keeps connections alive and
 * why servers pool them.  Two rows, both throughput (connections/s in the
 * msgs/s column):
 *   connection/open-close    connect, accept, close both: the bare cost
 *   connection/one-request   the same with one 64-byte request and one
 *                            64-byte reply in between: a "connection per
 *                            request" client
 * The handshake's share of a one-request connection is
 * (1 / open-close rate) / (1 / one-request rate); compare also with the
 * `tcp` latency row at 64 bytes (the request alone).
 * Per run: --iterations connections, at most 1000 (each leaves a TIME_WAIT
 * entry for 60 s that holds an ephemeral port; see net/time_wait.c).
 *
 * Kernel objects.  A listener on 127.0.0.1 port 0 (the kernel picks, read
 * back), created in create() and closed in destroy(); each connection's
 * two sockets live for one iteration.  The client closes first, so the
 * TIME_WAIT entries are the client's and hold no descriptor of ours.
 *
 * Copies.  one-request: 2 per byte each way.  open-close: none.
 *
 * Waiting.  One process plays both ends: connect() returns once the
 * handshake is done in the kernel (the listener answers the SYN itself,
 * backlog 1 is enough), then accept() takes the queued connection at once.
 * TP_SOLO: the harness forks only this producer and times custom().
 *
 * Protocol (one iteration, in one process):
 *
 *      client side                          server side
 *      -----------                          -----------
 *      connect() ---- SYN / SYN-ACK / ACK -> (kernel: queued on listener)
 *                                           accept()
 *      [write(64) ---- request ---------->  read(64)]
 *      [read(64)  <--- reply -------------  write(64)]
 *      close()  ------ FIN --------------->  close()  (client: TIME_WAIT)
 *
 * See tcp(7), accept(2), connect(2).
 *
 * Usage: ipclab run connection  (or bin/connection)
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/transport.h"
#include "../bench/util.h"
#include "loopback.h"

enum conn_kind { CONN_OPEN_CLOSE, CONN_ONE_REQUEST };

#define CONN_MAX 1000u          /* per run: TIME_WAIT holds a port 60 s */
#define CONN_MSG 64             /* request and reply bytes */

struct conn_priv {
    int listen_fd;
    struct sockaddr_in addr;
};

static int conn_create(struct tp_channel *ch, char *err)
{
    struct conn_priv *p = calloc(1, sizeof(*p));

    if (p == NULL)
        return err_sys(err, "calloc");
    ch->priv = p;
    snprintf(ch->note, NOTE_LEN, "msgs/s = connections/s%s",
             ch->tp->variant == CONN_ONE_REQUEST
                 ? "; each carries a 64 B request and reply" : "");
    p->listen_fd = loop_listen(&p->addr, 1, err);
    return p->listen_fd == -1 ? -1 : 0;
}

static int conn_attach(struct tp_channel *ch, char *err)
{
    (void)ch;
    (void)err;
    return 0;                   /* the listener came through fork */
}

/* One request and its reply over a fresh connection; the reply's bytes
 * are the request's, checked. */
static int conn_request(int client, int server, char *err)
{
    char req[CONN_MSG], got[CONN_MSG], reply[CONN_MSG];

    memset(req, 'q', sizeof(req));
    if (write_full(client, req, sizeof(req), err) == -1 ||
        read_full(server, got, sizeof(got), err) == -1 ||
        write_full(server, got, sizeof(got), err) == -1 ||
        read_full(client, reply, sizeof(reply), err) == -1)
        return -1;
    if (memcmp(reply, req, sizeof(req)) != 0)
        return err_set(err, "the reply is not the request");
    return 0;
}

static int conn_custom(struct tp_channel *ch, struct tp_counts *counts,
                       char *err)
{
    struct conn_priv *p = ch->priv;
    uint64_t n = ch->messages < CONN_MAX ? ch->messages : CONN_MAX;
    int client, server, rc = 0;

    for (uint64_t i = 0; i < n && rc == 0; i++) {
        if (loop_pair(p->listen_fd, &p->addr, &client, &server, err) == -1)
            return -1;
        if (ch->tp->variant == CONN_ONE_REQUEST)
            rc = conn_request(client, server, err);
        close_fd(&client);      /* first: the TIME_WAIT is the client's */
        close_fd(&server);
        if (rc == 0)
            counts->sent = counts->received = i + 1;
    }
    return rc;
}

static void conn_destroy(struct tp_channel *ch)
{
    struct conn_priv *p = ch->priv;

    if (p == NULL)
        return;
    close_fd(&p->listen_fd);
    free(p);
    ch->priv = NULL;
}

static const struct transport connection_open_close = {
    .name = "connection/open-close",
    .family = TP_NET,
    .summary = "TCP connect + accept + close on loopback: connections/s",
    .caps = TP_SOLO | TP_NO_SIZE | TP_NO_PAYLOAD | TP_NO_LATENCY,
    .syscalls = TP_SYSCALLS_NOT_A_CHANNEL,
    .variant = CONN_OPEN_CLOSE,
    .create = conn_create,
    .attach = conn_attach,
    .custom = conn_custom,
    .destroy = conn_destroy,
};
TRANSPORT_REGISTER(connection_open_close);

static const struct transport connection_one_request = {
    .name = "connection/one-request",
    .family = TP_NET,
    .summary = "a TCP connection per 64-byte request and reply",
    .caps = TP_SOLO | TP_NO_SIZE | TP_NO_PAYLOAD | TP_NO_LATENCY,
    .syscalls = TP_SYSCALLS_NOT_A_CHANNEL,
    .variant = CONN_ONE_REQUEST,
    .create = conn_create,
    .attach = conn_attach,
    .custom = conn_custom,
    .destroy = conn_destroy,
};
TRANSPORT_REGISTER(connection_one_request);
