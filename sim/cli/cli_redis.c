/* The Redis model's options (object model, expiry, maxmemory, active
 * defrag), and how `run` layers them: Redis's defaults, then the preset's
 * run defaults, then --config, then the command line. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_redis.h"
#include "../base/units.h"

static const struct {
    int opt;
    const char *directive;
} directives[] = {
    {OPT_MAXMEMORY, "maxmemory"},
    {OPT_MAXMEMORY_POLICY, "maxmemory-policy"},
    {OPT_MAXMEMORY_SAMPLES, "maxmemory-samples"},
    {OPT_ACTIVEDEFRAG, "activedefrag"},
    {OPT_DEFRAG_IGNORE_BYTES, "active-defrag-ignore-bytes"},
    {OPT_DEFRAG_THRESHOLD_LOWER, "active-defrag-threshold-lower"},
    {OPT_DEFRAG_THRESHOLD_UPPER, "active-defrag-threshold-upper"},
    {OPT_DEFRAG_CYCLE_MIN, "active-defrag-cycle-min"},
    {OPT_DEFRAG_CYCLE_MAX, "active-defrag-cycle-max"},
    {OPT_DEFRAG_MAX_SCAN_FIELDS, "active-defrag-max-scan-fields"},
};

int cli_redis_opt(cli_redis_opts *o, int opt, const char *arg) {
    switch (opt) {
    case OPT_OBJECT_MODEL: o->object_model = arg; return 1;
    case OPT_EXPIRY: o->expiry = arg; return 1;
    case OPT_ACTIVEDEFRAG_FROM: o->activedefrag_from = arg; return 1;
    case OPT_DEFRAG_HINT: o->defrag_hint = arg; return 1;
    default: break;
    }
    for (size_t i = 0; i < sizeof directives / sizeof *directives; i++) {
        if (directives[i].opt != opt) continue;
        /* A directive given twice keeps its last value, as in redis.conf. */
        int k = 0;
        while (k < o->n && strcmp(o->name[k], directives[i].directive) != 0) k++;
        if (k == o->n && o->n < CLI_REDIS_MAX_DIRECTIVES) o->n++;
        o->name[k] = directives[i].directive;
        o->value[k] = arg;
        return 1;
    }
    return 0;
}

void cli_redis_argv(const cli_redis_opts *o, const char **argv, int *m) {
    static char flags[CLI_REDIS_MAX_DIRECTIVES][48];
    const char *const names[] = {"--object-model", "--expiry", "--activedefrag-from",
                                 "--defrag-hint"};
    const char *const vals[] = {o->object_model, o->expiry, o->activedefrag_from, o->defrag_hint};
    for (size_t k = 0; k < sizeof vals / sizeof *vals; k++)
        if (vals[k]) argv[(*m)++] = names[k], argv[(*m)++] = vals[k];
    for (int k = 0; k < o->n; k++) {
        snprintf(flags[k], sizeof flags[k], "--%s", o->name[k]);
        argv[(*m)++] = flags[k];
        argv[(*m)++] = o->value[k];
    }
}

/* ---- run's layering ---- */

static int is_space(char c) { return isspace((unsigned char)c) != 0; }

/* The run settings of the preset's run_defaults that are not redis.conf
 * directives, and the directives applied to *rc (a maxmemory scaled by the
 * key count against the preset's own). */
static int preset_defaults(const char *preset, const gen_params *gp, redis_conf *rc,
                           cli_redis_layers *out, fs_err *err) {
    const gen_preset *pr = gen_preset_find(preset);
    if (pr == NULL || pr->run_defaults == NULL) return 0;
    gen_params base;
    pr->init(&base);
    const char *p = pr->run_defaults;
    while (*p) {
        char item[160], name[64], value[96];
        size_t n = strcspn(p, ";");
        snprintf(item, sizeof item, "%.*s", (int)n, p);
        p += n + (p[n] == ';');
        char *s = item;
        while (is_space(*s)) s++;
        if (*s == '\0') continue;
        if (sscanf(s, "%63s %95s", name, value) != 2)
            return fs_errf(err, "preset %s: run default '%s' has no value", preset, s);
        if (strcmp(name, "object-model") == 0) snprintf(out->object_model, sizeof out->object_model, "%s", value);
        else if (strcmp(name, "expiry") == 0) snprintf(out->expiry, sizeof out->expiry, "%s", value);
        else if (strcmp(name, "sample-interval") == 0)
            snprintf(out->sample_interval, sizeof out->sample_interval, "%s", value);
        else if (strcmp(name, "speed") == 0) snprintf(out->speed, sizeof out->speed, "%s", value);
        else if (strcmp(name, "activedefrag-from") == 0)
            snprintf(out->activedefrag_from, sizeof out->activedefrag_from, "%s", value);
        else {
            if (redis_conf_set(rc, name, value, err) != 0)
                return fs_err_prefix(err, "preset %s", preset);
            if (strcmp(name, "hz") == 0) out->hz_set = 1;
            if (strcmp(name, "maxmemory") == 0 && gp->keys != base.keys)
                rc->maxmemory = (uint64_t)llround((double)rc->maxmemory * (double)gp->keys /
                                                  (double)base.keys);
        }
    }
    return 0;
}

int cli_redis_layers_apply(const cli_redis_opts *o, const char *preset, const gen_params *gp,
                           const char *config, redis_conf *rc, redis_conf_notes *notes,
                           cli_redis_layers *out, fs_err *err) {
    memset(out, 0, sizeof *out);
    redis_conf_default(rc);
    if (preset != NULL && preset_defaults(preset, gp, rc, out, err) != 0) return -1;
    if (config != NULL) {
        if (redis_conf_load(rc, config, notes, err) != 0) return -1;
        out->hz_set = 1;
    }
    for (int k = 0; k < o->n; k++)
        if (redis_conf_set(rc, o->name[k], o->value[k], err) != 0)
            return fs_err_prefix(err, "--%s", o->name[k]);
    const char *om = o->object_model ? o->object_model : out->object_model[0] ? out->object_model : "raw";
    const char *ex = o->expiry ? o->expiry : out->expiry[0] ? out->expiry : "exact";
    const char *from = o->activedefrag_from ? o->activedefrag_from
                       : out->activedefrag_from[0] ? out->activedefrag_from : "0";
    if (om_kind_parse(om, &out->om, err) != 0 || engine_expiry_parse(ex, &out->ex, err) != 0 ||
        rx_parse_cost(ex, &out->expire_key_ns, &out->expire_hash_seed, err) < 0 ||
        defrag_hint_parse(o->defrag_hint ? o->defrag_hint : "auto", &out->hint, err) != 0)
        return -1;
    if (units_parse_double(from, &out->activedefrag_at) != 0 || !(out->activedefrag_at >= 0) ||
        out->activedefrag_at > 1e9)
        return fs_errf(err, "--activedefrag-from '%s': expected virtual seconds, 0 or more", from);
    return 0;
}
