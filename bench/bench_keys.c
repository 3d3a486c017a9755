/* bench_keys: fragsim's own memory per live key, and what a big keyspace
 * costs to build.
 *
 * For each key count N, one engine (jemalloc, the raw object model) is
 * given N SETs of distinct keys "user:<n>" (10 to 13 bytes) with values of
 * 16..64 bytes (uniform), one virtual microsecond apart, with a share of them
 * (--ttl-percent) given a TTL far past the end so that every key is still
 * live at the end.  Then it reads:
 *
 *   engine_bytes  engine memory resident (emem_resident) after the inserts
 *                 minus before engine_init: everything fragsim keeps for the
 *                 keys (keyspace entries, index, expiry heap, key arena);
 *   key_bytes     the key arena's bytes held by live keys (each key rounded
 *                 up to 8 bytes);
 *   per_key       (engine_bytes - key_bytes) / N: the "48 bytes a key" figure;
 *
 * and, for the build itself, wall seconds, SETs per second, used_memory
 * (the values' usable bytes), the process's peak RSS (getrusage) and its
 * RSS at the end (/proc).  Events are made on the fly (no trace file, no
 * reader), so the rate is the engine's and the allocator's alone. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench_util.h"
#include "../allocators/backend.h"
#include "../sim/base/emem.h"
#include "../sim/engine.h"
#include "../sim/base/fs_err.h"
#include "../sim/base/procmem.h"
#include "../sim/base/rng.h"
#include "../sim/base/units.h"
#include "../traces/trace_event.h"

#define BENCH_MAX_COUNTS 16
#define BENCH_KEYS_MAX 1000000000ULL
#define BENCH_SIZE_MIN 16
#define BENCH_SIZE_MAX 64
/* Far past any run here: no sample and no expiry inside it. */
#define BENCH_FAR_US (1000000000LL * TRACE_US_PER_S)

typedef struct bench_opts {
    uint64_t counts[BENCH_MAX_COUNTS];
    int ncounts;
    uint64_t ttl_percent, seed;
} bench_opts;

static int bench_usage(FILE *f) {
    fprintf(f,
            "usage: fragsim-bench-keys [options]\n\n"
            "Builds a keyspace of N live keys (SETs of keys \"user:<n>\", values 16..64 B)\n"
            "in the engine on jemalloc and prints fragsim's own memory per key (key bytes\n"
            "aside), the build's wall time and the process's peak RSS.\n\n"
            "options:\n"
            "  --keys N[,N...]    key counts, one engine each (default 1000000,10000000)\n"
            "  --ttl-percent P    share of keys with a TTL, 0..100 (default 0)\n"
            "  --seed N           random seed for the value sizes (default 1)\n"
            "  --help             this text\n");
    return f == stdout ? BENCH_OK : BENCH_USAGE;
}

/* Returns -1 to go on, or the exit code (help or a usage error). */
static int bench_parse(int argc, char **argv, bench_opts *o) {
    *o = (bench_opts){.counts = {1000000, 10000000}, .ncounts = 2, .seed = 1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) return bench_usage(stdout);
        if (i + 1 >= argc) return bench_error(BENCH_USAGE, "unknown option or missing value '%s'", a);
        const char *v = argv[++i];
        uint64_t x;
        if (strcmp(a, "--keys") == 0) {
            char buf[512];
            snprintf(buf, sizeof buf, "%s", v);
            o->ncounts = 0;
            for (char *save, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (o->ncounts == BENCH_MAX_COUNTS)
                    return bench_error(BENCH_USAGE, "--keys: at most %d counts", BENCH_MAX_COUNTS);
                if (units_parse_u64(t, &x) != 0 || x < 1 || x > BENCH_KEYS_MAX)
                    return bench_error(BENCH_USAGE, "--keys '%s': expected whole numbers from 1 "
                                       "to %llu", t, (unsigned long long)BENCH_KEYS_MAX);
                o->counts[o->ncounts++] = x;
            }
            if (o->ncounts == 0) return bench_error(BENCH_USAGE, "--keys needs a count");
        } else if (strcmp(a, "--ttl-percent") == 0) {
            if (units_parse_u64(v, &x) != 0 || x > 100)
                return bench_error(BENCH_USAGE, "--ttl-percent '%s': expected 0 to 100", v);
            o->ttl_percent = x;
        } else if (strcmp(a, "--seed") == 0) {
            if (units_parse_u64(v, &x) != 0)
                return bench_error(BENCH_USAGE, "--seed '%s': expected a whole number", v);
            o->seed = x;
        } else {
            return bench_error(BENCH_USAGE, "unknown option '%s' (--help lists them)", a);
        }
    }
    return -1;
}

static uint64_t peak_rss_bytes(void) {
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? (uint64_t)ru.ru_maxrss * 1024 : 0;
}

static int bench_one(const backend_ops *be, void *be_state, const bench_opts *o, uint64_t n,
                     fs_err *err) {
    uint64_t before = emem_resident();
    engine e;
    engine_config cfg = {.sample_interval_us = BENCH_FAR_US};
    double t0 = bench_now();
    if (engine_init(&e, be, be_state, &cfg, err) != 0) return -1;
    rng r;
    rng_seed(&r, o->seed);
    char key[32];
    int rc = 0;
    for (uint64_t i = 0; i < n && rc == 0; i++) {
        trace_event ev = {
            .time_us = (int64_t)i,
            .op = TRACE_OP_SET,
            .key = key,
            .keylen = (uint32_t)snprintf(key, sizeof key, "user:%llu", (unsigned long long)i),
            .size = BENCH_SIZE_MIN + rng_below(&r, BENCH_SIZE_MAX - BENCH_SIZE_MIN + 1),
            .ttl_us = rng_below(&r, 100) < o->ttl_percent ? BENCH_FAR_US : TRACE_TTL_NONE,
        };
        rc = engine_apply(&e, &ev, err);
    }
    double secs = bench_now() - t0;
    if (rc == 0 && e.ks.count != n)
        rc = fs_errf(err, "%llu keys live after %llu distinct SETs",
                     (unsigned long long)e.ks.count, (unsigned long long)n);
    if (rc == 0) {
        uint64_t after = emem_resident(), rss = 0;
        procmem_rss(&rss, NULL);
        uint64_t engine_bytes = after - before, key_bytes = e.ks.key_bytes;
        printf("%-11llu %8.3f %11.0f %13llu %12llu %9.2f %9.2f %13llu %13llu %13llu\n",
               (unsigned long long)n, secs, (double)n / secs, (unsigned long long)engine_bytes,
               (unsigned long long)key_bytes, (double)engine_bytes / (double)n,
               (double)(engine_bytes - key_bytes) / (double)n,
               (unsigned long long)e.c.used_memory, (unsigned long long)rss,
               (unsigned long long)peak_rss_bytes());
        printf("keys=%llu ttl_percent=%llu per_key=%.2f engine_bytes=%llu key_bytes=%llu "
               "wall_s=%.3f sets_per_s=%.0f used_memory=%llu rss=%llu peak_rss=%llu\n",
               (unsigned long long)n, (unsigned long long)o->ttl_percent,
               (double)(engine_bytes - key_bytes) / (double)n, (unsigned long long)engine_bytes,
               (unsigned long long)key_bytes, secs, (double)n / secs,
               (unsigned long long)e.c.used_memory, (unsigned long long)rss,
               (unsigned long long)peak_rss_bytes());
        fflush(stdout);
    }
    engine_destroy(&e);
    return rc;
}

int main(int argc, char **argv) {
    bench_prog = "fragsim-bench-keys";
    bench_opts o;
    int code = bench_parse(argc, argv, &o);
    if (code >= 0) return code;
    const backend_ops *be = backend_self;
    if (be == NULL) return bench_error(BENCH_FAIL, "built without an allocator backend");
    fs_err err = {{0}};
    void *be_state = NULL;
    if (be->init(&be_state, &err) != 0) return bench_error(BENCH_FAIL, "%s", err.msg);
    printf("fragsim-bench-keys: %s %s, keys \"user:<n>\", values %d..%d B uniform, "
           "%llu%% with a TTL, seed %llu\n"
           "bytes: engine memory resident (emem); per_key leaves the key arena's bytes out\n\n",
           be->name, be->version ? be->version(be_state) : "", BENCH_SIZE_MIN, BENCH_SIZE_MAX,
           (unsigned long long)o.ttl_percent, (unsigned long long)o.seed);
    printf("%-11s %8s %11s %13s %12s %9s %9s %13s %13s %13s\n", "keys", "wall_s", "sets/s",
           "engine_bytes", "key_bytes", "B/key", "per_key", "used_memory", "rss", "peak_rss");
    code = BENCH_OK;
    for (int i = 0; i < o.ncounts && code == BENCH_OK; i++)
        if (bench_one(be, be_state, &o, o.counts[i], &err) != 0)
            code = bench_error(BENCH_FAIL, "%llu keys: %s", (unsigned long long)o.counts[i],
                               err.msg);
    if (be->fini != NULL) be->fini(be_state);
    return code;
}
