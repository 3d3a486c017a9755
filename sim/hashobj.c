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

hashobj *ho_new(void) {
    hashobj *h = emem_alloc(sizeof *h);
    if (h != NULL) memset(h, 0, sizeof *h);
    return h;
}

void ho_free(hashobj *h) {
    if (h == NULL) return;
    for (uint32_t i = 0; i < h->nfields; i++) mem_put(h->f[i].name, h->f[i].len ? h->f[i].len : 1);
    mem_put(h->f, (size_t)h->fcap * sizeof *h->f);
    mem_put(h->idx, (size_t)h->icap * sizeof *h->idx);
    emem_free(h, sizeof *h);
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
        const ho_field *f = &h->f[w - 1];
        if (f->len == len && memcmp(f->name, name, len) == 0) return w - 1;
    }
}

static void idx_put(hashobj *h, uint32_t i) {
    uint32_t mask = h->icap - 1;
    uint32_t p = name_hash(h->f[i].name, h->f[i].len) & mask;
    while (h->idx[p] != 0) p = (p + 1) & mask;
    h->idx[p] = i + 1;
}

/* Keeps the index at most half full and the array with room for one more. */
static int reserve(hashobj *h) {
    if (h->nfields == h->fcap) {
        uint32_t cap = h->fcap ? h->fcap * 2 : 4;
        ho_field *f = mem_get((size_t)cap * sizeof *f);
        if (f == NULL) return -1;
        if (h->nfields) memcpy(f, h->f, (size_t)h->nfields * sizeof *f);
        mem_put(h->f, (size_t)h->fcap * sizeof *h->f);
        h->f = f;
        h->fcap = cap;
    }
    if ((uint64_t)(h->nfields + 1) * 2 > h->icap) {
        uint32_t cap = h->icap ? h->icap * 2 : 8;
        uint32_t *idx = mem_get((size_t)cap * sizeof *idx);
        if (idx == NULL) return -1;
        memset(idx, 0, (size_t)cap * sizeof *idx);
        mem_put(h->idx, (size_t)h->icap * sizeof *h->idx);
        h->idx = idx;
        h->icap = cap;
        for (uint32_t i = 0; i < h->nfields; i++) idx_put(h, i);
    }
    return 0;
}

uint32_t ho_add(hashobj *h, const char *name, uint32_t len, uint32_t vlen) {
    if (reserve(h) != 0) return HO_NONE;
    char *copy = mem_get(len ? len : 1);
    if (copy == NULL) return HO_NONE;
    if (len) memcpy(copy, name, len);
    uint32_t i = h->nfields++;
    h->f[i] = (ho_field){.name = copy, .len = len, .vlen = vlen};
    idx_put(h, i);
    return i;
}

/* The index position holding field i. */
static uint32_t idx_pos(const hashobj *h, uint32_t i) {
    uint32_t mask = h->icap - 1;
    uint32_t p = name_hash(h->f[i].name, h->f[i].len) & mask;
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
        const ho_field *f = &h->f[h->idx[p] - 1];
        uint32_t home = name_hash(f->name, f->len) & mask;
        if (((p - home) & mask) >= ((p - hole) & mask)) {
            h->idx[hole] = h->idx[p];
            h->idx[p] = 0;
            hole = p;
        }
    }
    mem_put(h->f[i].name, h->f[i].len ? h->f[i].len : 1);
    uint32_t last = --h->nfields;
    if (i != last) {
        h->idx[idx_pos(h, last)] = i + 1;
        h->f[i] = h->f[last];
    }
}
