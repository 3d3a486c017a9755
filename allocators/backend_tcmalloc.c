/* tcmalloc backend (Debian's gperftools 2.10, libtcmalloc_minimal).
 *
 * Values are allocated with tc_malloc/tc_free_sized rather than malloc/free:
 * the explicit API reaches tcmalloc even in a sanitizer build, where malloc
 * belongs to the sanitizer.  Outside that build tcmalloc also replaces malloc
 * for the whole process (libtcmalloc_minimal exports it), so libc's own
 * allocations land in the same heap and count in its statistics, as they do
 * with jemalloc.
 *
 * Statistics come from MallocExtension_GetNumericProperty.  tcmalloc carves
 * its heap into 8 KiB pages grouped in spans; a span is either in use (one
 * large allocation, or a run of objects of one size class) or free in the
 * page heap, where it is "free" (still mapped, resident if ever touched) or
 * "unmapped" (handed back with madvise(MADV_DONTNEED), address space kept
 * for reuse).  generic.heap_size counts all three.  That gives Redis's
 * fields directly:
 *
 *   allocated = generic.current_allocated_bytes (live objects at their size
 *               class, large allocations at their pages)
 *   active    = heap_size - pageheap_free - pageheap_unmapped: the spans in
 *               use, free objects waiting in the thread, transfer and central
 *               caches included, as jemalloc's active includes the free
 *               regions of its slabs
 *   mapped    = heap_size - pageheap_unmapped
 *   retained  = pageheap_unmapped
 *   metadata  = total_physical_bytes - (heap_size - pageheap_unmapped)
 *   resident  = generic.total_physical_bytes = mapped + metadata
 *   dirty     = pageheap_free: free pages not yet returned to the kernel
 *               (resident once touched)
 *
 * mapped leaves the unmapped bytes out, as jemalloc's stats.mapped leaves
 * out its retained bytes: mapped + retained is all the address space the
 * allocator holds, in both.
 *
 * tcmalloc returns free pages to the kernel as pages are freed to its page
 * heap (about TCMALLOC_RELEASE_RATE pages released per 1000 freed), not on a
 * clock: there is nothing to scale and nothing to tick.  Measured on 2.10: a
 * fresh process releases nothing until 2^18 pages (2 GiB) have been freed,
 * whatever the rate, so a trace smaller than that keeps its peak RSS unless
 * it purges. */
#include <gperftools/malloc_extension_c.h>
#include <gperftools/tcmalloc.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend.h"
#include "backend_options.h"

extern char **environ; /* POSIX; <unistd.h> declares it only for _GNU_SOURCE */

/* gperftools' own defaults for the settings it does not let a program read
 * back (src/page_heap.cc and src/common.cc of 2.10). */
#define TCB_DEFAULT_RELEASE_RATE 1.0
#define TCB_DEFAULT_TRANSFER_NUM_OBJ 32L

/* ThreadCache::set_overall_thread_cache_size clamps the limit to
 * [2 x 256 KiB, 1 GiB] without a word; a value outside would silently run
 * with another one. */
#define TCB_MIN_THREAD_CACHE ((long long)512 << 10)
#define TCB_MAX_THREAD_CACHE ((long long)1 << 30)

/* MallocExtension_ReleaseFreeMemory calls made by purge(); tcmalloc counts
 * only its own incremental scavenges.  One process, one backend. */
static uint64_t tcb_explicit_purges;

#if defined(__SANITIZE_ADDRESS__)
#define TCB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TCB_ASAN 1
#endif
#endif

#ifdef TCB_ASAN
#include <sanitizer/lsan_interface.h>
/* tcmalloc works in an AddressSanitizer process through its explicit API
 * (malloc stays ASan's).  One thing shows: before main(), gperftools 2.10's
 * MallocExtension::Register creates a default MallocExtension with operator
 * new, which is ASan's here, and drops it for tcmalloc's own: 8 bytes that
 * LeakSanitizer reports at every exit, failing every run.  The leak is the
 * library's and happens once; it is suppressed by name and nothing else,
 * and quietly: LeakSanitizer would otherwise list the suppression on stderr
 * at every exit.  LSAN_OPTIONS, when set, still wins over these defaults. */
const char *__lsan_default_suppressions(void) {
    return "leak:MallocExtension::Register\n";
}
const char *__lsan_default_options(void) {
    return "print_suppressions=0";
}
#endif

/* ---- the allocator ---- */

static const char *const tcb_needed[] = {
    "generic.current_allocated_bytes", "generic.heap_size",
    "generic.total_physical_bytes",    "tcmalloc.pageheap_free_bytes",
    "tcmalloc.pageheap_unmapped_bytes", "tcmalloc.pageheap_total_decommit_bytes",
    "tcmalloc.pageheap_decommit_count", "tcmalloc.pageheap_scavenge_count",
};

static int tcb_prop(const char *name, uint64_t *out, fs_err *err) {
    size_t v = 0;
    if (!MallocExtension_GetNumericProperty(name, &v))
        return fs_errf(err, "tcmalloc does not know the statistic '%s' (%s): fragsim was written "
                       "against gperftools 2.10", name, tc_version(NULL, NULL, NULL));
    *out = v;
    return 0;
}

static int tcb_init(void **state, fs_err *err) {
    *state = NULL;
    tcb_explicit_purges = 0;
    /* Every statistic the backend reads must exist: a tcmalloc without one
     * (another gperftools, or Google's newer tcmalloc, whose names differ)
     * is refused here rather than measured with holes. */
    uint64_t v;
    for (size_t i = 0; i < sizeof tcb_needed / sizeof *tcb_needed; i++)
        if (tcb_prop(tcb_needed[i], &v, err) != 0) return -1;
    return 0;
}

static void *tcb_alloc(void *state, size_t size, size_t *usable) {
    (void)state;
    void *p = tc_malloc(size);
    if (p != NULL) *usable = tc_malloc_size(p);
    return p;
}

static void tcb_free(void *state, void *p, size_t size) {
    (void)state;
    /* The sized free finds the size class from the size instead of the page
     * map, as a server that knows its sizes would call it. */
    tc_free_sized(p, size);
}

static void *tcb_realloc(void *state, void *p, size_t old_size, size_t size, size_t *usable) {
    (void)state, (void)old_size;
    void *q = tc_realloc(p, size);
    if (q != NULL) *usable = tc_malloc_size(q);
    return q;
}

static int tcb_stats(void *state, backend_stats *out, fs_err *err) {
    uint64_t allocated = 0, heap = 0, physical = 0, pfree = 0, unmapped = 0, decommitted = 0,
             ndecommit = 0, nscavenge = 0; /* zeroed for -O2 -Werror; tcb_prop sets them */
    (void)state;
    /* Each property takes its own snapshot; the engine is single-threaded,
     * so nothing moves between them. */
    if (tcb_prop("generic.current_allocated_bytes", &allocated, err) != 0 ||
        tcb_prop("generic.heap_size", &heap, err) != 0 ||
        tcb_prop("generic.total_physical_bytes", &physical, err) != 0 ||
        tcb_prop("tcmalloc.pageheap_free_bytes", &pfree, err) != 0 ||
        tcb_prop("tcmalloc.pageheap_unmapped_bytes", &unmapped, err) != 0 ||
        tcb_prop("tcmalloc.pageheap_total_decommit_bytes", &decommitted, err) != 0 ||
        tcb_prop("tcmalloc.pageheap_decommit_count", &ndecommit, err) != 0 ||
        tcb_prop("tcmalloc.pageheap_scavenge_count", &nscavenge, err) != 0)
        return -1;
    if (pfree + unmapped > heap)
        return fs_errf(err, "tcmalloc statistics disagree: %llu free + %llu unmapped bytes in a "
                       "heap of %llu", (unsigned long long)pfree, (unsigned long long)unmapped,
                       (unsigned long long)heap);
    memset(out, 0, sizeof *out);
    uint64_t mapped = heap - unmapped;
    out->allocated = allocated;
    out->active = mapped - pfree;
    /* total_physical_bytes is heap_size + metadata - unmapped (2.10's
     * "Actual memory used" in its stats text): what tcmalloc believes it
     * holds in RAM.  An upper bound, as jemalloc's resident is: free pages
     * the heap grew by but never touched, and metadata never written, are
     * counted although the kernel has not backed them yet. */
    out->resident = physical;
    out->mapped = mapped;
    out->retained = unmapped;
    out->metadata = physical > mapped ? physical - mapped : 0;
    out->dirty = pfree;
    /* Every page tcmalloc hands back goes through one DecommitSpan: one
     * madvise(MADV_DONTNEED) of a free span, counted in decommit_count
     * (attempts) and, when it worked, in total_decommit_bytes. */
    out->purged = decommitted;
    out->nmadvise = ndecommit;
    /* Sweeps: the incremental scavenges tcmalloc ran on its own (one every
     * 1000/release_rate pages freed) plus each MEMORY PURGE asked for. */
    out->npurge = nscavenge + tcb_explicit_purges;
    out->have = BACKEND_HAVE_ALLOCATED | BACKEND_HAVE_ACTIVE | BACKEND_HAVE_RESIDENT |
                BACKEND_HAVE_MAPPED | BACKEND_HAVE_RETAINED | BACKEND_HAVE_METADATA |
                BACKEND_HAVE_DIRTY | BACKEND_HAVE_PURGED | BACKEND_HAVE_NPURGE |
                BACKEND_HAVE_NMADVISE;
    return 0;
}

static int tcb_purge(void *state, fs_err *err) {
    (void)state;
    (void)err;
    /* Returns every free page-heap span to the kernel (madvise), the
     * counterpart of jemalloc's arena purge.  Free objects in the thread,
     * transfer and central caches stay where they are, as free regions of
     * jemalloc's slabs do. */
    MallocExtension_ReleaseFreeMemory();
    tcb_explicit_purges++;
    return 0;
}

static const char *tcb_version(void *state) {
    (void)state;
    const char *v = tc_version(NULL, NULL, NULL);
    return v != NULL ? v : "unknown";
}

/* ---- options ----
 *
 * tcmalloc reads its options from TCMALLOC_* variables when it starts and
 * parses them with strtod/strtol/a first-letter test, ignoring whatever does
 * not fit: "on" reads as false, "1e6" as 1, "abc" as 0 (which for
 * release_rate means never release).  So every value is checked here and
 * written in the one form tcmalloc reads as meant. */

typedef enum tcb_kind {
    TCB_RATE,  /* a decimal >= 0 */
    TCB_BYTES, /* a whole number of bytes, K/M/G allowed, within [min, max] */
    TCB_BOOL,  /* true/false and the like, written 1 or 0 */
    TCB_INT,   /* a whole number within [min, max] */
} tcb_kind;

typedef struct tcb_option {
    const char *name; /* as the spec spells it */
    const char *var;  /* the variable tcmalloc reads */
    tcb_kind kind;
    long long min, max;
    const char *words; /* what is expected, for errors */
} tcb_option;

static const tcb_option tcb_options[] = {
    {"release_rate", "TCMALLOC_RELEASE_RATE", TCB_RATE, 0, 0,
     "a decimal >= 0: pages returned to the kernel per 1000 freed (default 1; 0 never returns "
     "memory)"},
    {"max_total_thread_cache_bytes", "TCMALLOC_MAX_TOTAL_THREAD_CACHE_BYTES", TCB_BYTES,
     TCB_MIN_THREAD_CACHE, TCB_MAX_THREAD_CACHE,
     "bytes from 524288 to 1073741824, optionally with K, M or G (e.g. 16M; default 32M; tcmalloc "
     "would silently clamp anything outside)"},
    {"aggressive_decommit", "TCMALLOC_AGGRESSIVE_DECOMMIT", TCB_BOOL, 0, 1,
     "a switch: true/false, 1/0, yes/no or on/off (default false)"},
    {"transfer_num_objects", "TCMALLOC_TRANSFER_NUM_OBJ", TCB_INT, 1, INT_MAX,
     "a whole number from 1 to 2147483647: objects moved at once between the thread and central "
     "caches (default 32; 0 crashes tcmalloc)"},
    {"heap_limit_mb", "TCMALLOC_HEAP_LIMIT_MB", TCB_INT, 0, INT_MAX,
     "a whole number of MiB from 0 to 2147483647 (default 0: no limit)"},
};
#define TCB_NOPTIONS (sizeof tcb_options / sizeof *tcb_options)

static const char tcb_options_help[] =
    "tcmalloc options: name=value,... for TCMALLOC_<VAR> (e.g. release_rate=10,aggressive_decommit=true); "
    "known: release_rate (decimal >= 0, default 1), max_total_thread_cache_bytes (524288..1073741824, "
    "K/M/G allowed, default 32M), aggressive_decommit (true/false), transfer_num_objects (>= 1, "
    "default 32), heap_limit_mb (MiB, 0 for none)";

static const tcb_option *tcb_find_option(const char *name) {
    for (size_t i = 0; i < TCB_NOPTIONS; i++)
        if (strcasecmp(name, tcb_options[i].name) == 0) return &tcb_options[i];
    return NULL;
}

/* Parses decimal digits with an optional K/M/G (binary) when suffix is set;
 * *v gets the value.  Returns 0, or -1 if malformed or above LLONG_MAX. */
static int tcb_parse_whole(const char *s, bool suffix, long long *v) {
    if (!isdigit((unsigned char)s[0])) return -1;
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno != 0) return -1;
    if (suffix && *end != '\0') {
        char u = (char)toupper((unsigned char)*end);
        int shift = u == 'K' ? 10 : u == 'M' ? 20 : u == 'G' ? 30 : -1;
        if (shift < 0 || x > (LLONG_MAX >> shift)) return -1;
        x <<= shift;
        end++;
        if (strcasecmp(end, "iB") == 0 || strcasecmp(end, "B") == 0) end += strlen(end);
    }
    if (*end != '\0') return -1;
    *v = x;
    return 0;
}

/* Checks `value` for option `o` and writes the form tcmalloc reads. */
static int tcb_check_value(const tcb_option *o, const char *value, char *out, size_t outlen,
                           fs_err *err) {
    switch (o->kind) {
    case TCB_RATE: {
        /* Digits with at most one point: no sign, exponent, hex, inf or nan,
         * which strtod would take and tcmalloc would run with. */
        size_t digits = strspn(value, "0123456789");
        const char *rest = value + digits;
        if (*rest == '.') rest += 1 + strspn(rest + 1, "0123456789");
        if (*rest != '\0' || value[0] == '\0' || strcmp(value, ".") == 0 || strlen(value) >= outlen)
            break;
        double r = strtod(value, NULL);
        if (!isfinite(r)) break;
        snprintf(out, outlen, "%s", value);
        return 0;
    }
    case TCB_BOOL: {
        static const char *const on[] = {"1", "true", "yes", "on"};
        static const char *const off[] = {"0", "false", "no", "off"};
        for (size_t i = 0; i < sizeof on / sizeof *on; i++) {
            if (strcasecmp(value, on[i]) == 0 || strcasecmp(value, off[i]) == 0) {
                /* tcmalloc tests only the first letter against "tTyY1". */
                snprintf(out, outlen, "%s", strcasecmp(value, on[i]) == 0 ? "1" : "0");
                return 0;
            }
        }
        break;
    }
    case TCB_BYTES:
    case TCB_INT: {
        long long v;
        if (tcb_parse_whole(value, o->kind == TCB_BYTES, &v) != 0 || v < o->min || v > o->max) break;
        snprintf(out, outlen, "%lld", v);
        return 0;
    }
    }
    return fs_errf(err, "tcmalloc option %s: '%s' is not %s", o->name, value, o->words);
}

/* The options parsed so far: every one is checked before the first
 * variable is set, so a bad spec sets none at all. */
typedef struct tcb_parsed {
    struct {
        const tcb_option *o;
        char value[32];
    } item[TCB_NOPTIONS];
    size_t n;
} tcb_parsed;

static int tcb_option_item(void *arg, const char *name, const char *value, fs_err *err) {
    tcb_parsed *parsed = arg;
    const tcb_option *o = tcb_find_option(name);
    if (o == NULL)
        return fs_errf(err, "unknown tcmalloc option '%s'; known: release_rate, "
                       "max_total_thread_cache_bytes, aggressive_decommit, transfer_num_objects, "
                       "heap_limit_mb", name);
    for (size_t i = 0; i < parsed->n; i++)
        if (parsed->item[i].o == o) return fs_errf(err, "tcmalloc option '%s' is given twice", o->name);
    if (tcb_check_value(o, value, parsed->item[parsed->n].value,
                        sizeof parsed->item[parsed->n].value, err) != 0)
        return -1;
    parsed->item[parsed->n++].o = o;
    return 0;
}

static int tcb_options_env(const char *spec, backend_setting_fn fn, void *arg, fs_err *err) {
    tcb_parsed parsed = {.n = 0};
    if (backend_options_split(spec, '=', "tcmalloc", "release_rate=10", tcb_option_item, &parsed,
                              err) != 0)
        return -1;
    for (size_t i = 0; i < parsed.n; i++) fn(arg, parsed.item[i].o->var, parsed.item[i].value);
    return 0;
}

/* ---- settings ---- */

static void tcb_settings(void *state, backend_setting_fn fn, void *arg) {
    (void)state;
    char buf[64];
    /* Values in the syntax options_env takes, so a run can be repeated.
     * The release rate and the transfer batch cannot be read back through
     * the C API: they are what tcmalloc made of its variable at start-up
     * (parsed as it parses them), or its default. */
    const char *env = getenv("TCMALLOC_RELEASE_RATE");
    snprintf(buf, sizeof buf, "%g", env != NULL ? strtod(env, NULL) : TCB_DEFAULT_RELEASE_RATE);
    fn(arg, "release_rate", buf);
    size_t v;
    if (MallocExtension_GetNumericProperty("tcmalloc.max_total_thread_cache_bytes", &v)) {
        snprintf(buf, sizeof buf, "%zu", v);
        fn(arg, "max_total_thread_cache_bytes", buf);
    }
    if (MallocExtension_GetNumericProperty("tcmalloc.aggressive_memory_decommit", &v))
        fn(arg, "aggressive_decommit", v != 0 ? "true" : "false");
    env = getenv("TCMALLOC_TRANSFER_NUM_OBJ");
    snprintf(buf, sizeof buf, "%ld", env != NULL ? strtol(env, NULL, 10) : TCB_DEFAULT_TRANSFER_NUM_OBJ);
    fn(arg, "transfer_num_objects", buf);
    if (MallocExtension_GetNumericProperty("tcmalloc.heap_limit_mb", &v)) {
        snprintf(buf, sizeof buf, "%zu", v);
        fn(arg, "heap_limit_mb", buf);
    }
    /* The TCMALLOC_* variables tcmalloc read at start-up, as jemalloc's
     * backend reports MALLOC_CONF. */
    for (char **e = environ; *e != NULL; e++) {
        if (strncmp(*e, "TCMALLOC_", 9) != 0) continue;
        const char *eq = strchr(*e, '=');
        if (eq == NULL) continue;
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(eq - *e), *e);
        fn(arg, name, eq + 1);
    }
}

static const backend_ops tcmalloc_ops = {
    .name = "tcmalloc",
    .description = "gperftools tcmalloc 2.x through tc_malloc/tc_free_sized, statistics from "
                   "MallocExtension properties",
    .options_env = tcb_options_env,
    .options_help = tcb_options_help,
    .init = tcb_init,
    .alloc = tcb_alloc,
    .free = tcb_free,
    .realloc = tcb_realloc,
    .stats = tcb_stats,
    .purge = tcb_purge,
    .time_scale = NULL,
    .tick = NULL,
    .version = tcb_version,
    .settings = tcb_settings,
    .fini = NULL,
    .defrag_region = 8192, /* tcmalloc's pages (kPageSize): spans of small classes are made of them */
};

const backend_ops *const backend_self = &tcmalloc_ops;
