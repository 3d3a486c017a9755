/* The events of hash, set, sorted set and list keys (HSET, HDEL, SADD,
 * SREM, ZADD, ZREM, LPUSH, RPUSH, LPOP, RPOP, LTRIM): a key's type and
 * Redis's WRONGTYPE here, its blocks in objmodel_hash.c, objmodel_set.c,
 * objmodel_zset.c and objmodel_list.c. */
#include <string.h>

#include "base/emem.h"
#include "engine_int.h"
#include "objmodel_hash.h"
#include "objmodel_list.h"
#include "objmodel_set.h"
#include "objmodel_zset.h"

uint64_t *engine_type_keys(engine *e, int type) {
    switch (type) {
    case HO_TYPE_SET: return &e->c.set_keys;
    case HO_TYPE_ZSET: return &e->c.zset_keys;
    case HO_TYPE_LIST: return &e->c.list_keys;
    default: return &e->c.hash_keys;
    }
}

const char *engine_type_name(int type) {
    static const char *const names[] = {"hash", "set", "sorted set", "list"};
    return type >= 0 && type < (int)(sizeof names / sizeof names[0]) ? names[type] : "hash";
}

/* The slot's place in hash_of, which grows with the slots. */
static int hash_slot_reserve(engine *e, uint32_t slot, fs_err *err) {
    if (slot < e->hash_of_cap) return 0;
    uint32_t cap = e->hash_of_cap ? e->hash_of_cap : 4096;
    while (cap <= slot) cap *= 2;
    size_t w = sizeof *e->hash_of;
    void *p = e->hash_of == NULL ? emem_map(cap * w)
                                 : emem_remap(e->hash_of, e->hash_of_cap * w, cap * w);
    if (p == NULL) return fs_errf(err, "out of engine memory for %u keys' hashes", cap);
    e->hash_of = p;
    e->hash_of_cap = cap;
    return 0;
}

/* The key of a write (HSET, SADD) as lookupKeyWrite and checkType see it:
 * its hashobj of `type`, made with the key when missing (*is_new).  NULL
 * with *rc 0 when the write is refused (maxmemory, or WRONGTYPE: a string
 * or another type), with *rc -1 and err set on failure. */
static hashobj *for_write(engine *e, const trace_event *ev, int type, uint32_t *slot,
                          int *is_new, int *rc, fs_err *err) {
    *rc = 0;
    if (!engine_room_for_write(e)) return NULL;
    *slot = engine_lookup(e, ev);
    *is_new = *slot == KS_NONE;
    hashobj *h;
    if (!*is_new) {
        if ((h = engine_hash_of(e, *slot)) == NULL || h->type != type) {
            e->c.wrongtype++;
            return NULL;
        }
        return h;
    }
    *rc = -1;
    if ((*slot = engine_insert_key(e, ev, err)) == KS_NONE) return NULL;
    if (hash_slot_reserve(e, *slot, err) != 0) {
        engine_remove_key(e, *slot);
        return NULL;
    }
    if ((h = ho_new()) == NULL) {
        engine_remove_key(e, *slot);
        fs_errf(err, "out of engine memory for a %s", engine_type_name(type));
        return NULL;
    }
    h->type = type;
    e->hash_of[*slot] = h;
    (*engine_type_keys(e, type))++;
    *rc = 0;
    return h;
}

/* The key of a removal (HDEL, SREM): its hashobj of `type`, or NULL when
 * there is none (missing, or WRONGTYPE: counted). */
static hashobj *for_removal(engine *e, const trace_event *ev, int type, uint32_t *slot) {
    if ((*slot = engine_lookup(e, ev)) == KS_NONE) return NULL;
    hashobj *h = engine_hash_of(e, *slot);
    if (h == NULL || h->type != type) {
        e->c.wrongtype++;
        return NULL;
    }
    return h;
}

/* The last element, member or field takes the key (dbDelete). */
static void delete_emptied(engine *e, uint32_t slot) {
    engine_remove_key(e, slot);
    e->c.deleted_keys++;
}

/* LPUSH, RPUSH (a missing key becomes a list), LPOP, RPOP, LTRIM (a
 * missing key: nothing). */
static int apply_list(engine *e, const trace_event *ev, fs_err *err) {
    uint32_t slot;
    int is_new, rc;
    hashobj *h;
    if (ev->op == TRACE_OP_LPUSH || ev->op == TRACE_OP_RPUSH) {
        if ((h = for_write(e, ev, HO_TYPE_LIST, &slot, &is_new, &rc, err)) == NULL) return rc;
        if (oml_push(e, slot, h, is_new, ev->op == TRACE_OP_LPUSH, ev->size, err) != 0)
            return -1;
        return ev_touch(e, slot, is_new, err);
    }
    if ((h = for_removal(e, ev, HO_TYPE_LIST, &slot)) == NULL) return 0;
    rc = ev->op == TRACE_OP_LTRIM ? oml_trim(e, slot, h, ev->start, ev->stop, err)
                                  : oml_pop(e, slot, h, ev->op == TRACE_OP_LPOP, err);
    if (rc != 0) return -1;
    if (oml_len(h) == 0) delete_emptied(e, slot);
    return 0;
}

int engine_apply_typed(engine *e, const trace_event *ev, fs_err *err) {
    if (ev->op >= TRACE_OP_LPUSH && ev->op <= TRACE_OP_LTRIM) return apply_list(e, ev, err);
    int set = ev->op == TRACE_OP_SADD || ev->op == TRACE_OP_SREM;
    int zset = ev->op == TRACE_OP_ZADD || ev->op == TRACE_OP_ZREM;
    int type = set ? HO_TYPE_SET : zset ? HO_TYPE_ZSET : HO_TYPE_HASH;
    uint32_t slot;
    int is_new, rc;
    hashobj *h;
    if (ev->op == TRACE_OP_HSET || ev->op == TRACE_OP_SADD || ev->op == TRACE_OP_ZADD) {
        if ((h = for_write(e, ev, type, &slot, &is_new, &rc, err)) == NULL) return rc;
        if (set) rc = oms_sadd(e, slot, h, is_new, ev->field, ev->fieldlen, err);
        else if (zset) rc = omz_zadd(e, slot, h, is_new, ev->field, ev->fieldlen, ev->score, err);
        else rc = omh_hset(e, slot, h, is_new, ev->field, ev->fieldlen, ev->size, err);
        return rc != 0 ? -1 : ev_touch(e, slot, is_new, err);
    }
    if ((h = for_removal(e, ev, type, &slot)) == NULL) return 0;
    uint32_t i = ho_find(h, ev->field, ev->fieldlen);
    if (set) rc = oms_srem(e, slot, h, i, err);
    else if (zset) rc = omz_zrem(e, slot, h, i, err);
    else rc = i == HO_NONE ? 0 : omh_hdel(e, slot, h, i, err);
    if (rc != 0) return -1;
    if (h->nfields == 0) delete_emptied(e, slot);
    return 0;
}

const char *engine_encoding_name(int enc) {
    static const char *const names[ENGINE_ENC__COUNT] = {
        "hash_listpack", "hash_hashtable", "set_intset",
        "set_hashtable", "zset_listpack",  "zset_skiplist", "list_quicklist"};
    return enc >= 0 && enc < ENGINE_ENC__COUNT ? names[enc] : NULL;
}

void engine_encoding_census(const engine *e, engine_encodings *out) {
    memset(out, 0, sizeof *out);
    for (uint32_t slot = 0; slot < e->hash_of_cap; slot++) {
        const hashobj *h = e->hash_of[slot];
        if (h == NULL || h->enc == 0) continue; /* a string, or the raw model */
        int set = h->type == HO_TYPE_SET, table = h->enc == HO_HASHTABLE;
        int enc = set ? (table ? ENGINE_ENC_SET_HASHTABLE : ENGINE_ENC_SET_INTSET)
                      : (table ? ENGINE_ENC_HASH_HASHTABLE : ENGINE_ENC_HASH_LISTPACK);
        if (h->type == HO_TYPE_ZSET)
            enc = h->enc == HO_SKIPLIST ? ENGINE_ENC_ZSET_SKIPLIST : ENGINE_ENC_ZSET_LISTPACK;
        if (h->type == HO_TYPE_LIST) {
            out->keys[ENGINE_ENC_LIST_QUICKLIST]++;
            out->bytes[ENGINE_ENC_LIST_QUICKLIST] += oml_value_bytes(h);
            continue;
        }
        uint64_t b = (uint64_t)h->robj_usable + h->lp_usable + h->dict_usable +
                     h->ht.table_usable + h->ht.old_usable;
        if (h->zsl != NULL)
            b += (uint64_t)h->zsl->zs_usable + h->zsl->zsl_usable + h->zsl->header_usable;
        for (uint32_t i = 0; h->b != NULL && i < h->nfields; i++)
            b += (uint64_t)h->b[i].val_usable + h->b[i].fsds_usable + h->b[i].de_usable;
        out->keys[enc]++;
        out->bytes[enc] += b;
    }
}
