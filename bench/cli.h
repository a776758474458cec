/* cli.h - the program entry points: `ipclab` and the one-mechanism
 * programs (bin/pipe ...).  These may print and exit; bench/ library code
 * below them does not. */
#ifndef IPCLAB_CLI_H
#define IPCLAB_CLI_H

/* `ipclab SUBCOMMAND ...` */
int cli_main(int argc, char **argv);
/* bin/<mechanism> [OPTIONS]: `ipclab run` over the transports linked in. */
int cli_single_main(int argc, char **argv);

#endif
