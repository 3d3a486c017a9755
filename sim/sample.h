/* sample: one row of measurements, and the table of its columns.
 *
 * The column table is the single description of what a sample holds: the
 * CSV header, the CSV rows, the peak/final figures of summary.json and the
 * INFO-style block are all written from it, so a new measurement is one
 * field plus one row.  Names are Redis INFO memory's where Redis has one
 * (DESIGN.md decision 5); every ratio's row says which fragmentation it is. */
#ifndef FRAGSIM_SAMPLE_H
#define FRAGSIM_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "../allocators/backend.h"
#include "base/fs_err.h"
#include "redis_version.h"

typedef struct engine engine;

typedef struct sample_row {
    double virtual_time;      /* s since the first event */
    double wall_time;         /* s since the replay started */
    uint64_t events;          /* events applied so far */
    uint64_t keys;            /* live keys */
    uint64_t expired_keys;    /* keys expired so far */
    uint64_t requested_bytes; /* sum of requested sizes of live values */
    uint64_t used_memory;     /* sum of usable sizes of live values */
    backend_stats alloc;      /* allocator_* (see backend.h) */
    /* The emulated server's RSS: heap_rss plus the server's start-up RSS
     * (redis_version.h), 0 at the least. */
    uint64_t used_memory_rss;
    uint64_t engine_rss;      /* resident bytes of the engine's own memory */
    int64_t heap_rss;         /* process_rss - engine_rss - start-up baseline */
    double mem_fragmentation_ratio; /* NAN where undefined (x / 0) */
    double allocator_frag_ratio;
    double allocator_rss_ratio;
    double rss_overhead_ratio;
    /* Active defrag (sim/defrag.h), Redis's INFO stats names: */
    uint64_t active_defrag_running;   /* effort (% CPU) of the pass under way; 0: none */
    uint64_t active_defrag_hits;      /* blocks moved so far */
    uint64_t active_defrag_misses;    /* blocks offered and left so far */
    uint64_t active_defrag_key_hits;  /* keys with a block moved so far */
    uint64_t active_defrag_key_misses;
    uint64_t active_defrag_bytes;     /* usable bytes moved so far */
    double active_defrag_cpu;         /* thread CPU seconds in defrag so far */
    /* The process as the kernel sees it, and the server's INFO beside each
     * ratio (redis_version.h has the formulas of each version): */
    uint64_t process_rss;          /* fragsim's process RSS from /proc */
    uint64_t used_memory_startup;  /* the empty server's used_memory */
    uint64_t used_memory_peak;     /* the most used_memory held after any event */
    int64_t allocator_frag_bytes;  /* 7.0/7.2: active - allocated; 7.4: small bins' */
    int64_t allocator_rss_bytes;   /* resident - active */
    int64_t rss_overhead_bytes;    /* used_memory_rss - resident */
    int64_t mem_fragmentation_bytes; /* used_memory_rss - (used_memory + startup) */
    int frag_from_bins;            /* allocator_frag as Redis 7.4 computes it */
} sample_row;

/* Bits of a row's alloc.have beyond the backend's (allocators/backend.h):
 * the small bins were read (7.4's allocator_frag_bytes), and the version's
 * allocator fragmentation is known (set by sample_ratios). */
#define SAMPLE_HAVE_SMALLBINS (1u << 30)
#define SAMPLE_HAVE_FRAG (1u << 31)

/* The server a run's INFO stands for: its version and its start-up memory. */
typedef struct sample_server {
    redis_version version;
    uint64_t startup_used_memory; /* bytes, the empty server's used_memory */
    uint64_t startup_rss;         /* bytes, the empty server's RSS */
} sample_server;

typedef enum sample_type { SAMPLE_SECONDS, SAMPLE_U64, SAMPLE_I64, SAMPLE_RATIO } sample_type;

typedef struct sample_column {
    const char *name;
    sample_type type;
    size_t offset;       /* of the field in sample_row */
    uint32_t have;       /* BACKEND_HAVE_* bit the value needs, 0 if none */
    const char *meaning; /* for --help, docs and the INFO block */
    int defrag;          /* an active-defrag column: left out of the INFO block
                            of a run without activedefrag */
} sample_column;

extern const sample_column sample_columns[];
extern const size_t sample_ncolumns;

/* Measures now: counters from the engine, statistics from its backend, RSS
 * from the kernel, the ratios from those.  baseline_rss is the process RSS
 * before the replay, less the engine's memory then; srv the server the INFO
 * figures stand for.  Returns 0 or -1. */
int sample_measure(sample_row *row, const engine *e, double wall_time, uint64_t baseline_rss,
                   const sample_server *srv, fs_err *err);

/* Fills the four ratios and the bytes beside them from the byte fields
 * (redis_version.h's formulas; allocator_frag_bytes is an input when
 * frag_from_bins), and the SAMPLE_HAVE_FRAG bit. */
void sample_ratios(sample_row *row);

/* The column's value as a double; NAN when it is not available (the
 * allocator does not report it, or a ratio is undefined). */
double sample_value(const sample_row *row, const sample_column *col);

/* Raises every byte, count and time column of *peak to at least row's value
 * (peak starts as a copy of the first row).  Ratios are left alone: their
 * peaks need the whole series (sample_peaks below). */
void sample_peak_update(sample_row *peak, const sample_row *row);

/* Means over the samples (samples are evenly spaced in virtual time, so
 * this is the time average): sums per column, NAN values left out. */
#define SAMPLE_MAX_COLUMNS 64

typedef struct sample_means {
    double sum[SAMPLE_MAX_COLUMNS];
    uint64_t n[SAMPLE_MAX_COLUMNS];
    uint32_t have; /* fields reported in every sample */
    int started;
    int frag_from_bins;
} sample_means;

void sample_means_add(sample_means *m, const sample_row *row);
/* Writes the means into *out (whole numbers rounded); its ratios are the
 * ratios of the mean bytes (mean RSS over mean used_memory ...). */
void sample_means_row(const sample_means *m, sample_row *out);

/* Peaks of the ratios.  A ratio over a nearly empty dataset says nothing
 * (one key at start-up, the last few keys before everything has expired:
 * 4 MB of RSS over 7 KB of data is a ratio of 580), so a ratio's peak is
 * taken only over the samples whose used_memory is at least
 * SAMPLE_RATIO_PEAK_FLOOR of the run's peak used_memory.  The series keeps
 * what that needs, five doubles a sample, in engine memory. */
#define SAMPLE_RATIO_PEAK_FLOOR 0.10

typedef struct sample_peaks {
    double *rows; /* per sample: used_memory, then the four ratios */
    size_t n, cap;
} sample_peaks;

/* Returns 0, or -1 when engine memory runs out. */
int sample_peaks_add(sample_peaks *sp, const sample_row *row, fs_err *err);
/* Writes the four ratio peaks into *peak (NAN where no sample qualifies). */
void sample_peaks_ratios(const sample_peaks *sp, sample_row *peak);
void sample_peaks_free(sample_peaks *sp);

#endif
