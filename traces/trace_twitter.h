/* trace_twitter: reader of Twitter's cache-trace CSV (layout in trace_twitter.c).
 * How its operations become fragsim events is in traces/FORMAT.md. */
#ifndef FRAGSIM_TRACE_TWITTER_H
#define FRAGSIM_TRACE_TWITTER_H

#include "trace_reader.h"

int trace_twitter_detect(const unsigned char *head, size_t n);
int trace_twitter_open(trace_reader *r, trace_source *src, fs_err *err);

#endif
