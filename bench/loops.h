/* loops.h - the measured loops: what each child does between the "go"
 * and its exit, for each mode.  Only send, receive, check and (producer)
 * read the clock: no fault test, no statistics, no process control.
 * Library code: returns errors, never prints, never exits. */
#ifndef IPCLAB_LOOPS_H
#define IPCLAB_LOOPS_H

#include <stdint.h>
#include <sys/time.h>
#include <sys/types.h>

#include "figures.h"
#include "harness.h"
#include "verify.h"

/* A loop's return value when the bytes were wrong (not a system call's
 * failure): the row's status code is then verification_failed. */
#define LOOP_BAD_DATA (-2)

/* What the children report, in a small shared mapping made before fork. */
struct run_shared {
    pid_t pid[2];
    struct timeval base_cpu[2];     /* user+sys at the start barrier */
    char err[2][ERR_LEN];
    int bad_data[2];                /* err says the bytes were wrong */
    struct run_counts counts;
    uint64_t interval_ns;           /* paced: the pause; 0 back to back */
    uint64_t nsamples;
    uint64_t samples_ns[];          /* latency: one round trip each */
};

/* Lossy transports: a bitmap of sequence numbers seen gives exact counts
 * of losses, duplicates and reordering. */
struct seen_map {
    uint8_t *bits;
    uint64_t n, distinct, max_seen;
    int any;
};

/* What a side needs besides the transport: the message pool and the
 * digests of its windows, buffers with their pages already mapped.  Made
 * before the side says "ready", so that none of it (filling the pool of a
 * 4 MiB message takes milliseconds) falls inside the measured interval,
 * which starts with the producer's first send. */
struct side {
    struct verify_ctx v;        /* the producer sends from v's pool */
    uint8_t *buf, *rbuf;        /* buf: the consumer's receive buffer;
                                   rbuf: the producer's echo buffer */
    struct seen_map seen;       /* consumer of a lossy transport */
};

int side_init(struct side *s, const struct tp_channel *ch, enum tp_role role,
              enum verify_level level, char *err);
void side_free(struct side *s);

/* The producer's whole measured part (custom(), throughput or latency,
 * paced when sh->interval_ns > 0); the consumer's.  0, -1 (err) or
 * LOOP_BAD_DATA (err says what was wrong). */
int loops_produce(struct tp_channel *ch, struct side *s,
                  struct run_shared *sh, char *err);
int loops_consume(struct tp_channel *ch, struct side *s,
                  struct run_shared *sh, char *err);

#endif
