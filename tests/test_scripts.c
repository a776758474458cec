/* test_scripts.c - scripts/plots and scripts/compare on small fixed CSVs
 * (tests/data/), and what every results script does with malformed input
 * or a missing directory (one line on stderr, exit status 2).
 * scripts/report has its own suite (tests/test_report.c), and so has
 * scripts/bench QUICK=1 end to end (tests/test_bench_sweep.c).
 *
 * The scripts run as child processes with stdout and stderr in files of a
 * private temporary directory, which each test removes (tests/script_util.h).
 * Tests that need gnuplot skip, saying so, when it is not installed (make
 * bench installs it).
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "script_util.h"

/* ---- scripts/plots --------------------------------------------------- */

Test(scripts, plots_draws_every_chart_from_a_fixed_csv, .timeout = 60,
     .fini = tmp_cleanup)
{
    char tmp[PATH_MAX], run[PATH_MAX + 8];
    char *argv[] = { (char *)script_path("plots"), run, NULL };
    char *err, *svg;

    SKIP_WITHOUT_GNUPLOT();
    make_tmp(tmp, sizeof(tmp));
    fixture_run(tmp, run, sizeof(run));
    cr_expect_eq(run_script(tmp, argv, NULL), 0, "scripts/plots failed");
    err = slurp_in(tmp, "stderr");
    cr_expect(err != NULL && strstr(err, "warning") == NULL &&
              strstr(err, "failed") == NULL, "gnuplot complained: %s", err);
    free(err);
    expect_charts(run, chart_names, NCHARTS);
    expect_charts(run, paced_chart_names, NPACED_CHARTS);
    expect_charts(run, heatmap_chart_names, NHEATMAP_CHARTS);
    /* titles carry host, kernel and date; every transport is in a legend */
    svg = slurp_in(run, "charts/throughput-spread.svg");
    cr_assert_not_null(svg);
    cr_expect(strstr(svg, "fixture-host") && strstr(svg, "6.1.0-test") &&
              strstr(svg, "2026-01-01"), "title lacks host, kernel, date");
    cr_expect(strstr(svg, "posix_shm/futex") && strstr(svg, "udp") &&
              strstr(svg, "memcpy"), "a transport is missing a line");
    free(svg);
    /* the paced chart: its interval, read from the notes, the reference
     * line at one interval, a bar per transport (the paced-only ones too) */
    svg = slurp_in(run, "charts/paced-spread.svg");
    cr_assert_not_null(svg);
    cr_expect(strstr(svg, "The price of waiting: one 64 B round trip every "
                          "100 µs, placement spread") != NULL,
              "paced chart: no title with the interval");
    cr_expect(strstr(svg, "one CPU busy the whole interval (100 µs)") !=
                  NULL, "paced chart: no reference line label");
    cr_expect(strstr(svg, "posix_shm/sem") && strstr(svg, "signal/sigwaitinfo")
                  && strstr(svg, "sysv_shm/spin"),
              "paced chart: a transport has no bar");
    cr_expect(strstr(svg, "longer than the interval: back to back") != NULL,
              "paced chart: the round trip longer than the interval is not "
              "marked");
    free(svg);
    remove_tree(tmp);
}

/* The interval comes from each paced row's note, in any unit ipclab
 * prints; rows that disagree are drawn, and the title says so. */
Test(scripts, paced_chart_reads_the_interval_of_each_row, .timeout = 60,
     .fini = tmp_cleanup)
{
#define PACED_ROW(t, rtt, every)                                            \
    t ",ipc,paced,64,spread,0,1,ok,3,rtt_p50_ns," rtt "," rtt "," rtt ",1,,,"  \
    rtt "," rtt ",,,,,,,," rtt ",,1000,64000,0,0,0,yes,"                      \
    "paced: one round trip every " every "\n"
    static const char csv_text[] =
        "transport,family,mode,size_bytes,placement,cpu_producer,"
        "cpu_consumer,status,reps,metric,median,min,max,cv_pct,mb_per_s,"
        "msgs_per_s,rtt_min_ns,rtt_p50_ns,rtt_p90_ns,rtt_p99_ns,rtt_p999_ns,"
        "rtt_max_ns,rtt_mean_ns,rtt_stddev_ns,one_way_p50_ns,cpu_ns_per_msg,"
        "cpu_ms_per_mb,messages,bytes,lost,duplicated,reordered,verified,"
        "note\n"
        PACED_ROW("pipe", "30000", "100 us")
        PACED_ROW("fifo", "31000", "1 ms")
        PACED_ROW("tcp", "47000", "20000 ns")     /* late: 47 us > 20 us */
        PACED_ROW("udp", "52000", "1 s");
#undef PACED_ROW
    char tmp[PATH_MAX], run[PATH_MAX + 8], csv[PATH_MAX + 32];
    char *argv[] = { (char *)script_path("plots"), run, NULL };
    char *svg;

    SKIP_WITHOUT_GNUPLOT();
    make_tmp(tmp, sizeof(tmp));
    snprintf(run, sizeof(run), "%s/run", tmp);
    cr_assert_eq(mkdir(run, 0700), 0);
    snprintf(csv, sizeof(csv), "%s/results.csv", run);
    write_file(csv, csv_text);
    cr_assert_eq(run_script(tmp, argv, NULL), 0, "scripts/plots failed");
    svg = slurp_in(run, "charts/paced-spread.svg");
    cr_assert_not_null(svg, "no paced-spread chart");
    cr_expect(strstr(svg, "(rows disagree on the interval: 100 µs, 1 ms, "
                          "20 µs, 1 s; the line uses 100 µs)") != NULL,
              "the title does not say the intervals disagree");
    cr_expect(strstr(svg, "one CPU busy the whole interval (100 µs)")
                  != NULL, "the line is not at the first row's interval");
    cr_expect(strstr(svg, "RTT p50 47 µs (longer than the interval") != NULL,
              "tcp (47 µs, every 20000 ns) should be marked late");
    for (const char *p = svg; (p = strstr(p, " (longer than the")) != NULL;
         p++)
        cr_expect(strncmp(p - strlen("47 µs"), "47 µs", strlen("47 µs")) == 0,
                  "a row within its interval is marked late: %.40s", p - 20);
    free(svg);
    remove_tree(tmp);
}

/* ---- malformed input: one line on stderr, exit status 2 ------------- */

struct bad_csv {                /* arrays, not pointers: Criterion copies
                                   the parameters into the test process */
    char what[32];
    char text[1024];            /* the results.csv */
    char says[48];              /* expected in the one stderr line */
};

ParameterizedTestParameters(scripts, malformed_csv_is_refused_in_one_line)
{
    static struct bad_csv cases[] = {
        { "empty file", "", "empty" },
        { "header only", HEADER, "no data rows" },
        { "not our header", "a,b,c\n1,2,3\n",
          "not an ipclab results header" },
        { "short row", HEADER ROW_HEAD "100,90\n",
          "fields, the header has 34" },
        { "long row", HEADER ROW_HEAD ROW_TAIL ",extra\n",
          "fields, the header has 34" },
        { "unterminated quote", HEADER ROW_HEAD ROW_TAIL "\"oops\n",
          "unterminated quote" },
        { "text for a number",
          HEADER ROW_HEAD "fast,90,110,2,100,1500000,,,,,,,,,,900,9,1000,"
          "64000,0,0,0,yes,\n", "not a number" },
        { "unknown status",
          HEADER "pipe,ipc,throughput,64,spread,0,1,maybe,3,mb_per_s,"
          ROW_TAIL "\n", "status" },
        { "unknown mode",
          HEADER "pipe,ipc,sideways,64,spread,0,1,ok,3,mb_per_s,"
          ROW_TAIL "\n", "expected throughput, latency or paced" },
    };
    return cr_make_param_array(struct bad_csv, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_csv *c, scripts,
                  malformed_csv_is_refused_in_one_line, .timeout = 30,
                  .fini = tmp_cleanup)
{
    static const char *const tools[] = { "plots", "report", "compare" };
    char tmp[PATH_MAX], run[PATH_MAX + 8], csv[PATH_MAX + 32];

    make_tmp(tmp, sizeof(tmp));
    snprintf(run, sizeof(run), "%s/run", tmp);
    cr_assert_eq(mkdir(run, 0700), 0);
    snprintf(csv, sizeof(csv), "%s/results.csv", run);
    write_file(csv, c->text);
    for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
        char *argv[] = { (char *)script_path(tools[i]),
                         i == 2 ? (char *)data_path("compare-a.csv") : run,
                         i == 2 ? run : NULL, NULL };
        char *err, *out;
        int status = run_script(tmp, argv, NULL);

        err = slurp_in(tmp, "stderr");
        out = slurp_in(tmp, "stdout");
        cr_assert(err != NULL && out != NULL);
        cr_expect_eq(status, 2, "%s on %s: exit %d, expected 2", tools[i],
                     c->what, status);
        cr_expect_eq(count_lines(err), 1, "%s on %s: stderr is not one "
                     "line: %s", tools[i], c->what, err);
        cr_expect(strstr(err, c->says) != NULL && strstr(err, csv) != NULL,
                  "%s on %s: stderr lacks \"%s\" or the file name: %s",
                  tools[i], c->what, c->says, err);
        cr_expect_str_empty(out, "%s on %s wrote to stdout", tools[i],
                            c->what);
        free(err);
        free(out);
    }
    remove_tree(tmp);
}

/* A paced row is read like any other: compare and report take it. */
Test(scripts, paced_rows_are_read, .timeout = 30, .fini = tmp_cleanup)
{
    static const char csv_text[] =
        HEADER "pipe,ipc,paced,64,spread,0,1,ok,3,rtt_p50_ns,30000,29000,"
        "31000,2,,,25000,30000,36000,60000,,,,,,33000,,1000,64000,0,0,0,yes,"
        "\"paced: one round trip every 100 us; a note, quoted\"\n";
    char tmp[PATH_MAX], run[PATH_MAX + 8], csv[PATH_MAX + 32];
    char *compare[] = { (char *)script_path("compare"), "--csv", csv, csv,
                        NULL };
    char *report[] = { (char *)script_path("report"), run, NULL };
    char *out, *md;

    make_tmp(tmp, sizeof(tmp));
    snprintf(run, sizeof(run), "%s/run", tmp);
    cr_assert_eq(mkdir(run, 0700), 0);
    snprintf(csv, sizeof(csv), "%s/results.csv", run);
    write_file(csv, csv_text);
    cr_expect_eq(run_script(tmp, compare, NULL), 0, "compare refused a "
                 "paced row");
    out = slurp_in(tmp, "stdout");
    cr_assert_not_null(out);
    cr_expect(strstr(out, "\npipe,paced,64,spread,rtt_p50_ns,30000,30000,"
                          "1.000,\"~ within spread") != NULL,
              "compare: no paced cell: %s", out);
    free(out);
    cr_expect_eq(run_script(tmp, report, NULL), 0, "report refused a paced "
                 "row");
    md = slurp_in(run, "report.md");
    cr_assert_not_null(md);
    cr_expect(strstr(md, "## When messages are sparse (paced)") != NULL,
              "report: no paced section");
    cr_expect(strstr(md, "| pipe | 30 µs | 60 µs | 33 µs | a note, quoted |")
                  != NULL, "report: the paced row is not in its table");
    free(md);
    remove_tree(tmp);
}

Test(scripts, missing_results_directory_is_bad_usage, .timeout = 30,
     .fini = tmp_cleanup)
{
    static const char *const tools[] = { "plots", "report", "compare" };
    char tmp[PATH_MAX], nowhere[PATH_MAX + 16];

    make_tmp(tmp, sizeof(tmp));
    snprintf(nowhere, sizeof(nowhere), "%s/nowhere", tmp);
    for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
        char *argv[] = { (char *)script_path(tools[i]), nowhere,
                         i == 2 ? nowhere : NULL, NULL };
        char *err;

        cr_expect_eq(run_script(tmp, argv, NULL), 2, "%s", tools[i]);
        err = slurp_in(tmp, "stderr");
        cr_expect(err != NULL && count_lines(err) == 1 &&
                  strstr(err, "nowhere") != NULL, "%s: %s", tools[i], err);
        free(err);
    }
    remove_tree(tmp);
}

/* ---- scripts/compare ---------------------------------------------------- */

struct compare_case {
    char cell[48];              /* transport,mode,size_bytes,placement, */
    char ratio[8];              /* B/A as printed, "-" when not comparable */
    char verdict[48];           /* start of the verdict */
};

ParameterizedTestParameters(scripts, compare_gives_ratio_and_flag_per_cell)
{
    /* compare-a.csv and compare-b.csv: spreads are (max - min) / median */
    static struct compare_case cases[] = {
        { "pipe,throughput,64,spread,", "1.500", "BETTER +50%" },
        { "pipe,latency,64,spread,", "0.900", "BETTER -10%" },   /* ns: lower */
        { "fifo,throughput,65536,spread,", "1.100", "~ within spread 20%" },
        { "fifo,latency,64,same,", "1.500", "WORSE +50%" },
        { "tcp,throughput,1048576,spread,", "-", "A ok, B failed" },
        { "udp,latency,64,spread,", "-", "only in A" },
        { "posix_mq,latency,64,spread,", "-", "only in B" },
        /* paced: round-trip ns, lower is better, as latency */
        { "pipe,paced,64,spread,", "2.000", "WORSE +100%" },
        { "posix_shm/spin,paced,64,spread,", "-",
          "paced every 100 µs in A, every 1 ms in B" },
    };
    return cr_make_param_array(struct compare_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct compare_case *c, scripts,
                  compare_gives_ratio_and_flag_per_cell, .timeout = 30,
                  .fini = tmp_cleanup)
{
    char tmp[PATH_MAX], want[256];
    char *argv[] = { (char *)script_path("compare"), "--csv",
                     (char *)data_path("compare-a.csv"),
                     (char *)data_path("compare-b.csv"), NULL };
    char *out, *line, *end;

    make_tmp(tmp, sizeof(tmp));
    cr_assert_eq(run_script(tmp, argv, NULL), 0);
    out = slurp_in(tmp, "stdout");
    cr_assert_not_null(out);
    cr_expect_eq(count_lines(out), 10, "a header and 9 cells: %s", out);
    line = strstr(out, c->cell);
    cr_assert_not_null(line, "no line for %s in:\n%s", c->cell, out);
    end = strchr(line, '\n');
    if (end != NULL)
        *end = '\0';
    /* ...,metric,a,b,RATIO,"VERDICT..." */
    snprintf(want, sizeof(want), ",%s,\"%s", c->ratio, c->verdict);
    cr_expect(strstr(line, want) != NULL, "%s: expected \"%s\" in: %s",
              c->cell, want, line);
    free(out);
    remove_tree(tmp);
}

Test(scripts, compare_summarises_for_a_person, .timeout = 30,
     .fini = tmp_cleanup)
{
    char tmp[PATH_MAX];
    char *argv[] = { (char *)script_path("compare"),
                     (char *)data_path("compare-a.csv"),
                     (char *)data_path("compare-b.csv"), NULL };
    char *out;

    make_tmp(tmp, sizeof(tmp));
    cr_assert_eq(run_script(tmp, argv, NULL), 0);
    out = slurp_in(tmp, "stdout");
    cr_assert_not_null(out);
    cr_expect(strstr(out, "9 cells: 2 better, 2 worse, 1 within spread, "
                          "4 not comparable") != NULL, "summary: %s", out);
    free(out);
    remove_tree(tmp);
}
