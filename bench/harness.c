/* harness.c - the one timing harness: one cell, warm-up + reps runs.
 *
 * A cell is one transport x mode x size x placement.  It runs warm-up
 * runs (discarded) and then --reps measured runs, each a fresh pair of
 * processes (bench/proc.c) running the measured loops (bench/loops.c);
 * the row reports the median across reps of every figure, and min, max
 * and CV of the main one (bench/figures.c).
 *
 *      bench_run
 *        figures_cell_na       does the cell apply?  else an n/a row
 *        fit_time              --time: a pilot run sets the counts
 *        for each run:
 *          proc_run            create, fork, barrier, loops, reap,
 *                              destroy; one run's figures
 *        figures_aggregate     the row
 */
#include <stdio.h>
#include <string.h>

#include "figures.h"
#include "harness.h"
#include "proc.h"
#include "util.h"

#define MAX_RUNS 64

const char *bench_placement_name(enum placement p)
{
    switch (p) {
    case PLACE_SPREAD: return "spread";
    case PLACE_SAME: return "same";
    case PLACE_OS: return "os";
    case PLACE_CPUS: return "cpus";
    }
    return "?";
}

const char *bench_mode_name(enum tp_mode mode)
{
    return mode == MODE_THROUGHPUT ? "throughput"
           : mode == MODE_PACED    ? "paced"
                                   : "latency";
}

const char *bench_status_name(enum bench_status s)
{
    switch (s) {
    case RES_OK: return "ok";
    case RES_FAILED: return "failed";
    case RES_NA: return "n/a";
    }
    return "?";
}

const char *bench_code_name(enum bench_code c)
{
    switch (c) {
    case CODE_OK: return "ok";
    case CODE_MODE_NOT_APPLICABLE: return "mode_not_applicable";
    case CODE_OVER_LIMIT: return "over_limit";
    case CODE_NOT_PERMITTED: return "not_permitted";
    case CODE_TIMEOUT: return "timeout";
    case CODE_CHILD_DIED: return "child_died";
    case CODE_VERIFICATION_FAILED: return "verification_failed";
    case CODE_ERROR: return "error";
    }
    return "?";
}

int bench_interrupt_signal(void)
{
    return proc_interrupted();
}

void bench_config_defaults(struct bench_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->bytes = 256u << 20;
    cfg->iterations = 100000;
    cfg->paced_iterations = 2000;
    cfg->interval_ns = 100000;
    cfg->warmup = 1;
    cfg->reps = 5;
    cfg->timeout_s = 60;
    cfg->verify = VERIFY_SUM;
    cfg->placement = PLACE_SPREAD;
    cfg->cpu[0] = cfg->cpu[1] = -1;
    cfg->fault = FAULT_NONE;
}

/* A run that did not succeed: the row fails, or is n/a when create() said
 * the run is not possible here. */
static void run_failed(struct bench_result *res, unsigned run,
                       const struct proc_outcome *out)
{
    res->status = RES_FAILED;
    res->code = out->code;
    if (out->refused != TP_REFUSED_NO) {
        res->status = RES_NA;
        res->code = out->refused == TP_REFUSED_NOT_PERMITTED
                        ? CODE_NOT_PERMITTED : CODE_OVER_LIMIT;
    }
    err_set(res->reason, "run %u: %s", run, out->why);
}

/* --time: the counts that make one run last about cfg->time_ns, from a
 * short pilot run (discarded, like a warm-up run).  A slow transport gets
 * fewer messages instead of a timeout; a fast one more than the default.
 * Paced runs are paced: the interval alone sets their count.  Transports
 * that count their own events (custom) keep their counts.  0, -1 harness
 * error, BENCH_INTERRUPTED; a failed pilot fails the row (res). */
#define PILOT_TRIPS 200u
#define PILOT_BYTES (4u << 20)

static int fit_time(struct bench_config *cfg, const struct transport *tp,
                    enum tp_mode mode, size_t size_bytes,
                    struct bench_result *res, char *tp_note, char *err)
{
    struct bench_config pilot = *cfg;
    struct run_figures fig;
    struct proc_outcome out;
    double per_s, n;
    int rc;

    if (tp->custom != NULL)
        return 0;
    if (mode == MODE_PACED) {
        n = (double)cfg->time_ns / (double)cfg->interval_ns;
        cfg->paced_iterations = n < 1 ? 1 : (uint64_t)n;
        return 0;
    }
    pilot.warmup = 0;
    pilot.reps = 1;
    pilot.samples_run = 0;              /* not a measured run */
    if (pilot.iterations > PILOT_TRIPS)
        pilot.iterations = PILOT_TRIPS;
    if (size_bytes > 0 && pilot.bytes > PILOT_BYTES)
        pilot.bytes = PILOT_BYTES > size_bytes ? PILOT_BYTES : size_bytes;
    memset(&fig, 0, sizeof(fig));
    rc = proc_run(&pilot, tp, mode, size_bytes, res->cpu, 0, &fig, &out, err);
    if (rc != 0)
        return rc;
    snprintf(tp_note, NOTE_LEN, "%s", out.note);
    if (!out.ok) {
        run_failed(res, 0, &out);
        return 0;
    }
    per_s = fig.msgs_per_s > 0 ? fig.msgs_per_s : 1;
    n = per_s * (double)cfg->time_ns / 1e9;
    if (n < 1)
        n = 1;
    if (n > 1e9)
        n = 1e9;
    if (mode == MODE_THROUGHPUT && size_bytes > 0 &&
        !(tp->caps & TP_NO_SIZE))
        cfg->bytes = (uint64_t)n * size_bytes;
    else
        cfg->iterations = (uint64_t)n;
    return 0;
}

/* The warm-up and measured runs.  0 (res->status says how they went),
 * -1 harness error, BENCH_INTERRUPTED. */
static int run_all(const struct bench_config *cfg, const struct transport *tp,
                   enum tp_mode mode, size_t size_bytes,
                   struct bench_result *res, struct run_figures *fig,
                   char *tp_note, char *err)
{
    unsigned total = cfg->warmup + cfg->reps;

    for (unsigned r = 0; r < total; r++) {
        struct run_figures *f = &fig[r < cfg->warmup ? 0 : r - cfg->warmup];
        int counting = r + 1 == cfg->warmup;    /* the last warm-up run */
        struct proc_outcome out;
        struct bench_config run_cfg = *cfg;
        int rc;

        run_cfg.samples_run = r < cfg->warmup ? 0 : r - cfg->warmup + 1;
        rc = proc_run(&run_cfg, tp, mode, size_bytes, res->cpu, counting,
                      counting ? &fig[MAX_RUNS] : f, &out, err);

        if (rc != 0)
            return rc;
        snprintf(tp_note, NOTE_LEN, "%s", out.note);
        res->facts = out.facts;
        if (mode != MODE_PACED)
            res->interval_ns = out.facts.interval_ns;
        if (!out.ok) {
            run_failed(res, r + 1, &out);
            return 0;
        }
        if (r >= cfg->warmup)
            res->reps++;
    }
    return 0;
}

/* --max-time T, for runs of given counts (a sweep's): the cell runs the
 * counts given, but a run of them that lasts longer than T is stopped as
 * a timeout would stop it; then a pilot measures the cell's rate and the
 * cell runs again, from its first warm-up, with the counts of about T/2
 * (*fitted, and the note says so).  A slow transport in a sweep gets
 * fewer messages instead of a failed row; the others keep their counts. */
static int run_capped(const struct bench_config *cfg,
                      const struct transport *tp, enum tp_mode mode,
                      size_t size_bytes, struct bench_result *res,
                      struct run_figures *fig, char *tp_note,
                      struct bench_config *fitted, char *err)
{
    struct bench_result start = *res;
    struct bench_config capped = *cfg;
    uint64_t cap_s = (cfg->max_time_ns + 999999999u) / 1000000000u;
    int rc;

    if (cap_s >= cfg->timeout_s || tp->custom != NULL ||
        mode == MODE_PACED)
        return run_all(cfg, tp, mode, size_bytes, res, fig, tp_note, err);
    capped.timeout_s = (unsigned)cap_s;
    rc = run_all(&capped, tp, mode, size_bytes, res, fig, tp_note, err);
    if (rc != 0 || res->status != RES_FAILED || res->code != CODE_TIMEOUT)
        return rc;
    *res = start;               /* as if that run had not been */
    *fitted = *cfg;
    fitted->time_ns = cfg->max_time_ns / 2;
    rc = fit_time(fitted, tp, mode, size_bytes, res, tp_note, err);
    fitted->time_ns = 0;
    if (rc != 0 || res->status != RES_OK)
        return rc;
    fitted->max_time_ns = 0;    /* the note's mark: re-planned */
    return run_all(fitted, tp, mode, size_bytes, res, fig, tp_note, err);
}

int bench_run(const struct bench_config *cfg, const struct transport *tp,
              enum tp_mode mode, size_t size_bytes, struct bench_result *res,
              char *err)
{
    struct proc_signals saved;
    struct run_figures fig[MAX_RUNS + 1];   /* + the counting run's */
    struct bench_config timed;              /* --time: the fitted counts */
    uint64_t timed_cap_ns = cfg->max_time_ns;   /* --max-time */
    char tp_note[NOTE_LEN] = "";
    int rc;

    memset(res, 0, sizeof(*res));
    res->tp = tp;
    res->mode = mode;
    res->status = RES_NA;
    res->interval_ns = mode == MODE_PACED ? cfg->interval_ns : 0;
    if (tp->caps & TP_NO_SIZE)
        size_bytes = (tp->caps & TP_NO_PAYLOAD) ? 0 : 4;
    res->size_bytes = (tp->caps & TP_NO_SIZE) ? 0 : size_bytes;
    snprintf(res->placement, sizeof(res->placement), "%s",
             bench_placement_name(cfg->placement));
    if (proc_interrupted())
        return BENCH_INTERRUPTED;
    if (cfg->reps == 0 || cfg->reps > MAX_RUNS || cfg->warmup > MAX_RUNS)
        return err_set(err, "reps must be 1..64 and warmup 0..64");
    if (bench_placement_cpus(cfg, res->cpu, err) == -1)
        return -1;
    if (mode == MODE_PACED && cfg->interval_ns == 0 &&
        !(tp->caps & TP_NO_LATENCY) && tp->custom == NULL &&
        tp->family != TP_LIMIT)
        return err_set(err, "paced mode needs an interval above 0");
    if (figures_cell_na(tp, mode, size_bytes, res))
        return 0;
    (void)counters_probe(NULL, 0);  /* once, before any fork: may fork */
    if (proc_signals_install(&saved, err) == -1)
        return -1;
    res->status = RES_OK;
    if (cfg->time_ns > 0) {         /* the counts from a pilot run */
        struct bench_config *fitted = &timed;

        timed = *cfg;
        rc = fit_time(fitted, tp, mode, size_bytes, res, tp_note, err);
        if (rc != 0 || res->status != RES_OK) {
            proc_signals_restore(&saved);
            if (rc != 0)
                res->status = RES_FAILED;
            figures_note(res, tp_note, cfg->verify);
            return rc;
        }
        cfg = fitted;
    }
    if (cfg->max_time_ns > 0 && cfg->time_ns == 0) {
        timed = *cfg;           /* re-planned: max_time_ns comes back 0 */
        rc = run_capped(cfg, tp, mode, size_bytes, res, fig, tp_note,
                        &timed, err);
        if (timed.max_time_ns == 0)
            cfg = &timed;
    } else {
        rc = run_all(cfg, tp, mode, size_bytes, res, fig, tp_note, err);
    }
    proc_signals_restore(&saved);
    if (rc != 0) {
        res->status = RES_FAILED;
        return rc;
    }
    if (res->status == RES_OK) {
        if (mode == MODE_THROUGHPUT)    /* custom(): what it says it sent */
            res->messages = tp->custom != NULL
                                ? fig[0].sent
                                : figures_run_messages(cfg, tp, size_bytes);
        else
            res->messages = figures_round_trips(cfg, tp, mode);
        res->bytes = res->messages * size_bytes;
        figures_aggregate(res, fig, res->reps);
        if (cfg->warmup > 0)
            figures_counted(res, &fig[MAX_RUNS]);
    }
    if (cfg->time_ns > 0 && res->status == RES_OK && tp->custom == NULL) {
        char t[32], with[NOTE_LEN];

        format_interval(cfg->time_ns, t, sizeof(t));
        snprintf(with, sizeof(with), "%.70s%s--time %.12s: %llu per run",
                 tp_note, tp_note[0] != '\0' ? "; " : "", t,
                 (unsigned long long)res->messages);
        snprintf(tp_note, NOTE_LEN, "%s", with);
    } else if (cfg == &timed && res->status == RES_OK) {
        char t[32], with[NOTE_LEN];

        format_interval(timed_cap_ns, t, sizeof(t));
        snprintf(with, sizeof(with), "%.60s%sa run took over --max-time "
                 "%.12s: %llu per run instead", tp_note,
                 tp_note[0] != '\0' ? "; " : "", t,
                 (unsigned long long)res->messages);
        snprintf(tp_note, NOTE_LEN, "%s", with);
    }
    figures_note(res, tp_note, cfg->verify);
    return 0;
}
