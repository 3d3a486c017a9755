/* fuzz: what the fuzz targets share (tests/fuzz/README.md).
 *
 * Every target is one file defining LLVMFuzzerTestOneInput over the
 * project's library functions.  Built with clang's libFuzzer
 * (-DFRAGSIM_FUZZ=ON) it explores; built with any compiler and
 * fuzz_replay.c's main it replays a corpus directory, which is how the
 * ordinary test suite runs every target's regression corpus. */
#ifndef FRAGSIM_FUZZ_H
#define FRAGSIM_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The bytes as a file: an anonymous memory file whose path
 * ("/proc/self/fd/N", into path) any reader that takes a path can open.
 * Returns its descriptor (close it when done), or -1. */
int fuzz_memfile(const uint8_t *data, size_t size, char *path, size_t n);

/* The bytes as a NUL-terminated string (malloc'd; free it). */
char *fuzz_string(const uint8_t *data, size_t size);

/* Reads the bytes as a trace of the given format, every event through
 * trace_next's checks, then closes it.  At most FUZZ_MAX_EVENTS events are
 * read: a zstd frame of a few bytes can decompress to millions of them,
 * which is bounded work, but not work worth a fuzzer's time. */
#define FUZZ_MAX_EVENTS 200000
int fuzz_trace(const uint8_t *data, size_t size, const char *format);

#endif
