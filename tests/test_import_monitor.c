/* The MONITOR importer (traces/import_monitor.h): decoding lines, and each
 * command family replayed as Redis 7 would, checked on the events it makes
 * (written with the text trace writer, so keys appear percent-encoded) and
 * on its table of keys. */
#define _GNU_SOURCE
#include "import_monitor_fixture.h"

TestSuite(import_monitor, .timeout = 60);

Test(import_monitor, set_and_escapes) {
    /* Every escape Redis writes; the value's size is its unescaped length. */
    run r;
    run_text(&r, "OK\n" L(1000, "\"SET\" \"a\\\\b\\\"c\\n\\r\\t\\a\\b\\x00\\xff\" \"\\x01\\x02\\\"\"")
                 L(1001, "\"set\" \"plain\" \"\""),
             0);
    cr_assert_eq(r.rc, 0, "%s", r.err.msg);
    cr_assert_str_eq(r.events, "1000 SET a\\b\"c%0A%0D%09%07%08%00%FF 3\n1001 SET plain 0\n");
    uint64_t size;
    int64_t exp;
    cr_assert_eq(import_monitor_key(r.im, 0, "a\\b\"c\n\r\t\a\b\0\xff", 12, &size, &exp), 1);
    cr_assert_eq(size, 3);
    cr_assert_eq(exp, TRACE_TTL_NONE);
    run_free(&r);
}

Test(import_monitor, client_forms) {
    expect_events("OK\n"
                  "1000.000001 [0 lua] \"SET\" \"a\" \"1\"\n"
                  "1000.5 [0 unix:/run/redis/redis.sock] \"SET\" \"b\" \"22\"\n"
                  "1001 [0 [::1]:6379] \"SET\" \"c\" \"333\"\n"
                  "1001.000002 [12 10.0.0.1:1] \"SET\" \"d\" \"4444\"\n",
                  "1000.000001 SET a 1\n1000.5 SET b 2\n1001 SET c 3\n1001.000002 SET db12:d 4\n");
}

Test(import_monitor, set_expiry_forms) {
    expect_events(L(1000, "\"SET\" \"ex\" \"v\" \"EX\" \"10\"")
                  L(1000, "\"SET\" \"px\" \"v\" \"px\" \"1500\"")
                  /* absolute: relative to the line's time */
                  L(1000, "\"SET\" \"exat\" \"v\" \"EXAT\" \"1060\"")
                  L(1000, "\"SET\" \"pxat\" \"v\" \"PXAT\" \"1000250\"")
                  /* already past: stored, and expires at once */
                  L(1000, "\"SET\" \"past\" \"v\" \"EXAT\" \"5\""),
                  "1000 SET ex 1 10\n1000 SET px 1 1.5\n1000 SET exat 1 60\n"
                  "1000 SET pxat 1 0.25\n1000 SET past 1 0.000001\n");
}

Test(import_monitor, set_rejected_by_redis) {
    run r;
    const import_monitor_stats *st = stats_of(
        L(1000, "\"SET\" \"k\" \"v\" \"EX\" \"0\"")          /* invalid expire time */
        L(1000, "\"SET\" \"k\" \"v\" \"EX\" \"-5\"")
        L(1000, "\"SET\" \"k\" \"v\" \"EX\" \"ten\"")
        L(1000, "\"SET\" \"k\" \"v\" \"EX\" \"10\" \"PX\" \"5\"") /* syntax error */
        L(1000, "\"SET\" \"k\" \"v\" \"NX\" \"XX\"")
        L(1000, "\"SET\" \"k\" \"v\" \"KEEPTTL\" \"EX\" \"1\"")
        L(1000, "\"SET\" \"k\" \"v\" \"EX\"")                 /* EX without its value */
        L(1000, "\"SET\" \"k\" \"v\" \"BOGUS\"")
        L(1000, "\"SET\" \"k\"")                              /* wrong number of arguments */
        L(1000, "\"SETEX\" \"k\" \"0\" \"v\""),
        &r);
    cr_assert_str_eq(r.events, "");
    cr_assert_eq(st->rejected, 10);
    cr_assert_eq(st->commands, 10);
    uint64_t size;
    int64_t exp;
    cr_assert_eq(import_monitor_key(r.im, 0, "k", 1, &size, &exp), 0);
    run_free(&r);
}

Test(import_monitor, nx_xx_keepttl_get) {
    expect_events(L(1000, "\"SET\" \"k\" \"v\" \"XX\"")               /* absent: nothing */
                  L(1001, "\"SET\" \"k\" \"vv\" \"NX\" \"EX\" \"100\"") /* absent: stored */
                  L(1002, "\"SET\" \"k\" \"vvv\" \"NX\"")              /* present: nothing */
                  L(1003, "\"SET\" \"k\" \"vvvv\" \"XX\" \"KEEPTTL\"") /* 98 s left */
                  L(1004, "\"SET\" \"k\" \"vvvvv\" \"GET\"")           /* read, then no TTL */
                  L(1005, "\"SET\" \"k\" \"x\" \"KEEPTTL\"")           /* no TTL to keep */
                  L(1006, "\"SET\" \"n\" \"x\" \"KEEPTTL\""),
                  "1001 SET k 2 100\n1003 SET k 4 98\n1004 GET k\n1004 SET k 5\n"
                  "1005 SET k 1\n1006 SET n 1\n");
}

Test(import_monitor, set_family) {
    expect_events(L(1000, "\"SETEX\" \"a\" \"30\" \"xyz\"")
                  L(1000, "\"PSETEX\" \"b\" \"250\" \"xy\"")
                  L(1000, "\"SETNX\" \"a\" \"other\"")
                  L(1000, "\"SETNX\" \"c\" \"1234\"")
                  L(1001, "\"MSET\" \"a\" \"1\" \"d\" \"22\"")        /* drops a's TTL */
                  L(1002, "\"MSETNX\" \"d\" \"1\" \"e\" \"1\"")       /* d exists: none */
                  L(1002, "\"MSETNX\" \"e\" \"1\" \"f\" \"333\"")
                  L(1002, "\"MSET\" \"a\" \"1\" \"d\"")               /* odd: rejected */
                  L(1003, "\"GETSET\" \"c\" \"12345\"")
                  L(1004, "\"GETDEL\" \"c\"")
                  L(1004, "\"GETDEL\" \"c\""),
                  "1000 SET a 3 30\n1000 SET b 2 0.25\n1000 SET c 4\n1001 SET a 1\n"
                  "1001 SET d 2\n1002 SET e 1\n1002 SET f 3\n1003 GET c\n1003 SET c 5\n"
                  "1004 GET c\n1004 DEL c\n1004 GET c\n");
}

Test(import_monitor, getex) {
    expect_events(L(1000, "\"SET\" \"k\" \"v\"")
                  L(1001, "\"GETEX\" \"k\" \"EX\" \"50\"")
                  L(1002, "\"GETEX\" \"k\" \"PXAT\" \"1010000\"")
                  L(1003, "\"GETEX\" \"k\"")
                  L(1004, "\"GETEX\" \"k\" \"PERSIST\"")
                  L(1005, "\"GETEX\" \"k\" \"PERSIST\"")             /* no TTL: nothing more */
                  L(1006, "\"GETEX\" \"k\" \"EX\" \"0\"")            /* rejected: no GET either */
                  L(1007, "\"GETEX\" \"k\" \"KEEPTTL\"")             /* SET's option only */
                  L(1008, "\"GETEX\" \"k\" \"EXAT\" \"999\"")        /* past: deleted */
                  L(1009, "\"GETEX\" \"k\" \"EX\" \"5\""),           /* gone: a miss */
                  "1000 SET k 1\n1001 GET k\n1001 EXPIRE k 50\n1002 GET k\n1002 EXPIRE k 8\n"
                  "1003 GET k\n1004 GET k\n1004 PERSIST k\n1005 GET k\n1008 GET k\n"
                  "1008 EXPIRE k 0\n1009 GET k\n");
}

Test(import_monitor, append_and_setrange) {
    expect_events(L(1000, "\"APPEND\" \"a\" \"abc\"")                /* created, no TTL */
                  L(1001, "\"EXPIRE\" \"a\" \"100\"")
                  L(1002, "\"APPEND\" \"a\" \"defg\"")               /* 7 bytes, TTL kept */
                  L(1003, "\"SETRANGE\" \"a\" \"2\" \"XY\"")         /* inside: still 7 */
                  L(1004, "\"SETRANGE\" \"a\" \"10\" \"Z\"")         /* grows to 11 */
                  L(1005, "\"SETRANGE\" \"b\" \"5\" \"\"")           /* nothing, no key */
                  L(1005, "\"SETRANGE\" \"b\" \"5\" \"hi\"")         /* zero-padded: 7 */
                  L(1006, "\"SETRANGE\" \"b\" \"-1\" \"hi\"")        /* out of range */
                  L(1006, "\"SETRANGE\" \"b\" \"536870911\" \"hi\"") /* past 512 MiB */
                  L(1007, "\"SETRANGE\" \"b\" \"0\" \"\""),          /* nothing */
                  "1000 SET a 3\n1001 EXPIRE a 100\n1002 SET a 7 99\n1003 SET a 7 98\n"
                  /* the last line, without an event, still ends the capture */
                  "1004 SET a 11 97\n1005 SET b 7\n1007 TICK\n");
    run r;
    const import_monitor_stats *st =
        stats_of(L(1000, "\"SETRANGE\" \"b\" \"-1\" \"hi\"") L(1001, "\"APPEND\" \"b\"") , &r);
    cr_assert_eq(st->rejected, 2);
    run_free(&r);
}

Test(import_monitor, incr_family) {
    expect_events(L(1000, "\"INCR\" \"n\"")                          /* missing: "1" */
                  L(1001, "\"INCRBY\" \"n\" \"99\"")                 /* "100" */
                  L(1002, "\"DECRBY\" \"n\" \"1100\"")               /* "-1000" */
                  L(1003, "\"DECR\" \"n\"")                          /* "-1001" */
                  L(1004, "\"SET\" \"s\" \"abc\" \"EX\" \"60\"")
                  L(1004, "\"INCR\" \"s\"")                          /* not a number */
                  L(1005, "\"SET\" \"z\" \"007\"")
                  L(1005, "\"INCR\" \"z\"")                          /* leading zeros: not */
                  L(1006, "\"SET\" \"m\" \"9223372036854775807\"")
                  L(1006, "\"INCR\" \"m\"")                          /* overflow */
                  L(1007, "\"INCRBY\" \"n\" \"1.5\"")                /* not an integer */
                  L(1007, "\"SET\" \"t\" \"5\" \"EX\" \"60\"")
                  L(1008, "\"INCRBY\" \"t\" \"99995\""),             /* "100000", TTL kept */
                  "1000 SET n 1\n1001 SET n 3\n1002 SET n 5\n1003 SET n 5\n1004 SET s 3 60\n"
                  "1005 SET z 3\n1006 SET m 19\n1007 SET t 1 60\n1008 SET t 6 59\n");
    run r;
    const import_monitor_stats *st = stats_of(
        L(1000, "\"SET\" \"s\" \"abc\"") L(1000, "\"INCR\" \"s\"") L(1000, "\"SET\" \"z\" \"007\"")
        L(1000, "\"INCR\" \"z\"") L(1000, "\"SET\" \"m\" \"9223372036854775807\"") L(1000, "\"INCR\" \"m\"")
        L(1000, "\"DECRBY\" \"m\" \"-9223372036854775808\""),
        &r);
    cr_assert_eq(st->rejected, 4);
    run_free(&r);
}

#define BIG70 "1000000000100000000010000000001000000000100000000010000000001000000000"

Test(import_monitor, incr_after_append_and_floats) {
    /* The number is tracked through APPEND: "1" + "2" is 12, INCR makes 13. */
    expect_events(L(1000, "\"SET\" \"a\" \"1\"")
                  L(1001, "\"APPEND\" \"a\" \"2\"")
                  L(1002, "\"INCRBY\" \"a\" \"88\"")                 /* "100" */
                  L(1003, "\"INCRBYFLOAT\" \"f\" \"10.5\"")          /* "10.5" */
                  L(1004, "\"INCRBYFLOAT\" \"f\" \"0.1\"")           /* "10.6" */
                  L(1005, "\"SET\" \"e\" \"3.0e3\"")
                  L(1006, "\"INCRBYFLOAT\" \"e\" \"1\"")             /* "3001" */
                  L(1007, "\"INCRBYFLOAT\" \"e\" \"-3001\"")         /* "0" */
                  L(1008, "\"INCRBYFLOAT\" \"e\" \"abc\"")           /* rejected */
                  L(1009, "\"SET\" \"a\" \"1.1e4932\"")
                  L(1009, "\"INCRBYFLOAT\" \"a\" \"1.1e4932\"")        /* infinity: rejected */
                  L(1009, "\"INCRBYFLOAT\" \"a\" \"1e4933\"")          /* unreadable: rejected */
                  /* 70 digits: longer than the bytes kept.  INCR refuses it (over 20
                   * bytes); INCRBYFLOAT keeps its length. */
                  L(1010, "\"SET\" \"big\" \"" BIG70 "\"")
                  L(1011, "\"INCRBYFLOAT\" \"big\" \"1\"")
                  L(1011, "\"INCR\" \"big\""),
                  "1000 SET a 1\n1001 SET a 2\n1002 SET a 3\n1003 SET f 4\n1004 SET f 4\n"
                  "1005 SET e 5\n1006 SET e 4\n1007 SET e 1\n1009 SET a 8\n1010 SET big 70\n"
                  "1011 SET big 70\n");
}

Test(import_monitor, del_and_unlink) {
    expect_events(L(1000, "\"MSET\" \"a\" \"1\" \"b\" \"1\" \"c\" \"1\"")
                  L(1001, "\"DEL\" \"a\" \"nope\" \"b\" \"a\"")
                  L(1002, "\"UNLINK\" \"c\" \"b\""),
                  "1000 SET a 1\n1000 SET b 1\n1000 SET c 1\n1001 DEL a\n1001 DEL b\n"
                  "1002 DEL c\n");
}

Test(import_monitor, expire_options) {
    expect_events(L(1000, "\"SET\" \"k\" \"v\"")
                  L(1001, "\"EXPIRE\" \"k\" \"100\" \"XX\"")        /* no TTL: nothing */
                  L(1001, "\"EXPIRE\" \"k\" \"100\" \"GT\"")        /* none is infinite: no */
                  L(1001, "\"EXPIRE\" \"k\" \"100\" \"LT\"")        /* sets 100 */
                  L(1002, "\"EXPIRE\" \"k\" \"500\" \"NX\"")        /* has a TTL: nothing */
                  L(1002, "\"PEXPIRE\" \"k\" \"200000\" \"GT\"")   /* 200 > 99 left: set */
                  L(1003, "\"EXPIRE\" \"k\" \"300\" \"LT\"")        /* 300 > 199: nothing */
                  L(1003, "\"EXPIREAT\" \"k\" \"1103\" \"XX\" \"LT\"") /* 100 left: set */
                  L(1004, "\"EXPIRE\" \"k\" \"5\" \"NX\" \"GT\"")  /* incompatible: rejected */
                  L(1004, "\"EXPIRE\" \"k\" \"5\" \"GT\" \"LT\"")
                  L(1004, "\"EXPIRE\" \"k\" \"5\" \"SOON\"")
                  L(1004, "\"EXPIRE\" \"missing\" \"5\"")
                  L(1005, "\"PERSIST\" \"k\"")
                  L(1005, "\"PERSIST\" \"k\"")
                  L(1006, "\"PEXPIREAT\" \"k\" \"1006500\"")
                  L(1006, "\"EXPIRE\" \"k\" \"-1\""),               /* deletes */
                  "1000 SET k 1\n1001 EXPIRE k 100\n1002 EXPIRE k 200\n1003 EXPIRE k 100\n"
                  "1005 PERSIST k\n1006 EXPIRE k 0.5\n1006 EXPIRE k 0\n");
}

Test(import_monitor, expired_keys_are_gone) {
    /* Keys past their TTL are gone for NX, XX, APPEND and DEL, as in Redis. */
    expect_events(L(1000, "\"SET\" \"k\" \"abc\" \"PX\" \"500\"")
                  L(1000, "\"SET\" \"k2\" \"abc\" \"EX\" \"1\"")
                  "1000.4 " C "\"SET\" \"k\" \"x\" \"NX\"\n"     /* still there */
                  "1000.5 " C "\"SET\" \"k\" \"xy\" \"XX\"\n"    /* gone at 1000.5 */
                  "1000.5 " C "\"APPEND\" \"k2\" \"z\"\n"         /* still there: 4 bytes */
                  L(1001, "\"APPEND\" \"k2\" \"z\"")                 /* gone: a new 1-byte key */
                  L(1001, "\"DEL\" \"k\"")
                  L(1001, "\"SET\" \"k\" \"new\" \"NX\""),
                  "1000 SET k 3 0.5\n1000 SET k2 3 1\n1000.5 SET k2 4 0.5\n1001 SET k2 1\n"
                  "1001 SET k 3\n");
}

Test(import_monitor, databases_and_flush) {
    expect_events(L(1000, "\"SET\" \"k\" \"1\"")
                  "1000 [3 127.0.0.1:1] \"SELECT\" \"3\"\n"
                  "1000 [3 127.0.0.1:1] \"SET\" \"k\" \"22\"\n"
                  "1000 [3 127.0.0.1:1] \"SET\" \"j\" \"22\" \"NX\"\n"
                  "1000 [5 127.0.0.1:1] \"SET\" \"k\" \"333\"\n"
                  /* db 0's k exists, db 7's does not */
                  "1001 [7 127.0.0.1:1] \"SET\" \"k\" \"4444\" \"XX\"\n"
                  "1002 [3 127.0.0.1:1] \"FLUSHDB\"\n"
                  "1003 [3 127.0.0.1:1] \"SET\" \"k\" \"1\" \"NX\"\n"
                  "1004 [0 127.0.0.1:1] \"FLUSHALL\" \"ASYNC\"\n"
                  "1005 [0 127.0.0.1:1] \"FLUSHALL\" \"NOW\"\n",
                  "1000 SET k 1\n1000 SET db3:k 2\n1000 SET db3:j 2\n1000 SET db5:k 3\n"
                  /* FLUSHDB 3: db 3's keys only, in the table's order (the same on
                   * every run: the hash has no seed) */
                  "1002 DEL db3:k\n1002 DEL db3:j\n1003 SET db3:k 1\n"
                  "1004 DEL db3:k\n1004 DEL k\n1004 DEL db5:k\n1005 TICK\n");
}

/* The replay lasts as long as the capture: an idle tail (here an INFO and
 * a PING after the last write) ends in a TICK, so the key whose TTL ran
 * out there expires in the replay as it did on the server.  No TICK after
 * a last line that had an event, nor for a capture without events. */
Test(import_monitor, idle_tail_ends_in_a_tick) {
    expect_events(L(1000, "\"SETEX\" \"s\" \"5\" \"v\"")
                  L(1003, "\"INFO\" \"memory\"")
                  L(1009, "\"PING\""),
                  "1000 SET s 1 5\n1009 TICK\n");
    expect_events(L(1000, "\"SET\" \"s\" \"v\"") L(1000, "\"PING\"") L(1002, "\"DEL\" \"s\""),
                  "1000 SET s 1\n1002 DEL s\n");
    expect_events(L(1000, "\"SET\" \"s\" \"v\"") L(1000, "\"PING\""), "1000 SET s 1\n");
    expect_events(L(1000, "\"PING\"") L(1005, "\"INFO\""), "");
}

Test(import_monitor, reads_and_purge) {
    expect_events(L(1000, "\"GET\" \"a\"")
                  L(1000, "\"MGET\" \"a\" \"b\"")
                  L(1000, "\"EXISTS\" \"a\" \"b\" \"a\"")
                  L(1000, "\"TOUCH\" \"c\"")
                  L(1000, "\"STRLEN\" \"d\"")
                  L(1000, "\"GETRANGE\" \"e\" \"0\" \"-1\"")
                  L(1000, "\"GETRANGE\" \"e\" \"0\" \"x\"")          /* rejected */
                  L(1001, "\"MEMORY\" \"PURGE\"")
                  L(1001, "\"memory\" \"usage\" \"a\"")
                  L(1001, "\"PING\"") L(1001, "\"TTL\" \"a\"") L(1001, "\"SELECT\" \"0\""),
                  "1000 GET a\n1000 GET a\n1000 GET b\n1000 GET a\n1000 GET b\n1000 GET a\n"
                  "1000 GET c\n1000 GET d\n1000 GET e\n1001 PURGE\n");
}

Test(import_monitor, stats_say_what_happened) {
    run r;
    const import_monitor_stats *st = stats_of(
        "OK\n\n" L(1000, "\"SET\" \"a\" \"1\"") L(1000, "\"SET\" \"a\" \"2\" \"NX\"")
        L(1000, "\"DEL\" \"nope\"") L(1000, "\"PING\"") L(1000, "\"TTL\" \"a\"")
        L(1000, "\"memory\" \"usage\" \"a\"") L(1000, "\"GETRANGE\" \"a\" \"0\" \"x\"")
        L(1000, "\"INCR\" \"a\"") L(1000, "\"PFADD\" \"s\" \"m\""),
        &r);
    cr_assert_eq(st->lines, 11);
    cr_assert_eq(st->commands, 9);
    cr_assert_eq(st->events, 2);
    cr_assert_eq(st->no_effect, 5);
    cr_assert_eq(st->rejected, 1);
    cr_assert_eq(st->untranslated, 1);
    cr_assert_eq(st->time_clamped, 0);
    run_free(&r);
}

Test(import_monitor, untranslated_counted) {
    run r;
    const import_monitor_stats *st = stats_of(
        "OK\n" L(1000, "\"PFADD\" \"h\" \"f\" \"v\"") L(1000, "\"linsert\" \"l\" \"before\" \"x\" \"y\"")
        L(1000, "\"PFADD\" \"h\" \"g\" \"v\"") L(1000, "\"SET\" \"k\" \"v\"") L(1000, "\"ZUNIONSTORE\" \"z\" \"1\" \"y\"")
        L(1000, "\"pfadd\" \"h\" \"i\" \"v\"") L(1000, "\"zunionstore\" \"z\" \"1\" \"x\""),
        &r);
    cr_assert_eq(st->lines, 8);
    cr_assert_eq(st->commands, 7);
    cr_assert_eq(st->untranslated, 6);
    cr_assert_eq(st->events, 1);
    const import_monitor_count *list;
    size_t n = import_monitor_untranslated(r.im, &list);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(list[0].name, "PFADD");
    cr_assert_eq(list[0].count, 3);
    cr_assert_str_eq(list[1].name, "ZUNIONSTORE");
    cr_assert_eq(list[1].count, 2);
    cr_assert_str_eq(list[2].name, "LINSERT");
    cr_assert_eq(list[2].count, 1);
    run_free(&r);
}

Test(import_monitor, long_keys_counted_not_written) {
    size_t n = TRACE_KEY_MAX;
    char *text = malloc(2 * n + 200), *p = text;
    p += sprintf(p, "1000 [0 c:1] \"SET\" \"");
    memset(p, 'k', n), p += n;
    p += sprintf(p, "\" \"v\"\n1000 [1 c:1] \"SET\" \"");
    memset(p, 'k', n), p += n; /* fits in db 0, not with "db1:" before it */
    sprintf(p, "\" \"v\"\n");
    run r;
    run_text(&r, text, 0);
    cr_assert_eq(r.rc, 0, "%s", r.err.msg);
    cr_assert_eq(import_monitor_get_stats(r.im)->events, 1);
    const import_monitor_count *list;
    cr_assert_eq(import_monitor_untranslated(r.im, &list), 1);
    cr_assert_str_eq(list[0].name, "SET (key over 64 KiB)");
    run_free(&r);
    free(text);
}

Test(import_monitor, time_kept_non_decreasing) {
    run r;
    const import_monitor_stats *st = stats_of(L(1005, "\"SET\" \"a\" \"1\" \"EX\" \"10\"")
                                              L(1003, "\"SET\" \"b\" \"1\"")
                                              L(1006, "\"SET\" \"c\" \"1\""),
                                              &r);
    cr_assert_str_eq(r.events, "1005 SET a 1 10\n1005 SET b 1\n1006 SET c 1\n");
    cr_assert_eq(st->time_clamped, 1);
    run_free(&r);
}

/* Bad input: the error names the file and the line. */
static void expect_error(const char *text, const char *where, const char *what) {
    run r;
    run_text(&r, text, 0);
    cr_assert_eq(r.rc, -1, "accepted:\n%s", text);
    EXPECT(r.err.msg, where);
    EXPECT(r.err.msg, what);
    run_free(&r);
}

Test(import_monitor, errors_name_the_line) {
    expect_error("OK\n" L(1000, "\"SET\" \"a\" \"1\"") "garbage here\n", "cap.txt:3:", "no timestamp");
    expect_error(L(1000, "\"SET\" \"a\" \"1\"") "OK\n", "cap.txt:2:", "not MONITOR output");
    expect_error("1000 \"SET\" \"a\"\n", "cap.txt:1:", "no '[db client]'");
    expect_error("1000 [x c:1] \"SET\"\n", "cap.txt:1:", "no database number");
    expect_error("1000 [0 c:1]\n", "cap.txt:1:", "no client");
    expect_error("\n" L(1000, "\"SET\" \"a\" \"1"), "cap.txt:2:", "without its closing quote");
    expect_error(L(1000, "\"SET\" \"a\\q\" \"1\""), "cap.txt:1:", "unknown escape");
    expect_error(L(1000, "\"SET\" \"a\\x4\" \"1\""), "cap.txt:1:", "two hex digits");
    expect_error(L(1000, "\"SET\" \"a\"\"1\""), "cap.txt:1:", "no space after");
    expect_error("1000 [0 c:1] \"SET\" a\n", "cap.txt:1:", "not in double quotes");
    expect_error(L(1000, "SET a 1"), "cap.txt:1:", "no client");
    expect_error("1000.1234567 [0 c:1] \"PING\"\n", "cap.txt:1:", "no timestamp");
    expect_error("10000000000000 [0 c:1] \"PING\"\n", "cap.txt:1:", "no timestamp");
    /* The found text is shown, cut and with odd bytes as '?'. */
    expect_error("\x01junk\n", "cap.txt:1:", "found '?junk'");
}

Test(import_monitor, sink_errors_name_the_line) {
    run r;
    run_text(&r, L(1000, "\"SET\" \"a\" \"1\"") L(1001, "\"SET\" \"b\" \"1\""), 2);
    cr_assert_eq(r.rc, -1);
    EXPECT(r.err.msg, "cap.txt:2: the sink is full");
    run_free(&r);
}

/* How a capture ends when redis-cli stops: dropped, counted, the rest kept. */
Test(import_monitor, a_cut_last_line_and_the_closing_error_are_dropped) {
    run r;
    /* Ctrl-C mid-line: the last line has no newline and no closing quote. */
    const import_monitor_stats *st =
        stats_of("OK\n" L(1000, "\"SET\" \"a\" \"1\"") "1001.000000 " C "\"SET\" \"b\" \"12", &r);
    cr_assert_eq(st->cut_line, 3);
    cr_assert_eq(st->closing_line, 0);
    cr_assert_eq(st->commands, 1);
    EXPECT(r.events, "SET a 1");
    cr_assert(strstr(r.events, " b ") == NULL, "%s", r.events);
    run_free(&r);
    /* The server went away: redis-cli's last line, blank lines after it. */
    st = stats_of(L(1000, "\"SET\" \"a\" \"1\"") "Error: Server closed the connection\r\n\n", &r);
    cr_assert_eq(st->closing_line, 2);
    cr_assert_eq(st->cut_line, 0);
    cr_assert_eq(st->commands, 1);
    run_free(&r);
    /* A last line that is whole, without its newline, is kept. */
    st = stats_of(L(1000, "\"SET\" \"a\" \"1\"") "1001.000000 " C "\"SET\" \"b\" \"2\"", &r);
    cr_assert_eq(st->cut_line, 0);
    cr_assert_eq(st->commands, 2);
    run_free(&r);
}

Test(import_monitor, malformed_lines_elsewhere_still_stop_the_import) {
    /* Cut, but not the last line: its newline is there. */
    expect_error(L(1000, "\"SET\" \"a\" \"1") L(1001, "\"SET\" \"b\" \"1\""), "cap.txt:1:",
                 "without its closing quote");
    /* A malformed last line with its newline is not a cut. */
    expect_error(L(1000, "\"SET\" \"a\" \"1\"") "garbage\n", "cap.txt:2:", "not MONITOR output");
    /* The closing error followed by more commands. */
    expect_error(L(1000, "\"SET\" \"a\" \"1\"") "Error: Server closed the connection\n"
                 L(1001, "\"SET\" \"b\" \"1\""), "cap.txt:2:", "and then more lines");
    /* Both: the closing line, then a cut line. */
    expect_error("Error: Server closed the connection\n1001.0 [0 c", "cap.txt:1:",
                 "and then more lines");
}

/* Hashes: HSET per field (HMSET, HSETNX, HINCRBY as far as they write),
 * HDEL per field present (the last takes the key), WRONGTYPE across types,
 * SET over a hash, reads as lookups. */
Test(import_monitor, hash_commands) {
    expect_events(L(1000, "\"HSET\" \"h\" \"a\" \"xy\" \"b\" \"xyz\"")
                 L(1000, "\"HSET\" \"h\" \"odd\"")          /* arity: rejected */
                 L(1001, "\"HSETNX\" \"h\" \"a\" \"long value\"") /* a exists: nothing */
                 L(1001, "\"HSETNX\" \"h\" \"c\" \"1\"")
                 L(1002, "\"HINCRBY\" \"h\" \"c\" \"99\"")   /* 100: 3 bytes */
                 L(1002, "\"HINCRBY\" \"h\" \"a\" \"1\"")    /* not a number */
                 L(1002, "\"HINCRBYFLOAT\" \"h\" \"d\" \"1.5\"")
                 L(1003, "\"HMSET\" \"h2\" \"f\" \"v\"")
                 L(1003, "\"SET\" \"s\" \"v\"")
                 L(1003, "\"HSET\" \"s\" \"f\" \"v\"")     /* WRONGTYPE */
                 L(1003, "\"INCR\" \"h2\"")                /* WRONGTYPE */
                 L(1003, "\"HGET\" \"h\" \"a\"")
                 L(1004, "\"HDEL\" \"h\" \"a\" \"zz\" \"b\"")
                 L(1004, "\"HDEL\" \"h2\" \"f\"")          /* the key goes */
                 L(1004, "\"HSETNX\" \"h2\" \"f\" \"v\"")   /* so f is new */
                 L(1005, "\"SET\" \"h2\" \"1234\"")         /* SET takes any type */
                 L(1005, "\"INCR\" \"h2\""),
                 "1000 HSET h a 2\n1000 HSET h b 3\n1001 HSET h c 1\n1002 HSET h c 3\n"
                 "1002 HSET h d 3\n1003 HSET h2 f 1\n1003 SET s 1\n1003 GET h\n"
                 "1004 HDEL h a\n1004 HDEL h b\n1004 HDEL h2 f\n1004 HSET h2 f 1\n"
                 "1005 SET h2 4\n1005 SET h2 4\n");
}

/* Sets: SADD per new member, SREM per member present (the last takes the
 * key), SMOVE as an SREM and an SADD, SPOP as SREMs of the importer's
 * choosing, WRONGTYPE across types, reads as lookups. */
Test(import_monitor, set_commands) {
    expect_events(L(1000, "\"SADD\" \"s\" \"1\" \"2\" \"1\"")  /* 1 twice: one SADD */
                 L(1000, "\"SADD\" \"s\"")                  /* arity: rejected */
                 L(1001, "\"SREM\" \"s\" \"7\" \"2\"")
                 L(1001, "\"HSET\" \"s\" \"f\" \"v\"")      /* WRONGTYPE */
                 L(1001, "\"SADD\" \"h\" \"x\"")
                 L(1001, "\"HSET\" \"h\" \"f\" \"v\"")      /* WRONGTYPE */
                 L(1001, "\"SET\" \"str\" \"v\"")
                 L(1001, "\"SADD\" \"str\" \"x\"")          /* WRONGTYPE */
                 L(1001, "\"APPEND\" \"h\" \"x\"")          /* WRONGTYPE */
                 L(1002, "\"SMOVE\" \"s\" \"t\" \"1\"")     /* s's last: it goes */
                 L(1002, "\"SMOVE\" \"s\" \"t\" \"1\"")     /* s is gone: nothing */
                 L(1002, "\"SMOVE\" \"t\" \"str\" \"1\"")   /* WRONGTYPE */
                 L(1002, "\"SISMEMBER\" \"t\" \"1\"")
                 L(1003, "\"SADD\" \"t\" \"a\" \"b\" \"c\"")
                 L(1003, "\"SPOP\" \"t\" \"-1\"")           /* out of range */
                 L(1003, "\"SPOP\" \"t\"")
                 L(1003, "\"SPOP\" \"t\" \"9\"")            /* the rest: the key goes */
                 L(1004, "\"SREM\" \"t\" \"a\""),
                 "1000 SADD s 1\n1000 SADD s 2\n1001 SREM s 2\n1001 SADD h x\n1001 SET str 1\n"
                 "1002 SREM s 1\n1002 SADD t 1\n1002 GET t\n1003 SADD t a\n1003 SADD t b\n"
                 "1003 SADD t c\n1003 SREM t c\n1003 SREM t b\n1003 SREM t a\n1003 SREM t 1\n"
                 "1004 TICK\n");
}

/* Sorted sets: a ZADD event per member that is new or whose score changes,
 * with the score Redis ends up with (INCR, ZINCRBY, GT / LT; NX and XX);
 * ZREM per member present (the last takes the key); the options' and the
 * scores' errors before anything is written; WRONGTYPE across types. */
Test(import_monitor, zset_commands) {
    expect_events(L(1000, "\"ZADD\" \"z\" \"1\" \"a\" \"2.5\" \"b\" \"1\" \"a\"")
                 L(1000, "\"ZADD\" \"z\" \"1\"")                     /* syntax error */
                 L(1000, "\"ZADD\" \"z\" \"x\" \"c\"")               /* not a float */
                 L(1000, "\"ZADD\" \"z\" \"3\" \"c\" \"nan\" \"d\"") /* no change at all */
                 L(1001, "\"ZADD\" \"z\" \"NX\" \"5\" \"a\" \"6\" \"c\"") /* a is there */
                 L(1001, "\"ZADD\" \"z\" \"XX\" \"CH\" \"7\" \"a\" \"8\" \"d\"") /* d is not */
                 L(1001, "\"ZADD\" \"z\" \"NX\" \"XX\" \"1\" \"a\"") /* rejected */
                 L(1001, "\"ZADD\" \"z\" \"GT\" \"2\" \"a\" \"9\" \"b\"") /* a: 7 > 2 */
                 L(1002, "\"ZADD\" \"z\" \"INCR\" \"3\" \"c\"")
                 L(1002, "\"ZINCRBY\" \"z\" \"-0.5\" \"c\"")
                 L(1002, "\"ZINCRBY\" \"z\" \"1\" \"new\"")
                 L(1002, "\"ZADD\" \"y\" \"XX\" \"1\" \"a\"")       /* no key: nothing */
                 L(1002, "\"ZADD\" \"z\" \"7\" \"a\"")              /* the same score */
                 L(1003, "\"SADD\" \"z\" \"x\"")                     /* WRONGTYPE */
                 L(1003, "\"SET\" \"str\" \"v\"")
                 L(1003, "\"ZADD\" \"str\" \"1\" \"x\"")             /* WRONGTYPE */
                 L(1003, "\"ZSCORE\" \"z\" \"a\"")
                 L(1004, "\"ZREM\" \"z\" \"a\" \"nope\" \"b\" \"c\"")
                 L(1004, "\"ZREM\" \"z\" \"new\"")                   /* the last: key goes */
                 L(1004, "\"ZADD\" \"z\" \"1\" \"a\""),
                 "1000 ZADD z a 1\n1000 ZADD z b 2.5\n1001 ZADD z c 6\n1001 ZADD z a 7\n"
                 "1001 ZADD z b 9\n1002 ZADD z c 9\n1002 ZADD z c 8.5\n1002 ZADD z new 1\n"
                 "1003 SET str 1\n1003 GET z\n1004 ZREM z a\n1004 ZREM z b\n1004 ZREM z c\n"
                 "1004 ZREM z new\n1004 ZADD z a 1\n");
}

/* ZPOPMIN / ZPOPMAX: the members Redis pops, by score then by bytes, one
 * ZREM each; a count past the size takes the key. */
Test(import_monitor, zpop_takes_the_ends) {
    expect_events(L(1000, "\"ZADD\" \"z\" \"5\" \"e\" \"1\" \"b\" \"1\" \"a\" \"9\" \"x\"")
                 L(1001, "\"ZPOPMIN\" \"z\"")
                 L(1001, "\"ZPOPMAX\" \"z\" \"-1\"")             /* out of range */
                 L(1001, "\"ZPOPMAX\" \"z\" \"1\" \"2\"")        /* syntax error */
                 L(1001, "\"ZPOPMAX\" \"z\" \"0\"")              /* nothing */
                 L(1002, "\"ZPOPMAX\" \"z\"")
                 L(1002, "\"ZPOPMIN\" \"nokey\"")
                 L(1002, "\"SET\" \"s\" \"v\"")
                 L(1002, "\"ZPOPMIN\" \"s\"")                    /* WRONGTYPE */
                 L(1003, "\"ZPOPMIN\" \"z\" \"5\""),             /* the rest: the key goes */
                 "1000 ZADD z e 5\n1000 ZADD z b 1\n1000 ZADD z a 1\n1000 ZADD z x 9\n"
                 "1001 ZREM z a\n1002 ZREM z x\n1002 SET s 1\n1003 ZREM z b\n1003 ZREM z e\n");
}
