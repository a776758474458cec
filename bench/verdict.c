/* verdict.c - the best transport of each cell, against the baseline
 * (see verdict.h). */
#include <string.h>

#include "util.h"
#include "verdict.h"

/* The figure a cell is judged by, and whether lower is better:
 * throughput MB/s (events/s without a size), latency the round-trip p50,
 * paced the CPU per round trip (what sparse messages cost). */
static double judged(const struct bench_result *r, int *lower_better)
{
    *lower_better = r->mode != MODE_THROUGHPUT;
    return r->mode == MODE_PACED ? r->cpu_ns_per_msg : r->median;
}

static struct verdict_cell *cell_of(struct verdict *v,
                                    const struct bench_result *r)
{
    for (unsigned i = 0; i < v->ncells; i++) {
        struct verdict_cell *c = &v->cell[i];

        if (c->mode == r->mode && c->size_bytes == r->size_bytes &&
            strcmp(c->placement, r->placement) == 0)
            return c;
    }
    if (v->ncells == VERDICT_CELLS)
        return NULL;                    /* a huge run: the first 64 */
    memset(&v->cell[v->ncells], 0, sizeof(v->cell[0]));
    v->cell[v->ncells].mode = r->mode;
    v->cell[v->ncells].size_bytes = r->size_bytes;
    snprintf(v->cell[v->ncells].placement,
             sizeof(v->cell[0].placement), "%s", r->placement);
    return &v->cell[v->ncells++];
}

void verdict_add(struct verdict *v, const struct bench_result *r)
{
    const char *base = v->baseline != NULL ? v->baseline : "pipe";
    struct verdict_cell *c;
    int lower;
    double f;

    if (r->status != RES_OK || r->tp->family == TP_LIMIT ||
        r->facts.clients > 0)
        return;
    f = judged(r, &lower);
    if (!(f > 0) || (c = cell_of(v, r)) == NULL)
        return;
    c->ok++;
    if (strcmp(r->tp->name, base) == 0) {
        c->base_figure = f;
        c->base_cpu = r->cpu_ns_per_msg;
    }
    if (c->best == NULL || (lower ? f < c->best_figure : f > c->best_figure)) {
        c->best = r->tp;
        c->best_figure = f;
        c->best_cpu = r->cpu_ns_per_msg;
    }
}

static void fmt_ns(double ns, char *out, size_t len)
{
    if (ns < 1e3)
        snprintf(out, len, "%.0f ns", ns);
    else if (ns < 1e6)
        snprintf(out, len, "%.3g us", ns / 1e3);
    else if (ns < 1e9)
        snprintf(out, len, "%.3g ms", ns / 1e6);
    else
        snprintf(out, len, "%.3g s", ns / 1e9);
}

static void print_cell(FILE *fp, const struct verdict_cell *c,
                       const char *base)
{
    char size[32] = "-", fig[32], cpu[32], times[96] = "";
    int same = c->base_figure > 0 && strcmp(c->best->name, base) == 0;

    if (c->size_bytes > 0)
        format_size(c->size_bytes, size, sizeof(size));
    fmt_ns(c->best_cpu, cpu, sizeof(cpu));
    if (c->mode == MODE_THROUGHPUT) {
        snprintf(fig, sizeof(fig), "%.4g %s", c->best_figure,
                 c->size_bytes > 0 ? "MB/s" : "events/s");
        if (c->base_figure > 0 && !same)
            snprintf(times, sizeof(times), ", %.3gx %s",
                     c->best_figure / c->base_figure, base);
    } else if (c->mode == MODE_LATENCY) {
        char rtt[24];

        fmt_ns(c->best_figure, rtt, sizeof(rtt));
        snprintf(fig, sizeof(fig), "RTT p50 %s", rtt);
        if (c->base_figure > 0 && !same)
            snprintf(times, sizeof(times), ", %.3gx faster than %s",
                     c->base_figure / c->best_figure, base);
    } else {
        snprintf(fig, sizeof(fig), "the least CPU");
        if (c->base_figure > 0 && !same)
            snprintf(times, sizeof(times), " (%.3gx less than %s)",
                     c->base_figure / c->best_figure, base);
    }
    fprintf(fp, "  %-10s %-7s %-7s %s: %s%s%s; CPU %s per %s\n",
            bench_mode_name(c->mode), size, c->placement, c->best->name,
            fig, times, same ? " (the baseline itself)" : "", cpu,
            c->mode == MODE_THROUGHPUT ? "message" : "round trip");
}

void verdict_print(FILE *fp, const struct verdict *v)
{
    const char *base = v->baseline != NULL ? v->baseline : "pipe";
    unsigned shown = 0;

    for (unsigned i = 0; i < v->ncells; i++) {
        const struct verdict_cell *c = &v->cell[i];

        if (c->ok < 2 || c->best == NULL)
            continue;
        if (shown++ == 0)
            fprintf(fp, "\nVERDICT  (the best of each mode, size and "
                        "placement; x = times %s's figure)\n", base);
        print_cell(fp, c, base);
    }
}
