/* The byte source under every trace reader: buffered reads from a file
 * descriptor, decompressed with libzstd's streaming API when the stream
 * starts with the zstd magic.
 *
 * The buffer always keeps one byte free past buf[len], so that a line can be
 * NUL-terminated in place even when it ends the stream without a newline. */
#include "trace_source.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../sim/base/emem.h"
#include "zstd_emem.h"

#include <zstd_errors.h>

static const unsigned char zstd_magic[4] = {0x28, 0xB5, 0x2F, 0xFD};

/* The largest window a frame may ask for: 128 MiB, the limit of zstd's own
 * decoder and command-line tool, which covers every level up to --ultra -22.
 * A frame header is a few bytes; allowing the 2 GiB of `zstd --long=31`
 * would let a 20-byte file claim 2 GiB of this process (the decoder sizes
 * its window buffer from the header, not from the data that follows).  A
 * larger frame gets an error that says what to do instead. */
#define SOURCE_WINDOW_LOG_MAX 27

struct trace_source_zstd {
    ZSTD_DStream *ds;
    unsigned char *in;   /* compressed bytes: in[in_pos..in_len) not yet decoded */
    size_t in_cap, in_pos, in_len;
    int in_eof;
    uint64_t in_offset;  /* compressed bytes decoded so far */
    size_t last;         /* the last ZSTD_decompressStream answer: 0 at a frame's end */
};

/* read() that retries on EINTR.  Returns bytes read, 0 at the end, -1. */
static ssize_t read_fd(int fd, void *buf, size_t n) {
    ssize_t k;
    do k = read(fd, buf, n);
    while (k < 0 && errno == EINTR);
    return k;
}

void trace_source_close(trace_source *s) {
    if (s == NULL) return;
    if (s->fd >= 0) close(s->fd);
    if (s->z != NULL) {
        if (s->z->ds != NULL) ZSTD_freeDStream(s->z->ds);
        emem_unmap(s->z->in, s->z->in_cap);
        emem_unmap(s->z, sizeof *s->z);
    }
    emem_unmap(s->buf, TRACE_SOURCE_BUF);
    emem_unmap(s, sizeof *s);
}

/* Sets up decompression; the n bytes already read (the magic) are the
 * start of the compressed stream.  Returns 0 or -1. */
static int zstd_begin(trace_source *s, size_t n, fs_err *err) {
    trace_source_zstd *z = emem_map(sizeof *z);
    if (z == NULL) return fs_errf(err, "%s: cannot map the zstd state", s->path);
    s->z = z;
    z->in_cap = ZSTD_DStreamInSize();
    z->in = emem_map(z->in_cap);
    ZSTD_customMem mem = zstd_emem();
    z->ds = ZSTD_createDStream_advanced(mem);
    if (z->in == NULL || z->ds == NULL)
        return fs_errf(err, "%s: cannot set up zstd decompression (out of memory)", s->path);
    ZSTD_DCtx_setParameter(z->ds, ZSTD_d_windowLogMax, SOURCE_WINDOW_LOG_MAX);
    memcpy(z->in, s->buf, n);
    z->in_len = n;
    z->last = 1; /* inside a frame until the decoder says otherwise */
    s->len = 0;
    return 0;
}

trace_source *trace_source_open(const char *path, fs_err *err) {
    int is_stdin = strcmp(path, "-") == 0;
    int fd = is_stdin ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fs_errf(err, "cannot open trace '%s': %s", path, strerror(errno));
        return NULL;
    }
    trace_source *s = emem_map(sizeof *s);
    if (s == NULL) {
        close(fd);
        fs_errf(err, "cannot map reader state for '%s'", path);
        return NULL;
    }
    s->fd = fd;
    snprintf(s->path, sizeof s->path, "%s", is_stdin ? "<stdin>" : path);
    s->buf = emem_map(TRACE_SOURCE_BUF);
    if (s->buf == NULL) {
        fs_errf(err, "cannot map a read buffer for '%s'", s->path);
        trace_source_close(s);
        return NULL;
    }
    /* Exactly the magic's length first, so that a compressed stream's first
     * bytes can move to the compressed-input buffer whole. */
    while (s->len < sizeof zstd_magic) {
        ssize_t k = read_fd(fd, s->buf + s->len, sizeof zstd_magic - s->len);
        if (k < 0) {
            fs_errf(err, "cannot read trace '%s': %s", s->path, strerror(errno));
            trace_source_close(s);
            return NULL;
        }
        if (k == 0) {
            s->eof = 1;
            break;
        }
        s->len += (size_t)k;
    }
    if (s->len == sizeof zstd_magic && memcmp(s->buf, zstd_magic, sizeof zstd_magic) == 0 &&
        zstd_begin(s, s->len, err) != 0) {
        trace_source_close(s);
        return NULL;
    }
    return s;
}

int trace_source_compressed(const trace_source *s) { return s->z != NULL; }

/* Appends to buf[len..cap-1) whatever one read (or one round of
 * decompression) gives; sets eof at the end.  Returns 0 or -1. */
static int read_more(trace_source *s, fs_err *err) {
    size_t room = TRACE_SOURCE_BUF - 1 - s->len;
    if (s->z == NULL) {
        ssize_t k = read_fd(s->fd, s->buf + s->len, room);
        if (k < 0) return fs_errf(err, "read error: %s", strerror(errno));
        if (k == 0) s->eof = 1;
        s->len += (size_t)k;
        return 0;
    }
    trace_source_zstd *z = s->z;
    for (;;) {
        if (z->in_pos == z->in_len && !z->in_eof) {
            ssize_t k = read_fd(s->fd, z->in, z->in_cap);
            if (k < 0) return fs_errf(err, "read error: %s", strerror(errno));
            if (k == 0) z->in_eof = 1;
            z->in_pos = 0;
            z->in_len = (size_t)k;
        }
        /* At a frame's end with nothing left to read: the stream ends
         * cleanly.  (Called again, the decoder would wait for a next frame.) */
        if (z->in_pos == z->in_len && z->in_eof && z->last == 0) {
            s->eof = 1;
            return 0;
        }
        ZSTD_outBuffer out = {s->buf, s->len + room, s->len};
        ZSTD_inBuffer in = {z->in, z->in_len, z->in_pos};
        size_t rc = ZSTD_decompressStream(z->ds, &out, &in);
        if (ZSTD_isError(rc) && ZSTD_getErrorCode(rc) == ZSTD_error_frameParameter_windowTooLarge)
            return fs_errf(err, "a zstd frame at compressed byte %llu needs a window larger than "
                           "%u MiB, the most fragsim reads: expected a file compressed without "
                           "--long (or with --long=%d or less)",
                           (unsigned long long)z->in_offset, (1u << SOURCE_WINDOW_LOG_MAX) >> 20,
                           SOURCE_WINDOW_LOG_MAX);
        if (ZSTD_isError(rc))
            return fs_errf(err, "corrupt zstd data at compressed byte %llu (zstd: %s): expected "
                           "a valid zstd frame", (unsigned long long)(z->in_offset + in.pos -
                                                                       z->in_pos),
                           ZSTD_getErrorName(rc));
        z->in_offset += in.pos - z->in_pos;
        z->in_pos = in.pos;
        z->last = rc;
        size_t produced = out.pos - s->len;
        s->len = out.pos;
        if (produced > 0 || s->len == TRACE_SOURCE_BUF - 1) return 0;
        if (z->in_pos == z->in_len && z->in_eof) {
            if (z->last != 0)
                return fs_errf(err, "the zstd stream ends inside a frame after %llu compressed "
                               "bytes: the file is truncated (expected the rest of the frame)",
                               (unsigned long long)z->in_offset);
            s->eof = 1;
            return 0;
        }
    }
}

ssize_t trace_source_fill(trace_source *s, size_t need, fs_err *err) {
    if (s->len - s->pos >= need || s->eof) return (ssize_t)(s->len - s->pos);
    if (s->pos > 0) {
        memmove(s->buf, s->buf + s->pos, s->len - s->pos);
        s->base += s->pos;
        s->len -= s->pos;
        s->pos = 0;
    }
    while (s->len < need && !s->eof)
        if (read_more(s, err) != 0) return -1;
    return (ssize_t)s->len;
}

ssize_t trace_source_read(trace_source *s, void *dst, size_t n, fs_err *err) {
    if (n == 0) return 0;
    if (s->pos == s->len && s->z == NULL && !s->eof && n >= TRACE_SOURCE_BUF / 16) {
        /* Nothing buffered and a big request: straight into the caller's
         * buffer, one copy fewer. */
        ssize_t k = read_fd(s->fd, dst, n);
        if (k < 0) return fs_errf(err, "read error: %s", strerror(errno));
        if (k == 0) s->eof = 1;
        s->base += (uint64_t)k;
        return k;
    }
    if (s->pos == s->len && trace_source_fill(s, 1, err) < 0) return -1;
    size_t k = s->len - s->pos < n ? s->len - s->pos : n;
    memcpy(dst, s->buf + s->pos, k);
    s->pos += k;
    return (ssize_t)k;
}

int trace_source_line(trace_source *s, char **line, size_t *len, fs_err *err) {
    size_t scanned = 0;
    for (;;) {
        char *start = (char *)s->buf + s->pos;
        size_t avail = s->len - s->pos;
        char *nl = memchr(start + scanned, '\n', avail - scanned);
        if (nl != NULL) {
            size_t n = (size_t)(nl - start);
            *nl = '\0';
            if (n > 0 && start[n - 1] == '\r') start[--n] = '\0';
            s->pos += (size_t)(nl - start) + 1;
            s->line++;
            *line = start;
            *len = n;
            return 1;
        }
        scanned = avail;
        if (s->eof) {
            if (avail == 0) return 0;
            /* The last line has no newline: the spare byte holds its NUL. */
            s->buf[s->len] = '\0';
            if (start[avail - 1] == '\r') start[--avail] = '\0';
            s->pos = s->len;
            s->line++;
            *line = start;
            *len = avail;
            return 1;
        }
        if (avail >= TRACE_SOURCE_BUF - 1)
            return fs_errf(err, "line longer than %zu bytes: expected one record per line",
                           TRACE_SOURCE_BUF - 2);
        if (trace_source_fill(s, avail + 1, err) < 0) return -1;
    }
}

void trace_source_where(const trace_source *s, char *buf, size_t n) {
    snprintf(buf, n, "%s:%llu", s->path, (unsigned long long)s->line);
}

int trace_source_errf(fs_err *err, const trace_source *s, const char *fmt, ...) {
    char msg[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return fs_errf(err, "%s:%llu: %s", s->path, (unsigned long long)s->line, msg);
}
