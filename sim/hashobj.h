/* hashobj: what the engine knows of one hash or set key, in engine memory.
 *
 * A set is kept as a hash whose fields are its members, without values
 * (ho_field.vlen 0, except in the raw model: the member's own length).
 *
 * A hash key's fields (names and value sizes) and the blocks its object
 * model holds for it in the allocator under test live here, out of line:
 * the keyspace's 32-byte entry stays a string's (base/keyspace.h), and the
 * engine finds a key's hash through a per-slot pointer array that exists
 * only once a trace has made a hash (engine.h).  Nothing here is in the
 * measured heap (DESIGN.md decision 2): small parts come from emem_alloc,
 * big field arrays straight from mmap.
 *
 * Fields sit in a dense array (a deletion moves the last one into the
 * hole) reached through an open-addressing index of 32-bit words (linear
 * probing, at most half full, backward-shift deletion). */
#ifndef FRAGSIM_HASHOBJ_H
#define FRAGSIM_HASHOBJ_H

#include <stdint.h>

#include "objmodel.h"

#define HO_NONE UINT32_MAX

/* One field: where its name is in the hash's name arena, and its value's
 * size. */
typedef struct ho_field {
    uint32_t name;        /* offset in names */
    uint32_t len;
    uint32_t vlen;        /* the value's bytes (<= TRACE_SIZE_MAX) */
} ho_field;

/* A field's own blocks in the allocator under test, beside ho_field (the
 * same index) once ho_use_blocks: the raw model's value, or a redis
 * hashtable's value sds, field sds and dictEntry.  A listpack holds its
 * fields inline and needs none, so a listpack hash's fields cost 12 bytes
 * of engine memory each besides their names. */
typedef struct ho_blocks {
    void *val, *fsds, *de;
    uint32_t val_usable, fsds_usable, de_usable;
} ho_blocks;

/* Redis's OBJ_ENCODING_* of a hash (listpack, hashtable), a set (intset,
 * hashtable) or a sorted set (listpack, skiplist). */
enum { HO_LISTPACK = 1, HO_HASHTABLE = 2, HO_INTSET = 3, HO_SKIPLIST = 4, HO_QUICKLIST = 5 };
/* The key's type: Redis's OBJ_HASH, OBJ_SET, OBJ_ZSET or OBJ_LIST. */
enum { HO_TYPE_HASH = 0, HO_TYPE_SET = 1, HO_TYPE_ZSET = 2, HO_TYPE_LIST = 3 };

/* A skiplist sorted set's own blocks besides the dict (objmodel_zset.c):
 * the zset struct, the zskiplist and its 32-level header node. */
typedef struct ho_zsl {
    void *zs, *zsl, *header;
    uint32_t zs_usable, zsl_usable, header_usable;
} ho_zsl;

/* One list element: its bytes, and in the raw model its block. */
typedef struct ho_elem {
    void *blk;
    uint32_t len, usable;
} ho_elem;

/* One quicklistNode (redis model): the node's block and its listpack's,
 * sized as a hash's listpack is (lp_bytes, lp_asked, lp_usable). */
typedef struct ho_qnode {
    void *node, *lp;
    uint64_t lp_bytes, lp_asked, lp_usable;
    uint32_t node_usable;
    uint32_t count;       /* its elements */
} ho_qnode;

/* A list (objmodel_list.c): its elements head to tail, and its quicklist's
 * nodes head to tail, each in an array with room kept at both ends (start:
 * the first used index) so that pushes and pops at either end are O(1). */
typedef struct ho_list {
    ho_elem *el;
    uint32_t el_start, el_len, el_cap;
    ho_qnode *qn;
    uint32_t qn_start, qn_len, qn_cap;
    void *ql;             /* the quicklist struct (redis model) */
    uint32_t ql_usable;
} ho_list;

typedef struct hashobj {
    int type;             /* HO_TYPE_HASH (ho_new's) or HO_TYPE_SET */
    ho_field *f;          /* nfields of them */
    ho_blocks *b;         /* fcap of them once use_blocks, else NULL */
    int use_blocks;
    uint32_t nfields, fcap;
    char *names;          /* the fields' names, appended; a removed one's bytes
                             are dead until the arena is compacted */
    uint32_t names_used, names_cap, names_dead;
    uint32_t *idx;        /* field index + 1 by hash, 0 empty; icap words */
    uint32_t icap;        /* a power of two, or 0 */
    /* The redis model's blocks (objmodel_hash.c); all 0 in the raw model. */
    int enc;              /* HO_LISTPACK, HO_INTSET or HO_HASHTABLE */
    void *robj;
    uint32_t robj_usable;
    uint32_t width;       /* an intset's bytes per member: 2, 4 or 8 */
    void *lp;             /* the listpack, or a set's intset (lp_* alike) */
    uint64_t lp_bytes;    /* its total bytes (lpBytes) */
    uint64_t lp_asked;    /* the size last asked of the allocator (lpBytes then):
                             a listpack grows within its usable size unasked */
    uint64_t lp_usable;
    void *dict;           /* the dict struct (hashtable) */
    uint32_t dict_usable;
    om_dict ht;           /* its bucket arrays */
    double *score;        /* a sorted set's scores, fcap of them (same index as
                             f), made with f; else NULL */
    ho_zsl *zsl;          /* a skiplist sorted set's blocks, else NULL */
    ho_list *list;        /* a list's elements and nodes, else NULL */
} hashobj;

/* A new empty hash, or NULL when out of engine memory. */
hashobj *ho_new(void);
/* Frees the engine's side (the caller has freed the model's blocks). */
void ho_free(hashobj *h);

/* Gives every field (present and future) its ho_blocks, zeroed.  Returns
 * 0, or -1 when out of engine memory. */
int ho_use_blocks(hashobj *h);
/* The list of h (type HO_TYPE_LIST), made empty when it has none.
 * Returns NULL when out of engine memory. */
ho_list *ho_list_of(hashobj *h);
/* Room for one more element (elems) or node (!elems) at the head (front)
 * or the tail of l's array: start stays > 0 after a push at the head.
 * Returns 0, or -1 when out of engine memory. */
int ho_list_reserve(ho_list *l, int elems, int front);

/* Field i's name (h->f[i].len bytes), valid until the next ho_add. */
static inline const char *ho_name(const hashobj *h, uint32_t i) { return h->names + h->f[i].name; }

/* The field's index in h->f, or HO_NONE. */
uint32_t ho_find(const hashobj *h, const char *name, uint32_t len);
/* Adds a field (not present; the caller has checked) with value size
 * vlen and no blocks.  Returns its index, or HO_NONE when out of engine
 * memory. */
uint32_t ho_add(hashobj *h, const char *name, uint32_t len, uint32_t vlen);
/* Removes field i (the caller has freed its blocks); the last field takes
 * its index. */
void ho_remove(hashobj *h, uint32_t i);

#endif
