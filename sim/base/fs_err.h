/* fs_err: the one error convention of fragsim's library code.
 *
 * Library functions never print and never exit.  A function that can fail
 * takes an `fs_err *` as its last argument and returns -1 (or NULL) after
 * filling it with one complete sentence the user can act on: which file,
 * which line, what was found, what was expected.  Only main() decides to
 * print the message and exit. */
#ifndef FRAGSIM_FS_ERR_H
#define FRAGSIM_FS_ERR_H

#include <stddef.h>

typedef struct fs_err {
    char msg[1024];
} fs_err;

/* Formats the message into err (if err is not NULL).  Always returns -1, so
 * callers can write `return fs_errf(err, "...")`. */
int fs_errf(fs_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prefixes an existing message: "PREFIX: old message".  Returns -1. */
int fs_err_prefix(fs_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
