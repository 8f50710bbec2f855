#!/usr/bin/env bash
# Issue #19: what single operations cost as the mailbox grows. For each size, one Maildir of ~4 KB messages is
# written straight to disk and copied for `keypost serve` and for Dovecot (same machine, same run); then, over TLS
# with python imaplib: NOOP after a delivery, STORE of one flag, EXPUNGE of one message, UID FETCH 1:* (FLAGS) (also read
# as raw bytes, without imaplib's parsing),
# SEARCH SUBJECT for a ninth of the messages and for one (medians), the first SELECT after a server restart (median of
# three restarts), the CPU of ten sessions in IDLE for 30 s, and
# the server's RSS (Dovecot: the master and all its processes).
#   usage: bench/imap/scale.sh [sizes] [rounds]     e.g. bench/imap/scale.sh "1000 10000 100000" 5
#   (as root; needs dovecot-imapd, openssl, /usr/bin/python3)
set -euo pipefail
sizes="${1:-1000 10000 100000}"
rounds="${2:-5}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d /tmp/keypost-bench-scale.XXXXXX)"
keypost_port=19995
dovecot_port=19996
py=/usr/bin/python3
cleanup() {
  [ -n "${keypost_pid:-}" ] && kill "$keypost_pid" 2>/dev/null || true
  [ -n "${dovecot_pid:-}" ] && kill "$dovecot_pid" 2>/dev/null || true
  [ -n "${KEYPOST_BENCH_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
chmod 755 "$work"
cd "$work"

# Published as a deployment would be (docs/getting-started.md): ReadyToRun, so the first SELECT after a restart runs
# ahead-of-time compiled code instead of waiting for the JIT. Its own artifacts path leaves the checkout's bin/ and
# obj/ (the RID-less build CI uses) alone.
dotnet publish "$root/src/Keypost.Cli" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
  --artifacts-path "$work/artifacts" -o "$work/keypost-bin" --nologo -v q >/dev/null
keypost=(dotnet "$work/keypost-bin/keypost.dll")
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=mail.jedi.test \
  -addext "subjectAltName=DNS:mail.jedi.test" -keyout tls.key -out tls.crt 2>/dev/null

wait_port() { for _ in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.2; done; return 1; }
# `keypost serve` opens the IMAP port only once its warm-up is done (and sends READY=1 after that), so a client that
# connects as soon as the port opens measures a ready server, as one started by systemd would be.
start_keypost() { "${keypost[@]}" serve --config keypost.json >>keypost.log 2>&1 & keypost_pid=$!; wait_port $keypost_port; }
stop_keypost() { kill "$keypost_pid"; wait "$keypost_pid" 2>/dev/null || true; keypost_pid=; }
start_dovecot() { dovecot -F -c dovecot/dovecot.conf & dovecot_pid=$!; wait_port $dovecot_port; }
stop_dovecot() { kill "$dovecot_pid"; wait "$dovecot_pid" 2>/dev/null || true; dovecot_pid=; sleep 1; }

cat > keypost.json <<JSON
{ "dataDirectory": "data", "hostname": "mail.jedi.test", "domains": [ { "name": "jedi.test" } ],
  "mail": { "imapTls": ["127.0.0.1:$keypost_port"], "certificateFile": "tls.crt", "keyFile": "tls.key" } }
JSON
echo 'bench-password' | "${keypost[@]}" user add luke@jedi.test --config keypost.json >/dev/null
mkdir -p dovecot/run dovecot/home
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
  chroot =
}
service anvil {
  chroot =
}
CONF

measure() { # name port user pid-function
  local name=$1 port=$2 user=$3
  /usr/bin/python3 "$root/bench/imap/ops.py" 127.0.0.1 "$port" "$user" bench-password ops "$rounds" | sed "s/^/$name $size /" >>results
  # The first SELECT after a restart, three restarts (the median is kept).
  : >select.out
  for _ in 1 2 3; do
    if [ "$name" = keypost ]; then stop_keypost; start_keypost; pid=$keypost_pid; else stop_dovecot; start_dovecot; pid=$dovecot_pid; fi
    /usr/bin/python3 "$root/bench/imap/ops.py" 127.0.0.1 "$port" "$user" bench-password select >>select.out
  done
  sort -k2,2n select.out | sed -n 2p | sed "s/^/$name $size /" >>results
  # Ten sessions in IDLE on a quiet mailbox: the server's CPU over 30 s, measured after they settled.
  /usr/bin/python3 "$root/bench/imap/ops.py" 127.0.0.1 "$port" "$user" bench-password idle 10 45 >idle.out &
  local idler=$!
  for _ in $(seq 600); do grep -q idling idle.out 2>/dev/null && break; sleep 0.1; done
  sleep 5
  read -r cpu0 _ < <($py "$root/bench/imap/proc.py" "$pid")
  sleep 30
  read -r cpu1 rss < <($py "$root/bench/imap/proc.py" "$pid")
  wait $idler
  awk -v n="$name" -v s="$size" -v c0="$cpu0" -v c1="$cpu1" 'BEGIN {printf "%s %s idle10_core_percent %.2f\n", n, s, (c1-c0)/30000*100}' >>results
  awk -v n="$name" -v s="$size" -v r="$rss" 'BEGIN {printf "%s %s rss_mib %.1f\n", n, s, r/1024}' >>results
}

for size in $sizes; do
  rm -rf maildir data/mail/jedi.test/luke/Maildir dovecot/Maildir dovecot/home/*
  started=$(date +%s)
  $py - "$work/maildir" "$size" <<'PY'
import os, sys, random
base, count = sys.argv[1], int(sys.argv[2])
for d in ("cur", "new", "tmp"):
    os.makedirs(os.path.join(base, d), exist_ok=True)
random.seed(7)
bodies = ["".join(random.choice("abcdefghijklmnopqrstuvwxyz  \n") for _ in range(3600)).replace("\n", "\r\n") for _ in range(64)]
for i in range(count):
    msg = (f"From: Leia <leia@rebel.test>\r\nTo: luke@jedi.test\r\nSubject: message {i}\r\n"
           f"Message-ID: <{i}@rebel.test>\r\nDate: Sun, 29 Nov 2026 10:00:00 +0000\r\n"
           f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n" + bodies[i % 64] + "\r\n")
    with open(os.path.join(base, "cur", f"{1790000000 + i}.M{i}P1.bench:2,S"), "w", newline="") as f:
        f.write(msg)
PY
  mkdir -p data/mail/jedi.test/luke
  cp -r maildir data/mail/jedi.test/luke/Maildir
  cp -r maildir dovecot/Maildir && chown -R 65534:65534 dovecot/Maildir dovecot/home
  start_keypost
  start_dovecot
  # Each server's first SELECT builds its index: timed once, not part of the figures.
  for target in "keypost $keypost_port luke@jedi.test" "dovecot $dovecot_port luke"; do
    set -- $target
    t0=$(date +%s.%N)
    $py "$root/bench/imap/ops.py" 127.0.0.1 "$2" "$3" bench-password select >/dev/null
    awk -v n="$1" -v s="$size" -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%s %s first_index_build_ms %.0f\n", n, s, (b-a)*1000}' >>results
  done
  measure keypost $keypost_port luke@jedi.test
  measure dovecot $dovecot_port luke
  stop_keypost
  stop_dovecot
  echo "size $size done in $(( $(date +%s) - started )) s" >&2
done

echo "IMAP single operations over TLS, python imaplib, $(nproc) cores, median of $rounds (ms unless named)"
sort -k3,3 -k2,2n -k1,1 results | awk '{printf "%-8s %7s %-22s %10s\n", $1, $2, $3, $4}'
cp results "${KEYPOST_BENCH_RESULTS:-/dev/null}" 2>/dev/null || true
