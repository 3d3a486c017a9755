/* The real-server harness: process, connections, RESP, MONITOR, INFO.
 * RESP2 only, the protocol a client speaks until it says HELLO 3. */
#define _GNU_SOURCE
#include "redis_harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REPLY_TIMEOUT_MS 10000
#define START_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 10000
#define START_ATTEMPTS 5
/* Bounds on what a reply may hold: Redis's own limits (proto-max-bulk-len)
 * and far more elements than a test asks for. */
#define BULK_MAX ((long long)512 << 20)
#define ARRAY_MAX (1 << 20)
#define DEPTH_MAX 8
#define LINE_MAX_BYTES ((size_t)1 << 30)

static int fail(redis_server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(redis_server *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    return -1;
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

void redis_reply_free(redis_reply *r) {
    if (r == NULL) return;
    for (size_t i = 0; i < r->nelem; i++) redis_reply_free(r->elem[i]);
    free(r->elem);
    free(r->str);
    free(r);
}

/* ---- connections ---- */

static int conn_open(redis_conn *c, int port) {
    memset(c, 0, sizeof *c);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0) return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return 0;
}

static void conn_close(redis_conn *c) {
    if (c->fd >= 0) close(c->fd);
    free(c->buf);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

/* Reads more bytes, waiting until deadline (ms on the monotonic clock).
 * Returns 1 when bytes came, 0 at the deadline, -1 when the connection
 * closed or failed. */
static int conn_fill(redis_conn *c, int64_t deadline) {
    if (c->pos > 0) {
        memmove(c->buf, c->buf + c->pos, c->len - c->pos);
        c->len -= c->pos;
        c->pos = 0;
    }
    if (c->cap - c->len < 4096) {
        size_t cap = c->cap ? c->cap * 2 : 65536;
        char *b = realloc(c->buf, cap);
        if (b == NULL) return -1;
        c->buf = b;
        c->cap = cap;
    }
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0) return 0;
        struct pollfd p = {c->fd, POLLIN, 0};
        int k = poll(&p, 1, (int)(left > 1000 ? 1000 : left));
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return -1;
        if (k == 0) continue;
        ssize_t n = read(c->fd, c->buf + c->len, c->cap - c->len);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n <= 0) return -1;
        c->len += (size_t)n;
        return 1;
    }
}

/* The next line without its \r\n: *line points into the buffer, valid until
 * the next read.  Returns 1, 0 at the deadline, -1 on a closed connection. */
static int conn_line(redis_conn *c, int64_t deadline, char **line, size_t *len) {
    size_t scanned = 0;
    for (;;) {
        char *start = c->buf + c->pos;
        size_t avail = c->len - c->pos;
        for (size_t i = scanned; i + 1 < avail; i++) {
            if (start[i] == '\r' && start[i + 1] == '\n') {
                *line = start;
                *len = i;
                c->pos += i + 2;
                return 1;
            }
        }
        scanned = avail > 0 ? avail - 1 : 0;
        if (avail > LINE_MAX_BYTES) return -1;
        int rc = conn_fill(c, deadline);
        if (rc <= 0) return rc;
    }
}

static int conn_write(redis_conn *c, const char *p, size_t n, int64_t deadline) {
    while (n > 0) {
        int64_t left = deadline - now_ms();
        if (left <= 0) return -1;
        struct pollfd pf = {c->fd, POLLOUT, 0};
        int k = poll(&pf, 1, (int)(left > 1000 ? 1000 : left));
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) continue;
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (w < 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* ---- RESP ---- */

static int parse_ll(const char *p, size_t n, long long *out) {
    char tmp[32];
    if (n == 0 || n >= sizeof tmp) return -1;
    memcpy(tmp, p, n);
    tmp[n] = '\0';
    char *end;
    errno = 0;
    *out = strtoll(tmp, &end, 10);
    return errno == 0 && *end == '\0' ? 0 : -1;
}

static redis_reply *read_reply(redis_server *s, redis_conn *c, int64_t deadline, int depth) {
    char *line;
    size_t len;
    int rc = conn_line(c, deadline, &line, &len);
    if (rc <= 0) {
        fail(s, rc == 0 ? "no reply within %d ms" : "the connection closed (the server is gone?)",
             REPLY_TIMEOUT_MS);
        return NULL;
    }
    if (len == 0) {
        fail(s, "an empty reply line");
        return NULL;
    }
    redis_reply *r = calloc(1, sizeof *r);
    if (r == NULL) return NULL;
    r->type = line[0];
    long long n;
    switch (line[0]) {
    case '+':
    case '-':
        r->len = len - 1;
        r->str = strndup(line + 1, len - 1);
        return r;
    case ':':
        if (parse_ll(line + 1, len - 1, &r->integer) != 0) break;
        return r;
    case '$':
        if (parse_ll(line + 1, len - 1, &n) != 0 || n < -1 || n > BULK_MAX) break;
        if (n == -1) {
            r->type = 'n';
            return r;
        }
        while (c->len - c->pos < (size_t)n + 2) {
            int k = conn_fill(c, deadline);
            if (k <= 0) {
                fail(s, "a bulk reply of %lld bytes did not arrive", n);
                redis_reply_free(r);
                return NULL;
            }
        }
        r->len = (size_t)n;
        r->str = malloc((size_t)n + 1);
        memcpy(r->str, c->buf + c->pos, (size_t)n);
        r->str[n] = '\0';
        c->pos += (size_t)n + 2;
        return r;
    case '*':
        if (parse_ll(line + 1, len - 1, &n) != 0 || n < -1 || n > ARRAY_MAX) break;
        if (n == -1) {
            r->type = 'n';
            return r;
        }
        if (depth >= DEPTH_MAX) break;
        r->elem = calloc((size_t)n + 1, sizeof *r->elem);
        for (long long i = 0; i < n; i++) {
            r->elem[i] = read_reply(s, c, deadline, depth + 1);
            if (r->elem[i] == NULL) {
                redis_reply_free(r);
                return NULL;
            }
            r->nelem++;
        }
        return r;
    }
    fail(s, "not a RESP reply: '%.*s'", (int)(len > 60 ? 60 : len), line);
    redis_reply_free(r);
    return NULL;
}

static int send_command(redis_server *s, redis_conn *c, int argc, const char *const *argv,
                        const size_t *lens) {
    size_t total = 32;
    for (int i = 0; i < argc; i++) total += lens[i] + 32;
    char *buf = malloc(total), *p = buf;
    p += sprintf(p, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++) {
        p += sprintf(p, "$%zu\r\n", lens[i]);
        memcpy(p, argv[i], lens[i]);
        p += lens[i];
        *p++ = '\r', *p++ = '\n';
    }
    int rc = conn_write(c, buf, (size_t)(p - buf), now_ms() + REPLY_TIMEOUT_MS);
    free(buf);
    return rc == 0 ? 0 : fail(s, "cannot send %.*s: %s", (int)lens[0], argv[0], strerror(errno));
}

redis_reply *redis_command_argv(redis_server *s, int argc, const char *const *argv,
                                const size_t *lens) {
    if (s->pid == 0 || s->conn.fd < 0) {
        fail(s, "no server");
        return NULL;
    }
    if (send_command(s, &s->conn, argc, argv, lens) != 0) return NULL;
    return read_reply(s, &s->conn, now_ms() + REPLY_TIMEOUT_MS, 0);
}

redis_reply *redis_command(redis_server *s, const char *arg0, ...) {
    const char *argv[64];
    size_t lens[64];
    int argc = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a != NULL && argc < 64; a = va_arg(ap, const char *)) {
        argv[argc] = a;
        lens[argc++] = strlen(a);
    }
    va_end(ap);
    return redis_command_argv(s, argc, argv, lens);
}

/* ---- the process ---- */

static int free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t n = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &n) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0) close(fd);
    return port;
}

/* The end of the server's log, for messages. */
static void log_tail(const redis_server *s, char *buf, size_t n) {
    buf[0] = '\0';
    int fd = open(s->log_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    off_t end = lseek(fd, 0, SEEK_END);
    off_t from = end > (off_t)n - 1 ? end - (off_t)n + 1 : 0;
    ssize_t k = pread(fd, buf, n - 1, from);
    close(fd);
    buf[k > 0 ? k : 0] = '\0';
    for (char *p = buf; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
}

static pid_t spawn(redis_server *s, const char *const *extra) {
    char port[16];
    snprintf(port, sizeof port, "%d", s->port);
    const char *argv[96] = {s->server, "--port", port, "--bind", "127.0.0.1",
                            "--save", "", "--appendonly", "no", "--daemonize", "no",
                            "--dir", s->dir};
    int argc = 13;
    for (int i = 0; extra != NULL && extra[i] != NULL && argc < 95; i++) argv[argc++] = extra[i];
    argv[argc] = NULL;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0) return pid;
    /* The child: the server must not outlive the test. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    int in = open("/dev/null", O_RDONLY);
    int log = open(s->log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in < 0 || log < 0) _exit(127);
    dup2(in, 0);
    dup2(log, 1);
    dup2(log, 2);
    execv(argv[0], (char *const *)argv);
    _exit(127);
}

static int start_server(redis_server *s, const char *const *extra) {
    if (access(s->server, X_OK) != 0)
        return strcmp(s->server, REDIS_HARNESS_SERVER) == 0
                   ? fail(s, "%s is missing: install Debian's redis-server (apt-get install "
                          "redis-server; .ci/run does)", s->server)
                   : fail(s, "%s is missing (the upstream build: allocators/redis-jemalloc/"
                          "build_redis.sh)", s->server);
    snprintf(s->dir, sizeof s->dir, "/tmp/fragsim-redis-XXXXXX");
    if (mkdtemp(s->dir) == NULL) return fail(s, "cannot make a temporary directory");
    snprintf(s->log_path, sizeof s->log_path, "%s/redis.log", s->dir);

    for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
        if ((s->port = free_port()) < 0) return fail(s, "no free loopback port");
        pid_t pid = spawn(s, extra);
        if (pid < 0) return fail(s, "fork: %s", strerror(errno));
        s->pid = pid;
        int64_t deadline = now_ms() + START_TIMEOUT_MS;
        int exited = 0;
        while (now_ms() < deadline) {
            int status;
            if (waitpid(pid, &status, WNOHANG) == pid) {
                exited = 1;
                break;
            }
            if (conn_open(&s->conn, s->port) == 0) break;
            sleep_ms(20);
        }
        if (s->conn.fd >= 0) {
            redis_reply *r = redis_command(s, "PING", NULL);
            int ok = r != NULL && r->type == '+' && strcmp(r->str, "PONG") == 0;
            redis_reply_free(r);
            if (ok) return 0;
            return fail(s, "the server on port %d does not answer PING", s->port);
        }
        char tail[600];
        log_tail(s, tail, sizeof tail);
        if (!exited) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            s->pid = 0;
            return fail(s, "redis-server did not listen within %d ms: %s", START_TIMEOUT_MS, tail);
        }
        s->pid = 0;
        /* Another process took the port between our probe and the bind:
         * try another.  Anything else (a bad directive) is final. */
        if (strstr(tail, "Address already in use") == NULL)
            return fail(s, "redis-server refused to start: %s", tail);
    }
    return fail(s, "no port was free after %d attempts", START_ATTEMPTS);
}

int redis_server_start(redis_server *s, const char *const *extra) {
    const char *server = getenv("FRAGSIM_TEST_REDIS_SERVER");
    return redis_server_start_at(s, server != NULL && *server ? server : REDIS_HARNESS_SERVER, extra);
}

int redis_server_start_at(redis_server *s, const char *server, const char *const *extra) {
    memset(s, 0, sizeof *s);
    s->conn.fd = s->mon.fd = -1;
    if (strlen(server) >= sizeof s->server) {
        snprintf(s->err, sizeof s->err, "server path too long: %s", server);
        return -1;
    }
    snprintf(s->server, sizeof s->server, "%s", server);
    if (start_server(s, extra) == 0) return 0;
    /* Nothing may be left: no process, no connection, no directory. */
    char why[sizeof s->err];
    memcpy(why, s->err, sizeof why);
    redis_server_stop(s);
    memcpy(s->err, why, sizeof why);
    return -1;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

int redis_server_stop(redis_server *s) {
    if (s->mon_running) redis_monitor_stop(s);
    int rc = 0;
    if (s->pid > 0) {
        if (s->conn.fd >= 0) {
            /* The server closes the connection instead of answering. */
            static const char cmd[] = "*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n";
            conn_write(&s->conn, cmd, sizeof cmd - 1, now_ms() + 1000);
        }
        int64_t deadline = now_ms() + STOP_TIMEOUT_MS;
        int gone = 0;
        while (!gone && now_ms() < deadline) {
            if (waitpid(s->pid, NULL, WNOHANG) == s->pid) gone = 1;
            else sleep_ms(10);
        }
        if (!gone) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, NULL, 0);
            rc = -1;
        }
        s->pid = 0;
    }
    if (s->conn.fd >= 0 || s->conn.buf != NULL) conn_close(&s->conn);
    if (s->mon.fd >= 0 || s->mon.buf != NULL) conn_close(&s->mon);
    if (s->dir[0] != '\0') nftw(s->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
    s->dir[0] = '\0';
    return rc;
}

/* ---- MONITOR ---- */

static void *monitor_main(void *arg) {
    redis_server *s = arg;
    for (;;) {
        if (__atomic_load_n(&s->mon_running, __ATOMIC_ACQUIRE) == 2) break; /* told to stop */
        char *line;
        size_t len;
        int rc = conn_line(&s->mon, now_ms() + 100, &line, &len);
        if (rc < 0) break;
        if (rc == 0) continue;
        if (memmem(line, len, s->mon_marker, strlen(s->mon_marker)) != NULL) {
            __atomic_store_n(&s->mon_seen_marker, 1, __ATOMIC_RELEASE);
            break;
        }
        /* The server writes "+<line>"; redis-cli prints the line. */
        if (len > 0 && line[0] == '+') line++, len--;
        fwrite(line, 1, len, s->mon_out);
        fputc('\n', s->mon_out);
        s->mon_lines++;
    }
    return NULL;
}

int redis_monitor_start(redis_server *s, const char *path) {
    if (s->mon_running) return fail(s, "a capture is running already");
    if (conn_open(&s->mon, s->port) != 0) return fail(s, "cannot connect for MONITOR");
    static const char *const argv[] = {"MONITOR"};
    static const size_t lens[] = {7};
    redis_reply *r = NULL;
    if (send_command(s, &s->mon, 1, argv, lens) == 0)
        r = read_reply(s, &s->mon, now_ms() + REPLY_TIMEOUT_MS, 0);
    int ok = r != NULL && r->type == '+' && strcmp(r->str, "OK") == 0;
    redis_reply_free(r);
    if (!ok) {
        conn_close(&s->mon);
        return fail(s, "MONITOR was refused: %s", s->err);
    }
    if ((s->mon_out = fopen(path, "w")) == NULL) {
        conn_close(&s->mon);
        return fail(s, "cannot create '%s': %s", path, strerror(errno));
    }
    fputs("OK\n", s->mon_out); /* redis-cli prints MONITOR's own reply first */
    s->mon_lines = 1;
    static unsigned counter;
    snprintf(s->mon_marker, sizeof s->mon_marker, "fragsim-harness-end-%d-%u", (int)getpid(),
             ++counter);
    s->mon_seen_marker = 0;
    s->mon_running = 1;
    if (pthread_create(&s->mon_thread, NULL, monitor_main, s) != 0) {
        s->mon_running = 0;
        fclose(s->mon_out);
        conn_close(&s->mon);
        return fail(s, "cannot start the MONITOR thread");
    }
    return 0;
}

int redis_monitor_stop(redis_server *s) {
    if (!s->mon_running) return fail(s, "no capture is running");
    /* The ECHO reaches the monitor after every command sent before it. */
    redis_reply_free(redis_command(s, "ECHO", s->mon_marker, NULL));
    int64_t deadline = now_ms() + REPLY_TIMEOUT_MS;
    while (!__atomic_load_n(&s->mon_seen_marker, __ATOMIC_ACQUIRE) && now_ms() < deadline)
        sleep_ms(5);
    __atomic_store_n(&s->mon_running, 2, __ATOMIC_RELEASE);
    pthread_join(s->mon_thread, NULL); /* it looks at the flag every 100 ms */
    s->mon_running = 0;
    fclose(s->mon_out);
    s->mon_out = NULL;
    conn_close(&s->mon);
    if (!s->mon_seen_marker)
        return fail(s, "the capture's end marker did not arrive within %d ms", REPLY_TIMEOUT_MS);
    return 0;
}

/* ---- INFO ---- */

int redis_info_field(const char *info, const char *name, char *buf, size_t n) {
    size_t k = strlen(name);
    for (const char *p = info; p != NULL && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, name, k) == 0 && p[k] == ':') {
            const char *v = p + k + 1;
            size_t len = strcspn(v, "\r\n");
            if (len >= n) len = n - 1;
            memcpy(buf, v, len);
            buf[len] = '\0';
            return 0;
        }
    }
    return -1;
}

int redis_info_memory_read(redis_server *s, redis_info_memory *m) {
    memset(m, 0, sizeof *m);
    redis_reply *r = redis_command(s, "INFO", "memory", NULL);
    if (r == NULL) return -1;
    if (r->type != '$') {
        redis_reply_free(r);
        return fail(s, "INFO memory: not a bulk reply");
    }
    static const struct {
        const char *name;
        size_t offset;
        char kind; /* u: uint64_t, i: int64_t, d: double, s: string */
    } fields[] = {
#define U(f) {#f, offsetof(redis_info_memory, f), 'u'}
#define D(f) {#f, offsetof(redis_info_memory, f), 'd'}
        U(used_memory), U(used_memory_rss), U(used_memory_peak), U(used_memory_overhead),
        U(used_memory_startup), U(used_memory_dataset), U(allocator_allocated),
        U(allocator_active), U(allocator_resident), U(mem_clients_normal), D(allocator_frag_ratio),
        D(allocator_rss_ratio), D(rss_overhead_ratio), D(mem_fragmentation_ratio),
        {"mem_fragmentation_bytes", offsetof(redis_info_memory, mem_fragmentation_bytes), 'i'},
        {"mem_allocator", offsetof(redis_info_memory, mem_allocator), 's'},
#undef U
#undef D
    };
    int rc = 0;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0] && rc == 0; i++) {
        char v[128], *end;
        char *field = (char *)m + fields[i].offset;
        if (redis_info_field(r->str, fields[i].name, v, sizeof v) != 0) {
            rc = fail(s, "INFO memory has no %s", fields[i].name);
            break;
        }
        errno = 0;
        switch (fields[i].kind) {
        case 'u': *(uint64_t *)field = strtoull(v, &end, 10); break;
        case 'i': *(int64_t *)field = strtoll(v, &end, 10); break;
        case 'd': *(double *)field = strtod(v, &end); break;
        default:
            snprintf(field, sizeof m->mem_allocator, "%s", v);
            end = v + strlen(v);
            break;
        }
        if (errno != 0 || *end != '\0' || end == v)
            rc = fail(s, "INFO memory: %s is '%s', not a number", fields[i].name, v);
    }
    redis_reply_free(r);
    return rc;
}
