/* output_table.c - the human table of `ipclab run` (--format table): a
 * heading per mode, one line per row (throughput: MB/s, msgs/s, CPU;
 * latency and paced: the percentiles, one-way, CPU per round trip), the
 * "x pipe" column, --counters lines, the rows held for --sort, and the
 * verdict after the last row.  The order and the ratios are bench/table.c's,
 * the verdict bench/verdict.c's; output.c hands rows here.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "output.h"
#include "output_table.h"
#include "util.h"

/* The "x pipe" column's heading and width; width 0: no such column. */
static int ratio_heading(const struct output *o, char *out, size_t len)
{
    int w;

    out[0] = '\0';
    if (!o->ratio_column)
        return 0;
    snprintf(out, len, "x %s", table_baseline(&o->table));
    w = (int)strlen(out);
    return w < 7 ? 7 : w;
}

static void table_header(const struct output *o, enum tp_mode mode)
{
    FILE *fp = o->fp;
    char ratio[64];
    int w = ratio_heading(o, ratio, sizeof(ratio));

    if (mode == MODE_THROUGHPUT)
        fprintf(fp, "\nTHROUGHPUT  (MB = 10^6 bytes; median of the reps; "
                    "CPU, ctxsw, syscalls: both processes%s)\n",
                w ? "; x = MB/s in times the baseline's" : "");
    else
        fprintf(fp, "\n%s  (round trip in ns, median of the reps; "
                    "one-way = RTT/2; CPU, ctxsw, syscalls per round "
                    "trip%s)\n",
                mode == MODE_PACED ? "PACED (one round trip per interval, "
                                     "see the note)"
                                   : "LATENCY",
                w ? "; x = the baseline's p50 over this one's" : "");
    fprintf(fp, "%-26s %6s %-7s ", "transport", "size", "place");
    if (w)
        fprintf(fp, "%*s ", w, ratio);
    if (mode == MODE_THROUGHPUT)
        fprintf(fp, "%10s %6s %12s %10s %10s %9s %9s %s\n",
                "MB/s", "+-95%", "msgs/s",
                "CPU ns/msg", "CPU ms/MB", "ctxsw/msg", "sysc/msg",
                "verified");
    else
        fprintf(fp, "%8s %8s %8s %8s %8s %9s %8s %6s %10s %9s %9s %s\n",
                "min", "p50", "p90", "p99",
                "p99.9", "max", "one-way", "+-95%", "CPU ns/RT", "ctxsw/RT",
                "sysc/RT", "verified");
}

/* Both processes' sum of one perf counter, or of rusage counts when perf
 * did not count; "-" when neither is known. */
static void table_sum(const struct bench_result *r, int ctr, int ru_a,
                      int ru_b, char *out, size_t len)
{
    double sum = 0;
    int perf = r->ru_sides != 0, ru = ru_a >= 0 && r->ru_sides != 0;

    for (int side = 0; side < 2; side++)
        if ((r->ru_sides & (1u << side)) &&
            !(r->ctr_valid[side] & (1u << ctr)))
            perf = 0;
    if (!perf && !ru) {
        snprintf(out, len, "-");
        return;
    }
    for (int side = 0; side < 2; side++) {
        if (!(r->ru_sides & (1u << side)))
            continue;
        sum += perf ? r->ctr_per_msg[side][ctr]
                    : r->ru_per_msg[side][ru_a] + r->ru_per_msg[side][ru_b];
    }
    snprintf(out, len, "%.2f", sum);
}

/* --counters: every counter of the row, one line per side. */
static void table_counters(FILE *fp, const struct bench_result *r)
{
    for (int side = 0; side < 2; side++) {
        if (!(r->ru_sides & (1u << side)))
            continue;
        fprintf(fp, "    %-8s vcsw %.4f ivcsw %.4f minflt %.4f majflt "
                    "%.4f", side == ROLE_PRODUCER ? "producer" : "consumer",
                r->ru_per_msg[side][RU_VCSW], r->ru_per_msg[side][RU_IVCSW],
                r->ru_per_msg[side][RU_MINFLT],
                r->ru_per_msg[side][RU_MAJFLT]);
        for (int k = 0; k < CTR_N; k++)
            if (r->ctr_valid[side] & (1u << k))
                fprintf(fp, k >= CTR_CYCLES ? " %s %.1f" : " %s %.4f",
                        counters_name((enum ctr_id)k),
                        r->ctr_per_msg[side][k]);
        if (r->tp->syscalls[side] > 0)
            fprintf(fp, " (declared %d syscalls per %s)",
                    r->tp->syscalls[side] - 1,
                    side == ROLE_PRODUCER ? "send" : "recv");
        fputc('\n', fp);
    }
}

/* The table's "+-95%" cell: the CI's larger half-width in percent of the
 * median ("-" with one rep, where there is no interval). */
static void table_ci(const struct bench_result *r, char *buf, size_t len)
{
    double half = fmax(r->median - r->ci_low, r->ci_high - r->median);

    if (!r->has_ci || r->median <= 0)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.1f", half / r->median * 100);
}

/* A tail percentile in the table only when each run had the round trips
 * for it: 10 / (1 - p) of them (p99: 1000, p99.9: 10000), the rule the
 * scripts follow too; "-" otherwise.  The CSV keeps the figure. */
static void table_pct(const struct bench_result *r, int k, double p,
                      char out[16])
{
    double need = 10.0 / (1.0 - p / 100.0);

    if ((double)r->messages + 1e-9 < need - 1e-6)
        snprintf(out, 16, "-");
    else
        snprintf(out, 16, "%.0f", r->rtt_ns[k]);
}

/* One row; ratio_w > 0: the "x pipe" column, that wide. */
static void table_row(FILE *fp, const struct bench_result *r,
                      const char *ratio, int ratio_w)
{
    char size[32], ctxsw[32], sysc[32], ci[32];

    if (r->tp->caps & TP_NO_SIZE)
        snprintf(size, sizeof(size), "-");
    else
        format_size(r->size_bytes, size, sizeof(size));
    fprintf(fp, "%-26s %6s %-7s ", r->tp->name, size, r->placement);
    if (ratio_w > 0)
        fprintf(fp, "%*s ", ratio_w, ratio);
    if (r->status != RES_OK) {
        fprintf(fp, "%s: %s\n", r->status == RES_NA ? "n/a" : "FAILED",
                r->reason);
        return;
    }
    table_sum(r, CTR_CTXSW, RU_VCSW, RU_IVCSW, ctxsw, sizeof(ctxsw));
    table_sum(r, CTR_SYSCALLS, -1, -1, sysc, sizeof(sysc));
    table_ci(r, ci, sizeof(ci));
    if (r->mode == MODE_THROUGHPUT) {
        if (r->tp->caps & TP_NO_SIZE)
            fprintf(fp, "%10s %6s %12.0f %10.1f %10s %9s %9s %s", "-",
                    ci, r->msgs_per_s, r->cpu_ns_per_msg, "-", ctxsw,
                    sysc, r->verified < 0 ? "n/a" : r->verified ? "yes"
                                                                : "NO");
        else
            fprintf(fp, "%10.1f %6s %12.0f %10.1f %10.3f %9s %9s %s",
                    r->mb_per_s, ci, r->msgs_per_s,
                    r->cpu_ns_per_msg, r->cpu_ms_per_mb, ctxsw, sysc,
                    r->verified < 0 ? "n/a" : r->verified ? "yes" : "NO");
    } else {
        char p90[16], p99[16], p999[16], ow[16];

        table_pct(r, LAT_P90, 90, p90);
        table_pct(r, LAT_P99, 99, p99);
        table_pct(r, LAT_P999, 99.9, p999);
        if (r->tp->caps & TP_NOT_ONE_WAY)
            snprintf(ow, sizeof(ow), "-");
        else
            snprintf(ow, sizeof(ow), "%.0f", r->rtt_ns[LAT_P50] / 2);
        fprintf(fp, "%8.0f %8.0f %8s %8s %8s %9.0f %8s %6s "
                    "%10.1f %9s %9s %s", r->rtt_ns[LAT_MIN],
                r->rtt_ns[LAT_P50], p90, p99, p999, r->rtt_ns[LAT_MAX],
                ow, ci, r->cpu_ns_per_msg, ctxsw,
                sysc, r->verified < 0 ? "n/a" : r->verified ? "yes" : "NO");
    }
    if (r->lost || r->duplicated || r->reordered)
        fprintf(fp, "  lost %llu dup %llu reordered %llu",
                (unsigned long long)r->lost,
                (unsigned long long)r->duplicated,
                (unsigned long long)r->reordered);
    if (r->facts.clients != 0) {    /* a server row: who paid the CPU */
        char srv_cpu[32] = "-";     /* a remote server's is not ours */

        if (r->consumer_cpu_ns_per_msg > 0)
            snprintf(srv_cpu, sizeof(srv_cpu), "%.0f",
                     r->consumer_cpu_ns_per_msg);
        fprintf(fp, "  [%llu clients, %.0f req/s, CPU ns/req: server %s, "
                    "load %.0f]", (unsigned long long)r->facts.clients,
                r->msgs_per_s, srv_cpu,
                r->cpu_ns_per_msg - r->consumer_cpu_ns_per_msg);
    }
    if (r->note[0] != '\0')
        fprintf(fp, "  (%s)", r->note);
    if (r->flags[0] != '\0')
        fprintf(fp, "  [%s]", r->flags);
    fputc('\n', fp);
}

/* Once, before the first row: what the counter columns lack here and
 * why, when it touches what the table shows. */
static void table_counters_missing(const struct output *o)
{
    char why[256];
    unsigned mask = counters_probe(why, sizeof(why));
    unsigned shown = (1u << CTR_CTXSW) | (1u << CTR_SYSCALLS);

    if (why[0] != '\0' && (o->counters || (mask & shown) != shown))
        fprintf(o->fp, "counters: %s\n", why);
}

/* Print one row of the table, with the heading of its mode when the mode
 * changes. */
static void table_print(struct output *o, const struct bench_result *r)
{
    char ratio[32], heading[64];
    int w = ratio_heading(o, heading, sizeof(heading));

    if (o->printed == 0)
        table_counters_missing(o);
    if (o->printed_mode != (int)r->mode)
        table_header(o, r->mode);
    o->printed_mode = (int)r->mode;
    table_ratio(&o->table, r, ratio, sizeof(ratio));
    table_row(o->fp, r, ratio, w);
    if (o->counters && r->status == RES_OK)
        table_counters(o->fp, r);
    o->printed++;
}

/* The rows held for --sort, in its order. */
static void table_print_held(struct output *o)
{
    table_order(&o->table);
    for (size_t i = 0; i < o->table.nheld; i++)
        table_print(o, &o->table.held[i]);
    o->table.nheld = 0;
}

void output_table_row(struct output *o, const struct bench_result *r)
{
    verdict_add(&o->verdict, r);
    table_see(&o->table, r);
    if (o->table.sort != TABLE_STREAM) {
        if (table_hold(&o->table, r) == 0)
            return;
        fprintf(o->fp, "(--sort: out of memory; the rows in the order of "
                       "the run from here)\n");
        o->table.sort = TABLE_RUN;
        table_print_held(o);
        o->table.sort = TABLE_STREAM;
    }
    table_print(o, r);
}

void output_table_end(struct output *o)
{
    table_print_held(o);
    verdict_print(o->fp, &o->verdict);
    table_free(&o->table);
}
