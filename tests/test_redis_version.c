/* redis_version: the versions' names, the server builds' start-up memory,
 * and end to end, `--redis-version 7.4`'s allocator fragmentation against a
 * hand computation from the size classes the run wrote (bins-T.csv). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sim/redis_version.h"
#include "test_util.h"

TestSuite(redis_version, .timeout = 600);

Test(redis_version, names_parse_and_print) {
    static const char *const names[] = {"7.0", "7.2", "7.4"};
    for (int i = 0; i < 3; i++) {
        redis_version v;
        fs_err err;
        cr_assert_eq(redis_version_parse(names[i], &v, &err), 0, "%s", err.msg);
        cr_assert_str_eq(redis_version_name(v), names[i]);
        cr_assert_eq(redis_version_frag_from_bins(v), i == 2, "only 7.4 reads the bins");
    }
    redis_version v = REDIS_VERSION_7_2;
    fs_err err;
    cr_assert_eq(redis_version_parse("7.3", &v, &err), -1);
    cr_assert_not_null(strstr(err.msg, "'7.3'"), "names what was given: %s", err.msg);
    cr_assert_not_null(strstr(err.msg, "7.0, 7.2 or 7.4"), "says what is expected: %s", err.msg);
    cr_assert_eq(v, REDIS_VERSION_7_2, "left alone on error");
}

Test(redis_version, startup_follows_the_build) {
    redis_startup deb = redis_version_startup("jemalloc", REDIS_VERSION_7_0);
    redis_startup up = redis_version_startup("jemalloc-redis", REDIS_VERSION_7_0);
    cr_assert(deb.measured && up.measured);
    cr_assert_str_eq(deb.mem_allocator, "jemalloc-5.3.0");
    cr_assert_str_eq(up.mem_allocator, "jemalloc-5.2.1");
    /* An empty server holds most of a megabyte of used_memory, and more
     * RSS than that (its code and libraries). */
    cr_assert(deb.used_memory > 500000 && deb.used_memory < 2000000);
    cr_assert(deb.rss > deb.used_memory && up.rss > up.used_memory);
    /* Not measured: another version of the same build, a build of 7.2's
     * jemalloc, an allocator no Redis build here links: each says so. */
    redis_startup v74 = redis_version_startup("jemalloc", REDIS_VERSION_7_4);
    redis_startup q8 = redis_version_startup("jemalloc-5.3-q8", REDIS_VERSION_7_2);
    redis_startup mi = redis_version_startup("mimalloc", REDIS_VERSION_7_0);
    cr_assert(!v74.measured && !q8.measured && !mi.measured);
    cr_assert_eq(v74.rss, deb.rss);
    cr_assert_eq(q8.rss, up.rss, "upstream's build stands in for upstream's 7.2");
    cr_assert_str_eq(q8.allocator, "jemalloc-5.3-q8");
    cr_assert_eq(mi.used_memory, deb.used_memory);
}

/* Runs fragsim run on the preset with the extra arguments into dir/out. */
static void run(const char *dir, const char *out, const char *version) {
    const char *argv[] = {FRAGSIM_BIN, "run", "--preset", "seed-blog", "--keys", "4000",
                          "--sizes", "uniform:8,40000", "--page-map-at", "300",
                          "--redis-version", version, "-o", out, "-q", "--no-progress", NULL};
    tu_result r;
    cr_assert_eq(tu_run(&r, dir, NULL, argv), 0);
    cr_assert_eq(r.exit_code, 0, "fragsim failed (%d): %s", r.exit_code, r.err);
    tu_result_free(&r);
}

static size_t row_at(const tu_csv *c, double t) {
    for (size_t i = 0; i < c->nrows; i++)
        if (fabs(tu_csv_get(c, i, "virtual_time") - t) < 1e-6) return i;
    cr_assert_fail("no sample at %g s", t);
    return 0;
}

/* Redis 7.4 (PR 12996): allocator_frag_bytes = the small bins' free
 * regions in slabs in use, sum of (nregs * curslabs - curregs) * size;
 * allocator_frag_ratio = 1 + that / allocator_allocated.  Values up to
 * 40 KB put some in page-run "large" extents, whose page rounding 7.0's
 * active / allocated counts and 7.4's formula does not: the two differ. */
Test(redis_version, v74_frag_is_the_small_bins) {
    char *dir = tu_tmpdir();
    run(dir, "r74", "7.4");
    run(dir, "r70", "7.0");
    tu_csv bins, s74, s70;
    cr_assert_eq(tu_csv_load(&bins, tu_path(dir, "r74/bins-300.csv")), 0);
    cr_assert_eq(tu_csv_load(&s74, tu_path(dir, "r74/series.csv")), 0);
    cr_assert_eq(tu_csv_load(&s70, tu_path(dir, "r70/series.csv")), 0);
    double hand = 0;
    for (size_t i = 0; i < bins.nrows; i++) {
        double regions = tu_csv_get(&bins, i, "nregs") * tu_csv_get(&bins, i, "curslabs");
        double free_regions = regions - tu_csv_get(&bins, i, "curregs");
        hand += free_regions * tu_csv_get(&bins, i, "size");
    }
    cr_assert_gt(hand, 0, "the bins hold free regions at 300 s");
    size_t i = row_at(&s74, 300), j = row_at(&s70, 300);
    double allocated = tu_csv_get(&s74, i, "allocator_allocated");
    cr_assert_eq(tu_csv_get(&s74, i, "allocator_frag_bytes"), hand, "bytes %.0f, by hand %.0f",
                 tu_csv_get(&s74, i, "allocator_frag_bytes"), hand);
    double ratio = tu_csv_get(&s74, i, "allocator_frag_ratio");
    cr_assert_float_eq(ratio, 1 + hand / allocated, 1e-4, "ratio %.4f, by hand %.4f", ratio,
                       1 + hand / allocated);
    /* 7.0's on the same moment of the same (deterministic) run. */
    double active = tu_csv_get(&s70, j, "allocator_active");
    double alloc70 = tu_csv_get(&s70, j, "allocator_allocated");
    cr_assert_float_eq(tu_csv_get(&s70, j, "allocator_frag_ratio"), active / alloc70, 1e-4);
    cr_assert_eq(tu_csv_get(&s70, j, "allocator_frag_bytes"), active - alloc70);
    cr_assert_gt(fabs(ratio - active / alloc70), 0.01, "7.4 %.4f and 7.0 %.4f should differ here",
                 ratio, active / alloc70);
    char *info = tu_read_file(tu_path(dir, "r74/info.txt"), NULL);
    cr_assert_not_null(strstr(info, "redis_version:7.4\n"));
    free(info);
    tu_csv_free(&bins);
    tu_csv_free(&s74);
    tu_csv_free(&s70);
    tu_rmtree(dir);
    free(dir);
}

/* A version fragsim does not know is refused before anything runs, naming
 * it; compare passes the version on to every allocator's run. */
Test(redis_version, cli_refuses_unknown_and_compare_passes_it_on) {
    char *dir = tu_tmpdir();
    tu_result r;
    const char *bad[] = {FRAGSIM_BIN, "compare", "--preset", "seed-blog", "--keys", "100",
                         "--redis-version", "8.0", "-o", "c", "-q", "--no-progress", NULL};
    cr_assert_eq(tu_run(&r, dir, NULL, bad), 0);
    cr_assert_eq(r.exit_code, 2, "%s", r.err);
    cr_assert_not_null(strstr(r.err, "--redis-version '8.0'"), "%s", r.err);
    cr_assert(!tu_exists(tu_path(dir, "c")), "nothing written");
    tu_result_free(&r);
    const char *ok[] = {FRAGSIM_BIN, "compare", "--preset", "seed-blog", "--keys", "100",
                        "--allocators", "jemalloc", "--redis-version", "7.4", "-o", "c", "-q",
                        "--no-progress", NULL};
    cr_assert_eq(tu_run(&r, dir, NULL, ok), 0);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
    char *info = tu_read_file(tu_path(dir, "c/jemalloc/info.txt"), NULL);
    cr_assert_not_null(info);
    cr_assert_not_null(strstr(info, "redis_version:7.4\n"), "%s", info);
    free(info);
    tu_rmtree(dir);
    free(dir);
}

/* ---- INFO memory's field set, per version ----
 * Hard-coded from the sources, not from the table under test:
 *   7.0: Redis 7.0.15, src/server.c genRedisInfoString, "# Memory"
 *        (redis_7.0.15.orig.tar.gz, the source Debian's 7.0.15 builds from)
 *   7.2: 7.0.15's list: a 7.2.2 server's INFO memory (redis/redis issue
 *        12876) prints these fields in this order
 *   7.4: 7.0.15's with allocator_muzzy after allocator_resident (redis/redis
 *        PR 12996) and mem_overhead_db_hashtable_rehashing after
 *        mem_allocator (PR 12913), as a 7.4.2 server's INFO memory prints */
static const char *const info70[] = {
    "used_memory", "used_memory_human", "used_memory_rss", "used_memory_rss_human",
    "used_memory_peak", "used_memory_peak_human", "used_memory_peak_perc",
    "used_memory_overhead", "used_memory_startup", "used_memory_dataset",
    "used_memory_dataset_perc", "allocator_allocated", "allocator_active",
    "allocator_resident", "total_system_memory", "total_system_memory_human",
    "used_memory_lua", "used_memory_vm_eval", "used_memory_lua_human",
    "used_memory_scripts_eval", "number_of_cached_scripts", "number_of_functions",
    "number_of_libraries", "used_memory_vm_functions", "used_memory_vm_total",
    "used_memory_vm_total_human", "used_memory_functions", "used_memory_scripts",
    "used_memory_scripts_human", "maxmemory", "maxmemory_human", "maxmemory_policy",
    "allocator_frag_ratio", "allocator_frag_bytes", "allocator_rss_ratio", "allocator_rss_bytes",
    "rss_overhead_ratio", "rss_overhead_bytes", "mem_fragmentation_ratio",
    "mem_fragmentation_bytes", "mem_not_counted_for_evict", "mem_replication_backlog",
    "mem_total_replication_buffers", "mem_clients_slaves", "mem_clients_normal",
    "mem_cluster_links", "mem_aof_buffer", "mem_allocator", "active_defrag_running",
    "lazyfree_pending_objects", "lazyfreed_objects", NULL};
static const char *const info74[] = {
    "used_memory", "used_memory_human", "used_memory_rss", "used_memory_rss_human",
    "used_memory_peak", "used_memory_peak_human", "used_memory_peak_perc",
    "used_memory_overhead", "used_memory_startup", "used_memory_dataset",
    "used_memory_dataset_perc", "allocator_allocated", "allocator_active",
    "allocator_resident", "allocator_muzzy", "total_system_memory", "total_system_memory_human",
    "used_memory_lua", "used_memory_vm_eval", "used_memory_lua_human",
    "used_memory_scripts_eval", "number_of_cached_scripts", "number_of_functions",
    "number_of_libraries", "used_memory_vm_functions", "used_memory_vm_total",
    "used_memory_vm_total_human", "used_memory_functions", "used_memory_scripts",
    "used_memory_scripts_human", "maxmemory", "maxmemory_human", "maxmemory_policy",
    "allocator_frag_ratio", "allocator_frag_bytes", "allocator_rss_ratio", "allocator_rss_bytes",
    "rss_overhead_ratio", "rss_overhead_bytes", "mem_fragmentation_ratio",
    "mem_fragmentation_bytes", "mem_not_counted_for_evict", "mem_replication_backlog",
    "mem_total_replication_buffers", "mem_clients_slaves", "mem_clients_normal",
    "mem_cluster_links", "mem_aof_buffer", "mem_allocator",
    "mem_overhead_db_hashtable_rehashing", "active_defrag_running", "lazyfree_pending_objects",
    "lazyfreed_objects", NULL};

static const char *const *expected_fields(redis_version v) {
    return v == REDIS_VERSION_7_4 ? info74 : info70;
}

Test(redis_version, info_memory_table_is_each_versions_list) {
    for (int v = REDIS_VERSION_7_0; v <= REDIS_VERSION_7_4; v++) {
        const char *const *want = expected_fields((redis_version)v);
        size_t n = 0;
        for (size_t i = 0; i < redis_info_memory_count; i++) {
            if (!redis_version_prints(&redis_info_memory[i], (redis_version)v)) continue;
            cr_assert_not_null(want[n], "%s: %s beyond the source's list",
                               redis_version_name((redis_version)v), redis_info_memory[i].name);
            cr_assert_str_eq(redis_info_memory[i].name, want[n], "%s: field %zu",
                             redis_version_name((redis_version)v), n);
            n++;
        }
        cr_assert_null(want[n], "%s: %s missing", redis_version_name((redis_version)v), want[n]);
    }
}

/* The lines of info.txt's "# Memory" section, up to the next section. */
static char *memory_section(const char *info) {
    const char *s = strstr(info, "\n# Memory\n");
    cr_assert_not_null(s, "no # Memory section:\n%s", info);
    s += strlen("\n# Memory\n");
    const char *e = strstr(s, "\n# Memory at the end of the trace\n");
    cr_assert_not_null(e);
    size_t len = (size_t)(e - s) + 1;
    char *out = malloc(len + 1);
    memcpy(out, s, len);
    out[len] = '\0';
    return out;
}

/* info.txt prints the version's fields in its order, less the ones a
 * "left out:" comment names; each left-out field is named once. */
Test(redis_version, info_txt_prints_each_versions_fields) {
    char *dir = tu_tmpdir();
    for (int v = REDIS_VERSION_7_0; v <= REDIS_VERSION_7_4; v++) {
        const char *name = redis_version_name((redis_version)v);
        char out[16];
        snprintf(out, sizeof out, "r%d", v);
        const char *argv[] = {FRAGSIM_BIN, "run", "--preset", "seed-blog", "--keys", "500",
                              "--redis-version", name, "-o", out, "-q", "--no-progress", NULL};
        tu_result r;
        cr_assert_eq(tu_run(&r, dir, NULL, argv), 0);
        cr_assert_eq(r.exit_code, 0, "%s", r.err);
        tu_result_free(&r);
        char path[64];
        snprintf(path, sizeof path, "%s/info.txt", out);
        char *info = tu_read_file(tu_path(dir, path), NULL);
        cr_assert_not_null(info);
        char *sec = memory_section(info);
        if (v == REDIS_VERSION_7_4) {
            cr_assert_not_null(strstr(sec, "\nallocator_muzzy:"), "%s", sec);
            cr_assert_not_null(strstr(sec, "\nmem_overhead_db_hashtable_rehashing:0\n"));
        } else {
            cr_assert_null(strstr(sec, "\nallocator_muzzy:"), "%s: 7.4's only", name);
            cr_assert_null(strstr(sec, "\nmem_overhead_db_hashtable_rehashing"), "%s", name);
        }
        cr_assert_not_null(strstr(sec, "\nmem_allocator:jemalloc-5.3.0\n"), "%s", sec);
        char left[4096] = "";
        const char *const *want = expected_fields((redis_version)v);
        size_t w = 0;
        for (char *line = strtok(sec, "\n"); line != NULL; line = strtok(NULL, "\n")) {
            if (strncmp(line, "# left out: ", 12) == 0) {
                strncat(left, line + 11, sizeof left - strlen(left) - 2);
                strcat(left, ",");
                continue;
            }
            if (line[0] == '#') continue;
            char *colon = strchr(line, ':');
            cr_assert_not_null(colon, "%s: %s", name, line);
            *colon = '\0';
            /* Fields before it that were not printed must be named left out. */
            while (want[w] != NULL && strcmp(want[w], line) != 0) {
                char named[96];
                snprintf(named, sizeof named, " %s,", want[w]);
                char named2[96];
                snprintf(named2, sizeof named2, " %s ", want[w]);
                cr_assert(strstr(left, named) != NULL || strstr(left, named2) != NULL,
                          "%s: %s neither printed (in order) nor named left out", name, want[w]);
                w++;
            }
            cr_assert_not_null(want[w], "%s: %s printed but not in the source's list", name,
                               line);
            w++;
        }
        for (; want[w] != NULL; w++) {
            char named[96], named2[96];
            snprintf(named, sizeof named, " %s,", want[w]);
            snprintf(named2, sizeof named2, " %s ", want[w]);
            cr_assert(strstr(left, named) != NULL || strstr(left, named2) != NULL,
                      "%s: %s neither printed nor named", name, want[w]);
        }
        free(sec);
        free(info);
    }
    tu_rmtree(dir);
    free(dir);
}

/* 7.0's info.txt as it was before the "# Memory" section: every other line
 * the same, in the same order (names and comments; values vary with RSS). */
static const char *const info70_head[] = {
    "# Run",
    "allocator",
    "allocator_version",
    "trace",
    "redis_version",
    "server",
    "# used_memory_rss and the ratios over it stand for the server: the heap's RSS plus an empty server's (process_rss is fragsim's process)",
    NULL};

/* The fields of the end-of-trace block, the same again in the peak block. */
static const char *const info70_fields[] = {
    "virtual_time",
    "wall_time",
    "events",
    "keys",
    "expired_keys",
    "requested_bytes",
    "used_memory",
    "used_memory_human",
    "allocator_allocated",
    "allocator_active",
    "allocator_resident",
    "allocator_mapped",
    "allocator_retained",
    "allocator_metadata",
    "allocator_dirty",
    "allocator_muzzy",
    "allocator_purged",
    "allocator_npurge",
    "allocator_nmadvise",
    "used_memory_rss",
    "used_memory_rss_human",
    "engine_rss",
    "heap_rss",
    "heap_rss_human",
    "mem_fragmentation_ratio",
    "# process fragmentation: used_memory_rss / (used_memory + used_memory_startup), the server's used_memory",
    "allocator_frag_ratio",
    "# allocator fragmentation: allocator_active / allocator_allocated (Redis 7.4: 1 + allocator_frag_bytes / allocator_allocated)",
    "allocator_rss_ratio",
    "# allocator RSS overhead: allocator_resident / allocator_active",
    "rss_overhead_ratio",
    "# non-allocator RSS overhead: used_memory_rss / allocator_resident",
    "process_rss",
    "used_memory_startup",
    "used_memory_peak",
    "allocator_frag_bytes",
    "allocator_rss_bytes",
    "rss_overhead_bytes",
    "mem_fragmentation_bytes",
    NULL};

static const char *const info70_heads[2] = {
    "# Memory at the end of the trace",
    "# Peak (each field's maximum over the samples; ratios only while used_memory is at least 10% of its peak)"};

Test(redis_version, info_txt_70_otherwise_unchanged) {
    char *dir = tu_tmpdir();
    const char *argv[] = {FRAGSIM_BIN, "run", "--preset", "seed-blog", "--keys", "2000",
                          "-o", "r", "-q", "--no-progress", NULL};
    tu_result r;
    cr_assert_eq(tu_run(&r, dir, NULL, argv), 0);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
    char *info = tu_read_file(tu_path(dir, "r/info.txt"), NULL);
    cr_assert_not_null(info);
    /* The expected lines: the head, then each block's title and fields. */
    const char *info70_before[160];
    size_t n = 0;
    for (size_t i = 0; info70_head[i] != NULL; i++) info70_before[n++] = info70_head[i];
    for (int b = 0; b < 2; b++) {
        info70_before[n++] = info70_heads[b];
        for (size_t i = 0; info70_fields[i] != NULL; i++) info70_before[n++] = info70_fields[i];
    }
    info70_before[n] = NULL;
    size_t k = 0;
    int in_memory = 0;
    for (char *line = strtok(info, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        /* The replay's counters that follow grow with every modelled type:
         * what must not change is the memory and ratio lines before them. */
        if (strcmp(line, "# Replay") == 0) break;
        if (strcmp(line, "# Memory") == 0) in_memory = 1;
        else if (line[0] == '#' && strncmp(line, "# Memory at", 11) == 0) in_memory = 0;
        if (in_memory) continue;
        if (line[0] != '#') {
            char *colon = strchr(line, ':');
            if (colon) *colon = '\0';
        }
        cr_assert_not_null(info70_before[k], "a line more than before: %s", line);
        cr_assert_str_eq(line, info70_before[k], "line %zu", k);
        k++;
    }
    cr_assert_null(info70_before[k], "a line fewer than before: %s", info70_before[k]);
    free(info);
    tu_rmtree(dir);
    free(dir);
}
