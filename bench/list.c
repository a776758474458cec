/* list.c - `ipclab list` (the transports linked into the program) and
 * `ipclab env` (the machine the figures come from), as a table, CSV or
 * JSON. */
#include <stdio.h>
#include <string.h>

#include "cli_run.h"
#include "output.h"
#include "sysinfo.h"

static const char *caps_text(unsigned caps, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s%s", (caps & TP_STREAM) ? "stream" : "",
             (caps & TP_MESSAGES) ? "messages" : "",
             (caps & TP_DUPLEX) ? ",duplex" : "",
             (caps & TP_LOSSY) ? ",lossy" : "");
    if (buf[0] == ',')
        memmove(buf, buf + 1, strlen(buf));
    if (buf[0] == '\0')
        snprintf(buf, len, "-");
    return buf;
}

/* One CSV field: quoted when it holds a comma, a quote or a newline. */
static void csv_field(const char *s, const char *after)
{
    if (strpbrk(s, ",\"\n") == NULL) {
        printf("%s%s", s, after);
        return;
    }
    putchar('"');
    for (; *s != '\0'; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    printf("\"%s", after);
}

static int is_help(int argc, char **argv)
{
    return argc == 2 && (strcmp(argv[1], "--help") == 0 ||
                         strcmp(argv[1], "-h") == 0);
}

/* ---- list --format json: what scripts need, so none parses --help ---- */

static const char *const opt_type_names[] = {
    [OPT_FLAG] = "flag", [OPT_SIZE] = "size", [OPT_UINT] = "count",
    [OPT_STRING] = "string", [OPT_CHOICE] = "choice", [OPT_LIST] = "list",
    [OPT_DIR] = "dir",
};

static void json_option(const struct tp_option *t)
{
    printf("{\"name\": ");
    output_json_string(stdout, t->name);
    printf(", \"type\": \"%s\", \"arg\": ", opt_type_names[t->type]);
    if (t->arg != NULL)
        output_json_string(stdout, t->arg);
    else
        printf("null");
    printf(", \"help\": ");
    output_json_string(stdout, t->help);
    if (t->type == OPT_UINT || t->type == OPT_SIZE)
        printf(", \"min\": %lu, \"max\": %lu", t->min, t->max);
    if (t->choices != NULL) {
        printf(", \"choices\": [");
        for (int k = 0; t->choices[k] != NULL; k++) {
            printf(k ? ", " : "");
            output_json_string(stdout, t->choices[k]);
        }
        printf("]");
    }
    printf("}");
}

static void json_transport(const struct transport *tp)
{
    static const struct { unsigned bit; const char *name; } capnames[] = {
        { TP_STREAM, "stream" }, { TP_MESSAGES, "messages" },
        { TP_DUPLEX, "duplex" }, { TP_LOSSY, "lossy" },
        { TP_NO_SIZE, "no_size" }, { TP_NO_PAYLOAD, "no_payload" },
        { TP_SOLO, "solo" }, { TP_NAMED_ONLY, "named_only" },
        { TP_NOT_ONE_WAY, "not_one_way" },
    };
    int first = 1, latency = !(tp->caps & TP_NO_LATENCY);

    printf("    {\"name\": ");
    output_json_string(stdout, tp->name);
    printf(", \"family\": \"%s\", \"summary\": ",
           tp_family_name(tp->family));
    output_json_string(stdout, tp->summary);
    printf(", \"caps\": [");
    for (size_t k = 0; k < sizeof(capnames) / sizeof(capnames[0]); k++)
        if (tp->caps & capnames[k].bit) {
            printf("%s\"%s\"", first ? "" : ", ", capnames[k].name);
            first = 0;
        }
    printf("], \"modes\": [%s%s%s]",
           (tp->caps & TP_NO_THROUGHPUT) ? "" : "\"throughput\"",
           latency && !(tp->caps & TP_NO_THROUGHPUT) ? ", " : "",
           latency ? "\"latency\", \"paced\"" : "");
    printf(", \"copies\": ");
    if (tp->copies > 0)
        printf("%d", tp->copies - 1);
    else
        printf("null");
    printf(", \"syscalls\": ");
    if (tp->syscalls[0] > 0 && tp->syscalls[1] > 0)
        printf("[%d, %d]", tp->syscalls[0] - 1, tp->syscalls[1] - 1);
    else
        printf("null");
    printf(", \"max_round_trips\": ");
    if (tp->max_round_trips != 0)
        printf("%llu", (unsigned long long)tp->max_round_trips);
    else
        printf("null");
    printf(", \"options\": [");
    first = 1;
    for (size_t i = 0; i < tp_options_count(); i++) {
        const struct tp_option *t = tp_options_begin()[i];

        if (!tp_option_applies(t, tp->name))
            continue;
        printf(first ? "" : ", ");
        json_option(t);
        first = 0;
    }
    printf("]}");
}

static void list_json(void)
{
    printf("{\n  \"schema\": 2,\n  \"ipclab_version\": ");
    output_json_string(stdout, sysinfo_version());
    printf(",\n  \"transports\": [\n");
    for (size_t i = 0; i < transports_count(); i++) {
        json_transport(transports_begin()[i]);
        printf(i + 1 < transports_count() ? ",\n" : "\n");
    }
    printf("  ]\n}\n");
}

int list_main(int argc, char **argv)
{
    enum out_format f = OUT_TABLE;
    char caps[64];

    if (is_help(argc, argv)) {
        printf("usage: ipclab list [--format table|csv|json]\n\n"
               "The transports of this program: name, family (ipc, net, "
               "signals, limit),\ncapabilities and a one-line summary.  "
               "The names are what `ipclab run`\ntakes.  JSON (schema 2) "
               "adds each transport's modes, declared copies\nand "
               "syscalls per message, and the options that apply to it.\n");
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "--format") == 0) {
        if (output_parse_format(argv[2], &f) == -1)
            cli_usage_error("list --format: '%s' is not table, csv or json",
                            argv[2]);
    } else if (argc != 1) {
        cli_usage_error("list takes no arguments but --format "
                        "table|csv|json");
    }
    if (f == OUT_JSON) {
        list_json();
        return fflush(stdout) == EOF ? 1 : 0;
    }
    if (f == OUT_CSV)
        printf("transport,family,caps,summary\n");
    for (size_t i = 0; i < transports_count(); i++) {
        const struct transport *tp = transports_begin()[i];

        caps_text(tp->caps, caps, sizeof(caps));
        if (f == OUT_CSV) {
            csv_field(tp->name, ",");
            csv_field(tp_family_name(tp->family), ",");
            csv_field(caps, ",");
            csv_field(tp->summary, "\n");
        } else
            printf("%-26s %-8s %-22s %s\n", tp->name,
                   tp_family_name(tp->family), caps, tp->summary);
    }
    return 0;
}

int env_main(int argc, char **argv)
{
    struct sysinfo_meta m;
    enum out_format f = OUT_TABLE;
    char err[ERR_LEN];

    if (is_help(argc, argv)) {
        printf("usage: ipclab env [--format table|csv|json]\n\n"
               "The machine the figures come from: ipclab version and git "
               "revision, date,\nhost, kernel, CPU model, cores (online and "
               "usable here), and the clock's\nresolution and cost of one "
               "read.  `ipclab run` writes the same into its\nJSON "
               "output.\n");
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "--format") == 0) {
        if (output_parse_format(argv[2], &f) == -1)
            cli_usage_error("env --format: '%s' is not table, csv or json",
                            argv[2]);
    } else if (argc != 1) {
        cli_usage_error("env takes no arguments but --format table|csv|json");
    }
    if (sysinfo_collect(&m, err) == -1)
        cli_die(err);
    if (f == OUT_JSON) {
        printf("{\n");
        output_meta_json(stdout, &m, "  ");
        printf("\n}\n");
    } else if (f == OUT_CSV) {
        printf("ipclab_version,git_revision,date,hostname,kernel,machine,"
               "cpu_model,cores,cores_allowed,clock_res_ns,clock_read_ns\n"
               "%s,%s,%s,%s,\"%s\",%s,\"%s\",%d,%d,%.1f,%.1f\n", m.version,
               m.git_rev, m.date, m.hostname, m.kernel, m.machine,
               m.cpu_model, m.cores, m.cores_allowed, m.clock_res_ns,
               m.clock_read_ns);
    } else {
        printf("ipclab        %s (git %s)\ndate          %s\nhostname      "
               "%s\nkernel        %s\nmachine       %s\ncpu           %s\n"
               "cores         %d online, %d usable here\nclock         "
               "CLOCK_MONOTONIC, resolution %.0f ns, one read %.1f ns\n",
               m.version, m.git_rev, m.date, m.hostname, m.kernel, m.machine,
               m.cpu_model, m.cores, m.cores_allowed, m.clock_res_ns,
               m.clock_read_ns);
    }
    return 0;
}

