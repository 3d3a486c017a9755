/* The emitter (analysis/emit.h): settings as JSON numbers and booleans
 * where their text is one, NAN as null (n/a), the INFO style unchanged. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../analysis/emit.h"

TestSuite(emit, .timeout = 30);

/* What fill() emits in style, as text (malloc'd). */
static char *emitted(emit_style style, void (*fill)(emitter *)) {
    int fd = memfd_create("emit", 0);
    cr_assert(fd >= 0);
    outbuf ob;
    cr_assert_eq(outbuf_open(&ob, dup(fd), "emit", NULL), 0);
    emitter em;
    emit_begin(&em, style, &ob);
    fill(&em);
    emit_end(&em);
    cr_assert_eq(outbuf_close(&ob, NULL), 0);
    off_t len = lseek(fd, 0, SEEK_END);
    char *text = calloc(1, (size_t)len + 1);
    cr_assert_eq(pread(fd, text, (size_t)len, 0), len);
    close(fd);
    return text;
}

static void settings(emitter *em) {
    emit_object_begin(em, "allocator_settings", NULL);
    emit_setting(em, "dirty_decay_ms", "10000");
    emit_setting(em, "muzzy_decay_ms", "-1");
    emit_setting(em, "ratio", "0.5");
    emit_setting(em, "tcache", "true");
    emit_setting(em, "maxmemory-policy", "noeviction");
    emit_setting(em, "narenas", "08");   /* not a JSON number: kept as text */
    emit_setting(em, "size", "1e");      /* nor this */
    emit_setting(em, "empty", "");
    emit_object_end(em);
    emit_double(em, "allocator_active", NAN, 0);
}

Test(emit, settings_are_numbers_where_their_text_is_one) {
    char *json = emitted(EMIT_JSON, settings);
    const char *want[] = {"\"dirty_decay_ms\": 10000,", "\"muzzy_decay_ms\": -1,",
                          "\"ratio\": 0.5,", "\"tcache\": true,",
                          "\"maxmemory-policy\": \"noeviction\",", "\"narenas\": \"08\",",
                          "\"size\": \"1e\",", "\"empty\": \"\"", "\"allocator_active\": null"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        cr_assert(strstr(json, want[i]) != NULL, "'%s' not in\n%s", want[i], json);
    free(json);
    char *info = emitted(EMIT_INFO, settings);
    cr_assert(strstr(info, "dirty_decay_ms:10000\n") != NULL, "%s", info);
    cr_assert(strstr(info, "tcache:true\n") != NULL, "%s", info);
    cr_assert(strstr(info, "allocator_active:\n") != NULL, "n/a is empty in INFO: %s", info);
    free(info);
}
