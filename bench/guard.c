/* guard.c - the calibration of `ipclab run --guard` (see guard.h). */
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "util.h"

/* The k-th value of IPCLAB_GUARD_DRIFT, or 0 when it has none. */
static double drift(unsigned k)
{
    const char *s = getenv("IPCLAB_GUARD_DRIFT");

    for (unsigned i = 0; s != NULL && *s != '\0'; i++) {
        char *end;
        double v = strtod(s, &end);

        if (end == s)
            return 0;
        if (i == k)
            return v > 0 ? v : 0;
        s = *end == ',' ? end + 1 : end;
    }
    return 0;
}

static int calibration_row(const char *name, enum tp_mode mode, size_t size,
                           double *value, char *err)
{
    const struct transport *tp = transport_find(name);
    struct bench_config cfg;
    struct bench_result r;
    int rc;

    if (tp == NULL)
        return err_set(err, "--guard: no %s transport in this program", name);
    bench_config_defaults(&cfg);
    cfg.placement = PLACE_SPREAD;
    cfg.warmup = 1;
    cfg.reps = 3;
    cfg.iterations = 20000;
    cfg.bytes = 32u << 20;
    cfg.timeout_s = 30;
    rc = bench_run(&cfg, tp, mode, size, &r, err);
    if (rc != 0)
        return rc;
    if (r.status != RES_OK)
        return err_set(err, "--guard: %s: %s", name, r.reason);
    *value = r.median;
    return 0;
}

int guard_calibrate(struct guard *g, char *err)
{
    double ns, mbs, f = drift(g->n);
    int rc = calibration_row("cacheline", MODE_LATENCY, 64, &ns, err);

    if (rc == 0)
        rc = calibration_row("xcore", MODE_THROUGHPUT, 65536, &mbs, err);
    if (rc != 0)
        return rc;
    if (f > 0) {                /* the test hook */
        ns = f;
        mbs = 1000 / f;
    }
    g->ns = ns;
    g->mbs = mbs;
    g->n++;
    return 0;
}

static int moved1(double a, double b)
{
    return a > 0 && b > 0 &&
           (b > a * (1 + GUARD_MOVED) || a > b * (1 + GUARD_MOVED));
}

int guard_moved(double ns0, double mbs0, double ns1, double mbs1)
{
    return moved1(ns0, ns1) || moved1(mbs0, mbs1);
}
