/* test_figures.c - the arithmetic of a row, without forking: made-up
 * counts and samples in, figures out (bench/figures.c). */
#include <criterion/criterion.h>
#include <string.h>

#include "../bench/figures.h"

#define EPS 1e-6

static const struct transport plain = {
    .name = "plain", .family = TP_IPC, .caps = TP_STREAM,
};
static const struct transport lossy = {
    .name = "lossy", .family = TP_NET, .caps = TP_MESSAGES | TP_LOSSY,
};
static const struct transport bare = {
    .name = "bare", .family = TP_SIGNALS, .caps = TP_NO_SIZE | TP_NO_PAYLOAD,
};

static int fake_custom(struct tp_channel *ch, struct tp_counts *c, char *err)
{
    (void)ch, (void)c, (void)err;
    return 0;
}

static const struct transport custom = {
    .name = "custom", .family = TP_SIGNALS, .caps = TP_NO_SIZE | TP_SOLO,
    .custom = fake_custom,
};

static int small_only(const struct transport *tp, enum tp_mode mode,
                      size_t msg_bytes, char *err)
{
    (void)tp, (void)mode;
    if (msg_bytes > 1000) {
        strcpy(err, "over 1000 bytes; raise the limit");
        return -1;
    }
    return 0;
}

static const struct transport limited = {
    .name = "limited", .family = TP_IPC, .caps = TP_MESSAGES,
    .check_size = small_only,
};

static struct run_input latency_input(const struct transport *tp,
                                      struct run_counts *c, uint64_t *s,
                                      uint64_t n)
{
    struct run_input in = {
        .tp = tp, .mode = MODE_LATENCY, .size_bytes = 64,
        .verify = VERIFY_SUM, .messages = n, .cpu_ns = 0, .counts = c,
        .samples_ns = s, .nsamples = n,
    };
    return in;
}

Test(figures, latency_percentiles_of_one_run)
{
    uint64_t s[100];
    struct run_counts c = { 0 };
    struct run_input in = latency_input(&plain, &c, s, 100);
    struct run_figures f;
    enum bench_code code;
    char why[ERR_LEN] = "";

    for (int i = 0; i < 100; i++)
        s[i] = (uint64_t)((i * 37) % 100 + 1);     /* 1..100, shuffled */
    cr_assert_eq(figures_run(&in, &f, &code, why), 0, "%s", why);
    cr_expect_eq(code, CODE_OK);
    cr_expect_float_eq(f.rtt_ns[LAT_MIN], 1.0, EPS);
    cr_expect_float_eq(f.rtt_ns[LAT_P50], 50.5, EPS);
    cr_expect_float_eq(f.rtt_ns[LAT_P99], 99.01, EPS);
    cr_expect_float_eq(f.rtt_ns[LAT_MAX], 100.0, EPS);
    cr_expect_float_eq(f.rtt_ns[LAT_MEAN], 50.5, EPS);
    cr_expect_float_eq(f.main, 50.5, EPS);
    cr_expect_float_eq(f.msgs_per_s, 1e9 / 50.5, 1e-3);
    cr_expect_float_eq(f.mb_per_s, 1e9 / 50.5 * 64 / 1e6, 1e-6);
    cr_expect_eq(f.verified, 1, "a latency run checked every reply");
}

Test(figures, lost_round_trips_leave_no_zero_sample)
{
    uint64_t s[6] = { 0, 300, 0, 100, 200, 400 };
    struct run_counts c = { .lost = 2 };
    struct run_input in = latency_input(&lossy, &c, s, 6);
    struct run_figures f;
    enum bench_code code;
    char why[ERR_LEN] = "";

    c.verified = 1;
    cr_assert_eq(figures_run(&in, &f, &code, why), 0, "%s", why);
    cr_expect_float_eq(f.rtt_ns[LAT_MIN], 100.0, EPS);
    cr_expect_float_eq(f.rtt_ns[LAT_P50], 250.0, EPS);
    cr_expect_float_eq(f.rtt_ns[LAT_MAX], 400.0, EPS);
    cr_expect_eq(f.lost, 2);
}

Test(figures, a_run_without_a_round_trip_fails)
{
    uint64_t s[3] = { 0, 0, 0 };
    struct run_counts c = { .lost = 3, .verified = 1 };
    struct run_input in = latency_input(&lossy, &c, s, 3);
    struct run_figures f;
    enum bench_code code;
    char why[ERR_LEN] = "";

    cr_expect_eq(figures_run(&in, &f, &code, why), -1);
    cr_expect_eq(code, CODE_ERROR);
    cr_expect(strstr(why, "no round trip") != NULL, "%s", why);
}

Test(figures, paced_rate_is_the_pace_achieved)
{
    uint64_t s[4] = { 10, 20, 30, 40 };
    struct run_counts c = { .paced_start_ns = 1000, .paced_end_ns = 401000 };
    struct run_input in = latency_input(&plain, &c, s, 4);
    struct run_figures f;
    enum bench_code code;
    char why[ERR_LEN] = "";

    in.mode = MODE_PACED;
    cr_assert_eq(figures_run(&in, &f, &code, why), 0, "%s", why);
    /* 4 slots in 400 us: 10 000 a second, not 1e9 / 25 ns */
    cr_expect_float_eq(f.msgs_per_s, 10000.0, EPS);
    cr_expect_float_eq(f.rtt_ns[LAT_P50], 25.0, EPS);
}

Test(figures, throughput_and_cpu_per_message_and_megabyte)
{
    struct run_counts c = { .t_start_ns = 5, .t_end_ns = 5 + 1000000000u,
                            .verified = 1 };
    struct run_input in = {
        .tp = &plain, .mode = MODE_THROUGHPUT, .size_bytes = 1000,
        .verify = VERIFY_SUM, .messages = 100, .cpu_ns = 1e6, .counts = &c,
    };
    struct run_figures f;
    enum bench_code code;
    char why[ERR_LEN] = "";

    cr_assert_eq(figures_run(&in, &f, &code, why), 0, "%s", why);
    cr_expect_float_eq(f.msgs_per_s, 100.0, EPS);
    cr_expect_float_eq(f.mb_per_s, 0.1, EPS);
    cr_expect_float_eq(f.main, 0.1, EPS);
    cr_expect_float_eq(f.cpu_ns_per_msg, 1e4, EPS);
    cr_expect_float_eq(f.cpu_ms_per_mb, 10.0, EPS);   /* 1 ms per 0.1 MB */
    cr_expect_eq(f.verified, 1);
    c.t_end_ns = c.t_start_ns;
    cr_expect_eq(figures_run(&in, &f, &code, why), -1);
    cr_expect(strstr(why, "no time elapsed") != NULL, "%s", why);
}

struct verified_case {
    const struct transport *tp;
    enum tp_mode mode;
    enum verify_level verify;
    int consumer_says;
    int rc;                     /* figures_run() */
    enum bench_code code;
    int verified;
};

Test(figures, verified_follows_its_rules)
{
    static const struct verified_case cases[] = {
        { &plain, MODE_THROUGHPUT, VERIFY_SUM, 1, 0, CODE_OK, 1 },
        { &plain, MODE_THROUGHPUT, VERIFY_SUM, 0, -1,
          CODE_VERIFICATION_FAILED, 0 },
        { &plain, MODE_THROUGHPUT, VERIFY_NONE, 1, 0, CODE_OK, 0 },
        { &plain, MODE_LATENCY, VERIFY_FULL, 0, 0, CODE_OK, 1 },
        { &lossy, MODE_LATENCY, VERIFY_SUM, 0, -1,
          CODE_VERIFICATION_FAILED, 0 },
        { &bare, MODE_THROUGHPUT, VERIFY_SUM, 0, 0, CODE_OK, 0 },
        { &custom, MODE_THROUGHPUT, VERIFY_SUM, 0, -1,
          CODE_VERIFICATION_FAILED, 0 },
    };
    uint64_t s[1] = { 7 };

    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        const struct verified_case *v = &cases[k];
        struct run_counts c = { .t_start_ns = 1, .t_end_ns = 2, .sent = 3,
                                .received = 2, .verified = v->consumer_says };
        struct run_input in = {
            .tp = v->tp, .mode = v->mode, .size_bytes = 8,
            .verify = v->verify, .messages = 1, .counts = &c,
            .samples_ns = s, .nsamples = 1,
        };
        struct run_figures f;
        enum bench_code code;
        char why[ERR_LEN] = "";

        cr_expect_eq(figures_run(&in, &f, &code, why), v->rc, "case %zu: %s",
                     k, why);
        cr_expect_eq(code, v->code, "case %zu: code %s", k,
                     bench_code_name(code));
        cr_expect_eq(f.verified, v->verified, "case %zu", k);
    }
}

Test(figures, a_row_is_the_median_across_reps)
{
    struct run_figures f[3];
    struct bench_result res;

    memset(f, 0, sizeof(f));
    memset(&res, 0, sizeof(res));
    res.tp = &plain;
    for (int i = 0; i < 3; i++) {
        f[i].main = f[i].mb_per_s = (double)(i == 1 ? 300 : 100 * (i + 1));
        f[i].rtt_ns[LAT_P99] = 10.0 * (3 - i);
        f[i].cpu_ns_per_msg = 5;
        f[i].lost = (uint64_t)i;
        f[i].verified = 1;
    }
    f[2].main = f[2].mb_per_s = 200;    /* runs: 100, 300, 200 */
    figures_aggregate(&res, f, 3);
    cr_expect_float_eq(res.median, 200.0, EPS);
    cr_expect_float_eq(res.min, 100.0, EPS);
    cr_expect_float_eq(res.max, 300.0, EPS);
    cr_expect_float_eq(res.cv_pct, 50.0, EPS);  /* stddev 100, mean 200 */
    cr_expect_float_eq(res.mb_per_s, 200.0, EPS);
    cr_expect_float_eq(res.rtt_ns[LAT_P99], 20.0, EPS);
    cr_expect_eq(res.lost, 3, "losses are summed over reps");
    cr_expect_eq(res.verified, 1);
    f[1].verified = 0;
    memset(&res, 0, sizeof(res));
    res.tp = &plain;
    figures_aggregate(&res, f, 3);
    cr_expect_eq(res.verified, 0, "one unverified rep unverifies the row");
    memset(&res, 0, sizeof(res));
    res.tp = &bare;
    figures_aggregate(&res, f, 3);
    cr_expect_eq(res.verified, -1, "nothing to verify: n/a");
}

struct na_case {
    const struct transport *tp;
    enum tp_mode mode;
    size_t size;
    enum bench_code code;       /* CODE_OK: the cell applies */
    const char *says;
};

Test(figures, cells_that_do_not_apply_say_why)
{
    static const struct transport no_tput = {
        .name = "no_tput", .caps = TP_MESSAGES | TP_NO_THROUGHPUT,
    };
    static const struct transport solo = {
        .name = "solo", .caps = TP_NO_SIZE | TP_SOLO,
    };
    static const struct transport limit = {
        .name = "memcpy", .family = TP_LIMIT, .caps = TP_STREAM,
    };
    const struct na_case cases[] = {
        { &plain, MODE_THROUGHPUT, 64, CODE_OK, "" },
        { &no_tput, MODE_THROUGHPUT, 64, CODE_MODE_NOT_APPLICABLE,
          "throughput mode does not apply to no_tput" },
        { &solo, MODE_THROUGHPUT, 0, CODE_MODE_NOT_APPLICABLE,
          "does not apply" },
        { &custom, MODE_PACED, 0, CODE_MODE_NOT_APPLICABLE,
          "no round trip to pace" },
        { &limit, MODE_PACED, 64, CODE_MODE_NOT_APPLICABLE,
          "reference row" },
        { &limited, MODE_LATENCY, 1000, CODE_OK, "" },
        { &limited, MODE_LATENCY, 1001, CODE_OVER_LIMIT, "over 1000" },
    };

    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        struct bench_result res;
        int na;

        memset(&res, 0, sizeof(res));
        na = figures_cell_na(cases[k].tp, cases[k].mode, cases[k].size, &res);
        cr_expect_eq(na, cases[k].code != CODE_OK, "case %zu", k);
        if (!na)
            continue;
        cr_expect_eq(res.status, RES_NA, "case %zu", k);
        cr_expect_eq(res.code, cases[k].code, "case %zu: %s", k,
                     bench_code_name(res.code));
        cr_expect(strstr(res.reason, cases[k].says) != NULL,
                  "case %zu: '%s' lacks '%s'", k, res.reason, cases[k].says);
    }
}

Test(figures, note_puts_the_pace_first_and_unverified_last)
{
    struct bench_result res;

    memset(&res, 0, sizeof(res));
    res.mode = MODE_PACED;
    res.interval_ns = 250000;
    res.status = RES_OK;
    figures_note(&res, "mq_maxmsg 10", VERIFY_SUM);
    cr_expect_str_eq(res.note, "paced: one round trip every 250 us; "
                               "mq_maxmsg 10");
    res.mode = MODE_THROUGHPUT;
    figures_note(&res, "", VERIFY_NONE);
    cr_expect_str_eq(res.note, "bytes not verified (--verify none)");
    figures_note(&res, "TCP_NODELAY", VERIFY_SUM);
    cr_expect_str_eq(res.note, "TCP_NODELAY");
}

Test(figures, counters_are_per_message_and_each_side_its_own)
{
    struct run_counts c = { .t_start_ns = 1, .t_end_ns = 1000001,
                            .received = 50, .verified = 1 };
    struct run_input in = {
        .tp = &lossy, .mode = MODE_THROUGHPUT, .size_bytes = 64,
        .verify = VERIFY_SUM, .messages = 100, .counts = &c,
        .sides = 3,
    };
    struct run_figures f;
    enum bench_code code;
    char why[ERR_LEN] = "";

    c.ru_base[ROLE_PRODUCER][RU_VCSW] = 10;         /* before the barrier */
    in.ru_end[ROLE_PRODUCER][RU_VCSW] = 210;
    in.ru_end[ROLE_CONSUMER][RU_MINFLT] = 25;
    c.ctr_valid[ROLE_PRODUCER] = 1u << CTR_SYSCALLS;
    c.ctr[ROLE_PRODUCER][CTR_SYSCALLS] = 101;
    c.ctr[ROLE_PRODUCER][CTR_CYCLES] = 999;         /* not valid: ignored */
    cr_assert_eq(figures_run(&in, &f, &code, why), 0, "%s", why);
    cr_expect_float_eq(f.ru_per_msg[ROLE_PRODUCER][RU_VCSW], 2.0, EPS);
    cr_expect_float_eq(f.ru_per_msg[ROLE_CONSUMER][RU_MINFLT], 0.5, EPS,
                       "the consumer's per message received");
    cr_expect_float_eq(f.ctr_per_msg[ROLE_PRODUCER][CTR_SYSCALLS], 1.01, EPS);
    cr_expect_float_eq(f.ctr_per_msg[ROLE_PRODUCER][CTR_CYCLES], 0, EPS);
    cr_expect_eq(f.ctr_valid[ROLE_CONSUMER], 0);
}

Test(figures, rusage_is_the_median_and_perf_counters_come_from_one_run)
{
    struct run_figures f[3], counting;
    struct bench_result res;

    memset(f, 0, sizeof(f));
    memset(&counting, 0, sizeof(counting));
    memset(&res, 0, sizeof(res));
    res.tp = &plain;
    for (int i = 0; i < 3; i++) {
        f[i].sides = 3;
        f[i].ru_per_msg[ROLE_CONSUMER][RU_IVCSW] = (double)(3 - i);
    }
    f[2].sides = 1;             /* one run without a consumer */
    counting.sides = 3;
    counting.ctr_valid[ROLE_PRODUCER] = 1u << CTR_CTXSW;
    counting.ctr_per_msg[ROLE_PRODUCER][CTR_CTXSW] = 2.5;
    figures_aggregate(&res, f, 2);
    cr_expect_eq(res.ru_sides, 3);
    cr_expect_float_eq(res.ru_per_msg[ROLE_CONSUMER][RU_IVCSW], 2.5, EPS);
    figures_aggregate(&res, f, 3);
    cr_expect_eq(res.ru_sides, 1, "a side missing in one run is missing");
    figures_counted(&res, &counting);
    cr_expect_eq(res.ctr_valid[ROLE_PRODUCER], 1u << CTR_CTXSW);
    cr_expect_eq(res.ctr_valid[ROLE_CONSUMER], 0);
    cr_expect_float_eq(res.ctr_per_msg[ROLE_PRODUCER][CTR_CTXSW], 2.5, EPS);
}
