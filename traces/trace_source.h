/* trace_source: the bytes under every trace reader.
 *
 * A source is a file (or standard input) read through one buffer in engine
 * memory.  When the stream starts with the zstd frame magic (28 B5 2F FD) it
 * is decompressed on the fly with libzstd's streaming API, so every format
 * reads .zst files for free, and format detection looks at the decompressed
 * head.  zstd's own memory (its window and tables) comes from emem through a
 * custom allocator: decompressing a trace adds nothing to the heap under test.
 *
 * Readers take bytes in one of three ways: records straight from the buffer
 * (trace_source_fill, then peek and skip), whole lines (trace_source_line),
 * or copies into their own buffer (trace_source_read).
 *
 * Error messages say what went wrong and what was expected, but not the
 * file's name or the position: the reader knows its line or record and
 * prefixes both. */
#ifndef FRAGSIM_TRACE_SOURCE_H
#define FRAGSIM_TRACE_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../sim/base/fs_err.h"

/* Bytes of the buffer.  A line (trace_source_line) must fit in it, less one
 * byte for its terminating NUL. */
#define TRACE_SOURCE_BUF ((size_t)1 << 20)

typedef struct trace_source_zstd trace_source_zstd;

typedef struct trace_source {
    int fd;
    char path[512];        /* for messages: the path, "<stdin>" for "-" */
    unsigned char *buf;    /* TRACE_SOURCE_BUF bytes */
    size_t pos, len;       /* unconsumed bytes are buf[pos..len) */
    uint64_t base;         /* stream offset of buf[0] (decompressed bytes) */
    int eof;               /* no bytes follow buf[len) */
    uint64_t line;         /* lines returned by trace_source_line so far */
    trace_source_zstd *z;  /* NULL: the stream is not compressed */
} trace_source;

/* Opens path ("-": standard input) and, if it starts with the zstd magic,
 * sets up decompression.  Returns the source (engine memory) or NULL with
 * err naming the file. */
trace_source *trace_source_open(const char *path, fs_err *err);
void trace_source_close(trace_source *s);

/* Buffers at least `need` (<= TRACE_SOURCE_BUF - 1) unconsumed bytes when
 * the stream has them.  Returns how many are buffered (fewer than need only
 * at the end of the stream), or -1 on a read or decompression error. */
ssize_t trace_source_fill(trace_source *s, size_t need, fs_err *err);

static inline size_t trace_source_avail(const trace_source *s) { return s->len - s->pos; }
static inline const unsigned char *trace_source_peek(const trace_source *s) {
    return s->buf + s->pos;
}
/* Consumes n (<= avail) buffered bytes. */
static inline void trace_source_skip(trace_source *s, size_t n) { s->pos += n; }
/* Stream offset of the next unconsumed byte (decompressed). */
static inline uint64_t trace_source_offset(const trace_source *s) { return s->base + s->pos; }

/* Copies up to n bytes into dst.  Returns the count (0 at the end), or -1. */
ssize_t trace_source_read(trace_source *s, void *dst, size_t n, fs_err *err);

/* The next line, without its "\n" or "\r\n", NUL-terminated in place (the
 * bytes are the source's; valid until the next call).  Returns 1, 0 at the
 * end of the stream, or -1 (read error, or a line longer than the buffer). */
int trace_source_line(trace_source *s, char **line, size_t *len, fs_err *err);

/* 1 when the file is zstd-compressed. */
int trace_source_compressed(const trace_source *s);

/* "PATH:LINE" of the line last returned, for the readers' where(). */
void trace_source_where(const trace_source *s, char *buf, size_t n);

/* Sets err to "PATH:LINE: " and the formatted message, for a line-based
 * reader's parse errors.  Returns -1. */
int trace_source_errf(fs_err *err, const trace_source *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
