/* `fragsim trace convert` and `fragsim trace stats`: working with trace files
 * without replaying them.  Both run in the front end, with no allocator
 * under test. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../analysis/trace_stats.h"
#include "../../traces/trace_binary.h"
#include "../../traces/trace_text.h"
#include "../base/outfile.h"
#include "cli.h"
#include "../base/units.h"

/* Options of this file only. */
enum { OPT_TO = 3000, OPT_JSON, OPT_INTERVAL };

/* The formats from the reader's own table (traces/trace_formats.h), so the
 * help never falls behind it. */
static void formats_help(FILE *f) {
    size_t n;
    const trace_format *formats = trace_formats(&n);
    fputs("formats (detected from the first bytes unless --format names one; a .zst file\n"
          "of any of them is read as it is; traces/FORMAT.md says what each operation does\n"
          "to memory):\n", f);
    for (size_t i = 0; i < n; i++) fprintf(f, "  %-14s %s\n", formats[i].name, formats[i].description);
}

static void trace_usage(FILE *f) {
    fprintf(f, "usage: fragsim trace convert IN OUT [--to text|binary] [--format F]\n"
               "       fragsim trace stats TRACE [--json] [--format F] [--interval S]\n"
               "                               [--fill-on-miss]\n\n"
               "  convert  writes a trace in fragsim's text or binary format\n"
               "  stats    what a trace holds: events by operation, keys, value sizes in\n"
               "           jemalloc's size classes, TTLs, live bytes over time, churn\n\n"
               "fragsim trace convert --help and fragsim trace stats --help say more.\n\n");
    formats_help(f);
}

static void convert_usage(void) {
    printf("usage: fragsim trace convert IN OUT [--to text|binary] [--format F]\n\n"
           "Reads IN (any format fragsim reads, - for standard input) and writes its events\n"
           "to OUT (- for standard output) as a fragsim trace.  The conversion streams: no\n"
           "trace is held in memory.  OUT appears only when complete.  Converting text to\n"
           "binary and back gives the same text, byte for byte (comments aside).\n\n"
           "options:\n"
           "  --to text|binary      the output format (default: binary, or text when IN is\n"
           "                        a binary trace)\n"
           "  --format F            IN's format (default: detected)\n\n");
    formats_help(stdout);
}

static void stats_usage(void) {
    printf("usage: fragsim trace stats TRACE [--json] [--format F] [--interval S]\n"
           "                               [--fill-on-miss]\n\n"
           "Reads TRACE once and prints: events by operation, distinct keys, and a replay\n"
           "of its keyspace without an allocator (the engine's rules): the values it\n"
           "stores by jemalloc 5.3 size class with the internal waste each class implies,\n"
           "their TTLs, the live bytes over time and their peak, and the churn (bytes\n"
           "written / peak live bytes).\n\n"
           "options:\n"
           "  --json                one JSON document instead of tables\n"
           "  --format F            TRACE's format (default: detected)\n"
           "  --interval S          virtual seconds between points of the live-bytes\n"
           "                        series (default 10, as run's --sample-interval)\n"
           "  --fill-on-miss        replay GET misses of known size as fills, as\n"
           "                        fragsim run --fill-on-miss does\n\n");
    formats_help(stdout);
}

static int trace_convert(int argc, char **argv) {
    static const struct option longopts[] = {
        {"to", required_argument, 0, OPT_TO},
        {"format", required_argument, 0, OPT_FORMAT},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *to = NULL, *format = NULL;
    int opt;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_TO: to = optarg; break;
        case OPT_FORMAT: format = optarg; break;
        case 'h': convert_usage(); return CLI_OK;
        default: return cli_bad_option("trace convert", argc, argv);
        }
    }
    if (argc - optind != 2)
        return cli_error("trace convert", CLI_USAGE, "expected IN and OUT (see fragsim trace "
                         "convert --help)");
    const char *in = argv[optind], *out = argv[optind + 1];
    if (to != NULL && strcmp(to, "text") != 0 && strcmp(to, "binary") != 0)
        return cli_error("trace convert", CLI_USAGE, "--to '%s': expected text or binary", to);

    fs_err err;
    trace_reader tr;
    if (trace_open(&tr, in, format, &err) != 0)
        return cli_error("trace convert", CLI_FAIL, "%s", err.msg);
    int binary = to ? strcmp(to, "binary") == 0 : strcmp(tr.ops->name, "binary") != 0;

    /* Written beside the target and renamed at the end: never half a file. */
    outfile of;
    if (outfile_open(&of, out, &err) != 0) {
        trace_close(&tr);
        return cli_error("trace convert", CLI_FAIL, "%s", err.msg);
    }
    outbuf ob;
    int rc = outbuf_open(&ob, of.fd, of.name, &err);
    if (rc == 0) {
        trace_binary_writer *w = NULL;
        if (binary) {
            if ((w = trace_binary_writer_new(&ob, &err)) == NULL) rc = -1;
        } else {
            trace_text_write_header(&ob);
        }
        trace_event ev;
        while (rc == 0 && (rc = trace_next(&tr, &ev, &err)) == 1 && ob.error == 0) {
            rc = 0;
            if (w != NULL) rc = trace_binary_write_event(w, &ev, &err);
            else trace_text_write_event(&ob, &ev);
        }
        if (rc == 1) rc = 0; /* stopped by a write error: outbuf_close reports it */
        if (w != NULL && rc == 0) trace_binary_writer_finish(w);
        else trace_binary_writer_free(w);
        if (outbuf_close(&ob, rc < 0 ? NULL : &err) != 0) rc = -1;
    }
    trace_close(&tr);
    if (rc == 0) rc = outfile_commit(&of, &err);
    if (rc != 0) {
        outfile_abort(&of);
        return cli_error("trace convert", CLI_FAIL, "%s", err.msg);
    }
    return CLI_OK;
}

static int trace_stats_cmd(int argc, char **argv) {
    static const struct option longopts[] = {
        {"json", no_argument, 0, OPT_JSON},
        {"format", required_argument, 0, OPT_FORMAT},
        {"interval", required_argument, 0, OPT_INTERVAL},
        {"fill-on-miss", no_argument, 0, OPT_FILL_ON_MISS},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *format = NULL, *interval_arg = NULL;
    int json = 0, fill_on_miss = 0, opt;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_JSON: json = 1; break;
        case OPT_FORMAT: format = optarg; break;
        case OPT_INTERVAL: interval_arg = optarg; break;
        case OPT_FILL_ON_MISS: fill_on_miss = 1; break;
        case 'h': stats_usage(); return CLI_OK;
        default: return cli_bad_option("trace stats", argc, argv);
        }
    }
    if (argc - optind != 1)
        return cli_error("trace stats", CLI_USAGE, "expected one TRACE (see fragsim trace "
                         "stats --help)");
    double interval = 10;
    if (interval_arg != NULL && (units_parse_double(interval_arg, &interval) != 0 ||
                                 interval <= 0 || interval > 1e9))
        return cli_error("trace stats", CLI_USAGE, "--interval '%s': expected virtual seconds "
                         "above 0", interval_arg);
    const char *path = argv[optind];
    fs_err err;
    trace_reader tr;
    trace_stats st;
    if (trace_open(&tr, path, format, &err) != 0)
        return cli_error("trace stats", CLI_FAIL, "%s", err.msg);
    int rc = trace_stats_compute(&tr, interval, fill_on_miss, &st, &err);
    trace_close(&tr);
    if (rc != 0) return cli_error("trace stats", CLI_FAIL, "%s", err.msg);
    outbuf ob;
    if (outbuf_open(&ob, STDOUT_FILENO, "standard output", &err) == 0) {
        trace_stats_print(&st, strcmp(path, "-") == 0 ? "<stdin>" : path, json, &ob);
        rc = outbuf_close(&ob, &err);
    } else {
        rc = -1;
    }
    trace_stats_free(&st);
    return rc == 0 ? CLI_OK : cli_error("trace stats", CLI_FAIL, "%s", err.msg);
}

int cli_trace(int argc, char **argv) {
    if (argc < 2) {
        trace_usage(stderr);
        return CLI_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        trace_usage(stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "convert") == 0) return trace_convert(argc - 1, argv + 1);
    if (strcmp(argv[1], "stats") == 0) return trace_stats_cmd(argc - 1, argv + 1);
    return cli_error("trace", CLI_USAGE, "unknown subcommand '%s': expected convert or stats",
                     argv[1]);
}
