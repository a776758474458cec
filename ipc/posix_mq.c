/* posix_mq.c - POSIX message queues: named queues of prioritised messages.
 *
 * What it is.  mq_open(3) opens a queue by name ("/something"); mq_send(3)
 * adds a message with a priority, mq_receive(3) takes the oldest message of
 * the highest priority.  Boundaries are kept, the queue's depth and message
 * size are fixed when it is created, and on Linux a queue descriptor is a
 * file descriptor, so it works with poll/epoll, and mq_notify can signal
 * arrival.  Choose it over System V queues in new code; see mq_overview(7).
 *
 * Kernel objects.  One queue per direction ("ping", and "pong" in latency
 * mode) in the mqueue file system (visible in /dev/mqueue when mounted).
 * The parent creates each one with a name nobody can predict (unique_name),
 * O_CREAT | O_EXCL (fail rather than share someone else's queue), mode 0600
 * and an mq_attr sized to the message, then closes it; the queue lives on
 * by its name.  Each child opens the queues by name in attach() - the point
 * of a named queue is that unrelated processes can do exactly this - and
 * once both hold them the parent mq_unlink()s the names (ready); the queues
 * then vanish with the last descriptor.  destroy() unlinks whatever a
 * failed or interrupted run left.  A SIGKILL of the harness runs no
 * destroy(): so each name is in the run's journal (bench/journal.h) from
 * just before mq_open until mq_unlink, and the next run or `ipclab clean`
 * removes the queues of a harness that is gone.
 *
 * Copies.  Two per byte: mq_send() copies into a kernel msg_msg, allocated
 * per message; mq_receive() copies out of it.
 *
 * Waiting.  mq_send() sleeps while the queue holds mq_maxmsg messages,
 * mq_receive() while it is empty.
 *
 * Limits, read at run time and reported, never clamped:
 *   - mq_msgsize: at most /proc/sys/fs/mqueue/msgsize_max (8192 by
 *     default) - unless the process has CAP_SYS_RESOURCE, which the kernel
 *     lets go up to its hard limit of 16 MiB (HARD_MSGSIZEMAX);
 *   - mq_maxmsg: /proc/sys/fs/mqueue/msg_max (10 by default) is the depth
 *     asked for, less when the next limit requires it, at least 1;
 *   - RLIMIT_MSGQUEUE (`ulimit -q`, 800 KiB by default) bounds the bytes of
 *     all queues of one user together, about mq_maxmsg * (mq_msgsize + 96)
 *     each.  The depth is chosen to use at most half of it, so that other
 *     queues of the same user still fit; a size whose queues cannot hold
 *     one message each within the limit is refused.
 *
 * Protocol:
 *
 *      parent: mq_open(ping, O_CREAT|O_EXCL, 0600, attr); mq_close
 *              (the same for pong in latency mode)
 *
 *      producer                           consumer
 *      --------                           --------
 *      mq_open(ping, O_WRONLY)            mq_open(ping, O_RDONLY)
 *      mq_open(pong, O_RDONLY)            mq_open(pong, O_WRONLY)
 *
 *      parent: mq_unlink(ping); mq_unlink(pong)
 *
 *      mq_send(ping, msg) -----ping---->  mq_receive(ping)
 *      mq_receive(pong)   <----pong-----  mq_send(pong, msg)
 *
 * Usage: bin/posix_mq [--size 4K] ...   (or: ipclab run posix_mq)
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../bench/journal.h"
#include "../bench/transport.h"
#include "../bench/util.h"

#define PMQ_NAME_LEN 64
#define PMQ_MSG_OVERHEAD 96     /* kernel bytes per message besides text:
                                   struct msg_msg + a priority tree node */
#define PMQ_HARD_MSGSIZEMAX (16u << 20)  /* HARD_MSGSIZEMAX, kernel */

struct pmq_priv {
    char name[2][PMQ_NAME_LEN]; /* ping, pong; "" when unlinked */
    int nqueues;                /* 1 (throughput) or 2 (latency) */
    mqd_t rq, wq;               /* this child's queues after attach */
};

/* The queue depth for this size, or -1 with the limit that prevents it. */
static long pmq_depth(enum tp_mode mode, size_t msg_bytes, char *err)
{
    unsigned long msgsize_max, msg_max;
    struct rlimit rl;
    int nqueues = mode == MODE_LATENCY ? 2 : 1;
    unsigned long per_msg = msg_bytes + PMQ_MSG_OVERHEAD;
    unsigned long depth;

    if (read_proc_ulong("/proc/sys/fs/mqueue/msgsize_max", &msgsize_max,
                        err) == -1 ||
        read_proc_ulong("/proc/sys/fs/mqueue/msg_max", &msg_max, err) == -1)
        return -1;
    if (getrlimit(RLIMIT_MSGQUEUE, &rl) == -1)
        return err_sys(err, "getrlimit RLIMIT_MSGQUEUE");
    if (has_cap_sys_resource()) {
        if (msg_bytes > PMQ_HARD_MSGSIZEMAX)
            return err_set(err, "over the kernel's hard mq_msgsize limit "
                           "16M (HARD_MSGSIZEMAX); no sysctl raises it");
    } else if (msg_bytes > msgsize_max) {
        return err_set(err, "over msgsize_max %lu; raise "
                       "/proc/sys/fs/mqueue/msgsize_max", msgsize_max);
    }
    if (rl.rlim_cur != RLIM_INFINITY &&
        nqueues * per_msg > (unsigned long)rl.rlim_cur)
        return err_set(err, "over RLIMIT_MSGQUEUE %lu bytes (%d queue%s of "
                       "one message need %lu); raise it with ulimit -q",
                       (unsigned long)rl.rlim_cur, nqueues,
                       nqueues > 1 ? "s" : "", nqueues * per_msg);
    depth = msg_max;
    if (rl.rlim_cur != RLIM_INFINITY &&
        depth > rl.rlim_cur / 2 / nqueues / per_msg)
        depth = rl.rlim_cur / 2 / nqueues / per_msg;
    return depth > 0 ? (long)depth : 1;
}

static int pmq_check_size(const struct transport *tp, enum tp_mode mode,
                          size_t msg_bytes, char *err)
{
    (void)tp;
    return pmq_depth(mode, msg_bytes, err) == -1 ? -1 : 0;
}

static int pmq_create(struct tp_channel *ch, char *err)
{
    struct pmq_priv *p = calloc(1, sizeof(*p));
    struct mq_attr attr = { 0 };
    long depth;
    mqd_t q;

    if (p == NULL)
        return err_sys(err, "calloc");
    p->rq = p->wq = (mqd_t)-1;
    ch->priv = p;
    depth = pmq_depth(ch->mode, ch->msg_bytes, err);
    if (depth == -1)
        return -1;
    attr.mq_maxmsg = depth;
    attr.mq_msgsize = (long)ch->msg_bytes;
    p->nqueues = ch->mode == MODE_LATENCY ? 2 : 1;
    for (int i = 0; i < p->nqueues; i++) {
        if (unique_name(p->name[i], sizeof(p->name[i]), err) == -1 ||
            journal_record(JOURNAL_POSIX_MQ, p->name[i], err) == -1) {
            p->name[i][0] = '\0';
            return -1;
        }
        q = mq_open(p->name[i], O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600,
                    &attr);
        if (q == (mqd_t)-1) {
            int saved = errno;

            journal_forget(JOURNAL_POSIX_MQ, p->name[i]);
            p->name[i][0] = '\0';   /* not ours: never unlink it */
            errno = saved;
            if (errno == EMFILE)
                return err_set(err, "mq_open: RLIMIT_MSGQUEUE used up by "
                               "this user's queues (%ld x %zu bytes asked); "
                               "raise it with ulimit -q", depth,
                               ch->msg_bytes);
            return err_sys(err, "mq_open");
        }
        (void)mq_close(q);      /* the name keeps it until ready() */
    }
    snprintf(ch->note, sizeof(ch->note), "mq_maxmsg %ld", depth);
    return 0;
}

static int pmq_open(const char *name, int flags, mqd_t *q, char *err)
{
    *q = mq_open(name, flags | O_CLOEXEC);
    if (*q == (mqd_t)-1)
        return err_sys_ctx(err, "mq_open", name);
    return 0;
}

static int pmq_attach(struct tp_channel *ch, char *err)
{
    struct pmq_priv *p = ch->priv;
    int producer = ch->role == ROLE_PRODUCER;

    if (pmq_open(p->name[0], producer ? O_WRONLY : O_RDONLY,
                 producer ? &p->wq : &p->rq, err) == -1)
        return -1;
    if (p->nqueues == 2 &&
        pmq_open(p->name[1], producer ? O_RDONLY : O_WRONLY,
                 producer ? &p->rq : &p->wq, err) == -1)
        return -1;
    return 0;
}

/* Both children hold the queues: drop the names. */
static int pmq_ready(struct tp_channel *ch, char *err)
{
    struct pmq_priv *p = ch->priv;

    for (int i = 0; i < p->nqueues; i++) {
        if (mq_unlink(p->name[i]) == -1)
            return err_sys_ctx(err, "mq_unlink", p->name[i]);
        journal_forget(JOURNAL_POSIX_MQ, p->name[i]);
        p->name[i][0] = '\0';
    }
    return 0;
}

static int pmq_send(struct tp_channel *ch, const void *buf, size_t len,
                    char *err)
{
    struct pmq_priv *p = ch->priv;
    int rc;

    do
        rc = mq_send(p->wq, buf, len, 0);
    while (rc == -1 && errno == EINTR);
    if (rc == -1)
        return err_sys(err, "mq_send");
    return 0;
}

static int pmq_recv(struct tp_channel *ch, void *buf, size_t len,
                    const void **msg, char *err)
{
    struct pmq_priv *p = ch->priv;
    ssize_t n;

    *msg = buf;
    do
        n = mq_receive(p->rq, buf, len, NULL);
    while (n == -1 && errno == EINTR);
    if (n == -1)
        return err_sys(err, "mq_receive");
    if ((size_t)n != len)
        return err_set(err, "mq_receive: %zd-byte message, expected %zu", n,
                       len);
    return 0;
}

static void pmq_detach(struct tp_channel *ch)
{
    struct pmq_priv *p = ch->priv;

    if (p->rq != (mqd_t)-1)
        (void)mq_close(p->rq);
    if (p->wq != (mqd_t)-1)
        (void)mq_close(p->wq);
    p->rq = p->wq = (mqd_t)-1;
}

/* Parent, always: the names ready() did not get to. */
static void pmq_destroy(struct tp_channel *ch)
{
    struct pmq_priv *p = ch->priv;

    if (p == NULL)
        return;
    for (int i = 0; i < 2; i++)
        if (p->name[i][0] != '\0') {
            (void)mq_unlink(p->name[i]);
            journal_forget(JOURNAL_POSIX_MQ, p->name[i]);
        }
    free(p);
    ch->priv = NULL;
}

static const struct transport posix_mq_transport = {
    .name = "posix_mq",
    .family = TP_IPC,
    .summary = "POSIX message queues (mq_open by name), one per direction",
    .caps = TP_MESSAGES,
    /* mq_timedsend, mq_timedreceive */
    .copies = TP_COPIES(2), .syscalls = TP_SYSCALLS(1, 1),
    .check_size = pmq_check_size,
    .create = pmq_create,
    .attach = pmq_attach,
    .ready = pmq_ready,
    .send = pmq_send,
    .recv = pmq_recv,
    .detach = pmq_detach,
    .destroy = pmq_destroy,
};
TRANSPORT_REGISTER(posix_mq_transport);
