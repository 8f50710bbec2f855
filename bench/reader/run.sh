#!/usr/bin/env bash
# Reading speed: `keypost read` of one message among 1,000 encrypted ones, beside `keypost inbox` of all 1,000,
# both as the user runs them (a whole `keypost` process each, over IMAPS from `keypost serve` on loopback).
#   usage: bench/reader/run.sh [messages] [rounds]    (needs gpg, openssl, /usr/bin/python3)
set -euo pipefail
messages="${1:-1000}"
rounds="${2:-5}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d /tmp/keypost-bench-reader.XXXXXX)"
port=19995
cleanup() {
  [ -n "${keypost_pid:-}" ] && kill "$keypost_pid" 2>/dev/null || true
  GNUPGHOME="$work/gnupg" gpgconf --kill all 2>/dev/null || true
  [ -n "${KEYPOST_BENCH_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

dotnet build "$root/src/Keypost.Cli" -c Release --nologo -v q >/dev/null
keypost=(dotnet "$root/src/Keypost.Cli/bin/Release/net10.0/keypost.dll")
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=mail.jedi.test \
  -addext "subjectAltName=DNS:mail.jedi.test,IP:127.0.0.1" -keyout tls.key -out tls.crt 2>/dev/null

# Luke's client profile and key (as a new user makes them), and his account on the server.
export KEYPOST_PASSPHRASE=bench-passphrase KEYPOST_PASSWORD=bench-password
"${keypost[@]}" client init --home home --address luke@jedi.test --server 127.0.0.1 --imap-port $port --ca tls.crt >/dev/null
cat > keypost.json <<JSON
{ "dataDirectory": "data", "hostname": "mail.jedi.test", "domains": [ { "name": "jedi.test" } ],
  "mail": { "imapTls": ["127.0.0.1:$port"], "certificateFile": "tls.crt", "keyFile": "tls.key" } }
JSON
echo "$KEYPOST_PASSWORD" | "${keypost[@]}" user add luke@jedi.test --config keypost.json >/dev/null

# One 10 KB inner message, encrypted to Luke with gpg (RFC 3156 §4, both protected-header markers), then
# $messages PGP/MIME messages around it with their own Message-IDs: each read decrypts a whole message.
mkdir -m 700 gnupg
export GNUPGHOME="$work/gnupg"
gpg --batch --quiet --import home/certificate.asc 2>/dev/null
/usr/bin/python3 - inner.eml <<'PY'
import base64, random, sys
random.seed(7)
body = base64.encodebytes(bytes(random.getrandbits(8) for _ in range(7400))).decode().replace("\n", "\r\n")
open(sys.argv[1], "w", newline="").write(
    'Content-Type: text/plain; charset=us-ascii; hp="cipher"; protected-headers="v1"\r\n'
    "From: Leia <leia@rebel.test>\r\nTo: luke@jedi.test\r\nSubject: the real subject\r\n\r\n" + body)
PY
gpg --batch --quiet --trust-model always --armor --encrypt -r luke@jedi.test -o inner.asc inner.eml
mkdir -p data/mail/jedi.test/luke/Maildir/{cur,new,tmp}
/usr/bin/python3 - inner.asc data/mail/jedi.test/luke/Maildir/cur "$messages" <<'PY'
import os, sys
armored, target, count = open(sys.argv[1]).read().replace("\n", "\r\n"), sys.argv[2], int(sys.argv[3])
for i in range(count):
    msg = (f"From: Leia <leia@rebel.test>\r\nTo: luke@jedi.test\r\nSubject: [...]\r\nMessage-ID: <{i}@rebel.test>\r\n"
           "Date: Sun, 29 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
           'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="b"\r\n\r\n'
           "--b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n"
           "--b\r\nContent-Type: application/octet-stream\r\n\r\n" + armored + "\r\n--b--\r\n")
    open(os.path.join(target, f"{1790000000 + i}.M{i}P1.bench:2,S"), "w", newline="").write(msg)
PY
"${keypost[@]}" serve --config keypost.json >keypost.log 2>&1 &
keypost_pid=$!
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.2; done

seconds() { local start end; start=$(date +%s%N); "$@" >/dev/null; end=$(date +%s%N); echo "scale=3; ($end - $start) / 1000000000" | bc; }
best() { local best=999 t; for _ in $(seq "$rounds"); do t=$(seconds "$@"); best=$(echo "if ($t < $best) $t else $best" | bc); done; echo "$best"; }

# The server builds its UID index on first sight; one listing to warm it and to record the UIDVALIDITY.
"${keypost[@]}" inbox --home home --no-lookup >inbox.txt
listed=$(wc -l <inbox.txt)
middle=$(awk -v n=$((messages / 2)) 'NR==n {print $1}' inbox.txt)
"${keypost[@]}" read "$middle" --home home | grep -q "Subject: the real subject"

echo "keypost reading $messages encrypted 10 KB messages over IMAPS on loopback, $(nproc) cores, best of $rounds (whole processes)"
echo "machine load: $(cut -d" " -f1-3 /proc/loadavg)"
echo "listed:                          $listed messages"
echo "keypost --help (process start):  $(best "${keypost[@]}" --help) s"
echo "keypost folders (TLS, login, LIST, STATUS; no key, no decryption): $(best "${keypost[@]}" folders --home home) s"
echo "keypost read ID (1 of $messages):  $(best "${keypost[@]}" read "$middle" --home home) s"
echo "python imaplib, same server (TLS, login, SELECT, UID FETCH of that message): $(best /usr/bin/python3 -c "
import imaplib, ssl, sys
c = imaplib.IMAP4_SSL('127.0.0.1', $port, ssl_context=ssl.create_default_context(cafile='tls.crt'))
c.login('luke@jedi.test', 'bench-password'); c.select('INBOX', readonly=True); c.uid('FETCH', '$middle', '(BODY.PEEK[])'); c.logout()") s"
echo "keypost inbox ($messages, decrypting each): $(best "${keypost[@]}" inbox --home home --no-lookup) s"
