/* sendfile.c - serving a file to a socket four ways: read+write,
 * mmap+write, sendfile(2), and splice(2) through a pipe.
 *
 * What it is.  A file server's inner loop: bytes of a file go out on a
 * socket.  The obvious way reads them into a buffer and writes the buffer
 * (two copies before the bytes even reach the network); the three others
 * each save one:
 *
 *      file/KIND/rw        pread(file, buf) + write(sock, buf), 128 KiB at
 *                          a time (the buffer cat(1) and cp(1) use): page
 *                          cache -> buf -> socket
 *      file/KIND/mmap      the file mapped once (MAP_POPULATE), then
 *                          writev(sock, [hdr, map + off]): page cache ->
 *                          socket, no user buffer
 *      file/KIND/sendfile  sendfile(sock, file, &off, n): the kernel hands
 *                          the page-cache pages themselves to the socket
 *      file/KIND/splice    splice(file -> pipe), splice(pipe -> sock): the
 *                          same page references, moved through a pipe we
 *                          own (what sendfile does inside, and the way to
 *                          serve from any descriptor, not only a file)
 *
 * and KIND is `tcp` (loopback) or `unix` (socketpair(AF_UNIX,
 * SOCK_STREAM)).  Choose sendfile to serve files as they are; splice when
 * the source is a pipe or a socket; mmap when the data must be looked at
 * on the way; read+write when it must be changed.  See sendfile(2),
 * splice(2).
 *
 * The file and the messages.  Every byte is verified (bench/verify.h):
 * message k carries its sequence number over its first min(8, n) bytes,
 * then a body that is a window of a pseudo-random pool chosen by k.  The
 * served file is that pool: msg_bytes + 255 * 64 bytes (never a multiple
 * of the page size), so every message's body lies in the file at
 * 64 * slot(k) + header.  The producer sends the header from memory and
 * the body from the file; the consumer reads and checks both, as for any
 * stream.  A message of 8 bytes or less serves an empty range: the
 * 0-length case (the harness has no size 0, the sequence number must
 * travel).  The file never changes while it is served: sendfile and
 * splice lend its pages to the socket, so a write to the file before the
 * consumer has read them would change bytes already "sent".
 *
 * Page cache.  Warm by default: the parent writes the file, then
 * fdatasync()s it (no writeback inside the measured interval), and the
 * pages stay cached - the rows measure serving from memory, what a busy
 * server does.  --cold drops the range a message serves before each
 * message with posix_fadvise(POSIX_FADV_DONTNEED), so it is read from the
 * disk (no privilege needed: it drops clean pages of a file we own).  Not
 * possible on tmpfs (the page cache is the file there), and pages still
 * held by the socket (sendfile, splice: sent, not yet read) or mapped
 * cannot be dropped: cold mmap maps and unmaps each message's range, and
 * create() checks with mincore(2) that dropping works at all.  Where it
 * does not, the row is n/a with the reason.  Give --dir on a disk file
 * system (e.g. /var/tmp) for --cold.
 *
 * Kernel objects.  The file (made by net/served_file.c), in a private
 * 0700 directory under $TMPDIR,
 * /tmp or --dir (private_dir), opened O_CREAT|O_EXCL 0600, then unlinked
 * and the directory removed at once: only the descriptor is left, so
 * nothing can leak even on SIGKILL.  TCP: a listener on 127.0.0.1 port 0
 * (read back), closed once both sides hold their socket; Unix: one
 * socketpair.  splice: a pipe in the producer, grown to 1 MiB
 * (F_SETPIPE_SZ) when the limits allow, else the default 64 KiB.
 *
 * Copies per byte (disk -> page cache not counted), the consumer's read
 * included: rw 3 (file -> buf, buf -> socket, socket -> consumer), mmap 2,
 * sendfile and splice 1 (only the consumer's read: on loopback and Unix
 * sockets the pages travel by reference).
 *
 * Waiting.  Blocking calls; every call loops on short transfers and EINTR.
 * splice file -> pipe is SPLICE_F_NONBLOCK on the pipe: when the pipe is
 * full the producer drains it into the socket first.
 *
 * Protocol (throughput; latency also sends each message back with a plain
 * write, so a round trip is one serve plus one ordinary copy back):
 *
 *      parent: private_dir; open(file, O_EXCL); unlink; rmdir;
 *              write(pool); fdatasync; [tcp: socket, bind, listen]
 *
 *      producer                              consumer
 *      --------                              --------
 *      [tcp: connect]                        [tcp: accept]
 *      per message k, body at off = 64 * slot(k) + 8:
 *      rw:       pread(file, buf+8, off),
 *                write(sock, buf) ...
 *      mmap:     writev(sock, [hdr, map+off])
 *      sendfile: send(sock, hdr, MSG_MORE),
 *                sendfile(sock, file, &off)
 *      splice:   write(pipe, hdr),
 *                splice(file, &off -> pipe),
 *                splice(pipe -> sock)  --------> recv(..., MSG_WAITALL)
 *                                                check header and body
 *
 * Usage: bin/sendfile [--size 4K,1M,64M] [--dir /var/tmp] [--cold]
 *        (or: ipclab run file/tcp file/unix/sendfile ...)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../bench/transport.h"
#include "../bench/util.h"
#include "../bench/verify.h"
#include "loopback.h"
#include "served_file.h"

#define FS_CHUNK_BYTES (128u << 10)     /* rw: the buffer */
#define FS_PIPE_BYTES (1u << 20)        /* splice: the pipe we ask for */

enum fs_kind { FS_TCP, FS_UNIX };
enum fs_how { FS_RW, FS_MMAP, FS_SENDFILE, FS_SPLICE };
#define FS_VARIANT(kind, how) ((kind) * 4 + (how))
#define FS_KIND(v) ((enum fs_kind)((v) / 4))
#define FS_HOW(v) ((enum fs_how)((v) % 4))

struct fs_priv {
    struct served_file file;    /* nameless (net/served_file.h) */
    int pair[2];                /* unix */
    int listen_fd;              /* tcp, until both sides attach */
    struct sockaddr_in addr;
    int sock;                   /* this side's, after attach */
    int pipe_fd[2];             /* splice (producer) */
    size_t pipe_bytes;
    uint8_t *stage;             /* rw (producer) */
    uint8_t *map;               /* mmap, warm (producer) */
};

static const char *opt_dir;     /* NULL: $TMPDIR or /tmp */
static const struct tp_option dir_option = {
    "dir", OPT_DIR, &opt_dir, NULL, "DIR",
    "file/*: serve a file made in a private directory under DIR",
    .applies = "file/*",
};
TRANSPORT_OPTION(dir_option);

static int opt_cold;
static const struct tp_option cold_option = {
    "cold", OPT_FLAG, &opt_cold, NULL, NULL,
    "file/*: drop the served range from the page cache before each message",
    .applies = "file/*",
};
TRANSPORT_OPTION(cold_option);

/* ---- full transfers ------------------------------------------------------ */

static int fs_pread_full(int fd, uint8_t *buf, size_t len, off_t off,
                         char *err)
{
    while (len > 0) {
        ssize_t n = pread(fd, buf, len, off);

        if (n == -1) {
            if (errno == EINTR)
                continue;
            return err_sys(err, "pread");
        }
        if (n == 0)
            return err_set(err, "pread: the file ended early");
        buf += n;
        len -= (size_t)n;
        off += n;
    }
    return 0;
}

static int fs_writev_full(int fd, struct iovec *iov, int cnt, char *err)
{
    while (cnt > 0) {
        ssize_t n = writev(fd, iov, cnt);

        if (n == -1) {
            if (errno == EINTR)
                continue;
            return err_sys(err, "writev");
        }
        while (cnt > 0 && (size_t)n >= iov->iov_len) {
            n -= (ssize_t)iov->iov_len;
            iov++;
            cnt--;
        }
        if (cnt > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + n;
            iov->iov_len -= (size_t)n;
        }
    }
    return 0;
}

/* send(2) with flags, looping on short sends and EINTR. */
static int fs_send_full(int fd, const uint8_t *buf, size_t len, int flags,
                        char *err)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, flags);

        if (n == -1) {
            if (errno == EINTR)
                continue;
            return err_sys(err, "send");
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* sendfile(2) may stop short (a signal; at most 0x7ffff000 bytes per
 * call): loop until the range is out. */
static int fs_sendfile_full(int sock, int fd, off_t off, size_t len,
                            char *err)
{
    while (len > 0) {
        ssize_t n = sendfile(sock, fd, &off, len);

        if (n == -1) {
            if (errno == EINTR)
                continue;
            return err_sys(err, "sendfile");
        }
        if (n == 0)
            return err_set(err, "sendfile: the file ended early");
        len -= (size_t)n;
    }
    return 0;
}

/* Everything in the pipe (*inpipe bytes) into the socket. */
static int fs_drain_pipe(struct fs_priv *p, size_t *inpipe, int more,
                         char *err)
{
    while (*inpipe > 0) {
        ssize_t n = splice(p->pipe_fd[0], NULL, p->sock, NULL, *inpipe,
                           SPLICE_F_MOVE | (more ? SPLICE_F_MORE : 0));

        if (n == -1) {
            if (errno == EINTR)
                continue;
            return err_sys(err, "splice pipe -> socket");
        }
        if (n == 0)
            return err_set(err, "splice pipe -> socket: moved nothing");
        *inpipe -= (size_t)n;
    }
    return 0;
}

/* Header already in the pipe (*inpipe bytes); body: len bytes at off.
 * A file -> pipe splice takes what fits; a full pipe is drained first. */
static int fs_splice_full(struct fs_priv *p, off_t off, size_t len,
                          size_t inpipe, char *err)
{
    while (len > 0) {
        ssize_t n = splice(p->file.fd, &off, p->pipe_fd[1], NULL, len,
                           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);

        if (n == -1) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN || inpipe == 0)
                return err_sys(err, "splice file -> pipe");
            n = 0;              /* pipe full: drain it, then go on */
        } else if (n == 0) {
            return err_set(err, "splice file -> pipe: the file ended "
                           "early");
        }
        len -= (size_t)n;
        inpipe += (size_t)n;
        if (fs_drain_pipe(p, &inpipe, len > 0, err) == -1)
            return -1;
    }
    return fs_drain_pipe(p, &inpipe, 0, err);
}

/* ---- the file (net/served_file.c) -------------------------------------- */

static int fs_check_size(const struct transport *tp, enum tp_mode mode,
                         size_t msg_bytes, char *err)
{
    (void)tp;
    (void)mode;
    return served_file_fits(opt_dir, msg_bytes, err);
}

/* ---- setting up ---------------------------------------------------------- */

/* A listener on 127.0.0.1 with the port the kernel chose (loopback.h). */
static int fs_tcp_listen(struct fs_priv *p, char *err)
{
    p->listen_fd = loop_listen(&p->addr, 1, err);
    return p->listen_fd == -1 ? -1 : 0;
}

static int fs_create(struct tp_channel *ch, char *err)
{
    struct fs_priv *p = calloc(1, sizeof(*p));

    if (p == NULL)
        return err_sys(err, "calloc");
    p->file.fd = p->listen_fd = p->sock = -1;
    p->pair[0] = p->pair[1] = p->pipe_fd[0] = p->pipe_fd[1] = -1;
    ch->priv = p;
    snprintf(ch->note, sizeof(ch->note), "%s page cache%s",
             opt_cold ? "cold" : "warm",
             ch->mode == MODE_LATENCY && FS_KIND(ch->tp->variant) == FS_TCP
                 ? ", TCP_NODELAY" : "");
    if (served_file_open(&p->file, opt_dir, ch->msg_bytes, opt_cold,
                         &ch->refused, err) == -1)
        return -1;
    if (FS_KIND(ch->tp->variant) == FS_TCP)
        return fs_tcp_listen(p, err);
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p->pair) == -1)
        return err_sys(err, "socketpair");
    return 0;
}

static int fs_connect(struct tp_channel *ch, struct fs_priv *p, char *err)
{
    int on = 1;

    if (FS_KIND(ch->tp->variant) == FS_UNIX) {
        int mine = ch->role == ROLE_PRODUCER ? 0 : 1;

        p->sock = p->pair[mine];
        p->pair[mine] = -1;
        close_fd(&p->pair[1 - mine]);       /* the peer's end */
        return 0;
    }
    if (ch->role == ROLE_PRODUCER) {
        close_fd(&p->listen_fd);
        p->sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (p->sock == -1)
            return err_sys(err, "socket");
        if (connect(p->sock, (struct sockaddr *)&p->addr,
                    sizeof(p->addr)) == -1)
            return err_sys(err, "connect");
    } else {
        p->sock = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (p->sock == -1)
            return err_sys(err, "accept4");
        close_fd(&p->listen_fd);
    }
    if (ch->mode == MODE_LATENCY &&
        setsockopt(p->sock, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1)
        return err_sys(err, "setsockopt TCP_NODELAY");
    return 0;
}

/* The producer's tools for its way of serving. */
static int fs_producer_tools(struct tp_channel *ch, struct fs_priv *p,
                             char *err)
{
    int got;

    switch (FS_HOW(ch->tp->variant)) {
    case FS_RW:
        p->stage = malloc(ch->msg_bytes < FS_CHUNK_BYTES ? ch->msg_bytes
                                                         : FS_CHUNK_BYTES);
        return p->stage == NULL ? err_sys(err, "malloc") : 0;
    case FS_MMAP:
        if (opt_cold)           /* mapped per message: droppable */
            return 0;
        p->map = mmap(NULL, p->file.bytes, PROT_READ,
                      MAP_SHARED | MAP_POPULATE, p->file.fd, 0);
        if (p->map == MAP_FAILED) {
            p->map = NULL;
            return err_sys(err, "mmap");
        }
        return 0;
    case FS_SPLICE:
        if (pipe2(p->pipe_fd, O_CLOEXEC) == -1)
            return err_sys(err, "pipe2");
        /* Over fs.pipe-max-size or the user's pipe pages: keep 64 KiB. */
        if (fcntl(p->pipe_fd[1], F_SETPIPE_SZ, (int)FS_PIPE_BYTES) == -1 &&
            errno != EPERM && errno != EBUSY)
            return err_sys(err, "fcntl(F_SETPIPE_SZ)");
        got = fcntl(p->pipe_fd[1], F_GETPIPE_SZ);
        if (got == -1)
            return err_sys(err, "fcntl(F_GETPIPE_SZ)");
        p->pipe_bytes = (size_t)got;
        return 0;
    default:
        return 0;
    }
}

static int fs_attach(struct tp_channel *ch, char *err)
{
    struct fs_priv *p = ch->priv;

    if (ch->role == ROLE_CONSUMER)
        close_fd(&p->file.fd);  /* only the producer reads the file */
    if (fs_connect(ch, p, err) == -1)
        return -1;
    return ch->role == ROLE_PRODUCER ? fs_producer_tools(ch, p, err) : 0;
}

/* Parent, once both children hold their ends: the listener goes. */
static int fs_ready(struct tp_channel *ch, char *err)
{
    struct fs_priv *p = ch->priv;

    (void)err;
    close_fd(&p->listen_fd);
    return 0;
}

/* ---- moving a message ---------------------------------------------------- */

/* Where message buf's body lies in the file: its header is the sequence
 * number (truncated to hdr bytes, which keeps seq mod 256 and so the
 * slot). */
static off_t fs_body_offset(const uint8_t *buf, size_t hdr)
{
    uint64_t seq = 0;

    for (size_t i = 0; i < hdr; i++)
        seq |= (uint64_t)buf[i] << (8 * i);
    return (off_t)((size_t)verify_slot(seq) * VERIFY_STEP + hdr);
}

static int fs_send_rw(struct fs_priv *p, const uint8_t *buf, size_t hdr,
                      off_t off, size_t len, char *err)
{
    size_t first = len + hdr < FS_CHUNK_BYTES ? len : FS_CHUNK_BYTES - hdr;

    memcpy(p->stage, buf, hdr);     /* the first chunk starts with it */
    if (fs_pread_full(p->file.fd, p->stage + hdr, first, off, err) == -1 ||
        write_full(p->sock, p->stage, hdr + first, err) == -1)
        return -1;
    for (len -= first, off += (off_t)first; len > 0;) {
        size_t n = len < FS_CHUNK_BYTES ? len : FS_CHUNK_BYTES;

        if (fs_pread_full(p->file.fd, p->stage, n, off, err) == -1 ||
            write_full(p->sock, p->stage, n, err) == -1)
            return -1;
        len -= n;
        off += (off_t)n;
    }
    return 0;
}

static int fs_send_mmap(struct fs_priv *p, const uint8_t *buf, size_t hdr,
                        off_t off, size_t len, char *err)
{
    struct iovec iov[2] = { { (void *)buf, hdr }, { NULL, len } };
    size_t lead = (size_t)off % p->file.page_bytes, span = lead + len;
    uint8_t *m = p->map;
    int rc;

    if (m != NULL) {            /* warm: mapped once */
        iov[1].iov_base = m + off;
        return fs_writev_full(p->sock, iov, len > 0 ? 2 : 1, err);
    }
    if (len == 0)
        return fs_writev_full(p->sock, iov, 1, err);
    m = mmap(NULL, span, PROT_READ, MAP_SHARED, p->file.fd, off - (off_t)lead);
    if (m == MAP_FAILED)
        return err_sys(err, "mmap");
    iov[1].iov_base = m + lead;
    rc = fs_writev_full(p->sock, iov, 2, err);
    if (munmap(m, span) == -1 && rc == 0)
        rc = err_sys(err, "munmap");
    return rc;
}

static int fs_send(struct tp_channel *ch, const void *buf, size_t len,
                   char *err)
{
    struct fs_priv *p = ch->priv;
    size_t hdr = len < VERIFY_HDR_BYTES ? len : VERIFY_HDR_BYTES;
    size_t body = len - hdr;
    off_t off = fs_body_offset(buf, hdr);
    int rc;

    if (opt_cold && body > 0 &&
        (rc = posix_fadvise(p->file.fd, off, (off_t)body,
                            POSIX_FADV_DONTNEED)) != 0) {
        errno = rc;
        return err_sys(err, "posix_fadvise(DONTNEED)");
    }
    switch (FS_HOW(ch->tp->variant)) {
    case FS_RW:
        return fs_send_rw(p, buf, hdr, off, body, err);
    case FS_MMAP:
        return fs_send_mmap(p, buf, hdr, off, body, err);
    case FS_SENDFILE:           /* MSG_MORE: header and body, one segment */
        if (fs_send_full(p->sock, buf, hdr, body > 0 ? MSG_MORE : 0,
                         err) == -1)
            return -1;
        return fs_sendfile_full(p->sock, p->file.fd, off, body, err);
    default:
        if (write_full(p->pipe_fd[1], buf, hdr, err) == -1)
            return -1;
        return fs_splice_full(p, off, body, hdr, err);
    }
}

/* Consumer: the message; producer (latency): the echo.  Header and body
 * leave in two calls: MSG_WAITALL reads both in one (read() woke twice). */
static int fs_recv(struct tp_channel *ch, void *buf, size_t len,
                   const void **msg, char *err)
{
    struct fs_priv *p = ch->priv;
    char *b = buf;

    while (len > 0) {
        ssize_t n = recv(p->sock, b, len, MSG_WAITALL);

        if (n > 0) {
            b += n;
            len -= (size_t)n;
        } else if (n == 0) {
            return err_set(err, "recv: the peer closed the connection");
        } else if (errno != EINTR) {
            return err_sys(err, "recv");
        }
    }
    *msg = buf;
    return 0;
}

/* Latency: the consumer answers with an ordinary write. */
static int fs_reply_or_send(struct tp_channel *ch, const void *buf,
                            size_t len, char *err)
{
    struct fs_priv *p = ch->priv;

    if (ch->role == ROLE_CONSUMER)
        return write_full(p->sock, buf, len, err);
    return fs_send(ch, buf, len, err);
}

/* ---- tearing down -------------------------------------------------------- */

static void fs_detach(struct tp_channel *ch)
{
    struct fs_priv *p = ch->priv;

    close_fd(&p->sock);
    close_fd(&p->pipe_fd[0]);
    close_fd(&p->pipe_fd[1]);
    close_fd(&p->file.fd);
    free(p->stage);
    p->stage = NULL;
    if (p->map != NULL)
        munmap(p->map, p->file.bytes);
    p->map = NULL;
}

static void fs_destroy(struct tp_channel *ch)
{
    struct fs_priv *p = ch->priv;

    if (p == NULL)
        return;
    fs_detach(ch);
    close_fd(&p->pair[0]);
    close_fd(&p->pair[1]);
    close_fd(&p->listen_fd);
    served_file_close(&p->file);
    free(p);
    ch->priv = NULL;
}

/* System calls per 64 KiB message, warm (--cold adds the fadvise, and for
 * mmap an mmap and a munmap): rw pread + write; mmap one writev;
 * sendfile send + sendfile; splice write + splice + splice.  The consumer
 * reads a 64 KiB message in one read, usually. */
#define FS_TRANSPORT(var, tpname, fam, kind, how, nsend, text)             \
    static const struct transport var = {                                  \
        .name = tpname,                                                    \
        .family = fam,                                                     \
        .summary = text,                                                   \
        .caps = TP_STREAM | TP_DUPLEX,                                     \
        .variant = FS_VARIANT(kind, how),                                  \
        .copies = TP_COPIES((how) == FS_RW ? 3 : (how) == FS_MMAP ? 2 : 1), \
        .syscalls = TP_SYSCALLS(nsend, 1),                                 \
        .check_size = fs_check_size,                                       \
        .create = fs_create,                                               \
        .attach = fs_attach,                                               \
        .ready = fs_ready,                                                 \
        .send = fs_reply_or_send,                                          \
        .recv = fs_recv,                                                   \
        .detach = fs_detach,                                               \
        .destroy = fs_destroy,                                             \
    };                                                                     \
    TRANSPORT_REGISTER(var)

FS_TRANSPORT(file_tcp_rw, "file/tcp/rw", TP_NET, FS_TCP, FS_RW, 2,
             "file to TCP loopback: pread + write, 128 KiB buffer");
FS_TRANSPORT(file_tcp_mmap, "file/tcp/mmap", TP_NET, FS_TCP, FS_MMAP, 1,
             "file to TCP loopback: mmap once, writev from the mapping");
FS_TRANSPORT(file_tcp_sendfile, "file/tcp/sendfile", TP_NET, FS_TCP,
             FS_SENDFILE, 2, "file to TCP loopback: sendfile(2)");
FS_TRANSPORT(file_tcp_splice, "file/tcp/splice", TP_NET, FS_TCP, FS_SPLICE,
             3, "file to TCP loopback: splice file -> pipe -> socket");
FS_TRANSPORT(file_unix_rw, "file/unix/rw", TP_IPC, FS_UNIX, FS_RW, 2,
             "file to a Unix stream socket: pread + write, 128 KiB buffer");
FS_TRANSPORT(file_unix_mmap, "file/unix/mmap", TP_IPC, FS_UNIX, FS_MMAP, 1,
             "file to a Unix stream socket: mmap once, writev from it");
FS_TRANSPORT(file_unix_sendfile, "file/unix/sendfile", TP_IPC, FS_UNIX,
             FS_SENDFILE, 2, "file to a Unix stream socket: sendfile(2)");
FS_TRANSPORT(file_unix_splice, "file/unix/splice", TP_IPC, FS_UNIX,
             FS_SPLICE, 3,
             "file to a Unix stream socket: splice file -> pipe -> socket");
