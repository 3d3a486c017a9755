/* redis.conf reading (sim/redis_conf.h): Debian's real file, units, values
 * Redis refuses (with file and line), include, quoting, and the names and
 * values recorded for summaries. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../sim/redis_conf.h"
#include "test_util.h"

static char *dir;

/* Each test runs in a process of its own (Criterion), so the chdir is
 * private to it: includes are relative to the current directory. */
static void setup(void) {
    dir = tu_tmpdir();
    cr_assert_not_null(dir);
    cr_assert_eq(chdir(dir), 0);
}

static void teardown(void) {
    tu_rmtree(dir);
    free(dir);
}

TestSuite(redis_conf, .init = setup, .fini = teardown, .timeout = 60);

#define EXPECT(msg, needle) \
    cr_assert(strstr(msg, needle) != NULL, "'%s' not in: %s", needle, msg)

#define DEBIAN_CONF "/etc/redis/redis.conf"

static void write_conf(const char *name, const char *text) {
    cr_assert_eq(tu_write_file(name, text), 0);
}

/* Loads text as x.conf over the defaults; returns load's result. */
static int load_text(const char *text, redis_conf *c, redis_conf_notes *notes, fs_err *err) {
    write_conf("x.conf", text);
    redis_conf_default(c);
    return redis_conf_load(c, "x.conf", notes, err);
}

typedef struct kv_list {
    int n;
    char names[32][64], values[32][32];
} kv_list;

static void collect(void *arg, const char *name, const char *value) {
    kv_list *l = arg;
    cr_assert_lt(l->n, 32);
    snprintf(l->names[l->n], sizeof l->names[0], "%s", name);
    snprintf(l->values[l->n], sizeof l->values[0], "%s", value);
    l->n++;
}

static const char *value_of(const kv_list *l, const char *name) {
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->names[i], name) == 0) return l->values[i];
    cr_assert_fail("no setting '%s'", name);
    return NULL;
}

Test(redis_conf, defaults_are_redis_7) {
    redis_conf c;
    redis_conf_default(&c);
    cr_assert_eq(c.maxmemory, 0);
    cr_assert_eq(c.maxmemory_policy, REDIS_POLICY_NOEVICTION);
    cr_assert_eq(c.maxmemory_samples, 5);
    cr_assert_eq(c.hz, 10);
    cr_assert_eq(c.activedefrag, 0);
    cr_assert_eq(c.active_defrag_ignore_bytes, 100 << 20);
    cr_assert_eq(c.active_defrag_threshold_lower, 10);
    cr_assert_eq(c.active_defrag_threshold_upper, 100);
    cr_assert_eq(c.active_defrag_cycle_min, 1);
    cr_assert_eq(c.active_defrag_cycle_max, 25);
    cr_assert_eq(c.active_defrag_max_scan_fields, 1000);
    cr_assert_eq(c.lazyfree_lazy_eviction + c.lazyfree_lazy_expire + c.lazyfree_lazy_server_del +
                 c.lazyfree_lazy_user_del + c.lazyfree_lazy_user_flush, 0);
    cr_assert_eq(c.jemalloc_bg_thread, 1);

    kv_list l = {0};
    redis_conf_each(&c, collect, &l);
    cr_assert_eq(l.n, 24);
    cr_assert_str_eq(value_of(&l, "active-expire-effort"), "1");
    cr_assert_str_eq(l.names[0], "maxmemory");
    cr_assert_str_eq(value_of(&l, "maxmemory"), "0");
    cr_assert_str_eq(value_of(&l, "maxmemory-policy"), "noeviction");
    cr_assert_str_eq(value_of(&l, "hz"), "10");
    cr_assert_str_eq(value_of(&l, "activedefrag"), "no");
    cr_assert_str_eq(value_of(&l, "active-defrag-ignore-bytes"), "104857600");
    cr_assert_str_eq(value_of(&l, "active-defrag-cycle-max"), "25");
    cr_assert_str_eq(value_of(&l, "lazyfree-lazy-user-flush"), "no");
    cr_assert_str_eq(value_of(&l, "jemalloc-bg-thread"), "yes");
    cr_assert_str_eq(value_of(&l, "hash-max-listpack-entries"), "512");
    cr_assert_str_eq(value_of(&l, "hash-max-listpack-value"), "64");
    cr_assert_str_eq(value_of(&l, "zset-max-listpack-entries"), "128");
    cr_assert_str_eq(value_of(&l, "zset-max-listpack-value"), "64");
    cr_assert_str_eq(value_of(&l, "set-max-intset-entries"), "512");
    cr_assert_str_eq(value_of(&l, "list-max-listpack-size"), "-2");
    cr_assert_eq(c.list_max_listpack_size, -2);
}

Test(redis_conf, debian_redis_conf) {
    if (access(DEBIAN_CONF, R_OK) != 0)
        cr_assert_fail(DEBIAN_CONF " is missing: install Debian's redis-server "
                       "(apt-get install redis-server; .ci/run does) to run this test");
    /* Start far from the defaults, so that what the file sets shows. */
    redis_conf c;
    redis_conf_default(&c);
    c.hz = 100;
    c.lazyfree_lazy_eviction = c.lazyfree_lazy_expire = c.lazyfree_lazy_user_flush = 1;
    c.jemalloc_bg_thread = 0;
    c.maxmemory = 12345;
    c.maxmemory_samples = 7;
    redis_conf_notes notes;
    fs_err err;
    cr_assert_eq(redis_conf_load(&c, DEBIAN_CONF, &notes, &err), 0, "%s", err.msg);
    /* Set in Debian's file. */
    cr_assert_eq(c.hz, 10);
    cr_assert_eq(c.lazyfree_lazy_eviction, 0);
    cr_assert_eq(c.lazyfree_lazy_expire, 0);
    cr_assert_eq(c.lazyfree_lazy_user_flush, 0);
    cr_assert_eq(c.jemalloc_bg_thread, 1);
    /* Only in comments there: untouched. */
    cr_assert_eq(c.maxmemory, 12345);
    cr_assert_eq(c.maxmemory_samples, 7);
    /* One note listing the ignored directives, each once, in file order. */
    EXPECT(notes.text, "ignored (fragsim does not model them): bind, protected-mode, port, ");
    EXPECT(notes.text, ", daemonize, ");
    EXPECT(notes.text, ", dir, ");
    EXPECT(notes.text, ", proc-title-template, ");
    cr_assert_null(strstr(notes.text, "lazyfree"));
    cr_assert_null(strstr(notes.text, " hz"));
    cr_assert_null(strstr(notes.text, "hash-max-listpack"), "read, not ignored");
    cr_assert_eq(c.hash_max_listpack_entries, 512);
    cr_assert_eq(c.hash_max_listpack_value, 64);
    const char *cobl = strstr(notes.text, "client-output-buffer-limit");
    cr_assert_not_null(cobl);
    cr_assert_null(strstr(cobl + 1, "client-output-buffer-limit"));
    cr_assert_eq(strchr(notes.text, '\n'), notes.text + strlen(notes.text) - 1, "one note: %s",
                 notes.text);
}

Test(redis_conf, memory_units) {
    static const struct {
        const char *text;
        uint64_t bytes;
    } cases[] = {
        {"100mb", 100ULL << 20}, {"1gb", 1ULL << 30}, {"1g", 1000000000},  {"2KB", 2048},
        {"2k", 2000},            {"100", 100},        {"100b", 100},       {"0", 0},
        {"b", 0},                {"007mb", 7ULL << 20}, {"3M", 3000000},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        redis_conf c;
        redis_conf_default(&c);
        fs_err err;
        cr_assert_eq(redis_conf_set(&c, "maxmemory", cases[i].text, &err), 0, "%s: %s",
                     cases[i].text, err.msg);
        cr_assert_eq(c.maxmemory, cases[i].bytes, "%s", cases[i].text);
    }
    redis_conf c;
    fs_err err;
    cr_assert_eq(load_text("maxmemory 4gb\nactive-defrag-ignore-bytes 2mb\n", &c, NULL, &err), 0,
                 "%s", err.msg);
    cr_assert_eq(c.maxmemory, 4ULL << 30);
    cr_assert_eq(c.active_defrag_ignore_bytes, 2 << 20);
}

/* Each bad value fails at its line, says what was expected, and changes
 * nothing. */
static void expect_bad(const char *line, const char *what) {
    char text[512];
    snprintf(text, sizeof text, "# a comment\n\nhz 50\n%s\nmaxmemory 1mb\n", line);
    redis_conf c;
    redis_conf_notes notes;
    fs_err err;
    cr_assert_eq(load_text(text, &c, &notes, &err), -1, "accepted: %s", line);
    EXPECT(err.msg, "x.conf:4: ");
    EXPECT(err.msg, what);
    cr_assert_eq(c.hz, 10, "a failed load changed the settings");
}

Test(redis_conf, bad_values_name_the_line) {
    expect_bad("hz abc", "hz 'abc': expected a whole number of ticks per second from 0 to");
    expect_bad("hz -1", "hz '-1'");
    expect_bad("hz 010", "hz '010'"); /* Redis takes no leading zeros */
    expect_bad("hz +5", "hz '+5'");
    expect_bad("maxmemory-samples 0", "from 1 to 2147483647");
    expect_bad("active-defrag-cycle-min 0", "from 1 to 99");
    expect_bad("active-defrag-cycle-max 100", "active-defrag-cycle-max '100'");
    expect_bad("active-defrag-threshold-lower 1001", "from 0 to 1000");
    expect_bad("active-defrag-threshold-upper -1", "from 0 to 1000");
    expect_bad("active-defrag-ignore-bytes 0", "from 1 to 9223372036854775807");
    expect_bad("active-defrag-max-scan-fields 0", "from 1 to");
    expect_bad("maxmemory -1", "maxmemory '-1': expected bytes");
    expect_bad("maxmemory 1.5gb", "with an optional unit");
    expect_bad("maxmemory 10tb", "maxmemory '10tb'");
    expect_bad("maxmemory-policy lru", "expected one of noeviction, allkeys-lru");
    expect_bad("activedefrag maybe", "activedefrag 'maybe': expected yes or no");
    expect_bad("jemalloc-bg-thread 1", "expected yes or no");
    expect_bad("maxmemory 10 b", "maxmemory takes one value, found 2");
    expect_bad("hz", "hz takes one value, found 0");
    expect_bad("lazyfree-lazy-expire yes # no trailing comments", "found 5");
    expect_bad("hz \"10", "unbalanced quotes");
    expect_bad("hz \"1\"0", "unbalanced quotes");
    expect_bad("bind '127.0.0.1", "unbalanced quotes"); /* even in an ignored directive */
    expect_bad("include", "include takes one path");
    expect_bad("include nowhere.conf", "include: cannot open 'nowhere.conf'");
}

Test(redis_conf, redis_forms_accepted) {
    redis_conf c;
    redis_conf_notes notes;
    fs_err err;
    cr_assert_eq(load_text("  # indented comment\r\n"
                           " \t \n"
                           "HZ 12\r\n"                               /* any case, CRLF */
                           "MaxMemory-Policy VOLATILE-TTL\n"
                           "activedefrag \"y\\x65s\"\n"              /* hex escape */
                           "\"maxmemory-samples\" '9'\n"             /* quoted name, single */
                           "lazyfree-lazy-user-del YES\n"
                           "active-defrag-cycle-max 75\n"
                           "active-defrag-cycle-max 50\n"            /* the last one wins */
                           "save 900 1\nsave 300 10\n"               /* ignored, listed once */
                           "rename-command CONFIG \"\"\n"
                           "proc-title-template \"{title} \\\"{port}\\\"\"\n"
                           "user default on 'it\\'s' ~* +@all\n",
                           &c, &notes, &err),
                 0, "%s", err.msg);
    cr_assert_eq(c.hz, 12);
    cr_assert_eq(c.maxmemory_policy, REDIS_POLICY_VOLATILE_TTL);
    cr_assert_eq(c.activedefrag, 1);
    cr_assert_eq(c.maxmemory_samples, 9);
    cr_assert_eq(c.lazyfree_lazy_user_del, 1);
    cr_assert_eq(c.active_defrag_cycle_max, 50);
    EXPECT(notes.text, "ignored (fragsim does not model them): save, rename-command, "
                       "proc-title-template, user\n");
    EXPECT(notes.text, "x.conf:5: activedefrag yes: modelled as Redis does it");
}

Test(redis_conf, hz_capped_as_redis_does) {
    redis_conf c;
    redis_conf_notes notes;
    fs_err err;
    cr_assert_eq(load_text("hz 1000\n", &c, &notes, &err), 0, "%s", err.msg);
    cr_assert_eq(c.hz, 500);
    EXPECT(notes.text, "x.conf:1: hz 1000 is taken as 500, as Redis caps it to 1..500");
    cr_assert_eq(load_text("hz 0\n", &c, &notes, &err), 0, "%s", err.msg);
    cr_assert_eq(c.hz, 1);
    cr_assert_eq(redis_conf_set(&c, "hz", "2000", &err), 0);
    cr_assert_eq(c.hz, 500);
}

Test(redis_conf, include) {
    write_conf("sub.conf", "hz 30\nmaxmemory 5mb\nport 7000\n");
    redis_conf c;
    redis_conf_notes notes;
    fs_err err;
    /* Relative to the current directory; later lines win over the include. */
    cr_assert_eq(load_text("hz 20\nmaxmemory 1mb\ninclude sub.conf\nmaxmemory 2mb\n", &c, &notes,
                           &err),
                 0, "%s", err.msg);
    cr_assert_eq(c.hz, 30);
    cr_assert_eq(c.maxmemory, 2 << 20);
    EXPECT(notes.text, "ignored (fragsim does not model them): port\n");

    /* An error in the included file names both places. */
    write_conf("sub.conf", "hz 30\n\nhz fast\n");
    cr_assert_eq(load_text("maxmemory 1mb\ninclude sub.conf\n", &c, &notes, &err), -1);
    EXPECT(err.msg, "x.conf:2: include: sub.conf:3: hz 'fast'");

    /* A loop is an error, not a crash. */
    write_conf("loop.conf", "include loop.conf\n");
    cr_assert_eq(load_text("include loop.conf\n", &c, &notes, &err), -1);
    EXPECT(err.msg, "nested deeper than");

    /* Wildcards: every match, in sorted order; no match, nothing. */
    cr_assert_eq(mkdir("conf.d", 0777), 0);
    write_conf("conf.d/b.conf", "hz 40\n");
    write_conf("conf.d/a.conf", "hz 35\nmaxmemory-policy allkeys-lfu\n");
    cr_assert_eq(load_text("include conf.d/*.conf\ninclude none.d/*.conf\n", &c, &notes, &err),
                 0, "%s", err.msg);
    cr_assert_eq(c.hz, 40);
    cr_assert_eq(c.maxmemory_policy, REDIS_POLICY_ALLKEYS_LFU);
}

Test(redis_conf, standard_input) {
    write_conf("in.conf", "maxmemory 3mb\nhz 7\n");
    cr_assert_not_null(freopen("in.conf", "r", stdin));
    redis_conf c;
    redis_conf_default(&c);
    fs_err err;
    cr_assert_eq(redis_conf_load(&c, "-", NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(c.maxmemory, 3 << 20);
    cr_assert_eq(c.hz, 7);
}

Test(redis_conf, set_by_name) {
    redis_conf c;
    redis_conf_default(&c);
    fs_err err;
    cr_assert_eq(redis_conf_set(&c, "MAXMEMORY-POLICY", "allkeys-random", &err), 0, "%s", err.msg);
    cr_assert_eq(redis_conf_set(&c, "active-defrag-threshold-lower", "5", &err), 0, "%s", err.msg);
    cr_assert_eq(redis_conf_set(&c, "lazyfree-lazy-server-del", "yes", &err), 0, "%s", err.msg);
    cr_assert_eq(redis_conf_set(&c, "active-defrag-max-scan-fields", "12", &err), 0, "%s",
                 err.msg);
    kv_list l = {0};
    redis_conf_each(&c, collect, &l);
    cr_assert_str_eq(value_of(&l, "maxmemory-policy"), "allkeys-random");
    cr_assert_str_eq(value_of(&l, "active-defrag-threshold-lower"), "5");
    cr_assert_str_eq(value_of(&l, "lazyfree-lazy-server-del"), "yes");
    cr_assert_str_eq(value_of(&l, "active-defrag-max-scan-fields"), "12");

    /* A negative size limit, and the 6.x name. */
    cr_assert_eq(redis_conf_set(&c, "list-max-ziplist-size", "-3", &err), 0, "%s", err.msg);
    cr_assert_eq(c.list_max_listpack_size, -3);
    cr_assert_eq(redis_conf_set(&c, "list-max-listpack-size", "128", &err), 0, "%s", err.msg);
    cr_assert_eq(c.list_max_listpack_size, 128);

    cr_assert_eq(redis_conf_set(&c, "maxmemroy", "1mb", &err), -1);
    EXPECT(err.msg, "unknown Redis setting 'maxmemroy': fragsim models maxmemory, ");
    cr_assert_eq(redis_conf_set(&c, "hz", "x", &err), -1);
    EXPECT(err.msg, "hz 'x': expected a whole number");
    cr_assert_eq(c.hz, 10);
}
