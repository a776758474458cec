/* cli.c - the `ipclab` command and the one-mechanism programs.
 *
 * Program entry points: these print, and exit through cli_usage_error() /
 * cli_die().  Everything below them (harness, output, transports) returns
 * errors.  `ipclab run` is parsed in options.c, chooses its transports in
 * select.c and measures in sweep.c; list.c has `ipclab list` and `env`. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_run.h"
#include "command.h"
#include "sysinfo.h"

const char *cli_prog = "ipclab";

void cli_usage_error(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", cli_prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see %s --help)\n", cli_prog);
    exit(2);
}

void cli_die(const char *msg)
{
    fprintf(stderr, "%s: %s\n", cli_prog, msg);
    exit(1);
}

static int cmd_run(int argc, char **argv, int single)
{
    struct run_opts o;
    struct selection sel;
    int rc;

    run_options_parse(argc, argv, &o, single);
    select_transports(argc - optind, argv + optind, &sel);
    select_check(&sel, &o);
    rc = sweep_run(&o, &sel, argc, argv);
    run_options_free(&o);
    return rc;
}

static void print_help(FILE *fp)
{
    fprintf(fp,
"usage: ipclab COMMAND [OPTIONS]\n"
"\n"
"Compare Linux IPC mechanisms through one timing harness.\n"
"\n"
"  ipclab list [--format csv]       transports: name, family, summary\n"
"  ipclab run [OPTIONS] [TRANSPORT...]   measure (ipclab run --help)\n"
"  ipclab env [--format json|csv]   the machine the figures come from\n"
"  ipclab serve [--listen ADDR[:PORT]]   remote side of the net transports\n"
"  ipclab clean [--quiet]           remove what SIGKILLed runs left\n"
"  ipclab --help | --version\n"
"\n"
"Each mechanism is also its own program: bin/pipe --size 4K does what\n"
"ipclab run pipe --size 4K does.\n");
}

int cli_main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : NULL;

    cli_prog = "ipclab";
    if (cmd == NULL) {
        print_help(stderr);
        return 2;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
        strcmp(cmd, "help") == 0) {
        print_help(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("ipclab %s\n", sysinfo_version());
        return 0;
    }
    if (strcmp(cmd, "list") == 0)
        return list_main(argc - 1, argv + 1);
    if (strcmp(cmd, "env") == 0)
        return env_main(argc - 1, argv + 1);
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1, 0);
    if (command_find(cmd) != NULL)
        return command_find(cmd)->main(argc - 1, argv + 1);
    cli_usage_error("unknown command '%s'", cmd);
}

int cli_single_main(int argc, char **argv)
{
    const char *slash = strrchr(argv[0], '/');

    cli_prog = slash != NULL ? slash + 1 : argv[0];
    return cmd_run(argc, argv, 1);
}
