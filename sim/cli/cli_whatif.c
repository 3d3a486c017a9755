/* `fragsim whatif`: the baseline and each remedy (or combination of
 * remedies), each replayed by a `fragsim run` child of its own, gathered by
 * analysis/whatif.c into one table against the baseline.
 *
 * A remedy is a set of run options (cli_remedy.c); sharding over separate
 * instances is one child per shard, `--shard K/N`, as separate servers
 * would hold them. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../analysis/results.h"
#include "../../analysis/whatif.h"
#include "children.h"
#include "cli.h"
#include "fragsim_config.h"
#include "../redis_conf.h"
#include "run.h"
#include "../base/units.h"

#define MAX_REMEDIES 32
#define DEFAULT_REMEDIES "pad-pow2,compress:0.5,shard-size:process,uniform-ttl"

static void whatif_usage(void) {
    printf("usage: fragsim whatif [TRACE | --preset NAME] [--remedies LIST] [options]\n\n"
           "Replays the trace as it is (the baseline) and under each remedy, each in its own\n"
           "process, and prints one table: peak and final RSS, used_memory, requested bytes,\n"
           "process and allocator fragmentation, CPU seconds, and the change against the\n"
           "baseline; then the container limit each needs for a maxmemory; then the\n"
           "seed's checklist for the configuration (--config, else Redis's defaults) on\n"
           "the baseline: activedefrag, its thresholds and cycle-max, headroom, the\n"
           "fragmentation alerts, value-size and TTL spread, each passed, failed or n/a\n"
           "with its number.  Writes whatif.csv, whatif.txt, checklist.txt and\n"
           "checklist.csv, and every run's results directory.\n\n"
           "remedies (--remedies, comma-separated; + combines, pad-pow2+uniform-ttl):\n"
           "  pad-pow2              value sizes up to a power of two\n"
           "  pad:N                 value sizes up to a multiple of N bytes\n"
           "  compress:R[:MIN]      values of at least MIN bytes shrink to R of their size\n"
           "  shard-size:process    one instance (process) per size class (--shard-by-size)\n"
           "  shard-ttl:process     one instance per TTL class (--shard-by-ttl)\n"
           "  shard-size:arenas     the size classes in one process, a jemalloc arena each\n"
           "  shard-ttl:arenas      the TTL classes in one process, a jemalloc arena each\n"
           "  uniform-ttl           keys of one prefix share the first TTL seen (--uniform-ttl)\n"
           "  uniform-ttl:STAT      ... or their SETs' min, max, mean or median TTL\n"
           "  activedefrag          Redis's active defrag on (--activedefrag yes; settings\n"
           "                        from --config, else Redis's defaults)\n"
           "  hash-pack[:N][:ttl=bucket]  string keys as fields of hashes of at most N fields\n"
           "                        (default 100; --hash-pack); needs --object-model redis\n"
           "  compress-sample[:MIN] the ratio zstd gets on --compress-sample FILE, for values\n"
           "                        of at least MIN bytes (default 1 KiB), its CPU charged\n"
           "  default: " DEFAULT_REMEDIES ",\n"
           "  and compress-sample when --compress-sample is given\n\n"
           "options:\n"
           "  --shard-by-size B,... size classes for shard-size (default 1024,10240)\n"
           "  --shard-by-ttl S,...  TTL classes in seconds for shard-ttl (default 300,3600)\n"
           "  --uniform-ttl SEP[:STAT]  the byte ending a key's prefix (default :), and the\n"
           "                        statistic of uniform-ttl (default first)\n"
           "  --compress-sample FILE  sample values for compress-sample (run --help)\n"
           "  --compress-level N    zstd's level for compress-sample (default 3)\n"
           "  --object-model M      every run's object model (raw, redis: run --help)\n"
           "  --maxmemory BYTES     for the headroom (default: --config's, else the\n"
           "                        baseline's peak used_memory)\n"
           "  --safety-margin P     percent over peak RSS for the container limit (default 20)\n"
           "  --allocator NAME      the allocator (default %s)\n"
           "  --allocator-options S its options (fragsim run --help)\n"
           "  --jobs N              runs side by side (default 1)\n"
           "  -o, --output DIR      results directory (default results/whatif-NAME)\n"
           CLI_REPLAY_HELP
           "  -q, --quiet           do not print the tables\n\n" CLI_GEN_HELP,
           FRAGSIM_DEFAULT_ALLOCATOR);
}

/* Strings the children's argv point to, freed at the end. */
typedef struct pool {
    char *s[4096];
    size_t n;
} pool;

static const char *keep(pool *p, char *s) {
    if (s != NULL && p->n < sizeof p->s / sizeof *p->s) p->s[p->n++] = s;
    return s;
}

/* One remedy of the list, as run options.  shard_by: 0, 's' or 't';
 * arenas: its shards share one process, an arena each. */
typedef struct remedy {
    cli_remedy_opts opts;
    int shard_by;
    int arenas;
} remedy;

/* What whatif's own options give the remedies of the list. */
typedef struct remedy_base {
    const char *sizes, *ttls; /* shard classes */
    const char *sep;          /* --uniform-ttl SEP[:STAT] */
    const char *sample, *level; /* --compress-sample, --compress-level */
} remedy_base;

static int parse_remedy(const char *item, remedy *r, const remedy_base *b, pool *p, fs_err *err) {
    const char *sizes = b->sizes, *ttls = b->ttls;
    memset(r, 0, sizeof *r);
    char buf[256];
    if (strlen(item) >= sizeof buf) return fs_errf(err, "remedy '%s': too long", item);
    snprintf(buf, sizeof buf, "%s", item);
    for (char *save, *c = strtok_r(buf, "+", &save); c; c = strtok_r(NULL, "+", &save)) {
        if (strcmp(c, "pad-pow2") == 0) r->opts.pad = "pow2";
        else if (strncmp(c, "pad:", 4) == 0) r->opts.pad = keep(p, strdup(c + 4));
        else if (strncmp(c, "compress:", 9) == 0) r->opts.compress = keep(p, strdup(c + 9));
        else if (strcmp(c, "uniform-ttl") == 0) r->opts.uniform_ttl = b->sep;
        else if (strcmp(c, "activedefrag") == 0) r->opts.activedefrag = "yes";
        else if (strcmp(c, "hash-pack") == 0) r->opts.hash_pack = "100";
        else if (strncmp(c, "hash-pack:", 10) == 0) r->opts.hash_pack = keep(p, strdup(c + 10));
        else if (strncmp(c, "uniform-ttl:", 12) == 0) {
            char *u = NULL;
            if (asprintf(&u, "%c:%s", b->sep[0], c + 12) < 0) return fs_errf(err, "out of memory");
            r->opts.uniform_ttl = keep(p, u);
        } else if (strcmp(c, "compress-sample") == 0 || strncmp(c, "compress-sample:", 16) == 0) {
            if (b->sample == NULL)
                return fs_errf(err, "remedy '%s': needs --compress-sample FILE", item);
            r->opts.compress_sample = b->sample;
            r->opts.compress_level = b->level;
            if (c[15] == ':') {
                char *v = NULL;
                if (asprintf(&v, "sample:%s", c + 16) < 0) return fs_errf(err, "out of memory");
                r->opts.compress = keep(p, v);
            }
        }
        else if (strcmp(c, "shard-size:process") == 0 || strcmp(c, "shard-ttl:process") == 0 ||
                 strcmp(c, "shard-size:arenas") == 0 || strcmp(c, "shard-ttl:arenas") == 0) {
            if (r->shard_by)
                return fs_errf(err, "remedy '%s': one sharding per remedy", item);
            r->shard_by = c[6] == 's' ? 's' : 't';
            r->arenas = strstr(c, ":arenas") != NULL;
            if (r->shard_by == 's') r->opts.shard_by_size = sizes;
            else r->opts.shard_by_ttl = ttls;
            if (r->arenas) r->opts.shard = "arenas";
        } else {
            return fs_errf(err, "remedy '%s': unknown '%s' (pad-pow2, pad:N, compress:R[:MIN], "
                           "compress-sample[:MIN], shard-size:process|arenas, "
                           "shard-ttl:process|arenas, uniform-ttl[:STAT], hash-pack[:N][:ttl=bucket], "
                           "activedefrag; + "
                           "combines)", item, c);
        }
    }
    /* Checked now, as run would check it, so no child fails on a typo. */
    transform_spec spec;
    cli_remedy_opts check = r->opts;
    char k[32];
    if (r->arenas && r->opts.activedefrag)
        return fs_errf(err, "remedy '%s': active defrag with shards in arenas is not modelled "
                       "(shard-size:process+activedefrag is)", item);
    if (r->shard_by && !r->arenas) {
        transform_spec tmp = {.shard = -1};
        if (transform_parse_shard_by(&tmp, r->shard_by == 's' ? TRANSFORM_SHARD_SIZE
                                                              : TRANSFORM_SHARD_TTL,
                                     r->shard_by == 's' ? sizes : ttls, err) != 0)
            return -1;
        snprintf(k, sizeof k, "1/%d", transform_nshards(&tmp));
        check.shard = k;
    }
    if (cli_remedy_spec(&check, &spec, err) != 0) return fs_err_prefix(err, "remedy '%s'", item);
    return 0;
}

/* The remedy's shards, labelled "K/N" and by class, into e; returns how
 * many (1 unsharded). */
static int shard_count(const remedy *r, whatif_entry *e) {
    if (!r->shard_by) return 1;
    transform_spec t = {.shard = -1};
    fs_err err;
    const char *b = r->shard_by == 's' ? r->opts.shard_by_size : r->opts.shard_by_ttl;
    if (transform_parse_shard_by(&t, r->shard_by == 's' ? TRANSFORM_SHARD_SIZE
                                                        : TRANSFORM_SHARD_TTL, b, &err) != 0)
        return 1;
    int n = transform_nshards(&t);
    for (int k = 0; k < n && k < WHATIF_MAX_SHARDS; k++) {
        snprintf(e->shard_label[k], sizeof e->shard_label[k], "%d/%d", k + 1, n);
        transform_shard_class(&t, k, e->shard_class[k], sizeof e->shard_class[k]);
    }
    return n;
}

/* The trace's SETs, counted for the checklist's spreads (one more reading
 * of the trace, here in the front end). */
static int checklist_sets(checklist_measures *cm, const char *trace, const char *format,
                          const gen_params *gp, fs_err *err) {
    trace_reader r;
    if ((trace ? trace_open(&r, trace, format, err) : trace_gen_open(&r, gp, err)) != 0) return -1;
    int rc = checklist_read_trace(cm, &r, err);
    trace_close(&r);
    return rc;
}

int cli_whatif(int argc, char **argv) {
    static const struct option longopts[] = {
        CLI_GEN_LONGOPTS,
        {"remedies", required_argument, 0, OPT_REMEDIES},
        {"shard-by-size", required_argument, 0, OPT_SHARD_BY_SIZE},
        {"shard-by-ttl", required_argument, 0, OPT_SHARD_BY_TTL},
        {"uniform-ttl", required_argument, 0, OPT_UNIFORM_TTL},
        {"compress-sample", required_argument, 0, OPT_COMPRESS_SAMPLE},
        {"compress-level", required_argument, 0, OPT_COMPRESS_LEVEL},
        {"maxmemory", required_argument, 0, OPT_MAXMEMORY},
        {"safety-margin", required_argument, 0, OPT_SAFETY_MARGIN},
        {"object-model", required_argument, 0, OPT_OBJECT_MODEL},
        {"allocator", required_argument, 0, OPT_ALLOCATOR},
        CLI_JOBS_LONGOPT,
        CLI_REPLAY_LONGOPTS,
    };
    cli_gen_opts g = {0};
    cli_replay_opts r;
    const char *list = NULL, *sample = NULL, *level = NULL, *sizes = "1024,10240", *ttls = "300,3600", *sep = ":";
    const char *maxmem = NULL, *margin_s = NULL, *om = NULL;
    int opt;
    uint64_t jobs;
    cli_replay_init(&r);
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        if (cli_gen_opt(&g, opt, optarg) || cli_replay_opt(&r, opt, optarg)) continue;
        switch (opt) {
        case OPT_REMEDIES: list = optarg; break;
        case OPT_SHARD_BY_SIZE: sizes = optarg; break;
        case OPT_SHARD_BY_TTL: ttls = optarg; break;
        case OPT_UNIFORM_TTL: sep = optarg; break;
        case OPT_COMPRESS_SAMPLE: sample = optarg; break;
        case OPT_COMPRESS_LEVEL: level = optarg; break;
        case OPT_MAXMEMORY: maxmem = optarg; break;
        case OPT_SAFETY_MARGIN: margin_s = optarg; break;
        case OPT_OBJECT_MODEL: om = optarg; break;
        case 'h': whatif_usage(); return CLI_OK;
        default: return cli_bad_option("whatif", argc, argv);
        }
    }
    int rc_check = cli_replay_check("whatif", &r, 1, 0, 64, &jobs, NULL, NULL);
    if (rc_check >= 0) return rc_check;
    const char *allocator = r.allocator ? r.allocator : FRAGSIM_DEFAULT_ALLOCATOR;
    const char *alloc_opts = r.nallocator_options ? r.allocator_options[0] : NULL;
    const char *format = r.format, *config = r.config, *out = r.out;
    int progress = r.progress, quiet = r.quiet;
    const char *trace;
    int rc_trace = cli_replayed_trace("whatif", "remedy", argc, argv, optind, &g, r.format, &trace);
    if (rc_trace >= 0) return rc_trace;
    fs_err err;
    gen_params gp;
    double margin = 20;
    cli_time tm;
    if ((g.preset != NULL && cli_gen_params(&g, &gp, &err) != 0) ||
        cli_time_params(&r.time, &tm, &err) != 0)
        return cli_error("whatif", CLI_USAGE, "%s", err.msg);
    if (level != NULL && sample == NULL)
        return cli_error("whatif", CLI_USAGE, "--compress-level '%s': only with --compress-sample "
                         "FILE", level);
    whatif_headroom h = {0};
    if (margin_s && (units_parse_double(margin_s, &margin) != 0 || margin > 1000))
        return cli_error("whatif", CLI_USAGE, "--safety-margin '%s': expected percent, 0 to 1000",
                         margin_s);
    h.margin = margin / 100;
    /* The configuration the checklist is evaluated for: --config's, or
     * Redis's defaults. */
    static redis_conf rconf;
    static redis_conf_notes notes;
    redis_conf_default(&rconf);
    if (config && redis_conf_load(&rconf, config, &notes, &err) != 0)
        return cli_error("whatif", CLI_USAGE, "%s", err.msg);
    if (maxmem) {
        if (units_parse_bytes(maxmem, &h.maxmemory) != 0 || h.maxmemory == 0)
            return cli_error("whatif", CLI_USAGE, "--maxmemory '%s': expected bytes (4gb)", maxmem);
        h.maxmemory_from = "--maxmemory";
    } else if (config) {
        h.maxmemory = rconf.maxmemory;
        h.maxmemory_from = "--config";
    }

    /* The remedies, checked before anything runs; the baseline first. */
    pool p = {0};
    remedy *rem = calloc(MAX_REMEDIES + 1, sizeof *rem);
    whatif_entry *ent = calloc(MAX_REMEDIES + 1, sizeof *ent);
    size_t n = 1, nkids = 1;
    int rc = CLI_USAGE;
    snprintf(ent[0].remedy, sizeof ent[0].remedy, "baseline");
    ent[0].nshards = 1;
    const remedy_base base = {sizes, ttls, sep, sample, level};
    char *items = strdup(list ? list
                         : sample ? DEFAULT_REMEDIES ",compress-sample" : DEFAULT_REMEDIES);
    for (char *save, *it = strtok_r(items, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
        if (n == MAX_REMEDIES + 1) {
            cli_error("whatif", CLI_USAGE, "at most %d remedies", MAX_REMEDIES);
            goto out;
        }
        if (parse_remedy(it, &rem[n], &base, &p, &err) != 0) {
            cli_error("whatif", CLI_USAGE, "%s", err.msg);
            goto out;
        }
        if (rem[n].opts.hash_pack && (om == NULL || strcmp(om, "redis") != 0)) {
            cli_error("whatif", CLI_USAGE, "remedy '%s': hashes are Redis's objects; give "
                      "--object-model redis (every run's, the baseline's too)", it);
            goto out;
        }
        snprintf(ent[n].remedy, sizeof ent[n].remedy, "%s", it);
        ent[n].nshards = shard_count(&rem[n], &ent[n]);
        if (rem[n].arenas) {
            ent[n].narenas = ent[n].nshards;
            ent[n].nshards = 1;
        }
        if (ent[n].nshards > WHATIF_MAX_SHARDS) {
            cli_error("whatif", CLI_USAGE, "remedy '%s': at most %d shards", it, WHATIF_MAX_SHARDS);
            goto out;
        }
        nkids += (size_t)ent[n].nshards;
        n++;
    }

    char outdir[1024];
    if (out == NULL) {
        char base[512];
        snprintf(base, sizeof base, "%s", trace ? trace : g.preset);
        snprintf(outdir, sizeof outdir, "results/whatif-%.400s", basename(base));
        out = outdir;
    }
    rc = CLI_FAIL;
    results_dir rd;
    char self[PATH_MAX];
    if (children_self(self, sizeof self) != 0) {
        cli_error("whatif", CLI_FAIL, "cannot find this executable");
        goto out;
    }
    if (results_dir_begin(&rd, out, RESULTS_WHATIF, r.force, &err) != 0) {
        cli_error("whatif", CLI_FAIL, "%s", err.msg);
        goto out;
    }
    child_job *kids = calloc(nkids, sizeof *kids);
    cli_pair pass[CLI_MAX_PAIRS]; /* the workload's and the replay's, as given */
    int npass = 0;
    cli_gen_pairs(&g, pass, &npass);
    cli_replay_pairs(&r, pass, &npass);
    size_t kj = 0;
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < ent[i].nshards; k++, kj++) {
            child_job *j = &kids[kj];
            char name[256];
            whatif_run_dirname(i, ent[i].remedy, name, sizeof name);
            if (ent[i].nshards > 1) {
                snprintf(ent[i].dir[k], sizeof ent[i].dir[k], "%s/%s/shard-%d", rd.partial, name,
                         k + 1);
            } else {
                snprintf(ent[i].dir[k], sizeof ent[i].dir[k], "%s/%s", rd.partial, name);
            }
            snprintf(j->errfile, sizeof j->errfile, "%s/.stderr-%zu", rd.partial, kj);
            j->label = ent[i].nshards > 1 ? keep(&p, strdup(ent[i].dir[k] + strlen(rd.partial) + 1))
                                          : ent[i].remedy;
            int m = 0;
            j->argv[m++] = self;
            j->argv[m++] = "run";
            if (trace) j->argv[m++] = trace;
            cli_pairs_argv(pass, npass, j->argv, &m);
            if (alloc_opts) j->argv[m++] = "--allocator-options", j->argv[m++] = alloc_opts;
            if (om) j->argv[m++] = "--object-model", j->argv[m++] = om;
            cli_remedy_opts o = rem[i].opts;
            char *shard = NULL;
            if (ent[i].nshards > 1 && asprintf(&shard, "%d/%d", k + 1, ent[i].nshards) > 0)
                o.shard = keep(&p, shard);
            cli_remedy_argv(&o, j->argv, &m);
            j->argv[m++] = "--allocator";
            j->argv[m++] = allocator;
            j->argv[m++] = "-o";
            j->argv[m++] = ent[i].dir[k];
            j->argv[m++] = "-q";
            j->argv[m++] = "--no-progress";
            j->argv[m] = NULL;
        }
    }
    size_t failed = children_run(kids, nkids, (unsigned)jobs, progress, "whatif");
    for (size_t i = 0, q = 0; i < n; i++)
        for (int k = 0; k < ent[i].nshards; k++, q++) {
            ent[i].ok[k] = kids[q].ok;
            snprintf(ent[i].status[k], sizeof ent[i].status[k], "%s", kids[q].status);
        }
    free(kids);
    checklist_settings cs;
    checklist_settings_from_conf(&cs, &rconf);
    checklist_measures *cm = calloc(1, sizeof *cm);
    if (cm == NULL || whatif_write(rd.partial, ent, n, &h, quiet, &err) != 0 ||
        checklist_sets(cm, trace, format, &gp, &err) != 0 ||
        whatif_checklist(rd.partial, ent, &h, &cs, cm, quiet, &err) != 0 ||
        results_dir_commit(&rd, &err) != 0) {
        if (cm == NULL) fs_errf(&err, "out of memory");
        free(cm);
        results_dir_abort(&rd);
        cli_error("whatif", CLI_FAIL, "%s", err.msg);
        goto out;
    }
    free(cm);
    if (!quiet)
        printf("# results in %s/ (whatif.csv, whatif.txt, checklist.txt, checklist.csv, one "
               "directory per run)\n", out);
    rc = CLI_OK;
    if (failed > 0)
        rc = cli_error("whatif", CLI_FAIL, "%zu of %zu runs did not finish (see the status "
                       "column); the others' results are in %s", failed, nkids, out);
out:
    free(items);
    for (size_t i = 0; i < p.n; i++) free(p.s[i]);
    free(rem);
    free(ent);
    return rc;
}
