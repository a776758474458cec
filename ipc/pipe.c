/* pipe.c - anonymous pipes: the oldest and simplest Unix IPC.
 *
 * What it is.  pipe(2) returns two descriptors, a read end and a write end,
 * of one kernel buffer.  Only related processes can share it: the
 * descriptors pass from parent to child through fork.  A pipe is one-way,
 * so a round trip needs two of them.  Choose it when a parent talks to its
 * children and a byte stream is all you need; see pipe(7).
 *
 * Kernel objects.  A pipe is a ring of page-sized buffers (16 pages, 64 KiB,
 * by default; F_SETPIPE_SZ changes it) owned by an inode in the pipefs
 * pseudo file system.  It has no name: it disappears when the last
 * descriptor on it is closed, so a crashed process cannot leak it.
 *
 * Copies.  Two per byte: write() copies from the producer's buffer into the
 * pipe's pages, read() copies from those pages into the consumer's buffer.
 * (ipc/vmsplice.c removes the first one.)
 *
 * Waiting.  Blocking I/O does all the synchronisation: read() sleeps while
 * the pipe is empty, write() sleeps while it is full, and each wakes the
 * other.  A write of at most PIPE_BUF (4096) bytes is atomic; a larger one
 * may be split, and read() may return less than asked, so both sides loop
 * (read_full/write_full).  Closing the write end gives the reader EOF.
 *
 * Protocol (latency mode; in throughput mode only the first pipe is used):
 *
 *      producer                           consumer
 *      --------                           --------
 *      close(ping[0]); close(pong[1])     close(ping[1]); close(pong[0])
 *      write(ping[1], msg) ----ping---->  read(ping[0], msg)
 *      read(pong[0], msg)  <---pong-----  write(pong[1], msg)
 *      close what is left                 close what is left
 *
 * Usage: bin/pipe [--size 4K] [--mode latency] ...   (or: ipclab run pipe)
 */
#include <stdlib.h>
#include <unistd.h>

#include "../bench/transport.h"
#include "../bench/util.h"

struct pipe_priv {
    int ping[2];                /* producer -> consumer */
    int pong[2];                /* consumer -> producer */
    int rfd, wfd;               /* this process's ends after attach */
};

static int pipe_create(struct tp_channel *ch, char *err)
{
    struct pipe_priv *p = calloc(1, sizeof(*p));

    if (p == NULL)
        return err_sys(err, "calloc");
    p->ping[0] = p->ping[1] = p->pong[0] = p->pong[1] = -1;
    p->rfd = p->wfd = -1;
    ch->priv = p;
    if (pipe(p->ping) == -1)
        return err_sys(err, "pipe");
    if (ch->mode == MODE_LATENCY && pipe(p->pong) == -1)
        return err_sys(err, "pipe");
    return 0;
}

static int pipe_attach(struct tp_channel *ch, char *err)
{
    struct pipe_priv *p = ch->priv;

    (void)err;
    if (ch->role == ROLE_PRODUCER) {
        p->wfd = p->ping[1];
        p->rfd = p->pong[0];
        close_fd(&p->ping[0]);  /* only the consumer reads pings ... */
        close_fd(&p->pong[1]);  /* ... so EOF reaches us if it dies */
    } else {
        p->rfd = p->ping[0];
        p->wfd = p->pong[1];
        close_fd(&p->ping[1]);
        close_fd(&p->pong[0]);
    }
    return 0;
}

static int pipe_send(struct tp_channel *ch, const void *buf, size_t len,
                     char *err)
{
    struct pipe_priv *p = ch->priv;

    return write_full(p->wfd, buf, len, err);
}

static int pipe_recv(struct tp_channel *ch, void *buf, size_t len,
                     const void **msg, char *err)
{
    struct pipe_priv *p = ch->priv;

    *msg = buf;
    return read_full(p->rfd, buf, len, err);
}

static void pipe_detach(struct tp_channel *ch)
{
    struct pipe_priv *p = ch->priv;

    close_fd(&p->rfd);          /* rfd/wfd alias ping/pong ends */
    close_fd(&p->wfd);
}

/* Parent: close its copies of all four ends; the pipes vanish with the
 * last descriptor, so there is nothing else to remove. */
static void pipe_destroy(struct tp_channel *ch)
{
    struct pipe_priv *p = ch->priv;

    if (p == NULL)
        return;
    close_fd(&p->ping[0]);
    close_fd(&p->ping[1]);
    close_fd(&p->pong[0]);
    close_fd(&p->pong[1]);
    free(p);
    ch->priv = NULL;
}

static const struct transport pipe_transport = {
    .name = "pipe",
    .family = TP_IPC,
    .summary = "anonymous pipe(2), one per direction; byte stream",
    .caps = TP_STREAM,
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(1, 1),  /* write, read */
    .create = pipe_create,
    .attach = pipe_attach,
    .send = pipe_send,
    .recv = pipe_recv,
    .detach = pipe_detach,
    .destroy = pipe_destroy,
};
TRANSPORT_REGISTER(pipe_transport);
