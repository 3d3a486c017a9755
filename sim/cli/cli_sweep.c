/* `fragsim sweep`: one run per point of a grid of options, run here
 * (--jobs), or written out as command lines for GNU parallel or a Slurm
 * array (--emit-jobs), then gathered into one table (--collect).
 *
 * A grid key is a `run` option without its dashes (allocator, speed, hz,
 * purge-every, sample-interval, keys, seed, sizes, ttl, ...), or
 * ALLOCATOR.OPTION for one of the allocator's own options
 * (jemalloc.dirty_decay_ms), joined into --allocator-options in that
 * allocator's syntax for the points that run it. */
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
#include "../../analysis/sweep.h"
#include "children.h"
#include "../base/outfile.h"
#include "cli.h"
#include "fragsim_config.h"
#include "../base/units.h"

/* Grid keys that are `run` options taking a value. */
static const char *const run_keys[] = {
    "allocator", "clock", "speed", "allocator-tick", "hz", "purge-every", "sample-interval", "format", "preset", "keys",
    "seed", "rate", "insert-seconds", "sizes", "ttl", "observe", "key-prefix", "config",
    "pad", "compress", "shard-by-size", "shard-by-ttl", "shard", "uniform-ttl",
    "hash-pack", "object-model", "expiry", "maxmemory", "maxmemory-policy", "maxmemory-samples",
    "activedefrag", "active-defrag-ignore-bytes", "active-defrag-threshold-lower",
    "active-defrag-threshold-upper", "active-defrag-cycle-min", "active-defrag-cycle-max",
    "active-defrag-max-scan-fields", "activedefrag-from", "defrag-hint",
    "compress-sample", "compress-level", "sample-keys", "sample-seed", "redis-version",
};

static void sweep_usage(void) {
    printf("usage: fragsim sweep [TRACE | --preset NAME] --grid KEY=V1,V2,... [--grid ...]\n"
           "                     [--jobs N | --emit-jobs FILE] [-o DIR] [run options]\n"
           "       fragsim sweep --collect DIR [DIR...] [-o OUT]\n\n"
           "Runs the trace once per point of the grid (every combination of the values),\n"
           "each point in its own process, and gathers one table: average, peak and final\n"
           "RSS and the allocator's purge counts per point.\n\n"
           "grid keys: a run option without its dashes (allocator, speed, hz, purge-every,\n"
           "sample-interval, sample-keys, redis-version, preset, keys, seed, rate, sizes, ttl, observe,\n"
           "the remedies pad, compress, shard-by-size with shard, uniform-ttl, hash-pack, the Redis\n"
           "model's "
           "object-model, maxmemory ..., activedefrag and active-defrag-* ...), or\n"
           "ALLOCATOR.OPTION for the allocator's own options, e.g.\n"
           "  --grid jemalloc.dirty_decay_ms=0,1000,10000,-1 --grid jemalloc.muzzy_decay_ms=0,10000\n"
           "Values holding commas are separated by | instead: --grid 'sizes=fixed:100|uniform:1,9'\n\n"
           "options:\n"
           "  --jobs N              points run side by side (default 1)\n"
           "  --emit-jobs FILE      do not run: write one command line per point to FILE\n"
           "                        (parallel < FILE; parallel --sshloginfile; a Slurm array\n"
           "                        running line $SLURM_ARRAY_TASK_ID), then --collect DIR\n"
           "  --collect DIR...      gather the points' results from one or more directories\n"
           "                        (copies of the sweep directory from several machines)\n"
           "  -o, --output DIR      the sweep directory (default results/sweep-NAME); with\n"
           "                        --collect, where sweep.csv and sweep.txt go (default: the\n"
           "                        first DIR)\n"
           "  --allocator NAME      the allocator when the grid has none (default %s)\n"
           "  --allocator-options NAME=SPEC  fixed options for one allocator (repeatable)\n"
           "  -q, --quiet           do not print the table\n"
           "the options of every point's run (a grid key of the same name wins):\n"
           CLI_REPLAY_HELP "\n" CLI_GEN_HELP
           "\nWrites DIR/points.csv (id and grid values), DIR/pNNNN/ (each point's results),\n"
           "DIR/sweep.csv (the grid values, a status, then every summary.csv column) and\n"
           "DIR/sweep.txt.  Exit status 1 when a point failed or is missing.\n\n"
           "A sweep whose runs did active defrag (a defrag sweep) shows, per point, defrag\n"
           "CPU seconds, peak and final RSS, final allocator fragmentation and bytes moved,\n"
           "and marks with * the points on the Pareto front of defrag CPU against final\n"
           "RSS (no other point has both less CPU and less RSS); sweep.csv gets the column\n"
           "defrag_pareto (1 or 0).  Example:\n"
           "  fragsim sweep --preset redis-defrag-test --grid active-defrag-cycle-max=5,25,75\n",
           FRAGSIM_DEFAULT_ALLOCATOR);
}

static int is_run_key(const char *k) {
    for (size_t i = 0; i < sizeof run_keys / sizeof *run_keys; i++)
        if (strcmp(run_keys[i], k) == 0) return 1;
    return 0;
}

/* jemalloc's options are MALLOC_CONF pairs (name:value); the others'
 * name=value. */
static char option_separator(const char *allocator) {
    return strncmp(allocator, "jemalloc", 8) == 0 ? ':' : '=';
}

/* Single-quotes s for a POSIX shell. */
static void shell_quote(FILE *f, const char *s) {
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'') fputs("'\\''", f);
        else fputc(*s, f);
    }
    fputc('\'', f);
}

typedef struct point_args {
    child_job job;
    char *owned[CHILD_MAX_ARGS]; /* strings made for this point */
    int nowned;
} point_args;

static const char *own(point_args *pa, char *s) {
    if (pa->nowned < CHILD_MAX_ARGS) pa->owned[pa->nowned++] = s;
    return s;
}

typedef struct sweep_cli {
    const char *trace;
    cli_gen_opts g;
    cli_replay_opts r;
} sweep_cli;

/* Builds point i's command line: `fragsim run`, the fixed options not on
 * the grid, the grid values, its allocator options, -o outdir/ID. */
static int build_point(point_args *pa, const sweep_cli *c, const sweep_plan *p, size_t i,
                       const char *self, const char *outdir, fs_err *err) {
    const char **a = pa->job.argv;
    int m = 0;
    a[m++] = self;
    a[m++] = "run";
    if (c->trace) a[m++] = c->trace;
    /* The fixed options, unless the grid sets them. */
    cli_pair fixed[CLI_MAX_PAIRS];
    int nfixed = 0;
    cli_gen_pairs(&c->g, fixed, &nfixed);
    cli_replay_pairs(&c->r, fixed, &nfixed);
    const char *allocator = c->r.allocator ? c->r.allocator : FRAGSIM_DEFAULT_ALLOCATOR;
    for (int x = 0; x < p->naxes; x++)
        if (strcmp(p->axes[x].key, "allocator") == 0) allocator = sweep_value(p, i, x);
    for (int k = 0; k < nfixed; k++) {
        int on_grid = 0;
        for (int x = 0; x < p->naxes; x++) on_grid |= strcmp(p->axes[x].key, fixed[k].flag + 2) == 0;
        if (!on_grid) cli_pairs_argv(&fixed[k], 1, a, &m);
    }
    /* The grid's run options. */
    for (int x = 0; x < p->naxes; x++) {
        if (strchr(p->axes[x].key, '.') != NULL) continue;
        char *flag;
        if (asprintf(&flag, "--%s", p->axes[x].key) < 0) return fs_errf(err, "out of memory");
        a[m++] = own(pa, flag);
        a[m++] = sweep_value(p, i, x);
    }
    /* The allocator's options: the fixed ones, then the grid's. */
    size_t alen = strlen(allocator);
    char spec[2048] = "";
    for (int o = 0; o < c->r.nallocator_options; o++) {
        const char *opt = c->r.allocator_options[o];
        if (strncmp(opt, allocator, alen) == 0 && opt[alen] == '=')
            snprintf(spec + strlen(spec), sizeof spec - strlen(spec), "%s%s", *spec ? "," : "",
                     opt + alen + 1);
    }
    for (int x = 0; x < p->naxes; x++) {
        const char *key = p->axes[x].key, *dot = strchr(key, '.');
        if (dot == NULL || (size_t)(dot - key) != alen || strncmp(key, allocator, alen) != 0)
            continue;
        snprintf(spec + strlen(spec), sizeof spec - strlen(spec), "%s%s%c%s", *spec ? "," : "",
                 dot + 1, option_separator(allocator), sweep_value(p, i, x));
    }
    if (*spec) {
        a[m++] = "--allocator-options";
        a[m++] = own(pa, strdup(spec));
    }
    if (c->r.allocator != NULL) {
        int on_grid = 0;
        for (int x = 0; x < p->naxes; x++) on_grid |= strcmp(p->axes[x].key, "allocator") == 0;
        if (!on_grid) a[m++] = "--allocator", a[m++] = c->r.allocator;
    }
    char id[16], *dir;
    sweep_point_id(i, id);
    if (asprintf(&dir, "%s/%s", outdir, id) < 0) return fs_errf(err, "out of memory");
    a[m++] = "-o";
    a[m++] = own(pa, dir);
    a[m++] = "-q";
    a[m++] = "--no-progress";
    a[m] = NULL;
    pa->job.label = own(pa, strdup(id));
    return 0;
}

static int collect_main(int argc, char **argv, const char *out, int quiet) {
    if (argc < 1) return cli_error("sweep", CLI_USAGE, "--collect needs at least one DIR");
    fs_err err;
    size_t missing = 0;
    if (sweep_collect((const char *const *)argv, argc, out ? out : argv[0], NULL, quiet, &missing,
                      &err) != 0)
        return cli_error("sweep", CLI_FAIL, "%s", err.msg);
    if (missing > 0)
        return cli_error("sweep", CLI_FAIL, "%zu points have no results (status 'missing', or "
                         "'bad summary' naming the fault)", missing);
    return CLI_OK;
}

int cli_sweep(int argc, char **argv) {
    static const struct option longopts[] = {
        CLI_GEN_LONGOPTS,
        {"grid", required_argument, 0, OPT_GRID},
        {"emit-jobs", required_argument, 0, OPT_EMIT_JOBS},
        {"collect", no_argument, 0, OPT_COLLECT},
        {"allocator", required_argument, 0, OPT_ALLOCATOR},
        CLI_JOBS_LONGOPT,
        CLI_REPLAY_LONGOPTS,
    };
    sweep_cli c;
    memset(&c, 0, sizeof c);
    cli_replay_init(&c.r);
    sweep_plan plan;
    memset(&plan, 0, sizeof plan);
    const char *emit = NULL;
    int collect = 0, rc = CLI_USAGE;
    uint64_t jobs = 1;
    fs_err err;
    int opt;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        if (cli_gen_opt(&c.g, opt, optarg) || cli_replay_opt(&c.r, opt, optarg)) continue;
        switch (opt) {
        case OPT_GRID:
            if (sweep_plan_add(&plan, optarg, &err) != 0) {
                rc = cli_error("sweep", CLI_USAGE, "%s", err.msg);
                goto out;
            }
            break;
        case OPT_EMIT_JOBS: emit = optarg; break;
        case OPT_COLLECT: collect = 1; break;
        case 'h': sweep_usage(); rc = CLI_OK; goto out;
        default: rc = cli_bad_option("sweep", argc, argv); goto out;
        }
    }
    int rc_check = cli_replay_check("sweep", &c.r, CLI_MAX_ALLOCATOR_OPTIONS, 1, 256, &jobs, NULL,
                                    NULL);
    if (rc_check >= 0) {
        rc = rc_check;
        goto out;
    }
    const char *out = c.r.out;
    int progress = c.r.progress, quiet = c.r.quiet;
    if (collect) {
        rc = collect_main(argc - optind, argv + optind, out, quiet);
        goto out;
    }

    /* Check the plan before anything runs. */
    if (plan.naxes == 0) {
        rc = cli_error("sweep", CLI_USAGE, "expected at least one --grid KEY=V1,V2,...");
        goto out;
    }
    for (int x = 0; x < plan.naxes; x++) {
        const char *k = plan.axes[x].key, *dot = strchr(k, '.');
        char alloc[64] = "", path[PATH_MAX];
        if (dot != NULL) snprintf(alloc, sizeof alloc, "%.*s", (int)(dot - k), k);
        if (dot == NULL ? !is_run_key(k)
                        : (dot[1] == '\0' || cli_worker_path(alloc, path, sizeof path) != 0)) {
            rc = cli_error("sweep", CLI_USAGE, "--grid key '%s': expected a run option (allocator, "
                           "speed, hz, purge-every, keys, seed, sizes, ttl, ...) or "
                           "ALLOCATOR.OPTION for an allocator of this build (%s)", k,
                           FRAGSIM_BACKENDS);
            goto out;
        }
    }
    int grid_preset = 0;
    for (int x = 0; x < plan.naxes; x++) grid_preset |= strcmp(plan.axes[x].key, "preset") == 0;
    if (optind < argc - 1) {
        rc = cli_error("sweep", CLI_USAGE, "expected one TRACE, found also '%s'", argv[optind + 1]);
        goto out;
    }
    c.trace = optind < argc ? argv[optind] : NULL;
    if ((c.trace == NULL) == (c.g.preset == NULL && !grid_preset)) {
        rc = cli_error("sweep", CLI_USAGE, "expected a TRACE file or --preset NAME (one of them)");
        goto out;
    }
    if (c.trace != NULL && strcmp(c.trace, "-") == 0) {
        rc = cli_error("sweep", CLI_USAGE, "standard input cannot be replayed once per point: "
                       "write the trace to a file");
        goto out;
    }
    if (c.trace != NULL && access(c.trace, R_OK) != 0) {
        rc = cli_error("sweep", CLI_FAIL, "cannot open trace '%s': %s", c.trace, strerror(errno));
        goto out;
    }

    char outbuf_dir[1024], self[PATH_MAX];
    if (out == NULL) {
        char base[512];
        snprintf(base, sizeof base, "%s", c.trace ? c.trace : c.g.preset ? c.g.preset : "grid");
        snprintf(outbuf_dir, sizeof outbuf_dir, "results/sweep-%.400s", basename(base));
        out = outbuf_dir;
    }
    if (children_self(self, sizeof self) != 0) {
        rc = cli_error("sweep", CLI_FAIL, "cannot find this executable");
        goto out;
    }
    /* A grid value that does not apply to a point's allocator
     * (jemalloc.dirty_decay_ms on a mimalloc point) would run the same
     * point again: it runs once, that value shown n/a, and the user is told. */
    const char *fixed = c.r.allocator ? c.r.allocator : FRAGSIM_DEFAULT_ALLOCATOR;
    size_t repeats = 0;
    for (size_t i = 0; i < plan.npoints; i++) repeats += (size_t)sweep_repeats(&plan, i, fixed);
    if (repeats > 0 && !quiet) {
        fprintf(stderr, "fragsim sweep: %zu of %zu points not run: their", repeats, plan.npoints);
        int said = 0;
        for (int x = 0; x < plan.naxes; x++)
            for (size_t i = 0; i < plan.npoints; i++)
                if (!sweep_applies(&plan, i, x, fixed)) {
                    fprintf(stderr, "%s %s does not apply to %s", said++ ? "," : "",
                            plan.axes[x].key, sweep_point_allocator(&plan, i, fixed));
                    break;
                }
        fprintf(stderr, ", so they would repeat another point (shown n/a there)\n");
    }
    results_dir rd;
    if (results_dir_begin(&rd, out, RESULTS_SWEEP, c.r.force, &err) != 0 ||
        sweep_write_points(&plan, rd.partial, fixed, &err) != 0) {
        results_dir_abort(&rd);
        rc = cli_error("sweep", CLI_FAIL, "%s", err.msg);
        goto out;
    }
    point_args *pts = calloc(plan.npoints, sizeof *pts);
    size_t failed = 0;
    if (emit != NULL) {
        /* The command lines name the sweep directory where it will be, by
         * its absolute path, so they can run from anywhere. */
        char abs_out[PATH_MAX + 64];
        if (results_dir_commit(&rd, &err) != 0) {
            rc = cli_error("sweep", CLI_FAIL, "%s", err.msg);
            free(pts);
            goto out;
        }
        if (realpath(out, abs_out) == NULL) snprintf(abs_out, sizeof abs_out, "%s", out);
        outfile of;
        FILE *f = NULL;
        int opened = outfile_open(&of, emit, &err) == 0, e = 0;
        if (opened && (f = fdopen(of.fd, "w")) == NULL) {
            e = errno;
            close(of.fd);
        }
        for (size_t i = 0; f != NULL && i < plan.npoints; i++) {
            if (sweep_repeats(&plan, i, fixed)) continue;
            if (build_point(&pts[i], &c, &plan, i, self, abs_out, &err) != 0) break;
            for (int k = 0; pts[i].job.argv[k] != NULL; k++) {
                if (k) fputc(' ', f);
                shell_quote(f, pts[i].job.argv[k]);
            }
            fputc('\n', f);
        }
        if (f != NULL && fflush(f) != 0) e = errno;
        if (f != NULL && fclose(f) != 0 && e == 0) e = errno;
        if (!opened || e != 0 || outfile_commit(&of, &err) != 0) {
            if (opened) outfile_abort(&of);
            rc = e ? cli_error("sweep", CLI_FAIL, "cannot write '%s': %s", emit, strerror(e))
                   : cli_error("sweep", CLI_FAIL, "%s", err.msg);
        } else {
            if (!quiet)
                printf("%zu command lines in %s; run them (parallel < %s), then:\n"
                       "  %s sweep --collect %s\n", plan.npoints - repeats, emit, emit, self,
                       abs_out);
            rc = CLI_OK;
        }
    } else {
        /* The points run, in points.csv's order (the repeats left out). */
        size_t nrun = 0;
        const char **status = calloc(plan.npoints, sizeof *status);
        child_job *jobsv = calloc(plan.npoints, sizeof *jobsv);
        for (size_t i = 0; i < plan.npoints; i++) {
            if (sweep_repeats(&plan, i, fixed)) continue;
            if (build_point(&pts[i], &c, &plan, i, self, rd.partial, &err) != 0) break;
            snprintf(pts[i].job.errfile, sizeof pts[i].job.errfile, "%s/.stderr-%zu", rd.partial, i);
            jobsv[nrun++] = pts[i].job;
        }
        failed = children_run(jobsv, nrun, (unsigned)jobs, progress, "sweep");
        for (size_t i = 0; i < nrun; i++) status[i] = jobsv[i].status;
        size_t missing = 0;
        const char *dirs[1] = {rd.partial};
        if (sweep_collect(dirs, 1, rd.partial, status, quiet, &missing, &err) != 0 ||
            results_dir_commit(&rd, &err) != 0) {
            results_dir_abort(&rd);
            rc = cli_error("sweep", CLI_FAIL, "%s", err.msg);
        } else {
            if (!quiet) printf("# results in %s/ (sweep.csv, sweep.txt, points.csv, pNNNN/)\n", out);
            rc = failed ? cli_error("sweep", CLI_FAIL, "%zu of %zu points did not finish (see the "
                                    "status column)", failed, nrun)
                        : CLI_OK;
        }
        free(jobsv);
        free(status);
    }
    for (size_t i = 0; i < plan.npoints; i++)
        for (int k = 0; k < pts[i].nowned; k++) free(pts[i].owned[k]);
    free(pts);
out:
    sweep_plan_free(&plan);
    return rc;
}
