/* The MONITOR importer's test fixture, shared by test_import_monitor.c
 * and test_import_monitor_list.c: feed a capture's text to a new importer
 * and compare the events it makes, written as text trace lines. */
#ifndef FRAGSIM_TEST_IMPORT_FIXTURE_H
#define FRAGSIM_TEST_IMPORT_FIXTURE_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../sim/base/outbuf.h"
#include "../traces/import_monitor.h"
#include "../traces/trace_text.h"

#define EXPECT(msg, needle) \
    cr_assert(strstr(msg, needle) != NULL, "'%s' not in:\n%s", needle, msg)

/* The events written as text trace lines, through a memfd. */
typedef struct capture {
    outbuf ob;
    int fd;
    int fail_after; /* the sink fails on this event (1-based); 0: never */
    int n;
} capture;

static inline int sink(void *arg, const trace_event *ev, fs_err *err) {
    capture *c = arg;
    if (++c->n == c->fail_after) return fs_errf(err, "the sink is full");
    trace_text_write_event(&c->ob, ev);
    return 0;
}

typedef struct run {
    import_monitor *im;
    capture cap;
    int rc;
    fs_err err;
    char *events; /* malloc'd */
} run;

/* Feeds text (lines separated by '\n') to a new importer. */
static inline void run_text(run *r, const char *text, int fail_after) {
    memset(r, 0, sizeof *r);
    r->cap.fd = memfd_create("events", 0);
    cr_assert(r->cap.fd >= 0);
    r->cap.fail_after = fail_after;
    cr_assert_eq(outbuf_open(&r->cap.ob, dup(r->cap.fd), "events", &r->err), 0);
    r->im = import_monitor_new("cap.txt", sink, &r->cap);
    cr_assert_not_null(r->im);
    char *copy = strdup(text);
    FILE *f = fmemopen(copy, strlen(copy), "r");
    r->rc = import_monitor_read(r->im, f, &r->err);
    fclose(f);
    free(copy);
    cr_assert_eq(outbuf_close(&r->cap.ob, NULL), 0);
    off_t len = lseek(r->cap.fd, 0, SEEK_END);
    r->events = calloc(1, (size_t)len + 1);
    cr_assert_eq(pread(r->cap.fd, r->events, (size_t)len, 0), len);
    close(r->cap.fd);
}

static inline void run_free(run *r) {
    import_monitor_free(r->im);
    free(r->events);
}

/* Runs text, expects success and exactly the events want. */
static inline void expect_events(const char *text, const char *want) {
    run r;
    run_text(&r, text, 0);
    cr_assert_eq(r.rc, 0, "import failed: %s", r.err.msg);
    cr_assert_str_eq(r.events, want, "input:\n%s\ngot:\n%s", text, r.events);
    run_free(&r);
}

static inline const import_monitor_stats *stats_of(const char *text, run *r) {
    run_text(r, text, 0);
    cr_assert_eq(r->rc, 0, "import failed: %s", r->err.msg);
    return import_monitor_get_stats(r->im);
}

/* Line builders: t is the time in seconds, C the client. */
#define C "[0 127.0.0.1:50000] "
#define L(t, args) #t " " C args "\n"

#endif
