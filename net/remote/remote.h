/* remote.h - two-host mode: `ipclab run tcp|udp --connect HOST[:PORT]`
 * (the producer, on this host) and `ipclab serve` (the consumer, on the
 * other).  The protocol is drawn in wire.c; the client side wraps
 * net/tcp.c and net/udp.c (tcp_remote.c, udp_remote.c); the server side
 * is session.c (one session) and `ipclab serve` (serve.c the command and
 * its loop, serve_opts.c, daemon.c, serve_model.c; their own serve.h and
 * daemon.h).
 * Library code: returns -1 with a message, never prints, never exits. */
#ifndef IPCLAB_REMOTE_H
#define IPCLAB_REMOTE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "../../bench/harness.h"
#include "../../bench/transport.h"

#define REMOTE_DEFAULT_PORT 7878        /* `ipclab serve` listens here */
#define REMOTE_MAGIC 0x49504c42u        /* "IPLB" */
#define REMOTE_VERSION 1u

/* Bounds the server enforces before it allocates or waits for anything. */
#define REMOTE_MAX_MSG_BYTES ((uint64_t)64 << 20)  /* one message buffer */
#define REMOTE_MAX_MESSAGES ((uint64_t)1 << 40)
#define REMOTE_MAX_UDP_MESSAGES ((uint64_t)1 << 28)    /* 32 MiB bitmap */
#define REMOTE_LINGER_MS 200            /* UDP stragglers after "done" */
#define REMOTE_HELLO_TIMEOUT_S 10       /* client: the server's answer */
#define REMOTE_CONNECT_TIMEOUT_S 10
#define REMOTE_PONG_TIMEOUT_MS 2000     /* UDP: a round trip is lost */

/* ---- wire format (wire.c) ------------------------------------------------ */

enum remote_proto { REMOTE_TCP = 1, REMOTE_UDP = 2 };

/* Client -> server, once, right after connect (40 bytes, big-endian). */
struct remote_hello {
    uint32_t magic, version;
    uint32_t proto;             /* enum remote_proto */
    uint32_t mode;              /* enum tp_mode */
    uint32_t verify;            /* enum verify_level */
    uint32_t udp_port;          /* UDP: the client's data port */
    uint64_t msg_bytes;
    uint64_t messages;          /* 0: a probe, answered and hung up */
};
#define REMOTE_HELLO_BYTES 40

/* Server -> client: the answer to a hello, and the result after the run
 * (both 128 bytes).  status 0 = accepted / all verified. */
#define REMOTE_MSG_LEN 80
struct remote_reply {
    uint32_t magic;
    uint32_t status;            /* 0 ok, 1 refused/failed/busy */
    uint32_t udp_port;          /* answer, UDP: the server's data port */
    uint32_t verified;          /* result: 1 every message checked out */
    uint64_t received, lost, duplicated, reordered;     /* result */
    char msg[REMOTE_MSG_LEN];   /* why, when status != 0; NUL-terminated */
};
#define REMOTE_REPLY_BYTES 128

void remote_hello_encode(const struct remote_hello *h,
                         uint8_t out[REMOTE_HELLO_BYTES]);
void remote_hello_decode(const uint8_t in[REMOTE_HELLO_BYTES],
                         struct remote_hello *h);
/* 0 when a server can accept this session, else -1 and the reason.  A
 * probe (messages 0) is checked as a one-message run. */
int remote_hello_check(const struct remote_hello *h, char *err);
void remote_reply_encode(const struct remote_reply *r,
                         uint8_t out[REMOTE_REPLY_BYTES]);
/* Decoding checks the magic; -1 with a message when it is wrong. */
int remote_reply_decode(const uint8_t in[REMOTE_REPLY_BYTES],
                        struct remote_reply *r, char *err);

/* ---- addresses and the client (client.c) -------------------------------- */

/* "HOST", "HOST:PORT", "[V6ADDR]:PORT", "V6ADDR" -> host and port
 * strings (port defaults to default_port; "0" only when allow_zero). */
int remote_split_hostport(const char *spec, char *host, size_t hostlen,
                          char *port, size_t portlen, int default_port,
                          int allow_zero, char *err);
/* "1.2.3.4:5" / "[::1]:5" for logs and messages. */
void remote_addr_string(const struct sockaddr *sa, socklen_t len, char *out,
                        size_t outlen);
/* Resolve and connect a TCP socket to spec (family AF_UNSPEC or AF_INET6
 * for --ipv6), giving up after REMOTE_CONNECT_TIMEOUT_S.  Returns the fd. */
int remote_connect(const char *spec, int family, char *err);
/* Send the hello on fd and read the server's answer (bounded by
 * REMOTE_HELLO_TIMEOUT_S); -1 with "the server refused the run: REASON"
 * if it refused (or is busy). */
int remote_client_hello(int fd, const struct remote_hello *h,
                        struct remote_reply *answer, char *err);
/* The hello for this channel's run. */
void remote_hello_for(const struct tp_channel *ch, enum remote_proto proto,
                      struct remote_hello *h);
/* check_size() of tcp and udp with --connect: the size within what the
 * server takes, and is an ipclab server answering at --connect?  (One
 * probe per process: a hello with no messages; later calls repeat the
 * first answer.)  A bad address is thus a usage error before any fork. */
int remote_check_size(size_t msg_bytes, char *err);
/* End of a run (finish()): read the server's result into ch->peer_* for
 * the harness; -1 with the server's reason if it failed. */
int remote_client_result(int fd, struct tp_channel *ch, char *err);

/* ---- net/tcp.c and net/udp.c with --connect (tcp_remote.c, udp_remote.c) */

/* create(): connect, say hello, set ch->solo (no consumer is forked); the
 * state is the loopback transport's own (net/inet.h), so its ready, send,
 * recv, detach and destroy run unchanged. */
int remote_tcp_create(struct tp_channel *ch, char *err);
int remote_udp_create(struct tp_channel *ch, char *err);

/* ---- the server (session.c, serve.c) ------------------------------------ */

/* How long each phase of a session may take, in milliseconds. */
struct remote_limits {
    int hello_ms;               /* the whole greeting; also the answer and
                                   the result, each */
    int idle_ms;                /* data phase: no byte moves for this long */
    int run_ms;                 /* data phase: start to end, in all */
};

/* The rest of one session after a valid hello (not a probe): the answer,
 * the run - bench_consume(), the loop and verification of the local
 * consumer - and the result, each phase within its limit.  fd is the
 * accepted connection; every outcome goes to log(peer, line) before the
 * client hears it.  Returns 0 when the run was verified and reported. */
typedef void remote_log_fn(const char *peer, const char *line);
int remote_session_run(int fd, const struct remote_hello *h,
                       const struct remote_limits *lim, const char *peer,
                       remote_log_fn *log);
/* Write a reply within timeout_ms (fd may be blocking or not); -1 if the
 * client does not take it. */
int remote_send_reply(int fd, struct remote_reply *r, int timeout_ms);

#endif
