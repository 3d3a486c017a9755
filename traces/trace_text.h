/* trace_text: fragsim's own text trace, version 1 (traces/FORMAT.md).
 *
 *   fragsim-trace v1
 *   # comment
 *   <seconds> SET <key> <size> [<ttl seconds>] [NX|XX]
 *   <seconds> APPEND <key> <size> [XX]
 *   <seconds> GET <key> [<size>]
 *   <seconds> DEL|PERSIST <key>
 *   <seconds> EXPIRE <key> <ttl seconds>
 *   <seconds> PURGE | TICK
 *
 * Keys are percent-encoded: bytes outside '!'..'~' and '%' itself are written
 * %HH; a lone '%' is the empty key. */
#ifndef FRAGSIM_TRACE_TEXT_H
#define FRAGSIM_TRACE_TEXT_H

#include "../sim/base/outbuf.h"
#include "trace_reader.h"

#define TRACE_TEXT_MAGIC "fragsim-trace v1"

int trace_text_detect(const unsigned char *head, size_t n);
int trace_text_open(trace_reader *r, trace_source *src, fs_err *err);

/* Writing: the header line, then one line per event. */
void trace_text_write_header(outbuf *ob);
void trace_text_write_event(outbuf *ob, const trace_event *ev);

/* Percent-encodes key into out (at least 3*len+2 bytes, NUL-terminated);
 * returns the encoded length. */
size_t trace_text_encode_key(const char *key, uint32_t len, char *out);

/* Formats microseconds as seconds with the shortest exact decimals
 * ("12", "12.5", "0.000001") into out (at least 32 bytes). */
void trace_text_format_time(int64_t us, char *out);

#endif
