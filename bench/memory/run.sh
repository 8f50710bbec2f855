#!/usr/bin/env bash
# Resident memory of `keypost serve`: idle after start, at the peak of a load, and after the load has ended.
#   usage: bench/memory/run.sh [settle-seconds] [wkd-seconds] [smtp-messages]
# The server runs with HTTPS (WKD) and SMTP inbound, as bench/wkd and bench/smtp start it. Idle is read after one
# WKD lookup and settle-seconds of quiet; the load is wrk on one WKD key (-t2 -c50) then smtp-source (20 sessions,
# 4 KB messages); "after" is read settle-seconds after the load. Runtime settings such as DOTNET_GCHeapHardLimit
# given in the environment reach the server (docs/operations.md, "Memory").
# Needs: wrk, postfix (smtp-source), dnsmasq-base, openssl, curl.
set -euo pipefail
settle="${1:-30}"
wkd_seconds="${2:-10}"
messages="${3:-1000}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d /tmp/keypost-bench-memory.XXXXXX)"
https_port=18643
smtp_port=18625
dns_port=18653
cleanup() {
  [ -n "${keypost_pid:-}" ] && kill "$keypost_pid" 2>/dev/null || true
  [ -n "${dns_pid:-}" ] && kill "$dns_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

dotnet build "$root/src/Keypost.Cli" -c Release --nologo -v q >/dev/null
keypost=(dotnet "$root/src/Keypost.Cli/bin/Release/net10.0/keypost.dll")
cd "$work"

dnsmasq --keep-in-foreground --port="$dns_port" --listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts \
  --local=/x.test/ --local=/jedi.test/ --txt-record=x.test,"v=spf1 ip4:127.0.0.0/8 -all" --log-facility=- 2>dnsmasq.log &
dns_pid=$!
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=openpgpkey.jedi.test \
  -addext "subjectAltName=DNS:openpgpkey.jedi.test,DNS:jedi.test,DNS:mail.jedi.test" -keyout tls.key -out tls.crt 2>/dev/null
cat > keypost.json <<JSON
{ "dataDirectory": "data", "hostname": "mail.jedi.test", "domains": [ { "name": "jedi.test" } ],
  "http": { "listen": ["127.0.0.1:$https_port"], "certificateFile": "tls.crt", "keyFile": "tls.key" },
  "rateLimit": { "requestsPerMinute": 0 },
  "mail": { "inbound": ["127.0.0.1:$smtp_port"], "dnsServers": ["127.0.0.1:$dns_port"],
            "smtpConnectionsPerMinutePerAddress": 0, "maxSmtpSessionsPerAddress": 1000 } }
JSON
echo "a long enough password" > password
"${keypost[@]}" user add luke@jedi.test --config keypost.json --password-file password >/dev/null
"${keypost[@]}" key generate --address luke@jedi.test --out luke >/dev/null
"${keypost[@]}" directory publish luke.asc --config keypost.json >/dev/null
hash="$("${keypost[@]}" wkd hash luke@jedi.test | cut -d' ' -f1)"
url="https://127.0.0.1:$https_port/.well-known/openpgpkey/jedi.test/hu/$hash"

"${keypost[@]}" serve --config keypost.json >keypost.log 2>&1 &
keypost_pid=$!
for _ in $(seq 100); do curl -skf -o /dev/null -H "Host: openpgpkey.jedi.test" "$url" && break; sleep 0.2; done
rss() { awk -v f="$1" '$1 == f":" {printf "%.1f", $2 / 1024}' "/proc/$keypost_pid/status"; }
# Where it lives: anonymous (GC heap, native heaps, stacks), file-backed (mapped assemblies and libraries, shared
# with other .NET processes), shared memory (the JIT's code, double-mapped).
parts() { echo "anon $(rss RssAnon), file $(rss RssFile), shmem $(rss RssShmem) MiB, $(ls /proc/$keypost_pid/task | wc -l) threads"; }

sleep "$settle"
idle=$(rss VmRSS)
echo "idle: $(parts)"
wrk -t2 -c50 -d"${wkd_seconds}s" -H "Host: openpgpkey.jedi.test" "$url" | awk '/Requests\/sec/ {printf "load: WKD %.0f req/s", $2}'
start=$(date +%s.%N)
smtp-source -s 20 -m "$messages" -l 4096 -f sender@x.test -t luke@jedi.test -M client.x.test "127.0.0.1:$smtp_port"
awk -v s="$start" -v e="$(date +%s.%N)" -v m="$messages" 'BEGIN {printf ", SMTP %d x 4 KB in %.1f s\n", m, e - s}'
peak=$(rss VmHWM)
sleep "$settle"
after=$(rss VmRSS)
echo "after: $(parts)"
echo "keypost serve RSS: idle ${idle} MiB, peak ${peak} MiB, ${settle} s after the load ${after} MiB ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
