#!/usr/bin/env bash
# Memory of accepting one large message (issue #9, item 3): peak RSS of `keypost serve` while it accepts a
# message of SIZE_MIB over SMTP (inbound, SPF/DKIM/DMARC, queued durably, then delivered to the Maildir),
# over its RSS when idle after a warm-up message. Peak is VmHWM from /proc, reset with clear_refs (Linux >= 4.0).
#   usage: bench/intake/run.sh [size_mib]      (default 25; needs python3 and Linux; no root needed)
set -euo pipefail
size_mib="${1:-25}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d /tmp/keypost-bench-intake.XXXXXX)"
port=18125
cleanup() {
  [ -n "${keypost_pid:-}" ] && kill "$keypost_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

dotnet build "$root/src/Keypost.Cli" -c Release --nologo -v q >/dev/null
keypost=(dotnet "$root/src/Keypost.Cli/bin/Release/net10.0/keypost.dll")
cd "$work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=mail.jedi.test \
  -addext "subjectAltName=DNS:mail.jedi.test" -keyout tls.key -out tls.crt 2>/dev/null
# DNS points at a closed loopback port: SPF/DMARC lookups fail at once (temperror), which is all this needs.
cat > keypost.json <<JSON
{ "dataDirectory": "data", "hostname": "mail.jedi.test", "domains": [ { "name": "jedi.test" } ],
  "mail": { "inbound": ["127.0.0.1:$port"], "certificateFile": "tls.crt", "keyFile": "tls.key",
            "dnsServers": ["127.0.0.1:18153"], "maxMessageSize": $(( (size_mib + 8) * 1024 * 1024 )) } }
JSON
echo "a long enough password" > password
"${keypost[@]}" user add luke@jedi.test --config keypost.json --password-file password >/dev/null
"${keypost[@]}" serve --config keypost.json >keypost.log 2>&1 &
launcher=$!
# `dotnet keypost.dll` is the process itself (no child), so its /proc entry is the server's.
keypost_pid=$launcher
for _ in $(seq 100); do python3 - "$port" <<'PY' 2>/dev/null && break || sleep 0.2
import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()
PY
done

send() {
  python3 - "$port" "$1" <<'PY'
import base64, os, smtplib, sys
port, mib = int(sys.argv[1]), float(sys.argv[2])
raw = base64.encodebytes(os.urandom(int(mib * 1024 * 1024 * 3 / 4))).replace(b"\n", b"\r\n")
msg = (b"From: <sender@x.test>\r\nTo: <luke@jedi.test>\r\nSubject: big\r\nMessage-ID: <" + os.urandom(8).hex().encode()
       + b"@x.test>\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\n"
       + b"Content-Transfer-Encoding: base64\r\n\r\n" + raw)
with smtplib.SMTP("127.0.0.1", port, local_hostname="client.x.test", timeout=300) as s:
    s.sendmail("sender@x.test", ["luke@jedi.test"], msg)
PY
}
kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$keypost_pid/status"; }

send 0.01   # warm-up: JIT, pools, the first queue and Maildir writes
sleep 3
echo 5 > "/proc/$keypost_pid/clear_refs"
idle=$(kb VmRSS)
send "$size_mib"
# Wait until the message is delivered (two files in the Maildir: warm-up and this one).
for _ in $(seq 300); do
  [ "$(find data -path '*Maildir/new/*' -type f 2>/dev/null | wc -l)" -ge 2 ] && break
  sleep 0.2
done
peak=$(kb VmHWM)
echo "message: ${size_mib} MiB; idle RSS: $((idle / 1024)) MiB; peak RSS: $((peak / 1024)) MiB; peak over idle: $(( (peak - idle) / 1024 )) MiB"
