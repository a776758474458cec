/* test_report.c - scripts/report on the fixed results of tests/data/: the
 * machine, the charts, the rankings and every transport in report.md and
 * index.html, the paced rows listed by CPU, and the page rendered in a
 * headless browser.
 *
 * The scripts run as child processes with stdout and stderr in files of a
 * private temporary directory, which each test removes (tests/script_util.h).
 * Tests that need gnuplot or chromium skip, saying so, when the program is
 * not installed (make bench installs gnuplot; chromium is never installed by
 * a test).
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "script_util.h"

/* ---- scripts/report ------------------------------------------------- */

Test(report, shows_machine_charts_rankings_and_every_transport,
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
Test(report, lists_paced_rows_by_cpu, .timeout = 60,
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
Test(report, renders_in_headless_chromium, .timeout = 120,
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
