/* fifo.c - named pipes (FIFOs): a pipe that unrelated processes meet by name.
 *
 * What it is.  mkfifo(3) puts a special file in the file system; every
 * process that open()s the path gets an end of the same kernel pipe.  The
 * data path is exactly a pipe's (see ipc/pipe.c); only the rendezvous
 * differs: no common ancestor has to create it and hand it down through
 * fork.  Choose it when two programs that do not share a parent must talk
 * and a one-way byte stream is enough; see fifo(7), mkfifo(3).
 *
 * Kernel objects.  One FIFO inode per direction ("ping", and "pong" in
 * latency mode) in a private 0700 directory made by mkdtemp (private_dir()),
 * so no other user can open, pre-create or replace them.  The pipe buffer
 * behind the inode exists only while someone has the FIFO open.  The parent
 * makes the directory and the FIFOs (create), each child opens them by path
 * (attach), and once both children hold their ends the parent unlinks the
 * names and removes the directory (ready): from then on the pipe lives only
 * as open descriptors and vanishes with them.  destroy() removes whatever a
 * failed or interrupted run left behind.
 *
 * Copies.  Two per byte, as for a pipe: write() into the pipe's pages,
 * read() out of them.  The file name costs nothing after open().
 *
 * Waiting.  open() of a FIFO blocks until the other end is opened too (one
 * reader and one writer).  If the two processes opened the two FIFOs in
 * opposite orders each would wait for the other forever, so both open
 * "ping" first and "pong" second.  After that, blocking read()/write() as
 * for a pipe; writes of at most PIPE_BUF bytes are atomic, larger ones may
 * be split, so both sides loop (read_full/write_full).
 *
 * Protocol:
 *
 *      parent: mkdtemp(dir); mkfifo(dir/ping); mkfifo(dir/pong)
 *
 *      producer                           consumer
 *      --------                           --------
 *      open(ping, O_WRONLY) ---rendezvous--- open(ping, O_RDONLY)
 *      open(pong, O_RDONLY) ---rendezvous--- open(pong, O_WRONLY)
 *
 *      parent: unlink(ping); unlink(pong); rmdir(dir)
 *
 *      write(ping, msg) ------ping------>  read(ping, msg)
 *      read(pong, msg)  <-----pong-------  write(pong, msg)
 *      close both                          close both
 *
 * Usage: bin/fifo [--size 4K] [--mode latency] ...   (or: ipclab run fifo)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../bench/journal.h"
#include "../bench/transport.h"
#include "../bench/util.h"

struct fifo_priv {
    char dir[PATH_MAX];         /* private directory, "" once removed */
    char ping_path[PATH_MAX];   /* producer -> consumer */
    char pong_path[PATH_MAX];   /* consumer -> producer (latency only) */
    int rfd, wfd;               /* this child's ends after attach */
};

static int fifo_make(char *path, size_t pathlen, const char *dir,
                     const char *name, char *err)
{
    if ((size_t)snprintf(path, pathlen, "%s/%s", dir, name) >= pathlen)
        return err_set(err, "FIFO path too long: %s/%s", dir, name);
    if (mkfifo(path, 0600) == -1)
        return err_sys_ctx(err, "mkfifo", path);
    return 0;
}

static int fifo_create(struct tp_channel *ch, char *err)
{
    struct fifo_priv *p = calloc(1, sizeof(*p));

    if (p == NULL)
        return err_sys(err, "calloc");
    p->rfd = p->wfd = -1;
    ch->priv = p;
    if (private_dir(p->dir, sizeof(p->dir), NULL, err) == -1) {
        p->dir[0] = '\0';       /* nothing for destroy() to remove */
        return -1;
    }
    if (fifo_make(p->ping_path, sizeof(p->ping_path), p->dir, "ping",
                  err) == -1)
        return -1;
    if (ch->mode == MODE_LATENCY &&
        fifo_make(p->pong_path, sizeof(p->pong_path), p->dir, "pong",
                  err) == -1)
        return -1;
    return 0;
}

/* Open one FIFO; blocks until the peer opens the other end. */
static int fifo_open(const char *path, int flags, int *fd, char *err)
{
    do
        *fd = open(path, flags | O_CLOEXEC);
    while (*fd == -1 && errno == EINTR);
    if (*fd == -1)
        return err_sys_ctx(err, "open", path);
    return 0;
}

static int fifo_attach(struct tp_channel *ch, char *err)
{
    struct fifo_priv *p = ch->priv;
    int producer = ch->role == ROLE_PRODUCER;

    /* Same order on both sides: ping first, then pong. */
    if (fifo_open(p->ping_path, producer ? O_WRONLY : O_RDONLY,
                  producer ? &p->wfd : &p->rfd, err) == -1)
        return -1;
    if (ch->mode == MODE_LATENCY &&
        fifo_open(p->pong_path, producer ? O_RDONLY : O_WRONLY,
                  producer ? &p->rfd : &p->wfd, err) == -1)
        return -1;
    return 0;
}

/* Both children hold their ends: the names have done their job. */
static int fifo_ready(struct tp_channel *ch, char *err)
{
    struct fifo_priv *p = ch->priv;

    if (unlink(p->ping_path) == -1)
        return err_sys_ctx(err, "unlink", p->ping_path);
    if (ch->mode == MODE_LATENCY && unlink(p->pong_path) == -1)
        return err_sys_ctx(err, "unlink", p->pong_path);
    if (rmdir(p->dir) == -1)
        return err_sys_ctx(err, "rmdir", p->dir);
    journal_forget(JOURNAL_DIR, p->dir);
    p->dir[0] = '\0';
    return 0;
}

static int fifo_send(struct tp_channel *ch, const void *buf, size_t len,
                     char *err)
{
    struct fifo_priv *p = ch->priv;

    return write_full(p->wfd, buf, len, err);
}

static int fifo_recv(struct tp_channel *ch, void *buf, size_t len,
                     const void **msg, char *err)
{
    struct fifo_priv *p = ch->priv;

    *msg = buf;
    return read_full(p->rfd, buf, len, err);
}

static void fifo_detach(struct tp_channel *ch)
{
    struct fifo_priv *p = ch->priv;

    close_fd(&p->rfd);
    close_fd(&p->wfd);
}

/* Parent, always: the FIFOs and the directory, if ready() did not run.
 * The parent never opened the FIFOs, so it has no descriptor to close. */
static void fifo_destroy(struct tp_channel *ch)
{
    struct fifo_priv *p = ch->priv;

    if (p == NULL)
        return;
    if (p->dir[0] != '\0')
        private_dir_remove(p->dir);
    free(p);
    ch->priv = NULL;
}

static const struct transport fifo_transport = {
    .name = "fifo",
    .family = TP_IPC,
    .summary = "named pipes (mkfifo) opened by path in each process",
    .caps = TP_STREAM,
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(1, 1),  /* write, read */
    .create = fifo_create,
    .attach = fifo_attach,
    .ready = fifo_ready,
    .send = fifo_send,
    .recv = fifo_recv,
    .detach = fifo_detach,
    .destroy = fifo_destroy,
};
TRANSPORT_REGISTER(fifo_transport);
