/* The allocator's clock, and its threads' sleeps, on the engine's virtual
 * clock (vclock.h). */
#define _GNU_SOURCE
#include "vclock.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

/* ---- the real functions, past this interposer ----
 * Found with dlvsym(RTLD_NEXT): the version matters for the condition
 * variables, whose unversioned dlsym gives glibc's 2.2.5 compatibility
 * code.  They are looked up in a constructor, before main(); a call that
 * comes earlier (the allocator starting up) uses the system call. */
typedef int (*gettime_fn)(clockid_t, struct timespec *);
typedef int (*gettimeofday_fn)(struct timeval *, void *);
typedef int (*cond_wait_fn)(pthread_cond_t *, pthread_mutex_t *);
typedef int (*cond_timedwait_fn)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
typedef int (*cond_signal_fn)(pthread_cond_t *);

static gettime_fn real_gettime;
static gettimeofday_fn real_gettimeofday;
static cond_wait_fn real_cond_wait;
static cond_timedwait_fn real_cond_timedwait;
static cond_signal_fn real_cond_signal, real_cond_broadcast;

static void *next_symbol(const char *name, const char *version) {
    void *p = dlvsym(RTLD_NEXT, name, version);
    return p != NULL ? p : dlsym(RTLD_NEXT, name);
}

static void resolve_real(void) {
    if (real_cond_broadcast != NULL) return;
    real_gettime = (gettime_fn)next_symbol("clock_gettime", "GLIBC_2.17");
    real_gettimeofday = (gettimeofday_fn)next_symbol("gettimeofday", "GLIBC_2.2.5");
    real_cond_wait = (cond_wait_fn)next_symbol("pthread_cond_wait", "GLIBC_2.3.2");
    real_cond_timedwait = (cond_timedwait_fn)next_symbol("pthread_cond_timedwait", "GLIBC_2.3.2");
    real_cond_signal = (cond_signal_fn)next_symbol("pthread_cond_signal", "GLIBC_2.3.2");
    real_cond_broadcast = (cond_signal_fn)next_symbol("pthread_cond_broadcast", "GLIBC_2.3.2");
}

__attribute__((constructor(101))) static void vclock_constructor(void) { resolve_real(); }

int vclock_real_gettime(clockid_t clk, struct timespec *ts) {
    if (real_gettime != NULL) return real_gettime(clk, ts);
    return (int)syscall(SYS_clock_gettime, clk, ts);
}

static int64_t real_ns(clockid_t clk) {
    struct timespec ts;
    vclock_real_gettime(clk, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double vclock_real_s(void) { return (double)real_ns(CLOCK_MONOTONIC) * 1e-9; }

/* ---- the clock ----
 * Wall mode: value = real monotonic + vc_offset.  Virtual mode: value =
 * vc_now.  vc_begin is the value at which virtual time 0 stands. */
static atomic_int vc_inited;       /* 0, 1 while initialising, 2 */
static atomic_int vc_virtual;      /* virtual mode */
static _Atomic int64_t vc_offset;  /* wall mode's shift, ns */
static _Atomic int64_t vc_now;     /* virtual mode's value, ns */
static int64_t vc_begin;           /* the value at virtual time 0 */
static int vc_capture;             /* threads' sleeps on the virtual clock */
static atomic_int vc_replaying;    /* between vclock_virtual_begin and _end */
static pid_t vc_pid;               /* the main thread's id is the process's */

static void vclock_init(void) {
    int expected = 0;
    if (atomic_load(&vc_inited) == 2) return;
    if (!atomic_compare_exchange_strong(&vc_inited, &expected, 1)) {
        while (atomic_load(&vc_inited) != 2) sched_yield();
        return;
    }
    atomic_store(&vc_offset, VCLOCK_EPOCH_NS - real_ns(CLOCK_MONOTONIC));
    atomic_store(&vc_now, VCLOCK_EPOCH_NS);
    vc_begin = VCLOCK_EPOCH_NS;
    vc_pid = getpid();
    const char *mode = getenv(VCLOCK_ENV);
    if (mode != NULL && strcmp(mode, "virtual") == 0) {
        vc_capture = 1;
        atomic_store(&vc_virtual, 1);
    }
    atomic_store(&vc_inited, 2);
}

static int64_t vclock_value(void) {
    vclock_init();
    if (atomic_load_explicit(&vc_virtual, memory_order_acquire))
        return atomic_load_explicit(&vc_now, memory_order_acquire);
    return real_ns(CLOCK_MONOTONIC) + atomic_load_explicit(&vc_offset, memory_order_relaxed);
}

static int is_monotonic(clockid_t clk) {
    return clk == CLOCK_MONOTONIC || clk == CLOCK_MONOTONIC_COARSE ||
           clk == CLOCK_MONOTONIC_RAW || clk == CLOCK_BOOTTIME;
}

int clock_gettime(clockid_t clk, struct timespec *ts) {
    if (!is_monotonic(clk)) return vclock_real_gettime(clk, ts);
    int64_t v = vclock_value();
    ts->tv_sec = (time_t)(v / 1000000000);
    ts->tv_nsec = (long)(v % 1000000000);
    return 0;
}

/* Virtual "real" time: what the allocator's threads compute their
 * deadlines from, in a process whose sleeps are virtual. */
int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
    vclock_init();
    if (!vc_capture) {
        if (real_gettimeofday != NULL) return real_gettimeofday(tv, tz);
        return (int)syscall(SYS_gettimeofday, tv, tz);
    }
    int64_t v = vclock_value() - VCLOCK_EPOCH_NS + VCLOCK_REALTIME_EPOCH_S * 1000000000;
    tv->tv_sec = (time_t)(v / 1000000000);
    tv->tv_usec = (suseconds_t)(v % 1000000000 / 1000);
    return 0;
}

/* ---- threads asleep on the virtual clock ---- */
enum { SLEEPER_FREE, SLEEPER_ASLEEP, SLEEPER_AWAKE };
#define VCLOCK_MAX_SLEEPERS 8

typedef struct sleeper {
    pthread_t thread;
    atomic_int state;
    pthread_cond_t *cond;
    int64_t deadline;   /* clock value; INT64_MAX: until signalled */
    int signalled;      /* the main thread signalled it: wake at the next step */
    int timedout;       /* the wake-up is the deadline's */
    sem_t sem;
    int sem_ready;
} sleeper;

static sleeper sleepers[VCLOCK_MAX_SLEEPERS];
static pthread_mutex_t sleepers_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic uint64_t wakeups;

static int is_main_thread(void) { return (pid_t)syscall(SYS_gettid) == vc_pid; }

/* pre: sleepers_lock held.  The calling thread's sleeper, or a free one. */
static sleeper *sleeper_of_self(void) {
    pthread_t self = pthread_self();
    sleeper *free_one = NULL;
    for (int i = 0; i < VCLOCK_MAX_SLEEPERS; i++) {
        sleeper *s = &sleepers[i];
        if (s->sem_ready && pthread_equal(s->thread, self)) return s;
        if (free_one == NULL && !s->sem_ready) free_one = s;
    }
    if (free_one != NULL) {
        free_one->thread = self;
        sem_init(&free_one->sem, 0, 0);
        free_one->sem_ready = 1;
    }
    return free_one;
}

/* A wait of an allocator thread, on the virtual clock: registered with its
 * deadline while the caller still holds the mutex (so that a signal sent
 * under the mutex finds it, as with a real condition variable), then asleep
 * on its semaphore until the engine posts it. */
static int sleep_virtual(pthread_cond_t *cond, pthread_mutex_t *mutex, int64_t deadline) {
    pthread_mutex_lock(&sleepers_lock);
    sleeper *s = sleeper_of_self();
    if (s == NULL) { /* more threads than places: they sleep on the real clock */
        pthread_mutex_unlock(&sleepers_lock);
        return -1;
    }
    s->cond = cond;
    s->deadline = deadline;
    s->signalled = 0;
    s->timedout = 0;
    atomic_store(&s->state, SLEEPER_ASLEEP);
    pthread_mutex_unlock(&sleepers_lock);
    pthread_mutex_unlock(mutex);
    while (sem_wait(&s->sem) != 0 && errno == EINTR) {
    }
    pthread_mutex_lock(mutex);
    return s->timedout ? ETIMEDOUT : 0;
}

int pthread_cond_timedwait(pthread_cond_t *restrict cond, pthread_mutex_t *restrict mutex,
                           const struct timespec *restrict abstime) {
    vclock_init();
    if (vc_capture && !is_main_thread()) {
        /* The deadline is in gettimeofday's (virtual) time. */
        int64_t abs_ns = (int64_t)abstime->tv_sec * 1000000000 + abstime->tv_nsec;
        int rc = sleep_virtual(cond, mutex,
                               abs_ns - VCLOCK_REALTIME_EPOCH_S * 1000000000 + VCLOCK_EPOCH_NS);
        if (rc >= 0) return rc;
    }
    resolve_real();
    return real_cond_timedwait(cond, mutex, abstime);
}

int pthread_cond_wait(pthread_cond_t *restrict cond, pthread_mutex_t *restrict mutex) {
    vclock_init();
    if (vc_capture && !is_main_thread()) {
        int rc = sleep_virtual(cond, mutex, INT64_MAX);
        if (rc >= 0) return rc;
    }
    resolve_real();
    return real_cond_wait(cond, mutex);
}

/* Wakes s and waits until it sleeps again (its pass done), so that nothing
 * the thread does overlaps the engine.  pre: s asleep; sleepers_lock not
 * held. */
static void wake_and_wait(sleeper *s, int timedout) {
    s->timedout = timedout;
    s->signalled = 0;
    atomic_store(&s->state, SLEEPER_AWAKE);
    atomic_fetch_add(&wakeups, 1);
    sem_post(&s->sem);
    int64_t give_up = real_ns(CLOCK_MONOTONIC) + INT64_C(5000000000);
    while (atomic_load(&s->state) != SLEEPER_ASLEEP) {
        if (real_ns(CLOCK_MONOTONIC) > give_up) {
            /* A thread that ends instead of sleeping again. */
            fprintf(stderr, "fragsim: an allocator thread did not go back to sleep within 5 s; "
                            "going on without it\n");
            pthread_mutex_lock(&sleepers_lock);
            atomic_store(&s->state, SLEEPER_FREE);
            sem_destroy(&s->sem);
            s->sem_ready = 0;
            pthread_mutex_unlock(&sleepers_lock);
            return;
        }
        sched_yield();
    }
}

/* A signal from the main thread to a sleeper is kept for the engine's next
 * step; one from elsewhere, or outside a replay, wakes it now. */
static int signal_sleepers(pthread_cond_t *cond, int all) {
    int found = 0, defer = is_main_thread() && atomic_load(&vc_replaying);
    pthread_mutex_lock(&sleepers_lock);
    for (int i = 0; i < VCLOCK_MAX_SLEEPERS; i++) {
        sleeper *s = &sleepers[i];
        if (!s->sem_ready || s->cond != cond || atomic_load(&s->state) != SLEEPER_ASLEEP) continue;
        found = 1;
        if (defer) {
            s->signalled = 1;
        } else {
            s->timedout = 0;
            atomic_store(&s->state, SLEEPER_AWAKE);
            sem_post(&s->sem);
        }
        if (!all) break;
    }
    pthread_mutex_unlock(&sleepers_lock);
    return found;
}

int pthread_cond_signal(pthread_cond_t *cond) {
    vclock_init();
    if (vc_capture && signal_sleepers(cond, 0)) return 0;
    resolve_real();
    return real_cond_signal(cond);
}

int pthread_cond_broadcast(pthread_cond_t *cond) {
    vclock_init();
    if (vc_capture) signal_sleepers(cond, 1);
    resolve_real();
    return real_cond_broadcast(cond);
}

/* The sleeper due first at or before `until` (signalled ones are due now),
 * or NULL. */
static sleeper *next_due(int64_t until, int64_t *when) {
    sleeper *best = NULL;
    pthread_mutex_lock(&sleepers_lock);
    int64_t now = atomic_load(&vc_now);
    for (int i = 0; i < VCLOCK_MAX_SLEEPERS; i++) {
        sleeper *s = &sleepers[i];
        if (!s->sem_ready || atomic_load(&s->state) != SLEEPER_ASLEEP) continue;
        int64_t due = s->signalled ? now : s->deadline;
        if (due <= until && (best == NULL || due < *when)) {
            best = s;
            *when = due;
        }
    }
    pthread_mutex_unlock(&sleepers_lock);
    return best;
}

void vclock_virtual_begin(void) {
    int64_t v = vclock_value();
    atomic_store(&vc_now, v);
    vc_begin = v;
    atomic_store(&vc_virtual, 1);
    atomic_store(&vc_replaying, 1);
}

void vclock_advance(int64_t t_ns) {
    int64_t target = vc_begin + t_ns, when = 0;
    if (vc_capture) {
        sleeper *s;
        while ((s = next_due(target, &when)) != NULL) {
            if (when > atomic_load(&vc_now)) atomic_store(&vc_now, when);
            wake_and_wait(s, !s->signalled);
        }
    }
    if (target > atomic_load(&vc_now)) atomic_store(&vc_now, target);
}

void vclock_virtual_end(void) {
    atomic_store(&vc_replaying, 0);
    if (vc_capture) return; /* a virtual worker stays virtual to its end */
    int64_t v = atomic_load(&vc_now);
    atomic_store(&vc_offset, v - real_ns(CLOCK_MONOTONIC));
    atomic_store(&vc_virtual, 0);
}

int vclock_wait_sleepers(int n) {
    int64_t give_up = real_ns(CLOCK_MONOTONIC) + INT64_C(5000000000);
    for (;;) {
        int asleep = 0;
        for (int i = 0; i < VCLOCK_MAX_SLEEPERS; i++)
            if (sleepers[i].sem_ready && atomic_load(&sleepers[i].state) == SLEEPER_ASLEEP) asleep++;
        if (asleep >= n || real_ns(CLOCK_MONOTONIC) > give_up) return asleep;
        sched_yield();
    }
}

uint64_t vclock_wakeups(void) { return atomic_load(&wakeups); }
