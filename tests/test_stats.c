/* test_stats.c - the statistics module on data with known answers. */
#include <criterion/criterion.h>
#include <math.h>

#include "../bench/stats.h"

#define EPS 1e-9

Test(stats, median_of_odd_and_even_counts)
{
    double odd[] = { 9, 1, 5 }, even[] = { 4, 1, 3, 2 };

    cr_expect_float_eq(stats_median(odd, 3), 5.0, EPS);
    cr_expect_float_eq(stats_median(even, 4), 2.5, EPS);
    cr_expect(isnan(stats_median(odd, 0)));
}

Test(stats, percentiles_interpolate_between_ranks)
{
    uint64_t v[100];

    for (int i = 0; i < 100; i++)
        v[i] = (uint64_t)(100 - i);     /* 100 .. 1, unsorted */
    stats_sort_u64(v, 100);
    cr_expect_float_eq(stats_percentile_u64(v, 100, 0), 1.0, EPS);
    cr_expect_float_eq(stats_percentile_u64(v, 100, 50), 50.5, EPS);
    cr_expect_float_eq(stats_percentile_u64(v, 100, 90), 90.1, 1e-6);
    cr_expect_float_eq(stats_percentile_u64(v, 100, 99), 99.01, 1e-6);
    cr_expect_float_eq(stats_percentile_u64(v, 100, 99.9), 99.901, 1e-6);
    cr_expect_float_eq(stats_percentile_u64(v, 100, 100), 100.0, EPS);
}

Test(stats, percentile_of_one_sample_is_that_sample)
{
    double one[] = { 42 };

    cr_expect_float_eq(stats_percentile(one, 1, 99.9), 42.0, EPS);
    cr_expect(isnan(stats_percentile(one, 0, 50)));
}

Test(stats, mean_stddev_and_cv)
{
    double v[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
    uint64_t u[] = { 2, 4, 4, 4, 5, 5, 7, 9 };

    cr_expect_float_eq(stats_mean(v, 8), 5.0, EPS);
    cr_expect_float_eq(stats_stddev(v, 8), sqrt(32.0 / 7.0), 1e-12);
    cr_expect_float_eq(stats_cv_pct(v, 8), sqrt(32.0 / 7.0) / 5 * 100, 1e-9);
    cr_expect_float_eq(stats_mean_u64(u, 8), 5.0, EPS);
    cr_expect_float_eq(stats_stddev_u64(u, 8), sqrt(32.0 / 7.0), 1e-12);
    cr_expect_float_eq(stats_stddev(v, 1), 0.0, EPS);
}

Test(stats, cv_of_identical_values_is_zero)
{
    double v[] = { 3, 3, 3, 3, 3 };

    cr_expect_float_eq(stats_cv_pct(v, 5), 0.0, EPS);
}

/* The bootstrap interval of a median: inside the data's range, around the
 * median, the same every time, none for one value, a point for equal
 * values, and wider for noisier data. */
Test(stats, median_ci95_brackets_the_median_and_is_repeatable)
{
    const double v[] = { 100, 104, 98, 101, 97, 103, 99 };
    const double noisy[] = { 100, 140, 60, 101, 70, 130, 99 };
    const double same[] = { 5, 5, 5 };
    double lo, hi, lo2, hi2, nlo, nhi;

    cr_assert_eq(stats_median_ci95(v, 7, &lo, &hi), 0);
    cr_expect(lo >= 97 && hi <= 104, "[%g, %g] outside the data", lo, hi);
    cr_expect(lo <= stats_median(v, 7) && stats_median(v, 7) <= hi);
    cr_expect(lo < hi, "seven different values give an interval");
    cr_assert_eq(stats_median_ci95(v, 7, &lo2, &hi2), 0);
    cr_expect(lo == lo2 && hi == hi2, "a fixed seed: the same interval");
    cr_assert_eq(stats_median_ci95(noisy, 7, &nlo, &nhi), 0);
    cr_expect(nhi - nlo > hi - lo, "noisier data, wider interval");
    cr_expect_eq(stats_median_ci95(v, 1, &lo, &hi), -1, "one value: none");
    cr_assert_eq(stats_median_ci95(same, 3, &lo, &hi), 0);
    cr_expect(lo == 5 && hi == 5);
}
