/* keyspace: the simulated database, key -> value block, and its expiry order.
 *
 * Entries live in a slot array (stable small integer ids, 32 bytes each)
 * reached through an open-addressing index of 32-bit words (linear probing,
 * at most half full, backward-shift deletion: no tombstones, so
 * heavy churn never degrades lookups).  Each index word holds the slot and,
 * in the bits the slot number does not need, a tag from the key's hash, so
 * a probe rejects most other keys without touching their entries.  Key
 * bytes live in one key arena, addressed by 32-bit offsets in 8-byte units.
 * Keys with an expiry sit in an indexed binary min-heap of records ordered
 * by (expire time, order the TTL was set), which gives the exact,
 * deterministic expiry order the engine needs and O(log n) EXPIRE /
 * PERSIST / DEL; a key without an expiry pays nothing for it.
 *
 * All of it lives in engine memory (emem), never in the allocator under
 * test.  Slot ids stay valid until the entry is deleted; ks_entry and key
 * pointers only until the next insert (the slot array and the key arena may
 * move). */
#ifndef FRAGSIM_KEYSPACE_H
#define FRAGSIM_KEYSPACE_H

#include <stdint.h>

#include "fs_err.h"

#define KS_NONE UINT32_MAX
#define KS_NO_EXPIRE INT64_MAX

/* 32 bytes: what the engine keeps per key besides its key bytes (and, for a
 * key with an expiry, its heap record). */
typedef struct ks_entry {
    void *block;        /* the value's block in the allocator under test, or
                           NULL for an empty value */
    uint32_t requested; /* bytes the trace asked for (<= TRACE_SIZE_MAX) */
    uint32_t usable;    /* usable size the allocator gave (used_memory's unit) */
    uint32_t key;       /* key arena offset in 8-byte units; KS_NONE in a free slot */
    uint32_t hash;      /* low 32 bits of ks_hash: index position and tag */
    uint32_t heap_pos;  /* index in the expiry heap, KS_NONE if none; in a
                           free slot, the next free slot */
    uint32_t keylen : 24; /* <= TRACE_KEY_MAX */
    uint32_t fill : 8;    /* the byte values of this key are written with */
} ks_entry;

/* One key with an expiry: 16 bytes. */
typedef struct ks_expiry {
    int64_t expire_us;  /* virtual time of expiry */
    uint32_t ttl_seq;   /* when the expiry was set: breaks ties in order (a rank
                           among the live records: renumbered, order kept, when
                           the count reaches ttl_seq_max) */
    uint32_t slot;
} ks_expiry;

/* ks_ahead's ring: a key announced before its lookup, by its hash and, once
 * the index has been read, the slot its tag points to. */
#define KS_AHEAD_RING 32u
typedef struct ks_ahead_rec {
    uint32_t hash;
    uint32_t slot;
    int deletes;    /* the key's event deletes it: ks_delete reads the entries
                       of the index words after its own */
} ks_ahead_rec;

typedef struct keyspace {
    ks_entry *slots;
    uint32_t nslots;    /* slots ever used (free ones included) */
    uint32_t cap_slots; /* a power of two */
    uint32_t free_slot; /* head of the free-slot list, KS_NONE if empty */
    uint32_t *index;    /* tag << slot_bits | (slot + 1), 0 = empty */
    uint64_t index_cap; /* power of two */
    uint32_t slot_bits; /* low bits of an index word that hold slot + 1 */
    uint64_t count;     /* live keys */
    ks_expiry *heap;    /* min-heap on (expire_us, ttl_seq) */
    uint32_t heap_len, heap_cap;
    uint32_t next_ttl_seq;
    uint32_t ttl_seq_max; /* UINT32_MAX; lower only in tests of the renumbering */
    char *keys;         /* the key arena */
    uint64_t keys_used, keys_cap; /* 8-byte units: bump pointer and size */
    uint32_t *key_free; /* by size in units (1..KS_KEY_UNITS_MAX): free-list heads */
    uint64_t key_bytes; /* arena bytes held by live keys (8-byte units) */
    ks_ahead_rec ahead[KS_AHEAD_RING]; /* ks_ahead's keys in flight */
    uint32_t ahead_n;   /* ks_ahead calls so far (ring position) */
    uint32_t ahead_step; /* KS_AHEAD_STEP; another (< KS_AHEAD_RING / 2) only to
                            measure it, the caller naming keys 3 steps ahead */
} keyspace;

int ks_init(keyspace *ks, fs_err *err);
void ks_destroy(keyspace *ks);

uint64_t ks_hash(const char *key, uint32_t len);

/* The slot holding key, or KS_NONE.  ks_find_h takes the key's ks_hash,
 * which the caller keeps for ks_insert_h: a new key is hashed once. */
uint32_t ks_find_h(const keyspace *ks, const char *key, uint32_t len, uint64_t h);
static inline uint32_t ks_find(const keyspace *ks, const char *key, uint32_t len) {
    return ks_find_h(ks, key, len, ks_hash(key, len));
}
/* Adds key (not present; the caller has checked) with no block and no
 * expiry.  Returns its slot, or KS_NONE with err set when out of memory.
 * h is ks_hash(key, len). */
uint32_t ks_insert_h(keyspace *ks, const char *key, uint32_t len, uint64_t h, fs_err *err);
static inline uint32_t ks_insert(keyspace *ks, const char *key, uint32_t len, fs_err *err) {
    return ks_insert_h(ks, key, len, ks_hash(key, len), err);
}

/* Read-ahead: names a key that will be looked up KS_AHEAD_EVENTS calls
 * later (calls made in the order of the lookups to come).  A lookup in a
 * keyspace larger than the cache is three dependent misses (index word,
 * entry, key bytes); ks_ahead starts the first for this key, the second for
 * the key named KS_AHEAD_STEP calls ago and the third for the one named
 * 2 * KS_AHEAD_STEP calls ago, so that by its lookup a key's memory is on
 * its way.  It only reads and prefetches: whatever happens in between
 * (inserts, deletes, growth), results do not depend on it.  deletes: the
 * key's event will delete it (its deletion reads its index neighbours'
 * entries, which are prefetched too). */
#define KS_AHEAD_STEP 4u
#define KS_AHEAD_EVENTS (3u * KS_AHEAD_STEP)
void ks_ahead(keyspace *ks, const char *key, uint32_t len, int deletes);
/* Removes the entry (the caller has freed its block). */
void ks_delete(keyspace *ks, uint32_t slot);

static inline ks_entry *ks_get(const keyspace *ks, uint32_t slot) { return &ks->slots[slot]; }
/* Whether slot holds a key (slot < nslots). */
static inline int ks_live(const keyspace *ks, uint32_t slot) {
    return ks->slots[slot].key != KS_NONE;
}
/* The key bytes of a live slot (keylen of them). */
static inline const char *ks_key(const keyspace *ks, uint32_t slot) {
    return ks->keys + (uint64_t)ks->slots[slot].key * 8;
}
/* The entry's expiry, KS_NO_EXPIRE if none. */
static inline int64_t ks_expire_us(const keyspace *ks, uint32_t slot) {
    uint32_t p = ks->slots[slot].heap_pos;
    return p == KS_NONE ? KS_NO_EXPIRE : ks->heap[p].expire_us;
}

/* Sets (or with KS_NO_EXPIRE removes) the entry's expiry.  Returns 0, or
 * -1 when the heap cannot grow. */
int ks_set_expire(keyspace *ks, uint32_t slot, int64_t expire_us, fs_err *err);

/* The slot that expires first, or KS_NONE when no key has one. */
static inline uint32_t ks_first_expiring(const keyspace *ks) {
    return ks->heap_len ? ks->heap[0].slot : KS_NONE;
}
/* The slot at heap position i (< heap_len): samplers draw from these. */
static inline uint32_t ks_expiring_at(const keyspace *ks, uint32_t i) { return ks->heap[i].slot; }

#endif
