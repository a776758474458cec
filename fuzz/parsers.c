/* parsers.c - libFuzzer target for the command-line number parsers of
 * bench/util.c: parse_size ("64", "4K", "1MiB"), parse_ulong, and
 * parse_interval ("250us", "1 ms").  Besides "no crash, no undefined
 * behaviour, no out-of-bounds read" (ASan + UBSan), each accepted value must
 * be what the suite promises: a size or interval is never 0, and printing a
 * value back (format_size, format_interval, %lu) and parsing the text again
 * gives the same value.
 *
 *   make fuzz && build/fuzz/parsers fuzz/corpus/parsers     (until Ctrl-C)
 */
#include "fuzz.h"

#include "../bench/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char s[256], text[64];
    size_t bytes, again_bytes;
    unsigned long n, again_n;
    uint64_t ns, again_ns;

    fuzz_string(data, size, s, sizeof(s));

    if (parse_size(s, &bytes) == 0) {
        FUZZ_CHECK(bytes > 0);
        format_size(bytes, text, sizeof(text));
        FUZZ_CHECK(parse_size(text, &again_bytes) == 0);
        FUZZ_CHECK(again_bytes == bytes);
    }
    if (parse_ulong(s, &n) == 0) {
        snprintf(text, sizeof(text), "%lu", n);
        FUZZ_CHECK(parse_ulong(text, &again_n) == 0 && again_n == n);
    }
    if (parse_interval(s, &ns) == 0) {
        FUZZ_CHECK(ns > 0);
        format_interval(ns, text, sizeof(text));
        FUZZ_CHECK(parse_interval(text, &again_ns) == 0);
        FUZZ_CHECK(again_ns == ns);
    }
    return 0;
}
