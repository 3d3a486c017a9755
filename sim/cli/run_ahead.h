/* run_ahead: the replay's read-ahead.  Events are read ENGINE_AHEAD_EVENTS
 * before they are applied and named to the engine then (engine_ahead), so
 * that each lookup finds its key's keyspace memory already on its way: in a
 * keyspace larger than the cache that is most of the engine's own time.
 * The events wait in a small ring, each with a copy of its bytes (a
 * reader's are valid only until its next read).  They are applied in the
 * order read, one by one, so a replay's results are those of reading and
 * applying each event in turn. */
#ifndef FRAGSIM_RUN_AHEAD_H
#define FRAGSIM_RUN_AHEAD_H

#include <stdint.h>

#include "../../traces/trace_reader.h"
#include "../engine.h"

#define RUN_AHEAD_RING 16u /* a power of two above ENGINE_AHEAD_EVENTS */

/* The ring and its bytes: engine memory, so that a replay's process holds
 * no more outside it than without the read-ahead (heap_rss is the rest). */
typedef struct run_ahead_ring {
    trace_event ev[RUN_AHEAD_RING];
    fs_err read_err;     /* the read error, reported after the events read before it */
    char bytes[];        /* RUN_AHEAD_RING copies of 2 * TRACE_KEY_MAX */
} run_ahead_ring;

typedef struct run_ahead {
    trace_reader *tr;
    engine *e;
    run_ahead_ring *ring;
    uint64_t read, used; /* events read from tr, and handed out by run_ahead_next */
    int read_rc;         /* 0 at the end of the trace or on a read error; 1 while it reads */
} run_ahead;

/* Returns 0, or -1 with err set. */
int run_ahead_init(run_ahead *ra, trace_reader *tr, engine *e, fs_err *err);
void run_ahead_free(run_ahead *ra);
/* Like trace_next: 1 with *ev the next event to apply (valid until the next
 * call), 0 at the end, -1 on the reader's error (after every event read
 * before it has been handed out). */
int run_ahead_next(run_ahead *ra, const trace_event **ev, fs_err *err);
/* "WHERE" for the event last handed out: the reader's own position when it
 * is the last one read, else the reader's position, how many events back
 * and the event's ordinal ("t.trace:1243 (12 events back: the trace's event
 * 1230)"). */
void run_ahead_where(run_ahead *ra, char *buf, size_t n);

#endif
