/* trace_binary: fragsim's binary trace, version 1 (layout in trace_binary.c
 * and traces/FORMAT.md): fixed-size little-endian event records, keys
 * interned to ids defined inline before their first use, so that a
 * streaming writer never looks back and a reader needs only the key table. */
#ifndef FRAGSIM_TRACE_BINARY_H
#define FRAGSIM_TRACE_BINARY_H

#include "../sim/base/outbuf.h"
#include "trace_reader.h"

/* 0x89 "FSTR" CR LF 0x1A: a high byte, then CR LF and ^Z, which a text-mode
 * transfer would change (PNG's trick). */
#define TRACE_BINARY_MAGIC "\x89" "FSTR\r\n\x1a"
#define TRACE_BINARY_MAGIC_LEN 8
#define TRACE_BINARY_VERSION 1u
#define TRACE_BINARY_HEADER 16u
#define TRACE_BINARY_RECORD 32u

int trace_binary_detect(const unsigned char *head, size_t n);
int trace_binary_open(trace_reader *r, trace_source *src, fs_err *err);

/* Writing: the header at creation, one record per event (and one key
 * definition before a key's first use), the end record at finish.  The
 * writer keeps every key it has seen (in engine memory), to give each its
 * id.  ob stays the caller's. */
typedef struct trace_binary_writer trace_binary_writer;

/* Returns the writer, or NULL with err set. */
trace_binary_writer *trace_binary_writer_new(outbuf *ob, fs_err *err);
/* Returns 0, or -1 (out of memory for the key table) with err set. */
int trace_binary_write_event(trace_binary_writer *w, const trace_event *ev, fs_err *err);
/* Writes the end record (with the event count) and frees the writer.  A
 * file without its end record reads as truncated. */
void trace_binary_writer_finish(trace_binary_writer *w);
/* Frees the writer without ending the stream (after an error). */
void trace_binary_writer_free(trace_binary_writer *w);

#endif
