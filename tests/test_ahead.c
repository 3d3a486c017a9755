/* Read-ahead (keyspace.h's ks_ahead, engine_ahead, sim/cli/run_ahead.c): a
 * hint that changes nothing.  The same operations give the same slots
 * with and without it, a replay through the read-ahead ends exactly as one
 * that reads and applies each event in turn, and an error names the event
 * it happened at, not the reader's position further on. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../sim/base/keyspace.h"
#include "../sim/base/rng.h"
#include "../sim/cli/run_ahead.h"
#include "../sim/engine.h"
#include "test_backend.h"
#include "test_util.h"

#define NOPS 200000u
#define NKEYS 30000u

static uint32_t op_key(char *buf, uint32_t k) { return (uint32_t)sprintf(buf, "key:%u", k); }

Test(ahead, keyspace_gives_the_same_slots_with_and_without_ks_ahead) {
    static uint32_t keys[NOPS];
    rng r;
    rng_seed(&r, 7);
    for (uint32_t i = 0; i < NOPS; i++) keys[i] = (uint32_t)rng_below(&r, NKEYS);
    keyspace a, b;
    fs_err err;
    cr_assert_eq(ks_init(&a, &err), 0, "%s", err.msg);
    cr_assert_eq(ks_init(&b, &err), 0, "%s", err.msg);
    char buf[32], next[32];
    uint64_t inserted = 0, deleted = 0;
    for (uint32_t i = 0; i < NOPS; i++) {
        if (i + KS_AHEAD_EVENTS < NOPS)
            ks_ahead(&b, next, op_key(next, keys[i + KS_AHEAD_EVENTS]), (int)(i & 1));
        uint32_t len = op_key(buf, keys[i]);
        uint32_t sa = ks_find(&a, buf, len), sb = ks_find(&b, buf, len);
        cr_assert_eq(sa, sb, "op %u: found slot %u without read-ahead, %u with", i, sa, sb);
        if (sa == KS_NONE) { /* absent: insert (the keyspace grows through its sizes) */
            sa = ks_insert(&a, buf, len, &err);
            sb = ks_insert(&b, buf, len, &err);
            cr_assert_neq(sa, KS_NONE, "%s", err.msg);
            cr_assert_eq(sa, sb, "op %u: inserted at %u and %u", i, sa, sb);
            inserted++;
        } else if (keys[i] % 3 == 0) { /* present: delete a third of the keys' hits */
            ks_delete(&a, sa);
            ks_delete(&b, sb);
            deleted++;
        }
    }
    cr_assert_eq(a.count, b.count);
    cr_assert_eq(a.count, inserted - deleted);
    cr_assert_gt(deleted, 1000, "the sequence deletes (%llu)", (unsigned long long)deleted);
    ks_destroy(&a);
    ks_destroy(&b);
}

/* A trace of SETs with TTLs, APPENDs, DELs and EXPIREs over 40 keys. */
static const char *write_trace(const char *dir) {
    static char path[4096];
    snprintf(path, sizeof path, "%s/t.trace", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "fragsim-trace v1\n");
    rng r;
    rng_seed(&r, 3);
    for (int i = 0; i < 3000; i++) {
        unsigned k = (unsigned)rng_below(&r, 40), op = (unsigned)rng_below(&r, 10);
        double t = i * 0.01;
        unsigned ttl = (unsigned)rng_below(&r, 3) * 5;
        if (op < 5 && ttl > 0)
            fprintf(f, "%.2f SET k%u %u %u\n", t, k, 1 + (unsigned)rng_below(&r, 500), ttl);
        else if (op < 5) fprintf(f, "%.2f SET k%u %u\n", t, k, 1 + (unsigned)rng_below(&r, 500));
        else if (op < 7) fprintf(f, "%.2f APPEND k%u %u\n", t, k, 1 + (unsigned)rng_below(&r, 50));
        else if (op < 9) fprintf(f, "%.2f DEL k%u\n", t, k);
        else fprintf(f, "%.2f EXPIRE k%u %u\n", t, k, (unsigned)rng_below(&r, 4));
    }
    fclose(f);
    return path;
}

static void engine_start(engine *e, void **st) {
    fs_err err;
    cr_assert_eq(test_backend.init(st, &err), 0);
    engine_config cfg = {.sample_interval_us = 1000000};
    cr_assert_eq(engine_init(e, &test_backend, *st, &cfg, &err), 0, "%s", err.msg);
}

Test(ahead, a_replay_through_the_read_ahead_ends_as_one_without) {
    char *dir = tu_tmpdir();
    const char *path = write_trace(dir);
    engine_counters c[2];
    uint64_t keys[2];
    for (int with = 0; with < 2; with++) {
        engine e;
        void *st;
        engine_start(&e, &st);
        trace_reader tr;
        fs_err err;
        cr_assert_eq(trace_open(&tr, path, NULL, &err), 0, "%s", err.msg);
        int rc;
        if (with) {
            run_ahead ra;
            const trace_event *ev;
            cr_assert_eq(run_ahead_init(&ra, &tr, &e, &err), 0, "%s", err.msg);
            while ((rc = run_ahead_next(&ra, &ev, &err)) == 1)
                cr_assert_eq(engine_apply(&e, ev, &err), 0, "%s", err.msg);
            run_ahead_free(&ra);
        } else {
            trace_event ev;
            while ((rc = trace_next(&tr, &ev, &err)) == 1)
                cr_assert_eq(engine_apply(&e, &ev, &err), 0, "%s", err.msg);
        }
        cr_assert_eq(rc, 0, "%s", err.msg);
        cr_assert_eq(engine_finish(&e, &err), 0, "%s", err.msg);
        c[with] = e.c;
        keys[with] = e.ks.count;
        trace_close(&tr);
        engine_destroy(&e);
    }
    cr_assert_eq(c[0].events, 3000);
    cr_assert_gt(c[0].expired_keys, 0, "the trace expires keys");
    cr_assert_eq(memcmp(&c[0], &c[1], sizeof c[0]), 0,
                 "counters differ: events %llu/%llu, used_memory %llu/%llu, expired %llu/%llu",
                 (unsigned long long)c[0].events, (unsigned long long)c[1].events,
                 (unsigned long long)c[0].used_memory, (unsigned long long)c[1].used_memory,
                 (unsigned long long)c[0].expired_keys, (unsigned long long)c[1].expired_keys);
    cr_assert_eq(keys[0], keys[1]);
    tu_rmtree(dir);
}

Test(ahead, an_error_names_its_event_not_the_readers_position) {
    char *dir = tu_tmpdir();
    const char *path = write_trace(dir);
    engine e;
    void *st;
    engine_start(&e, &st);
    trace_reader tr;
    fs_err err;
    cr_assert_eq(trace_open(&tr, path, NULL, &err), 0, "%s", err.msg);
    run_ahead ra;
    const trace_event *ev;
    cr_assert_eq(run_ahead_init(&ra, &tr, &e, &err), 0, "%s", err.msg);
    char where[800], want[800];
    for (int i = 1; i <= 3000; i++) {
        cr_assert_eq(run_ahead_next(&ra, &ev, &err), 1, "%s", err.msg);
        cr_assert_eq(engine_apply(&e, ev, &err), 0, "%s", err.msg);
        run_ahead_where(&ra, where, sizeof where);
        /* The header is line 1: event i is on line i + 1. */
        if (i == 5)
            snprintf(want, sizeof want, "%s:%u (%u events back: the trace's event 5)", path,
                     5 + ENGINE_AHEAD_EVENTS + 1, ENGINE_AHEAD_EVENTS);
        else if (i == 3000)
            snprintf(want, sizeof want, "%s:3001", path);
        else
            continue;
        cr_assert_str_eq(where, want);
    }
    cr_assert_eq(run_ahead_next(&ra, &ev, &err), 0);
    run_ahead_free(&ra);
    trace_close(&tr);
    engine_destroy(&e);
    tu_rmtree(dir);
}
