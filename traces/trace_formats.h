/* trace_formats.h: the trace file formats, one line each.
 *
 *   TRACE_FORMAT(NAME, DESCRIPTION, PREFIX)
 *
 * PREFIX_detect(head, n) says whether the first bytes are this format's and
 * PREFIX_open(r, src, err) reads it (traces/trace_reader.h, trace_format).
 * Adding a format is its file, traces/PREFIX.c, plus one line here: the
 * line declares both functions and puts the format in the table that
 * --format and detection search.  The order is detection's: the first
 * whose detect() accepts the head wins, so formats with a magic or a
 * header come before the heuristic ones.
 *
 * No include guard: trace_reader.c includes it twice, once to declare and
 * once to build the table. */
TRACE_FORMAT("text", "fragsim text trace, version 1 (traces/FORMAT.md)", trace_text)
TRACE_FORMAT("binary", "fragsim binary trace, version 1 (traces/FORMAT.md)", trace_binary)
TRACE_FORMAT("cachelib", "CacheLib kvcache CSV (header row naming op_time, key, op, size ...)",
             trace_cachelib)
TRACE_FORMAT("twitter", "Twitter cache-trace CSV (timestamp,key,key size,value size,client,op,ttl)",
             trace_twitter)
TRACE_FORMAT("oracleGeneral", "libCacheSim oracleGeneral binary (24-byte records)", trace_oracle)
