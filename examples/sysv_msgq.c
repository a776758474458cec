/* transport: sysv_msgq
 *
 * sysv_msgq.c - a System V message queue: a kernel list of typed messages,
 * boundaries kept.  A producer sends BYTES to a consumer in SIZE-byte
 * messages, as ipc/sysv_msgq.c does inside ipclab, without the harness.
 *
 * usage: sysv_msgq [SIZE [BYTES [CPU_PRODUCER CPU_CONSUMER]]]
 *        defaults: 4K 64M, not pinned (CPU -1: not pinned)
 * prints: sysv_msgq: N messages of SIZE bytes in S s (M msg/s): R MB/s
 *
 * How it works.  msgget(IPC_PRIVATE) makes a new queue that no key can
 * find: the children know its id because they are forked after it.  Each
 * message starts with a `long mtype`; msgrcv() can ask for one type, so one
 * queue carries the data (type 1) and the consumer's "ready" (type 2).
 * msgsnd() copies the message into the kernel and sleeps while the queue
 * holds msgmnb bytes; msgrcv() copies it out.  A message may not be larger
 * than msgmax (/proc/sys/kernel/msgmax, 8192 by default).  See
 * sysvipc(7), msgop(2).
 *
 *      parent: id = msgget(IPC_PRIVATE, 0600)
 *
 *      producer                          consumer
 *      --------                          --------
 *      msgrcv(id, type 2) <-- "ready" -  msgsnd(id, type 2)
 *      t0 = now
 *      msgsnd(id, type 1) --- data --->  msgrcv(id, type 1)  (N messages)
 *                                        t1 = now
 *
 *      parent, at exit, whatever happened: msgctl(id, IPC_RMID)
 *
 * A queue outlives its processes until IPC_RMID: if the parent is killed
 * with SIGKILL, `ipcs -q` shows it and `ipcrm -q ID` removes it.
 */
#include "example.h"       /* first: it defines _GNU_SOURCE */

#include <sys/msg.h>

static int id = -1;

static void cleanup(void)
{
    if (id != -1)
        msgctl(id, IPC_RMID, NULL);
}

static unsigned long read_limit(const char *path)
{
    unsigned long v = 0;
    FILE *f = fopen(path, "r");

    if (f == NULL)
        errExit(path);
    if (fscanf(f, "%lu", &v) != 1)
        v = 0;
    fclose(f);
    return v;
}

int main(int argc, char **argv)
{
    struct ex_args a;
    struct message { long mtype; char mtext[]; } *m;
    unsigned long msgmax, msgmnb;
    pid_t pid[2];
    uint64_t *t;

    ex_args(argc, argv, "sysv_msgq", 4 << 10, 64 << 20, &a);
    msgmax = read_limit("/proc/sys/kernel/msgmax");
    msgmnb = read_limit("/proc/sys/kernel/msgmnb");
    if (a.size > msgmax || a.size > msgmnb)
        usageErr("SIZE %zu over msgmax %lu or msgmnb %lu; raise "
                 "/proc/sys/kernel/msgmax and msgmnb", a.size, msgmax,
                 msgmnb);
    ex_catch_signals();
    t = ex_clock();
    m = malloc(sizeof(*m) + a.size);
    if (m == NULL)
        errExit("malloc");
    memset(m->mtext, 'x', a.size);
    id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    if (id == -1)
        errExit("msgget");
    atexit(cleanup);            /* from here on, every exit removes it */

    for (int role = 1; role >= 0; role--) {     /* consumer first */
        pid[role] = fork();
        if (pid[role] == -1)
            errExit("fork");
        if (pid[role] != 0)
            continue;
        ex_child(a.cpu[role]);
        if (role == 1) {                        /* consumer */
            m->mtype = 2;
            if (msgsnd(id, m, 0, 0) == -1)      /* "ready": no text */
                errExit("msgsnd ready");
            for (uint64_t i = 0; i < a.count; i++)
                while (msgrcv(id, m, a.size, 1, 0) != (ssize_t)a.size)
                    if (errno != EINTR)
                        errExit("msgrcv");
            t[1] = ex_now_ns();
        } else {                                /* producer */
            while (msgrcv(id, m, 0, 2, 0) == -1)
                if (errno != EINTR)
                    errExit("msgrcv ready");
            m->mtype = 1;
            t[0] = ex_now_ns();
            for (uint64_t i = 0; i < a.count; i++)
                while (msgsnd(id, m, a.size, 0) == -1)
                    if (errno != EINTR)
                        errExit("msgsnd");
        }
        _exit(0);
    }
    free(m);  /* the parent moves no data */
    if (ex_reap(pid) == -1)
        return 1;               /* exit() runs cleanup() */
    ex_report(&a, a.count, t);
    return 0;
}
