#include "run_ahead.h"

#include <stdio.h>
#include <string.h>

#include "../base/emem.h"

#define RUN_AHEAD_BYTES (2 * (size_t)TRACE_KEY_MAX)
#define RUN_AHEAD_MAP (sizeof(run_ahead_ring) + RUN_AHEAD_RING * RUN_AHEAD_BYTES)

_Static_assert(RUN_AHEAD_RING > ENGINE_AHEAD_EVENTS, "the ring holds every event ahead");
_Static_assert((RUN_AHEAD_RING & (RUN_AHEAD_RING - 1)) == 0, "a power of two");

int run_ahead_init(run_ahead *ra, trace_reader *tr, engine *e, fs_err *err) {
    memset(ra, 0, sizeof *ra);
    ra->tr = tr;
    ra->e = e;
    ra->read_rc = 1;
    ra->ring = emem_map(RUN_AHEAD_MAP);
    if (ra->ring == NULL) return fs_errf(err, "cannot map the replay's read-ahead");
    return 0;
}

void run_ahead_free(run_ahead *ra) {
    emem_unmap(ra->ring, RUN_AHEAD_MAP);
    ra->ring = NULL;
}

int run_ahead_next(run_ahead *ra, const trace_event **ev, fs_err *err) {
    /* Keep ENGINE_AHEAD_EVENTS read beyond the one handed out. */
    while (ra->read_rc == 1 && ra->read - ra->used <= ENGINE_AHEAD_EVENTS) {
        trace_event in;
        int rc = trace_next(ra->tr, &in, &ra->ring->read_err);
        if (rc != 1) {
            ra->read_rc = rc;
            break;
        }
        uint32_t i = (uint32_t)(ra->read % RUN_AHEAD_RING);
        trace_event_copy(&ra->ring->ev[i], &in, ra->ring->bytes + i * RUN_AHEAD_BYTES);
        engine_ahead(ra->e, &ra->ring->ev[i]);
        ra->read++;
    }
    if (ra->used < ra->read) {
        *ev = &ra->ring->ev[ra->used++ % RUN_AHEAD_RING];
        return 1;
    }
    if (ra->read_rc < 0) {
        *err = ra->ring->read_err;
        return -1;
    }
    return 0;
}

void run_ahead_where(run_ahead *ra, char *buf, size_t n) {
    char at[600];
    ra->tr->ops->where(ra->tr, at, sizeof at);
    uint64_t behind = ra->read - ra->used;
    if (behind == 0) snprintf(buf, n, "%s", at);
    else
        snprintf(buf, n, "%s (%llu events back: the trace's event %llu)", at,
                 (unsigned long long)behind, (unsigned long long)ra->used);
}
