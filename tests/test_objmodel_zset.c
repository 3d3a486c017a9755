/* Sorted set keys in the engine and the redis object model
 * (sim/objmodel_zset.h), byte for byte and realloc by realloc, on the
 * plain-malloc test backend (usable sizes rounded up to 16). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../sim/engine.h"
#include "../sim/objmodel_zset.h"
#include "test_backend.h"

#define U16(n) (((uint64_t)(n) + 15) & ~(uint64_t)15)

static engine eng;
static void *be_state;

static void start(om_kind model, uint64_t max_entries, uint64_t max_value) {
    fs_err err;
    cr_assert_eq(test_backend.init(&be_state, &err), 0);
    engine_config cfg = {.sample_interval_us = 1000 * TRACE_US_PER_S, .object_model = model,
                         .type_limits_set = max_entries > 0 || max_value > 0,
                         .hash_max_listpack_entries = 512, .hash_max_listpack_value = 64,
                         .set_max_intset_entries = 512,
                         .zset_max_listpack_entries = max_entries,
                         .zset_max_listpack_value = max_value};
    cr_assert_eq(engine_init(&eng, &test_backend, be_state, &cfg, &err), 0);
}

static void setup(void) { start(OM_REDIS, 0, 0); }

/* Every block is freed with the engine, whatever moved by realloc. */
static void teardown(void) {
    engine_destroy(&eng);
    cr_assert_eq(test_counts.live_bytes, 0, "%llu bytes left",
                 (unsigned long long)test_counts.live_bytes);
    cr_assert_eq(test_counts.allocs, test_counts.frees);
}

static void ev(trace_op op, const char *key, const char *member, double score) {
    trace_event e = {.op = op, .key = key, .keylen = (uint32_t)strlen(key),
                     .ttl_us = TRACE_TTL_NONE, .field = member,
                     .fieldlen = member ? (uint32_t)strlen(member) : 0, .score = score};
    fs_err err;
    cr_assert_eq(engine_apply(&eng, &e, &err), 0, "engine_apply: %s", err.msg);
}

static void zadd(const char *key, const char *member, double score) {
    ev(TRACE_OP_ZADD, key, member, score);
}
static void zrem(const char *key, const char *member) { ev(TRACE_OP_ZREM, key, member, 0); }

static hashobj *zset_of(const char *key) {
    uint32_t slot = ks_find(&eng.ks, key, (uint32_t)strlen(key));
    cr_assert_neq(slot, KS_NONE);
    return engine_hash_of(&eng, slot);
}

/* The nodes' bytes (24 + 16 x level each) of a skiplist's members. */
static uint64_t nodes_bytes(const hashobj *h) {
    uint64_t b = 0;
    for (uint32_t i = 0; i < h->nfields; i++) {
        cr_assert(h->f[i].vlen >= 1 && h->f[i].vlen <= OMZ_MAX_LEVEL);
        b += OMZ_NODE_SIZE + OMZ_LEVEL_SIZE * (uint64_t)h->f[i].vlen;
    }
    return b;
}

/* robj 16, key sds of a 1-byte key (3), main table 4 x 8, dictEntry 24. */
#define KEY_REQ (16 + 3 + 32 + 24)
#define KEY_USED (16 + U16(3) + 32 + U16(24))
/* createZsetObject's zset 16, dict 56, zskiplist 32, header node 536. */
#define SKIPLIST_REQ (16 + 56 + 32 + 536)

TestSuite(objmodel_zset, .init = setup, .fini = teardown);

/* d2string's forms, stored as listpack integers when they read as one. */
Test(objmodel_zset, score_entries_follow_d2string) {
    char buf[TRACE_SCORE_BUF];
    cr_assert_str_eq((trace_score_format(buf, 3.0), buf), "3");
    cr_assert_str_eq((trace_score_format(buf, -0.0), buf), "-0");
    cr_assert_str_eq((trace_score_format(buf, 2.5), buf), "2.5");
    cr_assert_str_eq((trace_score_format(buf, 0.1), buf), "0.10000000000000001");
    cr_assert_str_eq((trace_score_format(buf, -1.0 / 0.0), buf), "-inf");
    cr_assert_eq(omz_score_entry_size(1), 2, "0-127: a 1-byte integer and its backlen");
    cr_assert_eq(omz_score_entry_size(1000), 3, "13-bit integer");
    cr_assert_eq(omz_score_entry_size(2.5), 1 + 3 + 1, "a 3-byte string");
    cr_assert_eq(omz_score_entry_size(-0.0), 1 + 2 + 1, "\"-0\" is not an integer's form");
}

/* A listpack: member and score entries appended, a realloc only past the
 * usable size; a new score is a delete (shrink) and an insert; ZREM
 * shrinks; the last member takes the key. */
Test(objmodel_zset, a_listpack_grows_past_its_usable_size_and_shrinks_on_delete) {
    zadd("z", "a", 1);
    cr_assert_eq(eng.c.zset_keys, 1);
    cr_assert_eq(zset_of("z")->lp_bytes, 7 + 3 + 2);
    cr_assert_eq(eng.c.requested_bytes, 7 + KEY_REQ, "12 bytes fit lpNew's 16: no realloc");
    cr_assert_eq(eng.c.reallocs, 0);
    zadd("z", "b", 2.5);
    zadd("z", "b", 2.5); /* the same score: nothing */
    cr_assert_eq(zset_of("z")->lp_bytes, 12 + 3 + 5);
    cr_assert_eq(eng.c.requested_bytes, 20 + KEY_REQ, "the score's entry reallocs");
    cr_assert_eq(eng.c.reallocs, 1);
    zadd("z", "a", 1000); /* delete (20 -> 15), insert 18 > 16, then 21 fits 32 */
    cr_assert_eq(zset_of("z")->lp_bytes, 21);
    cr_assert_eq(eng.c.requested_bytes, 18 + KEY_REQ);
    cr_assert_eq(eng.c.used_memory, U16(21) + KEY_USED);
    cr_assert_eq(eng.c.reallocs, 3);
    zrem("z", "b");
    zrem("z", "nope");
    cr_assert_eq(eng.c.requested_bytes, 13 + KEY_REQ);
    cr_assert_eq(eng.c.reallocs, 4);
    cr_assert_eq(test_counts.reallocs, eng.c.reallocs, "every realloc reached the allocator");
    zrem("z", "a");
    cr_assert_eq(eng.ks.count, 0, "the last ZREM takes the key");
    cr_assert_eq(eng.c.zset_keys, 0);
    cr_assert_eq(eng.c.zset_conversions, 0);
    cr_assert_eq(eng.c.used_memory, 32, "only the main table is left");
}

/* Past zset-max-listpack-entries the member about to come converts the
 * listpack first: the skiplist's blocks, per member an sds, a node and an
 * entry (the table grown as they go in, not presized), then the new one. */
Test(objmodel_zset, the_listpack_converts_before_the_member_past_the_limit, .init = NULL) {
    start(OM_REDIS, 3, 64);
    zadd("z", "a", 1);
    zadd("z", "b", 2);
    zadd("z", "c", 3);
    cr_assert_eq(zset_of("z")->enc, HO_LISTPACK);
    zadd("z", "d", 4);
    hashobj *h = zset_of("z");
    cr_assert_eq(h->enc, HO_SKIPLIST);
    cr_assert_eq(eng.c.zset_conversions, 1);
    cr_assert_eq(eng.c.requested_bytes,
                 KEY_REQ + SKIPLIST_REQ + 4 * 8 + 4 * (3 + 24) + nodes_bytes(h));
    zadd("z", "e", 5); /* the 5th fills 4 buckets: 8, the old kept while rehashing */
    uint64_t at5 = KEY_REQ + SKIPLIST_REQ + 4 * 8 + 8 * 8 + 5 * (3 + 24) + nodes_bytes(h);
    cr_assert_eq(eng.c.requested_bytes, at5);
    zrem("z", "e");
    zrem("z", "d");
    zrem("z", "c");
    cr_assert_eq(h->enc, HO_SKIPLIST, "Redis 7.0 does not convert back");
    cr_assert_eq(eng.c.zset_keys, 1);
}

/* A long first member makes the key a skiplist at once (no conversion). */
Test(objmodel_zset, a_long_first_member_makes_a_skiplist) {
    char m[70];
    memset(m, 'm', 65);
    m[65] = '\0';
    zadd("z", m, 1);
    hashobj *h = zset_of("z");
    cr_assert_eq(h->enc, HO_SKIPLIST);
    cr_assert_eq(eng.c.zset_conversions, 0);
    cr_assert_eq(eng.c.requested_bytes, KEY_REQ + SKIPLIST_REQ + 4 * 8 + (3 + 65 + 1) + 24 +
                                            nodes_bytes(h));
    cr_assert_eq(eng.c.reallocs, 0);
}

/* zslUpdateScore: a member that stays between its neighbours keeps its
 * node; one that moves gets a new node, then the old is freed. */
Test(objmodel_zset, a_new_score_moves_a_node_only_when_its_place_changes, .init = NULL) {
    start(OM_REDIS, 0, 64); /* zset-max-listpack-entries 0: a skiplist from the start */
    zadd("z", "a", 1);
    zadd("z", "b", 2);
    zadd("z", "c", 3);
    cr_assert_eq(zset_of("z")->enc, HO_SKIPLIST);
    uint64_t allocs = test_counts.allocs;
    zadd("z", "b", 2.5);
    cr_assert_eq(test_counts.allocs, allocs, "between 1 and 3: the node stays");
    zadd("z", "b", 10);
    cr_assert_eq(test_counts.allocs, allocs + 1, "past c: a new node");
    hashobj *h = zset_of("z");
    cr_assert_eq(eng.c.requested_bytes,
                 KEY_REQ + SKIPLIST_REQ + 4 * 8 + 3 * (3 + 24) + nodes_bytes(h));
}

/* The levels: seeded, so the same every run; about a quarter reach 2. */
Test(objmodel_zset, levels_are_seeded_and_geometric) {
    int n2 = 0, first[8];
    for (int i = 0; i < 20000; i++) {
        int l = omz_random_level(&eng);
        cr_assert(l >= 1 && l <= OMZ_MAX_LEVEL);
        if (i < 8) first[i] = l;
        n2 += l >= 2;
    }
    cr_assert(n2 > 4600 && n2 < 5400, "%d of 20000 at level 2 or more", n2);
    engine_destroy(&eng);
    setup();
    for (int i = 0; i < 8; i++) cr_assert_eq(omz_random_level(&eng), first[i]);
}

/* WRONGTYPE against strings, hashes and sets; SET replaces a sorted set. */
Test(objmodel_zset, types_clash_as_in_redis) {
    zadd("z", "a", 1);
    ev(TRACE_OP_SADD, "z", "1", 0);
    ev(TRACE_OP_HDEL, "z", "a", 0);
    ev(TRACE_OP_SADD, "s", "1", 0);
    zadd("s", "a", 1);
    zrem("s", "1");
    cr_assert_eq(eng.c.wrongtype, 4);
    trace_event set = {.op = TRACE_OP_SET, .key = "z", .keylen = 1, .size = 10,
                       .ttl_us = TRACE_TTL_NONE};
    fs_err err;
    cr_assert_eq(engine_apply(&eng, &set, &err), 0);
    cr_assert_eq(eng.c.zset_keys, 0);
    cr_assert_eq(eng.c.set_keys, 1);
}

/* DEL and EXPIRE 0 take a sorted set of either encoding whole. */
Test(objmodel_zset, del_and_expiry_free_every_block) {
    zadd("z", "a", 1);
    char m[8];
    for (int i = 0; i < 200; i++) {
        snprintf(m, sizeof m, "m%d", i);
        zadd("y", m, i * 0.5);
    }
    cr_assert_eq(zset_of("y")->enc, HO_SKIPLIST);
    trace_event del = {.op = TRACE_OP_DEL, .key = "y", .keylen = 1, .ttl_us = TRACE_TTL_NONE};
    trace_event exp = {.op = TRACE_OP_EXPIRE, .key = "z", .keylen = 1, .ttl_us = 0};
    fs_err err;
    cr_assert_eq(engine_apply(&eng, &del, &err), 0);
    cr_assert_eq(engine_apply(&eng, &exp, &err), 0);
    cr_assert_eq(eng.ks.count, 0);
    cr_assert_eq(eng.c.zset_keys, 0);
}

/* The raw model: a block per member, of its length. */
Test(objmodel_zset, raw_model_stores_each_member, .init = NULL) {
    start(OM_RAW, 0, 0);
    zadd("z", "alpha", 1);
    zadd("z", "alpha", 2);
    zadd("z", "7", 3);
    cr_assert_eq(eng.c.requested_bytes, 5 + 1);
    zrem("z", "alpha");
    cr_assert_eq(eng.c.requested_bytes, 1);
    cr_assert_eq(eng.c.zset_keys, 1);
}
