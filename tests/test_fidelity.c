/* Fidelity: fragsim's redis object model against a real redis-server.
 *
 * A workload is sent to Debian's redis-server (maxmemory 0, no persistence)
 * with MONITOR capturing it; the capture is imported (fragsim import
 * monitor) and replayed with `fragsim run --object-model redis --speed max`
 * on jemalloc, the allocator Debian's server uses.  What is compared is what
 * the workload added: the server's INFO memory after it, less before it;
 * fragsim's final sample, less what its allocator held besides the model at
 * the first event (stdio and the like, on both sides not part of the data).
 *
 * Both run Debian's jemalloc with its defaults.  Workloads: (a) fill, then
 * delete a random 70%; (b) fill past maxmemory under allkeys-lru.
 *
 * Bounds: used_memory within 2%, allocator_allocated and allocator_active
 * within 5%, allocator_frag_ratio within 0.05.  The table goes to the log. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../sim/rng.h"
#include "redis_harness.h"
#include "test_util.h"

TestSuite(fidelity, .timeout = 600);

static redis_server srv;

static void send_cmd(int argc, const char *const *argv, const size_t *lens) {
    redis_reply *r = redis_command_argv(&srv, argc, argv, lens);
    cr_assert_not_null(r, "%s: %s", argv[0], srv.err);
    cr_assert_neq(r->type, '-', "%s: %s", argv[0], r->str);
    redis_reply_free(r);
}

typedef struct figures {
    double used_memory, allocated, active, frag_ratio;
} figures;

static void runs(const char *dir, const char *const *argv) {
    tu_result r;
    cr_assert_eq(tu_run(&r, dir, NULL, argv), 0);
    cr_assert_eq(r.exit_code, 0, "%s %s failed (%d): %s", argv[0], argv[1], r.exit_code, r.err);
    tu_result_free(&r);
}

/* Replays the imported capture (w.trace) with the extra options and reads
 * what the model added. */
static figures replay_trace(const char *dir, const char *const *extra) {
    const char *argv[32] = {FRAGSIM_BIN, "run", "--allocator", "jemalloc", "--object-model",
                            "redis", "--speed", "max", "-q", "--no-progress", "w.trace", "-o",
                            "res"};
    int n = 13;
    for (int i = 0; extra != NULL && extra[i] != NULL && n < 31; i++) argv[n++] = extra[i];
    argv[n] = NULL;
    runs(dir, argv);
    tu_csv c;
    cr_assert_eq(tu_csv_load(&c, tu_path(dir, "res/series.csv")), 0);
    cr_assert(c.nrows >= 2);
    size_t last = c.nrows - 1;
    /* What the process's allocator held besides the model at the first
     * event (the model's first key is in used_memory). */
    double base_alloc = tu_csv_get(&c, 0, "allocator_allocated") - tu_csv_get(&c, 0, "used_memory");
    double base_active = tu_csv_get(&c, 0, "allocator_active") - tu_csv_get(&c, 0, "used_memory");
    figures f = {
        .used_memory = tu_csv_get(&c, last, "used_memory"),
        .allocated = tu_csv_get(&c, last, "allocator_allocated") - base_alloc,
        .active = tu_csv_get(&c, last, "allocator_active") - base_active,
    };
    f.frag_ratio = f.active / f.allocated;
    cr_log_info("fidelity: fragsim absolute used_memory %.0f allocated %.0f active %.0f "
                "ratio %.4f; before the model allocated %.0f active %.0f",
                tu_csv_get(&c, last, "used_memory"), tu_csv_get(&c, last, "allocator_allocated"),
                tu_csv_get(&c, last, "allocator_active"), tu_csv_get(&c, last, "allocator_frag_ratio"),
                base_alloc, base_active);
    tu_csv_free(&c);
    return f;
}

/* INFO's allocator_* fields are the cron's copy of jemalloc's statistics,
 * refreshed every 100 ms: read them after a few refreshes, so they show the
 * end of the workload rather than a moment inside it. */
static void info_settled(redis_info_memory *m) {
    struct timespec ts = {0, 350 * 1000 * 1000};
    nanosleep(&ts, NULL);
    cr_assert_eq(redis_info_memory_read(&srv, m), 0, "%s", srv.err);
}

static figures server_delta(const redis_info_memory *a, const redis_info_memory *b) {
    figures f = {
        .used_memory = (double)b->used_memory - (double)a->used_memory,
        .allocated = (double)b->allocator_allocated - (double)a->allocator_allocated,
        .active = (double)b->allocator_active - (double)a->allocator_active,
    };
    f.frag_ratio = f.active / f.allocated;
    return f;
}

/* Logs the table, then checks every bound (all rows are logged first, so a
 * failure still shows every number). */
static void compare(const char *workload, const figures *r, const figures *s) {
    struct { const char *name; double rv, sv, bound; int relative; } rows[] = {
        {"used_memory", r->used_memory, s->used_memory, 0.02, 1},
        {"allocator_allocated", r->allocated, s->allocated, 0.05, 1},
        {"allocator_active", r->active, s->active, 0.05, 1},
        {"allocator_frag_ratio", r->frag_ratio, s->frag_ratio, 0.05, 0},
    };
    int n = (int)(sizeof rows / sizeof rows[0]), ok[4];
    cr_log_info("fidelity %s: field | redis | fragsim | error | bound", workload);
    for (int i = 0; i < n; i++) {
        double e = rows[i].relative ? (rows[i].sv - rows[i].rv) / rows[i].rv : rows[i].sv - rows[i].rv;
        ok[i] = fabs(e) <= rows[i].bound;
        if (rows[i].relative)
            cr_log_info("fidelity %s: %s | %.0f | %.0f | %+.2f%% | %.0f%%%s", workload, rows[i].name,
                        rows[i].rv, rows[i].sv, 100 * e, 100 * rows[i].bound, ok[i] ? "" : " FAIL");
        else
            cr_log_info("fidelity %s: %s | %.4f | %.4f | %+.4f | %.2f%s", workload, rows[i].name,
                        rows[i].rv, rows[i].sv, e, rows[i].bound, ok[i] ? "" : " FAIL");
    }
    for (int i = 0; i < n; i++) cr_expect(ok[i], "%s: %s outside its bound", workload, rows[i].name);
}

#define FILL_KEYS 50000

Test(fidelity, fill_then_delete_70_percent) {
    char *dir = tu_tmpdir();
    /* Read by the server's jemalloc at start (the test process runs glibc's
     * malloc, so only the server sees it). */
    cr_assert_eq(redis_server_start(&srv, (const char *const[]){"--maxmemory", "0", NULL}), 0,
                 "%s", srv.err);
    redis_info_memory m0, m1;
    info_settled(&m0);
    cr_assert_eq(redis_monitor_start(&srv, tu_path(dir, "monitor.txt")), 0, "%s", srv.err);

    static char value[2001];
    memset(value, 'v', sizeof value - 1);
    static uint32_t order[FILL_KEYS];
    rng r;
    rng_seed(&r, 20231125);
    char key[32];
    for (uint32_t i = 0; i < FILL_KEYS; i++) {
        size_t klen = (size_t)snprintf(key, sizeof key, "key:%08u", i);
        size_t vlen = 10 + (size_t)rng_below(&r, 1991);
        send_cmd(3, (const char *const[]){"SET", key, value}, (const size_t[]){3, klen, vlen});
        order[i] = i;
    }
    for (uint32_t i = FILL_KEYS - 1; i > 0; i--) { /* a random 70% goes */
        uint32_t j = (uint32_t)rng_below(&r, i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (uint32_t i = 0; i < FILL_KEYS * 7 / 10; i++) {
        size_t klen = (size_t)snprintf(key, sizeof key, "key:%08u", order[i]);
        send_cmd(2, (const char *const[]){"DEL", key}, (const size_t[]){3, klen});
    }
    cr_assert_eq(redis_monitor_stop(&srv), 0, "%s", srv.err);
    info_settled(&m1);
    redis_server_stop(&srv);

    figures s = server_delta(&m0, &m1);
    runs(dir, (const char *const[]){FRAGSIM_BIN, "import", "monitor", "monitor.txt", "-o",
                                    "w.trace", NULL});
    figures f = replay_trace(dir, NULL);
    cr_log_info("fidelity fill-delete70: redis %s; before: used_memory %llu allocated %llu "
                "active %llu; after: used_memory %llu allocated %llu active %llu ratio %.4f",
                m1.mem_allocator, (unsigned long long)m0.used_memory,
                (unsigned long long)m0.allocator_allocated, (unsigned long long)m0.allocator_active,
                (unsigned long long)m1.used_memory, (unsigned long long)m1.allocator_allocated,
                (unsigned long long)m1.allocator_active, m1.allocator_frag_ratio);
    compare("fill-delete70", &s, &f);
    tu_rmtree(dir);
    free(dir);
}

/* (b) allkeys-lru eviction: the server evicts under a 16 MB maxmemory, which
 * counts its start-up memory too; fragsim gets the same limit less that, and
 * evicts on its own from the SETs of the capture (evictions are not
 * commands: MONITOR does not show them). */
#define LRU_KEYS 60000
#define LRU_MAXMEMORY (16u << 20)

Test(fidelity, lru_eviction_under_maxmemory) {
    char *dir = tu_tmpdir();
    char mm[32];
    snprintf(mm, sizeof mm, "%u", LRU_MAXMEMORY);
    cr_assert_eq(redis_server_start(&srv, (const char *const[]){"--maxmemory", mm,
                                    "--maxmemory-policy", "allkeys-lru", NULL}), 0, "%s", srv.err);
    redis_info_memory m0, m1;
    info_settled(&m0);
    cr_assert_eq(redis_monitor_start(&srv, tu_path(dir, "monitor.txt")), 0, "%s", srv.err);
    static char value[2001];
    memset(value, 'v', sizeof value - 1);
    rng r;
    rng_seed(&r, 20231126);
    char key[32];
    for (uint32_t i = 0; i < LRU_KEYS; i++) {
        size_t klen = (size_t)snprintf(key, sizeof key, "key:%08u", i);
        size_t vlen = 10 + (size_t)rng_below(&r, 1991);
        send_cmd(3, (const char *const[]){"SET", key, value}, (const size_t[]){3, klen, vlen});
    }
    cr_assert_eq(redis_monitor_stop(&srv), 0, "%s", srv.err);
    info_settled(&m1);
    redis_server_stop(&srv);

    figures s = server_delta(&m0, &m1);
    snprintf(mm, sizeof mm, "%llu", (unsigned long long)(LRU_MAXMEMORY - m0.used_memory));
    runs(dir, (const char *const[]){FRAGSIM_BIN, "import", "monitor", "monitor.txt", "-o",
                                    "w.trace", NULL});
    figures f = replay_trace(dir, (const char *const[]){"--maxmemory", mm, "--maxmemory-policy",
                                                        "allkeys-lru", NULL});
    cr_log_info("fidelity lru-evict: redis after: used_memory %llu allocated %llu active %llu",
                (unsigned long long)m1.used_memory, (unsigned long long)m1.allocator_allocated,
                (unsigned long long)m1.allocator_active);
    compare("lru-evict", &s, &f);
    tu_rmtree(dir);
    free(dir);
}
