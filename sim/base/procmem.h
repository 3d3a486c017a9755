/* procmem: what the kernel says about this process's memory. */
#ifndef FRAGSIM_PROCMEM_H
#define FRAGSIM_PROCMEM_H

#include <stdint.h>

#include "fs_err.h"

/* Resident set size in bytes, from /proc/self/statm (the number Redis's
 * used_memory_rss reads from /proc/self/stat).  Returns 0 or -1.  Reads with
 * a stack buffer: no heap allocation. */
int procmem_rss(uint64_t *rss, fs_err *err);

#endif
