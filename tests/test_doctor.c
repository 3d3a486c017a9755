/* The doctor (analysis/doctor.c) on an allocator that reports few
 * statistics: what it cannot read is n/a, never "never" or "at most 0 B";
 * summary.json says null for those figures, and the tables n/a. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

static char *dir;

static void setup(void) { dir = tu_tmpdir(); }
static void teardown(void) {
    tu_rmtree(dir);
    free(dir);
}

TestSuite(doctor, .init = setup, .fini = teardown, .timeout = 300);

static tu_result fragsim(const char *const *args) {
    tu_result r;
    cr_assert_eq(tu_fragsim(&r, dir, args), 0);
    return r;
}

Test(doctor, what_glibc_does_not_report_is_na) {
    tu_result r = fragsim((const char *[]){"compare", "--preset", "seed-blog", "--keys", "1000",
                                           "--allocators", "glibc,jemalloc", "-o", "c",
                                           "--no-progress", NULL});
#if defined(__SANITIZE_ADDRESS__)
    /* malloc is the sanitizer's: no glibc worker in this build, said cleanly. */
    cr_assert_eq(r.exit_code, 2, "%s", r.err);
    cr_assert(strstr(r.err, "'glibc' is not in this build") != NULL, "%s", r.err);
    tu_result_free(&r);
    return;
#endif
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    /* The table: glibc's allocator_active is n/a, jemalloc's a number. */
    const char *row = strstr(r.out, "\nglibc ");
    cr_assert_not_null(row, "%s", r.out);
    cr_assert(strstr(row, " n/a ") != NULL && strstr(row, " n/a ") < strchr(row + 1, '\n'),
              "%s", r.out);
    tu_result_free(&r);

    r = fragsim((const char *[]){"doctor", "c/glibc", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    const char *lines[] = {"High allocator fragmentation", "High allocator RSS overhead",
                           "High non-allocator RSS"};
    for (size_t i = 0; i < 3; i++) {
        const char *l = strstr(r.out, lines[i]);
        cr_assert_not_null(l, "%s", r.out);
        const char *end = strchr(l, '\n');
        cr_assert(strstr(l, "n/a (this allocator does not report") != NULL &&
                      strstr(l, "n/a (this allocator does not report") < end,
                  "%s must be n/a on glibc:\n%s", lines[i], r.out);
    }
    cr_assert(strstr(r.out, "at most 0 B") == NULL, "%s", r.out);
    cr_assert(strstr(r.out, "activedefrag's start rule: n/a") != NULL, "%s", r.out);
    tu_result_free(&r);

    /* jemalloc reports them: the same rules are evaluated there. */
    r = fragsim((const char *[]){"doctor", "c/jemalloc", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "High allocator fragmentation (allocator_frag_ratio > 1.1 and "
                            "allocator_frag_bytes > 10 MB): never.") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "n/a (this allocator") == NULL, "%s", r.out);
    tu_result_free(&r);

    char *json = tu_read_file(tu_path(dir, "c/glibc/summary.json"), NULL);
    cr_assert(strstr(json, "\"allocator_active\": null") != NULL, "%s", json);
    cr_assert(strstr(json, "\"allocator_dirty\": null") != NULL, "%s", json);
    free(json);
    json = tu_read_file(tu_path(dir, "c/jemalloc/summary.json"), NULL);
    cr_assert(strstr(json, "\"dirty_decay_ms\": 10000,") != NULL, "settings are numbers: %s",
              strstr(json, "allocator_settings"));
    free(json);
}
