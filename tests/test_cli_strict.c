/* Nothing accepted silently: a NUL byte in a text trace, an option value out
 * of range, --format with --preset are errors (never clamps); every error
 * keeps its reason: the errno text of a full disk, the end of a message
 * longer than the error buffer, the file of an empty trace. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../sim/base/fs_err.h"
#include "test_util.h"

static char *dir;

static void setup(void) { dir = tu_tmpdir(); }
static void teardown(void) {
    tu_rmtree(dir);
    free(dir);
}

TestSuite(cli_strict, .init = setup, .fini = teardown, .timeout = 300);

#define EXPECT(s, needle) cr_assert(strstr(s, needle) != NULL, "'%s' not in: %s", needle, s)

/* Runs fragsim, expects exit code `want` and one line on stderr; returns
 * stderr (malloc'd). */
static char *fail(int want, const char *const *args) {
    tu_result r;
    cr_assert_eq(tu_fragsim(&r, dir, args), 0);
    cr_assert_eq(r.signal, 0, "crashed: %s", r.err);
    cr_assert_eq(r.exit_code, want, "exit %d: %s", r.exit_code, r.err);
    char *nl = strchr(r.err, '\n');
    cr_assert(nl != NULL && nl[1] == '\0', "one line on stderr, got: %s", r.err);
    free(r.out);
    return r.err;
}

Test(cli_strict, nul_byte_in_a_text_line_names_file_line_and_column) {
    static const char body[] = "fragsim-trace v1\n0 SET a 10\n1 SET b\0junk 20\n2 DEL a\n";
    FILE *f = fopen(tu_path(dir, "nul.trace"), "wb");
    cr_assert(f != NULL);
    fwrite(body, 1, sizeof body - 1, f);
    fclose(f);
    char *e = fail(1, (const char *const[]){"run", "nul.trace", "-o", "res", "-q", NULL});
    EXPECT(e, "nul.trace:3:");
    EXPECT(e, "NUL byte at column 8");
    free(e);
    e = fail(1, (const char *const[]){"trace", "stats", "nul.trace", NULL});
    EXPECT(e, "nul.trace:3:");
    free(e);
    cr_assert(!tu_exists(tu_path(dir, "res")));
}

Test(cli_strict, out_of_range_options_are_errors_not_clamps) {
    char *e = fail(2, (const char *const[]){"gen", "--sizes", "fixed:600mb", "--keys", "2", NULL});
    EXPECT(e, "--sizes: 629145600 bytes is out of range");
    free(e);
    e = fail(2, (const char *const[]){"gen", "--sizes", "weighted:100:1,1gb:1", "--keys", "2", NULL});
    EXPECT(e, "--sizes");
    free(e);
    e = fail(2, (const char *const[]){"gen", "--ttl", "fixed:0", "--keys", "2", NULL});
    EXPECT(e, "--ttl: 0 s is out of range");
    free(e);
    e = fail(2, (const char *const[]){"run", "--preset", "seed-blog", "--ttl", "uniform:0,60",
                                      "-o", "res", NULL});
    EXPECT(e, "--ttl: 0 s is out of range");
    free(e);
    e = fail(2, (const char *const[]){"run", "--preset", "seed-blog", "--format", "binary", "-o",
                                      "res", NULL});
    EXPECT(e, "--format binary applies to a TRACE file, not to --preset");
    free(e);
    e = fail(2, (const char *const[]){"compare", "--preset", "seed-blog", "--format", "text", NULL});
    EXPECT(e, "--format text applies to a TRACE file");
    free(e);
}

Test(cli_strict, empty_trace_names_its_file) {
    cr_assert_eq(tu_write_file(tu_path(dir, "empty.trace"), "fragsim-trace v1\n# nothing\n"), 0);
    char *e = fail(1, (const char *const[]){"run", "empty.trace", "-o", "res", "-q", NULL});
    EXPECT(e, "empty.trace");
    EXPECT(e, "the trace has no events");
    free(e);
    e = fail(1, (const char *const[]){"trace", "stats", "empty.trace", NULL});
    EXPECT(e, "empty.trace");
    EXPECT(e, "the trace has no events");
    free(e);
}

/* A redis.conf that includes itself under a long name: the message is
 * longer than the error buffer, and keeps its reason. */
Test(cli_strict, include_loop_keeps_its_reason_past_1_kib) {
    char name[200] = "";
    memset(name, 'l', 150);
    strcat(name, ".conf");
    char line[256];
    snprintf(line, sizeof line, "include %s\n", name);
    cr_assert_eq(tu_write_file(tu_path(dir, name), line), 0);
    char *e = fail(2, (const char *const[]){"run", "--preset", "seed-blog", "--keys", "10",
                                            "--config", name, "-o", "res", NULL});
    cr_assert_gt(strlen(e), 900, "%s", e);
    EXPECT(e, "includes nested deeper than");
    free(e);
}

Test(cli_strict, error_buffer_keeps_the_end_of_long_messages) {
    fs_err err;
    char longp[3000];
    memset(longp, 'p', sizeof longp - 1);
    longp[sizeof longp - 1] = '\0';
    fs_errf(&err, "cannot write '%s': %s", longp, "No space left on device");
    EXPECT(err.msg, ": No space left on device");
    cr_assert_lt(strlen(err.msg), sizeof err.msg);
    for (int i = 0; i < 20; i++) fs_err_prefix(&err, "%.100s:%d: include", longp, i);
    EXPECT(err.msg, ": No space left on device");
}

/* Standard output on a full disk (/dev/full): the reason is kept. */
Test(cli_strict, full_disk_keeps_the_errno_text) {
    const char *const cmds[][8] = {
        {"gen", "--preset", "seed-blog", "--keys", "20000", "-o", "-", NULL},
        {"gen", "--preset", "seed-blog", "--keys", "20000", NULL},
    };
    for (size_t c = 0; c < sizeof cmds / sizeof *cmds; c++) {
        int errpipe[2];
        cr_assert_eq(pipe(errpipe), 0);
        pid_t pid = fork();
        if (pid == 0) {
            const char *argv[10] = {FRAGSIM_BIN};
            for (int i = 0; cmds[c][i] != NULL; i++) argv[i + 1] = cmds[c][i];
            int full = open("/dev/full", O_WRONLY);
            if (full < 0) _exit(126);
            dup2(full, 1);
            dup2(errpipe[1], 2);
            execv(FRAGSIM_BIN, (char *const *)argv);
            _exit(127);
        }
        close(errpipe[1]);
        char buf[2048];
        ssize_t n, len = 0;
        while ((n = read(errpipe[0], buf + len, sizeof buf - 1 - (size_t)len)) > 0) len += n;
        buf[len] = '\0';
        close(errpipe[0]);
        int st;
        waitpid(pid, &st, 0);
        cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1, "%s", buf);
        EXPECT(buf, "No space left on device");
    }
}
