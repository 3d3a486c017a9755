/* The active expire cycle (redis_expire.h). */
#include "redis_expire.h"

#include <stdlib.h>
#include <string.h>

#include "base/emem.h"
#include "engine.h"

#define DICT_INITIAL 4 /* DICT_HT_INITIAL_SIZE */

int rx_init(rx_state *x, uint32_t key_ns, uint32_t hash_seed, int effort, fs_err *err) {
    memset(x, 0, sizeof *x);
    x->hash_seed = hash_seed;
    if (effort == 0) effort = 1;
    if (effort < 1 || effort > 10)
        return fs_errf(err, "active-expire-effort %d: expected 1 to 10", effort);
    x->key_ns = key_ns ? key_ns : RX_KEY_NS;
    x->effort = effort;
    x->last_fast_us = INT64_MIN / 2;
    return 0;
}

void rx_destroy(rx_state *x) {
    if (x->bucket != NULL) emem_unmap(x->bucket, x->size * sizeof *x->bucket);
    if (x->next != NULL) emem_unmap(x->next, (size_t)x->next_cap * sizeof *x->next);
    x->bucket = x->next = NULL;
}

/* A key's bucket.  Seed 0 takes the keyspace's hash as it is; another seed
 * passes it through a bijective 32-bit mix first (murmur3's finalizer), a
 * different order of the keys over the buckets, as a server's SipHash seed,
 * drawn at random when it starts, gives each server its own. */
static uint64_t bucket_of(const engine *e, uint32_t slot, uint64_t size) {
    uint32_t h = ks_get(&e->ks, slot)->hash;
    if (e->rx.hash_seed != 0) {
        h ^= e->rx.hash_seed;
        h ^= h >> 16, h *= 0x85ebca6bu, h ^= h >> 13, h *= 0xc2b2ae35u, h ^= h >> 16;
    }
    return h & (size - 1);
}

/* A new bucket array of `size` with every key moved in; keys are taken
 * from the old chains head first and put at the head of their new chain,
 * as dictRehash moves them.  Returns 0 or -1. */
static int resize(engine *e, uint64_t size, fs_err *err) {
    rx_state *x = &e->rx;
    uint32_t *b = emem_map(size * sizeof *b);
    if (b == NULL) return fs_errf(err, "out of engine memory for an expires dict of %llu buckets",
                                  (unsigned long long)size);
    memset(b, 0xff, size * sizeof *b); /* KS_NONE */
    for (uint64_t i = 0; i < x->size; i++)
        for (uint32_t s = x->bucket[i], nx; s != KS_NONE; s = nx) {
            nx = x->next[s];
            uint64_t k = bucket_of(e, s, size);
            x->next[s] = b[k];
            b[k] = s;
        }
    if (x->bucket != NULL) emem_unmap(x->bucket, x->size * sizeof *x->bucket);
    x->bucket = b;
    x->size = size;
    return 0;
}

/* The power of two at or above n, at least DICT_INITIAL (_dictNextExp). */
static uint64_t next_pow(uint64_t n) {
    uint64_t s = DICT_INITIAL;
    while (s < n) s *= 2;
    return s;
}

int rx_add(engine *e, uint32_t slot, fs_err *err) {
    rx_state *x = &e->rx;
    if (slot >= x->next_cap) {
        uint32_t cap = x->next_cap ? x->next_cap : 4096;
        while (cap <= slot) cap *= 2;
        void *p = x->next == NULL ? emem_map((size_t)cap * sizeof *x->next)
                                  : emem_remap(x->next, (size_t)x->next_cap * sizeof *x->next,
                                               (size_t)cap * sizeof *x->next);
        if (p == NULL) return fs_errf(err, "out of engine memory for %u keys' expiry links", cap);
        x->next = p;
        x->next_cap = cap;
    }
    /* _dictExpandIfNeeded, before the add. */
    if (x->size == 0 && resize(e, DICT_INITIAL, err) != 0) return -1;
    if (x->used >= x->size && resize(e, next_pow(x->used + 1), err) != 0) return -1;
    uint64_t k = bucket_of(e, slot, x->size);
    x->next[slot] = x->bucket[k];
    x->bucket[k] = slot;
    x->used++;
    return 0;
}

void rx_remove(engine *e, uint32_t slot) {
    rx_state *x = &e->rx;
    uint32_t *p = &x->bucket[bucket_of(e, slot, x->size)];
    while (*p != slot) p = &x->next[*p];
    *p = x->next[slot];
    x->used--;
}

int rx_cron_resize(engine *e, fs_err *err) {
    rx_state *x = &e->rx;
    if (x->size > DICT_INITIAL && x->used * 100 / x->size < 10)
        return resize(e, next_pow(x->used), err);
    return 0;
}

/* One loop over db 0's expires dict: the keys of buckets from the cursor,
 * up to num keys or 20 buckets a key.  Counts into *sampled, *expired. */
static void scan(engine *e, uint64_t num, uint64_t *sampled, uint64_t *expired) {
    rx_state *x = &e->rx;
    int64_t now_ms = e->now_us / 1000;
    uint64_t max_buckets = num * 20, checked = 0;
    while (*sampled < num && checked < max_buckets) {
        uint32_t s = x->bucket[x->cursor & (x->size - 1)];
        checked++;
        while (s != KS_NONE) {
            uint32_t nx = x->next[s]; /* the key may go */
            if (now_ms > ks_expire_us(&e->ks, s) / 1000) {
                engine_expire_key(e, s);
                (*expired)++;
            }
            (*sampled)++;
            s = nx;
        }
        x->cursor++;
    }
}

void rx_cycle(engine *e, rx_kind kind) {
    rx_state *x = &e->rx;
    uint64_t effort = (uint64_t)x->effort - 1;
    uint64_t keys_per_loop = RX_KEYS_PER_LOOP + RX_KEYS_PER_LOOP / 4 * effort;
    int64_t fast_duration = RX_FAST_DURATION_US + RX_FAST_DURATION_US / 4 * (int64_t)effort;
    int64_t slow_perc = RX_SLOW_TIME_PERC + 2 * (int64_t)effort;
    uint64_t acceptable = RX_ACCEPTABLE_STALE - effort;
    int64_t start = e->now_us;
    if (kind == RX_FAST) {
        /* Redis 7.0 compares the fraction with the percentage as written. */
        if (!x->timelimit_exit && x->stale_perc < (double)acceptable) return;
        if (start < x->last_fast_us + fast_duration * 2) return;
        x->last_fast_us = start;
        x->cycles_fast++;
    } else {
        x->cycles_slow++;
    }
    /* Every database either way: CRON_DBS_PER_CALL is `databases`. */
    int dbs_per_call = RX_DBNUM;
    int64_t tick_us = e->cfg.tick_interval_us > 0 ? e->cfg.tick_interval_us : 100000;
    int64_t timelimit_ns = kind == RX_FAST ? fast_duration * 1000 : slow_perc * tick_us * 10;
    if (timelimit_ns <= 0) timelimit_ns = 1000;
    x->timelimit_exit = 0;
    uint64_t total_sampled = 0, total_expired = 0, elapsed_ns = 0;
    unsigned iteration = 0;
    for (int j = 0; j < dbs_per_call && !x->timelimit_exit; j++) {
        unsigned db = x->current_db++ % RX_DBNUM;
        uint64_t sampled, expired;
        if (db != 0) { /* an empty database: one loop that finds nothing */
            iteration++;
            continue;
        }
        do {
            iteration++;
            if (x->used == 0) break;
            if (x->size > DICT_INITIAL && x->used * 100 / x->size < 1) break;
            uint64_t num = x->used < keys_per_loop ? x->used : keys_per_loop;
            sampled = expired = 0;
            scan(e, num, &sampled, &expired);
            total_sampled += sampled;
            total_expired += expired;
            elapsed_ns += sampled * x->key_ns;
            if ((iteration & 0xf) == 0 && elapsed_ns > (uint64_t)timelimit_ns) {
                x->timelimit_exit = 1;
                x->time_cap_reached++;
                break;
            }
        } while (sampled == 0 || expired * 100 / sampled > acceptable);
    }
    x->sampled += total_sampled;
    x->cpu_ns += elapsed_ns;
    double current = total_sampled ? (double)total_expired / (double)total_sampled : 0;
    x->stale_perc = current * 0.05 + x->stale_perc * 0.95;
}

int rx_parse_cost(const char *name, uint32_t *key_ns, uint32_t *hash_seed, fs_err *err) {
    *key_ns = 0;
    if (hash_seed != NULL) *hash_seed = 0;
    if (strncmp(name, "redis", 5) != 0 || (name[5] != '\0' && name[5] != ':')) return 0;
    if (name[5] == '\0') return 1;
    char *end;
    double us = strtod(name + 6, &end);
    if (end == name + 6 || (*end != '\0' && *end != ':') || !(us > 0) || us > 1000)
        return fs_errf(err, "--expiry '%s': expected redis:US, the CPU microseconds a key "
                       "checked costs (above 0, at most 1000)", name);
    *key_ns = (uint32_t)(us * 1000 + 0.5);
    if (*key_ns == 0) *key_ns = 1;
    if (*end == ':') {
        const char *s = end + 1;
        unsigned long long seed = strtoull(s, &end, 10);
        if (end == s || *end != '\0' || *s == '-' || *s == '+' || seed > UINT32_MAX)
            return fs_errf(err, "--expiry '%s': expected redis:US:SEED, SEED a hash seed "
                           "from 0 to %u", name, UINT32_MAX);
        if (hash_seed != NULL) *hash_seed = (uint32_t)seed;
    }
    return 1;
}
