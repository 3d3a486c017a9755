#include "trace_gen_types.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../sim/base/emem.h"

/* Shares of a board's members rescored and removed a round. */
#define ZSET_RESCORE_SHARE 0.05
#define ZSET_REMOVE_SHARE 0.01
#define ZSET_SCORE_MAX 1000000
/* A key's fields draw is cut here: a board's members, a producer's pushes. */
#define TYPES_FIELDS_MAX 100000
/* Queues: the share that fall behind, the share that are capped logs. */
#define LIST_BACKLOG_SHARE 0.25
#define LIST_LOG_SHARE 0.15

typedef struct key_state {
    uint32_t target;   /* board: members it grows to; queue: pushes a round */
    uint32_t n;        /* board: members given out; queue: its length */
    uint32_t cap;      /* queue: 0, or the length its LTRIM keeps (a log) */
    float pop;         /* queue: the consumer's pops a round */
    int64_t expire_us; /* when its TTL ends; INT64_MAX: never */
} key_state;

typedef struct types_state {
    gen_params p;
    rng r;
    key_state *keys;
    size_t keys_bytes;
    uint64_t round, key; /* the key-round being given out */
    int planned;         /* its plan below is set */
    int done;            /* the final TICK was returned */
    int64_t now_us;
    /* What is left of the key-round: a board's new members, then its
     * EXPIRE, rescores and removals; a queue's pushes, then its EXPIRE,
     * LTRIM and pops. */
    uint32_t add, rescore, remove, push, pop;
    int expire, trim;
    char keyname[96];
    char member[32];
} types_state;

static double phase_seconds(const gen_params *p) { return (double)p->keys / gen_effective_rate(p); }

/* floor(x + u), u uniform in [0, 1): a whole count whose mean is x. */
static uint32_t count_of(types_state *s, double x) {
    double c = floor(x + rng_double(&s->r));
    return c < 0 ? 0 : c > TYPES_FIELDS_MAX ? TYPES_FIELDS_MAX : (uint32_t)c;
}

/* The key's lasting draws, at its first round. */
static void key_init(types_state *s, key_state *k) {
    double f = dist_draw(&s->p.fields, &s->r);
    k->target = f < 1 ? 1 : f > TYPES_FIELDS_MAX ? TYPES_FIELDS_MAX : (uint32_t)llround(f);
    k->expire_us = INT64_MAX;
    if (s->p.type == GEN_LISTS) {
        double u = rng_double(&s->r);
        if (u < LIST_LOG_SHARE)
            k->cap = 100 + (uint32_t)rng_below(&s->r, 901);
        else if (u < LIST_LOG_SHARE + LIST_BACKLOG_SHARE)
            k->pop = (float)(k->target * (0.3 + 0.5 * rng_double(&s->r)));
        else
            k->pop = (float)(k->target * (1.0 + 0.5 * rng_double(&s->r)));
    }
    if (s->p.ttl.kind != DIST_NONE && rng_double(&s->r) < s->p.ttl_share) {
        int64_t ms = llround(dist_draw(&s->p.ttl, &s->r) * 1000.0);
        s->expire = 1;
        k->expire_us = s->now_us + (ms < 1 ? 1 : ms) * 1000;
    }
}

/* Sets the plan of (round, key); an expired key gets none. */
static void plan(types_state *s) {
    const gen_params *p = &s->p;
    key_state *k = &s->keys[s->key];
    s->now_us = llround(phase_seconds(p) * ((double)s->round + (double)s->key / (double)p->keys) /
                        (double)p->rounds * TRACE_US_PER_S);
    s->add = s->rescore = s->remove = s->push = s->pop = 0;
    s->expire = s->trim = 0;
    if (s->round == 0) key_init(s, k);
    if (s->now_us >= k->expire_us) return;
    if (p->type == GEN_ZSETS) {
        uint32_t grow = p->rounds / 2 > 0 ? p->rounds / 2 : 1;
        uint32_t step = (k->target + grow - 1) / grow;
        s->add = k->target - k->n < step ? k->target - k->n : step;
        uint32_t n = k->n + s->add;
        s->rescore = count_of(s, n * ZSET_RESCORE_SHARE);
        if (n > 2) s->remove = count_of(s, n * ZSET_REMOVE_SHARE);
        return;
    }
    if (s->round < (uint64_t)p->rounds * 2 / 3 || s->round == 0)
        s->push = count_of(s, 2 * k->target * rng_double(&s->r));
    if (s->round == 0 && s->push == 0) s->push = 1; /* the key exists for its EXPIRE */
    uint64_t len = (uint64_t)k->n + s->push;
    if (k->cap > 0) {
        s->trim = s->push > 0; /* RPUSH then LTRIM, as a capped log is kept */
    } else {
        uint32_t pop = count_of(s, 2 * k->pop * rng_double(&s->r));
        s->pop = pop < len ? pop : (uint32_t)len;
    }
}

static void set_key(types_state *s, trace_event *ev) {
    int n = snprintf(s->keyname, sizeof s->keyname, "%s%llu", s->p.key_prefix,
                     (unsigned long long)s->key);
    ev->key = s->keyname;
    ev->keylen = (uint32_t)n;
    ev->time_us = s->now_us;
}

static void set_member(types_state *s, trace_event *ev, uint32_t id) {
    int n = snprintf(s->member, sizeof s->member, "player:%u", id);
    ev->field = s->member;
    ev->fieldlen = (uint32_t)n;
}

/* The next event of the plan; 0 when it is done. */
static int emit(types_state *s, trace_event *ev) {
    key_state *k = &s->keys[s->key];
    if (s->add > 0 || s->push > 0) {
        if (s->add > 0) {
            s->add--;
            ev->op = TRACE_OP_ZADD;
            set_member(s, ev, k->n++);
            ev->score = (double)rng_below(&s->r, ZSET_SCORE_MAX);
        } else {
            s->push--;
            k->n++;
            ev->op = TRACE_OP_RPUSH;
            uint64_t size = dist_draw_bytes(&s->p.sizes, &s->r);
            ev->size = size > TRACE_SIZE_MAX ? TRACE_SIZE_MAX : size;
        }
    } else if (s->expire) {
        s->expire = 0;
        ev->op = TRACE_OP_EXPIRE;
        ev->ttl_us = k->expire_us - s->now_us;
    } else if (s->rescore > 0 || s->remove > 0) {
        ev->op = s->rescore > 0 ? TRACE_OP_ZADD : TRACE_OP_ZREM;
        *(s->rescore > 0 ? &s->rescore : &s->remove) -= 1;
        set_member(s, ev, (uint32_t)rng_below(&s->r, k->n));
        if (ev->op == TRACE_OP_ZADD) ev->score = (double)rng_below(&s->r, ZSET_SCORE_MAX);
    } else if (s->trim) {
        s->trim = 0;
        ev->op = TRACE_OP_LTRIM;
        ev->start = -(int64_t)k->cap;
        ev->stop = -1;
        if (k->n > k->cap) k->n = k->cap;
    } else if (s->pop > 0) {
        s->pop--;
        k->n--;
        ev->op = TRACE_OP_LPOP;
    } else {
        return 0;
    }
    set_key(s, ev);
    return 1;
}

static int types_next(trace_reader *r, trace_event *ev, fs_err *err) {
    (void)err;
    types_state *s = r->state;
    for (;;) {
        memset(ev, 0, sizeof *ev);
        ev->ttl_us = TRACE_TTL_NONE;
        if (s->planned && emit(s, ev)) return 1;
        if (s->planned && ++s->key == s->p.keys) {
            s->key = 0;
            s->round++;
        }
        s->planned = 0;
        if (s->round < s->p.rounds) {
            plan(s);
            s->planned = 1;
            continue;
        }
        if (s->done) return 0;
        s->done = 1;
        ev->op = TRACE_OP_TICK;
        ev->time_us = llround((phase_seconds(&s->p) + s->p.observe) * TRACE_US_PER_S);
        return 1;
    }
}

static void types_where(trace_reader *r, char *buf, size_t n) {
    types_state *s = r->state;
    snprintf(buf, n, "generator round %llu key %llu", (unsigned long long)s->round,
             (unsigned long long)s->key);
}

static void types_close(trace_reader *r) {
    types_state *s = r->state;
    emem_unmap(s->keys, s->keys_bytes);
    emem_unmap(s, sizeof *s);
}

static const trace_reader_ops types_ops = {"gen", types_next, types_where, types_close};

int trace_gen_types_open(trace_reader *r, const gen_params *p, fs_err *err) {
    memset(r, 0, sizeof *r);
    r->last_time_us = INT64_MIN;
    if (gen_params_check(p, err) != 0) return -1;
    types_state *s = emem_map(sizeof *s);
    if (s == NULL) return fs_errf(err, "cannot map generator state");
    s->p = *p;
    s->keys_bytes = (size_t)p->keys * sizeof(key_state);
    s->keys = emem_map(s->keys_bytes);
    if (s->keys == NULL) {
        emem_unmap(s, sizeof *s);
        return fs_errf(err, "cannot map the generator's %llu keys", (unsigned long long)p->keys);
    }
    rng_seed(&s->r, p->seed);
    r->ops = &types_ops;
    r->state = s;
    return 0;
}

uint64_t gen_types_events(const gen_params *p) {
    trace_reader r;
    fs_err err;
    if (trace_gen_types_open(&r, p, &err) != 0) return 0;
    trace_event ev;
    uint64_t n = 0;
    while (types_next(&r, &ev, &err) == 1) n++;
    trace_close(&r);
    return n;
}
