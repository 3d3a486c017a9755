#include "redis_version.h"

#include <string.h>

static const char *const names[] = {"7.0", "7.2", "7.4"};

int redis_version_parse(const char *s, redis_version *out, fs_err *err) {
    for (unsigned v = 0; v < sizeof names / sizeof names[0]; v++)
        if (strcmp(s, names[v]) == 0) {
            *out = (redis_version)v;
            return 0;
        }
    return fs_errf(err, "--redis-version '%s': expected 7.0, 7.2 or 7.4", s);
}

const char *redis_version_name(redis_version v) {
    return (unsigned)v < sizeof names / sizeof names[0] ? names[v] : "?";
}

int redis_version_frag_from_bins(redis_version v) { return v >= REDIS_VERSION_7_4; }

/* Measured on this project's test machine (Debian 12, x86-64) with
 * allocators/redis-jemalloc/measure_startup.sh, three starts each:
 *   /usr/bin/redis-server           used_memory 939320 939320 939448,
 *                                   used_memory_rss 12484608 12292096 12406784
 *   deps/redis-server-7.0.15        used_memory 921880 921944 921848,
 *   (build_redis.sh)                used_memory_rss 6283264 6127616 6004736
 * Debian's server is linked against shared libraries (libjemalloc, libssl,
 * liblua, libsystemd ...) whose resident pages count in its RSS; upstream's
 * is one static binary. */
static const redis_startup debian = {"jemalloc", "Debian redis-server 7.0.15", "jemalloc-5.3.0",
                                     939320, 12406784, 1};
static const redis_startup upstream = {"jemalloc-redis",
                                       "upstream redis-server 7.0.15 (make MALLOC=jemalloc)",
                                       "jemalloc-5.2.1", 921880, 6127616, 1};

redis_startup redis_version_startup(const char *allocator, redis_version v) {
    redis_startup s = debian;
    if (allocator != NULL &&
        (strcmp(allocator, "jemalloc-redis") == 0 || strcmp(allocator, "jemalloc-5.3-q8") == 0))
        s = upstream;
    if (allocator == NULL || strcmp(allocator, s.allocator) != 0 || v != REDIS_VERSION_7_0) {
        /* No build of this allocator or version was measured: the nearest
         * stands in, and says so. */
        s.allocator = allocator != NULL ? allocator : "";
        s.measured = 0;
    }
    return s;
}

typedef struct smallbins {
    uint64_t bytes;
} smallbins;

static void add_bin(void *arg, const backend_bin *b) {
    smallbins *sb = arg;
    uint64_t regs = b->nregs * b->curslabs;
    if (regs > b->curregs) sb->bytes += (regs - b->curregs) * b->size;
}

int redis_version_smallbins_frag(const backend_ops *be, void *state, uint64_t *out, fs_err *err) {
    *out = 0;
    if (be->bins == NULL) return 0;
    smallbins sb = {0};
    if (be->bins(state, add_bin, &sb, err) != 0) return -1;
    *out = sb.bytes;
    return 1;
}
