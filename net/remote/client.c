/* client.c - the client's side of two-host mode (net/remote/wire.c has
 * the protocol): find and connect to `ipclab serve`, say hello, read the
 * answer and, at the end of a run, the result.  tcp_remote.c and
 * udp_remote.c build the transports' two-host steps from these.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "../../bench/util.h"
#include "../netopt.h"
#include "remote.h"

/* ---- addresses -------------------------------------------------------- */

int remote_split_hostport(const char *spec, char *host, size_t hostlen,
                          char *port, size_t portlen, int default_port,
                          int allow_zero, char *err)
{
    const char *h = spec, *p = NULL, *colon;
    size_t hlen;
    unsigned long v;

    if (spec == NULL || spec[0] == '\0')
        return err_set(err, "empty address: want HOST[:PORT]");
    if (spec[0] == '[') {                       /* [v6]:port */
        const char *close = strchr(spec, ']');

        if (close == NULL || (close[1] != '\0' && close[1] != ':'))
            return err_set(err, "%s: bad address: want [IPV6]:PORT", spec);
        h = spec + 1;
        hlen = (size_t)(close - h);
        if (close[1] == ':')
            p = close + 2;
    } else if ((colon = strchr(spec, ':')) != NULL &&
               strchr(colon + 1, ':') == NULL) {    /* host:port */
        hlen = (size_t)(colon - spec);
        p = colon + 1;
    } else {                                    /* host, or bare IPv6 */
        hlen = strlen(spec);
    }
    if (hlen == 0)
        return err_set(err, "%s: missing host: want HOST[:PORT]", spec);
    if (hlen >= hostlen)
        return err_set(err, "%s: host name too long", spec);
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    if (p == NULL) {
        snprintf(port, portlen, "%d", default_port);
        return 0;
    }
    if (parse_ulong(p, &v) == -1 || v > 65535 || (v == 0 && !allow_zero))
        return err_set(err, "%s: bad port '%s' (want %s-65535)", spec, p,
                       allow_zero ? "0" : "1");
    snprintf(port, portlen, "%lu", v);
    return 0;
}

void remote_addr_string(const struct sockaddr *sa, socklen_t len, char *out,
                        size_t outlen)
{
    char host[NI_MAXHOST], serv[NI_MAXSERV];

    if (getnameinfo(sa, len, host, sizeof(host), serv, sizeof(serv),
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(out, outlen, "?");
        return;
    }
    if (sa->sa_family == AF_INET6)
        snprintf(out, outlen, "[%s]:%s", host, serv);
    else
        snprintf(out, outlen, "%s:%s", host, serv);
}

/* "--connect SPEC: connect ADDR: strerror (ENAME)" from errno. */
static int connect_error(char *err, const char *spec, const char *addr)
{
    char why[ERR_LEN];

    err_sys_ctx(why, "connect", addr);
    return err_set(err, "--connect %.*s: %s", ERR_LEN / 3, spec, why);
}

/* connect() with a deadline: non-blocking connect, poll for writability,
 * then SO_ERROR says how it went. */
static int connect_timeout(int fd, const struct sockaddr *sa, socklen_t len,
                           const char *spec, char *err)
{
    int flags = fcntl(fd, F_GETFL), soerr = 0;
    socklen_t soerr_len = sizeof(soerr);
    struct pollfd pfd = { .fd = fd, .events = POLLOUT };
    char addr[96];
    int n;

    remote_addr_string(sa, len, addr, sizeof(addr));
    if (flags == -1 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
        return err_sys(err, "fcntl");
    if (connect(fd, sa, len) == -1) {
        if (errno != EINPROGRESS)
            return connect_error(err, spec, addr);
        do
            n = poll(&pfd, 1, REMOTE_CONNECT_TIMEOUT_S * 1000);
        while (n == -1 && errno == EINTR);
        if (n == -1)
            return err_sys(err, "poll");
        if (n == 0)
            return err_set(err, "--connect %s: connect %s: no answer in %d s",
                           spec, addr, REMOTE_CONNECT_TIMEOUT_S);
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &soerr_len) == -1)
            return err_sys(err, "getsockopt SO_ERROR");
        if (soerr != 0) {
            errno = soerr;
            return connect_error(err, spec, addr);
        }
    }
    if (fcntl(fd, F_SETFL, flags) == -1)
        return err_sys(err, "fcntl");
    return 0;
}

int remote_connect(const char *spec, int family, char *err)
{
    char host[256], port[16], why[ERR_LEN];
    struct addrinfo hints, *res, *ai;
    int rc, fd = -1;

    if (remote_split_hostport(spec, host, sizeof(host), port, sizeof(port),
                              REMOTE_DEFAULT_PORT, 0, why) == -1)
        return err_set(err, "--connect %.*s", ERR_LEN - 16, why);
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = family;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0)
        return err_set(err, "--connect %s: %s", spec,
                       rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
    for (ai = res; ai != NULL; ai = ai->ai_next) {   /* first that answers */
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd == -1) {
            err_sys(err, "socket");
            continue;
        }
        if (connect_timeout(fd, ai->ai_addr, ai->ai_addrlen, spec, err) == 0)
            break;
        close_fd(&fd);
    }
    freeaddrinfo(res);
    return fd;                  /* -1 with err from the last attempt */
}

/* ---- the client's side ------------------------------------------------ */

static int set_rcvtimeo(int fd, unsigned seconds, char *err)
{
    struct timeval tv = { .tv_sec = seconds, .tv_usec = 0 };

    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1)
        return err_sys(err, "setsockopt SO_RCVTIMEO");
    return 0;
}

static int read_reply(int fd, struct remote_reply *r, const char *what,
                      char *err)
{
    uint8_t wire[REMOTE_REPLY_BYTES];
    char why[ERR_LEN];

    if (read_full(fd, wire, sizeof(wire), why) == -1) {
        if (errno == EAGAIN)
            return err_set(err, "the server sent no %s in %d s", what,
                           REMOTE_HELLO_TIMEOUT_S);
        return err_set(err, "reading the server's %s: %.*s", what,
                       ERR_LEN / 2, why);
    }
    return remote_reply_decode(wire, r, err);
}

int remote_client_hello(int fd, const struct remote_hello *h,
                        struct remote_reply *answer, char *err)
{
    uint8_t wire[REMOTE_HELLO_BYTES];

    remote_hello_encode(h, wire);
    if (write_full(fd, wire, sizeof(wire), err) == -1)
        return -1;
    if (set_rcvtimeo(fd, REMOTE_HELLO_TIMEOUT_S, err) == -1 ||
        read_reply(fd, answer, "answer", err) == -1 ||
        set_rcvtimeo(fd, 0, err) == -1)
        return -1;
    if (answer->status != 0)
        return err_set(err, "the server refused the run: %s", answer->msg);
    return 0;
}

/* Connects once per process and sends a probe (a hello with no
 * messages); later calls return the first answer. */
static int probe_once(const char *spec, int family, char *err)
{
    static int probed, probe_rc;
    static char probe_err[ERR_LEN];
    struct remote_hello h = {
        .magic = REMOTE_MAGIC, .version = REMOTE_VERSION,
        .proto = REMOTE_TCP, .mode = MODE_THROUGHPUT, .verify = VERIFY_SUM,
        .msg_bytes = 1, .messages = 0,      /* 0 messages: a probe */
    };
    struct remote_reply answer;
    int fd;

    if (!probed) {
        probed = 1;
        probe_rc = 0;
        fd = remote_connect(spec, family, probe_err);
        if (fd == -1 || remote_client_hello(fd, &h, &answer, probe_err) == -1)
            probe_rc = -1;
        close_fd(&fd);
    }
    if (probe_rc == -1)
        snprintf(err, ERR_LEN, "%s", probe_err);
    return probe_rc;
}

int remote_check_size(size_t msg_bytes, char *err)
{
    if (msg_bytes > REMOTE_MAX_MSG_BYTES)
        return err_set(err, "over the %llu MiB per message that `ipclab "
                            "serve` accepts",
                       (unsigned long long)(REMOTE_MAX_MSG_BYTES >> 20));
    return probe_once(net_opt_connect, net_opt_ipv6 ? AF_INET6 : AF_UNSPEC,
                      err);
}

void remote_hello_for(const struct tp_channel *ch, enum remote_proto proto,
                      struct remote_hello *h)
{
    memset(h, 0, sizeof(*h));
    h->magic = REMOTE_MAGIC;
    h->version = REMOTE_VERSION;
    h->proto = proto;
    h->mode = ch->mode;
    h->verify = ch->verify_full ? VERIFY_FULL : VERIFY_SUM;
    h->msg_bytes = ch->msg_bytes;
    h->messages = ch->messages;
}

int remote_client_result(int fd, struct tp_channel *ch, char *err)
{
    struct remote_reply r;

    if (read_reply(fd, &r, "result", err) == -1)
        return -1;
    if (r.status != 0)
        return err_set(err, "the server: %s", r.msg);
    ch->peer_reported = 1;      /* the harness reports these figures */
    ch->peer_verified = r.verified != 0;
    ch->peer_received = r.received;
    ch->peer_lost = r.lost;
    ch->peer_duplicated = r.duplicated;
    ch->peer_reordered = r.reordered;
    return 0;
}
