/* A list key's blocks, raw and as Redis 7.0 makes them (objmodel_list.h). */
#include "objmodel_list.h"

#include <string.h>

#include "engine.h"
#include "objmodel_hash.h"

#define LP_EMPTY 7               /* lpNew(0): the 6-byte header and the end byte */
#define SIZE_SAFETY_LIMIT 8192   /* quicklist.c: a count-limited node's bytes */
#define SIZE_ESTIMATE_OVERHEAD 8 /* quicklist.c: an entry's overhead, over-estimated */
#define FILL_MIN (-5)            /* quicklistSetFill's clamp (and FILL_MAX's) */
#define FILL_MAX ((1 << 15) - 1)

static int is_redis(const engine *e) { return e->om.kind == OM_REDIS; }

uint64_t oml_len(const hashobj *h) { return h->list != NULL ? h->list->el_len : 0; }

static ho_elem *elem(ho_list *l, uint64_t i) { return &l->el[l->el_start + i]; }
static ho_qnode *qnode(ho_list *l, uint32_t i) { return &l->qn[l->qn_start + i]; }

static uint64_t entry_size(const ho_elem *x) { return omh_lp_entry_size(NULL, x->len); }

/* _quicklistNodeAllowInsert as 7.0.15 codes it (no plain nodes). */
static int allow_insert(const engine *e, const ho_qnode *n, uint64_t len) {
    static const uint64_t optimization_level[] = {4096, 8192, 16384, 32768, 65536};
    int fill = e->cfg.list_max_listpack_size;
    fill = fill < FILL_MIN ? FILL_MIN : fill > FILL_MAX ? FILL_MAX : fill;
    uint64_t new_sz = n->lp_bytes + len + SIZE_ESTIMATE_OVERHEAD;
    if (fill < 0 && new_sz <= optimization_level[-fill - 1]) return 1;
    if (new_sz > SIZE_SAFETY_LIMIT) return 0;
    return (int)n->count < fill;
}

static int lp_resize(engine *e, uint32_t slot, ho_qnode *n, uint64_t bytes, fs_err *err) {
    return omh_lp_resize_at(e, slot, &n->lp, &n->lp_bytes, &n->lp_asked, &n->lp_usable, bytes,
                            err);
}

/* quicklistCreateNode, then lpNew(0): a node at the head or tail. */
static ho_qnode *node_new(engine *e, uint32_t slot, ho_list *l, int head, fs_err *err) {
    if (ho_list_reserve(l, 0, head) != 0) {
        fs_errf(err, "out of engine memory for a list's nodes");
        return NULL;
    }
    ho_qnode *n = head ? &l->qn[--l->qn_start] : &l->qn[l->qn_start + l->qn_len];
    l->qn_len++;
    *n = (ho_qnode){0};
    size_t u;
    int fill = om_fill(e, slot);
    if ((n->node = om_blk_alloc(e, slot, OML_NODE_SIZE, fill, &u, err)) == NULL) return NULL;
    n->node_usable = (uint32_t)u;
    if ((n->lp = om_blk_alloc(e, slot, LP_EMPTY, fill, &u, err)) == NULL) return NULL;
    n->lp_bytes = n->lp_asked = LP_EMPTY;
    n->lp_usable = u;
    return n;
}

/* __quicklistDelNode: the listpack, then the node; node i leaves the
 * array (the ones after it move up: a range at the tail holds few). */
static void node_free(engine *e, uint32_t slot, ho_list *l, uint32_t i) {
    ho_qnode *n = qnode(l, i);
    om_blk_free(e, slot, n->lp, n->lp_asked, n->lp_usable);
    om_blk_free(e, slot, n->node, OML_NODE_SIZE, n->node_usable);
    if (i == 0) l->qn_start++;
    else memmove(n, n + 1, (size_t)(l->qn_len - i - 1) * sizeof *n);
    l->qn_len--;
}

static int create(engine *e, uint32_t slot, hashobj *h, fs_err *err) {
    size_t u;
    int fill = om_fill(e, slot);
    if (om_key_new(e, slot, err) != 0) return -1;
    h->enc = HO_QUICKLIST;
    if ((h->list->ql = om_blk_alloc(e, slot, OML_QUICKLIST_SIZE, fill, &u, err)) == NULL)
        return -1;
    h->list->ql_usable = (uint32_t)u;
    if ((h->robj = om_blk_alloc(e, slot, OM_ROBJ_SIZE, fill, &u, err)) == NULL) return -1;
    h->robj_usable = (uint32_t)u;
    return om_db_add(e, slot, err);
}

int oml_push(engine *e, uint32_t slot, hashobj *h, int is_new_key, int head, uint64_t len,
             fs_err *err) {
    ho_list *l = ho_list_of(h);
    if (l == NULL || ho_list_reserve(l, 1, head) != 0)
        return fs_errf(err, "out of engine memory for a list's elements");
    ho_elem x = {NULL, (uint32_t)len, 0};
    if (!is_redis(e)) {
        size_t u = 0;
        if (len > 0 && (x.blk = om_blk_alloc(e, slot, len, om_fill(e, slot), &u, err)) == NULL)
            return -1;
        x.usable = (uint32_t)u;
    } else {
        if (is_new_key && create(e, slot, h, err) != 0) return -1;
        ho_qnode *n = l->qn_len == 0 ? NULL : qnode(l, head ? 0 : l->qn_len - 1);
        if ((n == NULL || !allow_insert(e, n, len)) && (n = node_new(e, slot, l, head, err)) == NULL)
            return -1;
        if (lp_resize(e, slot, n, n->lp_bytes + entry_size(&x), err) != 0) return -1;
        n->count++;
    }
    *(head ? &l->el[--l->el_start] : &l->el[l->el_start + l->el_len]) = x;
    l->el_len++;
    return 0;
}

/* The raw model's element i freed. */
static void raw_free(engine *e, uint32_t slot, ho_list *l, uint64_t i) {
    ho_elem *x = elem(l, i);
    om_blk_free(e, slot, x->blk, x->len, x->usable);
    x->blk = NULL;
}

int oml_pop(engine *e, uint32_t slot, hashobj *h, int head, fs_err *err) {
    ho_list *l = h->list;
    uint64_t i = head ? 0 : l->el_len - 1;
    if (!is_redis(e)) {
        raw_free(e, slot, l, i);
    } else { /* quicklistDelIndex: lpDelete, then the node when emptied */
        uint32_t ni = head ? 0 : l->qn_len - 1;
        ho_qnode *n = qnode(l, ni);
        if (lp_resize(e, slot, n, n->lp_bytes - entry_size(elem(l, i)), err) != 0) return -1;
        if (--n->count == 0) node_free(e, slot, l, ni);
    }
    if (head) l->el_start++;
    l->el_len--;
    return 0;
}

/* quicklistDelRange in the redis model: `extent` elements from index
 * `from`, a range at the head (LTRIM's first call, from 0) or at the tail
 * (its second, whose first node the iterator reaches with a negative
 * offset: never deleted whole without lpDeleteRange).  The elements stay
 * in l->el (the caller drops them). */
static int del_range(engine *e, uint32_t slot, ho_list *l, uint64_t from, uint64_t extent,
                     int tail, fs_err *err) {
    uint32_t ni = 0;
    uint64_t first = 0; /* the index of node ni's first element */
    while (first + qnode(l, ni)->count <= from) first += qnode(l, ni++)->count;
    uint64_t offset = from - first;
    while (extent > 0) {
        ho_qnode *n = qnode(l, ni);
        uint64_t cnt = n->count;
        uint64_t del = cnt - offset < extent ? cnt - offset : extent;
        if (!tail && offset == 0 && extent >= cnt) {
            node_free(e, slot, l, ni); /* the whole node, its listpack untouched */
        } else { /* lpDeleteRange, lpShrinkToFit, then quicklistDeleteIfEmpty */
            uint64_t bytes = n->lp_bytes;
            for (uint64_t k = 0; k < del; k++) bytes -= entry_size(elem(l, first + offset + k));
            if (lp_resize(e, slot, n, bytes, err) != 0) return -1;
            n->count -= (uint32_t)del;
            if (n->count == 0) node_free(e, slot, l, ni);
            else ni++;
        }
        first += cnt;
        extent -= del;
        offset = 0;
        tail = 0;
    }
    return 0;
}

int oml_trim(engine *e, uint32_t slot, hashobj *h, int64_t start, int64_t stop, fs_err *err) {
    ho_list *l = h->list;
    int64_t llen = (int64_t)l->el_len, ltrim, rtrim;
    /* ltrimCommand's arithmetic. */
    if (start < 0) start = llen + start;
    if (stop < 0) stop = llen + stop;
    if (start < 0) start = 0;
    if (start > stop || start >= llen) {
        ltrim = llen;
        rtrim = 0;
    } else {
        if (stop >= llen) stop = llen - 1;
        ltrim = start;
        rtrim = llen - stop - 1;
    }
    if (!is_redis(e)) {
        for (int64_t i = 0; i < ltrim; i++) raw_free(e, slot, l, (uint64_t)i);
        for (int64_t i = llen - rtrim; i < llen; i++) raw_free(e, slot, l, (uint64_t)i);
    } else {
        if (ltrim > 0 && del_range(e, slot, l, 0, (uint64_t)ltrim, 0, err) != 0) return -1;
        l->el_start += (uint32_t)ltrim;
        l->el_len -= (uint32_t)ltrim;
        if (rtrim > 0 &&
            del_range(e, slot, l, l->el_len - (uint64_t)rtrim, (uint64_t)rtrim, 1, err) != 0)
            return -1;
        l->el_len -= (uint32_t)rtrim;
        return 0;
    }
    l->el_start += (uint32_t)ltrim;
    l->el_len -= (uint32_t)(ltrim + rtrim);
    return 0;
}

uint64_t oml_value_bytes(const hashobj *h) {
    const ho_list *l = h->list;
    uint64_t b = h->robj_usable;
    if (l == NULL) return b;
    b += l->ql_usable;
    for (uint32_t i = 0; i < l->qn_len; i++)
        b += l->qn[l->qn_start + i].node_usable + l->qn[l->qn_start + i].lp_usable;
    return b;
}

void oml_free(engine *e, uint32_t slot, hashobj *h) {
    ho_list *l = h->list;
    if (l == NULL) return;
    if (!is_redis(e)) {
        for (uint64_t i = 0; i < l->el_len; i++) raw_free(e, slot, l, i);
        return;
    }
    /* quicklistRelease: each node's listpack and node, head to tail, then
     * the quicklist. */
    while (l->qn_len > 0) node_free(e, slot, l, 0);
    om_blk_free(e, slot, l->ql, OML_QUICKLIST_SIZE, l->ql_usable);
    l->ql = NULL;
    l->el_len = 0;
}
