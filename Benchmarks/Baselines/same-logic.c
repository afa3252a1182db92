/* The physical limit of a libmilter milter on this machine: the benchmark policy's decision in plain C
 * (same-logic-decide.h, shared with the C policy server policy-same-logic.c). Attempts from a client outside
 * relay_clients get 550 5.7.1 (5.1.1 for IMCEA types never accepted); everything else continues. Like RelayGuard,
 * the milter decides the raw RCPT argument and Postfix's parsed {rcpt_addr}, and the stricter answer wins.
 *
 * Built with -DLOG_DECISIONS (scripts/bench's `same-logic-log`), it also writes what RelayGuard writes per recipient at
 * its default log level: one `key=value` line to stderr with a timestamp, the queue id, client, verdict, reply and
 * recipient, in one write(2). That is the like-for-like baseline for RelayGuard as shipped; the plain build is the
 * one for RelayGuard with log_level = notice. */
#include "baseline-main.h"
#include "same-logic-decide.h"
#ifdef LOG_DECISIONS
#include <time.h>
#include <unistd.h>
#endif

/* Per connection: is the client a relay client (-1: unknown address), and its address as logged. */
struct session { int relay_client; char client[64]; unsigned long id; };

static sfsistat baseline_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
    (void)host;
    struct session *s = malloc(sizeof *s);
    if (!s) return SMFIS_TEMPFAIL;
    const char *text = smfi_getsymval(ctx, "{client_addr}");
    snprintf(s->client, sizeof s->client, "%s", text ? text : "-");
    static unsigned long next_id;
    s->id = __atomic_add_fetch(&next_id, 1, __ATOMIC_RELAXED);
    s->relay_client = relay_client_text(text);
    if (!text && addr && addr->sa_family == AF_INET)
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
    same_logic_init();
    return baseline_main("same-logic-baseline", argc, argv);
}
