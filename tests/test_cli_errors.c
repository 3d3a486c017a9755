/* Bad input, end to end: one clear error naming the file, the line and what
 * was expected; a non-zero exit; and no results directory, not even half a
 * one. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

static char *dir;

static void setup(void) { dir = tu_tmpdir(); }
static void teardown(void) {
    tu_rmtree(dir);
    free(dir);
}

TestSuite(cli_errors, .init = setup, .fini = teardown, .timeout = 300);

/* Nothing but the inputs the test wrote may be left in dir. */
static void assert_no_results(void) {
    DIR *d = opendir(dir);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0 || strstr(n, ".trace") != NULL) continue;
        cr_assert_fail("the failed run left '%s' behind", n);
    }
    closedir(d);
}

/* Runs fragsim with args on a trace whose body is given (NULL: no file),
 * expects failure, and returns stderr (malloc'd). */
static char *run_fail(const char *body, const char *const *args, int want_code) {
    if (body != NULL) cr_assert_eq(tu_write_file(tu_path(dir, "bad.trace"), body), 0);
    const char *argv[32] = {FRAGSIM_BIN};
    int n = 1;
    for (; args[n - 1] != NULL && n < 31; n++) argv[n] = args[n - 1];
    argv[n] = NULL;
    tu_result r;
    cr_assert_eq(tu_run(&r, dir, NULL, argv), 0);
    cr_assert_eq(r.signal, 0, "crashed with signal %d: %s", r.signal, r.err);
    cr_assert_eq(r.exit_code, want_code, "exit %d, stderr: %s", r.exit_code, r.err);
    /* One error line. */
    char *nl = strchr(r.err, '\n');
    cr_assert(nl != NULL && nl[1] == '\0', "one line on stderr, got: %s", r.err);
    free(r.out);
    assert_no_results();
    return r.err;
}

static const char *const RUN_BAD[] = {"run", "bad.trace", "-o", "res", "-q", "--no-progress", NULL};

#define EXPECT(err, needle) cr_assert(strstr(err, needle) != NULL, "'%s' not in: %s", needle, err)

Test(cli_errors, malformed_line) {
    char *e = run_fail("fragsim-trace v1\n0 SET a 10\nabc SET b 10\n", RUN_BAD, 1);
    EXPECT(e, "bad.trace:3:");
    EXPECT(e, "expected a timestamp");
    free(e);
}

Test(cli_errors, unknown_operation) {
    char *e = run_fail("fragsim-trace v1\n# comment\n\n1 LSET a 10\n", RUN_BAD, 1);
    EXPECT(e, "bad.trace:4:");
    EXPECT(e, "unknown operation 'LSET'");
    free(e);
}

Test(cli_errors, negative_size) {
    char *e = run_fail("fragsim-trace v1\n1 SET a -5\n", RUN_BAD, 1);
    EXPECT(e, "bad.trace:2:");
    EXPECT(e, "value size");
    free(e);
}

Test(cli_errors, absurd_size) {
    char *e = run_fail("fragsim-trace v1\n1 SET a 99999999999\n", RUN_BAD, 1);
    EXPECT(e, "bad.trace:2:");
    EXPECT(e, "absurd");
    free(e);
}

Test(cli_errors, time_going_backwards) {
    char *e = run_fail("fragsim-trace v1\n1.5 SET a 10\n1.25 SET b 10\n", RUN_BAD, 1);
    EXPECT(e, "bad.trace:3:");
    EXPECT(e, "non-decreasing");
    free(e);
}

Test(cli_errors, missing_header) {
    char *e = run_fail("0 SET a 10\n", RUN_BAD, 1);
    EXPECT(e, "bad.trace:1:");
    EXPECT(e, "fragsim-trace v1");
    free(e);
}

Test(cli_errors, error_deep_in_a_long_trace_leaves_nothing) {
    /* Thousands of good events (several samples written) before the bad one. */
    size_t cap = 1 << 20, n = 0;
    char *body = malloc(cap);
    n += (size_t)snprintf(body + n, cap - n, "fragsim-trace v1\n");
    for (int i = 0; i < 20000; i++)
        n += (size_t)snprintf(body + n, cap - n, "%d.%03d SET k%d 100 30\n", i / 100, (i % 100) * 10, i);
    snprintf(body + n, cap - n, "500 SET kx 10 oops\n");
    char *e = run_fail(body, RUN_BAD, 1);
    EXPECT(e, "bad.trace:20002:");
    EXPECT(e, "ttl");
    free(body);
    free(e);
}

Test(cli_errors, missing_file) {
    char *e = run_fail(NULL, (const char *[]){"run", "nope.trace", "-o", "res", NULL}, 1);
    EXPECT(e, "nope.trace");
    EXPECT(e, "No such file");
    free(e);
}

Test(cli_errors, unknown_option) {
    char *e = run_fail(NULL, (const char *[]){"run", "--preset", "seed-blog", "--bogus", NULL}, 2);
    EXPECT(e, "--bogus");
    free(e);
    e = run_fail(NULL, (const char *[]){"gen", "--frobnicate", "1", NULL}, 2);
    EXPECT(e, "--frobnicate");
    free(e);
}

Test(cli_errors, bad_option_values) {
    char *e = run_fail(NULL, (const char *[]){"run", "--preset", "seed-blog", "--keys", "lots", NULL}, 2);
    EXPECT(e, "--keys 'lots'");
    free(e);
    e = run_fail(NULL, (const char *[]){"run", "--preset", "no-such", NULL}, 2);
    EXPECT(e, "unknown preset 'no-such'");
    free(e);
    e = run_fail(NULL, (const char *[]){"run", "--preset", "seed-blog", "--sizes", "uniform:5", NULL}, 2);
    EXPECT(e, "--sizes");
    free(e);
    e = run_fail(NULL, (const char *[]){"run", "--preset", "seed-blog", "--sample-interval", "0", NULL}, 2);
    EXPECT(e, "--sample-interval");
    free(e);
    e = run_fail(NULL, (const char *[]){"run", "--preset", "seed-blog", "--allocator", "nosuch", NULL}, 2);
    EXPECT(e, "allocator 'nosuch'");
    free(e);
    e = run_fail(NULL, (const char *[]){"run", "--preset", "seed-blog", "--allocator-options",
                                        "narenas:1", "--allocator-options", "narenas:2", NULL}, 2);
    EXPECT(e, "--allocator-options is given once");
    free(e);
    e = run_fail(NULL, (const char *[]){"compare", "--preset", "seed-blog", "--jobs", "99", NULL}, 2);
    EXPECT(e, "--jobs '99': expected 1 to 32");
    free(e);
    e = run_fail(NULL, (const char *[]){"whatif", "--preset", "seed-blog", "--page-map-at", "x", NULL}, 2);
    EXPECT(e, "--page-map-at 'x'");
    free(e);
    e = run_fail(NULL, (const char *[]){"run", NULL}, 2);
    EXPECT(e, "expected a TRACE");
    free(e);
    e = run_fail(NULL, (const char *[]){"frobnicate", NULL}, 2);
    EXPECT(e, "unknown command");
    free(e);
}

Test(cli_errors, output_over_foreign_files_is_refused) {
    cr_assert_eq(tu_write_file(tu_path(dir, "precious.trace"), "keep me"), 0);
    const char *argv[] = {FRAGSIM_BIN, "run", "--preset", "seed-blog", "--keys", "10", "-o", ".",
                          "-q", NULL};
    tu_result r;
    cr_assert_eq(tu_run(&r, dir, NULL, argv), 0);
    cr_assert_neq(r.exit_code, 0);
    EXPECT(r.err, "did not write");
    tu_result_free(&r);
    char *kept = tu_read_file(tu_path(dir, "precious.trace"), NULL);
    cr_assert_str_eq(kept, "keep me");
    free(kept);
}

Test(cli_errors, bad_redis_conf_names_its_line) {
    cr_assert_eq(tu_write_file(tu_path(dir, "bad.trace"), "# placeholder\n"), 0);
    cr_assert_eq(tu_write_file(tu_path(dir, "redis.trace"), "hz 10\n# a comment\nmaxmemory 12xb\n"), 0);
    char *e = run_fail(NULL, (const char *[]){"run", "--preset", "seed-blog", "--keys", "10", "--config",
                                              "redis.trace", "-o", "res", NULL}, 2);
    EXPECT(e, "redis.trace:3:");
    EXPECT(e, "maxmemory");
    free(e);
}
