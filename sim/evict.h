/* evict: maxmemory and maxmemory-policy, as Redis 7 applies them.
 *
 * Before each write (SET, APPEND, a --fill-on-miss fill) while used_memory
 * is above maxmemory, keys are evicted by the policy, with Redis's sampled
 * approximation: each round samples maxmemory-samples keys (all keys, or
 * only keys with a TTL for volatile-*) into a pool of the 16 best
 * candidates so far, kept across rounds, and evicts the best: the longest
 * idle (lru), the least frequently used (lfu), the soonest to expire (ttl);
 * *-random evicts a random key.  When nothing can be evicted (noeviction,
 * or volatile-* with no key with a TTL) the write is refused, as Redis
 * answers OOM, and counted in rejected_writes.
 *
 * Per key one 32-bit word, as Redis's robj lru field: the last access in
 * virtual seconds (Redis's LRU clock has a resolution of 1000 ms) or, for
 * lfu, the last decrement time in minutes (16 bits) and Redis's 8-bit
 * logarithmic counter (lfu-log-factor 10, lfu-decay-time 1 minute, new keys
 * at 5).  GET and SET update it.  The words sit in engine memory beside the
 * keyspace's slot array; the sampler draws random slots (all keys) or
 * random positions of the expiry heap (volatile), with a generator of its
 * own under a fixed seed, so runs are deterministic. */
#ifndef FRAGSIM_EVICT_H
#define FRAGSIM_EVICT_H

#include <stdint.h>

#include "base/fs_err.h"
#include "redis_conf.h"

#define EV_POOL_SIZE 16      /* EVPOOL_SIZE */
#define EV_LFU_INIT 5        /* LFU_INIT_VAL */
#define EV_LFU_LOG_FACTOR 10
#define EV_LFU_DECAY_MIN 1
#define EV_SEED UINT64_C(0xe51c7ed0badc0ffe)

typedef struct ev_candidate {
    uint64_t score;          /* higher: a better victim */
    uint64_t hash;           /* to see the key is still the one sampled */
    uint32_t slot;
} ev_candidate;

typedef struct evictor {
    uint32_t *word;          /* by slot */
    uint32_t cap;
    ev_candidate pool[EV_POOL_SIZE];
    int npool;
} evictor;

struct engine;

/* Frees the words. */
void ev_destroy(struct engine *e);
/* A key was created (first) or read or written: its LRU or LFU word. */
int ev_touch(struct engine *e, uint32_t slot, int created, fs_err *err);
/* Evicts until used_memory is at most maxmemory.  Returns 1 when the write
 * may go on, 0 when it must be refused. */
int ev_make_room(struct engine *e);

#endif
