/* The remedy options (--pad, --compress, --compress-sample, --compress-level,
 * --shard-by-size, --shard-by-ttl, --shard, --uniform-ttl, --hash-pack): taken by run,
 * passed on by compare and whatif to their children. */
#include <string.h>
#include <time.h>

#include "../../traces/compress_sample.h"
#include "cli.h"
#include "../base/units.h"

/* Values at least this large are compressed when --compress-sample gives
 * the ratio and no MIN is given: a sample's ratio says little about values
 * smaller than a zstd frame's fixed costs repay, and "compress large
 * values" is the seed's advice. */
#define COMPRESS_SAMPLE_MIN 1024
#define COMPRESS_LEVEL_DEFAULT 3 /* zstd's own default */

int cli_remedy_opt(cli_remedy_opts *o, int opt, const char *arg) {
    switch (opt) {
    case OPT_PAD: o->pad = arg; return 1;
    case OPT_COMPRESS: o->compress = arg; return 1;
    case OPT_COMPRESS_SAMPLE: o->compress_sample = arg; return 1;
    case OPT_COMPRESS_LEVEL: o->compress_level = arg; return 1;
    case OPT_SHARD_BY_SIZE: o->shard_by_size = arg; return 1;
    case OPT_SHARD_BY_TTL: o->shard_by_ttl = arg; return 1;
    case OPT_SHARD: o->shard = arg; return 1;
    case OPT_UNIFORM_TTL: o->uniform_ttl = arg; return 1;
    case OPT_HASH_PACK: o->hash_pack = arg; return 1;
    default: return 0;
    }
}

static int compress_sample_spec(const cli_remedy_opts *o, transform_spec *s, fs_err *err) {
    if (o->compress_sample == NULL) {
        if (o->compress_level)
            return fs_errf(err, "--compress-level '%s': only with --compress-sample FILE",
                           o->compress_level);
        if (s->compress_from_sample)
            return fs_errf(err, "--compress '%s': sample needs --compress-sample FILE",
                           o->compress);
        return 0;
    }
    if (o->compress && !s->compress_from_sample)
        return fs_errf(err, "--compress '%s' with --compress-sample: the sample gives the "
                       "ratio; give --compress sample:MIN for the smallest value compressed",
                       o->compress);
    if (o->compress == NULL) s->compress_min = COMPRESS_SAMPLE_MIN;
    s->compress_from_sample = 1;
    s->compress_sample = o->compress_sample;
    s->compress_level = COMPRESS_LEVEL_DEFAULT;
    if (o->compress_level) {
        const char *v = o->compress_level;
        int64_t lv;
        int neg = v[0] == '-';
        uint64_t u;
        if (units_parse_u64(v + neg, &u) != 0 || u > 1000)
            lv = INT64_MIN;
        else
            lv = neg ? -(int64_t)u : (int64_t)u;
        if (lv < compress_level_min() || lv > compress_level_max() || lv == 0)
            return fs_errf(err, "--compress-level '%s': expected a zstd level, %d to %d but 0 "
                           "(negative: zstd's fast levels)", v, compress_level_min(),
                           compress_level_max());
        s->compress_level = (int)lv;
    }
    return compress_sample_check(o->compress_sample, err);
}

int cli_remedy_spec(const cli_remedy_opts *o, transform_spec *s, fs_err *err) {
    memset(s, 0, sizeof *s);
    s->shard = -1;
    if (o->pad && transform_parse_pad(s, o->pad, err) != 0) return -1;
    if (o->compress && transform_parse_compress(s, o->compress, err) != 0) return -1;
    if (compress_sample_spec(o, s, err) != 0) return -1;
    if (o->uniform_ttl && transform_parse_uniform_ttl(s, o->uniform_ttl, err) != 0) return -1;
    if (o->shard_by_size &&
        transform_parse_shard_by(s, TRANSFORM_SHARD_SIZE, o->shard_by_size, err) != 0)
        return -1;
    if (o->shard_by_ttl &&
        transform_parse_shard_by(s, TRANSFORM_SHARD_TTL, o->shard_by_ttl, err) != 0)
        return -1;
    /* Shard classes without --shard would replay every shard in one heap:
     * the same as no sharding, so it is refused rather than misread. */
    if (s->shard_by != TRANSFORM_SHARD_NONE && o->shard == NULL)
        return fs_errf(err, "--shard-by-size / --shard-by-ttl need --shard K/N (one shard per "
                       "run; fragsim whatif runs them all)");
    if (o->shard && transform_parse_shard(s, o->shard, err) != 0) return -1;
    if (o->hash_pack && transform_parse_hash_pack(s, o->hash_pack, err) != 0) return -1;
    /* A hash's fields would span the arenas: its blocks have one heap. */
    if (s->hash_pack && s->shard_arenas)
        return fs_errf(err, "--hash-pack with --shard arenas: a hash's fields would belong to "
                       "several shards (--shard K/N is one instance per shard and works)");
    return 0;
}

static double process_cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int cli_remedy_prepare(transform_spec *s, const char *trace_path, const char *format,
                       const gen_params *gen, fs_err *err) {
    double t0 = process_cpu();
    if (s->compress_sample != NULL) {
        compress_measure m;
        if (compress_sample_measure(s->compress_sample, s->compress_level, &m, err) != 0)
            return -1;
        /* A value that does not shrink is kept as it was, as clients that
         * compress do; its CPU is spent all the same. */
        s->compress_ratio = m.ratio < 1 ? m.ratio : 1;
        s->compress_cost = m.cpu_per_byte;
        s->compress_measured = m.ratio;
    }
    if (s->uniform_ttl_sep != '\0' && s->uniform_ttl_stat != TRANSFORM_TTL_FIRST) {
        if (trace_path != NULL && strcmp(trace_path, "-") == 0) {
            fs_errf(err, "--uniform-ttl %c:%s reads the trace twice (a pre-pass finds each "
                    "prefix's %s): not from standard input; give a file, or :first",
                    s->uniform_ttl_sep, transform_ttl_stat_name(s->uniform_ttl_stat),
                    transform_ttl_stat_name(s->uniform_ttl_stat));
            return -2;
        }
        trace_reader r;
        int opened = trace_path ? trace_open(&r, trace_path, format, err)
                                : trace_gen_open(&r, gen, err);
        if (opened != 0 || transform_ttl_prepass(s, &r, err) != 0)
            return fs_err_prefix(err, "--uniform-ttl pre-pass");
    }
    if (s->stats) s->stats->setup_cpu_seconds = process_cpu() - t0;
    return 0;
}

void cli_remedy_argv(const cli_remedy_opts *o, const char **argv, int *m) {
    const char *const names[] = {"--pad", "--compress", "--shard-by-size", "--shard-by-ttl",
                                 "--shard", "--uniform-ttl", "--compress-sample",
                                 "--compress-level", "--hash-pack", "--activedefrag"};
    const char *const vals[] = {o->pad, o->compress, o->shard_by_size, o->shard_by_ttl,
                                o->shard, o->uniform_ttl, o->compress_sample, o->compress_level,
                                o->hash_pack, o->activedefrag};
    for (size_t k = 0; k < sizeof vals / sizeof *vals; k++)
        if (vals[k]) argv[(*m)++] = names[k], argv[(*m)++] = vals[k];
}
