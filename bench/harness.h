/* harness.h - the one timing harness: runs one cell (transport x mode x
 * size x placement) for warm-up + reps runs and summarises them.
 * Library code: returns errors, never prints, never exits. */
#ifndef IPCLAB_HARNESS_H
#define IPCLAB_HARNESS_H

#include <stdint.h>
#include <stdio.h>

#include "counters.h"
#include "transport.h"

enum placement { PLACE_SPREAD, PLACE_SAME, PLACE_OS, PLACE_CPUS };
/* NONE checks only the sequence numbers, not the bytes: it exists to
 * measure what verification itself costs; such rows say verified "no". */
enum verify_level { VERIFY_SUM, VERIFY_FULL, VERIFY_NONE };

/* Test hooks: make one side misbehave on purpose (tests only).  A run
 * with a fault goes through a wrapper transport (bench/fault.h) around
 * the real one; the measured loops never look at it. */
enum test_fault {
    FAULT_NONE,
    FAULT_CORRUPT,              /* producer flips one byte of one message */
    FAULT_HANG,                 /* consumer stops receiving, forever */
    FAULT_CRASH,                /* consumer dies of SIGSEGV mid-run */
    FAULT_EXIT,                 /* consumer exits with status 3 mid-run */
    FAULT_STALE_BODY,           /* producer sends the previous body again */
    FAULT_SWAP_WORDS,           /* producer swaps two 8-byte body words */
    FAULT_FLIP_BITS,            /* producer flips bit 63 of two words */
    FAULT_DROP_BODY             /* consumer gets only the header */
};

struct bench_config {
    uint64_t bytes;             /* throughput: bytes per run (--bytes) */
    uint64_t iterations;        /* latency: round trips per run */
    uint64_t paced_iterations;  /* paced: round trips per run */
    uint64_t interval_ns;       /* paced: one round trip every interval */
    unsigned warmup;            /* discarded runs before the reps */
    unsigned reps;              /* measured runs */
    unsigned timeout_s;         /* per run; the run fails after it */
    enum verify_level verify;
    enum placement placement;
    int cpu[2];                 /* PLACE_CPUS: producer, consumer */
    enum test_fault fault;
    unsigned point;             /* tp->points(): the point of this cell */
    FILE *samples;              /* --samples: every measured round trip
                                   goes there (bench/samples.h); NULL: no */
    unsigned samples_run;       /* set by the harness: the measured run
                                   (1..reps) a proc_run is, 0 otherwise */
    uint64_t time_ns;           /* --time: each run lasts about this long
                                   (a pilot run sets the counts); 0: the
                                   counts above */
    uint64_t max_time_ns;       /* --max-time: the counts above, unless a
                                   run of them lasts longer than this: then
                                   about half of it, from a pilot; 0: off */
};

void bench_config_defaults(struct bench_config *cfg);

enum bench_status { RES_OK, RES_FAILED, RES_NA };

/* Why a row is what it is, for scripts (the `status_code` column); the
 * sentence for a human is in `reason`. */
enum bench_code {
    CODE_OK,
    CODE_MODE_NOT_APPLICABLE,   /* n/a: the transport has no such mode */
    CODE_OVER_LIMIT,            /* n/a: the size is outside what the
                                   transport or the machine allows */
    CODE_NOT_PERMITTED,         /* n/a: refused to this user */
    CODE_TIMEOUT,               /* failed: --timeout ran out */
    CODE_CHILD_DIED,            /* failed: a child was killed or exited */
    CODE_VERIFICATION_FAILED,   /* failed: wrong, lost or reordered bytes */
    CODE_ERROR                  /* failed: a system call or transport error */
};

/* Latency percentiles, in this order everywhere (CSV columns too). */
enum { LAT_MIN, LAT_P50, LAT_P90, LAT_P99, LAT_P999, LAT_MAX, LAT_MEAN,
       LAT_STDDEV, LAT_N };

struct bench_result {
    const struct transport *tp;
    enum tp_mode mode;
    size_t size_bytes;
    char placement[32];         /* "spread", "same", "os", "cpus" */
    int cpu[2];                 /* CPUs used, -1 when not pinned */
    enum bench_status status;
    enum bench_code code;       /* machine-readable status */
    char reason[ERR_LEN];       /* why failed / n/a; "" when ok */
    unsigned reps;              /* measured runs that completed */
    /* the main figure: throughput MB/s, or latency round-trip p50 ns */
    double median, min, max, cv_pct;
    double ci_low, ci_high;         /* 95 % CI of median, when has_ci */
    int has_ci;                     /* 2 reps or more */
    double mb_per_s, msgs_per_s;    /* medians across reps */
    double rtt_ns[LAT_N];           /* latency: median across reps */
    double cpu_ns_per_msg;          /* user+sys of both processes */
    double consumer_cpu_ns_per_msg; /* the consumer's (a server's) alone */
    double cpu_ms_per_mb;
    uint64_t messages;              /* per run */
    uint64_t bytes;                 /* per run */
    uint64_t lost, duplicated, reordered;   /* summed over reps */
    uint64_t errors[TP_ERR_N];      /* custom(): failed requests by kind
                                       (a server's load), summed over reps */
    int verified;                   /* 1 every byte checked and right */
    char note[NOTE_LEN];            /* a remark, never the reason */
    char flags[16];                 /* "unsteady": the guard saw the
                                       machine move twice (--guard) */
    uint64_t interval_ns;           /* paced: the pause; 0 otherwise */
    struct tp_facts facts;          /* as create() said (last run) */
    /* Per message (latency: per round trip, warm-up trips included, like
     * the CPU figures), [role].  rusage: medians across reps, for the
     * sides in ru_sides (no consumer in solo runs).  perf counters: from
     * the last warm-up run (none with --warmup 0), those in ctr_valid. */
    double ru_per_msg[2][RU_N];
    double ctr_per_msg[2][CTR_N];
    unsigned ru_sides;              /* bit (1 << role) */
    unsigned ctr_valid[2];          /* bits (1 << enum ctr_id) */
};

/* Run one cell.  Returns 0 when the cell was handled (res->status says
 * how it went), -1 on a harness failure (err set), and BENCH_INTERRUPTED
 * when SIGINT/SIGTERM arrived: children were killed and every object
 * removed; bench_interrupt_signal() says which signal. */
#define BENCH_INTERRUPTED (-2)
int bench_run(const struct bench_config *cfg, const struct transport *tp,
              enum tp_mode mode, size_t size_bytes, struct bench_result *res,
              char *err);
int bench_interrupt_signal(void);

/* The consumer's half of one run, exported for `ipclab serve` (a remote
 * consumer): receives ch->messages messages (and in latency mode echoes
 * each one back), verifying every byte as the local consumer does. */
struct consume_stats {
    uint64_t received, lost, duplicated, reordered;
    int verified;               /* 1 when every message checked out */
};
int bench_consume(struct tp_channel *ch, enum verify_level verify,
                  struct consume_stats *st, char *err);

/* Resolve the two CPUs a placement uses (-1 = not pinned). */
int bench_placement_cpus(const struct bench_config *cfg, int cpu[2],
                         char *err);
const char *bench_placement_name(enum placement p);
const char *bench_mode_name(enum tp_mode mode);
const char *bench_status_name(enum bench_status s);
const char *bench_code_name(enum bench_code c);

#endif
