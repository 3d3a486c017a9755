/* What the fidelity tests share (fidelity.h). */
#define _GNU_SOURCE
#include "fidelity.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../sim/base/rng.h"

redis_server fid_srv;

void fid_send(int argc, const char *const *argv, const size_t *lens) {
    redis_reply *r = redis_command_argv(&fid_srv, argc, argv, lens);
    cr_assert_not_null(r, "%s: %s", argv[0], fid_srv.err);
    cr_assert_neq(r->type, '-', "%s: %s", argv[0], r->str);
    redis_reply_free(r);
}

void fid_cmd(int argc, const char *const *argv) {
    size_t lens[16];
    cr_assert_leq(argc, 16);
    for (int i = 0; i < argc; i++) lens[i] = strlen(argv[i]);
    fid_send(argc, argv, lens);
}

void fid_send_members(const char *op, const char *key, const char *m, size_t stride, uint32_t n,
                      uint32_t per_cmd) {
    const char *argv[2 + 64];
    size_t lens[2 + 64];
    cr_assert_leq(per_cmd, 64);
    for (uint32_t from = 0; from < n; from += per_cmd) {
        int c = 0;
        argv[c] = op, lens[c++] = strlen(op);
        argv[c] = key, lens[c++] = strlen(key);
        for (uint32_t j = from; j < n && j < from + per_cmd; j++) {
            argv[c] = m + j * stride;
            lens[c] = strlen(argv[c]);
            c++;
        }
        fid_send(c, argv, lens);
    }
}

int64_t fid_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void fid_sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

uint64_t fid_dbsize(void) {
    redis_reply *r = redis_command(&fid_srv, "DBSIZE", NULL);
    cr_assert_not_null(r, "DBSIZE: %s", fid_srv.err);
    cr_assert_eq(r->type, ':', "DBSIZE: reply of type %c", r->type);
    uint64_t n = (uint64_t)r->integer;
    redis_reply_free(r);
    return n;
}

void fid_run(const char *dir, const char *const *argv) {
    tu_result r;
    cr_assert_eq(tu_run(&r, dir, NULL, argv), 0);
    cr_assert_eq(r.exit_code, 0, "%s %s failed (%d): %s", argv[0], argv[1], r.exit_code, r.err);
    tu_result_free(&r);
}

void fid_import(const char *dir) {
    fid_run(dir, (const char *const[]){FRAGSIM_BIN, "import", "monitor", "monitor.txt", "-o",
                                       "w.trace", NULL});
}

const char *fid_allocator(void) {
    const char *allocator = getenv("FRAGSIM_TEST_ALLOCATOR");
    return allocator != NULL && *allocator ? allocator : "jemalloc";
}

void fid_replay(const char *dir, const char *const *extra, tu_csv *c) {
    fid_replay_on(dir, fid_allocator(), "res", extra, c);
}

void fid_replay_on(const char *dir, const char *allocator, const char *res,
                   const char *const *extra, tu_csv *c) {
    const char *argv[32] = {FRAGSIM_BIN, "run", "--allocator", allocator, "--object-model",
                            "redis", "-q", "--no-progress", "w.trace", "-o",
                            res};
    int n = 11;
    for (int i = 0; extra != NULL && extra[i] != NULL; i++) {
        cr_assert_lt(n, 31, "too many options");
        argv[n++] = extra[i];
    }
    argv[n] = NULL;
    fid_run(dir, argv);
    char series[128];
    snprintf(series, sizeof series, "%s/series.csv", res);
    cr_assert_eq(tu_csv_load(c, tu_path(dir, series)), 0);
    cr_assert(c->nrows >= 2);
}

void fid_purge(void) {
    fid_send(2, (const char *const[]){"MEMORY", "PURGE"}, (const size_t[]){6, 5});
}

void fid_start_capture(const char *dir, redis_info_memory *m0) {
    cr_assert_eq(redis_server_start(&fid_srv, (const char *const[]){"--maxmemory", "0", NULL}), 0,
                 "%s", fid_srv.err);
    fid_info_settled(m0);
    cr_assert_eq(redis_monitor_start(&fid_srv, tu_path(dir, "monitor.txt")), 0, "%s",
                 fid_srv.err);
}

int fid_info_times(const char *path, double *t, int max, double *last_set) {
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot open %s", path);
    char line[512];
    long long s0 = -1, us0 = 0;
    int n = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        long long sec, usec;
        if (sscanf(line, "%lld.%lld ", &sec, &usec) != 2) continue; /* redis-cli's OK */
        if (s0 < 0) s0 = sec, us0 = usec;
        double at = (double)(sec - s0) + (double)(usec - us0) / 1e6;
        if (strstr(line, "] \"INFO\" \"memory\"") != NULL && n < max) t[n++] = at;
        if (last_set != NULL && (strstr(line, "] \"SET\" ") != NULL ||
                                 strstr(line, "] \"SETEX\" ") != NULL))
            *last_set = at;
    }
    fclose(f);
    return n;
}

void fid_fill_delete(uint32_t keys, size_t vmin, size_t vmax, uint64_t seed) {
    static char value[4096];
    cr_assert_leq(vmax, sizeof value);
    memset(value, 'v', sizeof value);
    uint32_t *order = malloc(keys * sizeof *order);
    cr_assert_not_null(order);
    rng r;
    rng_seed(&r, seed);
    char key[32];
    for (uint32_t i = 0; i < keys; i++) {
        size_t klen = (size_t)snprintf(key, sizeof key, "key:%08u", i);
        size_t vlen = vmin + (size_t)rng_below(&r, vmax - vmin + 1);
        fid_send(3, (const char *const[]){"SET", key, value}, (const size_t[]){3, klen, vlen});
        order[i] = i;
    }
    for (uint32_t i = keys - 1; i > 0; i--) { /* a random 70% goes */
        uint32_t j = (uint32_t)rng_below(&r, i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (uint32_t i = 0; i < keys * 7 / 10; i++) {
        size_t klen = (size_t)snprintf(key, sizeof key, "key:%08u", order[i]);
        fid_send(2, (const char *const[]){"DEL", key}, (const size_t[]){3, klen});
    }
    free(order);
}

fid_figures fid_replay_figures(const char *dir, const char *allocator, const char *res,
                               const char *const *extra) {
    tu_csv c;
    fid_replay_on(dir, allocator, res, extra, &c);
    size_t last = c.nrows - 1;
    /* What the process's allocator held besides the model at the first
     * event (the model's first key is in used_memory). */
    double base_alloc = tu_csv_get(&c, 0, "allocator_allocated") - tu_csv_get(&c, 0, "used_memory");
    double base_active = tu_csv_get(&c, 0, "allocator_active") - tu_csv_get(&c, 0, "used_memory");
    fid_figures f = {
        .used_memory = tu_csv_get(&c, last, "used_memory"),
        .allocated = tu_csv_get(&c, last, "allocator_allocated") - base_alloc,
        .active = tu_csv_get(&c, last, "allocator_active") - base_active,
        .keys = tu_csv_get(&c, last, "keys"),
        .mem_frag = tu_csv_get(&c, last, "mem_fragmentation_ratio"),
        .rss = tu_csv_get(&c, last, "used_memory_rss"),
        .server_used = tu_csv_get(&c, last, "used_memory") +
                       tu_csv_get(&c, last, "used_memory_startup"),
    };
    f.frag_ratio = f.active / f.allocated;
    cr_log_info("fidelity: fragsim on %s: printed mem_fragmentation_ratio %.4f = used_memory_rss "
                "%.0f / used_memory with start-up %.0f (process_rss %.0f, engine_rss %.0f)",
                allocator, f.mem_frag, f.rss, f.server_used, tu_csv_get(&c, last, "process_rss"),
                tu_csv_get(&c, last, "engine_rss"));
    cr_log_info("fidelity: fragsim on %s: absolute used_memory %.0f allocated %.0f active %.0f "
                "ratio %.4f; before the model allocated %.0f active %.0f", allocator,
                tu_csv_get(&c, last, "used_memory"), tu_csv_get(&c, last, "allocator_allocated"),
                tu_csv_get(&c, last, "allocator_active"), tu_csv_get(&c, last, "allocator_frag_ratio"),
                base_alloc, base_active);
    tu_csv_free(&c);
    return f;
}

fid_figures fid_server_delta(const redis_info_memory *a, const redis_info_memory *b) {
    fid_figures f = {
        .used_memory = (double)b->used_memory - (double)a->used_memory,
        .allocated = (double)b->allocator_allocated - (double)a->allocator_allocated,
        .active = (double)b->allocator_active - (double)a->allocator_active,
        .clients = (double)b->mem_clients_normal - (double)a->mem_clients_normal,
        .mem_frag = b->mem_fragmentation_ratio,
        .rss = (double)b->used_memory_rss,
        .server_used = (double)b->used_memory,
    };
    f.frag_ratio = f.active / f.allocated;
    cr_log_info("fidelity: server: mem_fragmentation_ratio %.2f = used_memory_rss %llu / "
                "used_memory %llu (empty: %llu / %llu)", b->mem_fragmentation_ratio,
                (unsigned long long)b->used_memory_rss, (unsigned long long)b->used_memory,
                (unsigned long long)a->used_memory_rss, (unsigned long long)a->used_memory);
    return f;
}

void fid_info_settled(redis_info_memory *m) {
    struct timespec ts = {0, 350 * 1000 * 1000};
    nanosleep(&ts, NULL);
    cr_assert_eq(redis_info_memory_read(&fid_srv, m), 0, "%s", fid_srv.err);
    cr_log_info("fidelity: server %s (mem_allocator %s)", fid_srv.server, m->mem_allocator);
}

static double row_error(const fid_row *r) {
    return r->relative ? (r->fragsim - r->redis) / r->redis : r->fragsim - r->redis;
}

/* Rewrites the table: its header, the other workloads' rows as they were,
 * then this workload's rows.  The fidelity tests run one at a time (ctest
 * RUN_SERIAL, --jobs 1), so nothing else writes the file meanwhile. */
static void table_put(const char *workload, const fid_row *rows, size_t n) {
    static const char header[] = "workload,field,redis,fragsim,error,bound,error_unit,within\n";
    size_t len = 0;
    char *old = tu_exists(FID_TABLE) ? tu_read_file(FID_TABLE, &len) : NULL;
    char tmp[sizeof FID_TABLE + 16];
    snprintf(tmp, sizeof tmp, "%s.partial", FID_TABLE);
    FILE *f = fopen(tmp, "w");
    cr_assert_not_null(f, "cannot write %s", tmp);
    fputs(header, f);
    size_t wl = strlen(workload);
    for (char *line = old, *end; line != NULL && *line != '\0'; line = end) {
        end = strchr(line, '\n');
        end = end != NULL ? end + 1 : line + strlen(line);
        int ours = (size_t)(end - line) > wl && memcmp(line, workload, wl) == 0 && line[wl] == ',';
        if (!ours && memcmp(line, header, sizeof header - 1) != 0)
            fwrite(line, 1, (size_t)(end - line), f);
    }
    for (size_t i = 0; i < n; i++) {
        const fid_row *r = &rows[i];
        double e = row_error(r), scale = r->relative ? 100 : 1;
        fprintf(f, "%s,%s,%.10g,%.10g,%+.4f,%.4g,%s,%s\n", workload, r->field, r->redis,
                r->fragsim, scale * e, scale * r->bound, r->relative ? "percent" : "absolute",
                r->unchecked ? "not checked" : fabs(e) <= r->bound ? "yes" : "no");
    }
    cr_assert_eq(fclose(f), 0, "cannot write %s", tmp);
    cr_assert_eq(rename(tmp, FID_TABLE), 0, "cannot rename %s", tmp);
    free(old);
}

int fid_compare(const char *workload_in, const fid_row *rows, size_t n) {
    /* Measured against another build (fid_replay): its own rows. */
    char workload[128];
    const char *other = getenv("FRAGSIM_TEST_ALLOCATOR");
    snprintf(workload, sizeof workload, "%s%s%s", other != NULL && *other ? other : "",
             other != NULL && *other ? "@" : "", workload_in);
    cr_log_info("fidelity %s: field | redis | fragsim | error | bound", workload);
    int outside = 0;
    for (size_t i = 0; i < n; i++) {
        const fid_row *r = &rows[i];
        double e = row_error(r);
        int ok = fabs(e) <= r->bound;
        outside += !ok && !r->unchecked;
        const char *mark = r->unchecked ? " (not checked)" : ok ? "" : " FAIL";
        if (r->relative)
            cr_log_info("fidelity %s: %s | %.0f | %.0f | %+.2f%% | %.0f%%%s", workload, r->field,
                        r->redis, r->fragsim, 100 * e, 100 * r->bound, mark);
        else
            cr_log_info("fidelity %s: %s | %.4f | %.4f | %+.4f | %.2f%s", workload, r->field,
                        r->redis, r->fragsim, e, r->bound, mark);
    }
    table_put(workload, rows, n);
    for (size_t i = 0; i < n; i++)
        if (!rows[i].unchecked)
            cr_expect(fabs(row_error(&rows[i])) <= rows[i].bound, "%s: %s outside its bound",
                      workload, rows[i].field);
    return outside;
}

void fid_start_monitored(const char *dir, redis_info_memory *m0, const char *const *extra) {
    const char *args[16] = {"--maxmemory", "0"};
    for (int i = 0; extra != NULL && extra[i] != NULL; i++) {
        cr_assert_lt(i + 3, 16, "too many server options");
        args[i + 2] = extra[i];
    }
    cr_assert_eq(redis_server_start(&fid_srv, args), 0, "%s", fid_srv.err);
    cr_assert_eq(redis_monitor_start(&fid_srv, tu_path(dir, "monitor.txt")), 0, "%s",
                 fid_srv.err);
    fid_info_settled(m0);
}

fid_figures fid_stop_and_import(const char *dir, const redis_info_memory *m0) {
    redis_info_memory m1;
    cr_assert_eq(redis_monitor_stop(&fid_srv), 0, "%s", fid_srv.err);
    fid_info_settled(&m1);
    uint64_t keys = fid_dbsize();
    redis_server_stop(&fid_srv);
    fid_figures s = fid_server_delta(m0, &m1);
    s.keys = (double)keys;
    fid_import(dir);
    return s;
}

void fid_finish_types(const char *dir, const char *workload, const redis_info_memory *m0,
                      const char *counter, int expect_conversions) {
    fid_figures s = fid_stop_and_import(dir, m0);
    fid_figures f = fid_replay_figures(dir, fid_allocator(), "res", NULL);
    char *sum = tu_read_file(tu_path(dir, "res/summary.json"), NULL);
    cr_assert_not_null(sum);
    double conversions = tu_json_num(sum, "\"engine\"", counter);
    double reallocs = tu_json_num(sum, "\"engine\"", "reallocs");
    cr_log_info("fidelity %s: %.0f %s, %.0f reallocs in the replay", workload, conversions,
                counter, reallocs);
    free(sum);
    cr_assert_gt(reallocs, 0, "listpacks and intsets grow by realloc");
    if (expect_conversions) cr_assert_gt(conversions, 0, "%s: past the conversion", counter);
    else cr_assert_eq(conversions, 0, "%s: every key stays in its compact encoding", counter);
    fid_row rows[] = {
        {"used_memory", s.used_memory, f.used_memory, 0.02, 1, 0},
        {"allocator_allocated", s.allocated, f.allocated, 0.02, 1, 0},
        {"allocator_active", s.active, f.active, 0.03, 1, 0},
        {"allocator_frag_ratio", s.frag_ratio, f.frag_ratio, 0.03, 0, 0},
        {"keys", s.keys, f.keys, 0, 1, 0},
    };
    fid_compare(workload, rows, sizeof rows / sizeof rows[0]);
}
