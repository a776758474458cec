/* options.c - the options of `ipclab run` (and of bin/<mechanism>): a
 * table of the harness's own options, each with the function that sets
 * it, and the transports' options (struct tp_option), checked against the
 * bounds they declare.  `run --help` is in help.c.
 *
 * Entry-point code: bad input is one line and exit 2 (cli_usage_error). */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_run.h"
#include "fault.h"
#include "sysinfo.h"
#include "util.h"

/* ---- values ------------------------------------------------------------- */

/* A comma-separated list has no empty item (strtok_r would skip it). */
static void check_items(const char *opt, const char *arg)
{
    size_t len = strlen(arg);

    if (len == 0 || arg[0] == ',' || arg[len - 1] == ',' ||
        strstr(arg, ",,") != NULL)
        cli_usage_error("%s: '%s' has an empty item", opt, arg);
}

static void parse_sizes(const char *opt, const char *arg, struct run_opts *o)
{
    char *copy = strdup(arg), *save = NULL, *tok;

    if (copy == NULL)
        cli_die("strdup: out of memory");
    check_items(opt, arg);
    o->size_opt = opt;
    o->nsizes = 0;
    for (tok = strtok_r(copy, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        if (o->nsizes == MAX_SIZES)
            cli_usage_error("%s: at most %d sizes", opt, MAX_SIZES);
        if (parse_size(tok, &o->sizes[o->nsizes]) == -1)
            cli_usage_error("%s: '%s' is not a size (a positive number of "
                            "bytes, optionally with K, M or G)", opt, tok);
        o->nsizes++;
    }
    free(copy);
    if (o->nsizes == 0)
        cli_usage_error("%s: give at least one size", opt);
}

static unsigned long parse_count(const char *opt, const char *arg,
                                 unsigned long min, unsigned long max)
{
    unsigned long v;

    if (parse_ulong(arg, &v) == -1 || v < min || v > max)
        cli_usage_error("%s: '%s' is not a whole number from %lu to %lu", opt,
                        arg, min, max);
    return v;
}

static void parse_placement(const char *arg, struct run_opts *o)
{
    char *copy = strdup(arg), *save = NULL, *tok;

    if (copy == NULL)
        cli_die("strdup: out of memory");
    check_items("--placement", arg);
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
            cli_usage_error("--placement: '%s' is not spread, same or os", tok);
        if (o->nplaces == 3)
            cli_usage_error("--placement: at most three placements");
        o->places[o->nplaces++] = p;
    }
    free(copy);
    if (o->nplaces == 0)
        cli_usage_error("--placement: give spread, same or os");
}

static void parse_cpus(const char *arg, struct run_opts *o)
{
    const char *comma = strchr(arg, ',');
    char first[32] = "";
    unsigned long a, b;

    if (comma != NULL && (size_t)(comma - arg) < sizeof(first))
        snprintf(first, sizeof(first), "%.*s", (int)(comma - arg), arg);
    if (comma == NULL || parse_ulong(first, &a) == -1 ||
        parse_ulong(comma + 1, &b) == -1 || a >= CPU_SETSIZE ||
        b >= CPU_SETSIZE)       /* parse_ulong: digits only, no space */
        cli_usage_error("--cpus: '%s' is not two CPU numbers A,B", arg);
    o->cfg.cpu[0] = (int)a;
    o->cfg.cpu[1] = (int)b;
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
        cli_die("strdup: out of memory");
    check_items(name, arg);
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
            cli_usage_error("%s: '%s' is not one of %s (or all)", name, tok,
                            all);
        mask |= 1u << k;
    }
    free(copy);
    if (mask == 0)
        cli_usage_error("%s: '%s' names none of %s (or all)", name, arg, all);
    return mask;
}

/* OPT_SIZE: a size within the option's declared bounds. */
static size_t parse_bounded_size(const char *name, const char *arg,
                                 const struct tp_option *t)
{
    char lo[32], hi[32];
    size_t v;

    format_size(t->min > 0 ? t->min : 1, lo, sizeof(lo));
    format_size(t->max, hi, sizeof(hi));
    if (parse_size(arg, &v) == -1 || v < t->min ||
        (t->max != 0 && v > t->max)) {
        if (t->max != 0)
            cli_usage_error("%s: '%s' is not a size from %s to %s (a number "
                            "of bytes, optionally with K, M or G)", name, arg,
                            lo, hi);
        cli_usage_error("%s: '%s' is not a size of at least %s (a number of "
                        "bytes, optionally with K, M or G)", name, arg, lo);
    }
    return v;
}

/* OPT_DIR: a directory that exists and where this user may create files. */
static void check_dir(const char *name, const char *arg)
{
    struct stat st;

    if (stat(arg, &st) == -1)
        cli_usage_error("%s %s: stat: %s", name, arg, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        cli_usage_error("%s %s: not a directory", name, arg);
    if (access(arg, W_OK | X_OK) == -1)
        cli_usage_error("%s %s: access: %s", name, arg, strerror(errno));
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
        *(size_t *)t->value = parse_bounded_size(name, arg, t);
        break;
    case OPT_UINT:
        *(unsigned long *)t->value =
            parse_count(name, arg, t->min, t->max != 0 ? t->max : ULONG_MAX);
        break;
    case OPT_DIR:
        check_dir(name, arg);
        *(const char **)t->value = arg;
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
        cli_usage_error("%s: '%s' is not one of the accepted values", name,
                        arg);
    case OPT_LIST:
        *(unsigned *)t->value = parse_list(name, arg, t->choices);
        break;
    }
}

size_t tp_option_first(size_t i)
{
    const struct tp_option *o = tp_options_begin()[i];

    for (size_t j = 0; j < i; j++)
        if (strcmp(tp_options_begin()[j]->name, o->name) == 0)
            return j;
    return i;
}

/* Option i as given, into every table registered under its name. */
static void parse_shared_option(size_t i, const char *arg)
{
    for (size_t j = 0; j < tp_options_count(); j++) {
        const struct tp_option *t = tp_options_begin()[j];

        if (tp_option_first(j) != tp_option_first(i))
            continue;
        if (t->type != tp_options_begin()[i]->type)
            cli_die("a transport option is registered twice with two types");
        parse_transport_option(t, arg);
    }
}

/* "throughput", "latency,paced", "all": a set of modes as bits. */
static int parse_modes(const char *arg)
{
    char *copy = strdup(arg), *save = NULL, *tok;
    int modes = 0;

    if (copy == NULL)
        cli_die("strdup: out of memory");
    check_items("--mode", arg);
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
            cli_usage_error("--mode: '%s' is not throughput, latency, paced or "
                            "all", tok);
    }
    free(copy);
    if (modes == 0)
        cli_usage_error("--mode: '%s' names no mode", arg);
    return modes;
}

/* ---- the harness's options, one setter each ---------------------------- */

static void set_mode(struct run_opts *o, const char *arg)
{
    o->modes = parse_modes(arg);
}

static void set_interval(struct run_opts *o, const char *arg)
{
    if (parse_interval(arg, &o->cfg.interval_ns) == -1 ||
        o->cfg.interval_ns < 1000 || o->cfg.interval_ns > 60000000000ull)
        cli_usage_error("--interval: '%s' is not a duration from 1us to 60s "
                        "(a whole number and ns, us, ms or s)", arg);
    o->interval_set = 1;
}

static void set_size(struct run_opts *o, const char *arg)
{
    o->size_opt = "--size";
    if (parse_size(arg, &o->sizes[0]) == -1)
        cli_usage_error("--size: '%s' is not a size (a positive number of "
                        "bytes, optionally with K, M or G)", arg);
    o->nsizes = 1;
}

static void set_sizes(struct run_opts *o, const char *arg)
{
    parse_sizes("--sizes", arg, o);
}

static void set_bytes(struct run_opts *o, const char *arg)
{
    size_t sz;

    if (parse_size(arg, &sz) == -1)
        cli_usage_error("--bytes: '%s' is not a size (a positive number of "
                        "bytes, optionally with K, M or G)", arg);
    o->cfg.bytes = sz;
    o->counts_set = 1;
}

static void set_iterations(struct run_opts *o, const char *arg)
{
    o->cfg.iterations = parse_count("--iterations", arg, 1, 1000000000);
    o->cfg.paced_iterations = o->cfg.iterations;
    o->counts_set = 1;
}

static void set_warmup(struct run_opts *o, const char *arg)
{
    o->cfg.warmup = (unsigned)parse_count("--warmup", arg, 0, 64);
}

static void set_reps(struct run_opts *o, const char *arg)
{
    o->cfg.reps = (unsigned)parse_count("--reps", arg, 1, 64);
}

static void set_timeout(struct run_opts *o, const char *arg)
{
    o->cfg.timeout_s = (unsigned)parse_count("--timeout", arg, 1, 86400);
    o->timeout_set = 1;
}

static void set_time(struct run_opts *o, const char *arg)
{
    if (parse_interval(arg, &o->cfg.time_ns) == -1 ||
        o->cfg.time_ns < 10000000ull || o->cfg.time_ns > 3600000000000ull)
        cli_usage_error("--time: '%s' is not a duration from 10ms to 3600s "
                        "(a whole number and ms or s: 500ms, 2s)", arg);
}

static void set_max_time(struct run_opts *o, const char *arg)
{
    if (parse_interval(arg, &o->cfg.max_time_ns) == -1 ||
        o->cfg.max_time_ns < 1000000000ull ||
        o->cfg.max_time_ns > 3600000000000ull)
        cli_usage_error("--max-time: '%s' is not a duration from 1s to "
                        "3600s (a whole number and ms or s: 8s)", arg);
}

static void set_samples(struct run_opts *o, const char *arg)
{
    o->samples = arg;
}

static void set_baseline(struct run_opts *o, const char *arg)
{
    if (transport_find(arg) == NULL)
        cli_usage_error("--baseline: '%s' is not a transport (see ipclab "
                        "list)", arg);
    o->baseline = arg;
}

static void set_sort(struct run_opts *o, const char *arg)
{
    if (table_parse_sort(arg, &o->sort) == -1)
        cli_usage_error("--sort: '%s' is not %s", arg, table_sort_words);
}

static void set_guard(struct run_opts *o, const char *arg)
{
    (void)arg;
    o->guard = 1;
}

static void set_counters(struct run_opts *o, const char *arg)
{
    (void)arg;
    o->counters = 1;
}

static void set_placement(struct run_opts *o, const char *arg)
{
    parse_placement(arg, o);
}

static void set_cpus(struct run_opts *o, const char *arg)
{
    parse_cpus(arg, o);
}

static void set_verify(struct run_opts *o, const char *arg)
{
    if (strcmp(arg, "sum") == 0)
        o->cfg.verify = VERIFY_SUM;
    else if (strcmp(arg, "full") == 0)
        o->cfg.verify = VERIFY_FULL;
    else if (strcmp(arg, "none") == 0)
        o->cfg.verify = VERIFY_NONE;
    else
        cli_usage_error("--verify: '%s' is not sum, full or none", arg);
}

static void set_format(struct run_opts *o, const char *arg)
{
    if (output_parse_format(arg, &o->format) == -1)
        cli_usage_error("--format: '%s' is not table, csv or json", arg);
}

static void set_output(struct run_opts *o, const char *arg)
{
    o->output = arg;
}

static void set_csv(struct run_opts *o, const char *arg)
{
    o->csv = arg;
}

static void set_json(struct run_opts *o, const char *arg)
{
    o->json = arg;
}

static void set_quiet(struct run_opts *o, const char *arg)
{
    (void)arg;
    o->quiet = 1;
}

static void set_fault(struct run_opts *o, const char *arg)
{
    if (fault_parse(arg, &o->cfg.fault) == -1)
        cli_usage_error("--test-fault: '%s' is not corrupt, hang, crash, "
                        "exit, stale-body, swap-words, flip-bits or "
                        "drop-body", arg);
}

static void show_help(struct run_opts *o, const char *arg)
{
    (void)arg;
    run_help(stdout, o->single);
    exit(0);
}

static void show_version(struct run_opts *o, const char *arg)
{
    (void)o;
    (void)arg;
    printf("ipclab %s\n", sysinfo_version());
    exit(0);
}

static const struct core_option {
    const char *name;
    int has_arg;
    void (*set)(struct run_opts *o, const char *arg);
} core_options[] = {
    { "mode", required_argument, set_mode },
    { "size", required_argument, set_size },
    { "sizes", required_argument, set_sizes },
    { "bytes", required_argument, set_bytes },
    { "iterations", required_argument, set_iterations },
    { "interval", required_argument, set_interval },
    { "warmup", required_argument, set_warmup },
    { "reps", required_argument, set_reps },
    { "timeout", required_argument, set_timeout },
    { "time", required_argument, set_time },
    { "max-time", required_argument, set_max_time },
    { "placement", required_argument, set_placement },
    { "cpus", required_argument, set_cpus },
    { "verify", required_argument, set_verify },
    { "format", required_argument, set_format },
    { "output", required_argument, set_output },
    { "csv", required_argument, set_csv },
    { "json", required_argument, set_json },
    { "samples", required_argument, set_samples },
    { "baseline", required_argument, set_baseline },
    { "sort", required_argument, set_sort },
    { "counters", no_argument, set_counters },
    { "guard", no_argument, set_guard },
    { "quiet", no_argument, set_quiet },
    { "test-fault", required_argument, set_fault },
    { "help", no_argument, show_help },
    { "version", no_argument, show_version },
};
#define NCORE (sizeof(core_options) / sizeof(core_options[0]))
#define OPT_CORE 256            /* getopt_long's value: OPT_CORE + index */
#define OPT_TRANSPORT 1000      /* ... or OPT_TRANSPORT + tp_option index */

/* ---- parsing ------------------------------------------------------------ */

/* getopt_long's table: the core options, then the transports'. */
static struct option *long_options(size_t ntp)
{
    struct option *lo = calloc(NCORE + ntp + 1, sizeof(*lo));

    if (lo == NULL)
        cli_die("calloc: out of memory");
    for (size_t i = 0; i < NCORE; i++)
        lo[i] = (struct option){ core_options[i].name,
                                 core_options[i].has_arg, NULL,
                                 OPT_CORE + (int)i };
    for (size_t i = 0; i < ntp; i++) {
        const struct tp_option *t = tp_options_begin()[i];

        lo[NCORE + i] = (struct option){
            t->name, t->type == OPT_FLAG ? no_argument : required_argument,
            NULL, OPT_TRANSPORT + (int)i };
    }
    return lo;
}

static void run_options_defaults(struct run_opts *o, size_t ntp, int single)
{
    memset(o, 0, sizeof(*o));
    o->tp_given = calloc(ntp + 1, 1);
    if (o->tp_given == NULL)
        cli_die("calloc: out of memory");
    o->single = single;
    bench_config_defaults(&o->cfg);
    o->modes = 1 << MODE_THROUGHPUT | 1 << MODE_LATENCY;
    o->sizes[0] = 64;
    o->sizes[1] = 4096;
    o->sizes[2] = 65536;
    o->sizes[3] = 1 << 20;
    o->nsizes = 4;
    o->size_opt = "--sizes";
    o->places[0] = PLACE_SPREAD;
    o->nplaces = 1;
    o->format = OUT_TABLE;
}

void run_options_parse(int argc, char **argv, struct run_opts *o, int single)
{
    size_t ntp = tp_options_count();
    struct option *longopts = long_options(ntp);
    int c;

    run_options_defaults(o, ntp, single);
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == ':')
            cli_usage_error("%s needs a value", argv[optind - 1]);
        if (c >= OPT_CORE && (size_t)(c - OPT_CORE) < NCORE) {
            core_options[c - OPT_CORE].set(o, optarg);
        } else if (c >= OPT_TRANSPORT && (size_t)(c - OPT_TRANSPORT) < ntp) {
            size_t i = tp_option_first((size_t)(c - OPT_TRANSPORT));

            parse_shared_option(i, optarg);
            o->tp_given[i] = 1;
        } else {
            cli_usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    free(longopts);
    if (o->sort != TABLE_STREAM && o->format != OUT_TABLE)
        cli_usage_error("--sort orders the table only: CSV and JSON rows "
                        "keep the order of the run");
    if (o->interval_set && !(o->modes & (1 << MODE_PACED)))
        cli_usage_error("--interval applies to paced mode only (add --mode "
                        "paced)");
    if (o->cfg.max_time_ns > 0 && o->cfg.time_ns > 0)
        cli_usage_error("--max-time caps runs of the counts given "
                        "(--bytes, --iterations), and --time sets its own: "
                        "choose one");
    if (o->cfg.max_time_ns > 0 && !o->counts_set)
        cli_usage_error("--max-time caps runs of the counts given: add "
                        "--bytes or --iterations (without them each run "
                        "already lasts about %llu ms)",
                        RUN_TIME_DEFAULT_NS / 1000000ull);
    if (o->cfg.max_time_ns > 0 &&
        o->cfg.max_time_ns >= (uint64_t)o->cfg.timeout_s * 1000000000u)
        cli_usage_error("--max-time is not shorter than --timeout %u: the "
                        "timeout would end a run first", o->cfg.timeout_s);
    if (o->cfg.time_ns == 0 && !o->counts_set) {
        o->cfg.time_ns = RUN_TIME_DEFAULT_NS;   /* a budget, not a count */
        o->time_default = 1;
    }
    if (o->cfg.time_ns > 0) {   /* a run of T, plus its setup, must fit */
        uint64_t need_s = 3 * (o->cfg.time_ns / 1000000000u) + 30;

        if (!o->timeout_set && o->cfg.timeout_s < need_s)
            o->cfg.timeout_s = (unsigned)need_s;
        else if (o->timeout_set &&
                 (uint64_t)o->cfg.timeout_s * 1000000000u <= o->cfg.time_ns)
            cli_usage_error("--timeout %u is not longer than --time: a run "
                            "would always time out", o->cfg.timeout_s);
    }
}

void run_options_free(struct run_opts *o)
{
    free(o->tp_given);
    o->tp_given = NULL;
}
