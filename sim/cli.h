/* cli: the `fragsim` command line.  Each subcommand is one row of the
 * table in cli.c; the generator's options are shared by `gen` and `run`. */
#ifndef FRAGSIM_CLI_H
#define FRAGSIM_CLI_H

#include "../traces/trace_gen.h"
#include "../traces/trace_transform.h"

/* Exit codes: 0 success, 1 the run failed (bad trace, I/O), 2 bad usage. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

int cli_main(int argc, char **argv);
/* The whole command line as main() got it (for a worker's re-exec). */
extern char **cli_argv;

int cli_run(int argc, char **argv);
int cli_gen(int argc, char **argv);
int cli_compare(int argc, char **argv);
int cli_sweep(int argc, char **argv);
int cli_trace(int argc, char **argv);
int cli_import(int argc, char **argv);
int cli_report(int argc, char **argv);
int cli_doctor(int argc, char **argv);
int cli_export(int argc, char **argv);
int cli_whatif(int argc, char **argv);

/* --page-map-at T1,T2,...: virtual seconds, sorted and without repeats
 * into at[] (at most max).  Returns the count, or -1 with err set. */
int cli_page_map_times(const char *spec, double *at, size_t max, fs_err *err);

/* getopt_long values of the long options; the generator's are shared. */
enum {
    OPT_PRESET = 1000, OPT_SEED, OPT_KEYS, OPT_RATE, OPT_INSERT_SECONDS, OPT_SIZES, OPT_TTL,
    OPT_OBSERVE, OPT_KEY_PREFIX, OPT_ALLOCATOR, OPT_FORMAT, OPT_SAMPLE_INTERVAL, OPT_PROGRESS,
    OPT_NO_PROGRESS, OPT_ALLOCATOR_OPTIONS, OPT_ALLOCATORS, OPT_JOBS, OPT_SPEED, OPT_HZ,
    OPT_PURGE_EVERY, OPT_GRID, OPT_EMIT_JOBS, OPT_COLLECT, OPT_FILL_ON_MISS, OPT_CONFIG,
    OPT_PAGE_MAP_AT, OPT_PAD, OPT_COMPRESS, OPT_SHARD_BY_SIZE, OPT_SHARD_BY_TTL, OPT_SHARD,
    OPT_UNIFORM_TTL, OPT_REMEDIES, OPT_MAXMEMORY, OPT_SAFETY_MARGIN, OPT_OBJECT_MODEL,
    OPT_EXPIRY, OPT_MAXMEMORY_POLICY, OPT_MAXMEMORY_SAMPLES,
    OPT_COMPRESS_SAMPLE, OPT_COMPRESS_LEVEL,
};

/* The options that end every replaying command's table (run, compare,
 * sweep, whatif): where results go, progress, quiet, help; and the end. */
#define CLI_OUTPUT_LONGOPTS \
    {"output", required_argument, 0, 'o'}, {"progress", no_argument, 0, OPT_PROGRESS}, \
    {"no-progress", no_argument, 0, OPT_NO_PROGRESS}, {"quiet", no_argument, 0, 'q'}, \
    {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}

/* The time options, shared by run, compare and sweep. */
#define CLI_DEFAULT_SPEED 50.0
#define CLI_TIME_LONGOPTS \
    {"speed", required_argument, 0, OPT_SPEED}, {"hz", required_argument, 0, OPT_HZ}, \
    {"purge-every", required_argument, 0, OPT_PURGE_EVERY}
#define CLI_TIME_HELP \
    "  --speed S             virtual seconds per wall second (default 50): the replay\n" \
    "                        is paced and the allocator's decay times divided by S,\n" \
    "                        so decay stays honest; max: as fast as possible, decay\n" \
    "                        not scaled (not honest)\n" \
    "  --hz N                cron ticks per virtual second, as Redis's hz (default 10);\n" \
    "                        each tick lets the allocator's decay run\n" \
    "  --purge-every S       MEMORY PURGE every S virtual seconds (default: never)\n"

typedef struct cli_time_opts {
    const char *speed, *hz, *purge_every;
} cli_time_opts;

/* Takes a time option; returns 1 if opt was one. */
int cli_time_opt(cli_time_opts *t, int opt, const char *arg);
/* Speed (0 = max), hz and purge interval from the options, with defaults.
 * Returns 0 or -1. */
int cli_time_params(const cli_time_opts *t, double *speed, double *hz, double *purge_every,
                    fs_err *err);

/* The remedies (traces/trace_transform.h), shared by run and compare;
 * sweep takes them as grid keys. */
#define CLI_REMEDY_LONGOPTS \
    {"pad", required_argument, 0, OPT_PAD}, {"compress", required_argument, 0, OPT_COMPRESS}, \
    {"shard-by-size", required_argument, 0, OPT_SHARD_BY_SIZE}, \
    {"shard-by-ttl", required_argument, 0, OPT_SHARD_BY_TTL}, \
    {"shard", required_argument, 0, OPT_SHARD}, \
    {"uniform-ttl", required_argument, 0, OPT_UNIFORM_TTL}, \
    {"compress-sample", required_argument, 0, OPT_COMPRESS_SAMPLE}, \
    {"compress-level", required_argument, 0, OPT_COMPRESS_LEVEL}
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
    "  --shard-by-size B,... size classes (bytes) of separate instances; with\n" \
    "  --shard-by-ttl S,...  TTL classes (seconds; no TTL: the last class)\n" \
    "  --shard K/N           replay only shard K of N: a key belongs to the class of\n" \
    "                        its first write, for good\n" \
    "  --uniform-ttl SEP[:STAT]  keys sharing the prefix before SEP get one TTL: the\n" \
    "                        first seen for that prefix (STAT first, the default), or\n" \
    "                        min, max, mean or median of its SETs' TTLs (no TTL counts\n" \
    "                        as the longest; left out of the mean), found by reading\n" \
    "                        the trace once before the replay (not from stdin)\n"

typedef struct cli_remedy_opts {
    const char *pad, *compress, *shard_by_size, *shard_by_ttl, *shard, *uniform_ttl;
    const char *compress_sample, *compress_level;
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

#define CLI_GEN_LONGOPTS \
    {"preset", required_argument, 0, OPT_PRESET}, {"seed", required_argument, 0, OPT_SEED}, \
    {"keys", required_argument, 0, OPT_KEYS}, {"rate", required_argument, 0, OPT_RATE}, \
    {"insert-seconds", required_argument, 0, OPT_INSERT_SECONDS}, \
    {"sizes", required_argument, 0, OPT_SIZES}, {"ttl", required_argument, 0, OPT_TTL}, \
    {"observe", required_argument, 0, OPT_OBSERVE}, \
    {"key-prefix", required_argument, 0, OPT_KEY_PREFIX}

/* getopt's failure for argv, in plain words (usage error). */
int cli_bad_option(const char *cmd, int argc, char **argv);

/* Path of the worker executable of allocator `name` (beside this one);
 * returns 0 when it exists. */
int cli_worker_path(const char *name, char *buf, size_t n);

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

/* Builds parameters from a preset (or the neutral defaults) and the
 * overrides.  Returns 0 or -1. */
int cli_gen_params(const cli_gen_opts *o, gen_params *p, fs_err *err);

/* The trace of a command that replays it several times (compare, whatif):
 * the one positional TRACE at argv[optind] (not standard input, readable)
 * or --preset NAME with its workload options, never both.  `each` says per
 * what it is replayed, for the message about standard input.  Sets *trace
 * (NULL for a preset) and returns -1 when all is well, else the exit code
 * after printing the error. */
int cli_replayed_trace(const char *cmd, const char *each, int argc, char **argv, int optind_,
                       const cli_gen_opts *g, const char **trace);


#define CLI_GEN_HELP \
    "workload options (with --preset, or for `gen`):\n" \
    "  --preset NAME         a built-in workload (fragsim presets lists them)\n" \
    "  --keys N              number of keys\n" \
    "  --seed N              random seed (same seed, same trace)\n" \
    "  --rate R              keys inserted per virtual second (default: keys spread\n" \
    "                        over the insert phase)\n" \
    "  --insert-seconds S    length of the insert phase when --rate is not given\n" \
    "  --sizes DIST          value sizes: fixed:V, uniform:A,B, lognormal:MEDIAN,SIGMA,\n" \
    "                        weighted:V1:W1,V2:W2,...  (units allowed: 4kb)\n" \
    "  --ttl DIST            TTLs in seconds, same forms, or none\n" \
    "  --observe S           virtual seconds of observation after the last insert\n" \
    "  --key-prefix P        keys are P0, P1, ...\n"

#endif
