/* bench_replay: what the engine costs on top of the allocator it measures.
 *
 * A replay spends its time in two places: the allocator under test (alloc,
 * write, free: the work a server would do too) and the engine around it
 * (keyspace lookups, the expiry heap, the clock, counters).  Only the second
 * is ours to make faster, and only the ratio between the two says whether it
 * matters.  So the same pre-decoded trace is replayed twice, alternately:
 *
 *   A  engine:  engine_apply for every event, as `fragsim run` does;
 *   B  bare:    the identical alloc / memset / free sequence through the same
 *               backend ops, with the keyspace reduced to an array indexed by
 *               a pre-decoded key number (no hashing, no key bytes).
 *
 * engine time / bare time is the overhead factor.  It is a number to watch
 * between commits, not a test: it passes or fails nothing.
 *
 * The trace is small values (16..256 B) with SET overwrites and DELs and no
 * TTLs, so that the allocator's part is as cheap as it gets and the engine's
 * share shows as much as it can.  Everything the benchmark itself holds (the
 * events, their key bytes, the bare run's table) is engine memory (emem), so
 * the allocator under test sees the values and nothing else in either run. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "../allocators/backend.h"
#include "../sim/base/emem.h"
#include "../sim/engine.h"
#include "../sim/base/fs_err.h"
#include "../sim/base/rng.h"
#include "../sim/base/units.h"
#include "../traces/trace_event.h"

#define BENCH_SET_PERCENT 80
#define BENCH_SIZE_MIN 16
#define BENCH_SIZE_MAX 256
/* "k:" and at most ten digits fit in 12 bytes; a fixed stride lets event i's
 * key be found from its key number alone. */
#define BENCH_KEY_STRIDE 16
/* Far past any replay here: the engine takes its first sample at the first
 * event and one at the end, and none in between. */
#define BENCH_SAMPLE_INTERVAL_US (1000000000LL * TRACE_US_PER_S)
/* Bounds that keep the trace's arrays within reason (3e8 events is 14 GiB
 * of trace_event already). */
#define BENCH_EVENTS_MAX 300000000ULL
#define BENCH_KEYS_MAX 100000000ULL
#define BENCH_REPS_MAX 1000ULL

typedef struct bench_opts {
    uint64_t events, keys, reps, seed;
    int no_ahead; /* the engine run without engine_ahead, to measure what it saves */
    uint64_t ahead_step; /* keyspace.h's ahead_step: names events 3 steps ahead */
} bench_opts;

/* The pre-decoded trace: what a trace reader would hand the engine, plus
 * each event's key number for the bare run. */
typedef struct bench_trace {
    trace_event *ev;
    uint32_t *key_id;  /* key number of ev[i] (PURGE/TICK never occur here) */
    char *key_bytes;   /* key k at key_bytes + k * BENCH_KEY_STRIDE */
    char *ev_keys;     /* event i's own copy of its key, at ev_keys + i *
                          BENCH_KEY_STRIDE, where ev[i].key points: in trace
                          order, as a reader's buffer holds the key of the
                          event it has just read, so that neither run pays a
                          cache miss for the trace's own storage */
    uint64_t nevents, nkeys;
    uint64_t nset, ndel;
} bench_trace;

/* One key of the bare run: its block and the size asked for, which sdallocx
 * needs back. */
typedef struct bench_slot {
    void *block;
    uint64_t size;
} bench_slot;

/* What a run ends with, before everything is freed: the two runs must agree
 * on it, or they did not do the same work. */
typedef struct bench_outcome {
    double seconds;
    double cpu_seconds; /* the process's CPU time over the run */
    uint64_t live_keys;
    uint64_t requested_bytes;
} bench_outcome;

static int bench_usage(FILE *f) {
    fprintf(f,
            "usage: fragsim-bench-replay [options]\n\n"
            "Replays one pre-decoded small-value trace (SET 80%%, DEL 20%%, values\n"
            "16..256 B, no TTLs) through the engine and through a bare\n"
            "alloc/write/free loop on the same allocator, alternately, and prints\n"
            "events per second for each and the overhead ratio engine/bare.\n\n"
            "options:\n"
            "  --events N   events in the trace (default 3000000)\n"
            "  --keys N     keyspace size, keys \"k:0\"..\"k:N-1\" (default 200000)\n"
            "  --reps N     repetitions of each run; the median is reported (default 5)\n"
            "  --seed N     random seed (same seed, same trace; default 1)\n"
            "  --no-ahead   the engine run names no event ahead (engine_ahead), as a\n"
            "               caller without read-ahead would\n"
            "  --ahead-step N  events between the read-ahead's steps (default 4: events\n"
            "               are named 12 ahead), to measure other distances\n"
            "  --help       this text\n");
    return f == stdout ? BENCH_OK : BENCH_USAGE;
}

/* Parses "--name N" or "--name=N" at argv[*i] into *out when the name
 * matches.  Returns 1 when it matched, 0 when it is another option, or -1
 * (message printed) when the value is missing or out of [lo, hi]. */
static int bench_opt_u64(int argc, char **argv, int *i, const char *name, uint64_t lo,
                         uint64_t hi, uint64_t *out) {
    size_t n = strlen(name);
    const char *arg = argv[*i], *val;
    if (strncmp(arg, name, n) != 0) return 0;
    if (arg[n] == '=') {
        val = arg + n + 1;
    } else if (arg[n] == '\0') {
        if (*i + 1 >= argc) {
            bench_error(BENCH_USAGE, "%s needs a value", name);
            return -1;
        }
        val = argv[++*i];
    } else {
        return 0;
    }
    uint64_t v;
    if (units_parse_u64(val, &v) != 0 || v < lo || v > hi) {
        bench_error(BENCH_USAGE, "%s '%s': expected a whole number from %llu to %llu", name, val,
                    (unsigned long long)lo, (unsigned long long)hi);
        return -1;
    }
    *out = v;
    return 1;
}

/* Returns -1 to go on, or the exit code (help or a usage error). */
static int bench_parse(int argc, char **argv, bench_opts *o) {
    *o = (bench_opts){.events = 3000000, .keys = 200000, .reps = 5, .seed = 1,
                      .ahead_step = KS_AHEAD_STEP};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return bench_usage(stdout);
        if (strcmp(argv[i], "--no-ahead") == 0) {
            o->no_ahead = 1;
            continue;
        }
        int m;
        if ((m = bench_opt_u64(argc, argv, &i, "--events", 1, BENCH_EVENTS_MAX, &o->events)) ||
            (m = bench_opt_u64(argc, argv, &i, "--keys", 1, BENCH_KEYS_MAX, &o->keys)) ||
            (m = bench_opt_u64(argc, argv, &i, "--reps", 1, BENCH_REPS_MAX, &o->reps)) ||
            (m = bench_opt_u64(argc, argv, &i, "--seed", 0, UINT64_MAX, &o->seed)) ||
            (m = bench_opt_u64(argc, argv, &i, "--ahead-step", 1, KS_AHEAD_RING / 2 - 1,
                               &o->ahead_step))) {
            if (m < 0) return BENCH_USAGE;
            continue;
        }
        bench_error(BENCH_USAGE, "unknown option '%s' (--help lists them)", argv[i]);
        return BENCH_USAGE;
    }
    return -1;
}

static void bench_trace_free(bench_trace *t) {
    emem_unmap(t->ev, t->nevents * sizeof *t->ev);
    emem_unmap(t->key_id, t->nevents * sizeof *t->key_id);
    emem_unmap(t->key_bytes, t->nkeys * BENCH_KEY_STRIDE);
    emem_unmap(t->ev_keys, t->nevents * BENCH_KEY_STRIDE);
    memset(t, 0, sizeof *t);
}

/* Generates the trace.  Decoding is done here, once, so that neither run
 * pays for parsing and both read the very same events. */
static int bench_trace_build(bench_trace *t, const bench_opts *o, fs_err *err) {
    memset(t, 0, sizeof *t);
    t->nevents = o->events;
    t->nkeys = o->keys;
    t->ev = emem_map(t->nevents * sizeof *t->ev);
    t->key_id = emem_map(t->nevents * sizeof *t->key_id);
    t->key_bytes = emem_map(t->nkeys * BENCH_KEY_STRIDE);
    t->ev_keys = emem_map(t->nevents * BENCH_KEY_STRIDE);
    if (t->ev == NULL || t->key_id == NULL || t->key_bytes == NULL || t->ev_keys == NULL) {
        bench_trace_free(t);
        return fs_errf(err, "cannot map %llu events over %llu keys",
                       (unsigned long long)o->events, (unsigned long long)o->keys);
    }
    for (uint64_t k = 0; k < t->nkeys; k++)
        snprintf(t->key_bytes + k * BENCH_KEY_STRIDE, BENCH_KEY_STRIDE, "k:%u", (unsigned)k);

    rng r;
    rng_seed(&r, o->seed);
    /* The clock moves 0..2 us per event: it advances, with ties, but never
     * reaches a sample, so the engine's clock work is what every replay
     * pays and no more. */
    int64_t now = 0;
    for (uint64_t i = 0; i < t->nevents; i++) {
        uint32_t k = (uint32_t)rng_below(&r, t->nkeys);
        char *key = t->ev_keys + i * BENCH_KEY_STRIDE;
        memcpy(key, t->key_bytes + (uint64_t)k * BENCH_KEY_STRIDE, BENCH_KEY_STRIDE);
        int is_set = rng_below(&r, 100) < BENCH_SET_PERCENT;
        now += (int64_t)rng_below(&r, 3);
        t->ev[i] = (trace_event){
            .time_us = now,
            .op = is_set ? TRACE_OP_SET : TRACE_OP_DEL,
            .key = key,
            .keylen = (uint32_t)strlen(key),
            .size = is_set ? BENCH_SIZE_MIN + rng_below(&r, BENCH_SIZE_MAX - BENCH_SIZE_MIN + 1)
                           : 0,
            .ttl_us = TRACE_TTL_NONE,
        };
        t->key_id[i] = k;
        if (is_set) t->nset++;
        else t->ndel++;
    }
    return 0;
}

/* Run A: the engine from init to destroy, as `fragsim run` drives it, minus
 * the sampler (the interval puts no sample inside the trace). */
static int bench_run_engine(const bench_trace *t, const bench_opts *o, const backend_ops *be,
                            void *be_state, bench_outcome *out, fs_err *err) {
    engine e;
    double t0 = bench_now(), c0 = bench_cpu_now();
    engine_config cfg = {.sample_interval_us = BENCH_SAMPLE_INTERVAL_US};
    if (engine_init(&e, be, be_state, &cfg, err) != 0) return -1;
    e.ks.ahead_step = (uint32_t)o->ahead_step;
    uint64_t ahead = o->no_ahead ? 0 : 3 * o->ahead_step;
    int rc = 0;
    for (uint64_t i = 0; i < t->nevents && rc == 0; i++) {
        if (ahead && i + ahead < t->nevents) engine_ahead(&e, &t->ev[i + ahead]);
        rc = engine_apply(&e, &t->ev[i], err);
    }
    if (rc == 0) rc = engine_finish(&e, err);
    out->live_keys = e.ks.count;
    out->requested_bytes = e.c.requested_bytes;
    engine_destroy(&e);
    out->seconds = bench_now() - t0;
    out->cpu_seconds = bench_cpu_now() - c0;
    return rc;
}

/* Run B: the allocator's share of run A and nothing else.  The order within
 * a SET is the engine's (new block allocated and written before the old one
 * is freed), and the fill byte varies by key as the engine's does, so the
 * allocator and the kernel see the same thing in both runs. */
static int bench_run_bare(const bench_trace *t, bench_slot *slots, const backend_ops *be,
                          void *be_state, bench_outcome *out, fs_err *err) {
    int rc = 0;
    double t0 = bench_now(), c0 = bench_cpu_now();
    for (uint64_t i = 0; i < t->nevents; i++) {
        uint32_t k = t->key_id[i];
        bench_slot *s = &slots[k];
        if (t->ev[i].op == TRACE_OP_SET) {
            uint64_t size = t->ev[i].size;
            size_t usable;
            void *block = be->alloc(be_state, size, &usable);
            if (block == NULL) {
                rc = fs_errf(err, "the allocator refused %llu bytes (out of memory)",
                             (unsigned long long)size);
                break;
            }
            memset(block, 'A' + (int)(k % 26), size);
            if (s->block != NULL) be->free(be_state, s->block, s->size);
            s->block = block;
            s->size = size;
        } else if (s->block != NULL) {
            be->free(be_state, s->block, s->size);
            s->block = NULL;
            s->size = 0;
        }
    }
    /* Freeing everything is part of the run, as engine_destroy is of A; the
     * tally rides along for the cross-check. */
    out->live_keys = out->requested_bytes = 0;
    for (uint64_t k = 0; k < t->nkeys; k++) {
        if (slots[k].block == NULL) continue;
        out->live_keys++;
        out->requested_bytes += slots[k].size;
        be->free(be_state, slots[k].block, slots[k].size);
        slots[k] = (bench_slot){0};
    }
    out->seconds = bench_now() - t0;
    out->cpu_seconds = bench_cpu_now() - c0;
    return rc;
}

int main(int argc, char **argv) {
    bench_prog = "fragsim-bench-replay";
    bench_opts o;
    int code = bench_parse(argc, argv, &o);
    if (code >= 0) return code;
    const backend_ops *be = backend_self;
    if (be == NULL) return bench_error(BENCH_FAIL, "built without an allocator backend");

    fs_err err = {{0}};
    void *be_state = NULL;
    if (be->init(&be_state, &err) != 0) return bench_error(BENCH_FAIL, "%s", err.msg);

    bench_trace t;
    bench_slot *slots = NULL;
    /* Per rep: engine seconds, bare seconds, their ratio. */
    double *res = NULL;
    size_t res_bytes = 4 * o.reps * sizeof *res;
    code = BENCH_FAIL;
    if (bench_trace_build(&t, &o, &err) != 0) {
        bench_error(BENCH_FAIL, "%s", err.msg);
        goto out_be;
    }
    slots = emem_map(t.nkeys * sizeof *slots);
    res = emem_map(res_bytes);
    if (slots == NULL || res == NULL) {
        bench_error(BENCH_FAIL, "cannot map the bare run's table of %llu keys",
                    (unsigned long long)t.nkeys);
        goto out;
    }
    double *eng_s = res, *bare_s = res + o.reps, *ratio = res + 2 * o.reps;
    double *cpu_ratio = res + 3 * o.reps;

    printf("fragsim-bench-replay: %s %s, %llu events (%llu SET, %llu DEL), %llu keys,\n"
           "values %d..%d B uniform, no TTLs, seed %llu, %llu reps (engine, then bare)\n\n",
           be->name, be->version ? be->version(be_state) : "", (unsigned long long)t.nevents,
           (unsigned long long)t.nset, (unsigned long long)t.ndel, (unsigned long long)t.nkeys,
           BENCH_SIZE_MIN, BENCH_SIZE_MAX, (unsigned long long)o.seed,
           (unsigned long long)o.reps);
    printf("%-6s %10s %10s %14s %14s %8s %10s\n", "rep", "engine_s", "bare_s", "engine_ev/s",
           "bare_ev/s", "ratio", "cpu_ratio");
    fflush(stdout);
    for (uint64_t r = 0; r < o.reps; r++) {
        bench_outcome a, b;
        if (bench_run_engine(&t, &o, be, be_state, &a, &err) != 0) {
            bench_error(BENCH_FAIL, "engine run %llu: %s", (unsigned long long)r + 1, err.msg);
            goto out;
        }
        if (bench_run_bare(&t, slots, be, be_state, &b, &err) != 0) {
            bench_error(BENCH_FAIL, "bare run %llu: %s", (unsigned long long)r + 1, err.msg);
            goto out;
        }
        /* Both runs replayed the same events, so they must end holding the
         * same keys and bytes; if not, the ratio compares different work. */
        if (a.live_keys != b.live_keys || a.requested_bytes != b.requested_bytes) {
            bench_error(BENCH_FAIL,
                        "rep %llu: the runs disagree: engine ended with %llu keys / %llu bytes, "
                        "bare with %llu keys / %llu bytes",
                        (unsigned long long)r + 1, (unsigned long long)a.live_keys,
                        (unsigned long long)a.requested_bytes, (unsigned long long)b.live_keys,
                        (unsigned long long)b.requested_bytes);
            goto out;
        }
        eng_s[r] = a.seconds;
        bare_s[r] = b.seconds;
        ratio[r] = a.seconds / b.seconds;
        cpu_ratio[r] = a.cpu_seconds / b.cpu_seconds;
        printf("%-6llu %10.3f %10.3f %14.0f %14.0f %8.2f %10.2f\n", (unsigned long long)r + 1,
               a.seconds, b.seconds, (double)t.nevents / a.seconds, (double)t.nevents / b.seconds,
               ratio[r], cpu_ratio[r]);
        fflush(stdout);
    }
    /* Each column's own median: events per second from the median time, and
     * the median of the per-rep ratios, which pairs each engine run with the
     * bare run next to it and so cancels slow drift of the machine. */
    double med_eng = bench_median(eng_s, o.reps), med_bare = bench_median(bare_s, o.reps);
    double med_ratio = bench_median(ratio, o.reps), med_cpu_ratio = bench_median(cpu_ratio, o.reps);
    double eng_eps = (double)t.nevents / med_eng, bare_eps = (double)t.nevents / med_bare;
    printf("%-6s %10.3f %10.3f %14.0f %14.0f %8.2f %10.2f\n\n", "median", med_eng, med_bare, eng_eps,
           bare_eps, med_ratio, med_cpu_ratio);
    printf("median: engine_eps=%.0f bare_eps=%.0f overhead_ratio=%.3f cpu_overhead_ratio=%.3f\n",
           eng_eps, bare_eps, med_ratio, med_cpu_ratio);
    code = BENCH_OK;
out:
    emem_unmap(res, res_bytes);
    emem_unmap(slots, t.nkeys * sizeof *slots);
    bench_trace_free(&t);
out_be:
    if (be->fini != NULL) be->fini(be_state);
    return code;
}
