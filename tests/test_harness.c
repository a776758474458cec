/* test_harness.c - the harness's lifecycle: faults, timeouts, crashes,
 * interrupts, placement, and nothing left behind. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"

static const char *const base_transports[] = { "pipe", "socketpair/stream" };

struct fault_case {
    enum test_fault fault;
    enum tp_mode mode;
    char says[40];
};

ParameterizedTestParameters(harness, faulty_run_fails_with_its_reason)
{
    static struct fault_case cases[] = {
        { FAULT_CORRUPT, MODE_THROUGHPUT, "checksum mismatch" },
        { FAULT_CORRUPT, MODE_LATENCY, "checksum mismatch" },
        { FAULT_HANG, MODE_THROUGHPUT, "timeout" },
        { FAULT_HANG, MODE_LATENCY, "timeout" },
        { FAULT_CRASH, MODE_THROUGHPUT, "killed by signal 11" },
        { FAULT_CRASH, MODE_LATENCY, "killed by signal 11" },
        { FAULT_EXIT, MODE_THROUGHPUT, "exited with status 3" },
    };
    return cr_make_param_array(struct fault_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct fault_case *c, harness,
                  faulty_run_fails_with_its_reason, .timeout = 60)
{
    for (size_t t = 0; t < 2; t++) {
        struct bench_config cfg = tu_config();
        struct bench_result res;
        time_t start = time(NULL);

        cfg.fault = c->fault;
        cfg.timeout_s = 2;
        cfg.bytes = 64u << 20;  /* more than any kernel buffer holds */
        cfg.iterations = 2000;
        tu_run_cfg(&cfg, base_transports[t], c->mode, 4096, &res);
        cr_expect_eq(res.status, RES_FAILED, "%s: status %s",
                     base_transports[t], bench_status_name(res.status));
        cr_expect(strstr(res.reason, c->says) != NULL, "%s: '%s' lacks '%s'",
                  base_transports[t], res.reason, c->says);
        cr_expect_leq(time(NULL) - start, 10, "took %lds",
                      (long)(time(NULL) - start));
    }
}

Test(harness, corruption_is_caught_in_the_first_message_header)
{
    struct bench_config cfg = tu_config();
    struct bench_result res;

    cfg.fault = FAULT_CORRUPT;
    tu_run_cfg(&cfg, "pipe", MODE_THROUGHPUT, 1, &res);   /* 1-byte messages */
    cr_expect_eq(res.status, RES_FAILED);
    cr_expect(strstr(res.reason, "out of order") != NULL, "%s", res.reason);
}

Test(harness, placement_is_recorded, .timeout = 60)
{
    struct bench_config cfg = tu_config();
    struct bench_result res;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

    cfg.placement = PLACE_SAME;
    tu_run_cfg(&cfg, "pipe", MODE_LATENCY, 64, &res);
    cr_assert_eq(res.status, RES_OK, "%s", res.reason);
    cr_expect_str_eq(res.placement, "same");
    cr_expect(res.cpu[0] >= 0 && res.cpu[0] == res.cpu[1]);
    if (ncpu < 2)
        return;
    cfg.placement = PLACE_SPREAD;
    tu_run_cfg(&cfg, "pipe", MODE_LATENCY, 64, &res);
    cr_assert_eq(res.status, RES_OK, "%s", res.reason);
    cr_expect_str_eq(res.placement, "spread");
    cr_expect(res.cpu[0] >= 0 && res.cpu[1] >= 0 && res.cpu[0] != res.cpu[1]);
    cfg.placement = PLACE_OS;
    tu_run_cfg(&cfg, "pipe", MODE_LATENCY, 64, &res);
    cr_expect(res.cpu[0] == -1 && res.cpu[1] == -1);
}

Test(harness, figures_are_sane, .timeout = 60)
{
    struct bench_config cfg = tu_config();
    struct bench_result res;

    cfg.reps = 3;
    cfg.warmup = 1;
    tu_run_cfg(&cfg, "pipe", MODE_THROUGHPUT, 65536, &res);
    cr_assert_eq(res.status, RES_OK, "%s", res.reason);
    cr_expect_eq(res.reps, 3);
    cr_expect_eq(res.messages, (1u << 20) / 65536);
    cr_expect_gt(res.mb_per_s, 0);
    cr_expect(res.min <= res.median && res.median <= res.max);
    cr_expect_float_eq(res.msgs_per_s * 65536 / 1e6, res.mb_per_s,
                       res.mb_per_s * 0.5);
    cr_expect_gt(res.cpu_ns_per_msg, 0);
    tu_run_cfg(&cfg, "pipe", MODE_LATENCY, 64, &res);
    cr_assert_eq(res.status, RES_OK, "%s", res.reason);
    cr_expect(res.rtt_ns[LAT_MIN] <= res.rtt_ns[LAT_P50]);
    cr_expect(res.rtt_ns[LAT_P50] <= res.rtt_ns[LAT_P90]);
    cr_expect(res.rtt_ns[LAT_P90] <= res.rtt_ns[LAT_P99]);
    cr_expect(res.rtt_ns[LAT_P99] <= res.rtt_ns[LAT_P999]);
    cr_expect(res.rtt_ns[LAT_P999] <= res.rtt_ns[LAT_MAX]);
    cr_expect_gt(res.rtt_ns[LAT_MIN], 0);
}

/* Whatever the handlers were before a run, they are again after it: the
 * test compares with what it found, not with SIG_DFL, since a test run
 * started in the background (nohup, `cmd &` in a script) inherits SIGINT
 * ignored. */
Test(harness, restores_signal_handlers_and_mask, .timeout = 60)
{
    struct sigaction before, after, int_before;
    sigset_t mask_before, mask_after;
    struct bench_result res;

    sigaction(SIGCHLD, NULL, &before);
    sigaction(SIGINT, NULL, &int_before);
    sigprocmask(SIG_SETMASK, NULL, &mask_before);
    tu_run("pipe", MODE_LATENCY, 64, &res);
    cr_assert_eq(res.status, RES_OK, "%s", res.reason);
    sigaction(SIGCHLD, NULL, &after);
    sigprocmask(SIG_SETMASK, NULL, &mask_after);
    cr_expect_eq(before.sa_handler, after.sa_handler);
    cr_expect_eq(sigismember(&mask_after, SIGCHLD),
                 sigismember(&mask_before, SIGCHLD));
    cr_expect_eq(sigismember(&mask_after, SIGINT),
                 sigismember(&mask_before, SIGINT));
    sigaction(SIGINT, NULL, &after);
    cr_expect_eq(after.sa_handler, int_before.sa_handler);
}

Test(harness, nothing_left_after_runs_and_failures, .timeout = 120)
{
    struct tu_leftovers before;
    struct bench_config cfg = tu_config();
    struct bench_result res;

    tu_exclusive_begin();
    tu_leftovers(&before);
    for (size_t t = 0; t < 2; t++) {
        tu_run(base_transports[t], MODE_THROUGHPUT, 4096, &res);
        tu_run(base_transports[t], MODE_LATENCY, 4096, &res);
        cfg.fault = FAULT_CRASH;
        tu_run_cfg(&cfg, base_transports[t], MODE_THROUGHPUT, 4096, &res);
        cfg.fault = FAULT_HANG;
        cfg.timeout_s = 1;
        cfg.bytes = 64u << 20;
        tu_run_cfg(&cfg, base_transports[t], MODE_THROUGHPUT, 4096, &res);
        cfg = tu_config();
    }
    tu_expect_no_leftovers(&before);
    tu_exclusive_end();
}

struct signal_case {
    int sig;
    int status;
};

ParameterizedTestParameters(harness, interrupt_kills_children_and_exits)
{
    static struct signal_case cases[] = { { SIGINT, 130 }, { SIGTERM, 143 } };
    return cr_make_param_array(struct signal_case, cases, 2);
}

ParameterizedTest(struct signal_case *c, harness,
                  interrupt_kills_children_and_exits, .timeout = 60)
{
    char *argv[] = { "ipclab", "run", "pipe", "--mode", "throughput",
                     "--size", "64", "--bytes", "64G", "--reps", "1",
                     "--warmup", "0", "--placement", "os", NULL };
    struct tu_leftovers before;
    pid_t pid, kids[4];
    int n;

    tu_exclusive_begin();
    tu_leftovers(&before);
    pid = tu_spawn("ipclab", argv);
    n = tu_children(pid, kids, 4, 2, 10000);
    cr_expect_eq(n, 2, "ipclab started %d children", n);
    kill(pid, c->sig);
    cr_expect_eq(tu_wait_status(pid), c->status);
    for (int i = 0; i < n; i++)
        cr_expect_eq(kill(kids[i], 0), -1, "child %d still alive",
                     (int)kids[i]);
    tu_expect_no_leftovers(&before);
    tu_exclusive_end();
}

Test(harness, killed_consumer_fails_the_run_not_the_harness, .timeout = 60)
{
    char *argv[] = { "ipclab", "run", "pipe", "--mode", "throughput",
                     "--size", "64", "--bytes", "64G", "--reps", "1",
                     "--warmup", "0", "--placement", "os", "--quiet", NULL };
    pid_t pid, kids[4];
    int n;

    pid = tu_spawn("ipclab", argv);
    n = tu_children(pid, kids, 4, 2, 10000);
    cr_assert_eq(n, 2, "ipclab started %d children", n);
    kill(kids[0], SIGKILL);         /* the consumer is forked first */
    cr_expect_eq(tu_wait_status(pid), 1, "a failed row exits 1");
}

/* --verify none exists to measure what checking costs: the sequence is
 * still checked, the bytes are not, and the row must say so. */
Test(harness, verify_none_rows_say_unverified, .timeout = 60)
{
    struct bench_config cfg = tu_config();
    struct bench_result res;

    cfg.verify = VERIFY_NONE;
    cfg.fault = FAULT_CORRUPT;      /* a body byte: not looked at */
    tu_run_cfg(&cfg, "pipe", MODE_THROUGHPUT, 4096, &res);
    cr_assert_eq(res.status, RES_OK, "%s", res.reason);
    cr_expect_eq(res.verified, 0);
    cr_expect(strstr(res.note, "--verify none") != NULL, "%s", res.note);
    tu_run_cfg(&cfg, "pipe", MODE_THROUGHPUT, 1, &res);  /* header: is */
    cr_expect_eq(res.status, RES_FAILED);
}

/* A child killed from outside is the one the row names, not the other
 * one that the harness itself stopped afterwards (a futex wait does not
 * notice a dead producer: only the harness can end the consumer). */
Test(harness, child_killed_from_outside_is_blamed_not_the_one_stopped,
     .timeout = 60)
{
    char dir[] = "/tmp/blame-XXXXXX", path[64], row[4096] = "";
    char *argv[] = { "ipclab", "run", "mmap_anon/futex", "--mode",
                     "throughput", "--size", "64", "--bytes", "64G",
                     "--reps", "1", "--warmup", "0", "--placement", "os",
                     "--quiet", "--format", "csv", "--output", path, NULL };
    pid_t pid, kids[4];
    FILE *fp;
    int n;

    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/out.csv", dir);
    pid = tu_spawn("ipclab", argv);
    n = tu_children(pid, kids, 4, 2, 10000);
    cr_assert_eq(n, 2, "ipclab started %d children", n);
    kill(kids[1], SIGKILL);         /* the producer: forked second */
    cr_expect_eq(tu_wait_status(pid), 1, "a failed row exits 1");
    fp = fopen(path, "r");
    cr_assert_not_null(fp);
    while (fgets(row, sizeof(row), fp) != NULL &&
           strncmp(row, "mmap_anon", 9) != 0)
        ;
    fclose(fp);
    unlink(path);
    rmdir(dir);
    cr_expect(strstr(row, "producer (pid") != NULL, "row: %s", row);
    cr_expect(strstr(row, "killed by signal 9") != NULL, "row: %s", row);
    cr_expect(strstr(row, "the consumer was stopped by the harness") != NULL,
              "row: %s", row);
    cr_expect(strstr(row, "consumer (pid") == NULL, "row: %s", row);
    cr_expect(strstr(row, ",child_died,") != NULL, "row: %s", row);
}

/* --time: a pilot run sets the counts so that a run lasts about the time
 * asked; the row records how many messages it did.  fork + reap takes
 * tens of microseconds at best, so 200 ms holds far fewer than the
 * 100000 round trips of the default (which is what used to time out). */
Test(harness, time_budget_sets_the_counts_and_the_row_says_so,
     .timeout = 120)
{
    static const struct {
        const char *name;
        enum tp_mode mode;
        size_t size;
    } cells[] = {
        { "pipe", MODE_THROUGHPUT, 4096 },
        { "pipe", MODE_LATENCY, 64 },
        { "sigchld/fork-reap", MODE_LATENCY, 0 },
    };

    for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
        struct bench_config cfg = tu_config();
        struct bench_result res;
        time_t start = time(NULL);

        cfg.time_ns = 200000000;        /* 200 ms */
        cfg.iterations = 100000;
        cfg.bytes = 256u << 20;
        cfg.warmup = 0;
        cfg.reps = 2;
        tu_run_cfg(&cfg, cells[i].name, cells[i].mode, cells[i].size, &res);
        cr_assert_eq(res.status, RES_OK, "%s: %s", cells[i].name,
                     res.reason);
        cr_expect_gt(res.messages, 0, "%s", cells[i].name);
        cr_expect(strstr(res.note, "--time 200 ms") != NULL, "%s: note '%s'",
                  cells[i].name, res.note);
        if (cells[i].mode == MODE_THROUGHPUT)
            cr_expect_eq(res.bytes, res.messages * cells[i].size);
        if (strcmp(cells[i].name, "sigchld/fork-reap") == 0)
            cr_expect_lt(res.messages, 100000, "fork-reap: %llu round "
                         "trips in 200 ms?",
                         (unsigned long long)res.messages);
        /* three runs of 200 ms, with a wide margin for a loaded machine */
        cr_expect_leq(time(NULL) - start, 60, "%s took %lds", cells[i].name,
                      (long)(time(NULL) - start));
    }
}

/* --samples: every measured round trip, in order, one CSV line each; the
 * warm-up run writes none; the percentiles of the row come from them. */
Test(harness, samples_are_every_measured_round_trip, .timeout = 60)
{
    struct bench_config cfg = tu_config();
    struct bench_result res;
    char *buf = NULL, line[256];
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    unsigned long lines = 0, runs[3] = { 0, 0, 0 };
    unsigned long long max = 0;

    cr_assert_not_null(fp);
    cfg.samples = fp;
    cfg.iterations = 500;
    cfg.warmup = 1;
    cfg.reps = 2;
    tu_run_cfg(&cfg, "pipe", MODE_LATENCY, 64, &res);
    cr_assert_eq(res.status, RES_OK, "%s", res.reason);
    cr_assert_eq(fclose(fp), 0);
    fp = fmemopen(buf, len, "r");
    cr_assert_not_null(fp);
    while (fgets(line, sizeof(line), fp) != NULL) {
        unsigned run;
        unsigned long long idx, ns;
        char tp[64], mode[16], place[16];
        size_t size;

        cr_assert_eq(sscanf(line, "%63[^,],%15[^,],%zu,%15[^,],%u,%llu,%llu",
                            tp, mode, &size, place, &run, &idx, &ns), 7,
                     "line '%s'", line);
        cr_expect_str_eq(tp, "pipe");
        cr_expect_str_eq(mode, "latency");
        cr_expect_eq(size, 64);
        cr_assert(run >= 1 && run <= 2, "run %u", run);
        cr_expect_eq(idx, runs[run], "round trips in order");
        runs[run]++;
        cr_expect_gt(ns, 0);
        if (ns > max)
            max = ns;
        lines++;
    }
    fclose(fp);
    free(buf);
    cr_expect_eq(runs[1], res.messages, "run 1: %lu of %llu", runs[1],
                 (unsigned long long)res.messages);
    cr_expect_eq(runs[2], res.messages);
    cr_expect_eq(lines, 2 * res.messages);
    cr_expect_geq((double)max, res.rtt_ns[LAT_P50]);
}
