/* The report's page: one HTML file, CSS inline, pictures as inline SVG. */
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "doctor.h"
#include "pagemap.h"
#include "report.h"

static const char css[] =
    "body{font-family:sans-serif;margin:20px;color:#222;max-width:1340px}"
    "h1{font-size:24px}h2{font-size:20px;border-bottom:2px solid #ccc;padding-bottom:4px;"
    "margin-top:36px}h3{font-size:16px;margin-top:24px}"
    "pre{background:#f6f6f6;padding:10px;font-size:12px;white-space:pre-wrap}"
    ".row{display:flex;flex-wrap:wrap;gap:16px}.note{color:#555;font-size:13px}"
    "table.bins{border-collapse:collapse;font-size:12px}"
    "table.bins td,table.bins th{border:1px solid #ddd;padding:2px 8px;text-align:right}"
    ".bar{display:inline-block;width:100px;height:9px;background:#eee;vertical-align:middle}"
    ".bar span{display:block;height:9px;background:#1a9850}"
    "tr.total td{font-weight:bold}details{margin:12px 0}summary{font-size:17px;cursor:pointer}"
    "table.prov{border-collapse:collapse;font-size:13px;margin:8px 0;background:#f6f8fb}"
    "table.prov th{text-align:left;padding:2px 12px 2px 8px;color:#555;font-weight:normal;"
    "vertical-align:top}table.prov td{padding:2px 8px}";

static void text_block(FILE *f, const char *s) {
    fputs("<pre>", f);
    report_escape(f, s);
    fputs("</pre>\n", f);
}

/* The doctor's text, captured and escaped into the page. */
static void doctor_block(FILE *f, const rs_run *r, rs_run *const *all, size_t nall,
                         const report_opts *o) {
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (m == NULL) return;
    doctor_opts d = {.container_limit = o->container_limit};
    doctor_run(m, r, all, nall, &d);
    fclose(m);
    fputs("<h3>Doctor</h3>\n", f);
    text_block(f, buf);
    free(buf);
}

static void pagemaps(FILE *f, const rs_run *r) {
    size_t shown = 0;
    for (size_t i = 0; i < r->nsnaps; i++) {
        if (!r->snaps[i].pagemap) continue;
        char path[1400], title[128];
        pagemap m;
        fs_err err;
        if (pagemap_load(&m, rs_snapshot_path(r, &r->snaps[i], "pagemap", path, sizeof path),
                         &err) != 0) {
            fprintf(f, "<p class=\"note\">");
            report_escape(f, err.msg);
            fputs("</p>\n", f);
            pagemap_free(&m);
            continue;
        }
        if (shown++ == 0) {
            fputs("<h3>Heap page map</h3>\n<p class=\"note\">Each cell is a page of the "
                  "allocator's memory (several pages when the heap is large), in address order; "
                  "only pages holding live values and resident pages without any, in the same "
                  "mappings, are drawn: unmapped address space and pages already returned to the "
                  "kernel are left out, so the maps are compact.</p>\n", f);
            pagemap_svg_legend(f);
            fputs("<div class=\"row\">\n", f);
        }
        snprintf(title, sizeof title, "at %s s", r->snaps[i].label);
        fputs("<div>", f);
        pagemap_svg(f, &m, title, 560);
        fputs("<p class=\"note\" style=\"max-width:560px\">", f);
        char *d = NULL;
        size_t dl = 0;
        FILE *ms = open_memstream(&d, &dl);
        if (ms) {
            pagemap_describe(ms, &m);
            fclose(ms);
            report_escape(f, d);
            free(d);
        }
        fputs("</p></div>\n", f);
        pagemap_free(&m);
    }
    if (shown) fputs("</div>\n", f);
}

static void bins(FILE *f, const rs_run *r) {
    size_t shown = 0;
    for (size_t i = 0; i < r->nsnaps; i++) {
        if (!r->snaps[i].bins) continue;
        if (shown++ == 0)
            fputs("<h3>Size classes (jemalloc bins)</h3>\n<p class=\"note\">Per bin in use: "
                  "regions holding a value over the regions of its slabs, and the bytes of the "
                  "free regions (Redis 7.4's allocator_frag_bytes, per bin).</p>\n"
                  "<div class=\"row\">\n", f);
        char path[1400];
        fs_err err;
        fprintf(f, "<div><p><b>at %s s</b></p>\n", r->snaps[i].label);
        if (report_bins_table(f, rs_snapshot_path(r, &r->snaps[i], "bins", path, sizeof path),
                              &err) != 0) {
            fprintf(f, "<p class=\"note\">");
            report_escape(f, err.msg);
            fputs("</p>", f);
        }
        fputs("</div>\n", f);
    }
    if (shown) fputs("</div>\n", f);
}

/* The keys of each type's encoding at the end of the run, and their bytes
 * (summary.csv's keys_ENCODING and bytes_ENCODING): shown when the run held
 * any key of a type other than strings. */
static void encodings(FILE *f, const rs_run *r) {
    const result_row *row = &r->summary;
    double typed = 0;
    for (int i = 0; i < row->nnames && i < row->nvalues; i++)
        if (strncmp(row->names[i], "keys_", 5) == 0) typed += result_row_get(row, row->names[i]);
    if (!(typed > 0)) return;
    double all = result_row_get(row, "final_keys");
    fputs("<h3>Keys by type and encoding at the end</h3>\n<table class=\"bins\">"
          "<tr><th>encoding</th><th>keys</th><th>bytes</th></tr>\n", f);
    if (all > typed)
        fprintf(f, "<tr><td>string</td><td>%.0f</td><td>n/a</td></tr>\n", all - typed);
    for (int i = 0; i < row->nnames && i < row->nvalues; i++) {
        const char *name = row->names[i];
        if (strncmp(name, "keys_", 5) != 0) continue;
        double keys = result_row_get(row, name);
        if (!(keys > 0)) continue;
        char bytes_name[128];
        snprintf(bytes_name, sizeof bytes_name, "bytes_%s", name + 5);
        char b[32];
        fprintf(f, "<tr><td>");
        report_escape(f, name + 5);
        fprintf(f, "</td><td>%.0f</td><td>%s</td></tr>\n", keys,
                svg_format(result_row_get(row, bytes_name), SVG_BYTES, b));
    }
    fputs("</table>\n<p class=\"note\">bytes: what the model allocated for the keys of that "
          "encoding (used_memory's unit); string keys' bytes are not counted apart.</p>\n", f);
}

static void run_section(FILE *f, const rs_run *r, rs_run *const *all, size_t nall,
                        const report_opts *o) {
    fputs("<div class=\"row\">\n", f);
    report_plot_memory(f, r, o->container_limit);
    report_plot_ratios(f, r);
    fputs("</div>\n", f);
    /* A run that did active defrag gets its effort and hits drawn. */
    if (!report_plot_defrag(f, r))
        fputs("<p class=\"note\">Defrag effort and hits: this run did no active defrag "
              "(activedefrag off, or its start rule never held).</p>\n", f);
    encodings(f, r);
    pagemaps(f, r);
    bins(f, r);
    doctor_block(f, r, all, nall, o);
}

static void group_title(FILE *f, const rs_group *g, size_t k) {
    static const char *const kinds[] = {"Run", "Comparison", "Sweep", "What-if"};
    fprintf(f, "<h2 id=\"g%zu\">%s: ", k, kinds[g->kind]);
    report_escape(f, g->dir);
    fputs("</h2>\n", f);
}

static void compare_section(FILE *f, const rs_group *g, const report_opts *o) {
    rs_run **runs = malloc((g->nruns ? g->nruns : 1) * sizeof *runs);
    if (runs == NULL) return;
    for (size_t i = 0; i < g->nruns; i++) runs[i] = &g->runs[i];
    char path[1400];
    snprintf(path, sizeof path, "%s/compare.txt", g->dir);
    char *table_text = result_read_file(path);
    if (table_text) text_block(f, table_text);
    free(table_text);
    fputs("<div class=\"row\">\n", f);
    report_plot_overlay(f, runs, g->nruns, "used_memory_rss", "RSS of each allocator",
                        SVG_BYTES, 0, o->container_limit, NULL);
    report_plot_overlay(f, runs, g->nruns, "allocator_active", "allocator_active of each allocator",
                        SVG_BYTES, 0, 0, NULL);
    report_plot_overlay(f, runs, g->nruns, "mem_fragmentation_ratio",
                        "Process fragmentation (RSS / used_memory)", SVG_PLAIN, 1, 0, NULL);
    report_plot_overlay(f, runs, g->nruns, "allocator_frag_ratio",
                        "Allocator fragmentation (active / allocated)", SVG_PLAIN, 1, 0, NULL);
    fputs("</div>\n", f);
    for (size_t i = 0; i < g->nruns; i++) {
        /* The first allocator's details are open: the page shows one full
         * example without a click. */
        fputs(i == 0 ? "<details open><summary>" : "<details><summary>", f);
        report_escape(f, g->runs[i].label);
        fputs("</summary>\n", f);
        run_section(f, &g->runs[i], runs, g->nruns, o);
        fputs("</details>\n", f);
    }
    free(runs);
}

/* The sweep.csv row of a run (its label starts with the point's id). */
static size_t sweep_row(const rs_group *g, const rs_run *r) {
    for (size_t i = 0; i < g->rows.nrows; i++) {
        const char *id = table_str(&g->rows, i, 0);
        size_t n = strlen(id);
        if (n > 0 && strncmp(r->label, id, n) == 0 && (r->label[n] == ' ' || !r->label[n]))
            return i;
    }
    return g->rows.nrows;
}

static void sweep_section(FILE *f, const rs_group *g, const report_opts *o) {
    char path[1400];
    snprintf(path, sizeof path, "%s/sweep.txt", g->dir);
    char *text = result_read_file(path);
    if (text) text_block(f, text);
    free(text);
    fputs("<p class=\"note\">Each point is one run of the grid, labelled with its number in the "
          "table below (points on one spot share a label); the Pareto front joins the points no "
          "other point beats on both axes.</p>\n", f);
    fputs("<div class=\"row\">\n", f);
    report_plot_tradeoff(f, g, "cpu_time", "CPU seconds of the run", SVG_PLAIN,
                         "mean_used_memory_rss", "mean RSS", o->container_limit);
    report_plot_tradeoff(f, g, "final_allocator_nmadvise", "madvise calls (purges)", SVG_PLAIN,
                         "mean_used_memory_rss", "mean RSS", o->container_limit);
    report_plot_tradeoff(f, g, "final_allocator_nmadvise", "madvise calls (purges)", SVG_PLAIN,
                         "peak_used_memory_rss", "peak RSS", o->container_limit);
    fputs("</div>\n<h3>The grid's points</h3>\n", f);
    report_sweep_key(f, g);
    rs_run **runs = malloc((g->nruns ? g->nruns : 1) * sizeof *runs);
    char (*names)[256] = calloc(g->nruns ? g->nruns : 1, sizeof *names);
    const char **np = calloc(g->nruns ? g->nruns : 1, sizeof *np);
    if (runs == NULL || names == NULL || np == NULL) goto out;
    for (size_t i = 0; i < g->nruns; i++) {
        runs[i] = &g->runs[i];
        size_t row = sweep_row(g, runs[i]);
        np[i] = row < g->rows.nrows ? report_sweep_name(g, row, names[i], sizeof names[i])
                                    : runs[i]->label;
    }
    if (g->nruns > 0)
        report_plot_overlay(f, runs, g->nruns < 10 ? g->nruns : 10, "used_memory_rss",
                            "RSS of the grid's points (the first ten)", SVG_BYTES, 0,
                            o->container_limit, np);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (m) {
        doctor_runs_at_hand(m, runs, g->nruns, NULL);
        fclose(m);
        if (len) text_block(f, buf);
        free(buf);
    }
out:
    free(np);
    free(names);
    free(runs);
}

/* A what-if: its table, its remedies' RSS as bars and over time, and the
 * seed's checklist. */
static void whatif_section(FILE *f, const rs_group *g, const report_opts *o) {
    static const char *const files[] = {"whatif.txt", "checklist.txt"};
    char path[1400];
    snprintf(path, sizeof path, "%s/%s", g->dir, files[0]);
    char *text = result_read_file(path);
    if (text) text_block(f, text);
    free(text);
    fputs("<h3>RSS by remedy</h3>\n<p class=\"note\">RSS less fragsim's own memory, every "
          "process of a remedy counted; every bar starts at the same left edge and is scaled to "
          "its column's largest (or the container limit, when given), and the change against "
          "the baseline follows.</p>\n", f);
    report_whatif_bars(f, g, o->container_limit);
    rs_run **runs = malloc((g->nruns ? g->nruns : 1) * sizeof *runs);
    if (runs != NULL && g->nruns > 0) {
        for (size_t i = 0; i < g->nruns; i++) runs[i] = &g->runs[i];
        fputs("<p class=\"note\">Over time: the baseline and each remedy replayed in one "
              "process (the server's RSS: the heap's plus an empty server's, fragsim's own memory "
              "left out).</p>\n", f);
        report_plot_overlay(f, runs, g->nruns < 10 ? g->nruns : 10, "used_memory_rss",
                            "RSS of the baseline and the remedies", SVG_BYTES, 0,
                            o->container_limit, NULL);
    }
    free(runs);
    snprintf(path, sizeof path, "%s/%s", g->dir, files[1]);
    text = result_read_file(path);
    if (text) {
        fputs("<h3>The seed's checklist</h3>\n", f);
        text_block(f, text);
    }
    free(text);
}

int report_html(FILE *f, rs_group *groups, size_t ngroups, const report_opts *o) {
    size_t nall = 0;
    rs_run **all = rs_all_runs(groups, ngroups, &nall);
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
               "<title>fragsim report</title>\n<style>%s</style>\n</head>\n<body>\n"
               "<h1>fragsim report</h1>\n<p class=\"note\">Virtual time in seconds since the "
               "trace's first event; bytes as the allocator and the kernel counted them; ratios "
               "named as in Redis's INFO memory.</p>\n<ul>\n", css);
    for (size_t k = 0; k < ngroups; k++) {
        static const char *const kinds[] = {"run", "comparison", "sweep", "what-if"};
        fprintf(f, "<li><a href=\"#g%zu\">%s</a>: ", k, kinds[groups[k].kind]);
        report_escape(f, groups[k].dir);
        fprintf(f, " (%zu run%s)</li>\n", groups[k].nruns, groups[k].nruns == 1 ? "" : "s");
    }
    fputs("</ul>\n", f);
    for (size_t k = 0; k < ngroups; k++) {
        const rs_group *g = &groups[k];
        group_title(f, g, k);
        report_provenance(f, g);
        if (g->kind == RS_COMPARE) compare_section(f, g, o);
        else if (g->kind == RS_SWEEP) sweep_section(f, g, o);
        else if (g->kind == RS_WHATIF) whatif_section(f, g, o);
        else run_section(f, &g->runs[0], all, nall, o);
    }
    fputs("</body>\n</html>\n", f);
    free(all);
    return ferror(f) ? -1 : 0;
}
