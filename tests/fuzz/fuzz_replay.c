/* fuzz_replay: a target's regression corpus through its
 * LLVMFuzzerTestOneInput, without libFuzzer, so any compiler's build (and
 * the sanitizer build) replays it as an ordinary test.
 *
 *   fuzz_replay_TARGET DIR|FILE...
 *
 * Every file of each directory (not recursive), in name order.  Exits 0
 * when every input ran; 1 when an argument names nothing readable or a
 * directory holds no file, so that a corpus gone missing fails the test.
 * A bug an input finds shows as the crash (or the sanitizer's report). */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int replay_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    size_t got;
    while (buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            uint8_t *more = realloc(buf, cap *= 2);
            if (more == NULL) free(buf);
            buf = more;
        }
    }
    int bad = buf == NULL || ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "%s: cannot read\n", path);
        free(buf);
        return -1;
    }
    /* A copy of exactly the input's size, so that ASan sees a read past it. */
    uint8_t *exact = malloc(n ? n : 1);
    if (exact == NULL) abort();
    memcpy(exact, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b) {
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int not_dot(const struct dirent *d) { return d->d_name[0] != '.'; }

int main(int argc, char **argv) {
    size_t inputs = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            return 1;
        }
        if (!S_ISDIR(st.st_mode)) {
            if (replay_file(argv[i]) != 0) return 1;
            inputs++;
            continue;
        }
        struct dirent **names;
        int n = scandir(argv[i], &names, not_dot, by_name);
        if (n < 0) {
            perror(argv[i]);
            return 1;
        }
        if (n == 0) {
            fprintf(stderr, "%s: no inputs in the corpus directory\n", argv[i]);
            free(names);
            return 1;
        }
        for (int k = 0; k < n; k++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], names[k]->d_name);
            free(names[k]);
            if (replay_file(path) != 0) return 1;
            inputs++;
        }
        free(names);
    }
    if (inputs == 0) {
        fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
        return 1;
    }
    printf("%zu inputs replayed\n", inputs);
    return 0;
}
