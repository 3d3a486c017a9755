/* summary.json's sampling section: a run of --sample-keys R replayed about
 * R of the keys, so its byte figures are about R of a full run's.  They are
 * reported as measured everywhere (series.csv, peak, final, mean), and
 * here once more scaled by 1/R, as `<column>_est`: the full-size estimate.
 *
 * What scales: the counts of keys and the bytes they hold, from the values
 * up to the allocator's pages, and fragsim's own memory (per key).  What
 * does not: events and purge counts (they count occurrences, not size),
 * the server's start-up memory (a fixed cost of the server, counted once in
 * used_memory_rss_est = startup + (used_memory_rss - startup) / R), and
 * every ratio: a ratio is a property of the mix of sizes and lifetimes,
 * which sampling keys preserves; it is never scaled. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "results.h"

/* The sample columns that grow with the number of keys. */
static const char *const scaled[] = {
    "keys", "expired_keys", "requested_bytes", "used_memory", "allocator_allocated",
    "allocator_active", "allocator_resident", "allocator_mapped", "allocator_retained",
    "allocator_metadata", "allocator_dirty", "allocator_muzzy", "allocator_purged",
    "engine_rss", "heap_rss", "used_memory_peak", "allocator_frag_bytes", "allocator_rss_bytes",
};

static int is_scaled(const char *name) {
    for (size_t i = 0; i < sizeof scaled / sizeof *scaled; i++)
        if (strcmp(scaled[i], name) == 0) return 1;
    return 0;
}

static void emit_est_row(emitter *em, const char *key, const sample_row *row, double r,
                         uint64_t baseline) {
    char name[64];
    emit_object_begin(em, key, NULL);
    for (size_t i = 0; i < sample_ncolumns; i++) {
        const sample_column *c = &sample_columns[i];
        if (!is_scaled(c->name)) continue;
        double v = sample_value(row, c);
        snprintf(name, sizeof name, "%s_est", c->name);
        if (isnan(v)) emit_str(em, name, "");
        else emit_i64(em, name, llround(v / r));
    }
    double rss = (double)row->used_memory_rss, base = (double)baseline;
    emit_i64(em, "used_memory_rss_est", llround(base + (rss - base) / r));
    emit_object_end(em);
}

void results_sampling_emit(emitter *em, const run_summary *s) {
    const transform_spec *t = s->transform;
    if (t == NULL || !transform_sampling(t)) return;
    double r = t->sample_keys;
    int info = em->style == EMIT_INFO;
    emit_object_begin(em, "sampling", "Key sampling (--sample-keys): full-size estimates");
    emit_double(em, "sample_keys", r, 6);
    emit_u64(em, "sample_seed", t->sample_seed);
    if (t->stats) {
        emit_u64(em, "events_kept", t->stats->sample_kept_events);
        emit_u64(em, "events_left_out", t->stats->sample_dropped_events);
    }
    if (info) {
        /* The figures a reader of the INFO block most wants at full size. */
        double base = (double)s->startup.rss;
        emit_i64(em, "peak_used_memory_est", llround((double)s->peak.used_memory / r));
        emit_i64(em, "peak_used_memory_rss_est",
                 llround(base + ((double)s->peak.used_memory_rss - base) / r));
        emit_i64(em, "peak_heap_rss_est", llround((double)s->peak.heap_rss / r));
    } else {
        emit_est_row(em, "final_est", &s->final, r, s->startup.rss);
        emit_est_row(em, "peak_est", &s->peak, r, s->startup.rss);
        emit_est_row(em, "mean_est", &s->mean, r, s->startup.rss);
    }
    emit_note(em, "byte figures and key counts divided by sample_keys (the server's start-up "
                  "RSS counted once in used_memory_rss_est); ratios are as measured, "
                  "never scaled");
    emit_object_end(em);
}
