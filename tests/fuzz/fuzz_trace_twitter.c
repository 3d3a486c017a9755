/* fuzz_trace_twitter: the twitter trace reader (traces/FORMAT.md), from the first
 * bytes, zstd-compressed or not, through trace_next's checks. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fuzz_trace(data, size, "twitter");
}
