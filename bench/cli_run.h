/* cli_run.h - what the modules of the command line share: bench/cli.c
 * (the entry points), options.c (parsing `run`'s options), help.c (its
 * --help), select.c (which transports a run takes, and the checks made
 * before anything starts), sweep.c (the measuring loop, the output files,
 * the progress lines) and list.c (`ipclab list`, `ipclab env`).
 *
 * Entry-point code: unlike the rest of bench/, these functions print and
 * exit - through cli_usage_error() (bad input: one line, exit 2) and
 * cli_die() (exit 1). */
#ifndef IPCLAB_CLI_RUN_H
#define IPCLAB_CLI_RUN_H

#include <stddef.h>
#include <stdio.h>

#include "harness.h"
#include "output.h"
#include "transport.h"

#define MAX_SIZES 32
#define MAX_SELECTED 256

/* The program's name in messages: "ipclab", or "pipe" for bin/pipe. */
extern const char *cli_prog;

void cli_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void cli_die(const char *msg) __attribute__((noreturn));

/* ---- options.c ---------------------------------------------------------- */

/* Without --bytes, --iterations or --time, each run lasts about this
 * long (a pilot run sets its count): `ipclab run pipe` is 8 cells of 7
 * runs, some 15 s, however slow the transport. */
#define RUN_TIME_DEFAULT_NS 250000000ull

struct run_opts {
    struct bench_config cfg;
    int modes;                  /* bit (1 << enum tp_mode) per mode asked */
    int interval_set;                   /* --interval was given */
    size_t sizes[MAX_SIZES];
    unsigned nsizes;
    enum placement places[3];
    unsigned nplaces;
    const char *size_opt;               /* "--size" or "--sizes" */
    enum out_format format;
    const char *output, *csv, *json;
    const char *samples;                /* --samples FILE */
    const char *baseline;               /* --baseline T: the verdict's
                                           and the table's "x T" */
    enum table_sort sort;               /* --sort KEY (table only);
                                           TABLE_STREAM without it */
    int counters;                       /* --counters: all of them */
    int guard;                          /* --guard: calibrate around each
                                           transport (bench/guard.h) */
    int timeout_set;                    /* --timeout was given */
    int counts_set;                     /* --bytes or --iterations given */
    int time_default;                   /* no counts, no --time: the
                                           default budget per run */
    int quiet;
    unsigned char *tp_given;            /* per transport option: given */
    int single;                         /* bin/<mechanism>, not ipclab run */
};

/* Several transports may register an option of one name and type (--dir:
 * mmap_file and the file rows): it is one option on the command line and
 * its value goes to every table of that name.  The index of the first
 * registration of option i's name. */
size_t tp_option_first(size_t i);
/* Does option t mean something to the transport called name? */
int tp_option_applies(const struct tp_option *t, const char *name);

/* Parse `run`'s options into o (optind is left at the first transport
 * name); --help and --version print and exit 0, bad input exits 2. */
void run_options_parse(int argc, char **argv, struct run_opts *o, int single);
void run_options_free(struct run_opts *o);

/* ---- help.c ------------------------------------------------------------- */

/* `ipclab run --help`, or (single) `bin/<mechanism> --help`. */
void run_help(FILE *fp, int single);

/* ---- select.c ----------------------------------------------------------- */

struct selection {
    const struct transport *tp[MAX_SELECTED];
    int explicit_[MAX_SELECTED];        /* named on the command line */
    unsigned n;
};

/* The transports named (a name, a mechanism, a family; none: all). */
void select_transports(int argc, char **argv, struct selection *s);
/* Everything refused before anything starts: options that apply to no
 * selected transport, sizes the memory cannot hold, a size the one named
 * transport cannot take, placements this machine cannot give. */
void select_check(const struct selection *s, struct run_opts *o);

/* ---- sweep.c ------------------------------------------------------------ */

/* Run every cell (mode x transport x size x placement x point), writing
 * the rows as they come; returns the exit status (0, or 1 if a row or an
 * output failed).  argv is the command line, for the JSON meta. */
int sweep_run(struct run_opts *o, const struct selection *s, int argc,
              char **argv);

/* ---- list.c ------------------------------------------------------------- */

int list_main(int argc, char **argv);   /* ipclab list */
int env_main(int argc, char **argv);    /* ipclab env */

#endif
