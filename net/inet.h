/* inet.h - the pieces of net/tcp.c and net/udp.c that the two-host mode
 * (net/remote/) reuses.  The two files are loopback mechanisms and read
 * alone; with --connect, net/remote/ does the steps that differ (connect
 * to `ipclab serve`, say hello, read its result) and leaves the rest -
 * the send and receive loops above all - to the very same functions, on a
 * channel state it fills in with these declarations.
 *
 * (Named inet.h, not tcp.h or udp.h: the Makefile reads a .c with a
 * same-named .h as support code, which would cost bin/tcp and bin/udp.) */
#ifndef IPCLAB_INET_H
#define IPCLAB_INET_H

#include <stdint.h>
#include <sys/socket.h>

#include "../bench/transport.h"

/* ---- net/tcp.c ---------------------------------------------------------- */

struct tcp_priv {
    int listen_fd;              /* loopback, until both sides attach */
    int fd;                     /* the connection */
    struct sockaddr_storage addr;   /* where the listener is */
    socklen_t addr_len;
};

/* A channel's state with no descriptor yet, in ch->priv (and its note). */
struct tcp_priv *tcp_priv_new(struct tp_channel *ch, char *err);
int tcp_nodelay(int fd, char *err);

/* ---- net/udp.c ---------------------------------------------------------- */

/* UDP: 65535 (IP total length field) - 20 (IPv4 header) - 8 (UDP header);
 * IPv6 has no header inside its 16-bit payload length: 65535 - 8. */
#define UDP_MAX_PAYLOAD_V4 65507u
#define UDP_MAX_PAYLOAD_V6 65527u
#define UDP_MIN_PAYLOAD 8u              /* the sequence number */

struct udp_priv {
    int sock[2];                /* [ROLE_PRODUCER], [ROLE_CONSUMER] */
    int done_pipe[2];           /* producer -> consumer: "all sent" (two
                                   hosts: [1] is the control connection) */
    int fd;                     /* this process's socket after attach */
    int done_fd;                /* consumer: readable when all was sent */
    int done;                   /* consumer: done_fd seen readable */
    int pong_timeout_ms;
    uint8_t last_seq[8];        /* producer, latency: the ping in flight */
    uint64_t sent;              /* producer: messages given to send() */
    unsigned long drop_every, dup_every;    /* test hooks */
};

struct udp_priv *udp_priv_new(struct tp_channel *ch, char *err);
/* A UDP socket bound to addr (port 0: the kernel picks), with --sockbuf;
 * the chosen address is written back into addr. */
int udp_socket_bound(struct sockaddr_storage *addr, socklen_t *len,
                     char *err);
/* The UDP consumer's receive, also run by `ipclab serve`: waits on the
 * data socket and on done_fd, which becomes readable when the producer
 * has finished (a pipe locally, the control connection remotely).  A
 * zero-length datagram is the producer's end marker.  idle_ms bounds the
 * wait for the next datagram before done (-1: forever); linger_ms the
 * wait for stragglers after it (a lost end marker costs that much time,
 * which the throughput figure includes).  Returns 0 with the datagram in
 * buf, TP_RECV_END when the stream is over, -1 on error. */
int udp_recv_until_done(int data_fd, int done_fd, void *buf, size_t len,
                        int *done, int idle_ms, int linger_ms, char *err);

#endif
