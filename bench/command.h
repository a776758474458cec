/* command.h - subcommands that live outside bench/ (`ipclab serve`).
 *
 * A module that adds a subcommand to bin/ipclab registers it here, the way
 * a mechanism registers a transport: the CLI finds it by name, so bench/
 * never includes the module's header.  bench/cli.c dispatches
 * `ipclab NAME ...` to main(argc, argv) with argv[0] == NAME; its return
 * value is the exit status (0 ok, 1 failure, 2 bad command line). */
#ifndef IPCLAB_COMMAND_H
#define IPCLAB_COMMAND_H

#include <stddef.h>

struct ipclab_command {
    const char *name;           /* "serve" */
    const char *usage;          /* one line for `ipclab --help`:
                                   "serve [--listen ADDR[:PORT]]" */
    const char *summary;        /* what it does, a few words */
    int (*main)(int argc, char **argv);
};

#define COMMAND_REGISTER(cmd)                                              \
    static const struct ipclab_command *const cmd##_registered             \
        __attribute__((used, section("ipclab_cmd"))) = &(cmd)

const struct ipclab_command *const *commands_begin(void);
size_t commands_count(void);
const struct ipclab_command *command_find(const char *name);

#endif
