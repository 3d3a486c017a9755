/* The seed's checklist: each item passes, fails or does not apply by its
 * rule, with the number behind it; settings come from a plain struct (here
 * Redis's defaults, then changed), measurements from another. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../analysis/checklist.h"

static const checklist_item *find(const checklist_item *items, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(items[i].name, name) == 0) return &items[i];
    cr_assert_fail("no item %s", name);
    return NULL;
}

static checklist_settings defaults(void) {
    redis_conf c;
    redis_conf_default(&c);
    checklist_settings s;
    checklist_settings_from_conf(&s, &c);
    s.maxmemory = 100 << 20;
    return s;
}

/* Fragmented: allocator fragmentation 1.5 peaking at 200 MiB of holes; RSS
 * peak 120 MiB; sizes 100 and 10000 B half and half; TTLs 60 s. */
static checklist_measures *fragmented(void) {
    checklist_measures *m = calloc(1, sizeof *m);
    m->rss_peak = 120.0 * (1 << 20);
    m->afrag_peak = 1.5;
    m->frag_bytes_peak = 200.0 * (1 << 20);
    m->defrag_start_at = 42;
    m->duration = 600;
    for (int i = 0; i < 1000; i++) {
        checklist_spread_add(&m->sizes, i % 2 ? 100 : 10000);
        checklist_spread_add(&m->ttls, 60);
        m->sets++, m->sets_with_ttl++;
    }
    return m;
}

Test(checklist, spread_quantiles_are_close) {
    checklist_spread s;
    memset(&s, 0, sizeof s);
    cr_assert(isnan(checklist_spread_quantile(&s, 0.5)));
    for (int v = 1; v <= 1000; v++) checklist_spread_add(&s, v);
    double q10 = checklist_spread_quantile(&s, 0.1), q90 = checklist_spread_quantile(&s, 0.9);
    cr_assert(fabs(q10 - 100) < 100 * 0.03, "p10 %f", q10);
    cr_assert(fabs(q90 - 900) < 900 * 0.03, "p90 %f", q90);
}

Test(checklist, defaults_on_a_fragmented_trace) {
    checklist_settings s = defaults();
    checklist_measures *m = fragmented();
    checklist_item items[CHECKLIST_MAX_ITEMS];
    size_t n = checklist_eval(&s, m, items);
    const checklist_item *a = find(items, n, "activedefrag");
    cr_assert_eq(a->verdict, CHECK_FAIL, "activedefrag no by default");
    cr_assert_float_eq(a->value, 50, 1e-9, "fragmentation in percent");
    cr_assert_eq(find(items, n, "defrag thresholds")->verdict, CHECK_PASS);
    cr_assert_eq(find(items, n, "defrag thresholds")->value, 42, "when the rule is met");
    cr_assert_eq(find(items, n, "cycle-max")->verdict, CHECK_NA, "defrag off");
    /* 120 MiB + 20% over 100 MiB: 44%, inside the rule's 50%. */
    const checklist_item *h = find(items, n, "headroom");
    cr_assert_eq(h->verdict, CHECK_PASS);
    cr_assert_float_eq(h->value, 44, 1e-6);
    const checklist_item *v = find(items, n, "value-size spread");
    cr_assert_eq(v->verdict, CHECK_FAIL, "100 B against 10000 B");
    cr_assert_gt(v->value, 50);
    cr_assert_eq(find(items, n, "TTL spread")->verdict, CHECK_PASS, "one TTL");
    free(m);
}

Test(checklist, settings_change_the_verdicts) {
    checklist_settings s = defaults();
    checklist_measures *m = fragmented();
    checklist_item items[CHECKLIST_MAX_ITEMS];
    s.activedefrag = 1;
    s.cycle_max = 75;
    s.maxmemory = 70 << 20; /* 144 MiB needed: +106% */
    size_t n = checklist_eval(&s, m, items);
    cr_assert_eq(find(items, n, "activedefrag")->verdict, CHECK_PASS);
    cr_assert_eq(find(items, n, "cycle-max")->verdict, CHECK_FAIL, "75%% is above 25%%");
    cr_assert_eq(find(items, n, "cycle-max")->value, 75);
    cr_assert_eq(find(items, n, "headroom")->verdict, CHECK_FAIL);
    /* The start rule never met, with plenty of fragmentation: ignore-bytes
     * (or the threshold) is set too high for this trace. */
    m->defrag_start_at = NAN;
    n = checklist_eval(&s, m, items);
    const checklist_item *t = find(items, n, "defrag thresholds");
    cr_assert_eq(t->verdict, CHECK_FAIL);
    cr_assert(strstr(t->detail, "never met") != NULL, "%s", t->detail);
    /* Little fragmentation: defrag does not apply. */
    m->afrag_peak = 1.05;
    n = checklist_eval(&s, m, items);
    cr_assert_eq(find(items, n, "activedefrag")->verdict, CHECK_NA);
    cr_assert_eq(find(items, n, "defrag thresholds")->verdict, CHECK_PASS);
    /* No TTLs, no maxmemory. */
    m->sets_with_ttl = 0;
    s.maxmemory = 0;
    n = checklist_eval(&s, m, items);
    cr_assert_eq(find(items, n, "TTL spread")->verdict, CHECK_NA);
    cr_assert_eq(find(items, n, "headroom")->verdict, CHECK_NA);
    free(m);
}

Test(checklist, alerts_fail_when_they_fire) {
    checklist_settings s = defaults();
    checklist_measures *m = fragmented();
    m->nalerts = 2;
    m->alerts[0] = (checklist_alert){.name = "High", .expr = "x > 1.5 for 30m",
                                     .first_fired = NAN, .longest = 100, .worst = 1.8};
    m->alerts[1] = (checklist_alert){.name = "Critical", .expr = "x > 2 for 10m",
                                     .first_fired = 700, .longest = 900, .worst = 2.5};
    checklist_item items[CHECKLIST_MAX_ITEMS];
    size_t n = checklist_eval(&s, m, items);
    const checklist_item *hi = find(items, n, "alert High");
    cr_assert_eq(hi->verdict, CHECK_PASS);
    cr_assert(strstr(hi->detail, "100 s") != NULL, "%s", hi->detail);
    const checklist_item *cr = find(items, n, "alert Critical");
    cr_assert_eq(cr->verdict, CHECK_FAIL);
    cr_assert_eq(cr->value, 700, "fires at 700 s");
    free(m);
}
