/* test_output.c - CSV and JSON writers: what they write parses back. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/output.h"
#include "json_check.h"

static const struct transport fake_tp = {
    .name = "fake/variant", .family = TP_IPC, .summary = "test",
    .caps = TP_STREAM,
};

static struct bench_result sample_row(enum tp_mode mode)
{
    struct bench_result r;

    memset(&r, 0, sizeof(r));
    r.tp = &fake_tp;
    r.mode = mode;
    r.size_bytes = 4096;
    strcpy(r.placement, "spread");
    r.cpu[0] = 0;
    r.cpu[1] = 1;
    r.status = RES_OK;
    r.reps = 5;
    r.median = mode == MODE_LATENCY ? 1900 : 2500.5;
    r.min = r.median - 1;
    r.max = r.median + 1;
    r.cv_pct = 1.25;
    r.mb_per_s = 2500.5;
    r.msgs_per_s = 610474.1;
    for (int k = 0; k < LAT_N; k++)
        r.rtt_ns[k] = 1000 + 100 * k;
    r.cpu_ns_per_msg = 3300;
    r.cpu_ms_per_mb = 0.8;
    r.messages = 65536;
    r.bytes = 65536 * 4096ull;
    r.verified = 1;
    strcpy(r.note, "a note, with \"quotes\"");
    return r;
}

/* Split one CSV line (RFC 4180 quoting) into fields; returns the count. */
static int csv_split(const char *line, char fields[][256], int max)
{
    int n = 0;
    const char *p = line;

    while (n < max) {
        size_t len = 0;

        if (*p == '"') {
            for (p++; *p != '\0'; p++) {
                if (*p == '"' && p[1] == '"')
                    p++;
                else if (*p == '"')
                    break;
                if (len < 255)
                    fields[n][len++] = *p;
            }
            if (*p == '"')
                p++;
        } else {
            while (*p != ',' && *p != '\n' && *p != '\0')
                if (len < 255)
                    fields[n][len++] = *p++;
                else
                    p++;
        }
        fields[n++][len] = '\0';
        if (*p != ',')
            break;
        p++;
    }
    return n;
}

static char *write_rows(enum out_format f, int nrows)
{
    char *buf = NULL, err[ERR_LEN];
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    struct output o;
    struct bench_config cfg;
    struct sysinfo_meta meta;

    cr_assert_not_null(fp);
    bench_config_defaults(&cfg);
    cr_assert_eq(sysinfo_collect(&meta, err), 0, "%s", err);
    output_begin(&o, fp, f, &meta, "ipclab run \"quoted\"\targ", &cfg);
    for (int i = 0; i < nrows; i++) {
        struct bench_result r = sample_row(i % 2 ? MODE_LATENCY
                                                 : MODE_THROUGHPUT);
        if (i == 2) {
            r.status = RES_FAILED;
            r.code = CODE_TIMEOUT;
            strcpy(r.reason, "run 1: timeout");
        }
        if (i == 3) {
            r.mode = MODE_PACED;
            r.interval_ns = 250000;
            r.facts.ring_bytes = 2u << 20;
            r.facts.records_per_msg = 4;
            r.facts.wait = "futex";
        }
        output_row(&o, &r);
    }
    cr_assert_eq(output_end(&o, err), 0);
    fclose(fp);
    return buf;
}

Test(output, csv_has_stable_columns_and_parses_back)
{
    char *csv = write_rows(OUT_CSV, 4), *save = NULL;
    char fields[128][256];
    char *line = strtok_r(csv, "\n", &save);
    int n = csv_split(line, fields, 128), rows = 0;

    cr_assert_eq(n, (int)output_ncolumns);
    cr_expect_str_eq(fields[0], "transport");
    cr_expect_str_eq(fields[3], "size_bytes");
    cr_expect_str_eq(fields[33], "note");   /* schema 1 ends here */
    cr_expect_str_eq(fields[34], "status_code");
    cr_expect_str_eq(fields[35], "reason");
    cr_expect_str_eq(fields[40], "copies");     /* schema 2's last */
    cr_expect_str_eq(fields[41], "clients");    /* the server family */
    cr_expect_str_eq(fields[42], "consumer_cpu_ns_per_msg");
    cr_expect_str_eq(fields[43], "vcsw_per_msg_producer");  /* counters */
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        cr_assert_eq(csv_split(line, fields, 128), (int)output_ncolumns,
                     "row %d: %s", rows, line);
        cr_expect_str_eq(fields[0], "fake/variant");
        cr_expect_str_eq(fields[4], "spread");
        if (rows == 0) {
            cr_expect_str_eq(fields[2], "throughput");
            cr_expect_str_eq(fields[9], "mb_per_s");
            cr_expect_float_eq(strtod(fields[10], NULL), 2500.5, 1e-6);
            cr_expect_str_eq(fields[16], "");       /* no RTT here */
            cr_expect_str_eq(fields[32], "yes");
            cr_expect_str_eq(fields[33], "a note, with \"quotes\"");
            cr_expect_str_eq(fields[34], "ok");
            cr_expect_str_eq(fields[35], "");
            for (int k = 36; k < n; k++)    /* unknown: empty */
                cr_expect_str_eq(fields[k], "", "column %d", k);
        } else if (rows == 1) {
            cr_expect_str_eq(fields[9], "rtt_p50_ns");
            cr_expect_float_eq(strtod(fields[17], NULL), 1100, 1e-6);
            cr_expect_float_eq(strtod(fields[24], NULL), 550, 1e-6);
        } else if (rows == 2) {
            cr_expect_str_eq(fields[7], "failed");
            cr_expect_str_eq(fields[10], "");
            cr_expect_str_eq(fields[33], "a note, with \"quotes\"",
                             "the note is a remark, never the reason");
            cr_expect_str_eq(fields[34], "timeout");
            cr_expect_str_eq(fields[35], "run 1: timeout");
        } else {
            cr_expect_str_eq(fields[2], "paced");
            cr_expect_str_eq(fields[36], "250000");     /* interval_ns */
            cr_expect_str_eq(fields[37], "2097152");    /* ring_bytes */
            cr_expect_str_eq(fields[38], "4");          /* records_per_msg */
            cr_expect_str_eq(fields[39], "futex");      /* wait */
        }
        rows++;
    }
    cr_expect_eq(rows, 4);
    free(csv);
}

Test(output, json_is_valid_and_carries_rows_and_machine)
{
    char *json = write_rows(OUT_JSON, 3);
    size_t where;

    cr_assert_eq(json_check(json, &where), 0, "invalid JSON at %zu: %.40s",
                 where, json + where);
    cr_expect(strstr(json, "\"hostname\": ") != NULL);
    cr_expect(strstr(json, "\"kernel\": ") != NULL);
    cr_expect(strstr(json, "\"clock_read_ns\": ") != NULL);
    cr_expect(strstr(json, "\"git_revision\": ") != NULL);
    cr_expect(strstr(json, "\"options\": {\"bytes\": 268435456") != NULL);
    cr_expect(strstr(json, "\"transport\": \"fake/variant\"") != NULL);
    cr_expect(strstr(json, "\"rtt_p50_ns\": 1100.0") != NULL);
    cr_expect(strstr(json, "\"rtt_p50_ns\": null") != NULL);
    cr_expect(strstr(json, "\"status\": \"failed\"") != NULL);
    cr_expect(strstr(json, "\"schema\": 2") != NULL);
    cr_expect(strstr(json, "\"status_code\": \"timeout\"") != NULL);
    cr_expect(strstr(json, "\"reason\": \"run 1: timeout\"") != NULL);
    cr_expect(strstr(json, "\"copies\": null") != NULL);
    free(json);
}

Test(output, empty_json_document_is_valid)
{
    char *json = write_rows(OUT_JSON, 0);
    size_t where;

    cr_expect_eq(json_check(json, &where), 0, "invalid at %zu", where);
    free(json);
}

Test(output, json_checker_rejects_broken_documents)
{
    size_t where;

    cr_expect_eq(json_check("{\"a\": [1, 2,]}", &where), -1);
    cr_expect_eq(json_check("{\"a\": nan}", &where), -1);
    cr_expect_eq(json_check("{\"a\": \"x\ny\"}", &where), -1);
    cr_expect_eq(json_check("{\"a\": 1} x", &where), -1);
    cr_expect_eq(json_check("{\"a\": [1, {\"b\": null}]}", &where), 0);
}

/* The table ends with a verdict per cell: the best transport, times the
 * baseline, its CPU; a cell with one ok row says nothing, limit rows
 * and failed rows are not candidates. */
static const struct transport pipe_tp = { .name = "pipe", .family = TP_IPC,
                                          .summary = "t" };
static const struct transport fast_tp = { .name = "fast", .family = TP_IPC,
                                          .summary = "t" };
static const struct transport limit_tp = { .name = "memcpy",
                                           .family = TP_LIMIT,
                                           .summary = "t" };

Test(output, the_table_ends_with_the_verdict_of_each_cell)
{
    char *buf = NULL, err[ERR_LEN];
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    struct output o;
    struct bench_result r;

    cr_assert_not_null(fp);
    output_begin(&o, fp, OUT_TABLE, NULL, NULL, NULL);
    r = sample_row(MODE_LATENCY);               /* pipe 2000 ns */
    r.tp = &pipe_tp;
    r.median = 2000;
    output_row(&o, &r);
    r.tp = &fast_tp;                            /* fast 100 ns: 20x */
    r.median = 100;
    r.cpu_ns_per_msg = 250;
    output_row(&o, &r);
    r.tp = &limit_tp;                           /* a reference, not a */
    r.median = 10;                              /* candidate */
    output_row(&o, &r);
    r.tp = &fast_tp;                            /* failed: not counted */
    r.status = RES_FAILED;
    r.median = 1;
    output_row(&o, &r);
    r = sample_row(MODE_THROUGHPUT);            /* one ok row: no line */
    r.tp = &pipe_tp;
    output_row(&o, &r);
    cr_assert_eq(output_end(&o, err), 0);
    fclose(fp);
    cr_assert(strstr(buf, "VERDICT") != NULL, "%s", buf);
    cr_expect(strstr(buf, "latency    4K      spread  fast: RTT p50 100 ns, "
                          "20x faster than pipe; CPU 250 ns per round "
                          "trip") != NULL, "%s", buf);
    cr_expect(strstr(buf, "throughput 4K") == NULL, "%s", buf);
    cr_expect(strstr(buf, "memcpy:") == NULL, "%s", buf);
    free(buf);
}

/* The statistics carry their limits: a tail percentile needs 10 / (1 - p)
 * round trips per run, and fork + reap has no one-way half. */
static const struct transport fork_tp = { .name = "fork/like",
                                          .family = TP_SIGNALS,
                                          .summary = "t",
                                          .caps = TP_NOT_ONE_WAY };

Test(output, table_shows_percentiles_only_with_enough_round_trips)
{
    char *buf = NULL, err[ERR_LEN];
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    struct output o;
    struct bench_result r = sample_row(MODE_LATENCY);

    cr_assert_not_null(fp);
    output_begin(&o, fp, OUT_TABLE, NULL, NULL, NULL);
    r.messages = 999;           /* p90 yes (100), p99 no (1000) */
    output_row(&o, &r);
    r.messages = 10000;         /* everything */
    r.tp = &fork_tp;
    output_row(&o, &r);
    cr_assert_eq(output_end(&o, err), 0);
    fclose(fp);
    /* rtt_ns[k] = 1000 + 100 k: p90 1200, p99 1300, p99.9 1400, p50 1100 */
    cr_expect(strstr(buf, "    1000     1100     1200        -        -"
                          "      1500      550") != NULL, "%s", buf);
    cr_expect(strstr(buf, "    1000     1100     1200     1300     1400"
                          "      1500        -") != NULL, "%s", buf);
    free(buf);
}

/* ---- the "x pipe" column and --sort (bench/table.h) ------------------- */

struct ratio_case {
    double x;
    char text[16];
};

ParameterizedTestParameters(output, ratio_has_two_significant_digits)
{
    static struct ratio_case cases[] = {
        { 1.0, "1.0x" }, { 20.0, "20x" }, { 170.4, "170x" },
        { 1234, "1200x" }, { 3.14159, "3.1x" }, { 9.96, "10x" },
        { 0.523, "0.52x" }, { 0.999, "1.0x" }, { 0.0456, "0.046x" },
        { 0, "" }, { -1, "" },
    };
    return cr_make_param_array(struct ratio_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct ratio_case *c, output,
                  ratio_has_two_significant_digits)
{
    char out[32];

    table_format_ratio(c->x, out, sizeof(out));
    cr_expect_str_eq(out, c->text, "%g", c->x);
}

static const struct transport slow_tp = { .name = "slow", .family = TP_IPC,
                                          .summary = "t" };

/* A synthetic row: ok, `figure` as the main figure (MB/s, or RTT p50 in
 * ns), `cpu` ns per message. */
static struct bench_result fig_row(const struct transport *tp,
                                   enum tp_mode mode, size_t size,
                                   double figure, double cpu)
{
    struct bench_result r = sample_row(mode);

    r.tp = tp;
    r.size_bytes = size;
    r.median = figure;
    r.mb_per_s = figure;
    r.rtt_ns[LAT_P50] = figure;
    r.cpu_ns_per_msg = cpu;
    r.note[0] = '\0';
    return r;
}

/* The table of rows[] in this order, with the ratio column. */
static char *table_of(const struct bench_result *rows, size_t n,
                      enum table_sort sort)
{
    char *buf = NULL, err[ERR_LEN];
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    struct output o;

    cr_assert_not_null(fp);
    output_begin(&o, fp, OUT_TABLE, NULL, NULL, NULL);
    o.ratio_column = 1;
    o.table.sort = sort;
    for (size_t i = 0; i < n; i++)
        output_row(&o, &rows[i]);
    cr_assert_eq(output_end(&o, err), 0);
    fclose(fp);
    return buf;
}

/* The "x pipe" cell of a transport's row at 4K spread in the table of
 * one mode, or NULL when the row is missing. */
static const char *ratio_in(const char *table, const char *name,
                            const char *size, char out[16])
{
    char prefix[64];
    const char *p;

    snprintf(prefix, sizeof(prefix), "\n%-26s %6s %-7s ", name, size,
             "spread");
    p = strstr(table, prefix);
    if (p == NULL)
        return NULL;
    p += strlen(prefix);
    if (sscanf(p, "%15s", out) != 1 || strchr(out, 'x') == NULL)
        out[0] = '\0';          /* the next column, not a ratio */
    return out;
}

/* The baseline's row is 1.0x; a faster transport is above 1, a slower
 * one below, in throughput (MB/s over pipe's) and in latency (pipe's p50
 * over this one's); a failed row and a cell without pipe have none. */
Test(output, ratio_column_is_one_for_the_baseline_and_above_for_faster)
{
    struct bench_result rows[] = {
        fig_row(&fast_tp, MODE_THROUGHPUT, 4096, 3100, 500),
        fig_row(&pipe_tp, MODE_THROUGHPUT, 4096, 1000, 900),
        fig_row(&slow_tp, MODE_THROUGHPUT, 4096, 523, 2000),
        fig_row(&fast_tp, MODE_THROUGHPUT, 65536, 9000, 500),
        fig_row(&fast_tp, MODE_LATENCY, 4096, 100, 250),
        fig_row(&pipe_tp, MODE_LATENCY, 4096, 2000, 4000),
        fig_row(&slow_tp, MODE_LATENCY, 4096, 3000, 4000),
    };
    char *tab, *lat, x[16];

    rows[6].status = RES_FAILED;
    strcpy(rows[6].reason, "run 1: timeout");
    tab = table_of(rows, sizeof(rows) / sizeof(rows[0]), TABLE_RUN);
    lat = strstr(tab, "LATENCY");
    cr_assert_not_null(lat, "%s", tab);
    cr_expect(strstr(tab, "x pipe") != NULL, "no heading: %s", tab);
    cr_expect_str_eq(ratio_in(tab, "pipe", "4K", x), "1.0x", "%s", tab);
    cr_expect_str_eq(ratio_in(tab, "fast", "4K", x), "3.1x", "%s", tab);
    cr_expect_str_eq(ratio_in(tab, "slow", "4K", x), "0.52x", "%s", tab);
    cr_expect_str_eq(ratio_in(tab, "fast", "64K", x), "", "no pipe: %s",
                     tab);
    cr_expect_str_eq(ratio_in(lat, "pipe", "4K", x), "1.0x", "%s", lat);
    cr_expect_str_eq(ratio_in(lat, "fast", "4K", x), "20x", "%s", lat);
    cr_expect_str_eq(ratio_in(lat, "slow", "4K", x), "", "failed: %s", lat);
    cr_expect(strstr(lat, "\nslow                           4K spread  "
                          "        FAILED: run 1: timeout") != NULL,
              "%s", lat);
    free(tab);
}

/* Streamed (no --sort), the ratios start at the baseline's row: a row
 * printed before it has none (the sweep measures the baseline first, so
 * that none is; see test_cli_output.c). */
Test(output, streamed_table_has_ratios_from_the_baseline_row_on)
{
    struct bench_result rows[] = {
        fig_row(&fast_tp, MODE_THROUGHPUT, 4096, 3100, 500),
        fig_row(&pipe_tp, MODE_THROUGHPUT, 4096, 1000, 900),
        fig_row(&slow_tp, MODE_THROUGHPUT, 4096, 523, 2000),
    };
    char *tab = table_of(rows, 3, TABLE_STREAM), x[16];

    cr_expect_str_eq(ratio_in(tab, "fast", "4K", x), "", "%s", tab);
    cr_expect_str_eq(ratio_in(tab, "pipe", "4K", x), "1.0x", "%s", tab);
    cr_expect_str_eq(ratio_in(tab, "slow", "4K", x), "0.52x", "%s", tab);
    free(tab);
    tab = table_of(rows + 1, 2, TABLE_STREAM);      /* pipe first */
    cr_expect_str_eq(ratio_in(tab, "slow", "4K", x), "0.52x", "%s", tab);
    free(tab);
}

/* --baseline T: the column is "x T", and T's row is the 1.0x. */
Test(output, ratio_column_follows_the_baseline)
{
    struct bench_result rows[] = {
        fig_row(&pipe_tp, MODE_LATENCY, 4096, 2000, 900),
        fig_row(&fast_tp, MODE_LATENCY, 4096, 100, 500),
    };
    char *buf = NULL, err[ERR_LEN], x[16];
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    struct output o;

    cr_assert_not_null(fp);
    output_begin(&o, fp, OUT_TABLE, NULL, NULL, NULL);
    o.ratio_column = 1;
    o.table.baseline = o.verdict.baseline = "fast";
    o.table.sort = TABLE_RUN;
    output_row(&o, &rows[0]);
    output_row(&o, &rows[1]);
    cr_assert_eq(output_end(&o, err), 0);
    fclose(fp);
    cr_expect(strstr(buf, " x fast ") != NULL, "%s", buf);
    cr_expect_str_eq(ratio_in(buf, "fast", "4K", x), "1.0x", "%s", buf);
    cr_expect_str_eq(ratio_in(buf, "pipe", "4K", x), "0.050x", "%s", buf);
    free(buf);
}

struct sort_case {
    enum table_sort sort;
    char order[8][16];          /* the rows' "name size", top to bottom */
};

/* Two cells of throughput and one of latency; the run measured them in
 * the order of rows[] below. */
static size_t sort_rows(struct bench_result *rows)
{
    size_t n = 0;

    rows[n++] = fig_row(&slow_tp, MODE_THROUGHPUT, 4096, 500, 100);
    rows[n++] = fig_row(&slow_tp, MODE_THROUGHPUT, 64, 50, 100);
    rows[n++] = fig_row(&pipe_tp, MODE_THROUGHPUT, 4096, 1000, 900);
    rows[n++] = fig_row(&pipe_tp, MODE_THROUGHPUT, 64, 40, 900);
    rows[n++] = fig_row(&fast_tp, MODE_THROUGHPUT, 4096, 3000, 500);
    rows[n] = fig_row(&fast_tp, MODE_THROUGHPUT, 64, 0, 0);
    rows[n].status = RES_FAILED;        /* failed: last of its cell */
    strcpy(rows[n++].reason, "crashed");
    rows[n++] = fig_row(&slow_tp, MODE_LATENCY, 4096, 3000, 700);
    rows[n++] = fig_row(&fast_tp, MODE_LATENCY, 4096, 100, 800);
    return n;
}

ParameterizedTestParameters(output, sort_orders_the_table_as_documented)
{
    static struct sort_case cases[] = {
        { TABLE_RUN, { "slow 4K", "slow 64", "pipe 4K", "pipe 64", "fast 4K",
                       "fast 64", "slow 4K", "fast 4K" } },
        { TABLE_NAME, { "fast 4K", "fast 64", "pipe 4K", "pipe 64",
                        "slow 4K", "slow 64", "fast 4K", "slow 4K" } },
        /* per mode, size, placement (sizes in the run's order) */
        { TABLE_SPEED, { "fast 4K", "pipe 4K", "slow 4K", "slow 64",
                         "pipe 64", "fast 64", "fast 4K", "slow 4K" } },
        { TABLE_CPU, { "slow 4K", "fast 4K", "pipe 4K", "slow 64", "pipe 64",
                       "fast 64", "slow 4K", "fast 4K" } },
    };
    return cr_make_param_array(struct sort_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct sort_case *c, output,
                  sort_orders_the_table_as_documented)
{
    struct bench_result rows[8];
    size_t n = sort_rows(rows);
    char *tab = table_of(rows, n, c->sort), *save = NULL, *line;
    size_t k = 0;

    for (line = strtok_r(tab, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char name[32], size[16], got[48];

        if (strncmp(line, "fast ", 5) != 0 && strncmp(line, "pipe ", 5) &&
            strncmp(line, "slow ", 5))
            continue;           /* headings, the verdict */
        cr_assert_eq(sscanf(line, "%31s %15s", name, size), 2, "%s", line);
        snprintf(got, sizeof(got), "%s %s", name, size);
        cr_assert_lt(k, n, "more rows than given: %s", line);
        cr_expect_str_eq(got, c->order[k], "--sort %d, row %zu", c->sort, k);
        k++;
    }
    cr_expect_eq(k, n);
    free(tab);
}

/* What --sort accepts, and nothing else. */
Test(output, sort_keys_parse)
{
    enum table_sort k = TABLE_STREAM;

    cr_expect_eq(table_parse_sort("speed", &k), 0);
    cr_expect_eq(k, TABLE_SPEED);
    cr_expect_eq(table_parse_sort("cpu", &k), 0);
    cr_expect_eq(k, TABLE_CPU);
    cr_expect_eq(table_parse_sort("name", &k), 0);
    cr_expect_eq(table_parse_sort("run", &k), 0);
    cr_expect_eq(k, TABLE_RUN);
    cr_expect_eq(table_parse_sort("fast", &k), -1);
    cr_expect_eq(table_parse_sort("", &k), -1);
}
