/* output.h - results as a human table, CSV or JSON (stable columns).
 * Rows are written as they come, so a long sweep's file is usable even
 * before it ends; output_end() closes the JSON document.  The table alone
 * may be held to the end instead, to be sorted (bench/table.h). */
#ifndef IPCLAB_OUTPUT_H
#define IPCLAB_OUTPUT_H

#include <stdio.h>

#include "harness.h"
#include "sysinfo.h"
#include "table.h"
#include "verdict.h"

/* OUT_SAMPLES: --samples FILE, the raw round trips (bench/samples.h):
 * output_begin() writes its header, output_row() nothing - the harness
 * writes each run's samples as it measures them. */
enum out_format { OUT_TABLE, OUT_CSV, OUT_JSON, OUT_SAMPLES };

struct output {
    FILE *fp;
    enum out_format format;
    unsigned rows;
    int counters;               /* table: every counter of a row on lines
                                   of its own (--counters); set it after
                                   output_begin() */
    struct verdict verdict;     /* table: printed by output_end(); set
                                   verdict.baseline after output_begin()
                                   (NULL: pipe) */
    struct table table;         /* table: its order (table.sort, TABLE_
                                   STREAM: as the rows come) and the
                                   baseline of its ratios (table.baseline,
                                   NULL: pipe); set them after
                                   output_begin() */
    int ratio_column;           /* table: the "x BASELINE" column; set it
                                   after output_begin() */
    int printed_mode;           /* table: the mode of the last row printed,
                                   -1 before the first */
    unsigned printed;           /* table: rows printed */
};

/* The CSV columns, in order (also the keys of a JSON row). */
extern const char *const output_columns[];
extern const unsigned output_ncolumns;

int output_parse_format(const char *s, enum out_format *f);
/* meta/command/cfg are written into the JSON document; may be NULL. */
void output_begin(struct output *o, FILE *fp, enum out_format format,
                  const struct sysinfo_meta *meta, const char *command,
                  const struct bench_config *cfg);
void output_row(struct output *o, const struct bench_result *r);
/* Returns -1 with err when a write failed (disk full ...). */
int output_end(struct output *o, char *err);
/* The "meta" object alone, for `ipclab env --format json`. */
void output_meta_json(FILE *fp, const struct sysinfo_meta *m,
                      const char *indent);
/* A JSON string literal with escapes. */
void output_json_string(FILE *fp, const char *s);

#endif
