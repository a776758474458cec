/* transport: posix_mq
 *
 * posix_mq.c - a POSIX message queue: a named queue of messages with
 * priorities, whose descriptor (on Linux) is a file descriptor.  A producer
 * sends BYTES to a consumer in SIZE-byte messages, as ipc/posix_mq.c does
 * inside ipclab, without the harness.
 *
 * usage: posix_mq [SIZE [BYTES [CPU_PRODUCER CPU_CONSUMER]]]
 *        defaults: 4K 64M, not pinned (CPU -1: not pinned)
 * prints: posix_mq: N messages of SIZE bytes in S s (M msg/s): R MB/s
 *
 * How it works.  mq_open() with O_CREAT | O_EXCL and a name nobody can
 * guess makes a new queue, sized once for all: mq_msgsize (at most
 * /proc/sys/fs/mqueue/msgsize_max, 8192 by default) and mq_maxmsg
 * messages (msg_max, 10, less if RLIMIT_MSGQUEUE needs it, as ipclab
 * does).  Unrelated processes would open it by that name; here the
 * children inherit the descriptor through fork, so the parent removes the
 * name at once (mq_unlink) and nothing can be left behind, even if the
 * parent is killed.  mq_send() sleeps while the queue is full, mq_receive()
 * while it is empty; each copies the message.  See mq_overview(7).
 *
 *      parent: q = mq_open(name, O_CREAT|O_EXCL|O_RDWR, 0600, attr)
 *              mq_unlink(name)      (the queue lives on with q)
 *
 *      producer                          consumer
 *      --------                          --------
 *      read(ready[0]) <----- "go" ----   write(ready[1])
 *      t0 = now
 *      mq_send(q, msg) ----- data --->   mq_receive(q, msg)  (N messages)
 *                                        t1 = now
 */
#include "example.h"       /* first: it defines _GNU_SOURCE */

#include <fcntl.h>
#include <mqueue.h>
#include <sys/resource.h>

int main(int argc, char **argv)
{
    struct ex_args a;
    struct mq_attr attr;
    struct rlimit rl;
    char name[64], *buf, go = 'g';
    long msg_max = 10;
    int ready[2];
    FILE *f;
    mqd_t q;
    pid_t pid[2];
    uint64_t *t;

    ex_args(argc, argv, "posix_mq", 4 << 10, 64 << 20, &a);
    ex_catch_signals();
    t = ex_clock();
    buf = malloc(a.size);
    if (buf == NULL)
        errExit("malloc");
    memset(buf, 'x', a.size);
    if (pipe(ready) == -1)
        errExit("pipe");
    f = fopen("/proc/sys/fs/mqueue/msg_max", "r");
    if (f != NULL && fscanf(f, "%ld", &msg_max) != 1)
        msg_max = 10;
    if (f != NULL)
        fclose(f);
    if (getrlimit(RLIMIT_MSGQUEUE, &rl) == -1)
        errExit("getrlimit");
    memset(&attr, 0, sizeof(attr));
    attr.mq_msgsize = (long)a.size;
    attr.mq_maxmsg = msg_max;       /* use at most half of RLIMIT_MSGQUEUE */
    if (rl.rlim_cur != RLIM_INFINITY &&
        (rlim_t)msg_max * (a.size + 96) > rl.rlim_cur / 2)
        attr.mq_maxmsg = (long)(rl.rlim_cur / 2 / (a.size + 96));
    if (attr.mq_maxmsg < 1)
        attr.mq_maxmsg = 1;
    ex_unique_name(name, sizeof(name));
    q = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
    if (q == (mqd_t)-1 && (errno == EINVAL || errno == EMFILE))
        usageErr("mq_open: %s: SIZE %zu over msgsize_max or ulimit -q; "
                 "raise /proc/sys/fs/mqueue/msgsize_max", strerror(errno),
                 a.size);
    if (q == (mqd_t)-1)
        errExit("mq_open");
    if (mq_unlink(name) == -1)      /* nameless from now on */
        errExit("mq_unlink");

    for (int role = 1; role >= 0; role--) {     /* consumer first */
        pid[role] = fork();
        if (pid[role] == -1)
            errExit("fork");
        if (pid[role] != 0)
            continue;
        ex_child(a.cpu[role]);
        if (role == 1) {                        /* consumer */
            if (write(ready[1], &go, 1) != 1)
                errExit("write ready");
            for (uint64_t i = 0; i < a.count; i++)
                while (mq_receive(q, buf, a.size, NULL) != (ssize_t)a.size)
                    if (errno != EINTR)
                        errExit("mq_receive");
            t[1] = ex_now_ns();
        } else {                                /* producer */
            if (read(ready[0], &go, 1) != 1)
                errExit("read ready");
            t[0] = ex_now_ns();
            for (uint64_t i = 0; i < a.count; i++)
                while (mq_send(q, buf, a.size, 0) == -1)
                    if (errno != EINTR)
                        errExit("mq_send");
        }
        _exit(0);
    }
    free(buf);  /* the parent moves no data */
    if (ex_reap(pid) == -1)
        return 1;
    ex_report(&a, a.count, t);
    return 0;
}
