/* Outputs never destroy what was there: every command that writes a file
 * (gen, trace convert, import monitor, export, report) refuses a device, a
 * FIFO or a symbolic link as its target and leaves it as it was; long names
 * fail before anything is touched; results directories are never replaced
 * through a link nor when they hold other runs' directories; two writers of
 * one file never mix. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../sim/base/outfile.h"
#include "test_util.h"

static char *dir;

static void setup(void) { dir = tu_tmpdir(); }
static void teardown(void) {
    tu_rmtree(dir);
    free(dir);
}

TestSuite(outfile, .init = setup, .fini = teardown, .timeout = 300);

#define EXPECT(s, needle) cr_assert(strstr(s, needle) != NULL, "'%s' not in: %s", needle, s)

static const char TRACE[] = "fragsim-trace v1\n0 SET a 100\n1 SET b 200\n2 DEL a\n";
static const char CAPTURE[] =
    "1700000000.000001 [0 127.0.0.1:40000] \"SET\" \"user:1\" \"hello world\"\n";

static tu_result fragsim(const char *const *args) {
    tu_result r;
    cr_assert_eq(tu_fragsim(&r, dir, args), 0);
    cr_assert_eq(r.signal, 0, "crashed with signal %d: %s", r.signal, r.err);
    return r;
}

/* No file whose name holds ".partial" is left in d. */
static void assert_no_partial(const char *d) {
    DIR *dd = opendir(d);
    cr_assert(dd != NULL);
    struct dirent *de;
    while ((de = readdir(dd)) != NULL)
        cr_assert(strstr(de->d_name, ".partial") == NULL, "'%s' left in %s", de->d_name, d);
    closedir(dd);
}

/* Each writing command, with "-o TARGET" (or TARGET as convert's OUT). */
static void run_writer(int which, const char *target, tu_result *r) {
    const char *const gen[] = {"gen", "--preset", "seed-blog", "--keys", "3", "-o", target, NULL};
    const char *const conv[] = {"trace", "convert", "in.trace", target, NULL};
    const char *const imp[] = {"import", "monitor", "cap.txt", "-o", target, NULL};
    const char *const exp[] = {"export", "prometheus", "res", "-o", target, NULL};
    const char *const rep[] = {"report", "res", "-o", target, NULL};
    const char *const *all[] = {gen, conv, imp, exp, rep};
    *r = fragsim(all[which]);
}

static void make_inputs(int with_results) {
    cr_assert_eq(tu_write_file(tu_path(dir, "in.trace"), TRACE), 0);
    cr_assert_eq(tu_write_file(tu_path(dir, "cap.txt"), CAPTURE), 0);
    if (!with_results) return;
    tu_result r = fragsim((const char *const[]){"run", "in.trace", "-o", "res", "-q",
                                                "--no-progress", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    tu_result_free(&r);
}

static const char *const WRITERS[] = {"gen", "trace convert", "import monitor", "export",
                                      "report"};

Test(outfile, fifo_symlink_and_device_are_refused_by_every_writer) {
    make_inputs(1);
    cr_assert_eq(mkfifo(tu_path(dir, "fifo"), 0666), 0);
    cr_assert_eq(tu_write_file(tu_path(dir, "precious"), "keep me\n"), 0);
    cr_assert_eq(symlink("precious", tu_path(dir, "link")), 0);
    int have_dev = mknod(tu_path(dir, "nulldev"), S_IFCHR | 0666, makedev(1, 3)) == 0;
    if (!have_dev) cr_log_warn("mknod: %s; the device case needs root", strerror(errno));
    for (int w = 0; w < 5; w++) {
        const char *targets[] = {"fifo", "link", "nulldev"};
        const char *kinds[] = {"is a FIFO", "is a symbolic link", "is a character device"};
        for (int t = 0; t < 2 + have_dev; t++) {
            tu_result r;
            run_writer(w, targets[t], &r);
            cr_assert_eq(r.exit_code, 1, "%s -o %s: exit %d, %s", WRITERS[w], targets[t],
                         r.exit_code, r.err);
            EXPECT(r.err, kinds[t]);
            tu_result_free(&r);
        }
        struct stat st;
        cr_assert_eq(lstat(tu_path(dir, "fifo"), &st), 0);
        cr_assert(S_ISFIFO(st.st_mode), "%s replaced the FIFO", WRITERS[w]);
        cr_assert_eq(lstat(tu_path(dir, "link"), &st), 0);
        cr_assert(S_ISLNK(st.st_mode), "%s replaced the symbolic link", WRITERS[w]);
        if (have_dev) {
            cr_assert_eq(lstat(tu_path(dir, "nulldev"), &st), 0);
            cr_assert(S_ISCHR(st.st_mode), "%s replaced the device", WRITERS[w]);
        }
        char *p = tu_read_file(tu_path(dir, "precious"), NULL);
        cr_assert_str_eq(p, "keep me\n");
        free(p);
        assert_no_partial(dir);
    }
}

Test(outfile, dash_is_standard_output) {
    make_inputs(0);
    tu_result r = fragsim((const char *const[]){"trace", "convert", "in.trace", "-", "--to", "text", NULL});
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    EXPECT(r.out, "0 SET a 100");
    tu_result_free(&r);
}

/* A path of 1,099 bytes to an existing file (the length at which the old
 * temporary name, cut to fit, became the target itself): a failed convert
 * leaves the file as it was. */
Test(outfile, failed_write_to_a_1099_byte_path_keeps_the_file) {
    cr_assert_eq(tu_write_file(tu_path(dir, "bad.trace"), "fragsim-trace v1\nnonsense\n"), 0);
    char rel[1200] = "";
    size_t base = strlen(dir) + 1;
    /* Directories "dddd.../" until the whole path is 1,099 bytes. */
    while (base + strlen(rel) + 101 < 1099) {
        strcat(rel, "dddddddddddddddddddddddddddddddddddddddddddddddddd/");
        char p[1300];
        snprintf(p, sizeof p, "%s/%s", dir, rel);
        cr_assert_eq(mkdir(p, 0777), 0, "%s", strerror(errno));
    }
    size_t fill = 1099 - base - strlen(rel);
    memset(rel + strlen(rel), 'f', fill);
    rel[strlen(rel) + fill] = '\0';
    char full[1300];
    snprintf(full, sizeof full, "%s/%s", dir, rel);
    cr_assert_eq(strlen(full), 1099);
    cr_assert_eq(tu_write_file(full, "earlier trace\n"), 0);
    tu_result r = fragsim((const char *const[]){"trace", "convert", "bad.trace", full, NULL});
    cr_assert_eq(r.exit_code, 1, "%s", r.err);
    EXPECT(r.err, "bad.trace:2");
    tu_result_free(&r);
    char *p = tu_read_file(full, NULL);
    cr_assert(p != NULL, "the failed convert deleted the existing file");
    cr_assert_str_eq(p, "earlier trace\n");
    free(p);
}

Test(outfile, name_too_long_fails_before_any_work) {
    make_inputs(0);
    char *longp = malloc(PATH_MAX + 10);
    memset(longp, 'x', PATH_MAX + 5);
    longp[PATH_MAX + 5] = '\0';
    for (int w = 0; w < 3; w++) {
        tu_result r;
        run_writer(w, longp, &r);
        cr_assert_eq(r.exit_code, 1, "%s: %s", WRITERS[w], r.err);
        EXPECT(r.err, "too long");
        tu_result_free(&r);
    }
    outfile of;
    fs_err err;
    cr_assert_eq(outfile_open(&of, longp, &err), -1);
    EXPECT(err.msg, "output name too long");
    free(longp);
    assert_no_partial(dir);
}

Test(outfile, results_directory_through_a_link_is_refused_untouched) {
    make_inputs(1);
    cr_assert_eq(symlink("res", tu_path(dir, "latest")), 0);
    tu_result r = fragsim((const char *const[]){"run", "in.trace", "-o", "latest", "-q",
                                                "--no-progress", NULL});
    cr_assert_eq(r.exit_code, 1, "%s", r.err);
    EXPECT(r.err, "is a symbolic link");
    tu_result_free(&r);
    cr_assert(tu_exists(tu_path(dir, "res/series.csv")), "the old results were emptied");
    cr_assert(tu_exists(tu_path(dir, "res/summary.json")));
    struct stat st;
    cr_assert_eq(lstat(tu_path(dir, "latest"), &st), 0);
    cr_assert(S_ISLNK(st.st_mode));
}

/* `-o results` where results/ holds earlier runs' directories: those are
 * the user's, not one earlier result to replace. */
Test(outfile, directory_of_earlier_runs_is_not_emptied) {
    make_inputs(0);
    for (int i = 0; i < 2; i++) {
        const char *o = i ? "results/b" : "results/a";
        tu_result r = fragsim((const char *const[]){"run", "in.trace", "-o", o, "-q",
                                                    "--no-progress", NULL});
        cr_assert_eq(r.exit_code, 0, "%s", r.err);
        tu_result_free(&r);
    }
    tu_result r = fragsim((const char *const[]){"run", "in.trace", "-o", "results", "-q",
                                                "--no-progress", NULL});
    cr_assert_eq(r.exit_code, 1, "%s", r.err);
    EXPECT(r.err, "holds fragsim results (2 directories) but no whole run");
    tu_result_free(&r);
    /* Not with --force either. */
    r = fragsim((const char *const[]){"run", "in.trace", "-o", "results", "--force", "-q",
                                      "--no-progress", NULL});
    cr_assert_eq(r.exit_code, 1, "%s", r.err);
    tu_result_free(&r);
    cr_assert(tu_exists(tu_path(dir, "results/a/series.csv")));
    cr_assert(tu_exists(tu_path(dir, "results/b/series.csv")));
}

/* Starts fragsim with args, standard input from in_path, output discarded. */
static pid_t spawn_fragsim(const char *const *args, const char *in_path) {
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        const char *argv[16] = {FRAGSIM_BIN};
        for (int i = 0; args[i] != NULL && i < 14; i++) argv[i + 1] = args[i];
        if (chdir(dir) != 0) _exit(126);
        int in = open(in_path, O_RDONLY), null = open("/dev/null", O_WRONLY);
        if (in < 0 || null < 0) _exit(126);
        dup2(in, 0);
        dup2(null, 1);
        dup2(null, 2);
        execv(FRAGSIM_BIN, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* Two captures into one X at once: X is one of them, whole. */
Test(outfile, concurrent_imports_never_mix) {
    cr_assert_eq(mkfifo(tu_path(dir, "fa"), 0666), 0);
    cr_assert_eq(mkfifo(tu_path(dir, "fb"), 0666), 0);
    const char *const args[] = {"import", "monitor", "-", "-o", "X", NULL};
    pid_t a = spawn_fragsim(args, tu_path(dir, "fa"));
    pid_t b = spawn_fragsim(args, tu_path(dir, "fb"));
    FILE *fa = fopen(tu_path(dir, "fa"), "w"), *fb = fopen(tu_path(dir, "fb"), "w");
    cr_assert(fa != NULL && fb != NULL);
    /* Interleaved halves: both imports are writing at the same time. */
    for (int half = 0; half < 2; half++) {
        for (int i = half * 3000; i < (half + 1) * 3000; i++) {
            fprintf(fa, "1700000000.%06d [0 127.0.0.1:1] \"SET\" \"a%d\" \"vvvv\"\n", i, i);
            fprintf(fb, "1700000000.%06d [0 127.0.0.1:1] \"SET\" \"bb%d\" \"ww\"\n", i, i);
        }
        fflush(fa);
        fflush(fb);
        usleep(100000);
    }
    fclose(fa);
    fclose(fb);
    int sa, sb;
    cr_assert_eq(waitpid(a, &sa, 0), a);
    cr_assert_eq(waitpid(b, &sb, 0), b);
    cr_assert(WIFEXITED(sa) && WEXITSTATUS(sa) == 0);
    cr_assert(WIFEXITED(sb) && WEXITSTATUS(sb) == 0);
    char *x = tu_read_file(tu_path(dir, "X"), NULL);
    cr_assert(x != NULL);
    int has_a = strstr(x, " a1 ") != NULL || strstr(x, " a2999 ") != NULL;
    int has_b = strstr(x, " bb1 ") != NULL || strstr(x, " bb2999 ") != NULL;
    cr_assert(has_a != has_b, "X mixes both captures (a: %d, b: %d)", has_a, has_b);
    const char *last = has_a ? " a5999 " : " bb5999 ";
    EXPECT(x, last);
    free(x);
    assert_no_partial(dir);
}
