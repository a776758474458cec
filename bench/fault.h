/* fault.h - a test-only transport that wraps a real one and misbehaves
 * on purpose (`--test-fault`): it corrupts, hangs, crashes or exits, or
 * breaks a message in one of the ways verification must catch.
 *
 * The harness puts the wrapper in place of the real transport only for a
 * run with a fault, so the measured loops of every other run are the
 * plain ones and never test for a fault.  Library code. */
#ifndef IPCLAB_FAULT_H
#define IPCLAB_FAULT_H

#include <stdint.h>

#include "harness.h"

#define FAULT_AT 3              /* the message a producer fault hits */

struct fault_transport {
    struct transport tp;        /* what the harness drives: a copy of the
                                   real one with attach, send, recv and
                                   detach replaced */
    const struct transport *real;
    enum test_fault fault;
    uint64_t calls;             /* send (producer) or recv (consumer)
                                   calls so far, in this child */
    uint64_t messages;          /* the run's, seen at attach */
    uint8_t *scratch, *prev;    /* the broken message; the one before */
};

/* Fill *ft to wrap `real`; returns the transport to hand the harness
 * (&ft->tp).  ft must outlive the run (the children inherit it). */
const struct transport *fault_wrap(struct fault_transport *ft,
                                   const struct transport *real,
                                   enum test_fault fault);
/* The word `--test-fault` takes for a fault, and back (-1: unknown). */
const char *fault_name(enum test_fault fault);
int fault_parse(const char *word, enum test_fault *fault);

#endif
