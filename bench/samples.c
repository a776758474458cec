/* samples.c - --samples FILE: every measured round trip as a CSV line
 * (see samples.h). */
#include "samples.h"

int samples_write(FILE *fp, const char *transport, const char *mode,
                  size_t size_bytes, const char *placement, unsigned run,
                  const uint64_t *samples_ns, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        if (samples_ns[i] == 0)         /* lost: no round trip */
            continue;
        if (fprintf(fp, "%s,%s,%zu,%s,%u,%llu,%llu\n", transport, mode,
                    size_bytes, placement, run, (unsigned long long)i,
                    (unsigned long long)samples_ns[i]) < 0)
            return -1;
    }
    return ferror(fp) ? -1 : 0;
}
