/* output.c - the CSV and JSON writers sharing one list of fields, and the
 * dispatch of rows to them or to the human table (bench/output_table.c). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "output.h"
#include "output_table.h"
#include "samples.h"
#include "util.h"

const char *const output_columns[] = {
    "transport", "family", "mode", "size_bytes", "placement",
    "cpu_producer", "cpu_consumer", "status", "reps", "metric", "median",
    "min", "max", "cv_pct", "mb_per_s", "msgs_per_s", "rtt_min_ns",
    "rtt_p50_ns", "rtt_p90_ns", "rtt_p99_ns", "rtt_p999_ns", "rtt_max_ns",
    "rtt_mean_ns", "rtt_stddev_ns", "one_way_p50_ns", "cpu_ns_per_msg",
    "cpu_ms_per_mb", "messages", "bytes", "lost", "duplicated", "reordered",
    "verified", "note",
    /* schema 2: appended, so that readers of schema 1 keep working */
    "status_code", "reason", "interval_ns", "ring_bytes", "records_per_msg",
    "wait", "copies",
    "clients", "consumer_cpu_ns_per_msg",
    /* counters: appended after schema 2's; per message (latency: per
     * round trip), producer then consumer.  rusage first (enum ru_id),
     * then perf (enum ctr_id), then the transport's declaration. */
    "vcsw_per_msg_producer", "vcsw_per_msg_consumer",
    "ivcsw_per_msg_producer", "ivcsw_per_msg_consumer",
    "minflt_per_msg_producer", "minflt_per_msg_consumer",
    "majflt_per_msg_producer", "majflt_per_msg_consumer",
    "ctxsw_per_msg_producer", "ctxsw_per_msg_consumer",
    "migrations_per_msg_producer", "migrations_per_msg_consumer",
    "faults_per_msg_producer", "faults_per_msg_consumer",
    "syscalls_per_msg_producer", "syscalls_per_msg_consumer",
    "cycles_per_msg_producer", "cycles_per_msg_consumer",
    "instructions_per_msg_producer", "instructions_per_msg_consumer",
    "cache_misses_per_msg_producer", "cache_misses_per_msg_consumer",
    "syscalls_send_declared", "syscalls_recv_declared",
    /* the main figure's 95 % confidence interval (bootstrap of the reps'
     * median; empty with one rep) */
    "ci_low", "ci_high",
    /* "unsteady" when --guard saw the machine move twice around the row */
    "flags",
    /* server rows: requests that failed, by kind (enum tp_error_kind),
     * summed over the reps; appended after flags */
    "errors_refused", "errors_reset", "errors_timeout",
};
enum { COL_VERIFIED = 32, COL_NOTE = 33, COL_STATUS_CODE = 34,
       COL_COUNTERS = 43, COL_CI = 43 + 2 * (RU_N + CTR_N) + 2,
       COL_ERRORS = COL_CI + 3 };
#define NCOLS (sizeof(output_columns) / sizeof(output_columns[0]))
const unsigned output_ncolumns = NCOLS;
_Static_assert(COL_ERRORS + TP_ERR_N == NCOLS, "errors_refused, "
               "errors_reset, errors_timeout are the last columns");

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

static void put_u64(struct fields *f, unsigned i, uint64_t x)
{
    if (x != 0)
        put(f, i, 1, "%llu", (unsigned long long)x);
}

/* The columns schema 2 added: the status for scripts, the reason apart
 * from the remark, and what used to be prose in the note. */
static void schema2_fields(const struct bench_result *r, struct fields *f)
{
    unsigned i = COL_STATUS_CODE;

    put(f, i++, 0, "%s", bench_code_name(r->code));
    put(f, i++, 0, "%s", r->reason);
    put_u64(f, i++, r->interval_ns);
    put_u64(f, i++, r->facts.ring_bytes);
    put_u64(f, i++, r->facts.records_per_msg);
    put(f, i++, 0, "%s", r->facts.wait != NULL ? r->facts.wait : "");
    if (r->tp->copies > 0)
        put(f, i, 1, "%d", r->tp->copies - 1);
    i++;
    put_u64(f, i++, r->facts.clients);
    if (r->status == RES_OK && r->consumer_cpu_ns_per_msg > 0)
        put_num(f, i++, "%.1f", r->consumer_cpu_ns_per_msg);
}

/* The counter columns: a side's cells are empty where it did not run or
 * a counter was not available; the declaration wherever there is one. */
static void counter_fields(const struct bench_result *r, struct fields *f)
{
    unsigned i = COL_COUNTERS;

    for (int k = 0; k < RU_N; k++)
        for (int side = 0; side < 2; side++, i++)
            if (r->status == RES_OK && (r->ru_sides & (1u << side)))
                put_num(f, i, "%.4f", r->ru_per_msg[side][k]);
    for (int k = 0; k < CTR_N; k++)
        for (int side = 0; side < 2; side++, i++)
            if (r->status == RES_OK && (r->ctr_valid[side] & (1u << k)))
                put_num(f, i, k >= CTR_CYCLES ? "%.1f" : "%.4f",
                        r->ctr_per_msg[side][k]);
    for (int k = 0; k < 2; k++, i++)
        if (r->tp->syscalls[k] > 0)
            put(f, i, 1, "%d", r->tp->syscalls[k] - 1);
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
        if (lat && !(r->tp->caps & TP_NOT_ONE_WAY))
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
        i = COL_VERIFIED;
        put(f, i++, 0, "%s", r->status == RES_NA ? "n/a" : "no");
    }
    put(f, COL_NOTE, 0, "%s", r->note);
    schema2_fields(r, f);
    counter_fields(r, f);
    if (ok && r->has_ci) {
        put_num(f, COL_CI, "%.3f", r->ci_low);
        put_num(f, COL_CI + 1, "%.3f", r->ci_high);
    }
    put(f, COL_CI + 2, 0, "%s", r->flags);
    if (ok && r->facts.clients != 0)    /* a server row: counted, 0 too */
        for (int k = 0; k < TP_ERR_N; k++)
            put(f, COL_ERRORS + k, 1, "%llu",
                (unsigned long long)r->errors[k]);
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

/* Which counters this machine gave, and why the others are missing. */
static void json_counters(FILE *fp)
{
    char why[256];
    unsigned mask = counters_probe(why, sizeof(why)), n = 0;

    fputs(",\n    \"counters\": [", fp);
    for (int k = 0; k < CTR_N; k++)
        if (mask & (1u << k))
            fprintf(fp, "%s\"%s\"", n++ ? ", " : "",
                    counters_name((enum ctr_id)k));
    fputs("],\n    \"counters_missing\": ", fp);
    output_json_string(fp, why);
}

void output_begin(struct output *o, FILE *fp, enum out_format format,
                  const struct sysinfo_meta *meta, const char *command,
                  const struct bench_config *cfg)
{
    memset(o, 0, sizeof(*o));
    o->fp = fp;
    o->format = format;
    o->printed_mode = -1;
    if (format == OUT_SAMPLES) {
        fputs(SAMPLES_HEADER, fp);
    } else if (format == OUT_CSV) {
        for (unsigned i = 0; i < NCOLS; i++)
            fprintf(fp, "%s%s", i ? "," : "", output_columns[i]);
        fputc('\n', fp);
    } else if (format == OUT_JSON) {
        fputs("{\n  \"meta\": {\n    \"schema\": 2,\n", fp);
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
        if (meta != NULL)
            json_counters(fp);
        fputs("\n  },\n  \"rows\": [", fp);
    }
    fflush(fp);
}

void output_row(struct output *o, const struct bench_result *r)
{
    struct fields f;

    if (o->format == OUT_SAMPLES)
        return;
    if (o->format == OUT_TABLE) {
        output_table_row(o, r);
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
    if (o->format == OUT_TABLE)
        output_table_end(o);
    if (fflush(o->fp) == EOF || ferror(o->fp))
        return err_sys(err, "write");
    return 0;
}
