/* transport: unix/stream
 *
 * unix_socket.c - named Unix domain stream sockets: a server socket bound
 * to a path, a client that connects to that path.  Once connected it is the
 * same data path as socketpair(2); only the meeting differs, and that is
 * how unrelated processes (a daemon and its clients) find each other.  A
 * producer writes BYTES to a consumer in SIZE-byte messages, as
 * ipc/unix_socket.c does inside ipclab, without the harness.
 *
 * usage: unix_socket [SIZE [BYTES [CPU_PRODUCER CPU_CONSUMER]]]
 *        defaults: 64K 64M, not pinned (CPU -1: not pinned)
 * prints: unix_socket: N messages of SIZE bytes in S s (M msg/s): R MB/s
 *
 * How it works.  The parent binds and listens before fork, so the
 * producer's connect() cannot come too early; the path lives in a private
 * 0700 directory, so no one else can connect or take the name.  The
 * consumer accepts; once it has, both ends are connected and the name is
 * no longer needed.  See unix(7).
 *
 *      parent: mkdtemp(dir); s = socket(); bind(s, dir/sock); listen(s)
 *
 *      producer                          consumer
 *      --------                          --------
 *      fd = socket(); connect(path) ---> fd = accept(s)
 *                                        unlink(path)   (connected)
 *      read(fd) <----------- "go" -----  write(fd, "g")
 *      t0 = now
 *      write(fd, msg) ------ data ---->  read(fd, msg)  (N messages)
 *                                        t1 = now
 *
 *      parent, at exit, whatever happened: unlink(path); rmdir(dir)
 */
#include "example.h"       /* first: it defines _GNU_SOURCE */

#include <sys/socket.h>
#include <sys/un.h>

static char dir[200];
static struct sockaddr_un addr;

static void cleanup(void)
{
    unlink(addr.sun_path);      /* ENOENT when the consumer did it */
    rmdir(dir);
}

int main(int argc, char **argv)
{
    struct ex_args a;
    int s, fd;
    pid_t pid[2];
    uint64_t *t;
    char *buf, go = 'g';

    ex_args(argc, argv, "unix_socket", 64 << 10, 64 << 20, &a);
    ex_catch_signals();
    t = ex_clock();
    buf = malloc(a.size);
    if (buf == NULL)
        errExit("malloc");
    memset(buf, 'x', a.size);
    ex_private_dir(dir, sizeof(dir));
    atexit(cleanup);            /* from here on, every exit removes them */
    addr.sun_family = AF_UNIX;
    if (snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/sock", dir) >=
        (int)sizeof(addr.sun_path)) {   /* 108 bytes: a short $TMPDIR */
        errno = ENAMETOOLONG;
        errExit("socket path");
    }
    s = socket(AF_UNIX, SOCK_STREAM, 0);
    if (s == -1)
        errExit("socket");
    if (bind(s, (struct sockaddr *)&addr, sizeof(addr)) == -1)
        errExit("bind");
    if (listen(s, 1) == -1)
        errExit("listen");

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
            if (unlink(addr.sun_path) == -1)    /* connected: drop it */
                errExit("unlink");
            ex_write_full(fd, &go, 1);
            for (uint64_t i = 0; i < a.count; i++)
                ex_read_full(fd, buf, a.size);
            t[1] = ex_now_ns();
        } else {                                /* producer: the client */
            close(s);
            fd = socket(AF_UNIX, SOCK_STREAM, 0);
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
        return 1;               /* exit() runs cleanup() */
    ex_report(&a, a.count, t);
    return 0;
}
