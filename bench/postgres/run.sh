#!/usr/bin/env bash
# Issue #15: durable SMTP acceptance and IMAP fetch with one and with two `keypost serve` nodes sharing one
# PostgreSQL database, beside one node on its own disk (SQLite + Maildir), on the same machine in the same run.
# SMTP is driven by Postfix's smtp-source (inbound, each 250 after a durable commit: fsync or a synchronous
# PostgreSQL commit); IMAP by python imaplib over TLS (bench/imap/fetch.py: FETCH 1:* headers, then bodies).
#   usage: bench/postgres/run.sh [messages] [sessions] [size]
# Needs (Debian): postgresql, postfix (smtp-source), dnsmasq-base, openssl, /usr/bin/python3; run as root (the
# private cluster runs as the postgres user).
set -euo pipefail
messages="${1:-2000}"
sessions="${2:-20}"
size="${3:-4096}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d /tmp/keypost-bench-pg.XXXXXX)"
pg_port=18432
dns_port=18153
pgbin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$work/pg/data/postmaster.pid" ] && runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

dotnet build "$root/src/Keypost.Cli" -c Release --nologo -v q >/dev/null
keypost=(dotnet "$root/src/Keypost.Cli/bin/Release/net10.0/keypost.dll")
chmod 755 "$work"
cd "$work"

# A private cluster with the distribution's durable defaults (fsync on, synchronous_commit on): what a 250 costs.
mkdir pg && chown postgres pg
runuser -u postgres -- "$pgbin/initdb" -D "$work/pg/data" -U keypost --auth=trust -E UTF8 --no-locale >/dev/null
runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/pg/data" -l "$work/pg/log" -w \
  -o "-p $pg_port -k $work/pg -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
"$pgbin/createdb" -h 127.0.0.1 -p "$pg_port" -U keypost keypost
connection="Host=127.0.0.1;Port=$pg_port;Username=keypost;Database=keypost"
psql_count() { "$pgbin/psql" -h 127.0.0.1 -p "$pg_port" -U keypost -d keypost -Atc "SELECT count(*) FROM store_message"; }

dnsmasq --keep-in-foreground --port="$dns_port" --listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts \
  --local=/x.test/ --local=/jedi.test/ --txt-record=x.test,"v=spf1 ip4:127.0.0.0/8 -all" --log-facility=- 2>dnsmasq.log &
pids+=($!)

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=mail.jedi.test \
  -addext "subjectAltName=DNS:mail.jedi.test" -keyout tls.key -out tls.crt 2>/dev/null
echo "bench-password" > password

# node NAME SMTP_PORT IMAP_PORT STORAGE_JSON: writes NAME/keypost.json and adds Luke (accounts are per node). The
# per-address connection limits (on by default) are off: every load client here is 127.0.0.1.
node() {
  mkdir -p "$1"
  cat > "$1/keypost.json" <<JSON
{ "dataDirectory": "$work/$1/data", "hostname": "mail.jedi.test", "domains": [ { "name": "jedi.test" } ], $4
  "mail": { "inbound": ["127.0.0.1:$2"], "imapTls": ["127.0.0.1:$3"], "certificateFile": "$work/tls.crt",
            "keyFile": "$work/tls.key", "dnsServers": ["127.0.0.1:$dns_port"],
            "smtpConnectionsPerMinutePerAddress": 0, "maxSmtpSessionsPerAddress": 1000, "imapConnectionsPerMinutePerAddress": 0 } }
JSON
  # Where the directory is shared, the second node finds Luke there already.
  "${keypost[@]}" user add luke@jedi.test --config "$1/keypost.json" --password-file password >/dev/null 2>&1 || true
}
start() { "${keypost[@]}" serve --config "$1/keypost.json" >"$1/keypost.log" 2>&1 & pids+=($!); wait_port "$2" || { cat "$1/keypost.log"; exit 1; }; }
wait_port() { for _ in $(seq 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.2; done; return 1; }
maildir_count() { { find "$1" -type f 2>/dev/null || true; } | wc -l; }
postgres='"storage": { "kind": "postgres", "connectionString": "'"$connection"'" },'

node disk 18225 18293 ""
node pg1 18226 18294 "$postgres"
node pg2 18227 18295 "$postgres"

# smtp NAME COUNT PORT... : smtp-source on each port at once (the sessions and messages split between them); waits
# until COUNT more messages are stored (counted by COUNTER), prints the acceptance rate.
smtp() {
  local name="$1" count="$2" counter="$3"; shift 3
  local ports=("$@") n=${#ports[@]} before start end stored
  before=$($counter)
  start=$(date +%s.%N)
  local jobs=()
  for port in "${ports[@]}"; do
    smtp-source -s $((sessions / n)) -m $((count / n)) -l "$size" -f sender@x.test -t luke@jedi.test -M client.x.test \
      "127.0.0.1:$port" 2>>"$name.err" & jobs+=($!)
  done
  # smtp-source exits non-zero on any refusal; its messages are shown below, and the stored count tells the rest.
  wait "${jobs[@]}" || true
  end=$(date +%s.%N)
  for _ in $(seq 1200); do [ $(( $($counter) - before )) -ge "$count" ] && break; sleep 0.1; done
  stored=$(( $($counter) - before ))
  [ -s "$name.err" ] && { echo "$name: smtp-source reported:"; head -5 "$name.err"; }
  awk -v name="$name" -v n="$count" -v s="$start" -v e="$end" -v d="$stored" \
    'BEGIN {printf "SMTP  %-22s %6d msgs in %6.2f s = %6.0f msgs/s accepted (%d stored)\n", name, n, e-s, n/(e-s), d}'
}
disk_count() { maildir_count "$work/disk/data/mail/jedi.test/luke/Maildir"; }

# fetch NAME PORT... : one imaplib client per port at once, each fetching the whole INBOX; aggregate throughput.
fetch() {
  local name="$1"; shift
  local start end files=()
  for port in "$@"; do /usr/bin/python3 "$root/bench/imap/fetch.py" 127.0.0.1 "$port" luke@jedi.test bench-password >/dev/null; done
  start=$(date +%s.%N)
  local i=0 jobs=()
  for port in "$@"; do
    /usr/bin/python3 "$root/bench/imap/fetch.py" 127.0.0.1 "$port" luke@jedi.test bench-password >"$name.$i" & jobs+=($!)
    files+=("$name.$i"); i=$((i + 1))
  done
  wait "${jobs[@]}"
  end=$(date +%s.%N)
  cat "${files[@]}" | awk -v name="$name" -v s="$start" -v e="$end" \
    '{ c += $1; bo += $5 } END {printf "IMAP  %-22s %6d msgs fetched (headers, then bodies) by %d clients in %6.2f s = %6.0f msgs/s\n", name, c, NR, e-s, c/(e-s)}'
}

echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $messages messages of $size bytes, $sessions sessions, PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}')"
start disk 18225
smtp "one node, own disk" "$messages" disk_count 18225
fetch "one node, own disk" 18293 18293
start pg1 18226
smtp "one node, PostgreSQL" "$messages" psql_count 18226
fetch "one node, PostgreSQL" 18294 18294
start pg2 18227
fetch "two nodes, PostgreSQL" 18294 18295
smtp "two nodes, PostgreSQL" "$messages" psql_count 18226 18227
