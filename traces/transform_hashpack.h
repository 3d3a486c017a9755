/* transform_hashpack: the hash-pack remedy (--hash-pack N[:ttl=bucket]),
 * the seed's "use hashes for small values": every string key becomes a
 * field of a hash of at most N fields, as the events pass.
 *
 *   key PREFIX + ID (ID the key's trailing decimal digits, no leading zero):
 *       hash PREFIX + (ID / N), field ID % N (Redis's classic bucketing:
 *       object:1234 is field 34 of hash object:12 at N 100)
 *   any other key: numbered in the order the trace first names it, SEQ;
 *       hash "hashpack:" + (SEQ / N), field the key itself
 *
 *   SET key size      -> HSET hash field size (NX / XX as the field exists)
 *   APPEND key size   -> HSET hash field (the field's size + size)
 *   DEL key           -> HDEL hash field
 *   GET key           -> GET hash (a lookup of the hash; the trace's size is
 *                        dropped, so --fill-on-miss is refused with hash-pack)
 *   hashes, sets, sorted sets, lists, TICK, PURGE: as they are
 *
 * TTLs: Redis 7.0 has no per-field TTL (HEXPIRE came in 7.4).  By default a
 * trace with a TTL (SET with one, EXPIRE) is refused at its first: the
 * remedy cannot be applied as the trace asks.  With ttl=bucket a hash gets
 * the longest TTL of its fields: a field's TTL only ever lengthens its
 * hash's (EXPIRE when it does), a field without one makes the hash
 * persistent (PERSIST); so fields outlive their own TTLs until the whole
 * hash expires, which the replay's memory shows.
 *
 * Which fields exist, their sizes and each hash's expiry are tracked in
 * tables of the engine's own memory (trace_htab.h), as the application
 * doing the packing would know them; evictions under maxmemory are not
 * seen by the tables. */
#ifndef FRAGSIM_TRANSFORM_HASHPACK_H
#define FRAGSIM_TRANSFORM_HASHPACK_H

#include <stdint.h>

#include "trace_event.h"
#include "trace_htab.h"
#include "../sim/base/fs_err.h"

#define HASHPACK_DEFAULT_FIELDS 100
#define HASHPACK_MAX_FIELDS 1000000

/* The longest hash name: a key's prefix plus a 20-digit number. */
#define HASHPACK_NAME_MAX (TRACE_KEY_MAX + 32)

/* Where key (n bytes) goes at N fields a hash: the hash's name into bucket
 * (HASHPACK_NAME_MAX bytes, *blen), the field's into field (24 bytes,
 * *flen) when the key ends in a number.  Returns 1 then; 0 when it does not,
 * and the hash is that of the key's sequence number seq, the field the key
 * itself (field untouched). */
int hashpack_map(uint32_t nfields, const char *key, uint32_t n, uint64_t seq, char *bucket,
                 uint32_t *blen, char *field, uint32_t *flen);

typedef struct hashpack {
    uint32_t nfields;
    int ttl_bucket;
    htab fields;    /* key hash -> (hash's generation << 32) | (size + 1) */
    htab hashes;    /* hash name's hash -> (generation << 32) | fields held */
    htab deadlines; /* hash name's hash -> expiry (us); INT64_MAX persistent */
    htab seqs;      /* key hash -> sequence number + 1 (keys without a number) */
    uint64_t next_seq;
    char bucket[HASHPACK_NAME_MAX];
    char field[24];
    trace_event pending; /* an EXPIRE or PERSIST of the hash after its HSET */
    int has_pending;
} hashpack;

/* Rewrites ev in place.  Returns 1 (ev is the rewritten event), 0 (ev does
 * nothing under the remedy: it becomes a clock tick), or -1 with err set
 * (a TTL without ttl=bucket; out of memory). */
int hashpack_apply(hashpack *hp, trace_event *ev, fs_err *err);
/* The event that follows the last rewritten one, if any: 1 with *ev set. */
int hashpack_pending(hashpack *hp, trace_event *ev);
void hashpack_free(hashpack *hp);

#endif
