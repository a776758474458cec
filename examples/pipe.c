/* transport: pipe
 *
 * pipe.c - the smallest pipe program: a parent makes a pipe, forks a
 * producer and a consumer, and the producer writes BYTES to the consumer
 * in SIZE-byte messages.  The same loop ipc/pipe.c runs inside ipclab,
 * without the harness: no sequence numbers, no checking of the bytes.
 *
 * usage: pipe [SIZE [BYTES [CPU_PRODUCER CPU_CONSUMER]]]
 *        defaults: 64K 64M, not pinned (CPU -1: not pinned)
 * prints: pipe: N messages of SIZE bytes in S s (M msg/s): R MB/s
 *
 * How it works.  pipe(2) gives two descriptors on one kernel buffer (64 KiB
 * by default).  write() copies into it and sleeps while it is full; read()
 * copies out and sleeps while it is empty.  A write larger than PIPE_BUF
 * (4096) may be split and a read may return less than asked: both sides
 * loop until the whole message has moved.  See pipe(7).
 *
 *      producer                          consumer
 *      --------                          --------
 *      close(data[0])                    close(data[1])
 *      read(ready[0]) <----- "go" ----   write(ready[1])
 *      t0 = now
 *      write(data[1], msg) --- data -->  read(data[0], msg)
 *      ...                               ...        (N messages)
 *      _exit(0)                          t1 = now; _exit(0)
 *
 * Nothing to clean up: a pipe has no name and vanishes with its last
 * descriptor, even when a process crashes.
 */
#include "example.h"

int main(int argc, char **argv)
{
    struct ex_args a;
    int data[2], ready[2];
    pid_t pid[2];
    uint64_t *t;
    char *buf, go = 'g';

    ex_args(argc, argv, "pipe", 64 << 10, 64 << 20, &a);
    ex_catch_signals();
    t = ex_clock();
    buf = malloc(a.size);
    if (buf == NULL)
        errExit("malloc");
    memset(buf, 'x', a.size);   /* real pages, not the shared zero page */
    if (pipe(data) == -1 || pipe(ready) == -1)
        errExit("pipe");

    for (int role = 1; role >= 0; role--) {     /* consumer first */
        pid[role] = fork();
        if (pid[role] == -1)
            errExit("fork");
        if (pid[role] != 0)
            continue;
        ex_child(a.cpu[role]);
        if (role == 1) {                        /* consumer */
            close(data[1]);     /* else read() never sees EOF */
            if (write(ready[1], &go, 1) != 1)
                errExit("write ready");
            for (uint64_t i = 0; i < a.count; i++)
                for (size_t got = 0; got < a.size;) {
                    ssize_t r = read(data[0], buf + got, a.size - got);

                    if (r == -1 && errno == EINTR)
                        continue;
                    if (r == -1)
                        errExit("read");
                    if (r == 0) {
                        errno = EPIPE;          /* the producer is gone */
                        errExit("read (end of file)");
                    }
                    got += (size_t)r;
                }
            t[1] = ex_now_ns();
        } else {                                /* producer */
            close(data[0]);     /* a dead reader gives EPIPE, not a hang */
            if (read(ready[0], &go, 1) != 1)
                errExit("read ready");
            t[0] = ex_now_ns();
            for (uint64_t i = 0; i < a.count; i++)
                for (size_t put = 0; put < a.size;) {
                    ssize_t w = write(data[1], buf + put, a.size - put);

                    if (w == -1 && errno == EINTR)
                        continue;
                    if (w == -1)
                        errExit("write");
                    put += (size_t)w;
                }
        }
        _exit(0);
    }
    free(buf);  /* the parent moves no data */
    close(data[0]);             /* the parent holds no end open */
    close(data[1]);
    if (ex_reap(pid) == -1)
        return 1;
    ex_report(&a, a.count, t);
    return 0;
}
