#include "shards.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* shards.csv's columns after virtual_time, shard and class: the byte
 * columns take series.csv's names, meaning the same for one shard's heap. */
#define SHARDS_HEADER \
    "virtual_time,shard,class,keys,requested_bytes,used_memory,allocator_allocated," \
    "allocator_active,allocator_resident,allocator_mapped,allocator_retained," \
    "allocator_metadata,allocator_dirty,allocator_muzzy,allocator_frag_ratio\n"

int shards_open(shards_writer *w, const char *dir, const engine *e, const transform_spec *t,
                shard_summary *sum, fs_err *err) {
    memset(w, 0, sizeof *w);
    char path[1200];
    snprintf(path, sizeof path, "%s/shards.csv", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) return fs_errf(err, "cannot create %s", path);
    if (outbuf_open(&w->ob, fd, "shards.csv", err) != 0) return -1;
    outbuf_puts(&w->ob, SHARDS_HEADER);
    w->n = e->cfg.nheaps;
    w->sum = sum;
    for (int k = 0; k < w->n; k++) {
        memset(&sum[k], 0, sizeof sum[k]);
        snprintf(sum[k].label, sizeof sum[k].label, "%d/%d", k + 1, w->n);
        transform_shard_class(t, k, sum[k].cls, sizeof sum[k].cls);
    }
    return 0;
}

static void put_u64(outbuf *ob, uint64_t v, int have) {
    if (have) outbuf_printf(ob, ",%llu", (unsigned long long)v);
    else outbuf_puts(ob, ",");
}

static void peak_of(uint64_t *peak, uint64_t v) {
    if (v > *peak) *peak = v;
}

int shards_sample(shards_writer *w, const engine *e, double vt, fs_err *err) {
    for (int k = 0; k < w->n; k++) {
        shard_figures f = {.keys = e->heaps[k].keys,
                           .requested_bytes = e->heaps[k].requested_bytes,
                           .used_memory = e->heaps[k].used_memory};
        if (e->be->heap_stats(e->be_state, k, &f.alloc, err) != 0) return -1;
        uint32_t h = f.alloc.have;
        int both = (h & BACKEND_HAVE_ACTIVE) && (h & BACKEND_HAVE_ALLOCATED);
        f.allocator_frag_ratio = both && f.alloc.allocated > 0
                                     ? (double)f.alloc.active / (double)f.alloc.allocated
                                     : NAN;
        shard_summary *s = &w->sum[k];
        outbuf_printf(&w->ob, "%.6f,%s,%s", vt, s->label, s->cls);
        outbuf_printf(&w->ob, ",%llu,%llu,%llu", (unsigned long long)f.keys,
                      (unsigned long long)f.requested_bytes, (unsigned long long)f.used_memory);
        const backend_stats *a = &f.alloc;
        put_u64(&w->ob, a->allocated, h & BACKEND_HAVE_ALLOCATED);
        put_u64(&w->ob, a->active, h & BACKEND_HAVE_ACTIVE);
        put_u64(&w->ob, a->resident, h & BACKEND_HAVE_RESIDENT);
        put_u64(&w->ob, a->mapped, h & BACKEND_HAVE_MAPPED);
        put_u64(&w->ob, a->retained, h & BACKEND_HAVE_RETAINED);
        put_u64(&w->ob, a->metadata, h & BACKEND_HAVE_METADATA);
        put_u64(&w->ob, a->dirty, h & BACKEND_HAVE_DIRTY);
        put_u64(&w->ob, a->muzzy, h & BACKEND_HAVE_MUZZY);
        if (isnan(f.allocator_frag_ratio)) outbuf_puts(&w->ob, ",\n");
        else outbuf_printf(&w->ob, ",%.4f\n", f.allocator_frag_ratio);
        /* Peaks of every gauge; a sample's figures start the record. */
        shard_figures *p = &s->peak;
        if (w->samples == 0) *p = f;
        peak_of(&p->keys, f.keys);
        peak_of(&p->requested_bytes, f.requested_bytes);
        peak_of(&p->used_memory, f.used_memory);
        peak_of(&p->alloc.allocated, a->allocated);
        peak_of(&p->alloc.active, a->active);
        peak_of(&p->alloc.resident, a->resident);
        peak_of(&p->alloc.mapped, a->mapped);
        peak_of(&p->alloc.retained, a->retained);
        peak_of(&p->alloc.metadata, a->metadata);
        p->allocator_frag_ratio = NAN;
        s->final = f;
    }
    w->samples++;
    return w->ob.error ? fs_errf(err, "cannot write shards.csv: %s", strerror(w->ob.error)) : 0;
}

int shards_close(shards_writer *w, fs_err *err) { return outbuf_close(&w->ob, err); }
