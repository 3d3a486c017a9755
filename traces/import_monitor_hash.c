/* Redis's hash commands that change memory, replayed against the importer's
 * key table and turned into HSET / HDEL events (t_hash.c of Redis 7.0: the
 * same argument checks in the same order, WRONGTYPE on a string key).
 *
 * A hash key's fields live in the entry's own small table (import_keys.h),
 * with the value bytes when short, so that HSETNX knows whether a field
 * exists and HINCRBY what number it holds.  An HDEL of the last field
 * removes the key, as Redis does; the replay does the same on its own. */
#define _GNU_SOURCE
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "import_monitor_int.h"

imk_entry *im_field_of(imk_entry *e, const im_arg *f) {
    return imk_find(e->fields, 0, f->p, (uint32_t)f->len, 0);
}

imk_entry *im_fields_for_write(import_monitor *im, const im_arg *key, int type, int *rc) {
    imk_entry *e = im_lookup(im, key);
    if (e != NULL && e->type != type) {
        *rc = IM_REJECTED;
        return NULL;
    }
    if (e == NULL) {
        e = imk_add(&im->keys, im->db, key->p, (uint32_t)key->len, im->now_us);
        if (e == NULL || imk_make_fields(e, type) != 0) {
            if (e != NULL) imk_del(&im->keys, e);
            *rc = fs_errf(im->err, "out of memory");
            return NULL;
        }
    }
    return e;
}

int im_fields_fit(import_monitor *im, size_t from, size_t step, const char *cmd) {
    for (size_t j = from; j < im->argc; j += step) {
        if (im->argv[j].len > TRACE_KEY_MAX) {
            snprintf(im->label, sizeof im->label, "%s (%s over 64 KiB)", cmd,
                     cmd[0] == 'H' ? "field" : "member");
            return 0;
        }
    }
    return 1;
}

/* hashTypeSet: the field now holds size bytes (bytes when known). */
static int set_field(import_monitor *im, imk_entry *e, const im_arg *f, const char *bytes,
                     uint64_t size) {
    imk_entry *v = im_field_of(e, f);
    if (v == NULL && (v = imk_add(e->fields, 0, f->p, (uint32_t)f->len, 0)) == NULL)
        return fs_errf(im->err, "out of memory");
    if (imk_set_value(v, bytes, size) != 0) return fs_errf(im->err, "out of memory");
    const im_arg *key = &im->argv[1];
    return im_emit_field(im, TRACE_OP_HSET, key->p, key->len, f->p, f->len, size);
}

/* HSET key field value [field value ...], and HMSET. */
int im_cmd_hset(import_monitor *im) {
    if (im->argc % 2 == 1) return IM_REJECTED; /* wrong number of arguments */
    if (!im_fields_fit(im, 2, 2, "HSET")) return IM_UNTRANSLATED;
    int rc = 0;
    imk_entry *e = im_fields_for_write(im, &im->argv[1], IMK_HASH, &rc);
    if (e == NULL) return rc;
    for (size_t j = 2; j < im->argc; j += 2)
        if (set_field(im, e, &im->argv[j], im->argv[j + 1].p, im->argv[j + 1].len) != 0)
            return -1;
    return IM_DONE;
}

int im_cmd_hsetnx(import_monitor *im) {
    if (!im_fields_fit(im, 2, 2, "HSETNX")) return IM_UNTRANSLATED;
    int rc = 0;
    imk_entry *e = im_fields_for_write(im, &im->argv[1], IMK_HASH, &rc);
    if (e == NULL) return rc;
    if (im_field_of(e, &im->argv[2]) != NULL) return IM_DONE;
    return set_field(im, e, &im->argv[2], im->argv[3].p, im->argv[3].len) != 0 ? -1 : IM_DONE;
}

/* HDEL key field [field ...]: the last field takes the key. */
int im_cmd_hdel(import_monitor *im) {
    if (!im_fields_fit(im, 2, 1, "HDEL")) return IM_UNTRANSLATED;
    const im_arg *key = &im->argv[1];
    imk_entry *e = im_lookup(im, key);
    if (e == NULL) return IM_DONE;
    if (e->type != IMK_HASH) return IM_REJECTED; /* WRONGTYPE */
    for (size_t j = 2; j < im->argc; j++) {
        imk_entry *v = im_field_of(e, &im->argv[j]);
        if (v == NULL) continue;
        imk_del(e->fields, v);
        if (im_emit_field(im, TRACE_OP_HDEL, key->p, key->len, im->argv[j].p, im->argv[j].len,
                          0) != 0)
            return -1;
        if (e->fields->count == 0) {
            imk_del(&im->keys, e);
            break;
        }
    }
    return IM_DONE;
}

/* The field's value as Redis reads it for HINCRBY*: 0 when missing; -1 when
 * it is not a number (long values are never one). */
static int field_number(imk_entry *v, int as_double, long long *ll, long double *ld) {
    *ll = 0;
    *ld = 0;
    if (v == NULL) return 0;
    if (v->val == NULL) return -1;
    if (as_double) return redis_string2ld(v->val, v->size, ld) ? 0 : -1;
    return redis_string2ll(v->val, v->size, ll) ? 0 : -1;
}

int im_cmd_hincrby(import_monitor *im) {
    long long incr, value;
    long double unused;
    if (!redis_string2ll(im->argv[3].p, im->argv[3].len, &incr)) return IM_REJECTED;
    if (!im_fields_fit(im, 2, 2, "HINCRBY")) return IM_UNTRANSLATED;
    int rc = 0;
    imk_entry *e = im_fields_for_write(im, &im->argv[1], IMK_HASH, &rc);
    if (e == NULL) return rc;
    if (field_number(im_field_of(e, &im->argv[2]), 0, &value, &unused) != 0) return IM_REJECTED;
    if ((incr < 0 && value < 0 && incr < LLONG_MIN - value) ||
        (incr > 0 && value > 0 && incr > LLONG_MAX - value))
        return IM_REJECTED; /* "increment or decrement would overflow" */
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%lld", value + incr);
    return set_field(im, e, &im->argv[2], buf, (uint64_t)n) != 0 ? -1 : IM_DONE;
}

int im_cmd_hincrbyfloat(import_monitor *im) {
    long double incr, value;
    long long unused;
    if (!redis_string2ld(im->argv[3].p, im->argv[3].len, &incr)) return IM_REJECTED;
    if (isnan(incr) || isinf(incr)) return IM_REJECTED;
    if (!im_fields_fit(im, 2, 2, "HINCRBYFLOAT")) return IM_UNTRANSLATED;
    int rc = 0;
    imk_entry *e = im_fields_for_write(im, &im->argv[1], IMK_HASH, &rc);
    if (e == NULL) return rc;
    if (field_number(im_field_of(e, &im->argv[2]), 1, &unused, &value) != 0) return IM_REJECTED;
    value += incr;
    if (isnan(value) || isinf(value)) return IM_REJECTED;
    char buf[REDIS_LONG_DOUBLE_CHARS];
    size_t n = redis_ld2string_human(buf, sizeof buf, value);
    return set_field(im, e, &im->argv[2], buf, n) != 0 ? -1 : IM_DONE;
}
