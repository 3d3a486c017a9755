/* trace_gen_types: the generator's sorted sets and lists, keys that are
 * written to again and again rather than once.
 *
 * The insert phase (keys / rate seconds) is cut into `rounds` rounds; each
 * round visits every key in order, key i of round r at
 * (r + i / keys) / rounds of the phase, and gives it a few commands.  The
 * generator keeps what it needs of each key (its size, as Redis would
 * have it) so that every command means something: a ZREM names a member
 * given out, a pop never finds the list empty.  A key drawn to have a TTL
 * (ttl_share) gets its EXPIRE after its first commands, and nothing more
 * once it has expired.  After the phase, `observe` seconds with no
 * traffic and a closing TICK.
 *
 * Sorted sets (GEN_ZSETS, boards): a board grows to `fields` members
 * (player:0, player:1 ...) over the first half of the rounds, a ZADD each
 * with an integer score below 10^6; every round some 5% of its members
 * are rescored (ZADD with a new score) and some 1% removed (ZREM).
 *
 * Lists (GEN_LISTS, queues): a producer RPUSHes about `fields` elements of
 * `sizes` bytes a round (0 to twice that, drawn each round) for the first
 * two thirds of the rounds, then stops; a consumer LPOPs.  Most consumers
 * keep up (1 to 1.5 times the producer's rate: short queues that empty,
 * which deletes the key, and come back); a quarter fall behind (0.3 to 0.8
 * times: a backlog over many quicklist nodes, drained or not once the
 * producer stops); and some queues are capped logs, never popped, whose
 * RPUSHes are followed by an LTRIM to the newest 100 to 2000 elements. */
#ifndef FRAGSIM_TRACE_GEN_TYPES_H
#define FRAGSIM_TRACE_GEN_TYPES_H

#include "trace_gen.h"

/* At most this many keys in rounds: the generator holds 24 bytes a key. */
#define GEN_TYPES_KEYS_MAX 10000000ULL

/* Opens the generator of p->type (GEN_ZSETS or GEN_LISTS); p is checked
 * and copied. */
int trace_gen_types_open(trace_reader *r, const gen_params *p, fs_err *err);
/* Its events, the closing TICK included, counted by generating them. */
uint64_t gen_types_events(const gen_params *p);

#endif
