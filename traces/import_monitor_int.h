/* What import_monitor.c (lines, keys, events) shares with
 * import_monitor_cmds.c (one translator per Redis command).  Not a public
 * interface. */
#ifndef FRAGSIM_IMPORT_MONITOR_INT_H
#define FRAGSIM_IMPORT_MONITOR_INT_H

#include <stddef.h>
#include <stdint.h>

#include "import_keys.h"
#include "import_monitor.h"

/* One decoded argument: bytes inside the line's buffer. */
typedef struct im_arg {
    char *p;
    size_t len;
} im_arg;

struct import_monitor {
    char path[512];
    import_monitor_sink sink;
    void *sink_arg;
    fs_err *err;            /* the caller's, during a feed */
    import_monitor_stats stats;
    imk_table keys;

    int64_t now_us;         /* the current line's time, never below the last one's */
    int have_time;
    int64_t last_event_us;  /* the last event's time; meaningful once stats.events > 0 */
    int db;                 /* the current line's database */
    uint64_t events_before; /* stats.events when the current command began */

    im_arg *argv;           /* the current line's arguments */
    size_t argc, argv_cap;

    char *keybuf;           /* "dbN:" + key, for events */
    size_t keybuf_cap;

    /* When a translator gives up on a command of a kind it knows (a key
     * too long for a trace), the name it is counted under; else empty. */
    char label[48];

    int last_cut;           /* the line being fed is the last, without its newline */

    import_monitor_count *untranslated;
    size_t nuntranslated, untranslated_cap;
    int untranslated_sorted;
};

/* How a translator ended. */
enum {
    IM_DONE = 0,        /* translated (events made, or none needed) */
    IM_REJECTED = 1,    /* Redis would answer with an error: no effect */
    IM_UNTRANSLATED = 2 /* not a command this importer translates */
};

/* Translates im->argv (argv[0] is the command).  Returns IM_DONE,
 * IM_REJECTED or IM_UNTRANSLATED, or -1 with im->err set (the sink failed
 * or memory ran out). */
int im_translate(import_monitor *im);

/* Emitting events at im->now_us for a key of the current database. */
int im_emit(import_monitor *im, trace_op op, const char *key, size_t keylen, uint64_t size,
            int64_t ttl_us);
int im_emit_purge(import_monitor *im);
/* A ZADD event: the member now has that score. */
int im_emit_zadd(import_monitor *im, const char *key, size_t keylen, const char *member,
                 size_t memberlen, double score);
/* An LTRIM event: only start..stop (Redis's indexes) stay. */
int im_emit_ltrim(import_monitor *im, const char *key, size_t keylen, int64_t start,
                  int64_t stop);
/* An HSET (size: the value's bytes) or HDEL event of a field, or an SADD
 * or SREM of a member (size 0). */
int im_emit_field(import_monitor *im, trace_op op, const char *key, size_t keylen,
                  const char *field, size_t fieldlen, uint64_t size);

/* The hash commands' translators (import_monitor_hash.c), for the table in
 * import_monitor_cmds.c: argv and its count as that table has checked. */
int im_cmd_hset(import_monitor *im);    /* HSET, HMSET */
int im_cmd_hsetnx(import_monitor *im);
int im_cmd_hdel(import_monitor *im);
int im_cmd_hincrby(import_monitor *im);
int im_cmd_hincrbyfloat(import_monitor *im);
/* The set commands' translators (import_monitor_set.c). */
int im_cmd_sadd(import_monitor *im);
int im_cmd_srem(import_monitor *im);
int im_cmd_smove(import_monitor *im);
int im_cmd_spop(import_monitor *im);
/* The sorted set commands' translators (import_monitor_zset.c). */
int im_cmd_zadd(import_monitor *im);
int im_cmd_zincrby(import_monitor *im);
int im_cmd_zrem(import_monitor *im);
int im_cmd_zpopmin(import_monitor *im);
int im_cmd_zpopmax(import_monitor *im);
/* The list commands' translators (import_monitor_list.c). */
int im_cmd_lpush(import_monitor *im);
int im_cmd_rpush(import_monitor *im);
int im_cmd_lpushx(import_monitor *im);
int im_cmd_rpushx(import_monitor *im);
int im_cmd_lpop(import_monitor *im);
int im_cmd_rpop(import_monitor *im);
int im_cmd_ltrim(import_monitor *im);
/* The key's entry (live), or NULL. */
imk_entry *im_lookup(import_monitor *im, const im_arg *key);
/* The entry of a hash's field or a set's member f in e, or NULL. */
imk_entry *im_field_of(imk_entry *e, const im_arg *f);
/* The hash or set (type IMK_HASH, IMK_SET) at key for a write, made when
 * missing (lookupKeyWrite, then the type's create); NULL with *rc
 * IM_REJECTED for a key of another type (WRONGTYPE), -1 when out of
 * memory. */
imk_entry *im_fields_for_write(import_monitor *im, const im_arg *key, int type, int *rc);
/* Do argv[from], argv[from + step] ... fit in a trace as fields or
 * members?  When not, the command is counted as not translated under a
 * label of its own ("CMD (field over 64 KiB)") and 0 is returned. */
int im_fields_fit(import_monitor *im, size_t from, size_t step, const char *cmd);

/* Redis's MAX_LONG_DOUBLE_CHARS: INCRBYFLOAT reads at most this many bytes. */
#define REDIS_LONG_DOUBLE_CHARS (5 * 1024)

/* Numbers as Redis reads and writes them (import_numbers.c): string2ll
 * and string2ld's rules (0 when s is not such a number, 1 when it is), and
 * INCRBYFLOAT's "%.17Lf" with trailing zeros cut (returns the length). */
int redis_string2ll(const char *s, size_t slen, long long *value);
int redis_string2ld(const char *s, size_t slen, long double *dp);
size_t redis_ld2string_human(char *buf, size_t len, long double value);

/* Would the key, with its database prefix, fit in a trace?  (TRACE_KEY_MAX) */
int im_key_fits(const import_monitor *im, size_t keylen);

#endif
