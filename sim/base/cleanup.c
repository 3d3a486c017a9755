#define _GNU_SOURCE
#include "cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CLEANUP_PATHS 32
#define CLEANUP_CHILDREN 256

enum { SLOT_FREE = 0, SLOT_FILE = 1, SLOT_DIR = 2 };

/* A slot's kind is written last when it is filled and first when it is
 * emptied, so the handler never reads a half-written path. */
static char paths[CLEANUP_PATHS][PATH_MAX];
static volatile sig_atomic_t kinds[CLEANUP_PATHS];
static volatile pid_t children[CLEANUP_CHILDREN];

struct linux_dirent64 {
    ino64_t d_ino;
    off64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* Removes the entries of the directory open as fd, depth-first. */
static void remove_entries(int fd, int depth) {
    char buf[4096] __attribute__((aligned(8)));
    /* Removing entries while reading them may skip some: read again from
     * the start until a pass removes nothing. */
    for (int removed = 1; removed;) {
        removed = 0;
        lseek(fd, 0, SEEK_SET);
        long n;
        while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
            for (long off = 0; off < n;) {
                struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
                off += d->d_reclen;
                const char *name = d->d_name;
                if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
                if (unlinkat(fd, name, 0) == 0) {
                    removed = 1;
                    continue;
                }
                if (errno != EISDIR || depth > 8) continue;
                int sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub < 0) continue;
                remove_entries(sub, depth + 1);
                close(sub);
                if (unlinkat(fd, name, AT_REMOVEDIR) == 0) removed = 1;
            }
        }
    }
}

int cleanup_remove_tree(const char *path) {
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? 0 : -1;
    remove_entries(fd, 0);
    close(fd);
    return rmdir(path) == 0 || errno == ENOENT ? 0 : -1;
}

static void on_signal(int sig) {
    int saved = errno;
    for (int i = 0; i < CLEANUP_CHILDREN; i++)
        if (children[i] > 0) kill(children[i], sig);
    /* The children remove their own partial outputs, which may lie inside
     * ours: wait for them before removing anything. */
    for (int i = 0; i < CLEANUP_CHILDREN; i++) {
        pid_t pid = children[i];
        if (pid <= 0) continue;
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
        children[i] = 0;
    }
    for (int i = 0; i < CLEANUP_PATHS; i++) {
        if (kinds[i] == SLOT_FILE) unlink(paths[i]);
        else if (kinds[i] == SLOT_DIR) cleanup_remove_tree(paths[i]);
    }
    errno = saved;
    _exit(128 + sig);
}

void cleanup_install(void) {
    static int installed;
    if (installed) return;
    installed = 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* One clean-up at a time: the other stop signals wait for it. */
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaddset(&sa.sa_mask, SIGHUP);
    sigaddset(&sa.sa_mask, SIGPIPE);
    /* SIGPIPE too: progress or a table written to a pipe whose reader has
     * gone (`fragsim whatif ... 2>&1 | head`) ends the command as the
     * others do, and its partial outputs with it. */
    const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        struct sigaction old;
        /* A signal ignored by whoever started us (nohup, a shell's
         * background job) stays ignored. */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue;
        sigaction(sigs[i], &sa, NULL);
    }
}

static int add(const char *path, int kind) {
    size_t n = strlen(path);
    if (n >= PATH_MAX) return -1;
    for (int i = 0; i < CLEANUP_PATHS; i++) {
        if (kinds[i] != SLOT_FREE) continue;
        memcpy(paths[i], path, n + 1);
        kinds[i] = kind;
        return i;
    }
    return -1;
}

int cleanup_add_file(const char *path) { return add(path, SLOT_FILE); }
int cleanup_add_dir(const char *path) { return add(path, SLOT_DIR); }

void cleanup_forget(int slot) {
    if (slot >= 0 && slot < CLEANUP_PATHS) kinds[slot] = SLOT_FREE;
}

void cleanup_add_child(pid_t pid) {
    for (int i = 0; i < CLEANUP_CHILDREN; i++)
        if (children[i] == 0) {
            children[i] = pid;
            return;
        }
}

void cleanup_forget_child(pid_t pid) {
    for (int i = 0; i < CLEANUP_CHILDREN; i++)
        if (children[i] == pid) children[i] = 0;
}
