/* advise.c - `ipclab advise`: which mechanism for a size and a goal.
 *
 * The answer is read from a results directory, which is CSV and JSON: the
 * work is done by scripts/advise (Python, its standard csv module), the
 * same reader the report and compare use, so the rules live in one place.
 * This command finds the script beside the program - ../scripts/advise in
 * a source tree, ../lib/ipclab/scripts/advise when installed - and runs it
 * with IPCLAB set to this program, so `--measure` measures with the same
 * build.  IPCLAB_SCRIPTS=DIR overrides where the script is looked for. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "command.h"

static int advise_script(char *out, size_t len, const char *self)
{
    static const char *const rel[] = { "../scripts/advise",
                                       "../lib/ipclab/scripts/advise" };
    const char *dir = getenv("IPCLAB_SCRIPTS");
    char bindir[PATH_MAX];
    const char *slash = strrchr(self, '/');

    if (dir != NULL && *dir != '\0') {
        snprintf(out, len, "%s/advise", dir);
        return access(out, X_OK);
    }
    if (slash == NULL)
        return -1;
    snprintf(bindir, sizeof(bindir), "%.*s", (int)(slash - self), self);
    for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
        snprintf(out, len, "%s/%s", bindir, rel[i]);
        if (access(out, X_OK) == 0)
            return 0;
    }
    return -1;
}

static int advise_main(int argc, char **argv)
{
    char self[PATH_MAX], script[PATH_MAX + 64];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    char **args;

    if (n <= 0) {
        fprintf(stderr, "ipclab advise: readlink /proc/self/exe: %s\n",
                strerror(errno));
        return 2;
    }
    self[n] = '\0';
    if (advise_script(script, sizeof(script), self) == -1) {
        fprintf(stderr, "ipclab advise: scripts/advise not found beside %s "
                "(set IPCLAB_SCRIPTS=DIR)\n", self);
        return 2;
    }
    if (setenv("IPCLAB", self, 0) == -1) {
        fprintf(stderr, "ipclab advise: setenv: %s\n", strerror(errno));
        return 2;
    }
    args = calloc((size_t)argc + 1, sizeof(*args));
    if (args == NULL) {
        fprintf(stderr, "ipclab advise: calloc: %s\n", strerror(errno));
        return 2;
    }
    args[0] = script;
    for (int i = 1; i < argc; i++)
        args[i] = argv[i];
    execv(script, args);
    fprintf(stderr, "ipclab advise: exec %s: %s\n", script, strerror(errno));
    free(args);
    return 2;
}

static const struct ipclab_command advise_command = {
    .name = "advise",
    .usage = "advise --size SIZE [--goal latency|throughput|cpu] ...",
    .summary = "which mechanism for a size and a goal, and why",
    .main = advise_main,
};
COMMAND_REGISTER(advise_command);
