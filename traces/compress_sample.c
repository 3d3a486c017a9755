#include "compress_sample.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../sim/base/emem.h"
#include "zstd_emem.h"

/* Timed compressions stop after this much CPU (or MAX_REPEATS): enough for
 * a figure steady to a few percent, little next to a replay. */
#define MEASURE_CPU_S 0.2
#define MAX_REPEATS 1000

int compress_level_min(void) { return ZSTD_minCLevel(); }
int compress_level_max(void) { return ZSTD_maxCLevel(); }

static double thread_cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int compress_sample_check(const char *path, fs_err *err) {
    struct stat st;
    if (stat(path, &st) != 0)
        return fs_errf(err, "--compress-sample '%s': %s (expected a file of sample values)", path,
                       strerror(errno));
    if (!S_ISREG(st.st_mode))
        return fs_errf(err, "--compress-sample '%s': not a regular file (expected a file of "
                       "sample values)", path);
    if (st.st_size == 0)
        return fs_errf(err, "--compress-sample '%s': the file is empty (expected sample values "
                       "to compress)", path);
    if (access(path, R_OK) != 0)
        return fs_errf(err, "--compress-sample '%s': %s", path, strerror(errno));
    return 0;
}

int compress_sample_measure(const char *path, int level, compress_measure *m, fs_err *err) {
    memset(m, 0, sizeof *m);
    if (compress_sample_check(path, err) != 0) return -1;
    double t0 = thread_cpu();
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fs_errf(err, "--compress-sample '%s': %s", path, strerror(errno));
    struct stat st;
    fstat(fd, &st);
    size_t n = (uint64_t)st.st_size < COMPRESS_SAMPLE_MAX ? (size_t)st.st_size
                                                          : (size_t)COMPRESS_SAMPLE_MAX;
    size_t cap = ZSTD_compressBound(n);
    unsigned char *in = emem_map(n), *out = emem_map(cap);
    ZSTD_CCtx *cc = NULL;
    int rc = -1;
    size_t got = 0;
    if (in == NULL || out == NULL) {
        fs_errf(err, "--compress-sample '%s': out of memory for %zu bytes", path, n);
        goto done;
    }
    while (got < n) {
        ssize_t k = read(fd, in + got, n - got);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            fs_errf(err, "--compress-sample '%s': %s", path, k < 0 ? strerror(errno) : "cut short");
            goto done;
        }
        got += (size_t)k;
    }
    cc = ZSTD_createCCtx_advanced(zstd_emem());
    if (cc == NULL) {
        fs_errf(err, "--compress-sample: cannot set up zstd (out of memory)");
        goto done;
    }
    /* The first compression warms the context (its tables are allocated
     * once and reused, as a client's long-lived context is) and is not
     * timed; the rest are, until enough CPU has passed for a steady figure. */
    size_t z = ZSTD_compressCCtx(cc, out, cap, in, n, level);
    if (ZSTD_isError(z)) {
        fs_errf(err, "--compress-sample '%s': zstd: %s", path, ZSTD_getErrorName(z));
        goto done;
    }
    double t1 = thread_cpu(), t = t1;
    unsigned reps = 0;
    while (reps < MAX_REPEATS && (reps == 0 || t - t1 < MEASURE_CPU_S)) {
        ZSTD_compressCCtx(cc, out, cap, in, n, level);
        reps++;
        t = thread_cpu();
    }
    m->in_bytes = n;
    m->out_bytes = z;
    m->ratio = (double)z / (double)n;
    m->repeats = reps;
    m->cpu_per_byte = (t - t1) / ((double)reps * (double)n);
    rc = 0;
done:
    if (cc) ZSTD_freeCCtx(cc);
    if (in) emem_unmap(in, n);
    if (out) emem_unmap(out, cap);
    close(fd);
    m->cpu_seconds = thread_cpu() - t0;
    return rc;
}
