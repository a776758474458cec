/* test_cli.c - sizes, the command line, and its refusals. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "../bench/util.h"
#include "json_check.h"
#include "test_util.h"

struct size_case {
    char text[32];              /* arrays: see test_pipe.c */
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
    };
    return cr_make_param_array(struct bad_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_case *c, cli,
                  bad_command_line_exits_2_with_one_line, .timeout = 20)
{
    char *argv[10] = { "ipclab" }, out[4096];
    struct tu_leftovers before;
    int n = 1, status;
    char *nl;

    for (int i = 0; i < 8 && c->args[i][0] != '\0'; i++)
        argv[n++] = (char *)c->args[i];
    tu_leftovers(&before);
    status = tu_cli("ipclab", argv, out, sizeof(out));
    cr_expect_eq(status, 2, "%s: status %d: %s", c->args[1], status, out);
    nl = strchr(out, '\n');
    cr_expect(nl != NULL && nl[1] == '\0', "not one line: '%s'", out);
    cr_expect(strstr(out, c->says) != NULL, "'%s' does not say '%s'", out,
              c->says);
    cr_expect(strstr(out, "THROUGHPUT") == NULL, "something ran: %s", out);
}

Test(cli, list_names_every_linked_transport, .timeout = 20)
{
    char out[16384];
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
