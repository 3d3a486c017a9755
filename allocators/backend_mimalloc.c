/* mimalloc backend (Debian's libmimalloc 2.0.9).
 *
 * Values are allocated with mi_malloc/mi_free_size rather than malloc/free:
 * the explicit API reaches mimalloc even in a sanitizer build, where malloc
 * belongs to the sanitizer.  Outside that build mimalloc also replaces
 * malloc for the whole process (libmimalloc.so exports it), so libc's own
 * allocations land in the same heap and count in its statistics, as they do
 * with jemalloc.
 *
 * mimalloc 2.0.9 has no counterpart of jemalloc's stats.* totals: most of
 * its statistics are compiled out of the release build, and the ones it
 * keeps (reserved, committed) reach a program only as text rounded to
 * 0.1 MiB from mi_stats_print_out, except the commit, which
 * mi_process_info returns.  What it does offer is a walk over a heap's pages
 * (mi_heap_visit_blocks), each page holding blocks of one size.  allocated
 * and active come from the walk, resident from the commit; mapped, retained
 * and metadata have no honest source and stay empty.
 *
 * The walk covers the calling thread's default heap only.  The engine is
 * single-threaded, so that heap holds every block of the process. */
#include <mimalloc.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "backend.h"
#include "backend_options.h"

extern char **environ; /* POSIX; <unistd.h> declares it only for _GNU_SOURCE */

/* ---- options ----
 *
 * The 2.0.9 option table (mi_option_e in mimalloc.h, names as in the
 * library's options.c).  The environment variable of an option is
 * MIMALLOC_<NAME>; mimalloc reads all of them when the process starts. */

typedef enum mi_be_kind {
    MI_BE_BOOL, /* 0/1 */
    MI_BE_INT,  /* an integer >= min, counting `unit` */
    MI_BE_SIZE, /* bytes, with an optional K/M/G suffix; mimalloc keeps KiB */
} mi_be_kind;

typedef struct mi_be_option {
    const char *name; /* lowercase, as in MIMALLOC_<NAME> */
    mi_option_t option;
    mi_be_kind kind;
    long min;
    const char *unit;
    bool setting; /* reported by settings(): it shapes fragmentation or RSS */
} mi_be_option;

static const mi_be_option mi_be_options[] = {
    {"show_errors", mi_option_show_errors, MI_BE_BOOL, 0, NULL, false},
    {"show_stats", mi_option_show_stats, MI_BE_BOOL, 0, NULL, false},
    {"verbose", mi_option_verbose, MI_BE_INT, 0, "level", false},
    {"eager_commit", mi_option_eager_commit, MI_BE_BOOL, 0, NULL, true},
    {"large_os_pages", mi_option_large_os_pages, MI_BE_BOOL, 0, NULL, true},
    {"reserve_huge_os_pages", mi_option_reserve_huge_os_pages, MI_BE_INT, 0, "1 GiB pages", true},
    {"reserve_huge_os_pages_at", mi_option_reserve_huge_os_pages_at, MI_BE_INT, -1, "NUMA node, -1 for none",
     false},
    {"reserve_os_memory", mi_option_reserve_os_memory, MI_BE_SIZE, 0, NULL, true},
    {"page_reset", mi_option_page_reset, MI_BE_BOOL, 0, NULL, true},
    {"abandoned_page_decommit", mi_option_abandoned_page_decommit, MI_BE_BOOL, 0, NULL, true},
    {"eager_commit_delay", mi_option_eager_commit_delay, MI_BE_INT, 0, "segments", true},
    {"decommit_delay", mi_option_decommit_delay, MI_BE_INT, 0, "milliseconds", true},
    {"use_numa_nodes", mi_option_use_numa_nodes, MI_BE_INT, 0, "nodes, 0 for all", false},
    {"limit_os_alloc", mi_option_limit_os_alloc, MI_BE_BOOL, 0, NULL, true},
    {"max_errors", mi_option_max_errors, MI_BE_INT, LONG_MIN, "messages, < 0 for no limit", false},
    {"max_warnings", mi_option_max_warnings, MI_BE_INT, LONG_MIN, "messages, < 0 for no limit", false},
    {"max_segment_reclaim", mi_option_max_segment_reclaim, MI_BE_INT, 0, "segments", false},
    {"allow_decommit", mi_option_allow_decommit, MI_BE_BOOL, 0, NULL, true},
    {"segment_decommit_delay", mi_option_segment_decommit_delay, MI_BE_INT, 0, "milliseconds", true},
    {"decommit_extend_delay", mi_option_decommit_extend_delay, MI_BE_INT, 0, "milliseconds", true},
    {"destroy_on_exit", mi_option_destroy_on_exit, MI_BE_BOOL, 0, NULL, false},
};
#define MI_BE_NOPTIONS (sizeof mi_be_options / sizeof *mi_be_options)

/* 2.0.9 still reads the 1.x names of two options (with a deprecation
 * warning); the spec takes them too and writes the current name. */
static const struct {
    const char *alias, *name;
} mi_be_aliases[] = {
    {"reset_delay", "decommit_delay"},
    {"abandoned_page_reset", "abandoned_page_decommit"},
};

/* Names that exist somewhere but do nothing in 2.0.9.  Accepting them would
 * make a run look configured when it is not, so they are refused with the
 * reason. */
static const struct {
    const char *name, *why;
} mi_be_refused[] = {
    {"segment_cache", "a 1.x option; 2.0.9 keeps it as deprecated_segment_cache and ignores it"},
    {"deprecated_segment_cache", "deprecated: 2.0.9 ignores it"},
    {"segment_reset", "a 1.x option; 2.0.9 keeps it as deprecated_segment_reset and ignores it"},
    {"deprecated_segment_reset", "deprecated: 2.0.9 ignores it"},
    {"eager_region_commit", "a 1.x option; 2.0.9 ignores it"},
    {"deprecated_eager_region_commit", "deprecated: 2.0.9 ignores it"},
    {"reset_decommits", "a 1.x option; 2.0.9 ignores it"},
    {"deprecated_reset_decommits", "deprecated: 2.0.9 ignores it"},
    {"os_tag", "it only has an effect on macOS"},
    {"purge_delay", "the mimalloc 2.1 name; 2.0.9 calls it decommit_delay"},
    {"purge_decommits", "a mimalloc 2.1 option; 2.0.9 does not have it"},
    {"arena_eager_commit", "a mimalloc 2.1 option; 2.0.9 does not have it"},
};

static const char mi_be_options_help[] =
    "mimalloc options: name=value,... for MIMALLOC_<NAME> (e.g. decommit_delay=0,eager_commit=1); "
    "switches take 0/1/true/false/on/off/yes/no, reserve_os_memory a size like 256M; known: "
    "show_errors, show_stats, verbose, eager_commit, large_os_pages, reserve_huge_os_pages, "
    "reserve_huge_os_pages_at, reserve_os_memory, page_reset, abandoned_page_decommit "
    "(or abandoned_page_reset), eager_commit_delay, decommit_delay (or reset_delay), use_numa_nodes, "
    "limit_os_alloc, max_errors, max_warnings, max_segment_reclaim, allow_decommit, "
    "segment_decommit_delay, decommit_extend_delay, destroy_on_exit";

static const mi_be_option *mi_be_find_option(const char *name) {
    for (size_t i = 0; i < sizeof mi_be_aliases / sizeof *mi_be_aliases; i++)
        if (strcasecmp(name, mi_be_aliases[i].alias) == 0) name = mi_be_aliases[i].name;
    for (size_t i = 0; i < MI_BE_NOPTIONS; i++)
        if (strcasecmp(name, mi_be_options[i].name) == 0) return &mi_be_options[i];
    return NULL;
}

/* Checks `value` for option `o` and writes the form mimalloc parses without
 * surprises: its own parser matches the switch words by substring ("N"
 * would read as "NO"), so switches are written as 0 or 1. */
static int mi_be_check_value(const mi_be_option *o, const char *value, char *out, size_t outlen,
                             fs_err *err) {
    if (o->kind == MI_BE_BOOL) {
        static const char *const on[] = {"1", "true", "on", "yes"};
        static const char *const off[] = {"0", "false", "off", "no"};
        for (size_t i = 0; i < sizeof on / sizeof *on; i++) {
            if (strcasecmp(value, on[i]) == 0 || strcasecmp(value, off[i]) == 0) {
                snprintf(out, outlen, "%s", strcasecmp(value, on[i]) == 0 ? "1" : "0");
                return 0;
            }
        }
        return fs_errf(err, "mimalloc option '%s' is a switch: expected 0/1/true/false/on/off/yes/no, not '%s'",
                       o->name, value);
    }
    /* Integers: decimal digits only (mimalloc's strtol would also take
     * leading blanks and a '+', which a spec has no need for). */
    const char *digits = value + (o->kind == MI_BE_INT && value[0] == '-');
    char *end = NULL;
    errno = 0;
    long v = isdigit((unsigned char)digits[0]) ? strtol(value, &end, 10) : 0;
    if (end == NULL || errno != 0) goto bad;
    if (o->kind == MI_BE_INT) {
        if (*end != '\0' || v < o->min) goto bad;
        snprintf(out, outlen, "%ld", v);
        return 0;
    }
    /* A size: mimalloc 2.0.9 keeps reserve_os_memory in KiB and reads a bare
     * number as bytes (rounded up), K, M, G as KiB, MiB, GiB, with an
     * optional B or iB after the letter. */
    char unit = (char)toupper((unsigned char)*end);
    long kib_per_unit = unit == 'K' ? 1 : unit == 'M' ? 1024 : unit == 'G' ? 1024L * 1024 : 0;
    if (kib_per_unit != 0) {
        end++;
        if (strcasecmp(end, "iB") == 0 || strcasecmp(end, "B") == 0) end += strlen(end);
        if (v > LONG_MAX / kib_per_unit) goto bad;
        if (*end != '\0') goto bad;
        snprintf(out, outlen, "%ld%c", v, unit);
        return 0;
    }
    /* A bare number is bytes; it is written in KiB, the unit mimalloc keeps,
     * so the variable shows the value the option will hold. */
    if (*end != '\0') goto bad;
    if (v == 0)
        snprintf(out, outlen, "0");
    else
        snprintf(out, outlen, "%ldK", v / 1024 + (v % 1024 != 0));
    return 0;
bad:
    if (o->kind == MI_BE_SIZE)
        return fs_errf(err, "mimalloc option '%s' takes a size in bytes, optionally with K, M or G "
                       "(e.g. 256M), not '%s'", o->name, value);
    if (o->min == LONG_MIN)
        return fs_errf(err, "mimalloc option '%s' takes an integer (%s), not '%s'", o->name, o->unit, value);
    return fs_errf(err, "mimalloc option '%s' takes an integer >= %ld (%s), not '%s'", o->name, o->min,
                   o->unit, value);
}

static int mi_be_unknown(const char *name, fs_err *err) {
    for (size_t i = 0; i < sizeof mi_be_refused / sizeof *mi_be_refused; i++)
        if (strcasecmp(name, mi_be_refused[i].name) == 0)
            return fs_errf(err, "mimalloc option '%s' is not accepted: %s", name, mi_be_refused[i].why);
    char known[800];
    size_t len = 0;
    known[0] = '\0';
    for (size_t i = 0; i < MI_BE_NOPTIONS && len < sizeof known; i++)
        len += (size_t)snprintf(known + len, sizeof known - len, "%s%s", i ? ", " : "", mi_be_options[i].name);
    return fs_errf(err, "unknown mimalloc option '%s'; mimalloc 2.0.9 knows %s (and the old names "
                   "reset_delay, abandoned_page_reset)", name, known);
}

/* The options parsed so far: every one is checked before the first
 * variable is set, so a bad spec sets none at all. */
typedef struct mi_be_parsed {
    struct {
        const mi_be_option *o;
        char value[32];
    } item[MI_BE_NOPTIONS];
    size_t n;
} mi_be_parsed;

static int mi_be_option_item(void *arg, const char *name, const char *value, fs_err *err) {
    mi_be_parsed *parsed = arg;
    const mi_be_option *o = mi_be_find_option(name);
    if (o == NULL) return mi_be_unknown(name, err);
    for (size_t i = 0; i < parsed->n; i++)
        if (parsed->item[i].o == o)
            return fs_errf(err, "mimalloc option '%s' is given twice (reset_delay is decommit_delay, "
                           "abandoned_page_reset is abandoned_page_decommit)", o->name);
    if (mi_be_check_value(o, value, parsed->item[parsed->n].value,
                          sizeof parsed->item[parsed->n].value, err) != 0)
        return -1;
    parsed->item[parsed->n++].o = o;
    return 0;
}

static int mi_be_options_env(const char *spec, backend_setting_fn fn, void *arg, fs_err *err) {
    mi_be_parsed parsed = {.n = 0};
    if (backend_options_split(spec, '=', "mimalloc", "decommit_delay=0", mi_be_option_item,
                              &parsed, err) != 0)
        return -1;
    for (size_t i = 0; i < parsed.n; i++) {
        char var[64];
        int len = snprintf(var, sizeof var, "MIMALLOC_%s", parsed.item[i].o->name);
        for (int j = 0; j < len; j++) var[j] = (char)toupper((unsigned char)var[j]);
        fn(arg, var, parsed.item[i].value);
    }
    return 0;
}

/* ---- the allocator ---- */

static int mi_be_init(void **state, fs_err *err) {
    *state = NULL;
    /* The option table above and the heap-area fields the statistics read
     * are those of the header this file was compiled with; another version
     * has another option list (2.1 replaced decommit_delay by purge_delay). */
    if (mi_version() != MI_MALLOC_VERSION)
        return fs_errf(err, "mimalloc library version %d does not match the header fragsim was built with "
                       "(%d): rebuild fragsim against the installed libmimalloc-dev",
                       mi_version(), MI_MALLOC_VERSION);
    return 0;
}

static void *mi_be_alloc(void *state, size_t size, size_t *usable) {
    (void)state;
    void *p = mi_malloc(size);
    if (p != NULL) *usable = mi_usable_size(p);
    return p;
}

static void mi_be_free(void *state, void *p, size_t size) {
    (void)state;
    /* mi_free_size only checks the size in debug builds; it is the sized
     * free a server that knows its sizes would call. */
    mi_free_size(p, size);
}

static void *mi_be_realloc(void *state, void *p, size_t old_size, size_t size, size_t *usable) {
    (void)state, (void)old_size;
    void *q = mi_realloc(p, size);
    if (q != NULL) *usable = mi_usable_size(q);
    return q;
}

typedef struct mi_be_walk {
    uint64_t allocated, active;
} mi_be_walk;

/* Called once per area (a mimalloc page: blocks of one size) when the walk
 * does not visit blocks.  block_size is the usable size, what mi_usable_size
 * reports and the engine counts; full_block_size adds padding, which
 * Debian's release build does not have.  committed is the bytes of the
 * page's blocks mimalloc has set up so far (capacity x block size): free
 * blocks among them count, as the free regions of a jemalloc slab do in its
 * active; the part of the page never handed out yet does not. */
static bool mi_be_visit_area(const mi_heap_t *heap, const mi_heap_area_t *area, void *block, size_t block_size,
                             void *arg) {
    (void)heap;
    (void)block;
    (void)block_size;
    mi_be_walk *w = arg;
    /* A page whose last block was freed can stay in the heap a little while
     * (mimalloc retires it lazily); it holds no live allocation. */
    if (area->used == 0) return true;
    w->allocated += (uint64_t)area->used * area->block_size;
    w->active += area->committed;
    return true;
}

static int mi_be_stats(void *state, backend_stats *out, fs_err *err) {
    (void)state;
    (void)err;
    memset(out, 0, sizeof *out);
    mi_be_walk w = {0, 0};
    /* The result is not checked: 2.0.9 returns false for a heap with no
     * pages yet (the sanitizer build's heap before the first value), and
     * the visitor above never stops the walk. */
    (void)mi_heap_visit_blocks(mi_heap_get_default(), false, mi_be_visit_area, &w);
    /* mi_process_info's current_commit: the bytes mimalloc holds committed
     * from the OS, segment metadata included.  Linux commits lazily, so
     * untouched or reset pages inside it are not resident: an upper bound
     * of mimalloc's resident memory, as jemalloc's stats.resident is of
     * its.  (2.0.9's current_rss is this same number, not RSS.) */
    size_t elapsed, user, sys, rss, peak_rss, commit, peak_commit, faults;
    mi_process_info(&elapsed, &user, &sys, &rss, &peak_rss, &commit, &peak_commit, &faults);
    out->allocated = w.allocated;
    out->active = w.active;
    out->resident = commit;
    out->have = BACKEND_HAVE_ALLOCATED | BACKEND_HAVE_ACTIVE | BACKEND_HAVE_RESIDENT;
    return 0;
}

static int mi_be_purge(void *state, fs_err *err) {
    (void)state;
    (void)err;
    /* Forced collection: frees retired pages and decommits free memory now
     * instead of after decommit_delay, the closest thing to MEMORY PURGE. */
    mi_collect(true);
    return 0;
}

/* mimalloc's delays run on the wall clock (milliseconds): scale them so a
 * 25 ms decommit delay lasts 25 virtual ms at the replay's speed.  0 stays
 * 0 (at once); a scaled delay never reaches 0, which would change its
 * meaning. */
static int mi_be_time_scale(void *state, double speed, backend_setting_fn fn, void *arg,
                            fs_err *err) {
    (void)state, (void)err;
    static const struct {
        mi_option_t option;
        const char *name;
    } delays[] = {
        {mi_option_decommit_delay, "decommit_delay_wall"},
        {mi_option_segment_decommit_delay, "segment_decommit_delay_wall"},
        {mi_option_decommit_extend_delay, "decommit_extend_delay_wall"},
    };
    char buf[32];
    for (size_t i = 0; i < sizeof delays / sizeof *delays; i++) {
        long v = mi_option_get(delays[i].option);
        long scaled = v <= 0 ? v : (long)((double)v / speed + 0.5);
        if (v > 0 && scaled < 1) scaled = 1;
        mi_option_set(delays[i].option, scaled);
        snprintf(buf, sizeof buf, "%ld", scaled);
        fn(arg, delays[i].name, buf);
    }
    return 0;
}

/* A server's cron allocates and frees on every tick; mimalloc applies its
 * delayed decommits only when something runs through the heap, so an idle
 * trace would keep every emptied page committed forever.  A normal (not
 * forced) collection applies what is due and nothing more. */
static void mi_be_tick(void *state) {
    (void)state;
    mi_collect(false);
}

static const char *mi_be_version(void *state) {
    (void)state;
    /* mi_version() is major*100 + minor*10 + patch: 209 is 2.0.9. */
    static char buf[32];
    int v = mi_version();
    snprintf(buf, sizeof buf, "%d.%d.%d", v / 100, v / 10 % 10, v % 10);
    return buf;
}

static void mi_be_settings(void *state, backend_setting_fn fn, void *arg) {
    (void)state;
    /* Values in the syntax options_env takes, so a run can be repeated. */
    char buf[32];
    for (size_t i = 0; i < MI_BE_NOPTIONS; i++) {
        const mi_be_option *o = &mi_be_options[i];
        if (!o->setting) continue;
        long v = mi_option_get(o->option);
        if (o->kind == MI_BE_BOOL)
            snprintf(buf, sizeof buf, "%s", v != 0 ? "true" : "false");
        else if (o->kind == MI_BE_SIZE && v != 0)
            snprintf(buf, sizeof buf, "%ldK", v);
        else
            snprintf(buf, sizeof buf, "%ld", v);
        fn(arg, o->name, buf);
    }
    /* The MIMALLOC_* variables mimalloc read at start-up (it matches the
     * names without regard to case), as jemalloc's backend reports
     * MALLOC_CONF. */
    for (char **e = environ; *e != NULL; e++) {
        if (strncasecmp(*e, "MIMALLOC_", 9) != 0) continue;
        const char *eq = strchr(*e, '=');
        if (eq == NULL) continue;
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(eq - *e), *e);
        fn(arg, name, eq + 1);
    }
}

static const backend_ops mimalloc_ops = {
    .name = "mimalloc",
    .description = "mimalloc 2.0 through mi_malloc/mi_free_size, statistics from a walk of the heap's pages",
    .options_env = mi_be_options_env,
    .options_help = mi_be_options_help,
    .init = mi_be_init,
    .alloc = mi_be_alloc,
    .free = mi_be_free,
    .realloc = mi_be_realloc,
    .stats = mi_be_stats,
    .purge = mi_be_purge,
    .time_scale = mi_be_time_scale,
    .tick = mi_be_tick,
    .version = mi_be_version,
    .settings = mi_be_settings,
    .fini = NULL,
    .defrag_region = 65536, /* mimalloc 2.0's small pages: one size class per 64 KiB page */
};

const backend_ops *const backend_self = &mimalloc_ops;
