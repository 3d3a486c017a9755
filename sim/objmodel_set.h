/* objmodel_set: the blocks a set key holds in the allocator under test.
 *
 * A set is a hashobj of type HO_TYPE_SET whose fields are its members
 * (hashobj.h); the hash model's blocks and conversion are shared
 * (objmodel_hash.h).
 *
 * raw: one block per member, of the member's length (the data alone).
 *
 * redis: Redis 7.0.15's set (t_set.c, intset.c, dict.c, object.c):
 *  - SADD on a missing key makes the set from the command's first member
 *    (setTypeCreate): an intset (intsetNew: 8 bytes, 2 per member) when it
 *    reads as an integer (string2ll: canonical form, at most 20 bytes),
 *    else a hashtable (dict struct 56 B); then its robj (16) and dbAdd;
 *  - an intset member goes in by zrealloc to 8 + members x width on every
 *    insert, whatever the usable size (intsetResize: the allocator decides
 *    whether in place); a member that needs more than the width (2 bytes
 *    up to +-32767, 4 up to +-2^31, else 8) widens every member in the
 *    same realloc (intsetUpgradeAndAdd); a width never narrows.  SREM
 *    reallocs to one member less;
 *  - the intset becomes a hashtable (setTypeConvert) when it passes
 *    set-max-intset-entries members (512; after the insert that passes it)
 *    or before a member that is not an integer: the dict, its table
 *    presized to the members, per member an sds of its decimal digits and
 *    a dictEntry (24 B), then the intset freed.  Redis 7.0 has no listpack
 *    sets (7.2 added them) and never converts back;
 *  - a hashtable SADD is dictAddRaw (a rehash step, the table's growth when
 *    full, the entry) and then the member's sds; SREM frees the sds and the
 *    entry and shrinks a table left under 10% full, as HDEL does.
 * Not modelled: the conversion's iterator (a block freed at once) and the
 * per-command argument objects. */
#ifndef FRAGSIM_OBJMODEL_SET_H
#define FRAGSIM_OBJMODEL_SET_H

#include <stdint.h>

#include "base/fs_err.h"
#include "hashobj.h"

struct engine;

/* Redis 7's default set-max-intset-entries. */
#define OMS_MAX_INTSET_ENTRIES 512
/* intsetNew: the header (encoding and length, 4 bytes each). */
#define OMS_INTSET_EMPTY 8

/* The intset width Redis gives v (_intsetValueEncoding): 2, 4 or 8. */
uint32_t oms_intset_width(int64_t v);

/* SADD key member on the set h of the key in slot; is_new_key: the key
 * has just been made for it (no block yet).  A member already there
 * changes nothing.  Returns 0, or -1 with err set when the allocator or
 * engine memory refuses. */
int oms_sadd(struct engine *e, uint32_t slot, hashobj *h, int is_new_key, const char *member,
             uint32_t len, fs_err *err);
/* SREM of member i of h (HO_NONE: not a member, which costs a hashtable a
 * rehash step only); the engine deletes the key when it was the last.
 * Returns 0 or -1. */
int oms_srem(struct engine *e, uint32_t slot, hashobj *h, uint32_t i, fs_err *err);

#endif
