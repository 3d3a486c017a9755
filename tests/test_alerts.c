/* The seed's alert rules over made-up series: "for" windows as Prometheus
 * evaluates them (every evaluation in the window must hold; a missing value
 * or a false one starts over), the OOM moment. */
#include <criterion/criterion.h>
#include <math.h>

#include "../analysis/alerts.h"

#define N 400

static double t[N], v[N];

/* Samples every `step` seconds from 0, all at `value`. */
static void series(double step, double value) {
    for (int i = 0; i < N; i++) {
        t[i] = i * step;
        v[i] = value;
    }
}

Test(alerts, fires_when_the_window_is_full_and_not_before) {
    series(10, 1.0);
    for (int i = 20; i < N; i++) v[i] = 1.6; /* from 200 s on */
    alert_result r;
    alerts_eval(t, v, N, 1.5, 1800, &r);
    cr_assert_float_eq(r.first_pending, 200, 1e-9);
    /* Pending at 200 s; 30 minutes later, 2000 s, is an evaluation. */
    cr_assert_float_eq(r.first_fired, 2000, 1e-9);
    cr_assert_eq(r.firings, 1);
    cr_assert(isnan(r.first_resolved), "still firing at the end");
}

Test(alerts, one_sample_below_starts_the_window_over) {
    series(10, 1.6);
    v[100] = 1.4; /* at 1000 s, 1000 s into the window */
    alert_result r;
    alerts_eval(t, v, N, 1.5, 1800, &r);
    cr_assert_eq(r.episodes, 2);
    cr_assert_float_eq(r.first_pending, 0, 1e-9);
    cr_assert_float_eq(r.first_fired, 1010 + 1800, 1e-9, "%f", r.first_fired);
    cr_assert_float_eq(r.longest, 3990 - 1010, 1e-9);
}

Test(alerts, a_value_at_the_threshold_does_not_hold) {
    series(10, 2.0);
    alert_result r;
    alerts_eval(t, v, N, 2.0, 600, &r);
    cr_assert(isnan(r.first_pending));
    cr_assert(isnan(r.first_fired));
    cr_assert_eq(r.episodes, 0);
}

Test(alerts, a_missing_value_ends_the_episode) {
    series(10, 2.5);
    v[30] = NAN; /* 300 s: used_memory 0, the ratio undefined */
    alert_result r;
    alerts_eval(t, v, N, 2.0, 600, &r);
    cr_assert_float_eq(r.first_fired, 310 + 600, 1e-9, "%f", r.first_fired);
}

Test(alerts, short_episodes_never_fire_and_report_their_longest_hold) {
    /* The seed-blog shape: above 1.5 from 280 s to 470 s, then undefined. */
    series(10, 1.2);
    for (int i = 28; i <= 47; i++) v[i] = 1.5 + i * 0.1;
    for (int i = 48; i < 79; i++) v[i] = NAN;
    alert_result r;
    alerts_eval(t, v, 79, 1.5, 1800, &r);
    cr_assert(isnan(r.first_fired));
    cr_assert_float_eq(r.longest, 190, 1e-9);
    cr_assert_float_eq(r.longest_from, 280, 1e-9);
    cr_assert_float_eq(r.longest_to, 470, 1e-9);
    cr_assert_float_eq(r.worst, 1.5 + 47 * 0.1, 1e-9);
}

Test(alerts, resolves_when_the_condition_ends_after_firing) {
    series(60, 3.0); /* a one-minute scrape interval */
    for (int i = 20; i < N; i++) v[i] = 1.0;
    alert_result r;
    alerts_eval(t, v, N, 2.0, 600, &r);
    cr_assert_float_eq(r.first_fired, 600, 1e-9);
    cr_assert_float_eq(r.first_resolved, 1200, 1e-9);
}

Test(alerts, zero_for_fires_at_once) {
    series(10, 0);
    v[5] = 10;
    alert_result r;
    alerts_eval(t, v, N, 1, 0, &r);
    cr_assert_float_eq(r.first_fired, 50, 1e-9);
    cr_assert_eq(r.firings, 1);
}

Test(alerts, times_read_from_csv_a_microsecond_short_still_fill_the_window) {
    series(10, 3);
    t[60] = 600 - 1e-7;
    alert_result r;
    alerts_eval(t, v, 61, 2, 600, &r);
    cr_assert_float_eq(r.first_fired, t[60], 1e-12);
}

Test(alerts, the_seed_rules) {
    alert_rule rules[3];
    cr_assert_eq(alerts_seed(0, rules), 2);
    cr_assert_float_eq(rules[0].threshold, 1.5, 0);
    cr_assert_float_eq(rules[0].for_s, 1800, 0);
    cr_assert_float_eq(rules[1].threshold, 2.0, 0);
    cr_assert_float_eq(rules[1].for_s, 600, 0);
    cr_assert_eq(alerts_seed(1000, rules), 3);
    cr_assert_float_eq(rules[2].threshold, 850, 1e-9);
    cr_assert_float_eq(rules[2].for_s, 300, 0);
    cr_assert_str_eq(rules[2].column, "used_memory_rss");
}

Test(alerts, rss_near_the_limit_and_the_oom_moment) {
    /* RSS grows 1 MB per 10 s sample against a 100 MB limit. */
    series(10, 0);
    for (int i = 0; i < N; i++) v[i] = i * 1e6;
    alert_rule rules[3];
    alerts_seed(100e6, rules);
    alert_result r;
    alerts_eval(t, v, N, rules[2].threshold, rules[2].for_s, &r);
    /* Above 85 MB from sample 86 (860 s); fires 300 s later. */
    cr_assert_float_eq(r.first_pending, 860, 1e-9);
    cr_assert_float_eq(r.first_fired, 1160, 1e-9);
    size_t i = alerts_first_above(v, N, 100e6);
    cr_assert_eq(i, 101);
    cr_assert_eq(alerts_first_above(v, 50, 100e6), 50, "never: n");
}
