/* loops.c - the measured loops, one per side and mode.
 *
 *      producer (throughput)            consumer
 *      t0 = clock                       for each message:
 *      for each message:                  recv, check sequence and body
 *        stamp sequence number, send    t1 = clock
 *      finish()
 *
 *      producer (latency, paced)        consumer
 *      for each round trip:             for each message:
 *        [paced: sleep until the slot]    recv, check
 *        send, recv the echo, check       send it back
 *        one clock read
 *
 * Only the producer reads the clock in latency mode (once per round
 * trip; paced, also after each pause); in throughput mode the producer
 * reads it before its first send and the consumer after its last receive
 * - both CLOCK_MONOTONIC, one clock for the whole machine.
 *
 * Paced mode is latency mode with a pause: the producer sleeps until the
 * next multiple of --interval before each round trip (clock_nanosleep on
 * an absolute CLOCK_MONOTONIC time, so the pauses do not drift), and times
 * the round trip from its send.  Both sides are then idle most of the
 * time, and what a transport costs to wait shows in the CPU column: a
 * spinning side burns its CPU for the whole interval, a sleeping one pays
 * for the system calls and the wake-up instead.  A late round trip is not
 * made up for: the next one starts at once, never two back to back.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "loops.h"
#include "util.h"

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Sleep until CLOCK_MONOTONIC reads t_ns (paced mode). */
static int sleep_until(uint64_t t_ns, char *err)
{
    struct timespec ts = { .tv_sec = (time_t)(t_ns / 1000000000u),
                           .tv_nsec = (long)(t_ns % 1000000000u) };
    int e;

    /* Returns the error number instead of setting errno. */
    while ((e = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
                                NULL)) == EINTR)
        ;
    if (e != 0) {
        errno = e;
        return err_sys(err, "clock_nanosleep");
    }
    return 0;
}

/* ---- a side's buffers ------------------------------------------------- */

void side_free(struct side *s)
{
    free(s->seen.bits);
    free(s->rbuf);
    free(s->buf);
    verify_free(&s->v);
    memset(s, 0, sizeof(*s));
}

int side_init(struct side *s, const struct tp_channel *ch, enum tp_role role,
              enum verify_level level, char *err)
{
    size_t alloc = (ch->msg_bytes + 63) / 64 * 64 + 64;
    int echo = role == ROLE_PRODUCER && ch->mode == MODE_LATENCY;

    memset(s, 0, sizeof(*s));
    if (verify_init(&s->v, ch->msg_bytes, level, err) == -1)
        return -1;
    /* The producer sends from the pool; it receives only echoes. */
    if (role == ROLE_CONSUMER)
        s->buf = aligned_alloc(64, alloc);
    else if (echo)
        s->rbuf = aligned_alloc(64, alloc);
    if ((role == ROLE_CONSUMER && s->buf == NULL) ||
        (echo && s->rbuf == NULL)) {
        err_sys(err, "aligned_alloc");
        side_free(s);
        return -1;
    }
    if (s->buf != NULL)
        memset(s->buf, 0, alloc);       /* map the pages now */
    if (s->rbuf != NULL)
        memset(s->rbuf, 0, alloc);
    verify_prepare(&s->v, ch->messages);
    if (role == ROLE_CONSUMER && (ch->tp->caps & TP_LOSSY)) {
        s->seen.n = ch->messages;
        s->seen.bits = calloc(ch->messages / 8 + 1, 1);
        if (s->seen.bits == NULL) {
            err_sys(err, "calloc");
            side_free(s);
            return -1;
        }
    }
    return 0;
}

/* ---- the consumer's loop (also `ipclab serve`'s) ---------------------- */

static void seen_record(struct seen_map *m, uint64_t seq,
                        struct consume_stats *st)
{
    if (seq >= m->n) {          /* not a sequence number we sent */
        st->verified = 0;
        return;
    }
    if (m->bits[seq / 8] & (1u << (seq % 8))) {
        st->duplicated++;
        return;
    }
    m->bits[seq / 8] |= (uint8_t)(1u << (seq % 8));
    m->distinct++;
    if (m->any && seq < m->max_seen)
        st->reordered++;
    if (!m->any || seq > m->max_seen)
        m->max_seen = seq;
    m->any = 1;
}

/* Check message number i (lossy: whatever number it carries). */
static int consume_check(struct side *s, const struct tp_channel *ch,
                         const uint8_t *msg, uint64_t i,
                         struct consume_stats *st, char *err)
{
    uint64_t seq = verify_seq(&s->v, msg);
    char why[ERR_LEN];

    if (ch->tp->caps & TP_LOSSY) {
        seen_record(&s->seen, seq, st);
    } else if (seq != verify_seq_mask(&s->v, i)) {
        err_set(err, "message %llu arrived as number %llu: out of order or "
                     "lost", (unsigned long long)i, (unsigned long long)seq);
        return LOOP_BAD_DATA;
    } else {
        seq = i;                /* all of it: the header may be short */
    }
    if (verify_body(&s->v, msg, seq, why) == -1) {
        err_set(err, "message %llu: %s", (unsigned long long)i, why);
        return LOOP_BAD_DATA;
    }
    return 0;
}

/* Receive (and in latency mode echo) ch->messages messages, checking
 * each. */
static int consume_loop(struct side *s, struct tp_channel *ch,
                        struct consume_stats *st, char *err)
{
    const struct transport *tp = ch->tp;
    uint64_t limit = ch->messages;
    int lossy = (tp->caps & TP_LOSSY) != 0;
    int payload = (tp->caps & TP_NO_PAYLOAD) == 0;
    const void *msg;

    memset(st, 0, sizeof(*st));
    st->verified = payload;
    for (uint64_t i = 0; lossy ? s->seen.distinct < limit : i < limit;
         i++) {
        int r = tp->recv(ch, s->buf, ch->msg_bytes, &msg, err);

        if (r == -1)
            return -1;
        if (r == TP_RECV_END)
            break;
        if (payload && (r = consume_check(s, ch, msg, i, st, err)) != 0)
            return r;
        st->received++;
        if (ch->mode == MODE_LATENCY &&
            tp->send(ch, msg, ch->msg_bytes, err) == -1)
            return -1;
        if (tp->release != NULL)
            tp->release(ch);
    }
    if (lossy)
        st->lost = limit - s->seen.distinct;
    return 0;
}

int bench_consume(struct tp_channel *ch, enum verify_level level,
                  struct consume_stats *st, char *err)
{
    struct side s;
    int rc;

    if (side_init(&s, ch, ROLE_CONSUMER, level, err) == -1)
        return -1;
    rc = consume_loop(&s, ch, st, err);
    side_free(&s);
    return rc == 0 ? 0 : -1;
}

int loops_consume(struct tp_channel *ch, struct side *s,
                  struct run_shared *sh, char *err)
{
    struct consume_stats st;
    int rc;

    if (ch->tp->serve != NULL)  /* a server: the producer counts */
        return ch->tp->serve(ch, err);
    rc = consume_loop(s, ch, &st, err);
    if (rc != 0)
        return rc;
    sh->counts.t_end_ns = now_ns();
    sh->counts.received = st.received;
    if (ch->mode == MODE_THROUGHPUT)    /* latency: the producer counts */
        sh->counts.lost = st.lost;      /* the round trips it lost */
    sh->counts.duplicated = st.duplicated;
    sh->counts.reordered = st.reordered;
    sh->counts.verified = st.verified;
    return 0;
}

/* ---- the producer's loops --------------------------------------------- */

static int produce_throughput(struct tp_channel *ch, struct side *s,
                              struct run_counts *c, char *err)
{
    const struct transport *tp = ch->tp;
    size_t len = ch->msg_bytes;

    c->t_start_ns = now_ns();
    for (uint64_t i = 0; i < ch->messages; i++)
        if (tp->send(ch, verify_message(&s->v, i), len, err) == -1)
            return -1;
    if (tp->finish != NULL && tp->finish(ch, err) == -1)
        return -1;
    if (ch->solo)
        c->t_end_ns = now_ns();
    if (ch->solo && ch->peer_reported) {    /* the remote consumer's */
        c->received = ch->peer_received;
        c->lost = ch->peer_lost;
        c->duplicated = ch->peer_duplicated;
        c->reordered = ch->peer_reordered;
        c->verified = ch->peer_verified;
    }
    return 0;
}

/* Check the echo of round trip i. */
static int check_reply(struct side *s, const uint8_t *msg, uint64_t i,
                       char *err)
{
    uint64_t seq = verify_seq(&s->v, msg);
    char why[ERR_LEN];

    if (seq != verify_seq_mask(&s->v, i)) {
        err_set(err, "reply %llu carries sequence number %llu",
                (unsigned long long)i, (unsigned long long)seq);
        return LOOP_BAD_DATA;
    }
    if (verify_body(&s->v, msg, i, why) == -1) {
        err_set(err, "reply %llu: %s", (unsigned long long)i, why);
        return LOOP_BAD_DATA;
    }
    return 0;
}

/* Paced: wait for round trip i's slot; *t_start is when it starts. */
static int paced_wait(struct run_shared *sh, uint64_t i, uint64_t warm,
                      uint64_t *next, uint64_t *t_start, char *err)
{
    if (i == warm)
        sh->counts.paced_start_ns = now_ns();
    *next += sh->interval_ns;
    if (sleep_until(*next, err) == -1)
        return -1;
    *t_start = now_ns();        /* the round trip starts now */
    if (*t_start > *next)
        *next = *t_start;       /* late: no catching up in a burst */
    return 0;
}

static int produce_latency(struct tp_channel *ch, struct side *s,
                           struct run_shared *sh, char *err)
{
    const struct transport *tp = ch->tp;
    size_t len = ch->msg_bytes;
    uint64_t warm = ch->messages - sh->nsamples, t_prev, t, next;
    int payload = (tp->caps & TP_NO_PAYLOAD) == 0, r;
    const void *msg;

    /* Paced: wake on time.  A normal thread's timers may fire up to 50 us
     * late by default (timer slack, to batch wake-ups); that would make a
     * 100 us pace 150 us.  See prctl(2), PR_SET_TIMERSLACK. */
    if (sh->interval_ns > 0 && prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0) == -1)
        return err_sys(err, "prctl(PR_SET_TIMERSLACK)");
    t_prev = next = now_ns();
    for (uint64_t i = 0; i < ch->messages; i++) {
        if (sh->interval_ns > 0 &&
            paced_wait(sh, i, warm, &next, &t_prev, err) == -1)
            return -1;
        if (tp->send(ch, verify_message(&s->v, i), len, err) == -1)
            return -1;
        r = tp->recv(ch, s->rbuf, len, &msg, err);
        if (r == -1)
            return -1;
        if (r == TP_RECV_END) {     /* lossy: this round trip was lost */
            sh->counts.lost++;
            t_prev = now_ns();
            continue;
        }
        if (payload && (r = check_reply(s, msg, i, err)) != 0)
            return r;
        if (tp->release != NULL)
            tp->release(ch);
        t = now_ns();               /* the one clock read per round trip */
        if (i >= warm)
            sh->samples_ns[i - warm] = t - t_prev;
        t_prev = t;
    }
    if (sh->interval_ns > 0)
        sh->counts.paced_end_ns = now_ns();
    if (tp->finish != NULL && tp->finish(ch, err) == -1)
        return -1;
    if (ch->solo && ch->peer_reported) {    /* lost: ours, per round trip */
        sh->counts.duplicated = ch->peer_duplicated;
        sh->counts.reordered = ch->peer_reordered;
        sh->counts.verified = ch->peer_verified;
    }
    return 0;
}

/* The transport's own whole action, timed around. */
static int produce_custom(struct tp_channel *ch, struct run_shared *sh,
                          char *err)
{
    struct tp_counts counts = { .samples_ns = sh->samples_ns,
                                .max_samples = sh->nsamples };
    struct run_counts *c = &sh->counts;
    uint64_t failed;
    int rc;

    c->t_start_ns = now_ns();
    rc = ch->tp->custom(ch, &counts, err);
    c->t_end_ns = now_ns();
    c->sent = counts.sent;
    c->received = counts.received;
    c->lost = counts.lost;
    failed = 0;
    for (int k = 0; k < TP_ERR_N; k++)
        failed += c->errors[k] = counts.errors[k];
    c->verified = rc == 0 &&
                  counts.received + counts.lost + failed == counts.sent;
    if (ch->mode == MODE_LATENCY && counts.nsamples > 0 &&
        counts.nsamples < sh->nsamples)
        sh->nsamples = counts.nsamples;     /* the samples it took */
    return rc;
}

int loops_produce(struct tp_channel *ch, struct side *s,
                  struct run_shared *sh, char *err)
{
    if (ch->tp->custom != NULL)
        return produce_custom(ch, sh, err);
    if (ch->mode == MODE_THROUGHPUT)
        return produce_throughput(ch, s, &sh->counts, err);
    return produce_latency(ch, s, sh, err);
}
