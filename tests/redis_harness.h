/* redis_harness: a real redis-server for fidelity tests.
 *
 * Starts Debian's /usr/bin/redis-server (or another build of it: the
 * upstream one of allocators/redis-jemalloc/build_redis.sh) on a free loopback port (127.0.0.1
 * only, no persistence, no daemon), talks to it with a small RESP client of
 * its own (no hiredis: RESP's five reply types are a page of code, and tests
 * then need no library beyond what the build already has), captures MONITOR
 * into a file in the format `redis-cli monitor` prints (so
 * traces/import_monitor.h can read it), reads INFO memory, and stops the
 * server (SHUTDOWN NOSAVE, then SIGKILL when it does not go in time).
 *
 * Every wait has a deadline and every loop a bound; the server dies with the
 * test process (PR_SET_PDEATHSIG) even when a test crashes.  Test code:
 * functions return -1 or NULL with the reason in s->err. */
#ifndef FRAGSIM_REDIS_HARNESS_H
#define FRAGSIM_REDIS_HARNESS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define REDIS_HARNESS_SERVER "/usr/bin/redis-server"

/* A RESP reply.  type: '+' status, '-' error, ':' integer, '$' bulk, '*'
 * array, or 'n' for a nil bulk or nil array. */
typedef struct redis_reply {
    char type;
    long long integer;            /* ':' */
    char *str;                    /* '+', '-', '$': the bytes, NUL-terminated */
    size_t len;
    struct redis_reply **elem;    /* '*' */
    size_t nelem;
} redis_reply;

void redis_reply_free(redis_reply *r);

/* A growing read buffer on one connection. */
typedef struct redis_conn {
    int fd;
    char *buf;
    size_t len, pos, cap;
} redis_conn;

typedef struct redis_server {
    char server[512];             /* the redis-server executable run */
    pid_t pid;                    /* 0 when not running */
    int port;
    char dir[256];                /* a temporary directory: the server's dir and log */
    char log_path[300];
    redis_conn conn;              /* commands */
    char err[1024];               /* why the last call failed */

    /* MONITOR capture, on a connection of its own, read by a thread. */
    redis_conn mon;
    FILE *mon_out;
    pthread_t mon_thread;
    int mon_running;
    char mon_marker[64];          /* the ECHO argument that ends a capture */
    int mon_seen_marker;          /* set by the thread */
    uint64_t mon_lines;           /* lines written, "OK" included */
} redis_server;

/* Starts a server.  extra: more command line arguments, NULL-terminated,
 * as redis-server takes them ("--maxmemory", "100mb", NULL); may be NULL.
 * Returns 0 when the server answers PING; -1 with s->err otherwise (the
 * reason from the server's log when it refused to start). */
int redis_server_start(redis_server *s, const char *const *extra);
/* redis_server_start runs FRAGSIM_TEST_REDIS_SERVER when that is set (to
 * measure the Debian fidelity workloads against the upstream build), else
 * Debian's.  redis_server_start_at runs the executable at `server`. */
int redis_server_start_at(redis_server *s, const char *server, const char *const *extra);

/* Sends a command (C strings, NULL-terminated) and reads its reply, within
 * 10 s.  Returns the reply (free it with redis_reply_free), or NULL with
 * s->err. */
redis_reply *redis_command(redis_server *s, const char *arg0, ...) __attribute__((sentinel));
/* The same with argc arguments of the given lengths (binary-safe). */
redis_reply *redis_command_argv(redis_server *s, int argc, const char *const *argv,
                                const size_t *lens);

/* Starts capturing MONITOR output into path.  Returns 0 or -1. */
int redis_monitor_start(redis_server *s, const char *path);
/* Ends the capture once every command sent before the call is in the file
 * (an ECHO marker sent on the command connection shows when), within 10 s.
 * Returns 0, or -1 when the marker never came (the file then holds what
 * came). */
int redis_monitor_stop(redis_server *s);

/* INFO memory's fields, as the server printed them. */
typedef struct redis_info_memory {
    uint64_t used_memory;
    uint64_t used_memory_rss;
    uint64_t used_memory_peak;
    uint64_t used_memory_overhead;
    uint64_t used_memory_startup;
    uint64_t used_memory_dataset;
    uint64_t allocator_allocated;
    uint64_t allocator_active;
    uint64_t allocator_resident;
    uint64_t mem_clients_normal;      /* the clients' buffers, in used_memory */
    double allocator_frag_ratio;
    double allocator_rss_ratio;
    double rss_overhead_ratio;
    double mem_fragmentation_ratio;
    int64_t mem_fragmentation_bytes;  /* may be negative */
    char mem_allocator[64];           /* "jemalloc-5.3.0" */
} redis_info_memory;

/* Sends INFO memory and parses it.  Returns 0, or -1 when the reply is not
 * INFO's or a field is missing. */
int redis_info_memory_read(redis_server *s, redis_info_memory *m);

/* One field of an INFO text ("name:value\r\n" lines) into buf.  Returns 0,
 * or -1 when absent. */
int redis_info_field(const char *info, const char *name, char *buf, size_t n);

/* SHUTDOWN NOSAVE, then waits up to 10 s for the process; kills it when it
 * is still there.  Removes the temporary directory.  Safe to call twice.
 * Returns 0 when the server exited by itself, -1 when it had to be killed. */
int redis_server_stop(redis_server *s);

#endif
