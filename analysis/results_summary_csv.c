/* summary.csv: the run's figures as one spreadsheet row under a header.
 *
 * Fixed columns, whatever the allocator, so that rows of several runs stack
 * into one table (fragsim compare does exactly that):
 *   allocator, allocator_options, trace, trace_digest, events, samples,
 *   wall_time, cpu_time, events_per_second, then final_<column>, peak_<column> and
 *   mean_<column> (the time average) for every column of series.csv, then
 *   remedy (the remedy options in force, "" for none) and
 *   compress_cpu_seconds (the estimated CPU of compressing the values,
 *   --compress-sample; empty otherwise) and remedy_setup_cpu_seconds (the
 *   part of cpu_time spent before the replay: the sample's measurement and
 *   the uniform-TTL pre-pass).  An unreported value is an empty
 *   field. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../sim/base/emem.h"
#include "results.h"

void results_csv_field(outbuf *ob, const char *s) {
    if (strpbrk(s, ",\"\n\r") == NULL) {
        outbuf_puts(ob, s);
        return;
    }
    outbuf_write(ob, "\"", 1);
    for (; *s; s++) {
        if (*s == '"') outbuf_write(ob, "\"", 1);
        outbuf_write(ob, s, 1);
    }
    outbuf_write(ob, "\"", 1);
}

void results_csv_value(outbuf *ob, const sample_column *c, double v) {
    if (isnan(v)) return;
    switch (c->type) {
    case SAMPLE_SECONDS: outbuf_printf(ob, "%.6f", v); break;
    case SAMPLE_RATIO: outbuf_printf(ob, "%.4f", v); break;
    case SAMPLE_U64:
    case SAMPLE_I64: outbuf_printf(ob, "%.0f", v); break;
    }
}

void results_summary_csv_header(outbuf *ob) {
    outbuf_puts(ob, "allocator,allocator_options,trace,trace_digest,events,samples,wall_time,"
                    "cpu_time,events_per_second");
    static const char *const which[] = {"final", "peak", "mean"};
    for (int w = 0; w < 3; w++)
        for (size_t i = 0; i < sample_ncolumns; i++)
            outbuf_printf(ob, ",%s_%s", which[w], sample_columns[i].name);
    outbuf_puts(ob, ",remedy,compress_cpu_seconds,remedy_setup_cpu_seconds");
    /* The keys of each type's encoding at the end, and their bytes
     * (summary.json's keys_by_encoding, bytes_by_encoding). */
    for (int enc = 0; enc < ENGINE_ENC__COUNT; enc++)
        outbuf_printf(ob, ",keys_%s", engine_encoding_name(enc));
    for (int enc = 0; enc < ENGINE_ENC__COUNT; enc++)
        outbuf_printf(ob, ",bytes_%s", engine_encoding_name(enc));
    outbuf_puts(ob, "\n");
}

void results_summary_csv_row(outbuf *ob, const run_summary *s) {
    results_csv_field(ob, s->allocator);
    outbuf_write(ob, ",", 1);
    results_csv_field(ob, s->allocator_options);
    outbuf_write(ob, ",", 1);
    results_csv_field(ob, s->trace_source);
    outbuf_printf(ob, ",%016llx,%llu,%llu,%.6f,%.3f,%.0f", (unsigned long long)s->trace_digest,
                  (unsigned long long)s->counters.events, (unsigned long long)s->samples,
                  s->wall_time, s->cpu_time, s->events_per_second);
    const sample_row *rows[] = {&s->final, &s->peak, &s->mean};
    for (int w = 0; w < 3; w++)
        for (size_t i = 0; i < sample_ncolumns; i++) {
            outbuf_write(ob, ",", 1);
            results_csv_value(ob, &sample_columns[i], sample_value(rows[w], &sample_columns[i]));
        }
    char remedy[1024] = "";
    if (s->transform) transform_describe(s->transform, remedy, sizeof remedy);
    outbuf_write(ob, ",", 1);
    results_csv_field(ob, remedy);
    outbuf_write(ob, ",", 1);
    if (s->transform && s->transform->compress_sample)
        outbuf_printf(ob, "%.9f", transform_compress_cpu_seconds(s->transform));
    outbuf_printf(ob, ",%.6f",
                  s->transform && s->transform->stats ? s->transform->stats->setup_cpu_seconds : 0.0);
    for (int enc = 0; enc < ENGINE_ENC__COUNT; enc++)
        outbuf_printf(ob, ",%llu", (unsigned long long)s->encodings.keys[enc]);
    for (int enc = 0; enc < ENGINE_ENC__COUNT; enc++)
        outbuf_printf(ob, ",%llu", (unsigned long long)s->encodings.bytes[enc]);
    outbuf_puts(ob, "\n");
}

static void render_csv(outbuf *ob, const run_summary *s) {
    results_summary_csv_header(ob);
    results_summary_csv_row(ob, s);
}

static int scsv_open(void **state, const char *dir, fs_err *err) {
    return results_whole_open(state, dir, "summary.csv", render_csv, err);
}

const result_writer_ops results_summary_csv = {"summary.csv", scsv_open, results_whole_sample,
                                               results_whole_close};
