/* Fidelity of lists: fragsim's redis object model against a real
 * redis-server, as tests/test_fidelity_zset.c does for sorted sets (a
 * workload sent to Debian's redis-server under MONITOR, the capture
 * imported and replayed on jemalloc with --object-model redis; what the
 * workload added compared, fid_finish_types).
 *
 * (a) short lists: tens of thousands of lists of 1-40 elements of 6-60
 *     bytes, each one quicklist node (its listpack well under 8 KB), pushed
 *     at both ends, then single pops, pops with a count, LTRIMs, lists
 *     emptied and keys DELeted.
 * (b) long lists: hundreds of lists of 600-3,000 elements of 20-200 bytes,
 *     many 8 KB nodes each, then pops with counts from both ends (whole
 *     nodes freed, edge nodes cut), single pops, LTRIMs that keep a middle
 *     range, and more pushes onto what is left.
 *
 * The server's used_memory grows some 180 KB more than the replay's in
 * both, whatever their size (with half the lists each, the same bytes);
 * per operation (pushes, single and counted pops, LTRIMs at either end)
 * the model's bytes are the server's, so the workloads are big enough for
 * that constant to stay well inside the bound.
 *
 * Elements are never integers (the trace knows their sizes only, and the
 * model stores them as strings).  Commands carry up to 8 elements, as
 * clients batch them; Redis pushes them one by one, as the trace does.
 * Bounds as fid_finish_types says; the table goes to the log and to
 * fidelity-table.csv in the build directory. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sim/base/rng.h"
#include "fidelity.h"

TestSuite(fidelity_list, .timeout = 900);

#define PER_CMD 8
#define ELEM_MAX 256

/* The letters an element is made of, past its "e<j>:" prefix. */
static char letters[ELEM_MAX];

/* LPUSH or RPUSH key of n elements of len[0..n) bytes (at least 4 each),
 * PER_CMD to a command. */
static void push(const char *cmd, const char *key, const uint32_t *len, uint32_t n) {
    static char e[PER_CMD][ELEM_MAX];
    for (uint32_t from = 0; from < n; from += PER_CMD) {
        const char *argv[2 + PER_CMD];
        size_t lens[2 + PER_CMD];
        int c = 0;
        argv[c] = cmd, lens[c++] = strlen(cmd);
        argv[c] = key, lens[c++] = strlen(key);
        for (uint32_t j = from; j < n && j < from + PER_CMD; j++) {
            char *b = e[j - from];
            int p = snprintf(b, ELEM_MAX, "e%u:", j);
            memcpy(b + p, letters, len[j] - (uint32_t)p);
            argv[c] = b, lens[c++] = len[j];
        }
        fid_send(c, argv, lens);
    }
}

static void cmd(int argc, const char *const *argv) {
    size_t lens[8];
    for (int i = 0; i < argc; i++) lens[i] = strlen(argv[i]);
    fid_send(argc, argv, lens);
}

/* A pop of count (0: none given) from the head or the tail. */
static void pop(const char *key, int head, uint32_t count) {
    char n[16];
    snprintf(n, sizeof n, "%u", count);
    const char *c = head ? "LPOP" : "RPOP";
    if (count == 0) cmd(2, (const char *const[]){c, key});
    else cmd(3, (const char *const[]){c, key, n});
}

static void ltrim(const char *key, long start, long stop) {
    char a[24], b[24];
    snprintf(a, sizeof a, "%ld", start);
    snprintf(b, sizeof b, "%ld", stop);
    cmd(4, (const char *const[]){"LTRIM", key, a, b});
}

/* n element lengths from lo to hi bytes. */
static void lengths(rng *r, uint32_t *len, uint32_t n, uint32_t lo, uint32_t hi) {
    for (uint32_t j = 0; j < n; j++) len[j] = lo + (uint32_t)rng_below(r, hi - lo + 1);
}

#define SHORT_LISTS 60000
#define SHORT_MAX 40

Test(fidelity_list, short_lists) {
    memset(letters, 'a', sizeof letters);
    for (size_t i = 0; i < sizeof letters; i++) letters[i] = (char)('a' + i % 26);
    char *dir = tu_tmpdir();
    redis_info_memory m0;
    fid_start_monitored(dir, &m0, NULL);
    rng r;
    rng_seed(&r, 20261210);
    char key[32];
    static uint32_t len[SHORT_MAX];
    static uint8_t nelems[SHORT_LISTS];
    for (uint32_t i = 0; i < SHORT_LISTS; i++) {
        snprintf(key, sizeof key, "q:%06u", i);
        uint32_t n = 1 + (uint32_t)rng_below(&r, SHORT_MAX);
        nelems[i] = (uint8_t)n;
        uint32_t hi = 8 + (uint32_t)rng_below(&r, 53);
        lengths(&r, len, n, 6, hi);
        if (i % 2 == 0) push("RPUSH", key, len, n);
        else { /* both ends */
            push("LPUSH", key, len, n / 2);
            push("RPUSH", key, len + n / 2, n - n / 2);
        }
    }
    for (uint32_t i = 0; i < SHORT_LISTS; i++) {
        snprintf(key, sizeof key, "q:%06u", i);
        uint32_t n = nelems[i];
        switch (i % 7) {
        case 0: cmd(2, (const char *const[]){"DEL", key}); break;
        case 1: pop(key, 1, 0); pop(key, 0, 0); break;          /* a queue's consumer */
        case 2: pop(key, (int)(i & 8), 1 + n / 3); break;        /* a batch */
        case 3: ltrim(key, 0, (long)rng_below(&r, 10)); break;   /* capped */
        case 4: pop(key, 1, n); break;                           /* drained: the key goes */
        case 5: { /* more come in */
            uint32_t k = 1 + (uint32_t)rng_below(&r, 6);
            lengths(&r, len, k, 6, 40);
            push(i & 8 ? "LPUSH" : "RPUSH", key, len, k);
            break;
        }
        default: ltrim(key, -5, -2); break;
        }
    }
    fid_finish_types(dir, "list-short", &m0, "list_keys", 1);
    tu_rmtree(dir);
    free(dir);
}

#define LONG_LISTS 500
#define LONG_MAX_ELEMS 3000

Test(fidelity_list, long_lists) {
    for (size_t i = 0; i < sizeof letters; i++) letters[i] = (char)('a' + i % 26);
    char *dir = tu_tmpdir();
    redis_info_memory m0;
    fid_start_monitored(dir, &m0, NULL);
    rng r;
    rng_seed(&r, 20261211);
    char key[32];
    static uint32_t len[LONG_MAX_ELEMS];
    static uint32_t nelems[LONG_LISTS];
    for (uint32_t i = 0; i < LONG_LISTS; i++) {
        snprintf(key, sizeof key, "log:%04u", i);
        uint32_t n = 600 + (uint32_t)rng_below(&r, LONG_MAX_ELEMS - 599);
        nelems[i] = n;
        uint32_t lo = 20 + (uint32_t)rng_below(&r, 60);
        lengths(&r, len, n, lo, lo + 20 + (uint32_t)rng_below(&r, 100));
        push(i % 3 == 0 ? "LPUSH" : "RPUSH", key, len, n);
    }
    for (uint32_t i = 0; i < LONG_LISTS; i++) {
        snprintf(key, sizeof key, "log:%04u", i);
        uint32_t n = nelems[i];
        switch (i % 5) {
        case 0: /* consumed from the head in batches */
            for (int k = 0; k < 4; k++) pop(key, 1, 50 + (uint32_t)rng_below(&r, 150));
            break;
        case 1: /* trimmed from the tail in batches, some single pops */
            for (int k = 0; k < 3; k++) pop(key, 0, 100 + (uint32_t)rng_below(&r, 200));
            for (int k = 0; k < 20; k++) pop(key, k & 1, 0);
            break;
        case 2: /* a middle range kept */
            ltrim(key, (long)(n / 4), (long)(n / 4 + n / 3));
            break;
        case 3: { /* capped at its newest elements, then more arrive */
            ltrim(key, -(long)(n / 2), -1);
            uint32_t k = 100 + (uint32_t)rng_below(&r, 300);
            lengths(&r, len, k, 30, 150);
            push("RPUSH", key, len, k);
            break;
        }
        default:
            if (i % 10 == 4) cmd(2, (const char *const[]){"DEL", key});
            else pop(key, 1, n); /* drained */
            break;
        }
    }
    fid_finish_types(dir, "list-long", &m0, "list_keys", 1);
    tu_rmtree(dir);
    free(dir);
}
