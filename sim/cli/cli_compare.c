/* `fragsim compare`: the same trace on several allocators, each in a
 * process of its own (DESIGN.md decision 1), gathered by analysis/compare.c.
 *
 * Each allocator's run is an ordinary `fragsim run` child writing its own
 * results directory inside the comparison's.  A child that fails, crashes
 * or is killed does not stop the others: its row in the table says what
 * happened, and the other allocators' results stand. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../analysis/compare.h"
#include "../../analysis/results.h"
#include "children.h"
#include "cli.h"
#include "fragsim_config.h"
#include "run.h"
#include "../base/units.h"

#define MAX_ALLOCATORS 32
#define MAX_OPTIONS 32

static void compare_usage(void) {
    printf("usage: fragsim compare [TRACE | --preset NAME] [options]\n\n"
           "Replays one trace on several allocators, each in its own process, and prints\n"
           "one table: peak and final RSS, allocator active and resident, process\n"
           "fragmentation, wall time and events per second.  Writes a directory with each\n"
           "allocator's results, summary.csv (one row per allocator) and series.csv (every\n"
           "sample of every allocator, an allocator column first: long format).\n\n"
           "options:\n"
           "  --allocators LIST     comma-separated (default: all in this build, %s);\n"
           "                        preload:PATH.so adds any other allocator;\n"
           "                        NAME=ALLOCATOR[:OPTIONS] a named variant, so one\n"
           "                        allocator stands in the table with several settings:\n"
           "                          jemalloc,je-decay0=jemalloc:dirty_decay_ms:0\n"
           "                        (separate the list with | when OPTIONS hold commas)\n"
           "  --allocator-options NAME=SPEC  options for one allocator (or variant, by its\n"
           "                        NAME) in its own syntax (repeatable), e.g.\n"
           "                        jemalloc=dirty_decay_ms:1000\n"
           "  --jobs N              allocators run side by side (default 1: one after\n"
           "                        another, so they do not share the machine)\n"
           "  -o, --output DIR      results directory (default results/compare-NAME)\n"
           CLI_REPLAY_HELP
           "  -q, --quiet           do not print the table\n\n" CLI_REDIS_HELP "\n" CLI_REMEDY_HELP "\n" CLI_GEN_HELP
           "\nExit status: 0 when every allocator ran, 1 when any failed (the table says\n"
           "which and why; the others' results are kept), 2 on a usage error.\n",
           FRAGSIM_BACKENDS);
}

/* A directory name for an allocator's results: its name, or for
 * preload:/x/liby.so "preload-liby.so". */
static void entry_dirname(const char *allocator, char *out, size_t n) {
    if (strncmp(allocator, "preload:", 8) == 0) {
        const char *slash = strrchr(allocator, '/');
        snprintf(out, n, "preload-%s", slash ? slash + 1 : allocator + 8);
    } else {
        snprintf(out, n, "%s", allocator);
    }
}

/* One entry of --allocators: which allocator runs, and the options its
 * NAME=ALLOCATOR:OPTIONS form gives. */
typedef struct compare_variant {
    char backend[1024]; /* the allocator that runs ("jemalloc", "preload:/x.so") */
    char options[1024]; /* the options given inline, or "" */
} compare_variant;

/* A variant's name: letters, digits, '.', '_', '-' (a directory name and a
 * table row). */
static int is_variant_name(const char *s, size_t n) {
    if (n == 0 || n > 64 || s[0] == '.') return 0;
    for (size_t i = 0; i < n; i++)
        if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= 'A' && s[i] <= 'Z') &&
            !(s[i] >= '0' && s[i] <= '9') && s[i] != '.' && s[i] != '_' && s[i] != '-')
            return 0;
    return 1;
}

/* Splits item ("jemalloc", "preload:/x.so", "je0=jemalloc:dirty_decay_ms:0")
 * into its table name and variant.  Returns 0 or -1. */
static int parse_variant(const char *item, compare_entry *e, compare_variant *v, fs_err *err) {
    const char *eq = strchr(item, '=');
    memset(v, 0, sizeof *v);
    if (strncmp(item, "preload:", 8) == 0 || eq == NULL) {
        snprintf(e->allocator, sizeof e->allocator, "%s", item);
        snprintf(v->backend, sizeof v->backend, "%s", item);
        return 0;
    }
    if (!is_variant_name(item, (size_t)(eq - item)))
        return fs_errf(err, "--allocators '%s': expected NAME=ALLOCATOR[:OPTIONS] with a NAME of "
                       "letters, digits, '.', '_' or '-'", item);
    snprintf(e->allocator, sizeof e->allocator, "%.*s", (int)(eq - item), item);
    const char *a = eq + 1, *colon = strchr(a, ':');
    if (strncmp(a, "preload:", 8) == 0 || colon == NULL) {
        snprintf(v->backend, sizeof v->backend, "%s", a);
    } else {
        snprintf(v->backend, sizeof v->backend, "%.*s", (int)(colon - a), a);
        snprintf(v->options, sizeof v->options, "%s", colon + 1);
        if (v->options[0] == '\0')
            return fs_errf(err, "--allocators '%s': nothing after the ':' (expected the "
                           "allocator's options, e.g. dirty_decay_ms:0)", item);
    }
    if (v->backend[0] == '\0')
        return fs_errf(err, "--allocators '%s': no allocator after '='", item);
    return 0;
}

int cli_compare(int argc, char **argv) {
    static const struct option longopts[] = {
        CLI_GEN_LONGOPTS,
        CLI_REMEDY_LONGOPTS,
        CLI_REDIS_LONGOPTS,
        {"allocators", required_argument, 0, OPT_ALLOCATORS},
        CLI_JOBS_LONGOPT,
        CLI_REPLAY_LONGOPTS,
    };
    cli_gen_opts g = {0};
    cli_replay_opts r;
    cli_remedy_opts rem = {0};
    cli_redis_opts ro = {0};
    uint64_t jobs;
    int opt;
    cli_replay_init(&r);
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        if (cli_gen_opt(&g, opt, optarg) || cli_replay_opt(&r, opt, optarg) ||
            cli_remedy_opt(&rem, opt, optarg) || cli_redis_opt(&ro, opt, optarg))
            continue;
        if (opt == 'h') {
            compare_usage();
            return CLI_OK;
        }
        return cli_bad_option("compare", argc, argv);
    }
    int rc_check = cli_replay_check("compare", &r, MAX_OPTIONS, 1, MAX_ALLOCATORS, &jobs, NULL, NULL);
    if (rc_check >= 0) return rc_check;
    const char *list = r.allocators ? r.allocators : FRAGSIM_BACKENDS, *out = r.out;
    const char *const *options = r.allocator_options;
    int noptions = r.nallocator_options, progress = r.progress, quiet = r.quiet;
    const char *trace;
    int rc_trace = cli_replayed_trace("compare", "allocator", argc, argv, optind, &g, r.format, &trace);
    if (rc_trace >= 0) return rc_trace;
    fs_err err;
    gen_params gp;
    cli_time tm;
    transform_spec spec;
    if ((g.preset != NULL && cli_gen_params(&g, &gp, &err) != 0) ||
        cli_time_params(&r.time, &tm, &err) != 0 ||
        cli_remedy_spec(&rem, &spec, &err) != 0)
        return cli_error("compare", CLI_USAGE, "%s", err.msg);

    /* The allocators, checked before anything runs.  Entries are separated
     * by commas, or by | when a variant's options hold commas. */
    compare_entry *entries = calloc(MAX_ALLOCATORS, sizeof *entries);
    compare_variant *variants = calloc(MAX_ALLOCATORS, sizeof *variants);
    char names[4096];
    size_t n = 0;
    snprintf(names, sizeof names, "%s", list);
    const char *sep = strchr(names, '|') ? "|" : ",";
    for (char *save, *a = strtok_r(names, sep, &save); a; a = strtok_r(NULL, sep, &save)) {
        if (n == MAX_ALLOCATORS) {
            free(entries);
            free(variants);
            return cli_error("compare", CLI_USAGE, "at most %d allocators", MAX_ALLOCATORS);
        }
        if (parse_variant(a, &entries[n], &variants[n], &err) != 0) {
            free(entries);
            free(variants);
            return cli_error("compare", CLI_USAGE, "%s", err.msg);
        }
        const char *name = entries[n].allocator, *backend = variants[n].backend;
        for (size_t i = 0; i < n; i++)
            if (strcmp(entries[i].allocator, name) == 0) {
                /* name points into entries: say it before freeing them. */
                int rc = cli_error("compare", CLI_USAGE, "allocator '%s' is listed twice (name "
                                   "the variants of one allocator: NAME=ALLOCATOR:OPTIONS)", name);
                free(entries);
                free(variants);
                return rc;
            }
        char worker[PATH_MAX];
        if (strncmp(backend, "preload:", 8) != 0 &&
            (strchr(backend, '/') != NULL || cli_worker_path(backend, worker, sizeof worker) != 0)) {
            int rc = cli_error("compare", CLI_USAGE, "allocator '%s' is not in this build (built: "
                               "%s; or preload:PATH.so)", backend, FRAGSIM_BACKENDS);
            free(entries);
            free(variants);
            return rc;
        }
        n++;
    }
    if (n == 0) {
        free(entries);
        free(variants);
        return cli_error("compare", CLI_USAGE, "--allocators is empty");
    }
    for (int k = 0; k < noptions; k++) {
        const char *eq = strchr(options[k], '=');
        int found = 0;
        for (size_t i = 0; eq && i < n; i++)
            found |= strlen(entries[i].allocator) == (size_t)(eq - options[k]) &&
                     strncmp(entries[i].allocator, options[k], (size_t)(eq - options[k])) == 0;
        if (!found) {
            free(entries);
            free(variants);
            return cli_error("compare", CLI_USAGE, "--allocator-options '%s': expected NAME=SPEC "
                             "for an allocator in --allocators", options[k]);
        }
    }

    char outbuf_dir[1024];
    if (out == NULL) {
        char base[512];
        snprintf(base, sizeof base, "%s", trace ? trace : g.preset);
        snprintf(outbuf_dir, sizeof outbuf_dir, "results/compare-%.400s", basename(base));
        out = outbuf_dir;
    }
    results_dir rd;
    if (results_dir_begin(&rd, out, RESULTS_COMPARE, r.force, &err) != 0) {
        free(entries);
        free(variants);
        return cli_error("compare", CLI_FAIL, "%s", err.msg);
    }

    /* The children: `fragsim run` with the workload, one allocator each. */
    char self[PATH_MAX];
    if (children_self(self, sizeof self) != 0) {
        results_dir_abort(&rd);
        free(entries);
        free(variants);
        return cli_error("compare", CLI_FAIL, "cannot find this executable");
    }
    child_job *kids = calloc(n, sizeof *kids);
    char *specs = calloc(n, sizeof variants[0].options * 2); /* each child's option string */
    cli_pair pass[CLI_MAX_PAIRS]; /* the workload's and the replay's, as given */
    int npass = 0;
    cli_gen_pairs(&g, pass, &npass);
    cli_replay_pairs(&r, pass, &npass);
    for (size_t i = 0; i < n; i++) {
        compare_entry *e = &entries[i];
        child_job *j = &kids[i];
        char sub[600];
        entry_dirname(e->allocator, sub, sizeof sub);
        snprintf(e->dir, sizeof e->dir, "%s/%s", rd.partial, sub);
        snprintf(j->errfile, sizeof j->errfile, "%s/.stderr-%zu", rd.partial, i);
        j->label = e->allocator;
        int m = 0;
        j->argv[m++] = self;
        j->argv[m++] = "run";
        if (trace) j->argv[m++] = trace;
        cli_pairs_argv(pass, npass, j->argv, &m);
        cli_remedy_argv(&rem, j->argv, &m);
        cli_redis_argv(&ro, j->argv, &m);
        /* The variant's own options, then --allocator-options NAME=...,
         * joined into the one option string the child takes. */
        char *spec = specs + i * sizeof variants[0].options * 2;
        size_t alen = strlen(e->allocator), cap = sizeof variants[0].options * 2;
        snprintf(spec, cap, "%s", variants[i].options);
        for (int o = 0; o < noptions; o++)
            if (strncmp(options[o], e->allocator, alen) == 0 && options[o][alen] == '=')
                snprintf(spec + strlen(spec), cap - strlen(spec), "%s%s", *spec ? "," : "",
                         options[o] + alen + 1);
        if (*spec) j->argv[m++] = "--allocator-options", j->argv[m++] = spec;
        j->argv[m++] = "--allocator";
        j->argv[m++] = variants[i].backend;
        j->argv[m++] = "-o";
        j->argv[m++] = e->dir;
        j->argv[m++] = "-q";
        j->argv[m++] = "--no-progress";
        j->argv[m] = NULL;
    }
    size_t failed = children_run(kids, n, (unsigned)jobs, progress, "compare");
    for (size_t i = 0; i < n; i++) {
        entries[i].ok = kids[i].ok;
        snprintf(entries[i].status, sizeof entries[i].status, "%s", kids[i].status);
    }
    free(kids);
    free(specs);

    int rc = compare_write(rd.partial, entries, n, quiet, &err);
    if (rc != 0 || results_dir_commit(&rd, &err) != 0) {
        results_dir_abort(&rd);
        free(entries);
        free(variants);
        return cli_error("compare", CLI_FAIL, "%s", err.msg);
    }
    if (!quiet) printf("# results in %s/ (summary.csv, series.csv, compare.txt, one directory per "
                       "allocator)\n", out);
    free(entries);
    free(variants);
    if (failed > 0)
        return cli_error("compare", CLI_FAIL, "%zu of %zu allocators did not finish (see the "
                         "status column); the others' results are in %s", failed, n, out);
    return CLI_OK;
}
