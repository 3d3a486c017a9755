#include "test_backend.h"

#include <stdlib.h>
#include <string.h>

test_backend_counts test_counts;

static int tb_init(void **state, fs_err *err) {
    (void)err;
    *state = NULL;
    memset(&test_counts, 0, sizeof test_counts);
    return 0;
}

static void *tb_alloc(void *state, size_t size, size_t *usable) {
    (void)state;
    if (test_counts.fail_next_alloc) {
        test_counts.fail_next_alloc = 0;
        return NULL;
    }
    size_t u = (size + 15) & ~(size_t)15;
    void *p = malloc(u);
    if (p == NULL) return NULL;
    *usable = u;
    test_counts.allocs++;
    test_counts.live_bytes += size;
    return p;
}

static void tb_free(void *state, void *p, size_t size) {
    (void)state;
    free(p);
    test_counts.frees++;
    test_counts.live_bytes -= size;
}

/* In place while the 16-byte class holds the new size, else a move (a new
 * block, the bytes copied, the old freed), as a slab allocator does. */
static void *tb_realloc(void *state, void *p, size_t old_size, size_t size, size_t *usable) {
    (void)state;
    size_t u = (size + 15) & ~(size_t)15;
    test_counts.reallocs++;
    if (u != ((old_size + 15) & ~(size_t)15)) {
        void *q = malloc(u);
        if (q == NULL) return NULL;
        memcpy(q, p, old_size < size ? old_size : size);
        free(p);
        p = q;
        test_counts.realloc_moves++;
    }
    *usable = u;
    test_counts.live_bytes += size - old_size;
    return p;
}

static int tb_stats(void *state, backend_stats *out, fs_err *err) {
    (void)state, (void)err;
    memset(out, 0, sizeof *out);
    out->allocated = test_counts.live_bytes;
    out->have = BACKEND_HAVE_ALLOCATED;
    return 0;
}

static int tb_purge(void *state, fs_err *err) {
    (void)state, (void)err;
    test_counts.purges++;
    return 0;
}

static int tb_heaps_create(void *state, int n, fs_err *err) {
    (void)state, (void)err;
    test_counts.heaps = n;
    return 0;
}

#define TB_HDR 16

static void *tb_heap_alloc(void *state, int h, size_t size, size_t *usable) {
    (void)state;
    size_t u = (size + 15) & ~(size_t)15;
    unsigned char *p = malloc(u + TB_HDR);
    if (p == NULL) return NULL;
    memcpy(p, &h, sizeof h);
    *usable = u;
    test_counts.allocs++;
    test_counts.heap_live[h] += size;
    return p + TB_HDR;
}

static void tb_heap_free(void *state, int h, void *q, size_t size) {
    (void)state;
    unsigned char *p = (unsigned char *)q - TB_HDR;
    int from;
    memcpy(&from, p, sizeof from);
    if (from != h) test_counts.heap_mismatches++;
    free(p);
    test_counts.frees++;
    test_counts.heap_live[h] -= size;
}

static int tb_heap_stats(void *state, int h, backend_stats *out, fs_err *err) {
    (void)state, (void)err;
    memset(out, 0, sizeof *out);
    out->allocated = test_counts.heap_live[h];
    out->have = BACKEND_HAVE_ALLOCATED;
    return 0;
}

const backend_ops test_backend_heaps = {
    .name = "test-heaps",
    .description = "the test backend with heaps",
    .init = tb_init,
    .alloc = tb_alloc,
    .free = tb_free,
    .stats = tb_stats,
    .purge = tb_purge,
    .heaps_create = tb_heaps_create,
    .heap_alloc = tb_heap_alloc,
    .heap_free = tb_heap_free,
    .heap_stats = tb_heap_stats,
    .heap_kind = "test heap",
};

const backend_ops test_backend = {
    .name = "test",
    .description = "malloc with 16-byte usable sizes, for tests",
    .init = tb_init,
    .alloc = tb_alloc,
    .free = tb_free,
    .realloc = tb_realloc,
    .stats = tb_stats,
    .purge = tb_purge,
};
