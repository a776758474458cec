/* linger.c - the lesson of how a TCP connection ends: SO_LINGER {1, 0}
 * turns close() into a reset, and shutdown(SHUT_WR) closes one direction.
 *
 * What it shows.  close() normally sends FIN after the queued data: the
 * peer reads the data, then end of file (read returns 0).  Two other
 * endings, one row each:
 *   linger/reset       SO_LINGER with l_onoff 1, l_linger 0: close()
 *                      throws away what is still queued to send and
 *                      sends RST; the peer reads what had already
 *                      arrived, then read() fails with ECONNRESET (a FIN
 *                      would give end of file, 0), and no TIME_WAIT is
 *                      left on either side.  Abortive close:
 *                      for an error path, not a shortcut to avoid
 *                      TIME_WAIT (data in flight is lost).
 *   linger/half-close  shutdown(SHUT_WR): the client says "no more
 *                      requests" (FIN) but keeps reading; the server
 *                      reads the request to end of file, then still
 *                      answers on the same connection, then closes.  This
 *                      is how a request of unknown length ends without a
 *                      length prefix (rsh, HTTP/1.0 clients, `nc -N`).
 * Every iteration checks the documented outcome (ECONNRESET; the whole
 * request, EOF, the whole reply, EOF) and the run fails on anything else,
 * saying what happened.  Throughput rows: msgs/s = connections ended per
 * second, a by-product; the lesson is the note.  Per run: --iterations
 * connections, at most 1000.
 *
 * Kernel objects.  A listener on 127.0.0.1 port 0 (the kernel picks, read
 * back), made in create(), closed in destroy(); each connection lives for
 * one iteration.  reset leaves no TIME_WAIT; half-close leaves one, on the
 * client's side (it sent its FIN first).
 *
 * Copies.  half-close: 2 per byte each way (64-byte request and reply).
 *
 * Waiting.  One process plays both ends (TP_SOLO): loopback delivers a
 * segment before the send call returns, so each read finds its data (or
 * the RST, or the FIN) already queued.
 *
 * Protocol:
 *
 *      reset                                half-close
 *      client          server               client            server
 *      ------          ------               ------            ------
 *      connect ------> accept               connect --------> accept
 *      write(1) -----> (queued)             write(64) ------>
 *      SO_LINGER{1,0}                       shutdown(WR) -FIN->
 *      close() --RST-> read 1,                                read 64, read 0
 *                      read: ECONNRESET
 *                                           read 64 <-------- write(64)
 *                                           read 0  <--FIN--- close
 *                                           close
 *
 * See socket(7) (SO_LINGER), shutdown(2), tcp(7).
 *
 * Usage: ipclab run linger  (or bin/linger)
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../bench/transport.h"
#include "../bench/util.h"
#include "loopback.h"

enum linger_kind { LINGER_RESET, LINGER_HALF_CLOSE };

#define LINGER_MAX 1000u        /* connections per run */
#define LINGER_MSG 64           /* half-close: request and reply bytes */

struct linger_priv {
    int listen_fd;
    struct sockaddr_in addr;
};

/* read() once more: 0 at end of file, else -1 with what it returned. */
static int linger_expect_eof(int fd, const char *who, char *err)
{
    char c;
    ssize_t n;

    while ((n = read(fd, &c, 1)) == -1 && errno == EINTR)
        ;
    if (n == 0)
        return 0;
    if (n == -1)
        return err_sys(err, who);
    return err_set(err, "%s: data where end of file was expected", who);
}

static int linger_reset_once(int client, int server, char *err)
{
    struct linger lg = { .l_onoff = 1, .l_linger = 0 };
    char c = 'x';
    ssize_t n;

    if (write_full(client, &c, 1, err) == -1)
        return -1;
    if (setsockopt(client, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == -1)
        return err_sys(err, "setsockopt SO_LINGER");
    close_fd(&client);          /* RST, not FIN */
    do                          /* the byte that arrived first, then: */
        n = read(server, &c, 1);
    while (n == 1 || (n == -1 && errno == EINTR));
    if (n == -1 && errno == ECONNRESET)
        return 0;
    return err_set(err, "after close with SO_LINGER {1, 0} the peer's "
                        "read returned %zd (%s), expected ECONNRESET", n,
                   n == -1 ? strerror(errno) : "end of file");
}

static int linger_half_close_once(int client, int server, char *err)
{
    char req[LINGER_MSG], buf[LINGER_MSG];

    memset(req, 'r', sizeof(req));
    if (write_full(client, req, sizeof(req), err) == -1)
        return -1;
    if (shutdown(client, SHUT_WR) == -1)
        return err_sys(err, "shutdown SHUT_WR");
    if (read_full(server, buf, sizeof(buf), err) == -1 ||
        linger_expect_eof(server, "server read after SHUT_WR", err) == -1)
        return -1;
    if (write_full(server, buf, sizeof(buf), err) == -1)
        return err_set(err, "the server could not answer after the "
                            "client's SHUT_WR");
    if (shutdown(server, SHUT_WR) == -1)
        return err_sys(err, "shutdown");
    if (read_full(client, buf, sizeof(buf), err) == -1 ||
        linger_expect_eof(client, "client read after the reply", err) == -1)
        return -1;
    if (memcmp(buf, req, sizeof(req)) != 0)
        return err_set(err, "the reply is not the request");
    return 0;
}

/* One connection, ended the variant's way. */
static int linger_once(struct linger_priv *p, int kind, char *err)
{
    int client, server, rc;

    if (loop_pair(p->listen_fd, &p->addr, &client, &server, err) == -1)
        return -1;
    if (kind == LINGER_RESET) {
        rc = linger_reset_once(client, server, err);    /* closes client */
        client = -1;
    } else {
        rc = linger_half_close_once(client, server, err);
    }
    close_fd(&client);
    close_fd(&server);
    return rc;
}

static int linger_create(struct tp_channel *ch, char *err)
{
    struct linger_priv *p = calloc(1, sizeof(*p));

    if (p == NULL)
        return err_sys(err, "calloc");
    ch->priv = p;
    p->listen_fd = loop_listen(&p->addr, 1, err);
    if (p->listen_fd == -1 || linger_once(p, ch->tp->variant, err) == -1)
        return -1;              /* the fact, checked once for the note */
    snprintf(ch->note, NOTE_LEN, "%s", ch->tp->variant == LINGER_RESET
             ? "close with SO_LINGER {1,0}: RST, peer's read ECONNRESET"
             : "after SHUT_WR the peer read to EOF and still answered");
    return 0;
}

static int linger_attach(struct tp_channel *ch, char *err)
{
    (void)ch;
    (void)err;
    return 0;                   /* the listener came through fork */
}

static int linger_custom(struct tp_channel *ch, struct tp_counts *counts,
                         char *err)
{
    uint64_t n = ch->messages < LINGER_MAX ? ch->messages : LINGER_MAX;

    for (uint64_t i = 0; i < n; i++) {
        if (linger_once(ch->priv, ch->tp->variant, err) == -1)
            return -1;
        counts->sent = counts->received = i + 1;
    }
    return 0;
}

static void linger_destroy(struct tp_channel *ch)
{
    struct linger_priv *p = ch->priv;

    if (p == NULL)
        return;
    close_fd(&p->listen_fd);
    free(p);
    ch->priv = NULL;
}

static const struct transport linger_reset = {
    .name = "linger/reset",
    .family = TP_NET,
    .summary = "close with SO_LINGER {1, 0}: RST, the peer sees ECONNRESET",
    .caps = TP_SOLO | TP_NO_SIZE | TP_NO_PAYLOAD | TP_NO_LATENCY,
    .syscalls = TP_SYSCALLS_NOT_A_CHANNEL,
    .variant = LINGER_RESET,
    .create = linger_create,
    .attach = linger_attach,
    .custom = linger_custom,
    .destroy = linger_destroy,
};
TRANSPORT_REGISTER(linger_reset);

static const struct transport linger_half_close = {
    .name = "linger/half-close",
    .family = TP_NET,
    .summary = "shutdown(SHUT_WR): the peer reads to EOF and still answers",
    .caps = TP_SOLO | TP_NO_SIZE | TP_NO_PAYLOAD | TP_NO_LATENCY,
    .syscalls = TP_SYSCALLS_NOT_A_CHANNEL,
    .variant = LINGER_HALF_CLOSE,
    .create = linger_create,
    .attach = linger_attach,
    .custom = linger_custom,
    .destroy = linger_destroy,
};
TRANSPORT_REGISTER(linger_half_close);
