/* fuzz_import_monitor: `fragsim import monitor`'s reader (redis-cli monitor
 * output, traces/import_monitor.h), line by line to the end of the capture,
 * with the list of untranslated commands and a key's state looked up. */
#define _GNU_SOURCE
#include <stdio.h>

#include "../../traces/import_monitor.h"
#include "fuzz.h"

/* The events must come out in time order, as the importer promises. */
static int sink(void *arg, const trace_event *ev, fs_err *err) {
    int64_t *last = arg;
    (void)err;
    if (ev->time_us < *last) __builtin_trap();
    *last = ev->time_us;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* fmemopen cannot open 0 bytes */
    FILE *f = size ? fmemopen((void *)data, size, "r") : fopen("/dev/null", "r");
    if (f == NULL) return 0;
    int64_t last = INT64_MIN;
    import_monitor *im = import_monitor_new("fuzz-input", sink, &last);
    if (im != NULL) {
        fs_err err;
        import_monitor_read(im, f, &err);
        const import_monitor_count *list;
        import_monitor_untranslated(im, &list);
        uint64_t vsize;
        int64_t expire;
        import_monitor_key(im, 0, "k", 1, &vsize, &expire);
        import_monitor_free(im);
    }
    fclose(f);
    return 0;
}
