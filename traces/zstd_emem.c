#include "zstd_emem.h"

#include <string.h>

#include "../sim/base/emem.h"

/* Each allocation is a mapping of its own with its size in a header, since
 * zstd's free callback gets only the pointer; zstd makes a handful of large
 * allocations per stream or context, so this costs nothing. */
#define ZMEM_HEADER 64

static void *zmem_alloc(void *opaque, size_t size) {
    (void)opaque;
    size_t total = size + ZMEM_HEADER;
    unsigned char *p = emem_map(total);
    if (p == NULL) return NULL;
    memcpy(p, &total, sizeof total);
    return p + ZMEM_HEADER;
}

static void zmem_free(void *opaque, void *addr) {
    (void)opaque;
    if (addr == NULL) return;
    unsigned char *p = (unsigned char *)addr - ZMEM_HEADER;
    size_t total;
    memcpy(&total, p, sizeof total);
    emem_unmap(p, total);
}

ZSTD_customMem zstd_emem(void) { return (ZSTD_customMem){zmem_alloc, zmem_free, NULL}; }
