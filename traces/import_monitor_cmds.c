/* Redis's string commands, replayed against the importer's key table and
 * turned into unconditional trace events.
 *
 * Each translator follows Redis 7.0's own code for the command (t_string.c,
 * expire.c, db.c): the same argument checks in the same order, so a command
 * Redis answers with an error changes nothing here either (MONITOR shows
 * failed commands too), and the same conditions (NX, XX, GT, LT), so a write
 * appears in the trace exactly when Redis performed it.
 *
 * Times are microseconds, as the trace's.  Redis keeps expiries in
 * milliseconds; the importer keeps the line's microseconds instead, so that
 * a TTL written as EX 10 is exactly 10 s in the trace. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "import_monitor_int.h"

/* Redis's proto-max-bulk-len default: APPEND and SETRANGE refuse to make a
 * longer string ("string exceeds maximum allowed size"). */
#define REDIS_STRING_MAX ((uint64_t)512 << 20)

static int64_t clamp64(__int128 v) {
    return v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : (int64_t)v;
}

/* ---- the table and events ---- */

imk_entry *im_lookup(import_monitor *im, const im_arg *key) {
    return imk_find(&im->keys, im->db, key->p, (uint32_t)key->len, im->now_us);
}

static imk_entry *lookup(import_monitor *im, const im_arg *key) { return im_lookup(im, key); }

static int64_t ttl_left(const import_monitor *im, int64_t expire_us) {
    return expire_us == TRACE_TTL_NONE ? TRACE_TTL_NONE : expire_us - im->now_us;
}

/* The key's value is now size bytes (the bytes when known, else NULL), its
 * expiry expire_us: updates the table (creating the entry when e is NULL)
 * and emits the SET. */
static int store(import_monitor *im, const im_arg *key, imk_entry *e, const char *bytes,
                 uint64_t size, int64_t expire_us) {
    if (size > TRACE_SIZE_MAX) {
        /* Only a server with a larger proto-max-bulk-len takes such a value. */
        snprintf(im->label, sizeof im->label, "%.*s (value over 512 MiB)",
                 (int)(im->argv[0].len < 20 ? im->argv[0].len : 20), im->argv[0].p);
        for (char *c = im->label; *c; c++) *c = (char)toupper((unsigned char)*c);
        return IM_UNTRANSLATED;
    }
    if (e == NULL && (e = imk_add(&im->keys, im->db, key->p, (uint32_t)key->len, im->now_us)) == NULL)
        return fs_errf(im->err, "out of memory");
    imk_make_string(e); /* SET overwrites a key of any type */
    if (imk_set_value(e, bytes, size) != 0) return fs_errf(im->err, "out of memory");
    e->expire_us = expire_us;
    if (im_emit(im, TRACE_OP_SET, key->p, key->len, size, ttl_left(im, expire_us)) != 0) return -1;
    return IM_DONE;
}

static int emit_get(import_monitor *im, const im_arg *key) {
    return im_emit(im, TRACE_OP_GET, key->p, key->len, 0, TRACE_TTL_NONE) != 0 ? -1 : IM_DONE;
}

/* ---- SET and its family ---- */

enum {
    F_NX = 1, F_XX = 2, F_GET = 4, F_KEEPTTL = 8, F_PERSIST = 16,
    F_EX = 32, F_PX = 64, F_EXAT = 128, F_PXAT = 256,
    F_EXPIRES = F_EX | F_PX | F_EXAT | F_PXAT,
};

static int opt_is(const im_arg *a, const char *name) {
    return a->len == strlen(name) && strncasecmp(a->p, name, a->len) == 0;
}

/* parseExtendedStringArgumentsOrReply(): SET's options from argv[3] (for
 * GETEX, from argv[2]).  Returns 0, or -1 for Redis's syntax error. */
static int parse_string_opts(import_monitor *im, size_t j, int is_getex, int *flags,
                             const im_arg **expire) {
    for (; j < im->argc; j++) {
        const im_arg *opt = &im->argv[j];
        int has_next = j + 1 < im->argc;
        int f = *flags;
        if (!is_getex && opt_is(opt, "NX") && !(f & F_XX)) {
            *flags |= F_NX;
        } else if (!is_getex && opt_is(opt, "XX") && !(f & F_NX)) {
            *flags |= F_XX;
        } else if (!is_getex && opt_is(opt, "GET")) {
            *flags |= F_GET;
        } else if (!is_getex && opt_is(opt, "KEEPTTL") && !(f & (F_PERSIST | F_EXPIRES))) {
            *flags |= F_KEEPTTL;
        } else if (is_getex && opt_is(opt, "PERSIST") && !(f & (F_EXPIRES | F_KEEPTTL))) {
            *flags |= F_PERSIST;
        } else if (opt_is(opt, "EX") && has_next &&
                   !(f & (F_KEEPTTL | F_PERSIST | F_EXAT | F_PX | F_PXAT))) {
            *flags |= F_EX, *expire = &im->argv[++j];
        } else if (opt_is(opt, "PX") && has_next &&
                   !(f & (F_KEEPTTL | F_PERSIST | F_EX | F_EXAT | F_PXAT))) {
            *flags |= F_PX, *expire = &im->argv[++j];
        } else if (opt_is(opt, "EXAT") && has_next &&
                   !(f & (F_KEEPTTL | F_PERSIST | F_EX | F_PX | F_PXAT))) {
            *flags |= F_EXAT, *expire = &im->argv[++j];
        } else if (opt_is(opt, "PXAT") && has_next &&
                   !(f & (F_KEEPTTL | F_PERSIST | F_EX | F_EXAT | F_PX))) {
            *flags |= F_PXAT, *expire = &im->argv[++j];
        } else {
            return -1;
        }
    }
    return 0;
}

/* getExpireMillisecondsOrReply(): a positive number of seconds or
 * milliseconds, relative (EX, PX) or absolute (EXAT, PXAT).  Sets *when_us
 * to the absolute expiry; returns 0, or -1 where Redis answers "invalid
 * expire time". */
static int expire_when(const import_monitor *im, const im_arg *a, int flags, int64_t *when_us) {
    long long v;
    if (!redis_string2ll(a->p, a->len, &v)) return -1;
    int seconds = (flags & (F_EX | F_EXAT)) != 0;
    if (v <= 0 || (seconds && v > LLONG_MAX / 1000)) return -1;
    long long ms = seconds ? v * 1000 : v;
    if (flags & (F_EX | F_PX)) {
        if (ms > LLONG_MAX - im->now_us / 1000) return -1;
        *when_us = clamp64((__int128)im->now_us + (__int128)ms * 1000);
    } else {
        *when_us = clamp64((__int128)ms * 1000);
    }
    return 0;
}

/* setGenericCommand(). */
static int set_generic(import_monitor *im, int flags, const im_arg *key, const im_arg *val,
                       const im_arg *expire) {
    int64_t when = 0;
    if (expire != NULL && expire_when(im, expire, flags, &when) != 0) return IM_REJECTED;
    if ((flags & F_GET) && emit_get(im, key) < 0) return -1;
    imk_entry *e = lookup(im, key);
    if ((flags & F_GET) && e != NULL && e->fields != NULL) return IM_REJECTED; /* WRONGTYPE */
    if (((flags & F_NX) && e != NULL) || ((flags & F_XX) && e == NULL)) return IM_DONE;
    int64_t expire_us = TRACE_TTL_NONE;
    if (expire != NULL) {
        /* An EXAT/PXAT already past: Redis stores the key with that expiry
         * and it expires at its next look; the trace's TTL must be above 0,
         * so it expires a microsecond later. */
        expire_us = when > im->now_us ? when : im->now_us + 1;
    } else if ((flags & F_KEEPTTL) && e != NULL) {
        expire_us = e->expire_us;
    }
    return store(im, key, e, val->p, val->len, expire_us);
}

static int cmd_set(import_monitor *im) {
    int flags = 0;
    const im_arg *expire = NULL;
    if (parse_string_opts(im, 3, 0, &flags, &expire) != 0) return IM_REJECTED;
    return set_generic(im, flags, &im->argv[1], &im->argv[2], expire);
}

static int cmd_setnx(import_monitor *im) {
    return set_generic(im, F_NX, &im->argv[1], &im->argv[2], NULL);
}

static int cmd_setex(import_monitor *im) {
    return set_generic(im, F_EX, &im->argv[1], &im->argv[3], &im->argv[2]);
}

static int cmd_psetex(import_monitor *im) {
    return set_generic(im, F_PX, &im->argv[1], &im->argv[3], &im->argv[2]);
}

/* GETSET is SET k v GET: the old value is read, the TTL dropped. */
static int cmd_getset(import_monitor *im) {
    return set_generic(im, F_GET, &im->argv[1], &im->argv[2], NULL);
}

static int cmd_mset(import_monitor *im) {
    if (im->argc % 2 == 0) return IM_REJECTED; /* a key without its value */
    for (size_t j = 1; j < im->argc; j += 2) {
        int rc = store(im, &im->argv[j], lookup(im, &im->argv[j]), im->argv[j + 1].p,
                       im->argv[j + 1].len, TRACE_TTL_NONE);
        if (rc != IM_DONE) return rc;
    }
    return IM_DONE;
}

/* All keys or none: nothing when any of them exists. */
static int cmd_msetnx(import_monitor *im) {
    if (im->argc % 2 == 0) return IM_REJECTED;
    for (size_t j = 1; j < im->argc; j += 2)
        if (lookup(im, &im->argv[j]) != NULL) return IM_DONE;
    return cmd_mset(im);
}

static int cmd_getdel(import_monitor *im) {
    const im_arg *key = &im->argv[1];
    if (emit_get(im, key) < 0) return -1;
    imk_entry *e = lookup(im, key);
    if (e == NULL) return IM_DONE;
    imk_del(&im->keys, e);
    return im_emit(im, TRACE_OP_DEL, key->p, key->len, 0, TRACE_TTL_NONE) != 0 ? -1 : IM_DONE;
}

static int cmd_getex(import_monitor *im) {
    int flags = 0;
    const im_arg *expire = NULL, *key = &im->argv[1];
    int64_t when = 0;
    if (parse_string_opts(im, 2, 1, &flags, &expire) != 0) return IM_REJECTED;
    if (expire != NULL && expire_when(im, expire, flags, &when) != 0) return IM_REJECTED;
    if (emit_get(im, key) < 0) return -1;
    imk_entry *e = lookup(im, key);
    if (e == NULL) return IM_DONE;
    if (expire != NULL) {
        /* EXAT/PXAT in the past delete the key, as EXPIREAT does. */
        int64_t ttl = when > im->now_us ? when - im->now_us : 0;
        if (ttl == 0) imk_del(&im->keys, e);
        else e->expire_us = when;
        return im_emit(im, TRACE_OP_EXPIRE, key->p, key->len, 0, ttl) != 0 ? -1 : IM_DONE;
    }
    if ((flags & F_PERSIST) && e->expire_us != TRACE_TTL_NONE) {
        e->expire_us = TRACE_TTL_NONE;
        return im_emit(im, TRACE_OP_PERSIST, key->p, key->len, 0, TRACE_TTL_NONE) != 0 ? -1
                                                                                   : IM_DONE;
    }
    return IM_DONE;
}

/* ---- commands that rewrite a value: a SET of the new size, same TTL ---- */

static int cmd_append(import_monitor *im) {
    const im_arg *key = &im->argv[1], *add = &im->argv[2];
    imk_entry *e = lookup(im, key);
    if (e == NULL) return store(im, key, NULL, add->p, add->len, TRACE_TTL_NONE);
    uint64_t size = e->size + add->len;
    if (size > REDIS_STRING_MAX) return IM_REJECTED;
    char joined[IMK_VALUE_KEEP];
    const char *bytes = NULL;
    if (e->val != NULL && size <= IMK_VALUE_KEEP) {
        memcpy(joined, e->val, e->size);
        memcpy(joined + e->size, add->p, add->len);
        bytes = joined;
    }
    return store(im, key, e, bytes, size, e->expire_us);
}

static int cmd_setrange(import_monitor *im) {
    const im_arg *key = &im->argv[1], *val = &im->argv[3];
    long long offset;
    if (!redis_string2ll(im->argv[2].p, im->argv[2].len, &offset) || offset < 0)
        return IM_REJECTED;
    imk_entry *e = lookup(im, key);
    if (val->len == 0) return IM_DONE; /* sets nothing, creates nothing */
    if ((uint64_t)offset + val->len > REDIS_STRING_MAX) return IM_REJECTED;
    uint64_t old = e ? e->size : 0, end = (uint64_t)offset + val->len;
    uint64_t size = end > old ? end : old;
    char buf[IMK_VALUE_KEEP];
    const char *bytes = NULL;
    if ((e == NULL || e->val != NULL) && size <= IMK_VALUE_KEEP) {
        /* New bytes past the old end are zeros, as sdsgrowzero() makes them. */
        memset(buf, 0, sizeof buf);
        if (e != NULL) memcpy(buf, e->val, e->size);
        memcpy(buf + offset, val->p, val->len);
        bytes = buf;
    }
    return store(im, key, e, bytes, size, e ? e->expire_us : TRACE_TTL_NONE);
}

/* incrDecrCommand(): the value must read as a long long (a missing key is
 * 0); the result's decimal digits are the new value, the TTL stays. */
static int incr_by(import_monitor *im, long long incr) {
    const im_arg *key = &im->argv[1];
    imk_entry *e = lookup(im, key);
    long long value = 0;
    /* Unknown bytes belong to values longer than IMK_VALUE_KEEP, which no
     * long long is: Redis refuses those too. */
    if (e != NULL && (e->val == NULL || !redis_string2ll(e->val, e->size, &value)))
        return IM_REJECTED;
    if ((incr < 0 && value < 0 && incr < LLONG_MIN - value) ||
        (incr > 0 && value > 0 && incr > LLONG_MAX - value))
        return IM_REJECTED;
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%lld", value + incr);
    return store(im, key, e, digits, (uint64_t)n, e ? e->expire_us : TRACE_TTL_NONE);
}

static int cmd_incr(import_monitor *im) { return incr_by(im, 1); }
static int cmd_decr(import_monitor *im) { return incr_by(im, -1); }

static int cmd_incrby(import_monitor *im) {
    long long incr;
    if (!redis_string2ll(im->argv[2].p, im->argv[2].len, &incr)) return IM_REJECTED;
    return incr_by(im, incr);
}

static int cmd_decrby(import_monitor *im) {
    long long decr;
    if (!redis_string2ll(im->argv[2].p, im->argv[2].len, &decr) || decr == LLONG_MIN)
        return IM_REJECTED;
    return incr_by(im, -decr);
}

/* incrbyfloatCommand(): long double arithmetic and Redis's human format,
 * computed here as Redis computes it (x86-64's 80-bit long double). */
static int cmd_incrbyfloat(import_monitor *im) {
    const im_arg *key = &im->argv[1], *arg = &im->argv[2];
    imk_entry *e = lookup(im, key);
    long double value = 0, incr;
    if (e != NULL && e->val == NULL) {
        /* A value longer than IMK_VALUE_KEEP bytes whose bytes were not
         * kept: a number that long is rare and its sum unknowable here, so
         * when Redis could read it the value keeps its length (a plausible
         * guess; the TTL stays).  Past 5 KiB Redis refuses it. */
        if (e->size >= REDIS_LONG_DOUBLE_CHARS || !redis_string2ld(arg->p, arg->len, &incr))
            return IM_REJECTED;
        return store(im, key, e, NULL, e->size, e->expire_us);
    }
    if ((e != NULL && !redis_string2ld(e->val, e->size, &value)) ||
        !redis_string2ld(arg->p, arg->len, &incr))
        return IM_REJECTED;
    value += incr;
    if (isnan(value) || isinf(value)) return IM_REJECTED;
    char buf[REDIS_LONG_DOUBLE_CHARS];
    size_t n = redis_ld2string_human(buf, sizeof buf, value);
    return store(im, key, e, buf, n, e ? e->expire_us : TRACE_TTL_NONE);
}

/* ---- keys ---- */

static int cmd_del(import_monitor *im) {
    for (size_t j = 1; j < im->argc; j++) {
        imk_entry *e = lookup(im, &im->argv[j]);
        if (e == NULL) continue;
        imk_del(&im->keys, e);
        if (im_emit(im, TRACE_OP_DEL, im->argv[j].p, im->argv[j].len, 0, TRACE_TTL_NONE) != 0)
            return -1;
    }
    return IM_DONE;
}

enum { E_NX = 1, E_XX = 2, E_GT = 4, E_LT = 8 };

/* expireGenericCommand(): relative (EXPIRE, PEXPIRE) or absolute
 * (EXPIREAT, PEXPIREAT), with Redis 7's NX / XX / GT / LT. */
static int expire_generic(import_monitor *im, int relative, int seconds) {
    const im_arg *key = &im->argv[1];
    int flags = 0;
    for (size_t j = 3; j < im->argc; j++) {
        const im_arg *o = &im->argv[j];
        if (opt_is(o, "NX")) flags |= E_NX;
        else if (opt_is(o, "XX")) flags |= E_XX;
        else if (opt_is(o, "GT")) flags |= E_GT;
        else if (opt_is(o, "LT")) flags |= E_LT;
        else return IM_REJECTED; /* "Unsupported option" */
    }
    if (((flags & E_NX) && (flags & (E_XX | E_GT | E_LT))) ||
        ((flags & E_GT) && (flags & E_LT)))
        return IM_REJECTED;
    long long v;
    if (!redis_string2ll(im->argv[2].p, im->argv[2].len, &v)) return IM_REJECTED;
    if (seconds && (v > LLONG_MAX / 1000 || v < LLONG_MIN / 1000)) return IM_REJECTED;
    long long ms = seconds ? v * 1000 : v;
    if (relative && ms > LLONG_MAX - im->now_us / 1000) return IM_REJECTED;
    int64_t when = clamp64((relative ? (__int128)im->now_us : 0) + (__int128)ms * 1000);

    imk_entry *e = lookup(im, key);
    if (e == NULL) return IM_DONE;
    int64_t cur = e->expire_us;
    int has = cur != TRACE_TTL_NONE;
    if (((flags & E_NX) && has) || ((flags & E_XX) && !has) ||
        ((flags & E_GT) && (!has || when <= cur)) || ((flags & E_LT) && has && when >= cur))
        return IM_DONE;
    /* A time at or before now deletes the key (EXPIRE with TTL 0 in the
     * trace, which counts it as a deletion, as Redis does). */
    int64_t ttl = when > im->now_us ? when - im->now_us : 0;
    if (ttl == 0) imk_del(&im->keys, e);
    else e->expire_us = when;
    return im_emit(im, TRACE_OP_EXPIRE, key->p, key->len, 0, ttl) != 0 ? -1 : IM_DONE;
}

static int cmd_expire(import_monitor *im) { return expire_generic(im, 1, 1); }
static int cmd_pexpire(import_monitor *im) { return expire_generic(im, 1, 0); }
static int cmd_expireat(import_monitor *im) { return expire_generic(im, 0, 1); }
static int cmd_pexpireat(import_monitor *im) { return expire_generic(im, 0, 0); }

static int cmd_persist(import_monitor *im) {
    const im_arg *key = &im->argv[1];
    imk_entry *e = lookup(im, key);
    if (e == NULL || e->expire_us == TRACE_TTL_NONE) return IM_DONE;
    e->expire_us = TRACE_TTL_NONE;
    return im_emit(im, TRACE_OP_PERSIST, key->p, key->len, 0, TRACE_TTL_NONE) != 0 ? -1 : IM_DONE;
}

/* One DEL per key: the event's key carries the entry's own database. */
static int flush_one(void *arg, imk_entry *e) {
    import_monitor *im = arg;
    int db = im->db;
    im->db = e->db;
    int rc = im_emit(im, TRACE_OP_DEL, e->key, e->keylen, 0, TRACE_TTL_NONE);
    im->db = db;
    if (rc != 0) return -1;
    imk_del(&im->keys, e);
    return 0;
}

static int flush_generic(import_monitor *im, int all) {
    if (im->argc > 2 || (im->argc == 2 && !opt_is(&im->argv[1], "ASYNC") &&
                         !opt_is(&im->argv[1], "SYNC")))
        return IM_REJECTED;
    return imk_each(&im->keys, all ? -1 : im->db, im->now_us, flush_one, im) != 0 ? -1 : IM_DONE;
}

static int cmd_flushdb(import_monitor *im) { return flush_generic(im, 0); }
static int cmd_flushall(import_monitor *im) { return flush_generic(im, 1); }

/* ---- reads: one GET per key ---- */

static int cmd_read(import_monitor *im);

static int cmd_getrange(import_monitor *im) {
    long long n;
    if (!redis_string2ll(im->argv[2].p, im->argv[2].len, &n) ||
        !redis_string2ll(im->argv[3].p, im->argv[3].len, &n))
        return IM_REJECTED;
    return emit_get(im, &im->argv[1]);
}

static int cmd_memory(import_monitor *im) {
    if (!opt_is(&im->argv[1], "PURGE")) return IM_DONE; /* USAGE, STATS, DOCTOR ... */
    if (im->argc != 2) return IM_REJECTED;
    return im_emit_purge(im) != 0 ? -1 : IM_DONE;
}

/* ---- the table ---- */

typedef struct im_command {
    const char *name;
    int arity;                  /* Redis's: n exactly, or -n at least n arguments */
    int first_key, last_key, key_step; /* key positions, last < 0 counts from the end */
    int (*fn)(import_monitor *im); /* NULL: no effect on memory, nothing to emit */
} im_command;

static const im_command commands[] = {
    {"SET", -3, 1, 1, 1, cmd_set},
    {"SETNX", 3, 1, 1, 1, cmd_setnx},
    {"SETEX", 4, 1, 1, 1, cmd_setex},
    {"PSETEX", 4, 1, 1, 1, cmd_psetex},
    {"GETSET", 3, 1, 1, 1, cmd_getset},
    {"MSET", -3, 1, -1, 2, cmd_mset},
    {"MSETNX", -3, 1, -1, 2, cmd_msetnx},
    {"GETDEL", 2, 1, 1, 1, cmd_getdel},
    {"GETEX", -2, 1, 1, 1, cmd_getex},
    {"APPEND", 3, 1, 1, 1, cmd_append},
    {"SETRANGE", 4, 1, 1, 1, cmd_setrange},
    {"INCR", 2, 1, 1, 1, cmd_incr},
    {"DECR", 2, 1, 1, 1, cmd_decr},
    {"INCRBY", 3, 1, 1, 1, cmd_incrby},
    {"DECRBY", 3, 1, 1, 1, cmd_decrby},
    {"INCRBYFLOAT", 3, 1, 1, 1, cmd_incrbyfloat},
    {"DEL", -2, 1, -1, 1, cmd_del},
    {"UNLINK", -2, 1, -1, 1, cmd_del},
    {"EXPIRE", -3, 1, 1, 1, cmd_expire},
    {"PEXPIRE", -3, 1, 1, 1, cmd_pexpire},
    {"EXPIREAT", -3, 1, 1, 1, cmd_expireat},
    {"PEXPIREAT", -3, 1, 1, 1, cmd_pexpireat},
    {"PERSIST", 2, 1, 1, 1, cmd_persist},
    {"FLUSHDB", -1, 0, 0, 0, cmd_flushdb},
    {"FLUSHALL", -1, 0, 0, 0, cmd_flushall},
    {"GET", 2, 1, 1, 1, cmd_read},
    {"MGET", -2, 1, -1, 1, cmd_read},
    {"EXISTS", -2, 1, -1, 1, cmd_read},
    {"TOUCH", -2, 1, -1, 1, cmd_read},
    {"STRLEN", 2, 1, 1, 1, cmd_read},
    {"GETRANGE", 4, 1, 1, 1, cmd_getrange},
    {"SUBSTR", 4, 1, 1, 1, cmd_getrange},
    {"MEMORY", -2, 0, 0, 0, cmd_memory},
    /* Hashes (import_monitor_hash.c); the reads are lookups, one GET each. */
    {"HSET", -4, 1, 1, 1, im_cmd_hset},
    {"HMSET", -4, 1, 1, 1, im_cmd_hset},
    {"HSETNX", 4, 1, 1, 1, im_cmd_hsetnx},
    {"HDEL", -3, 1, 1, 1, im_cmd_hdel},
    {"HINCRBY", 4, 1, 1, 1, im_cmd_hincrby},
    {"HINCRBYFLOAT", 4, 1, 1, 1, im_cmd_hincrbyfloat},
    {"HGET", 3, 1, 1, 1, cmd_read},           {"HMGET", -3, 1, 1, 1, cmd_read},
    {"HGETALL", 2, 1, 1, 1, cmd_read},        {"HEXISTS", 3, 1, 1, 1, cmd_read},
    {"HLEN", 2, 1, 1, 1, cmd_read},           {"HSTRLEN", 3, 1, 1, 1, cmd_read},
    {"HKEYS", 2, 1, 1, 1, cmd_read},          {"HVALS", 2, 1, 1, 1, cmd_read},
    {"HRANDFIELD", -2, 1, 1, 1, cmd_read},    {"HSCAN", -3, 1, 1, 1, cmd_read},
    /* Sets (import_monitor_set.c); the reads as for hashes. */
    {"SADD", -3, 1, 1, 1, im_cmd_sadd},
    {"SREM", -3, 1, 1, 1, im_cmd_srem},
    {"SMOVE", 4, 1, 2, 1, im_cmd_smove},
    {"SPOP", -2, 1, 1, 1, im_cmd_spop},
    {"SISMEMBER", 3, 1, 1, 1, cmd_read},      {"SMISMEMBER", -3, 1, 1, 1, cmd_read},
    {"SMEMBERS", 2, 1, 1, 1, cmd_read},       {"SCARD", 2, 1, 1, 1, cmd_read},
    {"SRANDMEMBER", -2, 1, 1, 1, cmd_read},   {"SSCAN", -3, 1, 1, 1, cmd_read},
    {"SINTER", -2, 1, -1, 1, cmd_read},       {"SUNION", -2, 1, -1, 1, cmd_read},
    {"SDIFF", -2, 1, -1, 1, cmd_read},
    /* Lists (import_monitor_list.c); the reads as for hashes.  LREM, LSET,
     * LINSERT, LMOVE, RPOPLPUSH and the blocking pops are not translated. */
    {"LPUSH", -3, 1, 1, 1, im_cmd_lpush},     {"RPUSH", -3, 1, 1, 1, im_cmd_rpush},
    {"LPUSHX", -3, 1, 1, 1, im_cmd_lpushx},   {"RPUSHX", -3, 1, 1, 1, im_cmd_rpushx},
    {"LPOP", -2, 1, 1, 1, im_cmd_lpop},       {"RPOP", -2, 1, 1, 1, im_cmd_rpop},
    {"LTRIM", 4, 1, 1, 1, im_cmd_ltrim},      {"LRANGE", 4, 1, 1, 1, cmd_read},
    {"LLEN", 2, 1, 1, 1, cmd_read},           {"LINDEX", 3, 1, 1, 1, cmd_read},
    {"LPOS", -3, 1, 1, 1, cmd_read},
    /* Sorted sets (import_monitor_zset.c); the reads as for hashes.
     * ZREMRANGEBY*, BZPOP*, ZMPOP and the *STORE commands are not
     * translated (counted as such). */
    {"ZADD", -4, 1, 1, 1, im_cmd_zadd},
    {"ZINCRBY", 4, 1, 1, 1, im_cmd_zincrby},
    {"ZREM", -3, 1, 1, 1, im_cmd_zrem},
    {"ZPOPMIN", -2, 1, 1, 1, im_cmd_zpopmin},  {"ZPOPMAX", -2, 1, 1, 1, im_cmd_zpopmax},
    {"ZSCORE", 3, 1, 1, 1, cmd_read},          {"ZMSCORE", -3, 1, 1, 1, cmd_read},
    {"ZCARD", 2, 1, 1, 1, cmd_read},           {"ZCOUNT", 4, 1, 1, 1, cmd_read},
    {"ZLEXCOUNT", 4, 1, 1, 1, cmd_read},       {"ZRANK", 3, 1, 1, 1, cmd_read},
    {"ZREVRANK", 3, 1, 1, 1, cmd_read},        {"ZRANGE", -4, 1, 1, 1, cmd_read},
    {"ZREVRANGE", -4, 1, 1, 1, cmd_read},      {"ZRANGEBYSCORE", -4, 1, 1, 1, cmd_read},
    {"ZREVRANGEBYSCORE", -4, 1, 1, 1, cmd_read}, {"ZRANGEBYLEX", -4, 1, 1, 1, cmd_read},
    {"ZREVRANGEBYLEX", -4, 1, 1, 1, cmd_read}, {"ZRANDMEMBER", -2, 1, 1, 1, cmd_read},
    {"ZSCAN", -3, 1, 1, 1, cmd_read},
    /* No memory effect on keys.  SELECT: every line names its database
     * already.  EVAL and friends: a script's commands appear on lines of
     * their own ("[0 lua]").  MULTI/EXEC: the queued commands appear when
     * EXEC runs them. */
    {"SELECT", -1, 0, 0, 0, NULL},      {"PING", -1, 0, 0, 0, NULL},
    {"ECHO", -1, 0, 0, 0, NULL},        {"MULTI", -1, 0, 0, 0, NULL},
    {"EXEC", -1, 0, 0, 0, NULL},        {"DISCARD", -1, 0, 0, 0, NULL},
    {"WATCH", -1, 0, 0, 0, NULL},       {"UNWATCH", -1, 0, 0, 0, NULL},
    {"EVAL", -1, 0, 0, 0, NULL},        {"EVALSHA", -1, 0, 0, 0, NULL},
    {"EVAL_RO", -1, 0, 0, 0, NULL},     {"EVALSHA_RO", -1, 0, 0, 0, NULL},
    {"FCALL", -1, 0, 0, 0, NULL},       {"FCALL_RO", -1, 0, 0, 0, NULL},
    {"SCRIPT", -1, 0, 0, 0, NULL},      {"TTL", -1, 0, 0, 0, NULL},
    {"PTTL", -1, 0, 0, 0, NULL},        {"EXPIRETIME", -1, 0, 0, 0, NULL},
    {"PEXPIRETIME", -1, 0, 0, 0, NULL}, {"TYPE", -1, 0, 0, 0, NULL},
    {"OBJECT", -1, 0, 0, 0, NULL},      {"SCAN", -1, 0, 0, 0, NULL},
    {"KEYS", -1, 0, 0, 0, NULL},        {"RANDOMKEY", -1, 0, 0, 0, NULL},
    {"DBSIZE", -1, 0, 0, 0, NULL},      {"INFO", -1, 0, 0, 0, NULL},
    {"CLIENT", -1, 0, 0, 0, NULL},      {"HELLO", -1, 0, 0, 0, NULL},
    {"COMMAND", -1, 0, 0, 0, NULL},     {"TIME", -1, 0, 0, 0, NULL},
    {"LASTSAVE", -1, 0, 0, 0, NULL},    {"QUIT", -1, 0, 0, 0, NULL},
    {"RESET", -1, 0, 0, 0, NULL},       {"WAIT", -1, 0, 0, 0, NULL},
    {"READONLY", -1, 0, 0, 0, NULL},    {"READWRITE", -1, 0, 0, 0, NULL},
    {"ROLE", -1, 0, 0, 0, NULL},        {"PUBLISH", -1, 0, 0, 0, NULL},
    {"SPUBLISH", -1, 0, 0, 0, NULL},    {"SUBSCRIBE", -1, 0, 0, 0, NULL},
    {"UNSUBSCRIBE", -1, 0, 0, 0, NULL}, {"PSUBSCRIBE", -1, 0, 0, 0, NULL},
    {"PUNSUBSCRIBE", -1, 0, 0, 0, NULL}, {"PUBSUB", -1, 0, 0, 0, NULL},
    {"SLOWLOG", -1, 0, 0, 0, NULL},     {"LATENCY", -1, 0, 0, 0, NULL},
};

static const im_command *find_command(const im_arg *name) {
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (opt_is(name, commands[i].name)) return &commands[i];
    return NULL;
}

/* The commands that read a string's value to write it: WRONGTYPE when the
 * key is a hash (SET and its family overwrite any type). */
static int strings_only(const im_command *c) {
    int (*const fns[])(import_monitor *) = {cmd_getset, cmd_getdel,   cmd_getex,  cmd_append,
                                            cmd_setrange, cmd_incr,   cmd_decr,   cmd_incrby,
                                            cmd_decrby, cmd_incrbyfloat};
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
        if (c->fn == fns[i]) return 1;
    return 0;
}

static size_t last_key_index(const im_command *c, size_t argc) {
    return c->last_key < 0 ? argc - (size_t)(-c->last_key) : (size_t)c->last_key;
}

static int cmd_read(import_monitor *im) {
    const im_command *c = find_command(&im->argv[0]);
    for (size_t j = (size_t)c->first_key; j <= last_key_index(c, im->argc); j += (size_t)c->key_step)
        if (emit_get(im, &im->argv[j]) < 0) return -1;
    return IM_DONE;
}

int im_translate(import_monitor *im) {
    const im_command *c = find_command(&im->argv[0]);
    if (c == NULL) return IM_UNTRANSLATED;
    size_t argc = im->argc;
    if ((c->arity > 0 && argc != (size_t)c->arity) || (c->arity < 0 && argc < (size_t)-c->arity))
        return IM_REJECTED; /* "wrong number of arguments" */
    if (c->fn == NULL) return IM_DONE;
    if (c->key_step > 0) {
        for (size_t j = (size_t)c->first_key; j <= last_key_index(c, argc); j += (size_t)c->key_step) {
            if (!im_key_fits(im, im->argv[j].len)) {
                snprintf(im->label, sizeof im->label, "%s (key over 64 KiB)", c->name);
                return IM_UNTRANSLATED;
            }
        }
    }
    if (strings_only(c)) {
        imk_entry *e = lookup(im, &im->argv[c->first_key]);
        if (e != NULL && e->fields != NULL) return IM_REJECTED; /* WRONGTYPE */
    }
    return c->fn(im);
}
