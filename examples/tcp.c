/* transport: tcp
 *
 * tcp.c - TCP over the loopback interface: the same socket calls as between
 * two hosts, with the whole network stack (segments, acknowledgements,
 * congestion control) run on one machine.  A producer writes BYTES to a
 * consumer in SIZE-byte messages, as net/tcp.c does inside ipclab, without
 * the harness.
 *
 * usage: tcp [SIZE [BYTES [CPU_PRODUCER CPU_CONSUMER]]]
 *        defaults: 64K 64M, not pinned (CPU -1: not pinned)
 * prints: tcp: N messages of SIZE bytes in S s (M msg/s): R MB/s
 *
 * How it works.  The parent listens on 127.0.0.1 port 0: the kernel picks
 * a free port, and getsockname() tells which, so two runs never collide
 * and no port is hard-coded.  The producer connects, the consumer accepts.
 * Throughput needs no TCP_NODELAY: Nagle's algorithm only delays small
 * writes while data is unacknowledged, and a stream of full segments is
 * not delayed.  See tcp(7), ip(7).
 *
 *      parent: s = socket(); bind(s, 127.0.0.1:0); listen(s);
 *              getsockname(s) -> the port
 *
 *      producer                          consumer
 *      --------                          --------
 *      fd = socket(); connect(port) ---> fd = accept(s)
 *      read(fd) <----------- "go" -----  write(fd, "g")
 *      t0 = now
 *      write(fd, msg) ------ data ---->  read(fd, msg)  (N messages)
 *                                        t1 = now
 *
 * Nothing to clean up: sockets close with their processes.
 */
#include "example.h"       /* first: it defines _GNU_SOURCE */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
    struct ex_args a;
    struct sockaddr_in addr;
    socklen_t len = sizeof(addr);
    int s, fd;
    pid_t pid[2];
    uint64_t *t;
    char *buf, go = 'g';

    ex_args(argc, argv, "tcp", 64 << 10, 64 << 20, &a);
    ex_catch_signals();
    t = ex_clock();
    buf = malloc(a.size);
    if (buf == NULL)
        errExit("malloc");
    memset(buf, 'x', a.size);
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;                          /* any free port */
    s = socket(AF_INET, SOCK_STREAM, 0);
    if (s == -1)
        errExit("socket");
    if (bind(s, (struct sockaddr *)&addr, sizeof(addr)) == -1)
        errExit("bind");
    if (listen(s, 1) == -1)
        errExit("listen");
    if (getsockname(s, (struct sockaddr *)&addr, &len) == -1)
        errExit("getsockname");                 /* addr.sin_port is set */

    for (int role = 1; role >= 0; role--) {     /* consumer first */
        pid[role] = fork();
        if (pid[role] == -1)
            errExit("fork");
        if (pid[role] != 0)
            continue;
        ex_child(a.cpu[role]);
        if (role == 1) {                        /* consumer: the server */
            fd = accept(s, NULL, NULL);
            if (fd == -1)
                errExit("accept");
            close(s);
            ex_write_full(fd, &go, 1);
            for (uint64_t i = 0; i < a.count; i++)
                ex_read_full(fd, buf, a.size);
            t[1] = ex_now_ns();
        } else {                                /* producer: the client */
            close(s);
            fd = socket(AF_INET, SOCK_STREAM, 0);
            if (fd == -1)
                errExit("socket");
            if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == -1)
                errExit("connect");
            ex_read_full(fd, &go, 1);
            t[0] = ex_now_ns();
            for (uint64_t i = 0; i < a.count; i++)
                ex_write_full(fd, buf, a.size);
        }
        _exit(0);
    }
    free(buf);  /* the parent moves no data */
    close(s);
    if (ex_reap(pid) == -1)
        return 1;
    ex_report(&a, a.count, t);
    return 0;
}
