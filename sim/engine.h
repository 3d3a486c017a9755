/* engine: applies a trace's events to the keyspace and the allocator under
 * test, on a virtual clock.
 *
 * The clock rules (traces/FORMAT.md says the same for trace writers):
 *  - the clock starts at the first event's time; virtual_time counts from there;
 *  - a key with expiry E is gone for every event at time >= E: before an
 *    event at time t is applied, every key with E <= t has expired, in order
 *    of E (ties: the order the TTLs were set);
 *  - timers run on the same clock, from the start: the cron tick (hz times a
 *    virtual second, as Redis's serverCron), the periodic purge
 *    (--purge-every) and the sample.  A timer due at time u fires once every
 *    event at time <= u has been applied and every key with expiry <= u has
 *    expired; timers due at the same time fire in that order (tick, purge,
 *    sample), so a sample shows the state after the tick of its instant;
 *  - one more sample is taken at the last event's time when it falls
 *    between two sample times.
 *
 * The clock callback: before the clock moves to a time, the engine calls
 * pace(t).  On the virtual clock (run.c) it moves the allocator's clock
 * with the engine's (base/vclock.h); on the wall clock it may sleep so that
 * virtual time runs no faster than the chosen speed.
 *
 * Idle time is skipped, not stepped: when the next event is an hour or
 * more (and 100 sample intervals) off, no
 * key expires before it, active defrag is not running and the allocator's
 * figures (allocated, resident, dirty, muzzy, purged) have not moved over
 * a virtual second of ticks, nothing can change until that event; the
 * ticks, purges and samples of the stretch are then not run (snapshots
 * still are), and the skipped time is counted in idle_skipped_seconds.
 * Until then every tick runs, so decay finishes at its own pace.
 *
 * Values are written in full (every byte, like a server copying a request
 * into its buffer), so the kernel's RSS is real (DESIGN.md decision 3). */
#ifndef FRAGSIM_ENGINE_H
#define FRAGSIM_ENGINE_H

#include <stdint.h>

#include "../allocators/backend.h"
#include "../traces/trace_event.h"
#include "base/fs_err.h"
#include "base/keyspace.h"
#include "defrag.h"
#include "evict.h"
#include "hashobj.h"
#include "objmodel.h"
#include "redis_expire.h"
#include "base/rng.h"

typedef struct engine engine;

/* Called at each sample time, after the clock has moved there.  Returns 0,
 * or -1 with err set to stop the replay. */
typedef int (*engine_sample_fn)(void *arg, engine *e, fs_err *err);
/* Called before the clock moves to virtual time t (microseconds since the
 * first event): a replay paced to a speed sleeps here until it is time. */
typedef void (*engine_pace_fn)(void *arg, int64_t t_us);

/* exact: every key goes at its TTL (the clock rules above).  redis: as
 * Redis does, lazily when an event touches it and by the active expire
 * cycles (redis_expire.h): the slow one on each cron tick, the fast one on
 * each turn of a server's event loop, which is taken to come at every
 * instant the trace has events (commands that arrive together are read in
 * one turn; a trace carries no finer batching) and after every cron tick
 * (the loop turns after its time events).  A key past its TTL counts until
 * it is found. */
typedef enum engine_expiry { ENGINE_EXPIRY_EXACT, ENGINE_EXPIRY_REDIS } engine_expiry;

/* "exact" or "redis". */
const char *engine_expiry_name(engine_expiry x);
/* "exact", "redis" or "redis:US" (the cost of a key the cycle looks at,
 * rx_parse_cost).  Returns 0, or -1 with err listing the names. */
int engine_expiry_parse(const char *name, engine_expiry *x, fs_err *err);

typedef struct engine_config {
    int64_t sample_interval_us; /* > 0 */
    int64_t tick_interval_us;   /* cron tick period; 0: no ticks */
    int64_t purge_interval_us;  /* periodic purge; 0: none */
    engine_sample_fn on_sample; /* may be NULL */
    engine_pace_fn pace;        /* may be NULL: as fast as possible */
    int allocator_tick_events; /* the cron tick does not call the backend's tick:
                                   only the replay's own allocations tick the
                                   allocator's decay (--allocator-tick events) */
    int64_t observe_us;         /* the clock runs on this long after the last
                                   event (engine_finish), timers and expiry
                                   included; 0: it stops there */
    void *arg;                  /* for on_sample and pace */
    int fill_on_miss;           /* a GET miss with a known size (> 0) stores a
                                   value of that size, no TTL: look-aside
                                   caching, where the client fills what it
                                   missed */
    /* Snapshots (page maps and the like): on_snapshot is called when the
     * clock reaches each of snapshot_at_us[0..nsnapshots) (virtual us since
     * the first event, ascending), a timer of its own that fires after the
     * tick, purge and sample of the same instant.  Times after the last
     * event never fire (next_snapshot says how many did). */
    const int64_t *snapshot_at_us;
    size_t nsnapshots;
    engine_sample_fn on_snapshot; /* may be NULL when nsnapshots is 0 */
    om_kind object_model;       /* OM_RAW (0) or OM_REDIS: objmodel.h */
    engine_expiry expiry;       /* ENGINE_EXPIRY_EXACT (0) or _REDIS */
    uint32_t expire_key_ns;     /* redis expiry: CPU per key the cycle looks at;
                                   0: RX_KEY_NS (redis_expire.h) */
    uint32_t expire_hash_seed;  /* redis expiry: the expires dict's bucket order */
    int expire_effort;          /* active-expire-effort, 1-10; 0: 1 */
    uint64_t maxmemory;         /* used_memory limit before writes; 0: none (evict.h) */
    redis_policy maxmemory_policy;
    int maxmemory_samples;      /* > 0 when maxmemory is set */
    defrag_config defrag;       /* active defrag, on the cron tick (defrag.h) */
    /* Shards in one process (--shard arenas): each key's blocks go to the
     * backend heap its first event names (trace_event.shard, 0 to
     * nheaps - 1), by heap_alloc and heap_free; blocks no key owns (the
     * redis model's dict tables) stay in the default heap, as one server's
     * tables would.  0 or 1: no heaps, every block by alloc and free. */
    int nheaps;
    /* Redis's hash-max-listpack-entries and -value (objmodel_hash.h) and
     * set-max-intset-entries (objmodel_set.h), zset-max-listpack-entries
     * and -value (objmodel_zset.h), list-max-listpack-size (objmodel_list.h),
     * read when type_limits_set; else Redis 7's 512, 64, 512, 128, 64 and
     * -2. */
    int type_limits_set;
    uint64_t hash_max_listpack_entries, hash_max_listpack_value;
    uint64_t set_max_intset_entries;
    uint64_t zset_max_listpack_entries, zset_max_listpack_value;
    int list_max_listpack_size;
} engine_config;

#define ENGINE_MAX_HEAPS 16

/* One heap's share of the counters (engine_counters' meanings). */
typedef struct engine_heap {
    uint64_t keys;
    uint64_t requested_bytes;
    uint64_t used_memory;
} engine_heap;

typedef struct engine_counters {
    uint64_t events;          /* events applied */
    uint64_t ops[TRACE_OP__COUNT];
    uint64_t expired_keys;    /* keys removed by reaching their expiry */
    uint64_t deleted_keys;    /* keys removed by DEL (or EXPIRE with ttl 0) */
    uint64_t keyspace_hits;   /* GETs of a live key */
    uint64_t keyspace_misses; /* GETs of a missing key */
    uint64_t fills;           /* misses that stored a value (fill_on_miss) */
    uint64_t skipped_writes;  /* SET / APPEND whose NX or XX condition failed */
    uint64_t requested_bytes; /* sum of requested sizes of live blocks: values in
                                 the raw model, every block in the redis model */
    uint64_t used_memory;     /* sum of usable sizes of the same blocks */
    uint64_t used_memory_peak; /* the most used_memory after any event, as
                                 Redis's stat_peak_memory after each command */
    uint64_t purges;          /* purge requests made to the allocator (events and timer) */
    uint64_t ticks;           /* cron ticks */
    uint64_t evicted_keys;    /* keys removed to stay under maxmemory */
    uint64_t rejected_writes; /* writes refused: over maxmemory, nothing to evict */
    uint64_t wrongtype;       /* commands refused on a key of another type (HSET on
                                 a string or a set, APPEND on a hash), as Redis's
                                 WRONGTYPE */
    uint64_t hash_keys;       /* live hash keys (a gauge, among the keys) */
    uint64_t hash_conversions; /* listpacks converted to hashtables */
    uint64_t set_keys;        /* live set keys (a gauge, among the keys) */
    uint64_t set_conversions; /* intsets converted to hashtables */
    uint64_t zset_keys;       /* live sorted set keys (a gauge, among the keys) */
    uint64_t zset_conversions; /* listpacks converted to skiplists */
    uint64_t list_keys;       /* live list keys (a gauge, among the keys) */
    uint64_t reallocs;        /* blocks resized by realloc (a listpack's growth, an
                                 intset's every insert and removal) */
    uint64_t realloc_moves;   /* those the allocator moved to a new address */
    int64_t idle_skipped_us;  /* virtual time skipped as idle (no ticks or samples) */
} engine_counters;

struct engine {
    const backend_ops *be;
    void *be_state;
    keyspace ks;
    const char *hashed_key;   /* the key lookup hashed last (the event's own */
    uint64_t hashed;          /* bytes) and its ks_hash: an insert reuses it */
    engine_counters c;
    int started;              /* the first event has fixed start_us */
    int out_of_memory;        /* the allocator refused a block (the error says which) */
    int64_t start_us;         /* time of the first event */
    int64_t now_us;           /* the virtual clock */
    engine_config cfg;
    int64_t next_sample_us, next_tick_us, next_purge_us; /* INT64_MAX: never */
    int64_t last_sample_us;   /* INT64_MIN before the first sample */
    int64_t idle_check_us;    /* the next look at whether the replay is idle */
    uint64_t idle_sig[5];     /* the allocator's figures at the last look */
    int idle_sig_valid;
    uint64_t samples;
    size_t next_snapshot;     /* index of the next snapshot time */
    int64_t next_snapshot_us; /* INT64_MAX: none left */
    objmodel om;              /* the redis model's blocks and tables */
    rx_state rx;              /* the active expire cycle (redis expiry) */
    int64_t last_turn_us;     /* the last event-loop turn's time (redis expiry) */
    evictor ev;               /* maxmemory's per-key words and pool */
    rng ev_rng;               /* eviction's sampler and LFU's coin */
    rng zsl_rng;              /* skiplist node levels (zslRandomLevel), seeded
                                 so that a replay is the same every run */
    defrag df;                /* active defrag's state and statistics */
    uint8_t *heap_of;         /* by slot, each key's heap (cfg.nheaps > 1 only;
                                 engine memory) */
    hashobj **hash_of;        /* by slot, a hash or set key's fields and blocks, NULL
                                 for a string; the array exists once a hash or set
                                 has (engine memory), so strings pay one test of a
                                 NULL */
    uint32_t hash_of_cap;
    uint32_t heap_of_cap;
    engine_heap heaps[ENGINE_MAX_HEAPS];
};

/* Returns 0, or -1 with err set. */
int engine_init(engine *e, const backend_ops *be, void *be_state, const engine_config *cfg,
                fs_err *err);
/* Frees every live value and the keyspace. */
void engine_destroy(engine *e);

/* Moves the clock to ev->time_us (expiring keys and taking the samples due
 * on the way), then applies the event.  Returns 0 or -1. */
int engine_apply(engine *e, const trace_event *ev, fs_err *err);
/* Read-ahead (keyspace.h's ks_ahead): a caller that knows the events to come
 * names each, in order, ENGINE_AHEAD_EVENTS events before applying it, and
 * the lookup finds the key's memory on its way.  A hint only: a replay's
 * results are the same with or without it. */
#define ENGINE_AHEAD_EVENTS KS_AHEAD_EVENTS
void engine_ahead(engine *e, const trace_event *ev);

/* Ends the replay: the clock runs on cfg.observe_us past the last event,
 * then the samples still due up to that time, and a last one at that time.
 * Returns 0 or -1. */
int engine_finish(engine *e, fs_err *err);

/* A block for the key in slot (KS_NONE: for no key, as a dict's table),
 * from the key's heap, counted into requested_bytes and used_memory (and
 * the heap's) as zmalloc counts it.  NULL when the allocator refuses. */
void *engine_block_alloc(engine *e, uint32_t slot, uint64_t size, size_t *usable);
/* Frees a block engine_block_alloc gave for the same slot, and uncounts it. */
void engine_block_free(engine *e, uint32_t slot, void *p, uint64_t size, uint64_t usable);
/* Resizes such a block of old_size bytes asked for (old_usable counted) to
 * size bytes by the allocator's realloc, as zrealloc does: used_memory
 * loses the old usable size and gains the new.  Counted in reallocs (and
 * realloc_moves when the block moved).  NULL when the allocator refuses
 * (p is then untouched). */
void *engine_block_realloc(engine *e, uint32_t slot, void *p, uint64_t old_size,
                           uint64_t old_usable, uint64_t size, size_t *usable);
/* The hash or set (hashobj.type) of the key in slot, or NULL for a
 * string. */
static inline hashobj *engine_hash_of(const engine *e, uint32_t slot) {
    return e->hash_of != NULL && slot < e->hash_of_cap ? e->hash_of[slot] : NULL;
}

/* The hash, set, sorted set and list keys of each encoding (redis model),
 * and the bytes their values hold (usable sizes, as used_memory counts
 * them: robj, listpack or intset, dict struct and bucket arrays, the
 * fields' blocks, a quicklist's struct, nodes and their listpacks; not the
 * key's own sds and entries). */
enum {
    ENGINE_ENC_HASH_LISTPACK, ENGINE_ENC_HASH_HASHTABLE, ENGINE_ENC_SET_INTSET,
    ENGINE_ENC_SET_HASHTABLE, ENGINE_ENC_ZSET_LISTPACK, ENGINE_ENC_ZSET_SKIPLIST,
    ENGINE_ENC_LIST_QUICKLIST, ENGINE_ENC__COUNT
};
typedef struct engine_encodings {
    uint64_t keys[ENGINE_ENC__COUNT];
    uint64_t bytes[ENGINE_ENC__COUNT];
} engine_encodings;
/* "hash_listpack", "hash_hashtable", "set_intset", "set_hashtable",
 * "zset_listpack", "zset_skiplist", "list_quicklist". */
const char *engine_encoding_name(int enc);
/* Counts every live hash and set key of the redis model into out (one pass
 * over the keys: for the end of a run). */
void engine_encoding_census(const engine *e, engine_encodings *out);

/* Removes the key in slot as expired (for the active expire cycle). */
void engine_expire_key(engine *e, uint32_t slot);
/* Removes the key in slot as evicted. */
void engine_evict_key(engine *e, uint32_t slot);

/* Seconds of virtual time since the first event. */
static inline double engine_virtual_time(const engine *e) {
    return e->started ? (double)(e->now_us - e->start_us) / TRACE_US_PER_S : 0.0;
}

#endif
