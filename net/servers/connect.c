/* connect.c - server/MODEL/tcp with --connect HOST[:PORT]: the load here,
 * the server on another host.
 *
 * What it is.  The same load generator (load.c) against a model that
 * `ipclab serve --model MODEL` runs on HOST - the very serve() that a
 * local run measures (net/remote/serve_model.c starts it).  Choose it to
 * see a model behind a real network: the round trip then includes the
 * link, and the server's CPU is its own machine's.
 *
 *      host B (server)                       host A (this file, the load)
 *      ipclab serve --model epoll            ipclab run server/epoll/tcp
 *        --size 64 --listen B:PORT             --connect B:PORT --size 64
 *                                            create(): probe connection,
 *        accept, echo    <------ 1 request ---   check the echo, close;
 *                        ------ its echo --->    its peer address = where
 *                                                the clients go
 *                                            producer: load_run, C clients
 *        accept, echo ... <====== requests ==  (no consumer is forked:
 *                         ======= echoes ==>    ch->solo)
 *        (serves on until SIGTERM)           last reply: the run ends
 *
 * The server speaks the bare protocol (echo or HTTP/1.1) and no more, so
 * that any client - wrk, curl - can load it; it does not say which model
 * it runs or what size it echoes.  So the row carries the model name the
 * user gave, one model per invocation (the server runs one), and the
 * probe checks what can be checked before anything is forked: something
 * listens, and it answers one request of --size bytes with the expected
 * reply within REMOTE_HELLO_TIMEOUT_S.  A server started with a larger
 * --size waits for the rest of the request: the probe times out and says
 * so.  One with a smaller --size would echo a request in pieces (right
 * bytes, wrong figures): the probe sends all but the last byte first,
 * and a server that answers that part within 100 ms is refused.
 *
 * What is not measured here: the server's CPU time (it is another
 * host's; the row's server CPU cell stays empty) and --workers,
 * --pool-queue (the server's own options decide them).
 *
 * Kernel objects: the probe's socket, closed in create(); the clients'
 * sockets, as in a local run (load.c).  See tcp(7), getpeername(2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "../../bench/util.h"
#include "../netopt.h"
#include "../remote/remote.h"
#include "server.h"

/* The model this process has loaded a remote server as: a server runs
 * one model, so a second name in the same invocation is refused. */
static const struct srv_model *srv_remote_model;

int srv_tp_selected(const struct transport *tp)
{
    /* `server/epoll --connect B` is its TCP row: a Unix socket does not
     * reach another host */
    return srv_tp_via_selected(tp) &&
           (net_opt_connect == NULL || tp->variant == SRV_TCP);
}

int srv_remote_refuses(struct tp_channel *ch, const struct srv *s,
                       const struct srv_model *m, char *err)
{
    if (s->via == SRV_UNIX) {
        ch->refused = TP_REFUSED_OVER_LIMIT;
        return err_set(err, "--connect: a Unix socket does not reach "
                       "another host (use server/%s/tcp)", m->name);
    }
    if (m->reuseport) {
        ch->refused = TP_REFUSED_OVER_LIMIT;
        return err_set(err, "--connect: `ipclab serve --model` does not run "
                       "%s (one listener per worker)", m->name);
    }
    if (srv_remote_model != NULL && srv_remote_model != m) {
        ch->refused = TP_REFUSED_OVER_LIMIT;
        return err_set(err, "--connect: the server runs one model, loaded "
                       "as server/%s/tcp in this run; name one model",
                       srv_remote_model->name);
    }
    srv_remote_model = m;
    return 0;
}

/* After part of a request: 1 (err set) if the server answers within
 * SRV_REMOTE_EARLY_MS, 0 if it waits for the rest, -1 on error. */
#define SRV_REMOTE_EARLY_MS 100
static int srv_remote_answers_early(int fd, char *err)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    int n;

    do
        n = poll(&p, 1, SRV_REMOTE_EARLY_MS);
    while (n == -1 && errno == EINTR);
    if (n == -1)
        return err_sys(err, "poll");
    if (n == 0)
        return 0;
    err_set(err, "--connect %s: the server answered part of a request: "
            "its --size is smaller than this run's", net_opt_connect);
    return 1;
}

/* One request on fd and its whole reply compared with what the server
 * must answer.  0 good, -1 with err saying what the server did. */
static int srv_remote_probe(int fd, size_t msg_bytes, int http, char *err)
{
    struct timeval tv = { .tv_sec = REMOTE_HELLO_TIMEOUT_S };
    size_t req_len = msg_bytes, want_len = msg_bytes;
    uint8_t *req = NULL, *want = NULL, *got = NULL;
    char why[ERR_LEN];
    int rc = -1;

    if (http) {                 /* GET; the response the model sends */
        static const char get[] = "GET /probe HTTP/1.1\r\n"
                                  "Host: ipclab\r\n\r\n";

        req_len = sizeof(get) - 1;
        req = malloc(req_len);
        want = srv_http_response(msg_bytes, &want_len);
        if (req != NULL)
            memcpy(req, get, req_len);
    } else {                    /* echo: any bytes come back as they are */
        req = malloc(req_len);
        want = req;
        for (size_t i = 0; req != NULL && i < req_len; i++)
            req[i] = (uint8_t)(i * 7 + 1);
    }
    got = malloc(want_len);
    if (req == NULL || want == NULL || got == NULL) {
        err_sys(err, "malloc");
        goto out;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1) {
        err_sys(err, "setsockopt SO_RCVTIMEO");
        goto out;
    }
    /* echo: all but the last byte first - a server with a smaller
     * --size answers that part at once (a wrong figure, not a failure,
     * if it went unseen); ours waits for the rest */
    if (!http && req_len > 1) {
        if (write_full(fd, req, req_len - 1, why) == -1) {
            err_set(err, "--connect %s: probe: %.*s", net_opt_connect,
                    ERR_LEN / 2, why);
            goto out;
        }
        if (srv_remote_answers_early(fd, err) != 0)
            goto out;
        req_len = 1;            /* what is left to send */
    }
    if (write_full(fd, req + (msg_bytes - req_len) * !http, req_len,
                   why) == -1 ||
        read_full(fd, got, want_len, why) == -1) {
        if (errno == EAGAIN)
            err_set(err, "--connect %s: no whole reply to a %zu-byte %s "
                    "in %d s: is it `ipclab serve --model M --size %zu%s`?",
                    net_opt_connect, msg_bytes,
                    http ? "body GET" : "request", REMOTE_HELLO_TIMEOUT_S,
                    msg_bytes, http ? " --proto http" : "");
        else
            err_set(err, "--connect %s: probe: %.*s", net_opt_connect,
                    ERR_LEN / 2, why);
        goto out;
    }
    if (memcmp(got, want, want_len) != 0) {
        err_set(err, "--connect %s: the reply to the probe is not %s: is "
                "the server `ipclab serve --model M --size %zu%s`?",
                net_opt_connect, http ? "the expected response"
                                         : "the request echoed",
                msg_bytes, http ? " --proto http" : "");
        goto out;
    }
    rc = 0;
out:
    if (want != req)
        free(want);
    free(req);
    free(got);
    return rc;
}

/* The probe's verdict for the last size and protocol asked, kept for the
 * process: check_size() asks first (one transport named: a server that
 * is not there or does not answer is exit 2 before anything starts),
 * then each create(). */
static struct {
    int done, rc, http;
    size_t msg_bytes;
    char err[ERR_LEN];
    struct sockaddr_storage addr;
    socklen_t addrlen;
} srv_remote_seen;

int srv_remote_check(size_t msg_bytes, int http, char *err)
{
    int fd;

    if (!srv_remote_seen.done || srv_remote_seen.msg_bytes != msg_bytes ||
        srv_remote_seen.http != http) {
        srv_remote_seen.done = 1;
        srv_remote_seen.msg_bytes = msg_bytes;
        srv_remote_seen.http = http;
        srv_remote_seen.addrlen = sizeof(srv_remote_seen.addr);
        fd = remote_connect(net_opt_connect,
                            net_opt_ipv6 ? AF_INET6 : AF_UNSPEC,
                            srv_remote_seen.err);
        if (fd == -1)
            srv_remote_seen.rc = -1;
        else if (getpeername(fd, (struct sockaddr *)&srv_remote_seen.addr,
                             &srv_remote_seen.addrlen) == -1)
            srv_remote_seen.rc = err_sys(srv_remote_seen.err, "getpeername");
        else            /* the address that answered: where clients go */
            srv_remote_seen.rc = srv_remote_probe(fd, msg_bytes, http,
                                                  srv_remote_seen.err);
        close_fd(&fd);
    }
    if (srv_remote_seen.rc == -1)
        snprintf(err, ERR_LEN, "%s", srv_remote_seen.err);
    return srv_remote_seen.rc;
}

int srv_remote_target(struct tp_channel *ch, struct srv *s, char *err)
{
    size_t len = strlen(ch->note);
    char shown[96];

    ch->solo = 1;               /* the consumer is the remote server */
    if (srv_remote_check(s->msg_bytes, s->http, err) == -1)
        return -1;
    memcpy(&s->addr, &srv_remote_seen.addr, sizeof(s->addr));
    s->addrlen = srv_remote_seen.addrlen;
    s->tw_before = srv_time_wait_count(s->addr.ss_family == AF_INET6
        ? ntohs(((struct sockaddr_in6 *)&s->addr)->sin6_port)
        : ntohs(((struct sockaddr_in *)&s->addr)->sin_port));
    remote_addr_string((struct sockaddr *)&s->addr, s->addrlen, shown,
                       sizeof(shown));
    snprintf(ch->note + len, NOTE_LEN - len, ", remote %s", shown);
    return 0;
}
