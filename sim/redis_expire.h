/* redis_expire: Redis's way of expiring keys (--expiry redis), against the
 * engine's default of removing every key exactly at its TTL.
 *
 * Redis removes a key past its TTL only when something looks at it (lazy
 * expiry: any command on the key) or when the cron's active expire cycle
 * samples it: each tick (hz a second) it samples 20 keys with a TTL,
 * removes those past it, and samples again while more than 10% of the
 * sample had expired, within 25% of the tick's CPU time.  Keys past their
 * TTL but not yet found stay in memory, which is what this mode shows.
 *
 * Virtual time has no CPU clock, so the time limit is a count: at most
 * RX_BUDGET_KEYS_PER_SECOND x 25% x the tick's length keys sampled a tick,
 * taking a sampled key (a random dict entry, its TTL compared and, when
 * due, its blocks freed) as about a microsecond of a server's CPU.  At hz 10
 * that is 25,000 keys a tick.
 *
 * The sample is drawn from random positions of the keyspace's expiry heap
 * (every key with a TTL, in no order that matters to the sampler), with a
 * generator of its own seeded by a fixed constant: the same trace gives the
 * same expiries on every run and every allocator. */
#ifndef FRAGSIM_REDIS_EXPIRE_H
#define FRAGSIM_REDIS_EXPIRE_H

#include <stdint.h>

#define RX_KEYS_PER_LOOP 20           /* ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP */
#define RX_ACCEPTABLE_STALE 10        /* percent: sample again above this */
#define RX_CYCLE_PERCENT 25           /* ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC */
#define RX_BUDGET_KEYS_PER_SECOND 1000000 /* keys sampled per second of CPU */
#define RX_SEED UINT64_C(0x5eedf00d12345678)

struct engine;

/* One tick's active expire cycle at the engine's clock.  Returns the keys
 * sampled. */
uint64_t rx_active_cycle(struct engine *e);

#endif
