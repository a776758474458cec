/* table.h - the order of the human table (--sort) and its "x pipe"
 * column: each row's speed in times the baseline transport's row of the
 * same mode, size and placement.
 *
 *   transport    size place   x pipe    MB/s ...
 *   pipe           4K spread    1.0x  1081.0 ...
 *   posix_shm      4K spread    3.1x  3350.2 ...
 *
 * Throughput: this row's MB/s (events/s without a size) over the
 * baseline's; latency and paced: the baseline's RTT p50 over this row's,
 * so that above 1 is faster either way.  Two significant digits.  Empty
 * when the row or the baseline's row is not ok, when the cell has no
 * baseline row, and for server rows (a client dimension of their own).
 *
 * Without --sort the rows are printed as they are measured (the sweep
 * measures the baseline first, so its row comes before the rows it
 * rates); with any --sort key (run included) the rows are held and the
 * whole table printed when the run ends.  CSV and JSON keep the run's
 * order and have no such column. */
#ifndef IPCLAB_TABLE_H
#define IPCLAB_TABLE_H

#include <stddef.h>

#include "harness.h"

enum table_sort {
    TABLE_STREAM,       /* no --sort: each row as it comes */
    TABLE_RUN,          /* the order of the run, printed at the end */
    TABLE_NAME,         /* per mode, transport names A-Z */
    TABLE_SPEED,        /* per mode, size and placement: fastest first */
    TABLE_CPU           /* per mode, size and placement: least CPU per
                           message (round trip) first */
};

/* The words --sort takes, for messages and help: "run, name, ..." */
extern const char table_sort_words[];

struct table_cell;

struct table {
    enum table_sort sort;
    const char *baseline;               /* transport name; NULL: "pipe" */
    struct bench_result *held;          /* sorted tables: every row */
    size_t nheld, maxheld;
    struct table_cell *cells;           /* the baseline's figure per cell */
    size_t ncells, maxcells;
};

int table_parse_sort(const char *s, enum table_sort *k);
/* The baseline's name (pipe unless --baseline). */
const char *table_baseline(const struct table *t);
/* Take a row into account for the ratios: a baseline row gives its
 * cell's figure (the baseline is measured first: bench/sweep.c). */
void table_see(struct table *t, const struct bench_result *r);
/* Row r's ratio into out ("3.1x"; "" when it has none). */
void table_ratio(struct table *t, const struct bench_result *r, char *out,
                 size_t len);
/* x with two significant digits: "1.0x", "170x", "0.52x". */
void table_format_ratio(double x, char *out, size_t len);
/* Keep a copy of r for the end; -1 when out of memory. */
int table_hold(struct table *t, const struct bench_result *r);
/* Put the held rows in --sort's order. */
void table_order(struct table *t);
void table_free(struct table *t);

#endif
