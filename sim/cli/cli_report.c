/* `fragsim report`, `fragsim doctor` and `fragsim export`: the analysis
 * commands.  They only read results directories (analysis/resultset.h) and
 * never start a worker: no allocator is under test here, so they use
 * malloc and stdio like any program.  Files they write appear whole or not
 * at all (written beside the target, then renamed). */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../analysis/doctor.h"
#include "../../analysis/pagemap.h"
#include "../../analysis/prom.h"
#include "../../analysis/report.h"
#include "../base/outfile.h"
#include "cli.h"
#include "../base/units.h"

enum { OPT_CONTAINER_LIMIT = 2000, OPT_PAGEMAP, OPT_START, OPT_OPENMETRICS };

/* Loads every RESULTS directory; on error prints it and returns -1. */
static int load_groups(const char *cmd, char **dirs, int n, rs_group **out) {
    rs_group *g = calloc((size_t)n, sizeof *g);
    if (g == NULL) return cli_error(cmd, CLI_FAIL, "out of memory"), -1;
    for (int i = 0; i < n; i++) {
        fs_err err;
        if (rs_load(&g[i], dirs[i], &err) != 0) {
            cli_error(cmd, CLI_FAIL, "%s", err.msg);
            for (int k = 0; k <= i; k++) rs_free(&g[k]);
            free(g);
            return -1;
        }
    }
    *out = g;
    return 0;
}

static void free_groups(rs_group *g, int n) {
    for (int i = 0; i < n; i++) rs_free(&g[i]);
    free(g);
}

static int parse_limit(const char *cmd, const char *arg, double *limit) {
    uint64_t v;
    if (arg == NULL) return 0;
    if (units_parse_bytes(arg, &v) != 0 || v == 0)
        return cli_error(cmd, CLI_USAGE, "--container-limit '%s': expected a size such as 6gb "
                         "or 512mb", arg), -1;
    *limit = (double)v;
    return 0;
}

/* The file goes through outfile.h: written beside the target, renamed over
 * it at the end; stdout for "-". */
typedef struct out_file {
    FILE *f;
    outfile of;
} out_file;

static int out_open(out_file *o, const char *cmd, const char *path) {
    fs_err err;
    if (outfile_open(&o->of, path, &err) != 0)
        return cli_error(cmd, CLI_FAIL, "%s", err.msg), -1;
    if (o->of.fd == STDOUT_FILENO) {
        o->f = stdout;
        return 0;
    }
    if ((o->f = fdopen(o->of.fd, "w")) == NULL) {
        int e = errno;
        close(o->of.fd);
        outfile_abort(&o->of);
        return cli_error(cmd, CLI_FAIL, "cannot write '%s': %s", path, strerror(e)), -1;
    }
    return 0;
}

/* Closes; on failure (or when ok is 0) removes the partial file.  Returns
 * 0; -1 after printing why writing failed (errno's reason); -2 when ok was
 * 0 and nothing failed in writing (the caller says what went wrong). */
static int out_close(out_file *o, const char *cmd, int ok) {
    fs_err err;
    /* A failed write left its data in the buffer: flushing again gives the
     * reason (ENOSPC ...) that ferror() alone would lose. */
    int bad = fflush(o->f) != 0 ? errno : ferror(o->f) ? EIO : 0;
    if (o->f != stdout && fclose(o->f) != 0 && !bad) bad = errno;
    if (bad) {
        cli_error(cmd, CLI_FAIL, "cannot write '%s': %s", o->of.name, strerror(bad));
        outfile_abort(&o->of);
        return -1;
    }
    if (!ok) {
        outfile_abort(&o->of);
        return -2;
    }
    if (outfile_commit(&o->of, &err) != 0) return cli_error(cmd, CLI_FAIL, "%s", err.msg), -1;
    return 0;
}

/* ---- report ---- */

static void report_usage(void) {
    printf("usage: fragsim report RESULTS... [-o FILE] [--container-limit SIZE]\n"
           "       fragsim report --pagemap RUN_DIR\n\n"
           "Writes one self-contained HTML file (inline SVG, no script, no network) from\n"
           "results directories of run, compare, sweep or whatif: memory and the\n"
           "fragmentation ratios over virtual time with the seed's 1.5 and 2.0 lines and\n"
           "the alerts' firing times; allocators overlaid (compare); trade-off scatter\n"
           "plots with the Pareto front (sweep); the remedies' RSS as bars and over time\n"
           "(whatif); heap page maps side by side and jemalloc's size classes\n"
           "(runs made with --page-map-at); the doctor's text for every run.\n\n"
           "options:\n"
           "  -o, --output FILE     the HTML file (default report.html; - for stdout)\n"
           "  --container-limit S   draw this limit and the OOM moment (6gb, 512mb ...)\n"
           "  --pagemap RUN_DIR     instead: the run's page maps as text on stdout, side by\n"
           "                        side (# full pages ... _ resident pages with no live data)\n");
}

static int report_pagemap_text(const char *dir) {
    rs_run r;
    fs_err err;
    if (rs_load_run(&r, dir, dir, &err) != 0) {
        rs_free_run(&r);
        return cli_error("report", CLI_FAIL, "%s", err.msg);
    }
    pagemap maps[16];
    const pagemap *mp[16];
    char titles[16][128];
    const char *tp[16];
    size_t n = 0;
    int rc = CLI_OK;
    for (size_t i = 0; i < r.nsnaps && n < 16; i++) {
        if (!r.snaps[i].pagemap) continue;
        char path[1400];
        if (pagemap_load(&maps[n], rs_snapshot_path(&r, &r.snaps[i], "pagemap", path, sizeof path),
                         &err) != 0) {
            pagemap_free(&maps[n]);
            rc = cli_error("report", CLI_FAIL, "%s", err.msg);
            break;
        }
        snprintf(titles[n], sizeof titles[n], "at %s s: fill %.0f%%, %zu holes", r.snaps[i].label,
                 100 * pagemap_mean_fill(&maps[n]) / (double)maps[n].page_size, maps[n].empty);
        mp[n] = &maps[n];
        tp[n] = titles[n];
        n++;
    }
    if (rc == CLI_OK && n == 0)
        rc = cli_error("report", CLI_FAIL, "%s has no page maps: make the run with --page-map-at "
                       "T1,T2,...", dir);
    if (rc == CLI_OK) {
        int cols = n == 1 ? 96 : n == 2 ? 56 : 36;
        pagemap_text(stdout, mp, tp, n, cols, 24);
        for (size_t i = 0; i < n; i++) {
            printf("at %.0f s: ", maps[i].t);
            pagemap_describe(stdout, &maps[i]);
            putchar('\n');
        }
    }
    for (size_t i = 0; i < n; i++) pagemap_free(&maps[i]);
    rs_free_run(&r);
    return rc;
}

int cli_report(int argc, char **argv) {
    static const struct option longopts[] = {
        {"output", required_argument, 0, 'o'},
        {"container-limit", required_argument, 0, OPT_CONTAINER_LIMIT},
        {"pagemap", required_argument, 0, OPT_PAGEMAP},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *out = "report.html", *limit_s = NULL, *pm = NULL;
    int opt;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'o': out = optarg; break;
        case OPT_CONTAINER_LIMIT: limit_s = optarg; break;
        case OPT_PAGEMAP: pm = optarg; break;
        case 'h': report_usage(); return CLI_OK;
        default: return cli_bad_option("report", argc, argv);
        }
    }
    if (pm != NULL) {
        if (optind < argc)
            return cli_error("report", CLI_USAGE, "--pagemap takes one RUN_DIR; found also '%s'",
                             argv[optind]);
        return report_pagemap_text(pm);
    }
    report_opts ro = {0};
    if (parse_limit("report", limit_s, &ro.container_limit) != 0) return CLI_USAGE;
    if (optind == argc)
        return cli_error("report", CLI_USAGE, "expected one or more results directories "
                         "(fragsim report --help)");
    rs_group *g;
    int n = argc - optind;
    if (load_groups("report", argv + optind, n, &g) != 0) return CLI_FAIL;
    out_file of;
    int rc = CLI_FAIL;
    if (out_open(&of, "report", out) == 0) {
        int ok = report_html(of.f, g, (size_t)n, &ro) == 0;
        int c = out_close(&of, "report", ok);
        if (c == 0) rc = CLI_OK;
        else if (c == -2) cli_error("report", CLI_FAIL, "cannot write '%s'", out);
    }
    free_groups(g, n);
    return rc;
}

/* ---- doctor ---- */

static void doctor_usage(void) {
    printf("usage: fragsim doctor RESULTS... [--container-limit SIZE]\n\n"
           "Reads results directories (run, compare or sweep) and says, with times and\n"
           "numbers: what Redis's MEMORY DOCTOR would have said and when; which\n"
           "fragmentation it is; when the seed's alerts would have fired\n"
           "(redis_mem_fragmentation_ratio > 1.5 for 30m, > 2.0 for 10m, and with a limit\n"
           "RSS > 85%% of it for 5m) and when RSS crosses the limit (the OOM kill); when\n"
           "activedefrag would have started; and, given several runs (a comparison, a\n"
           "sweep, or several directories), which held RSS lowest and by how much.\n"
           "A sweep gets only that last comparison; doctor a point's directory for more.\n\n"
           "options:\n"
           "  --container-limit S   the container's memory limit (6gb, 512mb ...)\n");
}

int cli_doctor(int argc, char **argv) {
    static const struct option longopts[] = {
        {"container-limit", required_argument, 0, OPT_CONTAINER_LIMIT},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *limit_s = NULL;
    int opt;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_CONTAINER_LIMIT: limit_s = optarg; break;
        case 'h': doctor_usage(); return CLI_OK;
        default: return cli_bad_option("doctor", argc, argv);
        }
    }
    doctor_opts o = {0};
    if (parse_limit("doctor", limit_s, &o.container_limit) != 0) return CLI_USAGE;
    if (optind == argc)
        return cli_error("doctor", CLI_USAGE, "expected one or more results directories "
                         "(fragsim doctor --help)");
    rs_group *g;
    int n = argc - optind;
    if (load_groups("doctor", argv + optind, n, &g) != 0) return CLI_FAIL;
    size_t nall = 0;
    rs_run **all = rs_all_runs(g, (size_t)n, &nall);
    int first = 1;
    for (int k = 0; k < n && all; k++) {
        if (g[k].kind == RS_SWEEP) {
            printf("%sfragsim doctor: sweep %s (%zu points with results loaded)\n", first ? "" : "\n",
                   g[k].dir, g[k].nruns);
            rs_run **pts = all;
            size_t off = 0;
            for (int j = 0; j < k; j++) off += g[j].nruns;
            doctor_runs_at_hand(stdout, pts + off, g[k].nruns, NULL);
            first = 0;
            continue;
        }
        for (size_t i = 0; i < g[k].nruns; i++) {
            if (!first) fputs("\n\n", stdout);
            doctor_run(stdout, &g[k].runs[i], all, nall, &o);
            first = 0;
        }
    }
    free(all);
    free_groups(g, n);
    return fflush(stdout) == 0 ? CLI_OK : CLI_FAIL;
}

/* ---- export ---- */

static void export_usage(void) {
    printf("usage: fragsim export prometheus RESULTS [-o FILE] [--start EPOCH] [--openmetrics]\n\n"
           "Writes the samples of a run (or of every run of a comparison or sweep) in the\n"
           "Prometheus text format under redis_exporter's metric names\n"
           "(redis_memory_used_bytes, redis_memory_used_rss_bytes,\n"
           "redis_mem_fragmentation_ratio, redis_allocator_frag_ratio, ...), labelled\n"
           "job=\"fragsim\", instance=RUN, allocator=NAME, each value with a timestamp.\n\n"
           "options:\n"
           "  -o, --output FILE     where to write (default: standard output)\n"
           "  --start EPOCH         Unix seconds at which virtual time 0 is placed (default:\n"
           "                        now less the longest run's length, so the runs end now)\n"
           "  --openmetrics         OpenMetrics instead (timestamps in seconds, # EOF), for\n"
           "                        promtool tsdb create-blocks-from openmetrics FILE DIR\n");
}

int cli_export(int argc, char **argv) {
    static const struct option longopts[] = {
        {"output", required_argument, 0, 'o'},
        {"start", required_argument, 0, OPT_START},
        {"openmetrics", no_argument, 0, OPT_OPENMETRICS},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *out = NULL, *start_s = NULL;
    int opt, om = 0;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'o': out = optarg; break;
        case OPT_START: start_s = optarg; break;
        case OPT_OPENMETRICS: om = 1; break;
        case 'h': export_usage(); return CLI_OK;
        default: return cli_bad_option("export", argc, argv);
        }
    }
    if (optind == argc || strcmp(argv[optind], "prometheus") != 0)
        return cli_error("export", CLI_USAGE, "expected the format 'prometheus' (fragsim export "
                         "--help)");
    if (argc - optind != 2)
        return cli_error("export", CLI_USAGE, "expected one results directory after "
                         "'prometheus'");
    double start = 0;
    if (start_s != NULL && units_parse_double(start_s, &start) != 0)
        return cli_error("export", CLI_USAGE, "--start '%s': expected Unix seconds (0 or more)",
                         start_s);
    rs_group *g;
    if (load_groups("export", argv + optind + 1, 1, &g) != 0) return CLI_FAIL;
    size_t n = 0;
    rs_run **runs = rs_all_runs(g, 1, &n);
    if (start_s == NULL) {
        double longest = 0;
        for (size_t i = 0; runs && i < n; i++) {
            const table *s = &runs[i]->series;
            double t = table_num(s, s->nrows ? s->nrows - 1 : 0, table_col(s, "virtual_time"));
            if (t > longest) longest = t;
        }
        start = floor((double)time(NULL) - longest);
    }
    out_file of;
    int rc = CLI_FAIL;
    if (runs != NULL && out_open(&of, "export", out) == 0) {
        int ok = prom_write(of.f, runs, n, start, om) == 0;
        int c = out_close(&of, "export", ok);
        if (c == 0) rc = CLI_OK;
        else if (c == -2) cli_error("export", CLI_FAIL, "cannot write '%s'", out ? out : "stdout");
    }
    free(runs);
    free_groups(g, 1);
    return rc;
}
