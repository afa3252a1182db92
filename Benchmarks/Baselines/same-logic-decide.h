/* The benchmark policy's decision in plain C, shared by the two C baselines that decide: same-logic.c (a libmilter
 * milter) and policy-same-logic.c (a Postfix policy server), so that both floors decide alike by construction.
 *
 * Policy (the same as the RelayGuard config scripts/bench runs, and as Benchmarks/MilterLoad/RecipientMix.swift and
 * Benchmarks/PolicyLoad expect): reroute = yes, relay_clients = 192.0.2.0/24, 2001:db8::/32, local_domains =
 * corp.example .corp.example. Per recipient: an IMCEA address whose type (+HH decoded) is INVALID or X500 is rejected
 * 5.1.1; of type SMTP (or X400 with a dda:SMTP= / dda:RFC-822= part) it is a reroute attempt; a routed address (source
 * route, '%', '!', quoted '@') is a reroute attempt; a plain address outside the local domains is a relay attempt.
 * Attempts from a client outside relay_clients are refused; everything else continues. */
#ifndef SAME_LOGIC_DECIDE_H
#define SAME_LOGIC_DECIDE_H
#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

struct prefix { int family; unsigned char bytes[16]; int bits; };
static struct prefix relay_clients[2];

static void add_prefix(int i, int family, const char *text, int bits)
{
    relay_clients[i].family = family;
    relay_clients[i].bits = bits;
    inet_pton(family, text, relay_clients[i].bytes);
}

/* The benchmark policy's relay_clients. */
static void same_logic_init(void)
{
    add_prefix(0, AF_INET, "192.0.2.0", 24);
    add_prefix(1, AF_INET6, "2001:db8::", 32);
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

/* 1: the client address (text, as Postfix writes it) is in relay_clients; 0: outside; -1: not an address. */
static int relay_client_text(const char *text)
{
    unsigned char bytes[16];
    if (text && inet_pton(AF_INET, text, bytes) == 1) return in_relay_clients(AF_INET, bytes);
    if (text && inet_pton(AF_INET6, text, bytes) == 1) return in_relay_clients(AF_INET6, bytes);
    return -1;
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

#endif
