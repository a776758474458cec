/* test_scripts.c - the results pipeline: scripts/plots, scripts/report,
 * scripts/compare on small fixed CSVs (tests/data/), and scripts/bench
 * QUICK=1 end to end.
 *
 * The scripts run as child processes with stdout and stderr in files of a
 * private temporary directory, which each test removes.  Tests that need
 * gnuplot or chromium skip, saying so, when the program is not installed
 * (make bench installs gnuplot; chromium is never installed by a test).
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "json_check.h"
#include "test_util.h"

#ifndef IPCLAB_BINDIR
#define IPCLAB_BINDIR "bin"
#endif

/* ---- helpers --------------------------------------------------------- */

/* The source tree: the first parent of the bin directory that holds
 * scripts/bench (bin/ or build/san/bin/ alike). */
static const char *tree_dir(void)
{
    static char tree[PATH_MAX];
    char path[PATH_MAX + 32];

    if (tree[0] != '\0')
        return tree;
    cr_assert_not_null(realpath(IPCLAB_BINDIR, tree), "realpath %s: %s",
                       IPCLAB_BINDIR, strerror(errno));
    for (int up = 0; up < 4; up++) {
        char *slash = strrchr(tree, '/');

        cr_assert(slash != NULL && slash != tree, "no scripts/ above %s",
                  IPCLAB_BINDIR);
        *slash = '\0';
        snprintf(path, sizeof(path), "%s/scripts/bench", tree);
        if (access(path, X_OK) == 0)
            return tree;
    }
    cr_assert_fail("no scripts/bench above %s", IPCLAB_BINDIR);
    return NULL;
}

/* Paths for argv arrays: a ring of buffers, so that several of them can
 * sit in one argv. */
static const char *tree_path(const char *folder, const char *name)
{
    static char ring[8][PATH_MAX + 64];
    static unsigned next;
    char *path = ring[next++ % 8];

    snprintf(path, PATH_MAX + 64, "%s/%s/%s", tree_dir(), folder, name);
    return path;
}

static const char *script_path(const char *name)
{
    return tree_path("scripts", name);
}

static const char *data_path(const char *name)
{
    return tree_path("tests/data", name);
}

static int on_path(const char *prog)
{
    const char *env = getenv("PATH");
    char *dirs, *save = NULL, path[PATH_MAX];
    int found = 0;

    dirs = strdup(env != NULL ? env : "/usr/bin:/bin");
    cr_assert_not_null(dirs);
    for (char *d = strtok_r(dirs, ":", &save); d != NULL && !found;
         d = strtok_r(NULL, ":", &save)) {
        snprintf(path, sizeof(path), "%s/%s", d, prog);
        found = access(path, X_OK) == 0;
    }
    free(dirs);
    return found;
}

/* A private directory for one test; not named ipclab-* so that the
 * leftover checks of other tests never count it.  The .fini of every test
 * removes it, also when an assertion stopped the test half-way. */
static char test_tmp[PATH_MAX];

static void make_tmp(char *out, size_t outlen)
{
    const char *tmp = getenv("TMPDIR");

    snprintf(out, outlen, "%s/scripts-test-XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    cr_assert_not_null(mkdtemp(out), "mkdtemp: %s", strerror(errno));
    snprintf(test_tmp, sizeof(test_tmp), "%s", out);
}

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_tree(const char *path)
{
    cr_expect_eq(nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0,
                 "removing %s: %s", path, strerror(errno));
    if (strcmp(path, test_tmp) == 0)
        test_tmp[0] = '\0';
}

static void tmp_cleanup(void)
{
    if (test_tmp[0] != '\0')
        nftw(test_tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    test_tmp[0] = '\0';
}

/* The whole file as a string (NULL when it cannot be read); free() it. */
static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "r");
    char *buf = NULL;
    size_t cap = 0, used = 0, n;

    if (fp == NULL)
        return NULL;
    do {
        if (cap - used < 4096) {
            cap = cap ? cap * 2 : 65536;
            buf = realloc(buf, cap + 1);
            cr_assert_not_null(buf);
        }
        n = fread(buf + used, 1, cap - used, fp);
        used += n;
    } while (n > 0);
    fclose(fp);
    buf[used] = '\0';
    if (len != NULL)
        *len = used;
    return buf;
}

static void copy_file(const char *from, const char *to)
{
    size_t len;
    char *buf = slurp(from, &len);
    FILE *fp;

    cr_assert_not_null(buf, "cannot read %s", from);
    fp = fopen(to, "w");
    cr_assert_not_null(fp, "fopen %s: %s", to, strerror(errno));
    cr_assert_eq(fwrite(buf, 1, len, fp), len);
    cr_assert_eq(fclose(fp), 0);
    free(buf);
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    cr_assert_not_null(fp, "fopen %s: %s", path, strerror(errno));
    fputs(text, fp);
    cr_assert_eq(fclose(fp), 0);
}

/* Run argv[0] with extra environment entries ("NAME=value", NULL-ended),
 * stdout and stderr into DIR/stdout and DIR/stderr (freshly truncated).
 * Returns the exit status (128 + signal when killed). */
static int run_script(const char *dir, char *const argv[],
                      char *const env[])
{
    char out[PATH_MAX + 16], err[PATH_MAX + 16];
    int status;
    pid_t pid;

    snprintf(out, sizeof(out), "%s/stdout", dir);
    snprintf(err, sizeof(err), "%s/stderr", dir);
    pid = fork();
    cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
    if (pid == 0) {
        int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

        if (fo < 0 || fe < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0)
            _exit(126);
        for (int i = 0; env != NULL && env[i] != NULL; i++)
            if (putenv(env[i]) != 0)
                _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) == -1)
        cr_assert_eq(errno, EINTR, "waitpid: %s", strerror(errno));
    return WIFEXITED(status) ? WEXITSTATUS(status)
                             : 128 + WTERMSIG(status);
}

/* Give the calling process IPC and mount namespaces of its own, with a
 * private /dev/shm and /dev/mqueue: whatever it creates is invisible to
 * the machine-wide leftover counts of the other tests.  0, or -1 where it
 * is not permitted (not root, or in a container that forbids it). */
static int isolate_self(void)
{
    if (unshare(CLONE_NEWIPC | CLONE_NEWNS) == -1)
        return -1;
    if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1 ||
        mount("tmpfs", "/dev/shm", "tmpfs", 0, "size=1g,mode=1777") == -1)
        return -1;
    if (mount("mqueue", "/dev/mqueue", "mqueue", 0, NULL) == -1 &&
        errno != ENOENT)
        return -1;
    return 0;
}

/* run_script() in a process of its own namespaces (isolate_self); returns
 * -1 without running anything when isolation is not permitted. */
static int run_script_isolated(const char *dir, char *const argv[],
                               char *const env[])
{
    int status;
    pid_t pid = fork();

    cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
    if (pid == 0) {
        if (isolate_self() == -1)
            _exit(125);
        _exit(run_script(dir, argv, env));
    }
    while (waitpid(pid, &status, 0) == -1)
        cr_assert_eq(errno, EINTR, "waitpid: %s", strerror(errno));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 125)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status)
                             : 128 + WTERMSIG(status);
}

static char *slurp_in(const char *dir, const char *name)
{
    char path[PATH_MAX + 64];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return slurp(path, NULL);
}

/* The status field of the first line of csv that starts with prefix
 * ("pipe,ipc,paced,64,spread,"), into out; 0, or -1 when no line does. */
static int csv_status(const char *csv, const char *prefix, char *out,
                      size_t outlen)
{
    size_t plen = strlen(prefix);
    const char *p = csv;

    while (p != NULL && strncmp(p, prefix, plen) != 0) {
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    /* transport,family,mode,size_bytes,placement,cpu_producer,
     * cpu_consumer,status: the 8th field */
    for (int field = 1; field < 8 && p != NULL; field++) {
        p = strchr(p, ',');
        if (p != NULL)
            p++;
    }
    if (p == NULL)
        return -1;
    snprintf(out, outlen, "%.*s", (int)strcspn(p, ",\n"), p);
    return 0;
}

static int count_lines(const char *s)
{
    int n = 0;

    for (; *s != '\0'; s++)
        n += *s == '\n';
    return n;
}

/* A results directory made of a fixture: DIR/run/results.csv + meta.txt. */
static void fixture_run(const char *tmp, char *run, size_t runlen)
{
    char path[PATH_MAX + 64];

    snprintf(run, runlen, "%s/run", tmp);
    cr_assert_eq(mkdir(run, 0700), 0, "mkdir %s: %s", run, strerror(errno));
    snprintf(path, sizeof(path), "%s/results.csv", run);
    copy_file(data_path("results-small.csv"), path);
    snprintf(path, sizeof(path), "%s/meta.txt", run);
    write_file(path, "host=fixture-host\nkernel=6.1.0-test\n"
                     "date=2026-01-01 00:00 UTC\ncores=2\n");
}

/* The charts scripts/plots draws for a run with both placements, and those
 * it adds when the run has paced rows. */
static const char *const chart_names[] = {
    "throughput-spread", "throughput-same", "latency-spread",
    "latency-same", "cpu-per-msg", "same-vs-spread",
    "latency-ladder-spread", "latency-ladder-same",
};
#define NCHARTS (sizeof(chart_names) / sizeof(chart_names[0]))
static const char *const paced_chart_names[] = { "paced-spread", "paced-same" };
#define NPACED_CHARTS (sizeof(paced_chart_names) / sizeof(paced_chart_names[0]))
/* and the heatmaps, when throughput was measured at two sizes or more */
static const char *const heatmap_chart_names[] = { "heatmap-spread",
                                                    "heatmap-same" };
#define NHEATMAP_CHARTS                                                     \
    (sizeof(heatmap_chart_names) / sizeof(heatmap_chart_names[0]))
/* every chart of the fixture run (tests/data/results-small.csv) */
#define NFIXTURE_CHARTS (NCHARTS + NPACED_CHARTS + NHEATMAP_CHARTS)

static void expect_charts(const char *run, const char *const names[], size_t n)
{
    char path[PATH_MAX + 96];
    size_t len;

    for (size_t i = 0; i < n; i++) {
        char *png, *svg;

        snprintf(path, sizeof(path), "%s/charts/%s.png", run, names[i]);
        png = slurp(path, &len);
        cr_expect(png != NULL && len > 1000 &&
                  memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0,
                  "%s: missing, tiny or not a PNG", path);
        free(png);
        snprintf(path, sizeof(path), "%s/charts/%s.svg", run, names[i]);
        svg = slurp(path, &len);
        cr_expect(svg != NULL && len > 1000 && strstr(svg, "<svg") != NULL &&
                  strstr(svg, "</svg>") != NULL,
                  "%s: missing, tiny or not an SVG", path);
        free(svg);
    }
}

#define SKIP_WITHOUT_GNUPLOT()                                              \
    do {                                                                    \
        if (!on_path("gnuplot"))                                            \
            cr_skip_test("gnuplot is not installed (make bench and make "   \
                         "plots install it: scripts/install-deps "          \
                         "gnuplot-nox)");                                   \
    } while (0)

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
#define ROW_HEAD "pipe,ipc,throughput,64,spread,0,1,ok,3,mb_per_s,"
#define ROW_TAIL "100,90,110,2,100,1500000,,,,,,,,,,900,9,1000,64000,0,0,0,yes,"

ParameterizedTestParameters(scripts, malformed_csv_is_refused_in_one_line)
{
    static struct bad_csv cases[] = {
        { "empty file", "", "empty" },
        { "header only", HEADER, "no data rows" },
        { "not our header", "a,b,c\n1,2,3\n", "not an ipclab results header" },
        { "short row", HEADER ROW_HEAD "100,90\n", "fields, the header has 34" },
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

/* ---- scripts/report ------------------------------------------------- */

Test(scripts, report_shows_machine_charts_rankings_and_every_transport,
     .timeout = 60,
     .fini = tmp_cleanup)
{
    static const char *const transports[] = {
        "pipe", "fifo", "posix_mq", "sysv_shm/spin", "tcp", "udp",
        "rt_signal",
    };
    char tmp[PATH_MAX], run[PATH_MAX + 8];
    char *plots[] = { (char *)script_path("plots"), run, NULL };
    char *report[] = { (char *)script_path("report"), run, NULL };
    char *md, *html, *p;
    int imgs = 0;

    SKIP_WITHOUT_GNUPLOT();
    make_tmp(tmp, sizeof(tmp));
    fixture_run(tmp, run, sizeof(run));
    cr_assert_eq(run_script(tmp, plots, NULL), 0);
    cr_assert_eq(run_script(tmp, report, NULL), 0);
    md = slurp_in(run, "report.md");
    html = slurp_in(run, "index.html");
    cr_assert(md != NULL && html != NULL, "report.md or index.html missing");
    for (size_t i = 0; i < sizeof(transports) / sizeof(transports[0]); i++) {
        cr_expect(strstr(md, transports[i]) != NULL, "report.md: no %s",
                  transports[i]);
        cr_expect(strstr(html, transports[i]) != NULL, "index.html: no %s",
                  transports[i]);
    }
    cr_expect(strstr(md, "fixture-host") && strstr(md, "6.1.0-test"),
              "the machine is missing");
    cr_expect(strstr(md, "Throughput at 64 KiB") &&
              strstr(md, "Round-trip latency at 64 B"), "a ranking is missing");
    cr_expect(strstr(md, "| 1 | posix_shm/spin |") != NULL,
              "fastest at 64 B throughput should rank first");
    cr_expect(strstr(md, "memcpy") && strstr(md, "cacheline"),
              "limit rows missing");
    cr_expect(strstr(md, "timeout after 10 s, run killed") != NULL,
              "the failed row and its reason are missing");
    /* static: no script, nothing from the network */
    cr_expect(strstr(html, "<script") == NULL, "index.html has a script");
    cr_expect(strstr(html, "http://") == NULL && strstr(html, "https://") ==
              NULL, "index.html refers to the network");
    /* every <img> points at a chart that exists */
    for (p = html; (p = strstr(p, "<img src=\"")) != NULL; imgs++) {
        char rel[256], path[PATH_MAX + 300];
        const char *q;

        p += strlen("<img src=\"");
        q = strchr(p, '"');
        cr_assert_not_null(q);
        snprintf(rel, sizeof(rel), "%.*s", (int)(q - p), p);
        snprintf(path, sizeof(path), "%s/%s", run, rel);
        cr_expect_eq(access(path, R_OK), 0, "img %s does not exist", rel);
    }
    cr_expect_eq(imgs, (int)NFIXTURE_CHARTS,
                 "index.html shows %d charts", imgs);
    free(md);
    free(html);
    remove_tree(tmp);
}

/* One row of a paced table of report.md: the cells as printed, the CPU
 * column in ns (-1 when it is not a time: a failed row). */
struct paced_row {
    char transport[160];
    char rtt_p50[160];
    double cpu_ns;
    char note[160];
};

/* "33.1 µs", "420 ns", "1.5 ms" as the report prints them, in ns; -1 when
 * the text is not a time. */
static double report_time_ns(const char *text)
{
    char *end;
    double x = strtod(text, &end);

    if (end == text)
        return -1;
    if (strncmp(end, " ns", 3) == 0)
        return x;
    if (strncmp(end, " µs", strlen(" µs")) == 0)
        return x * 1e3;
    if (strncmp(end, " ms", 3) == 0)
        return x * 1e6;
    return -1;
}

/* The rows of the table under the heading that starts with `heading`:
 * "| transport | RTT p50 | RTT p99 | CPU per round trip | note |".
 * Returns how many (at most max); -1 when there is no such heading. */
static int paced_table(const char *md, const char *heading,
                       struct paced_row *rows, int max)
{
    const char *p = strstr(md, heading);
    int n = 0;

    if (p == NULL)
        return -1;
    p = strstr(p, "\n|---");           /* the header's separator line */
    if (p == NULL)
        return 0;
    p = strchr(p + 1, '\n');
    while (p != NULL && p[1] == '|' && n < max) {
        char cell[5][160];
        const char *c = p + 2;

        for (int i = 0; i < 5; i++) {
            const char *bar = strstr(c, " |");
            size_t len;

            cr_assert_not_null(bar, "a short paced row after %s", heading);
            len = (size_t)(bar - c);
            if (len > 0 && c[0] == ' ')
                c++, len--;
            snprintf(cell[i], sizeof(cell[i]), "%.*s", (int)len, c);
            c = bar + 2;
        }
        snprintf(rows[n].transport, sizeof(rows[n].transport), "%s", cell[0]);
        snprintf(rows[n].rtt_p50, sizeof(rows[n].rtt_p50), "%s", cell[1]);
        rows[n].cpu_ns = report_time_ns(cell[3]);
        snprintf(rows[n].note, sizeof(rows[n].note), "%s", cell[4]);
        n++;
        p = strchr(p + 1, '\n');
    }
    return n;
}

/* The paced section: after the latency rankings, a paragraph, then per
 * placement the chart and a table sorted by CPU per round trip, failed
 * rows last; nothing of it in a run without paced rows. */
Test(scripts, report_lists_paced_rows_by_cpu, .timeout = 60,
     .fini = tmp_cleanup)
{
    static const char *const placements[] = { "spread", "same" };
    char tmp[PATH_MAX], run[PATH_MAX + 8], plain[PATH_MAX + 16];
    char csv[PATH_MAX + 32];
    char *plots[] = { (char *)script_path("plots"), run, NULL };
    char *report[] = { (char *)script_path("report"), run, NULL };
    char *report_plain[] = { (char *)script_path("report"), plain, NULL };
    struct paced_row rows[64];
    const char *sec, *lat, *lim, *img;
    char *md, *html;
    int charts = on_path("gnuplot");

    make_tmp(tmp, sizeof(tmp));
    fixture_run(tmp, run, sizeof(run));
    if (charts)
        cr_assert_eq(run_script(tmp, plots, NULL), 0);
    cr_assert_eq(run_script(tmp, report, NULL), 0);
    md = slurp_in(run, "report.md");
    html = slurp_in(run, "index.html");
    cr_assert(md != NULL && html != NULL, "report.md or index.html missing");

    lat = strstr(md, "### Round-trip latency at 64 KiB");
    sec = strstr(md, "## When messages are sparse (paced)");
    lim = strstr(md, "## Limit rows");
    cr_assert(lat != NULL && sec != NULL && lim != NULL && lat < sec &&
                  sec < lim,
              "the paced section is missing or not after the rankings");
    cr_expect(strstr(sec, "about one interval of CPU, 100 µs, per round "
                          "trip") != NULL,
              "the paragraph does not say what spinning costs");
    for (size_t k = 0; k < 2; k++) {
        char heading[64];
        int n, ok = 0;

        snprintf(heading, sizeof(heading), "### Placement %s", placements[k]);
        n = paced_table(sec, heading, rows, 64);
        cr_assert_eq(n, 19, "%s: %d paced rows, the fixture has 19",
                     placements[k], n);
        for (int i = 0; i < n && rows[i].cpu_ns >= 0; i++, ok++)
            if (i > 0)
                cr_expect_leq(rows[i - 1].cpu_ns, rows[i].cpu_ns,
                              "%s: %s before %s is not by CPU",
                              placements[k], rows[i - 1].transport,
                              rows[i].transport);
        cr_expect_str_eq(rows[0].transport, "pipe", "%s: cheapest first",
                         placements[k]);
        for (int i = ok; i < n; i++)    /* rows without a figure: last */
            cr_expect_str_eq(rows[i].rtt_p50, "failed", "%s: %s",
                             placements[k], rows[i].transport);
        for (int i = 0; i < n; i++) {
            if (strcmp(rows[i].transport, "posix_mq") == 0)
                cr_expect_str_eq(rows[i].note, "mq_maxmsg 10",
                                 "the note keeps the interval prefix");
            if (strcmp(rows[i].transport, "sigchld/fork-reap") == 0)
                cr_expect(strstr(rows[i].note, "longer than the interval")
                              != NULL, "a late row is not marked: %s",
                          rows[i].note);
        }
        if (k == 0)
            cr_expect(ok == n && strcmp(rows[n - 1].transport,
                                        "sysv_shm/spin") == 0,
                      "spread: spinning should cost the most");
        else
            cr_expect(ok == n - 1 && strcmp(rows[n - 1].transport,
                                            "udp") == 0,
                      "same: the failed udp row should come last");
    }
    /* the HTML carries the section; its charts are there, not above */
    sec = strstr(html, "<h2 id=\"paced\">");
    cr_assert_not_null(sec, "index.html: no paced section");
    img = strstr(html, "<img src=\"charts/paced-spread.png\"");
    if (charts)
        cr_expect(img != NULL && img > sec, "index.html: the paced chart "
                  "is not in the paced section");
    cr_expect(strstr(sec, "<td>sysv_shm/spin</td>") != NULL,
              "index.html: no paced table");
    free(md);
    free(html);

    /* no paced rows, no paced section */
    snprintf(plain, sizeof(plain), "%s/plain", tmp);
    cr_assert_eq(mkdir(plain, 0700), 0);
    snprintf(csv, sizeof(csv), "%s/results.csv", plain);
    write_file(csv, HEADER ROW_HEAD ROW_TAIL "\n");
    cr_assert_eq(run_script(tmp, report_plain, NULL), 0);
    md = slurp_in(plain, "report.md");
    cr_assert_not_null(md);
    cr_expect(strstr(md, "paced") == NULL, "a report without paced rows "
              "speaks of them");
    free(md);
    remove_tree(tmp);
}

/* The page renders in a real browser and every chart loads.  A copy of
 * index.html with a script added (the page itself has none) writes the
 * count of loaded images into the DOM that chromium dumps. */
Test(scripts, report_renders_in_headless_chromium, .timeout = 120,
     .fini = tmp_cleanup)
{
    static const char probe[] =
        "<script>window.addEventListener('load', function () {"
        " var im = document.images, ok = 0;"
        " for (var i = 0; i < im.length; i++)"
        "  if (im[i].complete && im[i].naturalWidth > 0) ok++;"
        " var p = document.createElement('p'); p.id = 'probe';"
        " p.textContent = 'IMAGES ' + ok + '/' + im.length;"
        " document.body.appendChild(p); });</script>\n";
    char tmp[PATH_MAX], run[PATH_MAX + 8], check[PATH_MAX + 32];
    char profile[PATH_MAX + 16], url[PATH_MAX + 48], shot[PATH_MAX + 32];
    char udd[PATH_MAX + 32], want[64], shot_opt[PATH_MAX + 48];
    char *plots[] = { (char *)script_path("plots"), run, NULL };
    char *report[] = { (char *)script_path("report"), run, NULL };
    char *html, *out, *body;
    size_t len;
    FILE *fp;

    if (access("/usr/bin/chromium", X_OK) != 0)
        cr_skip_test("/usr/bin/chromium is not installed (apt-get install "
                     "chromium to run this check; tests never install it)");
    SKIP_WITHOUT_GNUPLOT();
    make_tmp(tmp, sizeof(tmp));
    fixture_run(tmp, run, sizeof(run));
    cr_assert_eq(run_script(tmp, plots, NULL), 0);
    cr_assert_eq(run_script(tmp, report, NULL), 0);
    html = slurp_in(run, "index.html");
    cr_assert_not_null(html);
    body = strstr(html, "</body>");
    cr_assert_not_null(body, "index.html has no </body>");
    snprintf(check, sizeof(check), "%s/check.html", run);
    fp = fopen(check, "w");
    cr_assert_not_null(fp);
    fprintf(fp, "%.*s%s%s", (int)(body - html), html, probe, body);
    cr_assert_eq(fclose(fp), 0);
    free(html);

    snprintf(profile, sizeof(profile), "%s/profile", tmp);
    cr_assert_eq(mkdir(profile, 0700), 0);
    snprintf(udd, sizeof(udd), "--user-data-dir=%s", profile);
    snprintf(url, sizeof(url), "file://%s", check);
    {
        char *argv[] = { "/usr/bin/chromium", "--headless", "--no-sandbox",
                         "--disable-gpu", "--no-first-run",
                         "--disable-background-networking",
                         "--disable-component-update", "--disable-sync",
                         "--allow-file-access-from-files",
                         "--virtual-time-budget=10000", udd, "--dump-dom",
                         url, NULL };
        int status = run_script(tmp, argv, NULL);

        cr_expect_eq(status, 0, "chromium --dump-dom exit %d", status);
    }
    out = slurp_in(tmp, "stdout");
    cr_assert_not_null(out);
    cr_expect(strstr(out, "\">ipclab results: fixture-host") != NULL,
              "the page did not render its title");
    snprintf(want, sizeof(want), "IMAGES %zu/%zu", NFIXTURE_CHARTS,
             NFIXTURE_CHARTS);
    cr_expect(strstr(out, want) != NULL, "not every chart loaded: %s",
              strstr(out, "IMAGES") ? strstr(out, "IMAGES") : "no probe");
    free(out);

    /* and the page as a person sees it */
    snprintf(shot, sizeof(shot), "%s/page.png", tmp);
    snprintf(shot_opt, sizeof(shot_opt), "--screenshot=%s", shot);
    snprintf(url, sizeof(url), "file://%s/index.html", run);
    {
        char *argv[] = { "/usr/bin/chromium", "--headless", "--no-sandbox",
                         "--disable-gpu", "--no-first-run",
                         "--disable-background-networking",
                         "--disable-component-update", "--disable-sync",
                         "--window-size=1280,2000", udd, shot_opt, url, NULL };

        cr_expect_eq(run_script(tmp, argv, NULL), 0, "chromium --screenshot");
    }
    out = slurp(shot, &len);
    cr_expect(out != NULL && len > 10000 && memcmp(out, "\x89PNG", 4) == 0,
              "no screenshot of the page");
    free(out);
    remove_tree(tmp);
}

/* ---- scripts/bench QUICK=1, end to end ------------------------------ */

Test(scripts, quick_sweep_produces_every_file, .timeout = 300,
     .fini = tmp_cleanup)
{
    static const char *const files[] = {
        "results.csv", "results.json", "README.md", "meta.txt", "report.md",
        "index.html",
    };
    char tmp[PATH_MAX], results[PATH_MAX + 16], run[PATH_MAX + 32];
    char env_dir[PATH_MAX + 32], env_bin[PATH_MAX + 32], path[PATH_MAX + 64];
    /* one transport of each kind the sweep sorts them into (sized, limit,
     * size-less, single-size) and the shared memory the paced group and
     * the charts compare: the whole pipeline in about a minute, however
     * many transports the suite grows */
    char *argv[] = { (char *)script_path("bench"), "pipe", "posix_shm",
                     "posix_shm/sem",
                     "memcpy", "cacheline", "xcore", "sigchld", "rt_signal",
                     NULL };
    char env_tmp[PATH_MAX + 16];
    char *env[] = { "QUICK=1", env_dir, env_bin, env_tmp, NULL };
    char *s, *csv, *json, *err_tail;
    size_t where = 0;
    int status, lock_fd;
    ssize_t n;

    SKIP_WITHOUT_GNUPLOT();
    make_tmp(tmp, sizeof(tmp));
    snprintf(results, sizeof(results), "%s/results", tmp);
    snprintf(env_dir, sizeof(env_dir), "RESULTS_DIR=%s", results);
    snprintf(env_bin, sizeof(env_bin), "IPCLAB=%s", tu_bin("ipclab"));
    snprintf(env_tmp, sizeof(env_tmp), "TMPDIR=%s", tmp);  /* its temp dirs */
    /* The sweep makes IPC objects for a minute.  In namespaces of its own
     * they cannot disturb the other tests' leftover counts; where that is
     * not permitted, hold the lock those checks take exclusively (see
     * test_util.h), which makes them wait for the whole sweep. */
    status = run_script_isolated(tmp, argv, env);
    if (status == -1) {
        lock_fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        cr_assert_geq(lock_fd, 0);
        while (flock(lock_fd, LOCK_SH) == -1)
            cr_assert_eq(errno, EINTR);
        status = run_script(tmp, argv, env);
        flock(lock_fd, LOCK_UN);
        close(lock_fd);
    }

    s = slurp_in(tmp, "stderr");
    cr_assert_not_null(s);
    cr_expect(status == 0 || status == 1, "scripts/bench exit %d: %s",
              status, s);
    if (status == 1)
        cr_log_warn("QUICK sweep: some row failed (status 1)");
    cr_expect(strstr(s, "bench: [1/") != NULL && strstr(s, "left |") != NULL,
              "no progress lines on stderr");
    err_tail = s;               /* kept to explain a failure below */
    s = slurp_in(tmp, "stdout");
    cr_expect(s != NULL && s[0] == '\0', "stdout is not clean: %s", s);
    free(s);

    /* results/latest -> the run directory */
    snprintf(path, sizeof(path), "%s/latest", results);
    n = readlink(path, run, sizeof(run) - 1);
    cr_assert_gt(n, 0, "no results/latest link");
    run[n] = '\0';
    cr_expect(strchr(run, '/') == NULL, "latest should be relative: %s", run);
    snprintf(run, sizeof(run), "%s/latest", results);
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        struct stat st;

        snprintf(path, sizeof(path), "%s/%s", run, files[i]);
        cr_expect(stat(path, &st) == 0 && st.st_size > 0, "%s missing or "
                  "empty", files[i]);
    }
    expect_charts(run, chart_names, NCHARTS);
    expect_charts(run, paced_chart_names, NPACED_CHARTS);

    csv = slurp_in(run, "results.csv");
    cr_assert_not_null(csv);
    cr_expect(strncmp(csv, HEADER_V2, strlen(HEADER_V2) - 1) == 0,
              "results.csv does not start with the harness header");
              /* - 1: later columns may follow (appended at the end) */
    if (strstr(csv, "\npipe,ipc,throughput,64,spread,") == NULL ||
        strstr(csv, "\npipe,ipc,latency,1048576,same,") == NULL) {
        size_t len = strlen(err_tail);

        cr_expect_fail("pipe rows missing (both modes, both placements, "
                       "64 B - 1 MiB); the sweep's stderr ends: %s",
                       err_tail + (len > 3000 ? len - 3000 : 0));
    }
    /* the paced group: pipe and shared memory, ok, on both placements */
    {
        static const char *const paced[] = {
            "pipe,ipc,paced,64,spread,", "pipe,ipc,paced,64,same,",
            "posix_shm/spin,ipc,paced,64,spread,",
            "posix_shm/sem,ipc,paced,64,spread,",
        };
        char status_of[16];

        for (size_t i = 0; i < sizeof(paced) / sizeof(paced[0]); i++) {
            int found = csv_status(csv, paced[i], status_of,
                                   sizeof(status_of));

            cr_expect(found == 0 && strcmp(status_of, "ok") == 0,
                      "no ok row %s... (%s)", paced[i],
                      found == 0 ? status_of : "missing");
        }
        cr_expect(strstr(csv, "\nmemcpy,limit,paced,") == NULL,
                  "a paced row that does not apply was kept");
    }
    free(err_tail);
    json = slurp_in(run, "results.json");
    cr_assert_not_null(json);
    cr_expect_eq(json_check(json, &where), 0, "results.json is not JSON "
                 "(offset %zu)", where);
    cr_expect(strstr(json, "\"meta\"") && strstr(json, "\"rows\"") &&
              strstr(json, "\"hostname\""), "results.json lacks meta/rows");
    cr_expect(strstr(json, "{\"mode\": \"paced\", \"interval\": \"100us\", ")
                  != NULL, "results.json: no paced group in meta.sweep");
    /* as many JSON rows as CSV rows */
    {
        int rows = 0;

        for (const char *p = json; (p = strstr(p, "{\"transport\": ")) != NULL;
             p++)
            rows++;
        cr_expect_eq(rows, count_lines(csv) - 1, "JSON rows != CSV rows");
    }
    free(csv);
    free(json);
    s = slurp_in(run, "README.md");
    cr_assert_not_null(s);
    cr_expect(strstr(s, "ipclab run --mode all") != NULL &&
                  strstr(s, "ipclab run --mode paced --interval 100us") !=
                      NULL,
              "README.md does not give the commands");
    free(s);
    remove_tree(tmp);
}
