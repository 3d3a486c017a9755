/* redis_expire: Redis's way of expiring keys (--expiry redis), against the
 * engine's default of removing every key exactly at its TTL.
 *
 * Redis 7.0 removes a key past its TTL only when something looks at it
 * (lazy expiry: any command on the key) or when its active expire cycle
 * (expire.c, activeExpireCycle) finds it.  The cycle is followed here
 * statement for statement:
 *  - the slow cycle runs from the cron (databasesCron, hz a second), the
 *    fast one from beforeSleep, on every turn of the event loop;
 *  - a cycle visits the 16 databases (CRON_DBS_PER_CALL of `databases 16`;
 *    the trace's keys are db 0, the others empty) and in each loops: take
 *    at most keys-per-loop keys by scanning the buckets of the expires dict
 *    from the database's cursor (every key of a bucket, at most 20 buckets
 *    a key), remove those past their TTL (now_ms > when_ms), and loop again
 *    while more than acceptable-stale percent of the loop's keys had
 *    expired; it gives the database up when the dict is under 1% full;
 *  - every 16th loop it checks the time used against its limit: 25% of a
 *    tick for the slow cycle, 1000 us for the fast one; a cycle stopped by
 *    its limit lets the next fast cycle run; otherwise a fast cycle runs
 *    only when the running estimate of stale keys (expired_stale_perc, a
 *    fraction) is not below acceptable-stale, which Redis 7.0 compares as a
 *    percentage, so in practice never; and never within twice its duration
 *    of the last one;
 *  - active-expire-effort E (1-10) gives keys-per-loop 20 + 5(E-1), the
 *    fast duration 1000 + 250(E-1) us, the slow share 25 + 2(E-1)% and
 *    acceptable-stale 10 - (E-1)%.
 *
 * The expires dict is modelled as Redis sizes it: 4 buckets at the first
 * key, the power of two above the keys when they reach the buckets, shrunk
 * by the cron (after the expire cycle, as tryResizeHashTables) to the power
 * of two above the keys when under 10% full.  A key's bucket is its hash (a
 * fixed function of its name, where Redis seeds SipHash at random) masked
 * by the size; a bucket's keys are chained newest first.  Not modelled:
 * the incremental rehash (a resize here is instant, so during a server's
 * rehash the cycle would scan two tables where this scans one).
 *
 * Virtual time has no CPU clock, so the time a cycle uses is counted: every
 * key looked at costs key_ns (--expiry redis:US sets it in microseconds).
 * The default, RX_KEY_NS, is Debian's redis-server 7.0.15 on the 2-core
 * machine this was built on: expire_cycle_cpu_milliseconds / expired_keys
 * (INFO stats) while 30,000 keys of 100-2000 B that expire at one instant
 * are removed, so that every key a cycle looks at has expired: 4.2 us (and
 * 15.7 us for 300,000 such keys with the machine loaded 5 times over: the
 * cycle's clock is the wall clock).  test_fidelity_setex.c measures it
 * again on every run and replays with its own figure.
 * Scanning an empty bucket is counted free.  The cycle takes no virtual
 * time: commands and timers see the clock as if it ran instantly. */
#ifndef FRAGSIM_REDIS_EXPIRE_H
#define FRAGSIM_REDIS_EXPIRE_H

#include <stdint.h>

#include "base/fs_err.h"

#define RX_KEYS_PER_LOOP 20           /* ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP */
#define RX_FAST_DURATION_US 1000      /* ACTIVE_EXPIRE_CYCLE_FAST_DURATION */
#define RX_SLOW_TIME_PERC 25          /* ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC */
#define RX_ACCEPTABLE_STALE 10        /* ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE */
#define RX_DBNUM 16                   /* `databases` (and CRON_DBS_PER_CALL) */
#define RX_KEY_NS 4000                /* CPU per key looked at: see above */

typedef enum rx_kind { RX_SLOW, RX_FAST } rx_kind;

typedef struct rx_state {
    uint32_t *bucket;        /* first key of each bucket, KS_NONE: empty (emem) */
    uint32_t *next;          /* by slot: the next key in its bucket (emem) */
    uint32_t next_cap;
    uint64_t size, used;     /* buckets (0: no table yet, else a power of two), keys */
    uint64_t cursor;         /* db->expires_cursor */
    unsigned current_db;
    int timelimit_exit;      /* the last cycle stopped at its time limit */
    int64_t last_fast_us;
    double stale_perc;       /* stat_expired_stale_perc: a running fraction */
    uint32_t key_ns;
    uint32_t hash_seed;      /* the buckets' order (bucket_of); 0: the keyspace's hash */
    int effort;              /* active-expire-effort, 1-10 */
    /* statistics */
    uint64_t sampled, cycles_slow, cycles_fast, time_cap_reached;
    uint64_t cpu_ns;         /* expire_cycle_cpu_milliseconds, in ns */
} rx_state;

struct engine;

/* key_ns 0: RX_KEY_NS; hash_seed: bucket_of in redis_expire.c; effort 0: 1.
 * Returns 0, or -1 with err. */
int rx_init(rx_state *x, uint32_t key_ns, uint32_t hash_seed, int effort, fs_err *err);
void rx_destroy(rx_state *x);

/* The key in slot got a TTL (it enters the expires dict) / lost it or is
 * going (it leaves).  rx_add returns 0, or -1 with err (out of memory). */
int rx_add(struct engine *e, uint32_t slot, fs_err *err);
void rx_remove(struct engine *e, uint32_t slot);

/* One activeExpireCycle at the engine's clock. */
void rx_cycle(struct engine *e, rx_kind kind);
/* The cron's tryResizeHashTables for the expires dict.  Returns 0 or -1. */
int rx_cron_resize(struct engine *e, fs_err *err);

/* Parses "redis", "redis:US" or "redis:US:SEED" (US: CPU microseconds per
 * key looked at, above 0 and at most 1000; SEED: the expires dict's bucket
 * order, 0 to 2^32-1) into *key_ns (0 for plain "redis") and *hash_seed
 * (may be NULL; 0 when not given).  Returns 1 when name is one of those, 0
 * when it is not "redis..." at all, -1 with err when malformed. */
int rx_parse_cost(const char *name, uint32_t *key_ns, uint32_t *hash_seed, fs_err *err);

#endif
