/* `fragsim import monitor`, end to end: the real executable on a capture
 * file and on standard input; its trace read back by fragsim's own reader;
 * its notes on stderr; and a bad line failing with the file and line named
 * and no output file left behind. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../traces/trace_reader.h"
#include "test_util.h"

static char *dir;

static void setup(void) { dir = tu_tmpdir(); }
static void teardown(void) {
    tu_rmtree(dir);
    free(dir);
}

TestSuite(cli_import, .init = setup, .fini = teardown, .timeout = 120);

#define EXPECT(s, needle) cr_assert(strstr(s, needle) != NULL, "'%s' not in: %s", needle, s)

static const char CAPTURE[] =
    "OK\n"
    "1700000000.000001 [0 127.0.0.1:40000] \"SET\" \"user:1\" \"hello world\" \"EX\" \"60\"\n"
    "1700000000.250000 [0 127.0.0.1:40000] \"APPEND\" \"user:1\" \"!!\"\n"
    "1700000000.500000 [0 lua] \"PFADD\" \"h\" \"f\"\n"
    "1700000001.000000 [2 127.0.0.1:40001] \"SET\" \"odd key\\n\" \"\\x00\\x01\"\n"
    "1700000001.500000 [0 127.0.0.1:40000] \"SET\" \"user:1\" \"x\" \"NX\"\n"
    "1700000002.000000 [0 127.0.0.1:40000] \"INCR\" \"visits\"\n"
    "1700000002.000000 [0 127.0.0.1:40000] \"LINSERT\" \"q\" \"BEFORE\" \"a\" \"b\"\n"
    "1700000002.000000 [0 127.0.0.1:40000] \"PFADD\" \"h\" \"g\"\n"
    "1700000003.000000 [0 127.0.0.1:40000] \"DEL\" \"user:1\" \"visits\"\n"
    "1700000004.000000 [0 127.0.0.1:40000] \"MEMORY\" \"PURGE\"\n";

static const char EXPECTED[] =
    "fragsim-trace v1\n"
    "1700000000.000001 SET user:1 11 60\n"
    "1700000000.25 SET user:1 13 59.750001\n"
    "1700000001 SET db2:odd%20key%0A 2\n"
    "1700000002 SET visits 1\n"
    "1700000003 DEL user:1\n"
    "1700000003 DEL visits\n"
    "1700000004 PURGE\n"
    "# import monitor: 7 of 10 commands replayed (70.00%), 3 not translated\n"
    "# not translated: PFADD 2, LINSERT 1\n";

static tu_result run(const char *stdin_path, const char *const *args) {
    const char *argv[16] = {FRAGSIM_BIN};
    int n = 1;
    for (; args[n - 1] != NULL && n < 15; n++) argv[n] = args[n - 1];
    argv[n] = NULL;
    tu_result r;
    cr_assert_eq(tu_run(&r, dir, stdin_path, argv), 0);
    cr_assert_eq(r.signal, 0, "crashed with signal %d: %s", r.signal, r.err);
    return r;
}

Test(cli_import, file_to_file) {
    cr_assert_eq(tu_write_file(tu_path(dir, "cap.txt"), CAPTURE), 0);
    tu_result r = run(NULL, (const char *const[]){"import", "monitor", "cap.txt", "-o",
                                                  "cap.trace", NULL});
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
    char *trace = tu_read_file(tu_path(dir, "cap.trace"), NULL);
    cr_assert_not_null(trace);
    cr_assert_str_eq(trace, EXPECTED);
    free(trace);
    cr_assert(!tu_exists(tu_path(dir, "cap.trace.partial")));
    /* The commands left out, most frequent first, on one line. */
    EXPECT(r.err, "not translated (command count): PFADD 2, LINSERT 1\n");
    EXPECT(r.err, "7 of 10 commands replayed (70.00%), 3 not translated\n");
    cr_assert_str_eq(r.out, "");
    tu_result_free(&r);

    /* A run of it says what share of the capture it replays. */
    r = run(NULL, (const char *const[]){"run", "cap.trace", "-o", "res", NULL});
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
    EXPECT(r.out, "import_monitor:7 of 10 commands replayed (70.00%), 3 not translated\n");
    tu_result_free(&r);
    char *json = tu_read_file(tu_path(dir, "res/summary.json"), NULL);
    cr_assert_not_null(json);
    EXPECT(json, "\"import_monitor\": \"7 of 10 commands replayed (70.00%), 3 not translated\"");
    EXPECT(json, "\"not_translated\": \"PFADD 2, LINSERT 1\"");
    free(json);

    /* fragsim's own reader takes the result, keys decoded. */
    trace_reader tr;
    fs_err err;
    cr_assert_eq(trace_open(&tr, tu_path(dir, "cap.trace"), NULL, &err), 0, "%s", err.msg);
    trace_event ev;
    int n = 0, rc;
    while ((rc = trace_next(&tr, &ev, &err)) == 1) {
        if (n == 2) {
            cr_assert_eq(ev.keylen, 12);
            cr_assert_eq(memcmp(ev.key, "db2:odd key\n", 12), 0);
        }
        n++;
    }
    cr_assert_eq(rc, 0, "%s", err.msg);
    cr_assert_eq(n, 7);
    trace_close(&tr);
}

Test(cli_import, stdin_to_stdout) {
    cr_assert_eq(tu_write_file(tu_path(dir, "cap.txt"), CAPTURE), 0);
    tu_result r = run(tu_path(dir, "cap.txt"), (const char *const[]){"import", "monitor", NULL});
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
    cr_assert_str_eq(r.out, EXPECTED);
    tu_result_free(&r);
    r = run(tu_path(dir, "cap.txt"), (const char *const[]){"import", "monitor", "-", NULL});
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
    cr_assert_str_eq(r.out, EXPECTED);
    tu_result_free(&r);
}

/* Nothing but the capture may be left in dir. */
static void assert_only_capture(void) {
    DIR *d = opendir(dir);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0 || strcmp(n, "cap.txt") == 0) continue;
        cr_assert_fail("the failed import left '%s' behind", n);
    }
    closedir(d);
}

Test(cli_import, bad_line_fails_cleanly) {
    /* Long enough that output is written before the bad line is met. */
    FILE *f = fopen(tu_path(dir, "cap.txt"), "w");
    for (int i = 0; i < 20000; i++)
        fprintf(f, "1700000000.%06d [0 127.0.0.1:1] \"SET\" \"key:%d\" \"value\"\n", i, i);
    fprintf(f, "1700000001.000000 [0 127.0.0.1:1] \"SET\" \"k\" \"v\"\n");
    fprintf(f, "this is not monitor output\n");
    fclose(f);
    tu_result r = run(NULL, (const char *const[]){"import", "monitor", "cap.txt", "-o",
                                                  "cap.trace", NULL});
    cr_assert_eq(r.exit_code, 1, "exit %d, stderr: %s", r.exit_code, r.err);
    EXPECT(r.err, "fragsim import monitor: cap.txt:20002: not MONITOR output");
    char *nl = strchr(r.err, '\n');
    cr_assert(nl != NULL && nl[1] == '\0', "one line on stderr, got: %s", r.err);
    tu_result_free(&r);
    assert_only_capture();
}

Test(cli_import, usage) {
    tu_result r = run(NULL, (const char *const[]){"import", "monitor", "--help", NULL});
    cr_assert_eq(r.exit_code, 0);
    EXPECT(r.out, "usage: fragsim import monitor");
    EXPECT(r.out, "KEEPTTL");
    tu_result_free(&r);
    r = run(NULL, (const char *const[]){"import", "tcpdump", NULL});
    cr_assert_eq(r.exit_code, 2);
    EXPECT(r.err, "unknown format 'tcpdump': expected monitor");
    tu_result_free(&r);
    r = run(NULL, (const char *const[]){"import", "monitor", "a", "b", NULL});
    cr_assert_eq(r.exit_code, 2);
    tu_result_free(&r);
    r = run(NULL, (const char *const[]){"import", "monitor", "missing.txt", NULL});
    cr_assert_eq(r.exit_code, 1);
    EXPECT(r.err, "cannot open 'missing.txt'");
    tu_result_free(&r);
    r = run(NULL, (const char *const[]){"help", NULL});
    EXPECT(r.out, "import      a Redis server's traffic");
    tu_result_free(&r);
}

/* A capture ended by Ctrl-C mid-line, or by the server going away: the
 * trace is written, the dropped line named on stderr; anything else
 * malformed writes nothing. */
Test(cli_import, the_ends_of_a_stopped_capture_are_dropped_with_a_warning) {
    char cut[sizeof CAPTURE + 64];
    snprintf(cut, sizeof cut, "%s1700000005.000000 [0 127.0.0.1:1] \"SET\" \"x", CAPTURE);
    cr_assert_eq(tu_write_file(tu_path(dir, "cut.txt"), cut), 0);
    tu_result r = run(NULL, (const char *const[]){"import", "monitor", "cut.txt", "-o", "cut.trace",
                                                  NULL});
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
    EXPECT(r.err, "warning: dropped line");
    EXPECT(r.err, "cut off mid-way");
    char *trace = tu_read_file(tu_path(dir, "cut.trace"), NULL);
    cr_assert_str_eq(trace, EXPECTED, "the same trace as the whole capture");
    free(trace);
    tu_result_free(&r);

    char closed[sizeof CAPTURE + 64];
    snprintf(closed, sizeof closed, "%sError: Server closed the connection\n", CAPTURE);
    cr_assert_eq(tu_write_file(tu_path(dir, "closed.txt"), closed), 0);
    r = run(NULL, (const char *const[]){"import", "monitor", "closed.txt", "-o", "closed.trace",
                                        NULL});
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
    EXPECT(r.err, "Server closed the connection");
    tu_result_free(&r);

    char bad[sizeof CAPTURE + 64];
    snprintf(bad, sizeof bad, "%sgarbage\n", CAPTURE);
    cr_assert_eq(tu_write_file(tu_path(dir, "bad.txt"), bad), 0);
    r = run(NULL, (const char *const[]){"import", "monitor", "bad.txt", "-o", "bad.trace", NULL});
    cr_assert_eq(r.exit_code, 1, "stderr: %s", r.err);
    EXPECT(r.err, "bad.txt:");
    cr_assert(!tu_exists(tu_path(dir, "bad.trace")));
    tu_result_free(&r);
}
