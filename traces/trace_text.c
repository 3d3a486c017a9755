/* Reader and writer for the text trace, version 1.  The reader is a
 * streaming line splitter over a buffer in engine memory: one read from the
 * trace source fills it, lines are parsed in place, and a partial last line
 * moves to the front before the next read. */
#include "trace_text.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../sim/base/emem.h"

/* A line can hold a 64 KiB key written as %HH (three bytes per byte). */
#define TEXT_BUF ((size_t)1 << 20)

typedef struct text_state {
    trace_source *src;
    char path[512];
    char *buf;        /* TEXT_BUF bytes */
    size_t pos, len;  /* unparsed bytes are buf[pos..len) */
    int eof;
    uint64_t line;    /* number of the line last parsed */
    char *key;        /* decoded key of the last event, TRACE_KEY_MAX bytes */
    char *field;      /* decoded field of the last HSET / HDEL, as many */
} text_state;

int trace_text_detect(const unsigned char *head, size_t n) {
    size_t m = strlen(TRACE_TEXT_MAGIC);
    return n >= m && memcmp(head, TRACE_TEXT_MAGIC, m) == 0 &&
           (n == m || head[m] == '\n' || head[m] == '\r' || head[m] == ' ' || head[m] == '\t');
}

static void text_where(trace_reader *r, char *buf, size_t n) {
    text_state *s = r->state;
    snprintf(buf, n, "%s:%llu", s->path, (unsigned long long)s->line);
}

static void text_close(trace_reader *r) {
    text_state *s = r->state;
    if (s == NULL) return;
    trace_source_close(s->src);
    emem_unmap(s->buf, TEXT_BUF);
    emem_unmap(s->key, TRACE_KEY_MAX);
    if (s->field != NULL) emem_unmap(s->field, TRACE_KEY_MAX);
    emem_unmap(s, sizeof *s);
}

/* A NUL byte would silently end the line where C strings end: refuse it.
 * Returns line, or NULL (and -1 in *rc) when it holds one. */
static char *no_nul(text_state *s, char *line, size_t n, int *rc, fs_err *err) {
    const char *z = memchr(line, '\0', n);
    if (z == NULL) return line;
    *rc = -1;
    fs_errf(err, "%s:%llu: a NUL byte at column %zu: a text trace holds no binary data (is "
            "this a binary trace? --format binary)", s->path, (unsigned long long)s->line,
            (size_t)(z - line) + 1);
    return NULL;
}

/* Returns a pointer to the next line (NUL-terminated, without its newline)
 * or NULL at the end of input; -1 in *rc on a read error, an overlong line
 * or a NUL byte. */
static char *next_line(text_state *s, int *rc, fs_err *err) {
    *rc = 0;
    for (;;) {
        char *start = s->buf + s->pos;
        char *nl = memchr(start, '\n', s->len - s->pos);
        if (nl != NULL) {
            *nl = '\0';
            s->pos = (size_t)(nl - s->buf) + 1;
            s->line++;
            if (no_nul(s, start, (size_t)(nl - start), rc, err) == NULL) return NULL;
            if (nl > start && nl[-1] == '\r') nl[-1] = '\0';
            return start;
        }
        if (s->eof) {
            if (s->pos == s->len) return NULL;
            /* Last line without a newline: terminate it in place. */
            s->buf[s->len] = '\0';
            s->pos = s->len;
            s->line++;
            return no_nul(s, start, (size_t)(s->buf + s->len - start), rc, err);
        }
        /* Move the partial line to the front and read more. */
        size_t rest = s->len - s->pos;
        if (rest >= TEXT_BUF - 1) {
            *rc = -1;
            fs_errf(err, "%s:%llu: line longer than %zu bytes", s->path,
                    (unsigned long long)s->line + 1, TEXT_BUF - 1);
            return NULL;
        }
        memmove(s->buf, start, rest);
        s->pos = 0;
        s->len = rest;
        ssize_t k = trace_source_read(s->src, s->buf + s->len, TEXT_BUF - 1 - s->len, err);
        if (k < 0) {
            *rc = -1;
            fs_err_prefix(err, "%s:%llu", s->path, (unsigned long long)s->line + 1);
            return NULL;
        }
        if (k == 0) s->eof = 1;
        s->len += (size_t)k;
    }
}

/* Splits off the next whitespace-separated field; returns its length (0 at
 * the end of the line). */
static size_t next_field(char **p, char **field) {
    char *s = *p;
    while (*s == ' ' || *s == '\t') s++;
    *field = s;
    while (*s != '\0' && *s != ' ' && *s != '\t') s++;
    size_t n = (size_t)(s - *field);
    *p = s;
    return n;
}

/* Parses "SECONDS[.FRACTION]" into microseconds, rounding past the sixth
 * decimal.  No sign, no exponent: traces are written by programs, and a
 * strict grammar catches a misaligned column early. */
static int parse_seconds(const char *f, size_t n, int64_t *us) {
    const int64_t max_s = TRACE_TIME_MAX_S;
    int64_t whole = 0, frac = 0;
    size_t i = 0, ndig = 0;
    for (; i < n && f[i] >= '0' && f[i] <= '9'; i++, ndig++) {
        whole = whole * 10 + (f[i] - '0');
        if (whole > max_s) return -1;
    }
    if (i < n && f[i] == '.') {
        i++;
        int64_t scale = 100000;
        int round_up = 0;
        size_t fd = 0;
        for (; i < n && f[i] >= '0' && f[i] <= '9'; i++, fd++) {
            if (fd < 6) frac += (f[i] - '0') * scale, scale /= 10;
            else if (fd == 6) round_up = f[i] >= '5';
        }
        ndig += fd;
        frac += round_up;
    }
    if (i != n || ndig == 0) return -1;
    *us = whole * TRACE_US_PER_S + frac;
    return 0;
}

static int parse_size(const char *f, size_t n, uint64_t *out) {
    uint64_t v = 0;
    if (n == 0 || n > 19) return -1;
    for (size_t i = 0; i < n; i++) {
        if (f[i] < '0' || f[i] > '9') return -1;
        v = v * 10 + (uint64_t)(f[i] - '0');
    }
    *out = v;
    return 0;
}

/* A list index as LTRIM reads it (getLongFromObjectOrReply: an optional
 * '-', digits, within a long).  Returns 0 or -1. */
static int parse_index(const char *f, size_t n, int64_t *out) {
    int neg = n > 0 && f[0] == '-';
    uint64_t v;
    if (parse_size(f + neg, n - (size_t)neg, &v) != 0 || v > (uint64_t)INT64_MAX) return -1;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 0;
}

/* NX or XX (either case); TRACE_COND_NONE for anything else. */
static trace_cond parse_cond(const char *f, size_t n) {
    if (n != 2 || (f[1] != 'x' && f[1] != 'X')) return TRACE_COND_NONE;
    if (f[0] == 'n' || f[0] == 'N') return TRACE_COND_NX;
    if (f[0] == 'x' || f[0] == 'X') return TRACE_COND_XX;
    return TRACE_COND_NONE;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes a percent-encoded key; returns its length or -1. */
static long decode_key(const char *f, size_t n, char *out) {
    if (n == 1 && f[0] == '%') return 0; /* the empty key */
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (o >= TRACE_KEY_MAX) return -1;
        if (f[i] == '%') {
            int hi, lo;
            if (i + 2 >= n) return -1;
            hi = hexval(f[i + 1]);
            lo = hexval(f[i + 2]);
            if (hi < 0 || lo < 0) return -1;
            out[o++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            out[o++] = f[i];
        }
    }
    return (long)o;
}

#define LINE_ERR(...) \
    (fs_errf(err, "%s:%llu: ", s->path, (unsigned long long)s->line), \
     snprintf(err->msg + strlen(err->msg), sizeof err->msg - strlen(err->msg), __VA_ARGS__), -1)

static int text_next(trace_reader *r, trace_event *ev, fs_err *err) {
    text_state *s = r->state;
    for (;;) {
        int rc;
        char *line = next_line(s, &rc, err);
        if (line == NULL) return rc;
        char *p = line, *f;
        size_t n = next_field(&p, &f);
        if (n == 0 || f[0] == '#') continue; /* blank line or comment */

        memset(ev, 0, sizeof *ev);
        ev->ttl_us = TRACE_TTL_NONE;
        if (parse_seconds(f, n, &ev->time_us) != 0)
            return LINE_ERR("expected a timestamp in seconds (like 12 or 12.5), found '%.*s'",
                            (int)(n > 40 ? 40 : n), f);
        n = next_field(&p, &f);
        if (n == 0) return LINE_ERR("expected an operation after the timestamp");
        int op = trace_op_parse(f, (uint32_t)n);
        if (op < 0)
            return LINE_ERR("unknown operation '%.*s': expected SET, DEL, EXPIRE, PERSIST, "
                            "GET, APPEND, HSET, HDEL, SADD, SREM, ZADD, ZREM, LPUSH, RPUSH, "
                            "LPOP, RPOP, LTRIM, PURGE or TICK",
                            (int)(n > 40 ? 40 : n), f);
        ev->op = (trace_op)op;
        const char *opname = trace_op_name(ev->op);

        if (op != TRACE_OP_PURGE && op != TRACE_OP_TICK) {
            n = next_field(&p, &f);
            if (n == 0) return LINE_ERR("%s needs a key", opname);
            long k = decode_key(f, n, s->key);
            if (k < 0)
                return LINE_ERR("bad key '%.*s': expected at most %u bytes, with odd bytes "
                                "written %%HH (two hex digits)", (int)(n > 40 ? 40 : n), f,
                                TRACE_KEY_MAX);
            ev->key = s->key;
            ev->keylen = (uint32_t)k;
        }
        if (trace_op_has_field(ev->op)) {
            n = next_field(&p, &f);
            long k = n == 0 ? -1 : decode_key(f, n, s->field);
            if (k < 0)
                return LINE_ERR("%s expects a %s after the key: at most %u bytes, with odd "
                                "bytes written %%HH (two hex digits)", opname,
                                trace_op_has_member(ev->op) ? "member" : "field",
                                TRACE_KEY_MAX);
            ev->field = s->field;
            ev->fieldlen = (uint32_t)k;
        }
        if (op == TRACE_OP_HSET) {
            n = next_field(&p, &f);
            if (n == 0 || parse_size(f, n, &ev->size) != 0)
                return LINE_ERR("HSET expects a value size in bytes (a whole number) after the "
                                "field, found '%.*s'", (int)(n > 40 ? 40 : n), f);
        } else if (op == TRACE_OP_ZADD) {
            n = next_field(&p, &f);
            if (n == 0 || trace_score_parse(f, (uint32_t)n, &ev->score) != 0)
                return LINE_ERR("ZADD expects a score (a number, inf or -inf) after the member, "
                                "found '%.*s'", (int)(n > 40 ? 40 : n), f);
        } else if (op == TRACE_OP_LPUSH || op == TRACE_OP_RPUSH) {
            n = next_field(&p, &f);
            if (n == 0 || parse_size(f, n, &ev->size) != 0)
                return LINE_ERR("%s expects the element's size in bytes (a whole number) after "
                                "the key, found '%.*s'", opname, (int)(n > 40 ? 40 : n), f);
        } else if (op == TRACE_OP_LTRIM) {
            for (int i = 0; i < 2; i++) {
                n = next_field(&p, &f);
                if (n == 0 || parse_index(f, n, i == 0 ? &ev->start : &ev->stop) != 0)
                    return LINE_ERR("LTRIM expects a start and a stop index (whole numbers, "
                                    "negative from the tail) after the key, found '%.*s'",
                                    (int)(n > 40 ? 40 : n), f);
            }
        } else if (op == TRACE_OP_SET || op == TRACE_OP_APPEND) {
            n = next_field(&p, &f);
            if (n == 0 || parse_size(f, n, &ev->size) != 0)
                return LINE_ERR("%s expects a value size in bytes (a whole number), found "
                                "'%.*s'", opname, (int)(n > 40 ? 40 : n), f);
            char *rest = p;
            n = next_field(&p, &f);
            if (op == TRACE_OP_SET && n > 0 && parse_cond(f, n) == TRACE_COND_NONE) {
                if (parse_seconds(f, n, &ev->ttl_us) != 0)
                    return LINE_ERR("SET expects an optional ttl in seconds (then NX or XX), "
                                    "found '%.*s'", (int)(n > 40 ? 40 : n), f);
                rest = p;
                n = next_field(&p, &f);
            }
            /* The condition comes last; anything else is left for the
             * "unexpected" check below. */
            if (n > 0 && parse_cond(f, n) != TRACE_COND_NONE &&
                (op == TRACE_OP_SET || parse_cond(f, n) == TRACE_COND_XX))
                ev->cond = parse_cond(f, n);
            else
                p = rest;
        } else if (op == TRACE_OP_GET) {
            /* An optional value size, for --fill-on-miss. */
            char *rest = p;
            n = next_field(&p, &f);
            if (n == 0 || parse_size(f, n, &ev->size) != 0) p = rest;
        } else if (op == TRACE_OP_EXPIRE) {
            n = next_field(&p, &f);
            if (n == 0 || parse_seconds(f, n, &ev->ttl_us) != 0)
                return LINE_ERR("EXPIRE expects a ttl in seconds, found '%.*s'",
                                (int)(n > 40 ? 40 : n), f);
        }
        n = next_field(&p, &f);
        if (n != 0)
            return LINE_ERR("unexpected '%.*s' after %s's arguments", (int)(n > 40 ? 40 : n),
                            f, opname);
        return 1;
    }
}

static const trace_reader_ops text_ops = {"text", text_next, text_where, text_close};

int trace_text_open(trace_reader *r, trace_source *src, fs_err *err) {
    text_state *s = emem_map(sizeof *s);
    if (s == NULL) {
        fs_errf(err, "cannot map reader state for '%s'", src->path);
        trace_source_close(src);
        return -1;
    }
    s->src = src;
    snprintf(s->path, sizeof s->path, "%s", src->path);
    s->buf = emem_map(TEXT_BUF);
    s->key = emem_map(TRACE_KEY_MAX);
    s->field = emem_map(TRACE_KEY_MAX);
    r->ops = &text_ops;
    r->state = s;
    if (s->buf == NULL || s->key == NULL || s->field == NULL) {
        fs_errf(err, "cannot map read buffers for '%s'", s->path);
        trace_close(r);
        return -1;
    }
    int rc;
    char *first = next_line(s, &rc, err);
    if (first == NULL || strncmp(first, TRACE_TEXT_MAGIC, strlen(TRACE_TEXT_MAGIC)) != 0 ||
        (first[strlen(TRACE_TEXT_MAGIC)] != '\0' && first[strlen(TRACE_TEXT_MAGIC)] != ' ' &&
         first[strlen(TRACE_TEXT_MAGIC)] != '\t')) {
        if (rc == 0)
            fs_errf(err, "%s:1: expected the first line '%s' naming the format and version",
                    s->path, TRACE_TEXT_MAGIC);
        trace_close(r);
        return -1;
    }
    return 0;
}

/* ---- writing ---- */

size_t trace_text_encode_key(const char *key, uint32_t len, char *out) {
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    if (len == 0) {
        out[o++] = '%';
    }
    for (uint32_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)key[i];
        if (c > ' ' && c < 0x7f && c != '%') {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
    return o;
}

void trace_text_format_time(int64_t us, char *out) {
    int64_t whole = us / TRACE_US_PER_S, frac = us % TRACE_US_PER_S;
    if (frac == 0) {
        snprintf(out, 32, "%lld", (long long)whole);
        return;
    }
    int len = snprintf(out, 32, "%lld.%06lld", (long long)whole, (long long)frac);
    while (out[len - 1] == '0') out[--len] = '\0';
}

void trace_text_write_header(outbuf *ob) { outbuf_puts(ob, TRACE_TEXT_MAGIC "\n"); }

/* " KEY", percent-encoded in pieces so a long key never needs a big stack
 * buffer. */
static void write_key(outbuf *ob, const char *key, uint32_t len) {
    char enc[3 * 256 + 2];
    outbuf_write(ob, " ", 1);
    if (len == 0) outbuf_write(ob, "%", 1);
    for (uint32_t off = 0; off < len; off += 256) {
        uint32_t k = len - off < 256 ? len - off : 256;
        outbuf_write(ob, enc, trace_text_encode_key(key + off, k, enc));
    }
}

void trace_text_write_event(outbuf *ob, const trace_event *ev) {
    char t[32], ttl[32];
    trace_text_format_time(ev->time_us, t);
    outbuf_puts(ob, t);
    outbuf_write(ob, " ", 1);
    outbuf_puts(ob, trace_op_name(ev->op));
    if (ev->op != TRACE_OP_PURGE && ev->op != TRACE_OP_TICK) write_key(ob, ev->key, ev->keylen);
    if (trace_op_has_field(ev->op)) write_key(ob, ev->field, ev->fieldlen);
    if (ev->op == TRACE_OP_HSET) {
        outbuf_printf(ob, " %llu", (unsigned long long)ev->size);
    } else if (ev->op == TRACE_OP_ZADD) {
        char score[TRACE_SCORE_BUF];
        outbuf_write(ob, " ", 1);
        outbuf_write(ob, score, (size_t)trace_score_format(score, ev->score));
    } else if (ev->op == TRACE_OP_LPUSH || ev->op == TRACE_OP_RPUSH) {
        outbuf_printf(ob, " %llu", (unsigned long long)ev->size);
    } else if (ev->op == TRACE_OP_LTRIM) {
        outbuf_printf(ob, " %lld %lld", (long long)ev->start, (long long)ev->stop);
    } else if (ev->op == TRACE_OP_SET || ev->op == TRACE_OP_APPEND) {
        outbuf_printf(ob, " %llu", (unsigned long long)ev->size);
        if (ev->op == TRACE_OP_SET && ev->ttl_us != TRACE_TTL_NONE) {
            trace_text_format_time(ev->ttl_us, ttl);
            outbuf_printf(ob, " %s", ttl);
        }
        if (ev->cond == TRACE_COND_NX) outbuf_write(ob, " NX", 3);
        else if (ev->cond == TRACE_COND_XX) outbuf_write(ob, " XX", 3);
    } else if (ev->op == TRACE_OP_GET && ev->size > 0) {
        outbuf_printf(ob, " %llu", (unsigned long long)ev->size);
    } else if (ev->op == TRACE_OP_EXPIRE) {
        trace_text_format_time(ev->ttl_us, ttl);
        outbuf_printf(ob, " %s", ttl);
    }
    outbuf_write(ob, "\n", 1);
}
