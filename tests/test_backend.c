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

const backend_ops test_backend = {
    .name = "test",
    .description = "malloc with 16-byte usable sizes, for tests",
    .init = tb_init,
    .alloc = tb_alloc,
    .free = tb_free,
    .stats = tb_stats,
    .purge = tb_purge,
};
