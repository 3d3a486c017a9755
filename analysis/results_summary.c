/* summary.json and info.txt: one description of a run's summary, emitted in
 * two styles (emit.h). */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../sim/base/emem.h"
#include "../sim/base/units.h"
#include "fragsim_config.h"
#include "results.h"

/* The columns of one sample as an object. */
static void emit_row(emitter *em, const char *key, const char *title, const sample_row *row,
                     int with_defrag) {
    emit_object_begin(em, key, title);
    for (size_t i = 0; i < sample_ncolumns; i++) {
        const sample_column *c = &sample_columns[i];
        if (c->defrag && !with_defrag) continue;
        double v = sample_value(row, c);
        switch (c->type) {
        case SAMPLE_SECONDS: emit_double(em, c->name, v, 6); break;
        case SAMPLE_RATIO: emit_double(em, c->name, v, 4); break;
        case SAMPLE_U64:
        case SAMPLE_I64:
            /* Not reported by this allocator: null (n/a), not a number. */
            if (isnan(v)) emit_double(em, c->name, NAN, 0);
            else if (c->type == SAMPLE_U64) emit_u64(em, c->name, (uint64_t)v);
            else emit_i64(em, c->name, (int64_t)v);
            /* Redis's *_human companions, for people (INFO style only). */
            if (em->style == EMIT_INFO && !isnan(v) &&
                (strcmp(c->name, "used_memory") == 0 || strcmp(c->name, "used_memory_rss") == 0 ||
                 strcmp(c->name, "heap_rss") == 0)) {
                char name[64], human[32];
                snprintf(name, sizeof name, "%s_human", c->name);
                emit_str(em, name, units_human_bytes(v, human));
            }
            break;
        }
        if (c->type == SAMPLE_RATIO) emit_note(em, c->meaning);
    }
    emit_object_end(em);
}

static void emit_gen(emitter *em, const gen_params *g) {
    char buf[1024];
    emit_object_begin(em, "generator", NULL);
    emit_u64(em, "seed", g->seed);
    emit_u64(em, "keys", g->keys);
    emit_double(em, "rate", gen_effective_rate(g), 3);
    dist_format(&g->sizes, buf, sizeof buf);
    emit_str(em, "sizes", buf);
    dist_format(&g->ttl, buf, sizeof buf);
    emit_str(em, "ttl", buf);
    emit_double(em, "observe", g->observe, 3);
    emit_str(em, "key_prefix", g->key_prefix);
    if (g->fields.kind != DIST_NONE) {
        dist_format(&g->fields, buf, sizeof buf);
        emit_str(em, "fields", buf);
    }
    if (g->type != GEN_ONE_PASS) {
        emit_str(em, "type", g->type == GEN_ZSETS ? "zset" : "list");
        emit_u64(em, "rounds", g->rounds);
        emit_double(em, "ttl_share", g->ttl_share, 3);
    }
    if (g->keys2 > 0) {
        emit_u64(em, "keys2", g->keys2);
        dist_format(&g->sizes2, buf, sizeof buf);
        emit_str(em, "sizes2", buf);
        emit_str(em, "key_prefix2", g->key_prefix2);
    }
    emit_object_end(em);
}

/* Active defrag's record: what it did and what it cost (sim/defrag.h). */
static void emit_defrag(emitter *em, const run_summary *s) {
    const defrag_stats *d = &s->defrag;
    emit_object_begin(em, "active_defrag", "Active defrag");
    emit_bool(em, "activedefrag", s->activedefrag);
    emit_double(em, "activedefrag_from", s->activedefrag_at, 3);
    emit_str(em, "move_rule", s->defrag_rule);
    emit_u64(em, "passes", d->passes);
    emit_u64(em, "passes_done", d->passes_done);
    emit_u64(em, "hits", d->hits);
    emit_u64(em, "misses", d->misses);
    emit_u64(em, "key_hits", d->key_hits);
    emit_u64(em, "key_misses", d->key_misses);
    emit_u64(em, "bytes_moved", d->bytes_moved);
    emit_double(em, "cpu_seconds", (double)d->cpu_ns * 1e-9, 6);
    emit_double(em, "allocator_frag_ratio_at_first_start", d->frag_at_first_start, 4);
    emit_double(em, "first_start_time", d->first_start_s, 3);
    emit_double(em, "allocator_frag_ratio_at_last_end", d->frag_at_last_end, 4);
    emit_double(em, "last_end_time", d->last_end_s, 3);
    emit_note(em, "allocator fragmentation (active / allocated) as the start rule read it "
                  "when the first pass started and when the last one ended");
    emit_object_end(em);
}

/* The remedies replayed (traces/trace_transform.h): the settings, then what
 * they did to the events. */
static void emit_remedy(emitter *em, const transform_spec *t) {
    char buf[1024];
    transform_describe(t, buf, sizeof buf);
    emit_object_begin(em, "remedy", NULL);
    emit_str(em, "options", buf);
    if (t->pad == TRANSFORM_PAD_POW2) emit_str(em, "pad", "pow2");
    else if (t->pad == TRANSFORM_PAD_MULTIPLE) emit_u64(em, "pad", t->pad_multiple);
    else emit_str(em, "pad", "none");
    emit_double(em, "compress_ratio", t->compress_ratio, 6);
    emit_u64(em, "compress_min", t->compress_min);
    emit_str(em, "compress_sample", t->compress_sample ? t->compress_sample : "");
    if (t->compress_sample) {
        emit_i64(em, "compress_level", t->compress_level);
        emit_double(em, "compress_sample_ratio", t->compress_measured, 6);
        emit_double(em, "compress_ns_per_byte", t->compress_cost * 1e9, 4);
    }
    snprintf(buf, sizeof buf, "%c", t->uniform_ttl_sep);
    emit_str(em, "uniform_ttl_separator", buf);
    emit_str(em, "uniform_ttl_statistic",
             t->uniform_ttl_sep ? transform_ttl_stat_name(t->uniform_ttl_stat) : "");
    emit_str(em, "shard_by", t->shard_by == TRANSFORM_SHARD_SIZE  ? "size"
                             : t->shard_by == TRANSFORM_SHARD_TTL ? "ttl"
                                                                  : "none");
    buf[0] = '\0';
    for (int i = 0; i < t->nbounds; i++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%.6g", i ? "," : "",
                 t->shard_by == TRANSFORM_SHARD_TTL ? (double)t->bounds[i] / 1e6
                                                    : (double)t->bounds[i]);
    emit_str(em, "shard_bounds", buf);
    if (t->shard >= 0) snprintf(buf, sizeof buf, "%d/%d", t->shard + 1, transform_nshards(t));
    else snprintf(buf, sizeof buf, "%s", t->shard_arenas ? "arenas" : "");
    emit_str(em, "shard", buf);
    emit_u64(em, "hash_pack", t->hash_pack);
    emit_str(em, "hash_pack_ttl", !t->hash_pack ? "" : t->hash_pack_ttl_bucket ? "bucket"
                                                                                : "refused");
    if (t->stats) {
        const transform_stats *c = t->stats;
        emit_u64(em, "padded_values", c->padded_values);
        emit_u64(em, "pad_bytes", c->pad_bytes);
        emit_u64(em, "compressed_values", c->compressed_values);
        emit_u64(em, "compress_in_bytes", c->compress_in_bytes);
        emit_u64(em, "compress_out_bytes", c->compress_out_bytes);
        /* An estimate: not spent in this replay, which only shrinks sizes. */
        emit_double(em, "compress_cpu_seconds", transform_compress_cpu_seconds(t), 9);
        emit_u64(em, "uniform_ttl_changed", c->ttl_changed);
        emit_u64(em, "hash_pack_events", c->hash_pack_events);
        emit_u64(em, "hash_pack_ttl_events", c->hash_pack_ttl_events);
        emit_double(em, "setup_cpu_seconds", c->setup_cpu_seconds, 6);
    }
    emit_object_end(em);
}

/* One shard's figures (sim/shards.h). */
static void emit_shard_figures(emitter *em, const shard_figures *f, const char *suffix,
                               int with_ratio) {
    char name[64];
    const struct {
        const char *name;
        uint64_t v;
        uint32_t have;
    } fields[] = {
        {"keys", f->keys, 0},
        {"requested_bytes", f->requested_bytes, 0},
        {"used_memory", f->used_memory, 0},
        {"allocator_allocated", f->alloc.allocated, BACKEND_HAVE_ALLOCATED},
        {"allocator_active", f->alloc.active, BACKEND_HAVE_ACTIVE},
        {"allocator_resident", f->alloc.resident, BACKEND_HAVE_RESIDENT},
        {"allocator_mapped", f->alloc.mapped, BACKEND_HAVE_MAPPED},
        {"allocator_retained", f->alloc.retained, BACKEND_HAVE_RETAINED},
        {"allocator_metadata", f->alloc.metadata, BACKEND_HAVE_METADATA},
    };
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        snprintf(name, sizeof name, "%s%s", fields[i].name, suffix);
        if (fields[i].have && !(f->alloc.have & fields[i].have)) emit_str(em, name, "");
        else emit_u64(em, name, fields[i].v);
    }
    if (with_ratio) {
        snprintf(name, sizeof name, "allocator_frag_ratio%s", suffix);
        emit_double(em, name, f->allocator_frag_ratio, 4);
    }
}

/* Shards in one process (--shard arenas): each heap's figures at the end
 * and at their peaks.  The process's RSS is the run's own, counted once. */
static void emit_shards(emitter *em, const run_summary *s) {
    char title[160], key[32];
    emit_object_begin(em, "shards", NULL);
    emit_str(em, "heap", s->heap_kind);
    emit_u64(em, "count", (uint64_t)s->nshards);
    for (int k = 0; k < s->nshards; k++) {
        const shard_summary *sh = &s->shards[k];
        snprintf(key, sizeof key, "shard_%d", k + 1);
        snprintf(title, sizeof title, "Shard %s (%s), an %s of its own: at the end, then peaks",
                 sh->label, sh->cls, s->heap_kind);
        emit_object_begin(em, key, title);
        emit_str(em, "class", sh->cls);
        emit_shard_figures(em, &sh->final, "", 1);
        emit_shard_figures(em, &sh->peak, "_peak", 0);
        emit_note(em, "allocator_frag_ratio: allocator fragmentation of this shard's heap "
                      "(its active / allocated); RSS is the process's, counted once above");
        emit_object_end(em);
    }
    emit_object_end(em);
}

void results_summary_emit(emitter *em, const run_summary *s) {
    char buf[64];
    int info = em->style == EMIT_INFO;

    if (!info) emit_str(em, "fragsim_version", FRAGSIM_VERSION);
    emit_object_begin(em, "config", "Run");
    emit_str(em, "allocator", s->allocator);
    emit_str(em, "allocator_version", s->allocator_version);
    if (!info || *s->allocator_options) emit_str(em, "allocator_options", s->allocator_options);
    emit_str(em, "trace", s->trace_source);
    /* Which server INFO stands for: the version's formulas, the build's
     * start-up memory. */
    emit_str(em, "redis_version", redis_version_name(s->redis_version));
    emit_str(em, "server", s->startup.server != NULL ? s->startup.server : "");
    if (*s->import_replayed) emit_str(em, "import_monitor", s->import_replayed);
    if (*s->import_untranslated) emit_str(em, "not_translated", s->import_untranslated);
    if (!info) {
        emit_str(em, "trace_format", s->trace_format);
        emit_str(em, "preset", s->preset);
        emit_double(em, "sample_interval", s->sample_interval, 6);
        /* The virtual clock: the allocator read the engine's time, its
         * settings as given.  The wall clock: paced at speed, the
         * allocator's settings divided by it ("max": not paced, not scaled:
         * decay saw compressed time). */
        emit_str(em, "clock", s->clock ? s->clock : "virtual");
        if (s->clock != NULL && strcmp(s->clock, "wall") == 0) {
            if (s->speed > 0) emit_double(em, "speed", s->speed, 3);
            else emit_str(em, "speed", "max");
        }
        emit_str(em, "allocator_tick", s->allocator_tick_events ? "events" : "cron");
        emit_double(em, "observe", s->observe, 3);
        emit_u64(em, "background_threads", (uint64_t)s->background_threads);
        emit_str(em, "address_randomization", s->aslr_off ? "off" : "on");
        emit_double(em, "hz", s->hz, 3);
        emit_double(em, "purge_every", s->purge_every, 3);
        emit_bool(em, "fill_on_miss", s->fill_on_miss);
        emit_str(em, "expiry", *s->expiry ? s->expiry : "exact");
        emit_str(em, "object_model", *s->object_model ? s->object_model : "raw");
        emit_object_begin(em, "allocator_settings", NULL);
        for (unsigned i = 0; i < s->nsettings; i++)
            emit_setting(em, s->settings[i].name, s->settings[i].value);
        emit_object_end(em);
        /* Read and recorded; hz, maxmemory (with its policy and samples),
         * activedefrag and the active-defrag-* settings act on the replay. */
        emit_str(em, "redis_config", s->redis_config);
        emit_object_begin(em, "redis_settings", NULL);
        for (unsigned i = 0; i < s->nredis_settings; i++)
            emit_setting(em, s->redis_settings[i].name, s->redis_settings[i].value);
        emit_object_end(em);
        if (s->has_gen) emit_gen(em, &s->gen);
        if (s->transform) emit_remedy(em, s->transform);
        /* 1: every key (no --sample-keys); the sampling section has the rest. */
        emit_double(em, "sample_keys",
                    s->transform && transform_sampling(s->transform) ? s->transform->sample_keys
                                                                     : 1.0, 6);
    } else if (s->transform && !transform_spec_empty(s->transform)) {
        char buf[1024];
        transform_describe(s->transform, buf, sizeof buf);
        if (buf[0]) emit_str(em, "remedy", buf);
        if (s->transform->compress_sample)
            emit_double(em, "compress_cpu_seconds", transform_compress_cpu_seconds(s->transform), 3);
    }
    emit_object_end(em);

    if (!info) {
        emit_object_begin(em, "trace", NULL);
        snprintf(buf, sizeof buf, "%016llx", (unsigned long long)s->trace_digest);
        emit_str(em, "digest_fnv1a64", buf);
        emit_u64(em, "events", s->counters.events);
        emit_object_begin(em, "events_by_op", NULL);
        for (int op = 0; op < TRACE_OP__COUNT; op++)
            emit_u64(em, trace_op_name((trace_op)op), s->counters.ops[op]);
        emit_object_end(em);
        emit_double(em, "duration", s->trace_duration, 6);
        emit_object_end(em);

        emit_object_begin(em, "engine", NULL);
        emit_u64(em, "expired_keys", s->counters.expired_keys);
        emit_u64(em, "deleted_keys", s->counters.deleted_keys);
        emit_u64(em, "keyspace_hits", s->counters.keyspace_hits);
        emit_u64(em, "keyspace_misses", s->counters.keyspace_misses);
        emit_u64(em, "fills", s->counters.fills);
        emit_u64(em, "skipped_writes", s->counters.skipped_writes);
        emit_u64(em, "evicted_keys", s->counters.evicted_keys);
        emit_u64(em, "rejected_writes", s->counters.rejected_writes);
        emit_u64(em, "wrongtype", s->counters.wrongtype);
        emit_u64(em, "hash_keys", s->counters.hash_keys);
        emit_u64(em, "hash_conversions", s->counters.hash_conversions);
        emit_u64(em, "set_keys", s->counters.set_keys);
        emit_u64(em, "set_conversions", s->counters.set_conversions);
        emit_u64(em, "zset_keys", s->counters.zset_keys);
        emit_u64(em, "zset_conversions", s->counters.zset_conversions);
        emit_u64(em, "list_keys", s->counters.list_keys);
        emit_u64(em, "reallocs", s->counters.reallocs);
        emit_u64(em, "realloc_moves", s->counters.realloc_moves);
        emit_object_begin(em, "keys_by_encoding", NULL);
        for (int enc = 0; enc < ENGINE_ENC__COUNT; enc++)
            emit_u64(em, engine_encoding_name(enc), s->encodings.keys[enc]);
        emit_object_end(em);
        emit_object_begin(em, "bytes_by_encoding", NULL);
        for (int enc = 0; enc < ENGINE_ENC__COUNT; enc++)
            emit_u64(em, engine_encoding_name(enc), s->encodings.bytes[enc]);
        emit_object_end(em);
        emit_u64(em, "purges", s->counters.purges);
        emit_u64(em, "samples", s->samples);
        emit_u64(em, "baseline_rss", s->baseline_rss);
        snprintf(buf, sizeof buf, "%016llx", (unsigned long long)s->data_checksum);
        emit_str(em, "data_checksum_fnv1a64", buf);
        emit_object_end(em);

        emit_object_begin(em, "server_startup", NULL);
        emit_str(em, "server", s->startup.server != NULL ? s->startup.server : "");
        emit_str(em, "mem_allocator", s->startup.mem_allocator != NULL ? s->startup.mem_allocator
                                                                       : "");
        emit_u64(em, "used_memory", s->startup.used_memory);
        emit_u64(em, "used_memory_rss", s->startup.rss);
        emit_bool(em, "measured", s->startup.measured);
        emit_note(em, "an empty server of that build (allocators/redis-jemalloc/"
                      "measure_startup.sh): measured 0, the build named stood in");
        emit_object_end(em);
    }

    if (info && s->final.used_memory == 0 && s->final.used_memory_startup == 0)
        emit_note(em, "used_memory is 0 (no live keys): the ratios over it are undefined "
                      "and left empty");
    if (info)
        emit_note(em, "used_memory_rss and the ratios over it stand for the server: the heap's "
                      "RSS plus an empty server's (process_rss is fragsim's process)");
    if (info) results_info_memory_emit(em, s);
    int with_defrag = !info || s->activedefrag;
    emit_row(em, "final", "Memory at the end of the trace", &s->final, with_defrag);
    emit_row(em, "peak", "Peak (each field's maximum over the samples; ratios only "
             "while used_memory is at least 10% of its peak)", &s->peak, with_defrag);
    if (!info) emit_row(em, "mean", NULL, &s->mean, 1);
    if (!info || s->activedefrag) emit_defrag(em, s);
    if (s->nshards > 0) emit_shards(em, s);
    results_sampling_emit(em, s);

    if (s->stopped[0]) emit_str(em, "stopped", s->stopped);
    emit_object_begin(em, "speed", "Replay");
    emit_double(em, "wall_time", s->wall_time, 3);
    emit_double(em, "cpu_time", s->cpu_time, 3);
    emit_double(em, "events_per_second", s->events_per_second, 0);
    emit_double(em, "idle_skipped_seconds", (double)s->counters.idle_skipped_us / 1e6, 3);
    if (s->clock == NULL || strcmp(s->clock, "wall") != 0) {
        emit_str(em, "clock", "virtual");
        if (s->background_threads > 0)
            emit_u64(em, "allocator_thread_wakeups", s->allocator_thread_wakeups);
        emit_note(em, "virtual clock: the allocator read the engine's time, so its decay ran "
                      "exactly as on a server, at the engine's speed");
    } else if (s->speed > 0) {
        emit_double(em, "speed", s->speed, 3);
        emit_double(em, "pace_max_behind", s->pace_max_behind, 3);
        emit_double(em, "pace_behind_share", s->pace_behind_share, 4);
        emit_note(em, "pace_max_behind: virtual seconds the replay fell behind its speed at "
                      "worst (decay then saw more time than a server would)");
    } else {
        emit_str(em, "speed", "max");
        emit_note(em, "not paced: the allocator's time-based decay was not scaled and saw "
                      "compressed time");
    }
    if (info) {
        emit_u64(em, "events", s->counters.events);
        emit_u64(em, "expired_keys", s->counters.expired_keys);
        emit_u64(em, "evicted_keys", s->counters.evicted_keys);
        emit_u64(em, "rejected_writes", s->counters.rejected_writes);
        emit_u64(em, "wrongtype", s->counters.wrongtype);
        emit_u64(em, "hash_keys", s->counters.hash_keys);
        emit_u64(em, "hash_conversions", s->counters.hash_conversions);
        emit_u64(em, "set_keys", s->counters.set_keys);
        emit_u64(em, "set_conversions", s->counters.set_conversions);
        emit_u64(em, "zset_keys", s->counters.zset_keys);
        emit_u64(em, "zset_conversions", s->counters.zset_conversions);
        emit_u64(em, "list_keys", s->counters.list_keys);
        emit_u64(em, "reallocs", s->counters.reallocs);
        emit_u64(em, "realloc_moves", s->counters.realloc_moves);
        emit_double(em, "virtual_time", s->trace_duration, 3);
    }
    emit_object_end(em);
}

/* ---- writers of a file written whole when the run ends ----
 * The summary only exists then; every such writer differs only in how it
 * renders it. */
typedef struct whole_state {
    char path[1200];
    results_render_fn render;
} whole_state;

int results_whole_open(void **state, const char *dir, const char *file, results_render_fn render,
                       fs_err *err) {
    whole_state *s = emem_map(sizeof *s);
    if (s == NULL) return fs_errf(err, "cannot map writer state");
    snprintf(s->path, sizeof s->path, "%s/%s", dir, file);
    s->render = render;
    *state = s;
    return 0;
}

int results_whole_sample(void *state, const sample_row *row, fs_err *err) {
    (void)state, (void)row, (void)err;
    return 0;
}

int results_whole_close(void *state, const run_summary *summary, fs_err *err) {
    whole_state *s = state;
    int rc = 0;
    if (summary != NULL) {
        int fd = open(s->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        outbuf ob;
        if (fd < 0) {
            rc = fs_errf(err, "cannot create %s", s->path);
        } else if ((rc = outbuf_open(&ob, fd, s->path, err)) == 0) {
            s->render(&ob, summary);
            rc = outbuf_close(&ob, err);
        }
    }
    emem_unmap(s, sizeof *s);
    return rc;
}

static void render_style(outbuf *ob, const run_summary *summary, emit_style style) {
    emitter em;
    emit_begin(&em, style, ob);
    results_summary_emit(&em, summary);
    emit_end(&em);
}

static void render_json(outbuf *ob, const run_summary *s) { render_style(ob, s, EMIT_JSON); }
static void render_info(outbuf *ob, const run_summary *s) { render_style(ob, s, EMIT_INFO); }

static int json_open(void **state, const char *dir, fs_err *err) {
    return results_whole_open(state, dir, "summary.json", render_json, err);
}

static int info_open(void **state, const char *dir, fs_err *err) {
    return results_whole_open(state, dir, "info.txt", render_info, err);
}

const result_writer_ops results_summary_json = {"summary.json", json_open, results_whole_sample,
                                                results_whole_close};
const result_writer_ops results_info_txt = {"info.txt", info_open, results_whole_sample,
                                            results_whole_close};
