#!/usr/bin/env bash
# Writes BENCHMARKS.md to stdout from scripts/bench's measurements. Not meant to be run by hand.
# Arguments: results-file policy-table-file rounds sessions messages elapsed-seconds "concurrency list"
set -euo pipefail
RESULTS=$1 POLICY=$2 ROUNDS=$3 SESSIONS=$4 MESSAGES=$5 ELAPSED=$6 CONCURRENCY=$7
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
cat <<END_OF_HEADER
# RelayGuard benchmarks

Produced by \`scripts/bench\` (do not edit by hand; rerun it). Every figure below comes from one run of that command on
the machine described here; compare ratios within this file, never against another machine or run.

| | |
| --- | --- |
| date | $(date -u +%Y-%m-%dT%H:%M:%SZ) |
| CPU | $cpu, $(nproc) cores (\`nproc\`) |
| load average at the end | $(cut -d' ' -f1-3 /proc/loadavg) |
| kernel | $(uname -r) |
| Swift | $(swift --version 2>&1 | head -1) |
| Postfix | $(postconf -d -h mail_version 2>/dev/null) |
| postfwd | $(dpkg-query -W -f='${Version}' postfwd 2>/dev/null || echo unknown) (postfwd2) |
| libmilter | $(dpkg-query -W -f='${Version}' libmilter1.0.1 2>/dev/null || echo unknown) |
| command | \`scripts/bench\` (BENCH_ROUNDS=$ROUNDS, BENCH_SESSIONS=$SESSIONS, BENCH_MESSAGES=$MESSAGES), wall time ${ELAPSED} s |

How to reproduce: \`scripts/install-deps\`, then \`scripts/bench\` as root on Debian 12. It builds release into
\`.build-bench\`, compiles \`Benchmarks/Baselines/*.c\` with gcc, starts every milter and policy server (postfwd with
\`Benchmarks/postfwd.cf\`, in the run's own directory) and private Postfix instances on loopback ports, and removes them
afterwards. \`BENCH_ROUNDS\`, \`BENCH_SESSIONS\`, \`BENCH_REQUESTS\`, \`BENCH_POSTFWD_REQUESTS\` and \`BENCH_MESSAGES\`
shorten or lengthen it; \`BENCH_OUTPUT\` writes elsewhere. The load generators alone:
\`.build-bench/release/relayguard-milter-load --port PORT --pid MILTER_PID --concurrency N --sessions N\` and
\`.build-bench/release/relayguard-policy-load --unix PATH (or --port PORT) --pid SERVER_PID --concurrency N --requests N\`.

The machine may be shared: other builds and tests may run during the benchmark (the load average above says how
much). Every ratio compares figures from the same round, so a busy moment weighs on both sides of it.
${BENCH_NOTE:+
Note on this run: $BENCH_NOTE
}
Medians over $ROUNDS rounds; the milters, policy servers and Postfix configurations take turns within each round, each
round starting one further along the list (no server is always first), and each ratio is the median of the per-round
ratios, so both sides of a ratio ran under the same background load.

END_OF_HEADER

awk -v rounds="$ROUNDS" -v conclist="$CONCURRENCY" -v requests="${BENCH_REQUESTS:-20000}" -v postfwd_requests="${BENCH_POSTFWD_REQUESTS:-1000}" '
function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    if (n == 0) return 0
    for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function add(key, value) { values[key] = (key in values) ? values[key] " " value : value }
function ratio(num, den) { return den + 0 > 0 ? num / den : 0 }
function verdict(ok) { return ok ? "met" : "**missed**" }
{
    section = $1; label = $2; key = $3; value = $4
    if (section ~ /^proto-/) {
        split(section, p, "-"); c = p[2]; r = p[3]
        proto[c, r, label, key] = value
        add("proto" SUBSEP c SUBSEP label SUBSEP key, value)
    } else if (section ~ /^pol-/) {
        split(section, p, "-"); c = p[2]; r = p[3]
        pol[c, r, label, key] = value
        add("pol" SUBSEP c SUBSEP label SUBSEP key, value)
    } else if (section ~ /^e2e-/) {
        split(section, p, "-"); r = p[2]
        e2e[r, label] = value
        add("e2e" SUBSEP label, value)
    } else if (section == "audit" || section == "probe") {
        add(section SUBSEP label SUBSEP key, value)
    } else {
        single[section, label, key] = value
    }
}
END {
    print "## Milter protocol (relayguard-milter-load)"
    print ""
    print "Each session: optneg, connect (client address from a mix: 2 of 4 sessions outside relay_clients), helo, mail,"
    print "4 RCPTs from a mix of plain local, IMCEA SMTP/EX, percent-hack, bang-path and remote recipients, data/eom when"
    print "a recipient was accepted, abort, quit; one TCP connection per session, as Postfix opens one per SMTP session."
    print "Every milter here negotiates no reply at connect, helo and mail (as RelayGuard does), so the generator, like"
    print "Postfix, sends those with the first RCPT and waits for 4 RCPT answers, data and eom: their latency is part of"
    print "the first RCPT answer."
    print "RelayGuard runs the benchmark policy (`reroute = yes`, `relay_clients = 192.0.2.0/24, 2001:db8::/32`,"
    print "`local_domains = corp.example .corp.example`). Two like-for-like pairs: RelayGuard as shipped (one info line"
    print "per recipient, stderr to a file) against `same-logic.c` built with `-DLOG_DECISIONS` (the same decisions in"
    print "C, writing the same kind of line with one write(2)); and `relayguard-quiet` (`log_level = notice`, no"
    print "per-recipient line) against the plain `same-logic.c`, which logs nothing. `continue.c` answers continue: the"
    print "cost of libmilter and the protocol."
    print ""
    print "| concurrency | RelayGuard sessions/s | C same-logic + log | ratio (target ≥ 0.9) | RCPT p99 µs RelayGuard | C + log | p99 ratio (target ≤ 1.2) | RelayGuard quiet sessions/s | C same-logic | ratio (target ≥ 0.9) | RCPT p99 µs quiet | C | p99 ratio (target ≤ 1.2) | C continue sessions/s | RelayGuard decisions/s |"
    print "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    n = split(conclist, order, " ")
    for (i = 1; i <= n; i++) {
        c = order[i]; rs = ""; rp = ""; qs = ""; qp = ""
        for (r = 1; r <= rounds; r++) {
            rs = rs " " ratio(proto[c, r, "relayguard", "sessions_per_s"], proto[c, r, "same-logic-log", "sessions_per_s"])
            rp = rp " " ratio(proto[c, r, "relayguard", "rcpt_p99_us"], proto[c, r, "same-logic-log", "rcpt_p99_us"])
            qs = qs " " ratio(proto[c, r, "relayguard-quiet", "sessions_per_s"], proto[c, r, "same-logic", "sessions_per_s"])
            qp = qp " " ratio(proto[c, r, "relayguard-quiet", "rcpt_p99_us"], proto[c, r, "same-logic", "rcpt_p99_us"])
        }
        ms = median(rs); mp = median(rp); mqs = median(qs); mqp = median(qp)
        printf "| %d | %.0f | %.0f | %.2fx %s | %.0f | %.0f | %.2fx %s | %.0f | %.0f | %.2fx %s | %.0f | %.0f | %.2fx %s | %.0f | %.0f |\n", c,
            median(values["proto", c, "relayguard", "sessions_per_s"]), median(values["proto", c, "same-logic-log", "sessions_per_s"]),
            ms, verdict(ms >= 0.9),
            median(values["proto", c, "relayguard", "rcpt_p99_us"]), median(values["proto", c, "same-logic-log", "rcpt_p99_us"]),
            mp, verdict(mp <= 1.2),
            median(values["proto", c, "relayguard-quiet", "sessions_per_s"]), median(values["proto", c, "same-logic", "sessions_per_s"]),
            mqs, verdict(mqs >= 0.9),
            median(values["proto", c, "relayguard-quiet", "rcpt_p99_us"]), median(values["proto", c, "same-logic", "rcpt_p99_us"]),
            mqp, verdict(mqp <= 1.2),
            median(values["proto", c, "continue", "sessions_per_s"]), median(values["proto", c, "relayguard", "rcpts_per_s"])
    }
    print ""
    print "Per-command latency (µs, medians of the per-run percentiles), milter CPU time per session, and RSS growth"
    print "(largest VmRSS sampled during the run minus VmRSS before it, per concurrent session):"
    print ""
    print "| concurrency | milter | rcpt p50/p99/p99.9 | data p50/p99 | eom p50/p99/p99.9 | CPU µs/session | RSS growth kB/session |"
    print "| ---: | --- | ---: | ---: | ---: | ---: | ---: |"
    nm = split("relayguard relayguard-quiet same-logic-log same-logic continue", milters, " ")
    for (i = 1; i <= n; i++) {
        c = order[i]
        for (m = 1; m <= nm; m++) {
            k = "proto" SUBSEP c SUBSEP milters[m] SUBSEP
            printf "| %d | %s | %.0f / %.0f / %.0f | %.0f / %.0f | %.0f / %.0f / %.0f | %.0f | %.1f |\n",
                c, milters[m], median(values[k "rcpt_p50_us"]), median(values[k "rcpt_p99_us"]), median(values[k "rcpt_p999_us"]),
                median(values[k "data_p50_us"]), median(values[k "data_p99_us"]),
                median(values[k "eom_p50_us"]), median(values[k "eom_p99_us"]), median(values[k "eom_p999_us"]),
                median(values[k "cpu_us_per_session"]), median(values[k "rss_kb_per_session"])
        }
    }
    print ""
    printf "Peak RSS (VmHWM) over the whole protocol benchmark: RelayGuard %.1f MB (log_level = notice: %.1f MB), C same-logic %.1f MB (with its log line: %.1f MB), C continue %.1f MB.\n\n",
        single["peak", "relayguard", "vmhwm_kb"] / 1024, single["peak", "relayguard-quiet", "vmhwm_kb"] / 1024, single["peak", "same-logic", "vmhwm_kb"] / 1024,
        single["peak", "same-logic-log", "vmhwm_kb"] / 1024, single["peak", "continue", "vmhwm_kb"] / 1024

    print "## Policy protocol (relayguard-policy-load)"
    print ""
    print "Each connection plays one smtpd process: opened before the clock starts and kept, it sends streams of 4 RCPT"
    print "requests (an SMTP session: one client, 4 recipients from the milter benchmark\047s mix, 2 of 4 streams from"
    print "outside relay_clients), every attribute Postfix 3.7 sends, one request at a time, waiting for each answer. The"
    print "generator checks every answer against the benchmark policy (DUNNO, or a 5xx refusal) and counts them by kind."
    printf "Each run sends %d requests (postfwd: %d; at least 8 per connection).\n", requests, postfwd_requests
    print "Servers: RelayGuard\047s `policy_socket` listener in `relayguard run` (SwiftNIO) on a unix socket, as shipped (one"
    print "info line per decision, stderr to a file) and with `log_level = notice`, and on inet (`socket = none`); the C"
    print "same-logic policy server (`Baselines/policy-same-logic.c`: one thread, epoll, the decisions of `same-logic.c`) on"
    print "a unix socket, with (`-DLOG_DECISIONS`, one write(2) per decision) and without its log line; postfwd (Debian\047s"
    print "postfwd2 1.35, pre-forked Perl children, at most 100, `Benchmarks/postfwd.cf`: the same decisions and replies) on"
    print "loopback TCP, its request cache off and its logging off (`--perfmon`); and NIO\047s floor (`Benchmarks/PolicyFloor`:"
    print "a bare NIO server with the event loops and accept batch of RelayGuard\047s listener, answering `DUNNO` to every"
    print "request without reading it). Like-for-like pairs as for the milter: RelayGuard as shipped against C + log,"
    print "RelayGuard quiet against plain C."
    print ""
    print "| concurrency | RelayGuard req/s | C + log | ratio (target ≥ 0.9) | p99 µs RelayGuard | C + log | p99 ratio (target ≤ 1.2) | RelayGuard quiet req/s | C | ratio (target ≥ 0.9) | p99 µs quiet | C | p99 ratio (target ≤ 1.2) | RelayGuard inet req/s | postfwd req/s | RelayGuard ÷ postfwd (target > 1) | p99 µs postfwd |"
    print "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    polmissed = ""
    for (i = 1; i <= n; i++) {
        c = order[i]; rs = ""; rp = ""; qs = ""; qp = ""; fs = ""; fi = ""
        for (r = 1; r <= rounds; r++) {
            rs = rs " " ratio(pol[c, r, "relayguard", "requests_per_s"], pol[c, r, "policy-same-logic-log", "requests_per_s"])
            rp = rp " " ratio(pol[c, r, "relayguard", "p99_us"], pol[c, r, "policy-same-logic-log", "p99_us"])
            qs = qs " " ratio(pol[c, r, "relayguard-quiet", "requests_per_s"], pol[c, r, "policy-same-logic", "requests_per_s"])
            qp = qp " " ratio(pol[c, r, "relayguard-quiet", "p99_us"], pol[c, r, "policy-same-logic", "p99_us"])
            fs = fs " " ratio(pol[c, r, "relayguard", "requests_per_s"], pol[c, r, "postfwd", "requests_per_s"])
            fi = fi " " ratio(pol[c, r, "relayguard-inet", "requests_per_s"], pol[c, r, "postfwd", "requests_per_s"])
        }
        ms = median(rs); mp = median(rp); mqs = median(qs); mqp = median(qp); mfs = median(fs); mfi = median(fi)
        if (ms < 0.9) polmissed = polmissed sprintf(", throughput %.2fx C + log at %d", ms, c)
        if (mp > 1.2) polmissed = polmissed sprintf(", p99 %.2fx C + log at %d", mp, c)
        if (mqs < 0.9) polmissed = polmissed sprintf(", quiet throughput %.2fx C at %d", mqs, c)
        if (mqp > 1.2) polmissed = polmissed sprintf(", quiet p99 %.2fx C at %d", mqp, c)
        if (mfs <= 1 || mfi <= 1) polmissed = polmissed sprintf(", not ahead of postfwd at %d", c)
        printf "| %d | %.0f | %.0f | %.2fx %s | %.0f | %.0f | %.2fx %s | %.0f | %.0f | %.2fx %s | %.0f | %.0f | %.2fx %s | %.0f | %.0f | %.0fx %s (inet %.0fx) | %.0f |\n", c,
            median(values["pol", c, "relayguard", "requests_per_s"]), median(values["pol", c, "policy-same-logic-log", "requests_per_s"]),
            ms, verdict(ms >= 0.9),
            median(values["pol", c, "relayguard", "p99_us"]), median(values["pol", c, "policy-same-logic-log", "p99_us"]),
            mp, verdict(mp <= 1.2),
            median(values["pol", c, "relayguard-quiet", "requests_per_s"]), median(values["pol", c, "policy-same-logic", "requests_per_s"]),
            mqs, verdict(mqs >= 0.9),
            median(values["pol", c, "relayguard-quiet", "p99_us"]), median(values["pol", c, "policy-same-logic", "p99_us"]),
            mqp, verdict(mqp <= 1.2),
            median(values["pol", c, "relayguard-inet", "requests_per_s"]), median(values["pol", c, "postfwd", "requests_per_s"]),
            mfs, verdict(mfs > 1 && mfi > 1), mfi, median(values["pol", c, "postfwd", "p99_us"])
    }
    print ""
    printf "Targets (≥ 0.9x the C server\047s requests/s at every concurrency, p99 ≤ 1.2x, ahead of postfwd everywhere): %s.\n\n",
        polmissed == "" ? "all met" : "**missed**: " substr(polmissed, 3)
    print "Where the time goes: each server\047s CPU time per request (µs, medians). The floor is SwiftNIO with no work; from"
    print "the floor to RelayGuard quiet is RelayGuard\047s listener (back-pressure, idle mark, timeout, metrics), framer and"
    print "decision, from quiet to as shipped its log line (C: from plain C to C + log)."
    print ""
    print "| concurrency | NIO floor | C | floor req/s ÷ C req/s | RelayGuard quiet | RelayGuard | C + log |"
    print "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    for (i = 1; i <= n; i++) {
        c = order[i]; fc = ""
        for (r = 1; r <= rounds; r++) fc = fc " " ratio(pol[c, r, "policy-nio-floor", "requests_per_s"], pol[c, r, "policy-same-logic", "requests_per_s"])
        printf "| %d | %.1f | %.1f | %.2fx | %.1f | %.1f | %.1f |\n", c,
            median(values["pol", c, "policy-nio-floor", "cpu_us_per_request"]), median(values["pol", c, "policy-same-logic", "cpu_us_per_request"]),
            median(fc), median(values["pol", c, "relayguard-quiet", "cpu_us_per_request"]),
            median(values["pol", c, "relayguard", "cpu_us_per_request"]), median(values["pol", c, "policy-same-logic-log", "cpu_us_per_request"])
    }
    print ""
    print "Per server: latency of an answer (µs, medians of the per-run percentiles), the server\047s CPU time per request"
    print "(utime + stime from /proc; postfwd\047s work is spread over its children and is not counted), its largest VmRSS"
    print "during the run, and the answers off the benchmark policy (summed over all runs):"
    print ""
    print "| concurrency | server | requests/s | p50 / p99 / p99.9 | CPU µs/request | max RSS MB | wrong answers |"
    print "| ---: | --- | ---: | ---: | ---: | ---: | ---: |"
    ns = split("relayguard relayguard-quiet relayguard-inet policy-same-logic-log policy-same-logic policy-nio-floor postfwd", servers, " ")
    for (i = 1; i <= n; i++) {
        c = order[i]
        for (m = 1; m <= ns; m++) {
            k = "pol" SUBSEP c SUBSEP servers[m] SUBSEP
            wrong = 0; nw = split(values[k "mismatches"], w, " "); for (j = 1; j <= nw; j++) wrong += w[j]
            errs = 0; nw = split(values[k "errors"], w, " "); for (j = 1; j <= nw; j++) errs += w[j]
            printf "| %d | %s | %.0f | %.0f / %.0f / %.0f | %s | %s | %s |\n", c, servers[m], median(values[k "requests_per_s"]),
                median(values[k "p50_us"]), median(values[k "p99_us"]), median(values[k "p999_us"]),
                (servers[m] == "postfwd" ? "-" : sprintf("%.1f", median(values[k "cpu_us_per_request"]))),
                (servers[m] == "postfwd" ? "-" : sprintf("%.1f", median(values[k "max_rss_kb"]) / 1024)),
                (servers[m] == "policy-nio-floor" ? sprintf("%d (DUNNO to all: failed connections only)", errs) : wrong + errs)
        }
    }
    print ""
    printf "Peak RSS (VmHWM) of the policy-only processes over the whole run: RelayGuard (`socket = none`, inet) %.1f MB, C policy server %.1f MB (with its log line: %.1f MB). The RelayGuard processes on unix sockets serve the milter benchmark too.\n\n",
        single["peak", "relayguard-inet", "vmhwm_kb"] / 1024, single["peak", "policy-same-logic", "vmhwm_kb"] / 1024,
        single["peak", "policy-same-logic-log", "vmhwm_kb"] / 1024

    print "## End to end (smtp-source -s 10, default message, private Postfix → smtp-sink)"
    print ""
    print "One recipient per message (`alice@corp.example`, accepted by every configuration), so one policy request or"
    print "one milter transaction per message. `pcre` is `check_recipient_access pcre:` with `/^IMCEA/ REJECT`, the"
    print "Postfix-native answer to the same attack. The policy services stand first in `smtpd_relay_restrictions`"
    print "(`check_policy_service`, as the README wires it); smtpd keeps one connection to them per smtpd process. RelayGuard"
    print "runs as shipped (one info line per decision): its policy service on a unix socket (beside its milter, in the"
    print "same process) and on inet (`socket = none`); postfwd on loopback TCP; the C policy server (no log line) on a unix"
    print "socket. The milters are asked with `milter_protocol = 6`."
    print ""
    print "| configuration | messages/s | vs Postfix alone | vs pcre rule | vs C policy server | vs C same-logic milter + log | vs C same-logic milter |"
    print "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    ne = split("none pcre policy-unix policy-inet postfwd policy-same-logic relayguard same-logic-log same-logic continue", configs, " ")
    names["none"] = "Postfix alone"; names["pcre"] = "pcre IMCEA rule"
    names["policy-unix"] = "RelayGuard policy service, unix socket"; names["policy-inet"] = "RelayGuard policy service, inet"
    names["postfwd"] = "postfwd (same rules)"; names["policy-same-logic"] = "C same-logic policy server"
    names["relayguard"] = "RelayGuard milter"; names["same-logic-log"] = "C same-logic milter + log line"
    names["same-logic"] = "C same-logic milter"; names["continue"] = "C continue milter"
    for (m = 1; m <= ne; m++) {
        cf = configs[m]; rn = ""; rpc = ""; rcp = ""; rsl = ""; rs0 = ""
        for (r = 1; r <= rounds; r++) {
            rn = rn " " ratio(e2e[r, cf], e2e[r, "none"]); rpc = rpc " " ratio(e2e[r, cf], e2e[r, "pcre"])
            rcp = rcp " " ratio(e2e[r, cf], e2e[r, "policy-same-logic"])
            rsl = rsl " " ratio(e2e[r, cf], e2e[r, "same-logic-log"]); rs0 = rs0 " " ratio(e2e[r, cf], e2e[r, "same-logic"])
        }
        printf "| %s | %.0f | %.3fx | %.3fx | %.3fx | %.3fx | %.3fx |\n", names[cf], median(values["e2e" SUBSEP cf]), median(rn), median(rpc),
            median(rcp), median(rsl), median(rs0)
        vsnone[cf] = median(rn); vspcre[cf] = median(rpc)
        cost[cf] = 1 - median(rn); gap[cf] = 1 - median(rsl); gap0[cf] = 1 - median(rs0)
    }
    printf "\nTargets for the policy service (≥ 0.97x the pcre rule\047s throughput and ≥ 0.93x Postfix alone): on a unix socket %.3fx pcre (%s) and %.3fx Postfix alone (%s); on inet %.3fx pcre (%s) and %.3fx Postfix alone (%s). For scale: the C policy server runs at %.3fx Postfix alone, postfwd at %.3fx, the pcre rule at %.3fx.\n",
        vspcre["policy-unix"], verdict(vspcre["policy-unix"] >= 0.97), vsnone["policy-unix"], verdict(vsnone["policy-unix"] >= 0.93),
        vspcre["policy-inet"], verdict(vspcre["policy-inet"] >= 0.97), vsnone["policy-inet"], verdict(vsnone["policy-inet"] >= 0.93),
        vsnone["policy-same-logic"], vsnone["postfwd"], vsnone["pcre"]
    g = gap["relayguard"]; g0 = gap0["relayguard"]
    printf "\nThe milter: RelayGuard costs %.1f%% of the throughput of Postfix alone (target ≤ 5%%: %s; the C continue milter, which does nothing, costs %.1f%%: the floor of any libmilter milter here). It is %.1f%% %s the C same-logic milter with the same log line (target within 2%%: %s) and %.1f%% %s the silent C same-logic milter (%s).\n",
        cost["relayguard"] * 100, verdict(cost["relayguard"] <= 0.05), cost["continue"] * 100,
        (g < 0 ? -g : g) * 100, (g <= 0 ? "above" : "below"), verdict(g <= 0.02),
        (g0 < 0 ? -g0 : g0) * 100, (g0 <= 0 ? "above" : "below"), verdict(g0 <= 0.02)
    printf "\nPer round (messages/s,"
    for (m = 1; m <= ne; m++) printf "%s%s", (m > 1 ? " /" : ""), " " configs[m]
    printf "):"
    for (r = 1; r <= rounds; r++) {
        printf "%s", (r > 1 ? ";" : "")
        for (m = 1; m <= ne; m++) printf "%s %.0f", (m > 1 ? " /" : ""), e2e[r, configs[m]]
    }
    print "."
    print ""

    print "## Scale: relay_clients size, config load and reload (RelayGuard process)"
    print ""
    print "Startup is process start to accepting connections (includes parsing the config; polled every 20 ms); reload"
    print "is SIGUSR1 to the `reload: ... loaded` log line (median of three), re-reading the same file. Prefix files:"
    print "half IPv4, half IPv6, random."
    print ""
    print "| relay_clients prefixes | startup s | reload s | RSS after start MB | RSS after reloads MB | warnings at startup |"
    print "| ---: | ---: | ---: | ---: | ---: | ---: |"
    split("10 10000 1000000", sizes, " ")
    for (i = 1; i <= 3; i++) {
        s = sizes[i]
        printf "| %s | %.3f | %.3f | %.1f | %.1f | %d |\n", s, single["scale", s, "startup_s"], single["scale", s, "reload_s"],
            single["scale", s, "rss_kb"] / 1024, single["scale", s, "rss_after_reload_kb"] / 1024, single["scale", s, "warnings"]
    }
    print ""
    idle = single["idle", "relayguard", "rss_kb"] / 1024
    printf "Idle RSS with the default config (embedded defaults plus `user = nobody`): **%.1f MB** (target < 30 MB: %s); the C same-logic milter after the whole protocol benchmark: %.1f MB.\n\n",
        idle, verdict(idle < 30), single["idle", "same-logic", "rss_kb"] / 1024

    print "## Probe: relayguard probe against a private gateway"
    print ""
    print "The built-in test set (nmap smtp-open-relay families, each also at the address literal, every IMCEA family,"
    print "Domino lists) against a private Postfix relaying corp.example whose mynetworks does not hold the prober, alone"
    print "and with RelayGuard; MAIL, RCPT and RSET per test, a new SMTP session every 8 tests, never DATA."
    print ""
    print "| gateway | tests | accepted | seconds a run (median) | tests/s |"
    print "| --- | ---: | ---: | ---: | ---: |"
    split("probe-none probe-relayguard", gateways, " ")
    for (i = 1; i <= 2; i++) {
        g = gateways[i]; secs = median(values["probe" SUBSEP g SUBSEP "seconds"]); n = median(values["probe" SUBSEP g SUBSEP "tests"])
        printf "| %s | %d | %d | %.3f | %.0f |\n", (g == "probe-none" ? "Postfix alone" : "Postfix + RelayGuard"), n,
            median(values["probe" SUBSEP g SUBSEP "accepted"]), secs, ratio(n, secs)
    }
    print ""

    print "## Audit: relayguard audit over a generated mail log (one core)"
    print ""
    mb = median(values["audit" SUBSEP "log" SUBSEP "bytes"]) / 1048576
    printf "`relayguard-auditlog-gen` writes %.0f MB (%d lines) of a busy gateway log: per message connect, TLS, client=,\n", mb, median(values["audit" SUBSEP "log" SUBSEP "lines"])
    print "cleanup, qmgr, delivery, removed and disconnect lines; one connection in six refused by Postfix, one in forty by"
    print "RelayGuard, one message in 500 to an encapsulated or percent-hack recipient. Each tool reads the file from the page"
    print "cache, pinned to one core with `taskset -c 0`, in alternating rounds; `grep -c status=sent` is the floor (reading"
    printf "and one fixed-string scan). The audit found %d encapsulated or routed deliveries.\n", median(values["audit" SUBSEP "relayguard" SUBSEP "deliveries"])
    print ""
    print "| tool | MB/s (median) | peak RSS MB (max) |"
    print "| --- | ---: | ---: |"
    rate = median(values["audit" SUBSEP "relayguard" SUBSEP "mb_s"])
    n = split(values["audit" SUBSEP "relayguard" SUBSEP "rss_kb"], rss, " "); peak = 0
    for (i = 1; i <= n; i++) if (rss[i] + 0 > peak) peak = rss[i] + 0
    printf "| relayguard audit --json | %.0f | %.1f |\n", rate, peak / 1024
    printf "| grep -c status=sent | %.0f | - |\n\n", median(values["audit" SUBSEP "grep" SUBSEP "mb_s"])
    printf "Targets: at least 100 MB/s on one core (%s, %.2fx grep), peak RSS under 100 MB on a 1 GB log (%s).\n\n",
        verdict(rate >= 100), ratio(rate, median(values["audit" SUBSEP "grep" SUBSEP "mb_s"])), verdict(peak / 1024 < 100 && mb >= 1000)
}' "$RESULTS"
cat <<END_OF_POLICY
## Policy (relayguard-policy-bench 10 10000 1000000: one thread, no milter)

$(cat "$POLICY")

Targets: at least 2,000,000 decisions/s with the small config, no more than 2x slower with a million prefixes, and a
million-prefix config loading in under 2 s.
END_OF_POLICY
