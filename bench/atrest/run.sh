#!/usr/bin/env bash
# Encryption at rest (issue #16), measured side by side in one run: `keypost serve` with the domain's
# encryptAtRest off, then on (Luke has a published key either way).
#  1. memory: peak RSS (VmHWM, reset with clear_refs) over idle while one SIZE_MIB plaintext message is accepted,
#     encrypted and delivered to the Maildir;
#  2. throughput: COUNT messages of 4 KiB over SESSIONS parallel SMTP sessions, from the first connection until the
#     last one is in the Maildir (accepted durably, encrypted when on, delivered).
#   usage: bench/atrest/run.sh [size_mib] [count] [sessions]   (default 25 500 4; needs python3, openssl, Linux)
set -euo pipefail
size_mib="${1:-25}"
count="${2:-500}"
sessions="${3:-4}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d /tmp/keypost-bench-atrest.XXXXXX)"
port=18225
cleanup() {
  [ -n "${keypost_pid:-}" ] && kill "$keypost_pid" 2>/dev/null || true
  [ -n "${dns_pid:-}" ] && kill "$dns_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

dotnet build "$root/src/Keypost.Cli" -c Release --nologo -v q >/dev/null
keypost=(dotnet "$root/src/Keypost.Cli/bin/Release/net10.0/keypost.dll")
cd "$work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=mail.jedi.test \
  -addext "subjectAltName=DNS:mail.jedi.test" -keyout tls.key -out tls.crt 2>/dev/null
"${keypost[@]}" key generate --address luke@jedi.test --name "Luke" --out luke >/dev/null
echo "a long enough password" > password

# A DNS server answering NXDOMAIN to every question (RFC 1035 §4.1.1, RCODE 3): the SPF, DKIM and DMARC lookups of
# x.test end at once, as they would for a sender domain without records, instead of timing out against no server.
python3 - <<'PY' &
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 18253))
while True:
    query, peer = s.recvfrom(512)
    if len(query) < 12:
        continue
    # Same ID, QR=1, opcode and RD copied, RA=1, RCODE=3; the one question echoed (name labels, type, class).
    end = 12
    while end < len(query) and query[end] != 0:
        end += 1 + query[end]
    flags = bytes([0x80 | (query[2] & 0x79), 0x83])
    s.sendto(query[:2] + flags + b"\0\1\0\0\0\0\0\0" + query[12:end + 5], peer)
PY
dns_pid=$!

delivered() { find "$1" -path '*Maildir/new/*' -type f 2>/dev/null | wc -l; }
kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$keypost_pid/status"; }

send() {
  python3 - "$port" "$@" <<'PY'
import base64, os, smtplib, sys, threading
port, mib, count, sessions = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def message():
    text = base64.encodebytes(os.urandom(int(mib * 1024 * 1024 * 3 / 4))).replace(b"\n", b"\r\n")
    return (b"From: <sender@x.test>\r\nTo: <luke@jedi.test>\r\nSubject: statement\r\nMessage-ID: <"
            + os.urandom(8).hex().encode() + b"@x.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n" + text)
def worker(n):
    with smtplib.SMTP("127.0.0.1", port, local_hostname="client.x.test", timeout=600) as s:
        for _ in range(n):
            s.sendmail("sender@x.test", ["luke@jedi.test"], message())
threads = [threading.Thread(target=worker, args=(count // sessions + (1 if i < count % sessions else 0),)) for i in range(sessions)]
for t in threads: t.start()
for t in threads: t.join()
PY
}

run() {
  local mode=$1 dir="$work/$1"
  mkdir -p "$dir" && cd "$dir"
  cat > keypost.json <<JSON
{ "dataDirectory": "data", "hostname": "mail.jedi.test",
  "domains": [ { "name": "jedi.test", "encryptAtRest": $([ "$mode" = on ] && echo true || echo false) } ],
  "mail": { "inbound": ["127.0.0.1:$port"], "certificateFile": "../tls.crt", "keyFile": "../tls.key",
            "dnsServers": ["127.0.0.1:18253"], "maxMessageSize": $(( (size_mib + 8) * 1024 * 1024 )) } }
JSON
  "${keypost[@]}" user add luke@jedi.test --config keypost.json --password-file ../password >/dev/null
  "${keypost[@]}" directory publish ../luke.asc --config keypost.json >/dev/null
  "${keypost[@]}" serve --config keypost.json >keypost.log 2>&1 &
  keypost_pid=$!
  for _ in $(seq 150); do python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $port), 1).close()" 2>/dev/null && break || sleep 0.2; done

  send 0.004 1 1   # warm-up
  while [ "$(delivered data)" -lt 1 ]; do sleep 0.2; done
  sleep 2
  echo 5 > "/proc/$keypost_pid/clear_refs"
  local idle; idle=$(kb VmRSS)
  send "$size_mib" 1 1
  while [ "$(delivered data)" -lt 2 ]; do sleep 0.2; done
  local peak; peak=$(kb VmHWM)
  local big; big=$(find data -path '*Maildir/new/*' -type f -size +1M | head -1)
  if [ "$mode" = on ] && grep -q "^Subject: statement" "$big"; then echo "on: the large message is not encrypted" >&2; exit 1; fi

  local start end
  start=$(date +%s.%N)
  send 0.004 "$count" "$sessions"
  while [ "$(delivered data)" -lt $((count + 2)) ]; do sleep 0.1; done
  end=$(date +%s.%N)
  # grep finds nothing with encryption off; that is a count of 0, not a failure of the run.
  local encrypted; encrypted=$({ grep -l "^Subject: \[\.\.\.\]" data/mail/jedi.test/luke/Maildir/new/* || true; } | wc -l)
  awk -v m="$mode" -v s="$size_mib" -v i="$idle" -v p="$peak" -v c="$count" -v a="$start" -v b="$end" -v e="$encrypted" 'BEGIN {
    printf "encryption at rest %-3s: %d MiB message: idle RSS %d MiB, peak %d MiB (+%d MiB); %d x 4 KiB delivered in %.1f s = %.0f msg/s; %d stored encrypted\n",
      m, s, i / 1024, p / 1024, (p - i) / 1024, c, b - a, c / (b - a), e }'
  kill "$keypost_pid"; wait "$keypost_pid" 2>/dev/null || true; keypost_pid=
  cd "$work"
}

run off
run on
