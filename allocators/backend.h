/* backend: the one interface every allocator under test implements.
 *
 * DESIGN.md decision 1: one allocator per process.  A backend is compiled
 * into its own worker executable (fragsim-jemalloc, ...), linked against that
 * allocator alone; `fragsim run --allocator NAME` execs the worker.  Inside a
 * worker the engine calls the allocator only through these operations, so a
 * new allocator is one file here plus one fragsim_backend() line in
 * CMakeLists.txt.
 *
 * Statistics use Redis's INFO names.  Not every allocator can say every
 * number honestly: a backend sets the bit of each field it fills in `have`,
 * and fields without their bit are written empty, never invented. */
#ifndef FRAGSIM_BACKEND_H
#define FRAGSIM_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "../sim/base/fs_err.h"

enum {
    BACKEND_HAVE_ALLOCATED = 1u << 0,
    BACKEND_HAVE_ACTIVE = 1u << 1,
    BACKEND_HAVE_RESIDENT = 1u << 2,
    BACKEND_HAVE_MAPPED = 1u << 3,
    BACKEND_HAVE_RETAINED = 1u << 4,
    BACKEND_HAVE_METADATA = 1u << 5,
    BACKEND_HAVE_DIRTY = 1u << 6,
    BACKEND_HAVE_MUZZY = 1u << 7,
    BACKEND_HAVE_PURGED = 1u << 8,
    BACKEND_HAVE_NPURGE = 1u << 9,
    BACKEND_HAVE_NMADVISE = 1u << 10,
};

typedef struct backend_stats {
    uint32_t have;      /* BACKEND_HAVE_* bits of the fields filled in */
    uint64_t allocated; /* bytes in live allocations (allocator_allocated) */
    uint64_t active;    /* bytes in pages holding live allocations (allocator_active) */
    uint64_t resident;  /* bytes the allocator holds resident, metadata included
                           (allocator_resident) */
    uint64_t mapped;    /* bytes mapped in active extents (allocator_mapped) */
    uint64_t retained;  /* bytes kept mapped-but-unused for reuse (allocator_retained) */
    uint64_t metadata;  /* bytes of the allocator's own metadata */
    /* Purge activity (what returning memory costs and achieves): */
    uint64_t dirty;     /* bytes in free pages still resident, awaiting decay */
    uint64_t muzzy;     /* bytes in free pages advised MADV_FREE, awaiting decay */
    uint64_t purged;    /* bytes returned to the kernel so far (counter) */
    uint64_t npurge;    /* purge sweeps so far (counter) */
    uint64_t nmadvise;  /* madvise calls so far (counter) */
} backend_stats;

/* A setting the allocator runs with, for summary.json: name and value as
 * text ("dirty_decay_ms", "10000"). */
typedef void (*backend_setting_fn)(void *arg, const char *name, const char *value);

/* One small size class (jemalloc's "bin") at a moment, in jemalloc's
 * vocabulary: n* and plain names are fixed, cur* are gauges. */
typedef struct backend_bin {
    uint64_t size;          /* bytes per region */
    uint64_t nregs;         /* regions per slab */
    uint64_t slab_size;     /* bytes per slab */
    uint64_t curslabs;      /* slabs in use */
    uint64_t curregs;       /* regions holding a live allocation */
    uint64_t nonfull_slabs; /* slabs in use with a free region */
} backend_bin;
typedef void (*backend_bin_fn)(void *arg, const backend_bin *bin);

typedef struct backend_ops {
    const char *name;        /* "jemalloc": what --allocator takes */
    const char *description;
    /* Checks `spec`, the allocator's options in its own syntax (jemalloc:
     * MALLOC_CONF's "dirty_decay_ms:1000,narenas:1"), and turns it into the
     * environment the allocator reads when it starts: one fn(arg, VARIABLE,
     * VALUE) call per variable.  Every allocator reads its options at
     * start-up, before main(), so the worker re-executes itself with that
     * environment before touching the allocator.  An unknown option or a
     * malformed value is an error naming it.  NULL: the allocator takes no
     * options.  Returns 0 or -1. */
    int (*options_env)(const char *spec, backend_setting_fn fn, void *arg, fs_err *err);
    /* One line on the syntax and the options known, for --help and errors. */
    const char *options_help;
    /* Prepares the allocator; *state is the backend's own (may stay NULL).
     * Returns 0 or -1. */
    int (*init)(void **state, fs_err *err);
    /* Allocates `size` (> 0) bytes and stores the usable size in *usable.
     * Returns NULL when the allocator refuses. */
    void *(*alloc)(void *state, size_t size, size_t *usable);
    /* Frees a block from alloc(); size is the size asked for. */
    void (*free)(void *state, void *p, size_t size);
    /* Resizes a block from alloc() (or realloc()) of old_size bytes asked
     * for to size (> 0) bytes, as Redis's zrealloc calls realloc: whether
     * the block grows or shrinks in place or moves (a new block, the bytes
     * copied, the old one freed) is the allocator's decision.  Stores the
     * new usable size in *usable.  Returns the block, or NULL when the
     * allocator refuses (p is then untouched).  NULL: alloc, copy and free. */
    void *(*realloc)(void *state, void *p, size_t old_size, size_t size, size_t *usable);
    /* Fills *out.  Returns 0 or -1. */
    int (*stats)(void *state, backend_stats *out, fs_err *err);
    /* Returns free memory to the kernel, like MEMORY PURGE.  NULL: the
     * allocator has no such call.  Returns 0 or -1. */
    int (*purge)(void *state, fs_err *err);
    /* Scales the allocator's wall-clock settings (decay, delays) for a replay
     * in which virtual time runs `speed` times faster than wall time: a
     * 10 s decay becomes 10/speed s, so that it lasts 10 virtual seconds.
     * Records each setting as scaled with fn.  NULL: the allocator has no
     * time-based setting.  Returns 0 or -1. */
    int (*time_scale)(void *state, double speed, backend_setting_fn fn, void *arg, fs_err *err);
    /* Called on every cron tick of the engine (hz times a virtual second),
     * as a server's periodic work touches its allocator; jemalloc uses it to
     * let time-based decay run while the trace is idle.  May be NULL. */
    void (*tick)(void *state);
    /* Switches the allocator's background purging thread on (1) or off
     * (0), or leaves it as the options made it (-1), and says how many
     * such threads run in *nthreads (Redis's jemalloc-bg-thread).  With the
     * virtual clock the threads' sleeps run on it (base/vclock.h).  NULL:
     * the allocator has no such thread.  Returns 0 or -1. */
    int (*background_thread)(void *state, int on, int *nthreads, fs_err *err);
    /* The allocator's version (static string). */
    const char *(*version)(void *state);
    /* Reports the settings in force, one call of fn per setting.  May be NULL. */
    void (*settings)(void *state, backend_setting_fn fn, void *arg);
    void (*fini)(void *state);
    /* Reports every small size class, one fn call each, smallest first
     * (page maps and size-class tables).  NULL: the allocator does not
     * say.  Returns 0 or -1. */
    int (*bins)(void *state, backend_bin_fn fn, void *arg, fs_err *err);

    /* ---- Active defrag (sim/defrag.h) ----
     * A defrag move allocates the new block past any thread cache, so that
     * it comes from the allocator's shared bins (the fullest slab first),
     * and frees the old one the same way: Redis's activeDefragAlloc.  NULL:
     * alloc and free, the allocator having no such distinction. */
    void *(*defrag_alloc)(void *state, size_t size, size_t *usable);
    void (*defrag_free)(void *state, void *p, size_t size);
    /* The allocator's own move decision for the live block p: 1 when moving
     * it would help (its slab is emptier than the average of its size
     * class), 0 when not (a large block, a full or current slab, a class
     * with one slab).  NULL: the engine uses its generic rule. */
    int (*defrag_hint)(void *state, const void *p);
    /* The name of that rule, for summary.json's move_rule
     * ("jemalloc-utilization", "je_get_defrag_hint"). */
    const char *defrag_hint_rule;
    /* Refreshes what defrag_hint reads (bin statistics), once per slice of
     * defrag work, as a server refreshes them once per cron tick.  May be
     * NULL. */
    void (*defrag_refresh)(void *state);
    /* For the generic rule: bytes of the region (slab, page, span) that
     * small blocks share in this allocator, a power of two; 0: 4096. */
    size_t defrag_region;

    /* ---- Heaps: shards in one process (--shard arenas, engine.h) ----
     * Separate heaps of the one allocator, so that a size or TTL class
     * never shares a page with another, as separate servers would not.
     * heaps_create makes n of them (0 to n - 1) beside the default heap
     * that alloc and free use; it is called once, before the replay and
     * after time_scale, so the heaps take the scaled settings.  heap_alloc
     * and heap_free are alloc and free in heap h; a block is always freed
     * to the heap it came from.  heap_stats fills the statistics of heap h
     * alone (the fields it can say, as stats does), as of the last stats
     * call, so that the heaps and the total describe the same moment.
     * heap_kind names what a heap is ("arena").  NULL: no heaps. */
    int (*heaps_create)(void *state, int n, fs_err *err);
    void *(*heap_alloc)(void *state, int h, size_t size, size_t *usable);
    void (*heap_free)(void *state, int h, void *p, size_t size);
    /* realloc in heap h (the block stays in its heap).  NULL: heap_alloc,
     * copy and heap_free. */
    void *(*heap_realloc)(void *state, int h, void *p, size_t old_size, size_t size,
                          size_t *usable);
    int (*heap_stats)(void *state, int h, backend_stats *out, fs_err *err);
    const char *heap_kind;
} backend_ops;

/* The backend compiled into this executable, or NULL in the front end. */
extern const backend_ops *const backend_self;

#endif
