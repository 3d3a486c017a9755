/* The redis object model (objmodel.h): Redis 7.0's sds, robj and dict
 * allocations, replayed on the allocator under test. */
#include "objmodel.h"

#include <string.h>

#include "base/emem.h"
#include "engine.h"

const char *om_kind_name(om_kind k) { return k == OM_REDIS ? "redis" : "raw"; }

int om_kind_parse(const char *name, om_kind *k, fs_err *err) {
    if (strcmp(name, "raw") == 0) *k = OM_RAW;
    else if (strcmp(name, "redis") == 0) *k = OM_REDIS;
    else return fs_errf(err, "--object-model '%s': expected raw or redis", name);
    return 0;
}

/* sdsReqType: the smallest header whose length field holds len. */
static uint64_t sds_hdr(uint64_t len) {
    if (len < 32) return 1;
    if (len < 256) return 3;
    if (len < 65536) return 5;
    if (len < ((uint64_t)1 << 32)) return 9;
    return 17;
}

uint64_t om_sds_size(uint64_t len) { return sds_hdr(len) + len + 1; }

uint64_t om_key_sds_size(uint32_t keylen) {
    /* sdsnewlen turns an empty SDS_TYPE_5 into SDS_TYPE_8: type 5 cannot
     * grow, and an empty string is usually created to be appended to. */
    return keylen == 0 ? 3 + 1 : om_sds_size(keylen);
}

void om_value_sizes(uint64_t len, uint64_t *robj, uint64_t *body) {
    if (len <= OM_EMBSTR_MAX) {
        *robj = 0;
        *body = OM_ROBJ_SIZE + 3 + len + 1; /* robj + sdshdr8 + bytes + NUL */
    } else {
        *robj = OM_ROBJ_SIZE;
        *body = om_sds_size(len);
    }
}

void om_init(objmodel *m, om_kind kind) {
    memset(m, 0, sizeof *m);
    m->kind = kind;
}

/* A block of the model for the key in slot (KS_NONE: a table): allocated
 * in the key's heap, written in full (DESIGN.md decision 3) and counted, as
 * zmalloc counts it. */
void *om_blk_alloc(engine *e, uint32_t slot, uint64_t size, int fill, size_t *usable,
                   fs_err *err) {
    void *p = engine_block_alloc(e, slot, size, usable);
    if (p == NULL) {
        fs_errf(err, "the allocator refused %llu bytes (out of memory)", (unsigned long long)size);
        return NULL;
    }
    memset(p, fill, size);
    return p;
}

void om_blk_free(engine *e, uint32_t slot, void *p, uint64_t size, size_t usable) {
    if (p != NULL) engine_block_free(e, slot, p, size, usable);
}

int om_string2ll(const char *s, uint64_t len, int64_t *out) {
    if (len == 0 || len >= 21) return 0;
    if (len == 1 && s[0] == '0') {
        *out = 0;
        return 1;
    }
    uint64_t i = 0, v;
    int neg = s[0] == '-';
    if (neg && ++i == len) return 0;
    if (s[i] < '1' || s[i] > '9') return 0;
    v = (uint64_t)(s[i++] - '0');
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return 0;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1) return 0;
        *out = (int64_t)(0 - v);
    } else {
        if (v > (uint64_t)INT64_MAX) return 0;
        *out = (int64_t)v;
    }
    return 1;
}

uint64_t om_dict_next_size(uint64_t n) {
    uint64_t s = OM_DICT_MIN_SIZE;
    while (s < n) s <<= 1;
    return s;
}

static uint64_t next_pow2(uint64_t n) { return om_dict_next_size(n); }

uint64_t om_dict_rehash_steps(uint64_t size, uint64_t used) {
    /* 1 - e^-x by its series to the fourth term, enough for x <= 1. */
    double x = size ? (double)used / (double)size : 0;
    double filled = x - x * x / 2 + x * x * x / 6 - x * x * x * x / 24;
    uint64_t n = (uint64_t)(filled * (double)size + 0.5);
    return n ? n : 1;
}

uint64_t om_rehashing_bytes(const objmodel *om) {
    return ((om->main.old ? om->main.old_size : 0) + (om->expires.old ? om->expires.old_size : 0)) *
           8;
}

static void rehash_done(engine *e, uint32_t slot, om_dict *d) {
    om_blk_free(e, slot, d->old, d->old_size * 8, d->old_usable);
    d->old = NULL;
    d->old_size = d->old_usable = d->rehash_left = 0;
}

/* dictExpand: a new bucket array (zcalloc: written, as zeros); the old one
 * stays until the incremental rehash has moved every entry.  Redis rehashes
 * a bucket per dict operation (visiting at most 10 empty ones), so `old
 * size` operations always finish it; the cron usually does first. */
int om_dict_resize(engine *e, uint32_t slot, om_dict *d, uint64_t size, fs_err *err) {
    size_t usable;
    void *t = om_blk_alloc(e, slot, size * 8, 0, &usable, err);
    if (t == NULL) return -1;
    if (d->table != NULL) {
        d->old = d->table;
        d->old_size = d->size;
        d->old_usable = d->table_usable;
        d->rehash_left = d->size;
        /* A dict that is not a keyspace's moves a bucket per operation
         * only: about the buckets its entries fill (1 - e^-load), at least
         * one. */
        if (slot != KS_NONE) d->rehash_left = om_dict_rehash_steps(d->size, d->used);
    }
    d->table = t;
    d->size = size;
    d->table_usable = usable;
    return 0;
}

/* _dictExpandIfNeeded, before an add: the first table has 4 buckets; a
 * full one (used >= size) grows to the power of two above used; never
 * while a rehash runs. */
int om_dict_add(engine *e, uint32_t slot, om_dict *d, fs_err *err) {
    if (d->old == NULL) {
        if (d->table == NULL) {
            if (om_dict_resize(e, slot, d, OM_DICT_MIN_SIZE, err) != 0) return -1;
        } else if (d->used >= d->size &&
                   om_dict_resize(e, slot, d, next_pow2(d->used + 1), err) != 0) {
            return -1;
        }
    }
    d->used++;
    return 0;
}

void om_dict_step(engine *e, uint32_t slot, om_dict *d) {
    if (d->old != NULL && --d->rehash_left == 0) rehash_done(e, slot, d);
}

static int dict_add(engine *e, om_dict *d, fs_err *err) { return om_dict_add(e, KS_NONE, d, err); }
static void dict_step(engine *e, om_dict *d) { om_dict_step(e, KS_NONE, d); }

static om_key *key_of(engine *e, uint32_t slot) { return &e->om.keys[slot]; }

/* The array beside the slot array grows with it. */
static int keys_reserve(engine *e, uint32_t slot, fs_err *err) {
    if (slot < e->om.cap) return 0;
    uint32_t cap = e->om.cap ? e->om.cap : 1024;
    while (cap <= slot) cap *= 2;
    void *p = e->om.keys == NULL ? emem_map((size_t)cap * sizeof(om_key))
                                 : emem_remap(e->om.keys, (size_t)e->om.cap * sizeof(om_key),
                                              (size_t)cap * sizeof(om_key));
    if (p == NULL) return fs_errf(err, "out of engine memory for %u keys", cap);
    e->om.keys = p;
    e->om.cap = cap;
    return 0;
}

int om_fill(const engine *e, uint32_t slot) { return (int)ks_get(&e->ks, slot)->fill; }

int om_key_new(engine *e, uint32_t slot, fs_err *err) {
    if (keys_reserve(e, slot, err) != 0) return -1;
    memset(key_of(e, slot), 0, sizeof(om_key));
    return 0;
}

int om_set_value(engine *e, uint32_t slot, uint64_t len, int is_new, fs_err *err) {
    if (keys_reserve(e, slot, err) != 0) return -1;
    om_key *k = key_of(e, slot);
    if (is_new) memset(k, 0, sizeof *k);
    uint64_t robj_size, body_size;
    om_value_sizes(len, &robj_size, &body_size);
    int fill = om_fill(e, slot);
    size_t robj_usable = 0, body_usable = 0;
    void *robj = NULL, *body;
    if (robj_size && (robj = om_blk_alloc(e, slot, robj_size, fill, &robj_usable, err)) == NULL)
        return -1;
    if ((body = om_blk_alloc(e, slot, body_size, fill, &body_usable, err)) == NULL) {
        om_blk_free(e, slot, robj, robj_size, robj_usable);
        return -1;
    }
    ks_entry *ent = ks_get(&e->ks, slot);
    if (!is_new) { /* dbOverwrite: the old value goes once the new is in */
        uint64_t old_robj, old_body;
        om_value_sizes(ent->requested, &old_robj, &old_body);
        om_blk_free(e, slot, ent->block, old_body, ent->usable);
        om_blk_free(e, slot, k->robj, old_robj, k->robj_usable);
    }
    ent->block = body;
    ent->requested = len;
    ent->usable = body_usable;
    k->robj = robj;
    k->robj_usable = (uint32_t)robj_usable;
    if (!is_new) return 0;
    return om_db_add(e, slot, err);
}

int om_db_add(engine *e, uint32_t slot, fs_err *err) {
    /* dbAdd: sdsdup(key), then dictAddRaw (table growth, then the entry). */
    if (keys_reserve(e, slot, err) != 0) return -1;
    om_key *k = key_of(e, slot);
    int fill = om_fill(e, slot);
    size_t u;
    k->key_sds = om_blk_alloc(e, slot, om_key_sds_size(ks_get(&e->ks, slot)->keylen), fill, &u, err);
    if (k->key_sds == NULL) return -1;
    k->sds_usable = (uint32_t)u;
    if (dict_add(e, &e->om.main, err) != 0) {
        e->om.main.used++; /* om_key_free takes it back with the entry's slot */
        return -1;
    }
    if ((k->de = om_blk_alloc(e, slot, OM_DICT_ENTRY_SIZE, fill, &u, err)) == NULL) return -1;
    k->de_usable = (uint32_t)u;
    dict_step(e, &e->om.main);
    return 0;
}

void om_key_free(engine *e, uint32_t slot) {
    if (slot >= e->om.cap) return;
    om_key *k = key_of(e, slot);
    ks_entry *ent = ks_get(&e->ks, slot);
    if (k->exp_de != NULL) {
        om_blk_free(e, slot, k->exp_de, OM_DICT_ENTRY_SIZE, k->exp_usable);
        e->om.expires.used--;
        dict_step(e, &e->om.expires);
    }
    uint64_t robj_size, body_size;
    om_value_sizes(ent->requested, &robj_size, &body_size);
    om_blk_free(e, slot, ent->block, body_size, ent->usable);
    om_blk_free(e, slot, k->robj, robj_size, k->robj_usable);
    if (k->key_sds != NULL) {
        om_blk_free(e, slot, k->key_sds, om_key_sds_size(ent->keylen), k->sds_usable);
        om_blk_free(e, slot, k->de, OM_DICT_ENTRY_SIZE, k->de_usable);
        e->om.main.used--;
        dict_step(e, &e->om.main);
    }
    ent->block = NULL;
    ent->requested = ent->usable = 0;
    memset(k, 0, sizeof *k);
}

int om_key_blocks(engine *e, uint32_t slot, om_block out[OM_KEY_MAX_BLOCKS]) {
    if (slot >= e->om.cap) return 0;
    om_key *k = key_of(e, slot);
    ks_entry *ent = ks_get(&e->ks, slot);
    uint64_t robj_size, body_size;
    om_value_sizes(ent->requested, &robj_size, &body_size);
    const om_block all[OM_KEY_MAX_BLOCKS] = {
        {&k->key_sds, om_key_sds_size(ent->keylen), k->sds_usable},
        {&k->de, OM_DICT_ENTRY_SIZE, k->de_usable},
        {&k->robj, robj_size, k->robj_usable},
        {&ent->block, body_size, ent->usable},
        {&k->exp_de, OM_DICT_ENTRY_SIZE, k->exp_usable},
    };
    int n = 0;
    for (int i = 0; i < OM_KEY_MAX_BLOCKS; i++)
        if (*all[i].p != NULL) out[n++] = all[i];
    return n;
}

int om_ttl_changed(engine *e, uint32_t slot, int has_ttl, fs_err *err) {
    om_key *k = key_of(e, slot);
    om_dict *d = &e->om.expires;
    if (has_ttl && k->exp_de == NULL) {
        size_t u;
        if (dict_add(e, d, err) != 0) return -1;
        k->exp_de = om_blk_alloc(e, slot, OM_DICT_ENTRY_SIZE, om_fill(e, slot), &u, err);
        if (k->exp_de == NULL) {
            d->used--;
            return -1;
        }
        k->exp_usable = (uint32_t)u;
        dict_step(e, d);
    } else if (!has_ttl && k->exp_de != NULL) {
        om_blk_free(e, slot, k->exp_de, OM_DICT_ENTRY_SIZE, k->exp_usable);
        k->exp_de = NULL;
        k->exp_usable = 0;
        d->used--;
        dict_step(e, d);
    }
    return 0;
}

void om_lookups(engine *e) {
    dict_step(e, &e->om.main);
    if (e->om.expires.used > 0) dict_step(e, &e->om.expires);
}

int om_dict_shrink_if_sparse(engine *e, uint32_t slot, om_dict *d, fs_err *err) {
    if (d->old == NULL && d->size > OM_DICT_MIN_SIZE && d->used * 100 / d->size < 10) {
        uint64_t size = next_pow2(d->used);
        if (size != d->size) return om_dict_resize(e, slot, d, size, err);
    }
    return 0;
}

/* The cron's resize (htNeedsResize + dictResize), then the rest of any
 * rehash. */
static int dict_cron(engine *e, om_dict *d, fs_err *err) {
    if (om_dict_shrink_if_sparse(e, KS_NONE, d, err) != 0) return -1;
    if (d->old != NULL) rehash_done(e, KS_NONE, d);
    return 0;
}

int om_tick(engine *e, fs_err *err) {
    if (dict_cron(e, &e->om.main, err) != 0) return -1;
    return dict_cron(e, &e->om.expires, err);
}

void om_dict_free(engine *e, uint32_t slot, om_dict *d) {
    if (d->old != NULL) rehash_done(e, slot, d);
    om_blk_free(e, slot, d->table, d->size * 8, d->table_usable);
    memset(d, 0, sizeof *d);
}

static void dict_free(engine *e, om_dict *d) { om_dict_free(e, KS_NONE, d); }

void om_destroy(engine *e) {
    dict_free(e, &e->om.main);
    dict_free(e, &e->om.expires);
    if (e->om.keys != NULL) emem_unmap(e->om.keys, (size_t)e->om.cap * sizeof(om_key));
    e->om.keys = NULL;
    e->om.cap = 0;
}
