/* `fragsim import monitor`: `redis-cli monitor` output in, a fragsim text
 * trace out.  Runs in the front end, with no allocator under test. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../traces/import_monitor.h"
#include "../../traces/trace_text.h"
#include "../base/outfile.h"
#include "cli.h"

static void import_usage(FILE *f) {
    fprintf(f, "usage: fragsim import monitor [IN | -] [-o OUT]\n\n"
               "Translates what a Redis server did into a fragsim trace.  Formats:\n"
               "  monitor   the output of `redis-cli monitor` (fragsim import monitor --help)\n");
}

static void monitor_usage(void) {
    printf("usage: fragsim import monitor [IN | -] [-o OUT]\n\n"
           "Reads `redis-cli monitor` output (IN, or standard input when IN is - or absent)\n"
           "and writes a fragsim text trace (OUT, or standard output).  For example:\n\n"
           "  redis-cli monitor > capture.txt        (while the traffic runs; Ctrl-C)\n"
           "  fragsim import monitor capture.txt -o capture.trace\n"
           "  fragsim run capture.trace\n\n"
           "String commands become events: SET (EX PX EXAT PXAT NX XX KEEPTTL GET), SETEX,\n"
           "PSETEX, SETNX, MSET, MSETNX, GETSET, GETDEL, GETEX, APPEND, SETRANGE, INCR,\n"
           "DECR, INCRBY, DECRBY, INCRBYFLOAT, DEL, UNLINK, EXPIRE, PEXPIRE, EXPIREAT,\n"
           "PEXPIREAT (NX XX GT LT), PERSIST, FLUSHDB, FLUSHALL, GET, MGET, EXISTS, TOUCH,\n"
           "STRLEN, GETRANGE, MEMORY PURGE.  The importer replays them on its own table of\n"
           "keys, as Redis would, so that a SET NX on an existing key, or an INCR on a\n"
           "value that is not a number, gives no event, and APPEND gives a SET of the new\n"
           "size.  Hashes: HSET, HMSET, HSETNX, HDEL, HINCRBY, HINCRBYFLOAT (HSET and HDEL\n"
           "events per field).  Sets: SADD, SREM, SMOVE, SPOP (SADD and SREM events per\n"
           "member).  Sorted sets: ZADD (NX XX GT LT CH INCR), ZINCRBY, ZREM, ZPOPMIN,\n"
           "ZPOPMAX (ZADD and ZREM events per member, with the score Redis ends up\n"
           "with).  Lists: LPUSH, RPUSH, LPUSHX, RPUSHX (an event per element), LPOP,\n"
           "RPOP (with a count: one LTRIM, as Redis deletes the range), LTRIM.  WRONGTYPE\n"
           "across types gives no event.  Keys of database N > 0 become dbN:KEY.  Other\n"
           "commands (LINSERT, ZUNIONSTORE, ...) are counted, listed\n"
           "on standard error and in comments at the end of the trace, with the share of\n"
           "the capture's commands replayed.  traces/FORMAT.md has the table.\n\n"
           "A capture stopped with Ctrl-C may end mid-line, and one whose server went away\n"
           "ends in redis-cli's \"Error: Server closed the connection\": that last line is\n"
           "dropped with a warning.  Any other line that is not MONITOR output stops the\n"
           "import with its file and line, and no trace is written.\n\n"
           "options:\n"
           "  -o, --output OUT      the trace to write (default: standard output); it\n"
           "                        appears only when the whole input was read\n");
}

typedef struct sink_state {
    outbuf *ob;
} sink_state;

static int write_event(void *arg, const trace_event *ev, fs_err *err) {
    sink_state *s = arg;
    trace_text_write_event(s->ob, ev);
    /* A full disk stops the import at once rather than at the end. */
    if (s->ob->error != 0)
        return fs_errf(err, "cannot write %s: %s", s->ob->name, strerror(s->ob->error));
    return 0;
}

/* "N of M commands replayed (P%)": every command but those not translated
 * (a command with no effect on memory, or refused as Redis refuses it, is
 * replayed: it does what it did on the server, nothing). */
static void share_line(const import_monitor_stats *st, char *buf, size_t n) {
    uint64_t done = st->commands - st->untranslated;
    snprintf(buf, n, "%llu of %llu commands replayed (%.2f%%), %llu not translated",
             (unsigned long long)done, (unsigned long long)st->commands,
             st->commands ? 100.0 * (double)done / (double)st->commands : 100.0,
             (unsigned long long)st->untranslated);
}

/* The same at the end of the trace, as comments, so that the trace says
 * what part of the capture it holds: "# import monitor: ..." and "# not
 * translated: NAME COUNT, ...". */
static void write_trailer(outbuf *ob, import_monitor *im) {
    char line[160];
    share_line(import_monitor_get_stats(im), line, sizeof line);
    outbuf_printf(ob, "# import monitor: %s\n", line);
    const import_monitor_count *list;
    size_t n = import_monitor_untranslated(im, &list);
    if (n == 0) return;
    outbuf_puts(ob, "# not translated:");
    for (size_t i = 0; i < n; i++)
        outbuf_printf(ob, "%s %s %llu", i ? "," : "", list[i].name,
                      (unsigned long long)list[i].count);
    outbuf_puts(ob, "\n");
}

/* The notes printed after a successful import: what was left out. */
static void print_notes(import_monitor *im) {
    const import_monitor_stats *st = import_monitor_get_stats(im);
    const import_monitor_count *list;
    char line[160];
    share_line(st, line, sizeof line);
    fprintf(stderr, "fragsim import monitor: %s\n", line);
    size_t n = import_monitor_untranslated(im, &list);
    if (n > 0) {
        fputs("fragsim import monitor: not translated (command count): ", stderr);
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, "%s%s %llu", i ? ", " : "", list[i].name,
                    (unsigned long long)list[i].count);
        fputc('\n', stderr);
    }
    if (st->rejected > 0)
        fprintf(stderr, "fragsim import monitor: %llu commands Redis answered with an error "
                "(wrong arguments, not a number ...): no effect\n",
                (unsigned long long)st->rejected);
    if (st->cut_line > 0)
        fprintf(stderr, "fragsim import monitor: warning: dropped line %llu, cut off mid-way "
                "(the capture's last, without its newline: redis-cli stopped mid-line)\n",
                (unsigned long long)st->cut_line);
    if (st->closing_line > 0)
        fprintf(stderr, "fragsim import monitor: warning: dropped line %llu, redis-cli's "
                "\"Error: Server closed the connection\" (the server went away; the capture "
                "ends there)\n", (unsigned long long)st->closing_line);
    if (st->time_clamped > 0)
        fprintf(stderr, "fragsim import monitor: %llu lines earlier than the line before them "
                "(the server's clock stepped back) were given that line's time\n",
                (unsigned long long)st->time_clamped);
}

static int import_monitor_cmd(int argc, char **argv) {
    static const struct option longopts[] = {
        {"output", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *out = NULL;
    int opt;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'o': out = optarg; break;
        case 'h': monitor_usage(); return CLI_OK;
        default: return cli_bad_option("import monitor", argc, argv);
        }
    }
    if (argc - optind > 1)
        return cli_error("import monitor", CLI_USAGE, "expected at most one IN (see fragsim "
                         "import monitor --help)");
    const char *in = argc - optind == 1 ? argv[optind] : "-";
    int from_stdin = strcmp(in, "-") == 0;
    FILE *f = from_stdin ? stdin : fopen(in, "r");
    if (f == NULL)
        return cli_error("import monitor", CLI_FAIL, "cannot open '%s': %s", in, strerror(errno));

    /* Written beside the target and renamed at the end: never half a trace. */
    fs_err err;
    outfile of;
    if (outfile_open(&of, out, &err) != 0) {
        if (!from_stdin) fclose(f);
        return cli_error("import monitor", CLI_FAIL, "%s", err.msg);
    }
    outbuf ob;
    int rc = outbuf_open(&ob, of.fd, of.name, &err);
    import_monitor *im = NULL;
    if (rc == 0) {
        sink_state s = {&ob};
        im = import_monitor_new(from_stdin ? "standard input" : in, write_event, &s);
        if (im == NULL) rc = fs_errf(&err, "out of memory");
        trace_text_write_header(&ob);
        if (rc == 0) rc = import_monitor_read(im, f, &err);
        if (rc == 0) write_trailer(&ob, im);
        if (outbuf_close(&ob, rc < 0 ? NULL : &err) != 0) rc = -1;
    }
    if (!from_stdin) fclose(f);
    if (rc == 0) rc = outfile_commit(&of, &err);
    if (rc != 0) {
        outfile_abort(&of);
        import_monitor_free(im);
        return cli_error("import monitor", CLI_FAIL, "%s", err.msg);
    }
    print_notes(im);
    import_monitor_free(im);
    return CLI_OK;
}

int cli_import(int argc, char **argv) {
    if (argc < 2) {
        import_usage(stderr);
        return CLI_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        import_usage(stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "monitor") == 0) return import_monitor_cmd(argc - 1, argv + 1);
    return cli_error("import", CLI_USAGE, "unknown format '%s': expected monitor (see fragsim "
                     "import --help)", argv[1]);
}
