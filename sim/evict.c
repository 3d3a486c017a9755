/* maxmemory eviction (evict.h). */
#include "evict.h"

#include <string.h>

#include "base/emem.h"
#include "engine.h"

static int is_lfu(redis_policy p) {
    return p == REDIS_POLICY_ALLKEYS_LFU || p == REDIS_POLICY_VOLATILE_LFU;
}
static int is_volatile(redis_policy p) {
    return p == REDIS_POLICY_VOLATILE_LRU || p == REDIS_POLICY_VOLATILE_LFU ||
           p == REDIS_POLICY_VOLATILE_RANDOM || p == REDIS_POLICY_VOLATILE_TTL;
}

static uint64_t now_s(const engine *e) { return (uint64_t)(e->now_us - e->start_us) / TRACE_US_PER_S; }
static uint32_t now_min(const engine *e) { return (uint32_t)(now_s(e) / 60) & 0xffff; }

void ev_destroy(engine *e) {
    if (e->ev.word != NULL) emem_unmap(e->ev.word, (size_t)e->ev.cap * sizeof(uint32_t));
    memset(&e->ev, 0, sizeof e->ev);
}

/* LFUDecrAndReturn: a point lost per decay period since the last decrement. */
static unsigned lfu_decayed(const engine *e, uint32_t w) {
    uint32_t ldt = w >> 8, now = now_min(e);
    unsigned counter = w & 0xff;
    uint32_t elapsed = now >= ldt ? now - ldt : 65535 - ldt + now;
    uint32_t periods = elapsed / EV_LFU_DECAY_MIN;
    return periods > counter ? 0 : counter - periods;
}

int ev_touch(engine *e, uint32_t slot, int created, fs_err *err) {
    if (e->cfg.maxmemory == 0) return 0;
    if (slot >= e->ev.cap) {
        uint32_t cap = e->ev.cap ? e->ev.cap : 1024;
        while (cap <= slot) cap *= 2;
        void *p = e->ev.word == NULL ? emem_map((size_t)cap * sizeof(uint32_t))
                                     : emem_remap(e->ev.word, (size_t)e->ev.cap * sizeof(uint32_t),
                                                  (size_t)cap * sizeof(uint32_t));
        if (p == NULL) return fs_errf(err, "out of engine memory for %u keys", cap);
        e->ev.word = p;
        e->ev.cap = cap;
    }
    uint32_t *w = &e->ev.word[slot];
    if (!is_lfu(e->cfg.maxmemory_policy)) {
        *w = (uint32_t)now_s(e);
        return 0;
    }
    unsigned counter = created ? EV_LFU_INIT : lfu_decayed(e, *w);
    if (!created && counter < 255) { /* LFULogIncr */
        double base = counter > EV_LFU_INIT ? counter - EV_LFU_INIT : 0;
        if (rng_double(&e->ev_rng) < 1.0 / (base * EV_LFU_LOG_FACTOR + 1)) counter++;
    }
    *w = now_min(e) << 8 | counter;
    return 0;
}

/* A random live key (all keys, or with a TTL), or KS_NONE. */
static uint32_t random_key(engine *e, int volatile_only) {
    if (volatile_only)
        return e->ks.heap_len ? ks_expiring_at(&e->ks, (uint32_t)rng_below(&e->ev_rng, e->ks.heap_len)) : KS_NONE;
    if (e->ks.count == 0) return KS_NONE;
    /* Free slots are a minority unless most keys went; the bound only
     * keeps a pathological keyspace from spinning. */
    for (int i = 0; i < 1000; i++) {
        uint32_t s = (uint32_t)rng_below(&e->ev_rng, e->ks.nslots);
        if (ks_live(&e->ks, s)) return s;
    }
    for (uint32_t s = 0; s < e->ks.nslots; s++)
        if (ks_live(&e->ks, s)) return s;
    return KS_NONE;
}

static uint64_t score(engine *e, uint32_t slot) {
    redis_policy p = e->cfg.maxmemory_policy;
    if (p == REDIS_POLICY_VOLATILE_TTL) return UINT64_MAX - (uint64_t)ks_expire_us(&e->ks, slot);
    uint32_t w = slot < e->ev.cap ? e->ev.word[slot] : 0;
    if (is_lfu(p)) return 255 - lfu_decayed(e, w);
    return now_s(e) - w; /* idle seconds */
}

/* evictionPoolPopulate: the pool keeps the best EV_POOL_SIZE candidates,
 * in ascending score; a sampled key already there is not added twice. */
static void pool_add(engine *e, uint32_t slot) {
    evictor *v = &e->ev;
    uint64_t sc = score(e, slot), h = ks_get(&e->ks, slot)->hash;
    for (int i = 0; i < v->npool; i++)
        if (v->pool[i].slot == slot && v->pool[i].hash == h) {
            v->pool[i].score = sc;
            return;
        }
    int pos = 0;
    while (pos < v->npool && v->pool[pos].score < sc) pos++;
    if (v->npool == EV_POOL_SIZE) {
        if (pos == 0) return; /* worse than every candidate */
        memmove(&v->pool[0], &v->pool[1], (size_t)(pos - 1) * sizeof v->pool[0]);
        pos--;
    } else {
        memmove(&v->pool[pos + 1], &v->pool[pos], (size_t)(v->npool - pos) * sizeof v->pool[0]);
        v->npool++;
    }
    v->pool[pos] = (ev_candidate){.score = sc, .hash = h, .slot = slot};
}

/* The best candidate still live (and still with a TTL for volatile-*). */
static uint32_t pool_pop(engine *e) {
    int vol = is_volatile(e->cfg.maxmemory_policy);
    while (e->ev.npool > 0) {
        ev_candidate c = e->ev.pool[--e->ev.npool];
        ks_entry *ent = c.slot < e->ks.nslots ? ks_get(&e->ks, c.slot) : NULL;
        if (ent != NULL && ks_live(&e->ks, c.slot) && ent->hash == c.hash &&
            (!vol || ent->heap_pos != KS_NONE))
            return c.slot;
    }
    return KS_NONE;
}

static uint32_t victim(engine *e) {
    redis_policy p = e->cfg.maxmemory_policy;
    int vol = is_volatile(p);
    if (p == REDIS_POLICY_ALLKEYS_RANDOM || p == REDIS_POLICY_VOLATILE_RANDOM)
        return random_key(e, vol);
    if (vol ? e->ks.heap_len == 0 : e->ks.count == 0) return KS_NONE;
    uint32_t slot;
    do {
        for (int i = 0; i < e->cfg.maxmemory_samples; i++) {
            uint32_t s = random_key(e, vol);
            if (s != KS_NONE) pool_add(e, s);
        }
    } while ((slot = pool_pop(e)) == KS_NONE && (vol ? e->ks.heap_len : e->ks.count) > 0);
    return slot;
}

int ev_make_room(engine *e) {
    while (e->c.used_memory > e->cfg.maxmemory) {
        if (e->cfg.maxmemory_policy == REDIS_POLICY_NOEVICTION) return 0;
        uint32_t slot = victim(e);
        if (slot == KS_NONE) return 0;
        engine_evict_key(e, slot);
    }
    return 1;
}
