#!/usr/bin/env bash
# WKD lookups per second: `keypost serve` against nginx serving the same certificate as a static file, on the
# same machine in the same run, both over TLS on loopback, driven by wrk.
#   usage: bench/wkd/run.sh [seconds] [connections]   (seconds measured per peer, in alternating rounds)
# Needs: wrk, nginx (Debian: apt-get install wrk nginx-light), openssl, curl.
set -euo pipefail
seconds="${1:-10}"
connections="${2:-50}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d /tmp/keypost-bench-wkd.XXXXXX)"
keypost_port=18443
nginx_port=18444
cleanup() {
  [ -n "${keypost_pid:-}" ] && kill "$keypost_pid" 2>/dev/null || true
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

dotnet build "$root/src/Keypost.Cli" -c Release --nologo -v q >/dev/null
keypost=(dotnet "$root/src/Keypost.Cli/bin/Release/net10.0/keypost.dll")

chmod 755 "$work"
cd "$work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=openpgpkey.jedi.test \
  -addext "subjectAltName=DNS:openpgpkey.jedi.test,DNS:jedi.test" -keyout tls.key -out tls.crt 2>/dev/null
cat > keypost.json <<JSON
{ "dataDirectory": "data", "hostname": "mail.jedi.test", "domains": [ { "name": "jedi.test" } ],
  "http": { "listen": ["127.0.0.1:$keypost_port"], "certificateFile": "tls.crt", "keyFile": "tls.key" },
  "rateLimit": { "requestsPerMinute": 0 } }
JSON
"${keypost[@]}" key generate --address luke@jedi.test --out luke >/dev/null
"${keypost[@]}" directory publish luke.asc --config keypost.json >/dev/null
hash="$("${keypost[@]}" wkd hash luke@jedi.test | cut -d' ' -f1)"
path="/.well-known/openpgpkey/jedi.test/hu/$hash"

"${keypost[@]}" serve --config keypost.json >keypost.log 2>&1 &
keypost_pid=$!
for _ in $(seq 50); do curl -skf -o served.pgp -H "Host: openpgpkey.jedi.test" "https://127.0.0.1:$keypost_port$path" && break; sleep 0.2; done
test -s served.pgp

# nginx serves the very bytes keypost serves.
mkdir -p "www/.well-known/openpgpkey/jedi.test/hu" logs
cp served.pgp "www$path"
cat > nginx.conf <<NGINX
worker_processes auto;
pid $work/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:$nginx_port ssl;
    ssl_certificate $work/tls.crt;
    ssl_certificate_key $work/tls.key;
    # nginx 1.22's default leaves TLS 1.3 out (1.23.4 added it); Kestrel offers 1.3, so nginx must too.
    ssl_protocols TLSv1.2 TLSv1.3;
    root $work/www;
    add_header Access-Control-Allow-Origin *;
  }
}
NGINX
nginx -c "$work/nginx.conf" -p "$work"
for _ in $(seq 50); do curl -skf -o /dev/null "https://127.0.0.1:$nginx_port$path" && break; sleep 0.1; done
cmp served.pgp <(curl -sk "https://127.0.0.1:$nginx_port$path")

run() { # name port round
  # The client shares the cores: its own CPU share (of $(nproc) x 100 %) says how much of the machine it took.
  /usr/bin/time -f "%P" -o "$1.cpu" \
    wrk -t2 -c"$connections" -d"${round_seconds}s" --latency -H "Host: openpgpkey.jedi.test" "https://127.0.0.1:$2$path" >"$1.wrk"
  awk -v name="$1" -v round="$3" -v cpu="$(cat "$1.cpu")" '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$NF}
       END {printf "round %d %-8s %10.0f req/s   p50 %-8s p99 %-8s non-2xx %s   wrk CPU %s\n", round, name, rps, p50, p99, (bad==""?0:bad), cpu}' "$1.wrk"
  awk '/Requests\/sec/ {print $2}' "$1.wrk" >>"$1.rates"
}
# The measured seconds of each peer are split into rounds that alternate keypost, nginx, keypost, ... On a shared
# 2-core virtual machine the speed of both peers drifts by up to a third within a minute (other tenants, the host's
# caches): one long run of each compared two different machines. Each round's ratio compares neighbours in time, and
# the median of the rounds is the figure (KEYPOST_BENCH_ROUNDS, default 10).
rounds="${KEYPOST_BENCH_ROUNDS:-10}"
round_seconds=$(( seconds / rounds > 0 ? seconds / rounds : 1 ))
echo "WKD lookup of one key, TLS, wrk -t2 -c$connections, $rounds alternating rounds of ${round_seconds}s per peer, $(nproc) cores"
# Like with like: both peers serve the same certificate (ECDSA P-256) over the same TLS version and cipher, which
# the report shows as each negotiated it with OpenSSL's client defaults (wrk's too), HTTP/1.1 with keep-alive.
for peer in "keypost $keypost_port" "nginx $nginx_port"; do
  set -- $peer
  echo | openssl s_client -connect "127.0.0.1:$2" -servername openpgpkey.jedi.test 2>/dev/null \
    | awk -v name="$1" '/^New, / {printf "%-8s %s %s\n", name, $2, $NF}'
done
# Warm both up with the measured load, then measure. .NET's tiered JIT recompiles the hot path with its profile
# during the first seconds under load: 8-second runs right after start gave Keypost 37-41k req/s, later ones 47-59k.
# The steady state is what a daemon serves, so both peers get the same warm-up (KEYPOST_BENCH_WARMUP_SECONDS).
warmup="${KEYPOST_BENCH_WARMUP_SECONDS:-10}"
wrk -t2 -c"$connections" -d"${warmup}s" -H "Host: openpgpkey.jedi.test" "https://127.0.0.1:$keypost_port$path" >/dev/null
wrk -t2 -c"$connections" -d"${warmup}s" -H "Host: openpgpkey.jedi.test" "https://127.0.0.1:$nginx_port$path" >/dev/null
: >keypost.rates
: >nginx.rates
for round in $(seq "$rounds"); do
  run keypost "$keypost_port" "$round"
  run nginx "$nginx_port" "$round"
done
median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
paste keypost.rates nginx.rates | awk '{print $1/$2}' >ratios
awk -v k="$(median <keypost.rates)" -v n="$(median <nginx.rates)" 'BEGIN {printf "keypost  %10.0f req/s median of the rounds\nnginx    %10.0f req/s median of the rounds\n", k, n}'
awk -v r="$(median <ratios)" -v lo="$(sort -n ratios | head -1)" -v hi="$(sort -n ratios | tail -1)" \
  'BEGIN {printf "ratio keypost/nginx: %.2f (median of the rounds; %.2f-%.2f)\n", r, lo, hi}'
