#include "emit.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void emit_json_string(outbuf *ob, const char *s) {
    outbuf_write(ob, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            outbuf_write(ob, "\\", 1);
            outbuf_write(ob, p, 1);
        } else if (*p < 0x20) {
            outbuf_printf(ob, "\\u%04x", *p);
        } else {
            outbuf_write(ob, p, 1);
        }
    }
    outbuf_write(ob, "\"", 1);
}

static void json_indent(emitter *em) {
    for (int i = 0; i < em->depth; i++) outbuf_puts(em->ob, "  ");
}

/* Starts a JSON member: comma, newline, indent, "key": */
static void json_key(emitter *em, const char *key) {
    if (em->nitems[em->depth]++ > 0) outbuf_write(em->ob, ",", 1);
    outbuf_write(em->ob, "\n", 1);
    json_indent(em);
    emit_json_string(em->ob, key);
    outbuf_puts(em->ob, ": ");
}

void emit_begin(emitter *em, emit_style style, outbuf *ob) {
    memset(em, 0, sizeof *em);
    em->style = style;
    em->ob = ob;
    if (style == EMIT_JSON) {
        outbuf_write(ob, "{", 1);
        em->depth = 1;
    }
}

void emit_end(emitter *em) {
    if (em->style == EMIT_JSON) outbuf_puts(em->ob, "\n}\n");
}

void emit_object_begin(emitter *em, const char *key, const char *title) {
    if (em->style == EMIT_JSON) {
        json_key(em, key);
        outbuf_write(em->ob, "{", 1);
        if (em->depth + 1 < EMIT_MAX_DEPTH) em->depth++;
        em->nitems[em->depth] = 0;
    } else if (title != NULL) {
        outbuf_printf(em->ob, "# %s\n", title);
    }
}

void emit_object_end(emitter *em) {
    if (em->style != EMIT_JSON) return;
    int had = em->nitems[em->depth] > 0;
    em->depth--;
    if (had) {
        outbuf_write(em->ob, "\n", 1);
        json_indent(em);
    }
    outbuf_write(em->ob, "}", 1);
}

void emit_str(emitter *em, const char *key, const char *value) {
    if (em->style == EMIT_JSON) {
        json_key(em, key);
        emit_json_string(em->ob, value);
    } else {
        outbuf_printf(em->ob, "%s:%s\n", key, value);
    }
}

void emit_u64(emitter *em, const char *key, uint64_t value) {
    if (em->style == EMIT_JSON) {
        json_key(em, key);
        outbuf_printf(em->ob, "%llu", (unsigned long long)value);
    } else {
        outbuf_printf(em->ob, "%s:%llu\n", key, (unsigned long long)value);
    }
}

void emit_i64(emitter *em, const char *key, int64_t value) {
    if (em->style == EMIT_JSON) {
        json_key(em, key);
        outbuf_printf(em->ob, "%lld", (long long)value);
    } else {
        outbuf_printf(em->ob, "%s:%lld\n", key, (long long)value);
    }
}

void emit_double(emitter *em, const char *key, double value, int decimals) {
    if (em->style == EMIT_JSON) {
        json_key(em, key);
        if (isfinite(value)) outbuf_printf(em->ob, "%.*f", decimals, value);
        else outbuf_puts(em->ob, "null");
    } else if (isfinite(value)) {
        outbuf_printf(em->ob, "%s:%.*f\n", key, decimals, value);
    } else {
        outbuf_printf(em->ob, "%s:\n", key);
    }
}

void emit_bool(emitter *em, const char *key, int value) {
    if (em->style == EMIT_JSON) {
        json_key(em, key);
        outbuf_puts(em->ob, value ? "true" : "false");
    } else {
        outbuf_printf(em->ob, "%s:%s\n", key, value ? "yes" : "no");
    }
}

/* Whether s is a number in JSON's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int is_json_number(const char *s) {
    if (*s == '-') s++;
    if (*s == '0') s++;
    else if (*s >= '1' && *s <= '9') while (*s >= '0' && *s <= '9') s++;
    else return 0;
    if (*s == '.') {
        if (!(*++s >= '0' && *s <= '9')) return 0;
        while (*s >= '0' && *s <= '9') s++;
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-') s++;
        if (!(*s >= '0' && *s <= '9')) return 0;
        while (*s >= '0' && *s <= '9') s++;
    }
    return *s == '\0';
}

void emit_setting(emitter *em, const char *key, const char *text) {
    if (em->style == EMIT_JSON &&
        (is_json_number(text) || strcmp(text, "true") == 0 || strcmp(text, "false") == 0)) {
        json_key(em, key);
        outbuf_puts(em->ob, text);
    } else {
        emit_str(em, key, text);
    }
}

void emit_note(emitter *em, const char *text) {
    if (em->style == EMIT_INFO) outbuf_printf(em->ob, "# %s\n", text);
}
