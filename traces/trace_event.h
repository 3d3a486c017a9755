/* trace_event: one event of the stream every trace source produces.
 *
 * Times are virtual microseconds, integers, so that expiry order and sample
 * boundaries are exact and the same on every machine (DESIGN.md decision 6).
 * Text traces write seconds with up to six decimals. */
#ifndef FRAGSIM_TRACE_EVENT_H
#define FRAGSIM_TRACE_EVENT_H

#include <stdint.h>
#include <string.h>

typedef enum trace_op {
    TRACE_OP_SET,     /* key size [ttl]: store a value of `size` bytes     */
    TRACE_OP_DEL,     /* key: remove the key                                */
    TRACE_OP_EXPIRE,  /* key ttl: the key expires ttl seconds from now      */
    TRACE_OP_PERSIST, /* key: remove the key's expiry                       */
    TRACE_OP_GET,     /* key [size]: an access; a miss stores `size` bytes
                         with --fill-on-miss, else nothing               */
    TRACE_OP_PURGE,   /* ask the allocator to return free memory            */
    TRACE_OP_TICK,    /* advance the clock only: idle time                  */
    TRACE_OP_APPEND,  /* key size: the value grows by `size` bytes          */
    TRACE_OP_HSET,    /* key field size: the hash's field holds a value of
                         `size` bytes (a missing key becomes a hash)        */
    TRACE_OP_HDEL,    /* key field: the field goes; the last one takes the
                         key with it                                        */
    TRACE_OP_SADD,    /* key member: the set holds the member (a missing
                         key becomes a set)                                 */
    TRACE_OP_SREM,    /* key member: the member goes; the last one takes
                         the key with it                                    */
    TRACE_OP_ZADD,    /* key member score: the sorted set holds the member
                         with that score (a missing key becomes one)       */
    TRACE_OP_ZREM,    /* key member: the member goes; the last one takes
                         the key with it                                    */
    TRACE_OP_LPUSH,   /* key size: an element of `size` bytes goes in at the
                         list's head (a missing key becomes a list)        */
    TRACE_OP_RPUSH,   /* key size: the same at the tail                     */
    TRACE_OP_LPOP,    /* key: the head element goes; the last one takes the
                         key with it                                        */
    TRACE_OP_RPOP,    /* key: the same at the tail                          */
    TRACE_OP_LTRIM,   /* key start stop: only the elements start..stop stay
                         (Redis's indexes: negative from the tail); none
                         left takes the key                                 */
    TRACE_OP__COUNT
} trace_op;

#define TRACE_US_PER_S 1000000LL
/* No expiry (SET without a ttl). */
#define TRACE_TTL_NONE (-1LL)

/* When a write applies (SET, APPEND), as Redis's SET NX / XX say it:
 * memcached's add is SET NX; replace, cas, append and prepend are XX. */
typedef enum trace_cond {
    TRACE_COND_NONE, /* always                                   */
    TRACE_COND_NX,   /* only if the key does not exist           */
    TRACE_COND_XX,   /* only if the key exists                   */
    TRACE_COND__COUNT
} trace_cond;

/* Bounds the text format enforces.  Sizes: Redis's proto-max-bulk-len
 * default (512 MB).  Keys: 64 KiB is far past any real key and keeps the
 * engine's key store simple.  TTLs: 100 years. */
#define TRACE_SIZE_MAX ((uint64_t)512 << 20)
#define TRACE_KEY_MAX 65536u
#define TRACE_TTL_MAX_US (100LL * 365 * 24 * 3600 * TRACE_US_PER_S)
/* Times: 10^12 s (31,700 years) and its fraction, as the text format reads
 * them; the binary reader holds to the same, so that any trace converts. */
#define TRACE_TIME_MAX_S 1000000000000LL
#define TRACE_TIME_MAX_US (TRACE_TIME_MAX_S * TRACE_US_PER_S + TRACE_US_PER_S - 1)

typedef struct trace_event {
    int64_t time_us;  /* virtual time, microseconds, non-decreasing */
    trace_op op;
    const char *key;  /* raw key bytes (not NUL-terminated); valid until the
                         next read; NULL for PURGE and TICK */
    uint32_t keylen;
    const char *field; /* HSET, HDEL: the field's bytes; SADD, SREM, ZADD,
                          ZREM: the member's (not NUL-terminated), valid as
                          key is;
                          NULL otherwise (trace_op_has_field) */
    uint32_t fieldlen; /* <= TRACE_KEY_MAX */
    uint64_t size;    /* SET, HSET: value size in bytes; APPEND: bytes added;
                         LPUSH, RPUSH: the element's bytes;
                         GET: the value's size when the trace knows it
                         (0: unknown), what --fill-on-miss stores on a miss */
    int64_t ttl_us;   /* SET: TRACE_TTL_NONE or > 0; EXPIRE: >= 0 */
    double score;     /* ZADD: the member's score (finite or +-inf, never
                         NaN, as Redis takes it); 0 otherwise */
    int64_t start, stop; /* LTRIM: the range kept, inclusive, as LTRIM takes
                            it (negative counts from the tail); 0 otherwise */
    trace_cond cond;  /* SET, APPEND: when the write applies; else NONE */
    uint8_t shard;    /* the heap the key's blocks go to: set by the shard
                         transform under --shard arenas (trace_transform.h),
                         read by the engine only then; 0 otherwise */
} trace_event;

/* *dst = *src with its bytes (key, field) copied to buf, which holds
 * 2 * TRACE_KEY_MAX: an event that outlives its reader's next read (the
 * replay's read-ahead).  A pointer field added to trace_event is copied
 * here too. */
static inline void trace_event_copy(trace_event *dst, const trace_event *src, char *buf) {
    *dst = *src;
    if (src->key != NULL) dst->key = memcpy(buf, src->key, src->keylen);
    if (src->field != NULL) dst->field = memcpy(buf + TRACE_KEY_MAX, src->field, src->fieldlen);
}

/* "SET", "DEL", ...; NULL for an out-of-range op. */
const char *trace_op_name(trace_op op);
/* Case-insensitive lookup of an operation name; -1 when unknown. */
int trace_op_parse(const char *name, uint32_t len);
/* Does the operation name a field or member after its key (HSET, HDEL,
 * SADD, SREM, ZADD, ZREM)? */
static inline int trace_op_has_field(trace_op op) {
    return op == TRACE_OP_HSET || op == TRACE_OP_HDEL || op == TRACE_OP_SADD ||
           op == TRACE_OP_SREM || op == TRACE_OP_ZADD || op == TRACE_OP_ZREM;
}
/* Does the operation name a member (SADD, SREM, ZADD, ZREM), not a field? */
static inline int trace_op_has_member(trace_op op) {
    return op == TRACE_OP_SADD || op == TRACE_OP_SREM || op == TRACE_OP_ZADD ||
           op == TRACE_OP_ZREM;
}
/* A score as Redis's d2string writes it ("inf", "-0", an integer's digits
 * when the double is one, else %.17g, which reads back exactly) into buf of
 * TRACE_SCORE_BUF bytes.  Returns its length. */
#define TRACE_SCORE_BUF 32
int trace_score_format(char *buf, double score);
/* Parses a score as Redis's ZADD does (strtod of the whole string; "inf",
 * "+inf", "-inf"; NaN refused).  Returns 0 with *out set, or -1. */
int trace_score_parse(const char *s, uint32_t len, double *out);
/* "", "NX", "XX"; NULL for an out-of-range condition. */
const char *trace_cond_name(trace_cond c);

#endif
