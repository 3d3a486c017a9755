/* fuzz_util: the input as a memory file, as a string, as a trace. */
#define _GNU_SOURCE
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../traces/trace_reader.h"

int fuzz_memfile(const uint8_t *data, size_t size, char *path, size_t n) {
    int fd = memfd_create("fuzz-input", MFD_CLOEXEC);
    if (fd < 0) return -1;
    size_t done = 0;
    while (done < size) {
        ssize_t w = write(fd, data + done, size - done);
        if (w <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)w;
    }
    if (lseek(fd, 0, SEEK_SET) != 0) {
        close(fd);
        return -1;
    }
    snprintf(path, n, "/proc/self/fd/%d", fd);
    return fd;
}

char *fuzz_string(const uint8_t *data, size_t size) {
    char *s = malloc(size + 1);
    if (s == NULL) abort(); /* the harness, not the code under test, failed */
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

int fuzz_trace(const uint8_t *data, size_t size, const char *format) {
    char path[64];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    if (fd < 0) abort();
    trace_reader r;
    fs_err err;
    if (trace_open(&r, path, format, &err) == 0) {
        trace_event ev;
        for (int i = 0; i < FUZZ_MAX_EVENTS && trace_next(&r, &ev, &err) == 1; i++) {
            /* where() formats the position of every event, as messages do */
            char where[600];
            r.ops->where(&r, where, sizeof where);
        }
        trace_close(&r);
    }
    close(fd);
    return 0;
}
