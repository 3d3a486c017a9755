/* The report's provenance block: what produced each group of runs, read
 * from the runs' own summary.json, so a page printed or mailed on its own
 * still says which trace, which clock and which allocator builds it shows. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fragsim_config.h"
#include "report.h"
#include "result_rows.h"

#define PROV_MAX 12 /* distinct values listed; more are counted */

/* Distinct values in the order first seen. */
typedef struct prov_set {
    char v[PROV_MAX][256];
    size_t n, more;
} prov_set;

static void set_add(prov_set *s, const char *v) {
    if (v == NULL || *v == '\0') return;
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], v) == 0) return;
    if (s->n < PROV_MAX) snprintf(s->v[s->n++], sizeof s->v[0], "%s", v);
    else s->more++;
}

/* The value of "key" in summary.json text at or after from: a string
 * (unescaped as far as the report needs) or a number.  "" when absent or
 * not a scalar. */
static const char *json_scalar(const char *text, const char *from, const char *key, char *out,
                               size_t n) {
    char pat[96];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    out[0] = '\0';
    const char *p = from ? strstr(from, pat) : NULL;
    if (p == NULL || text == NULL) return out;
    p += strlen(pat);
    size_t k = 0;
    if (*p == '"') {
        for (p++; *p && *p != '"' && k + 1 < n; p++) {
            if (*p == '\\' && p[1]) p++;
            out[k++] = *p;
        }
    } else if (*p != '{' && *p != '[') {
        while (*p && !strchr(",\n}", *p) && k + 1 < n) out[k++] = *p++;
    }
    out[k] = '\0';
    return out;
}

static void utc(time_t t, char *buf, size_t n) {
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%d %H:%M UTC", &tm);
}

static void row(FILE *f, const char *head, const prov_set *s) {
    fprintf(f, "<tr><th>%s</th><td>", head);
    if (s->n == 0) fputs("(not recorded)", f);
    for (size_t i = 0; i < s->n; i++) {
        if (i) fputs("; ", f);
        report_escape(f, s->v[i]);
    }
    if (s->more) fprintf(f, "; and %zu more", s->more);
    fputs("</td></tr>\n", f);
}

void report_provenance(FILE *f, const rs_group *g) {
    prov_set *s = calloc(5, sizeof *s); /* workload, clock, allocators, versions, written */
    if (s == NULL) return;
    time_t first = 0, last = 0;
    for (size_t i = 0; i < g->nruns; i++) {
        char path[1400], a[256], b[256], c[600];
        snprintf(path, sizeof path, "%s/summary.json", g->runs[i].dir);
        char *text = result_read_file(path);
        struct stat st;
        if (stat(path, &st) == 0) {
            if (first == 0 || st.st_mtime < first) first = st.st_mtime;
            if (st.st_mtime > last) last = st.st_mtime;
        }
        if (text == NULL) continue;
        /* The generator's block holds the keys of a preset's workload. */
        const char *gen = strstr(text, "\"generator\": {");
        json_scalar(text, text, "trace", a, sizeof a);
        json_scalar(text, gen, "keys", b, sizeof b);
        snprintf(c, sizeof c, "%s%s%s%s", a, *b ? ", " : "", b, *b ? " keys" : "");
        set_add(&s[0], c);
        json_scalar(text, text, "clock", a, sizeof a);
        if (strcmp(a, "wall") == 0) {
            json_scalar(text, text, "speed", b, sizeof b);
            snprintf(c, sizeof c, "wall, speed %s", *b ? b : "?");
        } else {
            snprintf(c, sizeof c, "%s", *a ? a : "virtual");
        }
        set_add(&s[1], c);
        json_scalar(text, text, "allocator", a, sizeof a);
        json_scalar(text, text, "allocator_version", b, sizeof b);
        snprintf(c, sizeof c, "%s %s", a, *b ? b : "(version not known)");
        set_add(&s[2], c);
        json_scalar(text, text, "fragsim_version", a, sizeof a);
        set_add(&s[3], a);
        free(text);
    }
    char t0[64], t1[64], now[64], w[160];
    if (first != 0) {
        utc(first, t0, sizeof t0);
        utc(last, t1, sizeof t1);
        snprintf(w, sizeof w, strcmp(t0, t1) == 0 ? "%s" : "%s to %s", t0, t1);
        set_add(&s[4], w);
    }
    utc(time(NULL), now, sizeof now);
    fputs("<table class=\"prov\">\n", f);
    row(f, "trace or preset", &s[0]);
    row(f, "clock", &s[1]);
    row(f, "allocators", &s[2]);
    row(f, "fragsim of the runs", &s[3]);
    row(f, "runs written", &s[4]);
    fprintf(f, "<tr><th>this page</th><td>fragsim %s report, %s</td></tr>\n</table>\n",
            FRAGSIM_VERSION, now);
    free(s);
}
