/* The importer's key table: chained hashing, one heap block per key.
 * Expired keys are dropped when looked up, and swept in bulk before the
 * table would grow, so a capture full of TTLs does not keep every key it
 * ever saw. */
#include "import_keys.h"

#include <stdlib.h>
#include <string.h>

#include "trace_event.h"

/* FNV-1a over the db number and the key: no seed, so the order is the same
 * on every run (deterministic output). */
static uint64_t key_hash(int db, const char *key, uint32_t keylen) {
    uint64_t h = 1469598103934665603ULL;
    uint32_t d = (uint32_t)db;
    for (int i = 0; i < 4; i++) {
        h ^= (d >> (8 * i)) & 0xff;
        h *= 1099511628211ULL;
    }
    for (uint32_t i = 0; i < keylen; i++) {
        h ^= (unsigned char)key[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static int expired(const imk_entry *e, int64_t now_us) {
    return e->expire_us != TRACE_TTL_NONE && e->expire_us <= now_us;
}

void imk_make_string(imk_entry *e) {
    if (e->fields == NULL) return;
    imk_free(e->fields);
    free(e->fields);
    e->fields = NULL;
    e->type = IMK_STRING;
}

int imk_make_fields(imk_entry *e, int type) {
    if (e->fields != NULL) return 0;
    if ((e->fields = malloc(sizeof *e->fields)) == NULL) return -1;
    e->type = type;
    imk_init(e->fields);
    e->fields->first_buckets = 8;
    free(e->val);
    e->val = NULL;
    e->size = 0;
    return 0;
}

static void entry_free(imk_entry *e) {
    imk_make_string(e);
    free(e->val);
    free(e);
}

void imk_init(imk_table *t) { memset(t, 0, sizeof *t); }

void imk_free(imk_table *t) {
    for (uint64_t i = 0; i < t->nbuckets; i++) {
        for (imk_entry *e = t->buckets[i], *next; e != NULL; e = next) {
            next = e->next;
            entry_free(e);
        }
    }
    free(t->buckets);
    memset(t, 0, sizeof *t);
}

/* Unlinks and frees the entry at *link. */
static void unlink_at(imk_table *t, imk_entry **link) {
    imk_entry *e = *link;
    *link = e->next;
    entry_free(e);
    t->count--;
}

imk_entry *imk_find(imk_table *t, int db, const char *key, uint32_t keylen, int64_t now_us) {
    if (t->nbuckets == 0) return NULL;
    uint64_t h = key_hash(db, key, keylen);
    for (imk_entry **link = &t->buckets[h & (t->nbuckets - 1)]; *link != NULL;
         link = &(*link)->next) {
        imk_entry *e = *link;
        if (e->hash != h || e->db != db || e->keylen != keylen ||
            memcmp(e->key, key, keylen) != 0)
            continue;
        if (expired(e, now_us)) {
            unlink_at(t, link);
            return NULL;
        }
        return e;
    }
    return NULL;
}

static void sweep_expired(imk_table *t, int64_t now_us) {
    for (uint64_t i = 0; i < t->nbuckets; i++) {
        imk_entry **link = &t->buckets[i];
        while (*link != NULL) {
            if (expired(*link, now_us)) unlink_at(t, link);
            else link = &(*link)->next;
        }
    }
}

static int grow(imk_table *t) {
    uint64_t n = t->nbuckets ? t->nbuckets * 2 : t->first_buckets ? t->first_buckets : 1024;
    imk_entry **b = calloc(n, sizeof *b);
    if (b == NULL) return -1;
    for (uint64_t i = 0; i < t->nbuckets; i++) {
        for (imk_entry *e = t->buckets[i], *next; e != NULL; e = next) {
            next = e->next;
            e->next = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = n;
    return 0;
}

imk_entry *imk_add(imk_table *t, int db, const char *key, uint32_t keylen, int64_t now_us) {
    if (t->count >= t->nbuckets) {
        /* Sweeping costs one pass over the table; growing only when the
         * sweep freed less than a quarter keeps that pass amortised. */
        sweep_expired(t, now_us);
        if (t->count >= t->nbuckets - t->nbuckets / 4 && grow(t) != 0) return NULL;
    }
    imk_entry *e = malloc(sizeof *e + keylen);
    if (e == NULL) return NULL;
    memset(e, 0, sizeof *e);
    e->hash = key_hash(db, key, keylen);
    e->expire_us = TRACE_TTL_NONE;
    e->db = db;
    e->keylen = keylen;
    memcpy(e->key, key, keylen);
    /* A known empty value: one byte so that "known" is a non-NULL pointer. */
    e->val = malloc(1);
    if (e->val == NULL) {
        free(e);
        return NULL;
    }
    uint64_t i = e->hash & (t->nbuckets - 1);
    e->next = t->buckets[i];
    t->buckets[i] = e;
    t->count++;
    return e;
}

void imk_del(imk_table *t, imk_entry *e) {
    for (imk_entry **link = &t->buckets[e->hash & (t->nbuckets - 1)]; *link != NULL;
         link = &(*link)->next) {
        if (*link == e) {
            unlink_at(t, link);
            return;
        }
    }
}

int imk_set_value(imk_entry *e, const char *bytes, uint64_t size) {
    free(e->val);
    e->val = NULL;
    e->size = size;
    if (bytes == NULL || size > IMK_VALUE_KEEP) return 0;
    e->val = malloc(size ? size : 1);
    if (e->val == NULL) return -1;
    memcpy(e->val, bytes, size);
    return 0;
}

int imk_each(imk_table *t, int db, int64_t now_us, int (*fn)(void *arg, imk_entry *e),
             void *arg) {
    for (uint64_t i = 0; i < t->nbuckets; i++) {
        imk_entry **link = &t->buckets[i];
        while (*link != NULL) {
            imk_entry *e = *link, *next = e->next;
            if (expired(e, now_us)) {
                unlink_at(t, link);
                continue;
            }
            if (db >= 0 && e->db != db) {
                link = &e->next;
                continue;
            }
            int rc = fn(arg, e);
            if (rc != 0) return rc;
            /* fn may have deleted e: then *link already holds next. */
            if (*link == e) link = &e->next;
            else if (*link != next) return 0; /* fn broke the contract */
        }
    }
    return 0;
}
