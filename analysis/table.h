/* table: a CSV file read back whole, for the analysis commands (report,
 * doctor, export): series.csv, sweep.csv, pagemap-*.csv, bins-*.csv.
 * Quote-aware (csv_split), '#' lines before the header kept as comments,
 * every field also parsed as a number.  Front end only: malloc and stdio. */
#ifndef FRAGSIM_TABLE_H
#define FRAGSIM_TABLE_H

#include <stddef.h>

#include "../sim/base/fs_err.h"

#define TABLE_MAX_COLUMNS 1024

typedef struct table {
    char *text;       /* the file, split in place */
    char comment[512]; /* the first '#' line before the header, without "# " */
    int ncols;
    char **names;     /* ncols column names */
    size_t nrows;
    char **cells;     /* nrows * ncols fields */
    double *num;      /* nrows * ncols; NAN for an empty or non-numeric field */
    size_t *lines;    /* nrows: each row's line in the file, for messages */
} table;

/* Loads path.  A row whose field count differs from the header's is an
 * error naming the file and line.  Returns 0 or -1. */
int table_load(table *t, const char *path, fs_err *err);
void table_free(table *t);

/* Checks a table of measurements (series.csv): every field empty or a
 * measured number (result_number: finite, 0 to RESULT_MAX_VALUE), and
 * time_col present and never going backwards.  The error names the file,
 * line and column of the first fault.  Returns 0 or -1. */
int table_check_measures(const table *t, const char *path, const char *time_col, fs_err *err);

/* The column's index, or -1. */
int table_col(const table *t, const char *name);
/* Cell as a number (NAN when col < 0 or the field is not a number). */
double table_num(const table *t, size_t row, int col);
/* Cell as text ("" when col < 0). */
const char *table_str(const table *t, size_t row, int col);
/* A whole column copied into a malloc'd array of nrows numbers (NANs when
 * the column is absent); NULL when out of memory. */
double *table_column(const table *t, const char *name);

#endif
