/* series.csv: a header row of sample_columns' names, then one row per
 * sample.  Bytes as integers, seconds with microseconds, ratios with four
 * decimals; a value the allocator does not report, or a ratio of a zero
 * denominator, is an empty field, which pandas reads as NaN and gnuplot as
 * missing. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../sim/base/emem.h"
#include "results.h"

typedef struct csv_state {
    outbuf ob;
} csv_state;

static int csv_open(void **state, const char *dir, fs_err *err) {
    char path[1200];
    snprintf(path, sizeof path, "%s/series.csv", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) return fs_errf(err, "cannot create %s", path);
    csv_state *s = emem_map(sizeof *s);
    if (s == NULL) {
        close(fd);
        return fs_errf(err, "cannot map writer state");
    }
    if (outbuf_open(&s->ob, fd, "series.csv", err) != 0) {
        emem_unmap(s, sizeof *s);
        return -1;
    }
    for (size_t i = 0; i < sample_ncolumns; i++)
        outbuf_printf(&s->ob, "%s%s", i ? "," : "", sample_columns[i].name);
    outbuf_write(&s->ob, "\n", 1);
    *state = s;
    return 0;
}

static int csv_sample(void *state, const sample_row *row, fs_err *err) {
    (void)err;
    csv_state *s = state;
    for (size_t i = 0; i < sample_ncolumns; i++) {
        const sample_column *c = &sample_columns[i];
        if (i) outbuf_write(&s->ob, ",", 1);
        results_csv_value(&s->ob, c, sample_value(row, c));
    }
    outbuf_write(&s->ob, "\n", 1);
    return s->ob.error ? fs_errf(err, "cannot write series.csv: %s", strerror(s->ob.error)) : 0;
}

static int csv_close(void *state, const run_summary *summary, fs_err *err) {
    (void)summary;
    csv_state *s = state;
    int rc = outbuf_close(&s->ob, err);
    emem_unmap(s, sizeof *s);
    return rc;
}

const result_writer_ops results_series_csv = {"series.csv", csv_open, csv_sample, csv_close};
