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

#include "../sim/fs_err.h"
#include "trace_event.h"

typedef struct trace_reader trace_reader;

typedef struct trace_reader_ops {
    const char *name; /* format name: "text", "gen" ... */
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
 * detects it from the first bytes when format is NULL or "auto".
 * Returns 0, or -1 with err set. */
int trace_open(trace_reader *r, const char *path, const char *format, fs_err *err);

/* Returns 1 / 0 / -1 like ops->next, after the common checks. */
int trace_next(trace_reader *r, trace_event *ev, fs_err *err);

void trace_close(trace_reader *r);

/* The format table: readers that can open a file. */
typedef struct trace_format {
    const char *name;
    const char *description;
    /* Does this format recognise these first bytes of a file? */
    int (*detect)(const unsigned char *head, size_t n);
    /* Starts reading from fd (owned by the reader from now on, even on
     * error), whose first n bytes were already read into head: they are the
     * start of the stream.  `path` is for messages. */
    int (*open)(trace_reader *r, const char *path, int fd,
                const unsigned char *head, size_t n, fs_err *err);
} trace_format;

/* How many bytes trace_open reads before detecting a format. */
#define TRACE_HEAD_BYTES 256

const trace_format *trace_format_find(const char *name);
const trace_format *trace_formats(size_t *count);

#endif
