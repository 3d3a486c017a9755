/* Helpers for tests: running the real executables, temporary directories,
 * files, and reading series.csv. */
#ifndef FRAGSIM_TEST_UTIL_H
#define FRAGSIM_TEST_UTIL_H

#include <stddef.h>

typedef struct tu_result {
    int exit_code; /* -1 if killed by a signal */
    int signal;
    char *out;     /* captured standard output (malloc'd, NUL-terminated) */
    char *err;     /* captured standard error */
} tu_result;

/* Runs argv (argv[0] a path, NULL-terminated) with standard input from
 * stdin_path (NULL: /dev/null), in directory cwd (NULL: the current one).
 * Returns 0 when it could be run. */
int tu_run(tu_result *r, const char *cwd, const char *stdin_path, const char *const argv[]);
void tu_result_free(tu_result *r);
/* Runs the fragsim front end (FRAGSIM_BIN) with args (NULL-terminated, at
 * most 62), in cwd.  Returns 0 when it could be run. */
int tu_fragsim(tu_result *r, const char *cwd, const char *const *args);

/* A fresh directory under /tmp (malloc'd path). */
char *tu_tmpdir(void);
/* Removes a directory tree. */
void tu_rmtree(const char *path);
char *tu_read_file(const char *path, size_t *len);
int tu_write_file(const char *path, const char *content);
int tu_exists(const char *path);
/* The number after "key": in json, searched from the first `after` (NULL:
 * the start); a missing key fails the test. */
double tu_json_num(const char *json, const char *after, const char *key);
/* "DIR/NAME" in a static ring of buffers (valid for a few calls). */
const char *tu_path(const char *dir, const char *name);

/* A CSV file of numbers with a header row (after any '#' comment lines);
 * empty fields are NAN. */
typedef struct tu_csv {
    int ncols;
    char **names;
    size_t nrows;
    double *v; /* nrows * ncols */
} tu_csv;

int tu_csv_load(tu_csv *c, const char *path);
int tu_csv_col(const tu_csv *c, const char *name); /* -1 if absent */
double tu_csv_get(const tu_csv *c, size_t row, const char *name);
void tu_csv_free(tu_csv *c);

#endif
