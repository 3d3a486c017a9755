/* `fragsim run` and `fragsim gen`: option parsing and the hand-off to
 * run_execute() and the trace writer. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <unistd.h>

#include "../../allocators/backend.h"
#include "../../traces/trace_text.h"
#include "cli.h"
#include "cli_redis.h"
#include "../base/vclock.h"
#include "fragsim_config.h"
#include "run.h"
#include "../base/units.h"

/* Marks a worker that already runs with its allocator's options applied. */
#define APPLIED_ENV "FRAGSIM_APPLIED_ALLOCATOR_OPTIONS"

static void set_env(void *arg, const char *name, const char *value) {
    (void)arg;
    setenv(name, value, 1);
}

/* Allocators read their options, and start their clocks and threads, when
 * they start, before main(): the worker checks the options, puts them and
 * the clock's mode (base/vclock.h) in its environment and starts over as
 * the same command.  On the virtual clock it starts over without address
 * space randomisation: jemalloc seeds its decay ticker and its large-block
 * offsets from addresses, so only then do two runs purge the same pages at
 * the same moments (summary.json says whether it was off).  Returns only on
 * error. */
static int reexec_with(const char *spec, int virtual_clock) {
    fs_err err;
    if (spec != NULL) {
        if (backend_self->options_env == NULL)
            return cli_error("run", CLI_USAGE, "allocator %s takes no options", backend_self->name);
        if (backend_self->options_env(spec, set_env, NULL, &err) != 0)
            return cli_error("run", CLI_USAGE, "%s", err.msg);
        setenv(APPLIED_ENV, spec, 1);
    }
    setenv(VCLOCK_ENV, virtual_clock ? "virtual" : "wall", 1);
    int persona = personality(0xffffffff);
    if (virtual_clock && persona != -1 && !(persona & ADDR_NO_RANDOMIZE))
        (void)personality((unsigned long)persona | ADDR_NO_RANDOMIZE); /* refused: randomised */
    execv("/proc/self/exe", cli_argv);
    return cli_error("run", CLI_FAIL, "cannot restart with the allocator's options: %s",
                     strerror(errno));
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

void cli_time_argv(const cli_time_opts *t, const char **argv, int *m) {
    const char *const names[] = {"--clock", "--speed", "--hz", "--purge-every", "--allocator-tick"};
    const char *const vals[] = {t->clock, t->speed, t->hz, t->purge_every, t->allocator_tick};
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++)
        if (vals[i] != NULL) {
            argv[(*m)++] = names[i];
            argv[(*m)++] = vals[i];
        }
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

int cli_replayed_trace(const char *cmd, const char *each, int argc, char **argv, int optind_,
                       const cli_gen_opts *g, const char **trace) {
    if (optind_ < argc - 1)
        return cli_error(cmd, CLI_USAGE, "expected one TRACE, found also '%s'", argv[optind_ + 1]);
    *trace = optind_ < argc ? argv[optind_] : NULL;
    if ((*trace == NULL) == (g->preset == NULL))
        return cli_error(cmd, CLI_USAGE, "expected a TRACE file or --preset NAME (one of them)");
    if (*trace != NULL && strcmp(*trace, "-") == 0)
        return cli_error(cmd, CLI_USAGE, "standard input cannot be replayed once per %s: write "
                         "the trace to a file", each);
    if (*trace != NULL && g->any)
        return cli_error(cmd, CLI_USAGE, "workload options (--keys, --seed, ...) apply to "
                         "--preset, not to a trace file");
    if (*trace != NULL && access(*trace, R_OK) != 0)
        return cli_error(cmd, CLI_FAIL, "cannot open trace '%s': %s", *trace, strerror(errno));
    return -1;
}

/* Takes a generator option; returns 1 if opt was one. */
int cli_gen_opt(cli_gen_opts *g, int opt, const char *arg) {
    const char **slot = NULL;
    switch (opt) {
    case OPT_PRESET: g->preset = arg; return 1;
    case OPT_SEED: slot = &g->seed; break;
    case OPT_KEYS: slot = &g->keys; break;
    case OPT_RATE: slot = &g->rate; break;
    case OPT_INSERT_SECONDS: slot = &g->insert_seconds; break;
    case OPT_SIZES: slot = &g->sizes; break;
    case OPT_TTL: slot = &g->ttl; break;
    case OPT_OBSERVE: g->observe = arg; return 1; /* for a trace file too */
    case OPT_KEY_PREFIX: slot = &g->key_prefix; break;
    default: return 0;
    }
    *slot = arg;
    g->any = 1;
    return 1;
}

/* getopt's failures, in our words.  getopt leaves the culprit at
 * argv[optind - 1] and sets optopt to the option that lacked its value
 * (0 for an unknown long option). */
int cli_bad_option(const char *cmd, int argc, char **argv) {
    const char *culprit = optind - 1 < argc ? argv[optind - 1] : "?";
    if (optopt != 0 && optopt < 256 && strncmp(culprit, "--", 2) != 0)
        return cli_error(cmd, CLI_USAGE, "option '-%c' %s (see fragsim %s --help)", optopt,
                         optopt == 'o' ? "needs a value" : "is unknown", cmd);
    if (optopt != 0)
        return cli_error(cmd, CLI_USAGE, "option '%s' needs a value (see fragsim %s --help)",
                         culprit, cmd);
    return cli_error(cmd, CLI_USAGE, "unknown option '%s' (see fragsim %s --help)", culprit, cmd);
}

static void run_usage(void) {
    printf("usage: fragsim run [TRACE | - | --preset NAME] [options]\n\n"
           "Replays a trace file (or standard input, or a built-in workload) against one\n"
           "allocator in this process and writes a results directory: series.csv (one row\n"
           "per sample), summary.json and info.txt; prints the INFO-memory-style block.\n\n"
           "options:\n"
           "  --allocator NAME      allocator under test (default %s; fragsim allocators);\n"
           "                        preload:PATH.so runs any allocator under LD_PRELOAD\n"
           "  --config FILE         a redis.conf: checked as Redis checks it and recorded in\n"
           "                        summary.json; its hz drives the cron tick, its\n"
           "                        maxmemory evicts, its activedefrag defragments\n"
           "  --allocator-options S the allocator's options in its own syntax, checked\n"
           "                        (jemalloc: MALLOC_CONF's dirty_decay_ms:1000,narenas:1)\n"
           "  --format NAME         trace format (default: detected): text, binary,\n"
           "                        cachelib, twitter, oracleGeneral; .zst read as is\n"
           "  --fill-on-miss        a GET miss whose size the trace knows stores a value\n"
           "                        of that size (look-aside caching; traces/FORMAT.md)\n"
           "  --sample-interval S   virtual seconds between samples (default 10)\n"
           "  --page-map-at T,...   at these virtual seconds, write pagemap-T.csv (the\n"
           "                        heap's pages and the live bytes in each) and, for\n"
           "                        jemalloc, bins-T.csv (size classes); fragsim report\n"
           "                        draws them\n"
           CLI_TIME_HELP
           "  -o, --output DIR      results directory (default results/NAME-ALLOCATOR);\n"
           "                        replaced if it holds an earlier run's results\n"
           "  --progress, --no-progress  progress on stderr (default: when a terminal)\n"
           "  -q, --quiet           do not print the INFO block\n\n" CLI_REDIS_HELP "\n" CLI_REMEDY_HELP "\n" CLI_GEN_HELP
           "\nThe settings in force, scaled ones included, are recorded in summary.json.\n",
           FRAGSIM_DEFAULT_ALLOCATOR);
}

int cli_run(int argc, char **argv) {
    static const struct option longopts[] = {
        CLI_GEN_LONGOPTS,
        CLI_REMEDY_LONGOPTS,
        {"allocator", required_argument, 0, OPT_ALLOCATOR},
        {"allocator-options", required_argument, 0, OPT_ALLOCATOR_OPTIONS},
        {"config", required_argument, 0, OPT_CONFIG},
        CLI_TIME_LONGOPTS,
        {"format", required_argument, 0, OPT_FORMAT},
        {"fill-on-miss", no_argument, 0, OPT_FILL_ON_MISS},
        CLI_REDIS_LONGOPTS,
        {"sample-interval", required_argument, 0, OPT_SAMPLE_INTERVAL},
        {"page-map-at", required_argument, 0, OPT_PAGE_MAP_AT},
        CLI_OUTPUT_LONGOPTS,
    };
    cli_gen_opts g = {0};
    fs_err err;
    int nmaps;
    run_config cfg = {.sample_interval = 10, .progress = isatty(STDERR_FILENO), .print_info = 1};
    cli_time_opts t = {0};
    cli_remedy_opts rem = {0};
    cli_redis_opts ro = {0};
    static transform_spec spec;
    const char *allocator = NULL, *interval = NULL, *alloc_opts = NULL, *config = NULL;
    int opt;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        if (cli_gen_opt(&g, opt, optarg) || cli_time_opt(&t, opt, optarg) ||
            cli_remedy_opt(&rem, opt, optarg) || cli_redis_opt(&ro, opt, optarg))
            continue;
        switch (opt) {
        case OPT_ALLOCATOR: allocator = optarg; break;
        case OPT_ALLOCATOR_OPTIONS: alloc_opts = optarg; break;
        case OPT_CONFIG: config = optarg; break;
        case OPT_FORMAT: cfg.format = optarg; break;
        case OPT_FILL_ON_MISS: cfg.fill_on_miss = 1; break;
        case OPT_SAMPLE_INTERVAL: interval = optarg; break;
        case OPT_PAGE_MAP_AT:
            if ((nmaps = cli_page_map_times(optarg, cfg.page_map_at, RUN_MAX_PAGE_MAPS, &err)) < 0)
                return cli_error("run", CLI_USAGE, "%s", err.msg);
            cfg.npage_map_at = (size_t)nmaps;
            break;
        case 'o': cfg.out_dir = optarg; break;
        case OPT_PROGRESS: cfg.progress = 1; break;
        case OPT_NO_PROGRESS: cfg.progress = 0; break;
        case 'q': cfg.print_info = 0; break;
        case 'h': run_usage(); return CLI_OK;
        default: return cli_bad_option("run", argc, argv);
        }
    }
    if (backend_self == NULL)
        return cli_error("run", CLI_USAGE, "this executable holds no allocator; run it as fragsim");
    int is_preload = allocator != NULL && strncmp(allocator, "preload:", 8) == 0;
    if (allocator != NULL && strcmp(allocator, backend_self->name) != 0 &&
        !(is_preload && strcmp(backend_self->name, "preload") == 0))
        return cli_error("run", CLI_USAGE, "this worker runs '%s', not '%s'", backend_self->name,
                         allocator);
    cfg.allocator = allocator ? allocator : backend_self->name;
    cli_time tm;
    if (cli_time_params(&t, &tm, &err) != 0 || cli_remedy_spec(&rem, &spec, &err) != 0)
        return cli_error("run", CLI_USAGE, "%s", err.msg);
    cfg.transform = &spec;
    if (optind < argc - 1)
        return cli_error("run", CLI_USAGE, "expected one TRACE, found also '%s'", argv[optind + 1]);
    cfg.trace_path = optind < argc ? argv[optind] : NULL;
    if (cfg.trace_path != NULL && g.preset != NULL)
        return cli_error("run", CLI_USAGE, "give a TRACE or --preset, not both");
    if (cfg.trace_path == NULL && g.preset == NULL)
        return cli_error("run", CLI_USAGE, "expected a TRACE file (or - for stdin) or --preset NAME "
                         "(fragsim presets lists them)");
    if (cfg.trace_path != NULL && g.any)
        return cli_error("run", CLI_USAGE, "workload options (--keys, --seed, ...) apply to "
                         "--preset, not to a trace file");
    if (cfg.trace_path != NULL && g.observe != NULL &&
        (units_parse_double(g.observe, &cfg.observe) != 0 || cfg.observe > 1e9))
        return cli_error("run", CLI_USAGE, "--observe '%s': expected virtual seconds, 0 or more",
                         g.observe);
    if (cfg.trace_path == NULL) {
        if (cli_gen_params(&g, &cfg.gen, &err) != 0) return cli_error("run", CLI_USAGE, "%s", err.msg);
        cfg.preset = g.preset;
    }
    /* The Redis model's settings: Redis's defaults, the preset's, the
     * redis.conf (checked as Redis checks it and recorded), the command
     * line.  A preset's or redis.conf's hz drives the cron tick unless --hz
     * says otherwise. */
    static redis_conf rconf;
    static redis_conf_notes rnotes;
    cli_redis_layers lay;
    if (cli_redis_layers_apply(&ro, cfg.trace_path ? NULL : g.preset, &cfg.gen, config, &rconf,
                               &rnotes, &lay, &err) != 0)
        return cli_error("run", CLI_USAGE, "%s", err.msg);
    if (config != NULL) {
        if (rnotes.text[0] != '\0' && cfg.print_info) fprintf(stderr, "fragsim run: %s", rnotes.text);
        cfg.redis_config_path = config;
    }
    if (t.speed == NULL && t.clock == NULL && lay.speed[0]) {
        t.speed = lay.speed;
        if (cli_time_params(&t, &tm, &err) != 0)
            return cli_error("run", CLI_USAGE, "preset %s: %s", g.preset, err.msg);
    }
    cfg.clock = tm.wall_clock ? RUN_CLOCK_WALL : RUN_CLOCK_VIRTUAL;
    cfg.speed = tm.speed;
    cfg.hz = tm.hz;
    cfg.purge_every = tm.purge_every;
    cfg.allocator_tick_events = tm.tick_events;
    /* redis.conf's jemalloc-bg-thread applies when a file says it (Redis's
     * default, yes, is recorded but the allocator's own options stand). */
    cfg.background_thread = config != NULL ? rconf.jemalloc_bg_thread : -1;
    if (t.hz == NULL && lay.hz_set) cfg.hz = rconf.hz;
    if (interval == NULL && lay.sample_interval[0]) interval = lay.sample_interval;
    if (interval != NULL && (units_parse_double(interval, &cfg.sample_interval) != 0 ||
                             cfg.sample_interval <= 0 || cfg.sample_interval > 1e9))
        return cli_error("run", CLI_USAGE,
                         "--sample-interval '%s': expected virtual seconds above 0", interval);
    cfg.object_model = lay.om;
    cfg.expiry = lay.ex;
    cfg.activedefrag_at = lay.activedefrag_at;
    cfg.defrag_hint = lay.hint;
    cfg.redis = &rconf;
    if (rconf.activedefrag && cfg.hz <= 0)
        return cli_error("run", CLI_USAGE, "activedefrag runs on the cron tick: it needs hz above 0");
    {
        const char *applied = getenv(APPLIED_ENV), *mode = getenv(VCLOCK_ENV);
        int virtual_clock = cfg.clock == RUN_CLOCK_VIRTUAL;
        if ((alloc_opts != NULL && (applied == NULL || strcmp(applied, alloc_opts) != 0)) ||
            mode == NULL || strcmp(mode, virtual_clock ? "virtual" : "wall") != 0)
            return reexec_with(alloc_opts, virtual_clock);
        cfg.allocator_options = alloc_opts;
    }
    /* After every check: the sample's measurement and the TTL pre-pass
     * cost a reading each. */
    static transform_stats tstats;
    spec.stats = &tstats;
    int prc = cli_remedy_prepare(&spec, cfg.trace_path, cfg.format, &cfg.gen, &err);
    if (prc != 0) return cli_error("run", prc == -2 ? CLI_USAGE : CLI_FAIL, "%s", err.msg);
    char out[1024];
    if (cfg.out_dir == NULL) {
        char base[512];
        snprintf(base, sizeof base, "%s", cfg.trace_path ? cfg.trace_path : g.preset);
        const char *name = strcmp(base, "-") == 0 ? "stdin" : basename(base);
        snprintf(out, sizeof out, "results/%.400s-%s", name,
                 is_preload ? "preload" : backend_self->name);
        cfg.out_dir = out;
    }
    if (run_execute(&cfg, backend_self, NULL, &err) != 0)
        return cli_error("run", CLI_FAIL, "%s", err.msg);
    return CLI_OK;
}

static void gen_usage(void) {
    printf("usage: fragsim gen [--preset NAME] [options] [-o FILE]\n\n"
           "Writes a synthetic trace in fragsim's text format (traces/FORMAT.md): the same\n"
           "options and seed give the same trace, byte for byte.\n\n"
           "options:\n"
           "  -o, --output FILE     where to write (default: standard output); the file\n"
           "                        appears only when complete\n\n" CLI_GEN_HELP);
}

int cli_gen(int argc, char **argv) {
    static const struct option longopts[] = {
        CLI_GEN_LONGOPTS,
        {"output", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    cli_gen_opts g = {0};
    const char *out = NULL;
    int opt;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        if (cli_gen_opt(&g, opt, optarg)) continue;
        switch (opt) {
        case 'o': out = optarg; break;
        case 'h': gen_usage(); return CLI_OK;
        default: return cli_bad_option("gen", argc, argv);
        }
    }
    if (optind < argc) return cli_error("gen", CLI_USAGE, "unexpected argument '%s'", argv[optind]);
    fs_err err;
    gen_params p;
    trace_reader tr;
    if (cli_gen_params(&g, &p, &err) != 0 || trace_gen_open(&tr, &p, &err) != 0)
        return cli_error("gen", CLI_USAGE, "%s", err.msg);

    /* Written beside the target and renamed at the end: never half a file. */
    char tmp[1100] = "";
    int fd = STDOUT_FILENO;
    if (out != NULL && strcmp(out, "-") != 0) {
        snprintf(tmp, sizeof tmp, "%s.partial-%ld", out, (long)getpid());
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (fd < 0) {
            trace_close(&tr);
            return cli_error("gen", CLI_FAIL, "cannot create '%s': %s", out, strerror(errno));
        }
    }
    outbuf ob;
    int rc = outbuf_open(&ob, fd, out ? out : "standard output", &err);
    if (rc == 0) {
        trace_text_write_header(&ob);
        outbuf_printf(&ob, "# fragsim gen%s%s seed %llu\n", g.preset ? " --preset " : "",
                      g.preset ? g.preset : "", (unsigned long long)p.seed);
        trace_event ev;
        while ((rc = trace_next(&tr, &ev, &err)) == 1 && ob.error == 0)
            trace_text_write_event(&ob, &ev);
        if (outbuf_close(&ob, rc < 0 ? NULL : &err) != 0) rc = -1;
    }
    trace_close(&tr);
    if (rc == 0 && tmp[0] && rename(tmp, out) != 0) {
        rc = fs_errf(&err, "cannot rename '%s' to '%s': %s", tmp, out, strerror(errno));
    }
    if (rc != 0) {
        if (tmp[0]) unlink(tmp);
        return cli_error("gen", CLI_FAIL, "%s", err.msg);
    }
    return CLI_OK;
}
