/* The remedy options (--pad, --compress, --shard-by-size, --shard-by-ttl,
 * --shard, --uniform-ttl): taken by run, passed on by compare and whatif
 * to their children. */
#include <string.h>

#include "cli.h"

int cli_remedy_opt(cli_remedy_opts *o, int opt, const char *arg) {
    switch (opt) {
    case OPT_PAD: o->pad = arg; return 1;
    case OPT_COMPRESS: o->compress = arg; return 1;
    case OPT_SHARD_BY_SIZE: o->shard_by_size = arg; return 1;
    case OPT_SHARD_BY_TTL: o->shard_by_ttl = arg; return 1;
    case OPT_SHARD: o->shard = arg; return 1;
    case OPT_UNIFORM_TTL: o->uniform_ttl = arg; return 1;
    default: return 0;
    }
}

int cli_remedy_spec(const cli_remedy_opts *o, transform_spec *s, fs_err *err) {
    memset(s, 0, sizeof *s);
    s->shard = -1;
    if (o->pad && transform_parse_pad(s, o->pad, err) != 0) return -1;
    if (o->compress && transform_parse_compress(s, o->compress, err) != 0) return -1;
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
    return 0;
}

void cli_remedy_argv(const cli_remedy_opts *o, const char **argv, int *m) {
    const char *const names[] = {"--pad", "--compress", "--shard-by-size", "--shard-by-ttl",
                                 "--shard", "--uniform-ttl"};
    const char *const vals[] = {o->pad, o->compress, o->shard_by_size, o->shard_by_ttl,
                                o->shard, o->uniform_ttl};
    for (size_t k = 0; k < sizeof vals / sizeof *vals; k++)
        if (vals[k]) argv[(*m)++] = names[k], argv[(*m)++] = vals[k];
}
