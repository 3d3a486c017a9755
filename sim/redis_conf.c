/* redis.conf reading, after Redis 7.0's config.c: loadServerConfig() for
 * files and includes, loadServerConfigFromString() for lines,
 * sdssplitargs() for arguments, and the numeric, boolean and enum parsers
 * with their bounds.  One table row per directive (name, kind, bounds,
 * default, field), as Redis's own standardConfig table. */
#define _GNU_SOURCE
#include "redis_conf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/emem.h"

/* Redis caps hz instead of refusing it (updateHZ(): "Hz is more a hint from
 * the user"). */
#define REDIS_HZ_MIN 1
#define REDIS_HZ_MAX 500
/* Includes deeper than this are a loop (Redis itself would recurse until it
 * crashed). */
#define INCLUDE_DEPTH_MAX 16
/* A configuration file larger than this is not one. */
#define CONF_FILE_MAX ((size_t)64 << 20)
/* Arguments kept per line: more only matter as a count. */
#define LINE_ARGS_MAX 64

static const char *const policy_names[REDIS_POLICY__COUNT] = {
    "noeviction",   "allkeys-lru",  "allkeys-lfu",     "allkeys-random",
    "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
};

const char *redis_policy_name(redis_policy p) {
    return (unsigned)p < REDIS_POLICY__COUNT ? policy_names[p] : NULL;
}

typedef enum conf_kind {
    K_BOOL,   /* yes / no (int field) */
    K_INT,    /* a whole number, string2ll's form (int field) */
    K_ULL,    /* the same, in a uint64_t field */
    K_MEMORY, /* bytes with redis.conf's units, memtoull()'s form (uint64_t field) */
    K_ENUM,   /* maxmemory-policy (redis_policy field) */
} conf_kind;

typedef struct conf_row {
    const char *name;
    conf_kind kind;
    size_t offset;
    long long min;
    unsigned long long max;
    unsigned long long def;
    const char *unit; /* for messages: what the number counts */
} conf_row;

#define F(field) offsetof(redis_conf, field)
static const conf_row rows[] = {
    {"maxmemory", K_MEMORY, F(maxmemory), 0, ULLONG_MAX, 0, "bytes"},
    {"maxmemory-policy", K_ENUM, F(maxmemory_policy), 0, 0, REDIS_POLICY_NOEVICTION, NULL},
    {"maxmemory-samples", K_INT, F(maxmemory_samples), 1, INT_MAX, 5, "keys"},
    {"hz", K_INT, F(hz), 0, INT_MAX, 10, "ticks per second"},
    {"active-expire-effort", K_INT, F(active_expire_effort), 1, 10, 1, "effort"},
    {"activedefrag", K_BOOL, F(activedefrag), 0, 1, 0, NULL},
    {"active-defrag-ignore-bytes", K_MEMORY, F(active_defrag_ignore_bytes), 1, LLONG_MAX,
     100ULL << 20, "bytes"},
    {"active-defrag-threshold-lower", K_INT, F(active_defrag_threshold_lower), 0, 1000, 10,
     "percent"},
    {"active-defrag-threshold-upper", K_INT, F(active_defrag_threshold_upper), 0, 1000, 100,
     "percent"},
    {"active-defrag-cycle-min", K_INT, F(active_defrag_cycle_min), 1, 99, 1, "percent of CPU"},
    {"active-defrag-cycle-max", K_INT, F(active_defrag_cycle_max), 1, 99, 25, "percent of CPU"},
    {"active-defrag-max-scan-fields", K_ULL, F(active_defrag_max_scan_fields), 1, LONG_MAX, 1000,
     "fields"},
    {"lazyfree-lazy-eviction", K_BOOL, F(lazyfree_lazy_eviction), 0, 1, 0, NULL},
    {"lazyfree-lazy-expire", K_BOOL, F(lazyfree_lazy_expire), 0, 1, 0, NULL},
    {"lazyfree-lazy-server-del", K_BOOL, F(lazyfree_lazy_server_del), 0, 1, 0, NULL},
    {"lazyfree-lazy-user-del", K_BOOL, F(lazyfree_lazy_user_del), 0, 1, 0, NULL},
    {"lazyfree-lazy-user-flush", K_BOOL, F(lazyfree_lazy_user_flush), 0, 1, 0, NULL},
    {"jemalloc-bg-thread", K_BOOL, F(jemalloc_bg_thread), 0, 1, 1, NULL},
    {"hash-max-listpack-entries", K_ULL, F(hash_max_listpack_entries), 0, LONG_MAX, 512, "fields"},
    {"hash-max-listpack-value", K_MEMORY, F(hash_max_listpack_value), 0, LONG_MAX, 64, "bytes"},
    {"set-max-intset-entries", K_ULL, F(set_max_intset_entries), 0, LONG_MAX, 512, "members"},
    {"zset-max-listpack-entries", K_ULL, F(zset_max_listpack_entries), 0, LONG_MAX, 128,
     "members"},
    {"zset-max-listpack-value", K_MEMORY, F(zset_max_listpack_value), 0, LONG_MAX, 64, "bytes"},
    /* Negative: a node's listpack bytes (-1 4 KB ... -5 64 KB), positive: its
     * elements; Redis takes any int and quicklistSetFill clamps it. */
    {"list-max-listpack-size", K_INT, F(list_max_listpack_size), INT_MIN, INT_MAX,
     (unsigned long long)-2LL, "elements (negative: -1 to -5 for 4 KB to 64 KB nodes)"},
};
#undef F
#define NROWS (sizeof rows / sizeof rows[0])

/* Names Redis 7 still takes for a directive (its config.c's aliases). */
static const struct {
    const char *alias, *name;
} aliases[] = {
    {"hash-max-ziplist-entries", "hash-max-listpack-entries"},
    {"hash-max-ziplist-value", "hash-max-listpack-value"},
    {"zset-max-ziplist-entries", "zset-max-listpack-entries"},
    {"zset-max-ziplist-value", "zset-max-listpack-value"},
    {"list-max-ziplist-size", "list-max-listpack-size"},
};

static const conf_row *find_row(const char *name, size_t len) {
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strlen(aliases[i].alias) == len && strncasecmp(aliases[i].alias, name, len) == 0) {
            name = aliases[i].name;
            len = strlen(name);
        }
    for (size_t i = 0; i < NROWS; i++)
        if (strlen(rows[i].name) == len && strncasecmp(rows[i].name, name, len) == 0)
            return &rows[i];
    return NULL;
}

static void store(redis_conf *c, const conf_row *r, unsigned long long v) {
    char *field = (char *)c + r->offset;
    if (r->kind == K_MEMORY || r->kind == K_ULL) *(uint64_t *)field = v;
    else if (r->kind == K_ENUM) *(redis_policy *)field = (redis_policy)v;
    else *(int *)field = (int)v;
}

static unsigned long long load_field(const redis_conf *c, const conf_row *r) {
    const char *field = (const char *)c + r->offset;
    if (r->kind == K_MEMORY || r->kind == K_ULL) return *(const uint64_t *)field;
    if (r->kind == K_ENUM) return (unsigned long long)*(const redis_policy *)field;
    return (unsigned long long)(long long)*(const int *)field;
}

void redis_conf_default(redis_conf *c) {
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < NROWS; i++) store(c, &rows[i], rows[i].def);
}

/* ---- values, as Redis parses them ---- */

/* string2ll(): '-' allowed, no '+', no leading zeros, no spaces. */
static int parse_ll(const char *s, long long *out) {
    size_t n = strlen(s);
    if (n == 0 || n >= 21) return -1;
    if (n == 1 && s[0] == '0') return *out = 0, 0;
    const char *p = s;
    int neg = *p == '-';
    if (neg) p++;
    if (*p < '1' || *p > '9') return -1;
    unsigned long long v = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9') return -1;
        if (v > (ULLONG_MAX - (unsigned)(*p - '0')) / 10) return -1;
        v = v * 10 + (unsigned)(*p - '0');
    }
    if (neg ? v > (unsigned long long)LLONG_MAX + 1 : v > LLONG_MAX) return -1;
    *out = neg ? (long long)(0 - v) : (long long)v;
    return 0;
}

/* memtoull(): digits and an optional unit b, k (1000), kb (1024), m, mb,
 * g, gb in any case; no sign.  Redis takes "" and "b" as 0, and so does
 * this. */
static int parse_memory(const char *s, unsigned long long *out) {
    static const struct {
        const char *unit;
        unsigned long long mul;
    } units[] = {{"", 1},          {"b", 1},
                 {"k", 1000},      {"kb", 1024},
                 {"m", 1000000},   {"mb", 1024 * 1024},
                 {"g", 1000000000}, {"gb", 1024ULL * 1024 * 1024}};
    const char *u = s;
    while (*u >= '0' && *u <= '9') u++;
    unsigned long long mul = 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcasecmp(u, units[i].unit) == 0) mul = units[i].mul;
    if (mul == 0 || u - s > 100) return -1;
    unsigned long long v = 0;
    for (const char *p = s; p < u; p++) {
        if (v > (ULLONG_MAX - (unsigned)(*p - '0')) / 10) return -1;
        v = v * 10 + (unsigned)(*p - '0');
    }
    if (v > ULLONG_MAX / mul) return -1;
    *out = v * mul;
    return 0;
}

/* Parses value for row r into *out.  Returns 0, or -1 with err saying what
 * was expected (no place: the caller prefixes it). */
static int parse_value(const conf_row *r, const char *value, unsigned long long *out,
                       fs_err *err) {
    char shown[64];
    snprintf(shown, sizeof shown, "%s", value);
    switch (r->kind) {
    case K_BOOL:
        if (strcasecmp(value, "yes") == 0) return *out = 1, 0;
        if (strcasecmp(value, "no") == 0) return *out = 0, 0;
        return fs_errf(err, "%s '%s': expected yes or no", r->name, shown);
    case K_ENUM:
        for (int i = 0; i < REDIS_POLICY__COUNT; i++)
            if (strcasecmp(value, policy_names[i]) == 0) return *out = (unsigned long long)i, 0;
        return fs_errf(err, "%s '%s': expected one of noeviction, allkeys-lru, allkeys-lfu, "
                       "allkeys-random, volatile-lru, volatile-lfu, volatile-random, "
                       "volatile-ttl", r->name, shown);
    case K_MEMORY: {
        unsigned long long v;
        if (parse_memory(value, &v) != 0 || v < (unsigned long long)r->min || v > r->max)
            return fs_errf(err, "%s '%s': expected %s from %lld to %llu, with an optional unit "
                           "as redis.conf writes them (1k = 1000, 1kb = 1024; mb, gb)", r->name,
                           shown, r->unit, r->min, r->max);
        return *out = v, 0;
    }
    case K_INT:
    case K_ULL: {
        long long v;
        if (parse_ll(value, &v) != 0 || v < r->min || (v > 0 && (unsigned long long)v > r->max))
            return fs_errf(err, "%s '%s': expected a whole number of %s from %lld to %llu%s",
                           r->name, shown, r->unit, r->min, r->max,
                           strcmp(r->name, "hz") == 0 ? " (Redis caps it to 1..500)" : "");
        return *out = (unsigned long long)v, 0;
    }
    }
    return fs_errf(err, "%s: unknown kind of directive", r->name);
}

static void note(redis_conf_notes *notes, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void note(redis_conf_notes *notes, const char *fmt, ...) {
    if (notes == NULL) return;
    size_t len = strlen(notes->text);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(notes->text + len, sizeof notes->text - len, fmt, ap);
    va_end(ap);
    len = strlen(notes->text);
    if (len + 1 < sizeof notes->text) notes->text[len] = '\n', notes->text[len + 1] = '\0';
}

/* Applies a checked value, with what Redis does beyond checking. */
static void apply(redis_conf *c, const conf_row *r, unsigned long long v, const char *where,
                  redis_conf_notes *notes) {
    if (strcmp(r->name, "hz") == 0 && (v < REDIS_HZ_MIN || v > REDIS_HZ_MAX)) {
        unsigned long long capped = v < REDIS_HZ_MIN ? REDIS_HZ_MIN : REDIS_HZ_MAX;
        note(notes, "%s: hz %llu is taken as %llu, as Redis caps it to %d..%d", where, v, capped,
             REDIS_HZ_MIN, REDIS_HZ_MAX);
        v = capped;
    }
    store(c, r, v);
}

int redis_conf_set(redis_conf *c, const char *name, const char *value, fs_err *err) {
    const conf_row *r = find_row(name, strlen(name));
    if (r == NULL) {
        char names[1024] = "";
        for (size_t i = 0; i < NROWS; i++)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "",
                     rows[i].name);
        return fs_errf(err, "unknown Redis setting '%s': fragsim models %s", name, names);
    }
    unsigned long long v;
    if (parse_value(r, value, &v, err) != 0) return -1;
    apply(c, r, v, "setting", NULL);
    return 0;
}

void redis_conf_each(const redis_conf *c, void (*fn)(void *arg, const char *name,
                                                     const char *value), void *arg) {
    for (size_t i = 0; i < NROWS; i++) {
        const conf_row *r = &rows[i];
        unsigned long long v = load_field(c, r);
        char buf[32];
        if (r->kind == K_BOOL) snprintf(buf, sizeof buf, "%s", v ? "yes" : "no");
        else if (r->kind == K_ENUM) snprintf(buf, sizeof buf, "%s", redis_policy_name((redis_policy)v));
        else if (r->kind == K_INT) snprintf(buf, sizeof buf, "%lld", (long long)v);
        else snprintf(buf, sizeof buf, "%llu", v);
        fn(arg, r->name, buf);
    }
}

/* ---- lines and arguments ---- */

typedef struct line_args {
    int argc;                   /* every argument, kept or not */
    char *argv[LINE_ARGS_MAX];  /* NUL-terminated, decoded in place */
    size_t len[LINE_ARGS_MAX];  /* decoded lengths (an argument may hold \x00) */
} line_args;

static int is_hex(char c) { return isxdigit((unsigned char)c) != 0; }
static int hex_val(char c) {
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* sdssplitargs() on a NUL-terminated line, decoding each argument in place
 * (a decoded argument is never longer than its source).  Returns 0, or -1
 * for unbalanced quotes or a closing quote not followed by a space. */
static int split_args(char *line, line_args *a) {
    char *p = line, *w = line;
    a->argc = 0;
    for (;;) {
        while (*p && isspace((unsigned char)*p)) p++;
        if (*p == '\0') return 0;
        char *start = w;
        int inq = 0, insq = 0, done = 0;
        while (!done) {
            if (inq) {
                if (p[0] == '\\' && p[1] == 'x' && is_hex(p[2]) && is_hex(p[3])) {
                    *w++ = (char)(hex_val(p[2]) * 16 + hex_val(p[3]));
                    p += 3;
                } else if (p[0] == '\\' && p[1]) {
                    p++;
                    switch (*p) {
                    case 'n': *w++ = '\n'; break;
                    case 'r': *w++ = '\r'; break;
                    case 't': *w++ = '\t'; break;
                    case 'b': *w++ = '\b'; break;
                    case 'a': *w++ = '\a'; break;
                    default: *w++ = *p; break;
                    }
                } else if (*p == '"') {
                    if (p[1] && !isspace((unsigned char)p[1])) return -1;
                    done = 1;
                } else if (*p == '\0') {
                    return -1;
                } else {
                    *w++ = *p;
                }
            } else if (insq) {
                if (p[0] == '\\' && p[1] == '\'') {
                    p++;
                    *w++ = '\'';
                } else if (*p == '\'') {
                    if (p[1] && !isspace((unsigned char)p[1])) return -1;
                    done = 1;
                } else if (*p == '\0') {
                    return -1;
                } else {
                    *w++ = *p;
                }
            } else {
                switch (*p) {
                case ' ': case '\n': case '\r': case '\t': case '\0': done = 1; break;
                case '"': inq = 1; break;
                case '\'': insq = 1; break;
                default: *w++ = *p; break;
                }
            }
            if (*p) p++;
        }
        if (a->argc < LINE_ARGS_MAX) {
            a->argv[a->argc] = start;
            a->len[a->argc] = (size_t)(w - start);
        }
        a->argc++;
        /* The decoded argument is never longer than its source, so w is
         * behind p, or at the line's own NUL when the line ended: the NUL
         * overwrites nothing still to be read. */
        *w++ = '\0';
    }
}

/* Adds name to the ignored list once. */
static void ignore(redis_conf_notes *notes, const char *name) {
    if (notes == NULL) return;
    size_t n = strlen(name);
    for (const char *s = notes->ignored; *s;) {
        const char *end = strstr(s, ", ");
        size_t k = end ? (size_t)(end - s) : strlen(s);
        if (k == n && memcmp(s, name, n) == 0) return;
        if (end == NULL) break;
        s = end + 2;
    }
    size_t len = strlen(notes->ignored);
    if (len + n + 3 > sizeof notes->ignored) {
        notes->nignored_cut++;
        return;
    }
    snprintf(notes->ignored + len, sizeof notes->ignored - len, "%s%s", len ? ", " : "", name);
    notes->nignored++;
}

/* ---- files ---- */

typedef struct conf_file {
    char *buf;
    size_t len, cap; /* cap: the mapping's size */
} conf_file;

/* Reads a whole file (or standard input) into engine memory, NUL-terminated. */
static int read_file(const char *path, conf_file *f, fs_err *err) {
    int is_stdin = strcmp(path, "-") == 0;
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fs_errf(err, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    size_t cap = 1 << 16;
    if (!is_stdin && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size + 2 > cap)
        cap = (size_t)st.st_size + 2; /* + the NUL, + room to see the end */
    f->buf = emem_map(cap);
    f->cap = cap;
    f->len = 0;
    int rc = f->buf ? 0 : fs_errf(err, "cannot map a buffer for '%s'", path);
    while (rc == 0) {
        if (f->len + 1 == f->cap) {
            if (f->cap >= CONF_FILE_MAX) {
                rc = fs_errf(err, "'%s' is larger than %zu MiB: not a configuration file", path,
                             CONF_FILE_MAX >> 20);
                break;
            }
            char *b = emem_remap(f->buf, f->cap, f->cap * 2);
            if (b == NULL) {
                rc = fs_errf(err, "cannot map a buffer for '%s'", path);
                break;
            }
            f->buf = b;
            f->cap *= 2;
        }
        ssize_t k = read(fd, f->buf + f->len, f->cap - 1 - f->len);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) rc = fs_errf(err, "cannot read '%s': %s", path, strerror(errno));
        else if (k == 0) break;
        else f->len += (size_t)k;
    }
    if (!is_stdin) close(fd);
    if (rc != 0 && f->buf != NULL) emem_unmap(f->buf, f->cap);
    if (rc == 0) f->buf[f->len] = '\0';
    return rc;
}

static int load_file(redis_conf *c, const char *path, int depth, redis_conf_notes *notes,
                     fs_err *err);

/* `include PATH`: a file, or every file a wildcard pattern matches, in
 * glob's sorted order; a pattern matching nothing includes nothing (as in
 * Redis). */
static int include(redis_conf *c, const char *where, const char *path, int depth,
                   redis_conf_notes *notes, fs_err *err) {
    if (depth >= INCLUDE_DEPTH_MAX)
        return fs_errf(err, "%s: include '%s': includes nested deeper than %d (a file that "
                       "includes itself?)", where, path, INCLUDE_DEPTH_MAX);
    if (strpbrk(path, "*?[") == NULL) {
        if (load_file(c, path, depth + 1, notes, err) != 0)
            return fs_err_prefix(err, "%s: include", where);
        return 0;
    }
    glob_t g;
    int rc = glob(path, 0, NULL, &g);
    if (rc == GLOB_NOMATCH) return 0;
    if (rc != 0) return fs_errf(err, "%s: include '%s': cannot list the files it names", where, path);
    for (size_t i = 0; i < g.gl_pathc && rc == 0; i++) {
        rc = load_file(c, g.gl_pathv[i], depth + 1, notes, err);
        if (rc != 0) fs_err_prefix(err, "%s: include", where);
    }
    globfree(&g);
    return rc;
}

/* loadServerConfigFromString() for one line (NUL-terminated, not trimmed). */
static int load_line(redis_conf *c, char *line, const char *where, int depth,
                     redis_conf_notes *notes, fs_err *err) {
    /* sdstrim(" \t\r\n") on both ends. */
    while (*line == ' ' || *line == '\t' || *line == '\r' || *line == '\n') line++;
    size_t n = strlen(line);
    while (n > 0 && strchr(" \t\r\n", line[n - 1]) != NULL) line[--n] = '\0';
    if (n == 0 || line[0] == '#') return 0;
    line_args a;
    if (split_args(line, &a) != 0)
        return fs_errf(err, "%s: unbalanced quotes (a closing quote must end its argument)", where);
    if (a.argc == 0) return 0;
    for (char *s = a.argv[0]; *s; s++) *s = (char)tolower((unsigned char)*s);
    const char *name = a.argv[0];
    const conf_row *r = find_row(name, a.len[0]);
    if (r != NULL) {
        if (a.argc != 2)
            return fs_errf(err, "%s: %s takes one value, found %d (Redis: wrong number of "
                           "arguments)", where, r->name, a.argc - 1);
        unsigned long long v;
        if (parse_value(r, a.argv[1], &v, err) != 0) return fs_err_prefix(err, "%s", where);
        apply(c, r, v, where, notes);
        if (strcmp(r->name, "activedefrag") == 0 && v)
            note(notes, "%s: activedefrag yes: modelled as Redis does it with its own jemalloc "
                 "(a Redis built on the system's jemalloc, like Debian's, refuses it)", where);
        return 0;
    }
    if (strcmp(name, "include") == 0) {
        if (a.argc != 2)
            return fs_errf(err, "%s: include takes one path, found %d", where, a.argc - 1);
        return include(c, where, a.argv[1], depth, notes, err);
    }
    ignore(notes, name);
    return 0;
}

static int load_file(redis_conf *c, const char *path, int depth, redis_conf_notes *notes,
                     fs_err *err) {
    conf_file f = {0};
    if (read_file(path, &f, err) != 0) return -1;
    int rc = 0;
    unsigned long line = 0;
    const char *shown = strcmp(path, "-") == 0 ? "standard input" : path;
    for (char *s = f.buf; rc == 0 && s < f.buf + f.len;) {
        char *nl = memchr(s, '\n', (size_t)(f.buf + f.len - s));
        char *end = nl ? nl : f.buf + f.len;
        *end = '\0';
        line++;
        char where[600];
        snprintf(where, sizeof where, "%s:%lu", shown, line);
        rc = load_line(c, s, where, depth, notes, err);
        s = end + 1;
    }
    emem_unmap(f.buf, f.cap);
    return rc;
}

int redis_conf_load(redis_conf *c, const char *path, redis_conf_notes *notes, fs_err *err) {
    if (notes != NULL) memset(notes, 0, sizeof *notes);
    /* Into a copy: a file with an error changes nothing. */
    redis_conf tmp = *c;
    if (load_file(&tmp, path, 0, notes, err) != 0) return -1;
    *c = tmp;
    if (notes != NULL && notes->nignored > 0) {
        if (notes->nignored_cut > 0)
            note(notes, "ignored (fragsim does not model them): %s and %zu more", notes->ignored,
                 notes->nignored_cut);
        else
            note(notes, "ignored (fragsim does not model them): %s", notes->ignored);
    }
    return 0;
}
