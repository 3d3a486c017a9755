/* The replay loop and its bookkeeping: open the trace, the results and the
 * backend; feed events to the engine; at each sample, measure and write;
 * at the end, summarise, or on any error remove every trace of the run. */
#define _GNU_SOURCE
#include "run.h"

#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "../../traces/trace_digest.h"
#include "../base/vclock.h"
#include "../base/emem.h"
#include "../base/procmem.h"
#include "../redis_expire.h"
#include "../snapshot.h"
#include "../base/units.h"
#include "run_ahead.h"

static const result_writer_ops *const writers[] = {
#define RESULT_WRITER(ops) &ops,
#include "../../analysis/result_writers.h"
#undef RESULT_WRITER
};
#define NWRITERS (sizeof writers / sizeof writers[0])

/* fragsim's own timing reads the real clock: the interposed one is the
 * allocator's (base/vclock.h). */
static double now_s(void) { return vclock_real_s(); }

const char *run_clock_name(run_clock c) { return c == RUN_CLOCK_WALL ? "wall" : "virtual"; }

typedef struct run_state {
    const run_config *cfg;
    run_summary *sum;
    void *wstate[NWRITERS];
    double wall_start, last_progress;
    uint64_t baseline_rss;
    sample_server srv;     /* the server INFO stands for */
    uint64_t total_events; /* known for the generator, else 0 */
    double total_virtual;  /* the trace's virtual length, when known (generator), else 0 */
    const char *dir;       /* where the results are being written */
    int64_t snapshot_us[RUN_MAX_PAGE_MAPS];
    sample_peaks peaks;
    sample_means means;
    int virtual_clock;     /* the allocator reads the engine's clock */
    double speed;          /* wall clock: 0: not paced */
    shards_writer shards;  /* --shard arenas: shards.csv */
    int shards_open;
    double max_behind;     /* wall seconds behind the pace, at most */
    uint64_t pace_checks, pace_behind;
} run_state;

/* Before the engine's clock moves to t.  On the virtual clock the
 * allocator's clock moves with it (waking its threads due on the way).  On
 * the wall clock, virtual time is kept at most `speed` times wall time:
 * when the replay is ahead it sleeps; when it is behind (the engine cannot
 * keep up) it goes on at once and records by how much, since decay then
 * sees more time per virtual second than a server would. */
static void clock_step(void *arg, int64_t t_us) {
    run_state *rs = arg;
    if (rs->virtual_clock) {
        vclock_advance(t_us * 1000);
        return;
    }
    if (rs->speed <= 0) return;
    double target = rs->wall_start + (double)t_us / TRACE_US_PER_S / rs->speed;
    double now = now_s();
    rs->pace_checks++;
    if (now >= target) {
        /* A millisecond late is scheduling noise, not falling behind. */
        if (now - target > 1e-3) rs->pace_behind++;
        if (now - target > rs->max_behind) rs->max_behind = now - target;
        return;
    }
    if (target - now < 200e-6) return;
    struct timespec ts = {.tv_sec = (time_t)target,
                          .tv_nsec = (long)((target - (double)(time_t)target) * 1e9)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0) {
    }
}

/* One line on stderr, rewritten in place: where the replay is, how fast it
 * goes and, when the trace's length is known, how long it has left.  A
 * paced replay's end is set by virtual time (the observation phase has no
 * events); an unpaced one's by the events left. */
static void progress(run_state *rs, const engine *e, uint64_t rss, int force) {
    double t = now_s();
    if (!rs->cfg->progress || (!force && t - rs->last_progress < 1.0)) return;
    rs->last_progress = t;
    char h[32], pct[32] = "", eta[48] = "";
    double wall = t - rs->wall_start, vt = engine_virtual_time(e);
    double rate = wall > 0 ? (double)e->c.events / wall : 0, done = 0;
    /* Done by virtual time when the trace's length is known: the events
     * may all be in before an observation phase of idle virtual time that
     * takes most of the wall time (the cron still ticks through it). */
    if (rs->total_virtual > 0) {
        done = vt / rs->total_virtual;
        snprintf(pct, sizeof pct, " of %.0f s (%.0f%%)", rs->total_virtual, 100.0 * done);
    } else if (rs->total_events) {
        done = (double)e->c.events / (double)rs->total_events;
    }
    if (done > 0 && done < 1 && !force)
        snprintf(eta, sizeof eta, ", ETA %.0f s", wall * (1 - done) / done);
    fprintf(stderr, "\rfragsim: virtual %.0f s%s, %llu events, %.0f events/s, %llu keys, RSS %s%s   ",
            vt, pct, (unsigned long long)e->c.events, rate, (unsigned long long)e->ks.count,
            units_human_bytes((double)rss, h), eta);
}

static int on_sample(void *arg, engine *e, fs_err *err) {
    run_state *rs = arg;
    sample_row row;
    if (sample_measure(&row, e, now_s() - rs->wall_start, rs->baseline_rss, &rs->srv, err) != 0) return -1;
    for (size_t i = 0; i < NWRITERS; i++)
        if (writers[i]->sample(rs->wstate[i], &row, err) != 0) return -1;
    /* Right after the totals' statistics: the same moment. */
    if (rs->shards_open && shards_sample(&rs->shards, e, row.virtual_time, err) != 0) return -1;
    if (rs->sum->samples++ == 0) rs->sum->peak = row;
    else sample_peak_update(&rs->sum->peak, &row);
    if (sample_peaks_add(&rs->peaks, &row, err) != 0) return -1;
    sample_means_add(&rs->means, &row);
    rs->sum->final = row;
    rs->sum->db_hashtable_rehashing = om_rehashing_bytes(&e->om);
    progress(rs, e, row.used_memory_rss, 0);
    return 0;
}

/* A page map and the size classes at one of the chosen times. */
static int on_snapshot(void *arg, engine *e, fs_err *err) {
    run_state *rs = arg;
    char label[32];
    snapshot_label(rs->cfg->page_map_at[e->next_snapshot - 1], label);
    if (snapshot_pagemap(rs->dir, label, e, err) != 0) return -1;
    return snapshot_bins(rs->dir, label, e, err);
}

static double cpu_seconds(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

static void collect_setting(void *arg, const char *name, const char *value) {
    run_summary *s = arg;
    if (s->nsettings == RUN_MAX_SETTINGS) return;
    run_setting *st = &s->settings[s->nsettings++];
    snprintf(st->name, sizeof st->name, "%s", name);
    snprintf(st->value, sizeof st->value, "%s", value);
}

static void collect_redis_setting(void *arg, const char *name, const char *value) {
    run_summary *s = arg;
    if (s->nredis_settings == RUN_MAX_SETTINGS) return;
    run_setting *st = &s->redis_settings[s->nredis_settings++];
    snprintf(st->name, sizeof st->name, "%s", name);
    snprintf(st->value, sizeof st->value, "%s", value);
}

/* Copies the value of the last "# NAME: value" line of text into out. */
static void note_line(const char *text, const char *name, char *out, size_t n) {
    const char *p = NULL;
    for (const char *q = text; (q = strstr(q, name)) != NULL; q++) p = q;
    if (p == NULL) return;
    p += strlen(name);
    size_t len = strcspn(p, "\n");
    snprintf(out, n, "%.*s", (int)len, p);
}

/* The comments `fragsim import monitor` ends a trace with: what share of
 * the capture it replays, and what it left out.  Read from the file's last
 * 16 KiB (a compressed or binary trace has none). */
static void read_import_note(const char *path, run_summary *sum) {
    FILE *f = fopen(path, "r");
    if (f == NULL) return;
    static char tail[16384 + 1];
    size_t n = 0;
    if (fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        if (size > 0 && fseek(f, size > 16384 ? size - 16384 : 0, SEEK_SET) == 0)
            n = fread(tail, 1, sizeof tail - 1, f);
    }
    fclose(f);
    tail[n] = '\0';
    note_line(tail, "\n# import monitor: ", sum->import_replayed, sizeof sum->import_replayed);
    note_line(tail, "\n# not translated: ", sum->import_untranslated,
              sizeof sum->import_untranslated);
}

static int replay(run_state *rs, trace_reader *tr, engine *e, fs_err *err) {
    run_summary *sum = rs->sum;
    uint64_t digest = TRACE_DIGEST_INIT;
    const trace_event *ev;
    run_ahead ra;
    int rc;
    if (run_ahead_init(&ra, tr, e, err) != 0) return -1;
    while ((rc = run_ahead_next(&ra, &ev, err)) == 1) {
        digest = trace_digest_event(digest, ev);
        if (engine_apply(e, ev, err) != 0) {
            char where[800];
            run_ahead_where(&ra, where, sizeof where);
            fs_err_prefix(err, "%s", where);
            if (!e->out_of_memory) {
                run_ahead_free(&ra);
                return -1;
            }
            /* The allocator under test is exhausted: that point is the
             * result.  One last sample there (best effort: it may need
             * what is gone), then the summary of the series so far. */
            snprintf(sum->stopped, sizeof sum->stopped, "%s", err->msg);
            fs_err ignored;
            on_sample(rs, e, &ignored);
            break;
        }
        if ((e->c.events & 0xffff) == 0 && rs->cfg->progress) {
            uint64_t rss = 0;
            procmem_rss(&rss, NULL);
            progress(rs, e, rss, 0);
        }
    }
    run_ahead_free(&ra);
    if (rc < 0 && !sum->stopped[0]) return -1;
    if (!sum->stopped[0] && engine_finish(e, err) != 0) {
        if (!e->started) { /* "the trace has no events": say which trace */
            char where[600];
            tr->ops->where(tr, where, sizeof where);
            fs_err_prefix(err, "%s", where);
        }
        return -1;
    }
    sample_peaks_ratios(&rs->peaks, &sum->peak);
    sample_means_row(&rs->means, &sum->mean);
    sum->trace_digest = digest;
    sum->trace_duration = engine_virtual_time(e);
    sum->counters = e->c;
    engine_encoding_census(e, &sum->encodings);
    sum->defrag = e->df.st;
    sum->data_checksum = defrag_checksum(e);
    sum->wall_time = now_s() - rs->wall_start;
    sum->cpu_time = cpu_seconds();
    sum->events_per_second = sum->wall_time > 0 ? (double)e->c.events / sum->wall_time : 0;
    sum->baseline_rss = rs->baseline_rss;
    sum->pace_max_behind = rs->max_behind * rs->speed;
    sum->allocator_thread_wakeups = vclock_wakeups();
    sum->pace_behind_share =
        rs->pace_checks ? (double)rs->pace_behind / (double)rs->pace_checks : 0.0;
    return 0;
}

int run_execute(const run_config *cfg, const backend_ops *be, run_summary *summary, fs_err *err) {
    run_summary local;
    run_summary *sum = summary != NULL ? summary : &local;
    memset(sum, 0, sizeof *sum);
    run_state rs = {.cfg = cfg, .sum = sum};
    void *be_state = NULL;
    trace_reader tr = {0};
    results_dir rd = {0};
    engine e = {0};
    size_t nopen = 0;
    int rc = -1, engine_ready = 0;
    /* Address space held back for writing the results when the allocator
     * under test exhausts the process's (RLIMIT_AS): released before the
     * files are finished, so their buffers can still be mapped. */
    const size_t reserve_bytes = (size_t)4 << 20;
    void *reserve = NULL;

    if (!(cfg->sample_interval > 0))
        return fs_errf(err, "--sample-interval must be more than 0 seconds");
    if (be->init(&be_state, err) != 0) return -1;
    if (cfg->trace_path != NULL) {
        if (trace_open(&tr, cfg->trace_path, cfg->format, err) != 0) goto done;
        snprintf(sum->trace_source, sizeof sum->trace_source, "%s",
                 strcmp(cfg->trace_path, "-") == 0 ? "<stdin>" : cfg->trace_path);
        if (strcmp(cfg->trace_path, "-") != 0) read_import_note(cfg->trace_path, sum);
    } else {
        if (trace_gen_open(&tr, &cfg->gen, err) != 0) goto done;
        sum->has_gen = 1;
        sum->gen = cfg->gen;
        rs.total_events = gen_events(&cfg->gen);
        rs.total_virtual = gen_duration(&cfg->gen);
        snprintf(sum->trace_source, sizeof sum->trace_source, "preset:%s",
                 cfg->preset && *cfg->preset ? cfg->preset : "(generator)");
    }
    if (cfg->transform != NULL && !transform_spec_empty(cfg->transform)) {
        trace_reader inner = tr;
        memset(&tr, 0, sizeof tr);
        if (trace_transform_wrap(&tr, &inner, cfg->transform, err) != 0) goto done;
    }
    snprintf(sum->trace_format, sizeof sum->trace_format, "%s", tr.ops->name);
    snprintf(sum->allocator, sizeof sum->allocator, "%s", cfg->allocator ? cfg->allocator : be->name);
    snprintf(sum->allocator_options, sizeof sum->allocator_options, "%s",
             cfg->allocator_options ? cfg->allocator_options : "");
    snprintf(sum->preset, sizeof sum->preset, "%s", cfg->preset ? cfg->preset : "");
    sum->sample_interval = cfg->sample_interval;
    sum->clock = run_clock_name(cfg->clock);
    sum->speed = cfg->clock == RUN_CLOCK_WALL ? cfg->speed : 0;
    sum->observe = cfg->observe;
    sum->allocator_tick_events = cfg->allocator_tick_events;
    int persona = personality(0xffffffff);
    sum->aslr_off = persona != -1 && (persona & ADDR_NO_RANDOMIZE);
    sum->hz = cfg->hz;
    sum->purge_every = cfg->purge_every;
    sum->fill_on_miss = cfg->fill_on_miss;
    sum->transform = cfg->transform;
    snprintf(sum->object_model, sizeof sum->object_model, "%s", om_kind_name(cfg->object_model));
    sum->redis_version = cfg->redis_version;
    sum->startup = redis_version_startup(be->name, cfg->redis_version);
    rs.srv = (sample_server){cfg->redis_version, sum->startup.used_memory, sum->startup.rss};
    if (cfg->expiry == ENGINE_EXPIRY_REDIS && cfg->expire_hash_seed != 0)
        snprintf(sum->expiry, sizeof sum->expiry, "redis:%g:%u",
                 (cfg->expire_key_ns ? cfg->expire_key_ns : RX_KEY_NS) / 1000.0,
                 cfg->expire_hash_seed);
    else if (cfg->expiry == ENGINE_EXPIRY_REDIS && cfg->expire_key_ns != 0)
        snprintf(sum->expiry, sizeof sum->expiry, "redis:%g", cfg->expire_key_ns / 1000.0);
    else
        snprintf(sum->expiry, sizeof sum->expiry, "%s", engine_expiry_name(cfg->expiry));
    rs.virtual_clock = cfg->clock == RUN_CLOCK_VIRTUAL;
    rs.speed = rs.virtual_clock ? 0 : cfg->speed;
    snprintf(sum->allocator_version, sizeof sum->allocator_version, "%s",
             be->version ? be->version(be_state) : "");
    if (cfg->redis != NULL) redis_conf_each(cfg->redis, collect_redis_setting, sum);
    snprintf(sum->redis_config, sizeof sum->redis_config, "%s",
             cfg->redis_config_path ? cfg->redis_config_path : "");
    /* On the virtual clock the allocator's settings stand as given; on the
     * wall clock they are divided by the speed. */
    if (!rs.virtual_clock && rs.speed > 0 && be->time_scale != NULL &&
        be->time_scale(be_state, rs.speed, collect_setting, sum, err) != 0)
        goto done;
    if (cfg->background_thread >= 0 || be->background_thread != NULL) {
        if (be->background_thread == NULL) {
            if (cfg->background_thread > 0)
                fprintf(stderr, "fragsim run: allocator %s has no background thread: "
                        "jemalloc-bg-thread is recorded, not applied\n", be->name);
        } else if (be->background_thread(be_state, cfg->background_thread,
                                         &sum->background_threads, err) != 0) {
            goto done;
        }
    }
    if (be->settings != NULL) be->settings(be_state, collect_setting, sum);
    /* Shards in one process: a heap each, made after time_scale so that
     * they take its settings. */
    int nheaps = 0;
    if (cfg->transform != NULL && cfg->transform->shard_arenas) {
        nheaps = transform_nshards(cfg->transform);
        if (be->heaps_create == NULL || be->heap_stats == NULL) {
            fs_errf(err, "--shard arenas: allocator %s has no arenas of its own (jemalloc has); "
                    "--shard K/N replays one shard per process", be->name);
            goto done;
        }
        if (be->heaps_create(be_state, nheaps, err) != 0) goto done;
        sum->nshards = nheaps;
        snprintf(sum->heap_kind, sizeof sum->heap_kind, "%s", be->heap_kind ? be->heap_kind : "heap");
    }

    if (results_dir_begin(&rd, cfg->out_dir, RESULTS_RUN, cfg->force, err) != 0) goto done;
    reserve = emem_map(reserve_bytes);
    rs.dir = rd.partial;
    for (; nopen < NWRITERS; nopen++)
        if (writers[nopen]->open(&rs.wstate[nopen], rd.partial, err) != 0) goto done;

    /* The baseline: what the process holds before the first value, less
     * the engine's own memory, which is measured apart at every sample. */
    uint64_t rss0;
    if (procmem_rss(&rss0, err) != 0) goto done;
    rs.baseline_rss = rss0 - emem_resident();
    engine_config ec = {
        .sample_interval_us = (int64_t)(cfg->sample_interval * TRACE_US_PER_S + 0.5),
        .tick_interval_us = cfg->hz > 0 ? (int64_t)(TRACE_US_PER_S / cfg->hz + 0.5) : 0,
        .purge_interval_us = (int64_t)(cfg->purge_every * TRACE_US_PER_S + 0.5),
        .on_sample = on_sample,
        .pace = clock_step,
        .observe_us = (int64_t)(cfg->observe * TRACE_US_PER_S + 0.5),
        .allocator_tick_events = cfg->allocator_tick_events,
        .arg = &rs,
        .fill_on_miss = cfg->fill_on_miss,
        .snapshot_at_us = rs.snapshot_us,
        .nsnapshots = cfg->npage_map_at < RUN_MAX_PAGE_MAPS ? cfg->npage_map_at : RUN_MAX_PAGE_MAPS,
        .on_snapshot = on_snapshot,
        .object_model = cfg->object_model,
        .expiry = cfg->expiry,
        .expire_key_ns = cfg->expire_key_ns,
        .expire_hash_seed = cfg->expire_hash_seed,
        .expire_effort = cfg->redis != NULL ? cfg->redis->active_expire_effort : 1,
        .maxmemory = cfg->redis != NULL ? cfg->redis->maxmemory : 0,
        .maxmemory_policy = cfg->redis != NULL ? cfg->redis->maxmemory_policy : REDIS_POLICY_NOEVICTION,
        .maxmemory_samples = cfg->redis != NULL ? cfg->redis->maxmemory_samples : 5,
        .nheaps = nheaps,
    };
    if (cfg->redis != NULL) {
        const redis_conf *r = cfg->redis;
        ec.type_limits_set = 1;
        ec.hash_max_listpack_entries = r->hash_max_listpack_entries;
        ec.hash_max_listpack_value = r->hash_max_listpack_value;
        ec.set_max_intset_entries = r->set_max_intset_entries;
        ec.zset_max_listpack_entries = r->zset_max_listpack_entries;
        ec.zset_max_listpack_value = r->zset_max_listpack_value;
        ec.list_max_listpack_size = r->list_max_listpack_size;
        ec.defrag = (defrag_config){
            .enabled = r->activedefrag,
            .enable_at_us = (int64_t)(cfg->activedefrag_at * TRACE_US_PER_S + 0.5),
            .ignore_bytes = r->active_defrag_ignore_bytes,
            .threshold_lower = r->active_defrag_threshold_lower,
            .threshold_upper = r->active_defrag_threshold_upper,
            .cycle_min = r->active_defrag_cycle_min,
            .cycle_max = r->active_defrag_cycle_max,
            .max_scan_fields = r->active_defrag_max_scan_fields,
            .hint = cfg->defrag_hint,
        };
    }
    sum->activedefrag = ec.defrag.enabled;
    sum->activedefrag_at = cfg->activedefrag_at;
    for (size_t i = 0; i < ec.nsnapshots; i++)
        rs.snapshot_us[i] = (int64_t)(cfg->page_map_at[i] * TRACE_US_PER_S + 0.5);
    if (engine_init(&e, be, be_state, &ec, err) != 0) goto done;
    engine_ready = 1;
    if (nheaps > 1) {
        if (shards_open(&rs.shards, rd.partial, &e, cfg->transform, sum->shards, err) != 0)
            goto done;
        rs.shards_open = 1;
    }
    snprintf(sum->defrag_rule, sizeof sum->defrag_rule, "%s",
             e.df.cfg.hint == DEFRAG_HINT_ALWAYS ? "always"
             : e.df.generic                      ? "generic"
            : be->defrag_hint_rule != NULL      ? be->defrag_hint_rule
                                                 : "allocator");
    if (rs.virtual_clock) {
        vclock_virtual_begin();
        /* A thread started with the allocator sleeps before time moves. */
        if (sum->background_threads > 0 &&
            vclock_wait_sleepers(sum->background_threads) < sum->background_threads)
            fprintf(stderr, "fragsim run: the allocator's background thread does not sleep on "
                    "the virtual clock; its purges may not be reproducible\n");
    }
    rs.wall_start = now_s();
    int replayed = replay(&rs, &tr, &e, err);
    if (rs.virtual_clock) vclock_virtual_end();
    emem_unmap(reserve, reserve_bytes);
    reserve = NULL;
    if (replayed != 0) goto done;
    /* The size classes at the end; page maps asked for after the trace's
     * end cannot be drawn, and the user is told so. */
    char label[32];
    if (!sum->stopped[0] &&
        snapshot_bins(rd.partial, snapshot_label(sum->trace_duration, label), &e, err) != 0)
        goto done;
    progress(&rs, &e, sum->final.used_memory_rss, 1);
    if (cfg->progress) fputc('\n', stderr);
    for (size_t i = e.next_snapshot; i < ec.nsnapshots; i++)
        fprintf(stderr, "fragsim run: no page map at %s s: the trace ends at %.3f s\n",
                snapshot_label(cfg->page_map_at[i], label), sum->trace_duration);

    if (rs.shards_open) {
        rs.shards_open = 0;
        if (shards_close(&rs.shards, err) != 0) goto done;
    }
    for (; nopen > 0; nopen--)
        if (writers[nopen - 1]->close(rs.wstate[nopen - 1], sum, err) != 0) {
            nopen--;
            goto done;
        }
    if (results_dir_commit(&rd, err) != 0) goto done;
    rc = 0;
    if (sum->stopped[0])
        fprintf(stderr, RUN_STOPPED_PREFIX "%s; the series up to that point is in %s/ "
                "(summary.json says why)\n", sum->stopped, cfg->out_dir);
    if (cfg->print_info) {
        outbuf ob;
        if (outbuf_open(&ob, STDOUT_FILENO, "standard output", NULL) == 0) {
            emitter em;
            emit_begin(&em, EMIT_INFO, &ob);
            results_summary_emit(&em, sum);
            emit_end(&em);
            outbuf_printf(&ob, "# results in %s/ (series.csv, summary.json, summary.csv, "
                          "info.txt%s)\n", cfg->out_dir, sum->nshards ? ", shards.csv" : "");
            outbuf_close(&ob, NULL);
        }
    }
done:
    if (rc != 0) {
        if (cfg->progress && rs.last_progress > 0) fputc('\n', stderr);
        while (nopen > 0) {
            nopen--;
            writers[nopen]->close(rs.wstate[nopen], NULL, NULL);
        }
        if (rs.shards_open) shards_close(&rs.shards, NULL);
        results_dir_abort(&rd);
    }
    emem_unmap(reserve, reserve_bytes);
    if (engine_ready) engine_destroy(&e);
    sample_peaks_free(&rs.peaks);
    trace_close(&tr);
    if (be->fini != NULL) be->fini(be_state);
    return rc;
}
