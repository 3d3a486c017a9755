#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

int outfile_is_stdout(const char *path) { return path == NULL || strcmp(path, "-") == 0; }

/* A path for a message: a very long one is cut in the middle, so that the
 * reason after it still fits in the message. */
static const char *shown(const char *path, char buf[160]) {
    size_t n = strlen(path);
    if (n < 150) return path;
    snprintf(buf, 160, "%.60s...%s", path, path + n - 80);
    return buf;
}

static const char *kind_of(mode_t m) {
    if (S_ISLNK(m)) return "a symbolic link";
    if (S_ISDIR(m)) return "a directory";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISSOCK(m)) return "a socket";
    return "not a regular file";
}

/* 0 when path is absent or a regular file (not through a link). */
static int check_target(const char *path, fs_err *err) {
    struct stat st;
    char buf[160];
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT) return 0;
        return fs_errf(err, "cannot write '%s': %s", shown(path, buf), strerror(errno));
    }
    if (S_ISREG(st.st_mode)) return 0;
    return fs_errf(err, "'%s' is %s: fragsim replaces only regular files (give a file name%s)",
                   shown(path, buf), kind_of(st.st_mode),
                   S_ISLNK(st.st_mode) ? ", the link's target itself, or - for standard output"
                                       : ", or - for standard output");
}

int outfile_open(outfile *of, const char *path, fs_err *err) {
    memset(of, 0, sizeof *of);
    of->slot = -1;
    if (outfile_is_stdout(path)) {
        of->fd = STDOUT_FILENO;
        of->name = "standard output";
        return 0;
    }
    of->fd = -1;
    of->path = of->name = path;
    if (path[0] == '\0') return fs_errf(err, "empty output file name");
    /* The whole temporary name must fit before anything is touched: a cut
     * name could be the target itself. */
    int n = snprintf(of->tmp, sizeof of->tmp, "%s.partial-%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof of->tmp) {
        of->tmp[0] = '\0';
        char buf[160];
        return fs_errf(err, "output name too long (%zu bytes; at most %d with the temporary "
                       "suffix): '%s'", strlen(path), PATH_MAX - 1, shown(path, buf));
    }
    if (check_target(path, err) != 0) {
        of->tmp[0] = '\0';
        return -1;
    }
    of->slot = cleanup_add_file(of->tmp);
    of->fd = open(of->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (of->fd < 0) {
        int e = errno;
        char buf[160];
        cleanup_forget(of->slot);
        of->slot = -1;
        of->tmp[0] = '\0';
        return fs_errf(err, "cannot create a file beside '%s': %s", shown(path, buf), strerror(e));
    }
    return 0;
}

int outfile_commit(outfile *of, fs_err *err) {
    if (of->tmp[0] == '\0') return 0;
    if (check_target(of->path, err) != 0) {
        outfile_abort(of);
        return -1;
    }
    if (rename(of->tmp, of->path) != 0) {
        int e = errno;
        char buf[160];
        outfile_abort(of);
        return fs_errf(err, "cannot write '%s': %s", shown(of->path, buf), strerror(e));
    }
    cleanup_forget(of->slot);
    of->slot = -1;
    of->tmp[0] = '\0';
    return 0;
}

void outfile_abort(outfile *of) {
    if (of->tmp[0] != '\0') unlink(of->tmp);
    cleanup_forget(of->slot);
    of->slot = -1;
    of->tmp[0] = '\0';
}
