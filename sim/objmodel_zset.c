/* A sorted set key's blocks, raw and as Redis 7.0 makes them
 * (objmodel_zset.h). */
#include "objmodel_zset.h"

#include <string.h>

#include "base/emem.h"
#include "engine.h"
#include "objmodel_hash.h"

static int is_redis(const engine *e) { return e->om.kind == OM_REDIS; }

int omz_random_level(engine *e) {
    int level = 1;
    while (level < OMZ_MAX_LEVEL && rng_double(&e->zsl_rng) < 0.25) level++;
    return level;
}

uint64_t omz_score_entry_size(double score) {
    char buf[TRACE_SCORE_BUF];
    int n = trace_score_format(buf, score);
    return omh_lp_entry_size(buf, (uint64_t)n);
}

static uint64_t node_size(uint32_t level) { return OMZ_NODE_SIZE + (uint64_t)level * OMZ_LEVEL_SIZE; }

static uint64_t member_entries(const hashobj *h, uint32_t i) {
    return omh_lp_entry_size(ho_name(h, i), h->f[i].len) + omz_score_entry_size(h->score[i]);
}

/* A block into *p and *usable; returns 0 or -1. */
static int blk(engine *e, uint32_t slot, uint64_t size, void **p, uint32_t *usable, fs_err *err) {
    size_t u;
    if ((*p = om_blk_alloc(e, slot, size, om_fill(e, slot), &u, err)) == NULL) return -1;
    *usable = (uint32_t)u;
    return 0;
}

/* zslCreateNode for member i at a fresh level (into b.val, the level in
 * vlen).  Returns 0 or -1. */
static int new_node(engine *e, uint32_t slot, hashobj *h, uint32_t i, fs_err *err) {
    uint32_t level = (uint32_t)omz_random_level(e);
    h->f[i].vlen = level;
    return blk(e, slot, node_size(level), &h->b[i].val, &h->b[i].val_usable, err);
}

static void free_node(engine *e, uint32_t slot, hashobj *h, uint32_t i) {
    om_blk_free(e, slot, h->b[i].val, node_size(h->f[i].vlen), h->b[i].val_usable);
    h->b[i].val = NULL;
}

/* zsetAdd's skiplist insert of member i (its score set): the sds, the
 * node, then dictAdd (its rehash step, the growth, the entry). */
static int sl_insert(engine *e, uint32_t slot, hashobj *h, uint32_t i, fs_err *err) {
    ho_blocks *b = &h->b[i];
    if (blk(e, slot, om_key_sds_size(h->f[i].len), &b->fsds, &b->fsds_usable, err) != 0 ||
        new_node(e, slot, h, i, err) != 0)
        return -1;
    om_dict_step(e, slot, &h->ht);
    if (om_dict_add(e, slot, &h->ht, err) != 0) return -1;
    size_t u;
    if ((b->de = om_blk_alloc(e, slot, OM_DICT_ENTRY_SIZE, om_fill(e, slot), &u, err)) == NULL)
        return -1;
    b->de_usable = (uint32_t)u;
    return 0;
}

/* createZsetObject's and zsetConvert's first blocks: the zset struct, its
 * dict, the zskiplist and its header node.  Returns 0 or -1. */
static int sl_create(engine *e, uint32_t slot, hashobj *h, fs_err *err) {
    if (h->zsl == NULL && (h->zsl = emem_alloc(sizeof *h->zsl)) == NULL)
        return fs_errf(err, "out of engine memory for a sorted set");
    memset(h->zsl, 0, sizeof *h->zsl);
    ho_zsl *z = h->zsl;
    h->enc = HO_SKIPLIST;
    if (ho_use_blocks(h) != 0) return fs_errf(err, "out of engine memory for a sorted set");
    if (blk(e, slot, OMZ_ZSET_SIZE, &z->zs, &z->zs_usable, err) != 0 ||
        blk(e, slot, OM_DICT_STRUCT_SIZE, &h->dict, &h->dict_usable, err) != 0 ||
        blk(e, slot, OMZ_ZSKIPLIST_SIZE, &z->zsl, &z->zsl_usable, err) != 0)
        return -1;
    return blk(e, slot, node_size(OMZ_MAX_LEVEL), &z->header, &z->header_usable, err);
}

/* Is (s1, m1) before (s2, m2) in a sorted set's order: by score, then by
 * member bytes (sdscmp)? */
static int before(double s1, const char *m1, uint32_t l1, double s2, const char *m2, uint32_t l2) {
    if (s1 != s2) return s1 < s2;
    int c = memcmp(m1, m2, l1 < l2 ? l1 : l2);
    return c != 0 ? c < 0 : l1 < l2;
}

static int member_before(const hashobj *h, uint32_t a, uint32_t b) {
    return before(h->score[a], ho_name(h, a), h->f[a].len, h->score[b], ho_name(h, b),
                  h->f[b].len);
}

/* zsetConvert to a skiplist: every member's blocks in the listpack's
 * order (by score, then member: where each lands in the allocator's slabs
 * follows it), then the listpack freed.  An insertion sort of the
 * indexes: quadratic, but of zset-max-listpack-entries (128) members.
 * Returns 0 or -1. */
static int convert(engine *e, uint32_t slot, hashobj *h, fs_err *err) {
    uint32_t n = h->nfields;
    size_t bytes = (size_t)n * sizeof(uint32_t);
    uint32_t *order = n == 0 ? NULL : bytes <= EMEM_SMALL_MAX ? emem_alloc(bytes) : emem_map(bytes);
    if (n > 0 && order == NULL) return fs_errf(err, "out of engine memory for a sorted set");
    for (uint32_t i = 0; i < n; i++) {
        uint32_t j = i;
        for (; j > 0 && member_before(h, i, order[j - 1]); j--) order[j] = order[j - 1];
        order[j] = i;
    }
    int rc = sl_create(e, slot, h, err);
    for (uint32_t k = 0; rc == 0 && k < n; k++) rc = sl_insert(e, slot, h, order[k], err);
    if (order != NULL && bytes <= EMEM_SMALL_MAX) emem_free(order, bytes);
    else if (order != NULL) emem_unmap(order, bytes);
    if (rc != 0) return -1;
    om_blk_free(e, slot, h->lp, h->lp_asked, h->lp_usable);
    h->lp = NULL;
    h->lp_bytes = h->lp_asked = h->lp_usable = 0;
    e->c.zset_conversions++;
    return 0;
}

/* A new key made a skiplist at once (createZsetObject), then its robj and
 * dbAdd.  Returns 0 or -1. */
static int create_skiplist(engine *e, uint32_t slot, hashobj *h, fs_err *err) {
    if (om_key_new(e, slot, err) != 0 || sl_create(e, slot, h, err) != 0) return -1;
    size_t u;
    if ((h->robj = om_blk_alloc(e, slot, OM_ROBJ_SIZE, om_fill(e, slot), &u, err)) == NULL)
        return -1;
    h->robj_usable = (uint32_t)u;
    return om_db_add(e, slot, err);
}

/* zslUpdateScore's test: does member i stay between its neighbours with
 * score `to` (the backward one's score below it, the forward one's
 * above)?  A scan of the members: the engine keeps no order. */
static int stays_in_place(const hashobj *h, uint32_t i, double to) {
    const char *m = ho_name(h, i);
    uint32_t len = h->f[i].len;
    double from = h->score[i];
    int have_prev = 0, have_next = 0;
    uint32_t prev = 0, next = 0;
    for (uint32_t j = 0; j < h->nfields; j++) {
        if (j == i) continue;
        const char *mj = ho_name(h, j);
        uint32_t lj = h->f[j].len;
        if (before(h->score[j], mj, lj, from, m, len)) {
            if (!have_prev || before(h->score[prev], ho_name(h, prev), h->f[prev].len,
                                     h->score[j], mj, lj))
                prev = j, have_prev = 1;
        } else if (!have_next || before(h->score[j], mj, lj, h->score[next],
                                        ho_name(h, next), h->f[next].len)) {
            next = j, have_next = 1;
        }
    }
    return (!have_prev || h->score[prev] < to) && (!have_next || h->score[next] > to);
}

static int zadd_listpack(engine *e, uint32_t slot, hashobj *h, uint32_t i, const char *member,
                         uint32_t len, double score, fs_err *err) {
    if (i != HO_NONE) { /* zzlDelete, then zzlInsert */
        if (h->score[i] == score) return 0;
        uint64_t member_entry = omh_lp_entry_size(member, len);
        if (omh_lp_resize(e, slot, h, h->lp_bytes - member_entries(h, i), err) != 0) return -1;
        h->score[i] = score;
        return omh_lp_resize(e, slot, h, h->lp_bytes + member_entry, err) != 0 ||
                       omh_lp_resize(e, slot, h, h->lp_bytes + omz_score_entry_size(score),
                                     err) != 0
                   ? -1
                   : 0;
    }
    if ((i = ho_add(h, member, len, 0)) == HO_NONE)
        return fs_errf(err, "out of engine memory for a sorted set's members");
    h->score[i] = score;
    /* zzlInsertAt: the member's entry, then the score's. */
    if (omh_lp_resize(e, slot, h, h->lp_bytes + omh_lp_entry_size(member, len), err) != 0)
        return -1;
    return omh_lp_resize(e, slot, h, h->lp_bytes + omz_score_entry_size(score), err);
}

int omz_zadd(engine *e, uint32_t slot, hashobj *h, int is_new_key, const char *member,
             uint32_t len, double score, fs_err *err) {
    uint32_t i = ho_find(h, member, len);
    if (!is_redis(e)) { /* the member's bytes as a value; the score kept */
        if (i == HO_NONE && omh_hset(e, slot, h, is_new_key, member, len, len, err) != 0)
            return -1;
        h->score[ho_find(h, member, len)] = score;
        return 0;
    }
    if (is_new_key) {
        int skiplist = e->cfg.zset_max_listpack_entries == 0 ||
                       len > e->cfg.zset_max_listpack_value;
        if ((skiplist ? create_skiplist(e, slot, h, err)
                      : omh_create(e, slot, h, HO_LISTPACK, err)) != 0)
            return -1;
    }
    if (h->enc == HO_LISTPACK) {
        /* zsetAdd converts before a member that would not fit. */
        if (i != HO_NONE || (h->nfields + 1 <= e->cfg.zset_max_listpack_entries &&
                             len <= e->cfg.zset_max_listpack_value))
            return zadd_listpack(e, slot, h, i, member, len, score, err);
        if (convert(e, slot, h, err) != 0) return -1;
    }
    om_dict_step(e, slot, &h->ht); /* dictFind */
    if (i != HO_NONE) {
        if (h->score[i] == score) return 0;
        int in_place = stays_in_place(h, i, score);
        h->score[i] = score;
        if (in_place) return 0;
        /* zslInsert's new node first, then zslFreeNode of the old. */
        void *old = h->b[i].val;
        uint32_t old_level = h->f[i].vlen, old_usable = h->b[i].val_usable;
        if (new_node(e, slot, h, i, err) != 0) return -1;
        om_blk_free(e, slot, old, node_size(old_level), old_usable);
        return 0;
    }
    if ((i = ho_add(h, member, len, 0)) == HO_NONE)
        return fs_errf(err, "out of engine memory for a sorted set's members");
    h->score[i] = score;
    return sl_insert(e, slot, h, i, err);
}

int omz_zrem(engine *e, uint32_t slot, hashobj *h, uint32_t i, fs_err *err) {
    if (!is_redis(e)) return i == HO_NONE ? 0 : omh_hdel(e, slot, h, i, err);
    if (h->enc == HO_LISTPACK) {
        if (i == HO_NONE) return 0;
        uint64_t bytes = h->lp_bytes - member_entries(h, i);
        ho_remove(h, i);
        return omh_lp_resize(e, slot, h, bytes, err);
    }
    om_dict_step(e, slot, &h->ht); /* dictUnlink */
    if (i == HO_NONE) return 0;
    ho_blocks *b = &h->b[i];
    om_blk_free(e, slot, b->de, OM_DICT_ENTRY_SIZE, b->de_usable);
    om_blk_free(e, slot, b->fsds, om_key_sds_size(h->f[i].len), b->fsds_usable);
    free_node(e, slot, h, i);
    b->de = b->fsds = NULL;
    h->ht.used--;
    ho_remove(h, i);
    return om_dict_shrink_if_sparse(e, slot, &h->ht, err);
}

void omz_free(engine *e, uint32_t slot, hashobj *h) {
    if (!is_redis(e)) return; /* the raw model's blocks are a hash's */
    for (uint32_t i = 0; h->b != NULL && i < h->nfields; i++)
        if (h->b[i].val != NULL) free_node(e, slot, h, i);
    ho_zsl *z = h->zsl;
    if (z == NULL) return;
    om_blk_free(e, slot, z->header, node_size(OMZ_MAX_LEVEL), z->header_usable);
    om_blk_free(e, slot, z->zsl, OMZ_ZSKIPLIST_SIZE, z->zsl_usable);
    om_blk_free(e, slot, z->zs, OMZ_ZSET_SIZE, z->zs_usable);
    z->header = z->zsl = z->zs = NULL;
}
