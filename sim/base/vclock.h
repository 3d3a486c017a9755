/* vclock: the clock the allocator under test reads (DESIGN.md decision 4).
 *
 * jemalloc (nstime_get: CLOCK_MONOTONIC_COARSE) and mimalloc (_mi_clock_now:
 * CLOCK_MONOTONIC) read time through libc's clock_gettime.  This module
 * defines clock_gettime itself: an executable's definition comes first in
 * the dynamic linker's lookup, so every library the worker loads, the
 * allocator included (and one under LD_PRELOAD), calls this one.  The
 * monotonic clocks (CLOCK_MONOTONIC, _COARSE, _RAW, CLOCK_BOOTTIME) then
 * return
 *   - in wall mode: real monotonic time, shifted to start at VCLOCK_EPOCH_NS
 *     (time runs at the wall clock's rate: paced replay, --clock wall);
 *   - in virtual mode: the engine's virtual time, from the value the clock
 *     had when virtual mode began (VCLOCK_EPOCH_NS in a worker started in
 *     virtual mode), frozen between the engine's steps.
 * Both are monotonic across a change of mode.  Every other clock (REALTIME,
 * the CPU-time clocks) is the real one.
 *
 * Threads of the allocator (jemalloc's background thread) sleep on a
 * condition variable until a deadline computed from gettimeofday.  In a
 * process started with FRAGSIM_CLOCK=virtual in its environment, those
 * sleeps run on the virtual clock too: gettimeofday returns virtual time
 * (from VCLOCK_REALTIME_EPOCH_S), a timed wait of any thread but the main
 * one is registered as a sleeper with its deadline, and the engine wakes it
 * when its virtual clock reaches the deadline, then waits until the thread
 * is asleep again before it goes on.  A signal the main thread sends a
 * sleeper (jemalloc's early wake-up when many pages became dirty) wakes it
 * at the engine's next step.  So the thread does its work at its own
 * schedule in virtual time, and at the same virtual instants on every run.
 *
 * fragsim's own timing (wall_time, progress, pacing) reads the real clock
 * through vclock_real_*, which this interposer does not touch. */
#ifndef FRAGSIM_VCLOCK_H
#define FRAGSIM_VCLOCK_H

#include <stdint.h>
#include <time.h>

/* Where the allocator's monotonic clock starts: a fixed non-zero time, so
 * that a virtual run's clock readings are the same on every run. */
#define VCLOCK_EPOCH_NS INT64_C(1000000000000) /* 1000 s */
/* What gettimeofday says at VCLOCK_EPOCH_NS in a virtual-clock worker. */
#define VCLOCK_REALTIME_EPOCH_S INT64_C(1700000000)
/* The environment variable that starts a process in virtual mode. */
#define VCLOCK_ENV "FRAGSIM_CLOCK"

/* Real monotonic time in seconds, for fragsim's own timing. */
double vclock_real_s(void);
/* The real clock clk (clock_gettime's contract). */
int vclock_real_gettime(clockid_t clk, struct timespec *ts);

/* Enters virtual mode: the allocator's clock stops at its current value,
 * which becomes virtual time 0.  Call before the replay's first event. */
void vclock_virtual_begin(void);
/* Moves virtual time to t_ns after vclock_virtual_begin (never backwards),
 * waking on the way, at their deadlines, the allocator's threads asleep
 * until then and those signalled since the last step. */
void vclock_advance(int64_t t_ns);
/* Back to wall mode: the clock runs on at the real rate from where virtual
 * time stopped. */
void vclock_virtual_end(void);

/* Waits (up to 5 s of real time) until n threads sleep on the virtual
 * clock: a thread started before the replay must be asleep before virtual
 * time moves, or where its first pass falls would depend on scheduling.
 * Returns the number asleep. */
int vclock_wait_sleepers(int n);
/* Threads woken by the engine so far (a statistic of the run). */
uint64_t vclock_wakeups(void);

#endif
