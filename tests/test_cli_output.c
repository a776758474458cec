/* test_cli_output.c - what ipclab prints when it runs: list (text, CSV,
 * JSON), env, help, a single-mechanism program, progress lines, the time
 * budget and samples file, --sort, and the guard that reruns a transport
 * that moved.  The refusals are in tests/test_cli.c. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../bench/output.h"
#include "../bench/util.h"
#include "cli_trace.h"
#include "json_check.h"
#include "test_util.h"

Test(cli_output, list_names_every_linked_transport, .timeout = 20)
{
    char out[65536];            /* ~15 KiB with ~150 transports */
    char *argv[] = { "ipclab", "list", NULL };

    cr_assert_eq(tu_cli("ipclab", argv, out, sizeof(out)), 0);
    cr_expect(strstr(out, "pipe ") != NULL, "%s", out);
    cr_expect(strstr(out, "socketpair/stream") != NULL, "%s", out);
    for (size_t i = 0; i < transports_count(); i++)
        cr_expect(strstr(out, transports_begin()[i]->name) != NULL,
                  "%s missing", transports_begin()[i]->name);
}

Test(cli_output, env_json_describes_the_machine, .timeout = 20)
{
    char out[16384];
    char *argv[] = { "ipclab", "env", "--format", "json", NULL };
    size_t where;

    cr_assert_eq(tu_cli("ipclab", argv, out, sizeof(out)), 0);
    cr_expect_eq(json_check(out, &where), 0, "invalid at %zu: %s", where,
                 out);
    cr_expect(strstr(out, "\"cpu_model\"") != NULL);
    cr_expect(strstr(out, "\"cores\"") != NULL);
}

Test(cli_output, single_mechanism_program_runs_its_transport, .timeout = 60)
{
    char out[16384];
    char *argv[] = { "pipe", "--size", "4K", "--bytes", "1M", "--iterations",
                     "50", "--reps", "1", "--warmup", "0", "--placement",
                     "os", "--format", "csv", "--quiet", NULL };

    cr_assert_eq(tu_cli("pipe", argv, out, sizeof(out)), 0, "%s", out);
    cr_expect(strstr(out, "pipe,ipc,throughput,4096,os,") != NULL, "%s", out);
    cr_expect(strstr(out, "pipe,ipc,latency,4096,os,") != NULL, "%s", out);
}

/* A name given twice (or a family and one of its members) runs once. */
Test(cli_output, a_transport_named_twice_runs_once, .timeout = 60)
{
    char out[16384];
    char *argv[] = { "ipclab", "run", "sysv_shm", "sysv_shm", "--wait",
                     "spin", "--mode", "throughput", "--size", "4K",
                     "--bytes", "1M", "--reps", "1", "--warmup", "0",
                     "--placement", "os", "--format", "csv", "--quiet",
                     NULL };
    const char *row = "sysv_shm/spin,ipc,throughput,4096,";
    char *first;

    cr_assert_eq(tu_cli("ipclab", argv, out, sizeof(out)), 0, "%s", out);
    first = strstr(out, row);
    cr_assert_not_null(first, "%s", out);
    cr_expect_null(strstr(first + 1, row), "two rows: %s", out);
}


/* ---- list, env, help, progress (issue 14) ----------------------------- */

/* Parse one RFC 4180 record from *p into fields (at most max); returns
 * how many, or -1 when malformed.  *p moves past the record's newline. */
static int csv_record(const char **p, char fields[][256], int max)
{
    const char *s = *p;
    int n = 0;

    for (;;) {
        size_t len = 0;

        if (n == max)
            return -1;
        if (*s == '"') {
            for (s++;; s++) {
                if (*s == '\0')
                    return -1;
                if (*s == '"' && s[1] == '"')
                    s++;
                else if (*s == '"')
                    break;
                if (len + 1 < 256)
                    fields[n][len++] = *s;
            }
            s++;
        } else {
            for (; *s != ',' && *s != '\n' && *s != '\0'; s++) {
                if (*s == '"')
                    return -1;
                if (len + 1 < 256)
                    fields[n][len++] = *s;
            }
        }
        fields[n++][len] = '\0';
        if (*s == ',') {
            s++;
            continue;
        }
        if (*s != '\n')
            return -1;
        *p = s + 1;
        return n;
    }
}

Test(cli_output, list_csv_parses_as_csv, .timeout = 20)
{
    char *argv[] = { "ipclab", "list", "--format", "csv", NULL };
    static char out[65536];
    char err[1024], fields[8][256];
    const char *p = out;
    int forks, rows = 0;

    cr_assert_eq(run_traced(argv, out, sizeof(out), err, sizeof(err),
                            &forks), 0, "%s", err);
    cr_assert_eq(csv_record(&p, fields, 8), 4, "header: %s", out);
    cr_expect_str_eq(fields[0], "transport");
    cr_expect_str_eq(fields[3], "summary");
    while (*p != '\0') {
        int n = csv_record(&p, fields, 8);

        cr_assert_eq(n, 4, "row %d has %d fields: %.80s", rows + 1, n, p);
        cr_expect_not_null(transport_find(fields[0]), "'%s'", fields[0]);
        rows++;
    }
    cr_expect_eq(rows, (int)transports_count());
}

struct help_case {
    char prog[16];
    char args[3][16];
    char usage[32];             /* the output begins with it */
    char never[32];             /* and never says this */
};

ParameterizedTestParameters(cli_output, help_is_the_commands_own)
{
    static struct help_case cases[] = {
        { "ipclab", { "list", "--help" }, "usage: ipclab list", "run [" },
        { "ipclab", { "env", "-h" }, "usage: ipclab env", "run [" },
        { "ipclab", { "run", "--help" }, "usage: ipclab run", "VARIANT" },
        { "pipe", { "--help" }, "usage: pipe [OPTIONS]", "family" },
        { "pipe", { "--help" }, "usage: pipe [OPTIONS]", "socketpair" },
        { "sysv_shm", { "--help" }, "usage: sysv_shm", "signals" },
    };
    return cr_make_param_array(struct help_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

/* Exit 0, the command's own usage, and no line run together with the next
 * column (every option's name is followed by a space or the line's end)
 * or wider than 80 columns. */
ParameterizedTest(struct help_case *c, cli_output,
                  help_is_the_commands_own,
                  .timeout = 20)
{
    char *argv[5] = { c->prog };
    static char out[32768];
    char err[1024], *line, *save = NULL;
    int forks, n = 1;

    for (int i = 0; i < 3 && c->args[i][0] != '\0'; i++)
        argv[n++] = c->args[i];
    cr_assert_eq(run_traced(argv, out, sizeof(out), err, sizeof(err),
                            &forks), 0, "%s", err);
    cr_expect_eq(strncmp(out, c->usage, strlen(c->usage)), 0, "%.200s", out);
    cr_expect_null(strstr(out, c->never), "says '%s': %s", c->never, out);
    for (size_t i = 0; i < tp_options_count(); i++) {
        const struct tp_option *o = tp_options_begin()[i];
        char want[96];
        const char *at;

        snprintf(want, sizeof(want), "  --%s%s%s", o->name,
                 o->type == OPT_FLAG ? "" : " ", o->arg ? o->arg : "");
        at = strstr(out, want);
        if (at != NULL)
            cr_expect(at[strlen(want)] == ' ' || at[strlen(want)] == '\n',
                      "run together: %.60s", at);
    }
    for (line = strtok_r(out, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save))
        cr_expect_leq(strlen(line), 80, "too wide: %s", line);
}

/* The progress lines count [k/N] with N right from the first line: the
 * limit family in three modes skips cells whose mode does not apply. */
Test(cli_output, progress_total_is_exact_from_the_start, .timeout = 60)
{
    char *argv[] = { "ipclab", "run", "limit", "--mode",
                     "throughput,latency,paced", "--size", "64", "--bytes",
                     "64K", "--iterations", "20", "--reps", "1", "--warmup",
                     "0", "--placement", "os", "--format", "csv", NULL };
    static char out[32768], err[32768];
    char *line, *save = NULL;
    unsigned k, n, first_n = 0, lines = 0;
    int forks;

    trace_off = 1;
    cr_assert_eq(run_traced(argv, out, sizeof(out), err, sizeof(err),
                            &forks), 0, "%s", err);
    trace_off = 0;
    unsigned said = 0;

    for (line = strtok_r(err, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        if (lines == 0 && said == 0 &&
            sscanf(line, "ipclab: %u cells", &said) == 1)
            continue;                   /* the estimate, before the first */
        cr_assert_eq(sscanf(line, "[%u/%u]", &k, &n), 2, "%s", line);
        if (lines == 0)
            first_n = n;
        lines++;
        cr_expect_eq(k, lines, "%s", line);
        cr_expect_eq(n, first_n, "the total changed: %s", line);
    }
    cr_expect_gt(lines, 0);
    cr_expect_eq(first_n, lines, "announced %u cells, ran %u", first_n,
                 lines);
    cr_expect_eq(said, lines, "the estimate said %u cells, ran %u", said,
                 lines);
}

/* --time fits each run to the time asked and --samples writes every
 * measured round trip: a 64 B pipe latency cell of 2 runs of 200 ms
 * writes 2 x `messages` lines, and the row says how many it did. */
Test(cli_output, time_budget_and_samples_file, .timeout = 120)
{
    char out[16384], dir[] = "/tmp/ipclab-cli-XXXXXX", path[64], line[256];
    char *argv[] = { "ipclab", "run", "pipe", "--mode", "latency", "--size",
                     "64", "--time", "200ms", "--reps", "2", "--warmup", "0",
                     "--placement", "os", "--format", "csv", "--quiet",
                     "--samples", path, NULL };
    unsigned long lines = 0, messages = 0;
    const char *m;
    FILE *fp;

    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/s.csv", dir);
    cr_assert_eq(tu_cli("ipclab", argv, out, sizeof(out)), 0, "%s", out);
    cr_expect(strstr(out, "--time 200 ms: ") != NULL, "%s", out);
    fp = fopen(path, "r");
    cr_assert_not_null(fp);
    cr_assert_not_null(fgets(line, sizeof(line), fp));
    cr_expect_str_eq(line, "transport,mode,size_bytes,placement,run,index,"
                           "rtt_ns\n");
    while (fgets(line, sizeof(line), fp) != NULL)
        lines++;
    fclose(fp);
    m = strstr(out, "--time 200 ms: ");
    if (m != NULL)
        messages = strtoul(m + strlen("--time 200 ms: "), NULL, 10);
    cr_expect_gt(messages, 0);
    cr_expect_eq(lines, 2 * messages, "%lu lines for 2 x %lu round trips",
                 lines, messages);
    unlink(path);
    rmdir(dir);
}

/* --max-time: a cell whose given count would outlast it is stopped and
 * re-planned, not failed - memfd/message makes, maps and unmaps a memfd
 * per message, so 1 M messages of 64 B take far more than a second: the
 * row is ok, says so, and did fewer.  A cell that fits (1024 messages
 * through a pipe) keeps the count given. */
Test(cli_output, max_time_replans_a_slow_cell_and_keeps_a_fast_one,
     .timeout = 120)
{
    static char out[16384];
    char *argv[] = { "ipclab", "run", "memfd/message", "--mode",
                     "throughput", "--size", "64", "--bytes", "64M",
                     "--max-time", "1s", "--timeout", "20", "--reps", "1",
                     "--warmup", "0", "--placement", "os", "--format", "csv",
                     "--quiet", NULL };
    const char *row;

    cr_assert_eq(tu_cli("ipclab", argv, out, sizeof(out)), 0, "%s", out);
    row = strstr(out, "\nmemfd/message,");
    cr_assert_not_null(row, "%s", out);
    cr_expect(strstr(row, ",ok,") != NULL, "%s", out);
    cr_expect(strstr(row, "a run took over --max-time 1 s: ") != NULL,
              "%s", out);
    cr_expect_null(strstr(row, ",1048576,67108864,"),
                   "memfd/message did every message: %s", out);
    argv[2] = "pipe";
    argv[8] = "64K";
    cr_assert_eq(tu_cli("ipclab", argv, out, sizeof(out)), 0, "%s", out);
    row = strstr(out, "\npipe,");
    cr_assert_not_null(row, "%s", out);
    cr_expect(strstr(row, ",1024,65536,") != NULL, "%s", out);
    cr_expect_null(strstr(row, "--max-time"), "%s", out);
}

/* The table's "x pipe" column: pipe named second is measured first, as a
 * reference is, so the streamed table prints pipe's row (1.0x) before
 * fifo's and fifo's has its ratio; --sort run holds the table to the end
 * and shows the same.  Which figure is faster is not asserted: that is
 * timing. */
Test(cli_output, the_baseline_is_measured_first_and_every_row_has_its_ratio,
     .timeout = 120)
{
    static char out[16384], err[16384];
    char *argv[] = { "ipclab", "run", "fifo", "pipe", "--mode", "throughput",
                     "--size", "64", "--bytes", "64K", "--reps", "1",
                     "--warmup", "0", "--placement", "os", "--quiet", NULL,
                     NULL, NULL };
    char pipe_line[128], fifo_line[128], tok[16];
    int forks;

    snprintf(pipe_line, sizeof(pipe_line), "\n%-26s %6s %-7s %7s ", "pipe",
             "64", "os", "1.0x");
    snprintf(fifo_line, sizeof(fifo_line), "\n%-26s %6s %-7s ", "fifo", "64",
             "os");
    trace_off = 1;
    for (int sorted = 0; sorted < 2; sorted++) {
        const char *p, *f;

        if (sorted) {
            argv[17] = "--sort";
            argv[18] = "run";
        }
        cr_assert_eq(run_traced(argv, out, sizeof(out), err, sizeof(err),
                                &forks), 0, "%s", err);
        cr_expect(strstr(out, " x pipe ") != NULL, "%s", out);
        p = strstr(out, pipe_line);
        f = strstr(out, fifo_line);
        cr_assert_not_null(p, "%s", out);
        cr_assert_not_null(f, "%s", out);
        cr_expect_lt(p, f, "pipe's row should come first: %s", out);
        cr_assert_eq(sscanf(f + strlen(fifo_line), "%15s", tok), 1);
        cr_expect(tok[strlen(tok) - 1] == 'x', "fifo has no ratio: %s",
                  out);
        cr_expect_null(strstr(out, "measured before"), "%s", out);
    }
    trace_off = 0;
}

/* `list --format json` is valid JSON (schema 2) naming every linked
 * transport once, with its modes, declarations and the options that apply
 * to it: what the scripts read instead of parsing --help. */
Test(cli_output, list_json_carries_every_transport_and_its_options,
     .timeout = 20)
{
    char *argv[] = { "ipclab", "list", "--format", "json", NULL };
    static char out[1 << 18];
    char err[1024], key[320];
    size_t where = 0;
    int forks;

    cr_assert_eq(run_traced(argv, out, sizeof(out), err, sizeof(err),
                            &forks), 0, "%s", err);
    cr_assert_lt(strlen(out), sizeof(out) - 1, "output cut short");
    cr_assert_eq(json_check(out, &where), 0, "invalid JSON at byte %zu",
                 where);
    cr_expect_not_null(strstr(out, "\"schema\": 2"));
    for (size_t i = 0; i < transports_count(); i++) {
        const char *name = transports_begin()[i]->name, *at;

        snprintf(key, sizeof(key), "{\"name\": \"%s\", \"family\"", name);
        at = strstr(out, key);
        cr_expect_not_null(at, "%s is not listed", name);
        if (at != NULL)
            cr_expect_null(strstr(at + 1, key), "%s twice", name);
    }
    /* the shared-memory options apply to shared memory, not to pipe */
    cr_expect_not_null(strstr(strstr(out, "\"name\": \"posix_shm/futex\""),
                              "{\"name\": \"wait\", \"type\": \"list\""));
    {
        const char *pipe = strstr(out, "{\"name\": \"pipe\", \"family\"");
        const char *end = pipe != NULL ? strstr(pipe, "]}") : NULL;

        cr_assert_not_null(end);
        cr_expect(strstr(pipe, "\"wait\"") == NULL ||
                  strstr(pipe, "\"wait\"") > end, "pipe lists --wait");
        cr_expect_not_null(strstr(pipe, "\"modes\": [\"throughput\", "
                                        "\"latency\", \"paced\"]"));
    }
}

/* --guard: a transport whose calibration moved is run again, and flagged
 * unsteady when it moves again; one that held still is not.  The drift
 * hook makes calibration k read F_k ns (and 1000 / F_k MB/s). */
static void guard_case(const char *drift, char *out, size_t len)
{
    char *argv[] = { "ipclab", "run", "pipe", "fifo", "--mode",
                     "throughput", "--size", "4K", "--bytes", "1M", "--reps",
                     "1", "--warmup", "0", "--guard", "--format", "csv",
                     "--quiet", NULL };

    cr_assert_eq(setenv("IPCLAB_GUARD_DRIFT", drift, 1), 0);
    cr_assert_eq(tu_cli("ipclab", argv, out, len), 0, "%s", out);
    unsetenv("IPCLAB_GUARD_DRIFT");
}

/* The row of transport `name` (its CSV line) ends with `end`? */
static int row_ends_with(const char *csv, const char *name, const char *end)
{
    char key[64], line[4096];
    const char *p;
    size_t n;

    snprintf(key, sizeof(key), "\n%s,", name);
    p = strstr(csv, key);
    if (p == NULL)
        return 0;
    n = strcspn(p + 1, "\n");
    if (n >= sizeof(line))
        return 0;
    memcpy(line, p + 1, n);
    line[n] = '\0';
    return n >= strlen(end) && strcmp(line + n - strlen(end), end) == 0;
}

Test(cli_output, guard_reruns_a_transport_that_moved_and_flags_it_if_again,
     .timeout = 120)
{
    static char out[16384];

    /* pipe: 1 -> 2 moved, re-run, 2 -> 1 moved again; fifo: 1 -> 1 */
    guard_case("1,2,1,1", out, sizeof(out));
    cr_assert(row_ends_with(out, "pipe", ",unsteady,,,"), "%s", out);
    cr_expect(row_ends_with(out, "fifo", ",,,,"), "fifo flagged: %s", out);
    cr_expect_null(strstr(strstr(out, "\npipe,") + 1, "\npipe,"),
                   "pipe's rows twice: %s", out);
    /* moved once, then held: re-run, not flagged */
    guard_case("1,2,2,2", out, sizeof(out));
    cr_expect(row_ends_with(out, "pipe", ",,,,"), "%s", out);
    cr_expect_null(strstr(out, "unsteady"), "%s", out);
}
