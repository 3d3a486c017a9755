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

/* ---- INFO memory's fields ----
 * The "# Memory" section of genRedisInfoString (src/server.c):
 *   7.0  read in Redis 7.0.15's source (redis_7.0.15.orig.tar.gz, the
 *        source of Debian's 7.0.15 and of the upstream build here)
 *   7.2  no 7.2 source was at hand: the section as a 7.2.2 server prints
 *        it (redis/redis issue 12876) has 7.0.15's fields in 7.0.15's order
 *   7.4  redis/redis PR 12996 adds allocator_muzzy after allocator_resident
 *        and PR 12913 mem_overhead_db_hashtable_rehashing after
 *        mem_allocator; the whole section as a 7.4.2 server prints it has
 *        exactly these fields in this order
 * Every 7.x field is printed unconditionally, in this order. */
#define V74 REDIS_VERSION_BIT(REDIS_VERSION_7_4)
#define ALL REDIS_VERSIONS_ALL

static const char dataset[] =
    "the keyspace's dicts and the server's buffers, which fragsim does not count apart";
static const char scripting[] =
    "the Lua and functions engines' memory, a property of the build, not measured";
static const char clients[] = "client buffers, not modelled";
static const char lazyfreed[] = "fragsim frees every value at once; which of them a server "
                                "would have freed in the background is not counted";
static const char no_replicas[] = "no replicas, no AOF, no cluster: 0, as on such a server";
static const char no_scripts[] = "no scripts or functions loaded: 0, as on such a server";

const redis_info_field redis_info_memory[] = {
    {"used_memory", ALL, RIS_USED_MEMORY, NULL},
    {"used_memory_human", ALL, RIS_USED_MEMORY_HUMAN, NULL},
    {"used_memory_rss", ALL, RIS_RSS, NULL},
    {"used_memory_rss_human", ALL, RIS_RSS_HUMAN, NULL},
    {"used_memory_peak", ALL, RIS_PEAK, NULL},
    {"used_memory_peak_human", ALL, RIS_PEAK_HUMAN, NULL},
    {"used_memory_peak_perc", ALL, RIS_PEAK_PERC, NULL},
    {"used_memory_overhead", ALL, RIS_LEFT_OUT, dataset},
    {"used_memory_startup", ALL, RIS_STARTUP, NULL},
    {"used_memory_dataset", ALL, RIS_LEFT_OUT, dataset},
    {"used_memory_dataset_perc", ALL, RIS_LEFT_OUT, dataset},
    {"allocator_allocated", ALL, RIS_ALLOCATED, NULL},
    {"allocator_active", ALL, RIS_ACTIVE, NULL},
    {"allocator_resident", ALL, RIS_RESIDENT, NULL},
    {"allocator_muzzy", V74, RIS_MUZZY,
     "allocator_muzzy (7.4): bytes in free pages advised MADV_FREE, still in RSS until the "
     "kernel takes them (jemalloc's pmuzzy)"},
    {"total_system_memory", ALL, RIS_SYSTEM_MEMORY, NULL},
    {"total_system_memory_human", ALL, RIS_SYSTEM_MEMORY_HUMAN, NULL},
    {"used_memory_lua", ALL, RIS_LEFT_OUT, scripting},
    {"used_memory_vm_eval", ALL, RIS_LEFT_OUT, scripting},
    {"used_memory_lua_human", ALL, RIS_LEFT_OUT, scripting},
    {"used_memory_scripts_eval", ALL, RIS_IDLE_ZERO, no_scripts},
    {"number_of_cached_scripts", ALL, RIS_IDLE_ZERO, no_scripts},
    {"number_of_functions", ALL, RIS_IDLE_ZERO, no_scripts},
    {"number_of_libraries", ALL, RIS_IDLE_ZERO, no_scripts},
    {"used_memory_vm_functions", ALL, RIS_LEFT_OUT, scripting},
    {"used_memory_vm_total", ALL, RIS_LEFT_OUT, scripting},
    {"used_memory_vm_total_human", ALL, RIS_LEFT_OUT, scripting},
    {"used_memory_functions", ALL, RIS_LEFT_OUT, scripting},
    {"used_memory_scripts", ALL, RIS_LEFT_OUT, scripting},
    {"used_memory_scripts_human", ALL, RIS_LEFT_OUT, scripting},
    {"maxmemory", ALL, RIS_MAXMEMORY, NULL},
    {"maxmemory_human", ALL, RIS_MAXMEMORY_HUMAN, NULL},
    {"maxmemory_policy", ALL, RIS_MAXMEMORY_POLICY, NULL},
    {"allocator_frag_ratio", ALL, RIS_FRAG_RATIO, NULL},
    {"allocator_frag_bytes", ALL, RIS_FRAG_BYTES, NULL},
    {"allocator_rss_ratio", ALL, RIS_RSS_RATIO, NULL},
    {"allocator_rss_bytes", ALL, RIS_RSS_BYTES, NULL},
    {"rss_overhead_ratio", ALL, RIS_OVERHEAD_RATIO, NULL},
    {"rss_overhead_bytes", ALL, RIS_OVERHEAD_BYTES, NULL},
    {"mem_fragmentation_ratio", ALL, RIS_MEM_FRAG_RATIO, NULL},
    {"mem_fragmentation_bytes", ALL, RIS_MEM_FRAG_BYTES, NULL},
    {"mem_not_counted_for_evict", ALL, RIS_IDLE_ZERO, no_replicas},
    {"mem_replication_backlog", ALL, RIS_IDLE_ZERO, no_replicas},
    {"mem_total_replication_buffers", ALL, RIS_IDLE_ZERO, no_replicas},
    {"mem_clients_slaves", ALL, RIS_IDLE_ZERO, no_replicas},
    {"mem_clients_normal", ALL, RIS_LEFT_OUT, clients},
    {"mem_cluster_links", ALL, RIS_IDLE_ZERO, no_replicas},
    {"mem_aof_buffer", ALL, RIS_IDLE_ZERO, no_replicas},
    {"mem_allocator", ALL, RIS_MEM_ALLOCATOR, NULL},
    {"mem_overhead_db_hashtable_rehashing", V74, RIS_REHASHING,
     "mem_overhead_db_hashtable_rehashing (7.4): the bucket arrays of the keyspace dicts being "
     "rehashed away, 8 bytes a bucket (--object-model redis; 0 under raw, which has no dicts)"},
    {"active_defrag_running", ALL, RIS_DEFRAG_RUNNING, NULL},
    {"lazyfree_pending_objects", ALL, RIS_IDLE_ZERO,
     "nothing waits to be freed in the background: values are freed at once"},
    {"lazyfreed_objects", ALL, RIS_LEFT_OUT, lazyfreed},
};
const size_t redis_info_memory_count = sizeof redis_info_memory / sizeof redis_info_memory[0];

int redis_version_prints(const redis_info_field *f, redis_version v) {
    return (f->versions & REDIS_VERSION_BIT(v)) != 0;
}

const char *redis_version_info_source(redis_version v) {
    switch (v) {
    case REDIS_VERSION_7_0: return "Redis 7.0.15's genRedisInfoString (src/server.c)";
    case REDIS_VERSION_7_2: return "Redis 7.2's, 7.0.15's fields unchanged";
    case REDIS_VERSION_7_4:
        return "Redis 7.4's, 7.0.15's fields with allocator_muzzy (PR 12996) and "
               "mem_overhead_db_hashtable_rehashing (PR 12913)";
    }
    return "?";
}
