/* A test backend: plain malloc with usable sizes rounded up to 16 bytes, and
 * counters, so engine tests can check exactly what the engine asked of its
 * allocator without depending on any real allocator's behaviour. */
#ifndef FRAGSIM_TEST_BACKEND_H
#define FRAGSIM_TEST_BACKEND_H

#include "../allocators/backend.h"

typedef struct test_backend_counts {
    uint64_t allocs, frees, purges;
    uint64_t reallocs, realloc_moves; /* realloc calls; those that moved */
    uint64_t live_bytes; /* requested bytes not yet freed */
    int fail_next_alloc; /* makes the next alloc return NULL */
    /* test_backend_heaps: each heap's requested bytes not yet freed, and
     * frees naming another heap than the block came from. */
    uint64_t heap_live[16];
    uint64_t heap_mismatches;
    int heaps;           /* heaps_create's n */
} test_backend_counts;

extern test_backend_counts test_counts;
extern const backend_ops test_backend;
/* The same with heaps: a heap block carries its heap in a header, so a
 * free to the wrong heap is counted. */
extern const backend_ops test_backend_heaps;

#endif
