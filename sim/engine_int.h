/* engine_int: what engine.c shares with engine_types.c (the events of hash
 * and set keys).  Not a public interface. */
#ifndef FRAGSIM_ENGINE_INT_H
#define FRAGSIM_ENGINE_INT_H

#include "engine.h"

/* The live key's slot, or KS_NONE.  With Redis's expiry a key past its TTL
 * is expired now, as lookupKey's expireIfNeeded does for any command. */
uint32_t engine_lookup(engine *e, const trace_event *ev);
/* Adds the event's key, in its heap.  Returns its slot, or KS_NONE with
 * err set. */
uint32_t engine_insert_key(engine *e, const trace_event *ev, fs_err *err);
/* Removes the key in slot: its value of any type, its blocks, its entry. */
void engine_remove_key(engine *e, uint32_t slot);
/* performEvictions, before a write: 1 to go on, 0 when refused (counted). */
int engine_room_for_write(engine *e);
/* Frees a hash or set key's value (its blocks and the engine's record of
 * it): the key becomes a string key without a value. */
void engine_drop_hash(engine *e, uint32_t slot, hashobj *h);

/* The live-key gauge of a type (HO_TYPE_*): hash_keys, set_keys,
 * zset_keys or list_keys; and the type's name for messages. */
uint64_t *engine_type_keys(engine *e, int type);
const char *engine_type_name(int type);

/* HSET, HDEL, SADD, SREM, ZADD, ZREM, LPUSH, RPUSH, LPOP, RPOP and LTRIM
 * (engine_types.c).  Returns 0 or -1. */
int engine_apply_typed(engine *e, const trace_event *ev, fs_err *err);

#endif
