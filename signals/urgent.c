/* urgent.c - the lesson of TCP urgent data: send(MSG_OOB), SIGURG and
 * sockatmark, against an ordinary byte that waits behind queued data.
 *
 * What it shows.  A TCP sender can flag one byte as urgent: send(fd, &b,
 * 1, MSG_OOB).  The receiver's kernel raises SIGURG in the socket's owner
 * (F_SETOWN) as soon as the urgent pointer arrives, and recv(MSG_OOB)
 * fetches that byte ahead of everything still queued; sockatmark() then
 * tells the reader when its in-band reads have reached the place the
 * urgent byte was sent (telnet's "interrupt process", ftp's ABOR).  Two
 * rows, each round trip sending 32 KiB of in-band data and then a 1-byte
 * ping the consumer answers with one byte:
 *   urgent/oob      the ping is urgent: the consumer is woken by SIGURG
 *                   (handler + sigsuspend), reads it with MSG_OOB, answers
 *                   at once, and only then reads the in-band data up
 *                   to the mark, until sockatmark() is 1
 *   urgent/inband   the ping is the 32 KiB + 1st byte: the consumer must
 *                   read through everything ahead of it first
 * The difference of the two p50s is what jumping the queue saved - or
 * cost: on loopback reading 32 KiB takes microseconds, less than a
 * signal's delivery and the extra calls, so urgent/oob is usually the
 * slower row here.  Across a slow network with a full window the in-band
 * byte would wait for the whole window to drain, and the urgent pointer
 * would not.  Why OOB is rarely
 * the right tool: there is exactly one urgent byte (a second one sent
 * before the first is read replaces it, and the first becomes in-band
 * data); middleboxes strip or mishandle the urgent flag (RFC 6093 asks new
 * applications not to use it); the signal needs an owner and a handler;
 * and a separate control connection or a framed message does the job with
 * ordinary reads.  Latency rows, at most 1000 round trips per run.
 *
 * Kernel objects.  As net/tcp.c: a listener on 127.0.0.1 port 0 (read
 * back), one connection, TCP_NODELAY on both sides (so that Nagle does not
 * hold the 1-byte segments, see net/nagle.c); closing ends everything.
 *
 * Copies.  2 per byte each way, as any socket.
 *
 * Waiting.  The consumer's SIGURG is blocked except inside sigsuspend(),
 * so an urgent byte that arrives before the wait is not missed; if the
 * signal comes before the byte itself is queued, poll(POLLPRI) waits for
 * it.  Everything else is blocking reads.
 *
 * Protocol (urgent/oob, one round trip):
 *
 *      producer (client)                    consumer (server, F_SETOWN)
 *      -----------------                    ---------------------------
 *      write(32 KiB)    ------------------> (queued, not read yet)
 *      send(1, MSG_OOB) ---- urgent ptr --> SIGURG -> handler: flag
 *                                           sigsuspend returns
 *                                           recv(MSG_OOB): the ping
 *      read(1)          <---- reply ------  write(1)
 *                                           read until sockatmark() == 1
 *
 * See tcp(7) ("Out-of-band data"), sockatmark(3), fcntl(2) (F_SETOWN),
 * socket(7) (SIGURG, SO_OOBINLINE), RFC 6093.
 *
 * Usage: ipclab run urgent --mode latency
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../bench/transport.h"
#include "../bench/util.h"

enum urgent_kind { URGENT_OOB, URGENT_INBAND };

#define URGENT_BULK (32u << 10)     /* in-band bytes ahead of each ping */
#define URGENT_ROUND_TRIPS 1000

static volatile sig_atomic_t urgent_signals;    /* SIGURGs handled */

static void urgent_handler(int sig)
{
    (void)sig;
    urgent_signals++;           /* errno untouched: nothing else here */
}

struct urgent_priv {
    int listen_fd, fd;
    struct sockaddr_in addr;
    char *bulk;                 /* URGENT_BULK + 1 bytes */
    unsigned char seq;          /* the ping of this round trip */
    long seen;                  /* consumer: SIGURGs consumed */
    struct sigaction old_action;
    sigset_t old_mask, wait_mask;
    int handled, blocked;
};

static int urgent_create(struct tp_channel *ch, char *err)
{
    struct urgent_priv *p = calloc(1, sizeof(*p));
    socklen_t len = sizeof(p->addr);

    if (p == NULL)
        return err_sys(err, "calloc");
    p->listen_fd = p->fd = -1;
    ch->priv = p;
    snprintf(ch->note, NOTE_LEN, "%s", ch->tp->variant == URGENT_OOB
             ? "1-byte MSG_OOB ping behind 32 KiB: SIGURG, recv(MSG_OOB)"
             : "1-byte ping read behind 32 KiB of in-band data");
    p->bulk = calloc(1, URGENT_BULK + 1);
    if (p->bulk == NULL)
        return err_sys(err, "calloc");
    p->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (p->listen_fd == -1)
        return err_sys(err, "socket");
    p->addr.sin_family = AF_INET;
    p->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);   /* port 0 */
    if (bind(p->listen_fd, (struct sockaddr *)&p->addr, sizeof(p->addr)) ||
        listen(p->listen_fd, 1) == -1 ||
        getsockname(p->listen_fd, (struct sockaddr *)&p->addr, &len) == -1)
        return err_sys(err, "bind/listen 127.0.0.1:0");
    return 0;
}

/* The consumer owns the socket's SIGURG: handler installed, signal
 * blocked except while it sleeps in sigsuspend. */
static int urgent_own(struct urgent_priv *p, char *err)
{
    struct sigaction sa;
    sigset_t urg;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = urgent_handler;
    sigemptyset(&sa.sa_mask);
    sigemptyset(&urg);
    sigaddset(&urg, SIGURG);
    if (sigprocmask(SIG_BLOCK, &urg, &p->old_mask) == -1)
        return err_sys(err, "sigprocmask");
    p->blocked = 1;
    p->wait_mask = p->old_mask;
    sigdelset(&p->wait_mask, SIGURG);
    if (sigaction(SIGURG, &sa, &p->old_action) == -1)
        return err_sys(err, "sigaction SIGURG");
    p->handled = 1;
    urgent_signals = 0;
    if (fcntl(p->fd, F_SETOWN, getpid()) == -1)
        return err_sys(err, "fcntl F_SETOWN");
    return 0;
}

static int urgent_attach(struct tp_channel *ch, char *err)
{
    struct urgent_priv *p = ch->priv;
    int on = 1;

    if (ch->role == ROLE_PRODUCER) {
        close_fd(&p->listen_fd);
        p->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (p->fd == -1)
            return err_sys(err, "socket");
        if (connect(p->fd, (struct sockaddr *)&p->addr, sizeof(p->addr)))
            return err_sys(err, "connect");
    } else {
        p->fd = accept(p->listen_fd, NULL, NULL);
        if (p->fd == -1)
            return err_sys(err, "accept");
        close_fd(&p->listen_fd);
    }
    if (setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1)
        return err_sys(err, "setsockopt TCP_NODELAY");
    if (ch->role == ROLE_CONSUMER && ch->tp->variant == URGENT_OOB)
        return urgent_own(p, err);
    return 0;
}

static int urgent_ready(struct tp_channel *ch, char *err)
{
    struct urgent_priv *p = ch->priv;

    (void)err;
    close_fd(&p->listen_fd);
    return 0;
}

/* Consumer, oob: sleep until SIGURG, then fetch the urgent byte (waiting
 * for it with POLLPRI if the signal came first). */
static int urgent_fetch(struct urgent_priv *p, unsigned char *b, char *err)
{
    struct pollfd pfd = { .fd = p->fd, .events = POLLPRI };
    ssize_t n;

    while (urgent_signals <= p->seen)   /* SIGURG blocked: no race */
        sigsuspend(&p->wait_mask);
    p->seen = urgent_signals;
    while ((n = recv(p->fd, b, 1, MSG_OOB | MSG_DONTWAIT)) == -1) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return err_sys(err, "recv MSG_OOB");
        if (poll(&pfd, 1, 1000) == -1 && errno != EINTR)
            return err_sys(err, "poll POLLPRI");
    }
    return n == 1 ? 0 : err_set(err, "recv MSG_OOB: end of stream");
}

/* Consumer, oob, after answering: read the in-band data up to the mark
 * (reads stop there by themselves) until sockatmark() says we are at it.
 * The urgent byte of the previous round becomes in-band data once this
 * round's urgent pointer has replaced it (there is only one mark), so the
 * stream ahead of the mark holds 32 KiB plus that byte: reading to the
 * mark, not a byte count, is what keeps the reader in step. */
static int urgent_drain(struct urgent_priv *p, char *err)
{
    ssize_t n;
    int mark;

    while ((mark = sockatmark(p->fd)) == 0) {
        n = read(p->fd, p->bulk, URGENT_BULK + 1);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            return err_sys(err, "read");
        if (n == 0)
            return err_set(err, "end of stream before the urgent mark");
    }
    return mark == -1 ? err_sys(err, "sockatmark") : 0;
}

static int urgent_send(struct tp_channel *ch, const void *buf, size_t len,
                       char *err)
{
    struct urgent_priv *p = ch->priv;
    ssize_t n;

    (void)buf;
    (void)len;                  /* TP_NO_PAYLOAD: the ping is ours */
    if (ch->role == ROLE_CONSUMER && ch->tp->variant == URGENT_OOB)
        return write_full(p->fd, &p->seq, 1, err) == -1 ? -1
               : urgent_drain(p, err);  /* answer first, then read */
    if (ch->role == ROLE_CONSUMER)
        return write_full(p->fd, &p->seq, 1, err);      /* the answer */
    p->seq++;
    p->bulk[URGENT_BULK] = (char)p->seq;
    if (ch->tp->variant == URGENT_INBAND)
        return write_full(p->fd, p->bulk, URGENT_BULK + 1, err);
    if (write_full(p->fd, p->bulk, URGENT_BULK, err) == -1)
        return -1;
    while ((n = send(p->fd, &p->seq, 1, MSG_OOB)) == -1 && errno == EINTR)
        ;
    return n == 1 ? 0 : err_sys(err, "send MSG_OOB");
}

static int urgent_recv(struct tp_channel *ch, void *buf, size_t len,
                       const void **msg, char *err)
{
    struct urgent_priv *p = ch->priv;
    unsigned char b, want = (unsigned char)(p->seq + 1);

    (void)len;
    *msg = buf;
    if (ch->role == ROLE_PRODUCER)  /* the answer: the ping's value */
        return read_full(p->fd, &b, 1, err) == -1 ? -1
               : b == p->seq ? 0 : err_set(err, "answer %u to ping %u", b,
                                           p->seq);
    if (ch->tp->variant == URGENT_INBAND) {
        if (read_full(p->fd, p->bulk, URGENT_BULK + 1, err) == -1)
            return -1;
        b = (unsigned char)p->bulk[URGENT_BULK];
    } else if (urgent_fetch(p, &b, err) == -1) {
        return -1;              /* the 32 KiB are read after answering */
    }
    if (b != want)
        return err_set(err, "ping %u, expected %u", b, want);
    p->seq = b;
    return 0;
}

static void urgent_detach(struct tp_channel *ch)
{
    struct urgent_priv *p = ch->priv;

    if (p->handled)
        (void)sigaction(SIGURG, &p->old_action, NULL);
    if (p->blocked)
        (void)sigprocmask(SIG_SETMASK, &p->old_mask, NULL);
    p->handled = p->blocked = 0;
    close_fd(&p->fd);
    close_fd(&p->listen_fd);
}

static void urgent_destroy(struct tp_channel *ch)
{
    struct urgent_priv *p = ch->priv;

    if (p == NULL)
        return;
    close_fd(&p->fd);
    close_fd(&p->listen_fd);
    free(p->bulk);
    free(p);
    ch->priv = NULL;
}

#define URGENT_TRANSPORT(id, tp_name, kind, text)                          \
    static const struct transport id = {                                   \
        .name = tp_name,                                                   \
        .family = TP_SIGNALS,                                              \
        .summary = text,                                                   \
        .caps = TP_NO_SIZE | TP_NO_PAYLOAD | TP_NO_THROUGHPUT,             \
        .syscalls = TP_SYSCALLS_NOT_A_CHANNEL,                             \
        .variant = kind,                                                   \
        .create = urgent_create,                                           \
        .attach = urgent_attach,                                           \
        .ready = urgent_ready,                                             \
        .send = urgent_send,                                               \
        .recv = urgent_recv,                                               \
        .detach = urgent_detach,                                           \
        .destroy = urgent_destroy,                                         \
        .max_round_trips = URGENT_ROUND_TRIPS,                             \
    };                                                                     \
    TRANSPORT_REGISTER(id)

URGENT_TRANSPORT(urgent_oob, "urgent/oob", URGENT_OOB,
                 "1-byte MSG_OOB ping behind 32 KiB: SIGURG, recv(MSG_OOB)");
URGENT_TRANSPORT(urgent_inband, "urgent/inband", URGENT_INBAND,
                 "1-byte in-band ping behind 32 KiB: read through first");
