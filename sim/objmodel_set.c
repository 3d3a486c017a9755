/* A set key's blocks, raw and as Redis 7.0 makes them (objmodel_set.h). */
#include "objmodel_set.h"

#include <string.h>

#include "engine.h"
#include "objmodel_hash.h"

uint32_t oms_intset_width(int64_t v) {
    if (v < INT32_MIN || v > INT32_MAX) return 8;
    if (v < INT16_MIN || v > INT16_MAX) return 4;
    return 2;
}

/* intsetResize to n members of width bytes: a zrealloc every time.  The
 * bytes past keep (all of them after a widening, which rewrites every
 * member) are written. */
static int intset_resize(engine *e, uint32_t slot, hashobj *h, uint64_t n, uint64_t keep,
                         fs_err *err) {
    uint64_t bytes = OMS_INTSET_EMPTY + n * h->width;
    if (omh_realloc(e, slot, h, bytes, "an intset", err) != 0) return -1;
    h->lp_bytes = bytes;
    if (bytes > keep) memset((char *)h->lp + keep, om_fill(e, slot), bytes - keep);
    return 0;
}

/* A new member of a hashtable set: dictAddRaw (the table's growth, then
 * the entry), then dictSetKey's sdsdup; member_first: the sds is made
 * before (the conversion's dictAdd(d, sdsdup(value), NULL)). */
static int ht_add(engine *e, uint32_t slot, hashobj *h, const char *member, uint32_t len,
                  int member_first, fs_err *err) {
    uint32_t i = ho_add(h, member, len, 0);
    if (i == HO_NONE) return fs_errf(err, "out of engine memory for a set's members");
    if (member_first && omh_field_blocks(e, slot, h, i, err) != 0) return -1;
    if (om_dict_add(e, slot, &h->ht, err) != 0 || omh_entry(e, slot, &h->b[i], err) != 0)
        return -1;
    return member_first ? 0 : omh_field_blocks(e, slot, h, i, err);
}

int oms_sadd(engine *e, uint32_t slot, hashobj *h, int is_new_key, const char *member,
             uint32_t len, fs_err *err) {
    uint32_t i = ho_find(h, member, len);
    if (e->om.kind != OM_REDIS) /* the member's bytes as a value */
        return i != HO_NONE ? 0 : omh_hset(e, slot, h, is_new_key, member, len, len, err);
    int64_t v;
    int is_int = om_string2ll(member, len, &v);
    if (is_new_key && omh_create(e, slot, h, is_int ? HO_INTSET : HO_HASHTABLE, err) != 0)
        return -1;
    if (h->enc == HO_HASHTABLE) {
        om_dict_step(e, slot, &h->ht); /* dictAddRaw, which finds a member there */
        return i != HO_NONE ? 0 : ht_add(e, slot, h, member, len, 0, err);
    }
    if (!is_int) { /* setTypeConvert, then dictAdd(d, sdsdup(value), NULL) */
        if (omh_convert(e, slot, h, err) != 0) return -1;
        return ht_add(e, slot, h, member, len, 1, err);
    }
    uint32_t w = oms_intset_width(v);
    uint64_t keep = h->lp_bytes;
    if (w > h->width) { /* intsetUpgradeAndAdd: wider than every member, so new */
        h->width = w;
        keep = OMS_INTSET_EMPTY;
    } else if (i != HO_NONE) {
        return 0;
    }
    if (ho_add(h, member, len, 0) == HO_NONE)
        return fs_errf(err, "out of engine memory for a set's members");
    if (intset_resize(e, slot, h, h->nfields, keep, err) != 0) return -1;
    if (h->nfields > e->cfg.set_max_intset_entries) return omh_convert(e, slot, h, err);
    return 0;
}

int oms_srem(engine *e, uint32_t slot, hashobj *h, uint32_t i, fs_err *err) {
    if (e->om.kind == OM_REDIS && h->enc == HO_INTSET) {
        if (i == HO_NONE) return 0;
        ho_remove(h, i); /* intsetMoveTail, then intsetResize to one less */
        return intset_resize(e, slot, h, h->nfields, h->lp_bytes, err);
    }
    if (i == HO_NONE) { /* dictDelete's rehash step, before its lookup */
        if (e->om.kind == OM_REDIS) om_dict_step(e, slot, &h->ht);
        return 0;
    }
    return omh_hdel(e, slot, h, i, err); /* the hashtable's and the raw model's are a hash's */
}
