/* stats.c - percentiles, median, mean, spread. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

void stats_sort_u64(uint64_t *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_u64);
}

void stats_sort_double(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_double);
}

/* Rank h = p/100 * (n-1); interpolate between floor(h) and ceil(h). */
#define PERCENTILE_BODY(sorted, n, p)                                      \
    do {                                                                   \
        double h, frac;                                                    \
        size_t lo;                                                         \
        if ((n) == 0)                                                      \
            return NAN;                                                    \
        if ((p) <= 0)                                                      \
            return (double)(sorted)[0];                                    \
        if ((p) >= 100)                                                    \
            return (double)(sorted)[(n) - 1];                              \
        h = (p) / 100.0 * (double)((n) - 1);                               \
        lo = (size_t)h;                                                    \
        frac = h - (double)lo;                                             \
        if (lo + 1 >= (n))                                                 \
            return (double)(sorted)[lo];                                   \
        return (double)(sorted)[lo] +                                      \
               frac * ((double)(sorted)[lo + 1] - (double)(sorted)[lo]);   \
    } while (0)

double stats_percentile_u64(const uint64_t *sorted, size_t n, double p)
{
    PERCENTILE_BODY(sorted, n, p);
}

double stats_percentile(const double *sorted, size_t n, double p)
{
    PERCENTILE_BODY(sorted, n, p);
}

double stats_median(const double *v, size_t n)
{
    double copy[64];

    if (n == 0 || n > 64)
        return NAN;
    memcpy(copy, v, n * sizeof(*v));
    stats_sort_double(copy, n);
    return stats_percentile(copy, n, 50);
}

int stats_median_ci95(const double *v, size_t n, double *lo, double *hi)
{
    double medians[STATS_BOOTSTRAP];
    uint64_t x = 0x9e3779b97f4a7c15ull;     /* xorshift64, fixed seed */
    double pick[64];

    if (n < 2 || n > 64)
        return -1;
    for (size_t b = 0; b < STATS_BOOTSTRAP; b++) {
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            pick[i] = v[x % n];
        }
        medians[b] = stats_median(pick, n);
    }
    stats_sort_double(medians, STATS_BOOTSTRAP);
    *lo = stats_percentile(medians, STATS_BOOTSTRAP, 2.5);
    *hi = stats_percentile(medians, STATS_BOOTSTRAP, 97.5);
    return 0;
}

double stats_mean(const double *v, size_t n)
{
    double sum = 0;

    if (n == 0)
        return NAN;
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    return sum / (double)n;
}

double stats_mean_u64(const uint64_t *v, size_t n)
{
    long double sum = 0;

    if (n == 0)
        return NAN;
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    return (double)(sum / n);
}

double stats_stddev(const double *v, size_t n)
{
    double mean, ss = 0;

    if (n < 2)
        return 0;
    mean = stats_mean(v, n);
    for (size_t i = 0; i < n; i++)
        ss += (v[i] - mean) * (v[i] - mean);
    return sqrt(ss / (double)(n - 1));
}

double stats_stddev_u64(const uint64_t *v, size_t n)
{
    double mean, ss = 0;

    if (n < 2)
        return 0;
    mean = stats_mean_u64(v, n);
    for (size_t i = 0; i < n; i++)
        ss += ((double)v[i] - mean) * ((double)v[i] - mean);
    return sqrt(ss / (double)(n - 1));
}

double stats_cv_pct(const double *v, size_t n)
{
    double mean = stats_mean(v, n);

    if (n == 0 || mean == 0)
        return 0;
    return stats_stddev(v, n) / fabs(mean) * 100.0;
}
