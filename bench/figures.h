/* figures.h - the arithmetic of a row, and nothing else.
 *
 * Pure functions: from what one run counted and timed to that run's
 * figures, and from a cell's runs to its row (struct bench_result).  No
 * fork, no clock, no system call: tests/test_figures.c feeds them made-up
 * samples.  Library code: never prints, never exits. */
#ifndef IPCLAB_FIGURES_H
#define IPCLAB_FIGURES_H

#include <stdint.h>

#include "harness.h"

#define LAT_WARMUP_MAX 1000     /* warm-up round trips inside each run */

/* What the children of one run counted and timed. */
struct run_counts {
    uint64_t t_start_ns, t_end_ns;          /* throughput: the transfer */
    uint64_t paced_start_ns, paced_end_ns;  /* paced: the measured slots */
    uint64_t sent;                  /* custom(): events it sent */
    uint64_t received, lost, duplicated, reordered;
    uint64_t errors[TP_ERR_N];      /* custom(): failed requests by kind */
    int verified;                   /* the consumer's (or custom's) word */
    /* Each side, [role]: its rusage counts at the start barrier, and, in
     * the run that counts (the parent sets `counting`), its perf
     * counters from the barrier to its last message. */
    int counting;
    uint64_t ru_base[2][RU_N];
    uint64_t ctr[2][CTR_N];
    unsigned ctr_valid[2];
};

/* Everything figures_run() looks at. */
struct run_input {
    const struct transport *tp;
    enum tp_mode mode;              /* the cell's: paced stays paced */
    size_t size_bytes;
    enum verify_level verify;
    uint64_t messages;              /* the channel's: latency incl. warm-up */
    double cpu_ns;                  /* user+sys of both, from the barrier */
    double consumer_cpu_ns;         /* the consumer's share of cpu_ns */
    const struct run_counts *counts;
    uint64_t *samples_ns;           /* latency: one per measured round
                                       trip, 0 = lost; sorted in place */
    uint64_t nsamples;
    uint64_t ru_end[2][RU_N];       /* each side's rusage counts as wait4
                                       gave them (minus counts->ru_base:
                                       the measured part) */
    unsigned sides;                 /* bit (1 << role): the side ran */
};

/* What one run yields, before aggregation. */
struct run_figures {
    double mb_per_s, msgs_per_s, main;
    double rtt_ns[LAT_N];
    double cpu_ns_per_msg;          /* both processes, measured part */
    double consumer_cpu_ns_per_msg; /* the consumer alone */
    double cpu_ms_per_mb;
    uint64_t lost, duplicated, reordered;
    uint64_t errors[TP_ERR_N];      /* custom(): failed requests by kind */
    uint64_t sent;                  /* messages (custom: events) sent */
    int verified;
    double ru_per_msg[2][RU_N];     /* per message (round trip) */
    double ctr_per_msg[2][CTR_N];
    unsigned sides;                 /* as in run_input */
    unsigned ctr_valid[2];
};

/* Messages one throughput run sends: --bytes worth, or --iterations
 * events for a transport whose message size does not apply. */
uint64_t figures_run_messages(const struct bench_config *cfg,
                              const struct transport *tp, size_t size);
/* Measured round trips per run of a latency or paced cell (at most the
 * transport's max_round_trips), and the warm-up round trips sent before
 * them inside the same run. */
uint64_t figures_round_trips(const struct bench_config *cfg,
                             const struct transport *tp, enum tp_mode mode);
uint64_t figures_warmup_trips(uint64_t round_trips);

/* Does this cell apply at all?  0 if so; else 1 with res->status n/a,
 * res->code and res->reason set.  Asks tp->check_size() about the size. */
int figures_cell_na(const struct transport *tp, enum tp_mode mode,
                    size_t size_bytes, struct bench_result *res);

/* One run's figures.  0 when the run counts as a success; -1 with `why`
 * and *code when its own figures say it failed (no time elapsed, no round
 * trip, bytes not verified, counts that do not add up). */
int figures_run(const struct run_input *in, struct run_figures *fig,
                enum bench_code *code, char *why);

/* The row from n >= 1 measured runs: medians of every figure, min, max
 * and CV of the main one, losses summed, verified only if every run was
 * (-1, n/a, when the transport carries nothing to verify). */
void figures_aggregate(struct bench_result *res, const struct run_figures *f,
                       unsigned n);

/* The row's perf counters, from the one run that counted them (the last
 * warm-up run: counting slows what it counts, so no measured run does).
 * Only for the sides that ran in it. */
void figures_counted(struct bench_result *res,
                     const struct run_figures *counting);

/* The row's remark: "paced: one round trip every 100 us" first in paced
 * mode, then the transport's own note, then "bytes not verified" when
 * --verify none left the bytes unchecked. */
void figures_note(struct bench_result *res, const char *tp_note,
                  enum verify_level verify);

#endif
