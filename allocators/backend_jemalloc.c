/* jemalloc backend (Debian's libjemalloc 5.3, unprefixed API).
 *
 * Values are allocated with mallocx/sdallocx rather than malloc/free: the
 * explicit API reaches jemalloc even in a sanitizer build, where malloc
 * belongs to the sanitizer, and the sized free spares jemalloc a lookup, as
 * a server that knows its sizes would.  Statistics are the process-wide
 * totals Redis's INFO memory reads: stats.allocated, active, resident,
 * mapped, retained, metadata after an `epoch` refresh. */
#include <jemalloc/jemalloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

static int read_size(const char *name, uint64_t *out, fs_err *err) {
    size_t v, len = sizeof v;
    int rc = mallctl(name, &v, &len, NULL, 0);
    if (rc != 0) return fs_errf(err, "jemalloc mallctl('%s') failed: %s", name, strerror(rc));
    *out = v;
    return 0;
}

static int je_init(void **state, fs_err *err) {
    *state = NULL;
    bool stats_on = false;
    size_t len = sizeof stats_on;
    if (mallctl("config.stats", &stats_on, &len, NULL, 0) != 0 || !stats_on)
        return fs_errf(err, "this jemalloc was built without statistics (config.stats): "
                       "fragsim cannot measure it");
    return 0;
}

static void *je_alloc(void *state, size_t size, size_t *usable) {
    (void)state;
    void *p = mallocx(size, 0);
    if (p != NULL) *usable = sallocx(p, 0);
    return p;
}

static void je_free(void *state, void *p, size_t size) {
    (void)state;
    sdallocx(p, size, 0);
}

static int je_stats(void *state, backend_stats *out, fs_err *err) {
    (void)state;
    uint64_t epoch = 1;
    size_t len = sizeof epoch;
    if (mallctl("epoch", &epoch, &len, &epoch, len) != 0)
        return fs_errf(err, "jemalloc mallctl('epoch') failed");
    memset(out, 0, sizeof *out);
    if (read_size("stats.allocated", &out->allocated, err) != 0 ||
        read_size("stats.active", &out->active, err) != 0 ||
        read_size("stats.resident", &out->resident, err) != 0 ||
        read_size("stats.mapped", &out->mapped, err) != 0 ||
        read_size("stats.retained", &out->retained, err) != 0 ||
        read_size("stats.metadata", &out->metadata, err) != 0)
        return -1;
    out->have = BACKEND_HAVE_ALLOCATED | BACKEND_HAVE_ACTIVE | BACKEND_HAVE_RESIDENT |
                BACKEND_HAVE_MAPPED | BACKEND_HAVE_RETAINED | BACKEND_HAVE_METADATA;
    return 0;
}

static int je_purge(void *state, fs_err *err) {
    (void)state;
    /* MEMORY PURGE does exactly this: every arena, dirty and muzzy pages. */
    char name[64];
    snprintf(name, sizeof name, "arena.%u.purge", (unsigned)MALLCTL_ARENAS_ALL);
    int rc = mallctl(name, NULL, NULL, NULL, 0);
    if (rc != 0) return fs_errf(err, "jemalloc mallctl('%s') failed: %s", name, strerror(rc));
    return 0;
}

static const char *je_version(void *state) {
    (void)state;
    const char *v = NULL;
    size_t len = sizeof v;
    if (mallctl("version", &v, &len, NULL, 0) != 0 || v == NULL) return "unknown";
    return v;
}

static void je_settings(void *state, backend_setting_fn fn, void *arg) {
    (void)state;
    static const char *const ssize_opts[] = {"opt.dirty_decay_ms", "opt.muzzy_decay_ms"};
    static const char *const bool_opts[] = {"opt.background_thread", "opt.tcache", "opt.retain"};
    static const char *const uint_opts[] = {"opt.narenas"};
    char buf[64];
    for (size_t i = 0; i < sizeof ssize_opts / sizeof *ssize_opts; i++) {
        ssize_t v;
        size_t len = sizeof v;
        if (mallctl(ssize_opts[i], &v, &len, NULL, 0) == 0) {
            snprintf(buf, sizeof buf, "%zd", v);
            fn(arg, ssize_opts[i] + 4, buf);
        }
    }
    for (size_t i = 0; i < sizeof bool_opts / sizeof *bool_opts; i++) {
        bool v;
        size_t len = sizeof v;
        if (mallctl(bool_opts[i], &v, &len, NULL, 0) == 0) fn(arg, bool_opts[i] + 4, v ? "true" : "false");
    }
    for (size_t i = 0; i < sizeof uint_opts / sizeof *uint_opts; i++) {
        unsigned v;
        size_t len = sizeof v;
        if (mallctl(uint_opts[i], &v, &len, NULL, 0) == 0) {
            snprintf(buf, sizeof buf, "%u", v);
            fn(arg, uint_opts[i] + 4, buf);
        }
    }
    /* MALLOC_CONF as jemalloc read it at start-up (the front end passes it). */
    const char *conf = getenv("MALLOC_CONF");
    if (conf != NULL) fn(arg, "MALLOC_CONF", conf);
}

static const backend_ops jemalloc_ops = {
    .name = "jemalloc",
    .description = "jemalloc 5.x through mallocx/sdallocx and mallctl statistics",
    .init = je_init,
    .alloc = je_alloc,
    .free = je_free,
    .stats = je_stats,
    .purge = je_purge,
    .version = je_version,
    .settings = je_settings,
    .fini = NULL,
};

const backend_ops *const backend_self = &jemalloc_ops;
