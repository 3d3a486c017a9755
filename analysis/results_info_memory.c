/* info.txt's "# Memory": the end of the trace as the chosen Redis version's
 * INFO memory prints it, its fields and their order from the table in
 * sim/redis_version.c.  What fragsim does not model is left out and named
 * in a comment line; what a server without replicas, AOF or scripts prints
 * as 0 is printed 0. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "results.h"

/* Redis's bytesToHuman (src/server.c): "%lluB" under 1 KiB, then
 * "%.2fK", "M", "G", "T", "P". */
static const char *redis_human(uint64_t n, char *buf, size_t size) {
    static const char units[] = "KMGTP";
    if (n < 1024) {
        snprintf(buf, size, "%lluB", (unsigned long long)n);
        return buf;
    }
    double d = (double)n / 1024;
    int u = 0;
    while (d >= 1024 && u < 4) {
        d /= 1024;
        u++;
    }
    if (d >= 1024) snprintf(buf, size, "%lluB", (unsigned long long)n);
    else snprintf(buf, size, "%.2f%c", d, units[u]);
    return buf;
}

static const char *setting(const run_summary *s, const char *name) {
    for (unsigned i = 0; i < s->nredis_settings; i++)
        if (strcmp(s->redis_settings[i].name, name) == 0) return s->redis_settings[i].value;
    return NULL;
}

/* ZMALLOC_LIB as a server linked against the replayed library names it:
 * "jemalloc-5.3.0", "tcmalloc-2.10", "libc"; a library no Redis build
 * links keeps its own name. */
static void mem_allocator(const run_summary *s, char *buf, size_t size) {
    const char *v = s->allocator_version;
    if (strncmp(s->allocator, "jemalloc", 8) == 0) {
        snprintf(buf, size, "jemalloc-%.*s", (int)strcspn(v, "-"), v);
    } else if (strcmp(s->allocator, "glibc") == 0) {
        snprintf(buf, size, "libc");
    } else if (strcmp(s->allocator, "tcmalloc") == 0) {
        const char *sp = strrchr(v, ' ');
        snprintf(buf, size, "tcmalloc-%s", sp ? sp + 1 : v);
    } else {
        snprintf(buf, size, "%s-%s", s->allocator, v);
    }
}

static void emit_bytes(emitter *em, const char *name, const sample_row *r, uint32_t have,
                       uint64_t v) {
    if (have && (r->alloc.have & have) != have) emit_str(em, name, "");
    else emit_u64(em, name, v);
}

static void emit_signed(emitter *em, const char *name, const sample_row *r, uint32_t have,
                        int64_t v) {
    if (have && (r->alloc.have & have) != have) emit_str(em, name, "");
    else emit_i64(em, name, v);
}

static void emit_human(emitter *em, const char *name, uint64_t v) {
    char buf[32];
    emit_str(em, name, redis_human(v, buf, sizeof buf));
}

/* The fields left out, one comment line per reason: "left out: a, b (why)". */
static void emit_left_out(emitter *em, redis_version v) {
    for (size_t i = 0; i < redis_info_memory_count; i++) {
        const redis_info_field *f = &redis_info_memory[i];
        if (f->source != RIS_LEFT_OUT || !redis_version_prints(f, v)) continue;
        int seen = 0; /* the reason's line was written at its first field */
        for (size_t j = 0; j < i && !seen; j++)
            seen = redis_info_memory[j].source == RIS_LEFT_OUT &&
                   redis_version_prints(&redis_info_memory[j], v) &&
                   strcmp(redis_info_memory[j].note, f->note) == 0;
        if (seen) continue;
        char line[1024];
        size_t n = (size_t)snprintf(line, sizeof line, "left out:");
        for (size_t j = i; j < redis_info_memory_count && n < sizeof line; j++) {
            const redis_info_field *g = &redis_info_memory[j];
            if (g->source == RIS_LEFT_OUT && redis_version_prints(g, v) &&
                strcmp(g->note, f->note) == 0)
                n += (size_t)snprintf(line + n, sizeof line - n, "%s %s", j == i ? "" : ",",
                                      g->name);
        }
        if (n < sizeof line) snprintf(line + n, sizeof line - n, " (%s)", f->note);
        emit_note(em, line);
    }
}

void results_info_memory_emit(emitter *em, const run_summary *s) {
    const sample_row *r = &s->final;
    redis_version v = s->redis_version;
    uint64_t used = r->used_memory + r->used_memory_startup;
    uint64_t peak = r->used_memory_peak + r->used_memory_startup;
    if (peak < used) peak = used; /* as INFO raises its peak to the current */
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    uint64_t system = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
    const char *mm = setting(s, "maxmemory");
    uint64_t maxmemory = mm ? strtoull(mm, NULL, 10) : 0;
    const char *policy = setting(s, "maxmemory-policy");
    char buf[160];

    emit_object_begin(em, "info_memory", "Memory");
    snprintf(buf, sizeof buf, "the end of the trace as INFO memory prints it: %s",
             redis_version_info_source(v));
    emit_note(em, buf);
    emit_note(em, "used_memory counts the empty server's (used_memory_startup); allocator_* "
                  "are the replayed heap's");
    emit_left_out(em, v);
    emit_note(em, "the replication, AOF, cluster, scripting and pending-lazyfree fields are 0: "
                  "a replay has none of them");
    for (size_t i = 0; i < redis_info_memory_count; i++) {
        const redis_info_field *f = &redis_info_memory[i];
        if (!redis_version_prints(f, v)) continue;
        const char *name = f->name;
        switch (f->source) {
        case RIS_USED_MEMORY: emit_u64(em, name, used); break;
        case RIS_USED_MEMORY_HUMAN: emit_human(em, name, used); break;
        case RIS_RSS: emit_u64(em, name, r->used_memory_rss); break;
        case RIS_RSS_HUMAN: emit_human(em, name, r->used_memory_rss); break;
        case RIS_PEAK: emit_u64(em, name, peak); break;
        case RIS_PEAK_HUMAN: emit_human(em, name, peak); break;
        case RIS_PEAK_PERC:
            snprintf(buf, sizeof buf, "%.2f%%", peak ? (double)used * 100 / (double)peak : 0.0);
            emit_str(em, name, buf);
            break;
        case RIS_STARTUP: emit_u64(em, name, r->used_memory_startup); break;
        case RIS_ALLOCATED:
            emit_bytes(em, name, r, BACKEND_HAVE_ALLOCATED, r->alloc.allocated);
            break;
        case RIS_ACTIVE: emit_bytes(em, name, r, BACKEND_HAVE_ACTIVE, r->alloc.active); break;
        case RIS_RESIDENT:
            emit_bytes(em, name, r, BACKEND_HAVE_RESIDENT, r->alloc.resident);
            break;
        case RIS_MUZZY: emit_bytes(em, name, r, BACKEND_HAVE_MUZZY, r->alloc.muzzy); break;
        case RIS_SYSTEM_MEMORY: emit_u64(em, name, system); break;
        case RIS_SYSTEM_MEMORY_HUMAN: emit_human(em, name, system); break;
        case RIS_MAXMEMORY: emit_u64(em, name, maxmemory); break;
        case RIS_MAXMEMORY_HUMAN: emit_human(em, name, maxmemory); break;
        case RIS_MAXMEMORY_POLICY: emit_str(em, name, policy ? policy : "noeviction"); break;
        case RIS_FRAG_RATIO: emit_double(em, name, r->allocator_frag_ratio, 2); break;
        case RIS_FRAG_BYTES:
            emit_signed(em, name, r, SAMPLE_HAVE_FRAG, r->allocator_frag_bytes);
            break;
        case RIS_RSS_RATIO: emit_double(em, name, r->allocator_rss_ratio, 2); break;
        case RIS_RSS_BYTES:
            emit_signed(em, name, r, BACKEND_HAVE_RESIDENT | BACKEND_HAVE_ACTIVE,
                        r->allocator_rss_bytes);
            break;
        case RIS_OVERHEAD_RATIO: emit_double(em, name, r->rss_overhead_ratio, 2); break;
        case RIS_OVERHEAD_BYTES:
            emit_signed(em, name, r, BACKEND_HAVE_RESIDENT, r->rss_overhead_bytes);
            break;
        case RIS_MEM_FRAG_RATIO: emit_double(em, name, r->mem_fragmentation_ratio, 2); break;
        case RIS_MEM_FRAG_BYTES: emit_i64(em, name, r->mem_fragmentation_bytes); break;
        case RIS_MEM_ALLOCATOR:
            mem_allocator(s, buf, sizeof buf);
            emit_str(em, name, buf);
            break;
        case RIS_DEFRAG_RUNNING: emit_u64(em, name, r->active_defrag_running); break;
        case RIS_REHASHING: emit_u64(em, name, s->db_hashtable_rehashing); break;
        case RIS_IDLE_ZERO: emit_u64(em, name, 0); break;
        case RIS_LEFT_OUT: continue;
        }
        /* A field 7.0 does not print says what it is. */
        if (f->versions != REDIS_VERSIONS_ALL && f->note != NULL) emit_note(em, f->note);
    }
    emit_object_end(em);
}
