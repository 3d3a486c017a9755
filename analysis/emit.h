/* emit: one emitter for the JSON summary and the human INFO-style block.
 *
 * Code that reports a result describes it once, as nested objects of
 * key/value pairs; the style decides the look.  JSON: a normal document
 * (NAN becomes null).  INFO: Redis's "key:value" lines, with a "# Title"
 * line opening each object (NAN becomes an empty value, as INFO leaves a
 * field it cannot fill).  Values marked as notes appear only in the INFO
 * style, as comments. */
#ifndef FRAGSIM_EMIT_H
#define FRAGSIM_EMIT_H

#include <stdint.h>

#include "../sim/base/outbuf.h"

typedef enum emit_style { EMIT_JSON, EMIT_INFO } emit_style;

#define EMIT_MAX_DEPTH 16

typedef struct emitter {
    emit_style style;
    outbuf *ob;
    int depth;
    int nitems[EMIT_MAX_DEPTH]; /* items written at each depth (JSON commas) */
} emitter;

void emit_begin(emitter *em, emit_style style, outbuf *ob);
void emit_end(emitter *em);

/* Opens a nested object under key; `title` is the INFO section heading
 * (NULL: the object is flattened into the current section). */
void emit_object_begin(emitter *em, const char *key, const char *title);
void emit_object_end(emitter *em);

void emit_str(emitter *em, const char *key, const char *value);
void emit_u64(emitter *em, const char *key, uint64_t value);
void emit_i64(emitter *em, const char *key, int64_t value);
/* Printed with `decimals` decimals; NAN as null / empty. */
void emit_double(emitter *em, const char *key, double value, int decimals);
void emit_bool(emitter *em, const char *key, int value);
/* A setting as its text gives it (an allocator's or redis.conf's): in
 * JSON a number when the text is one ("10000", "-1", "0.5"), true/false
 * for "true"/"false", else a string; in INFO the text as is. */
void emit_setting(emitter *em, const char *key, const char *text);
/* INFO only: a "# text" comment line. */
void emit_note(emitter *em, const char *text);

/* Writes s as a JSON string literal (with quotes). */
void emit_json_string(outbuf *ob, const char *s);

#endif
