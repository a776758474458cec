/* unix_socket.c - named Unix domain sockets: bind, listen, accept, connect.
 *
 * What it is.  An AF_UNIX socket bound to a path in the file system, which
 * any process allowed to search the directory and write the socket file can
 * reach with connect(2) - the classic local server (X11, D-Bus, Docker,
 * PostgreSQL).  Choose it when unrelated processes must meet by name and
 * you want a duplex channel, many clients per server, descriptor passing
 * (SCM_RIGHTS) or the peer's credentials (SO_PEERCRED); see unix(7).
 * Three transports, one per socket type:
 *
 *      unix/stream     SOCK_STREAM: listen + accept + connect, byte stream
 *      unix/seqpacket  SOCK_SEQPACKET: the same rendezvous, messages kept
 *      unix/dgram      SOCK_DGRAM: no connection to accept; each side binds
 *                      its own name and connect()s to the other's, which
 *                      only sets the default destination and filters
 *                      what may be received
 *
 * What differs from socketpair (ipc/socketpair.c).  Only the rendezvous.
 * A socketpair is born connected and reaches its child through fork; here
 * the server binds a name, the client looks it up in the file system
 * (permissions apply: the name sits in a private 0700 directory) and the
 * kernel joins the two sockets.  Once connected, the data path is the same
 * code (unix_stream_sendmsg, unix_dgram_sendmsg), so the figures should
 * match socketpair's; a difference would be the harness's, or noise.  The
 * socket file is only a name: unlinking it does not touch the connection,
 * it only stops new clients from finding the server.
 *
 * Kernel objects.  A private directory (private_dir()) holding the socket
 * files; the sockets themselves.  The parent creates the consumer's socket,
 * binds and (stream, seqpacket) listens on it in create(), so the
 * producer's connect() in attach() cannot arrive before the server exists.
 * For dgram the parent also binds the producer's socket, so that each side
 * can connect to the other's name in attach() without a race.  Once both
 * children are attached the parent unlinks the names, removes the directory
 * and closes its copies (ready); destroy() removes what a failed run left.
 *
 * Copies.  Two per byte, as for socketpair: into an sk_buff on the peer's
 * receive queue, and out of it.
 *
 * Waiting.  Blocking calls: accept() until a client connects, connect()
 * until the server accepts (the backlog queues it), then as for socketpair.
 * Message types move one whole message per call or fail.
 *
 * Limits (dgram, seqpacket).  One datagram is one sk_buff: it must fit the
 * sender's SO_SNDBUF less 32 bytes.  attach() raises SO_SNDBUF when the
 * message needs it (the kernel doubles the value and caps it at
 * /proc/sys/net/core/wmem_max), and messages over 2 * wmem_max - 32 or
 * over 4 MiB (the sk_buff's data is one kmalloc) are refused up front.
 *
 * Protocol (stream, seqpacket):
 *
 *      parent: mkdtemp(dir); lfd = socket(); bind(lfd, dir/server);
 *              listen(lfd, 1)
 *
 *      producer                           consumer
 *      --------                           --------
 *      fd = socket()                      fd = accept(lfd)
 *      connect(fd, dir/server) --------->
 *
 *      parent: unlink(dir/server); rmdir(dir); close(lfd)
 *
 *      write(fd, msg) ---------ping----->  read(fd, msg)
 *      read(fd, msg)  <--------pong------  write(fd, msg)
 *
 * Protocol (dgram): the parent binds dir/server and dir/client; the
 * consumer connect()s to dir/client, the producer to dir/server; then as
 * above with send()/recv().
 *
 * Usage: bin/unix_socket [--size 4K] ...   (or: ipclab run unix)
 */
#define _GNU_SOURCE             /* accept4 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../bench/journal.h"
#include "../bench/transport.h"
#include "../bench/util.h"
#include "unix_dgram.h"

struct us_priv {
    char dir[PATH_MAX];         /* private directory, "" once removed */
    struct sockaddr_un server;  /* the consumer's name */
    struct sockaddr_un client;  /* the producer's name (dgram only) */
    int server_fd;              /* parent: listening / consumer dgram */
    int client_fd;              /* parent: producer dgram socket */
    int fd;                     /* this child's connected socket */
};

/* Datagram size limits: unix_dgram.c (shared with socketpair.c). */
static int us_check_size(const struct transport *tp, enum tp_mode mode,
                         size_t msg_bytes, char *err)
{
    (void)mode;
    if (tp->variant == SOCK_STREAM)
        return 0;
    return unix_dgram_check_size(msg_bytes, err);
}

/* ---- the transport ---------------------------------------------------- */

static int us_addr(struct sockaddr_un *sa, const char *dir, const char *name,
                   char *err)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    if ((size_t)snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/%s", dir,
                         name) >= sizeof(sa->sun_path))
        return err_set(err, "socket path over %zu bytes: %s/%s (set a "
                       "shorter TMPDIR)", sizeof(sa->sun_path) - 1, dir,
                       name);
    return 0;
}

/* socket() + bind() to a name. */
static int us_bound_socket(int type, const struct sockaddr_un *sa, int *fd,
                           char *err)
{
    *fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    if (*fd == -1)
        return err_sys(err, "socket");
    if (bind(*fd, (const struct sockaddr *)sa, sizeof(*sa)) == -1)
        return err_sys_ctx(err, "bind", sa->sun_path);
    return 0;
}

static int us_create(struct tp_channel *ch, char *err)
{
    struct us_priv *p = calloc(1, sizeof(*p));
    int type = ch->tp->variant, sndbuf;
    socklen_t optlen = sizeof(sndbuf);

    if (p == NULL)
        return err_sys(err, "calloc");
    p->server_fd = p->client_fd = p->fd = -1;
    ch->priv = p;
    if (private_dir(p->dir, sizeof(p->dir), NULL, err) == -1) {
        p->dir[0] = '\0';       /* nothing for destroy() to remove */
        return -1;
    }
    if (us_addr(&p->server, p->dir, "server", err) == -1 ||
        us_addr(&p->client, p->dir, "client", err) == -1)
        return -1;
    if (us_bound_socket(type, &p->server, &p->server_fd, err) == -1)
        return -1;
    if (type == SOCK_DGRAM &&
        us_bound_socket(type, &p->client, &p->client_fd, err) == -1)
        return -1;
    if (type != SOCK_DGRAM && listen(p->server_fd, 1) == -1)
        return err_sys(err, "listen");
    if (type == SOCK_STREAM)
        return 0;
    /* The children's sockets get the same size in attach(); show it. */
    if (unix_dgram_fit_sndbuf(p->server_fd, ch->msg_bytes, err) == -1)
        return -1;
    if (getsockopt(p->server_fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
                   &optlen) == -1)
        return err_sys(err, "getsockopt SO_SNDBUF");
    snprintf(ch->note, sizeof(ch->note), "SO_SNDBUF %d", sndbuf);
    return 0;
}

static int us_connect(int fd, const struct sockaddr_un *sa, char *err)
{
    int rc;

    do                          /* after EINTR the first try may have */
        rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
    while (rc == -1 && errno == EINTR);     /* connected: EISCONN */
    if (rc == -1 && errno != EISCONN)
        return err_sys_ctx(err, "connect", sa->sun_path);
    return 0;
}

static int us_attach(struct tp_channel *ch, char *err)
{
    struct us_priv *p = ch->priv;
    int type = ch->tp->variant;
    int producer = ch->role == ROLE_PRODUCER;

    if (type == SOCK_DGRAM) {   /* take my socket, connect to the other */
        if (producer) {
            p->fd = p->client_fd;
            p->client_fd = -1;
        } else {
            p->fd = p->server_fd;
            p->server_fd = -1;
        }
        close_fd(producer ? &p->server_fd : &p->client_fd);
        if (us_connect(p->fd, producer ? &p->server : &p->client,
                       err) == -1)
            return -1;
    } else if (producer) {
        close_fd(&p->server_fd);    /* only the consumer accepts */
        p->fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
        if (p->fd == -1)
            return err_sys(err, "socket");
        if (us_connect(p->fd, &p->server, err) == -1)
            return -1;
    } else {
        do
            p->fd = accept4(p->server_fd, NULL, NULL, SOCK_CLOEXEC);
        while (p->fd == -1 && errno == EINTR);
        if (p->fd == -1)
            return err_sys(err, "accept4");
        close_fd(&p->server_fd);    /* one client is all we serve */
    }
    if (type != SOCK_STREAM)
        return unix_dgram_fit_sndbuf(p->fd, ch->msg_bytes, err);
    return 0;
}

/* Both children are connected: drop the names and the parent's sockets. */
static int us_ready(struct tp_channel *ch, char *err)
{
    struct us_priv *p = ch->priv;

    if (unlink(p->server.sun_path) == -1)
        return err_sys_ctx(err, "unlink", p->server.sun_path);
    if (ch->tp->variant == SOCK_DGRAM && unlink(p->client.sun_path) == -1)
        return err_sys_ctx(err, "unlink", p->client.sun_path);
    if (rmdir(p->dir) == -1)
        return err_sys_ctx(err, "rmdir", p->dir);
    journal_forget(JOURNAL_DIR, p->dir);
    p->dir[0] = '\0';
    close_fd(&p->server_fd);
    close_fd(&p->client_fd);
    return 0;
}

static int us_send_stream(struct tp_channel *ch, const void *buf, size_t len,
                          char *err)
{
    struct us_priv *p = ch->priv;

    return write_full(p->fd, buf, len, err);
}

static int us_recv_stream(struct tp_channel *ch, void *buf, size_t len,
                          const void **msg, char *err)
{
    struct us_priv *p = ch->priv;

    *msg = buf;
    return read_full(p->fd, buf, len, err);
}

/* One datagram per call: it goes whole or not at all. */
static int us_send_msg(struct tp_channel *ch, const void *buf, size_t len,
                       char *err)
{
    struct us_priv *p = ch->priv;

    return send_whole(p->fd, buf, len, err);
}

/* Receive one datagram and check that it is exactly one message. */
static int us_recv_msg(struct tp_channel *ch, void *buf, size_t len,
                       const void **msg, char *err)
{
    struct us_priv *p = ch->priv;

    *msg = buf;
    return recv_whole(p->fd, buf, len, err);
}

static void us_detach(struct tp_channel *ch)
{
    struct us_priv *p = ch->priv;

    close_fd(&p->fd);
    close_fd(&p->server_fd);
    close_fd(&p->client_fd);
}

/* Parent, always: its sockets, and the names if ready() did not run. */
static void us_destroy(struct tp_channel *ch)
{
    struct us_priv *p = ch->priv;

    if (p == NULL)
        return;
    close_fd(&p->server_fd);
    close_fd(&p->client_fd);
    if (p->dir[0] != '\0')
        private_dir_remove(p->dir);
    free(p);
    ch->priv = NULL;
}

static const struct transport unix_stream = {
    .name = "unix/stream",
    .family = TP_IPC,
    .summary = "named AF_UNIX SOCK_STREAM: bind/listen/accept/connect",
    .caps = TP_STREAM | TP_DUPLEX,
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(1, 1),
    .variant = SOCK_STREAM,
    .create = us_create,
    .attach = us_attach,
    .ready = us_ready,
    .send = us_send_stream,
    .recv = us_recv_stream,
    .detach = us_detach,
    .destroy = us_destroy,
};
TRANSPORT_REGISTER(unix_stream);

static const struct transport unix_seqpacket = {
    .name = "unix/seqpacket",
    .family = TP_IPC,
    .summary = "named AF_UNIX SOCK_SEQPACKET: accept/connect, messages kept",
    .caps = TP_MESSAGES | TP_DUPLEX,
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(1, 1),
    .variant = SOCK_SEQPACKET,
    .check_size = us_check_size,
    .create = us_create,
    .attach = us_attach,
    .ready = us_ready,
    .send = us_send_msg,
    .recv = us_recv_msg,
    .detach = us_detach,
    .destroy = us_destroy,
};
TRANSPORT_REGISTER(unix_seqpacket);

static const struct transport unix_dgram = {
    .name = "unix/dgram",
    .family = TP_IPC,
    .summary = "named AF_UNIX SOCK_DGRAM: two bound names, connected",
    .caps = TP_MESSAGES | TP_DUPLEX,
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(1, 1),
    .variant = SOCK_DGRAM,
    .check_size = us_check_size,
    .create = us_create,
    .attach = us_attach,
    .ready = us_ready,
    .send = us_send_msg,
    .recv = us_recv_msg,
    .detach = us_detach,
    .destroy = us_destroy,
};
TRANSPORT_REGISTER(unix_dgram);
