/* copy.c - copy_bytes(): see copy.h for why it is not memcpy. */
#include <string.h>

#include "copy.h"

typedef unsigned char v32 __attribute__((vector_size(32), aligned(1)));

/* 64 bytes a step in two 32-byte vectors, then the tail with memcpy (under
 * 64 bytes: no rep movsb).  aligned(1) makes the loads and stores
 * unaligned-safe. */
__attribute__((target("avx2")))
static void copy_avx2(unsigned char *d, const unsigned char *s, size_t n)
{
    size_t k = 0;

    for (; k + 64 <= n; k += 64) {
        v32 a = *(const v32 *)(s + k), b = *(const v32 *)(s + k + 32);

        *(v32 *)(d + k) = a;
        *(v32 *)(d + k + 32) = b;
    }
    memcpy(d + k, s + k, n - k);
}

void copy_bytes(void *dst, const void *src, size_t n)
{
    static int use_avx2 = -1;   /* decided once; a benign race */

    if (use_avx2 < 0)
        use_avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
    if (use_avx2)
        copy_avx2(dst, src, n);
    else
        memcpy(dst, src, n);
}
