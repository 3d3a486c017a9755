/* fuzz_results: a results directory as doctor, report, export and
 * sweep --collect read it (analysis/resultset.h, sweep.h).
 *
 * The input is the directory's files, each introduced by a line
 *
 *   == NAME
 *
 * (NAME: letters, digits, '.', '_', '-', at most one '/' for a run inside a
 * comparison or a sweep, e.g. jemalloc/series.csv), followed by its bytes.
 * The files are written to a fresh directory, which is then loaded as
 * `fragsim report` loads it; every run found goes through the doctor and
 * the Prometheus export, the group through the HTML report, and the
 * directory through sweep --collect.  Output goes to /dev/null. */
#define _GNU_SOURCE
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../analysis/doctor.h"
#include "../../analysis/prom.h"
#include "../../analysis/report.h"
#include "../../analysis/resultset.h"
#include "../../analysis/sweep.h"
#include "fuzz.h"

#define MAX_FILES 32

static FILE *devnull;

/* 1 when name is a file name the format allows. */
static int good_name(const char *name, size_t n) {
    int slashes = 0;
    if (n == 0 || n > 64 || name[0] == '.' || name[0] == '/' || name[n - 1] == '/') return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (c == '/') {
            if (++slashes > 1 || name[i + 1] == '.') return 0;
        } else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* Writes the files of the input under dir.  Returns how many. */
static int unpack(const char *dir, const char *text, size_t size) {
    const char *p = text, *end = text + size;
    int nfiles = 0;
    while (p < end && nfiles < MAX_FILES) {
        /* the next "== NAME" line at p */
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL) break;
        if (nl - p < 4 || memcmp(p, "== ", 3) != 0) {
            p = nl + 1;
            continue;
        }
        const char *name = p + 3;
        size_t nlen = (size_t)(nl - name);
        /* its bytes: up to the next line starting "== " */
        const char *body = nl + 1;
        const char *next = memmem(nl, (size_t)(end - nl), "\n== ", 4);
        const char *q = next ? next + 1 : end;
        p = q;
        if (!good_name(name, nlen)) continue;
        char path[256];
        snprintf(path, sizeof path, "%s/%.*s", dir, (int)nlen, name);
        char *slash = strrchr(path + strlen(dir) + 1, '/');
        if (slash != NULL) {
            *slash = '\0';
            mkdir(path, 0700);
            *slash = '/';
        }
        FILE *f = fopen(path, "wb");
        if (f == NULL) continue; /* e.g. a name that is already a directory */
        fwrite(body, 1, (size_t)(q - body), f);
        fclose(f);
        nfiles++;
    }
    return nfiles;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL) abort();
    char dir[] = "/tmp/fragsim-fuzz-results-XXXXXX";
    if (mkdtemp(dir) == NULL) abort();
    char *text = fuzz_string(data, size);
    if (unpack(dir, text, size) > 0) {
        fs_err err;
        rs_group g;
        if (rs_load(&g, dir, &err) == 0) {
            size_t n;
            rs_run **runs = rs_all_runs(&g, 1, &n);
            doctor_opts dopts = {.container_limit = 1e9};
            for (size_t i = 0; i < n; i++) doctor_run(devnull, runs[i], runs, n, &dopts);
            prom_write(devnull, runs, n, 1.7e9, 0);
            prom_write(devnull, runs, n, 1.7e9, 1);
            report_opts ropts = {.container_limit = 1e9};
            report_html(devnull, &g, 1, &ropts);
            free(runs);
        }
        rs_free(&g); /* after a failed load too, as `fragsim report` does */
        const char *dirs[] = {dir};
        size_t missing;
        sweep_collect(dirs, 1, dir, NULL, 1, &missing, &err);
    }
    free(text);
    nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
    return 0;
}
