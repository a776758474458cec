/* output.c - table, CSV and JSON writers sharing one list of fields. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "output.h"
#include "util.h"

const char *const output_columns[] = {
    "transport", "family", "mode", "size_bytes", "placement",
    "cpu_producer", "cpu_consumer", "status", "reps", "metric", "median",
    "min", "max", "cv_pct", "mb_per_s", "msgs_per_s", "rtt_min_ns",
    "rtt_p50_ns", "rtt_p90_ns", "rtt_p99_ns", "rtt_p999_ns", "rtt_max_ns",
    "rtt_mean_ns", "rtt_stddev_ns", "one_way_p50_ns", "cpu_ns_per_msg",
    "cpu_ms_per_mb", "messages", "bytes", "lost", "duplicated", "reordered",
    "verified", "note",
};
#define NCOLS (sizeof(output_columns) / sizeof(output_columns[0]))
const unsigned output_ncolumns = NCOLS;

#define FIELD_LEN (ERR_LEN + NOTE_LEN + 8)

struct fields {
    char v[NCOLS][FIELD_LEN];   /* "" = not applicable */
    int number[NCOLS];          /* JSON: unquoted */
};

static void put(struct fields *f, unsigned i, int number, const char *fmt,
                ...) __attribute__((format(printf, 4, 5)));

static void put(struct fields *f, unsigned i, int number, const char *fmt,
                ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(f->v[i], FIELD_LEN, fmt, ap);
    va_end(ap);
    f->number[i] = number;
}

static void put_num(struct fields *f, unsigned i, const char *fmt, double x)
{
    if (isfinite(x))
        put(f, i, 1, fmt, x);
    else
        f->v[i][0] = '\0';
}

static const char *metric_name(const struct bench_result *r)
{
    if (r->mode != MODE_THROUGHPUT)     /* latency, paced */
        return "rtt_p50_ns";
    if (r->tp->caps & TP_NO_SIZE)
        return "msgs_per_s";
    return "mb_per_s";
}

static void row_fields(const struct bench_result *r, struct fields *f)
{
    int ok = r->status == RES_OK;
    unsigned i = 0;

    memset(f, 0, sizeof(*f));
    put(f, i++, 0, "%s", r->tp->name);
    put(f, i++, 0, "%s", tp_family_name(r->tp->family));
    put(f, i++, 0, "%s", bench_mode_name(r->mode));
    put(f, i++, 1, "%zu", r->size_bytes);
    put(f, i++, 0, "%s", r->placement);
    put(f, i++, 1, "%d", r->cpu[0]);
    put(f, i++, 1, "%d", r->cpu[1]);
    put(f, i++, 0, "%s", bench_status_name(r->status));
    put(f, i++, 1, "%u", r->reps);
    put(f, i++, 0, "%s", metric_name(r));
    if (ok) {
        int lat = r->mode != MODE_THROUGHPUT;

        put_num(f, i++, "%.3f", r->median);
        put_num(f, i++, "%.3f", r->min);
        put_num(f, i++, "%.3f", r->max);
        put_num(f, i++, "%.2f", r->cv_pct);
        put_num(f, i++, "%.3f", r->mb_per_s);
        put_num(f, i++, "%.1f", r->msgs_per_s);
        for (int k = 0; k < LAT_N; k++, i++)
            if (lat)
                put_num(f, i, "%.1f", r->rtt_ns[k]);
        if (lat)
            put_num(f, i, "%.1f", r->rtt_ns[LAT_P50] / 2);
        i++;
        put_num(f, i++, "%.1f", r->cpu_ns_per_msg);
        put_num(f, i++, "%.4f", r->cpu_ms_per_mb);
        put(f, i++, 1, "%llu", (unsigned long long)r->messages);
        put(f, i++, 1, "%llu", (unsigned long long)r->bytes);
        put(f, i++, 1, "%llu", (unsigned long long)r->lost);
        put(f, i++, 1, "%llu", (unsigned long long)r->duplicated);
        put(f, i++, 1, "%llu", (unsigned long long)r->reordered);
        put(f, i++, 0, "%s", r->verified < 0 ? "n/a"
                             : r->verified ? "yes" : "no");
    } else {
        i = NCOLS - 2;
        put(f, i++, 0, "%s", r->status == RES_NA ? "n/a" : "no");
    }
    if (r->reason[0] != '\0' && r->note[0] != '\0')
        put(f, i, 0, "%s; %s", r->reason, r->note);
    else
        put(f, i, 0, "%s", r->reason[0] != '\0' ? r->reason : r->note);
}

int output_parse_format(const char *s, enum out_format *f)
{
    if (strcmp(s, "table") == 0)
        *f = OUT_TABLE;
    else if (strcmp(s, "csv") == 0)
        *f = OUT_CSV;
    else if (strcmp(s, "json") == 0)
        *f = OUT_JSON;
    else
        return -1;
    return 0;
}

void output_json_string(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\')
            fprintf(fp, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", fp);
        else if (c == '\t')
            fputs("\\t", fp);
        else if (c < 0x20)
            fprintf(fp, "\\u%04x", c);
        else
            fputc(c, fp);
    }
    fputc('"', fp);
}

static void csv_field(FILE *fp, const char *s)
{
    if (strpbrk(s, ",\"\n") == NULL) {
        fputs(s, fp);
        return;
    }
    fputc('"', fp);
    for (; *s != '\0'; s++) {
        if (*s == '"')
            fputc('"', fp);     /* "" inside a quoted field */
        fputc(*s, fp);
    }
    fputc('"', fp);
}

void output_meta_json(FILE *fp, const struct sysinfo_meta *m,
                      const char *in)
{
    fprintf(fp, "%s\"ipclab_version\": ", in);
    output_json_string(fp, m->version);
    fprintf(fp, ",\n%s\"git_revision\": ", in);
    output_json_string(fp, m->git_rev);
    fprintf(fp, ",\n%s\"date\": ", in);
    output_json_string(fp, m->date);
    fprintf(fp, ",\n%s\"hostname\": ", in);
    output_json_string(fp, m->hostname);
    fprintf(fp, ",\n%s\"kernel\": ", in);
    output_json_string(fp, m->kernel);
    fprintf(fp, ",\n%s\"machine\": ", in);
    output_json_string(fp, m->machine);
    fprintf(fp, ",\n%s\"cpu_model\": ", in);
    output_json_string(fp, m->cpu_model);
    fprintf(fp, ",\n%s\"cores\": %d,\n%s\"cores_allowed\": %d", in,
            m->cores, in, m->cores_allowed);
    fprintf(fp, ",\n%s\"clock\": \"CLOCK_MONOTONIC\",\n%s\"clock_res_ns\": "
                "%.1f,\n%s\"clock_read_ns\": %.1f", in, in, m->clock_res_ns,
            in, m->clock_read_ns);
}

static void json_options(FILE *fp, const struct bench_config *c)
{
    static const char *const verify[] = { "sum", "full", "none" };

    fprintf(fp, ",\n    \"options\": {\"bytes\": %llu, \"iterations\": %llu, "
                "\"paced_iterations\": %llu, \"interval_ns\": %llu, "
                "\"warmup\": %u, \"reps\": %u, \"timeout_s\": %u, "
                "\"verify\": \"%s\", \"mb\": \"10^6 bytes\"}",
            (unsigned long long)c->bytes, (unsigned long long)c->iterations,
            (unsigned long long)c->paced_iterations,
            (unsigned long long)c->interval_ns, c->warmup, c->reps,
            c->timeout_s, verify[c->verify]);
}

void output_begin(struct output *o, FILE *fp, enum out_format format,
                  const struct sysinfo_meta *meta, const char *command,
                  const struct bench_config *cfg)
{
    memset(o, 0, sizeof(*o));
    o->fp = fp;
    o->format = format;
    o->last_mode = -1;
    if (format == OUT_CSV) {
        for (unsigned i = 0; i < NCOLS; i++)
            fprintf(fp, "%s%s", i ? "," : "", output_columns[i]);
        fputc('\n', fp);
    } else if (format == OUT_JSON) {
        fputs("{\n  \"meta\": {\n", fp);
        if (meta != NULL)
            output_meta_json(fp, meta, "    ");
        else
            fputs("    \"ipclab_version\": null", fp);
        if (command != NULL) {
            fputs(",\n    \"command\": ", fp);
            output_json_string(fp, command);
        }
        if (cfg != NULL)
            json_options(fp, cfg);
        fputs("\n  },\n  \"rows\": [", fp);
    }
    fflush(fp);
}

static void table_header(FILE *fp, enum tp_mode mode)
{
    if (mode == MODE_THROUGHPUT)
        fprintf(fp, "\nTHROUGHPUT  (MB = 10^6 bytes; median of the reps; "
                    "CPU = user+sys of both processes)\n"
                    "%-26s %6s %-7s %10s %6s %12s %10s %10s %s\n",
                "transport", "size", "place", "MB/s", "CV%", "msgs/s",
                "CPU ns/msg", "CPU ms/MB", "verified");
    else
        fprintf(fp, "\n%s  (round trip in ns, median of the reps; "
                    "one-way = RTT/2; CPU per round trip)\n"
                    "%-26s %6s %-7s %8s %8s %8s %8s %8s %9s %8s %6s "
                    "%10s %s\n",
                mode == MODE_PACED ? "PACED (one round trip per interval, "
                                     "see the note)"
                                   : "LATENCY",
                "transport", "size", "place", "min", "p50", "p90", "p99",
                "p99.9", "max", "one-way", "CV%", "CPU ns/RT", "verified");
}

static void table_row(FILE *fp, const struct bench_result *r)
{
    char size[32];

    if (r->tp->caps & TP_NO_SIZE)
        snprintf(size, sizeof(size), "-");
    else
        format_size(r->size_bytes, size, sizeof(size));
    fprintf(fp, "%-26s %6s %-7s ", r->tp->name, size, r->placement);
    if (r->status != RES_OK) {
        fprintf(fp, "%s: %s\n", r->status == RES_NA ? "n/a" : "FAILED",
                r->reason);
        return;
    }
    if (r->mode == MODE_THROUGHPUT) {
        if (r->tp->caps & TP_NO_SIZE)
            fprintf(fp, "%10s %6.1f %12.0f %10.1f %10s %s", "-", r->cv_pct,
                    r->msgs_per_s, r->cpu_ns_per_msg, "-",
                    r->verified < 0 ? "n/a" : r->verified ? "yes" : "NO");
        else
            fprintf(fp, "%10.1f %6.1f %12.0f %10.1f %10.3f %s", r->mb_per_s,
                    r->cv_pct, r->msgs_per_s, r->cpu_ns_per_msg,
                    r->cpu_ms_per_mb,
                    r->verified < 0 ? "n/a" : r->verified ? "yes" : "NO");
    } else {
        fprintf(fp, "%8.0f %8.0f %8.0f %8.0f %8.0f %9.0f %8.0f %6.1f "
                    "%10.1f %s", r->rtt_ns[LAT_MIN], r->rtt_ns[LAT_P50],
                r->rtt_ns[LAT_P90], r->rtt_ns[LAT_P99], r->rtt_ns[LAT_P999],
                r->rtt_ns[LAT_MAX], r->rtt_ns[LAT_P50] / 2, r->cv_pct,
                r->cpu_ns_per_msg,
                r->verified < 0 ? "n/a" : r->verified ? "yes" : "NO");
    }
    if (r->lost || r->duplicated || r->reordered)
        fprintf(fp, "  lost %llu dup %llu reordered %llu",
                (unsigned long long)r->lost,
                (unsigned long long)r->duplicated,
                (unsigned long long)r->reordered);
    if (r->note[0] != '\0')
        fprintf(fp, "  (%s)", r->note);
    fputc('\n', fp);
}

void output_row(struct output *o, const struct bench_result *r)
{
    struct fields f;

    if (o->format == OUT_TABLE) {
        if (o->last_mode != (int)r->mode)
            table_header(o->fp, r->mode);
        o->last_mode = (int)r->mode;
        table_row(o->fp, r);
    } else {
        row_fields(r, &f);
        if (o->format == OUT_JSON)
            fputs(o->rows ? ",\n    {" : "\n    {", o->fp);
        for (unsigned i = 0; i < NCOLS; i++) {
            if (o->format == OUT_CSV) {
                if (i)
                    fputc(',', o->fp);
                csv_field(o->fp, f.v[i]);
                continue;
            }
            fprintf(o->fp, "%s\"%s\": ", i ? ", " : "", output_columns[i]);
            if (f.v[i][0] == '\0')
                fputs("null", o->fp);
            else if (f.number[i])
                fputs(f.v[i], o->fp);
            else
                output_json_string(o->fp, f.v[i]);
        }
        fputs(o->format == OUT_CSV ? "\n" : "}", o->fp);
    }
    o->rows++;
    fflush(o->fp);
}

int output_end(struct output *o, char *err)
{
    if (o->format == OUT_JSON)
        fputs(o->rows ? "\n  ]\n}\n" : "]\n}\n", o->fp);
    if (fflush(o->fp) == EOF || ferror(o->fp))
        return err_sys(err, "write");
    return 0;
}
