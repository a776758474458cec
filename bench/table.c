/* table.c - the human table's order and its "x pipe" column (see
 * table.h). */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

const char table_sort_words[] = "run, name, speed or cpu";

static const char *const sort_names[] = {
    [TABLE_RUN] = "run", [TABLE_NAME] = "name", [TABLE_SPEED] = "speed",
    [TABLE_CPU] = "cpu",
};

/* One mode, size and placement, and its baseline's figure. */
struct table_cell {
    enum tp_mode mode;
    size_t size_bytes;
    char placement[32];
    double base;                /* the baseline's main figure; 0: none */
};

int table_parse_sort(const char *s, enum table_sort *k)
{
    for (int i = TABLE_RUN; i <= TABLE_CPU; i++)
        if (strcmp(s, sort_names[i]) == 0) {
            *k = (enum table_sort)i;
            return 0;
        }
    return -1;
}

const char *table_baseline(const struct table *t)
{
    return t->baseline != NULL ? t->baseline : "pipe";
}

/* A row that takes part in the ratios: ok, a figure, not a server row. */
static int comparable(const struct bench_result *r)
{
    return r->status == RES_OK && r->median > 0 && r->facts.clients == 0;
}

/* r's cell; created when missing (NULL when there is no memory: the row
 * then has no ratio, nothing worse). */
static struct table_cell *cell_of(struct table *t,
                                  const struct bench_result *r)
{
    struct table_cell *c;

    for (size_t i = 0; i < t->ncells; i++) {
        c = &t->cells[i];
        if (c->mode == r->mode && c->size_bytes == r->size_bytes &&
            strcmp(c->placement, r->placement) == 0)
            return c;
    }
    if (t->ncells == t->maxcells) {
        size_t n = t->maxcells ? 2 * t->maxcells : 16;

        c = realloc(t->cells, n * sizeof(*c));
        if (c == NULL)
            return NULL;
        t->cells = c;
        t->maxcells = n;
    }
    c = &t->cells[t->ncells++];
    memset(c, 0, sizeof(*c));
    c->mode = r->mode;
    c->size_bytes = r->size_bytes;
    snprintf(c->placement, sizeof(c->placement), "%s", r->placement);
    return c;
}

void table_see(struct table *t, const struct bench_result *r)
{
    struct table_cell *c;

    if (comparable(r) && strcmp(r->tp->name, table_baseline(t)) == 0 &&
        (c = cell_of(t, r)) != NULL)
        c->base = r->median;
}

void table_format_ratio(double x, char *out, size_t len)
{
    int digits;
    double v;

    if (!(x > 0) || !isfinite(x)) {
        snprintf(out, len, "%s", "");
        return;
    }
    digits = (int)floor(log10(x));
    v = round(x / pow(10, digits - 1)) * pow(10, digits - 1);
    digits = (int)floor(log10(v));      /* 9.96 -> 10 */
    snprintf(out, len, "%.*fx", digits >= 1 ? 0 : 1 - digits, v);
}

void table_ratio(struct table *t, const struct bench_result *r, char *out,
                 size_t len)
{
    struct table_cell *c;

    out[0] = '\0';
    if (!comparable(r) || (c = cell_of(t, r)) == NULL)
        return;
    if (!(c->base > 0))
        return;
    table_format_ratio(r->mode == MODE_THROUGHPUT ? r->median / c->base
                                                  : c->base / r->median,
                       out, len);
}

int table_hold(struct table *t, const struct bench_result *r)
{
    if (t->nheld == t->maxheld) {
        size_t n = t->maxheld ? 2 * t->maxheld : 64;
        struct bench_result *h = realloc(t->held, n * sizeof(*h));

        if (h == NULL)
            return -1;
        t->held = h;
        t->maxheld = n;
    }
    t->held[t->nheld++] = *r;
    return 0;
}

/* ---- the order ---------------------------------------------------------- */

struct sort_item {
    size_t run;                 /* its place in the run */
    unsigned mode;
    size_t size_rank, place_rank;       /* cells in the run's order */
    const char *name;
    int has_key;                /* 0: after those that have one */
    double key;                 /* ascending */
};

/* Where v sits among the distinct values met so far (first seen, first
 * ranked); seen[] grows by one when v is new (room: one per row). */
static size_t rank_of(const char **seen, size_t *nseen, const char *v)
{
    size_t i = 0;

    while (i < *nseen && strcmp(seen[i], v) != 0)
        i++;
    if (i == *nseen)
        seen[(*nseen)++] = v;
    return i;
}

static int cmp_num(double a, double b)
{
    return a < b ? -1 : a > b;
}

static int cmp_items(const void *pa, const void *pb, void *arg)
{
    const struct sort_item *a = pa, *b = pb;
    enum table_sort sort_key = *(const enum table_sort *)arg;
    int c = cmp_num(a->mode, b->mode);

    if (c == 0 && sort_key == TABLE_NAME)
        c = strcmp(a->name, b->name);
    if (c == 0 && (sort_key == TABLE_SPEED || sort_key == TABLE_CPU)) {
        c = cmp_num((double)a->size_rank, (double)b->size_rank);
        if (c == 0)
            c = cmp_num((double)a->place_rank, (double)b->place_rank);
        if (c == 0)
            c = cmp_num(!a->has_key, !b->has_key);
        if (c == 0 && a->has_key)
            c = cmp_num(a->key, b->key);
    }
    return c != 0 ? c : cmp_num((double)a->run, (double)b->run);
}

/* The key of --sort speed and cpu, smallest first. */
static int item_key(enum table_sort k, const struct bench_result *r,
                    double *key)
{
    if (r->status != RES_OK)
        return 0;
    if (k == TABLE_CPU) {
        *key = r->cpu_ns_per_msg;
        return r->cpu_ns_per_msg > 0;
    }
    *key = r->mode == MODE_THROUGHPUT ? -r->median : r->median;
    return r->median > 0;
}

void table_order(struct table *t)
{
    struct sort_item *it = NULL;
    struct bench_result *sorted = NULL;
    const char **places = NULL;
    size_t *sizes = NULL, nsizes = 0, nplaces = 0;

    if (t->nheld < 2 || t->sort == TABLE_STREAM)
        return;
    it = calloc(t->nheld, sizeof(*it));
    sorted = calloc(t->nheld, sizeof(*sorted));
    sizes = calloc(t->nheld, sizeof(*sizes));
    places = calloc(t->nheld, sizeof(*places));
    if (it == NULL || sorted == NULL || sizes == NULL || places == NULL)
        goto out;               /* no memory: the run's order */
    for (size_t i = 0; i < t->nheld; i++) {
        const struct bench_result *r = &t->held[i];
        size_t k = 0;

        while (k < nsizes && sizes[k] != r->size_bytes)
            k++;
        if (k == nsizes)
            sizes[nsizes++] = r->size_bytes;
        it[i].run = i;
        it[i].mode = (unsigned)r->mode;
        it[i].size_rank = k;
        it[i].place_rank = rank_of(places, &nplaces, r->placement);
        it[i].name = r->tp->name;
        it[i].has_key = item_key(t->sort, r, &it[i].key);
    }
    qsort_r(it, t->nheld, sizeof(*it), cmp_items, &t->sort);
    for (size_t i = 0; i < t->nheld; i++)
        sorted[i] = t->held[it[i].run];
    memcpy(t->held, sorted, t->nheld * sizeof(*sorted));
out:
    free(places);
    free(sizes);
    free(sorted);
    free(it);
}

void table_free(struct table *t)
{
    free(t->held);
    free(t->cells);
    t->held = NULL;
    t->cells = NULL;
    t->nheld = t->maxheld = t->ncells = t->maxcells = 0;
}
