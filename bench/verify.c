/* verify.c - per-message windows of a random pool, checked by XXH3.
 *
 * Why XXH3 from libxxhash rather than a sum of our own: a sum of words
 * (even position-weighted) misses some pairs of changes that cancel, e.g.
 * bit 63 flipped in two words or two words swapped; a real hash has no
 * such blind spot (2^-64 per corrupt message).
 *
 * Why XXH3_64bits_dispatch: Debian builds libxxhash for the x86-64
 * baseline, whose XXH3_64bits uses SSE2 (16 GB/s on a 64 KiB message on
 * the project's EPYC VM), but it also exports the library's run-time
 * dispatch, which picks AVX2 or AVX-512 where the CPU has them (65 GB/s
 * there): the same hash, four times faster, and the difference between
 * verification costing a quarter of a 64 KiB pipe's time and a tenth.
 *
 * Why digests made in advance: hashing the expected window as well as
 * the received message doubles the cost (measured 0.026-0.035 ns/byte
 * against 0.013), and there are only VERIFY_SLOTS windows. */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xxh_x86dispatch.h>
#define verify_hash XXH3_64bits_dispatch    /* SSE2, AVX2, AVX-512 */
#else
#define verify_hash XXH3_64bits
#endif

#include "util.h"
#include "verify.h"

#define POOL_SEED UINT64_C(0x1badc0ffee15ab1e)  /* same everywhere */
#define SLOT_STRIDE 167u        /* odd: VERIFY_SLOTS messages in a row use
                                   VERIFY_SLOTS different windows, and two
                                   consecutive ones are far apart */
#define DIAGNOSE_MAX ((size_t)1 << 20)  /* bodies this big or smaller: a
                                           failure says whose body came */

unsigned verify_slot(uint64_t seq)
{
    return (unsigned)(seq * SLOT_STRIDE) & (VERIFY_SLOTS - 1);
}

const uint8_t *verify_window(const struct verify_ctx *v, uint64_t seq)
{
    return v->pool + (size_t)verify_slot(seq) * VERIFY_STEP;
}

/* splitmix64: a fast, well-mixed sequence; any fixed one would do, as
 * long as every process (and host) makes the same pool. */
static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

int verify_init(struct verify_ctx *v, size_t msg_bytes,
                enum verify_level level, char *err)
{
    size_t pool_bytes = msg_bytes + (size_t)VERIFY_STEP * VERIFY_SLOTS;
    uint64_t state = POOL_SEED;

    memset(v, 0, sizeof(*v));
    v->msg_bytes = msg_bytes;
    v->hdr_bytes = msg_bytes < VERIFY_HDR_BYTES ? msg_bytes
                                                : VERIFY_HDR_BYTES;
    v->level = level;
    pool_bytes = (pool_bytes + 63) / 64 * 64;   /* aligned_alloc's rule */
    v->pool = aligned_alloc(64, pool_bytes);
    v->digest = calloc(VERIFY_SLOTS, sizeof(*v->digest));
    v->have = calloc(VERIFY_SLOTS, 1);
    if (v->pool == NULL || v->digest == NULL || v->have == NULL) {
        verify_free(v);
        return err_sys(err, "allocating the message pool");
    }
    for (size_t i = 0; i < pool_bytes; i += 8) {    /* 64-byte multiple */
        uint64_t w = splitmix64(&state);

        memcpy(v->pool + i, &w, 8);
    }
    v->pattern = v->pool;
    return 0;
}

void verify_free(struct verify_ctx *v)
{
    free(v->pool);
    free(v->digest);
    free(v->have);
    memset(v, 0, sizeof(*v));
}

/* The digest of window `slot`'s body, computed the first time. */
static uint64_t slot_digest(struct verify_ctx *v, unsigned slot)
{
    if (!v->have[slot]) {
        const uint8_t *w = v->pool + (size_t)slot * VERIFY_STEP;

        v->digest[slot] = verify_hash(w + v->hdr_bytes,
                                      v->msg_bytes - v->hdr_bytes);
        v->have[slot] = 1;
    }
    return v->digest[slot];
}

void verify_prepare(struct verify_ctx *v, uint64_t messages)
{
    if (v->level != VERIFY_SUM)
        return;
    for (uint64_t k = 0; k < messages && k < VERIFY_SLOTS; k++)
        slot_digest(v, verify_slot(k));
}

void verify_stamp(const struct verify_ctx *v, uint8_t *msg, uint64_t seq)
{
    uint8_t le[8];

    for (int i = 0; i < 8; i++)
        le[i] = (uint8_t)(seq >> (8 * i));
    memcpy(msg, le, v->hdr_bytes);
}

const uint8_t *verify_message(struct verify_ctx *v, uint64_t seq)
{
    uint8_t *m = v->pool + (size_t)verify_slot(seq) * VERIFY_STEP;

    if (v->stamped != NULL)     /* the previous header lies in other
                                   windows' bodies: put the pool back */
        memcpy(v->stamped, v->saved, v->hdr_bytes);
    memcpy(v->saved, m, v->hdr_bytes);
    verify_stamp(v, m, seq);
    v->stamped = m;
    return m;
}

uint64_t verify_seq(const struct verify_ctx *v, const uint8_t *msg)
{
    uint64_t seq = 0;

    for (size_t i = 0; i < v->hdr_bytes; i++)
        seq |= (uint64_t)msg[i] << (8 * i);
    return seq;
}

uint64_t verify_seq_mask(const struct verify_ctx *v, uint64_t seq)
{
    if (v->hdr_bytes >= 8)
        return seq;
    return seq & ((UINT64_C(1) << (8 * v->hdr_bytes)) - 1);
}

/* The wrong body is another message's: which one, the nearest before seq
 * using that window (or "another message" when none came before). */
static int other_message(struct verify_ctx *v, uint64_t hash, uint64_t seq,
                         uint64_t *from)
{
    unsigned mine = verify_slot(seq), inv = 1;

    if (v->msg_bytes - v->hdr_bytes > DIAGNOSE_MAX)
        return 0;
    for (int i = 0; i < 7; i++)         /* SLOT_STRIDE^-1 mod 256 */
        inv *= 2 - SLOT_STRIDE * inv;
    for (unsigned s = 0; s < VERIFY_SLOTS; s++) {
        uint64_t back;

        if (s == mine || slot_digest(v, s) != hash)
            continue;
        back = ((mine - s) * inv) & (VERIFY_SLOTS - 1);
        *from = back <= seq ? seq - back : seq + (VERIFY_SLOTS - back);
        return 1;
    }
    return 0;
}

static int body_wrong(struct verify_ctx *v, const uint8_t *msg,
                      uint64_t seq, uint64_t hash, char *err)
{
    const uint8_t *w = verify_window(v, seq);
    size_t i = v->hdr_bytes;
    uint64_t from;

    if (other_message(v, hash, seq, &from))
        return err_set(err, "%s: the body is message %llu's, not %llu's "
                            "(stale, repeated or reordered)",
                       v->level == VERIFY_SUM ? "checksum mismatch"
                                              : "wrong bytes",
                       (unsigned long long)from, (unsigned long long)seq);
    if (v->level == VERIFY_SUM)
        return err_set(err, "checksum mismatch (XXH3): the message body "
                            "is corrupt");
    while (msg[i] == w[i])
        i++;
    return err_set(err, "byte %zu of the message is wrong (0x%02x, "
                        "expected 0x%02x)", i, msg[i], w[i]);
}

int verify_body(struct verify_ctx *v, const uint8_t *msg, uint64_t seq,
                char *err)
{
    size_t hdr = v->hdr_bytes, n = v->msg_bytes - hdr;
    uint64_t hash;

    if (v->level == VERIFY_NONE || n == 0)
        return 0;               /* --verify none: the bytes go unchecked */
    if (v->level == VERIFY_FULL) {
        if (memcmp(msg + hdr, verify_window(v, seq) + hdr, n) == 0)
            return 0;
        hash = n <= DIAGNOSE_MAX ? verify_hash(msg + hdr, n) : 0;
        return body_wrong(v, msg, seq, hash, err);
    }
    hash = verify_hash(msg + hdr, n);
    if (hash == slot_digest(v, verify_slot(seq)))
        return 0;
    return body_wrong(v, msg, seq, hash, err);
}
