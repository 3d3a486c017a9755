#define _GNU_SOURCE
#include "children.h"

#include "../base/cleanup.h"
#include "../base/vclock.h"
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Children's wall times on the real clock (base/vclock.h). */
static double now_s(void) { return vclock_real_s(); }

int children_self(char *buf, size_t n) {
    ssize_t k = readlink("/proc/self/exe", buf, n - 1);
    if (k <= 0) return -1;
    buf[k] = '\0';
    return 0;
}

/* The last non-empty line of a child's stderr, without its "fragsim CMD: ".
 * *stopped: whether a line says the run stopped on the exhaustion of the
 * allocator under test (run.h, RUN_STOPPED_PREFIX). */
static void last_error_line(const char *path, char *out, size_t n, int *stopped) {
    FILE *f = fopen(path, "r");
    char line[1024];
    out[0] = '\0';
    *stopped = 0;
    if (f == NULL) return;
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0') continue;
        if (strncmp(line, RUN_STOPPED_PREFIX, strlen(RUN_STOPPED_PREFIX)) == 0) *stopped = 1;
        const char *msg = line;
        if (strncmp(line, "fragsim ", 8) == 0) {
            const char *colon = strstr(line, ": ");
            if (colon != NULL) msg = colon + 2;
        }
        snprintf(out, n, "%s", msg);
    }
    fclose(f);
}

static void describe_exit(child_job *j, int status) {
    char msg[400];
    int stopped;
    last_error_line(j->errfile, msg, sizeof msg, &stopped);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        /* A run the allocator's exhaustion stopped has its results (the
         * series up to that point): "oom" says so, apart from "ok". */
        snprintf(j->status, sizeof j->status, "%s", stopped ? "oom" : "ok");
        j->ok = 1;
    } else if (WIFEXITED(status)) {
        snprintf(j->status, sizeof j->status, "failed (exit %d): %s", WEXITSTATUS(status),
                 msg[0] ? msg : "no message");
    } else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
        snprintf(j->status, sizeof j->status, "killed (SIGKILL: out of memory?)");
    } else if (WIFSIGNALED(status)) {
        snprintf(j->status, sizeof j->status, "crashed (signal %d, %s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    } else {
        snprintf(j->status, sizeof j->status, "ended with status %d", status);
    }
}

/* The child must not outlive us: the kernel sends it SIGTERM when we die
 * (whatever kills us, SIGKILL included), and cleanup.h forwards our
 * SIGINT/SIGTERM and waits for it.  Signals stay blocked from before the
 * fork until the child is registered (in the parent) or our handlers are
 * gone (in the child), so neither side can be caught half-way.  Returns 0
 * or an errno value. */
static int start_child(const child_job *j, pid_t *pid) {
    const int stops[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
    sigset_t block, old;
    sigemptyset(&block);
    for (size_t i = 0; i < sizeof stops / sizeof *stops; i++) sigaddset(&block, stops[i]);
    sigprocmask(SIG_BLOCK, &block, &old);
    pid_t parent = getpid();
    pid_t p = fork();
    if (p == 0) {
        for (size_t i = 0; i < sizeof stops / sizeof *stops; i++) {
            struct sigaction sa;
            if (sigaction(stops[i], NULL, &sa) == 0 && sa.sa_handler != SIG_IGN)
                signal(stops[i], SIG_DFL);
        }
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent) _exit(128 + SIGTERM); /* it died before prctl */
        sigprocmask(SIG_SETMASK, &old, NULL);
        int in = open("/dev/null", O_RDONLY), out = open("/dev/null", O_WRONLY),
            errfd = open(j->errfile, O_WRONLY | O_CREAT | O_TRUNC, 0666);
        if (in < 0 || out < 0 || errfd < 0 || dup2(in, STDIN_FILENO) < 0 ||
            dup2(out, STDOUT_FILENO) < 0 || dup2(errfd, STDERR_FILENO) < 0)
            _exit(127);
        execve(j->argv[0], (char *const *)j->argv, environ);
        dprintf(STDERR_FILENO, "fragsim: cannot start %s: %s\n", j->argv[0], strerror(errno));
        _exit(127);
    }
    int e = p < 0 ? errno : 0;
    if (p > 0) cleanup_add_child(p);
    sigprocmask(SIG_SETMASK, &old, NULL);
    *pid = p;
    return e;
}

size_t children_run(child_job *jobs, size_t n, unsigned parallel, int progress, const char *who) {
    pid_t *pids = calloc(n, sizeof *pids);
    double *started = calloc(n, sizeof *started);
    size_t next = 0, running = 0, failed = 0, done = 0;
    double t0 = now_s();
    if (parallel == 0) parallel = 1;
    while (next < n || running > 0) {
        if (next < n && running < parallel) {
            child_job *j = &jobs[next];
            int rc = start_child(j, &pids[next]);
            if (rc != 0) {
                snprintf(j->status, sizeof j->status, "could not start: %s", strerror(rc));
                pids[next] = 0;
                failed++;
                done++;
            } else {
                started[next] = now_s();
                running++;
                if (progress)
                    fprintf(stderr, "fragsim %s: %s started (%zu of %zu)\n", who, j->label,
                            next + 1, n);
            }
            next++;
            continue;
        }
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (size_t i = 0; i < n; i++) {
            if (pids[i] != pid) continue;
            child_job *j = &jobs[i];
            j->wall = now_s() - started[i];
            cleanup_forget_child(pid);
            describe_exit(j, status);
            unlink(j->errfile);
            failed += !j->ok;
            running--;
            done++;
            if (progress) {
                /* The time left as the time so far per job done, for the
                 * jobs left: rough while jobs differ, honest on the whole. */
                double so_far = now_s() - t0;
                char eta[48] = "";
                if (done < n)
                    snprintf(eta, sizeof eta, ", ETA %.0f s",
                             so_far / (double)done * (double)(n - done));
                fprintf(stderr, "fragsim %s: %s %s after %.1f s; %zu/%zu done%s\n", who,
                        j->label, j->ok ? "finished" : j->status, j->wall, done, n, eta);
            }
        }
    }
    free(pids);
    free(started);
    return failed;
}
