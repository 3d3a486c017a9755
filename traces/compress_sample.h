/* compress_sample: the real zstd ratio and CPU cost of the user's own data,
 * for --compress-sample FILE (the remedy "compress large values" measured
 * rather than guessed).
 *
 * The file stands for one value: it is compressed whole, as one zstd frame,
 * the way a client would compress a value before SET.  A sample made of
 * many values concatenated compresses better than each would alone (zstd
 * finds repeats across them), so the ratio is then optimistic for small
 * values; give one typical value, or a few of the sizes compressed. */
#ifndef FRAGSIM_COMPRESS_SAMPLE_H
#define FRAGSIM_COMPRESS_SAMPLE_H

#include <stdint.h>

#include "../sim/base/fs_err.h"

/* At most this much of the file is read (a larger one is cut here). */
#define COMPRESS_SAMPLE_MAX ((uint64_t)64 << 20)

typedef struct compress_measure {
    uint64_t in_bytes;   /* of the sample read */
    uint64_t out_bytes;  /* its zstd frame */
    double ratio;        /* out / in */
    double cpu_per_byte; /* CPU seconds per input byte (this thread's CPU clock) */
    unsigned repeats;    /* compressions timed, for a steady figure on small samples */
    double cpu_seconds;  /* spent measuring */
} compress_measure;

/* zstd's levels: the accepted range for --compress-level. */
int compress_level_min(void);
int compress_level_max(void);

/* Checks that path is a readable, non-empty regular file.  Returns 0 or -1
 * with err saying what is wrong with it. */
int compress_sample_check(const char *path, fs_err *err);

/* Reads the file and compresses it at `level`.  Memory is the engine's own
 * (sim/emem.h), zstd's included: this runs in the worker before the replay
 * and must leave the allocator under test untouched.  Returns 0 or -1. */
int compress_sample_measure(const char *path, int level, compress_measure *m, fs_err *err);

#endif
