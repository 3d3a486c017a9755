/* cleanup: what an interrupted process must undo before it goes.
 *
 * Every partial output (a temporary file beside its target, a hidden
 * partial results directory) and every child process is registered here
 * while it lives.  On SIGINT, SIGTERM or SIGHUP the handler forwards the
 * signal to the children, waits for them (they remove their own partial
 * outputs), removes the registered paths and exits with 128 + the signal
 * (130 for SIGINT, 143 for SIGTERM).
 *
 * The handler uses system calls only (no heap, no stdio): it may run in the
 * middle of an allocation in the heap under test, or after that heap is
 * exhausted.  The registry is static storage for the same reason. */
#ifndef FRAGSIM_CLEANUP_H
#define FRAGSIM_CLEANUP_H

#include <sys/types.h>

/* Installs the handlers.  Idempotent. */
void cleanup_install(void);

/* Registers a path to remove if the process is interrupted: a file, or a
 * directory removed with everything in it.  Register before creating it.
 * Returns a slot for cleanup_forget(), or -1 when the registry is full or
 * the path longer than PATH_MAX (the caller refuses the output then). */
int cleanup_add_file(const char *path);
int cleanup_add_dir(const char *path);
/* The path was renamed into place or removed: no longer ours to remove.
 * slot -1 is ignored. */
void cleanup_forget(int slot);

/* A child that must not outlive this process. */
void cleanup_add_child(pid_t pid);
void cleanup_forget_child(pid_t pid);

/* Removes a directory tree without the heap (usable by the handler and by
 * code that runs after the heap under test is exhausted).  Does not follow
 * symbolic links.  Returns 0 when the directory is gone. */
int cleanup_remove_tree(const char *path);

#endif
