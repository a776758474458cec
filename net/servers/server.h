/* server.h - what every server model of net/servers/ shares: the
 * listening socket, the stop signal (server.c), echoing one request
 * (conn.c), and the transport glue that turns a model into
 * `server/MODEL/tcp` and `server/MODEL/unix` (server.c; with --connect,
 * connect.c).
 *
 * A model is one function, serve(), run in the harness's consumer
 * process: it accepts the load's connections on s->listen_fd and echoes
 * every request (s->msg_bytes bytes) until s->stop_fd becomes readable,
 * then ends everything it started and returns.  The load (load.h) runs
 * in the producer process and its children, and makes the stop fd
 * readable once every client has had every reply and closed. */
#ifndef IPCLAB_SERVER_H
#define IPCLAB_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "../../bench/transport.h"

enum srv_via { SRV_TCP, SRV_UNIX };

#define SRV_MAX_LISTENERS 64    /* prefork-reuseport: one per worker */

struct srv {
    enum srv_via via;
    size_t msg_bytes;
    unsigned clients;           /* concurrent connections of this run */
    unsigned workers;           /* prefork, pool, epoll-threads: N */
    unsigned queue;             /* pool: slots of the bounded queue */
    int connect_per_req;        /* --workload connect: a connection per
                                   request, closed by the client after its
                                   reply (else keep-alive) */
    int http;                   /* --proto http: GET in, a fixed HTTP/1.1
                                   response of msg_bytes body out */
    uint64_t rate;              /* --rate: open loop, requests/s over all
                                   clients; 0 closed loop */
    uint64_t slow_ns;           /* --slow-client: the last client pauses
                                   this long in the middle of each request;
                                   0 none */
    uint64_t timeout_ns;        /* --request-timeout: a reply not whole
                                   this long after its request went out
                                   (the slow client: after its pause) is
                                   counted as timed out */
    int listen_fd;              /* bound and listening (create()) */
    int listen_fds[SRV_MAX_LISTENERS];  /* reuseport: one per worker */
    unsigned nlisten;
    int stop_fd;                /* read end: readable = the load is done */
    int stop_wfd;               /* write end: the producer's */
    struct sockaddr_storage addr;       /* where the clients connect */
    socklen_t addrlen;
    char dir[4096];             /* unix: the private directory */
    struct load *load;          /* the load's shared state (load.h) */
    long tw_before;             /* --connect: TIME_WAIT sockets to the
                                   server's port before the run; -1 local */
};

/* A model: how the file describes itself and its serve(). */
struct srv_model {
    const char *name;           /* "epoll", "prefork_reuseport" ...: the
                                   identifier SRV_TRANSPORTS names */
    const char *summary;        /* one line for `ipclab list` */
    int (*serve)(struct srv *s, char *err);
    int reuseport;              /* needs one listener per worker */
    int below_fd_setsize;       /* select(2): every fd < FD_SETSIZE */
};

/* The transport callbacks every model shares (server.c). */
int srv_tp_create(struct tp_channel *ch, char *err);
int srv_tp_attach(struct tp_channel *ch, char *err);
int srv_tp_custom(struct tp_channel *ch, struct tp_counts *c, char *err);
int srv_tp_serve(struct tp_channel *ch, char *err);
void srv_tp_detach(struct tp_channel *ch);
void srv_tp_destroy(struct tp_channel *ch);
unsigned srv_tp_points(const struct transport *tp);
int srv_tp_check_size(const struct transport *tp, enum tp_mode mode,
                      size_t msg_bytes, char *err);

/* --connect HOST[:PORT] (connect.c): only the TCP rows are selected by a
 * prefix; srv_remote_refuses() makes a row n/a that cannot load a remote
 * `ipclab serve --model` (Unix, prefork_reuseport, a second model);
 * srv_remote_target() sets the run solo, probes the server with one
 * request, and points s->addr at it.  -1 with err. */
int srv_tp_selected(const struct transport *tp);
/* --via (server.c): is this variant's socket among those asked for? */
int srv_tp_via_selected(const struct transport *tp);
int srv_remote_refuses(struct tp_channel *ch, const struct srv *s,
                       const struct srv_model *m, char *err);
int srv_remote_target(struct tp_channel *ch, struct srv *s, char *err);
/* The probe alone, once per size and protocol (check_size). */
int srv_remote_check(size_t msg_bytes, int http, char *err);

/* Two transports per model, TCP loopback and a Unix stream socket. */
#define SRV_TRANSPORT(var, model, via_, vianame)                           \
    static const struct transport var = {                                  \
        .name = "server/" #model "/" vianame, .family = TP_NET,            \
        .summary = "server, " vianame ": " model##_model_summary,          \
        .caps = TP_STREAM | TP_DUPLEX | TP_NO_THROUGHPUT | TP_NAMED_ONLY,  \
        .syscalls = TP_SYSCALLS_NOT_A_CHANNEL,                             \
        .variant = via_, .copies = TP_COPIES(2),                           \
        .selected = srv_tp_selected,                                       \
        .check_size = srv_tp_check_size, .create = srv_tp_create,          \
        .attach = srv_tp_attach, .custom = srv_tp_custom,                  \
        .serve = srv_tp_serve, .points = srv_tp_points,                    \
        .detach = srv_tp_detach, .destroy = srv_tp_destroy,                \
    }

/* A model (its struct srv_model is named MODEL_model, its summary
 * MODEL_model_summary) as two transports, server/MODEL/tcp and .../unix,
 * named MODEL_tcp and MODEL_unix; the file then registers both with
 * TRANSPORT_REGISTER(). */
#define SRV_TRANSPORTS(model)                                                \
    static const struct srv_model *const model##_model_registered          \
        __attribute__((used, section("ipclab_srv"))) = &model##_model;     \
    SRV_TRANSPORT(model##_tcp, model, SRV_TCP, "tcp");                     \
    SRV_TRANSPORT(model##_unix, model, SRV_UNIX, "unix")

/* The model registered under a transport's name (server/MODEL/VIA). */
const struct srv_model *srv_model_of(const struct transport *tp);

/* The model of that name ("epoll"), or NULL; every name, comma-separated,
 * into out (for a message). */
const struct srv_model *srv_model_find(const char *name);
void srv_model_names(char *out, size_t len);

/* --proto http: the one response, header and a body of `body` bytes
 * (malloc'ed; *len its size).  srv_proto_init() sets the protocol of
 * this process's connections from s->http, before any worker starts. */
#define SRV_HTTP_MAX_REQ 8192   /* a longer header block: connection closed */
uint8_t *srv_http_response(size_t body, size_t *len);
int srv_proto_init(const struct srv *s, char *err);

/* Sockets in TIME_WAIT with `port` at either end (/proc/net/tcp);
 * -1 when it cannot be read. */
long srv_time_wait_count(unsigned port);

/* ---- helpers for the models (conn.c) --------------------------------- */

/* Is the stop fd readable (the load is done)?  1 yes, 0 no. */
int srv_stopped(const struct srv *s);

/* Wait until the listening socket has a connection (1) or stop (0);
 * -1 on error.  For the models that block in accept(). */
int srv_wait_accept(const struct srv *s, int listen_fd, char *err);

/* Blocking models: echo requests on fd until the client closes, then
 * close fd.  A client that resets or closes mid-request ends only its
 * own connection.  -1 only when the server itself failed. */
int srv_serve_blocking(int fd, size_t msg_bytes, char *err);

/* Event models: one connection's partial request. */
struct srv_conn {
    int fd;
    size_t got;                 /* bytes of the current request so far */
    uint8_t *buf;               /* msg_bytes */
};

struct srv_conn *srv_conn_new(int fd, size_t msg_bytes, char *err);
void srv_conn_free(struct srv_conn *c);     /* closes the fd too */
/* fd readable: read (once, or until EAGAIN when drain), echo each whole
 * request.  1 keep the connection, 0 it ended (EOF, reset), -1 error. */
int srv_conn_readable(struct srv_conn *c, size_t msg_bytes, int drain,
                      char *err);

/* accept4 with the flags given; -1 and errno EAGAIN when none waits
 * (non-blocking listener); ECONNABORTED and EINTR are retried. */
int srv_accept(int listen_fd, int flags, char *err);

#endif
