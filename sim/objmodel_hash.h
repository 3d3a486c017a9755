/* objmodel_hash: the blocks a hash key holds in the allocator under test.
 *
 * raw: one block per field value, of the value's size (values only, as the
 * raw model stores a string).
 *
 * redis: Redis 7.0.15's hash (t_hash.c, listpack.c, dict.c, object.c):
 *  - a new hash is a listpack (lpNew: 7 bytes, the 6-byte header and the
 *    end byte) and its robj (16), then dbAdd (key sds, dictEntry);
 *  - each field and value is a listpack entry: encoding + data + backlen.
 *    A string of under 64 bytes takes a 1-byte encoding, under 4096 two,
 *    else five; a field that reads as an integer (lpStringToInt64) is
 *    stored as one (1 to 9 bytes); backlen is 1 byte up to 127 bytes of
 *    entry, then 2, 3, 4, 5.  A value's bytes are not in a trace: values
 *    are taken as strings, never as integers;
 *  - the listpack grows by realloc (zrealloc: the allocator decides
 *    whether in place or by a move) only when its new size is past the
 *    block's usable size (lpInsert), one realloc per appended entry, so a
 *    new field and its value are two; it shrinks by realloc on every
 *    smaller replacement and on HDEL (lpShrinkToFit);
 *  - it converts to a hashtable (hashTypeConvertListpack) when a field or
 *    value is longer than hash-max-listpack-value (64), checked before the
 *    write, or when the fields pass hash-max-listpack-entries (512) after
 *    it: a dict (56 B) presized to the fields (4 buckets at least, the
 *    power of two at or above), then per field its sds, its value's sds
 *    and a dictEntry (24 B), then the listpack freed;
 *  - a hashtable grows its bucket array (8 B a bucket) when full, as
 *    dictAdd does, keeping the old array until the incremental rehash is
 *    done: a hash's dict rehashes a bucket per operation on it only (a
 *    lookup, add or delete), about one per filled bucket (objmodel.h);
 *    an HDEL that leaves it under 10% full shrinks it at once (t_hash.c's
 *    htNeedsResize after dictDelete), to the power of two at or above the
 *    fields (at least 4);
 *  - an update of a field in a hashtable frees the old value's sds, then
 *    makes the new one; an HDEL frees the field's sds, value sds and entry.
 * Not modelled: values that Redis would store as integers, the per-command
 * argument objects and the conversion's iterator (a 48-byte block freed at
 * once), and active defrag of a hash's blocks (the key's sds, dictEntry and
 * expires entry still move). */
#ifndef FRAGSIM_OBJMODEL_HASH_H
#define FRAGSIM_OBJMODEL_HASH_H

#include <stdint.h>

#include "base/fs_err.h"
#include "hashobj.h"

struct engine;

/* Redis 7's defaults for hash-max-listpack-entries and -value. */
#define OMH_MAX_LISTPACK_ENTRIES 512
#define OMH_MAX_LISTPACK_VALUE 64

/* Bytes of one listpack entry holding len bytes: s's bytes, or (s NULL) a
 * string that is not an integer. */
uint64_t omh_lp_entry_size(const char *s, uint64_t len);

/* HSET key field vlen on the hash h of the key in slot; is_new_key: the
 * key has just been made for it (no block yet).  Returns 0, or -1 with err
 * set when the allocator or engine memory refuses. */
int omh_hset(struct engine *e, uint32_t slot, hashobj *h, int is_new_key, const char *field,
             uint32_t flen, uint64_t vlen, fs_err *err);
/* HDEL of field i of h (the engine deletes the key when it was the last).
 * Returns 0 or -1. */
int omh_hdel(struct engine *e, uint32_t slot, hashobj *h, uint32_t i, fs_err *err);
/* Frees every block of the hash or set (its robj included; the key's own
 * blocks are om_key_free's). */
void omh_free(struct engine *e, uint32_t slot, hashobj *h);

/* ---- Shared with the set model (objmodel_set.c), redis model only ---- */
/* A new key's value and dbAdd: the encoding's first block (a listpack of
 * 7 bytes, an intset of 8, or a dict struct of 56), then the robj, then
 * the key's sds and dictEntry (om_db_add).  Returns 0 or -1. */
int omh_create(struct engine *e, uint32_t slot, hashobj *h, int enc, fs_err *err);
/* zrealloc of the listpack or intset (h->lp) to `bytes` (lp_asked and
 * lp_usable follow; lp_bytes is the caller's); what names it in the error.
 * Returns 0 or -1. */
int omh_realloc(struct engine *e, uint32_t slot, hashobj *h, uint64_t bytes, const char *what,
                fs_err *err);
/* The listpack becomes `bytes` long, as lpInsert and lpShrinkToFit resize
 * it: a realloc to grow only past the usable size, one on every shrink.
 * The new bytes are written (DESIGN.md decision 3).  Returns 0 or -1. */
int omh_lp_resize(struct engine *e, uint32_t slot, hashobj *h, uint64_t bytes, fs_err *err);
/* The same for a listpack held elsewhere (a list's quicklist node): its
 * block, lpBytes, the size last asked and the usable size. */
int omh_lp_resize_at(struct engine *e, uint32_t slot, void **lp, uint64_t *lp_bytes,
                     uint64_t *asked, uint64_t *usable, uint64_t bytes, fs_err *err);
/* Field i's sds in a hashtable, then (a hash's) its value's sds: sdsdup
 * each.  Returns 0 or -1. */
int omh_field_blocks(struct engine *e, uint32_t slot, hashobj *h, uint32_t i, fs_err *err);
/* A dictEntry (24 B) into b.  Returns 0 or -1. */
int omh_entry(struct engine *e, uint32_t slot, ho_blocks *b, fs_err *err);
/* hashTypeConvertListpack and setTypeConvert: the dict struct, its table
 * presized to the fields (dictExpand: the power of two at or above, at
 * least 4), each field's blocks (omh_field_blocks) and entry, then the
 * listpack or intset freed; counted in hash_ or set_conversions.  Returns
 * 0 or -1. */
int omh_convert(struct engine *e, uint32_t slot, hashobj *h, fs_err *err);

#endif
