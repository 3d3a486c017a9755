/* zstd_emem: zstd's memory from engine memory (sim/emem.h), so that
 * decompressing a trace or measuring a compression sample never touches
 * the allocator under test. */
#ifndef FRAGSIM_ZSTD_EMEM_H
#define FRAGSIM_ZSTD_EMEM_H

/* ZSTD_customMem and the ZSTD_create*_advanced calls are in zstd's "static
 * linking only" section; Debian's shared libzstd exports them. */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

/* The allocator to give ZSTD_create*_advanced. */
ZSTD_customMem zstd_emem(void);

#endif
