/* script_util.h - what the tests of the scripts share (tests/script_util.c):
 * the source tree and its scripts, a private temporary directory per test,
 * files read and written whole, a script run as a child with stdout and
 * stderr in files, and the charts scripts/plots draws for the fixture run.
 *
 * Used by tests/test_scripts.c (plots, compare), tests/test_report.c and
 * tests/test_bench_sweep.c.
 */
#ifndef IPCLAB_SCRIPT_UTIL_H
#define IPCLAB_SCRIPT_UTIL_H

#include <criterion/criterion.h>
#include <stddef.h>

/* The source tree's scripts/NAME and tests/data/NAME: a ring of buffers,
 * so that several of them can sit in one argv. */
const char *script_path(const char *name);
const char *data_path(const char *name);
/* 1 when prog is an executable in a directory of $PATH. */
int on_path(const char *prog);

/* A private directory for one test (not named ipclab-*, so that the
 * leftover checks of other tests never count it): make_tmp() creates it,
 * remove_tree() removes it at the end of the test, tmp_cleanup() as the
 * .fini of every test removes it when an assertion stopped the test. */
void make_tmp(char *out, size_t outlen);
void remove_tree(const char *path);
void tmp_cleanup(void);

/* The whole file as a string (NULL when it cannot be read); free() it. */
char *slurp(const char *path, size_t *len);
/* slurp() of DIR/NAME */
char *slurp_in(const char *dir, const char *name);
void copy_file(const char *from, const char *to);
void write_file(const char *path, const char *text);

/* Run argv[0] with extra environment entries ("NAME=value", NULL-ended),
 * stdout and stderr into DIR/stdout and DIR/stderr (freshly truncated).
 * Returns the exit status (128 + signal when killed). */
int run_script(const char *dir, char *const argv[], char *const env[]);
/* run_script() in IPC and mount namespaces of its own, with a private
 * /dev/shm and /dev/mqueue; -1 without running anything when isolation is
 * not permitted. */
int run_script_isolated(const char *dir, char *const argv[],
                        char *const env[]);

/* The status field of the first line of csv that starts with prefix
 * ("pipe,ipc,paced,64,spread,"), into out; 0, or -1 when no line does. */
int csv_status(const char *csv, const char *prefix, char *out,
               size_t outlen);
int count_lines(const char *s);

/* The header of results.csv: schema 1, and the columns schema 2 appends
 * after note (tests/data/ holds both). */
#define HEADER                                                              \
    "transport,family,mode,size_bytes,placement,cpu_producer,cpu_consumer," \
    "status,reps,metric,median,min,max,cv_pct,mb_per_s,msgs_per_s,"        \
    "rtt_min_ns,rtt_p50_ns,rtt_p90_ns,rtt_p99_ns,rtt_p999_ns,rtt_max_ns,"  \
    "rtt_mean_ns,rtt_stddev_ns,one_way_p50_ns,cpu_ns_per_msg,"             \
    "cpu_ms_per_mb,messages,bytes,lost,duplicated,reordered,verified,note\n"
/* What the harness writes today: schema 2 appends these after note. */
#define HEADER_V2                                                           \
    "transport,family,mode,size_bytes,placement,cpu_producer,cpu_consumer," \
    "status,reps,metric,median,min,max,cv_pct,mb_per_s,msgs_per_s,"        \
    "rtt_min_ns,rtt_p50_ns,rtt_p90_ns,rtt_p99_ns,rtt_p999_ns,rtt_max_ns,"  \
    "rtt_mean_ns,rtt_stddev_ns,one_way_p50_ns,cpu_ns_per_msg,"             \
    "cpu_ms_per_mb,messages,bytes,lost,duplicated,reordered,verified,note," \
    "status_code,reason,interval_ns,ring_bytes,records_per_msg,wait,"       \
    "copies"                /* then ipclab's newer columns, flags */
/* one throughput row of schema 1: ROW_HEAD ROW_TAIL "\n" after HEADER */
#define ROW_HEAD "pipe,ipc,throughput,64,spread,0,1,ok,3,mb_per_s,"
#define ROW_TAIL "100,90,110,2,100,1500000,,,,,,,,,,900,9,1000,64000,0,0,0,yes,"

/* A results directory made of a fixture: DIR/run/results.csv + meta.txt. */
void fixture_run(const char *tmp, char *run, size_t runlen);

/* The charts scripts/plots draws for a run with both placements, those it
 * adds when the run has paced rows, and the heatmaps, when throughput was
 * measured at two sizes or more. */
extern const char *const chart_names[];
#define NCHARTS ((size_t)8)
extern const char *const paced_chart_names[];
#define NPACED_CHARTS ((size_t)2)
extern const char *const heatmap_chart_names[];
#define NHEATMAP_CHARTS ((size_t)2)
/* every chart of the fixture run (tests/data/results-small.csv) */
#define NFIXTURE_CHARTS (NCHARTS + NPACED_CHARTS + NHEATMAP_CHARTS)
/* each of names[0..n) as charts/NAME.png and .svg in run, not tiny */
void expect_charts(const char *run, const char *const names[], size_t n);

#define SKIP_WITHOUT_GNUPLOT()                                              \
    do {                                                                    \
        if (!on_path("gnuplot"))                                            \
            cr_skip_test("gnuplot is not installed (make bench and make "   \
                         "plots install it: scripts/install-deps "          \
                         "gnuplot-nox)");                                   \
    } while (0)

#endif
