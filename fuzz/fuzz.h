/* fuzz.h - what every fuzz target shares: the libFuzzer entry point and a
 * check that aborts (libFuzzer then saves the input that broke it). */
#ifndef IPCLAB_FUZZ_H
#define IPCLAB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                   \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__,      \
                    __LINE__, #cond);                                      \
            abort();                                                       \
        }                                                                  \
    } while (0)

/* The input as a C string (the parsers read strings): at most cap-1 bytes,
 * cut at the first NUL. */
static inline void fuzz_string(const uint8_t *data, size_t size, char *out,
                               size_t cap)
{
    size_t n = size < cap - 1 ? size : cap - 1;

    memcpy(out, data, n);
    out[n] = '\0';
}

#endif
