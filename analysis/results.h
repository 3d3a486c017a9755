/* results: what a run leaves behind, and the writers that put it on disk.
 *
 * A results directory holds series.csv (one row per sample), summary.json
 * (configuration, trace digest, peak and final figures), summary.csv (the
 * figures as one spreadsheet row) and info.txt (the INFO-memory-style block
 * also printed at the end).  Each file is one
 * result_writer; run.c drives them all through the same three calls, so a
 * new output is one writer file and one row in its table.
 *
 * The directory appears only when the run succeeds: writers work in a
 * hidden sibling directory that is renamed into place at the end, and is
 * removed on any error, so a failed run never leaves half a result. */
#ifndef FRAGSIM_RESULTS_H
#define FRAGSIM_RESULTS_H

#include "../sim/engine.h"
#include "../sim/sample.h"
#include "../sim/shards.h"
#include "../traces/trace_gen.h"
#include "../traces/trace_transform.h"
#include "emit.h"

#define RUN_MAX_SETTINGS 32

typedef struct run_setting {
    char name[48];
    char value[208];
} run_setting;

typedef struct run_summary {
    /* configuration */
    char allocator[1024];   /* as named: "jemalloc", "preload:/usr/lib/x.so" */
    char allocator_options[512]; /* the option string applied ("" if none) */
    char allocator_version[64];
    run_setting settings[RUN_MAX_SETTINGS]; /* the allocator's, as it reports them */
    unsigned nsettings;
    char redis_config[512];  /* the --config file ("" if none) */
    run_setting redis_settings[RUN_MAX_SETTINGS]; /* redis.conf's, as in force */
    unsigned nredis_settings;
    char trace_source[512]; /* a path, "<stdin>" or "preset:NAME" */
    /* A trace imported from MONITOR says at its end what part of the
     * capture it replays ("7 of 10 commands replayed (70.00%), 3 not
     * translated") and which commands it left out ("SADD 2, LPUSH 1");
     * "" otherwise. */
    char import_replayed[160];
    char import_untranslated[512];
    char trace_format[16];
    int has_gen;            /* the trace came from the generator: gen is set */
    gen_params gen;
    char preset[32];
    double sample_interval; /* virtual seconds */
    const char *clock;      /* "virtual" or "wall" (sim/run.h) */
    double speed;           /* wall clock: 0: max (not paced); virtual clock: 0 */
    double observe;         /* virtual seconds run on after the last event */
    int allocator_tick_events; /* the cron did not tick the allocator's decay */
    int aslr_off;           /* the process ran without address space randomisation */
    int background_threads; /* the allocator's purging threads running */
    uint64_t allocator_thread_wakeups; /* their wake-ups on the virtual clock */
    double hz;
    double purge_every;
    int fill_on_miss;       /* GET misses of known size were filled */
    char object_model[8];   /* "raw" or "redis" (sim/objmodel.h) */
    redis_version redis_version; /* whose INFO formulas (sim/redis_version.h) */
    redis_startup startup;  /* the empty server whose start-up memory INFO counts */
    uint64_t db_hashtable_rehashing; /* at the last sample: om_rehashing_bytes */
    char expiry[24];        /* "exact", "redis" or "redis:US" (sim/engine.h) */
    int activedefrag;       /* active defrag was on (sim/defrag.h) */
    double activedefrag_at; /* from this virtual second */
    char stopped[1024];     /* why the replay stopped before the trace's end, "" when
                               it ran to the end: the allocator ran out of memory
                               (that point is the result) */
    char defrag_rule[32];   /* the move decision used: "jemalloc-utilization",
                               "generic", "always" */
    defrag_stats defrag;    /* its statistics at the end */
    uint64_t data_checksum; /* over the live keys and their bytes at the end
                               (defrag_checksum): defrag must not change it */
    /* The remedies in force (its stats counted during the replay), or NULL;
     * the run's, which outlives the summary's writing. */
    const transform_spec *transform;
    /* the trace as replayed */
    uint64_t trace_digest;  /* FNV-1a over every event (trace_digest.h) */
    double trace_duration;  /* virtual seconds from first to last event */
    engine_counters counters;
    engine_encodings encodings; /* the hash and set keys at the end, by encoding */
    /* measurements */
    uint64_t samples;
    sample_row peak;        /* each column's maximum over the samples */
    sample_row final;       /* the last sample */
    sample_row mean;        /* each column's mean over the samples */
    uint64_t baseline_rss;  /* process RSS before the replay, less engine memory */
    double wall_time;       /* seconds for the whole replay */
    double cpu_time;        /* CPU seconds (user + system) of the run's process */
    double pace_max_behind; /* virtual seconds the replay fell behind its pace, at most */
    double pace_behind_share; /* share of pace checks at which it was behind */
    double events_per_second;
    /* Shards sharing this process (--shard arenas), each in a heap of its
     * own: how many (0: none), what a heap is ("arena"), and each one's
     * figures (sim/shards.h). */
    int nshards;
    char heap_kind[16];
    shard_summary shards[ENGINE_MAX_HEAPS];
} run_summary;

typedef struct result_writer_ops {
    const char *file; /* the file it writes in the results directory */
    /* Creates the file in dir.  Returns 0 or -1. */
    int (*open)(void **state, const char *dir, fs_err *err);
    int (*sample)(void *state, const sample_row *row, fs_err *err);
    /* Finishes the file (summary NULL: abandon it, nothing is reported). */
    int (*close)(void *state, const run_summary *summary, fs_err *err);
} result_writer_ops;

#define RESULT_WRITER(ops) extern const result_writer_ops ops;
#include "result_writers.h"
#undef RESULT_WRITER

/* Writers of a file written whole when the run ends (the summary only
 * exists then): open names the file and how to render it; the sample and
 * close calls are the writer's ops. */
typedef void (*results_render_fn)(outbuf *ob, const run_summary *s);
int results_whole_open(void **state, const char *dir, const char *file, results_render_fn render,
                       fs_err *err);
int results_whole_sample(void *state, const sample_row *row, fs_err *err);
int results_whole_close(void *state, const run_summary *summary, fs_err *err);

/* CSV pieces shared by the writers: a text field (quoted when it must be),
 * a sample column's value (empty when NAN), summary.csv's header and row. */
void results_csv_field(outbuf *ob, const char *s);
void results_csv_value(outbuf *ob, const sample_column *c, double v);
void results_summary_csv_header(outbuf *ob);
void results_summary_csv_row(outbuf *ob, const run_summary *s);

/* The summary in either style (JSON document or INFO block). */
void results_summary_emit(emitter *em, const run_summary *s);
/* info.txt's "# Memory" section: the end of the trace as the run's Redis
 * version prints INFO memory (results_info_memory.c). */
void results_info_memory_emit(emitter *em, const run_summary *s);
/* Its sampling section (results_sampling.c): nothing unless the run
 * sampled keys (--sample-keys below 1). */
void results_sampling_emit(emitter *em, const run_summary *s);

/* ---- the results directory ---- */
typedef struct results_dir {
    char path[1024];    /* where the results go */
    char partial[1100]; /* where they are written meanwhile */
    int slot;           /* the partial directory in the cleanup registry */
} results_dir;

/* What a results directory holds: which command wrote it. */
typedef enum results_kind { RESULTS_RUN, RESULTS_COMPARE, RESULTS_SWEEP, RESULTS_WHATIF } results_kind;
/* "run", "compare", "sweep", "whatif". */
const char *results_kind_name(results_kind k);

/* Checks that path can take the results of command `kind` and creates the
 * hidden partial directory.  path may be absent or empty, or hold one
 * earlier result of the same command; anything else fragsim wrote (another
 * command's result, loose runs) only with force, and files fragsim did not
 * write never.  Returns 0 or -1 (the message says what is
 * there). */
int results_dir_begin(results_dir *rd, const char *path, results_kind kind, int force,
                      fs_err *err);
/* Moves the partial directory into place.  Returns 0 or -1. */
int results_dir_commit(results_dir *rd, fs_err *err);
/* Removes the partial directory and everything in it. */
void results_dir_abort(results_dir *rd);

#endif
