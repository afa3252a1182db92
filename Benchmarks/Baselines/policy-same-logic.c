/* The physical limit of a Postfix policy server on this machine: the benchmark policy's decision
 * (same-logic-decide.h, the one the C milter baseline same-logic.c makes) behind Postfix's policy delegation protocol
 * (SMTPD_POLICY_README), in one thread on epoll.
 *
 * Per connection, any number of requests: `name=value` lines ended by an empty line, answered with `action=...` and an
 * empty line. A request at protocol_state RCPT is decided from `recipient` (Postfix's parsed address) and
 * `client_address`, with RelayGuard's replies for the benchmark policy: `DUNNO` to continue, `550 5.7.1 encapsulated or
 * routed address rejected: rerouting is not allowed`, `554 5.7.1 Relay access denied`, `550 5.1.1 Recipient address
 * rejected: encapsulated address type T is not accepted` (RelayGuard leaves out the `<recipient>: ` that smtpd writes
 * itself), and the 450 4.7.1 forms when the client address is unknown. Any other state is answered `DUNNO`; a request
 * without a recipient at RCPT gets RelayGuard's on_error = tempfail answer (451 4.3.0). A line over 8 KiB closes the
 * connection.
 *
 * Built with -DLOG_DECISIONS (scripts/bench's `policy-same-logic-log`), it also writes what RelayGuard writes per
 * recipient at its default log level: one `key=value` line to stderr per decision, in one write(2).
 *
 * Usage: ./policy-same-logic unix:/PATH | inet:PORT@HOST */
#include "same-logic-decide.h"
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#ifdef LOG_DECISIONS
#include <time.h>
#endif

#define LINE_MAX_BYTES 8192
#define INPUT_BYTES (LINE_MAX_BYTES + 1)

struct connection {
    int fd;
    unsigned long id;
    char input[INPUT_BYTES];
    size_t input_length;
    /* The attributes the decision reads, of the request being received. */
    char recipient[LINE_MAX_BYTES];
    char client[64];
    char queue_id[64];
    int rcpt_state, has_recipient;
    /* Answers not yet written (smtpd waits for each, so this rarely holds more than one). */
    char *output;
    size_t output_length, output_capacity;
    int waiting_to_write; /* EPOLLOUT is in its event mask */
};

static int epoll_fd;

static void fail(const char *what)
{
    perror(what);
    exit(70);
}

static void set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) fail("fcntl");
}

static int listen_on(const char *spec)
{
    int fd;
    if (strncmp(spec, "unix:", 5) == 0) {
        struct sockaddr_un address = {.sun_family = AF_UNIX};
        if (strlen(spec + 5) >= sizeof address.sun_path) { fprintf(stderr, "socket path too long\n"); exit(64); }
        strcpy(address.sun_path, spec + 5);
        unlink(address.sun_path);
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof address) < 0) fail("bind");
        /* smtpd connects as the postfix user. */
        chmod(address.sun_path, 0666);
    } else if (strncmp(spec, "inet:", 5) == 0 && strchr(spec, '@')) {
        struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(spec + 5))};
        if (inet_pton(AF_INET, strchr(spec, '@') + 1, &address.sin_addr) != 1) { fprintf(stderr, "bad host\n"); exit(64); }
        fd = socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        if (fd < 0) fail("socket");
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0) fail("bind");
    } else {
        fprintf(stderr, "usage: policy-same-logic unix:/PATH | inet:PORT@HOST\n");
        exit(64);
    }
    if (listen(fd, 4096) < 0) fail("listen");
    set_nonblocking(fd);
    return fd;
}

static void append(struct connection *c, const char *bytes, size_t length)
{
    if (c->output_length + length > c->output_capacity) {
        size_t capacity = c->output_capacity ? c->output_capacity * 2 : 1024;
        while (capacity < c->output_length + length) capacity *= 2;
        c->output = realloc(c->output, capacity);
        if (!c->output) fail("realloc");
        c->output_capacity = capacity;
    }
    memcpy(c->output + c->output_length, bytes, length);
    c->output_length += length;
}

static void close_connection(struct connection *c)
{
    close(c->fd); /* also leaves the epoll set */
    free(c->output);
    free(c);
}

#ifdef LOG_DECISIONS
static void log_decision(const struct connection *c, const char *verdict, const char *reply)
{
    char stamp[32], line[LINE_MAX_BYTES + 1024];
    time_t now = time(NULL);
    struct tm parts;
    gmtime_r(&now, &parts);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &parts);
    int n = snprintf(line, sizeof line,
                     "%s policy-same-logic[%d]: info: %s: session=%lu client=%s verdict=%s reply=%s%s%s recipient=<%s> frontend=policy\n",
                     stamp, (int)getpid(), c->queue_id[0] ? c->queue_id : "NOQUEUE", c->id, c->client[0] ? c->client : "-",
                     verdict, reply ? "\"" : "-", reply ? reply : "", reply ? "\"" : "", c->recipient);
    if (n > 0) (void)!write(STDERR_FILENO, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}
#define LOG_DECISION(verdict, reply) log_decision(c, verdict, reply)
#else
#define LOG_DECISION(verdict, reply) ((void)0)
#endif

/* The action for the request just received. */
static const char *decide(struct connection *c, char *reply, size_t size)
{
    if (!c->rcpt_state) return "DUNNO";
    if (!c->has_recipient) return "451 4.3.0 relay policy temporarily unavailable, try again later";
    enum attempt attempt = classify(c->recipient, strlen(c->recipient));
    int relay_client = relay_client_text(c->client[0] ? c->client : NULL);
    if (attempt == PLAIN || (attempt != ALWAYS_REJECT && relay_client == 1)) {
        LOG_DECISION("continue", NULL);
        return "DUNNO";
    }
    int temporary = relay_client < 0;
    if (attempt == ALWAYS_REJECT) {
        const char *at = strchr(c->recipient, '@');
        const char *dash = memchr(c->recipient, '-', at ? (size_t)(at - c->recipient) : strlen(c->recipient));
        char type[32];
        decode_plus_hex(c->recipient + 5, dash ? dash : c->recipient + 5, type, sizeof type);
        for (char *p = type; *p; p++) *p = (char)toupper((unsigned char)*p);
        snprintf(reply, size, "550 5.1.1 Recipient address rejected: encapsulated address type %s is not accepted", type);
        temporary = 0;
    } else if (attempt == RELAY) {
        snprintf(reply, size, "%s Relay access denied", temporary ? "450 4.7.1" : "554 5.7.1");
    } else {
        snprintf(reply, size, "%s encapsulated or routed address rejected: rerouting is not allowed",
                 temporary ? "450 4.7.1" : "550 5.7.1");
    }
    LOG_DECISION(temporary ? "tempfail" : "reject", reply);
    return reply;
}

static void attribute(struct connection *c, const char *line, size_t length)
{
    const char *equals = memchr(line, '=', length);
    if (!equals) return;
    size_t name_length = (size_t)(equals - line), value_length = length - name_length - 1;
    const char *value = equals + 1;
#define IS(name) (name_length == sizeof name - 1 && memcmp(line, name, name_length) == 0)
    if (IS("recipient")) {
        memcpy(c->recipient, value, value_length);
        c->recipient[value_length] = 0;
        c->has_recipient = value_length > 0;
    } else if (IS("client_address") && value_length < sizeof c->client) {
        memcpy(c->client, value, value_length);
        c->client[value_length] = 0;
    } else if (IS("queue_id") && value_length < sizeof c->queue_id) {
        memcpy(c->queue_id, value, value_length);
        c->queue_id[value_length] = 0;
    } else if (IS("protocol_state")) {
        c->rcpt_state = value_length == 4 && memcmp(value, "RCPT", 4) == 0;
    }
#undef IS
}

/* Consumes the complete lines of the input; 0 when the connection must close. */
static int parse(struct connection *c)
{
    size_t start = 0;
    for (;;) {
        char *newline = memchr(c->input + start, '\n', c->input_length - start);
        if (!newline) break;
        size_t length = (size_t)(newline - (c->input + start));
        if (length == 0) {
            char reply[LINE_MAX_BYTES + 256];
            const char *action = decide(c, reply, sizeof reply);
            append(c, "action=", 7);
            append(c, action, strlen(action));
            append(c, "\n\n", 2);
            c->recipient[0] = c->client[0] = c->queue_id[0] = 0;
            c->rcpt_state = c->has_recipient = 0;
        } else {
            attribute(c, c->input + start, length);
        }
        start += length + 1;
    }
    memmove(c->input, c->input + start, c->input_length - start);
    c->input_length -= start;
    return c->input_length < LINE_MAX_BYTES;
}

/* Writes what is pending; 0 when the connection must close. */
static int flush(struct connection *c)
{
    size_t offset = 0;
    while (offset < c->output_length) {
        ssize_t n = write(c->fd, c->output + offset, c->output_length - offset);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) break;
        if (n <= 0) return 0;
        offset += (size_t)n;
    }
    memmove(c->output, c->output + offset, c->output_length - offset);
    c->output_length -= offset;
    int waiting = c->output_length > 0;
    if (waiting != c->waiting_to_write) {
        struct epoll_event event = {.events = EPOLLIN | (waiting ? EPOLLOUT : 0), .data.ptr = c};
        if (epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c->fd, &event) < 0) return 0;
        c->waiting_to_write = waiting;
    }
    return 1;
}

static void readable(struct connection *c)
{
    for (;;) {
        ssize_t n = read(c->fd, c->input + c->input_length, sizeof c->input - c->input_length);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) break;
        if (n <= 0) { close_connection(c); return; }
        size_t space = sizeof c->input - c->input_length;
        c->input_length += (size_t)n;
        if (!parse(c)) { close_connection(c); return; }
        if ((size_t)n < space) break; /* drained: no second read for EAGAIN */
    }
    if (c->output_length && !flush(c)) close_connection(c);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s unix:/PATH | inet:PORT@HOST\n", argv[0]);
        return 64;
    }
    signal(SIGPIPE, SIG_IGN);
    same_logic_init();
    int listener = listen_on(argv[1]);
    epoll_fd = epoll_create1(0);
    if (epoll_fd < 0) fail("epoll_create1");
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = NULL};
    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listener, &event) < 0) fail("epoll_ctl");
    fprintf(stderr, "policy-same-logic listening on %s\n", argv[1]);
    unsigned long next_id = 0;
    struct epoll_event events[256];
    for (;;) {
        int ready = epoll_wait(epoll_fd, events, 256, -1);
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) fail("epoll_wait");
        for (int i = 0; i < ready; i++) {
            struct connection *c = events[i].data.ptr;
            if (!c) {
                int fd;
                while ((fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    c = calloc(1, sizeof *c);
                    if (!c) fail("calloc");
                    c->fd = fd;
                    c->id = ++next_id;
                    int one = 1;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* fails harmlessly on unix */
                    struct epoll_event added = {.events = EPOLLIN, .data.ptr = c};
                    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &added) < 0) { close(fd); free(c); }
                }
                continue;
            }
            if (events[i].events & EPOLLOUT) {
                if (!flush(c)) { close_connection(c); continue; }
            }
            if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) readable(c);
        }
    }
}
