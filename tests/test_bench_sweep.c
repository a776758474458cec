/* test_bench_sweep.c - scripts/bench QUICK=1 end to end: a small sweep of
 * one transport of each kind writes every file of a results directory
 * (CSV, JSON, README, meta, report, page), rows agreeing between CSV and
 * JSON.  It runs in IPC and mount namespaces of its own when permitted, so
 * that what it creates never disturbs the leftover checks of other tests
 * (tests/script_util.h).
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json_check.h"
#include "script_util.h"
#include "test_util.h"

/* ---- scripts/bench QUICK=1, end to end ------------------------------ */

Test(bench_sweep, quick_sweep_produces_every_file, .timeout = 300,
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
