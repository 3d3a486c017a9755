/* The active expire cycle (redis_expire.h). */
#include "redis_expire.h"

#include "engine.h"

uint64_t rx_active_cycle(engine *e) {
    uint64_t budget = (uint64_t)e->cfg.tick_interval_us * RX_BUDGET_KEYS_PER_SECOND / 1000000 *
                      RX_CYCLE_PERCENT / 100;
    if (budget < RX_KEYS_PER_LOOP) budget = RX_KEYS_PER_LOOP;
    uint64_t sampled = 0;
    for (;;) {
        unsigned n = 0, expired = 0;
        for (; n < RX_KEYS_PER_LOOP && e->ks.heap_len > 0; n++) {
            uint32_t slot = ks_expiring_at(&e->ks, (uint32_t)rng_below(&e->rx_rng, e->ks.heap_len));
            if (ks_expire_us(&e->ks, slot) <= e->now_us) {
                engine_expire_key(e, slot);
                expired++;
            }
        }
        sampled += n;
        /* Redis goes on while the sample was more than 10% stale. */
        if (n == 0 || expired * 100 <= (unsigned)RX_ACCEPTABLE_STALE * n || sampled >= budget)
            return sampled;
    }
}
