/* fuzz_redis_conf: a redis.conf as `--config` reads it (sim/redis_conf.h),
 * includes and wildcards included.
 *
 * The input is a file of its own in a private directory, so that a pattern
 * can match it (an include of itself).  Standard input is /dev/null: the
 * path "-" reads it, and a fuzzer must not wait on a terminal. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../sim/redis_conf.h"
#include "fuzz.h"

static char conf_dir[] = "/tmp/fragsim-fuzz-conf-XXXXXX";
static char conf_path[64];

static void remove_dir(void) {
    unlink(conf_path);
    rmdir(conf_dir);
}

static void setup(void) {
    if (mkdtemp(conf_dir) == NULL) abort();
    snprintf(conf_path, sizeof conf_path, "%s/input.conf", conf_dir);
    atexit(remove_dir);
    int null = open("/dev/null", O_RDONLY);
    if (null < 0 || dup2(null, STDIN_FILENO) < 0) abort();
    close(null);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (conf_path[0] == '\0') setup();
    FILE *f = fopen(conf_path, "wb");
    if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0) abort();
    redis_conf c;
    redis_conf_default(&c);
    redis_conf_notes notes;
    fs_err err;
    if (redis_conf_load(&c, conf_path, &notes, &err) == 0 &&
        redis_policy_name(c.maxmemory_policy) == NULL)
        __builtin_trap(); /* a policy out of range was accepted */
    return 0;
}
