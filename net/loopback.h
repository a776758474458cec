/* loopback.h - the few socket steps every TCP lesson (net/nagle.c,
 * net/connection.c, net/time_wait.c, net/linger.c, net/backlog.c) and the
 * TCP rows of net/sg.c and net/sendfile.c take before their work: a
 * listener on 127.0.0.1 with a port the kernel chose (port 0, read back),
 * a connection to it, and one taken from it.
 * Header-only, so each lesson still reads alone with this page beside it.
 * See ip(7), tcp(7). */
#ifndef IPCLAB_LOOPBACK_H
#define IPCLAB_LOOPBACK_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../bench/util.h"

/* A listening socket on 127.0.0.1:0 with the given backlog; *addr gets
 * the address with the port the kernel chose.  -1 on error (fd closed). */
static inline int loop_listen(struct sockaddr_in *addr, int backlog,
                              char *err)
{
    socklen_t len = sizeof(*addr);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd == -1)
        return err_sys(err, "socket");
    memset(addr, 0, sizeof(*addr));
    addr->sin_family = AF_INET;
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr->sin_port = 0;                 /* the kernel picks a free port */
    if (bind(fd, (struct sockaddr *)addr, sizeof(*addr)) == -1) {
        err_sys(err, "bind 127.0.0.1:0");
        goto fail;
    }
    if (listen(fd, backlog) == -1) {
        err_sys(err, "listen");
        goto fail;
    }
    if (getsockname(fd, (struct sockaddr *)addr, &len) == -1) {
        err_sys(err, "getsockname");
        goto fail;
    }
    return fd;
fail:
    close(fd);
    return -1;
}

/* A blocking socket connected to addr; -1 on error. */
static inline int loop_connect(const struct sockaddr_in *addr, char *err)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd == -1)
        return err_sys(err, "socket");
    if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == -1) {
        err_sys(err, "connect");
        close(fd);
        return -1;
    }
    return fd;
}

/* The next connection from the listener's queue; -1 on error. */
static inline int loop_accept(int listen_fd, char *err)
{
    int fd;

    while ((fd = accept(listen_fd, NULL, NULL)) == -1 &&
           errno == EINTR)
        ;
    if (fd == -1)
        return err_sys(err, "accept");
    return fd;
}

/* One connected pair inside this process: *client from connect, *server
 * from accept (the handshake completes in the kernel, no peer process
 * needed).  0, or -1 with both closed. */
static inline int loop_pair(int listen_fd, const struct sockaddr_in *addr,
                            int *client, int *server, char *err)
{
    *server = -1;
    *client = loop_connect(addr, err);
    if (*client == -1)
        return -1;
    *server = loop_accept(listen_fd, err);
    if (*server == -1) {
        close_fd(client);
        return -1;
    }
    return 0;
}

/* The port of a socket's own address (host order), 0 on error. */
static inline unsigned loop_local_port(int fd)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);

    if (getsockname(fd, (struct sockaddr *)&a, &len) == -1)
        return 0;
    return ntohs(a.sin_port);
}

/* TIME_WAIT entries (state 06 in /proc/net/tcp, see proc(5)) of the
 * connections between 127.0.0.1:server_port and the client ports given:
 * *client_side counts those the clients hold (local port a client port),
 * *server_side those the server holds (local port server_port).  Matching
 * the exact port pairs counts only our connections, whatever else runs.
 * 0, or -1 with err set. */
static inline int loop_count_time_wait(unsigned server_port,
                                       const unsigned *client_ports,
                                       size_t nclients, unsigned *client_side,
                                       unsigned *server_side, char *err)
{
    FILE *f = fopen("/proc/net/tcp", "re");
    char line[512];
    unsigned lport, rport, st;

    *client_side = *server_side = 0;
    if (f == NULL)
        return err_sys(err, "open /proc/net/tcp");
    while (fgets(line, sizeof(line), f) != NULL) {
        if (sscanf(line, " %*u: %*x:%x %*x:%x %x", &lport, &rport, &st) != 3 ||
            st != 0x06)         /* the heading line, or not TIME_WAIT */
            continue;
        for (size_t i = 0; i < nclients; i++) {
            if (lport == client_ports[i] && rport == server_port)
                (*client_side)++;
            else if (lport == server_port && rport == client_ports[i])
                (*server_side)++;
        }
    }
    fclose(f);
    return 0;
}

#endif
