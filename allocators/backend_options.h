/* backend_options: the one splitter of allocator option strings.
 *
 * Every backend takes a comma-separated list of NAME<sep>VALUE items in its
 * allocator's own syntax (jemalloc: MALLOC_CONF's "dirty_decay_ms:1000";
 * the others "decommit_delay=0").  This splits the list; each backend checks
 * the names and values it knows. */
#ifndef FRAGSIM_BACKEND_OPTIONS_H
#define FRAGSIM_BACKEND_OPTIONS_H

#include "../sim/base/fs_err.h"

/* Called for each item; returns 0, or -1 with err set to stop. */
typedef int (*backend_option_fn)(void *arg, const char *name, const char *value, fs_err *err);

/* Splits spec at commas and each item at its first `sep`, and calls fn.
 * Empty items (",," or a trailing comma) are skipped; an empty spec, an item
 * without `sep` or one over 255 bytes is an error naming `who` (the
 * allocator) and showing `example`.  Returns 0 or -1. */
int backend_options_split(const char *spec, char sep, const char *who, const char *example,
                          backend_option_fn fn, void *arg, fs_err *err);

#endif
