/* stats.h - the one statistics module: order statistics on samples. */
#ifndef IPCLAB_STATS_H
#define IPCLAB_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Sort in place (ascending). */
void stats_sort_u64(uint64_t *v, size_t n);
void stats_sort_double(double *v, size_t n);
/* Percentile p in [0,100] of SORTED data, linear interpolation between
 * closest ranks (p=50 is the median; p=0 the min, p=100 the max). */
double stats_percentile_u64(const uint64_t *sorted, size_t n, double p);
double stats_percentile(const double *sorted, size_t n, double p);
/* Median of unsorted data (sorts a copy; n <= 64). */
double stats_median(const double *v, size_t n);
double stats_mean(const double *v, size_t n);
double stats_mean_u64(const uint64_t *v, size_t n);
/* Sample standard deviation (n-1); 0 for n < 2. */
double stats_stddev(const double *v, size_t n);
double stats_stddev_u64(const uint64_t *v, size_t n);
/* Coefficient of variation in percent: stddev / mean * 100 (0 if mean 0). */
double stats_cv_pct(const double *v, size_t n);
/* A 95 % confidence interval for the median of v (n <= 64): the 2.5th and
 * 97.5th percentiles of the medians of STATS_BOOTSTRAP resamples drawn
 * with replacement (percentile bootstrap), from a fixed seed so the same
 * data always give the same interval.  0, or -1 for n < 2 (one value has
 * no interval).  With few values it is close to their range: that is
 * what a handful of runs can say. */
#define STATS_BOOTSTRAP 2000
int stats_median_ci95(const double *v, size_t n, double *lo, double *hi);

#endif
