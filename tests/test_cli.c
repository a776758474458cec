/* test_cli.c - sizes, the command line, and its refusals: bad input exits
 * 2 with one line before anything starts (and forks nothing), output files
 * that cannot be written are refused before measuring.  What the commands
 * print when they run is in tests/test_cli_output.c. */
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

struct size_case {
    char text[32];              /* arrays: see test_stream.c */
    int ok;
    size_t value;
};

ParameterizedTestParameters(cli, parse_size_accepts_and_refuses)
{
    static struct size_case cases[] = {
        { "64", 1, 64 }, { "4K", 1, 4096 }, { "4k", 1, 4096 },
        { "1M", 1, 1 << 20 }, { "2G", 1, 2ull << 30 }, { "1MiB", 1, 1 << 20 },
        { "16KB", 1, 16384 }, { "4097", 1, 4097 },
        { "0", 0, 0 }, { "-1", 0, 0 }, { "abc", 0, 0 }, { "", 0, 0 },
        { "4X", 0, 0 }, { " 4", 0, 0 }, { "4K ", 0, 0 }, { "1.5M", 0, 0 },
        { "99999999999999999999", 0, 0 }, { "17179869184G", 0, 0 },
    };
    return cr_make_param_array(struct size_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct size_case *c, cli, parse_size_accepts_and_refuses)
{
    size_t v = 0;
    int rc = parse_size(c->text, &v);

    cr_expect_eq(rc, c->ok ? 0 : -1, "'%s'", c->text);
    if (c->ok)
        cr_expect_eq(v, c->value, "'%s' -> %zu", c->text, v);
}

struct bad_case {
    char args[8][24];
    char says[40];              /* the message names this */
};

ParameterizedTestParameters(cli, bad_command_line_exits_2_with_one_line)
{
    static struct bad_case cases[] = {
        { { "run", "nosuch" }, "unknown transport 'nosuch'" },
        { { "run", "pipe", "--size", "0" }, "--size" },
        { { "run", "pipe", "--size", "-4K" }, "--size" },
        { { "run", "pipe", "--size", "big" }, "--size" },
        { { "run", "pipe", "--sizes", "64,,x" }, "--sizes" },
        { { "run", "pipe", "--reps", "-3" }, "--reps" },
        { { "run", "pipe", "--reps", "0" }, "--reps" },
        { { "run", "pipe", "--iterations", "ten" }, "--iterations" },
        { { "run", "pipe", "--bytes", "1.5M" }, "--bytes" },
        { { "run", "pipe", "--placement", "far" }, "--placement" },
        { { "run", "pipe", "--cpus", "1" }, "--cpus" },
        { { "run", "pipe", "--cpus", "0,4000" }, "CPU" },
        { { "run", "pipe", "--mode", "fast" }, "--mode" },
        { { "run", "pipe", "--mode", "paced,fast" }, "'fast'" },
        { { "run", "pipe", "--mode", "," }, "--mode" },
        { { "run", "pipe", "--interval", "100us" }, "paced mode only" },
        { { "run", "--wait", "spin,nap" }, "'nap' is not one of spin" },
        { { "run", "sysv_shm", "--wait", "," }, "--wait" },
        { { "run", "pipe", "--mode", "paced", "--interval", "5" },
          "--interval" },
        { { "run", "pipe", "--mode", "paced", "--interval", "0ms" },
          "--interval" },
        { { "run", "pipe", "--mode", "paced", "--interval", "500ns" },
          "--interval" },
        { { "run", "pipe", "--format", "xml" }, "--format" },
        { { "run", "pipe", "--verify", "most" }, "--verify" },
        { { "run", "pipe", "--bogus" }, "unknown option" },
        { { "run", "pipe", "--timeout" }, "--timeout" },
        { { "frobnicate" }, "unknown command" },
        /* issue 12 section 6: refused before anything starts */
        { { "run", "coalesce", "--sig-count", "0" }, "--sig-count" },
        { { "run", "sigchld/reap-many", "--children", "0" }, "--children" },
        { { "run", "sigchld", "--children", "100000000" }, "--children" },
        { { "run", "rt_signal", "--rt-window", "1", "--size", "4" },
          "--rt-window" },
        { { "run", "mmap_file/futex", "--dir", "/nonexistent" }, "--dir" },
        { { "run", "mmap_file", "--dir", "/dev/null" }, "not a directory" },
        { { "run", "pipe", "--size", "17179869183G" }, "does not fit" },
        { { "run", "pipe", "--sizes", "64,17179869183G" }, "--sizes" },
        { { "run", "pipe", "--sizes", "64,,4K" }, "empty item" },
        { { "run", "pipe", "--sizes", "64,4K," }, "empty item" },
        { { "run", "pipe", "--cpus", " 0,1" }, "--cpus" },
        { { "run", "pipe", "--cpus", "0,+1" }, "--cpus" },
        { { "run", "tcp", "--sockbuf", "1" }, "--sockbuf" },
        { { "run", "udp", "--sockbuf", "2G" }, "--sockbuf" },
        { { "run", "sysv_shm", "--spins", "18446744073709551615" },
          "--spins" },
        { { "run", "pipe", "--wait", "spin" }, "--wait applies to" },
        { { "run", "ipc", "--sockbuf", "64K" }, "--sockbuf applies to" },
        { { "run", "pipe", "--mode", "throughput,,latency" }, "empty item" },
        { { "run", "sysv_shm", "--ring-size", "100" }, "--ring-size" },
        { { "run", "timers", "--timer-us", "0" }, "--timer-us" },
        { { "run", "server/pool", "--workers", "65" }, "--workers" },
        { { "run", "server/epoll", "--pool-queue", "8" },
          "--pool-queue applies to" },
        /* issue 14: time budgets, samples, the verdict's baseline */
        { { "run", "pipe", "--time", "5ms" }, "--time" },
        { { "run", "pipe", "--time", "soon" }, "--time" },
        { { "run", "pipe", "--time", "2s", "--timeout", "2" },
          "not longer than --time" },
        { { "run", "pipe", "--max-time", "500ms", "--bytes", "1M" },
          "--max-time" },
        { { "run", "pipe", "--max-time", "2s" }, "add --bytes" },
        { { "run", "pipe", "--max-time", "2s", "--time", "1s" },
          "choose one" },
        { { "run", "pipe", "--max-time", "9s", "--bytes", "1M",
            "--timeout", "9" }, "not shorter than --timeout" },
        { { "run", "pipe", "--baseline", "nosuch" }, "--baseline" },
        { { "run", "pipe", "--sort", "fast" }, "--sort: 'fast' is not run" },
        { { "run", "pipe", "--sort", "" }, "--sort" },
        { { "run", "pipe", "--sort", "speed", "--format", "csv" },
          "--sort orders the table only" },
        { { "run", "pipe", "--samples", "/nonexistent/dir/s.csv" },
          "--samples" },
        { { "run", "pipe", "--samples", "x.csv", "--csv", "x.csv" },
          "same file" },
    };
    return cr_make_param_array(struct bad_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

/* Refused before anything starts: status 2, one line on stderr, nothing
 * on stdout (the results begin there before the first measurement), no
 * process forked, nothing left behind. */
ParameterizedTest(struct bad_case *c, cli,
                  bad_command_line_exits_2_with_one_line, .timeout = 20)
{
    char *argv[10] = { "ipclab" }, out[4096], err[4096];
    int n = 1, status, forks;
    char *nl;

    for (int i = 0; i < 8 && c->args[i][0] != '\0'; i++)
        argv[n++] = (char *)c->args[i];
    status = run_traced(argv, out, sizeof(out), err, sizeof(err), &forks);
    cr_expect_eq(status, 2, "%s: status %d: %s", c->args[1], status, err);
    nl = strchr(err, '\n');
    cr_expect(nl != NULL && nl[1] == '\0', "not one line: '%s'", err);
    cr_expect(strstr(err, c->says) != NULL, "'%s' does not say '%s'", err,
              c->says);
    cr_expect_str_empty(out, "something on stdout: %s", out);
    cr_expect(strstr(out, "THROUGHPUT") == NULL, "something ran: %s", out);
    cr_expect_eq(forks, 0, "%s %s: forked %d times", c->args[1], c->args[2],
                 forks);
}

/* ---- output files (issue 12 section 7) -------------------------------- */

#define TINY_RUN "run", "pipe", "--mode", "throughput", "--size", "64", \
                 "--bytes", "64K", "--reps", "1", "--warmup", "0",        \
                 "--placement", "os", "--quiet"

Test(cli, output_that_cannot_be_written_is_refused_before_measuring,
     .timeout = 20)
{
    char *argv[] = { "ipclab", TINY_RUN, "--csv", "/dev/full", NULL };
    char out[4096], err[4096];
    int forks, status;

    status = run_traced(argv, out, sizeof(out), err, sizeof(err), &forks);
    cr_expect_eq(status, 2, "status %d: %s", status, err);
    cr_expect(strstr(err, "--csv /dev/full: write: No space left") != NULL,
              "%s", err);
    cr_expect_eq(strchr(err, '\n'), err + strlen(err) - 1, "one line: %s",
                 err);
    cr_expect_eq(forks, 0, "measured before refusing: %s", out);
}

struct twice_case {
    char first[16], second[16];        /* options */
    char a[16], b[16];                 /* paths under a private directory */
    int exists;                        /* make the file first */
};

ParameterizedTestParameters(cli, one_file_for_two_outputs_is_refused)
{
    static struct twice_case cases[] = {
        { "--output", "--csv", "F", "F", 0 },
        { "--output", "--csv", "F", "F", 1 },
        { "--csv", "--json", "F", "./F", 0 },
        { "--csv", "--json", "F", "./F", 1 },
        { "--json", "--output", "sub/../F", "F", 1 },
    };
    return cr_make_param_array(struct twice_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct twice_case *c, cli,
                  one_file_for_two_outputs_is_refused, .timeout = 20)
{
    char dir[] = "/tmp/clitest-XXXXXX", a[64], b[64], sub[64];
    char out[4096], err[4096];
    char *argv[] = { "ipclab", TINY_RUN, c->first, a, c->second, b, NULL };
    int forks, status;

    cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
    snprintf(a, sizeof(a), "%s/%s", dir, c->a);
    snprintf(b, sizeof(b), "%s/%s", dir, c->b);
    snprintf(sub, sizeof(sub), "%s/sub", dir);
    cr_assert_eq(mkdir(sub, 0700), 0, "mkdir: %s", strerror(errno));
    if (c->exists) {
        FILE *fp = fopen(b, "w");

        cr_assert_not_null(fp);
        fputs("keep\n", fp);
        fclose(fp);
    }
    status = run_traced(argv, out, sizeof(out), err, sizeof(err), &forks);
    cr_expect_eq(status, 2, "status %d: %s", status, err);
    cr_expect(strstr(err, "same file") != NULL && strstr(err, c->first) &&
              strstr(err, c->second), "%s", err);
    cr_expect_eq(forks, 0, "measured before refusing");
    if (c->exists) {                   /* refused before it was truncated */
        char keep[16] = "";
        FILE *fp = fopen(b, "r");

        cr_assert_not_null(fp);
        cr_expect_not_null(fgets(keep, sizeof(keep), fp));
        fclose(fp);
        cr_expect_str_eq(keep, "keep\n");
    }
    unlink(a);
    rmdir(sub);
    cr_expect_eq(rmdir(dir), 0, "rmdir %s: %s", dir, strerror(errno));
}

/* The header fits under RLIMIT_FSIZE, the row does not: the run measures,
 * then exits 1 naming the option and the file. */
Test(cli, output_write_error_at_the_end_exits_1_naming_the_file,
     .timeout = 30)
{
    char dir[] = "/tmp/clitest-XXXXXX", path[64], out[4096], err[4096];
    char *argv[] = { "ipclab", TINY_RUN, "--csv", path, NULL };
    char expect[128];
    long header = 0;
    int forks, status;

    for (unsigned i = 0; i < output_ncolumns; i++)
        header += (long)strlen(output_columns[i]) + 1;     /* , or \n */
    cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
    snprintf(path, sizeof(path), "%s/r.csv", dir);
    trace_fsize = header + 8;
    trace_off = 1;
    status = run_traced(argv, out, sizeof(out), err, sizeof(err), &forks);
    trace_fsize = 0;
    trace_off = 0;
    cr_expect_eq(status, 1, "status %d: %s", status, err);
    snprintf(expect, sizeof(expect), "--csv %s: write: File too large", path);
    cr_expect(strstr(err, expect) != NULL, "'%s' does not say '%s'", err,
              expect);
    cr_expect(strstr(err, "failed") == NULL, "the run failed: %s", err);
    unlink(path);
    cr_expect_eq(rmdir(dir), 0, "rmdir %s: %s", dir, strerror(errno));
}
