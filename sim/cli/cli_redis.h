/* cli_redis: run's Redis-model settings, layered as a server would take
 * them: Redis 7.0's defaults, then the preset's run defaults (a workload
 * that needs maxmemory or activedefrag brings them), then --config's
 * redis.conf, then the command line (cli.h's CLI_REDIS_LONGOPTS). */
#ifndef FRAGSIM_CLI_REDIS_H
#define FRAGSIM_CLI_REDIS_H

#include "../../traces/trace_gen.h"
#include "../defrag.h"
#include "../engine.h"
#include "../objmodel.h"
#include "../redis_conf.h"

typedef struct cli_redis_layers {
    om_kind om;
    engine_expiry ex;
    uint32_t expire_key_ns;    /* --expiry redis:US; 0: the default */
    uint32_t expire_hash_seed; /* --expiry redis:US:SEED; 0: the default */
    defrag_hint_kind hint;
    double activedefrag_at;
    int hz_set;                /* the preset or --config set hz */
    /* the preset's run defaults that are run options (empty: none) */
    char object_model[16], expiry[16], sample_interval[32], activedefrag_from[32], speed[16];
} cli_redis_layers;

/* Fills *rc and *out from the layers; preset (may be NULL) with gp its
 * parameters, config (may be NULL) a redis.conf whose notes go to *notes.
 * Returns 0, or -1 with err naming the layer at fault. */
struct cli_redis_opts;
int cli_redis_layers_apply(const struct cli_redis_opts *o, const char *preset,
                           const gen_params *gp, const char *config, redis_conf *rc,
                           redis_conf_notes *notes, cli_redis_layers *out, fs_err *err);

#endif
