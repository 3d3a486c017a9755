/* pagemap: a run's page maps (pagemap-T.csv, sim/snapshot.h) read back and
 * drawn: as an SVG grid of pages coloured by the share of each page that
 * holds live data, and as text for a terminal.
 *
 * The allocator's address space is sparse, so the pictures are compact:
 * only the pages listed (those holding live data, and resident pages
 * without any in the same mappings), in address order, row after row; the
 * gaps between mappings are squeezed out.  A big heap puts several pages
 * in one cell, coloured by the live bytes over the bytes of its pages. */
#ifndef FRAGSIM_PAGEMAP_H
#define FRAGSIM_PAGEMAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../sim/base/fs_err.h"

typedef struct pagemap {
    double t;            /* virtual seconds */
    uint64_t page_size;
    size_t n;            /* pages listed */
    uint32_t *live;      /* live bytes per listed page, in address order */
    uint64_t live_bytes; /* sum of live */
    size_t touched;      /* pages with live data */
    size_t empty;        /* resident pages without */
    size_t half_empty;   /* pages with live data under half full */
} pagemap;

/* Loads path (pagemap-T.csv).  Returns 0 or -1. */
int pagemap_load(pagemap *m, const char *path, fs_err *err);
void pagemap_free(pagemap *m);

/* Mean live bytes per page with live data (0 when none). */
double pagemap_mean_fill(const pagemap *m);

/* One line of figures: pages, live bytes, mean fill, holes. */
void pagemap_describe(FILE *f, const pagemap *m);

/* The map as an <svg> of width w px, with a title. */
void pagemap_svg(FILE *f, const pagemap *m, const char *title, double w);
/* The colour legend as an <svg>. */
void pagemap_svg_legend(FILE *f);

/* The maps side by side as text, each `cols` characters wide and at most
 * `rows` lines tall, with a legend. */
void pagemap_text(FILE *f, const pagemap *const *maps, const char *const *titles, size_t n,
                  int cols, int rows);

#endif
