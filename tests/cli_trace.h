/* cli_trace.h - a suite program run the way the command-line tests need
 * it (tests/cli_trace.c): stdout and stderr kept apart, under ptrace(2) so
 * that a test can assert that a refusal forked nothing.  Used by
 * tests/test_cli.c and tests/test_cli_output.c.
 */
#ifndef IPCLAB_CLI_TRACE_H
#define IPCLAB_CLI_TRACE_H

#include <stddef.h>

/* Set by a test before run_traced() (each Criterion test is a process of
 * its own): */
extern long trace_fsize;        /* >0: RLIMIT_FSIZE of the run */
extern int trace_off;           /* 1: not traced, may fork */

/* Run bin/argv[0] under ptrace(2), stdout and stderr kept apart; every
 * fork/vfork it makes is seen (*forks counts them; the new process is
 * killed).  Returns the exit status.  With trace_off the program runs
 * untraced (it may measure) and *forks stays 0. */
int run_traced(char *const argv[], char *out, size_t outlen, char *err,
               size_t errlen, int *forks);

#endif
