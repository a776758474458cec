/* transport: udp
 *
 * udp.c - UDP datagrams over the loopback interface: each send() is one
 * datagram, delivered whole or not at all, and nothing slows the sender
 * down when the receiver falls behind: datagrams that find the receive
 * queue full are dropped.  A producer sends BYTES to a consumer in
 * SIZE-byte datagrams, as net/udp.c does inside ipclab, without the
 * harness; the consumer counts what arrived.
 *
 * usage: udp [SIZE [BYTES [CPU_PRODUCER CPU_CONSUMER]]]
 *        defaults: 1K 64M, not pinned (CPU -1: not pinned)
 * prints: udp: N messages of SIZE bytes in S s (M msg/s): R MB/s
 *         (N: the datagrams that arrived)
 *         and on stderr how many were lost, if any
 *
 * How it works.  The parent binds the consumer's socket to 127.0.0.1 port
 * 0 (the kernel picks a free port; getsockname() tells which) before fork;
 * the producer connect()s its own socket to that address, so send() needs
 * no address.  A datagram carries at most 65507 bytes (65535 less the IP
 * and UDP headers).  The end of the stream cannot be a datagram (it could
 * be lost), so the producer says "done" by closing a pipe: the consumer
 * poll()s both, and once the pipe reports the end, takes what is still
 * queued.  On loopback a datagram is queued or dropped inside send(), so
 * nothing arrives after that.  See udp(7).
 *
 *      parent: s = socket(); bind(s, 127.0.0.1:0); getsockname(s)
 *
 *      producer                          consumer
 *      --------                          --------
 *      read(ready[0]) <----- "go" ----   write(ready[1])
 *      t0 = now
 *      send(fd, msg) ---- datagrams -->  poll(s, done[0]); recv(s)
 *      ...  (N datagrams)                ...       t1 = last arrival
 *      _exit: done[1] closed ---------->  POLLHUP: drain s, stop
 */
#include "example.h"       /* first: it defines _GNU_SOURCE */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
    struct ex_args a;
    struct sockaddr_in addr;
    socklen_t len = sizeof(addr);
    int s, fd, ready[2], done[2];
    pid_t pid[2];
    uint64_t *t;
    char *buf, go = 'g';

    ex_args(argc, argv, "udp", 1 << 10, 64 << 20, &a);
    if (a.size > 65507)
        usageErr("SIZE %zu: a UDP datagram holds at most 65507 bytes",
                 a.size);
    ex_catch_signals();
    t = ex_clock();
    buf = malloc(a.size);
    if (buf == NULL)
        errExit("malloc");
    memset(buf, 'x', a.size);
    if (pipe(ready) == -1 || pipe(done) == -1)
        errExit("pipe");
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s = socket(AF_INET, SOCK_DGRAM, 0);
    if (s == -1)
        errExit("socket");
    if (bind(s, (struct sockaddr *)&addr, sizeof(addr)) == -1)
        errExit("bind");
    if (getsockname(s, (struct sockaddr *)&addr, &len) == -1)
        errExit("getsockname");

    for (int role = 1; role >= 0; role--) {     /* consumer first */
        pid[role] = fork();
        if (pid[role] == -1)
            errExit("fork");
        if (pid[role] != 0)
            continue;
        ex_child(a.cpu[role]);
        if (role == 1) {                        /* consumer */
            struct pollfd pf[2] = { { s, POLLIN, 0 }, { done[0], POLLIN, 0 } };
            int ended = 0;

            close(done[1]);     /* else the end never shows */
            if (write(ready[1], &go, 1) != 1)
                errExit("write ready");
            while (!ended && t[2] < a.count) {
                if (poll(pf, 2, -1) == -1) {
                    if (errno == EINTR)
                        continue;
                    errExit("poll");
                }
                ended = pf[1].revents != 0;     /* then drain and stop */
                for (;;) {
                    ssize_t n = recv(s, buf, a.size, MSG_DONTWAIT);

                    if (n == -1 && (errno == EAGAIN || errno == EINTR))
                        break;
                    if (n == -1)
                        errExit("recv");
                    t[2]++;
                    t[1] = ex_now_ns();
                }
            }
        } else {                                /* producer */
            close(done[0]);
            fd = socket(AF_INET, SOCK_DGRAM, 0);
            if (fd == -1)
                errExit("socket");
            if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == -1)
                errExit("connect");
            if (read(ready[0], &go, 1) != 1)
                errExit("read ready");
            t[0] = ex_now_ns();
            for (uint64_t i = 0; i < a.count; i++)
                while (send(fd, buf, a.size, 0) != (ssize_t)a.size)
                    if (errno != EINTR && errno != ECONNREFUSED)
                        errExit("send");
        }
        _exit(0);               /* the producer's exit closes done[1] */
    }
    free(buf);  /* the parent moves no data */
    close(s);
    close(done[0]);
    close(done[1]);
    if (ex_reap(pid) == -1)
        return 1;
    if (t[2] < a.count)
        fprintf(stderr, "udp: %llu of %llu datagrams lost (receive queue "
                "full)\n", (unsigned long long)(a.count - t[2]),
                (unsigned long long)a.count);
    ex_report(&a, t[2], t);
    return 0;
}
