/* eventfd.c - eventfd(2) as a doorbell between two processes: the latency
 * of a bare event, beside the signal rows (signals/signal_pingpong.c).
 *
 * What it is.  An eventfd is a 64-bit counter behind a file descriptor:
 * write(2) adds 8 bytes' worth of value to it and wakes a reader; read(2)
 * returns the counter and resets it to 0, sleeping while it is 0.  It
 * carries no data beyond that number, and it is the cheapest object that
 * is pollable: it sits in poll/epoll/io_uring next to sockets, which a
 * futex cannot.  Choose it to wake a thread or process that waits in an
 * event loop (the "work is queued in shared memory" doorbell of KVM's
 * ioeventfd, vhost, io_uring's completion notification).  Two transports,
 * one per way of waiting:
 *
 *      eventfd/block  read() sleeps on the eventfd
 *      eventfd/poll   poll() sleeps on it, then a non-blocking read(): the
 *                     shape of an event loop, one more syscall per event
 *
 * Copies.  The message is the harness's 4-byte sequence number (transport.h,
 * TP_NO_SIZE), sent as the counter's value (plus one: 0 is no event):
 * write() copies it into the counter, read() out of it.  So what recv()
 * hands back did cross the kernel, and the harness checks every one in
 * order.  Throughput does not apply: two writes before a read add up.
 *
 * Kernel objects.  Two eventfds (ping, pong) made in create() and
 * inherited through fork; they vanish with their last descriptor.
 *
 * Waiting.  Each side sleeps in read() (or poll()) until the peer's write()
 * wakes it; against --wait futex on shared memory (ipc/shm_ring.c) the
 * cost is a file descriptor lookup and the eventfd's own wait queue and
 * lock: a little more per event, in exchange for being pollable.
 *
 * Protocol (latency only):
 *
 *      producer                              consumer
 *      --------                              --------
 *      write(ping, seq + 1) ---------------> read(ping) -> seq + 1
 *      read(pong) -> seq + 1 <-------------- write(pong, seq + 1)
 *
 * See eventfd(2), poll(2).
 *
 * Usage: bin/eventfd [--mode latency]   (or: ipclab run eventfd)
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../bench/transport.h"
#include "../bench/util.h"

enum efd_wait { EFD_BLOCK, EFD_POLL };

struct efd_priv {
    int ping, pong;             /* producer -> consumer, and back */
    int in, out;                /* this process's, after attach */
};

static int efd_check_size(const struct transport *tp, enum tp_mode mode,
                          size_t msg_bytes, char *err)
{
    (void)tp;
    (void)mode;
    if (msg_bytes != sizeof(uint32_t))
        return err_set(err, "an eventfd event carries one counter value "
                            "(the 4-byte sequence number), not a %zu-byte "
                            "message", msg_bytes);
    return 0;
}

static int efd_create(struct tp_channel *ch, char *err)
{
    struct efd_priv *p = calloc(1, sizeof(*p));
    int flags = EFD_CLOEXEC;

    if (p == NULL)
        return err_sys(err, "calloc");
    p->ping = p->pong = p->in = p->out = -1;
    ch->priv = p;
    if (ch->tp->variant == EFD_POLL)
        flags |= EFD_NONBLOCK;  /* poll() waits, read() only takes */
    p->ping = eventfd(0, flags);
    if (p->ping == -1)
        return err_sys(err, "eventfd");
    p->pong = eventfd(0, flags);
    if (p->pong == -1)
        return err_sys(err, "eventfd");
    return 0;
}

static int efd_attach(struct tp_channel *ch, char *err)
{
    struct efd_priv *p = ch->priv;

    (void)err;
    if (ch->role == ROLE_PRODUCER) {
        p->out = p->ping;
        p->in = p->pong;
    } else {
        p->out = p->pong;
        p->in = p->ping;
    }
    p->ping = p->pong = -1;     /* owned as in/out now */
    return 0;
}

static int efd_send(struct tp_channel *ch, const void *buf, size_t len,
                    char *err)
{
    struct efd_priv *p = ch->priv;
    uint32_t seq;
    uint64_t v;

    memcpy(&seq, buf, len);
    v = (uint64_t)seq + 1;      /* a zero write would wake nobody */
    return write_full(p->out, &v, sizeof(v), err);
}

static int efd_recv(struct tp_channel *ch, void *buf, size_t len,
                    const void **msg, char *err)
{
    struct efd_priv *p = ch->priv;
    uint64_t v;
    uint32_t seq;
    ssize_t n;

    for (;;) {
        if (ch->tp->variant == EFD_POLL) {
            struct pollfd pfd = { p->in, POLLIN, 0 };

            if (poll(&pfd, 1, -1) == -1) {
                if (errno == EINTR)
                    continue;
                return err_sys(err, "poll");
            }
        }
        n = read(p->in, &v, sizeof(v));     /* 8 bytes or nothing */
        if (n == (ssize_t)sizeof(v))
            break;
        if (n == -1 && (errno == EINTR || errno == EAGAIN))
            continue;
        return err_sys(err, "read eventfd");
    }
    if (v == 0 || v - 1 > UINT32_MAX)
        return err_set(err, "eventfd counter %llu: two events added up",
                       (unsigned long long)v);
    seq = (uint32_t)(v - 1);
    memcpy(buf, &seq, len);
    *msg = buf;
    return 0;
}

static void efd_detach(struct tp_channel *ch)
{
    struct efd_priv *p = ch->priv;

    close_fd(&p->in);
    close_fd(&p->out);
}

static void efd_destroy(struct tp_channel *ch)
{
    struct efd_priv *p = ch->priv;

    if (p == NULL)
        return;
    close_fd(&p->ping);
    close_fd(&p->pong);
    close_fd(&p->in);
    close_fd(&p->out);
    free(p);
    ch->priv = NULL;
}

#define EFD_TRANSPORT(var, tpname, v, text)                                \
    static const struct transport var = {                                  \
        .name = tpname,                                                    \
        .family = TP_IPC,                                                  \
        .summary = text,                                                   \
        .caps = TP_NO_SIZE | TP_NO_THROUGHPUT,                             \
        .variant = v,                                                      \
        .copies = TP_COPIES(2),                                            \
        .syscalls = TP_SYSCALLS(1, (v) == EFD_POLL ? 2 : 1),  /* +poll */   \
        .check_size = efd_check_size,                                      \
        .create = efd_create,                                              \
        .attach = efd_attach,                                              \
        .send = efd_send,                                                  \
        .recv = efd_recv,                                                  \
        .detach = efd_detach,                                              \
        .destroy = efd_destroy,                                            \
    };                                                                     \
    TRANSPORT_REGISTER(var)

EFD_TRANSPORT(efd_block, "eventfd/block", EFD_BLOCK,
              "eventfd(2) round trip: the counter's value, read() sleeps");
EFD_TRANSPORT(efd_poll, "eventfd/poll", EFD_POLL,
              "eventfd(2) round trip: poll() sleeps, then a read()");
