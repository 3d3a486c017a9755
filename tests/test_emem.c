/* emem in both builds: mapped, zeroed, page-aligned regions in a measuring
 * build; in the debug mode (-DFRAGSIM_EMEM_DEBUG=ON with the sanitizer) exact-size allocations whose
 * first byte past the end AddressSanitizer watches, so an overflow of a
 * reader's buffer is caught. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <unistd.h>

#include "../sim/base/emem.h"

/* The debug mode is its own build option (FRAGSIM_EMEM_DEBUG, with the
 * sanitizer): it moves fragsim's own memory into the heap, which the
 * memory-measuring tests cannot allow. */
#ifdef FRAGSIM_EMEM_DEBUG
#include <sanitizer/asan_interface.h>
#define EMEM_TEST_ASAN 1
#endif

Test(emem, regions_and_small_objects) {
    char *p = emem_map(100);
    cr_assert(p != NULL);
    for (int i = 0; i < 100; i++) cr_assert_eq(p[i], 0);
    p = emem_remap(p, 100, 5000);
    cr_assert(p != NULL);
    for (int i = 100; i < 5000; i++) cr_assert_eq(p[i], 0, "byte %d of the grown region", i);
    char *s = emem_alloc(24);
    cr_assert(s != NULL);
#ifdef EMEM_TEST_ASAN
    cr_assert(__asan_address_is_poisoned(p + 5000), "ASan does not see past a region's end");
    cr_assert(__asan_address_is_poisoned(s + 24), "ASan does not see past a small object");
#else
    cr_assert_eq((uintptr_t)p % (uintptr_t)sysconf(_SC_PAGESIZE), 0, "not page-aligned");
    cr_assert_geq(emem_mapped(), 8192);
#endif
    emem_free(s, 24);
    emem_unmap(p, 5000);
}
