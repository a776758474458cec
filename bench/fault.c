/* fault.c - the misbehaving wrapper transport (tests only).
 *
 *      harness loops ----> wrapper send/recv ----> real send/recv
 *                          (counts calls; on the chosen one, breaks
 *                           the message or the process)
 *
 * Producer faults hit message FAULT_AT, sent from a scratch copy so the
 * harness's own buffer stays right:
 *   corrupt     one byte flipped (the last: the header of a 1-byte one)
 *   stale-body  the header of this message, the body of the one before
 *   swap-words  two 8-byte words of the body swapped
 *   flip-bits   bit 63 of two body words flipped (a word sum missed it)
 * Consumer faults act once half the messages have arrived:
 *   hang        stop receiving, forever (the run times out)
 *   crash       die of SIGSEGV
 *   exit        exit with status 3
 * and drop-body hands the harness, from message FAULT_AT on, only the
 * header of each message, over whatever the buffer held before: what a
 * transport that lost the body would deliver. */
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"
#include "util.h"
#include "verify.h"

static const char *const fault_names[] = {
    [FAULT_NONE] = "none",        [FAULT_CORRUPT] = "corrupt",
    [FAULT_HANG] = "hang",        [FAULT_CRASH] = "crash",
    [FAULT_EXIT] = "exit",        [FAULT_STALE_BODY] = "stale-body",
    [FAULT_SWAP_WORDS] = "swap-words", [FAULT_FLIP_BITS] = "flip-bits",
    [FAULT_DROP_BODY] = "drop-body",
};
#define NFAULTS (sizeof(fault_names) / sizeof(fault_names[0]))

const char *fault_name(enum test_fault fault)
{
    return (unsigned)fault < NFAULTS ? fault_names[fault] : "?";
}

int fault_parse(const char *word, enum test_fault *fault)
{
    for (unsigned i = 1; i < NFAULTS; i++)
        if (strcmp(word, fault_names[i]) == 0) {
            *fault = (enum test_fault)i;
            return 0;
        }
    return -1;
}

static struct fault_transport *wrapper(const struct tp_channel *ch)
{
    return (struct fault_transport *)((char *)ch->tp -
                                      offsetof(struct fault_transport, tp));
}

static int fault_attach(struct tp_channel *ch, char *err)
{
    struct fault_transport *ft = wrapper(ch);
    size_t n = ch->msg_bytes > 0 ? ch->msg_bytes : 1;

    if (ft->real->attach(ch, err) == -1)
        return -1;
    ft->messages = ch->messages;
    ft->scratch = calloc(1, n);
    ft->prev = calloc(1, n);
    if (ft->scratch == NULL || ft->prev == NULL)
        return err_sys(err, "calloc");
    return 0;
}

static void fault_detach(struct tp_channel *ch)
{
    struct fault_transport *ft = wrapper(ch);

    free(ft->scratch);
    free(ft->prev);
    ft->scratch = ft->prev = NULL;
    if (ft->real->detach != NULL)
        ft->real->detach(ch);
}

static void swap_words(uint8_t *m, size_t a, size_t b)
{
    uint8_t t[8];

    memcpy(t, m + a, 8);
    memcpy(m + a, m + b, 8);
    memcpy(m + b, t, 8);
}

/* Break the copy of message FAULT_AT in scratch. */
static void break_message(struct fault_transport *ft, size_t len)
{
    size_t hdr = len < VERIFY_HDR_BYTES ? len : VERIFY_HDR_BYTES;
    size_t last = len >= 16 ? (len - 8) / 8 * 8 : 0;

    switch (ft->fault) {
    case FAULT_CORRUPT:
        if (len > 0)
            ft->scratch[len - 1] ^= 0x40;
        break;
    case FAULT_STALE_BODY:
        memcpy(ft->scratch + hdr, ft->prev + hdr, len - hdr);
        break;
    case FAULT_SWAP_WORDS:          /* the words the old sum missed */
        if (len >= 3264)
            swap_words(ft->scratch, 8, 3256);
        else if (last > 8)
            swap_words(ft->scratch, 8, last);
        break;
    case FAULT_FLIP_BITS:
        if (last > 8) {
            ft->scratch[15] ^= 0x80;
            ft->scratch[last + 7] ^= 0x80;
        }
        break;
    default:
        break;
    }
}

static int fault_send(struct tp_channel *ch, const void *buf, size_t len,
                      char *err)
{
    struct fault_transport *ft = wrapper(ch);
    uint64_t k = ft->calls;

    if (ch->role != ROLE_PRODUCER)
        return ft->real->send(ch, buf, len, err);
    ft->calls++;
    if (k == FAULT_AT - 1)
        memcpy(ft->prev, buf, len);     /* for stale-body */
    if (k != FAULT_AT || ft->fault == FAULT_DROP_BODY)
        return ft->real->send(ch, buf, len, err);
    memcpy(ft->scratch, buf, len);
    break_message(ft, len);
    return ft->real->send(ch, ft->scratch, len, err);
}

static void misbehave(enum test_fault fault)
{
    if (fault == FAULT_HANG)
        for (;;)
            pause();
    if (fault == FAULT_CRASH) {
        signal(SIGSEGV, SIG_DFL);       /* past any sanitizer's handler */
        raise(SIGSEGV);
    }
    _exit(3);
}

static int fault_recv(struct tp_channel *ch, void *buf, size_t len,
                      const void **msg, char *err)
{
    struct fault_transport *ft = wrapper(ch);
    uint64_t k = ft->calls;
    int r;

    if (ch->role != ROLE_CONSUMER)
        return ft->real->recv(ch, buf, len, msg, err);
    ft->calls++;
    if ((ft->fault == FAULT_HANG || ft->fault == FAULT_CRASH ||
         ft->fault == FAULT_EXIT) && k == ft->messages / 2)
        misbehave(ft->fault);
    if (ft->fault != FAULT_DROP_BODY || k < FAULT_AT)
        return ft->real->recv(ch, buf, len, msg, err);
    r = ft->real->recv(ch, ft->scratch, len, msg, err);
    if (r == 0) {                       /* the header alone reaches buf */
        memcpy(buf, *msg, len < VERIFY_HDR_BYTES ? len : VERIFY_HDR_BYTES);
        *msg = buf;
    }
    return r;
}

const struct transport *fault_wrap(struct fault_transport *ft,
                                   const struct transport *real,
                                   enum test_fault fault)
{
    memset(ft, 0, sizeof(*ft));
    ft->tp = *real;
    ft->real = real;
    ft->fault = fault;
    ft->tp.attach = fault_attach;
    ft->tp.detach = fault_detach;
    if (real->send != NULL)
        ft->tp.send = fault_send;
    if (real->recv != NULL)
        ft->tp.recv = fault_recv;
    return &ft->tp;
}
