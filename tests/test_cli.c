/* test_cli.c - sizes, the command line, and its refusals. */
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

/* Read what a memfd holds into buf (NUL-terminated, truncated). */
static void slurp(int fd, char *buf, size_t len)
{
    ssize_t n;
    size_t used = 0;

    cr_assert_neq(lseek(fd, 0, SEEK_SET), -1, "lseek: %s", strerror(errno));
    while (used + 1 < len && (n = read(fd, buf + used, len - 1 - used)) != 0) {
        cr_assert(n > 0 || errno == EINTR, "read: %s", strerror(errno));
        if (n > 0)
            used += (size_t)n;
    }
    buf[used] = '\0';
    close(fd);
}

static long trace_fsize;                /* >0: RLIMIT_FSIZE of the run */
static int trace_off;                   /* 1: not traced, may fork */

/* Run a suite program under ptrace(2), stdout and stderr kept apart; every
 * fork/vfork it makes is seen (*forks counts them; the new process is
 * killed).  Returns the exit status.  With trace_off the program runs
 * untraced (it may measure) and *forks stays 0. */

static int run_traced(char *const argv[], char *out, size_t outlen,
                      char *err, size_t errlen, int *forks)
{
    int fo = memfd_create("stdout", 0), fe = memfd_create("stderr", 0);
    int status, first = 1;
    pid_t pid, w;

    cr_assert(fo >= 0 && fe >= 0, "memfd_create: %s", strerror(errno));
    *forks = 0;
    pid = fork();
    cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
    if (pid == 0) {
        const char *asan = getenv("ASAN_OPTIONS");
        char opts[1024];

        /* LeakSanitizer ptraces the process at exit: not under a tracer */
        snprintf(opts, sizeof(opts), "%s%sdetect_leaks=0", asan ? asan : "",
                 asan ? ":" : "");
        if (!trace_off)
            setenv("ASAN_OPTIONS", opts, 1);
        if (trace_fsize > 0) {          /* writes past it fail with EFBIG */
            struct rlimit rl = { (rlim_t)trace_fsize, (rlim_t)trace_fsize };

            if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR ||
                setrlimit(RLIMIT_FSIZE, &rl) == -1)
                _exit(125);
        }
        if (dup2(fo, 1) == -1 || dup2(fe, 2) == -1 ||
            (!trace_off && ptrace(PTRACE_TRACEME, 0, NULL, NULL) == -1))
            _exit(126);
        execv(tu_bin(argv[0]), argv);
        _exit(127);
    }
    for (;;) {
        int sig = 0, event;

        w = waitpid(-1, &status, __WALL);
        if (w == -1) {
            cr_assert_eq(errno, EINTR, "waitpid: %s", strerror(errno));
            continue;
        }
        if (w != pid) {                 /* a child it forked: end it */
            if (WIFSTOPPED(status))
                kill(w, SIGKILL);
            continue;
        }
        if (WIFEXITED(status) || WIFSIGNALED(status))
            break;
        cr_assert(!trace_off, "stopped while not traced");
        event = status >> 16;
        if (first) {                    /* the stop after execv */
            cr_assert_eq(ptrace(PTRACE_SETOPTIONS, pid, NULL,
                                PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
                                PTRACE_O_EXITKILL), 0,
                         "PTRACE_SETOPTIONS: %s", strerror(errno));
            first = 0;
        } else if (event == PTRACE_EVENT_FORK ||
                   event == PTRACE_EVENT_VFORK) {
            (*forks)++;
        } else if (WSTOPSIG(status) != SIGTRAP) {
            sig = WSTOPSIG(status);     /* pass real signals on */
        }
        ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
    }
    while (waitpid(-1, NULL, __WALL | WNOHANG) > 0)
        ;                               /* any killed grandchild */
    slurp(fo, out, outlen);
    slurp(fe, err, errlen);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
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

Test(cli, list_names_every_linked_transport, .timeout = 20)
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

Test(cli, env_json_describes_the_machine, .timeout = 20)
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

Test(cli, single_mechanism_program_runs_its_transport, .timeout = 60)
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
Test(cli, a_transport_named_twice_runs_once, .timeout = 60)
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

Test(cli, list_csv_parses_as_csv, .timeout = 20)
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

ParameterizedTestParameters(cli, help_is_the_commands_own)
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
ParameterizedTest(struct help_case *c, cli, help_is_the_commands_own,
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
Test(cli, progress_total_is_exact_from_the_start, .timeout = 60)
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
Test(cli, time_budget_and_samples_file, .timeout = 120)
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

/* The table's "x pipe" column: pipe named second, a streamed table has
 * no ratio for the row measured before pipe's and says so; --sort run
 * holds the table to the end and fills it (pipe 1.0x).  Which figure is
 * faster is not asserted: that is timing. */
Test(cli, sort_run_fills_the_ratio_of_rows_before_the_baseline,
     .timeout = 120)
{
    static char out[16384], err[16384];
    char *argv[] = { "ipclab", "run", "fifo", "pipe", "--mode", "throughput",
                     "--size", "64", "--bytes", "64K", "--reps", "1",
                     "--warmup", "0", "--placement", "os", "--quiet", NULL,
                     NULL, NULL };
    char line[128], tok[16];
    int forks;

    trace_off = 1;
    cr_assert_eq(run_traced(argv, out, sizeof(out), err, sizeof(err),
                            &forks), 0, "%s", err);
    snprintf(line, sizeof(line), "\n%-26s %6s %-7s %7s ", "pipe", "64",
             "os", "1.0x");
    cr_expect(strstr(out, " x pipe ") != NULL, "%s", out);
    cr_expect(strstr(out, line) != NULL, "%s", out);
    cr_expect(strstr(out, "(x pipe: 1 row was measured before pipe's") !=
              NULL, "%s", out);
    argv[17] = "--sort";
    argv[18] = "run";
    cr_assert_eq(run_traced(argv, out, sizeof(out), err, sizeof(err),
                            &forks), 0, "%s", err);
    trace_off = 0;
    cr_expect(strstr(out, line) != NULL, "%s", out);
    snprintf(line, sizeof(line), "\n%-26s %6s %-7s ", "fifo", "64", "os");
    cr_assert_not_null(strstr(out, line), "%s", out);
    cr_assert_eq(sscanf(strstr(out, line) + strlen(line), "%15s", tok), 1);
    cr_expect(tok[strlen(tok) - 1] == 'x', "fifo has no ratio: %s", out);
    cr_expect_null(strstr(out, "measured before"), "%s", out);
}

/* `list --format json` is valid JSON (schema 2) naming every linked
 * transport once, with its modes, declarations and the options that apply
 * to it: what the scripts read instead of parsing --help. */
Test(cli, list_json_carries_every_transport_and_its_options, .timeout = 20)
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

Test(cli, guard_reruns_a_transport_that_moved_and_flags_it_if_again,
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
