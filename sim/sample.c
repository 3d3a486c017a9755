#include "sample.h"

#include <math.h>
#include <string.h>

#include "base/emem.h"
#include "engine.h"
#include "base/procmem.h"

#define COL(name, type, have, meaning) {#name, type, offsetof(sample_row, name), have, meaning, 0}
#define DCOL(name, type, meaning) {#name, type, offsetof(sample_row, name), 0, meaning, 1}
#define ACOL(name, field, have, meaning) \
    {#name, SAMPLE_U64, offsetof(sample_row, alloc.field), have, meaning, 0}

const sample_column sample_columns[] = {
    COL(virtual_time, SAMPLE_SECONDS, 0, "virtual seconds since the first event"),
    COL(wall_time, SAMPLE_SECONDS, 0, "wall-clock seconds since the replay started"),
    COL(events, SAMPLE_U64, 0, "events applied so far"),
    COL(keys, SAMPLE_U64, 0, "live keys"),
    COL(expired_keys, SAMPLE_U64, 0, "keys expired so far"),
    COL(requested_bytes, SAMPLE_U64, 0,
        "sum of the requested sizes of live values (the same on every allocator)"),
    COL(used_memory, SAMPLE_U64, 0,
        "sum of the usable sizes of live values, as Redis's zmalloc counts them"),
    ACOL(allocator_allocated, allocated, BACKEND_HAVE_ALLOCATED,
         "bytes in live allocations, as the allocator counts them"),
    ACOL(allocator_active, active, BACKEND_HAVE_ACTIVE,
         "bytes in the allocator's pages that hold live allocations"),
    ACOL(allocator_resident, resident, BACKEND_HAVE_RESIDENT,
         "bytes the allocator holds resident (dirty pages and metadata included)"),
    ACOL(allocator_mapped, mapped, BACKEND_HAVE_MAPPED, "bytes the allocator has mapped"),
    ACOL(allocator_retained, retained, BACKEND_HAVE_RETAINED,
         "bytes the allocator keeps mapped but unused, for reuse"),
    ACOL(allocator_metadata, metadata, BACKEND_HAVE_METADATA,
         "bytes of the allocator's own metadata"),
    ACOL(allocator_dirty, dirty, BACKEND_HAVE_DIRTY,
         "bytes in free pages still resident, awaiting decay (jemalloc pdirty)"),
    ACOL(allocator_muzzy, muzzy, BACKEND_HAVE_MUZZY,
         "bytes in free pages advised MADV_FREE, awaiting decay (jemalloc pmuzzy)"),
    ACOL(allocator_purged, purged, BACKEND_HAVE_PURGED,
         "bytes of pages purged so far (each step: dirty to muzzy, muzzy or dirty to the kernel)"),
    ACOL(allocator_npurge, npurge, BACKEND_HAVE_NPURGE, "purge sweeps so far"),
    ACOL(allocator_nmadvise, nmadvise, BACKEND_HAVE_NMADVISE, "madvise calls so far"),
    COL(used_memory_rss, SAMPLE_U64, 0,
        "the emulated server's RSS: process_rss less fragsim's own memory (engine_rss) and its "
        "start-up, plus an empty server's RSS (summary.json server_startup)"),
    COL(engine_rss, SAMPLE_U64, 0, "resident bytes of fragsim's own structures (not the heap)"),
    COL(heap_rss, SAMPLE_I64, 0,
        "process RSS less fragsim's own memory and the start-up baseline: what the heap costs"),
    COL(mem_fragmentation_ratio, SAMPLE_RATIO, 0,
        "process fragmentation: used_memory_rss / (used_memory + used_memory_startup), the "
        "server's used_memory"),
    COL(allocator_frag_ratio, SAMPLE_RATIO, SAMPLE_HAVE_FRAG,
        "allocator fragmentation: allocator_active / allocator_allocated (Redis 7.4: 1 + "
        "allocator_frag_bytes / allocator_allocated)"),
    COL(allocator_rss_ratio, SAMPLE_RATIO, BACKEND_HAVE_RESIDENT | BACKEND_HAVE_ACTIVE,
        "allocator RSS overhead: allocator_resident / allocator_active"),
    COL(rss_overhead_ratio, SAMPLE_RATIO, BACKEND_HAVE_RESIDENT,
        "non-allocator RSS overhead: used_memory_rss / allocator_resident"),
    DCOL(active_defrag_running, SAMPLE_U64,
         "active defrag's effort, percent of CPU, of the pass under way (0: none)"),
    DCOL(active_defrag_hits, SAMPLE_U64, "blocks active defrag moved, so far"),
    DCOL(active_defrag_misses, SAMPLE_U64, "blocks active defrag looked at and left, so far"),
    DCOL(active_defrag_key_hits, SAMPLE_U64, "keys with a block moved by active defrag, so far"),
    DCOL(active_defrag_key_misses, SAMPLE_U64, "keys active defrag scanned and left, so far"),
    DCOL(active_defrag_bytes, SAMPLE_U64, "usable bytes active defrag moved, so far"),
    DCOL(active_defrag_cpu, SAMPLE_SECONDS,
         "thread CPU seconds spent in active defrag (rule, scan, moves), so far"),
    COL(process_rss, SAMPLE_U64, 0,
        "fragsim's process RSS from /proc, its own structures included: what the OOM killer "
        "sees of fragsim"),
    COL(used_memory_startup, SAMPLE_U64, 0,
        "an empty server's used_memory (one client connected), in the server's used_memory "
        "besides the data"),
    COL(used_memory_peak, SAMPLE_U64, 0, "the most used_memory held after any event, so far"),
    COL(allocator_frag_bytes, SAMPLE_I64, SAMPLE_HAVE_FRAG,
        "allocator fragmentation in bytes: allocator_active - allocator_allocated (Redis 7.4: "
        "the small bins' free regions in slabs in use)"),
    COL(allocator_rss_bytes, SAMPLE_I64, BACKEND_HAVE_RESIDENT | BACKEND_HAVE_ACTIVE,
        "allocator RSS overhead in bytes: allocator_resident - allocator_active"),
    COL(rss_overhead_bytes, SAMPLE_I64, BACKEND_HAVE_RESIDENT,
        "non-allocator RSS overhead in bytes: used_memory_rss - allocator_resident"),
    COL(mem_fragmentation_bytes, SAMPLE_I64, 0,
        "process fragmentation in bytes: used_memory_rss - (used_memory + used_memory_startup)"),
};
const size_t sample_ncolumns = sizeof sample_columns / sizeof sample_columns[0];

static double ratio(uint64_t num, uint64_t den, int defined) {
    return defined && den > 0 ? (double)num / (double)den : NAN;
}

void sample_ratios(sample_row *row) {
    uint32_t h = row->alloc.have;
    int have_active = (h & BACKEND_HAVE_ACTIVE) && (h & BACKEND_HAVE_ALLOCATED);
    uint64_t server_used = row->used_memory + row->used_memory_startup;
    row->mem_fragmentation_ratio = ratio(row->used_memory_rss, server_used, 1);
    row->mem_fragmentation_bytes = (int64_t)row->used_memory_rss - (int64_t)server_used;
    int frag_known;
    if (row->frag_from_bins) {
        frag_known = (h & SAMPLE_HAVE_SMALLBINS) && (h & BACKEND_HAVE_ALLOCATED);
        row->allocator_frag_ratio =
            frag_known && row->alloc.allocated > 0
                ? 1.0 + (double)row->allocator_frag_bytes / (double)row->alloc.allocated
                : NAN;
    } else {
        frag_known = have_active;
        row->allocator_frag_bytes = (int64_t)row->alloc.active - (int64_t)row->alloc.allocated;
        row->allocator_frag_ratio = ratio(row->alloc.active, row->alloc.allocated, frag_known);
    }
    row->alloc.have = frag_known ? h | SAMPLE_HAVE_FRAG : h & ~SAMPLE_HAVE_FRAG;
    row->allocator_rss_ratio = ratio(row->alloc.resident, row->alloc.active,
                                     (h & BACKEND_HAVE_RESIDENT) && (h & BACKEND_HAVE_ACTIVE));
    row->allocator_rss_bytes = (int64_t)row->alloc.resident - (int64_t)row->alloc.active;
    row->rss_overhead_ratio = ratio(row->used_memory_rss, row->alloc.resident,
                                    (h & BACKEND_HAVE_RESIDENT) != 0);
    row->rss_overhead_bytes = (int64_t)row->used_memory_rss - (int64_t)row->alloc.resident;
}

int sample_measure(sample_row *row, const engine *e, double wall_time, uint64_t baseline_rss,
                   const sample_server *srv, fs_err *err) {
    memset(row, 0, sizeof *row);
    row->virtual_time = engine_virtual_time(e);
    row->wall_time = wall_time;
    row->events = e->c.events;
    row->keys = e->ks.count;
    row->expired_keys = e->c.expired_keys;
    row->requested_bytes = e->c.requested_bytes;
    row->used_memory = e->c.used_memory;
    row->used_memory_peak = e->c.used_memory_peak;
    if (e->be->stats(e->be_state, &row->alloc, err) != 0) return -1;
    row->frag_from_bins = redis_version_frag_from_bins(srv->version);
    if (row->frag_from_bins) {
        uint64_t frag;
        int rc = redis_version_smallbins_frag(e->be, e->be_state, &frag, err);
        if (rc < 0) return -1;
        if (rc > 0) row->alloc.have |= SAMPLE_HAVE_SMALLBINS;
        row->allocator_frag_bytes = (int64_t)frag;
    }
    if (procmem_rss(&row->process_rss, err) != 0) return -1;
    row->engine_rss = emem_resident();
    row->heap_rss = (int64_t)row->process_rss - (int64_t)row->engine_rss - (int64_t)baseline_rss;
    /* The server holds what the heap costs on top of its own start-up. */
    int64_t server_rss = row->heap_rss + (int64_t)srv->startup_rss;
    row->used_memory_rss = server_rss > 0 ? (uint64_t)server_rss : 0;
    row->used_memory_startup = srv->startup_used_memory;
    sample_ratios(row);
    const defrag_stats *d = &e->df.st;
    row->active_defrag_running = (uint64_t)d->running;
    row->active_defrag_hits = d->hits;
    row->active_defrag_misses = d->misses;
    row->active_defrag_key_hits = d->key_hits;
    row->active_defrag_key_misses = d->key_misses;
    row->active_defrag_bytes = d->bytes_moved;
    row->active_defrag_cpu = (double)d->cpu_ns * 1e-9;
    return 0;
}

double sample_value(const sample_row *row, const sample_column *col) {
    if (col->have != 0 && (row->alloc.have & col->have) != col->have) return NAN;
    const char *p = (const char *)row + col->offset;
    switch (col->type) {
    case SAMPLE_SECONDS:
    case SAMPLE_RATIO: {
        double v;
        memcpy(&v, p, sizeof v);
        return v;
    }
    case SAMPLE_U64: {
        uint64_t v;
        memcpy(&v, p, sizeof v);
        return (double)v;
    }
    case SAMPLE_I64: {
        int64_t v;
        memcpy(&v, p, sizeof v);
        return (double)v;
    }
    }
    return NAN;
}

void sample_peak_update(sample_row *peak, const sample_row *row) {
    peak->alloc.have &= row->alloc.have;
    for (size_t i = 0; i < sample_ncolumns; i++) {
        const sample_column *c = &sample_columns[i];
        char *dst = (char *)peak + c->offset;
        const char *src = (const char *)row + c->offset;
        switch (c->type) {
        case SAMPLE_RATIO: break;
        case SAMPLE_SECONDS: {
            double a, b;
            memcpy(&a, dst, sizeof a);
            memcpy(&b, src, sizeof b);
            if (isnan(a) || b > a) memcpy(dst, &b, sizeof b);
            break;
        }
        case SAMPLE_U64: {
            uint64_t a, b;
            memcpy(&a, dst, sizeof a);
            memcpy(&b, src, sizeof b);
            if (b > a) memcpy(dst, &b, sizeof b);
            break;
        }
        case SAMPLE_I64: {
            int64_t a, b;
            memcpy(&a, dst, sizeof a);
            memcpy(&b, src, sizeof b);
            if (b > a) memcpy(dst, &b, sizeof b);
            break;
        }
        }
    }
}

#define PEAK_FIELDS 5

int sample_peaks_add(sample_peaks *sp, const sample_row *row, fs_err *err) {
    if (sp->n == sp->cap) {
        size_t cap = sp->cap ? sp->cap * 2 : 4096;
        double *rows = emem_remap(sp->rows, sp->cap * PEAK_FIELDS * sizeof(double),
                                  cap * PEAK_FIELDS * sizeof(double));
        if (rows == NULL) return fs_errf(err, "cannot keep %zu samples' ratios", cap);
        sp->rows = rows;
        sp->cap = cap;
    }
    double *r = &sp->rows[sp->n++ * PEAK_FIELDS];
    r[0] = (double)row->used_memory;
    r[1] = row->mem_fragmentation_ratio;
    r[2] = row->allocator_frag_ratio;
    r[3] = row->allocator_rss_ratio;
    r[4] = row->rss_overhead_ratio;
    return 0;
}

void sample_peaks_ratios(const sample_peaks *sp, sample_row *peak) {
    double max_used = 0, best[PEAK_FIELDS] = {0, NAN, NAN, NAN, NAN};
    for (size_t i = 0; i < sp->n; i++)
        if (sp->rows[i * PEAK_FIELDS] > max_used) max_used = sp->rows[i * PEAK_FIELDS];
    for (size_t i = 0; i < sp->n; i++) {
        const double *r = &sp->rows[i * PEAK_FIELDS];
        if (max_used <= 0 || r[0] < SAMPLE_RATIO_PEAK_FLOOR * max_used) continue;
        for (int f = 1; f < PEAK_FIELDS; f++)
            if (!isnan(r[f]) && (isnan(best[f]) || r[f] > best[f])) best[f] = r[f];
    }
    peak->mem_fragmentation_ratio = best[1];
    peak->allocator_frag_ratio = best[2];
    peak->allocator_rss_ratio = best[3];
    peak->rss_overhead_ratio = best[4];
}

void sample_peaks_free(sample_peaks *sp) {
    emem_unmap(sp->rows, sp->cap * PEAK_FIELDS * sizeof(double));
    sp->rows = NULL;
    sp->n = sp->cap = 0;
}

void sample_means_add(sample_means *m, const sample_row *row) {
    m->have = m->started ? m->have & row->alloc.have : row->alloc.have;
    m->started = 1;
    m->frag_from_bins = row->frag_from_bins;
    for (size_t i = 0; i < sample_ncolumns && i < SAMPLE_MAX_COLUMNS; i++) {
        double v = sample_value(row, &sample_columns[i]);
        if (isnan(v)) continue;
        m->sum[i] += v;
        m->n[i]++;
    }
}

void sample_means_row(const sample_means *m, sample_row *out) {
    memset(out, 0, sizeof *out);
    out->alloc.have = m->have;
    out->frag_from_bins = m->frag_from_bins;
    for (size_t i = 0; i < sample_ncolumns && i < SAMPLE_MAX_COLUMNS; i++) {
        const sample_column *c = &sample_columns[i];
        char *dst = (char *)out + c->offset;
        double mean = m->n[i] ? m->sum[i] / (double)m->n[i] : NAN;
        switch (c->type) {
        case SAMPLE_RATIO: break; /* below, from the mean bytes */
        case SAMPLE_SECONDS: memcpy(dst, &mean, sizeof mean); break;
        case SAMPLE_U64: {
            uint64_t v = isnan(mean) ? 0 : (uint64_t)llround(mean);
            memcpy(dst, &v, sizeof v);
            break;
        }
        case SAMPLE_I64: {
            int64_t v = isnan(mean) ? 0 : (int64_t)llround(mean);
            memcpy(dst, &v, sizeof v);
            break;
        }
        }
    }
    /* The mean of a ratio of small numbers at start-up and drain-out says
     * nothing; the ratio of the means is the average fragmentation. */
    sample_ratios(out);
}
