/* The results directory's life: write beside it, rename into place. */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../sim/base/cleanup.h"
#include "results.h"

/* Only files fragsim writes may be removed when a directory is replaced:
 * anything else in it means the user pointed -o at the wrong place. */
static const char *const known_files[] = {"series.csv", "summary.json", "summary.csv",
                                          "info.txt",   "compare.txt",  "points.csv",
                                          "sweep.csv",  "sweep.txt",    "whatif.csv",
                                          "whatif.txt", "checklist.txt", "checklist.csv",
                                          "shards.csv"};

/* Files only a command of several runs writes at its top: a directory with
 * subdirectories is theirs only when it holds one of these.  Without it, a
 * directory of run directories is the user's collection of earlier results
 * (`-o results`), never fragsim's to empty. */
static const char *const group_files[] = {"compare.txt", "points.csv", "sweep.csv", "sweep.txt",
                                          "whatif.csv",  "whatif.txt"};

static int is_group_file(const char *name) {
    for (size_t i = 0; i < sizeof group_files / sizeof *group_files; i++)
        if (strcmp(name, group_files[i]) == 0) return 1;
    return 0;
}

/* Snapshots are named by their moment: pagemap-300.csv, bins-779.999.csv. */
static const char *const known_prefixes[] = {"pagemap-", "bins-"};

static int is_known(const char *name) {
    for (size_t i = 0; i < sizeof known_files / sizeof *known_files; i++)
        if (strcmp(name, known_files[i]) == 0) return 1;
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof known_prefixes / sizeof *known_prefixes; i++) {
        size_t k = strlen(known_prefixes[i]);
        if (n > k + 4 && strncmp(name, known_prefixes[i], k) == 0 &&
            strcmp(name + n - 4, ".csv") == 0 && strchr(name, '/') == NULL)
            return 1;
    }
    return 0;
}

/* Removes a results directory: known files, and subdirectories holding only
 * known files: one level for a comparison's runs, two for whatif's shards
 * (NN-remedy/shard-K).  Returns 0, or -1 (and
 * touches nothing) when it holds anything else.  With check_only, only
 * checks. */
static int remove_results(const char *path, int check_only, int depth) {
    DIR *d = opendir(path);
    if (d == NULL) return -1;
    struct dirent *de;
    int foreign = 0, group = 0, subdirs = 0;
    char sub[1200];
    while ((de = readdir(d)) != NULL && !foreign) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        group |= is_group_file(de->d_name);
        if (is_known(de->d_name)) continue;
        subdirs++;
        snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
        struct stat st;
        if (depth > 1 || lstat(sub, &st) != 0 || !S_ISDIR(st.st_mode) ||
            remove_results(sub, 1, depth + 1) != 0)
            foreign = 1;
    }
    if (depth == 0 && subdirs > 0 && !group) foreign = 1;
    if (foreign || check_only) {
        closedir(d);
        return foreign ? -1 : 0;
    }
    rewinddir(d);
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
        if (is_known(de->d_name)) unlink(sub);
        else remove_results(sub, 0, depth + 1);
    }
    closedir(d);
    return rmdir(path);
}

/* mkdir -p: the parent of a results directory is made as needed. */
static int make_parents(const char *dir) {
    char p[1024];
    snprintf(p, sizeof p, "%s", dir);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) return -1;
        *s = '/';
    }
    return mkdir(p, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

const char *results_kind_name(results_kind k) {
    static const char *const names[] = {"run", "compare", "sweep", "whatif"};
    return k >= RESULTS_RUN && k <= RESULTS_WHATIF ? names[k] : "?";
}

static int has_file(const char *dir, const char *name) {
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

/* What an existing results directory holds, by the files each command
 * leaves (the markers analysis/resultset.c reads too): a command's result
 * (*kind set, returns 1), nothing (returns 0), or fragsim's files that are
 * not one whole result, such as runs without the table that joins them
 * (returns 2).  *nsub gets the number of subdirectories (a comparison's
 * allocators, a sweep's points, a what-if's remedies). */
static int classify(const char *path, results_kind *kind, int *nsub) {
    DIR *d = opendir(path);
    int nfiles = 0;
    *nsub = 0;
    if (d != NULL) {
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
            char sub[1200];
            struct stat st;
            snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
            if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode)) (*nsub)++;
            else nfiles++;
        }
        closedir(d);
    }
    if (has_file(path, "whatif.csv")) *kind = RESULTS_WHATIF;
    else if (has_file(path, "compare.txt")) *kind = RESULTS_COMPARE;
    else if (has_file(path, "points.csv") || has_file(path, "sweep.csv")) *kind = RESULTS_SWEEP;
    else if (*nsub == 0 && has_file(path, "series.csv")) *kind = RESULTS_RUN;
    else return nfiles + *nsub == 0 ? 0 : 2;
    return 1;
}

int results_dir_begin(results_dir *rd, const char *path, results_kind kind, int force,
                      fs_err *err) {
    memset(rd, 0, sizeof *rd);
    if (strlen(path) == 0 || strlen(path) >= sizeof rd->path)
        return fs_errf(err, "results directory name '%s' is empty or too long", path);
    snprintf(rd->path, sizeof rd->path, "%s", path);
    size_t n = strlen(rd->path);
    while (n > 1 && rd->path[n - 1] == '/') rd->path[--n] = '\0';
    struct stat st;
    /* Through a link, the old results would be emptied and the rename would
     * then replace the link itself. */
    if (lstat(rd->path, &st) == 0 && S_ISLNK(st.st_mode))
        return fs_errf(err, "'%s' is a symbolic link: fragsim replaces only a results "
                       "directory itself (give the link's target, or another -o)", path);
    if (stat(rd->path, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return fs_errf(err, "'%s' exists and is not a directory: choose another -o", path);
        /* Run directories with no comparison, sweep or what-if around them
         * are several results, not one: never replaced, --force or not. */
        results_kind there;
        int nsub, what = classify(rd->path, &there, &nsub);
        if (what == 2 && nsub > 0 && remove_results(rd->path, 1, 1) == 0)
            return fs_errf(err, "'%s' holds fragsim results (%d directories) but no whole "
                           "run, compare, sweep or whatif: fragsim replaces only one earlier "
                           "result; choose another -o", path, nsub);
        if (remove_results(rd->path, 1, 0) != 0)
            return fs_errf(err, "'%s' exists and holds files fragsim did not write: choose "
                           "another -o (fragsim only replaces its own results directories)",
                           path);
        /* The same command again replaces its own earlier result (the
         * loop of changing an option and looking again); another command's
         * result, say one run over a comparison's many, is replaced only
         * when the user says so. */
        if (!force && what == 1 && there != kind) {
            static const char *const parts[][2] = {{"", ""}, {" allocator", " allocators"},
                                                   {" point", " points"}, {" remedy", " remedies"}};
            char count[48] = "";
            if (nsub > 0) snprintf(count, sizeof count, " (%d%s)", nsub, parts[there][nsub > 1]);
            return fs_errf(err, "'%s' holds a %s result%s: fragsim %s would replace it; choose "
                           "another -o, or give --force to replace it", path,
                           results_kind_name(there), count, results_kind_name(kind));
        }
    }
    char tmp[1024], base_buf[1024];
    snprintf(tmp, sizeof tmp, "%s", rd->path);
    snprintf(base_buf, sizeof base_buf, "%s", rd->path);
    const char *parent = dirname(tmp), *base = basename(base_buf);
    if ((size_t)snprintf(rd->partial, sizeof rd->partial, "%s/.%s.partial-%ld", parent, base,
                         (long)getpid()) >= sizeof rd->partial) {
        rd->partial[0] = '\0';
        return fs_errf(err, "results directory name '%.60s...' is too long", path);
    }
    rd->slot = cleanup_add_dir(rd->partial);
    if (make_parents(parent) != 0 || mkdir(rd->partial, 0777) != 0) {
        int e = errno;
        cleanup_forget(rd->slot);
        rd->partial[0] = '\0';
        return fs_errf(err, "cannot create the results directory beside '%s': %s", path,
                       strerror(e));
    }
    return 0;
}

int results_dir_commit(results_dir *rd, fs_err *err) {
    struct stat st;
    if (lstat(rd->path, &st) == 0 && (S_ISLNK(st.st_mode) || remove_results(rd->path, 0, 0) != 0)) {
        results_dir_abort(rd);
        return fs_errf(err, "cannot replace '%s': %s", rd->path, strerror(errno));
    }
    if (rename(rd->partial, rd->path) != 0) {
        int e = errno;
        results_dir_abort(rd);
        return fs_errf(err, "cannot move results into '%s': %s", rd->path, strerror(e));
    }
    cleanup_forget(rd->slot);
    rd->partial[0] = '\0';
    return 0;
}

void results_dir_abort(results_dir *rd) {
    if (rd->partial[0] == '\0') return;
    /* Ours alone (a name with our pid in it): everything in it goes, with
     * what a failed run left mid-way (children's partial directories and
     * stderr captures).  Without the heap: this also runs after the heap
     * under test is exhausted. */
    cleanup_remove_tree(rd->partial);
    cleanup_forget(rd->slot);
    rd->partial[0] = '\0';
}
