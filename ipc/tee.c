/* tee.c - one producer's stream delivered to two consumers: duplicated in
 * the kernel with tee(2), or written twice.
 *
 * What it is.  Fan-out: a logger and a live reader, a primary and a
 * replica, `cmd | tee file`.  Writing the stream twice copies every byte
 * into the kernel twice.  tee(2) duplicates what a pipe holds into another
 * pipe without consuming it or copying it - the two pipes then point at the
 * same pages - and splice(2) moves it on; so the producer copies each byte
 * into the kernel once, however many readers there are:
 *
 *      tee/tee          write(stage, msg); tee(stage -> pipe A);
 *                       splice(stage -> pipe B)
 *      tee/write-twice  write(pipe A, msg); write(pipe B, msg)
 *
 * Choose tee when one stream goes to several readers through pipes (it
 * works only between pipes: a socket or a file on either end needs a splice
 * through a pipe first); writing twice is simpler and the second copy is
 * cheap for small messages.  See tee(2), splice(2), pipe(7).
 *
 * The second consumer.  The harness's consumer (A) forks the second one
 * (B) in its attach() (bench/helper.h) instead of the harness gaining a
 * third role: B reads pipe B and checks every message exactly as A does
 * (sequence number and body; --verify full compares every byte, else the
 * body's digest), and A reaps B once it has read the last message, so the
 * row is a success only if both consumers received every byte in order.
 * The row's consumer CPU, counters and MB/s are A's and B's together (A
 * reaps B; MB/s counts the stream once, delivered when both have it); B
 * starts reading when A's first recv() says so, so that its work falls
 * inside A's counters.  B runs on A's CPU (it inherits the pinning).
 *
 * Kernel objects.  Pipes A and B (and a pipe back to the producer for the
 * echo in latency mode), made in create() and grown to TEE_PIPE_BYTES
 * (F_SETPIPE_SZ) when the limits allow; the parent's copies are closed in
 * ready(), so a consumer that dies leaves a pipe without a reader (EPIPE,
 * not a hang).  tee: the producer's stage pipe, made in its attach().
 * create() first tees and splices one byte between two pipes of its own:
 * where a seccomp filter refuses either call the tee/tee row is n/a with
 * that reason.  B dies with A (PR_SET_PDEATHSIG) and is reaped by it;
 * nothing has a name.
 *
 * Copies, for one byte to reach both consumers: tee 3 (into the stage pipe
 * once, out once per consumer: tee and splice move page references);
 * write-twice 4 (into each pipe, out of each).
 *
 * Waiting.  Blocking calls: the consumers sleep in read(); the producer
 * in write, tee or splice when pipe A or B is full, so the slower consumer
 * sets the pace.  A message larger than the stage pipe goes a pipeful at a
 * time; tee may duplicate less than asked (pipe A full): exactly that much
 * is then spliced to B before the next tee.
 *
 * Protocol (throughput; latency: A also writes each message back on the
 * pipe back, and the producer reads it):
 *
 *      producer                       consumer A        consumer B (A's kid)
 *      --------                       ----------        --------------------
 *      tee:   write(stage, msg)
 *             tee(stage -> A) ------> read(A, msg)
 *             splice(stage -> B) ---------------------> read(B, msg), check
 *      twice: write(A, msg) --------> read(A, msg)
 *             write(B, msg) ---------------------------> read(B, msg), check
 *                                     last message:
 *                                     waitpid(B) <----- _exit(0)
 *
 * Usage: bin/tee [--sizes 64K,1M] [--mode latency]
 *        (or: ipclab run tee, tee/tee, tee/write-twice)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../bench/helper.h"
#include "../bench/transport.h"
#include "../bench/util.h"
#include "../bench/verify.h"

#define TEE_PIPE_BYTES (1u << 20)   /* pipes A, B and stage: asked for */

enum tee_how { TEE_TEE, TEE_TWICE };

struct tee_priv {
    int to_a[2], to_b[2];       /* producer -> consumer A, B */
    int back[2];                /* consumer A -> producer (latency) */
    int stage[2];               /* tee: the producer's own pipe */
    size_t stage_bytes;
    uint64_t received;          /* consumer A: messages read */
    struct helper second;       /* consumer B, A's child */
};

static void tee_close_pair(int fd[2])
{
    close_fd(&fd[0]);
    close_fd(&fd[1]);
}

/* A pipe of TEE_PIPE_BYTES where the limits allow, else the default;
 * its capacity in *bytes (may be NULL). */
static int tee_pipe(int fd[2], size_t *bytes, char *err)
{
    int got;

    if (pipe2(fd, O_CLOEXEC) == -1)
        return err_sys(err, "pipe2");
    /* Over fs.pipe-max-size or the user's pipe pages: keep 64 KiB. */
    if (fcntl(fd[1], F_SETPIPE_SZ, (int)TEE_PIPE_BYTES) == -1 &&
        errno != EPERM && errno != EBUSY)
        return err_sys(err, "fcntl(F_SETPIPE_SZ)");
    got = fcntl(fd[1], F_GETPIPE_SZ);
    if (got == -1)
        return err_sys(err, "fcntl(F_GETPIPE_SZ)");
    if (bytes != NULL)
        *bytes = (size_t)got;
    return 0;
}

/* ---- consumer B ---------------------------------------------------------- */

/* Read and check every message from pipe B, as the harness's consumer
 * checks its own (bench/verify.h).  Runs in A's child (helper.h). */
static int second_main(struct helper *h, void *arg, char *err)
{
    struct tp_channel *ch = arg;
    struct tee_priv *p = ch->priv;
    size_t len = ch->msg_bytes;
    struct verify_ctx v;
    char why[ERR_LEN];
    uint8_t *buf;
    int rc = -1;

    tee_close_pair(p->to_a);    /* only pipe B's read end is B's */
    tee_close_pair(p->back);
    close_fd(&p->to_b[1]);
    if (verify_init(&v, len, ch->verify_full ? VERIFY_FULL : VERIFY_SUM,
                    err) == -1)
        return -1;
    verify_prepare(&v, ch->messages);   /* before the measured interval */
    buf = aligned_alloc(64, (len + 63) / 64 * 64);
    if (buf == NULL) {
        err_sys(err, "aligned_alloc");
        goto out;
    }
    if (helper_ready(h, err) == -1 || helper_await_go(h, err) == -1)
        goto out;
    for (uint64_t i = 0; i < ch->messages; i++) {
        if (read_full(p->to_b[0], buf, len, err) == -1)
            goto out;
        if (verify_seq(&v, buf) != verify_seq_mask(&v, i)) {
            err_set(err, "message %llu arrived as number %llu",
                    (unsigned long long)i,
                    (unsigned long long)verify_seq(&v, buf));
            goto out;
        }
        if (verify_body(&v, buf, i, why) == -1) {
            err_set(err, "message %llu: %s", (unsigned long long)i, why);
            goto out;
        }
    }
    rc = 0;
out:
    free(buf);
    verify_free(&v);
    return rc;
}

/* ---- the producer and consumer A ----------------------------------------- */

/* tee: may this process tee at all?  A seccomp filter (a container) can
 * refuse the call: the row is then n/a with the reason.  0, or -1. */
static int tee_probe(struct tp_channel *ch, char *err)
{
    int a[2], b[2], e;
    ssize_t n = -1;

    if (pipe2(a, O_CLOEXEC) == -1)
        return err_sys(err, "pipe2");
    if (pipe2(b, O_CLOEXEC) == -1) {
        e = errno;
        tee_close_pair(a);
        errno = e;
        return err_sys(err, "pipe2");
    }
    if (write(a[1], "x", 1) == 1 &&
        (n = tee(a[0], b[1], 1, SPLICE_F_NONBLOCK)) == 1)
        n = splice(a[0], NULL, b[1], NULL, 1, SPLICE_F_NONBLOCK);
    e = errno;
    tee_close_pair(a);
    tee_close_pair(b);
    if (n == 1)
        return 0;
    errno = e;
    if (e == EPERM || e == ENOSYS) {
        ch->refused = TP_REFUSED_NOT_PERMITTED;
        return err_set(err, "tee(2) or splice(2) is refused here (%s): a "
                       "seccomp filter?", strerror(e));
    }
    return err_sys(err, "tee");
}

static int tee_create(struct tp_channel *ch, char *err)
{
    struct tee_priv *p = calloc(1, sizeof(*p));

    if (p == NULL)
        return err_sys(err, "calloc");
    p->to_a[0] = p->to_a[1] = p->to_b[0] = p->to_b[1] = -1;
    p->back[0] = p->back[1] = p->stage[0] = p->stage[1] = -1;
    ch->priv = p;
    if (helper_init(&p->second, err) == -1 ||
        (ch->tp->variant == TEE_TEE && tee_probe(ch, err) == -1) ||
        tee_pipe(p->to_a, NULL, err) == -1 ||
        tee_pipe(p->to_b, NULL, err) == -1)
        return -1;
    if (pipe2(p->back, O_CLOEXEC) == -1)
        return err_sys(err, "pipe2");
    return 0;
}

static int tee_attach(struct tp_channel *ch, char *err)
{
    struct tee_priv *p = ch->priv;

    if (ch->role == ROLE_CONSUMER) {
        if (helper_start(&p->second, second_main, ch, err) == -1)
            return -1;
        close_fd(&p->to_a[1]);
        tee_close_pair(p->to_b);
        close_fd(&p->back[0]);
        return 0;
    }
    close_fd(&p->to_a[0]);
    close_fd(&p->to_b[0]);
    close_fd(&p->back[1]);
    if (ch->tp->variant == TEE_TEE)
        return tee_pipe(p->stage, &p->stage_bytes, err);
    return 0;
}

/* Parent, once everyone holds its ends: its own copies go, so that a
 * consumer that dies leaves a pipe without a reader (EPIPE, not a hang). */
static int tee_ready(struct tp_channel *ch, char *err)
{
    struct tee_priv *p = ch->priv;

    (void)err;
    tee_close_pair(p->to_a);
    tee_close_pair(p->to_b);
    tee_close_pair(p->back);
    return 0;
}

/* n bytes at the head of the stage pipe: duplicated into pipe A with tee,
 * then moved into pipe B with splice, as much as tee took each time. */
static int tee_fan_out(struct tee_priv *p, size_t n, char *err)
{
    while (n > 0) {
        ssize_t t = tee(p->stage[0], p->to_a[1], n, 0);

        if (t == -1) {
            if (errno == EINTR)
                continue;
            return err_sys(err, "tee stage -> pipe A");
        }
        if (t == 0)
            return err_set(err, "tee stage -> pipe A: duplicated nothing");
        n -= (size_t)t;
        while (t > 0) {         /* exactly what A got: B gets the same */
            ssize_t m = splice(p->stage[0], NULL, p->to_b[1], NULL,
                               (size_t)t, SPLICE_F_MOVE);

            if (m == -1) {
                if (errno == EINTR)
                    continue;
                return err_sys(err, "splice stage -> pipe B");
            }
            if (m == 0)
                return err_set(err, "splice stage -> pipe B: moved nothing");
            t -= m;
        }
    }
    return 0;
}

static int tee_produce(struct tp_channel *ch, const uint8_t *buf, size_t len,
                       char *err)
{
    struct tee_priv *p = ch->priv;

    if (ch->tp->variant == TEE_TWICE)
        return write_full(p->to_a[1], buf, len, err) == -1 ||
                       write_full(p->to_b[1], buf, len, err) == -1
                   ? -1 : 0;
    while (len > 0) {           /* a stage pipeful at a time */
        size_t n = len < p->stage_bytes ? len : p->stage_bytes;

        if (write_full(p->stage[1], buf, n, err) == -1 ||
            tee_fan_out(p, n, err) == -1)
            return -1;
        buf += n;
        len -= n;
    }
    return 0;
}

/* Producer: the stream to both; consumer A (latency): the echo back.  A
 * failure is blamed on B when B failed first (its pipe closed). */
static int tee_send(struct tp_channel *ch, const void *buf, size_t len,
                    char *err)
{
    struct tee_priv *p = ch->priv;

    if (ch->role == ROLE_CONSUMER)
        return write_full(p->back[1], buf, len, err);
    if (tee_produce(ch, buf, len, err) == -1) {
        helper_failed(&p->second, "second consumer", err);
        return -1;
    }
    return 0;
}

/* Consumer A: the stream, and after the last message B's verdict;
 * producer (latency): the echo. */
static int tee_recv(struct tp_channel *ch, void *buf, size_t len,
                    const void **msg, char *err)
{
    struct tee_priv *p = ch->priv;

    *msg = buf;
    if (ch->role == ROLE_PRODUCER)
        return read_full(p->back[0], buf, len, err);
    if (helper_go(&p->second, err) == -1)
        return -1;              /* the first: B may start reading */
    if (read_full(p->to_a[0], buf, len, err) == -1) {
        helper_failed(&p->second, "second consumer", err);
        return -1;
    }
    if (++p->received == ch->messages)
        return helper_wait(&p->second, "second consumer", err);
    return 0;
}

static void tee_detach(struct tp_channel *ch)
{
    struct tee_priv *p = ch->priv;

    tee_close_pair(p->to_a);
    tee_close_pair(p->to_b);
    tee_close_pair(p->back);
    tee_close_pair(p->stage);
    helper_kill(&p->second);    /* still running: the run failed */
}

static void tee_destroy(struct tp_channel *ch)
{
    struct tee_priv *p = ch->priv;

    if (p == NULL)
        return;
    tee_detach(ch);
    helper_free(&p->second);
    free(p);
    ch->priv = NULL;
}

/* System calls per 64 KiB message: the producer writes once and tees and
 * splices once (tee), or writes twice; the consumer's side counts A's read
 * and B's, B being A's child. */
static const struct transport tee_tee = {
    .name = "tee/tee",
    .family = TP_IPC,
    .summary = "one stream to two consumers: write, tee(2), splice(2)",
    .caps = TP_STREAM,
    .variant = TEE_TEE,
    .copies = TP_COPIES(3),
    .syscalls = TP_SYSCALLS(3, 2),
    .create = tee_create,
    .attach = tee_attach,
    .ready = tee_ready,
    .send = tee_send,
    .recv = tee_recv,
    .detach = tee_detach,
    .destroy = tee_destroy,
};
TRANSPORT_REGISTER(tee_tee);

static const struct transport tee_write_twice = {
    .name = "tee/write-twice",
    .family = TP_IPC,
    .summary = "one stream to two consumers: written to two pipes",
    .caps = TP_STREAM,
    .variant = TEE_TWICE,
    .copies = TP_COPIES(4),
    .syscalls = TP_SYSCALLS(2, 2),
    .create = tee_create,
    .attach = tee_attach,
    .ready = tee_ready,
    .send = tee_send,
    .recv = tee_recv,
    .detach = tee_detach,
    .destroy = tee_destroy,
};
TRANSPORT_REGISTER(tee_write_twice);
