#define _GNU_SOURCE
#include "emem.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Debug mode (-DFRAGSIM_EMEM_DEBUG=ON, with the sanitizer): every region and
 * small object comes from malloc at its exact size, so AddressSanitizer sees
 * an overflow of a reader's buffer, which inside a page-rounded mapping or a
 * size class it could not.  The figures then count that memory in the heap:
 * a sanitizer build measures nothing, it only checks. */
#ifdef FRAGSIM_EMEM_DEBUG
#define EMEM_DEBUG 1
#else
#define EMEM_DEBUG 0
#endif

/* The region registry is itself an mmap'd array, grown by mremap, so that
 * tracking engine memory never touches malloc. */
typedef struct emem_region {
    void *addr;
    size_t bytes;
} emem_region;

static emem_region *regions;
static size_t nregions, cap_regions;
static size_t page_size;

static size_t page_round(size_t n) {
    if (page_size == 0) page_size = (size_t)sysconf(_SC_PAGESIZE);
    return (n + page_size - 1) & ~(page_size - 1);
}

static int registry_add(void *addr, size_t bytes) {
    if (nregions == cap_regions) {
        size_t old = cap_regions * sizeof *regions;
        size_t cap = cap_regions ? cap_regions * 2 : 256;
        void *p = old ? mremap(regions, old, cap * sizeof *regions, MREMAP_MAYMOVE)
                      : mmap(NULL, cap * sizeof *regions, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return -1;
        regions = p;
        cap_regions = cap;
    }
    regions[nregions].addr = addr;
    regions[nregions].bytes = bytes;
    nregions++;
    return 0;
}

static emem_region *registry_find(void *addr) {
    for (size_t i = nregions; i-- > 0;)
        if (regions[i].addr == addr) return &regions[i];
    return NULL;
}

void *emem_map(size_t bytes) {
    if (EMEM_DEBUG) {
        void *d = calloc(1, bytes ? bytes : 1);
        if (d != NULL && registry_add(d, bytes ? bytes : 1) != 0) {
            free(d);
            return NULL;
        }
        return d;
    }
    bytes = page_round(bytes ? bytes : 1);
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
    if (registry_add(p, bytes) != 0) {
        munmap(p, bytes);
        return NULL;
    }
    return p;
}

void *emem_remap(void *p, size_t old_bytes, size_t new_bytes) {
    if (p == NULL) return emem_map(new_bytes);
    emem_region *r = registry_find(p);
    if (r == NULL) return NULL;
    (void)old_bytes; /* the registry knows the true mapped size */
    if (EMEM_DEBUG) {
        size_t n = new_bytes ? new_bytes : 1;
        char *q = realloc(p, n);
        if (q == NULL) return NULL;
        if (n > r->bytes) memset(q + r->bytes, 0, n - r->bytes);
        r->addr = q;
        r->bytes = n;
        return q;
    }
    new_bytes = page_round(new_bytes ? new_bytes : 1);
    void *q = mremap(p, r->bytes, new_bytes, MREMAP_MAYMOVE);
    if (q == MAP_FAILED) return NULL;
    r->addr = q;
    r->bytes = new_bytes;
    return q;
}

void emem_unmap(void *p, size_t bytes) {
    if (p == NULL) return;
    emem_region *r = registry_find(p);
    if (r != NULL) {
        bytes = r->bytes;
        *r = regions[--nregions];
    }
    if (EMEM_DEBUG) free(p);
    else munmap(p, page_round(bytes));
}

/* Small objects: power-of-two classes from 16 B to EMEM_SMALL_MAX, each with
 * a free list threaded through the freed objects.  Chunks are never returned:
 * the engine's key bytes peak with the keyspace and the waste is reported as
 * engine memory, not as the allocator's. */
#define EMEM_MIN_SHIFT 4
#define EMEM_NCLASSES 14 /* 16 B .. 128 KiB */
#define EMEM_CHUNK ((size_t)1 << 20)

static void *free_lists[EMEM_NCLASSES];
static char *chunk_cur, *chunk_end;

static int size_class(size_t n) {
    int c = 0;
    size_t s = (size_t)1 << EMEM_MIN_SHIFT;
    while (s < n) {
        s <<= 1;
        c++;
    }
    return c;
}

void *emem_alloc(size_t n) {
    if (n == 0 || n > EMEM_SMALL_MAX) return NULL;
    if (EMEM_DEBUG) return calloc(1, n);
    int c = size_class(n);
    size_t sz = (size_t)1 << (c + EMEM_MIN_SHIFT);
    if (free_lists[c] != NULL) {
        void *p = free_lists[c];
        memcpy(&free_lists[c], p, sizeof(void *));
        return p;
    }
    if ((size_t)(chunk_end - chunk_cur) < sz) {
        /* The tail of the old chunk is abandoned: at most one object's worth. */
        char *chunk = emem_map(EMEM_CHUNK);
        if (chunk == NULL) return NULL;
        chunk_cur = chunk;
        chunk_end = chunk + EMEM_CHUNK;
    }
    void *p = chunk_cur;
    chunk_cur += sz;
    return p;
}

void emem_free(void *p, size_t n) {
    if (p == NULL) return;
    if (EMEM_DEBUG) {
        free(p);
        return;
    }
    int c = size_class(n);
    memcpy(p, &free_lists[c], sizeof(void *));
    free_lists[c] = p;
}

uint64_t emem_resident(void) {
    unsigned char vec[4096];
    uint64_t resident = 0;
    page_round(1);
    if (EMEM_DEBUG) return emem_mapped(); /* malloc'd: not page-aligned for mincore */
    for (size_t i = 0; i < nregions; i++) {
        char *addr = regions[i].addr;
        size_t pages = regions[i].bytes / page_size;
        while (pages > 0) {
            size_t n = pages < sizeof vec ? pages : sizeof vec;
            if (mincore(addr, n * page_size, vec) == 0)
                for (size_t j = 0; j < n; j++) resident += vec[j] & 1;
            addr += n * page_size;
            pages -= n;
        }
    }
    return resident * page_size;
}

uint64_t emem_mapped(void) {
    uint64_t total = 0;
    for (size_t i = 0; i < nregions; i++) total += regions[i].bytes;
    return total;
}

void emem_each_region(void (*fn)(void *arg, const void *addr, size_t bytes), void *arg) {
    for (size_t i = 0; i < nregions; i++) fn(arg, regions[i].addr, regions[i].bytes);
}
