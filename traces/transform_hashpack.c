#include "transform_hashpack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_transform.h"

/* Whether the key ends in a number, which starts at *d: 1 to 18 digits (no
 * overflow), no leading zero but "0" itself (user:007 and user:7 are two
 * keys, not one field). */
static int numbered(const char *key, uint32_t n, uint32_t *d) {
    *d = n;
    while (*d > 0 && key[*d - 1] >= '0' && key[*d - 1] <= '9') (*d)--;
    uint32_t nd = n - *d;
    return nd > 0 && nd <= 18 && (key[*d] != '0' || nd == 1);
}

int hashpack_map(uint32_t nfields, const char *key, uint32_t n, uint64_t seq, char *bucket,
                 uint32_t *blen, char *field, uint32_t *flen) {
    uint32_t d;
    if (numbered(key, n, &d)) {
        uint64_t id = 0;
        for (uint32_t i = d; i < n; i++) id = id * 10 + (uint64_t)(key[i] - '0');
        memcpy(bucket, key, d);
        *blen = d + (uint32_t)snprintf(bucket + d, 24, "%llu", (unsigned long long)(id / nfields));
        *flen = (uint32_t)snprintf(field, 24, "%llu", (unsigned long long)(id % nfields));
        return 1;
    }
    *blen = (uint32_t)snprintf(bucket, HASHPACK_NAME_MAX, "hashpack:%llu",
                               (unsigned long long)(seq / nfields));
    return 0;
}

#define LOW32 0xffffffffULL

/* The hash's slot, its state brought to now: a hash whose deadline passed
 * has expired with its fields (Redis's keyIsExpired: now > when). */
static hslot *hash_slot(hashpack *hp, uint64_t bh, int64_t now, fs_err *err) {
    int fresh;
    hslot *s = htab_get(&hp->hashes, bh, &fresh);
    if (s == NULL) {
        fs_errf(err, "hash-pack: out of engine memory for the hash table");
        return NULL;
    }
    if (hp->ttl_bucket && (s->v & (int64_t)LOW32) != 0) {
        int64_t dl = htab_value(&hp->deadlines, bh, 0);
        if (dl != 0 && dl != INT64_MAX && now > dl)
            s->v = (int64_t)(((uint64_t)s->v >> 32) + 1) << 32; /* next generation, empty */
    }
    return s;
}

static int set_deadline(hashpack *hp, uint64_t bh, int64_t dl, fs_err *err) {
    int fresh;
    hslot *s = htab_get(&hp->deadlines, bh, &fresh);
    if (s == NULL) return fs_errf(err, "hash-pack: out of engine memory for the TTL table");
    s->v = dl;
    return 0;
}

/* A field of the hash holds a value from now: its deadline dl (INT64_MAX
 * none) lengthens the hash's if longer, by an EXPIRE or PERSIST queued
 * after the HSET; a new hash starts without one, as HSET makes it. */
static int lengthen(hashpack *hp, const trace_event *ev, uint64_t bh, int was_empty, int64_t dl,
                    fs_err *err) {
    if (!hp->ttl_bucket) return 0;
    int64_t cur = was_empty ? INT64_MAX : htab_value(&hp->deadlines, bh, INT64_MAX);
    if (was_empty && set_deadline(hp, bh, INT64_MAX, err) != 0) return -1;
    if (!was_empty && dl <= cur) return 0;
    if (was_empty && dl == INT64_MAX) return 0;
    if (set_deadline(hp, bh, dl, err) != 0) return -1;
    hp->pending = *ev;
    hp->pending.field = NULL;
    hp->pending.fieldlen = 0;
    hp->pending.size = 0;
    hp->pending.op = dl == INT64_MAX ? TRACE_OP_PERSIST : TRACE_OP_EXPIRE;
    hp->pending.ttl_us = dl == INT64_MAX ? TRACE_TTL_NONE : dl - ev->time_us;
    hp->has_pending = 1;
    return 0;
}

int hashpack_apply(hashpack *hp, trace_event *ev, fs_err *err) {
    trace_op op = ev->op;
    if (ev->key == NULL || !(op == TRACE_OP_SET || op == TRACE_OP_APPEND || op == TRACE_OP_DEL ||
                             op == TRACE_OP_GET || op == TRACE_OP_EXPIRE ||
                             op == TRACE_OP_PERSIST))
        return 1;
    int has_ttl = (op == TRACE_OP_SET && ev->ttl_us != TRACE_TTL_NONE) ||
                  (op == TRACE_OP_EXPIRE && ev->ttl_us > 0);
    if (has_ttl && !hp->ttl_bucket)
        return fs_errf(err, "hash-pack: %s %.*s at %.6f s sets a TTL, and Redis 7.0 has no TTL per "
                       "hash field: give ttl=bucket (--hash-pack N:ttl=bucket; each hash keeps the "
                       "longest TTL of its fields), or a trace without TTLs", trace_op_name(op),
                       (int)(ev->keylen > 64 ? 64 : ev->keylen), ev->key,
                       (double)ev->time_us / TRACE_US_PER_S);
    uint64_t kh = transform_key_hash(ev->key, ev->keylen), seq = 0;
    uint32_t blen, flen;
    int64_t sq = 0;
    int write = op == TRACE_OP_SET || op == TRACE_OP_APPEND;
    uint32_t d;
    if (!numbered(ev->key, ev->keylen, &d)) { /* its sequence number, if it has one */
        sq = htab_value(&hp->seqs, kh, 0);
        if (sq == 0 && !write) return 0; /* never written: nothing to look up or remove */
        if (sq == 0) {
            int fresh;
            hslot *s = htab_get(&hp->seqs, kh, &fresh);
            if (s == NULL) return fs_errf(err, "hash-pack: out of engine memory for the key table");
            s->v = sq = (int64_t)++hp->next_seq;
        }
        seq = (uint64_t)sq - 1;
    }
    const char *field = hp->field;
    if (!hashpack_map(hp->nfields, ev->key, ev->keylen, seq, hp->bucket, &blen, hp->field, &flen)) {
        field = ev->key; /* valid until the inner reader's next read, as ev is */
        flen = ev->keylen;
    }
    uint64_t bh = transform_key_hash(hp->bucket, blen);
    hslot *hs = hash_slot(hp, bh, ev->time_us, err);
    if (hs == NULL) return -1;
    uint64_t gen = (uint64_t)hs->v >> 32, count = (uint64_t)hs->v & LOW32;
    int64_t fv = htab_value(&hp->fields, kh, 0);
    int present = count > 0 && fv != 0 && ((uint64_t)fv >> 32) == gen;
    uint64_t cur = present ? ((uint64_t)fv & LOW32) - 1 : 0;
    ev->key = hp->bucket;
    ev->keylen = blen;
    if (op == TRACE_OP_GET) {
        ev->size = 0;
        return 1;
    }
    if (op == TRACE_OP_PERSIST || op == TRACE_OP_EXPIRE) {
        if (!present) return 0;
        if (op == TRACE_OP_EXPIRE && ev->ttl_us > 0) {
            int64_t dl = ev->time_us + ev->ttl_us;
            if (dl <= htab_value(&hp->deadlines, bh, INT64_MAX)) return 0;
            return set_deadline(hp, bh, dl, err) == 0 ? 1 : -1;
        }
        if (op == TRACE_OP_PERSIST) {
            if (htab_value(&hp->deadlines, bh, INT64_MAX) == INT64_MAX) return 0;
            return set_deadline(hp, bh, INT64_MAX, err) == 0 ? 1 : -1;
        }
        /* EXPIRE 0 deletes, as DEL. */
    }
    if (op == TRACE_OP_DEL || op == TRACE_OP_EXPIRE) {
        if (!present) return 0;
        ev->op = TRACE_OP_HDEL;
        ev->field = field;
        ev->fieldlen = flen;
        ev->ttl_us = TRACE_TTL_NONE;
        htab_find(&hp->fields, kh)->v = 0;
        /* The last field takes the hash, and its TTL, with it. */
        hs->v = count == 1 ? (int64_t)((gen + 1) << 32) : hs->v - 1;
        return 1;
    }
    /* SET, APPEND: an HSET of the field's new value. */
    if ((ev->cond == TRACE_COND_NX && present) || (ev->cond == TRACE_COND_XX && !present)) return 0;
    uint64_t size = op == TRACE_OP_APPEND ? cur + ev->size : ev->size;
    if (size >= LOW32)
        return fs_errf(err, "hash-pack: a value of %llu bytes", (unsigned long long)size);
    int64_t dl = op == TRACE_OP_SET && ev->ttl_us != TRACE_TTL_NONE ? ev->time_us + ev->ttl_us
                                                                    : INT64_MAX;
    ev->op = TRACE_OP_HSET;
    ev->cond = TRACE_COND_NONE;
    ev->field = field;
    ev->fieldlen = flen;
    ev->size = size;
    ev->ttl_us = TRACE_TTL_NONE;
    int fresh;
    hslot *fs = htab_get(&hp->fields, kh, &fresh);
    if (fs == NULL) return fs_errf(err, "hash-pack: out of engine memory for the field table");
    fs->v = (int64_t)((gen << 32) | (size + 1));
    if (!present) hs->v++;
    /* APPEND keeps an existing field's TTL, as it keeps a key's. */
    if (op == TRACE_OP_APPEND && present) return 1;
    return lengthen(hp, ev, bh, count == 0, dl, err) == 0 ? 1 : -1;
}

int hashpack_pending(hashpack *hp, trace_event *ev) {
    if (!hp->has_pending) return 0;
    *ev = hp->pending;
    hp->has_pending = 0;
    return 1;
}

void hashpack_free(hashpack *hp) {
    htab_free(&hp->fields);
    htab_free(&hp->hashes);
    htab_free(&hp->deadlines);
    htab_free(&hp->seqs);
}

int transform_parse_hash_pack(transform_spec *s, const char *arg, fs_err *err) {
    uint64_t n = HASHPACK_DEFAULT_FIELDS;
    const char *ttl = strcmp(arg, "ttl=bucket") == 0 ? arg : strchr(arg, ':');
    char num[32];
    size_t len = ttl ? (size_t)(ttl - arg) : strlen(arg);
    int bad = len >= sizeof num || (ttl && strcmp(ttl + (ttl != arg), "ttl=bucket") != 0);
    if (!bad && len > 0) {
        memcpy(num, arg, len);
        num[len] = '\0';
        char *end;
        n = strtoull(num, &end, 10);
        bad = *end != '\0' || num[0] < '0' || num[0] > '9' || n < 1 || n > HASHPACK_MAX_FIELDS;
    }
    if (bad)
        return fs_errf(err, "--hash-pack '%s': expected N[:ttl=bucket], N the fields a hash holds "
                       "(1 to %d; Redis keeps a hash a listpack up to hash-max-listpack-entries, "
                       "512), ttl=bucket to give each hash the longest TTL of its fields (Redis "
                       "7.0 has no TTL per field; without it a TTL in the trace is refused)",
                       arg, HASHPACK_MAX_FIELDS);
    s->hash_pack = (uint32_t)n;
    s->hash_pack_ttl_bucket = ttl != NULL;
    return 0;
}
