/* help.c - `ipclab run --help` and `bin/<mechanism> --help`: the
 * harness's options, then every transport option linked into the program
 * with its text wrapped at 79 columns. */
#include <stdio.h>
#include <string.h>

#include "cli_run.h"

/* ---- run --help --------------------------------------------------------- */

static const char run_options_help[] =
"  --mode LIST       throughput, latency, paced, or all       [all]\n"
"                    (all = throughput,latency; paced = latency with a\n"
"                    pause before each round trip: see --interval)\n"
"  --size SIZE       one message size: 64, 4K, 1M, 1G (binary)\n"
"  --sizes LIST      several: 64,4K,64K,1M                   [64,4K,64K,1M]\n"
"  --bytes SIZE      throughput: bytes moved per run          [256M]\n"
"  --iterations N    latency: round trips per run    [100000; paced 2000]\n"
"                    (events per run for size-less transports)\n"
"  --interval T      paced: one round trip every T: 250us, 1ms  [100us]\n"
"  --warmup N        runs discarded before measuring          [1]\n"
"  --reps N          measured runs; median, min, max, CV      [5]\n"
"  --time T          each run lasts about T (500ms, 2s): a short pilot\n"
"                    run sets --bytes/--iterations from the cell's rate\n"
"  --timeout S       seconds before a run is killed, failed   [60]\n"
"  --max-time T      with --bytes/--iterations: a run of them that lasts\n"
"                    longer than T (1s..3600s) is stopped and the cell run\n"
"                    with about T/2's worth instead (a pilot run's rate)\n"
"  --placement LIST  spread (two CPUs) | same (one CPU) | os  [spread]\n"
"  --cpus A,B        pin producer to CPU A, consumer to CPU B\n"
"  --verify LEVEL    sum (sequence + checksum) | full (every byte) |\n"
"                    none (sequence only: to measure verification) [sum]\n"
"  --format F        table | csv | json                       [table]\n"
"  --output FILE     write the results there instead of stdout\n"
"  --csv FILE        also write CSV to FILE\n"
"  --json FILE       also write JSON (rows + machine) to FILE\n"
"  --samples FILE    write every measured round trip to FILE (CSV)\n"
"  --baseline T      the table's \"x T\" column and the verdict's \"x times\"\n"
"                    are of T's figures (same mode, size, placement) [pipe]\n"
"                    (T, when it is in the run, is measured first)\n"
"  --sort KEY        the table's order, printed once the run ends: run (as\n"
"                    measured), name (A-Z), speed (fastest first) or cpu\n"
"                    (least CPU per message first), speed and cpu within\n"
"                    each mode, size and placement; without it rows print\n"
"                    as they come; CSV and JSON keep the run's order\n"
"  --counters        the table shows every counter of a row\n"
"  --guard           calibrate (cacheline, xcore) around each transport;\n"
"                    re-run it once if the machine moved, flag it unsteady\n"
"                    if it moved again\n"
"  --quiet           no progress lines on stderr\n";

#define HELP_COLUMN 20          /* where an option's description starts */
#define HELP_WIDTH  79          /* and where its lines end */

/* Words of text from column `col` on, wrapped at HELP_WIDTH to column
 * `indent`. */
static void print_wrapped(FILE *fp, const char *text, int col, int indent)
{
    while (*text != '\0') {
        int len = (int)strcspn(text, " ");

        if (col > indent && col + 1 + len > HELP_WIDTH) {
            fprintf(fp, "\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', fp);
            col++;
        }
        fprintf(fp, "%.*s", len, text);
        col += len;
        text += len;
        text += strspn(text, " ");
    }
}

/* One option line: "  --name ARG" then its help from HELP_COLUMN, on a
 * line of its own when the name is wider. */
static void print_option_help(FILE *fp, const struct tp_option *o)
{
    char left[64], text[512];
    size_t used;

    snprintf(left, sizeof(left), "  --%s%s%s", o->name,
             o->type == OPT_FLAG ? "" : " ",
             o->type == OPT_FLAG ? "" : (o->arg ? o->arg : "VALUE"));
    if (strlen(left) >= HELP_COLUMN - 1)
        fprintf(fp, "%s\n%*s", left, HELP_COLUMN, "");
    else
        fprintf(fp, "%-*s", HELP_COLUMN, left);
    snprintf(text, sizeof(text), "%s", o->help);
    if (o->type == OPT_CHOICE || o->type == OPT_LIST)
        for (int k = 0; o->choices[k] != NULL; k++) {
            used = strlen(text);
            snprintf(text + used, sizeof(text) - used, "%s%s%s",
                     k ? "|" : " (", o->choices[k],
                     o->choices[k + 1] ? "" : ")");
        }
    print_wrapped(fp, text, HELP_COLUMN, HELP_COLUMN);
    fputc('\n', fp);
}

/* `ipclab run --help`, or `bin/pipe --help` (single: the variants linked
 * into this program, not the families it does not have). */
void run_help(FILE *fp, int single)
{
    if (single) {
        char names[4096] = "VARIANT is one of:";

        fprintf(fp, "usage: %s [OPTIONS] [VARIANT...]\n\n"
                    "Measure %s: throughput and/or round-trip latency over "
                    "message sizes.\n", cli_prog, cli_prog);
        for (size_t i = 0; i < transports_count(); i++) {
            size_t used = strlen(names);

            snprintf(names + used, sizeof(names) - used, " %s%s",
                     transports_begin()[i]->name,
                     i + 1 < transports_count() ? "," : "; none means all.");
        }
        print_wrapped(fp, names, 0, 0);
        fprintf(fp, "\n\n");
    } else {
        fprintf(fp,
"usage: ipclab run [OPTIONS] [TRANSPORT...]\n"
"\n"
"Measure IPC transports: throughput and/or round-trip latency over message\n"
"sizes.  TRANSPORT is a name from `ipclab list` (\"socketpair/dgram\"), a\n"
"mechanism (\"socketpair\": its variants), or a family (ipc, net, signals,\n"
"limit); none means all.\n\n");
    }
    fputs(run_options_help, fp);
    if (tp_options_count() > 0)
        fprintf(fp, "\nTransport options:\n");
    for (size_t i = 0; i < tp_options_count(); i++) {
        if (tp_option_first(i) != i)    /* shared: shown with the first */
            continue;
        print_option_help(fp, tp_options_begin()[i]);
        for (size_t j = i + 1; j < tp_options_count(); j++)
            if (tp_option_first(j) == i) {
                fprintf(fp, "%*s", HELP_COLUMN, "");
                print_wrapped(fp, tp_options_begin()[j]->help, HELP_COLUMN,
                              HELP_COLUMN);
                fputc('\n', fp);
            }
    }
    fprintf(fp, "\nExit status: 0 all rows ok, 1 a row failed, 2 bad usage, "
                "130/143 interrupted.\n");
}

/* A comma-separated list has no empty item (strtok_r would skip it). */
