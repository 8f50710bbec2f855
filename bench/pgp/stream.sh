#!/usr/bin/env bash
# Streaming OpenPGP of one large file: Keypost (StreamingOpenPgp, in-process) beside gpg -z 0, same machine, same run.
# Usage: bench/pgp/stream.sh [MiB] [rounds]      (defaults: 100 MiB, best of 3)
# Rounds alternate (Keypost encrypt+decrypt, then gpg encrypt, then gpg decrypt) so that a change in the machine's
# load during the run hits both sides alike; each side keeps its best round.
set -euo pipefail
cd "$(dirname "$0")/../.."
mib=${1:-100}
rounds=${2:-3}
work=$(mktemp -d /tmp/keypost-pgp-stream.XXXXXX)
export GNUPGHOME="$work/gnupg"
mkdir -m 700 "$GNUPGHOME"
trap 'gpgconf --kill all >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
head -c $((mib * 1048576)) /dev/urandom >"$work/in.bin"

dotnet build -c Release bench/Keypost.Bench -v q 2>&1 | grep -E " error |rror\(s\)" || true
for who in leia@rebel.test luke@jedi.test; do
    gpg --batch --passphrase '' --quick-gen-key "$who" ed25519 sign never 2>/dev/null
    fpr=$(gpg --with-colons --list-keys "$who" | awk -F: '/^fpr/ {print $10; exit}')
    gpg --batch --passphrase '' --quick-add-key "$fpr" cv25519 encr never 2>/dev/null
done
gpg --batch --yes --trust-model always -z 0 -u leia@rebel.test -r luke@jedi.test -o /dev/null --encrypt --sign "$work/in.bin" 2>/dev/null

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
# Wall, user and system seconds of one command (bash's time keyword), so CPU time can be set beside wall time.
timed() { local TIMEFORMAT='%R %U %S' t; t=$( { time "$@" >/dev/null 2>&1; } 2>&1 ); echo "$t"; }
for _ in $(seq "$rounds"); do
    dotnet bench/Keypost.Bench/bin/Release/net10.0/Keypost.Bench.dll stream "$work/in.bin" 1 "$work" | tee -a "$work/keypost.txt"
    timed gpg --batch --yes --trust-model always -z 0 -u leia@rebel.test -r luke@jedi.test -r leia@rebel.test \
        --encrypt --sign -o "$work/gpg.pgp" "$work/in.bin" >>"$work/gpg-enc.txt"
    timed gpg --batch --yes -o /dev/null -d "$work/gpg.pgp" 2>/dev/null >>"$work/gpg-dec.txt"
    echo "gpg -z 0 round (wall user sys): encrypt+sign $(tail -1 "$work/gpg-enc.txt"), decrypt+verify $(tail -1 "$work/gpg-dec.txt")"
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
best() { sort -n | head -1; }
enc=$(best <"$work/gpg-enc.txt" | awk '{print $1}')
dec=$(best <"$work/gpg-dec.txt" | awk '{print $1}')
enccpu=$(best <"$work/gpg-enc.txt" | awk '{print $2 + $3}')
deccpu=$(best <"$work/gpg-dec.txt" | awk '{print $2 + $3}')
kenc=$(awk '/keypost encrypt/ {print $3}' "$work/keypost.txt" | best)
kdec=$(awk '/keypost decrypt/ {print $3}' "$work/keypost.txt" | best)
kenccpu=$(awk '/keypost encrypt/ {print $3, $(NF-1)}' "$work/keypost.txt" | best | awk '{print $2}')
kdeccpu=$(awk '/keypost decrypt/ {print $3, $(NF-1)}' "$work/keypost.txt" | best | awk '{print $2}')
size=$((mib * 1048576))
printf 'best keypost encrypt+sign %.3f s %.1f MB/s cpu %.3f s\n' "$kenc" "$(echo "$size / $kenc / 1000000" | bc -l)" "$kenccpu"
printf 'best keypost decrypt+verify %.3f s %.1f MB/s cpu %.3f s\n' "$kdec" "$(echo "$size / $kdec / 1000000" | bc -l)" "$kdeccpu"
printf 'best gpg -z 0 encrypt+sign %.3f s %.1f MB/s cpu %.3f s\n' "$enc" "$(echo "$size / $enc / 1000000" | bc -l)" "$enccpu"
printf 'best gpg -z 0 decrypt+verify %.3f s %.1f MB/s cpu %.3f s\n' "$dec" "$(echo "$size / $dec / 1000000" | bc -l)" "$deccpu"
printf 'keypost memory: most over idle %s MiB\n' "$(awk '/over-idle/ {print $(NF-1)}' "$work/keypost.txt" | sort -n | tail -1)"
printf 'ratio keypost/gpg -z 0: encrypt+sign %.2f, decrypt+verify %.2f\n' "$(echo "$enc / $kenc" | bc -l)" "$(echo "$dec / $kdec" | bc -l)"
