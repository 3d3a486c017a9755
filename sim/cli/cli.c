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

/* The directory this executable lives in, where its workers live too. */
static int exe_dir(char *buf, size_t n) {
    ssize_t k = readlink("/proc/self/exe", buf, n - 1);
    if (k <= 0) return -1;
    buf[k] = '\0';
    char *slash = strrchr(buf, '/');
    if (slash == NULL) return -1;
    *slash = '\0';
    return 0;
}

int cli_worker_path(const char *name, char *buf, size_t n) {
    char dir[PATH_MAX];
    if (exe_dir(dir, sizeof dir) != 0) return -1;
    if ((size_t)snprintf(buf, n, "%s/fragsim-%s", dir, name) >= n) return -1;
    return access(buf, X_OK);
}

int cli_allocators(int argc, char **argv) {
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: fragsim allocators\n\nLists the allocators this build can run "
               "(--allocator NAME) and those it skipped.\n");
        return CLI_OK;
    }
    if (argc > 1) return cli_error("allocators", CLI_USAGE, "takes no arguments");
    char names[] = FRAGSIM_BACKENDS, path[PATH_MAX];
    for (char *save, *name = strtok_r(names, ",", &save); name; name = strtok_r(NULL, ",", &save))
        printf("%-10s %s\n", name,
               cli_worker_path(name, path, sizeof path) == 0 ? path : "(built, but its worker is missing)");
    printf("%-10s any other allocator: --allocator preload:PATH.so (LD_PRELOAD; RSS and "
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
        return cli_error("run", CLI_USAGE, "allocator '%s' is not in this build (built: %s%s%s; "
                         "or preload:PATH.so)", name, FRAGSIM_BACKENDS,
                         *FRAGSIM_BACKENDS_SKIPPED ? "; skipped: " : "", FRAGSIM_BACKENDS_SKIPPED);
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
    printf("fragsim %s%s%s\n", FRAGSIM_VERSION, backend_self ? " allocator " : "",
           backend_self ? backend_self->name : "");
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
