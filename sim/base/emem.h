/* emem: the engine's own memory, kept out of the allocator under test.
 *
 * DESIGN.md decision 2: the measured heap holds simulated data only.  Every
 * structure the engine needs (keyspace table, key bytes, expiry heap, read and
 * write buffers) comes from here, straight from mmap, so that the allocator's
 * statistics and the "heap RSS" figure count nothing but simulated values.
 *
 * Every region is tracked so emem_resident() can ask the kernel (mincore) how
 * much of the engine's memory is resident; the sampler subtracts it from the
 * process RSS.  Not thread-safe: the engine is single-threaded. */
#ifndef FRAGSIM_EMEM_H
#define FRAGSIM_EMEM_H

#include <stddef.h>
#include <stdint.h>

/* Maps `bytes` (rounded up to pages) of zeroed memory.  Returns NULL when the
 * kernel refuses. */
void *emem_map(size_t bytes);

/* Grows or shrinks a region made by emem_map, possibly moving it; the
 * contents up to min(old, new) are kept and new bytes are zero.  Returns NULL
 * (the old region intact) when the kernel refuses. */
void *emem_remap(void *p, size_t old_bytes, size_t new_bytes);

void emem_unmap(void *p, size_t bytes);

/* Small objects (key bytes and the like), 1..EMEM_SMALL_MAX bytes, from size
 * classes carved out of mapped chunks.  emem_free must be given the same size
 * as emem_alloc.  Returns NULL when out of memory or n is out of range. */
#define EMEM_SMALL_MAX ((size_t)1 << 17)
void *emem_alloc(size_t n);
void emem_free(void *p, size_t n);

/* Bytes of all live engine regions that are resident now (mincore, exact at
 * page granularity), and bytes mapped. */
uint64_t emem_resident(void);
uint64_t emem_mapped(void);

/* Calls fn(arg, addr, bytes) for every live engine region (page maps leave
 * them out: they are not the heap).  fn must not map or unmap. */
void emem_each_region(void (*fn)(void *arg, const void *addr, size_t bytes), void *arg);

#endif
