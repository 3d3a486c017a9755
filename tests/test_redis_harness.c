/* The real-server harness (tests/redis_harness.h) against Debian's
 * redis-server: start, commands, INFO memory, a MONITOR capture imported
 * with traces/import_monitor.h, and stop.  The import is checked against the
 * server itself: every key the importer believes in must exist there with
 * the same length and expiry, and every other must not. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../traces/import_monitor.h"
#include "redis_harness.h"
#include "test_util.h"

TestSuite(redis_harness, .timeout = 120);

static redis_server srv;

static void start(const char *const *extra) {
    cr_assert_eq(redis_server_start(&srv, extra), 0, "%s", srv.err);
}

/* Runs a command and returns its reply, which must not be an error unless
 * allowed. */
#define CMD(...) command(0, __VA_ARGS__, NULL)
#define CMD_MAY_FAIL(...) command(1, __VA_ARGS__, NULL)
static redis_reply *command(int may_fail, const char *arg0, ...) {
    const char *argv[32];
    size_t lens[32];
    int argc = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a != NULL && argc < 32; a = va_arg(ap, const char *)) {
        argv[argc] = a;
        lens[argc++] = strlen(a);
    }
    va_end(ap);
    redis_reply *r = redis_command_argv(&srv, argc, argv, lens);
    cr_assert_not_null(r, "%s: %s", arg0, srv.err);
    if (!may_fail) cr_assert_neq(r->type, '-', "%s: %s", arg0, r->str);
    return r;
}

static void cmd(const char *const *argv) {
    int argc = 0;
    size_t lens[32];
    while (argv[argc] != NULL) lens[argc] = strlen(argv[argc]), argc++;
    redis_reply *r = redis_command_argv(&srv, argc, argv, lens);
    cr_assert_not_null(r, "%s: %s", argv[0], srv.err);
    redis_reply_free(r);
}

static long long integer(redis_reply *r) {
    cr_assert_eq(r->type, ':', "not an integer reply");
    long long v = r->integer;
    redis_reply_free(r);
    return v;
}

Test(redis_harness, info_memory_grows) {
    start(NULL);
    redis_info_memory before, after;
    cr_assert_eq(redis_info_memory_read(&srv, &before), 0, "%s", srv.err);
    cr_assert(strncmp(before.mem_allocator, "jemalloc", 8) == 0, "%s", before.mem_allocator);
    char key[32], value[501];
    memset(value, 'v', 500);
    value[500] = '\0';
    for (int i = 0; i < 2000; i++) {
        snprintf(key, sizeof key, "key:%d", i);
        redis_reply_free(CMD("SET", key, value));
    }
    cr_assert_eq(integer(CMD("DBSIZE")), 2000);
    cr_assert_eq(redis_info_memory_read(&srv, &after), 0, "%s", srv.err);
    /* 2000 values of 500 bytes: at least a megabyte more. */
    cr_assert_gt(after.used_memory, before.used_memory + 1000000, "%llu -> %llu",
                 (unsigned long long)before.used_memory, (unsigned long long)after.used_memory);
    cr_assert_geq(after.allocator_active, after.allocator_allocated);
    cr_assert_gt(after.used_memory_rss, 0);
    pid_t pid = srv.pid;
    cr_assert_eq(redis_server_stop(&srv), 0, "the server had to be killed");
    cr_assert_eq(kill(pid, 0), -1);
    cr_assert_eq(errno, ESRCH);
}

Test(redis_harness, refused_start_says_why) {
    redis_server s;
    cr_assert_eq(redis_server_start(&s, (const char *const[]){"--hz", "fast", NULL}), -1);
    cr_assert(strstr(s.err, "refused to start") != NULL, "%s", s.err);
    cr_assert(strstr(s.err, "hz") != NULL, "%s", s.err);
    cr_assert_eq(s.pid, 0);
}

/* ---- MONITOR, imported ---- */

typedef struct seen {
    int n, sets, dels, purges;
    int s1_append; /* the APPEND's SET of s1: 11 bytes, TTL kept */
    int db2_flushed;
} seen;

static int on_event(void *arg, const trace_event *ev, fs_err *err) {
    (void)err;
    seen *s = arg;
    s->n++;
    if (ev->op == TRACE_OP_SET) s->sets++;
    if (ev->op == TRACE_OP_DEL) s->dels++;
    if (ev->op == TRACE_OP_PURGE) s->purges++;
    if (ev->op == TRACE_OP_SET && ev->keylen == 2 && memcmp(ev->key, "s1", 2) == 0 &&
        ev->size == 11 && ev->ttl_us > 90 * TRACE_US_PER_S && ev->ttl_us <= 100 * TRACE_US_PER_S)
        s->s1_append++;
    if (ev->op == TRACE_OP_DEL && ev->keylen == 6 && memcmp(ev->key, "db2:d2", 6) == 0)
        s->db2_flushed++;
    return 0;
}

static void sleep_ms(int ms) {
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

/* The workload: every command family, with conditions that fail and
 * succeed, an expiry that passes, errors, two databases. */
static void workload(void) {
    static const char *const script[][8] = {
        {"SET", "s1", "hello", "EX", "100"},
        {"APPEND", "s1", " world"},
        {"SET", "s1", "x", "NX"},
        {"SET", "s2", "abc", "XX"},
        {"SET", "s3", "12", "PX", "150"},
        {"INCR", "c1"}, {"INCR", "c1"}, {"INCRBY", "c1", "1000"}, {"DECR", "c1"},
        {"INCRBYFLOAT", "f1", "10.5"}, {"INCRBYFLOAT", "f1", "0.1"},
        {"INCRBYFLOAT", "f1", "1e-5"},
        {"SET", "f2", "3.0e3"}, {"INCRBYFLOAT", "f2", "1.5"},
        {"SETRANGE", "r1", "10", "xyz"}, {"SETRANGE", "r1", "2", "ab"},
        {"SET", "k1", "v", "EX", "50"}, {"EXPIRE", "k1", "100", "GT"},
        {"EXPIRE", "k1", "10", "GT"}, {"EXPIRE", "k1", "200", "LT"},
        {"SET", "k1", "longer value", "KEEPTTL"},
        {"SET", "g1", "abc"}, {"GETEX", "g1", "EX", "30"}, {"SET", "g2", "abcd", "EX", "30"},
        {"GETEX", "g2", "PERSIST"},
        {"MSET", "m1", "a", "m2", "bb"}, {"MSETNX", "m2", "x", "m3", "y"},
        {"SETEX", "se", "40", "val"}, {"PSETEX", "pse", "40000", "v"},
        {"GETSET", "gs", "newval"}, {"SETNX", "nx1", "1"}, {"SETNX", "nx1", "22"},
        {"DEL", "m1", "s2", "nokey"}, {"UNLINK", "m2"},
        {"HSET", "h", "f", "v"},
        {"SET", "nn", "abc"}, {"INCR", "nn"},
        {"SET", "e0", "v", "EX", "0"},
        {"SET", "xp", "v"}, {"EXPIREAT", "xp", "1"},
        {"SET", "pa", "v", "PXAT", "1"},
        {"SELECT", "2"}, {"SET", "d2", "in db2"}, {"SET", "s1", "db2's s1"}, {"FLUSHDB"},
        {"SET", "d2b", "after"}, {"SELECT", "0"},
        {"MEMORY", "PURGE"},
    };
    for (size_t i = 0; i < sizeof script / sizeof script[0]; i++) {
        cmd(script[i]);
        if (strcmp(script[i][0], "SET") == 0 && strcmp(script[i][1], "s3") == 0) {
            sleep_ms(250); /* s3 expires: the SET NX below must then succeed */
            cmd((const char *const[]){"SET", "s3", "new", "NX", NULL});
        }
    }
}

/* The server's answer for one key against the importer's. */
static void compare_key(import_monitor *im, int db, const char *key) {
    char dbs[8];
    snprintf(dbs, sizeof dbs, "%d", db);
    redis_reply_free(CMD("SELECT", dbs));
    uint64_t size;
    int64_t expire_us;
    int believed = import_monitor_key(im, db, key, (uint32_t)strlen(key), &size, &expire_us);
    redis_reply *type = CMD("TYPE", key);
    int is_string = strcmp(type->str, "string") == 0, is_hash = strcmp(type->str, "hash") == 0;
    redis_reply_free(type);
    cr_assert_eq(believed, is_string || is_hash, "db %d key %s: importer %d, server %d", db, key,
                 believed, is_string || is_hash);
    if (!believed || is_hash) return;
    cr_assert_eq((long long)size, integer(CMD("STRLEN", key)), "db %d key %s: length", db, key);
    long long at_ms = integer(CMD("PEXPIRETIME", key));
    if (expire_us == TRACE_TTL_NONE) {
        cr_assert_eq(at_ms, -1, "db %d key %s: the server has an expiry", db, key);
    } else {
        /* MONITOR's clock is read a little after the command's. */
        long long diff = expire_us / 1000 - at_ms;
        cr_assert(at_ms > 0 && diff > -50 && diff < 50, "db %d key %s: expiry %lld ms vs %lld ms",
                  db, key, (long long)(expire_us / 1000), at_ms);
    }
}

Test(redis_harness, monitor_imported) {
    start(NULL);
    char *dir = tu_tmpdir();
    const char *path = tu_path(dir, "monitor.txt");
    cr_assert_eq(redis_monitor_start(&srv, path), 0, "%s", srv.err);
    workload();
    cr_assert_eq(redis_monitor_stop(&srv), 0, "%s", srv.err);

    /* redis-cli's format: OK, then one line per command. */
    char *text = tu_read_file(path, NULL);
    cr_assert_not_null(text);
    cr_assert(strncmp(text, "OK\n", 3) == 0, "%.80s", text);
    cr_assert(strstr(text, "[0 127.0.0.1:") != NULL, "%.200s", text);
    cr_assert(strstr(text, "] \"SET\" \"s1\" \"hello\" \"EX\" \"100\"\n") != NULL);
    cr_assert(strstr(text, "[2 127.0.0.1:") != NULL);
    cr_assert_null(strstr(text, "fragsim-harness-end"), "the end marker was written");
    free(text);

    seen s = {0};
    import_monitor *im = import_monitor_new(path, on_event, &s);
    FILE *f = fopen(path, "r");
    fs_err err;
    cr_assert_eq(import_monitor_read(im, f, &err), 0, "%s", err.msg);
    fclose(f);
    const import_monitor_stats *st = import_monitor_get_stats(im);
    cr_assert_eq(s.n, (int)st->events);
    cr_assert_eq(s.s1_append, 1, "APPEND's SET of s1 (11 bytes, TTL kept)");
    cr_assert_eq(s.db2_flushed, 1, "FLUSHDB's DEL of db2:d2");
    cr_assert_eq(s.purges, 1);
    cr_assert_eq(st->rejected, 2, "INCR on 'abc' and EX 0");
    const import_monitor_count *list;
    cr_assert_eq(import_monitor_untranslated(im, &list), 0, "HSET is translated");

    static const char *const keys0[] = {
        "s1", "s2", "s3", "c1", "f1", "f2", "r1", "k1", "g1", "g2", "m1", "m2", "m3", "se",
        "pse", "gs", "nx1", "h", "nn", "e0", "xp", "pa", "d2", "d2b", "nokey"};
    for (size_t i = 0; i < sizeof keys0 / sizeof keys0[0]; i++) compare_key(im, 0, keys0[i]);
    static const char *const keys2[] = {"d2", "s1", "d2b", "c1"};
    for (size_t i = 0; i < sizeof keys2 / sizeof keys2[0]; i++) compare_key(im, 2, keys2[i]);
    /* Every key of db 0 was in the list: 14 strings and the hash. */
    redis_reply_free(CMD("SELECT", "0"));
    cr_assert_eq(integer(CMD("DBSIZE")), 15);

    import_monitor_free(im);
    cr_assert_eq(redis_server_stop(&srv), 0);
    tu_rmtree(dir);
    free(dir);
}
