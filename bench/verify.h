/* verify.h - every byte moved is checked, the same way for every transport.
 *
 * Message k of n bytes is a window of n bytes into a pseudo-random pool,
 * chosen by k, with k itself (little-endian) over its first min(8, n)
 * bytes:
 *
 *      pool  |................................................|
 *                 ^ window of k = pool + offset(k), n bytes
 *                 [ k ][ body: the pool's bytes              ]
 *
 * offset(k) moves in steps of 64 bytes over VERIFY_SLOTS places, so the
 * bodies of any VERIFY_SLOTS consecutive messages all differ: a body that
 * is stale (an earlier message's), repeated, reordered or missing (only a
 * header arrived, over whatever the buffer held) cannot pass as message
 * k's.  The producer sends straight from the pool (it only writes the
 * header), so making a message costs it nothing more than before.
 *
 * The consumer checks the header against the sequence number it expects,
 * then the body: VERIFY_SUM hashes it with XXH3 (64-bit, Debian's
 * libxxhash) and compares with the window's digest, computed before the
 * measured interval; VERIFY_FULL compares every byte with the window;
 * VERIFY_NONE looks at the header only.  The pool is the same in every
 * process and on every host (a fixed seed), so a remote consumer
 * (`ipclab serve`) checks exactly as a local one.  Library code: returns
 * -1 with a message. */
#ifndef IPCLAB_VERIFY_H
#define IPCLAB_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "harness.h"

#define VERIFY_HDR_BYTES 8      /* the sequence number, at most */
#define VERIFY_SLOTS 256        /* windows: distinct bodies in a row */
#define VERIFY_STEP 64          /* bytes between two windows (a cache
                                   line: every message stays aligned as
                                   a plain buffer is) */

struct verify_ctx {
    size_t msg_bytes;
    size_t hdr_bytes;           /* min(8, msg_bytes) */
    enum verify_level level;
    uint8_t *pool;              /* msg_bytes + VERIFY_STEP * VERIFY_SLOTS */
    uint8_t *pattern;           /* = pool: message 0's window */
    uint64_t *digest;           /* XXH3 of each window's body, */
    uint8_t *have;              /* once have[slot] says it is computed */
    uint8_t *stamped;           /* the producer's header in the pool */
    uint8_t saved[VERIFY_HDR_BYTES];   /* the pool's bytes under it */
};

int verify_init(struct verify_ctx *v, size_t msg_bytes,
                enum verify_level level, char *err);
void verify_free(struct verify_ctx *v);
/* Before the measured interval: the digests of the windows that messages
 * 0 .. messages-1 use (the others are computed when first needed). */
void verify_prepare(struct verify_ctx *v, uint64_t messages);
/* The window message seq uses; verify_slot says which of VERIFY_SLOTS. */
unsigned verify_slot(uint64_t seq);
const uint8_t *verify_window(const struct verify_ctx *v, uint64_t seq);
/* Producer: message seq, ready to send, in the pool itself (the previous
 * message's header is put back first).  Valid until the next call. */
const uint8_t *verify_message(struct verify_ctx *v, uint64_t seq);
/* Write the sequence number into a message's header. */
void verify_stamp(const struct verify_ctx *v, uint8_t *msg, uint64_t seq);
/* The sequence number a message carries (truncated to hdr_bytes). */
uint64_t verify_seq(const struct verify_ctx *v, const uint8_t *msg);
/* seq truncated the way a header of hdr_bytes carries it. */
uint64_t verify_seq_mask(const struct verify_ctx *v, uint64_t seq);
/* Check everything after the header against message seq's body; 0 when
 * right. */
int verify_body(struct verify_ctx *v, const uint8_t *msg, uint64_t seq,
                char *err);

#endif
