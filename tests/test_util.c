#define _GNU_SOURCE
#include "test_util.h"

#include <criterion/criterion.h>

#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int tu_run(tu_result *r, const char *cwd, const char *stdin_path, const char *const argv[]) {
    memset(r, 0, sizeof *r);
    char out_path[] = "/tmp/fragsim-test-out-XXXXXX", err_path[] = "/tmp/fragsim-test-err-XXXXXX";
    int out = mkstemp(out_path), err = mkstemp(err_path);
    if (out < 0 || err < 0) return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, stdin_path ? stdin_path : "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out, 1);
    posix_spawn_file_actions_adddup2(&fa, err, 2);
    if (cwd != NULL) posix_spawn_file_actions_addchdir_np(&fa, cwd);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out);
    close(err);
    if (rc == 0) {
        int status;
        waitpid(pid, &status, 0);
        r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        r->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    }
    r->out = tu_read_file(out_path, NULL);
    r->err = tu_read_file(err_path, NULL);
    unlink(out_path);
    unlink(err_path);
    return rc == 0 ? 0 : -1;
}

void tu_result_free(tu_result *r) {
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

char *tu_tmpdir(void) {
    char tmpl[] = "/tmp/fragsim-test-XXXXXX";
    if (mkdtemp(tmpl) == NULL) return NULL;
    return strdup(tmpl);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

void tu_rmtree(const char *path) { nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS); }

char *tu_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t k;
    while ((k = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += k;
        if (cap - n - 1 == 0) buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

int tu_write_file(const char *path, const char *content) {
    FILE *f = fopen(path, "wb");
    if (f == NULL) return -1;
    fputs(content, f);
    return fclose(f);
}

int tu_exists(const char *path) { return access(path, F_OK) == 0; }

const char *tu_path(const char *dir, const char *name) {
    static char ring[8][1024];
    static int next;
    char *b = ring[next++ % 8];
    snprintf(b, 1024, "%s/%s", dir, name);
    return b;
}

int tu_csv_load(tu_csv *c, const char *path) {
    memset(c, 0, sizeof *c);
    char *text = tu_read_file(path, NULL);
    if (text == NULL) return -1;
    char *save_line, *line = strtok_r(text, "\n", &save_line);
    while (line != NULL && line[0] == '#') line = strtok_r(NULL, "\n", &save_line); /* comments */
    if (line == NULL) {
        free(text);
        return -1;
    }
    for (char *p = line; *p; p++) c->ncols += *p == ',';
    c->ncols++;
    c->names = calloc((size_t)c->ncols, sizeof *c->names);
    int i = 0;
    for (char *s, *tok = strtok_r(line, ",", &s); tok && i < c->ncols; tok = strtok_r(NULL, ",", &s))
        c->names[i++] = strdup(tok);
    size_t cap = 64;
    c->v = malloc(cap * (size_t)c->ncols * sizeof *c->v);
    while ((line = strtok_r(NULL, "\n", &save_line)) != NULL) {
        if (c->nrows == cap) c->v = realloc(c->v, (cap *= 2) * (size_t)c->ncols * sizeof *c->v);
        double *row = &c->v[c->nrows * (size_t)c->ncols];
        char *p = line;
        for (int col = 0; col < c->ncols; col++) {
            /* A quoted field (text with commas) is not a number: NAN. */
            if (*p == '"') {
                for (p++; *p && !(*p == '"' && p[1] != '"'); p += *p == '"' ? 2 : 1) {
                }
                if (*p == '"') p++;
                row[col] = NAN;
                p += *p == ',';
                continue;
            }
            char *end = strchr(p, ',');
            if (end) *end = '\0';
            char *num_end;
            row[col] = *p ? strtod(p, &num_end) : NAN;
            if (*p && *num_end != '\0') row[col] = NAN; /* text, not a number */
            p = end ? end + 1 : p + strlen(p);
        }
        c->nrows++;
    }
    free(text);
    return 0;
}

int tu_csv_col(const tu_csv *c, const char *name) {
    for (int i = 0; i < c->ncols; i++)
        if (strcmp(c->names[i], name) == 0) return i;
    return -1;
}

double tu_csv_get(const tu_csv *c, size_t row, const char *name) {
    int col = tu_csv_col(c, name);
    if (col < 0 || row >= c->nrows) return NAN;
    return c->v[row * (size_t)c->ncols + (size_t)col];
}

void tu_csv_free(tu_csv *c) {
    for (int i = 0; i < c->ncols; i++) free(c->names[i]);
    free(c->names);
    free(c->v);
    memset(c, 0, sizeof *c);
}

int tu_fragsim(tu_result *r, const char *cwd, const char *const *args) {
    const char *argv[64] = {FRAGSIM_BIN};
    int n = 1;
    for (; args[n - 1] != NULL; n++) {
        if (n == 63) return -1;
        argv[n] = args[n - 1];
    }
    argv[n] = NULL;
    return tu_run(r, cwd, NULL, argv);
}

/* The number after "key": in json, searched from the first `after` (NULL:
 * the start). */
double tu_json_num(const char *json, const char *after, const char *key) {
    const char *p = after ? strstr(json, after) : json;
    cr_assert_not_null(p, "no '%s' in the JSON", after);
    char k[128];
    snprintf(k, sizeof k, "\"%s\": ", key);
    p = strstr(p, k);
    cr_assert_not_null(p, "no %s in the JSON", k);
    return strtod(p + strlen(k), NULL);
}
