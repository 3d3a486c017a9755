/* keyspace: the simulated database, key -> value block, and its expiry order.
 *
 * Entries live in a slot array (stable small integer ids) reached through an
 * open-addressing index (linear probing, backward-shift deletion: no
 * tombstones, so heavy churn never degrades lookups).  Keys with an expiry
 * sit in an indexed binary min-heap ordered by (expire time, order the TTL
 * was set), which gives the exact, deterministic expiry order the engine
 * needs and O(log n) EXPIRE / PERSIST / DEL.
 *
 * All of it lives in engine memory (emem), never in the allocator under
 * test.  Slot ids stay valid until the entry is deleted; ks_entry pointers
 * only until the next insert (the slot array may move). */
#ifndef FRAGSIM_KEYSPACE_H
#define FRAGSIM_KEYSPACE_H

#include <stdint.h>

#include "fs_err.h"

#define KS_NONE UINT32_MAX
#define KS_NO_EXPIRE INT64_MAX

typedef struct ks_entry {
    uint64_t hash;
    char *key;          /* key bytes in engine memory; NULL in a free slot */
    void *block;        /* the value's block in the allocator under test, or
                           NULL for an empty value */
    uint64_t requested; /* bytes the trace asked for */
    uint64_t usable;    /* usable size the allocator gave (used_memory's unit) */
    int64_t expire_us;  /* virtual time of expiry, KS_NO_EXPIRE if none */
    uint64_t ttl_seq;   /* when the expiry was set: breaks ties in order */
    uint32_t keylen;
    uint32_t heap_pos;  /* index in the expiry heap, KS_NONE if none; in a
                           free slot, the next free slot */
} ks_entry;

typedef struct keyspace {
    ks_entry *slots;
    uint32_t nslots;    /* slots ever used (free ones included) */
    uint32_t cap_slots;
    uint32_t free_slot; /* head of the free-slot list, KS_NONE if empty */
    uint32_t *index;    /* slot id + 1, 0 = empty */
    uint64_t index_cap; /* power of two */
    uint64_t count;     /* live keys */
    uint32_t *heap;     /* slot ids, min-heap on (expire_us, ttl_seq) */
    uint32_t heap_len, heap_cap;
    uint64_t next_ttl_seq;
} keyspace;

int ks_init(keyspace *ks, fs_err *err);
void ks_destroy(keyspace *ks);

uint64_t ks_hash(const char *key, uint32_t len);

/* The slot holding key, or KS_NONE. */
uint32_t ks_find(const keyspace *ks, const char *key, uint32_t len);
/* Adds key (not present; the caller has checked) with no block and no
 * expiry.  Returns its slot, or KS_NONE with err set when out of memory. */
uint32_t ks_insert(keyspace *ks, const char *key, uint32_t len, fs_err *err);
/* Removes the entry (the caller has freed its block). */
void ks_delete(keyspace *ks, uint32_t slot);

static inline ks_entry *ks_get(const keyspace *ks, uint32_t slot) { return &ks->slots[slot]; }

/* Sets (or with KS_NO_EXPIRE removes) the entry's expiry.  Returns 0, or
 * -1 when the heap cannot grow. */
int ks_set_expire(keyspace *ks, uint32_t slot, int64_t expire_us, fs_err *err);

/* The slot that expires first and its time, or KS_NONE when no key has one. */
static inline uint32_t ks_first_expiring(const keyspace *ks) {
    return ks->heap_len ? ks->heap[0] : KS_NONE;
}

#endif
