/* The front door: subcommand table, help, and the hand-off from the front
 * end to the worker executable that holds the chosen allocator. */
#define _GNU_SOURCE
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../allocators/backend.h"
#include "fragsim_config.h"
#include "../base/cleanup.h"
#include "../base/units.h"

int cli_error(const char *cmd, int code, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "fragsim%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
}

int cli_gen_params(const cli_gen_opts *o, gen_params *p, fs_err *err) {
    if (o->preset != NULL) {
        const gen_preset *pr = gen_preset_find(o->preset);
        if (pr == NULL)
            return fs_errf(err, "unknown preset '%s' (fragsim presets lists them)", o->preset);
        pr->init(p);
    } else {
        gen_params_default(p);
    }
    if (o->seed && units_parse_u64(o->seed, &p->seed) != 0)
        return fs_errf(err, "--seed '%s': expected a whole number", o->seed);
    uint64_t keys0 = p->keys;
    if (o->keys && (units_parse_u64(o->keys, &p->keys) != 0 || p->keys == 0))
        return fs_errf(err, "--keys '%s': expected a whole number above 0", o->keys);
    /* A preset's second wave keeps its proportion to the first. */
    if (p->keys2 > 0 && p->keys != keys0)
        p->keys2 = (uint64_t)((double)p->keys2 * (double)p->keys / (double)keys0 + 0.5);
    if (o->rate && (units_parse_double(o->rate, &p->rate) != 0 || p->rate <= 0))
        return fs_errf(err, "--rate '%s': expected keys per second, above 0", o->rate);
    if (o->insert_seconds &&
        (units_parse_double(o->insert_seconds, &p->insert_seconds) != 0 || p->insert_seconds <= 0))
        return fs_errf(err, "--insert-seconds '%s': expected seconds, above 0", o->insert_seconds);
    if (o->sizes && dist_parse(&p->sizes, o->sizes, 1, "--sizes", err) != 0) return -1;
    if (o->ttl && dist_parse(&p->ttl, o->ttl, 0, "--ttl", err) != 0) return -1;
    if (o->observe && units_parse_double(o->observe, &p->observe) != 0)
        return fs_errf(err, "--observe '%s': expected seconds, 0 or more", o->observe);
    if (o->key_prefix) {
        if (strlen(o->key_prefix) >= sizeof p->key_prefix)
            return fs_errf(err, "--key-prefix: at most %zu bytes", sizeof p->key_prefix - 1);
        snprintf(p->key_prefix, sizeof p->key_prefix, "%s", o->key_prefix);
    }
    return gen_params_check(p, err);
}

int cli_presets(int argc, char **argv) {
    (void)argv;
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: fragsim presets\n\nLists the built-in workloads that `run --preset` "
               "and `gen --preset` take.\n");
        return CLI_OK;
    }
    if (argc > 1) return cli_error("presets", CLI_USAGE, "takes no arguments");
    size_t n;
    const gen_preset *p = gen_presets(&n);
    for (size_t i = 0; i < n; i++) printf("%-12s %s\n", p[i].name, p[i].description);
    return CLI_OK;
}

/* The directory this executable lives in. */
static int exe_dir(char *buf, size_t n) {
    ssize_t k = readlink("/proc/self/exe", buf, n - 1);
    if (k <= 0) return -1;
    buf[k] = '\0';
    char *slash = strrchr(buf, '/');
    if (slash == NULL) return -1;
    *slash = '\0';
    return 0;
}

/* Where the workers are looked for, in this order: $FRAGSIM_LIBEXECDIR
 * when set; beside this executable (the build tree); the libexec
 * directory relative to it (an installed tree, wherever its prefix went:
 * bin/fragsim finds ../libexec/fragsim/); the directory the build was
 * configured to install them in (a front end copied elsewhere).  Returns
 * how many of the CLI_WORKER_DIRS slots it filled. */
int cli_worker_dirs(char dirs[][PATH_MAX]) {
    int n = 0;
    char self[PATH_MAX];
    const char *env = getenv("FRAGSIM_LIBEXECDIR");
    if (env != NULL && *env != '\0') snprintf(dirs[n++], PATH_MAX, "%s", env);
    if (exe_dir(self, sizeof self) == 0) {
        snprintf(dirs[n++], PATH_MAX, "%s", self);
        /* bin/../libexec/fragsim, said as libexec/fragsim when it exists */
        char rel[PATH_MAX + 64];
        snprintf(rel, sizeof rel, "%s/%s", self, FRAGSIM_WORKER_RELDIR);
        if (realpath(rel, dirs[n]) == NULL) snprintf(dirs[n], PATH_MAX, "%s", rel);
        n++;
    }
    snprintf(dirs[n++], PATH_MAX, "%s", FRAGSIM_WORKER_INSTALLDIR);
    return n;
}

int cli_worker_path(const char *name, char *buf, size_t n) {
    char dirs[CLI_WORKER_DIRS][PATH_MAX];
    int nd = cli_worker_dirs(dirs);
    for (int i = 0; i < nd; i++)
        if ((size_t)snprintf(buf, n, "%s/fragsim-%s", dirs[i], name) < n && access(buf, X_OK) == 0)
            return 0;
    return -1;
}

/* Why allocator `name` cannot run: not built, or built but its worker is
 * in none of the directories looked in (a front end copied without them). */
static int worker_missing(const char *name) {
    char names[] = FRAGSIM_BACKENDS;
    int built = 0;
    for (char *save, *b = strtok_r(names, ",", &save); b; b = strtok_r(NULL, ",", &save))
        built |= strcmp(b, name) == 0;
    if (!built || strchr(name, '/') != NULL)
        return cli_error("run", CLI_USAGE, "allocator '%s' is not in this build (built: %s%s%s; "
                         "or preload:PATH.so)", name, FRAGSIM_BACKENDS,
                         *FRAGSIM_BACKENDS_SKIPPED ? "; skipped: " : "", FRAGSIM_BACKENDS_SKIPPED);
    char dirs[CLI_WORKER_DIRS][PATH_MAX], where[4 * PATH_MAX] = "";
    int nd = cli_worker_dirs(dirs);
    for (int i = 0; i < nd; i++)
        snprintf(where + strlen(where), sizeof where - strlen(where), "%s%s", i ? ", " : "",
                 dirs[i]);
    return cli_error("run", CLI_FAIL, "allocator '%s' is built, but its worker fragsim-%s is in "
                     "none of: %s (install with cmake --install, or set FRAGSIM_LIBEXECDIR)",
                     name, name, where);
}

/* The allocator's version as its worker reports it (`fragsim-NAME
 * --version`: "fragsim V allocator NAME VERSION"), or "?". */
static const char *worker_version(const char *path, const char *name, char *buf, size_t n) {
    char cmd[PATH_MAX + 32], line[256], want[96];
    snprintf(cmd, sizeof cmd, "'%s' --version 2>/dev/null", path);
    snprintf(want, sizeof want, " allocator %s ", name);
    snprintf(buf, n, "?");
    if (strchr(path, '\'') != NULL) return buf;
    FILE *f = popen(cmd, "r");
    if (f == NULL) return buf;
    if (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        const char *v = strstr(line, want);
        if (v != NULL && v[strlen(want)] != '\0') snprintf(buf, n, "%s", v + strlen(want));
    }
    pclose(f);
    return buf;
}

int cli_allocators(int argc, char **argv) {
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: fragsim allocators\n\nLists the allocators this build can run "
               "(--allocator NAME) and those it skipped.\n");
        return CLI_OK;
    }
    if (argc > 1) return cli_error("allocators", CLI_USAGE, "takes no arguments");
    char names[] = FRAGSIM_BACKENDS, path[PATH_MAX];
    for (char *save, *name = strtok_r(names, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        char version[128];
        if (cli_worker_path(name, path, sizeof path) != 0)
            printf("%-16s %-48s %s\n", name, "", "(built, but its worker is missing)");
        else
            printf("%-16s %-48s %s\n", name, worker_version(path, name, version, sizeof version), path);
    }
    printf("%-16s any other allocator: --allocator preload:PATH.so (LD_PRELOAD; RSS and "
           "used_memory only)\n", "preload:");
    if (*FRAGSIM_BACKENDS_SKIPPED) printf("skipped at build time: %s\n", FRAGSIM_BACKENDS_SKIPPED);
    return CLI_OK;
}

/* `run` in the front end: find --allocator, exec that allocator's worker
 * with the same arguments.  The worker parses and checks everything.
 * preload:PATH runs the worker that links no allocator, with PATH in
 * LD_PRELOAD. */
static int run_in_worker(int argc, char **argv) {
    const char *name = FRAGSIM_DEFAULT_ALLOCATOR;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) break;
        if (strcmp(argv[i], "--allocator") == 0 && i + 1 < argc) name = argv[i + 1];
        else if (strncmp(argv[i], "--allocator=", 12) == 0) name = argv[i] + 12;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return cli_run(argc, argv);
    }
    char path[PATH_MAX];
    if (strncmp(name, "preload:", 8) == 0) {
        const char *lib = name + 8;
#if defined(__SANITIZE_ADDRESS__)
        (void)lib;
        return cli_error("run", CLI_USAGE, "preload: is not available in a sanitizer build: the "
                         "sanitizer must stay the process's allocator");
#else
        if (*lib == '\0' || access(lib, R_OK) != 0)
            return cli_error("run", CLI_USAGE, "preload: cannot read '%s': %s", lib,
                             *lib ? strerror(errno) : "expected preload:PATH.so");
        if (cli_worker_path("preload", path, sizeof path) != 0)
            return cli_error("run", CLI_FAIL, "the preload worker is missing from this build");
        setenv("LD_PRELOAD", lib, 1);
#endif
    } else if (strchr(name, '/') != NULL || cli_worker_path(name, path, sizeof path) != 0) {
        return worker_missing(name);
    }
    /* argv[0] of the worker, then "run", then the user's arguments. */
    char *args[argc + 2];
    args[0] = path;
    for (int i = 0; i < argc; i++) args[i + 1] = argv[i];
    args[argc + 1] = NULL;
    execv(path, args);
    return cli_error("run", CLI_FAIL, "cannot start %s: %s", path, strerror(errno));
}

static int usage(FILE *f) {
    fprintf(f,
            "fragsim %s: replay key SET/EXPIRE/DEL streams against real allocators and\n"
            "measure fragmentation the way the allocator and the kernel see it.\n\n"
            "usage: fragsim COMMAND [options]     (fragsim COMMAND --help for more)\n\n"
            "commands:\n",
            FRAGSIM_VERSION);
#define CLI_COMMAND(name, fn, help) fprintf(f, "  %-11s %s\n", name, help);
#include "commands.h"
#undef CLI_COMMAND
    fprintf(f, "\nexample: fragsim run --preset seed-blog --keys 200000\n");
    return f == stdout ? CLI_OK : CLI_USAGE;
}

typedef struct cli_command {
    const char *name;
    int (*fn)(int argc, char **argv);
} cli_command;

int cli_help(int argc, char **argv) {
    (void)argc, (void)argv;
    return usage(stdout);
}

int cli_version(int argc, char **argv) {
    (void)argc, (void)argv;
    if (backend_self == NULL) printf("fragsim %s\n", FRAGSIM_VERSION);
    else
        printf("fragsim %s allocator %s %s\n", FRAGSIM_VERSION, backend_self->name,
               backend_self->version ? backend_self->version(NULL) : "");
    return CLI_OK;
}

/* In the front end, `run` starts the allocator's worker; in the worker it
 * is the replay. */
int cli_run_command(int argc, char **argv) {
    return backend_self == NULL ? run_in_worker(argc, argv) : cli_run(argc, argv);
}

static const cli_command commands[] = {
#define CLI_COMMAND(name, fn, help) {name, fn},
#include "commands.h"
#undef CLI_COMMAND
    {"--help", cli_help}, {"-h", cli_help}, {"--version", cli_version},
};

char **cli_argv;

int cli_main(int argc, char **argv) {
    cli_argv = argv;
    /* Every command: an interrupt removes the partial outputs and stops
     * the children (base/cleanup.h). */
    cleanup_install();
    if (argc < 2) return usage(stderr);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].fn(argc - 1, argv + 1);
    cli_error(NULL, CLI_USAGE, "unknown command '%s' (fragsim help lists the commands)", argv[1]);
    return CLI_USAGE;
}
