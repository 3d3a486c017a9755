#include "engine.h"

#include <string.h>

#include "base/emem.h"
#include "engine_int.h"
#include "objmodel_hash.h"
#include "objmodel_list.h"
#include "objmodel_set.h"
#include "objmodel_zset.h"
#include "redis_expire.h"

const char *engine_expiry_name(engine_expiry x) { return x == ENGINE_EXPIRY_REDIS ? "redis" : "exact"; }

int engine_expiry_parse(const char *name, engine_expiry *x, fs_err *err) {
    uint32_t ns;
    int r;
    if (strcmp(name, "exact") == 0) *x = ENGINE_EXPIRY_EXACT;
    else if ((r = rx_parse_cost(name, &ns, NULL, err)) == 1) *x = ENGINE_EXPIRY_REDIS;
    else if (r < 0) return -1;
    else return fs_errf(err, "--expiry '%s': expected exact, redis, redis:US or redis:US:SEED", name);
    return 0;
}

int engine_init(engine *e, const backend_ops *be, void *be_state, const engine_config *cfg,
                fs_err *err) {
    memset(e, 0, sizeof *e);
    /* The bounds keep next + interval far from overflow. */
    if (cfg->sample_interval_us <= 0 || cfg->sample_interval_us > TRACE_TTL_MAX_US)
        return fs_errf(err, "the sample interval must be above 0 and at most 100 years");
    if (cfg->tick_interval_us < 0 || cfg->tick_interval_us > TRACE_TTL_MAX_US ||
        cfg->purge_interval_us < 0 || cfg->purge_interval_us > TRACE_TTL_MAX_US)
        return fs_errf(err, "timer intervals must be 0 (off) or at most 100 years");
    for (size_t i = 0; i < cfg->nsnapshots; i++)
        if (cfg->snapshot_at_us[i] < 0 || cfg->snapshot_at_us[i] > TRACE_TTL_MAX_US ||
            (i > 0 && cfg->snapshot_at_us[i] < cfg->snapshot_at_us[i - 1]))
            return fs_errf(err, "snapshot times must be ascending, from 0 to 100 years");
    e->be = be;
    e->be_state = be_state;
    e->cfg = *cfg;
    if (!cfg->type_limits_set) {
        e->cfg.hash_max_listpack_entries = OMH_MAX_LISTPACK_ENTRIES;
        e->cfg.hash_max_listpack_value = OMH_MAX_LISTPACK_VALUE;
        e->cfg.set_max_intset_entries = OMS_MAX_INTSET_ENTRIES;
        e->cfg.zset_max_listpack_entries = OMZ_MAX_LISTPACK_ENTRIES;
        e->cfg.zset_max_listpack_value = OMZ_MAX_LISTPACK_VALUE;
        e->cfg.list_max_listpack_size = OML_MAX_LISTPACK_SIZE;
    }
    e->last_sample_us = INT64_MIN;
    om_init(&e->om, cfg->object_model);
    e->last_turn_us = INT64_MIN;
    if (rx_init(&e->rx, cfg->expire_key_ns, cfg->expire_hash_seed, cfg->expire_effort, err) != 0)
        return -1;
    rng_seed(&e->ev_rng, EV_SEED);
    rng_seed(&e->zsl_rng, OMZ_LEVEL_SEED);
    defrag_init(&e->df, &cfg->defrag, be);
    if (cfg->nheaps > 1) {
        if (cfg->nheaps > ENGINE_MAX_HEAPS)
            return fs_errf(err, "at most %d heaps", ENGINE_MAX_HEAPS);
        if (be->heap_alloc == NULL || be->heap_free == NULL)
            return fs_errf(err, "allocator %s has no heaps of its own: shards in one process "
                           "need jemalloc's arenas (else --shard K/N, a process per shard)",
                           be->name);
        /* A move would have to stay in the key's arena and read that
         * arena's bins: not modelled. */
        if (cfg->defrag.enabled)
            return fs_errf(err, "active defrag with shards in arenas is not modelled; use "
                           "--shard K/N (a process per shard)");
    }
    if (cfg->maxmemory > 0 && (cfg->maxmemory_samples <= 0 ||
                               (unsigned)cfg->maxmemory_policy >= REDIS_POLICY__COUNT))
        return fs_errf(err, "maxmemory needs a policy and maxmemory-samples above 0");
    return ks_init(&e->ks, err);
}

/* The key's heap, or -1: the default (no heaps, or no key). */
static int heap_of(const engine *e, uint32_t slot) {
    return e->cfg.nheaps > 1 && slot != KS_NONE ? e->heap_of[slot] : -1;
}

/* Adds (sign > 0) or takes away a block's bytes, in the totals and in its
 * heap's (unsigned negation: adding it subtracts). */
static void count(engine *e, int heap, uint64_t requested, uint64_t usable, int sign) {
    if (sign < 0) requested = -requested, usable = -usable;
    e->c.requested_bytes += requested;
    e->c.used_memory += usable;
    if (heap >= 0) {
        e->heaps[heap].requested_bytes += requested;
        e->heaps[heap].used_memory += usable;
    }
}

void *engine_block_alloc(engine *e, uint32_t slot, uint64_t size, size_t *usable) {
    int h = heap_of(e, slot);
    void *p = h < 0 ? e->be->alloc(e->be_state, size, usable)
                    : e->be->heap_alloc(e->be_state, h, size, usable);
    if (p != NULL) count(e, h, size, *usable, +1);
    else e->out_of_memory = 1;
    return p;
}

void engine_block_free(engine *e, uint32_t slot, void *p, uint64_t size, uint64_t usable) {
    int h = heap_of(e, slot);
    if (p != NULL) {
        if (h < 0) e->be->free(e->be_state, p, size);
        else e->be->heap_free(e->be_state, h, p, size);
    }
    count(e, h, size, usable, -1);
}

void *engine_block_realloc(engine *e, uint32_t slot, void *p, uint64_t old_size,
                           uint64_t old_usable, uint64_t size, size_t *usable) {
    int h = heap_of(e, slot);
    const backend_ops *be = e->be;
    void *q;
    if (h < 0 && be->realloc != NULL) {
        q = be->realloc(e->be_state, p, old_size, size, usable);
    } else if (h >= 0 && be->heap_realloc != NULL) {
        q = be->heap_realloc(e->be_state, h, p, old_size, size, usable);
    } else { /* the allocator has no realloc: a move */
        q = h < 0 ? be->alloc(e->be_state, size, usable)
                  : be->heap_alloc(e->be_state, h, size, usable);
        if (q != NULL) {
            memcpy(q, p, old_size < size ? old_size : size);
            if (h < 0) be->free(e->be_state, p, old_size);
            else be->heap_free(e->be_state, h, p, old_size);
        }
    }
    if (q == NULL) return NULL;
    count(e, h, old_size, old_usable, -1);
    count(e, h, size, *usable, +1);
    e->c.reallocs++;
    if ((uintptr_t)q != (uintptr_t)p) e->c.realloc_moves++;
    return q;
}

/* Frees the entry's block, if any, and forgets its bytes. */
static void drop_value(engine *e, uint32_t slot) {
    ks_entry *ent = ks_get(&e->ks, slot);
    engine_block_free(e, slot, ent->block, ent->requested, ent->usable);
    ent->block = NULL;
    ent->requested = ent->usable = 0;
}

/* Adds the event's key, in its heap.  Returns its slot, or KS_NONE with
 * err set. */
uint32_t engine_insert_key(engine *e, const trace_event *ev, fs_err *err) {
    uint64_t h = ev->key == e->hashed_key ? e->hashed : ks_hash(ev->key, ev->keylen);
    uint32_t slot = ks_insert_h(&e->ks, ev->key, ev->keylen, h, err);
    if (slot == KS_NONE || e->cfg.nheaps <= 1) return slot;
    if (ev->shard >= e->cfg.nheaps) {
        ks_delete(&e->ks, slot);
        fs_errf(err, "the key's shard %d is past the %d heaps", ev->shard + 1, e->cfg.nheaps);
        return KS_NONE;
    }
    if (slot >= e->heap_of_cap) {
        uint32_t cap = e->heap_of_cap ? e->heap_of_cap : 4096;
        while (cap <= slot) cap *= 2;
        void *p = e->heap_of == NULL ? emem_map(cap)
                                     : emem_remap(e->heap_of, e->heap_of_cap, cap);
        if (p == NULL) {
            ks_delete(&e->ks, slot);
            fs_errf(err, "out of engine memory for %u keys' heaps", cap);
            return KS_NONE;
        }
        e->heap_of = p;
        e->heap_of_cap = cap;
    }
    e->heap_of[slot] = ev->shard;
    e->heaps[ev->shard].keys++;
    return slot;
}

static int is_redis(const engine *e) { return e->om.kind == OM_REDIS; }

static int redis_expiry(const engine *e) { return e->cfg.expiry == ENGINE_EXPIRY_REDIS; }

void engine_drop_hash(engine *e, uint32_t slot, hashobj *h) {
    omh_free(e, slot, h);
    (*engine_type_keys(e, h->type))--;
    ho_free(h);
    e->hash_of[slot] = NULL;
}

void engine_remove_key(engine *e, uint32_t slot) {
    if (redis_expiry(e) && ks_get(&e->ks, slot)->heap_pos != KS_NONE) rx_remove(e, slot);
    hashobj *h = engine_hash_of(e, slot);
    if (h != NULL) engine_drop_hash(e, slot, h);
    if (is_redis(e)) om_key_free(e, slot);
    else drop_value(e, slot);
    if (heap_of(e, slot) >= 0) e->heaps[heap_of(e, slot)].keys--;
    ks_delete(&e->ks, slot);
}

void engine_destroy(engine *e) {
    if (e->be != NULL) {
        for (uint32_t i = 0; i < e->ks.nslots; i++) {
            if (!ks_live(&e->ks, i)) continue;
            if (engine_hash_of(e, i) != NULL) engine_drop_hash(e, i, e->hash_of[i]);
            if (is_redis(e)) om_key_free(e, i);
            else drop_value(e, i);
        }
        if (is_redis(e)) om_destroy(e);
    }
    ev_destroy(e);
    rx_destroy(&e->rx);
    defrag_destroy(&e->df);
    ks_destroy(&e->ks);
    if (e->heap_of != NULL) emem_unmap(e->heap_of, e->heap_of_cap);
    e->heap_of = NULL;
    if (e->hash_of != NULL) emem_unmap(e->hash_of, (size_t)e->hash_of_cap * sizeof *e->hash_of);
    e->hash_of = NULL;
}

/* Sets the key's expiry; the redis model adds or frees its expires entry. */
static int set_expire(engine *e, uint32_t slot, int64_t expire_us, fs_err *err) {
    int had = ks_get(&e->ks, slot)->heap_pos != KS_NONE;
    if (ks_set_expire(&e->ks, slot, expire_us, err) != 0) return -1;
    int has = expire_us != KS_NO_EXPIRE;
    if (redis_expiry(e) && had != has) {
        if (!has) rx_remove(e, slot);
        else if (rx_add(e, slot, err) != 0) return -1;
    }
    return is_redis(e) && had != has ? om_ttl_changed(e, slot, has, err) : 0;
}

void engine_expire_key(engine *e, uint32_t slot) {
    engine_remove_key(e, slot);
    e->c.expired_keys++;
}

void engine_evict_key(engine *e, uint32_t slot) {
    engine_remove_key(e, slot);
    e->c.evicted_keys++;
}

int engine_room_for_write(engine *e) {
    if (e->cfg.maxmemory == 0 || ev_make_room(e)) return 1;
    e->c.rejected_writes++;
    return 0;
}

/* Expires, in order, every key whose expiry is at or before t (exact
 * expiry only: Redis's waits for an access or the cron). */
static void expire_until(engine *e, int64_t t) {
    uint32_t slot;
    if (redis_expiry(e)) return;
    while ((slot = ks_first_expiring(&e->ks)) != KS_NONE && ks_expire_us(&e->ks, slot) <= t) {
        engine_remove_key(e, slot);
        e->c.expired_keys++;
    }
}

static int purge(engine *e, fs_err *err) {
    e->c.purges++;
    return e->be->purge != NULL ? e->be->purge(e->be_state, err) : 0;
}

/* The earliest timer due, or INT64_MAX. */
static int64_t next_timer(const engine *e) {
    int64_t t = e->next_sample_us;
    if (e->next_tick_us < t) t = e->next_tick_us;
    if (e->next_purge_us < t) t = e->next_purge_us;
    if (e->next_snapshot_us < t) t = e->next_snapshot_us;
    return t;
}

/* A turn of a server's event loop at the clock's time: beforeSleep's fast
 * expire cycle (redis expiry).  One turn per instant however many commands
 * or timers share it: commands a client sent together are read in one turn
 * (engine.h). */
static void event_loop_turn(engine *e) {
    if (e->last_turn_us == e->now_us) return;
    e->last_turn_us = e->now_us;
    rx_cycle(e, RX_FAST);
}

/* Fires every timer due at time t, in the documented order. */
static int fire_timers(engine *e, int64_t t, fs_err *err) {
    if (e->cfg.pace != NULL) e->cfg.pace(e->cfg.arg, t - e->start_us);
    expire_until(e, t);
    e->now_us = t;
    if (e->next_tick_us == t) {
        e->c.ticks++;
        /* databasesCron's order: expire, defrag, then resize and rehash. */
        if (redis_expiry(e)) rx_cycle(e, RX_SLOW);
        if (defrag_cron(e, err) != 0) return -1;
        if (redis_expiry(e) && rx_cron_resize(e, err) != 0) return -1;
        if (is_redis(e) && om_tick(e, err) != 0) return -1;
        if (e->be->tick != NULL && !e->cfg.allocator_tick_events) e->be->tick(e->be_state);
        e->next_tick_us += e->cfg.tick_interval_us;
        /* The event loop turns after its time events: beforeSleep. */
        if (redis_expiry(e)) event_loop_turn(e);
    }
    if (e->next_purge_us == t) {
        if (purge(e, err) != 0) return -1;
        e->next_purge_us += e->cfg.purge_interval_us;
    }
    if (e->next_sample_us == t) {
        e->last_sample_us = t;
        e->samples++;
        e->next_sample_us += e->cfg.sample_interval_us;
        if (e->cfg.on_sample != NULL && e->cfg.on_sample(e->cfg.arg, e, err) != 0) return -1;
    }
    if (e->next_snapshot_us == t) {
        size_t i = ++e->next_snapshot;
        e->next_snapshot_us =
            i < e->cfg.nsnapshots ? e->start_us + e->cfg.snapshot_at_us[i] : INT64_MAX;
        if (e->cfg.on_snapshot != NULL && e->cfg.on_snapshot(e->cfg.arg, e, err) != 0) return -1;
    }
    return 0;
}

/* Nothing can change before the time returned (engine.h): the next event
 * at t, the next key's expiry, defrag's start, whichever comes first; defrag
 * is idle, and the allocator's figures stood still since the last look, a
 * virtual second ago.  Looks at most once a virtual second, and only in a
 * stretch of an hour and 100 samples or more: shorter ones are stepped, so
 * that runs of ordinary traces keep a sample at every interval (and two
 * runs' series stay row for row comparable), while any gap costs at most
 * an hour of ticks on each side of each change inside it (an expiry in the
 * middle of a 10^6-second gap no longer makes the whole gap stepped).
 * Returns that time, or 0 when the stretch must be stepped. */
#define IDLE_MIN_US (3600 * TRACE_US_PER_S)

static int64_t idle_until(engine *e, int64_t due, int64_t t) {
    uint32_t slot = ks_first_expiring(&e->ks);
    int64_t defrag_on = e->start_us + e->df.cfg.enable_at_us;
    if (slot != KS_NONE && ks_expire_us(&e->ks, slot) < t) t = ks_expire_us(&e->ks, slot);
    if (e->df.cfg.enabled && defrag_on > due && defrag_on < t) t = defrag_on;
    if (t - due < IDLE_MIN_US || t - due < 100 * e->cfg.sample_interval_us ||
        due < e->idle_check_us)
        return 0;
    e->idle_check_us = due + TRACE_US_PER_S;
    backend_stats st;
    fs_err ignored;
    if (e->df.st.running || e->be->stats(e->be_state, &st, &ignored) != 0) {
        e->idle_sig_valid = 0;
        return 0;
    }
    uint64_t sig[5] = {st.allocated, st.resident, st.dirty, st.muzzy, st.purged};
    int same = e->idle_sig_valid && memcmp(sig, e->idle_sig, sizeof sig) == 0;
    memcpy(e->idle_sig, sig, sizeof sig);
    e->idle_sig_valid = 1;
    return same ? t : 0;
}

/* The first time of a periodic timer at or after t. */
static int64_t periodic_from(int64_t next, int64_t period, int64_t t) {
    if (next == INT64_MAX || next >= t) return next;
    return next + (t - next + period - 1) / period * period;
}

/* Skips the periodic timers of an idle stretch up to t (snapshots are not
 * skipped: the stretch ends at the next one). */
static void skip_idle(engine *e, int64_t from, int64_t t) {
    if (e->next_snapshot_us < t) t = e->next_snapshot_us;
    e->next_tick_us = periodic_from(e->next_tick_us, e->cfg.tick_interval_us, t);
    e->next_purge_us = periodic_from(e->next_purge_us, e->cfg.purge_interval_us, t);
    e->next_sample_us = periodic_from(e->next_sample_us, e->cfg.sample_interval_us, t);
    e->c.idle_skipped_us += t - from;
    e->idle_sig_valid = 0;
}

/* Moves the clock to t: every timer due before t fires, and every key with
 * expiry <= t expires. */
static int advance(engine *e, int64_t t, fs_err *err) {
    if (!e->started) {
        e->started = 1;
        e->start_us = e->now_us = t;
        e->next_sample_us = t;
        /* The first tick and purge come one period after the start. */
        e->next_tick_us = e->cfg.tick_interval_us ? t + e->cfg.tick_interval_us : INT64_MAX;
        e->next_purge_us = e->cfg.purge_interval_us ? t + e->cfg.purge_interval_us : INT64_MAX;
        e->next_snapshot_us = e->cfg.nsnapshots ? t + e->cfg.snapshot_at_us[0] : INT64_MAX;
    }
    int64_t due, until;
    while ((due = next_timer(e)) < t) {
        if (due != e->next_snapshot_us && (until = idle_until(e, due, t)) > due) {
            skip_idle(e, due, until);
            continue;
        }
        if (fire_timers(e, due, err) != 0) return -1;
    }
    if (e->cfg.pace != NULL && t != e->now_us) e->cfg.pace(e->cfg.arg, t - e->start_us);
    expire_until(e, t);
    e->now_us = t;
    return 0;
}

/* The live key's slot, or KS_NONE.  With Redis's expiry a key past its TTL
 * is expired now, as lookupKey's expireIfNeeded does for any command. */
uint32_t engine_lookup(engine *e, const trace_event *ev) {
    e->hashed_key = ev->key;
    e->hashed = ks_hash(ev->key, ev->keylen);
    uint32_t slot = ks_find_h(&e->ks, ev->key, ev->keylen, e->hashed);
    if (slot != KS_NONE && redis_expiry(e) && ks_expire_us(&e->ks, slot) <= e->now_us) {
        engine_expire_key(e, slot);
        return KS_NONE;
    }
    return slot;
}

/* Gives the key in slot a new value of `size` bytes.  Like a server: the new
 * value is allocated and written before the old one is freed. */
static int replace_value(engine *e, uint32_t slot, uint64_t size, int is_new, fs_err *err) {
    if (is_redis(e)) return om_set_value(e, slot, size, is_new, err);
    void *block = NULL;
    size_t usable = 0;
    if (size > 0) {
        block = engine_block_alloc(e, slot, size, &usable);
        if (block == NULL)
            return fs_errf(err, "the allocator refused %llu bytes (out of memory)",
                           (unsigned long long)size);
        /* A fill byte that varies by key keeps pages from being all zero. */
        memset(block, (int)ks_get(&e->ks, slot)->fill, size);
    }
    drop_value(e, slot);
    ks_entry *ent = ks_get(&e->ks, slot);
    ent->block = block;
    ent->requested = size;
    ent->usable = usable;
    return 0;
}

static int apply_set(engine *e, const trace_event *ev, fs_err *err) {
    if (!engine_room_for_write(e)) return 0;
    uint32_t slot = engine_lookup(e, ev);
    if (ev->cond != TRACE_COND_NONE && (slot != KS_NONE) != (ev->cond == TRACE_COND_XX)) {
        e->c.skipped_writes++;
        return 0;
    }
    int is_new = slot == KS_NONE;
    if (is_new && (slot = engine_insert_key(e, ev, err)) == KS_NONE) return -1;
    if (replace_value(e, slot, ev->size, is_new, err) != 0) return -1;
    /* SET overwrites a key of any type: the new value is made, then the old
     * freed (dbOverwrite). */
    hashobj *h = is_new ? NULL : engine_hash_of(e, slot);
    if (h != NULL) engine_drop_hash(e, slot, h);
    if (ev_touch(e, slot, is_new, err) != 0) return -1;
    ks_entry *ent = ks_get(&e->ks, slot);
    /* SET without a TTL clears an old one, as Redis's SET does. */
    int64_t expire = ev->ttl_us == TRACE_TTL_NONE ? KS_NO_EXPIRE : ev->time_us + ev->ttl_us;
    if (expire != KS_NO_EXPIRE || ent->heap_pos != KS_NONE)
        return set_expire(e, slot, expire, err);
    return 0;
}

/* The value grows by ev->size bytes, as memcached's append builds a new
 * item of the joined size and frees the old: a new block of the whole size,
 * written in full, then the old one freed.  The expiry stays.  A missing
 * key is created (Redis's APPEND) unless the condition is XX (memcached's). */
static int apply_append(engine *e, const trace_event *ev, fs_err *err) {
    if (!engine_room_for_write(e)) return 0;
    uint32_t slot = engine_lookup(e, ev);
    int is_new = slot == KS_NONE;
    if (is_new) {
        if (ev->cond == TRACE_COND_XX) {
            e->c.skipped_writes++;
            return 0;
        }
        if ((slot = engine_insert_key(e, ev, err)) == KS_NONE) return -1;
    } else if (engine_hash_of(e, slot) != NULL) {
        e->c.wrongtype++;
        return 0;
    }
    uint64_t size = ks_get(&e->ks, slot)->requested + ev->size;
    if (size > TRACE_SIZE_MAX)
        return fs_errf(err, "APPEND makes the value %llu bytes: expected at most %llu",
                       (unsigned long long)size, (unsigned long long)TRACE_SIZE_MAX);
    if (replace_value(e, slot, size, is_new, err) != 0) return -1;
    return ev_touch(e, slot, is_new, err);
}

/* A miss the client fills: a SET of the size the trace says the value has. */
static int fill(engine *e, const trace_event *ev, fs_err *err) {
    trace_event set = {.time_us = ev->time_us, .op = TRACE_OP_SET, .key = ev->key,
                       .keylen = ev->keylen, .size = ev->size, .ttl_us = TRACE_TTL_NONE,
                       .shard = ev->shard};
    e->c.fills++;
    return apply_set(e, &set, err);
}

static int apply_event(engine *e, const trace_event *ev, fs_err *err);

int engine_apply(engine *e, const trace_event *ev, fs_err *err) {
    int rc = apply_event(e, ev, err);
    if (e->c.used_memory > e->c.used_memory_peak) e->c.used_memory_peak = e->c.used_memory;
    return rc;
}

static int apply_event(engine *e, const trace_event *ev, fs_err *err) {
    if ((unsigned)ev->op >= TRACE_OP__COUNT)
        return fs_errf(err, "unknown operation %d", (int)ev->op);
    if (e->started && ev->time_us < e->now_us)
        return fs_errf(err, "event at %.6f s is before the clock (%.6f s)",
                       (double)ev->time_us / TRACE_US_PER_S, (double)e->now_us / TRACE_US_PER_S);
    if (advance(e, ev->time_us, err) != 0) return -1;
    e->hashed_key = NULL; /* the hash memo is this event's alone */
    if (redis_expiry(e)) event_loop_turn(e);
    e->c.events++;
    e->c.ops[ev->op]++;
    /* Every keyed command looks its key up first: a step of any rehash. */
    if (is_redis(e) && ev->key != NULL) om_lookups(e);
    uint32_t slot;
    switch (ev->op) {
    case TRACE_OP_SET: return apply_set(e, ev, err);
    case TRACE_OP_DEL:
        if ((slot = engine_lookup(e, ev)) != KS_NONE) {
            engine_remove_key(e, slot);
            e->c.deleted_keys++;
        }
        return 0;
    case TRACE_OP_EXPIRE:
        if ((slot = engine_lookup(e, ev)) == KS_NONE) return 0;
        if (ev->ttl_us == 0) { /* Redis deletes at once; it is not an expiry */
            engine_remove_key(e, slot);
            e->c.deleted_keys++;
            return 0;
        }
        return set_expire(e, slot, ev->time_us + ev->ttl_us, err);
    case TRACE_OP_PERSIST:
        if ((slot = engine_lookup(e, ev)) != KS_NONE)
            return set_expire(e, slot, KS_NO_EXPIRE, err);
        return 0;
    case TRACE_OP_GET:
        if ((slot = engine_lookup(e, ev)) != KS_NONE) {
            e->c.keyspace_hits++;
            return ev_touch(e, slot, 0, err);
        }
        e->c.keyspace_misses++;
        return e->cfg.fill_on_miss && ev->size > 0 ? fill(e, ev, err) : 0;
    case TRACE_OP_APPEND: return apply_append(e, ev, err);
    case TRACE_OP_HSET:
    case TRACE_OP_HDEL:
    case TRACE_OP_SADD:
    case TRACE_OP_SREM:
    case TRACE_OP_ZADD:
    case TRACE_OP_ZREM:
    case TRACE_OP_LPUSH:
    case TRACE_OP_RPUSH:
    case TRACE_OP_LPOP:
    case TRACE_OP_RPOP:
    case TRACE_OP_LTRIM: return engine_apply_typed(e, ev, err);
    case TRACE_OP_PURGE: return purge(e, err);
    case TRACE_OP_TICK:
    case TRACE_OP__COUNT: break;
    }
    return 0;
}

void engine_ahead(engine *e, const trace_event *ev) {
    if (ev->key != NULL)
        ks_ahead(&e->ks, ev->key, ev->keylen,
                 ev->op == TRACE_OP_DEL || (ev->op == TRACE_OP_EXPIRE && ev->ttl_us == 0));
}

int engine_finish(engine *e, fs_err *err) {
    if (!e->started) return fs_errf(err, "the trace has no events");
    if (e->cfg.observe_us > 0 && advance(e, e->now_us + e->cfg.observe_us, err) != 0) return -1;
    int64_t end = e->now_us, due;
    while ((due = next_timer(e)) <= end)
        if (fire_timers(e, due, err) != 0) return -1;
    if (e->last_sample_us != end) {
        e->next_sample_us = end; /* one more sample, at the last event's time */
        if (fire_timers(e, end, err) != 0) return -1;
    }
    return 0;
}
