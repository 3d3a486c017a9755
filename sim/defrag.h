/* defrag: Redis 7's active defragmentation, on the virtual clock.
 *
 * What Redis's activeDefragCycle does, step for step (REFERENCE.md, "Redis
 * active defrag"), with the allocator under test doing the real moves:
 *
 *  - the start rule, once a virtual second while no pass runs: allocator
 *    fragmentation frag_pct = active / allocated * 100 - 100 at least
 *    active-defrag-threshold-lower, and active - allocated at least
 *    active-defrag-ignore-bytes;
 *  - the effort, cycle-min at threshold-lower to cycle-max at
 *    threshold-upper (interpolated, clamped), re-evaluated once a second and
 *    only ever raised during a pass;
 *  - the duty cycle: on each cron tick (hz a virtual second) the pass gets
 *    effort% of the tick's length, 1e6 * effort / hz / 100 us, in *thread CPU
 *    time actually spent* (CLOCK_THREAD_CPUTIME_ID), checked every 16 keys as
 *    Redis checks its clock, so the cost charged is measured, not assumed;
 *  - an incremental, resumable scan of the keyspace (its slot array, the
 *    cursor kept between ticks); for each key each of its blocks is offered
 *    to the move decision: a hit is moved, a miss is left; a key with a
 *    move is a key hit;
 *  - the move: allocate the block's usable size past the thread cache,
 *    copy, free the old block past the thread cache, re-point the key;
 *  - a pass ends after a full scan; the start rule is then evaluated at once
 *    and a new pass may start in the same tick.
 *
 * The move decision (--defrag-hint): auto uses the allocator's own rule when
 * it has one (jemalloc: Redis's slab-utilisation rule from
 * experimental.utilization and the bin statistics, allocators/
 * backend_jemalloc.c) and the generic rule otherwise; generic forces the
 * generic rule; always moves every block (the upper bound of both benefit
 * and cost).
 *
 * The generic rule, for allocators Redis cannot defrag: from the engine's
 * own knowledge of where every live block is.  The heap is cut into aligned
 * regions of the allocator's slab or page size (backend_ops.defrag_region);
 * each pass is two scans under the same duty cycle: a census that counts,
 * per (region, usable size), the live blocks, and per usable size the
 * blocks and the regions holding them; then the moves.
 * A block is moved when its region holds at most 12.5% more blocks of its
 * size than the average region holding that size (the jemalloc rule's
 * threshold), when its size has at least two regions, and when its region
 * is not full (region / size blocks).  Blocks above an eighth of a region
 * are never moved (the large allocations of the jemalloc rule).  Defrag's
 * own moves keep the census current; writes and deletes of the trace during
 * a pass are not in it until the next pass (a block born since is left).  Where the moved block lands is
 * the allocator's choice, as it is for Redis: the rule picks what to move,
 * not where it goes.
 *
 * What is not modelled: the main and expires hash tables (Redis does not
 * move them either), defrag of lazy-free or Lua structures, and
 * max-scan-fields (a string key is one field; the setting is recorded). */
#ifndef FRAGSIM_DEFRAG_H
#define FRAGSIM_DEFRAG_H

#include <stddef.h>
#include <stdint.h>

#include "../allocators/backend.h"
#include "base/fs_err.h"

typedef enum defrag_hint_kind {
    DEFRAG_HINT_AUTO,    /* the allocator's rule, else the generic one */
    DEFRAG_HINT_GENERIC, /* the engine's census rule, on every allocator */
    DEFRAG_HINT_ALWAYS,  /* every block */
} defrag_hint_kind;

/* "auto", "generic" or "always". */
const char *defrag_hint_name(defrag_hint_kind k);
/* Returns 0, or -1 with err listing the names. */
int defrag_hint_parse(const char *name, defrag_hint_kind *k, fs_err *err);

/* Redis's settings, by their redis.conf names. */
typedef struct defrag_config {
    int enabled;               /* activedefrag */
    int64_t enable_at_us;      /* virtual us after the first event from which
                                  activedefrag is on (CONFIG SET at that time) */
    uint64_t ignore_bytes;     /* active-defrag-ignore-bytes */
    int threshold_lower;       /* active-defrag-threshold-lower, percent */
    int threshold_upper;       /* active-defrag-threshold-upper, percent */
    int cycle_min, cycle_max;  /* active-defrag-cycle-min / -max, percent of CPU */
    uint64_t max_scan_fields;  /* active-defrag-max-scan-fields (recorded) */
    defrag_hint_kind hint;
} defrag_config;

typedef struct defrag_stats {
    int running;              /* active_defrag_running: the effort (% CPU) of the
                                 pass under way, 0 when none runs */
    uint64_t hits;            /* blocks moved (active_defrag_hits) */
    uint64_t misses;          /* blocks offered and left (active_defrag_misses) */
    uint64_t key_hits;        /* keys with a block moved */
    uint64_t key_misses;      /* keys scanned with none moved */
    uint64_t bytes_moved;     /* usable bytes of the blocks moved */
    uint64_t passes;          /* passes started */
    uint64_t passes_done;     /* full scans completed */
    uint64_t cpu_ns;          /* thread CPU time in defrag: start rule, census,
                                 scan and moves */
    double frag_at_first_start; /* allocator frag ratio (active / allocated, as
                                   the start rule reads it) when the first pass
                                   started; NAN: none started */
    double frag_at_last_end;  /* the same when the last pass ended; NAN: none ended */
    double first_start_s;     /* virtual seconds of those two moments; NAN: none */
    double last_end_s;
} defrag_stats;

typedef struct df_cell df_cell;
typedef struct df_class df_class;

typedef struct defrag {
    defrag_config cfg;
    defrag_stats st;
    int64_t next_rule_us;     /* the next start-rule evaluation (absolute virtual us) */
    uint32_t cursor;          /* the pass's next slot */
    int in_pass;
    int census_phase;         /* the generic rule's pass: counting, before moving */
    int generic;              /* the generic rule decides */
    unsigned region_shift;    /* log2 of the generic rule's region */
    df_cell *cells;           /* the census: (region, usable) -> live blocks */
    uint64_t cells_cap, cells_used;
    df_class *classes;        /* usable size -> blocks, regions */
    uint32_t nclasses;
} defrag;

struct engine;

/* Sets the model up for the engine's backend (nothing is allocated). */
void defrag_init(defrag *d, const defrag_config *cfg, const backend_ops *be);
void defrag_destroy(defrag *d);

/* The cron's share, on every tick: the start rule when due, then a slice
 * of the pass within the duty cycle.  Returns 0, or -1 with err set when
 * engine memory runs out. */
int defrag_cron(struct engine *e, fs_err *err);

/* FNV-1a over every live key's bytes and the bytes of each of its blocks,
 * in slot order: the same before and after any defrag pass. */
uint64_t defrag_checksum(struct engine *e);

#endif
