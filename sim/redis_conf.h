/* redis_conf: the redis.conf directives that shape a server's memory.
 *
 * Reads any file Redis 7 reads: one directive per line, `#` comments,
 * arguments split and unquoted as Redis's sdssplitargs() does ("double
 * quotes" with \n \r \t \b \a \xHH and \<any>, 'single quotes' with \'),
 * directive names in any case, `include PATH` (relative to the current
 * directory, wildcards allowed, as Redis does), and a directive given twice
 * keeps its last value (none of those read here is one of the few Redis
 * appends to, like `save` or `client-output-buffer-limit`).
 *
 * Values are checked as Redis 7.0 checks them (the same number forms, units
 * and bounds): a value Redis refuses is an error naming the file and line.
 * Directives fragsim does not model (bind, port, dir ...) are collected and
 * reported once, in one note.
 *
 * No heap: files are read into memory fragsim maps itself (sim/emem.h), so
 * the worker holding the allocator under test may load a configuration.
 * The one exception is an `include` with wildcards, which needs glob(3). */
#ifndef FRAGSIM_REDIS_CONF_H
#define FRAGSIM_REDIS_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "base/fs_err.h"

typedef enum redis_policy {
    REDIS_POLICY_NOEVICTION,
    REDIS_POLICY_ALLKEYS_LRU,
    REDIS_POLICY_ALLKEYS_LFU,
    REDIS_POLICY_ALLKEYS_RANDOM,
    REDIS_POLICY_VOLATILE_LRU,
    REDIS_POLICY_VOLATILE_LFU,
    REDIS_POLICY_VOLATILE_RANDOM,
    REDIS_POLICY_VOLATILE_TTL,
    REDIS_POLICY__COUNT
} redis_policy;

/* "noeviction", "allkeys-lru" ...; NULL when out of range. */
const char *redis_policy_name(redis_policy p);

/* Defaults are Redis 7.0's (redis_conf_default). */
typedef struct redis_conf {
    uint64_t maxmemory;                    /* bytes of data before eviction; 0: no limit */
    redis_policy maxmemory_policy;         /* noeviction */
    int maxmemory_samples;                 /* keys sampled per eviction, 5 */
    int hz;                                /* server cron ticks per second, 10; Redis
                                              caps it to 1..500 */
    int active_expire_effort;              /* the active expire cycle's effort, 1-10, 1
                                              (with --expiry redis: redis_expire.h) */
    int activedefrag;                      /* active defragmentation on (1) or off (0) */
    uint64_t active_defrag_ignore_bytes;   /* bytes of fragmentation below which defrag
                                              does not start, 100mb */
    int active_defrag_threshold_lower;     /* percent of fragmentation to start, 10 */
    int active_defrag_threshold_upper;     /* percent at which effort is greatest, 100 */
    int active_defrag_cycle_min;           /* percent of CPU at the lower threshold, 1 */
    int active_defrag_cycle_max;           /* percent of CPU at the upper threshold, 25 */
    uint64_t active_defrag_max_scan_fields; /* fields of one key scanned per step, 1000 */
    int lazyfree_lazy_eviction;            /* free in a background thread: 0 (no) */
    int lazyfree_lazy_expire;
    int lazyfree_lazy_server_del;
    int lazyfree_lazy_user_del;
    int lazyfree_lazy_user_flush;
    int jemalloc_bg_thread;                /* jemalloc's background purging thread, 1 */
    uint64_t hash_max_listpack_entries;    /* fields a listpack hash holds, 512 */
    uint64_t hash_max_listpack_value;      /* bytes of a field or value a listpack hash
                                              holds, 64 */
    uint64_t set_max_intset_entries;       /* members an intset set holds, 512 */
    uint64_t zset_max_listpack_entries;    /* members a listpack sorted set holds, 128 */
    uint64_t zset_max_listpack_value;      /* bytes of a member a listpack sorted set
                                              holds, 64 */
    int list_max_listpack_size;            /* a list node's limit: < 0 its listpack's
                                              bytes (-2: 8 KB), > 0 its elements; -2 */
} redis_conf;

/* What a load had to say besides errors. */
typedef struct redis_conf_notes {
    /* Notes, each a line ending in '\n'; "" when there are none.  The last
     * one lists the ignored directives: "ignored (fragsim does not model
     * them): bind, port, dir". */
    char text[4096];
    /* Working state of redis_conf_load: the ignored directives so far. */
    char ignored[3072];
    size_t nignored, nignored_cut;
} redis_conf_notes;

/* Sets every field to Redis 7.0's default. */
void redis_conf_default(redis_conf *c);

/* Applies the directives of the file at path ("-": standard input) on top
 * of *c.  notes (may be NULL) is reset, then receives the notes.  Returns 0;
 * or -1 with err naming the file and line and what was expected, and *c
 * left as it was. */
int redis_conf_load(redis_conf *c, const char *path, redis_conf_notes *notes, fs_err *err);

/* Sets one directive by its redis.conf name (any case), as a command line
 * option would: the same forms and bounds as in a file, hz capped the same
 * way.  An unknown name is an error listing the names.  Returns 0 or -1. */
int redis_conf_set(redis_conf *c, const char *name, const char *value, fs_err *err);

/* Calls fn once per directive, in a fixed order, with its name and its
 * effective value as CONFIG GET shows it (bytes in full, yes/no, the
 * policy's name): for summary.json and the like. */
void redis_conf_each(const redis_conf *c, void (*fn)(void *arg, const char *name,
                                                     const char *value), void *arg);

#endif
