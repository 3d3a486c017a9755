/* libCacheSim's oracleGeneral trace: packed little-endian records of 24
 * bytes, no header, usually zstd-compressed:
 *
 *     0  u32 time, seconds
 *     4  u64 obj_id
 *    12  u32 obj_size, bytes
 *    16  i64 next_access_vtime: the number of the next request for this
 *            object, -1 (or INT64_MAX) when there is none
 *
 * A record is an access, with no operation and no TTL.  fragsim turns the
 * first access to an object, and any access that sees a new size, into a
 * SET of obj_size (no TTL: the format has none), and every other access into
 * a GET of obj_size; so the stream only ever grows the live set, as a cache
 * large enough to hold everything would.  To know "first" and "new size"
 * the reader keeps obj_id -> size for every object seen (16 bytes per
 * object at most half full, in engine memory).
 *
 * Keys are obj_id in decimal.  Records of size 0 are skipped, as
 * libCacheSim's own reader skips them.  next_access_vtime is not used: it
 * tells a cache simulator what to evict, and fragsim does not evict. */
#include "trace_oracle.h"

#include <stdio.h>
#include <string.h>

#include "../sim/base/emem.h"
#include "trace_le.h"

#define ORACLE_RECORD 24u

typedef struct oracle_slot {
    uint64_t id;
    uint32_t size;
    uint32_t used;
} oracle_slot;

typedef struct oracle_state {
    trace_source *src;
    uint64_t record;     /* number of the record last read, from 1 */
    uint64_t record_at;  /* its byte offset */
    oracle_slot *map;    /* open addressing, linear probing */
    uint64_t map_cap, map_count;
    char key[24];        /* obj_id in decimal */
} oracle_state;

/* The printable bytes and the blanks of a text file. */
static int is_text_byte(unsigned char c) { return (c >= 0x20 && c < 0x7f) || (c >= 9 && c <= 13); }

int trace_oracle_detect(const unsigned char *head, size_t n) {
    size_t nrec = n / ORACLE_RECORD;
    /* A partial record at the end is left for the reader to report. */
    if (nrec == 0) return 0;
    int text = 1;
    for (size_t i = 0; i < n && text; i++) text = is_text_byte(head[i]);
    if (text) return 0;
    /* No magic, so the records must make sense: time never goes back, sizes
     * are plausible, and each next access lies ahead of its record. */
    uint32_t prev = 0;
    for (size_t r = 0; r < nrec; r++) {
        const unsigned char *p = head + r * ORACLE_RECORD;
        uint32_t t = le32_load(p), size = le32_load(p + 12);
        int64_t next = (int64_t)le64_load(p + 16);
        if (r > 0 && t < prev) return 0;
        if (size > TRACE_SIZE_MAX) return 0;
        if (next != -1 && next != INT64_MAX && (next <= (int64_t)r || next > ((int64_t)1 << 48)))
            return 0;
        prev = t;
    }
    return 1;
}

static void oracle_where(trace_reader *r, char *buf, size_t n) {
    oracle_state *s = r->state;
    snprintf(buf, n, "%s: record %llu (byte %llu)", s->src->path, (unsigned long long)s->record,
             (unsigned long long)s->record_at);
}

static void oracle_close(trace_reader *r) {
    oracle_state *s = r->state;
    if (s == NULL) return;
    trace_source_close(s->src);
    emem_unmap(s->map, s->map_cap * sizeof *s->map);
    emem_unmap(s, sizeof *s);
}

static uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

/* The slot of id: its own, or the empty one where it belongs. */
static oracle_slot *map_slot(oracle_slot *map, uint64_t cap, uint64_t id) {
    for (uint64_t i = mix(id) & (cap - 1);; i = (i + 1) & (cap - 1))
        if (!map[i].used || map[i].id == id) return &map[i];
}

static int map_grow(oracle_state *s) {
    uint64_t cap = s->map_cap ? s->map_cap * 2 : (uint64_t)1 << 16;
    oracle_slot *map = emem_map(cap * sizeof *map);
    if (map == NULL) return -1;
    for (uint64_t i = 0; i < s->map_cap; i++)
        if (s->map[i].used) *map_slot(map, cap, s->map[i].id) = s->map[i];
    emem_unmap(s->map, s->map_cap * sizeof *s->map);
    s->map = map;
    s->map_cap = cap;
    return 0;
}

#define REC_ERR(...) \
    (fs_errf(err, "%s: record %llu (byte %llu): ", s->src->path, \
             (unsigned long long)s->record, (unsigned long long)s->record_at), \
     snprintf(err->msg + strlen(err->msg), sizeof err->msg - strlen(err->msg), __VA_ARGS__), -1)

static int oracle_next(trace_reader *r, trace_event *ev, fs_err *err) {
    oracle_state *s = r->state;
    trace_source *src = s->src;
    for (;;) {
        if (trace_source_avail(src) < ORACLE_RECORD) {
            ssize_t n = trace_source_fill(src, ORACLE_RECORD, err);
            if (n < 0)
                return fs_err_prefix(err, "%s: record %llu (byte %llu)", src->path,
                                     (unsigned long long)s->record + 1,
                                     (unsigned long long)trace_source_offset(src));
            if (n == 0) return 0;
            if (n < (ssize_t)ORACLE_RECORD) {
                s->record++;
                s->record_at = trace_source_offset(src);
                return REC_ERR("truncated record: expected %u bytes, found %zd before the end "
                               "of the file", ORACLE_RECORD, n);
            }
        }
        const unsigned char *p = trace_source_peek(src);
        s->record++;
        s->record_at = trace_source_offset(src);
        uint32_t t = le32_load(p), size = le32_load(p + 12);
        uint64_t id = le64_load(p + 4);
        trace_source_skip(src, ORACLE_RECORD);
        if (size == 0) continue;
        if ((s->map_count + 1) * 2 > s->map_cap && map_grow(s) != 0)
            return REC_ERR("cannot grow the object table past %llu objects",
                           (unsigned long long)s->map_count);
        oracle_slot *slot = map_slot(s->map, s->map_cap, id);
        memset(ev, 0, sizeof *ev);
        ev->time_us = (int64_t)t * TRACE_US_PER_S;
        ev->ttl_us = TRACE_TTL_NONE;
        ev->size = size;
        ev->keylen = (uint32_t)snprintf(s->key, sizeof s->key, "%llu", (unsigned long long)id);
        ev->key = s->key;
        if (!slot->used || slot->size != size) {
            if (!slot->used) s->map_count++;
            *slot = (oracle_slot){.id = id, .size = size, .used = 1};
            ev->op = TRACE_OP_SET;
        } else {
            ev->op = TRACE_OP_GET;
        }
        return 1;
    }
}

static const trace_reader_ops oracle_ops = {"oracleGeneral", oracle_next, oracle_where,
                                            oracle_close};

int trace_oracle_open(trace_reader *r, trace_source *src, fs_err *err) {
    oracle_state *s = emem_map(sizeof *s);
    if (s == NULL) {
        fs_errf(err, "cannot map reader state for '%s'", src->path);
        trace_source_close(src);
        return -1;
    }
    s->src = src;
    r->ops = &oracle_ops;
    r->state = s;
    if (map_grow(s) != 0) {
        fs_errf(err, "cannot map the object table for '%s'", src->path);
        trace_close(r);
        return -1;
    }
    return 0;
}
