#!/usr/bin/env bash
# Durable SMTP acceptance, messages per second: `keypost serve` inbound against a private Postfix, on the same
# machine in the same run, both driven by Postfix's smtp-source. Each server must write the message durably
# (fsync) before its 250, then delivers it to a Maildir in the background.
#   usage: bench/smtp/run.sh [messages] [sessions] [size]
# Needs (Debian): postfix (smtp-source), dnsmasq-base, openssl; run as root (Postfix's master starts as root).
set -euo pipefail
messages="${1:-2000}"
sessions="${2:-20}"
size="${3:-4096}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
base="$(mktemp -d /tmp/keypost-bench-smtp.XXXXXX)"
work="$base/fs"
keypost_port=18025
postfix_port=18026
dns_port=18053
cleanup() {
  [ -n "${keypost_pid:-}" ] && kill "$keypost_pid" 2>/dev/null || true
  [ -n "${dns_pid:-}" ] && kill "$dns_pid" 2>/dev/null || true
  [ -f "$work/postfix/etc/main.cf" ] && postfix -c "$work/postfix/etc" stop >/dev/null 2>&1 || true
  wait 2>/dev/null || true
  # Lazily: a Postfix process may still be on its way out.
  if mountpoint -q "$work"; then umount -l "$work"; fi
  rm -rf "$base"
}
trap cleanup EXIT

for tool in postfix smtp-source dnsmasq openssl; do
  command -v "$tool" >/dev/null || { echo "bench/smtp/run.sh: $tool is missing (bench/run installs it)" >&2; exit 1; }
done
dotnet build "$root/src/Keypost.Cli" -c Release --nologo -v q >/dev/null
keypost=(dotnet "$root/src/Keypost.Cli/bin/Release/net10.0/keypost.dll")

# Both servers keep their files on one fresh ext4 file system (mkfs defaults, with its journal, as a mail server's
# disk has), in an image on a loop device. This machine's root file system has no journal, and there the cost of
# creating a file (each server creates at least one per message) depended on which block group a directory landed
# in: 50 us or 1 ms of CPU per create, between two runs of the same script. KEYPOST_BENCH_FRESH_FS=0 keeps /tmp.
mkdir "$work"
if [ "${KEYPOST_BENCH_FRESH_FS:-1}" = 1 ] && truncate -s 4G "$base/fs.img" && mkfs.ext4 -q -F "$base/fs.img" \
  && mount -o loop "$base/fs.img" "$work"; then
  filesystem="a fresh ext4 on a loop device"
else
  filesystem="$(df --output=fstype "$work" | tail -1) under /tmp"
fi
# Postfix's users must reach the queue and the Maildirs below this directory.
chmod 755 "$base" "$work"
cd "$work"

# Keypost checks SPF and DMARC for every inbound message: answer from a local dnsmasq, never a timeout.
# x.test publishes SPF allowing loopback and a DMARC record (p=none); every other name under x.test and jedi.test
# is NXDOMAIN. Answers carry a TTL of 300 s, as real zones do (dnsmasq's default for its own records is 0, which
# made Keypost ask both questions again for every message; its resolver caches answers for their TTL).
dnsmasq --keep-in-foreground --port="$dns_port" --listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts \
  --local=/x.test/ --local=/jedi.test/ --local-ttl=300 --txt-record=x.test,"v=spf1 ip4:127.0.0.0/8 -all" \
  --txt-record=_dmarc.x.test,"v=DMARC1; p=none" --pid-file="$work/dnsmasq.pid" \
  --log-facility=- 2>dnsmasq.log &
dns_pid=$!

# --- Keypost: inbound listener only, for jedi.test, luke has a mailbox. The per-address connection limits (on by
# default against guessing and floods) are off: every load client here is 127.0.0.1.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=mail.jedi.test \
  -addext "subjectAltName=DNS:mail.jedi.test" -keyout tls.key -out tls.crt 2>/dev/null
cat > keypost.json <<JSON
{ "dataDirectory": "data", "hostname": "mail.jedi.test", "domains": [ { "name": "jedi.test" } ],
  "mail": { "inbound": ["127.0.0.1:$keypost_port"], "certificateFile": "tls.crt", "keyFile": "tls.key",
            "dnsServers": ["127.0.0.1:$dns_port"],
            "smtpConnectionsPerMinutePerAddress": 0, "maxSmtpSessionsPerAddress": 1000, "imapConnectionsPerMinutePerAddress": 0 } }
JSON
echo "a long enough password" > password
"${keypost[@]}" user add luke@jedi.test --config keypost.json --password-file password >/dev/null
"${keypost[@]}" serve --config keypost.json >keypost.log 2>&1 &
keypost_pid=$!

# --- Postfix: a private instance (own config, queue, log) with jedi.test as a virtual mailbox domain, so
# luke@jedi.test is accepted into its queue and delivered by virtual(8) to a Maildir, as Keypost does.
mkdir -p postfix/etc postfix/queue postfix/mail
chmod 777 postfix/mail  # virtual(8) delivers as nobody: it refuses uids below 100
echo "luke@jedi.test luke/Maildir/" > postfix/etc/vmailbox
cat > postfix/etc/main.cf <<CF
compatibility_level = 3.6
queue_directory = $work/postfix/queue
data_directory = $work/postfix/data
maillog_file = $work/postfix/maillog
maillog_file_prefixes = $work
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.postfix.test
mydestination =
mynetworks =
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
alias_maps =
local_recipient_maps =
virtual_mailbox_domains = jedi.test
virtual_mailbox_base = $work/postfix/mail
virtual_mailbox_maps = texthash:$work/postfix/etc/vmailbox
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
smtp_dns_support_level = disabled
CF
cat > postfix/etc/master.cf <<CF
127.0.0.1:$postfix_port inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
virtual   unix  - n n - - virtual
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
CF
postfix -c "$work/postfix/etc" start >/dev/null 2>&1 || { cat postfix/maillog; exit 1; }

wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.2; done; return 1; }
wait_port "$keypost_port" || { cat keypost.log; exit 1; }
wait_port "$postfix_port"

maildir_count() { { find "$1" -type f 2>/dev/null || true; } | wc -l; }
keypost_new="$work/data/mail/jedi.test/luke/Maildir/new"
postfix_new="$work/postfix/mail/luke/Maildir/new"

# CPU time (clock ticks) a server has used: Keypost's one process; Postfix's master with its reaped children
# (cutime, cstime) and the children still alive (smtpd, cleanup, qmgr, virtual...). smtp-source is not counted.
cpu_ticks() { # keypost|postfix
  if [ "$1" = keypost ]; then
    awk '{print $14+$15}' "/proc/$keypost_pid/stat"
  else
    local master children
    master=$(head -1 "$work/postfix/queue/pid/master.pid" | tr -d ' ')
    children=$(pgrep -P "$master" | sed 's|.*|/proc/&/stat|' | xargs -r cat 2>/dev/null | awk '{t += $14+$15} END {print t+0}')
    awk -v c="$children" '{print $14+$15+$16+$17+c}' "/proc/$master/stat"
  fi
}

# Bytes the file system wrote to its block device (data, journal, metadata): /sys/block/<dev>/stat, 7th field,
# in 512-byte sectors. Empty when the files are not on a device of their own (KEYPOST_BENCH_FRESH_FS=0).
block_device="$(basename "$(findmnt -no SOURCE "$work" 2>/dev/null || true)")"
[ "$filesystem" = "a fresh ext4 on a loop device" ] && [ -r "/sys/block/$block_device/stat" ] || block_device=""
sectors_written() { if [ -n "$block_device" ]; then awk '{print $7}' "/sys/block/$block_device/stat"; else echo 0; fi; }

# A full run: time until smtp-source has its last 250, then wait until all are in the Maildir (a count check).
# CPU per message covers acceptance and delivery: counted from the start until the last message is in the Maildir.
run() { # name port maildir count server(keypost|postfix)
  local before start end cpu0 cpu1 disk0 disk1 server="$5"
  before=$(maildir_count "$3")
  sync
  disk0=$(sectors_written)
  cpu0=$(cpu_ticks "$server")
  start=$(date +%s.%N)
  smtp-source -s "$sessions" -m "$4" -l "$size" -f sender@x.test -t luke@jedi.test -M client.x.test "127.0.0.1:$2" 2>"$1.err"
  end=$(date +%s.%N)
  for _ in $(seq 600); do [ $(( $(maildir_count "$3") - before )) -ge "$4" ] && break; sleep 0.1; done
  cpu1=$(cpu_ticks "$server")
  sync
  disk1=$(sectors_written)
  local delivered=$(( $(maildir_count "$3") - before ))
  [ -s "$1.err" ] && { echo "$1: smtp-source reported:"; head -5 "$1.err"; }
  awk -v name="$1" -v n="$4" -v s="$start" -v e="$end" -v d="$delivered" -v c="$((cpu1 - cpu0))" -v hz="$(getconf CLK_TCK)" \
    -v load="$(cut -d' ' -f1-3 /proc/loadavg)" -v w="$((disk1 - disk0))" -v dev="$block_device" \
    'BEGIN {printf "%-8s %6d msgs in %6.2f s = %7.0f msgs/s accepted (%d in the Maildir), CPU %.2f ms/msg, %s, load %s\n",
      name, n, e-s, n/(e-s), d, c*1000/hz/n, dev == "" ? "disk writes not measured" : sprintf("disk writes %.0f KiB/msg", w/2/n), load}'
  awk -v n="$4" -v s="$start" -v e="$end" 'BEGIN {print n/(e-s)}' >"$1.rate"
}

echo "smtp-source -s $sessions -m $messages -l $size (one connection per message), $(nproc) cores, files on $filesystem"
# Warm up both (JIT, SQLite, Postfix's process pool), then measure. .NET's tiered JIT recompiles hot methods with
# their profile during the first few thousand messages (perf showed a quarter of the CPU in the JIT after 300):
# the warm-up is long enough for a server's steady state, the one that matters for a daemon. With dynamic PGO (on since
# 2026-12-08) the hot methods pass through an instrumented tier first: after 3,000 messages Keypost still spent
# 1.10-1.24 ms of CPU per message, after 10,000 0.81-0.85, the same as without PGO (docs/benchmarks.md).
warmup="${KEYPOST_BENCH_WARMUP:-10000}"
run warmup-k "$keypost_port" "$keypost_new" "$warmup" keypost >/dev/null
run warmup-p "$postfix_port" "$postfix_new" "$warmup" postfix >/dev/null
run keypost "$keypost_port" "$keypost_new" "$messages" keypost
run postfix "$postfix_port" "$postfix_new" "$messages" postfix
awk -v k="$(cat keypost.rate)" -v p="$(cat postfix.rate)" 'BEGIN {printf "ratio keypost/postfix: %.2f\n", k/p}'
# Evidence that Keypost did its per-message checks (SPF through dnsmasq) rather than a shortcut.
sample="$(find "$keypost_new" -type f -print -quit)"
echo "keypost's stamp on a sample: $(awk '/^Authentication-Results:/ {on=1; printf "%s", $0; next} on && /^[ \t]/ {printf " %s", $0; next} on {exit}' "$sample" | tr -s '\r\t ' ' ')"
