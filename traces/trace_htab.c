#include "trace_htab.h"

#include <string.h>

#include "../sim/base/emem.h"

hslot *htab_find(htab *t, uint64_t h) {
    for (size_t i = h & (t->cap - 1);; i = (i + 1) & (t->cap - 1))
        if (t->slots[i].h == h || t->slots[i].h == 0) return &t->slots[i];
}

static int htab_grow(htab *t) {
    size_t ncap = t->cap ? t->cap * 2 : 1024;
    htab n = {emem_map(ncap * sizeof(hslot)), ncap, t->count};
    if (n.slots == NULL) return -1;
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i].h) *htab_find(&n, t->slots[i].h) = t->slots[i];
    if (t->slots) emem_unmap(t->slots, t->cap * sizeof(hslot));
    *t = n;
    return 0;
}

hslot *htab_get(htab *t, uint64_t h, int *fresh) {
    if ((t->count + 1) * 2 > t->cap && htab_grow(t) != 0) return NULL;
    hslot *s = htab_find(t, h);
    *fresh = s->h == 0;
    if (*fresh) {
        s->h = h;
        s->v = 0;
        t->count++;
    }
    return s;
}

int64_t htab_value(htab *t, uint64_t h, int64_t dflt) {
    if (t->cap == 0) return dflt;
    hslot *s = htab_find(t, h);
    return s->h == h ? s->v : dflt;
}

void htab_free(htab *t) {
    if (t->slots) emem_unmap(t->slots, t->cap * sizeof(hslot));
    memset(t, 0, sizeof *t);
}
