/* fuzz_options: option values as the command line hands them over.
 *
 * The input is lines, one value each; the n-th line is the value of the
 * n-th option below (an empty line: the option not given).  Each value goes
 * through the parser the commands use: the units parsers, the shared replay
 * options (sim/cli/cli_replay.c: --page-map-at, the time options, key
 * sampling), the generator's options with their distributions (--sizes,
 * --ttl) and a sweep's --grid axis.  Lines past the last option are ignored. */
#include <stdlib.h>
#include <string.h>

#include "../../analysis/sweep.h"
#include "../../sim/base/units.h"
#include "../../sim/cli/cli.h"
#include "../../sim/cli/run.h"
#include "fuzz.h"

enum {
    V_BYTES, V_U64, V_DOUBLE, V_PAGE_MAP_AT,
    V_CLOCK, V_SPEED, V_HZ, V_PURGE_EVERY, V_ALLOCATOR_TICK,
    V_SAMPLE_KEYS, V_SAMPLE_SEED,
    V_PRESET, V_SEED, V_KEYS, V_RATE, V_INSERT_SECONDS, V_SIZES, V_TTL, V_OBSERVE, V_KEY_PREFIX,
    V_GRID, V_GRID2,
    V__COUNT
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fuzz_string(data, size);
    const char *v[V__COUNT] = {0};
    char *s = text;
    for (int i = 0; i < V__COUNT && s != NULL; i++) {
        char *nl = strchr(s, '\n');
        if (nl != NULL) *nl = '\0';
        if (*s != '\0') v[i] = s;
        s = nl ? nl + 1 : NULL;
    }
    fs_err err;
    uint64_t u;
    double d;
    if (v[V_BYTES]) units_parse_bytes(v[V_BYTES], &u);
    if (v[V_U64]) units_parse_u64(v[V_U64], &u);
    if (v[V_DOUBLE]) units_parse_double(v[V_DOUBLE], &d);
    if (v[V_PAGE_MAP_AT]) {
        double at[RUN_MAX_PAGE_MAPS];
        int n = cli_page_map_times(v[V_PAGE_MAP_AT], at, RUN_MAX_PAGE_MAPS, &err);
        for (int i = 1; i < n; i++)
            if (!(at[i - 1] < at[i])) abort(); /* promised: ascending, no repeats */
    }
    cli_time_opts t = {.clock = v[V_CLOCK], .speed = v[V_SPEED], .hz = v[V_HZ],
                       .purge_every = v[V_PURGE_EVERY], .allocator_tick = v[V_ALLOCATOR_TICK]};
    cli_time ct;
    cli_time_params(&t, &ct, &err);
    cli_replay_opts r;
    memset(&r, 0, sizeof r);
    r.sample_keys = v[V_SAMPLE_KEYS];
    r.sample_seed = v[V_SAMPLE_SEED];
    transform_spec spec;
    memset(&spec, 0, sizeof spec);
    cli_replay_sampling(&r, 0, &spec, &err);
    cli_gen_opts g = {.preset = v[V_PRESET], .seed = v[V_SEED], .keys = v[V_KEYS],
                      .rate = v[V_RATE], .insert_seconds = v[V_INSERT_SECONDS],
                      .sizes = v[V_SIZES], .ttl = v[V_TTL], .observe = v[V_OBSERVE],
                      .key_prefix = v[V_KEY_PREFIX]};
    gen_params p;
    cli_gen_params(&g, &p, &err);
    sweep_plan plan;
    memset(&plan, 0, sizeof plan);
    if (v[V_GRID] && sweep_plan_add(&plan, v[V_GRID], &err) == 0 && v[V_GRID2])
        sweep_plan_add(&plan, v[V_GRID2], &err);
    if (plan.npoints > 0 && plan.npoints < 4096)
        for (size_t i = 0; i < plan.npoints; i++)
            for (int a = 0; a < plan.naxes; a++) sweep_value(&plan, i, a);
    sweep_plan_free(&plan);
    free(text);
    return 0;
}
