/* fidelity: what the fidelity tests (tests/test_fidelity*.c) share.
 *
 * One real redis-server at a time (fid_srv), commands whose failure fails
 * the test, running fragsim's executables, and the fidelity table: every
 * comparison is logged, written into FRAGSIM_BUILD_DIR/fidelity-table.csv
 * (one row per workload and field: redis, fragsim, error, bound, the
 * error's unit (percent of redis's, or absolute), within the bound or not)
 * and then checked.  Test code: failures are Criterion assertions. */
#ifndef FRAGSIM_TESTS_FIDELITY_H
#define FRAGSIM_TESTS_FIDELITY_H

#include <stddef.h>
#include <stdint.h>

#include "redis_harness.h"
#include "test_util.h"

#define FID_TABLE FRAGSIM_BUILD_DIR "/fidelity-table.csv"

extern redis_server fid_srv;

/* Sends a command to fid_srv; a failure or an error reply fails the test. */
void fid_send(int argc, const char *const *argv, const size_t *lens);
/* fid_send with each argument's length its strlen (at most 16 arguments). */
void fid_cmd(int argc, const char *const *argv);
/* Sends `op key MEMBER...` for the n members m, m + stride, ... (strings),
 * at most per_cmd (<= 64) members a command. */
void fid_send_members(const char *op, const char *key, const char *m, size_t stride, uint32_t n,
                      uint32_t per_cmd);
/* The monotonic clock in milliseconds, and a sleep of ms. */
int64_t fid_now_ms(void);
void fid_sleep_ms(int ms);

/* DBSIZE of fid_srv. */
uint64_t fid_dbsize(void);

/* Runs a fragsim command (argv[0] FRAGSIM_BIN) in dir; it must exit 0. */
void fid_run(const char *dir, const char *const *argv);

/* dir/monitor.txt → dir/w.trace (fragsim import monitor). */
void fid_import(const char *dir);

/* Replays dir/w.trace with the redis object model on jemalloc (or
 * FRAGSIM_TEST_ALLOCATOR, with FRAGSIM_TEST_REDIS_SERVER: the same workloads
 * measured against another build; the harness logs which server) at --speed
 * max, with the extra options (NULL-terminated, may be NULL), into
 * dir/res, and loads res/series.csv into c (free it with tu_csv_free). */
void fid_replay(const char *dir, const char *const *extra, tu_csv *c);
/* The allocator fid_replay uses: FRAGSIM_TEST_ALLOCATOR, or jemalloc. */
const char *fid_allocator(void);
/* The same on the allocator named, into dir/res. */
void fid_replay_on(const char *dir, const char *allocator, const char *res,
                   const char *const *extra, tu_csv *c);

/* What a workload added: used_memory, allocator_allocated and _active,
 * their ratio, and the live keys (fragsim's side only); and, not a
 * difference, the mem_fragmentation_ratio printed at the end, with the RSS
 * and used_memory it divides. */
typedef struct fid_figures {
    double used_memory, allocated, active, frag_ratio, keys;
    double clients; /* the server's: mem_clients_normal's change (client
                       buffers, part of used_memory); 0 for fragsim */
    double mem_frag, rss, server_used;
} fid_figures;

/* Replays dir/w.trace on the allocator into dir/res (fid_replay_on) and
 * reads what the model added: its final sample, less what the allocator
 * held besides the model at the first event. */
fid_figures fid_replay_figures(const char *dir, const char *allocator, const char *res,
                               const char *const *extra);
/* The server's INFO memory b less a. */
fid_figures fid_server_delta(const redis_info_memory *a, const redis_info_memory *b);

/* Sends the fill-then-delete workload to fid_srv: keys SETs of "key:%08u"
 * with values of vmin..vmax bytes (uniform, from seed), then DELs of a
 * random 70% of them. */
void fid_fill_delete(uint32_t keys, size_t vmin, size_t vmax, uint64_t seed);

/* 1 when the mem_fragmentation_ratio rows are tabled but not checked: in a
 * sanitizer build the worker's instrumented writes make AddressSanitizer's
 * shadow of the heap (an eighth of it) resident, so the replay's RSS is not
 * a server's. */
#if defined(__SANITIZE_ADDRESS__)
#define FID_RSS_UNCHECKED 1
#else
#define FID_RSS_UNCHECKED 0
#endif

/* Sends MEMORY PURGE to fid_srv, inside a capture: the replay purges at the
 * same point.  A workload whose RSS is compared ends with it, so both sides
 * are compared settled, with no dirty pages: otherwise how much freed memory
 * is still resident depends on when each one's decay ran (the server's
 * background thread, the replay's cron ticks on the capture's clock), not
 * on fragmentation. */
void fid_purge(void);

/* Starts fid_srv (maxmemory 0), reads its INFO memory settled into *m0,
 * then starts capturing MONITOR into dir/monitor.txt. */
void fid_start_capture(const char *dir, redis_info_memory *m0);

/* Starts fid_srv (maxmemory 0, then the options extra, NULL-terminated,
 * may be NULL) and its MONITOR capture into dir/monitor.txt, then reads
 * INFO memory settled into *m0: the MONITOR client's own buffers are in
 * place before the first figures (on data of a few MB they would be a few
 * percent). */
void fid_start_monitored(const char *dir, redis_info_memory *m0, const char *const *extra);
/* Ends a workload of fid_start_monitored's: stops the capture, reads INFO
 * memory settled and DBSIZE, stops the server and imports the capture
 * (dir/w.trace).  Returns what the workload added on the server, its keys
 * the DBSIZE. */
fid_figures fid_stop_and_import(const char *dir, const redis_info_memory *m0);
/* Ends a workload of fid_start_monitored's on a type's encodings: stops
 * the capture, reads INFO memory settled and DBSIZE, stops the server,
 * imports and replays the capture (fid_replay_figures into dir/res), and
 * compares what the workload added: used_memory and allocator_allocated
 * within 2%, allocator_active within 3%, allocator_frag_ratio within 0.03,
 * the keys exactly.  The replay's summary must show reallocs, and its
 * engine counter `counter` (hash_conversions, set_conversions...) above 0
 * when expect_conversions, else 0. */
void fid_finish_types(const char *dir, const char *workload, const redis_info_memory *m0,
                      const char *counter, int expect_conversions);

/* The times of a capture's INFO memory commands, in seconds from its first
 * command, into t (at most max); *last_set (may be NULL) the time of its
 * last SET or SETEX.  Returns how many. */
int fid_info_times(const char *monitor_path, double *t, int max, double *last_set);


/* INFO memory after 350 ms: INFO's allocator_* fields are the cron's copy
 * of jemalloc's statistics, refreshed every 100 ms, so a few refreshes
 * later they show the end of what came before rather than a moment in it. */
void fid_info_settled(redis_info_memory *m);

/* One comparison.  relative: the error is (fragsim - redis) / redis and
 * bound a fraction; else the error is fragsim - redis.  unchecked: tabled
 * and logged with its bound but not held to it (its "within" says "not
 * checked"): for figures the test explains it cannot match. */
typedef struct fid_row {
    char field[64];
    double redis, fragsim, bound;
    int relative;
    int unchecked;
} fid_row;

/* Logs the rows, puts them in the table in place of the workload's rows of
 * an earlier run, then expects each checked row within its bound (all rows
 * are logged and written first, so a failure still shows every number).
 * Returns the number of checked rows outside their bounds. */
int fid_compare(const char *workload, const fid_row *rows, size_t n);

#endif
