/* transport: fifo
 *
 * fifo.c - a named pipe: the same kernel object as pipe(2), but with a name
 * in the file system, so that processes which share no descriptor can meet
 * by it.  A producer writes BYTES to a consumer in SIZE-byte messages, as
 * ipc/fifo.c does inside ipclab, without the harness.
 *
 * usage: fifo [SIZE [BYTES [CPU_PRODUCER CPU_CONSUMER]]]
 *        defaults: 64K 64M, not pinned (CPU -1: not pinned)
 * prints: fifo: N messages of SIZE bytes in S s (M msg/s): R MB/s
 *
 * How it works.  The parent makes a private 0700 directory (mkdtemp) and a
 * FIFO in it (mkfifo, 0600): no one else can open or replace the name.
 * Each child opens it by path; open() blocks until the other side opens
 * too, so once the consumer's open() returns both hold it and the name can
 * go at once.  From then on it is a pipe.  See fifo(7).
 *
 *      parent: mkdtemp(dir); mkfifo(dir/fifo, 0600)
 *
 *      producer                          consumer
 *      --------                          --------
 *      fd = open(path, O_WRONLY) <-----> fd = open(path, O_RDONLY)
 *                                        unlink(path)   (both hold it)
 *      read(ready[0]) <----- "go" ----   write(ready[1])
 *      t0 = now
 *      write(fd, msg) ------ data ---->  read(fd, msg)  (N messages)
 *                                        t1 = now
 *
 *      parent, at exit, whatever happened: unlink(path); rmdir(dir)
 */
#include "example.h"       /* first: it defines _GNU_SOURCE */

#include <fcntl.h>
#include <sys/stat.h>

static char dir[256], path[300];

static void cleanup(void)
{
    unlink(path);               /* ENOENT when the consumer did it */
    rmdir(dir);
}

int main(int argc, char **argv)
{
    struct ex_args a;
    int ready[2], fd;
    pid_t pid[2];
    uint64_t *t;
    char *buf, go = 'g';

    ex_args(argc, argv, "fifo", 64 << 10, 64 << 20, &a);
    ex_catch_signals();
    t = ex_clock();
    buf = malloc(a.size);
    if (buf == NULL)
        errExit("malloc");
    memset(buf, 'x', a.size);
    if (pipe(ready) == -1)
        errExit("pipe");
    ex_private_dir(dir, sizeof(dir));
    atexit(cleanup);            /* from here on, every exit removes them */
    snprintf(path, sizeof(path), "%s/fifo", dir);
    if (mkfifo(path, 0600) == -1)
        errExit("mkfifo");

    for (int role = 1; role >= 0; role--) {     /* consumer first */
        pid[role] = fork();
        if (pid[role] == -1)
            errExit("fork");
        if (pid[role] != 0)
            continue;
        ex_child(a.cpu[role]);
        if (role == 1) {                        /* consumer */
            fd = open(path, O_RDONLY);  /* waits for the producer */
            if (fd == -1)
                errExit("open");
            if (unlink(path) == -1)     /* both hold it: drop the name */
                errExit("unlink");
            if (write(ready[1], &go, 1) != 1)
                errExit("write ready");
            for (uint64_t i = 0; i < a.count; i++)
                ex_read_full(fd, buf, a.size);
            t[1] = ex_now_ns();
        } else {                                /* producer */
            fd = open(path, O_WRONLY);  /* waits for the consumer */
            if (fd == -1)
                errExit("open");
            if (read(ready[0], &go, 1) != 1)
                errExit("read ready");
            t[0] = ex_now_ns();
            for (uint64_t i = 0; i < a.count; i++)
                ex_write_full(fd, buf, a.size);
        }
        _exit(0);
    }
    free(buf);  /* the parent moves no data */
    if (ex_reap(pid) == -1)
        return 1;               /* exit() runs cleanup() */
    ex_report(&a, a.count, t);
    return 0;
}
