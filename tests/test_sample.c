/* Samples (sim/sample.c): the four ratios exactly as REFERENCE.md defines
 * them, NAN where undefined or unreported, per-column peaks, and ratio peaks
 * only over samples with a substantial data set. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "../sim/sample.h"

TestSuite(sample, .timeout = 30);

/* Every have-bit some column needs (the table may grow new ones). */
static uint32_t have_all(void) {
    uint32_t bits = BACKEND_HAVE_ALLOCATED | BACKEND_HAVE_ACTIVE | BACKEND_HAVE_RESIDENT |
                    BACKEND_HAVE_MAPPED | BACKEND_HAVE_RETAINED | BACKEND_HAVE_METADATA;
    for (size_t i = 0; i < sample_ncolumns; i++) bits |= sample_columns[i].have;
    return bits;
}
#define HAVE_ALL have_all()

static int same(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }

static const sample_column *col(const char *name) {
    for (size_t i = 0; i < sample_ncolumns; i++)
        if (strcmp(sample_columns[i].name, name) == 0) return &sample_columns[i];
    cr_assert_fail("no column '%s'", name);
    return NULL;
}

/* A row with distinct numbers everywhere. */
static sample_row full_row(void) {
    sample_row r;
    memset(&r, 0, sizeof r);
    r.virtual_time = 12.5;
    r.wall_time = 0.75;
    r.events = 1000;
    r.keys = 900;
    r.expired_keys = 100;
    r.requested_bytes = 900;
    r.used_memory = 1000;
    r.alloc.have = HAVE_ALL;
    r.alloc.allocated = 800;
    r.alloc.active = 1000;
    r.alloc.resident = 1500;
    r.alloc.mapped = 4000;
    r.alloc.retained = 250;
    r.alloc.metadata = 64;
    r.used_memory_rss = 3000;
    r.engine_rss = 200;
    r.heap_rss = -42;
    return r;
}

/* ---- ratios ---- */

Test(sample, ratios_follow_the_reference_formulas) {
    sample_row r = full_row();
    sample_ratios(&r);
    cr_assert_eq(r.mem_fragmentation_ratio, 3.0, "used_memory_rss / used_memory: %f",
                 r.mem_fragmentation_ratio);
    cr_assert_eq(r.allocator_frag_ratio, 1.25, "active / allocated: %f", r.allocator_frag_ratio);
    cr_assert_eq(r.allocator_rss_ratio, 1.5, "resident / active: %f", r.allocator_rss_ratio);
    cr_assert_eq(r.rss_overhead_ratio, 2.0, "used_memory_rss / resident: %f",
                 r.rss_overhead_ratio);
    /* Other numbers, so that no two formulas can be confused. */
    r.used_memory = 700;
    r.used_memory_rss = 7000;
    r.alloc.allocated = 2000;
    r.alloc.active = 3000;
    r.alloc.resident = 3500;
    sample_ratios(&r);
    cr_assert_float_eq(r.mem_fragmentation_ratio, 10.0, 1e-12);
    cr_assert_float_eq(r.allocator_frag_ratio, 1.5, 1e-12);
    cr_assert_float_eq(r.allocator_rss_ratio, 3500.0 / 3000.0, 1e-12);
    cr_assert_float_eq(r.rss_overhead_ratio, 2.0, 1e-12);
    /* Below 1 is possible and kept as is. */
    r.used_memory_rss = 350;
    sample_ratios(&r);
    cr_assert_float_eq(r.mem_fragmentation_ratio, 0.5, 1e-12);
    cr_assert_float_eq(r.rss_overhead_ratio, 0.1, 1e-12);
}

Test(sample, zero_denominators_give_nan) {
    sample_row r = full_row();
    r.used_memory = 0;
    sample_ratios(&r);
    cr_assert(isnan(r.mem_fragmentation_ratio));
    cr_assert_eq(r.allocator_frag_ratio, 1.25, "the others are still defined");
    cr_assert_eq(r.allocator_rss_ratio, 1.5);
    cr_assert_eq(r.rss_overhead_ratio, 2.0);

    r = full_row();
    r.alloc.allocated = 0;
    sample_ratios(&r);
    cr_assert(isnan(r.allocator_frag_ratio));
    cr_assert_eq(r.mem_fragmentation_ratio, 3.0);
    cr_assert_eq(r.allocator_rss_ratio, 1.5);

    r = full_row();
    r.alloc.active = 0;
    sample_ratios(&r);
    cr_assert(isnan(r.allocator_rss_ratio));
    cr_assert_eq(r.allocator_frag_ratio, 0.0, "0 / 800 is a ratio of 0");
    cr_assert_eq(r.rss_overhead_ratio, 2.0);

    r = full_row();
    r.alloc.resident = 0;
    sample_ratios(&r);
    cr_assert(isnan(r.rss_overhead_ratio));
    cr_assert_eq(r.allocator_rss_ratio, 0.0);

    memset(&r, 0, sizeof r);
    r.alloc.have = HAVE_ALL;
    sample_ratios(&r);
    cr_assert(isnan(r.mem_fragmentation_ratio) && isnan(r.allocator_frag_ratio) &&
              isnan(r.allocator_rss_ratio) && isnan(r.rss_overhead_ratio));
}

Test(sample, missing_have_bits_give_nan) {
    sample_row r = full_row();
    r.alloc.have = 0;
    sample_ratios(&r);
    cr_assert_eq(r.mem_fragmentation_ratio, 3.0, "needs no allocator statistic");
    cr_assert(isnan(r.allocator_frag_ratio));
    cr_assert(isnan(r.allocator_rss_ratio));
    cr_assert(isnan(r.rss_overhead_ratio));

    r = full_row();
    r.alloc.have = BACKEND_HAVE_ALLOCATED; /* the test backend's */
    sample_ratios(&r);
    cr_assert(isnan(r.allocator_frag_ratio), "active is not reported");
    cr_assert(isnan(r.allocator_rss_ratio));
    cr_assert(isnan(r.rss_overhead_ratio));

    r = full_row();
    r.alloc.have = HAVE_ALL & ~BACKEND_HAVE_ALLOCATED;
    sample_ratios(&r);
    cr_assert(isnan(r.allocator_frag_ratio), "allocated is not reported");
    cr_assert_eq(r.allocator_rss_ratio, 1.5);
    cr_assert_eq(r.rss_overhead_ratio, 2.0);

    r = full_row();
    r.alloc.have = HAVE_ALL & ~BACKEND_HAVE_ACTIVE;
    sample_ratios(&r);
    cr_assert(isnan(r.allocator_frag_ratio));
    cr_assert(isnan(r.allocator_rss_ratio));
    cr_assert_eq(r.rss_overhead_ratio, 2.0);

    r = full_row();
    r.alloc.have = HAVE_ALL & ~BACKEND_HAVE_RESIDENT;
    sample_ratios(&r);
    cr_assert_eq(r.allocator_frag_ratio, 1.25);
    cr_assert(isnan(r.allocator_rss_ratio));
    cr_assert(isnan(r.rss_overhead_ratio));

    /* Only the bits the formulas use matter. */
    r = full_row();
    r.alloc.have = BACKEND_HAVE_ALLOCATED | BACKEND_HAVE_ACTIVE | BACKEND_HAVE_RESIDENT;
    sample_ratios(&r);
    cr_assert_eq(r.allocator_frag_ratio, 1.25);
    cr_assert_eq(r.allocator_rss_ratio, 1.5);
    cr_assert_eq(r.rss_overhead_ratio, 2.0);
}

/* The server's INFO: used_memory counts its start-up memory, every ratio
 * has its bytes beside it, and 7.4's allocator fragmentation is the small
 * bins' (an input) over allocated. */
Test(sample, server_ratios_and_bytes) {
    sample_row r = full_row(); /* rss 3000, used 1000, allocated 800, active 1000, resident 1500 */
    r.used_memory_startup = 500;
    sample_ratios(&r);
    cr_assert_float_eq(r.mem_fragmentation_ratio, 2.0, 1e-12, "rss / (used + startup)");
    cr_assert_eq(r.mem_fragmentation_bytes, 1500);
    cr_assert_eq(r.allocator_frag_bytes, 200);
    cr_assert_eq(r.allocator_rss_bytes, 500);
    cr_assert_eq(r.rss_overhead_bytes, 1500);
    r.used_memory = 0;
    sample_ratios(&r);
    cr_assert_float_eq(r.mem_fragmentation_ratio, 6.0, 1e-12, "an empty server has a ratio");
    r.used_memory_rss = 100; /* below the data: negative bytes, as Redis's %zd */
    sample_ratios(&r);
    cr_assert_eq(r.mem_fragmentation_bytes, -400);
    cr_assert_eq(r.rss_overhead_bytes, -1400);

    r = full_row();
    r.frag_from_bins = 1;
    r.allocator_frag_bytes = 80;
    sample_ratios(&r);
    cr_assert(isnan(r.allocator_frag_ratio), "7.4 without the bins read: unknown");
    cr_assert(isnan(sample_value(&r, col("allocator_frag_bytes"))));
    r.alloc.have |= SAMPLE_HAVE_SMALLBINS;
    sample_ratios(&r);
    cr_assert_float_eq(r.allocator_frag_ratio, 1.1, 1e-12, "1 + 80 / 800, not active / allocated");
    cr_assert_eq(r.allocator_frag_bytes, 80, "an input, not active - allocated");
    cr_assert_eq(sample_value(&r, col("allocator_frag_bytes")), 80);
}

/* ---- the column table and sample_value ---- */

Test(sample, column_table_is_sane) {
    cr_assert_geq(sample_ncolumns, 20);
    for (size_t i = 0; i < sample_ncolumns; i++) {
        const sample_column *c = &sample_columns[i];
        cr_assert_not_null(c->name);
        cr_assert_not_null(c->meaning);
        cr_assert_lt(c->offset, sizeof(sample_row));
        for (size_t j = 0; j < i; j++)
            cr_assert_str_neq(c->name, sample_columns[j].name, "column %s twice", c->name);
    }
    cr_assert_eq(col("allocator_allocated")->have, BACKEND_HAVE_ALLOCATED);
    /* The version decides what allocator fragmentation needs (active and
     * allocated, or 7.4's small bins): sample_ratios says whether it is known. */
    cr_assert_eq(col("allocator_frag_ratio")->have, SAMPLE_HAVE_FRAG);
    cr_assert_eq(col("allocator_frag_bytes")->have, SAMPLE_HAVE_FRAG);
    cr_assert_eq(col("allocator_rss_ratio")->have, BACKEND_HAVE_RESIDENT | BACKEND_HAVE_ACTIVE);
    cr_assert_eq(col("rss_overhead_ratio")->have, BACKEND_HAVE_RESIDENT);
    cr_assert_eq(col("mem_fragmentation_ratio")->have, 0);
    cr_assert_eq(col("used_memory")->have, 0);
}

Test(sample, value_reads_every_type) {
    sample_row r = full_row();
    sample_ratios(&r);
    static const struct {
        const char *name;
        double v;
    } want[] = {
        {"virtual_time", 12.5},         {"wall_time", 0.75},
        {"events", 1000},               {"keys", 900},
        {"expired_keys", 100},          {"requested_bytes", 900},
        {"used_memory", 1000},          {"allocator_allocated", 800},
        {"allocator_active", 1000},     {"allocator_resident", 1500},
        {"allocator_mapped", 4000},     {"allocator_retained", 250},
        {"allocator_metadata", 64},     {"used_memory_rss", 3000},
        {"engine_rss", 200},            {"heap_rss", -42},
        {"mem_fragmentation_ratio", 3}, {"allocator_frag_ratio", 1.25},
        {"allocator_rss_ratio", 1.5},   {"rss_overhead_ratio", 2},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        double v = sample_value(&r, col(want[i].name));
        cr_assert_eq(v, want[i].v, "%s: %f, expected %f", want[i].name, v, want[i].v);
    }
}

Test(sample, value_is_nan_without_its_have_bit) {
    sample_row r = full_row();
    sample_ratios(&r);
    for (size_t i = 0; i < sample_ncolumns; i++) {
        const sample_column *c = &sample_columns[i];
        r.alloc.have = HAVE_ALL;
        cr_assert_not(isnan(sample_value(&r, c)), "%s with every bit", c->name);
        for (uint32_t bit = 1; bit != 0 && bit <= HAVE_ALL; bit <<= 1) {
            if (!(HAVE_ALL & bit)) continue;
            r.alloc.have = HAVE_ALL & ~bit;
            double v = sample_value(&r, c);
            if (c->have & bit)
                cr_assert(isnan(v), "%s without bit %#x: %f", c->name, bit, v);
            else
                cr_assert_not(isnan(v), "%s does not need bit %#x", c->name, bit);
        }
        r.alloc.have = 0;
        cr_assert_eq(isnan(sample_value(&r, c)) != 0, c->have != 0, "%s with no bits", c->name);
    }
    /* The field's value does not matter: the bit decides. */
    r = full_row();
    r.alloc.have = BACKEND_HAVE_ALLOCATED;
    r.alloc.active = 123;
    cr_assert(isnan(sample_value(&r, col("allocator_active"))));
    cr_assert_eq(sample_value(&r, col("allocator_allocated")), 800);
    /* A defined-looking ratio in the row is still hidden without its bits. */
    r.allocator_frag_ratio = 1.1;
    cr_assert(isnan(sample_value(&r, col("allocator_frag_ratio"))));
}

Test(sample, value_passes_nan_ratios_through) {
    sample_row r = full_row();
    r.used_memory = 0;
    sample_ratios(&r);
    cr_assert(isnan(sample_value(&r, col("mem_fragmentation_ratio"))));
    cr_assert_eq(sample_value(&r, col("used_memory")), 0);
}

/* ---- peaks ---- */

Test(sample, peak_update_takes_per_column_maxima) {
    sample_row a = full_row(), b = full_row();
    sample_ratios(&a);
    b.virtual_time = 20;    /* up */
    b.wall_time = 0.5;      /* down */
    b.events = 2000;        /* up */
    b.keys = 10;            /* down */
    b.expired_keys = 990;   /* up */
    b.requested_bytes = 5;  /* down */
    b.used_memory = 100;    /* down */
    b.alloc.allocated = 900;
    b.alloc.active = 10;
    b.alloc.resident = 9000;
    b.alloc.mapped = 1;
    b.alloc.retained = 251;
    b.alloc.metadata = 63;
    b.used_memory_rss = 2999;
    b.engine_rss = 201;
    b.heap_rss = -7;        /* up (signed) */
    sample_ratios(&b);      /* ratios far above a's */
    cr_assert_gt(b.mem_fragmentation_ratio, a.mem_fragmentation_ratio);

    sample_row peak = a;
    sample_peak_update(&peak, &b);
    cr_assert_eq(peak.virtual_time, 20);
    cr_assert_eq(peak.wall_time, 0.75);
    cr_assert_eq(peak.events, 2000);
    cr_assert_eq(peak.keys, 900);
    cr_assert_eq(peak.expired_keys, 990);
    cr_assert_eq(peak.requested_bytes, 900);
    cr_assert_eq(peak.used_memory, 1000);
    cr_assert_eq(peak.alloc.allocated, 900);
    cr_assert_eq(peak.alloc.active, 1000);
    cr_assert_eq(peak.alloc.resident, 9000);
    cr_assert_eq(peak.alloc.mapped, 4000);
    cr_assert_eq(peak.alloc.retained, 251);
    cr_assert_eq(peak.alloc.metadata, 64);
    cr_assert_eq(peak.used_memory_rss, 3000);
    cr_assert_eq(peak.engine_rss, 201);
    cr_assert_eq(peak.heap_rss, -7, "heap_rss is signed: -7 > -42");
    /* Ratios are left alone. */
    cr_assert_eq(peak.mem_fragmentation_ratio, a.mem_fragmentation_ratio);
    cr_assert_eq(peak.allocator_frag_ratio, a.allocator_frag_ratio);
    cr_assert_eq(peak.allocator_rss_ratio, a.allocator_rss_ratio);
    cr_assert_eq(peak.rss_overhead_ratio, a.rss_overhead_ratio);

    /* A smaller row changes nothing. */
    sample_row before = peak, small;
    memset(&small, 0, sizeof small);
    small.alloc.have = peak.alloc.have;
    small.heap_rss = -1000;
    small.mem_fragmentation_ratio = 1000;
    sample_peak_update(&peak, &small);
    for (size_t i = 0; i < sample_ncolumns; i++)
        cr_assert(same(sample_value(&peak, &sample_columns[i]),
                       sample_value(&before, &sample_columns[i])),
                  "a smaller row changed %s", sample_columns[i].name);
}

Test(sample, peak_update_replaces_nan_seconds) {
    sample_row peak = full_row(), b = full_row();
    peak.virtual_time = NAN;
    b.virtual_time = 3;
    sample_peak_update(&peak, &b);
    cr_assert_eq(peak.virtual_time, 3);
}

static sample_row ratio_row(uint64_t used, double mem, double afrag, double arss, double rss) {
    sample_row r;
    memset(&r, 0, sizeof r);
    r.used_memory = used;
    r.mem_fragmentation_ratio = mem;
    r.allocator_frag_ratio = afrag;
    r.allocator_rss_ratio = arss;
    r.rss_overhead_ratio = rss;
    return r;
}

static void add(sample_peaks *sp, sample_row r) {
    fs_err err;
    cr_assert_eq(sample_peaks_add(sp, &r, &err), 0, "%s", err.msg);
}

Test(sample, ratio_peaks_skip_nearly_empty_samples) {
    sample_peaks sp;
    memset(&sp, 0, sizeof sp);
    add(&sp, ratio_row(1, 580.0, 90.0, 70.0, 60.0));         /* start-up: one key */
    add(&sp, ratio_row(1000, 1.10, 1.05, 1.20, 1.30));       /* the peak used_memory */
    add(&sp, ratio_row(500, 1.40, 1.01, 1.25, 1.10));
    add(&sp, ratio_row(100, 1.60, 1.02, 1.15, 1.50));        /* exactly 10%: counts */
    add(&sp, ratio_row(99, 50.0, 40.0, 30.0, 20.0));         /* just below 10%: ignored */
    add(&sp, ratio_row(0, NAN, NAN, NAN, NAN));              /* all expired */
    cr_assert_eq(sp.n, 6);
    sample_row peak;
    memset(&peak, 0, sizeof peak);
    peak.used_memory = 777; /* not touched */
    sample_peaks_ratios(&sp, &peak);
    cr_assert_float_eq(peak.mem_fragmentation_ratio, 1.60, 1e-12);
    cr_assert_float_eq(peak.allocator_frag_ratio, 1.05, 1e-12);
    cr_assert_float_eq(peak.allocator_rss_ratio, 1.25, 1e-12);
    cr_assert_float_eq(peak.rss_overhead_ratio, 1.50, 1e-12);
    cr_assert_eq(peak.used_memory, 777);
    sample_peaks_free(&sp);
    cr_assert_eq(sp.n, 0);
    cr_assert_null(sp.rows);
}

Test(sample, ratio_peaks_ignore_nan_and_report_nan_when_nothing_qualifies) {
    sample_peaks sp;
    memset(&sp, 0, sizeof sp);
    sample_row peak;
    /* No samples at all. */
    sample_peaks_ratios(&sp, &peak);
    cr_assert(isnan(peak.mem_fragmentation_ratio) && isnan(peak.allocator_frag_ratio) &&
              isnan(peak.allocator_rss_ratio) && isnan(peak.rss_overhead_ratio));
    /* Only empty samples: used_memory never above 0. */
    add(&sp, ratio_row(0, NAN, 2, 2, 2));
    add(&sp, ratio_row(0, NAN, 3, 3, 3));
    sample_peaks_ratios(&sp, &peak);
    cr_assert(isnan(peak.allocator_frag_ratio), "no sample has data: %f", peak.allocator_frag_ratio);
    cr_assert(isnan(peak.mem_fragmentation_ratio));
    sample_peaks_free(&sp);
    /* An allocator without statistics: NAN ratios stay NAN, defined ones peak. */
    add(&sp, ratio_row(1000, 1.2, NAN, NAN, NAN));
    add(&sp, ratio_row(800, 1.3, NAN, NAN, NAN));
    add(&sp, ratio_row(900, NAN, NAN, NAN, 4.0));
    sample_peaks_ratios(&sp, &peak);
    cr_assert_float_eq(peak.mem_fragmentation_ratio, 1.3, 1e-12);
    cr_assert(isnan(peak.allocator_frag_ratio));
    cr_assert(isnan(peak.allocator_rss_ratio));
    cr_assert_float_eq(peak.rss_overhead_ratio, 4.0, 1e-12);
    sample_peaks_free(&sp);
}

Test(sample, ratio_peaks_over_a_long_series) {
    /* More samples than the first allocation holds; the floor follows the
     * peak found anywhere in the series, even after the samples it rules out. */
    sample_peaks sp;
    memset(&sp, 0, sizeof sp);
    const int n = 10000;
    for (int i = 0; i < n; i++) {
        uint64_t used = (uint64_t)(i + 1) * 10; /* rises to 100000 */
        double ratio = i < 999 ? 100.0 + i : 1.0 + (double)i / n;
        add(&sp, ratio_row(used, ratio, ratio, ratio, ratio));
    }
    cr_assert_eq(sp.n, (size_t)n);
    sample_row peak;
    sample_peaks_ratios(&sp, &peak);
    /* Samples 0..998 have used_memory below 10000 (10% of 100000): ignored. */
    double want = 1.0 + (double)(n - 1) / n;
    cr_assert_float_eq(peak.mem_fragmentation_ratio, want, 1e-12, "%f",
                       peak.mem_fragmentation_ratio);
    cr_assert_float_eq(peak.rss_overhead_ratio, want, 1e-12);
    sample_peaks_free(&sp);
}
