#include "keyspace.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "emem.h"

#define KS_INITIAL_SLOTS 1024u
#define KS_INITIAL_INDEX 2048u      /* kept at most half full */
#define KS_INITIAL_KEY_UNITS 8192u  /* 64 KiB of key bytes */
/* The longest key (TRACE_KEY_MAX, 65536 bytes) in 8-byte units. */
#define KS_KEY_UNITS_MAX 8192u

/* The keyspace's arrays are read at random, one line per lookup each: on
 * 4 KiB pages most lookups in a big keyspace also miss the TLB, and a
 * prefetch (ks_ahead) waits for the page walk.  Arrays of 2 MiB and more
 * ask for huge pages (transparent huge pages in "madvise" mode; a hint,
 * ignored where there are none). */
#define KS_HUGE_BYTES ((size_t)2 << 20)

static void *huge_hint(void *p, size_t bytes) {
    if (p != NULL && bytes >= KS_HUGE_BYTES) madvise(p, bytes, MADV_HUGEPAGE);
    return p;
}

static void *ks_map(size_t bytes) { return huge_hint(emem_map(bytes), bytes); }

static void *ks_remap(void *p, size_t old_bytes, size_t new_bytes) {
    return huge_hint(emem_remap(p, old_bytes, new_bytes), new_bytes);
}

/* Arena units a key of len bytes takes (the empty key takes one, so that
 * every live key has an offset of its own). */
static uint32_t key_units(uint32_t len) { return len ? (len + 7) / 8 : 1; }

/* The bits of an index word below the tag. */
static uint32_t slot_mask(const keyspace *ks) {
    return (uint32_t)(((uint64_t)1 << ks->slot_bits) - 1);
}

static uint32_t bits_for(uint32_t cap_slots) {
    uint32_t b = 1;
    while (b < 32 && ((uint64_t)1 << b) <= cap_slots) b++;
    return b;
}

int ks_init(keyspace *ks, fs_err *err) {
    memset(ks, 0, sizeof *ks);
    ks->free_slot = KS_NONE;
    ks->ttl_seq_max = UINT32_MAX;
    ks->ahead_step = KS_AHEAD_STEP;
    ks->cap_slots = KS_INITIAL_SLOTS;
    ks->slot_bits = bits_for(ks->cap_slots);
    ks->slots = emem_map(ks->cap_slots * sizeof *ks->slots);
    ks->index_cap = KS_INITIAL_INDEX;
    ks->index = emem_map(ks->index_cap * sizeof *ks->index);
    ks->heap_cap = KS_INITIAL_SLOTS;
    ks->heap = emem_map(ks->heap_cap * sizeof *ks->heap);
    ks->keys_cap = KS_INITIAL_KEY_UNITS;
    ks->keys = emem_map(ks->keys_cap * 8);
    ks->key_free = emem_map((KS_KEY_UNITS_MAX + 1) * sizeof *ks->key_free);
    if (ks->slots == NULL || ks->index == NULL || ks->heap == NULL || ks->keys == NULL ||
        ks->key_free == NULL) {
        ks_destroy(ks);
        return fs_errf(err, "cannot map the keyspace");
    }
    memset(ks->key_free, 0xff, (KS_KEY_UNITS_MAX + 1) * sizeof *ks->key_free);
    return 0;
}

void ks_destroy(keyspace *ks) {
    emem_unmap(ks->slots, ks->cap_slots * sizeof *ks->slots);
    emem_unmap(ks->index, ks->index_cap * sizeof *ks->index);
    emem_unmap(ks->heap, ks->heap_cap * sizeof *ks->heap);
    emem_unmap(ks->keys, ks->keys_cap * 8);
    emem_unmap(ks->key_free, (KS_KEY_UNITS_MAX + 1) * sizeof *ks->key_free);
    memset(ks, 0, sizeof *ks);
}

static uint64_t rd64(const unsigned char *p) {
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static uint64_t rd32(const unsigned char *p) {
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Murmur3's finaliser: every output bit depends on every input bit. */
static uint64_t fmix64(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* Eight bytes at a time (the last word overlapping the one before), so a
 * short key costs a few multiplies, not one per byte: every event hashes
 * its key at least once.  The length is mixed in, so keys that read the
 * same words at different lengths differ. */
uint64_t ks_hash(const char *key, uint32_t len) {
    const unsigned char *p = (const unsigned char *)key;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)len * 0x100000001b3ULL), w;
    if (len >= 8) {
        for (uint32_t i = 0; i + 8 < len; i += 8)
            h = ((h ^ (rd64(p + i) * 0x87c37b91114253d5ULL)) << 31 |
                 (h ^ (rd64(p + i) * 0x87c37b91114253d5ULL)) >> 33) * 0x4cf5ad432745937fULL;
        w = rd64(p + len - 8);
    } else if (len >= 4) {
        w = rd32(p) << 32 | rd32(p + len - 4);
    } else {
        w = len ? (uint64_t)p[0] | (uint64_t)p[len / 2] << 8 | (uint64_t)p[len - 1] << 16 : 0;
    }
    return fmix64(h ^ (w * 0x87c37b91114253d5ULL));
}

/* Keys of up to 16 bytes (most keys) compare without a call. */
static int key_equal(const char *a, const char *b, uint32_t len) {
    if (len <= 16) {
        for (uint32_t i = 0; i < len; i++)
            if (a[i] != b[i]) return 0;
        return 1;
    }
    return memcmp(a, b, len) == 0;
}

uint32_t ks_find_h(const keyspace *ks, const char *key, uint32_t len, uint64_t hash) {
    uint32_t h = (uint32_t)hash, low = slot_mask(ks), tag = h & ~low;
    uint64_t mask = ks->index_cap - 1;
    for (uint64_t i = h & mask;; i = (i + 1) & mask) {
        uint32_t v = ks->index[i];
        if (v == 0) return KS_NONE;
        if ((v & ~low) != tag) continue;
        uint32_t slot = (v & low) - 1;
        const ks_entry *e = &ks->slots[slot];
        if (e->hash == h && e->keylen == len && key_equal(ks_key(ks, slot), key, len))
            return slot;
    }
}

/* The slot the first index word with h's tag names, or KS_NONE: the
 * entry a lookup of h will most likely read; with deletes, the entries of
 * the next two words too, which a deletion's backward shift reads. */
static uint32_t tag_slot(const keyspace *ks, uint32_t h, int deletes) {
    uint32_t low = slot_mask(ks), tag = h & ~low;
    uint64_t mask = ks->index_cap - 1;
    for (uint64_t i = h & mask;; i = (i + 1) & mask) {
        uint32_t v = ks->index[i];
        if (v == 0) return KS_NONE;
        if ((v & ~low) != tag) continue;
        for (uint64_t j = (i + 1) & mask, k = 0; deletes && k < 2; j = (j + 1) & mask, k++) {
            uint32_t w = ks->index[j];
            if (w == 0) break;
            __builtin_prefetch(&ks->slots[(w & low) - 1]);
        }
        return (v & low) - 1;
    }
}

void ks_ahead(keyspace *ks, const char *key, uint32_t len, int deletes) {
    uint32_t n = ks->ahead_n++, h = (uint32_t)ks_hash(key, len), step = ks->ahead_step;
    ks_ahead_rec *r = &ks->ahead[n % KS_AHEAD_RING];
    *r = (ks_ahead_rec){.hash = h, .slot = KS_NONE, .deletes = deletes};
    __builtin_prefetch(&ks->index[h & (ks->index_cap - 1)]);
    if (n >= step) { /* its index word has had time to arrive */
        r = &ks->ahead[(n - step) % KS_AHEAD_RING];
        r->slot = tag_slot(ks, r->hash, r->deletes);
        if (r->slot != KS_NONE) __builtin_prefetch(&ks->slots[r->slot]);
    }
    if (n >= 2 * step) { /* and its entry, the key's offset */
        r = &ks->ahead[(n - 2 * step) % KS_AHEAD_RING];
        if (r->slot != KS_NONE && r->slot < ks->nslots && ks->slots[r->slot].key != KS_NONE)
            __builtin_prefetch(ks->keys + (uint64_t)ks->slots[r->slot].key * 8);
    }
}

static void index_place(keyspace *ks, uint32_t slot) {
    uint64_t mask = ks->index_cap - 1;
    uint32_t h = ks->slots[slot].hash;
    uint64_t i = h & mask;
    while (ks->index[i] != 0) i = (i + 1) & mask;
    ks->index[i] = (h & ~slot_mask(ks)) | (slot + 1);
}

/* A new index of cap words for the live slots (after the index fills or
 * the slot array grows, which moves the tag's bits).  Returns 0 or -1. */
static int index_rebuild(keyspace *ks, uint64_t cap) {
    uint32_t *index = ks_map(cap * sizeof *index);
    if (index == NULL) return -1;
    emem_unmap(ks->index, ks->index_cap * sizeof *ks->index);
    ks->index = index;
    ks->index_cap = cap;
    ks->slot_bits = bits_for(ks->cap_slots);
    for (uint32_t s = 0; s < ks->nslots; s++)
        if (ks->slots[s].key != KS_NONE) index_place(ks, s);
    return 0;
}

/* Room for a key of u units in the arena: its offset, or KS_NONE. */
static uint32_t key_alloc(keyspace *ks, uint32_t u) {
    uint32_t off = ks->key_free[u];
    if (off != KS_NONE) {
        memcpy(&ks->key_free[u], ks->keys + (uint64_t)off * 8, sizeof off);
        if (ks->key_free[u] != KS_NONE) __builtin_prefetch(ks->keys + (uint64_t)ks->key_free[u] * 8);
        return off;
    }
    if (ks->keys_used + u > ks->keys_cap) {
        uint64_t cap = ks->keys_cap * 2;
        while (ks->keys_used + u > cap) cap *= 2;
        if (cap >= KS_NONE) return KS_NONE; /* 32 GiB of key bytes */
        char *p = ks_remap(ks->keys, ks->keys_cap * 8, cap * 8);
        if (p == NULL) return KS_NONE;
        ks->keys = p;
        ks->keys_cap = cap;
    }
    off = (uint32_t)ks->keys_used;
    ks->keys_used += u;
    return off;
}

static void key_release(keyspace *ks, uint32_t off, uint32_t u) {
    memcpy(ks->keys + (uint64_t)off * 8, &ks->key_free[u], sizeof off);
    ks->key_free[u] = off;
}

uint32_t ks_insert_h(keyspace *ks, const char *key, uint32_t len, uint64_t h, fs_err *err) {
    if ((ks->count + 1) * 2 > ks->index_cap && index_rebuild(ks, ks->index_cap * 2) != 0) {
        fs_errf(err, "cannot grow the keyspace index past %llu keys",
                (unsigned long long)ks->count);
        return KS_NONE;
    }
    uint32_t slot = ks->free_slot;
    if (slot == KS_NONE) {
        if (ks->nslots == ks->cap_slots) {
            if (ks->cap_slots >= UINT32_MAX / 2) {
                fs_errf(err, "more than %u keys", ks->cap_slots);
                return KS_NONE;
            }
            ks_entry *s = ks_remap(ks->slots, ks->cap_slots * sizeof *s,
                                     2 * (size_t)ks->cap_slots * sizeof *s);
            if (s == NULL) {
                fs_errf(err, "cannot grow the keyspace past %u keys", ks->cap_slots);
                return KS_NONE;
            }
            ks->slots = s;
            ks->cap_slots *= 2;
            /* slot + 1 may now need one more bit of the index words. */
            if (index_rebuild(ks, ks->index_cap) != 0) {
                fs_errf(err, "cannot rebuild the keyspace index at %u keys", ks->cap_slots / 2);
                return KS_NONE;
            }
        }
        slot = ks->nslots++;
        ks->slots[slot].key = KS_NONE;
    } else {
        /* The free lists are chains through cold memory: start loading the
         * next insert's links now, as ks_ahead does for lookups. */
        ks->free_slot = ks->slots[slot].heap_pos;
        if (ks->free_slot != KS_NONE) __builtin_prefetch(&ks->slots[ks->free_slot]);
    }
    uint32_t u = key_units(len), off = key_alloc(ks, u);
    if (off == KS_NONE) {
        ks_entry *e = &ks->slots[slot];
        e->key = KS_NONE;
        e->heap_pos = ks->free_slot;
        ks->free_slot = slot;
        fs_errf(err, "cannot store a key of %u bytes", len);
        return KS_NONE;
    }
    memcpy(ks->keys + (uint64_t)off * 8, key, len);
    ks->slots[slot] = (ks_entry){.hash = (uint32_t)h, .key = off, .keylen = len,
                                 .fill = (uint32_t)('A' + h % 26), .heap_pos = KS_NONE};
    index_place(ks, slot);
    ks->key_bytes += (uint64_t)u * 8;
    ks->count++;
    return slot;
}

/* ---- expiry heap ---- */

static int heap_less(const ks_expiry *x, const ks_expiry *y) {
    return x->expire_us < y->expire_us ||
           (x->expire_us == y->expire_us && x->ttl_seq < y->ttl_seq);
}

static void heap_set(keyspace *ks, uint32_t pos, const ks_expiry *r) {
    ks->heap[pos] = *r;
    ks->slots[r->slot].heap_pos = pos;
}

static void heap_up(keyspace *ks, uint32_t pos) {
    ks_expiry r = ks->heap[pos];
    while (pos > 0) {
        uint32_t parent = (pos - 1) / 2;
        if (!heap_less(&r, &ks->heap[parent])) break;
        heap_set(ks, pos, &ks->heap[parent]);
        pos = parent;
    }
    heap_set(ks, pos, &r);
}

static void heap_down(keyspace *ks, uint32_t pos) {
    ks_expiry r = ks->heap[pos];
    for (;;) {
        uint32_t child = 2 * pos + 1;
        if (child >= ks->heap_len) break;
        if (child + 1 < ks->heap_len && heap_less(&ks->heap[child + 1], &ks->heap[child]))
            child++;
        if (!heap_less(&ks->heap[child], &r)) break;
        heap_set(ks, pos, &ks->heap[child]);
        pos = child;
    }
    heap_set(ks, pos, &r);
}

static void heap_remove(keyspace *ks, uint32_t slot) {
    uint32_t pos = ks->slots[slot].heap_pos;
    ks->slots[slot].heap_pos = KS_NONE;
    ks_expiry last = ks->heap[--ks->heap_len];
    if (pos == ks->heap_len) return;
    heap_set(ks, pos, &last);
    heap_up(ks, pos);
    heap_down(ks, ks->slots[last.slot].heap_pos);
}

static int expiry_cmp(const void *a, const void *b) {
    const ks_expiry *x = a, *y = b;
    return heap_less(x, y) ? -1 : heap_less(y, x) ? 1 : 0;
}

/* ttl_seq is 32 bits (a 16-byte record): when the count runs out, the live
 * records are renumbered 0..heap_len-1 in their order, which keeps every
 * tie's order.  A sorted array is a min-heap, so sorting the heap in place
 * is the whole job (once per 4 billion expiries set). */
static void ttl_seq_renumber(keyspace *ks) {
    qsort(ks->heap, ks->heap_len, sizeof *ks->heap, expiry_cmp);
    for (uint32_t i = 0; i < ks->heap_len; i++) {
        ks->heap[i].ttl_seq = i;
        ks->slots[ks->heap[i].slot].heap_pos = i;
    }
    ks->next_ttl_seq = ks->heap_len;
}

int ks_set_expire(keyspace *ks, uint32_t slot, int64_t expire_us, fs_err *err) {
    ks_entry *e = &ks->slots[slot];
    if (e->heap_pos != KS_NONE) heap_remove(ks, slot);
    if (expire_us == KS_NO_EXPIRE) return 0;
    if (ks->heap_len == ks->heap_cap) {
        ks_expiry *h = ks_remap(ks->heap, ks->heap_cap * sizeof *h,
                                  2 * (size_t)ks->heap_cap * sizeof *h);
        if (h == NULL)
            return fs_errf(err, "cannot grow the expiry heap past %u keys", ks->heap_cap);
        ks->heap = h;
        ks->heap_cap *= 2;
    }
    if (ks->next_ttl_seq >= ks->ttl_seq_max) ttl_seq_renumber(ks);
    ks_expiry r = {.expire_us = expire_us, .ttl_seq = ks->next_ttl_seq++, .slot = slot};
    heap_set(ks, ks->heap_len++, &r);
    heap_up(ks, ks->heap_len - 1);
    return 0;
}

void ks_delete(keyspace *ks, uint32_t slot) {
    ks_entry *e = &ks->slots[slot];
    if (e->heap_pos != KS_NONE) heap_remove(ks, slot);
    /* Backward-shift deletion: pull later members of the probe run into
     * the hole so that no lookup ever needs a tombstone. */
    uint32_t low = slot_mask(ks);
    uint64_t mask = ks->index_cap - 1, i = e->hash & mask;
    while ((ks->index[i] & low) != slot + 1) i = (i + 1) & mask;
    for (uint64_t j = (i + 1) & mask;; j = (j + 1) & mask) {
        uint32_t v = ks->index[j];
        if (v == 0) break;
        uint64_t home = ks->slots[(v & low) - 1].hash & mask;
        /* v may move to i only if its home is not in (i, j]. */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            ks->index[i] = v;
            i = j;
        }
    }
    ks->index[i] = 0;
    uint32_t u = key_units(e->keylen);
    key_release(ks, e->key, u);
    ks->key_bytes -= (uint64_t)u * 8;
    e->key = KS_NONE;
    e->block = NULL;
    e->requested = e->usable = 0;
    e->heap_pos = ks->free_slot;
    ks->free_slot = slot;
    ks->count--;
}
