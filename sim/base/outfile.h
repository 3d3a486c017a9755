/* outfile: the one way fragsim writes an output file (a trace, a report, an
 * export): into a temporary sibling, renamed over the target at the end, so
 * a failed or interrupted command never leaves half a file and never
 * destroys the one that was there.
 *
 * The target must be a regular file or not exist yet.  A device, a FIFO, a
 * directory, a socket or a symbolic link is refused before any work (a
 * rename would replace the node itself: `-o /dev/stdout` would replace the
 * system's /dev/stdout); "-" is standard output.  The temporary name is
 * TARGET.partial-PID, created exclusively, so two commands writing the same
 * target never mix: the last to finish wins, whole.  It is registered with
 * cleanup.h, so a signal removes it. */
#ifndef FRAGSIM_OUTFILE_H
#define FRAGSIM_OUTFILE_H

#include <limits.h>

#include "fs_err.h"

typedef struct outfile {
    int fd;              /* write here: the temporary file, or STDOUT_FILENO */
    const char *path;    /* the target as given (NULL for standard output) */
    const char *name;    /* for messages: the target, or "standard output" */
    char tmp[PATH_MAX];  /* the temporary file ("" for standard output) */
    int slot;            /* in the cleanup registry, or -1 */
} outfile;

/* Returns 1 when path means standard output (NULL or "-"). */
int outfile_is_stdout(const char *path);

/* Checks the target (see above) and creates the temporary file.  Returns
 * 0, or -1 with a message naming the target and the reason. */
int outfile_open(outfile *of, const char *path, fs_err *err);

/* The temporary file is complete and its descriptor closed (outbuf_close or
 * fclose took it): rename it over the target, checking again that the
 * target is still a regular file or absent.  On failure the temporary file
 * is removed.  Returns 0 or -1. */
int outfile_commit(outfile *of, fs_err *err);

/* Removes the temporary file (the descriptor must be closed already).
 * Safe to call after a commit or on a standard output. */
void outfile_abort(outfile *of);

#endif
