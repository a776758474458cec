/* cli.c - the `ipclab` command and the one-mechanism programs.
 *
 * Program entry points: these print, and exit through usage()/die().
 * Everything below them (harness, output, transports) returns errors. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "harness.h"
#include "output.h"
#include "sysinfo.h"
#include "transport.h"
#include "util.h"

#define MAX_SIZES 32
#define MAX_SELECTED 256

static const char *prog = "ipclab";

static void usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
static void usage_error(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see %s --help)\n", prog);
    exit(2);
}

static void die(const char *msg) __attribute__((noreturn));
static void die(const char *msg)
{
    fprintf(stderr, "%s: %s\n", prog, msg);
    exit(1);
}

/* ---- run options ------------------------------------------------------ */

struct run_opts {
    struct bench_config cfg;
    int modes;          /* bit (1 << enum tp_mode): throughput, latency, paced */
    int interval_set;                   /* --interval was given */
    size_t sizes[MAX_SIZES];
    unsigned nsizes;
    enum placement places[3];
    unsigned nplaces;
    enum out_format format;
    const char *output, *csv, *json;
    int quiet;
};

enum {
    OPT_MODE = 256, OPT_SIZE_, OPT_SIZES, OPT_BYTES, OPT_ITER, OPT_WARMUP,
    OPT_REPS, OPT_TIMEOUT, OPT_PLACEMENT, OPT_CPUS, OPT_VERIFY, OPT_FORMAT,
    OPT_OUTPUT, OPT_CSV, OPT_JSON, OPT_QUIET, OPT_FAULT, OPT_HELP,
    OPT_VERSION, OPT_INTERVAL, OPT_TRANSPORT = 1000
};

static const struct option core_options[] = {
    { "mode", required_argument, NULL, OPT_MODE },
    { "size", required_argument, NULL, OPT_SIZE_ },
    { "sizes", required_argument, NULL, OPT_SIZES },
    { "bytes", required_argument, NULL, OPT_BYTES },
    { "iterations", required_argument, NULL, OPT_ITER },
    { "interval", required_argument, NULL, OPT_INTERVAL },
    { "warmup", required_argument, NULL, OPT_WARMUP },
    { "reps", required_argument, NULL, OPT_REPS },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "placement", required_argument, NULL, OPT_PLACEMENT },
    { "cpus", required_argument, NULL, OPT_CPUS },
    { "verify", required_argument, NULL, OPT_VERIFY },
    { "format", required_argument, NULL, OPT_FORMAT },
    { "output", required_argument, NULL, OPT_OUTPUT },
    { "csv", required_argument, NULL, OPT_CSV },
    { "json", required_argument, NULL, OPT_JSON },
    { "quiet", no_argument, NULL, OPT_QUIET },
    { "test-fault", required_argument, NULL, OPT_FAULT },
    { "help", no_argument, NULL, OPT_HELP },
    { "version", no_argument, NULL, OPT_VERSION },
};
#define NCORE (sizeof(core_options) / sizeof(core_options[0]))

static void print_run_help(FILE *fp, int single)
{
    fprintf(fp,
"usage: %s %s[OPTIONS] [TRANSPORT...]\n"
"\n"
"Measure %s: throughput and/or round-trip latency over message sizes.\n"
"TRANSPORT is a name from `ipclab list` (\"socketpair/dgram\"), a mechanism\n"
"(\"socketpair\": its variants), or a family (ipc, net, signals, limit);\n"
"none means all.\n"
"\n"
"  --mode LIST       throughput, latency, paced, or all       [all]\n"
"                    (all = throughput,latency; paced = latency with a\n"
"                    pause before each round trip: see --interval)\n"
"  --size SIZE       one message size: 64, 4K, 1M, 1G (binary)\n"
"  --sizes LIST      several: 64,4K,64K,1M                   [64,4K,64K,1M]\n"
"  --bytes SIZE      throughput: bytes moved per run          [256M]\n"
"  --iterations N    latency: round trips per run    [100000; paced 2000]\n"
"                    (events per run for size-less transports)\n"
"  --interval T      paced: one round trip every T: 250us, 1ms  [100us]\n"
"  --warmup N        runs discarded before measuring          [1]\n"
"  --reps N          measured runs; median, min, max, CV      [5]\n"
"  --timeout S       seconds before a run is killed, failed   [60]\n"
"  --placement LIST  spread (two CPUs) | same (one CPU) | os  [spread]\n"
"  --cpus A,B        pin producer to CPU A, consumer to CPU B\n"
"  --verify LEVEL    sum (sequence + checksum) | full (every byte) |\n"
"                    none (sequence only: to measure verification) [sum]\n"
"  --format F        table | csv | json                       [table]\n"
"  --output FILE     write the results there instead of stdout\n"
"  --csv FILE        also write CSV to FILE\n"
"  --json FILE       also write JSON (rows + machine) to FILE\n"
"  --quiet           no progress lines on stderr\n",
            single ? prog : "ipclab", single ? "" : "run ",
            single ? "this mechanism" : "IPC transports");
    if (tp_options_count() > 0)
        fprintf(fp, "\nTransport options:\n");
    for (size_t i = 0; i < tp_options_count(); i++) {
        const struct tp_option *o = tp_options_begin()[i];
        char left[64];

        snprintf(left, sizeof(left), "--%s%s%s", o->name,
                 o->type == OPT_FLAG ? "" : " ",
                 o->type == OPT_FLAG ? "" : (o->arg ? o->arg : "VALUE"));
        fprintf(fp, "  %-18s%s", left, o->help);
        if (o->type == OPT_CHOICE || o->type == OPT_LIST) {
            fprintf(fp, " (");
            for (int k = 0; o->choices[k] != NULL; k++)
                fprintf(fp, "%s%s", k ? "|" : "", o->choices[k]);
            fprintf(fp, ")");
        }
        fputc('\n', fp);
    }
    fprintf(fp, "\nExit status: 0 all rows ok, 1 a row failed, 2 bad usage, "
                "130/143 interrupted.\n");
}

static void parse_sizes(const char *opt, const char *arg, struct run_opts *o)
{
    char *copy = strdup(arg), *save = NULL, *tok;

    if (copy == NULL)
        die("strdup: out of memory");
    o->nsizes = 0;
    for (tok = strtok_r(copy, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        if (o->nsizes == MAX_SIZES)
            usage_error("%s: at most %d sizes", opt, MAX_SIZES);
        if (parse_size(tok, &o->sizes[o->nsizes]) == -1)
            usage_error("%s: '%s' is not a size (a positive number of "
                        "bytes, optionally with K, M or G)", opt, tok);
        o->nsizes++;
    }
    free(copy);
    if (o->nsizes == 0)
        usage_error("%s: give at least one size", opt);
}

static unsigned long parse_count(const char *opt, const char *arg,
                                 unsigned long min, unsigned long max)
{
    unsigned long v;

    if (parse_ulong(arg, &v) == -1 || v < min || v > max)
        usage_error("%s: '%s' is not a whole number from %lu to %lu", opt,
                    arg, min, max);
    return v;
}

static void parse_placement(const char *arg, struct run_opts *o)
{
    char *copy = strdup(arg), *save = NULL, *tok;

    if (copy == NULL)
        die("strdup: out of memory");
    o->nplaces = 0;
    for (tok = strtok_r(copy, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        enum placement p;

        if (strcmp(tok, "spread") == 0)
            p = PLACE_SPREAD;
        else if (strcmp(tok, "same") == 0)
            p = PLACE_SAME;
        else if (strcmp(tok, "os") == 0)
            p = PLACE_OS;
        else
            usage_error("--placement: '%s' is not spread, same or os", tok);
        if (o->nplaces == 3)
            usage_error("--placement: at most three placements");
        o->places[o->nplaces++] = p;
    }
    free(copy);
    if (o->nplaces == 0)
        usage_error("--placement: give spread, same or os");
}

static void parse_cpus(const char *arg, struct run_opts *o)
{
    int a, b, n = -1;

    if (sscanf(arg, "%d,%d%n", &a, &b, &n) != 2 || n != (int)strlen(arg) ||
        a < 0 || b < 0 || a >= CPU_SETSIZE || b >= CPU_SETSIZE)
        usage_error("--cpus: '%s' is not two CPU numbers A,B", arg);
    o->cfg.cpu[0] = a;
    o->cfg.cpu[1] = b;
    o->places[0] = PLACE_CPUS;
    o->nplaces = 1;
}

/* "spin,sem" or "all" against choices[]: a bit per word. */
static unsigned parse_list(const char *name, const char *arg,
                           const char *const *choices)
{
    char *copy = strdup(arg), *save = NULL, *tok, all[128] = "";
    unsigned mask = 0;

    if (copy == NULL)
        die("strdup: out of memory");
    for (int k = 0; choices[k] != NULL; k++)
        snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s",
                 k ? ", " : "", choices[k]);
    for (tok = strtok_r(copy, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        int k = 0;

        if (strcmp(tok, "all") == 0) {
            while (choices[k] != NULL)
                mask |= 1u << k++;
            continue;
        }
        while (choices[k] != NULL && strcmp(tok, choices[k]) != 0)
            k++;
        if (choices[k] == NULL)
            usage_error("%s: '%s' is not one of %s (or all)", name, tok,
                        all);
        mask |= 1u << k;
    }
    free(copy);
    if (mask == 0)
        usage_error("%s: '%s' names none of %s (or all)", name, arg, all);
    return mask;
}

static void parse_transport_option(const struct tp_option *t, const char *arg)
{
    char name[64];

    snprintf(name, sizeof(name), "--%s", t->name);
    switch (t->type) {
    case OPT_FLAG:
        *(int *)t->value = 1;
        break;
    case OPT_SIZE:
        if (parse_size(arg, (size_t *)t->value) == -1)
            usage_error("%s: '%s' is not a size (a positive number of "
                        "bytes, optionally with K, M or G)", name, arg);
        break;
    case OPT_UINT:
        *(unsigned long *)t->value = parse_count(name, arg, 0, ULONG_MAX);
        break;
    case OPT_STRING:
        *(const char **)t->value = arg;
        break;
    case OPT_CHOICE:
        for (int k = 0; t->choices[k] != NULL; k++)
            if (strcmp(arg, t->choices[k]) == 0) {
                *(int *)t->value = k;
                return;
            }
        usage_error("%s: '%s' is not one of the accepted values", name, arg);
    case OPT_LIST:
        *(unsigned *)t->value = parse_list(name, arg, t->choices);
        break;
    }
}

/* "throughput", "latency,paced", "all": a set of modes as bits. */
static int parse_modes(const char *arg)
{
    char *copy = strdup(arg), *save = NULL, *tok;
    int modes = 0;

    if (copy == NULL)
        die("strdup: out of memory");
    for (tok = strtok_r(copy, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        if (strcmp(tok, "throughput") == 0)
            modes |= 1 << MODE_THROUGHPUT;
        else if (strcmp(tok, "latency") == 0)
            modes |= 1 << MODE_LATENCY;
        else if (strcmp(tok, "paced") == 0)
            modes |= 1 << MODE_PACED;
        else if (strcmp(tok, "all") == 0)
            modes |= 1 << MODE_THROUGHPUT | 1 << MODE_LATENCY;
        else
            usage_error("--mode: '%s' is not throughput, latency, paced or "
                        "all", tok);
    }
    free(copy);
    if (modes == 0)
        usage_error("--mode: '%s' names no mode", arg);
    return modes;
}

static void parse_run_options(int argc, char **argv, struct run_opts *o,
                              int single)
{
    size_t ntp = tp_options_count();
    struct option *longopts = calloc(NCORE + ntp + 1, sizeof(*longopts));
    int c;

    if (longopts == NULL)
        die("calloc: out of memory");
    memcpy(longopts, core_options, sizeof(core_options));
    for (size_t i = 0; i < ntp; i++) {
        const struct tp_option *t = tp_options_begin()[i];

        longopts[NCORE + i].name = t->name;
        longopts[NCORE + i].has_arg =
            t->type == OPT_FLAG ? no_argument : required_argument;
        longopts[NCORE + i].val = OPT_TRANSPORT + (int)i;
    }

    memset(o, 0, sizeof(*o));
    bench_config_defaults(&o->cfg);
    o->modes = 3;
    o->sizes[0] = 64;
    o->sizes[1] = 4096;
    o->sizes[2] = 65536;
    o->sizes[3] = 1 << 20;
    o->nsizes = 4;
    o->places[0] = PLACE_SPREAD;
    o->nplaces = 1;
    o->format = OUT_TABLE;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        size_t sz;

        switch (c) {
        case OPT_MODE:
            o->modes = parse_modes(optarg);
            break;
        case OPT_INTERVAL:
            if (parse_interval(optarg, &o->cfg.interval_ns) == -1 ||
                o->cfg.interval_ns < 1000 ||
                o->cfg.interval_ns > 60000000000ull)
                usage_error("--interval: '%s' is not a duration from 1us to "
                            "60s (a whole number and ns, us, ms or s)",
                            optarg);
            o->interval_set = 1;
            break;
        case OPT_SIZE_:
            if (parse_size(optarg, &o->sizes[0]) == -1)
                usage_error("--size: '%s' is not a size (a positive number "
                            "of bytes, optionally with K, M or G)", optarg);
            o->nsizes = 1;
            break;
        case OPT_SIZES:
            parse_sizes("--sizes", optarg, o);
            break;
        case OPT_BYTES:
            if (parse_size(optarg, &sz) == -1)
                usage_error("--bytes: '%s' is not a size (a positive number "
                            "of bytes, optionally with K, M or G)", optarg);
            o->cfg.bytes = sz;
            break;
        case OPT_ITER:
            o->cfg.iterations = parse_count("--iterations", optarg, 1,
                                            1000000000);
            o->cfg.paced_iterations = o->cfg.iterations;
            break;
        case OPT_WARMUP:
            o->cfg.warmup = (unsigned)parse_count("--warmup", optarg, 0, 64);
            break;
        case OPT_REPS:
            o->cfg.reps = (unsigned)parse_count("--reps", optarg, 1, 64);
            break;
        case OPT_TIMEOUT:
            o->cfg.timeout_s = (unsigned)parse_count("--timeout", optarg, 1,
                                                     86400);
            break;
        case OPT_PLACEMENT:
            parse_placement(optarg, o);
            break;
        case OPT_CPUS:
            parse_cpus(optarg, o);
            break;
        case OPT_VERIFY:
            if (strcmp(optarg, "sum") == 0)
                o->cfg.verify = VERIFY_SUM;
            else if (strcmp(optarg, "full") == 0)
                o->cfg.verify = VERIFY_FULL;
            else if (strcmp(optarg, "none") == 0)
                o->cfg.verify = VERIFY_NONE;
            else
                usage_error("--verify: '%s' is not sum, full or none",
                            optarg);
            break;
        case OPT_FORMAT:
            if (output_parse_format(optarg, &o->format) == -1)
                usage_error("--format: '%s' is not table, csv or json",
                            optarg);
            break;
        case OPT_OUTPUT:
            o->output = optarg;
            break;
        case OPT_CSV:
            o->csv = optarg;
            break;
        case OPT_JSON:
            o->json = optarg;
            break;
        case OPT_QUIET:
            o->quiet = 1;
            break;
        case OPT_FAULT:
            if (strcmp(optarg, "corrupt") == 0)
                o->cfg.fault = FAULT_CORRUPT;
            else if (strcmp(optarg, "hang") == 0)
                o->cfg.fault = FAULT_HANG;
            else if (strcmp(optarg, "crash") == 0)
                o->cfg.fault = FAULT_CRASH;
            else if (strcmp(optarg, "exit") == 0)
                o->cfg.fault = FAULT_EXIT;
            else
                usage_error("--test-fault: '%s' is not corrupt, hang, crash "
                            "or exit", optarg);
            break;
        case OPT_HELP:
            print_run_help(stdout, single);
            exit(0);
        case OPT_VERSION:
            printf("ipclab %s\n", sysinfo_version());
            exit(0);
        case ':':
            usage_error("%s needs a value", argv[optind - 1]);
        case '?':
            usage_error("unknown option '%s'", argv[optind - 1]);
        default:
            if (c >= OPT_TRANSPORT && (size_t)(c - OPT_TRANSPORT) < ntp)
                parse_transport_option(tp_options_begin()[c - OPT_TRANSPORT],
                                       optarg);
            else
                usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    free(longopts);
    if (o->interval_set && !(o->modes & (1 << MODE_PACED)))
        usage_error("--interval applies to paced mode only (add --mode "
                    "paced)");
}

/* ---- choosing transports ---------------------------------------------- */

struct selection {
    const struct transport *tp[MAX_SELECTED];
    int explicit_[MAX_SELECTED];        /* named on the command line */
    unsigned n;
};

static void select_add(struct selection *s, const struct transport *tp,
                       int explicit_)
{
    for (unsigned i = 0; i < s->n; i++)
        if (s->tp[i] == tp)
            return;
    if (s->n == MAX_SELECTED)
        usage_error("too many transports");
    s->tp[s->n] = tp;
    s->explicit_[s->n++] = explicit_;
}

static int family_matches(const struct transport *tp, const char *name)
{
    return strcmp(tp_family_name(tp->family), name) == 0;
}

static void select_transports(int argc, char **argv, struct selection *s)
{
    const struct transport *const *all = transports_begin();
    size_t n = transports_count();

    s->n = 0;
    if (argc == 0) {
        for (size_t i = 0; i < n; i++)
            if (all[i]->selected == NULL || all[i]->selected(all[i]))
                select_add(s, all[i], 0);
        if (s->n == 0)
            usage_error("no transport selected by these options");
        return;
    }
    for (int a = 0; a < argc; a++) {
        const struct transport *tp = transport_find(argv[a]);
        size_t len = strlen(argv[a]);
        int matched = 0, chosen = 0;

        if (tp != NULL) {
            select_add(s, tp, 1);
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            int variant = strncmp(all[i]->name, argv[a], len) == 0 &&
                          all[i]->name[len] == '/';

            if (!variant && !family_matches(all[i], argv[a]))
                continue;
            matched = 1;
            if (all[i]->selected == NULL || all[i]->selected(all[i])) {
                select_add(s, all[i], variant);    /* once, if named twice */
                chosen = 1;
            }
        }
        if (!matched)
            usage_error("unknown transport '%s' (`%s list` shows them)",
                        argv[a], "ipclab");
        if (!chosen)
            usage_error("'%s': no variant selected by these options",
                        argv[a]);
    }
}

/* ---- ipclab run --------------------------------------------------------- */

static FILE *open_out(const char *opt, const char *path)
{
    FILE *fp = fopen(path, "w");

    if (fp == NULL)
        usage_error("%s %s: fopen: %s", opt, path, strerror(errno));
    return fp;
}

static char *join_args(int argc, char **argv)
{
    size_t len = 1;
    char *s;

    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    s = calloc(1, len);
    if (s == NULL)
        die("calloc: out of memory");
    for (int i = 0; i < argc; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

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

static void check_explicit(const struct selection *s, const struct run_opts *o)
{
    char why[ERR_LEN], size[32];

    /* One transport asked for by name: an impossible size is a usage
     * error.  Several (a sweep): the row says n/a and the sweep goes on. */
    if (s->n != 1)
        return;
    for (unsigned t = 0; t < s->n; t++) {
        const struct transport *tp = s->tp[t];

        if (!s->explicit_[t] || tp->check_size == NULL ||
            (tp->caps & TP_NO_SIZE))
            continue;
        for (int m = 0; m <= MODE_PACED; m++) {
            if (!(o->modes & (1 << m)))
                continue;
            for (unsigned i = 0; i < o->nsizes; i++) {
                why[0] = '\0';
                if (tp->check_size(tp, tp_channel_mode((enum tp_mode)m),
                                   o->sizes[i], why) == 0)
                    continue;
                format_size(o->sizes[i], size, sizeof(size));
                if (why[0] == '-')      /* about an option, not the size */
                    fprintf(stderr, "%s: %s: %s\n", prog, tp->name, why);
                else
                    fprintf(stderr, "%s: %s: size %s: %s\n", prog, tp->name,
                            size, why);
                exit(2);
            }
        }
    }
}

static int cmd_run(int argc, char **argv, int single)
{
    struct run_opts o;
    struct selection sel;
    struct sysinfo_meta meta;
    struct output outs[3];
    FILE *fps[3] = { NULL, NULL, NULL };
    unsigned nouts = 0, total = 0, k = 0;
    char err[ERR_LEN], *command = join_args(argc, argv);
    int failed = 0, cpu[2];
    double t0 = mono_s();

    parse_run_options(argc, argv, &o, single);
    select_transports(argc - optind, argv + optind, &sel);
    check_explicit(&sel, &o);
    for (unsigned p = 0; p < o.nplaces; p++) {
        o.cfg.placement = o.places[p];
        if (bench_placement_cpus(&o.cfg, cpu, err) == -1)
            usage_error("%s", err);
    }
    if (sysinfo_collect(&meta, err) == -1)
        die(err);

    fps[0] = o.output != NULL ? open_out("--output", o.output) : stdout;
    output_begin(&outs[nouts++], fps[0], o.format, &meta, command, &o.cfg);
    if (o.csv != NULL) {
        fps[nouts] = open_out("--csv", o.csv);
        output_begin(&outs[nouts], fps[nouts], OUT_CSV, &meta, command,
                     &o.cfg);
        nouts++;
    }
    if (o.json != NULL) {
        fps[nouts] = open_out("--json", o.json);
        output_begin(&outs[nouts], fps[nouts], OUT_JSON, &meta, command,
                     &o.cfg);
        nouts++;
    }

    for (int m = 0; m <= MODE_PACED; m++)
        if (o.modes & (1 << m))
            for (unsigned t = 0; t < sel.n; t++)
                total += cells_for(sel.tp[t], &o) * o.nplaces;

    for (int m = 0; m <= MODE_PACED; m++) {
        if (!(o.modes & (1 << m)))
            continue;
        for (unsigned t = 0; t < sel.n; t++) {
            const struct transport *tp = sel.tp[t];

            for (unsigned i = 0; i < cells_for(tp, &o); i++) {
                for (unsigned p = 0; p < o.nplaces; p++) {
                    struct bench_result res;
                    int rc;

                    o.cfg.placement = o.places[p];
                    rc = bench_run(&o.cfg, tp, (enum tp_mode)m, o.sizes[i],
                                   &res, err);
                    if (rc == BENCH_INTERRUPTED) {
                        int sig = bench_interrupt_signal();

                        for (unsigned u = 0; u < nouts; u++)
                            output_end(&outs[u], err);
                        fprintf(stderr, "%s: interrupted by SIG%s: children "
                                        "killed, IPC objects removed\n",
                                prog, sigabbrev_np(sig));
                        exit(128 + sig);
                    }
                    if (rc == -1)
                        die(err);
                    k++;
                    if (res.status == RES_NA && !sel.explicit_[t] &&
                        strstr(res.reason, "mode does not apply") != NULL) {
                        total--;
                        k--;
                        continue;       /* not asked for: no row */
                    }
                    for (unsigned u = 0; u < nouts; u++)
                        output_row(&outs[u], &res);
                    if (!o.quiet)
                        progress(&res, k, total, t0);
                    if (res.status == RES_FAILED)
                        failed = 1;
                }
            }
        }
    }
    for (unsigned u = 0; u < nouts; u++) {
        if (output_end(&outs[u], err) == -1)
            die(err);
        if (fps[u] != stdout && fclose(fps[u]) == EOF)
            die("fclose: write error");
    }
    free(command);
    return failed ? 1 : 0;
}

/* ---- list, env, help ---------------------------------------------------- */

static const char *caps_text(unsigned caps, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s%s", (caps & TP_STREAM) ? "stream" : "",
             (caps & TP_MESSAGES) ? "messages" : "",
             (caps & TP_DUPLEX) ? ",duplex" : "",
             (caps & TP_LOSSY) ? ",lossy" : "");
    if (buf[0] == ',')
        memmove(buf, buf + 1, strlen(buf));
    if (buf[0] == '\0')
        snprintf(buf, len, "-");
    return buf;
}

static int cmd_list(int argc, char **argv)
{
    enum out_format f = OUT_TABLE;
    char caps[64];

    if (argc == 3 && strcmp(argv[1], "--format") == 0) {
        if (output_parse_format(argv[2], &f) == -1 || f == OUT_JSON)
            usage_error("list --format: '%s' is not table or csv", argv[2]);
    } else if (argc != 1) {
        usage_error("list takes no arguments but --format table|csv");
    }
    if (f == OUT_CSV)
        printf("transport,family,caps,summary\n");
    for (size_t i = 0; i < transports_count(); i++) {
        const struct transport *tp = transports_begin()[i];

        caps_text(tp->caps, caps, sizeof(caps));
        if (f == OUT_CSV)
            printf("%s,%s,%s,\"%s\"\n", tp->name, tp_family_name(tp->family),
                   caps, tp->summary);
        else
            printf("%-26s %-8s %-22s %s\n", tp->name,
                   tp_family_name(tp->family), caps, tp->summary);
    }
    return 0;
}

static int cmd_env(int argc, char **argv)
{
    struct sysinfo_meta m;
    enum out_format f = OUT_TABLE;
    char err[ERR_LEN];

    if (argc == 3 && strcmp(argv[1], "--format") == 0) {
        if (output_parse_format(argv[2], &f) == -1)
            usage_error("env --format: '%s' is not table, csv or json",
                        argv[2]);
    } else if (argc != 1) {
        usage_error("env takes no arguments but --format table|csv|json");
    }
    if (sysinfo_collect(&m, err) == -1)
        die(err);
    if (f == OUT_JSON) {
        printf("{\n");
        output_meta_json(stdout, &m, "  ");
        printf("\n}\n");
    } else if (f == OUT_CSV) {
        printf("ipclab_version,git_revision,date,hostname,kernel,machine,"
               "cpu_model,cores,cores_allowed,clock_res_ns,clock_read_ns\n"
               "%s,%s,%s,%s,\"%s\",%s,\"%s\",%d,%d,%.1f,%.1f\n", m.version,
               m.git_rev, m.date, m.hostname, m.kernel, m.machine,
               m.cpu_model, m.cores, m.cores_allowed, m.clock_res_ns,
               m.clock_read_ns);
    } else {
        printf("ipclab        %s (git %s)\ndate          %s\nhostname      "
               "%s\nkernel        %s\nmachine       %s\ncpu           %s\n"
               "cores         %d online, %d usable here\nclock         "
               "CLOCK_MONOTONIC, resolution %.0f ns, one read %.1f ns\n",
               m.version, m.git_rev, m.date, m.hostname, m.kernel, m.machine,
               m.cpu_model, m.cores, m.cores_allowed, m.clock_res_ns,
               m.clock_read_ns);
    }
    return 0;
}

static void print_help(FILE *fp)
{
    fprintf(fp,
"usage: ipclab COMMAND [OPTIONS]\n"
"\n"
"Compare Linux IPC mechanisms through one timing harness.\n"
"\n"
"  ipclab list [--format csv]       transports: name, family, summary\n"
"  ipclab run [OPTIONS] [TRANSPORT...]   measure (ipclab run --help)\n"
"  ipclab env [--format json|csv]   the machine the figures come from\n"
"  ipclab serve [--listen ADDR[:PORT]]   remote side of the net transports\n"
"  ipclab --help | --version\n"
"\n"
"Each mechanism is also its own program: bin/pipe --size 4K does what\n"
"ipclab run pipe --size 4K does.\n");
}

/* cli_serve() is in bench/serve.c (cli.h) */

int cli_main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : NULL;

    prog = "ipclab";
    if (cmd == NULL) {
        print_help(stderr);
        return 2;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
        strcmp(cmd, "help") == 0) {
        print_help(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("ipclab %s\n", sysinfo_version());
        return 0;
    }
    if (strcmp(cmd, "list") == 0)
        return cmd_list(argc - 1, argv + 1);
    if (strcmp(cmd, "env") == 0)
        return cmd_env(argc - 1, argv + 1);
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1, 0);
    if (strcmp(cmd, "serve") == 0)
        return cli_serve(argc - 1, argv + 1);
    usage_error("unknown command '%s'", cmd);
}

int cli_single_main(int argc, char **argv)
{
    const char *slash = strrchr(argv[0], '/');

    prog = slash != NULL ? slash + 1 : argv[0];
    return cmd_run(argc, argv, 1);
}
