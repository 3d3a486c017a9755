/* Trace statistics: one pass, a keyspace replayed without an allocator, and
 * the tables.  The replay follows sim/engine.c rule for rule (expiry before
 * an event at the same time, SET clears a TTL, APPEND keeps it, NX/XX,
 * fill on miss), so its live bytes are the requested_bytes a run shows. */
#include "trace_stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sim/base/keyspace.h"
#include "emit.h"

uint64_t trace_stats_jemalloc_class(uint64_t size) {
    if (size == 0) return 0;
    if (size <= 8) return 8; /* the one tiny class */
    /* x = lg of the power of two at or above size.  Below 128 the classes
     * are 16 apart (the quantum); above, four per doubling, 2^(x-3) apart. */
    unsigned x = 63u - (unsigned)__builtin_clzll((size << 1) - 1);
    unsigned lg_delta = x < 7 ? 4 : x - 3;
    uint64_t delta = (uint64_t)1 << lg_delta;
    return (size + delta - 1) & ~(delta - 1);
}

/* ---- the set of keys seen, by 64-bit hash (exact unless two keys of the
 * trace collide, which for n keys has odds of about n^2 / 2^65) ---- */

typedef struct key_set {
    uint64_t *h; /* 0: empty */
    uint64_t cap, count;
} key_set;

static int key_set_add(key_set *s, uint64_t h) {
    if (h == 0) h = 1;
    if ((s->count + 1) * 2 > s->cap) {
        uint64_t cap = s->cap ? s->cap * 2 : 1 << 16;
        uint64_t *n = calloc(cap, sizeof *n);
        if (n == NULL) return -1;
        for (uint64_t i = 0; i < s->cap; i++) {
            if (s->h[i] == 0) continue;
            uint64_t j = s->h[i] & (cap - 1);
            while (n[j] != 0) j = (j + 1) & (cap - 1);
            n[j] = s->h[i];
        }
        free(s->h);
        s->h = n;
        s->cap = cap;
    }
    uint64_t j = h & (s->cap - 1);
    while (s->h[j] != 0 && s->h[j] != h) j = (j + 1) & (s->cap - 1);
    if (s->h[j] == 0) {
        s->h[j] = h;
        s->count++;
    }
    return 0;
}

/* ---- the replay ---- */

typedef struct model {
    trace_stats *st;
    keyspace ks;
    key_set keys;
    uint64_t live_bytes, class_bytes;
    int64_t interval_us, next_sample_us, last_sample_us;
    size_t cap_series;
} model;

static ts_point point_now(const model *m, int64_t t_us) {
    return (ts_point){.time = (double)(t_us - m->st->first_us) / TRACE_US_PER_S,
                      .events = m->st->events, .keys = m->ks.count,
                      .live_bytes = m->live_bytes, .class_bytes = m->class_bytes};
}

static int add_sample(model *m, int64_t t_us) {
    trace_stats *st = m->st;
    if (st->nseries == m->cap_series) {
        size_t cap = m->cap_series ? m->cap_series * 2 : 256;
        ts_point *p = realloc(st->series, cap * sizeof *p);
        if (p == NULL) return -1;
        st->series = p;
        m->cap_series = cap;
    }
    st->series[st->nseries++] = point_now(m, t_us);
    m->last_sample_us = t_us;
    return 0;
}

static size_t class_index(const trace_stats *st, uint64_t usable) {
    size_t lo = 0, hi = st->nclasses - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (st->classes[mid].size < usable) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static void remove_key(model *m, uint32_t slot) {
    ks_entry *e = ks_get(&m->ks, slot);
    m->live_bytes -= e->requested;
    m->class_bytes -= e->usable;
    m->st->freed_bytes += e->requested;
    ks_delete(&m->ks, slot);
}

static void expire_until(model *m, int64_t t) {
    uint32_t slot;
    while ((slot = ks_first_expiring(&m->ks)) != KS_NONE && ks_expire_us(&m->ks, slot) <= t) {
        remove_key(m, slot);
        m->st->expired_keys++;
    }
}

/* The samples at next_sample_us, next_sample_us + interval, ... before end
 * (or at end too, when inclusive).  Between two changes (an event or an
 * expiry) every sample is the same: a stretch of them keeps its first and
 * last, and the others are only counted. */
static int sample_until(model *m, int64_t end, int inclusive) {
    while (m->next_sample_us < end || (inclusive && m->next_sample_us == end)) {
        expire_until(m, m->next_sample_us);
        if (add_sample(m, m->next_sample_us) != 0) return -1;
        m->next_sample_us += m->interval_us;
        int64_t change = inclusive ? end + 1 : end;
        uint32_t slot = ks_first_expiring(&m->ks);
        if (slot != KS_NONE && ks_expire_us(&m->ks, slot) < change)
            change = ks_expire_us(&m->ks, slot);
        if (change - m->next_sample_us > m->interval_us) {
            int64_t k = (change - 1 - m->next_sample_us) / m->interval_us;
            m->next_sample_us += k * m->interval_us;
            m->st->idle_points += (uint64_t)k;
        }
    }
    return 0;
}

/* Stores a value of `size` bytes under slot; `existed`: the key had a value,
 * which this one replaces. */
static void store(model *m, uint32_t slot, uint64_t size, int existed) {
    trace_stats *st = m->st;
    ks_entry *e = ks_get(&m->ks, slot);
    uint64_t usable = trace_stats_jemalloc_class(size);
    st->overwrites += existed != 0;
    st->freed_bytes += e->requested;
    m->live_bytes += size - e->requested;
    m->class_bytes += usable - e->usable;
    e->requested = size;
    e->usable = usable;
    ts_class *c = &st->classes[class_index(st, usable)];
    c->values++;
    c->requested += size;
    st->values_stored++;
    st->written_bytes += size;
    if (m->live_bytes > st->peak.live_bytes) st->peak = point_now(m, st->last_us);
}

static int ttl_bucket(int64_t ttl_us) {
    static const int64_t limits[] = {1, 10, 60, 600, 3600, 86400};
    if (ttl_us == TRACE_TTL_NONE) return TS_TTL_NONE;
    for (int i = 0; i < 6; i++)
        if (ttl_us <= limits[i] * TRACE_US_PER_S) return TS_TTL_1S + i;
    return TS_TTL_LONGER;
}

static int apply(model *m, const trace_event *ev, fs_err *err) {
    trace_stats *st = m->st;
    uint32_t slot = ev->key ? ks_find(&m->ks, ev->key, ev->keylen) : KS_NONE;
    switch (ev->op) {
    case TRACE_OP_SET:
    case TRACE_OP_APPEND:
    case TRACE_OP_GET: {
        uint64_t size = ev->size;
        int64_t ttl = ev->ttl_us;
        if (ev->op == TRACE_OP_GET) {
            if (slot != KS_NONE) {
                st->hits++;
                return 0;
            }
            st->misses++;
            if (!st->fill_on_miss || ev->size == 0) return 0;
            st->fills++;
            ttl = TRACE_TTL_NONE;
        } else if (ev->cond != TRACE_COND_NONE &&
                   (slot != KS_NONE) != (ev->cond == TRACE_COND_XX)) {
            st->skipped_writes++;
            return 0;
        }
        int existed = slot != KS_NONE;
        if (!existed && (slot = ks_insert(&m->ks, ev->key, ev->keylen, err)) == KS_NONE)
            return -1;
        if (ev->op == TRACE_OP_APPEND) {
            size += ks_get(&m->ks, slot)->requested;
            if (size > TRACE_SIZE_MAX)
                return fs_errf(err, "APPEND makes the value %llu bytes: expected at most %llu",
                               (unsigned long long)size, (unsigned long long)TRACE_SIZE_MAX);
        }
        store(m, slot, size, existed);
        if (ev->op == TRACE_OP_APPEND) return 0; /* the expiry stays */
        st->ttl[ttl_bucket(ttl)]++;
        int64_t expire = ttl == TRACE_TTL_NONE ? KS_NO_EXPIRE : ev->time_us + ttl;
        if (expire != KS_NO_EXPIRE || ks_get(&m->ks, slot)->heap_pos != KS_NONE)
            return ks_set_expire(&m->ks, slot, expire, err);
        return 0;
    }
    case TRACE_OP_DEL:
        if (slot != KS_NONE) {
            remove_key(m, slot);
            st->deleted_keys++;
        }
        return 0;
    case TRACE_OP_EXPIRE:
        if (slot == KS_NONE) return 0;
        if (ev->ttl_us == 0) {
            remove_key(m, slot);
            st->deleted_keys++;
            return 0;
        }
        return ks_set_expire(&m->ks, slot, ev->time_us + ev->ttl_us, err);
    case TRACE_OP_PERSIST:
        return slot != KS_NONE ? ks_set_expire(&m->ks, slot, KS_NO_EXPIRE, err) : 0;
    case TRACE_OP_HSET: /* counted by operation only: the live-set model here */
    case TRACE_OP_HDEL: /* holds string values */
    case TRACE_OP_SADD:
    case TRACE_OP_SREM:
    case TRACE_OP_ZADD:
    case TRACE_OP_ZREM:
    case TRACE_OP_LPUSH:
    case TRACE_OP_RPUSH:
    case TRACE_OP_LPOP:
    case TRACE_OP_RPOP:
    case TRACE_OP_LTRIM:
    case TRACE_OP_PURGE:
    case TRACE_OP_TICK:
    case TRACE_OP__COUNT: break;
    }
    return 0;
}

/* Every size class up to TRACE_SIZE_MAX, and 0 for empty values. */
static int make_classes(trace_stats *st) {
    size_t n = 1;
    for (uint64_t c = 8; c <= TRACE_SIZE_MAX; c = trace_stats_jemalloc_class(c + 1)) n++;
    st->classes = calloc(n, sizeof *st->classes);
    if (st->classes == NULL) return -1;
    st->nclasses = 0;
    st->classes[st->nclasses++].size = 0;
    for (uint64_t c = 8; c <= TRACE_SIZE_MAX; c = trace_stats_jemalloc_class(c + 1))
        st->classes[st->nclasses++].size = c;
    return 0;
}

int trace_stats_compute(trace_reader *r, double interval, int fill_on_miss, trace_stats *st,
                        fs_err *err) {
    memset(st, 0, sizeof *st);
    model m = {.st = st};
    int rc = -1;
    st->fill_on_miss = fill_on_miss;
    st->interval = interval;
    snprintf(st->format, sizeof st->format, "%s", r->ops->name);
    m.interval_us = (int64_t)(interval * TRACE_US_PER_S + 0.5);
    if (!(interval > 0) || m.interval_us <= 0 || m.interval_us > TRACE_TTL_MAX_US)
        return fs_errf(err, "the interval must be above 0 and at most 100 years");
    if (make_classes(st) != 0) return fs_errf(err, "out of memory");
    if (ks_init(&m.ks, err) != 0) goto done;

    trace_event ev;
    while ((rc = trace_next(r, &ev, err)) == 1) {
        if (st->events == 0) st->first_us = m.next_sample_us = ev.time_us;
        /* A sample at time s shows every event at s or before, every expiry
         * at s or before (engine.h's rules). */
        if (sample_until(&m, ev.time_us, 0) != 0) goto oom;
        expire_until(&m, ev.time_us);
        st->last_us = ev.time_us;
        st->events++;
        st->ops[ev.op]++;
        st->cond_nx += ev.cond == TRACE_COND_NX;
        st->cond_xx += ev.cond == TRACE_COND_XX;
        st->gets_with_size += ev.op == TRACE_OP_GET && ev.size > 0;
        if (ev.key != NULL && key_set_add(&m.keys, ks_hash(ev.key, ev.keylen)) != 0) goto oom;
        if (apply(&m, &ev, err) != 0) {
            char where[600];
            r->ops->where(r, where, sizeof where);
            fs_err_prefix(err, "%s", where);
            rc = -1;
            goto done;
        }
    }
    if (rc < 0) goto done;
    if (st->events == 0) {
        char where[600];
        r->ops->where(r, where, sizeof where);
        rc = fs_errf(err, "%s: the trace has no events", where);
        goto done;
    }
    if (sample_until(&m, st->last_us, 1) != 0) goto oom;
    expire_until(&m, st->last_us);
    if (m.last_sample_us != st->last_us && add_sample(&m, st->last_us) != 0) goto oom;
    st->final = point_now(&m, st->last_us);
    st->distinct_keys = m.keys.count;
    rc = 0;
    goto done;
oom:
    rc = fs_errf(err, "out of memory for the statistics");
done:
    ks_destroy(&m.ks);
    free(m.keys.h);
    if (rc != 0) trace_stats_free(st);
    return rc;
}

void trace_stats_free(trace_stats *st) {
    free(st->classes);
    free(st->series);
    st->classes = NULL;
    st->series = NULL;
    st->nclasses = st->nseries = 0;
}

/* ---- output ---- */

static const char *const ttl_names[TS_TTL__COUNT] = {
    "none", "le_1s", "le_10s", "le_1min", "le_10min", "le_1h", "le_1d", "longer"};
static const char *const ttl_labels[TS_TTL__COUNT] = {
    "none", "<= 1 s", "<= 10 s", "<= 1 min", "<= 10 min", "<= 1 h", "<= 1 day", "> 1 day"};

static double pct(uint64_t part, uint64_t whole) {
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static void emit_point(emitter *em, const char *key, const ts_point *p) {
    emit_object_begin(em, key, NULL);
    emit_double(em, "time", p->time, 6);
    emit_u64(em, "events", p->events);
    emit_u64(em, "keys", p->keys);
    emit_u64(em, "live_bytes", p->live_bytes);
    emit_u64(em, "jemalloc_bytes", p->class_bytes);
    emit_object_end(em);
}

/* Events by the type of key they write: strings (SET, APPEND), hashes
 * (HSET, HDEL), sets (SADD, SREM), sorted sets (ZADD, ZREM), lists (LPUSH,
 * RPUSH, LPOP, RPOP, LTRIM); keys of any type (DEL, EXPIRE, PERSIST, GET);
 * none (PURGE, TICK). */
enum { TS_STRING, TS_HASH, TS_SET, TS_ZSET, TS_LIST, TS_ANY_TYPE, TS_NO_KEY, TS_TYPE__COUNT };
static const char *const type_names[TS_TYPE__COUNT] = {"string", "hash", "set",     "zset",
                                                       "list",   "any_type", "no_key"};

_Static_assert(TRACE_OP__COUNT == 19, "a new operation needs its type in events_by_type");

static void events_by_type(const trace_stats *st, uint64_t out[TS_TYPE__COUNT]) {
    static const unsigned char type_of[TRACE_OP__COUNT] = {
        [TRACE_OP_SET] = TS_STRING,     [TRACE_OP_APPEND] = TS_STRING,
        [TRACE_OP_HSET] = TS_HASH,      [TRACE_OP_HDEL] = TS_HASH,
        [TRACE_OP_SADD] = TS_SET,       [TRACE_OP_SREM] = TS_SET,
        [TRACE_OP_ZADD] = TS_ZSET,      [TRACE_OP_ZREM] = TS_ZSET,
        [TRACE_OP_LPUSH] = TS_LIST,     [TRACE_OP_RPUSH] = TS_LIST,
        [TRACE_OP_LPOP] = TS_LIST,      [TRACE_OP_RPOP] = TS_LIST,
        [TRACE_OP_LTRIM] = TS_LIST,
        [TRACE_OP_DEL] = TS_ANY_TYPE,   [TRACE_OP_EXPIRE] = TS_ANY_TYPE,
        [TRACE_OP_PERSIST] = TS_ANY_TYPE, [TRACE_OP_GET] = TS_ANY_TYPE,
        [TRACE_OP_PURGE] = TS_NO_KEY,   [TRACE_OP_TICK] = TS_NO_KEY,
    };
    memset(out, 0, TS_TYPE__COUNT * sizeof *out);
    for (int op = 0; op < TRACE_OP__COUNT; op++) out[type_of[op]] += st->ops[op];
}

static void print_json(const trace_stats *st, const char *path, outbuf *ob) {
    emitter em;
    char key[64];
    emit_begin(&em, EMIT_JSON, ob);
    emit_str(&em, "trace", path);
    emit_str(&em, "format", st->format);
    emit_u64(&em, "events", st->events);
    emit_double(&em, "first_time", (double)st->first_us / TRACE_US_PER_S, 6);
    emit_double(&em, "duration", (double)(st->last_us - st->first_us) / TRACE_US_PER_S, 6);
    emit_object_begin(&em, "events_by_op", NULL);
    for (int op = 0; op < TRACE_OP__COUNT; op++)
        emit_u64(&em, trace_op_name((trace_op)op), st->ops[op]);
    emit_object_end(&em);
    uint64_t by_type[TS_TYPE__COUNT];
    events_by_type(st, by_type);
    emit_object_begin(&em, "events_by_type", NULL);
    for (int t = 0; t < TS_TYPE__COUNT; t++) emit_u64(&em, type_names[t], by_type[t]);
    emit_object_end(&em);
    emit_u64(&em, "conditional_nx", st->cond_nx);
    emit_u64(&em, "conditional_xx", st->cond_xx);
    emit_u64(&em, "gets_with_size", st->gets_with_size);
    emit_u64(&em, "distinct_keys", st->distinct_keys);
    emit_object_begin(&em, "replay", NULL);
    emit_bool(&em, "fill_on_miss", st->fill_on_miss);
    emit_u64(&em, "hits", st->hits);
    emit_u64(&em, "misses", st->misses);
    emit_u64(&em, "fills", st->fills);
    emit_u64(&em, "skipped_writes", st->skipped_writes);
    emit_u64(&em, "values_stored", st->values_stored);
    emit_u64(&em, "written_bytes", st->written_bytes);
    emit_u64(&em, "freed_bytes", st->freed_bytes);
    emit_u64(&em, "overwrites", st->overwrites);
    emit_u64(&em, "deleted_keys", st->deleted_keys);
    emit_u64(&em, "expired_keys", st->expired_keys);
    emit_double(&em, "churn", st->peak.live_bytes ? (double)st->written_bytes /
                (double)st->peak.live_bytes : 0.0, 4);
    emit_object_end(&em);
    emit_point(&em, "peak", &st->peak);
    emit_point(&em, "final", &st->final);
    emit_object_begin(&em, "value_sizes", NULL);
    emit_str(&em, "size_classes", "jemalloc 5.3, quantum 16, 4 KiB pages");
    uint64_t values = 0, req = 0, cls = 0;
    emit_object_begin(&em, "classes", NULL);
    for (size_t i = 0; i < st->nclasses; i++) {
        const ts_class *c = &st->classes[i];
        if (c->values == 0) continue;
        snprintf(key, sizeof key, "%llu", (unsigned long long)c->size);
        emit_object_begin(&em, key, NULL);
        emit_u64(&em, "values", c->values);
        emit_u64(&em, "requested", c->requested);
        emit_u64(&em, "class_bytes", c->size * c->values);
        emit_u64(&em, "waste", c->size * c->values - c->requested);
        emit_object_end(&em);
        values += c->values, req += c->requested, cls += c->size * c->values;
    }
    emit_object_end(&em);
    emit_u64(&em, "values", values);
    emit_u64(&em, "requested", req);
    emit_u64(&em, "class_bytes", cls);
    emit_u64(&em, "waste", cls - req);
    emit_object_end(&em);
    emit_object_begin(&em, "ttl", NULL);
    for (int i = 0; i < TS_TTL__COUNT; i++) emit_u64(&em, ttl_names[i], st->ttl[i]);
    emit_object_end(&em);
    emit_object_begin(&em, "series", NULL);
    emit_double(&em, "interval", st->interval, 6);
    emit_u64(&em, "idle_points_not_written", st->idle_points);
    emit_object_begin(&em, "points", NULL);
    for (size_t i = 0; i < st->nseries; i++) {
        snprintf(key, sizeof key, "%.6f", st->series[i].time);
        emit_point(&em, key, &st->series[i]);
    }
    emit_object_end(&em);
    emit_object_end(&em);
    emit_end(&em);
}

/* Human tables.  The series shows at most SERIES_ROWS rows, evenly spread,
 * always with the first and the last; --json has every point. */
#define SERIES_ROWS 40

static void print_text(const trace_stats *st, const char *path, outbuf *ob) {
    outbuf_printf(ob, "trace          %s (%s)\n", path, st->format);
    outbuf_printf(ob, "events         %llu over %.3f s (first at %.6f s)\n",
                  (unsigned long long)st->events,
                  (double)(st->last_us - st->first_us) / TRACE_US_PER_S,
                  (double)st->first_us / TRACE_US_PER_S);
    outbuf_printf(ob, "distinct keys  %llu\n\nevents by operation\n",
                  (unsigned long long)st->distinct_keys);
    for (int op = 0; op < TRACE_OP__COUNT; op++) {
        if (st->ops[op] == 0) continue;
        outbuf_printf(ob, "  %-8s %12llu  %5.1f%%", trace_op_name((trace_op)op),
                      (unsigned long long)st->ops[op], pct(st->ops[op], st->events));
        if (op == TRACE_OP_GET)
            outbuf_printf(ob, "  (%llu with the value's size)",
                          (unsigned long long)st->gets_with_size);
        outbuf_write(ob, "\n", 1);
    }
    if (st->cond_nx || st->cond_xx)
        outbuf_printf(ob, "  conditional writes: %llu NX (only if absent), %llu XX (only if "
                      "present)\n", (unsigned long long)st->cond_nx,
                      (unsigned long long)st->cond_xx);
    uint64_t by_type[TS_TYPE__COUNT];
    events_by_type(st, by_type);
    outbuf_printf(ob, "events by type of key\n");
    for (int t = 0; t < TS_TYPE__COUNT; t++)
        if (by_type[t] > 0)
            outbuf_printf(ob, "  %-8s %12llu  %5.1f%%\n", type_names[t],
                          (unsigned long long)by_type[t], pct(by_type[t], st->events));

    outbuf_printf(ob, "\nreplay without an allocator (raw values, --fill-on-miss %s)\n",
                  st->fill_on_miss ? "on" : "off");
    outbuf_printf(ob, "  GET hits %llu, misses %llu, fills %llu; conditional writes skipped "
                  "%llu\n", (unsigned long long)st->hits, (unsigned long long)st->misses,
                  (unsigned long long)st->fills, (unsigned long long)st->skipped_writes);
    outbuf_printf(ob, "  values stored %llu (%llu bytes); overwritten %llu, deleted %llu, "
                  "expired %llu\n", (unsigned long long)st->values_stored,
                  (unsigned long long)st->written_bytes, (unsigned long long)st->overwrites,
                  (unsigned long long)st->deleted_keys, (unsigned long long)st->expired_keys);
    outbuf_printf(ob, "  peak live     %llu bytes (%llu in jemalloc classes), %llu keys, at "
                  "%.3f s\n", (unsigned long long)st->peak.live_bytes,
                  (unsigned long long)st->peak.class_bytes, (unsigned long long)st->peak.keys,
                  st->peak.time);
    outbuf_printf(ob, "  final live    %llu bytes (%llu in jemalloc classes), %llu keys\n",
                  (unsigned long long)st->final.live_bytes,
                  (unsigned long long)st->final.class_bytes, (unsigned long long)st->final.keys);
    if (st->peak.live_bytes)
        outbuf_printf(ob, "  churn         %.2f (bytes written / peak live bytes)\n",
                      (double)st->written_bytes / (double)st->peak.live_bytes);

    outbuf_printf(ob, "\nvalue sizes by jemalloc 5.3 size class (quantum 16, 4 KiB pages)\n"
                  "  %10s %10s %7s %14s %14s %12s %7s\n", "class", "values", "share",
                  "requested", "class bytes", "waste", "waste%");
    uint64_t values = 0, req = 0, cls = 0;
    for (size_t i = 0; i < st->nclasses; i++) values += st->classes[i].values;
    for (size_t i = 0; i < st->nclasses; i++) {
        const ts_class *c = &st->classes[i];
        if (c->values == 0) continue;
        uint64_t bytes = c->size * c->values;
        outbuf_printf(ob, "  %10llu %10llu %6.1f%% %14llu %14llu %12llu %6.1f%%\n",
                      (unsigned long long)c->size, (unsigned long long)c->values,
                      pct(c->values, values), (unsigned long long)c->requested,
                      (unsigned long long)bytes, (unsigned long long)(bytes - c->requested),
                      pct(bytes - c->requested, bytes));
        req += c->requested, cls += bytes;
    }
    outbuf_printf(ob, "  %10s %10llu %6.1f%% %14llu %14llu %12llu %6.1f%%\n", "total",
                  (unsigned long long)values, values ? 100.0 : 0.0, (unsigned long long)req,
                  (unsigned long long)cls, (unsigned long long)(cls - req), pct(cls - req, cls));

    outbuf_printf(ob, "\nTTLs of stored values\n");
    for (int i = 0; i < TS_TTL__COUNT; i++)
        outbuf_printf(ob, "  %-10s %12llu  %5.1f%%\n", ttl_labels[i],
                      (unsigned long long)st->ttl[i], pct(st->ttl[i], st->values_stored));

    size_t step = st->nseries > SERIES_ROWS ? (st->nseries + SERIES_ROWS - 2) / (SERIES_ROWS - 1)
                                            : 1;
    outbuf_printf(ob, "\nlive bytes over time (every %g s%s)\n  %14s %12s %10s %14s %14s\n",
                  st->interval * (double)step, step > 1 ? "; --json has every point" : "",
                  "time", "events", "keys", "live bytes", "jemalloc bytes");
    if (st->idle_points > 0)
        outbuf_printf(ob, "  (%llu points of idle stretches, where nothing changed, not "
                      "written: a stretch keeps its first and last point)\n",
                      (unsigned long long)st->idle_points);
    for (size_t i = 0; i < st->nseries; i++) {
        if (i % step != 0 && i != st->nseries - 1) continue;
        const ts_point *p = &st->series[i];
        outbuf_printf(ob, "  %14.3f %12llu %10llu %14llu %14llu\n", p->time,
                      (unsigned long long)p->events, (unsigned long long)p->keys,
                      (unsigned long long)p->live_bytes, (unsigned long long)p->class_bytes);
    }
}

void trace_stats_print(const trace_stats *st, const char *path, int json, outbuf *ob) {
    if (json) print_json(st, path, ob);
    else print_text(st, path, ob);
}
