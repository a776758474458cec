/* script_util.c - the helpers the tests of the scripts share: finding the
 * source tree, a private temporary directory per test, whole files, running
 * a script as a child (optionally in namespaces of its own), and checking
 * the charts scripts/plots draws.  Declared and described in script_util.h.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "script_util.h"

#ifndef IPCLAB_BINDIR
#define IPCLAB_BINDIR "bin"
#endif

/* ---- helpers --------------------------------------------------------- */

/* The source tree: the first parent of the bin directory that holds
 * scripts/bench (bin/ or build/san/bin/ alike). */
static const char *tree_dir(void)
{
    static char tree[PATH_MAX];
    char path[PATH_MAX + 32];

    if (tree[0] != '\0')
        return tree;
    cr_assert_not_null(realpath(IPCLAB_BINDIR, tree), "realpath %s: %s",
                       IPCLAB_BINDIR, strerror(errno));
    for (int up = 0; up < 4; up++) {
        char *slash = strrchr(tree, '/');

        cr_assert(slash != NULL && slash != tree, "no scripts/ above %s",
                  IPCLAB_BINDIR);
        *slash = '\0';
        snprintf(path, sizeof(path), "%s/scripts/bench", tree);
        if (access(path, X_OK) == 0)
            return tree;
    }
    cr_assert_fail("no scripts/bench above %s", IPCLAB_BINDIR);
    return NULL;
}

/* Paths for argv arrays: a ring of buffers, so that several of them can
 * sit in one argv. */
static const char *tree_path(const char *folder, const char *name)
{
    static char ring[8][PATH_MAX + 64];
    static unsigned next;
    char *path = ring[next++ % 8];

    snprintf(path, PATH_MAX + 64, "%s/%s/%s", tree_dir(), folder, name);
    return path;
}

const char *script_path(const char *name)
{
    return tree_path("scripts", name);
}

const char *data_path(const char *name)
{
    return tree_path("tests/data", name);
}

int on_path(const char *prog)
{
    const char *env = getenv("PATH");
    char *dirs, *save = NULL, path[PATH_MAX];
    int found = 0;

    dirs = strdup(env != NULL ? env : "/usr/bin:/bin");
    cr_assert_not_null(dirs);
    for (char *d = strtok_r(dirs, ":", &save); d != NULL && !found;
         d = strtok_r(NULL, ":", &save)) {
        snprintf(path, sizeof(path), "%s/%s", d, prog);
        found = access(path, X_OK) == 0;
    }
    free(dirs);
    return found;
}

/* A private directory for one test; not named ipclab-* so that the
 * leftover checks of other tests never count it.  The .fini of every test
 * removes it, also when an assertion stopped the test half-way. */
static char test_tmp[PATH_MAX];

void make_tmp(char *out, size_t outlen)
{
    const char *tmp = getenv("TMPDIR");

    snprintf(out, outlen, "%s/scripts-test-XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    cr_assert_not_null(mkdtemp(out), "mkdtemp: %s", strerror(errno));
    snprintf(test_tmp, sizeof(test_tmp), "%s", out);
}

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void remove_tree(const char *path)
{
    cr_expect_eq(nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0,
                 "removing %s: %s", path, strerror(errno));
    if (strcmp(path, test_tmp) == 0)
        test_tmp[0] = '\0';
}

void tmp_cleanup(void)
{
    if (test_tmp[0] != '\0')
        nftw(test_tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    test_tmp[0] = '\0';
}

/* The whole file as a string (NULL when it cannot be read); free() it. */
char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "r");
    char *buf = NULL;
    size_t cap = 0, used = 0, n;

    if (fp == NULL)
        return NULL;
    do {
        if (cap - used < 4096) {
            cap = cap ? cap * 2 : 65536;
            buf = realloc(buf, cap + 1);
            cr_assert_not_null(buf);
        }
        n = fread(buf + used, 1, cap - used, fp);
        used += n;
    } while (n > 0);
    fclose(fp);
    buf[used] = '\0';
    if (len != NULL)
        *len = used;
    return buf;
}

void copy_file(const char *from, const char *to)
{
    size_t len;
    char *buf = slurp(from, &len);
    FILE *fp;

    cr_assert_not_null(buf, "cannot read %s", from);
    fp = fopen(to, "w");
    cr_assert_not_null(fp, "fopen %s: %s", to, strerror(errno));
    cr_assert_eq(fwrite(buf, 1, len, fp), len);
    cr_assert_eq(fclose(fp), 0);
    free(buf);
}

void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    cr_assert_not_null(fp, "fopen %s: %s", path, strerror(errno));
    fputs(text, fp);
    cr_assert_eq(fclose(fp), 0);
}

/* Run argv[0] with extra environment entries ("NAME=value", NULL-ended),
 * stdout and stderr into DIR/stdout and DIR/stderr (freshly truncated).
 * Returns the exit status (128 + signal when killed). */
int run_script(const char *dir, char *const argv[],
                      char *const env[])
{
    char out[PATH_MAX + 16], err[PATH_MAX + 16];
    int status;
    pid_t pid;

    snprintf(out, sizeof(out), "%s/stdout", dir);
    snprintf(err, sizeof(err), "%s/stderr", dir);
    pid = fork();
    cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
    if (pid == 0) {
        int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

        if (fo < 0 || fe < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0)
            _exit(126);
        for (int i = 0; env != NULL && env[i] != NULL; i++)
            if (putenv(env[i]) != 0)
                _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) == -1)
        cr_assert_eq(errno, EINTR, "waitpid: %s", strerror(errno));
    return WIFEXITED(status) ? WEXITSTATUS(status)
                             : 128 + WTERMSIG(status);
}

/* Give the calling process IPC and mount namespaces of its own, with a
 * private /dev/shm and /dev/mqueue: whatever it creates is invisible to
 * the machine-wide leftover counts of the other tests.  0, or -1 where it
 * is not permitted (not root, or in a container that forbids it). */
static int isolate_self(void)
{
    if (unshare(CLONE_NEWIPC | CLONE_NEWNS) == -1)
        return -1;
    if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1 ||
        mount("tmpfs", "/dev/shm", "tmpfs", 0, "size=1g,mode=1777") == -1)
        return -1;
    if (mount("mqueue", "/dev/mqueue", "mqueue", 0, NULL) == -1 &&
        errno != ENOENT)
        return -1;
    return 0;
}

/* run_script() in a process of its own namespaces (isolate_self); returns
 * -1 without running anything when isolation is not permitted. */
int run_script_isolated(const char *dir, char *const argv[],
                               char *const env[])
{
    int status;
    pid_t pid = fork();

    cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
    if (pid == 0) {
        if (isolate_self() == -1)
            _exit(125);
        _exit(run_script(dir, argv, env));
    }
    while (waitpid(pid, &status, 0) == -1)
        cr_assert_eq(errno, EINTR, "waitpid: %s", strerror(errno));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 125)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status)
                             : 128 + WTERMSIG(status);
}

char *slurp_in(const char *dir, const char *name)
{
    char path[PATH_MAX + 64];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return slurp(path, NULL);
}

/* The status field of the first line of csv that starts with prefix
 * ("pipe,ipc,paced,64,spread,"), into out; 0, or -1 when no line does. */
int csv_status(const char *csv, const char *prefix, char *out,
                      size_t outlen)
{
    size_t plen = strlen(prefix);
    const char *p = csv;

    while (p != NULL && strncmp(p, prefix, plen) != 0) {
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    /* transport,family,mode,size_bytes,placement,cpu_producer,
     * cpu_consumer,status: the 8th field */
    for (int field = 1; field < 8 && p != NULL; field++) {
        p = strchr(p, ',');
        if (p != NULL)
            p++;
    }
    if (p == NULL)
        return -1;
    snprintf(out, outlen, "%.*s", (int)strcspn(p, ",\n"), p);
    return 0;
}

int count_lines(const char *s)
{
    int n = 0;

    for (; *s != '\0'; s++)
        n += *s == '\n';
    return n;
}

/* A results directory made of a fixture: DIR/run/results.csv + meta.txt. */
void fixture_run(const char *tmp, char *run, size_t runlen)
{
    char path[PATH_MAX + 64];

    snprintf(run, runlen, "%s/run", tmp);
    cr_assert_eq(mkdir(run, 0700), 0, "mkdir %s: %s", run, strerror(errno));
    snprintf(path, sizeof(path), "%s/results.csv", run);
    copy_file(data_path("results-small.csv"), path);
    snprintf(path, sizeof(path), "%s/meta.txt", run);
    write_file(path, "host=fixture-host\nkernel=6.1.0-test\n"
                     "date=2026-01-01 00:00 UTC\ncores=2\n");
}

/* The charts scripts/plots draws (script_util.h) */
const char *const chart_names[NCHARTS] = {
    "throughput-spread", "throughput-same", "latency-spread",
    "latency-same", "cpu-per-msg", "same-vs-spread",
    "latency-ladder-spread", "latency-ladder-same",
};
const char *const paced_chart_names[NPACED_CHARTS] = { "paced-spread",
                                                       "paced-same" };
const char *const heatmap_chart_names[NHEATMAP_CHARTS] = { "heatmap-spread",
                                                           "heatmap-same" };

void expect_charts(const char *run, const char *const names[], size_t n)
{
    char path[PATH_MAX + 96];
    size_t len;

    for (size_t i = 0; i < n; i++) {
        char *png, *svg;

        snprintf(path, sizeof(path), "%s/charts/%s.png", run, names[i]);
        png = slurp(path, &len);
        cr_expect(png != NULL && len > 1000 &&
                  memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0,
                  "%s: missing, tiny or not a PNG", path);
        free(png);
        snprintf(path, sizeof(path), "%s/charts/%s.svg", run, names[i]);
        svg = slurp(path, &len);
        cr_expect(svg != NULL && len > 1000 && strstr(svg, "<svg") != NULL &&
                  strstr(svg, "</svg>") != NULL,
                  "%s: missing, tiny or not an SVG", path);
        free(svg);
    }
}
