/* objmodel_zset: the blocks a sorted set key holds in the allocator under
 * test.
 *
 * A sorted set is a hashobj of type HO_TYPE_ZSET whose fields are its
 * members, each with its score (hashobj.score); a skiplist member's vlen is
 * its node's level.  The hash model's listpack resize, entry and dict
 * blocks are shared (objmodel_hash.h).
 *
 * raw: one block per member, of the member's length (the data alone).
 *
 * redis: Redis 7.0.15's sorted set (t_zset.c, listpack.c, dict.c,
 * object.c, server.h):
 *  - ZADD on a missing key makes a listpack (createZsetListpackObject:
 *    lpNew, 7 bytes, then the robj, 16), or a skiplist at once
 *    (createZsetObject) when the first member is longer than
 *    zset-max-listpack-value or zset-max-listpack-entries is 0; then dbAdd;
 *  - a listpack member is two entries, the member then its score as
 *    d2string writes it (an integer's digits, else %.17g), each stored as
 *    an integer when it reads as one (lpStringToInt64), with encoding and
 *    backlen as a hash's (omh_lp_entry_size); each entry is an lpInsert,
 *    which reallocs only past the block's usable size; ZREM is one
 *    lpDeleteRangeWithEntry, then lpShrinkToFit (a realloc); a new score
 *    for a member is a delete then an insert (zzlDelete, zzlInsert);
 *  - before a member that would make more than zset-max-listpack-entries
 *    (128), or one longer than zset-max-listpack-value (64), the listpack
 *    becomes a skiplist (zsetConvert): the zset struct (16), its dict (56),
 *    the zskiplist (32) and its header node of ZSKIPLIST_MAXLEVEL (32)
 *    levels (24 + 32 x 16 = 536), then per member, in the listpack's order
 *    (by score, then member bytes), its sds, its node and a dictAdd (no
 *    presizing: the table grows 4, 8, 16 ... as members go in), then the
 *    listpack freed.  Redis 7.0 never converts back on ZREM;
 *  - a skiplist ZADD of a new member: dictFind (a rehash step), the
 *    member's sds (one sds, shared by the dict and the node), the node
 *    (zslCreateNode: 24 + 16 x level bytes; level from zslRandomLevel,
 *    p = 0.25, at most 32, drawn from the engine's seeded generator so that
 *    a replay is the same every run), then dictAdd (a rehash step, the
 *    table's growth when full, the 24-byte entry);
 *  - a new score for a skiplist member (zslUpdateScore) keeps the node
 *    when the member stays between its neighbours in (score, member)
 *    order, else makes a new node (a fresh level) and then frees the old;
 *  - ZREM in a skiplist: dictUnlink (a rehash step), the entry freed, then
 *    the sds and the node (zslFreeNode), then the table shrunk when under
 *    10% full (htNeedsResize, dictResize).
 * Not modelled: ZADD's presizing when one command creates a set of many
 * members (zsetTypeCreate comes in Redis 7.2; 7.0 creates as above), the
 * per-command argument objects, lpSafeToAdd's 1 GB limit. */
#ifndef FRAGSIM_OBJMODEL_ZSET_H
#define FRAGSIM_OBJMODEL_ZSET_H

#include <stdint.h>

#include "base/fs_err.h"
#include "hashobj.h"

struct engine;

/* Redis 7's defaults for zset-max-listpack-entries and -value. */
#define OMZ_MAX_LISTPACK_ENTRIES 128
#define OMZ_MAX_LISTPACK_VALUE 64
/* ZSKIPLIST_MAXLEVEL and the sizes of zskiplistNode (without its levels),
 * a zskiplistLevel, the zset struct and the zskiplist (server.h). */
#define OMZ_MAX_LEVEL 32
#define OMZ_NODE_SIZE 24
#define OMZ_LEVEL_SIZE 16
#define OMZ_ZSET_SIZE 16
#define OMZ_ZSKIPLIST_SIZE 32
/* The seed of the skiplist levels' generator (engine.zsl_rng). */
#define OMZ_LEVEL_SEED 0x7a736574ULL

/* zslRandomLevel from the engine's generator: 1 to OMZ_MAX_LEVEL, each
 * level past the first with probability 1/4. */
int omz_random_level(struct engine *e);
/* Bytes of the listpack entry holding score as d2string writes it. */
uint64_t omz_score_entry_size(double score);

/* ZADD key member score on the sorted set h of the key in slot;
 * is_new_key: the key has just been made for it (no block yet).  A member
 * already there with the same score changes nothing.  Returns 0, or -1
 * with err set when the allocator or engine memory refuses. */
int omz_zadd(struct engine *e, uint32_t slot, hashobj *h, int is_new_key, const char *member,
             uint32_t len, double score, fs_err *err);
/* ZREM of member i of h (HO_NONE: not a member, which costs a skiplist's
 * dict a rehash step only); the engine deletes the key when it was the
 * last.  Returns 0 or -1. */
int omz_zrem(struct engine *e, uint32_t slot, hashobj *h, uint32_t i, fs_err *err);
/* Frees a sorted set's members' blocks and its skiplist's own (omh_free
 * calls it first, then frees what all types share). */
void omz_free(struct engine *e, uint32_t slot, hashobj *h);

#endif
