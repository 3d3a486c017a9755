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

redis_server fid_srv;

void fid_send(int argc, const char *const *argv, const size_t *lens) {
    redis_reply *r = redis_command_argv(&fid_srv, argc, argv, lens);
    cr_assert_not_null(r, "%s: %s", argv[0], fid_srv.err);
    cr_assert_neq(r->type, '-', "%s: %s", argv[0], r->str);
    redis_reply_free(r);
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

void fid_replay(const char *dir, const char *const *extra, tu_csv *c) {
    const char *argv[32] = {FRAGSIM_BIN, "run", "--allocator", "jemalloc", "--object-model",
                            "redis", "-q", "--no-progress", "w.trace", "-o",
                            "res"};
    int n = 11;
    for (int i = 0; extra != NULL && extra[i] != NULL; i++) {
        cr_assert_lt(n, 31, "too many options");
        argv[n++] = extra[i];
    }
    argv[n] = NULL;
    fid_run(dir, argv);
    cr_assert_eq(tu_csv_load(c, tu_path(dir, "res/series.csv")), 0);
    cr_assert(c->nrows >= 2);
}

fid_figures fid_replay_figures(const char *dir, const char *const *extra) {
    tu_csv c;
    fid_replay(dir, extra, &c);
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

fid_figures fid_server_delta(const redis_info_memory *a, const redis_info_memory *b) {
    fid_figures f = {
        .used_memory = (double)b->used_memory - (double)a->used_memory,
        .allocated = (double)b->allocator_allocated - (double)a->allocator_allocated,
        .active = (double)b->allocator_active - (double)a->allocator_active,
    };
    f.frag_ratio = f.active / f.allocated;
    return f;
}

void fid_info_settled(redis_info_memory *m) {
    struct timespec ts = {0, 350 * 1000 * 1000};
    nanosleep(&ts, NULL);
    cr_assert_eq(redis_info_memory_read(&fid_srv, m), 0, "%s", fid_srv.err);
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

int fid_compare(const char *workload, const fid_row *rows, size_t n) {
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
