/* objmodel_list: the blocks a list key holds in the allocator under test.
 *
 * A list is a hashobj of type HO_TYPE_LIST whose elements and quicklist
 * nodes are in hashobj.list (no fields); a trace gives each element's
 * size only.
 *
 * raw: one block per element, of the element's size (the data alone).
 *
 * redis: Redis 7.0.15's list, always OBJ_ENCODING_QUICKLIST (t_list.c,
 * quicklist.c, listpack.c, object.c):
 *  - LPUSH or RPUSH on a missing key makes the quicklist struct (40 B:
 *    head, tail, count, len, the fill/compress/bookmark bit fields) and its
 *    robj (16; createQuicklistObject), then dbAdd;
 *  - a push goes into the head (tail) node's listpack when
 *    _quicklistNodeAllowInsert lets it: with lpBytes + the element's
 *    length + 8 (SIZE_ESTIMATE_OVERHEAD) as the estimate, a negative fill
 *    (list-max-listpack-size, -2 by default, clamped to -5) allows it
 *    when the estimate is at most 4 KB, 8 KB ... 64 KB (-1 ... -5); a
 *    positive fill when the estimate is at most 8 KB (SIZE_SAFETY_LIMIT)
 *    and the node holds fewer than fill elements.  Else a new node: the
 *    quicklistNode (40 B) first, then lpNew (7 B), then the entry;
 *  - an entry is a string's (omh_lp_entry_size; a trace's elements are not
 *    read as integers), and the listpack grows by realloc only past its
 *    usable size (lpInsert);
 *  - LPOP or RPOP: lpDelete shrinks the listpack by realloc, then a node
 *    left empty is freed (its listpack, then the node: __quicklistDelNode);
 *    the last element takes the key;
 *  - LTRIM start stop: Redis's two quicklistDelRange calls, the head's
 *    ltrim elements then the tail's rtrim: a node wholly inside a range is
 *    freed without touching its listpack, except the tail range's first
 *    node (reached by a negative offset, always lpDeleteRange), and a node
 *    partly inside has lpDeleteRange's lpShrinkToFit (a realloc), freed
 *    after when emptied;
 *  - list-compress-depth 0 (no compression), elements under 1 GB (no plain
 *    nodes).  Not modelled: compression, plain nodes, the per-command
 *    argument objects and popped values' reply objects (freed at once),
 *    node merges (LINSERT, LREM's callers), integer elements. */
#ifndef FRAGSIM_OBJMODEL_LIST_H
#define FRAGSIM_OBJMODEL_LIST_H

#include <stdint.h>

#include "base/fs_err.h"
#include "hashobj.h"

struct engine;

/* Redis 7's list-max-listpack-size. */
#define OML_MAX_LISTPACK_SIZE (-2)
/* sizeof(quicklist) and sizeof(quicklistNode) on 64-bit Linux (quicklist.h). */
#define OML_QUICKLIST_SIZE 40
#define OML_NODE_SIZE 40

/* The list's elements (0 for a hashobj without a list). */
uint64_t oml_len(const hashobj *h);
/* LPUSH (head) or RPUSH of an element of len bytes on the list h of the
 * key in slot; is_new_key: the key has just been made for it (no block
 * yet).  Returns 0, or -1 with err set when the allocator or engine memory
 * refuses. */
int oml_push(struct engine *e, uint32_t slot, hashobj *h, int is_new_key, int head, uint64_t len,
             fs_err *err);
/* LPOP (head) or RPOP of one element of a non-empty list; the engine
 * deletes the key when it was the last.  Returns 0 or -1. */
int oml_pop(struct engine *e, uint32_t slot, hashobj *h, int head, fs_err *err);
/* LTRIM start stop (Redis's indexes).  Returns 0 or -1. */
int oml_trim(struct engine *e, uint32_t slot, hashobj *h, int64_t start, int64_t stop,
             fs_err *err);
/* The bytes a list's value holds in the redis model (usable sizes: robj,
 * quicklist, nodes, listpacks). */
uint64_t oml_value_bytes(const hashobj *h);
/* Frees a list's elements or quicklist (omh_free calls it, then frees the
 * robj as for every type). */
void oml_free(struct engine *e, uint32_t slot, hashobj *h);

#endif
