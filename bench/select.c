/* select.c - which transports a run takes, and what is refused before
 * anything starts: a transport option none of them takes, a message size
 * the memory cannot hold, a size the one named transport cannot take, a
 * placement this machine cannot give.
 *
 * Entry-point code: bad input is one line and exit 2 (cli_usage_error). */
#define _GNU_SOURCE
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>

#include "cli_run.h"
#include "util.h"

/* ---- choosing transports ------------------------------------------------ */

static void select_add(struct selection *s, const struct transport *tp,
                       int explicit_)
{
    for (unsigned i = 0; i < s->n; i++)
        if (s->tp[i] == tp)
            return;
    if (s->n == MAX_SELECTED)
        cli_usage_error("too many transports");
    s->tp[s->n] = tp;
    s->explicit_[s->n++] = explicit_;
}

static int family_matches(const struct transport *tp, const char *name)
{
    return strcmp(tp_family_name(tp->family), name) == 0;
}

void select_transports(int argc, char **argv, struct selection *s)
{
    const struct transport *const *all = transports_begin();
    size_t n = transports_count();

    s->n = 0;
    if (argc == 0) {
        for (int named = 0; named < 2 && s->n == 0; named++)
            for (size_t i = 0; i < n; i++)  /* named-only: when alone */
                if ((all[i]->selected == NULL || all[i]->selected(all[i])) &&
                    (named || !(all[i]->caps & TP_NAMED_ONLY)))
                    select_add(s, all[i], 0);
        if (s->n == 0)
            cli_usage_error("no transport selected by these options");
        return;
    }
    for (int a = 0; a < argc; a++) {
        const struct transport *tp = transport_find(argv[a]);
        size_t len = strlen(argv[a]);
        int matched = 0, chosen = 0;

        if (tp != NULL) {
            select_add(s, tp, 1);
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            int variant = strncmp(all[i]->name, argv[a], len) == 0 &&
                          all[i]->name[len] == '/';

            if (!variant && (!family_matches(all[i], argv[a]) ||
                             (all[i]->caps & TP_NAMED_ONLY)))
                continue;       /* a family: not its named-only members */
            matched = 1;
            if (all[i]->selected == NULL || all[i]->selected(all[i])) {
                select_add(s, all[i], variant);    /* once, if named twice */
                chosen = 1;
            }
        }
        if (!matched)
            cli_usage_error("unknown transport '%s' (`%s list` shows them)",
                            argv[a], "ipclab");
        if (!chosen)
            cli_usage_error("'%s': no variant selected by these options",
                            argv[a]);
    }
}

/* ---- checks before anything starts ------------------------------------- */

static void check_explicit(const struct selection *s, const struct run_opts *o)
{
    char why[ERR_LEN], size[32];

    /* One transport asked for by name: an impossible size is a usage
     * error.  Several (a sweep): the row says n/a and the sweep goes on. */
    if (s->n != 1)
        return;
    for (unsigned t = 0; t < s->n; t++) {
        const struct transport *tp = s->tp[t];

        if (!s->explicit_[t] || tp->check_size == NULL ||
            (tp->caps & TP_NO_SIZE))
            continue;
        for (int m = 0; m <= MODE_PACED; m++) {
            if (!(o->modes & (1 << m)))
                continue;
            for (unsigned i = 0; i < o->nsizes; i++) {
                why[0] = '\0';
                if (tp->check_size(tp, tp_channel_mode((enum tp_mode)m),
                                   o->sizes[i], why) == 0)
                    continue;
                format_size(o->sizes[i], size, sizeof(size));
                if (why[0] == '-')      /* about an option, not the size */
                    fprintf(stderr, "%s: %s: %s\n", cli_prog, tp->name, why);
                else
                    fprintf(stderr, "%s: %s: size %s: %s\n", cli_prog, tp->name,
                            size, why);
                exit(2);
            }
        }
    }
}

/* Does transport name match one of the comma-separated fnmatch patterns? */
static int applies_to(const char *patterns, const char *name);

int tp_option_applies(const struct tp_option *t, const char *name)
{
    return t->applies == NULL || applies_to(t->applies, name);
}

static int applies_to(const char *patterns, const char *name)
{
    const char *p = patterns;

    while (*p != '\0') {
        size_t len = strcspn(p, ",");
        char pat[128];

        snprintf(pat, sizeof(pat), "%.*s", (int)len, p);
        if (fnmatch(pat, name, 0) == 0)
            return 1;
        p += len + (p[len] == ',');
    }
    return 0;
}

/* A transport option given to a run that selects none of the transports
 * it applies to would change nothing: refuse it. */
static void check_applies(const struct selection *s, const struct run_opts *o)
{
    for (size_t i = 0; i < tp_options_count(); i++) {
        const struct tp_option *t = tp_options_begin()[i];
        int used = 0;
        char all[256] = "";

        if (!o->tp_given[i])
            continue;
        /* a shared option (tp_option_first): any of its tables will do */
        for (size_t j = i; j < tp_options_count() && !used; j++) {
            const struct tp_option *u = tp_options_begin()[j];

            if (tp_option_first(j) != i)
                continue;
            if (u->applies == NULL)
                used = 1;
            for (unsigned k = 0; k < s->n && !used; k++)
                used = applies_to(u->applies, s->tp[k]->name);
            snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s",
                     all[0] ? ", " : "", u->applies ? u->applies : "");
        }
        if (!used)
            cli_usage_error("--%s applies to %s only, and this run selects "
                            "none of them", t->name, all);
    }
}

/* A run holds three buffers of the message size in each of its two
 * processes (send, receive, the verification pool): refuse a size that the
 * machine, or RLIMIT_AS of one process, cannot hold. */
static void check_memory(const struct selection *s, const struct run_opts *o)
{
    struct sysinfo si;
    struct rlimit rl;
    unsigned long long ram;
    char size[32];
    int sized = 0;

    for (unsigned k = 0; k < s->n; k++)
        sized |= !(s->tp[k]->caps & TP_NO_SIZE);
    if (!sized)
        return;
    if (sysinfo(&si) == -1 || getrlimit(RLIMIT_AS, &rl) == -1) {
        char err[ERR_LEN];

        err_sys(err, "sysinfo/getrlimit RLIMIT_AS");
        cli_die(err);
    }
    ram = (unsigned long long)si.totalram * si.mem_unit;
    for (unsigned i = 0; i < o->nsizes; i++) {
        format_size(o->sizes[i], size, sizeof(size));
        if (o->sizes[i] > ram / 6)
            cli_usage_error("%s: %s does not fit: a run holds six buffers of "
                            "the message size, and the machine has %.1f GiB",
                            o->size_opt, size, (double)ram / (1 << 30));
        if (rl.rlim_cur != RLIM_INFINITY && o->sizes[i] > rl.rlim_cur / 3)
            cli_usage_error("%s: %s does not fit: each process holds three "
                            "buffers of the message size, and RLIMIT_AS is "
                            "%.1f MiB", o->size_opt, size,
                            (double)rl.rlim_cur / (1 << 20));
    }
}

void select_check(const struct selection *s, struct run_opts *o)
{
    char err[ERR_LEN];
    int cpu[2];

    check_applies(s, o);
    check_memory(s, o);
    check_explicit(s, o);
    for (unsigned p = 0; p < o->nplaces; p++) {
        o->cfg.placement = o->places[p];
        if (bench_placement_cpus(&o->cfg, cpu, err) == -1)
            cli_usage_error("%s", err);
    }
}
