/* The generator's sorted sets and lists (traces/trace_gen_types.c): the
 * leaderboard and queues presets give the events their types need, each
 * meaning something on the key as Redis would have it, the same for a
 * seed, and as many keys as --keys asks. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../traces/trace_digest.h"
#include "../traces/trace_gen.h"
#include "../traces/trace_gen_types.h"

TestSuite(gen_types, .timeout = 60);

/* What a run of the generator gave: events by operation, a digest of
 * everything in them (scores and LTRIM's range too), and per key what the
 * test follows. */
typedef struct per_key {
    uint64_t events;
    uint64_t members;  /* board: distinct members added (ids given out) */
    int64_t len;       /* queue: its length, as Redis keeps it */
    int64_t max_len;
    uint64_t max_bytes; /* queue: the most element bytes it held */
    uint64_t bytes;
    uint64_t emptied;   /* queue: times its last element went (the key with it) */
    int trimmed, expired_write;
    int64_t expire_us;  /* 0: no TTL */
} per_key;

typedef struct gen_run {
    uint64_t events, by_op[TRACE_OP__COUNT], digest;
    per_key *keys;
} gen_run;

/* Key index from "PREFIX<i>". */
static uint64_t key_index(const trace_event *ev, const char *prefix, uint64_t nkeys) {
    size_t pl = strlen(prefix);
    cr_assert(ev->keylen > pl && memcmp(ev->key, prefix, pl) == 0, "key '%.*s'",
              (int)ev->keylen, ev->key);
    char buf[32];
    snprintf(buf, sizeof buf, "%.*s", (int)(ev->keylen - pl), ev->key + pl);
    uint64_t i = strtoull(buf, NULL, 10);
    cr_assert_lt(i, nkeys, "key '%.*s' past --keys", (int)ev->keylen, ev->key);
    return i;
}

/* An element's size per queue position is not kept: bytes follow the
 * mean of what is in the queue, enough for "spans many nodes". */
static void follow(gen_run *g, const trace_event *ev, const gen_params *p) {
    per_key *k = &g->keys[key_index(ev, p->key_prefix, p->keys)];
    k->events++;
    if (k->expire_us > 0 && ev->time_us >= k->expire_us) k->expired_write = 1;
    switch (ev->op) {
    case TRACE_OP_ZADD: {
        uint32_t id = (uint32_t)strtoul(ev->field + 7, NULL, 10);
        cr_assert(ev->fieldlen > 7 && memcmp(ev->field, "player:", 7) == 0);
        cr_assert_leq(id, k->members, "a new member is the next id");
        if (id == k->members) k->members++;
        break;
    }
    case TRACE_OP_ZREM:
        cr_assert_lt(strtoul(ev->field + 7, NULL, 10), k->members, "ZREM of a member given out");
        break;
    case TRACE_OP_RPUSH:
        k->len++;
        k->bytes += ev->size;
        break;
    case TRACE_OP_LPOP:
        cr_assert_gt(k->len, 0, "LPOP of an empty queue");
        k->bytes -= k->bytes / (uint64_t)k->len;
        if (--k->len == 0) k->emptied++;
        break;
    case TRACE_OP_LTRIM:
        cr_assert_eq(ev->stop, -1);
        cr_assert_lt(ev->start, 0);
        if (k->len > -ev->start) {
            k->bytes = k->bytes / (uint64_t)k->len * (uint64_t)-ev->start;
            k->len = -ev->start;
        }
        k->trimmed = 1;
        break;
    case TRACE_OP_EXPIRE:
        cr_assert_eq(k->expire_us, 0, "one EXPIRE a key");
        cr_assert_gt(ev->ttl_us, 0);
        k->expire_us = ev->time_us + ev->ttl_us;
        break;
    default: cr_assert_fail("unexpected %s", trace_op_name(ev->op));
    }
    if (k->len > k->max_len) k->max_len = k->len;
    if (k->bytes > k->max_bytes) k->max_bytes = k->bytes;
}

static gen_run generate(const gen_params *p) {
    gen_run g = {.digest = TRACE_DIGEST_INIT, .keys = calloc(p->keys, sizeof(per_key))};
    trace_reader r;
    fs_err err;
    cr_assert_eq(trace_gen_open(&r, p, &err), 0, "%s", err.msg);
    trace_event ev;
    int rc;
    while ((rc = trace_next(&r, &ev, &err)) == 1) {
        g.events++;
        g.by_op[ev.op]++;
        g.digest = trace_digest_event(g.digest, &ev);
        g.digest = trace_digest_bytes(g.digest, &ev.score, sizeof ev.score);
        g.digest = trace_digest_bytes(g.digest, &ev.start, sizeof ev.start);
        if (ev.field != NULL) g.digest = trace_digest_bytes(g.digest, ev.field, ev.fieldlen);
        if (ev.op == TRACE_OP_TICK) {
            cr_assert_null(ev.key);
            cr_assert_eq(ev.time_us, (int64_t)(gen_duration(p) * TRACE_US_PER_S + 0.5));
        } else {
            follow(&g, &ev, p);
        }
    }
    cr_assert_eq(rc, 0, "generator error: %s", err.msg);
    trace_close(&r);
    cr_assert_eq(g.by_op[TRACE_OP_TICK], 1, "one closing TICK");
    cr_assert_eq(g.events, gen_events(p), "gen_events counts what the generator gives");
    return g;
}

static void preset(gen_params *p, const char *name, uint64_t keys, uint64_t seed) {
    const gen_preset *pr = gen_preset_find(name);
    cr_assert_not_null(pr, "preset %s", name);
    pr->init(p);
    p->keys = keys;
    p->seed = seed;
}

Test(gen_types, leaderboard_grows_rescores_removes_and_expires_boards) {
    gen_params p;
    preset(&p, "leaderboard", 400, 1);
    gen_run g = generate(&p);
    uint64_t past128 = 0, with_ttl = 0, members = 0;
    for (uint64_t i = 0; i < p.keys; i++) {
        per_key *k = &g.keys[i];
        cr_assert_gt(k->events, 0, "board %llu has no events", (unsigned long long)i);
        cr_assert(!k->expired_write, "board %llu written after its TTL", (unsigned long long)i);
        past128 += k->members > 128;
        with_ttl += k->expire_us > 0;
        members += k->members;
    }
    /* lognormal(50, 1): 17% of boards past 128; 30% with a TTL. */
    cr_assert(past128 >= 40 && past128 <= 110, "%llu of 400 boards past 128",
              (unsigned long long)past128);
    cr_assert(with_ttl >= 90 && with_ttl <= 150, "%llu of 400 boards with a TTL",
              (unsigned long long)with_ttl);
    cr_assert_eq(g.by_op[TRACE_OP_EXPIRE], with_ttl);
    cr_assert_gt(g.by_op[TRACE_OP_ZADD], members * 3 / 2, "rescores beside the %llu adds",
                 (unsigned long long)members);
    cr_assert_gt(g.by_op[TRACE_OP_ZREM], members / 20);
    cr_assert_eq(g.events, g.by_op[TRACE_OP_ZADD] + g.by_op[TRACE_OP_ZREM] +
                               g.by_op[TRACE_OP_EXPIRE] + 1, "nothing but sorted set events");
    free(g.keys);
}

Test(gen_types, queues_push_pop_trim_empty_and_back_up) {
    gen_params p;
    preset(&p, "queues", 300, 1);
    gen_run g = generate(&p);
    uint64_t emptied = 0, many_nodes = 0, trimmed = 0, left = 0;
    for (uint64_t i = 0; i < p.keys; i++) {
        per_key *k = &g.keys[i];
        cr_assert_gt(k->events, 0, "queue %llu has no events", (unsigned long long)i);
        emptied += k->emptied > 0;
        many_nodes += k->max_bytes > 4 * 8192; /* five 8 KB listpacks or more */
        trimmed += k->trimmed;
        left += k->len > 0;
    }
    cr_assert_gt(emptied, p.keys / 2, "%llu queues emptied", (unsigned long long)emptied);
    cr_assert_gt(many_nodes, p.keys / 20, "%llu queues over many nodes",
                 (unsigned long long)many_nodes);
    cr_assert(trimmed >= 20 && trimmed <= 80, "%llu capped logs", (unsigned long long)trimmed);
    cr_assert(left > 0 && left < p.keys / 2, "%llu queues left at the end",
              (unsigned long long)left);
    cr_assert_eq(g.by_op[TRACE_OP_EXPIRE], 0, "no TTL unless --ttl");
    cr_assert_eq(g.events, g.by_op[TRACE_OP_RPUSH] + g.by_op[TRACE_OP_LPOP] +
                               g.by_op[TRACE_OP_LTRIM] + 1, "nothing but list events");
    free(g.keys);
}

/* Same seed, same events (scores, members and ranges too); another seed,
 * another trace of as many keys. */
Test(gen_types, deterministic_from_the_seed) {
    const char *names[] = {"leaderboard", "queues"};
    for (int n = 0; n < 2; n++) {
        gen_params p;
        preset(&p, names[n], 50, 42);
        gen_run a = generate(&p), b = generate(&p);
        cr_assert_eq(a.events, b.events, "%s", names[n]);
        cr_assert_eq(a.digest, b.digest, "%s: same seed, other events", names[n]);
        p.seed = 43;
        gen_run c = generate(&p);
        cr_assert_neq(a.digest, c.digest, "%s: the seed changes nothing", names[n]);
        free(a.keys);
        free(b.keys);
        free(c.keys);
    }
}

/* --ttl gives queues TTLs (every key, ttl_share 1 outside the
 * leaderboard); --ttl none takes the leaderboard's away; --rate sets the
 * phase's length; --key-prefix names the keys. */
Test(gen_types, the_usual_options_apply) {
    gen_params p;
    preset(&p, "queues", 20, 3);
    fs_err err;
    cr_assert_eq(dist_parse(&p.ttl, "fixed:100", 0, "--ttl", &err), 0);
    p.rate = 1; /* 20 s of rounds */
    p.observe = 5;
    snprintf(p.key_prefix, sizeof p.key_prefix, "jobs:");
    cr_assert_eq(gen_duration(&p), 25);
    gen_run g = generate(&p);
    cr_assert_eq(g.by_op[TRACE_OP_EXPIRE], 20);
    free(g.keys);

    preset(&p, "leaderboard", 20, 3);
    cr_assert_eq(dist_parse(&p.ttl, "none", 0, "--ttl", &err), 0);
    g = generate(&p);
    cr_assert_eq(g.by_op[TRACE_OP_EXPIRE], 0);
    free(g.keys);
}

Test(gen_types, params_check) {
    gen_params p;
    preset(&p, "leaderboard", 10, 1);
    fs_err err;
    cr_assert_eq(gen_params_check(&p, &err), 0, "%s", err.msg);
    p.keys = GEN_TYPES_KEYS_MAX + 1;
    cr_assert_eq(gen_params_check(&p, &err), -1);
    cr_assert(strstr(err.msg, "--keys") != NULL, "%s", err.msg);
    p.keys = 10;
    p.rounds = 0;
    cr_assert_eq(gen_params_check(&p, &err), -1);
    trace_reader r;
    cr_assert_eq(trace_gen_open(&r, &p, &err), -1, "the generator refuses it too");
}
