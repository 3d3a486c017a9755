/* Active defrag (defrag.h): Redis 7's activeDefragCycle on the engine's
 * keyspace, with the allocator under test doing the moves. */
#include "defrag.h"

#include <math.h>
#include <string.h>
#include <time.h>

#include "base/emem.h"
#include "engine.h"

const char *defrag_hint_name(defrag_hint_kind k) {
    return k == DEFRAG_HINT_ALWAYS ? "always" : k == DEFRAG_HINT_GENERIC ? "generic" : "auto";
}

int defrag_hint_parse(const char *name, defrag_hint_kind *k, fs_err *err) {
    if (strcmp(name, "auto") == 0) *k = DEFRAG_HINT_AUTO;
    else if (strcmp(name, "generic") == 0) *k = DEFRAG_HINT_GENERIC;
    else if (strcmp(name, "always") == 0) *k = DEFRAG_HINT_ALWAYS;
    else return fs_errf(err, "--defrag-hint '%s': expected auto, generic or always", name);
    return 0;
}

/* ---- the generic rule's census ---- */

struct df_cell {
    uint64_t region;  /* address >> region_shift */
    uint32_t usable;  /* 0: an empty cell */
    uint32_t count;   /* live blocks of that size in the region (may fall to 0) */
};

struct df_class {
    uint32_t usable;
    uint64_t blocks;  /* live blocks of the size, census-wide */
    uint64_t regions; /* regions holding at least one */
};

#define DF_MAX_CLASSES 1024
#define DF_LARGE_FRACTION 8 /* blocks above region / 8 are never moved */

static uint64_t cell_hash(uint64_t region, uint32_t usable) {
    uint64_t h = region * 0x9E3779B97F4A7C15ull ^ (uint64_t)usable * 0xC2B2AE3D27D4EB4Full;
    return h ^ (h >> 29);
}

static df_class *class_of(defrag *d, uint32_t usable, int add) {
    for (uint32_t i = 0; i < d->nclasses; i++)
        if (d->classes[i].usable == usable) return &d->classes[i];
    if (!add || d->nclasses == DF_MAX_CLASSES) return NULL;
    df_class *c = &d->classes[d->nclasses++];
    c->usable = usable;
    c->blocks = c->regions = 0;
    return c;
}

static df_cell *cell_of(defrag *d, uint64_t region, uint32_t usable) {
    uint64_t mask = d->cells_cap - 1;
    for (uint64_t i = cell_hash(region, usable) & mask;; i = (i + 1) & mask) {
        df_cell *c = &d->cells[i];
        if (c->usable == 0 || (c->region == region && c->usable == usable)) return c;
    }
}

static int census_grow(defrag *d, fs_err *err) {
    uint64_t cap = d->cells_cap ? d->cells_cap * 2 : 4096;
    df_cell *old = d->cells;
    uint64_t old_cap = d->cells_cap;
    d->cells = emem_map(cap * sizeof(df_cell));
    if (d->cells == NULL) {
        d->cells = old;
        return fs_errf(err, "out of engine memory for the defrag census (%llu cells)",
                       (unsigned long long)cap);
    }
    d->cells_cap = cap;
    for (uint64_t i = 0; i < old_cap; i++)
        if (old[i].usable != 0) *cell_of(d, old[i].region, old[i].usable) = old[i];
    if (old != NULL) emem_unmap(old, old_cap * sizeof(df_cell));
    return 0;
}

static int is_small(const defrag *d, uint64_t usable) {
    return usable > 0 && usable * DF_LARGE_FRACTION <= ((uint64_t)1 << d->region_shift);
}

/* Counts one block in (delta +1) or out (-1) of the census. */
static int census_count(defrag *d, const void *p, uint64_t usable, int delta, fs_err *err) {
    if (!is_small(d, usable)) return 0;
    if (delta > 0 && (d->cells_used + 1) * 2 > d->cells_cap && census_grow(d, err) != 0) return -1;
    uint64_t region = (uint64_t)(uintptr_t)p >> d->region_shift;
    df_class *k = class_of(d, (uint32_t)usable, delta > 0);
    if (k == NULL) return 0; /* more sizes than the census holds: never moved */
    df_cell *c = cell_of(d, region, (uint32_t)usable);
    if (c->usable == 0) {
        if (delta < 0) return 0; /* born after the census */
        c->region = region;
        c->usable = (uint32_t)usable;
        c->count = 0;
        d->cells_used++;
    }
    if (delta > 0) {
        if (c->count++ == 0) k->regions++;
        k->blocks++;
    } else if (c->count > 0) {
        if (--c->count == 0) k->regions--;
        k->blocks--;
    }
    return 0;
}

static int generic_hint(defrag *d, const void *p, uint64_t usable) {
    if (!is_small(d, usable)) return 0;
    df_class *k = class_of(d, (uint32_t)usable, 0);
    if (k == NULL || k->regions < 2) return 0;
    df_cell *c = cell_of(d, (uint64_t)(uintptr_t)p >> d->region_shift, (uint32_t)usable);
    if (c->usable == 0 || c->count == 0) return 0;
    if (c->count >= ((uint64_t)1 << d->region_shift) / usable) return 0; /* full */
    /* count <= 1.125 * blocks / regions */
    return 8 * (uint64_t)c->count * k->regions <= 9 * k->blocks;
}

/* ---- blocks of a key ---- */

static int key_blocks(engine *e, uint32_t slot, om_block out[OM_KEY_MAX_BLOCKS]) {
    if (e->om.kind == OM_REDIS) return om_key_blocks(e, slot, out);
    ks_entry *ent = ks_get(&e->ks, slot);
    if (ent->block == NULL) return 0;
    out[0] = (om_block){&ent->block, ent->requested, ent->usable};
    return 1;
}

static void census_reset(defrag *d) {
    if (d->cells != NULL) memset(d->cells, 0, d->cells_cap * sizeof(df_cell));
    d->cells_used = 0;
    d->nclasses = 0;
}

static int census_key(engine *e, uint32_t slot, fs_err *err) {
    om_block b[OM_KEY_MAX_BLOCKS];
    int n = key_blocks(e, slot, b);
    for (int i = 0; i < n; i++)
        if (census_count(&e->df, *b[i].p, b[i].usable, +1, err) != 0) return -1;
    return 0;
}

/* ---- the cycle ---- */

static uint64_t thread_cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void defrag_init(defrag *d, const defrag_config *cfg, const backend_ops *be) {
    memset(d, 0, sizeof *d);
    d->cfg = *cfg;
    d->generic = cfg->hint == DEFRAG_HINT_GENERIC ||
                 (cfg->hint == DEFRAG_HINT_AUTO && be->defrag_hint == NULL);
    size_t region = be->defrag_region ? be->defrag_region : 4096;
    while (((size_t)1 << d->region_shift) < region) d->region_shift++;
    d->st.frag_at_first_start = d->st.frag_at_last_end = NAN;
    d->st.first_start_s = d->st.last_end_s = NAN;
}

void defrag_destroy(defrag *d) {
    if (d->cells != NULL) emem_unmap(d->cells, d->cells_cap * sizeof(df_cell));
    if (d->classes != NULL) emem_unmap(d->classes, DF_MAX_CLASSES * sizeof(df_class));
    d->cells = NULL;
    d->classes = NULL;
}

/* Allocator fragmentation as Redis's getAllocatorFragmentation reads it.
 * An allocator without an active figure (glibc) is read by its mapped
 * heap instead.  Returns 0 when there is nothing to read. */
static int read_frag(engine *e, double *pct, uint64_t *bytes) {
    backend_stats s;
    fs_err ignored;
    if (e->be->stats(e->be_state, &s, &ignored) != 0 || !(s.have & BACKEND_HAVE_ALLOCATED) ||
        s.allocated == 0)
        return 0;
    uint64_t active;
    if (s.have & BACKEND_HAVE_ACTIVE) active = s.active;
    else if (s.have & BACKEND_HAVE_MAPPED) active = s.mapped;
    else return 0;
    *pct = (double)active * 100.0 / (double)s.allocated - 100.0;
    *bytes = active > s.allocated ? active - s.allocated : 0;
    return 1;
}

/* computeDefragCycles: starts a pass when the start rule holds, and
 * raises (never lowers) the effort of one under way. */
static void compute_effort(engine *e) {
    defrag *d = &e->df;
    const defrag_config *c = &d->cfg;
    double pct;
    uint64_t bytes;
    if (!read_frag(e, &pct, &bytes)) return;
    if (!d->st.running && (pct < c->threshold_lower || bytes < c->ignore_bytes)) return;
    double effort = c->threshold_upper > c->threshold_lower
                        ? c->cycle_min + (pct - c->threshold_lower) * (c->cycle_max - c->cycle_min) /
                                             (c->threshold_upper - c->threshold_lower)
                        : c->cycle_max;
    int cpu = (int)effort;
    if (cpu < c->cycle_min) cpu = c->cycle_min;
    if (cpu > c->cycle_max) cpu = c->cycle_max;
    if (cpu > d->st.running) d->st.running = cpu;
}

static double frag_ratio_now(engine *e) {
    double pct;
    uint64_t bytes;
    return read_frag(e, &pct, &bytes) ? 1.0 + pct / 100.0 : NAN;
}

static int begin_pass(engine *e, fs_err *err) {
    defrag *d = &e->df;
    d->in_pass = 1;
    d->cursor = 0;
    d->census_phase = d->generic && d->cfg.hint != DEFRAG_HINT_ALWAYS;
    d->st.passes++;
    if (d->st.passes == 1) {
        d->st.frag_at_first_start = frag_ratio_now(e);
        d->st.first_start_s = engine_virtual_time(e);
    }
    if (!d->census_phase) return 0;
    if (d->classes == NULL &&
        (d->classes = emem_map(DF_MAX_CLASSES * sizeof(df_class))) == NULL)
        return fs_errf(err, "out of engine memory for the defrag census");
    census_reset(d);
    return 0;
}

static int should_move(engine *e, const om_block *b) {
    defrag *d = &e->df;
    if (d->cfg.hint == DEFRAG_HINT_ALWAYS) return 1;
    if (d->generic) return generic_hint(d, *b->p, b->usable);
    return e->be->defrag_hint(e->be_state, *b->p);
}

/* activeDefragAlloc: the new block past the thread cache, the bytes
 * copied, the old block freed past the thread cache.  The block's own size
 * is asked for again (Redis asks for the usable size, all it knows: the
 * size class is the same); should the allocator give a different usable
 * size (glibc may hand out a larger chunk) the move is undone, keeping
 * used_memory exact.  Returns 1 when moved. */
static int move_block(engine *e, const om_block *b, fs_err *err) {
    const backend_ops *be = e->be;
    size_t usable = 0;
    void *q = be->defrag_alloc ? be->defrag_alloc(e->be_state, b->size, &usable)
                               : be->alloc(e->be_state, b->size, &usable);
    if (q == NULL) return 0;
    void (*release)(void *, void *, size_t) = be->defrag_free ? be->defrag_free : be->free;
    if (usable != b->usable) {
        release(e->be_state, q, b->size);
        return 0;
    }
    void *old = *b->p;
    memcpy(q, old, b->size);
    release(e->be_state, old, b->size);
    *b->p = q;
    if (e->df.generic && e->df.cfg.hint != DEFRAG_HINT_ALWAYS) {
        if (census_count(&e->df, old, b->usable, -1, err) != 0 ||
            census_count(&e->df, q, b->usable, +1, err) != 0)
            return -1;
    }
    return 1;
}

static int defrag_key(engine *e, uint32_t slot, fs_err *err) {
    defrag *d = &e->df;
    om_block b[OM_KEY_MAX_BLOCKS];
    int n = key_blocks(e, slot, b), moved = 0;
    for (int i = 0; i < n; i++) {
        int rc = should_move(e, &b[i]) ? move_block(e, &b[i], err) : 0;
        if (rc < 0) return -1;
        if (rc) {
            d->st.hits++;
            d->st.bytes_moved += b[i].usable;
            moved = 1;
        } else {
            d->st.misses++;
        }
    }
    if (moved) d->st.key_hits++;
    else d->st.key_misses++;
    return 0;
}

static void end_pass(engine *e) {
    defrag *d = &e->df;
    d->in_pass = 0;
    d->st.passes_done++;
    d->st.running = 0;
    d->st.frag_at_last_end = frag_ratio_now(e);
    d->st.last_end_s = engine_virtual_time(e);
}

static int is_enabled(const engine *e) {
    return e->df.cfg.enabled && e->now_us - e->start_us >= e->df.cfg.enable_at_us;
}

int defrag_cron(engine *e, fs_err *err) {
    defrag *d = &e->df;
    if (!is_enabled(e)) return 0;
    uint64_t t0 = thread_cpu_ns();
    int rc = 0;
    if (e->now_us >= d->next_rule_us) { /* run_with_period(1000) */
        d->next_rule_us = e->now_us + TRACE_US_PER_S;
        compute_effort(e);
    }
    if (!d->st.running) goto out;
    if (!d->in_pass && (rc = begin_pass(e, err)) != 0) goto out;
    if (!d->generic && d->cfg.hint != DEFRAG_HINT_ALWAYS && e->be->defrag_refresh != NULL)
        e->be->defrag_refresh(e->be_state);
    uint64_t budget = (uint64_t)e->cfg.tick_interval_us * 1000u * (uint64_t)d->st.running / 100u;
    if (budget == 0) budget = 1000; /* Redis: at least 1 us */
    for (unsigned iterations = 0;;) {
        if (d->cursor >= e->ks.nslots && d->census_phase) { /* the census is done: the moves */
            d->census_phase = 0;
            d->cursor = 0;
            continue;
        }
        if (d->cursor >= e->ks.nslots) {
            end_pass(e);
            compute_effort(e); /* another pass may start at once */
            if (!d->st.running || thread_cpu_ns() - t0 >= budget) break;
            if ((rc = begin_pass(e, err)) != 0) break;
            continue;
        }
        uint32_t slot = d->cursor++;
        if (ks_live(&e->ks, slot) &&
            (rc = d->census_phase ? census_key(e, slot, err) : defrag_key(e, slot, err)) != 0)
            break;
        if (++iterations >= 16) {
            iterations = 0;
            if (thread_cpu_ns() - t0 >= budget) break;
        }
    }
out:
    d->st.cpu_ns += thread_cpu_ns() - t0;
    return rc;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

uint64_t defrag_checksum(engine *e) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (uint32_t s = 0; s < e->ks.nslots; s++) {
        if (!ks_live(&e->ks, s)) continue;
        h = fnv(h, ks_key(&e->ks, s), ks_get(&e->ks, s)->keylen);
        om_block b[OM_KEY_MAX_BLOCKS];
        int n = key_blocks(e, s, b);
        for (int i = 0; i < n; i++) h = fnv(h, *b[i].p, b[i].size);
    }
    return h;
}
