/* result_rows: reading back what runs wrote (their summary.csv), for the
 * tables that gather several runs (compare, sweep).  Front end only: it
 * uses malloc and stdio. */
#ifndef FRAGSIM_RESULT_ROWS_H
#define FRAGSIM_RESULT_ROWS_H

#include <stdio.h>

#include "../sim/base/fs_err.h"

#define RESULT_ROW_MAX_FIELDS 1024

/* One run's summary.csv: its header and its row, split. */
typedef struct result_row {
    char *text;
    char *names[RESULT_ROW_MAX_FIELDS], *values[RESULT_ROW_MAX_FIELDS];
    int nnames, nvalues;
} result_row;

/* A field of a results file as a measured number: finite, 0 to
 * RESULT_MAX_VALUE.  Returns 0 and sets *v, or -1 with *why saying what is
 * wrong ("not a number", "not finite", "negative", "too large"). */
#define RESULT_MAX_VALUE 1e19 /* above any byte count or counter a run can reach (2^63) */
int result_number(const char *field, double *v, const char **why);
/* 1 when the column is a signed sample column (heap_rss, the *_bytes beside
 * the ratios), as series.csv names it or summary.csv (final_heap_rss ...):
 * below 0 is a measurement there, not a broken file. */
int result_signed_column(const char *name);

/* Loads dir/summary.csv and checks it: a header starting with "allocator",
 * as many fields as names, and every field but the text ones (allocator,
 * allocator_options, trace, trace_digest, remedy) empty or a measured
 * number.  The error names the file, line and column of the first fault.
 * Returns 0 or -1. */
int result_row_load(result_row *r, const char *dir, fs_err *err);
/* A column as a number; NAN when empty or absent. */
double result_row_get(const result_row *r, const char *name);
void result_row_free(result_row *r);

/* Splits one CSV line in place into at most max fields (quotes honoured);
 * returns the number of fields. */
int csv_split(char *line, char **fields, int max);
/* Writes a CSV field, quoted when it must be. */
void csv_put_field(FILE *f, const char *s);
/* A whole small file (malloc'd, NUL-terminated), or NULL. */
char *result_read_file(const char *path);

#endif
