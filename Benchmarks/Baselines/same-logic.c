/* The physical limit of a libmilter milter on this machine: the benchmark policy's decision in plain C.
 *
 * Policy (the same as the RelayGuard config scripts/bench runs, and as Benchmarks/MilterLoad/RecipientMix.swift
 * expects): reroute = yes, relay_clients = 192.0.2.0/24, 2001:db8::/32, local_domains = corp.example .corp.example.
 * Per recipient: an IMCEA address whose type (+HH decoded) is INVALID or X500 is rejected 5.1.1; of type SMTP (or
 * X400 with a dda:SMTP= / dda:RFC-822= part) it is a reroute attempt; a routed address (source route, '%', '!',
 * quoted '@') is a reroute attempt; a plain address outside the local domains is a relay attempt. Attempts from a
 * client outside relay_clients get 550 5.7.1; everything else continues.
 *
 * Built with -DLOG_DECISIONS (scripts/bench's `same-logic-log`), it also writes what RelayGuard writes per recipient at
 * its default log level: one `key=value` line to stderr with a timestamp, the queue id, client, verdict, reply and
 * recipient, in one write(2). That is the like-for-like baseline for RelayGuard as shipped; the plain build is the
 * one for RelayGuard with log_level = notice. */
#include "baseline-main.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <strings.h>
#ifdef LOG_DECISIONS
#include <time.h>
#include <unistd.h>
#endif

struct prefix { int family; unsigned char bytes[16]; int bits; };
static struct prefix relay_clients[2];

static void add_prefix(int i, int family, const char *text, int bits)
{
    relay_clients[i].family = family;
    relay_clients[i].bits = bits;
    inet_pton(family, text, relay_clients[i].bytes);
}

static int in_relay_clients(int family, const unsigned char *address)
{
    for (size_t i = 0; i < sizeof relay_clients / sizeof relay_clients[0]; i++) {
        const struct prefix *p = &relay_clients[i];
        if (p->family != family) continue;
        int whole = p->bits / 8, rest = p->bits % 8;
        if (memcmp(p->bytes, address, whole) != 0) continue;
        if (rest && ((p->bytes[whole] ^ address[whole]) & (0xFF << (8 - rest)) & 0xFF)) continue;
        return 1;
    }
    return 0;
}

/* Per connection: is the client a relay client (-1: unknown address), and its address as logged. */
struct session { int relay_client; char client[64]; unsigned long id; };

static sfsistat baseline_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
    (void)host;
    struct session *s = malloc(sizeof *s);
    if (!s) return SMFIS_TEMPFAIL;
    s->relay_client = -1;
    unsigned char bytes[16];
    const char *text = smfi_getsymval(ctx, "{client_addr}");
    snprintf(s->client, sizeof s->client, "%s", text ? text : "-");
    static unsigned long next_id;
    s->id = __atomic_add_fetch(&next_id, 1, __ATOMIC_RELAXED);
    if (text && inet_pton(AF_INET, text, bytes) == 1) s->relay_client = in_relay_clients(AF_INET, bytes);
    else if (text && inet_pton(AF_INET6, text, bytes) == 1) s->relay_client = in_relay_clients(AF_INET6, bytes);
    else if (!text && addr && addr->sa_family == AF_INET)
        s->relay_client = in_relay_clients(AF_INET, (unsigned char *)&((struct sockaddr_in *)addr)->sin_addr);
    (void)smfi_getsymval(ctx, "{daemon_addr}");
    smfi_setpriv(ctx, s);
    return SMFIS_NOREPLY;
}

static sfsistat baseline_helo(SMFICTX *ctx, char *name) { (void)ctx; (void)name; return SMFIS_NOREPLY; }

static sfsistat baseline_envfrom(SMFICTX *ctx, char **argv)
{
    (void)argv;
    (void)smfi_getsymval(ctx, "{auth_authen}");
    return SMFIS_NOREPLY;
}

static int hex(int c) { return isdigit(c) ? c - '0' : (toupper(c) >= 'A' && toupper(c) <= 'F') ? toupper(c) - 'A' + 10 : -1; }

/* Decodes IMCEA's +HH escapes of [from, to) into out (at most size-1 bytes). */
static void decode_plus_hex(const char *from, const char *to, char *out, size_t size)
{
    size_t n = 0;
    while (from < to && n + 1 < size) {
        if (*from == '+' && to - from >= 3 && hex(from[1]) >= 0 && hex(from[2]) >= 0) {
            out[n++] = (char)(hex(from[1]) * 16 + hex(from[2]));
            from += 3;
        } else {
            out[n++] = *from++;
        }
    }
    out[n] = 0;
}

enum attempt { PLAIN, REROUTE, RELAY, ALWAYS_REJECT };

static enum attempt classify(const char *address, size_t length)
{
    if (length == 0) return PLAIN;
    if (address[0] == '@') return REROUTE; /* source route */
    const char *at = NULL;
    int quoted = 0, quoted_at = 0;
    for (size_t i = 0; i < length; i++) {
        if (address[i] == '"') quoted = !quoted;
        else if (address[i] == '@') { if (quoted) quoted_at = 1; else at = address + i; }
    }
    if (quoted_at) return REROUTE;
    const char *local_end = at ? at : address + length;
    if (local_end - address > 5 && strncasecmp(address, "IMCEA", 5) == 0) {
        const char *dash = memchr(address + 5, '-', local_end - address - 5);
        if (dash) {
            char type[32], inner[512];
            decode_plus_hex(address + 5, dash, type, sizeof type);
            decode_plus_hex(dash + 1, local_end, inner, sizeof inner);
            if (strcasecmp(type, "INVALID") == 0 || strcasecmp(type, "X500") == 0) return ALWAYS_REJECT;
            if (strcasecmp(type, "SMTP") == 0 && strchr(inner, '@')) return REROUTE;
            if (strcasecmp(type, "X400") == 0 && (strcasestr(inner, "dda:SMTP=") || strcasestr(inner, "dda:RFC-822=")))
                return REROUTE;
            return PLAIN;
        }
    }
    if (memchr(address, '%', local_end - address) || memchr(address, '!', local_end - address)) return REROUTE;
    if (!at) return PLAIN;
    const char *domain = at + 1;
    size_t domain_length = address + length - domain;
    static const char local[] = "corp.example";
    size_t local_length = sizeof local - 1;
    if (domain_length == local_length && strncasecmp(domain, local, local_length) == 0) return PLAIN;
    if (domain_length > local_length + 1 && domain[domain_length - local_length - 1] == '.' &&
        strncasecmp(domain + domain_length - local_length, local, local_length) == 0)
        return PLAIN;
    return RELAY;
}

#ifdef LOG_DECISIONS
static void log_decision(const struct session *s, const char *queue_id, const char *raw, const char *verdict,
                         const char *reply)
{
    char stamp[32], line[2048];
    time_t now = time(NULL);
    struct tm parts;
    gmtime_r(&now, &parts);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &parts);
    int n = snprintf(line, sizeof line, "%s same-logic[%d]: info: %s: session=%lu client=%s verdict=%s reply=%s%s%s recipient=%s\n",
                     stamp, (int)getpid(), queue_id ? queue_id : "NOQUEUE", s ? s->id : 0, s ? s->client : "-",
                     verdict, reply ? "\"" : "-", reply ? reply : "", reply ? "\"" : "", raw);
    if (n > 0) (void)!write(STDERR_FILENO, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}
#define LOG_DECISION(verdict, reply) log_decision(s, queue_id, raw, verdict, reply)
#else
#define LOG_DECISION(verdict, reply) ((void)0)
#endif

static sfsistat baseline_envrcpt(SMFICTX *ctx, char **argv)
{
    struct session *s = smfi_getpriv(ctx);
    const char *queue_id = smfi_getsymval(ctx, "i");
    (void)queue_id;
    const char *raw = argv && argv[0] ? argv[0] : "";
    size_t length = strlen(raw);
    const char *address = raw;
    if (length >= 2 && raw[0] == '<' && raw[length - 1] == '>') { address++; length -= 2; }
    enum attempt attempt = classify(address, length);
    /* Like RelayGuard, also decide Postfix's parsed {rcpt_addr}; the stricter answer wins. */
    const char *parsed = smfi_getsymval(ctx, "{rcpt_addr}");
    if (parsed && attempt != ALWAYS_REJECT) {
        enum attempt second = classify(parsed, strlen(parsed));
        if (second == ALWAYS_REJECT || attempt == PLAIN) attempt = second;
    }
    if (attempt == PLAIN || (attempt != ALWAYS_REJECT && s && s->relay_client == 1)) {
        LOG_DECISION("continue", NULL);
        return SMFIS_CONTINUE;
    }
    if (!s || s->relay_client < 0) {
        LOG_DECISION("tempfail", NULL);
        return SMFIS_TEMPFAIL;
    }

    /* The reply names the recipient; libmilter formats it, so '%' must be doubled. */
    char text[1200];
    size_t n = 0;
    for (size_t i = 0; raw[i] && n + 2 < 1000; i++) {
        if (raw[i] == '%') text[n++] = '%';
        text[n++] = raw[i];
    }
    text[n] = 0;
    const char *reason = attempt == RELAY ? ": relay access denied"
                         : attempt == ALWAYS_REJECT ? ": encapsulated address rejected"
                         : ": encapsulated or routed address rejected: rerouting is not allowed";
    strcat(text, reason);
    const char *xcode = attempt == ALWAYS_REJECT ? "5.1.1" : "5.7.1";
#ifdef LOG_DECISIONS
    char reply[1300];
    snprintf(reply, sizeof reply, "550 %s %s", xcode, text);
    LOG_DECISION("reject", reply);
#endif
    smfi_setreply(ctx, "550", (char *)xcode, text);
    return SMFIS_REJECT;
}

static sfsistat baseline_close(SMFICTX *ctx)
{
    free(smfi_getpriv(ctx));
    smfi_setpriv(ctx, NULL);
    return SMFIS_CONTINUE;
}

int main(int argc, char **argv)
{
    add_prefix(0, AF_INET, "192.0.2.0", 24);
    add_prefix(1, AF_INET6, "2001:db8::", 32);
    return baseline_main("same-logic-baseline", argc, argv);
}
