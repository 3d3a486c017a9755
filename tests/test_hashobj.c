/* A hash's field set in engine memory (sim/hashobj.h): lookups after adds
 * and removals in any order, the name arena compacted on the way, and the
 * blocks array following the fields. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../sim/base/rng.h"
#include "../sim/hashobj.h"

#define N 3000

Test(hashobj, adds_and_removals_in_any_order_keep_every_lookup) {
    hashobj *h = ho_new();
    cr_assert_not_null(h);
    static int present[N];
    char name[32];
    rng r;
    rng_seed(&r, 7);
    for (int round = 0; round < 20000; round++) {
        int k = (int)rng_below(&r, N);
        int len = snprintf(name, sizeof name, "field:%d", k);
        uint32_t i = ho_find(h, name, (uint32_t)len);
        cr_assert_eq(i != HO_NONE, present[k], "round %d: field %d", round, k);
        if (i == HO_NONE) {
            i = ho_add(h, name, (uint32_t)len, (uint32_t)k);
            cr_assert_neq(i, HO_NONE);
            present[k] = 1;
            if (round == 10000) { /* blocks from now on, zeroed: mark the old fields' */
                cr_assert_eq(ho_use_blocks(h), 0);
                for (uint32_t j = 0; j < h->nfields; j++) {
                    cr_assert_eq(h->b[j].val_usable, 0);
                    h->b[j].val_usable = h->f[j].vlen;
                }
            }
            if (h->b != NULL) h->b[i].val_usable = (uint32_t)k;
        } else {
            cr_assert_eq(h->f[i].vlen, (uint32_t)k, "the field's own record");
            if (h->b != NULL && round > 10000) cr_assert_eq(h->b[i].val_usable, (uint32_t)k);
            ho_remove(h, i);
            present[k] = 0;
        }
    }
    uint32_t live = 0;
    for (int k = 0; k < N; k++) live += (uint32_t)present[k];
    cr_assert_eq(h->nfields, live);
    for (uint32_t i = 0; i < h->nfields; i++) {
        cr_assert_eq(ho_find(h, ho_name(h, i), h->f[i].len), i);
        cr_assert_leq(h->names_used, h->names_cap);
    }
    cr_assert_lt(h->names_dead, h->names_cap, "removed names are compacted away");
    ho_free(h);
}

Test(hashobj, empty_and_binary_names) {
    hashobj *h = ho_new();
    cr_assert_eq(ho_add(h, "", 0, 1), 0);
    cr_assert_eq(ho_add(h, "a\0b", 3, 2), 1);
    cr_assert_eq(ho_find(h, "", 0), 0);
    cr_assert_eq(ho_find(h, "a\0b", 3), 1);
    cr_assert_eq(ho_find(h, "a", 1), HO_NONE);
    ho_remove(h, 0);
    cr_assert_eq(ho_find(h, "a\0b", 3), 0, "the last field took the hole");
    cr_assert_eq(ho_find(h, "", 0), HO_NONE);
    ho_free(h);
}
