/* output_table.h - the human table (bench/output_table.c), for output.c. */
#ifndef IPCLAB_OUTPUT_TABLE_H
#define IPCLAB_OUTPUT_TABLE_H

#include "output.h"

/* One row: printed now, or held to the end under --sort (table.sort). */
void output_table_row(struct output *o, const struct bench_result *r);
/* After the last row: the held rows, the note on rows without a ratio,
 * the verdict; frees the table. */
void output_table_end(struct output *o);

#endif
