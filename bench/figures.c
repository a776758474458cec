/* figures.c - from counts and samples to the figures of a row.
 *
 * Throughput: bytes (or messages) delivered over the time from the
 * producer's first send to the consumer's last receive.  Latency: the
 * percentiles of one run's round trips; a lost round trip (lossy
 * transports) left its slot at 0 and is dropped.  Paced: the same
 * percentiles, and msgs/s is the pace achieved over the measured slots.
 * A cell reports the median across its reps of every figure. */
#include <stdio.h>
#include <string.h>

#include "figures.h"
#include "stats.h"
#include "util.h"

uint64_t figures_run_messages(const struct bench_config *cfg,
                              const struct transport *tp, size_t size)
{
    uint64_t n;

    if ((tp->caps & TP_NO_SIZE) || size == 0)
        return cfg->iterations;
    n = cfg->bytes / size;
    return n > 0 ? n : 1;
}

uint64_t figures_round_trips(const struct bench_config *cfg,
                             const struct transport *tp, enum tp_mode mode)
{
    uint64_t n = mode == MODE_PACED ? cfg->paced_iterations : cfg->iterations;

    if (tp->max_round_trips != 0 && n > tp->max_round_trips)
        n = tp->max_round_trips;
    return n;
}

uint64_t figures_warmup_trips(uint64_t round_trips)
{
    uint64_t warm = round_trips / 10;

    return warm > LAT_WARMUP_MAX ? LAT_WARMUP_MAX : warm;
}

static int cell_na(struct bench_result *res, enum bench_code code)
{
    res->status = RES_NA;
    res->code = code;
    return 1;
}

int figures_cell_na(const struct transport *tp, enum tp_mode mode,
                    size_t size_bytes, struct bench_result *res)
{
    if ((mode == MODE_THROUGHPUT && (tp->caps & TP_NO_THROUGHPUT)) ||
        (mode != MODE_THROUGHPUT && (tp->caps & TP_NO_LATENCY)) ||
        (mode == MODE_THROUGHPUT && (tp->caps & TP_SOLO) && !tp->custom)) {
        err_set(res->reason, "%s mode does not apply to %s",
                bench_mode_name(mode), tp->name);
        return cell_na(res, CODE_MODE_NOT_APPLICABLE);
    }
    if (mode == MODE_PACED && (tp->custom != NULL || tp->family == TP_LIMIT)) {
        err_set(res->reason, "paced mode does not apply to %s (%s)", tp->name,
                tp->family == TP_LIMIT
                    ? "a reference row for back-to-back transfers"
                    : "it times its own loop: no round trip to pace");
        return cell_na(res, CODE_MODE_NOT_APPLICABLE);
    }
    if (tp->check_size != NULL &&
        tp->check_size(tp, tp_channel_mode(mode), size_bytes,
                       res->reason) == -1)
        return cell_na(res, CODE_OVER_LIMIT);
    return 0;
}

static int throughput_figures(const struct run_input *in,
                              struct run_figures *fig, char *why)
{
    const struct run_counts *c = in->counts;
    const struct transport *tp = in->tp;
    double secs = (double)(c->t_end_ns - c->t_start_ns) / 1e9;
    uint64_t got = tp->custom != NULL || (tp->caps & TP_LOSSY)
                       ? c->received : in->messages;

    if (c->t_end_ns <= c->t_start_ns)
        return err_set(why, "no time elapsed: clock readings out of order");
    fig->msgs_per_s = (double)got / secs;
    fig->mb_per_s = (double)got * (double)in->size_bytes / secs / 1e6;
    fig->main = (tp->caps & TP_NO_SIZE) ? fig->msgs_per_s : fig->mb_per_s;
    return 0;
}

static int latency_figures(const struct run_input *in,
                           struct run_figures *fig, char *why)
{
    const struct run_counts *c = in->counts;
    uint64_t total = in->nsamples, *s = in->samples_ns;
    uint64_t failed = c->lost, n;

    for (int k = 0; k < TP_ERR_N; k++)
        failed += c->errors[k];
    n = total - (failed < total ? failed : total);
    if (n < total) {            /* lost or failed round trips left their
                                   slots at 0 */
        uint64_t k = 0;

        for (uint64_t i = 0; i < total; i++)
            if (s[i] != 0)
                s[k++] = s[i];
        n = k;
    }
    if (n == 0)
        return err_set(why, "no round trip completed");
    stats_sort_u64(s, n);
    fig->rtt_ns[LAT_MIN] = (double)s[0];
    fig->rtt_ns[LAT_P50] = stats_percentile_u64(s, n, 50);
    fig->rtt_ns[LAT_P90] = stats_percentile_u64(s, n, 90);
    fig->rtt_ns[LAT_P99] = stats_percentile_u64(s, n, 99);
    fig->rtt_ns[LAT_P999] = stats_percentile_u64(s, n, 99.9);
    fig->rtt_ns[LAT_MAX] = (double)s[n - 1];
    fig->rtt_ns[LAT_MEAN] = stats_mean_u64(s, n);
    fig->rtt_ns[LAT_STDDEV] = stats_stddev_u64(s, n);
    fig->main = fig->rtt_ns[LAT_P50];
    fig->msgs_per_s = 1e9 / fig->rtt_ns[LAT_MEAN];
    if (in->tp->custom != NULL && c->t_end_ns > c->t_start_ns)
        /* custom(): many round trips at once (a server's clients) */
        fig->msgs_per_s = (double)c->received * 1e9 /
                          (double)(c->t_end_ns - c->t_start_ns);
    if (in->mode == MODE_PACED && c->paced_end_ns > c->paced_start_ns)
        /* the pace achieved: below 1/interval when slots ran late */
        fig->msgs_per_s = (double)total * 1e9 /
                          (double)(c->paced_end_ns - c->paced_start_ns);
    fig->mb_per_s = fig->msgs_per_s * (double)in->size_bytes / 1e6;
    return 0;
}

/* Were the bytes checked and right?  Latency: the producer checked every
 * reply or failed the run, so yes unless nothing crosses.  Throughput and
 * lossy transports: the consumer's word. */
static int run_verified(const struct run_input *in)
{
    const struct transport *tp = in->tp;

    if (tp->custom != NULL && in->mode != MODE_THROUGHPUT)
        return in->counts->verified;    /* a load that checks its replies */
    if (in->verify == VERIFY_NONE)
        return 0;               /* sequence checked, bytes not */
    if (in->mode != MODE_THROUGHPUT && !(tp->caps & TP_LOSSY))
        return (tp->caps & TP_NO_PAYLOAD) == 0;
    return in->counts->verified;
}

/* Each side's counts per message: sent, for the consumer of a throughput
 * run received (a lossy transport's consumer never sees the lost ones);
 * per round trip in latency mode, where every count covers the warm-up
 * trips too, as the CPU time does. */
static void counter_figures(const struct run_input *in,
                            struct run_figures *fig)
{
    fig->sides = in->sides;
    for (int r = 0; r < 2; r++) {
        uint64_t msgs = r == ROLE_CONSUMER && in->mode == MODE_THROUGHPUT
                            ? in->counts->received : fig->sent;
        double n = (double)msgs;

        if (!(in->sides & (1u << r)) || msgs == 0)
            continue;
        for (int k = 0; k < RU_N; k++) {
            uint64_t end = in->ru_end[r][k], base = in->counts->ru_base[r][k];

            fig->ru_per_msg[r][k] = end > base ? (double)(end - base) / n : 0;
        }
        fig->ctr_valid[r] = in->counts->ctr_valid[r];
        for (int k = 0; k < CTR_N; k++)
            if (fig->ctr_valid[r] & (1u << k))
                fig->ctr_per_msg[r][k] = (double)in->counts->ctr[r][k] / n;
    }
}

int figures_run(const struct run_input *in, struct run_figures *fig,
                enum bench_code *code, char *why)
{
    const struct run_counts *c = in->counts;
    const struct transport *tp = in->tp;
    size_t size = in->size_bytes;
    int rc;

    memset(fig, 0, sizeof(*fig));
    fig->sent = tp->custom != NULL ? c->sent : in->messages;
    fig->cpu_ns_per_msg = fig->sent > 0 ? in->cpu_ns / (double)fig->sent : 0;
    fig->consumer_cpu_ns_per_msg =
        fig->sent > 0 ? in->consumer_cpu_ns / (double)fig->sent : 0;
    fig->cpu_ms_per_mb = size > 0 && fig->sent > 0
        ? in->cpu_ns / 1e6 / ((double)fig->sent * (double)size / 1e6) : 0;
    fig->lost = c->lost;
    fig->duplicated = c->duplicated;
    fig->reordered = c->reordered;
    memcpy(fig->errors, c->errors, sizeof(fig->errors));
    fig->verified = run_verified(in);
    counter_figures(in, fig);
    *code = CODE_ERROR;
    rc = in->mode == MODE_THROUGHPUT ? throughput_figures(in, fig, why)
                                     : latency_figures(in, fig, why);
    if (rc == -1)
        return -1;
    *code = CODE_VERIFICATION_FAILED;
    if (tp->custom != NULL && !fig->verified)
        return err_set(why, "counts do not add up: sent %llu, received "
                            "%llu, lost %llu, failed %llu",
                       (unsigned long long)c->sent,
                       (unsigned long long)c->received,
                       (unsigned long long)c->lost,
                       (unsigned long long)(c->errors[TP_ERR_REFUSED] +
                                            c->errors[TP_ERR_RESET] +
                                            c->errors[TP_ERR_TIMEOUT]));
    if (!fig->verified && !(tp->caps & TP_NO_PAYLOAD) && tp->custom == NULL &&
        in->verify != VERIFY_NONE)
        return err_set(why, "verification failed");
    *code = CODE_OK;
    return 0;
}

/* The median across runs of one figure. */
#define MEDIAN_OF(f, n, field)                                             \
    ({                                                                     \
        double v_[64];                                                     \
        for (unsigned i_ = 0; i_ < (n); i_++)                              \
            v_[i_] = (f)[i_].field;                                        \
        stats_median(v_, (n));                                             \
    })

/* The rusage counts of a row: a side is reported only if it ran in every
 * run; then the median across runs. */
static void aggregate_rusage(struct bench_result *res,
                             const struct run_figures *f, unsigned n)
{
    res->ru_sides = 3;
    for (unsigned i = 0; i < n; i++)
        res->ru_sides &= f[i].sides;
    for (int r = 0; r < 2; r++)
        for (int k = 0; k < RU_N && (res->ru_sides & (1u << r)); k++)
            res->ru_per_msg[r][k] = MEDIAN_OF(f, n, ru_per_msg[r][k]);
}

void figures_counted(struct bench_result *res,
                     const struct run_figures *counting)
{
    for (int r = 0; r < 2; r++) {
        res->ctr_valid[r] = (counting->sides & (1u << r))
                                ? counting->ctr_valid[r] : 0;
        for (int k = 0; k < CTR_N; k++)
            res->ctr_per_msg[r][k] = (res->ctr_valid[r] & (1u << k))
                                         ? counting->ctr_per_msg[r][k] : 0;
    }
}

void figures_aggregate(struct bench_result *res, const struct run_figures *f,
                       unsigned n)
{
    double v[64] = { 0 };

    for (unsigned i = 0; i < n; i++)
        v[i] = f[i].main;
    res->cv_pct = stats_cv_pct(v, n);
    res->median = stats_median(v, n);
    res->has_ci = stats_median_ci95(v, n, &res->ci_low, &res->ci_high) == 0;
    stats_sort_double(v, n);
    res->min = v[0];
    res->max = v[n - 1];
    res->mb_per_s = MEDIAN_OF(f, n, mb_per_s);
    res->msgs_per_s = MEDIAN_OF(f, n, msgs_per_s);
    for (int k = 0; k < LAT_N; k++)
        res->rtt_ns[k] = MEDIAN_OF(f, n, rtt_ns[k]);
    res->cpu_ns_per_msg = MEDIAN_OF(f, n, cpu_ns_per_msg);
    res->consumer_cpu_ns_per_msg = MEDIAN_OF(f, n, consumer_cpu_ns_per_msg);
    res->cpu_ms_per_mb = MEDIAN_OF(f, n, cpu_ms_per_mb);
    aggregate_rusage(res, f, n);
    res->verified = 1;
    if ((res->tp->caps & TP_NO_PAYLOAD) ||
        (res->tp->custom != NULL && res->mode == MODE_THROUGHPUT))
        res->verified = -1;     /* nothing to verify: n/a */
    for (unsigned i = 0; i < n; i++) {
        res->lost += f[i].lost;
        res->duplicated += f[i].duplicated;
        res->reordered += f[i].reordered;
        for (int k = 0; k < TP_ERR_N; k++)
            res->errors[k] += f[i].errors[k];
        if (res->verified != -1)
            res->verified &= f[i].verified;
    }
}

void figures_note(struct bench_result *res, const char *tp_note,
                  enum verify_level verify)
{
    char every[32], paced[64] = "", unverified[128], failed[NOTE_LEN];
    uint64_t nfailed = 0;

    if (res->mode == MODE_PACED) {  /* say so first: the row reads alone */
        format_interval(res->interval_ns, every, sizeof(every));
        snprintf(paced, sizeof(paced), "paced: one round trip every %s%s",
                 every, tp_note[0] != '\0' ? "; " : "");
    }
    if (verify == VERIFY_NONE && res->status == RES_OK) {
        snprintf(unverified, sizeof(unverified), "%.80s%sbytes not "
                 "verified (--verify none)", tp_note,
                 tp_note[0] != '\0' ? "; " : "");
        tp_note = unverified;
    }
    for (int k = 0; k < TP_ERR_N; k++)
        nfailed += res->errors[k];
    if (nfailed > 0) {          /* counted, never dropped: say so */
        size_t n;

        snprintf(failed, sizeof(failed), "%s%s", tp_note,
                 tp_note[0] != '\0' ? "; " : "");
        n = strlen(failed);
        snprintf(failed + n, sizeof(failed) - n, "%llu requests failed "
                 "(%llu refused, %llu reset, %llu timed out)",
                 (unsigned long long)nfailed,
                 (unsigned long long)res->errors[TP_ERR_REFUSED],
                 (unsigned long long)res->errors[TP_ERR_RESET],
                 (unsigned long long)res->errors[TP_ERR_TIMEOUT]);
        tp_note = failed;
    }
    snprintf(res->note, NOTE_LEN, "%s%s", paced, tp_note);
}
