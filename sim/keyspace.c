#include "keyspace.h"

#include <string.h>

#include "emem.h"

#define KS_INITIAL_SLOTS 1024u
#define KS_INITIAL_INDEX 2048u /* kept at most half full */

int ks_init(keyspace *ks, fs_err *err) {
    memset(ks, 0, sizeof *ks);
    ks->free_slot = KS_NONE;
    ks->cap_slots = KS_INITIAL_SLOTS;
    ks->slots = emem_map(ks->cap_slots * sizeof *ks->slots);
    ks->index_cap = KS_INITIAL_INDEX;
    ks->index = emem_map(ks->index_cap * sizeof *ks->index);
    ks->heap_cap = KS_INITIAL_SLOTS;
    ks->heap = emem_map(ks->heap_cap * sizeof *ks->heap);
    if (ks->slots == NULL || ks->index == NULL || ks->heap == NULL) {
        ks_destroy(ks);
        return fs_errf(err, "cannot map the keyspace");
    }
    return 0;
}

void ks_destroy(keyspace *ks) {
    for (uint32_t i = 0; ks->slots != NULL && i < ks->nslots; i++)
        if (ks->slots[i].key != NULL) emem_free(ks->slots[i].key, ks->slots[i].keylen);
    emem_unmap(ks->slots, ks->cap_slots * sizeof *ks->slots);
    emem_unmap(ks->index, ks->index_cap * sizeof *ks->index);
    emem_unmap(ks->heap, ks->heap_cap * sizeof *ks->heap);
    memset(ks, 0, sizeof *ks);
}

/* 64-bit FNV-1a with a final avalanche so that the low bits the index uses
 * depend on every byte. */
uint64_t ks_hash(const char *key, uint32_t len) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (uint32_t i = 0; i < len; i++) h = (h ^ (unsigned char)key[i]) * 0x100000001b3ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

uint32_t ks_find(const keyspace *ks, const char *key, uint32_t len) {
    uint64_t h = ks_hash(key, len), mask = ks->index_cap - 1;
    for (uint64_t i = h & mask;; i = (i + 1) & mask) {
        uint32_t v = ks->index[i];
        if (v == 0) return KS_NONE;
        const ks_entry *e = &ks->slots[v - 1];
        if (e->hash == h && e->keylen == len && memcmp(e->key, key, len) == 0) return v - 1;
    }
}

static void index_place(uint32_t *index, uint64_t mask, uint64_t hash, uint32_t slot) {
    uint64_t i = hash & mask;
    while (index[i] != 0) i = (i + 1) & mask;
    index[i] = slot + 1;
}

static int index_grow(keyspace *ks) {
    uint64_t cap = ks->index_cap * 2;
    uint32_t *index = emem_map(cap * sizeof *index);
    if (index == NULL) return -1;
    for (uint64_t i = 0; i < ks->index_cap; i++)
        if (ks->index[i] != 0)
            index_place(index, cap - 1, ks->slots[ks->index[i] - 1].hash, ks->index[i] - 1);
    emem_unmap(ks->index, ks->index_cap * sizeof *ks->index);
    ks->index = index;
    ks->index_cap = cap;
    return 0;
}

uint32_t ks_insert(keyspace *ks, const char *key, uint32_t len, fs_err *err) {
    if ((ks->count + 1) * 2 > ks->index_cap && index_grow(ks) != 0) {
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
            ks_entry *s = emem_remap(ks->slots, ks->cap_slots * sizeof *s,
                                     2 * (size_t)ks->cap_slots * sizeof *s);
            if (s == NULL) {
                fs_errf(err, "cannot grow the keyspace past %u keys", ks->cap_slots);
                return KS_NONE;
            }
            ks->slots = s;
            ks->cap_slots *= 2;
        }
        slot = ks->nslots++;
    } else {
        ks->free_slot = ks->slots[slot].heap_pos;
    }
    ks_entry *e = &ks->slots[slot];
    /* An empty key still needs a distinct non-NULL pointer: NULL marks a
     * free slot. */
    char *copy = emem_alloc(len ? len : 1);
    if (copy == NULL) {
        e->key = NULL;
        e->heap_pos = ks->free_slot;
        ks->free_slot = slot;
        fs_errf(err, "cannot store a key of %u bytes", len);
        return KS_NONE;
    }
    memcpy(copy, key, len);
    *e = (ks_entry){.hash = ks_hash(key, len), .key = copy, .keylen = len,
                    .expire_us = KS_NO_EXPIRE, .heap_pos = KS_NONE};
    index_place(ks->index, ks->index_cap - 1, e->hash, slot);
    ks->count++;
    return slot;
}

/* ---- expiry heap ---- */

static int heap_less(const keyspace *ks, uint32_t a, uint32_t b) {
    const ks_entry *x = &ks->slots[a], *y = &ks->slots[b];
    return x->expire_us < y->expire_us ||
           (x->expire_us == y->expire_us && x->ttl_seq < y->ttl_seq);
}

static void heap_set(keyspace *ks, uint32_t pos, uint32_t slot) {
    ks->heap[pos] = slot;
    ks->slots[slot].heap_pos = pos;
}

static void heap_up(keyspace *ks, uint32_t pos) {
    uint32_t slot = ks->heap[pos];
    while (pos > 0) {
        uint32_t parent = (pos - 1) / 2;
        if (!heap_less(ks, slot, ks->heap[parent])) break;
        heap_set(ks, pos, ks->heap[parent]);
        pos = parent;
    }
    heap_set(ks, pos, slot);
}

static void heap_down(keyspace *ks, uint32_t pos) {
    uint32_t slot = ks->heap[pos];
    for (;;) {
        uint32_t child = 2 * pos + 1;
        if (child >= ks->heap_len) break;
        if (child + 1 < ks->heap_len && heap_less(ks, ks->heap[child + 1], ks->heap[child]))
            child++;
        if (!heap_less(ks, ks->heap[child], slot)) break;
        heap_set(ks, pos, ks->heap[child]);
        pos = child;
    }
    heap_set(ks, pos, slot);
}

static void heap_remove(keyspace *ks, uint32_t slot) {
    uint32_t pos = ks->slots[slot].heap_pos;
    ks->slots[slot].heap_pos = KS_NONE;
    uint32_t last = ks->heap[--ks->heap_len];
    if (pos == ks->heap_len) return;
    heap_set(ks, pos, last);
    heap_up(ks, pos);
    heap_down(ks, ks->slots[last].heap_pos);
}

int ks_set_expire(keyspace *ks, uint32_t slot, int64_t expire_us, fs_err *err) {
    ks_entry *e = &ks->slots[slot];
    if (e->heap_pos != KS_NONE) heap_remove(ks, slot);
    e->expire_us = expire_us;
    if (expire_us == KS_NO_EXPIRE) return 0;
    e->ttl_seq = ks->next_ttl_seq++;
    if (ks->heap_len == ks->heap_cap) {
        uint32_t *h = emem_remap(ks->heap, ks->heap_cap * sizeof *h,
                                 2 * (size_t)ks->heap_cap * sizeof *h);
        if (h == NULL) {
            e->expire_us = KS_NO_EXPIRE;
            return fs_errf(err, "cannot grow the expiry heap past %u keys", ks->heap_cap);
        }
        ks->heap = h;
        ks->heap_cap *= 2;
    }
    heap_set(ks, ks->heap_len++, slot);
    heap_up(ks, ks->heap_len - 1);
    return 0;
}

void ks_delete(keyspace *ks, uint32_t slot) {
    ks_entry *e = &ks->slots[slot];
    if (e->heap_pos != KS_NONE) heap_remove(ks, slot);
    /* Backward-shift deletion: pull later members of the probe run into
     * the hole so that no lookup ever needs a tombstone. */
    uint64_t mask = ks->index_cap - 1, i = e->hash & mask;
    while (ks->index[i] != slot + 1) i = (i + 1) & mask;
    for (uint64_t j = (i + 1) & mask;; j = (j + 1) & mask) {
        uint32_t v = ks->index[j];
        if (v == 0) break;
        uint64_t home = ks->slots[v - 1].hash & mask;
        /* v may move to i only if its home is not in (i, j]. */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            ks->index[i] = v;
            i = j;
        }
    }
    ks->index[i] = 0;
    emem_free(e->key, e->keylen ? e->keylen : 1);
    e->key = NULL;
    e->block = NULL;
    e->heap_pos = ks->free_slot;
    ks->free_slot = slot;
    ks->count--;
}
