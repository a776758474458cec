/* copy.h - the copy loop that shared-memory transports use for their
 * bytes.
 *
 * Why not memcpy(3): glibc 2.36's memcpy uses `rep movsb` from 8 KiB to
 * about 1 MiB, and on AMD Zen 3/4 that instruction slows several-fold when
 * the distance between destination and source, modulo 4096, is small.  A
 * ring whose records start 8 bytes after a header moves that distance with
 * every message, so the same run went at half speed or full speed by the
 * luck of the addresses.  A plain loop of 32-byte vector loads and stores
 * (AVX2 where the CPU has it, chosen once at run time) runs at the same
 * speed whatever the addresses. */
#ifndef IPCLAB_COPY_H
#define IPCLAB_COPY_H

#include <stddef.h>

void copy_bytes(void *dst, const void *src, size_t n);

#endif
