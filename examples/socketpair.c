/* transport: socketpair/stream
 *
 * socketpair.c - a connected pair of Unix domain stream sockets, made in one
 * call and shared through fork like a pipe, but two-way.  A producer writes
 * BYTES to a consumer in SIZE-byte messages, as ipc/socketpair.c does
 * inside ipclab, without the harness.
 *
 * usage: socketpair [SIZE [BYTES [CPU_PRODUCER CPU_CONSUMER]]]
 *        defaults: 64K 64M, not pinned (CPU -1: not pinned)
 * prints: socketpair: N messages of SIZE bytes in S s (M msg/s): R MB/s
 *
 * How it works.  socketpair(AF_UNIX, SOCK_STREAM) returns two descriptors;
 * what one side writes, the other reads.  Each socket has its own send
 * buffer (SO_SNDBUF, /proc/sys/net/core/wmem_default): write() copies into
 * an skb queued straight on the peer's receive queue, read() copies out.
 * A stream keeps no message boundaries, so both sides loop on short
 * transfers.  SOCK_DGRAM and SOCK_SEQPACKET keep boundaries (ipclab's
 * socketpair/dgram, socketpair/seqpacket).  See unix(7).
 *
 *      producer                          consumer
 *      --------                          --------
 *      close(sv[1])                      close(sv[0])
 *      read(sv[0]) <-------- "go" -----  write(sv[1], "g")
 *      t0 = now
 *      write(sv[0], msg) ---- data --->  read(sv[1], msg)  (N messages)
 *                                        t1 = now
 *
 * The "go" byte travels the other way on the same pair: one object carries
 * both directions.  Nothing to clean up: the pair has no name.
 */
#include "example.h"       /* first: it defines _GNU_SOURCE */

#include <sys/socket.h>

int main(int argc, char **argv)
{
    struct ex_args a;
    int sv[2];
    pid_t pid[2];
    uint64_t *t;
    char *buf, go = 'g';

    ex_args(argc, argv, "socketpair", 64 << 10, 64 << 20, &a);
    ex_catch_signals();
    t = ex_clock();
    buf = malloc(a.size);
    if (buf == NULL)
        errExit("malloc");
    memset(buf, 'x', a.size);
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
        errExit("socketpair");

    for (int role = 1; role >= 0; role--) {     /* consumer first */
        pid[role] = fork();
        if (pid[role] == -1)
            errExit("fork");
        if (pid[role] != 0)
            continue;
        ex_child(a.cpu[role]);
        if (role == 1) {                        /* consumer: sv[1] */
            close(sv[0]);
            ex_write_full(sv[1], &go, 1);
            for (uint64_t i = 0; i < a.count; i++)
                ex_read_full(sv[1], buf, a.size);
            t[1] = ex_now_ns();
        } else {                                /* producer: sv[0] */
            close(sv[1]);
            ex_read_full(sv[0], &go, 1);
            t[0] = ex_now_ns();
            for (uint64_t i = 0; i < a.count; i++)
                ex_write_full(sv[0], buf, a.size);
        }
        _exit(0);
    }
    free(buf);  /* the parent moves no data */
    close(sv[0]);
    close(sv[1]);
    if (ex_reap(pid) == -1)
        return 1;
    ex_report(&a, a.count, t);
    return 0;
}
