#include "outbuf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "emem.h"

#define OUTBUF_CAP ((size_t)1 << 16)

int outbuf_open(outbuf *ob, int fd, const char *name, fs_err *err) {
    memset(ob, 0, sizeof *ob);
    ob->fd = fd;
    ob->name = name;
    ob->cap = OUTBUF_CAP;
    ob->buf = emem_map(ob->cap);
    if (ob->buf == NULL) {
        if (fd > 2) close(fd);
        return fs_errf(err, "cannot map an output buffer for %s", name);
    }
    return 0;
}

void outbuf_flush(outbuf *ob) {
    size_t off = 0;
    while (off < ob->len && ob->error == 0) {
        ssize_t k = write(ob->fd, ob->buf + off, ob->len - off);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) ob->error = errno;
        else off += (size_t)k;
    }
    ob->len = 0;
}

void outbuf_write(outbuf *ob, const void *p, size_t n) {
    const char *s = p;
    while (n > 0) {
        if (ob->len == ob->cap) outbuf_flush(ob);
        size_t k = ob->cap - ob->len < n ? ob->cap - ob->len : n;
        memcpy(ob->buf + ob->len, s, k);
        ob->len += k;
        s += k;
        n -= k;
    }
}

void outbuf_puts(outbuf *ob, const char *s) { outbuf_write(ob, s, strlen(s)); }

void outbuf_printf(outbuf *ob, const char *fmt, ...) {
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) {
        ob->error = ob->error ? ob->error : EINVAL;
        return;
    }
    if ((size_t)n >= sizeof tmp) {
        /* Rare long line: format straight into the buffer after a flush. */
        outbuf_flush(ob);
        if ((size_t)n < ob->cap) {
            va_start(ap, fmt);
            vsnprintf(ob->buf, ob->cap, fmt, ap);
            va_end(ap);
            ob->len = (size_t)n;
        } else {
            ob->error = ob->error ? ob->error : ENOBUFS;
        }
        return;
    }
    outbuf_write(ob, tmp, (size_t)n);
}

int outbuf_close(outbuf *ob, fs_err *err) {
    if (ob->buf == NULL) return 0;
    outbuf_flush(ob);
    if (ob->fd > 2 && close(ob->fd) != 0 && ob->error == 0) ob->error = errno;
    emem_unmap(ob->buf, ob->cap);
    ob->buf = NULL;
    if (ob->error != 0)
        return fs_errf(err, "cannot write %s: %s", ob->name, strerror(ob->error));
    return 0;
}
