/* Interrupted commands: SIGINT/SIGTERM leave no partial output (no
 * .partial file, no hidden partial directory), stop every worker, and exit
 * with 128 + the signal; a compare killed outright (SIGKILL) still takes its
 * workers with it. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../analysis/result_rows.h"
#include "../sim/base/cleanup.h"
#include "test_util.h"

static char *dir;

static void setup(void) { dir = tu_tmpdir(); }
static void teardown(void) {
    tu_rmtree(dir);
    free(dir);
}

TestSuite(cleanup, .init = setup, .fini = teardown, .timeout = 300);

/* fragsim with args in dir, its output on /dev/null; with an address-space
 * limit of as_bytes (RLIMIT_AS, which its workers inherit) when not 0. */
static pid_t spawn_limited(const char *const *args, rlim_t as_bytes) {
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        const char *argv[24] = {FRAGSIM_BIN};
        for (int i = 0; args[i] != NULL && i < 22; i++) argv[i + 1] = args[i];
        struct rlimit rl = {as_bytes, as_bytes};
        if (as_bytes != 0 && setrlimit(RLIMIT_AS, &rl) != 0) _exit(126);
        int null = open("/dev/null", O_RDWR);
        if (chdir(dir) != 0 || null < 0) _exit(126);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        /* Whatever the test runner ignores, the command must see. */
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        execv(FRAGSIM_BIN, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static pid_t spawn_fragsim(const char *const *args) { return spawn_limited(args, 0); }

static void sleep_s(double s) {
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* Names under d (recursively) holding ".partial", counted. */
static int count_partial(const char *d) {
    DIR *dd = opendir(d);
    if (dd == NULL) return 0;
    int n = 0;
    struct dirent *de;
    char sub[2048];
    while ((de = readdir(dd)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        if (strstr(de->d_name, ".partial") != NULL) n++;
        snprintf(sub, sizeof sub, "%s/%s", d, de->d_name);
        struct stat st;
        if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode)) n += count_partial(sub);
    }
    closedir(dd);
    return n;
}

/* Waits until the partial output shows up (the command is at work). */
static void wait_for_partial(void) {
    for (int i = 0; i < 200 && count_partial(dir) == 0; i++) sleep_s(0.05);
    cr_assert(count_partial(dir) > 0, "the command never started writing");
}

static int wait_exit(pid_t pid) {
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st), "ended by signal %d, not by its handler", WTERMSIG(st));
    return WEXITSTATUS(st);
}

/* The pids of pid's children, from /proc. */
static int children_of(pid_t pid, pid_t *out, int max) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) return 0;
    int n = 0;
    if (fgets(buf, sizeof buf, f) != NULL)
        for (char *s = strtok(buf, " \n"); s && n < max; s = strtok(NULL, " \n"))
            out[n++] = (pid_t)atoi(s);
    fclose(f);
    return n;
}

/* A process gone (or a zombie nobody will wait for any longer). */
static int gone(pid_t pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) return 1;
    int zombie = fgets(buf, sizeof buf, f) != NULL && strstr(buf, ") Z ") != NULL;
    fclose(f);
    return zombie;
}

static const char *const PACED[] = {"--preset", "seed-blog", "--keys", "1000", "--speed", "1",
                                    "-q", "--no-progress"};

Test(cleanup, sigint_during_run_removes_the_partial_directory) {
    const char *args[16] = {"run"};
    memcpy(args + 1, PACED, sizeof PACED);
    args[9] = "-o";
    args[10] = "res";
    pid_t pid = spawn_fragsim(args);
    wait_for_partial();
    sleep_s(0.3);
    kill(pid, SIGINT);
    cr_assert_eq(wait_exit(pid), 130);
    cr_assert_eq(count_partial(dir), 0, "a partial output was left behind");
    cr_assert(!tu_exists(tu_path(dir, "res")));
}

Test(cleanup, sigterm_during_gen_removes_the_partial_file) {
    /* A trace big enough to be still writing when the signal comes. */
    pid_t pid = spawn_fragsim((const char *const[]){"gen", "--preset", "seed-blog", "--keys",
                                                    "50000000", "-o", "big.trace", NULL});
    wait_for_partial();
    kill(pid, SIGTERM);
    cr_assert_eq(wait_exit(pid), 143);
    cr_assert_eq(count_partial(dir), 0);
    cr_assert(!tu_exists(tu_path(dir, "big.trace")));
}

/* stderr a pipe nobody reads any more: the first progress line raises
 * SIGPIPE, which must end the command through its clean-up, as SIGTERM
 * does, with no hidden partial directory left. */
Test(cleanup, sigpipe_on_progress_removes_the_partial_directory) {
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    close(fds[0]);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        if (chdir(dir) != 0 || null < 0) _exit(126);
        dup2(null, 0);
        dup2(null, 1);
        dup2(fds[1], 2);
        signal(SIGPIPE, SIG_DFL);
        execl(FRAGSIM_BIN, FRAGSIM_BIN, "whatif", "--preset", "seed-blog", "--keys", "2000",
              "--progress", "-o", "wi", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    cr_assert_eq(wait_exit(pid), 128 + SIGPIPE);
    cr_assert_eq(count_partial(dir), 0, "a partial output was left behind");
    cr_assert(!tu_exists(tu_path(dir, "wi")));
}

static pid_t start_compare(pid_t *kids, int *nkids) {
    const char *args[20] = {"compare"};
    memcpy(args + 1, PACED, sizeof PACED);
    /* Not glibc: the sanitizer build has no glibc worker. */
    const char *more[] = {"--allocators", "jemalloc,mimalloc", "--jobs", "2", "-o", "cmp", NULL};
    memcpy(args + 9, more, sizeof more);
    pid_t pid = spawn_fragsim(args);
    *nkids = 0;
    for (int i = 0; i < 200 && *nkids < 2; i++) {
        sleep_s(0.05);
        *nkids = children_of(pid, kids, 8);
    }
    cr_assert_eq(*nkids, 2, "the compare started %d workers", *nkids);
    wait_for_partial();
    sleep_s(0.5); /* the workers are replaying */
    return pid;
}

Test(cleanup, sigterm_to_compare_parent_stops_its_workers) {
    pid_t kids[8];
    int n;
    pid_t pid = start_compare(kids, &n);
    kill(pid, SIGTERM);
    cr_assert_eq(wait_exit(pid), 143);
    for (int i = 0; i < n; i++) cr_assert(gone(kids[i]), "worker %d survived", (int)kids[i]);
    cr_assert_eq(count_partial(dir), 0, "a partial output was left behind");
    cr_assert(!tu_exists(tu_path(dir, "cmp")));
}

/* SIGKILL cannot be handled: the workers die with their parent all the same
 * (the kernel's parent-death signal), removing their own partial outputs. */
Test(cleanup, workers_die_with_a_killed_parent) {
    pid_t kids[8];
    int n;
    pid_t pid = start_compare(kids, &n);
    kill(pid, SIGKILL);
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < 100 && !gone(kids[i]); k++) sleep_s(0.05);
        cr_assert(gone(kids[i]), "worker %d outlived its parent", (int)kids[i]);
    }
    /* Only the parent's own (empty) partial directory may remain. */
    cr_assert_leq(count_partial(dir), 1);
}

Test(cleanup, remove_tree_removes_nested_directories_without_following_links) {
    char p[1024];
    snprintf(p, sizeof p, "%s/t/a/b", dir);
    cr_assert_eq(mkdir(tu_path(dir, "t"), 0777), 0);
    cr_assert_eq(mkdir(tu_path(dir, "t/a"), 0777), 0);
    cr_assert_eq(mkdir(p, 0777), 0);
    cr_assert_eq(mkdir(tu_path(dir, "keep"), 0777), 0);
    cr_assert_eq(tu_write_file(tu_path(dir, "keep/k"), "k"), 0);
    for (int i = 0; i < 300; i++) {
        char f[1100];
        snprintf(f, sizeof f, "%s/f%d", p, i);
        cr_assert_eq(tu_write_file(f, "x"), 0);
    }
    cr_assert_eq(symlink(tu_path(dir, "keep"), tu_path(dir, "t/a/link")), 0);
    cr_assert_eq(cleanup_remove_tree(tu_path(dir, "t")), 0);
    cr_assert(!tu_exists(tu_path(dir, "t")));
    cr_assert(tu_exists(tu_path(dir, "keep/k")), "followed a symbolic link");
}

/* An address-space limit that seed-blog's 200,000 keys exhaust on the way. */
#define AS_LIMIT ((rlim_t)600000000)

/* The allocator under test runs out of memory (an address-space limit):
 * that point is the result.  The series so far is kept, complete, with a
 * last sample at the moment it stopped, and summary.json says why; no
 * partial directory is left (glibc's and mimalloc's runs left theirs, and
 * every allocator's run kept nothing). */
Test(cleanup, allocator_exhaustion_keeps_the_series_so_far) {
#if defined(__SANITIZE_ADDRESS__)
    cr_skip_test("AddressSanitizer's shadow memory cannot run under an address-space limit");
#endif
    const char *allocators[] = {"glibc", "mimalloc", "jemalloc"};
    for (int i = 0; i < 3; i++) {
        pid_t pid = spawn_limited((const char *[]){"run", "--preset", "seed-blog", "--keys", "200000",
                                                   "--allocator", allocators[i], "-o", "oom", "-q",
                                                   "--no-progress", NULL},
                                  AS_LIMIT);
        cr_assert_eq(wait_exit(pid), 0, "%s", allocators[i]);
        cr_assert_eq(count_partial(dir), 0, "%s: a partial directory was left", allocators[i]);
        char *sum = tu_read_file(tu_path(dir, "oom/summary.json"), NULL);
        cr_assert(sum != NULL, "%s: no summary", allocators[i]);
        cr_assert(strstr(sum, "\"stopped\": \"generator event ") != NULL &&
                      strstr(sum, "(out of memory)") != NULL,
                  "%s: the summary does not say why the run stopped", allocators[i]);
        free(sum);
        tu_csv c;
        cr_assert_eq(tu_csv_load(&c, tu_path(dir, "oom/series.csv")), 0);
        cr_assert_gt(c.nrows, 3);
        /* The trace inserts for 180 s: it stopped on the way. */
        double last = tu_csv_get(&c, c.nrows - 1, "virtual_time");
        cr_assert(last > 0 && last < 180, "%s: last sample at %g s", allocators[i], last);
        tu_csv_free(&c);
        tu_rmtree(tu_path(dir, "oom"));
    }
}

/* The status field of the first data row of a CSV file with a status
 * column (malloc'd). */
static char *first_status(const char *path) {
    char *text = tu_read_file(path, NULL);
    cr_assert_not_null(text, "no %s", path);
    char *save, *f[256], *status = NULL;
    char *header = strtok_r(text, "\n", &save), *row = strtok_r(NULL, "\n", &save);
    cr_assert(header != NULL && row != NULL, "%s: no data row", path);
    int col = -1, n = csv_split(header, f, 256);
    for (int k = 0; k < n; k++)
        if (strcmp(f[k], "status") == 0) col = k;
    cr_assert_geq(col, 0, "%s: no status column", path);
    cr_assert_gt(csv_split(row, f, 256), col);
    status = strdup(f[col]);
    free(text);
    return status;
}

/* A worker stopped by its allocator's exhaustion has its results, and its
 * row says so: "oom", not "ok" (compare's and a sweep's tables said "ok"),
 * in compare's summary.csv, a sweep's sweep.csv, and sweep --collect's,
 * which reads the point's summary.json.  The report loads the run. */
Test(cleanup, an_exhausted_worker_row_says_oom) {
#if defined(__SANITIZE_ADDRESS__)
    cr_skip_test("AddressSanitizer's shadow memory cannot run under an address-space limit");
#endif
    pid_t pid = spawn_limited((const char *[]){"compare", "--preset", "seed-blog", "--keys", "200000",
                                               "--allocators", "jemalloc", "-o", "cmp", "-q",
                                               "--no-progress", NULL},
                              AS_LIMIT);
    cr_assert_eq(wait_exit(pid), 0, "an exhausted allocator is a result, not a failure");
    char *st = first_status(tu_path(dir, "cmp/summary.csv"));
    cr_expect_str_eq(st, "oom");
    free(st);
    pid = spawn_limited((const char *[]){"sweep", "--preset", "seed-blog", "--keys", "200000",
                                         "--grid", "jemalloc.dirty_decay_ms=1000", "-o", "sw", "-q",
                                         "--no-progress", NULL},
                        AS_LIMIT);
    cr_assert_eq(wait_exit(pid), 0);
    st = first_status(tu_path(dir, "sw/sweep.csv"));
    cr_expect_str_eq(st, "oom");
    free(st);
    tu_result r;
    cr_assert_eq(tu_fragsim(&r, dir, (const char *const[]){"sweep", "--collect", "sw", "-q", NULL}), 0);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
    st = first_status(tu_path(dir, "sw/sweep.csv"));
    cr_expect_str_eq(st, "oom", "sweep --collect");
    free(st);
    cr_assert_eq(tu_fragsim(&r, dir, (const char *const[]){"report", "cmp", "sw", "-o", "r.html",
                                                           NULL}), 0);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
    char *html = tu_read_file(tu_path(dir, "r.html"), NULL);
    cr_assert(html != NULL && strstr(html, "<svg") != NULL, "the report draws the stopped runs");
    free(html);
}
