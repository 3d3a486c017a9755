/* trace_oracle: reader of libCacheSim's oracleGeneral binary trace (layout in trace_oracle.c).
 * How its operations become fragsim events is in traces/FORMAT.md. */
#ifndef FRAGSIM_TRACE_ORACLE_H
#define FRAGSIM_TRACE_ORACLE_H

#include "trace_reader.h"

int trace_oracle_detect(const unsigned char *head, size_t n);
int trace_oracle_open(trace_reader *r, trace_source *src, fs_err *err);

#endif
