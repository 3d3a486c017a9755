/* A hash key's fields in engine memory (hashobj.h). */
#include "hashobj.h"

#include <string.h>

#include "base/emem.h"
#include "base/keyspace.h"

/* Engine memory of n bytes: small classes up to EMEM_SMALL_MAX, a mapping
 * above.  mem_put must be given the same n. */
static void *mem_get(size_t n) { return n <= EMEM_SMALL_MAX ? emem_alloc(n) : emem_map(n); }

static void mem_put(void *p, size_t n) {
    if (p == NULL) return;
    if (n <= EMEM_SMALL_MAX) emem_free(p, n);
    else emem_unmap(p, n);
}

/* An array of n (old) elements of `size` bytes grown to cap, the new ones
 * zeroed.  Returns NULL (the old one intact) when out of engine memory. */
static void *grow_array(void *old, size_t size, uint32_t n, uint32_t old_cap, uint32_t cap) {
    char *p = mem_get((size_t)cap * size);
    if (p == NULL) return NULL;
    if (n) memcpy(p, old, (size_t)n * size);
    memset(p + (size_t)n * size, 0, (size_t)(cap - n) * size);
    mem_put(old, (size_t)old_cap * size);
    return p;
}

hashobj *ho_new(void) {
    hashobj *h = emem_alloc(sizeof *h);
    if (h != NULL) memset(h, 0, sizeof *h);
    return h;
}

void ho_free(hashobj *h) {
    if (h == NULL) return;
    mem_put(h->f, (size_t)h->fcap * sizeof *h->f);
    mem_put(h->b, (size_t)h->fcap * sizeof *h->b);
    mem_put(h->score, (size_t)h->fcap * sizeof *h->score);
    if (h->zsl != NULL) emem_free(h->zsl, sizeof *h->zsl);
    if (h->list != NULL) {
        mem_put(h->list->el, (size_t)h->list->el_cap * sizeof *h->list->el);
        mem_put(h->list->qn, (size_t)h->list->qn_cap * sizeof *h->list->qn);
        emem_free(h->list, sizeof *h->list);
    }
    mem_put(h->names, h->names_cap);
    mem_put(h->idx, (size_t)h->icap * sizeof *h->idx);
    emem_free(h, sizeof *h);
}

ho_list *ho_list_of(hashobj *h) {
    if (h->list == NULL && (h->list = emem_alloc(sizeof *h->list)) != NULL)
        memset(h->list, 0, sizeof *h->list);
    return h->list;
}

/* The array arr of cap elements of w bytes, len used from *start, with a
 * free slot before (front) or after them: recentred in place when at most
 * half full, else moved to one twice as big. */
static int gap_reserve(void **arr, uint32_t *start, uint32_t len, uint32_t *cap, size_t w,
                       int front) {
    if (front ? *start > 0 : *start + len < *cap) return 0;
    uint32_t ncap = *cap;
    if ((uint64_t)(len + 1) * 2 > ncap) ncap = ncap ? ncap * 2 : 8;
    if (ncap < *cap) return -1; /* 2^32 elements */
    uint32_t nstart = (ncap - len) / 2;
    char *p = ncap == *cap ? *arr : mem_get((size_t)ncap * w);
    if (p == NULL) return -1;
    if (len) memmove(p + (size_t)nstart * w, (char *)*arr + (size_t)*start * w, (size_t)len * w);
    if (p != *arr) mem_put(*arr, (size_t)*cap * w);
    *arr = p;
    *start = nstart;
    *cap = ncap;
    return 0;
}

int ho_list_reserve(ho_list *l, int elems, int front) {
    if (elems) return gap_reserve((void **)&l->el, &l->el_start, l->el_len, &l->el_cap,
                                  sizeof *l->el, front);
    return gap_reserve((void **)&l->qn, &l->qn_start, l->qn_len, &l->qn_cap, sizeof *l->qn,
                       front);
}

int ho_use_blocks(hashobj *h) {
    h->use_blocks = 1;
    if (h->b != NULL || h->fcap == 0) return 0; /* reserve() makes it with f */
    ho_blocks *b = grow_array(NULL, sizeof *b, 0, 0, h->fcap);
    if (b == NULL) return -1;
    h->b = b;
    return 0;
}

static uint32_t name_hash(const char *name, uint32_t len) {
    return (uint32_t)ks_hash(name, len);
}

uint32_t ho_find(const hashobj *h, const char *name, uint32_t len) {
    if (h->icap == 0) return HO_NONE;
    uint32_t mask = h->icap - 1;
    for (uint32_t p = name_hash(name, len) & mask;; p = (p + 1) & mask) {
        uint32_t w = h->idx[p];
        if (w == 0) return HO_NONE;
        if (h->f[w - 1].len == len && (len == 0 || memcmp(ho_name(h, w - 1), name, len) == 0)) return w - 1;
    }
}

static void idx_put(hashobj *h, uint32_t i) {
    uint32_t mask = h->icap - 1;
    uint32_t p = name_hash(ho_name(h, i), h->f[i].len) & mask;
    while (h->idx[p] != 0) p = (p + 1) & mask;
    h->idx[p] = i + 1;
}

/* Keeps the index at most half full and the arrays with room for one
 * more (the blocks' array too, once used). */
static int reserve(hashobj *h) {
    if (h->nfields == h->fcap) {
        uint32_t cap = h->fcap ? h->fcap * 2 : 4;
        ho_field *f = grow_array(h->f, sizeof *f, h->nfields, h->fcap, cap);
        if (f == NULL) return -1;
        h->f = f;
        if (h->use_blocks) {
            ho_blocks *b = grow_array(h->b, sizeof *b, h->b ? h->nfields : 0, h->fcap, cap);
            if (b == NULL) return -1;
            h->b = b;
        }
        if (h->type == HO_TYPE_ZSET) {
            double *s = grow_array(h->score, sizeof *s, h->score ? h->nfields : 0, h->fcap, cap);
            if (s == NULL) return -1;
            h->score = s;
        }
        h->fcap = cap;
    }
    if ((uint64_t)(h->nfields + 1) * 2 > h->icap) {
        uint32_t cap = h->icap ? h->icap * 2 : 8;
        uint32_t *idx = grow_array(NULL, sizeof *idx, 0, 0, cap);
        if (idx == NULL) return -1;
        mem_put(h->idx, (size_t)h->icap * sizeof *h->idx);
        h->idx = idx;
        h->icap = cap;
        for (uint32_t i = 0; i < h->nfields; i++) idx_put(h, i);
    }
    return 0;
}

/* Room for len more name bytes: the live names compacted into an arena of
 * twice their size (at least 32), when full. */
static int names_reserve(hashobj *h, uint32_t len) {
    if ((uint64_t)h->names_used + len <= h->names_cap) return 0;
    uint64_t live = (uint64_t)h->names_used - h->names_dead, cap = 32;
    while (cap < 2 * (live + len)) cap *= 2;
    if (cap > UINT32_MAX) return -1;
    char *p = mem_get((size_t)cap);
    if (p == NULL) return -1;
    uint32_t at = 0;
    for (uint32_t i = 0; i < h->nfields; i++) {
        if (h->f[i].len > 0) memcpy(p + at, ho_name(h, i), h->f[i].len);
        h->f[i].name = at;
        at += h->f[i].len;
    }
    mem_put(h->names, h->names_cap);
    h->names = p;
    h->names_cap = (uint32_t)cap;
    h->names_used = at;
    h->names_dead = 0;
    return 0;
}

uint32_t ho_add(hashobj *h, const char *name, uint32_t len, uint32_t vlen) {
    if (reserve(h) != 0 || names_reserve(h, len) != 0) return HO_NONE;
    uint32_t i = h->nfields++;
    if (len) memcpy(h->names + h->names_used, name, len);
    h->f[i] = (ho_field){.name = h->names_used, .len = len, .vlen = vlen};
    h->names_used += len;
    if (h->b != NULL) memset(&h->b[i], 0, sizeof h->b[i]);
    if (h->score != NULL) h->score[i] = 0;
    idx_put(h, i);
    return i;
}

/* The index position holding field i. */
static uint32_t idx_pos(const hashobj *h, uint32_t i) {
    uint32_t mask = h->icap - 1;
    uint32_t p = name_hash(ho_name(h, i), h->f[i].len) & mask;
    while (h->idx[p] != i + 1) p = (p + 1) & mask;
    return p;
}

void ho_remove(hashobj *h, uint32_t i) {
    uint32_t mask = h->icap - 1;
    uint32_t hole = idx_pos(h, i);
    h->idx[hole] = 0;
    /* Backward shift: a later word of the run moves into the hole when its
     * home position does not lie cyclically within (hole, p]. */
    for (uint32_t p = (hole + 1) & mask; h->idx[p] != 0; p = (p + 1) & mask) {
        uint32_t j = h->idx[p] - 1;
        uint32_t home = name_hash(ho_name(h, j), h->f[j].len) & mask;
        if (((p - home) & mask) >= ((p - hole) & mask)) {
            h->idx[hole] = h->idx[p];
            h->idx[p] = 0;
            hole = p;
        }
    }
    h->names_dead += h->f[i].len;
    uint32_t last = --h->nfields;
    if (i != last) {
        h->idx[idx_pos(h, last)] = i + 1;
        h->f[i] = h->f[last];
        if (h->b != NULL) h->b[i] = h->b[last];
        if (h->score != NULL) h->score[i] = h->score[last];
    }
}
