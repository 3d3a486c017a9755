/* The MONITOR importer's list commands (traces/import_monitor_list.c):
 * the events Redis 7.0's t_list.c would make them, and the importer's
 * count of each list's length. */
#define _GNU_SOURCE
#include "import_monitor_fixture.h"

TestSuite(import_monitor_list, .timeout = 60);

/* A push of several elements is one event each, in argument order; the
 * X forms push only onto a list that exists; WRONGTYPE both ways. */
Test(import_monitor_list, pushes) {
    expect_events(L(1000, "\"LPUSH\" \"l\" \"a\" \"bb\" \"ccc\"")
                  L(1000, "\"rpush\" \"l\" \"\"")
                  L(1001, "\"LPUSHX\" \"nokey\" \"a\"")      /* missing: nothing */
                  L(1001, "\"RPUSHX\" \"l\" \"dddd\"")
                  L(1001, "\"LPUSH\" \"l\"")                 /* wrong number of arguments */
                  L(1002, "\"SET\" \"s\" \"v\"")
                  L(1002, "\"LPUSH\" \"s\" \"x\"")           /* WRONGTYPE */
                  L(1002, "\"SADD\" \"l\" \"x\"")            /* WRONGTYPE */
                  L(1002, "\"LRANGE\" \"l\" \"0\" \"-1\"") L(1002, "\"LLEN\" \"l\"")
                  L(1002, "\"LINDEX\" \"l\" \"0\""),
                  "1000 LPUSH l 1\n1000 LPUSH l 2\n1000 LPUSH l 3\n1000 RPUSH l 0\n"
                  "1001 RPUSH l 4\n1002 SET s 1\n1002 GET l\n1002 GET l\n1002 GET l\n");
}

/* A single pop is LPOP or RPOP; a count is one LTRIM (Redis deletes the
 * range at once), bounded by the length; the last element takes the key,
 * so a later LPUSHX does nothing. */
Test(import_monitor_list, pops) {
    expect_events(L(1000, "\"RPUSH\" \"l\" \"a\" \"b\" \"c\" \"d\" \"e\" \"f\"")
                  L(1001, "\"LPOP\" \"l\"") L(1001, "\"RPOP\" \"l\"")
                  L(1002, "\"LPOP\" \"l\" \"2\"")
                  L(1002, "\"LPOP\" \"l\" \"0\"")            /* nothing */
                  L(1002, "\"LPOP\" \"l\" \"-1\"")           /* out of range */
                  L(1002, "\"LPOP\" \"l\" \"x\"")            /* not a number */
                  L(1002, "\"LPOP\" \"l\" \"1\" \"2\"")      /* wrong number of arguments */
                  L(1003, "\"RPOP\" \"l\" \"10\"")           /* the 2 left: the key goes */
                  L(1003, "\"LPUSHX\" \"l\" \"a\"") L(1003, "\"RPOP\" \"l\"")
                  L(1004, "\"SET\" \"s\" \"v\"") L(1004, "\"LPOP\" \"s\""),
                  "1000 RPUSH l 1\n1000 RPUSH l 1\n1000 RPUSH l 1\n1000 RPUSH l 1\n"
                  "1000 RPUSH l 1\n1000 RPUSH l 1\n1001 LPOP l\n1001 RPOP l\n"
                  "1002 LTRIM l 2 -1\n1003 LTRIM l 0 -3\n1004 SET s 1\n");
}

/* LTRIM passes its indexes on as given; the importer counts what stays
 * (an empty range takes the key) by ltrimCommand's arithmetic. */
Test(import_monitor_list, ltrim) {
    expect_events(L(1000, "\"RPUSH\" \"l\" \"a\" \"b\" \"c\" \"d\" \"e\"")
                  L(1001, "\"LTRIM\" \"l\" \"1\" \"-2\"")     /* b c d */
                  L(1001, "\"LTRIM\" \"l\" \"x\" \"1\"")      /* not an integer */
                  L(1001, "\"LTRIM\" \"nokey\" \"0\" \"1\"")  /* missing: nothing */
                  L(1002, "\"RPOP\" \"l\" \"2\"")             /* 3 left: LTRIM 0 -3 */
                  L(1002, "\"LTRIM\" \"l\" \"-100\" \"100\"") /* keeps it */
                  L(1003, "\"LTRIM\" \"l\" \"1\" \"0\"")      /* empty: the key goes */
                  L(1003, "\"RPUSHX\" \"l\" \"a\""),
                  "1000 RPUSH l 1\n1000 RPUSH l 1\n1000 RPUSH l 1\n1000 RPUSH l 1\n"
                  "1000 RPUSH l 1\n1001 LTRIM l 1 -2\n1002 LTRIM l 0 -3\n"
                  "1002 LTRIM l -100 100\n1003 LTRIM l 1 0\n");
}

/* Commands that need the elements' bytes are counted as not translated. */
Test(import_monitor_list, the_rest_is_counted) {
    run r;
    const import_monitor_stats *st =
        stats_of("OK\n" L(1000, "\"RPUSH\" \"l\" \"a\"") L(1000, "\"LREM\" \"l\" \"0\" \"a\"")
                     L(1000, "\"BLPOP\" \"l\" \"0\"") L(1000, "\"LMOVE\" \"l\" \"m\" \"LEFT\" \"RIGHT\""),
                 &r);
    cr_assert_eq(st->commands, 4);
    cr_assert_eq(st->untranslated, 3);
    cr_assert_eq(st->events, 1);
    const import_monitor_count *list;
    cr_assert_eq(import_monitor_untranslated(r.im, &list), 3);
    run_free(&r);
}
