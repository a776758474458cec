/* server.c - what the server models share: the options, the listening
 * socket, the stop signal, and the transport glue that makes each model
 * a pair of transports.  What a model calls on a connection (accept,
 * echo, HTTP) is in conn.c; the load against another host (--connect) in
 * connect.c.
 *
 * One run of server/MODEL/VIA, as the harness drives it:
 *
 *      parent: create()   listening socket (127.0.0.1:0 or a socket file
 *                         in a private directory), the stop pipe, the
 *                         load's shared state; RLIMIT_NOFILE raised
 *                         when the clients need it
 *      producer (load)                     consumer (server)
 *      attach: close the listener          attach: close the stop pipe's
 *                                                  write end
 *      custom(): load_run (load.c)         serve(): the model's serve()
 *        C clients, closed loops,            accepts, echoes ...
 *        every reply compared
 *        reap the load processes
 *        1 byte into the stop pipe ----->    stop fd readable: end
 *                                            every worker, return
 *      parent: destroy()  close everything, remove the directory
 *
 * The harness times custom() (requests/s = verified replies over that
 * time), takes the round-trip samples the load recorded (latency
 * percentiles), and reports the consumer's CPU time on its own: that is
 * the server's, its children and threads included.
 *
 * Options: --clients LIST (one row per count), --workers N
 * (prefork, pool, epoll-threads), --pool-queue N, --load-procs N,
 * --workload keepalive|connect, --rate R (open loop; 0 closed),
 * --slow-client MS, --request-timeout MS (load.c: failed requests are
 * counted by kind), --via tcp|unix (a filter on the variants),
 * --proto echo|http, --connect HOST[:PORT] (connect.c: no server is
 * started here, no consumer is forked; the load runs against
 * `ipclab serve --model MODEL` on HOST).
 *
 * After a connect-per-request run over TCP, destroy() counts the sockets
 * of the run's port left in TIME_WAIT (/proc/net/tcp: the client closes
 * first, so they are the clients') and adds it and the load's
 * connections/s to the row's note.  With --connect the server's port
 * is the same for every run, and earlier runs' sockets stay in TIME_WAIT
 * for 60 s: the note then says "T TIME_WAIT (+N)", N the run's change.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../bench/util.h"
#include "../netopt.h"
#include "load.h"
#include "server.h"

/* ---- options ------------------------------------------------------------ */

static const char *const srv_clients_choices[] = {
    "1", "2", "4", "8", "16", "32", "64", "128", "256", "512", "1024",
    "2048", NULL,
};
/* bit k = 2^k clients; default 1,4,16,64,256,1024 */
static unsigned srv_clients_opt = 1u | 1u << 2 | 1u << 4 | 1u << 6 |
                                  1u << 8 | 1u << 10;
static const struct tp_option srv_clients_option = {
    .name = "clients", .type = OPT_LIST, .value = &srv_clients_opt,
    .choices = srv_clients_choices, .arg = "LIST",
    .help = "server/*: concurrent clients, one row per count (powers of "
            "two; default 1,4,16,64,256,1024)",
    .applies = "server/*",
};
TRANSPORT_OPTION(srv_clients_option);

static unsigned long srv_workers_opt = 4;
static const struct tp_option srv_workers_option = {
    .name = "workers", .type = OPT_UINT, .value = &srv_workers_opt,
    .arg = "N", .help = "server/prefork*, pool, epoll-threads: workers "
                        "(1..64, default 4)",
    .min = 1, .max = SRV_MAX_LISTENERS,
    .applies = "server/prefork*,server/pool/*,server/epoll_threads/*",
};
TRANSPORT_OPTION(srv_workers_option);

static unsigned long srv_queue_opt = 8;
static const struct tp_option srv_queue_option = {
    .name = "pool-queue", .type = OPT_UINT, .value = &srv_queue_opt,
    .arg = "N", .help = "server/pool: slots of the accepted-connection "
                        "queue (1..4096, default 8)",
    .min = 1, .max = 4096, .applies = "server/pool/*",
};
TRANSPORT_OPTION(srv_queue_option);

static unsigned long srv_load_procs_opt = 2;
static const struct tp_option srv_load_procs_option = {
    .name = "load-procs", .type = OPT_UINT, .value = &srv_load_procs_opt,
    .arg = "N", .help = "server/*: load processes driving the clients "
                        "(1..64, default 2)",
    .min = 1, .max = SRV_MAX_LISTENERS, .applies = "server/*",
};
TRANSPORT_OPTION(srv_load_procs_option);

static const char *const srv_workload_choices[] = {
    "keepalive", "connect", NULL,
};
static int srv_workload_opt;    /* 0 keepalive, 1 connect */
static const struct tp_option srv_workload_option = {
    .name = "workload", .type = OPT_CHOICE, .value = &srv_workload_opt,
    .choices = srv_workload_choices, .arg = "keepalive|connect",
    .help = "server/*: many requests per connection (default), or "
            "connect, one request, close",
    .applies = "server/*",
};
TRANSPORT_OPTION(srv_workload_option);

static unsigned long srv_rate_opt;      /* 0: closed loop */
static const struct tp_option srv_rate_option = {
    .name = "rate", .type = OPT_UINT, .value = &srv_rate_opt,
    .arg = "R", .help = "server/*: open loop, R requests/s over all "
                        "clients, latency from each intended send time "
                        "(default 0: closed loop)",
    .max = 10000000, .applies = "server/*",
};
TRANSPORT_OPTION(srv_rate_option);

static unsigned long srv_slow_ms_opt;   /* 0: no slow client */
static const struct tp_option srv_slow_option = {
    .name = "slow-client", .type = OPT_UINT, .value = &srv_slow_ms_opt,
    .arg = "MS", .help = "server/*: the last client sends half of each "
                         "request, waits MS ms, sends the rest; its round "
                         "trips are left out of the percentiles (default 0: "
                         "none)",
    .max = 10000, .applies = "server/*",
};
TRANSPORT_OPTION(srv_slow_option);

/* --via: which socket the rows run over; a filter on the variants (a
 * variant named in full, server/epoll/tcp, always runs). */
static const char *const srv_via_choices[] = { "tcp", "unix", NULL };
static unsigned srv_via_opt = 1u << SRV_TCP | 1u << SRV_UNIX;
static const struct tp_option srv_via_option = {
    .name = "via", .type = OPT_LIST, .value = &srv_via_opt,
    .choices = srv_via_choices, .arg = "tcp|unix",
    .help = "server/*: the socket, TCP loopback or a Unix stream socket "
            "(a list; default both)",
    .applies = "server/*",
};
TRANSPORT_OPTION(srv_via_option);

int srv_tp_via_selected(const struct transport *tp)
{
    return (srv_via_opt & (1u << tp->variant)) != 0;
}

static unsigned long srv_timeout_ms_opt = 10000;
static const struct tp_option srv_timeout_option = {
    .name = "request-timeout", .type = OPT_UINT,
    .value = &srv_timeout_ms_opt, .arg = "MS",
    .help = "server/*: a reply not complete MS ms after its request went "
            "out is counted as timed out (1..600000, default 10000)",
    .min = 1, .max = 600000, .applies = "server/*",
};
TRANSPORT_OPTION(srv_timeout_option);

static const char *const srv_proto_choices[] = { "echo", "http", NULL };
static int srv_proto_opt;       /* 0 echo, 1 http */
static const struct tp_option srv_proto_option = {
    .name = "proto", .type = OPT_CHOICE, .value = &srv_proto_opt,
    .choices = srv_proto_choices, .arg = "echo|http",
    .help = "server/*: echo each request (default), or HTTP/1.1: GET, "
            "a fixed response with a --size body",
    .applies = "server/*",
};
TRANSPORT_OPTION(srv_proto_option);

#define SRV_MAX_MSG (64u << 10)

int srv_tp_check_size(const struct transport *tp, enum tp_mode mode,
                      size_t msg_bytes, char *err)
{
    (void)mode;
    if (srv_workers_opt < 1 || srv_workers_opt > SRV_MAX_LISTENERS)
        return err_set(err, "--workers must be 1..%d",
                       SRV_MAX_LISTENERS);
    if (srv_queue_opt < 1 || srv_queue_opt > 4096)
        return err_set(err, "--pool-queue must be 1..4096");
    if (srv_load_procs_opt < 1 || srv_load_procs_opt > SRV_MAX_LISTENERS)
        return err_set(err, "--load-procs must be 1..%d",
                       SRV_MAX_LISTENERS);
    if (msg_bytes > SRV_MAX_MSG)
        return err_set(err, "over 64K: a reply must fit in the socket "
                       "buffers, or a load process writing to one client "
                       "while the server writes to another would deadlock");
    if (net_opt_connect != NULL && tp->variant == SRV_TCP &&
        srv_model_of(tp) != NULL && !srv_model_of(tp)->reuseport)
        /* the probe; the other rows say n/a in create() */
        return srv_remote_check(msg_bytes, srv_proto_opt == 1, err);
    return 0;
}

unsigned srv_tp_points(const struct transport *tp)
{
    (void)tp;
    return (unsigned)__builtin_popcount(srv_clients_opt);
}

/* The clients count of point q: the q-th bit set. */
static unsigned srv_clients_of(unsigned q)
{
    for (unsigned k = 0; k < 32; k++)
        if ((srv_clients_opt & (1u << k)) && q-- == 0)
            return 1u << k;
    return 1;
}

/* ---- the models --------------------------------------------------------- */

extern const struct srv_model *const __start_ipclab_srv[]
    __attribute__((weak));
extern const struct srv_model *const __stop_ipclab_srv[]
    __attribute__((weak));

const struct srv_model *srv_model_of(const struct transport *tp)
{
    const char *name = tp->name + strlen("server/");
    size_t len = strcspn(name, "/");

    for (const struct srv_model *const *m = __start_ipclab_srv;
         m != NULL && m < __stop_ipclab_srv; m++)
        if (strlen((*m)->name) == len && strncmp((*m)->name, name, len) == 0)
            return *m;
    return NULL;
}

const struct srv_model *srv_model_find(const char *name)
{
    for (const struct srv_model *const *m = __start_ipclab_srv;
         m != NULL && m < __stop_ipclab_srv; m++)
        if (strcmp((*m)->name, name) == 0)
            return *m;
    return NULL;
}

void srv_model_names(char *out, size_t len)
{
    size_t n = 0;

    out[0] = '\0';
    for (const struct srv_model *const *m = __start_ipclab_srv;
         m != NULL && m < __stop_ipclab_srv && n < len; m++)
        n += (size_t)snprintf(out + n, len - n, "%s%s", n > 0 ? ", " : "",
                              (*m)->name);
}

/* ---- create, attach, run, destroy ---------------------------------------- */

/* Descriptors the busier side needs: its connections and a margin. */
static int srv_raise_nofile(struct tp_channel *ch, unsigned clients,
                            char *err)
{
    rlim_t need = (rlim_t)clients + 64;
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
        return err_sys(err, "getrlimit RLIMIT_NOFILE");
    if (rl.rlim_cur >= need)
        return 0;
    if (rl.rlim_max < need) {
        ch->refused = TP_REFUSED_OVER_LIMIT;
        return err_set(err, "%u clients need %llu descriptors, over the "
                       "hard RLIMIT_NOFILE %llu (ulimit -Hn)", clients,
                       (unsigned long long)need,
                       (unsigned long long)rl.rlim_max);
    }
    rl.rlim_cur = need;         /* the soft limit, up to the hard one */
    if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
        return err_sys(err, "setrlimit RLIMIT_NOFILE");
    return 0;
}

static int srv_listen_tcp(struct srv *s, int reuseport, char *err)
{
    struct sockaddr_in *in = (struct sockaddr_in *)&s->addr;
    int on = 1;

    s->nlisten = reuseport ? s->workers : 1;
    for (unsigned i = 0; i < s->nlisten; i++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        s->listen_fds[i] = fd;
        if (fd == -1)
            return err_sys(err, "socket");
        if (reuseport &&
            setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) == -1)
            return err_sys(err, "setsockopt SO_REUSEPORT");
        if (i == 0) {           /* port 0: the kernel picks one */
            in->sin_family = AF_INET;
            in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            in->sin_port = 0;
        }
        if (bind(fd, (struct sockaddr *)in, sizeof(*in)) == -1)
            return err_sys(err, "bind 127.0.0.1");
        s->addrlen = sizeof(*in);
        if (i == 0 && getsockname(fd, (struct sockaddr *)&s->addr,
                                  &s->addrlen) == -1)
            return err_sys(err, "getsockname");
        if (listen(fd, (int)s->clients + 64) == -1)
            return err_sys(err, "listen");
    }
    s->listen_fd = s->listen_fds[0];
    return 0;
}

static int srv_listen_unix(struct srv *s, char *err)
{
    struct sockaddr_un *un = (struct sockaddr_un *)&s->addr;
    int fd;

    if (private_dir(s->dir, sizeof(s->dir), NULL, err) == -1)
        return -1;
    un->sun_family = AF_UNIX;
    if ((size_t)snprintf(un->sun_path, sizeof(un->sun_path), "%s/srv",
                         s->dir) >= sizeof(un->sun_path))
        return err_set(err, "socket path too long: %s", s->dir);
    s->addrlen = sizeof(*un);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    s->listen_fd = s->listen_fds[0] = fd;
    s->nlisten = 1;
    if (fd == -1)
        return err_sys(err, "socket");
    if (bind(fd, (struct sockaddr *)un, s->addrlen) == -1)
        return err_sys_ctx(err, "bind", un->sun_path);
    if (listen(fd, (int)s->clients + 64) == -1)
        return err_sys(err, "listen");
    return 0;
}

static int srv_setup(struct tp_channel *ch, struct srv *s,
                     const struct srv_model *m, char *err)
{
    int pfd[2];
    int remote = net_opt_connect != NULL;

    if (remote && srv_remote_refuses(ch, s, m, err) == -1)
        return -1;
    /* connect per request: a client's next connection may be accepted
     * before the server has seen the last one's EOF, so up to 2C */
    if (!remote && m->below_fd_setsize &&
        s->clients * (s->connect_per_req ? 2 : 1) + 16 > FD_SETSIZE) {
        ch->refused = TP_REFUSED_OVER_LIMIT;
        return err_set(err, "select(2) watches descriptors below "
                       "FD_SETSIZE (%d) only", FD_SETSIZE);
    }
    if (m->reuseport && s->via == SRV_UNIX) {
        ch->refused = TP_REFUSED_OVER_LIMIT;
        return err_set(err, "SO_REUSEPORT groups are for TCP and UDP "
                       "sockets, not Unix ones");
    }
    if (s->slow_ns != 0 && s->clients < 2) {
        ch->refused = TP_REFUSED_OVER_LIMIT;
        return err_set(err, "--slow-client needs 2 clients or more: the "
                       "others are the ones measured");
    }
    if (ch->messages < 2 * (uint64_t)s->clients) {
        ch->refused = TP_REFUSED_OVER_LIMIT;
        return err_set(err, "%u clients need --iterations %u or more "
                       "(every client makes a round trip)", s->clients,
                       s->clients);
    }
    if (srv_raise_nofile(ch, s->clients, err) == -1)
        return -1;
    if (pipe2(pfd, O_CLOEXEC) == -1)
        return err_sys(err, "pipe2");
    s->stop_fd = pfd[0];
    s->stop_wfd = pfd[1];
    s->load = load_new((unsigned)srv_load_procs_opt, err);
    if (s->load == NULL)
        return -1;
    if (remote)                 /* the server is there, the load here */
        return srv_remote_target(ch, s, err);
    return s->via == SRV_TCP ? srv_listen_tcp(s, m->reuseport, err)
                             : srv_listen_unix(s, err);
}

/* The row's note: clients, load, workload, loop; after a connect-per-
 * request run (destroy) also connections/s and TIME_WAIT. */
static void srv_note(struct tp_channel *ch, const struct srv *s)
{
    unsigned long procs = srv_load_procs_opt < s->clients
                              ? srv_load_procs_opt : s->clients;
    char loop[48], slow[40] = "";

    if (s->rate != 0)
        snprintf(loop, sizeof(loop), "open loop %llu req/s",
                 (unsigned long long)s->rate);
    else
        snprintf(loop, sizeof(loop), "closed loop");
    if (s->slow_ns != 0)
        snprintf(slow, sizeof(slow), ", 1 slow (%llu ms)",
                 (unsigned long long)(s->slow_ns / 1000000u));
    snprintf(ch->note, NOTE_LEN, "%u client%s%s, %lu load proc%s, %s%s, %s",
             s->clients, s->clients > 1 ? "s" : "", slow, procs,
             procs > 1 ? "s" : "", s->http ? "http " : "",
             s->connect_per_req ? "connect per request" : "keep-alive",
             loop);
}

/* Sockets in TIME_WAIT with `port` at either end (/proc/net/tcp, this
 * network namespace); -1 if the file cannot be read. */
long srv_time_wait_count(unsigned port)
{
    FILE *fp = fopen("/proc/net/tcp", "re");
    char line[256];
    long n = 0;

    if (fp == NULL)
        return -1;
    while (fgets(line, sizeof(line), fp) != NULL) {
        unsigned lport, rport, st;

        /* "  0: 0100007F:9C41 0100007F:A3E2 06 ..." (the header fails) */
        if (sscanf(line, " %*u: %*x:%x %*x:%x %x", &lport, &rport, &st) == 3
            && st == 0x06 && (lport == port || rport == port))
            n++;
    }
    fclose(fp);
    return n;
}

int srv_tp_create(struct tp_channel *ch, char *err)
{
    const struct srv_model *m = srv_model_of(ch->tp);
    struct srv *s = calloc(1, sizeof(*s));

    if (s == NULL)
        return err_sys(err, "calloc");
    ch->priv = s;
    s->listen_fd = s->stop_fd = s->stop_wfd = -1;
    s->tw_before = -1;
    for (unsigned i = 0; i < SRV_MAX_LISTENERS; i++)
        s->listen_fds[i] = -1;
    s->via = (enum srv_via)ch->tp->variant;
    s->msg_bytes = ch->msg_bytes;
    s->clients = srv_clients_of(ch->point);
    s->workers = (unsigned)srv_workers_opt;
    s->queue = (unsigned)srv_queue_opt;
    s->connect_per_req = srv_workload_opt == 1;
    s->http = srv_proto_opt == 1;
    s->rate = srv_rate_opt;
    s->slow_ns = (uint64_t)srv_slow_ms_opt * 1000000u;
    s->timeout_ns = (uint64_t)srv_timeout_ms_opt * 1000000u;
    ch->facts.clients = s->clients;
    ch->facts.wait = "block";
    srv_note(ch, s);
    if (m == NULL)
        return err_set(err, "%s: no server model linked in", ch->tp->name);
    return srv_setup(ch, s, m, err);
}

int srv_tp_attach(struct tp_channel *ch, char *err)
{
    struct srv *s = ch->priv;

    (void)err;
    if (ch->role == ROLE_CONSUMER) {
        close_fd(&s->stop_wfd);
        return 0;
    }
    for (unsigned i = 0; i < s->nlisten; i++)   /* the load connects */
        close_fd(&s->listen_fds[i]);
    s->listen_fd = -1;
    return 0;
}

int srv_tp_serve(struct tp_channel *ch, char *err)
{
    struct srv *s = ch->priv;

    if (srv_proto_init(s, err) == -1)
        return -1;
    return srv_model_of(ch->tp)->serve(s, err);
}

int srv_tp_custom(struct tp_channel *ch, struct tp_counts *c, char *err)
{
    struct srv *s = ch->priv;
    uint64_t per = c->max_samples / s->clients;

    /* No warm-up round trips: the harness's warm-up runs warm the code,
     * and a client's first wait (in the accept queue, behind others) is
     * part of what a server under load costs, so it is recorded too. */
    if (per == 0)
        return err_set(err, "%u clients need --iterations %u or more",
                       s->clients, s->clients);
    return load_run(s, (unsigned)srv_load_procs_opt, 0, per, c, err);
}

void srv_tp_detach(struct tp_channel *ch)
{
    (void)ch;                   /* the process exits: the kernel closes */
}

/* After a connect-per-request run: connections/s as the load timed
 * them, and the TIME_WAIT sockets the run left (TCP). */
static void srv_note_after(struct tp_channel *ch, const struct srv *s)
{
    size_t len = strlen(ch->note);
    const struct sockaddr_in *in = (const struct sockaddr_in *)&s->addr;
    uint64_t conns = load_connections(s->load), ns = load_elapsed_ns(s->load);
    long after = -1;
    char tw[64];

    if (!s->connect_per_req || conns == 0 || ns == 0)
        return;
    if (s->via == SRV_UNIX)
        snprintf(tw, sizeof(tw), "no TIME_WAIT (unix)");
    else
        snprintf(tw, sizeof(tw), "%ld TIME_WAIT after",
                 after = srv_time_wait_count(ntohs(in->sin_port)));
    if (after >= 0 && s->tw_before >= 0)    /* remote: the same port */
        snprintf(tw, sizeof(tw), "%ld TIME_WAIT (%+ld)", after,
                 after - s->tw_before);
    snprintf(ch->note + len, NOTE_LEN - len, ", %.0f conn/s, %s",
             (double)conns * 1e9 / (double)ns, tw);
}

void srv_tp_destroy(struct tp_channel *ch)
{
    struct srv *s = ch->priv;

    if (s == NULL)
        return;
    srv_note_after(ch, s);
    for (unsigned i = 0; i < SRV_MAX_LISTENERS; i++)
        close_fd(&s->listen_fds[i]);
    close_fd(&s->stop_fd);
    close_fd(&s->stop_wfd);
    private_dir_remove(s->dir);
    load_free(s->load);
    free(s);
    ch->priv = NULL;
}
