/* trace_htab: a table from a 64-bit key hash to a value, in the engine's
 * own memory (sim/emem.h), for the replay-time transforms (trace_transform,
 * trace_hashpack).  Keys are stored as their hash only: at 2^64 a collision
 * among even millions of keys is far less likely than any other error in
 * the run, and it keeps the table a flat array that never touches the
 * allocator under test. */
#ifndef FRAGSIM_TRACE_HTAB_H
#define FRAGSIM_TRACE_HTAB_H

#include <stddef.h>
#include <stdint.h>

typedef struct hslot {
    uint64_t h; /* 0: empty */
    int64_t v;
} hslot;

typedef struct htab {
    hslot *slots;
    size_t cap, count; /* cap a power of two */
} htab;

/* h's slot, or the empty slot where it would go (t->cap above 0). */
hslot *htab_find(htab *t, uint64_t h);
/* The slot for h: found, or new (h set, v 0, *fresh 1).  NULL when out of
 * memory. */
hslot *htab_get(htab *t, uint64_t h, int *fresh);
/* h's value, or dflt when h is not in the table. */
int64_t htab_value(htab *t, uint64_t h, int64_t dflt);
void htab_free(htab *t);

#endif
