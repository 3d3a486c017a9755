#include "trace_transform.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sim/base/emem.h"
#include "../sim/base/rng.h"
#include "../sim/base/units.h"
#include "trace_htab.h"
#include "transform_hashpack.h"

uint64_t transform_key_hash(const char *p, uint32_t n) {
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a, then a final mix */
    for (uint32_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h ? h : 1;
}

/* ---- the spec ---- */

int transform_spec_empty(const transform_spec *s) {
    return s->pad == TRANSFORM_PAD_NONE && s->compress_ratio == 0 && s->uniform_ttl_sep == '\0' &&
           s->shard < 0 && !s->shard_arenas && !transform_sampling(s) && s->hash_pack == 0;
}

int transform_sampling(const transform_spec *s) {
    return s->sample_keys > 0 && s->sample_keys < 1;
}

int transform_parse_sample_keys(transform_spec *s, const char *arg, fs_err *err) {
    double r;
    if (units_parse_double(arg, &r) != 0 || !(r > 0) || r > 1)
        return fs_errf(err, "--sample-keys '%s': expected a rate above 0 and at most 1 (0.01 "
                       "keeps one key in a hundred, with every event of each)", arg);
    s->sample_keys = r;
    return 0;
}

int transform_sample_keep(const transform_spec *s, const char *key, uint32_t n) {
    if (!transform_sampling(s)) return 1;
    /* splitmix64 of the key's hash and of the seed: every bit of both
     * reaches every bit of h, so each seed draws another sample. */
    uint64_t seed = s->sample_seed, x = transform_key_hash(key, n) ^ rng_splitmix64(&seed);
    uint64_t h = rng_splitmix64(&x);
    /* The top 53 bits as a fraction in [0, 1), against the rate. */
    return (double)(h >> 11) * 0x1p-53 < s->sample_keys;
}

int transform_nshards(const transform_spec *s) {
    return s->shard_by == TRANSFORM_SHARD_NONE ? 1 : s->nbounds + 1;
}

int transform_parse_pad(transform_spec *s, const char *arg, fs_err *err) {
    if (strcmp(arg, "pow2") == 0) {
        s->pad = TRANSFORM_PAD_POW2;
        return 0;
    }
    uint64_t n;
    if (units_parse_bytes(arg, &n) != 0 || n == 0 || n > ((uint64_t)1 << 30))
        return fs_errf(err, "--pad '%s': expected pow2 or a multiple in bytes (1 to 1gb)", arg);
    s->pad = TRANSFORM_PAD_MULTIPLE;
    s->pad_multiple = n;
    return 0;
}

int transform_parse_compress(transform_spec *s, const char *arg, fs_err *err) {
    char buf[128];
    snprintf(buf, sizeof buf, "%s", arg);
    char *colon = strchr(buf, ':');
    if (colon) *colon = '\0';
    double r = 0;
    int sample = strcmp(buf, "sample") == 0;
    if (!sample && (units_parse_double(buf, &r) != 0 || !(r > 0) || r > 1))
        return fs_errf(err, "--compress '%s': expected RATIO[:MIN_SIZE], a ratio above 0 and at "
                       "most 1 (0.5: values shrink to half), or sample[:MIN_SIZE]", arg);
    uint64_t min = 0;
    if (colon && units_parse_bytes(colon + 1, &min) != 0)
        return fs_errf(err, "--compress '%s': MIN_SIZE '%s' is not a size in bytes", arg, colon + 1);
    s->compress_ratio = r;
    s->compress_min = min;
    s->compress_from_sample = sample;
    return 0;
}

static const char *const ttl_stat_names[] = {"first", "min", "max", "mean", "median"};

const char *transform_ttl_stat_name(transform_ttl_stat st) {
    return (unsigned)st < sizeof ttl_stat_names / sizeof *ttl_stat_names ? ttl_stat_names[st]
                                                                          : "?";
}

int transform_parse_uniform_ttl(transform_spec *s, const char *arg, fs_err *err) {
    const size_t nstats = sizeof ttl_stat_names / sizeof *ttl_stat_names;
    size_t n = strlen(arg), k = n == 1 ? 0 : nstats; /* one byte alone: the first */
    if (n > 2 && arg[1] == ':')
        for (k = 0; k < nstats; k++)
            if (strcmp(arg + 2, ttl_stat_names[k]) == 0) break;
    if (k == nstats)
        return fs_errf(err, "--uniform-ttl '%s': expected SEP[:first|min|max|mean|median], SEP "
                       "the one byte that ends a key's prefix (':' makes user:1 and user:2 share "
                       "the prefix user; '::max' gives them the longest TTL of the prefix)", arg);
    s->uniform_ttl_sep = arg[0];
    s->uniform_ttl_stat = (transform_ttl_stat)k;
    return 0;
}

int transform_parse_shard_by(transform_spec *s, transform_shard_by by, const char *arg,
                             fs_err *err) {
    const char *opt = by == TRANSFORM_SHARD_SIZE ? "--shard-by-size" : "--shard-by-ttl";
    if (s->shard_by != TRANSFORM_SHARD_NONE)
        return fs_errf(err, "%s: give one of --shard-by-size and --shard-by-ttl", opt);
    char buf[512];
    snprintf(buf, sizeof buf, "%s", arg);
    s->nbounds = 0;
    for (char *save, *v = strtok_r(buf, ",", &save); v; v = strtok_r(NULL, ",", &save)) {
        uint64_t b = 0;
        double d;
        int bad;
        if (by == TRANSFORM_SHARD_SIZE) {
            bad = units_parse_bytes(v, &b) != 0;
        } else {
            bad = units_parse_double(v, &d) != 0 || !(d > 0) || d > 3e9;
            if (!bad) b = (uint64_t)llround(d * 1e6); /* microseconds, as ttl_us */
        }
        if (bad || b == 0 || (s->nbounds > 0 && b <= s->bounds[s->nbounds - 1]) ||
            s->nbounds == TRANSFORM_MAX_BOUNDS)
            return fs_errf(err, "%s '%s': expected up to %d ascending class boundaries (%s)", opt,
                           arg, TRANSFORM_MAX_BOUNDS,
                           by == TRANSFORM_SHARD_SIZE ? "bytes: 1024,10240" : "seconds: 300,3600");
        s->bounds[s->nbounds++] = b;
    }
    if (s->nbounds == 0) return fs_errf(err, "%s: no boundaries", opt);
    s->shard_by = by;
    return 0;
}

int transform_parse_shard(transform_spec *s, const char *arg, fs_err *err) {
    int k, n, used = 0;
    if (strcmp(arg, "arenas") == 0) {
        if (s->shard_by == TRANSFORM_SHARD_NONE)
            return fs_errf(err, "--shard arenas: needs --shard-by-size or --shard-by-ttl first");
        s->shard_arenas = 1;
        return 0;
    }
    if (sscanf(arg, "%d/%d%n", &k, &n, &used) != 2 || arg[used] != '\0' || n < 1 || k < 1 || k > n)
        return fs_errf(err, "--shard '%s': expected K/N (shard K, 1 to N, of N, this "
                       "process replaying it alone) or arenas (every shard, each in an "
                       "allocator arena of its own)", arg);
    if (n != transform_nshards(s))
        return fs_errf(err, "--shard '%s': the boundaries make %d shards, not %d "
                       "(--shard-by-size or --shard-by-ttl first)", arg, transform_nshards(s), n);
    s->shard = k - 1;
    return 0;
}

void transform_shard_class(const transform_spec *s, int k, char *buf, size_t n) {
    int ttl = s->shard_by == TRANSFORM_SHARD_TTL;
    double div = ttl ? 1e6 : 1;
    const char *unit = ttl ? "s" : "";
    if (s->shard_by == TRANSFORM_SHARD_NONE || k < 0 || k > s->nbounds)
        snprintf(buf, n, "all");
    else if (k == 0)
        snprintf(buf, n, "<%.6g%s", (double)s->bounds[0] / div, unit);
    else if (k == s->nbounds)
        snprintf(buf, n, ">=%.6g%s%s", (double)s->bounds[k - 1] / div, unit,
                 ttl ? " or none" : "");
    else
        snprintf(buf, n, "%.6g-%.6g%s", (double)s->bounds[k - 1] / div, (double)s->bounds[k] / div,
                 unit);
}

void transform_describe(const transform_spec *s, char *buf, size_t n) {
    size_t at = 0;
    buf[0] = '\0';
#define PUT(...) \
    do { \
        if (at < n) at += (size_t)snprintf(buf + at, n - at, __VA_ARGS__); \
    } while (0)
    if (s->pad == TRANSFORM_PAD_POW2) PUT(" --pad pow2");
    else if (s->pad == TRANSFORM_PAD_MULTIPLE) PUT(" --pad %llu", (unsigned long long)s->pad_multiple);
    if (s->compress_ratio > 0 || s->compress_from_sample)
        PUT(" --compress %.6g:%llu", s->compress_ratio, (unsigned long long)s->compress_min);
    if (s->compress_sample)
        PUT(" --compress-sample %s --compress-level %d", s->compress_sample, s->compress_level);
    if (s->uniform_ttl_sep)
        PUT(" --uniform-ttl %c:%s", s->uniform_ttl_sep, transform_ttl_stat_name(s->uniform_ttl_stat));
    if (s->shard_by != TRANSFORM_SHARD_NONE) {
        int size = s->shard_by == TRANSFORM_SHARD_SIZE;
        PUT(" --shard-by-%s ", size ? "size" : "ttl");
        for (int i = 0; i < s->nbounds; i++)
            PUT("%s%.6g", i ? "," : "", size ? (double)s->bounds[i] : (double)s->bounds[i] / 1e6);
    }
    if (s->shard >= 0) PUT(" --shard %d/%d", s->shard + 1, transform_nshards(s));
    if (s->shard_arenas) PUT(" --shard arenas");
    if (s->hash_pack)
        PUT(" --hash-pack %u%s", s->hash_pack, s->hash_pack_ttl_bucket ? ":ttl=bucket" : "");
#undef PUT
    if (buf[0] == ' ') memmove(buf, buf + 1, strlen(buf));
}

double transform_compress_cpu_seconds(const transform_spec *s) {
    return s->stats ? (double)s->stats->compress_in_bytes * s->compress_cost : 0;
}

uint64_t transform_size(const transform_spec *s, uint64_t size) {
    if (s->pad == TRANSFORM_PAD_POW2 && size > 1) {
        uint64_t p = 1;
        while (p < size) p <<= 1;
        size = p;
    } else if (s->pad == TRANSFORM_PAD_MULTIPLE && size % s->pad_multiple != 0) {
        size += s->pad_multiple - size % s->pad_multiple;
    }
    /* Rounded up, at least one byte: a compressed value never vanishes. */
    if (s->compress_ratio > 0 && size >= s->compress_min && size > 0) {
        uint64_t c = (uint64_t)ceil((double)size * s->compress_ratio);
        size = c < 1 ? 1 : c;
    }
    return size;
}

/* ---- the wrapper ---- */

typedef struct transform_state {
    trace_reader inner;
    trace_reader_ops ops; /* the inner's name, so the summary names the source format */
    transform_spec spec;
    htab shards; /* key hash -> shard + 1 */
    htab ttls;   /* prefix hash -> ttl_us */
    /* --sample-keys: the clock's origin and end are the whole trace's, so
     * a sampled run's samples fall at the same virtual times as the full
     * run's: the first event passes (as a clock tick if its key is left
     * out), and the last left-out event's time, if after every kept one,
     * is a clock tick at the end. */
    int started;
    int dropped_since_kept;
    int64_t last_dropped_us;
    hashpack hp; /* --hash-pack */
} transform_state;

static int shard_of(const transform_spec *s, const trace_event *ev) {
    uint64_t v;
    if (s->shard_by == TRANSFORM_SHARD_SIZE) v = ev->size;
    else if (ev->ttl_us == TRACE_TTL_NONE) return s->nbounds;
    else v = (uint64_t)ev->ttl_us;
    int i = 0;
    while (i < s->nbounds && v >= s->bounds[i]) i++;
    return i;
}

/* Keeps the events of this replay's shard.  A key's shard is set by its
 * first write (SET, APPEND, or a GET that knows the size) and kept for
 * good; other events on a key not yet placed change nothing wherever they
 * go, so they go to shard 0.  Events without a key (TICK, PURGE) go to
 * every shard, so every shard's clock runs to the trace's end.  Under
 * --shard arenas every event is kept, marked with its key's shard. */
static int keep(transform_state *st, trace_event *ev, fs_err *err) {
    const transform_spec *s = &st->spec;
    ev->shard = 0;
    if ((s->shard < 0 && !s->shard_arenas) || ev->key == NULL) return 1;
    uint64_t h = transform_key_hash(ev->key, ev->keylen);
    int placed = ev->op == TRACE_OP_SET || ev->op == TRACE_OP_APPEND ||
                 (ev->op == TRACE_OP_GET && ev->size > 0);
    if (st->shards.cap == 0 || htab_find(&st->shards, h)->h == 0) {
        /* Not placed yet: a non-write leaves it so, and its first write decides. */
        if (!placed) return s->shard_arenas || s->shard == 0;
    }
    int fresh;
    hslot *slot = htab_get(&st->shards, h, &fresh);
    if (slot == NULL) return fs_errf(err, "out of engine memory for the shard table");
    if (fresh) slot->v = shard_of(s, ev) + 1;
    ev->shard = (uint8_t)(slot->v - 1);
    return s->shard_arenas || slot->v - 1 == s->shard;
}

static int uniform_ttl(transform_state *st, trace_event *ev, fs_err *err) {
    const char *sep = memchr(ev->key, st->spec.uniform_ttl_sep, ev->keylen);
    uint32_t n = sep ? (uint32_t)(sep - ev->key) : ev->keylen;
    uint64_t h = transform_key_hash(ev->key, n);
    int64_t ttl = ev->ttl_us;
    if (st->spec.ttl_table != NULL) {
        transform_ttl_lookup(st->spec.ttl_table, h, &ttl);
    } else {
        int fresh;
        hslot *slot = htab_get(&st->ttls, h, &fresh);
        if (slot == NULL) return fs_errf(err, "out of engine memory for the TTL table");
        if (fresh) slot->v = ev->ttl_us;
        else ttl = slot->v;
    }
    if (ttl != ev->ttl_us && st->spec.stats) st->spec.stats->ttl_changed++;
    ev->ttl_us = ttl;
    return 0;
}

/* transform_size, counted into the stats. */
static uint64_t resize(transform_state *st, uint64_t size) {
    transform_stats *c = st->spec.stats;
    if (c == NULL) return transform_size(&st->spec, size);
    transform_spec pad_only = st->spec;
    pad_only.compress_ratio = 0;
    uint64_t padded = transform_size(&pad_only, size), out = transform_size(&st->spec, size);
    if (padded > size) {
        c->padded_values++;
        c->pad_bytes += padded - size;
    }
    if (st->spec.compress_ratio > 0 && padded >= st->spec.compress_min && padded > 0) {
        c->compressed_values++;
        c->compress_in_bytes += padded;
        c->compress_out_bytes += out;
    }
    return out;
}

static void make_tick(trace_event *ev, int64_t t) {
    memset(ev, 0, sizeof *ev);
    ev->time_us = t;
    ev->op = TRACE_OP_TICK;
    ev->ttl_us = TRACE_TTL_NONE;
}

/* The next event of a sampled key (or of no key), left-out events skipped
 * rather than replayed as ticks: between two events the engine's cron and
 * samples run by time alone, so skipping changes nothing but the cost. */
static int next_sampled(transform_state *st, trace_event *ev, fs_err *err) {
    const transform_spec *s = &st->spec;
    for (;;) {
        int rc = trace_next(&st->inner, ev, err);
        if (rc < 0) return -1;
        if (rc == 0) {
            if (!st->dropped_since_kept) return 0;
            st->dropped_since_kept = 0;
            make_tick(ev, st->last_dropped_us);
            return 1;
        }
        if (ev->key == NULL || transform_sample_keep(s, ev->key, ev->keylen)) {
            if (ev->key != NULL && s->stats) s->stats->sample_kept_events++;
            st->started = 1;
            st->dropped_since_kept = 0;
            return 1;
        }
        if (s->stats) s->stats->sample_dropped_events++;
        if (!st->started) {
            st->started = 1;
            make_tick(ev, ev->time_us);
            return 1;
        }
        st->dropped_since_kept = 1;
        st->last_dropped_us = ev->time_us;
    }
}

static int transform_next(trace_reader *r, trace_event *ev, fs_err *err) {
    transform_state *st = r->state;
    if (hashpack_pending(&st->hp, ev)) {
        if (st->spec.stats) st->spec.stats->hash_pack_ttl_events++;
        return 1;
    }
    int rc = next_sampled(st, ev, err);
    if (rc <= 0) return rc;
    /* The shard is decided on the size the trace wrote, so the shards are
     * the same with and without padding or compression. */
    rc = keep(st, ev, err);
    if (rc < 0) return -1;
    if (!rc) {
        /* Another shard's event becomes a clock tick: every shard's clock,
         * samples and cron ticks then run as the whole trace's, so the
         * shards' series add up sample by sample. */
        make_tick(ev, ev->time_us);
        return 1;
    }
    if (ev->op == TRACE_OP_SET || ev->op == TRACE_OP_APPEND ||
        (ev->op == TRACE_OP_GET && ev->size > 0))
        ev->size = resize(st, ev->size);
    if (ev->op == TRACE_OP_SET && st->spec.uniform_ttl_sep != '\0' && uniform_ttl(st, ev, err) != 0)
        return -1;
    if (st->spec.hash_pack) {
        const char *key = ev->key;
        if ((rc = hashpack_apply(&st->hp, ev, err)) < 0) return -1;
        if (rc == 0) make_tick(ev, ev->time_us);
        else if (st->spec.stats && ev->key != key) st->spec.stats->hash_pack_events++;
    }
    return 1;
}

static void transform_where(trace_reader *r, char *buf, size_t n) {
    transform_state *st = r->state;
    st->inner.ops->where(&st->inner, buf, n);
}

static void transform_close(trace_reader *r) {
    transform_state *st = r->state;
    trace_close(&st->inner);
    htab_free(&st->shards);
    htab_free(&st->ttls);
    hashpack_free(&st->hp);
    emem_unmap(st, sizeof *st);
}

int trace_transform_wrap(trace_reader *r, trace_reader *inner, const transform_spec *s,
                         fs_err *err) {
    transform_state *st = emem_map(sizeof *st);
    if (st == NULL) {
        trace_close(inner);
        return fs_errf(err, "cannot map the transform's state");
    }
    st->inner = *inner;
    st->spec = *s;
    st->hp.nfields = s->hash_pack;
    st->hp.ttl_bucket = s->hash_pack_ttl_bucket;
    st->ops = (trace_reader_ops){inner->ops->name, transform_next, transform_where, transform_close};
    memset(r, 0, sizeof *r);
    r->last_time_us = INT64_MIN;
    r->ops = &st->ops;
    r->state = st;
    return 0;
}
