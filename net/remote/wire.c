/* wire.c - the two-host protocol of ipclab: what `ipclab run tcp|udp
 * --connect` and `ipclab serve` say to each other.
 *
 * Between two hosts there is no fork and no shared parent, so the consumer
 * runs as a server and the producer tells it, in a short hello, what run
 * to expect.  The server then runs the very consumer loop the local
 * consumer runs (bench_consume), so verification and counting are the same
 * code on both sides.  One TCP connection per run carries the hello, the
 * answer, the data (TCP) and the final result; UDP runs add one connected
 * UDP socket per side for the data.
 *
 * Protocol (every integer big-endian; sizes in remote.h):
 *
 *      client (ipclab run tcp --connect)      server (ipclab serve)
 *      ---------------------------------      ---------------------
 *      connect ----------------------------> accept; greeting deadline
 *      hello {magic, version, proto, mode,    read 40 bytes, check every
 *             verify, udp port, size, count}  bound; fork the session
 *                  <------------------------- answer {status, udp port, msg}
 *                                             (status 1: refused or busy)
 *      messages (TCP stream or UDP) -------> bench_consume(): verify each,
 *                  <------------------------- (latency: echo each one)
 *      finish(): [UDP: empty datagram,        (the run's deadline and the
 *                 then 1 byte "done" on TCP]   idle limit hold throughout)
 *                  <------------------------- result {status, verified,
 *                                              received, lost, dup, reord.}
 *      close                                  close, log one line
 *
 * A probe is a hello with no messages: the server checks it, answers and
 * hangs up.  Clients send one before their first run (check_size), so a
 * wrong address or a refusing server is a usage error before anything is
 * forked.  A hello that is garbage, too big or from another version gets
 * an answer with status 1 and a reason; so does a valid one when the
 * server already runs its maximum of sessions ("busy").  A run that fails
 * on the server (a corrupt message, a client too slow or gone) ends the
 * session: a throughput client finds the reason in the result, for which
 * the server keeps reading (and discarding) until the client closes -
 * closing on unread data would reset the connection and lose the reply;
 * a latency client sees the connection close.
 *
 * This file is the format alone: encoding, decoding and the bounds a
 * server checks before it allocates anything.  Nothing here does I/O.
 */
#include <string.h>

#include "../../bench/util.h"
#include "../inet.h"
#include "remote.h"

/* ---- wire format ------------------------------------------------------ */

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)get32(p) << 32 | get32(p + 4);
}

void remote_hello_encode(const struct remote_hello *h,
                         uint8_t out[REMOTE_HELLO_BYTES])
{
    put32(out, h->magic);
    put32(out + 4, h->version);
    put32(out + 8, h->proto);
    put32(out + 12, h->mode);
    put32(out + 16, h->verify);
    put32(out + 20, h->udp_port);
    put64(out + 24, h->msg_bytes);
    put64(out + 32, h->messages);
}

void remote_hello_decode(const uint8_t in[REMOTE_HELLO_BYTES],
                         struct remote_hello *h)
{
    h->magic = get32(in);
    h->version = get32(in + 4);
    h->proto = get32(in + 8);
    h->mode = get32(in + 12);
    h->verify = get32(in + 16);
    h->udp_port = get32(in + 20);
    h->msg_bytes = get64(in + 24);
    h->messages = get64(in + 32);
}

int remote_hello_check(const struct remote_hello *h, char *err)
{
    if (h->magic != REMOTE_MAGIC)
        return err_set(err, "not an ipclab client (bad magic 0x%08x)",
                       (unsigned)h->magic);
    if (h->version != REMOTE_VERSION)
        return err_set(err, "protocol version %u, this server speaks %u",
                       (unsigned)h->version, REMOTE_VERSION);
    if (h->proto != REMOTE_TCP && h->proto != REMOTE_UDP)
        return err_set(err, "unknown transport %u", (unsigned)h->proto);
    if (h->mode != MODE_THROUGHPUT && h->mode != MODE_LATENCY)
        return err_set(err, "unknown mode %u", (unsigned)h->mode);
    if (h->verify != VERIFY_SUM && h->verify != VERIFY_FULL)
        return err_set(err, "unknown verify level %u", (unsigned)h->verify);
    if (h->msg_bytes == 0 || h->msg_bytes > REMOTE_MAX_MSG_BYTES)
        return err_set(err, "message size %llu outside 1..%llu",
                       (unsigned long long)h->msg_bytes,
                       (unsigned long long)REMOTE_MAX_MSG_BYTES);
    if (h->proto == REMOTE_UDP &&
        (h->msg_bytes < UDP_MIN_PAYLOAD || h->msg_bytes > UDP_MAX_PAYLOAD_V6))
        return err_set(err, "UDP message size %llu outside %u..%u",
                       (unsigned long long)h->msg_bytes, UDP_MIN_PAYLOAD,
                       UDP_MAX_PAYLOAD_V6);
    if (h->proto == REMOTE_UDP && h->messages != 0 &&
        (h->udp_port == 0 || h->udp_port > 65535))
        return err_set(err, "bad UDP port %u", (unsigned)h->udp_port);
    if (h->proto == REMOTE_UDP && h->messages > REMOTE_MAX_UDP_MESSAGES)
        return err_set(err, "UDP message count %llu over %llu (the server "
                            "keeps one bit per message)",
                       (unsigned long long)h->messages,
                       (unsigned long long)REMOTE_MAX_UDP_MESSAGES);
    if (h->messages > REMOTE_MAX_MESSAGES)
        return err_set(err, "message count %llu over %llu",
                       (unsigned long long)h->messages,
                       (unsigned long long)REMOTE_MAX_MESSAGES);
    return 0;
}

void remote_reply_encode(const struct remote_reply *r,
                         uint8_t out[REMOTE_REPLY_BYTES])
{
    memset(out, 0, REMOTE_REPLY_BYTES);
    put32(out, r->magic);
    put32(out + 4, r->status);
    put32(out + 8, r->udp_port);
    put32(out + 12, r->verified);
    put64(out + 16, r->received);
    put64(out + 24, r->lost);
    put64(out + 32, r->duplicated);
    put64(out + 40, r->reordered);
    memcpy(out + 48, r->msg, strnlen(r->msg, REMOTE_MSG_LEN - 1));
}

int remote_reply_decode(const uint8_t in[REMOTE_REPLY_BYTES],
                        struct remote_reply *r, char *err)
{
    r->magic = get32(in);
    if (r->magic != REMOTE_MAGIC)
        return err_set(err, "the server is not an ipclab server "
                            "(bad magic in its reply)");
    r->status = get32(in + 4);
    r->udp_port = get32(in + 8);
    r->verified = get32(in + 12);
    r->received = get64(in + 16);
    r->lost = get64(in + 24);
    r->duplicated = get64(in + 32);
    r->reordered = get64(in + 40);
    memcpy(r->msg, in + 48, REMOTE_MSG_LEN);
    r->msg[REMOTE_MSG_LEN - 1] = '\0';
    for (char *c = r->msg; *c != '\0'; c++)     /* print it safely */
        if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
            *c = '?';
    return 0;
}
