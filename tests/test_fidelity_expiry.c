/* Fidelity (c): keys expiring while INFO memory is sampled.
 *
 * The seed's shape: keys with TTLs go, the allocator keeps the slabs they
 * shared with keys that stay, and the fragmentation ratio climbs.  The
 * workload runs on a real redis-server (maxmemory 0, no persistence) with
 * MONITOR capturing it and INFO memory read every 0.5 s; the capture is
 * replayed with `--object-model redis --expiry redis` on jemalloc, sampled
 * every 10 ms, and the ratio compared at matched times: each INFO's time in
 * the capture, from the capture's first command, against the replay's last
 * sample at or before that virtual time.
 *
 * The ratio is allocator_frag_ratio over what the workload added, as in
 * test_fidelity.c: (active - active before) / (allocated - allocated
 * before), on the server from INFO before the capture, in the replay from
 * its first sample.  mem_fragmentation_ratio is not compared: RSS is what
 * jemalloc's decay has not yet returned, which runs on wall time, on the
 * server in a background thread, and at --speed max not at all; the
 * allocator's active pages do not depend on it.
 *
 * Phases, each clearly apart in time:
 *   fill     30,000 keys of 10-2000 bytes, a random quarter by SETEX with a
 *            6 s TTL (group A), the rest by SET;
 *   A        A's TTLs run out; the test waits until DBSIZE shows them gone;
 *   B, C     a second and a third quarter get EXPIRE 1, one after the other,
 *            and the test waits for each to be gone.
 * A quarter stays.  At any moment only one group has a TTL, so every key in
 * the expires dict is past its TTL once the group's last TTL has run out:
 * Redis's active cycle then finds more than 10% stale in every sample and
 * goes on until the group is gone, and so does the replay's.  (Were several
 * groups' TTLs pending at once, both would stop with up to a tenth of the
 * expired keys still there, found later at a rate that depends on Redis's
 * bucket-scan order and fast cycle, neither of which the replay follows:
 * the numbers would say more about that than about the allocator.)
 *
 * Samples are "settled" when taken from 300 ms after a phase ended (the
 * fill's last command, or DBSIZE showing the group gone) until the next
 * phase begins, so that the cron has refreshed INFO's allocator figures
 * since and MONITOR's output buffer on the server has drained.  Settled
 * samples must agree within 0.1 and climb phase after phase on both sides.
 *
 * The others, taken while keys were being written or expired, are logged
 * and tabled but not checked: they cannot be matched in time.  INFO's
 * allocator_* fields are copied at the start of serverCron, before
 * databasesCron's active expire of the same tick, and Redis also expires
 * in its fast cycle between ticks, so while a group goes the server's
 * figures lag its keyspace by up to a tick (its used_memory, counted as it
 * goes, is already lower), at a phase of the server's cron the capture does
 * not show. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../sim/base/rng.h"
#include "fidelity.h"

TestSuite(fidelity, .timeout = 600);

#define EXP_KEYS 30000
#define TTL_A "6"             /* seconds: past the fill (3.5 s here) on a slower machine */
#define SAMPLE_EVERY_MS 500
#define SETTLE_MS 300         /* after a phase's end: a few cron refreshes */
#define PHASE_GAP_MS 1300     /* from a phase's end to the next phase */
#define RATIO_BOUND 0.1

enum { G_STAY, G_A, G_B, G_C, G__COUNT };
static const char *const phase_names[] = {"filling", "fill done", "A expiring", "A gone",
                                          "B expiring", "B gone", "C expiring", "C gone"};
enum { P_FILLING, P_FILLED, P_A_EXPIRING, P_A_GONE, P_B_EXPIRING, P_B_GONE, P_C_EXPIRING,
       P_C_GONE, P__COUNT };

typedef struct sample {
    redis_info_memory m;
    int phase;
    int settled;
} sample;

static struct {
    sample s[256];
    int n;
    int64_t next_ms;          /* when the next INFO is due */
    int phase;
    int64_t phase_end_ms;     /* when the current "done"/"gone" phase began */
} st;

/* Reads INFO memory when one is due.  Called between commands. */
static void maybe_sample(void) {
    int64_t t = fid_now_ms();
    if (t < st.next_ms) return;
    cr_assert_lt(st.n, (int)(sizeof st.s / sizeof st.s[0]), "too many samples");
    sample *s = &st.s[st.n++];
    cr_assert_eq(redis_info_memory_read(&fid_srv, &s->m), 0, "%s", fid_srv.err);
    s->phase = st.phase;
    /* The "done" and "gone" phases are the odd ones. */
    s->settled = (st.phase & 1) && t >= st.phase_end_ms + SETTLE_MS;
    st.next_ms += SAMPLE_EVERY_MS;
}

static void enter_phase(int phase) {
    st.phase = phase;
    if (phase & 1) st.phase_end_ms = fid_now_ms();
}

/* Samples on while waiting ms. */
static void idle(int ms) {
    int64_t until = fid_now_ms() + ms;
    while (fid_now_ms() < until) {
        maybe_sample();
        fid_sleep_ms(5);
    }
}

/* Waits (sampling on) until DBSIZE is keys. */
static void wait_for_dbsize(uint64_t keys, int timeout_ms) {
    int64_t deadline = fid_now_ms() + timeout_ms;
    uint64_t n;
    while ((n = fid_dbsize()) != keys) {
        cr_assert_lt(fid_now_ms(), deadline, "DBSIZE %" PRIu64 " after %d ms, expected %" PRIu64, n,
                     timeout_ms, keys);
        idle(20);
    }
}

static void key_name(char *buf, size_t n, uint32_t i, size_t *len) {
    *len = (size_t)snprintf(buf, n, "key:%08u", i);
}

/* Gives every key of group g a 1 s TTL, then waits until they are gone. */
static void expire_group(const uint8_t *group, int g, uint64_t keys_after) {
    char key[32];
    size_t klen;
    enter_phase(g == G_B ? P_B_EXPIRING : P_C_EXPIRING);
    for (uint32_t i = 0; i < EXP_KEYS; i++) {
        if (group[i] != g) continue;
        key_name(key, sizeof key, i, &klen);
        fid_send(3, (const char *const[]){"EXPIRE", key, "1"}, (const size_t[]){6, klen, 1});
        maybe_sample();
    }
    wait_for_dbsize(keys_after, 20000);
    enter_phase(g == G_B ? P_B_GONE : P_C_GONE);
}

/* The replay's ratio over what the model added, at the last sample at or
 * before virtual time t. */
static double replay_ratio_at(const tu_csv *c, double t, double base_alloc, double base_active) {
    size_t row = 0;
    while (row + 1 < c->nrows && tu_csv_get(c, row + 1, "virtual_time") <= t + 1e-9) row++;
    return (tu_csv_get(c, row, "allocator_active") - base_active) /
           (tu_csv_get(c, row, "allocator_allocated") - base_alloc);
}

/* The ratio of the last settled sample of phase p; NAN when none. */
static double last_settled(const double *ratio, int p) {
    double r = NAN;
    for (int i = 0; i < st.n; i++)
        if (st.s[i].settled && st.s[i].phase == p) r = ratio[i];
    return r;
}

Test(fidelity, setex_keys_expiring_while_sampled) {
    char *dir = tu_tmpdir();
    redis_info_memory m0;
    fid_start_capture(dir, &m0);

    static char value[2001];
    memset(value, 'v', sizeof value - 1);
    static uint8_t group[EXP_KEYS];
    uint64_t in_group[G__COUNT] = {0};
    rng r;
    rng_seed(&r, 20231127);
    char key[32];
    size_t klen;
    memset(&st, 0, sizeof st);
    enter_phase(P_FILLING);
    for (uint32_t i = 0; i < EXP_KEYS; i++) {
        group[i] = (uint8_t)rng_below(&r, G__COUNT);
        in_group[group[i]]++;
        key_name(key, sizeof key, i, &klen);
        size_t vlen = 10 + (size_t)rng_below(&r, 1991);
        if (group[i] == G_A)
            fid_send(4, (const char *const[]){"SETEX", key, TTL_A, value},
                     (const size_t[]){5, klen, strlen(TTL_A), vlen});
        else
            fid_send(3, (const char *const[]){"SET", key, value}, (const size_t[]){3, klen, vlen});
        /* The first sample after the first command, which starts the
         * capture's and the replay's clocks. */
        if (i == 0) st.next_ms = fid_now_ms() + SAMPLE_EVERY_MS;
        maybe_sample();
    }
    enter_phase(P_FILLED);
    uint64_t left = EXP_KEYS - in_group[G_A];
    /* A's TTLs run out 6 s after each SETEX. */
    while (fid_dbsize() == EXP_KEYS) idle(20);
    enter_phase(P_A_EXPIRING);
    wait_for_dbsize(left, 20000);
    enter_phase(P_A_GONE);
    idle(PHASE_GAP_MS);
    expire_group(group, G_B, left -= in_group[G_B]);
    idle(PHASE_GAP_MS);
    expire_group(group, G_C, left -= in_group[G_C]);
    idle(PHASE_GAP_MS);
    cr_assert_eq(redis_monitor_stop(&fid_srv), 0, "%s", fid_srv.err);
    redis_server_stop(&fid_srv);

    double t[256];
    int nt = fid_info_times(tu_path(dir, "monitor.txt"), t, 256, NULL);
    cr_assert_eq(nt, st.n, "%d INFO commands in the capture, %d samples taken", nt, st.n);
    fid_import(dir);
    tu_csv c;
    fid_replay(dir, (const char *const[]){"--expiry", "redis", "--sample-interval", "0.01", NULL},
               &c);
    double base_alloc = tu_csv_get(&c, 0, "allocator_allocated") - tu_csv_get(&c, 0, "used_memory");
    double base_active = tu_csv_get(&c, 0, "allocator_active") - tu_csv_get(&c, 0, "used_memory");
    cr_assert_eq(tu_csv_get(&c, c.nrows - 1, "keys"), (double)left, "keys left in the replay");

    static double redis_ratio[256], replay_ratio[256];
    static fid_row rows[256];
    size_t nrows = 0;
    int settled = 0;
    for (int i = 0; i < st.n; i++) {
        const redis_info_memory *m = &st.s[i].m;
        redis_ratio[i] = ((double)m->allocator_active - (double)m0.allocator_active) /
                         ((double)m->allocator_allocated - (double)m0.allocator_allocated);
        replay_ratio[i] = replay_ratio_at(&c, t[i], base_alloc, base_active);
        cr_log_info("fidelity setex-expiry: t %.3f s %-10s %s redis %.4f fragsim %.4f (%+.4f); "
                    "redis used_memory %" PRIu64 " rss %" PRIu64, t[i], phase_names[st.s[i].phase],
                    st.s[i].settled ? "settled" : "       ", redis_ratio[i], replay_ratio[i],
                    replay_ratio[i] - redis_ratio[i], m->used_memory, m->used_memory_rss);
        fid_row *row = &rows[nrows++];
        snprintf(row->field, sizeof row->field, "allocator_frag_ratio at %.2f s (%s)", t[i],
                 phase_names[st.s[i].phase]);
        row->redis = redis_ratio[i];
        row->fragsim = replay_ratio[i];
        row->bound = RATIO_BOUND;
        row->unchecked = !st.s[i].settled;
        settled += st.s[i].settled;
    }
    tu_csv_free(&c);
    fid_compare("setex-expiry", rows, nrows);
    /* At least one settled sample of every phase end, for the shape. */
    cr_assert_geq(settled, 4, "too few settled samples");

    /* The seed's shape on both sides: the ratio climbs with each group gone. */
    static const int shape[] = {P_FILLED, P_A_GONE, P_B_GONE, P_C_GONE};
    for (size_t k = 1; k < sizeof shape / sizeof shape[0]; k++) {
        double rb = last_settled(redis_ratio, shape[k - 1]), ra = last_settled(redis_ratio, shape[k]);
        double fb = last_settled(replay_ratio, shape[k - 1]), fa = last_settled(replay_ratio, shape[k]);
        cr_log_info("fidelity setex-expiry: %s -> %s: redis %.4f -> %.4f, fragsim %.4f -> %.4f",
                    phase_names[shape[k - 1]], phase_names[shape[k]], rb, ra, fb, fa);
        cr_expect(ra > rb, "redis's ratio did not climb from %s to %s", phase_names[shape[k - 1]],
                  phase_names[shape[k]]);
        cr_expect(fa > fb, "the replay's ratio did not climb from %s to %s",
                  phase_names[shape[k - 1]], phase_names[shape[k]]);
    }
    tu_rmtree(dir);
    free(dir);
}
