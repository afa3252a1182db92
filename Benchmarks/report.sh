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
| Postfix | $(postconf -h mail_version 2>/dev/null) |
| libmilter | $(dpkg-query -W -f='${Version}' libmilter1.0.1 2>/dev/null || echo unknown) |
| command | \`scripts/bench\` (BENCH_ROUNDS=$ROUNDS, BENCH_SESSIONS=$SESSIONS, BENCH_MESSAGES=$MESSAGES), wall time ${ELAPSED} s |

How to reproduce: \`scripts/bench\` as root on Debian 12 with postfix, postfix-pcre, libmilter-dev and gcc installed. It
builds release into \`.build-bench\`, compiles \`Benchmarks/Baselines/*.c\` with gcc, starts every milter and four private
Postfix instances on loopback ports, and removes them afterwards. \`BENCH_ROUNDS\`, \`BENCH_SESSIONS\` and
\`BENCH_MESSAGES\` shorten or lengthen it; \`BENCH_OUTPUT\` writes elsewhere. The load generator alone:
\`.build-bench/release/relayguard-milter-load --port PORT --pid MILTER_PID --concurrency N --sessions N\`.

Medians over $ROUNDS rounds; the milters (and Postfix configurations) take turns within each round, and each ratio is
the median of the per-round ratios, so both sides of a ratio ran under the same background load.

END_OF_HEADER

awk -v rounds="$ROUNDS" -v conclist="$CONCURRENCY" '
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

    print "## End to end (smtp-source -s 10, default message, private Postfix → smtp-sink)"
    print ""
    print "One recipient per message (`alice@corp.example`, accepted by every configuration). `pcre` is no milter but"
    print "`check_recipient_access pcre:` with `/^IMCEA/ REJECT`, the Postfix-native answer to the same attack."
    print ""
    print "| configuration | messages/s | vs no milter | vs C same-logic + log | vs C same-logic |"
    print "| --- | ---: | ---: | ---: | ---: |"
    ne = split("none relayguard same-logic-log same-logic continue pcre", configs, " ")
    names["none"] = "Postfix alone (no milter)"; names["relayguard"] = "RelayGuard"; names["same-logic-log"] = "C same-logic milter + log line"
    names["same-logic"] = "C same-logic milter"; names["continue"] = "C continue milter"; names["pcre"] = "no milter + pcre IMCEA rule"
    for (m = 1; m <= ne; m++) {
        cf = configs[m]; rn = ""; rsl = ""; rs0 = ""
        for (r = 1; r <= rounds; r++) {
            rn = rn " " ratio(e2e[r, cf], e2e[r, "none"]); rsl = rsl " " ratio(e2e[r, cf], e2e[r, "same-logic-log"])
            rs0 = rs0 " " ratio(e2e[r, cf], e2e[r, "same-logic"])
        }
        printf "| %s | %.0f | %.3fx | %.3fx | %.3fx |\n", names[cf], median(values["e2e" SUBSEP cf]), median(rn), median(rsl), median(rs0)
        cost[cf] = 1 - median(rn); gap[cf] = 1 - median(rsl); gap0[cf] = 1 - median(rs0)
    }
    g = gap["relayguard"]; g0 = gap0["relayguard"]
    printf "\nTargets: RelayGuard costs %.1f%% of the throughput of Postfix alone (target ≤ 5%%: %s; the C continue milter, which does nothing, costs %.1f%%: the floor of any libmilter milter here). It is %.1f%% %s the C same-logic milter with the same log line (target within 2%%: %s) and %.1f%% %s the silent C same-logic milter (%s).\n",
        cost["relayguard"] * 100, verdict(cost["relayguard"] <= 0.05), cost["continue"] * 100,
        (g < 0 ? -g : g) * 100, (g <= 0 ? "above" : "below"), verdict(g <= 0.02),
        (g0 < 0 ? -g0 : g0) * 100, (g0 <= 0 ? "above" : "below"), verdict(g0 <= 0.02)
    printf "Per round (messages/s, none / RelayGuard / same-logic + log / same-logic / continue / pcre):"
    for (r = 1; r <= rounds; r++) printf "%s %.0f / %.0f / %.0f / %.0f / %.0f / %.0f", (r > 1 ? ";" : ""), e2e[r, "none"], e2e[r, "relayguard"], e2e[r, "same-logic-log"], e2e[r, "same-logic"], e2e[r, "continue"], e2e[r, "pcre"]
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
