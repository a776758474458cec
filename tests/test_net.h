/* test_net.h - what the network suites share (tests/test_net.c, where it
 * is defined; tests/test_serve.c uses it too).
 */
#ifndef IPCLAB_TEST_NET_H
#define IPCLAB_TEST_NET_H

#include <stddef.h>
#include <stdint.h>

/* Run both modes of transport with full verification: `messages` per
 * throughput run, `iterations` round trips (+ warm-up) in latency mode;
 * every message verified, none lost, duplicated or reordered over tcp. */
void net_assert_moves(const char *transport, size_t size, uint64_t messages,
                      uint64_t iterations);

#endif
