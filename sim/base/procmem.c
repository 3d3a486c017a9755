#include "procmem.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int procmem_rss(uint64_t *rss, fs_err *err) {
    static int fd = -1;
    char buf[256];
    if (fd < 0 && (fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)) < 0)
        return fs_errf(err, "cannot open /proc/self/statm: %s", strerror(errno));
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0) return fs_errf(err, "cannot read /proc/self/statm");
    buf[n] = '\0';
    /* "size resident shared text lib data dt", in pages */
    char *p = buf;
    while (*p != ' ' && *p != '\0') p++;
    unsigned long long pages = 0;
    int digits = 0;
    for (p++; *p >= '0' && *p <= '9'; p++, digits++) pages = pages * 10 + (unsigned)(*p - '0');
    if (digits == 0) return fs_errf(err, "unexpected /proc/self/statm: %s", buf);
    *rss = pages * (uint64_t)sysconf(_SC_PAGESIZE);
    return 0;
}
