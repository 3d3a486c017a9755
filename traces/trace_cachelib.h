/* trace_cachelib: reader of CacheLib's kvcache replay CSV (layout in trace_cachelib.c).
 * How its operations become fragsim events is in traces/FORMAT.md. */
#ifndef FRAGSIM_TRACE_CACHELIB_H
#define FRAGSIM_TRACE_CACHELIB_H

#include "trace_reader.h"

int trace_cachelib_detect(const unsigned char *head, size_t n);
int trace_cachelib_open(trace_reader *r, trace_source *src, fs_err *err);

#endif
