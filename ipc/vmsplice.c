/* vmsplice.c - the zero-copy pipe: hand pages to a pipe instead of copying.
 *
 * What it is.  vmsplice(2) with a pipe's write end puts references to the
 * caller's own pages into the pipe's slots; no byte is copied.  The reader
 * uses plain read(2), which copies straight from the producer's pages into
 * its buffer.  Choose it when one process produces large buffers that
 * another (or splice(2) to a socket or file) consumes, and the producer can
 * leave a buffer alone until it has been consumed; see vmsplice(2),
 * splice(2), pipe(7).  Compare with ipc/pipe.c, the same channel with
 * write(2).
 *
 * Which copy disappears.  A pipe write() takes a fresh page for each slot
 * it fills (from the page allocator, or the one spare page a pipe keeps)
 * and copies the bytes into it (copy 1); read() copies them out (copy 2)
 * and frees the page.  vmsplice() only takes a reference on each of the
 * caller's pages (get_user_pages) and queues it: copy 1 disappears, and
 * the page allocation with it.  Copy 2 remains: read() must copy into the
 * consumer's buffer (only splice() from the pipe into a file or socket
 * could avoid it).
 *
 * The price: the pages are lent, not given.  After vmsplice() returns the
 * pipe still refers to the producer's memory; writing into it before the
 * consumer has read it changes what the consumer reads.  (SPLICE_F_GIFT
 * does not help: it only lets splice() to a file steal the page; read()
 * still copies, and the page must still not be touched.)  This transport
 * guarantees it with arithmetic instead of acknowledgements:
 *   - each message goes into its own slot of a page-aligned ring of R
 *     buffers (mmap), so it occupies exactly P = ceil(len / page) pipe
 *     slots;
 *   - the pipe holds at most S = F_GETPIPE_SZ / page slots, in order;
 *   - R = 1 + ceil(S / P).  When the producer is about to refill the
 *     buffer of message k - R, the R - 1 messages since then, (R-1)*P >= S
 *     pages, have all entered the pipe; the pipe is a FIFO of at most S
 *     pages, so every page of message k - R has left it, and a slot is only
 *     freed once read() has finished copying out of it.
 * The harness's message lives in its own buffer, which it rewrites for the
 * next message, so send() must first copy the message into the ring: in
 * this harness the copy the kernel no longer makes is made in user space
 * instead, into pages that stay mapped and hot instead of freshly
 * allocated ones.  A real producer that builds its data in the ring (the
 * case vmsplice is for) saves the copy outright.  See the README for what
 * the figures show.
 *
 * Kernel objects.  One pipe per direction, as for ipc/pipe.c; they vanish
 * with the last descriptor.  The ring is the producer's private memory;
 * the pipe holds page references, so pages still queued when the producer
 * unmaps the ring and exits stay valid for the reader.
 *
 * Waiting.  As for a pipe: vmsplice() sleeps while the pipe is full and
 * may queue only part of the buffer (the slots that were free), so send()
 * loops; read() sleeps while it is empty.
 *
 * Protocol (latency mode adds a pong pipe, spliced the same way):
 *
 *      producer                              consumer
 *      --------                              --------
 *      memcpy(ring[k % R], msg)
 *      vmsplice(ping[1], ring[k % R]) ---->  read(ping[0], msg)
 *      read(pong[0], msg)  <--------------  vmsplice(pong[1], ring[..])
 *
 * Usage: bin/vmsplice [--size 1M] ...   (or: ipclab run pipe vmsplice)
 */
#define _GNU_SOURCE             /* vmsplice, F_GETPIPE_SZ */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../bench/transport.h"
#include "../bench/util.h"

struct vms_priv {
    int ping[2];                /* producer -> consumer */
    int pong[2];                /* consumer -> producer */
    int rfd, wfd;               /* this process's ends after attach */
    unsigned char *ring;        /* nbufs buffers of stride bytes (mmap) */
    size_t stride;              /* message rounded up to whole pages */
    size_t nbufs;               /* R in the header */
    size_t next;                /* the buffer the next message goes to */
};

static int vms_create(struct tp_channel *ch, char *err)
{
    struct vms_priv *p = calloc(1, sizeof(*p));
    int pipe_bytes;

    if (p == NULL)
        return err_sys(err, "calloc");
    p->ping[0] = p->ping[1] = p->pong[0] = p->pong[1] = -1;
    p->rfd = p->wfd = -1;
    ch->priv = p;
    if (pipe2(p->ping, O_CLOEXEC) == -1)
        return err_sys(err, "pipe2");
    if (ch->mode == MODE_LATENCY && pipe2(p->pong, O_CLOEXEC) == -1)
        return err_sys(err, "pipe2");
    pipe_bytes = fcntl(p->ping[1], F_GETPIPE_SZ);
    if (pipe_bytes == -1)
        return err_sys(err, "fcntl F_GETPIPE_SZ");
    snprintf(ch->note, sizeof(ch->note), "pipe %d bytes", pipe_bytes);
    return 0;
}

/* Map the ring: enough page-aligned buffers that the pipe cannot still
 * hold the oldest one when it is reused (see the header). */
static int vms_ring_map(struct vms_priv *p, size_t msg_bytes, char *err)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t msg_pages = (msg_bytes + page - 1) / page;
    int pipe_bytes = fcntl(p->wfd, F_GETPIPE_SZ);
    size_t pipe_slots;

    if (pipe_bytes == -1)
        return err_sys(err, "fcntl F_GETPIPE_SZ");
    pipe_slots = (size_t)pipe_bytes / page;
    p->stride = msg_pages * page;
    p->nbufs = 1 + (pipe_slots + msg_pages - 1) / msg_pages;
    p->ring = mmap(NULL, p->nbufs * p->stride, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p->ring == MAP_FAILED) {
        p->ring = NULL;
        return err_sys(err, "mmap");
    }
    return 0;
}

static int vms_attach(struct tp_channel *ch, char *err)
{
    struct vms_priv *p = ch->priv;

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
    if (p->wfd == -1)           /* throughput consumer: never sends */
        return 0;
    return vms_ring_map(p, ch->msg_bytes, err);
}

/* Copy the message into the next ring buffer, then lend its pages. */
static int vms_send(struct tp_channel *ch, const void *buf, size_t len,
                    char *err)
{
    struct vms_priv *p = ch->priv;
    struct iovec iov;
    ssize_t n;

    iov.iov_base = p->ring + p->next * p->stride;
    iov.iov_len = len;
    p->next = (p->next + 1) % p->nbufs;
    memcpy(iov.iov_base, buf, len);
    while (iov.iov_len > 0) {   /* may queue only the free slots' worth */
        n = vmsplice(p->wfd, &iov, 1, 0);
        if (n == -1) {
            if (errno == EINTR)
                continue;
            return err_sys(err, "vmsplice");
        }
        iov.iov_base = (unsigned char *)iov.iov_base + n;
        iov.iov_len -= (size_t)n;
    }
    return 0;
}

static int vms_recv(struct tp_channel *ch, void *buf, size_t len,
                    const void **msg, char *err)
{
    struct vms_priv *p = ch->priv;

    *msg = buf;
    return read_full(p->rfd, buf, len, err);
}

static void vms_detach(struct tp_channel *ch)
{
    struct vms_priv *p = ch->priv;

    close_fd(&p->rfd);          /* rfd/wfd alias ping/pong ends */
    close_fd(&p->wfd);
    if (p->ring != NULL)        /* queued pages keep their own references */
        (void)munmap(p->ring, p->nbufs * p->stride);
    p->ring = NULL;
}

static void vms_destroy(struct tp_channel *ch)
{
    struct vms_priv *p = ch->priv;

    if (p == NULL)
        return;
    close_fd(&p->ping[0]);
    close_fd(&p->ping[1]);
    close_fd(&p->pong[0]);
    close_fd(&p->pong[1]);
    free(p);
    ch->priv = NULL;
}

static const struct transport vmsplice_transport = {
    .name = "vmsplice",
    .family = TP_IPC,
    .summary = "pipe fed with vmsplice(2): pages lent, not copied in",
    .caps = TP_STREAM,
    /* vmsplice, read */
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(1, 1),
    .create = vms_create,
    .attach = vms_attach,
    .send = vms_send,
    .recv = vms_recv,
    .detach = vms_detach,
    .destroy = vms_destroy,
};
TRANSPORT_REGISTER(vmsplice_transport);
