/* Redis's sorted set commands that change memory, replayed against the
 * importer's key table and turned into ZADD / ZREM events (t_zset.c of
 * Redis 7.0: zaddGenericCommand's checks in the same order, WRONGTYPE on a
 * key of another type).
 *
 * A sorted set key's members live in the entry's own small table
 * (import_keys.h), each with its score (the double's bits in the member
 * entry's size word), so that a ZADD event is written only for a member
 * that is new or whose score changes, with the score Redis ends up with
 * (INCR added, GT / LT applied).  The last ZREM removes the key, as Redis
 * does, and the replay does the same on its own.  ZPOPMIN and ZPOPMAX pop
 * the members Redis pops (the scores say which): one ZREM each. */
#include <math.h>
#include <string.h>
#include <strings.h>

#include "import_monitor_int.h"

static int opt_is(const im_arg *a, const char *name) {
    return a->len == strlen(name) && strncasecmp(a->p, name, a->len) == 0;
}

static double score_of(const imk_entry *v) {
    double d;
    memcpy(&d, &v->size, sizeof d);
    return d;
}

static void set_score(imk_entry *v, double d) { memcpy(&v->size, &d, sizeof d); }

enum { Z_NX = 1, Z_XX = 2, Z_GT = 4, Z_LT = 8, Z_INCR = 16 };

/* zsetAdd of member m with score (the increment under Z_INCR) to the
 * sorted set e at argv[1]: a ZADD event when m is new or its score
 * changes.  Returns 0, 1 when the new score is NaN (Redis's error, nothing
 * changed), or -1. */
static int add_member(import_monitor *im, imk_entry *e, const im_arg *m, double score,
                      int flags) {
    imk_entry *v = im_field_of(e, m);
    if (v != NULL) {
        if (flags & Z_NX) return 0;
        double cur = score_of(v);
        if (flags & Z_INCR) {
            score += cur;
            if (isnan(score)) return 1; /* "resulting score is not a number (NaN)" */
        }
        if (((flags & Z_LT) && score >= cur) || ((flags & Z_GT) && score <= cur)) return 0;
        if (score == cur) return 0;
    } else {
        if (flags & Z_XX) return 0;
        if ((v = imk_add(e->fields, 0, m->p, (uint32_t)m->len, 0)) == NULL)
            return fs_errf(im->err, "out of memory");
    }
    set_score(v, score);
    const im_arg *k = &im->argv[1];
    return im_emit_zadd(im, k->p, k->len, m->p, m->len, score);
}

/* ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...],
 * and ZINCRBY key increment member (ZADD INCR). */
static int zadd_generic(import_monitor *im, size_t scoreidx, int flags) {
    size_t elements = im->argc - scoreidx;
    if (elements == 0 || elements % 2) return IM_REJECTED; /* syntax error */
    elements /= 2;
    if ((flags & Z_INCR) && elements > 1) return IM_REJECTED;
    if ((flags & Z_NX) && (flags & Z_XX)) return IM_REJECTED;
    if (((flags & Z_GT) && (flags & Z_NX)) || ((flags & Z_LT) && (flags & Z_NX)) ||
        ((flags & Z_GT) && (flags & Z_LT)))
        return IM_REJECTED;
    /* Every score is parsed before anything is written. */
    for (size_t j = 0; j < elements; j++) {
        double d;
        const im_arg *s = &im->argv[scoreidx + 2 * j];
        if (trace_score_parse(s->p, (uint32_t)s->len, &d) != 0)
            return IM_REJECTED; /* "value is not a valid float" */
    }
    if (!im_fields_fit(im, scoreidx + 1, 2, "ZADD")) return IM_UNTRANSLATED;
    imk_entry *e = im_lookup(im, &im->argv[1]);
    if (e != NULL && e->type != IMK_ZSET) return IM_REJECTED; /* WRONGTYPE */
    if (e == NULL && (flags & Z_XX)) return IM_DONE;
    int rc = 0;
    if ((e = im_fields_for_write(im, &im->argv[1], IMK_ZSET, &rc)) == NULL) return rc;
    for (size_t j = 0; j < elements; j++) {
        double d;
        const im_arg *s = &im->argv[scoreidx + 2 * j];
        trace_score_parse(s->p, (uint32_t)s->len, &d);
        int r = add_member(im, e, &im->argv[scoreidx + 2 * j + 1], d, flags);
        if (r < 0) return -1;
        if (r > 0) break;
    }
    if (e->fields->count == 0) imk_del(&im->keys, e); /* an INCR's NaN on a new key */
    return IM_DONE;
}

int im_cmd_zadd(import_monitor *im) {
    int flags = 0;
    size_t j = 2;
    for (; j < im->argc; j++) {
        const im_arg *a = &im->argv[j];
        if (opt_is(a, "NX")) flags |= Z_NX;
        else if (opt_is(a, "XX")) flags |= Z_XX;
        else if (opt_is(a, "GT")) flags |= Z_GT;
        else if (opt_is(a, "LT")) flags |= Z_LT;
        else if (opt_is(a, "INCR")) flags |= Z_INCR;
        else if (!opt_is(a, "CH")) break; /* CH changes only the reply */
    }
    return zadd_generic(im, j, flags);
}

int im_cmd_zincrby(import_monitor *im) { return zadd_generic(im, 2, Z_INCR); }

/* ZREM key member [member ...]: a ZREM event per member present; the last
 * one takes the key. */
int im_cmd_zrem(import_monitor *im) {
    if (!im_fields_fit(im, 2, 1, "ZREM")) return IM_UNTRANSLATED;
    imk_entry *e = im_lookup(im, &im->argv[1]);
    if (e == NULL) return IM_DONE;
    if (e->type != IMK_ZSET) return IM_REJECTED; /* WRONGTYPE */
    const im_arg *k = &im->argv[1];
    for (size_t j = 2; j < im->argc; j++) {
        const im_arg *m = &im->argv[j];
        imk_entry *v = im_field_of(e, m);
        if (v == NULL) continue;
        if (im_emit_field(im, TRACE_OP_ZREM, k->p, k->len, m->p, m->len, 0) != 0) return -1;
        imk_del(e->fields, v);
        if (e->fields->count == 0) {
            imk_del(&im->keys, e);
            break;
        }
    }
    return IM_DONE;
}

/* Is member a before b in a sorted set's order (score, then bytes)? */
static int member_before(const imk_entry *a, const imk_entry *b) {
    double sa = score_of(a), sb = score_of(b);
    if (sa != sb) return sa < sb;
    int c = memcmp(a->key, b->key, a->keylen < b->keylen ? a->keylen : b->keylen);
    return c != 0 ? c < 0 : a->keylen < b->keylen;
}

/* The first (max 0) or last (max 1) member so far in *(imk_entry **)arg,
 * for imk_each. */
struct pop_pick {
    imk_entry *best;
    int max;
};

static int pick(void *arg, imk_entry *v) {
    struct pop_pick *p = arg;
    if (p->best == NULL || (p->max ? member_before(p->best, v) : member_before(v, p->best)))
        p->best = v;
    return 0;
}

/* ZPOPMIN / ZPOPMAX key [count]: count (default 1) members from the low or
 * high end, each a ZREM (genericZpopCommand's zsetDel one by one); the
 * last takes the key.  A scan of the members per pop. */
static int zpop(import_monitor *im, int max) {
    long long count = 1;
    if (im->argc > 3) return IM_REJECTED; /* syntax error */
    if (im->argc == 3 && (!redis_string2ll(im->argv[2].p, im->argv[2].len, &count) || count < 0))
        return IM_REJECTED; /* "value is out of range, must be positive" */
    imk_entry *e = im_lookup(im, &im->argv[1]);
    if (e == NULL) return IM_DONE;
    if (e->type != IMK_ZSET) return IM_REJECTED; /* WRONGTYPE */
    const im_arg *k = &im->argv[1];
    for (long long n = 0; n < count; n++) {
        struct pop_pick p = {NULL, max};
        imk_each(e->fields, -1, 0, pick, &p);
        imk_entry *v = p.best;
        if (im_emit_field(im, TRACE_OP_ZREM, k->p, k->len, v->key, v->keylen, 0) != 0)
            return -1;
        imk_del(e->fields, v);
        if (e->fields->count == 0) {
            imk_del(&im->keys, e);
            break;
        }
    }
    return IM_DONE;
}

int im_cmd_zpopmin(import_monitor *im) { return zpop(im, 0); }
int im_cmd_zpopmax(import_monitor *im) { return zpop(im, 1); }
