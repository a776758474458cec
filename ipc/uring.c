/* uring.c - io_uring: the same pipe and Unix stream socket, but each read
 * and write is a request put in a ring shared with the kernel instead of a
 * system call of its own.
 *
 * What it is.  io_uring_setup(2) maps two rings into the process: the
 * submission queue (SQ), where it writes requests ("write these n bytes
 * to fd 5"), and the completion queue (CQ), where the kernel posts each
 * result.  One io_uring_enter(2) hands the kernel every request queued
 * since the last one and may wait for completions in the same call; with
 * IORING_SETUP_SQPOLL a kernel thread polls the SQ, and submitting costs
 * no system call at all while that thread is awake.  Choose it when one
 * thread drives many descriptors and the per-call cost matters (storage,
 * proxies); between two processes it replaces read/write, not the copies.
 * liburing wraps the rings; see io_uring(7), io_uring_setup(2),
 * io_uring_enter(2).  Three transports, beside ipc/pipe.c and
 * socketpair/stream:
 *
 *      uring/pipe          IORING_OP_WRITE / IORING_OP_READ on a pipe
 *      uring/unix          IORING_OP_SEND / IORING_OP_RECV (MSG_WAITALL)
 *                          on socketpair(AF_UNIX, SOCK_STREAM)
 *      uring/unix/sqpoll   the same with IORING_SETUP_SQPOLL: a kernel
 *                          thread per ring submits
 *
 * The batch (--uring-batch N, default 1; throughput only: a round trip
 * needs each message answered before the next).  The producer gathers N
 * messages and submits them as one request of N * size bytes, and the
 * consumer asks for up to N messages' worth in one request, so a side
 * makes about one io_uring_enter per N messages.  With N = 1 the producer
 * writes straight from the harness's buffer and waits for the completion
 * before send() returns, like write(2).  With N > 1 send() returns before
 * the kernel has read the bytes, and the harness rewrites its buffer for
 * the next message: so the producer first copies each message into one of
 * two batch buffers (it fills one while the kernel drains the other) - a
 * third copy, which a real producer that builds its data there saves.  The
 * consumer hands out each message where the kernel put it (no copy).  A
 * batch is capped at 16 MiB (the row says so).  The declaration
 * (.syscalls) is for the default, N = 1: one call per message and side.
 *
 * Where io_uring is refused.  /proc/sys/kernel/io_uring_disabled (1: only
 * root or the io_uring_group, 2: nobody), a seccomp filter (Docker's
 * default profile refuses io_uring_setup), or a kernel built without it:
 * io_uring_setup fails with EPERM, EACCES or ENOSYS, and create(), which
 * tries a ring first, makes the row n/a with that sentence.  SQPOLL was
 * reserved to CAP_SYS_ADMIN before Linux 5.11: EPERM there is an n/a row
 * too (the tests simulate that with IPCLAB_TEST_URING_NO_SQPOLL set in
 * the environment).  Rings before 5.12 are charged to RLIMIT_MEMLOCK:
 * ENOMEM says so.
 *
 * Kernel objects.  One pipe or socket pair per direction (pipes) or one
 * duplex pair (sockets), made in create() and gone with their last
 * descriptor; one ring per child, made in attach() after fork (a ring is
 * shared memory: two processes must not share one) and closed in detach();
 * with SQPOLL, a kernel thread that lives as long as its ring.
 *
 * Copies.  Two per byte, as for the pipe and the socket it drives: the
 * kernel copies from the producer's buffer, then into the consumer's
 * (plus the producer's own copy into a batch buffer when N > 1).
 *
 * Waiting.  A request that cannot proceed (pipe full, nothing to read)
 * does not block the submitter: the kernel arms a poll on the descriptor
 * and retries when it is ready.  Each side sleeps in io_uring_enter
 * (IORING_ENTER_GETEVENTS) until the completion it needs is posted; with
 * N = 1 the submission and that wait are one call
 * (io_uring_submit_and_wait), data there or not.  A
 * pipe write or read may complete short; the rest is resubmitted, so only
 * one request per direction is ever in flight and the bytes stay in order.
 *
 * Protocol (latency; throughput runs the first line, N messages a request):
 *
 *      producer                              consumer
 *      --------                              --------
 *      SQE WRITE(ping, msg); enter ------->  SQE READ(ping, buf); enter
 *      wait CQE (res = len)                  wait CQE (res = len)
 *      SQE READ(pong, buf); enter <-------   SQE WRITE(pong, buf); enter
 *
 * Usage: bin/uring [--uring-batch 16] ...   (or: ipclab run uring)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../bench/transport.h"
#include "../bench/util.h"

enum uring_kind { URING_PIPE, URING_UNIX, URING_UNIX_SQPOLL };

#define URING_ENTRIES 8                 /* at most one request in flight */
#define URING_BATCH_MAX_BYTES (16u << 20)
#define URING_SQ_IDLE_MS 1000           /* the SQ thread sleeps after this */
#define URING_DISABLED_PATH "/proc/sys/kernel/io_uring_disabled"
#define URING_TEST_NO_SQPOLL "IPCLAB_TEST_URING_NO_SQPOLL"    /* tests */

static unsigned long opt_batch = 1;
static const struct tp_option batch_option = {
    "uring-batch", OPT_UINT, &opt_batch, NULL, "N",
    "io_uring: messages per request in throughput mode, 1..4096 [1]",
    .min = 1, .max = 4096, .applies = "uring/*",
};
TRANSPORT_OPTION(batch_option);

struct uring_priv {
    int ping[2];                /* pipes: producer -> consumer */
    int pong[2];                /* pipes: consumer -> producer */
    int sv[2];                  /* sockets: one duplex pair */
    int rfd, wfd;               /* this process's, after attach */
    int sock;                   /* send/recv, not write/read */
    struct io_uring ring;
    int ring_ok;
    size_t batch;               /* messages per request (1 in latency) */
    /* producer, batch > 1: two buffers of batch messages */
    unsigned char *out[2];
    int fill;                   /* the buffer send() fills */
    size_t filled;              /* messages in it */
    int in_flight;              /* out[1 - fill] still being written */
    size_t flight_off, flight_len;
    /* consumer, batch > 1: messages the kernel delivered */
    unsigned char *in;
    size_t in_msgs, in_next;    /* delivered, handed out */
    uint64_t to_receive;        /* messages still to come */
};

/* ---- what the kernel permits ------------------------------------------- */

static unsigned uring_flags(const struct transport *tp)
{
    return tp->variant == URING_UNIX_SQPOLL ? IORING_SETUP_SQPOLL : 0;
}

static int uring_init(struct io_uring *ring, unsigned flags)
{
    struct io_uring_params prm;

    memset(&prm, 0, sizeof(prm));
    prm.flags = flags;
    prm.sq_thread_idle = URING_SQ_IDLE_MS;
    return io_uring_queue_init_params(URING_ENTRIES, ring, &prm);
}

/* Try a ring as this run would make it; a refusal sets ch->refused and
 * says why in a sentence (see the header). */
static int uring_probe(struct tp_channel *ch, char *err)
{
    unsigned flags = uring_flags(ch->tp);
    unsigned long disabled = 0;
    char why[ERR_LEN];
    struct io_uring ring;
    int ret;

    /* The tests' way to see a kernel that refuses SQPOLL alone. */
    if ((flags & IORING_SETUP_SQPOLL) && getenv(URING_TEST_NO_SQPOLL))
        ret = -EPERM;
    else
        ret = uring_init(&ring, flags);
    if (ret == 0) {
        io_uring_queue_exit(&ring);
        return 0;
    }
    if (read_proc_ulong(URING_DISABLED_PATH, &disabled, why) == -1)
        disabled = 0;           /* a kernel before 6.6: no such switch */
    if (ret == -ENOMEM) {
        ch->refused = TP_REFUSED_OVER_LIMIT;
        return err_set(err, "io_uring_setup: ENOMEM: kernels before 5.12 "
                            "charge a ring to RLIMIT_MEMLOCK; raise it "
                            "(ulimit -l)");
    }
    if (ret != -EPERM && ret != -EACCES && ret != -ENOSYS) {
        errno = -ret;
        return err_sys(err, "io_uring_setup");
    }
    ch->refused = TP_REFUSED_NOT_PERMITTED;
    if (disabled != 0)
        return err_set(err, "io_uring refused (%s): %s is %lu (1: root or "
                            "io_uring_group only, 2: nobody)",
                       strerrorname_np(-ret), URING_DISABLED_PATH, disabled);
    if (flags & IORING_SETUP_SQPOLL) {
        /* a plain ring works? then it is SQPOLL that is refused */
        if (uring_init(&ring, 0) == 0) {
            io_uring_queue_exit(&ring);
            return err_set(err, "IORING_SETUP_SQPOLL refused (%s): kernels "
                                "before 5.11 reserve it to CAP_SYS_ADMIN",
                           strerrorname_np(-ret));
        }
    }
    return err_set(err, "io_uring refused (%s): a seccomp filter (e.g. a "
                        "container's default profile) or a kernel without "
                        "CONFIG_IO_URING", strerrorname_np(-ret));
}

static int uring_check_size(const struct transport *tp, enum tp_mode mode,
                            size_t msg_bytes, char *err)
{
    (void)tp;
    (void)mode;
    (void)msg_bytes;
    if (opt_batch < 1 || opt_batch > 4096)
        return err_set(err, "--uring-batch %lu: from 1 to 4096 messages",
                       opt_batch);
    return 0;
}

/* ---- set-up ------------------------------------------------------------ */

static int uring_create(struct tp_channel *ch, char *err)
{
    struct uring_priv *p = calloc(1, sizeof(*p));
    size_t cap;

    if (p == NULL)
        return err_sys(err, "calloc");
    p->ping[0] = p->ping[1] = p->pong[0] = p->pong[1] = -1;
    p->sv[0] = p->sv[1] = p->rfd = p->wfd = -1;
    p->sock = ch->tp->variant != URING_PIPE;
    ch->priv = p;
    if (uring_probe(ch, err) == -1)
        return -1;
    p->batch = 1;
    ch->facts.wait = "io_uring";    /* a waiting side sleeps in
                                       io_uring_enter */
    ch->facts.records_per_msg = 1;
    if (ch->mode == MODE_THROUGHPUT && opt_batch > 1) {
        cap = URING_BATCH_MAX_BYTES / ch->msg_bytes;
        p->batch = opt_batch < cap ? opt_batch : (cap > 0 ? cap : 1);
        snprintf(ch->note, NOTE_LEN, "%zu messages per request%s", p->batch,
                 p->batch < opt_batch ? " (16 MiB cap)" : "");
    }
    if (ch->tp->variant == URING_PIPE) {
        if (pipe2(p->ping, O_CLOEXEC) == -1)
            return err_sys(err, "pipe2");
        if (ch->mode == MODE_LATENCY && pipe2(p->pong, O_CLOEXEC) == -1)
            return err_sys(err, "pipe2");
    } else if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p->sv) ==
               -1) {
        return err_sys(err, "socketpair");
    }
    return 0;
}

static void *uring_map(size_t len)
{
    void *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

    return m == MAP_FAILED ? NULL : m;
}

static int uring_attach(struct tp_channel *ch, char *err)
{
    struct uring_priv *p = ch->priv;
    size_t area = p->batch * ch->msg_bytes;
    int ret;

    if (ch->tp->variant == URING_PIPE) {
        if (ch->role == ROLE_PRODUCER) {
            p->wfd = p->ping[1];
            p->rfd = p->pong[0];
            close_fd(&p->ping[0]);      /* EOF reaches us if it dies */
            close_fd(&p->pong[1]);
        } else {
            p->rfd = p->ping[0];
            p->wfd = p->pong[1];
            close_fd(&p->ping[1]);
            close_fd(&p->pong[0]);
        }
        p->ping[0] = p->ping[1] = p->pong[0] = p->pong[1] = -1;
    } else {
        int mine = ch->role == ROLE_PRODUCER ? 0 : 1;

        p->rfd = p->wfd = p->sv[mine];
        p->sv[mine] = -1;
        close_fd(&p->sv[1 - mine]);
    }
    ret = uring_init(&p->ring, uring_flags(ch->tp));
    if (ret < 0) {
        errno = -ret;
        return err_sys(err, "io_uring_queue_init");
    }
    p->ring_ok = 1;
    p->to_receive = ch->messages;
    if (p->batch == 1)
        return 0;
    if (ch->role == ROLE_PRODUCER) {
        p->out[0] = uring_map(area);
        p->out[1] = uring_map(area);
        if (p->out[0] == NULL || p->out[1] == NULL)
            return err_sys(err, "mmap");
    } else if ((p->in = uring_map(area)) == NULL) {
        return err_sys(err, "mmap");
    }
    return 0;
}

/* ---- one request at a time --------------------------------------------- */

/* Put one read or write in the submission queue (no system call). */
static int uring_prep(struct uring_priv *p, int write, void *buf,
                      size_t len, char *err)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&p->ring);

    if (sqe == NULL)
        return err_set(err, "io_uring_get_sqe: submission queue full");
    if (p->sock) {
        if (write)
            io_uring_prep_send(sqe, p->wfd, buf, len, MSG_WAITALL);
        else
            io_uring_prep_recv(sqe, p->rfd, buf, len, MSG_WAITALL);
    } else if (write) {
        io_uring_prep_write(sqe, p->wfd, buf, (unsigned)len, (__u64)-1);
    } else {
        io_uring_prep_read(sqe, p->rfd, buf, (unsigned)len, (__u64)-1);
    }
    return 0;
}

/* Submit it and go on (the batching producer fills its other buffer). */
static int uring_submit(struct uring_priv *p, int write, void *buf,
                        size_t len, char *err)
{
    int ret;

    if (uring_prep(p, write, buf, len, err) == -1)
        return -1;
    do                          /* SQPOLL: no system call unless asleep */
        ret = io_uring_submit(&p->ring);
    while (ret == -EINTR);
    if (ret < 0) {
        errno = -ret;
        return err_sys(err, "io_uring_enter");
    }
    return 0;
}

/* Submit it and sleep until it completes: one io_uring_enter, whether or
 * not the data is there yet (submit, then wait, would be two when not). */
static int uring_submit_wait(struct uring_priv *p, int write, void *buf,
                             size_t len, char *err)
{
    int ret;

    if (uring_prep(p, write, buf, len, err) == -1)
        return -1;
    do
        ret = io_uring_submit_and_wait(&p->ring, 1);
    while (ret == -EINTR);
    if (ret < 0) {
        errno = -ret;
        return err_sys(err, "io_uring_enter");
    }
    return 0;
}

/* Wait for the one request in flight: its result, bytes moved (> 0). */
static int uring_reap(struct uring_priv *p, const char *what, size_t *moved,
                      char *err)
{
    struct io_uring_cqe *cqe;
    int ret, res;

    do
        ret = io_uring_wait_cqe(&p->ring, &cqe);
    while (ret == -EINTR);
    if (ret < 0) {
        errno = -ret;
        return err_sys(err, "io_uring_enter (wait)");
    }
    res = cqe->res;
    io_uring_cqe_seen(&p->ring, cqe);
    if (res < 0) {
        errno = -res;
        return err_sys(err, what);
    }
    if (res == 0)
        return err_set(err, "%s: the other side closed (0 bytes)", what);
    *moved = (size_t)res;
    return 0;
}

/* Move len bytes whole: resubmit the rest after a short completion. */
static int uring_move(struct uring_priv *p, int write, void *buf, size_t len,
                      char *err)
{
    const char *what = write ? "io_uring write" : "io_uring read";
    size_t off = 0, n;

    while (off < len) {
        if (uring_submit_wait(p, write, (char *)buf + off, len - off,
                              err) == -1 ||
            uring_reap(p, what, &n, err) == -1)
            return -1;
        off += n;
    }
    return 0;
}

/* ---- producer ---------------------------------------------------------- */

/* Wait until the buffer in flight is written whole. */
static int uring_drain(struct uring_priv *p, char *err)
{
    size_t n;

    while (p->in_flight) {
        if (uring_reap(p, "io_uring write", &n, err) == -1)
            return -1;
        p->flight_off += n;
        if (p->flight_off == p->flight_len) {
            p->in_flight = 0;
            break;
        }
        if (uring_submit(p, 1, p->out[1 - p->fill] + p->flight_off,
                         p->flight_len - p->flight_off, err) == -1)
            return -1;
    }
    return 0;
}

/* Submit the filled buffer; go on filling the other one. */
static int uring_flush(struct uring_priv *p, size_t msg_bytes, char *err)
{
    if (p->filled == 0)
        return 0;
    if (uring_drain(p, err) == -1)
        return -1;
    p->flight_off = 0;
    p->flight_len = p->filled * msg_bytes;
    if (uring_submit(p, 1, p->out[p->fill], p->flight_len, err) == -1)
        return -1;
    p->in_flight = 1;
    p->fill = 1 - p->fill;
    p->filled = 0;
    return 0;
}

static int uring_send(struct tp_channel *ch, const void *buf, size_t len,
                      char *err)
{
    struct uring_priv *p = ch->priv;

    if (p->batch == 1)          /* the kernel reads buf before we return */
        return uring_move(p, 1, (void *)buf, len, err);
    memcpy(p->out[p->fill] + p->filled * len, buf, len);
    if (++p->filled < p->batch)
        return 0;
    return uring_flush(p, len, err);
}

static int uring_finish(struct tp_channel *ch, char *err)
{
    struct uring_priv *p = ch->priv;

    if (p->batch == 1)
        return 0;
    if (uring_flush(p, ch->msg_bytes, err) == -1)
        return -1;
    return uring_drain(p, err);
}

/* ---- consumer ---------------------------------------------------------- */

static int uring_recv(struct tp_channel *ch, void *buf, size_t len,
                      const void **msg, char *err)
{
    struct uring_priv *p = ch->priv;
    size_t want;

    if (p->batch == 1) {
        *msg = buf;
        return uring_move(p, 0, buf, len, err);
    }
    if (p->in_next == p->in_msgs) {     /* ask for the next batch */
        want = p->to_receive < p->batch ? (size_t)p->to_receive : p->batch;
        if (want == 0)
            return err_set(err, "io_uring: more messages than announced");
        if (uring_move(p, 0, p->in, want * len, err) == -1)
            return -1;
        p->in_msgs = want;
        p->in_next = 0;
        p->to_receive -= want;
    }
    *msg = p->in + p->in_next++ * len;  /* where the kernel put it */
    return 0;
}

/* ---- tear-down --------------------------------------------------------- */

static void uring_detach(struct tp_channel *ch)
{
    struct uring_priv *p = ch->priv;
    size_t area = p->batch * ch->msg_bytes;

    if (p->ring_ok)             /* also stops the SQ thread */
        io_uring_queue_exit(&p->ring);
    p->ring_ok = 0;
    if (p->rfd == p->wfd)
        p->wfd = -1;            /* one socket, closed once */
    close_fd(&p->rfd);
    close_fd(&p->wfd);
    for (int i = 0; i < 2; i++)
        if (p->out[i] != NULL)
            (void)munmap(p->out[i], area);
    if (p->in != NULL)
        (void)munmap(p->in, area);
    p->out[0] = p->out[1] = p->in = NULL;
}

static void uring_destroy(struct tp_channel *ch)
{
    struct uring_priv *p = ch->priv;

    if (p == NULL)
        return;
    close_fd(&p->ping[0]);
    close_fd(&p->ping[1]);
    close_fd(&p->pong[0]);
    close_fd(&p->pong[1]);
    close_fd(&p->sv[0]);
    close_fd(&p->sv[1]);
    free(p);
    ch->priv = NULL;
}

/* One io_uring_enter per message and side at the default --uring-batch 1
 * (a pipe's short completions add a few); about 1/N with N > 1.  SQPOLL:
 * the kernel thread submits, so no call is needed to submit - but send()
 * and recv() wait for their own completion, which the SQ thread has
 * rarely posted yet: a side still enters once a message, to sleep.  That
 * call is declared (measured: 1.00 a message and side at 64 KiB, one
 * CPU), since it is there whenever the SQ thread is slower than a
 * return to user space. */
static const struct transport uring_pipe = {
    .name = "uring/pipe", .family = TP_IPC,
    .summary = "pipe driven through io_uring (liburing)",
    .caps = TP_STREAM, .variant = URING_PIPE,
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(1, 1),
    .check_size = uring_check_size, .create = uring_create,
    .attach = uring_attach, .send = uring_send, .recv = uring_recv,
    .finish = uring_finish, .detach = uring_detach,
    .destroy = uring_destroy,
};
TRANSPORT_REGISTER(uring_pipe);

static const struct transport uring_unix = {
    .name = "uring/unix", .family = TP_IPC,
    .summary = "Unix stream socket driven through io_uring (liburing)",
    .caps = TP_STREAM | TP_DUPLEX, .variant = URING_UNIX,
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(1, 1),
    .check_size = uring_check_size, .create = uring_create,
    .attach = uring_attach, .send = uring_send, .recv = uring_recv,
    .finish = uring_finish, .detach = uring_detach,
    .destroy = uring_destroy,
};
TRANSPORT_REGISTER(uring_unix);

static const struct transport uring_unix_sqpoll = {
    .name = "uring/unix/sqpoll", .family = TP_IPC,
    .summary = "io_uring Unix stream socket, IORING_SETUP_SQPOLL",
    .caps = TP_STREAM | TP_DUPLEX, .variant = URING_UNIX_SQPOLL,
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(1, 1),
    .check_size = uring_check_size, .create = uring_create,
    .attach = uring_attach, .send = uring_send, .recv = uring_recv,
    .finish = uring_finish, .detach = uring_detach,
    .destroy = uring_destroy,
};
TRANSPORT_REGISTER(uring_unix_sqpoll);
