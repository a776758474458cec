/* sweep.c - the measuring loop of `ipclab run`: every cell (mode x
 * transport x size x placement x point) through bench_run(), each row
 * written to every output as it comes, a progress line per cell on stderr
 * ([k/N], with N counted before the first cell), and the output files:
 * opened and headed before anything is measured, checked at the end. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli_run.h"
#include "figures.h"
#include "guard.h"
#include "sysinfo.h"
#include "util.h"

/* ---- output files ------------------------------------------------------- */

/* Where the results go: standard output or --output, --csv, --json. */
struct out_file {
    const char *opt, *path;             /* "--csv", "r.csv"; opt NULL:
                                           standard output */
    enum out_format format;
    FILE *fp;
    struct output out;
    int error;                          /* the first write's errno, or 0 */
};

/* Same file: the same name, or the same inode once both exist.  Character
 * devices (/dev/null) may take several outputs. */
static int same_file(const struct out_file *a, const struct out_file *b)
{
    struct stat sa, sb;
    int ha, hb;

    ha = a->fp != NULL ? fstat(fileno(a->fp), &sa) : stat(a->path, &sa);
    hb = b->fp != NULL ? fstat(fileno(b->fp), &sb) : stat(b->path, &sb);
    if (ha == 0 && hb == 0)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino &&
               !S_ISCHR(sa.st_mode);
    return a->path != NULL && b->path != NULL && strcmp(a->path, b->path) == 0;
}

static const char *out_name(const struct out_file *f, char *buf, size_t len)
{
    if (f->opt == NULL)
        snprintf(buf, len, "standard output");
    else
        snprintf(buf, len, "%s %s", f->opt, f->path);
    return buf;
}

static void check_distinct(const struct out_file *f, unsigned n)
{
    char a[PATH_MAX + 16], b[PATH_MAX + 16];

    for (unsigned i = 0; i < n; i++)
        for (unsigned k = i + 1; k < n; k++)
            if (same_file(&f[i], &f[k]))
                cli_usage_error("%s and %s are the same file: give each "
                                "output a file of its own",
                                out_name(&f[i], a, sizeof(a)),
                                out_name(&f[k], b, sizeof(b)));
}

/* Note a file's first write error (output_row flushes every row). */
static void out_check(struct out_file *f)
{
    if (f->error == 0 && ferror(f->fp))
        f->error = errno != 0 ? errno : EIO;
}

/* Open every output and write its header, before anything is measured: a
 * file that cannot be written is a usage error now, not after the sweep. */
static unsigned open_outputs(struct run_opts *o, struct out_file *f,
                             const struct sysinfo_meta *meta,
                             const char *command, int ratio_column)
{
    char name[PATH_MAX + 16];
    unsigned n = 0;

    f[n++] = (struct out_file){ o->output ? "--output" : NULL, o->output,
                                o->format, NULL, { 0 }, 0 };
    if (o->csv != NULL)
        f[n++] = (struct out_file){ "--csv", o->csv, OUT_CSV, NULL, { 0 }, 0 };
    if (o->json != NULL)
        f[n++] = (struct out_file){ "--json", o->json, OUT_JSON, NULL, { 0 },
                                    0 };
    if (o->samples != NULL)
        f[n++] = (struct out_file){ "--samples", o->samples, OUT_SAMPLES,
                                    NULL, { 0 }, 0 };
    f[0].fp = o->output == NULL ? stdout : NULL;
    check_distinct(f, n);
    for (unsigned i = 0; i < n; i++) {
        if (f[i].fp == NULL && (f[i].fp = fopen(f[i].path, "w")) == NULL)
            cli_usage_error("%s: fopen: %s",
                            out_name(&f[i], name, sizeof(name)),
                            strerror(errno));
    }
    check_distinct(f, n);               /* "x" and "./x", both new */
    for (unsigned i = 0; i < n; i++) {
        errno = 0;
        output_begin(&f[i].out, f[i].fp, f[i].format, meta, command, &o->cfg);
        f[i].out.counters = o->counters;
        f[i].out.verdict.baseline = o->baseline;
        f[i].out.table.baseline = o->baseline;
        f[i].out.table.sort = o->sort;
        f[i].out.ratio_column = ratio_column;
        if (f[i].format == OUT_SAMPLES)
            o->cfg.samples = f[i].fp;   /* the harness writes to it */
        out_check(&f[i]);
        if (f[i].error != 0)
            cli_usage_error("%s: write: %s",
                            out_name(&f[i], name, sizeof(name)),
                            strerror(f[i].error));
    }
    return n;
}

static void out_row(struct out_file *f, unsigned n,
                    const struct bench_result *res)
{
    for (unsigned u = 0; u < n; u++) {
        errno = 0;
        output_row(&f[u].out, res);
        out_check(&f[u]);
    }
}

/* Finish every output; 0, or -1 after a line naming each that failed. */
static int close_outputs(struct out_file *f, unsigned n)
{
    char name[PATH_MAX + 16], err[ERR_LEN];
    int rc = 0;

    for (unsigned u = 0; u < n; u++) {
        errno = 0;
        if (output_end(&f[u].out, err) == -1)
            out_check(&f[u]);
        if (f[u].fp != stdout && fclose(f[u].fp) == EOF && f[u].error == 0)
            f[u].error = errno;
        if (f[u].error != 0) {
            fprintf(stderr, "%s: %s: write: %s\n", cli_prog,
                    out_name(&f[u], name, sizeof(name)),
                    strerror(f[u].error));
            rc = -1;
        }
    }
    return rc;
}

static char *join_args(int argc, char **argv)
{
    size_t len = 1;
    char *s;

    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    s = calloc(1, len);
    if (s == NULL)
        cli_die("calloc: out of memory");
    for (int i = 0; i < argc; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

/* ---- progress ----------------------------------------------------------- */

static double mono_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fmt_duration(double s, char *out, size_t len)
{
    if (s < 60)
        snprintf(out, len, "%.0fs", s);
    else if (s < 3600)
        snprintf(out, len, "%dm%02ds", (int)s / 60, (int)s % 60);
    else
        snprintf(out, len, "%dh%02dm", (int)s / 3600, (int)s % 3600 / 60);
}

static void progress(const struct bench_result *r, unsigned k, unsigned n,
                     double t0)
{
    double el = mono_s() - t0;
    char size[32], e1[16], e2[16];

    format_size(r->size_bytes, size, sizeof(size));
    fmt_duration(el, e1, sizeof(e1));
    fmt_duration(el / k * (n - k), e2, sizeof(e2));
    fprintf(stderr, "[%u/%u] %s %s %s %s: ", k, n, r->tp->name,
            bench_mode_name(r->mode), (r->tp->caps & TP_NO_SIZE) ? "-" : size,
            r->placement);
    if (r->status != RES_OK)
        fprintf(stderr, "%s (%s)", bench_status_name(r->status), r->reason);
    else if (r->mode != MODE_THROUGHPUT)
        fprintf(stderr, "p50 %.0f ns", r->median);
    else if (r->tp->caps & TP_NO_SIZE)
        fprintf(stderr, "%.0f msgs/s", r->median);
    else
        fprintf(stderr, "%.1f MB/s", r->median);
    fprintf(stderr, "  [%s elapsed, ~%s left]\n", e1, e2);
}

/* The cells a transport runs in one mode: one per size, or a single one. */
static unsigned cells_for(const struct transport *tp,
                          const struct run_opts *o)
{
    return (tp->caps & TP_NO_SIZE) ? 1 : o->nsizes;
}

/* The points of a transport's own dimension (servers: clients counts). */
static unsigned points_for(const struct transport *tp)
{
    return tp->points != NULL ? tp->points(tp) : 1;
}

/* Does a cell give a row?  Not when its mode does not apply to a
 * transport that was not asked for by name (a family, a sweep): the sweep
 * skips it, and leaves it out of the [k/N] total from the start. */
static int cell_shown(const struct selection *s, unsigned t,
                      enum tp_mode mode, size_t size)
{
    struct bench_result res;

    memset(&res, 0, sizeof(res));
    return s->explicit_[t] || !figures_cell_na(s->tp[t], mode, size, &res) ||
           res.code != CODE_MODE_NOT_APPLICABLE;
}

/* The index of the baseline T in the run's transports when the table
 * has an "x T" column (T is one of them, and not the only one); -1
 * otherwise. */
static int baseline_index(const struct run_opts *o, const struct selection *s)
{
    const char *base = o->baseline != NULL ? o->baseline : "pipe";

    for (unsigned t = 0; t < s->n && s->n > 1; t++)
        if (strcmp(s->tp[t]->name, base) == 0)
            return (int)t;
    return -1;
}

/* The k-th transport to measure in each mode: the baseline first (as a
 * reference is, so that every row printed after it has its ratio), then
 * the others in the order they were selected. */
static unsigned run_order(int base, unsigned k)
{
    if (base < 0)
        return k;
    if (k == 0)
        return (unsigned)base;
    return k <= (unsigned)base ? k - 1 : k;
}

/* ---- the loop ----------------------------------------------------------- */

struct sweep {
    struct run_opts *o;
    const struct selection *sel;
    struct out_file outs[4];    /* stdout or --output, --csv, --json,
                                   --samples */
    unsigned nouts;
    unsigned total, k;                  /* cells: to run, done */
    double t0;
    int failed;
    int guarded;                        /* --guard, and it calibrated */
    struct guard guard;
    struct bench_result *held;          /* --guard: one transport's rows, */
    unsigned nheld, maxheld;            /* kept until the guard says */
};

/* The cells that will give a row, counted before the first one runs. */
static unsigned sweep_total(const struct run_opts *o,
                            const struct selection *s)
{
    unsigned total = 0;

    for (int m = 0; m <= MODE_PACED; m++)
        if (o->modes & (1 << m))
            for (unsigned t = 0; t < s->n; t++)
                for (unsigned i = 0; i < cells_for(s->tp[t], o); i++)
                    if (cell_shown(s, t, (enum tp_mode)m, o->sizes[i]))
                        total += o->nplaces * points_for(s->tp[t]);
    return total;
}

/* Before the first cell: how many, and about how long when runs have a
 * time budget (pilot + warm-up + reps runs of T each, plus ~50 ms of
 * set-up per run). */
static void say_estimate(const struct run_opts *o, unsigned cells)
{
    double runs = (double)cells * (o->cfg.warmup + o->cfg.reps + 1);
    char t[32];

    if (o->cfg.time_ns == 0) {
        fprintf(stderr, "%s: %u cells, %u runs each\n", cli_prog, cells,
                o->cfg.warmup + o->cfg.reps);
        return;
    }
    format_interval(o->cfg.time_ns, t, sizeof(t));
    fprintf(stderr, "%s: %u cells, about %.0f s (each run about %s%s)\n",
            cli_prog, cells, runs * ((double)o->cfg.time_ns / 1e9 + 0.05), t,
            o->time_default ? ": the default; --time, --bytes or --iterations "
                              "change it" : "");
}

static void sweep_interrupted(struct sweep *w) __attribute__((noreturn));
static void sweep_interrupted(struct sweep *w)
{
    int sig = bench_interrupt_signal();

    close_outputs(w->outs, w->nouts);
    fprintf(stderr, "%s: interrupted by SIG%s: children killed, IPC objects "
                    "removed\n", cli_prog, sigabbrev_np(sig));
    exit(128 + sig);
}

/* One size of one transport in one mode: every placement and point. */
static void sweep_cell(struct sweep *w, unsigned t, enum tp_mode mode,
                       size_t size)
{
    const struct transport *tp = w->sel->tp[t];
    struct run_opts *o = w->o;
    char err[ERR_LEN];

    for (unsigned p = 0; p < o->nplaces * points_for(tp); p++) {
        struct bench_result res;
        int rc;

        o->cfg.placement = o->places[p % o->nplaces];
        o->cfg.point = p / o->nplaces;
        rc = bench_run(&o->cfg, tp, mode, size, &res, err);
        if (rc == BENCH_INTERRUPTED)
            sweep_interrupted(w);
        if (rc == -1) {
            close_outputs(w->outs, w->nouts);   /* a sorted table's rows */
            cli_die(err);
        }
        w->k++;
        if (w->guarded && w->nheld < w->maxheld)
            w->held[w->nheld++] = res;  /* out when the guard has said */
        else
            out_row(w->outs, w->nouts, &res);
        if (!o->quiet)
            progress(&res, w->k, w->total, w->t0);
        if (res.status == RES_FAILED && !w->guarded)
            w->failed = 1;      /* guarded: when the row goes out */
    }
}

/* One transport's cells in one mode. */
static void sweep_cells(struct sweep *w, unsigned t, enum tp_mode m)
{
    const struct selection *s = w->sel;

    for (unsigned i = 0; i < cells_for(s->tp[t], w->o); i++)
        if (cell_shown(s, t, m, w->o->sizes[i]))
            sweep_cell(w, t, m, w->o->sizes[i]);
}

/* A calibration for the guard; the run stops being guarded when one
 * cannot run (said once). */
static int guard_step(struct sweep *w)
{
    char err[ERR_LEN];
    int rc = guard_calibrate(&w->guard, err);

    if (rc == BENCH_INTERRUPTED)
        sweep_interrupted(w);
    if (rc != 0) {
        fprintf(stderr, "%s: %s: no guard\n", cli_prog, err);
        w->guarded = 0;
    }
    return rc == 0;
}

/* --guard: the transport's cells between two calibrations; once more if
 * the machine moved, and its rows flagged unsteady if it moved again. */
static void sweep_guarded(struct sweep *w, unsigned t, enum tp_mode m)
{
    struct guard before = w->guard;

    w->nheld = 0;
    sweep_cells(w, t, m);
    if (w->guarded && guard_step(w) &&
        guard_moved(before.ns, before.mbs, w->guard.ns, w->guard.mbs)) {
        fprintf(stderr, "%s: guard: the calibration moved (%.0f ns %.0f MB/s "
                        "-> %.0f ns %.0f MB/s): %s once more\n", cli_prog,
                before.ns, before.mbs, w->guard.ns, w->guard.mbs,
                w->sel->tp[t]->name);
        w->guard.reruns++;
        w->total += w->nheld;
        before = w->guard;
        w->nheld = 0;
        sweep_cells(w, t, m);
        if (w->guarded && guard_step(w) &&
            guard_moved(before.ns, before.mbs, w->guard.ns, w->guard.mbs)) {
            fprintf(stderr, "%s: guard: it moved again: %s is flagged "
                            "unsteady\n", cli_prog, w->sel->tp[t]->name);
            w->guard.unsteady++;
            for (unsigned i = 0; i < w->nheld; i++)
                snprintf(w->held[i].flags, sizeof(w->held[i].flags),
                         "unsteady");
        }
    }
    for (unsigned i = 0; i < w->nheld; i++) {
        out_row(w->outs, w->nouts, &w->held[i]);
        if (w->held[i].status == RES_FAILED)
            w->failed = 1;      /* a discarded attempt's rows do not count */
    }
    w->nheld = 0;
}

/* --guard: room for one transport's rows in a mode, a first calibration. */
static void guard_begin(struct sweep *w)
{
    for (unsigned t = 0; t < w->sel->n; t++) {
        unsigned n = cells_for(w->sel->tp[t], w->o) * w->o->nplaces *
                     points_for(w->sel->tp[t]);

        if (n > w->maxheld)
            w->maxheld = n;
    }
    w->held = calloc(w->maxheld, sizeof(*w->held));
    if (w->held == NULL)
        cli_die("calloc: out of memory");
    if (!w->o->quiet)
        fprintf(stderr, "%s: guard: calibrating (cacheline, xcore)\n",
                cli_prog);
    w->guarded = 1;
    (void)guard_step(w);
}

int sweep_run(struct run_opts *o, const struct selection *s, int argc,
              char **argv)
{
    struct sweep w = { .o = o, .sel = s, .t0 = mono_s() };
    struct sysinfo_meta meta;
    char err[ERR_LEN], *command = join_args(argc, argv);
    int base = baseline_index(o, s);

    if (sysinfo_collect(&meta, err) == -1)
        cli_die(err);
    w.nouts = open_outputs(o, w.outs, &meta, command, base >= 0);
    w.total = sweep_total(o, s);
    if (!o->quiet)
        say_estimate(o, w.total);
    if (o->guard)
        guard_begin(&w);
    for (int m = 0; m <= MODE_PACED; m++) {
        if (!(o->modes & (1 << m)))
            continue;
        for (unsigned k = 0; k < s->n; k++) {
            unsigned t = run_order(base, k);

            if (w.guarded)
                sweep_guarded(&w, t, (enum tp_mode)m);
            else
                sweep_cells(&w, t, (enum tp_mode)m);
        }
    }
    if (o->guard && !o->quiet)
        fprintf(stderr, "%s: guard: %u calibrations, %u re-run, %u "
                        "unsteady\n", cli_prog, w.guard.n, w.guard.reruns,
                w.guard.unsteady);
    if (close_outputs(w.outs, w.nouts) == -1)
        w.failed = 1;
    free(w.held);
    free(command);
    return w.failed ? 1 : 0;
}
