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
#include "../base/outfile.h"
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

int cli_replayed_trace(const char *cmd, const char *each, int argc, char **argv, int optind_,
                       const cli_gen_opts *g, const char *format, const char **trace) {
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
    if (*trace == NULL && format != NULL)
        return cli_error(cmd, CLI_USAGE, "--format %s applies to a TRACE file, not to --preset",
                         format);
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
           "  --allocator-options S the allocator's options in its own syntax, checked\n"
           "                        (jemalloc: MALLOC_CONF's dirty_decay_ms:1000,narenas:1)\n"
           CLI_REPLAY_HELP
           "  -o, --output DIR      results directory (default results/NAME-ALLOCATOR);\n"
           "                        replaced if it holds an earlier run's results\n"
           "  -q, --quiet           do not print the INFO block\n"
           "  --columns             print series.csv's columns, in order, with their\n"
           "                        meaning, and exit\n\n" CLI_REDIS_HELP "\n" CLI_REMEDY_HELP "\n" CLI_GEN_HELP
           "\nThe settings in force, scaled ones included, are recorded in summary.json.\n",
           FRAGSIM_DEFAULT_ALLOCATOR);
}

int cli_run(int argc, char **argv) {
    static const struct option longopts[] = {
        CLI_GEN_LONGOPTS,
        CLI_REMEDY_LONGOPTS,
        CLI_REDIS_LONGOPTS,
        {"allocator", required_argument, 0, OPT_ALLOCATOR},
        {"columns", no_argument, 0, OPT_COLUMNS},
        CLI_REPLAY_LONGOPTS,
    };
    cli_gen_opts g = {0};
    fs_err err;
    cli_replay_opts r;
    cli_remedy_opts rem = {0};
    cli_redis_opts ro = {0};
    static transform_spec spec;
    int opt;
    cli_replay_init(&r);
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        if (cli_gen_opt(&g, opt, optarg) || cli_replay_opt(&r, opt, optarg) ||
            cli_remedy_opt(&rem, opt, optarg) || cli_redis_opt(&ro, opt, optarg))
            continue;
        if (opt == 'h') {
            run_usage();
            return CLI_OK;
        }
        if (opt == OPT_COLUMNS) {
            /* From the table the writers use, so the docs cannot drift. */
            for (size_t i = 0; i < sample_ncolumns; i++)
                printf("%-26s %s\n", sample_columns[i].name, sample_columns[i].meaning);
            return CLI_OK;
        }
        return cli_bad_option("run", argc, argv);
    }
    run_config cfg = {.sample_interval = 10, .progress = r.progress, .print_info = !r.quiet,
                      .format = r.format, .fill_on_miss = r.fill_on_miss, .out_dir = r.out, .force = r.force};
    int rc_check = cli_replay_check("run", &r, 1, 0, 0, NULL, cfg.page_map_at, &cfg.npage_map_at);
    if (rc_check >= 0) return rc_check;
    cli_time_opts t = r.time;
    const char *allocator = r.allocator, *interval = r.sample_interval, *config = r.config;
    const char *alloc_opts = r.nallocator_options ? r.allocator_options[0] : NULL;
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
    if (cfg.trace_path == NULL && r.format != NULL)
        return cli_error("run", CLI_USAGE, "--format %s applies to a TRACE file, not to --preset",
                         r.format);
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
    if (cli_replay_sampling(&r, cfg.trace_path == NULL ? cfg.gen.seed : 0, &spec, &err) != 0)
        return cli_error("run", CLI_USAGE, "%s", err.msg);
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
    if (spec.hash_pack && lay.om != OM_REDIS)
        return cli_error("run", CLI_USAGE, "--hash-pack %s: hashes are Redis's objects, their "
                         "listpack and hashtable encodings what it saves; give --object-model "
                         "redis (the baseline's too, to compare)", rem.hash_pack);
    if (spec.hash_pack && cfg.fill_on_miss)
        return cli_error("run", CLI_USAGE, "--hash-pack with --fill-on-miss: a GET becomes a "
                         "lookup of the key's hash, whose misses are not the key's");
    cfg.expiry = lay.ex;
    cfg.expire_key_ns = lay.expire_key_ns;
    cfg.expire_hash_seed = lay.expire_hash_seed;
    cfg.activedefrag_at = lay.activedefrag_at;
    cfg.defrag_hint = lay.hint;
    cfg.redis = &rconf;
    if (r.redis_version != NULL && redis_version_parse(r.redis_version, &cfg.redis_version, &err) != 0)
        return cli_error("run", CLI_USAGE, "%s", err.msg);
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
    outfile of;
    if (outfile_open(&of, out, &err) != 0) {
        trace_close(&tr);
        return cli_error("gen", CLI_FAIL, "%s", err.msg);
    }
    outbuf ob;
    int rc = outbuf_open(&ob, of.fd, of.name, &err);
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
    if (rc == 0) rc = outfile_commit(&of, &err);
    if (rc != 0) {
        outfile_abort(&of);
        return cli_error("gen", CLI_FAIL, "%s", err.msg);
    }
    return CLI_OK;
}
