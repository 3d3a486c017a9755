/* The report's Pareto front: the grid points no other point beats. */
#include <criterion/criterion.h>
#include <math.h>

#include "../analysis/report.h"

Test(report, pareto_front_keeps_the_points_nothing_beats) {
    /* x: CPU seconds, y: mean RSS. */
    double x[] = {1.0, 2.0, 3.0, 1.5, 4.0, 2.0, NAN, 0.5};
    double y[] = {900, 500, 300, 950, 300, 600, 100, 1000};
    size_t front[8];
    size_t n = report_pareto(x, y, 8, front);
    /* 0.5/1000, 1/900, 2/500, 3/300 are on it; 1.5/950 is beaten by 1/900,
     * 2/600 by 2/500, 4/300 by 3/300; the NAN point is left out. */
    cr_assert_eq(n, 4, "%zu on the front", n);
    size_t want[] = {7, 0, 1, 2};
    for (size_t i = 0; i < 4; i++) cr_assert_eq(front[i], want[i], "front[%zu] = %zu", i, front[i]);
}

Test(report, equal_points_are_both_on_the_front) {
    double x[] = {1, 1}, y[] = {5, 5};
    size_t front[2];
    cr_assert_eq(report_pareto(x, y, 2, front), 2);
}
