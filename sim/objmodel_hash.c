/* A hash key's blocks, raw and as Redis 7.0 makes them (objmodel_hash.h). */
#include "objmodel_hash.h"

#include <string.h>

#include "engine.h"
#include "objmodel_list.h"
#include "objmodel_set.h"
#include "objmodel_zset.h"

#define LP_EMPTY 7 /* lpNew: LP_HDR_SIZE (6) + the end byte */

/* lpEncodeBacklen's size for an entry of l bytes. */
static uint64_t lp_backlen(uint64_t l) {
    if (l <= 127) return 1;
    if (l < 16383) return 2;
    if (l < 2097151) return 3;
    if (l < 268435455) return 4;
    return 5;
}

uint64_t omh_lp_entry_size(const char *s, uint64_t len) {
    int64_t v;
    uint64_t enc;
    if (s != NULL && om_string2ll(s, len, &v)) {
        if (v >= 0 && v <= 127) enc = 1;
        else if (v >= -4096 && v <= 4095) enc = 2;
        else if (v >= -32768 && v <= 32767) enc = 3;
        else if (v >= -8388608 && v <= 8388607) enc = 4;
        else if (v >= -2147483648LL && v <= 2147483647LL) enc = 5;
        else enc = 9;
    } else {
        enc = len < 64 ? 1 + len : len < 4096 ? 2 + len : 5 + len;
    }
    return enc + lp_backlen(enc);
}

static int is_redis(const engine *e) { return e->om.kind == OM_REDIS; }

static uint64_t field_entries(const hashobj *h, uint32_t i) {
    return omh_lp_entry_size(ho_name(h, i), h->f[i].len) + omh_lp_entry_size(NULL, h->f[i].vlen);
}

/* zrealloc of the block at *lp to `bytes` (*asked and *usable follow). */
static int lp_realloc_at(engine *e, uint32_t slot, void **lp, uint64_t *asked, uint64_t *usable,
                         uint64_t bytes, const char *what, fs_err *err) {
    size_t u;
    void *p = engine_block_realloc(e, slot, *lp, *asked, *usable, bytes, &u);
    if (p == NULL)
        return fs_errf(err, "the allocator refused to resize %s to %llu bytes (out of memory)",
                       what, (unsigned long long)bytes);
    *lp = p;
    *asked = bytes;
    *usable = u;
    return 0;
}

int omh_realloc(engine *e, uint32_t slot, hashobj *h, uint64_t bytes, const char *what,
                fs_err *err) {
    return lp_realloc_at(e, slot, &h->lp, &h->lp_asked, &h->lp_usable, bytes, what, err);
}

int omh_lp_resize_at(engine *e, uint32_t slot, void **lp, uint64_t *lp_bytes, uint64_t *asked,
                     uint64_t *usable, uint64_t bytes, fs_err *err) {
    uint64_t old = *lp_bytes;
    if (((bytes > old && bytes > *usable) || bytes < old) &&
        lp_realloc_at(e, slot, lp, asked, usable, bytes, "a listpack", err) != 0)
        return -1;
    *lp_bytes = bytes;
    if (bytes > old) memset((char *)*lp + old - 1, om_fill(e, slot), bytes - old);
    return 0;
}

int omh_lp_resize(engine *e, uint32_t slot, hashobj *h, uint64_t bytes, fs_err *err) {
    return omh_lp_resize_at(e, slot, &h->lp, &h->lp_bytes, &h->lp_asked, &h->lp_usable, bytes,
                            err);
}

int omh_field_blocks(engine *e, uint32_t slot, hashobj *h, uint32_t i, fs_err *err) {
    size_t u;
    int fill = om_fill(e, slot);
    ho_blocks *b = &h->b[i];
    if ((b->fsds = om_blk_alloc(e, slot, om_key_sds_size(h->f[i].len), fill, &u, err)) == NULL)
        return -1;
    b->fsds_usable = (uint32_t)u;
    if (h->type == HO_TYPE_SET) return 0;
    if ((b->val = om_blk_alloc(e, slot, om_key_sds_size(h->f[i].vlen), fill, &u, err)) == NULL)
        return -1;
    b->val_usable = (uint32_t)u;
    return 0;
}

int omh_entry(engine *e, uint32_t slot, ho_blocks *b, fs_err *err) {
    size_t u;
    b->de = om_blk_alloc(e, slot, OM_DICT_ENTRY_SIZE, om_fill(e, slot), &u, err);
    if (b->de == NULL) return -1;
    b->de_usable = (uint32_t)u;
    return 0;
}

static void ht_field_free(engine *e, uint32_t slot, hashobj *h, uint32_t i) {
    ho_blocks *b = &h->b[i];
    om_blk_free(e, slot, b->fsds, om_key_sds_size(h->f[i].len), b->fsds_usable);
    om_blk_free(e, slot, b->val, om_key_sds_size(h->f[i].vlen), b->val_usable);
    om_blk_free(e, slot, b->de, OM_DICT_ENTRY_SIZE, b->de_usable);
    b->fsds = b->val = b->de = NULL;
}

int omh_convert(engine *e, uint32_t slot, hashobj *h, fs_err *err) {
    size_t u;
    h->dict = om_blk_alloc(e, slot, OM_DICT_STRUCT_SIZE, om_fill(e, slot), &u, err);
    if (h->dict == NULL) return -1;
    h->dict_usable = (uint32_t)u;
    h->enc = HO_HASHTABLE;
    if (ho_use_blocks(h) != 0) return fs_errf(err, "out of engine memory for a hash's fields");
    if (om_dict_resize(e, slot, &h->ht, om_dict_next_size(h->nfields), err) != 0) return -1;
    for (uint32_t i = 0; i < h->nfields; i++) {
        if (omh_field_blocks(e, slot, h, i, err) != 0 || omh_entry(e, slot, &h->b[i], err) != 0)
            return -1;
        h->ht.used++;
    }
    om_blk_free(e, slot, h->lp, h->lp_asked, h->lp_usable);
    h->lp = NULL;
    h->lp_bytes = h->lp_asked = h->lp_usable = 0;
    if (h->type == HO_TYPE_SET) e->c.set_conversions++;
    else e->c.hash_conversions++;
    return 0;
}

int omh_create(engine *e, uint32_t slot, hashobj *h, int enc, fs_err *err) {
    size_t u;
    int fill = om_fill(e, slot);
    if (om_key_new(e, slot, err) != 0) return -1;
    h->enc = enc;
    if (enc == HO_HASHTABLE) {
        if ((h->dict = om_blk_alloc(e, slot, OM_DICT_STRUCT_SIZE, fill, &u, err)) == NULL)
            return -1;
        h->dict_usable = (uint32_t)u;
        if (ho_use_blocks(h) != 0) return fs_errf(err, "out of engine memory for a key's fields");
    } else {
        uint64_t size = enc == HO_INTSET ? OMS_INTSET_EMPTY : LP_EMPTY;
        if ((h->lp = om_blk_alloc(e, slot, size, fill, &u, err)) == NULL) return -1;
        h->lp_bytes = h->lp_asked = size;
        h->lp_usable = u;
        h->width = 2; /* intsetNew: INTSET_ENC_INT16 */
    }
    if ((h->robj = om_blk_alloc(e, slot, OM_ROBJ_SIZE, fill, &u, err)) == NULL) return -1;
    h->robj_usable = (uint32_t)u;
    return om_db_add(e, slot, err);
}

static int raw_value(engine *e, uint32_t slot, hashobj *h, uint32_t i, uint64_t vlen,
                     fs_err *err) {
    void *p = NULL;
    size_t u = 0;
    ho_blocks *b = &h->b[i];
    if (vlen > 0 && (p = om_blk_alloc(e, slot, vlen, om_fill(e, slot), &u, err)) == NULL)
        return -1;
    om_blk_free(e, slot, b->val, h->f[i].vlen, b->val_usable);
    b->val = p;
    b->val_usable = (uint32_t)u;
    h->f[i].vlen = (uint32_t)vlen;
    return 0;
}

int omh_hset(engine *e, uint32_t slot, hashobj *h, int is_new_key, const char *field,
             uint32_t flen, uint64_t vlen, fs_err *err) {
    uint32_t i = ho_find(h, field, flen);
    if (!is_redis(e)) {
        if (ho_use_blocks(h) != 0 || (i == HO_NONE && (i = ho_add(h, field, flen, 0)) == HO_NONE))
            return fs_errf(err, "out of engine memory for a hash's fields");
        return raw_value(e, slot, h, i, vlen, err);
    }
    if (is_new_key && omh_create(e, slot, h, HO_LISTPACK, err) != 0) return -1;
    /* hashTypeTryConversion, before the write. */
    if (h->enc == HO_LISTPACK &&
        (flen > e->cfg.hash_max_listpack_value || vlen > e->cfg.hash_max_listpack_value) &&
        omh_convert(e, slot, h, err) != 0)
        return -1;
    if (h->enc == HO_LISTPACK) {
        if (i != HO_NONE) { /* lpReplace of the value */
            uint64_t bytes = h->lp_bytes - omh_lp_entry_size(NULL, h->f[i].vlen) +
                             omh_lp_entry_size(NULL, vlen);
            h->f[i].vlen = (uint32_t)vlen;
            return omh_lp_resize(e, slot, h, bytes, err);
        }
        if ((i = ho_add(h, field, flen, (uint32_t)vlen)) == HO_NONE)
            return fs_errf(err, "out of engine memory for a hash's fields");
        /* Two lpAppends: the field, then the value. */
        if (omh_lp_resize(e, slot, h, h->lp_bytes + omh_lp_entry_size(field, flen), err) != 0 ||
            omh_lp_resize(e, slot, h, h->lp_bytes + omh_lp_entry_size(NULL, vlen), err) != 0)
            return -1;
        if (h->nfields > e->cfg.hash_max_listpack_entries) return omh_convert(e, slot, h, err);
        return 0;
    }
    om_dict_step(e, slot, &h->ht); /* dictFind */
    if (i != HO_NONE) { /* the old value's sds freed, then the new one made */
        ho_blocks *b = &h->b[i];
        size_t u;
        om_blk_free(e, slot, b->val, om_key_sds_size(h->f[i].vlen), b->val_usable);
        h->f[i].vlen = (uint32_t)vlen;
        b->val = om_blk_alloc(e, slot, om_key_sds_size(vlen), om_fill(e, slot), &u, err);
        b->val_usable = (uint32_t)u;
        return b->val == NULL ? -1 : 0;
    }
    if ((i = ho_add(h, field, flen, (uint32_t)vlen)) == HO_NONE)
        return fs_errf(err, "out of engine memory for a hash's fields");
    if (omh_field_blocks(e, slot, h, i, err) != 0) return -1;
    om_dict_step(e, slot, &h->ht); /* dictAddRaw */
    if (om_dict_add(e, slot, &h->ht, err) != 0) return -1;
    return omh_entry(e, slot, &h->b[i], err);
}

int omh_hdel(engine *e, uint32_t slot, hashobj *h, uint32_t i, fs_err *err) {
    if (!is_redis(e)) {
        om_blk_free(e, slot, h->b[i].val, h->f[i].vlen, h->b[i].val_usable);
        ho_remove(h, i);
        return 0;
    }
    if (h->enc == HO_LISTPACK) { /* lpDeleteRangeWithEntry, then lpShrinkToFit */
        uint64_t bytes = h->lp_bytes - field_entries(h, i);
        ho_remove(h, i);
        return omh_lp_resize(e, slot, h, bytes, err);
    }
    om_dict_step(e, slot, &h->ht); /* dictDelete */
    ht_field_free(e, slot, h, i);
    h->ht.used--;
    ho_remove(h, i);
    /* htNeedsResize, then dictResize (which a running rehash refuses). */
    return om_dict_shrink_if_sparse(e, slot, &h->ht, err);
}

void omh_free(engine *e, uint32_t slot, hashobj *h) {
    if (h->type == HO_TYPE_ZSET) omz_free(e, slot, h); /* its nodes, zset and skiplist */
    if (h->type == HO_TYPE_LIST) oml_free(e, slot, h); /* its quicklist; the robj below */
    for (uint32_t i = 0; h->b != NULL && i < h->nfields; i++) {
        if (!is_redis(e)) om_blk_free(e, slot, h->b[i].val, h->f[i].vlen, h->b[i].val_usable);
        else ht_field_free(e, slot, h, i);
        h->b[i].val = NULL;
    }
    if (!is_redis(e)) return;
    om_dict_free(e, slot, &h->ht);
    om_blk_free(e, slot, h->dict, OM_DICT_STRUCT_SIZE, h->dict_usable);
    om_blk_free(e, slot, h->lp, h->lp_asked, h->lp_usable);
    om_blk_free(e, slot, h->robj, OM_ROBJ_SIZE, h->robj_usable);
    h->dict = h->lp = h->robj = NULL;
}
