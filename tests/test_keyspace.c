/* The keyspace (sim/keyspace.c): the open-addressing index with
 * backward-shift deletion, slot reuse, odd keys, and the expiry heap's
 * order (expire time, then the order the TTLs were set). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sim/base/keyspace.h"
#include "../sim/base/rng.h"

static keyspace ks;

static void setup(void) {
    fs_err err;
    cr_assert_eq(ks_init(&ks, &err), 0, "%s", err.msg);
}

static void teardown(void) { ks_destroy(&ks); }

TestSuite(keyspace, .init = setup, .fini = teardown, .timeout = 60);

static uint32_t key_of(char *buf, uint32_t i) {
    return (uint32_t)sprintf(buf, "key:%u", i);
}

static uint32_t insert(const char *key, uint32_t len) {
    fs_err err;
    cr_assert_eq(ks_find(&ks, key, len), KS_NONE, "'%.*s' already present", (int)len, key);
    uint32_t slot = ks_insert(&ks, key, len, &err);
    cr_assert_neq(slot, KS_NONE, "insert: %s", err.msg);
    return slot;
}

static uint32_t insert_s(const char *key) { return insert(key, (uint32_t)strlen(key)); }
static uint32_t find_s(const char *key) { return ks_find(&ks, key, (uint32_t)strlen(key)); }

static void set_expire(uint32_t slot, int64_t t) {
    fs_err err;
    cr_assert_eq(ks_set_expire(&ks, slot, t, &err), 0, "%s", err.msg);
}

/* The heap's bookkeeping agrees with the slots, and the heap property holds. */
static void check_heap(void) {
    uint32_t with_expiry = 0;
    for (uint32_t s = 0; s < ks.nslots; s++) {
        const ks_entry *e = ks_get(&ks, s);
        if (!ks_live(&ks, s)) continue;
        if (e->heap_pos == KS_NONE) {
            cr_assert_eq(ks_expire_us(&ks, s), KS_NO_EXPIRE, "slot %u", s);
        } else {
            with_expiry++;
            cr_assert_lt(e->heap_pos, ks.heap_len, "slot %u", s);
            cr_assert_eq(ks_expiring_at(&ks, e->heap_pos), s, "slot %u: heap_pos is wrong", s);
        }
    }
    cr_assert_eq(ks.heap_len, with_expiry);
    for (uint32_t i = 1; i < ks.heap_len; i++) {
        const ks_expiry *c = &ks.heap[i], *p = &ks.heap[(i - 1) / 2];
        cr_assert(p->expire_us < c->expire_us ||
                      (p->expire_us == c->expire_us && p->ttl_seq < c->ttl_seq),
                  "heap property broken at %u", i);
    }
}

/* Pops every key with an expiry in heap order (by clearing its expiry);
 * returns the slots in that order. */
static uint32_t drain(uint32_t *order, uint32_t max) {
    uint32_t n = 0;
    uint32_t s;
    while ((s = ks_first_expiring(&ks)) != KS_NONE) {
        cr_assert_lt(n, max);
        order[n++] = s;
        uint32_t before = ks.heap_len;
        set_expire(s, KS_NO_EXPIRE);
        cr_assert_eq(ks.heap_len, before - 1);
    }
    return n;
}

/* ---- the index ---- */

Test(keyspace, empty_keyspace_finds_nothing) {
    cr_assert_eq(ks.count, 0);
    cr_assert_eq(find_s("a"), KS_NONE);
    cr_assert_eq(ks_find(&ks, "", 0), KS_NONE);
    cr_assert_eq(ks_first_expiring(&ks), KS_NONE);
}

Test(keyspace, insert_find_delete_many) {
    enum { N = 200000 };
    static uint32_t slot[N];
    char k[32];
    for (uint32_t i = 0; i < N; i++) {
        uint32_t len = key_of(k, i);
        slot[i] = insert(k, len);
        ks_get(&ks, slot[i])->requested = i;
    }
    cr_assert_eq(ks.count, N);
    cr_assert_geq(ks.index_cap, 2 * (uint64_t)N, "index kept at most half full");
    for (uint32_t i = 0; i < N; i++) {
        uint32_t len = key_of(k, i);
        uint32_t s = ks_find(&ks, k, len);
        cr_assert_eq(s, slot[i], "key:%u found at %u, inserted at %u", i, s, slot[i]);
        const ks_entry *e = ks_get(&ks, s);
        cr_assert_eq(e->keylen, len);
        cr_assert(memcmp(ks_key(&ks, s), k, len) == 0);
        cr_assert_eq(e->requested, i, "entry data survived the slot array's growth");
        cr_assert_eq(ks_expire_us(&ks, s), KS_NO_EXPIRE);
        cr_assert_null(e->block);
    }
    cr_assert_eq(find_s("key:200000"), KS_NONE);
    cr_assert_eq(find_s("key:"), KS_NONE);
    for (uint32_t i = 0; i < N; i++) {
        uint32_t len = key_of(k, i);
        ks_delete(&ks, ks_find(&ks, k, len));
    }
    cr_assert_eq(ks.count, 0);
    for (uint32_t i = 0; i < N; i += 997) {
        uint32_t len = key_of(k, i);
        cr_assert_eq(ks_find(&ks, k, len), KS_NONE, "key:%u still found", i);
    }
}

Test(keyspace, deleted_slots_are_reused) {
    char k[32];
    for (uint32_t i = 0; i < 5000; i++) insert(k, key_of(k, i));
    uint32_t nslots = ks.nslots;
    cr_assert_eq(nslots, 5000);
    for (uint32_t i = 0; i < 5000; i += 2) ks_delete(&ks, ks_find(&ks, k, key_of(k, i)));
    cr_assert_eq(ks.count, 2500);
    for (uint32_t i = 0; i < 2500; i++) {
        char n[32];
        uint32_t len = (uint32_t)sprintf(n, "new:%u", i);
        uint32_t s = insert(n, len);
        cr_assert_lt(s, nslots, "a free slot was reused");
    }
    cr_assert_eq(ks.nslots, nslots, "no new slot while free ones remain");
    cr_assert_eq(ks.count, 5000);
    for (uint32_t i = 0; i < 5000; i++) {
        uint32_t len = key_of(k, i);
        cr_assert_eq(ks_find(&ks, k, len) != KS_NONE, i % 2 == 1, "key:%u", i);
    }
    for (uint32_t i = 0; i < 2500; i++) {
        char n[32];
        uint32_t len = (uint32_t)sprintf(n, "new:%u", i);
        uint32_t s = ks_find(&ks, n, len);
        cr_assert_neq(s, KS_NONE, "new:%u", i);
        cr_assert_eq(ks_get(&ks, s)->keylen, len);
        cr_assert(memcmp(ks_key(&ks, s), n, len) == 0);
    }
}

Test(keyspace, keys_differing_only_in_the_last_byte) {
    char k[40] = "a-long-common-prefix-for-every-key-";
    const uint32_t plen = (uint32_t)strlen(k);
    uint32_t slot[256];
    for (int b = 0; b < 256; b++) {
        k[plen] = (char)b;
        slot[b] = insert(k, plen + 1);
    }
    for (int b = 0; b < 256; b++) {
        k[plen] = (char)b;
        cr_assert_eq(ks_find(&ks, k, plen + 1), slot[b], "last byte %02x", b);
    }
    cr_assert_eq(ks_find(&ks, k, plen), KS_NONE, "the prefix alone is not a key");
    for (int b = 0; b < 256; b += 3) {
        k[plen] = (char)b;
        ks_delete(&ks, ks_find(&ks, k, plen + 1));
    }
    for (int b = 0; b < 256; b++) {
        k[plen] = (char)b;
        uint32_t s = ks_find(&ks, k, plen + 1);
        if (b % 3 == 0) cr_assert_eq(s, KS_NONE, "last byte %02x deleted", b);
        else cr_assert_eq(s, slot[b], "last byte %02x", b);
    }
}

Test(keyspace, binary_keys_and_the_empty_key) {
    const char *keys[] = {"", "\0", "\0\0", "a\0b", "a\0c", "a", "\0a", "a\0", "\xff\xfe"};
    const uint32_t lens[] = {0, 1, 2, 3, 3, 1, 2, 2, 2};
    const int n = 9;
    uint32_t slot[9];
    for (int i = 0; i < n; i++) slot[i] = insert(keys[i], lens[i]);
    cr_assert_eq(ks.count, (uint64_t)n);
    for (int i = 0; i < n; i++) {
        cr_assert_eq(ks_find(&ks, keys[i], lens[i]), slot[i], "key %d", i);
        const ks_entry *e = ks_get(&ks, slot[i]);
        cr_assert(ks_live(&ks, slot[i]), "key %d: even the empty key is live", i);
        cr_assert_eq(e->keylen, lens[i]);
        cr_assert(memcmp(ks_key(&ks, slot[i]), keys[i], lens[i]) == 0, "key %d bytes", i);
    }
    /* The empty key is one key among others. */
    ks_delete(&ks, slot[0]);
    cr_assert_eq(ks_find(&ks, "", 0), KS_NONE);
    cr_assert_eq(ks_find(&ks, "\0", 1), slot[1]);
    ks_delete(&ks, slot[3]);
    cr_assert_eq(ks_find(&ks, "a\0b", 3), KS_NONE);
    cr_assert_eq(ks_find(&ks, "a\0c", 3), slot[4]);
    uint32_t again = insert("", 0);
    cr_assert_eq(ks_find(&ks, "", 0), again);
    cr_assert_eq(ks.count, (uint64_t)n - 1);
}

Test(keyspace, random_half_deleted_rest_still_found) {
    enum { N = 200000 };
    static unsigned char gone[N];
    char k[32];
    for (uint32_t i = 0; i < N; i++) insert(k, key_of(k, i));
    rng r;
    rng_seed(&r, 31337);
    /* Delete a random half, in random order. */
    static uint32_t perm[N];
    for (uint32_t i = 0; i < N; i++) perm[i] = i;
    for (uint32_t i = N - 1; i > 0; i--) {
        uint32_t j = (uint32_t)rng_below(&r, i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (uint32_t i = 0; i < N / 2; i++) {
        uint32_t len = key_of(k, perm[i]);
        uint32_t s = ks_find(&ks, k, len);
        cr_assert_neq(s, KS_NONE, "key:%u vanished before its deletion", perm[i]);
        ks_delete(&ks, s);
        gone[perm[i]] = 1;
    }
    cr_assert_eq(ks.count, N / 2);
    for (uint32_t i = 0; i < N; i++) {
        uint32_t len = key_of(k, i);
        uint32_t s = ks_find(&ks, k, len);
        if (gone[i]) {
            cr_assert_eq(s, KS_NONE, "deleted key:%u still found", i);
        } else {
            cr_assert_neq(s, KS_NONE, "key:%u lost after others' deletion", i);
            cr_assert_eq(ks_get(&ks, s)->keylen, len);
            cr_assert(memcmp(ks_key(&ks, s), k, len) == 0, "key:%u", i);
        }
    }
    /* Put the deleted ones back and churn once more. */
    for (uint32_t i = 0; i < N / 2; i++) insert(k, key_of(k, perm[i]));
    for (uint32_t i = N / 2; i < N; i++) ks_delete(&ks, ks_find(&ks, k, key_of(k, perm[i])));
    cr_assert_eq(ks.count, N / 2);
    for (uint32_t i = 0; i < N; i++) {
        uint32_t len = key_of(k, i);
        cr_assert_eq(ks_find(&ks, k, len) == KS_NONE, !gone[i], "key:%u after the churn", i);
    }
}

/* Keys all in one probe run: every deletion has to shift the rest back. */
Test(keyspace, deletion_inside_a_long_probe_run) {
    /* Keys whose hashes share their low bits land in one run whatever the
     * index size is now. */
    enum { WANT = 40 };
    char keys[WANT][16];
    uint32_t lens[WANT], n = 0;
    uint64_t mask = ks.index_cap - 1, home = 5;
    for (uint32_t i = 0; n < WANT && i < 10000000; i++) {
        char k[16];
        uint32_t len = (uint32_t)sprintf(k, "p%u", i);
        if ((ks_hash(k, len) & mask) == home || (ks_hash(k, len) & mask) == home + 1) {
            memcpy(keys[n], k, len + 1);
            lens[n++] = len;
        }
    }
    cr_assert_eq(n, WANT);
    for (uint32_t i = 0; i < n; i++) insert(keys[i], lens[i]);
    cr_assert_eq(ks.index_cap, mask + 1, "the index did not grow meanwhile");
    int deleted[WANT] = {0};
    for (uint32_t d = 0; d < n; d += 3) {
        ks_delete(&ks, ks_find(&ks, keys[d], lens[d]));
        deleted[d] = 1;
        for (uint32_t i = 0; i < n; i++)
            cr_assert_eq(ks_find(&ks, keys[i], lens[i]) == KS_NONE, deleted[i],
                         "after deleting %s: %s", keys[d], keys[i]);
    }
}

/* ---- the expiry heap ---- */

Test(keyspace, first_expiring_in_time_order) {
    const int64_t t[] = {500, 100, 900, 300, 700, 200, 800, 400, 600};
    uint32_t slot[9];
    char k[8];
    for (int i = 0; i < 9; i++) {
        sprintf(k, "k%d", i);
        slot[i] = insert_s(k);
        set_expire(slot[i], t[i]);
        check_heap();
    }
    cr_assert_eq(ks.heap_len, 9);
    uint32_t order[16];
    cr_assert_eq(drain(order, 16), 9);
    for (int i = 0; i < 9; i++) {
        int64_t want = (i + 1) * 100;
        cr_assert_eq(ks_expire_us(&ks, order[i]), KS_NO_EXPIRE);
        int idx = -1;
        for (int j = 0; j < 9; j++)
            if (slot[j] == order[i]) idx = j;
        cr_assert_eq(t[idx], want, "position %d: expiry %lld", i, (long long)t[idx]);
    }
    cr_assert_eq(ks_first_expiring(&ks), KS_NONE);
}

Test(keyspace, equal_times_in_the_order_ttls_were_set) {
    uint32_t c = insert_s("c"), a = insert_s("a"), b = insert_s("b"), z = insert_s("z");
    set_expire(z, 50);
    set_expire(b, 100);
    set_expire(c, 100);
    set_expire(a, 100);
    uint32_t order[8];
    cr_assert_eq(drain(order, 8), 4);
    cr_assert_eq(order[0], z);
    cr_assert_eq(order[1], b, "b's TTL was set first");
    cr_assert_eq(order[2], c);
    cr_assert_eq(order[3], a);
}

Test(keyspace, equal_times_many_keys_keep_set_order) {
    /* 3000 keys over 10 distinct times, set in a shuffled order. */
    enum { N = 3000 };
    static uint32_t slot[N], set_rank[N], order[N];
    char k[32];
    rng r;
    rng_seed(&r, 5);
    for (uint32_t i = 0; i < N; i++) slot[i] = insert(k, key_of(k, i));
    static uint32_t perm[N];
    for (uint32_t i = 0; i < N; i++) perm[i] = i;
    for (uint32_t i = N - 1; i > 0; i--) {
        uint32_t j = (uint32_t)rng_below(&r, i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (uint32_t rank = 0; rank < N; rank++) {
        uint32_t i = perm[rank];
        set_expire(slot[i], 1000 * (int64_t)(i % 10));
        set_rank[i] = rank;
    }
    check_heap();
    cr_assert_eq(drain(order, N), N);
    int64_t prev_t = INT64_MIN;
    uint32_t prev_rank = 0;
    for (uint32_t n = 0; n < N; n++) {
        uint32_t i = (uint32_t)-1;
        char *end;
        const ks_entry *e = ks_get(&ks, order[n]);
        char buf[32];
        memcpy(buf, ks_key(&ks, order[n]), e->keylen);
        buf[e->keylen] = '\0';
        i = (uint32_t)strtoul(buf + 4, &end, 10);
        int64_t t = 1000 * (int64_t)(i % 10);
        cr_assert_geq(t, prev_t, "position %u: time %lld before %lld", n, (long long)t,
                      (long long)prev_t);
        if (t == prev_t)
            cr_assert_gt(set_rank[i], prev_rank, "position %u: tie out of set order", n);
        prev_t = t;
        prev_rank = set_rank[i];
    }
}

Test(keyspace, no_expire_removes_from_the_heap) {
    uint32_t a = insert_s("a"), b = insert_s("b"), c = insert_s("c");
    set_expire(a, 10);
    set_expire(b, 20);
    set_expire(c, 30);
    cr_assert_eq(ks.heap_len, 3);
    set_expire(a, KS_NO_EXPIRE);
    cr_assert_eq(ks.heap_len, 2);
    cr_assert_eq(ks_get(&ks, a)->heap_pos, KS_NONE);
    cr_assert_eq(ks_expire_us(&ks, a), KS_NO_EXPIRE);
    cr_assert_eq(ks_first_expiring(&ks), b);
    check_heap();
    /* Again on a key without expiry: nothing changes. */
    set_expire(a, KS_NO_EXPIRE);
    cr_assert_eq(ks.heap_len, 2);
    check_heap();
    set_expire(c, KS_NO_EXPIRE);
    set_expire(b, KS_NO_EXPIRE);
    cr_assert_eq(ks.heap_len, 0);
    cr_assert_eq(ks_first_expiring(&ks), KS_NONE);
}

Test(keyspace, resetting_an_expiry_moves_the_key) {
    uint32_t a = insert_s("a"), b = insert_s("b"), c = insert_s("c");
    set_expire(a, 100);
    set_expire(b, 200);
    set_expire(c, 300);
    cr_assert_eq(ks_first_expiring(&ks), a);
    set_expire(a, 400);
    cr_assert_eq(ks.heap_len, 3, "re-setting does not add a second entry");
    cr_assert_eq(ks_first_expiring(&ks), b);
    check_heap();
    set_expire(c, 50);
    cr_assert_eq(ks_first_expiring(&ks), c);
    check_heap();
    /* Re-setting the same time counts as setting it later: ties go after. */
    set_expire(b, 50);
    cr_assert_eq(ks_first_expiring(&ks), c);
    set_expire(c, 50);
    cr_assert_eq(ks_first_expiring(&ks), b, "c's TTL is now the later one");
    uint32_t order[4];
    cr_assert_eq(drain(order, 4), 3);
    cr_assert_eq(order[0], b);
    cr_assert_eq(order[1], c);
    cr_assert_eq(order[2], a);
}

Test(keyspace, deleting_a_key_removes_its_expiry) {
    uint32_t a = insert_s("a"), b = insert_s("b"), c = insert_s("c"), d = insert_s("d");
    set_expire(a, 10);
    set_expire(b, 20);
    set_expire(c, 30);
    (void)d; /* no expiry */
    cr_assert_eq(ks.heap_len, 3);
    ks_delete(&ks, a);
    cr_assert_eq(ks.heap_len, 2);
    cr_assert_eq(ks_first_expiring(&ks), b);
    check_heap();
    ks_delete(&ks, d);
    cr_assert_eq(ks.heap_len, 2, "a key without expiry leaves the heap alone");
    ks_delete(&ks, c);
    cr_assert_eq(ks.heap_len, 1);
    cr_assert_eq(ks_first_expiring(&ks), b);
    /* A new key in a reused slot starts without expiry. */
    uint32_t e = insert_s("e");
    cr_assert_eq(ks_expire_us(&ks, e), KS_NO_EXPIRE);
    cr_assert_eq(ks_get(&ks, e)->heap_pos, KS_NONE);
    check_heap();
    ks_delete(&ks, b);
    cr_assert_eq(ks.heap_len, 0);
    cr_assert_eq(ks_first_expiring(&ks), KS_NONE);
}

static int cmp_pair(const void *x, const void *y) {
    const int64_t *a = x, *b = y; /* {expire, seq} */
    if (a[0] != b[0]) return a[0] < b[0] ? -1 : 1;
    return (a[1] > b[1]) - (a[1] < b[1]);
}

Test(keyspace, heap_under_churn_matches_a_sorted_reference) {
    enum { N = 30000 };
    static uint32_t slot[N];
    static unsigned char live[N];
    char k[32];
    rng r;
    rng_seed(&r, 424242);
    for (uint32_t i = 0; i < N; i++) {
        slot[i] = insert(k, key_of(k, i));
        live[i] = 1;
        set_expire(slot[i], (int64_t)rng_below(&r, 5000));
    }
    /* Delete a third, re-set a third (some to no expiry), keep a third. */
    for (uint32_t i = 0; i < N; i++) {
        uint64_t what = rng_below(&r, 3);
        if (what == 0) {
            ks_delete(&ks, slot[i]);
            live[i] = 0;
        } else if (what == 1) {
            int64_t t = rng_below(&r, 10) == 0 ? KS_NO_EXPIRE : (int64_t)rng_below(&r, 5000);
            set_expire(slot[i], t);
        }
    }
    check_heap();
    static int64_t want[N][2];
    uint32_t n = 0;
    for (uint32_t i = 0; i < N; i++) {
        if (!live[i]) continue;
        const ks_entry *e = ks_get(&ks, slot[i]);
        if (e->heap_pos == KS_NONE) continue;
        want[n][0] = ks.heap[e->heap_pos].expire_us;
        want[n][1] = (int64_t)ks.heap[e->heap_pos].ttl_seq;
        n++;
    }
    cr_assert_eq(ks.heap_len, n);
    qsort(want, n, sizeof want[0], cmp_pair);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t s = ks_first_expiring(&ks);
        cr_assert_neq(s, KS_NONE);
        const ks_expiry *x = &ks.heap[0];
        cr_assert(x->slot == s && x->expire_us == want[i][0] && (int64_t)x->ttl_seq == want[i][1],
                  "position %u: (%lld, %llu), expected (%lld, %lld)", i, (long long)x->expire_us,
                  (unsigned long long)x->ttl_seq, (long long)want[i][0], (long long)want[i][1]);
        /* Expire it as the engine does: delete the key. */
        ks_delete(&ks, s);
    }
    cr_assert_eq(ks.heap_len, 0);
}

/* ttl_seq is 32 bits, renumbered when it runs out: with a low limit, many
 * renumberings among many ties still expire keys in the order their TTLs
 * were set. */
Test(keyspace, ttl_order_survives_renumbering) {
    enum { N = 600, SETS = 6000 };
    static uint32_t slot[N];
    static int64_t want[N][2]; /* expire time, then the order it was set (64-bit) */
    char k[32];
    rng r;
    rng_seed(&r, 99);
    ks.ttl_seq_max = 1000;
    for (uint32_t i = 0; i < N; i++) slot[i] = insert(k, key_of(k, i));
    for (uint32_t j = 0; j < SETS; j++) {
        uint32_t i = (uint32_t)rng_below(&r, N);
        want[i][0] = (int64_t)rng_below(&r, 5); /* five times: ties everywhere */
        want[i][1] = j;
        set_expire(slot[i], want[i][0]);
    }
    check_heap();
    uint32_t n = 0;
    for (uint32_t i = 0; i < N; i++)
        if (ks_get(&ks, slot[i])->heap_pos != KS_NONE) {
            want[n][0] = want[i][0] * N + (int64_t)i; /* keep i beside the order */
            want[n][1] = want[i][1];
            n++;
        }
    cr_assert_gt(ks.next_ttl_seq, 0);
    cr_assert_lt(ks.next_ttl_seq, 1000, "renumbered (%u)", ks.next_ttl_seq);
    /* Expected order: by time (want[.][0] / N), then by set order. */
    for (uint32_t a = 0; a < n; a++)
        for (uint32_t b = a + 1; b < n; b++)
            if (want[b][0] / N < want[a][0] / N ||
                (want[b][0] / N == want[a][0] / N && want[b][1] < want[a][1])) {
                int64_t t0 = want[a][0], t1 = want[a][1];
                want[a][0] = want[b][0], want[a][1] = want[b][1];
                want[b][0] = t0, want[b][1] = t1;
            }
    for (uint32_t a = 0; a < n; a++) {
        uint32_t s = ks_first_expiring(&ks), i = (uint32_t)(want[a][0] % N);
        cr_assert_eq(s, slot[i], "position %u: slot %u, expected key %u's %u", a, s, i, slot[i]);
        ks_delete(&ks, s);
    }
    cr_assert_eq(ks.heap_len, 0);
}

/* ---- the key arena ---- */

Test(keyspace, key_arena_reuses_freed_room_and_counts_live_bytes) {
    enum { N = 20000 };
    static char keys[N][40];
    static uint32_t lens[N], slot[N];
    rng r;
    rng_seed(&r, 77);
    uint64_t want_bytes = 0;
    for (uint32_t i = 0; i < N; i++) {
        /* 0 to 39 bytes: every size class of the arena, the empty key too. */
        lens[i] = (uint32_t)rng_below(&r, 40);
        for (uint32_t j = 0; j < lens[i]; j++) keys[i][j] = (char)('a' + (i + j) % 26);
        if (lens[i] >= 8) sprintf(keys[i], "%07u", i), keys[i][7] = '.';
        if (ks_find(&ks, keys[i], lens[i]) != KS_NONE) {
            lens[i] = UINT32_MAX; /* a short key made twice */
            continue;
        }
        slot[i] = insert(keys[i], lens[i]);
        want_bytes += lens[i] ? (lens[i] + 7) / 8 * 8 : 8;
    }
    cr_assert_eq(ks.key_bytes, want_bytes, "live key bytes, in 8-byte units");
    uint64_t used = ks.keys_used;
    /* Delete every key and put it back: the room is reused, none is added. */
    for (uint32_t i = 0; i < N; i++)
        if (lens[i] != UINT32_MAX) ks_delete(&ks, slot[i]);
    cr_assert_eq(ks.key_bytes, 0);
    for (uint32_t i = N; i-- > 0;)
        if (lens[i] != UINT32_MAX) slot[i] = insert(keys[i], lens[i]);
    cr_assert_eq(ks.keys_used, used, "the arena grew although freed room of every size was there");
    for (uint32_t i = 0; i < N; i++) {
        if (lens[i] == UINT32_MAX) continue;
        cr_assert_eq(ks_find(&ks, keys[i], lens[i]), slot[i], "key %u", i);
        cr_assert(memcmp(ks_key(&ks, slot[i]), keys[i], lens[i]) == 0, "key %u bytes", i);
    }
}

/* The index's tags move when the slot array grows past a power of two:
 * every key must still be found across each growth. */
Test(keyspace, keys_found_across_every_slot_array_growth) {
    char k[32];
    uint32_t n = 0;
    for (uint32_t round = 0; round < 8; round++) {
        uint32_t cap = ks.cap_slots;
        while (ks.cap_slots == cap) insert(k, key_of(k, n++));
        for (uint32_t i = 0; i < n; i++) {
            uint32_t len = key_of(k, i);
            uint32_t s = ks_find(&ks, k, len);
            cr_assert_neq(s, KS_NONE, "key:%u lost when the slots grew to %u", i, ks.cap_slots);
            cr_assert(memcmp(ks_key(&ks, s), k, len) == 0);
        }
    }
    cr_assert_eq(ks.count, n);
}
