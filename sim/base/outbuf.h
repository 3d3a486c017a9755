/* outbuf: buffered output to a file descriptor, with its buffer in engine
 * memory (emem) so that writing results never allocates from the heap under
 * test.  Errors are sticky: write as much as you like, then check once at
 * outbuf_close(). */
#ifndef FRAGSIM_OUTBUF_H
#define FRAGSIM_OUTBUF_H

#include <stddef.h>

#include "fs_err.h"

typedef struct outbuf {
    int fd;
    char *buf;
    size_t len, cap;
    int error; /* first errno seen, 0 if none */
    const char *name; /* for messages */
} outbuf;

/* Takes ownership of fd (closed by outbuf_close unless it is 0..2).
 * Returns 0, or -1 when no buffer could be mapped. */
int outbuf_open(outbuf *ob, int fd, const char *name, fs_err *err);
void outbuf_write(outbuf *ob, const void *p, size_t n);
void outbuf_puts(outbuf *ob, const char *s);
void outbuf_printf(outbuf *ob, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void outbuf_flush(outbuf *ob);
/* Flushes, closes, and reports the first error.  Returns 0 or -1. */
int outbuf_close(outbuf *ob, fs_err *err);

#endif
