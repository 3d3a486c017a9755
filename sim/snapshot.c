/* Page maps and size-class tables, written from inside the worker. */
#define _GNU_SOURCE
#include "snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/emem.h"
#include "base/outbuf.h"

typedef struct range {
    uint64_t start, end; /* [start, end) */
} range;

const char *snapshot_label(double t, char *buf) {
    if (fabs(t - round(t)) < 1e-9) {
        snprintf(buf, 32, "%.0f", t);
        return buf;
    }
    snprintf(buf, 32, "%.3f", t);
    size_t n = strlen(buf);
    while (n > 0 && buf[n - 1] == '0') buf[--n] = '\0';
    if (n > 0 && buf[n - 1] == '.') buf[--n] = '\0';
    return buf;
}

/* In-place heapsort by start: no memory of its own (qsort may malloc). */
static void sift_down(range *a, size_t i, size_t n) {
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) return;
        if (c + 1 < n && a[c + 1].start > a[c].start) c++;
        if (a[i].start >= a[c].start) return;
        range t = a[i];
        a[i] = a[c];
        a[c] = t;
        i = c;
    }
}

static void sort_ranges(range *a, size_t n) {
    for (size_t i = n / 2; i-- > 0;) sift_down(a, i, n);
    for (size_t end = n; end-- > 1;) {
        range t = a[0];
        a[0] = a[end];
        a[end] = t;
        sift_down(a, 0, end);
    }
}

static int open_out(outbuf *ob, const char *dir, const char *prefix, const char *label,
                    char *path, size_t pathlen, fs_err *err) {
    snprintf(path, pathlen, "%s/%s-%s.csv", dir, prefix, label);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) return fs_errf(err, "cannot create %s: %s", path, strerror(errno));
    return outbuf_open(ob, fd, path, err);
}

/* /proc/self/maps into an emem buffer (*cap bytes mapped), NUL-terminated. */
static char *read_maps(size_t *cap) {
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    size_t n = 0;
    *cap = 1 << 16;
    char *buf = emem_map(*cap);
    while (buf != NULL) {
        if (*cap - n < 4096) {
            char *bigger = emem_remap(buf, *cap, *cap * 2);
            if (bigger == NULL) {
                emem_unmap(buf, *cap);
                buf = NULL;
                break;
            }
            buf = bigger;
            *cap *= 2;
        }
        ssize_t k = read(fd, buf + n, *cap - n - 1);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        n += (size_t)k;
    }
    close(fd);
    if (buf != NULL) buf[n] = '\0';
    return buf;
}

/* The anonymous mappings (no file, or the brk heap) listed in maps, in
 * address order, into out (at most max).  Returns how many. */
static size_t anon_mappings(const char *maps, range *out, size_t max) {
    size_t n = 0;
    for (const char *line = maps; *line && n < max;) {
        const char *nl = strchr(line, '\n');
        const char *end = nl ? nl : line + strlen(line);
        char *p;
        uint64_t start = strtoull(line, &p, 16);
        uint64_t stop = *p == '-' ? strtoull(p + 1, &p, 16) : 0;
        /* perms, offset, device, then the inode. */
        for (int field = 0; field < 3 && p < end; field++) {
            while (p < end && *p == ' ') p++;
            while (p < end && *p != ' ') p++;
        }
        unsigned long long inode = strtoull(p, &p, 10);
        while (p < end && *p == ' ') p++;
        int anon = inode == 0 && (p == end || strncmp(p, "[heap]", 6) == 0);
        if (anon && stop > start) out[n++] = (range){start, stop};
        line = nl ? nl + 1 : end;
    }
    return n;
}

typedef struct region_list {
    range *r;
    size_t n, max;
} region_list;

static void count_region(void *arg, const void *addr, size_t bytes) {
    (void)addr, (void)bytes;
    ((region_list *)arg)->max++;
}

static void add_region(void *arg, const void *addr, size_t bytes) {
    region_list *l = arg;
    if (l->n < l->max) l->r[l->n++] = (range){(uint64_t)(uintptr_t)addr, (uint64_t)(uintptr_t)addr + bytes};
}

#define PROBE_PAGES 4096 /* pages per mincore call */
/* Resident pages without live data are looked for at most this far from
 * the nearest live value in the same mapping: allocators reserve mappings
 * of gigabytes or terabytes, and walking them page by page would take long
 * for nothing (their free resident pages sit near the live ones). */
#define SPAN_SLACK ((uint64_t)1 << 30)

typedef struct pm_state {
    const range *blocks; /* live values, by address */
    size_t nblocks, bi;  /* bi: first value not wholly below the current page */
    const range *engine; /* engine regions, by address */
    size_t nengine, ei;
    uint64_t page_size, base;
    int have_base;
    outbuf *ob;
} pm_state;

/* One page: its live bytes, and its row when it holds live data or is
 * resident outside the engine's memory. */
static void page_row(pm_state *s, uint64_t p, int resident) {
    uint64_t pe = p + s->page_size, live = 0, nblk = 0;
    for (size_t j = s->bi; j < s->nblocks && s->blocks[j].start < pe; j++) {
        uint64_t lo = s->blocks[j].start > p ? s->blocks[j].start : p;
        uint64_t hi = s->blocks[j].end < pe ? s->blocks[j].end : pe;
        if (hi > lo) {
            live += hi - lo;
            nblk++;
        }
    }
    while (s->bi < s->nblocks && s->blocks[s->bi].end <= pe) s->bi++;
    if (live == 0) {
        if (!resident) return;
        while (s->ei < s->nengine && s->engine[s->ei].end <= p) s->ei++;
        if (s->ei < s->nengine && s->engine[s->ei].start <= p) return;
    }
    if (!s->have_base) {
        s->base = p;
        s->have_base = 1;
    }
    outbuf_printf(s->ob, "%llu,%llu,%llu\n", (unsigned long long)((p - s->base) / s->page_size),
                  (unsigned long long)live, (unsigned long long)nblk);
}

/* The pages of one mapping that holds live values. */
static void map_pages(pm_state *s, range m, unsigned char *vec) {
    for (uint64_t c = m.start; c < m.end; c += PROBE_PAGES * s->page_size) {
        uint64_t left = (m.end - c) / s->page_size;
        size_t np = left < PROBE_PAGES ? (size_t)left : PROBE_PAGES;
        if (mincore((void *)(uintptr_t)c, np * s->page_size, vec) != 0) memset(vec, 0, np);
        /* Reserved address space is mostly not resident: skip such chunks
         * whole when no value lies in them either. */
        int resident = 0;
        for (size_t k = 0; k < np && !resident; k++) resident = vec[k] & 1;
        if (!resident && (s->bi == s->nblocks || s->blocks[s->bi].start >= c + np * s->page_size))
            continue;
        for (size_t k = 0; k < np; k++) page_row(s, c + k * s->page_size, vec[k] & 1);
    }
}

int snapshot_pagemap(const char *dir, const char *label, const engine *e, fs_err *err) {
    const keyspace *ks = &e->ks;
    size_t cap = (size_t)ks->count + 1, nb = 0, maps_cap = 0, nmaps = 0, lines = 1;
    range *blocks = emem_map(cap * sizeof *blocks), *maps = NULL;
    unsigned char *vec = emem_map(PROBE_PAGES);
    region_list eng = {0};
    char *maps_text = NULL, path[1300];
    outbuf ob = {0};
    pm_state s;
    int rc = -1;
    if (blocks == NULL || vec == NULL) {
        fs_errf(err, "cannot map memory for the page map at %s s", label);
        goto out;
    }
    for (uint32_t i = 0; i < ks->nslots && nb < cap; i++) {
        const ks_entry *en = &ks->slots[i];
        if (!ks_live(ks, i) || en->block == NULL || en->usable == 0) continue;
        uint64_t a = (uint64_t)(uintptr_t)en->block;
        blocks[nb++] = (range){a, a + en->usable};
    }
    sort_ranges(blocks, nb);
    if (open_out(&ob, dir, "pagemap", label, path, sizeof path, err) != 0) goto out;
    /* Every mapping is made before the address space is read: from here
     * on nothing maps or unmaps until the walk is over. */
    if ((maps_text = read_maps(&maps_cap)) == NULL) {
        fs_errf(err, "cannot read /proc/self/maps for the page map at %s s", label);
        goto out;
    }
    for (const char *p = maps_text; *p; p++) lines += *p == '\n';
    if ((maps = emem_map(lines * sizeof *maps)) == NULL) {
        fs_errf(err, "cannot map memory for the page map at %s s", label);
        goto out;
    }
    nmaps = anon_mappings(maps_text, maps, lines);
    emem_each_region(count_region, &eng);
    eng.max += 8; /* the list's own region, and slack */
    if ((eng.r = emem_map(eng.max * sizeof *eng.r)) == NULL) {
        fs_errf(err, "cannot map memory for the page map at %s s", label);
        goto out;
    }
    emem_each_region(add_region, &eng);
    sort_ranges(eng.r, eng.n);

    s = (pm_state){.blocks = blocks, .nblocks = nb, .engine = eng.r, .nengine = eng.n,
                  .page_size = (uint64_t)sysconf(_SC_PAGESIZE), .ob = &ob};
    outbuf_printf(&ob, "# fragsim page map: virtual_time %.6f, page_size %llu, keys %llu, "
                  "used_memory %llu\npage,live_bytes,blocks\n", engine_virtual_time(e),
                  (unsigned long long)s.page_size, (unsigned long long)ks->count,
                  (unsigned long long)e->c.used_memory);
    for (size_t m = 0; m < nmaps; m++) {
        /* Skip the values below this mapping; list it only if one is in it. */
        while (s.bi < nb && blocks[s.bi].end <= maps[m].start) s.bi++;
        if (s.bi == nb || blocks[s.bi].start >= maps[m].end) continue;
        size_t j = s.bi;
        while (j < nb && blocks[j].start < maps[m].end) j++;
        range w = maps[m];
        uint64_t lo = blocks[s.bi].start & ~(s.page_size - 1), hi = blocks[j - 1].end;
        if (lo > w.start + SPAN_SLACK) w.start = lo - SPAN_SLACK;
        if (hi + SPAN_SLACK < w.end) w.end = (hi + SPAN_SLACK + s.page_size - 1) & ~(s.page_size - 1);
        map_pages(&s, w, vec);
    }
    rc = outbuf_close(&ob, err);
out:
    if (rc != 0 && ob.buf != NULL) outbuf_close(&ob, NULL);
    emem_unmap(eng.r, eng.max * sizeof *eng.r);
    emem_unmap(maps, lines * sizeof *maps);
    emem_unmap(maps_text, maps_cap);
    emem_unmap(vec, PROBE_PAGES);
    emem_unmap(blocks, cap * sizeof *blocks);
    return rc;
}

typedef struct bins_state {
    outbuf *ob;
} bins_state;

static void bin_row(void *arg, const backend_bin *b) {
    outbuf *ob = ((bins_state *)arg)->ob;
    uint64_t regions = b->nregs * b->curslabs;
    uint64_t wasted = regions > b->curregs ? (regions - b->curregs) * b->size : 0;
    outbuf_printf(ob, "%llu,%llu,%llu,%llu,%llu,%llu,%llu,", (unsigned long long)b->size,
                  (unsigned long long)b->nregs, (unsigned long long)b->slab_size,
                  (unsigned long long)b->curslabs, (unsigned long long)b->curregs,
                  (unsigned long long)b->nonfull_slabs, (unsigned long long)regions);
    if (regions > 0) outbuf_printf(ob, "%.4f", (double)b->curregs / (double)regions);
    outbuf_printf(ob, ",%llu\n", (unsigned long long)wasted);
}

int snapshot_bins(const char *dir, const char *label, const engine *e, fs_err *err) {
    if (e->be->bins == NULL) return 0;
    outbuf ob;
    char path[1300];
    if (open_out(&ob, dir, "bins", label, path, sizeof path, err) != 0) return -1;
    outbuf_printf(&ob, "# fragsim size classes: virtual_time %.6f\n"
                  "size,nregs,slab_size,curslabs,curregs,nonfull_slabs,regions,utilization,"
                  "wasted_bytes\n", engine_virtual_time(e));
    bins_state bs = {&ob};
    if (e->be->bins(e->be_state, bin_row, &bs, err) != 0) {
        outbuf_close(&ob, NULL);
        return -1;
    }
    return outbuf_close(&ob, err);
}
