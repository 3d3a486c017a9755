/* cli_replay: the options of one replay that run, compare, sweep and whatif
 * share, parsed once here (cli.h's CLI_REPLAY_LONGOPTS is their table), and
 * the time options among them.  The commands that start children pass them
 * on as pairs, so a child `fragsim run` sees what its parent was given:
 * the child, not the parent, reads them as settings. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../base/units.h"
#include "cli.h"
#include "run.h"

const char CLI_FLAG[] = "";

static void add_pair(cli_pair *p, int *n, const char *flag, const char *value) {
    if (value == NULL || *n == CLI_MAX_PAIRS) return;
    p[*n].flag = flag;
    p[*n].value = value;
    (*n)++;
}

void cli_pairs_argv(const cli_pair *p, int n, const char **argv, int *m) {
    for (int i = 0; i < n; i++) {
        argv[(*m)++] = p[i].flag;
        if (p[i].value != CLI_FLAG) argv[(*m)++] = p[i].value;
    }
}

int cli_page_map_times(const char *spec, double *at, size_t max, fs_err *err) {
    char buf[1024];
    size_t n = 0;
    if (strlen(spec) >= sizeof buf) return fs_errf(err, "--page-map-at: too long");
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *save, *v = strtok_r(buf, ",", &save); v; v = strtok_r(NULL, ",", &save)) {
        double t;
        if (units_parse_double(v, &t) != 0 || t > 3e9)
            return fs_errf(err, "--page-map-at '%s': '%s' is not virtual seconds (0 or more)",
                           spec, v);
        size_t i = n;
        while (i > 0 && at[i - 1] > t) i--;
        if (i > 0 && at[i - 1] == t) continue; /* a repeat */
        if (n == max) return fs_errf(err, "--page-map-at: at most %zu times", max);
        memmove(&at[i + 1], &at[i], (n - i) * sizeof *at);
        at[i] = t;
        n++;
    }
    if (n == 0) return fs_errf(err, "--page-map-at '%s': expected T1,T2,... in virtual seconds", spec);
    return (int)n;
}

int cli_time_opt(cli_time_opts *t, int opt, const char *arg) {
    switch (opt) {
    case OPT_CLOCK: t->clock = arg; return 1;
    case OPT_SPEED: t->speed = arg; return 1;
    case OPT_HZ: t->hz = arg; return 1;
    case OPT_PURGE_EVERY: t->purge_every = arg; return 1;
    case OPT_ALLOCATOR_TICK: t->allocator_tick = arg; return 1;
    default: return 0;
    }
}

void cli_time_pairs(const cli_time_opts *t, cli_pair *p, int *n) {
    add_pair(p, n, "--clock", t->clock);
    add_pair(p, n, "--speed", t->speed);
    add_pair(p, n, "--hz", t->hz);
    add_pair(p, n, "--purge-every", t->purge_every);
    add_pair(p, n, "--allocator-tick", t->allocator_tick);
}

int cli_time_params(const cli_time_opts *t, cli_time *out, fs_err *err) {
    double *speed = &out->speed, *hz = &out->hz, *purge_every = &out->purge_every;
    memset(out, 0, sizeof *out);
    *speed = CLI_DEFAULT_SPEED;
    *hz = 10;
    if (t->clock != NULL && strcmp(t->clock, "wall") == 0) out->wall_clock = 1;
    else if (t->clock != NULL && strcmp(t->clock, "virtual") != 0)
        return fs_errf(err, "--clock '%s': expected virtual or wall", t->clock);
    if (t->speed != NULL) {
        /* Pacing is the wall clock's: --speed alone implies it. */
        if (t->clock != NULL && !out->wall_clock)
            return fs_errf(err, "--speed paces the wall clock: give --clock wall --speed %s, or "
                           "leave --speed out (the virtual clock goes as fast as the engine)",
                           t->speed);
        out->wall_clock = 1;
        if (strcmp(t->speed, "max") == 0) *speed = 0;
        else if (units_parse_double(t->speed, speed) != 0 || *speed <= 0 || *speed > 1e6)
            return fs_errf(err, "--speed '%s': expected virtual seconds per wall second "
                           "(above 0, at most 1e6) or max", t->speed);
    }
    if (t->allocator_tick != NULL && strcmp(t->allocator_tick, "events") == 0) out->tick_events = 1;
    else if (t->allocator_tick != NULL && strcmp(t->allocator_tick, "cron") != 0)
        return fs_errf(err, "--allocator-tick '%s': expected cron or events", t->allocator_tick);
    if (t->hz != NULL && (units_parse_double(t->hz, hz) != 0 || *hz < 0 || *hz > 500))
        return fs_errf(err, "--hz '%s': expected 0 to 500 ticks per virtual second (Redis: 1-500)",
                       t->hz);
    if (t->purge_every != NULL &&
        (units_parse_double(t->purge_every, purge_every) != 0 || *purge_every > 1e9 ||
         (*purge_every > 0 && *purge_every < 1e-3)))
        return fs_errf(err, "--purge-every '%s': expected virtual seconds (0: never)",
                       t->purge_every);
    return 0;
}

void cli_replay_init(cli_replay_opts *r) {
    memset(r, 0, sizeof *r);
    r->progress = isatty(STDERR_FILENO);
}

int cli_replay_opt(cli_replay_opts *r, int opt, const char *arg) {
    if (cli_time_opt(&r->time, opt, arg)) return 1;
    switch (opt) {
    case OPT_ALLOCATOR: r->allocator = arg; return 1;
    case OPT_ALLOCATORS: r->allocators = arg; return 1;
    case OPT_ALLOCATOR_OPTIONS:
        if (r->nallocator_options == CLI_MAX_ALLOCATOR_OPTIONS) r->allocator_options_dropped++;
        else r->allocator_options[r->nallocator_options++] = arg;
        return 1;
    case OPT_CONFIG: r->config = arg; return 1;
    case OPT_FORMAT: r->format = arg; return 1;
    case OPT_FILL_ON_MISS: r->fill_on_miss = 1; return 1;
    case OPT_SAMPLE_INTERVAL: r->sample_interval = arg; return 1;
    case OPT_PAGE_MAP_AT: r->page_map_at = arg; return 1;
    case OPT_SAMPLE_KEYS: r->sample_keys = arg; return 1;
    case OPT_SAMPLE_SEED: r->sample_seed = arg; return 1;
    case OPT_REDIS_VERSION: r->redis_version = arg; return 1;
    case OPT_JOBS: r->jobs = arg; return 1;
    case 'o': r->out = arg; return 1;
    case OPT_FORCE: r->force = 1; return 1;
    case OPT_PROGRESS: r->progress = 1; return 1;
    case OPT_NO_PROGRESS: r->progress = 0; return 1;
    case 'q': r->quiet = 1; return 1;
    default: return 0;
    }
}

int cli_replay_check(const char *cmd, const cli_replay_opts *r, int max_options, int named,
                     uint64_t max_jobs, uint64_t *jobs, double *at, size_t *nat) {
    if (r->allocator_options_dropped || r->nallocator_options > max_options)
        return max_options == 1
                   ? cli_error(cmd, CLI_USAGE, "--allocator-options is given once: join the "
                               "options in the allocator's syntax (dirty_decay_ms:0,narenas:1)")
                   : cli_error(cmd, CLI_USAGE, "at most %d --allocator-options", max_options);
    for (int k = 0; named && k < r->nallocator_options; k++)
        if (strchr(r->allocator_options[k], '=') == NULL)
            return cli_error(cmd, CLI_USAGE, "--allocator-options '%s': expected NAME=SPEC "
                             "(the allocator's name, then its options)", r->allocator_options[k]);
    if (jobs != NULL) {
        *jobs = 1;
        if (r->jobs != NULL &&
            (units_parse_u64(r->jobs, jobs) != 0 || *jobs == 0 || *jobs > max_jobs))
            return cli_error(cmd, CLI_USAGE, "--jobs '%s': expected 1 to %llu", r->jobs,
                             (unsigned long long)max_jobs);
    }
    {
        /* Checked here too, so that a command starting children fails at
         * once rather than in every child. */
        fs_err err;
        transform_spec s = {0};
        redis_version v;
        if (cli_replay_sampling(r, 0, &s, &err) != 0 ||
            (r->redis_version != NULL && redis_version_parse(r->redis_version, &v, &err) != 0))
            return cli_error(cmd, CLI_USAGE, "%s", err.msg);
    }
    if (r->page_map_at != NULL) {
        fs_err err;
        double tmp[RUN_MAX_PAGE_MAPS];
        int n = cli_page_map_times(r->page_map_at, at ? at : tmp, RUN_MAX_PAGE_MAPS, &err);
        if (n < 0) return cli_error(cmd, CLI_USAGE, "%s", err.msg);
        if (nat != NULL) *nat = (size_t)n;
    }
    return -1;
}

int cli_replay_sampling(const cli_replay_opts *r, uint64_t gen_seed, transform_spec *s,
                        fs_err *err) {
    s->sample_keys = 0;
    s->sample_seed = gen_seed;
    if (r->sample_seed != NULL && units_parse_u64(r->sample_seed, &s->sample_seed) != 0)
        return fs_errf(err, "--sample-seed '%s': expected a whole number, 0 or more", r->sample_seed);
    if (r->sample_seed != NULL && r->sample_keys == NULL)
        return fs_errf(err, "--sample-seed %s: it seeds --sample-keys, which is not given",
                       r->sample_seed);
    if (r->sample_keys != NULL && transform_parse_sample_keys(s, r->sample_keys, err) != 0)
        return -1;
    return 0;
}

void cli_replay_pairs(const cli_replay_opts *r, cli_pair *p, int *n) {
    add_pair(p, n, "--config", r->config);
    add_pair(p, n, "--format", r->format);
    add_pair(p, n, "--fill-on-miss", r->fill_on_miss ? CLI_FLAG : NULL);
    add_pair(p, n, "--sample-interval", r->sample_interval);
    add_pair(p, n, "--page-map-at", r->page_map_at);
    add_pair(p, n, "--sample-keys", r->sample_keys);
    add_pair(p, n, "--sample-seed", r->sample_seed);
    add_pair(p, n, "--redis-version", r->redis_version);
    cli_time_pairs(&r->time, p, n);
}

void cli_replay_argv(const cli_replay_opts *r, const char **argv, int *m) {
    cli_pair p[CLI_MAX_PAIRS];
    int n = 0;
    cli_replay_pairs(r, p, &n);
    cli_pairs_argv(p, n, argv, m);
}

void cli_gen_pairs(const cli_gen_opts *g, cli_pair *p, int *n) {
    add_pair(p, n, "--preset", g->preset);
    add_pair(p, n, "--seed", g->seed);
    add_pair(p, n, "--keys", g->keys);
    add_pair(p, n, "--rate", g->rate);
    add_pair(p, n, "--insert-seconds", g->insert_seconds);
    add_pair(p, n, "--sizes", g->sizes);
    add_pair(p, n, "--ttl", g->ttl);
    add_pair(p, n, "--observe", g->observe);
    add_pair(p, n, "--key-prefix", g->key_prefix);
}
