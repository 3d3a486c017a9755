/* objmodel: what the allocator under test is asked for, per key.
 *
 * raw (the default): one block per value, of the value's size: the
 * allocator sees only the data, as in a cache that stores values alone.
 *
 * redis: Redis 7's allocations for a string key (REFERENCE.md, "Redis 7
 * allocations for SET"): the key sds, its dictEntry (24 B), the value as one
 * EMBSTR block (robj + sdshdr8 + bytes + NUL, for values up to 44 bytes) or
 * as a RAW robj (16 B) plus an sds, a 24-byte entry in the expires dict
 * while the key has a TTL, and the two dicts' bucket arrays (8 B a bucket),
 * which double when full and are shrunk by the cron when under 10% used.
 * The per-key structures put allocated and active 5-7% closer to a real
 * server than values alone; the tables are the one large allocation a
 * Redis keyspace makes and are where its big jumps in used_memory come
 * from.
 *
 * Not modelled: integer-encoded and shared values (a trace carries sizes,
 * not contents), the per-command argument objects (freed at the end of each
 * command; under 0.01 of the fragmentation ratio), and sds growth slack from
 * APPEND (an APPEND makes a new value of the joined size, as in raw).
 *
 * The pointers live in engine memory (emem), in an array beside the
 * keyspace's slot array, indexed by slot, so the raw model pays nothing. */
#ifndef FRAGSIM_OBJMODEL_H
#define FRAGSIM_OBJMODEL_H

#include <stddef.h>
#include <stdint.h>

#include "base/fs_err.h"

typedef enum om_kind { OM_RAW, OM_REDIS } om_kind;

/* "raw" or "redis". */
const char *om_kind_name(om_kind k);
/* Parses a model's name.  Returns 0, or -1 with err listing the names. */
int om_kind_parse(const char *name, om_kind *k, fs_err *err);

/* The key's blocks besides the value's sds or EMBSTR (ks_entry.block).  The
 * usable sizes are kept because used_memory must drop by exactly what it
 * rose by, and a size class is the allocator's business. */
typedef struct om_key {
    void *key_sds, *de;   /* always both, for a live key */
    void *robj;           /* a RAW value's robj; NULL for EMBSTR or none */
    void *exp_de;         /* the expires dict's entry, NULL without a TTL */
    uint32_t sds_usable, de_usable;
    uint32_t robj_usable;
    uint32_t exp_usable;
} om_key;

/* One of Redis's dicts: its bucket array and, while an incremental rehash
 * runs, the old one. */
typedef struct om_dict {
    uint64_t size, used;  /* buckets (0: no table yet), keys */
    void *table;
    size_t table_usable;
    void *old;            /* the table being rehashed away, or NULL */
    uint64_t old_size;
    size_t old_usable;
    uint64_t rehash_left; /* dict operations until the rehash is done */
} om_dict;

typedef struct objmodel {
    om_kind kind;
    om_key *keys;         /* by slot, redis only */
    uint32_t cap;
    om_dict main, expires;
} objmodel;

/* Bytes Redis 7 asks for (sdsnewlen's header by length). */
uint64_t om_sds_size(uint64_t len);
/* The key's sds: an empty key takes sdshdr8, as sdsnewlen does. */
uint64_t om_key_sds_size(uint32_t keylen);
/* The value's blocks: *robj 16 (RAW) or 0 (EMBSTR; also for an empty
 * value, which Redis stores as an EMBSTR of 20 bytes), *body the EMBSTR's
 * or the sds's size. */
void om_value_sizes(uint64_t len, uint64_t *robj, uint64_t *body);

/* The engine's side (sim/engine.c calls these in the redis model only). */
struct engine;
/* Sets the model up (nothing is allocated until the first key). */
void om_init(objmodel *m, om_kind kind);
/* Gives the key in slot a value of len bytes, as SET does: the new value
 * first (Redis builds it while parsing the command), then, for a new key,
 * its sds, the main table's growth and its dictEntry; for an existing one,
 * the old value freed.  Returns 0, or -1 with err set when the allocator
 * refuses (the key is then left consistent for om_key_free). */
int om_set_value(struct engine *e, uint32_t slot, uint64_t len, int is_new, fs_err *err);
/* Frees every block of the key in slot (its keyspace entry stays for the
 * caller to delete). */
void om_key_free(struct engine *e, uint32_t slot);
/* The key gained (had 0, now 1) or lost a TTL: its expires entry. */
int om_ttl_changed(struct engine *e, uint32_t slot, int has_ttl, fs_err *err);
/* One event's lookups: each advances a running incremental rehash by a
 * step, as Redis's dictFind does; lookups_expires counts only while the
 * expires dict holds keys (Redis's getExpire skips an empty one). */
void om_lookups(struct engine *e);
/* The cron's share (databasesCron): shrink a dict under 10% full, then
 * finish any rehash (incrementallyRehash's millisecond is enough for the
 * tables of the sizes replayed here). */
int om_tick(struct engine *e, fs_err *err);
/* One block of a key, for active defrag: where its pointer is kept, the
 * size asked for and the usable size counted. */
typedef struct om_block {
    void **p;
    uint64_t size;
    uint64_t usable;
} om_block;
#define OM_KEY_MAX_BLOCKS 5
/* The key's blocks in the redis model (key sds, dictEntry, robj, value,
 * expires entry; those it has), into out.  Returns how many. */
int om_key_blocks(struct engine *e, uint32_t slot, om_block out[OM_KEY_MAX_BLOCKS]);
/* Frees the tables (after every key's blocks). */
void om_destroy(struct engine *e);

/* ---- Shared with the hash and set models (objmodel_hash.c,
 * objmodel_set.c) ---- */
/* Redis's string2ll (lpStringToInt64 and isSdsRepresentableAsLongLong read
 * the same): s is the canonical form of an int64 (no sign but '-', no
 * leading zero, at most 20 bytes).  Returns 1 with *out set, else 0. */
int om_string2ll(const char *s, uint64_t len, int64_t *out);
/* The byte the key in slot's blocks are written with (keyspace.h). */
int om_fill(const struct engine *e, uint32_t slot);
/* htNeedsResize then dictResize, as t_hash.c and t_set.c call them after a
 * delete: a table above 4 buckets and under 10% used, not rehashing,
 * shrinks to the power of two at or above max(used, 4).  Returns 0 or -1. */
int om_dict_shrink_if_sparse(struct engine *e, uint32_t slot, om_dict *d, fs_err *err);
/* ----
 * slot is the key whose heap a block goes to, KS_NONE for the keyspace's
 * own tables. */
/* A block of `size` bytes written with `fill`, counted as zmalloc counts
 * it.  Returns NULL with err set when the allocator refuses. */
void *om_blk_alloc(struct engine *e, uint32_t slot, uint64_t size, int fill, size_t *usable,
                   fs_err *err);
/* Frees a block of om_blk_alloc (NULL: nothing). */
void om_blk_free(struct engine *e, uint32_t slot, void *p, uint64_t size, size_t usable);
/* dictAdd's table side: a first table of 4 buckets, growth when full (not
 * while rehashing); used counts the entry.  Returns 0 or -1. */
int om_dict_add(struct engine *e, uint32_t slot, om_dict *d, fs_err *err);
/* dictExpand to `size` buckets (a power of two): the old array stays until
 * the incremental rehash is done.  Returns 0 or -1. */
int om_dict_resize(struct engine *e, uint32_t slot, om_dict *d, uint64_t size, fs_err *err);
/* One dict operation's rehash step. */
void om_dict_step(struct engine *e, uint32_t slot, om_dict *d);
/* Frees both arrays (dictRelease's tables). */
void om_dict_free(struct engine *e, uint32_t slot, om_dict *d);
/* _dictNextExp: the power of two at or above n, at least 4. */
uint64_t om_dict_next_size(uint64_t n);
/* The dict operations a rehash away from `size` buckets holding `used`
 * entries takes when only operations rehash (a hash key's dict: the cron
 * rehashes the keyspace's alone): one per filled bucket, about
 * size * (1 - e^(-used/size)), at least 1. */
uint64_t om_dict_rehash_steps(uint64_t size, uint64_t used);
/* Bytes of the keyspace dicts' bucket arrays being rehashed away (8 a
 * bucket), Redis 7.4's mem_overhead_db_hashtable_rehashing; 0 under the raw
 * model, which has no dicts. */
uint64_t om_rehashing_bytes(const objmodel *om);
/* A new key's om_key, zeroed (the array grows with the slots).  Returns 0
 * or -1. */
int om_key_new(struct engine *e, uint32_t slot, fs_err *err);
/* dbAdd for the key in slot, whose value is made: its sds, the main
 * table's growth and its dictEntry.  Returns 0 or -1 (the key is then
 * left consistent for om_key_free). */
int om_db_add(struct engine *e, uint32_t slot, fs_err *err);

#define OM_DICT_STRUCT_SIZE 56 /* sizeof(dict) in Redis 7.0 (dict.h) */

#define OM_ROBJ_SIZE 16
#define OM_DICT_ENTRY_SIZE 24
#define OM_EMBSTR_MAX 44
#define OM_DICT_MIN_SIZE 4

#endif
