/* import_keys: the MONITOR importer's picture of a Redis server's string keys.
 *
 * MONITOR shows the commands clients sent, not what they did: `SET k v NX`
 * appears whether or not k existed, and `APPEND k v` does not say how long k
 * became.  The importer replays each command against this table, as Redis
 * would, to decide what the trace must say: whether a conditional write took
 * place, the size of a value after APPEND, SETRANGE or INCR, and how long a
 * KEEPTTL write's key has left to live.
 *
 * Keys are (db, bytes) pairs.  A key whose expiry is at or before the current
 * time is gone, as the trace format's rule says (traces/FORMAT.md, "When
 * things happen"), so that the importer and the replay agree on which keys
 * exist.  Short values are kept byte for byte (INCR needs the digits of the
 * number); longer ones by size only.
 *
 * This runs in the front end, with no allocator under test, so it uses the
 * heap.  Deterministic: the hash has no seed, so the same commands visit the
 * keys in the same order on every machine (FLUSHALL emits its DELs in that
 * order). */
#ifndef FRAGSIM_IMPORT_KEYS_H
#define FRAGSIM_IMPORT_KEYS_H

#include <stdint.h>

/* Values up to this many bytes are kept (an integer has at most 20 digits;
 * INCRBYFLOAT's results fit too, short of absurd magnitudes). */
#define IMK_VALUE_KEEP 64

typedef struct imk_entry {
    struct imk_entry *next; /* hash chain */
    uint64_t hash;
    uint64_t size;          /* the value's length, bytes */
    int64_t expire_us;      /* absolute virtual µs, or TRACE_TTL_NONE */
    char *val;              /* the value's bytes (size bytes), or NULL for a value
                               longer than IMK_VALUE_KEEP: the bytes of every
                               shorter value are known */
    struct imk_table *fields; /* a hash key's fields (db 0, field -> value, no
                               expiry) or a set key's members (no values);
                               NULL for a string key */
    int type;               /* IMK_STRING, IMK_HASH, IMK_SET, IMK_ZSET (a
                               sorted set's members: each score's bits in
                               size, import_monitor_zset.c) or IMK_LIST (its
                               length in size, no elements kept) */
    int db;
    uint32_t keylen;
    char key[];             /* keylen bytes */
} imk_entry;

typedef struct imk_table {
    imk_entry **buckets;
    uint64_t nbuckets;      /* a power of two, or 0 before the first put */
    uint64_t count;         /* entries, expired ones not yet dropped included */
    uint64_t first_buckets; /* buckets of the first table: 0 for 1024 (a hash's
                               fields start with 8) */
} imk_table;

void imk_init(imk_table *t);
void imk_free(imk_table *t);

/* The live entry for (db, key) at time now_us, or NULL.  An entry that
 * expired at or before now_us is dropped. */
imk_entry *imk_find(imk_table *t, int db, const char *key, uint32_t keylen, int64_t now_us);

/* A new entry for (db, key), which must not be live (imk_find said NULL):
 * size 0, known empty value, no expiry.  Returns NULL when out of memory. */
imk_entry *imk_add(imk_table *t, int db, const char *key, uint32_t keylen, int64_t now_us);

void imk_del(imk_table *t, imk_entry *e);
/* A key's type, as Redis's TYPE names it. */
enum { IMK_STRING = 0, IMK_HASH = 1, IMK_SET = 2, IMK_ZSET = 3, IMK_LIST = 4 };
/* Makes e a hash, set, sorted set or list key (IMK_HASH, IMK_SET,
 * IMK_ZSET, IMK_LIST; a list's fields stay empty, its length is in size)
 * with no fields or members yet (a string's value is dropped).  Returns 0, or -1 when out of
 * memory. */
int imk_make_fields(imk_entry *e, int type);
/* Makes e a string key again (a hash's fields are dropped), as SET does. */
void imk_make_string(imk_entry *e);

/* Sets the value: its size, and its bytes when size <= IMK_VALUE_KEEP
 * (bytes NULL: unknown).  Returns 0, or -1 when out of memory (the entry
 * then has the size and unknown bytes). */
int imk_set_value(imk_entry *e, const char *bytes, uint64_t size);

/* Calls fn for every live entry of db (-1: of every db) in the table's
 * order; fn may imk_del the entry it is given, and nothing else.  Expired
 * entries met on the way are dropped.  Stops early and returns fn's value
 * when fn returns non-zero; else 0. */
int imk_each(imk_table *t, int db, int64_t now_us, int (*fn)(void *arg, imk_entry *e),
             void *arg);

#endif
