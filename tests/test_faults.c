/* test_faults.c - every way a message can come out wrong is caught, by
 * both --verify sum and --verify full, on every family of transport.
 *
 * The faults come from the test-only wrapper transport (bench/fault.c):
 * message 3 arrives with the previous message's body (stale-body), two
 * body words swapped (swap-words), bit 63 of two words flipped
 * (flip-bits), or from message 3 on only the header reaches the buffer
 * (drop-body).  The last three are what the old word sum let through. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#include "test_util.h"

static const char *const transports[] = {
    "pipe",                     /* a byte stream through the kernel */
    "socketpair/stream",        /* a stream socket */
    "unix/seqpacket",           /* messages on a connection */
    "posix_mq",                 /* a message queue */
    "sysv_msgq",
    "posix_shm/futex",          /* a shared-memory ring, copied out */
    "sysv_shm/spin/in-place",   /* ... read where it lies */
    "vmsplice",                 /* pages lent to a pipe */
    "tcp",                      /* loopback */
    "udp",                      /* lossy: checked by the number it carries */
};
#define NTRANSPORTS (sizeof(transports) / sizeof(transports[0]))

static const enum test_fault faults[] = {
    FAULT_STALE_BODY, FAULT_SWAP_WORDS, FAULT_FLIP_BITS, FAULT_DROP_BODY,
};

struct fault_case {
    char transport[32];
    enum test_fault fault;
    enum verify_level level;
    enum tp_mode mode;
    size_t size;
};

/* Every transport x fault x level in throughput at 4 KiB (where the
 * swapped words are the sum's own blind spot, offsets 8 and 3256), and a
 * few in latency mode and at 64 bytes. */
ParameterizedTestParameters(faults, wrong_bodies_fail_the_run)
{
    static struct fault_case cases[NTRANSPORTS * 8 + 16];
    size_t n = 0;

    for (size_t t = 0; t < NTRANSPORTS; t++)
        for (size_t f = 0; f < 4; f++)
            for (int level = VERIFY_SUM; level <= VERIFY_FULL; level++) {
                struct fault_case *c = &cases[n++];

                snprintf(c->transport, sizeof(c->transport), "%s",
                         transports[t]);
                c->fault = faults[f];
                c->level = (enum verify_level)level;
                c->mode = MODE_THROUGHPUT;
                c->size = 4096;
            }
    for (size_t f = 0; f < 4; f++)
        for (int level = VERIFY_SUM; level <= VERIFY_FULL; level++) {
            struct fault_case *c = &cases[n++];

            snprintf(c->transport, sizeof(c->transport), "%s",
                     level == VERIFY_SUM ? "pipe" : "posix_shm/futex");
            c->fault = faults[f];
            c->level = (enum verify_level)level;
            c->mode = MODE_LATENCY;
            c->size = 4096;
            c = &cases[n++];
            snprintf(c->transport, sizeof(c->transport), "%s",
                     level == VERIFY_SUM ? "socketpair/dgram" : "fifo");
            c->fault = faults[f];
            c->level = (enum verify_level)level;
            c->mode = MODE_THROUGHPUT;
            c->size = 64;
        }
    return cr_make_param_array(struct fault_case, cases, n);
}

ParameterizedTest(struct fault_case *c, faults, wrong_bodies_fail_the_run,
                  .timeout = 60)
{
    struct bench_config cfg = tu_config();
    struct bench_result res;
    const char *says = c->level == VERIFY_SUM ? "checksum mismatch" : "wrong";
    const char *fault = c->fault == FAULT_STALE_BODY   ? "stale-body"
                        : c->fault == FAULT_SWAP_WORDS ? "swap-words"
                        : c->fault == FAULT_FLIP_BITS  ? "flip-bits"
                                                       : "drop-body";

    cfg.fault = c->fault;
    cfg.verify = c->level;
    cfg.bytes = 16 * c->size;
    cfg.iterations = 16;
    tu_run_cfg(&cfg, c->transport, c->mode, c->size, &res);
    cr_assert_eq(res.status, RES_FAILED, "%s %s %s --verify %s: %s (%s)",
                 c->transport, bench_mode_name(c->mode), fault,
                 c->level == VERIFY_SUM ? "sum" : "full",
                 bench_status_name(res.status), res.reason);
    cr_expect_eq(res.code, CODE_VERIFICATION_FAILED, "%s %s: %s",
                 c->transport, fault, res.reason);
    cr_expect_eq(res.verified, 0, "%s %s", c->transport, fault);
    cr_expect(strstr(res.reason, says) != NULL &&
              strstr(res.reason, " 3") != NULL,
              "%s %s: '%s' lacks '%s' or message 3", c->transport, fault,
              res.reason, says);
}

/* The same transports without a fault pass, both levels: the faults are
 * what fails the runs above, not the windows themselves. */
ParameterizedTestParameters(faults, the_same_runs_pass_without_a_fault)
{
    static struct fault_case cases[NTRANSPORTS * 2];

    for (size_t t = 0; t < NTRANSPORTS; t++)
        for (int level = VERIFY_SUM; level <= VERIFY_FULL; level++) {
            struct fault_case *c = &cases[t * 2 + (size_t)level];

            snprintf(c->transport, sizeof(c->transport), "%s",
                     transports[t]);
            c->fault = FAULT_NONE;
            c->level = (enum verify_level)level;
            c->mode = t % 2 ? MODE_LATENCY : MODE_THROUGHPUT;
            c->size = 4096;
        }
    return cr_make_param_array(struct fault_case, cases, NTRANSPORTS * 2);
}

ParameterizedTest(struct fault_case *c, faults,
                  the_same_runs_pass_without_a_fault, .timeout = 60)
{
    struct bench_config cfg = tu_config();
    struct bench_result res;

    cfg.verify = c->level;
    cfg.bytes = 600 * c->size;  /* past VERIFY_SLOTS: windows come again */
    cfg.iterations = 300;
    tu_run_cfg(&cfg, c->transport, c->mode, c->size, &res);
    cr_assert_eq(res.status, RES_OK, "%s: %s", c->transport, res.reason);
    cr_expect_eq(res.verified, 1, "%s", c->transport);
}
