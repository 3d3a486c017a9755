/* trace_digest: a 64-bit FNV-1a digest of an event stream, so summary.json
 * can say which events a run replayed.  It covers what the engine sees
 * (time, op, key, size, ttl, condition), not file bytes: a preset replayed
 * directly and the same preset written to a file (text or binary) and read
 * back have the same digest. */
#ifndef FRAGSIM_TRACE_DIGEST_H
#define FRAGSIM_TRACE_DIGEST_H

#include <stdint.h>

#include "trace_event.h"

#define TRACE_DIGEST_INIT 0xcbf29ce484222325ULL

static inline uint64_t trace_digest_bytes(uint64_t h, const void *p, uint64_t n) {
    const unsigned char *b = p;
    for (uint64_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

static inline uint64_t trace_digest_event(uint64_t h, const trace_event *ev) {
    int64_t fields[4] = {ev->time_us, (int64_t)ev->op, (int64_t)ev->size, ev->ttl_us};
    uint32_t keylen = ev->key != NULL ? ev->keylen : 0;
    h = trace_digest_bytes(h, fields, sizeof fields);
    h = trace_digest_bytes(h, &keylen, sizeof keylen);
    h = trace_digest_bytes(h, ev->key, keylen);
    /* Only a condition that is there counts, so that the digests of traces
     * written before conditions existed stay what they were. */
    if (ev->cond != TRACE_COND_NONE) {
        uint8_t c = (uint8_t)ev->cond;
        h = trace_digest_bytes(h, &c, 1);
    }
    return h;
}

#endif
