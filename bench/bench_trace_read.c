/* bench_trace_read: how much faster a replay gets its events from the
 * binary trace format than from the text format.
 *
 * One trace is generated (deterministic by --seed) and written twice into a
 * temporary directory, as text (trace_text_write_event) and as binary
 * (trace_binary_write_event), and each of the two is compressed with zstd
 * (level 3) as well.  Then every event is read back through trace_open /
 * trace_next / trace_close, from each of the four files in turn, --reps
 * times; the median rates and the text / binary ratio are printed.  This is the reading
 * a replay does before the engine sees an event; the engine and the
 * allocator cost the same whichever file the events came from, so reading
 * is what the format decides.
 *
 * The files are read right after being written, from the page cache: what
 * is timed is parsing, not the disk.  Before the timed reads, one read of
 * each file folds every event into the trace digest (trace_digest.h) that
 * must equal the generator's, or the two files did not hold the same
 * events.  The timed reads do what a replay needs of an event and no more:
 * they look at its fields and its key's first byte (a replay hashes the
 * key), summed into a checksum that must agree between the two files. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zstd.h>

#include "bench_util.h"
#include "../sim/base/outbuf.h"
#include "../sim/base/rng.h"
#include "../sim/base/units.h"
#include "../traces/trace_binary.h"
#include "../traces/trace_digest.h"
#include "../traces/trace_text.h"

typedef struct bench_opts {
    uint64_t events, keys, reps, seed;
    const char *dir; /* NULL: a fresh directory under $TMPDIR or /tmp, removed at the end */
} bench_opts;

static int bench_usage(FILE *f) {
    fprintf(f,
            "usage: fragsim-bench-trace-read [options]\n\n"
            "Writes one generated trace as text and as binary, each also zstd-compressed,\n"
            "then reads every event back from each of the four files through\n"
            "trace_open/trace_next, alternately, and prints the median rates and the\n"
            "ratio text/binary.\n\n"
            "The trace: SET 60%% (values 16..4096 B, half with a TTL of 1..3600 s), GET\n"
            "30%% (half with the value's size), DEL 8%%, EXPIRE 2%%, over keys \"user:N\",\n"
            "times in microseconds (6 decimals in the text).\n\n"
            "options:\n"
            "  --events N   events in the trace (default 10000000)\n"
            "  --keys N     distinct keys (default 1000000)\n"
            "  --reps N     reads of each file; the median is reported (default 5)\n"
            "  --seed N     random seed (default 1)\n"
            "  --dir DIR    write the four files in DIR and keep them (default: a temporary\n"
            "               directory, removed at the end)\n"
            "  --help       this text\n");
    return f == stdout ? BENCH_OK : BENCH_USAGE;
}

/* Returns -1 to go on, or the exit code (help or a usage error). */
static int bench_parse(int argc, char **argv, bench_opts *o) {
    *o = (bench_opts){.events = 10000000, .keys = 1000000, .reps = 5, .seed = 1};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return bench_usage(stdout);
        static const struct {
            const char *name;
            uint64_t lo, hi;
            size_t off;
        } nums[] = {
            {"--events", 1, 1000000000, offsetof(bench_opts, events)},
            {"--keys", 1, 100000000, offsetof(bench_opts, keys)},
            {"--reps", 1, 1000, offsetof(bench_opts, reps)},
            {"--seed", 0, UINT64_MAX, offsetof(bench_opts, seed)},
        };
        int matched = 0;
        for (size_t k = 0; k < sizeof nums / sizeof nums[0] && !matched; k++) {
            if (strcmp(argv[i], nums[k].name) != 0) continue;
            matched = 1;
            uint64_t v;
            if (i + 1 >= argc)
                return bench_error(BENCH_USAGE, "%s needs a value", nums[k].name);
            if (units_parse_u64(argv[++i], &v) != 0 || v < nums[k].lo || v > nums[k].hi)
                return bench_error(BENCH_USAGE, "%s '%s': expected a whole number from %llu to "
                                   "%llu", nums[k].name, argv[i], (unsigned long long)nums[k].lo,
                                   (unsigned long long)nums[k].hi);
            memcpy((char *)o + nums[k].off, &v, sizeof v);
        }
        if (matched) continue;
        if (strcmp(argv[i], "--dir") == 0) {
            if (i + 1 >= argc) return bench_error(BENCH_USAGE, "--dir needs a value");
            o->dir = argv[++i];
            continue;
        }
        return bench_error(BENCH_USAGE, "unknown option '%s' (see --help)", argv[i]);
    }
    return -1;
}

/* Generates the trace and writes it to both files.  Returns its digest
 * through *digest; 0 or -1. */
static int bench_write(const bench_opts *o, const char *text_path, const char *bin_path,
                       uint64_t *digest, fs_err *err) {
    outbuf text, bin;
    int tfd = open(text_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (tfd < 0) return fs_errf(err, "cannot create %s: %s", text_path, strerror(errno));
    if (outbuf_open(&text, tfd, text_path, err) != 0) return -1;
    int bfd = open(bin_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (bfd < 0) {
        outbuf_close(&text, NULL);
        return fs_errf(err, "cannot create %s: %s", bin_path, strerror(errno));
    }
    if (outbuf_open(&bin, bfd, bin_path, err) != 0) {
        outbuf_close(&text, NULL);
        return -1;
    }
    trace_binary_writer *w = trace_binary_writer_new(&bin, err);
    if (w == NULL) {
        outbuf_close(&text, NULL);
        outbuf_close(&bin, NULL);
        return -1;
    }
    trace_text_write_header(&text);
    rng r;
    rng_seed(&r, o->seed);
    uint64_t h = TRACE_DIGEST_INIT;
    int64_t t = 1700000000LL * TRACE_US_PER_S; /* traces start anywhere */
    char key[32];
    int rc = 0;
    for (uint64_t i = 0; i < o->events && rc == 0; i++) {
        trace_event ev = {.time_us = t, .ttl_us = TRACE_TTL_NONE, .key = key};
        ev.keylen = (uint32_t)snprintf(key, sizeof key, "user:%llu",
                                       (unsigned long long)rng_below(&r, o->keys));
        uint64_t pick = rng_below(&r, 100);
        if (pick < 60) {
            ev.op = TRACE_OP_SET;
            ev.size = 16 + rng_below(&r, 4096 - 16 + 1);
            if (rng_below(&r, 2)) ev.ttl_us = (int64_t)(1 + rng_below(&r, 3600)) * TRACE_US_PER_S;
        } else if (pick < 90) {
            ev.op = TRACE_OP_GET;
            if (rng_below(&r, 2)) ev.size = 16 + rng_below(&r, 4096 - 16 + 1);
        } else if (pick < 98) {
            ev.op = TRACE_OP_DEL;
        } else {
            ev.op = TRACE_OP_EXPIRE;
            ev.ttl_us = (int64_t)rng_below(&r, 600) * TRACE_US_PER_S;
        }
        h = trace_digest_event(h, &ev);
        trace_text_write_event(&text, &ev);
        rc = trace_binary_write_event(w, &ev, err);
        t += (int64_t)rng_below(&r, 2000);
    }
    if (rc == 0) trace_binary_writer_finish(w);
    else trace_binary_writer_free(w);
    if (outbuf_close(&text, rc ? NULL : err) != 0) rc = -1;
    if (outbuf_close(&bin, rc ? NULL : err) != 0) rc = -1;
    *digest = h;
    return rc;
}

/* Reads every event of path; returns the seconds taken, or -1.  With
 * digest, also the full digest of the events (slow: for checking only). */
static double bench_read(const char *path, uint64_t *events, uint64_t *sum, uint64_t *digest,
                         fs_err *err) {
    double start = bench_now();
    trace_reader tr;
    if (trace_open(&tr, path, NULL, err) != 0) return -1;
    trace_event ev;
    uint64_t n = 0, h = TRACE_DIGEST_INIT, acc = 0;
    int rc;
    while ((rc = trace_next(&tr, &ev, err)) == 1) {
        if (digest) h = trace_digest_event(h, &ev);
        acc += (uint64_t)ev.time_us + ev.size + (uint64_t)ev.ttl_us + ev.op + ev.cond + ev.keylen +
               (ev.keylen ? (unsigned char)ev.key[0] : 0);
        n++;
    }
    trace_close(&tr);
    if (rc < 0) return -1;
    *events = n;
    *sum = acc;
    if (digest) *digest = h;
    return bench_now() - start;
}

/* Writes src compressed (zstd, level 3, the zstd tool's default) to dst.
 * Returns 0, or -1 with err set. */
static int bench_compress(const char *src, const char *dst, fs_err *err) {
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    size_t in_cap = ZSTD_CStreamInSize(), out_cap = ZSTD_CStreamOutSize();
    char *ibuf = malloc(in_cap), *obuf = malloc(out_cap);
    int rc = -1;
    if (in == NULL || out == NULL || cc == NULL || ibuf == NULL || obuf == NULL) {
        fs_errf(err, "cannot compress %s to %s: %s", src, dst, strerror(errno));
        goto done;
    }
    for (;;) {
        size_t n = fread(ibuf, 1, in_cap, in);
        ZSTD_EndDirective mode = n < in_cap ? ZSTD_e_end : ZSTD_e_continue;
        ZSTD_inBuffer ib = {ibuf, n, 0};
        size_t left;
        do {
            ZSTD_outBuffer ob = {obuf, out_cap, 0};
            left = ZSTD_compressStream2(cc, &ob, &ib, mode);
            if (ZSTD_isError(left)) {
                fs_errf(err, "zstd: %s", ZSTD_getErrorName(left));
                goto done;
            }
            if (fwrite(obuf, 1, ob.pos, out) != ob.pos) {
                fs_errf(err, "cannot write %s: %s", dst, strerror(errno));
                goto done;
            }
        } while (mode == ZSTD_e_end ? left != 0 : ib.pos < ib.size);
        if (mode == ZSTD_e_end) break;
    }
    rc = 0;
done:
    if (in) fclose(in);
    if (out && fclose(out) != 0 && rc == 0) rc = fs_errf(err, "cannot write %s", dst);
    ZSTD_freeCCtx(cc);
    free(ibuf);
    free(obuf);
    return rc;
}

static uint64_t file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* The files read, in the order of the columns. */
#define BENCH_NFILES 4
static const char *const bench_names[BENCH_NFILES] = {"text", "binary", "text_zst", "binary_zst"};
static const char *const bench_files[BENCH_NFILES] = {"bench.trace", "bench.fsb", "bench.trace.zst",
                                                      "bench.fsb.zst"};

int main(int argc, char **argv) {
    bench_prog = "fragsim-bench-trace-read";
    bench_opts o;
    int code = bench_parse(argc, argv, &o);
    if (code >= 0) return code;
    char dir[1024], path[BENCH_NFILES][1100];
    if (o.dir != NULL) {
        snprintf(dir, sizeof dir, "%s", o.dir);
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/fragsim-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (mkdtemp(dir) == NULL)
            return bench_error(BENCH_FAIL, "cannot create a directory in %s: %s",
                               tmp && *tmp ? tmp : "/tmp", strerror(errno));
    }
    for (int f = 0; f < BENCH_NFILES; f++) snprintf(path[f], sizeof path[f], "%s/%s", dir, bench_files[f]);

    fs_err err = {{0}};
    uint64_t want_digest = 0;
    code = BENCH_FAIL;
    /* Per rep: each file's seconds, then the ratio text / binary. */
    double *res = calloc((BENCH_NFILES + 1) * o.reps, sizeof *res);
    printf("fragsim-bench-trace-read: %llu events over %llu keys, seed %llu, %llu reps\n",
           (unsigned long long)o.events, (unsigned long long)o.keys,
           (unsigned long long)o.seed, (unsigned long long)o.reps);
    fflush(stdout);
    double w0 = bench_now();
    if (res == NULL || bench_write(&o, path[0], path[1], &want_digest, &err) != 0 ||
        bench_compress(path[0], path[2], &err) != 0 || bench_compress(path[1], path[3], &err) != 0) {
        bench_error(BENCH_FAIL, "%s", res == NULL ? "out of memory" : err.msg);
        goto out;
    }
    printf("written in %.1f s:", bench_now() - w0);
    for (int f = 0; f < BENCH_NFILES; f++)
        printf("%s %s %llu bytes (%.1f B/event)", f ? "," : "", bench_names[f],
               (unsigned long long)file_size(path[f]),
               (double)file_size(path[f]) / (double)o.events);
    printf("\n\n");
    uint64_t n, d, sum, want_sum = 0;
    for (int f = 0; f < BENCH_NFILES; f++) {
        if (bench_read(path[f], &n, &sum, &d, &err) < 0) {
            bench_error(BENCH_FAIL, "%s", err.msg);
            goto out;
        }
        if (f == 0) want_sum = sum;
        if (n != o.events || d != want_digest || sum != want_sum) {
            bench_error(BENCH_FAIL, "%s read back differently: %llu events of %llu, digest "
                        "%016llx, expected %016llx", path[f], (unsigned long long)n,
                        (unsigned long long)o.events, (unsigned long long)d,
                        (unsigned long long)want_digest);
            goto out;
        }
    }
    printf("%-6s", "rep");
    for (int f = 0; f < BENCH_NFILES; f++) printf(" %13s", bench_names[f]);
    printf(" %8s   (events per second)\n", "ratio");
    double *ratio = res + BENCH_NFILES * o.reps;
    for (uint64_t r = 0; r < o.reps; r++) {
        printf("%-6llu", (unsigned long long)r + 1);
        for (int f = 0; f < BENCH_NFILES; f++) {
            double t = bench_read(path[f], &n, &sum, NULL, &err);
            if (t < 0) {
                bench_error(BENCH_FAIL, "%s", err.msg);
                goto out;
            }
            if (sum != want_sum) {
                bench_error(BENCH_FAIL, "rep %llu: %s's checksum differs",
                            (unsigned long long)r + 1, bench_names[f]);
                goto out;
            }
            res[f * o.reps + r] = t;
            printf(" %13.0f", (double)o.events / t);
        }
        ratio[r] = res[r] / res[o.reps + r];
        printf(" %8.2f\n", ratio[r]);
        fflush(stdout);
    }
    double med[BENCH_NFILES];
    printf("%-6s", "median");
    for (int f = 0; f < BENCH_NFILES; f++) {
        med[f] = bench_median(res + f * o.reps, o.reps);
        printf(" %13.0f", (double)o.events / med[f]);
    }
    double mr = bench_median(ratio, o.reps);
    printf(" %8.2f\n\n", mr);
    printf("median: text_eps=%.0f binary_eps=%.0f read_ratio=%.3f text_zst_eps=%.0f "
           "binary_zst_eps=%.0f\n",
           (double)o.events / med[0], (double)o.events / med[1], mr, (double)o.events / med[2],
           (double)o.events / med[3]);
    code = BENCH_OK;
out:
    free(res);
    if (o.dir == NULL) {
        for (int f = 0; f < BENCH_NFILES; f++) unlink(path[f]);
        rmdir(dir);
    }
    return code;
}
