/* test_verify.c - the message windows and the XXH3 check catch what they
 * must: any changed byte, the pairs of changes a sum of words missed, and
 * a body that belongs to another message. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/verify.h"

static const size_t sizes[] = { 1, 7, 8, 9, 63, 64, 4095, 65537 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

/* Message seq as a consumer receives it: a copy of what the producer sent. */
static uint8_t *received(struct verify_ctx *prod, uint64_t seq)
{
    uint8_t *m = malloc(prod->msg_bytes);

    cr_assert_not_null(m);
    memcpy(m, verify_message(prod, seq), prod->msg_bytes);
    return m;
}

static void init2(struct verify_ctx *prod, struct verify_ctx *cons,
                  size_t n, enum verify_level level)
{
    char err[ERR_LEN];

    cr_assert_eq(verify_init(prod, n, level, err), 0, "%s", err);
    cr_assert_eq(verify_init(cons, n, level, err), 0, "%s", err);
    verify_prepare(prod, 1000);
    verify_prepare(cons, 1000);
}

Test(verify, every_message_the_producer_makes_passes)
{
    char err[ERR_LEN];

    for (size_t k = 0; k < NSIZES; k++)
        for (int level = VERIFY_SUM; level <= VERIFY_FULL; level++) {
            struct verify_ctx p, c;

            init2(&p, &c, sizes[k], (enum verify_level)level);
            for (uint64_t seq = 0; seq < 600; seq += 1 + seq / 7) {
                uint8_t *m = received(&p, seq);

                cr_expect_eq(verify_seq(&c, m), verify_seq_mask(&c, seq));
                cr_expect_eq(verify_body(&c, m, seq, err), 0,
                             "size %zu seq %llu: %s", sizes[k],
                             (unsigned long long)seq, err);
                free(m);
            }
            verify_free(&p);
            verify_free(&c);
        }
}

/* The producer writes headers into its pool and puts the bytes back: the
 * pool it keeps sending from stays the consumer's. */
Test(verify, the_producers_pool_stays_the_consumers)
{
    struct verify_ctx p, c;

    init2(&p, &c, 4096, VERIFY_SUM);
    for (uint64_t seq = 0; seq < 2 * VERIFY_SLOTS; seq++)
        verify_message(&p, seq);
    memcpy(p.stamped, p.saved, p.hdr_bytes);
    cr_expect_eq(memcmp(p.pool, c.pool, 4096 + VERIFY_STEP * VERIFY_SLOTS),
                 0);
    verify_free(&p);
    verify_free(&c);
}

/* The bodies of VERIFY_SLOTS consecutive messages all differ, so none can
 * stand in for another (stale, repeated, reordered, or left in the buffer
 * when only a header arrived). */
Test(verify, another_messages_body_is_caught)
{
    static const size_t n[] = { 16, 64, 4096 };
    char err[ERR_LEN], whose[64];

    for (size_t k = 0; k < 3; k++)
        for (int level = VERIFY_SUM; level <= VERIFY_FULL; level++) {
            struct verify_ctx p, c;

            init2(&p, &c, n[k], (enum verify_level)level);
            for (uint64_t back = 1; back < VERIFY_SLOTS; back++) {
                uint64_t seq = 300;
                uint8_t *m = received(&p, seq - back);

                verify_stamp(&c, m, seq);       /* right header only */
                cr_expect_eq(verify_body(&c, m, seq, err), -1,
                             "size %zu: message %llu's body passed as %llu's",
                             n[k], (unsigned long long)(seq - back),
                             (unsigned long long)seq);
                snprintf(whose, sizeof(whose), "message %llu's",
                         (unsigned long long)(seq - back));
                cr_expect(strstr(err, whose) != NULL, "%s", err);
                free(m);
            }
            verify_free(&p);
            verify_free(&c);
        }
}

/* Every single-byte corruption of the body is caught, at every position,
 * by both levels; the header is the sequence number's to check. */
Test(verify, any_flipped_byte_is_caught)
{
    char err[ERR_LEN];

    for (int level = VERIFY_SUM; level <= VERIFY_FULL; level++) {
        struct verify_ctx p, c;
        size_t n = 300;
        uint8_t *m;

        init2(&p, &c, n, (enum verify_level)level);
        m = received(&p, 5);
        for (size_t i = c.hdr_bytes; i < n; i++) {
            m[i] ^= 0x01;
            cr_expect_eq(verify_body(&c, m, 5, err), -1, "byte %zu", i);
            m[i] ^= 0x01;
        }
        free(m);
        verify_free(&p);
        verify_free(&c);
    }
}

/* The two blind spots the word sum had, over every pair of body words
 * of a 4 KiB message (130 050 pairs each): two words swapped (it missed
 * 148, e.g. offsets 8 and 3256), bit 63 flipped in two words (it missed
 * about half). */
Test(verify, swapped_words_and_paired_bit_flips_are_caught, .timeout = 120)
{
    const size_t n = 4096;
    struct verify_ctx p, c;
    char err[ERR_LEN];
    unsigned missed_swap = 0, missed_flip = 0;
    uint8_t *m, t[8];

    init2(&p, &c, n, VERIFY_SUM);
    m = received(&p, 7);
    for (size_t a = 8; a < n; a += 8)
        for (size_t b = a + 8; b + 8 <= n; b += 8) {
            if (memcmp(m + a, m + b, 8) != 0) {     /* else no change */
                memcpy(t, m + a, 8);
                memcpy(m + a, m + b, 8);
                memcpy(m + b, t, 8);
                missed_swap += verify_body(&c, m, 7, err) == 0;
                memcpy(m + b, m + a, 8);
                memcpy(m + a, t, 8);
            }
            m[a + 7] ^= 0x80;
            m[b + 7] ^= 0x80;
            missed_flip += verify_body(&c, m, 7, err) == 0;
            m[a + 7] ^= 0x80;
            m[b + 7] ^= 0x80;
        }
    cr_expect_eq(verify_body(&c, m, 7, err), 0, "%s", err);
    cr_expect_eq(missed_swap, 0, "%u swaps passed", missed_swap);
    cr_expect_eq(missed_flip, 0, "%u pairs of flips passed", missed_flip);
    free(m);
    verify_free(&p);
    verify_free(&c);
}

/* --verify none looks at nothing but the header. */
Test(verify, none_checks_no_body)
{
    struct verify_ctx p, c;
    char err[ERR_LEN];
    uint8_t *m;

    init2(&p, &c, 64, VERIFY_NONE);
    m = received(&p, 3);
    memset(m + 8, 0, 56);
    cr_expect_eq(verify_body(&c, m, 3, err), 0);
    free(m);
    verify_free(&p);
    verify_free(&c);
}
