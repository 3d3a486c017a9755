/* snapshot: pictures of the heap at one moment, written by the worker into
 * the results directory.
 *
 *   pagemap-LABEL.csv   every page of the allocator's memory that holds
 *                       live data, and the resident pages around them that
 *                       hold none (the holes RSS pays for)
 *   bins-LABEL.csv      the allocator's small size classes (jemalloc's
 *                       bins), when its backend reports them
 *
 * Only the worker knows where the values are, and in the worker malloc is
 * the allocator under test: everything here lives in engine memory (emem,
 * outbuf), and sorting is done by hand (glibc's qsort may call malloc).
 *
 * pagemap-LABEL.csv:
 *   # fragsim page map: virtual_time T, page_size P, keys K, used_memory U
 *   page,live_bytes,blocks
 *   0,4096,1
 *   ...
 * page is the page's index counted from the lowest page listed, in
 * address order; an index missing between two rows is address space that
 * is not mapped, or mapped but not resident.  live_bytes: usable bytes of
 * live values in that page; blocks: live values with bytes in it.  A row
 * with live_bytes 0 is a resident page, in a mapping that holds live
 * values, with none in it: a free page not yet returned, or the
 * allocator's own metadata (looked for within 1 GiB of a live value).  The
 * engine's own memory is never listed.
 *
 * bins-LABEL.csv:
 *   # fragsim size classes: virtual_time T
 *   size,nregs,slab_size,curslabs,curregs,nonfull_slabs,regions,utilization,wasted_bytes
 * regions = nregs * curslabs; utilization = curregs / regions (empty when
 * there are none); wasted_bytes = (regions - curregs) * size, the free
 * regions inside slabs in use (Redis 7.4's allocator_frag_bytes per bin). */
#ifndef FRAGSIM_SNAPSHOT_H
#define FRAGSIM_SNAPSHOT_H

#include "engine.h"

/* The label of a snapshot at virtual time t: "300", "12.5" (buf: 32 bytes). */
const char *snapshot_label(double t, char *buf);

/* Writes dir/pagemap-LABEL.csv from e's live values.  Returns 0 or -1. */
int snapshot_pagemap(const char *dir, const char *label, const engine *e, fs_err *err);

/* Writes dir/bins-LABEL.csv when e's backend reports size classes; does
 * nothing otherwise.  Returns 0 or -1. */
int snapshot_bins(const char *dir, const char *label, const engine *e, fs_err *err);

#endif
