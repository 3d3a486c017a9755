#include "fs_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The reason comes last in a message ("FILE:LINE: include 'x': ...: nested
 * deeper than 16"), so a message too long for the buffer loses its middle,
 * never its end: the head up to `keep_head` bytes, "...", and the tail. */
static void fit(char *dst, size_t cap, const char *src, size_t len, size_t keep_head) {
    if (len < cap) {
        memcpy(dst, src, len);
        dst[len] = '\0';
        return;
    }
    size_t tail = cap - 1 - keep_head - 3;
    memcpy(dst, src, keep_head);
    memcpy(dst + keep_head, "...", 3);
    memcpy(dst + keep_head + 3, src + len - tail, tail);
    dst[cap - 1] = '\0';
}

int fs_errf(fs_err *err, const char *fmt, ...) {
    if (err == NULL) return -1;
    /* No heap here: errors are also reported after the heap under test is
     * exhausted. */
    char full[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(full, sizeof full, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    size_t len = (size_t)n < sizeof full ? (size_t)n : sizeof full - 1;
    fit(err->msg, sizeof err->msg, full, len, 300);
    return -1;
}

int fs_err_prefix(fs_err *err, const char *fmt, ...) {
    if (err == NULL) return -1;
    char full[512 + 2 + sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(full, 512, fmt, ap);
    va_end(ap);
    size_t p = n < 0 ? 0 : (size_t)n < 512 ? (size_t)n : 511;
    memcpy(full + p, ": ", 2);
    size_t m = strlen(err->msg);
    memcpy(full + p + 2, err->msg, m);
    fit(err->msg, sizeof err->msg, full, p + 2 + m, 300);
    return -1;
}
