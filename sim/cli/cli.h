/* cli: the `fragsim` command line.  Each subcommand is one line of
 * commands.h; the options shared by several commands are tables here
 * (CLI_*_LONGOPTS with their HELP text and a cli_*_opt() that takes them). */
#ifndef FRAGSIM_CLI_H
#define FRAGSIM_CLI_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "../../traces/trace_gen.h"
#include "../../traces/trace_transform.h"

/* Exit codes: 0 success, 1 the run failed (bad trace, I/O), 2 bad usage. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

int cli_main(int argc, char **argv);
/* The whole command line as main() got it (for a worker's re-exec). */
extern char **cli_argv;

/* The commands (commands.h, one line each). */
#define CLI_COMMAND(name, fn, help) int fn(int argc, char **argv);
#include "commands.h"
#undef CLI_COMMAND
/* `run` in the worker, where the allocator is this process's. */
int cli_run(int argc, char **argv);

/* --page-map-at T1,T2,...: virtual seconds, sorted and without repeats
 * into at[] (at most max).  Returns the count, or -1 with err set. */
int cli_page_map_times(const char *spec, double *at, size_t max, fs_err *err);

/* getopt_long values of the long options; the generator's are shared. */
enum {
    OPT_PRESET = 1000, OPT_SEED, OPT_KEYS, OPT_RATE, OPT_INSERT_SECONDS, OPT_SIZES, OPT_TTL,
    OPT_OBSERVE, OPT_KEY_PREFIX, OPT_ALLOCATOR, OPT_FORMAT, OPT_SAMPLE_INTERVAL, OPT_PROGRESS,
    OPT_NO_PROGRESS, OPT_ALLOCATOR_OPTIONS, OPT_ALLOCATORS, OPT_JOBS, OPT_SPEED, OPT_HZ, OPT_CLOCK, OPT_ALLOCATOR_TICK,
    OPT_PURGE_EVERY, OPT_GRID, OPT_EMIT_JOBS, OPT_COLLECT, OPT_FILL_ON_MISS, OPT_CONFIG,
    OPT_PAGE_MAP_AT, OPT_PAD, OPT_COMPRESS, OPT_SHARD_BY_SIZE, OPT_SHARD_BY_TTL, OPT_SHARD,
    OPT_UNIFORM_TTL, OPT_REMEDIES, OPT_MAXMEMORY, OPT_SAFETY_MARGIN, OPT_OBJECT_MODEL,
    OPT_EXPIRY, OPT_MAXMEMORY_POLICY, OPT_MAXMEMORY_SAMPLES, OPT_ACTIVEDEFRAG,
    OPT_DEFRAG_IGNORE_BYTES, OPT_DEFRAG_THRESHOLD_LOWER, OPT_DEFRAG_THRESHOLD_UPPER,
    OPT_DEFRAG_CYCLE_MIN, OPT_DEFRAG_CYCLE_MAX, OPT_DEFRAG_MAX_SCAN_FIELDS, OPT_ACTIVEDEFRAG_FROM,
    OPT_DEFRAG_HINT,
    OPT_COMPRESS_SAMPLE, OPT_COMPRESS_LEVEL, OPT_FORCE, OPT_COLUMNS, OPT_SAMPLE_KEYS, OPT_SAMPLE_SEED,
    OPT_REDIS_VERSION, OPT_HASH_PACK,
};

/* The options that end every replaying command's table (run, compare,
 * sweep, whatif): where results go, progress, quiet, help; and the end. */
#define CLI_OUTPUT_LONGOPTS \
    {"output", required_argument, 0, 'o'}, {"force", no_argument, 0, OPT_FORCE}, \
    {"progress", no_argument, 0, OPT_PROGRESS}, \
    {"no-progress", no_argument, 0, OPT_NO_PROGRESS}, {"quiet", no_argument, 0, 'q'}, \
    {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}

/* The time options, shared by run, compare, sweep and whatif. */
#define CLI_DEFAULT_SPEED 50.0
#define CLI_TIME_LONGOPTS \
    {"clock", required_argument, 0, OPT_CLOCK}, {"speed", required_argument, 0, OPT_SPEED}, \
    {"hz", required_argument, 0, OPT_HZ}, {"purge-every", required_argument, 0, OPT_PURGE_EVERY}, \
    {"allocator-tick", required_argument, 0, OPT_ALLOCATOR_TICK}
#define CLI_TIME_HELP \
    "  --clock virtual|wall  the clock the allocator reads (default virtual): the\n" \
    "                        engine's virtual time, so decay is exact at whatever\n" \
    "                        speed the replay goes and the run is deterministic;\n" \
    "                        wall: the real clock, the replay paced by --speed\n" \
    "  --speed S             with --clock wall (implied): virtual seconds per wall\n" \
    "                        second (default 50); the allocator's decay times are\n" \
    "                        divided by S; max: unpaced, decay not scaled (not honest)\n" \
    "  --hz N                cron ticks per virtual second, as Redis's hz (default 10)\n" \
    "  --allocator-tick cron|events  what ticks the allocator's decay (default cron):\n" \
    "                        cron: every cron tick, as a server's cron allocations\n" \
    "                        would; events: only the replay's own allocations (an\n" \
    "                        idle replay then never purges without a background thread)\n" \
    "  --purge-every S       MEMORY PURGE every S virtual seconds (default: never)\n"

typedef struct cli_time_opts {
    const char *clock, *speed, *hz, *purge_every, *allocator_tick;
} cli_time_opts;

/* The time settings the options give, with their defaults. */
typedef struct cli_time {
    int wall_clock;     /* --clock wall (or --speed): the real clock, paced */
    double speed;       /* wall clock: virtual s per wall s; 0: max */
    double hz;
    double purge_every;
    int tick_events;    /* --allocator-tick events */
} cli_time;

/* Takes a time option; returns 1 if opt was one. */
int cli_time_opt(cli_time_opts *t, int opt, const char *arg);
/* The settings from the options, with defaults.  Returns 0 or -1. */
int cli_time_params(const cli_time_opts *t, cli_time *out, fs_err *err);

/* An option as given, to pass on to a child `fragsim run`: "--name" and
 * its value (CLI_FLAG for an option that takes none). */
typedef struct cli_pair {
    const char *flag, *value;
} cli_pair;
extern const char CLI_FLAG[];
#define CLI_MAX_PAIRS 32
/* Appends the options given (value not NULL) to p at *n. */
void cli_time_pairs(const cli_time_opts *t, cli_pair *p, int *n);
/* Appends pairs as "--name value" (or "--name") to argv at *m. */
void cli_pairs_argv(const cli_pair *p, int n, const char **argv, int *m);

/* The options of one replay that run, compare, sweep and whatif share (one
 * table, parsed in cli_replay.c): the allocator's options, the redis.conf,
 * the trace's format and fill-on-miss, sampling, page maps, the time, where
 * results go, progress and quiet.  compare, sweep and whatif pass them on
 * to every child `fragsim run` they start. */
#define CLI_MAX_ALLOCATOR_OPTIONS 32
#define CLI_REPLAY_LONGOPTS \
    {"allocator-options", required_argument, 0, OPT_ALLOCATOR_OPTIONS}, \
    {"config", required_argument, 0, OPT_CONFIG}, {"format", required_argument, 0, OPT_FORMAT}, \
    {"fill-on-miss", no_argument, 0, OPT_FILL_ON_MISS}, \
    {"sample-interval", required_argument, 0, OPT_SAMPLE_INTERVAL}, \
    {"page-map-at", required_argument, 0, OPT_PAGE_MAP_AT}, \
    {"sample-keys", required_argument, 0, OPT_SAMPLE_KEYS}, \
    {"sample-seed", required_argument, 0, OPT_SAMPLE_SEED}, \
    {"redis-version", required_argument, 0, OPT_REDIS_VERSION}, CLI_TIME_LONGOPTS, CLI_OUTPUT_LONGOPTS
/* Their help, less the allocator's options and -o, -q (which say what
 * each command writes). */
#define CLI_REPLAY_HELP \
    "  --config FILE         a redis.conf: checked as Redis checks it and recorded in\n" \
    "                        summary.json; its hz drives the cron tick, its\n" \
    "                        maxmemory evicts, its activedefrag defragments\n" \
    "  --format NAME         trace format (default: detected; fragsim trace --help\n" \
    "                        lists them); .zst read as is\n" \
    "  --fill-on-miss        a GET miss whose size the trace knows stores a value\n" \
    "                        of that size (look-aside caching; traces/FORMAT.md)\n" \
    "  --sample-interval S   virtual seconds between samples (default 10)\n" \
    "  --page-map-at T,...   at these virtual seconds, write pagemap-T.csv (the\n" \
    "                        heap's pages and the live bytes in each) and, for\n" \
    "                        jemalloc, bins-T.csv (size classes); fragsim report\n" \
    "                        draws them\n" \
    "  --sample-keys R       replay only the keys whose hash falls under R\n" \
    "                        (0 < R <= 1), every event of each (spatial sampling);\n" \
    "                        summary.json's sampling section scales byte figures\n" \
    "                        by 1/R (*_est), ratios as measured\n" \
    "  --sample-seed N       the hash's seed (default: --seed, else 0)\n" \
    "  --redis-version V     7.0 (default), 7.2 or 7.4: INFO's formulas of that Redis\n" \
    "                        (7.4: allocator_frag from jemalloc's small bins)\n" \
    CLI_TIME_HELP \
    "  --force               -o may replace another command's results (a run over a\n" \
    "                        comparison); without it, -o replaces only an earlier\n" \
    "                        result of the same command\n" \
    "  --progress, --no-progress  progress on stderr (default: when a terminal)\n"
/* --jobs, for the commands that start children (compare, sweep, whatif). */
#define CLI_JOBS_LONGOPT {"jobs", required_argument, 0, OPT_JOBS}

typedef struct cli_replay_opts {
    const char *allocator;  /* --allocator (run, sweep, whatif) */
    const char *allocators; /* --allocators (compare) */
    const char *allocator_options[CLI_MAX_ALLOCATOR_OPTIONS];
    int nallocator_options, allocator_options_dropped; /* beyond the maximum */
    const char *config, *format, *sample_interval, *page_map_at, *out, *jobs;
    const char *sample_keys, *sample_seed; /* --sample-keys R, --sample-seed N */
    const char *redis_version;             /* --redis-version V */
    int fill_on_miss, progress, quiet;
    int force; /* --force: -o may replace any earlier results directory */
    cli_time_opts time;
} cli_replay_opts;

/* The defaults: progress when standard error is a terminal. */
void cli_replay_init(cli_replay_opts *r);
/* Takes a replay option (getopt value opt); returns 1 if it was one. */
int cli_replay_opt(cli_replay_opts *r, int opt, const char *arg);
/* Checks what the parse could not: at most max_options --allocator-options
 * (each NAME=SPEC when named), --jobs from 1 to max_jobs (into *jobs, 1
 * when not given) and the --page-map-at times (into at[], their count into
 * *nat; either may be NULL).  Returns -1 when all is well, else the exit
 * code after printing the error. */
int cli_replay_check(const char *cmd, const cli_replay_opts *r, int max_options, int named,
                     uint64_t max_jobs, uint64_t *jobs, double *at, size_t *nat);
/* Sets s's key sampling from --sample-keys and --sample-seed (when not
 * given, gen_seed, the run's --seed, picks the hash).  Returns 0 or -1. */
int cli_replay_sampling(const cli_replay_opts *r, uint64_t gen_seed, transform_spec *s,
                        fs_err *err);
/* Appends the options a child `fragsim run` gets as given: config,
 * format, fill-on-miss, sample-interval, page-map-at, sample-keys,
 * sample-seed and the time's. */
void cli_replay_pairs(const cli_replay_opts *r, cli_pair *p, int *n);
void cli_replay_argv(const cli_replay_opts *r, const char **argv, int *m);

/* The remedies (traces/trace_transform.h), shared by run and compare;
 * sweep takes them as grid keys. */
#define CLI_REMEDY_LONGOPTS \
    {"pad", required_argument, 0, OPT_PAD}, {"compress", required_argument, 0, OPT_COMPRESS}, \
    {"shard-by-size", required_argument, 0, OPT_SHARD_BY_SIZE}, \
    {"shard-by-ttl", required_argument, 0, OPT_SHARD_BY_TTL}, \
    {"shard", required_argument, 0, OPT_SHARD}, \
    {"uniform-ttl", required_argument, 0, OPT_UNIFORM_TTL}, \
    {"compress-sample", required_argument, 0, OPT_COMPRESS_SAMPLE}, \
    {"compress-level", required_argument, 0, OPT_COMPRESS_LEVEL}, \
    {"hash-pack", required_argument, 0, OPT_HASH_PACK}
#define CLI_REMEDY_HELP \
    "remedies, applied as the events pass (the trace itself is never rewritten):\n" \
    "  --pad pow2|N          round every value size up to a power of two or a multiple of N\n" \
    "  --compress R[:MIN]    values of at least MIN bytes (default 0) shrink to R of\n" \
    "                        their size, rounded up\n" \
    "  --compress-sample FILE  compress FILE (one typical value, up to 64 MiB) with zstd,\n" \
    "                        and use its ratio (at most 1) for values of at least 1 KiB\n" \
    "                        (--compress sample:MIN for another MIN); the CPU it took per\n" \
    "                        byte is charged for the bytes compressed (compress_cpu_seconds)\n" \
    "  --compress-level N    zstd's level for --compress-sample (default 3)\n" \
    "  --shard-by-size B,... size classes (bytes) of separate heaps; with\n" \
    "  --shard-by-ttl S,...  TTL classes (seconds; no TTL: the last class)\n" \
    "  --shard K/N           replay only shard K of N (one instance): a key belongs to\n" \
    "                        the class of its first write, for good\n" \
    "  --shard arenas        replay every shard in this process, each in an allocator\n" \
    "                        arena of its own (jemalloc's arenas.create); writes\n" \
    "                        shards.csv, each shard's figures by sample\n" \
    "  --uniform-ttl SEP[:STAT]  keys sharing the prefix before SEP get one TTL: the\n" \
    "                        first seen for that prefix (STAT first, the default), or\n" \
    "                        min, max, mean or median of its SETs' TTLs (no TTL counts\n" \
    "                        as the longest; left out of the mean), found by reading\n" \
    "                        the trace once before the replay (not from stdin)\n" \
    "  --hash-pack N[:ttl=bucket]  string keys become fields of hashes of at most N\n" \
    "                        fields (100 if N is left out): key:1234 is field 34 of hash\n" \
    "                        key:12 at N 100 (a key without a trailing number: a field of\n" \
    "                        hashpack:SEQ/N, by first appearance); needs --object-model\n" \
    "                        redis.  Redis 7.0 has no TTL per field: a TTL in the trace is\n" \
    "                        refused, or with ttl=bucket each hash keeps the longest TTL\n" \
    "                        of its fields\n"

typedef struct cli_remedy_opts {
    const char *pad, *compress, *shard_by_size, *shard_by_ttl, *shard, *uniform_ttl;
    const char *compress_sample, *compress_level;
    const char *hash_pack;
    const char *activedefrag; /* whatif's activedefrag remedy: --activedefrag VALUE */
} cli_remedy_opts;

/* Takes a remedy option; returns 1 if opt was one. */
int cli_remedy_opt(cli_remedy_opts *o, int opt, const char *arg);
/* The transform the options describe.  Returns 0 or -1. */
int cli_remedy_spec(const cli_remedy_opts *o, transform_spec *s, fs_err *err);
/* What the spec needs before a replay: the zstd measurement of
 * --compress-sample, the pre-pass of a uniform-TTL statistic over a second
 * reading of the trace (trace_path with format, or the generator's gen
 * when trace_path is NULL).  s->stats, when set, gets the CPU it took.
 * Returns 0, -1 (it failed), or -2 (a usage error: a statistic asked of
 * standard input, which cannot be read twice). */
int cli_remedy_prepare(transform_spec *s, const char *trace_path, const char *format,
                       const gen_params *gen, fs_err *err);
/* Appends the options as given to argv at *m (for a child `fragsim run`). */
void cli_remedy_argv(const cli_remedy_opts *o, const char **argv, int *m);

/* The Redis model's options, by their redis.conf names where Redis has one
 * (cli_redis.c): taken by run, passed on by compare to its children. */
#define CLI_REDIS_LONGOPTS \
    {"object-model", required_argument, 0, OPT_OBJECT_MODEL}, \
    {"expiry", required_argument, 0, OPT_EXPIRY}, \
    {"maxmemory", required_argument, 0, OPT_MAXMEMORY}, \
    {"maxmemory-policy", required_argument, 0, OPT_MAXMEMORY_POLICY}, \
    {"maxmemory-samples", required_argument, 0, OPT_MAXMEMORY_SAMPLES}, \
    {"activedefrag", required_argument, 0, OPT_ACTIVEDEFRAG}, \
    {"active-defrag-ignore-bytes", required_argument, 0, OPT_DEFRAG_IGNORE_BYTES}, \
    {"active-defrag-threshold-lower", required_argument, 0, OPT_DEFRAG_THRESHOLD_LOWER}, \
    {"active-defrag-threshold-upper", required_argument, 0, OPT_DEFRAG_THRESHOLD_UPPER}, \
    {"active-defrag-cycle-min", required_argument, 0, OPT_DEFRAG_CYCLE_MIN}, \
    {"active-defrag-cycle-max", required_argument, 0, OPT_DEFRAG_CYCLE_MAX}, \
    {"active-defrag-max-scan-fields", required_argument, 0, OPT_DEFRAG_MAX_SCAN_FIELDS}, \
    {"activedefrag-from", required_argument, 0, OPT_ACTIVEDEFRAG_FROM}, \
    {"defrag-hint", required_argument, 0, OPT_DEFRAG_HINT}
#define CLI_REDIS_HELP \
    "the Redis model (redis.conf's names; over --config's and the preset's):\n" \
    "  --object-model M      what a key allocates: raw (default: the value alone)\n" \
    "                        or redis (Redis 7's key sds, dictEntry, robj/EMBSTR,\n" \
    "                        expires entry and dict tables; README \"Redis model\")\n" \
    "  --expiry E            when keys past their TTL go: exact (default: at the\n" \
    "                        TTL) or redis (when touched, or found by Redis 7.0's\n" \
    "                        active expire cycles, slow on the cron tick, fast\n" \
    "                        on event-loop turns); redis:US: a key checked costs\n" \
    "                        US microseconds of CPU (default 4); redis:US:SEED:\n" \
    "                        the expires dict's buckets in the order of hash\n" \
    "                        seed SEED (a server draws its own at start; 0)\n" \
    "  --maxmemory SIZE, --maxmemory-policy NAME, --maxmemory-samples N\n" \
    "                        before each write over maxmemory (used_memory), keys\n" \
    "                        are evicted as Redis does, or with noeviction the\n" \
    "                        write is refused\n" \
    "  --activedefrag yes|no active defrag on the cron tick (default no): Redis's\n" \
    "                        start rule, effort and duty cycle, moves done on the\n" \
    "                        allocator under test (README \"Active defrag\")\n" \
    "  --active-defrag-ignore-bytes SIZE (100mb), --active-defrag-threshold-lower PCT\n" \
    "  (10), --active-defrag-threshold-upper PCT (100), --active-defrag-cycle-min PCT\n" \
    "  (1), --active-defrag-cycle-max PCT (25), --active-defrag-max-scan-fields N\n" \
    "                        as in redis.conf\n" \
    "  --activedefrag-from S activedefrag comes on at virtual second S (default 0),\n" \
    "                        as a CONFIG SET at that time\n" \
    "  --defrag-hint H       the move decision: auto (default: the allocator's own\n" \
    "                        rule, jemalloc's slab utilisation, else generic),\n" \
    "                        generic (the engine's census of blocks per page or\n" \
    "                        slab, on any allocator) or always (every block)\n"

#define CLI_REDIS_MAX_DIRECTIVES 16

typedef struct cli_redis_opts {
    const char *object_model, *expiry, *activedefrag_from, *defrag_hint;
    /* redis.conf directives, in the order given */
    const char *name[CLI_REDIS_MAX_DIRECTIVES], *value[CLI_REDIS_MAX_DIRECTIVES];
    int n;
} cli_redis_opts;

/* Takes a Redis-model option; returns 1 if opt was one. */
int cli_redis_opt(cli_redis_opts *o, int opt, const char *arg);
/* Appends the options as given to argv at *m (for a child `fragsim run`). */
void cli_redis_argv(const cli_redis_opts *o, const char **argv, int *m);

#define CLI_GEN_LONGOPTS \
    {"preset", required_argument, 0, OPT_PRESET}, {"seed", required_argument, 0, OPT_SEED}, \
    {"keys", required_argument, 0, OPT_KEYS}, {"rate", required_argument, 0, OPT_RATE}, \
    {"insert-seconds", required_argument, 0, OPT_INSERT_SECONDS}, \
    {"sizes", required_argument, 0, OPT_SIZES}, {"ttl", required_argument, 0, OPT_TTL}, \
    {"observe", required_argument, 0, OPT_OBSERVE}, \
    {"key-prefix", required_argument, 0, OPT_KEY_PREFIX}

/* getopt's failure for argv, in plain words (usage error). */
int cli_bad_option(const char *cmd, int argc, char **argv);

/* Path of the worker executable of allocator `name`, the first found in
 * cli_worker_dirs(); returns 0 when it exists. */
int cli_worker_path(const char *name, char *buf, size_t n);
/* The directories workers are looked in, in order (README "Install");
 * dirs[] holds CLI_WORKER_DIRS paths of PATH_MAX bytes.  Returns the count. */
#define CLI_WORKER_DIRS 4
int cli_worker_dirs(char dirs[][PATH_MAX]);

/* Prints "fragsim CMD: message" on stderr and returns code. */
int cli_error(const char *cmd, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The generator's options, shared by run and gen. */
typedef struct cli_gen_opts {
    const char *preset;
    const char *seed, *keys, *rate, *insert_seconds, *sizes, *ttl, *observe, *key_prefix;
    int any; /* some generator option (other than --preset) was given */
} cli_gen_opts;

/* Takes a generator option (getopt value opt); returns 1 if it was one. */
int cli_gen_opt(cli_gen_opts *g, int opt, const char *arg);
/* Appends the generator's options as given (a child's workload). */
void cli_gen_pairs(const cli_gen_opts *g, cli_pair *p, int *n);

/* Builds parameters from a preset (or the neutral defaults) and the
 * overrides.  Returns 0 or -1. */
int cli_gen_params(const cli_gen_opts *o, gen_params *p, fs_err *err);

/* The trace of a command that replays it several times (compare, whatif):
 * the one positional TRACE at argv[optind] (not standard input, readable)
 * or --preset NAME with its workload options, never both (and --format only
 * with a TRACE).  `each` says per
 * what it is replayed, for the message about standard input.  Sets *trace
 * (NULL for a preset) and returns -1 when all is well, else the exit code
 * after printing the error. */
int cli_replayed_trace(const char *cmd, const char *each, int argc, char **argv, int optind_,
                       const cli_gen_opts *g, const char *format, const char **trace);


#define CLI_GEN_HELP \
    "workload options (with --preset, or for `gen`):\n" \
    "  --preset NAME         a built-in workload (fragsim presets lists them)\n" \
    "  --keys N              number of keys (leaderboard: boards; queues: lists)\n" \
    "  --seed N              random seed (same seed, same trace)\n" \
    "  --rate R              keys inserted per virtual second (default: keys spread\n" \
    "                        over the insert phase; leaderboard and queues work on\n" \
    "                        every key in rounds over N / R seconds)\n" \
    "  --insert-seconds S    length of the insert phase when --rate is not given\n" \
    "  --sizes DIST          value sizes: fixed:V, uniform:A,B, lognormal:MEDIAN,SIGMA,\n" \
    "                        weighted:V1:W1,V2:W2,...  (units allowed: 4kb)\n" \
    "  --ttl DIST            TTLs in seconds, same forms, or none\n" \
    "  --observe S           virtual seconds of observation after the last insert\n" \
    "                        (with a TRACE file: the clock runs on S virtual seconds\n" \
    "                        after its last event, so TTLs and decay play out)\n" \
    "  --key-prefix P        keys are P0, P1, ...\n"

#endif
