/* List keys in the engine and the redis object model (sim/objmodel_list.h),
 * node by node and realloc by realloc, on the plain-malloc test backend
 * (usable sizes rounded up to 16). */
#include <criterion/criterion.h>
#include <string.h>

#include "../sim/engine.h"
#include "../sim/objmodel_list.h"
#include "test_backend.h"

#define U16(n) (((uint64_t)(n) + 15) & ~(uint64_t)15)

static engine eng;
static void *be_state;

static void start(om_kind model, int fill) {
    fs_err err;
    cr_assert_eq(test_backend.init(&be_state, &err), 0);
    engine_config cfg = {.sample_interval_us = 1000 * TRACE_US_PER_S, .object_model = model,
                         .type_limits_set = 1, .hash_max_listpack_entries = 512,
                         .hash_max_listpack_value = 64, .set_max_intset_entries = 512,
                         .zset_max_listpack_entries = 128, .zset_max_listpack_value = 64,
                         .list_max_listpack_size = fill};
    cr_assert_eq(engine_init(&eng, &test_backend, be_state, &cfg, &err), 0);
}

static void setup(void) { start(OM_REDIS, OML_MAX_LISTPACK_SIZE); }

/* Every block is freed with the engine, whatever moved by realloc. */
static void teardown(void) {
    engine_destroy(&eng);
    cr_assert_eq(test_counts.live_bytes, 0, "%llu bytes left",
                 (unsigned long long)test_counts.live_bytes);
    cr_assert_eq(test_counts.allocs, test_counts.frees);
}

static void ev(trace_op op, const char *key, uint64_t size, int64_t start_, int64_t stop) {
    trace_event e = {.op = op, .key = key, .keylen = (uint32_t)strlen(key),
                     .ttl_us = TRACE_TTL_NONE, .size = size, .start = start_, .stop = stop};
    fs_err err;
    cr_assert_eq(engine_apply(&eng, &e, &err), 0, "engine_apply: %s", err.msg);
}
static void rpush(const char *key, uint64_t n, uint64_t size) {
    for (uint64_t i = 0; i < n; i++) ev(TRACE_OP_RPUSH, key, size, 0, 0);
}
static void ltrim(const char *key, int64_t start_, int64_t stop) {
    ev(TRACE_OP_LTRIM, key, 0, start_, stop);
}

static ho_list *list_of(const char *key) {
    uint32_t slot = ks_find(&eng.ks, key, (uint32_t)strlen(key));
    cr_assert_neq(slot, KS_NONE);
    hashobj *h = engine_hash_of(&eng, slot);
    cr_assert(h != NULL && h->type == HO_TYPE_LIST);
    return h->list;
}
static const ho_qnode *node(const char *key, uint32_t i) {
    ho_list *l = list_of(key);
    cr_assert_lt(i, l->qn_len);
    return &l->qn[l->qn_start + i];
}

/* robj 16, key sds of a 1-byte key (3), main table 4 x 8, dictEntry 24. */
#define KEY_REQ (16 + 3 + 32 + 24)
#define KEY_USED (16 + U16(3) + 32 + U16(24))
/* A 100-byte element's entry: 2-byte string header, data, 1-byte backlen. */
#define E100 103

TestSuite(objmodel_list, .init = setup, .fini = teardown);

Test(objmodel_list, a_node_grows_past_its_usable_size_and_shrinks_on_pop) {
    ev(TRACE_OP_RPUSH, "l", 10, 0, 0);
    cr_assert_eq(eng.c.list_keys, 1);
    /* quicklist 40, node 40, lpNew 7 grown to 7 + 12 by a realloc. */
    cr_assert_eq(eng.c.requested_bytes, KEY_REQ + 40 + 40 + 19);
    cr_assert_eq(eng.c.reallocs, 1);
    ev(TRACE_OP_LPUSH, "l", 3, 0, 0); /* 24 bytes fit the usable 32 */
    cr_assert_eq(eng.c.requested_bytes, KEY_REQ + 40 + 40 + 19);
    cr_assert_eq(node("l", 0)->lp_bytes, 24);
    cr_assert_eq(eng.c.reallocs, 1);
    cr_assert_eq(eng.c.used_memory, KEY_USED + 48 + 48 + 32);
    ev(TRACE_OP_LPOP, "l", 0, 0, 0); /* lpDelete shrinks by realloc */
    cr_assert_eq(eng.c.requested_bytes, KEY_REQ + 40 + 40 + 19);
    cr_assert_eq(eng.c.reallocs, 2);
    ev(TRACE_OP_RPOP, "l", 0, 0, 0); /* to lpNew's 7, then node and key freed */
    cr_assert_eq(eng.c.reallocs, 3);
    cr_assert_eq(test_counts.reallocs, eng.c.reallocs, "every realloc reached the allocator");
    cr_assert_eq(eng.c.list_keys, 0);
    cr_assert_eq(eng.ks.count, 0);
    cr_assert_eq(eng.c.used_memory, 32, "only the main table is left");
    ev(TRACE_OP_LPOP, "l", 0, 0, 0); /* a missing key: nothing */
    ltrim("l", 0, 1);
    cr_assert_eq(eng.c.wrongtype, 0);
}

/* -2: a push goes in while lpBytes + its length + 8 <= 8192; 7 + 78 x 103 +
 * 108 = 8149 takes a 79th, 8252 does not. */
Test(objmodel_list, nodes_hold_8_kb_at_fill_minus_2) {
    rpush("l", 200, 100);
    ho_list *l = list_of("l");
    cr_assert_eq(l->qn_len, 3);
    cr_assert_eq(node("l", 0)->count, 79);
    cr_assert_eq(node("l", 1)->count, 79);
    cr_assert_eq(node("l", 2)->count, 42);
    cr_assert_eq(node("l", 0)->lp_bytes, 7 + 79 * E100);
    /* LPUSH makes a new head node when the head is full. */
    ev(TRACE_OP_LPUSH, "l", 100, 0, 0);
    cr_assert_eq(l->qn_len, 4);
    cr_assert_eq(node("l", 0)->count, 1);
    engine_encodings enc;
    engine_encoding_census(&eng, &enc);
    cr_assert_eq(enc.keys[ENGINE_ENC_LIST_QUICKLIST], 1);
    cr_assert_eq(enc.bytes[ENGINE_ENC_LIST_QUICKLIST],
                 16 + 48 + 4 * 48 + U16(7 + E100) + 2 * U16(7 + 79 * E100) + U16(7 + 42 * E100));
    cr_assert_str_eq(engine_encoding_name(ENGINE_ENC_LIST_QUICKLIST), "list_quicklist");
}

Test(objmodel_list, a_positive_fill_counts_elements, .init = NULL) {
    start(OM_REDIS, 5);
    rpush("l", 12, 10);
    cr_assert_eq(list_of("l")->qn_len, 3);
    cr_assert_eq(node("l", 2)->count, 2);
}

/* LTRIM 100 149 of 79 + 79 + 42: the head's node 0 whole (no realloc),
 * node 1 cut by 21 (lpDeleteRange: a realloc); then the tail's 50 from
 * index 50: node 1 cut by 8 (a realloc), node 2 whole. */
Test(objmodel_list, ltrim_frees_whole_nodes_and_cuts_the_edges) {
    rpush("l", 200, 100);
    uint64_t reallocs = eng.c.reallocs;
    ltrim("l", 100, 149);
    cr_assert_eq(eng.c.reallocs, reallocs + 2);
    ho_list *l = list_of("l");
    cr_assert_eq(l->el_len, 50);
    cr_assert_eq(l->qn_len, 1);
    cr_assert_eq(node("l", 0)->lp_bytes, 7 + 50 * E100);
    cr_assert_eq(eng.c.requested_bytes, KEY_REQ + 40 + 40 + 7 + 50 * E100);
    /* Negative indexes as Redis reads them: the last 10. */
    ltrim("l", -10, -1);
    cr_assert_eq(list_of("l")->el_len, 10);
    /* An empty range takes the key. */
    ltrim("l", 5, 2);
    cr_assert_eq(eng.ks.count, 0);
    cr_assert_eq(eng.c.list_keys, 0);
}

/* The tail range's first node is reached by a negative offset: even when
 * the range starts at its first element, lpDeleteRange empties it (a
 * realloc) before it is freed. */
Test(objmodel_list, the_tail_ranges_first_node_is_cut_before_it_goes) {
    rpush("l", 200, 100);
    uint64_t reallocs = eng.c.reallocs;
    ltrim("l", 0, 78);
    cr_assert_eq(eng.c.reallocs, reallocs + 1);
    cr_assert_eq(list_of("l")->qn_len, 1);
    cr_assert_eq(list_of("l")->el_len, 79);
    ltrim("l", 0, 1000); /* nothing to cut */
    cr_assert_eq(eng.c.reallocs, reallocs + 1);
}

/* WRONGTYPE both ways; a SET replaces a list. */
Test(objmodel_list, types_clash_as_in_redis) {
    rpush("l", 3, 5);
    trace_event sadd = {.op = TRACE_OP_SADD, .key = "l", .keylen = 1, .field = "m",
                        .fieldlen = 1, .ttl_us = TRACE_TTL_NONE};
    fs_err err;
    cr_assert_eq(engine_apply(&eng, &sadd, &err), 0);
    sadd.key = "s";
    cr_assert_eq(engine_apply(&eng, &sadd, &err), 0);
    ev(TRACE_OP_LPUSH, "s", 5, 0, 0);
    ev(TRACE_OP_RPOP, "s", 0, 0, 0);
    ltrim("s", 0, 0);
    cr_assert_eq(eng.c.wrongtype, 4);
    cr_assert_eq(list_of("l")->el_len, 3);
    trace_event set = {.op = TRACE_OP_SET, .key = "l", .keylen = 1, .size = 10,
                       .ttl_us = TRACE_TTL_NONE};
    cr_assert_eq(engine_apply(&eng, &set, &err), 0);
    cr_assert_eq(eng.c.list_keys, 0);
    ev(TRACE_OP_RPUSH, "l", 5, 0, 0);
    cr_assert_eq(eng.c.wrongtype, 5);
}

/* DEL and EXPIRE 0 take a list of many nodes whole. */
Test(objmodel_list, del_and_expiry_free_every_block) {
    rpush("l", 300, 100);
    rpush("k", 2, 1);
    trace_event del = {.op = TRACE_OP_DEL, .key = "l", .keylen = 1, .ttl_us = TRACE_TTL_NONE};
    trace_event exp = {.op = TRACE_OP_EXPIRE, .key = "k", .keylen = 1, .ttl_us = 0};
    fs_err err;
    cr_assert_eq(engine_apply(&eng, &del, &err), 0);
    cr_assert_eq(engine_apply(&eng, &exp, &err), 0);
    cr_assert_eq(eng.ks.count, 0);
    cr_assert_eq(eng.c.list_keys, 0);
    cr_assert_eq(eng.c.used_memory, 32);
}

/* The raw model: a block per element, of its size. */
Test(objmodel_list, raw_model_stores_each_element, .init = NULL) {
    start(OM_RAW, OML_MAX_LISTPACK_SIZE);
    rpush("l", 3, 10);
    ev(TRACE_OP_LPUSH, "l", 5, 0, 0);
    cr_assert_eq(eng.c.requested_bytes, 35);
    ev(TRACE_OP_LPOP, "l", 0, 0, 0);
    cr_assert_eq(eng.c.requested_bytes, 30);
    ltrim("l", 1, 1);
    cr_assert_eq(eng.c.requested_bytes, 10);
    cr_assert_eq(eng.c.list_keys, 1);
    ev(TRACE_OP_RPOP, "l", 0, 0, 0);
    cr_assert_eq(eng.c.list_keys, 0);
}
