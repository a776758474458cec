/* remote_wire.c - libFuzzer target for what `ipclab serve` and its client
 * read from the network (net/remote/): the 40-byte hello a client sends
 * (remote_hello_decode + remote_hello_check), the 128-byte reply a server
 * sends (remote_reply_decode), and the HOST[:PORT] a user gives to
 * --connect and --listen (remote_split_hostport).  The input is used as all
 * three.  Properties, besides no crash and no undefined behaviour (ASan +
 * UBSan):
 *   - encoding a decoded hello gives back the same 40 bytes;
 *   - a hello the check accepts is within the server's bounds, one it
 *     refuses has a message;
 *   - a decoded reply's message is NUL-terminated and printable, and the
 *     reply survives an encode/decode round trip;
 *   - a split address has a non-empty host that fits, and a port 0-65535.
 * If the wire code moves (net/remote/), only the include below and the
 * Makefile's FUZZ_SRC_remote_wire change.
 *
 *   make fuzz && build/fuzz/remote_wire fuzz/corpus/remote_wire
 */
#include "fuzz.h"

#include "../bench/harness.h"
#include "../bench/util.h"
#include "../net/remote/remote.h"

static void fuzz_hello(const uint8_t *data, size_t size)
{
    struct remote_hello h;
    uint8_t again[REMOTE_HELLO_BYTES];
    char err[ERR_LEN] = "";

    if (size < REMOTE_HELLO_BYTES)
        return;
    remote_hello_decode(data, &h);
    remote_hello_encode(&h, again);
    FUZZ_CHECK(memcmp(again, data, REMOTE_HELLO_BYTES) == 0);
    if (remote_hello_check(&h, err) == 0) {
        FUZZ_CHECK(h.msg_bytes >= 1 && h.msg_bytes <= REMOTE_MAX_MSG_BYTES);
        /* messages 0 is the probe a client sends before a run */
        FUZZ_CHECK(h.messages <= REMOTE_MAX_MESSAGES);
        FUZZ_CHECK(h.proto == REMOTE_TCP || h.proto == REMOTE_UDP);
        FUZZ_CHECK(h.proto == REMOTE_TCP || h.messages == 0 ||
                   (h.udp_port >= 1 && h.udp_port <= 65535));
    } else {
        FUZZ_CHECK(err[0] != '\0' && strnlen(err, ERR_LEN) < ERR_LEN);
    }
}

static void fuzz_reply(const uint8_t *data, size_t size)
{
    uint8_t wire[REMOTE_REPLY_BYTES] = { 0 }, again[REMOTE_REPLY_BYTES];
    struct remote_reply r, r2;
    char err[ERR_LEN] = "";
    size_t len;

    memcpy(wire, data, size < sizeof(wire) ? size : sizeof(wire));
    if (remote_reply_decode(wire, &r, err) != 0) {
        FUZZ_CHECK(err[0] != '\0');
        return;
    }
    len = strnlen(r.msg, REMOTE_MSG_LEN);
    FUZZ_CHECK(len < REMOTE_MSG_LEN);
    for (size_t i = 0; i < len; i++)
        FUZZ_CHECK(r.msg[i] >= 0x20 && r.msg[i] <= 0x7e);
    remote_reply_encode(&r, again);
    FUZZ_CHECK(remote_reply_decode(again, &r2, err) == 0);
    FUZZ_CHECK(r2.status == r.status && r2.udp_port == r.udp_port &&
               r2.verified == r.verified && r2.received == r.received &&
               r2.lost == r.lost && r2.duplicated == r.duplicated &&
               r2.reordered == r.reordered && strcmp(r2.msg, r.msg) == 0);
}

static void fuzz_hostport(const uint8_t *data, size_t size)
{
    char spec[300], host[256], port[16], err[ERR_LEN] = "";
    unsigned long v;

    fuzz_string(data, size, spec, sizeof(spec));
    if (remote_split_hostport(spec, host, sizeof(host), port, sizeof(port),
                              REMOTE_DEFAULT_PORT, size % 2, err) != 0) {
        FUZZ_CHECK(err[0] != '\0');
        return;
    }
    FUZZ_CHECK(host[0] != '\0' && strlen(host) < sizeof(host));
    FUZZ_CHECK(parse_ulong(port, &v) == 0 && v <= 65535);
    FUZZ_CHECK(v != 0 || size % 2 == 1);        /* 0 only when allowed */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_hello(data, size);
    fuzz_reply(data, size);
    fuzz_hostport(data, size);
    return 0;
}
