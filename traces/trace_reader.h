/* trace_reader: the one interface every trace source implements.
 *
 * A reader is a stream: next() hands out one event at a time and nothing
 * requires the whole trace in memory (DESIGN.md decision 7).  A file format
 * is one reader file plus one row in trace_reader.c's format table; the
 * generator is a reader too, so a preset replays without writing a file.
 *
 * trace_next() wraps a reader's next() with the checks every source must
 * pass (non-decreasing time, sizes and TTLs in range), so that each reader
 * only parses and the rules live in one place. */
#ifndef FRAGSIM_TRACE_READER_H
#define FRAGSIM_TRACE_READER_H

#include <stddef.h>
#include <stdint.h>

#include "../sim/base/fs_err.h"
#include "trace_event.h"
#include "trace_source.h"

typedef struct trace_reader trace_reader;

typedef struct trace_reader_ops {
    const char *name; /* format name: "text", "gen", "twitter" ... */
    /* Reads the next event into *ev.  Returns 1 for an event, 0 at the end
     * of the stream, -1 on error (err names the place and what was expected). */
    int (*next)(trace_reader *r, trace_event *ev, fs_err *err);
    /* Writes "FILE:LINE" (or the reader's notion of position) of the event
     * last returned, for messages. */
    void (*where)(trace_reader *r, char *buf, size_t n);
    void (*close)(trace_reader *r);
} trace_reader_ops;

struct trace_reader {
    const trace_reader_ops *ops;
    void *state;
    int64_t last_time_us; /* for the non-decreasing check */
    uint64_t nevents;     /* events returned so far */
};

/* Opens `path` ("-" for standard input) as a trace of the given format, or
 * detects it from the first bytes when format is NULL or "auto".  A file
 * starting with the zstd magic is decompressed on the fly, whatever its
 * format.  Returns 0, or -1 with err set. */
int trace_open(trace_reader *r, const char *path, const char *format, fs_err *err);

/* Returns 1 / 0 / -1 like ops->next, after the common checks. */
int trace_next(trace_reader *r, trace_event *ev, fs_err *err);

void trace_close(trace_reader *r);

/* The format table: readers that can open a file.  Each reads its bytes
 * from a trace_source, so a zstd-compressed file of any format reads like
 * the plain one. */
typedef struct trace_format {
    const char *name;
    const char *description;
    /* Does this format recognise these first bytes of a stream (after
     * decompression)?  n is less than TRACE_HEAD_BYTES only when the
     * stream is that short. */
    int (*detect)(const unsigned char *head, size_t n);
    /* Starts reading from src (owned by the reader from now on, even on
     * error), positioned at the start of the stream.  src->path is for
     * messages.  Returns 0, or -1 with err set. */
    int (*open)(trace_reader *r, trace_source *src, fs_err *err);
} trace_format;

/* How many bytes trace_open looks at to detect a format. */
#define TRACE_HEAD_BYTES 256

const trace_format *trace_format_find(const char *name);
const trace_format *trace_formats(size_t *count);

#endif
