/* import_monitor: Redis MONITOR output (`redis-cli monitor`) → trace events.
 *
 *   OK                                                      (redis-cli's first line)
 *   1700000000.123456 [0 127.0.0.1:54321] "SET" "k" "v" "EX" "10"
 *   1700000000.200000 [3 unix:/run/redis.sock] "INCR" "hits"
 *   1700000000.300000 [0 lua] "DEL" "k"
 *
 * Each line is one command as a client sent it: the time (seconds with
 * microseconds), the database and the client, then the arguments, each in
 * double quotes with Redis's escapes (\\ \" \n \r \t \a \b \xHH).
 *
 * The importer replays every string command against its own table of keys
 * (import_keys.h), as Redis would, and hands the sink unconditional events:
 * SET NX on a key that exists gives nothing, APPEND gives a SET of the new
 * size, KEEPTTL gives the remaining TTL.  traces/FORMAT.md ("Redis MONITOR")
 * has the whole translation table.  Commands it does not translate are
 * counted by name; a line that is not MONITOR output is an error naming the
 * file and line.
 *
 * Events come out in time order: a line earlier than the one before it (the
 * server's clock stepped back) takes the earlier line's time.  Keys of
 * database N other than 0 are written "dbN:key".
 *
 * Front-end code: it uses the heap and stdio freely. */
#ifndef FRAGSIM_IMPORT_MONITOR_H
#define FRAGSIM_IMPORT_MONITOR_H

#include <stdint.h>
#include <stdio.h>

#include "../sim/base/fs_err.h"
#include "trace_event.h"

/* Receives each event as it is made.  ev->key is valid during the call only.
 * Returns 0 to go on, or -1 with err set to stop the import. */
typedef int (*import_monitor_sink)(void *arg, const trace_event *ev, fs_err *err);

typedef struct import_monitor_stats {
    uint64_t lines;        /* lines read, redis-cli's OK and blank lines included */
    uint64_t commands;     /* MONITOR lines */
    uint64_t events;       /* events given to the sink */
    uint64_t no_effect;    /* commands that needed no event: a SET NX on a key that
                              exists, a DEL of a missing key, PING, SELECT, TTL ... */
    uint64_t rejected;     /* commands Redis answers with an error, so without effect:
                              SET k v EX 0, INCR on a non-number, a syntax error ... */
    uint64_t untranslated; /* commands of kinds it does not translate (HSET, LPUSH ...) */
    uint64_t time_clamped; /* lines earlier than the line before, moved up to its time */
    /* How a capture ends when redis-cli is stopped, dropped (import_monitor_read):
     * a last line cut off mid-way (no newline, not MONITOR output), and
     * redis-cli's closing "Error: Server closed the connection".  Their line
     * numbers, 0 when there was none. */
    uint64_t cut_line, closing_line;
} import_monitor_stats;

/* One row of the list of commands not translated. */
typedef struct import_monitor_count {
    char name[48];         /* the command in capitals (cut at 47 bytes) */
    uint64_t count;
} import_monitor_count;

typedef struct import_monitor import_monitor;

/* path names the input in messages ("standard input", "capture.txt").
 * Returns NULL when out of memory. */
import_monitor *import_monitor_new(const char *path, import_monitor_sink sink, void *arg);
void import_monitor_free(import_monitor *im);

/* Translates the next line (without its newline; a trailing \r is dropped).
 * The line's bytes are decoded in place, so they are modified.  Returns 0,
 * or -1 with err set ("PATH:LINE: ..." for a line that is not MONITOR
 * output, or the sink's error). */
int import_monitor_feed(import_monitor *im, char *line, size_t len, fs_err *err);

/* Feeds every line of f until its end, then import_monitor_end.  The two
 * ways a capture ends when redis-cli stops are dropped and counted in the
 * stats (cut_line, closing_line): a last line without its newline that is
 * not MONITOR output (Ctrl-C mid-line), and redis-cli's "Error: Server
 * closed the connection" when nothing but blank lines follows it.  Any
 * other line that is not MONITOR output stops the import.  Returns 0, or
 * -1 with err set (a read error, or import_monitor_feed's). */
int import_monitor_read(import_monitor *im, FILE *f, fs_err *err);

/* Ends the capture: when its last line (a PING, an INFO, any command
 * without an event) is later than the last event, a TICK at that line's
 * time, so that a replay lasts as long as the capture and keys whose TTL
 * ran out in its idle tail expire there, as they did on the server.  No
 * TICK when there was no event at all: there is nothing to replay.
 * Returns 0, or -1 with the sink's error. */
int import_monitor_end(import_monitor *im, fs_err *err);

const import_monitor_stats *import_monitor_get_stats(const import_monitor *im);

/* The commands not translated, most frequent first (then by name): sets
 * *list and returns the number of rows; valid until the next feed. */
size_t import_monitor_untranslated(import_monitor *im, const import_monitor_count **list);

/* What the importer believes of key in database db now (at the last line's
 * time): returns 1 and sets *size and *expire_us (absolute µs, or
 * TRACE_TTL_NONE) when the key exists, 0 when not.  For tests and for
 * comparing against a real server. */
int import_monitor_key(import_monitor *im, int db, const char *key, uint32_t keylen,
                       uint64_t *size, int64_t *expire_us);

#endif
