#!/usr/bin/env bash
# IMAP fetch throughput: `keypost serve` vs Dovecot serving copies of the same Maildir on the same machine in
# the same run. A Python imaplib client fetches every message's headers, then every whole message, over TLS.
#   usage: bench/imap/run.sh [messages] [rounds]    (as root; needs dovecot-imapd, openssl, /usr/bin/python3)
set -euo pipefail
messages="${1:-10000}"
rounds="${2:-3}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d /tmp/keypost-bench-imap.XXXXXX)"
keypost_port=19993
dovecot_port=19994
cleanup() {
  [ -n "${keypost_pid:-}" ] && kill "$keypost_pid" 2>/dev/null || true
  [ -n "${dovecot_pid:-}" ] && kill "$dovecot_pid" 2>/dev/null || true
  [ -n "${KEYPOST_BENCH_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
chmod 755 "$work"
cd "$work"

dotnet build "$root/src/Keypost.Cli" -c Release --nologo -v q >/dev/null
keypost=(dotnet "$root/src/Keypost.Cli/bin/Release/net10.0/keypost.dll")
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=mail.jedi.test \
  -addext "subjectAltName=DNS:mail.jedi.test" -keyout tls.key -out tls.crt 2>/dev/null

# One Maildir of $messages ~4 KB messages, copied so each server keeps its own index files.
/usr/bin/python3 - "$work/maildir" "$messages" <<'PY'
import os, sys, random
base, count = sys.argv[1], int(sys.argv[2])
for d in ("cur", "new", "tmp"):
    os.makedirs(os.path.join(base, d), exist_ok=True)
random.seed(7)
for i in range(count):
    body = "".join(random.choice("abcdefghijklmnopqrstuvwxyz  \n") for _ in range(3600))
    msg = (f"From: Leia <leia@rebel.test>\r\nTo: luke@jedi.test\r\nSubject: message {i}\r\n"
           f"Message-ID: <{i}@rebel.test>\r\nDate: Sun, 29 Nov 2026 10:00:00 +0000\r\n"
           f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n" + body.replace("\n", "\r\n") + "\r\n")
    with open(os.path.join(base, "cur", f"{1790000000 + i}.M{i}P1.bench:2,S"), "w", newline="") as f:
        f.write(msg)
PY

# Keypost: the account's Maildir lives at data/mail/jedi.test/luke/Maildir.
cat > keypost.json <<JSON
{ "dataDirectory": "data", "hostname": "mail.jedi.test", "domains": [ { "name": "jedi.test" } ],
  "mail": { "imapTls": ["127.0.0.1:$keypost_port"], "certificateFile": "tls.crt", "keyFile": "tls.key" } }
JSON
echo 'bench-password' | "${keypost[@]}" user add luke@jedi.test --config keypost.json >/dev/null
mkdir -p data/mail/jedi.test/luke
cp -r maildir data/mail/jedi.test/luke/Maildir
"${keypost[@]}" serve --config keypost.json >keypost.log 2>&1 &
keypost_pid=$!

# Dovecot: a private instance (own base_dir and config), one static user whose mail is the other copy.
mkdir -p dovecot/run dovecot/home && cp -r maildir dovecot/Maildir && chown -R 65534:65534 dovecot/Maildir dovecot/home
cat > dovecot/dovecot.conf <<CONF
base_dir = $work/dovecot/run
state_dir = $work/dovecot/run
log_path = $work/dovecot/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <$work/tls.crt
ssl_key = <$work/tls.key
first_valid_uid = 100
mail_location = maildir:$work/dovecot/Maildir
passdb {
  driver = static
  args = password=bench-password
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=$work/dovecot/home
}
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    port = $dovecot_port
    ssl = yes
  }
}
service anvil {
  chroot =
}
service imap-login {
  chroot =
}
CONF
dovecot -F -c dovecot/dovecot.conf &
dovecot_pid=$!

for port in $keypost_port $dovecot_port; do
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.2; done
done

echo "IMAP FETCH 1:* of $messages messages over TLS, python imaplib, $(nproc) cores, best of $rounds"
best() { # name port user
  local best_h=999999 best_b=999999 line
  for _ in $(seq "$rounds"); do
    line=$(/usr/bin/python3 "$root/bench/imap/fetch.py" 127.0.0.1 "$2" "$3" bench-password)
    read -r count h ho b bo <<<"$line"
    best_h=$(awk -v a="$best_h" -v b="$h" 'BEGIN {print (b<a)?b:a}')
    best_b=$(awk -v a="$best_b" -v b="$b" 'BEGIN {print (b<a)?b:a}')
  done
  awk -v n="$1" -v c="$count" -v h="$best_h" -v b="$best_b" -v bo="$bo" \
    'BEGIN {printf "%-8s headers %6.2f s (%7.0f msg/s)   bodies %6.2f s (%7.0f msg/s, %5.1f MB/s)\n", n, h, c/h, b, c/b, bo/b/1e6}'
  echo "$1 $best_h $best_b" >>results
}
# Each server's first pass builds its index; one warm-up pass each, not counted.
/usr/bin/python3 "$root/bench/imap/fetch.py" 127.0.0.1 $keypost_port luke@jedi.test bench-password >/dev/null
/usr/bin/python3 "$root/bench/imap/fetch.py" 127.0.0.1 $dovecot_port luke bench-password >/dev/null
best keypost $keypost_port luke@jedi.test
best dovecot $dovecot_port luke
awk 'NR==1 {kh=$2; kb=$3} NR==2 {dh=$2; db=$3} END {printf "ratio keypost/dovecot (throughput): headers %.2f, bodies %.2f\n", dh/kh, db/kb}' results
