/* fragsim binary trace, version 1.  All integers little-endian.
 *
 *   header, 16 bytes:
 *     0  8  magic 89 46 53 54 52 0D 0A 1A ("\x89FSTR\r\n\x1a")
 *     8  u32 version (1)
 *    12  u32 record size (32)
 *   then records of 32 bytes:
 *     0  u8  type: 0 SET, 1 DEL, 2 EXPIRE, 3 PERSIST, 4 GET, 5 PURGE, 6 TICK,
 *               7 APPEND, 8 HSET, 9 HDEL, 10 SADD, 11 SREM, 12 ZADD, 13 ZREM,
 *               14 LPUSH, 15 RPUSH, 16 LPOP, 17 RPOP, 18 LTRIM (events); 0x80 KEY (defines a key, a field, a member or a
 *               score); 0xFF END
 *     1  u8  condition: 0 none, 1 NX, 2 XX (SET, APPEND; else 0)
 *     2  u16 reserved, 0
 *     4  u32 size: SET, APPEND, GET, HSET, LPUSH, RPUSH: bytes; ZADD: the id
 *            of the score's text (a KEY record, as d2string writes it);
 *            LTRIM: stop, an i32 (a stop past +-2^31-1 is written as that
 *            bound: the same trim of any list shorter than 2^31 elements);
 *            else 0; KEY: the key's length
 *     8  i64 time, microseconds, >= 0 (KEY, END: 0)
 *    16  u64 key id (PURGE, TICK: 0); END: the number of event records
 *    24  i64 ttl, microseconds: SET: -1 (none) or > 0; EXPIRE: >= 0;
 *            HSET, HDEL, SADD, SREM, ZADD, ZREM: the field's or member's id
 *            (defined by KEY records and numbered with the keys); LTRIM:
 *            start; else -1
 *   a KEY record is followed by the key's bytes (no padding).
 *
 * Keys are numbered 0, 1, 2 ... in order of definition; a KEY record
 * defines the next number and comes before the key's first use, so a
 * streaming writer emits it when it first meets the key.  The END record
 * closes the stream: a file cut at a record boundary would otherwise read
 * as a shorter, valid trace.  Nothing may follow it.
 *
 * The reader keeps the key table (id -> bytes) in engine memory, one copy of
 * each distinct key, and nothing else of the file.  Looking a key up is a
 * random access into that table, a cache miss on a big trace that would
 * cost as much as parsing a text line.  So the table keeps short keys inline
 * (one load per event, not two dependent ones), asks for huge pages (fewer
 * TLB misses), and the reader looks ahead in its buffer and prefetches the
 * entries of the records it is about to return (look_ahead()). */
#include "trace_binary.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "../sim/base/emem.h"
#include "../sim/base/keyspace.h"
#include "trace_le.h"

enum {
    REC_SET = 0, REC_DEL = 1, REC_EXPIRE = 2, REC_PERSIST = 3, REC_GET = 4, REC_PURGE = 5,
    REC_TICK = 6, REC_APPEND = 7, REC_HSET = 8, REC_HDEL = 9, REC_SADD = 10, REC_SREM = 11,
    REC_ZADD = 12, REC_ZREM = 13, REC_LPUSH = 14, REC_RPUSH = 15, REC_LPOP = 16, REC_RPOP = 17,
    REC_LTRIM = 18, REC_EVENT_TYPES = 19,
    REC_KEY = 0x80, REC_END = 0xFF,
};

/* On-disk codes are the format's, fixed, whatever the order of trace_op. */
static const trace_op rec_to_op[REC_EVENT_TYPES] = {
    [REC_SET] = TRACE_OP_SET,     [REC_DEL] = TRACE_OP_DEL,     [REC_EXPIRE] = TRACE_OP_EXPIRE,
    [REC_PERSIST] = TRACE_OP_PERSIST, [REC_GET] = TRACE_OP_GET, [REC_PURGE] = TRACE_OP_PURGE,
    [REC_TICK] = TRACE_OP_TICK,   [REC_APPEND] = TRACE_OP_APPEND,
    [REC_HSET] = TRACE_OP_HSET,   [REC_HDEL] = TRACE_OP_HDEL,
    [REC_SADD] = TRACE_OP_SADD,   [REC_SREM] = TRACE_OP_SREM,
    [REC_ZADD] = TRACE_OP_ZADD,   [REC_ZREM] = TRACE_OP_ZREM,
    [REC_LPUSH] = TRACE_OP_LPUSH, [REC_RPUSH] = TRACE_OP_RPUSH,
    [REC_LPOP] = TRACE_OP_LPOP,   [REC_RPOP] = TRACE_OP_RPOP,   [REC_LTRIM] = TRACE_OP_LTRIM,
};

static int op_to_rec(trace_op op) {
    for (int i = 0; i < REC_EVENT_TYPES; i++)
        if (rec_to_op[i] == op) return i;
    return -1;
}

static int op_has_key(trace_op op) { return op != TRACE_OP_PURGE && op != TRACE_OP_TICK; }
static int op_has_size(trace_op op) {
    return op == TRACE_OP_SET || op == TRACE_OP_APPEND || op == TRACE_OP_GET ||
           op == TRACE_OP_HSET || op == TRACE_OP_LPUSH || op == TRACE_OP_RPUSH;
}
static int op_has_ttl(trace_op op) { return op == TRACE_OP_SET || op == TRACE_OP_EXPIRE; }

int trace_binary_detect(const unsigned char *head, size_t n) {
    return n >= TRACE_BINARY_MAGIC_LEN &&
           memcmp(head, TRACE_BINARY_MAGIC, TRACE_BINARY_MAGIC_LEN) == 0;
}

/* ---- reading ---- */

/* One key of the table, 32 bytes, two to a cache line: the bytes inline
 * when they fit (most keys: a Twitter key is a few dozen bytes, CacheLib's
 * 16 hex digits), else the offset of the bytes in the arena, at b + 4. */
#define KEY_INLINE 28
typedef struct bin_key {
    uint32_t len;
    unsigned char b[KEY_INLINE];
} bin_key;

/* Records the reader looks ahead: far enough for a prefetch to arrive. */
#define LOOK_AHEAD 32

typedef struct bin_state {
    trace_source *src;
    uint64_t ahead;       /* stream offset of the next record to look ahead at */
    uint64_t ring[LOOK_AHEAD]; /* key ids of the events between the cursor and
                                  `ahead`, in order */
    unsigned ring_head, ring_count;
    uint64_t record;      /* number of the record last read, from 1 */
    uint64_t record_at;   /* its byte offset */
    uint64_t events;      /* event records so far */
    int ended;            /* the END record was read */
    bin_key *keys;        /* key id -> its bytes */
    uint64_t nkeys, cap_keys;
    unsigned char *arena; /* keys longer than KEY_INLINE */
    size_t arena_len, arena_cap;
} bin_state;

static void bin_where(trace_reader *r, char *buf, size_t n) {
    bin_state *s = r->state;
    snprintf(buf, n, "%s: record %llu (byte %llu)", s->src->path, (unsigned long long)s->record,
             (unsigned long long)s->record_at);
}

static void bin_close(trace_reader *r) {
    bin_state *s = r->state;
    if (s == NULL) return;
    trace_source_close(s->src);
    emem_unmap(s->keys, s->cap_keys * sizeof *s->keys);
    emem_unmap(s->arena, s->arena_cap);
    emem_unmap(s, sizeof *s);
}

#define REC_ERR(...) \
    (fs_errf(err, "%s: record %llu (byte %llu): ", s->src->path, \
             (unsigned long long)s->record, (unsigned long long)s->record_at), \
     snprintf(err->msg + strlen(err->msg), sizeof err->msg - strlen(err->msg), __VA_ARGS__), -1)

/* The table is random access for every event: huge pages keep its TLB
 * misses down on a big trace (a hint; the kernel may ignore it). */
static void hint_huge(void *p, size_t n) { madvise(p, n, MADV_HUGEPAGE); }

/* Stores key bytes under the next id.  Returns 0 or -1. */
static int define_key(bin_state *s, const unsigned char *key, uint32_t len, fs_err *err) {
    if (s->nkeys == s->cap_keys) {
        uint64_t cap = s->cap_keys ? s->cap_keys * 2 : 4096;
        bin_key *p = emem_remap(s->keys, s->cap_keys * sizeof *p, cap * sizeof *p);
        if (p == NULL) return REC_ERR("cannot grow the key table past %llu keys",
                                      (unsigned long long)s->nkeys);
        s->keys = p;
        s->cap_keys = cap;
        hint_huge(p, cap * sizeof *p);
    }
    bin_key *k = &s->keys[s->nkeys++];
    k->len = len;
    if (len <= KEY_INLINE) {
        if (len) memcpy(k->b, key, len);
        return 0;
    }
    if (s->arena_len + len > s->arena_cap) {
        size_t cap = s->arena_cap ? s->arena_cap : (size_t)1 << 20;
        while (cap < s->arena_len + len) cap *= 2;
        unsigned char *a = emem_remap(s->arena, s->arena_cap, cap);
        if (a == NULL) {
            s->nkeys--;
            return REC_ERR("cannot grow the key table past %zu bytes", s->arena_len);
        }
        s->arena = a;
        s->arena_cap = cap;
        hint_huge(a, cap);
    }
    uint64_t off = s->arena_len;
    memcpy(k->b + 4, &off, sizeof off);
    memcpy(s->arena + off, key, len);
    s->arena_len += len;
    return 0;
}

static const char *key_bytes(const bin_state *s, const bin_key *k) {
    if (k->len <= KEY_INLINE) return (const char *)k->b;
    uint64_t off;
    memcpy(&off, k->b + 4, sizeof off);
    return (const char *)s->arena + off;
}

/* Walks the buffered records past the cursor, up to LOOK_AHEAD events, and
 * prefetches each one's entry in the key table as it enters the window; for
 * a long key, its bytes in the arena halfway (by then the entry, which holds
 * their offset, is in the cache).  A damaged record stops the walk; the
 * cursor will report it. */
static void look_ahead(bin_state *s) {
    const trace_source *src = s->src;
    uint64_t pos = trace_source_offset(src);
    if (s->ahead < pos) {
        s->ahead = pos;
        s->ring_count = 0;
    }
    while (s->ring_count < LOOK_AHEAD) {
        uint64_t i = s->ahead - src->base;
        if (i + TRACE_BINARY_RECORD > src->len) break;
        const unsigned char *p = src->buf + i;
        if (p[0] == REC_KEY) {
            s->ahead += TRACE_BINARY_RECORD + le32_load(p + 4);
            continue;
        }
        if (p[0] >= REC_EVENT_TYPES) break;
        uint64_t id = le64_load(p + 16);
        s->ring[(s->ring_head + s->ring_count++) % LOOK_AHEAD] = id;
        if (id < s->nkeys) __builtin_prefetch(&s->keys[id]);
        s->ahead += TRACE_BINARY_RECORD;
    }
    if (s->ring_count > LOOK_AHEAD / 2) {
        uint64_t id = s->ring[(s->ring_head + LOOK_AHEAD / 2) % LOOK_AHEAD];
        if (id < s->nkeys && s->keys[id].len > KEY_INLINE)
            __builtin_prefetch(key_bytes(s, &s->keys[id]));
    }
}

/* What each event record type carries besides its time. */
enum {
    HAS_KEY = 1, HAS_SIZE = 2, HAS_TTL = 4, HAS_FIELD = 8, /* a field id in the ttl */
    HAS_SCORE = 16, /* the score's text id in the size */
    HAS_RANGE = 32  /* LTRIM: start in the ttl, stop in the size (with
                       HAS_SIZE | HAS_TTL, which let any value through) */
};
static const unsigned char rec_fields[REC_EVENT_TYPES] = {
    [REC_SET] = HAS_KEY | HAS_SIZE | HAS_TTL, [REC_DEL] = HAS_KEY, [REC_EXPIRE] = HAS_KEY | HAS_TTL,
    [REC_PERSIST] = HAS_KEY, [REC_GET] = HAS_KEY | HAS_SIZE, [REC_PURGE] = 0, [REC_TICK] = 0,
    [REC_APPEND] = HAS_KEY | HAS_SIZE, [REC_HSET] = HAS_KEY | HAS_SIZE | HAS_FIELD,
    [REC_HDEL] = HAS_KEY | HAS_FIELD, [REC_SADD] = HAS_KEY | HAS_FIELD,
    [REC_SREM] = HAS_KEY | HAS_FIELD, [REC_ZADD] = HAS_KEY | HAS_FIELD | HAS_SCORE,
    [REC_ZREM] = HAS_KEY | HAS_FIELD, [REC_LPUSH] = HAS_KEY | HAS_SIZE,
    [REC_RPUSH] = HAS_KEY | HAS_SIZE, [REC_LPOP] = HAS_KEY, [REC_RPOP] = HAS_KEY,
    [REC_LTRIM] = HAS_KEY | HAS_SIZE | HAS_TTL | HAS_RANGE,
};

/* The cold paths live apart from bin_next's loop (noinline), so that the
 * few instructions an event takes stay compact; they run once per key, once
 * per buffer, or on a damaged file. */

/* Fewer than a record's bytes are buffered: reads more.  Returns 1 when a
 * whole record is there, or -1 (a read error, or a truncated file). */
__attribute__((noinline)) static int bin_refill(bin_state *s, fs_err *err) {
    trace_source *src = s->src;
    ssize_t n = trace_source_fill(src, TRACE_BINARY_RECORD, err);
    if (n < 0)
        return fs_err_prefix(err, "%s: record %llu (byte %llu)", src->path,
                             (unsigned long long)s->record + 1,
                             (unsigned long long)trace_source_offset(src));
    if (n >= (ssize_t)TRACE_BINARY_RECORD) return 1;
    s->record++;
    s->record_at = trace_source_offset(src);
    if (n == 0)
        return REC_ERR("the file ends without its END record after %llu events: it is "
                       "truncated (expected more records, then END)",
                       (unsigned long long)s->events);
    return REC_ERR("truncated record: expected %u bytes, found %zd before the end of the file",
                   TRACE_BINARY_RECORD, n);
}

/* A record that is not a well-formed event, already consumed: a KEY
 * definition (stored; returns 0), the END (returns 2), or damage (-1 with
 * the message). */
__attribute__((noinline)) static int bin_other(bin_state *s, const unsigned char *rec,
                                               fs_err *err) {
    trace_source *src = s->src;
    unsigned type = rec[0], cond = rec[1], reserved = le16_load(rec + 2);
    uint32_t size = le32_load(rec + 4);
    int64_t time_us = (int64_t)le64_load(rec + 8);
    uint64_t key_id = le64_load(rec + 16);
    int64_t ttl_us = (int64_t)le64_load(rec + 24);
    if (reserved != 0) return REC_ERR("reserved bytes 2-3 are %u: expected 0", reserved);
    if (type == REC_KEY) {
        if (key_id != s->nkeys)
            return REC_ERR("key definition for id %llu: expected id %llu (keys are numbered in "
                           "order of definition)", (unsigned long long)key_id,
                           (unsigned long long)s->nkeys);
        if (size > TRACE_KEY_MAX)
            return REC_ERR("key of %u bytes: expected at most %u", size, TRACE_KEY_MAX);
        ssize_t n = trace_source_fill(src, size, err);
        if (n < 0)
            return fs_err_prefix(err, "%s: record %llu", src->path,
                                 (unsigned long long)s->record);
        if ((size_t)n < size)
            return REC_ERR("truncated key definition: expected %u key bytes, found %zd before "
                           "the end of the file", size, n);
        if (define_key(s, trace_source_peek(src), size, err) != 0) return -1;
        trace_source_skip(src, size);
        return 0;
    }
    if (type == REC_END) {
        if (key_id != s->events)
            return REC_ERR("the END record counts %llu events, but %llu came before it: the "
                           "file is damaged", (unsigned long long)key_id,
                           (unsigned long long)s->events);
        ssize_t n = trace_source_fill(src, 1, err);
        if (n < 0) return fs_err_prefix(err, "%s: after the END record", src->path);
        if (n > 0)
            return REC_ERR("%zd%s bytes follow the END record: expected the end of the file", n,
                           n >= (ssize_t)TRACE_SOURCE_BUF - 1 ? " or more" : "");
        s->ended = 1;
        return 2;
    }
    if (type >= REC_EVENT_TYPES)
        return REC_ERR("unknown record type 0x%02x: expected 0-18 (an event), 0x80 (KEY) or "
                       "0xFF (END)", type);
    const char *name = trace_op_name(rec_to_op[type]);
    unsigned fields = rec_fields[type];
    if (cond >= TRACE_COND__COUNT)
        return REC_ERR("condition %u: expected 0 (none), 1 (NX) or 2 (XX)", cond);
    if (time_us < 0 || time_us > TRACE_TIME_MAX_US)
        return REC_ERR("time %lld us: expected 0 to %lld (10^12 s, as the text format)",
                       (long long)time_us, (long long)TRACE_TIME_MAX_US);
    if (!(fields & (HAS_SIZE | HAS_SCORE)) && size != 0)
        return REC_ERR("%s with a size of %u: expected 0", name, size);
    if ((fields & HAS_SCORE) && size >= s->nkeys)
        return REC_ERR("%s with score id %u: expected the score's text defined by a KEY record "
                       "before (%llu defined)", name, size, (unsigned long long)s->nkeys);
    if ((fields & HAS_FIELD) && (ttl_us < 0 || (uint64_t)ttl_us >= s->nkeys))
        return REC_ERR("%s with field id %lld: expected a field defined by a KEY record before "
                       "(%llu defined)", name, (long long)ttl_us, (unsigned long long)s->nkeys);
    if (!(fields & (HAS_TTL | HAS_FIELD)) && ttl_us != TRACE_TTL_NONE)
        return REC_ERR("%s with a ttl of %lld us: expected -1 (none)", name, (long long)ttl_us);
    if (fields & HAS_KEY)
        return REC_ERR("key id %llu used before it was defined (%llu keys defined): expected a "
                       "KEY record first", (unsigned long long)key_id,
                       (unsigned long long)s->nkeys);
    return REC_ERR("%s with key id %llu: expected 0 (it takes no key)", name,
                   (unsigned long long)key_id);
}

static int bin_next(trace_reader *r, trace_event *ev, fs_err *err) {
    bin_state *s = r->state;
    trace_source *src = s->src;
    for (;;) {
        if (s->ended) return 0;
        if (trace_source_avail(src) < TRACE_BINARY_RECORD && bin_refill(s, err) < 0) return -1;
        look_ahead(s);
        const unsigned char *p = trace_source_peek(src);
        s->record++;
        s->record_at = trace_source_offset(src);
        trace_source_skip(src, TRACE_BINARY_RECORD);
        unsigned type = p[0];
        uint32_t size = le32_load(p + 4);
        int64_t time_us = (int64_t)le64_load(p + 8);
        uint64_t key_id = le64_load(p + 16);
        int64_t ttl_us = (int64_t)le64_load(p + 24);
        /* Everything an event must be, in one test; bin_other says what is
         * wrong when it is not. */
        unsigned fields = type < REC_EVENT_TYPES ? rec_fields[type] : 0;
        if (__builtin_expect(type >= REC_EVENT_TYPES || p[1] >= TRACE_COND__COUNT || p[2] ||
                             p[3] || time_us < 0 || time_us > TRACE_TIME_MAX_US ||
                             ((fields & HAS_SCORE) ? size >= s->nkeys
                                                   : !(fields & HAS_SIZE) && size) ||
                             ((fields & HAS_FIELD) ? (uint64_t)ttl_us >= s->nkeys
                                                   : (!(fields & HAS_TTL) &&
                                                      ttl_us != TRACE_TTL_NONE)) ||
                             ((fields & HAS_KEY) ? key_id >= s->nkeys : key_id != 0), 0)) {
            int rc = bin_other(s, p, err);
            if (rc < 0) return -1;
            if (rc == 2) return 0;
            continue;
        }
        if (s->ring_count > 0) { /* this event's id leaves the look-ahead window */
            s->ring_head = (s->ring_head + 1) % LOOK_AHEAD;
            s->ring_count--;
        }
        ev->time_us = time_us;
        ev->op = rec_to_op[type];
        ev->size = size;
        ev->ttl_us = ttl_us;
        ev->cond = (trace_cond)p[1];
        if (fields & HAS_KEY) {
            const bin_key *k = &s->keys[key_id];
            ev->keylen = k->len;
            ev->key = key_bytes(s, k);
        } else {
            ev->keylen = 0;
            ev->key = NULL;
        }
        if (__builtin_expect(fields & HAS_FIELD, 0)) {
            const bin_key *f = &s->keys[ttl_us];
            ev->fieldlen = f->len;
            ev->field = key_bytes(s, f);
            ev->ttl_us = TRACE_TTL_NONE;
            ev->score = 0;
            if (fields & HAS_SCORE) {
                const bin_key *sc = &s->keys[size];
                ev->size = 0;
                if (trace_score_parse(key_bytes(s, sc), sc->len, &ev->score) != 0)
                    return REC_ERR("ZADD with score id %u, whose text is not a number", size);
            }
        } else {
            ev->fieldlen = 0;
            ev->field = NULL;
            ev->score = 0;
        }
        ev->start = ev->stop = 0;
        if (__builtin_expect(fields & HAS_RANGE, 0)) {
            ev->start = ttl_us;
            ev->stop = (int32_t)size;
            ev->size = 0;
            ev->ttl_us = TRACE_TTL_NONE;
        }
        s->events++;
        return 1;
    }
}

static const trace_reader_ops bin_ops = {"binary", bin_next, bin_where, bin_close};

int trace_binary_open(trace_reader *r, trace_source *src, fs_err *err) {
    bin_state *s = emem_map(sizeof *s);
    if (s == NULL) {
        fs_errf(err, "cannot map reader state for '%s'", src->path);
        trace_source_close(src);
        return -1;
    }
    s->src = src;
    r->ops = &bin_ops;
    r->state = s;
    ssize_t n = trace_source_fill(src, TRACE_BINARY_HEADER, err);
    const unsigned char *h = trace_source_peek(src);
    if (n < 0) {
        fs_err_prefix(err, "%s: header", src->path);
    } else if (n < TRACE_BINARY_MAGIC_LEN || memcmp(h, TRACE_BINARY_MAGIC,
                                                    TRACE_BINARY_MAGIC_LEN) != 0) {
        char found[3 * TRACE_BINARY_MAGIC_LEN + 1] = "";
        for (ssize_t i = 0; i < n && i < (ssize_t)TRACE_BINARY_MAGIC_LEN; i++)
            snprintf(found + 3 * i, 4, " %02X", h[i]);
        fs_errf(err, "%s: byte 0: not a fragsim binary trace: expected the magic bytes "
                "89 46 53 54 52 0D 0A 1A, found%s", src->path, n > 0 ? found : " an empty file");
        n = -1;
    } else if (n < (ssize_t)TRACE_BINARY_HEADER) {
        fs_errf(err, "%s: byte 0: truncated header: expected %u bytes, found %zd", src->path,
                TRACE_BINARY_HEADER, n);
        n = -1;
    } else if (le32_load(h + 8) != TRACE_BINARY_VERSION) {
        fs_errf(err, "%s: byte 8: binary trace version %u: this fragsim reads version %u",
                src->path, le32_load(h + 8), TRACE_BINARY_VERSION);
        n = -1;
    } else if (le32_load(h + 12) != TRACE_BINARY_RECORD) {
        fs_errf(err, "%s: byte 12: record size %u: expected %u", src->path, le32_load(h + 12),
                TRACE_BINARY_RECORD);
        n = -1;
    }
    if (n < 0) {
        trace_close(r);
        return -1;
    }
    trace_source_skip(src, TRACE_BINARY_HEADER);
    return 0;
}

/* ---- writing ---- */

struct trace_binary_writer {
    outbuf *ob;
    keyspace keys;     /* slot number = key id: slots are handed out in order
                          and never freed here */
    uint64_t events;
};

static void put_record(outbuf *ob, unsigned type, unsigned cond, uint32_t size, int64_t time_us,
                       uint64_t key_id, int64_t ttl_us) {
    unsigned char rec[TRACE_BINARY_RECORD] = {(unsigned char)type, (unsigned char)cond};
    le32_store(rec + 4, size);
    le64_store(rec + 8, (uint64_t)time_us);
    le64_store(rec + 16, key_id);
    le64_store(rec + 24, (uint64_t)ttl_us);
    outbuf_write(ob, rec, sizeof rec);
}

trace_binary_writer *trace_binary_writer_new(outbuf *ob, fs_err *err) {
    trace_binary_writer *w = emem_map(sizeof *w);
    if (w == NULL) {
        fs_errf(err, "cannot map the binary writer's state");
        return NULL;
    }
    w->ob = ob;
    if (ks_init(&w->keys, err) != 0) {
        emem_unmap(w, sizeof *w);
        return NULL;
    }
    unsigned char h[TRACE_BINARY_HEADER];
    memcpy(h, TRACE_BINARY_MAGIC, TRACE_BINARY_MAGIC_LEN);
    le32_store(h + 8, TRACE_BINARY_VERSION);
    le32_store(h + 12, TRACE_BINARY_RECORD);
    outbuf_write(ob, h, sizeof h);
    return w;
}

/* The id of a key or field, defined by a KEY record when new.  Returns
 * KS_NONE with err set when out of memory. */
static uint32_t string_id(trace_binary_writer *w, const char *b, uint32_t len, fs_err *err) {
    uint32_t slot = ks_find(&w->keys, b, len);
    if (slot == KS_NONE) {
        if ((slot = ks_insert(&w->keys, b, len, err)) == KS_NONE) return KS_NONE;
        put_record(w->ob, REC_KEY, 0, len, 0, slot, TRACE_TTL_NONE);
        outbuf_write(w->ob, b, len);
    }
    return slot;
}

int trace_binary_write_event(trace_binary_writer *w, const trace_event *ev, fs_err *err) {
    int type = op_to_rec(ev->op);
    if (type < 0) return fs_errf(err, "cannot write operation %d", (int)ev->op);
    uint64_t id = 0;
    int64_t ttl = op_has_ttl(ev->op) ? ev->ttl_us : TRACE_TTL_NONE;
    uint32_t size = op_has_size(ev->op) ? (uint32_t)ev->size : 0;
    if (ev->op == TRACE_OP_ZADD) { /* the score's text, defined as a key is */
        char score[TRACE_SCORE_BUF];
        uint32_t id = string_id(w, score, (uint32_t)trace_score_format(score, ev->score), err);
        if (id == KS_NONE) return -1;
        size = id;
    }
    if (ev->op == TRACE_OP_LTRIM) {
        int64_t stop = ev->stop > INT32_MAX ? INT32_MAX : ev->stop < -INT32_MAX ? -INT32_MAX
                                                                                 : ev->stop;
        size = (uint32_t)(int32_t)stop;
        ttl = ev->start;
    }
    if (op_has_key(ev->op) && (id = string_id(w, ev->key, ev->keylen, err)) == KS_NONE)
        return -1;
    if (trace_op_has_field(ev->op)) {
        uint32_t f = string_id(w, ev->field, ev->fieldlen, err);
        if (f == KS_NONE) return -1;
        ttl = f;
    }
    /* Fields an operation does not carry are written as the reader expects
     * them, so that every reader's events convert alike. */
    int cond = ev->op == TRACE_OP_SET || ev->op == TRACE_OP_APPEND ? (int)ev->cond : 0;
    put_record(w->ob, (unsigned)type, (unsigned)cond, size, ev->time_us, id, ttl);
    w->events++;
    return 0;
}

void trace_binary_writer_free(trace_binary_writer *w) {
    if (w == NULL) return;
    ks_destroy(&w->keys);
    emem_unmap(w, sizeof *w);
}

void trace_binary_writer_finish(trace_binary_writer *w) {
    put_record(w->ob, REC_END, 0, 0, 0, w->events, TRACE_TTL_NONE);
    trace_binary_writer_free(w);
}
