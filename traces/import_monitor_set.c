/* Redis's set commands that change memory, replayed against the importer's
 * key table and turned into SADD / SREM events (t_set.c of Redis 7.0: the
 * same checks in the same order, WRONGTYPE on a key of another type).
 *
 * A set key's members live in the entry's own small table (import_keys.h),
 * so that only members that are new become SADDs and only present ones
 * SREMs.  The last SREM removes the key, as Redis does, and the replay does
 * the same on its own.
 *
 * SPOP removes members Redis draws at random, which MONITOR does not show
 * (it shows the command as sent): the importer removes as many members, the
 * first ones of its own table.  The memory is the same for an intset (a
 * member is its width) and differs by the members' lengths for a
 * hashtable. */
#include <string.h>

#include "import_monitor_int.h"

/* An SADD or SREM event of argv[j] on argv[key]. */
static int emit_member(import_monitor *im, trace_op op, size_t key, const im_arg *m) {
    const im_arg *k = &im->argv[key];
    return im_emit_field(im, op, k->p, k->len, m->p, m->len, 0);
}

/* setTypeAdd of m to the set e at argv[key]: an event when m is new. */
static int add_member(import_monitor *im, imk_entry *e, size_t key, const im_arg *m) {
    if (im_field_of(e, m) != NULL) return 0;
    if (imk_add(e->fields, 0, m->p, (uint32_t)m->len, 0) == NULL)
        return fs_errf(im->err, "out of memory");
    return emit_member(im, TRACE_OP_SADD, key, m);
}

/* setTypeRemove of m from the set e at argv[key]: an event when m was a
 * member; the last member takes the key (*gone set).  Returns 0 or -1. */
static int remove_member(import_monitor *im, imk_entry *e, size_t key, const im_arg *m,
                         int *gone) {
    imk_entry *v = im_field_of(e, m);
    *gone = 0;
    if (v == NULL) return 0;
    /* The event first: m may be the entry's own bytes (SPOP). */
    if (emit_member(im, TRACE_OP_SREM, key, m) != 0) return -1;
    imk_del(e->fields, v);
    if (e->fields->count == 0) {
        imk_del(&im->keys, e);
        *gone = 1;
    }
    return 0;
}

/* SADD key member [member ...] */
int im_cmd_sadd(import_monitor *im) {
    if (!im_fields_fit(im, 2, 1, "SADD")) return IM_UNTRANSLATED;
    int rc = 0;
    imk_entry *e = im_fields_for_write(im, &im->argv[1], IMK_SET, &rc);
    if (e == NULL) return rc;
    for (size_t j = 2; j < im->argc; j++)
        if (add_member(im, e, 1, &im->argv[j]) != 0) return -1;
    return IM_DONE;
}

/* The set at argv[1] for a removal: NULL with *rc IM_DONE when missing,
 * IM_REJECTED for another type (WRONGTYPE). */
static imk_entry *set_for_removal(import_monitor *im, int *rc) {
    imk_entry *e = im_lookup(im, &im->argv[1]);
    *rc = e == NULL ? IM_DONE : IM_REJECTED;
    return e != NULL && e->type == IMK_SET ? e : NULL;
}

/* SREM key member [member ...] */
int im_cmd_srem(import_monitor *im) {
    if (!im_fields_fit(im, 2, 1, "SREM")) return IM_UNTRANSLATED;
    int rc, gone = 0;
    imk_entry *e = set_for_removal(im, &rc);
    for (size_t j = 2; e != NULL && j < im->argc && !gone; j++)
        if (remove_member(im, e, 1, &im->argv[j], &gone) != 0) return -1;
    return e == NULL ? rc : IM_DONE;
}

/* SMOVE source destination member: an SREM from the source, then an SADD
 * to the destination (made from the member when missing). */
int im_cmd_smove(import_monitor *im) {
    if (!im_fields_fit(im, 3, 1, "SMOVE")) return IM_UNTRANSLATED;
    imk_entry *src = im_lookup(im, &im->argv[1]), *dst = im_lookup(im, &im->argv[2]);
    const im_arg *m = &im->argv[3];
    if (src == NULL) return IM_DONE;
    if (src->type != IMK_SET || (dst != NULL && dst->type != IMK_SET)) return IM_REJECTED;
    if (src == dst || im_field_of(src, m) == NULL) return IM_DONE;
    int rc = 0, gone;
    if (remove_member(im, src, 1, m, &gone) != 0) return -1;
    if ((dst = im_fields_for_write(im, &im->argv[2], IMK_SET, &rc)) == NULL) return rc;
    return add_member(im, dst, 2, m) != 0 ? -1 : IM_DONE;
}

/* The first member of the set, for SPOP: imk_each's first. */
static int first_member(void *arg, imk_entry *v) {
    *(imk_entry **)arg = v;
    return 1;
}

/* SPOP key [count]: count (default 1) members go, the whole set when it
 * holds no more. */
int im_cmd_spop(import_monitor *im) {
    long long count = 1;
    if (im->argc > 3) return IM_REJECTED; /* syntax error */
    if (im->argc == 3 && (!redis_string2ll(im->argv[2].p, im->argv[2].len, &count) || count < 0))
        return IM_REJECTED; /* "value is out of range, must be positive" */
    int rc, gone = 0;
    imk_entry *e = set_for_removal(im, &rc);
    if (e == NULL) return rc;
    for (long long n = 0; n < count && !gone; n++) {
        imk_entry *v = NULL;
        imk_each(e->fields, -1, 0, first_member, &v);
        im_arg m = {v->key, v->keylen};
        if (remove_member(im, e, 1, &m, &gone) != 0) return -1;
    }
    return IM_DONE;
}
