/* MONITOR lines: splitting and decoding them, the time and database they
 * carry, emitting events, and counting what was not translated.  The
 * commands themselves are in import_monitor_cmds.c.
 *
 * A line, as Redis's replicationFeedMonitors() writes it and redis-cli
 * prints it (without the leading '+'):
 *
 *   <seconds>.<microseconds> [<db> <client>] "arg0" "arg1" ...
 *
 * <client> is ip:port ("[::1]:6379" for IPv6, brackets included), "lua"
 * for a script's commands or "unix:<path>".  Each argument is sdscatrepr()'s
 * quoting: printable bytes as they are, \\ \" \n \r \t \a \b, and \xHH for
 * every other byte. */
#define _GNU_SOURCE
#include "import_monitor.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "import_monitor_int.h"

import_monitor *import_monitor_new(const char *path, import_monitor_sink sink, void *arg) {
    import_monitor *im = calloc(1, sizeof *im);
    if (im == NULL) return NULL;
    snprintf(im->path, sizeof im->path, "%s", path);
    im->sink = sink;
    im->sink_arg = arg;
    imk_init(&im->keys);
    return im;
}

void import_monitor_free(import_monitor *im) {
    if (im == NULL) return;
    imk_free(&im->keys);
    free(im->argv);
    free(im->keybuf);
    free(im->untranslated);
    free(im);
}

const import_monitor_stats *import_monitor_get_stats(const import_monitor *im) {
    return &im->stats;
}

/* ---- events ---- */

int im_key_fits(const import_monitor *im, size_t keylen) {
    char prefix[24];
    size_t extra = im->db == 0 ? 0 : (size_t)snprintf(prefix, sizeof prefix, "db%d:", im->db);
    return keylen + extra <= TRACE_KEY_MAX;
}

/* The event's key: the key itself in database 0, "dbN:key" in database N,
 * so that databases stay apart in the trace's single keyspace. */
static const char *event_key(import_monitor *im, const char *key, size_t keylen, size_t *outlen) {
    if (im->db == 0) {
        *outlen = keylen;
        return key;
    }
    char prefix[24];
    size_t plen = (size_t)snprintf(prefix, sizeof prefix, "db%d:", im->db);
    if (plen + keylen > im->keybuf_cap) {
        size_t cap = plen + keylen + 64;
        char *b = realloc(im->keybuf, cap);
        if (b == NULL) return NULL;
        im->keybuf = b;
        im->keybuf_cap = cap;
    }
    memcpy(im->keybuf, prefix, plen);
    memcpy(im->keybuf + plen, key, keylen);
    *outlen = plen + keylen;
    return im->keybuf;
}

static int sink_event(import_monitor *im, trace_event *ev) {
    ev->time_us = im->now_us;
    if (im->sink(im->sink_arg, ev, im->err) != 0) return -1;
    im->stats.events++;
    im->last_event_us = im->now_us;
    return 0;
}

/* An event of the current database's key (and field or member, for the
 * typed operations; score, ZADD's). */
static int emit(import_monitor *im, trace_op op, const char *key, size_t keylen,
                const char *field, size_t fieldlen, uint64_t size, int64_t ttl_us,
                double score) {
    trace_event ev;
    memset(&ev, 0, sizeof ev);
    ev.op = op;
    size_t n;
    ev.key = event_key(im, key, keylen, &n);
    if (ev.key == NULL) return fs_errf(im->err, "out of memory");
    ev.keylen = (uint32_t)n;
    ev.field = field;
    ev.fieldlen = (uint32_t)fieldlen;
    ev.size = size;
    ev.score = score;
    /* The trace's bound: a TTL past 100 years fires within no trace, so the
     * bound changes nothing a replay could see. */
    ev.ttl_us = ttl_us > TRACE_TTL_MAX_US ? TRACE_TTL_MAX_US : ttl_us;
    ev.cond = TRACE_COND_NONE;
    return sink_event(im, &ev);
}

int im_emit(import_monitor *im, trace_op op, const char *key, size_t keylen, uint64_t size,
            int64_t ttl_us) {
    return emit(im, op, key, keylen, NULL, 0, size, ttl_us, 0);
}

int im_emit_field(import_monitor *im, trace_op op, const char *key, size_t keylen,
                  const char *field, size_t fieldlen, uint64_t size) {
    return emit(im, op, key, keylen, field, fieldlen, size, TRACE_TTL_NONE, 0);
}

int im_emit_ltrim(import_monitor *im, const char *key, size_t keylen, int64_t start,
                  int64_t stop) {
    trace_event ev;
    memset(&ev, 0, sizeof ev);
    ev.op = TRACE_OP_LTRIM;
    size_t n;
    if ((ev.key = event_key(im, key, keylen, &n)) == NULL) return fs_errf(im->err, "out of memory");
    ev.keylen = (uint32_t)n;
    ev.ttl_us = TRACE_TTL_NONE;
    ev.start = start;
    ev.stop = stop;
    return sink_event(im, &ev);
}

int im_emit_zadd(import_monitor *im, const char *key, size_t keylen, const char *member,
                 size_t memberlen, double score) {
    return emit(im, TRACE_OP_ZADD, key, keylen, member, memberlen, 0, TRACE_TTL_NONE, score);
}

int im_emit_purge(import_monitor *im) {
    trace_event ev;
    memset(&ev, 0, sizeof ev);
    ev.op = TRACE_OP_PURGE;
    ev.ttl_us = TRACE_TTL_NONE;
    return sink_event(im, &ev);
}

/* ---- what was not translated ---- */

/* Counts the command (its name in capitals) or im->label when set. */
static int count_untranslated(import_monitor *im, const im_arg *cmd) {
    char name[sizeof im->untranslated->name];
    size_t n;
    if (im->label[0] != '\0') {
        n = strlen(im->label);
        memcpy(name, im->label, n + 1);
    } else {
        n = cmd->len < sizeof name - 1 ? cmd->len : sizeof name - 1;
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)cmd->p[i];
            name[i] = isprint(c) ? (char)toupper(c) : '?';
        }
        name[n] = '\0';
    }
    im->stats.untranslated++;
    for (size_t i = 0; i < im->nuntranslated; i++) {
        if (strcmp(im->untranslated[i].name, name) == 0) {
            im->untranslated[i].count++;
            im->untranslated_sorted = 0;
            return 0;
        }
    }
    if (im->nuntranslated == im->untranslated_cap) {
        size_t cap = im->untranslated_cap ? im->untranslated_cap * 2 : 16;
        import_monitor_count *l = realloc(im->untranslated, cap * sizeof *l);
        if (l == NULL) return fs_errf(im->err, "out of memory");
        im->untranslated = l;
        im->untranslated_cap = cap;
    }
    import_monitor_count *row = &im->untranslated[im->nuntranslated++];
    memcpy(row->name, name, n + 1);
    row->count = 1;
    im->untranslated_sorted = 0;
    return 0;
}

static int by_count(const void *a, const void *b) {
    const import_monitor_count *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return strcmp(x->name, y->name);
}

size_t import_monitor_untranslated(import_monitor *im, const import_monitor_count **list) {
    if (!im->untranslated_sorted && im->nuntranslated > 1)
        qsort(im->untranslated, im->nuntranslated, sizeof *im->untranslated, by_count);
    im->untranslated_sorted = 1;
    *list = im->untranslated;
    return im->nuntranslated;
}

int import_monitor_key(import_monitor *im, int db, const char *key, uint32_t keylen,
                       uint64_t *size, int64_t *expire_us) {
    imk_entry *e = imk_find(&im->keys, db, key, keylen, im->now_us);
    if (e == NULL) return 0;
    *size = e->size;
    *expire_us = e->expire_us;
    return 1;
}

/* ---- parsing a line ---- */

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int push_arg(import_monitor *im, char *p, size_t len) {
    if (im->argc == im->argv_cap) {
        size_t cap = im->argv_cap ? im->argv_cap * 2 : 16;
        im_arg *a = realloc(im->argv, cap * sizeof *a);
        if (a == NULL) return -1;
        im->argv = a;
        im->argv_cap = cap;
    }
    im->argv[im->argc].p = p;
    im->argv[im->argc].len = len;
    im->argc++;
    return 0;
}

/* Parses the timestamp: digits, then optionally '.' and 1 to 6 digits
 * (Redis always writes 6).  Returns the index past it, or 0. */
static size_t parse_time(const char *s, size_t len, int64_t *us) {
    size_t i = 0;
    int64_t sec = 0, frac = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        sec = sec * 10 + (s[i++] - '0');
        if (sec > 1000000000000LL) return 0; /* beyond the trace format's times */
    }
    if (i == 0) return 0;
    if (i < len && s[i] == '.') {
        size_t start = ++i;
        int64_t scale = 100000;
        while (i < len && s[i] >= '0' && s[i] <= '9' && i - start < 6) {
            frac += (s[i++] - '0') * scale;
            scale /= 10;
        }
        if (i == start || (i < len && s[i] >= '0' && s[i] <= '9')) return 0;
    }
    *us = sec * TRACE_US_PER_S + frac;
    return i;
}

/* Splits and decodes a line into im->argv, im->db and the time.  Returns
 * NULL, or what is wrong with the line. */
static const char *parse_line(import_monitor *im, char *s, size_t len, int64_t *us) {
    size_t i = parse_time(s, len, us);
    if (i == 0) return "no timestamp";
    if (i + 2 > len || s[i] != ' ' || s[i + 1] != '[') return "no '[db client]' after the time";
    i += 2;
    long long db = 0;
    size_t d0 = i;
    while (i < len && s[i] >= '0' && s[i] <= '9' && i - d0 < 10) db = db * 10 + (s[i++] - '0');
    if (i == d0 || db > 1000000000 || i >= len || s[i] != ' ')
        return "no database number after '['";
    /* The client ends at the first ']' followed by ' "': an IPv6 address
     * has brackets of its own ("[::1]:6379"). */
    size_t c0 = ++i;
    while (i + 2 < len && !(s[i] == ']' && s[i + 1] == ' ' && s[i + 2] == '"')) i++;
    if (i + 2 >= len || i == c0) return "no client and ']' before the arguments";
    im->db = (int)db;
    i += 2;
    im->argc = 0;
    while (i < len) {
        if (s[i] != '"') return "an argument not in double quotes";
        i++;
        char *start = s + i, *o = start;
        for (;;) {
            if (i >= len) return "an argument without its closing quote";
            char c = s[i];
            if (c == '"') break;
            if (c != '\\') {
                *o++ = c;
                i++;
                continue;
            }
            if (i + 1 >= len) return "an argument without its closing quote";
            switch (s[i + 1]) {
            case '\\': *o++ = '\\'; break;
            case '"': *o++ = '"'; break;
            case 'n': *o++ = '\n'; break;
            case 'r': *o++ = '\r'; break;
            case 't': *o++ = '\t'; break;
            case 'a': *o++ = '\a'; break;
            case 'b': *o++ = '\b'; break;
            case 'x': {
                int hi = i + 2 < len ? hexval(s[i + 2]) : -1;
                int lo = i + 3 < len ? hexval(s[i + 3]) : -1;
                if (hi < 0 || lo < 0) return "a \\x escape without two hex digits";
                *o++ = (char)(hi << 4 | lo);
                i += 2;
                break;
            }
            default: return "an unknown escape (Redis writes \\\\ \\\" \\n \\r \\t \\a \\b \\xHH)";
            }
            i += 2;
        }
        if (push_arg(im, start, (size_t)(o - start)) != 0) return "out of memory";
        i++; /* the closing quote */
        if (i < len) {
            if (s[i] != ' ') return "no space after an argument's closing quote";
            i++;
            if (i == len) return "a space at the end of the line";
        }
    }
    if (im->argc == 0) return "no command";
    return NULL;
}

int import_monitor_feed(import_monitor *im, char *line, size_t len, fs_err *err) {
    im->err = err;
    uint64_t lineno = ++im->stats.lines;
    if (len > 0 && line[len - 1] == '\r') len--;
    if (len == 0) return 0;
    /* redis-cli prints MONITOR's "+OK" reply first. */
    if (lineno == 1 && len == 2 && memcmp(line, "OK", 2) == 0) return 0;

    char shown[48];
    size_t k = len < 40 ? len : 40;
    for (size_t i = 0; i < k; i++) shown[i] = isprint((unsigned char)line[i]) ? line[i] : '?';
    snprintf(shown + k, sizeof shown - k, "%s", len > 40 ? "..." : "");

    int64_t us;
    const char *why = parse_line(im, line, len, &us);
    if (why != NULL && im->last_cut) {
        im->stats.cut_line = lineno;
        return 0;
    }
    if (why != NULL)
        return fs_errf(err, "%s:%llu: not MONITOR output (%s): expected '<seconds>.<micro> "
                       "[<db> <client>] \"COMMAND\" \"arg\" ...', found '%s'", im->path,
                       (unsigned long long)lineno, why, shown);
    if (im->have_time && us < im->now_us) {
        im->stats.time_clamped++;
        us = im->now_us;
    }
    im->now_us = us;
    im->have_time = 1;
    im->stats.commands++;
    im->events_before = im->stats.events;
    im->label[0] = '\0';

    int rc = im_translate(im);
    if (rc < 0) {
        fs_err_prefix(err, "%s:%llu", im->path, (unsigned long long)lineno);
        return -1;
    }
    if (rc == IM_REJECTED) im->stats.rejected++;
    else if (rc == IM_UNTRANSLATED) return count_untranslated(im, &im->argv[0]);
    else if (im->stats.events == im->events_before) im->stats.no_effect++;
    return 0;
}

/* What redis-cli prints when the server closes the connection under
 * MONITOR (redis-cli.c, cliReadReply), the capture's last line then. */
static const char closing_error[] = "Error: Server closed the connection";

int import_monitor_read(import_monitor *im, FILE *f, fs_err *err) {
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    errno = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        int newline = n > 0 && line[n - 1] == '\n';
        if (newline) n--;
        size_t len = (size_t)n;
        if (len > 0 && line[len - 1] == '\r') len--;
        if (im->stats.closing_line != 0 && len > 0) {
            /* Not the end after all: the line is what it is, an error. */
            rc = fs_errf(err, "%s:%llu: not MONITOR output: '%s' and then more lines (redis-cli "
                         "prints it last, when the server closes the connection)", im->path,
                         (unsigned long long)im->stats.closing_line, closing_error);
            break;
        }
        if (len == sizeof closing_error - 1 && memcmp(line, closing_error, len) == 0) {
            im->stats.closing_line = ++im->stats.lines;
            continue;
        }
        im->last_cut = !newline;
        if ((rc = import_monitor_feed(im, line, (size_t)n, err)) != 0) break;
        errno = 0;
    }
    im->last_cut = 0;
    if (rc == 0 && ferror(f))
        rc = fs_errf(err, "%s:%llu: read error: %s", im->path,
                     (unsigned long long)im->stats.lines + 1, strerror(errno ? errno : EIO));
    free(line);
    if (rc == 0) rc = import_monitor_end(im, err);
    return rc;
}

int import_monitor_end(import_monitor *im, fs_err *err) {
    im->err = err;
    if (im->stats.events == 0 || im->now_us <= im->last_event_us) return 0;
    trace_event ev;
    memset(&ev, 0, sizeof ev);
    ev.op = TRACE_OP_TICK;
    ev.ttl_us = TRACE_TTL_NONE;
    return sink_event(im, &ev);
}
