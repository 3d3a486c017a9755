/* The pre-pass of --uniform-ttl SEP:STAT: every prefix's TTL statistic over
 * the whole trace, before the replay starts.
 *
 * A statistic other than the first seen needs every SET of a prefix before
 * the prefix's first key is written, which a stream cannot give; so the
 * source is read twice (files and presets can be; standard input cannot).
 * The first reading counts each distinct (prefix, TTL) pair, which is exact
 * for the median and small when TTLs repeat, as they do in real traces (a
 * handful per key type); at worst one 24-byte entry per SET.  The pairs are
 * then sorted by prefix and TTL and each prefix's run gives its statistic.
 *
 * Everything lives in the engine's own memory (sim/emem.h) and nothing
 * calls malloc (no qsort: glibc's may allocate): the pre-pass runs in the
 * worker, before the allocator under test has seen anything. */
#include <stdint.h>
#include <string.h>

#include "../sim/base/emem.h"
#include "trace_transform.h"

/* TRACE_TTL_NONE sorts last: "no TTL" is the longest TTL there is. */
#define TTL_INF INT64_MAX

typedef struct pair {
    uint64_t prefix; /* transform_key_hash of the prefix; never 0 */
    int64_t ttl;     /* µs, or TTL_INF */
    uint64_t count;  /* SETs with it; 0: empty slot */
} pair;

typedef struct entry {
    uint64_t prefix;
    int64_t ttl_us; /* the statistic: µs or TRACE_TTL_NONE */
} entry;

struct transform_ttl_table {
    entry *e; /* sorted by prefix */
    size_t n;
    size_t bytes; /* mapped */
};

typedef struct pairs {
    pair *p;
    size_t cap, count;
} pairs;

static size_t pair_slot(const pairs *t, uint64_t prefix, int64_t ttl) {
    uint64_t h = prefix ^ ((uint64_t)ttl * 0x9e3779b97f4a7c15ULL);
    h ^= h >> 31;
    for (size_t i = h & (t->cap - 1);; i = (i + 1) & (t->cap - 1))
        if (t->p[i].count == 0 || (t->p[i].prefix == prefix && t->p[i].ttl == ttl)) return i;
}

static int pairs_add(pairs *t, uint64_t prefix, int64_t ttl) {
    if ((t->count + 1) * 2 > t->cap) {
        pairs n = {emem_map((t->cap ? t->cap * 2 : 4096) * sizeof(pair)),
                   t->cap ? t->cap * 2 : 4096, t->count};
        if (n.p == NULL) return -1;
        for (size_t i = 0; i < t->cap; i++)
            if (t->p[i].count) n.p[pair_slot(&n, t->p[i].prefix, t->p[i].ttl)] = t->p[i];
        if (t->p) emem_unmap(t->p, t->cap * sizeof(pair));
        *t = n;
    }
    pair *s = &t->p[pair_slot(t, prefix, ttl)];
    if (s->count == 0) {
        s->prefix = prefix;
        s->ttl = ttl;
        t->count++;
    }
    s->count++;
    return 0;
}

static int pair_less(const pair *a, const pair *b) {
    return a->prefix != b->prefix ? a->prefix < b->prefix : a->ttl < b->ttl;
}

static void sift(pair *a, size_t root, size_t n) {
    for (size_t child; (child = 2 * root + 1) < n; root = child) {
        if (child + 1 < n && pair_less(&a[child], &a[child + 1])) child++;
        if (!pair_less(&a[root], &a[child])) return;
        pair t = a[root];
        a[root] = a[child];
        a[child] = t;
    }
}

/* Heapsort: in place, no allocation, O(n log n) whatever the order. */
static void pairs_sort(pair *a, size_t n) {
    for (size_t i = n / 2; i-- > 0;) sift(a, i, n);
    for (size_t end = n; end-- > 1;) {
        pair t = a[0];
        a[0] = a[end];
        a[end] = t;
        sift(a, 0, end);
    }
}

/* The statistic over one prefix's pairs a[0..n), sorted by TTL. */
static int64_t statistic(transform_ttl_stat st, const pair *a, size_t n) {
    uint64_t total = 0, with_ttl = 0;
    long double sum = 0;
    for (size_t i = 0; i < n; i++) {
        total += a[i].count;
        if (a[i].ttl != TTL_INF) {
            with_ttl += a[i].count;
            sum += (long double)a[i].ttl * (long double)a[i].count;
        }
    }
    int64_t v = TTL_INF;
    switch (st) {
    case TRANSFORM_TTL_MIN: v = a[0].ttl; break;
    case TRANSFORM_TTL_MAX: v = a[n - 1].ttl; break;
    case TRANSFORM_TTL_MEAN:
        if (with_ttl) v = (int64_t)(sum / (long double)with_ttl + 0.5L);
        break;
    case TRANSFORM_TTL_MEDIAN: {
        uint64_t rank = (total - 1) / 2, seen = 0; /* the lower median, 0-based */
        for (size_t i = 0; i < n; i++) {
            seen += a[i].count;
            if (seen > rank) {
                v = a[i].ttl;
                break;
            }
        }
        break;
    }
    case TRANSFORM_TTL_FIRST: break;
    }
    return v == TTL_INF ? TRACE_TTL_NONE : v;
}

int transform_ttl_prepass(transform_spec *s, trace_reader *r, fs_err *err) {
    pairs t = {0};
    trace_event ev;
    int rc;
    while ((rc = trace_next(r, &ev, err)) == 1) {
        if (ev.op != TRACE_OP_SET || ev.key == NULL) continue;
        const char *sep = memchr(ev.key, s->uniform_ttl_sep, ev.keylen);
        uint32_t n = sep ? (uint32_t)(sep - ev.key) : ev.keylen;
        if (pairs_add(&t, transform_key_hash(ev.key, n),
                      ev.ttl_us == TRACE_TTL_NONE ? TTL_INF : ev.ttl_us) != 0) {
            rc = fs_errf(err, "out of engine memory for the uniform-ttl pre-pass");
            break;
        }
    }
    trace_close(r);
    if (rc == 0) {
        /* Compact the occupied slots to the front, sort, one entry per run. */
        size_t m = 0;
        for (size_t i = 0; i < t.cap; i++)
            if (t.p[i].count) t.p[m++] = t.p[i];
        pairs_sort(t.p, m);
        size_t prefixes = 0;
        for (size_t i = 0; i < m; i++) prefixes += i == 0 || t.p[i].prefix != t.p[i - 1].prefix;
        transform_ttl_table *tab = emem_map(sizeof *tab);
        size_t bytes = (prefixes ? prefixes : 1) * sizeof(entry);
        entry *e = tab ? emem_map(bytes) : NULL;
        if (e == NULL) {
            if (tab) emem_unmap(tab, sizeof *tab);
            rc = fs_errf(err, "out of engine memory for the uniform-ttl table");
        } else {
            for (size_t i = 0, k = 0; i < m; k++) {
                size_t j = i;
                while (j < m && t.p[j].prefix == t.p[i].prefix) j++;
                e[k] = (entry){t.p[i].prefix, statistic(s->uniform_ttl_stat, &t.p[i], j - i)};
                i = j;
            }
            *tab = (transform_ttl_table){e, prefixes, bytes};
            transform_ttl_free(s);
            s->ttl_table = tab;
        }
    }
    if (t.p) emem_unmap(t.p, t.cap * sizeof(pair));
    return rc == 0 ? 0 : -1;
}

int transform_ttl_lookup(const transform_ttl_table *tab, uint64_t prefix, int64_t *ttl_us) {
    size_t lo = 0, hi = tab->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tab->e[mid].prefix < prefix) lo = mid + 1;
        else hi = mid;
    }
    if (lo == tab->n || tab->e[lo].prefix != prefix) return 0;
    *ttl_us = tab->e[lo].ttl_us;
    return 1;
}

void transform_ttl_free(transform_spec *s) {
    if (s->ttl_table == NULL) return;
    emem_unmap(s->ttl_table->e, s->ttl_table->bytes);
    emem_unmap(s->ttl_table, sizeof *s->ttl_table);
    s->ttl_table = NULL;
}
