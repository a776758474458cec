/* sysv_msgq.c - System V message queues: typed messages in a kernel list.
 *
 * What it is.  msgget(2) creates a queue identified by a number; msgsnd(2)
 * appends a message (a long type followed by up to msgmax bytes of text),
 * msgrcv(2) takes the first message, or the first of a given type.  Message
 * boundaries are kept, and the type lets several conversations share one
 * queue: here the pings are type 1 and the pongs type 2.  Choose it for old
 * code and for its type selection; new code usually prefers POSIX queues
 * (ipc/posix_mq.c) or sockets.  See sysvipc(7), msgop(2), msgctl(2).
 *
 * Kernel objects.  One queue, msgget(IPC_PRIVATE, 0600): a fresh queue no
 * other process can guess its way into; its identifier reaches the children
 * through fork.  It is removed with msgctl(IPC_RMID) in destroy(), in the
 * parent, after every run however it ended.  Unlike a shared memory segment
 * (which IPC_RMID only marks, waiting for the last detach), a queue goes at
 * once: blocked senders and receivers wake with EIDRM and the identifier is
 * dead.  It cannot be "marked for removal" while both sides still use it,
 * so removal at the end is the right moment, and this transport has no
 * ready() step.  If the parent itself is killed with SIGKILL the queue
 * outlives it (`ipcs -q` shows it): its id is in the run's journal
 * (bench/journal.h), so the next run or `ipclab clean` removes it.
 *
 * Copies.  Two per byte, plus one: the message is first built in a struct
 * msgbuf (type + text) in user space, because the harness's buffer has no
 * room for the type in front; msgsnd() copies it into a kernel msg_msg
 * (allocated per message, in page-sized pieces), msgrcv() copies it into
 * the receiver's msgbuf, which the harness reads in place.
 *
 * Waiting.  msgsnd() sleeps while the queue holds msg_qbytes bytes or more
 * (default /proc/sys/kernel/msgmnb), msgrcv() while no message of the
 * wanted type is there.
 *
 * Limits.  One message: at most /proc/sys/kernel/msgmax bytes (8192 by
 * default); bigger sizes are refused, never split or clamped.  The queue
 * must be able to hold one message: if msgmax was raised over msgmnb, the
 * queue's msg_qbytes is raised with IPC_SET to fit one message, which needs
 * CAP_SYS_RESOURCE; otherwise the size is refused.
 *
 * Protocol:
 *
 *      parent: id = msgget(IPC_PRIVATE, 0600)
 *
 *      producer                              consumer
 *      --------                              --------
 *      msgsnd(id, {1, msg}) ------ping---->  msgrcv(id, type 1)
 *      msgrcv(id, type 2)   <-----pong-----  msgsnd(id, {2, msg})
 *
 *      parent: msgctl(id, IPC_RMID)
 *
 * Usage: bin/sysv_msgq [--size 4K] ...   (or: ipclab run sysv_msgq)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <unistd.h>

#include "../bench/journal.h"
#include "../bench/transport.h"
#include "../bench/util.h"

#define MQ_TYPE_PING 1L         /* producer -> consumer */
#define MQ_TYPE_PONG 2L         /* consumer -> producer */

struct msgq_buf {
    long mtype;
    char mtext[];
};

struct msgq_priv {
    int id;                     /* -1 once removed */
    struct msgq_buf *sbuf;      /* this child's message to send */
    struct msgq_buf *rbuf;      /* ... and to receive into */
};

static int msgq_check_size(const struct transport *tp, enum tp_mode mode,
                           size_t msg_bytes, char *err)
{
    unsigned long msgmax, msgmnb;

    (void)tp;
    (void)mode;
    if (read_proc_ulong("/proc/sys/kernel/msgmax", &msgmax, err) == -1 ||
        read_proc_ulong("/proc/sys/kernel/msgmnb", &msgmnb, err) == -1)
        return -1;
    if (msg_bytes > msgmax)
        return err_set(err, "over msgmax %lu; raise /proc/sys/kernel/msgmax",
                       msgmax);
    if (msg_bytes > msgmnb && !has_cap_sys_resource())
        return err_set(err, "over msgmnb %lu (one message must fit the "
                       "queue); raise /proc/sys/kernel/msgmnb", msgmnb);
    return 0;
}

static int msgq_create(struct tp_channel *ch, char *err)
{
    struct msgq_priv *p = calloc(1, sizeof(*p));
    struct msqid_ds ds;

    if (p == NULL)
        return err_sys(err, "calloc");
    p->id = -1;
    ch->priv = p;
    if (journal_prepare(err) == -1)     /* recording is one write now */
        return -1;
    p->id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    if (p->id == -1) {
        if (errno == ENOSPC)
            return err_set(err, "msgget: no queue left; raise "
                           "/proc/sys/kernel/msgmni");
        return err_sys(err, "msgget");
    }
    if (journal_record_id(JOURNAL_SYSV_MSG, p->id, err) == -1) {
        (void)msgctl(p->id, IPC_RMID, NULL);
        p->id = -1;
        return -1;
    }
    if (msgctl(p->id, IPC_STAT, &ds) == -1)
        return err_sys(err, "msgctl IPC_STAT");
    if (ds.msg_qbytes < ch->msg_bytes) {    /* msgmax > msgmnb */
        ds.msg_qbytes = ch->msg_bytes;
        if (msgctl(p->id, IPC_SET, &ds) == -1)
            return err_sys(err, "msgctl IPC_SET msg_qbytes");
    }
    snprintf(ch->note, sizeof(ch->note), "msg_qbytes %lu",
             (unsigned long)ds.msg_qbytes);
    return 0;
}

static int msgq_attach(struct tp_channel *ch, char *err)
{
    struct msgq_priv *p = ch->priv;

    p->sbuf = malloc(sizeof(*p->sbuf) + ch->msg_bytes);
    p->rbuf = malloc(sizeof(*p->rbuf) + ch->msg_bytes);
    if (p->sbuf == NULL || p->rbuf == NULL)
        return err_sys(err, "malloc");
    p->sbuf->mtype = ch->role == ROLE_PRODUCER ? MQ_TYPE_PING : MQ_TYPE_PONG;
    return 0;
}

static int msgq_send(struct tp_channel *ch, const void *buf, size_t len,
                     char *err)
{
    struct msgq_priv *p = ch->priv;
    int rc;

    memcpy(p->sbuf->mtext, buf, len);   /* the type must come first */
    do
        rc = msgsnd(p->id, p->sbuf, len, 0);
    while (rc == -1 && errno == EINTR);
    if (rc == -1)
        return err_sys(err, "msgsnd");
    return 0;
}

static int msgq_recv(struct tp_channel *ch, void *buf, size_t len,
                     const void **msg, char *err)
{
    struct msgq_priv *p = ch->priv;
    long type = ch->role == ROLE_PRODUCER ? MQ_TYPE_PONG : MQ_TYPE_PING;
    size_t room = len < ch->msg_bytes ? len : ch->msg_bytes;  /* rbuf's */
    ssize_t n;

    (void)buf;
    do
        n = msgrcv(p->id, p->rbuf, room, type, 0);
    while (n == -1 && errno == EINTR);
    if (n == -1) {
        if (errno == E2BIG)
            return err_set(err, "msgrcv: message longer than %zu bytes",
                           room);
        return err_sys(err, "msgrcv");
    }
    if ((size_t)n != len)
        return err_set(err, "msgrcv: %zd-byte message, expected %zu", n,
                       len);
    *msg = p->rbuf->mtext;      /* read in place, until the next recv */
    return 0;
}

static void msgq_detach(struct tp_channel *ch)
{
    struct msgq_priv *p = ch->priv;

    free(p->sbuf);
    free(p->rbuf);
    p->sbuf = p->rbuf = NULL;
}

/* Parent, always: the queue goes now (see the header). */
static void msgq_destroy(struct tp_channel *ch)
{
    struct msgq_priv *p = ch->priv;

    if (p == NULL)
        return;
    if (p->id != -1) {
        (void)msgctl(p->id, IPC_RMID, NULL);
        journal_forget_id(JOURNAL_SYSV_MSG, p->id);
    }
    free(p);
    ch->priv = NULL;
}

static const struct transport sysv_msgq_transport = {
    .name = "sysv_msgq",
    .family = TP_IPC,
    .summary = "System V message queue (msgsnd/msgrcv), typed messages",
    .caps = TP_MESSAGES | TP_DUPLEX,
    /* msgsnd, msgrcv */
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(1, 1),
    .check_size = msgq_check_size,
    .create = msgq_create,
    .attach = msgq_attach,
    .send = msgq_send,
    .recv = msgq_recv,
    .detach = msgq_detach,
    .destroy = msgq_destroy,
};
TRANSPORT_REGISTER(sysv_msgq_transport);
