/* Redis's list commands that change memory, replayed against the
 * importer's key table and turned into LPUSH / RPUSH / LPOP / RPOP / LTRIM
 * events (t_list.c of Redis 7.0: the same checks in the same order,
 * WRONGTYPE on a key of another type).
 *
 * The importer keeps a list's length only (in its entry's size): the
 * events carry sizes and positions, never elements, so a pop needs none.
 * A pop with a count is one LTRIM, because that is what Redis does with it:
 * popGenericCommand deletes the range with one quicklistDelRange
 * (listTypeDelRange), not element by element.  LPOP k n is LTRIM k n -1 and
 * RPOP k n is LTRIM k 0 -(n+1), the same quicklistDelRange calls; only an
 * RPOP that empties the list differs in Redis by one realloc (its range
 * comes from the tail, so the head node's listpack is cut before it is
 * freed), which the replay leaves out.
 *
 * Not translated (counted as such): LREM, LSET, LINSERT (they need the
 * elements' bytes), the blocking pops, LMPOP, LMOVE, RPOPLPUSH. */
#include <string.h>

#include "import_monitor_int.h"

/* pushGenericCommand: LPUSH, RPUSH, and (xx) LPUSHX, RPUSHX, which push
 * only onto a list that exists.  One event per element, in argument
 * order. */
static int push(import_monitor *im, trace_op op, int xx, const char *cmd) {
    for (size_t j = 2; j < im->argc; j++) {
        if (im->argv[j].len > TRACE_SIZE_MAX) {
            snprintf(im->label, sizeof im->label, "%s (element over 512 MiB)", cmd);
            return IM_UNTRANSLATED;
        }
    }
    imk_entry *e = im_lookup(im, &im->argv[1]);
    if (e != NULL && e->type != IMK_LIST) return IM_REJECTED; /* WRONGTYPE */
    if (e == NULL && xx) return IM_DONE;
    int rc = 0;
    if ((e = im_fields_for_write(im, &im->argv[1], IMK_LIST, &rc)) == NULL) return rc;
    const im_arg *k = &im->argv[1];
    for (size_t j = 2; j < im->argc; j++) {
        if (im_emit(im, op, k->p, k->len, im->argv[j].len, TRACE_TTL_NONE) != 0) return -1;
        e->size++;
    }
    return IM_DONE;
}

int im_cmd_lpush(import_monitor *im) { return push(im, TRACE_OP_LPUSH, 0, "LPUSH"); }
int im_cmd_rpush(import_monitor *im) { return push(im, TRACE_OP_RPUSH, 0, "RPUSH"); }
int im_cmd_lpushx(import_monitor *im) { return push(im, TRACE_OP_LPUSH, 1, "LPUSHX"); }
int im_cmd_rpushx(import_monitor *im) { return push(im, TRACE_OP_RPUSH, 1, "RPUSHX"); }

/* The list at argv[1] for a removal: NULL with *rc IM_DONE when missing,
 * IM_REJECTED for another type (WRONGTYPE). */
static imk_entry *list_for_removal(import_monitor *im, int *rc) {
    imk_entry *e = im_lookup(im, &im->argv[1]);
    *rc = e == NULL ? IM_DONE : IM_REJECTED;
    return e != NULL && e->type == IMK_LIST ? e : NULL;
}

/* n elements left the list e: none left takes the key (dbDelete). */
static void removed(import_monitor *im, imk_entry *e, uint64_t n) {
    e->size -= n;
    if (e->size == 0) imk_del(&im->keys, e);
}

/* popGenericCommand: LPOP or RPOP key [count]. */
static int pop(import_monitor *im, int head) {
    long long count = 0;
    int hascount = im->argc == 3;
    if (im->argc > 3) return IM_REJECTED; /* wrong number of arguments */
    if (hascount && (!redis_string2ll(im->argv[2].p, im->argv[2].len, &count) || count < 0))
        return IM_REJECTED; /* "value is out of range, must be positive" */
    int rc;
    imk_entry *e = list_for_removal(im, &rc);
    if (e == NULL) return rc;
    const im_arg *k = &im->argv[1];
    if (!hascount) {
        trace_op op = head ? TRACE_OP_LPOP : TRACE_OP_RPOP;
        if (im_emit(im, op, k->p, k->len, 0, TRACE_TTL_NONE) != 0) return -1;
        removed(im, e, 1);
        return IM_DONE;
    }
    if (count == 0) return IM_DONE; /* the fast exit: an empty reply */
    int64_t n = (uint64_t)count > e->size ? (int64_t)e->size : count;
    if (im_emit_ltrim(im, k->p, k->len, head ? n : 0, head ? -1 : -(n + 1)) != 0) return -1;
    removed(im, e, (uint64_t)n);
    return IM_DONE;
}

int im_cmd_lpop(import_monitor *im) { return pop(im, 1); }
int im_cmd_rpop(import_monitor *im) { return pop(im, 0); }

/* LTRIM key start stop: the indexes parsed first, then the key; the
 * length follows ltrimCommand's arithmetic. */
int im_cmd_ltrim(import_monitor *im) {
    long long start, stop;
    if (!redis_string2ll(im->argv[2].p, im->argv[2].len, &start) ||
        !redis_string2ll(im->argv[3].p, im->argv[3].len, &stop))
        return IM_REJECTED; /* "value is not an integer or out of range" */
    int rc;
    imk_entry *e = list_for_removal(im, &rc);
    if (e == NULL) return rc;
    /* The event carries the indexes as given (the replay does the same
     * arithmetic); here they only count what stays. */
    const im_arg *k = &im->argv[1];
    if (im_emit_ltrim(im, k->p, k->len, start, stop) != 0) return -1;
    long long llen = (long long)e->size, keep;
    if (start < 0) start += llen;
    if (stop < 0) stop += llen;
    if (start < 0) start = 0;
    if (start > stop || start >= llen) keep = 0;
    else keep = (stop >= llen ? llen - 1 : stop) - start + 1;
    removed(im, e, (uint64_t)(llen - keep));
    return IM_DONE;
}
