/* run: one replay from trace to results directory, in this process, on the
 * backend compiled into it. */
#ifndef FRAGSIM_RUN_H
#define FRAGSIM_RUN_H

#include "../../analysis/results.h"
#include "../../traces/trace_gen.h"
#include "../../traces/trace_transform.h"
#include "../engine.h"
#include "../objmodel.h"
#include "../redis_conf.h"
#include "../redis_version.h"

#define RUN_MAX_PAGE_MAPS 32

/* Which clock the allocator reads (DESIGN.md decision 4, base/vclock.h).
 * virtual: the engine's virtual time, as fast as the engine goes, decay
 * exact and the run deterministic.  wall: the real clock, the replay paced
 * to `speed` and the allocator's time-based settings divided by it (for an
 * allocator that reads time another way, and to check one against the
 * other). */
typedef enum run_clock { RUN_CLOCK_VIRTUAL, RUN_CLOCK_WALL } run_clock;

/* "virtual" or "wall". */
const char *run_clock_name(run_clock c);

typedef struct run_config {
    const char *trace_path; /* a trace file, "-" for stdin; NULL: the generator */
    const char *format;     /* NULL or "auto": detect */
    gen_params gen;         /* used when trace_path is NULL */
    const char *preset;     /* its name, for the record ("" if none) */
    const char *out_dir;    /* the results directory */
    int force;              /* out_dir may replace any earlier results (--force) */
    const char *allocator;  /* as the user named it ("jemalloc", "preload:/x.so") */
    const char *allocator_options; /* the option string applied, or NULL */
    const char *redis_config_path; /* --config FILE, or NULL */
    const redis_conf *redis;       /* its settings (Redis's defaults without one) */
    double sample_interval; /* virtual seconds */
    run_clock clock;        /* RUN_CLOCK_VIRTUAL (0) or RUN_CLOCK_WALL */
    double speed;           /* wall clock only: virtual seconds per wall second; 0: as
                               fast as possible */
    double observe;         /* virtual seconds the clock runs on after the last event */
    int allocator_tick_events; /* the cron does not tick the allocator's decay */
    int background_thread;  /* -1: as the allocator's options say; 0/1: switched off/on
                               (redis.conf's jemalloc-bg-thread) */
    double hz;              /* cron ticks per virtual second; 0: none */
    double purge_every;     /* virtual seconds between purges; 0: none */
    int progress;           /* progress lines on stderr */
    int print_info;         /* the INFO block on stdout at the end */
    int fill_on_miss;       /* a GET miss of known size stores it (engine.h) */
    om_kind object_model;   /* what each key allocates (objmodel.h) */
    engine_expiry expiry;   /* when keys past their TTL go (engine.h) */
    uint32_t expire_key_ns; /* redis expiry: CPU per key checked; 0: the default */
    uint32_t expire_hash_seed; /* redis expiry: the expires dict's bucket order */
    double page_map_at[RUN_MAX_PAGE_MAPS]; /* virtual seconds, ascending: a page
                                   map (and size classes) at each (snapshot.h) */
    size_t npage_map_at;
    const transform_spec *transform; /* remedies applied as the events pass, or NULL */
    double activedefrag_at; /* virtual seconds from which redis->activedefrag is on */
    defrag_hint_kind defrag_hint; /* active defrag's move decision (defrag.h) */
    redis_version redis_version; /* whose INFO formulas (redis_version.h); 0: 7.0 */
} run_config;

/* The line a run stopped by the exhaustion of the allocator under test
 * prints on stderr (it exits 0: the series up to that point is its
 * result).  A parent running it as a child reads it to say "oom". */
#define RUN_STOPPED_PREFIX "fragsim run: stopped: "

/* Replays and writes the results directory.  On error nothing is left on
 * disk.  Returns 0 (summary filled, if not NULL) or -1 with err set. */
int run_execute(const run_config *cfg, const backend_ops *be, run_summary *summary, fs_err *err);

#endif
